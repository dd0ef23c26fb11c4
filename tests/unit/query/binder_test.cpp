// Catalog binding, partition pruning, views and known answers over CSV/JSON/Parquet tables
// (src/query/binder.cpp).
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;
using testing::FakeResolver;

class BinderTest : public EngineFixture {
 protected:
  void SetUp() override {
    EngineFixture::SetUp();
    // sales: Parquet, partitioned by year (int) and region (string); two files per partition.
    FakeResolver::Table sales;
    sales.binding.database = "lake";
    sales.binding.name = "sales";
    sales.binding.format = FileFormat::kParquet;
    sales.binding.columns = {{"id", "bigint"}, {"item", "string"}, {"amount", "double"}};
    sales.binding.partition_keys = {{"year", "int"}, {"region", "string"}};
    int id = 0;
    for (int year : {2023, 2024}) {
      for (std::string region : {"eu", "us"}) {
        PartitionBinding p;
        p.values = {std::to_string(year), region};
        p.location = "s3://b/sales/year=" + std::to_string(year) + "/region=" + region + "/";
        std::vector<std::string> files;
        for (int f = 0; f < 2; ++f) {
          std::string path = Data("sales-" + std::to_string(year) + region + std::to_string(f));
          ++id;
          Trusted("COPY (SELECT " + std::to_string(id) + "::BIGINT AS id, 'item" + std::to_string(id) +
                  "' AS item, " + std::to_string(id * 10) + ".5::DOUBLE AS amount) TO '" + path +
                  "' (FORMAT PARQUET)");
          files.push_back(path);
        }
        sales.partitions.push_back({p, files});
      }
    }
    resolver_.Add(sales);

    // items: CSV with a header line, '|' delimited, an unparsable int that must read as NULL.
    std::string items_path = Data("items-blob");
    {
      std::ofstream out(items_path);
      out << "item|price|label\nitem1|3|one\nitem2|x|two\nitem3|5|\\N\n";
    }
    FakeResolver::Table items;
    items.binding.database = "lake";
    items.binding.name = "items";
    items.binding.format = FileFormat::kCsv;
    items.binding.delimiter = "|";
    items.binding.skip_header_lines = 1;
    items.binding.columns = {{"item", "string"}, {"price", "int"}, {"label", "string"}};
    items.partitions.push_back({PartitionBinding{{}, "s3://b/items/"}, {items_path}});
    resolver_.Add(items);

    // events: newline-delimited JSON with nested values.
    std::string events_path = Data("events-blob");
    {
      std::ofstream out(events_path);
      out << "{\"id\": 1, \"tags\": [\"a\", \"b\"], \"user\": {\"name\": \"ann\"}}\n"
          << "{\"id\": 2, \"tags\": [], \"user\": {\"name\": \"bob\"}}\n";
    }
    FakeResolver::Table events;
    events.binding.database = "default";
    events.binding.name = "events";
    events.binding.format = FileFormat::kJson;
    events.binding.columns = {{"id", "int"}, {"tags", "array<string>"}, {"user", "struct<name:string>"}};
    events.partitions.push_back({PartitionBinding{{}, "s3://b/events/"}, {events_path}});
    resolver_.Add(events);

    // empty: no files at all.
    FakeResolver::Table empty;
    empty.binding.database = "lake";
    empty.binding.name = "empty";
    empty.binding.format = FileFormat::kParquet;
    empty.binding.columns = {{"a", "int"}};
    empty.partitions.push_back({PartitionBinding{{}, "s3://b/empty/"}, {}});
    resolver_.Add(empty);

    // big_sales view over sales.
    FakeResolver::Table view;
    view.binding.database = "lake";
    view.binding.name = "big_sales";
    view.binding.is_view = true;
    view.binding.view_sql = "SELECT id, amount FROM sales WHERE amount > 50";
    resolver_.Add(view);
  }
};

TEST_F(BinderTest, ParquetTableWithPartitionColumns) {
  EXPECT_EQ(Rows("SELECT id, item, amount, year, region FROM lake.sales ORDER BY id LIMIT 3"),
            "\"1\",\"item1\",\"10.5\",\"2023\",\"eu\"\n"
            "\"2\",\"item2\",\"20.5\",\"2023\",\"eu\"\n"
            "\"3\",\"item3\",\"30.5\",\"2023\",\"us\"\n");
  EXPECT_EQ(last_.columns[3].type, "integer");
  EXPECT_EQ(last_.columns[4].type, "varchar");
  std::int64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "data")) {
    if (entry.path().filename().string().rfind("sales-", 0) == 0) total += entry.file_size();
  }
  EXPECT_EQ(last_.stats.bytes_scanned, total);
}

TEST_F(BinderTest, AggregatesJoinsAndWindows) {
  EXPECT_EQ(Rows("SELECT year, count(*), sum(amount) FROM lake.sales GROUP BY year ORDER BY year"),
            "\"2023\",\"4\",\"102.0\"\n\"2024\",\"4\",\"262.0\"\n");
  EXPECT_EQ(
      Rows("SELECT s.id, i.price, i.label FROM lake.sales s JOIN lake.items i ON s.item = i.item ORDER BY 1"),
      "\"1\",\"3\",\"one\"\n\"2\",,\"two\"\n\"3\",\"5\",\n");
  EXPECT_EQ(
      Rows("SELECT id, rank() OVER (PARTITION BY region ORDER BY amount DESC) FROM lake.sales WHERE year = "
           "2024 ORDER BY id"),
      "\"5\",\"2\"\n\"6\",\"1\"\n\"7\",\"2\"\n\"8\",\"1\"\n");
}

