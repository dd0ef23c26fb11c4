// The statement runner's SELECT path and the Hive DDL Athena runs against the Glue Catalog: databases,
// external tables, SHOW / DESCRIBE, MSCK REPAIR TABLE and ALTER TABLE ADD/DROP PARTITION. Tables are
// stored exactly as Athena stores them in Glue (EXTERNAL_TABLE, Parameters EXTERNAL=TRUE, Hive SerDe
// and Input/OutputFormat class names). DDL failures read like Athena's ("FAILED: SemanticException ...").
#include <algorithm>
#include <filesystem>
#include <set>

#include "common/clock.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

// A SELECT result up to this size goes from the engine to the result object without a scratch file.
constexpr std::uint64_t kInMemoryResultBytes = 1 << 20;

constexpr const char* kLazySimpleSerDe = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe";
constexpr const char* kTextInputFormat = "org.apache.hadoop.mapred.TextInputFormat";
constexpr const char* kTextOutputFormat = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
constexpr const char* kParquetSerDe = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";
constexpr const char* kParquetInputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
constexpr const char* kParquetOutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
constexpr const char* kOrcSerDe = "org.apache.hadoop.hive.ql.io.orc.OrcSerde";
constexpr const char* kOrcInputFormat = "org.apache.hadoop.hive.ql.io.orc.OrcInputFormat";
constexpr const char* kOrcOutputFormat = "org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat";
constexpr const char* kJsonSerDe = "org.apache.hive.hcatalog.data.JsonSerDe";
constexpr const char* kAvroSerDe = "org.apache.hadoop.hive.serde2.avro.AvroSerDe";
constexpr const char* kAvroInputFormat = "org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat";
constexpr const char* kAvroOutputFormat = "org.apache.hadoop.hive.ql.io.avro.AvroContainerOutputFormat";

StatementOutcome Empty() {
  StatementOutcome o;
  o.meta.format = "txt";
  o.meta.header = false;
  o.meta.update_count = 0;
  return o;
}

StatementOutcome Lines(std::vector<std::string> lines, std::vector<std::string> column_names) {
  StatementOutcome o = Empty();
  o.txt_lines = std::move(lines);
  for (auto& n : column_names) {
    query::ResultColumn c;
    c.name = std::move(n);
    c.type = "string";
    c.precision = 0;
    o.meta.columns.push_back(std::move(c));
  }
  return o;
}

// Code "FAILED": the message already carries Athena's "FAILED: " prefix.
Error DdlError(const std::string& message) { return MakeError("FAILED", "FAILED: " + message); }

Error DatabaseNotFound(const std::string& db) {
  return DdlError("SemanticException [Error 10072]: Database does not exist: " + db);
}

// Hive's DESCRIBE alignment: every field left-justified to 20 characters, tab separated.
std::string Pad20(const std::string& s) {
  std::string out = s;
  if (out.size() < 20) out.append(20 - out.size(), ' ');
  return out;
}

std::string Describe3(const std::string& a, const std::string& b, const std::string& c) {
  return Pad20(a) + "\t" + Pad20(b) + "\t" + Pad20(c);
}

std::vector<std::pair<std::string, std::string>> ColumnPairs(const json::value* columns) {
  std::vector<std::pair<std::string, std::string>> out;
  if (columns == nullptr || !columns->is_array()) return out;
  for (const auto& c : columns->as_array()) {
    if (!c.is_object()) continue;
    out.emplace_back(GetString(c.as_object(), "Name").value_or(""),
                     GetString(c.as_object(), "Type").value_or(""));
  }
  return out;
}

std::string ColumnComment(const json::value* columns, std::size_t i) {
  if (columns == nullptr || !columns->is_array() || i >= columns->as_array().size()) return "";
  const auto& c = columns->as_array()[i];
  return c.is_object() ? GetString(c.as_object(), "Comment").value_or("") : "";
}

std::vector<std::string> PartitionValues(const json::object& partition) {
  std::vector<std::string> out;
  if (auto* v = partition.if_contains("Values"); v && v->is_array()) {
    for (const auto& x : v->as_array()) out.push_back(x.is_string() ? std::string(x.as_string()) : "");
  }
  return out;
}

