// The Athena provider over the real QueryEngine (DuckDB) and the real Glue Catalog, with the fake lake:
// checks the TableResolver <-> engine contract end to end (DDL, SELECT, partitions, CTAS, INSERT, views).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "../glue/recording_lake.hpp"
#include "fakes.hpp"
#include "services/athena/athena_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::athena {
namespace {

namespace json = boost::json;
using testing::FakeLake;
using testing::TempDir;

class AthenaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::MetadataStore::OpenSqlite(dir_ / "meta.db");
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    auto catalog = glue::Catalog::Open(*store_, "123456789012", "us-east-1");
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::move(*catalog);
    lake_ = std::make_unique<FakeLake>(dir_ / "lake", store_.get());
    lakes_ = std::make_unique<cenote::testing::RecordingLake>(*lake_);
    lake_->CreateBucket("results");
    lake_->CreateBucket("data");
    std::filesystem::create_directories(dir_ / "scratch");
    query::EngineOptions eo;
    eo.scratch_dir = dir_ / "scratch";
    eo.readable_dirs = {dir_ / "lake"};
    eo.threads = 1;
    eo.memory_limit_bytes = 256 << 20;
    auto engine = query::QueryEngine::Open(eo);
    ASSERT_TRUE(engine.ok()) << engine.error().message;
    engine_ = std::move(*engine);
    AthenaOptions options;
    options.account_id = "123456789012";
    options.region = "us-east-1";
    options.scratch_dir = dir_ / "scratch/athena";  // inside the engine's scratch dir, as serve.cpp wires it
    auto p = AthenaProvider::Open(*store_, *catalog_, *lakes_, *engine_, options);
    ASSERT_TRUE(p.ok()) << p.error().message;
    athena_ = std::move(*p);
  }
  void TearDown() override {
    if (athena_) athena_->Shutdown();
  }

  json::object Call(std::string_view op, json::object params) {
    aws::RequestContext ctx;
    ctx.region = "us-east-1";
    ctx.principal.account_id = "123456789012";
    ctx.principal.arn = "arn:aws:iam::123456789012:root";
    aws::OperationInput input;
    input.params = std::move(params);
    auto out = athena_->Invoke(ctx, op, input);
    EXPECT_TRUE(out.ok()) << op << ": " << (out.ok() ? "" : out.error().message);
    return out.ok() ? out->result.as_object() : json::object{};
  }

  // Runs to completion; returns {state or reason, rows}.
  std::pair<std::string, std::vector<std::vector<std::string>>> Run(const std::string& sql,
                                                                    const std::string& db = "lake") {
    auto r = Call("StartQueryExecution",
                  {{"QueryString", sql},
                   {"QueryExecutionContext", json::object{{"Database", db}}},
                   {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/q/"}}}});
    std::string id(r["QueryExecutionId"].as_string());
    json::object qe;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      qe = Call("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object();
      std::string state(qe["Status"].as_object()["State"].as_string());
      if (state != "QUEUED" && state != "RUNNING") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    auto& status = qe["Status"].as_object();
    if (status["State"] != "SUCCEEDED") {
      auto* reason = status.if_contains("StateChangeReason");
      return {
          std::string(status["State"].as_string()) + ": " + (reason ? std::string(reason->as_string()) : ""),
          {}};
    }
    std::vector<std::vector<std::string>> rows;
    std::string token;
    for (int pages = 0; pages < 100; ++pages) {
      json::object in{{"QueryExecutionId", id}};
      if (!token.empty()) in["NextToken"] = token;
      auto res = Call("GetQueryResults", in);
      for (auto& row : res["ResultSet"].as_object()["Rows"].as_array()) {
        std::vector<std::string> out;
        for (auto& d : row.as_object()["Data"].as_array()) {
          auto* v = d.as_object().if_contains("VarCharValue");
          out.push_back(v ? std::string(v->as_string()) : "<null>");
        }
        rows.push_back(std::move(out));
      }
      if (!res.contains("NextToken")) break;
      token = std::string(res["NextToken"].as_string());
    }
    return {"SUCCEEDED", rows};
  }

  TempDir dir_;
  std::unique_ptr<store::MetadataStore> store_;
  std::unique_ptr<glue::Catalog> catalog_;
  std::unique_ptr<FakeLake> lake_;
  std::unique_ptr<cenote::testing::RecordingLake> lakes_;
  std::unique_ptr<query::QueryEngine> engine_;
  std::unique_ptr<AthenaProvider> athena_;
};

using Table = std::vector<std::vector<std::string>>;

TEST_F(AthenaEngineTest, CsvTableSelect) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  lake_->Put("data", "people/part-0.csv", "id,name,score\n1,ann,1.5\n2,bob,\n3,\"c, d\",3\n");
  auto created =
      Run("CREATE EXTERNAL TABLE people (id int, name string, score double) ROW FORMAT DELIMITED FIELDS "
          "TERMINATED "
          "BY ',' LOCATION 's3://data/people/' TBLPROPERTIES ('skip.header.line.count'='1')");
  ASSERT_EQ(created.first, "SUCCEEDED");
  auto r = Run("SELECT id, name FROM people WHERE id < 3 ORDER BY id");
  ASSERT_EQ(r.first, "SUCCEEDED");
  EXPECT_EQ(r.second, (Table{{"id", "name"}, {"1", "ann"}, {"2", "bob"}}));
  auto missing = Run("SELECT * FROM nope");
  EXPECT_NE(missing.first.find("TABLE_NOT_FOUND"), std::string::npos) << missing.first;
}

// LazySimpleSerDe's serialization.null.format: '' makes an empty field NULL (strings too); the default \N
// reads "\N" as NULL and keeps an empty string field.
TEST_F(AthenaEngineTest, NullFormatEmptyAndDefault) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  lake_->Put("data", "nulls/part-0.txt", "1,,x,\n2,\\N,,a\002b\n");
  for (const char* ddl :
       {"CREATE EXTERNAL TABLE empty_null (id int, s string, t string, l array<string>) ROW FORMAT DELIMITED "
        "FIELDS TERMINATED BY ',' NULL DEFINED AS '' LOCATION 's3://data/nulls/'",
        "CREATE EXTERNAL TABLE default_null (id int, s string, t string, l array<string>) ROW FORMAT "
        "DELIMITED "
        "FIELDS TERMINATED BY ',' LOCATION 's3://data/nulls/'"})
    ASSERT_EQ(Run(ddl).first, "SUCCEEDED") << ddl;
  auto empty = Run("SELECT id, s, t, cardinality(l) FROM empty_null ORDER BY id");
  ASSERT_EQ(empty.first, "SUCCEEDED");
  EXPECT_EQ(empty.second,
            (Table{{"id", "s", "t", "_col3"}, {"1", "<null>", "x", "<null>"}, {"2", "\\N", "<null>", "2"}}));
  auto byDefault = Run("SELECT id, s, t, cardinality(l) FROM default_null ORDER BY id");
  ASSERT_EQ(byDefault.first, "SUCCEEDED");
  EXPECT_EQ(byDefault.second,
            (Table{{"id", "s", "t", "_col3"}, {"1", "", "x", "0"}, {"2", "<null>", "", "2"}}));
}

TEST_F(AthenaEngineTest, PartitionsCtasInsertAndViews) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  lake_->Put("data", "ev/year=2024/a.json", "{\"id\": 1, \"msg\": \"x\"}\n{\"id\": 2, \"msg\": \"y\"}\n");
  lake_->Put("data", "ev/year=2025/b.json", "{\"id\": 3, \"msg\": \"z\"}\n");
  ASSERT_EQ(Run("CREATE EXTERNAL TABLE ev (id int, msg string) PARTITIONED BY (year string) "
                "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/ev/'")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("MSCK REPAIR TABLE ev").first, "SUCCEEDED");
  auto r = Run("SELECT year, count(*) AS n FROM ev GROUP BY year ORDER BY year");
  ASSERT_EQ(r.first, "SUCCEEDED");
  EXPECT_EQ(r.second, (Table{{"year", "n"}, {"2024", "2"}, {"2025", "1"}}));

  auto ctas =
      Run("CREATE TABLE ev_pq WITH (format='PARQUET', external_location='s3://data/ev_pq/', "
          "partitioned_by=ARRAY['year']) AS SELECT id, msg, year FROM ev");
  ASSERT_EQ(ctas.first, "SUCCEEDED");
  auto pq = Run("SELECT id, msg, year FROM ev_pq ORDER BY id");
  ASSERT_EQ(pq.first, "SUCCEEDED");
  EXPECT_EQ(pq.second,
            (Table{{"id", "msg", "year"}, {"1", "x", "2024"}, {"2", "y", "2024"}, {"3", "z", "2025"}}));

  ASSERT_EQ(Run("INSERT INTO ev_pq SELECT 4, 'w', '2026'").first, "SUCCEEDED");
  auto after = Run("SELECT count(*) AS n, max(year) AS y FROM ev_pq");
  ASSERT_EQ(after.first, "SUCCEEDED");
  EXPECT_EQ(after.second, (Table{{"n", "y"}, {"4", "2026"}}));

  ASSERT_EQ(Run("CREATE VIEW recent AS SELECT id FROM ev_pq WHERE year >= '2025'").first, "SUCCEEDED");
  auto v = Run("SELECT id FROM recent ORDER BY id");
  ASSERT_EQ(v.first, "SUCCEEDED");
  EXPECT_EQ(v.second, (Table{{"id"}, {"3"}, {"4"}}));
}

