// The Glue Data Catalog: databases, tables (with versions) and partitions, stored durably in the
// MetadataStore (component "glue"). As on AWS there is one Data Catalog per account and region: its
// CatalogId is the account, and a database (table, partition, tag) created in one region is not seen in
// another, where the same name is another resource. `Catalog` holds all of them; `Catalog::ForRegion`
// gives the one catalog of an account in a region, a RegionalCatalog, through which the Glue provider's
// API operations, the crawlers, Athena's DDL and queries and Firehose's format conversion all go, so the
// catalog's rules (names, versions, errors) live in one place:
//
//   std::unique_ptr<glue::RegionalCatalog> c = catalog.ForRegion(account_id, region);
//   CENOTE_ASSIGN_OR_RETURN(boost::json::object table, c->GetTable("lake", "events"));
//
// Objects are aws::Document objects in the Glue model's shapes, keyed by member names:
//   - inputs are DatabaseInput / TableInput / PartitionInput documents, as a client sends them;
//   - outputs are Database / Table / Partition documents, as GetDatabase / GetTable / GetPartition
//     return them (CatalogId, DatabaseName, CreateTime, UpdateTime, VersionId, IsRegisteredWithLakeFormation,
//     ... filled in by the catalog; timestamps as int64 ms per aws/provider.hpp).
// Names are stored lower-case, as Glue does; lookups are case-insensitive.
//
// Errors are Glue's: EntityNotFoundException (400) "Database x not found." / "Table y not found." /
// "Partition not found.", AlreadyExistsException (400) "Database already exists." / "Table already
// exists." / "Partition already exists.", InvalidInputException (400) for bad names, bad expressions and
// malformed documents, ResourceNumberLimitExceededException where Glue has a quota.
//
// Thread safety: all methods of both classes may be called concurrently; each RegionalCatalog method is one
// MetadataStore transaction.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/invoker.hpp"
#include "common/result.hpp"
#include "services/common/data_key_cache.hpp"
#include "services/glue/catalog_objects.hpp"
#include "services/glue/statistics_queries.hpp"
#include "store/metadata_store.hpp"

namespace cenote::glue {

using boost::json::object;

// One page of a listing. `next_token` is empty on the last page. Tokens are opaque to clients.
struct Page {
  std::vector<object> items;
  std::string next_token;
};

// A failure for one entry of a batch operation (BatchCreatePartition, BatchDeletePartition, ...).
struct EntryError {
  std::vector<std::string> partition_values;
  Error error;
};

// One account's Data Catalog in one region. Cheap to make (Catalog::ForRegion); holds no state of its own
// besides its account and region, so any number may be used at once.
class RegionalCatalog {
 public:
  virtual ~RegionalCatalog() = default;

  virtual const std::string& catalog_id() const = 0;  // the account (CatalogId in every output)
  virtual const std::string& region() const = 0;

  // --- databases
  virtual Status CreateDatabase(const object& database_input) = 0;
  virtual Result<object> GetDatabase(const std::string& name) = 0;
  virtual Result<Page> GetDatabases(const std::string& next_token, int max_results) = 0;
  virtual Status UpdateDatabase(const std::string& name, const object& database_input) = 0;
  // Deletes the database with all its tables, versions and partitions.
  virtual Status DeleteDatabase(const std::string& name) = 0;

