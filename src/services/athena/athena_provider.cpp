#include "services/athena/athena_provider.hpp"

#include <exception>
#include <filesystem>

#include "common/clock.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

// Schema of component "athena": one statement per schema version; append, never edit. v9 made Athena
// regional (per account and region, as on AWS): every table gains (account, region); the rows of v1-v8
// belong to the default account in the default region (both checked before they are spliced in).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region) {
  const std::string defaults =
      store::SqlStringLiteral(default_account) + ", " + store::SqlStringLiteral(default_region);
  return {
      "CREATE TABLE athena_workgroups ("
      " name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, doc TEXT NOT NULL, tags TEXT NOT NULL)",
      "CREATE TABLE athena_named_queries ("
      " id TEXT PRIMARY KEY, seq INTEGER NOT NULL, workgroup TEXT NOT NULL, client_token TEXT NOT NULL,"
      " doc TEXT NOT NULL)",
      "CREATE INDEX athena_named_queries_by_workgroup ON athena_named_queries (workgroup, seq)",
      "CREATE TABLE athena_executions ("
      " id TEXT PRIMARY KEY, seq INTEGER NOT NULL, workgroup TEXT NOT NULL, client_token TEXT NOT NULL,"
      " state TEXT NOT NULL, doc TEXT NOT NULL)",
      "CREATE INDEX athena_executions_by_workgroup ON athena_executions (workgroup, seq)",
      "CREATE INDEX athena_executions_by_token ON athena_executions (client_token)",
      "CREATE INDEX athena_executions_by_state ON athena_executions (state)",
      "CREATE TABLE athena_prepared_statements ("
      " workgroup TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (workgroup, name))",
      "CREATE TABLE athena_workgroups_v2 (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL, doc TEXT NOT NULL, tags TEXT NOT NULL,"
      " PRIMARY KEY (account, region, name));"
      "INSERT INTO athena_workgroups_v2 SELECT " +
          defaults +
          ", name, created_ms, doc, tags"
          " FROM athena_workgroups;"
          "DROP TABLE athena_workgroups; ALTER TABLE athena_workgroups_v2 RENAME TO athena_workgroups;"
          "ALTER TABLE athena_named_queries ADD COLUMN account TEXT NOT NULL DEFAULT '';"
          "ALTER TABLE athena_named_queries ADD COLUMN region TEXT NOT NULL DEFAULT '';"
          "UPDATE athena_named_queries SET account = '" +
          default_account + "', region = '" + default_region +
          "';"
          "DROP INDEX athena_named_queries_by_workgroup;"
          "CREATE INDEX athena_named_queries_by_workgroup ON athena_named_queries (account, region, "
          "workgroup, seq);"
          "ALTER TABLE athena_executions ADD COLUMN account TEXT NOT NULL DEFAULT '';"
          "ALTER TABLE athena_executions ADD COLUMN region TEXT NOT NULL DEFAULT '';"
          "UPDATE athena_executions SET account = '" +
          default_account + "', region = '" + default_region +
          "';"
          "DROP INDEX athena_executions_by_workgroup;"
          "CREATE INDEX athena_executions_by_workgroup ON athena_executions (account, region, workgroup, "
          "seq);"
          "CREATE TABLE athena_prepared_statements_v2 (account TEXT NOT NULL, region TEXT NOT NULL,"
          " workgroup TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL,"
          " PRIMARY KEY (account, region, workgroup, name));"
          "INSERT INTO athena_prepared_statements_v2 SELECT " +
          defaults +
          ", workgroup, name, doc"
          " FROM athena_prepared_statements;"
          "DROP TABLE athena_prepared_statements;"
          "ALTER TABLE athena_prepared_statements_v2 RENAME TO athena_prepared_statements;",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/athena/fresh_schema.inc"
      ;
}

namespace {

// Adapts an implementation method to the one handler signature.
template <Result<json::object> (AthenaImpl::*Method)(const aws::RequestContext&, const json::object&)>
Result<aws::OperationOutput> Handle(AthenaImpl& athena, const aws::RequestContext& ctx,
                                    aws::OperationInput& input) {
  CENOTE_RETURN_IF_ERROR(athena.EnsureNamespace(NamespaceOf(ctx)));
  CENOTE_ASSIGN_OR_RETURN(json::object out, (athena.*Method)(ctx, input.params.as_object()));
  return out;
}

}  // namespace

