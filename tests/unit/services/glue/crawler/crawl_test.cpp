#include "services/glue/crawler/crawl.hpp"

#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "../../../store/temp_dir.hpp"
#include "compressed_bytes.hpp"
#include "fakes.hpp"

namespace cenote::glue::crawler {
namespace {

namespace json = boost::json;
using store::testing::TempDir;
using testing::AllPartitions;
using testing::DirectoryLake;
using testing::Gzip;
using testing::TableVersionCount;
using testing::Zstd;

std::string Str(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : "<absent>";
}
const json::object& Obj(const json::object& o, std::string_view key) { return o.at(key).as_object(); }

std::vector<std::string> ColumnNames(const json::object& table) {
  std::vector<std::string> out;
  for (const auto& c : Obj(table, "StorageDescriptor").at("Columns").as_array()) {
    out.push_back(std::string(c.as_object().at("Name").as_string()));
  }
  return out;
}

std::string ColumnType(const json::object& table, const std::string& name) {
  for (const auto& c : Obj(table, "StorageDescriptor").at("Columns").as_array()) {
    if (c.as_object().at("Name").as_string() == name)
      return std::string(c.as_object().at("Type").as_string());
  }
  return "<absent>";
}

class CrawlerCrawlTest : public ::testing::Test {
 protected:
  CrawlerCrawlTest() : lake_(dir_.path()) {
    std::filesystem::create_directories(dir_ / "lake");
    def_.name = "crawler1";
    def_.database = "db";
  }

  Result<CrawlResult> Crawl(const std::string& path, std::vector<std::string> exclusions = {}) {
    def_.targets = {S3TargetDefinition{path, std::move(exclusions), 0}};
    CrawlDependencies deps{*catalog_, lake_, *engine_};
    auto r = RunCrawl(def_, deps, stop_, crawled_);
    if (r) crawled_.insert(r->crawled_folders.begin(), r->crawled_folders.end());
    if (r) {
      for (const auto& m : r->messages) std::cerr << "crawl: " << m << "\n";
    }
    return r;
  }

  json::object Table(const std::string& name) {
    auto t = catalog_->GetTable("db", name);
    EXPECT_TRUE(t) << name << ": " << (t ? "" : t.error().message);
    return t ? *t : json::object();
  }

  void WriteParquet(const std::string& key, const std::string& select) {
    std::string path = lake_.PathOf("lake", key);
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    auto r = engine_->ExecuteTrusted("COPY (" + select + ") TO " + SqlQuote(path) + " (FORMAT parquet)");
    ASSERT_TRUE(r) << r.error().message;
  }

