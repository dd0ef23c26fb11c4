// Catalog: tables and table versions.
#include <limits>
#include <regex>

#include "common/clock.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"

namespace cenote::glue::internal {
namespace {

constexpr std::int64_t kScanChunk = 500;

Status ValidateTableInput(const object& in) {
  CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("Name"), "tableInput.name"));
  CENOTE_RETURN_IF_ERROR(
      ValidateOptionalString(in, "Description", "tableInput.description", 2048, TextPattern::kMultiLine));
  if (in.contains("Owner")) CENOTE_RETURN_IF_ERROR(ValidateName(in.if_contains("Owner"), "tableInput.owner"));
  CENOTE_RETURN_IF_ERROR(
      ValidateOptionalString(in, "TableType", "tableInput.tableType", 255, TextPattern::kNone));
  CENOTE_RETURN_IF_ERROR(ValidateOptionalString(in, "ViewOriginalText", "tableInput.viewOriginalText", 409600,
                                                TextPattern::kNone));
  CENOTE_RETURN_IF_ERROR(ValidateOptionalString(in, "ViewExpandedText", "tableInput.viewExpandedText", 409600,
                                                TextPattern::kNone));
  CENOTE_RETURN_IF_ERROR(ValidateColumns(in, "PartitionKeys", "tableInput.partitionKeys"));
  if (const auto* r = in.if_contains("Retention"); r && (!r->is_int64() || r->get_int64() < 0)) {
    return ConstraintViolation(r->is_int64() ? "'" + std::to_string(r->get_int64()) + "'" : "null",
                               "tableInput.retention", "Member must have value greater than or equal to 0");
  }
  if (const auto* p = in.if_contains("Parameters"); p && !p->is_object()) {
    return InvalidInput("Value at 'tableInput.parameters' must be a map.");
  }
  if (const auto* sd = in.if_contains("StorageDescriptor")) {
    if (!sd->is_object()) return InvalidInput("Value at 'tableInput.storageDescriptor' must be a structure.");
    const object& s = sd->get_object();
    CENOTE_RETURN_IF_ERROR(ValidateColumns(s, "Columns", "tableInput.storageDescriptor.columns"));
    CENOTE_RETURN_IF_ERROR(ValidateOptionalString(s, "Location", "tableInput.storageDescriptor.location",
                                                  2056, TextPattern::kMultiLine));
    CENOTE_RETURN_IF_ERROR(ValidateOptionalString(
        s, "InputFormat", "tableInput.storageDescriptor.inputFormat", 128, TextPattern::kSingleLine));
    CENOTE_RETURN_IF_ERROR(ValidateOptionalString(
        s, "OutputFormat", "tableInput.storageDescriptor.outputFormat", 128, TextPattern::kSingleLine));
  }
  // Partition key names are unique (Hive refuses duplicate columns too).
  if (const auto* pk = in.if_contains("PartitionKeys"); pk && pk->is_array()) {
    std::vector<std::string> seen;
    for (const auto& c : pk->get_array()) {
      std::string n = AsciiLower(c.get_object().at("Name").get_string());
      for (const auto& s : seen) {
        if (s == n) return InvalidInput("Duplicate partition key name: " + n);
      }
      seen.push_back(std::move(n));
    }
  }
  return Status::Ok();
}

// The stored Table document: the input as the client sent it, with the name folded and the catalog's
// members (Glue adds Retention 0 and an empty PartitionKeys list when absent).
object BuildTable(const object& in, const std::string& db, const std::string& catalog_id,
                  std::int64_t create_time, std::int64_t update_time, std::int64_t version) {
  object doc = in;
  doc["Name"] = AsciiLower(in.at("Name").get_string());
  FoldColumnNames(doc, "PartitionKeys");
  FoldStorageDescriptorColumns(doc);
  doc["DatabaseName"] = db;
  doc["CreateTime"] = create_time;
  doc["UpdateTime"] = update_time;
  if (!doc.contains("Retention")) doc["Retention"] = 0;
  if (!doc.contains("PartitionKeys")) doc["PartitionKeys"] = boost::json::array();
  doc["IsRegisteredWithLakeFormation"] = false;
  doc["CatalogId"] = catalog_id;
  doc["VersionId"] = std::to_string(version);
  return doc;
}

