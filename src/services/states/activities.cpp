// Activities: tasks of a state machine done by workers that poll for them (GetActivityTask) and answer with
// SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat and the task's token.
//
// An activity is a row of states_machines with kind 'activity'. A Task state whose Resource is its ARN queues
// one row in states_activity_tasks (the token, the input, the execution) and waits for the token as a
// .waitForTaskToken task does; GetActivityTask takes the oldest task of the activity whose execution still
// awaits it, records the worker with the execution (ActivityStarted) and answers the token and input. The
// queue is in the metadata store: tasks queued before a restart are handed out after it.
#include <chrono>

#include "services/states/internal.hpp"

namespace cenote::states {

namespace {

// AWS's limit on activities per account and region.
constexpr std::int64_t kMaxActivities = 10'000;
// GetActivityTask waits up to 60 seconds for a task (AWS's long poll).
constexpr std::chrono::seconds kLongPoll{60};
constexpr std::size_t kMaxWorkerName = 80;

// The activity `arn` names in the caller's account and region, or ActivityDoesNotExist / InvalidArn.
Result<json::object> LoadActivity(store::Transaction& txn, const std::string& arn,
                                  const RequestContext& ctx) {
  auto p = ParseArn(arn);
  if (!p || p->type != "activity" || !p->qualifier.empty()) return InvalidArn(arn);
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn.QueryOne("SELECT doc, account, region FROM states_machines WHERE arn = ? "
                                       "AND kind = 'activity'",
                                       {arn}));
  if (!row || store::AsText((*row)[1]) != ctx.account_id() || store::AsText((*row)[2]) != ctx.region)
    return services::MakeError(errors::kActivityDoesNotExist, {arn});
  return ParseDoc((*row)[0]);
}

}  // namespace

Result<OperationOutput> CreateActivity(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "name").value_or("");
  if (!ValidName(name)) return services::MakeError(errors::kInvalidName, {name});
  const std::string arn = "arn:aws:states:" + ctx.region + ":" + ctx.account_id() + ":activity:" + name;
  CENOTE_ASSIGN_OR_RETURN(json::array tags, MergeTags({}, GetArray(p, "tags")));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(
      auto existing,
      txn->QueryOne("SELECT doc FROM states_machines WHERE arn = ? AND kind = 'activity'", {arn}));
  // CreateActivity is idempotent: the same name answers the existing activity (its tags are not changed).
  if (existing) {
    json::object doc = ParseDoc((*existing)[0]);
    return json::object{{"activityArn", arn}, {"creationDate", doc["creationDate"]}};
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto count,
      txn->QueryOne("SELECT COUNT(*) FROM states_machines WHERE account = ? AND region = ? AND kind = "
                    "'activity'",
                    {ctx.account_id(), ctx.region}));
  if (count && store::AsInt((*count)[0]) >= kMaxActivities) {
    return services::MakeError(
        errors::kActivityLimitExceeded,
        {"You have reached the limit of " + std::to_string(kMaxActivities) + " activities."});
  }
  const std::int64_t now = env.Now();
  json::object doc{{"activityArn", arn}, {"name", name}, {"creationDate", now}, {"tags", std::move(tags)}};
  if (const json::object* enc = GetObject(p, "encryptionConfiguration"))
    doc["encryptionConfiguration"] = *enc;
  CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
      "INSERT INTO states_machines (arn, account, region, name, kind, parent, doc) VALUES (?, ?, ?, ?, "
      "'activity', '', ?)",
      {arn, ctx.account_id(), ctx.region, name, json::serialize(doc)})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{{"activityArn", arn}, {"creationDate", now}};
}

Result<OperationOutput> DescribeActivity(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "activityArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, LoadActivity(*txn, arn, ctx));
  json::object out{{"activityArn", arn}, {"name", doc["name"]}, {"creationDate", doc["creationDate"]}};
  if (doc.contains("encryptionConfiguration"))
    out["encryptionConfiguration"] = doc["encryptionConfiguration"];
  return out;
}

