// S3 Select's SQL (SelectObjectContent's Expression): a parser for the subset AWS documents ("SQL reference
// for Amazon S3 Select") and its translation to one DuckDB SELECT over the relation `s3object`
// (query/engine.hpp ObjectSource), which the query engine then checks and runs.
//
// The subset:
//   SELECT * | expr [[AS] alias], ...  FROM S3Object[path] [[AS] alias]  [WHERE expr]  [LIMIT n]
//   - FROM paths (JSON): S3Object[*], S3Object[*].a.b, S3Object[*].a[*], S3Object.a[0]
//   - references: alias.name, name, "Quoted Name" (case-sensitive), _1, _2 (CSV positions), JSON paths
//     alias.a.b[0]
//   - literals: 'string', 12, 1.5, 1e3, TRUE, FALSE, NULL; operators: + - * / % ||, = != <> < <= > >=,
//     AND OR NOT, IS [NOT] NULL, IS [NOT] MISSING, [NOT] BETWEEN, [NOT] IN (...), [NOT] LIKE ... [ESCAPE]
//   - CAST(expr AS BOOL|INT|INTEGER|BIGINT|FLOAT|DOUBLE|DECIMAL|NUMERIC|STRING|VARCHAR|CHAR|TIMESTAMP)
//   - CASE [expr] WHEN ... THEN ... [ELSE ...] END, COALESCE, NULLIF
//   - aggregates COUNT(*), COUNT, SUM, AVG, MIN, MAX
//   - strings CHAR_LENGTH, CHARACTER_LENGTH, LOWER, UPPER, SUBSTRING(s FROM i [FOR n]) / SUBSTRING(s, i[,
//   n]),
//     TRIM([LEADING|TRAILING|BOTH] [chars] FROM s)
//   - dates UTCNOW(), TO_TIMESTAMP(s), TO_STRING(ts, pattern), EXTRACT(part FROM ts),
//     DATE_ADD(part, n, ts), DATE_DIFF(part, ts, ts)
// Anything else (GROUP BY, ORDER BY, JOIN, DISTINCT, subqueries, other functions) is refused with S3's
// error code for it. Values keep S3 Select's typing: CSV fields are strings, JSON values are dynamically
// typed (a comparison with a number compares numbers), Parquet columns have their file types.
//
// Safety: no user text reaches the SQL except as a quoted string literal (strings, JSON key paths) or as a
// quoted identifier that names one of the object's own columns (as the engine described them); numbers are
// re-printed from their parsed digits. The engine's sandbox checks the result again.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "query/engine.hpp"

namespace cenote::s3::select {

// ---- the syntax tree

struct PathStep {
  enum class Kind { kName, kIndex, kWildcard };
  Kind kind = Kind::kName;
  std::string name;        // kName
  bool quoted = false;     // kName written "like this": matched case-sensitively
  std::int64_t index = 0;  // kIndex
};

struct Expr {
  enum class Kind {
    kString,  // text: the value
    kNumber,  // text: the digits as written
    kBool,    // text: "true" | "false"
    kNull,
    kMissing,
    kPath,     // path: the steps (the first may be the FROM alias)
    kStar,     // COUNT(*)'s argument
    kNegate,   // args[0]
    kArith,    // text: + - * / % ||
    kCompare,  // text: = != < <= > >=
    kAnd,
    kOr,
    kNot,
    kIsNull,     // negated: IS NOT NULL
    kIsMissing,  // negated: IS NOT MISSING
    kBetween,    // args: value, low, high; negated
    kIn,         // args: value, items...; negated
    kLike,       // args: value, pattern[, escape]; negated
    kCase,       // args: [operand,] (when, then)..., [else]; has_operand, has_else
    kCast,       // text: the type name (upper case); args[0]
    kCall,       // text: the function name (upper case); args
    kExtract,    // text: the date part (upper case); args[0]
    kTrim,       // text: LEADING | TRAILING | BOTH; args: value[, characters]
  };
  Kind kind = Kind::kNull;
  std::string text;
  std::vector<PathStep> path;
  std::vector<Expr> args;
  bool negated = false;
  bool has_operand = false;
  bool has_else = false;
  std::size_t offset = 0;  // where it starts in the expression, for error messages
};

struct SelectItem {
  Expr expr;
  std::string alias;  // "" when none
};

struct Query {
  bool star = false;  // SELECT *
  std::vector<SelectItem> items;
  std::vector<PathStep> from_path;  // after S3Object
  std::string alias;                // the FROM alias, "" when none
  std::optional<Expr> where;
  std::optional<std::int64_t> limit;
};

// Parses `expression`. Errors are S3's (400): ParseUnexpectedToken, ParseExpectedExpression,
// LexerInvalidChar, UnsupportedSyntax, ExpressionTooLong, ...
Result<Query> Parse(std::string_view expression);

// ---- the translation

enum class InputFormat { kCsv, kJson, kParquet };
enum class OutputFormat { kCsv, kJson };

// How the caller renders a result column (every column of the SQL is VARCHAR).
enum class ValueKind {
  kText,    // CSV output: the value's text; JSON output: a JSON value (the SQL renders it)
  kRecord,  // a whole JSON record (SELECT * over JSON): its JSON text, to spread into the output
};

struct OutputColumn {
  std::string name;  // JSON output's key
  ValueKind kind = ValueKind::kText;
};

struct Translation {
  std::string sql;  // one DuckDB SELECT over `s3object`
  std::vector<OutputColumn> columns;
};

// Translates a parsed query over an object whose relation has `columns` (QueryEngine::DescribeObject; for
// CSV, header names are referable only when `csv_header_names`). Errors are S3's (400): MissingHeaders,
// InvalidColumnIndex, UnsupportedFunction, InvalidKeyPath, EvaluatorInvalidTimestampFormatPattern, ...
Result<Translation> Translate(const Query& query, InputFormat input,
                              const std::vector<query::SourceColumn>& columns, bool csv_header_names,
                              OutputFormat output);

}  // namespace cenote::s3::select
