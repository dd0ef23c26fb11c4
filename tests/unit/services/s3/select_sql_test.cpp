// S3 Select's SQL: parsing, translation to DuckDB SQL, and the refusals with S3's error codes.
#include "services/s3/select_sql.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cenote::s3::select {
namespace {

const std::vector<query::SourceColumn> kCsvHeader = {{"name", "VARCHAR"}, {"Age", "VARCHAR"}};
const std::vector<query::SourceColumn> kCsvPositional = {{"_1", "VARCHAR"}, {"_2", "VARCHAR"}};
const std::vector<query::SourceColumn> kParquet = {
    {"id", "BIGINT"}, {"label", "VARCHAR"}, {"point", "STRUCT(x INTEGER, y INTEGER)"}};
const std::vector<query::SourceColumn> kJson = {{"json", "JSON"}};

Translation Ok(const std::string& sql, InputFormat input = InputFormat::kCsv,
               const std::vector<query::SourceColumn>& columns = kCsvHeader, bool header = true,
               OutputFormat output = OutputFormat::kCsv) {
  auto q = Parse(sql);
  EXPECT_TRUE(q.ok()) << sql << ": " << (q.ok() ? "" : q.error().code + " " + q.error().message);
  if (!q.ok()) return {};
  auto t = Translate(*q, input, columns, header, output);
  EXPECT_TRUE(t.ok()) << sql << ": " << (t.ok() ? "" : t.error().code + " " + t.error().message);
  return t.ok() ? *t : Translation{};
}

// The error code of parsing + translating `sql`, "" when it succeeds.
std::string Code(const std::string& sql, InputFormat input = InputFormat::kCsv,
                 const std::vector<query::SourceColumn>& columns = kCsvHeader, bool header = true) {
  auto q = Parse(sql);
  if (!q.ok()) {
    EXPECT_EQ(q.error().http_status, 400) << sql;
    return q.error().code;
  }
  auto t = Translate(*q, input, columns, header, OutputFormat::kCsv);
  if (!t.ok()) {
    EXPECT_EQ(t.error().http_status, 400) << sql;
    return t.error().code;
  }
  return "";
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(SelectSqlParse, Clauses) {
  auto q = Parse("select s.name as n, _2 FROM S3Object s WHERE s.age > 30 LIMIT 5;");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_FALSE(q->star);
  ASSERT_EQ(q->items.size(), 2u);
  EXPECT_EQ(q->items[0].alias, "n");
  EXPECT_EQ(q->items[0].expr.kind, Expr::Kind::kPath);
  EXPECT_EQ(q->alias, "s");
  ASSERT_TRUE(q->where.has_value());
  EXPECT_EQ(q->where->kind, Expr::Kind::kCompare);
  EXPECT_EQ(q->limit, 5);

  auto star = Parse("SELECT * FROM s3object[*].records[*] AS r");
  ASSERT_TRUE(star.ok());
  EXPECT_TRUE(star->star);
  ASSERT_EQ(star->from_path.size(), 3u);
  EXPECT_EQ(star->from_path[0].kind, PathStep::Kind::kWildcard);
  EXPECT_EQ(star->from_path[1].name, "records");
  EXPECT_EQ(star->alias, "r");
}

TEST(SelectSqlParse, Predicates) {
  auto q = Parse(
      "SELECT * FROM S3Object WHERE a BETWEEN 1 AND 2 AND b NOT IN ('x', 'y') AND c LIKE 'a%' ESCAPE '!' "
      "AND d IS NOT NULL AND e IS MISSING AND NOT f = 1 OR CASE WHEN g = 1 THEN TRUE ELSE FALSE END");
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->where->kind, Expr::Kind::kOr);
}

TEST(SelectSqlParse, FunctionForms) {
  for (const char* sql :
       {"SELECT SUBSTRING(name FROM 2 FOR 3) FROM S3Object", "SELECT SUBSTRING(name, 2, 3) FROM S3Object",
        "SELECT TRIM(LEADING 'x' FROM name) FROM S3Object", "SELECT TRIM(name) FROM S3Object",
        "SELECT EXTRACT(YEAR FROM TO_TIMESTAMP(name)) FROM S3Object",
        "SELECT DATE_ADD(day, 1, UTCNOW()) FROM S3Object",
        "SELECT CAST(name AS DECIMAL(10, 2)) FROM S3Object", "SELECT COUNT(*) FROM S3Object"}) {
    EXPECT_TRUE(Parse(sql).ok()) << sql;
  }
}

TEST(SelectSqlParse, Refusals) {
  EXPECT_EQ(Code("SELEC * FROM S3Object"), "ParseUnexpectedToken");
  EXPECT_EQ(Code("SELECT * FROM S3Object WHERE"), "ParseExpectedExpression");
  EXPECT_EQ(Code("SELECT *"), "ParseSelectMissingFrom");
  EXPECT_EQ(Code("SELECT * FROM S3Object WHERE a = 'open"), "LexerInvalidChar");
  EXPECT_EQ(Code("SELECT * FROM S3Object WHERE a = #"), "LexerInvalidChar");
  EXPECT_EQ(Code("SELECT * FROM other_table"), "InvalidDataSource");
  EXPECT_EQ(Code("SELECT DISTINCT name FROM S3Object"), "UnsupportedSyntax");
  EXPECT_EQ(Code("SELECT name FROM S3Object GROUP BY name"), "UnsupportedSyntax");
  EXPECT_EQ(Code("SELECT name FROM S3Object ORDER BY name"), "UnsupportedSyntax");
  EXPECT_EQ(Code("SELECT * FROM S3Object a, S3Object b"), "UnsupportedSyntax");
  EXPECT_EQ(Code("SELECT * FROM S3Object WHERE name IN (SELECT 1)"), "UnsupportedSyntax");
  EXPECT_EQ(Code("SELECT * FROM S3Object LIMIT -1"), "ParseUnexpectedToken");
  EXPECT_EQ(Code("SELECT * FROM S3Object; DROP TABLE x"), "ParseUnexpectedToken");
  EXPECT_EQ(Code(std::string(300 * 1024, ' ')), "ExpressionTooLong");
  // Deep nesting is refused, not a stack overflow.
  EXPECT_EQ(Code("SELECT " + std::string(5000, '(') + "1" + std::string(5000, ')') + " FROM S3Object"),
            "UnsupportedSyntax");
}

TEST(SelectSqlTranslate, CsvWithHeader) {
  Translation t = Ok("SELECT s.name, s.age FROM S3Object s WHERE s.age > 30 LIMIT 2");
  EXPECT_TRUE(Contains(t.sql, "FROM s3object")) << t.sql;
  // Names resolve case-insensitively to the file's own spelling, quoted.
  EXPECT_TRUE(Contains(t.sql, "\"Age\"")) << t.sql;
  // A CSV field compared with a number is read as a number.
  EXPECT_TRUE(Contains(t.sql, "TRY_CAST(\"Age\" AS DOUBLE) > 30")) << t.sql;
  EXPECT_TRUE(Contains(t.sql, "LIMIT 2")) << t.sql;
  ASSERT_EQ(t.columns.size(), 2u);
  EXPECT_EQ(t.columns[0].name, "name");
  EXPECT_EQ(t.columns[1].name, "age");
}

TEST(SelectSqlTranslate, CsvPositionsAndStar) {
  Translation t = Ok("SELECT _2, _1 FROM S3Object", InputFormat::kCsv, kCsvPositional, false);
  EXPECT_TRUE(Contains(t.sql, "\"_2\"")) << t.sql;
  EXPECT_EQ(t.columns[0].name, "_2");
  // With USE, positions still name the fields.
  Translation p = Ok("SELECT _2 FROM S3Object");
  EXPECT_TRUE(Contains(p.sql, "\"Age\"")) << p.sql;
  Translation star = Ok("SELECT * FROM S3Object");
  ASSERT_EQ(star.columns.size(), 2u);
  EXPECT_EQ(star.columns[1].name, "Age");
}

TEST(SelectSqlTranslate, CsvRefusals) {
  EXPECT_EQ(Code("SELECT s.missing FROM S3Object s"), "MissingHeaders");
  EXPECT_EQ(Code("SELECT _3 FROM S3Object"), "InvalidColumnIndex");
  EXPECT_EQ(Code("SELECT _0 FROM S3Object"), "InvalidColumnIndex");
  // Without USE, header names are not referable.
  EXPECT_EQ(Code("SELECT name FROM S3Object", InputFormat::kCsv, kCsvPositional, false), "MissingHeaders");
  EXPECT_EQ(Code("SELECT s.name.first FROM S3Object s"), "InvalidKeyPath");
  EXPECT_EQ(Code("SELECT * FROM S3Object[*]"), "UnsupportedSyntax");
  EXPECT_EQ(Code("SELECT hash(name) FROM S3Object"), "UnsupportedFunction");
  EXPECT_EQ(Code("SELECT read_csv('/etc/passwd') FROM S3Object"), "UnsupportedFunction");
  EXPECT_EQ(Code("SELECT CAST(name AS BLOB) FROM S3Object"), "InvalidCast");
  EXPECT_EQ(Code("SELECT SUM(*) FROM S3Object"), "IncorrectSqlFunctionArgumentType");
  EXPECT_EQ(Code("SELECT LOWER(name, name) FROM S3Object"), "IncorrectSqlFunctionArgumentType");
  EXPECT_EQ(Code("SELECT TO_STRING(UTCNOW(), 'yyyy-QQ') FROM S3Object"),
            "EvaluatorInvalidTimestampFormatPattern");
}

TEST(SelectSqlTranslate, UserTextIsQuoted) {
  // A string literal that tries to close the quote stays one literal.
  Translation t = Ok("SELECT * FROM S3Object s WHERE s.name = 'x'' OR 1=1 --'");
  EXPECT_TRUE(Contains(t.sql, "'x'' OR 1=1 --'")) << t.sql;
  // An alias never reaches the SQL; output columns have generated names.
  Translation a = Ok("SELECT s.name AS \"x\"\" FROM evil\" FROM S3Object s");
  EXPECT_FALSE(Contains(a.sql, "evil")) << a.sql;
  EXPECT_EQ(a.columns[0].name, "x\" FROM evil");
  // A JSON key is inside a quoted path literal; keys with quotes are refused.
  Translation j = Ok("SELECT s.\"a'b\" FROM S3Object s", InputFormat::kJson, kJson);
  EXPECT_TRUE(Contains(j.sql, "'$.\"a''b\"'")) << j.sql;
  EXPECT_EQ(Code("SELECT s.\"a\"\"b\" FROM S3Object s", InputFormat::kJson, kJson), "InvalidKeyPath");
  // Numbers are printed from their digits.
  Translation n = Ok("SELECT * FROM S3Object s WHERE s.age > 1.5e1");
  EXPECT_TRUE(Contains(n.sql, "CAST('15' AS DOUBLE)")) << n.sql;
}

TEST(SelectSqlTranslate, JsonPaths) {
  Translation t = Ok("SELECT s.a.b, s.c[0] FROM S3Object[*].records[*] s WHERE s.a.b = 'x'",
                     InputFormat::kJson, kJson, false, OutputFormat::kJson);
  EXPECT_TRUE(Contains(t.sql, "json_extract(__r, '$.\"a\".\"b\"')")) << t.sql;
  EXPECT_TRUE(Contains(t.sql, "json_extract(__r, '$.\"c\"[0]')")) << t.sql;
  EXPECT_TRUE(Contains(t.sql, "unnest(")) << t.sql;
  EXPECT_TRUE(Contains(t.sql, "'$.\"records\"'")) << t.sql;
  // A JSON value compared with a string compares its text.
  EXPECT_TRUE(Contains(t.sql, "->> '$') = 'x'")) << t.sql;
  EXPECT_EQ(t.columns[0].name, "b");
  EXPECT_EQ(t.columns[1].name, "c");  // a path's last name, as S3 names it

  Translation star = Ok("SELECT * FROM S3Object s", InputFormat::kJson, kJson, false, OutputFormat::kJson);
  ASSERT_EQ(star.columns.size(), 1u);
  EXPECT_EQ(star.columns[0].kind, ValueKind::kRecord);

  Translation numeric = Ok("SELECT s.n FROM S3Object s WHERE s.n >= 10", InputFormat::kJson, kJson);
  EXPECT_TRUE(Contains(numeric.sql, "TRY_CAST(json_extract(__r, '$.\"n\"') AS DOUBLE) >= 10")) << numeric.sql;

  Translation missing = Ok("SELECT s.n FROM S3Object s WHERE s.n IS MISSING", InputFormat::kJson, kJson);
  EXPECT_TRUE(Contains(missing.sql, "IS NULL")) << missing.sql;
}

TEST(SelectSqlTranslate, Parquet) {
  Translation t = Ok("SELECT id, s.point.x FROM S3Object s WHERE id > 2 AND label LIKE 'a%'",
                     InputFormat::kParquet, kParquet, true, OutputFormat::kJson);
  EXPECT_TRUE(Contains(t.sql, "(\"id\" > 2)")) << t.sql;
  EXPECT_TRUE(Contains(t.sql, "struct_extract(\"point\", 'x')")) << t.sql;
  EXPECT_TRUE(Contains(t.sql, "to_json(")) << t.sql;
  EXPECT_EQ(Code("SELECT nope FROM S3Object", InputFormat::kParquet, kParquet), "InvalidColumnIndex");
}

TEST(SelectSqlTranslate, Functions) {
  Translation t = Ok(
      "SELECT COUNT(*), SUM(CAST(_2 AS INT)), AVG(CAST(_2 AS FLOAT)), MIN(name), MAX(_2), "
      "CHAR_LENGTH(name), UPPER(name), LOWER(name), SUBSTRING(name FROM 2 FOR 2), TRIM(BOTH 'x' FROM name), "
      "COALESCE(name, 'none'), NULLIF(name, 'x'), CASE WHEN name = 'a' THEN 1 ELSE 2 END, name || '!', "
      "TO_STRING(TO_TIMESTAMP('2024-01-02T03:04:05Z'), 'yyyy-MM-dd HH:mm'), "
      "EXTRACT(YEAR FROM TO_TIMESTAMP('2024-01-02T03:04:05Z')), DATE_DIFF(day, UTCNOW(), UTCNOW()), "
      "DATE_ADD(month, 1, UTCNOW()) FROM S3Object");
  for (const char* fn : {"count(*)", "sum(", "avg(", "min(", "max(", "length(", "upper(", "lower(",
                         "substring(", "trim(", "coalesce(", "CASE WHEN", "strftime(", "'%Y-%m-%d %H:%M'",
                         "date_part('year'", "date_diff('day'", "to_months("}) {
    EXPECT_TRUE(Contains(t.sql, fn)) << fn << " in " << t.sql;
  }
  EXPECT_EQ(t.columns.size(), 18u);
}

}  // namespace
}  // namespace cenote::s3::select
