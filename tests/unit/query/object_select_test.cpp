// Object queries (query/object_select.cpp, QueryEngine::DescribeObject / OpenObjectSelect) on a real engine:
// the relation s3object per format, the sandbox over the statement, streaming and errors.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "query_test_util.hpp"

namespace cenote::query {
namespace {

class ObjectSelectTest : public testing::EngineFixture {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = Data(name);
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  ObjectSource Csv(const std::string& path, bool header_names) {
    ObjectSource s;
    s.path = path;
    s.name = "s3://bucket/" + std::filesystem::path(path).filename().string();
    s.header = header_names;
    s.header_names = header_names;
    return s;
  }

  // Every row of the query, fields joined by '|', NULL as "~"; or "ERROR code: message".
  std::string Select(const std::string& sql, const ObjectSource& source) {
    auto cursor = engine_->OpenObjectSelect(sql, source, QueryContext{});
    if (!cursor) return "ERROR " + cursor.error().code + ": " + cursor.error().message;
    std::string out;
    TextBatch batch;
    for (int guard = 0; guard < 100000; ++guard) {
      auto more = (*cursor)->Next(batch);
      if (!more) return out + "ERROR " + more.error().code + ": " + more.error().message;
      if (!*more) break;
      for (std::size_t r = 0; r < batch.rows(); ++r) {
        for (std::size_t c = 0; c < batch.columns; ++c) {
          if (c > 0) out += '|';
          const auto& v = batch.values[r * batch.columns + c];
          out += v ? std::string(*v) : std::string("~");
        }
        out += '\n';
      }
    }
    return out;
  }
};

TEST_F(ObjectSelectTest, CsvColumnsByHeaderOrPosition) {
  std::string path = Write("a.csv", "name,age\nalice,30\n\"bob, jr\",41\ncarol\n");
  auto named = engine_->DescribeObject(Csv(path, true));
  ASSERT_TRUE(named.ok()) << named.error().message;
  ASSERT_EQ(named->size(), 2u);
  EXPECT_EQ((*named)[0].name, "name");
  EXPECT_EQ((*named)[1].duckdb_type, "VARCHAR");
  auto positional = engine_->DescribeObject(Csv(path, false));
  ASSERT_TRUE(positional.ok());
  EXPECT_EQ((*positional)[1].name, "_2");

  EXPECT_EQ(Select("SELECT \"name\", CAST(\"age\" AS VARCHAR) FROM s3object", Csv(path, true)),
            "alice|30\nbob, jr|41\ncarol|~\n");
  EXPECT_EQ(Select("SELECT \"_1\" FROM s3object WHERE \"_2\" = 'age'", Csv(path, false)), "name\n");
}

TEST_F(ObjectSelectTest, JsonRecordsAndParquet) {
  ObjectSource lines;
  lines.path = Write("a.json", "{\"a\":1}\n{\"a\":2,\"b\":\"x\"}\n");
  lines.name = "s3://bucket/a.json";
  lines.format = ObjectSource::Format::kJsonLines;
  EXPECT_EQ(Select("SELECT CAST(json AS VARCHAR) FROM s3object", lines),
            "{\"a\":1}\n{\"a\":2,\"b\":\"x\"}\n");
  ObjectSource doc = lines;
  doc.path = Write("d.json", "{\n  \"a\": [1, 2]\n}\n");
  doc.format = ObjectSource::Format::kJsonDocument;
  EXPECT_EQ(Select("SELECT CAST(json_extract(json, '$.a[1]') AS VARCHAR) FROM s3object", doc), "2\n");

  std::string parquet = Data("p.parquet");
  Trusted("COPY (SELECT 1::BIGINT AS id, 'x' AS label) TO '" + parquet + "' (FORMAT PARQUET)");
  ObjectSource p;
  p.path = parquet;
  p.name = "s3://bucket/p.parquet";
  p.format = ObjectSource::Format::kParquet;
  auto columns = engine_->DescribeObject(p);
  ASSERT_TRUE(columns.ok());
  ASSERT_EQ(columns->size(), 2u);
  EXPECT_EQ((*columns)[0].duckdb_type, "BIGINT");
  EXPECT_EQ(Select("SELECT CAST(id + 1 AS VARCHAR), label FROM s3object", p), "2|x\n");
}

TEST_F(ObjectSelectTest, TheStatementIsSandboxed) {
  std::string path = Write("a.csv", "x\n1\n");
  std::string outside = dir_ / "outside/secret.csv";
  std::ofstream(outside) << "secret\n";
  for (const std::string& sql : std::vector<std::string>{
           "SELECT * FROM read_csv('" + outside + "')", "SELECT * FROM '" + outside + "'",
           "SELECT * FROM other_table", "SELECT current_setting('threads')::VARCHAR FROM s3object",
           "SELECT 1; SELECT 2"}) {
    std::string got = Select(sql, Csv(path, true));
    EXPECT_EQ(got.rfind("ERROR SECURITY", 0), 0u) << sql << ": " << got;
  }
  // Only text columns come back.
  EXPECT_EQ(Select("SELECT 1 FROM s3object", Csv(path, true)).rfind("ERROR", 0), 0u);
}

TEST_F(ObjectSelectTest, ErrorsNameTheObjectNotThePath) {
  std::string path = Write("bad.json", "{\"a\":1}\n{oops\n");
  ObjectSource lines;
  lines.path = path;
  lines.name = "s3://bucket/bad.json";
  lines.format = ObjectSource::Format::kJsonLines;
  std::string got = Select("SELECT CAST(json AS VARCHAR) FROM s3object", lines);
  EXPECT_NE(got.find("ERROR"), std::string::npos) << got;
  EXPECT_EQ(got.find(path), std::string::npos) << got;
  EXPECT_EQ(got.find(dir_.path()), std::string::npos) << got;
}

TEST_F(ObjectSelectTest, StreamsInBatches) {
  std::string text;
  for (int i = 0; i < 50000; ++i) text += std::to_string(i) + "\n";
  std::string path = Write("big.csv", text);
  auto cursor = engine_->OpenObjectSelect("SELECT \"_1\" FROM s3object", Csv(path, false), QueryContext{});
  ASSERT_TRUE(cursor.ok()) << cursor.error().message;
  TextBatch batch;
  std::size_t rows = 0;
  int batches = 0;
  for (int guard = 0; guard < 1000; ++guard) {
    auto more = (*cursor)->Next(batch);
    ASSERT_TRUE(more.ok()) << more.error().message;
    if (!*more) break;
    rows += batch.rows();
    ++batches;
  }
  EXPECT_EQ(rows, 50000u);
  EXPECT_GT(batches, 1);
}

}  // namespace
}  // namespace cenote::query
