// Trino's analyzer type checks (src/query/dialect_type_checks.cpp, trino_functions_types.cpp): what Trino
// refuses fails with its TYPE_MISMATCH wording and position; what it coerces still runs, with its value.
#include <gtest/gtest.h>

#include <string>

#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;

class DialectTypeChecksTest : public EngineFixture {
 protected:
  // The one row of a query ("ERROR <code>: <message>" when it fails), without its trailing newline.
  std::string Row(const std::string& sql) {
    std::string rows = Rows(sql);
    if (!rows.empty() && rows.back() == '\n') rows.pop_back();
    return rows;
  }
  static std::string Mismatch(const std::string& message) {
    return "ERROR TYPE_MISMATCH: TYPE_MISMATCH: " + message;
  }
};

TEST_F(DialectTypeChecksTest, ColumnAgainstColumn) {
  EXPECT_EQ(Row("SELECT count(*) FROM (VALUES ('x', 1)) AS t(s, i) WHERE s = i"),
            Mismatch("line 1:59: Cannot apply operator: varchar = integer"));
  EXPECT_EQ(Row("SELECT i <> s FROM (VALUES ('x', 1)) AS t(s, i)"),
            Mismatch("line 1:10: Cannot apply operator: integer <> varchar"));
  EXPECT_EQ(Row("SELECT b = i FROM (VALUES (true, 1)) AS t(b, i)"),
            Mismatch("line 1:10: Cannot apply operator: boolean = integer"));
  EXPECT_EQ(Row("SELECT d < s FROM (VALUES (DATE '2024-01-01', '2024-01-02')) AS t(d, s)"),
            Mismatch("line 1:10: Cannot apply operator: date < varchar"));
  // Widening Trino does: integers, decimals, doubles; date to timestamp; varchar of any length.
  EXPECT_EQ(Row("SELECT i = b, i < d, d > r FROM (VALUES (1, BIGINT '1', 1.5, 2e0)) AS t(i, b, d, r)"),
            "\"true\",\"true\",\"false\"");
  EXPECT_EQ(
      Row("SELECT d = ts FROM (VALUES (DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00:00')) AS t(d, ts)"),
      "\"true\"");
  EXPECT_EQ(Row("SELECT a < b FROM (VALUES ('a', CAST('b' AS VARCHAR(3)))) AS t(a, b)"), "\"true\"");
  // Joins compare columns too.
  EXPECT_EQ(Row("SELECT count(*) FROM (VALUES (1)) AS l(k) JOIN (VALUES ('1')) AS r(k) ON l.k = r.k"),
            Mismatch("line 1:78: Cannot apply operator: integer = varchar"));
}

TEST_F(DialectTypeChecksTest, InList) {
  // coerceToSingleType: the first operand whose type has no common super type with those before it, at
  // its position, naming the super type so far.
  EXPECT_EQ(Row("SELECT 'a' IN ('a', 1)"),
            Mismatch("line 1:21: IN value and list items must be the same type: varchar(1)"));
  EXPECT_EQ(Row("SELECT x IN ('1') FROM (VALUES 1) AS t(x)"),
            Mismatch("line 1:14: IN value and list items must be the same type: integer"));
  EXPECT_EQ(Row("SELECT s IN ('a', 'bc', 2) FROM (VALUES 'x') AS t(s)"),
            Mismatch("line 1:25: IN value and list items must be the same type: varchar"));
  EXPECT_EQ(Row("SELECT x NOT IN (1, 2.5, 'a') FROM (VALUES 1) AS t(x)"),
            Mismatch("line 1:26: IN value and list items must be the same type: decimal(11,1)"));
  EXPECT_EQ(Row("SELECT count(*) FROM (VALUES ('a', 1)) AS t(s, i) WHERE i IN (1, s)"),
            Mismatch("line 1:66: IN value and list items must be the same type: integer"));
  EXPECT_EQ(Row("SELECT x IN (1, 2.5, 3e0), x NOT IN (BIGINT '2', NULL) FROM (VALUES 1) AS t(x)"),
            "\"true\",");
  EXPECT_EQ(Row("SELECT 2 IN (SELECT x FROM (VALUES 1, 2) AS t(x))"), "\"true\"");
}

TEST_F(DialectTypeChecksTest, Between) {
  EXPECT_EQ(Row("SELECT s BETWEEN 1 AND 2 FROM (VALUES 'x') AS t(s)"),
            Mismatch("line 1:10: Cannot check if varchar is BETWEEN integer and integer"));
  EXPECT_EQ(Row("SELECT x NOT BETWEEN 'a' AND 2 FROM (VALUES 1) AS t(x)"),
            Mismatch("line 1:10: Cannot check if integer is BETWEEN varchar(1) and integer"));
  EXPECT_EQ(
      Row("SELECT d BETWEEN '2024-01-01' AND DATE '2024-02-01' FROM (VALUES DATE '2024-01-15') AS t(d)"),
      Mismatch("line 1:10: Cannot check if date is BETWEEN varchar(10) and date"));
  EXPECT_EQ(Row("SELECT x BETWEEN 0.5 AND 2e0, DATE '2024-01-01' BETWEEN TIMESTAMP '2023-12-31 10:00:00' AND "
                "TIMESTAMP '2024-01-02 00:00:00' FROM (VALUES 1) AS t(x)"),
            "\"true\",\"true\"");
}

