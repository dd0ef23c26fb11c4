// The SQL sandbox (statement.hpp CheckStatement): an allowlist walk over DuckDB's syntax tree.
//
// Every JSON object in the tree is either an expression (has "class") or a query node, table
// reference, result modifier, order entry or type description (has a string "type"). Both kinds are
// checked against allowlists; anything unknown is refused, so a DuckDB upgrade that adds node kinds
// fails closed. Table functions are limited to unnest/range/generate_series; functions that read
// settings, files or run SQL are refused by name; table names must look like Glue names, so string
// "tables" (DuckDB's replacement scans: FROM '/etc/passwd') and DuckDB's own catalogs never bind.
#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <string_view>
#include <unordered_set>

#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

constexpr int kMaxTreeDepth = 400;

bool IsNullOrMissing(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr || v->is_null();
}

const std::unordered_set<std::string>& AllowedExpressionClasses() {
  static const std::unordered_set<std::string> kClasses = {
      "COLUMN_REF", "CONSTANT", "FUNCTION", "COMPARISON", "CONJUNCTION",
      "OPERATOR",   "CASE",     "CAST",     "BETWEEN",    "STAR",
      "WINDOW",     "SUBQUERY", "LAMBDA",   "COLLATE",    "POSITIONAL_REFERENCE",
      "LAMBDA_REF"};
  return kClasses;
}

const std::unordered_set<std::string>& AllowedNodeTypes() {
  static const std::unordered_set<std::string> kTypes = {
      // query nodes
      "SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE",
      // table references
      "BASE_TABLE", "JOIN", "SUBQUERY", "EXPRESSION_LIST", "EMPTY", "TABLE_FUNCTION",
      // result modifiers and ORDER BY entries
      "ORDER_MODIFIER", "LIMIT_MODIFIER", "LIMIT_PERCENT_MODIFIER", "DISTINCT_MODIFIER", "ASCENDING",
      "DESCENDING", "ORDER_DEFAULT"};
  return kTypes;
}

// Table functions a query may use as a FROM item: they read no files and run no SQL.
const std::unordered_set<std::string>& AllowedTableFunctions() {
  static const std::unordered_set<std::string> kFunctions = {"unnest", "range", "generate_series"};
  return kFunctions;
}

// Functions that read settings or the environment, touch files, or run SQL.
bool IsDeniedFunction(const std::string& name) {
  static const std::unordered_set<std::string> kNames = {"current_setting",
                                                         "getenv",
                                                         "getvariable",
                                                         "query",
                                                         "query_table",
                                                         "sql_auto_complete",
                                                         "json_execute_serialized_sql",
                                                         "json_serialize_sql",
                                                         "json_deserialize_sql",
                                                         "json_serialize_plan",
                                                         "sniff_csv",
                                                         "which_secret",
                                                         "checkpoint",
                                                         "force_checkpoint",
                                                         "nextval",
                                                         "currval",
                                                         "glob",
                                                         "current_database",
                                                         "current_catalog",
                                                         "current_schema",
                                                         "current_schemas",
                                                         "current_user",
                                                         "session_user",
                                                         "user",
                                                         "version",
                                                         "platform",
                                                         "txid_current",
                                                         "set_bit_internal",
                                                         "summary",
                                                         "seq_scan",
                                                         "index_scan",
                                                         "repeat_row",
                                                         "icu_calendar_names",
                                                         "enum_range",
                                                         "enum_range_boundary",
                                                         "pg_timezone_names",
                                                         "load_aws_credentials",
                                                         "has_any_column_privilege",
                                                         "has_column_privilege",
                                                         "has_database_privilege",
                                                         "has_foreign_data_wrapper_privilege",
                                                         "has_function_privilege",
                                                         "has_language_privilege",
                                                         "has_schema_privilege",
                                                         "has_sequence_privilege",
                                                         "has_server_privilege",
                                                         "has_table_privilege",
                                                         "has_tablespace_privilege"};
  static const std::array<std::string_view, 17> kPrefixes = {
      "read_",  "duckdb_", "pragma_", "parquet_", "__cenote_", "sqlite_", "postgres_", "mysql_", "iceberg_",
      "delta_", "test_",   "sniff",   "glob",     "pg_",       "load",    "install",   "export"};
  if (kNames.count(name) > 0) return true;
  return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view p) { return name.compare(0, p.size(), p) == 0; });
}