TEST_F(BinderTest, PartitionFilterBindsOnlyMatchingFiles) {
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year = 2024"), "\"4\"\n");
  ASSERT_EQ(resolver_.files_requested.size(), 2u);
  EXPECT_EQ(resolver_.files_requested[0], "s3://b/sales/year=2024/region=eu/");
  EXPECT_EQ(resolver_.files_requested[1], "s3://b/sales/year=2024/region=us/");
  std::int64_t expected = 0;
  for (std::string f : {"sales-2024eu0", "sales-2024eu1", "sales-2024us0", "sales-2024us1"})
    expected += std::filesystem::file_size(Data(f));
  EXPECT_EQ(last_.stats.bytes_scanned, expected);

  resolver_.files_requested.clear();
  EXPECT_EQ(Rows("SELECT id FROM lake.sales t WHERE t.region = 'us' AND t.year IN (2023) AND amount > 0 "
                 "ORDER BY id"),
            "\"3\"\n\"4\"\n");
  ASSERT_EQ(resolver_.files_requested.size(), 1u);
  EXPECT_EQ(resolver_.files_requested[0], "s3://b/sales/year=2023/region=us/");

  resolver_.files_requested.clear();
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year BETWEEN 2020 AND 2023 OR region = 'us'"),
            "\"6\"\n");
  EXPECT_EQ(resolver_.files_requested.size(), 3u);

  resolver_.files_requested.clear();
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year = 1999"), "\"0\"\n");
  EXPECT_EQ(resolver_.files_requested.size(), 0u);
  EXPECT_EQ(last_.stats.bytes_scanned, 0);
}

// Iceberg's hidden fields (TableBinding::hidden_partitions): ranges prune on ordered fields, against one
// value (a day partition) or a range (a data file's column bounds); NULL-only partitions are read by no
// comparison; a partition without the field, or with one side unbounded, is kept on that side.
TEST_F(BinderTest, HiddenRangesPruneOnValuesAndBounds) {
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "ranged";
  t.binding.format = FileFormat::kParquet;
  t.binding.columns = {{"v", "bigint"}, {"ts", "timestamp"}};
  t.binding.hidden_partitions = {
      {"ts", "date_diff('day', DATE '1970-01-01', CAST({} AS DATE))", "BIGINT", true},
      {"v", "{}", "", true},
      {"v", "__cenote_iceberg_bucket(CAST({} AS BIGINT), 4)", "INTEGER", false}};
  struct Part {
    const char* name;
    const char* rows;  // VALUES of (v, ts)
    std::vector<std::optional<std::string>> values;
    std::optional<PartitionBinding::Range> v_range;
  };
  // Day 19723 = 2024-01-01.
  const std::vector<Part> parts = {
      {"p0",
       "(1, TIMESTAMP '2024-01-01 10:00:00'), (3, TIMESTAMP '2024-01-01 23:59:59')",
       {"19723", {}, {}},
       PartitionBinding::Range{"1", "3"}},
      {"p1",
       "(10, TIMESTAMP '2024-01-02 00:00:00'), (12, TIMESTAMP '2024-01-02 01:00:00')",
       {"19724", {}, {}},
       PartitionBinding::Range{"10", "12"}},
      {"p2", "(NULL, NULL)", {"__HIVE_DEFAULT_PARTITION__", "__HIVE_DEFAULT_PARTITION__", {}}, std::nullopt},
      {"p3", "(5, TIMESTAMP '2024-01-03 00:00:00')", {{}, {}, {}}, std::nullopt},
      {"p4",
       "(100, TIMESTAMP '2024-01-05 00:00:00'), (2000, TIMESTAMP '2024-01-05 00:00:00')",
       {"19727", {}, {}},
       PartitionBinding::Range{"100", std::nullopt}},
  };
  for (const Part& part : parts) {
    PartitionBinding p;
    p.location = std::string("iceberg:") + part.name;
    p.hidden_values = part.values;
    p.hidden_ranges = {std::nullopt, part.v_range, std::nullopt};
    std::string path = Data(std::string("ranged-") + part.name);
    Trusted(std::string("COPY (SELECT * FROM (VALUES ") + part.rows + ") AS x(v, ts)) TO '" + path +
            "' (FORMAT PARQUET)");
    t.partitions.push_back({p, {path}});
  }
  resolver_.Add(t);
  auto read = [&](const std::string& where) {
    resolver_.files_requested.clear();
    std::string rows = Rows("SELECT count(*) FROM lake.ranged WHERE " + where);
    std::string files;
    for (const auto& f : resolver_.files_requested) files += f.substr(8) + " ";
    return rows + files;
  };
  EXPECT_EQ(read("v < 10"), "\"3\"\np0 p3 ");
  EXPECT_EQ(read("v <= 10"), "\"4\"\np0 p1 p3 ");
  EXPECT_EQ(read("10 > v"), "\"3\"\np0 p3 ");
  EXPECT_EQ(read("v > 3"), "\"5\"\np1 p3 p4 ");
  EXPECT_EQ(read("v >= 3"), "\"6\"\np0 p1 p3 p4 ");
  EXPECT_EQ(read("v > 5000"), "\"0\"\np3 p4 ");  // p4 has no upper bound
  EXPECT_EQ(read("v BETWEEN 4 AND 9"), "\"1\"\np3 ");
  EXPECT_EQ(read("v > 2.5 AND v < 10.5"), "\"3\"\np0 p1 p3 ");
  EXPECT_EQ(read("v IN (2, 11)"), "\"0\"\np0 p1 p3 ");
  EXPECT_EQ(read("v IS NULL"), "\"1\"\np0 p1 p2 p3 p4 ");
  // The day transform: a strict bound at midnight does not read the day it starts (ts < k is ts <= k - 1 us);
  // elsewhere a strict bound reads the constant's day.
  EXPECT_EQ(read("ts < TIMESTAMP '2024-01-02 00:00:00'"), "\"2\"\np0 p3 ");
  EXPECT_EQ(read("ts < TIMESTAMP '2024-01-02 00:00:00.000001'"), "\"3\"\np0 p1 p3 ");
  EXPECT_EQ(read("ts > TIMESTAMP '2024-01-01 23:59:59.999999'"), "\"5\"\np1 p3 p4 ");
  EXPECT_EQ(read("ts < DATE '2024-01-02'"), "\"2\"\np0 p3 ");
  EXPECT_EQ(read("ts >= TIMESTAMP '2024-01-02 00:00:00'"), "\"5\"\np1 p3 p4 ");
  EXPECT_EQ(read("ts > TIMESTAMP '2024-01-01 23:00:00' AND ts <= TIMESTAMP '2024-01-02 00:30:00'"),
            "\"2\"\np0 p1 p3 ");
  // A bucket is not ordered: ranges do not prune on it (only the other fields do).
  EXPECT_EQ(read("v <> 1"), "\"6\"\np0 p1 p2 p3 p4 ");
}

