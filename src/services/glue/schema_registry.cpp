// SchemaRegistry: registries, schemas, versions and version metadata over the MetadataStore.
#include "services/glue/schema_registry.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/schemas/schema_formats.hpp"

namespace cenote::glue {

namespace {

namespace json = boost::json;
using object = boost::json::object;
using store::Transaction;
using Scope = SchemaRegistry::Scope;

constexpr std::string_view kDefaultRegistry = "default-registry";
constexpr std::int64_t kMaxRegistries = 100;
constexpr std::int64_t kMaxSchemas = 10000;
constexpr std::int64_t kMaxVersionsPerSchema = 1000;
constexpr std::int64_t kMaxMetadataPerVersion = 10;
constexpr std::size_t kMaxTags = 50;
constexpr std::int64_t kDefaultPageSize = 25;
// DeleteSchemaVersions over the checkpoint: AWS answers a conflict and deletes nothing.
constexpr services::ErrorSpec kCheckpointConflict{"ConcurrentModificationException", "{}", 400};

std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE gsr_registries (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
      " description TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, region, "
      "name));"
      "CREATE TABLE gsr_schemas (account TEXT NOT NULL, region TEXT NOT NULL, registry TEXT NOT NULL,"
      " name TEXT NOT NULL, data_format TEXT NOT NULL, compatibility TEXT NOT NULL, description TEXT,"
      " checkpoint INTEGER NOT NULL, latest INTEGER NOT NULL, next_version INTEGER NOT NULL,"
      " created INTEGER NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, region, registry, name));"
      "CREATE TABLE gsr_versions (id TEXT NOT NULL PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL,"
      " registry TEXT NOT NULL, schema_name TEXT NOT NULL, version INTEGER NOT NULL, definition TEXT NOT "
      "NULL,"
      " canonical TEXT NOT NULL, status TEXT NOT NULL, failure TEXT, created INTEGER NOT NULL,"
      " UNIQUE (account, region, registry, schema_name, version));"
      "CREATE TABLE gsr_version_metadata (version_id TEXT NOT NULL, meta_key TEXT NOT NULL,"
      " meta_value TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (version_id, meta_key, meta_value));",
  };
}

// CreatedTime / UpdatedTime are strings in the model: ISO-8601 with milliseconds, UTC.
std::string Timestamp(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string RegistryArn(const Scope& s, const std::string& registry) {
  return "arn:aws:glue:" + s.region + ":" + s.account + ":registry/" + registry;
}
std::string SchemaArn(const Scope& s, const std::string& registry, const std::string& schema) {
  return "arn:aws:glue:" + s.region + ":" + s.account + ":schema/" + registry + "/" + schema;
}

std::optional<std::string> Str(const object& o, std::string_view member) {
  auto v = services::GetString(o, member);
  if (!v) return std::nullopt;
  return std::string(*v);
}

// Glue's schema registry wording for identifiers (the same phrases AWS answers with).
Error InvalidCharacters(std::string_view param) {
  return InvalidInput(
      "The parameter value contains one or more characters that are not valid. Parameter Name: " +
      std::string(param));
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (char c : name) {
    if (!(IsAsciiAlnum(c) || c == '-' || c == '_' || c == '$' || c == '#' || c == '.')) return false;
  }
  return true;
}

// The resource part of a Glue ARN of this scope ("registry/x", "schema/r/s"); another account's ARN is
// refused, another region's names nothing here.
Result<std::optional<std::string>> ArnResource(const Scope& s, const std::string& arn,
                                               std::string_view param) {
  const std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[2] != "glue") return InvalidCharacters(param);
  if (parts[4] != s.account) return GlueError(errors::kCrossAccountArn, {arn});
  if (parts[3] != s.region) return std::optional<std::string>();
  return std::optional<std::string>(std::string(parts[5]));
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> Unhex(const std::string& token) {
  if (token.size() % 2 != 0) return InvalidInput("Invalid NextToken.");
  std::string out;
  for (std::size_t i = 0; i < token.size(); i += 2) {
    auto d = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = d(token[i]);
    const int lo = d(token[i + 1]);
    if (hi < 0 || lo < 0) return InvalidInput("Invalid NextToken.");
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::int64_t PageSize(const object& in, std::int64_t max) {
  const std::int64_t n = services::GetInt(in, "MaxResults").value_or(kDefaultPageSize);
  return std::clamp<std::int64_t>(n, 1, max);
}

Status ValidateTags(const object* tags) {
  if (tags == nullptr) return Status::Ok();
  if (tags->size() > kMaxTags) return InvalidInput("New Tags cannot be empty or more than 50");
  for (const auto& [k, v] : *tags) {
    if (k.empty() || k.size() > 128)
      return InvalidInput("Tag keys must be between 1 and 128 characters: " + std::string(k));
    if (!v.is_string() || v.get_string().size() > 256) {
      return InvalidInput("Tag values must be strings of at most 256 characters: " + std::string(k));
    }
  }
  return Status::Ok();
}

const object* TagsOf(const object& in) {
  const json::value* t = in.if_contains("Tags");
  return t != nullptr && t->is_object() ? &t->get_object() : nullptr;
}

Status PutTags(Transaction& txn, const Scope& s, const std::string& scope, const object* tags) {
  if (tags == nullptr) return Status::Ok();
  for (const auto& [k, v] : *tags) {
    CENOTE_RETURN_IF_ERROR(
        txn.Exec("INSERT INTO glue_tags (account, region, scope, tag_key, tag_value) VALUES (?, ?, ?, ?, ?) "
                 "ON CONFLICT (account, region, scope, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                 {s.account, s.region, scope, std::string(k), std::string(v.get_string())}));
  }
  return Status::Ok();
}

Status DeleteTags(Transaction& txn, const Scope& s, const std::string& scope) {
  CENOTE_RETURN_IF_ERROR(txn.Exec("DELETE FROM glue_tags WHERE account = ? AND region = ? AND scope = ?",
                                  {s.account, s.region, scope}));
  return Status::Ok();
}

// ---- rows

struct RegistryRow {
  std::string name;
  std::optional<std::string> description;
  std::int64_t created = 0;
  std::int64_t updated = 0;
};

struct SchemaRow {
  std::string registry;
  std::string name;
  std::string data_format;
  std::string compatibility;
  std::optional<std::string> description;
  std::int64_t checkpoint = 0;
  std::int64_t latest = 0;  // the newest AVAILABLE version (0: none)
  std::int64_t next_version = 1;
  std::int64_t created = 0;
  std::int64_t updated = 0;
};

struct VersionRow {
  std::string id;
  std::string registry;
  std::string schema;
  std::int64_t version = 0;
  std::string definition;
  std::string canonical;
  std::string status;
  std::int64_t created = 0;
};

std::optional<std::string> OptText(const store::Value& v) {
  if (store::IsNull(v)) return std::nullopt;
  return store::AsText(v);
}

Result<std::optional<RegistryRow>> LoadRegistry(Transaction& txn, const Scope& s, const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn.QueryOne("SELECT name, description, created, updated FROM gsr_registries "
                                       "WHERE account = ? AND region = ? AND name = ?",
                                       {s.account, s.region, name}));
  if (!row) return std::optional<RegistryRow>();
  return std::optional<RegistryRow>(RegistryRow{.name = store::AsText((*row)[0]),
                                                .description = OptText((*row)[1]),
                                                .created = store::AsInt((*row)[2]),
                                                .updated = store::AsInt((*row)[3])});
}

constexpr std::string_view kSchemaColumns =
    "registry, name, data_format, compatibility, description, checkpoint, latest, next_version, created, "
    "updated";

SchemaRow SchemaFrom(const store::Row& r) {
  return SchemaRow{.registry = store::AsText(r[0]),
                   .name = store::AsText(r[1]),
                   .data_format = store::AsText(r[2]),
                   .compatibility = store::AsText(r[3]),
                   .description = OptText(r[4]),
                   .checkpoint = store::AsInt(r[5]),
                   .latest = store::AsInt(r[6]),
                   .next_version = store::AsInt(r[7]),
                   .created = store::AsInt(r[8]),
                   .updated = store::AsInt(r[9])};
}

Result<std::optional<SchemaRow>> LoadSchema(Transaction& txn, const Scope& s, const std::string& registry,
                                            const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT " + std::string(kSchemaColumns) +
                                                     " FROM gsr_schemas WHERE account = ? AND region = ? AND "
                                                     "registry = ? AND name = ?",
                                                 {s.account, s.region, registry, name}));
  if (!row) return std::optional<SchemaRow>();
  return std::optional<SchemaRow>(SchemaFrom(*row));
}

constexpr std::string_view kVersionColumns =
    "id, registry, schema_name, version, definition, canonical, status, created";

VersionRow VersionFrom(const store::Row& r) {
  return VersionRow{.id = store::AsText(r[0]),
                    .registry = store::AsText(r[1]),
                    .schema = store::AsText(r[2]),
                    .version = store::AsInt(r[3]),
                    .definition = store::AsText(r[4]),
                    .canonical = store::AsText(r[5]),
                    .status = store::AsText(r[6]),
                    .created = store::AsInt(r[7])};
}

Result<std::vector<VersionRow>> LoadVersions(Transaction& txn, const Scope& s, const SchemaRow& schema,
                                             const std::string& extra_where = "",
                                             const std::vector<store::Value>& extra = {}) {
  std::vector<store::Value> params = {s.account, s.region, schema.registry, schema.name};
  params.insert(params.end(), extra.begin(), extra.end());
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn.Query("SELECT " + std::string(kVersionColumns) +
                                                   " FROM gsr_versions WHERE account = ? AND region = ? AND "
                                                   "registry = ? AND schema_name = ?" +
                                                   extra_where + " ORDER BY version",
                                               params));
  std::vector<VersionRow> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(VersionFrom(r));
  return out;
}

// ---- identifiers

struct SchemaRef {
  std::string registry;
  std::string schema;
  std::optional<std::string> arn;  // as given
};

Error RegistryNotFound(const std::optional<std::string>& name, const std::optional<std::string>& arn) {
  if (arn) return EntityNotFound("Registry is not found. RegistryArn: " + *arn);
  return EntityNotFound("Registry is not found. RegistryName: " + name.value_or("null"));
}

Error SchemaNotFound(const SchemaRef& ref) {
  return EntityNotFound("Schema is not found. RegistryName: " + ref.registry + ", SchemaName: " + ref.schema +
                        ", SchemaArn: " + ref.arn.value_or("null"));
}

// RegistryId {RegistryName | RegistryArn}: the registry's name. Absent: `fallback` (default-registry) or
// an error.
Result<std::string> RegistryName(const Scope& s, const object& in, bool default_when_absent) {
  const object* id = services::GetObject(in, "RegistryId");
  if (id == nullptr) {
    if (default_when_absent) return std::string(kDefaultRegistry);
    return MissingMember("registryId");
  }
  auto name = Str(*id, "RegistryName");
  auto arn = Str(*id, "RegistryArn");
  if (name && arn)
    return InvalidInput("One of registryName or registryArn has to be provided, both cannot be provided.");
  if (!name && !arn) return InvalidInput("One of registryName or registryArn has to be provided.");
  if (name) {
    if (!ValidName(*name)) return InvalidCharacters("registryName");
    return *name;
  }
  CENOTE_ASSIGN_OR_RETURN(auto resource, ArnResource(s, *arn, "registryArn"));
  if (!resource) return RegistryNotFound(std::nullopt, arn);
  if (resource->rfind("registry/", 0) != 0 || !ValidName(resource->substr(9)))
    return InvalidCharacters("registryArn");
  return resource->substr(9);
}

// The registry named by RegistryId, which must exist.
Result<RegistryRow> ExistingRegistry(Transaction& txn, const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string name, RegistryName(s, in, false));
  CENOTE_ASSIGN_OR_RETURN(auto row, LoadRegistry(txn, s, name));
  if (!row) {
    const object& id = *services::GetObject(in, "RegistryId");
    return RegistryNotFound(Str(id, "RegistryName"), Str(id, "RegistryArn"));
  }
  return std::move(*row);
}

// SchemaId {SchemaArn | RegistryName + SchemaName} (`member` names it in the input).
Result<SchemaRef> SchemaRefOf(const Scope& s, const object& in, const char* member = "SchemaId") {
  const object* id = services::GetObject(in, member);
  if (id == nullptr)
    return InvalidInput("At least one of (registryName and schemaName) or schemaArn has to be provided.");
  auto arn = Str(*id, "SchemaArn");
  auto registry = Str(*id, "RegistryName");
  auto schema = Str(*id, "SchemaName");
  if (arn && (registry || schema)) {
    return InvalidInput(
        "One of (registryName and schemaName) or schemaArn has to be provided, both cannot be provided.");
  }
  if (arn) {
    CENOTE_ASSIGN_OR_RETURN(auto resource, ArnResource(s, *arn, "schemaArn"));
    if (!resource)
      return EntityNotFound("Schema is not found. RegistryName: null, SchemaName: null, SchemaArn: " + *arn);
    const std::vector<std::string_view> parts = SplitString(*resource, '/');
    if (parts.size() != 3 || parts[0] != "schema" || !ValidName(parts[1]) || !ValidName(parts[2])) {
      return InvalidCharacters("schemaArn");
    }
    return SchemaRef{.registry = std::string(parts[1]), .schema = std::string(parts[2]), .arn = arn};
  }
  if (!schema)
    return InvalidInput("At least one of (registryName and schemaName) or schemaArn has to be provided.");
  if (!ValidName(*schema)) return InvalidCharacters("schemaName");
  if (registry && !ValidName(*registry)) return InvalidCharacters("registryName");
  return SchemaRef{
      .registry = registry.value_or(std::string(kDefaultRegistry)), .schema = *schema, .arn = std::nullopt};
}

Result<SchemaRow> ExistingSchema(Transaction& txn, const Scope& s, const SchemaRef& ref) {
  CENOTE_ASSIGN_OR_RETURN(auto row, LoadSchema(txn, s, ref.registry, ref.schema));
  if (!row) return SchemaNotFound(ref);
  return std::move(*row);
}

// SchemaVersionNumber {VersionNumber | LatestVersion} of `schema`.
Result<std::int64_t> VersionNumberOf(const object& number, const SchemaRow& schema) {
  const bool latest = services::GetBool(number, "LatestVersion").value_or(false);
  auto n = services::GetInt(number, "VersionNumber");
  if (latest && n) return InvalidInput("Only one of VersionNumber or LatestVersion is required.");
  if (latest) return schema.latest;
  if (!n) return InvalidInput("One of version number (or) latest version is required.");
  return *n;
}

Error VersionNotFound(const SchemaRef& ref, const object* number) {
  std::string n = "null";
  std::string latest = "false";
  if (number != nullptr) {
    if (auto v = services::GetInt(*number, "VersionNumber")) n = std::to_string(*v);
    if (services::GetBool(*number, "LatestVersion").value_or(false)) latest = "true";
  }
  return EntityNotFound("Schema version is not found. RegistryName: " + ref.registry +
                        ", SchemaName: " + ref.schema + ", SchemaArn: " + ref.arn.value_or("null") +
                        ", VersionNumber: " + n + ", isLatestVersion: " + latest);
}

struct ResolvedVersion {
  SchemaRow schema;
  VersionRow version;
};

Result<ResolvedVersion> VersionById(Transaction& txn, const Scope& s, const std::string& id) {
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn.QueryOne("SELECT " + std::string(kVersionColumns) +
                                           " FROM gsr_versions WHERE id = ? AND account = ? AND region = ?",
                                       {id, s.account, s.region}));
  if (!row) return EntityNotFound("Schema version is not found. SchemaVersionId: " + id);
  VersionRow v = VersionFrom(*row);
  CENOTE_ASSIGN_OR_RETURN(auto schema, LoadSchema(txn, s, v.registry, v.schema));
  if (!schema) return EntityNotFound("Schema version is not found. SchemaVersionId: " + id);
  return ResolvedVersion{.schema = std::move(*schema), .version = std::move(v)};
}

