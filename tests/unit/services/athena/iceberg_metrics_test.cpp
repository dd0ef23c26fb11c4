// The column metrics Cenote records for the Parquet files it writes to Iceberg tables (iceberg/metrics.hpp
// over iceberg/parquet_footer.hpp's statistics), checked against files DuckDB writes as the engine does
// (COPY ... FORMAT PARQUET with FIELD_IDS), and the partition summaries of its manifest lists.
#include <duckdb.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "services/athena/iceberg/iceberg.hpp"
#include "services/athena/iceberg/metrics.hpp"
#include "services/athena/iceberg/parquet_footer.hpp"

namespace cenote::athena {
namespace {

namespace fs = std::filesystem;
namespace ice = iceberg;

class ParquetMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cenote_icemetrics_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    ASSERT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db_, &con_), DuckDBSuccess);
  }
  void TearDown() override {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // Writes `select` to a Parquet file as the engine does (query/engine.cpp RunSelectIntoFiles), with the
  // field ids of `columns`, `rows_per_group` rows per row group.
  std::string Write(const std::string& select, const std::vector<ice::Column>& columns, int rows_per_group) {
    std::string path = (dir_ / ("f" + std::to_string(++n_) + ".parquet")).string();
    std::string sql = "COPY (" + select + ") TO '" + path +
                      "' (FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE " +
                      std::to_string(rows_per_group) + ", FIELD_IDS {";
    for (std::size_t i = 0; i < columns.size(); ++i)
      sql += (i > 0 ? ", " : "") + columns[i].name + ": " + std::to_string(columns[i].id);
    sql += "})";
    duckdb_result r;
    auto state = duckdb_query(con_, sql.c_str(), &r);
    std::string error = state == DuckDBSuccess ? "" : duckdb_result_error(&r);
    duckdb_destroy_result(&r);
    EXPECT_EQ(state, DuckDBSuccess) << error;
    return path;
  }
  fs::path dir_;
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
  int n_ = 0;
};

std::optional<std::string> Lower(const ice::DataFile& f, const ice::Column& c) {
  auto it = f.lower_bounds.find(c.id);
  if (it == f.lower_bounds.end()) return std::nullopt;
  return ice::BoundText(c.type, it->second);
}
std::optional<std::string> Upper(const ice::DataFile& f, const ice::Column& c) {
  auto it = f.upper_bounds.find(c.id);
  if (it == f.upper_bounds.end()) return std::nullopt;
  return ice::BoundText(c.type, it->second);
}

std::string Bytes(std::initializer_list<int> b) {
  std::string out;
  for (int x : b) out += static_cast<char>(x);
  return out;
}