TEST_F(BinderTest, RepeatedPartitionFiltersPruneTheCurrentPartitions) {
  // A pure filter's pruning answer is cached by its text, which names the partition values: the same
  // query again prunes the same way, and a partition added since is considered.
  for (int round = 0; round < 2; ++round) {
    resolver_.files_requested.clear();
    EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year = 2024 AND region <> 'eu'"), "\"2\"\n");
    ASSERT_EQ(resolver_.files_requested.size(), 1u) << round;
    EXPECT_EQ(resolver_.files_requested[0], "s3://b/sales/year=2024/region=us/");
  }
  FakeResolver::Table sales;
  ASSERT_TRUE(resolver_.Describe("lake", "sales").ok());
  sales.binding = *resolver_.Describe("lake", "sales");
  for (const std::string& location :
       {std::string("s3://b/sales/year=2024/region=us/"), std::string("s3://b/sales/year=2024/region=ap/")}) {
    PartitionBinding p;
    p.values = {"2024", location.find("=ap/") != std::string::npos ? "ap" : "us"};
    p.location = location;
    std::vector<std::string> files = {Data("sales-2024us0")};
    sales.partitions.push_back({p, files});
  }
  resolver_.Add(sales);
  resolver_.files_requested.clear();
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year = 2024 AND region <> 'eu'"), "\"2\"\n");
  EXPECT_EQ(resolver_.files_requested.size(), 2u);

  // A filter that calls a function is evaluated each time (and still prunes).
  resolver_.files_requested.clear();
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE region = lower('AP')"), "\"1\"\n");
  ASSERT_EQ(resolver_.files_requested.size(), 1u);
  EXPECT_EQ(resolver_.files_requested[0], "s3://b/sales/year=2024/region=ap/");
}

TEST_F(BinderTest, LinksToDeletedFilesAreSwept) {
  auto links = [&] {
    std::vector<std::string> live, dangling;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "scratch/hive")) {
      if (!e.is_symlink()) continue;
      (std::filesystem::exists(e.path()) ? live : dangling).push_back(e.path().string());
    }
    return std::make_pair(live.size(), dangling.size());
  };
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales"), "\"8\"\n");
  EXPECT_EQ(links(), std::make_pair(std::size_t{8}, std::size_t{0}));  // one link per data file
  std::filesystem::remove(Data("sales-2024us0"));
  EXPECT_EQ(links(), std::make_pair(std::size_t{7}, std::size_t{1}));
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.items"), "\"3\"\n");  // any query starts a sweep
  EXPECT_EQ(links(), std::make_pair(std::size_t{7}, std::size_t{0}));
  // Each link has a directory of its own, removed with it.
  std::size_t link_dirs = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "scratch/hive")) {
    if (e.is_directory() && e.path().filename().string().find('=') == std::string::npos) ++link_dirs;
  }
  EXPECT_EQ(link_dirs, 7u);
}

// count(*) over a partitioned Parquet table is answered from the files' cached footers (no scan), as DuckDB
// does for a glob: the partition files are named by globs that match exactly one file each.
TEST_F(BinderTest, CountOfAPartitionedTableComesFromCachedFooters) {
  // DuckDB trusts a cached footer only for a file not modified in the last seconds (stored objects are
  // backdated by the blob store).
  auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "data"))
    std::filesystem::last_write_time(e, old);
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales"), "\"8\"\n");  // loads the footers into the cache
  std::string plan = Rows("EXPLAIN SELECT count(*) FROM lake.sales");
  EXPECT_EQ(plan.find("READ_PARQUET"), std::string::npos) << plan;
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales"), "\"8\"\n");
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year = 2024"), "\"4\"\n");
  // Errors and plans still name objects, never the links or their patterns.
  EXPECT_EQ(plan.find("scratch"), std::string::npos) << plan;

  // The same for an unpartitioned table of several files.
  FakeResolver::Table flat;
  flat.binding.database = "lake";
  flat.binding.name = "flat";
  flat.binding.format = FileFormat::kParquet;
  flat.binding.columns = {{"id", "bigint"}};
  std::vector<std::string> files;
  for (int f = 0; f < 3; ++f) {
    files.push_back(Data("flat-" + std::to_string(f)));
    Trusted("COPY (SELECT range AS id FROM range(" + std::to_string(10 * (f + 1)) + ")) TO '" + files.back() +
            "' (FORMAT PARQUET)");
    std::filesystem::last_write_time(files.back(), old);
  }
  flat.partitions.push_back({PartitionBinding{{}, "s3://b/flat/"}, files});
  resolver_.Add(flat);
  EXPECT_EQ(Rows("SELECT count(*), sum(id) FROM lake.flat"), "\"60\",\"670\"\n");
  plan = Rows("EXPLAIN SELECT count(*) FROM lake.flat");
  EXPECT_EQ(plan.find("READ_PARQUET"), std::string::npos) << plan;
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.flat"), "\"60\"\n");
  EXPECT_EQ(plan.find("scratch"), std::string::npos) << plan;
  plan = Rows("EXPLAIN SELECT id FROM lake.flat WHERE id > 5");
  EXPECT_NE(plan.find("READ_PARQUET"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("scratch"), std::string::npos) << plan;
}

