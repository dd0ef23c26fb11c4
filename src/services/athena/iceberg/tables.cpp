// Athena's Iceberg tables over the lake and the Glue catalog: CREATE TABLE / CTAS with table_type
// ICEBERG, INSERT INTO (Parquet data files under <location>/data/, a manifest, a manifest list and the
// next <location>/metadata/NNNNN-<uuid>.metadata.json), DELETE / UPDATE / MERGE INTO (merge-on-read:
// position delete files), OPTIMIZE ... REWRITE DATA USING BIN_PACK and VACUUM, reads of the current or a
// past snapshot with their delete files applied, and the $snapshots / $history / $files metadata tables. A
// commit is the Glue table's metadata_location swapped (previous_metadata_location keeps the old one) only if
// the table is still at the version the writer read: a concurrent commit fails with ICEBERG_COMMIT_ERROR, as
// on Athena. Files are written before the swap, so a crash leaves the table at either the old or the new
// snapshot.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/athena/iceberg/iceberg.hpp"
#include "services/athena/iceberg/metrics.hpp"
#include "services/athena/iceberg/parquet_footer.hpp"
#include "services/athena/iceberg/row_level.hpp"
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

// The live files of a snapshot, data and delete files (none when the table has no snapshot).
// `choose`, when given, says which of the manifests to read (the others' files are left out).
using ManifestChoice = std::function<std::vector<bool>(const std::vector<ice::ManifestFile>&)>;
Result<std::vector<ice::ManifestEntry>> SnapshotFiles(s3::LakeAccess& lake, const json::object& md,
                                                      std::optional<std::int64_t> snapshot,
                                                      std::vector<ice::ManifestFile>* manifests_out = nullptr,
                                                      const ManifestChoice* choose = nullptr) {
  std::vector<ice::ManifestEntry> out;
  if (!snapshot) return out;
  const json::object* snap = ice::FindSnapshot(md, *snapshot);
  if (snap == nullptr) {
    return MakeError(
        "ICEBERG_INVALID_METADATA",
        "ICEBERG_INVALID_METADATA: snapshot " + std::to_string(*snapshot) + " is not in the table metadata");
  }
  const json::value* list = snap->if_contains("manifest-list");
  std::vector<ice::ManifestFile> manifests;
  if (list != nullptr && list->is_string()) {
    CENOTE_ASSIGN_OR_RETURN(auto list_bytes, ReadObject(lake, std::string(list->as_string())));
    CENOTE_ASSIGN_OR_RETURN(manifests, ice::ReadManifestList(list_bytes));
  } else if (const json::value* paths = snap->if_contains("manifests"); paths && paths->is_array()) {
    // A v1 snapshot that lists its manifests itself (spec "Snapshots": manifests, optional in v1): the spec
    // id is in each manifest's metadata, no sequence numbers.
    for (const auto& p : paths->as_array()) {
      if (!p.is_string()) continue;
      ice::ManifestFile m;
      m.path = std::string(p.as_string());
      CENOTE_ASSIGN_OR_RETURN(auto bytes, ReadObject(lake, m.path));
      CENOTE_ASSIGN_OR_RETURN(auto container, avro::ReadContainer(bytes));
      m.length = static_cast<std::int64_t>(bytes.size());
      m.spec_id = static_cast<int>(ice::DefaultSpecId(md));
      if (auto it = container.metadata.find("partition-spec-id"); it != container.metadata.end())
        m.spec_id = std::atoi(it->second.c_str());
      m.added_snapshot_id = *snapshot;
      manifests.push_back(std::move(m));
    }
  } else {
    return MakeError("ICEBERG_INVALID_METADATA", "ICEBERG_INVALID_METADATA: snapshot " +
                                                     std::to_string(*snapshot) + " has no manifest list");
  }
  std::vector<bool> read(manifests.size(), true);
  if (choose != nullptr) read = (*choose)(manifests);
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    const ice::ManifestFile& m = manifests[i];
    if (i < read.size() && !read[i]) continue;
    CENOTE_ASSIGN_OR_RETURN(auto bytes, ReadObject(lake, m.path));
    CENOTE_ASSIGN_OR_RETURN(auto entries, ice::ReadManifest(bytes, m));
    for (auto& e : entries) {
      if (e.status == 2) continue;
      if (m.content == 1 && e.file.content == 0) e.file.content = 1;  // a delete manifest holds deletes
      out.push_back(std::move(e));
    }
  }
  if (manifests_out) *manifests_out = std::move(manifests);
  return out;
}

// Whether two partition tuples (primitive values, by field name) are equal.
bool SamePartition(const std::vector<std::pair<std::string, avro::Value>>& a,
                   const std::vector<std::pair<std::string, avro::Value>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const avro::Value& x = a[i].second;
    const avro::Value& y = b[i].second;
    if (a[i].first != b[i].first || x.is_null() != y.is_null()) return false;
    if (x.is_null()) continue;
    if (x.integer != y.integer || x.real != y.real || x.bytes != y.bytes || x.boolean != y.boolean)
      return false;
  }
  return true;
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

