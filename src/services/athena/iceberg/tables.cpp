// Athena's Iceberg tables over the lake and the Glue catalog: CREATE TABLE / CTAS with table_type
// ICEBERG, INSERT INTO (Parquet data files under <location>/data/, a manifest, a manifest list and the
// next <location>/metadata/NNNNN-<uuid>.metadata.json), reads of the current or a past snapshot, and
// the $snapshots / $history / $files metadata tables. A commit is the Glue table's metadata_location
// swapped (previous_metadata_location keeps the old one) only if the table is still at the version the
// writer read: a concurrent commit fails with ICEBERG_COMMIT_ERROR, as on Athena. Files are written
// before the swap, so a crash leaves the table at either the old or the new snapshot.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/athena/iceberg/iceberg.hpp"
#include "services/athena/iceberg/parquet_footer.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace ice = iceberg;

namespace {

constexpr std::uint64_t kMaxMetadataBytes = 64ull << 20;

Error CommitError(const std::string& db, const std::string& table, const std::string& why) {
  return MakeError(
      "ICEBERG_COMMIT_ERROR",
      "ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table: " + db + "." + table + ": " + why);
}

Result<std::string> ReadObject(s3::LakeAccess& lake, const std::string& url) {
  auto u = ParseS3Url(url);
  if (!u) return MakeError("ICEBERG_BAD_DATA", "ICEBERG_BAD_DATA: not an S3 location: " + url);
  auto bytes = lake.GetObject(u->bucket, u->key, kMaxMetadataBytes);
  if (!bytes) {
    if (bytes.error().code == "AccessDenied" || bytes.error().code == "AccessDeniedException")
      return std::move(bytes).error();
    return MakeError("ICEBERG_INVALID_METADATA",
                     "ICEBERG_INVALID_METADATA: cannot read " + url + ": " + bytes.error().message);
  }
  return bytes;
}

Status WriteObject(s3::LakeAccess& lake, const std::string& url, const std::string& bytes,
                   const std::string& content_type) {
  auto u = ParseS3Url(url);
  if (!u)
    return MakeError("ICEBERG_WRITER_OPEN_ERROR", "ICEBERG_WRITER_OPEN_ERROR: not an S3 location: " + url);
  auto put = lake.PutObject(u->bucket, u->key, bytes, content_type);
  if (!put) {
    return MakeError("ICEBERG_WRITER_CLOSE_ERROR",
                     "ICEBERG_WRITER_CLOSE_ERROR: cannot write " + url + ": " + put.error().message, 500);
  }
  return Status::Ok();
}

std::string Strip(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::int64_t NewSnapshotId() {
  std::uint64_t v = 0;
  FillRandom(&v, sizeof(v));
  v &= 0x7fffffffffffffffull;
  return v == 0 ? 1 : static_cast<std::int64_t>(v);
}

// "s3://b/t/metadata/00003-uuid.metadata.json" -> 3; -1 if not numbered.
int MetadataVersion(const std::string& location) {
  auto slash = location.rfind('/');
  std::string name = location.substr(slash == std::string::npos ? 0 : slash + 1);
  auto dash = name.find('-');
  if (dash == std::string::npos || dash == 0) return -1;
  int n = 0;
  for (std::size_t i = 0; i < dash; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i]))) return -1;
    n = n * 10 + (name[i] - '0');
    if (n > 10000000) return -1;
  }
  return n;
}

std::string MetadataFileName(int version) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%05d", version);
  return std::string(buf) + "-" + NewUuidV4() + ".metadata.json";
}

// The Glue TableInput members of a stored Table.
json::object TableInputOf(const json::object& table) {
  json::object in;
  for (const char* k : {"Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention",
                        "StorageDescriptor", "PartitionKeys", "ViewOriginalText", "ViewExpandedText",
                        "TableType", "Parameters", "TargetTable"}) {
    if (const json::value* v = table.if_contains(k)) in[k] = *v;
  }
  return in;
}

json::array GlueColumnsOf(const std::vector<ice::Column>& columns) {
  json::array out;
  for (const auto& c : columns) {
    out.push_back(
        json::object{{"Name", c.name},
                     {"Type", ice::GlueType(c.type)},
                     {"Parameters", json::object{{"iceberg.field.id", std::to_string(c.id)},
                                                 {"iceberg.field.optional", c.required ? "false" : "true"},
                                                 {"iceberg.field.current", "true"}}}});
  }
  return out;
}