TEST_F(BinderTest, NoPruningThroughTheNullSideOfAnOuterJoin) {
  // WHERE s.year = 2024 OR s.year IS NULL must still see all partitions of the right side.
  EXPECT_EQ(Rows("SELECT i.item, s.year FROM lake.items i LEFT JOIN lake.sales s ON s.item = i.item "
                 "WHERE s.year = 2024 OR s.year IS NULL ORDER BY 1"),
            "");
}

TEST_F(BinderTest, ParquetSchemaEvolution) {
  // Old files lack a column added later (NULL), and store `n` as INTEGER where the table says bigint.
  std::string old_file = Data("evo-old");
  std::string new_file = Data("evo-new");
  Trusted("COPY (SELECT 1::INTEGER AS n, 'a' AS \"Name\") TO '" + old_file + "' (FORMAT PARQUET)");
  Trusted("COPY (SELECT 2::BIGINT AS n, 'b' AS name, 9.5::DOUBLE AS added) TO '" + new_file +
          "' (FORMAT PARQUET)");
  FakeResolver::Table evo;
  evo.binding.database = "lake";
  evo.binding.name = "evo";
  evo.binding.format = FileFormat::kParquet;
  evo.binding.columns = {{"n", "bigint"}, {"name", "string"}, {"added", "double"}};
  evo.binding.partition_keys = {{"v", "string"}};
  evo.partitions.push_back({PartitionBinding{{"old"}, "s3://b/evo/v=old/"}, {old_file}});
  evo.partitions.push_back({PartitionBinding{{"new"}, "s3://b/evo/v=new/"}, {new_file}});
  resolver_.Add(evo);
  EXPECT_EQ(Run("SELECT n, name, added, v FROM lake.evo ORDER BY n"),
            "\"n\",\"name\",\"added\",\"v\"\n\"1\",\"a\",,\"old\"\n\"2\",\"b\",\"9.5\",\"new\"\n");
  EXPECT_EQ(last_.columns[0].type, "bigint");
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.evo WHERE added IS NULL"), "\"1\"\n");
}

TEST_F(BinderTest, CsvTableHiveSemantics) {
  EXPECT_EQ(Rows("SELECT item, price, label FROM lake.items ORDER BY item"),
            "\"item1\",\"3\",\"one\"\n\"item2\",,\"two\"\n\"item3\",\"5\",\n");
}

TEST_F(BinderTest, CompressedTextFilesWithoutExtensions) {
  // The same rows gzip-compressed and plain, as extension-less blobs in one partition.
  std::string plain = Data("mixed-plain");
  std::string gz = Data("mixed-gz");
  Trusted("COPY (SELECT 'a' AS x, 1 AS y) TO '" + plain + "' (FORMAT CSV, HEADER false)");
  Trusted("COPY (SELECT 'b' AS x, 2 AS y) TO '" + gz + ".csv.gz' (FORMAT CSV, HEADER false)");
  std::filesystem::rename(gz + ".csv.gz", gz);
  FakeResolver::Table mixed;
  mixed.binding.database = "lake";
  mixed.binding.name = "mixed";
  mixed.binding.format = FileFormat::kCsv;
  mixed.binding.columns = {{"x", "string"}, {"y", "int"}};
  mixed.partitions.push_back({PartitionBinding{{}, "s3://b/mixed/"}, {plain, gz}});
  resolver_.Add(mixed);
  EXPECT_EQ(Rows("SELECT x, y FROM lake.mixed ORDER BY x"), "\"a\",\"1\"\n\"b\",\"2\"\n");
}

TEST_F(BinderTest, JsonTableWithNestedColumns) {
  EXPECT_EQ(Rows("SELECT id, tags, \"user\".name, cardinality(tags) FROM events ORDER BY id"),
            "\"1\",\"[a, b]\",\"ann\",\"2\"\n\"2\",\"[]\",\"bob\",\"0\"\n");
}

TEST_F(BinderTest, KeyExtensionPicksTheCodecLikeAthena) {
  // A ".gz" object that is not gzip fails the query; a plain file named .csv reads as text.
  std::string fake_gz = Data("fake-gz");
  std::ofstream(fake_gz) << "this is not gzip data\n";
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "keyed";
  t.binding.format = FileFormat::kCsv;
  t.binding.columns = {{"a", "string"}};
  t.partitions.push_back({PartitionBinding{{}, "s3://b/keyed/"}, {fake_gz}});
  resolver_.Add(t);
  resolver_.keys[fake_gz] = "s3://b/keyed/broken.csv.gz";
  std::string out = Run("SELECT count(*) FROM lake.keyed");
  EXPECT_EQ(out.rfind("ERROR ", 0), 0u) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  EXPECT_NE(out.find("s3://b/keyed/broken.csv.gz"), std::string::npos) << out;
  resolver_.keys[fake_gz] = "s3://b/keyed/fine.csv";
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.keyed"), "\"1\"\n");
}