Result<OperationOutput> DeleteActivity(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "activityArn").value_or("");
  auto p = ParseArn(arn);
  if (!p || p->type != "activity" || !p->qualifier.empty()) return InvalidArn(arn);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  // Deleting an activity that does not exist succeeds, as on AWS. Its queued tasks go with it: their
  // executions time out (or wait) as on AWS.
  CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
      "DELETE FROM states_machines WHERE arn = ? AND kind = 'activity' AND account = ? AND region = ?",
      {arn, ctx.account_id(), ctx.region})));
  CENOTE_RETURN_IF_ERROR(
      Status::FromResult(txn->Exec("DELETE FROM states_activity_tasks WHERE activity = ?", {arn})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> ListActivities(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::size_t offset = 0;
  if (auto t = GetString(p, "nextToken")) {
    if (t->empty() || t->size() > 18 || t->find_first_not_of("0123456789") != std::string::npos)
      return services::MakeError(errors::kInvalidToken, {"Invalid pagination token"});
    offset = static_cast<std::size_t>(std::stoull(*t));
  }
  std::int64_t max = GetInt(p, "maxResults").value_or(100);
  if (max <= 0 || max > 1000) max = 100;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT doc FROM states_machines WHERE account = ? AND region = ? "
                                     "AND kind = 'activity' ORDER BY name",
                                     {ctx.account_id(), ctx.region}));
  json::array items;
  for (std::size_t i = offset; i < rows.size() && items.size() < static_cast<std::size_t>(max); ++i) {
    json::object d = ParseDoc(rows[i][0]);
    items.push_back(json::object{
        {"activityArn", d["activityArn"]}, {"name", d["name"]}, {"creationDate", d["creationDate"]}});
  }
  json::object out{{"activities", std::move(items)}};
  if (offset + static_cast<std::size_t>(max) < rows.size())
    out["nextToken"] = std::to_string(offset + static_cast<std::size_t>(max));
  return out;
}

Status EnqueueActivityTask(Env& env, const std::string& activity_arn, const std::string& token,
                           const std::string& input, const std::string& execution_arn) {
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_ASSIGN_OR_RETURN(
        auto row,
        txn->QueryOne("SELECT 1 FROM states_machines WHERE arn = ? AND kind = 'activity'", {activity_arn}));
    if (!row) return services::MakeError(errors::kActivityDoesNotExist, {activity_arn});
    CENOTE_RETURN_IF_ERROR(Status::FromResult(txn->Exec(
        "INSERT INTO states_activity_tasks (activity, token, input, execution, created) VALUES (?, ?, ?, "
        "?, ?)",
        {activity_arn, token, input, execution_arn, env.Now()})));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  MutexLock lock(env.mu);
  env.activity_cv.SignalAll();
  return Status::Ok();
}

namespace {

// Takes the oldest task of `arn` whose execution still waits for its token (others are dropped), and
// records the worker with the execution; nullopt when there is none.
Result<std::optional<json::object>> TakeTask(Env& env, const std::string& arn, const std::string& worker) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  while (true) {
    CENOTE_ASSIGN_OR_RETURN(
        auto row, txn->QueryOne("SELECT id, token, input, execution FROM states_activity_tasks WHERE "
                                "activity = ? ORDER BY id LIMIT 1",
                                {arn}));
    if (!row) {
      CENOTE_RETURN_IF_ERROR(txn->Commit());
      return std::optional<json::object>();
    }
    const std::int64_t id = store::AsInt((*row)[0]);
    const std::string token = store::AsText((*row)[1]);
    const std::string execution = store::AsText((*row)[3]);
    CENOTE_RETURN_IF_ERROR(
        Status::FromResult(txn->Exec("DELETE FROM states_activity_tasks WHERE id = ?", {id})));
    CENOTE_ASSIGN_OR_RETURN(
        auto ex, txn->QueryOne("SELECT run, status FROM states_executions WHERE arn = ?", {execution}));
    if (!ex || store::AsText((*ex)[1]) != "RUNNING") continue;
    json::object run = ParseDoc((*ex)[0]);
    if (!asl::AwaitsToken(run, token)) continue;
    // ActivityStarted and the heartbeat clock: delivered to the execution like a heartbeat.
    json::object delivery{
        {"heartbeat", true}, {"output", json::object{{"worker", worker}}}, {"token", token}};
    CENOTE_RETURN_IF_ERROR(
        Status::FromResult(txn->Exec("INSERT INTO states_deliveries (execution, token, doc) VALUES (?, ?, ?)",
                                     {execution, token, json::serialize(delivery)})));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    env.Arm(execution, env.Now());
    return std::optional<json::object>(
        json::object{{"taskToken", token}, {"input", store::AsText((*row)[2])}});
  }
}

}  // namespace

Result<OperationOutput> GetActivityTask(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "activityArn").value_or("");
  const std::string worker = GetString(p, "workerName").value_or("");
  if (worker.size() > kMaxWorkerName)
    return services::MakeError(errors::kValidation, {"workerName must be at most 80 characters"});
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_RETURN_IF_ERROR(Status::FromResult(LoadActivity(*txn, arn, ctx)));
  }
  const auto deadline = std::chrono::steady_clock::now() + kLongPoll;
  while (true) {
    CENOTE_ASSIGN_OR_RETURN(auto task, TakeTask(env, arn, worker));
    if (task) return std::move(*task);
    // No task: wait for one to be queued (or re-check every second: another server thread's executions,
    // a restart's recovered queue), until the long poll ends with no token.
    MutexLock lock(env.mu);
    if (std::chrono::steady_clock::now() >= deadline || env.stopping) return json::object{};
    env.activity_cv.WaitFor(lock, std::chrono::seconds(1));
  }
}

}  // namespace cenote::states
