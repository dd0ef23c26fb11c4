// The delivery task: scheduled rules firing, outbox rows delivered to their targets through the Invoker
// (with retries and dead-letter queues), replays advancing.
//
// Order of a delivery: the row is durable (PutEvents committed it) -> the target call -> the row is deleted
// (or its attempt count and due time updated) in one transaction per round. A crash between the call and the
// delete delivers the event again after the restart: at least once, as EventBridge promises.
#include <spdlog/spdlog.h>

#include "common/random.hpp"
#include "iam/directory.hpp"
#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

constexpr std::size_t kRoundSize = 256;

struct Outcome {
  std::int64_t id = 0;
  enum class Kind { kDone, kRetry } kind = Kind::kDone;
  std::int64_t due_ms = 0;
  std::string doc;  // updated doc for kRetry
};

aws::Caller ServiceCaller(const json::object& d) {
  return aws::ServiceCaller(kServicePrincipal, GetString(d, "account").value_or(""),
                            GetString(d, "region").value_or(""), GetString(d, "rule_arn").value_or(""));
}

aws::Caller RoleCaller(const json::object& d, const std::string& role) {
  aws::Caller c;
  c.principal = iam::RoleSessionPrincipal(role, "events-target-" + NewUuidV4().substr(0, 8),
                                          GetString(d, "account").value_or(""));
  c.region = GetString(d, "region").value_or("");
  c.invoked_by = std::string(kServicePrincipal);
  return c;
}

std::string QueueUrlOf(std::string_view arn) {
  return "https://sqs." + ArnRegion(arn) + ".amazonaws.com/" + ArnAccount(arn) + "/" + ArnResource(arn);
}

// Errors that another attempt cannot fix: the target or the permission to reach it is missing.
bool Retryable(const Error& e) {
  // A service this server does not serve yet (Lambda, Step Functions) is refused by authorize for lack of an
  // action map: the target is unavailable, not misconfigured, so it is retried as AWS retries an unavailable
  // target.
  if (e.message.starts_with("No IAM action map for the service")) return true;
  for (std::string_view word : {"AccessDenied", "NotFound", "DoesNotExist", "NonExistent", "Validation",
                                "InvalidParameter", "InvalidArgument", "NotAuthorized"}) {
    if (e.code.find(word) != std::string::npos) return false;
  }
  return true;
}

