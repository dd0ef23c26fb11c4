// Executions: starting, advancing (durably), describing, listing, stopping, redriving; history; task tokens.
//
// Order of an advance: the execution's row and its undelivered SendTask* outcomes are read -> the
// interpreter runs every branch as far as it can (Task calls go out here) -> the new interpreter document,
// status, next due time and the new history events commit in one transaction, and the consumed deliveries
// are deleted in it -> the timer is re-armed. A crash before the commit repeats the advance from the last
// committed document.
#if defined(__GNUC__) && !defined(__clang__)
// g++ 12 misreads the std::optional<Row> of QueryOne as maybe-uninitialized after CENOTE_ASSIGN_OR_RETURN.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "common/random.hpp"
#include "services/states/asl/definition.hpp"
#include "services/states/asl/json_path.hpp"
#include "services/states/internal.hpp"

namespace cenote::states {

namespace {

constexpr std::size_t kMaxInputBytes = 256 * 1024;
// StartSyncExecution: Express workflows run for at most five minutes.
constexpr std::int64_t kExpressMaxMs = 5 * 60 * 1000;

asl::ExecutionInfo InfoOf(const json::object& doc) {
  asl::ExecutionInfo info;
  info.execution_arn = GetString(doc, "executionArn").value_or("");
  info.name = GetString(doc, "name").value_or("");
  info.role_arn = GetString(doc, "roleArn").value_or("");
  info.state_machine_arn = GetString(doc, "stateMachineArn").value_or("");
  info.state_machine_name = GetString(doc, "machineName").value_or("");
  info.start_ms = GetInt(doc, "startDate").value_or(0);
  info.redrive_count = GetInt(doc, "redriveCount").value_or(0);
  return info;
}

// "Step Functions Execution Status Change" to the default bus of the execution's account and region, put by
// Step Functions itself (states.amazonaws.com), as Glue and Athena put their state changes.
void SendStatusEvent(Env& env, const json::object& doc) {
  if (!env.options.status_events || env.invoker == nullptr) return;
  const std::string arn = GetString(doc, "executionArn").value_or("");
  auto p = ParseArn(arn);
  if (!p) return;
  json::object detail{
      {"executionArn", arn},
      {"stateMachineArn", doc.contains("stateMachineArn") ? doc.at("stateMachineArn") : nullptr},
      {"name", doc.contains("name") ? doc.at("name") : nullptr},
      {"status", doc.contains("status") ? doc.at("status") : nullptr},
      {"startDate", doc.contains("startDate") ? doc.at("startDate") : nullptr},
      {"stopDate", doc.contains("stopDate") ? doc.at("stopDate") : nullptr},
      {"input", doc.contains("input") ? doc.at("input") : nullptr},
      {"output", doc.contains("output") ? doc.at("output") : nullptr},
      {"inputDetails", json::object{{"included", true}}},
      {"outputDetails",
       doc.contains("output") ? json::value(json::object{{"included", true}}) : json::value(nullptr)},
      {"error", doc.contains("error") ? doc.at("error") : nullptr},
      {"cause", doc.contains("cause") ? doc.at("cause") : nullptr}};
  const aws::Caller caller = aws::ServiceCaller(kServicePrincipal, p->account, p->region);
  aws::OperationInput in;
  in.params = json::object{
      {"Entries", json::array{json::object{{"Source", "aws.states"},
                                           {"DetailType", "Step Functions Execution Status Change"},
                                           {"Detail", json::serialize(detail)},
                                           {"Resources", json::array{arn}},
                                           {"EventBusName", "default"}}}}};
  auto put = env.invoker->Call(caller, "events", "PutEvents", in);
  if (!put) spdlog::debug("states: status change not sent to EventBridge: {}", put.error().message);
}

// Folds an ended run into the execution's document (status, stopDate, output or error/cause).
void Finish(json::object& doc, const json::object& run, std::int64_t now) {
  const std::string status = GetString(run, "status").value_or("RUNNING");
  doc["status"] = status;
  if (status == "RUNNING") return;
  doc["stopDate"] = now;
  if (status == "SUCCEEDED") {
    doc["output"] = asl::ToJsonText(run.at("output"));
  } else {
    if (auto e = GetString(run, "error"); e && !e->empty()) doc["error"] = *e;
    if (auto c = GetString(run, "cause"); c && !c->empty()) doc["cause"] = *c;
  }
}

Status Commit(Env& env, store::Transaction& txn, const std::string& arn, const json::object& doc,
              const json::object& run, const asl::Advance& a, std::int64_t due) {
  const std::string status = GetString(doc, "status").value_or("RUNNING");
  CENOTE_RETURN_IF_ERROR(Status::FromResult(txn.Exec(
      "UPDATE states_executions SET status = ?, stop_ms = ?, doc = ?, run = ?, due_ms = ? WHERE arn = ?",
      {status,
       doc.contains("stopDate") ? store::Value(GetInt(doc, "stopDate").value_or(0)) : store::Value(nullptr),
       json::serialize(doc), json::serialize(run), due, arn})));
  for (const auto& e : a.events) {
    CENOTE_RETURN_IF_ERROR(Status::FromResult(
        txn.Exec("INSERT OR REPLACE INTO states_history (execution, id, doc) VALUES (?, ?, ?)",
                 {arn, GetInt(e, "id").value_or(0), json::serialize(e)})));
  }
  (void)env;
  return Status::Ok();
}

struct Resolved {
  json::object machine;  // the machine row (name, type, ...)
  json::object run_doc;  // the definition, role, ... to run: the version's when a version or alias is named
  std::string machine_arn, version_arn, alias_arn;
};

// StartExecution's stateMachineArn: a state machine, one of its versions, or an alias (routed by weight).
Result<Resolved> Resolve(store::Transaction& txn, const std::string& arn, const RequestContext& ctx) {
  auto p = ParseArn(arn);
  if (!p || p->type != "stateMachine") return InvalidArn(arn);
  Resolved r;
  r.machine_arn = MachineArn(p->region, p->account, p->name);
  if (p->account != ctx.account_id() || p->region != ctx.region) {
    return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  }
  auto machine = LoadMachine(txn, r.machine_arn);
  if (!machine) return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  r.machine = *machine;
  r.run_doc = *machine;
  if (p->qualifier.empty()) return r;
  std::string version = arn;
  if (p->qualifier.find_first_not_of("0123456789") != std::string::npos) {
    r.alias_arn = arn;
    CENOTE_ASSIGN_OR_RETURN(
        auto row, txn.QueryOne("SELECT doc FROM states_machines WHERE arn = ? AND kind = 'alias'", {arn}));
    if (!row) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
    json::object alias = ParseDoc((*row)[0]);
    const json::array* routes = GetArray(alias, "routingConfiguration");
    std::uint64_t x = 0;
    FillRandom(&x, sizeof(x));
    std::int64_t pick = static_cast<std::int64_t>(x % 100), acc = 0;
    for (const auto& route : routes ? *routes : json::array{}) {
      acc += GetInt(route.as_object(), "weight").value_or(0);
      version = GetString(route.as_object(), "stateMachineVersionArn").value_or("");
      if (pick < acc) break;
    }
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne("SELECT doc FROM states_machines WHERE arn = ? AND kind = 'version'", {version}));
  if (!row) return services::MakeError(errors::kStateMachineDoesNotExist, {version});
  r.run_doc = ParseDoc((*row)[0]);
  r.version_arn = version;
  return r;
}

Result<json::value> ParseInput(const std::string& input) {
  if (input.size() > kMaxInputBytes) {
    return services::MakeError(
        errors::kValidation,
        {"1 validation error detected: Value at 'input' failed to satisfy constraint: Member "
         "must have length less than or equal to 262144"});
  }
  boost::system::error_code ec;
  json::value v = json::parse(input, ec);
  if (ec) return services::MakeError(errors::kInvalidExecutionInput, {ec.message()});
  return v;
}

// A fresh execution's document and interpreter run for `input`.
json::object NewExecutionDoc(const Resolved& r, const std::string& arn, const std::string& name,
                             const std::string& input, std::int64_t now) {
  json::object doc{{"executionArn", arn},
                   {"stateMachineArn", r.machine_arn},
                   {"machineName", GetString(r.machine, "name").value_or("")},
                   {"name", name},
                   {"status", "RUNNING"},
                   {"startDate", now},
                   {"input", input},
                   {"definition", GetString(r.run_doc, "definition").value_or("")},
                   {"roleArn", GetString(r.run_doc, "roleArn").value_or("")},
                   {"type", GetString(r.machine, "type").value_or("STANDARD")},
                   {"redriveCount", 0}};
  if (!r.version_arn.empty()) doc["stateMachineVersionArn"] = r.version_arn;
  if (!r.alias_arn.empty()) doc["stateMachineAliasArn"] = r.alias_arn;
  if (auto rev = GetString(r.run_doc, "revisionId")) doc["revisionId"] = *rev;
  return doc;
}

json::object NewRunFor(const json::object& doc, const json::value& input) {
  json::object run = asl::Interpreter::NewRun(input);
  if (auto v = GetString(doc, "stateMachineVersionArn")) run["version_arn"] = *v;
  if (auto a = GetString(doc, "stateMachineAliasArn")) run["alias_arn"] = *a;
  return run;
}

Result<json::object> ExecutionRow(store::Transaction& txn, const std::string& arn,
                                  const RequestContext& ctx) {
  auto p = ParseArn(arn);
  if (!p || (p->type != "execution" && p->type != "express") || p->qualifier.empty()) return InvalidArn(arn);
  (void)ctx;
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT doc FROM states_executions WHERE arn = ?", {arn}));
  if (!row) return services::MakeError(errors::kExecutionDoesNotExist, {arn});
  return ParseDoc((*row)[0]);
}

json::object DescribeDoc(json::object doc) {
  doc["inputDetails"] = json::object{{"included", true}};
  if (doc.contains("output")) doc["outputDetails"] = json::object{{"included", true}};
  const std::string status = GetString(doc, "status").value_or("");
  const bool redrivable = GetString(doc, "type") != "EXPRESS" &&
                          (status == "FAILED" || status == "TIMED_OUT" || status == "ABORTED");
  doc["redriveStatus"] = redrivable ? "REDRIVABLE" : "NOT_REDRIVABLE";
  if (!redrivable) {
    doc["redriveStatusReason"] = status == "RUNNING"     ? "Execution is RUNNING and cannot be redriven"
                                 : status == "SUCCEEDED" ? "Execution is SUCCEEDED and cannot be redriven"
                                                         : "Execution is not redrivable";
  }
  for (std::string_view k : {"definition", "roleArn", "machineName", "type", "revisionId", "itemCount"})
    doc.erase(k);
  return doc;
}

}  // namespace

Status LoadTimers(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT arn, due_ms FROM states_executions WHERE status = 'RUNNING'"));
  // Deliveries not yet consumed make their executions due at once.
  CENOTE_ASSIGN_OR_RETURN(auto pending, txn->Query("SELECT DISTINCT execution FROM states_deliveries"));
  MutexLock lock(env.mu);
  for (const auto& r : rows) {
    const std::string arn = store::AsText(r[0]);
    const std::int64_t due = store::AsInt(r[1]);
    if (due < 0) continue;
    env.timers.emplace(due, arn);
    env.due_of[arn] = due;
  }
  for (const auto& r : pending) {
    const std::string arn = store::AsText(r[0]);
    if (auto it = env.due_of.find(arn); it != env.due_of.end()) env.timers.erase({it->second, arn});
    env.timers.emplace(0, arn);
    env.due_of[arn] = 0;
  }
  return Status::Ok();
}

Status AdvanceExecution(Env& env, const std::string& arn) {
  ExecutionLock hold(env, arn);
  if (hold.reentrant()) return Status::Ok();  // (cannot happen: advances run on the background task only)
  json::object doc, run;
  std::vector<std::pair<std::int64_t, json::object>> deliveries;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(
        auto row, txn->QueryOne("SELECT doc, run, status FROM states_executions WHERE arn = ?", {arn}));
    if (!row || store::AsText((*row)[2]) != "RUNNING") {
      env.Arm(arn, -1);
      return Status::Ok();
    }
    doc = ParseDoc((*row)[0]);
    run = ParseDoc((*row)[1]);
    CENOTE_ASSIGN_OR_RETURN(
        auto d, txn->Query("SELECT id, doc FROM states_deliveries WHERE execution = ? ORDER BY id", {arn}));
    for (const auto& r : d) deliveries.emplace_back(store::AsInt(r[0]), ParseDoc(r[1]));
  }
  auto definition = asl::ParseDefinition(GetString(doc, "definition").value_or(""));
  const std::int64_t now = env.Now();
  asl::ExecutionInfo info = InfoOf(doc);
  info.map_runs = true;
  std::unique_ptr<asl::TaskRunner> runner = MakeTaskRunner(env);
  asl::Advance a;
  if (!definition) {
    // The definition was valid when the execution started; a stored one that no longer parses fails it.
    run["status"] = "FAILED";
    run["error"] = "States.Runtime";
    run["cause"] = definition.error().message;
    a.done = true;
  } else {
    asl::Interpreter it(*definition, info, *runner);
    const json::object* stop = nullptr;
    for (const auto& [id, d] : deliveries) {
      if (GetBool(d, "stop").value_or(false)) stop = &d;
    }
    for (const auto& [id, d] : deliveries) {
      asl::TaskOutcome o;
      const bool heartbeat = GetBool(d, "heartbeat").value_or(false);
      if (d.contains("error") || d.contains("cause")) {
        o.kind = asl::TaskOutcome::Kind::kFailed;
        o.error = GetString(d, "error").value_or("");
        o.cause = GetString(d, "cause").value_or("");
      } else if (d.contains("output")) {
        o.output = d.at("output");
      }
      if (!GetBool(d, "stop").value_or(false))
        it.Deliver(run, GetString(d, "token").value_or(""), o, heartbeat, now);
    }
    a = stop != nullptr ? it.Abort(run, GetString(*stop, "error").value_or(""),
                                   GetString(*stop, "cause").value_or(""), now)
                        : it.Step(run, now);
  }
  Finish(doc, run, now);
  std::int64_t due = a.done ? -1 : a.wake_ms;
  Status st = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    for (const auto& [id, d] : deliveries) {
      CENOTE_RETURN_IF_ERROR(
          Status::FromResult(txn->Exec("DELETE FROM states_deliveries WHERE id = ?", {id})));
    }
    // Outcomes that arrived during this advance (a task's own StopExecution, a fast SendTaskSuccess) are due
    // at once.
    if (!a.done) {
      CENOTE_ASSIGN_OR_RETURN(
          auto more, txn->QueryOne("SELECT 1 FROM states_deliveries WHERE execution = ? LIMIT 1", {arn}));
      if (more) due = now;
    }
    CENOTE_RETURN_IF_ERROR(Commit(env, *txn, arn, doc, run, a, due));
    return txn->Commit();
  }();
  if (!st) {
    env.Arm(arn, now + 1000);
    return st;
  }
  env.Arm(arn, due);
  if (a.done) {
    // A child of a Map Run tells its run; a parent's running Map Runs abort.
    if (auto m = GetString(doc, "mapRunArn")) env.Arm(*m, now);
    WakeMapRuns(env, arn);
    SendStatusEvent(env, doc);
  }
  return Status::Ok();
}

