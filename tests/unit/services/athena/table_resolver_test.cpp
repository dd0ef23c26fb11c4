#include "services/athena/table_resolver.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fakes.hpp"
#include "store/metadata_store.hpp"

namespace cenote::athena {
namespace {

namespace json = boost::json;
using testing::FakeLake;
using testing::TempDir;

json::object Table(const std::string& serde, json::object serde_params, json::object table_params = {},
                   const std::string& input_format = "") {
  json::object sd{
      {"Columns", json::array{json::object{{"Name", "A"}, {"Type", "INT"}},
                              json::object{{"Name", "b"}, {"Type", "string"}}}},
      {"Location", "s3://bucket/t/"},
      {"SerdeInfo", json::object{{"SerializationLibrary", serde}, {"Parameters", std::move(serde_params)}}}};
  if (!input_format.empty()) sd["InputFormat"] = input_format;
  return json::object{{"Name", "T"},
                      {"TableType", "EXTERNAL_TABLE"},
                      {"Parameters", std::move(table_params)},
                      {"StorageDescriptor", std::move(sd)},
                      {"PartitionKeys", json::array{json::object{{"Name", "year"}, {"Type", "string"}}}}};
}

TEST(TableBindingTest, LazySimpleSerDeDefaultsToCtrlA) {
  auto b = TableBindingFromGlue(Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {}), "DB");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->database, "db");
  EXPECT_EQ(b->name, "t");
  EXPECT_EQ(b->format, query::FileFormat::kCsv);
  EXPECT_EQ(b->delimiter, std::string(1, '\001'));
  EXPECT_EQ(b->null_string, "\\N");
  EXPECT_EQ(b->quote, "");
  ASSERT_EQ(b->columns.size(), 2u);
  EXPECT_EQ(b->columns[0].name, "a");
  EXPECT_EQ(b->columns[0].type, "int");
  ASSERT_EQ(b->partition_keys.size(), 1u);
  EXPECT_EQ(b->partition_keys[0].name, "year");
}

TEST(TableBindingTest, LazySimpleSerDeParameters) {
  auto b = TableBindingFromGlue(
      Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            {{"field.delim", "|"}, {"escape.delim", "\\"}, {"serialization.null.format", ""}},
            {{"skip.header.line.count", "1"}}),
      "db");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->delimiter, "|");
  EXPECT_EQ(b->escape, "\\");
  EXPECT_EQ(b->null_string, "");
  EXPECT_EQ(b->skip_header_lines, 1);
  // serialization.format is Hive's byte code when numeric: "9" is a tab.
  auto tab = TableBindingFromGlue(
      Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {{"serialization.format", "9"}}), "db");
  EXPECT_EQ(tab->delimiter, "\t");
  auto comma = TableBindingFromGlue(
      Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {{"serialization.format", ","}}), "db");
  EXPECT_EQ(comma->delimiter, ",");
}

TEST(TableBindingTest, OpenCsvSerde) {
  auto b = TableBindingFromGlue(Table("org.apache.hadoop.hive.serde2.OpenCSVSerde", {}), "db");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->format, query::FileFormat::kCsv);
  EXPECT_EQ(b->delimiter, ",");
  EXPECT_EQ(b->quote, "\"");
  EXPECT_EQ(b->escape, "\\");
  auto custom = TableBindingFromGlue(
      Table("org.apache.hadoop.hive.serde2.OpenCSVSerde", {{"separatorChar", ";"}, {"quoteChar", "'"}}),
      "db");
  EXPECT_EQ(custom->delimiter, ";");
  EXPECT_EQ(custom->quote, "'");
}

