// Firing schedules and invoking their targets.
//
// Order of a firing: the invocation row and the schedule's new state (next time, or completion / deletion)
// commit in one transaction -> the target is invoked as the schedule's RoleArn -> the row is deleted (or its
// attempt recorded for a retry). A crash between the invocation and the delete invokes again after the
// restart: at least once, as EventBridge Scheduler promises.
#include <spdlog/spdlog.h>

#include "common/random.hpp"
#include "iam/directory.hpp"
#include "services/scheduler/internal.hpp"

namespace cenote::scheduler {

namespace {

constexpr std::size_t kRoundSize = 256;
constexpr std::int64_t kDefaultMaxRetryAttempts = 185;
constexpr std::int64_t kDefaultMaxEventAgeSeconds = 86'400;

std::string Replace(std::string text, std::string_view from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The target's Input with Scheduler's context attributes filled in.
std::string InputOf(const json::object& d, std::int64_t attempt) {
  const json::object& target = *GetObject(d, "target");
  std::string input = GetString(target, "Input").value_or("");
  input =
      Replace(std::move(input), "<aws.scheduler.schedule-arn>", GetString(d, "schedule_arn").value_or(""));
  input = Replace(std::move(input), "<aws.scheduler.scheduled-time>",
                  IsoMillis(GetInt(d, "scheduled_ms").value_or(0)).substr(0, 19) + "Z");
  input =
      Replace(std::move(input), "<aws.scheduler.execution-id>", GetString(d, "execution_id").value_or(""));
  input = Replace(std::move(input), "<aws.scheduler.attempt-number>", std::to_string(attempt + 1));
  return input;
}

aws::Caller RoleCaller(const json::object& d) {
  const json::object& target = *GetObject(d, "target");
  aws::Caller c;
  c.principal =
      iam::RoleSessionPrincipal(GetString(target, "RoleArn").value_or(""),
                                "scheduler-" + GetString(d, "execution_id").value_or("").substr(0, 8),
                                GetString(d, "account").value_or(""));
  c.region = GetString(d, "region").value_or("");
  c.invoked_by = std::string(kServicePrincipal);
  c.source_arn = GetString(d, "schedule_arn").value_or("");
  c.source_account = GetString(d, "account").value_or("");
  return c;
}

std::string QueueUrlOf(std::string_view arn) {
  return "https://sqs." + ArnField(arn, 3) + ".amazonaws.com/" + ArnField(arn, 4) + "/" + ArnField(arn, 5);
}

// "sendMessage" -> "SendMessage"; the SDK service names of universal targets -> endpoint prefixes.
std::string ApiAction(std::string action) {
  if (!action.empty() && action[0] >= 'a' && action[0] <= 'z')
    action[0] = static_cast<char>(action[0] - 'a' + 'A');
  return action;
}
std::string EndpointPrefix(const std::string& sdk_service) {
  if (sdk_service == "eventbridge") return "events";
  if (sdk_service == "sfn") return "states";
  if (sdk_service == "cloudwatch") return "monitoring";
  if (sdk_service == "cloudwatchlogs") return "logs";
  return sdk_service;
}

bool Retryable(const Error& e) {
  if (e.message.starts_with("No IAM action map for the service")) return true;  // a service not served yet
  for (std::string_view word : {"AccessDenied", "NotFound", "DoesNotExist", "NonExistent", "Validation",
                                "InvalidParameter", "InvalidArgument", "NotAuthorized", "UnknownOperation"}) {
    if (e.code.find(word) != std::string::npos) return false;
  }
  return true;
}

Status Invoke(Env& env, const json::object& d, const std::string& input) {
  if (env.invoker == nullptr) return MakeError("InternalFailure", "no invoker", 500);
  const json::object& target = *GetObject(d, "target");
  const std::string arn = GetString(target, "Arn").value_or("");
  const std::string service = ArnField(arn, 2);
  aws::Caller caller = RoleCaller(d);
  aws::OperationInput in;
  if (service == "scheduler") {
    // arn:aws:scheduler:::aws-sdk:<service>:<apiAction>: the Input is the action's parameters.
    const std::string rest = ArnField(arn, 5);  // aws-sdk:<service>:<action>
    const std::size_t colon = rest.find(':', 8);
    const std::string sdk_service = rest.substr(8, colon - 8);
    const std::string action = ApiAction(rest.substr(colon + 1));
    boost::system::error_code ec;
    json::value params = json::parse(input.empty() ? "{}" : input, ec);
    if (ec || !params.is_object())
      return MakeError("ValidationException", "The target Input is not a JSON object.");
    in.params = std::move(params);
    return Status::FromResult(env.invoker->Call(caller, EndpointPrefix(sdk_service), action, in));
  }
  caller.region = ArnField(arn, 3);
  if (service == "sqs") {
    json::object params{{"QueueUrl", QueueUrlOf(arn)}, {"MessageBody", input.empty() ? "{}" : input}};
    if (const json::object* sqs = GetObject(target, "SqsParameters")) {
      if (auto group = GetString(*sqs, "MessageGroupId")) {
        params["MessageGroupId"] = *group;
        params["MessageDeduplicationId"] = GetString(d, "execution_id").value_or(NewUuidV4());
      }
    }
    in.params = std::move(params);
    return Status::FromResult(env.invoker->Call(caller, "sqs", "SendMessage", in));
  }
  if (service == "sns") {
    in.params = json::object{{"TopicArn", arn}, {"Message", input.empty() ? "{}" : input}};
    return Status::FromResult(env.invoker->Call(caller, "sns", "Publish", in));
  }
  if (service == "kinesis") {
    const json::object* k = GetObject(target, "KinesisParameters");
    in.params = json::object{{"StreamARN", arn},
                             {"Data", input},
                             {"PartitionKey", k ? GetString(*k, "PartitionKey").value_or("") : ""}};
    return Status::FromResult(env.invoker->Call(caller, "kinesis", "PutRecord", in));
  }
  if (service == "firehose") {
    std::string name = ArnField(arn, 5);
    if (name.starts_with("deliverystream/")) name = name.substr(15);
    in.params = json::object{{"DeliveryStreamName", name}, {"Record", json::object{{"Data", input}}}};
    return Status::FromResult(env.invoker->Call(caller, "firehose", "PutRecord", in));
  }
  if (service == "events") {
    const json::object* e = GetObject(target, "EventBridgeParameters");
    json::object entry{{"EventBusName", arn},
                       {"Source", e ? GetString(*e, "Source").value_or("") : ""},
                       {"DetailType", e ? GetString(*e, "DetailType").value_or("") : ""},
                       {"Detail", input.empty() ? "{}" : input}};
    in.params = json::object{{"Entries", json::array{entry}}};
    CENOTE_ASSIGN_OR_RETURN(auto out, env.invoker->Call(caller, "events", "PutEvents", in));
    if (out.result.is_object() && GetInt(out.result.as_object(), "FailedEntryCount").value_or(0) > 0) {
      const json::array* entries = GetArray(out.result.as_object(), "Entries");
      if (entries && !entries->empty() && entries->front().is_object()) {
        return MakeError(GetString(entries->front().as_object(), "ErrorCode").value_or("InternalException"),
                         GetString(entries->front().as_object(), "ErrorMessage").value_or(""));
      }
    }
    return Status::Ok();
  }
  if (service == "lambda") {
    in.params = json::object{{"FunctionName", arn}, {"InvocationType", "Event"}, {"Payload", input}};
    return Status::FromResult(env.invoker->Call(caller, "lambda", "Invoke", in));
  }
  if (service == "states") {
    in.params = json::object{{"stateMachineArn", arn}, {"input", input.empty() ? "{}" : input}};
    return Status::FromResult(env.invoker->Call(caller, "states", "StartExecution", in));
  }
  return MakeError("ValidationException", "Target " + arn + " is not supported.");
}

void DeadLetter(Env& env, const json::object& d, const std::string& input, const Error& error,
                std::string_view condition, std::int64_t attempts) {
  const json::object& target = *GetObject(d, "target");
  const json::object* dlq = GetObject(target, "DeadLetterConfig");
  const std::string arn = dlq ? GetString(*dlq, "Arn").value_or("") : "";
  if (arn.empty()) {
    spdlog::warn("scheduler: dropped an invocation of {}: {} ({})", GetString(d, "schedule_arn").value_or(""),
                 error.code, condition);
    return;
  }
  auto attribute = [](std::string value) {
    return json::object{{"DataType", "String"}, {"StringValue", std::move(value)}};
  };
  json::object attributes{
      {"ERROR_CODE", attribute(error.code)},
      {"ERROR_MESSAGE", attribute(error.message.empty() ? error.code : error.message.substr(0, 256))},
      {"EXHAUSTED_RETRY_CONDITION", attribute(std::string(condition))},
      {"RETRY_ATTEMPTS", json::object{{"DataType", "Number"}, {"StringValue", std::to_string(attempts)}}},
      {"TARGET_ARN", attribute(GetString(target, "Arn").value_or(""))},
      {"SCHEDULE_ARN", attribute(GetString(d, "schedule_arn").value_or(""))}};
  aws::Caller caller = RoleCaller(d);
  caller.region = ArnField(arn, 3);
  aws::OperationInput in;
  in.params = json::object{{"QueueUrl", QueueUrlOf(arn)},
                           {"MessageBody", input.empty() ? "{}" : input},
                           {"MessageAttributes", std::move(attributes)}};
  auto sent = env.invoker->Call(caller, "sqs", "SendMessage", in);
  if (!sent)
    spdlog::warn("scheduler: dead-letter queue {} refused an invocation: {}", arn, sent.error().message);
}

struct Outcome {
  std::int64_t id = 0;
  bool retry = false;
  std::int64_t due_ms = 0;
  std::string doc;
};

Outcome InvokeOne(Env& env, const Invocation& row, std::int64_t now) {
  Outcome o;
  o.id = row.id;
  boost::system::error_code ec;
  json::value parsed = json::parse(row.doc, ec);
  if (ec || !parsed.is_object() || !GetObject(parsed.as_object(), "target")) return o;
  json::object& d = parsed.as_object();
  const json::object& target = *GetObject(d, "target");
  const std::int64_t attempts = GetInt(d, "attempts").value_or(0);
  const std::int64_t first_ms = GetInt(d, "first_ms").value_or(now);
  std::int64_t max_attempts = kDefaultMaxRetryAttempts, max_age_s = kDefaultMaxEventAgeSeconds;
  if (const json::object* retry = GetObject(target, "RetryPolicy")) {
    max_attempts = GetInt(*retry, "MaximumRetryAttempts").value_or(max_attempts);
    max_age_s = GetInt(*retry, "MaximumEventAgeInSeconds").value_or(max_age_s);
  }
  const std::string input = InputOf(d, attempts);
  Status st = Invoke(env, d, input);
  if (st) return o;
  if (!Retryable(st.error()) || attempts >= max_attempts) {
    DeadLetter(env, d, input, st.error(), "MaximumRetryAttemptsExhausted", attempts);
    return o;
  }
  std::int64_t backoff = env.options.first_backoff_ms;
  for (std::int64_t i = 0; i < attempts && backoff < env.options.max_backoff_ms; ++i) backoff *= 2;
  backoff = std::min(backoff, env.options.max_backoff_ms);
  if (now + backoff - first_ms > max_age_s * 1000) {
    DeadLetter(env, d, input, st.error(), "MaximumEventAgeExhausted", attempts);
    return o;
  }
  d["attempts"] = attempts + 1;
  o.retry = true;
  o.due_ms = now + backoff;
  o.doc = json::serialize(d);
  return o;
}

// Records the due firings in `txn`: an invocation row each and the schedules' new state.
Status FireDue(Env& env, store::Transaction& txn, std::int64_t now, std::vector<Invocation>& rows,
               std::vector<std::pair<ScheduleKey, Schedule>>& changed, std::vector<ScheduleKey>& deleted)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  while (!env.timers.empty() && env.timers.begin()->first <= now) {
    auto [when, key] = *env.timers.begin();
    env.timers.erase(env.timers.begin());
    auto it = env.schedules.find(key);
    if (it == env.schedules.end()) continue;
    Schedule s = it->second;
    const json::object* target = GetObject(s.doc, "Target");
    if (target == nullptr) continue;
    Invocation inv;
    inv.id = env.next_id++;
    inv.due_ms = now;
    if (const json::object* w = GetObject(s.doc, "FlexibleTimeWindow")) {
      // FLEXIBLE: AWS invokes at a random time within the window after the scheduled time.
      if (GetString(*w, "Mode") == "FLEXIBLE") {
        const std::int64_t window_ms = GetInt(*w, "MaximumWindowInMinutes").value_or(0) * 60'000;
        if (window_ms > 0) {
          std::uint64_t r = 0;
          FillRandom(&r, sizeof(r));
          inv.due_ms = when + static_cast<std::int64_t>(r % static_cast<std::uint64_t>(window_ms));
        }
      }
    }
    json::object doc{{"schedule_arn", s.arn},  {"account", s.where.account}, {"region", s.where.region},
                     {"target", *target},      {"scheduled_ms", when},       {"attempts", 0},
                     {"first_ms", inv.due_ms}, {"execution_id", NewUuidV4()}};
    inv.doc = json::serialize(doc);
    CENOTE_RETURN_IF_ERROR(txn.Exec("INSERT INTO scheduler_invocations (id, due_ms, doc) VALUES (?, ?, ?)",
                                    {inv.id, inv.due_ms, inv.doc}));
    rows.push_back(std::move(inv));
    s.last_ms = when;
    s.next_ms = NextFiring(s.doc, GetInt(s.doc, "CreationDate").value_or(0), std::max(when, now), s.last_ms);
    if (s.next_ms < 0 && GetString(s.doc, "ActionAfterCompletion") == "DELETE") {
      CENOTE_RETURN_IF_ERROR(
          txn.Exec("DELETE FROM scheduler_schedules WHERE account = ? AND region = ? AND name = ?",
                   {s.where.account, s.where.region, s.group + "/" + s.name}));
      deleted.push_back(key);
    } else {
      CENOTE_RETURN_IF_ERROR(env.SaveSchedule(txn, s));
      changed.emplace_back(key, std::move(s));
    }
  }
  return txn.Commit();
}

void Fire(Env& env, std::int64_t now) {
  std::vector<Invocation> rows;
  {
    MutexLock lock(env.mu);
    if (env.timers.empty() || env.timers.begin()->first > now) return;
    auto txn = env.metadata.Begin(store::MetadataStore::Mode::kWrite);
    if (!txn) return;
    std::vector<std::pair<ScheduleKey, Schedule>> changed;
    std::vector<ScheduleKey> deleted;
    const std::int64_t first_id = env.next_id;
    Status st = FireDue(env, **txn, now, rows, changed, deleted);
    if (!st) {
      spdlog::error("scheduler: firings could not be recorded: {}", st.error().message);
      env.next_id = first_id;
      // Re-arm from the stored state: the schedules fire again on the next round.
      for (const auto& [key, s] : env.schedules) {
        if (s.next_ms >= 0) env.timers.emplace(s.next_ms, key);
      }
      return;
    }
    for (auto& [key, s] : changed) {
      env.Arm(key, s);
      env.schedules[key] = std::move(s);
    }
    for (const auto& key : deleted) env.schedules.erase(key);
    for (auto& inv : rows) {
      env.due.emplace(inv.due_ms, inv.id);
      env.pending.emplace(inv.id, std::move(inv));
    }
  }
}

}  // namespace

Status LoadPending(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT id, due_ms, doc FROM scheduler_invocations"));
  MutexLock lock(env.mu);
  for (const auto& r : rows) {
    Invocation inv;
    inv.id = store::AsInt(r[0]);
    inv.due_ms = store::AsInt(r[1]);
    inv.doc = store::AsText(r[2]);
    env.next_id = std::max(env.next_id, inv.id + 1);
    env.due.emplace(inv.due_ms, inv.id);
    env.pending.emplace(inv.id, std::move(inv));
  }
  return Status::Ok();
}

std::int64_t RunRound(Env& env) {
  const std::int64_t now = env.Now();
  Fire(env, now);
  std::vector<Invocation> batch;
  {
    MutexLock lock(env.mu);
    for (auto it = env.due.begin(); it != env.due.end() && it->first <= now && batch.size() < kRoundSize;) {
      if (auto row = env.pending.find(it->second); row != env.pending.end()) batch.push_back(row->second);
      it = env.due.erase(it);
    }
  }
  if (!batch.empty()) {
    std::vector<Outcome> outcomes;
    for (const Invocation& row : batch) outcomes.push_back(InvokeOne(env, row, now));
    Status st = [&]() -> Status {
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
      for (const Outcome& o : outcomes) {
        if (o.retry) {
          CENOTE_RETURN_IF_ERROR(txn->Exec(
              "UPDATE scheduler_invocations SET due_ms = ?, doc = ? WHERE id = ?", {o.due_ms, o.doc, o.id}));
        } else {
          CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM scheduler_invocations WHERE id = ?", {o.id}));
        }
      }
      return txn->Commit();
    }();
    MutexLock lock(env.mu);
    for (const Outcome& o : outcomes) {
      if (!st) {
        env.due.emplace(now + env.options.first_backoff_ms, o.id);
      } else if (!o.retry) {
        env.pending.erase(o.id);
      } else if (auto it = env.pending.find(o.id); it != env.pending.end()) {
        it->second.due_ms = o.due_ms;
        it->second.doc = o.doc;
        env.due.emplace(o.due_ms, o.id);
      }
    }
  }
  MutexLock lock(env.mu);
  std::int64_t next = -1;
  if (!env.due.empty()) next = env.due.begin()->first;
  if (!env.timers.empty() && (next < 0 || env.timers.begin()->first < next)) next = env.timers.begin()->first;
  return next < 0 ? -1 : std::max<std::int64_t>(0, next - env.Now());
}

}  // namespace cenote::scheduler
