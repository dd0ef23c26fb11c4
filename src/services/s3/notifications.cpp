#include "services/s3/notifications.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "aws/protocol/wire.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/s3/env.hpp"
#include "services/s3/internal.hpp"

namespace cenote::s3 {

namespace json = boost::json;
using store::Value;

namespace {

constexpr std::string_view kS3Principal = "s3.amazonaws.com";

// A configured event ("s3:ObjectCreated:*", "s3:ObjectRemoved:Delete") wants `name` ("ObjectCreated:Put").
bool EventWanted(std::string_view configured, std::string_view name) {
  if (configured.substr(0, 3) != "s3:") return false;
  configured.remove_prefix(3);
  if (configured.size() >= 2 && configured.substr(configured.size() - 2) == ":*") {
    std::string_view family = configured.substr(0, configured.size() - 1);  // "ObjectCreated:"
    return name.substr(0, family.size()) == family;
  }
  return configured == name;
}

std::string Sequencer(std::int64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(seq));
  return buf;
}

// The principal id S3 puts in userIdentity: "AWS:<user id>" for IAM identities, the account for its root.
std::string PrincipalId(const EventCause& cause) {
  if (cause.ctx == nullptr) return std::string(kS3Principal);
  const auto& p = cause.ctx->principal;
  if (p.type == iam::PrincipalType::kService) return p.arn;
  if (p.anonymous) return "Anonymous";
  if (p.is_root) return p.account_id;
  return "AWS:" + p.user_id;
}

std::string SourceIp(const EventCause& cause) {
  if (cause.ctx == nullptr) return std::string(kS3Principal);
  return cause.ctx->in_process() ? cause.ctx->source_ip : AddressWithoutPort(cause.ctx->source_ip);
}

std::string RequestId(const EventCause& cause) {
  return cause.ctx != nullptr ? cause.ctx->request_id : RandomHex(8);
}

// The reason EventBridge's detail gives for an event (the API that caused it).
std::string Reason(std::string_view name, const EventCause& cause) {
  if (cause.lifecycle) return "Lifecycle Expiration";
  if (name == "ObjectCreated:Put") return "PutObject";
  if (name == "ObjectCreated:Post") return "POST Object";
  if (name == "ObjectCreated:Copy") return "CopyObject";
  if (name == "ObjectCreated:CompleteMultipartUpload") return "CompleteMultipartUpload";
  if (name.substr(0, 14) == "ObjectRemoved:") {
    return cause.ctx != nullptr && cause.ctx->operation == "DeleteObjects" ? "DeleteObjects" : "DeleteObject";
  }
  return "";
}

Result<std::int64_t> Insert(store::Transaction& txn, std::string_view kind, std::string_view arn,
                            const BucketRow& bucket, std::string body, std::int64_t now_ms) {
  return txn.Exec(
      "INSERT INTO s3_event_outbox (kind, arn, bucket, region, account, body, created_ms, attempts, next_ms) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)",
      {std::string(kind), std::string(arn), bucket.name, bucket.region, bucket.owner_account, std::move(body),
       now_ms});
}

}  // namespace

ObjectEvent EventOf(std::string_view name, const VersionRow& row) {
  ObjectEvent e;
  e.name = std::string(name);
  e.key = row.key;
  if (!row.delete_marker) {
    e.size = row.size;
    e.etag = row.etag;
  }
  e.version_id = row.version_id;
  e.seq = row.seq;
  return e;
}

std::string EventBridgeDetailType(std::string_view name) {
  if (name.substr(0, 14) == "ObjectCreated:") return "Object Created";
  if (name.substr(0, 14) == "ObjectRemoved:" || name.substr(0, 20) == "LifecycleExpiration:") {
    return "Object Deleted";
  }
  if (name == "ObjectTagging:Put") return "Object Tags Added";
  if (name == "ObjectTagging:Delete") return "Object Tags Deleted";
  if (name == "ObjectAcl:Put") return "Object ACL Updated";
  if (name == "ObjectRestore:Post") return "Object Restore Initiated";
  if (name == "ObjectRestore:Completed") return "Object Restore Completed";
  if (name == "ObjectRestore:Delete") return "Object Restore Expired";
  if (name == "LifecycleTransition") return "Object Storage Class Changed";
  return "";
}

