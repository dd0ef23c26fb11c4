#include "services/glue/crawler/layout.hpp"

#include <gtest/gtest.h>

namespace cenote::glue::crawler {
namespace {

TEST(CrawlerLayoutTest, ParsesS3Paths) {
  auto p = ParseS3Path("s3://bucket/a/b");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->bucket, "bucket");
  EXPECT_EQ(p->prefix, "a/b/");
  p = ParseS3Path("S3://bucket");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->prefix, "");
  p = ParseS3Path("s3://bucket/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->prefix, "");
  EXPECT_FALSE(ParseS3Path("s3://"));
  EXPECT_FALSE(ParseS3Path("http://bucket/a"));
  EXPECT_FALSE(ParseS3Path("bucket/a"));
}

TEST(CrawlerLayoutTest, GlobsFollowAwsExcludePatterns) {
  EXPECT_TRUE(GlobMatch("*.csv", "a.csv"));
  EXPECT_FALSE(GlobMatch("*.csv", "dir/a.csv"));
  EXPECT_TRUE(GlobMatch("**.csv", "dir/a.csv"));
  EXPECT_TRUE(GlobMatch("departments/**", "departments/x/y.json"));
  EXPECT_FALSE(GlobMatch("departments/**", "employees/x.json"));
  EXPECT_TRUE(GlobMatch("year=202?/**", "year=2024/m/a.csv"));
  EXPECT_TRUE(GlobMatch("**/{tmp,bak}/*", "a/b/tmp/x"));
  EXPECT_TRUE(GlobMatch("**/{tmp,bak}/*", "a/bak/x"));
  EXPECT_FALSE(GlobMatch("**/{tmp,bak}/*", "a/old/x"));
  EXPECT_TRUE(GlobMatch("[a-c]*.txt", "b1.txt"));
  EXPECT_FALSE(GlobMatch("[!a-c]*.txt", "b1.txt"));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_FALSE(GlobMatch("[abc", "a"));
}

TEST(CrawlerLayoutTest, IgnoresHiddenFilesAndFolderMarkers) {
  EXPECT_TRUE(IsIgnoredKey("_SUCCESS", 0));
  EXPECT_TRUE(IsIgnoredKey("x/.hidden.csv", 10));
  EXPECT_TRUE(IsIgnoredKey("_temporary/0/part.csv", 10));
  EXPECT_TRUE(IsIgnoredKey("folder/", 0));
  EXPECT_TRUE(IsIgnoredKey("folder_$folder$", 0));
  EXPECT_FALSE(IsIgnoredKey("year=2024/part-0.csv", 10));
  EXPECT_FALSE(IsIgnoredKey("a_b/c.csv", 10));
}

TEST(CrawlerLayoutTest, TableNames) {
  EXPECT_EQ(TableName("", "Sales-Data 2024"), "sales_data_2024");
  EXPECT_EQ(TableName("raw_", "orders.csv"), "raw_orders_csv");
  EXPECT_EQ(TableName("P-", "x"), "p_x");
}

TEST(CrawlerLayoutTest, WidensTypes) {
  EXPECT_EQ(WidenType("int", "bigint"), "bigint");
  EXPECT_EQ(WidenType("bigint", "int"), "bigint");
  EXPECT_EQ(WidenType("bigint", "double"), "double");
  EXPECT_EQ(WidenType("double", "int"), "double");
  EXPECT_EQ(WidenType("boolean", "bigint"), "string");
  EXPECT_EQ(WidenType("string", "bigint"), "string");
  EXPECT_EQ(WidenType("date", "date"), "date");
}

FileSchema Csv(std::vector<std::string> names, std::string type = "bigint") {
  FileSchema s{"csv", "csv|,|header", {}};
  for (auto& n : names) s.columns.push_back({n, type});
  return s;
}

TEST(CrawlerLayoutTest, MergesAndComparesSchemas) {
  auto a = Csv({"id", "name", "amount"});
  auto b = Csv({"id", "name", "amount", "discount"});
  b.columns[1].type = "string";
  EXPECT_TRUE(Compatible(a, b, false));
  auto m = MergeSchemas(a, b);
  ASSERT_EQ(m.columns.size(), 4u);
  EXPECT_EQ(m.columns[1].type, "string");
  EXPECT_EQ(m.columns[3].name, "discount");
  EXPECT_FALSE(Compatible(a, Csv({"id", "email"}), false));
  EXPECT_TRUE(Compatible(a, Csv({"id", "email"}), true));
  FileSchema json{"json", "json", a.columns};
  EXPECT_FALSE(Compatible(a, json, true));
}

LayoutFile File(const std::string& prefix, const std::string& rel, std::optional<FileSchema> schema,
                bool sampled = true) {
  LayoutFile f;
  f.key = prefix + rel;
  f.size = 10;
  std::string_view r = rel;
  for (auto slash = r.find('/'); slash != std::string_view::npos; slash = r.find('/')) {
    f.folders.emplace_back(r.substr(0, slash));
    r.remove_prefix(slash + 1);
  }
  f.sampled = sampled;
  f.schema = std::move(schema);
  return f;
}

TEST(CrawlerLayoutTest, HivePartitionsBecomeOneTable) {
  S3Path inc{"lake", "sales/"};
  std::vector<LayoutFile> files = {
      File("sales/", "year=2023/month=1/a.csv", Csv({"id", "amount"})),
      File("sales/", "year=2023/month=2/a.csv", Csv({"id", "amount"})),
      File("sales/", "year=2024/month=1/b.csv", Csv({"id", "amount", "note"})),
      File("sales/", "year=2024/month=1/c.csv", std::nullopt, false),
  };
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 1u);
  const auto& t = tables[0];
  EXPECT_EQ(t.name, "sales");
  EXPECT_EQ(t.prefix, "sales/");
  EXPECT_EQ(t.partition_keys, (std::vector<std::string>{"year", "month"}));
  ASSERT_EQ(t.partitions.size(), 3u);
  EXPECT_EQ(t.partitions[0].values, (std::vector<std::string>{"2023", "1"}));
  EXPECT_EQ(t.partitions[0].prefix, "sales/year=2023/month=1/");
  EXPECT_EQ(t.partitions[2].files.size(), 2u);
  ASSERT_EQ(t.schema.columns.size(), 3u);
  EXPECT_EQ(t.schema.columns[2].name, "note");
  EXPECT_EQ(t.files.size(), 4u);
}

