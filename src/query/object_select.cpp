// Object queries (engine.hpp ObjectSource, QueryEngine::OpenObjectSelect; statement.hpp ObjectScan,
// CompileObjectSelect): the relation `s3object` over one file, and the statement that reads it.
//
// The scan is SQL the engine generates from the ObjectSource (the path and every option quoted); the
// statement is parsed by DuckDB, checked by the sandbox like user SQL, and only then gets the scan spliced in
// where it names `s3object`, as the binder splices catalog tables (binder.cpp).
#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "query/statement.hpp"
#include "query/type_tree.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

bool IsGlobSafe(const std::string& path) { return path.find_first_of("*?[{") == std::string::npos; }

// DuckDB's spelling of a record delimiter in read_csv's new_line option.
std::string NewLineOption(const std::string& new_line) {
  if (new_line == "\n") return "\\n";
  if (new_line == "\r\n") return "\\r\\n";
  if (new_line == "\r") return "\\r";
  return "";
}

// The read_* call of `source` (its columns as DuckDB names them).
Result<std::string> ReadCall(const ObjectSource& source) {
  std::error_code ec;
  std::string path = std::filesystem::absolute(source.path, ec).lexically_normal().string();
  if (ec || source.path.empty() || !IsGlobSafe(path))
    return MakeError("InternalError", "unexpected characters in a data file path", 500);
  const std::string file = QuoteLiteral(path);
  // The JSON readers spell "no compression" differently from read_csv.
  const bool json = source.format == ObjectSource::Format::kJsonLines ||
                    source.format == ObjectSource::Format::kJsonDocument;
  const std::string compression = QuoteLiteral(source.gzip ? "gzip" : json ? "uncompressed" : "none");
  switch (source.format) {
    case ObjectSource::Format::kParquet:
      return "read_parquet(" + file + ")";
    case ObjectSource::Format::kJsonLines:
      return "read_ndjson_objects(" + file + ", compression = " + compression + ")";
    case ObjectSource::Format::kJsonDocument:
      return "read_json_objects(" + file + ", format = 'auto', compression = " + compression + ")";
    case ObjectSource::Format::kCsv:
      break;
  }
  if (source.delimiter.size() != 1 || source.quote.size() > 1 || source.escape.size() > 1 ||
      source.comment.size() > 1)
    return MakeError(kNotSupported, "NOT_SUPPORTED: CSV delimiters, quotes and comments are one character");
  // Every field as text (S3 Select reads CSV values as strings); ragged rows padded, not refused.
  std::string call =
      "read_csv(" + file + ", header = " + (source.header ? "true" : "false") +
      ", delim = " + QuoteLiteral(source.delimiter) + ", quote = " + QuoteLiteral(source.quote) +
      ", escape = " + QuoteLiteral(source.escape) +
      ", all_varchar = true, null_padding = true, strict_mode = false, compression = " + compression;
  if (!source.comment.empty()) call += ", comment = " + QuoteLiteral(source.comment);
  std::string new_line = NewLineOption(source.new_line);
  if (!new_line.empty()) call += ", new_line = " + QuoteLiteral(new_line);
  return call + ")";
}

// Replaces every BASE_TABLE `s3object` of the tree by `scan` (a parsed SELECT statement's node); any other
// table name is refused.
// The names of the CTEs a query node defines (`WITH a AS (...)`), lower-cased.
std::vector<std::string> CteNames(const json::object& node) {
  std::vector<std::string> names;
  const json::value* ctes = node.if_contains("cte_map");
  if (ctes == nullptr || !ctes->is_object()) return names;
  const json::value* map = ctes->get_object().if_contains("map");
  if (map == nullptr || !map->is_array()) return names;
  for (const json::value& entry : map->get_array()) {
    if (entry.is_object()) names.push_back(Lower(StringField(entry.get_object(), "key")));
  }
  return names;
}