Result<ResolvedVersion> VersionByNumber(Transaction& txn, const Scope& s, const SchemaRef& ref,
                                        const object* number) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRow schema, ExistingSchema(txn, s, ref));
  if (number == nullptr) return InvalidInput("One of version number (or) latest version is required.");
  CENOTE_ASSIGN_OR_RETURN(std::int64_t n, VersionNumberOf(*number, schema));
  CENOTE_ASSIGN_OR_RETURN(auto rows, LoadVersions(txn, s, schema, " AND version = ?", {n}));
  if (rows.empty()) return VersionNotFound(ref, number);
  return ResolvedVersion{.schema = std::move(schema), .version = std::move(rows.front())};
}

// The version named by SchemaVersionId, or by SchemaId + SchemaVersionNumber (GetSchemaVersion and the
// metadata operations).
Result<ResolvedVersion> VersionOf(Transaction& txn, const Scope& s, const object& in) {
  auto id = Str(in, "SchemaVersionId");
  const object* schema_id = services::GetObject(in, "SchemaId");
  const object* number = services::GetObject(in, "SchemaVersionNumber");
  if (id && (schema_id != nullptr || number != nullptr)) {
    return InvalidInput("No other input parameters can be specified when fetching by SchemaVersionId.");
  }
  if (id) return VersionById(txn, s, *id);
  if (schema_id == nullptr)
    return InvalidInput("At least one of (registryName and schemaName) or schemaArn has to be provided.");
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  if (number == nullptr) return InvalidInput("One of version number (or) latest version is required.");
  return VersionByNumber(txn, s, ref, number);
}