// Top-level comma split ("bucket(16, id),day(ts)" -> two terms).
std::vector<std::string> SplitTerms(const std::string& text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string QuoteName(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string JsonTimestamp(std::int64_t ms) {
  std::int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  std::int64_t rem = ms - days * 86400000;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s %02d:%02d:%02d.%03d", ice::FormatDate(days).c_str(),
                static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf;
}

std::int64_t IntOf(const json::object& o, const char* key, std::int64_t fallback) {
  const json::value* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : fallback;
}

// The live data files of a snapshot (none when the table has no snapshot).
Result<std::vector<ice::ManifestEntry>> SnapshotFiles(
    s3::LakeAccess& lake, const json::object& md, std::optional<std::int64_t> snapshot,
    std::vector<ice::ManifestFile>* manifests_out = nullptr) {
  std::vector<ice::ManifestEntry> out;
  if (!snapshot) return out;
  const json::object* snap = ice::FindSnapshot(md, *snapshot);
  if (snap == nullptr) {
    return MakeError(
        "ICEBERG_INVALID_METADATA",
        "ICEBERG_INVALID_METADATA: snapshot " + std::to_string(*snapshot) + " is not in the table metadata");
  }
  const json::value* list = snap->if_contains("manifest-list");
  if (list == nullptr || !list->is_string()) {
    return MakeError("NOT_SUPPORTED",
                     "NOT_SUPPORTED: Iceberg v1 snapshots without a manifest list are not "
                     "supported by Cenote");
  }
  CENOTE_ASSIGN_OR_RETURN(auto list_bytes, ReadObject(lake, std::string(list->as_string())));
  CENOTE_ASSIGN_OR_RETURN(auto manifests, ice::ReadManifestList(list_bytes));
  for (const auto& m : manifests) {
    CENOTE_ASSIGN_OR_RETURN(auto bytes, ReadObject(lake, m.path));
    CENOTE_ASSIGN_OR_RETURN(auto entries, ice::ReadManifest(bytes, m));
    for (auto& e : entries) {
      if (e.status == 2) continue;
      if (m.content != 0 || e.file.content != 0) {
        return MakeError(
            "NOT_SUPPORTED",
            "NOT_SUPPORTED: reading Iceberg tables with delete files is not supported by Cenote yet");
      }
      out.push_back(std::move(e));
    }
  }
  if (manifests_out) *manifests_out = std::move(manifests);
  return out;
}

// "2024-01-02 03:04:05[.fff][ UTC|Z|+hh:mm]" -> epoch ms.
std::optional<std::int64_t> ParseTimestampLiteral(const std::string& text) {
  auto days = ice::ParseDate(text.substr(0, std::min<std::size_t>(text.size(), 10)));
  if (!days) return std::nullopt;
  int h = 0, mi = 0, sec = 0;
  std::string rest = text.size() > 10 ? text.substr(11) : "";
  double frac = 0;
  std::size_t pos = 0;
  if (!rest.empty()) {
    int consumed = 0;
    if (std::sscanf(rest.c_str(), "%d:%d:%d%n", &h, &mi, &sec, &consumed) < 2) return std::nullopt;
    pos = static_cast<std::size_t>(consumed);
    if (consumed == 0) {
      if (std::sscanf(rest.c_str(), "%d:%d%n", &h, &mi, &consumed) != 2) return std::nullopt;
      pos = static_cast<std::size_t>(consumed);
    }
    if (pos < rest.size() && rest[pos] == '.') {
      std::size_t end = pos + 1;
      while (end < rest.size() && std::isdigit(static_cast<unsigned char>(rest[end]))) ++end;
      frac = std::strtod(("0" + rest.substr(pos, end - pos)).c_str(), nullptr);
      pos = end;
    }
  }
  std::string zone = pos < rest.size() ? std::string(rest.substr(pos)) : "";
  while (!zone.empty() && zone.front() == ' ') zone.erase(0, 1);
  std::int64_t offset_ms = 0;
  if (!zone.empty() && zone != "UTC" && zone != "Z" && zone != "GMT") {
    int oh = 0, om = 0;
    char sign = zone[0];
    if ((sign != '+' && sign != '-') || std::sscanf(zone.c_str() + 1, "%d:%d", &oh, &om) < 1)
      return std::nullopt;
    offset_ms = (oh * 3600000LL + om * 60000LL) * (sign == '-' ? -1 : 1);
  }
  return *days * 86400000 + h * 3600000LL + mi * 60000LL + sec * 1000LL +
         static_cast<std::int64_t>(frac * 1000) - offset_ms;
}

StatementOutcome DdlOk() {
  StatementOutcome o;
  o.meta.format = "txt";
  o.meta.header = false;
  o.meta.update_count = 0;
  return o;
}

}  // namespace

bool IsIcebergTable(const json::object& t) {
  const json::object* params = GetObject(t, "Parameters");
  if (params == nullptr) return false;
  for (const auto& [k, v] : *params) {
    if (AsciiLower(k) == "table_type" && v.is_string() && AsciiLower(v.as_string()) == "iceberg") return true;
  }
  return false;
}

Result<json::object> LoadIcebergMetadata(s3::LakeAccess& lake, const json::object& glue_table) {
  const json::object* params = GetObject(glue_table, "Parameters");
  std::string location = params ? GetString(*params, "metadata_location").value_or("") : "";
  if (location.empty()) {
    return MakeError("ICEBERG_INVALID_METADATA",
                     "ICEBERG_INVALID_METADATA: Table is missing [metadata_location] property");
  }
  CENOTE_ASSIGN_OR_RETURN(auto text, ReadObject(lake, location));
  return ice::ParseMetadata(text);
}

// ---- the resolver's side

CatalogTableResolver::~CatalogTableResolver() {
  MutexLock lock(mu_);
  for (const auto& f : scratch_files_) {
    std::error_code ec;
    std::filesystem::remove(f, ec);
  }
}

Result<query::TableBinding> CatalogTableResolver::DescribeIceberg(const std::string& database,
                                                                  const std::string& name,
                                                                  const std::string& suffix,
                                                                  const json::object& table) {
  CENOTE_ASSIGN_OR_RETURN(auto md, LoadIcebergMetadata(lake_, table));
  IcebergBound bound;
  bound.snapshot = ice::CurrentSnapshotId(md);
  query::TableBinding b;
  b.database = database;
  b.name = name;
  b.format = query::FileFormat::kParquet;
  auto fail_not_found = [&] {
    return MakeError("TABLE_NOT_FOUND", "Table 'awsdatacatalog." + AsciiLower(database) + "." +
                                            AsciiLower(name) + "' does not exist");
  };
  std::string meta_table;
  if (suffix.rfind("cenote_version_", 0) == 0) {
    std::string v = suffix.substr(15);
    std::int64_t id = std::strtoll(v.c_str(), nullptr, 10);
    if (ice::FindSnapshot(md, id) == nullptr) {
      return MakeError("INVALID_ARGUMENT", "INVALID_ARGUMENT: Iceberg snapshot ID does not exist: " + v);
    }
    bound.snapshot = id;
  } else if (suffix.rfind("cenote_timestamp_", 0) == 0) {
    std::int64_t ms = std::strtoll(suffix.substr(17).c_str(), nullptr, 10);
    auto id = ice::SnapshotAsOf(md, ms);
    if (!id) {
      return MakeError("INVALID_ARGUMENT", "INVALID_ARGUMENT: No version history table " +
                                               AsciiLower(database) + "." +
                                               AsciiLower(name.substr(0, name.find('$'))) + " at or before " +
                                               JsonTimestamp(ms) + " UTC");
    }
    bound.snapshot = *id;
  } else if (suffix == "snapshots" || suffix == "history" || suffix == "files") {
    meta_table = suffix;
  } else if (!suffix.empty()) {
    return fail_not_found();
  }

  if (meta_table.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
    for (const auto& c : columns) {
      if (c.type == "nested") {
        return MakeError(
            "NOT_SUPPORTED",
            "NOT_SUPPORTED: Iceberg nested column types are not supported by Cenote yet (column " + c.name +
                ")");
      }
      b.columns.push_back({AsciiLower(c.name), ice::GlueType(c.type)});
    }
  } else {
    if (scratch_dir_.empty()) return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Iceberg metadata tables");
    b.format = query::FileFormat::kJson;
    std::string rows;
    std::int64_t now_snapshot = bound.snapshot.value_or(-1);
    if (meta_table == "snapshots") {
      b.columns = {{"committed_at", "timestamp"}, {"snapshot_id", "bigint"},
                   {"parent_id", "bigint"},       {"operation", "string"},
                   {"manifest_list", "string"},   {"summary", "map<string,string>"}};
      if (const json::value* snaps = md.if_contains("snapshots"); snaps && snaps->is_array()) {
        for (const auto& sv : snaps->as_array()) {
          if (!sv.is_object()) continue;
          const auto& s = sv.as_object();
          json::object row{{"committed_at", JsonTimestamp(IntOf(s, "timestamp-ms", 0))},
                           {"snapshot_id", IntOf(s, "snapshot-id", 0)}};
          row["parent_id"] = s.contains("parent-snapshot-id") ? json::value(IntOf(s, "parent-snapshot-id", 0))
                                                              : json::value(nullptr);
          json::object summary;
          std::string operation;
          if (const json::value* sm = s.if_contains("summary"); sm && sm->is_object()) {
            summary = sm->as_object();
            operation = GetString(summary, "operation").value_or("");
            summary.erase("operation");
          }
          row["operation"] = operation;
          row["manifest_list"] = GetString(s, "manifest-list").value_or("");
          row["summary"] = std::move(summary);
          rows += json::serialize(row) + "\n";
        }
      }
    } else if (meta_table == "history") {
      b.columns = {{"made_current_at", "timestamp"},
                   {"snapshot_id", "bigint"},
                   {"parent_id", "bigint"},
                   {"is_current_ancestor", "boolean"}};
      // Ancestors of the current snapshot.
      std::set<std::int64_t> ancestors;
      for (std::int64_t id = now_snapshot; id != -1;) {
        if (!ancestors.insert(id).second) break;
        const json::object* s = ice::FindSnapshot(md, id);
        id = s ? IntOf(*s, "parent-snapshot-id", -1) : -1;
      }
      if (const json::value* log = md.if_contains("snapshot-log"); log && log->is_array()) {
        for (const auto& ev : log->as_array()) {
          if (!ev.is_object()) continue;
          std::int64_t id = IntOf(ev.as_object(), "snapshot-id", -1);
          const json::object* s = ice::FindSnapshot(md, id);
          json::object row{{"made_current_at", JsonTimestamp(IntOf(ev.as_object(), "timestamp-ms", 0))},
                           {"snapshot_id", id}};
          row["parent_id"] = s && s->contains("parent-snapshot-id")
                                 ? json::value(IntOf(*s, "parent-snapshot-id", 0))
                                 : json::value(nullptr);
          row["is_current_ancestor"] = ancestors.count(id) > 0;
          rows += json::serialize(row) + "\n";
        }
      }
    } else {  // files
      b.columns = {{"content", "int"},
                   {"file_path", "string"},
                   {"file_format", "string"},
                   {"spec_id", "int"},
                   {"partition", "string"},
                   {"record_count", "bigint"},
                   {"file_size_in_bytes", "bigint"}};
      std::vector<ice::ManifestFile> manifests;
      CENOTE_ASSIGN_OR_RETURN(auto entries, SnapshotFiles(lake_, md, bound.snapshot, &manifests));
      CENOTE_ASSIGN_OR_RETURN(auto spec, ice::DefaultSpec(md));
      for (const auto& e : entries) {
        std::string partition = "{";
        for (std::size_t i = 0; i < e.file.partition.size(); ++i) {
          const auto& [pname, pv] = e.file.partition[i];
          ice::PartitionField pf;
          for (const auto& f : spec) {
            if (f.name == pname) pf = f;
          }
          if (i > 0) partition += ", ";
          partition += pname + "=" + ice::PartitionText(pf, pv);
        }
        partition += "}";
        json::object row{{"content", e.file.content},        {"file_path", e.file.path},
                         {"file_format", e.file.format},     {"spec_id", ice::DefaultSpecId(md)},
                         {"partition", partition},           {"record_count", e.file.record_count},
                         {"file_size_in_bytes", e.file.size}};
        rows += json::serialize(row) + "\n";
      }
    }
    std::string path =
        (std::filesystem::path(scratch_dir_) / ("iceberg-" + RandomHex(12) + ".json")).string();
    {
      std::error_code ec;
      std::filesystem::create_directories(scratch_dir_, ec);
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << rows;
      if (!out) return MakeError("HIVE_UNKNOWN_ERROR", "cannot write a metadata table file");
    }
    bound.rows_file = path;
    bound.rows_size = rows.size();
    MutexLock lock(mu_);
    scratch_files_.push_back(path);
  }
  bound.metadata = std::move(md);
  MutexLock lock(mu_);
  iceberg_[b.database + "." + b.name] = std::move(bound);
  return b;
}

Result<std::vector<query::TableFile>> CatalogTableResolver::IcebergFiles(const IcebergBound& bound) {
  std::vector<query::TableFile> out;
  if (!bound.rows_file.empty()) {
    if (bound.rows_size > 0) out.push_back({bound.rows_file, bound.rows_size, ""});
    return out;
  }
  CENOTE_ASSIGN_OR_RETURN(auto entries, SnapshotFiles(lake_, bound.metadata, bound.snapshot));
  for (const auto& e : entries) {
    if (e.file.format != "PARQUET") {
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Iceberg data files in " + e.file.format +
                                            " format are not supported by Cenote");
    }
    if (e.file.record_count == 0) continue;
    auto u = ParseS3Url(e.file.path);
    if (!u) return MakeError("ICEBERG_BAD_DATA", "ICEBERG_BAD_DATA: data file is not in S3: " + e.file.path);
    auto path = lake_.LocalPath(u->bucket, u->key);
    if (!path) {
      if (path.error().code == "NoSuchKey") {
        return MakeError("ICEBERG_MISSING_DATA", "ICEBERG_MISSING_DATA: File does not exist: " + e.file.path);
      }
      return std::move(path).error();
    }
    out.push_back({*path, static_cast<std::uint64_t>(e.file.size), e.file.path});
    MutexLock lock(mu_);
    bound_[*path] = e.file.path;
  }
  return out;
}