const AthenaImpl::Table& AthenaImpl::Operations() {
  static const Table kOps = {
      {"BatchGetNamedQuery", Handle<&AthenaImpl::BatchGetNamedQuery>},
      {"BatchGetPreparedStatement", Handle<&AthenaImpl::BatchGetPreparedStatement>},
      {"BatchGetQueryExecution", Handle<&AthenaImpl::BatchGetQueryExecution>},
      {"CreateNamedQuery", Handle<&AthenaImpl::CreateNamedQuery>},
      {"CreatePreparedStatement", Handle<&AthenaImpl::CreatePreparedStatement>},
      {"CreateWorkGroup", Handle<&AthenaImpl::CreateWorkGroup>},
      {"DeleteNamedQuery", Handle<&AthenaImpl::DeleteNamedQuery>},
      {"DeletePreparedStatement", Handle<&AthenaImpl::DeletePreparedStatement>},
      {"DeleteWorkGroup", Handle<&AthenaImpl::DeleteWorkGroup>},
      {"GetDataCatalog", Handle<&AthenaImpl::GetDataCatalog>},
      {"GetDatabase", Handle<&AthenaImpl::GetDatabase>},
      {"GetNamedQuery", Handle<&AthenaImpl::GetNamedQuery>},
      {"GetPreparedStatement", Handle<&AthenaImpl::GetPreparedStatement>},
      {"GetQueryExecution", Handle<&AthenaImpl::GetQueryExecution>},
      {"GetQueryResults", Handle<&AthenaImpl::GetQueryResults>},
      {"GetQueryRuntimeStatistics", Handle<&AthenaImpl::GetQueryRuntimeStatistics>},
      {"GetTableMetadata", Handle<&AthenaImpl::GetTableMetadata>},
      {"GetWorkGroup", Handle<&AthenaImpl::GetWorkGroup>},
      {"ListDataCatalogs", Handle<&AthenaImpl::ListDataCatalogs>},
      {"ListDatabases", Handle<&AthenaImpl::ListDatabases>},
      {"ListEngineVersions", Handle<&AthenaImpl::ListEngineVersions>},
      {"ListNamedQueries", Handle<&AthenaImpl::ListNamedQueries>},
      {"ListPreparedStatements", Handle<&AthenaImpl::ListPreparedStatements>},
      {"ListQueryExecutions", Handle<&AthenaImpl::ListQueryExecutions>},
      {"ListTableMetadata", Handle<&AthenaImpl::ListTableMetadata>},
      {"ListTagsForResource", Handle<&AthenaImpl::ListTagsForResource>},
      {"ListWorkGroups", Handle<&AthenaImpl::ListWorkGroups>},
      {"StartQueryExecution", Handle<&AthenaImpl::StartQueryExecution>},
      {"StopQueryExecution", Handle<&AthenaImpl::StopQueryExecution>},
      {"TagResource", Handle<&AthenaImpl::TagResource>},
      {"UntagResource", Handle<&AthenaImpl::UntagResource>},
      {"UpdateNamedQuery", Handle<&AthenaImpl::UpdateNamedQuery>},
      {"UpdatePreparedStatement", Handle<&AthenaImpl::UpdatePreparedStatement>},
      {"UpdateWorkGroup", Handle<&AthenaImpl::UpdateWorkGroup>},
  };
  return kOps;
}

const std::vector<std::string_view>& AthenaProvider::SupportedOperations() {
  return AthenaImpl::Operations().names();
}

Result<std::unique_ptr<AthenaProvider>> AthenaProvider::Open(store::MetadataStore& metadata,
                                                             const glue::Catalog& catalog, s3::Lake& lake,
                                                             query::QueryEngine& engine,
                                                             AthenaOptions options) {
  if (options.max_concurrent_queries < 1) options.max_concurrent_queries = 1;
  if (options.scratch_dir.empty()) return InternalError("athena: scratch_dir is required");
  std::error_code ec;
  std::filesystem::create_directories(options.scratch_dir, ec);
  if (ec) return InternalError("athena: cannot create " + options.scratch_dir + ": " + ec.message());
  CENOTE_RETURN_IF_ERROR(
      metadata.Migrate("athena", Migrations(options.account_id, options.region), FreshSchema()));
  auto impl = std::make_unique<AthenaImpl>(metadata, catalog, lake, engine, std::move(options));
  CENOTE_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<AthenaProvider>(std::move(impl));
}