TEST(CrawlerLayoutTest, IncompatibleFoldersBecomeTablesAndUnnamedFoldersPartitions) {
  S3Path inc{"lake", ""};
  std::vector<LayoutFile> files = {
      File("", "orders/2024/01/a.csv", Csv({"order_id", "amount", "customer"})),
      File("", "orders/2024/02/a.csv", Csv({"order_id", "amount", "customer"})),
      File("", "customers/c.json", FileSchema{"json", "json", {{"id", "bigint"}, {"email", "string"}}}),
      File("", "readme.txt", std::nullopt),
  };
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "customers");
  EXPECT_TRUE(tables[0].partition_keys.empty());
  ASSERT_EQ(tables[0].partitions.size(), 1u);
  EXPECT_TRUE(tables[0].partitions[0].values.empty());
  EXPECT_EQ(tables[1].name, "orders");
  EXPECT_EQ(tables[1].prefix, "orders/");
  EXPECT_EQ(tables[1].partition_keys, (std::vector<std::string>{"partition_0", "partition_1"}));
  EXPECT_EQ(tables[1].partitions[1].values, (std::vector<std::string>{"2024", "02"}));
}

TEST(CrawlerLayoutTest, CompatibleSiblingFoldersArePartitionsOfTheIncludePathTable) {
  S3Path inc{"lake", "data/"};
  std::vector<LayoutFile> files = {
      File("data/", "east/a.csv", Csv({"id", "amount"})),
      File("data/", "west/b.csv", Csv({"id", "amount"})),
  };
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "data");
  EXPECT_EQ(tables[0].partition_keys, (std::vector<std::string>{"partition_0"}));
}

TEST(CrawlerLayoutTest, SingleFolderChainHandsTheTableDown) {
  S3Path inc{"lake", ""};
  std::vector<LayoutFile> files = {
      File("", "sales/year=2024/a.csv", Csv({"id", "amount"})),
      File("", "sales/year=2025/a.csv", Csv({"id", "amount"})),
  };
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "sales");
  EXPECT_EQ(tables[0].prefix, "sales/");
  EXPECT_EQ(tables[0].partition_keys, (std::vector<std::string>{"year"}));
}

TEST(CrawlerLayoutTest, IncludePathHoldingFilesIsOneTable) {
  S3Path inc{"lake", "logs/"};
  std::vector<LayoutFile> files = {
      File("logs/", "a.csv", Csv({"id", "amount"})),
      File("logs/", "b.csv", Csv({"id", "amount"})),
  };
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].name, "logs");
  EXPECT_TRUE(tables[0].partition_keys.empty());
}

TEST(CrawlerLayoutTest, IncompatibleFilesInOneFolderAreTablesOfTheirOwn) {
  S3Path inc{"lake", "mixed/"};
  std::vector<LayoutFile> files = {
      File("mixed/", "a.csv", Csv({"id", "amount"})),
      File("mixed/", "b.json", FileSchema{"json", "json", {{"x", "string"}}}),
  };
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "a.csv");
  EXPECT_TRUE(tables[0].single_file);
  EXPECT_EQ(tables[0].prefix, "mixed/a.csv");
  EXPECT_EQ(tables[1].name, "b.json");
}

TEST(CrawlerLayoutTest, TableLevelConfigurationFixesTheTableDepth) {
  S3Path inc{"lake", "data/"};
  std::vector<LayoutFile> files = {
      File("data/", "east/a.csv", Csv({"id", "amount"})),
      File("data/", "west/b.csv", Csv({"id", "amount"})),
  };
  GroupingOptions opts;
  opts.table_level = 3;  // lake=1, data=2, east/west=3
  auto tables = GroupTables(inc, files, opts);
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "east");
  EXPECT_EQ(tables[1].name, "west");
}

TEST(CrawlerLayoutTest, CombineCompatibleSchemasIgnoresColumnNames) {
  S3Path inc{"lake", "data/"};
  std::vector<LayoutFile> files = {
      File("data/", "a/x.csv", Csv({"id", "amount"})),
      File("data/", "b/y.csv", Csv({"k", "v"})),
  };
  EXPECT_EQ(GroupTables(inc, files, {}).size(), 2u);
  GroupingOptions opts;
  opts.combine_compatible_schemas = true;
  auto tables = GroupTables(inc, files, opts);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].schema.columns.size(), 4u);
}

TEST(CrawlerLayoutTest, PartitionColumnsAreDroppedFromData) {
  S3Path inc{"lake", "t/"};
  std::vector<LayoutFile> files = {
      File("t/", "year=2024/a.parquet", FileSchema{"parquet", "parquet", {{"id", "int"}, {"year", "int"}}})};
  auto tables = GroupTables(inc, files, {});
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(tables[0].schema.columns.size(), 1u);
  EXPECT_EQ(tables[0].schema.columns[0].name, "id");
}

}  // namespace
}  // namespace cenote::glue::crawler