// Hive escapes these characters in partition folder names (FileUtils.escapePathName).
std::string EscapePathName(const std::string& v) {
  static const std::string kEscape = "\"#%'*/:=?\\\x7f{[]^";
  std::string out;
  for (unsigned char c : v) {
    if (c < 0x20 || kEscape.find(static_cast<char>(c)) != std::string::npos) {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string UnescapePathName(const std::string& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && std::isxdigit(static_cast<unsigned char>(v[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(v[i + 2]))) {
      out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += v[i];
    }
  }
  return out;
}

std::string PartitionName(const std::vector<std::string>& keys, const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < keys.size() && i < values.size(); ++i) {
    if (i > 0) out += "/";
    out += keys[i] + "=" + EscapePathName(values[i]);
  }
  return out;
}

std::vector<std::string> KeyNames(const json::object& table) {
  std::vector<std::string> out;
  for (auto& [name, type] : ColumnPairs(table.if_contains("PartitionKeys"))) out.push_back(AsciiLower(name));
  return out;
}

std::string TableLocation(const json::object& table) {
  if (auto* sd = GetObject(table, "StorageDescriptor")) return GetString(*sd, "Location").value_or("");
  return "";
}

json::object PartitionInput(const json::object& table, const std::vector<std::string>& values,
                            const std::string& location) {
  json::object sd;
  if (auto* t = GetObject(table, "StorageDescriptor")) sd = *t;
  sd["Location"] = location;
  json::array vals;
  for (const auto& v : values) vals.push_back(json::string(v));
  return json::object{{"Values", std::move(vals)}, {"StorageDescriptor", std::move(sd)}};
}

}  // namespace

json::array GlueColumns(const std::vector<ColumnSpec>& columns) {
  json::array out;
  for (const auto& c : columns) {
    json::object col{{"Name", c.name}, {"Type", c.type}};
    if (!c.comment.empty()) col["Comment"] = c.comment;
    out.push_back(std::move(col));
  }
  return out;
}

json::object StorageDescriptorFor(const Statement& s, const std::vector<ColumnSpec>& columns,
                                  const std::string& location) {
  std::string serde = s.serde;
  std::string input = s.input_format;
  std::string output = s.output_format;
  json::object serde_params;
  for (const auto& [k, v] : s.serde_properties) serde_params[k] = v;
  const std::string& fmt = s.stored_as;
  auto set_formats = [&](const char* lib, const char* in, const char* out) {
    if (serde.empty()) serde = lib;
    if (input.empty()) input = in;
    if (output.empty()) output = out;
  };
  if (fmt == "PARQUET" || (fmt.empty() && serde.find("Parquet") != std::string::npos)) {
    set_formats(kParquetSerDe, kParquetInputFormat, kParquetOutputFormat);
  } else if (fmt == "ORC" || (fmt.empty() && serde.find("Orc") != std::string::npos)) {
    set_formats(kOrcSerDe, kOrcInputFormat, kOrcOutputFormat);
  } else if (fmt == "AVRO" || (fmt.empty() && serde.find("Avro") != std::string::npos)) {
    set_formats(kAvroSerDe, kAvroInputFormat, kAvroOutputFormat);
  } else if (fmt == "JSON" || fmt == "JSONFILE") {
    set_formats(kJsonSerDe, kTextInputFormat, kTextOutputFormat);
  } else {
    set_formats(kLazySimpleSerDe, kTextInputFormat, kTextOutputFormat);
  }
  if (serde == kLazySimpleSerDe) {
    std::string field_delim;
    for (const auto& [k, v] : s.delimited) {
      serde_params[k] = v;
      if (k == "field.delim") field_delim = v;
    }
    if (!serde_params.contains("serialization.format")) {
      serde_params["serialization.format"] = field_delim.empty() ? "1" : field_delim;
    }
  } else if (serde == kParquetSerDe || serde == kOrcSerDe) {
    if (!serde_params.contains("serialization.format")) serde_params["serialization.format"] = "1";
  }
  json::object sd{
      {"Columns", GlueColumns(columns)},
      {"Location", location},
      {"InputFormat", input},
      {"OutputFormat", output},
      {"Compressed", false},
      {"NumberOfBuckets", -1},
      {"SerdeInfo", json::object{{"SerializationLibrary", serde}, {"Parameters", std::move(serde_params)}}},
      {"BucketColumns", json::array{}},
      {"SortColumns", json::array{}},
      {"Parameters", json::object{}},
      {"StoredAsSubDirectories", false}};
  return sd;
}

Result<StatementOutcome> StatementRunner::Run(const Statement& statement, const StatementContext& ctx) {
  resolver_.SetScratchDir(options_.scratch_dir);
  Statement rewritten;
  const Statement* run = &statement;
  if (!statement.query.empty() &&
      (statement.kind == StatementKind::kSelect || statement.kind == StatementKind::kCreateTableAs ||
       statement.kind == StatementKind::kInsertInto || statement.kind == StatementKind::kCreateView)) {
    // Iceberg time travel (FOR VERSION / TIMESTAMP AS OF), which the engine's parser does not know.
    auto sql = RewriteTimeTravel(statement.query, UnixNowMs());
    if (!sql) return std::move(sql).error();
    if (*sql != statement.query) {
      rewritten = statement;
      rewritten.query = std::move(*sql);
      run = &rewritten;
    }
  }
  const Statement& s = *run;
  auto out = Dispatch(s, ctx);
  if (out) return out;
  Error e = std::move(out).error();
  e.message = resolver_.ScrubPaths(std::move(e.message));
  if (!options_.scratch_dir.empty()) {
    for (auto pos = e.message.find(options_.scratch_dir); pos != std::string::npos;
         pos = e.message.find(options_.scratch_dir, pos)) {
      e.message.replace(pos, options_.scratch_dir.size(), "<scratch>");
    }
  }
  return e;
}

Result<StatementOutcome> StatementRunner::Dispatch(const Statement& s, const StatementContext& ctx) {
  switch (s.kind) {
    case StatementKind::kSelect:
      return Select(s, ctx);
    case StatementKind::kCreateDatabase:
      return CreateDatabase(s);
    case StatementKind::kDropDatabase:
      return DropDatabase(s);
    case StatementKind::kCreateTable:
      return CreateTable(s, ctx);
    case StatementKind::kCreateTableAs:
      return CreateTableAs(s, ctx);
    case StatementKind::kDropTable:
      return DropTable(s, ctx);
    case StatementKind::kCreateView:
      return CreateView(s, ctx);
    case StatementKind::kDropView:
      return DropView(s, ctx);
    case StatementKind::kInsertInto:
      return InsertInto(s, ctx);
    case StatementKind::kShowDatabases:
      return ShowDatabases(s);
    case StatementKind::kShowTables:
    case StatementKind::kShowViews:
      return ShowTables(s, ctx);
    case StatementKind::kShowPartitions:
      return ShowPartitions(s, ctx);
    case StatementKind::kShowColumns:
      return ShowColumns(s, ctx);
    case StatementKind::kShowCreateTable:
      return ShowCreateTable(s, ctx);
    case StatementKind::kShowTblProperties:
      return ShowTblProperties(s, ctx);
    case StatementKind::kDescribe:
      return Describe(s, ctx);
    case StatementKind::kMsckRepair:
      return MsckRepair(s, ctx);
    case StatementKind::kAlterAddPartitions:
      return AddPartitions(s, ctx);
    case StatementKind::kAlterDropPartitions:
      return DropPartitions(s, ctx);
    case StatementKind::kDelete:
    case StatementKind::kUpdate:
    case StatementKind::kMerge:
      return ModifyRows(s, ctx);
    case StatementKind::kOptimize:
      return OptimizeIceberg(s, ctx);
    case StatementKind::kVacuum:
      return VacuumIceberg(s, ctx);
    case StatementKind::kAlterAddColumns:
    case StatementKind::kAlterDropColumn:
    case StatementKind::kAlterChangeColumn:
      return AlterIcebergSchema(s, ctx);
    case StatementKind::kAlterRenameTable:
      return RenameTable(s, ctx);
    case StatementKind::kUnsupported:
      break;
  }
  return MakeError("NOT_SUPPORTED", s.unsupported_reason.empty() ? "NOT_SUPPORTED: statement is not supported"
                                                                 : s.unsupported_reason);
}

Result<StatementOutcome> StatementRunner::Select(const Statement& s, const StatementContext& ctx) {
  std::string csv =
      (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + ".csv")).string();
  query::QueryContext qctx;
  qctx.database = ctx.database;
  qctx.in_memory_result_bytes = kInMemoryResultBytes;
  auto out = engine_.RunSelect(s.query, qctx, resolver_, csv, *ctx.cancel);
  if (!out) {
    std::error_code ec;
    std::filesystem::remove(csv, ec);
    return std::move(out).error();
  }
  StatementOutcome o;
  o.meta.format = "csv";
  o.meta.header = true;
  o.meta.update_count = 0;
  o.meta.columns = out->columns;
  if (out->csv) {
    o.csv = std::move(out->csv);
  } else {
    o.local_csv = csv;
  }
  o.stats = out->stats;
  return o;
}

