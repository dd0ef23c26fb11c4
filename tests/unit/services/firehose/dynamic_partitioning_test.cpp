// The JQ subset of MetadataExtractionQuery (internal functions of the Firehose provider).
#include <gtest/gtest.h>

#include "services/firehose/internal.hpp"

namespace cenote::firehose {
namespace {

std::map<std::string, std::string> Eval(std::string_view query, std::string_view record) {
  auto q = ParsePartitionQuery(query);
  EXPECT_TRUE(q.ok()) << query << ": " << (q.ok() ? "" : q.error().message);
  if (!q.ok()) return {};
  auto r = EvaluatePartitionQuery(*q, record);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::map<std::string, std::string>{};
}

TEST(FirehoseJq, PathsAndShorthand) {
  auto k = Eval("{customer_id: .customer_id, region: .geo.region, first: .tags[0]}",
                R"({"customer_id":"c1","geo":{"region":"eu"},"tags":["x","y"]})");
  EXPECT_EQ(k["customer_id"], "c1");
  EXPECT_EQ(k["region"], "eu");
  EXPECT_EQ(k["first"], "x");
  k = Eval("{id, n: .count}", R"({"id":7,"count":1.5})");
  EXPECT_EQ(k["id"], "7");
  EXPECT_EQ(k["n"], "1.5");
  k = Eval(R"({"k": .["odd key"]})", R"({"odd key":"v"})");
  EXPECT_EQ(k["k"], "v");
}

TEST(FirehoseJq, Functions) {
  // 1772600767 = 2026-03-04T05:06:07Z
  auto k = Eval(R"({year: .ts | strftime("%Y"), day: .ts|strftime("%m-%d"), up: .name | ascii_upcase,
                    low: .name|ascii_downcase, pre: .name[0:2], t: .ts|todate})",
                R"({"ts":1772600767,"name":"MixEd"})");
  EXPECT_EQ(k["year"], "2026");
  EXPECT_EQ(k["day"], "03-04");
  EXPECT_EQ(k["up"], "MIXED");
  EXPECT_EQ(k["low"], "mixed");
  EXPECT_EQ(k["pre"], "Mi");
  EXPECT_EQ(k["t"], "2026-03-04T05:06:07Z");
  k = Eval(R"({d: .date | split("-") | .[0], s: .x | ltrimstr("id-")})",
           R"({"date":"2024-01-02","x":"id-9"})");
  EXPECT_EQ(k["d"], "2024");
  EXPECT_EQ(k["s"], "9");
}

TEST(FirehoseJq, FailuresAndUnsupportedSyntax) {
  auto q = ParsePartitionQuery("{id: .id}");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(EvaluatePartitionQuery(*q, "not json").error().code,
            "DynamicPartitioning.MetadataExtractionFailed");
  EXPECT_FALSE(EvaluatePartitionQuery(*q, R"({"other":1})").ok());
  EXPECT_FALSE(EvaluatePartitionQuery(*q, R"({"id":{"a":1}})").ok());
  EXPECT_FALSE(ParsePartitionQuery(".id").ok());
  EXPECT_FALSE(ParsePartitionQuery("{id: .id | env}").ok());
  EXPECT_FALSE(ParsePartitionQuery("{id: .id,").ok());
  EXPECT_EQ(ParsePartitionQuery("{}").error().code, "InvalidArgumentException");
}

}  // namespace
}  // namespace cenote::firehose