Result<schemas::DataFormat> FormatOf(const std::string& name) {
  auto f = schemas::ParseDataFormat(name);
  if (!f) return InvalidInput("Data format is not valid.");
  return *f;
}

// The definition parsed in the schema's format; an invalid one is InvalidInputException with the parser's
// reason.
Result<std::shared_ptr<const schemas::Schema>> Parse(schemas::DataFormat format,
                                                     const std::string& definition) {
  auto parsed = schemas::ParseSchema(format, definition);
  if (!parsed) {
    return InvalidInput("Schema definition of " + std::string(schemas::FormatName(format)) +
                        " data format is invalid: " + parsed.error().message);
  }
  return std::move(parsed).value();
}

object SchemaOutput(const Scope& s, const SchemaRow& r) {
  object o{{"RegistryName", r.registry},
           {"RegistryArn", RegistryArn(s, r.registry)},
           {"SchemaName", r.name},
           {"SchemaArn", SchemaArn(s, r.registry, r.name)}};
  if (r.description) o["Description"] = *r.description;
  o["DataFormat"] = r.data_format;
  o["Compatibility"] = r.compatibility;
  o["SchemaCheckpoint"] = r.checkpoint;
  if (r.latest > 0) o["LatestSchemaVersion"] = r.latest;
  o["NextSchemaVersion"] = r.next_version;
  o["SchemaStatus"] = "AVAILABLE";
  return o;
}

Result<std::unique_ptr<Transaction>> Write(store::MetadataStore& m) {
  return m.Begin(store::MetadataStore::Mode::kWrite);
}
Result<std::unique_ptr<Transaction>> Read(store::MetadataStore& m) {
  return m.Begin(store::MetadataStore::Mode::kRead);
}

