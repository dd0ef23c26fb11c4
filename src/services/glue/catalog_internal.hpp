// The MetadataStore implementation of Catalog (catalog.cpp: databases, tags, shared helpers;
// catalog_tables.cpp: tables and versions; catalog_partitions.cpp: partitions). Private to src/services/glue.
#pragma once

#include <string.h>  // explicit_bzero

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/mutex.hpp"
#include "common/strings.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/partition_expression.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue::internal {

using boost::json::array;
using store::Transaction;

// Glue's NameString: 1..255 characters of the single-line pattern (no control characters but tab).
// `path` is the member path for the message ("databaseInput.name").
Status ValidateName(const boost::json::value* v, const std::string& path);
// The character rule of a string shape in Glue's model: none (TableTypeString, ViewTextString), the
// single-line pattern (no control characters but tab) or the multi-line one (also CR and LF).
enum class TextPattern { kNone, kSingleLine, kMultiLine };
// Optional string member with a maximum length and its shape's character rule.
Status ValidateOptionalString(const object& o, const char* member, const std::string& path,
                              std::size_t max_len, TextPattern pattern);
// Columns of a ColumnList member (each needs a valid Name).
Status ValidateColumns(const object& o, const char* member, const std::string& path);
// Glue folds top-level column names to lower case when it stores them (names nested inside struct
// types keep their case): o[member][i].Name, and the same inside o.StorageDescriptor.Columns.
void FoldColumnNames(object& o, const char* member);
void FoldStorageDescriptorColumns(object& o);

// KMS's refusal (`kms`) as Glue reports it: GlueEncryptionException carrying KMS's error.
Error EncryptionError(const Error& kms);

std::string Serialize(const object& o);
Result<object> ParseStored(const std::string& text);

// Pagination tokens: opaque to clients, base64 of "<kind>:<cursor>"; a token of another kind or not
// produced by us is InvalidInputException.
std::string EncodeToken(const std::string& kind, const std::string& cursor);
Result<std::string> DecodeToken(const std::string& kind, const std::string& token);
int ClampPageSize(int max_results, int default_size, int max_size);

// Partition values as a JSON array: the partition's unique key in the store (sorts by first value).
std::string PartitionKeyText(const std::vector<std::string>& values);
Result<std::vector<std::string>> PartitionValuesOf(const object& partition_input, const std::string& path);
std::vector<PartitionKey> PartitionKeysOf(const object& table);

// Bound to one (account, region): every statement names both, so no row of another catalog is ever read.
// How a write stores its documents: in clear (no data key) or sealed under a KMS data key. Made before the
// write transaction begins (SqlCatalog::WriteSealer), so no KMS call is made inside one.
struct Sealer {
  std::string key;   // the data key's plaintext ("" = store in clear)
  std::string blob;  // its CiphertextBlob
  std::string aad;   // the catalog's account and region
  Result<std::string> Seal(const object& doc) const;
};

class SqlCatalog final : public RegionalCatalog {
 public:
  SqlCatalog(store::MetadataStore& metadata, std::string account, std::string region,
             const Catalog::Encryption* encryption = nullptr,
             std::optional<aws::Caller> accessor = std::nullopt)
      : metadata_(metadata),
        account_(std::move(account)),
        region_(std::move(region)),
        encryption_(encryption),
        accessor_(std::move(accessor)) {}
  ~SqlCatalog() override {
    for (auto& [blob, key] : opened_keys_) explicit_bzero(key.data(), key.size());
  }

  const std::string& catalog_id() const override { return account_; }
  const std::string& region() const override { return region_; }

  Status CreateDatabase(const object& database_input) override;
  Result<object> GetDatabase(const std::string& name) override;
  Result<Page> GetDatabases(const std::string& next_token, int max_results) override;
  Status UpdateDatabase(const std::string& name, const object& database_input) override;
  Status DeleteDatabase(const std::string& name) override;

  Status CreateTable(const std::string& database, const object& table_input) override;
  Result<object> GetTable(const std::string& database, const std::string& name) override;
  Result<Page> GetTables(const std::string& database, const std::string& expression,
                         const std::string& next_token, int max_results) override;
  Status UpdateTable(const std::string& database, const object& table_input, bool skip_archive) override;
  Status UpdateTableIfVersion(const std::string& database, const object& table_input, bool skip_archive,
                              const std::string& expected_version) override;
  Status DeleteTable(const std::string& database, const std::string& name) override;
  Status RenameTable(const std::string& database, const std::string& name, const std::string& new_database,
                     const std::string& new_name, const std::string& created_by) override;
  Result<Page> GetTableVersions(const std::string& database, const std::string& table,
                                const std::string& next_token, int max_results) override;
  Result<object> GetTableVersion(const std::string& database, const std::string& table,
                                 const std::string& version_id) override;
  Status DeleteTableVersion(const std::string& database, const std::string& table,
                            const std::string& version_id) override;

