// Query executions: StartQueryExecution stores the execution QUEUED and hands its id to the pool;
// a worker marks it RUNNING (in memory: only QUEUED and the final state are written, so a round trip
// costs two metadata commits), runs the statement through the StatementRunner, writes the result files
// to the output location and stores the final state. In-flight executions are served from memory,
// finished ones from the store. No sleeps or poll intervals: workers wait on a condition variable.
#include <filesystem>
#include <future>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

Error ExecutionNotFound(const std::string& id) {
  return errors::InvalidRequest("QueryExecution " + id + " was not found", errors::kCodeInvalidInput);
}

bool IsAllCaps(const std::string& code) {
  if (code.empty()) return false;
  for (char c : code) {
    if (!(std::isupper(static_cast<unsigned char>(c)) || c == '_' ||
          std::isdigit(static_cast<unsigned char>(c))))
      return false;
  }
  return true;
}

// Final status of a failed statement: Athena's reason text and its AthenaError.
void SetFailed(json::object& doc, const Error& error, std::int64_t now, bool system) {
  std::string reason = error.message;
  if (IsAllCaps(error.code) && error.code != "PARSE" && reason.rfind(error.code, 0) != 0) {
    reason = error.code + ": " + reason;
  }
  json::object& status = doc["Status"].as_object();
  status["State"] = "FAILED";
  status["StateChangeReason"] = reason;
  status["CompletionDateTime"] = now;
  status["AthenaError"] = json::object{{"ErrorCategory", system ? 1 : 2},
                                       {"ErrorType", system ? 100 : 1000},
                                       {"Retryable", system},
                                       {"ErrorMessage", reason}};
}

void SetStatistics(json::object& doc, std::int64_t submitted, std::int64_t started, std::int64_t completed,
                   const query::QueryStats& stats) {
  json::object& st = doc["Statistics"].as_object();
  std::int64_t queue = std::max<std::int64_t>(0, started - submitted);
  std::int64_t total = std::max<std::int64_t>(0, completed - submitted);
  std::int64_t engine =
      stats.engine_ms > 0 ? stats.engine_ms : std::max<std::int64_t>(0, completed - started);
  st["EngineExecutionTimeInMillis"] = engine;
  st["DataScannedInBytes"] = stats.bytes_scanned;
  st["TotalExecutionTimeInMillis"] = total;
  st["QueryQueueTimeInMillis"] = queue;
  st["ServicePreProcessingTimeInMillis"] = 0;
  st["QueryPlanningTimeInMillis"] = stats.planning_ms;
  st["ServiceProcessingTimeInMillis"] = std::max<std::int64_t>(0, total - queue - engine);
}

// The encryption of a query's result files (and of the data files CTAS and INSERT INTO write): the
// workgroup's ResultConfiguration.EncryptionConfiguration when the workgroup enforces its configuration or
// the request has none, else the request's. SSE_S3 and SSE_KMS (KmsKey required) are S3 server-side
// encryption of the objects, SSE-KMS asked of KMS as the caller via S3. CSE_KMS (KmsKey required) encrypts
// the result objects client-side with the S3 encryption client's envelope (client_side_encryption.cpp), a
// data key asked of KMS as the caller.
Result<std::optional<json::object>> ResultEncryption(const json::object& in, const json::object* config,
                                                     bool enforce) {
  const json::object* from_workgroup = nullptr;
  if (config) {
    if (auto* rc = GetObject(*config, "ResultConfiguration"))
      from_workgroup = GetObject(*rc, "EncryptionConfiguration");
  }
  const json::object* from_request = nullptr;
  if (auto* rc = GetObject(in, "ResultConfiguration"))
    from_request = GetObject(*rc, "EncryptionConfiguration");
  const json::object* chosen = (enforce || !from_request) ? from_workgroup : from_request;
  if (!chosen) return std::optional<json::object>();
  const std::string option = GetString(*chosen, "EncryptionOption").value_or("");
  const std::string key = GetString(*chosen, "KmsKey").value_or("");
  if (option != "SSE_S3" && option != "SSE_KMS" && option != "CSE_KMS") {
    return errors::InvalidRequest("EncryptionOption must be one of SSE_S3, SSE_KMS, CSE_KMS.",
                                  errors::kCodeInvalidInput);
  }
  if (option != "SSE_S3" && key.empty()) {
    return errors::InvalidRequest("KmsKey is required for " + option + " encryption.",
                                  errors::kCodeInvalidInput);
  }
  json::object out{{"EncryptionOption", option}};
  if (option != "SSE_S3") out["KmsKey"] = key;
  return std::optional<json::object>(std::move(out));
}