Status StatementRunner::EnsureDatabase(const std::string& database) {
  auto db = catalog_.GetDatabase(database);
  if (db) return Status::Ok();
  if (db.error().code != "EntityNotFoundException") return DdlError(db.error().message);
  // Glue creates "default" on first use; so do we.
  if (database == "default") {
    auto created =
        catalog_.CreateDatabase(json::object{{"Name", "default"}, {"Description", "Default Hive database"}});
    if (created || created.error().code == "AlreadyExistsException") return Status::Ok();
    return DdlError(created.error().message);
  }
  return DatabaseNotFound(database);
}

Result<json::object> StatementRunner::GetTableForDdl(const std::string& database, const std::string& table) {
  auto t = catalog_.GetTable(database, table);
  if (t) return t;
  if (t.error().code != "EntityNotFoundException") return DdlError(t.error().message);
  auto db = catalog_.GetDatabase(database);
  if (!db && db.error().code == "EntityNotFoundException") return DatabaseNotFound(database);
  return DdlError("SemanticException [Error 10001]: Table not found " + database + "." + table);
}

Result<StatementOutcome> StatementRunner::CreateDatabase(const Statement& s) {
  json::object input{{"Name", s.name}};
  if (!s.comment.empty()) input["Description"] = s.comment;
  if (!s.location.empty()) input["LocationUri"] = s.location;
  json::object params;
  for (const auto& [k, v] : s.properties) params[k] = v;
  if (!params.empty()) input["Parameters"] = std::move(params);
  auto st = catalog_.CreateDatabase(input);
  if (!st) {
    if (st.error().code == "AlreadyExistsException") {
      if (s.if_not_exists) return Empty();
      return DdlError("AlreadyExistsException: Database " + s.name + " already exists");
    }
    return DdlError(st.error().code + ": " + st.error().message);
  }
  return Empty();
}