  TempDir dir_;
  DirectoryLake lake_;
  std::unique_ptr<store::MetadataStore> metadata_ = testing::OpenSqliteMetadata(dir_ / "meta.db");
  testing::TestCatalog catalog_ = testing::OpenCatalog(*metadata_);
  std::unique_ptr<query::QueryEngine> engine_ = testing::OpenEngine(dir_ / "lake", dir_ / "scratch");
  CrawlDefinition def_;
  std::atomic<bool> stop_{false};
  std::set<std::string> crawled_;
};

TEST_F(CrawlerCrawlTest, ClassifiesCsvWithHeader) {
  lake_.Put("lake", "a.csv", "id,name,amount,ok\n1,alice,3.5,true\n2,bob,4,false\n");
  auto c = ClassifyFile(*engine_, lake_.PathOf("lake", "a.csv"), 10);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_TRUE(*c);
  const auto& s = (*c)->schema;
  EXPECT_EQ(s.classification, "csv");
  EXPECT_TRUE(s.header);
  ASSERT_EQ(s.columns.size(), 4u);
  EXPECT_EQ(s.columns[0].name, "id");
  EXPECT_EQ(s.columns[0].type, "bigint");
  EXPECT_EQ(s.columns[1].type, "string");
  EXPECT_EQ(s.columns[2].type, "double");
  EXPECT_EQ(s.columns[3].type, "boolean");
  EXPECT_EQ((*c)->records, 2u);
}

TEST_F(CrawlerCrawlTest, ClassifiesHeaderlessTsvGzipZstdJsonAndParquet) {
  lake_.Put("lake", "t.tsv", "1\tx\n2\ty\n");
  auto tsv = ClassifyFile(*engine_, lake_.PathOf("lake", "t.tsv"), 8);
  ASSERT_TRUE(tsv && *tsv);
  EXPECT_EQ((*tsv)->schema.delimiter, '\t');
  EXPECT_FALSE((*tsv)->schema.header);
  EXPECT_EQ((*tsv)->schema.columns[0].name, "col0");
  EXPECT_EQ((*tsv)->schema.columns[0].type, "bigint");
  EXPECT_EQ((*tsv)->schema.columns[1].name, "col1");

  lake_.Put("lake", "g", Gzip("id,city\n1,paris\n2,rome\n"));
  auto gz = ClassifyFile(*engine_, lake_.PathOf("lake", "g"), 30);
  ASSERT_TRUE(gz) << gz.error().message;
  ASSERT_TRUE(*gz);
  EXPECT_EQ((*gz)->schema.compression, "gzip");
  EXPECT_EQ((*gz)->schema.columns[0].type, "bigint");
  EXPECT_EQ((*gz)->schema.columns[1].name, "city");

  lake_.Put("lake", "j",
            Zstd("{\"id\":1,\"tags\":[\"a\"],\"user\":{\"n\":\"x\"},\"day\":\"2024-01-02\"}\n"
                 "{\"id\":2,\"tags\":[],\"user\":{\"n\":\"y\"},\"day\":\"2024-01-03\"}\n"));
  auto js = ClassifyFile(*engine_, lake_.PathOf("lake", "j"), 50);
  ASSERT_TRUE(js) << js.error().message;
  ASSERT_TRUE(*js);
  EXPECT_EQ((*js)->schema.classification, "json");
  EXPECT_EQ((*js)->schema.compression, "zstd");
  ASSERT_EQ((*js)->schema.columns.size(), 4u);
  EXPECT_EQ((*js)->schema.columns[0].type, "bigint");
  EXPECT_EQ((*js)->schema.columns[1].type, "array<string>");
  EXPECT_EQ((*js)->schema.columns[2].type, "struct<n:string>");
  EXPECT_EQ((*js)->schema.columns[3].type, "string");  // date-like strings stay strings

  WriteParquet("p.parquet",
               "SELECT range::INTEGER AS id, 'n' || range AS Name, range * 1.5 AS score FROM range(7)");
  auto pq = ClassifyFile(*engine_, lake_.PathOf("lake", "p.parquet"), 100);
  ASSERT_TRUE(pq) << pq.error().message;
  ASSERT_TRUE(*pq);
  EXPECT_EQ((*pq)->schema.classification, "parquet");
  ASSERT_EQ((*pq)->schema.columns.size(), 3u);
  EXPECT_EQ((*pq)->schema.columns[0].type, "int");
  EXPECT_EQ((*pq)->schema.columns[1].name, "name");
  EXPECT_EQ((*pq)->schema.columns[1].type, "string");
  EXPECT_EQ((*pq)->records, 7u);

  lake_.Put("lake", "u", "just some words\n");
  auto unknown = ClassifyFile(*engine_, lake_.PathOf("lake", "u"), 16);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
}

TEST_F(CrawlerCrawlTest, HivePartitionedCsvTableAsAwsWritesIt) {
  lake_.Put("lake", "sales/year=2023/month=1/a.csv", "id,amount\n1,2.5\n2,3\n");
  lake_.Put("lake", "sales/year=2024/month=2/b.csv", "id,amount\n3,1\n");
  lake_.Put("lake", "sales/_SUCCESS", "");
  lake_.Put("lake", "sales/.hidden", "x");
  auto r = Crawl("s3://lake/sales");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  EXPECT_EQ(r->partitions_created, 2);
  json::object t = Table("sales");
  EXPECT_EQ(Str(t, "TableType"), "EXTERNAL_TABLE");
  const auto& sd = Obj(t, "StorageDescriptor");
  EXPECT_EQ(Str(sd, "Location"), "s3://lake/sales/");
  EXPECT_EQ(Str(sd, "InputFormat"), "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(Str(sd, "OutputFormat"), "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
  EXPECT_EQ(Str(Obj(sd, "SerdeInfo"), "SerializationLibrary"),
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  EXPECT_EQ(Str(Obj(Obj(sd, "SerdeInfo"), "Parameters"), "field.delim"), ",");
  const auto& p = Obj(t, "Parameters");
  EXPECT_EQ(Str(p, "classification"), "csv");
  EXPECT_EQ(Str(p, "delimiter"), ",");
  EXPECT_EQ(Str(p, "skip.header.line.count"), "1");
  EXPECT_EQ(Str(p, "areColumnsQuoted"), "false");
  EXPECT_EQ(Str(p, "compressionType"), "none");
  EXPECT_EQ(Str(p, "UPDATED_BY_CRAWLER"), "crawler1");
  EXPECT_EQ(Str(p, "objectCount"), "2");
  EXPECT_EQ(Str(p, "typeOfData"), "file");
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"id", "amount"}));
  EXPECT_EQ(ColumnType(t, "amount"), "double");
  const auto& keys = t.at("PartitionKeys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].as_object().at("Name").as_string(), "year");
  EXPECT_EQ(keys[0].as_object().at("Type").as_string(), "string");
  EXPECT_EQ(keys[1].as_object().at("Name").as_string(), "month");
  auto parts = AllPartitions(*catalog_, "db", "sales");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(json::serialize(parts[0].at("Values")), R"(["2023","1"])");
  EXPECT_EQ(Str(Obj(parts[0], "StorageDescriptor"), "Location"), "s3://lake/sales/year=2023/month=1/");
  EXPECT_EQ(Str(Obj(Obj(parts[0], "StorageDescriptor"), "SerdeInfo"), "SerializationLibrary"),
            "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  // The database is created when missing.
  EXPECT_TRUE(catalog_->GetDatabase("db"));
}

TEST_F(CrawlerCrawlTest, TablesPerFolderWithUnnamedPartitionsAndPrefix) {
  def_.table_prefix = "Raw-";
  lake_.Put("lake", "data/orders/2024/01/o.csv", "order_id,amount,customer\n1,10.5,c1\n");
  lake_.Put("lake", "data/orders/2024/02/o.csv", "order_id,amount,customer\n2,11,c2\n");
  lake_.Put("lake", "data/customers/c.json", "{\"id\":1,\"email\":\"a@b\"}\n{\"id\":2,\"email\":\"c@d\"}\n");
  WriteParquet("data/events/e.parquet", "SELECT 1::BIGINT AS event_id, 'click' AS kind");
  auto r = Crawl("s3://lake/data/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 3);
  json::object orders = Table("raw_orders");
  const auto& keys = orders.at("PartitionKeys").as_array();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].as_object().at("Name").as_string(), "partition_0");
  EXPECT_EQ(keys[1].as_object().at("Name").as_string(), "partition_1");
  auto parts = AllPartitions(*catalog_, "db", "raw_orders");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(json::serialize(parts[1].at("Values")), R"(["2024","02"])");

  json::object customers = Table("raw_customers");
  const auto& csd = Obj(customers, "StorageDescriptor");
  EXPECT_EQ(Str(Obj(csd, "SerdeInfo"), "SerializationLibrary"), "org.openx.data.jsonserde.JsonSerDe");
  EXPECT_EQ(Str(Obj(Obj(csd, "SerdeInfo"), "Parameters"), "paths"), "email,id");
  EXPECT_EQ(Str(Obj(customers, "Parameters"), "classification"), "json");
  EXPECT_EQ(Str(csd, "Location"), "s3://lake/data/customers/");
  EXPECT_TRUE(customers.at("PartitionKeys").as_array().empty());

  json::object events = Table("raw_events");
  const auto& esd = Obj(events, "StorageDescriptor");
  EXPECT_EQ(Str(esd, "InputFormat"), "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat");
  EXPECT_EQ(Str(esd, "OutputFormat"), "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat");
  EXPECT_EQ(Str(Obj(esd, "SerdeInfo"), "SerializationLibrary"),
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe");
  EXPECT_EQ(Str(Obj(events, "Parameters"), "classification"), "parquet");
  EXPECT_EQ(Str(Obj(events, "Parameters"), "recordCount"), "1");
  EXPECT_EQ(ColumnType(events, "event_id"), "bigint");
}

TEST_F(CrawlerCrawlTest, QuotedCsvUsesOpenCsvSerdeAndGzipIsRecorded) {
  lake_.Put("lake", "people/p.csv.gz", Gzip("\"id\",\"name\"\n1,\"Smith, J\"\n2,\"Doe\"\n"));
  auto r = Crawl("s3://lake/people/");
  ASSERT_TRUE(r) << r.error().message;
  json::object t = Table("people");
  const auto& serde = Obj(Obj(t, "StorageDescriptor"), "SerdeInfo");
  EXPECT_EQ(Str(serde, "SerializationLibrary"), "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  EXPECT_EQ(Str(Obj(serde, "Parameters"), "separatorChar"), ",");
  EXPECT_EQ(Str(Obj(serde, "Parameters"), "quoteChar"), "\"");
  EXPECT_EQ(Str(Obj(t, "Parameters"), "areColumnsQuoted"), "true");
  EXPECT_EQ(Str(Obj(t, "Parameters"), "compressionType"), "gzip");
  EXPECT_TRUE(Obj(t, "StorageDescriptor").at("Compressed").as_bool());
}

TEST_F(CrawlerCrawlTest, HeaderlessPipeDelimitedTable) {
  lake_.Put("lake", "logs/a.txt", "1|GET|200\n2|POST|500\n");
  auto r = Crawl("s3://lake/logs/");
  ASSERT_TRUE(r) << r.error().message;
  json::object t = Table("logs");
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"col0", "col1", "col2"}));
  EXPECT_EQ(Str(Obj(t, "Parameters"), "delimiter"), "|");
  EXPECT_EQ(Str(Obj(t, "Parameters"), "skip.header.line.count"), "<absent>");
}

TEST_F(CrawlerCrawlTest, ExclusionsAndHiddenFilesAreSkipped) {
  lake_.Put("lake", "t/a.csv", "id,v\n1,2\n");
  lake_.Put("lake", "t/tmp/b.csv", "x,y,z\nq,1,2\n");
  lake_.Put("lake", "t/skip.json", "{\"x\":1}\n");
  auto r = Crawl("s3://lake/t/", {"tmp/**", "*.json"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  json::object t = Table("t");
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"id", "v"}));
  EXPECT_EQ(Str(Obj(t, "Parameters"), "objectCount"), "1");
}