TEST_F(BinderTest, GzippedJsonWithoutExtension) {
  std::string gz = Data("events-gz");
  Trusted("COPY (SELECT 7 AS id) TO '" + gz + ".json.gz' (FORMAT JSON)");
  std::filesystem::rename(gz + ".json.gz", gz);
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "gzjson";
  t.binding.format = FileFormat::kJson;
  t.binding.columns = {{"id", "int"}};
  t.partitions.push_back({PartitionBinding{{}, "s3://b/gzjson/"}, {gz}});
  resolver_.Add(t);
  EXPECT_EQ(Rows("SELECT id FROM lake.gzjson"), "\"7\"\n");
}

TEST_F(BinderTest, EmptyTableHasColumns) {
  EXPECT_EQ(Run("SELECT * FROM lake.empty"), "\"a\"\n");
  EXPECT_EQ(last_.columns.size(), 1u);
  EXPECT_EQ(last_.columns[0].type, "integer");
}

TEST_F(BinderTest, UnqualifiedNamesUseTheContextDatabase) {
  EXPECT_EQ(Run("SELECT count(*) AS n FROM sales", "lake"), "\"n\"\n\"8\"\n");
  EXPECT_EQ(Run("SELECT count(*) AS n FROM \"LAKE\".\"SALES\""), "\"n\"\n\"8\"\n");
}

TEST_F(BinderTest, CtesShadowCatalogTables) {
  EXPECT_EQ(Rows("WITH sales AS (SELECT 1 AS id) SELECT * FROM sales"), "\"1\"\n");
  EXPECT_EQ(
      Rows("WITH x AS (SELECT id FROM lake.sales WHERE year = 2023) SELECT count(*) FROM x, (SELECT 1) y"),
      "\"4\"\n");
}

TEST_F(BinderTest, ViewsBindRecursively) {
  EXPECT_EQ(Run("SELECT count(*) AS n, min(id) AS m FROM lake.big_sales"), "\"n\",\"m\"\n\"4\",\"5\"\n");
}

TEST_F(BinderTest, ViewCyclesAndBadViewSqlAreRefused) {
  FakeResolver::Table a;
  a.binding.database = "lake";
  a.binding.name = "loop_a";
  a.binding.is_view = true;
  a.binding.view_sql = "SELECT * FROM loop_b";
  resolver_.Add(a);
  FakeResolver::Table b = a;
  b.binding.name = "loop_b";
  b.binding.view_sql = "SELECT * FROM loop_a";
  resolver_.Add(b);
  std::string out = Run("SELECT * FROM lake.loop_a");
  EXPECT_EQ(out.rfind("ERROR ", 0), 0u) << out;
  EXPECT_NE(out.find("refers to itself"), std::string::npos) << out;

  FakeResolver::Table evil = a;
  evil.binding.name = "evil";
  evil.binding.view_sql = "SELECT * FROM read_csv('/etc/passwd')";
  resolver_.Add(evil);
  out = Run("SELECT * FROM lake.evil");
  EXPECT_EQ(out.rfind("ERROR SECURITY", 0), 0u) << out;
}

TEST_F(BinderTest, MissingTableAndColumn) {
  std::string out = Run("SELECT * FROM lake.nope");
  EXPECT_EQ(out.rfind("ERROR EntityNotFoundException", 0), 0u) << out;
  out = Run("SELECT nope FROM lake.sales");
  EXPECT_EQ(out.rfind("ERROR ", 0), 0u);
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
}

TEST_F(BinderTest, ConvertedAvroAndOrcFilesReadAsJsonWithBase64Binary) {
  // The Athena resolver hands Avro and ORC tables over as JSON lines (serde_files.hpp).
  std::string path = Data("converted");
  std::ofstream(path) << "{\"id\":1,\"raw\":\"AP8=\",\"price\":\"12.34\",\"inner\":{\"x\":3}}\n";
  for (FileFormat format : {FileFormat::kAvro, FileFormat::kOrc}) {
    FakeResolver::Table t;
    t.binding.database = "lake";
    t.binding.name = format == FileFormat::kAvro ? "avro" : "orc";
    t.binding.format = format;
    t.binding.columns = {
        {"id", "bigint"}, {"raw", "binary"}, {"price", "decimal(10,2)"}, {"inner", "struct<x:int>"}};
    t.partitions.push_back({PartitionBinding{{}, "s3://b/" + t.binding.name + "/"}, {path}});
    resolver_.Add(t);
    EXPECT_EQ(Rows("SELECT id, raw, price, \"inner\".x FROM lake." + t.binding.name),
              "\"1\",\"00 ff\",\"12.34\",\"3\"\n");
  }
}

