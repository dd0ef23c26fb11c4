// Metric filters (stored and tested; the metrics themselves come with CloudWatch) and subscription filters
// with their durable delivery outbox.
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "services/logs/filter_pattern.hpp"
#include "services/logs/internal.hpp"

namespace cenote::logs {

using services::MakeError;
using store::AsInt;
using store::AsText;
using store::Value;

namespace {

constexpr std::string_view kLogsPrincipal = "logs.amazonaws.com";
constexpr std::size_t kMaxMetricFilters = 100;
// A delivery that keeps failing is retried with backoff for a day, then dropped (logged).
constexpr std::int64_t kDeliveryGiveUpMs = 24 * kHourMs;
// Events per DATA_MESSAGE are bounded so a compressed record stays well inside Kinesis' and Firehose's
// 1 MB record limits.
constexpr std::size_t kMaxMessageBytes = 256 * 1024;

enum class DestinationKind { kKinesis, kFirehose, kLambda, kUnknown };

DestinationKind KindOf(std::string_view arn) {
  std::vector<std::string_view> parts = SplitString(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn") return DestinationKind::kUnknown;
  if (parts[2] == "kinesis" && parts[5].starts_with("stream/")) return DestinationKind::kKinesis;
  if (parts[2] == "firehose" && parts[5].starts_with("deliverystream/")) return DestinationKind::kFirehose;
  if (parts[2] == "lambda" && parts[5] == "function" && parts.size() >= 7) return DestinationKind::kLambda;
  return DestinationKind::kUnknown;
}

std::string ArnRegion(std::string_view arn) {
  std::vector<std::string_view> parts = SplitString(arn, ':');
  return parts.size() > 3 ? std::string(parts[3]) : "";
}

// The call a delivery is: Kinesis PutRecord and Firehose PutRecord as the filter's role, Lambda Invoke (an
// asynchronous Event) as CloudWatch Logs' service principal for the log group (the function's resource
// policy allows logs.amazonaws.com with aws:SourceArn).
Status Deliver(Env& env, const std::string& account, const std::string& region,
               const std::string& destination, const std::string& role, const std::string& source_arn,
               const std::string& gz) {
  if (env.options.invoker == nullptr) return InternalError("no invoker");
  aws::OperationInput in;
  aws::Caller caller;
  std::string_view service, operation;
  switch (KindOf(destination)) {
    case DestinationKind::kKinesis:
      caller.principal = iam::RoleSessionPrincipal(role, "CWLtoKinesisSession", account);
      service = "kinesis";
      operation = "PutRecord";
      in.params = json::object{{"StreamARN", destination}, {"Data", gz}, {"PartitionKey", source_arn}};
      break;
    case DestinationKind::kFirehose: {
      caller.principal = iam::RoleSessionPrincipal(role, "CWLtoFirehoseSession", account);
      service = "firehose";
      operation = "PutRecord";
      const std::string name = destination.substr(destination.find("deliverystream/") + 15);
      in.params = json::object{{"DeliveryStreamName", name}, {"Record", json::object{{"Data", gz}}}};
      break;
    }
    case DestinationKind::kLambda: {
      caller = aws::ServiceCaller(kLogsPrincipal, account, ArnRegion(destination), source_arn);
      service = "lambda";
      operation = "Invoke";
      json::object event{{"awslogs", json::object{{"data", Base64Encode(gz)}}}};
      in.params = json::object{
          {"FunctionName", destination}, {"InvocationType", "Event"}, {"Payload", json::serialize(event)}};
      break;
    }
    case DestinationKind::kUnknown:
      return MakeError(errors::kInvalidParameter, {"Invalid destination ARN."});
  }
  if (caller.region.empty()) caller.region = ArnRegion(destination).empty() ? region : ArnRegion(destination);
  caller.invoked_by = std::string(kLogsPrincipal);
  auto out = env.options.invoker->Call(caller, service, operation, in);
  if (!out.ok()) return out.error();
  return Status::Ok();
}

// A DryRun Invoke of the function as CloudWatch Logs for the log group: existence and permission only.
Status CheckLambdaDestination(Env& env, const std::string& account, const std::string& destination,
                              const std::string& source_arn) {
  if (env.options.invoker == nullptr) return InternalError("no invoker");
  aws::Caller caller = aws::ServiceCaller(kLogsPrincipal, account, ArnRegion(destination), source_arn);
  caller.invoked_by = std::string(kLogsPrincipal);
  aws::OperationInput in;
  in.params = json::object{{"FunctionName", destination}, {"InvocationType", "DryRun"}};
  auto out = env.options.invoker->Call(caller, "lambda", "Invoke", in);
  if (!out.ok()) return out.error();
  return Status::Ok();
}

Result<std::string> ControlMessage(std::int64_t now, DestinationKind kind) {
  const char* what = kind == DestinationKind::kKinesis ? "Kinesis stream" : "Firehose stream";
  json::object msg{
      {"messageType", "CONTROL_MESSAGE"},
      {"owner", "CloudwatchLogs"},
      {"logGroup", ""},
      {"logStream", ""},
      {"subscriptionFilters", json::array()},
      {"logEvents",
       json::array{json::object{
           {"id", ""},
           {"timestamp", now},
           {"message", std::string("CWL CONTROL MESSAGE: Checking health of destination ") + what + "."}}}}};
  return Gzip(json::serialize(msg));
}

Status InsertOutbox(store::Transaction& txn, const std::string& account, const std::string& region,
                    const std::string& destination, const std::string& role, const std::string& source_arn,
                    const std::string& gz, std::int64_t now) {
  return Status::FromResult(
      txn.Exec("INSERT INTO logs_outbox (account, region, destination, role, source_arn, payload, attempts, "
               "next_attempt, "
               "created) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
               {account, region, destination, role, source_arn, Base64Encode(gz), now, now}));
}

json::object MetricFilterDocument(const store::Row& r, const std::string& group_name) {
  boost::system::error_code ec;
  json::value transformations = json::parse(AsText(r[2]), ec);
  return json::object{{"filterName", AsText(r[0])},
                      {"filterPattern", AsText(r[1])},
                      {"metricTransformations", ec ? json::array() : transformations},
                      {"creationTime", AsInt(r[3])},
                      {"logGroupName", group_name}};
}

}  // namespace

// ---- metric filters

Result<OperationOutput> PutMetricFilter(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string name = GetString(p, "filterName").value_or("");
  const std::string pattern_text = GetString(p, "filterPattern").value_or("");
  CENOTE_ASSIGN_OR_RETURN(FilterPattern pattern, FilterPattern::Parse(pattern_text));
  json::array transformations;
  if (const json::array* t = GetArray(p, "metricTransformations")) transformations = *t;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(auto count, txn->QueryOne("SELECT COUNT(*), SUM(name = ?) FROM logs_metric_filters "
                                                    "WHERE group_id = ?",
                                                    {name, g.id}));
  if (count && AsInt((*count)[0]) >= static_cast<std::int64_t>(kMaxMetricFilters) &&
      AsInt((*count)[1]) == 0) {
    return MakeError(errors::kLimitExceeded, {"Resource limit exceeded."});
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO logs_metric_filters (group_id, name, pattern, transformations, created) VALUES "
                "(?, ?, ?, ?, ?) "
                "ON CONFLICT (group_id, name) DO UPDATE SET pattern = excluded.pattern, "
                "transformations = excluded.transformations",
                {g.id, name, pattern_text, json::serialize(transformations), env.now()}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DescribeMetricFilters(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto group_name = GetString(p, "logGroupName");
  auto prefix = GetString(p, "filterNamePrefix");
  auto metric_name = GetString(p, "metricName");
  auto metric_namespace = GetString(p, "metricNamespace");
  if (prefix && !group_name) {
    return MakeError(errors::kInvalidParameter,
                     {"If you specify filterNamePrefix, you must specify logGroupName."});
  }
  if (metric_name.has_value() != metric_namespace.has_value()) {
    return MakeError(errors::kInvalidParameter,
                     {"metricName and metricNamespace must be specified together."});
  }
  const std::int64_t limit = std::clamp<std::int64_t>(GetInt(p, "limit").value_or(50), 1, 50);
  std::string after;
  if (auto token = GetString(p, "nextToken")) {
    auto t = TokenName(*token);
    if (!t) return MakeError(errors::kInvalidParameter, {"The specified nextToken is invalid."});
    after = *t;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  std::string sql =
      "SELECT m.name, m.pattern, m.transformations, m.created, g.name FROM logs_metric_filters m "
      "JOIN logs_groups g ON g.id = m.group_id WHERE g.account = ? AND g.region = ?";
  std::vector<Value> params{ctx.account_id(), ctx.region};
  if (group_name) {
    GroupKey key{.account = ctx.account_id(), .region = ctx.region, .name = *group_name};
    CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
    sql += " AND g.id = ?";
    params.emplace_back(g.id);
  }
  sql += " ORDER BY g.name, m.name";
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, params));
  json::array filters;
  std::optional<std::string> next;
  for (const auto& r : rows) {
    const std::string position = AsText(r[4]) + "\n" + AsText(r[0]);
    if (!after.empty() && position <= after) continue;
    if (prefix && !AsText(r[0]).starts_with(*prefix)) continue;
    json::object doc = MetricFilterDocument(r, AsText(r[4]));
    if (metric_name) {
      bool hit = false;
      for (const auto& t : doc["metricTransformations"].as_array()) {
        if (!t.is_object()) continue;
        hit = hit || (GetString(t.get_object(), "metricName") == metric_name &&
                      GetString(t.get_object(), "metricNamespace") == metric_namespace);
      }
      if (!hit) continue;
    }
    if (static_cast<std::int64_t>(filters.size()) == limit) {
      const json::object& last = filters.back().as_object();
      next = NameToken(std::string(last.at("logGroupName").as_string()) + "\n" +
                       std::string(last.at("filterName").as_string()));
      break;
    }
    filters.push_back(std::move(doc));
  }
  json::object out{{"metricFilters", std::move(filters)}};
  if (next) out["nextToken"] = *next;
  return out;
}

Result<OperationOutput> DeleteMetricFilter(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(std::int64_t n,
                          txn->Exec("DELETE FROM logs_metric_filters WHERE group_id = ? AND name = ?",
                                    {g.id, GetString(p, "filterName").value_or("")}));
  if (n == 0) return MakeError(errors::kFilterNotFound);
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> TestMetricFilter(Env&, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(FilterPattern pattern,
                          FilterPattern::Parse(GetString(p, "filterPattern").value_or("")));
  json::array matches;
  if (const json::array* messages = GetArray(p, "logEventMessages")) {
    std::int64_t number = 0;
    for (const auto& m : *messages) {
      ++number;
      if (!m.is_string() || !pattern.Matches(m.get_string())) continue;
      json::object extracted;
      for (auto& [k, v] : pattern.ExtractedValues(m.get_string())) extracted[k] = v;
      matches.push_back(json::object{{"eventNumber", number},
                                     {"eventMessage", m.get_string()},
                                     {"extractedValues", std::move(extracted)}});
    }
  }
  return json::object{{"matches", std::move(matches)}};
}

// ---- subscription filters

Result<OperationOutput> PutSubscriptionFilter(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string name = GetString(p, "filterName").value_or("");
  const std::string pattern_text = GetString(p, "filterPattern").value_or("");
  CENOTE_ASSIGN_OR_RETURN(FilterPattern pattern, FilterPattern::Parse(pattern_text));
  const std::string destination = GetString(p, "destinationArn").value_or("");
  const std::string role = GetString(p, "roleArn").value_or("");
  const std::string distribution = GetString(p, "distribution").value_or("ByLogStream");
  const DestinationKind kind = KindOf(destination);
  if (kind == DestinationKind::kUnknown) {
    return MakeError(
        errors::kInvalidParameter,
        {"Invalid destinationArn: a Kinesis data stream, a Firehose stream or a Lambda function ARN is "
         "supported."});
  }
  if ((kind == DestinationKind::kKinesis || kind == DestinationKind::kFirehose) && role.empty()) {
    return MakeError(errors::kInvalidParameter,
                     {"roleArn is required for a Kinesis or Firehose destination."});
  }
  const std::int64_t now = env.now();
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
    CENOTE_ASSIGN_OR_RETURN(auto count,
                            txn->QueryOne("SELECT COUNT(*), SUM(name = ?) FROM logs_subscription_filters "
                                          "WHERE group_id = ?",
                                          {name, g.id}));
    if (count && AsInt((*count)[0]) >= kMaxSubscriptionFilters && AsInt((*count)[1]) == 0) {
      return MakeError(errors::kLimitExceeded, {"Resource limit exceeded."});
    }
  }
  // AWS checks the destination with a test message before it creates the filter. A Lambda function is
  // checked with a DryRun invocation as CloudWatch Logs (the function exists and its resource policy lets
  // logs.amazonaws.com in) instead: a function receives DATA_MESSAGEs only.
  const std::string source_arn = GroupArn(key.region, key.account, key.name) + ":*";
  if (kind == DestinationKind::kLambda) {
    Status allowed = CheckLambdaDestination(env, key.account, destination, source_arn);
    if (!allowed.ok()) {
      spdlog::info("logs: subscription filter {} cannot invoke {}: {} {}", name, destination,
                   allowed.error().code, allowed.error().message);
      return MakeError(errors::kLambdaDeliveryTest);
    }
  } else {
    CENOTE_ASSIGN_OR_RETURN(std::string control, ControlMessage(now, kind));
    Status delivered = Deliver(env, key.account, key.region, destination, role, source_arn, control);
    if (!delivered.ok()) {
      spdlog::info("logs: subscription filter {} test message to {} refused: {} {}", name, destination,
                   delivered.error().code, delivered.error().message);
      return MakeError(errors::kDeliveryTest);
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO logs_subscription_filters (group_id, name, pattern, destination, role, distribution, "
      "created) "
      "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, name) DO UPDATE SET pattern = excluded.pattern, "
      "destination = excluded.destination, role = excluded.role, distribution = excluded.distribution",
      {g.id, name, pattern_text, destination, role, distribution, now}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> DescribeSubscriptionFilters(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  auto prefix = GetString(p, "filterNamePrefix");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT name, pattern, destination, role, distribution, created "
                                     "FROM logs_subscription_filters WHERE group_id = ? ORDER BY name",
                                     {g.id}));
  json::array out;
  for (const auto& r : rows) {
    if (prefix && !AsText(r[0]).starts_with(*prefix)) continue;
    json::object o{{"filterName", AsText(r[0])},    {"logGroupName", g.name},
                   {"filterPattern", AsText(r[1])}, {"destinationArn", AsText(r[2])},
                   {"distribution", AsText(r[4])},  {"creationTime", AsInt(r[5])}};
    if (!AsText(r[3]).empty()) o["roleArn"] = AsText(r[3]);
    out.push_back(std::move(o));
  }
  return json::object{{"subscriptionFilters", std::move(out)}};
}

Result<OperationOutput> DeleteSubscriptionFilter(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow g, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(std::int64_t n,
                          txn->Exec("DELETE FROM logs_subscription_filters WHERE group_id = ? AND name = ?",
                                    {g.id, GetString(p, "filterName").value_or("")}));
  if (n == 0) return MakeError(errors::kFilterNotFound);
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<std::int64_t> EnqueueSubscriptionDeliveries(Env& env, store::Transaction& txn, const GroupRow& group,
                                                   const std::string& stream,
                                                   const std::vector<EventRow>& events) {
  CENOTE_ASSIGN_OR_RETURN(auto filters,
                          txn.Query("SELECT name, pattern, destination, role FROM "
                                    "logs_subscription_filters WHERE group_id = ? ORDER BY name",
                                    {group.id}));
  if (filters.empty()) return std::int64_t{0};
  std::int64_t queued = 0;
  const std::int64_t now = env.now();
  const std::string source_arn = GroupArn(group.region, group.account, group.name) + ":*";
  for (const auto& f : filters) {
    auto pattern = FilterPattern::Parse(AsText(f[1]));
    if (!pattern.ok()) continue;  // stored patterns parsed when they were put
    json::array batch;
    std::size_t batch_bytes = 0;
    auto flush = [&]() -> Status {
      if (batch.empty()) return Status::Ok();
      json::object msg{{"messageType", "DATA_MESSAGE"},
                       {"owner", group.account},
                       {"logGroup", group.name},
                       {"logStream", stream},
                       {"subscriptionFilters", json::array{json::string(AsText(f[0]))}},
                       {"logEvents", std::move(batch)}};
      batch = json::array();
      batch_bytes = 0;
      CENOTE_ASSIGN_OR_RETURN(std::string gz, Gzip(json::serialize(msg)));
      ++queued;
      return InsertOutbox(txn, group.account, group.region, AsText(f[2]), AsText(f[3]), source_arn, gz, now);
    };
    for (const EventRow& e : events) {
      if (!pattern->Matches(e.message)) continue;
      if (batch_bytes + e.message.size() > kMaxMessageBytes) CENOTE_RETURN_IF_ERROR(flush());
      batch.push_back(
          json::object{{"id", EventId(e.id)}, {"timestamp", e.timestamp}, {"message", e.message}});
      batch_bytes += e.message.size() + 100;
    }
    CENOTE_RETURN_IF_ERROR(flush());
  }
  return queued;
}

// At-least-once: a row leaves the outbox only after its destination accepted it; a crash between the call
// and the delete delivers it again.
std::int64_t DeliverOutbox(Env& env) {
  const std::int64_t now = env.now();
  std::vector<store::Row> due;
  std::int64_t pending = 0;
  {
    auto txn = env.store.Begin(store::MetadataStore::Mode::kRead);
    if (!txn.ok()) return 0;
    auto rows = (*txn)->Query(
        "SELECT id, account, region, destination, role, source_arn, payload, attempts, created FROM "
        "logs_outbox "
        "WHERE next_attempt <= ? ORDER BY id LIMIT 500",
        {now});
    if (!rows.ok()) return 0;
    due = std::move(rows).value();
    auto count = (*txn)->QueryOne("SELECT COUNT(*) FROM logs_outbox");
    if (count.ok() && *count) pending = AsInt((**count)[0]);
  }
  for (const auto& r : due) {
    const std::int64_t id = AsInt(r[0]);
    auto gz = Base64Decode(AsText(r[6]));
    Status s = gz ? Deliver(env, AsText(r[1]), AsText(r[2]), AsText(r[3]), AsText(r[4]), AsText(r[5]), *gz)
                  : Status(InternalError("corrupt outbox payload"));
    auto txn = env.store.Begin(store::MetadataStore::Mode::kWrite);
    if (!txn.ok()) continue;
    const std::int64_t attempts = AsInt(r[7]) + 1;
    if (s.ok() || now - AsInt(r[8]) > kDeliveryGiveUpMs) {
      if (!s.ok()) {
        spdlog::warn("logs: dropping a subscription delivery to {} after {} attempts: {}", AsText(r[3]),
                     attempts, s.error().message);
      }
      (void)(*txn)->Exec("DELETE FROM logs_outbox WHERE id = ?", {id});
      --pending;
    } else {
      const std::int64_t backoff =
          std::min<std::int64_t>(1000ll << std::min<std::int64_t>(attempts, 8), 300'000);
      (void)(*txn)->Exec("UPDATE logs_outbox SET attempts = ?, next_attempt = ? WHERE id = ?",
                         {attempts, now + backoff, id});
    }
    (void)(*txn)->Commit();
  }
  return pending;
}

}  // namespace cenote::logs