// A SQL string literal.
std::string SqlString(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The tables of a row-level statement's own passes: Parquet files it wrote under the scratch directory (its
// source, its changes), bound by name; every other table is the catalog's. The files and their
// directories are removed with it.
class ScratchTables : public query::TableResolver {
 public:
  explicit ScratchTables(query::TableResolver& catalog) : catalog_(catalog) {}
  ~ScratchTables() override {
    for (const auto& dir : dirs_) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
  ScratchTables(const ScratchTables&) = delete;
  ScratchTables& operator=(const ScratchTables&) = delete;

  void RemoveLater(std::string dir) { dirs_.push_back(std::move(dir)); }
  void Add(const std::string& name, std::vector<query::ColumnDef> columns, query::TableFile file) {
    tables_[AsciiLower(name)] = Table{std::move(columns), std::move(file)};
  }

  Result<query::TableBinding> Describe(const std::string& database, const std::string& table) override {
    auto it = tables_.find(AsciiLower(table));
    if (it == tables_.end()) return catalog_.Describe(database, table);
    query::TableBinding b;
    b.database = database;
    b.name = table;
    b.columns = it->second.columns;
    b.format = query::FileFormat::kParquet;
    return b;
  }
  Result<std::vector<query::PartitionBinding>> Partitions(const query::TableBinding& table) override {
    if (!tables_.count(AsciiLower(table.name))) return catalog_.Partitions(table);
    query::PartitionBinding p;
    p.location = "s3://cenote-statement/" + table.name + "/";
    return std::vector<query::PartitionBinding>{p};
  }
  Result<std::vector<query::TableFile>> Files(const query::TableBinding& table,
                                              const query::PartitionBinding& partition) override {
    auto it = tables_.find(AsciiLower(table.name));
    if (it == tables_.end()) return catalog_.Files(table, partition);
    return std::vector<query::TableFile>{it->second.file};
  }

 private:
  struct Table {
    std::vector<query::ColumnDef> columns;
    query::TableFile file;
  };
  query::TableResolver& catalog_;
  std::map<std::string, Table> tables_;
  std::vector<std::string> dirs_;
};

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

// The DuckDB type of a partition field's values as TransformSql computes them; "" when not pruned on.
std::string HiddenValueType(const ice::PartitionField& f, const ice::Column& source) {
  const std::string& t = source.type;
  if (f.transform == "identity") {
    if (t == "int") return "INTEGER";
    if (t == "long") return "BIGINT";
    if (t == "string") return "VARCHAR";
    if (t == "boolean") return "BOOLEAN";
    if (t == "date") return "DATE";
    if (t.rfind("decimal(", 0) == 0) return AsciiUpper(t);
    return "";
  }
  if (f.transform.rfind("truncate[", 0) == 0) return t == "string" ? "VARCHAR" : "BIGINT";
  return "BIGINT";  // year, month, day, hour, bucket
}

// A partition value as the text HiddenPrune casts to HiddenValueType; nullopt when it cannot be written
// exactly (the partition is then never pruned on it).
std::optional<std::string> HiddenValueText(const ice::PartitionField& f, const ice::Column& source,
                                           const avro::Value& v) {
  if (v.is_null()) return std::string("__HIVE_DEFAULT_PARTITION__");
  switch (v.type) {
    case avro::Type::kInt:
    case avro::Type::kLong:
      if (f.transform == "identity" && source.type == "date") return ice::FormatDate(v.integer);
      return std::to_string(v.integer);
    case avro::Type::kBoolean:
      return std::string(v.boolean ? "true" : "false");
    case avro::Type::kString:
      return v.bytes;
    default:
      return std::nullopt;
  }
}

// Whether a column's bounds are read for pruning (BoundText writes them exactly).
bool HasComparableBounds(const std::string& type) {
  return type == "int" || type == "long" || type == "float" || type == "double" || type == "date" ||
         type == "timestamp" || type == "timestamptz" || type == "string" || type.rfind("decimal(", 0) == 0;
}

// What a data file's metrics say of column `c`'s values (spec "Manifests"): every value NULL (the exact
// NULL value), or the range of its non-NULL values. A float column's upper bound is not used unless the
// file counts no NaN: the engine orders NaN above every number, so `c > k` selects NaN rows. Nothing when
// the file has no metrics for the column (one written before the column was added, or without metrics).
void ColumnRange(const ice::DataFile& f, const ice::Column& c, std::optional<std::string>* value,
                 std::optional<query::PartitionBinding::Range>* range) {
  auto count = [](const std::map<int, std::int64_t>& m, int id) -> std::optional<std::int64_t> {
    auto it = m.find(id);
    return it == m.end() ? std::nullopt : std::optional<std::int64_t>(it->second);
  };
  auto values = count(f.value_counts, c.id), nulls = count(f.null_value_counts, c.id);
  if (values && nulls && *values == *nulls && *values == f.record_count) {
    *value = std::string("__HIVE_DEFAULT_PARTITION__");
    return;
  }
  query::PartitionBinding::Range r;
  if (auto it = f.lower_bounds.find(c.id); it != f.lower_bounds.end())
    r.lower = ice::BoundText(c.type, it->second);
  if (auto it = f.upper_bounds.find(c.id); it != f.upper_bounds.end())
    r.upper = ice::BoundText(c.type, it->second);
  if (c.type == "float" || c.type == "double") {
    auto nans = count(f.nan_value_counts, c.id);
    if (!nans || *nans != 0) r.upper.reset();
  }
  if (r.lower || r.upper) *range = std::move(r);
}

// What a manifest's partition summary says of a partition field's values (spec "Manifest Lists"): the range
// of its non-NULL values, in the text HiddenValueText writes; a bucket (unordered) only when it is one value.
// Bounds the list leaves out are unbounded (never read as "every value NULL": a writer may omit them).
void SummaryRange(const ice::PartitionField& f, const ice::Column& source,
                  const ice::ManifestFile::FieldSummary& s, std::optional<std::string>* value,
                  std::optional<query::PartitionBinding::Range>* range) {
  if (HiddenValueType(f, source).empty()) return;
  std::string type = "int";  // year, month, day (days), hour, bucket
  if (f.transform == "identity" || f.transform.rfind("truncate[", 0) == 0) type = source.type;
  query::PartitionBinding::Range r;
  if (s.lower) r.lower = ice::BoundText(type, *s.lower);
  if (s.upper) r.upper = ice::BoundText(type, *s.upper);
  if (f.transform.rfind("bucket[", 0) == 0) {
    if (r.lower && r.upper && *r.lower == *r.upper) *value = r.lower;
    return;
  }
  if (r.lower || r.upper) *range = std::move(r);
}

// The file's column that each of `columns` reads (TableFile::columns): the one with its field id; in a file
// written without field ids, the one the name mapping gives its id ("" when none).
Result<std::vector<std::string>> FileColumns(const std::string& local_path,
                                             const std::vector<ice::Column>& columns,
                                             const std::map<std::string, int>& name_mapping) {
  CENOTE_ASSIGN_OR_RETURN(auto file_columns, ice::ParquetTopLevelColumns(local_path));
  bool has_ids = false;
  for (const auto& fc : file_columns) has_ids = has_ids || fc.field_id >= 0;
  std::vector<std::string> out;
  for (const auto& c : columns) {
    std::string name;
    for (const auto& fc : file_columns) {
      int id = fc.field_id;
      if (!has_ids) {
        auto it = name_mapping.find(AsciiLower(fc.name));
        id = it == name_mapping.end() ? -1 : it->second;
      }
      if (id == c.id) name = fc.name;
    }
    out.push_back(std::move(name));
  }
  return out;
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
  if (suffix.rfind("cenote_rowids_", 0) == 0) {
    // A row-level statement's read of the snapshot it changes: the rows with their identities.
    std::int64_t id = std::strtoll(suffix.substr(14).c_str(), nullptr, 10);
    if (ice::FindSnapshot(md, id) == nullptr) return fail_not_found();
    bound.snapshot = id;
    b.row_ids = true;
  } else if (suffix == "cenote_rowids") {
    bound.snapshot.reset();  // the table has no snapshot yet: no rows
    b.row_ids = true;
  } else if (suffix.rfind("cenote_version_", 0) == 0) {
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
    // Hidden partitions: every partition field of every spec (by field id), for pruning.
    std::set<int> seen;
    for (const auto& [spec_id, fields] : ice::PartitionSpecs(md)) {
      for (const auto& f : fields) {
        if (!seen.insert(f.field_id).second) continue;
        const ice::Column* source = nullptr;
        for (const auto& c : columns)
          if (c.id == f.source_id) source = &c;
        if (source == nullptr) continue;
        auto sql = ice::TransformSql(f, *source, "{}");
        std::string type = HiddenValueType(f, *source);
        if (!sql || type.empty()) continue;  // not pruned on
        const bool ordered = f.transform.rfind("bucket[", 0) != 0;
        b.hidden_partitions.push_back({AsciiLower(source->name), *sql, type, ordered});
        bound.hidden_field_ids.push_back(f.field_id);
      }
    }
    // Data files' column bounds (manifests' lower_bounds / upper_bounds, spec "Scan Planning"): each column
    // Cenote compares on is an identity "field" whose per-file range comes from the metrics (field id
    // negated).
    for (const auto& c : columns) {
      if (!HasComparableBounds(c.type)) continue;
      b.hidden_partitions.push_back({AsciiLower(c.name), "{}", "", true});
      bound.hidden_field_ids.push_back(-c.id);
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
      for (const auto& e : entries) {
        auto found = ice::SpecOf(md, e.spec_id);
        std::vector<ice::PartitionField> spec =
            found ? std::move(*found) : std::vector<ice::PartitionField>{};
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
                         {"file_format", e.file.format},     {"spec_id", e.spec_id},
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

Result<std::vector<CatalogTableResolver::IcebergGroup>> CatalogTableResolver::IcebergFiles(
    const IcebergBound& bound, const query::TableResolver::PartitionFilter* keep) {
  std::vector<IcebergGroup> out;
  if (!bound.rows_file.empty()) {
    out.emplace_back();
    if (bound.rows_size > 0) out.back().files.push_back({bound.rows_file, bound.rows_size, ""});
    return out;
  }
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(bound.metadata));
  std::map<int, std::vector<ice::PartitionField>> specs;
  for (auto& [id, fields] : ice::PartitionSpecs(bound.metadata)) specs[id] = std::move(fields);
  // Whole data manifests skipped by the manifest list's partition summaries (spec "Scan Planning"): each
  // offered to `keep` as one partition whose hidden fields range over its summaries' bounds.
  ManifestChoice choose = [&](const std::vector<ice::ManifestFile>& manifests) {
    std::vector<bool> read(manifests.size(), true);
    std::vector<query::PartitionBinding> candidates;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < manifests.size(); ++i) {
      const ice::ManifestFile& m = manifests[i];
      if (m.content != 0) continue;  // delete manifests are always read
      query::PartitionBinding p;
      auto spec = specs.find(m.spec_id);
      for (int field_id : bound.hidden_field_ids) {
        std::optional<std::string> value;
        std::optional<query::PartitionBinding::Range> range;
        for (std::size_t k = 0; spec != specs.end() && k < spec->second.size() && k < m.partitions.size();
             ++k) {
          const ice::PartitionField& f = spec->second[k];
          if (f.field_id != field_id) continue;
          for (const auto& c : columns) {
            if (c.id == f.source_id) SummaryRange(f, c, m.partitions[k], &value, &range);
          }
        }
        p.hidden_values.push_back(std::move(value));
        p.hidden_ranges.push_back(std::move(range));
      }
      candidates.push_back(std::move(p));
      index.push_back(i);
    }
    if (candidates.size() < 2) return read;
    std::vector<bool> kept(candidates.size(), false);
    for (std::size_t k : (*keep)(candidates)) {
      if (k < kept.size()) kept[k] = true;
    }
    for (std::size_t k = 0; k < candidates.size(); ++k) read[index[k]] = kept[k];
    return read;
  };
  CENOTE_ASSIGN_OR_RETURN(auto entries, SnapshotFiles(lake_, bound.metadata, bound.snapshot, nullptr,
                                                      keep != nullptr ? &choose : nullptr));
  auto local_path = [&](const std::string& url) -> Result<std::string> {
    auto u = ParseS3Url(url);
    if (!u) return MakeError("ICEBERG_BAD_DATA", "ICEBERG_BAD_DATA: file is not in S3: " + url);
    auto path = lake_.LocalPath(u->bucket, u->key);
    if (!path) {
      if (path.error().code == "NoSuchKey")
        return MakeError("ICEBERG_MISSING_DATA", "ICEBERG_MISSING_DATA: File does not exist: " + url);
      return std::move(path).error();
    }
    MutexLock lock(mu_);
    bound_[*path] = url;
    return path;
  };
  // Delete files, with what they apply to (spec "Scan Planning"): a position delete file to data files
  // of a data sequence number at most its own, an equality delete file to those of a smaller one, both
  // only in their partition (an unpartitioned equality delete file applies to every partition).
  struct Deletes {
    const ice::ManifestEntry* entry;
    std::string local;
    std::vector<std::string> columns;
    std::vector<std::string> file_columns;  // the delete file's, by field id (renamed columns)
  };
  std::vector<Deletes> deletes;
  // Names differ between schemas: each data file's columns are matched by field id.
  const bool by_field_id = ice::ColumnsRenamed(bound.metadata);
  const std::map<std::string, int> name_mapping =
      by_field_id ? ice::NameMapping(bound.metadata) : std::map<std::string, int>{};
  for (const auto& e : entries) {
    if (e.file.content == 0) continue;
    if (e.file.format != "PARQUET") {
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Iceberg delete files in " + e.file.format +
                                            " format are not supported by Cenote");
    }
    if (e.file.record_count == 0) continue;
    Deletes d{&e, "", {}, {}};
    CENOTE_ASSIGN_OR_RETURN(d.local, local_path(e.file.path));
    if (e.file.content == 2) {
      std::vector<ice::Column> matched;
      for (int id : e.file.equality_ids) {
        bool found = false;
        for (const auto& c : columns) {
          if (c.id == id) {
            d.columns.push_back(AsciiLower(c.name));
            matched.push_back(c);
            found = true;
          }
        }
        // A dropped column's deletes match no live column: Cenote cannot apply them.
        if (!found) {
          return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: equality delete file " + e.file.path +
                                                " names field " + std::to_string(id) +
                                                ", which is not in the current schema");
        }
      }
      if (d.columns.empty()) continue;
      // The delete file names the columns as they were named when it was written: its columns are found
      // by field id (spec "Equality Delete Files": equality_ids are field ids), so a later rename keeps
      // its rows deleted.
      if (by_field_id) {
        CENOTE_ASSIGN_OR_RETURN(d.file_columns, FileColumns(d.local, matched, name_mapping));
      }
    }
    deletes.push_back(std::move(d));
  }
  std::map<std::string, std::size_t> group_of;
  auto avro_text = [](const avro::Value& v) {
    return v.type == avro::Type::kString || v.type == avro::Type::kBytes || v.type == avro::Type::kFixed
               ? v.bytes
               : std::to_string(v.integer) + "/" + std::to_string(v.real) + (v.boolean ? "t" : "f");
  };
  for (const auto& e : entries) {
    if (e.file.content != 0) continue;
    if (e.file.format != "PARQUET") {
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Iceberg data files in " + e.file.format +
                                            " format are not supported by Cenote");
    }
    if (e.file.record_count == 0) continue;
    CENOTE_ASSIGN_OR_RETURN(auto path, local_path(e.file.path));
    query::TableFile file{.path = path, .size = static_cast<std::uint64_t>(e.file.size), .key = e.file.path};
    if (by_field_id) {
      CENOTE_ASSIGN_OR_RETURN(file.columns, FileColumns(path, columns, name_mapping));
    }
    for (const auto& d : deletes) {
      const ice::ManifestEntry& de = *d.entry;
      if (de.file.content == 1) {
        if (de.sequence_number < e.sequence_number || de.spec_id != e.spec_id ||
            !SamePartition(de.file.partition, e.file.partition))
          continue;
        file.position_deletes.push_back(d.local);
      } else {
        if (de.sequence_number <= e.sequence_number) continue;
        if (!de.file.partition.empty() &&
            (de.spec_id != e.spec_id || !SamePartition(de.file.partition, e.file.partition)))
          continue;
        file.equality_deletes.push_back({d.local, d.columns, d.file_columns});
      }
    }
    // Its group: the spec and partition tuple; a file with column metrics is a group of its own (its
    // bounds prune it alone).
    std::string key = std::to_string(e.spec_id);
    if (!e.file.lower_bounds.empty() || !e.file.upper_bounds.empty() || !e.file.null_value_counts.empty())
      key.append("#").append(e.file.path);
    for (const auto& [pname, pv] : e.file.partition) {
      key.append("|").append(pname).append("=").append(pv.is_null() ? std::string("\x01null")
                                                                    : avro_text(pv));
    }
    auto [it, inserted] = group_of.emplace(key, out.size());
    if (inserted) {
      IcebergGroup g;
      const std::vector<ice::PartitionField>* fields = nullptr;
      if (auto sit = specs.find(e.spec_id); sit != specs.end()) fields = &sit->second;
      for (int field_id : bound.hidden_field_ids) {
        std::optional<std::string> value;
        std::optional<query::PartitionBinding::Range> range;
        if (field_id < 0) {
          for (const auto& c : columns) {
            if (c.id == -field_id) ColumnRange(e.file, c, &value, &range);
          }
          g.hidden_values.push_back(std::move(value));
          g.hidden_ranges.push_back(std::move(range));
          continue;
        }
        for (std::size_t i = 0; fields != nullptr && i < fields->size() && i < e.file.partition.size(); ++i) {
          const ice::PartitionField& f = (*fields)[i];
          if (f.field_id != field_id) continue;
          for (const auto& c : columns) {
            if (c.id == f.source_id) value = HiddenValueText(f, c, e.file.partition[i].second);
          }
        }
        g.hidden_values.push_back(std::move(value));
        g.hidden_ranges.emplace_back();
      }
      out.push_back(std::move(g));
    }
    out[it->second].files.push_back(std::move(file));
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
  // Data files Cenote wrote before it set Parquet field ids carry none: readers map their columns by name
  // (spec: "Column Projection", schema.name-mapping.default).
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
  CENOTE_ASSIGN_OR_RETURN(auto written, WriteIcebergFiles(md, sql, ctx, "a", 0));
  if (written.files.empty()) return UpdateOutcome(0, written.stats);
  CENOTE_RETURN_IF_ERROR(CommitIcebergSnapshot(db, table, std::move(*glue_table), std::move(md),
                                               written.files, {}, "append", /*retry=*/true));
  return UpdateOutcome(written.stats.rows, written.stats);
}

Result<StatementRunner::WrittenIcebergFiles> StatementRunner::WriteIcebergFiles(
    const json::object& md, const std::string& sql, const StatementContext& ctx, const std::string& tag,
    int content, query::TableResolver* resolver, const std::vector<DeleteGroup>& groups) {
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
  std::string location = Strip(ice::TableLocation(md));
  if (!ParseS3Url(location))
    return MakeError("ICEBERG_INVALID_METADATA", "ICEBERG_INVALID_METADATA: bad location");
  // Data files are partitioned by the default spec's transforms of their rows; position delete files by
  // the group (spec and partition tuple) of the data file they name.
  std::vector<ice::PartitionField> spec;
  if (content == 0) {
    CENOTE_ASSIGN_OR_RETURN(spec, ice::DefaultSpec(md));
  } else if (groups.empty()) {
    return MakeError("InternalError", "position deletes without the groups of their data files", 500);
  }
  const bool by_group = content != 0 && groups.size() > 1;

  std::string select = "SELECT ";
  if (content == 0) {
    for (std::size_t i = 0; i < columns.size(); ++i)
      select += (i > 0 ? ", " : "") + QuoteName(columns[i].name);
  } else {
    select += "\"file_path\", \"pos\"";
  }
  std::vector<std::string> partition_columns, unwritten;
  std::vector<std::pair<std::string, std::string>> computed;  // hidden partition values, DuckDB SQL
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
    computed.emplace_back(partition_columns.back(), expr);
    sources.push_back(source);
  }
  if (by_group) {
    select += ", \"__cenote_g\"";
    unwritten.push_back("__cenote_g");
    partition_columns.push_back("__cenote_group");
    computed.emplace_back(partition_columns.back(), "\"__cenote_g\"");
  }
  select += " FROM (" + sql + ") AS \"_cenote_iceberg\"";

  std::string scratch =
      (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + "-iceberg-" + tag)).string();
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
  wspec.computed_partitions = std::move(computed);
  wspec.unwritten_columns = std::move(unwritten);
  wspec.file_prefix = ctx.query_execution_id + "-" + tag;
  // Field ids in the Parquet schema, as Iceberg writers put them (spec "Parquet": reserved ids 2147483546
  // file_path and 2147483545 pos for position deletes).
  if (content == 0) {
    for (const auto& c : columns) wspec.field_ids.emplace_back(c.name, c.id);
  } else {
    wspec.field_ids = {{"file_path", 2147483546}, {"pos", 2147483545}};
  }
  query::QueryContext qctx;
  qctx.database = ctx.database;
  CENOTE_ASSIGN_OR_RETURN(
      auto written,
      engine_.RunSelectIntoFiles(select, qctx, resolver ? *resolver : resolver_, wspec, *ctx.cancel));

  WrittenIcebergFiles out;
  out.stats = written.stats;
  std::vector<query::WrittenFile> uploads;
  std::map<std::string, std::string> destinations;  // local path -> s3 URL
  for (const auto& f : written.files) {
    CENOTE_ASSIGN_OR_RETURN(auto rows, ice::ParquetRowCount(f.local_path));
    if (rows == 0) continue;
    ice::DataFile df;
    std::string folder;
    if (content == 0) {
      for (std::size_t i = 0; i < spec.size() && i < f.partition_values.size(); ++i) {
        CENOTE_ASSIGN_OR_RETURN(auto v, ice::PartitionValue(spec[i], *sources[i], f.partition_values[i]));
        folder += spec[i].name + "=" + ice::PartitionText(spec[i], v) + "/";
        df.partition.emplace_back(spec[i].name, std::move(v));
      }
    } else {
      std::size_t g = 0;
      if (by_group) {
        if (f.partition_values.empty() ||
            std::from_chars(f.partition_values[0].data(),
                            f.partition_values[0].data() + f.partition_values[0].size(), g)
                    .ec != std::errc() ||
            g >= groups.size())
          return MakeError("InternalError", "a position delete file of no data file group", 500);
      }
      const DeleteGroup& group = groups[g];
      CENOTE_ASSIGN_OR_RETURN(auto group_spec, ice::SpecOf(md, group.spec_id));
      for (const auto& pf : group_spec) {
        for (const auto& [name, value] : group.partition) {
          if (name == pf.name) folder += pf.name + "=" + ice::PartitionText(pf, value) + "/";
        }
      }
      df.partition = group.partition;
      df.spec_id = group.spec_id;
    }
    auto slash = f.relative_path.rfind('/');
    std::string file_name = slash == std::string::npos ? f.relative_path : f.relative_path.substr(slash + 1);
    if (content == 1)
      file_name.insert(file_name.rfind('.') == std::string::npos ? file_name.size() : file_name.rfind('.'),
                       "-deletes");
    df.content = content;
    df.path = location + "/data/" + folder + RandomHex(4) + "-" + file_name;
    df.record_count = rows;
    df.size = static_cast<std::int64_t>(f.size);
    if (content == 0) CENOTE_RETURN_IF_ERROR(ice::AddParquetMetrics(columns, f.local_path, &df));
    destinations[f.local_path] = df.path;
    uploads.push_back(f);
    out.files.push_back(std::move(df));
  }
  if (!uploads.empty()) {
    CENOTE_RETURN_IF_ERROR(
        UploadFiles(uploads, [&](const query::WrittenFile& f) { return destinations[f.local_path]; }));
  }
  return out;
}

