#include "query/result_files.hpp"

#include <gtest/gtest.h>

#include "fakes.hpp"

namespace cenote::query {
namespace {

using athena::testing::TempDir;
using athena::testing::WriteFile;

TEST(ResultFilesTest, CsvQuotesNewlinesAndNulls) {
  TempDir dir;
  std::string path = dir / "r.csv";
  WriteFile(path,
            "\"a\",\"b\",\"c\"\n\"x,y\",,\"\"\n\"say \"\"hi\"\"\",\"multi\nline\",\"3\"\r\n\"last\",\"\",\n");
  auto page = ReadResultRows(path, "csv", 3, 0, 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 4u);
  EXPECT_EQ(page->rows[0], (ResultRow{"a", "b", "c"}));
  EXPECT_EQ(page->rows[1][0], std::optional<std::string>("x,y"));
  EXPECT_EQ(page->rows[1][1], std::nullopt);  // empty unquoted field is NULL
  EXPECT_EQ(page->rows[1][2], std::optional<std::string>(""));
  EXPECT_EQ(page->rows[2][0], std::optional<std::string>("say \"hi\""));
  EXPECT_EQ(page->rows[2][1], std::optional<std::string>("multi\nline"));
  EXPECT_EQ(page->rows[2][2], std::optional<std::string>("3"));
  EXPECT_EQ(page->rows[3][2], std::nullopt);
  EXPECT_TRUE(page->at_end);
}

TEST(ResultFilesTest, CsvPagesByOffset) {
  TempDir dir;
  std::string path = dir / "r.csv";
  std::string body = "\"n\"\n";
  for (int i = 0; i < 25; ++i) {
    body.append("\"");
    body.append(std::to_string(i));
    body.append("\nx\"\n");
  }
  WriteFile(path, body);
  std::uint64_t offset = 0;
  std::vector<std::string> seen;
  int pages = 0;
  while (pages < 100) {
    auto page = ReadResultRows(path, "csv", 1, offset, 7);
    ASSERT_TRUE(page.ok());
    for (auto& r : page->rows) seen.push_back(*r[0]);
    ++pages;
    if (page->at_end) break;
    offset = page->next_offset;
  }
  ASSERT_EQ(seen.size(), 26u);
  EXPECT_EQ(seen[0], "n");
  EXPECT_EQ(seen[25], "24\nx");
  EXPECT_EQ(pages, 4);
}

TEST(ResultFilesTest, InMemoryResultsPageLikeFiles) {
  TempDir dir;
  std::string body = "\"n\"\n";
  for (int i = 0; i < 25; ++i) {
    body.append("\"");
    body.append(std::to_string(i));
    body.append("\nx\",\r\n");
  }
  WriteFile(dir / "r.csv", body);
  std::uint64_t offset = 0;
  std::size_t rows = 0;
  for (int pages = 0; pages < 100; ++pages) {
    auto from_file = ReadResultRows(dir / "r.csv", "csv", 2, offset, 7);
    auto from_memory = ReadResultRowsFrom(body, "csv", 2, offset, 7);
    ASSERT_TRUE(from_file.ok() && from_memory.ok());
    EXPECT_EQ(from_memory->rows, from_file->rows);
    EXPECT_EQ(from_memory->next_offset, from_file->next_offset);
    EXPECT_EQ(from_memory->at_end, from_file->at_end);
    rows += from_memory->rows.size();
    if (from_file->at_end) break;
    offset = from_file->next_offset;
  }
  EXPECT_EQ(rows, 26u);
  auto empty = ReadResultRowsFrom("", "txt", 1, 0, 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->rows.empty());
  EXPECT_TRUE(empty->at_end);
  auto past = ReadResultRowsFrom("a\n", "txt", 1, 2, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->rows.empty());
  EXPECT_TRUE(past->at_end);
}

TEST(ResultFilesTest, EmptyFileHasNoRows) {
  TempDir dir;
  WriteFile(dir / "e.csv", "");
  auto page = ReadResultRows(dir / "e.csv", "csv", 1, 0, 10);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->rows.empty());
  EXPECT_TRUE(page->at_end);
  EXPECT_FALSE(ReadResultRows(dir / "missing.csv", "csv", 1, 0, 10).ok());
}

TEST(ResultFilesTest, TxtSplitsTabsOnlyForSeveralColumns) {
  TempDir dir;
  WriteFile(dir / "r.txt", "a\tb\tc\nd\te\n");
  auto one = ReadResultRows(dir / "r.txt", "txt", 1, 0, 10);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->rows.size(), 2u);
  EXPECT_EQ(one->rows[0], (ResultRow{"a\tb\tc"}));
  auto two = ReadResultRows(dir / "r.txt", "txt", 2, 0, 10);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->rows[0], (ResultRow{"a", "b\tc"}));
  EXPECT_EQ(two->rows[1], (ResultRow{"d", "e"}));
}

TEST(ResultFilesTest, CsvLineQuotesEverythingButNull) {
  EXPECT_EQ(CsvLine({std::string("a\"b"), std::nullopt, std::string("")}), "\"a\"\"b\",,\"\"\n");
}

TEST(ResultFilesTest, MetadataRoundTrip) {
  ResultMetadata meta;
  meta.format = "txt";
  meta.header = false;
  meta.update_count = 7;
  meta.columns.push_back({"price", "decimal", 10, 2});
  auto parsed = ParseResultMetadata(SerializeResultMetadata(meta));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->format, "txt");
  EXPECT_FALSE(parsed->header);
  EXPECT_EQ(parsed->update_count, 7);
  ASSERT_EQ(parsed->columns.size(), 1u);
  EXPECT_EQ(parsed->columns[0].type, "decimal");
  EXPECT_EQ(parsed->columns[0].scale, 2);
  EXPECT_FALSE(ParseResultMetadata("not json").ok());
  EXPECT_FALSE(ParseResultMetadata("{\"format\":\"xml\"}").ok());
}

TEST(ResultFilesTest, TokensAreBoundToTheExecution) {
  std::string t = EncodeResultToken("q1", 12345);
  EXPECT_EQ(DecodeResultToken("q1", t), std::optional<std::uint64_t>(12345));
  EXPECT_EQ(DecodeResultToken("q2", t), std::nullopt);
  EXPECT_EQ(DecodeResultToken("q1", "garbage"), std::nullopt);
  EXPECT_EQ(DecodeResultToken("q1", ""), std::nullopt);
}

}  // namespace
}  // namespace cenote::query