// GetTables' Expression, as Glue (Hive metastore) reads it: a regular expression over the whole name,
// case-insensitive, where a bare `*` is a wildcard ("sales*" -> "sales.*") and `|` separates
// alternatives. Quantified groups ("(a*)*") are refused: std::regex backtracks exponentially on them.
Result<std::optional<std::regex>> CompileTableFilter(const std::string& expression) {
  if (expression.empty()) return std::optional<std::regex>();
  if (expression.size() > 2048) {
    return InvalidInput(
        "1 validation error detected: Value at 'expression' failed to satisfy constraint: Member must have "
        "length less than or equal to 2048");
  }
  std::string re;
  for (std::size_t i = 0; i < expression.size(); ++i) {
    const char c = expression[i];
    if (c == '*' && (i == 0 || expression[i - 1] != '.')) {
      re += ".*";
    } else {
      re += c;
    }
    if ((c == ')') && i + 1 < expression.size() &&
        (expression[i + 1] == '*' || expression[i + 1] == '+' || expression[i + 1] == '{')) {
      return InvalidInput("Unsupported expression: quantified groups are not allowed: " + expression);
    }
  }
  try {
    return std::optional<std::regex>(std::regex(re, std::regex::ECMAScript | std::regex::icase));
  } catch (const std::regex_error&) {
    return InvalidInput("Invalid expression: " + expression);
  }
}

}  // namespace

Result<SqlCatalog::TableRow> SqlCatalog::LoadTable(Transaction& txn, const std::string& database,
                                                   const std::string& table) {
  const std::string db = AsciiLower(database);
  CENOTE_RETURN_IF_ERROR(RequireDatabase(txn, db, database));
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne(
          "SELECT doc, version FROM glue_tables WHERE account = ? AND region = ? AND db = ? AND name = ?",
          {account_, region_, db, AsciiLower(table)}));
  if (!row.has_value()) return TableNotFound(table);
  std::string stored = store::AsText((*row)[0]);
  CENOTE_ASSIGN_OR_RETURN(auto doc, Open(stored));
  return TableRow{.doc = std::move(doc), .version = store::AsInt((*row)[1]), .stored = std::move(stored)};
}

Status SqlCatalog::CreateTable(const std::string& database, const object& table_input) {
  CENOTE_RETURN_IF_ERROR(ValidateTableInput(table_input));
  const std::string db = AsciiLower(database);
  const std::int64_t now = UnixNowMs();
  object doc = BuildTable(table_input, db, account_, now, now, 0);
  const std::string name(doc.at("Name").get_string());
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(InsertTable(*txn, db, database, name, stored));
  return txn->Commit();
}

Status SqlCatalog::InsertTable(Transaction& txn, const std::string& db, const std::string& given_db,
                               const std::string& name, const std::string& stored) {
  CENOTE_RETURN_IF_ERROR(RequireDatabase(txn, db, given_db));
  CENOTE_ASSIGN_OR_RETURN(
      auto existing,
      txn.QueryOne("SELECT 1 FROM glue_tables WHERE account = ? AND region = ? AND db = ? AND name = ?",
                   {account_, region_, db, name}));
  if (existing.has_value()) return AlreadyExists("Table already exists.");
  CENOTE_ASSIGN_OR_RETURN(
      auto count, txn.QueryOne("SELECT COUNT(*) FROM glue_tables WHERE account = ? AND region = ? AND db = ?",
                               {account_, region_, db}));
  if (count.has_value() && store::AsInt((*count)[0]) >= kMaxTablesPerDatabase) {
    return ResourceNumberLimitExceeded("The number of tables in database " + db +
                                       " has reached the quota of " + std::to_string(kMaxTablesPerDatabase) +
                                       ".");
  }
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("INSERT INTO glue_tables (account, region, db, name, version, doc) VALUES (?, ?, ?, ?, 0, ?)",
               {account_, region_, db, name, stored}));
  return Status::Ok();
}

Result<object> SqlCatalog::GetTable(const std::string& database, const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, name));
  return std::move(t.doc);
}

Result<Page> SqlCatalog::GetTables(const std::string& database, const std::string& expression,
                                   const std::string& next_token, int max_results) {
  CENOTE_ASSIGN_OR_RETURN(auto filter, CompileTableFilter(expression));
  std::string cursor;
  if (!next_token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto c, DecodeToken("tbl", next_token));
    cursor = c;
  }
  const std::size_t limit = static_cast<std::size_t>(ClampPageSize(max_results, 100, 1000));
  const std::string db = AsciiLower(database);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_RETURN_IF_ERROR(RequireDatabase(*txn, db, database));
  Page page;
  std::string last;
  bool more = false;
  while (!more) {
    CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT name, doc FROM glue_tables WHERE account = ? AND "
                                                  "region = ? AND db = ? AND name > ? ORDER BY "
                                                  "name LIMIT ?",
                                                  {account_, region_, db, cursor, kScanChunk}));
    for (const auto& r : rows) {
      cursor = store::AsText(r[0]);
      if (filter && !std::regex_match(cursor, *filter)) continue;
      if (page.items.size() == limit) {
        more = true;
        break;
      }
      CENOTE_ASSIGN_OR_RETURN(auto doc, Open(store::AsText(r[1])));
      page.items.push_back(std::move(doc));
      last = cursor;
    }
    if (static_cast<std::int64_t>(rows.size()) < kScanChunk) break;
  }
  if (more) page.next_token = EncodeToken("tbl", last);
  return page;
}

