// QueryEngine basics (src/query/engine.cpp): opening, the result CSV, cancellation, timeouts, background
// tasks. The instance's lockdown is tested in instance_test.cpp.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include <atomic>
#include <thread>

#include "common/background_tasks.hpp"
#include "query/statement.hpp"
#include "query/type_tree.hpp"
#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;

class EngineTest : public EngineFixture {};

TEST_F(EngineTest, OpenRequiresScratchDir) {
  EngineOptions options;
  EXPECT_FALSE(QueryEngine::Open(options).ok());
  EXPECT_FALSE(QueryEngine::OpenLazily(options).ok());
}

TEST_F(EngineTest, LazyEngineOpensOnFirstUseAndRetriesFailures) {
  // A scratch directory that cannot be created: every call fails with the reason, nothing opened.
  std::string blocker = dir_ / "blocker";
  { std::ofstream(blocker) << "a file, not a directory"; }
  EngineOptions bad;
  bad.scratch_dir = blocker + "/scratch";
  auto lazy = QueryEngine::OpenLazily(bad);
  ASSERT_TRUE(lazy.ok());
  for (int i = 0; i < 2; ++i) {
    auto r = (*lazy)->ExecuteTrusted("SELECT 1");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("scratch"), std::string::npos) << r.error().message;
  }
  // Once the directory can exist, the next call opens the engine.
  std::filesystem::remove(blocker);
  auto r = (*lazy)->ExecuteTrusted("SELECT 40 + 2");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)[0][0], "42");
  EXPECT_TRUE(std::filesystem::is_directory(blocker + "/scratch/hive"));
}

TEST_F(EngineTest, SelectWritesAthenaCsv) {
  std::string csv =
      Run("SELECT 1 AS i, 'a\"b' AS s, NULL AS n, true AS b, 2.5 AS d, CAST('2024-05-01 12:00:00' AS "
          "TIMESTAMP) AS ts, "
          "DATE '2024-05-01' AS dt, ARRAY[1, 2] AS arr, MAP(ARRAY['a'], ARRAY[1]) AS m, "
          "CAST(ROW(1, 'x') AS ROW(f1 INTEGER, f2 VARCHAR)) AS r, ARRAY['x', NULL] AS an");
  EXPECT_EQ(
      csv,
      "\"i\",\"s\",\"n\",\"b\",\"d\",\"ts\",\"dt\",\"arr\",\"m\",\"r\",\"an\"\n"
      "\"1\",\"a\"\"b\",,\"true\",\"2.5\",\"2024-05-01 12:00:00.000\",\"2024-05-01\",\"[1, 2]\",\"{a=1}\","
      "\"{f1=1, f2=x}\",\"[x, null]\"\n");
  ASSERT_EQ(last_.columns.size(), 11u);
  EXPECT_EQ(last_.columns[0].type, "integer");
  EXPECT_EQ(last_.columns[1].type, "varchar");
  EXPECT_EQ(last_.columns[3].type, "boolean");
  EXPECT_EQ(last_.columns[5].type, "timestamp");
  EXPECT_EQ(last_.columns[7].type, "array");
  EXPECT_EQ(last_.columns[8].type, "map");
  EXPECT_EQ(last_.columns[9].type, "row");
  EXPECT_EQ(last_.stats.rows, 1);
}

TEST_F(EngineTest, NestedNullsAndEmptyContainers) {
  EXPECT_EQ(
      Rows("SELECT CAST(NULL AS INTEGER[]), CAST([] AS INTEGER[]), CAST(NULL AS MAP(VARCHAR, INTEGER)), "
           "MAP(CAST([] AS VARCHAR[]), CAST([] AS INTEGER[])), CAST(NULL AS ROW(a INTEGER)), "
           "CAST(ROW(NULL) AS ROW(a INTEGER)), ARRAY[ARRAY[1], NULL], from_hex('6869')"),
      ",\"[]\",,\"{}\",,\"{a=null}\",\"[[1], null]\",\"68 69\"\n");
}

