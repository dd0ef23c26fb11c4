// Catalog: partitions. A partition is stored under its values as a JSON array (its unique key); the
// document is the PartitionInput as sent plus DatabaseName, TableName, CreationTime and CatalogId.
#include "common/clock.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"

namespace cenote::glue::internal {
namespace {

constexpr std::int64_t kScanChunk = 1000;

// The values of a stored partition, from its key (a JSON array: much smaller than the document, so the
// filter runs before the document is parsed).
Result<std::vector<std::string>> KeyValues(const std::string& pkey) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(pkey, ec);
  if (ec || !v.is_array()) return InternalError("Corrupt partition key in the metadata store.");
  std::vector<std::string> values;
  for (const auto& e : v.get_array()) values.emplace_back(e.is_string() ? e.get_string() : "");
  return values;
}

}  // namespace

Result<object> SqlCatalog::BuildPartition(const object& table, const object& partition_input,
                                          std::int64_t creation_time, std::vector<std::string>* values_out) {
  CENOTE_ASSIGN_OR_RETURN(auto values, PartitionValuesOf(partition_input, "partitionInput"));
  const auto keys = PartitionKeysOf(table);
  if (keys.empty()) {
    return InvalidInput("Table " + std::string(table.at("Name").get_string()) + " has no partition keys.");
  }
  if (values.size() != keys.size()) {
    return InvalidInput("The number of partition keys do not match the number of partition values.");
  }
  if (const auto* sd = partition_input.if_contains("StorageDescriptor")) {
    if (!sd->is_object())
      return InvalidInput("Value at 'partitionInput.storageDescriptor' must be a structure.");
    CENOTE_RETURN_IF_ERROR(
        ValidateColumns(sd->get_object(), "Columns", "partitionInput.storageDescriptor.columns"));
    CENOTE_RETURN_IF_ERROR(ValidateOptionalString(sd->get_object(), "Location",
                                                  "partitionInput.storageDescriptor.location", 2056,
                                                  TextPattern::kMultiLine));
  }
  if (const auto* p = partition_input.if_contains("Parameters"); p && !p->is_object()) {
    return InvalidInput("Value at 'partitionInput.parameters' must be a map.");
  }
  object doc = partition_input;
  boost::json::array vals;
  for (const auto& v : values) vals.emplace_back(v);
  doc["Values"] = std::move(vals);
  FoldStorageDescriptorColumns(doc);
  doc["DatabaseName"] = table.at("DatabaseName");
  doc["TableName"] = table.at("Name");
  doc["CreationTime"] = creation_time;
  doc["CatalogId"] = account_;
  *values_out = std::move(values);
  return doc;
}

Status SqlCatalog::InsertPartition(Transaction& txn, const std::string& db, const std::string& tbl,
                                   const object& table, const object& partition_input, const Sealer& sealer) {
  std::vector<std::string> values;
  CENOTE_ASSIGN_OR_RETURN(auto doc, BuildPartition(table, partition_input, UnixNowMs(), &values));
  const std::string key = PartitionKeyText(values);
  CENOTE_ASSIGN_OR_RETURN(auto existing, txn.QueryOne("SELECT 1 FROM glue_partitions WHERE account = ? AND "
                                                      "region = ? AND db = ? AND tbl = ? AND pkey = ?",
                                                      {account_, region_, db, tbl, key}));
  if (existing.has_value()) return AlreadyExists("Partition already exists.");
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("INSERT INTO glue_partitions (account, region, db, tbl, pkey, doc) VALUES (?, ?, ?, ?, ?, ?)",
               {account_, region_, db, tbl, key, stored}));
  return Status::Ok();
}

Status SqlCatalog::CreatePartition(const std::string& database, const std::string& table,
                                   const object& partition_input) {
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  CENOTE_RETURN_IF_ERROR(
      InsertPartition(*txn, AsciiLower(database), AsciiLower(table), t.doc, partition_input, sealer));
  return txn->Commit();
}

Result<std::vector<EntryError>> SqlCatalog::BatchCreatePartition(
    const std::string& database, const std::string& table, const std::vector<object>& partition_inputs) {
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  std::vector<EntryError> errors;
  for (const auto& input : partition_inputs) {
    Status s = InsertPartition(*txn, AsciiLower(database), AsciiLower(table), t.doc, input, sealer);
    if (s) continue;
    if (s.error().http_status >= 500) return std::move(s).error();
    auto values = PartitionValuesOf(input, "partitionInput");
    errors.push_back(EntryError{values ? *values : std::vector<std::string>{}, std::move(s).error()});
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return errors;
}

Result<object> SqlCatalog::GetPartition(const std::string& database, const std::string& table,
                                        const std::vector<std::string>& values) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_RETURN_IF_ERROR(LoadTable(*txn, database, table));
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT doc FROM glue_partitions WHERE account = ? AND "
                                                  "region = ? AND db = ? AND tbl = ? AND pkey = ?",
                                                  {account_, region_, AsciiLower(database), AsciiLower(table),
                                                   PartitionKeyText(values)}));
  if (!row.has_value()) return PartitionNotFound();
  return Open(store::AsText((*row)[0]));
}