// ---- time travel

Result<std::string> RewriteTimeTravel(const std::string& sql, std::int64_t now_ms) {
  // Tokens outside strings, quoted identifiers and comments.
  struct Tok {
    std::size_t begin, end;
    char kind;  // w word, q "quoted", s 'string', n number, p punctuation
  };
  std::vector<Tok> toks;
  std::size_t i = 0, n = sql.size();
  while (i < n) {
    char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      auto e = sql.find("*/", i + 2);
      i = e == std::string::npos ? n : e + 2;
    } else if (c == '\'' || c == '"') {
      std::size_t b = i++;
      while (i < n) {
        if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      i = std::min(n, i + 1);
      toks.push_back({b, i, c == '\'' ? 's' : 'q'});
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t b = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' || sql[i] == '$'))
        ++i;
      toks.push_back({b, i, 'w'});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t b = i;
      while (i < n && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '.')) ++i;
      toks.push_back({b, i, 'n'});
    } else {
      toks.push_back({i, i + 1, 'p'});
      ++i;
    }
  }
  auto text = [&](std::size_t k) { return sql.substr(toks[k].begin, toks[k].end - toks[k].begin); };
  auto is_word = [&](std::size_t k, const char* w) {
    return k < toks.size() && toks[k].kind == 'w' && AsciiUpper(text(k)) == w;
  };
  std::string out;
  std::size_t copied = 0;
  for (std::size_t k = 1; k + 3 < toks.size(); ++k) {
    if (!is_word(k, "FOR")) continue;
    bool version = is_word(k + 1, "VERSION") || is_word(k + 1, "SYSTEM_VERSION");
    bool timestamp = is_word(k + 1, "TIMESTAMP") || is_word(k + 1, "SYSTEM_TIME");
    if ((!version && !timestamp) || !is_word(k + 2, "AS") || !is_word(k + 3, "OF")) continue;
    const Tok& name = toks[k - 1];
    if (name.kind != 'w' && name.kind != 'q') continue;
    std::size_t e = k + 4;  // the expression's first token
    std::string suffix;
    std::size_t end_tok = e;  // one past the expression
    if (version) {
      if (e >= toks.size() || toks[e].kind != 'n') {
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: FOR VERSION AS OF takes a snapshot id (a bigint literal) in Cenote");
      }
      suffix = "cenote_version_" + text(e);
      end_tok = e + 1;
    } else {
      std::optional<std::int64_t> ms;
      if (is_word(e, "TIMESTAMP") && e + 1 < toks.size() && toks[e + 1].kind == 's') {
        std::string lit = text(e + 1);
        ms = ParseTimestampLiteral(lit.substr(1, lit.size() - 2));
        if (!ms) {
          return MakeError("INVALID_LITERAL", "INVALID_LITERAL: '" + lit.substr(1, lit.size() - 2) +
                                                  "' is not a valid timestamp literal");
        }
        end_tok = e + 2;
      } else if (is_word(e, "CURRENT_TIMESTAMP") || is_word(e, "NOW") || is_word(e, "LOCALTIMESTAMP")) {
        end_tok = e + 1;
        if (is_word(e, "NOW") && end_tok + 1 < toks.size() && text(end_tok) == "(" &&
            text(end_tok + 1) == ")")
          end_tok += 2;
        ms = now_ms;
        // - INTERVAL 'n' unit
        if (end_tok + 3 < toks.size() + 0 && (text(end_tok) == "-" || text(end_tok) == "+") &&
            is_word(end_tok + 1, "INTERVAL") && toks[end_tok + 2].kind == 's' &&
            toks[end_tok + 3].kind == 'w') {
          std::string amount = text(end_tok + 2);
          std::int64_t a = std::strtoll(amount.substr(1, amount.size() - 2).c_str(), nullptr, 10);
          std::string unit = AsciiUpper(text(end_tok + 3));
          std::int64_t per = unit == "SECOND"   ? 1000
                             : unit == "MINUTE" ? 60000
                             : unit == "HOUR"   ? 3600000
                             : unit == "DAY"    ? 86400000
                             : unit == "WEEK"   ? 7 * 86400000LL
                                                : 0;
          if (per == 0)
            return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: FOR TIMESTAMP AS OF with INTERVAL " + unit);
          *ms += (text(end_tok) == "-" ? -1 : 1) * a * per;
          end_tok += 4;
        }
      } else {
        return MakeError("NOT_SUPPORTED",
                         "NOT_SUPPORTED: FOR TIMESTAMP AS OF takes a TIMESTAMP literal or "
                         "current_timestamp [- INTERVAL ...] in Cenote");
      }
      suffix = "cenote_timestamp_" + std::to_string(*ms);
    }
    std::string base =
        name.kind == 'q' ? sql.substr(name.begin + 1, name.end - name.begin - 2) : AsciiLower(text(k - 1));
    std::string alias_base = base;
    for (std::string::size_type p = 0; (p = base.find("\"\"", p)) != std::string::npos; ++p) base.erase(p, 1);
    out += sql.substr(copied, name.begin - copied);
    out += QuoteName(base + "$" + suffix);
    // Keep the table's own name as its alias unless one follows.
    bool has_alias =
        is_word(end_tok, "AS") ||
        (end_tok < toks.size() &&
         (toks[end_tok].kind == 'q' ||
          (toks[end_tok].kind == 'w' && !is_word(end_tok, "WHERE") && !is_word(end_tok, "JOIN") &&
           !is_word(end_tok, "LEFT") && !is_word(end_tok, "RIGHT") && !is_word(end_tok, "INNER") &&
           !is_word(end_tok, "FULL") && !is_word(end_tok, "CROSS") && !is_word(end_tok, "ON") &&
           !is_word(end_tok, "GROUP") && !is_word(end_tok, "ORDER") && !is_word(end_tok, "LIMIT") &&
           !is_word(end_tok, "UNION") && !is_word(end_tok, "EXCEPT") && !is_word(end_tok, "INTERSECT") &&
           !is_word(end_tok, "HAVING") && !is_word(end_tok, "WINDOW") && !is_word(end_tok, "OFFSET") &&
           !is_word(end_tok, "FETCH") && !is_word(end_tok, "NATURAL") && !is_word(end_tok, "USING"))));
    if (!has_alias) out += " AS " + QuoteName(alias_base);
    copied = toks[end_tok - 1].end;  // the text after the expression, whitespace included
    k = end_tok - 1;
  }
  if (copied == 0) return sql;
  out += sql.substr(copied);
  return out;
}