// Calls the target of row `d` with `input`.
Status Invoke(Env& env, const json::object& d, const json::object& event, const std::string& input) {
  const json::object& target = *GetObject(d, "target");
  const std::string arn = GetString(target, "Arn").value_or("");
  const std::string role = GetString(target, "RoleArn").value_or("");
  const std::string service = ArnService(arn);
  const std::string event_id = GetString(event, "id").value_or("");
  if (env.invoker == nullptr) return MakeError("InternalFailure", "no invoker", 500);
  aws::OperationInput in;
  if (service == "sqs") {
    aws::Caller caller = ServiceCaller(d);
    caller.region = ArnRegion(arn);
    json::object params{{"QueueUrl", QueueUrlOf(arn)}, {"MessageBody", input}};
    if (const json::object* sqs = GetObject(target, "SqsParameters")) {
      if (auto group = GetString(*sqs, "MessageGroupId")) {
        params["MessageGroupId"] = *group;
        params["MessageDeduplicationId"] = event_id;
      }
    }
    in.params = std::move(params);
    return Status::FromResult(env.invoker->Call(caller, "sqs", "SendMessage", in));
  }
  if (service == "kinesis") {
    std::string key = event_id;
    if (const json::object* k = GetObject(target, "KinesisParameters")) {
      if (auto path = GetString(*k, "PartitionKeyPath")) {
        bool valid = false;
        const json::value* v = JsonPath(json::value(event), *path, &valid);
        if (v != nullptr) key = v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
      }
    }
    aws::Caller caller = RoleCaller(d, role);
    caller.region = ArnRegion(arn);
    in.params = json::object{{"StreamARN", arn}, {"Data", input}, {"PartitionKey", key}};
    return Status::FromResult(env.invoker->Call(caller, "kinesis", "PutRecord", in));
  }
  if (service == "firehose") {
    aws::Caller caller = RoleCaller(d, role);
    caller.region = ArnRegion(arn);
    std::string name = ArnResource(arn);
    if (name.starts_with("deliverystream/")) name = name.substr(15);
    in.params = json::object{{"DeliveryStreamName", name}, {"Record", json::object{{"Data", input}}}};
    return Status::FromResult(env.invoker->Call(caller, "firehose", "PutRecord", in));
  }
  if (service == "sns") {
    aws::Caller caller = ServiceCaller(d);
    caller.region = ArnRegion(arn);
    in.params = json::object{{"TopicArn", arn}, {"Message", input}};
    return Status::FromResult(env.invoker->Call(caller, "sns", "Publish", in));
  }
  if (service == "lambda") {
    aws::Caller caller = ServiceCaller(d);
    caller.region = ArnRegion(arn);
    in.params = json::object{{"FunctionName", arn}, {"InvocationType", "Event"}, {"Payload", input}};
    return Status::FromResult(env.invoker->Call(caller, "lambda", "Invoke", in));
  }
  if (service == "states") {
    aws::Caller caller = RoleCaller(d, role);
    caller.region = ArnRegion(arn);
    in.params = json::object{{"stateMachineArn", arn}, {"input", input}};
    return Status::FromResult(env.invoker->Call(caller, "states", "StartExecution", in));
  }
  if (service == "glue" && ArnResource(arn).starts_with("workflow/")) {
    // A Glue workflow: the event joins the batch of the workflow's EVENT trigger (glue:notifyEvent, as the
    // target's role; the trigger's EventBatchingCondition decides when a run starts).
    aws::Caller caller = RoleCaller(d, role);
    caller.region = ArnRegion(arn);
    in.params = json::object{
        {"Name", ArnResource(arn).substr(9)}, {"EventId", event_id}, {"Event", json::serialize(event)}};
    return Status::FromResult(env.invoker->Call(caller, "glue", "NotifyEvent", in));
  }
  if (service == "events" && ArnResource(arn).starts_with("event-bus/")) {
    // The event itself goes on to the other bus (the target's input does not apply to bus targets).
    aws::Caller caller;
    if (!role.empty()) {
      caller = RoleCaller(d, role);
    } else {
      // Without a role, the sending account puts the event (the receiving bus's policy names that account).
      caller.principal = iam::RootPrincipal(GetString(d, "account").value_or(""));
      caller.invoked_by = std::string(kServicePrincipal);
    }
    caller.region = ArnRegion(arn);
    json::object entry{{"Source", GetString(event, "source").value_or("")},
                       {"DetailType", GetString(event, "detail-type").value_or("")},
                       {"EventBusName", arn}};
    if (const json::value* detail = event.if_contains("detail")) entry["Detail"] = json::serialize(*detail);
    if (const json::array* resources = GetArray(event, "resources")) entry["Resources"] = *resources;
    in.params = json::object{{"Entries", json::array{entry}}};
    CENOTE_ASSIGN_OR_RETURN(auto out, env.invoker->Call(caller, "events", "PutEvents", in));
    if (out.result.is_object() && GetInt(out.result.as_object(), "FailedEntryCount").value_or(0) > 0) {
      const json::array* entries = GetArray(out.result.as_object(), "Entries");
      if (entries != nullptr && !entries->empty() && entries->front().is_object()) {
        const json::object& e = entries->front().as_object();
        return MakeError(GetString(e, "ErrorCode").value_or("InternalException"),
                         GetString(e, "ErrorMessage").value_or(""));
      }
    }
    return Status::Ok();
  }
  return MakeError("InvalidArgument", "Target " + arn + " is not a supported target.");
}