TEST_F(AthenaEngineTest, FailureReasonsShowS3UrlsNotServerPaths) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  lake_->Put("data", "bad/part-0.parquet", "this is not parquet");
  ASSERT_EQ(Run("CREATE EXTERNAL TABLE bad (a int) STORED AS PARQUET LOCATION 's3://data/bad/'").first,
            "SUCCEEDED");
  auto r = Run("SELECT * FROM bad");
  EXPECT_EQ(r.first.rfind("FAILED: ", 0), 0u) << r.first;
  EXPECT_EQ(r.first.find(dir_.path()), std::string::npos) << r.first;
  EXPECT_NE(r.first.find("s3://data/bad/"), std::string::npos) << r.first;
}

// Iceberg merge-on-read: DELETE, UPDATE and MERGE write position delete files that reads apply, and time
// travel still sees the rows they removed.
TEST_F(AthenaEngineTest, IcebergDeleteUpdateMerge) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE t (id bigint, name string, region string) PARTITIONED BY (region) "
                "LOCATION 's3://data/ice/t' TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO t VALUES (1, 'a', 'eu'), (2, 'b', 'eu'), (3, 'c', 'us'), (4, 'd', 'us')").first,
            "SUCCEEDED");
  auto first = Run("SELECT snapshot_id FROM \"t$snapshots\"");
  ASSERT_EQ(first.first, "SUCCEEDED");
  ASSERT_EQ(first.second.size(), 2u);
  const std::string v1 = first.second[1][0];

  auto del = Run("DELETE FROM t WHERE id IN (1, 3)");
  ASSERT_EQ(del.first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name FROM t ORDER BY id").second,
            (Table{{"id", "name"}, {"2", "b"}, {"4", "d"}}));
  EXPECT_EQ(Run("SELECT count(*) AS n FROM t FOR VERSION AS OF " + v1).second, (Table{{"n"}, {"4"}}));
  // Two position delete files (one per partition) next to the two data files.
  EXPECT_EQ(Run("SELECT content, count(*) AS n FROM \"t$files\" GROUP BY content ORDER BY content").second,
            (Table{{"content", "n"}, {"0", "2"}, {"1", "2"}}));
  EXPECT_EQ(Run("SELECT operation FROM \"t$snapshots\" ORDER BY committed_at").second,
            (Table{{"operation"}, {"append"}, {"delete"}}));
  EXPECT_EQ(Run("DELETE FROM t WHERE id = 99").first, "SUCCEEDED");

  ASSERT_EQ(Run("UPDATE t SET name = upper(name), region = 'ap' WHERE id = 2").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name, region FROM t ORDER BY id").second,
            (Table{{"id", "name", "region"}, {"2", "B", "ap"}, {"4", "d", "us"}}));
  auto bad = Run("UPDATE t SET nope = 1");
  EXPECT_NE(bad.first.find("COLUMN_NOT_FOUND"), std::string::npos) << bad.first;

  ASSERT_EQ(Run("MERGE INTO t AS x USING (VALUES (2, 'bb'), (4, 'gone'), (5, 'e')) AS s(id, name) "
                "ON x.id = s.id "
                "WHEN MATCHED AND s.name = 'gone' THEN DELETE "
                "WHEN MATCHED THEN UPDATE SET name = s.name "
                "WHEN NOT MATCHED THEN INSERT (id, name, region) VALUES (s.id, s.name, 'eu')")
                .first,
            "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name, region FROM t ORDER BY id").second,
            (Table{{"id", "name", "region"}, {"2", "bb", "ap"}, {"5", "e", "eu"}}));
  auto twice = Run("MERGE INTO t USING (VALUES (2), (2)) AS s(id) ON t.id = s.id WHEN MATCHED THEN DELETE");
  EXPECT_NE(twice.first.find("MERGE_TARGET_ROW_MULTIPLE_MATCHES"), std::string::npos) << twice.first;

  // OPTIMIZE rewrites the files with deletes and drops the delete files; the rows stay.
  ASSERT_EQ(Run("OPTIMIZE t REWRITE DATA USING BIN_PACK").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name, region FROM t ORDER BY id").second,
            (Table{{"id", "name", "region"}, {"2", "bb", "ap"}, {"5", "e", "eu"}}));
  EXPECT_EQ(Run("SELECT content, sum(record_count) AS n FROM \"t$files\" GROUP BY content").second,
            (Table{{"content", "n"}, {"0", "2"}}));
  EXPECT_EQ(Run("SELECT operation FROM \"t$snapshots\" ORDER BY committed_at DESC LIMIT 1").second,
            (Table{{"operation"}, {"replace"}}));
  // VACUUM with the default age keeps every snapshot (none is 5 days old).
  ASSERT_EQ(Run("VACUUM t").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT count(*) AS n FROM t FOR VERSION AS OF " + v1).second, (Table{{"n"}, {"4"}}));

  ASSERT_EQ(Run("CREATE EXTERNAL TABLE hive (a int) STORED AS PARQUET LOCATION 's3://data/hive/'").first,
            "SUCCEEDED");
  auto optimize_hive = Run("OPTIMIZE hive REWRITE DATA USING BIN_PACK");
  EXPECT_NE(optimize_hive.first.find("NOT_SUPPORTED"), std::string::npos) << optimize_hive.first;
  auto hive = Run("DELETE FROM hive WHERE a = 1");
  EXPECT_NE(hive.first.find("NOT_SUPPORTED"), std::string::npos) << hive.first;
}