s3::LakeWriteEncryption LakeEncryptionOf(const json::object& encryption) {
  // CSE_KMS: the objects are encrypted before they are written; S3 applies the bucket's default.
  if (GetString(encryption, "EncryptionOption").value_or("") == "CSE_KMS")
    return s3::LakeWriteEncryption{.algorithm = "", .kms_key_id = ""};
  if (GetString(encryption, "EncryptionOption").value_or("") == "SSE_KMS")
    return s3::LakeWriteEncryption{.algorithm = "aws:kms",
                                   .kms_key_id = GetString(encryption, "KmsKey").value_or("")};
  return s3::LakeWriteEncryption{.algorithm = "AES256", .kms_key_id = ""};
}

// The folder of the result files: OutputLocation as a folder URL.
std::string ResultFolder(const std::string& output_location) { return AsFolder(output_location); }

}  // namespace

Result<json::object> AthenaImpl::StartQueryExecution(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string query = GetString(in, "QueryString").value_or("");
  std::string workgroup = GetString(in, "WorkGroup").value_or(kPrimaryWorkGroup);
  CENOTE_ASSIGN_OR_RETURN(auto wg, LoadWorkGroup(ns, workgroup));
  if (GetString(wg, "State").value_or("ENABLED") == "DISABLED") {
    return errors::InvalidRequest("WorkGroup " + workgroup + " is disabled.", errors::kCodeInvalidInput);
  }
  std::string token = GetString(in, "ClientRequestToken").value_or("");

  // Output location: the workgroup's wins when it enforces its configuration or the request has none.
  const json::object* config = GetObject(wg, "Configuration");
  bool enforce = config && GetBool(*config, "EnforceWorkGroupConfiguration").value_or(false);
  std::optional<std::string> wg_location;
  if (config) {
    if (auto* rc = GetObject(*config, "ResultConfiguration")) wg_location = GetString(*rc, "OutputLocation");
  }
  std::optional<std::string> request_location;
  if (auto* rc = GetObject(in, "ResultConfiguration")) request_location = GetString(*rc, "OutputLocation");
  std::optional<std::string> location = (enforce || !request_location) ? wg_location : request_location;
  if (!location && !enforce) location = request_location;
  if (!location || location->empty()) return errors::NoOutputLocation();
  if (!ParseS3Url(*location)) {
    return errors::InvalidRequest("outputLocation is not a valid S3 path: " + *location,
                                  errors::kCodeInvalidInput);
  }

  // EXECUTE of a prepared statement is typed (and its result file named) by the statement it runs.
  auto parsed = ParseStatement(query);
  if (auto prepared = ParsePreparedCommand(query); prepared && prepared->kind == PreparedCommand::kExecute) {
    auto stored = LoadPreparedStatement(ns, workgroup, prepared->name);
    if (stored && *stored) parsed = ParseStatement(GetString(**stored, "QueryStatement").value_or(""));
  }
  std::string statement_type = "DDL";
  std::string substatement_type;
  bool csv = false;
  if (parsed) {
    statement_type = parsed->statement_type;
    substatement_type = parsed->substatement_type;
    csv = parsed->kind == StatementKind::kSelect || parsed->kind == StatementKind::kCreateTableAs ||
          parsed->kind == StatementKind::kInsertInto || parsed->kind == StatementKind::kDelete ||
          parsed->kind == StatementKind::kUpdate || parsed->kind == StatementKind::kMerge;
  }

  std::string id = NewUuidV4();
  std::int64_t now = UnixNowMs();
  json::object context;
  if (auto* c = GetObject(in, "QueryExecutionContext")) {
    if (auto db = GetString(*c, "Database")) context["Database"] = *db;
    if (auto cat = GetString(*c, "Catalog")) context["Catalog"] = *cat;
  }
  json::object result_config{{"OutputLocation", ResultFolder(*location) + id + (csv ? ".csv" : ".txt")}};
  if (auto* rc = GetObject(in, "ResultConfiguration")) {
    for (const char* member : {"ExpectedBucketOwner", "AclConfiguration"}) {
      if (auto* v = rc->if_contains(member)) result_config[member] = *v;
    }
  }
  CENOTE_ASSIGN_OR_RETURN(std::optional<json::object> encryption, ResultEncryption(in, config, enforce));
  if (encryption) result_config["EncryptionConfiguration"] = *encryption;
  json::object doc{
      {"QueryExecutionId", id},
      {"Query", query},
      {"StatementType", statement_type},
      {"ResultConfiguration", std::move(result_config)},
      {"ResultReuseConfiguration",
       json::object{{"ResultReuseByAgeConfiguration", json::object{{"Enabled", false}}}}},
      {"QueryExecutionContext", std::move(context)},
      {"Status", json::object{{"State", "QUEUED"}, {"SubmissionDateTime", now}}},
      {"Statistics", json::object{{"EngineExecutionTimeInMillis", 0},
                                  {"DataScannedInBytes", 0},
                                  {"TotalExecutionTimeInMillis", 0},
                                  {"QueryQueueTimeInMillis", 0},
                                  {"ServicePreProcessingTimeInMillis", 0},
                                  {"QueryPlanningTimeInMillis", 0},
                                  {"ServiceProcessingTimeInMillis", 0},
                                  {"ResultReuseInformation", json::object{{"ReusedPreviousResult", false}}}}},
      {"WorkGroup", workgroup},
      {"EngineVersion", json::object{{"SelectedEngineVersion", "AUTO"},
                                     {"EffectiveEngineVersion", "Athena engine version 3"}}}};
  if (!substatement_type.empty()) doc["SubstatementType"] = substatement_type;
  if (auto* params = in.if_contains("ExecutionParameters"); params && params->is_array()) {
    doc["ExecutionParameters"] = *params;
  }

  // The worker starts now, while the row is written and committed (an fsync); it writes nothing before
  // the row is known to be on record (AwaitRecorded). Any failure here, or an idempotent retry that
  // answers an earlier execution, drops this one.
  auto active = std::make_shared<ActiveExecution>();
  active->id = id;
  active->ns = ns;
  // The query reads its tables and writes its results as this caller, also when it runs later on a worker.
  active->caller = CallerOf(ctx);
  active->lake = lake_.For(active->caller);
  if (encryption) active->lake->SetWriteEncryption(LakeEncryptionOf(*encryption));
  active->doc = doc;
  active->record = ActiveExecution::Record::kPending;
  {
    MutexLock lock(mu_);
    active_[id] = active;
    queue_.push_back(id);
  }
  cv_.Signal();
  bool recorded = false;
  Result<json::object> answer = [&]() -> Result<json::object> {
    CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
    if (!token.empty()) {
      // Idempotency: the same token answers the execution it started.
      // A changed parameter under the same token is an error (StartQueryExecution API reference).
      CENOTE_ASSIGN_OR_RETURN(
          auto row,
          txn->QueryOne(
              "SELECT id, doc FROM athena_executions WHERE account = ? AND region = ? AND client_token = ?",
              {ns.account, ns.region, token}));
      if (row) {
        json::object earlier = ParseObject(store::AsText((*row)[1]));
        if (earlier["Query"] != doc["Query"] || earlier["WorkGroup"] != doc["WorkGroup"] ||
            earlier["QueryExecutionContext"] != doc["QueryExecutionContext"]) {
          return errors::InvalidRequest("Idempotent parameters do not match", errors::kCodeInvalidInput);
        }
        return json::object{{"QueryExecutionId", store::AsText((*row)[0])}};
      }
    }
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO athena_executions (account, region, id, seq, workgroup, client_token, state, "
                  "doc) VALUES (?, ?, ?, ?, ?, ?, ?, "
                  "?)",
                  {ns.account, ns.region, id, NextSeq(), workgroup, token, std::string("QUEUED"),
                   json::serialize(doc)}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    recorded = true;
    return json::object{{"QueryExecutionId", id}};
  }();
  {
    MutexLock lock(mu_);
    if (recorded) {
      active->record = ActiveExecution::Record::kRecorded;
    } else {
      active->record = ActiveExecution::Record::kLost;
      active->cancel.Cancel();
      if (active->queued) {
        queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
        active_.erase(id);
      }
    }
  }
  recorded_.SignalAll();
  if (!recorded) retired_.SignalAll();
  if (recorded && answer) AnnounceState(ns, doc, "", 1);
  return answer;
}

Result<std::optional<json::object>> AthenaImpl::LoadExecution(const Namespace& ns, const std::string& id) {
  {
    MutexLock lock(mu_);
    auto it = active_.find(id);
    if (it != active_.end() && it->second->ns == ns) {
      json::object doc = it->second->doc;
      // Live statistics of an in-flight query.
      std::int64_t now = UnixNowMs();
      std::int64_t submitted = GetInt(doc["Status"].as_object(), "SubmissionDateTime").value_or(now);
      json::object& st = doc["Statistics"].as_object();
      st["TotalExecutionTimeInMillis"] = now - submitted;
      st["QueryQueueTimeInMillis"] = (it->second->queued ? now : it->second->started_ms) - submitted;
      return std::optional<json::object>(std::move(doc));
    }
    if (auto final = finals_.find(id); final != finals_.end() && final->second.first == ns)
      return std::optional<json::object>(final->second.second);
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne("SELECT doc FROM athena_executions WHERE account = ? AND region = ? AND id = ?",
                              {ns.account, ns.region, id}));
  if (!row) return std::optional<json::object>();
  return std::optional<json::object>(ParseObject(store::AsText((*row)[0])));
}

Result<json::object> AthenaImpl::GetQueryExecution(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "QueryExecutionId").value_or("");
  if (options_.poll_wait_ms > 0) {
    // Still in flight: wait (bounded) for its final state rather than answer a poll loop at once.
    MutexLock lock(mu_);
    if (active_.count(id) != 0 && waiting_polls_ < options_.max_waiting_polls) {
      ++waiting_polls_;
      retired_.WaitUntil(lock,
                         std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.poll_wait_ms),
                         [&]() EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || active_.count(id) == 0; });
      --waiting_polls_;
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadExecution(ns, id));
  if (!doc) return ExecutionNotFound(id);
  return json::object{{"QueryExecution", std::move(*doc)}};
}

