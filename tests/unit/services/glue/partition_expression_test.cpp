// The GetPartitions Expression language.
#include "services/glue/partition_expression.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace cenote::glue {
namespace {

const std::vector<PartitionKey> kKeys = {
    {"year", "int"}, {"month", "string"}, {"day", "date"}, {"Region", "varchar(10)"}, {"id", "bigint"}};

// Parses against kKeys and evaluates on one partition (year, month, day, region, id).
bool M(const std::string& expr,
       std::vector<std::string> values = {"2024", "05", "2024-05-17", "eu-west", "42"}) {
  auto e = PartitionExpression::Parse(expr, kKeys);
  EXPECT_TRUE(e.ok()) << expr << ": " << (e.ok() ? "" : e.error().message);
  return e.ok() && e->Matches(values);
}

std::string ParseError(const std::string& expr, const std::vector<PartitionKey>& keys = kKeys) {
  auto e = PartitionExpression::Parse(expr, keys);
  if (e.ok()) return "parsed";
  EXPECT_EQ(e.error().http_status, 400);
  return e.error().code;
}

TEST(PartitionExpressionTest, EmptyMatchesEverything) {
  EXPECT_TRUE(M(""));
  EXPECT_TRUE(M("   \t "));
}

TEST(PartitionExpressionTest, Comparisons) {
  EXPECT_TRUE(M("year = 2024"));
  EXPECT_TRUE(M("year = '2024'"));
  EXPECT_FALSE(M("year = 2023"));
  EXPECT_TRUE(M("year <> 2023"));
  EXPECT_TRUE(M("year != 2023"));
  EXPECT_TRUE(M("year < > 2023"));  // as the Glue documentation prints it
  EXPECT_TRUE(M("year > 2023"));
  EXPECT_FALSE(M("year > 2024"));
  EXPECT_TRUE(M("year >= 2024"));
  EXPECT_TRUE(M("year < 2025"));
  EXPECT_TRUE(M("year <= 2024"));
  EXPECT_FALSE(M("year < 2024"));
  EXPECT_TRUE(M("2023 < year"));
  EXPECT_TRUE(M("month = '05'"));
  EXPECT_FALSE(M("month = '5'"));
}

TEST(PartitionExpressionTest, NumericKeysCompareAsNumbers) {
  // As strings "9" > "10"; as ints it is the other way round.
  EXPECT_TRUE(M("year > 9", {"10", "05", "2024-05-17", "eu", "1"}));
  EXPECT_FALSE(M("year < 9", {"10", "05", "2024-05-17", "eu", "1"}));
  EXPECT_TRUE(M("year = 10.0", {"10", "05", "2024-05-17", "eu", "1"}));
  EXPECT_TRUE(M("id > -5"));
  EXPECT_TRUE(M("id = 42"));
  EXPECT_TRUE(M("id = 9223372036854775807", {"1", "1", "d", "r", "9223372036854775807"}));
  EXPECT_FALSE(M("id = 9223372036854775806", {"1", "1", "d", "r", "9223372036854775807"}));
  // A value that is not a number never matches a numeric comparison.
  EXPECT_FALSE(M("year > 0", {"abc", "05", "2024-05-17", "eu", "1"}));
  EXPECT_FALSE(M("year = 'abc'", {"abc", "05", "2024-05-17", "eu", "1"}));
}

TEST(PartitionExpressionTest, StringKeysCompareAsStrings) {
  EXPECT_TRUE(M("month > '04'"));
  // A number compared with a string key compares as text: "05" < "4".
  EXPECT_FALSE(M("month > 4"));
  EXPECT_FALSE(M("month > '4'"));
  EXPECT_TRUE(M("month < 4"));
  EXPECT_TRUE(M("day >= '2024-05-01' AND day < '2024-06-01'"));
  EXPECT_FALSE(M("day < '2024-05-17'"));
}

TEST(PartitionExpressionTest, LogicalOperatorsAndPrecedence) {
  EXPECT_TRUE(M("year = 2024 AND month = '05'"));
  EXPECT_FALSE(M("year = 2024 AND month = '06'"));
  EXPECT_TRUE(M("year = 2023 OR month = '05'"));
  EXPECT_TRUE(M("NOT year = 2023"));
  EXPECT_FALSE(M("NOT (year = 2024)"));
  // AND binds tighter than OR.
  EXPECT_TRUE(M("year = 2024 OR year = 1 AND month = 'x'"));
  EXPECT_FALSE(M("(year = 2024 OR year = 1) AND month = 'x'"));
  EXPECT_TRUE(M("((year = 2024)) and (month = '05' or month = '06')"));
  EXPECT_TRUE(M("not not year = 2024"));
}

TEST(PartitionExpressionTest, BetweenInLikeIsNull) {
  EXPECT_TRUE(M("year BETWEEN 2020 AND 2024"));
  EXPECT_FALSE(M("year BETWEEN 2025 AND 2030"));
  EXPECT_TRUE(M("year NOT BETWEEN 2025 AND 2030"));
  EXPECT_TRUE(M("year between 2020 and 2024 and month = '05'"));
  EXPECT_TRUE(M("month IN ('04', '05')"));
  EXPECT_FALSE(M("month IN ('04')"));
  EXPECT_TRUE(M("month NOT IN ('04')"));
  EXPECT_TRUE(M("year IN (2023, 2024.0)"));
  EXPECT_TRUE(M("region LIKE 'eu-%'"));
  EXPECT_TRUE(M("region LIKE 'eu_west'"));
  EXPECT_FALSE(M("region LIKE 'us%'"));
  EXPECT_TRUE(M("region NOT LIKE 'us%'"));
  EXPECT_TRUE(M("region LIKE '%'"));
  EXPECT_TRUE(M("region LIKE '%w%t'"));
  EXPECT_FALSE(M("region LIKE 'eu'"));
  EXPECT_FALSE(M("region IS NULL"));
  EXPECT_TRUE(M("region IS NOT NULL"));
  EXPECT_TRUE(M("region IS NULL", {"1", "1", "d", "__HIVE_DEFAULT_PARTITION__", "1"}));
}

TEST(PartitionExpressionTest, NamesAndLiterals) {
  EXPECT_TRUE(M("REGION = 'eu-west'"));      // keys are case-insensitive
  EXPECT_TRUE(M("\"region\" = 'eu-west'"));  // quoted identifiers
  EXPECT_TRUE(M("`year` = 2024"));
  EXPECT_TRUE(M("region = 'it''s'", {"1", "1", "d", "it's", "1"}));
  EXPECT_TRUE(M("YEAR = 2024 And Month = '05'"));
}

TEST(PartitionExpressionTest, MalformedIsInvalidInput) {
  for (const char* bad : {"year =",
                          "year",
                          "= 2024",
                          "year = 2024 AND",
                          "(year = 2024",
                          "year = 2024)",
                          "year == 2024",
                          "year = 'abc",
                          "year BETWEEN 1",
                          "year BETWEEN 1 OR 2",
                          "year IN 1",
                          "year IN (1, 2",
                          "year IN ()",
                          "region IS 'x'",
                          "year = 2024 month = 1",
                          "year ; drop",
                          "year NOT = 1",
                          "year = 12abc",
                          "\"\" = 1",
                          "AND",
                          "NOT",
                          "()"}) {
    EXPECT_EQ(ParseError(bad), "InvalidInputException") << bad;
  }
}

TEST(PartitionExpressionTest, UnknownKeysAndUnsupportedTypes) {
  EXPECT_EQ(ParseError("nosuchkey = 1"), "InvalidInputException");
  const std::vector<PartitionKey> keys = {{"flag", "boolean"}, {"ok", "string"}};
  EXPECT_EQ(ParseError("flag = true", keys), "InvalidInputException");
  EXPECT_EQ(ParseError("ok = 'x'", keys), "parsed");  // the unsupported key is not named
}

TEST(PartitionExpressionTest, DeepNestingIsRefusedNotACrash) {
  std::string deep(5000, '(');
  deep += "year = 1";
  deep += std::string(5000, ')');
  EXPECT_EQ(ParseError(deep), "InvalidInputException");
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "NOT ";
  nots += "year = 1";
  EXPECT_EQ(ParseError(nots), "InvalidInputException");
  std::string chain = "year = 0";
  for (int i = 1; i < 300; ++i) chain += " OR year = " + std::to_string(i);
  EXPECT_TRUE(M(chain, {"299", "1", "d", "r", "1"}));
}

// Random token soup: Parse answers a value or InvalidInputException, never crashes or hangs.
TEST(PartitionExpressionTest, RandomInputNeverCrashes) {
  const std::vector<std::string> pieces = {"year", "month", "Region",  "`id`", "\"day\"", "nosuch", "=",
                                           "<>",   "!=",    "<",       "<=",   ">",       ">=",     "AND",
                                           "OR",   "NOT",   "BETWEEN", "IN",   "LIKE",    "IS",     "NULL",
                                           "(",    ")",     ",",       "'x'",  "'%'",     "'",      "12",
                                           "-3.5", ".",     "+",       "#",    "''"};
  std::mt19937 rng(20261124);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string expr;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int j = 0; j < n; ++j) expr += pieces[rng() % pieces.size()] + ((rng() % 3) ? " " : "");
    auto e = PartitionExpression::Parse(expr, kKeys);
    if (e.ok()) {
      ++parsed;
      (void)e->Matches({"2024", "05", "2024-05-17", "eu-west", "42"});
    } else {
      ASSERT_EQ(e.error().code, "InvalidInputException") << expr;
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace cenote::glue
