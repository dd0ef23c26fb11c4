// Catalog on the MetadataStore: schema, shared helpers, databases and tags. Every public method is one
// transaction, so a crash leaves either the whole change or none of it.
#include <chrono>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"

namespace cenote::glue {
namespace internal {

// Schema of component "glue": one entry per schema version; append, never edit. v2 made the catalog
// regional (one per account and region, as on AWS): every table gains (account, region) at the head of its
// key, and the rows of v1 belong to the default account's catalog in the default region (spliced into the
// statements as SQL string literals).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region) {
  const std::string defaults =
      store::SqlStringLiteral(default_account) + ", " + store::SqlStringLiteral(default_region);
  return {
      "CREATE TABLE glue_databases (name TEXT NOT NULL PRIMARY KEY, doc TEXT NOT NULL);"
      "CREATE TABLE glue_tables (db TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY (db, name));"
      "CREATE TABLE glue_table_versions (db TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY (db, name, version));"
      "CREATE TABLE glue_partitions (db TEXT NOT NULL, tbl TEXT NOT NULL, pkey TEXT NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY (db, tbl, pkey));"
      "CREATE TABLE glue_tags (scope TEXT NOT NULL, tag_key TEXT NOT NULL, tag_value TEXT NOT NULL,"
      " PRIMARY KEY (scope, tag_key));",
      "CREATE TABLE glue_databases_v2 (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY (account, region, name));"
      "INSERT INTO glue_databases_v2 SELECT " +
          defaults +
          ", name, doc FROM glue_databases;"
          "DROP TABLE glue_databases; ALTER TABLE glue_databases_v2 RENAME TO glue_databases;"
          "CREATE TABLE glue_tables_v2 (account TEXT NOT NULL, region TEXT NOT NULL, db TEXT NOT NULL,"
          " name TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,"
          " PRIMARY KEY (account, region, db, name));"
          "INSERT INTO glue_tables_v2 SELECT " +
          defaults +
          ", db, name, version, doc FROM glue_tables;"
          "DROP TABLE glue_tables; ALTER TABLE glue_tables_v2 RENAME TO glue_tables;"
          "CREATE TABLE glue_table_versions_v2 (account TEXT NOT NULL, region TEXT NOT NULL, db TEXT NOT "
          "NULL,"
          " name TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,"
          " PRIMARY KEY (account, region, db, name, version));"
          "INSERT INTO glue_table_versions_v2 SELECT " +
          defaults +
          ", db, name, version, doc"
          " FROM glue_table_versions;"
          "DROP TABLE glue_table_versions; ALTER TABLE glue_table_versions_v2 RENAME TO glue_table_versions;"
          "CREATE TABLE glue_partitions_v2 (account TEXT NOT NULL, region TEXT NOT NULL, db TEXT NOT NULL,"
          " tbl TEXT NOT NULL, pkey TEXT NOT NULL, doc TEXT NOT NULL,"
          " PRIMARY KEY (account, region, db, tbl, pkey));"
          "INSERT INTO glue_partitions_v2 SELECT " +
          defaults +
          ", db, tbl, pkey, doc FROM glue_partitions;"
          "DROP TABLE glue_partitions; ALTER TABLE glue_partitions_v2 RENAME TO glue_partitions;"
          "CREATE TABLE glue_tags_v2 (account TEXT NOT NULL, region TEXT NOT NULL, scope TEXT NOT NULL,"
          " tag_key TEXT NOT NULL, tag_value TEXT NOT NULL, PRIMARY KEY (account, region, scope, tag_key));"
          "INSERT INTO glue_tags_v2 SELECT " +
          defaults +
          ", scope, tag_key, tag_value FROM glue_tags;"
          "DROP TABLE glue_tags; ALTER TABLE glue_tags_v2 RENAME TO glue_tags;",
      // v3: the catalog's encryption settings (PutDataCatalogEncryptionSettings), one row per catalog.
      "CREATE TABLE glue_catalog_settings (account TEXT NOT NULL, region TEXT NOT NULL, doc TEXT NOT NULL,"
      " PRIMARY KEY (account, region));",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/glue/fresh_schema.inc"
      ;
}

namespace {

bool SingleLine(std::string_view s, bool multi_line) {
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t' && !(multi_line && (c == '\r' || c == '\n'))) return false;
  }
  return true;
}

// Length in characters (UTF-8 code points), as the model's limits count.
std::size_t CharLength(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

constexpr std::size_t kMaxTagsPerResource = 50;

// Glue's string patterns: single-line (names, formats, column types and comments) and multi-line
// (descriptions, locations).
constexpr std::string_view kSingleLinePattern =
    "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*";
constexpr std::string_view kMultiLinePattern =
    "[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*";

// The value as the parse stage echoes it: quoted, cut after 512 characters.
std::string Echo(std::string_view s) {
  std::string out = "'";
  std::size_t chars = 0, i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++chars > 512) break;
  }
  out.append(s.substr(0, i));
  if (i < s.size()) out.append("...(truncated)");
  out += '\'';
  return out;
}

}  // namespace