Result<json::object> AthenaImpl::BatchGetQueryExecution(const aws::RequestContext& ctx,
                                                        const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  const json::array* ids = nullptr;
  if (auto* v = in.if_contains("QueryExecutionIds"); v && v->is_array()) ids = &v->as_array();
  if (ids == nullptr)
    return json::object{{"QueryExecutions", json::array()}, {"UnprocessedQueryExecutionIds", json::array()}};
  json::array found;
  json::array unprocessed;
  for (const auto& v : *ids) {
    std::string id = v.is_string() ? std::string(v.as_string()) : "";
    CENOTE_ASSIGN_OR_RETURN(auto doc, LoadExecution(ns, id));
    if (doc) {
      found.push_back(std::move(*doc));
    } else {
      unprocessed.push_back(json::object{{"QueryExecutionId", id},
                                         {"ErrorCode", "INVALID_INPUT"},
                                         {"ErrorMessage", "QueryExecution " + id + " was not found"}});
    }
  }
  return json::object{{"QueryExecutions", std::move(found)},
                      {"UnprocessedQueryExecutionIds", std::move(unprocessed)}};
}

// Ids of one workgroup's rows of `table` (athena_executions, athena_named_queries), newest first, paged by
// MaxResults (default and maximum 50) and an opaque NextToken bound to `scope` and the workgroup.
Result<json::object> AthenaImpl::ListIdsByWorkGroup(const Namespace& ns, const json::object& in,
                                                    const std::string& table, const std::string& scope,
                                                    const std::string& member) {
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxResults(in, 0, 50, 50));
  int limit = max == 0 ? 50 : max;
  std::string workgroup = GetString(in, "WorkGroup").value_or(kPrimaryWorkGroup);
  CENOTE_RETURN_IF_ERROR(LoadWorkGroup(ns, workgroup));
  std::int64_t before = INT64_MAX;
  if (auto token = GetString(in, "NextToken")) {
    auto pos = DecodeListToken(scope + ":" + workgroup, *token);
    if (!pos) return errors::InvalidRequest("Invalid NextToken", errors::kCodeInvalidInput);
    before = *pos;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, Read());
  CENOTE_ASSIGN_OR_RETURN(
      auto rows,
      txn->Query("SELECT id, seq FROM " + table +
                     " WHERE account = ? AND region = ? AND workgroup = ? AND seq < ?"
                     " ORDER BY seq DESC LIMIT ?",
                 {ns.account, ns.region, workgroup, before, static_cast<std::int64_t>(limit + 1)}));
  json::array ids;
  json::object out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (static_cast<int>(i) == limit) {
      out["NextToken"] = EncodeListToken(scope + ":" + workgroup, store::AsInt(rows[i - 1][1]));
      break;
    }
    ids.push_back(json::string(store::AsText(rows[i][0])));
  }
  out[member] = std::move(ids);
  return out;
}

