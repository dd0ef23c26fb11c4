// The Athena provider over the real QueryEngine (DuckDB) and the real Glue Catalog, with the fake lake:
// checks the TableResolver <-> engine contract end to end (DDL, SELECT, partitions, CTAS, INSERT, views).
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "../glue/recording_lake.hpp"
#include "common/murmur3.hpp"
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

// MERGE's sources: a query (written once to a scratch file, then joined), a table, a query without an alias;
// and a target whose snapshot has no data file left (every row deleted, then OPTIMIZE).
TEST_F(AthenaEngineTest, IcebergMergeSources) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE m (id bigint, name string) LOCATION 's3://data/ice/m' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE src (id bigint, name string) LOCATION 's3://data/ice/src' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO m VALUES (1, 'a'), (2, 'b')").first, "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO src VALUES (2, 'bb'), (3, 'c')").first, "SUCCEEDED");
  ASSERT_EQ(Run("MERGE INTO m USING src ON m.id = src.id WHEN MATCHED THEN UPDATE SET name = src.name "
                "WHEN NOT MATCHED THEN INSERT VALUES (src.id, src.name)")
                .first,
            "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name FROM m ORDER BY id").second,
            (Table{{"id", "name"}, {"1", "a"}, {"2", "bb"}, {"3", "c"}}));
  ASSERT_EQ(Run("MERGE INTO m t USING (SELECT id * 2 AS id2 FROM src WHERE id = 2) ON t.id = id2 "
                "WHEN MATCHED THEN DELETE WHEN NOT MATCHED THEN INSERT (id, name) VALUES (id2, 'four')")
                .first,
            "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name FROM m ORDER BY id").second,
            (Table{{"id", "name"}, {"1", "a"}, {"2", "bb"}, {"3", "c"}, {"4", "four"}}));
  // A source whose values would not read back as written from the scratch file (a timestamp with time zone)
  // is read in place: its type in the MERGE is what a SELECT of the same expression gives.
  auto zoned = Run("SELECT typeof(TIMESTAMP '2024-05-01 10:00:00 UTC') AS v");
  ASSERT_EQ(zoned.first, "SUCCEEDED");
  ASSERT_EQ(Run("MERGE INTO m t USING (SELECT 3 AS id, TIMESTAMP '2024-05-01 10:00:00 UTC' AS x) s "
                "ON t.id = s.id WHEN MATCHED THEN UPDATE SET name = typeof(s.x)")
                .first,
            "SUCCEEDED");
  EXPECT_EQ(Run("SELECT name AS v FROM m WHERE id = 3").second, zoned.second);
  ASSERT_EQ(Run("UPDATE m SET name = 'c' WHERE id = 3").first, "SUCCEEDED");
  // A failing source query fails the statement, and nothing is committed.
  auto bad = Run("MERGE INTO m t USING (SELECT nope FROM src) s ON t.id = s.nope WHEN MATCHED THEN DELETE");
  EXPECT_NE(bad.first.find("COLUMN_NOT_FOUND"), std::string::npos) << bad.first;
  ASSERT_EQ(Run("DELETE FROM m").first, "SUCCEEDED");
  ASSERT_EQ(Run("OPTIMIZE m REWRITE DATA USING BIN_PACK").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT count(*) AS n FROM \"m$files\"").second, (Table{{"n"}, {"0"}}));
  ASSERT_EQ(
      Run("MERGE INTO m t USING (VALUES (7, 'g')) AS s(id, name) ON t.id = s.id WHEN MATCHED THEN DELETE "
          "WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.name)")
          .first,
      "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name FROM m").second, (Table{{"id", "name"}, {"7", "g"}}));
  // INSERT, three MERGEs, UPDATE, DELETE, OPTIMIZE, MERGE: the failed MERGE made no snapshot.
  EXPECT_EQ(Run("SELECT count(*) AS n FROM \"m$snapshots\"").second, (Table{{"n"}, {"8"}}));
}