Result<StatementOutcome> StatementRunner::DropDatabase(const Statement& s) {
  auto db = catalog_.GetDatabase(s.name);
  if (!db) {
    if (db.error().code == "EntityNotFoundException") {
      if (s.if_exists) return Empty();
      return DatabaseNotFound(s.name);
    }
    return DdlError(db.error().message);
  }
  if (!s.cascade) {
    auto tables = catalog_.GetTables(s.name, "", "", 1);
    if (!tables) return DdlError(tables.error().message);
    if (!tables->items.empty()) {
      return DdlError("InvalidOperationException: Database " + s.name +
                      " is not empty. One or more tables exist.");
    }
  }
  auto st = catalog_.DeleteDatabase(s.name);
  if (!st) return DdlError(st.error().code + ": " + st.error().message);
  return Empty();
}

Result<StatementOutcome> StatementRunner::CreateTable(const Statement& s, const StatementContext& ctx) {
  for (const auto& [k, v] : s.properties) {
    if (AsciiLower(k) == "table_type" && AsciiLower(v) == "iceberg") return CreateIcebergTable(s, ctx);
  }
  if (!s.external) {
    return DdlError(
        "SemanticException Only external table creation is supported. Use CREATE EXTERNAL TABLE.");
  }
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_RETURN_IF_ERROR(EnsureDatabase(db));
  if (s.location.empty()) {
    return DdlError("SemanticException [Error 10000]: LOCATION is required for external tables");
  }
  if (!ParseS3Url(s.location)) {
    return DdlError("SemanticException [Error 10000]: Invalid S3 location: " + s.location);
  }
  json::object params{{"EXTERNAL", "TRUE"}};
  for (const auto& [k, v] : s.properties) params[k] = v;
  if (!s.comment.empty()) params["comment"] = s.comment;
  json::object input{{"Name", s.name},
                     {"TableType", "EXTERNAL_TABLE"},
                     {"Owner", "hadoop"},
                     {"Retention", 0},
                     {"Parameters", std::move(params)},
                     {"StorageDescriptor", StorageDescriptorFor(s, s.columns, s.location)},
                     {"PartitionKeys", GlueColumns(s.partition_keys)}};
  auto st = catalog_.CreateTable(db, input);
  if (!st) {
    if (st.error().code == "AlreadyExistsException") {
      if (s.if_not_exists) return Empty();
      return DdlError("AlreadyExistsException: Table " + s.name + " already exists");
    }
    if (st.error().code == "EntityNotFoundException") return DatabaseNotFound(db);
    return DdlError(st.error().code + ": " + st.error().message);
  }
  return Empty();
}

Result<StatementOutcome> StatementRunner::DropTable(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  auto t = GetTableForDdl(db, s.name);
  if (!t) {
    if (s.if_exists) return Empty();
    return std::move(t).error();
  }
  if (GetString(*t, "TableType").value_or("") == "VIRTUAL_VIEW") {
    return DdlError("SemanticException [Error 10131]: Cannot drop a view with DROP TABLE");
  }
  if (IsIcebergTable(*t)) return DropIcebergTable(db, *t);
  // External tables: the data stays in S3, as in Athena.
  auto st = catalog_.DeleteTable(db, s.name);
  if (!st && !(s.if_exists && st.error().code == "EntityNotFoundException")) {
    return DdlError(st.error().code + ": " + st.error().message);
  }
  return Empty();
}