Result<Page> SqlCatalog::GetPartitions(const std::string& database, const std::string& table,
                                       const std::string& expression, const std::string& next_token,
                                       int max_results) {
  if (expression.size() > 2048) {
    return InvalidInput(
        "1 validation error detected: Value at 'expression' failed to satisfy constraint: Member must have "
        "length less than or equal to 2048");
  }
  std::string cursor;
  if (!next_token.empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto c, DecodeToken("pt", next_token));
    cursor = c;
  }
  const std::size_t limit = static_cast<std::size_t>(ClampPageSize(max_results, 1000, 1000));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  CENOTE_ASSIGN_OR_RETURN(auto filter, PartitionExpression::Parse(expression, PartitionKeysOf(t.doc)));
  const std::string db = AsciiLower(database);
  const std::string tbl = AsciiLower(table);
  Page page;
  std::string last;
  bool more = false;
  while (!more) {
    CENOTE_ASSIGN_OR_RETURN(
        auto rows,
        txn->Query("SELECT pkey, doc FROM glue_partitions WHERE account = ? AND region = ? AND db = ? AND "
                   "tbl = ? AND pkey > ? ORDER BY pkey LIMIT ?",
                   {account_, region_, db, tbl, cursor, kScanChunk}));
    for (const auto& r : rows) {
      cursor = store::AsText(r[0]);
      CENOTE_ASSIGN_OR_RETURN(auto values, KeyValues(cursor));
      if (!filter.Matches(values)) continue;
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
  if (more) page.next_token = EncodeToken("pt", last);
  return page;
}

Status SqlCatalog::UpdatePartition(const std::string& database, const std::string& table,
                                   const std::vector<std::string>& values, const object& partition_input) {
  const std::string db = AsciiLower(database);
  const std::string tbl = AsciiLower(table);
  CENOTE_ASSIGN_OR_RETURN(Sealer sealer, WriteSealer());
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTable(*txn, database, table));
  const std::string old_key = PartitionKeyText(values);
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT doc FROM glue_partitions WHERE account = ? AND "
                                                  "region = ? AND db = ? AND tbl = ? AND pkey = ?",
                                                  {account_, region_, db, tbl, old_key}));
  if (!row.has_value()) return PartitionNotFound();
  CENOTE_ASSIGN_OR_RETURN(auto old, Open(store::AsText((*row)[0])));
  std::int64_t creation_time = UnixNowMs();
  if (const auto* ct = old.if_contains("CreationTime"); ct && ct->is_int64()) creation_time = ct->get_int64();
  // PartitionInput.Values may rename the partition (Glue: "the values ... of the partition to update");
  // absent values keep the old ones.
  object input = partition_input;
  if (!input.contains("Values")) input["Values"] = old.at("Values");
  std::vector<std::string> new_values;
  CENOTE_ASSIGN_OR_RETURN(auto doc, BuildPartition(t.doc, input, creation_time, &new_values));
  const std::string new_key = PartitionKeyText(new_values);
  if (new_key != old_key) {
    CENOTE_ASSIGN_OR_RETURN(auto clash, txn->QueryOne("SELECT 1 FROM glue_partitions WHERE account = ? AND "
                                                      "region = ? AND db = ? AND tbl = ? AND pkey = ?",
                                                      {account_, region_, db, tbl, new_key}));
    if (clash.has_value()) return AlreadyExists("Partition already exists.");
  }
  CENOTE_ASSIGN_OR_RETURN(std::string stored, sealer.Seal(doc));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE glue_partitions SET pkey = ?, doc = ? WHERE account = ? AND region = ? AND db = ? "
                "AND tbl = ? AND pkey = ?",
                {new_key, stored, account_, region_, db, tbl, old_key}));
  return txn->Commit();
}

Status SqlCatalog::DeletePartition(const std::string& database, const std::string& table,
                                   const std::vector<std::string>& values) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(LoadTable(*txn, database, table));
  CENOTE_ASSIGN_OR_RETURN(
      auto r,
      txn->Exec(
          "DELETE FROM glue_partitions WHERE account = ? AND region = ? AND db = ? AND tbl = ? AND pkey = ?",
          {account_, region_, AsciiLower(database), AsciiLower(table), PartitionKeyText(values)}));
  if (r == 0) return PartitionNotFound();
  return txn->Commit();
}

Result<std::vector<EntryError>> SqlCatalog::BatchDeletePartition(
    const std::string& database, const std::string& table,
    const std::vector<std::vector<std::string>>& values_list) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(LoadTable(*txn, database, table));
  std::vector<EntryError> errors;
  for (const auto& values : values_list) {
    CENOTE_ASSIGN_OR_RETURN(auto r, txn->Exec("DELETE FROM glue_partitions WHERE account = ? AND region = ? "
                                              "AND db = ? AND tbl = ? AND pkey = ?",
                                              {account_, region_, AsciiLower(database), AsciiLower(table),
                                               PartitionKeyText(values)}));
    if (r == 0) errors.push_back(EntryError{values, PartitionNotFound()});
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return errors;
}

}  // namespace cenote::glue::internal
