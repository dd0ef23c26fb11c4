// More of the Trino dialect (src/query/dialect_functions.cpp, dialect_syntax.cpp and the C functions of
// trino_functions_{binary,math,format}.cpp), each against a hand-computed or documented answer.
#include <gtest/gtest.h>

#include "query/dialect_functions.hpp"
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
  EXPECT_EQ(Value("normalize('abc', NFD)").rfind("ERROR NOT_SUPPORTED", 0), 0u);
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