json::object EventRecord(const BucketRow& bucket, const ObjectEvent& event, const EventCause& cause,
                         std::string_view configuration_id, std::int64_t now_ms) {
  json::object object;
  object["key"] = UrlEncodeKey(event.key);
  if (event.size) {
    object["size"] = *event.size;
    object["eTag"] = event.etag;
  }
  if (!event.version_id.empty() && event.version_id != "null") object["versionId"] = event.version_id;
  object["sequencer"] = Sequencer(event.seq);
  json::object s3;
  s3["s3SchemaVersion"] = "1.0";
  s3["configurationId"] = configuration_id;
  s3["bucket"] = json::object{{"name", bucket.name},
                              {"ownerIdentity", json::object{{"principalId", bucket.owner_account}}},
                              {"arn", "arn:aws:s3:::" + bucket.name}};
  s3["object"] = std::move(object);
  const std::string request_id = RequestId(cause);
  json::object record;
  record["eventVersion"] = "2.1";
  record["eventSource"] = "aws:s3";
  record["awsRegion"] = bucket.region;
  record["eventTime"] = aws::protocol::wire::FormatIso8601(now_ms);
  record["eventName"] = event.name;
  record["userIdentity"] = json::object{{"principalId", PrincipalId(cause)}};
  record["requestParameters"] = json::object{{"sourceIPAddress", SourceIp(cause)}};
  record["responseElements"] =
      json::object{{"x-amz-request-id", request_id}, {"x-amz-id-2", Base64Encode("cenote/" + request_id)}};
  record["s3"] = std::move(s3);
  return record;
}

Notifications::~Notifications() { task_.reset(); }

Notifications::Config Notifications::Parse(const json::object& cfg) {
  Config out;
  struct Kind {
    const char* list;
    const char* arn_member;
    const char* kind;
  };
  static constexpr Kind kKinds[] = {{"QueueConfigurations", "QueueArn", "queue"},
                                    {"TopicConfigurations", "TopicArn", "topic"},
                                    {"LambdaFunctionConfigurations", "LambdaFunctionArn", "lambda"}};
  for (const Kind& k : kKinds) {
    const json::array* list = services::GetArray(cfg, k.list);
    if (list == nullptr) continue;
    for (const auto& entry : *list) {
      if (!entry.is_object()) continue;
      const auto& c = entry.as_object();
      Destination d;
      d.kind = k.kind;
      d.arn = services::GetString(c, k.arn_member).value_or("");
      d.id = services::GetString(c, "Id").value_or("");
      if (const json::array* events = services::GetArray(c, "Events")) {
        for (const auto& e : *events) {
          if (e.is_string()) d.events.emplace_back(e.as_string());
        }
      }
      const auto* filter = services::GetObject(c, "Filter");
      const auto* key = filter ? services::GetObject(*filter, "Key") : nullptr;
      const json::array* rules = key ? services::GetArray(*key, "FilterRules") : nullptr;
      for (const auto& r : rules ? *rules : json::array()) {
        if (!r.is_object()) continue;
        std::string name = AsciiLower(services::GetString(r.as_object(), "Name").value_or(""));
        std::string value = services::GetString(r.as_object(), "Value").value_or("");
        if (name == "prefix") d.prefix = value;
        if (name == "suffix") d.suffix = value;
      }
      out.destinations.push_back(std::move(d));
    }
  }
  out.eventbridge = cfg.contains("EventBridgeConfiguration");
  return out;
}

Status Notifications::Load(store::Transaction& txn) {
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn.Query("SELECT bucket, doc FROM s3_bucket_configs WHERE kind = 'notification'"));
  for (const auto& row : rows) {
    boost::system::error_code ec;
    auto doc = json::parse(store::AsText(row[1]), ec);
    if (ec || !doc.is_object()) continue;
    SetConfig(std::string(store::AsText(row[0])), &doc.as_object());
  }
  return Status::Ok();
}

void Notifications::SetConfig(const std::string& bucket, const json::object* cfg) {
  MutexLock lock(mu_);
  if (cfg == nullptr) {
    configs_.erase(bucket);
  } else {
    Config parsed = Parse(*cfg);
    if (parsed.destinations.empty() && !parsed.eventbridge) {
      configs_.erase(bucket);
    } else {
      configs_[bucket] = std::move(parsed);
    }
  }
  config_count_.store(configs_.size());
}