// Schema evolution: added columns read as NULL in older files, dropped ones disappear, int -> bigint and
// float -> double promote in place; what Cenote cannot read correctly is refused.
TEST_F(AthenaEngineTest, IcebergSchemaEvolution) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE s (id int, v float) LOCATION 's3://data/ice/s' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO s VALUES (1, 1.5)").first, "SUCCEEDED");
  ASSERT_EQ(Run("ALTER TABLE s ADD COLUMNS (note string, n bigint)").first, "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO s VALUES (2, 2.5, 'x', 7)").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, v, note, n FROM s ORDER BY id").second,
            (Table{{"id", "v", "note", "n"}, {"1", "1.5", "<null>", "<null>"}, {"2", "2.5", "x", "7"}}));
  ASSERT_EQ(Run("ALTER TABLE s CHANGE COLUMN id id bigint").first, "SUCCEEDED");
  ASSERT_EQ(Run("ALTER TABLE s CHANGE v v double").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT typeof(id) AS a, typeof(v) AS b FROM s LIMIT 1").second,
            (Table{{"a", "b"}, {"bigint", "double"}}));
  EXPECT_EQ(Run("SELECT sum(id) AS i, sum(v) AS w FROM s").second, (Table{{"i", "w"}, {"3", "4.0"}}));
  auto narrowing = Run("ALTER TABLE s CHANGE v v int");
  EXPECT_NE(narrowing.first.find("NOT_SUPPORTED"), std::string::npos) << narrowing.first;
  auto rename = Run("ALTER TABLE s CHANGE COLUMN note memo string");
  EXPECT_NE(rename.first.find("NOT_SUPPORTED"), std::string::npos) << rename.first;
  auto twice = Run("ALTER TABLE s ADD COLUMNS (n int)");
  EXPECT_NE(twice.first.find("ALREADY_EXISTS"), std::string::npos) << twice.first;
  ASSERT_EQ(Run("ALTER TABLE s DROP COLUMN note").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT * FROM s ORDER BY id").second,
            (Table{{"id", "v", "n"}, {"1", "1.5", "<null>"}, {"2", "2.5", "7"}}));
  auto gone = Run("ALTER TABLE s DROP COLUMN note");
  EXPECT_NE(gone.first.find("COLUMN_NOT_FOUND"), std::string::npos) << gone.first;
  ASSERT_EQ(Run("CREATE EXTERNAL TABLE h (a int) STORED AS PARQUET LOCATION 's3://data/h/'").first,
            "SUCCEEDED");
  auto hive = Run("ALTER TABLE h ADD COLUMNS (b int)");
  EXPECT_NE(hive.first.find("NOT_SUPPORTED"), std::string::npos) << hive.first;
}