Status StatementRunner::CommitIcebergSnapshot(const std::string& db, const std::string& table,
                                              json::object glue_table, json::object md,
                                              const std::vector<ice::DataFile>& data_files,
                                              const std::vector<ice::DataFile>& delete_files,
                                              const std::string& operation, bool retry) {
  std::string location = Strip(ice::TableLocation(md));
  std::int64_t snapshot_id = NewSnapshotId();
  // The new manifests: written once, their entries inherit the sequence number of whichever snapshot
  // lists them.
  // A manifest per content and partition spec: new data files are under the default spec, a delete file
  // under its data file's.
  std::vector<ice::ManifestFile> added;
  const int default_spec = static_cast<int>(ice::DefaultSpecId(md));
  for (int content : {0, 1}) {
    std::map<int, std::vector<ice::DataFile>> by_spec;
    for (const auto& df : content == 0 ? data_files : delete_files)
      by_spec[df.spec_id < 0 ? default_spec : df.spec_id].push_back(df);
    for (const auto& [spec_id, files] : by_spec) {
      CENOTE_ASSIGN_OR_RETURN(auto manifest, ice::WriteManifest(md, snapshot_id, files, content, spec_id));
      ice::ManifestFile m;
      m.path = location + "/metadata/" + NewUuidV4() + "-m" + std::to_string(added.size()) + ".avro";
      CENOTE_RETURN_IF_ERROR(WriteObject(lake_, m.path, manifest, "application/octet-stream"));
      m.length = static_cast<std::int64_t>(manifest.size());
      m.spec_id = spec_id;
      m.content = content;
      m.added_snapshot_id = snapshot_id;
      m.added_files = static_cast<int>(files.size());
      for (const auto& df : files) m.added_rows += df.record_count;
      m.partitions = ice::PartitionSummaries(md, files, spec_id);
      added.push_back(std::move(m));
    }
  }

  // An append conflicts with nothing: when another commit wins the swap, the append is applied again on top
  // of the table's new metadata (the data files and the manifest are kept; its entries inherit the new
  // sequence number), as Iceberg's fast append retries (commit.retry.num-retries, 4 by default). Row-level
  // changes were computed from the snapshot read: on a conflict they fail, as Athena's do.
  constexpr int kRetries = 4;
  for (int attempt = 0;; ++attempt) {
    std::optional<std::int64_t> parent = ice::CurrentSnapshotId(md);
    std::int64_t seq = IntOf(md, "last-sequence-number", 0) + 1;
    std::vector<ice::ManifestFile> manifests;
    for (auto m : added) {
      m.sequence_number = seq;
      m.min_sequence_number = seq;
      manifests.push_back(std::move(m));
    }
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
    const json::object* params = GetObject(glue_table, "Parameters");
    std::string previous_md = params ? GetString(*params, "metadata_location").value_or("") : "";
    json::object next = ice::WithCommit(md, snapshot_id, list_path, data_files, delete_files, operation,
                                        UnixNowMs(), previous_md);
    Status committed = CommitIceberg(db, glue_table, next);
    if (committed) return Status::Ok();
    if (!retry || committed.error().code != "ICEBERG_COMMIT_ERROR" || attempt + 1 >= kRetries)
      return std::move(committed).error();
    auto reloaded = catalog_.GetTable(db, table);
    if (!reloaded || !IsIcebergTable(*reloaded)) return std::move(committed).error();
    CENOTE_ASSIGN_OR_RETURN(md, LoadIcebergMetadata(lake_, *reloaded));
    glue_table = std::move(*reloaded);
  }
}

