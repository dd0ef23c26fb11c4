// More of the Trino dialect (src/query/dialect_functions.cpp, dialect_syntax.cpp and the C functions of
// trino_functions_{binary,math,format}.cpp), each against a hand-computed or documented answer.
#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <string>

#include "query/dialect_functions.hpp"
#include "query/dialect_overloads.hpp"
#include "query/word_stem.hpp"
#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;

class DialectFunctionsTest : public EngineFixture {
 protected:
  // The single value of a one-row, one-column query ("NULL" for an empty field, the error otherwise).
  std::string Value(const std::string& expr) { return Single("SELECT " + expr); }
  std::string Single(const std::string& sql) {
    std::string rows = Rows(sql);
    if (rows.rfind("ERROR", 0) == 0) return rows;
    if (rows == "\n") return "NULL";
    if (rows.size() >= 3 && rows.front() == '"' && rows.substr(rows.size() - 2) == "\"\n") {
      // The CSV field without its quotes, doubled quotes undone.
      std::string field = rows.substr(1, rows.size() - 3), out;
      for (std::size_t i = 0; i < field.size(); ++i) {
        out.push_back(field[i]);
        if (field[i] == '"' && i + 1 < field.size() && field[i + 1] == '"') ++i;
      }
      return out;
    }
    return "UNEXPECTED " + rows;
  }
};

TEST_F(DialectFunctionsTest, ArraySortWithAComparator) {
  EXPECT_EQ(Value("array_sort(ARRAY[3, 2, 5, 1, 2], (x, y) -> IF(x < y, 1, IF(x = y, 0, -1)))"),
            "[5, 3, 2, 2, 1]");
  // Stable: equal elements keep their order.
  EXPECT_EQ(Value("array_sort(ARRAY['bb', 'a', 'cc', 'd'], (x, y) -> IF(length(x) < length(y), -1, "
                  "IF(length(x) = length(y), 0, 1)))"),
            "[a, d, bb, cc]");
  EXPECT_EQ(Value("array_sort(ARRAY[]::INTEGER[], (x, y) -> 0)"), "[]");
  EXPECT_EQ(Value("array_sort(ARRAY[2, 1], x -> 0)").rfind("ERROR NOT_SUPPORTED", 0), 0u);
}

TEST_F(DialectFunctionsTest, RegexpReplaceWithALambda) {
  EXPECT_EQ(Value("regexp_replace('new york', '(\\w)(\\w*)', x -> upper(x[1]) || lower(x[2]))"), "New York");
  EXPECT_EQ(Value("regexp_replace('a1b22', '(\\d+)', x -> '<' || x[1] || '>')"), "a<1>b<22>");
  EXPECT_EQ(Value("regexp_replace('abc', 'x', x -> 'y')"), "abc");
  EXPECT_EQ(Value("regexp_replace('abc', '(?:b)', x -> 'Z')"), "aZc");
}

TEST_F(DialectFunctionsTest, ReduceAgg) {
  EXPECT_EQ(Single("SELECT reduce_agg(v, 1, (a, b) -> a * b, (a, b) -> a * b) FROM (VALUES 2, 3, 7) AS t(v)"),
            "42");
  EXPECT_EQ(Single("SELECT reduce_agg(v, 0, (a, b) -> a + b, a -> a) FROM (VALUES 1) AS t(v)")
                .rfind("ERROR NOT_SUPPORTED", 0),
            0u);
}