TEST_F(EngineTest, DoublesPrintLikeAthena) {
  // Java's Double.toString / Float.toString, as Athena writes doubles and reals: plain in [1e-3, 1e7),
  // d.dddE<n> outside, always a digit after the point, shortest digits.
  EXPECT_EQ(Rows("SELECT 1e20::DOUBLE, 12345678.9::DOUBLE, 1e7::DOUBLE, 9999999.5::DOUBLE, 100::DOUBLE, "
                 "0.001::DOUBLE, 0.000123::DOUBLE, -2.5e-7::DOUBLE, 0.1::DOUBLE, 1.5::DOUBLE, 0::DOUBLE, "
                 "-0.0::DOUBLE, 'NaN'::DOUBLE, '-inf'::DOUBLE, 1.7976931348623157e308::DOUBLE, "
                 "0.1::REAL, 3e10::REAL, 1.1e-5::REAL, -123456.7::REAL, NULL::DOUBLE, [1e8, NULL]::DOUBLE[], "
                 "[2.5e9]::REAL[]"),
            "\"1.0E20\",\"1.23456789E7\",\"1.0E7\",\"9999999.5\",\"100.0\",\"0.001\",\"1.23E-4\","
            "\"-2.5E-7\",\"0.1\",\"1.5\",\"0.0\",\"-0.0\",\"NaN\",\"-Infinity\","
            "\"1.7976931348623157E308\",\"0.1\",\"3.0E10\",\"1.1E-5\",\"-123456.7\",,\"[1.0E8, null]\","
            "\"[2.5E9]\"\n");
}

TEST_F(EngineTest, ManyRowsStreamToTheFile) {
  std::string out = Run("SELECT x FROM range(100000) AS t(x) ORDER BY x");
  EXPECT_EQ(last_.stats.rows, 100000);
  EXPECT_EQ(out.substr(0, 12), "\"x\"\n\"0\"\n\"1\"\n");
  EXPECT_NE(out.find("\"99999\"\n"), std::string::npos);
}

TEST_F(EngineTest, OrderByIsKeptInTheResultFile) {
  std::string out =
      Rows("SELECT x, 'v' || CAST(x AS VARCHAR) FROM range(300000) r(x) ORDER BY x % 1000 DESC, x");
  std::istringstream in(out);
  std::string line;
  long long previous_key = 1000;
  long long previous_x = -1;
  long long rows = 0;
  bool ordered = true;
  while (std::getline(in, line)) {
    long long x = std::stoll(line.substr(1, line.find('"', 1) - 1));
    long long key = x % 1000;
    if (key > previous_key || (key == previous_key && x < previous_x)) ordered = false;
    previous_key = key;
    previous_x = x;
    ++rows;
  }
  EXPECT_TRUE(ordered);
  EXPECT_EQ(rows, 300000);
}

TEST_F(EngineTest, SyntaxErrorHasPosition) {
  std::string out = Run("SELECT 1 FROM");
  EXPECT_EQ(out.rfind("ERROR SYNTAX_ERROR: SYNTAX_ERROR: line 1:", 0), 0u) << out;
  out = Run("SELECT *\nFRM x");
  EXPECT_NE(out.find("line 2:"), std::string::npos) << out;
  EXPECT_EQ(Run("").rfind("ERROR SYNTAX_ERROR", 0), 0u);
}

TEST_F(EngineTest, ExecutionErrorsComeBackAsErrors) {
  std::string out = Run("SELECT CAST('abc' AS INTEGER)");
  EXPECT_EQ(out.rfind("ERROR INVALID_CAST_ARGUMENT: INVALID_CAST_ARGUMENT: ", 0), 0u) << out;
  EXPECT_EQ(out.find("LINE"), std::string::npos) << out;
  EXPECT_NE(out.find("abc"), std::string::npos) << out;
  out = Run("SELECT no_such_column FROM (SELECT 1 AS a)");
  EXPECT_EQ(out.rfind("ERROR COLUMN_NOT_FOUND: COLUMN_NOT_FOUND: ", 0), 0u) << out;
  out = Run("SELECT no_such_function(1)");
  EXPECT_EQ(out.rfind("ERROR FUNCTION_NOT_FOUND: ", 0), 0u) << out;
  out = Run("SELECT no_such_column FROM (SELECT 1 AS a)");
  EXPECT_NE(out.find("no_such_column"), std::string::npos) << out;
}