TEST(TableBindingTest, JsonParquetOrc) {
  EXPECT_EQ(TableBindingFromGlue(Table("org.openx.data.jsonserde.JsonSerDe", {}), "db")->format,
            query::FileFormat::kJson);
  EXPECT_EQ(TableBindingFromGlue(Table("org.apache.hive.hcatalog.data.JsonSerDe", {}), "db")->format,
            query::FileFormat::kJson);
  EXPECT_EQ(
      TableBindingFromGlue(Table("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", {}), "db")
          ->format,
      query::FileFormat::kParquet);
  EXPECT_EQ(TableBindingFromGlue(
                Table("", {}, {}, "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"), "db")
                ->format,
            query::FileFormat::kParquet);
  EXPECT_EQ(TableBindingFromGlue(Table("org.apache.hadoop.hive.ql.io.orc.OrcSerde", {}), "db")->format,
            query::FileFormat::kOrc);
  EXPECT_EQ(TableBindingFromGlue(Table("", {}, {{"classification", "json"}}), "db")->format,
            query::FileFormat::kJson);
  auto csv = TableBindingFromGlue(Table("", {}, {{"classification", "csv"}}), "db");
  EXPECT_EQ(csv->format, query::FileFormat::kCsv);
  EXPECT_EQ(csv->delimiter, ",");
  EXPECT_EQ(TableBindingFromGlue(Table("org.apache.hadoop.hive.serde2.avro.AvroSerDe", {}), "db")->format,
            query::FileFormat::kAvro);
  EXPECT_EQ(TableBindingFromGlue(
                Table("", {}, {}, "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat"), "db")
                ->format,
            query::FileFormat::kAvro);
  auto unknown = TableBindingFromGlue(Table("com.example.NoSuchSerDe", {}), "db");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "HIVE_UNSUPPORTED_FORMAT");
}

TEST(TableBindingTest, OpenXJsonSerDeOptions) {
  auto defaults = TableBindingFromGlue(Table("org.openx.data.jsonserde.JsonSerDe", {}), "db");
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->json_case_insensitive);
  EXPECT_FALSE(defaults->json_ignore_malformed);
  EXPECT_FALSE(defaults->json_dots_in_keys);
  EXPECT_TRUE(defaults->json_mapping.empty());
  auto b =
      TableBindingFromGlue(Table("org.openx.data.jsonserde.JsonSerDe", {{"case.insensitive", "FALSE"},
                                                                        {"ignore.malformed.json", "true"},
                                                                        {"dots.in.keys", "true"},
                                                                        {"mapping.ts", "@timestamp"}}),
                           "db");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->json_case_insensitive);
  EXPECT_TRUE(b->json_ignore_malformed);
  EXPECT_TRUE(b->json_dots_in_keys);
  ASSERT_EQ(b->json_mapping.size(), 1u);
  EXPECT_EQ(b->json_mapping[0].first, "ts");
  EXPECT_EQ(b->json_mapping[0].second, "@timestamp");
  // Hive's JsonSerDe has none of these options.
  auto hive = TableBindingFromGlue(
      Table("org.apache.hive.hcatalog.data.JsonSerDe", {{"ignore.malformed.json", "true"}}), "db");
  EXPECT_FALSE(hive->json_ignore_malformed);
}

TEST(TableBindingTest, LazySimpleSerDeCollectionDelimiters) {
  auto defaults = TableBindingFromGlue(Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {}), "db");
  EXPECT_EQ(defaults->collection_delimiter, std::string(1, '\002'));
  EXPECT_EQ(defaults->map_key_delimiter, std::string(1, '\003'));
  auto b = TableBindingFromGlue(Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                                      {{"collection.delim", "|"}, {"mapkey.delim", ":"}}),
                                "db");
  EXPECT_EQ(b->collection_delimiter, "|");
  EXPECT_EQ(b->map_key_delimiter, ":");
}

TEST(TableBindingTest, PrestoView) {
  json::object view{{"originalSql", "SELECT 1 AS x"}, {"catalog", "awsdatacatalog"}, {"schema", "db"}};
  std::string text = EncodePrestoView(view);
  EXPECT_EQ(text.rfind("/* Presto View: ", 0), 0u);
  json::object t{{"Name", "v"}, {"TableType", "VIRTUAL_VIEW"}, {"ViewOriginalText", text}};
  auto b = TableBindingFromGlue(t, "db");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->is_view);
  EXPECT_EQ(b->view_sql, "SELECT 1 AS x");
  t["ViewOriginalText"] = "/* Presto View: !!! */";
  EXPECT_FALSE(TableBindingFromGlue(t, "db").ok());
}

TEST(S3UrlTest, Parses) {
  auto u = ParseS3Url("s3://bucket/a/b/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->bucket, "bucket");
  EXPECT_EQ(u->key, "a/b/");
  EXPECT_EQ(ParseS3Url("s3://bucket")->key, "");
  EXPECT_FALSE(ParseS3Url("http://x/y"));
  EXPECT_FALSE(ParseS3Url("s3:///key"));
  EXPECT_EQ(AsFolder("s3://b/p"), "s3://b/p/");
}

class ResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto catalog = glue::Catalog::Open(*store_, "123456789012", "us-east-1");
    ASSERT_TRUE(catalog.ok()) << catalog.error().message;
    glue_ = std::move(*catalog);
    catalog_ = glue_->ForRegion("123456789012", "us-east-1");
    ASSERT_TRUE(catalog_->CreateDatabase(json::object{{"Name", "db"}}).ok());
    lake_ = std::make_unique<FakeLake>(dir_ / "lake", store_.get());
  }

  TempDir dir_;
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<glue::Catalog> glue_;
  std::unique_ptr<glue::RegionalCatalog> catalog_;
  std::unique_ptr<FakeLake> lake_;
};

