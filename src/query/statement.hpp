// The stages a user statement goes through inside QueryEngine (engine.hpp): parse -> check (sandbox.cpp)
// -> rewrite the Trino dialect (dialect.cpp) -> bind catalog tables (binder.cpp) -> SQL again.
// Statements are DuckDB's own syntax trees as json_serialize_sql prints them. Internal to src/query.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "query/engine.hpp"

namespace cenote::query::internal {

// ASCII lower-case (identifiers, keywords, function names).
inline std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A string member of a parse-tree node, or "" when absent or not a string.
inline std::string StringField(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

// DuckDB services the stages need; implemented by the engine over a trusted connection.
class SqlHost {
 public:
  virtual ~SqlHost() = default;
  // DuckDB's parse of `sql`: the json_serialize_sql document {"error":false,"statements":[...]}. A
  // parse error comes back as Error{"SYNTAX_ERROR", message with the position}.
  virtual Result<boost::json::value> Parse(const std::string& sql) = 0;
  // The SQL text of a document of the same shape (json_deserialize_sql).
  virtual Result<std::string> Deparse(const boost::json::value& document) = 0;
  // Runs trusted SQL and returns its rows as text.
  virtual Result<QueryEngine::Rows> Query(const std::string& sql) = 0;
  // Like Query, for SQL whose answer cannot change (DESCRIBE over data files, which are immutable: a
  // stored object never changes under its path); answers are cached across queries.
  virtual Result<QueryEngine::Rows> QueryImmutable(const std::string& sql) = 0;
  // An absolute directory (readable by DuckDB, no '=' in its path) where the binder may create
  // symlinks to data files (binder.cpp LinkFiles, HiveScan); "" when there is none.
  virtual std::string LinkRoot() const = 0;
};

// Error codes of the stages.
inline constexpr const char* kSecurityError = "SECURITY";
inline constexpr const char* kSyntaxError = "SYNTAX_ERROR";
inline constexpr const char* kNotSupported = "NOT_SUPPORTED";

inline Error Refused(const std::string& what) {
  return MakeError(kSecurityError, what + " is not allowed in Athena queries");
}

// Names DuckDB resolves on its own (system views, catalogs) that user SQL may never name as tables;
// filled by the engine from duckdb_views()/duckdb_tables() at Open.
struct SandboxPolicy {
  std::unordered_set<std::string> builtin_relations;
  // Lower-case names of the engine's aggregate functions (CompileUserQuery's bounded_result).
  std::unordered_set<std::string> aggregate_functions;
};

// Checks one parsed statement (a "statements"[i] element) against the allowlist. Fails closed: any
// node kind it does not know is refused.
Status CheckStatement(const boost::json::value& statement, const SandboxPolicy& policy);

// Rewrites Trino functions to DuckDB equivalents or to the engine's __cenote_ macros in place.
// NOT_SUPPORTED for a Trino form that has no equivalent (e.g. date_format with a non-constant format).
Status RewriteDialect(boost::json::value& statement);

// CREATE MACRO statements the dialect rewrites rely on (installed by the engine before locking).
const std::vector<std::string>& DialectMacros();

// Converts a Trino/MySQL date format (%Y-%m-%d %H:%i:%s) to DuckDB's strftime/strptime format.
Result<std::string> ConvertDateFormat(const std::string& mysql_format);

struct BindStats {
  std::int64_t bytes_scanned = 0;
  std::int64_t files = 0;
  // Local path -> what error messages call it (the object's key, or its partition's location).
  std::vector<std::pair<std::string, std::string>> file_names;
};

// Replaces every catalog table of the statement by a subquery over its files (views: their checked,
// rewritten, bound SQL), pruning partitions with the WHERE conjuncts on partition keys.
Status BindTables(boost::json::value& statement, const QueryContext& ctx, TableResolver& resolver,
                  SqlHost& host, const SandboxPolicy& policy, BindStats& stats);

// Parses, checks, rewrites and binds one user statement; returns the SQL DuckDB runs.
struct CompiledQuery {
  std::string sql;
  BindStats stats;
  // The result is small by construction: the top-level SELECT groups, aggregates, has no FROM, or has a
  // constant LIMIT of at most kBoundedResultRows (and its select list calls no unnest()). The engine then
  // runs it in one bind (materialized) rather than prepared and streamed (DuckDB binds a prepared statement
  // over files twice: prepare, then run).
  bool bounded_result = false;
};
inline constexpr std::int64_t kBoundedResultRows = 100000;
// `stats` is filled as binding goes, so a failure can still name the files it had bound.
Result<CompiledQuery> CompileUserQuery(const std::string& sql, const QueryContext& ctx,
                                       TableResolver& resolver, SqlHost& host, const SandboxPolicy& policy,
                                       BindStats& stats);

// The relation `s3object` of an object query (object_select.cpp): the SELECT over the file that the
// engine generates from an ObjectSource, and its columns (engine.hpp ObjectSource says what they are).
struct ObjectScanSql {
  std::string sql;
  std::vector<SourceColumn> columns;
};
Result<ObjectScanSql> ObjectScan(const ObjectSource& source, SqlHost& host);

// Parses and checks one object-query statement (QueryEngine::OpenObjectSelect's `sql`) and splices `scan` in
// where it names `s3object`; any other table is refused. Returns the SQL DuckDB runs.
Result<std::string> CompileObjectSelect(const std::string& sql, const ObjectScanSql& scan, SqlHost& host,
                                        const SandboxPolicy& policy);

// CompiledQuery::bounded_result of one parsed statement (a "statements"[i] element).
bool BoundedResult(const boost::json::value& statement, const SandboxPolicy& policy);

// The statement node of a single-statement document, after checking there is exactly one.
Result<boost::json::value*> SingleStatement(boost::json::value& document);

// SQL expression that renders column `ref` (of DuckDB type `duckdb_type`) as Athena prints it in CSV
// results (csv_format.cpp). NULL stays NULL.
std::string AthenaTextExpression(const std::string& ref, const std::string& duckdb_type);

// A double (or, with `is_float`, a real) as Athena prints it: Java's Double.toString / Float.toString,
// plain in [1e-3, 1e7) ("100.0", "0.001"), otherwise d.dddE<n> ("1.0E20"); the shortest digits that read
// back to the same value. Top-level result columns of these types are formatted here, not in SQL.
std::string JavaNumberText(double value, bool is_float);

}  // namespace cenote::query::internal
