// Shared internals of the Athena provider: the implementation class, whose operations are split by
// resource over workgroups.cpp, named_queries.cpp, executions.cpp, results.cpp and catalogs.cpp, and the
// statement runner (statements.cpp: DDL and SHOW; writes.cpp: CTAS, INSERT INTO, views). Not public API.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "common/mutex.hpp"
#include "query/result_files.hpp"
#include "services/athena/athena_provider.hpp"
#include "services/athena/ddl_parser.hpp"
#include "services/athena/errors.hpp"
#include "services/athena/iceberg/iceberg.hpp"
#include "services/athena/table_resolver.hpp"
#include "services/common/operation_table.hpp"
#include "services/common/params.hpp"
#include "store/metadata_store.hpp"

namespace cenote::athena {

namespace json = boost::json;

// Result files (src/query/result_files.hpp), shared with CloudTrail Lake.
using query::CsvLine;
using query::DecodeResultToken;
using query::EncodeResultToken;
using query::ParseResultMetadata;
using query::ReadResultRows;
using query::ReadResultRowsFrom;
using query::ResultMetadata;
using query::ResultPage;
using query::ResultRow;
using query::SerializeResultMetadata;

inline constexpr const char* kPrimaryWorkGroup = "primary";
inline constexpr const char* kDefaultCatalog = "AwsDataCatalog";

// The namespace of Athena's resources (workgroups, named queries, prepared statements, executions): the
// caller's account and the request's region, as on AWS.
struct Namespace {
  std::string account;
  std::string region;
  bool operator==(const Namespace& o) const { return account == o.account && region == o.region; }
};
inline Namespace NamespaceOf(const aws::RequestContext& ctx) {
  return Namespace{.account = ctx.account_id(), .region = ctx.region};
}
// The principal a query reads tables and writes results as: its StartQueryExecution caller's, in the
// request's region, on behalf of athena.amazonaws.com (the same for GetQueryResults' reads).
aws::Caller CallerOf(const aws::RequestContext& ctx);

// ---- small helpers shared by the .cpp files (support.cpp)
// Members of input and stored documents: the shared readers (services/common/params.hpp).
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;
json::object ParseObject(const std::string& text);  // {} when malformed (stored documents are ours)
// Opaque list tokens: a position (seq or offset), bound to the listing's name.
std::string EncodeListToken(std::string_view scope, std::int64_t position);
std::optional<std::int64_t> DecodeListToken(std::string_view scope, const std::string& token);
// MaxResults within [min, max] (the model's range, checked by the parse stage), or `default_value`.
Result<int> MaxResults(const json::object& in, int min, int max, int default_value);
// Hive's SHOW TABLES pattern: '*' matches any sequence, '|' separates alternatives; case-insensitive.
bool HivePatternMatch(const std::string& pattern, const std::string& name);

// ---- statement execution

struct StatementContext {
  std::string query_execution_id;
  std::string database;         // QueryExecutionContext.Database (lower-case)
  std::string output_location;  // the execution's result folder, "s3://bucket/prefix/"
  std::string caller_arn;       // StartQueryExecution's caller (Glue's CreatedBy of the tables DDL creates)
  query::Cancellation* cancel = nullptr;
};

struct StatementOutcome {
  ResultMetadata meta;
  std::string local_csv;               // engine-written result (SELECT), uploaded as <id>.csv
  std::optional<std::string> csv;      // or the same, small enough to stay in memory
  std::vector<std::string> txt_lines;  // DDL / utility output, written as <id>.txt
  query::QueryStats stats;
};

// The outcome of a statement that wrote `rows` rows (CTAS, INSERT INTO): Athena's one "rows" column, no
// header, the update count set (writes.cpp; the Iceberg statements answer the same).
StatementOutcome UpdateOutcome(std::int64_t rows, const query::QueryStats& stats);

// Runs one parsed statement against the catalog, the lake and the engine; one runner per statement. Failures
// are Errors whose message is the StateChangeReason ("FAILED: ...", "TABLE_NOT_FOUND: ...").
class StatementRunner {
 public:
  // `catalog` is the execution's region's; `lake` reads and writes as the execution's caller.
  StatementRunner(glue::RegionalCatalog& catalog, s3::LakeAccess& lake, query::QueryEngine& engine,
                  const AthenaOptions& options)
      : catalog_(catalog), lake_(lake), engine_(engine), options_(options), resolver_(catalog, lake) {}