std::int64_t RunRound(Env& env) {
  const std::int64_t now = env.Now();
  std::vector<std::string> due;
  {
    MutexLock lock(env.mu);
    for (auto it = env.timers.begin(); it != env.timers.end() && it->first <= now && due.size() < 256; ++it) {
      due.push_back(it->second);
    }
  }
  for (const auto& arn : due) {
    Status st =
        arn.find(":mapRun:") != std::string::npos ? AdvanceMapRun(env, arn) : AdvanceExecution(env, arn);
    if (!st) spdlog::error("states: execution {} could not advance: {}", arn, st.error().message);
  }
  MutexLock lock(env.mu);
  if (env.timers.empty()) return -1;
  return std::max<std::int64_t>(0, env.timers.begin()->first - env.Now());
}

Result<OperationOutput> StartExecution(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string sm = GetString(p, "stateMachineArn").value_or("");
  const std::string name = GetString(p, "name").value_or(NewUuidV4());
  if (!ValidName(name)) return services::MakeError(errors::kInvalidName, {name});
  const std::string input = GetString(p, "input").value_or("{}");
  CENOTE_ASSIGN_OR_RETURN(json::value input_v, ParseInput(input));
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(Resolved r, Resolve(*txn, sm, ctx));
  const std::string machine_name = GetString(r.machine, "name").value_or("");
  const bool express = GetString(r.machine, "type") == "EXPRESS";
  const std::string arn = "arn:aws:states:" + ctx.region + ":" + ctx.account_id() + ":" +
                          (express ? "express:" : "execution:") + machine_name + ":" + name +
                          (express ? ":" + NewUuidV4() : "");
  CENOTE_ASSIGN_OR_RETURN(auto existing,
                          txn->QueryOne("SELECT doc, status FROM states_executions WHERE arn = ?", {arn}));
  if (existing) {
    // Idempotent for a running execution of the same name and input (Standard workflows); otherwise taken.
    json::object d = ParseDoc((*existing)[0]);
    if (store::AsText((*existing)[1]) == "RUNNING" && GetString(d, "input") == input) {
      return json::object{{"executionArn", arn}, {"startDate", d["startDate"]}};
    }
    return services::MakeError(errors::kExecutionAlreadyExists, {arn});
  }
  json::object doc = NewExecutionDoc(r, arn, name, input, now);
  if (auto th = GetString(p, "traceHeader")) doc["traceHeader"] = *th;
  json::object run = NewRunFor(doc, input_v);
  CENOTE_RETURN_IF_ERROR(
      Status::FromResult(txn->Exec("INSERT INTO states_executions (arn, account, region, machine_arn, name, "
                                   "status, start_ms, stop_ms, doc, run, "
                                   "due_ms) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, NULL, ?, ?, ?)",
                                   {arn, ctx.account_id(), ctx.region, r.machine_arn, name, now,
                                    json::serialize(doc), json::serialize(run), now})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.Arm(arn, now);
  SendStatusEvent(env, doc);
  return json::object{{"executionArn", arn}, {"startDate", now}};
}

Result<OperationOutput> StartSyncExecution(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string sm = GetString(p, "stateMachineArn").value_or("");
  const std::string name = GetString(p, "name").value_or(NewUuidV4());
  if (!ValidName(name)) return services::MakeError(errors::kInvalidName, {name});
  const std::string input = GetString(p, "input").value_or("{}");
  CENOTE_ASSIGN_OR_RETURN(json::value input_v, ParseInput(input));
  Resolved r;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(r, Resolve(*txn, sm, ctx));
  }
  if (GetString(r.machine, "type") != "EXPRESS") {
    return services::MakeError(errors::kStateMachineTypeNotSupported,
                               {"This operation is not supported by this type of state machine"});
  }
  const std::int64_t start = env.Now();
  const std::string arn = "arn:aws:states:" + ctx.region + ":" + ctx.account_id() +
                          ":express:" + GetString(r.machine, "name").value_or("") + ":" + name + ":" +
                          NewUuidV4();
  json::object doc = NewExecutionDoc(r, arn, name, input, start);
  CENOTE_ASSIGN_OR_RETURN(json::object definition,
                          asl::ParseDefinition(GetString(doc, "definition").value_or("")));
  const asl::ExecutionInfo info = InfoOf(doc);
  std::unique_ptr<asl::TaskRunner> runner = MakeTaskRunner(env);
  asl::Interpreter it(definition, info, *runner);
  json::object run = NewRunFor(doc, input_v);
  // Express workflows keep no history: the run lives in memory on this request's thread; waits sleep.
  while (true) {
    const std::int64_t now = env.Now();
    asl::Advance a = it.Step(run, now);
    if (a.done) break;
    if (now - start >= kExpressMaxMs) {
      run["status"] = "TIMED_OUT";
      run["error"] = "States.Timeout";
      break;
    }
    const std::int64_t wait = a.wake_ms < 0 ? 100 : std::clamp<std::int64_t>(a.wake_ms - now, 0, 100);
    if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(wait));
  }
  const std::int64_t stop = env.Now();
  Finish(doc, run, stop);
  json::object out{
      {"executionArn", arn},
      {"stateMachineArn", r.machine_arn},
      {"name", name},
      {"startDate", start},
      {"stopDate", stop},
      {"status", doc["status"]},
      {"input", input},
      {"inputDetails", json::object{{"included", true}}},
      {"billingDetails", json::object{{"billedMemoryUsedInMB", 64},
                                      {"billedDurationInMilliseconds",
                                       std::max<std::int64_t>(100, (stop - start + 99) / 100 * 100)}}}};
  if (doc.contains("output")) {
    out["output"] = doc["output"];
    out["outputDetails"] = json::object{{"included", true}};
  }
  if (doc.contains("error")) out["error"] = doc["error"];
  if (doc.contains("cause")) out["cause"] = doc["cause"];
  return out;
}

