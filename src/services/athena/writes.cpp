// Statements that write: views (stored as Athena stores Presto views in Glue), CREATE TABLE AS SELECT and
// INSERT INTO. The engine writes files into a scratch folder; each is uploaded to the lake with
// LakeAccess::PutObjectFromFile (an ordinary S3 object, durable before the call returns) and the local
// copy removed; the catalog is updated last, so a failure leaves no table pointing at missing data.
#include <filesystem>
#include <map>
#include <set>

#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

// Removes a scratch folder when the statement ends, whatever the outcome.
class ScratchDir {
 public:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

StatementOutcome DdlDone() {
  StatementOutcome o;
  o.meta.format = "txt";
  o.meta.header = false;
  o.meta.update_count = 0;
  return o;
}

std::string PrestoType(const query::ResultColumn& c) {
  if (c.type == "decimal")
    return "decimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
  return c.type;
}

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string ContentTypeFor(const std::string& path) {
  if (path.ends_with(".parquet")) return "application/octet-stream";
  if (path.ends_with(".json") || path.ends_with(".json.gz")) return "application/json";
  return "application/octet-stream";
}

}  // namespace

StatementOutcome UpdateOutcome(std::int64_t rows, const query::QueryStats& stats) {
  StatementOutcome o;
  o.meta.format = "csv";
  o.meta.header = false;
  o.meta.update_count = rows;
  query::ResultColumn c;
  c.name = "rows";
  c.type = "bigint";
  c.precision = 19;
  o.meta.columns.push_back(c);
  o.stats = stats;
  return o;
}

std::string AthenaTypeToGlue(const query::ResultColumn& c) {
  const std::string& t = c.type;
  if (t == "varchar" || t == "char" || t == "json" || t == "time" || t == "uuid" || t == "ipaddress")
    return "string";
  if (t == "integer") return "int";
  if (t == "real") return "float";
  if (t == "varbinary") return "binary";
  if (t == "decimal") return "decimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")";
  if (t == "array") return "array<string>";
  if (t == "map") return "map<string,string>";
  if (t == "row") return "string";
  if (t == "timestamp with time zone") return "timestamp";
  return t;  // boolean, tinyint, smallint, bigint, double, date, timestamp, and already-Glue names
}

std::string GlueTypeToCast(const std::string& glue_type) {
  std::string t = AsciiLower(glue_type);
  if (t == "string") return "varchar";
  if (t == "int") return "integer";
  if (t == "float") return "real";
  if (t == "binary") return "varbinary";
  if (t.rfind("char(", 0) == 0 || t.rfind("varchar(", 0) == 0) return "varchar";
  if (t.rfind("array<", 0) == 0 || t.rfind("map<", 0) == 0 || t.rfind("struct<", 0) == 0) return "";
  return t;
}

Status StatementRunner::UploadFiles(
    const std::vector<query::WrittenFile>& files,
    const std::function<std::string(const query::WrittenFile&)>& destination) {
  for (const auto& f : files) {
    auto url = ParseS3Url(destination(f));
    if (!url) return MakeError("HIVE_PATH_ALREADY_EXISTS", "Invalid destination " + destination(f));
    auto put = lake_.PutObjectFromFile(url->bucket, url->key, f.local_path, ContentTypeFor(f.local_path));
    std::error_code ec;
    std::filesystem::remove(f.local_path, ec);
    if (!put) {
      return MakeError("HIVE_WRITER_CLOSE_ERROR",
                       "Error committing write to " + destination(f) + ": " + put.error().message, 500);
    }
  }
  return Status::Ok();
}