TEST_F(DialectFunctionsTest, JavaFormat) {
  EXPECT_EQ(Value("format('%s%%', 123)"), "123%");
  EXPECT_EQ(Value("format('%03d|%-5s|%5s|', 8, 'ab', 'cd')"), "008|ab   |   cd|");
  EXPECT_EQ(Value("format('%,d %,.2f', 1234567, 1234567.891)"), "1,234,567 1,234,567.89");
  EXPECT_EQ(Value("format('%2$s %1$s', 'a', 'b')"), "b a");
  EXPECT_EQ(Value("format('%x %X %o', 255, 255, 8)"), "ff FF 10");
  EXPECT_EQ(Value("format('%b %b %s', true, NULL, NULL)"), "true false null");
  EXPECT_EQ(Value("format('%.3e', 12345.678E0)"), "1.235e+04");
  EXPECT_EQ(Value("format('%1$tA, %1$tB %1$te, %1$tY', DATE '2006-07-04')"), "Tuesday, July 4, 2006");
  EXPECT_EQ(Value("format('%s', 1.0E0)"), "1.0");
  EXPECT_EQ(Value("format('%d', 'x')").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("format('%s %s', 1)").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("format('%q', 1)").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
}

TEST_F(DialectFunctionsTest, FormatNumber) {
  EXPECT_EQ(Value("format_number(123456)"), "123K");
  EXPECT_EQ(Value("format_number(1000000)"), "1M");
  EXPECT_EQ(Value("format_number(999)"), "999");
  EXPECT_EQ(Value("format_number(12345)"), "12.3K");
  EXPECT_EQ(Value("format_number(1234)"), "1.23K");
  EXPECT_EQ(Value("format_number(-1234)"), "-1.23K");
  EXPECT_EQ(Value("format_number(2500000000)"), "2.5B");
}

TEST_F(DialectFunctionsTest, BinaryFunctions) {
  // RFC 2202 / RFC 4231 style known answers (key 'key', the quick brown fox).
  EXPECT_EQ(Value("to_hex(hmac_md5(to_utf8('The quick brown fox jumps over the lazy dog'), to_utf8('key')))"),
            "80070713463E7749B90C2DC24911E275");
  EXPECT_EQ(Value("to_base32(to_utf8('hello'))"), "NBSWY3DP");
  EXPECT_EQ(Value("to_base32(to_utf8('f'))"), "MY======");
  EXPECT_EQ(Value("from_utf8(from_base32('MZXW6YQ='))"), "foob");
  EXPECT_EQ(Value("from_base32('1')").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("to_ieee754_64(2.0E0)"), "40 00 00 00 00 00 00 00");
  EXPECT_EQ(Value("from_ieee754_32(from_hex('3F800000'))"), "1.0");
  EXPECT_EQ(Value("from_ieee754_32(from_hex('3F80'))").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  // MurmurHash3 x64 128 of the empty input is all zeros.
  EXPECT_EQ(Value("to_hex(murmur3(to_utf8('')))"), "00000000000000000000000000000000");
  EXPECT_EQ(Value("murmur3(from_base64('aaaaaa'))"), "ba 58 55 63 55 69 b4 2f 49 20 37 2c a0 e3 96 ef");
  EXPECT_EQ(Value("from_utf8(from_hex('68FF69'), '?')"), "h?i");
  EXPECT_EQ(Value("from_utf8(from_hex('68FF69'), 33)"), "h!i");
  EXPECT_EQ(Value("from_utf8(from_hex('68FF69'))"), "h\xEF\xBF\xBDi");
  EXPECT_EQ(Value("concat(to_utf8('a'), to_utf8('b'))"), "61 62");
}

TEST_F(DialectFunctionsTest, TextAndMathFunctions) {
  EXPECT_EQ(Value("soundex('Robert') || soundex('Tymczak') || soundex('Pfister')"), "R163T522P236");
  EXPECT_EQ(Value("cbrt(27.0)"), "3.0");
  EXPECT_EQ(Value("normal_cdf(0, 1, 0)"), "0.5");
  EXPECT_EQ(Value("round(normal_cdf(0, 1, 1.96), 4)"), "0.975");
  EXPECT_EQ(Value("round(inverse_normal_cdf(0, 1, 0.975), 4)"), "1.96");
  EXPECT_EQ(Value("round(beta_cdf(2, 3, 0.5), 6)"), "0.6875");  // (C(4,2) + C(4,3) + C(4,4)) / 2^4
  EXPECT_EQ(Value("round(inverse_beta_cdf(2, 3, 0.6875), 6)"), "0.5");
  EXPECT_EQ(Value("round(t_pdf(0, 1), 6)"), "0.31831");
  EXPECT_EQ(Value("round(t_cdf(1, 1), 6)"), "0.75");  // Cauchy: 1/2 + atan(1)/pi
  EXPECT_EQ(Value("normal_cdf(0, 0, 1)").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("bit_count(-7, 8)"), "6");
  EXPECT_EQ(Value("bit_count(9, 2)").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("greatest(1, NULL, 3)"), "NULL");
  EXPECT_EQ(Value("least(4, 2, 3)"), "2");
  EXPECT_EQ(Value("typeof('cat')"), "varchar(3)");
  // NFD/NFKC/NFKD: utf8proc as libduckdb exports it (trino_functions_text.cpp).
  EXPECT_EQ(Value("to_hex(to_utf8(normalize('\xC3\xA9', NFD)))"), "65CC81");
  EXPECT_EQ(Value("normalize('\xEF\xAC\x81', NFKC)"), "fi");
  EXPECT_EQ(Value("to_hex(to_utf8(normalize('\xEF\xAC\x81\xC3\xA9', NFKD)))"), "666965CC81");
  EXPECT_EQ(Value("normalize('\xEF\xAC\x81', NFC)"), "\xEF\xAC\x81");  // no compatibility mapping
  EXPECT_EQ(Value("normalize('abc', NFX)").rfind("ERROR NOT_SUPPORTED", 0), 0u);
  EXPECT_EQ(Value("normalize(NULL, NFKD)"), "NULL");
}

TEST_F(DialectFunctionsTest, Zstd) {
  EXPECT_EQ(Value("from_utf8(zstd_decompress(zstd_compress(to_utf8('hello hello hello'))))"),
            "hello hello hello");
  // The frame magic number 28 B5 2F FD, and a repetitive input shrinks.
  EXPECT_EQ(Value("to_hex(substr(zstd_compress(to_utf8('abc')), 1, 4))"), "28B52FFD");
  EXPECT_EQ(Value("length(zstd_compress(to_utf8(array_join(repeat('abcdef', 1000), '')))) < 100"), "true");
  EXPECT_EQ(Value("length(zstd_decompress(zstd_compress(from_hex(''))))"), "0");
  EXPECT_EQ(Value("zstd_decompress(to_utf8('not zstd'))").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("zstd_compress(NULL)"), "NULL");
}

// sequence over dates with a step: the k-th element is start + k * step (Trino), not cumulative.
TEST_F(DialectFunctionsTest, DateSequenceSteps) {
  EXPECT_EQ(Value("sequence(DATE '2024-01-31', DATE '2024-05-31', INTERVAL '1' MONTH)"),
            "[2024-01-31, 2024-02-29, 2024-03-31, 2024-04-30, 2024-05-31]");
  EXPECT_EQ(Value("sequence(DATE '2024-05-31', DATE '2024-03-01', INTERVAL '-1' MONTH)"),
            "[2024-05-31, 2024-04-30, 2024-03-31]");
  EXPECT_EQ(Value("sequence(DATE '2024-01-01', DATE '2024-01-10', INTERVAL '3' DAY)"),
            "[2024-01-01, 2024-01-04, 2024-01-07, 2024-01-10]");
  EXPECT_EQ(Value("sequence(DATE '2024-01-01', DATE '2023-01-01', INTERVAL '1' YEAR)"), "[]");
  EXPECT_EQ(Value("sequence(DATE '2024-01-01', DATE '2024-01-02', INTERVAL '1' HOUR)")
                .rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0),
            0u);
}

// CAST(x AS VARCHAR) gives Trino's text wherever it is used, and fails as Trino's analyzer does for the types
// Trino has no cast to varchar for.
TEST_F(DialectFunctionsTest, CastToVarcharAsTrino) {
  EXPECT_EQ(Rows("WITH t AS (SELECT CAST(from_unixtime(0) AS VARCHAR) AS z, CAST(37.7E0 AS VARCHAR) AS d, "
                 "CAST(REAL '12345678.9' AS VARCHAR) AS r, CAST(INTERVAL '3' MONTH AS VARCHAR) AS i) "
                 "SELECT z = '1970-01-01 00:00:00.000 UTC', d, r, i FROM t"),
            "\"true\",\"3.77E1\",\"1.234568E7\",\"0-3\"\n");
  EXPECT_EQ(Single("SELECT CAST(ARRAY[1, 2] AS VARCHAR)"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: Cannot cast array(integer) to varchar");
  EXPECT_EQ(Single("SELECT 1,\n  TRY_CAST(X'6869' AS VARCHAR)"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: Cannot cast varbinary to varchar");
  EXPECT_EQ(Single("SELECT CAST(CAST(ROW(1, 'a') AS ROW(x integer, y varchar)) AS VARCHAR)"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: Cannot cast row(x integer, y varchar) to varchar");
  EXPECT_EQ(Single("SELECT CAST(1 AS VARCHAR) || CAST(DECIMAL '1.50' AS VARCHAR) || CAST(true AS VARCHAR)"),
            "11.50true");
  // GROUP BY the same cast as the select list.
  EXPECT_EQ(
      Rows("SELECT CAST(k AS VARCHAR), count(*) FROM (VALUES 1.5E0, 1.5E0, 2E0) t(k) GROUP BY CAST(k AS "
           "VARCHAR) ORDER BY 1"),
      "\"1.5E0\",\"2\"\n\"2.0E0\",\"1\"\n");
}

// avg picks its overload by its argument's type while DuckDB binds (__cenote_avg_kind): a double averages
// with DuckDB's avg alone; a real stays a real; a decimal is the exact quotient in its own type.
TEST_F(DialectFunctionsTest, AvgByArgumentType) {
  EXPECT_EQ(
      Rows("SELECT typeof(avg(d)), typeof(avg(r)), typeof(avg(i)), typeof(avg(x)), typeof(avg(v)), avg(d), "
           "avg(r), avg(i), avg(x), avg(v) FROM (VALUES (1.5E0, REAL '1.5', 1, DECIMAL '1.10', INTERVAL '1' "
           "DAY), (2.0E0, REAL '2.25', 2, DECIMAL '2.25', INTERVAL '2' DAY)) AS t(d, r, i, x, v)"),
      "\"double\",\"real\",\"double\",\"decimal(3,2)\",\"interval day to "
      "second\",\"1.75\",\"1.875\",\"1.5\",\"1.68\","
      "\"1 12:00:00.000\"\n");
  EXPECT_EQ(
      Rows("SELECT g, avg(x) FROM (VALUES (1, DECIMAL '1.10'), (1, DECIMAL '2.25'), (2, NULL)) AS t(g, x) "
           "GROUP BY g ORDER BY g"),
      "\"1\",\"1.68\"\n\"2\",\n");
  EXPECT_EQ(Rows("SELECT avg(d) OVER (ORDER BY d) FROM (VALUES 1.5E0, 2E0) AS t(d)"), "\"1.5\"\n\"1.75\"\n");
  EXPECT_EQ(Value("avg(s) FROM (VALUES 'a') AS t(s)")
                .rfind("ERROR FUNCTION_NOT_FOUND: FUNCTION_NOT_FOUND: line 1:8: "
                       "Unexpected parameters (varchar) for function avg.",
                       0),
            0u);
  // avg(double) GROUP BY plans as DuckDB's avg alone (no sum, count or any_value beside it).
  const std::string plan = Rows("EXPLAIN SELECT g, avg(d) FROM (VALUES (1, 1.5E0)) AS t(g, d) GROUP BY g");
  EXPECT_NE(plan.find("Aggregates: avg(#1)"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("any_value"), std::string::npos) << plan;
}

// X'...' is a varbinary literal (DuckDB's parser reads it as the text "x..."), also in VALUES and in
// rows DuckDB only parses after Trino syntax was rewritten; a string 'x00' stays a string.
TEST_F(DialectFunctionsTest, VarbinaryLiterals) {
  EXPECT_EQ(Rows("SELECT X'00FF10', typeof(X'00FF10'), x'65683F', 'x00', X'00 01 02', length(X'')"),
            "\"00 ff 10\",\"varbinary\",\"65 68 3f\",\"x00\",\"00 01 02\",\"0\"\n");
  EXPECT_EQ(Rows("SELECT b, typeof(b) FROM (VALUES (X'00FF10')) AS t(b)"), "\"00 ff 10\",\"varbinary\"\n");
  EXPECT_EQ(Rows("SELECT b FROM (VALUES X'00FF10', X'01') AS t(b)"), "\"00 ff 10\"\n\"01\"\n");
  EXPECT_EQ(Value("to_utf8('a') = X'61'"), "true");
  EXPECT_EQ(
      Value("X'0'"),
      "ERROR SYNTAX_ERROR: SYNTAX_ERROR: line 1:8: Binary literal must contain an even number of digits");
  EXPECT_EQ(
      Single("SELECT 1,\n  X'ABC'"),
      "ERROR SYNTAX_ERROR: SYNTAX_ERROR: line 2:3: Binary literal must contain an even number of digits");
}

// title_case (Trino's string functions page): words are delimited by characters that are not letters or
// digits; the first letter of each is upper-cased, the others lower-cased.
TEST_F(DialectFunctionsTest, TitleCase) {
  EXPECT_EQ(Value("title_case('hello world')"), "Hello World");
  EXPECT_EQ(Value("title_case('hELLO-wORLD o''neil 3rd x2y')"), "Hello-World O'Neil 3rd X2y");
  EXPECT_EQ(Value("title_case('élan vital ÉCOLE')"), "Élan Vital École");
  EXPECT_EQ(Value("title_case('') = ''"), "true");
  EXPECT_EQ(Value("title_case(NULL) IS NULL"), "true");
}

// CROSS JOIN UNNEST(array) keeps the array's order (Trino's; DuckDB's table function joined laterally
// handed the elements back reversed), for each source row.
TEST_F(DialectFunctionsTest, CrossJoinUnnestKeepsArrayOrder) {
  EXPECT_EQ(Rows("SELECT d, x FROM (VALUES (1, ARRAY[3, 1, 2]), (2, ARRAY[9, 8])) AS t(d, a) CROSS JOIN "
                 "UNNEST(a) AS u(x) ORDER BY d"),
            "\"1\",\"3\"\n\"1\",\"1\"\n\"1\",\"2\"\n\"2\",\"9\"\n\"2\",\"8\"\n");
  EXPECT_EQ(Single("WITH dataset AS (SELECT ARRAY[1, 2, 3, 4, 5] AS items) SELECT array_agg(i) FROM dataset "
                   "CROSS JOIN UNNEST(items) AS t(i) WHERE i > 3"),
            "[4, 5]");
  EXPECT_EQ(Rows("SELECT x FROM UNNEST(ARRAY['b', 'a', 'c']) AS u(x)"), "\"b\"\n\"a\"\n\"c\"\n");
  EXPECT_EQ(Rows("SELECT x, n FROM UNNEST(ARRAY[7, 8]) WITH ORDINALITY AS u(x, n)"),
            "\"7\",\"1\"\n\"8\",\"2\"\n");
}

// LEFT JOIN UNNEST(...) ON true (Trino's SELECT page): the array's order for each left row, one row of
// NULLs for an empty or NULL array, with or without ordinality.
TEST_F(DialectFunctionsTest, LeftJoinUnnest) {
  EXPECT_EQ(
      Rows("SELECT r, c FROM (VALUES ('Joe', ARRAY[10, 20, 30, 42]), ('Dave', ARRAY[]), ('Levi', NULL)) "
           "AS m(r, cs) LEFT JOIN UNNEST(cs) AS t(c) ON TRUE ORDER BY r DESC, c"),
      "\"Levi\",\n\"Joe\",\"10\"\n\"Joe\",\"20\"\n\"Joe\",\"30\"\n\"Joe\",\"42\"\n\"Dave\",\n");
  EXPECT_EQ(Single("SELECT array_agg(c) FROM (VALUES (ARRAY[3, 1, 2])) AS m(cs) LEFT JOIN UNNEST(cs) AS t(c) "
                   "ON true"),
            "[3, 1, 2]");
  EXPECT_EQ(Rows("SELECT i, c, n FROM (VALUES (1, ARRAY['b', 'a']), (2, ARRAY[])) AS m(i, cs) LEFT JOIN "
                 "UNNEST(cs) WITH ORDINALITY AS t(c, n) ON true ORDER BY i, n"),
            "\"1\",\"b\",\"1\"\n\"1\",\"a\",\"2\"\n\"2\",,\n");
  // Several arguments: the row of NULLs only when every array is empty.
  EXPECT_EQ(Rows("SELECT x, y FROM (VALUES (ARRAY[], ARRAY[7])) AS m(a, b) LEFT JOIN UNNEST(a, b) AS t(x, y) "
                 "ON true"),
            ",\"7\"\n");
  // Another condition than true stays DuckDB's join (the same rows, whatever their order).
  EXPECT_EQ(
      Single("SELECT count(*) FROM (VALUES (ARRAY[1, 2, 3])) AS m(a) LEFT JOIN UNNEST(a) AS t(x) ON x > 1"),
      "2");
}

// UNNEST of a map (one row per entry, key and value), several arrays zipped (the shorter padded with NULLs),
// arrays of rows (a column per field), WITH ORDINALITY over each form (from 1, to the longest argument).
TEST_F(DialectFunctionsTest, UnnestForms) {
  EXPECT_EQ(Rows("SELECT k, v FROM UNNEST(MAP(ARRAY['x', 'y'], ARRAY[1, 2])) AS u(k, v)"),
            "\"x\",\"1\"\n\"y\",\"2\"\n");
  EXPECT_EQ(
      Rows("SELECT i, k, v FROM (VALUES (1, MAP(ARRAY['a'], ARRAY[10]))) AS m(i, mp) CROSS JOIN UNNEST(mp) "
           "AS u(k, v)"),
      "\"1\",\"a\",\"10\"\n");
  EXPECT_EQ(Rows("SELECT * FROM UNNEST(ARRAY[1, 2, 3], ARRAY['a']) AS t(x, y)"),
            "\"1\",\"a\"\n\"2\",\n\"3\",\n");
  EXPECT_EQ(Rows("SELECT * FROM UNNEST(ARRAY[1], ARRAY['a', 'b']) WITH ORDINALITY AS t(x, y, n)"),
            "\"1\",\"a\",\"1\"\n,\"b\",\"2\"\n");
  EXPECT_EQ(Rows("SELECT k, v, n FROM UNNEST(MAP(ARRAY['p', 'q'], ARRAY[true, false])) WITH ORDINALITY AS "
                 "t(k, v, n)"),
            "\"p\",\"true\",\"1\"\n\"q\",\"false\",\"2\"\n");
  EXPECT_EQ(
      Rows("SELECT * FROM UNNEST(ARRAY[ROW('Java', 1995), ROW('SQL', 1974)], ARRAY[ROW(false), ROW(true)]) "
           "AS t(l, y, d)"),
      "\"Java\",\"1995\",\"false\"\n\"SQL\",\"1974\",\"true\"\n");
  EXPECT_EQ(Rows("SELECT b, a FROM UNNEST(ARRAY[ROW(1, 'one'), ROW(2, 'two')]) AS t(a, b)"),
            "\"one\",\"1\"\n\"two\",\"2\"\n");
  EXPECT_EQ(Single("SELECT typeof(n) FROM UNNEST(ARRAY['z']) WITH ORDINALITY AS t(x, n)"), "bigint");
  EXPECT_EQ(Single("SELECT count(*) FROM UNNEST(CAST(NULL AS ARRAY(INTEGER)), ARRAY[]) WITH ORDINALITY AS "
                   "t(x, y, n)"),
            "0");
}

// Trino's interval operators: interval * number, number * interval, interval / number; a year to month
// interval scales its months, a day to second one its milliseconds, truncated toward zero.
TEST_F(DialectFunctionsTest, IntervalTimesAndDividedByNumbers) {
  EXPECT_EQ(Value("interval '4' day / 3"), "1 08:00:00.000");
  EXPECT_EQ(Value("interval '1' day / 2.5"), "0 09:36:00.000");
  EXPECT_EQ(Value("interval '10' second / DOUBLE '4'"), "0 00:00:02.500");
  EXPECT_EQ(Value("interval '1' second / 7"), "0 00:00:00.142");
  EXPECT_EQ(Value("interval '-1' second / 7"), "-0 00:00:00.142");
  EXPECT_EQ(Value("interval '3' hour * 2"), "0 06:00:00.000");
  EXPECT_EQ(Value("BIGINT '3' * interval '1' minute"), "0 00:03:00.000");
  EXPECT_EQ(Value("interval '3' year / 2"), "1-6");
  EXPECT_EQ(Value("interval '7' month / 2"), "0-3");
  EXPECT_EQ(Value("interval '1' month * 1.5"), "0-1");
  EXPECT_EQ(Value("1.5 * interval '2' year"), "3-0");
  EXPECT_EQ(Value("interval '2' day * 1.5 = interval '3' day"), "true");
  EXPECT_EQ(Rows("SELECT d / 4 FROM (VALUES interval '1' hour, NULL) AS t(d)"), "\"0 00:15:00.000\"\n\n");
  EXPECT_EQ(Value("timestamp '2024-01-01 00:00' + interval '1' day / 4"), "2024-01-01 06:00:00.000");
  EXPECT_EQ(Value("interval '1' hour / 0"),
            "ERROR INVALID_FUNCTION_ARGUMENT: INVALID_FUNCTION_ARGUMENT: Cannot divide by double 0.0");
  EXPECT_EQ(Value("interval '1' hour / nan()"),
            "ERROR INVALID_FUNCTION_ARGUMENT: INVALID_FUNCTION_ARGUMENT: Cannot divide by double NaN");
  EXPECT_EQ(Value("interval '1' hour * nan()"),
            "ERROR INVALID_FUNCTION_ARGUMENT: INVALID_FUNCTION_ARGUMENT: Cannot multiply by double NaN");
  // Inside TRY: the value, or NULL where the operator fails.
  EXPECT_EQ(Value("TRY(interval '3' hour / 2)"), "0 01:30:00.000");
  EXPECT_EQ(Value("TRY(interval '3' hour * 2)"), "0 06:00:00.000");
  EXPECT_EQ(Value("TRY(interval '3' hour / 0) IS NULL"), "true");
  // Numbers keep their own division.
  EXPECT_EQ(Value("7 / 2"), "3");
  EXPECT_EQ(Value("DOUBLE '7' / 2"), "3.5");
}

TEST_F(DialectFunctionsTest, ColumnNamedAt) {
  EXPECT_EQ(Single("SELECT at FROM (VALUES 1) AS t(at)"), "1");
  EXPECT_EQ(Rows("SELECT at, t.at + 1 AS n FROM (SELECT 5 AS at) AS t WHERE at = 5 ORDER BY at"),
            "\"5\",\"6\"\n");
  EXPECT_EQ(Rows("SELECT 'at', at FROM (VALUES 1) AS t(at) WHERE at > 0"), "\"at\",\"1\"\n");
  // AT TIME ZONE is still the operator.
  EXPECT_EQ(
      Rows("SELECT at, TIMESTAMP '2024-01-01 00:00 UTC' AT TIME ZONE 'America/New_York' FROM (VALUES 1) "
           "AS t(at)"),
      "\"1\",\"2023-12-31 19:00:00.000 America/New_York\"\n");
}

TEST_F(DialectFunctionsTest, TypeofCurrentTimestampPrecision) {
  EXPECT_EQ(Value("typeof(current_timestamp(6))"), "timestamp(6) with time zone");
  EXPECT_EQ(Value("typeof(localtimestamp(0))"), "timestamp(0)");
  EXPECT_EQ(Value("typeof(current_timestamp)"), "timestamp(3) with time zone");
}

// Trino compares only comparable types: varchar = integer fails with TYPE_MISMATCH at the operator
// (trino_functions_types.cpp); DuckDB would cast.
TEST_F(DialectFunctionsTest, IncomparableOperandsAreATypeMismatch) {
  EXPECT_EQ(Value("'a' = 1"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: line 1:12: Cannot apply operator: varchar(1) = integer");
  EXPECT_EQ(Value("'1' = 1"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: line 1:12: Cannot apply operator: varchar(1) = integer");
  EXPECT_EQ(Single("SELECT count(*) FROM (VALUES ('x')) AS t(s)\nWHERE s < 10"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: line 2:9: Cannot apply operator: varchar < integer");
  EXPECT_EQ(Single("SELECT d FROM (VALUES (DATE '2024-01-01')) AS t(d) WHERE d = '2024-01-01'"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: line 1:60: Cannot apply operator: date = varchar(10)");
  // Trino-only syntax rewritten before the parse (VALUES rows without parentheses) moves the operator in the
  // parsed text: no position rather than a wrong one.
  EXPECT_EQ(Single("SELECT d FROM (VALUES DATE '2024-01-01') AS t(d) WHERE d = '2024-01-01'"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: Cannot apply operator: date = varchar(10)");
  EXPECT_EQ(
      Single("SELECT 1 FROM (VALUES (1.5)) AS t(x) WHERE x <> 'a'"),
      "ERROR TYPE_MISMATCH: TYPE_MISMATCH: line 1:46: Cannot apply operator: decimal(2,1) <> varchar(1)");
  EXPECT_EQ(Value("true = 1").rfind("ERROR TYPE_MISMATCH", 0), 0u);
  // Arithmetic on a varchar (DuckDB finds no function): Trino's analyzer wording.
  EXPECT_EQ(Value("'a' + 1"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: line 1:12: Cannot apply operator: varchar + integer");
  EXPECT_EQ(Single("SELECT s * 2, count(*) FROM (VALUES ('x')) AS t(s) GROUP BY s"),
            "ERROR TYPE_MISMATCH: TYPE_MISMATCH: Cannot apply operator: varchar * integer");
  // Even when no row is compared.
  EXPECT_EQ(
      Single("SELECT s FROM (VALUES 'x') AS t(s) WHERE false AND s = 1").rfind("ERROR TYPE_MISMATCH", 0), 0u);
  // Comparable types still compare, with their values.
  EXPECT_EQ(Value("1 = 1.0"), "true");
  EXPECT_EQ(Value("2 > 1.5E0"), "true");
  EXPECT_EQ(Value("'a' < 'b'"), "true");
  EXPECT_EQ(Value("DATE '2024-01-02' > TIMESTAMP '2024-01-01 10:00'"), "true");
  EXPECT_EQ(Value("NULL = 1"), "NULL");
  EXPECT_EQ(Single("SELECT count(*) FROM (VALUES 1, 2, NULL) AS t(x) WHERE x >= 2"), "1");
  EXPECT_EQ(Value("CAST('1' AS INTEGER) = 1"), "true");
  EXPECT_EQ(Value("JSON '1' = JSON '1'").rfind("ERROR TYPE_MISMATCH", 0), std::string::npos);
  EXPECT_EQ(Value("filter(ARRAY['a', 'b'], x -> x = 'a')"), "[a]");
}

TEST_F(DialectFunctionsTest, ArraysMapsAndRows) {
  EXPECT_EQ(Value("combinations(ARRAY[1, 2, 3], 2)"), "[[1, 2], [1, 3], [2, 3]]");
  EXPECT_EQ(Value("ARRAY[1] || 2"), "[1, 2]");
  EXPECT_EQ(Value("2 || ARRAY[1]"), "[2, 1]");
  EXPECT_EQ(Value("ARRAY[4, 5] || ARRAY[ARRAY[1, 2]]"), "[[4, 5], [1, 2]]");
  EXPECT_EQ(
      Value(
          "round(cosine_similarity(MAP(ARRAY['a', 'b'], ARRAY[1.0, 2.0]), MAP(ARRAY['a'], ARRAY[3.0])), 6)"),
      "0.447214");  // 3 / (sqrt(5) * 3)
  EXPECT_EQ(Value("cosine_distance(ARRAY[1.0, 0.0], ARRAY[2.0, 0.0])"), "0.0");
  EXPECT_EQ(Value("combinations(ARRAY[1, 2], 6)").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("zip(ARRAY[1, 2], ARRAY['a'])"), "[{field0=1, field1=a}, {field0=2, field1=null}]");
  EXPECT_EQ(Value("ROW(1, 'a')"), "{field0=1, field1=a}");
  EXPECT_EQ(Value("COALESCE(CAST(ROW(1, NULL) AS ROW(integer, integer)), ROW(1, 2))"),
            "{field0=1, field1=null}");
  EXPECT_EQ(Value("map_entries(MAP(ARRAY[1], ARRAY['x']))"), "[{field0=1, field1=x}]");
  EXPECT_EQ(Value("map_filter(MAP(ARRAY[1, 2], ARRAY['x', 'y']), (k, v) -> k > 1)"), "{2=y}");
  EXPECT_EQ(Single("SELECT multimap_agg(k, v) FROM (VALUES ('a', 1), ('a', 3)) AS t(k, v)"), "{a=[1, 3]}");
  EXPECT_EQ(
      Single("SELECT map_union(m) FROM (VALUES MAP(ARRAY['a'], ARRAY[1]), MAP(ARRAY['a'], ARRAY[2])) AS "
             "t(m)")
          .size(),
      std::string("{a=1}").size());
}

TEST_F(DialectFunctionsTest, JsonSemantics) {
  EXPECT_EQ(Value("CAST(JSON '\"abc\"' AS VARCHAR)"), "abc");
  EXPECT_EQ(Value("CAST(JSON 'null' AS VARCHAR)"), "NULL");
  EXPECT_EQ(Value("CAST(json_parse('12') AS VARCHAR)"), "12");
  EXPECT_EQ(Value("CAST(JSON '[1]' AS VARCHAR)").rfind("ERROR INVALID_CAST_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("CAST(JSON '[123, \"abc\", true]' AS ROW(v1 BIGINT, v2 VARCHAR, v3 BOOLEAN))"),
            "{v1=123, v2=abc, v3=true}");
  EXPECT_EQ(Value("CAST(JSON '{\"v2\": \"x\", \"v1\": 1}' AS ROW(v1 BIGINT, v2 VARCHAR))"), "{v1=1, v2=x}");
  EXPECT_EQ(Value("json_parse('not_json')").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
  EXPECT_EQ(Value("json_array_contains('[1, 2.5, \"a\"]', 2.5)"), "true");
  EXPECT_EQ(Value("json_array_contains('[1, 2]', 3)"), "false");
  EXPECT_EQ(Value("json_array_get('[\"a\", [3, 9]]', 1)"), "[3,9]");
  EXPECT_EQ(Value("json_extract('{\"a\": {\"b c\": 1}}', '$.a[\"b c\"]')"), "1");
  EXPECT_EQ(Value("json_object('a' : 1, KEY 'b' VALUE NULL)"), "{\"a\":1,\"b\":null}");
  EXPECT_EQ(Value("json_object('a' VALUE 1, 'b' VALUE NULL ABSENT ON NULL)"), "{\"a\":1}");
}

TEST_F(DialectFunctionsTest, TrinoSyntax) {
  EXPECT_EQ(Single("SELECT listagg(v, '-') WITHIN GROUP (ORDER BY v DESC) FROM (VALUES 'a', 'c', 'b') t(v)"),
            "c-b-a");
  EXPECT_EQ(Single("SELECT listagg(v) WITHIN GROUP (ORDER BY v) FROM (VALUES 'a', 'b') t(v)"), "ab");
  EXPECT_EQ(Value("U&'caf\\00E9' || U&'!0041' UESCAPE '!'"),
            "caf\xC3\xA9"
            "A");
  EXPECT_EQ(Value("nth_value(1, 0) OVER ()").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
}

// A typed macro overload over an aggregate, window or GROUPING argument (dialect_overloads.hpp): DuckDB
// cannot type the argument while it picks the overload, so these failed ("multiple overloads match") or
// took the varbinary overload (length counted UTF-8 bytes).
TEST_F(DialectFunctionsTest, OverloadedFunctionsOverAggregates) {
  EXPECT_EQ(Single("SELECT ceil(avg(x)) FROM (VALUES 1, 2) AS t(x)"), "2.0");
  EXPECT_EQ(Single("SELECT floor(avg(x)) FROM (VALUES 1, 2) AS t(x)"), "1.0");
  EXPECT_EQ(Single("SELECT sign(min(x)) FROM (VALUES -1, 2) AS t(x)"), "-1");
  EXPECT_EQ(Single("SELECT ceil(max(x)) FROM (VALUES 1, 2) AS t(x)"), "2");
  EXPECT_EQ(Single("SELECT length(max(s)) FROM (VALUES 'h\xC3\xA9llo') AS t(s)"), "5");
  EXPECT_EQ(Single("SELECT length(max(b)) FROM (VALUES from_hex('00FF10')) AS t(b)"), "3");
  EXPECT_EQ(Single("SELECT reverse(max(s)) FROM (VALUES 'h\xC3\xA9') AS t(s)"), "\xC3\xA9h");
  EXPECT_EQ(Single("SELECT substr(max(s), 2) FROM (VALUES 'h\xC3\xA9llo') AS t(s)"), "\xC3\xA9llo");
  EXPECT_EQ(Single("SELECT lpad(max(s), 4, '*') FROM (VALUES 'ab') AS t(s)"), "**ab");
  EXPECT_EQ(Single("SELECT length(substr(max(s), 1 + count(*))) FROM (VALUES 'h\xC3\xA9llo') AS t(s)"), "4");
  EXPECT_EQ(Single("SELECT ceil(avg(x) OVER ()) FROM (VALUES 1, 2) AS t(x) LIMIT 1"), "2.0");
  EXPECT_EQ(Single("SELECT to_iso8601(max(d)) FROM (VALUES DATE '2024-01-02') AS t(d)"), "2024-01-02");
  EXPECT_EQ(Single("SELECT date_trunc('month', max(d)) FROM (VALUES DATE '2024-01-02') AS t(d)"),
            "2024-01-01");
  EXPECT_EQ(Single("SELECT date_add('day', 1, max(d)) FROM (VALUES DATE '2024-01-02') AS t(d)"),
            "2024-01-03");
  EXPECT_EQ(Single("SELECT sign(grouping(x)) AS k FROM (VALUES 1, 2) AS t(x) GROUP BY ROLLUP (x) HAVING "
                   "ceil(sum(x)) = 3 ORDER BY ceil(avg(x)) DESC LIMIT 1"),
            "1");
}

// The lists of dialect_overloads.cpp against DuckDB's catalog: every macro with a typed overload (and
// every macro calling one on its parameters) is guarded, and every aggregate is recognised.
TEST_F(DialectFunctionsTest, OverloadedMacroAndAggregateListsAreComplete) {
  auto typed = engine_->ExecuteTrusted(
      "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'macro' AND function_name "
      "LIKE '\\_\\_cenote\\_%' ESCAPE '\\' AND len(list_filter(parameter_types, lambda t: t IS NOT NULL)) > "
      "0");
  ASSERT_TRUE(typed.ok()) << typed.error().message;
  std::set<std::string> overloaded;
  for (const auto& row : typed.value()) overloaded.insert(*row[0]);
  ASSERT_GT(overloaded.size(), 10u);
  // Macros calling an overloaded macro on their parameters, to a fixed point.
  auto macros = engine_->ExecuteTrusted(
      "SELECT function_name, macro_definition FROM duckdb_functions() WHERE function_type = 'macro' AND "
      "function_name LIKE '\\_\\_cenote\\_%' ESCAPE '\\'");
  ASSERT_TRUE(macros.ok()) << macros.error().message;
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& row : macros.value()) {
      if (!row[0] || !row[1] || overloaded.count(*row[0]) > 0) continue;
      for (const std::string& name : std::set<std::string>(overloaded)) {
        if (row[1]->find(name + "(") != std::string::npos) {
          overloaded.insert(*row[0]);
          grew = true;
          break;
        }
      }
    }
  }
  for (const std::string& name : overloaded) EXPECT_TRUE(internal::IsOverloadedMacro(name)) << name;
  auto aggregates = engine_->ExecuteTrusted(
      "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_type = 'aggregate'");
  ASSERT_TRUE(aggregates.ok()) << aggregates.error().message;
  ASSERT_GT(aggregates.value().size(), 50u);
  std::set<std::string> aggregate_names;
  for (const auto& row : aggregates.value()) {
    aggregate_names.insert(*row[0]);
    EXPECT_TRUE(internal::IsAggregateName(*row[0])) << *row[0];
  }
  // Dialect macros whose bodies aggregate.
  for (const auto& row : macros.value()) {
    if (!row[0] || !row[1]) continue;
    for (const std::string& name : aggregate_names) {
      const std::string& body = *row[1];
      for (std::size_t at = body.find(name + "("); at != std::string::npos;
           at = body.find(name + "(", at + 1)) {
        const char before = at == 0 ? ' ' : body[at - 1];
        if (std::isalnum(static_cast<unsigned char>(before)) || before == '_' || before == '.') continue;
        EXPECT_TRUE(internal::IsAggregateName(*row[0])) << *row[0] << " calls " << name;
        break;
      }
    }
  }
}

// Words and stems of the Snowball English stemmer's published sample vocabulary, and the algorithm's
// special cases.
// Trino's decimal result types for avg, round(x, n) and truncate(x, n) of a decimal (dialect.cpp macros).
TEST_F(DialectFunctionsTest, DecimalAvgRoundTruncate) {
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '1.5', DECIMAL '2.0') AS t(x)"), "1.8");
  EXPECT_EQ(Single("SELECT typeof(avg(x)) FROM (VALUES DECIMAL '1.5', DECIMAL '2.0') AS t(x)"),
            "decimal(2,1)");
  // Exact, half up: 0.15 is not a binary fraction (a double average would give 0.1).
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '0.1', DECIMAL '0.2') AS t(x)"), "0.2");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '-0.1', DECIMAL '-0.2') AS t(x)"), "-0.2");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '0.01', DECIMAL '0.02', DECIMAL '0.02') AS t(x)"),
            "0.02");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '12345678901234567.1', DECIMAL '12345678901234567.2') "
                   "AS t(x)"),
            "12345678901234567.2");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '5', DECIMAL '6') AS t(x)"), "6");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '17.0', DECIMAL '18.0') AS t(x)"), "17.5");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES DECIMAL '-17.0', DECIMAL '-18.0', DECIMAL '-18.0') AS t(x)"),
            "-17.7");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES 1.5E0, 2.5E0) AS t(x)"), "2.0");
  EXPECT_EQ(Single("SELECT typeof(avg(x)) FROM (VALUES REAL '1.5', REAL '2.5') AS t(x)"), "real");
  EXPECT_EQ(Single("SELECT avg(x) FROM (SELECT DECIMAL '1.5' AS x WHERE false)"), "NULL");
  EXPECT_EQ(
      Rows("SELECT k, avg(x) FROM (VALUES (1, DECIMAL '1.00'), (1, DECIMAL '2.00'), (2, DECIMAL '4.00')) "
           "AS t(k, x) GROUP BY k ORDER BY k"),
      "\"1\",\"1.50\"\n\"2\",\"4.00\"\n");
  // Other types keep a double average; DISTINCT and window averages stay DuckDB's.
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES 1, 2) AS t(x)"), "1.5");
  EXPECT_EQ(Single("SELECT typeof(avg(x)) FROM (VALUES 1, 2) AS t(x)"), "double");
  EXPECT_EQ(Single("SELECT avg(DISTINCT x) FROM (VALUES 1, 1, 2) AS t(x)"), "1.5");
  EXPECT_EQ(Single("SELECT avg(x) OVER () FROM (VALUES 1, 2) AS t(x) LIMIT 1"), "1.5");
  EXPECT_EQ(Single("SELECT ceil(avg(x)) FROM (VALUES DECIMAL '1.5', DECIMAL '2.0') AS t(x)"), "2");

  // A type avg refuses: the error names avg (DuckDB's avg is bound before the decimal path's sum).
  EXPECT_EQ(
      Single("SELECT avg(s) FROM (VALUES 'a') AS t(s)")
          .rfind(
              "ERROR FUNCTION_NOT_FOUND: FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters (varchar) for "
              "function avg.",
              0),
      0u);

  EXPECT_EQ(Value("round(DECIMAL '3.14159', 2)"), "3.14000");
  EXPECT_EQ(Value("typeof(round(DECIMAL '3.14159', 2))"), "decimal(7,5)");
  EXPECT_EQ(Value("round(DECIMAL '9.99', 1)"), "10.00");
  EXPECT_EQ(Value("round(DECIMAL '-2.55', 1)"), "-2.60");
  EXPECT_EQ(Value("round(2.5E0, 0)"), "3.0");
  EXPECT_EQ(Value("round(17, -1)"), "20");
  EXPECT_EQ(Value("truncate(DECIMAL '3.14159', 2)"), "3.14000");
  EXPECT_EQ(Value("typeof(truncate(DECIMAL '-3.14159', 2))"), "decimal(6,5)");
  EXPECT_EQ(Value("truncate(DECIMAL '-3.14159', 2)"), "-3.14000");
}

TEST(EnglishStem, SnowballVocabulary) {
  const std::pair<const char*, const char*> kPairs[] = {
      {"consign", "consign"},
      {"consigned", "consign"},
      {"consigning", "consign"},
      {"consignment", "consign"},
      {"consist", "consist"},
      {"consisted", "consist"},
      {"consistency", "consist"},
      {"consistent", "consist"},
      {"consistently", "consist"},
      {"consolation", "consol"},
      {"consolations", "consol"},
      {"consolatory", "consolatori"},
      {"console", "consol"},
      {"consoled", "consol"},
      {"consoles", "consol"},
      {"consolidate", "consolid"},
      {"consolidated", "consolid"},
      {"consolidating", "consolid"},
      {"consoling", "consol"},
      {"consolingly", "consol"},
      {"consols", "consol"},
      {"consonant", "conson"},
      {"consort", "consort"},
      {"consorted", "consort"},
      {"conspicuous", "conspicu"},
      {"conspicuously", "conspicu"},
      {"conspiracy", "conspiraci"},
      {"conspirator", "conspir"},
      {"conspirators", "conspir"},
      {"conspire", "conspir"},
      {"conspired", "conspir"},
      {"conspiring", "conspir"},
      {"constable", "constabl"},
      {"constables", "constabl"},
      {"constance", "constanc"},
      {"constancy", "constanc"},
      {"constant", "constant"},
      {"knack", "knack"},
      {"knackeries", "knackeri"},
      {"knaves", "knave"},
      {"knavish", "knavish"},
      {"kneaded", "knead"},
      {"kneeling", "kneel"},
      {"knees", "knee"},
      {"knightly", "knight"},
      {"knitted", "knit"},
      {"knitting", "knit"},
      {"knives", "knive"},
      {"knocker", "knocker"},
      {"knocking", "knock"},
      {"running", "run"},
      {"jumping", "jump"},
      {"generously", "generous"},
      {"caresses", "caress"},
      {"ponies", "poni"},
      {"ties", "tie"},
      {"cries", "cri"},
      {"hoping", "hope"},
      {"happy", "happi"},
      {"gas", "gas"},
      {"this", "this"},
      {"cats", "cat"},
      {"skies", "sky"},
      {"dying", "die"},
      {"news", "news"},
      {"inning", "inning"},
      {"proceed", "proceed"},
      {"by", "by"},
      {"say", "say"},
      {"cry", "cri"},

      {"generate", "generat"},
  };
  for (const auto& [word, stem] : kPairs) EXPECT_EQ(internal::EnglishStem(word), stem) << word;
}

TEST_F(DialectFunctionsTest, WordStem) {
  EXPECT_EQ(Value("word_stem('running')"), "run");
  EXPECT_EQ(Value("word_stem('jumping', 'en')"), "jump");
  EXPECT_EQ(Value("word_stem(NULL)"), "NULL");
  EXPECT_EQ(
      Value("word_stem('laufen', 'de')"),
      "ERROR NOT_SUPPORTED: NOT_SUPPORTED: word_stem for the language 'de' (German): only English ('en') is "
      "supported");
  EXPECT_EQ(Value("word_stem('x', 'xx')").rfind("ERROR INVALID_FUNCTION_ARGUMENT", 0), 0u);
}

TEST(RewriteTrinoSyntax, Text) {
  using internal::RewriteTrinoSyntax;
  EXPECT_EQ(
      RewriteTrinoSyntax("SELECT listagg(x, ',' ON OVERFLOW TRUNCATE '...' WITH COUNT) WITHIN GROUP (ORDER "
                         "BY y) FROM t"),
      "SELECT string_agg(x, ',' ORDER BY y) FROM t");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT json_object(KEY 'k' VALUE 1, 'j' : 'a:b' WITHOUT UNIQUE KEYS)"),
            "SELECT json_object('k', 1, 'j', 'a:b')");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT 'U&''x''', \"listagg\"(1)"), "SELECT 'U&''x''', \"listagg\"(1)");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT U&'\\+01F600'"), "SELECT '\xF0\x9F\x98\x80'");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT U&'\\zz'"),
            "SELECT U&'\\zz'");  // left to the parser, which refuses it
  EXPECT_EQ(RewriteTrinoSyntax("SELECT json_object('a', 1)"), "SELECT json_object('a', 1)");
  EXPECT_EQ(
      RewriteTrinoSyntax("SELECT CASE a WHEN 0 THEN 'z' WHEN > 9 THEN CASE b WHEN IS NULL THEN 'n' END ELSE "
                         "'o' END"),
      "SELECT CASE WHEN (a) = (0) THEN 'z' WHEN (a) > 9 THEN CASE WHEN (b) IS NULL THEN 'n' END ELSE 'o' "
      "END");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT CASE a WHEN 1 THEN 2 END"), "SELECT CASE a WHEN 1 THEN 2 END");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT CAST(x AS ROW(integer, ROW(double precision)))"),
            "SELECT CAST(x AS STRUCT(field0 integer, field1 STRUCT(field0 double precision)))");
  EXPECT_EQ(RewriteTrinoSyntax("SELECT CAST(x AS ROW(a integer)), ROW(1, 2)"),
            "SELECT CAST(x AS ROW(a integer)), ROW(1, 2)");
}

}  // namespace
}  // namespace cenote::query