Status Notifications::Record(store::Transaction& txn, const BucketRow& bucket, const ObjectEvent& event,
                             const EventCause& cause) {
  if (config_count_.load(std::memory_order_relaxed) == 0) return Status::Ok();
  // The rows to store, made under the lock, inserted after it (the insert may wait on the disk).
  std::vector<std::pair<const char*, std::pair<std::string, std::string>>> rows;  // kind, (arn, body)
  const std::int64_t now = UnixNowMs();
  {
    MutexLock lock(mu_);
    auto it = configs_.find(bucket.name);
    if (it == configs_.end()) return Status::Ok();
    for (const Destination& d : it->second.destinations) {
      bool wanted = std::any_of(d.events.begin(), d.events.end(),
                                [&](const std::string& e) { return EventWanted(e, event.name); });
      if (!wanted) continue;
      if (event.key.compare(0, d.prefix.size(), d.prefix) != 0) continue;
      if (event.key.size() < d.suffix.size() ||
          event.key.compare(event.key.size() - d.suffix.size(), d.suffix.size(), d.suffix) != 0) {
        continue;
      }
      json::object body;
      body["Records"] = json::array{EventRecord(bucket, event, cause, d.id, now)};
      const char* kind = d.kind == "queue" ? "queue" : d.kind == "topic" ? "topic" : "lambda";
      rows.push_back({kind, {d.arn, json::serialize(body)}});
    }
    const std::string detail_type = it->second.eventbridge ? EventBridgeDetailType(event.name) : "";
    if (!detail_type.empty()) {
      json::object object;
      object["key"] = event.key;
      if (event.size) {
        object["size"] = *event.size;
        object["etag"] = event.etag;
      }
      if (!event.version_id.empty() && event.version_id != "null") object["version-id"] = event.version_id;
      object["sequencer"] = Sequencer(event.seq);
      json::object detail;
      detail["version"] = "0";
      detail["bucket"] = json::object{{"name", bucket.name}};
      detail["object"] = std::move(object);
      detail["request-id"] = RequestId(cause);
      detail["requester"] =
          cause.ctx != nullptr && cause.ctx->principal.type != iam::PrincipalType::kService
              ? cause.ctx->principal.account_id
              : (cause.ctx != nullptr ? cause.ctx->principal.arn : std::string(kS3Principal));
      detail["source-ip-address"] = SourceIp(cause);
      std::string reason = Reason(event.name, cause);
      if (!reason.empty()) detail["reason"] = reason;
      if (event.name.find("DeleteMarkerCreated") != std::string::npos) {
        detail["deletion-type"] = "Delete Marker Created";
      } else if (detail_type == "Object Deleted") {
        detail["deletion-type"] = "Permanently Deleted";
      }
      json::object entry;
      entry["Source"] = "aws.s3";
      entry["DetailType"] = detail_type;
      entry["Detail"] = json::serialize(detail);
      entry["Resources"] = json::array{json::string("arn:aws:s3:::" + bucket.name)};
      entry["Time"] = now;
      entry["EventBusName"] = "default";
      rows.push_back({"eventbridge",
                      {"arn:aws:events:" + bucket.region + ":" + bucket.owner_account + ":event-bus/default",
                       json::serialize(entry)}});
    }
  }
  for (auto& [kind, row] : rows) {
    CENOTE_RETURN_IF_ERROR(Insert(txn, kind, row.first, bucket, std::move(row.second), now));
  }
  return Status::Ok();
}

void Notifications::Committed() {
  if (task_) task_->Wake();
}

Status Notifications::Deliver(const std::string& kind, const std::string& arn, const std::string& account,
                              const std::string& region, const std::string& bucket, const std::string& body) {
  if (invoker_ == nullptr) return InternalError("s3 notifications: no invoker");
  // As S3 itself, in the destination's region (from its ARN: arn:aws:<svc>:<region>:<account>:<name>).
  std::vector<std::string_view> parts = SplitString(arn, ':');
  const aws::Caller caller = aws::ServiceCaller(
      kS3Principal, account, parts.size() > 3 && !parts[3].empty() ? std::string(parts[3]) : region,
      "arn:aws:s3:::" + bucket);
  OperationInput in;
  json::object& p = in.params.emplace_object();
  if (kind == "queue") {
    if (parts.size() < 6) return InternalError("s3 notifications: not a queue ARN: " + arn);
    p["QueueUrl"] = "http://localhost/" + std::string(parts[4]) + "/" + std::string(parts[5]);
    p["MessageBody"] = body;
    return Status::FromResult(invoker_->Call(caller, "sqs", "SendMessage", in));
  }
  if (kind == "topic") {
    p["TopicArn"] = arn;
    p["Message"] = body;
    p["Subject"] = "Amazon S3 Notification";
    return Status::FromResult(invoker_->Call(caller, "sns", "Publish", in));
  }
  if (kind == "lambda") {
    p["FunctionName"] = arn;
    p["InvocationType"] = "Event";
    p["Payload"] = body;
    return Status::FromResult(invoker_->Call(caller, "lambda", "Invoke", in));
  }
  // EventBridge: one PutEvents entry; a failed entry is a failed delivery.
  boost::system::error_code ec;
  auto entry = json::parse(body, ec);
  if (ec) return InternalError("s3 notifications: unreadable EventBridge entry");
  p["Entries"] = json::array{std::move(entry)};
  CENOTE_ASSIGN_OR_RETURN(auto out, invoker_->Call(caller, "events", "PutEvents", in));
  const json::value* failed =
      out.result.is_object() ? out.result.as_object().if_contains("FailedEntryCount") : nullptr;
  if (failed != nullptr && failed->is_int64() && failed->as_int64() > 0) {
    return InternalError("s3 notifications: EventBridge refused the event: " + json::serialize(out.result));
  }
  return Status::Ok();
}