// Every type Cenote writes, over several row groups (the file's bounds are the row groups' extremes),
// with NULLs, a NULL-only column, negative values and long strings.
TEST_F(ParquetMetrics, EveryTypeMatchesTheData) {
  std::vector<ice::Column> cols = {{1, "i", "int"},
                                   {2, "l", "long"},
                                   {3, "d", "double"},
                                   {4, "f", "float"},
                                   {5, "b", "boolean"},
                                   {6, "dt", "date"},
                                   {7, "ts", "timestamp"},
                                   {8, "s", "string"},
                                   {9, "ls", "string"},
                                   {10, "dec", "decimal(10,2)"},
                                   {11, "big", "decimal(38,4)"},
                                   {12, "bin", "binary"},
                                   {13, "n", "int"},
                                   {14, "small", "decimal(4,1)"}};
  std::string select = R"(SELECT * FROM (VALUES
    (5, 1000000000000::BIGINT, 2.5::DOUBLE, 1.5::FLOAT, true, DATE '2024-05-01',
     TIMESTAMP '2024-05-01 10:00:00', 'banana', 'abcdefghijklmnopqrstuvwxyz', -12.50::DECIMAL(10,2),
     12345678901234567890.1234::DECIMAL(38,4), '\x01\x02'::BLOB, NULL::INTEGER, 12.5::DECIMAL(4,1)),
    (-3, -7::BIGINT, -0.25::DOUBLE, -4.0::FLOAT, true, DATE '1969-12-31',
     TIMESTAMP '1969-12-31 23:59:59.5', 'apple', 'zzzzzzzzzzzzzzzzzzzzzz', 3.25::DECIMAL(10,2),
     -1.0000::DECIMAL(38,4), '\xFF'::BLOB, NULL::INTEGER, -0.5::DECIMAL(4,1)),
    (NULL, 3::BIGINT, NULL::DOUBLE, NULL::FLOAT, NULL::BOOLEAN, NULL::DATE, NULL::TIMESTAMP,
     NULL, NULL, NULL::DECIMAL(10,2), NULL::DECIMAL(38,4), NULL::BLOB, NULL::INTEGER, NULL::DECIMAL(4,1)),
    (12, 0::BIGINT, 1e300::DOUBLE, 0.0::FLOAT, true, DATE '2000-02-29', TIMESTAMP '2030-01-01 00:00:00.000001',
     'cherry', 'mmm', 100.00::DECIMAL(10,2), 0.0001::DECIMAL(38,4), ''::BLOB, NULL::INTEGER, 0::DECIMAL(4,1))
    ) AS t(i, l, d, f, b, dt, ts, s, ls, dec, big, bin, n, small))";
  for (int rows_per_group : {1, 2, 100}) {
    SCOPED_TRACE(rows_per_group);
    std::string path = Write(select, cols, rows_per_group);
    ice::DataFile f;
    auto st = ice::AddParquetMetrics(cols, path, &f);
    ASSERT_TRUE(st) << st.error().message;
    for (const auto& c : cols) {
      EXPECT_EQ(f.value_counts[c.id], 4) << c.name;
    }
    auto nulls = [&](int id) { return f.null_value_counts.count(id) ? f.null_value_counts.at(id) : -1; };
    EXPECT_EQ(nulls(1), 1);
    EXPECT_EQ(nulls(2), 0);
    EXPECT_EQ(nulls(13), 4);
    EXPECT_EQ(nulls(8), 1);
    EXPECT_EQ(Lower(f, cols[0]), "-3");
    EXPECT_EQ(Upper(f, cols[0]), "12");
    EXPECT_EQ(Lower(f, cols[1]), "-7");
    EXPECT_EQ(Upper(f, cols[1]), "1000000000000");
    EXPECT_EQ(Lower(f, cols[2]), "-0.25");
    double big = 1e300;
    EXPECT_EQ(f.upper_bounds[3], std::string(reinterpret_cast<const char*>(&big), 8));
    EXPECT_EQ(Lower(f, cols[3]), "-4");
    EXPECT_EQ(Upper(f, cols[3]), "1.5");
    EXPECT_EQ(f.lower_bounds[5], Bytes({1}));
    EXPECT_EQ(f.upper_bounds[5], Bytes({1}));
    EXPECT_EQ(Lower(f, cols[5]), "1969-12-31");
    EXPECT_EQ(Upper(f, cols[5]), "2024-05-01");
    EXPECT_EQ(Lower(f, cols[6]), "1969-12-31 23:59:59.500000");
    EXPECT_EQ(Upper(f, cols[6]), "2030-01-01 00:00:00.000001");
    EXPECT_EQ(Lower(f, cols[7]), "apple");
    EXPECT_EQ(Upper(f, cols[7]), "cherry");
    // truncate(16): the lower bound a prefix, the upper bound's last character incremented.
    EXPECT_EQ(Lower(f, cols[8]), "abcdefghijklmnop");
    EXPECT_EQ(Upper(f, cols[8]), "zzzzzzzzzzzzzzz{");
    EXPECT_EQ(Lower(f, cols[9]), "-12.50");
    EXPECT_EQ(Upper(f, cols[9]), "100.00");
    EXPECT_EQ(f.lower_bounds[10], Bytes({0xfb, 0x1e}));  // -1250, minimal big-endian
    EXPECT_EQ(f.upper_bounds[10], Bytes({0x27, 0x10}));  // 10000
    EXPECT_EQ(Lower(f, cols[10]), "-1.0000");
    EXPECT_EQ(Upper(f, cols[10]), "12345678901234567890.1234");
    EXPECT_EQ(f.lower_bounds[11], Bytes({0xd8, 0xf0}));  // -10000
    EXPECT_EQ(Lower(f, cols[13]), "-0.5");
    EXPECT_EQ(Upper(f, cols[13]), "12.5");
    EXPECT_EQ(f.lower_bounds[12], "");
    EXPECT_EQ(f.upper_bounds[12], Bytes({0xff}));
    // The NULL-only column: counts, no bounds.
    EXPECT_FALSE(f.lower_bounds.count(13));
    EXPECT_FALSE(f.upper_bounds.count(13));
    EXPECT_TRUE(f.nan_value_counts.empty());
  }
}