Result<StatementOutcome> StatementRunner::ShowDatabases(const Statement& s) {
  std::vector<std::string> names;
  std::string token;
  for (int pages = 0; pages < 10000; ++pages) {
    auto page = catalog_.GetDatabases(token, 100);
    if (!page) return DdlError(page.error().message);
    for (const auto& db : page->items) {
      std::string name = GetString(db, "Name").value_or("");
      if (s.pattern.empty() || HivePatternMatch(s.pattern, name)) names.push_back(name);
    }
    token = page->next_token;
    if (token.empty()) break;
  }
  std::sort(names.begin(), names.end());
  return Lines(std::move(names), {"database_name"});
}

Result<StatementOutcome> StatementRunner::ShowTables(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  bool views_only = s.kind == StatementKind::kShowViews;
  auto dbdoc = catalog_.GetDatabase(db);
  if (!dbdoc) {
    if (dbdoc.error().code == "EntityNotFoundException") return DatabaseNotFound(db);
    return DdlError(dbdoc.error().message);
  }
  std::vector<std::string> names;
  std::string token;
  for (int pages = 0; pages < 10000; ++pages) {
    auto page = catalog_.GetTables(db, "", token, 100);
    if (!page) return DdlError(page.error().message);
    for (const auto& t : page->items) {
      if (views_only && GetString(t, "TableType").value_or("") != "VIRTUAL_VIEW") continue;
      std::string name = GetString(t, "Name").value_or("");
      if (s.pattern.empty() || HivePatternMatch(s.pattern, name)) names.push_back(name);
    }
    token = page->next_token;
    if (token.empty()) break;
  }
  std::sort(names.begin(), names.end());
  return Lines(std::move(names), {views_only ? "views" : "tab_name"});
}

Result<StatementOutcome> StatementRunner::ShowPartitions(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  auto keys = KeyNames(t);
  if (keys.empty()) {
    return DdlError("SemanticException [Error 10241]: Table " + s.name + " is not a partitioned table");
  }
  std::vector<std::string> lines;
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    auto page = catalog_.GetPartitions(db, s.name, "", token, 1000);
    if (!page) return DdlError(page.error().message);
    for (const auto& p : page->items) lines.push_back(PartitionName(keys, PartitionValues(p)));
    token = page->next_token;
    if (token.empty()) break;
  }
  return Lines(std::move(lines), {"partition"});
}

Result<StatementOutcome> StatementRunner::ShowColumns(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  std::vector<std::string> lines;
  if (auto* sd = GetObject(t, "StorageDescriptor")) {
    for (auto& [name, type] : ColumnPairs(sd->if_contains("Columns"))) lines.push_back(name);
  }
  for (auto& [name, type] : ColumnPairs(t.if_contains("PartitionKeys"))) lines.push_back(name);
  return Lines(std::move(lines), {"field"});
}

Result<StatementOutcome> StatementRunner::ShowTblProperties(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  std::vector<std::string> lines;
  if (auto* params = GetObject(t, "Parameters")) {
    for (const auto& [k, v] : *params) {
      if (!v.is_string()) continue;
      if (!s.pattern.empty()) {
        if (std::string(k) == s.pattern) return Lines({std::string(v.as_string())}, {"prpt_value"});
        continue;
      }
      lines.push_back(std::string(k) + "\t" + std::string(v.as_string()));
    }
  }
  if (!s.pattern.empty()) {
    return Lines({"Table " + db + "." + s.name + " does not have property: " + s.pattern}, {"prpt_value"});
  }
  return Lines(std::move(lines), {"prpt_name", "prpt_value"});
}