Result<OperationOutput> DescribeExecution(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "executionArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, ExecutionRow(*txn, arn, ctx));
  json::object out = DescribeDoc(std::move(doc));
  // includedData METADATA_ONLY leaves the input and output out (their details say so).
  if (GetString(in.params.as_object(), "includedData") == "METADATA_ONLY") {
    out.erase("input");
    out.erase("output");
    out["inputDetails"] = json::object{{"included", false}};
    if (out.contains("outputDetails")) out["outputDetails"] = json::object{{"included", false}};
  }
  return out;
}

Result<OperationOutput> ListExecutions(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string sm = GetString(p, "stateMachineArn").value_or("");
  const std::string map_run = GetString(p, "mapRunArn").value_or("");
  if (sm.empty() == map_run.empty()) {
    return services::MakeError(errors::kValidation, {"Must provide a StateMachine ARN or MapRun ARN"});
  }
  // A Map Run's child executions are rows whose machine_arn is the Map Run's ARN.
  std::optional<ArnParts> parts;
  std::string machine;
  if (!map_run.empty()) {
    CENOTE_RETURN_IF_ERROR(Status::FromResult(MapRunExists(env, ctx, map_run)));
    parts = ArnParts{};
    machine = map_run;
  } else {
    parts = ParseArn(sm);
    if (!parts || parts->type != "stateMachine") return InvalidArn(sm);
    machine = MachineArn(parts->region, parts->account, parts->name);
    if (parts->account != ctx.account_id() || parts->region != ctx.region) {
      return services::MakeError(errors::kStateMachineDoesNotExist, {sm});
    }
  }
  std::size_t offset = 0;
  if (auto t = GetString(p, "nextToken")) {
    if (t->empty() || t->find_first_not_of("0123456789") != std::string::npos) {
      return MakeError("InvalidToken", "Invalid Token: 'Invalid pagination token'");
    }
    offset = static_cast<std::size_t>(std::stoull(*t));
  }
  std::int64_t max = GetInt(p, "maxResults").value_or(0);
  if (max <= 0 || max > 1000) max = 100;
  const auto status = GetString(p, "statusFilter");
  const auto redrive = GetString(p, "redriveFilter");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  if (map_run.empty() && !LoadMachine(*txn, machine))
    return services::MakeError(errors::kStateMachineDoesNotExist, {sm});
  std::string sql = "SELECT doc FROM states_executions WHERE machine_arn = ?";
  std::vector<store::Value> args{machine};
  if (status) {
    sql += " AND status = ?";
    args.emplace_back(*status);
  }
  sql += " ORDER BY start_ms DESC, arn";
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, args));
  json::array items;
  std::size_t matched = 0;
  bool more = false;
  for (const auto& r : rows) {
    json::object d = ParseDoc(r[0]);
    if (!parts->qualifier.empty() && GetString(d, "stateMachineVersionArn") != sm &&
        GetString(d, "stateMachineAliasArn") != sm)
      continue;
    if (redrive && (*redrive == "REDRIVEN") != (GetInt(d, "redriveCount").value_or(0) > 0)) continue;
    if (matched++ < offset) continue;
    if (items.size() >= static_cast<std::size_t>(max)) {
      more = true;
      break;
    }
    json::object item{{"executionArn", d["executionArn"]},
                      {"stateMachineArn", d["stateMachineArn"]},
                      {"name", d["name"]},
                      {"status", d["status"]},
                      {"startDate", d["startDate"]}};
    for (std::string_view k : {"stopDate", "stateMachineVersionArn", "stateMachineAliasArn", "redriveDate",
                               "mapRunArn", "itemCount"}) {
      if (d.contains(k)) item[k] = d[k];
    }
    if (GetInt(d, "redriveCount").value_or(0) > 0) item["redriveCount"] = d["redriveCount"];
    items.push_back(std::move(item));
  }
  json::object out{{"executions", std::move(items)}};
  if (more) out["nextToken"] = std::to_string(offset + static_cast<std::size_t>(max));
  return out;
}