TEST_F(BinderTest, LazySimpleSerDeCollections) {
  std::string path = Data("delimited");
  std::ofstream(path) << "1|1,2,x|k1:10,k2:NA|a,5\n2|NA||b\n";
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "delimited";
  t.binding.format = FileFormat::kCsv;
  t.binding.delimiter = "|";
  t.binding.collection_delimiter = ",";
  t.binding.map_key_delimiter = ":";
  t.binding.null_string = "NA";
  t.binding.columns = {
      {"id", "int"}, {"nums", "array<int>"}, {"m", "map<string,int>"}, {"s", "struct<a:string,b:int>"}};
  t.partitions.push_back({PartitionBinding{{}, "s3://b/delimited/"}, {path}});
  resolver_.Add(t);
  EXPECT_EQ(Rows("SELECT id, nums, m, s FROM lake.delimited ORDER BY id"),
            "\"1\",\"[1, 2, null]\",\"{k1=10, k2=null}\",\"{a=a, b=5}\"\n\"2\",,\"{}\",\"{a=b, b=null}\"\n");
  // Hive's defaults: \002 between items, \003 between a key and its value.
  std::string hive = Data("hive-delimited");
  std::ofstream(hive) << "1\001a\002b\001k\003v\n";
  FakeResolver::Table h;
  h.binding.database = "lake";
  h.binding.name = "hive_delimited";
  h.binding.format = FileFormat::kCsv;
  h.binding.delimiter = std::string(1, '\001');
  h.binding.columns = {{"id", "int"}, {"items", "array<string>"}, {"m", "map<string,string>"}};
  h.partitions.push_back({PartitionBinding{{}, "s3://b/hive/"}, {hive}});
  resolver_.Add(h);
  EXPECT_EQ(Rows("SELECT id, items, m['k'] FROM lake.hive_delimited"), "\"1\",\"[a, b]\",\"v\"\n");
}

TEST_F(BinderTest, OpenCsvDoubledQuotes) {
  std::string path = Data("opencsv");
  std::ofstream(path) << "1,\"he said \"\"hi\"\"\",\"a \\\" b\"\n";
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "opencsv";
  t.binding.format = FileFormat::kCsv;
  t.binding.quote = "\"";
  t.binding.escape = "\\";
  t.binding.columns = {{"id", "string"}, {"said", "string"}, {"escaped", "string"}};
  t.partitions.push_back({PartitionBinding{{}, "s3://b/opencsv/"}, {path}});
  resolver_.Add(t);
  EXPECT_EQ(Rows("SELECT id, said, escaped FROM lake.opencsv"),
            "\"1\",\"he said \"\"hi\"\"\",\"a \"\" b\"\n");
}

TEST_F(BinderTest, JsonSerDeKeyMatching) {
  std::string path = Data("openx");
  std::ofstream(path) << "{\"Id\": 1, \"UserName\": \"Ann\", \"geo.city\": \"Oslo\", \"@ts\": \"x\"}\n"
                      << "{\"id\": 2, \"username\": \"Bob\"}\n"
                      << "not json\n";
  auto table = [&](const std::string& name) {
    FakeResolver::Table t;
    t.binding.database = "lake";
    t.binding.name = name;
    t.binding.format = FileFormat::kJson;
    t.binding.columns = {{"id", "int"}, {"username", "string"}, {"geo_city", "string"}, {"ts", "string"}};
    t.partitions.push_back({PartitionBinding{{}, "s3://b/" + name + "/"}, {path}});
    return t;
  };
  // Case-insensitive keys (both spellings in one file), dots in keys, a mapping, malformed lines as NULLs.
  FakeResolver::Table openx = table("openx");
  openx.binding.json_dots_in_keys = true;
  openx.binding.json_ignore_malformed = true;
  openx.binding.json_mapping = {{"ts", "@ts"}};
  resolver_.Add(openx);
  EXPECT_EQ(Rows("SELECT id, username, geo_city, ts FROM lake.openx ORDER BY id NULLS FIRST"),
            ",,,\n\"1\",\"Ann\",\"Oslo\",\"x\"\n\"2\",\"Bob\",,\n");
  // Exact keys, and a malformed line fails the query.
  FakeResolver::Table exact = table("exact");
  exact.binding.json_case_insensitive = false;
  resolver_.Add(exact);
  std::string out = Run("SELECT id FROM lake.exact");
  EXPECT_EQ(out.rfind("ERROR ", 0), 0u) << out;
  exact.binding.json_ignore_malformed = true;
  exact.binding.name = "exact_lenient";
  resolver_.Add(exact);
  EXPECT_EQ(Rows("SELECT id, username FROM lake.exact_lenient ORDER BY id NULLS FIRST"),
            ",\n,\n\"2\",\"Bob\"\n");
}

TEST_F(BinderTest, CorruptParquetIsAnError) {
  FakeResolver::Table bad;
  bad.binding.database = "lake";
  bad.binding.name = "bad";
  bad.binding.format = FileFormat::kParquet;
  bad.binding.columns = {{"a", "int"}};
  bad.partitions.push_back({PartitionBinding{{}, "s3://b/bad/"}, {Data("items-blob")}});
  resolver_.Add(bad);
  std::string out = Run("SELECT * FROM lake.bad");
  EXPECT_EQ(out.rfind("ERROR HIVE_", 0), 0u) << out;
}

TEST_F(BinderTest, ErrorsNameObjectsNotLocalPaths) {
  std::string bin = Data("binary-blob");
  {
    std::ofstream out(bin, std::ios::binary);
    out << std::string("\xff\xfe\x00\x01 not utf-8,\x80\x81\n", 18);
  }
  FakeResolver::Table t;
  t.binding.database = "lake";
  t.binding.name = "binary";
  t.binding.format = FileFormat::kCsv;
  t.binding.columns = {{"a", "string"}, {"b", "string"}};
  t.partitions.push_back({PartitionBinding{{}, "s3://b/binary/"}, {bin}});
  resolver_.Add(t);
  std::string out = Run("SELECT a FROM lake.binary");
  EXPECT_EQ(out.rfind("ERROR HIVE_BAD_DATA: HIVE_BAD_DATA: ", 0), 0u) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), std::string::npos) << out;
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << out;

  out = Run("SELECT * FROM lake.bad_parquet_missing");
  EXPECT_EQ(out.rfind("ERROR EntityNotFoundException", 0), 0u) << out;
  FakeResolver::Table bad;
  bad.binding.database = "lake";
  bad.binding.name = "badpq";
  bad.binding.format = FileFormat::kParquet;
  bad.binding.columns = {{"a", "int"}};
  bad.partitions.push_back({PartitionBinding{{}, "s3://b/badpq/"}, {bin}});
  resolver_.Add(bad);
  out = Run("SELECT * FROM lake.badpq");
  EXPECT_EQ(out.rfind("ERROR HIVE_", 0), 0u) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  EXPECT_NE(out.find("s3://b/badpq/"), std::string::npos) << out;
}

