#include "services/glue/crawler/text_format.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "../../../store/temp_dir.hpp"
#include "compressed_bytes.hpp"

namespace cenote::glue::crawler {
namespace {

using store::testing::TempDir;

std::vector<std::string> Records(const std::string& text) { return SplitRecords(text, true, 100); }

TEST(CrawlerTextFormatTest, DetectsCompressionAndParquetByMagic) {
  EXPECT_EQ(DetectCompression(std::string("\x1f\x8b\x08\x00", 4)), Compression::kGzip);
  EXPECT_EQ(DetectCompression(std::string("\x28\xb5\x2f\xfd\x00", 5)), Compression::kZstd);
  EXPECT_EQ(DetectCompression("id,name\n"), Compression::kNone);
  EXPECT_EQ(DetectCompression("\x1f"), Compression::kNone);
  EXPECT_TRUE(IsParquetMagic("PAR1\x15\x04"));
  EXPECT_FALSE(IsParquetMagic("PAR"));
  EXPECT_EQ(CompressionName(Compression::kGzip), "gzip");
  EXPECT_EQ(CompressionName(Compression::kNone), "none");
}

TEST(CrawlerTextFormatTest, ClassifiesValuesLikeTheCsvClassifier) {
  EXPECT_EQ(ClassifyValue("42"), ValueType::kBigint);
  EXPECT_EQ(ClassifyValue("-7"), ValueType::kBigint);
  EXPECT_EQ(ClassifyValue("3.25"), ValueType::kDouble);
  EXPECT_EQ(ClassifyValue("1e10"), ValueType::kDouble);
  EXPECT_EQ(ClassifyValue("TRUE"), ValueType::kBoolean);
  EXPECT_EQ(ClassifyValue(""), ValueType::kEmpty);
  EXPECT_EQ(ClassifyValue("  "), ValueType::kEmpty);
  EXPECT_EQ(ClassifyValue("abc"), ValueType::kString);
  EXPECT_EQ(ClassifyValue("2024-01-05"), ValueType::kString);
  EXPECT_EQ(ClassifyValue("1.2.3"), ValueType::kString);
  EXPECT_EQ(ClassifyValue("12345678901234567890"), ValueType::kString);
  EXPECT_EQ(ClassifyValue("-"), ValueType::kString);
  EXPECT_EQ(ClassifyValue("1e"), ValueType::kString);
}

TEST(CrawlerTextFormatTest, SplitsQuotedFields) {
  bool quoted = false;
  auto f = SplitFields(R"(1,"Smith, John","say ""hi""",)", ',', &quoted);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], "1");
  EXPECT_EQ(f[1], "Smith, John");
  EXPECT_EQ(f[2], "say \"hi\"");
  EXPECT_EQ(f[3], "");
  EXPECT_TRUE(quoted);
  quoted = false;
  EXPECT_EQ(SplitFields("a\tb", '\t', &quoted).size(), 2u);
  EXPECT_FALSE(quoted);
}

TEST(CrawlerTextFormatTest, SplitsRecordsKeepingQuotedNewlinesAndDroppingPartialTail) {
  auto r = SplitRecords("a,b\r\n\"x\ny\",2\n\n3,4\n5,", false, 100);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], "a,b");
  EXPECT_EQ(r[1], "\"x\ny\",2");
  EXPECT_EQ(r[2], "3,4");
  EXPECT_EQ(SplitRecords("a,b\n5,6", true, 100).size(), 2u);
  EXPECT_EQ(SplitRecords("1\n2\n3\n4\n", true, 2).size(), 2u);
}

TEST(CrawlerTextFormatTest, CsvWithHeader) {
  auto d = DetectCsv(Records("id,Name,amount\n1,alice,3.5\n2,bob,4\n"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->delimiter, ',');
  EXPECT_TRUE(d->header);
  EXPECT_FALSE(d->quoted);
  EXPECT_EQ(d->column_names, (std::vector<std::string>{"id", "name", "amount"}));
}

TEST(CrawlerTextFormatTest, CsvWithoutHeaderWhenFirstRowHasNumbers) {
  auto d = DetectCsv(Records("1,alice,3.5\n2,bob,4\n"));
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->header);
  EXPECT_EQ(d->column_names, (std::vector<std::string>{"col0", "col1", "col2"}));
}

TEST(CrawlerTextFormatTest, AllStringCsvHasNoHeaderPerAwsRules) {
  auto d = DetectCsv(Records("name,city\nalice,paris\nbob,rome\n"));
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->header);
  EXPECT_EQ(d->column_names, (std::vector<std::string>{"col0", "col1"}));
}

TEST(CrawlerTextFormatTest, HeaderRulesOnLongAndEmptyNames) {
  std::string long_name(150, 'x');
  EXPECT_FALSE(HasHeader({{long_name, "b"}, {"1", "2"}}));
  EXPECT_TRUE(HasHeader({{"b", long_name}, {"1", "2"}}));  // the last column is exempt
  EXPECT_FALSE(HasHeader({{"", "b"}, {"1", "2"}}));
  EXPECT_TRUE(HasHeader({{"a", ""}, {"1", ""}}));  // trailing delimiter
  EXPECT_FALSE(HasHeader({{"a", "b"}}));
}

TEST(CrawlerTextFormatTest, OtherDelimiters) {
  auto tsv = DetectCsv(Records("id\tname\n1\tx\n2\ty\n"));
  ASSERT_TRUE(tsv);
  EXPECT_EQ(tsv->delimiter, '\t');
  EXPECT_TRUE(tsv->header);
  auto pipe = DetectCsv(Records("a|b|c\n1|2|3\n"));
  ASSERT_TRUE(pipe);
  EXPECT_EQ(pipe->delimiter, '|');
  auto semi = DetectCsv(Records("a;b\n1,5;2\n3,0;4\n"));
  ASSERT_TRUE(semi);
  EXPECT_EQ(semi->delimiter, ';');
  auto ctrl_a =
      DetectCsv(Records("a\x01"
                        "b\n1\x01"
                        "2\n"));
  ASSERT_TRUE(ctrl_a);
  EXPECT_EQ(ctrl_a->delimiter, '\x01');
}

TEST(CrawlerTextFormatTest, QuotedCsvIsReported) {
  auto d = DetectCsv(Records("\"id\",\"name\"\n1,\"Smith, J\"\n2,\"Doe\"\n"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->quoted);
  EXPECT_TRUE(d->header);
  EXPECT_EQ(d->column_names, (std::vector<std::string>{"id", "name"}));
}

TEST(CrawlerTextFormatTest, NotCsv) {
  EXPECT_FALSE(DetectCsv(Records("just one line\n")));
  EXPECT_FALSE(DetectCsv(Records("single\ncolumn\n")));
  EXPECT_FALSE(DetectCsv(Records("a,b\n1,2,3\n")));
}

TEST(CrawlerTextFormatTest, DuplicateHeaderNamesAreMadeUnique) {
  EXPECT_EQ(NormalizeColumnNames({"A", "a", "", "B "}), (std::vector<std::string>{"a", "a_1", "col2", "b"}));
}

TEST(CrawlerTextFormatTest, JsonLines) {
  EXPECT_TRUE(IsJsonLines(Records("{\"a\":1}\n{\"a\":2,\"b\":\"x\"}\n")));
  EXPECT_FALSE(IsJsonLines(Records("[1,2]\n")));
  EXPECT_FALSE(IsJsonLines(Records("{\"a\":1}\nnot json\n")));
  EXPECT_FALSE(IsJsonLines({}));
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(CrawlerTextFormatTest, ReadsHeadsOfPlainGzipAndZstdFiles) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ",row" + std::to_string(i) + "\n";
  WriteFile(dir / "plain", text);
  WriteFile(dir / "gz", testing::Gzip(text));
  WriteFile(dir / "zst", testing::Zstd(text));

  for (auto [name, c] : {std::pair{"plain", Compression::kNone}, std::pair{"gz", Compression::kGzip},
                         std::pair{"zst", Compression::kZstd}}) {
    auto whole = ReadTextHead(dir / name, c, 1 << 20);
    ASSERT_TRUE(whole) << name;
    EXPECT_TRUE(whole->complete) << name;
    EXPECT_EQ(whole->text, text) << name;
    auto head = ReadTextHead(dir / name, c, 100);
    ASSERT_TRUE(head) << name;
    EXPECT_FALSE(head->complete) << name;
    EXPECT_EQ(head->text, text.substr(0, 100)) << name;
  }
  EXPECT_FALSE(ReadTextHead(dir / "missing", Compression::kNone, 10));
  WriteFile(dir / "bad", std::string("\x1f\x8bgarbage", 9));
  EXPECT_FALSE(ReadTextHead(dir / "bad", Compression::kGzip, 10));
}

}  // namespace
}  // namespace cenote::glue::crawler