Status ValidateName(const boost::json::value* v, const std::string& path) {
  if (v == nullptr || v->is_null()) return ConstraintViolation("null", path, "Member must not be null");
  if (!v->is_string()) return InvalidInput("Value at '" + path + "' must be a string.");
  const std::string_view s = v->get_string();
  // The order the parse stage reports them in: pattern, then minimum, then maximum.
  if (!SingleLine(s, false)) {
    return ConstraintViolation(
        Echo(s), path, "Member must satisfy regular expression pattern: " + std::string(kSingleLinePattern));
  }
  const std::size_t len = CharLength(s);
  if (len < 1 || len > 255) {
    return ConstraintViolation(Echo(s), path,
                               len < 1 ? "Member must have length greater than or equal to 1"
                                       : "Member must have length less than or equal to 255");
  }
  return Status::Ok();
}

Status ValidateOptionalString(const object& o, const char* member, const std::string& path,
                              std::size_t max_len, TextPattern pattern) {
  const auto* v = o.if_contains(member);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return InvalidInput("Value at '" + path + "' must be a string.");
  const std::string_view s = v->get_string();
  const bool multi_line = pattern == TextPattern::kMultiLine;
  if (pattern != TextPattern::kNone && !SingleLine(s, multi_line)) {
    return ConstraintViolation(Echo(s), path,
                               "Member must satisfy regular expression pattern: " +
                                   std::string(multi_line ? kMultiLinePattern : kSingleLinePattern));
  }
  if (CharLength(s) > max_len) {
    return ConstraintViolation(Echo(s), path,
                               "Member must have length less than or equal to " + std::to_string(max_len));
  }
  return Status::Ok();
}

Status ValidateColumns(const object& o, const char* member, const std::string& path) {
  const auto* v = o.if_contains(member);
  if (v == nullptr) return Status::Ok();
  if (!v->is_array()) return InvalidInput("Value at '" + path + "' must be a list.");
  const auto& cols = v->get_array();
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const std::string p = path + "." + std::to_string(i + 1) + ".member";
    if (!cols[i].is_object()) return InvalidInput("Value at '" + p + "' must be a structure.");
    CENOTE_RETURN_IF_ERROR(ValidateName(cols[i].get_object().if_contains("Name"), p + ".name"));
    CENOTE_RETURN_IF_ERROR(
        ValidateOptionalString(cols[i].get_object(), "Type", p + ".type", 131072, TextPattern::kSingleLine));
    CENOTE_RETURN_IF_ERROR(ValidateOptionalString(cols[i].get_object(), "Comment", p + ".comment", 255,
                                                  TextPattern::kSingleLine));
  }
  return Status::Ok();
}