Result<StatementOutcome> StatementRunner::Describe(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  const json::object* sd = GetObject(t, "StorageDescriptor");
  const json::value* cols = sd ? sd->if_contains("Columns") : nullptr;
  const json::value* keys = t.if_contains("PartitionKeys");
  auto data = ColumnPairs(cols);
  auto parts = ColumnPairs(keys);
  std::vector<std::string> lines;
  if (!s.pattern.empty()) {
    for (std::size_t i = 0; i < data.size(); ++i) {
      if (AsciiLower(data[i].first) == s.pattern)
        lines.push_back(Describe3(data[i].first, data[i].second, ColumnComment(cols, i)));
    }
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (AsciiLower(parts[i].first) == s.pattern)
        lines.push_back(Describe3(parts[i].first, parts[i].second, ColumnComment(keys, i)));
    }
    if (lines.empty()) {
      return DdlError("SemanticException [Error 10002]: Invalid column reference '" + s.pattern + "'");
    }
    return Lines(std::move(lines), {"col_name"});
  }
  if (s.formatted) lines.push_back(Describe3("# col_name", "data_type", "comment"));
  for (std::size_t i = 0; i < data.size(); ++i)
    lines.push_back(Describe3(data[i].first, data[i].second, ColumnComment(cols, i)));
  for (std::size_t i = 0; i < parts.size(); ++i)
    lines.push_back(Describe3(parts[i].first, parts[i].second, ColumnComment(keys, i)));
  if (!parts.empty()) {
    lines.push_back(Describe3("", "", ""));
    lines.push_back(Describe3("# Partition Information", "", ""));
    lines.push_back(Describe3("# col_name", "data_type", "comment"));
    lines.push_back(Describe3("", "", ""));
    for (std::size_t i = 0; i < parts.size(); ++i) {
      lines.push_back(Describe3(parts[i].first, parts[i].second, ColumnComment(keys, i)));
    }
  }
  if (s.formatted) {
    lines.push_back(Describe3("", "", ""));
    lines.push_back(Describe3("# Detailed Table Information", "", ""));
    lines.push_back(Pad20("Database:") + "\t" + db);
    lines.push_back(Pad20("Owner:") + "\t" + GetString(t, "Owner").value_or("hadoop"));
    lines.push_back(Pad20("Location:") + "\t" + TableLocation(t));
    lines.push_back(Pad20("Table Type:") + "\t" + GetString(t, "TableType").value_or(""));
    lines.push_back(Pad20("Table Parameters:"));
    if (auto* params = GetObject(t, "Parameters")) {
      for (const auto& [k, v] : *params) {
        if (v.is_string()) lines.push_back("\t" + Pad20(std::string(k)) + "\t" + std::string(v.as_string()));
      }
    }
    lines.push_back(Describe3("", "", ""));
    lines.push_back(Describe3("# Storage Information", "", ""));
    if (sd) {
      const json::object* serde = GetObject(*sd, "SerdeInfo");
      lines.push_back(Pad20("SerDe Library:") + "\t" +
                      (serde ? GetString(*serde, "SerializationLibrary").value_or("") : ""));
      lines.push_back(Pad20("InputFormat:") + "\t" + GetString(*sd, "InputFormat").value_or(""));
      lines.push_back(Pad20("OutputFormat:") + "\t" + GetString(*sd, "OutputFormat").value_or(""));
      if (serde) {
        if (auto* sp = GetObject(*serde, "Parameters"); sp && !sp->empty()) {
          lines.push_back(Pad20("Storage Desc Params:"));
          for (const auto& [k, v] : *sp) {
            if (v.is_string())
              lines.push_back("\t" + Pad20(std::string(k)) + "\t" + std::string(v.as_string()));
          }
        }
      }
    }
  }
  return Lines(std::move(lines), {"col_name"});
}