std::vector<std::string> Notifications::TestDestinations(const json::object& cfg, const BucketRow& bucket,
                                                         const RequestContext& ctx) {
  std::vector<std::string> failed;
  if (invoker_ == nullptr) return failed;  // no platform (unit tests): nothing can be reached or checked
  json::object test;
  test["Service"] = "Amazon S3";
  test["Event"] = "s3:TestEvent";
  test["Time"] = aws::protocol::wire::FormatIso8601(UnixNowMs());
  test["Bucket"] = bucket.name;
  test["RequestId"] = ctx.request_id;
  test["HostId"] = Base64Encode("cenote/" + ctx.request_id);
  const std::string body = json::serialize(test);
  for (const Destination& d : Parse(cfg).destinations) {
    Status s = Deliver(d.kind, d.arn, bucket.owner_account, bucket.region, bucket.name, body);
    if (!s) {
      spdlog::debug("s3 notifications: test event to {} failed: {}", d.arn, s.error().message);
      failed.push_back(d.arn);
    }
  }
  return failed;
}

void Notifications::Start(BackgroundTasks& tasks, aws::Invoker& invoker) {
  invoker_ = &invoker;
  task_ = tasks.Start(
      "s3.notifications",
      [this]() -> BackgroundTask::Clock::duration {
        const std::int64_t now = UnixNowMs();
        auto next = DeliverDue(now);
        if (!next) {
          spdlog::warn("s3 notifications: {}", next.error().message);
          return std::chrono::seconds(1);
        }
        if (!*next) return BackgroundTask::kUntilWoken;
        return std::chrono::milliseconds(std::max<std::int64_t>(**next - UnixNowMs(), 0));
      },
      std::chrono::milliseconds(0));  // at once: what a previous run left undelivered
}

Result<std::optional<std::int64_t>> Notifications::DeliverDue(std::int64_t now_ms) {
  constexpr std::int64_t kBatch = 256;
  std::vector<store::Row> rows;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(rows,
                            txn->Query("SELECT id, kind, arn, bucket, region, account, body, created_ms, "
                                       "attempts FROM s3_event_outbox WHERE next_ms <= ? ORDER BY id "
                                       "LIMIT ?",
                                       {now_ms, kBatch}));
  }
  std::vector<std::int64_t> done;
  std::vector<std::pair<std::int64_t, std::int64_t>> retry;  // id, next_ms
  for (const auto& row : rows) {
    const std::int64_t id = store::AsInt(row[0]);
    const std::string arn(store::AsText(row[2]));
    Status s = Deliver(std::string(store::AsText(row[1])), arn, std::string(store::AsText(row[5])),
                       std::string(store::AsText(row[4])), std::string(store::AsText(row[3])),
                       std::string(store::AsText(row[6])));
    if (s) {
      done.push_back(id);
      continue;
    }
    const std::int64_t attempts = store::AsInt(row[8]);
    if (now_ms - store::AsInt(row[7]) >= kGiveUpMs) {
      spdlog::warn("s3 notifications: dropping an event for {} after {} attempts: {}", arn, attempts + 1,
                   s.error().message);
      done.push_back(id);
      continue;
    }
    const std::int64_t delay =
        std::min<std::int64_t>(kFirstRetryMs << std::min<std::int64_t>(attempts, 20), kMaxRetryMs);
    retry.emplace_back(id, now_ms + delay);
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_.metadata.Begin(store::MetadataStore::Mode::kWrite));
  for (std::int64_t id : done) {
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_event_outbox WHERE id = ?", {id}));
  }
  for (const auto& [id, next] : retry) {
    CENOTE_RETURN_IF_ERROR(txn->Exec(
        "UPDATE s3_event_outbox SET attempts = attempts + 1, next_ms = ? WHERE id = ?", {next, id}));
  }
  CENOTE_ASSIGN_OR_RETURN(auto soonest, txn->QueryOne("SELECT MIN(next_ms) FROM s3_event_outbox"));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  if (static_cast<std::int64_t>(rows.size()) == kBatch) return std::optional<std::int64_t>(now_ms);
  if (!soonest || store::IsNull((*soonest)[0])) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(store::AsInt((*soonest)[0]));
}

Result<std::int64_t> Notifications::Pending() {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT COUNT(*) FROM s3_event_outbox"));
  return row ? store::AsInt((*row)[0]) : 0;
}

}  // namespace cenote::s3