  // --- tables. `expression` is GetTables' regular-expression filter on the name ("" = all).
  virtual Status CreateTable(const std::string& database, const object& table_input) = 0;
  virtual Result<object> GetTable(const std::string& database, const std::string& name) = 0;
  virtual Result<Page> GetTables(const std::string& database, const std::string& expression,
                                 const std::string& next_token, int max_results) = 0;
  // Replaces the table definition; unless `skip_archive`, the previous definition becomes a version
  // (VersionId counts up from "0" at creation).
  virtual Status UpdateTable(const std::string& database, const object& table_input, bool skip_archive) = 0;
  // UpdateTable applied only if the table's current VersionId is `expected_version`, checked in the same
  // transaction as the write (optimistic concurrency: Glue's UpdateTable VersionId, Iceberg commits).
  // ConcurrentModificationException otherwise.
  virtual Status UpdateTableIfVersion(const std::string& database, const object& table_input,
                                      bool skip_archive, const std::string& expected_version) = 0;
  virtual Status DeleteTable(const std::string& database, const std::string& name) = 0;
  // Moves a table to `new_name` in `new_database` in one transaction (Athena's ALTER TABLE RENAME TO of an
  // Iceberg table): Glue has no rename, so Athena creates the table under the new name from the old
  // definition and deletes the old one; here both happen in one commit, so a crash leaves exactly one of the
  // names. The new table is a creation (VersionId "0", CreateTime now, CreatedBy `created_by` unless empty)
  // with the old definition (TableType, Owner, Description, Parameters, StorageDescriptor and its Location,
  // PartitionKeys, ...). What belonged to the old name goes as DeleteTable takes it: its versions,
  // partitions, tags, column statistics and partition indexes. Errors: EntityNotFoundException (source
  // database or table, target database), AlreadyExistsException (the target exists), Glue's validation of
  // the new name, ResourceNumberLimitExceededException (the target database is full).
  virtual Status RenameTable(const std::string& database, const std::string& name,
                             const std::string& new_database, const std::string& new_name,
                             const std::string& created_by) = 0;
  virtual Result<Page> GetTableVersions(const std::string& database, const std::string& table,
                                        const std::string& next_token, int max_results) = 0;
  // One archived or current version of a table ("" = the current one): a TableVersion document
  // {Table, VersionId}. EntityNotFoundException when the table or the version does not exist.
  virtual Result<object> GetTableVersion(const std::string& database, const std::string& table,
                                         const std::string& version_id) = 0;
  // Deletes an archived version. The current version cannot be deleted (InvalidInputException).
  virtual Status DeleteTableVersion(const std::string& database, const std::string& table,
                                    const std::string& version_id) = 0;

  // --- partitions. `values` are in partition-key order.
  virtual Status CreatePartition(const std::string& database, const std::string& table,
                                 const object& partition_input) = 0;
  virtual Result<std::vector<EntryError>> BatchCreatePartition(
      const std::string& database, const std::string& table, const std::vector<object>& partition_inputs) = 0;
  virtual Result<object> GetPartition(const std::string& database, const std::string& table,
                                      const std::vector<std::string>& values) = 0;
  // `expression` is Glue's partition filter language ("year = '2024' AND month > 5", LIKE, IN, BETWEEN,
  // <>, comparisons typed by the partition key's type); "" = all. Pages in partition-value order.
  virtual Result<Page> GetPartitions(const std::string& database, const std::string& table,
                                     const std::string& expression, const std::string& next_token,
                                     int max_results) = 0;
  virtual Status UpdatePartition(const std::string& database, const std::string& table,
                                 const std::vector<std::string>& values, const object& partition_input) = 0;
  virtual Status DeletePartition(const std::string& database, const std::string& table,
                                 const std::vector<std::string>& values) = 0;
  virtual Result<std::vector<EntryError>> BatchDeletePartition(
      const std::string& database, const std::string& table,
      const std::vector<std::vector<std::string>>& values_list) = 0;

  // --- tags. Tags of a Glue resource ARN (catalog, database/<db>, table/<db>/<table>, or any other resource
  // type, which is stored as given). The ARN names its region: the resource is looked up (and its tags
  // kept) in that region's catalog of this account. EntityNotFoundException when a database or table ARN
  // names something that does not exist; InvalidInputException for an ARN that is not a Glue ARN;
  // AccessDeniedException for another account's ARN. At most 50 tags per resource. Deleting a database or
  // table deletes its tags.
  virtual Result<object> GetTags(const std::string& resource_arn) = 0;
  virtual Status TagResource(const std::string& resource_arn, const object& tags_to_add) = 0;
  virtual Status UntagResource(const std::string& resource_arn, const std::vector<std::string>& keys) = 0;
  // Every tag of a resource whose tags the catalog keeps for its service (connections, jobs, triggers,
  // workflows): called when it is deleted or created, so a new resource of a deleted one's name starts
  // untagged.
  virtual Status DropTags(const std::string& resource_arn) = 0;