Result<json::object> AthenaImpl::ListQueryExecutions(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  return ListIdsByWorkGroup(ns, in, "athena_executions", "executions", "QueryExecutionIds");
}

Result<json::object> AthenaImpl::StopQueryExecution(const aws::RequestContext& ctx, const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "QueryExecutionId").value_or("");
  std::shared_ptr<ActiveExecution> active;
  bool was_queued = false;
  {
    MutexLock lock(mu_);
    auto it = active_.find(id);
    if (it != active_.end()) {
      active = it->second;
      active->cancel.Cancel();
      if (active->queued) {
        was_queued = true;
        queue_.erase(std::remove(queue_.begin(), queue_.end(), id), queue_.end());
      }
    }
  }
  if (active) {
    if (was_queued) {
      json::object doc;
      {
        MutexLock lock(mu_);
        doc = active->doc;
      }
      std::int64_t now = UnixNowMs();
      auto& status = doc["Status"].as_object();
      status["State"] = "CANCELLED";
      status["StateChangeReason"] = "Query was cancelled by user";
      status["CompletionDateTime"] = now;
      std::int64_t submitted = GetInt(status, "SubmissionDateTime").value_or(now);
      SetStatistics(doc, submitted, now, now, {});
      CENOTE_RETURN_IF_ERROR(StoreFinal(id, doc));
    }
    // A running query is interrupted; its worker stores CANCELLED.
    return json::object{};
  }
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadExecution(ns, id));
  if (!doc) return ExecutionNotFound(id);
  return json::object{};  // already finished: nothing to stop
}

