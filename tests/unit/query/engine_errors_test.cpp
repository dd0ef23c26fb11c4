// The engine's errors in Athena's words and the cleaning of what a client sees (src/query/engine_errors.cpp).
// The messages are DuckDB 1.4's own wording; engine_test.cpp checks the same path end to end.
#include "query/engine_errors.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace cenote::query::internal {
namespace {

using namespace std::chrono_literals;

std::string Translated(const char* duckdb_message) { return ErrorFromDuckDb(duckdb_message).message; }

TEST(EngineErrors, DuckDbKindsBecomeAthenaErrorNames) {
  struct Case {
    const char* duckdb;
    const char* code;
  };
  const Case cases[] = {
      {"Binder Error: Referenced column \"x\" not found in FROM clause!", "COLUMN_NOT_FOUND"},
      {"Binder Error: No function matches the given name and argument types 'f(INTEGER)'.",
       "FUNCTION_NOT_FOUND"},
      {"Binder Error: Cannot compare values of type INTEGER and type VARCHAR", "TYPE_MISMATCH"},
      {"Catalog Error: Scalar Function with name nope does not exist!", "FUNCTION_NOT_FOUND"},
      {"Catalog Error: Table with name t does not exist!", "TABLE_NOT_FOUND"},
      {"Conversion Error: Could not convert string 'abc' to INT32", "INVALID_CAST_ARGUMENT"},
      {"Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!", "NUMERIC_VALUE_OUT_OF_RANGE"},
      {"Invalid Input Error: CSV Error on Line: 2", "HIVE_BAD_DATA"},
      {"IO Error: No files found that match the pattern", "HIVE_CURSOR_ERROR"},
      {"Permission Error: Cannot access file", "PERMISSION_DENIED"},
      {"Parser Error: syntax error at or near \"FROM\"", "SYNTAX_ERROR"},
      {"Not implemented Error: Unsupported type", "NOT_SUPPORTED"},
      {"INTERNAL Error: something unexpected", "GENERIC_INTERNAL_ERROR"},
  };
  for (const Case& c : cases) {
    Error e = ErrorFromDuckDb(c.duckdb);
    EXPECT_EQ(e.code, c.code) << c.duckdb;
    EXPECT_EQ(e.http_status, 400) << c.duckdb;
    // The code, then DuckDB's text without its kind.
    std::string text(c.duckdb);
    std::string body = text.substr(text.find(": ") + 2);
    if (e.code == "GENERIC_INTERNAL_ERROR") body = text;
    EXPECT_EQ(e.message, std::string(c.code) + ": " + body) << c.duckdb;
  }
}

TEST(EngineErrors, DuckDbSpecialCases) {
  // Division by zero, whatever the kind.
  Error e = ErrorFromDuckDb("Out of Range Error: Division by zero!");
  EXPECT_EQ(e.code, "DIVISION_BY_ZERO");
  EXPECT_EQ(e.message, "DIVISION_BY_ZERO: Division by zero");
  e = ErrorFromDuckDb(
      "Not implemented Error: Unknown TimeZone 'Mars/Base'!\n\nCandidate time zones: \"GMT0\"");
  EXPECT_EQ(e.code, "NOT_SUPPORTED");
  EXPECT_EQ(e.message, "NOT_SUPPORTED: Time zone not supported: Mars/Base");
  // A typed dialect macro over an enclosing query's column names the function, not the macro.
  e = ErrorFromDuckDb(
      "Binder Error: Macro __cenote_format_arg() has multiple overloads that match the supplied arguments. "
      "In "
      "order to select one, please supply all arguments by name, and/or add explicit type casts.\nCandidate "
      "macros:  __cenote_format_arg(x TINYINT)");
  EXPECT_EQ(e.code, "NOT_SUPPORTED");
  EXPECT_EQ(e.message,
            "NOT_SUPPORTED: Cenote does not support format() on a column of an enclosing query (a correlated "
            "subquery or a LATERAL table)");
  // error('CODE: text') raised by a dialect macro keeps its Trino code.
  e = ErrorFromDuckDb(
      "Invalid Input Error: INVALID_FUNCTION_ARGUMENT: Cannot add hour, minutes or seconds to a date");
  EXPECT_EQ(e.code, "INVALID_FUNCTION_ARGUMENT");
  EXPECT_EQ(e.message, "INVALID_FUNCTION_ARGUMENT: Cannot add hour, minutes or seconds to a date");
  // The dialect's error('CODE: ...') and its C functions' errors keep Trino's code, written once.
  Error raised = ErrorFromDuckDb("Invalid Input Error: INVALID_FUNCTION_ARGUMENT: Offset must be at least 1");
  EXPECT_EQ(raised.code, "INVALID_FUNCTION_ARGUMENT");
  EXPECT_EQ(raised.message, "INVALID_FUNCTION_ARGUMENT: Offset must be at least 1");
  EXPECT_EQ(ErrorFromDuckDb("Invalid Input Error: INVALID_CAST_ARGUMENT: Cannot cast '[1]' to varchar").code,
            "INVALID_CAST_ARGUMENT");
  EXPECT_EQ(ErrorFromDuckDb("Invalid Input Error: INVALID_FUNCTION_ARGUMENTS: x").code, "HIVE_BAD_DATA");
  // Memory: Athena's wording around DuckDB's.
  EXPECT_EQ(
      Translated(
          "Out of Memory Error: could not allocate block of size 256.0 KiB (512.0 MiB/512.0 MiB used)"),
      "EXCEEDED_LOCAL_MEMORY_LIMIT: Query exhausted resources at this scale factor (could not allocate block "
      "of size 256.0 KiB (512.0 MiB/512.0 MiB used))");
  // No message at all.
  EXPECT_EQ(Translated(nullptr), "GENERIC_INTERNAL_ERROR: Query failed");
}

TEST(EngineErrors, DuckDbLineContextIsDropped) {
  // It points into the rewritten SQL, not the user's.
  EXPECT_EQ(Translated("Binder Error: Referenced column \"no_such_column\" not found in FROM clause!\n"
                       "Candidate bindings: \"a\"\n\nLINE 1: SELECT no_such_column FROM (SELECT 1 AS a)\n"
                       "               ^\n"),
            "COLUMN_NOT_FOUND: Referenced column \"no_such_column\" not found in FROM clause!\n"
            "Candidate bindings: \"a\"");
  EXPECT_EQ(Translated("Conversion Error: Could not convert string 'abc' to INT32 \n"),
            "INVALID_CAST_ARGUMENT: Could not convert string 'abc' to INT32");
}

TEST(EngineErrors, CancelTimeoutAndSyntax) {
  EXPECT_EQ(CancelledError().code, "CANCELLED");
  EXPECT_EQ(CancelledError().message, "Query was cancelled");
  Error timeout = TimeoutError(300ms);
  EXPECT_EQ(timeout.code, "TIMEOUT");
  EXPECT_EQ(timeout.message, "Query timeout: the query ran longer than 300 ms and was stopped");
  EXPECT_EQ(SyntaxErrorAt("SELECT 1 FROM", 13, "syntax error at end of input").message,
            "SYNTAX_ERROR: line 1:14: syntax error at end of input");
  EXPECT_EQ(SyntaxErrorAt("SELECT *\nFRM x", 9, "syntax error at or near \"FRM\"").message,
            "SYNTAX_ERROR: line 2:1: syntax error at or near \"FRM\"");
  EXPECT_EQ(SyntaxErrorAt("SELECT", 0, "m").message, "SYNTAX_ERROR: line 1:1: m");
  EXPECT_EQ(SyntaxErrorAt("SELECT", 0, "m").code, "SYNTAX_ERROR");
  EXPECT_EQ(EngineError("x").code, "INTERNAL_ERROR_QUERY_ENGINE");
  EXPECT_EQ(EngineError("x").http_status, 500);
}

const std::vector<std::pair<std::string, std::string>> kFileNames = {
    {"/data/blobs/ab/cdef", "s3://bucket/t/year=2024/part-0.csv"},
};
const std::vector<std::string> kPrivatePrefixes = {"/data/blobs/", "/data/scratch/"};

TEST(EngineErrors, PathsNameTheirObjectsOrNothing) {
  EXPECT_EQ(ScrubPaths("bad file '/data/blobs/ab/cdef' at line 2", kFileNames, kPrivatePrefixes),
            "bad file 's3://bucket/t/year=2024/part-0.csv' at line 2");
  // Not a bound file: a placeholder, up to the path's end.
  EXPECT_EQ(ScrubPaths("cannot open \"/data/scratch/hive/x=1/f.parquet\", or /data/blobs/zz)", kFileNames,
                       kPrivatePrefixes),
            "cannot open \"(data file)\", or (data file))");
  EXPECT_EQ(ScrubPaths("at the end /data/scratch/tmp/file", kFileNames, kPrivatePrefixes),
            "at the end (data file)");
  EXPECT_EQ(ScrubPaths("nothing to hide in /etc/hosts", kFileNames, kPrivatePrefixes),
            "nothing to hide in /etc/hosts");
}

TEST(EngineErrors, CleanErrorIsOneSafeLine) {
  Error raw = MakeError("HIVE_BAD_DATA",
                        "HIVE_BAD_DATA: CSV Error on Line: 2 in /data/blobs/ab/cdef\n"
                        "Original Line: a,b,\x01secret\n"
                        "Expected Number of Columns: 3 Found: 2\n"
                        "\n"
                        "Possible fixes: ... /data/scratch/x\n");
  Error clean = CleanError(raw, kFileNames, kPrivatePrefixes);
  EXPECT_EQ(clean.code, "HIVE_BAD_DATA");
  EXPECT_EQ(clean.http_status, 400);
  EXPECT_EQ(clean.message,
            "HIVE_BAD_DATA: CSV Error on Line: 2 in s3://bucket/t/year=2024/part-0.csv Expected Number of "
            "Columns: 3 Found: 2");
  // Valid UTF-8 stays; broken bytes and control characters become '?', tabs spaces.
  Error bytes = MakeError("HIVE_BAD_DATA", "value 'caf\xc3\xa9' then '\xff\xfe' and \x07\tend");
  EXPECT_EQ(CleanError(bytes, {}, {}).message, "value 'caf\xc3\xa9' then '\?\?' and ? end");
  // A truncated multi-byte sequence at the end.
  EXPECT_EQ(CleanError(MakeError("X", "cut \xe2\x82"), {}, {}).message, "cut ??");
}

// DuckDB's wording as Trino's (the messages are DuckDB 1.4's), placed at the name's first use in the user's
// SQL.
std::string Athena(const char* duckdb, const std::string& sql) {
  return InAthenaWords(ErrorFromDuckDb(duckdb), sql).message;
}

TEST(EngineErrors, InAthenaWords) {
  EXPECT_EQ(
      Athena("Binder Error: Referenced column \"c\" not found in FROM clause!\nCandidate bindings: \"a\"",
             "SELECT a,\n  -- c here is a comment\n  'c', \"C\" FROM t"),
      "COLUMN_NOT_FOUND: line 3:8: Column 'c' cannot be resolved or requester is not authorized to access "
      "requested resources");
  EXPECT_EQ(
      Athena("Binder Error: Values list \"t\" does not have a column named \"zz\"", "SELECT t.zz FROM t"),
      "COLUMN_NOT_FOUND: line 1:8: Column 't.zz' cannot be resolved or requester is not authorized to access "
      "requested resources");
  Error agg = InAthenaWords(
      ErrorFromDuckDb("Binder Error: column \"a\" must appear in the GROUP BY clause or must be "
                      "part of an aggregate function."),
      "SELECT a, count(*) FROM t");
  EXPECT_EQ(agg.code, "EXPRESSION_NOT_AGGREGATE");
  EXPECT_EQ(
      agg.message,
      "EXPRESSION_NOT_AGGREGATE: line 1:8: 'a' must be an aggregate expression or appear in GROUP BY clause");
  EXPECT_EQ(Athena("Catalog Error: Scalar Function with name foo does not exist!\nDid you mean \"floor\"?",
                   "SELECT foo, foo (1)"),
            "FUNCTION_NOT_FOUND: line 1:13: Function 'foo' not registered");
  EXPECT_EQ(
      Athena(
          "Binder Error: No function matches the given name and argument types 'length(INTEGER)'. You might "
          "need to add explicit type casts.\n\tCandidate functions:\n\tlength(VARCHAR) -> BIGINT\n"
          "\tlength(BIT) -> BIGINT\n\tlength(ANY[]) -> BIGINT\n",
          "SELECT length(1)"),
      "FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters (integer) for function length. Expected: "
      "length(varchar)");
  EXPECT_EQ(
      Athena("Binder Error: Could not choose a best candidate function for the function call "
             "\"__cenote_md5(INTEGER_LITERAL)\". In order to select one, please add explicit type casts.\n"
             "\tCandidate functions:\n\t__cenote_md5(BLOB) -> BLOB\n",
             "SELECT md5(1)"),
      "FUNCTION_NOT_FOUND: line 1:8: Unexpected parameters (integer) for function md5. Expected: "
      "md5(varbinary)");
  Error group =
      InAthenaWords(ErrorFromDuckDb("Binder Error: GROUP BY term out of range - should be between 1 and 1"),
                    "SELECT sum(a) FROM t GROUP BY 1, 2");
  EXPECT_EQ(group.code, "INVALID_COLUMN_REFERENCE");
  EXPECT_EQ(group.message, "INVALID_COLUMN_REFERENCE: line 1:34: GROUP BY position 2 is not in select list");
  EXPECT_EQ(Athena("Binder Error: ORDER term out of range - should be between 1 and 1",
                   "SELECT a FROM t ORDER BY 5"),
            "INVALID_COLUMN_REFERENCE: line 1:26: ORDER BY position 5 is not in select list");
  EXPECT_EQ(
      Athena("Conversion Error: Could not convert string 'x' to INT32 when casting from source column b",
             "SELECT 1"),
      "INVALID_CAST_ARGUMENT: Cannot cast 'x' to INT");
  EXPECT_EQ(Athena("Conversion Error: Could not convert string 'x' to INT64", "SELECT 1"),
            "INVALID_CAST_ARGUMENT: Cannot cast 'x' to BIGINT");
  // The resolver's errors carry no code in their message (Athena adds it): positions are added all the same.
  EXPECT_EQ(InAthenaWords(MakeError("TABLE_NOT_FOUND", "Table 'awsdatacatalog.db.nope' does not exist"),
                          "SELECT * FROM db.nope")
                .message,
            "line 1:15: Table 'awsdatacatalog.db.nope' does not exist");
  EXPECT_EQ(
      InAthenaWords(MakeError("SCHEMA_NOT_FOUND", "Schema 'nodb' does not exist"), "SELECT * FROM\nnodb.t")
          .message,
      "line 2:1: Schema 'nodb' does not exist");
  // A name the statement does not use (a rewritten one) gets no position; unknown errors pass unchanged.
  EXPECT_EQ(Athena("Catalog Error: Scalar Function with name foo does not exist!", "SELECT 1"),
            "FUNCTION_NOT_FOUND: Function 'foo' not registered");
  EXPECT_EQ(Athena("Out of Range Error: Overflow in addition of INT32 (2147483647 + 1)!", "SELECT 1"),
            "NUMERIC_VALUE_OUT_OF_RANGE: Overflow in addition of INT32 (2147483647 + 1)!");
}

}  // namespace
}  // namespace cenote::query::internal