// ---- row-level DML (merge-on-read, as Athena engine v3 writes Iceberg v2 tables)

Result<StatementOutcome> StatementRunner::ModifyRows(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto glue_table, IcebergTarget(s, ctx));
  CENOTE_ASSIGN_OR_RETURN(auto md, LoadIcebergMetadata(lake_, glue_table));
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
  const std::optional<std::int64_t> snapshot = ice::CurrentSnapshotId(md);
  // Every read of the statement is of the snapshot it changes, with row identities ("$path", "$pos").
  const std::string pinned =
      QuoteName(db) + "." +
      QuoteName(s.name + (snapshot ? "$cenote_rowids_" + std::to_string(*snapshot) : "$cenote_rowids"));
  auto column_of = [&](const std::string& name) -> const ice::Column* {
    for (const auto& c : columns) {
      if (AsciiLower(c.name) == AsciiLower(name)) return &c;
    }
    return nullptr;
  };
  auto unknown_column = [](const std::string& name) {
    return MakeError("COLUMN_NOT_FOUND", "line 1:1: Column '" + name + "' cannot be resolved");
  };
  auto cast_to = [](const ice::Column& c, const std::string& expr) {
    std::string cast = GlueTypeToCast(ice::GlueType(c.type));
    return cast.empty() ? expr : "CAST(" + expr + " AS " + cast + ")";
  };
  auto value_column = [](std::size_t i) { return QuoteName("__cenote_c" + std::to_string(i)); };
  auto count_rows = [](const std::vector<ice::DataFile>& files) {
    std::int64_t n = 0;
    for (const auto& f : files) n += f.record_count;
    return n;
  };
  query::QueryStats stats;
  auto add_stats = [&stats](const query::QueryStats& more) {
    stats.bytes_scanned += more.bytes_scanned;
    stats.engine_ms += more.engine_ms;
    stats.planning_ms += more.planning_ms;
  };
  ScratchTables scratch(resolver_);
  // Writes the rows of `sql` to one scratch Parquet file, bound as a table of `scratch` for the later
  // passes; returns the name to read it by and its row count. With `columns_out`, also the file's columns,
  // and an empty name when one of them would not read back as the type it was written with.
  auto materialize = [&](const std::string& sql, const std::string& tag,
                         std::vector<query::ColumnDef>* columns_out =
                             nullptr) -> Result<std::pair<std::string, std::int64_t>> {
    std::string dir =
        (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + "-rows-" + tag)).string();
    scratch.RemoveLater(dir);
    query::WriteSpec wspec;
    wspec.out_dir = dir;
    wspec.format = "PARQUET";
    wspec.compression = "NONE";
    wspec.file_prefix = tag;
    query::QueryContext qctx;
    qctx.database = ctx.database;
    // Trino's operand type checks (dialect_type_checks) stay off here: over the join of the target with its
    // source they kept DuckDB from planning a hash join (a nested loop: MERGE of 1 % into 1 M rows took 88x
    // DuckDB's rewrite). The statement's own expressions are Cenote's; the user's ON and SET parts lose the
    // check (DuckDB's coercions apply to them).
    qctx.check_operand_types = false;
    CENOTE_ASSIGN_OR_RETURN(auto written, engine_.RunSelectIntoFiles(sql, qctx, scratch, wspec, *ctx.cancel));
    add_stats(written.stats);
    if (written.files.size() != 1)
      return MakeError(
          "InternalError",
          "a row-level pass wrote " + std::to_string(written.files.size()) + " files instead of one", 500);
    const query::WrittenFile& file = written.files.front();
    CENOTE_ASSIGN_OR_RETURN(auto described, engine_.ExecuteTrusted("DESCRIBE SELECT * FROM read_parquet(" +
                                                                   SqlString(file.local_path) + ")"));
    std::vector<query::ColumnDef> defs;
    for (const auto& row : described) {
      if (row.size() < 2 || !row[0] || !row[1])
        return MakeError("InternalError", "a row-level pass's file has no schema", 500);
      defs.push_back({AsciiLower(*row[0]), query::DuckDbTypeToGlue(*row[1])});
    }
    // Named as the target's own hidden tables are (the sandbox keeps "__cenote_" names for the engine).
    std::string name = AsciiLower(s.name) + "$cenote_" + tag + "_" + RandomHex(8);
    if (columns_out != nullptr) {
      // Only when every column reads back as the type it was written with (a timestamp with time zone would
      // read as a timestamp): otherwise nothing is handed back, and the caller reads its query instead.
      columns_out->clear();
      for (std::size_t i = 0; i < defs.size(); ++i) {
        auto again = query::GlueTypeToDuckDb(defs[i].type);
        if (!again || AsciiUpper(*again) != AsciiUpper(*described[i][1]))
          return std::make_pair(std::string(), written.stats.rows);
      }
      *columns_out = defs;
    }
    query::TableFile table_file;
    table_file.path = file.local_path;
    table_file.size = file.size;
    scratch.Add(name, std::move(defs), std::move(table_file));
    return std::make_pair(QuoteName(db) + "." + QuoteName(name), written.stats.rows);
  };

  // One pass over the target (joined with the source, for MERGE) writes the statement's changes: a row per
  // target row deleted or updated and per source row inserted, with its action (1 delete, 2 update,
  // 3 insert), the target row's identity ("$path", "$pos"; NULL for an insert) and, when rows are
  // written, the new row's values (__cenote_c<i>, column i of the schema). The position deletes and the new
  // data files are then written from these few rows, never from another pass over the target.
  std::string changes_sql;
  std::string positions_sql;    // DELETE: the position deletes straight from the target
  bool check_multiple = false;  // MERGE: a target row changed by two source rows fails the statement
  bool writes_rows = true;
  std::string operation;
  if (s.kind == StatementKind::kDelete) {
    CENOTE_ASSIGN_OR_RETURN(auto parsed, ice::ParseDeleteStatement(s.query));
    if (!snapshot) return UpdateOutcome(0, stats);
    const std::string self = QuoteName(s.name);
    changes_sql = "SELECT " + self + ".\"$path\" AS \"__cenote_path\", " + self +
                  ".\"$pos\" AS \"__cenote_pos\", 1 AS \"__cenote_action\" FROM " + pinned + " AS " + self;
    positions_sql = "SELECT " + self + ".\"$path\" AS \"file_path\", " + self + ".\"$pos\" AS \"pos\" FROM " +
                    pinned + " AS " + self;
    if (!parsed.where.empty()) {
      changes_sql += " WHERE (" + parsed.where + ")";
      positions_sql += " WHERE (" + parsed.where + ")";
    }
    positions_sql += " ORDER BY 1, 2";
    writes_rows = false;
    operation = "delete";
  } else if (s.kind == StatementKind::kUpdate) {
    CENOTE_ASSIGN_OR_RETURN(auto parsed, ice::ParseUpdateStatement(s.query));
    std::map<std::string, std::string> set;
    for (const auto& a : parsed.set) {
      if (column_of(a.column) == nullptr) return unknown_column(a.column);
      if (!set.emplace(AsciiLower(a.column), a.expr).second) {
        return MakeError("SYNTAX_ERROR", "line 1:1: Multiple updates of the same column: " + a.column);
      }
    }
    if (!snapshot) return UpdateOutcome(0, stats);
    const std::string self = QuoteName(s.name);
    changes_sql = "SELECT " + self + ".\"$path\" AS \"__cenote_path\", " + self +
                  ".\"$pos\" AS \"__cenote_pos\", 2 AS \"__cenote_action\"";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const auto& c = columns[i];
      auto it = set.find(AsciiLower(c.name));
      std::string value =
          it == set.end() ? self + "." + QuoteName(c.name) : cast_to(c, "(" + it->second + ")");
      changes_sql += ", " + value + " AS " + value_column(i);
    }
    changes_sql += " FROM " + pinned + " AS " + self;
    if (!parsed.where.empty()) changes_sql += " WHERE (" + parsed.where + ")";
    operation = "overwrite";
  } else {
    CENOTE_ASSIGN_OR_RETURN(auto parsed, ice::ParseMergeStatement(s.query));
    const std::string target = QuoteName(parsed.target_alias);
    const std::string on = "(" + parsed.on + ")";
    auto condition = [](const ice::MergeClause& c) {
      return c.condition.empty() ? std::string("true") : "(" + c.condition + ")";
    };
    // Matched rows: the first clause whose condition holds acts (1 delete, 2 update); none, the row stays.
    std::string matched_action = "CASE";
    std::string inserted_when = "CASE";
    bool any_matched = false, any_update = false, any_insert = false;
    for (const auto& c : parsed.clauses) {
      for (const auto& a : c.set) {
        if (column_of(a.column) == nullptr) return unknown_column(a.column);
      }
      for (const auto& name : c.insert_columns) {
        if (column_of(name) == nullptr) return unknown_column(name);
      }
      if (c.action == ice::MergeClause::Action::kInsert) {
        if (c.insert_columns.empty() && c.insert_values.size() != columns.size()) {
          return MakeError("SYNTAX_ERROR", "line 1:1: Insert column name count does not match value count");
        }
        inserted_when += " WHEN " + condition(c) + " THEN 3";
        any_insert = true;
      } else {
        bool update = c.action == ice::MergeClause::Action::kUpdate;
        matched_action += " WHEN " + condition(c) + (update ? " THEN 2" : " THEN 1");
        any_matched = true;
        any_update = any_update || update;
      }
    }
    matched_action += " ELSE 0 END";
    inserted_when += " ELSE 0 END";
    if (!snapshot && !any_insert) return UpdateOutcome(0, stats);
    // A source query is written once to a scratch file and read from there: the join then knows how few rows
    // it has and builds its hash table on them, not on the target (DuckDB guesses a filtered query's rows
    // as the rows it reads), and the source is not computed again.
    std::string source = parsed.source;
    std::string target_from = pinned + " AS " + target;
    if (!source.empty() && source.front() == '(') {
      const std::string alias = parsed.source_alias.empty() ? "__cenote_source" : parsed.source_alias;
      std::vector<query::ColumnDef> source_columns;
      CENOTE_ASSIGN_OR_RETURN(auto materialized, materialize("SELECT * FROM " + parsed.source + " AS " +
                                                                 QuoteName(alias) + parsed.source_columns,
                                                             "source", &source_columns));
      source = (materialized.first.empty() ? parsed.source : materialized.first) + " AS " + QuoteName(alias) +
               (materialized.first.empty() ? parsed.source_columns : "");
      // Partition pruning by the join: for each ON conjunct target.col = source.col where col is the source
      // column of a partition field (any transform, any spec) and both are int, bigint or date, the target is
      // read WHERE col IN (the source's values), by which the engine skips the partitions no source row can
      // match (up to 1000 values).
      std::set<int> partition_sources;
      for (const auto& spec_fields : ice::PartitionSpecs(md)) {
        for (const auto& f : spec_fields.second) partition_sources.insert(f.source_id);
      }
      std::vector<std::string> filters;
      for (const auto& [a, b] : ice::ColumnEqualities(parsed.on)) {
        for (const auto& [mine, theirs] : {std::make_pair(a, b), std::make_pair(b, a)}) {
          if (AsciiLower(mine.qualifier) != AsciiLower(parsed.target_alias) ||
              AsciiLower(theirs.qualifier) != AsciiLower(alias))
            continue;
          const ice::Column* c = column_of(mine.column);
          if (c == nullptr || !partition_sources.count(c->id)) continue;
          const std::string type = ice::GlueType(c->type);
          bool same_type = false;
          for (const auto& d : source_columns)
            same_type = same_type || (d.name == AsciiLower(theirs.column) && d.type == type);
          if (!same_type || (type != "int" && type != "bigint" && type != "date")) continue;
          const std::string key = QuoteName(AsciiLower(theirs.column));
          const std::string literal = type == "date" ? "'DATE ''' || CAST(" + key + " AS VARCHAR) || ''''"
                                                     : "CAST(" + key + " AS VARCHAR)";
          CENOTE_ASSIGN_OR_RETURN(auto values,
                                  SelectColumn("SELECT DISTINCT " + literal + " FROM " + materialized.first +
                                                   " WHERE " + key + " IS NOT NULL LIMIT 1001",
                                               ctx, "keys", &scratch));
          if (values.empty() || values.size() > 1000) continue;
          std::string list;
          for (const auto& v : values) list += (list.empty() ? "" : ", ") + v;
          filters.push_back(QuoteName(c->name) + " IN (" + list + ")");
        }
      }
      if (!filters.empty()) {
        std::string where;
        for (const auto& f : filters) where += (where.empty() ? "" : " AND ") + f;
        target_from = "(SELECT * FROM " + pinned + " WHERE " + where + ") AS " + target;
      }
    } else if (!parsed.source_alias.empty()) {
      source += " AS " + QuoteName(parsed.source_alias) + parsed.source_columns;
    }
    const std::string unmatched = target + ".\"$path\" IS NULL";
    std::string action;
    if (any_matched && any_insert) {
      action = "CASE WHEN " + unmatched + " THEN " + inserted_when + " ELSE " + matched_action + " END";
    } else if (any_insert) {
      action = "CASE WHEN " + unmatched + " THEN " + inserted_when + " ELSE 0 END";
    } else {
      action = matched_action;
    }
    changes_sql = "SELECT " + target + ".\"$path\" AS \"__cenote_path\", " + target +
                  ".\"$pos\" AS \"__cenote_pos\", " + action + " AS \"__cenote_action\"";
    writes_rows = any_update || any_insert;
    for (std::size_t i = 0; writes_rows && i < columns.size(); ++i) {
      const auto& c = columns[i];
      const std::string current = target + "." + QuoteName(c.name);
      std::string matched_value = "CASE";
      std::string inserted_value = "CASE";
      for (const auto& clause : parsed.clauses) {
        std::string v = clause.action == ice::MergeClause::Action::kInsert ? "NULL" : current;
        if (clause.action == ice::MergeClause::Action::kInsert) {
          if (clause.insert_columns.empty()) {
            v = "(" + clause.insert_values[i] + ")";
          } else {
            for (std::size_t j = 0; j < clause.insert_columns.size(); ++j) {
              if (AsciiLower(clause.insert_columns[j]) == AsciiLower(c.name))
                v = "(" + clause.insert_values[j] + ")";
            }
          }
          inserted_value += " WHEN " + condition(clause) + " THEN " + v;
        } else {
          for (const auto& a : clause.set) {
            if (AsciiLower(a.column) == AsciiLower(c.name)) v = "(" + a.expr + ")";
          }
          matched_value += " WHEN " + condition(clause) + " THEN " + v;
        }
      }
      matched_value += " ELSE " + current + " END";
      inserted_value += " END";
      std::string value = any_matched && any_insert ? "CASE WHEN " + unmatched + " THEN " + inserted_value +
                                                          " ELSE " + matched_value + " END"
                          : any_insert ? inserted_value
                                       : matched_value;
      changes_sql += ", " + cast_to(c, value) + " AS " + value_column(i);
    }
    changes_sql += " FROM " + source + (any_insert ? " LEFT JOIN " : " JOIN ") + target_from + " ON " + on +
                   " WHERE (" + action + ") > 0";
    check_multiple = any_matched;
    operation = "overwrite";
  }

  // The data files' groups (partition spec and tuple): each position delete file is written in the group of
  // the data files whose rows it names (spec "Scan Planning": a position delete applies to data files of its
  // spec and partition).
  std::vector<ice::DataFile> deletes, added;
  std::vector<DeleteGroup> groups;              // none: no data file, so no row to delete
  std::map<std::string, std::size_t> group_of;  // data file path -> index in groups
  if (snapshot && (s.kind != StatementKind::kMerge || check_multiple)) {
    CENOTE_ASSIGN_OR_RETURN(auto entries, SnapshotFiles(lake_, md, snapshot));
    for (const auto& e : entries) {
      if (e.file.content != 0) continue;
      std::size_t g = 0;
      while (g < groups.size() &&
             !(groups[g].spec_id == e.spec_id && SamePartition(groups[g].partition, e.file.partition)))
        ++g;
      if (g == groups.size()) groups.push_back({e.spec_id, e.file.partition});
      group_of[e.file.path] = g;
    }
  }
  // A DELETE of a table whose data files are all in one partition writes its position deletes in the pass
  // over the target (they need no group of their data files, and nothing else is written).
  if (!positions_sql.empty() && groups.size() <= 1) {
    if (groups.empty()) return UpdateOutcome(0, stats);
    CENOTE_ASSIGN_OR_RETURN(auto removed, WriteIcebergFiles(md, positions_sql, ctx, "d", 1, nullptr, groups));
    add_stats(removed.stats);
    if (removed.files.empty()) return UpdateOutcome(0, stats);
    const std::int64_t count = count_rows(removed.files);
    CENOTE_RETURN_IF_ERROR(CommitIcebergSnapshot(db, s.name, std::move(glue_table), std::move(md), {},
                                                 removed.files, operation, /*retry=*/false));
    stats.rows = count;
    return UpdateOutcome(count, stats);
  }
  CENOTE_ASSIGN_OR_RETURN(auto changes, materialize(changes_sql, "changes"));
  const std::int64_t changed_rows = changes.second;
  if (changed_rows == 0) return UpdateOutcome(0, stats);
  const std::string& changed = changes.first;

  // Trino's rule: a target row may be changed by one source row only; when the join paired a target row
  // (file, position) with two source rows that both act, nothing is written.
  if (check_multiple && snapshot) {
    CENOTE_ASSIGN_OR_RETURN(
        auto twice, SelectColumn("SELECT count(*) FROM (SELECT 1 FROM " + changed +
                                     " WHERE \"__cenote_action\" IN (1, 2) GROUP BY \"__cenote_path\", "
                                     "\"__cenote_pos\" HAVING count(*) > 1)",
                                 ctx, "matches", &scratch));
    if (twice.size() != 1 || twice[0] != "0") {
      return MakeError("MERGE_TARGET_ROW_MULTIPLE_MATCHES",
                       "MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table row matched more than one "
                       "source row");
    }
  }
  // Position deletes, sorted by file and position, from the changes; with several groups, the group of each
  // data file the statement deletes rows of is joined by path.
  std::string groups_join;
  bool any_deleted = !groups.empty();
  if (groups.size() > 1) {
    CENOTE_ASSIGN_OR_RETURN(auto paths, SelectColumn("SELECT DISTINCT \"__cenote_path\" FROM " + changed +
                                                         " WHERE \"__cenote_action\" IN (1, 2)",
                                                     ctx, "paths", &scratch));
    std::string values;
    for (const auto& path : paths) {
      auto it = group_of.find(path);
      if (it == group_of.end())
        return MakeError("InternalError", "a deleted row's file is not in the snapshot", 500);
      values +=
          (values.empty() ? "" : ", ") + ("(" + SqlString(path) + ", " + std::to_string(it->second) + ")");
    }
    groups_join = " JOIN (VALUES " + values +
                  ") AS \"__cenote_groups\"(\"path\", \"g\") ON \"__cenote_changes\".\"__cenote_path\" = "
                  "\"__cenote_groups\".\"path\"";
    any_deleted = !values.empty();  // a MERGE may only insert
  }
  if (any_deleted) {
    std::string sql =
        "SELECT \"__cenote_changes\".\"__cenote_path\" AS \"file_path\", "
        "\"__cenote_changes\".\"__cenote_pos\" AS \"pos\"";
    if (groups.size() > 1) sql += ", \"__cenote_groups\".\"g\" AS \"__cenote_g\"";
    sql += " FROM " + changed + " AS \"__cenote_changes\"" + groups_join +
           " WHERE \"__cenote_changes\".\"__cenote_action\" IN (1, 2) ORDER BY 1, 2";
    CENOTE_ASSIGN_OR_RETURN(auto removed, WriteIcebergFiles(md, sql, ctx, "d", 1, &scratch, groups));
    add_stats(removed.stats);
    deletes = std::move(removed.files);
  }
  // The new rows (updated and inserted), under the default spec.
  if (writes_rows) {
    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < columns.size(); ++i)
      sql += (i > 0 ? ", " : "") + value_column(i) + " AS " + QuoteName(columns[i].name);
    sql += " FROM " + changed + " WHERE \"__cenote_action\" IN (2, 3)";
    CENOTE_ASSIGN_OR_RETURN(auto written, WriteIcebergFiles(md, sql, ctx, "m", 0, &scratch));
    add_stats(written.stats);
    added = std::move(written.files);
  }
  // Athena counts a changed row once: a deleted or updated target row (a position delete, and a new row for
  // an update), an inserted source row.
  const std::int64_t count = s.kind == StatementKind::kMerge ? changed_rows : count_rows(deletes);
  if (s.kind == StatementKind::kMerge && deletes.empty()) operation = "append";
  if (deletes.empty() && added.empty()) return UpdateOutcome(0, stats);
  CENOTE_RETURN_IF_ERROR(CommitIcebergSnapshot(db, s.name, std::move(glue_table), std::move(md), added,
                                               deletes, operation, /*retry=*/false));
  stats.rows = count;
  return UpdateOutcome(count, stats);
}