Status SqlCatalog::UpdateTable(const std::string& database, const object& table_input, bool skip_archive) {
  return UpdateTableIfVersion(database, table_input, skip_archive, "");
}

Status SqlCatalog::UpdateTableIfVersion(const std::string& database, const object& table_input,
                                        bool skip_archive, const std::string& expected_version) {
  CENOTE_RETURN_IF_ERROR(ValidateTableInput(table_input));
  const std::string db = AsciiLower(database);
  const std::string name = AsciiLower(table_input.at("Name").get_string());
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto old, LoadTable(*txn, database, name));
  if (!expected_version.empty() && expected_version != std::to_string(old.version)) {
    return GlueError(errors::kConcurrentModification);
  }
  std::int64_t create_time = UnixNowMs();
  if (const auto* ct = old.doc.if_contains("CreateTime"); ct && ct->is_int64()) create_time = ct->get_int64();
  const std::int64_t version = old.version + 1;
  object doc = BuildTable(table_input, db, account_, create_time, UnixNowMs(), version);
  // CreatedBy is the creator's, not the updater's.
  if (const auto* by = old.doc.if_contains("CreatedBy"); by && !doc.contains("CreatedBy"))
    doc["CreatedBy"] = *by;
  if (!skip_archive) {
    CENOTE_ASSIGN_OR_RETURN(auto count, txn->QueryOne("SELECT COUNT(*) FROM glue_table_versions WHERE "
                                                      "account = ? AND region = ? AND db = ? AND name = ?",
                                                      {account_, region_, db, name}));
    if (count.has_value() && store::AsInt((*count)[0]) + 1 >= kMaxTableVersionsPerTable) {
      return ResourceNumberLimitExceeded(
          "The number of versions of table " + name + " has reached the quota of " +
          std::to_string(kMaxTableVersionsPerTable) + ". Delete old versions or update with SkipArchive.");
    }
    CENOTE_RETURN_IF_ERROR(txn->Exec(
        "INSERT INTO glue_table_versions (account, region, db, name, version, doc) VALUES (?, ?, ?, ?, ?, ?)",
        {account_, region_, db, name, old.version, old.stored}));  // archived as it was stored
  }
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "UPDATE glue_tables SET version = ?, doc = ? WHERE account = ? AND region = ? AND db = ? AND name = ?",
      {version, stored, account_, region_, db, name}));
  return txn->Commit();
}

Status SqlCatalog::DeleteTable(const std::string& database, const std::string& name) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(LoadTable(*txn, database, name));
  CENOTE_RETURN_IF_ERROR(DeleteTableRows(*txn, AsciiLower(database), AsciiLower(name)));
  return txn->Commit();
}

Status SqlCatalog::DeleteTableRows(Transaction& txn, const std::string& db, const std::string& tbl) {
  for (const char* sql :
       {"DELETE FROM glue_partitions WHERE account = ? AND region = ? AND db = ? AND tbl = ?",
        "DELETE FROM glue_table_versions WHERE account = ? AND region = ? AND db = ? AND name = ?",
        "DELETE FROM glue_tables WHERE account = ? AND region = ? AND db = ? AND name = ?"}) {
    CENOTE_RETURN_IF_ERROR(txn.Exec(sql, {account_, region_, db, tbl}));
  }
  CENOTE_RETURN_IF_ERROR(txn.Exec("DELETE FROM glue_tags WHERE account = ? AND region = ? AND scope = ?",
                                  {account_, region_, "table/" + db + "/" + tbl}));
  return CatalogObjects::DeleteScope(txn, account_, region_, {db, tbl});
}