// Deletes a schema's versions, their metadata and the schema's tags (the schema row itself too).
Status DeleteSchemaRows(Transaction& txn, const Scope& s, const std::string& registry,
                        const std::string& schema) {
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("DELETE FROM gsr_version_metadata WHERE version_id IN (SELECT id FROM gsr_versions WHERE "
               "account = ? AND "
               "region = ? AND registry = ? AND schema_name = ?)",
               {s.account, s.region, registry, schema}));
  CENOTE_RETURN_IF_ERROR(txn.Exec(
      "DELETE FROM gsr_versions WHERE account = ? AND region = ? AND registry = ? AND schema_name = ?",
      {s.account, s.region, registry, schema}));
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("DELETE FROM gsr_schemas WHERE account = ? AND region = ? AND registry = ? AND name = ?",
               {s.account, s.region, registry, schema}));
  return DeleteTags(txn, s, "schema/" + registry + "/" + schema);
}

// Registers `definition` as the schema's next version, checking compatibility. Returns the output of
// RegisterSchemaVersion.
Result<object> AddVersion(Transaction& txn, const Scope& s, SchemaRow& schema, const std::string& definition,
                          const schemas::Schema& parsed, std::int64_t now) {
  // The same definition again answers the version that has it.
  CENOTE_ASSIGN_OR_RETURN(auto same,
                          LoadVersions(txn, s, schema, " AND canonical = ?", {parsed.canonical()}));
  if (!same.empty()) {
    return object{{"SchemaVersionId", same.front().id},
                  {"VersionNumber", same.front().version},
                  {"Status", same.front().status}};
  }
  CENOTE_ASSIGN_OR_RETURN(auto count,
                          txn.QueryOne("SELECT COUNT(*) FROM gsr_versions WHERE account = ? AND region = ? "
                                       "AND registry = ? AND schema_name = ?",
                                       {s.account, s.region, schema.registry, schema.name}));
  if (count && store::AsInt((*count)[0]) >= kMaxVersionsPerSchema) {
    return ResourceNumberLimitExceeded(
        "More schema versions cannot be created. The maximum limit has been reached.");
  }
  // Compatibility against the AVAILABLE versions from the checkpoint on.
  CENOTE_ASSIGN_OR_RETURN(
      auto previous_rows,
      LoadVersions(txn, s, schema, " AND status = 'AVAILABLE' AND version >= ?", {schema.checkpoint}));
  std::vector<std::shared_ptr<const schemas::Schema>> keep;
  std::vector<const schemas::Schema*> previous;
  const schemas::DataFormat format = parsed.format();
  const bool all = schema.compatibility.size() > 4 &&
                   schema.compatibility.compare(schema.compatibility.size() - 4, 4, "_ALL") == 0;
  for (std::size_t i = all ? 0 : (previous_rows.empty() ? 0 : previous_rows.size() - 1);
       i < previous_rows.size(); ++i) {
    auto p = schemas::ParseSchema(format, previous_rows[i].definition);
    if (!p) continue;  // stored definitions parsed when they were registered
    keep.push_back(*p);
    previous.push_back(keep.back().get());
  }
  const std::string failure = schemas::CheckCompatibility(schema.compatibility, parsed, previous);
  const std::string status = failure.empty() ? "AVAILABLE" : "FAILURE";
  const std::string id = NewUuidV4();
  const std::int64_t number = schema.next_version;
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("INSERT INTO gsr_versions (id, account, region, registry, schema_name, version, definition, "
               "canonical, status,"
               " failure, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               {id, s.account, s.region, schema.registry, schema.name, number, definition, parsed.canonical(),
                status, failure.empty() ? store::Value(nullptr) : store::Value(failure), now}));
  schema.next_version = number + 1;
  if (failure.empty()) schema.latest = number;
  if (schema.checkpoint == 0) schema.checkpoint = number;
  schema.updated = now;
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("UPDATE gsr_schemas SET next_version = ?, latest = ?, checkpoint = ?, updated = ? WHERE "
               "account = ? AND "
               "region = ? AND registry = ? AND name = ?",
               {schema.next_version, schema.latest, schema.checkpoint, now, s.account, s.region,
                schema.registry, schema.name}));
  return object{{"SchemaVersionId", id}, {"VersionNumber", number}, {"Status", status}};
}

Status CreateRegistryRow(Transaction& txn, const Scope& s, const std::string& name,
                         const std::optional<std::string>& description, std::int64_t now) {
  CENOTE_ASSIGN_OR_RETURN(auto count,
                          txn.QueryOne("SELECT COUNT(*) FROM gsr_registries WHERE account = ? AND region = ?",
                                       {s.account, s.region}));
  if (count && store::AsInt((*count)[0]) >= kMaxRegistries) {
    return ResourceNumberLimitExceeded(
        "More registries cannot be created. The maximum limit has been reached.");
  }
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("INSERT INTO gsr_registries (account, region, name, description, created, updated) VALUES (?, "
               "?, ?, ?, ?, ?)",
               {s.account, s.region, name, description ? store::Value(*description) : store::Value(nullptr),
                now, now}));
  return Status::Ok();
}

object VersionSummary(const Scope& s, const VersionRow& v) {
  return object{{"SchemaArn", SchemaArn(s, v.registry, v.schema)},
                {"SchemaVersionId", v.id},
                {"VersionNumber", v.version},
                {"Status", v.status},
                {"CreatedTime", Timestamp(v.created)}};
}

// What Put/RemoveSchemaVersionMetadata answer.
object MetadataOutput(const Scope& s, const ResolvedVersion& rv, const std::string& key,
                      const std::string& value) {
  return object{{"SchemaArn", SchemaArn(s, rv.schema.registry, rv.schema.name)},
                {"SchemaName", rv.schema.name},
                {"RegistryName", rv.schema.registry},
                {"LatestVersion", rv.version.version == rv.schema.latest},
                {"VersionNumber", rv.version.version},
                {"SchemaVersionId", rv.version.id},
                {"MetadataKey", key},
                {"MetadataValue", value}};
}

Result<std::pair<std::string, std::string>> MetadataPair(const object& in) {
  const object* kv = services::GetObject(in, "MetadataKeyValue");
  if (kv == nullptr) return MissingMember("metadataKeyValue");
  auto key = Str(*kv, "MetadataKey");
  auto value = Str(*kv, "MetadataValue");
  if (!key) return MissingMember("metadataKeyValue.metadataKey");
  if (!value) return MissingMember("metadataKeyValue.metadataValue");
  return std::make_pair(*key, *value);
}

}  // namespace