// ---- maintenance

namespace {

// Whether delete file `d` applies to data file `data` (spec "Scan Planning").
bool DeleteApplies(const ice::ManifestEntry& d, const ice::ManifestEntry& data) {
  if (d.file.content == 1) {
    return d.sequence_number >= data.sequence_number && d.spec_id == data.spec_id &&
           SamePartition(d.file.partition, data.file.partition);
  }
  return d.sequence_number > data.sequence_number &&
         (d.file.partition.empty() ||
          (d.spec_id == data.spec_id && SamePartition(d.file.partition, data.file.partition)));
}

std::int64_t PropertyInt(const json::object& md, const std::string& key, std::int64_t fallback) {
  const json::object* props = GetObject(md, "properties");
  if (props == nullptr) return fallback;
  for (const auto& [k, v] : *props) {
    if (AsciiLower(k) != key || !v.is_string()) continue;
    std::int64_t n = 0;
    std::string text(v.as_string());
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec == std::errc() && end == text.data() + text.size() && n >= 0) return n;
  }
  return fallback;
}

// The rows of a one-column result CSV (header dropped, quotes removed).
std::vector<std::string> CsvColumn(const std::string& text) {
  std::vector<std::string> out;
  std::size_t line_start = text.find('\n');  // past the header
  while (line_start != std::string::npos && line_start + 1 < text.size()) {
    std::size_t end = text.find('\n', line_start + 1);
    std::string line =
        text.substr(line_start + 1, end == std::string::npos ? std::string::npos : end - line_start - 1);
    if (line.size() >= 2 && line.front() == '"' && line.back() == '"') {
      std::string unquoted;
      for (std::size_t i = 1; i + 1 < line.size(); ++i) {
        unquoted += line[i];
        if (line[i] == '"' && i + 2 < line.size() && line[i + 1] == '"') ++i;
      }
      line = std::move(unquoted);
    }
    if (!line.empty()) out.push_back(std::move(line));
    line_start = end;
  }
  return out;
}

}  // namespace