// NaN never becomes a bound; whatever bounds are written hold every non-NaN value.
TEST_F(ParquetMetrics, NaNIsNeverABound) {
  std::vector<ice::Column> cols = {{1, "d", "double"}, {2, "f", "float"}};
  std::string path = Write(
      "SELECT * FROM (VALUES ('NaN'::DOUBLE, 'NaN'::FLOAT), (2.0, 2.0), (-1.0, -1.0)) AS t(d, f)", cols, 100);
  ice::DataFile f;
  ASSERT_TRUE(ice::AddParquetMetrics(cols, path, &f));
  EXPECT_EQ(f.value_counts[1], 3);
  EXPECT_EQ(f.null_value_counts[1], 0);
  for (const auto& c : cols) {
    auto lo = Lower(f, c), hi = Upper(f, c);
    if (f.lower_bounds.count(c.id)) {
      ASSERT_TRUE(lo) << "a NaN lower bound for " << c.name;
      EXPECT_LE(std::stod(*lo), -1.0);
    }
    if (f.upper_bounds.count(c.id)) {
      ASSERT_TRUE(hi) << "a NaN upper bound for " << c.name;
      EXPECT_GE(std::stod(*hi), 2.0);
    }
  }
}

// Long strings (DuckDB may leave out or truncate the statistics of long values): the bounds written are
// truncate(16)'s, below and above every value, or none.
TEST_F(ParquetMetrics, LongStringsGetTruncatedBoundsOrNone) {
  std::vector<ice::Column> cols = {{1, "s", "string"}};
  for (int length : {40, 5000, 70000}) {
    SCOPED_TRACE(length);
    std::string path = Write("SELECT * FROM (VALUES (repeat('a', " + std::to_string(length) +
                                 ") || 'z'), (repeat('b', " + std::to_string(length) + "))) AS t(s)",
                             cols, 100);
    ice::DataFile f;
    ASSERT_TRUE(ice::AddParquetMetrics(cols, path, &f));
    EXPECT_EQ(f.value_counts[1], 2);
    EXPECT_EQ(f.null_value_counts[1], 0);
    if (f.lower_bounds.count(1)) {
      EXPECT_EQ(f.lower_bounds[1], std::string(16, 'a'));
    }
    if (f.upper_bounds.count(1)) {
      EXPECT_EQ(f.upper_bounds[1], std::string(15, 'b') + "c");
    }
    if (length == 40) {  // short enough for every writer's statistics
      EXPECT_TRUE(f.lower_bounds.count(1));
      EXPECT_TRUE(f.upper_bounds.count(1));
    }
  }
}

TEST(IcebergMetrics, TruncatedStringBounds) {
  EXPECT_EQ(ice::TruncateStringLower("short", 16), "short");
  EXPECT_EQ(ice::TruncateStringUpper("short", 16), "short");
  EXPECT_EQ(ice::TruncateStringLower("abcdef", 3), "abc");
  EXPECT_EQ(ice::TruncateStringUpper("abcdef", 3), "abd");
  // Code points, not bytes: "é" is two bytes.
  EXPECT_EQ(ice::TruncateStringLower("\xc3\xa9\xc3\xa9\xc3\xa9x", 3), "\xc3\xa9\xc3\xa9\xc3\xa9");
  EXPECT_EQ(ice::TruncateStringUpper("\xc3\xa9\xc3\xa9\xc3\xa9x", 3), "\xc3\xa9\xc3\xa9\xc3\xaa");
  // The largest code point cannot be incremented: the one before it is.
  EXPECT_EQ(ice::TruncateStringUpper("a\xf4\x8f\xbf\xbfzz", 2), "b");
  EXPECT_EQ(ice::TruncateStringUpper("\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbfz", 2), std::nullopt);
  // Before the surrogates: the next code point is U+E000.
  EXPECT_EQ(ice::TruncateStringUpper("\xed\x9f\xbfzz", 1), "\xee\x80\x80");
  EXPECT_EQ(ice::TruncateStringLower("\xff\xfe", 1), std::nullopt);  // not UTF-8
}