// ---- statements

Status StatementRunner::CommitIceberg(const std::string& database, const json::object& glue_table,
                                      const json::object& metadata) {
  std::string name = GetString(glue_table, "Name").value_or("");
  const json::object* params = GetObject(glue_table, "Parameters");
  std::string previous = params ? GetString(*params, "metadata_location").value_or("") : "";
  int version = previous.empty() ? 0 : std::max(0, MetadataVersion(previous) + 1);
  std::string location = Strip(ice::TableLocation(metadata)) + "/metadata/" + MetadataFileName(version);
  CENOTE_RETURN_IF_ERROR(WriteObject(lake_, location, ice::Serialize(metadata), "application/json"));
  json::object input = TableInputOf(glue_table);
  json::object new_params = params ? *params : json::object{};
  new_params["metadata_location"] = location;
  if (!previous.empty()) new_params["previous_metadata_location"] = previous;
  input["Parameters"] = std::move(new_params);
  std::string expected = GetString(glue_table, "VersionId").value_or("");
  Status st = catalog_.UpdateTableIfVersion(database, input, false, expected);
  if (!st) {
    if (st.error().code == "ConcurrentModificationException" ||
        st.error().code == "EntityNotFoundException") {
      return CommitError(database, name, st.error().message);
    }
    return MakeError("HIVE_METASTORE_ERROR", st.error().message);
  }
  return Status::Ok();
}