Result<json::object> AthenaImpl::GetQueryRuntimeStatistics(const aws::RequestContext& ctx,
                                                           const json::object& in) {
  const Namespace ns = NamespaceOf(ctx);
  std::string id = GetString(in, "QueryExecutionId").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadExecution(ns, id));
  if (!doc) return ExecutionNotFound(id);
  json::object timeline;
  if (auto* st = GetObject(*doc, "Statistics")) {
    for (const char* m :
         {"QueryQueueTimeInMillis", "ServicePreProcessingTimeInMillis", "QueryPlanningTimeInMillis",
          "EngineExecutionTimeInMillis", "ServiceProcessingTimeInMillis", "TotalExecutionTimeInMillis"}) {
      if (auto v = GetInt(*st, m)) timeline[m] = *v;
    }
  }
  json::object rows;
  if (auto* st = GetObject(*doc, "Statistics")) {
    if (auto v = GetInt(*st, "DataScannedInBytes")) rows["InputBytes"] = *v;
  }
  return json::object{
      {"QueryRuntimeStatistics", json::object{{"Timeline", std::move(timeline)}, {"Rows", std::move(rows)}}}};
}

Status AthenaImpl::WriteFinal(store::Transaction& txn, const std::string& id, const json::object& doc) {
  std::string state = "FAILED";
  if (auto* st = doc.if_contains("Status"); st && st->is_object())
    state = GetString(st->as_object(), "State").value_or(state);
  CENOTE_RETURN_IF_ERROR(txn.Exec("UPDATE athena_executions SET state = ?, doc = ? WHERE id = ?",
                                  {state, json::serialize(doc), id}));
  return Status::Ok();
}

bool AthenaImpl::AwaitRecorded(const std::string& id) {
  MutexLock lock(mu_);
  auto it = active_.find(id);
  if (it == active_.end()) return true;
  std::shared_ptr<ActiveExecution> active = it->second;
  // Bounded by StartQueryExecution's commit, which resolves the state whatever its outcome.
  while (active->record == ActiveExecution::Record::kPending) recorded_.Wait(lock);
  return active->record == ActiveExecution::Record::kRecorded;
}

void AthenaImpl::Retire(const std::string& id, const json::object* stored) {
  Namespace announced;
  bool was_queued = false;
  {
    MutexLock lock(mu_);
    auto it = active_.find(id);
    if (it == active_.end()) return;
    Namespace ns = it->second->ns;
    announced = ns;
    was_queued = it->second->queued;
    active_.erase(it);
    if (stored != nullptr && finals_.emplace(id, std::make_pair(std::move(ns), *stored)).second) {
      finals_order_.push_back(id);
      if (finals_order_.size() > kRecentFinals) {
        finals_.erase(finals_order_.front());
        finals_order_.pop_front();
      }
    }
  }
  retired_.SignalAll();
  if (stored != nullptr) AnnounceState(announced, *stored, was_queued ? "QUEUED" : "RUNNING", 3);
}

void AthenaImpl::AnnounceState(const Namespace& ns, const json::object& doc, std::string_view previous,
                               int sequence) {
  if (!options_.state_change_events || options_.invoker == nullptr) return;
  const json::object* status = GetObject(doc, "Status");
  json::object detail{{"currentState", status ? GetString(*status, "State").value_or("") : ""}};
  if (!previous.empty()) detail["previousState"] = previous;
  detail["queryExecutionId"] = GetString(doc, "QueryExecutionId").value_or("");
  detail["sequenceNumber"] = std::to_string(sequence);
  detail["statementType"] = GetString(doc, "StatementType").value_or("DML");
  detail["versionId"] = "0";
  detail["workgroupName"] = GetString(doc, "WorkGroup").value_or("primary");
  const aws::Caller caller = aws::ServiceCaller("athena.amazonaws.com", ns.account, ns.region);
  aws::OperationInput in;
  in.params = json::object{{"Entries", json::array{json::object{{"Source", "aws.athena"},
                                                                {"DetailType", "Athena Query State Change"},
                                                                {"Detail", json::serialize(detail)},
                                                                {"Resources", json::array{}},
                                                                {"EventBusName", "default"}}}}};
  // Best effort, as on AWS: a query never waits for or fails on its events.
  (void)options_.invoker->Call(caller, "events", "PutEvents", in);
}