Result<OperationOutput> StopExecution(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "executionArn").value_or("");
  ExecutionLock hold(env, arn);
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, ExecutionRow(*txn, arn, ctx));
  if (GetString(doc, "status") != "RUNNING") {
    return json::object{{"stopDate", GetInt(doc, "stopDate").value_or(now)}};
  }
  if (hold.reentrant()) {
    // A task of this execution stops it: the advance under way commits first, then the stop is applied.
    CENOTE_RETURN_IF_ERROR(Status::FromResult(
        txn->Exec("INSERT INTO states_deliveries (execution, token, doc) VALUES (?, '', ?)",
                  {arn, json::serialize(json::object{{"stop", true},
                                                     {"error", GetString(p, "error").value_or("")},
                                                     {"cause", GetString(p, "cause").value_or("")}})})));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    env.Arm(arn, now);
    return json::object{{"stopDate", now}};
  }
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT run FROM states_executions WHERE arn = ?", {arn}));
  json::object run = ParseDoc((*row)[0]);
  const asl::ExecutionInfo info = InfoOf(doc);
  std::unique_ptr<asl::TaskRunner> runner = MakeTaskRunner(env);
  json::object definition;
  asl::Interpreter it(definition, info, *runner);
  asl::Advance a = it.Abort(run, GetString(p, "error").value_or(""), GetString(p, "cause").value_or(""), now);
  Finish(doc, run, now);
  CENOTE_RETURN_IF_ERROR(Commit(env, *txn, arn, doc, run, a, -1));
  CENOTE_RETURN_IF_ERROR(
      Status::FromResult(txn->Exec("DELETE FROM states_deliveries WHERE execution = ?", {arn})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.Arm(arn, -1);
  if (auto m = GetString(doc, "mapRunArn")) env.Arm(*m, now);
  WakeMapRuns(env, arn);
  SendStatusEvent(env, doc);
  return json::object{{"stopDate", now}};
}

Result<OperationOutput> GetExecutionHistory(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "executionArn").value_or("");
  std::size_t offset = 0;
  if (auto t = GetString(p, "nextToken")) {
    if (t->empty() || t->find_first_not_of("0123456789") != std::string::npos) {
      return MakeError("InvalidToken", "Invalid Token: 'Invalid pagination token'");
    }
    offset = static_cast<std::size_t>(std::stoull(*t));
  }
  std::int64_t max = GetInt(p, "maxResults").value_or(0);
  if (max <= 0 || max > 1000) max = 100;
  const bool reverse = GetBool(p, "reverseOrder").value_or(false);
  const bool data = GetBool(p, "includeExecutionData").value_or(true);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_RETURN_IF_ERROR(Status::FromResult(ExecutionRow(*txn, arn, ctx)));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, txn->Query(std::string("SELECT doc FROM states_history WHERE execution = ? ORDER BY id ") +
                                (reverse ? "DESC" : "ASC") + " LIMIT ? OFFSET ?",
                            {arn, max + 1, static_cast<std::int64_t>(offset)}));
  json::array events;
  for (std::size_t i = 0; i < rows.size() && events.size() < static_cast<std::size_t>(max); ++i) {
    json::object e = ParseDoc(rows[i][0]);
    if (!data) {
      for (auto& [k, v] : e) {
        if (!v.is_object() || !std::string_view(k).ends_with("EventDetails")) continue;
        for (std::string_view f : {"input", "output", "parameters"}) v.as_object().erase(f);
        for (std::string_view f : {"inputDetails", "outputDetails"}) {
          if (v.as_object().contains(f)) v.as_object()[f] = json::object{{"truncated", false}};
        }
      }
    }
    events.push_back(std::move(e));
  }
  json::object out{{"events", std::move(events)}};
  if (rows.size() > static_cast<std::size_t>(max))
    out["nextToken"] = std::to_string(offset + static_cast<std::size_t>(max));
  return out;
}