Result<StatementOutcome> StatementRunner::CreateIcebergTable(const Statement& s,
                                                             const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  if (s.external) {
    return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: External keyword not supported for table type ICEBERG");
  }
  if (!s.partition_keys.empty()) {
    return MakeError(
        "NOT_SUPPORTED",
        "NOT_SUPPORTED: PARTITIONED BY of an Iceberg table names columns or transforms without types");
  }
  CENOTE_RETURN_IF_ERROR(EnsureDatabase(db));
  if (s.location.empty()) {
    return MakeError("INVALID_TABLE_PROPERTY",
                     "INVALID_TABLE_PROPERTY: LOCATION is required for Iceberg tables");
  }
  if (!ParseS3Url(s.location)) {
    return MakeError("INVALID_TABLE_PROPERTY", "INVALID_TABLE_PROPERTY: Invalid S3 location: " + s.location);
  }
  if (catalog_.GetTable(db, s.name)) {
    if (s.if_not_exists) return DdlOk();
    return MakeError("ALREADY_EXISTS",
                     "ALREADY_EXISTS: Table 'awsdatacatalog." + db + "." + s.name + "' already exists");
  }
  std::vector<std::pair<std::string, std::string>> columns;
  for (const auto& c : s.columns) columns.emplace_back(c.name, c.type);
  std::vector<ice::TransformTerm> terms;
  for (const auto& t : s.partition_transforms) {
    CENOTE_ASSIGN_OR_RETURN(auto term, ice::ParseTransformTerm(t));
    terms.push_back(std::move(term));
  }
  std::vector<std::pair<std::string, std::string>> props;
  for (const auto& [k, v] : s.properties) {
    std::string key = AsciiLower(k);
    if (key == "table_type") continue;
    props.emplace_back(k, v);
  }
  std::string location = Strip(s.location);
  CENOTE_ASSIGN_OR_RETURN(auto md,
                          ice::NewMetadata(location, NewUuidV4(), columns, terms, props, UnixNowMs()));
  return CreateIcebergGlueTable(db, s.name, s.comment, md);
}

