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

}  // namespace
}  // namespace cenote::query::internal