// MERGE prunes the target's partitions by the join: ON t.id = s.id with id a partition source (bucket here)
// reads only the partitions of the source's ids (same type: bigint); the rows are as without pruning.
TEST_F(AthenaEngineTest, IcebergMergePrunesByJoinKeys) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(
      Run("CREATE TABLE p (id bigint, v string) PARTITIONED BY (bucket(8, id)) LOCATION 's3://data/ice/p' "
          "TBLPROPERTIES ('table_type'='ICEBERG')")
          .first,
      "SUCCEEDED");
  std::string rows;
  for (int i = 1; i <= 40; ++i) rows += (i > 1 ? ", (" : "(") + std::to_string(i) + ", 'v')";
  ASSERT_EQ(Run("INSERT INTO p VALUES " + rows).first, "SUCCEEDED");
  auto scanned = [&](const std::string& sql) -> std::int64_t {
    auto r = Call("StartQueryExecution",
                  {{"QueryString", sql},
                   {"QueryExecutionContext", json::object{{"Database", "lake"}}},
                   {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/q/"}}}});
    std::string id(r["QueryExecutionId"].as_string());
    for (int i = 0; i < 30000; ++i) {
      auto qe = Call("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object();
      std::string state(qe["Status"].as_object()["State"].as_string());
      if (state == "SUCCEEDED") return qe["Statistics"].as_object()["DataScannedInBytes"].as_int64();
      if (state != "QUEUED" && state != "RUNNING") return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return -1;
  };
  const std::string merge =
      "MERGE INTO p t USING (SELECT CAST(34 AS bigint) AS id, 'x' AS v UNION ALL SELECT CAST(99 AS bigint), "
      "'y') "
      "s ON ";
  const std::string clauses =
      " WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v)";
  auto data_bytes = [&]() -> std::int64_t {
    auto r = Run("SELECT sum(file_size_in_bytes) AS n FROM \"p$files\" WHERE content = 0");
    return r.second.size() == 2 ? std::stoll(r.second[1][0]) : -2;
  };
  // A condition naming no column pair reads every data file (and the statement's own scratch files); the
  // join on the bucket's source column reads less than the data files alone.
  std::int64_t before = data_bytes();
  std::int64_t full = scanned(merge + "t.id = s.id + 0" + clauses);
  EXPECT_GE(full, before);
  EXPECT_EQ(Run("SELECT id, v FROM p WHERE v <> 'v' ORDER BY id").second,
            (Table{{"id", "v"}, {"34", "x"}, {"99", "y"}}));
  ASSERT_EQ(Run("DELETE FROM p WHERE id IN (34, 99)").first, "SUCCEEDED");
  before = data_bytes();
  std::int64_t pruned = scanned(merge + "t.id = s.id" + clauses);
  ASSERT_GT(pruned, 0);
  EXPECT_LT(pruned, before);
  EXPECT_EQ(Run("SELECT id, v FROM p WHERE v <> 'v' ORDER BY id").second,
            (Table{{"id", "v"}, {"34", "x"}, {"99", "y"}}));
  EXPECT_EQ(Run("SELECT count(*) AS n FROM p").second, (Table{{"n"}, {"41"}}));
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

// Renames keep the field id: older files read under the new name; a name dropped and added again is a new
// field (its old values do not come back); FIRST / AFTER reorder; REPLACE COLUMNS is Athena's refusal.
TEST_F(AthenaEngineTest, IcebergRenameReadsByFieldId) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE r (id int, note string, k bigint) PARTITIONED BY (bucket(4, k)) "
                "LOCATION 's3://data/ice/r' TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO r VALUES (1, 'old', 10), (2, 'older', 20)").first, "SUCCEEDED");
  ASSERT_EQ(Run("ALTER TABLE r CHANGE COLUMN note memo string").first, "SUCCEEDED");
  ASSERT_EQ(Run("ALTER TABLE r CHANGE k key bigint").first, "SUCCEEDED");  // a partition source column
  ASSERT_EQ(Run("INSERT INTO r VALUES (3, 'new', 30)").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, memo, key FROM r ORDER BY id").second,
            (Table{{"id", "memo", "key"}, {"1", "old", "10"}, {"2", "older", "20"}, {"3", "new", "30"}}));
  EXPECT_EQ(Run("SELECT id FROM r WHERE key = 20").second, (Table{{"id"}, {"2"}}));
  EXPECT_EQ(Run("SELECT id FROM r WHERE memo = 'older'").second, (Table{{"id"}, {"2"}}));
  auto unknown = Run("SELECT note FROM r");
  EXPECT_NE(unknown.first.find("COLUMN_NOT_FOUND"), std::string::npos) << unknown.first;
  // Dropped, then added again under the same name: a new field id, NULL in every older file.
  ASSERT_EQ(Run("ALTER TABLE r DROP COLUMN memo").first, "SUCCEEDED");
  ASSERT_EQ(Run("ALTER TABLE r ADD COLUMNS (memo string)").first, "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO r VALUES (4, 40, 'again')").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, memo FROM r ORDER BY id").second,
            (Table{{"id", "memo"}, {"1", "<null>"}, {"2", "<null>"}, {"3", "<null>"}, {"4", "again"}}));
  // Row-level changes and time travel over renamed columns.
  ASSERT_EQ(Run("UPDATE r SET memo = 'set' WHERE key = 10").first, "SUCCEEDED");
  ASSERT_EQ(Run("DELETE FROM r WHERE id = 2").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, key, memo FROM r ORDER BY id").second,
            (Table{{"id", "key", "memo"}, {"1", "10", "set"}, {"3", "30", "<null>"}, {"4", "40", "again"}}));
  // FIRST / AFTER move the column.
  ASSERT_EQ(Run("ALTER TABLE r CHANGE COLUMN memo memo string FIRST").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT * FROM r WHERE id = 4").second, (Table{{"memo", "id", "key"}, {"again", "4", "40"}}));
  ASSERT_EQ(Run("ALTER TABLE r CHANGE COLUMN memo m string AFTER key").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT * FROM r WHERE id = 4").second, (Table{{"id", "key", "m"}, {"4", "40", "again"}}));
  auto clash = Run("ALTER TABLE r CHANGE COLUMN m id string");
  EXPECT_NE(clash.first.find("ALREADY_EXISTS"), std::string::npos) << clash.first;
  auto after = Run("ALTER TABLE r CHANGE COLUMN m m string AFTER nope");
  EXPECT_NE(after.first.find("COLUMN_NOT_FOUND"), std::string::npos) << after.first;
  auto replace = Run("ALTER TABLE r REPLACE COLUMNS (a int)");
  EXPECT_NE(replace.first.find("NOT_SUPPORTED"), std::string::npos) << replace.first;
}

// ALTER TABLE RENAME TO moves an Iceberg table's Glue entry (the location and its files stay): reads,
// writes, time travel and $snapshots work under the new name, the old one is gone; Hive tables answer the
// Glue refusal Athena reports; missing and existing names answer Trino's errors.
TEST_F(AthenaEngineTest, IcebergRenameTable) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE DATABASE lake2").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE n (id bigint, name string) LOCATION 's3://data/ice/n' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO n VALUES (1, 'a'), (2, 'b')").first, "SUCCEEDED");
  auto first = Run("SELECT snapshot_id FROM \"n$snapshots\"");
  ASSERT_EQ(first.second.size(), 2u);
  const std::string v1 = first.second[1][0];
  ASSERT_EQ(Run("CREATE VIEW nv AS SELECT id FROM n").first, "SUCCEEDED");
  auto before = catalog_->ForRegion("123456789012", "us-east-1")->GetTable("lake", "n");
  ASSERT_TRUE(before.ok());

  ASSERT_EQ(Run("ALTER TABLE n RENAME TO lake2.m").first, "SUCCEEDED");
  auto after = catalog_->ForRegion("123456789012", "us-east-1")->GetTable("lake2", "m");
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->at("Parameters"), before->at("Parameters"));                // metadata_location unchanged
  EXPECT_EQ(after->at("StorageDescriptor"), before->at("StorageDescriptor"));  // so is the location

  auto old_name = Run("SELECT * FROM n");
  EXPECT_NE(old_name.first.find("TABLE_NOT_FOUND"), std::string::npos) << old_name.first;
  auto view = Run("SELECT * FROM nv");
  EXPECT_NE(view.first.find("awsdatacatalog.lake.n"), std::string::npos) << view.first;
  EXPECT_EQ(Run("SELECT id, name FROM lake2.m ORDER BY id").second,
            (Table{{"id", "name"}, {"1", "a"}, {"2", "b"}}));
  ASSERT_EQ(Run("INSERT INTO m VALUES (3, 'c')", "lake2").first, "SUCCEEDED");
  ASSERT_EQ(Run("UPDATE m SET name = 'B' WHERE id = 2", "lake2").first, "SUCCEEDED");
  ASSERT_EQ(Run("DELETE FROM lake2.m WHERE id = 1").first, "SUCCEEDED");
  ASSERT_EQ(
      Run("MERGE INTO lake2.m AS x USING (VALUES (3, 'cc'), (4, 'd')) AS s(id, name) ON x.id = s.id "
          "WHEN MATCHED THEN UPDATE SET name = s.name WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.name)")
          .first,
      "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, name FROM lake2.m ORDER BY id").second,
            (Table{{"id", "name"}, {"2", "B"}, {"3", "cc"}, {"4", "d"}}));
  EXPECT_EQ(Run("SELECT count(*) AS n FROM lake2.m FOR VERSION AS OF " + v1).second, (Table{{"n"}, {"2"}}));
  EXPECT_EQ(Run("SELECT operation FROM lake2.\"m$snapshots\" ORDER BY committed_at").second,
            (Table{{"operation"}, {"append"}, {"append"}, {"overwrite"}, {"delete"}, {"overwrite"}}));
  // Back to the first database and name: a table of the old name reads the same files.
  ASSERT_EQ(Run("ALTER TABLE lake2.m RENAME TO lake.n").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT count(*) AS c FROM n").second, (Table{{"c"}, {"3"}}));
  EXPECT_EQ(Run("SELECT count(*) AS c FROM nv").second, (Table{{"c"}, {"3"}}));

  ASSERT_EQ(
      Run("CREATE TABLE o (id bigint) LOCATION 's3://data/ice/o' TBLPROPERTIES ('table_type'='ICEBERG')")
          .first,
      "SUCCEEDED");
  EXPECT_EQ(Run("ALTER TABLE n RENAME TO o").first,
            "FAILED: TABLE_ALREADY_EXISTS: line 1:1: Target table 'awsdatacatalog.lake.o' already exists");
  EXPECT_EQ(Run("ALTER TABLE nope RENAME TO p").first,
            "FAILED: TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.lake.nope' does not exist");
  EXPECT_EQ(Run("ALTER TABLE n RENAME TO nodb.p").first,
            "FAILED: SCHEMA_NOT_FOUND: line 1:1: Target schema 'nodb' does not exist");
  ASSERT_EQ(Run("CREATE EXTERNAL TABLE h (a int) STORED AS PARQUET LOCATION 's3://data/h/'").first,
            "SUCCEEDED");
  auto hive = Run("ALTER TABLE h RENAME TO h2");
  EXPECT_EQ(
      hive.first.rfind("FAILED: FAILED: Execution Error, return code 1 from "
                       "org.apache.hadoop.hive.ql.exec.DDLTask. Table cannot be renamed (Service: "
                       "AmazonDataCatalog; Status Code: 400; Error Code: InvalidInputException; Request ID: ",
                       0),
      0u)
      << hive.first;
  EXPECT_EQ(Run("SELECT count(*) AS c FROM h").first, "SUCCEEDED");
  EXPECT_NE(Run("SELECT * FROM h2").first.find("TABLE_NOT_FOUND"), std::string::npos);
}