// Replaces every reference to `s3object` by the scan. Other tables are refused, except the statement's own
// CTEs where they are in scope (Cenote's generated statements, such as Logs Insights', are CTE chains).
Status SpliceScan(json::value& v, const json::value& scan, int depth, std::vector<std::string>& ctes) {
  if (depth > 400) return MakeError(kNotSupported, "NOT_SUPPORTED: The query is nested too deeply");
  if (v.is_array()) {
    for (json::value& item : v.get_array()) CENOTE_RETURN_IF_ERROR(SpliceScan(item, scan, depth + 1, ctes));
    return Status::Ok();
  }
  if (!v.is_object()) return Status::Ok();
  json::object& o = v.get_object();
  if (!o.contains("class") && StringField(o, "type") == "BASE_TABLE") {
    const std::string name = Lower(StringField(o, "table_name"));
    if (StringField(o, "schema_name").empty() && name != "s3object" &&
        std::find(ctes.begin(), ctes.end(), name) != ctes.end())
      return Status::Ok();
    if (!StringField(o, "schema_name").empty() || name != "s3object")
      return Refused("The table '" + StringField(o, "table_name") + "'");
    json::object ref;
    ref["type"] = "SUBQUERY";
    ref["alias"] = StringField(o, "alias").empty() ? std::string("s3object") : StringField(o, "alias");
    ref["sample"] = nullptr;
    ref["query_location"] = o.contains("query_location") ? o["query_location"] : json::value(0);
    ref["subquery"] = scan;
    ref["column_name_alias"] = json::array();
    v = std::move(ref);
    return Status::Ok();
  }
  const std::size_t scope = ctes.size();
  for (std::string& name : CteNames(o)) ctes.push_back(std::move(name));
  Status status = Status::Ok();
  for (auto& [key, child] : o) {
    if (key == "cast_type") continue;
    status = SpliceScan(child, scan, depth + 1, ctes);
    if (!status) break;
  }
  ctes.resize(scope);
  return status;
}

}  // namespace

Result<ObjectScanSql> ObjectScan(const ObjectSource& source, SqlHost& host) {
  CENOTE_ASSIGN_OR_RETURN(std::string call, ReadCall(source));
  ObjectScanSql out;
  // The file's columns: a CSV sniff of its first records, a Parquet footer; immutable files, so cached.
  CENOTE_ASSIGN_OR_RETURN(QueryEngine::Rows rows, host.QueryImmutable("DESCRIBE SELECT * FROM " + call));
  std::string select;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    if (row.size() < 2 || !row[0] || !row[1])
      return MakeError("InternalError", "unexpected DESCRIBE output", 500);
    SourceColumn column{*row[0], *row[1]};
    if (source.format == ObjectSource::Format::kCsv && !source.header_names) {
      // Positional names, as S3 Select calls the fields of a file read without its header.
      std::string name = "_";
      name += std::to_string(i + 1);  // (not "_" + ...: g++ 12 warns falsely on it)
      if (!select.empty()) select += ", ";
      select += QuoteIdentifier(column.name) + " AS " + QuoteIdentifier(name);
      column.name = name;
    }
    out.columns.push_back(std::move(column));
  }
  out.sql = "SELECT " + (select.empty() ? std::string("*") : select) + " FROM " + call;
  return out;
}

Result<std::string> CompileObjectSelect(const std::string& sql, const ObjectScanSql& scan, SqlHost& host,
                                        const SandboxPolicy& policy) {
  CENOTE_ASSIGN_OR_RETURN(json::value doc, host.Parse(sql));
  CENOTE_ASSIGN_OR_RETURN(auto* stmt, SingleStatement(doc));
  CENOTE_RETURN_IF_ERROR(CheckStatement(*stmt, policy));
  CENOTE_ASSIGN_OR_RETURN(json::value scan_doc, host.Parse(scan.sql));
  CENOTE_ASSIGN_OR_RETURN(auto* scan_stmt, SingleStatement(scan_doc));
  std::vector<std::string> ctes;
  CENOTE_RETURN_IF_ERROR(SpliceScan(*stmt, *scan_stmt, 0, ctes));
  return host.Deparse(doc);
}

}  // namespace cenote::query::internal
