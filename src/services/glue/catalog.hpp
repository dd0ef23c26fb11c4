// Catalog: the Glue Data Catalog's databases, tables (with versions) and partitions, stored durably in
// the MetadataStore (component "glue"). The Glue provider's API operations, the crawlers and Athena's
// DDL all go through this one class, so the catalog's rules (names, versions, errors) live in one place.
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
// Thread safety: all methods may be called concurrently; each is one MetadataStore transaction.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
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

class Catalog {
 public:
  // Runs the "glue" migrations. `catalog_id` is the account id (CatalogId in every output).
  static Result<std::unique_ptr<Catalog>> Open(store::MetadataStore& metadata, std::string catalog_id,
                                               std::string region);
  virtual ~Catalog() = default;

  virtual const std::string& catalog_id() const = 0;

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
  virtual Status DeleteTable(const std::string& database, const std::string& name) = 0;
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
  // type, which is stored as given). EntityNotFoundException when a database or table ARN names
  // something that does not exist; InvalidInputException for an ARN that is not a Glue ARN;
  // AccessDeniedException for another account's ARN (the region is not checked: one catalog serves all
  // regions). At most 50 tags per resource. Deleting a database or table deletes its tags.
  virtual Result<object> GetTags(const std::string& resource_arn) = 0;
  virtual Status TagResource(const std::string& resource_arn, const object& tags_to_add) = 0;
  virtual Status UntagResource(const std::string& resource_arn, const std::vector<std::string>& keys) = 0;
};

}  // namespace cenote::glue