  Status CreatePartition(const std::string& database, const std::string& table,
                         const object& partition_input) override;
  Result<std::vector<EntryError>> BatchCreatePartition(const std::string& database, const std::string& table,
                                                       const std::vector<object>& partition_inputs) override;
  Result<object> GetPartition(const std::string& database, const std::string& table,
                              const std::vector<std::string>& values) override;
  Result<Page> GetPartitions(const std::string& database, const std::string& table,
                             const std::string& expression, const std::string& next_token,
                             int max_results) override;
  Status UpdatePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values, const object& partition_input) override;
  Status DeletePartition(const std::string& database, const std::string& table,
                         const std::vector<std::string>& values) override;
  Result<std::vector<EntryError>> BatchDeletePartition(
      const std::string& database, const std::string& table,
      const std::vector<std::vector<std::string>>& values_list) override;

  Result<object> GetTags(const std::string& resource_arn) override;
  Status TagResource(const std::string& resource_arn, const object& tags_to_add) override;
  Status UntagResource(const std::string& resource_arn, const std::vector<std::string>& keys) override;
  Status DropTags(const std::string& resource_arn) override;

  Result<object> GetEncryptionSettings() override;
  Status PutEncryptionSettings(const object& settings) override;

 private:
  // The sealer for this write under the current settings (KMS asked here, outside any transaction).
  Result<Sealer> WriteSealer();
  // A stored document, in clear or sealed (its data key decrypted by KMS as the accessor, memoized).
  Result<object> Open(const std::string& stored);
  // Who KMS is asked as under the current settings; GlueEncryptionException when nobody can be.
  Result<aws::Caller> KmsCaller();
  Result<object> LoadSettings();

  // Checks inside `txn` that the database exists (EntityNotFoundException otherwise).
  Status RequireDatabase(Transaction& txn, const std::string& db, const std::string& given_name);
  // The table's stored document and version; EntityNotFoundException for a missing database or table.
  struct TableRow {
    object doc;
    std::int64_t version = 0;
    std::string stored;  // the row's doc as stored (in clear or sealed)
  };
  Result<TableRow> LoadTable(Transaction& txn, const std::string& database, const std::string& table);
  // Inserts a new table row (version 0) in `txn` after checking the database exists, the name is free
  // (AlreadyExistsException) and the database's table quota.
  Status InsertTable(Transaction& txn, const std::string& db, const std::string& given_db,
                     const std::string& name, const std::string& stored);
  // Deletes in `txn` the table row with its partitions, versions, tags and catalog objects.
  Status DeleteTableRows(Transaction& txn, const std::string& db, const std::string& tbl);
  // Validates a PartitionInput against the table and builds the stored Partition document.
  Result<object> BuildPartition(const object& table, const object& partition_input,
                                std::int64_t creation_time, std::vector<std::string>* values_out);
  // Inserts one partition in `txn` (AlreadyExistsException when present).
  Status InsertPartition(Transaction& txn, const std::string& db, const std::string& tbl, const object& table,
                         const object& partition_input, const Sealer& sealer);
  // The ARN's tag scope ("database/x", ...) after checking the account and existence. The ARN's region
  // must be this catalog's (the public tag methods hand other regions' ARNs to that region's catalog).
  Result<std::string> TagScope(Transaction& txn, const std::string& resource_arn);
  // The catalog of the ARN's region when it is not this one (tags of a resource in another region).
  std::unique_ptr<SqlCatalog> OtherRegionOf(const std::string& resource_arn) const;

  store::MetadataStore& metadata_;
  const std::string account_;
  const std::string region_;
  const Catalog::Encryption* encryption_;
  const std::optional<aws::Caller> accessor_;
  Mutex mu_;
  std::optional<object> settings_ GUARDED_BY(mu_);  // read once per RegionalCatalog (one request)
  // Data key blob -> plaintext, for this request (wiped when it ends).
  std::map<std::string, std::string> opened_keys_ GUARDED_BY(mu_);
};

// Schema of component "glue": its migrations (one entry per schema version) and the FreshSchema
// generated from them (fresh_schema.inc; the FreshSchema unit test checks and regenerates it).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region);
store::FreshSchema FreshSchema();

}  // namespace cenote::glue::internal