namespace cenote::query {
namespace {

// Trino divides decimals exactly (trino_functions_decimal.cpp, __cenote_divide): decimal(xp, xs) /
// decimal(yp, ys) is a decimal(min(38, xp + ys + max(0, ys - xs)), max(xs, ys)) rounded half up; an integer
// operand is a decimal(10, 0). Other operands keep DuckDB's division.
TEST_F(DialectFunctionsTest, DecimalDivisionKeepsTrinosDecimalType) {
  EXPECT_EQ(Value("DECIMAL '10.00' / DECIMAL '3'"), "3.33");
  EXPECT_EQ(Value("typeof(DECIMAL '10.00' / DECIMAL '3')"), "decimal(4,2)");
  EXPECT_EQ(Value("DECIMAL '2.00' / DECIMAL '3'"), "0.67");
  EXPECT_EQ(Value("typeof(10 / DECIMAL '3.0')"), "decimal(12,1)");
  EXPECT_EQ(Value("10 / DECIMAL '3.0'"), "3.3");
  EXPECT_EQ(Value("DECIMAL '1' / DECIMAL '0.3'"), "3.3");
  // Half up, away from zero, on the exact quotient (1.005 is not exact as a double).
  EXPECT_EQ(Value("DECIMAL '1.005' / DECIMAL '1.00'"), "1.005");
  EXPECT_EQ(Value("DECIMAL '2.01' / DECIMAL '2'"), "1.01");
  EXPECT_EQ(Value("DECIMAL '-2.01' / DECIMAL '2'"), "-1.01");
  EXPECT_EQ(Value("DECIMAL '-0.001' / 3"), "0.000");
  EXPECT_EQ(Value("DECIMAL '-2.5' / DECIMAL '-1'"), "2.5");
  // Wide operands: the quotient beyond 128 bits is still exact.
  EXPECT_EQ(Value("CAST('12345678901234567890.123' AS DECIMAL(38,3)) / CAST('0.0007' AS DECIMAL(10,4))"),
            "17636684144620811271604.2857");
  EXPECT_EQ(Value("CAST('99999999999999999999999999999999999.999' AS DECIMAL(38,3)) / "
                  "CAST('3.000' AS DECIMAL(4,3))"),
            "33333333333333333333333333333333333.333");
  EXPECT_EQ(Rows("SELECT sum(x) / count(*), typeof(sum(x) / count(*)) FROM (VALUES DECIMAL '1.10', "
                 "DECIMAL '2.25') AS t(x)"),
            "\"1.68\",\"decimal(38,2)\"\n");
  EXPECT_EQ(Value("transform(ARRAY[DECIMAL '1.00', DECIMAL '2.00'], v -> v / 3)"), "[0.33, 0.67]");
  EXPECT_EQ(Value("DECIMAL '1' / 0").rfind("ERROR DIVISION_BY_ZERO", 0), 0u);
  EXPECT_EQ(Value("CAST(NULL AS DECIMAL(4,2)) / DECIMAL '3'"), "NULL");
  // A double operand makes a double; integers divide as integers.
  EXPECT_EQ(Value("typeof(DECIMAL '1' / 0.5E0)"), "double");
  EXPECT_EQ(Value("7 / 2"), "3");
  EXPECT_EQ(Value("7.0E0 / 2"), "3.5");
}

// A NULL-typed column (VALUES of NULLs): the kind macros still fold their overload's key (typeof of such a
// column does not fold while DuckDB binds; typeof of a one-element list does).
TEST_F(DialectFunctionsTest, OverloadsOfNullTypedColumns) {
  EXPECT_EQ(Rows("SELECT CAST(x AS varchar), x / 2, x * 1.5 FROM (VALUES (NULL), (NULL)) t(x)"), ",,\n,,\n");
  EXPECT_EQ(Single("SELECT avg(x) FROM (VALUES (NULL), (NULL)) t(x)"), "NULL");
  EXPECT_EQ(Single("WITH t AS (SELECT NULL AS x) SELECT CAST(x AS varchar) FROM t"), "NULL");
}

// A division or product naming an enclosing query's column (a correlated subquery, a LATERAL table) binds:
// DuckDB types such a column only after choosing the macro overload, so these keep the plain operator.
TEST_F(DialectFunctionsTest, ArithmeticOnAnEnclosingQuerysColumn) {
  EXPECT_EQ(Rows("SELECT (SELECT count(*) FROM (VALUES 1, 2, 3) v(x) WHERE v.x < t.a / 2) FROM (VALUES 4, 6) "
                 "t(a) ORDER BY 1"),
            "\"1\"\n\"2\"\n");
  EXPECT_EQ(
      Rows("SELECT t.a, l.h FROM (VALUES 4, 6) t(a) CROSS JOIN LATERAL (SELECT t.a / 2 AS h) l ORDER BY 1"),
      "\"4\",\"2\"\n\"6\",\"3\"\n");
  EXPECT_EQ(Rows("SELECT a FROM (VALUES 4, 6) t(a) WHERE EXISTS (SELECT 1 FROM (VALUES 2) v(x) WHERE v.x = "
                 "t.a / 2)"),
            "\"4\"\n");
  EXPECT_EQ(Single("SELECT (SELECT t.a * 1.5) FROM (VALUES 4) t(a)"), "6.0");
  EXPECT_EQ(Single("SELECT (SELECT 1 / t.a) FROM (VALUES 0) t(a)").rfind("ERROR DIVISION_BY_ZERO", 0), 0u);
  EXPECT_EQ(Single("SELECT (SELECT avg(t.a + u.x) FROM (VALUES 1) u(x)) FROM (VALUES 4) t(a)"), "5.0");
  EXPECT_EQ(Single("SELECT (SELECT CAST(t.a AS varchar) FROM (VALUES 1) u(x)) FROM (VALUES 2) t(a)"), "2");
  // The same query's columns keep Trino's decimal division.
  EXPECT_EQ(Single("SELECT (SELECT typeof(max(v.x) / 2) FROM (VALUES DECIMAL '1.5') v(x))"), "decimal(2,1)");
}

}  // namespace
}  // namespace cenote::query