Result<OperationOutput> DescribeStateMachineForExecution(Env& env, const RequestContext& ctx,
                                                         OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "executionArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, ExecutionRow(*txn, arn, ctx));
  json::object out{{"stateMachineArn", doc["stateMachineArn"]},
                   {"name", doc["machineName"]},
                   {"definition", doc["definition"]},
                   {"roleArn", doc["roleArn"]},
                   {"updateDate", doc["startDate"]}};
  if (auto m = LoadMachine(*txn, GetString(doc, "stateMachineArn").value_or(""))) {
    if (m->contains("loggingConfiguration")) out["loggingConfiguration"] = (*m)["loggingConfiguration"];
    if (m->contains("tracingConfiguration")) out["tracingConfiguration"] = (*m)["tracingConfiguration"];
  }
  if (doc.contains("revisionId")) out["revisionId"] = doc["revisionId"];
  return out;
}

Status RedriveRow(Env& env, store::Transaction& txn, const std::string& arn, json::object doc,
                  std::int64_t now) {
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT run FROM states_executions WHERE arn = ?", {arn}));
  json::object run = ParseDoc((*row)[0]);
  doc["redriveCount"] = GetInt(doc, "redriveCount").value_or(0) + 1;
  doc["redriveDate"] = now;
  CENOTE_ASSIGN_OR_RETURN(json::object definition,
                          asl::ParseDefinition(GetString(doc, "definition").value_or("")));
  const asl::ExecutionInfo info = InfoOf(doc);
  std::unique_ptr<asl::TaskRunner> runner = MakeTaskRunner(env);
  asl::Interpreter it(definition, info, *runner);
  auto a = it.Redrive(run, now);
  if (!a) return services::MakeError(errors::kExecutionNotRedrivable, {a.error().message});
  doc["status"] = "RUNNING";
  for (std::string_view k : {"stopDate", "error", "cause", "output"}) doc.erase(k);
  CENOTE_RETURN_IF_ERROR(Commit(env, txn, arn, doc, run, *a, now));
  return Status::Ok();
}

