// Partition projection (src/services/athena/partition_projection.cpp): partitions from projection.* table
// properties, as Athena computes them.
#include "services/athena/partition_projection.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace cenote::athena {
namespace {

namespace json = boost::json;

json::object Table(const std::vector<std::string>& keys, json::object params,
                   const std::string& location = "s3://lake/logs/") {
  json::array pk;
  for (const std::string& k : keys) pk.push_back(json::object{{"Name", k}, {"Type", "string"}});
  params["projection.enabled"] = "true";
  return json::object{{"Name", "t"},
                      {"PartitionKeys", pk},
                      {"Parameters", std::move(params)},
                      {"StorageDescriptor", json::object{{"Location", location}}}};
}

const ListKeys kNoListing = [](const std::string&) -> Result<std::vector<std::string>> {
  return std::vector<std::string>{};
};

// 2026-12-06 12:34:56 UTC
constexpr std::int64_t kNowMs = 1796560496000;

std::vector<std::string> Locations(const std::vector<query::PartitionBinding>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.location);
  return out;
}

TEST(PartitionProjection, JavaDatePatterns) {
  EXPECT_EQ(FormatJavaDate("yyyy-MM-dd", 1796560496), "2026-12-06");
  EXPECT_EQ(FormatJavaDate("yyyy/MM/dd/HH", 1796560496), "2026/12/06/12");
  EXPECT_EQ(FormatJavaDate("'dt='yyyyMMdd'T'HHmmss", 1796560496), "dt=20261206T123456");
  EXPECT_EQ(FormatJavaDate("yy-M-d", 1796560496), "26-12-6");
  EXPECT_EQ(ParseJavaDate("yyyy-MM-dd", "2026-12-06"), 1796515200);
  EXPECT_EQ(ParseJavaDate("yyyyMMddHH", "2026120612"), 1796558400);
  EXPECT_EQ(ParseJavaDate("yyyy-MM-dd", "2026-02-30"), std::nullopt);
  EXPECT_EQ(ParseJavaDate("yyyy-MM-dd", "2026-12-6"), std::nullopt);
  EXPECT_EQ(ParseJavaDate("yyyy-MM-dd", "2026-12-06x"), std::nullopt);
}

TEST(PartitionProjection, IntegerEnumAndDateWithTheDefaultLayout) {
  auto parts = ProjectPartitions(
      Table({"region", "day", "shard"}, json::object{{"projection.region.type", "enum"},
                                                     {"projection.region.values", "eu,us"},
                                                     {"projection.day.type", "date"},
                                                     {"projection.day.range", "2026-12-04,NOW"},
                                                     {"projection.day.format", "yyyy-MM-dd"},
                                                     {"projection.shard.type", "integer"},
                                                     {"projection.shard.range", "1,5"},
                                                     {"projection.shard.interval", "2"},
                                                     {"projection.shard.digits", "2"}}),
      kNowMs, kNoListing);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u * 3u * 3u);
  EXPECT_EQ((*parts)[0].values, (std::vector<std::string>{"eu", "2026-12-04", "01"}));
  EXPECT_EQ((*parts)[0].location, "s3://lake/logs/region=eu/day=2026-12-04/shard=01/");
  EXPECT_EQ((*parts)[1].values, (std::vector<std::string>{"eu", "2026-12-04", "03"}));
  EXPECT_EQ(parts->back().values, (std::vector<std::string>{"us", "2026-12-06", "05"}));
}

TEST(PartitionProjection, TemplateRelativeRangesAndUnits) {
  auto parts =
      ProjectPartitions(Table({"hour"}, json::object{{"projection.hour.type", "date"},
                                                     {"projection.hour.range", "NOW-3HOURS,NOW"},
                                                     {"projection.hour.format", "yyyy/MM/dd/HH"},
                                                     {"storage.location.template", "s3://raw/cf/${hour}"}}),
                        kNowMs, kNoListing);
  ASSERT_TRUE(parts) << parts.error().message;
  EXPECT_EQ(Locations(*parts),
            (std::vector<std::string>{"s3://raw/cf/2026/12/06/09/", "s3://raw/cf/2026/12/06/10/",
                                      "s3://raw/cf/2026/12/06/11/", "s3://raw/cf/2026/12/06/12/"}));
  // Months step by the calendar; a format without days defaults to months.
  auto months = ProjectPartitions(Table({"m"}, json::object{{"projection.m.type", "date"},
                                                            {"projection.m.range", "2026-10,2027-01"},
                                                            {"projection.m.format", "yyyy-MM"}}),
                                  kNowMs, kNoListing);
  ASSERT_TRUE(months) << months.error().message;
  ASSERT_EQ(months->size(), 4u);
  EXPECT_EQ(months->back().values[0], "2027-01");
}

TEST(PartitionProjection, InjectedValuesComeFromTheObjectsThere) {
  std::string listed_prefix;
  ListKeys list = [&](const std::string& prefix) -> Result<std::vector<std::string>> {
    listed_prefix = prefix;
    return std::vector<std::string>{"s3://lake/dev/d1/2026/a.json", "s3://lake/dev/d2/2026/b.json",
                                    "s3://lake/dev/d1/2025/c.json", "s3://lake/dev/readme.txt"};
  };
  auto parts = ProjectPartitions(
      Table({"device", "year"},
            json::object{{"projection.device.type", "injected"},
                         {"projection.year.type", "integer"},
                         {"projection.year.range", "2025,2026"},
                         {"storage.location.template", "s3://lake/dev/${device}/${year}/"}}),
      kNowMs, list);
  ASSERT_TRUE(parts) << parts.error().message;
  EXPECT_EQ(listed_prefix, "s3://lake/dev/");
  EXPECT_EQ(Locations(*parts),
            (std::vector<std::string>{"s3://lake/dev/d1/2025/", "s3://lake/dev/d1/2026/",
                                      "s3://lake/dev/d2/2025/", "s3://lake/dev/d2/2026/"}));
}

TEST(PartitionProjection, MisconfiguredTablesAreErrors) {
  auto err = [](json::object params) {
    auto r = ProjectPartitions(Table({"p"}, std::move(params)), kNowMs, kNoListing);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error().code + ": " + r.error().message;
  };
  EXPECT_NE(err(json::object{}).find("projection.p.type is missing"), std::string::npos);
  EXPECT_NE(err(json::object{{"projection.p.type", "integer"}}).find("projection.p.range is missing"),
            std::string::npos);
  EXPECT_NE(err(json::object{{"projection.p.type", "integer"}, {"projection.p.range", "a,9"}})
                .find("HIVE_INVALID_METADATA"),
            std::string::npos);
  EXPECT_NE(err(json::object{{"projection.p.type", "date"},
                             {"projection.p.range", "2026-01-01,NOW"},
                             {"projection.p.format", "yyyy-MM-dd EEE"}})
                .find("Unsupported date format letter 'E'"),
            std::string::npos);
  EXPECT_NE(
      err(json::object{{"projection.p.type", "random"}}).find("expected integer, enum, date or injected"),
      std::string::npos);
  EXPECT_EQ(err(json::object{{"projection.p.type", "integer"}, {"projection.p.range", "0,999999999"}})
                .rfind("HIVE_EXCEEDED_PARTITION_LIMIT", 0),
            0u);
}

}  // namespace
}  // namespace cenote::athena
