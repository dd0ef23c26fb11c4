// The crawler against the real pieces: glue::Catalog on SQLite and query::QueryEngine on DuckDB with its
// lockdown (allowed directories, no external access). Checks that the catalog accepts what the crawler
// writes and that the engine reads the crawled tables back with the bindings Athena derives from them.
#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../../../store/temp_dir.hpp"
#include "../recording_lake.hpp"
#include "compressed_bytes.hpp"
#include "fakes.hpp"
#include "services/glue/crawler/crawl.hpp"
#include "services/glue/crawler/crawlers.hpp"

namespace cenote::glue::crawler {
namespace {

namespace json = boost::json;
using store::testing::TempDir;
using testing::DirectoryLake;

std::string Str(const json::object* o, std::string_view key) {
  if (o == nullptr) return "";
  auto it = o->find(key);
  return it != o->end() && it->value().is_string() ? std::string(it->value().get_string()) : "";
}
const json::object* Obj(const json::object* o, std::string_view key) {
  if (o == nullptr) return nullptr;
  auto it = o->find(key);
  return it != o->end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

// A reduced version of Athena's binding of Glue tables (src/services/athena/table_resolver.cpp), enough
// for the three formats the crawler writes.
class GlueResolver : public query::TableResolver {
 public:
  GlueResolver(RegionalCatalog& catalog, DirectoryLake& lake) : catalog_(catalog), lake_(lake) {}

  Result<query::TableBinding> Describe(const std::string& database, const std::string& table) override {
    auto t = catalog_.GetTable(database, table);
    if (!t) return std::move(t).error();
    query::TableBinding b;
    b.database = database;
    b.name = table;
    const json::object* sd = Obj(&*t, "StorageDescriptor");
    for (const auto& c : sd->at("Columns").as_array())
      b.columns.push_back({Str(&c.as_object(), "Name"), Str(&c.as_object(), "Type")});
    for (const auto& c : t->at("PartitionKeys").as_array()) {
      b.partition_keys.push_back({Str(&c.as_object(), "Name"), Str(&c.as_object(), "Type")});
    }
    const json::object* serde = Obj(sd, "SerdeInfo");
    std::string lib = Str(serde, "SerializationLibrary");
    const json::object* params = Obj(&*t, "Parameters");
    if (lib.find("Parquet") != std::string::npos) {
      b.format = query::FileFormat::kParquet;
    } else if (lib.find("JsonSerDe") != std::string::npos) {
      b.format = query::FileFormat::kJson;
    } else {
      b.format = query::FileFormat::kCsv;
      b.delimiter = Str(Obj(serde, "Parameters"), "field.delim");
      if (b.delimiter.empty()) b.delimiter = Str(Obj(serde, "Parameters"), "separatorChar");
      if (lib.find("OpenCSVSerde") != std::string::npos) b.quote = "\"";
      if (Str(params, "skip.header.line.count") == "1") b.skip_header_lines = 1;
    }
    location_ = Str(sd, "Location");
    return b;
  }

  Result<std::vector<query::PartitionBinding>> Partitions(const query::TableBinding& table) override {
    std::vector<query::PartitionBinding> out;
    if (table.partition_keys.empty()) return std::vector<query::PartitionBinding>{{{}, location_}};
    auto page = catalog_.GetPartitions(table.database, table.name, "", "", 1000);
    if (!page) return std::move(page).error();
    for (const auto& p : page->items) {
      query::PartitionBinding pb;
      for (const auto& v : p.at("Values").as_array()) pb.values.emplace_back(v.as_string());
      pb.location = Str(Obj(&p, "StorageDescriptor"), "Location");
      out.push_back(std::move(pb));
    }
    return out;
  }

  Result<std::vector<query::TableFile>> Files(const query::TableBinding&,
                                              const query::PartitionBinding& p) override {
    auto path = ParseS3Path(p.location);
    if (!path) return InternalError("bad location " + p.location);
    auto objects = lake_.ListObjects(path->bucket, path->prefix, 1000);
    if (!objects) return std::move(objects).error();
    std::vector<query::TableFile> out;
    for (const auto& o : *objects) {
      if (IsIgnoredKey(o.key.substr(path->prefix.size()), o.size)) continue;
      out.push_back({lake_.PathOf(path->bucket, o.key), o.size});
    }
    return out;
  }

 private:
  RegionalCatalog& catalog_;
  DirectoryLake& lake_;
  std::string location_;
};

class CrawlerIntegrationTest : public ::testing::Test {
 protected:
  CrawlerIntegrationTest() : lake_(dir_ / "objects") {
    std::filesystem::create_directories(dir_ / "objects/lake");
    def_.name = "crawler1";
    def_.database = "lake_db";
  }

  Result<CrawlResult> Crawl(const std::string& path) {
    def_.targets = {S3TargetDefinition{path, {}, 0}};
    CrawlDependencies deps{*catalog_, lake_, *engine_};
    return RunCrawl(def_, deps, stop_, crawled_);
  }

  // Runs a SELECT through the engine and returns the result CSV.
  std::string Query(const std::string& sql) {
    GlueResolver resolver(*catalog_, lake_);
    query::QueryContext ctx;
    ctx.database = "lake_db";
    query::Cancellation cancel;
    std::string out = dir_ / "scratch/result.csv";
    auto r = engine_->RunSelect(sql, ctx, resolver, out, cancel);
    EXPECT_TRUE(r) << sql << ": " << (r ? "" : r.error().message);
    std::ifstream in(out);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  TempDir dir_;
  DirectoryLake lake_;
  cenote::testing::RecordingLake lakes_{lake_};  // crawls get the lake through For(role)
  BackgroundTasks tasks_;
  std::unique_ptr<store::MetadataStore> metadata_ = testing::OpenSqliteMetadata(dir_ / "meta.db");
  testing::TestCatalog catalog_ = testing::OpenCatalog(*metadata_);
  std::unique_ptr<query::QueryEngine> engine_ = testing::OpenEngine(dir_ / "objects", dir_ / "scratch");
  CrawlDefinition def_;
  std::atomic<bool> stop_{false};
  std::set<std::string> crawled_;
};

TEST_F(CrawlerIntegrationTest, CrawledCsvPartitionsAreQueryable) {
  lake_.Put("lake", "sales/year=2023/a.csv", "id,amount,city\n1,2.5,paris\n2,3,rome\n");
  lake_.Put("lake", "sales/year=2024/b.csv", "id,amount,city\n3,4,oslo\n");
  auto r = Crawl("s3://lake/sales/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 1);
  EXPECT_EQ(r->partitions_created, 2);
  auto t = catalog_->GetTable("lake_db", "sales");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(Str(Obj(&*t, "Parameters"), "classification"), "csv");
  EXPECT_EQ(Query("SELECT year, count(*) AS n, sum(amount) AS total FROM sales GROUP BY year ORDER BY year"),
            "\"year\",\"n\",\"total\"\n\"2023\",\"2\",\"5.5\"\n\"2024\",\"1\",\"4.0\"\n");

  lake_.Put("lake", "sales/year=2025/c.csv", "id,amount,city,discount\n4,5,lima,0.5\n");
  auto again = Crawl("s3://lake/sales/");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->tables_updated, 1);
  EXPECT_EQ(again->partitions_created, 1);
  auto versions = catalog_->GetTableVersions("lake_db", "sales", "", 100);
  ASSERT_TRUE(versions) << versions.error().message;
  EXPECT_EQ(versions->items.size(), 2u);
  EXPECT_EQ(Query("SELECT id, discount FROM sales WHERE year = '2025'"),
            "\"id\",\"discount\"\n\"4\",\"0.5\"\n");
}

TEST_F(CrawlerIntegrationTest, CrawledJsonAndParquetAreQueryable) {
  lake_.Put(
      "lake", "events/e.json",
      "{\"id\":1,\"kind\":\"click\",\"tags\":[\"a\",\"b\"]}\n{\"id\":2,\"kind\":\"view\",\"tags\":[]}\n");
  std::string pq = lake_.PathOf("lake", "scores/s.parquet");
  std::filesystem::create_directories(std::filesystem::path(pq).parent_path());
  ASSERT_TRUE(
      engine_->ExecuteTrusted("COPY (SELECT range::INTEGER AS id, range * 2.0 AS score FROM range(3)) TO " +
                              SqlQuote(pq) + " (FORMAT parquet)"));
  auto r = Crawl("s3://lake/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 2);
  EXPECT_EQ(Query("SELECT kind, cardinality(tags) AS n FROM events ORDER BY id"),
            "\"kind\",\"n\"\n\"click\",\"2\"\n\"view\",\"0\"\n");
  EXPECT_EQ(Query("SELECT sum(score) AS s FROM scores"), "\"s\"\n\"6.0\"\n");
}

TEST_F(CrawlerIntegrationTest, CrawledCompressedTextIsQueryable) {
  // Object files have no extension (LocalPath): the compression comes from the bytes.
  lake_.Put("lake", "gz/part-0", testing::Gzip("id,amount\n1,2.5\n2,3.5\n"));
  std::string json = "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n";
  lake_.Put("lake", "zs/part-0", testing::Zstd(json));
  auto r = Crawl("s3://lake/");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tables_created, 2);
  auto gz = catalog_->GetTable("lake_db", "gz");
  ASSERT_TRUE(gz);
  EXPECT_EQ(Str(Obj(&*gz, "Parameters"), "compressionType"), "gzip");
  EXPECT_EQ(Query("SELECT sum(amount) AS s FROM gz"), "\"s\"\n\"6.0\"\n");
  EXPECT_EQ(Query("SELECT name FROM zs ORDER BY id"), "\"name\"\n\"a\"\n\"b\"\n");
}

TEST_F(CrawlerIntegrationTest, CrawlersApiEndToEnd) {
  lake_.Put("lake", "logs/dt=2024-01-01/l.tsv", "1\tGET\t200\n2\tPOST\t500\n");
  auto crawlers = Crawlers::Open(
      *metadata_, *catalog_.all, lakes_, *engine_, tasks_,
      CrawlerOptions{
          .default_account = "000000000000", .default_region = "us-east-1", .threads = 1, .max_files = 1000});
  ASSERT_TRUE(crawlers) << crawlers.error().message;
  aws::RequestContext ctx = testing::RequestIn();
  auto call = [&](std::string_view op, std::string_view params) {
    return testing::CallCrawlers(**crawlers, ctx, op, json::parse(params).as_object());
  };
  ASSERT_TRUE(call("CreateCrawler", R"({"Name":"logs","Role":"r","DatabaseName":"lake_db",
                                       "Targets":{"S3Targets":[{"Path":"s3://lake/logs/"}]}})"));
  ASSERT_TRUE(call("StartCrawler", R"({"Name":"logs"})"));
  std::string state;
  for (int i = 0; i < 3000 && state != "READY"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto c = call("GetCrawler", R"({"Name":"logs"})");
    ASSERT_TRUE(c);
    state = std::string(c->result.at("Crawler").at("State").as_string());
    if (state == "READY") {
      EXPECT_EQ(c->result.at("Crawler").at("LastCrawl").at("Status"), "SUCCEEDED");
    }
  }
  EXPECT_EQ(state, "READY");
  (*crawlers)->Shutdown();
  EXPECT_EQ(Query("SELECT col1, col2 FROM logs WHERE dt = '2024-01-01' ORDER BY col0"),
            "\"col1\",\"col2\"\n\"GET\",\"200\"\n\"POST\",\"500\"\n");
}

}  // namespace
}  // namespace cenote::glue::crawler