void FoldColumnNames(object& o, const char* member) {
  auto* cols = o.if_contains(member);
  if (cols == nullptr || !cols->is_array()) return;
  for (auto& c : cols->get_array()) {
    if (!c.is_object()) continue;
    if (auto* n = c.get_object().if_contains("Name"); n && n->is_string()) *n = AsciiLower(n->get_string());
  }
}

void FoldStorageDescriptorColumns(object& o) {
  if (auto* sd = o.if_contains("StorageDescriptor"); sd && sd->is_object())
    FoldColumnNames(sd->get_object(), "Columns");
}

std::string Serialize(const object& o) { return boost::json::serialize(o); }

Result<object> ParseStored(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return InternalError("Corrupt catalog document in the metadata store.");
  return std::move(v.as_object());
}

std::string EncodeToken(const std::string& kind, const std::string& cursor) {
  return Base64Encode(kind + ":" + cursor);
}

Result<std::string> DecodeToken(const std::string& kind, const std::string& token) {
  auto raw = Base64Decode(token);
  if (!raw || raw->compare(0, kind.size() + 1, kind + ":") != 0) {
    return InvalidInput("Invalid pagination token: " + token.substr(0, 64));
  }
  return raw->substr(kind.size() + 1);
}

int ClampPageSize(int max_results, int default_size, int max_size) {
  if (max_results <= 0) return default_size;
  return max_results > max_size ? max_size : max_results;
}

std::string PartitionKeyText(const std::vector<std::string>& values) {
  boost::json::array a;
  for (const auto& v : values) a.emplace_back(v);
  return boost::json::serialize(a);
}

Result<std::vector<std::string>> PartitionValuesOf(const object& partition_input, const std::string& path) {
  const auto* v = partition_input.if_contains("Values");
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (!v->is_array()) return InvalidInput("Value at '" + path + ".values' must be a list.");
  bool too_long = false;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return InvalidInput("Value at '" + path + ".values' must be a list of strings.");
    too_long = too_long || CharLength(e.get_string()) > 1024;
    out.emplace_back(e.get_string());
  }
  if (too_long) {
    // As the parse stage reports a list of strings: the whole list, with every constraint of its members.
    std::string list = "[";
    for (std::size_t i = 0; i < out.size(); ++i) list.append(i == 0 ? "" : ", ").append(out[i]);
    list += ']';
    return ConstraintViolation(
        Echo(list), path + ".values",
        "Member must satisfy constraint: [Member must have length less than or equal to "
        "1024, Member must have length greater than or equal to 1]");
  }
  return out;
}

std::vector<PartitionKey> PartitionKeysOf(const object& table) {
  std::vector<PartitionKey> keys;
  const auto* pk = table.if_contains("PartitionKeys");
  if (pk == nullptr || !pk->is_array()) return keys;
  for (const auto& c : pk->get_array()) {
    if (!c.is_object()) continue;
    PartitionKey k;
    if (const auto* n = c.get_object().if_contains("Name"); n && n->is_string()) k.name = n->get_string();
    if (const auto* t = c.get_object().if_contains("Type"); t && t->is_string()) k.type = t->get_string();
    keys.push_back(std::move(k));
  }
  return keys;
}

// ---- databases ------------------------------------------------------------------------------------

namespace {

Status ValidateDatabaseInput(const object& in) {
  CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("Name"), "databaseInput.name"));
  CENOTE_RETURN_IF_ERROR(
      ValidateOptionalString(in, "Description", "databaseInput.description", 2048, TextPattern::kMultiLine));
  CENOTE_RETURN_IF_ERROR(
      ValidateOptionalString(in, "LocationUri", "databaseInput.locationUri", 1024, TextPattern::kMultiLine));
  if (const auto* p = in.if_contains("Parameters"); p && !p->is_object()) {
    return InvalidInput("Value at 'databaseInput.parameters' must be a map.");
  }
  return Status::Ok();
}