Result<StatementOutcome> StatementRunner::CreateView(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  auto dbdoc = catalog_.GetDatabase(db);
  if (!dbdoc) return MakeError("SCHEMA_NOT_FOUND", "Schema '" + db + "' does not exist");
  auto existing = catalog_.GetTable(db, s.name);
  if (existing) {
    if (GetString(*existing, "TableType").value_or("") != "VIRTUAL_VIEW") {
      return MakeError("TABLE_ALREADY_EXISTS",
                       "Table already exists: 'awsdatacatalog." + db + "." + s.name + "'");
    }
    if (!s.or_replace) {
      return MakeError("ALREADY_EXISTS", "View already exists: 'awsdatacatalog." + db + "." + s.name + "'");
    }
  }
  query::QueryContext qctx;
  qctx.database = db;
  CENOTE_ASSIGN_OR_RETURN(auto columns, engine_.DescribeSelect(s.query, qctx, resolver_));

  json::array view_columns;
  std::vector<ColumnSpec> glue_columns;
  for (const auto& c : columns) {
    view_columns.push_back(json::object{{"name", c.name}, {"type", PrestoType(c)}});
    glue_columns.push_back({AsciiLower(c.name), AthenaTypeToGlue(c), ""});
  }
  json::object view{{"originalSql", s.query}, {"catalog", "awsdatacatalog"},
                    {"schema", db},           {"columns", std::move(view_columns)},
                    {"owner", "cenote"},      {"runAsInvoker", false}};
  json::object sd{{"Columns", GlueColumns(glue_columns)},
                  {"Location", ""},
                  {"Compressed", false},
                  {"NumberOfBuckets", 0},
                  {"SerdeInfo", json::object{}},
                  {"SortColumns", json::array{}},
                  {"StoredAsSubDirectories", false}};
  json::object input{{"Name", s.name},
                     {"TableType", "VIRTUAL_VIEW"},
                     {"Owner", "cenote"},
                     {"Retention", 0},
                     {"Parameters", json::object{{"presto_view", "true"}, {"comment", "Presto View"}}},
                     {"ViewOriginalText", EncodePrestoView(view)},
                     {"ViewExpandedText", "/* Presto View */"},
                     {"StorageDescriptor", std::move(sd)},
                     {"PartitionKeys", json::array{}}};
  Status st = existing ? catalog_.UpdateTable(db, input, false) : catalog_.CreateTable(db, input);
  if (!st) return MakeError("HIVE_METASTORE_ERROR", st.error().message);
  return DdlDone();
}

Result<StatementOutcome> StatementRunner::DropView(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  auto t = catalog_.GetTable(db, s.name);
  if (!t) {
    if (s.if_exists) return DdlDone();
    return MakeError("TABLE_NOT_FOUND", "View 'awsdatacatalog." + db + "." + s.name + "' does not exist");
  }
  if (GetString(*t, "TableType").value_or("") != "VIRTUAL_VIEW") {
    return MakeError("TABLE_NOT_FOUND", "View 'awsdatacatalog." + db + "." + s.name + "' does not exist");
  }
  auto st = catalog_.DeleteTable(db, s.name);
  if (!st) return MakeError("HIVE_METASTORE_ERROR", st.error().message);
  return DdlDone();
}