  // Failure messages have local paths replaced (the resolver's bound files, the scratch directory).
  Result<StatementOutcome> Run(const Statement& statement, const StatementContext& ctx);
  // Checks the caller's permission to read each table the statement binds (CatalogTableResolver).
  void AuthorizeTablesWith(std::function<Status(const std::string&, const std::string&)> check) {
    resolver_.AuthorizeTablesWith(std::move(check));
  }
  // Checks the caller's permission for a Glue call a DDL statement makes (`operation` with its input as the
  // Glue API takes it); unset, every call is allowed. Used by ALTER TABLE RENAME TO.
  void AuthorizeCatalogCallsWith(std::function<Status(const std::string&, const json::object&)> check) {
    authorize_catalog_ = std::move(check);
  }

 private:
  Result<StatementOutcome> Dispatch(const Statement& statement, const StatementContext& ctx);
  // statements.cpp
  Result<StatementOutcome> Select(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> CreateDatabase(const Statement& s);
  Result<StatementOutcome> DropDatabase(const Statement& s);
  Result<StatementOutcome> CreateTable(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> DropTable(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> ShowDatabases(const Statement& s);
  Result<StatementOutcome> ShowTables(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> ShowPartitions(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> ShowColumns(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> ShowCreateTable(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> ShowTblProperties(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> Describe(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> MsckRepair(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> AddPartitions(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> DropPartitions(const Statement& s, const StatementContext& ctx);
  // table_rename.cpp: ALTER TABLE RENAME TO (Iceberg tables; Hive tables answer Glue's refusal).
  Result<StatementOutcome> RenameTable(const Statement& s, const StatementContext& ctx);
  // AccessDeniedException (Athena's "Insufficient permissions to execute the query. ...") when the
  // caller may not make this Glue call.
  Status AuthorizeCatalogCall(const std::string& operation, const json::object& params);
  // writes.cpp
  Result<StatementOutcome> CreateView(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> DropView(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> CreateTableAs(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> InsertInto(const Statement& s, const StatementContext& ctx);
  // iceberg/tables.cpp
  Result<StatementOutcome> CreateIcebergTable(const Statement& s, const StatementContext& ctx);
  Result<StatementOutcome> CreateIcebergTableAs(const Statement& s, const StatementContext& ctx);
  // Iceberg tables are managed in Athena: DROP TABLE removes the Glue table, then every object under its
  // location (data and metadata).
  Result<StatementOutcome> DropIcebergTable(const std::string& database,
                                            const boost::json::object& glue_table);
  // INSERT INTO an Iceberg table: `sql` yields the table's columns in schema order, named as them.
  Result<StatementOutcome> AppendToIceberg(const std::string& database, const std::string& table,
                                           const std::string& sql, const StatementContext& ctx);
  // iceberg/row_level.cpp: DELETE, UPDATE and MERGE INTO an Iceberg table, merge-on-read (position delete
  // files, new data files for changed and inserted rows, one snapshot); Hive tables answer NOT_SUPPORTED.
  Result<StatementOutcome> ModifyRows(const Statement& s, const StatementContext& ctx);
  // OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE ...]: the data files holding deleted rows, written under an
  // older partition spec, or smaller than the target size, rewritten with their deletes applied under the
  // default spec (snapshot operation "replace"); the delete files left with nothing to apply to are removed
  // from the snapshot.
  Result<StatementOutcome> OptimizeIceberg(const Statement& s, const StatementContext& ctx);
  // VACUUM t: snapshots older than vacuum_max_snapshot_age_seconds expired (the newest
  // vacuum_min_snapshots_to_keep kept), then the files no retained snapshot or metadata file names removed.
  Result<StatementOutcome> VacuumIceberg(const Statement& s, const StatementContext& ctx);
  // Schema evolution of an Iceberg table (ADD COLUMNS, DROP COLUMN, CHANGE COLUMN with Iceberg's type
  // promotions): a new current schema in the next metadata file and the Glue columns, no new snapshot.
  Result<StatementOutcome> AlterIcebergSchema(const Statement& s, const StatementContext& ctx);
  // The Glue table a row-level or maintenance statement names: TABLE_NOT_FOUND, or NOT_SUPPORTED
  // (s.unsupported_reason) when it is not an Iceberg table.
  Result<boost::json::object> IcebergTarget(const Statement& s, const StatementContext& ctx);
  // The values of the one-column SELECT `sql` (its first column; `tag` names its scratch file). `resolver`:
  // the tables it reads (nullptr: the catalog's).
  Result<std::vector<std::string>> SelectColumn(const std::string& sql, const StatementContext& ctx,
                                                const std::string& tag,
                                                query::TableResolver* resolver = nullptr);
  // The partition spec and tuple of a group of data files: a position delete file is written in its data
  // file's.
  struct DeleteGroup {
    int spec_id = 0;
    std::vector<std::pair<std::string, avro::Value>> partition;
  };
  // The Parquet files the SELECT `sql` writes for `metadata`'s table, uploaded under <location>/data/.
  // content 0, data files, partitioned by the default spec: `sql` yields the table's columns in schema
  // order, named as them. content 1, position delete files of the data files of `groups`: `sql` yields
  // file_path, pos and, when there are several groups, "__cenote_g", the index of the file's group.
  // `resolver`: the tables `sql` reads (nullptr: the catalog's).
  struct WrittenIcebergFiles {
    std::vector<iceberg::DataFile> files;
    query::QueryStats stats;
  };
  Result<WrittenIcebergFiles> WriteIcebergFiles(const boost::json::object& metadata, const std::string& sql,
                                                const StatementContext& ctx, const std::string& tag,
                                                int content, query::TableResolver* resolver = nullptr,
                                                const std::vector<DeleteGroup>& groups = {});
  // Commits a snapshot adding `data_files` and `delete_files` (written by WriteManifest into their own
  // manifests) on top of `metadata`'s current snapshot. `retry`: an append, applied again on top of a
  // concurrent commit (Iceberg's fast append); otherwise a concurrent commit fails the statement with
  // ICEBERG_COMMIT_ERROR, the snapshot read being stale.
  Status CommitIcebergSnapshot(const std::string& database, const std::string& table,
                               boost::json::object glue_table, boost::json::object metadata,
                               const std::vector<iceberg::DataFile>& data_files,
                               const std::vector<iceberg::DataFile>& delete_files,
                               const std::string& operation, bool retry);
  // Writes a new table's first metadata file and creates its Glue table (table_type ICEBERG).
  Result<StatementOutcome> CreateIcebergGlueTable(const std::string& database, const std::string& name,
                                                  const std::string& comment, boost::json::object metadata);
  // Writes `metadata` as the table's next metadata file and swaps the Glue table's metadata_location to it
  // if the table is still at `glue_table`'s VersionId (ICEBERG_COMMIT_ERROR otherwise).
  Status CommitIceberg(const std::string& database, const boost::json::object& glue_table,
                       const boost::json::object& metadata);
  // Uploads the engine's files to the S3 URL `destination(file)` gives and removes the local copies.
  Status UploadFiles(const std::vector<query::WrittenFile>& files,
                     const std::function<std::string(const query::WrittenFile&)>& destination);

  // The table document; errors worded as Hive DDL reports them.
  Result<json::object> GetTableForDdl(const std::string& database, const std::string& table);
  Status EnsureDatabase(const std::string& database);

  glue::RegionalCatalog& catalog_;
  s3::LakeAccess& lake_;
  query::QueryEngine& engine_;
  const AthenaOptions& options_;
  CatalogTableResolver resolver_;
  std::function<Status(const std::string&, const json::object&)> authorize_catalog_;
};

// Iceberg tables (iceberg/tables.cpp): a Glue table whose table_type parameter is ICEBERG.
bool IsIcebergTable(const json::object& glue_table);
// The table's current metadata (read from its metadata_location).
Result<json::object> LoadIcebergMetadata(s3::LakeAccess& lake, const json::object& glue_table);
// Trino's time travel (`t FOR VERSION AS OF 5`, `t FOR TIMESTAMP AS OF TIMESTAMP '...'`) rewritten to the
// names the resolver binds ("t$cenote_version_5", "t$cenote_timestamp_<ms>"); other text unchanged.
// NOT_SUPPORTED for AS OF expressions other than literals and current_timestamp.
Result<std::string> RewriteTimeTravel(const std::string& sql, std::int64_t now_ms);

// Glue documents Athena writes (statements.cpp).
json::object StorageDescriptorFor(const Statement& s, const std::vector<ColumnSpec>& columns,
                                  const std::string& location);
json::array GlueColumns(const std::vector<ColumnSpec>& columns);
// Athena result type -> Glue type ("varchar" -> "string", "integer" -> "int", decimal -> "decimal(p,s)").
std::string AthenaTypeToGlue(const query::ResultColumn& c);
// Glue type -> the type a CAST in the user dialect takes ("string" -> "varchar", "int" -> "integer").
std::string GlueTypeToCast(const std::string& glue_type);

// ---- prepared statements (prepared_statements.cpp)

// PREPARE name FROM <statement> | EXECUTE name [USING v1, v2, ...] | DEALLOCATE PREPARE name, or kNone for
// any other statement. Errors: code "PARSE", a ParseException message.
struct PreparedCommand {
  enum Kind { kNone, kPrepare, kExecute, kDeallocate } kind = kNone;
  std::string name;
  std::string body;                       // PREPARE: the statement text
  bool has_using = false;                 // EXECUTE ... USING
  std::vector<std::string> using_values;  // SQL literals, as written
};
Result<PreparedCommand> ParsePreparedCommand(const std::string& sql);

// ---- the provider

// CSE_KMS results (client_side_encryption.cpp): `put` (bytes or file) becomes its AES-GCM ciphertext with the
// S3 encryption client's envelope in its metadata, a data key of `kms_key` asked of KMS as `caller`.
Status EncryptClientSide(aws::Invoker& invoker, const aws::Caller& caller, const std::string& kms_key,
                         s3::LakePut& put);
// The plaintext of an object EncryptClientSide wrote (`metadata`: its user metadata), KMS asked as `caller`.
Result<std::string> DecryptClientSide(aws::Invoker& invoker, const aws::Caller& caller,
                                      const std::map<std::string, std::string>& metadata,
                                      const std::string& ciphertext);

struct ActiveExecution {
  std::string id;
  Namespace ns;                          // the StartQueryExecution request's account and region
  std::unique_ptr<s3::LakeAccess> lake;  // the lake as that request's caller (CallerOf)
  aws::Caller caller;                    // that caller, for the Glue permissions of the tables it reads
  json::object doc;                      // the QueryExecution document, Status.State QUEUED or RUNNING
  query::Cancellation cancel;
  bool queued = true;
  std::int64_t started_ms = 0;
  // Whether StartQueryExecution's QUEUED row has committed. The worker may start while that commit is in
  // flight, but writes nothing (results, final state, DDL) until it is recorded; kLost: the commit failed
  // and the client got the error, so the execution is dropped.
  enum class Record { kPending, kRecorded, kLost } record = Record::kRecorded;
};

class AthenaImpl final : public AthenaProvider {
 public:
  AthenaImpl(store::MetadataStore& metadata, const glue::Catalog& catalog, s3::Lake& lake,
             query::QueryEngine& engine, AthenaOptions options);
  ~AthenaImpl() override;

  // Migrations, "primary", executions interrupted by a restart, the worker pool.
  Status Start();
  void Shutdown() override;
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority() override;  // authority.cpp
  // The workgroup of a query execution or a named query by id, in any account and region (ids are UUIDs);
  // "primary" for an id that names none (the operation then answers its own not-found).
  Result<std::string> WorkGroupOf(bool named_query, const std::string& id);
  const Table& table() const override { return Operations(); }
  AthenaImpl& env() override { return *this; }

  using Table = services::OperationTable<services::Handler<AthenaImpl>>;
  static const Table& Operations();

  // workgroups.cpp
  Result<json::object> CreateWorkGroup(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetWorkGroup(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListWorkGroups(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> UpdateWorkGroup(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> DeleteWorkGroup(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> TagResource(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> UntagResource(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListTagsForResource(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListEngineVersions(const aws::RequestContext& ctx, const json::object& in);
  // The stored WorkGroup document; InvalidRequestException "WorkGroup is not found." if absent.
  Result<json::object> LoadWorkGroup(const Namespace& ns, const std::string& name);
  std::string WorkGroupArn(const Namespace& ns, const std::string& name) const;

  // named_queries.cpp
  Result<json::object> CreateNamedQuery(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetNamedQuery(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListNamedQueries(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> BatchGetNamedQuery(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> DeleteNamedQuery(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> UpdateNamedQuery(const aws::RequestContext& ctx, const json::object& in);

  // prepared_statements.cpp
  Result<json::object> CreatePreparedStatement(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetPreparedStatement(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListPreparedStatements(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> UpdatePreparedStatement(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> DeletePreparedStatement(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> BatchGetPreparedStatement(const aws::RequestContext& ctx, const json::object& in);
  // The stored PreparedStatement document, or nullopt.
  Result<std::optional<json::object>> LoadPreparedStatement(const Namespace& ns, const std::string& workgroup,
                                                            const std::string& name);
  enum class SaveMode { kCreate, kUpdate, kUpsert };
  Status SavePreparedStatement(const Namespace& ns, const std::string& workgroup, const std::string& name,
                               const std::string& query, const std::optional<std::string>& description,
                               SaveMode mode);
  Result<json::object> SavePreparedStatementRequest(const Namespace& ns, const json::object& in,
                                                    SaveMode mode);
  // Whether a statement was removed.
  Result<bool> RemovePreparedStatement(const Namespace& ns, const std::string& workgroup,
                                       const std::string& name);

  // executions.cpp
  Result<json::object> StartQueryExecution(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetQueryExecution(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> BatchGetQueryExecution(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListQueryExecutions(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListIdsByWorkGroup(const Namespace& ns, const json::object& in,
                                          const std::string& table, const std::string& scope,
                                          const std::string& member);
  Result<json::object> StopQueryExecution(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetQueryRuntimeStatistics(const aws::RequestContext& ctx, const json::object& in);
  // The current QueryExecution document (in-flight executions from memory, others from the store);
  // nullopt if unknown.
  Result<std::optional<json::object>> LoadExecution(const Namespace& ns, const std::string& id);
  Status MarkInterruptedExecutions();
  void WorkerLoop();
  void Execute(const std::shared_ptr<ActiveExecution>& active);
  // The final UPDATE of an execution's row, in `txn`.
  Status WriteFinal(store::Transaction& txn, const std::string& id, const json::object& doc);
  // Commits the final state in a transaction of its own, then retires the execution.
  Status StoreFinal(const std::string& id, const json::object& doc);
  // Drops a finished execution from the in-flight table (its row is final). `stored`: the final document
  // just committed, kept among the recent ones (finals_) so the polls and GetQueryResults that follow at
  // once need not read it back.
  void Retire(const std::string& id, const json::object* stored = nullptr);
  // The "Athena Query State Change" event of execution `doc` entering its current state (options_).
  void AnnounceState(const Namespace& ns, const json::object& doc, std::string_view previous, int sequence);
  // Waits until the execution's QUEUED row is committed (ActiveExecution::record); false if it was lost.
  // An execution no longer in flight counts as recorded.
  bool AwaitRecorded(const std::string& id);

  // results.cpp
  Result<json::object> GetQueryResults(const aws::RequestContext& ctx, const json::object& in);

  // catalogs.cpp
  Result<json::object> ListDataCatalogs(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetDataCatalog(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListDatabases(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetDatabase(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> ListTableMetadata(const aws::RequestContext& ctx, const json::object& in);
  Result<json::object> GetTableMetadata(const aws::RequestContext& ctx, const json::object& in);

  std::int64_t NextSeq();
  Result<std::unique_ptr<store::Transaction>> Read() {
    return metadata_.Begin(store::MetadataStore::Mode::kRead);
  }
  Result<std::unique_ptr<store::Transaction>> Write() {
    return metadata_.Begin(store::MetadataStore::Mode::kWrite);
  }

  // "primary" and the "default" database of a namespace, created on its first request (every region has
  // them, as on AWS).
  Status EnsureNamespace(const Namespace& ns);

  Mutex namespaces_mu_;
  std::set<std::pair<std::string, std::string>> ready_namespaces_ GUARDED_BY(namespaces_mu_);

  store::MetadataStore& metadata_;
  const glue::Catalog& catalog_;
  s3::Lake& lake_;
  query::QueryEngine& engine_;
  AthenaOptions options_;

  Mutex seq_mu_;
  std::int64_t last_seq_ GUARDED_BY(seq_mu_) = 0;

  // The pool: queue_ holds ids of QUEUED executions; active_ every QUEUED or RUNNING one. mu_ also guards
  // the mutable members of each ActiveExecution (doc, queued, started_ms, record).
  Mutex mu_;
  CondVar cv_{mu_};        // an execution was queued, or shutdown
  CondVar retired_{mu_};   // an execution left active_
  CondVar recorded_{mu_};  // an ActiveExecution::record left kPending
  std::deque<std::string> queue_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::shared_ptr<ActiveExecution>> active_ GUARDED_BY(mu_);
  int waiting_polls_ GUARDED_BY(mu_) = 0;  // GetQueryExecution calls waiting for a final state
  // The final documents of the executions that finished last, as committed (a final row changes only by
  // DeleteWorkGroup's deletion, which drops its entries); oldest first in finals_order_.
  static constexpr std::size_t kRecentFinals = 64;
  std::unordered_map<std::string, std::pair<Namespace, json::object>> finals_ GUARDED_BY(mu_);
  std::deque<std::string> finals_order_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  // The query pool: long runs that Shutdown cancels before it joins them (a BackgroundTask would be waited
  // for, uncancelled, before the service's shutdown action runs). Started by Start, joined by Shutdown.
  std::vector<std::thread> workers_;
};

// Schema of component "athena": its migrations (one entry per schema version) and the FreshSchema
// generated from them (fresh_schema.inc; the FreshSchema unit test checks and regenerates it).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region);
store::FreshSchema FreshSchema();

}  // namespace cenote::athena