// The stored Database document: the input as sent, with the name folded and the catalog's members.
object BuildDatabase(const object& in, const std::string& catalog_id, std::int64_t create_time) {
  object doc = in;
  doc["Name"] = AsciiLower(in.at("Name").get_string());
  doc["CreateTime"] = create_time;
  doc["CatalogId"] = catalog_id;
  if (!doc.contains("CreateTableDefaultPermissions")) {
    // Glue's default when Lake Formation is in "IAM only" mode: tables grant ALL to IAM principals.
    boost::json::array perms;
    perms.push_back(
        boost::json::object{{"Principal", {{"DataLakePrincipalIdentifier", "IAM_ALLOWED_PRINCIPALS"}}},
                            {"Permissions", boost::json::array{"ALL"}}});
    doc["CreateTableDefaultPermissions"] = std::move(perms);
  }
  return doc;
}

}  // namespace

Status SqlCatalog::RequireDatabase(Transaction& txn, const std::string& db, const std::string& given_name) {
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn.QueryOne("SELECT 1 FROM glue_databases WHERE account = ? AND region = ? AND name = ?",
                             {account_, region_, db}));
  if (!row.has_value()) return DatabaseNotFound(given_name);
  return Status::Ok();
}

Status SqlCatalog::CreateDatabase(const object& database_input) {
  CENOTE_RETURN_IF_ERROR(ValidateDatabaseInput(database_input));
  object doc = BuildDatabase(database_input, account_, UnixNowMs());
  const std::string name(doc.at("Name").get_string());
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(
      auto existing,
      txn->QueryOne("SELECT 1 FROM glue_databases WHERE account = ? AND region = ? AND name = ?",
                    {account_, region_, name}));
  if (existing.has_value()) return AlreadyExists("Database already exists.");
  CENOTE_ASSIGN_OR_RETURN(
      auto count, txn->QueryOne("SELECT COUNT(*) FROM glue_databases WHERE account = ? AND region = ?",
                                {account_, region_}));
  if (count.has_value() && store::AsInt((*count)[0]) >= kMaxDatabasesPerCatalog) {
    return ResourceNumberLimitExceeded("The number of databases has reached the quota of " +
                                       std::to_string(kMaxDatabasesPerCatalog) + ".");
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO glue_databases (account, region, name, doc) VALUES (?, ?, ?, ?)",
                {account_, region_, name, stored}));
  return txn->Commit();
}

Result<object> SqlCatalog::GetDatabase(const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne("SELECT doc FROM glue_databases WHERE account = ? AND region = ? AND name = ?",
                              {account_, region_, AsciiLower(name)}));
  if (!row.has_value()) return DatabaseNotFound(name);
  return Open(store::AsText((*row)[0]));
}

Result<Page> SqlCatalog::GetDatabases(const std::string& next_token, int max_results) {
  std::string after;
  if (!next_token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto c, DecodeToken("db", next_token));
    after = c;
  }
  const int limit = ClampPageSize(max_results, 100, 1000);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT name, doc FROM glue_databases WHERE account = ? AND region = ? "
                                     "AND name > ? ORDER BY name LIMIT ?",
                                     {account_, region_, after, static_cast<std::int64_t>(limit) + 1}));
  Page page;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(limit); ++i) {
    CENOTE_ASSIGN_OR_RETURN(auto doc, Open(store::AsText(rows[i][1])));
    page.items.push_back(std::move(doc));
  }
  if (rows.size() > static_cast<std::size_t>(limit)) {
    page.next_token = EncodeToken("db", store::AsText(rows[limit - 1][0]));
  }
  return page;
}