TEST_F(ResolverTest, DescribeNotFound) {
  CatalogTableResolver resolver(*catalog_, *lake_);
  auto t = resolver.Describe("db", "Missing");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "TABLE_NOT_FOUND");
  EXPECT_EQ(t.error().message, "Table 'awsdatacatalog.db.missing' does not exist");
  auto s = resolver.Describe("nodb", "t");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "SCHEMA_NOT_FOUND");
  EXPECT_EQ(s.error().message, "Schema 'nodb' does not exist");
}

TEST_F(ResolverTest, PartitionsAndFiles) {
  json::object input = Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {{"field.delim", ","}});
  input["Name"] = "t";
  ASSERT_TRUE(catalog_->CreateTable("db", input).ok());
  for (const char* year : {"2024", "2023"}) {
    json::object sd = input["StorageDescriptor"].as_object();
    sd["Location"] = std::string("s3://bucket/t/year=") + year + "/";
    ASSERT_TRUE(catalog_
                    ->CreatePartition("db", "t",
                                      json::object{{"Values", json::array{year}}, {"StorageDescriptor", sd}})
                    .ok());
  }
  lake_->Put("bucket", "t/year=2024/a.csv", "1,x\n");
  lake_->Put("bucket", "t/year=2024/sub/b.csv", "2,y\n");
  lake_->Put("bucket", "t/year=2024/_SUCCESS", "");
  lake_->Put("bucket", "t/year=2024/.hidden", "junk");
  lake_->Put("bucket", "t/year=2024/_tmp/c.csv", "junk");
  lake_->Put("bucket", "t/year=2024/folder/", "");
  lake_->Put("bucket", "t/year=2024_$folder$", "");
  lake_->Put("bucket", "t/year=2024/empty.csv", "");
  lake_->Put("bucket", "t/year=20245/other.csv", "3,z\n");

  CatalogTableResolver resolver(*catalog_, *lake_);
  auto binding = resolver.Describe("DB", "T");
  ASSERT_TRUE(binding.ok()) << binding.error().message;
  auto parts = resolver.Partitions(*binding);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  std::map<std::string, std::string> by_value;
  for (const auto& p : *parts) by_value[p.values.at(0)] = p.location;
  EXPECT_EQ(by_value["2024"], "s3://bucket/t/year=2024/");
  EXPECT_EQ(by_value["2023"], "s3://bucket/t/year=2023/");

  query::PartitionBinding p2024{{"2024"}, "s3://bucket/t/year=2024/"};
  auto files = resolver.Files(*binding, p2024);
  ASSERT_TRUE(files.ok()) << files.error().message;
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ(testing::ReadFile((*files)[0].path), "1,x\n");
  EXPECT_EQ((*files)[0].size, 4u);
  EXPECT_EQ(testing::ReadFile((*files)[1].path), "2,y\n");

  std::string leak = "HIVE_BAD_DATA: bad file '" + (*files)[1].path + "'";
  EXPECT_EQ(resolver.ScrubPaths(leak), "HIVE_BAD_DATA: bad file 's3://bucket/t/year=2024/sub/b.csv'");

  query::PartitionBinding missing_bucket{{"x"}, "s3://nobucket/t/"};
  auto err = resolver.Files(*binding, missing_bucket);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.error().code, "NoSuchBucket");
}

TEST_F(ResolverTest, UnpartitionedTableIsOnePartition) {
  json::object input = Table("org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe", {});
  input["Name"] = "flat";
  input["PartitionKeys"] = json::array{};
  ASSERT_TRUE(catalog_->CreateTable("db", input).ok());
  CatalogTableResolver resolver(*catalog_, *lake_);
  auto binding = resolver.Describe("db", "flat");
  ASSERT_TRUE(binding.ok());
  auto parts = resolver.Partitions(*binding);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_TRUE((*parts)[0].values.empty());
  EXPECT_EQ((*parts)[0].location, "s3://bucket/t/");
}

}  // namespace
}  // namespace cenote::athena
