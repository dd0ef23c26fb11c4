// The SQL sandbox (src/query/sandbox.cpp): escape attempts must be refused with nothing on disk
// changed; legitimate catalog tables still work under the lockdown.
#include <gtest/gtest.h>

#include <map>

#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;
using testing::FakeResolver;

// path -> size of every file under `root` (what must not change).
std::map<std::string, std::uintmax_t> Snapshot(const std::string& root) {
  std::map<std::string, std::uintmax_t> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out[e.path().string()] = e.file_size();
  }
  return out;
}

class SandboxTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    std::string path = Data("t-blob");
    Trusted("COPY (SELECT 1 AS a, 'x' AS b) TO '" + path + "' (FORMAT PARQUET)");
    FakeResolver::Table t;
    t.binding.database = "lake";
    t.binding.name = "t";
    t.binding.format = FileFormat::kParquet;
    t.binding.columns = {{"a", "int"}, {"b", "string"}};
    t.partitions.push_back({PartitionBinding{{}, "s3://b/t/"}, {path}});
    resolver_.Add(t);
    std::ofstream(dir_ / "outside/secret.csv") << "secret,1\n";
  }
};

struct Attempt {
  const char* sql;
  const char* code;  // expected error code
};

// Each attempt names the trick it tries; all must fail with the given code.
const Attempt kAttempts[] = {
    {"SELECT * FROM read_csv('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM read_csv_auto('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM read_parquet('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM read_text('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM read_blob('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM glob('/etc/*')", "SECURITY"},
    {"SELECT * FROM read_csv(['/etc/passwd'])", "SECURITY"},
    {"SELECT * FROM '/etc/passwd'", "SECURITY"},
    {"SELECT * FROM 'file.csv'", "SECURITY"},
    {"SELECT * FROM \"/etc/passwd\"", "SECURITY"},
    {"FROM '/etc/passwd'", "SECURITY"},
    {"COPY (SELECT 1) TO '/tmp/cenote-escape.csv'", "SECURITY"},
    {"COPY lake.t FROM '/etc/passwd'", "SECURITY"},
    {"EXPORT DATABASE '/tmp/cenote-escape'", "SECURITY"},
    {"ATTACH '/tmp/cenote-escape.db' AS x", "SECURITY"},
    {"ATTACH ':memory:' AS x", "SECURITY"},
    {"DETACH x", "SECURITY"},
    {"USE x", "SECURITY"},
    {"INSTALL httpfs", "SECURITY"},
    {"LOAD httpfs", "SECURITY"},
    {"PRAGMA version", "SECURITY"},
    {"SET threads = 1", "SECURITY"},
    {"SET enable_external_access = true", "SECURITY"},
    {"RESET threads", "SECURITY"},
    {"CALL pragma_version()", "SECURITY"},
    {"CREATE TABLE x AS SELECT 1", "SECURITY"},
    {"CREATE VIEW v AS SELECT 1", "SECURITY"},
    {"CREATE MACRO m() AS 1", "SECURITY"},
    {"CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')", "SECURITY"},
    {"INSERT INTO lake.t VALUES (1, 'x')", "SECURITY"},
    {"UPDATE lake.t SET a = 1", "SECURITY"},
    {"DELETE FROM lake.t", "SECURITY"},
    {"CHECKPOINT", "SECURITY"},
    {"VACUUM", "SECURITY"},
    {"BEGIN TRANSACTION", "SECURITY"},
    {"DESCRIBE SELECT 1", "SECURITY"},
    {"SUMMARIZE lake.t", "SECURITY"},
    {"SHOW TABLES", "SECURITY"},
    {"SELECT getenv('HOME')", "SECURITY"},
    {"SELECT current_setting('allowed_directories')", "SECURITY"},
    {"SELECT * FROM duckdb_settings()", "SECURITY"},
    {"SELECT * FROM duckdb_extensions()", "SECURITY"},
    {"SELECT * FROM duckdb_settings", "SECURITY"},
    {"SELECT * FROM duckdb_tables", "SECURITY"},
    {"SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')", "SECURITY"},
    {"SELECT * FROM query_table('lake.t')", "SECURITY"},
    {"SELECT * FROM json_execute_serialized_sql('{}')", "SECURITY"},
    {"SELECT sql_auto_complete('SEL')", "SECURITY"},
    {"SELECT * FROM system.main.duckdb_settings", "SECURITY"},
    {"SELECT * FROM information_schema.tables", "SECURITY"},
    {"SELECT * FROM pg_catalog.pg_tables", "SECURITY"},
    {"SELECT * FROM memory.main.x", "SECURITY"},
    {"SELECT * FROM temp.x", "SECURITY"},
    {"SELECT * FROM sqlite_master", "SECURITY"},
    {"WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", "SECURITY"},
    {"SELECT /* read_csv('/etc/passwd') */ * FROM read_text('/etc/passwd') -- comment", "SECURITY"},
    {"SELECT * FROM lake.t -- ; COPY (SELECT 1) TO '/tmp/x.csv'\n, read_text('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM (SELECT * FROM (SELECT * FROM read_csv('/etc/passwd')))", "SECURITY"},
    {"SELECT (SELECT count(*) FROM read_text('/etc/passwd'))", "SECURITY"},
    {"SELECT a FROM lake.t WHERE a IN (SELECT 1 FROM read_text('/etc/passwd'))", "SECURITY"},
    {"SELECT * FROM read_csv('/etc/' || 'passwd')", "SECURITY"},
    {"SELECT 1; COPY (SELECT 1) TO '/tmp/cenote-escape.csv'", "SECURITY"},
    {"SELECT 1; SELECT 2", "SECURITY"},
    {"SELECT * FROM \"READ_CSV\"('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM \xEF\xBC\xB2\xEF\xBC\xA5\xEF\xBC\xA1\xEF\xBC\xA4_csv('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM lake.t, LATERAL (SELECT * FROM read_csv('/etc/passwd'))", "SECURITY"},
    {"SELECT * FROM read_json_objects('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM read_json('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM sniff_csv('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM parquet_metadata('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM parquet_schema('/etc/passwd')", "SECURITY"},
    {"SELECT __cenote_cardinality([1])", "SECURITY"},
    {"SELECT main.__cenote_if(true, 1)", "SECURITY"},
    {"SELECT * FROM __cenote_result", "SECURITY"},
    {"SELECT system.main.version()", "SECURITY"},
    {"SELECT pg_catalog.current_database()", "SECURITY"},
    {"SELECT ?", "SECURITY"},
    {"SELECT $1", "SECURITY"},
    {"SELECT nextval('s')", "SECURITY"},
    {"SELECT * FROM lake.t AT (VERSION => 1)", "SECURITY"},
    {"PIVOT lake.t ON a USING sum(a)", "SECURITY"},
    {"SELECT * FROM unnest((SELECT list(content) FROM read_text('/etc/passwd')))", "SECURITY"},
    {"SELECT * FROM range(3) r, read_text('/etc/passwd')", "SECURITY"},
    {"SELECT * FROM lake.t UNION ALL SELECT 1, content FROM read_text('/etc/passwd')", "SECURITY"},
    {"SELECT list_transform([1], x -> (SELECT content FROM read_text('/etc/passwd')))", "SECURITY"},
    {"SELECT which_secret('s3://x', 's3')", "SECURITY"},
    {"EXPLAIN SELECT * FROM read_text('/etc/passwd')", "SECURITY"},
};