Status SqlCatalog::UpdateDatabase(const std::string& name, const object& database_input) {
  CENOTE_RETURN_IF_ERROR(ValidateDatabaseInput(database_input));
  const std::string db = AsciiLower(name);
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne("SELECT doc FROM glue_databases WHERE account = ? AND region = ? AND name = ?",
                              {account_, region_, db}));
  if (!row.has_value()) return DatabaseNotFound(name);
  CENOTE_ASSIGN_OR_RETURN(auto old, Open(store::AsText((*row)[0])));
  if (AsciiLower(database_input.at("Name").get_string()) != db) {
    // Glue keeps a database's tables under its name; renaming through UpdateDatabase is refused.
    return InvalidInput("Database cannot be renamed");
  }
  std::int64_t create_time = UnixNowMs();
  if (const auto* ct = old.if_contains("CreateTime"); ct && ct->is_int64()) create_time = ct->get_int64();
  object doc = BuildDatabase(database_input, account_, create_time);
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE glue_databases SET doc = ? WHERE account = ? AND region = ? AND name = ?",
                {stored, account_, region_, db}));
  return txn->Commit();
}

Status SqlCatalog::DeleteDatabase(const std::string& name) {
  const std::string db = AsciiLower(name);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(RequireDatabase(*txn, db, name));
  const std::string table_scope = "table/" + db + "/";
  for (const char* sql : {"DELETE FROM glue_partitions WHERE account = ? AND region = ? AND db = ?",
                          "DELETE FROM glue_table_versions WHERE account = ? AND region = ? AND db = ?",
                          "DELETE FROM glue_tables WHERE account = ? AND region = ? AND db = ?",
                          "DELETE FROM glue_databases WHERE account = ? AND region = ? AND name = ?"}) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(sql, {account_, region_, db}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "DELETE FROM glue_tags WHERE account = ? AND region = ? AND (scope = ? OR substr(scope, 1, ?) = ?)",
      {account_, region_, "database/" + db, static_cast<std::int64_t>(table_scope.size()), table_scope}));
  CENOTE_RETURN_IF_ERROR(CatalogObjects::DeleteScope(*txn, account_, region_, {db}));
  return txn->Commit();
}

// ---- tags -----------------------------------------------------------------------------------------

Result<std::string> SqlCatalog::TagScope(Transaction& txn, const std::string& resource_arn) {
  // arn:<partition>:glue:<region>:<account>:<resource>
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t colon = resource_arn.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(resource_arn.substr(start, colon - start));
    start = colon + 1;
  }
  if (parts.size() != 5 || parts[0] != "arn" || parts[2] != "glue" || start >= resource_arn.size()) {
    return InvalidInput("Invalid ResourceArn: " + resource_arn);
  }
  if (parts[4] != account_) {
    return GlueError(errors::kCrossAccountArn, {resource_arn});
  }
  const std::string resource = resource_arn.substr(start);
  if (resource == "catalog") return resource;
  if (resource.rfind("database/", 0) == 0) {
    const std::string db = AsciiLower(resource.substr(9));
    if (db.empty() || db.find('/') != std::string::npos)
      return InvalidInput("Invalid ResourceArn: " + resource_arn);
    CENOTE_RETURN_IF_ERROR(RequireDatabase(txn, db, resource.substr(9)));
    return "database/" + db;
  }
  if (resource.rfind("table/", 0) == 0) {
    const std::string rest = resource.substr(6);
    const std::size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 >= rest.size()) {
      return InvalidInput("Invalid ResourceArn: " + resource_arn);
    }
    const std::string db = AsciiLower(rest.substr(0, slash));
    const std::string tbl = AsciiLower(rest.substr(slash + 1));
    CENOTE_RETURN_IF_ERROR(LoadTable(txn, db, tbl));
    return "table/" + db + "/" + tbl;
  }
  // Crawlers, jobs, ...: Cenote keeps their tags here too, keyed by the resource as given.
  if (resource.find('/') == std::string::npos) return InvalidInput("Invalid ResourceArn: " + resource_arn);
  return resource;
}

std::unique_ptr<SqlCatalog> SqlCatalog::OtherRegionOf(const std::string& resource_arn) const {
  // arn:<partition>:glue:<region>:...: a Glue ARN names the region of the catalog that holds the resource.
  const std::vector<std::string_view> parts = SplitString(resource_arn, ':');
  if (parts.size() < 6 || parts[3].empty() || parts[3] == region_) return nullptr;
  return std::make_unique<SqlCatalog>(metadata_, account_, std::string(parts[3]), encryption_, accessor_);
}