// Sends a failed event to the target's dead-letter queue, with AWS's message attributes.
void DeadLetter(Env& env, const json::object& d, const std::string& event_text, const Error& error,
                std::string_view condition, std::int64_t attempts) {
  const json::object& target = *GetObject(d, "target");
  const json::object* dlq = GetObject(target, "DeadLetterConfig");
  const std::string arn = dlq ? GetString(*dlq, "Arn").value_or("") : "";
  const std::string rule_arn = GetString(d, "rule_arn").value_or("");
  if (arn.empty()) {
    spdlog::warn("events: dropped an event of {} for {}: {} ({})", rule_arn,
                 GetString(target, "Arn").value_or(""), error.code, condition);
    return;
  }
  auto attribute = [](std::string value) {
    return json::object{{"DataType", "String"}, {"StringValue", std::move(value)}};
  };
  json::object attributes{
      {"RULE_ARN", attribute(rule_arn)},
      {"TARGET_ARN", attribute(GetString(target, "Arn").value_or(""))},
      {"ERROR_CODE", attribute(error.code)},
      {"ERROR_MESSAGE",
       attribute(error.message.substr(0, 256).empty() ? error.code : error.message.substr(0, 256))},
      {"EXHAUSTED_RETRY_CONDITION", attribute(std::string(condition))},
      {"RETRY_ATTEMPTS", json::object{{"DataType", "Number"}, {"StringValue", std::to_string(attempts)}}}};
  aws::Caller caller = ServiceCaller(d);
  caller.region = ArnRegion(arn);
  aws::OperationInput in;
  in.params = json::object{{"QueueUrl", QueueUrlOf(arn)},
                           {"MessageBody", event_text},
                           {"MessageAttributes", std::move(attributes)}};
  if (arn.ends_with(".fifo")) {
    in.params.as_object()["MessageGroupId"] = GetString(d, "rule_name").value_or("events");
    in.params.as_object()["MessageDeduplicationId"] = NewUuidV4();
  }
  auto sent = env.invoker->Call(caller, "sqs", "SendMessage", in);
  if (!sent) {
    spdlog::warn("events: dead-letter queue {} refused an event of {}: {}", arn, rule_arn,
                 sent.error().message);
  }
}

// One outbox row, parsed, with its target input computed.
struct Prepared {
  std::int64_t id = 0;
  bool valid = false;
  json::object d;
  std::string event_text;
  json::value event;
  Result<std::string> input = std::string();
};

Prepared Prepare(const Delivery& row) {
  Prepared p;
  p.id = row.id;
  boost::system::error_code ec;
  json::value doc = json::parse(row.doc, ec);
  if (ec || !doc.is_object() || !GetObject(doc.as_object(), "target")) {
    spdlog::error("events: dropping a corrupt outbox row {}", row.id);
    return p;
  }
  p.d = std::move(doc.as_object());
  p.event_text = GetString(p.d, "event").value_or("{}");
  p.event = json::parse(p.event_text, ec);
  if (ec || !p.event.is_object()) return p;
  p.valid = true;
  p.input =
      TargetInput(*GetObject(p.d, "target"), p.event_text, p.event, GetString(p.d, "rule_arn").value_or(""),
                  GetString(p.d, "rule_name").value_or(""), GetInt(p.d, "first_ms").value_or(0));
  return p;
}

// What becomes of a row after its attempt: done, retried later, or dead-lettered.
Outcome Finish(Env& env, Prepared& p, const Status& st, std::int64_t now) {
  Outcome o;
  o.id = p.id;
  if (!p.valid || st) return o;
  json::object& d = p.d;
  const json::object& target = *GetObject(d, "target");
  const std::int64_t attempts = GetInt(d, "attempts").value_or(0);
  const std::int64_t first_ms = GetInt(d, "first_ms").value_or(now);
  std::int64_t max_attempts = kDefaultMaxRetryAttempts;
  std::int64_t max_age_s = kDefaultMaxEventAgeSeconds;
  if (const json::object* retry = GetObject(target, "RetryPolicy")) {
    max_attempts = GetInt(*retry, "MaximumRetryAttempts").value_or(max_attempts);
    max_age_s = GetInt(*retry, "MaximumEventAgeInSeconds").value_or(max_age_s);
  }
  const Error& error = st.error();
  if (!Retryable(error) || attempts >= max_attempts) {
    DeadLetter(env, d, p.event_text, error, "MaximumRetryAttemptsExhausted", attempts);
    return o;
  }
  std::int64_t backoff = env.options.first_backoff_ms;
  for (std::int64_t i = 0; i < attempts && backoff < env.options.max_backoff_ms; ++i) backoff *= 2;
  backoff = std::min(backoff, env.options.max_backoff_ms);
  if (now + backoff - first_ms > max_age_s * 1000) {
    DeadLetter(env, d, p.event_text, error, "MaximumEventAgeExhausted", attempts);
    return o;
  }
  d["attempts"] = attempts + 1;
  o.kind = Outcome::Kind::kRetry;
  o.due_ms = now + backoff;
  o.doc = json::serialize(d);
  return o;
}