Result<json::object> StatementRunner::IcebergTarget(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  auto glue_table = catalog_.GetTable(db, s.name);
  if (!glue_table) {
    if (glue_table.error().code == "EntityNotFoundException") {
      return MakeError("TABLE_NOT_FOUND", "line 1:1: Table 'awsdatacatalog." + AsciiLower(db) + "." + s.name +
                                              "' does not exist");
    }
    return MakeError("HIVE_METASTORE_ERROR", glue_table.error().message);
  }
  if (!IsIcebergTable(*glue_table)) return MakeError("NOT_SUPPORTED", s.unsupported_reason);
  return glue_table;
}

Result<std::vector<std::string>> StatementRunner::SelectColumn(const std::string& sql,
                                                               const StatementContext& ctx,
                                                               const std::string& tag,
                                                               query::TableResolver* resolver) {
  query::QueryContext qctx;
  qctx.database = ctx.database;
  qctx.in_memory_result_bytes = 1 << 20;
  std::string csv =
      (std::filesystem::path(options_.scratch_dir) / (ctx.query_execution_id + "-" + tag + ".csv")).string();
  auto out = engine_.RunSelect(sql, qctx, resolver ? *resolver : resolver_, csv, *ctx.cancel);
  std::string text;
  if (out && out->csv) {
    text = std::move(*out->csv);
  } else if (out) {
    std::ifstream in(csv, std::ios::binary);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::error_code ec;
  std::filesystem::remove(csv, ec);
  if (!out) return std::move(out).error();
  return CsvColumn(text);
}

Result<StatementOutcome> StatementRunner::OptimizeIceberg(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto glue_table, IcebergTarget(s, ctx));
  CENOTE_ASSIGN_OR_RETURN(auto parsed, ice::ParseOptimizeStatement(s.query));
  CENOTE_ASSIGN_OR_RETURN(auto md, LoadIcebergMetadata(lake_, glue_table));
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
  const std::optional<std::int64_t> snapshot = ice::CurrentSnapshotId(md);
  if (!snapshot) return DdlOk();
  CENOTE_ASSIGN_OR_RETURN(auto entries, SnapshotFiles(lake_, md, snapshot));
  const std::string self = QuoteName(s.name);
  const std::string pinned =
      QuoteName(db) + "." + QuoteName(s.name + "$cenote_rowids_" + std::to_string(*snapshot));

  // The files the WHERE predicate selects rows of (all, without one).
  std::set<std::string> selected;
  if (!parsed.where.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto paths, SelectColumn("SELECT DISTINCT " + self + ".\"$path\" FROM " + pinned +
                                                         " AS " + self + " WHERE (" + parsed.where + ")",
                                                     ctx, "optimize"));
    selected.insert(paths.begin(), paths.end());
  }
  // BIN_PACK: a selected data file is rewritten when deletes apply to it or it is smaller than the target
  // size (Athena's write_target_data_file_size_bytes, 512 MiB by default); a lone small file without
  // deletes is left alone, there is nothing to pack it with.
  const std::int64_t target = PropertyInt(md, "write_target_data_file_size_bytes", 512ll << 20);
  // The predicate names partitions (Athena's rule: partition columns only): every file of a partition one of
  // whose rows it selects is a candidate, a file whose rows are all deleted included.
  auto in_selected_partition = [&](const ice::ManifestEntry& e) {
    for (const auto& other : entries) {
      if (other.file.content == 0 && selected.count(other.file.path) && other.spec_id == e.spec_id &&
          SamePartition(other.file.partition, e.file.partition))
        return true;
    }
    return false;
  };
  std::set<std::string> rewrite;
  bool any_deleted = false;
  for (const auto& e : entries) {
    if (e.file.content != 0) continue;
    if (!parsed.where.empty() && !in_selected_partition(e)) continue;
    bool deleted = false;
    for (const auto& d : entries) deleted = deleted || (d.file.content != 0 && DeleteApplies(d, e));
    // A file written under an older partition spec is rewritten into the default one, as one with deletes.
    deleted = deleted || e.spec_id != ice::DefaultSpecId(md);
    if (deleted || e.file.size < target) rewrite.insert(e.file.path);
    any_deleted = any_deleted || deleted;
  }
  if (rewrite.empty() || (rewrite.size() == 1 && !any_deleted)) return DdlOk();

  std::string list;
  for (const auto& path : rewrite) {
    std::string quoted = "'";
    for (char c : path) {
      if (c == '\'') quoted += '\'';
      quoted += c;
    }
    list += (list.empty() ? "" : ", ") + quoted + "'";
  }
  std::string sql = "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i)
    sql +=
        (i > 0 ? ", " : "") + self + "." + QuoteName(columns[i].name) + " AS " + QuoteName(columns[i].name);
  sql += " FROM " + pinned + " AS " + self + " WHERE " + self + ".\"$path\" IN (" + list + ")";
  CENOTE_ASSIGN_OR_RETURN(auto written, WriteIcebergFiles(md, sql, ctx, "o", 0));

  // The new snapshot's manifests, written whole: the rewritten files DELETED, the others EXISTING, the new
  // files ADDED; a delete file that applies to no remaining data file is dropped (DELETED) too.
  const std::int64_t snapshot_id = NewSnapshotId();
  std::vector<ice::ManifestEntry> added_entries, data_entries, delete_entries;
  std::int64_t records = 0, size = 0, data_files = 0, delete_files = 0, positions = 0, equalities = 0;
  std::int64_t removed_records = 0, removed_deletes = 0;
  for (const auto& f : written.files) {
    records += f.record_count;
    size += f.size;
    ++data_files;
    ice::ManifestEntry e;
    e.status = 1;
    e.snapshot_id = snapshot_id;
    e.file = f;
    added_entries.push_back(std::move(e));
  }
  for (const auto& e : entries) {
    ice::ManifestEntry out = e;
    bool keep = true;
    if (e.file.content == 0) {
      keep = !rewrite.count(e.file.path);
      if (!keep) removed_records += e.file.record_count;
    } else {
      keep = false;
      for (const auto& data : entries) {
        keep = keep || (data.file.content == 0 && !rewrite.count(data.file.path) && DeleteApplies(e, data));
      }
      if (!keep) ++removed_deletes;
    }
    out.status = keep ? 0 : 2;
    if (!keep) out.snapshot_id = snapshot_id;
    if (keep) {
      size += e.file.size;
      if (e.file.content == 0) {
        records += e.file.record_count;
        ++data_files;
      } else {
        ++delete_files;
        (e.file.content == 1 ? positions : equalities) += e.file.record_count;
      }
    }
    (e.file.content == 0 ? data_entries : delete_entries).push_back(std::move(out));
  }
  std::string location = Strip(ice::TableLocation(md));
  const std::int64_t seq = IntOf(md, "last-sequence-number", 0) + 1;
  std::vector<ice::ManifestFile> manifests;
  // One manifest per content and partition spec (the rewritten rows are under the default spec; the files
  // kept, or dropped, under the spec they were written with).
  auto add_manifest = [&](const std::vector<ice::ManifestEntry>& group, int content, int spec_id) -> Status {
    if (group.empty()) return Status::Ok();
    CENOTE_ASSIGN_OR_RETURN(auto bytes, ice::WriteManifestEntries(md, group, content, spec_id));
    ice::ManifestFile m;
    m.path = location + "/metadata/" + NewUuidV4() + "-m" + std::to_string(manifests.size()) + ".avro";
    CENOTE_RETURN_IF_ERROR(WriteObject(lake_, m.path, bytes, "application/octet-stream"));
    m.length = static_cast<std::int64_t>(bytes.size());
    m.spec_id = spec_id;
    m.content = content;
    m.sequence_number = seq;
    m.min_sequence_number = seq;
    m.added_snapshot_id = snapshot_id;
    m.partitions = ice::PartitionSummaries(md, group, spec_id);
    for (const auto& e : group) {
      if (e.status != 1) m.min_sequence_number = std::min(m.min_sequence_number, e.sequence_number);
      (e.status == 1 ? m.added_files : e.status == 0 ? m.existing_files : m.deleted_files) += 1;
      (e.status == 1   ? m.added_rows
       : e.status == 0 ? m.existing_rows
                       : m.deleted_rows) += e.file.record_count;
    }
    manifests.push_back(std::move(m));
    return Status::Ok();
  };
  auto add_by_spec = [&](const std::vector<ice::ManifestEntry>& group, int content) -> Status {
    std::map<int, std::vector<ice::ManifestEntry>> by_spec;
    for (const auto& e : group) by_spec[e.spec_id].push_back(e);
    for (const auto& [spec_id, entries_of_spec] : by_spec)
      CENOTE_RETURN_IF_ERROR(add_manifest(entries_of_spec, content, spec_id));
    return Status::Ok();
  };
  CENOTE_RETURN_IF_ERROR(add_manifest(added_entries, 0, static_cast<int>(ice::DefaultSpecId(md))));
  CENOTE_RETURN_IF_ERROR(add_by_spec(data_entries, 0));
  CENOTE_RETURN_IF_ERROR(add_by_spec(delete_entries, 1));
  CENOTE_ASSIGN_OR_RETURN(auto list_bytes, ice::WriteManifestList(snapshot_id, snapshot, seq, manifests));
  std::string list_path =
      location + "/metadata/snap-" + std::to_string(snapshot_id) + "-1-" + NewUuidV4() + ".avro";
  CENOTE_RETURN_IF_ERROR(WriteObject(lake_, list_path, list_bytes, "application/octet-stream"));
  const json::object* params = GetObject(glue_table, "Parameters");
  std::string previous_md = params ? GetString(*params, "metadata_location").value_or("") : "";
  json::object next =
      ice::WithCommit(md, snapshot_id, list_path, written.files, {}, "replace", UnixNowMs(), previous_md);
  // A rewrite's totals are counted afresh from the files the snapshot keeps.
  json::object& summary = next["snapshots"].as_array().back().as_object()["summary"].as_object();
  summary["deleted-data-files"] = std::to_string(rewrite.size());
  summary["deleted-records"] = std::to_string(removed_records);
  if (removed_deletes > 0) summary["removed-delete-files"] = std::to_string(removed_deletes);
  summary["total-records"] = std::to_string(records);
  summary["total-files-size"] = std::to_string(size);
  summary["total-data-files"] = std::to_string(data_files);
  summary["total-delete-files"] = std::to_string(delete_files);
  summary["total-position-deletes"] = std::to_string(positions);
  summary["total-equality-deletes"] = std::to_string(equalities);
  CENOTE_RETURN_IF_ERROR(CommitIceberg(db, glue_table, next));
  return DdlOk();
}

