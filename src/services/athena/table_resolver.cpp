#include "services/athena/table_resolver.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <filesystem>

#include "common/random.hpp"

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"
#include "services/athena/partition_projection.hpp"
#include "services/athena/serde_files.hpp"

namespace cenote::athena {

namespace {

// A string member, "" when absent.
std::string Text(const json::object& o, std::string_view key) {
  return services::GetString(o, key).value_or("");
}

std::optional<std::string> Param(const json::object* params, std::string_view key) {
  if (params == nullptr) return std::nullopt;
  if (auto* v = params->if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return std::nullopt;
}

// Hive's LazySerDeParameters.getByte: a number is a byte code ("1" -> \001, "9" -> tab), otherwise the
// first character.
std::string HiveSeparator(const std::string& value, const std::string& fallback) {
  if (value.empty()) return fallback;
  bool numeric = value.size() <= 3;
  for (char c : value) numeric = numeric && std::isdigit(static_cast<unsigned char>(c));
  if (numeric) {
    int code = std::stoi(value);
    if (code >= 0 && code < 128) return std::string(1, static_cast<char>(code));
  }
  return value.substr(0, 1);
}

std::vector<query::ColumnDef> Columns(const json::object* holder, std::string_view key) {
  std::vector<query::ColumnDef> out;
  if (holder == nullptr) return out;
  auto* arr = holder->if_contains(key);
  if (arr == nullptr || !arr->is_array()) return out;
  for (const auto& c : arr->as_array()) {
    if (!c.is_object()) continue;
    out.push_back({AsciiLower(Text(c.as_object(), "Name")), AsciiLower(Text(c.as_object(), "Type"))});
  }
  return out;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return AsciiLower(haystack).find(AsciiLower(std::string(needle))) != std::string::npos;
}

}  // namespace

std::optional<S3Url> ParseS3Url(const std::string& url) {
  std::string_view rest;
  for (std::string_view scheme : {"s3://", "s3a://", "s3n://"}) {
    if (url.size() >= scheme.size() && AsciiLower(url.substr(0, scheme.size())) == scheme) {
      rest = std::string_view(url).substr(scheme.size());
      break;
    }
  }
  if (rest.empty()) return std::nullopt;
  auto slash = rest.find('/');
  S3Url out;
  out.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) out.key = std::string(rest.substr(slash + 1));
  if (out.bucket.empty()) return std::nullopt;
  return out;
}

std::string AsFolder(const std::string& url) {
  if (url.empty() || url.back() == '/') return url;
  return url + "/";
}

std::optional<json::object> DecodePrestoView(const std::string& text) {
  static constexpr std::string_view kPrefix = "/* Presto View: ";
  static constexpr std::string_view kSuffix = " */";
  if (text.size() < kPrefix.size() + kSuffix.size() || text.compare(0, kPrefix.size(), kPrefix) != 0 ||
      text.compare(text.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  auto decoded = Base64Decode(text.substr(kPrefix.size(), text.size() - kPrefix.size() - kSuffix.size()));
  if (!decoded) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*decoded, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return v.as_object();
}

std::string EncodePrestoView(const json::object& view) {
  return "/* Presto View: " + Base64Encode(json::serialize(view)) + " */";
}

Result<query::TableBinding> TableBindingFromGlue(const json::object& table, const std::string& database) {
  query::TableBinding b;
  b.database = AsciiLower(database);
  b.name = AsciiLower(Text(table, "Name"));
  const json::object* sd = GetObject(table, "StorageDescriptor");
  const json::object* table_params = GetObject(table, "Parameters");
  b.columns = Columns(sd, "Columns");
  b.partition_keys = Columns(&table, "PartitionKeys");

  if (Text(table, "TableType") == "VIRTUAL_VIEW") {
    auto view = DecodePrestoView(Text(table, "ViewOriginalText"));
    if (!view || !view->if_contains("originalSql") || !(*view)["originalSql"].is_string()) {
      return MakeError("HIVE_VIEW_TRANSLATION_ERROR", "Failed to translate Hive view '" + b.database + "." +
                                                          b.name + "': not a Presto view");
    }
    b.is_view = true;
    b.view_sql = std::string((*view)["originalSql"].as_string());
    return b;
  }

  const json::object* serde_info = sd ? GetObject(*sd, "SerdeInfo") : nullptr;
  const json::object* serde_params = serde_info ? GetObject(*serde_info, "Parameters") : nullptr;
  std::string serde = serde_info ? Text(*serde_info, "SerializationLibrary") : "";
  std::string input_format = sd ? Text(*sd, "InputFormat") : "";
  std::string classification = AsciiLower(Param(table_params, "classification").value_or(""));

  auto skip = Param(table_params, "skip.header.line.count");
  if (!skip) skip = Param(serde_params, "skip.header.line.count");
  if (skip) {
    try {
      b.skip_header_lines = std::stoi(*skip);
    } catch (const std::exception&) {
      b.skip_header_lines = 0;
    }
  }

  if (Contains(serde, "RegexSerDe")) {
    // Hive's RegexSerDe: each line matched whole by input.regex, one column per capturing group.
    b.format = query::FileFormat::kRegex;
    b.input_regex = Param(serde_params, "input.regex").value_or("");
    if (b.input_regex.empty()) {
      return MakeError("HIVE_INVALID_METADATA",
                       "HIVE_INVALID_METADATA: This table does not have serde property \"input.regex\"!");
    }
    return b;
  }
  if (Contains(serde, "AvroSerDe") || Contains(input_format, "AvroContainerInputFormat") ||
      (serde.empty() && classification == "avro")) {
    b.format = query::FileFormat::kAvro;
    return b;
  }
  if (Contains(serde, "OpenCSVSerde")) {
    b.format = query::FileFormat::kCsv;
    b.delimiter = Param(serde_params, "separatorChar").value_or(",").substr(0, 1);
    b.quote = Param(serde_params, "quoteChar").value_or("\"").substr(0, 1);
    b.escape = Param(serde_params, "escapeChar").value_or("\\").substr(0, 1);
    if (b.delimiter.empty()) b.delimiter = ",";
    return b;
  }
  if (Contains(serde, "JsonSerDe") || Contains(serde, "json") ||
      (serde.empty() && classification == "json")) {
    b.format = query::FileFormat::kJson;
    // The OpenX SerDe's options (its documentation's names); Hive's JsonSerDe has none of them.
    if (Contains(serde, "openx")) {
      auto flag = [&](std::string_view key, bool fallback) {
        auto v = Param(serde_params, key);
        return v ? AsciiLower(*v) == "true" : fallback;
      };
      b.json_case_insensitive = flag("case.insensitive", true);
      b.json_ignore_malformed = flag("ignore.malformed.json", false);
      b.json_dots_in_keys = flag("dots.in.keys", false);
      if (serde_params != nullptr) {
        for (const auto& [k, v] : *serde_params) {
          if (k.size() > 8 && k.substr(0, 8) == "mapping." && v.is_string())
            b.json_mapping.emplace_back(AsciiLower(std::string(k.substr(8))), std::string(v.as_string()));
        }
      }
    }
    return b;
  }
  if (Contains(serde, "Parquet") || Contains(input_format, "Parquet") ||
      (serde.empty() && classification == "parquet")) {
    b.format = query::FileFormat::kParquet;
    return b;
  }
  if (Contains(serde, "Orc") || Contains(input_format, "Orc") || (serde.empty() && classification == "orc")) {
    b.format = query::FileFormat::kOrc;
    return b;
  }
  if (Contains(serde, "LazySimpleSerDe") || Contains(input_format, "TextInputFormat") ||
      (serde.empty() && (classification == "csv" || classification.empty()))) {
    b.format = query::FileFormat::kCsv;
    // Hive's default field delimiter is \001 unless field.delim or serialization.format says otherwise.
    std::string delim = Param(serde_params, "field.delim").value_or("");
    if (delim.empty()) delim = Param(serde_params, "serialization.format").value_or("");
    if (serde.empty() && classification == "csv" && delim.empty()) delim.assign(1, ',');
    b.delimiter = HiveSeparator(delim, std::string(1, '\001'));
    b.escape = Param(serde_params, "escape.delim").value_or("").substr(0, 1);
    b.collection_delimiter =
        HiveSeparator(Param(serde_params, "collection.delim").value_or(""), std::string(1, '\002'));
    b.map_key_delimiter =
        HiveSeparator(Param(serde_params, "mapkey.delim").value_or(""), std::string(1, '\003'));
    b.null_string = Param(serde_params, "serialization.null.format").value_or("\\N");
    b.quote.clear();
    return b;
  }
  return MakeError("HIVE_UNSUPPORTED_FORMAT",
                   "Unable to create input format: SerDe '" + serde + "' is not supported by Cenote");
}

Result<query::TableBinding> CatalogTableResolver::Describe(const std::string& database,
                                                           const std::string& table) {
  if (authorize_) {
    if (Status allowed = authorize_(database, table); !allowed) {
      if (allowed.error().code != "AccessDeniedException" && allowed.error().code != "AccessDenied") {
        return std::move(allowed).error();
      }
      return MakeError("AccessDeniedException",
                       "Insufficient permissions to execute the query. " + allowed.error().message, 400);
    }
  }
  auto t = catalog_.GetTable(database, table);
  // "t$snapshots", "t$history", "t$files" and time travel ("t$cenote_version_N"): an Iceberg table's views.
  std::string suffix;
  if (!t && t.error().code == "EntityNotFoundException") {
    if (auto dollar = table.find('$'); dollar != std::string::npos && dollar > 0) {
      auto base = catalog_.GetTable(database, table.substr(0, dollar));
      if (base && IsIcebergTable(*base)) {
        t = std::move(base);
        suffix = table.substr(dollar + 1);
      } else if (base && table.compare(dollar + 1, 7, "cenote_") == 0) {
        // Time travel (RewriteTimeTravel's names) on a table that has no versions.
        return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: This connector does not support versioned tables");
      }
    }
  }
  if (!t) {
    if (t.error().code != "EntityNotFoundException") return std::move(t).error();
    auto db = catalog_.GetDatabase(database);
    if (!db && db.error().code == "EntityNotFoundException") {
      return MakeError("SCHEMA_NOT_FOUND", "Schema '" + AsciiLower(database) + "' does not exist");
    }
    return MakeError("TABLE_NOT_FOUND", "Table 'awsdatacatalog." + AsciiLower(database) + "." +
                                            AsciiLower(table) + "' does not exist");
  }
  if (IsIcebergTable(*t)) return DescribeIceberg(database, table, suffix, *t);
  return TableBindingFromGlue(*t, database);
}

Result<std::vector<query::PartitionBinding>> CatalogTableResolver::Partitions(
    const query::TableBinding& table) {
  return PlannedPartitions(table, nullptr);
}

Result<std::vector<query::PartitionBinding>> CatalogTableResolver::PlannedPartitions(
    const query::TableBinding& table, const PartitionFilter& keep) {
  std::vector<query::PartitionBinding> out;
  {
    std::optional<IcebergBound> bound;
    {
      MutexLock lock(mu_);
      if (auto it = iceberg_.find(table.database + "." + table.name); it != iceberg_.end())
        bound = it->second;
    }
    if (bound) {
      // One partition per spec and partition tuple of the snapshot's files ("iceberg:<index>").
      CENOTE_ASSIGN_OR_RETURN(auto groups, IcebergFiles(*bound, keep ? &keep : nullptr));
      auto shared = std::make_shared<const std::vector<IcebergGroup>>(std::move(groups));
      for (std::size_t i = 0; i < shared->size(); ++i) {
        query::PartitionBinding p;
        p.location = "iceberg:" + std::to_string(i);
        p.hidden_values = (*shared)[i].hidden_values;
        p.hidden_ranges = (*shared)[i].hidden_ranges;
        out.push_back(std::move(p));
      }
      MutexLock lock(mu_);
      iceberg_[table.database + "." + table.name].groups = std::move(shared);
      return out;
    }
  }
  if (table.partition_keys.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto t, catalog_.GetTable(table.database, table.name));
    std::string location;
    if (auto* sd = GetObject(t, "StorageDescriptor")) location = Text(*sd, "Location");
    out.push_back({{}, location});
    return out;
  }
  {
    // Partition projection: the partitions come from the table's properties, not from the catalog.
    CENOTE_ASSIGN_OR_RETURN(auto t, catalog_.GetTable(table.database, table.name));
    if (ProjectionEnabled(t)) {
      auto list = [this](const std::string& location) -> Result<std::vector<std::string>> {
        auto url = ParseS3Url(location);
        if (!url) {
          return MakeError("HIVE_INVALID_METADATA",
                           "storage.location.template is not an S3 location: '" + location + "'");
        }
        CENOTE_ASSIGN_OR_RETURN(auto objects, lake_.ListObjects(url->bucket, url->key, kMaxFiles + 1));
        if (objects.size() > kMaxFiles) {
          return MakeError("HIVE_FILESYSTEM_ERROR", "Too many objects under " + location + " (more than " +
                                                        std::to_string(kMaxFiles) + ")");
        }
        std::vector<std::string> keys;
        for (const auto& o : objects) keys.push_back("s3://" + url->bucket + "/" + o.key);
        return keys;
      };
      return ProjectPartitions(t, UnixNowMs(), list);
    }
  }
  std::string token;
  for (int pages = 0; pages < 100000; ++pages) {
    CENOTE_ASSIGN_OR_RETURN(auto page, catalog_.GetPartitions(table.database, table.name, "", token, 1000));
    for (const auto& p : page.items) {
      query::PartitionBinding pb;
      if (auto* vals = p.if_contains("Values"); vals && vals->is_array()) {
        for (const auto& v : vals->as_array())
          pb.values.push_back(v.is_string() ? std::string(v.as_string()) : "");
      }
      if (auto* sd = GetObject(p, "StorageDescriptor")) pb.location = Text(*sd, "Location");
      out.push_back(std::move(pb));
    }
    token = page.next_token;
    if (token.empty()) break;
  }
  return out;
}

Result<std::vector<s3::LakeObject>> ListDataObjects(s3::LakeAccess& lake, const std::string& location,
                                                    std::size_t max_objects) {
  auto url = ParseS3Url(location);
  if (!url)
    return MakeError("HIVE_INVALID_METADATA", "Table location is not an S3 location: '" + location + "'");
  std::string prefix = url->key;
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  CENOTE_ASSIGN_OR_RETURN(auto listed, lake.ListObjects(url->bucket, prefix, max_objects + 1));
  if (listed.size() > max_objects) {
    return MakeError("HIVE_FILESYSTEM_ERROR", "Too many objects under " + location + " (more than " +
                                                  std::to_string(max_objects) + ")");
  }
  std::vector<s3::LakeObject> out;
  for (auto& o : listed) {
    if (o.key.size() <= prefix.size()) continue;
    std::string_view rel = std::string_view(o.key).substr(prefix.size());
    if (rel.back() == '/' && o.size == 0) continue;  // folder marker
    if (rel.size() >= 9 && rel.substr(rel.size() - 9) == "_$folder$") continue;
    bool hidden = false;
    std::size_t start = 0;
    while (start < rel.size()) {
      std::size_t slash = rel.find('/', start);
      std::string_view seg =
          rel.substr(start, slash == std::string_view::npos ? rel.size() - start : slash - start);
      if (!seg.empty() && (seg[0] == '_' || seg[0] == '.')) hidden = true;
      if (slash == std::string_view::npos) break;
      start = slash + 1;
    }
    if (hidden) continue;
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::vector<query::TableFile>> CatalogTableResolver::Files(const query::TableBinding& table,
                                                                  const query::PartitionBinding& partition) {
  if (partition.location.rfind("iceberg:", 0) == 0) {
    std::shared_ptr<const std::vector<IcebergGroup>> groups;
    {
      MutexLock lock(mu_);
      auto it = iceberg_.find(table.database + "." + table.name);
      if (it == iceberg_.end() || !it->second.groups)
        return MakeError("HIVE_UNKNOWN_ERROR", "Iceberg table not bound");
      groups = it->second.groups;
    }
    std::size_t index = std::strtoul(partition.location.c_str() + 8, nullptr, 10);
    if (index >= groups->size()) return MakeError("HIVE_UNKNOWN_ERROR", "Iceberg partition not bound");
    return (*groups)[index].files;
  }
  CENOTE_ASSIGN_OR_RETURN(auto objects, ListDataObjects(lake_, partition.location, kMaxFiles));
  auto url = ParseS3Url(partition.location);
  std::vector<query::TableFile> out;
  const bool text = table.format == query::FileFormat::kCsv || table.format == query::FileFormat::kJson ||
                    table.format == query::FileFormat::kRegex;
  // Athena reads ORC columns by position unless the SerDe says orc.column.index.access=false; Avro files
  // through the table's avro.schema.literal (its fields' defaults).
  std::vector<std::string> orc_names;
  std::string avro_literal;
  if (table.format == query::FileFormat::kOrc || table.format == query::FileFormat::kAvro) {
    CENOTE_ASSIGN_OR_RETURN(auto t, catalog_.GetTable(table.database, table.name));
    const json::object* sd = GetObject(t, "StorageDescriptor");
    const json::object* serde_info = sd ? GetObject(*sd, "SerdeInfo") : nullptr;
    const json::object* serde_params = serde_info ? GetObject(*serde_info, "Parameters") : nullptr;
    auto property = [&](std::string_view key) {
      auto v = Param(serde_params, key);
      return v ? v : Param(GetObject(t, "Parameters"), key);
    };
    auto index_access = property("orc.column.index.access");
    if (table.format == query::FileFormat::kOrc && (!index_access || AsciiLower(*index_access) != "false"))
      for (const auto& c : table.columns) orc_names.push_back(c.name);
    avro_literal = property("avro.schema.literal").value_or("");
  }
  for (const auto& o : objects) {
    if (o.size == 0) continue;  // empty files hold no rows; some readers reject them
    auto path = lake_.LocalPath(url->bucket, o.key);
    if (!path) {
      if (path.error().code == "NoSuchKey") continue;  // deleted since the listing
      return std::move(path).error();
    }
    std::string s3_url = "s3://" + url->bucket + "/" + o.key;
    std::string local = *path;
    if (table.format == query::FileFormat::kAvro) {
      CENOTE_ASSIGN_OR_RETURN(local, ScratchCopy(s3_url, ".json", [&](const std::string& to) {
                                return ConvertAvroToJsonLines(*path, to, s3_url, avro_literal);
                              }));
    } else if (table.format == query::FileFormat::kOrc) {
      CENOTE_ASSIGN_OR_RETURN(local, ScratchCopy(s3_url, ".json", [&](const std::string& to) {
                                return ConvertOrcToJsonLines(*path, to, s3_url, orc_names);
                              }));
    } else if (text) {
      std::string codec = TextCodecOfKey(o.key);
      if (codec == "lzo") {
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: LZO-compressed text is not supported by Cenote (" + s3_url + ")");
      }
      if (NeedsDecompression(codec)) {
        CENOTE_ASSIGN_OR_RETURN(local, ScratchCopy(s3_url, ".txt", [&](const std::string& to) {
                                  return DecompressText(*path, codec, to, s3_url);
                                }));
      }
    }
    out.push_back({local, o.size, s3_url});
    MutexLock lock(mu_);
    bound_[local] = s3_url;
    if (local != *path) bound_[*path] = s3_url;
  }
  return out;
}

Result<std::string> CatalogTableResolver::ScratchCopy(
    const std::string& name, const std::string& extension,
    const std::function<Status(const std::string&)>& write) {
  if (scratch_dir_.empty()) {
    return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: this file cannot be read here (" + name + ")");
  }
  std::string path = (std::filesystem::path(scratch_dir_) / ("serde-" + RandomHex(12) + extension)).string();
  {
    // Registered before it is written, so a failed conversion's partial file is removed too.
    MutexLock lock(mu_);
    scratch_files_.push_back(path);
  }
  CENOTE_RETURN_IF_ERROR(write(path));
  return path;
}

std::string CatalogTableResolver::ScrubPaths(std::string message) const {
  MutexLock lock(mu_);
  for (const auto& [path, url] : bound_) {
    for (std::size_t pos = message.find(path); pos != std::string::npos;
         pos = message.find(path, pos + url.size())) {
      message.replace(pos, path.size(), url);
    }
  }
  return message;
}

}  // namespace cenote::athena