Result<std::unique_ptr<SchemaRegistry>> SchemaRegistry::Open(store::MetadataStore& metadata) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("glue_schema_registry", Migrations()));
  return std::unique_ptr<SchemaRegistry>(new SchemaRegistry(metadata));
}

// ---- registries

Result<object> SchemaRegistry::CreateRegistry(const Scope& s, const object& in) {
  auto name = Str(in, "RegistryName");
  if (!name) return MissingMember("registryName");
  if (!ValidName(*name)) return InvalidCharacters("registryName");
  auto description = Str(in, "Description");
  const object* tags = TagsOf(in);
  CENOTE_RETURN_IF_ERROR(ValidateTags(tags));
  const std::int64_t now = UnixNowMs();
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(auto existing, LoadRegistry(*txn, s, *name));
  if (existing) return AlreadyExists("Registry already exists. RegistryName: " + *name);
  CENOTE_RETURN_IF_ERROR(CreateRegistryRow(*txn, s, *name, description, now));
  CENOTE_RETURN_IF_ERROR(PutTags(*txn, s, "registry/" + *name, tags));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  object out{{"RegistryArn", RegistryArn(s, *name)}, {"RegistryName", *name}};
  if (description) out["Description"] = *description;
  if (tags != nullptr) out["Tags"] = *tags;
  return out;
}

Result<object> SchemaRegistry::GetRegistry(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(RegistryRow r, ExistingRegistry(*txn, s, in));
  object out{{"RegistryName", r.name}, {"RegistryArn", RegistryArn(s, r.name)}};
  if (r.description) out["Description"] = *r.description;
  out["Status"] = "AVAILABLE";
  out["CreatedTime"] = Timestamp(r.created);
  out["UpdatedTime"] = Timestamp(r.updated);
  return out;
}

Result<object> SchemaRegistry::ListRegistries(const Scope& s, const object& in) {
  const std::int64_t size = PageSize(in, 100);
  std::string after;
  if (auto token = Str(in, "NextToken"); token && !token->empty()) {
    CENOTE_ASSIGN_OR_RETURN(after, Unhex(*token));
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT name, description, created, updated FROM gsr_registries WHERE "
                                     "account = ? AND region = ? AND name > ? ORDER BY name LIMIT ?",
                                     {s.account, s.region, after, size + 1}));
  json::array items;
  std::string next;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<std::int64_t>(i) == size) {
      next = Hex(store::AsText(rows[i - 1][0]));
      break;
    }
    const std::string name = store::AsText(rows[i][0]);
    object item{{"RegistryName", name}, {"RegistryArn", RegistryArn(s, name)}};
    if (auto d = OptText(rows[i][1])) item["Description"] = *d;
    item["Status"] = "AVAILABLE";
    item["CreatedTime"] = Timestamp(store::AsInt(rows[i][2]));
    item["UpdatedTime"] = Timestamp(store::AsInt(rows[i][3]));
    items.push_back(std::move(item));
  }
  object out{{"Registries", std::move(items)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<object> SchemaRegistry::UpdateRegistry(const Scope& s, const object& in) {
  auto description = Str(in, "Description");
  if (!description) return MissingMember("description");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(RegistryRow r, ExistingRegistry(*txn, s, in));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE gsr_registries SET description = ?, updated = ? WHERE account = ? AND "
                "region = ? AND name = ?",
                {*description, UnixNowMs(), s.account, s.region, r.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return object{{"RegistryName", r.name}, {"RegistryArn", RegistryArn(s, r.name)}};
}

Result<object> SchemaRegistry::DeleteRegistry(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(RegistryRow r, ExistingRegistry(*txn, s, in));
  CENOTE_ASSIGN_OR_RETURN(auto schemas,
                          txn->Query("SELECT name FROM gsr_schemas WHERE account = ? AND region = ? AND "
                                     "registry = ?",
                                     {s.account, s.region, r.name}));
  for (const auto& row : schemas)
    CENOTE_RETURN_IF_ERROR(DeleteSchemaRows(*txn, s, r.name, store::AsText(row[0])));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM gsr_registries WHERE account = ? AND region = ? AND name = ?",
                                   {s.account, s.region, r.name}));
  CENOTE_RETURN_IF_ERROR(DeleteTags(*txn, s, "registry/" + r.name));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return object{{"RegistryName", r.name}, {"RegistryArn", RegistryArn(s, r.name)}, {"Status", "DELETING"}};
}

// ---- schemas

Result<object> SchemaRegistry::CreateSchema(const Scope& s, const object& in) {
  auto name = Str(in, "SchemaName");
  if (!name) return MissingMember("schemaName");
  if (!ValidName(*name)) return InvalidCharacters("schemaName");
  auto format_name = Str(in, "DataFormat");
  if (!format_name) return MissingMember("dataFormat");
  CENOTE_ASSIGN_OR_RETURN(schemas::DataFormat format, FormatOf(*format_name));
  const std::string compatibility = Str(in, "Compatibility").value_or("BACKWARD");
  if (!schemas::IsCompatibilityMode(compatibility)) return InvalidInput("Compatibility is not valid.");
  auto description = Str(in, "Description");
  const object* tags = TagsOf(in);
  CENOTE_RETURN_IF_ERROR(ValidateTags(tags));
  auto definition = Str(in, "SchemaDefinition");
  std::shared_ptr<const schemas::Schema> parsed;
  if (definition) {
    CENOTE_ASSIGN_OR_RETURN(parsed, Parse(format, *definition));
  }
  CENOTE_ASSIGN_OR_RETURN(std::string registry, RegistryName(s, in, true));
  const std::int64_t now = UnixNowMs();

  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(auto reg, LoadRegistry(*txn, s, registry));
  if (!reg) {
    if (services::GetObject(in, "RegistryId") != nullptr) {
      const object& id = *services::GetObject(in, "RegistryId");
      return RegistryNotFound(Str(id, "RegistryName"), Str(id, "RegistryArn"));
    }
    CENOTE_RETURN_IF_ERROR(CreateRegistryRow(*txn, s, registry, std::nullopt, now));
  }
  CENOTE_ASSIGN_OR_RETURN(auto existing, LoadSchema(*txn, s, registry, *name));
  if (existing) return AlreadyExists("Schema already exists. SchemaName: " + *name);
  CENOTE_ASSIGN_OR_RETURN(auto count,
                          txn->QueryOne("SELECT COUNT(*) FROM gsr_schemas WHERE account = ? AND region = ?",
                                        {s.account, s.region}));
  if (count && store::AsInt((*count)[0]) >= kMaxSchemas) {
    return ResourceNumberLimitExceeded("More schemas cannot be created. The maximum limit has been reached.");
  }
  SchemaRow row{.registry = registry,
                .name = *name,
                .data_format = std::string(schemas::FormatName(format)),
                .compatibility = compatibility,
                .description = description,
                .checkpoint = 0,
                .latest = 0,
                .next_version = 1,
                .created = now,
                .updated = now};
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO gsr_schemas (account, region, registry, name, data_format, compatibility, description,"
      " checkpoint, latest, next_version, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {s.account, s.region, registry, *name, row.data_format, compatibility,
       description ? store::Value(*description) : store::Value(nullptr), std::int64_t{0}, std::int64_t{0},
       std::int64_t{1}, now, now}));
  object version;
  if (parsed) {
    // The first version: no compatibility check, and it becomes the checkpoint.
    CENOTE_ASSIGN_OR_RETURN(version, AddVersion(*txn, s, row, *definition, *parsed, now));
  }
  CENOTE_RETURN_IF_ERROR(PutTags(*txn, s, "schema/" + registry + "/" + *name, tags));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  object out = SchemaOutput(s, row);
  if (row.checkpoint == 0) out.erase("SchemaCheckpoint");
  if (tags != nullptr) out["Tags"] = *tags;
  if (!version.empty()) {
    out["SchemaVersionId"] = version["SchemaVersionId"];
    out["SchemaVersionStatus"] = version["Status"];
  }
  return out;
}