// Glue table/database names (Athena: letters, digits, underscore; Glue also allows hyphens).
bool IsGlueName(const std::string& name) {
  if (name.empty() || name.size() > 255) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// A table name, or an Iceberg table's metadata table / snapshot ("t$snapshots", Athena's form), which the
// resolver binds.
bool IsTableName(const std::string& name) {
  auto dollar = name.find('$');
  if (dollar == std::string::npos) return IsGlueName(name);
  return IsGlueName(name.substr(0, dollar)) && IsGlueName(name.substr(dollar + 1));
}

class Checker {
 public:
  explicit Checker(const SandboxPolicy& policy) : policy_(policy) {}

  Status Check(const json::value& v, int depth) {
    if (depth > kMaxTreeDepth)
      return MakeError(kNotSupported, "NOT_SUPPORTED: The query is nested too deeply");
    if (v.is_array()) {
      for (const json::value& item : v.get_array()) CENOTE_RETURN_IF_ERROR(Check(item, depth + 1));
      return Status::Ok();
    }
    if (!v.is_object()) return Status::Ok();
    const json::object& o = v.get_object();
    if (const json::value* cls = o.if_contains("class"); cls != nullptr && cls->is_string()) {
      CENOTE_RETURN_IF_ERROR(CheckExpression(o, std::string(cls->get_string())));
    } else if (const json::value* type = o.if_contains("type"); type != nullptr && type->is_string()) {
      std::string t(type->get_string());
      bool type_info = t.size() > 10 && t.compare(t.size() - 10, 10, "_TYPE_INFO") == 0;
      if (!type_info) CENOTE_RETURN_IF_ERROR(CheckNode(o, t));
    }
    for (const auto& [key, child] : o) {
      // Column types (CAST targets, constant types) are descriptions, not nodes.
      if (key == "cast_type" || (key == "type" && child.is_object())) continue;
      CENOTE_RETURN_IF_ERROR(Check(child, depth + 1));
    }
    return Status::Ok();
  }

 private:
  Status CheckExpression(const json::object& o, const std::string& cls) {
    if (AllowedExpressionClasses().count(cls) == 0) {
      if (cls == "PARAMETER") return Refused("A query parameter");
      return Refused("The expression " + cls);
    }
    if (cls == "FUNCTION") {
      std::string name = Lower(StringField(o, "function_name"));
      std::string schema = Lower(StringField(o, "schema"));
      std::string catalog = Lower(StringField(o, "catalog"));
      if (!catalog.empty()) return Refused("The function catalog '" + catalog + "'");
      if (!schema.empty() && schema != "main") return Refused("The function schema '" + schema + "'");
      if (IsDeniedFunction(name)) return Refused("The function " + name);
    }
    return Status::Ok();
  }

  Status CheckNode(const json::object& o, const std::string& type) {
    if (AllowedNodeTypes().count(type) == 0) {
      if (type == "SHOW_REF") return Refused("DESCRIBE, SHOW and SUMMARIZE");
      if (type == "PIVOT") return Refused("PIVOT");
      return Refused("The construct " + type);
    }
    if (type == "BASE_TABLE") return CheckBaseTable(o);
    if (type == "TABLE_FUNCTION") {
      const json::value* fn = o.if_contains("function");
      std::string name;
      if (fn != nullptr && fn->is_object()) name = Lower(StringField(fn->get_object(), "function_name"));
      if (AllowedTableFunctions().count(name) == 0)
        return Refused("The table function " + (name.empty() ? std::string("(unknown)") : name));
    }
    return Status::Ok();
  }

  Status CheckBaseTable(const json::object& o) {
    std::string catalog = StringField(o, "catalog_name");
    std::string schema = StringField(o, "schema_name");
    std::string table = StringField(o, "table_name");
    if (!catalog.empty())
      return Refused("A three-part table name (" + catalog + "." + schema + "." + table + ")");
    if (!IsNullOrMissing(o, "at_clause")) return Refused("Time travel (AT ...)");
    if (!IsTableName(table)) return Refused("The table name '" + table + "'");
    if (!schema.empty() && !IsGlueName(schema)) return Refused("The database name '" + schema + "'");
    std::string lower_table = Lower(table);
    std::string lower_schema = Lower(schema);
    static const std::unordered_set<std::string> kSystemSchemas = {"system",     "temp", "information_schema",
                                                                   "pg_catalog", "main", "memory"};
    if (kSystemSchemas.count(lower_schema) > 0) return Refused("The system schema " + lower_schema);
    if (lower_table.rfind("__cenote_", 0) == 0 || lower_table.rfind("duckdb_", 0) == 0 ||
        lower_table.rfind("pragma_", 0) == 0 || lower_table.rfind("sqlite_", 0) == 0 ||
        lower_table.rfind("pg_", 0) == 0)
      return Refused("The table name '" + table + "'");
    if (schema.empty() && policy_.builtin_relations.count(lower_table) > 0)
      return Refused("The system table " + lower_table);
    return Status::Ok();
  }

  const SandboxPolicy& policy_;
};

}  // namespace

Status CheckStatement(const json::value& statement, const SandboxPolicy& policy) {
  Checker checker(policy);
  return checker.Check(statement, 0);
}

Result<json::value*> SingleStatement(json::value& document) {
  json::object* doc = document.if_object();
  json::value* statements = doc != nullptr ? doc->if_contains("statements") : nullptr;
  if (statements == nullptr || !statements->is_array())
    return MakeError(kSyntaxError, "SYNTAX_ERROR: empty query");
  json::array& list = statements->get_array();
  if (list.empty()) return MakeError(kSyntaxError, "SYNTAX_ERROR: line 1:1: the query is empty");
  if (list.size() > 1) return Refused("More than one statement per query");
  return &list[0];
}

}  // namespace cenote::query::internal