Status AthenaImpl::StoreFinal(const std::string& id, const json::object& doc) {
  if (!AwaitRecorded(id)) {
    Retire(id);
    return Status::Ok();
  }
  Status result = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
    CENOTE_RETURN_IF_ERROR(WriteFinal(*txn, id, doc));
    return txn->Commit();
  }();
  // Stored (or not: then a restart reports it interrupted); either way it is no longer in flight.
  Retire(id, result ? &doc : nullptr);
  return result;
}

Status AthenaImpl::MarkInterruptedExecutions() {
  CENOTE_ASSIGN_OR_RETURN(auto txn, Write());
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, txn->Query("SELECT id, doc FROM athena_executions WHERE state IN ('QUEUED', 'RUNNING')"));
  std::int64_t now = UnixNowMs();
  for (const auto& row : rows) {
    json::object doc = ParseObject(store::AsText(row[1]));
    if (!doc.contains("Status") || !doc["Status"].is_object()) doc["Status"] = json::object{};
    if (!doc.contains("Statistics") || !doc["Statistics"].is_object()) doc["Statistics"] = json::object{};
    SetFailed(doc, InternalError("Query was interrupted by a server restart"), now, true);
    doc["Status"].as_object()["StateChangeReason"] = "Query was interrupted by a server restart";
    doc["Status"].as_object()["AthenaError"].as_object()["ErrorMessage"] =
        "Query was interrupted by a server restart";
    CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE athena_executions SET state = 'FAILED', doc = ? WHERE id = ?",
                                     {json::serialize(doc), store::AsText(row[0])}));
  }
  return txn->Commit();
}

void AthenaImpl::WorkerLoop() {
  while (true) {
    std::shared_ptr<ActiveExecution> next;
    json::object running_doc;
    {
      MutexLock lock(mu_);
      while (!stopping_ && queue_.empty()) cv_.Wait(lock);
      if (stopping_) return;
      std::string id = queue_.front();
      queue_.pop_front();
      auto it = active_.find(id);
      if (it == active_.end()) continue;
      next = it->second;
      next->queued = false;
      next->started_ms = UnixNowMs();
      next->doc["Status"].as_object()["State"] = "RUNNING";
      running_doc = next->doc;
    }
    AnnounceState(next->ns, running_doc, "QUEUED", 2);
    try {
      Execute(next);
    } catch (const std::exception& e) {
      // Never let a statement take the worker (and the process) down: the query fails instead.
      json::object doc;
      {
        MutexLock lock(mu_);
        doc = next->doc;
      }
      SetFailed(doc, InternalError(std::string("Internal error: ") + e.what()), UnixNowMs(), true);
      (void)StoreFinal(next->id, doc);
    }
  }
}

