#include "aws/protocol/wire.hpp"

#include <gtest/gtest.h>

#include "common/encoding.hpp"

namespace cenote::aws::protocol::wire {
namespace {

TEST(Wire, Timestamps) {
  EXPECT_EQ(FormatIso8601(1255369830000), "2009-10-12T17:50:30.000Z");
  EXPECT_EQ(FormatRfc822(1445412480000), "Wed, 21 Oct 2015 07:28:00 GMT");
  EXPECT_EQ(FormatRfc822(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatRfc822(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
  EXPECT_EQ(FormatRfc822(253402300799000), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(FormatRfc822(253402300800000), "Sat, 01 Jan 10000 00:00:00 GMT");  // the snprintf fallback
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(ParseTimestamp("2009-10-12T17:50:30.000Z"), 1255369830000);
  EXPECT_EQ(ParseTimestamp("2009-10-12T17:50:30Z"), 1255369830000);
  EXPECT_EQ(ParseTimestamp("2009-10-12T19:50:30.5+02:00"), 1255369830500);
  EXPECT_EQ(ParseTimestamp("20091012T175030Z"), 1255369830000);
  EXPECT_EQ(ParseTimestamp("Wed, 21 Oct 2015 07:28:00 GMT"), 1445412480000);
  EXPECT_EQ(ParseTimestamp("1445412480"), 1445412480000);
  EXPECT_EQ(ParseTimestamp("1445412480.25"), 1445412480250);
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp("2009-13-12T17:50:30Z"));
  EXPECT_FALSE(ParseTimestamp(""));
}

TEST(Wire, Base64AndPercent) {
  // Blobs on the wire: the one codec (common/encoding.hpp) with the wire's lenient options.
  EXPECT_EQ(cenote::Base64Decode("Zm9vYg==", kWireBase64), "foob");
  EXPECT_EQ(cenote::Base64Decode("Zm9vYg", kWireBase64), "foob");
  EXPECT_EQ(cenote::Base64Decode("Zm9v\nYg==", kWireBase64), "foob");
  EXPECT_EQ(cenote::Base64Decode("-_8=", kWireBase64), "\xfb\xff");
  EXPECT_FALSE(cenote::Base64Decode("Zm9v!", kWireBase64));
  EXPECT_FALSE(cenote::Base64Decode("Zg==Zg", kWireBase64));
  EXPECT_EQ(PercentDecode("a%2Fb+c%zz%4", false), "a/b+c%zz%4");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentEncode("a b/~"), "a%20b%2F~");
  auto q = ParseQueryString("a=1&b&c=%20x&&d=");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[1].first, "b");
  EXPECT_EQ(q[2].second, " x");
}

}  // namespace
}  // namespace cenote::aws::protocol::wire