// Cancels `sql` 300 ms into its run: it stops with "Query was cancelled", and the connection serves the
// next query.
void ExpectCancelledWhileRunning(QueryEngine& engine, TableResolver& resolver, const std::string& sql,
                                 const std::string& csv) {
  QueryContext ctx;
  Cancellation cancel;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel.Cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = engine.RunSelect(sql, ctx, resolver, csv, cancel);
  stopper.join();
  ASSERT_FALSE(r.ok()) << sql;
  EXPECT_EQ(r.error().message, "Query was cancelled") << sql;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20)) << sql;
  EXPECT_TRUE(cancel.cancelled());
}

TEST_F(EngineTest, CancellationStopsARunningQuery) {
  // An aggregate runs materialized (one bind); a plain projection is prepared and streamed.
  for (const char* sql : {"SELECT count(*) FROM range(10000000000) a(x) WHERE x % 7 = 3",
                          "SELECT x FROM range(10000000000) a(x) WHERE x % 7 = 9"}) {
    ExpectCancelledWhileRunning(*engine_, resolver_, sql, dir_ / "scratch/c.csv");
    EXPECT_EQ(Rows("SELECT 42"), "\"42\"\n");
  }
}

// Which statements run materialized in one bind (bounded_result) and which stream: only the result's
// size decides, never the answer.
TEST_F(EngineTest, BoundedResultsAreThoseThatGroupAggregateOrLimit) {
  internal::SandboxPolicy policy;
  policy.aggregate_functions = {"sum", "count_star", "count", "avg"};
  auto bounded = [&](const std::string& sql) {
    auto rows = engine_->ExecuteTrusted("SELECT json_serialize_sql(" + internal::QuoteLiteral(sql) + ")");
    EXPECT_TRUE(rows.ok());
    if (!rows.ok() || rows->empty() || !(*rows)[0][0]) return false;
    boost::json::value doc = boost::json::parse(*(*rows)[0][0]);
    return internal::BoundedResult(doc.at("statements").at(0), policy);
  };
  EXPECT_TRUE(bounded("SELECT a, sum(b) FROM t GROUP BY a"));
  EXPECT_TRUE(bounded("SELECT count(*) FROM t WHERE a > 1"));
  EXPECT_TRUE(bounded("SELECT sum(b) + 1 AS s, avg(b) FROM t"));
  EXPECT_TRUE(bounded("SELECT 1"));
  EXPECT_TRUE(bounded("SELECT * FROM t ORDER BY a LIMIT 10"));
  EXPECT_TRUE(bounded("SELECT * FROM t LIMIT 100000"));
  EXPECT_FALSE(bounded("SELECT * FROM t LIMIT 100001"));
  EXPECT_FALSE(bounded("SELECT * FROM t"));
  EXPECT_FALSE(bounded("SELECT a, b FROM t WHERE a > 1 ORDER BY a"));
  EXPECT_FALSE(bounded("SELECT DISTINCT a FROM t"));
  EXPECT_FALSE(bounded("SELECT a FROM t UNION ALL SELECT count(*) FROM t"));
  // Aggregates inside a subquery or a window do not bound the outer rows.
  EXPECT_FALSE(bounded("SELECT a, (SELECT count(*) FROM u) FROM t"));
  EXPECT_FALSE(bounded("SELECT a, sum(b) OVER (PARTITION BY a) FROM t"));
  // unnest() makes rows of its own.
  EXPECT_FALSE(bounded("SELECT unnest(range(100000000))"));
  EXPECT_FALSE(bounded("SELECT a, unnest(list(b)) FROM t GROUP BY a"));
  EXPECT_TRUE(bounded("SELECT unnest(range(10)) LIMIT 10"));
}

TEST_F(EngineTest, CancelledBeforeStartDoesNotRun) {
  QueryContext ctx;
  Cancellation cancel;
  cancel.Cancel();
  auto r = engine_->RunSelect("SELECT 1", ctx, resolver_, dir_ / "scratch/c.csv", cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "Query was cancelled");
}