Result<StatementOutcome> StatementRunner::CreateIcebergGlueTable(const std::string& db,
                                                                 const std::string& name,
                                                                 const std::string& comment,
                                                                 json::object md) {
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
  // The data files Cenote writes carry no Parquet field ids: readers map their columns by name (spec:
  // "Column Projection", schema.name-mapping.default).
  json::array mapping;
  for (const auto& c : columns)
    mapping.push_back(json::object{{"field-id", c.id}, {"names", json::array{c.name}}});
  md["properties"].as_object()["schema.name-mapping.default"] = json::serialize(mapping);
  std::string location = Strip(ice::TableLocation(md));
  std::string metadata_location = location + "/metadata/" + MetadataFileName(0);
  CENOTE_RETURN_IF_ERROR(WriteObject(lake_, metadata_location, ice::Serialize(md), "application/json"));
  json::object params{{"table_type", "ICEBERG"}, {"metadata_location", metadata_location}};
  if (!comment.empty()) params["comment"] = comment;
  json::object sd{{"Columns", GlueColumnsOf(columns)},
                  {"Location", location},
                  {"Compressed", false},
                  {"NumberOfBuckets", 0},
                  {"SerdeInfo", json::object{}},
                  {"SortColumns", json::array{}},
                  {"StoredAsSubDirectories", false}};
  json::object input{{"Name", name},
                     {"TableType", "EXTERNAL_TABLE"},
                     {"Owner", "hadoop"},
                     {"Retention", 0},
                     {"Parameters", std::move(params)},
                     {"StorageDescriptor", std::move(sd)},
                     {"PartitionKeys", json::array{}}};
  auto st = catalog_.CreateTable(db, input);
  if (!st) {
    if (st.error().code == "AlreadyExistsException") {
      return MakeError("ALREADY_EXISTS",
                       "ALREADY_EXISTS: Table 'awsdatacatalog." + db + "." + name + "' already exists");
    }
    return MakeError("HIVE_METASTORE_ERROR", st.error().message);
  }
  return DdlOk();
}