void AthenaImpl::Execute(const std::shared_ptr<ActiveExecution>& active) {
  s3::LakeAccess& lake = *active->lake;
  const Namespace& ns = active->ns;
  json::object doc;
  {
    MutexLock lock(mu_);
    doc = active->doc;
  }
  const std::string& id = active->id;
  std::int64_t submitted =
      GetInt(doc["Status"].as_object(), "SubmissionDateTime").value_or(active->started_ms);
  std::string query = GetString(doc, "Query").value_or("");
  std::string result_url;
  if (auto* rc = GetObject(doc, "ResultConfiguration"))
    result_url = GetString(*rc, "OutputLocation").value_or("");
  std::string folder = result_url.substr(0, result_url.rfind('/') + 1);
  auto url = ParseS3Url(result_url);

  StatementContext ctx;
  ctx.query_execution_id = id;
  ctx.database = "default";
  std::string catalog = kDefaultCatalog;
  if (auto* c = GetObject(doc, "QueryExecutionContext")) {
    if (auto db = GetString(*c, "Database"); db && !db->empty()) ctx.database = AsciiLower(*db);
    if (auto cat = GetString(*c, "Catalog"); cat && !cat->empty()) catalog = *cat;
  }
  ctx.output_location = folder;
  ctx.cancel = &active->cancel;
  ctx.caller_arn = active->caller.principal.arn;

  auto finish_failed = [&](const Error& error, bool system) {
    std::int64_t now = UnixNowMs();
    if (active->cancel.cancelled()) {
      auto& status = doc["Status"].as_object();
      status["State"] = "CANCELLED";
      status["StateChangeReason"] = "Query was cancelled by user";
      status["CompletionDateTime"] = now;
    } else {
      SetFailed(doc, error, now, system);
    }
    SetStatistics(doc, submitted, active->started_ms, now, {});
    (void)StoreFinal(id, doc);
  };

  if (AsciiLower(catalog) != AsciiLower(kDefaultCatalog)) {
    finish_failed(MakeError("CATALOG_NOT_FOUND", "Catalog '" + AsciiLower(catalog) + "' does not exist"),
                  false);
    return;
  }
  if (!url) {
    finish_failed(MakeError("INVALID_INPUT", "Invalid output location " + result_url), false);
    return;
  }
  // Athena checks the output bucket before running anything.
  if (auto head = lake.HeadBucket(url->bucket); !head) {
    finish_failed(MakeError("INVALID_INPUT", "Unable to verify/create output bucket " + url->bucket), false);
    return;
  }
  std::vector<std::string> parameters;
  bool has_parameters = false;
  if (auto* params = doc.if_contains("ExecutionParameters");
      params && params->is_array() && !params->as_array().empty()) {
    has_parameters = true;
    for (const auto& v : params->as_array())
      parameters.push_back(v.is_string() ? std::string(v.as_string()) : "");
  }
  std::string workgroup = GetString(doc, "WorkGroup").value_or(kPrimaryWorkGroup);
  auto prepared = ParsePreparedCommand(query);
  if (!prepared) {
    finish_failed(prepared.error(), false);
    return;
  }
  if (prepared->kind == PreparedCommand::kPrepare || prepared->kind == PreparedCommand::kDeallocate) {
    if (!AwaitRecorded(id)) return Retire(id);
    Status done;
    if (has_parameters) {
      done = MakeError("INVALID_PARAMETER_USAGE",
                       "INVALID_PARAMETER_USAGE: ExecutionParameters can only be used with EXECUTE");
    } else if (prepared->kind == PreparedCommand::kPrepare) {
      done = SavePreparedStatement(ns, workgroup, prepared->name, prepared->body, std::nullopt,
                                   SaveMode::kUpsert);
    } else {
      auto removed = RemovePreparedStatement(ns, workgroup, prepared->name);
      if (!removed) {
        done = std::move(removed).error();
      } else if (!*removed) {
        done = MakeError("PREPARED_STATEMENT_NOT_FOUND",
                         "PREPARED_STATEMENT_NOT_FOUND: Prepared statement not found: " + prepared->name +
                             " (workgroup " + workgroup + ")");
      }
    }
    if (!done) {
      finish_failed(done.error(), false);
      return;
    }
  }
  if (prepared->kind == PreparedCommand::kExecute) {
    auto stored = LoadPreparedStatement(ns, workgroup, prepared->name);
    if (!stored) {
      finish_failed(stored.error(), true);
      return;
    }
    if (!*stored) {
      finish_failed(MakeError("PREPARED_STATEMENT_NOT_FOUND",
                              "PREPARED_STATEMENT_NOT_FOUND: Prepared statement not found: " +
                                  prepared->name + " (workgroup " + workgroup + ")"),
                    false);
      return;
    }
    if (prepared->has_using && has_parameters) {
      finish_failed(
          MakeError("INVALID_PARAMETER_USAGE",
                    "INVALID_PARAMETER_USAGE: EXECUTE ... USING and ExecutionParameters cannot both be "
                    "given"),
          false);
      return;
    }
    query = GetString(**stored, "QueryStatement").value_or("");
    if (prepared->has_using) {
      parameters = prepared->using_values;
      has_parameters = true;
    }
    if (!has_parameters) {
      // A statement without placeholders runs as it is; one with them needs values.
      auto checked = SubstituteParameters(query, {});
      if (!checked) {
        finish_failed(checked.error(), false);
        return;
      }
    }
  }
  if (has_parameters) {
    auto substituted = SubstituteParameters(query, parameters);
    if (!substituted) {
      finish_failed(substituted.error(), false);
      return;
    }
    query = std::move(*substituted);
  }
  Result<StatementOutcome> outcome = StatementOutcome{};
  if (prepared->kind == PreparedCommand::kPrepare || prepared->kind == PreparedCommand::kDeallocate) {
    // Done above; like other utility statements they leave an empty .txt result.
    outcome->meta.format = "txt";
    outcome->meta.header = false;
    outcome->meta.update_count = 0;
  } else {
    auto parsed = ParseStatement(query);
    if (!parsed) {
      finish_failed(MakeError("PARSE", "FAILED: ParseException " + parsed.error().message), false);
      return;
    }
    if (parsed->kind == StatementKind::kUnsupported) {
      finish_failed(MakeError("NOT_SUPPORTED", parsed->unsupported_reason), false);
      return;
    }
    // A query only reads until its results are written; any other statement changes the catalog or
    // the lake as it runs, so it waits for its execution to be on record.
    if (parsed->kind != StatementKind::kSelect && !AwaitRecorded(id)) return Retire(id);
    // An encrypted catalog is read with the caller's KMS permissions (kms:Decrypt on the catalog's key).
    std::unique_ptr<glue::RegionalCatalog> regional =
        catalog_.ForRegion(ns.account, ns.region, glue::AccessorOf(active->caller));
    StatementRunner runner(*regional, lake, engine_, options_);
    // Tables are read with the caller's Glue permissions, as Athena's: glue:GetTable on the catalog, the
    // database and the table, through the invoker (authorized and recorded as a call via Athena).
    if (options_.invoker != nullptr) {
      runner.AuthorizeTablesWith([this, &active](const std::string& database, const std::string& table) {
        return options_.invoker->CallWith(active->caller, "glue", "GetTable",
                                          json::object{{"DatabaseName", database}, {"Name", table}},
                                          [] { return Status::Ok(); });
      });
      runner.AuthorizeCatalogCallsWith(
          [this, &active](const std::string& operation, const json::object& params) {
            return options_.invoker->CallWith(active->caller, "glue", operation, params,
                                              [] { return Status::Ok(); });
          });
    }
    outcome = runner.Run(*parsed, ctx);
  }
  if (!outcome) {
    const Error& e = outcome.error();
    finish_failed(e, e.http_status >= 500 && !IsAllCaps(e.code));
    return;
  }

  // Result files <id>.csv|.txt and <id>.metadata, and the SUCCEEDED state, in one metadata transaction
  // (LakeAccess::PutObjects): a client that sees SUCCEEDED finds both objects. Small objects are inline in
  // their rows, so for most results the whole step is one commit (larger ones add overlapped blob fsyncs).
  if (!AwaitRecorded(id)) {
    if (!outcome->local_csv.empty()) {
      std::error_code ec;
      std::filesystem::remove(outcome->local_csv, ec);
    }
    return Retire(id);
  }
  std::vector<s3::LakePut> puts(2);
  puts[0].key = url->key;
  if (outcome->csv) {
    puts[0].bytes = std::move(*outcome->csv);
    puts[0].content_type = "text/csv";
  } else if (!outcome->local_csv.empty()) {
    puts[0].path = outcome->local_csv;
    puts[0].content_type = "text/csv";
  } else {
    for (const auto& line : outcome->txt_lines) puts[0].bytes += line + "\n";
    puts[0].content_type = outcome->meta.format == "csv" ? "text/csv" : "text/plain";
  }
  puts[1].key = url->key + ".metadata";
  puts[1].bytes = SerializeResultMetadata(outcome->meta);
  puts[1].content_type = "application/octet-stream";
  // CSE_KMS: both objects encrypted client-side under data keys the caller asks KMS for.
  const json::object* encryption = nullptr;
  if (auto* rc = GetObject(doc, "ResultConfiguration"))
    encryption = GetObject(*rc, "EncryptionConfiguration");
  if (encryption != nullptr && GetString(*encryption, "EncryptionOption").value_or("") == "CSE_KMS") {
    Status sealed = options_.invoker == nullptr ? Status(InternalError("no KMS to encrypt the results with"))
                                                : Status::Ok();
    for (auto& put : puts) {
      if (!sealed) break;
      sealed = EncryptClientSide(*options_.invoker, active->caller,
                                 GetString(*encryption, "KmsKey").value_or(""), put);
    }
    if (!sealed) {
      if (!outcome->local_csv.empty()) {
        std::error_code ec;
        std::filesystem::remove(outcome->local_csv, ec);
      }
      finish_failed(
          MakeError("HIVE_FILESYSTEM_ERROR",
                    "Error encrypting query results for " + result_url + ": " + sealed.error().message, 500),
          true);
      return;
    }
  }
  json::object succeeded = doc;
  std::int64_t now = UnixNowMs();
  auto& status = succeeded["Status"].as_object();
  status["State"] = "SUCCEEDED";
  status["CompletionDateTime"] = now;
  SetStatistics(succeeded, submitted, active->started_ms, now, outcome->stats);
  auto written = lake.PutObjects(url->bucket, puts,
                                 [&](store::Transaction& txn) { return WriteFinal(txn, id, succeeded); });
  if (!outcome->local_csv.empty()) {
    std::error_code ec;
    std::filesystem::remove(outcome->local_csv, ec);
  }
  if (!written) {
    Error e = MakeError("HIVE_FILESYSTEM_ERROR",
                        "Error writing query results to " + result_url + ": " + written.error().message, 500);
    now = UnixNowMs();
    SetFailed(doc, e, now, true);
    doc["Status"].as_object()["AthenaError"].as_object()["ErrorType"] = 401;
    SetStatistics(doc, submitted, active->started_ms, now, outcome->stats);
    (void)StoreFinal(id, doc);
    return;
  }
  Retire(id, &succeeded);
}

}  // namespace cenote::athena