TEST_F(EngineTest, TimeoutStopsARunningQuery) {
  QueryContext ctx;
  ctx.timeout = std::chrono::milliseconds(300);
  Cancellation cancel;
  auto start = std::chrono::steady_clock::now();
  auto r = engine_->RunSelect("SELECT count(*) FROM range(10000000000) a(x) WHERE x % 7 = 3", ctx, resolver_,
                              dir_ / "scratch/c.csv", cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "TIMEOUT");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// The platform passes its runner: the engine's tasks run there, a timeout still stops a query, and once the
// runner is stopped (shutdown) queries still run (without deadlines) and the engine closes cleanly.
TEST_F(EngineTest, BackgroundTasksRunOnTheGivenRunner) {
  BackgroundTasks tasks;
  EngineOptions options;
  options.scratch_dir = dir_ / "scratch-shared";
  options.link_sweep_interval_s = 3600;
  options.background_tasks = &tasks;
  auto engine = QueryEngine::Open(options);
  ASSERT_TRUE(engine.ok()) << engine.error().message;
  EXPECT_EQ(tasks.Running(), std::vector<std::string>{"query watchdog"});
  QueryContext ctx;
  ctx.timeout = std::chrono::milliseconds(300);
  Cancellation cancel;
  auto r = (*engine)->RunSelect("SELECT count(*) FROM range(10000000000) a(x) WHERE x % 7 = 3", ctx,
                                resolver_, dir_ / "scratch/c.csv", cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "TIMEOUT");
  // The first query started the link sweep's task.
  EXPECT_EQ(tasks.Running(), (std::vector<std::string>{"query watchdog", "query link sweep"}));
  tasks.StopAll();
  EXPECT_TRUE(tasks.Running().empty());
  QueryContext later;
  later.in_memory_result_bytes = 1 << 20;
  auto after = (*engine)->RunSelect("SELECT 42", later, resolver_, dir_ / "scratch/c.csv", cancel);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(after->csv, "\"_col0\"\n\"42\"\n");
  engine->reset();
}

TEST_F(EngineTest, MemoryLimitIsHonoured) {
  // 512 MiB limit: a 2 GiB string aggregation cannot fit and must fail, not take the machine.
  std::string out = Run("SELECT length(string_agg(repeat('x', 1000), '')) FROM range(2000000)");
  EXPECT_EQ(
      out.rfind("ERROR EXCEEDED_LOCAL_MEMORY_LIMIT: EXCEEDED_LOCAL_MEMORY_LIMIT: Query exhausted resources",
                0),
      0u)
      << out.substr(0, 300);
}

TEST_F(EngineTest, ConcurrentQueriesUseTheirOwnConnections) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        QueryContext ctx;
        Cancellation cancel;
        std::string csv = dir_ / ("scratch/c" + std::to_string(t) + ".csv");
        int n = t * 100 + i;
        auto r = engine_->RunSelect("SELECT sum(x) FROM range(" + std::to_string(n) + ") r(x)", ctx,
                                    resolver_, csv, cancel);
        std::ifstream in(csv);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string expected =
            "\"_col0\"\n" + (n == 0 ? std::string() : "\"" + std::to_string(n * (n - 1) / 2) + "\"") + "\n";
        if (!r.ok() || ss.str() != expected) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(EngineTest, DescribeSelectReportsColumns) {
  QueryContext ctx;
  auto cols =
      engine_->DescribeSelect("SELECT 1 AS a, 'x' AS b, CAST(1.5 AS DECIMAL(10,2)) AS c", ctx, resolver_);
  ASSERT_TRUE(cols.ok()) << cols.error().message;
  ASSERT_EQ(cols->size(), 3u);
  EXPECT_EQ((*cols)[0].name, "a");
  EXPECT_EQ((*cols)[0].type, "integer");
  EXPECT_EQ((*cols)[1].type, "varchar");
  EXPECT_EQ((*cols)[2].type, "decimal");
  EXPECT_EQ((*cols)[2].precision, 10);
  EXPECT_EQ((*cols)[2].scale, 2);
}

}  // namespace
}  // namespace cenote::query