Result<StatementOutcome> StatementRunner::VacuumIceberg(const Statement& s, const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto glue_table, IcebergTarget(s, ctx));
  CENOTE_ASSIGN_OR_RETURN(auto md, LoadIcebergMetadata(lake_, glue_table));
  const std::int64_t now = UnixNowMs();
  // Athena's table properties (defaults: 5 days, 1 snapshot, 100 metadata files).
  const std::int64_t cutoff = now - PropertyInt(md, "vacuum_max_snapshot_age_seconds", 432000) * 1000;
  const std::int64_t min_keep = std::max<std::int64_t>(1, PropertyInt(md, "vacuum_min_snapshots_to_keep", 1));
  const std::int64_t max_metadata = PropertyInt(md, "vacuum_max_metadata_files_to_keep", 100);

  // Retained: the current snapshot and its newest ancestors up to min_keep, and every snapshot younger than
  // the age limit.
  std::set<std::int64_t> retained;
  std::optional<std::int64_t> id = ice::CurrentSnapshotId(md);
  for (std::int64_t kept = 0; id && kept < min_keep; ++kept) {
    if (!retained.insert(*id).second) break;
    const json::object* snap = ice::FindSnapshot(md, *id);
    if (snap == nullptr || !snap->contains("parent-snapshot-id")) break;
    id = IntOf(*snap, "parent-snapshot-id", -1);
  }
  std::vector<std::int64_t> expired;
  json::array kept_snapshots;
  if (const json::value* snaps = md.if_contains("snapshots"); snaps && snaps->is_array()) {
    for (const auto& sv : snaps->as_array()) {
      if (!sv.is_object()) continue;
      std::int64_t sid = IntOf(sv.as_object(), "snapshot-id", -1);
      if (retained.count(sid) || IntOf(sv.as_object(), "timestamp-ms", 0) >= cutoff) {
        retained.insert(sid);
        kept_snapshots.push_back(sv);
      } else {
        expired.push_back(sid);
      }
    }
  }
  // The files a snapshot names: its manifest list, its manifests and their live files.
  auto reachable = [&](std::int64_t sid, std::set<std::string>& out) -> Status {
    const json::object* snap = ice::FindSnapshot(md, sid);
    if (snap == nullptr) return Status::Ok();
    auto list = GetString(*snap, "manifest-list");
    if (!list) return Status::Ok();
    out.insert(*list);
    CENOTE_ASSIGN_OR_RETURN(auto bytes, ReadObject(lake_, *list));
    CENOTE_ASSIGN_OR_RETURN(auto manifests, ice::ReadManifestList(bytes));
    for (const auto& m : manifests) {
      out.insert(m.path);
      CENOTE_ASSIGN_OR_RETURN(auto mbytes, ReadObject(lake_, m.path));
      CENOTE_ASSIGN_OR_RETURN(auto listed, ice::ReadManifest(mbytes, m));
      for (const auto& e : listed) {
        if (e.status != 2) out.insert(e.file.path);
      }
    }
    return Status::Ok();
  };
  std::set<std::string> keep, dropped;
  for (std::int64_t sid : retained) CENOTE_RETURN_IF_ERROR(reachable(sid, keep));
  // An expired snapshot's files go unless a retained one still names them; a manifest already gone (an
  // earlier VACUUM) is no reason to fail.
  for (std::int64_t sid : expired) (void)reachable(sid, dropped);

  json::object next = md;
  const json::value* log = md.if_contains("metadata-log");
  const std::size_t log_size = log && log->is_array() ? log->as_array().size() : 0;
  if (!expired.empty() || log_size + 1 > static_cast<std::size_t>(max_metadata)) {
    next["snapshots"] = kept_snapshots;
    json::array snapshot_log;
    if (const json::value* sl = md.if_contains("snapshot-log"); sl && sl->is_array()) {
      for (const auto& ev : sl->as_array()) {
        if (ev.is_object() && retained.count(IntOf(ev.as_object(), "snapshot-id", -1)))
          snapshot_log.push_back(ev);
      }
    }
    next["snapshot-log"] = std::move(snapshot_log);
    json::array metadata_log = log && log->is_array() ? log->as_array() : json::array{};
    const json::object* params = GetObject(glue_table, "Parameters");
    std::string previous = params ? GetString(*params, "metadata_location").value_or("") : "";
    if (!previous.empty()) {
      metadata_log.push_back(
          json::object{{"timestamp-ms", IntOf(md, "last-updated-ms", now)}, {"metadata-file", previous}});
    }
    while (max_metadata > 0 && metadata_log.size() > static_cast<std::size_t>(max_metadata))
      metadata_log.erase(metadata_log.begin());
    next["metadata-log"] = std::move(metadata_log);
    next["last-updated-ms"] = now;
    CENOTE_RETURN_IF_ERROR(CommitIceberg(db, glue_table, next));
  }
  // The metadata files still named, the current one included.
  auto reloaded = catalog_.GetTable(db, s.name);
  if (!reloaded) return MakeError("HIVE_METASTORE_ERROR", reloaded.error().message);
  if (const json::object* params = GetObject(*reloaded, "Parameters")) {
    if (auto current = GetString(*params, "metadata_location")) keep.insert(*current);
  }
  if (const json::value* ml = next.if_contains("metadata-log"); ml && ml->is_array()) {
    for (const auto& ev : ml->as_array()) {
      if (!ev.is_object()) continue;
      if (auto f = GetString(ev.as_object(), "metadata-file")) keep.insert(*f);
    }
  }
  // Orphans: objects under the table location that no retained snapshot or metadata file names, removed when
  // an expired snapshot named them or when they are older than the snapshot age (a newer one may belong to
  // a commit in flight).
  auto url = ParseS3Url(AsFolder(Strip(ice::TableLocation(next))));
  if (!url || url->key.empty()) return DdlOk();
  auto listed = lake_.ListObjects(url->bucket, url->key, CatalogTableResolver::kMaxFiles);
  if (!listed)
    return MakeError("ICEBERG_FILESYSTEM_ERROR", "ICEBERG_FILESYSTEM_ERROR: " + listed.error().message);
  for (const auto& o : *listed) {
    std::string object_url = "s3://" + url->bucket + "/" + o.key;
    if (keep.count(object_url)) continue;
    if (!dropped.count(object_url) && o.last_modified_ms >= cutoff) continue;
    auto del = lake_.DeleteObject(url->bucket, o.key);
    if (!del)
      return MakeError("ICEBERG_FILESYSTEM_ERROR", "ICEBERG_FILESYSTEM_ERROR: " + del.error().message);
  }
  return DdlOk();
}

