#include "services/athena/athena_provider.hpp"

#include <exception>
#include <filesystem>

#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

// Schema of component "athena": one statement per schema version; append, never edit.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
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
  };
  return kMigrations;
}

}  // namespace

const services::OperationTable<AthenaImpl::Op>& AthenaImpl::Operations() {
  static const services::OperationTable<Op> kOps = {
      {"BatchGetNamedQuery", &AthenaImpl::BatchGetNamedQuery},
      {"BatchGetPreparedStatement", &AthenaImpl::BatchGetPreparedStatement},
      {"BatchGetQueryExecution", &AthenaImpl::BatchGetQueryExecution},
      {"CreateNamedQuery", &AthenaImpl::CreateNamedQuery},
      {"CreatePreparedStatement", &AthenaImpl::CreatePreparedStatement},
      {"CreateWorkGroup", &AthenaImpl::CreateWorkGroup},
      {"DeleteNamedQuery", &AthenaImpl::DeleteNamedQuery},
      {"DeletePreparedStatement", &AthenaImpl::DeletePreparedStatement},
      {"DeleteWorkGroup", &AthenaImpl::DeleteWorkGroup},
      {"GetDataCatalog", &AthenaImpl::GetDataCatalog},
      {"GetDatabase", &AthenaImpl::GetDatabase},
      {"GetNamedQuery", &AthenaImpl::GetNamedQuery},
      {"GetPreparedStatement", &AthenaImpl::GetPreparedStatement},
      {"GetQueryExecution", &AthenaImpl::GetQueryExecution},
      {"GetQueryResults", &AthenaImpl::GetQueryResults},
      {"GetQueryRuntimeStatistics", &AthenaImpl::GetQueryRuntimeStatistics},
      {"GetTableMetadata", &AthenaImpl::GetTableMetadata},
      {"GetWorkGroup", &AthenaImpl::GetWorkGroup},
      {"ListDataCatalogs", &AthenaImpl::ListDataCatalogs},
      {"ListDatabases", &AthenaImpl::ListDatabases},
      {"ListEngineVersions", &AthenaImpl::ListEngineVersions},
      {"ListNamedQueries", &AthenaImpl::ListNamedQueries},
      {"ListPreparedStatements", &AthenaImpl::ListPreparedStatements},
      {"ListQueryExecutions", &AthenaImpl::ListQueryExecutions},
      {"ListTableMetadata", &AthenaImpl::ListTableMetadata},
      {"ListTagsForResource", &AthenaImpl::ListTagsForResource},
      {"ListWorkGroups", &AthenaImpl::ListWorkGroups},
      {"StartQueryExecution", &AthenaImpl::StartQueryExecution},
      {"StopQueryExecution", &AthenaImpl::StopQueryExecution},
      {"TagResource", &AthenaImpl::TagResource},
      {"UntagResource", &AthenaImpl::UntagResource},
      {"UpdateNamedQuery", &AthenaImpl::UpdateNamedQuery},
      {"UpdatePreparedStatement", &AthenaImpl::UpdatePreparedStatement},
      {"UpdateWorkGroup", &AthenaImpl::UpdateWorkGroup},
  };
  return kOps;
}

const std::vector<std::string_view>& AthenaProvider::SupportedOperations() {
  return AthenaImpl::Operations().names();
}

Result<std::unique_ptr<AthenaProvider>> AthenaProvider::Open(store::MetadataStore& metadata,
                                                             glue::Catalog& catalog, s3::LakeAccess& lake,
                                                             query::QueryEngine& engine,
                                                             AthenaOptions options) {
  if (options.max_concurrent_queries < 1) options.max_concurrent_queries = 1;
  if (options.scratch_dir.empty()) return InternalError("athena: scratch_dir is required");
  std::error_code ec;
  std::filesystem::create_directories(options.scratch_dir, ec);
  if (ec) return InternalError("athena: cannot create " + options.scratch_dir + ": " + ec.message());
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("athena", Migrations()));
  auto impl = std::make_unique<AthenaImpl>(metadata, catalog, lake, engine, std::move(options));
  CENOTE_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<AthenaProvider>(std::move(impl));
}

AthenaImpl::AthenaImpl(store::MetadataStore& metadata, glue::Catalog& catalog, s3::LakeAccess& lake,
                       query::QueryEngine& engine, AthenaOptions options)
    : metadata_(metadata), catalog_(catalog), lake_(lake), engine_(engine), options_(std::move(options)) {}

AthenaImpl::~AthenaImpl() { Shutdown(); }

Status AthenaImpl::Start() {
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
    for (const char* table : {"athena_executions", "athena_named_queries"}) {
      CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne(std::string("SELECT MAX(seq) FROM ") + table));
      if (row) last_seq_ = std::max(last_seq_, store::AsInt((*row)[0]));
    }
  }
  {
    // "primary" always exists: ENABLED, no output location until configured.
    CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
    CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT name FROM athena_workgroups WHERE name = ?",
                                                    {std::string(kPrimaryWorkGroup)}));
    if (!row) {
      std::int64_t now = NowMs();
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
      auto ins = txn->Exec("INSERT INTO athena_workgroups (name, created_ms, doc, tags) VALUES (?, ?, ?, ?)",
                           {std::string(kPrimaryWorkGroup), now, json::serialize(wg), std::string("[]")});
      if (!ins) return std::move(ins).error();
      CENOTE_RETURN_IF_ERROR(txn->Commit());
    }
  }
  // Athena users always see the "default" database (Glue creates it on first use).
  if (auto db = catalog_.GetDatabase("default"); !db && db.error().code == "EntityNotFoundException") {
    auto created =
        catalog_.CreateDatabase(json::object{{"Name", "default"}, {"Description", "Default Hive database"}});
    if (!created && created.error().code != "AlreadyExistsException") return std::move(created).error();
  }
  CENOTE_RETURN_IF_ERROR(MarkInterruptedExecutions());
  for (int i = 0; i < options_.max_concurrent_queries; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  return Status::Ok();
}

void AthenaImpl::Shutdown() {
  std::vector<std::shared_ptr<ActiveExecution>> running;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    for (auto& [id, a] : active_) running.push_back(a);
  }
  for (auto& a : running) a->cancel.Cancel();
  cv_.notify_all();
  retired_.notify_all();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

std::int64_t AthenaImpl::NextSeq() {
  std::lock_guard<std::mutex> lock(seq_mu_);
  std::int64_t now = NowMs() * 1000;
  last_seq_ = std::max(last_seq_ + 1, now);
  return last_seq_;
}

bool AthenaImpl::Implements(std::string_view operation) const {
  return Operations().Find(operation) != nullptr;
}

Result<aws::OperationOutput> AthenaImpl::Invoke(const aws::RequestContext& /*ctx*/,
                                                std::string_view operation, aws::OperationInput& input) {
  if (!input.params.is_object()) input.params = json::object();
  const Op* op = Operations().Find(operation);
  if (op == nullptr) return errors::InvalidRequest("Unknown operation " + std::string(operation) + ".");
  CENOTE_ASSIGN_OR_RETURN(json::object out, (this->*(*op))(input.params.as_object()));
  return aws::OperationOutput(std::move(out));
}

}  // namespace cenote::athena