  // --- encryption settings (DataCatalogEncryptionSettings: EncryptionAtRest, ConnectionPasswordEncryption),
  // validated as Glue validates PutDataCatalogEncryptionSettings. With CatalogEncryptionMode SSE-KMS, every
  // database, table, table version and partition written afterwards is stored sealed (AES-256-GCM) under a
  // data key from SseAwsKmsKeyId (default alias/aws/glue), asked of KMS as the catalog's accessor (or, with
  // SSE-KMS-WITH-SERVICE-ROLE, as CatalogEncryptionServiceRole assumed by Glue); reading a sealed object asks
  // KMS to decrypt its data key the same way. KMS's refusals are GlueEncryptionException. Objects written
  // under an earlier setting stay readable whatever the current one is.
  virtual Result<object> GetEncryptionSettings() = 0;
  virtual Status PutEncryptionSettings(const object& settings) = 0;
};

// The KMS operations the catalog's encryption at rest uses, asked as `as` (Register: through the invoker;
// unit tests substitute their own). Errors are KMS's as they are.
class CatalogKms {
 public:
  struct DataKey {
    std::string plaintext;  // 32 bytes
    std::string blob;       // KMS's CiphertextBlob
    std::string key_arn;
  };
  virtual ~CatalogKms() = default;
  virtual Result<DataKey> GenerateDataKey(const aws::Caller& as, const std::string& key_id) = 0;
  virtual Result<std::string> Decrypt(const aws::Caller& as, const std::string& blob) = 0;
  // KMS Encrypt of `plaintext` under `key_id` (connection passwords): the CiphertextBlob's bytes.
  virtual Result<std::string> Encrypt(const aws::Caller& as, const std::string& key_id,
                                      const std::string& plaintext) {
    (void)as, (void)key_id, (void)plaintext;
    return InternalError("kms Encrypt is not available");
  }
};
// KMS through `invoker` (GenerateDataKey AES_256, Decrypt), the calls authorized and recorded as the
// caller's.
std::unique_ptr<CatalogKms> InvokerKms(aws::Invoker& invoker);

// Every account's and region's Data Catalog, in one MetadataStore. Offered by Glue's Register to the
// services after it (Athena, Firehose).
class Catalog {
 public:
  // Runs the "glue" migrations. Rows written before the catalog was regional (schema v1) belong to
  // `default_account`'s catalog in `default_region`.
  static Result<std::unique_ptr<Catalog>> Open(store::MetadataStore& metadata, std::string default_account,
                                               std::string default_region);

  // The Data Catalog of `account_id` in `region` (both as RequestContext names them). Valid while this
  // Catalog lives. `accessor`: whose KMS permissions encrypted objects are read and written with (the
  // request's caller, forwarded through glue.amazonaws.com: AccessorOf; a crawler's role). Without one, an
  // encrypted object cannot be read or written (GlueEncryptionException).
  std::unique_ptr<RegionalCatalog> ForRegion(std::string account_id, std::string region,
                                             std::optional<aws::Caller> accessor = std::nullopt) const;

  // KMS for encryption at rest; data keys are reused for `key_cache_ttl_ms` per accessor and key (a key
  // disabled or a permission removed takes effect within that period). Without KMS, SSE-KMS settings are
  // accepted but encrypted objects cannot be written or read.
  void UseKms(std::unique_ptr<CatalogKms> kms, std::int64_t key_cache_ttl_ms);

  struct Encryption {
    std::unique_ptr<CatalogKms> kms;
    std::unique_ptr<services::DataKeyCache> keys;
  };

  // Functions, connections, resource policies, partition indexes and column statistics of every catalog.
  const CatalogObjects& objects() const { return *objects_; }
  // The encryption settings' KMS (null until UseKms), for the connection passwords Glue encrypts.
  CatalogKms* kms() const { return encryption_.kms.get(); }
  // The engine's statistics queries (offered by Athena when it registers; null until then). `queries` must
  // outlive the catalog's users.
  void UseStatisticsQueries(StatisticsQueries* queries) { statistics_queries_.store(queries); }
  StatisticsQueries* statistics_queries() const { return statistics_queries_.load(); }

 private:
  explicit Catalog(store::MetadataStore& metadata) : metadata_(metadata) {}
  store::MetadataStore& metadata_;
  Encryption encryption_;
  std::unique_ptr<CatalogObjects> objects_;
  std::atomic<StatisticsQueries*> statistics_queries_{nullptr};
};

// The request's caller as a catalog accessor: its own credentials forwarded through glue.amazonaws.com (so
// kms:ViaService is glue.<region>.amazonaws.com), as Glue and Athena use the caller's KMS permissions.
aws::Caller AccessorOf(const aws::RequestContext& ctx);
// The same for a caller another service forwards (Athena's query as its caller): Glue asks KMS for it.
aws::Caller AccessorOf(const aws::Caller& caller);

}  // namespace cenote::glue