Result<StatementOutcome> StatementRunner::CreateIcebergTableAs(const Statement& s,
                                                               const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  if (auto ok = EnsureDatabase(db); !ok)
    return MakeError("SCHEMA_NOT_FOUND", "Schema '" + db + "' does not exist");
  if (catalog_.GetTable(db, s.name)) {
    if (s.if_not_exists) return UpdateOutcome(0, {});
    return MakeError("TABLE_ALREADY_EXISTS",
                     "Table 'awsdatacatalog." + db + "." + s.name + "' already exists");
  }
  std::string location;
  std::vector<ice::TransformTerm> terms;
  std::vector<std::pair<std::string, std::string>> props;
  for (const auto& [key, value] : s.properties) {
    if (key == "table_type") continue;
    if (key == "location") {
      location = value;
    } else if (key == "is_external") {
      if (AsciiLower(value) != "false") {
        return MakeError("INVALID_TABLE_PROPERTY",
                         "INVALID_TABLE_PROPERTY: is_external must be false for table type ICEBERG");
      }
    } else if (key == "partitioning") {
      for (const auto& t : SplitTerms(value)) {
        CENOTE_ASSIGN_OR_RETURN(auto term, ice::ParseTransformTerm(t));
        terms.push_back(std::move(term));
      }
    } else if (key == "format") {
      if (AsciiUpper(value) != "PARQUET") {
        return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Iceberg tables in " + AsciiUpper(value) +
                                              " format are not supported by Cenote (PARQUET only)");
      }
    } else if (key == "write_compression") {
      if (AsciiUpper(value) != "SNAPPY") {
        return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Iceberg write_compression " + value +
                                              " is not supported by Cenote (SNAPPY only)");
      }
    } else if (key.rfind("vacuum_", 0) == 0 || key.rfind("optimize_", 0) == 0) {
      props.emplace_back(key, value);
    } else {
      return MakeError("INVALID_TABLE_PROPERTY",
                       "Catalog 'awsdatacatalog' table property '" + key + "' does not exist");
    }
  }
  if (location.empty()) location = ctx.output_location + "tables/" + ctx.query_execution_id;
  if (!ParseS3Url(location)) {
    return MakeError("INVALID_TABLE_PROPERTY", "INVALID_TABLE_PROPERTY: Invalid S3 location: " + location);
  }
  query::QueryContext qctx;
  qctx.database = ctx.database;
  CENOTE_ASSIGN_OR_RETURN(auto described, engine_.DescribeSelect(s.query, qctx, resolver_));
  std::vector<std::pair<std::string, std::string>> columns;
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < described.size(); ++i) {
    std::string name = AsciiLower(described[i].name);
    columns.emplace_back(name, AthenaTypeToGlue(described[i]));
    if (i > 0) sql += ", ";
    sql += QuoteName("_c" + std::to_string(i)) + " AS " + QuoteName(name);
  }
  sql += " FROM (" + s.query + ") AS \"_cenote_ctas\"(";
  for (std::size_t i = 0; i < described.size(); ++i)
    sql += (i > 0 ? ", " : "") + QuoteName("_c" + std::to_string(i));
  sql += ")";
  CENOTE_ASSIGN_OR_RETURN(auto md,
                          ice::NewMetadata(Strip(location), NewUuidV4(), columns, terms, props, UnixNowMs()));
  CENOTE_RETURN_IF_ERROR(CreateIcebergGlueTable(db, s.name, "", std::move(md)));
  if (s.with_no_data) return UpdateOutcome(0, {});
  auto appended = AppendToIceberg(db, s.name, sql, ctx);
  if (!appended) {
    (void)catalog_.DeleteTable(db, s.name);  // a failed CTAS leaves no table
    return appended;
  }
  return appended;
}