Result<StatementOutcome> StatementRunner::CreateTableAs(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  if (auto ok = EnsureDatabase(db); !ok)
    return MakeError("SCHEMA_NOT_FOUND", "Schema '" + db + "' does not exist");
  if (auto existing = catalog_.GetTable(db, s.name)) {
    if (s.if_not_exists) return UpdateOutcome(0, {});
    return MakeError("TABLE_ALREADY_EXISTS",
                     "Table 'awsdatacatalog." + db + "." + s.name + "' already exists");
  }

  for (const auto& [key, value] : s.properties) {
    if (key == "table_type" && AsciiLower(value) == "iceberg") return CreateIcebergTableAs(s, ctx);
  }
  std::string format = "PARQUET";
  std::string compression;
  std::string location;
  std::vector<std::string> partitioned_by;
  for (const auto& [key, value] : s.properties) {
    if (key == "format") {
      format = value;
      for (auto& c : format) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (key == "external_location") {
      location = value;
    } else if (key == "partitioned_by") {
      std::size_t start = 0;
      while (start <= value.size() && !value.empty()) {
        auto comma = value.find(',', start);
        partitioned_by.push_back(
            AsciiLower(value.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (key == "write_compression" || key == "parquet_compression" || key == "orc_compression") {
      compression = value;
      for (auto& c : compression) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else if (key == "field_delimiter") {
      if (value != ",") {
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: field_delimiter other than ',' is not supported by Cenote");
      }
    } else if (key == "bucketed_by" || key == "bucket_count") {
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: bucketed tables are not supported by Cenote");
    } else if (key == "table_type") {
      if (AsciiLower(value) != "hive") {
        return MakeError("INVALID_TABLE_PROPERTY",
                         "INVALID_TABLE_PROPERTY: Unsupported table type: " + value);
      }
    } else {
      return MakeError("INVALID_TABLE_PROPERTY",
                       "Catalog 'awsdatacatalog' table property '" + key + "' does not exist");
    }
  }
  if (format != "PARQUET" && format != "JSON" && format != "TEXTFILE" && format != "ORC" &&
      format != "AVRO") {
    return MakeError("INVALID_TABLE_PROPERTY", "Unsupported format: " + format);
  }
  if (compression.empty()) compression = format == "PARQUET" ? "SNAPPY" : "NONE";
  bool default_location = location.empty();
  // Without external_location Athena writes under <output location>/tables/<query id>/.
  if (default_location) location = ctx.output_location + "tables/" + ctx.query_execution_id + "/";
  location = AsFolder(location);
  auto url = ParseS3Url(location);
  if (!url) return MakeError("INVALID_TABLE_PROPERTY", "External location must be a S3 URI: " + location);
  {
    auto listed = lake_.ListObjects(url->bucket, url->key, 1);
    if (!listed) return MakeError("HIVE_FILESYSTEM_ERROR", listed.error().message);
    if (!listed->empty()) {
      return MakeError("HIVE_PATH_ALREADY_EXISTS",
                       "Target directory for table '" + db + "." + s.name + "' already exists: " + location);
    }
  }

  query::QueryContext qctx;
  qctx.database = ctx.database;
  std::vector<query::ResultColumn> columns;
  std::vector<query::WrittenFile> files;
  query::QueryStats stats;
  if (s.with_no_data) {
    CENOTE_ASSIGN_OR_RETURN(auto described, engine_.DescribeSelect(s.query, qctx, resolver_));
    columns = std::move(described);
    // Partition columns last, as when data is written.
    std::stable_partition(columns.begin(), columns.end(), [&](const query::ResultColumn& c) {
      return std::find(partitioned_by.begin(), partitioned_by.end(), AsciiLower(c.name)) ==
             partitioned_by.end();
    });
  } else {
    ScratchDir scratch(
        (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + "-ctas")).string());
    query::WriteSpec spec;
    spec.out_dir = scratch.path();
    spec.format = format;
    spec.compression = compression;
    spec.partitioned_by = partitioned_by;
    spec.file_prefix = ctx.query_execution_id;
    CENOTE_ASSIGN_OR_RETURN(auto written,
                            engine_.RunSelectIntoFiles(s.query, qctx, resolver_, spec, *ctx.cancel));
    columns = written.columns;
    files = written.files;
    stats = written.stats;
    CENOTE_RETURN_IF_ERROR(
        UploadFiles(files, [&](const query::WrittenFile& f) { return location + f.relative_path; }));
  }
  for (const auto& p : partitioned_by) {
    bool found = false;
    for (const auto& c : columns) found = found || AsciiLower(c.name) == p;
    if (!found) {
      return MakeError("INVALID_TABLE_PROPERTY",
                       "Partition column '" + p + "' does not exist in the query output");
    }
  }

  std::vector<ColumnSpec> data_columns;
  std::vector<ColumnSpec> key_columns;
  for (const auto& c : columns) {
    ColumnSpec spec{AsciiLower(c.name), AthenaTypeToGlue(c), ""};
    if (std::find(partitioned_by.begin(), partitioned_by.end(), spec.name) != partitioned_by.end()) {
      key_columns.push_back(std::move(spec));
    } else {
      data_columns.push_back(std::move(spec));
    }
  }
  // Keys in the order of partitioned_by.
  std::vector<ColumnSpec> ordered_keys;
  for (const auto& p : partitioned_by) {
    for (const auto& k : key_columns) {
      if (k.name == p) ordered_keys.push_back(k);
    }
  }
  Statement storage;
  storage.stored_as = format;
  if (format == "TEXTFILE") storage.delimited.emplace_back("field.delim", ",");
  json::object params{{"EXTERNAL", "TRUE"}, {"has_encrypted_data", "false"}};
  if (format == "PARQUET") params["parquet.compression"] = compression;
  json::object input{{"Name", s.name},
                     {"TableType", "EXTERNAL_TABLE"},
                     {"Owner", "hadoop"},
                     {"Retention", 0},
                     {"Parameters", std::move(params)},
                     {"StorageDescriptor", StorageDescriptorFor(storage, data_columns, location)},
                     {"PartitionKeys", GlueColumns(ordered_keys)}};
  auto st = catalog_.CreateTable(db, input);
  if (!st) return MakeError("HIVE_METASTORE_ERROR", st.error().message);

  if (!ordered_keys.empty()) {
    std::map<std::vector<std::string>, std::string> partitions;  // values -> folder
    for (const auto& f : files) {
      auto slash = f.relative_path.rfind('/');
      partitions.emplace(f.partition_values,
                         location + (slash == std::string::npos ? "" : f.relative_path.substr(0, slash + 1)));
    }
    std::vector<json::object> batch;
    auto table = catalog_.GetTable(db, s.name);
    if (!table) return MakeError("HIVE_METASTORE_ERROR", table.error().message);
    for (const auto& [values, folder] : partitions) {
      json::object sd;
      if (auto* t = GetObject(*table, "StorageDescriptor")) sd = *t;
      sd["Location"] = folder;
      json::array vals;
      for (const auto& v : values) vals.push_back(json::string(v));
      batch.push_back(json::object{{"Values", std::move(vals)}, {"StorageDescriptor", std::move(sd)}});
      if (batch.size() == 100) {
        auto errs = catalog_.BatchCreatePartition(db, s.name, batch);
        if (!errs) return MakeError("HIVE_METASTORE_ERROR", errs.error().message);
        batch.clear();
      }
    }
    if (!batch.empty()) {
      auto errs = catalog_.BatchCreatePartition(db, s.name, batch);
      if (!errs) return MakeError("HIVE_METASTORE_ERROR", errs.error().message);
    }
  }
  return UpdateOutcome(stats.rows, stats);
}

Result<StatementOutcome> StatementRunner::InsertInto(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto binding, resolver_.Describe(db, s.name));
  if (binding.is_view) return MakeError("NOT_SUPPORTED", "Inserting into views is not supported");
  std::string format;
  switch (binding.format) {
    case query::FileFormat::kParquet:
      format = "PARQUET";
      break;
    case query::FileFormat::kJson:
      format = "JSON";
      break;
    case query::FileFormat::kCsv:
      if (binding.delimiter != "," || !binding.quote.empty()) {
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: INSERT INTO text tables is supported with the ',' delimiter only");
      }
      format = "TEXTFILE";
      break;
    case query::FileFormat::kOrc:
      format = "ORC";
      break;
    case query::FileFormat::kRegex:
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: INSERT INTO a RegexSerDe table is not supported");
    case query::FileFormat::kAvro:
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: INSERT INTO an Avro table is not supported");
  }
  std::vector<query::ColumnDef> target = binding.columns;
  target.insert(target.end(), binding.partition_keys.begin(), binding.partition_keys.end());

  query::QueryContext qctx;
  qctx.database = ctx.database;
  CENOTE_ASSIGN_OR_RETURN(auto source, engine_.DescribeSelect(s.query, qctx, resolver_));

  // Which source column feeds each target column (-1: NULL).
  std::vector<int> feed(target.size(), -1);
  if (s.insert_columns.empty()) {
    if (source.size() != target.size()) {
      return MakeError("TYPE_MISMATCH", "Insert query has " + std::to_string(source.size()) +
                                            " columns but the target table has " +
                                            std::to_string(target.size()));
    }
    for (std::size_t i = 0; i < target.size(); ++i) feed[i] = static_cast<int>(i);
  } else {
    if (source.size() != s.insert_columns.size()) {
      return MakeError("TYPE_MISMATCH", "Insert query has " + std::to_string(source.size()) +
                                            " columns but " + std::to_string(s.insert_columns.size()) +
                                            " target columns were named");
    }
    for (std::size_t j = 0; j < s.insert_columns.size(); ++j) {
      bool found = false;
      for (std::size_t i = 0; i < target.size(); ++i) {
        if (target[i].name == s.insert_columns[j]) {
          feed[i] = static_cast<int>(j);
          found = true;
        }
      }
      if (!found) {
        return MakeError("COLUMN_NOT_FOUND",
                         "Insert column name does not exist in target table: " + s.insert_columns[j]);
      }
    }
  }
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (i > 0) sql += ", ";
    std::string cast = GlueTypeToCast(target[i].type);
    std::string value = feed[i] < 0 ? "NULL" : QuoteIdent("_c" + std::to_string(feed[i]));
    sql += cast.empty() ? value : "CAST(" + value + " AS " + cast + ")";
    sql += " AS " + QuoteIdent(target[i].name);
  }
  sql += " FROM (" + s.query + ") AS \"_cenote_insert\"(";
  for (std::size_t j = 0; j < source.size(); ++j) {
    if (j > 0) sql += ", ";
    sql += QuoteIdent("_c" + std::to_string(j));
  }
  sql += ")";

  std::vector<std::string> keys;
  for (const auto& k : binding.partition_keys) keys.push_back(k.name);
  auto table = catalog_.GetTable(db, s.name);
  if (!table) return MakeError("HIVE_METASTORE_ERROR", table.error().message);
  if (IsIcebergTable(*table)) return AppendToIceberg(db, s.name, sql, ctx);
  std::string location;
  if (auto* sd = GetObject(*table, "StorageDescriptor"))
    location = AsFolder(GetString(*sd, "Location").value_or(""));
  if (!ParseS3Url(location))
    return MakeError("HIVE_INVALID_METADATA", "Table location is not an S3 location");

  ScratchDir scratch(
      (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + "-insert")).string());
  query::WriteSpec spec;
  spec.out_dir = scratch.path();
  spec.format = format;
  spec.compression = format == "PARQUET" ? "SNAPPY" : "NONE";
  spec.partitioned_by = keys;
  spec.file_prefix = ctx.query_execution_id;
  CENOTE_ASSIGN_OR_RETURN(auto written, engine_.RunSelectIntoFiles(sql, qctx, resolver_, spec, *ctx.cancel));

  // Existing partitions keep their locations; new ones go under the table location.
  std::map<std::vector<std::string>, std::string> existing;
  std::set<std::vector<std::string>> created;
  if (!keys.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto parts, resolver_.Partitions(binding));
    for (const auto& p : parts) existing[p.values] = AsFolder(p.location);
  }
  CENOTE_RETURN_IF_ERROR(UploadFiles(written.files, [&](const query::WrittenFile& f) {
    if (keys.empty()) return location + f.relative_path;
    auto it = existing.find(f.partition_values);
    if (it == existing.end()) return location + f.relative_path;
    auto slash = f.relative_path.rfind('/');
    return it->second + (slash == std::string::npos ? f.relative_path : f.relative_path.substr(slash + 1));
  }));
  std::vector<json::object> batch;
  for (const auto& f : written.files) {
    if (keys.empty() || existing.count(f.partition_values) || created.count(f.partition_values)) continue;
    created.insert(f.partition_values);
    auto slash = f.relative_path.rfind('/');
    json::object sd;
    if (auto* t = GetObject(*table, "StorageDescriptor")) sd = *t;
    sd["Location"] = location + (slash == std::string::npos ? "" : f.relative_path.substr(0, slash + 1));
    json::array vals;
    for (const auto& v : f.partition_values) vals.push_back(json::string(v));
    batch.push_back(json::object{{"Values", std::move(vals)}, {"StorageDescriptor", std::move(sd)}});
  }
  for (std::size_t i = 0; i < batch.size(); i += 100) {
    std::vector<json::object> chunk(batch.begin() + i, batch.begin() + std::min(batch.size(), i + 100));
    auto errs = catalog_.BatchCreatePartition(db, s.name, chunk);
    if (!errs) return MakeError("HIVE_METASTORE_ERROR", errs.error().message);
  }
  return UpdateOutcome(written.stats.rows, written.stats);
}

}  // namespace cenote::athena