Result<object> SchemaRegistry::GetSchema(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  object out = SchemaOutput(s, r);
  if (r.checkpoint == 0) out.erase("SchemaCheckpoint");
  out["CreatedTime"] = Timestamp(r.created);
  out["UpdatedTime"] = Timestamp(r.updated);
  return out;
}

Result<object> SchemaRegistry::ListSchemas(const Scope& s, const object& in) {
  const std::int64_t size = PageSize(in, 100);
  std::string after;
  if (auto token = Str(in, "NextToken"); token && !token->empty()) {
    CENOTE_ASSIGN_OR_RETURN(after, Unhex(*token));
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  std::string sql =
      "SELECT registry, name, description, created, updated FROM gsr_schemas WHERE account = ? AND region = "
      "? AND "
      "registry || '/' || name > ?";
  std::vector<store::Value> params = {s.account, s.region, after};
  if (services::GetObject(in, "RegistryId") != nullptr) {
    CENOTE_ASSIGN_OR_RETURN(RegistryRow r, ExistingRegistry(*txn, s, in));
    sql += " AND registry = ?";
    params.emplace_back(r.name);
  }
  sql += " ORDER BY registry || '/' || name LIMIT ?";
  params.emplace_back(size + 1);
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, params));
  json::array items;
  std::string next;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<std::int64_t>(i) == size) {
      next = Hex(store::AsText(rows[i - 1][0]) + "/" + store::AsText(rows[i - 1][1]));
      break;
    }
    const std::string registry = store::AsText(rows[i][0]);
    const std::string name = store::AsText(rows[i][1]);
    object item{
        {"RegistryName", registry}, {"SchemaName", name}, {"SchemaArn", SchemaArn(s, registry, name)}};
    if (auto d = OptText(rows[i][2])) item["Description"] = *d;
    item["SchemaStatus"] = "AVAILABLE";
    item["CreatedTime"] = Timestamp(store::AsInt(rows[i][3]));
    item["UpdatedTime"] = Timestamp(store::AsInt(rows[i][4]));
    items.push_back(std::move(item));
  }
  object out{{"Schemas", std::move(items)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<object> SchemaRegistry::UpdateSchema(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  auto compatibility = Str(in, "Compatibility");
  auto description = Str(in, "Description");
  const object* number = services::GetObject(in, "SchemaVersionNumber");
  if (compatibility && !schemas::IsCompatibilityMode(*compatibility))
    return InvalidInput("Compatibility is not valid.");
  if (!compatibility && number == nullptr && !description) {
    return InvalidInput(
        "At least one of Compatibility, SchemaVersionNumber or Description has to be provided.");
  }
  // AWS: "If the value for Compatibility is provided, the VersionNumber (a checkpoint) is also required."
  if (compatibility && number == nullptr) {
    return InvalidInput("SchemaVersionNumber (the checkpoint) is required when Compatibility is provided.");
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  if (number != nullptr) {
    CENOTE_ASSIGN_OR_RETURN(std::int64_t n, VersionNumberOf(*number, r));
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            LoadVersions(*txn, s, r, " AND version = ? AND status = 'AVAILABLE'", {n}));
    if (rows.empty()) return VersionNotFound(ref, number);
    r.checkpoint = n;
  }
  if (compatibility) r.compatibility = *compatibility;
  if (description) r.description = *description;
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE gsr_schemas SET compatibility = ?, description = ?, checkpoint = ?, updated = ? "
                "WHERE account = ? AND "
                "region = ? AND registry = ? AND name = ?",
                {r.compatibility, r.description ? store::Value(*r.description) : store::Value(nullptr),
                 r.checkpoint, UnixNowMs(), s.account, s.region, r.registry, r.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return object{
      {"SchemaArn", SchemaArn(s, r.registry, r.name)}, {"SchemaName", r.name}, {"RegistryName", r.registry}};
}

Result<object> SchemaRegistry::DeleteSchema(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  CENOTE_RETURN_IF_ERROR(DeleteSchemaRows(*txn, s, r.registry, r.name));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return object{
      {"SchemaArn", SchemaArn(s, r.registry, r.name)}, {"SchemaName", r.name}, {"Status", "DELETING"}};
}

// ---- versions

Result<object> SchemaRegistry::RegisterSchemaVersion(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  auto definition = Str(in, "SchemaDefinition");
  if (!definition) return MissingMember("schemaDefinition");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  CENOTE_ASSIGN_OR_RETURN(schemas::DataFormat format, FormatOf(r.data_format));
  if (r.compatibility == "DISABLED" && r.next_version > 1) {
    return InvalidInput("Compatibility DISABLED does not allow versioning. SchemaId: SchemaId(schemaArn=" +
                        ref.arn.value_or("null") + ", schemaName=" + ref.schema +
                        ", registryName=" + ref.registry + ")");
  }
  CENOTE_ASSIGN_OR_RETURN(auto parsed, Parse(format, *definition));
  CENOTE_ASSIGN_OR_RETURN(object out, AddVersion(*txn, s, r, *definition, *parsed, UnixNowMs()));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return out;
}

Result<object> SchemaRegistry::GetSchemaVersion(const Scope& s, const object& in) {
  if (!Str(in, "SchemaVersionId") && services::GetObject(in, "SchemaId") == nullptr &&
      services::GetObject(in, "SchemaVersionNumber") == nullptr) {
    return InvalidInput("At least one of (registryName and schemaName) or schemaArn has to be provided.");
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(ResolvedVersion rv, VersionOf(*txn, s, in));
  return object{{"SchemaVersionId", rv.version.id},
                {"SchemaDefinition", rv.version.definition},
                {"DataFormat", rv.schema.data_format},
                {"SchemaArn", SchemaArn(s, rv.schema.registry, rv.schema.name)},
                {"VersionNumber", rv.version.version},
                {"Status", rv.version.status},
                {"CreatedTime", Timestamp(rv.version.created)}};
}

Result<object> SchemaRegistry::ListSchemaVersions(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  const std::int64_t size = PageSize(in, 100);
  std::int64_t after = 0;
  if (auto token = Str(in, "NextToken"); token && !token->empty()) {
    CENOTE_ASSIGN_OR_RETURN(std::string t, Unhex(*token));
    try {
      after = std::stoll(t);
    } catch (const std::exception&) {
      return InvalidInput("Invalid NextToken.");
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  CENOTE_ASSIGN_OR_RETURN(auto rows, LoadVersions(*txn, s, r, " AND version > ?", {after}));
  json::array items;
  std::string next;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<std::int64_t>(i) == size) {
      next = Hex(std::to_string(rows[i - 1].version));
      break;
    }
    items.push_back(VersionSummary(s, rows[i]));
  }
  object out{{"Schemas", std::move(items)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<object> SchemaRegistry::DeleteSchemaVersions(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  auto versions = Str(in, "Versions");
  if (!versions) return MissingMember("versions");
  // "5" or "5-8" (the model's pattern).
  std::int64_t from = 0;
  std::int64_t to = 0;
  try {
    const std::size_t dash = versions->find('-');
    from = std::stoll(versions->substr(0, dash));
    to = dash == std::string::npos ? from : std::stoll(versions->substr(dash + 1));
  } catch (const std::exception&) {
    return InvalidInput("Invalid version range: " + *versions);
  }
  if (from < 1 || to < from) return InvalidInput("Invalid version range: " + *versions);
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  // AWS: a range holding the checkpoint is refused whole (409); the first version only goes with the schema.
  if (r.checkpoint >= from && r.checkpoint <= to) {
    return GlueError(kCheckpointConflict,
                     {"The schema version " + std::to_string(r.checkpoint) +
                      " is the checkpoint of the schema and cannot be deleted. Move the checkpoint with "
                      "UpdateSchema first."});
  }
  CENOTE_ASSIGN_OR_RETURN(auto existing,
                          LoadVersions(*txn, s, r, " AND version >= ? AND version <= ?", {from, to}));
  std::map<std::int64_t, const VersionRow*> by_number;
  for (const auto& v : existing) by_number[v.version] = &v;
  CENOTE_ASSIGN_OR_RETURN(auto first,
                          txn->QueryOne("SELECT MIN(version) FROM gsr_versions WHERE account = ? AND "
                                        "region = ? AND registry = ? AND schema_name = ?",
                                        {s.account, s.region, r.registry, r.name}));
  const std::int64_t first_version = first ? store::AsInt((*first)[0]) : 0;
  json::array errors_out;
  // Errors are listed for numbers the schema has given out; the range may name many more.
  const std::int64_t last = std::min(to, r.next_version - 1);
  for (std::int64_t n = from; n <= last; ++n) {
    auto it = by_number.find(n);
    auto fail = [&](const char* code, const std::string& message) {
      errors_out.push_back(object{{"VersionNumber", n},
                                  {"ErrorDetails", object{{"ErrorCode", code}, {"ErrorMessage", message}}}});
    };
    if (it == by_number.end()) {
      fail("EntityNotFoundException", "Schema version is not found. VersionNumber: " + std::to_string(n));
      continue;
    }
    if (n == first_version) {
      fail("InvalidInputException", "The first schema version cannot be deleted; DeleteSchema deletes it.");
      continue;
    }
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("DELETE FROM gsr_version_metadata WHERE version_id = ?", {it->second->id}));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM gsr_versions WHERE id = ?", {it->second->id}));
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto latest, txn->QueryOne("SELECT MAX(version) FROM gsr_versions WHERE account = ? AND region = ? "
                                 "AND registry = ? AND schema_name = ? AND status = 'AVAILABLE'",
                                 {s.account, s.region, r.registry, r.name}));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE gsr_schemas SET latest = ?, updated = ? WHERE account = ? AND region = ? AND "
                "registry = ? AND name = ?",
                {latest ? store::AsInt((*latest)[0]) : std::int64_t{0}, UnixNowMs(), s.account, s.region,
                 r.registry, r.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return object{{"SchemaVersionErrors", std::move(errors_out)}};
}

Result<object> SchemaRegistry::GetSchemaByDefinition(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  auto definition = Str(in, "SchemaDefinition");
  if (!definition) return MissingMember("schemaDefinition");
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(SchemaRow r, ExistingSchema(*txn, s, ref));
  CENOTE_ASSIGN_OR_RETURN(schemas::DataFormat format, FormatOf(r.data_format));
  CENOTE_ASSIGN_OR_RETURN(auto parsed, Parse(format, *definition));
  CENOTE_ASSIGN_OR_RETURN(auto rows, LoadVersions(*txn, s, r, " AND canonical = ?", {parsed->canonical()}));
  if (rows.empty()) {
    return EntityNotFound("Schema version is not found. RegistryName: " + ref.registry +
                          ", SchemaName: " + ref.schema + ", SchemaArn: " + ref.arn.value_or("null"));
  }
  const VersionRow& v = rows.front();
  return object{{"SchemaVersionId", v.id},
                {"SchemaArn", SchemaArn(s, r.registry, r.name)},
                {"DataFormat", r.data_format},
                {"Status", v.status},
                {"CreatedTime", Timestamp(v.created)}};
}

Result<object> SchemaRegistry::CheckSchemaVersionValidity(const Scope&, const object& in) {
  auto format_name = Str(in, "DataFormat");
  if (!format_name) return MissingMember("dataFormat");
  auto definition = Str(in, "SchemaDefinition");
  if (!definition) return MissingMember("schemaDefinition");
  CENOTE_ASSIGN_OR_RETURN(schemas::DataFormat format, FormatOf(*format_name));
  auto parsed = schemas::ParseSchema(format, *definition);
  if (parsed) return object{{"Valid", true}};
  std::string message = parsed.error().message;
  if (message.size() > 5000) message.resize(5000);  // the model's limit on Error
  return object{{"Valid", false}, {"Error", message}};
}

Result<object> SchemaRegistry::GetSchemaVersionsDiff(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(SchemaRef ref, SchemaRefOf(s, in));
  const object* first = services::GetObject(in, "FirstSchemaVersionNumber");
  const object* second = services::GetObject(in, "SecondSchemaVersionNumber");
  if (first == nullptr) return MissingMember("firstSchemaVersionNumber");
  if (second == nullptr) return MissingMember("secondSchemaVersionNumber");
  auto type = Str(in, "SchemaDiffType");
  if (!type) return MissingMember("schemaDiffType");
  if (*type != "SYNTAX_DIFF") return InvalidInput("SchemaDiffType is not valid: " + *type);
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(ResolvedVersion a, VersionByNumber(*txn, s, ref, first));
  CENOTE_ASSIGN_OR_RETURN(ResolvedVersion b, VersionByNumber(*txn, s, ref, second));
  CENOTE_ASSIGN_OR_RETURN(schemas::DataFormat format, FormatOf(a.schema.data_format));
  CENOTE_ASSIGN_OR_RETURN(auto pa, Parse(format, a.version.definition));
  CENOTE_ASSIGN_OR_RETURN(auto pb, Parse(format, b.version.definition));
  return object{{"Diff", schemas::SyntaxDiff(*pa, *pb)}};
}

// ---- version metadata

Result<object> SchemaRegistry::PutSchemaVersionMetadata(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto kv, MetadataPair(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(ResolvedVersion rv, VersionOf(*txn, s, in));
  CENOTE_ASSIGN_OR_RETURN(auto exists,
                          txn->QueryOne("SELECT 1 FROM gsr_version_metadata WHERE version_id = ? AND "
                                        "meta_key = ? AND meta_value = ?",
                                        {rv.version.id, kv.first, kv.second}));
  if (exists) {
    return AlreadyExists("Resource already exist for schema version id: " + rv.version.id +
                         ", metadata key: " + kv.first + ", metadata value: " + kv.second);
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto count,
      txn->QueryOne("SELECT COUNT(*) FROM gsr_version_metadata WHERE version_id = ?", {rv.version.id}));
  if (count && store::AsInt((*count)[0]) >= kMaxMetadataPerVersion) {
    return ResourceNumberLimitExceeded(
        "Your resource limits for Schema Version Metadata have been exceeded.");
  }
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO gsr_version_metadata (version_id, meta_key, meta_value, created) VALUES (?, ?, ?, ?)",
      {rv.version.id, kv.first, kv.second, UnixNowMs()}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return MetadataOutput(s, rv, kv.first, kv.second);
}

Result<object> SchemaRegistry::QuerySchemaVersionMetadata(const Scope& s, const object& in) {
  const std::int64_t size = PageSize(in, 50);
  std::string after;
  if (auto token = Str(in, "NextToken"); token && !token->empty()) {
    CENOTE_ASSIGN_OR_RETURN(after, Unhex(*token));
  }
  // MetadataList: pairs to match (a pair without a value matches every value of its key).
  std::vector<std::pair<std::string, std::optional<std::string>>> filters;
  if (const json::array* list = services::GetArray(in, "MetadataList")) {
    for (const auto& e : *list) {
      if (!e.is_object()) continue;
      auto key = Str(e.get_object(), "MetadataKey");
      if (!key) continue;
      filters.emplace_back(*key, Str(e.get_object(), "MetadataValue"));
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read(metadata_));
  CENOTE_ASSIGN_OR_RETURN(ResolvedVersion rv, VersionOf(*txn, s, in));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, txn->Query("SELECT meta_key, meta_value, created FROM gsr_version_metadata WHERE "
                            "version_id = ? AND meta_key > ? ORDER BY meta_key, created DESC, meta_value",
                            {rv.version.id, after}));
  // Newest value first per key; the others under OtherMetadataValueList.
  std::map<std::string, std::vector<std::pair<std::string, std::int64_t>>> by_key;
  for (const auto& r : rows) {
    const std::string key = store::AsText(r[0]);
    const std::string value = store::AsText(r[1]);
    bool keep = filters.empty();
    for (const auto& [fk, fv] : filters) keep = keep || (fk == key && (!fv || *fv == value));
    if (keep) by_key[key].emplace_back(value, store::AsInt(r[2]));
  }
  object map;
  std::string next;
  std::int64_t n = 0;
  for (const auto& [key, values] : by_key) {
    if (n == size) {
      next = Hex(std::prev(map.end())->key());
      break;
    }
    object info{{"MetadataValue", values.front().first}, {"CreatedTime", Timestamp(values.front().second)}};
    json::array others;
    for (std::size_t i = 1; i < values.size(); ++i) {
      others.push_back(
          object{{"MetadataValue", values[i].first}, {"CreatedTime", Timestamp(values[i].second)}});
    }
    if (!others.empty()) info["OtherMetadataValueList"] = std::move(others);
    map[key] = std::move(info);
    ++n;
  }
  object out{{"MetadataInfoMap", std::move(map)}, {"SchemaVersionId", rv.version.id}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<object> SchemaRegistry::RemoveSchemaVersionMetadata(const Scope& s, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto kv, MetadataPair(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write(metadata_));
  CENOTE_ASSIGN_OR_RETURN(ResolvedVersion rv, VersionOf(*txn, s, in));
  CENOTE_ASSIGN_OR_RETURN(
      std::int64_t removed,
      txn->Exec("DELETE FROM gsr_version_metadata WHERE version_id = ? AND meta_key = ? AND "
                "meta_value = ?",
                {rv.version.id, kv.first, kv.second}));
  if (removed == 0) {
    return EntityNotFound("Resource not found for schema version id: " + rv.version.id +
                          ", metadata key: " + kv.first + ", metadata value: " + kv.second);
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return MetadataOutput(s, rv, kv.first, kv.second);
}

}  // namespace cenote::glue