// Hidden partitioning bucket(N, col) and truncate(W, col): rows land in the partition of the spec's hash
// (Appendix B), and a filter col = literal reads only the files of its bucket.
TEST_F(AthenaEngineTest, IcebergBucketPartitioningAndPruning) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE b (id bigint, name string, d date, amount decimal(9,2)) "
                "PARTITIONED BY (bucket(8, id), truncate(2, name)) LOCATION 's3://data/ice/b' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO b VALUES (34, 'iceberg', DATE '2017-11-16', 14.20), "
                "(1, 'ann', DATE '2024-01-01', 1.00), (2, 'bob', NULL, NULL), (3, 'ann', NULL, -0.50), "
                "(NULL, NULL, NULL, NULL)")
                .first,
            "SUCCEEDED");
  auto files = Run("SELECT partition, record_count FROM \"b$files\" ORDER BY partition");
  ASSERT_EQ(files.first, "SUCCEEDED");
  std::set<std::string> partitions;
  for (std::size_t i = 1; i < files.second.size(); ++i) partitions.insert(files.second[i][0]);
  auto bucket = [](std::int64_t id) { return std::to_string(IcebergBucket(IcebergHashLong(id), 8)); };
  for (auto [id, name] :
       std::vector<std::pair<int, std::string>>{{34, "ic"}, {1, "an"}, {2, "bo"}, {3, "an"}}) {
    std::string want = "{id_bucket=" + bucket(id) + ", name_trunc=" + name + "}";
    EXPECT_TRUE(partitions.count(want)) << want << " in " << files.second.size();
  }
  EXPECT_TRUE(partitions.count("{id_bucket=null, name_trunc=null}"));
  EXPECT_EQ(Run("SELECT name, amount FROM b WHERE id = 34").second,
            (Table{{"name", "amount"}, {"iceberg", "14.20"}}));
  EXPECT_EQ(Run("SELECT id FROM b WHERE id IN (1, 3) ORDER BY id").second, (Table{{"id"}, {"1"}, {"3"}}));
  EXPECT_EQ(Run("SELECT count(*) AS n FROM b WHERE id = 99").second, (Table{{"n"}, {"0"}}));
  EXPECT_EQ(Run("SELECT id FROM b WHERE b.name = 'bob'").second, (Table{{"id"}, {"2"}}));

  // Bytes scanned: a filter on the bucket source reads one file, no filter all of them.
  auto scanned = [&](const std::string& sql) -> std::int64_t {
    auto r = Call("StartQueryExecution",
                  {{"QueryString", sql},
                   {"QueryExecutionContext", json::object{{"Database", "lake"}}},
                   {"ResultConfiguration", json::object{{"OutputLocation", "s3://results/q/"}}}});
    std::string id(r["QueryExecutionId"].as_string());
    for (int i = 0; i < 30000; ++i) {
      auto qe = Call("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"].as_object();
      std::string state(qe["Status"].as_object()["State"].as_string());
      if (state == "SUCCEEDED") return qe["Statistics"].as_object()["DataScannedInBytes"].as_int64();
      if (state != "QUEUED" && state != "RUNNING") return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return -1;
  };
  // The files of id 34's bucket (any name) and of name 'iceberg''s truncation (any id), from $files.
  auto bytes_of = [&](const std::string& where) -> std::int64_t {
    auto r = Run("SELECT sum(file_size_in_bytes) AS n FROM \"b$files\" WHERE " + where);
    return r.second.size() == 2 ? std::stoll(r.second[1][0]) : -2;
  };
  std::int64_t all = scanned("SELECT * FROM b");
  EXPECT_EQ(all, bytes_of("true"));
  // At most the files of the bucket (or truncation): the column bounds Cenote records for each file
  // (iceberg/metrics.hpp) may skip some of those too.
  std::int64_t one = scanned("SELECT * FROM b WHERE id = 34");
  EXPECT_GT(one, 0);
  EXPECT_LE(one, bytes_of("partition LIKE '{id_bucket=" + bucket(34) + ",%'"));
  EXPECT_LT(one, all);
  std::int64_t by_name = scanned("SELECT * FROM b WHERE name = 'iceberg'");
  EXPECT_GT(by_name, 0);
  EXPECT_LE(by_name, bytes_of("partition LIKE '%name_trunc=ic}'"));
  EXPECT_LT(by_name, all);
  std::int64_t both = scanned("SELECT * FROM b WHERE id = 34 AND b.name = 'iceberg'");
  EXPECT_GT(both, 0);
  EXPECT_LE(both, bytes_of("partition = '{id_bucket=" + bucket(34) + ", name_trunc=ic}'"));
  // A range does not prune on buckets (unordered), but on the files' id bounds.
  EXPECT_LT(scanned("SELECT * FROM b WHERE id > 30"), all);
  EXPECT_EQ(Run("SELECT count(*) AS n FROM b WHERE id > 30").second, (Table{{"n"}, {"1"}}));

  // Other source types: date, string, decimal and timestamp buckets.
  ASSERT_EQ(Run("CREATE TABLE t2 (d date, s string, a decimal(9,2), ts timestamp) "
                "PARTITIONED BY (bucket(16, d), bucket(16, s), bucket(16, a), bucket(16, ts)) "
                "LOCATION 's3://data/ice/t2' TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO t2 VALUES (DATE '2017-11-16', 'iceberg', 14.20, "
                "TIMESTAMP '2017-11-16 22:31:08')")
                .first,
            "SUCCEEDED");
  auto b16 = [](std::int32_t hash) { return std::to_string(IcebergBucket(hash, 16)); };
  EXPECT_EQ(Run("SELECT partition FROM \"t2$files\"").second,
            (Table{{"partition"},
                   {"{d_bucket=" + b16(-653330422) + ", s_bucket=" + b16(1210000089) +
                    ", a_bucket=" + b16(-500754589) + ", ts_bucket=" + b16(-2047944441) + "}"}}));
  EXPECT_EQ(Run("SELECT s FROM t2 WHERE d = DATE '2017-11-16' AND a = 14.20").second,
            (Table{{"s"}, {"iceberg"}}));
  // hour(ts): whole hours since the epoch, floored before it (the writer computes it in the engine).
  ASSERT_EQ(Run("CREATE TABLE h (ts timestamp) PARTITIONED BY (hour(ts)) LOCATION 's3://data/ice/h' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(
      Run("INSERT INTO h VALUES (TIMESTAMP '2017-11-16 22:31:08'), (TIMESTAMP '1969-12-31 23:30:00')").first,
      "SUCCEEDED");
  EXPECT_EQ(Run("SELECT partition FROM \"h$files\" ORDER BY partition").second,
            (Table{{"partition"}, {"{ts_hour=-1}"}, {"{ts_hour=419686}"}}));
  EXPECT_EQ(Run("SELECT count(*) AS n FROM h WHERE ts = TIMESTAMP '1969-12-31 23:30:00'").second,
            (Table{{"n"}, {"1"}}));
  auto refused =
      Run("CREATE TABLE t3 (x double) PARTITIONED BY (bucket(4, x)) LOCATION 's3://data/ice/t3' "
          "TBLPROPERTIES ('table_type'='ICEBERG')");
  EXPECT_NE(refused.first.find("INVALID_TABLE_PROPERTY"), std::string::npos) << refused.first;
}

// A table whose partitioning evolved (as Spark's ALTER TABLE ... ADD PARTITION FIELD leaves it): files of
// spec 0 (identity c) and spec 1 (bucket(4, id)) read together, each pruned by its own spec, then changed by
// DELETE, UPDATE, MERGE and OPTIMIZE.
TEST_F(AthenaEngineTest, IcebergPartitionEvolutionReadsAndWrites) {
  ASSERT_EQ(Run("CREATE DATABASE lake").first, "SUCCEEDED");
  ASSERT_EQ(Run("CREATE TABLE ev (id bigint, c string) PARTITIONED BY (c) LOCATION 's3://data/ice/ev' "
                "TBLPROPERTIES ('table_type'='ICEBERG')")
                .first,
            "SUCCEEDED");
  ASSERT_EQ(Run("INSERT INTO ev VALUES (1, 'a'), (2, 'b'), (5, 'a')").first, "SUCCEEDED");
  // The evolution, written as another engine would: a second spec made the default.
  auto glue = catalog_->ForRegion("123456789012", "us-east-1");
  auto table = glue->GetTable("lake", "ev");
  ASSERT_TRUE(table);
  json::object& params = (*table)["Parameters"].as_object();
  std::string location(params["metadata_location"].as_string());
  std::string key = location.substr(std::string("s3://data/").size());
  auto text = lake_->GetObject("data", key, 1 << 20);
  ASSERT_TRUE(text);
  json::object md = json::parse(*text).as_object();
  md["partition-specs"].as_array().push_back(json::object{
      {"spec-id", 1},
      {"fields",
       json::array{json::object{
           {"name", "id_bucket"}, {"transform", "bucket[4]"}, {"source-id", 1}, {"field-id", 1001}}}}});
  md["default-spec-id"] = 1;
  md["last-partition-id"] = 1001;
  lake_->Put("data", "ice/ev/metadata/00002-evolved.metadata.json", json::serialize(md));
  json::object input;
  for (const char* k : {"Name", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters"})
    if (table->contains(k)) input[k] = (*table)[k];
  input["Parameters"].as_object()["previous_metadata_location"] = location;
  input["Parameters"].as_object()["metadata_location"] =
      "s3://data/ice/ev/metadata/00002-evolved.metadata.json";
  ASSERT_TRUE(glue->UpdateTable("lake", input, false));

  ASSERT_EQ(Run("INSERT INTO ev VALUES (3, 'c'), (4, 'a')").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, c FROM ev ORDER BY id").second,
            (Table{{"id", "c"}, {"1", "a"}, {"2", "b"}, {"3", "c"}, {"4", "a"}, {"5", "a"}}));
  // c = 'a' prunes the spec-0 files only (spec 1 has no c field); id = 4 prunes spec 1 by bucket.
  EXPECT_EQ(Run("SELECT id FROM ev WHERE c = 'a' ORDER BY id").second, (Table{{"id"}, {"1"}, {"4"}, {"5"}}));
  EXPECT_EQ(Run("SELECT c FROM ev WHERE id = 4").second, (Table{{"c"}, {"a"}}));
  auto files = Run("SELECT spec_id, partition FROM \"ev$files\" ORDER BY spec_id, partition");
  ASSERT_EQ(files.first, "SUCCEEDED");
  ASSERT_EQ(files.second.size(), 1u + 2 + 2) << files.second.size();
  EXPECT_EQ(files.second[1], (std::vector<std::string>{"0", "{c=a}"}));
  EXPECT_EQ(files.second[2], (std::vector<std::string>{"0", "{c=b}"}));
  EXPECT_EQ(files.second[3][0], "1");
  EXPECT_EQ(files.second[3][1].rfind("{id_bucket=", 0), 0u) << files.second[3][1];
  // Row-level changes on files of both specs: each position delete file is in the spec and partition of the
  // data file it names; new rows go under the default spec.
  ASSERT_EQ(Run("DELETE FROM ev WHERE id IN (1, 4)").first, "SUCCEEDED");
  ASSERT_EQ(Run("UPDATE ev SET c = 'u' WHERE id = 2").first, "SUCCEEDED");
  ASSERT_EQ(Run("MERGE INTO ev t USING (VALUES (3, 'm'), (5, 'n'), (6, 'x')) AS s(id, c) ON t.id = s.id "
                "WHEN MATCHED THEN UPDATE SET c = s.c WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.c)")
                .first,
            "SUCCEEDED");
  const Table after{{"id", "c"}, {"2", "u"}, {"3", "m"}, {"5", "n"}, {"6", "x"}};
  EXPECT_EQ(Run("SELECT id, c FROM ev ORDER BY id").second, after);
  auto deletes =
      Run("SELECT spec_id, partition, record_count FROM \"ev$files\" WHERE content = 1 "
          "ORDER BY spec_id, partition, record_count");
  ASSERT_EQ(deletes.first, "SUCCEEDED");
  // DELETE: {c=a} (id 1) and spec 1's bucket of id 4; UPDATE: {c=b}; MERGE: {c=a} (id 5), spec 1's (id 3).
  ASSERT_EQ(deletes.second.size(), 1u + 5) << deletes.second.size();
  EXPECT_EQ(deletes.second[1], (std::vector<std::string>{"0", "{c=a}", "1"}));
  EXPECT_EQ(deletes.second[2], (std::vector<std::string>{"0", "{c=a}", "1"}));
  EXPECT_EQ(deletes.second[3], (std::vector<std::string>{"0", "{c=b}", "1"}));
  EXPECT_EQ(deletes.second[4][0], "1");
  EXPECT_EQ(deletes.second[5][0], "1");
  // The data files of spec 0 are still the first INSERT's two; every new row is in a file of spec 1.
  EXPECT_EQ(Run("SELECT count(*) AS n FROM \"ev$files\" WHERE content = 0 AND spec_id = 0").second,
            (Table{{"n"}, {"2"}}));
  // OPTIMIZE rewrites every file of the older spec (and the ones with deletes) into the default spec.
  ASSERT_EQ(Run("OPTIMIZE ev REWRITE DATA USING BIN_PACK").first, "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, c FROM ev ORDER BY id").second, after);
  EXPECT_EQ(Run("SELECT DISTINCT content, spec_id FROM \"ev$files\"").second,
            (Table{{"content", "spec_id"}, {"0", "1"}}));
  // A MERGE whose source matches no row of a table with files in several partitions only inserts.
  ASSERT_EQ(Run("MERGE INTO ev t USING (VALUES (8, 'h')) AS s(id, c) ON t.id = s.id WHEN MATCHED THEN DELETE "
                "WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.c)")
                .first,
            "SUCCEEDED");
  EXPECT_EQ(Run("SELECT id, c FROM ev WHERE id > 5 ORDER BY id").second,
            (Table{{"id", "c"}, {"6", "x"}, {"8", "h"}}));
  EXPECT_EQ(Run("SELECT count(*) AS n FROM \"ev$files\" WHERE content = 1").second, (Table{{"n"}, {"0"}}));
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