Status Attempt(Env& env, Prepared& p) {
  if (!p.valid) return Status::Ok();
  if (!p.input) return p.input.error();
  return Invoke(env, p.d, p.event.as_object(), *p.input);
}

// Standard-queue deliveries of one (rule, target) go out as SendMessageBatch calls of up to 10 (one journal
// append each on the SQS side, instead of one per event); each entry's outcome is its row's.
void SendBatch(Env& env, std::vector<Prepared*>& group, std::vector<Status>& results) {
  const json::object& d = group.front()->d;
  const std::string arn = GetString(*GetObject(d, "target"), "Arn").value_or("");
  aws::Caller caller = ServiceCaller(d);
  caller.region = ArnRegion(arn);
  json::array entries;
  for (std::size_t i = 0; i < group.size(); ++i) {
    entries.push_back(json::object{{"Id", std::to_string(i)}, {"MessageBody", *group[i]->input}});
  }
  aws::OperationInput in;
  in.params = json::object{{"QueueUrl", QueueUrlOf(arn)}, {"Entries", std::move(entries)}};
  auto out = env.invoker->Call(caller, "sqs", "SendMessageBatch", in);
  results.assign(group.size(), Status::Ok());
  if (!out) {
    results.assign(group.size(), Status(out.error()));
    return;
  }
  if (const json::array* failed = GetArray(out->result.as_object(), "Failed")) {
    for (const auto& f : *failed) {
      const json::object& e = f.as_object();
      const std::size_t i = std::stoul(GetString(e, "Id").value_or("0"));
      if (i < results.size()) {
        results[i] =
            MakeError(GetString(e, "Code").value_or("InternalError"), GetString(e, "Message").value_or(""));
      }
    }
  }
}

// Fires the due scheduled rules: one "Scheduled Event" per firing, routed to the rule's targets.
void FireSchedules(Env& env, std::int64_t now) {
  std::vector<Delivery> rows;
  {
    MutexLock lock(env.mu);
    if (env.timers.empty() || env.timers.begin()->first > now) return;
    auto txn = env.metadata.Begin(store::MetadataStore::Mode::kWrite);
    if (!txn) return;
    while (!env.timers.empty() && env.timers.begin()->first <= now) {
      auto [when, key] = *env.timers.begin();
      env.timers.erase(env.timers.begin());
      Rule* r = env.FindRule(std::get<0>(key), std::get<1>(key), std::get<2>(key));
      if (r == nullptr || !r->Enabled() || r->schedule.empty()) continue;
      json::object event = MakeEvent(NewUuidV4(), "Scheduled Event", "aws.events", r->where, r->where.region,
                                     when, json::array{json::string(r->arn)}, json::object{});
      auto routed = RouteToRule(env, **txn, *r, json::serialize(event), now);
      if (routed) {
        for (auto& d : *routed) rows.push_back(std::move(d));
      }
      if (auto next = NextFire(r->schedule, r->created_ms, std::max(when, now)))
        env.timers.emplace(*next, key);
    }
    if (Status st = (*txn)->Commit(); !st) {
      spdlog::error("events: scheduled rules could not be recorded: {}", st.error().message);
      return;
    }
  }
  Publish(env, std::move(rows));
}

}  // namespace

Status LoadOutbox(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT id, due_ms, doc FROM events_outbox"));
  MutexLock lock(env.mu);
  for (const auto& r : rows) {
    Delivery d;
    d.id = store::AsInt(r[0]);
    d.due_ms = store::AsInt(r[1]);
    d.doc = store::AsText(r[2]);
    env.due.emplace(d.due_ms, d.id);
    env.outbox.emplace(d.id, std::move(d));
  }
  return Status::Ok();
}