// ---- schema evolution

Result<StatementOutcome> StatementRunner::AlterIcebergSchema(const Statement& s,
                                                             const StatementContext& ctx) {
  std::string db = s.database.empty() ? ctx.database : s.database;
  CENOTE_ASSIGN_OR_RETURN(auto glue_table, IcebergTarget(s, ctx));
  CENOTE_ASSIGN_OR_RETURN(auto md, LoadIcebergMetadata(lake_, glue_table));
  CENOTE_ASSIGN_OR_RETURN(auto columns, ice::CurrentSchema(md));
  CENOTE_ASSIGN_OR_RETURN(auto spec, ice::DefaultSpec(md));
  auto find = [&](const std::string& name) {
    return std::find_if(columns.begin(), columns.end(),
                        [&](const ice::Column& c) { return AsciiLower(c.name) == AsciiLower(name); });
  };
  auto missing = [&](const std::string& name) {
    return MakeError("COLUMN_NOT_FOUND", "line 1:1: Column '" + AsciiLower(name) + "' does not exist");
  };
  std::int64_t next_id = IntOf(md, "last-column-id", 0);
  std::vector<std::pair<int, std::string>> mapped;  // name mapping entries to add
  if (s.kind == StatementKind::kAlterAddColumns) {
    for (const auto& c : s.columns) {
      if (find(c.name) != columns.end()) {
        return MakeError("ALREADY_EXISTS", "line 1:1: Column '" + c.name + "' already exists");
      }
      CENOTE_ASSIGN_OR_RETURN(auto type, ice::IcebergType(c.type));
      ice::Column added{.id = static_cast<int>(++next_id), .name = c.name, .type = type, .required = false};
      mapped.emplace_back(added.id, added.name);
      columns.push_back(std::move(added));
    }
  } else if (s.kind == StatementKind::kAlterDropColumn) {
    auto it = find(s.pattern);
    if (it == columns.end()) return missing(s.pattern);
    for (const auto& f : spec) {
      if (f.source_id == it->id) {
        return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Cannot drop partition field: " + it->name);
      }
    }
    if (columns.size() == 1) {
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Cannot drop the only column in a table");
    }
    columns.erase(it);
  } else {
    auto it = find(s.pattern);
    if (it == columns.end()) return missing(s.pattern);
    const ColumnSpec& to = s.columns.at(0);
    // A rename keeps the field id: data files are read by field id (ice::ColumnsRenamed), so older files
    // read under the new name.
    if (AsciiLower(to.name) != AsciiLower(it->name) && find(to.name) != columns.end()) {
      return MakeError("ALREADY_EXISTS", "line 1:1: Column '" + AsciiLower(to.name) + "' already exists");
    }
    CENOTE_ASSIGN_OR_RETURN(auto type, ice::IcebergType(to.type));
    if (!ice::CanPromote(it->type, type)) {
      return MakeError("NOT_SUPPORTED", "NOT_SUPPORTED: Cannot change type from " + ice::GlueType(it->type) +
                                            " to " + ice::GlueType(type));
    }
    it->type = type;
    it->name = to.name;
    if (s.column_first || !s.column_after.empty()) {
      ice::Column moved = *it;
      columns.erase(it);
      auto at = columns.begin();
      if (!s.column_first) {
        auto after = find(s.column_after);
        if (after == columns.end()) return missing(s.column_after);
        at = after + 1;
      }
      columns.insert(at, std::move(moved));
    }
  }
  json::object next = ice::WithSchema(md, columns);
  // New columns join the name mapping (spec "Column Projection") for readers of files without field ids.
  json::object& props =
      next["properties"].is_object() ? next["properties"].as_object() : next["properties"].emplace_object();
  if (auto text = GetString(props, "schema.name-mapping.default"); text && !mapped.empty()) {
    boost::system::error_code ec;
    json::value mapping = json::parse(*text, ec);
    if (!ec && mapping.is_array()) {
      for (const auto& [id, name] : mapped)
        mapping.as_array().push_back(json::object{{"field-id", id}, {"names", json::array{name}}});
      props["schema.name-mapping.default"] = json::serialize(mapping);
    }
  }
  const json::object* params = GetObject(glue_table, "Parameters");
  std::string previous = params ? GetString(*params, "metadata_location").value_or("") : "";
  const std::int64_t now = UnixNowMs();
  if (!previous.empty()) {
    if (!next["metadata-log"].is_array()) next["metadata-log"] = json::array{};
    next["metadata-log"].as_array().push_back(
        json::object{{"timestamp-ms", IntOf(md, "last-updated-ms", now)}, {"metadata-file", previous}});
  }
  next["last-updated-ms"] = now;
  json::object updated = glue_table;
  if (json::value* sd = updated.if_contains("StorageDescriptor"); sd && sd->is_object())
    sd->as_object()["Columns"] = GlueColumnsOf(columns);
  CENOTE_RETURN_IF_ERROR(CommitIceberg(db, updated, next));
  return DdlOk();
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