Status SqlCatalog::RenameTable(const std::string& database, const std::string& name,
                               const std::string& new_database, const std::string& new_name,
                               const std::string& created_by) {
  const std::string db = AsciiLower(database);
  const std::string tbl = AsciiLower(name);
  const std::string to_db = AsciiLower(new_database);
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto old, LoadTable(*txn, database, name));
  // The old Table document as the TableInput Athena hands CreateTable: the catalog's own members go.
  object input = old.doc;
  for (const char* member : {"DatabaseName", "CreateTime", "UpdateTime", "VersionId", "CatalogId",
                             "IsRegisteredWithLakeFormation", "CreatedBy"}) {
    input.erase(member);
  }
  input["Name"] = new_name;
  CENOTE_RETURN_IF_ERROR(ValidateTableInput(input));
  const std::int64_t now = UnixNowMs();
  object doc = BuildTable(input, to_db, account_, now, now, 0);
  if (!created_by.empty()) doc["CreatedBy"] = created_by;
  const std::string to_name(doc.at("Name").get_string());
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  // The target must not exist, the table itself included; a failure below rolls the deletion back.
  if (to_db == db && to_name == tbl) return AlreadyExists("Table already exists.");
  CENOTE_RETURN_IF_ERROR(DeleteTableRows(*txn, db, tbl));
  CENOTE_RETURN_IF_ERROR(InsertTable(*txn, to_db, new_database, to_name, stored));
  return txn->Commit();
}

Result<Page> SqlCatalog::GetTableVersions(const std::string& database, const std::string& table,
                                          const std::string& next_token, int max_results) {
  // Newest first: the current version, then the archived ones. The cursor is the last VersionId sent.
  std::int64_t below = std::numeric_limits<std::int64_t>::max();
  if (!next_token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto c, DecodeToken("ver", next_token));
    try {
      below = std::stoll(c);
    } catch (const std::exception&) {
      return InvalidInput("Invalid pagination token: " + next_token.substr(0, 64));
    }
  }
  const std::size_t limit = static_cast<std::size_t>(ClampPageSize(max_results, 100, 1000));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  std::vector<std::pair<std::int64_t, object>> versions;
  if (t.version < below) versions.emplace_back(t.version, std::move(t.doc));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT version, doc FROM glue_table_versions WHERE account "
                                                "= ? AND region = ? AND db = ? AND name = ? AND version < ? "
                                                "ORDER BY version DESC LIMIT ?",
                                                {account_, region_, AsciiLower(database), AsciiLower(table),
                                                 below, static_cast<std::int64_t>(limit) + 1}));
  for (const auto& r : rows) {
    CENOTE_ASSIGN_OR_RETURN(auto doc, Open(store::AsText(r[1])));
    versions.emplace_back(store::AsInt(r[0]), std::move(doc));
  }
  Page page;
  for (std::size_t i = 0; i < versions.size() && i < limit; ++i) {
    page.items.push_back(
        object{{"Table", std::move(versions[i].second)}, {"VersionId", std::to_string(versions[i].first)}});
  }
  if (versions.size() > limit)
    page.next_token = EncodeToken("ver", std::to_string(versions[limit - 1].first));
  return page;
}

namespace {

std::optional<std::int64_t> ParseVersionId(const std::string& id) {
  if (id.empty() || id.size() > 18) return std::nullopt;
  for (char c : id) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::stoll(id);
}

}  // namespace

Result<object> SqlCatalog::GetTableVersion(const std::string& database, const std::string& table,
                                           const std::string& version_id) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  if (version_id.empty()) {
    return object{{"Table", std::move(t.doc)}, {"VersionId", std::to_string(t.version)}};
  }
  auto v = ParseVersionId(version_id);
  if (!v) return VersionNotFound();
  if (*v == t.version) return object{{"Table", std::move(t.doc)}, {"VersionId", version_id}};
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT doc FROM glue_table_versions WHERE account = ? AND region = "
                                        "? AND db = ? AND name = ? AND version = ?",
                                        {account_, region_, AsciiLower(database), AsciiLower(table), *v}));
  if (!row.has_value()) return VersionNotFound();
  CENOTE_ASSIGN_OR_RETURN(auto doc, Open(store::AsText((*row)[0])));
  return object{{"Table", std::move(doc)}, {"VersionId", std::to_string(*v)}};
}

Status SqlCatalog::DeleteTableVersion(const std::string& database, const std::string& table,
                                      const std::string& version_id) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  auto v = ParseVersionId(version_id);
  if (!v) return VersionNotFound();
  if (*v == t.version)
    return InvalidInput("Cannot delete the current version of table " + AsciiLower(table) + ".");
  CENOTE_ASSIGN_OR_RETURN(auto r,
                          txn->Exec("DELETE FROM glue_table_versions WHERE account = ? AND region = ? AND db "
                                    "= ? AND name = ? AND version = ?",
                                    {account_, region_, AsciiLower(database), AsciiLower(table), *v}));
  if (r == 0) return VersionNotFound();
  return txn->Commit();
}

}  // namespace cenote::glue::internal