// VACUUM expires snapshots past vacuum_max_snapshot_age_seconds (the current one kept) and removes the files
// only they named.
TEST_F(AthenaEngineTest, IcebergVacuum) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE v (id int) LOCATION 's3://data/ice/v' "
                "TBLPROPERTIES ('table_type'='ICEBERG', 'vacuum_max_snapshot_age_seconds'='1')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO v VALUES (1), (2)").first, "SUCCEEDED");
  ASSERT_EQ(Run("DELETE FROM v WHERE id = 1").first, "SUCCEEDED");
  ASSERT_EQ(Run("OPTIMIZE v REWRITE DATA USING BIN_PACK").first, "SUCCEEDED");
  auto before = Run("SELECT snapshot_id FROM \"v$snapshots\" ORDER BY committed_at");
  ASSERT_EQ(before.second.size(), 4u);
  auto objects = [&] {
    auto keys = lake_->Keys("data");
    return std::count_if(keys.begin(), keys.end(),
                         [](const std::string& k) { return k.rfind("ice/v/", 0) == 0; });
  };
  auto objects_before = objects();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  ASSERT_EQ(Run("VACUUM v").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT count(*) AS n FROM \"v$snapshots\"").second, (Table{{"n"}, {"1"}}));
  EXPECT_EQ(Run("SELECT id FROM v").second, (Table{{"id"}, {"2"}}));
  auto gone = Run("SELECT * FROM v FOR VERSION AS OF " + before.second[1][0]);
  EXPECT_NE(gone.first.find("INVALID_ARGUMENT"), std::string::npos) << gone.first;
  // Left: 5 metadata files (the current one and its metadata log), the current snapshot's manifest list and
  // its 3 manifests (OPTIMIZE's added, rewritten data and delete manifests), 1 data file.
  auto objects_after = objects();
  EXPECT_LT(objects_after, objects_before);
  EXPECT_EQ(objects_after, 5 + 1 + 3 + 1) << objects_before;
}