AthenaImpl::AthenaImpl(store::MetadataStore& metadata, const glue::Catalog& catalog, s3::Lake& lake,
                       query::QueryEngine& engine, AthenaOptions options)
    : metadata_(metadata), catalog_(catalog), lake_(lake), engine_(engine), options_(std::move(options)) {}

AthenaImpl::~AthenaImpl() { Shutdown(); }

Status AthenaImpl::Start() {
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
    for (const char* table : {"athena_executions", "athena_named_queries"}) {
      CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne(std::string("SELECT MAX(seq) FROM ") + table));
      MutexLock lock(seq_mu_);
      if (row) last_seq_ = std::max(last_seq_, store::AsInt((*row)[0]));
    }
  }
  // The default namespace has "primary" and "default" from the start (a client that lists them before any
  // other call finds them); other namespaces get theirs on their first request (Handle).
  CENOTE_RETURN_IF_ERROR(
      EnsureNamespace(Namespace{.account = options_.account_id, .region = options_.region}));
  CENOTE_RETURN_IF_ERROR(MarkInterruptedExecutions());
  for (int i = 0; i < options_.max_concurrent_queries; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return Status::Ok();
}

void AthenaImpl::Shutdown() {
  std::vector<std::shared_ptr<ActiveExecution>> running;
  {
    MutexLock lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    for (auto& [id, a] : active_) running.push_back(a);
  }
  for (auto& a : running) a->cancel.Cancel();
  cv_.SignalAll();
  retired_.SignalAll();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

std::int64_t AthenaImpl::NextSeq() {
  MutexLock lock(seq_mu_);
  std::int64_t now = UnixNowMs() * 1000;
  last_seq_ = std::max(last_seq_ + 1, now);
  return last_seq_;
}

Status AthenaImpl::EnsureNamespace(const Namespace& ns) {
  {
    MutexLock lock(namespaces_mu_);
    if (ready_namespaces_.count({ns.account, ns.region}) != 0) return Status::Ok();
  }
  {
    // "primary" always exists: ENABLED, no output location until configured.
    CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn->QueryOne("SELECT name FROM athena_workgroups WHERE account = ? AND "
                                          "region = ? AND name = ?",
                                          {ns.account, ns.region, std::string(kPrimaryWorkGroup)}));
    if (!row) {
      std::int64_t now = UnixNowMs();
      json::object wg{{"Name", kPrimaryWorkGroup},
                      {"State", "ENABLED"},
                      {"Configuration",
                       json::object{{"EnforceWorkGroupConfiguration", false},
                                    {"PublishCloudWatchMetricsEnabled", false},
                                    {"RequesterPaysEnabled", false},
                                    {"EngineVersion",
                                     json::object{{"SelectedEngineVersion", "AUTO"},
                                                  {"EffectiveEngineVersion", "Athena engine version 3"}}},
                                    {"EnableMinimumEncryptionConfiguration", false}}},
                      {"Description", ""},
                      {"CreationTime", now}};
      CENOTE_RETURN_IF_ERROR(
          txn->Exec("INSERT INTO athena_workgroups (account, region, name, created_ms, doc, tags) VALUES (?, "
                    "?, ?, ?, ?, ?)",
                    {ns.account, ns.region, std::string(kPrimaryWorkGroup), now, json::serialize(wg),
                     std::string("[]")}));
      CENOTE_RETURN_IF_ERROR(txn->Commit());
    }
  }
  // Athena users always see the "default" database of their region (Glue creates it on first use).
  std::unique_ptr<glue::RegionalCatalog> catalog = catalog_.ForRegion(ns.account, ns.region);
  if (auto db = catalog->GetDatabase("default"); !db && db.error().code == "EntityNotFoundException") {
    auto created =
        catalog->CreateDatabase(json::object{{"Name", "default"}, {"Description", "Default Hive database"}});
    // An encrypted catalog needs a caller's KMS permissions to create it: it is left for them to create.
    if (!created && created.error().code != "AlreadyExistsException" &&
        created.error().code != "GlueEncryptionException") {
      return std::move(created).error();
    }
  }
  MutexLock lock(namespaces_mu_);
  ready_namespaces_.insert({ns.account, ns.region});
  return Status::Ok();
}

aws::Caller CallerOf(const aws::RequestContext& ctx) {
  return aws::Caller{.principal = ctx.principal,
                     .region = ctx.region,
                     .invoked_by = "athena.amazonaws.com",
                     .parent_request_id = ctx.request_id,
                     .source_arn = "",
                     .source_account = "",
                     .forwarded = true};
}

}  // namespace cenote::athena
