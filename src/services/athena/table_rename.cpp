// ALTER TABLE [db.]t RENAME TO [db2.]t2 (Athena: "querying-iceberg-alter-table-rename").
//
// Athena renames Iceberg tables only: their metadata lives in S3 under the table's location, so the Glue
// table moves to the new name (and database) and the location stays. Athena's engine (Trino) does it as its
// Glue catalog does, GetTable then CreateTable under the new name from the old definition then DeleteTable;
// the caller needs those three Glue permissions, and Cenote checks them the same way. The catalog change
// itself is one transaction (glue::RegionalCatalog::RenameTable), so a crash leaves either name, never both
// or neither. Errors are Trino's (RenameTableTask): TABLE_NOT_FOUND, SCHEMA_NOT_FOUND for a missing target
// database, TABLE_ALREADY_EXISTS.
//
// Hive tables (and views) go through Athena's Hive DDL, which asks Glue to update the table under another
// name; Glue refuses, and Athena reports the refusal as its Hive DDL task failing (the wording Athena users
// see, e.g. apache/hudi#7532): "FAILED: Execution Error, return code 1 from
// org.apache.hadoop.hive.ql.exec.DDLTask. Table cannot be renamed (Service: AmazonDataCatalog; ...)".
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

std::string Qualified(const std::string& db, const std::string& table) {
  return "awsdatacatalog." + AsciiLower(db) + "." + AsciiLower(table);
}

// A denied Glue call, as Athena reports it for the statement.
Error Denied(Error e) {
  if (e.code != "AccessDeniedException" && e.code != "AccessDenied") return e;
  return MakeError("AccessDeniedException", "Insufficient permissions to execute the query. " + e.message,
                   400);
}

}  // namespace

Status StatementRunner::AuthorizeCatalogCall(const std::string& operation, const json::object& params) {
  if (!authorize_catalog_) return Status::Ok();
  if (Status allowed = authorize_catalog_(operation, params); !allowed)
    return Denied(std::move(allowed).error());
  return Status::Ok();
}

Result<StatementOutcome> StatementRunner::RenameTable(const Statement& s, const StatementContext& ctx) {
  const std::string db = AsciiLower(s.database.empty() ? ctx.database : s.database);
  const std::string to_db = AsciiLower(s.new_database.empty() ? ctx.database : s.new_database);
  CENOTE_RETURN_IF_ERROR(
      AuthorizeCatalogCall("GetTable", json::object{{"DatabaseName", db}, {"Name", s.name}}));
  auto table = catalog_.GetTable(db, s.name);
  if (!table) {
    if (table.error().code == "EntityNotFoundException") {
      return MakeError("TABLE_NOT_FOUND", "line 1:1: Table '" + Qualified(db, s.name) + "' does not exist");
    }
    return MakeError("HIVE_METASTORE_ERROR", table.error().message);
  }
  if (!IsIcebergTable(*table)) {
    return MakeError(
        "FAILED",
        "FAILED: Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. Table "
        "cannot be renamed (Service: AmazonDataCatalog; Status Code: 400; Error Code: "
        "InvalidInputException; Request ID: " +
            NewUuidV4() + "; Proxy: null)");
  }
  if (auto target_db = catalog_.GetDatabase(to_db); !target_db) {
    if (target_db.error().code == "EntityNotFoundException") {
      return MakeError("SCHEMA_NOT_FOUND", "line 1:1: Target schema '" + to_db + "' does not exist");
    }
    return MakeError("HIVE_METASTORE_ERROR", target_db.error().message);
  }
  const std::string target = Qualified(to_db, s.new_name);
  auto already_exists = [&] {
    return MakeError("TABLE_ALREADY_EXISTS", "line 1:1: Target table '" + target + "' already exists");
  };
  if (catalog_.GetTable(to_db, s.new_name)) return already_exists();
  CENOTE_RETURN_IF_ERROR(AuthorizeCatalogCall(
      "CreateTable",
      json::object{{"DatabaseName", to_db}, {"TableInput", json::object{{"Name", s.new_name}}}}));
  CENOTE_RETURN_IF_ERROR(
      AuthorizeCatalogCall("DeleteTable", json::object{{"DatabaseName", db}, {"Name", s.name}}));
  auto st = catalog_.RenameTable(db, s.name, to_db, s.new_name, ctx.caller_arn);
  if (!st) {
    // A concurrent statement changed the catalog between the checks above and the commit.
    const Error& e = st.error();
    if (e.code == "AlreadyExistsException") return already_exists();
    if (e.code == "EntityNotFoundException") {
      return MakeError("TABLE_NOT_FOUND", "line 1:1: Table '" + Qualified(db, s.name) + "' does not exist");
    }
    if (e.code == "InvalidInputException" || e.code == "ValidationException") {
      return MakeError("FAILED", "FAILED: " + e.code + ": " + e.message);
    }
    return MakeError("ICEBERG_CATALOG_ERROR", "Failed to rename table from " + Qualified(db, s.name) +
                                                  " to " + target + ": " + e.code + ": " + e.message);
  }
  StatementOutcome o;
  o.meta.format = "txt";
  o.meta.header = false;
  o.meta.update_count = 0;
  return o;
}

}  // namespace cenote::athena