Result<OperationOutput> RedriveExecution(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "executionArn").value_or("");
  ExecutionLock hold(env, arn);
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, ExecutionRow(*txn, arn, ctx));
  if (GetString(doc, "type") == "EXPRESS") {
    return services::MakeError(errors::kExecutionNotRedrivable,
                               {"Execution is not redrivable: Express executions cannot be redriven."});
  }
  const std::string status = GetString(doc, "status").value_or("");
  if (status != "FAILED" && status != "TIMED_OUT" && status != "ABORTED") {
    return services::MakeError(errors::kExecutionNotRedrivable,
                               {"Execution is " + status + " and cannot be redriven"});
  }
  // AWS keeps a closed execution redrivable for 14 days after it stopped.
  if (now - GetInt(doc, "stopDate").value_or(now) > 14LL * 86'400'000) {
    return services::MakeError(
        errors::kExecutionNotRedrivable,
        {"Execution can not be redriven as it has been more than 14 days since it ended."});
  }
  CENOTE_RETURN_IF_ERROR(RedriveRow(env, *txn, arn, std::move(doc), now));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.Arm(arn, now);
  return json::object{{"redriveDate", now}};
}

namespace {

// SendTask*: the token names its execution; the outcome is committed as a delivery the execution consumes
// at its next advance (so a task's own callback never waits for the advance that made the call).
Result<OperationOutput> Deliver(Env& env, const std::string& token, json::object delivery) {
  const std::string arn = asl::ExecutionOfToken(token);
  if (arn.empty()) return services::MakeError(errors::kInvalidToken, {"Invalid token"});
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn->QueryOne("SELECT run, status FROM states_executions WHERE arn = ?", {arn}));
    if (!row || store::AsText((*row)[1]) != "RUNNING") {
      return services::MakeError(errors::kTaskTimedOut, {"Provided task does not exist anymore"});
    }
    json::object run = ParseDoc((*row)[0]);
    if (!asl::AwaitsToken(run, token)) {
      return services::MakeError(errors::kTaskTimedOut, {"Provided task does not exist anymore"});
    }
    delivery["token"] = token;
    CENOTE_RETURN_IF_ERROR(
        Status::FromResult(txn->Exec("INSERT INTO states_deliveries (execution, token, doc) VALUES (?, ?, ?)",
                                     {arn, token, json::serialize(delivery)})));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  env.Arm(arn, env.Now());
  return json::object{};
}

}  // namespace

Result<OperationOutput> SendTaskSuccess(Env& env, const RequestContext& ctx, OperationInput& in) {
  (void)ctx;
  const json::object& p = in.params.as_object();
  const std::string output = GetString(p, "output").value_or("");
  boost::system::error_code ec;
  json::value v = json::parse(output, ec);
  if (ec) return services::MakeError(errors::kInvalidOutput, {ec.message()});
  return Deliver(env, GetString(p, "taskToken").value_or(""), json::object{{"output", std::move(v)}});
}

Result<OperationOutput> SendTaskFailure(Env& env, const RequestContext& ctx, OperationInput& in) {
  (void)ctx;
  const json::object& p = in.params.as_object();
  return Deliver(env, GetString(p, "taskToken").value_or(""),
                 json::object{{"error", GetString(p, "error").value_or("")},
                              {"cause", GetString(p, "cause").value_or("")}});
}

Result<OperationOutput> SendTaskHeartbeat(Env& env, const RequestContext& ctx, OperationInput& in) {
  (void)ctx;
  return Deliver(env, GetString(in.params.as_object(), "taskToken").value_or(""),
                 json::object{{"heartbeat", true}});
}

}  // namespace cenote::states