Result<StatementOutcome> StatementRunner::ShowCreateTable(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  std::vector<std::string> lines;
  if (GetString(t, "TableType").value_or("") == "VIRTUAL_VIEW") {
    auto view = DecodePrestoView(GetString(t, "ViewOriginalText").value_or(""));
    std::string sql = view && (*view).contains("originalSql") && (*view)["originalSql"].is_string()
                          ? std::string((*view)["originalSql"].as_string())
                          : "";
    lines.push_back("CREATE VIEW " + db + "." + s.name + " AS");
    std::size_t start = 0;
    while (start <= sql.size()) {
      auto nl = sql.find('\n', start);
      lines.push_back(sql.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    return Lines(std::move(lines), {"createtab_stmt"});
  }
  const json::object* sd = GetObject(t, "StorageDescriptor");
  const json::value* cols = sd ? sd->if_contains("Columns") : nullptr;
  auto data = ColumnPairs(cols);
  lines.push_back("CREATE EXTERNAL TABLE `" + db + "`.`" + s.name + "`(");
  for (std::size_t i = 0; i < data.size(); ++i) {
    std::string line = "  `" + data[i].first + "` " + data[i].second;
    std::string comment = ColumnComment(cols, i);
    if (!comment.empty()) line += " COMMENT '" + comment + "'";
    if (i + 1 < data.size())
      line += ", ";
    else
      line += ")";
    lines.push_back(line);
  }
  const json::value* keys = t.if_contains("PartitionKeys");
  auto parts = ColumnPairs(keys);
  if (!parts.empty()) {
    lines.push_back("PARTITIONED BY ( ");
    for (std::size_t i = 0; i < parts.size(); ++i) {
      lines.push_back("  `" + parts[i].first + "` " + parts[i].second + (i + 1 < parts.size() ? ", " : ")"));
    }
  }
  if (sd) {
    if (auto* serde = GetObject(*sd, "SerdeInfo")) {
      lines.push_back("ROW FORMAT SERDE ");
      lines.push_back("  '" + GetString(*serde, "SerializationLibrary").value_or("") + "' ");
      if (auto* sp = GetObject(*serde, "Parameters"); sp && !sp->empty()) {
        lines.push_back("WITH SERDEPROPERTIES ( ");
        std::size_t i = 0;
        for (const auto& [k, v] : *sp) {
          std::string value = v.is_string() ? std::string(v.as_string()) : "";
          lines.push_back("  '" + std::string(k) + "'='" + value + "'" + (++i < sp->size() ? ", " : ") "));
        }
      }
    }
    lines.push_back("STORED AS INPUTFORMAT ");
    lines.push_back("  '" + GetString(*sd, "InputFormat").value_or("") + "' ");
    lines.push_back("OUTPUTFORMAT ");
    lines.push_back("  '" + GetString(*sd, "OutputFormat").value_or("") + "'");
    lines.push_back("LOCATION");
    lines.push_back("  '" + GetString(*sd, "Location").value_or("") + "'");
  }
  if (auto* params = GetObject(t, "Parameters"); params && !params->empty()) {
    lines.push_back("TBLPROPERTIES (");
    std::size_t i = 0;
    for (const auto& [k, v] : *params) {
      std::string value = v.is_string() ? std::string(v.as_string()) : "";
      lines.push_back("  '" + std::string(k) + "'='" + value + "'" + (++i < params->size() ? ", " : ")"));
    }
  }
  return Lines(std::move(lines), {"createtab_stmt"});
}

Result<StatementOutcome> StatementRunner::MsckRepair(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  auto keys = KeyNames(t);
  if (keys.empty()) return Empty();
  std::string location = AsFolder(TableLocation(t));
  auto objects = ListDataObjects(lake_, location, CatalogTableResolver::kMaxFiles);
  if (!objects) return DdlError("HiveException: " + objects.error().message);
  auto url = ParseS3Url(location);
  std::string prefix = url ? url->key : "";

  // Folders below the location that match key1=v1/key2=v2/..., in listing order, unique.
  std::vector<std::vector<std::string>> found;
  std::set<std::vector<std::string>> seen;
  for (const auto& o : *objects) {
    std::string rel = o.key.substr(prefix.size());
    std::vector<std::string> values;
    std::size_t start = 0;
    for (const auto& key : keys) {
      auto slash = rel.find('/', start);
      if (slash == std::string::npos) break;
      std::string seg = rel.substr(start, slash - start);
      auto eq = seg.find('=');
      if (eq == std::string::npos || AsciiLower(seg.substr(0, eq)) != key) break;
      values.push_back(UnescapePathName(seg.substr(eq + 1)));
      start = slash + 1;
    }
    if (values.size() != keys.size()) continue;
    if (seen.insert(values).second) found.push_back(std::move(values));
  }
  std::set<std::vector<std::string>> existing;
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    auto page = catalog_.GetPartitions(db, s.name, "", token, 1000);
    if (!page) return DdlError(page.error().message);
    for (const auto& p : page->items) existing.insert(PartitionValues(p));
    token = page->next_token;
    if (token.empty()) break;
  }
  std::vector<std::vector<std::string>> missing;
  for (auto& v : found) {
    if (!existing.count(v)) missing.push_back(v);
  }
  std::vector<std::string> lines;
  if (missing.empty()) return Lines(std::move(lines), {});
  std::string header = "Partitions not in metastore:";
  for (const auto& v : missing) header += "\t" + s.name + ":" + PartitionName(keys, v);
  lines.push_back(header);
  for (std::size_t i = 0; i < missing.size(); i += 100) {
    std::vector<json::object> batch;
    for (std::size_t j = i; j < std::min(missing.size(), i + 100); ++j) {
      batch.push_back(PartitionInput(t, missing[j], location + PartitionName(keys, missing[j]) + "/"));
    }
    auto errors = catalog_.BatchCreatePartition(db, s.name, batch);
    if (!errors) return DdlError(errors.error().message);
    std::set<std::vector<std::string>> failed;
    for (const auto& e : *errors) {
      if (e.error.code != "AlreadyExistsException") failed.insert(e.partition_values);
    }
    for (std::size_t j = i; j < std::min(missing.size(), i + 100); ++j) {
      if (failed.count(missing[j])) continue;
      lines.push_back("Repair: Added partition to metastore " + s.name + ":" +
                      PartitionName(keys, missing[j]));
    }
  }
  return Lines(std::move(lines), {});
}

namespace {

// Orders a partition spec by the table's keys. Errors as Hive words them.
Result<std::vector<std::string>> SpecValues(const PartitionSpec& spec, const std::vector<std::string>& keys,
                                            bool allow_partial, std::vector<bool>* given = nullptr) {
  std::vector<std::string> values(keys.size());
  std::vector<bool> present(keys.size(), false);
  for (const auto& [k, v] : spec.values) {
    auto it = std::find(keys.begin(), keys.end(), k);
    if (it == keys.end()) {
      return DdlError("ValidationFailureSemanticException Partition spec {" + k + "=" + v +
                      "} contains non-partition columns");
    }
    values[it - keys.begin()] = v;
    present[it - keys.begin()] = true;
  }
  if (!allow_partial) {
    for (bool p : present) {
      if (!p) {
        return DdlError("ValidationFailureSemanticException partition spec doesn't contain all (" +
                        std::to_string(keys.size()) + ") partition columns");
      }
    }
  }
  if (given) *given = present;
  return values;
}

std::string SpecText(const PartitionSpec& spec) {
  std::string out;
  for (const auto& [k, v] : spec.values) {
    if (!out.empty()) out += ", ";
    out += k + " = '" + v + "'";
  }
  return out;
}

}  // namespace

Result<StatementOutcome> StatementRunner::AddPartitions(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  auto keys = KeyNames(t);
  if (keys.empty()) {
    return DdlError("SemanticException [Error 10241]: Table " + s.name + " is not a partitioned table");
  }
  std::string location = AsFolder(TableLocation(t));
  std::vector<json::object> inputs;
  std::vector<std::vector<std::string>> all_values;
  for (const auto& spec : s.partitions) {
    CENOTE_ASSIGN_OR_RETURN(auto values, SpecValues(spec, keys, false));
    std::string loc = spec.location.empty() ? location + PartitionName(keys, values) + "/" : spec.location;
    if (!ParseS3Url(loc)) return DdlError("SemanticException [Error 10000]: Invalid S3 location: " + loc);
    inputs.push_back(PartitionInput(t, values, loc));
    all_values.push_back(values);
  }
  if (!s.if_not_exists) {
    for (const auto& v : all_values) {
      auto existing = catalog_.GetPartition(db, s.name, v);
      if (existing)
        return DdlError("AlreadyExistsException: Partition already exists: " + PartitionName(keys, v));
    }
  }
  auto errors = catalog_.BatchCreatePartition(db, s.name, inputs);
  if (!errors) return DdlError(errors.error().message);
  for (const auto& e : *errors) {
    if (e.error.code == "AlreadyExistsException" && s.if_not_exists) continue;
    return DdlError(e.error.code + ": " + e.error.message);
  }
  return Empty();
}

Result<StatementOutcome> StatementRunner::DropPartitions(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto t, GetTableForDdl(db, s.name));
  auto keys = KeyNames(t);
  if (keys.empty()) {
    return DdlError("SemanticException [Error 10241]: Table " + s.name + " is not a partitioned table");
  }
  // All partitions, to resolve partial specs (Hive drops every partition the spec matches).
  std::vector<std::vector<std::string>> all;
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    auto page = catalog_.GetPartitions(db, s.name, "", token, 1000);
    if (!page) return DdlError(page.error().message);
    for (const auto& p : page->items) all.push_back(PartitionValues(p));
    token = page->next_token;
    if (token.empty()) break;
  }
  std::vector<std::vector<std::string>> to_drop;
  for (const auto& spec : s.partitions) {
    std::vector<bool> given;
    CENOTE_ASSIGN_OR_RETURN(auto values, SpecValues(spec, keys, true, &given));
    bool matched = false;
    for (const auto& p : all) {
      bool match = p.size() == keys.size();
      for (std::size_t i = 0; match && i < keys.size(); ++i) match = !given[i] || p[i] == values[i];
      if (match) {
        matched = true;
        if (std::find(to_drop.begin(), to_drop.end(), p) == to_drop.end()) to_drop.push_back(p);
      }
    }
    if (!matched && !s.if_exists) {
      return DdlError("SemanticException [Error 10006]: Partition not found (" + SpecText(spec) + ")");
    }
  }
  if (to_drop.empty()) return Empty();
  auto errors = catalog_.BatchDeletePartition(db, s.name, to_drop);
  if (!errors) return DdlError(errors.error().message);
  for (const auto& e : *errors) {
    if (e.error.code == "EntityNotFoundException") continue;
    return DdlError(e.error.code + ": " + e.error.message);
  }
  return Empty();
}

}  // namespace cenote::athena