// Metrics go into the manifest (spec field ids) and come back; partition summaries into the list.
TEST(IcebergMetrics, ManifestMetricsAndPartitionSummariesRoundTrip) {
  auto md = ice::NewMetadata("s3://b/t", "uuid-1",
                             {{"id", "bigint"}, {"name", "string"}, {"ts", "timestamp"}, {"ok", "boolean"}},
                             {{"identity", "name", 0}, {"day", "ts", 0}, {"bucket", "id", 4}}, {}, 1000);
  ASSERT_TRUE(md) << md.error().message;
  ice::DataFile a;
  a.path = "s3://b/t/data/a.parquet";
  a.partition = {{"name", avro::Value::String("m")},
                 {"ts_day", avro::Value::Int(19844)},
                 {"id_bucket", avro::Value::Int(3)}};
  a.record_count = 2;
  a.value_counts = {{1, 2}, {2, 2}};
  a.null_value_counts = {{1, 0}, {2, 1}};
  a.lower_bounds = {{1, Bytes({5, 0, 0, 0, 0, 0, 0, 0})}, {2, "m"}};
  a.upper_bounds = {{1, Bytes({9, 0, 0, 0, 0, 0, 0, 0})}, {2, "m"}};
  ice::DataFile b;
  b.path = "s3://b/t/data/b.parquet";
  b.partition = {{"name", avro::Value::String("b")},
                 {"ts_day", avro::Value::Null()},
                 {"id_bucket", avro::Value::Int(1)}};
  b.record_count = 1;
  auto manifest = ice::WriteManifest(*md, 7, {a, b});
  ASSERT_TRUE(manifest) << manifest.error().message;
  auto entries = ice::ReadManifest(*manifest, ice::ManifestFile{});
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].file.value_counts, a.value_counts);
  EXPECT_EQ((*entries)[0].file.null_value_counts, a.null_value_counts);
  EXPECT_EQ((*entries)[0].file.lower_bounds, a.lower_bounds);
  EXPECT_EQ((*entries)[0].file.upper_bounds, a.upper_bounds);
  EXPECT_TRUE((*entries)[1].file.value_counts.empty());

  auto summaries = ice::PartitionSummaries(*md, std::vector<ice::DataFile>{a, b});
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_FALSE(summaries[0].contains_null);
  EXPECT_EQ(summaries[0].lower, "b");
  EXPECT_EQ(summaries[0].upper, "m");
  EXPECT_TRUE(summaries[1].contains_null);
  EXPECT_EQ(summaries[1].lower, Bytes({0x84, 0x4d, 0, 0}));  // 19844
  EXPECT_EQ(summaries[1].upper, Bytes({0x84, 0x4d, 0, 0}));
  EXPECT_EQ(summaries[2].lower, Bytes({1, 0, 0, 0}));
  EXPECT_EQ(summaries[2].upper, Bytes({3, 0, 0, 0}));
  EXPECT_EQ(summaries[2].contains_nan, false);

  ice::ManifestFile m;
  m.path = "s3://b/t/metadata/m.avro";
  m.partitions = summaries;
  auto list = ice::WriteManifestList(7, std::nullopt, 1, {m});
  ASSERT_TRUE(list) << list.error().message;
  auto read = ice::ReadManifestList(*list);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->size(), 1u);
  ASSERT_EQ((*read)[0].partitions.size(), 3u);
  EXPECT_TRUE((*read)[0].partitions[1].contains_null);
  EXPECT_EQ((*read)[0].partitions[1].contains_nan, false);
  EXPECT_EQ((*read)[0].partitions[0].lower, "b");
  EXPECT_EQ((*read)[0].partitions[2].upper, Bytes({3, 0, 0, 0}));

  // A field whose values Cenote keeps as text (identity of a decimal): no summaries at all, since a
  // summary without bounds says every value is NULL.
  auto by_dec =
      ice::NewMetadata("s3://b/u", "uuid-2", {{"d", "decimal(10,2)"}}, {{"identity", "d", 0}}, {}, 1);
  ASSERT_TRUE(by_dec) << by_dec.error().message;
  ice::DataFile t;
  t.partition = {{"d", avro::Value::String("12.50")}};
  EXPECT_TRUE(ice::PartitionSummaries(*by_dec, std::vector<ice::DataFile>{t}).empty());
  // A partition of NULLs only: contains_null and no bounds.
  auto nulls = ice::PartitionSummaries(*md, std::vector<ice::DataFile>{b});
  ASSERT_EQ(nulls.size(), 3u);
  EXPECT_TRUE(nulls[1].contains_null);
  EXPECT_FALSE(nulls[1].lower);
}

}  // namespace
}  // namespace cenote::athena