TEST_F(SandboxTest, EscapeAttemptsAreRefused) {
  auto before = Snapshot(dir_.path());
  int count = 0;
  for (const Attempt& a : kAttempts) {
    std::string out = Run(a.sql);
    EXPECT_EQ(out.rfind(std::string("ERROR ") + a.code + ":", 0), 0u) << a.sql << "\n -> " << out;
    EXPECT_EQ(out.find("root:"), std::string::npos) << a.sql;
    ++count;
  }
  EXPECT_GE(count, 30);
  EXPECT_EQ(Snapshot(dir_.path()), before);
  EXPECT_FALSE(std::filesystem::exists("/tmp/cenote-escape.csv"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/cenote-escape.db"));
  EXPECT_FALSE(std::filesystem::exists("/tmp/cenote-escape"));
}

TEST_F(SandboxTest, RefusalsSayWhat) {
  std::string out = Run("SELECT * FROM read_csv('/etc/passwd')");
  EXPECT_EQ(out, "ERROR SECURITY: The table function read_csv is not allowed in Athena queries");
  out = Run("SELECT getenv('HOME')");
  EXPECT_EQ(out, "ERROR SECURITY: The function getenv is not allowed in Athena queries");
  out = Run("SELECT * FROM '/etc/passwd'");
  EXPECT_EQ(out, "ERROR SECURITY: The table name '/etc/passwd' is not allowed in Athena queries");
  // An Iceberg metadata table ("t$snapshots") is a name the resolver answers; anything else around a '$' is
  // not.
  for (const char* name : {"\"t$\"", "\"$snapshots\"", "\"t$a$b\"", "\"t$../x\""}) {
    out = Run(std::string("SELECT * FROM ") + name);
    EXPECT_EQ(out.rfind("ERROR SECURITY: The table name", 0), 0u) << name << " -> " << out;
  }
  out = Run("SELECT * FROM \"t$snapshots\"");
  EXPECT_EQ(out.find("SECURITY"), std::string::npos) << out;
}

TEST_F(SandboxTest, ViewSqlIsCheckedToo) {
  FakeResolver::Table v;
  v.binding.database = "lake";
  v.binding.name = "v";
  v.binding.is_view = true;
  v.binding.view_sql = "SELECT * FROM lake.t, read_text('" + dir_ / "outside/secret.csv" + "')";
  resolver_.Add(v);
  std::string out = Run("SELECT * FROM lake.v");
  EXPECT_EQ(out.rfind("ERROR SECURITY:", 0), 0u) << out;
  EXPECT_EQ(out.find("secret,1"), std::string::npos);
}

TEST_F(SandboxTest, ResolverPathsOutsideReadableDirsStillFail) {
  // Defence in depth: even if a resolver handed out a file outside readable_dirs, DuckDB refuses it.
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "leak";
  t.binding.format = FileFormat::kCsv;
  t.binding.columns = {{"a", "string"}, {"b", "string"}};
  t.partitions.push_back({PartitionBinding{{}, "s3://b/leak/"}, {dir_ / "outside/secret.csv"}});
  resolver_.Add(t);
  std::string out = Run("SELECT * FROM lake.leak");
  EXPECT_EQ(out.rfind("ERROR ", 0), 0u) << out;
  EXPECT_EQ(out.find("secret,1"), std::string::npos);
}

TEST_F(SandboxTest, LegitimateQueriesWorkUnderTheLockdown) {
  EXPECT_EQ(Rows("SELECT a, b FROM lake.t"), "\"1\",\"x\"\n");
  EXPECT_EQ(Rows("SELECT x FROM unnest(ARRAY[1, 2]) AS u(x) ORDER BY x"), "\"1\"\n\"2\"\n");
  EXPECT_EQ(Rows("SELECT count(*) FROM range(5)"), "\"5\"\n");
  EXPECT_EQ(
      Rows(
          "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT sum(n) FROM r"),
      "\"6\"\n");
  EXPECT_EQ(Rows("VALUES (1, 'a')"), "\"1\",\"a\"\n");
  EXPECT_EQ(Rows("SELECT CAST(a AS DECIMAL(10,2)), CAST(ROW(1) AS ROW(x INTEGER)) FROM lake.t"),
            "\"1.00\",\"{x=1}\"\n");
  EXPECT_EQ(Rows("SELECT a FROM lake.t t1 JOIN lake.t t2 USING (a) WHERE EXISTS (SELECT 1)"), "\"1\"\n");
  EXPECT_EQ(
      Rows("SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM lake.t"),
      "\"1\"\n");
}

}  // namespace
}  // namespace cenote::query