TEST_F(BinderTest, PartitionedParquetBindsAsOneHiveScan) {
  // Plain partition values bind as one read_parquet over Hive-layout links: the plan has one scan,
  // partition columns keep their types, filters on them and count(*) agree with the data.
  std::string plan = Run("EXPLAIN SELECT count(*) FROM lake.sales");
  EXPECT_EQ(plan.find("UNION"), std::string::npos) << plan;
  EXPECT_EQ(plan.find(dir_.path()), std::string::npos) << plan;
  EXPECT_EQ(Rows("SELECT count(*), min(year), max(year) FROM lake.sales"), "\"8\",\"2023\",\"2024\"\n");
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.sales WHERE year + 1 = 2025 AND region = 'us'"), "\"2\"\n");
  EXPECT_EQ(Rows("SELECT region, sum(amount) FROM lake.sales WHERE year >= 2024 GROUP BY region ORDER BY 1"),
            "\"eu\",\"111.0\"\n\"us\",\"151.0\"\n");
}

TEST_F(BinderTest, PartitionValuesThatAreNotPlainWordsBindPerPartition) {
  // Values a Hive folder cannot spell back exactly (spaces, '%', "NULL", the default partition, a value
  // that does not cast) take the per-partition path, with Hive semantics: no cast -> NULL.
  FakeResolver::Table odd;
  odd.binding.database = "lake";
  odd.binding.name = "odd";
  odd.binding.format = FileFormat::kParquet;
  odd.binding.columns = {{"n", "int"}};
  odd.binding.partition_keys = {{"k", "string"}, {"y", "int"}};
  int n = 0;
  for (auto [k, y] : std::vector<std::pair<std::string, std::string>>{
           {"a b", "1"}, {"50%", "2"}, {"NULL", "3"}, {"__HIVE_DEFAULT_PARTITION__", "4"}, {"plain", "x"}}) {
    std::string path = Data("odd-" + std::to_string(++n));
    Trusted("COPY (SELECT " + std::to_string(n) + "::INTEGER AS n) TO '" + path + "' (FORMAT PARQUET)");
    odd.partitions.push_back({PartitionBinding{{k, y}, "s3://b/odd/" + std::to_string(n) + "/"}, {path}});
  }
  resolver_.Add(odd);
  EXPECT_EQ(Rows("SELECT n, k, y FROM lake.odd ORDER BY n"),
            "\"1\",\"a b\",\"1\"\n\"2\",\"50%\",\"2\"\n\"3\",\"NULL\",\"3\"\n\"4\",,\"4\"\n"
            "\"5\",\"plain\",\n");
  EXPECT_EQ(Rows("SELECT count(*) FROM lake.odd WHERE y IS NULL"), "\"1\"\n");
}

TEST_F(BinderTest, HiveScanErrorsNameTheObject) {
  // A corrupt file in a partitioned Parquet table: the message names its object, not a link or blob path.
  FakeResolver::Table bad;
  bad.binding.database = "lake";
  bad.binding.name = "badpart";
  bad.binding.format = FileFormat::kParquet;
  bad.binding.columns = {{"a", "int"}};
  bad.binding.partition_keys = {{"year", "int"}};
  std::string good = Data("badpart-good");
  Trusted("COPY (SELECT 1::INTEGER AS a) TO '" + good + "' (FORMAT PARQUET)");
  bad.partitions.push_back({PartitionBinding{{"2023"}, "s3://b/badpart/year=2023/"}, {good}});
  bad.partitions.push_back({PartitionBinding{{"2024"}, "s3://b/badpart/year=2024/"}, {Data("items-blob")}});
  resolver_.Add(bad);
  std::string out = Run("SELECT * FROM lake.badpart");
  EXPECT_EQ(out.rfind("ERROR HIVE_", 0), 0u) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  EXPECT_NE(out.find("s3://b/badpart/year=2024/"), std::string::npos) << out;
  EXPECT_EQ(Rows("SELECT a FROM lake.badpart WHERE year = 2023"), "\"1\"\n");
}

TEST_F(BinderTest, MultiFileScanErrorsNameTheObject) {
  // The same for an unpartitioned table of several files (read through links named by globs).
  FakeResolver::Table bad;
  bad.binding.database = "lake";
  bad.binding.name = "badflat";
  bad.binding.format = FileFormat::kParquet;
  bad.binding.columns = {{"a", "int"}};
  std::string good = Data("badflat-good");
  Trusted("COPY (SELECT 1::INTEGER AS a) TO '" + good + "' (FORMAT PARQUET)");
  bad.partitions.push_back({PartitionBinding{{}, "s3://b/badflat/"}, {good, Data("items-blob")}});
  resolver_.keys[Data("items-blob")] = "badflat/part-1.parquet";
  resolver_.Add(bad);
  std::string out = Run("SELECT * FROM lake.badflat");
  EXPECT_EQ(out.rfind("ERROR HIVE_", 0), 0u) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  EXPECT_NE(out.find("badflat/part-1.parquet"), std::string::npos) << out;
}