std::int64_t DeliverRound(Env& env) {
  const std::int64_t now = env.Now();
  FireSchedules(env, now);
  std::vector<Delivery> batch;
  {
    MutexLock lock(env.mu);
    for (auto it = env.due.begin(); it != env.due.end() && it->first <= now && batch.size() < kRoundSize;) {
      auto row = env.outbox.find(it->second);
      if (row != env.outbox.end()) batch.push_back(row->second);
      it = env.due.erase(it);
    }
  }
  if (!batch.empty()) {
    std::vector<Prepared> prepared;
    prepared.reserve(batch.size());
    for (const Delivery& row : batch) prepared.push_back(Prepare(row));
    std::vector<Status> results(prepared.size(), Status::Ok());
    // Group the plain SQS deliveries (standard queues, input computed) by rule and target.
    std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> sqs_groups;
    for (std::size_t i = 0; i < prepared.size(); ++i) {
      Prepared& p = prepared[i];
      if (!p.valid || !p.input || env.invoker == nullptr) {
        results[i] = Attempt(env, p);
        continue;
      }
      const json::object& target = *GetObject(p.d, "target");
      const std::string arn = GetString(target, "Arn").value_or("");
      if (ArnService(arn) == "sqs" && !arn.ends_with(".fifo") && !p.input->empty()) {
        sqs_groups[{GetString(p.d, "rule_arn").value_or(""), GetString(target, "Id").value_or("")}].push_back(
            i);
      } else {
        results[i] = Attempt(env, p);
      }
    }
    for (auto& [key, indexes] : sqs_groups) {
      for (std::size_t at = 0; at < indexes.size(); at += 10) {
        std::vector<Prepared*> group;
        for (std::size_t j = at; j < std::min(indexes.size(), at + 10); ++j)
          group.push_back(&prepared[indexes[j]]);
        std::vector<Status> group_results;
        SendBatch(env, group, group_results);
        for (std::size_t j = 0; j < group.size(); ++j) results[indexes[at + j]] = std::move(group_results[j]);
      }
    }
    std::vector<Outcome> outcomes;
    outcomes.reserve(prepared.size());
    for (std::size_t i = 0; i < prepared.size(); ++i)
      outcomes.push_back(Finish(env, prepared[i], results[i], now));
    // One transaction records the round: delivered rows go, retried rows get their next attempt.
    Status st = [&]() -> Status {
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
      for (const Outcome& o : outcomes) {
        if (o.kind == Outcome::Kind::kDone) {
          CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM events_outbox WHERE id = ?", {o.id}));
        } else {
          CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE events_outbox SET due_ms = ?, doc = ? WHERE id = ?",
                                           {o.due_ms, o.doc, o.id}));
        }
      }
      return txn->Commit();
    }();
    MutexLock lock(env.mu);
    for (const Outcome& o : outcomes) {
      if (!st) {
        // Not recorded: the rows stay as they were and are tried again (at least once).
        env.due.emplace(now + env.options.first_backoff_ms, o.id);
        continue;
      }
      if (o.kind == Outcome::Kind::kDone) {
        env.outbox.erase(o.id);
      } else {
        auto it = env.outbox.find(o.id);
        if (it != env.outbox.end()) {
          it->second.due_ms = o.due_ms;
          it->second.doc = o.doc;
          env.due.emplace(o.due_ms, o.id);
        }
      }
    }
  }
  const bool replaying = AdvanceReplays(env);
  ExpireArchives(env);
  MutexLock lock(env.mu);
  std::int64_t next = -1;
  if (!env.due.empty()) next = env.due.begin()->first;
  if (!env.timers.empty() && (next < 0 || env.timers.begin()->first < next)) next = env.timers.begin()->first;
  if (replaying) next = env.Now();
  return next < 0 ? -1 : std::max<std::int64_t>(0, next - env.Now());
}

}  // namespace cenote::events
