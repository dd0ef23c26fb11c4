// The query engine's errors in Athena's words, and the cleaning every message gets before it leaves a public
// QueryEngine call (engine.hpp).
//
// DuckDB reports a failed statement as "<Kind> Error: <text>", often followed by "\n\nLINE n: ..." context
// that points into the rewritten SQL, not the user's. Athena names its errors ("COLUMN_NOT_FOUND: ...",
// "SYNTAX_ERROR: line 1:8: ...") and its StateChangeReason is one line; the Athena layer passes these on
// as the query's failure reason, so they are worded here once.
//
// Cleaning (CleanError) makes a message safe to show a client: one line, no local path (a bound data file
// is named by its object, any other path under Cenote's directories becomes "(data file)"), valid UTF-8
// only (a message about a binary file must still fit in a JSON error body).
//
// Pure functions of their arguments, thread-safe. No DuckDB types: the engine passes DuckDB's C strings.
// Internal to src/query.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cenote::query::internal {

// A fault of the engine itself (setup, a file it cannot write, an unexpected DuckDB answer):
// INTERNAL_ERROR_QUERY_ENGINE, HTTP 500.
Error EngineError(const std::string& message);

// A statement's failure as DuckDB reports it (bind, execution, conversion; null: "Query failed") as the
// Athena error its kind maps to: "Binder Error: ... column ..." -> COLUMN_NOT_FOUND, "Conversion Error" ->
// INVALID_CAST_ARGUMENT, "Out of Memory Error" -> EXCEEDED_LOCAL_MEMORY_LIMIT ("Query exhausted resources
// at this scale factor (...)"), division by zero -> DIVISION_BY_ZERO, anything else ->
// GENERIC_INTERNAL_ERROR. The message is "<CODE>: <DuckDB's text>" without its "LINE n:" context.
Error ErrorFromDuckDb(const char* message);

// `error` (ErrorFromDuckDb's, or the table resolver's) as Athena words it for the user's statement `sql`:
// Trino's messages for what DuckDB says in its own ("Column 'c' cannot be resolved ...", "Function 'f' not
// registered", "'a' must be an aggregate expression or appear in GROUP BY clause" (EXPRESSION_NOT_AGGREGATE),
// "GROUP BY position 3 is not in select list" (INVALID_COLUMN_REFERENCE), "Cannot cast 'x' to INT",
// "Unexpected parameters (varchar) for function abs. Expected: ...") with Trino's type names, and "line L:C:
// " where the name it is about is found in `sql` (outside literals and comments; the first use). Errors it
// does not know are returned unchanged.
Error InAthenaWords(Error error, const std::string& sql);

// The query was cancelled (Cancellation::Cancel): CANCELLED, "Query was cancelled".
Error CancelledError();

// The query ran past QueryContext::timeout and was interrupted: TIMEOUT.
Error TimeoutError(std::chrono::milliseconds timeout);

// A parse error at byte `offset` of `sql`: SYNTAX_ERROR, "SYNTAX_ERROR: line L:C: <message>" (1-based, as
// Athena positions them).
Error SyntaxErrorAt(const std::string& sql, std::size_t offset, const std::string& message);

// `text` with local paths replaced: each bound file's path by what error messages call it (`file_names`:
// local path -> object key or partition location, BindStats::file_names), then whatever else starts with
// one of `private_prefixes` (the directories DuckDB may read, '/'-terminated) by "(data file)", up to the
// next delimiter (space, quote, comma, bracket, ...).
std::string ScrubPaths(std::string text, const std::vector<std::pair<std::string, std::string>>& file_names,
                       const std::vector<std::string>& private_prefixes);

// `error` fit for a client: its message cut at the first blank line (DuckDB's hints and reader settings
// follow one), its lines joined by spaces ("Original Line:" echoes of file content dropped), paths scrubbed
// (ScrubPaths), invalid UTF-8 and control characters replaced. Code and status are kept.
Error CleanError(Error error, const std::vector<std::pair<std::string, std::string>>& file_names,
                 const std::vector<std::string>& private_prefixes);

}  // namespace cenote::query::internal