TEST_F(CrawlerCrawlTest, RecrawlAddsPartitionAndColumnAsNewVersion) {
  lake_.Put("lake", "sales/year=2023/a.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "sales/year=2024/a.csv", "id,amount\n2,3\n");
  ASSERT_TRUE(Crawl("s3://lake/sales/"));
  EXPECT_EQ(TableVersionCount(*catalog_, "db", "sales"), 1);

  auto again = Crawl("s3://lake/sales/");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->tables_created, 0);
  EXPECT_EQ(again->tables_updated, 0);  // nothing changed: no new version
  EXPECT_EQ(again->partitions_created, 0);

  lake_.Put("lake", "sales/year=2025/a.csv", "id,amount,discount\n3,4.5,0.1\n");
  auto r = Crawl("s3://lake/sales/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_updated, 1);
  EXPECT_EQ(r->partitions_created, 1);
  json::object t = Table("sales");
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"id", "amount", "discount"}));
  EXPECT_EQ(ColumnType(t, "amount"), "double");  // bigint widened by 4.5
  EXPECT_EQ(TableVersionCount(*catalog_, "db", "sales"), 2);
  EXPECT_EQ(AllPartitions(*catalog_, "db", "sales").size(), 3u);
}

TEST_F(CrawlerCrawlTest, InheritFromTableUpdatesExistingPartitionsAndMergeNewColumnsKeepsOldOnes) {
  def_.inherit_from_table = true;
  def_.merge_new_columns = true;
  lake_.Put("lake", "s/k=1/a.csv", "id,amount,old\n1,2,x\n");
  ASSERT_TRUE(Crawl("s3://lake/s/"));
  lake_.Put("lake", "s/k=1/a.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "s/k=2/a.csv", "id,amount,extra\n1,2,x\n");
  auto r = Crawl("s3://lake/s/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_updated, 1);
  EXPECT_EQ(ColumnNames(Table("s")), (std::vector<std::string>{"id", "amount", "old", "extra"}));
  auto parts = AllPartitions(*catalog_, "db", "s");
  ASSERT_EQ(parts.size(), 2u);
  for (const auto& p : parts)
    EXPECT_EQ(ColumnNames(p), (std::vector<std::string>{"id", "amount", "old", "extra"}));
}

TEST_F(CrawlerCrawlTest, UpdateBehaviorLogKeepsTheSchemaButAddsPartitions) {
  def_.update_behavior = "LOG";
  lake_.Put("lake", "s/k=1/a.csv", "id,amount\n1,2\n");
  ASSERT_TRUE(Crawl("s3://lake/s/"));
  lake_.Put("lake", "s/k=2/a.csv", "id,amount,extra\n1,2,x\n");
  auto r = Crawl("s3://lake/s/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tables_updated, 0);
  EXPECT_EQ(r->partitions_created, 1);
  EXPECT_EQ(ColumnNames(Table("s")), (std::vector<std::string>{"id", "amount"}));
}

TEST_F(CrawlerCrawlTest, DeleteBehaviors) {
  lake_.Put("lake", "root/a/x.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "root/b/y.json", "{\"k\":\"v\"}\n");
  lake_.Put("lake", "root/c/z.csv", "k,v,w\nq,1,2\n");
  ASSERT_TRUE(Crawl("s3://lake/root/"));
  ASSERT_TRUE(catalog_->GetTable("db", "a"));
  ASSERT_TRUE(catalog_->GetTable("db", "b"));

  lake_.Remove("lake", "root/b/y.json");
  auto deprecate = Crawl("s3://lake/root/");
  ASSERT_TRUE(deprecate) << deprecate.error().message;
  EXPECT_EQ(deprecate->tables_deleted, 1);
  auto b = catalog_->GetTable("db", "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(Str(Obj(*b, "Parameters"), "DEPRECATED_BY_CRAWLER"), "1");

  def_.delete_behavior = "DELETE_FROM_DATABASE";
  auto del = Crawl("s3://lake/root/");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->tables_deleted, 1);
  EXPECT_FALSE(catalog_->GetTable("db", "b"));
}

TEST_F(CrawlerCrawlTest, VanishedPartitionsAreDeletedOnlyWithDeleteFromDatabase) {
  lake_.Put("lake", "s/k=1/a.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "s/k=2/a.csv", "id,amount\n1,2\n");
  ASSERT_TRUE(Crawl("s3://lake/s/"));
  lake_.Remove("lake", "s/k=2/a.csv");
  ASSERT_TRUE(Crawl("s3://lake/s/"));
  EXPECT_EQ(AllPartitions(*catalog_, "db", "s").size(), 2u);
  def_.delete_behavior = "DELETE_FROM_DATABASE";
  auto r = Crawl("s3://lake/s/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->partitions_deleted, 1);
  EXPECT_EQ(AllPartitions(*catalog_, "db", "s").size(), 1u);
}

TEST_F(CrawlerCrawlTest, CrawlNewFoldersOnlySkipsCrawledFolders) {
  def_.recrawl_behavior = "CRAWL_NEW_FOLDERS_ONLY";
  def_.update_behavior = "LOG";
  def_.delete_behavior = "LOG";
  lake_.Put("lake", "s/k=1/a.csv", "id,amount\n1,2\n");
  auto first = Crawl("s3://lake/s/");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->crawled_folders.count("s3://lake/s/k=1/"), 1u);
  lake_.Put("lake", "s/k=2/a.csv", "id,amount\n1,2\n");
  auto r = Crawl("s3://lake/s/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->crawled_folders, (std::set<std::string>{"s3://lake/s/k=2/"}));
  EXPECT_EQ(r->partitions_created, 1);
  EXPECT_EQ(AllPartitions(*catalog_, "db", "s").size(), 2u);
}

TEST_F(CrawlerCrawlTest, SameNameFromTwoTargetsGetsAHashSuffix) {
  lake_.Put("lake", "x/data/a.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "y/data/b.csv", "k,v,w\nq,1,2\n");
  ASSERT_TRUE(Crawl("s3://lake/x/data/"));
  auto r = Crawl("s3://lake/y/data/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  auto page = catalog_->GetTables("db", "", "", 100);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(Str(page->items[0], "Name"), "data");
  EXPECT_TRUE(Str(page->items[1], "Name").starts_with("data_")) << Str(page->items[1], "Name");
}

TEST_F(CrawlerCrawlTest, FailuresAndCancellation) {
  auto missing = Crawl("s3://nobucket/x/");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("nobucket"), std::string::npos);
  auto bad = Crawl("http://x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "InvalidInputException");

  lake_.Put("lake", "t/a.csv", "id,v\n1,2\n");
  stop_ = true;
  auto r = Crawl("s3://lake/t/");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->cancelled);
  EXPECT_FALSE(catalog_->GetTable("db", "t"));
}

TEST_F(CrawlerCrawlTest, TooManyFilesFailsTheCrawl) {
  for (int i = 0; i < 5; ++i) lake_.Put("lake", "t/" + std::to_string(i) + ".csv", "id,v\n1,2\n");
  def_.targets = {S3TargetDefinition{"s3://lake/t/", {}, 0}};
  CrawlDependencies deps{*catalog_, lake_, *engine_, 3};
  auto r = RunCrawl(def_, deps, stop_, crawled_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "ResourceNumberLimitExceededException");
}

TEST_F(CrawlerCrawlTest, IncludePathNamingOneObjectCrawlsThatFile) {
  lake_.Put("lake", "dir/orders.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "dir/other.csv", "k,v,w\nq,1,2\n");
  auto r = Crawl("s3://lake/dir/orders.csv");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  json::object t = Table("orders_csv");
  EXPECT_EQ(Str(Obj(t, "StorageDescriptor"), "Location"), "s3://lake/dir/orders.csv");
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"id", "amount"}));
}

TEST_F(CrawlerCrawlTest, UnreadableFilesAreSkippedNotFatal) {
  lake_.Put("lake", "t/good.csv", "id,v\n1,2\n");
  lake_.Put("lake", "t/corrupt.parquet", "PAR1 this is not parquet at all");
  lake_.Put("lake", "t/junk.bin", std::string("\x00\x01\x02\xff\xfe", 5));
  lake_.Put("lake", "t/bad.gz", std::string("\x1f\x8b not gzip", 11));
  auto r = Crawl("s3://lake/t/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  json::object t = Table("t");
  EXPECT_EQ(ColumnNames(t), (std::vector<std::string>{"id", "v"}));
  EXPECT_EQ(Str(Obj(t, "Parameters"), "objectCount"), "1");
  bool reported = false;
  for (const auto& m : r->messages) reported |= m.find("corrupt.parquet") != std::string::npos;
  EXPECT_TRUE(reported);
}

TEST_F(CrawlerCrawlTest, DeprecatedTableWhoseDataReturnsIsCurrentAgain) {
  lake_.Put("lake", "root/a/x.csv", "id,amount\n1,2\n");
  lake_.Put("lake", "root/b/y.json", "{\"k\":\"v\"}\n");
  lake_.Put("lake", "root/c/z.csv", "k,v,w\nq,1,2\n");
  ASSERT_TRUE(Crawl("s3://lake/root/"));
  lake_.Remove("lake", "root/b/y.json");
  ASSERT_TRUE(Crawl("s3://lake/root/"));
  ASSERT_EQ(Str(Obj(Table("b"), "Parameters"), "DEPRECATED_BY_CRAWLER"), "1");
  lake_.Put("lake", "root/b/y.json", "{\"k\":\"v\"}\n");
  auto r = Crawl("s3://lake/root/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->tables_updated, 1);
  EXPECT_EQ(Str(Obj(Table("b"), "Parameters"), "DEPRECATED_BY_CRAWLER"), "<absent>");
}

TEST_F(CrawlerCrawlTest, ManyPartitionsInOneCrawl) {
  for (int i = 0; i < 200; ++i) {
    lake_.Put("lake", "big/day=" + std::to_string(1000 + i) + "/part.csv", "id,amount\n1,2\n2,3\n");
  }
  auto start = std::chrono::steady_clock::now();
  auto r = Crawl("s3://lake/big/");
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  EXPECT_EQ(r->partitions_created, 200);
  EXPECT_EQ(AllPartitions(*catalog_, "db", "big").size(), 200u);
  EXPECT_EQ(Str(Obj(Table("big"), "Parameters"), "recordCount"), "400");
  std::cerr << "200 partitions crawled in " << ms << " ms\n";
}

TEST(CrawlerSqlQuoteTest, DoublesQuotes) { EXPECT_EQ(SqlQuote("/a/b'c"), "'/a/b''c'"); }

}  // namespace
}  // namespace cenote::glue::crawler
