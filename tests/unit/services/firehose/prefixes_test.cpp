// Prefix expressions and Java timestamp patterns (internal functions of the Firehose provider).
#include <gtest/gtest.h>

#include "services/firehose/internal.hpp"

namespace cenote::firehose {
namespace {

// 2026-03-04 05:06:07.089 UTC
constexpr std::int64_t kT = 1772600767089;

TEST(FirehosePrefixes, JavaTimestampPatterns) {
  EXPECT_EQ(*FormatJavaTimestamp("yyyy/MM/dd/HH", kT), "2026/03/04/05");
  EXPECT_EQ(*FormatJavaTimestamp("'year='yyyy'/month='MM", kT), "year=2026/month=03");
  EXPECT_EQ(*FormatJavaTimestamp("yy-M-d H:mm:ss", kT), "26-3-4 5:06:07");
  EXPECT_EQ(*FormatJavaTimestamp("''", kT), "'");
  EXPECT_FALSE(FormatJavaTimestamp("yyyy 'open", kT).ok());
  EXPECT_FALSE(FormatJavaTimestamp("QQQ", kT).ok());
}

TEST(FirehosePrefixes, Expressions) {
  PrefixContext ctx{kT, "AbCdEfGhIjK", "processing-failed"};
  EXPECT_EQ(*ExpandPrefix("p/!{timestamp:yyyy}/!{firehose:random-string}/", ctx), "p/2026/AbCdEfGhIjK/");
  EXPECT_EQ(*ExpandPrefix("e/!{firehose:error-output-type}/", ctx), "e/processing-failed/");
  EXPECT_EQ(*ExpandPrefix("plain/", ctx), "plain/");
  EXPECT_EQ(ExpandPrefix("!{nope:x}", ctx).error().code, "InvalidArgumentException");
  EXPECT_EQ(ExpandPrefix("!{timestamp:yyyy", ctx).error().code, "InvalidArgumentException");
  EXPECT_EQ(ExpandPrefix("!{partitionKeyFromQuery:id}", ctx).error().code, "InvalidArgumentException");
  EXPECT_EQ(DefaultPrefix(kT), "2026/03/04/05/");
  EXPECT_EQ(ObjectTimestamp(kT), "2026-03-04-05-06-07");
}

}  // namespace
}  // namespace cenote::firehose