TEST_F(DialectTypeChecksTest, ConditionalBranches) {
  EXPECT_EQ(Row("SELECT CASE WHEN x > 0 THEN 'a' ELSE 1 END FROM (VALUES 1) AS t(x)"),
            Mismatch("line 1:38: All CASE results must be the same type: varchar(1)"));
  EXPECT_EQ(
      Row("SELECT CASE WHEN x > 0 THEN 1 WHEN x < 0 THEN 2.5 ELSE b END FROM (VALUES (1, true)) AS t(x, b)"),
      Mismatch("line 1:56: All CASE results must be the same type: decimal(11,1)"));
  EXPECT_EQ(
      Row("SELECT CASE x WHEN 1 THEN 'a' WHEN 'b' THEN 'c' END FROM (VALUES 1) AS t(x)"),
      Mismatch(
          "line 1:36: CASE operand type does not match WHEN clause operand type: integer vs varchar(1)"));
  EXPECT_EQ(Row("SELECT COALESCE(x, 'a') FROM (VALUES 1) AS t(x)"),
            Mismatch("line 1:20: All COALESCE operands must be the same type: integer"));
  EXPECT_EQ(Row("SELECT if(x > 0, 'a', 1) FROM (VALUES 1) AS t(x)"),
            Mismatch("Result types for IF must be the same: varchar(1) vs integer"));
  EXPECT_EQ(Row("SELECT nullif(x, 'a') FROM (VALUES 1) AS t(x)"),
            Mismatch("line 1:8: Types are not comparable with NULLIF: integer vs varchar(1)"));
  // Branches Trino coerces to one type, and NULL branches.
  EXPECT_EQ(Row("SELECT CASE WHEN x > 0 THEN 1 WHEN x < 0 THEN 2.5 ELSE 3 END, COALESCE(x, 2, 3.5), "
                "if(x > 0, 'a', NULL), nullif(x, 1.5), CASE x WHEN 1 THEN 'one' WHEN 2.0 THEN 'two' END "
                "FROM (VALUES 1) AS t(x)"),
            "\"1.0\",\"1.0\",\"a\",\"1\",\"one\"");
  EXPECT_EQ(Row("SELECT COALESCE(NULL, NULL), COALESCE(DATE '2024-01-01', TIMESTAMP '2024-01-02 00:00:00')"),
            ",\"2024-01-01 00:00:00.000\"");
}

TEST_F(DialectTypeChecksTest, InsideLambdas) {
  EXPECT_EQ(Row("SELECT filter(ARRAY[1, 2], x -> x = 'a')"),
            Mismatch("line 1:35: Cannot apply operator: integer = varchar(1)"));
  EXPECT_EQ(Row("SELECT zip_with(ARRAY[1, 2], ARRAY['a', 'b'], (x, y) -> x = y)"),
            Mismatch("line 1:59: Cannot apply operator: integer = varchar"));
  EXPECT_EQ(Row("SELECT transform(ARRAY[ARRAY[1]], a -> filter(a, x -> x IN (1, 'z')))"),
            Mismatch("line 1:64: IN value and list items must be the same type: integer"));
  EXPECT_EQ(Row("SELECT transform(ARRAY['a'], x -> x = 'a'), filter(ARRAY[1, 2], x -> x BETWEEN 1.5 AND 3)"),
            "\"[true]\",\"[2]\"");
}

// A SELECT expression repeated in GROUP BY still matches it (the checks of equal expressions are equal).
TEST_F(DialectTypeChecksTest, RepeatedInGroupBy) {
  EXPECT_EQ(
      Rows("SELECT COALESCE(a, 0) AS c, count(*) FROM (VALUES 1, NULL, 1) AS t(a) GROUP BY COALESCE(a, 0) "
           "ORDER BY 1"),
      "\"0\",\"1\"\n\"1\",\"2\"\n");
  EXPECT_EQ(Rows("SELECT CASE WHEN a > 0 THEN 'p' ELSE 'n' END, count(*) FROM (VALUES 1, -1) AS t(a) "
                 "GROUP BY CASE WHEN a > 0 THEN 'p' ELSE 'n' END ORDER BY 1"),
            "\"n\",\"1\"\n\"p\",\"1\"\n");
  EXPECT_EQ(
      Rows("SELECT a > 0, a IN (1, 2), count(*) FROM (VALUES 1, 2) AS t(a) GROUP BY a > 0, a IN (1, 2)"),
      "\"true\",\"true\",\"2\"\n");
}

// The checks fold away: the plan filters on the comparison alone.
TEST_F(DialectTypeChecksTest, ChecksFoldAway) {
  const std::string plan = Rows(
      "EXPLAIN SELECT COALESCE(x, 2) FROM (VALUES 1, 2) AS t(x) WHERE x IN (1, 2) AND x BETWEEN 0 AND 3");
  EXPECT_EQ(plan.find("__cenote_check_types"), std::string::npos) << plan;
  EXPECT_NE(plan.find("BETWEEN"), std::string::npos) << plan;
}

}  // namespace
}  // namespace cenote::query