// Not a timed test: prints the round trip (start, poll, results) the bench measures.
TEST_F(AthenaEngineTest, TrivialRoundTrip) {
  std::vector<double> ms;
  for (int i = 0; i < 10; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = Run("SELECT 1 AS x", "default");
    ASSERT_EQ(r.first, "SUCCEEDED");
    ASSERT_EQ(r.second, (Table{{"x"}, {"1"}}));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  {
    auto t0 = std::chrono::steady_clock::now();
    auto r = Call("StartQueryExecution",
                  {{"QueryString", "SELECT 1 AS x"},
                   {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/q/"}}}});
    auto t1 = std::chrono::steady_clock::now();
    std::string id(r["QueryExecutionId"].as_string());
    for (int i = 0; i < 10000; ++i) {
      auto qe = Call("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object();
      if (qe["Status"].as_object()["State"] == "SUCCEEDED") break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    auto t2 = std::chrono::steady_clock::now();
    Call("GetQueryResults", {{"QueryExecutionId", id}});
    auto t3 = std::chrono::steady_clock::now();
    auto d = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
    std::printf("start %.2f ms, run %.2f ms, results %.2f ms\n", d(t0, t1), d(t1, t2), d(t2, t3));
  }
  std::printf("athena trivial round trip: median %.2f ms (fake lake, real engine + catalog)\n",
              ms[ms.size() / 2]);
}

}  // namespace
}  // namespace cenote::athena