TEST_F(BinderTest, SelectIntoParquetFilesPartitioned) {
  QueryContext ctx;
  Cancellation cancel;
  WriteSpec spec;
  spec.out_dir = dir_ / "scratch/ctas";
  spec.partitioned_by = {"year"};
  spec.file_prefix = "q123";
  auto r = engine_->RunSelectIntoFiles("SELECT year, id, amount FROM lake.sales WHERE region = 'eu'", ctx,
                                       resolver_, spec, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stats.rows, 4);
  ASSERT_EQ(r->columns.size(), 3u);
  EXPECT_EQ(r->columns[0].name, "id");
  EXPECT_EQ(r->columns[2].name, "year");
  ASSERT_EQ(r->files.size(), 2u);
  EXPECT_EQ(r->files[0].relative_path, "year=2023/q123_0.parquet");
  EXPECT_EQ(r->files[0].partition_values, std::vector<std::string>{"2023"});
  EXPECT_EQ(r->files[1].relative_path, "year=2024/q123_0.parquet");
  EXPECT_GT(r->files[0].size, 0u);
  auto rows = engine_->ExecuteTrusted("SELECT sum(id) FROM read_parquet('" + r->files[1].local_path + "')");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ((*rows)[0][0], "11");
}

TEST_F(BinderTest, SelectIntoFilesWritesNullPartitionsAsTheHiveDefault) {
  QueryContext ctx;
  Cancellation cancel;
  WriteSpec spec;
  spec.out_dir = dir_ / "scratch/ctas-null";
  spec.partitioned_by = {"tag"};
  spec.file_prefix = "q9";
  auto r = engine_->RunSelectIntoFiles(
      "SELECT id, CASE WHEN id % 2 = 0 THEN 'NULL' END AS tag FROM lake.sales WHERE year = 2023", ctx,
      resolver_, spec, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->files.size(), 2u);
  std::map<std::string, std::string> by_value;
  for (const WrittenFile& f : r->files) {
    ASSERT_EQ(f.partition_values.size(), 1u);
    by_value[f.partition_values[0]] = f.relative_path;
  }
  // The string 'NULL' and a real NULL land in different partitions.
  EXPECT_EQ(by_value["NULL"], "tag=NULL/q9_0.parquet");
  EXPECT_EQ(by_value["__HIVE_DEFAULT_PARTITION__"], "tag=__HIVE_DEFAULT_PARTITION__/q9_0.parquet");
  EXPECT_EQ(r->columns[1].name, "tag");
  EXPECT_EQ(r->columns[1].type, "varchar");
}

TEST_F(BinderTest, SelectIntoTextAndJsonFiles) {
  QueryContext ctx;
  Cancellation cancel;
  WriteSpec spec;
  spec.out_dir = dir_ / "scratch/text";
  spec.format = "TEXTFILE";
  spec.compression = "NONE";
  spec.file_prefix = "q1";
  auto r = engine_->RunSelectIntoFiles("SELECT id, item FROM lake.sales WHERE id < 3 ORDER BY id", ctx,
                                       resolver_, spec, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].relative_path, "q1_0.csv");
  std::ifstream in(r->files[0].local_path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "1,item1\n2,item2\n");

  spec.out_dir = dir_ / "scratch/json";
  spec.format = "JSON";
  spec.compression = "GZIP";
  r = engine_->RunSelectIntoFiles("SELECT id FROM lake.sales WHERE id = 1", ctx, resolver_, spec, cancel);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->files.size(), 1u);
  EXPECT_EQ(r->files[0].relative_path, "q1_0.json.gz");

  spec.format = "ORC";
  r = engine_->RunSelectIntoFiles("SELECT 1", ctx, resolver_, spec, cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "NOT_SUPPORTED");
}

TEST_F(BinderTest, ExplainShowsThePlanWithoutLocalPaths) {
  std::string out = Run("EXPLAIN SELECT count(*) FROM lake.sales WHERE year = 2024 AND amount > 1");
  ASSERT_EQ(out.rfind("\"Query Plan\"\n", 0), 0u) << out;
  EXPECT_NE(out.find("READ_PARQUET"), std::string::npos) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  EXPECT_GT(last_.stats.rows, 3);
  EXPECT_EQ(last_.columns.size(), 1u);
  out = Run("  /* c */ explain analyze SELECT count(*) FROM lake.sales");
  EXPECT_EQ(out.rfind("\"Query Plan\"\n", 0), 0u) << out;
  EXPECT_EQ(out.find(dir_.path()), std::string::npos) << out;
  out = Run("EXPLAIN SELECT * FROM read_csv('/etc/passwd')");
  EXPECT_EQ(out.rfind("ERROR SECURITY:", 0), 0u) << out;
  out = Run("EXPLAIN COPY (SELECT 1) TO '/tmp/x'");
  EXPECT_EQ(out.rfind("ERROR SECURITY:", 0), 0u) << out;
  QueryContext ctx;
  auto cols = engine_->DescribeSelect("EXPLAIN SELECT 1", ctx, resolver_);
  ASSERT_TRUE(cols.ok());
  EXPECT_EQ((*cols)[0].name, "Query Plan");
}

TEST_F(BinderTest, DescribeSelectBindsTables) {
  QueryContext ctx;
  auto cols = engine_->DescribeSelect("SELECT id, region FROM lake.sales", ctx, resolver_);
  ASSERT_TRUE(cols.ok()) << cols.error().message;
  ASSERT_EQ(cols->size(), 2u);
  EXPECT_EQ((*cols)[0].type, "bigint");
  EXPECT_EQ((*cols)[1].type, "varchar");
}

}  // namespace
}  // namespace cenote::query