Result<StatementOutcome> StatementRunner::AppendToIceberg(const std::string& db, const std::string& table,
                                                          const std::string& sql,
                                                          const StatementContext& ctx) {
  auto glue_table = catalog_.GetTable(db, table);
  if (!glue_table) return MakeError("HIVE_METASTORE_ERROR", glue_table.error().message);
  CENOTE_ASSIGN_OR_RETURN(auto md, LoadIcebergMetadata(lake_, *glue_table));
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
  CENOTE_ASSIGN_OR_RETURN(auto spec, ice::DefaultSpec(md));
  std::string location = Strip(ice::TableLocation(md));
  if (!ParseS3Url(location))
    return MakeError("ICEBERG_INVALID_METADATA", "ICEBERG_INVALID_METADATA: bad location");

  std::string select = "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i) select += (i > 0 ? ", " : "") + QuoteName(columns[i].name);
  std::vector<std::string> partition_columns;
  std::vector<const ice::Column*> sources;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    const ice::Column* source = nullptr;
    for (const auto& c : columns) {
      if (c.id == spec[i].source_id) source = &c;
    }
    if (source == nullptr) {
      return MakeError("ICEBERG_INVALID_METADATA",
                       "ICEBERG_INVALID_METADATA: partition source column missing");
    }
    CENOTE_ASSIGN_OR_RETURN(auto expr, ice::TransformSql(spec[i], *source, QuoteName(source->name)));
    partition_columns.push_back("__cenote_p" + std::to_string(i));
    select += ", " + expr + " AS " + QuoteName(partition_columns.back());
    sources.push_back(source);
  }
  select += " FROM (" + sql + ") AS \"_cenote_iceberg\"";

  std::string scratch =
      (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + "-iceberg")).string();
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{scratch};
  query::WriteSpec wspec;
  wspec.out_dir = scratch;
  wspec.format = "PARQUET";
  wspec.compression = "SNAPPY";
  wspec.partitioned_by = partition_columns;
  wspec.file_prefix = ctx.query_execution_id;
  query::QueryContext qctx;
  qctx.database = ctx.database;
  CENOTE_ASSIGN_OR_RETURN(auto written,
                          engine_.RunSelectIntoFiles(select, qctx, resolver_, wspec, *ctx.cancel));

  std::vector<ice::DataFile> data_files;
  std::vector<query::WrittenFile> uploads;
  std::map<std::string, std::string> destinations;  // local path -> s3 URL
  for (const auto& f : written.files) {
    CENOTE_ASSIGN_OR_RETURN(auto rows, ice::ParquetRowCount(f.local_path));
    if (rows == 0) continue;
    ice::DataFile df;
    std::string folder;
    for (std::size_t i = 0; i < spec.size() && i < f.partition_values.size(); ++i) {
      CENOTE_ASSIGN_OR_RETURN(auto v, ice::PartitionValue(spec[i], *sources[i], f.partition_values[i]));
      folder += spec[i].name + "=" + ice::PartitionText(spec[i], v) + "/";
      df.partition.emplace_back(spec[i].name, std::move(v));
    }
    auto slash = f.relative_path.rfind('/');
    std::string file_name = slash == std::string::npos ? f.relative_path : f.relative_path.substr(slash + 1);
    df.path = location + "/data/" + folder + RandomHex(4) + "-" + file_name;
    df.record_count = rows;
    df.size = static_cast<std::int64_t>(f.size);
    destinations[f.local_path] = df.path;
    uploads.push_back(f);
    data_files.push_back(std::move(df));
  }
  if (data_files.empty()) return UpdateOutcome(0, written.stats);
  CENOTE_RETURN_IF_ERROR(
      UploadFiles(uploads, [&](const query::WrittenFile& f) { return destinations[f.local_path]; }));

  std::int64_t snapshot_id = NewSnapshotId();
  CENOTE_ASSIGN_OR_RETURN(auto manifest, ice::WriteManifest(md, snapshot_id, data_files));
  ice::ManifestFile added;
  added.path = location + "/metadata/" + NewUuidV4() + "-m0.avro";
  CENOTE_RETURN_IF_ERROR(WriteObject(lake_, added.path, manifest, "application/octet-stream"));
  added.length = static_cast<std::int64_t>(manifest.size());
  added.spec_id = static_cast<int>(ice::DefaultSpecId(md));
  added.added_snapshot_id = snapshot_id;
  added.added_files = static_cast<int>(data_files.size());
  for (const auto& df : data_files) added.added_rows += df.record_count;

  // An append conflicts with nothing: when another commit wins the swap, the append is applied again on top
  // of the table's new metadata (the data files and the manifest are kept; its entries inherit the new
  // sequence number), as Iceberg's fast append retries (commit.retry.num-retries, 4 by default).
  json::object current_glue = std::move(*glue_table);
  constexpr int kRetries = 4;
  for (int attempt = 0;; ++attempt) {
    std::optional<std::int64_t> parent = ice::CurrentSnapshotId(md);
    std::int64_t seq = IntOf(md, "last-sequence-number", 0) + 1;
    added.sequence_number = seq;
    added.min_sequence_number = seq;
    std::vector<ice::ManifestFile> manifests{added};
    if (parent) {
      if (const json::object* snap = ice::FindSnapshot(md, *parent)) {
        if (auto list = GetString(*snap, "manifest-list")) {
          CENOTE_ASSIGN_OR_RETURN(auto bytes, ReadObject(lake_, *list));
          CENOTE_ASSIGN_OR_RETURN(auto previous, ice::ReadManifestList(bytes));
          for (auto& m : previous) manifests.push_back(std::move(m));
        }
      }
    }
    CENOTE_ASSIGN_OR_RETURN(auto list_bytes, ice::WriteManifestList(snapshot_id, parent, seq, manifests));
    std::string list_path = location + "/metadata/snap-" + std::to_string(snapshot_id) + "-" +
                            std::to_string(attempt + 1) + "-" + NewUuidV4() + ".avro";
    CENOTE_RETURN_IF_ERROR(WriteObject(lake_, list_path, list_bytes, "application/octet-stream"));
    const json::object* params = GetObject(current_glue, "Parameters");
    std::string previous_md = params ? GetString(*params, "metadata_location").value_or("") : "";
    json::object next = ice::WithAppend(md, snapshot_id, list_path, data_files, UnixNowMs(), previous_md);
    Status committed = CommitIceberg(db, current_glue, next);
    if (committed) break;
    if (committed.error().code != "ICEBERG_COMMIT_ERROR" || attempt + 1 >= kRetries)
      return std::move(committed).error();
    auto reloaded = catalog_.GetTable(db, table);
    if (!reloaded || !IsIcebergTable(*reloaded)) return std::move(committed).error();
    CENOTE_ASSIGN_OR_RETURN(md, LoadIcebergMetadata(lake_, *reloaded));
    current_glue = std::move(*reloaded);
  }
  return UpdateOutcome(written.stats.rows, written.stats);
}

Result<StatementOutcome> StatementRunner::DropIcebergTable(const std::string& db,
                                                           const json::object& glue_table) {
  std::string name = GetString(glue_table, "Name").value_or("");
  std::string location;
  if (auto* sd = GetObject(glue_table, "StorageDescriptor"))
    location = GetString(*sd, "Location").value_or("");
  // The table goes first: a failure below leaves unreferenced files, never a table without its files.
  auto st = catalog_.DeleteTable(db, name);
  if (!st) return MakeError("HIVE_METASTORE_ERROR", st.error().message);
  auto url = ParseS3Url(AsFolder(location));
  if (!url || url->key.empty() || url->key == "/") return DdlOk();  // never a whole bucket
  for (int round = 0; round < 1000; ++round) {
    auto listed = lake_.ListObjects(url->bucket, url->key, 1000);
    if (!listed)
      return MakeError("ICEBERG_FILESYSTEM_ERROR", "ICEBERG_FILESYSTEM_ERROR: " + listed.error().message);
    if (listed->empty()) break;
    for (const auto& o : *listed) {
      auto del = lake_.DeleteObject(url->bucket, o.key);
      if (!del)
        return MakeError("ICEBERG_FILESYSTEM_ERROR", "ICEBERG_FILESYSTEM_ERROR: " + del.error().message);
    }
  }
  return DdlOk();
}

}  // namespace cenote::athena