Result<object> SqlCatalog::GetTags(const std::string& resource_arn) {
  if (auto other = OtherRegionOf(resource_arn)) return other->GetTags(resource_arn);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto scope, TagScope(*txn, resource_arn));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query(
          "SELECT tag_key, tag_value FROM glue_tags WHERE account = ? AND region = ? AND scope = ? ORDER BY "
          "tag_key",
          {account_, region_, scope}));
  object tags;
  for (const auto& r : rows) tags[store::AsText(r[0])] = store::AsText(r[1]);
  return tags;
}

Status SqlCatalog::TagResource(const std::string& resource_arn, const object& tags_to_add) {
  if (auto other = OtherRegionOf(resource_arn)) return other->TagResource(resource_arn, tags_to_add);
  for (const auto& [k, v] : tags_to_add) {
    if (k.empty() || CharLength(k) > 128) {
      return InvalidInput("Tag keys must be between 1 and 128 characters: " + std::string(k));
    }
    if (!v.is_string() || CharLength(v.get_string()) > 256) {
      return InvalidInput("Tag values must be strings of at most 256 characters (key " + std::string(k) +
                          ").");
    }
    if (std::string_view(k).rfind("aws:", 0) == 0) {
      return InvalidInput("Tag keys cannot start with the reserved prefix aws: (" + std::string(k) + ").");
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto scope, TagScope(*txn, resource_arn));
  for (const auto& [k, v] : tags_to_add) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(
        "INSERT INTO glue_tags (account, region, scope, tag_key, tag_value) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (account, region, scope, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
        {account_, region_, scope, std::string(k), std::string(v.get_string())}));
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto count,
      txn->QueryOne("SELECT COUNT(*) FROM glue_tags WHERE account = ? AND region = ? AND scope = ?",
                    {account_, region_, scope}));
  if (count.has_value() && store::AsInt((*count)[0]) > static_cast<std::int64_t>(kMaxTagsPerResource)) {
    return InvalidInput("A resource can have at most 50 tags.");  // rolled back with the transaction
  }
  return txn->Commit();
}

Status SqlCatalog::UntagResource(const std::string& resource_arn, const std::vector<std::string>& keys) {
  if (auto other = OtherRegionOf(resource_arn)) return other->UntagResource(resource_arn, keys);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto scope, TagScope(*txn, resource_arn));
  for (const auto& k : keys) {
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("DELETE FROM glue_tags WHERE account = ? AND region = ? AND scope = ? AND tag_key = ?",
                  {account_, region_, scope, k}));
  }
  return txn->Commit();
}

Status SqlCatalog::DropTags(const std::string& resource_arn) {
  if (auto other = OtherRegionOf(resource_arn)) return other->DropTags(resource_arn);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto scope, TagScope(*txn, resource_arn));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM glue_tags WHERE account = ? AND region = ? AND scope = ?",
                                   {account_, region_, scope}));
  return txn->Commit();
}

}  // namespace internal

Result<std::unique_ptr<Catalog>> Catalog::Open(store::MetadataStore& metadata, std::string default_account,
                                               std::string default_region) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("glue", internal::Migrations(default_account, default_region),
                                          internal::FreshSchema()));
  CENOTE_ASSIGN_OR_RETURN(auto objects, CatalogObjects::Open(metadata));
  std::unique_ptr<Catalog> catalog(new Catalog(metadata));
  catalog->objects_ = std::move(objects);
  return catalog;
}

std::unique_ptr<RegionalCatalog> Catalog::ForRegion(std::string account_id, std::string region,
                                                    std::optional<aws::Caller> accessor) const {
  return std::make_unique<internal::SqlCatalog>(metadata_, std::move(account_id), std::move(region),
                                                &encryption_, std::move(accessor));
}

}  // namespace cenote::glue
