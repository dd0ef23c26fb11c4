// Queues: create, look up, list, delete, attributes, purge, tags, permissions, dead-letter sources.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

namespace {

constexpr std::string_view kSettable[] = {"DelaySeconds",
                                          "MaximumMessageSize",
                                          "MessageRetentionPeriod",
                                          "Policy",
                                          "ReceiveMessageWaitTimeSeconds",
                                          "VisibilityTimeout",
                                          "RedrivePolicy",
                                          "RedriveAllowPolicy",
                                          "KmsMasterKeyId",
                                          "KmsDataKeyReusePeriodSeconds",
                                          "SqsManagedSseEnabled",
                                          "FifoQueue",
                                          "ContentBasedDeduplication",
                                          "DeduplicationScope",
                                          "FifoThroughputLimit"};
constexpr std::string_view kFifoOnly[] = {"FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
                                          "FifoThroughputLimit"};

bool IsOneOf(std::string_view name, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A decimal integer in [lo, hi], as AWS reads attribute values.
std::optional<std::int64_t> IntIn(std::string_view text, std::int64_t lo, std::int64_t hi) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (!IsAsciiDigit(c)) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v < lo || v > hi) return std::nullopt;
  return v;
}

bool ValidQueueName(std::string_view name, bool fifo) {
  if (name.empty() || name.size() > 80) return false;
  std::string_view base = name;
  if (fifo) {
    if (!name.ends_with(".fifo")) return false;
    base.remove_suffix(5);
    if (base.empty()) return false;
  }
  for (char c : base) {
    if (!IsAsciiAlnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// The value of an attribute member: SQS attribute values are strings on the wire.
std::string AttributeText(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

Result<std::string> CheckRedrivePolicy(Env& env, const RequestContext& ctx, bool fifo, const QueueKey& key,
                                       const std::string& text) {
  auto bad = [&](std::string_view reason) {
    return MakeError(errors::kInvalidParameterValue, {text, "RedrivePolicy", reason});
  };
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("Redrive policy is not a valid JSON map.");
  const json::object& o = v.as_object();
  const json::value* target = o.if_contains("deadLetterTargetArn");
  const json::value* count = o.if_contains("maxReceiveCount");
  if (target == nullptr)
    return bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.");
  if (count == nullptr) return bad("Redrive policy does not contain mandatory attribute: maxReceiveCount.");
  for (const auto& [k, _] : o) {
    if (k != "deadLetterTargetArn" && k != "maxReceiveCount") {
      return bad("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].");
    }
  }
  std::optional<std::int64_t> max;
  if (count->is_int64()) {
    max = count->as_int64();
  } else if (count->is_string()) {
    max = IntIn(count->as_string(), 1, 1000);
  }
  if (!max || *max < 1 || *max > 1000) {
    return bad("Invalid value for maxReceiveCount: " + AttributeText(*count) +
               ", valid values are from 1 to 1000 both inclusive.");
  }
  if (!target->is_string()) return bad("Invalid value for deadLetterTargetArn.");
  std::string arn(target->as_string());
  std::optional<QueueKey> tk = ParseQueueArn(arn);
  if (!tk) return bad("Invalid value for deadLetterTargetArn.");
  if (tk->account != key.account || tk->region != key.region) {
    return bad("Dead-letter target owner should be same as the source.");
  }
  std::shared_ptr<Queue> dlq = env.Find(*tk);
  if (!dlq) return bad("Dead letter target does not exist.");
  if (dlq->fifo != fifo) return bad("Dead-letter queue must be same type of queue as the source.");
  {
    MutexLock lock(dlq->mu);
    auto it = dlq->attributes.find("RedriveAllowPolicy");
    if (it != dlq->attributes.end() && !it->second.empty()) {
      json::value allow = json::parse(it->second, ec);
      if (!ec && allow.is_object()) {
        std::string perm = GetString(allow.as_object(), "redrivePermission").value_or("allowAll");
        if (perm == "denyAll")
          return bad("Queue " + arn + " does not allow this queue to use it as a dead-letter queue.");
        if (perm == "byQueue") {
          bool listed = false;
          if (const auto* arns = GetArray(allow.as_object(), "sourceQueueArns")) {
            for (const auto& a : *arns) listed = listed || (a.is_string() && a.as_string() == QueueArn(key));
          }
          if (!listed)
            return bad("Queue " + arn + " does not allow this queue to use it as a dead-letter queue.");
        }
      }
    }
  }
  (void)ctx;
  return json::serialize(json::object{{"deadLetterTargetArn", arn}, {"maxReceiveCount", *max}});
}

Result<std::string> CheckRedriveAllowPolicy(const std::string& text) {
  auto bad = [&](std::string_view reason) {
    return MakeError(errors::kInvalidParameterValue, {text, "RedriveAllowPolicy", reason});
  };
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("Redrive allow policy is not a valid JSON map.");
  const json::object& o = v.as_object();
  std::optional<std::string> perm = GetString(o, "redrivePermission");
  if (!perm) return bad("Redrive allow policy does not contain mandatory attribute: redrivePermission.");
  if (*perm != "allowAll" && *perm != "denyAll" && *perm != "byQueue") {
    return bad("Invalid value for redrivePermission: " + *perm + ".");
  }
  const json::array* arns = GetArray(o, "sourceQueueArns");
  if (*perm == "byQueue") {
    if (!arns || arns->empty() || arns->size() > 10) {
      return bad(
          "sourceQueueArns must contain between 1 and 10 queue ARNs when redrivePermission is byQueue.");
    }
    for (const auto& a : *arns) {
      if (!a.is_string() || !ParseQueueArn(a.as_string())) return bad("Invalid value for sourceQueueArns.");
    }
  } else if (arns) {
    return bad("sourceQueueArns is only allowed when redrivePermission is byQueue.");
  }
  json::object out{{"redrivePermission", *perm}};
  if (arns) out["sourceQueueArns"] = *arns;
  return json::serialize(out);
}

json::object AttributesOf(const json::object& params) {
  if (const json::object* a = GetObject(params, "Attributes")) return *a;
  return {};
}

// ListQueues and ListDeadLetterSourceQueues page alike: MaxResults 1..1000, an opaque NextToken naming the
// last queue of the previous page, and no token without MaxResults (AWS then answers at most 1000).
struct Page {
  std::optional<std::int64_t> max;
  std::string after;  // the last name of the previous page
};

Result<Page> ReadPage(const json::object& p, std::string_view tag) {
  Page page;
  page.max = GetInt(p, "MaxResults");
  if (page.max && (*page.max < 1 || *page.max > 1000)) {
    return MakeError(errors::kInvalidParameterValue, {std::to_string(*page.max), "MaxResults",
                                                      "MaxResults must be an integer between 1 and 1000."});
  }
  if (auto token = GetString(p, "NextToken")) {
    auto decoded = Base64Decode(*token);
    if (!decoded || !decoded->starts_with(tag))
      return MakeError(errors::kInvalidParameter, {"Invalid NextToken value."});
    page.after = decoded->substr(tag.size());
  }
  return page;
}

// Fills `out` with the URLs of `names` (sorted, after page.after) in `member`, and a NextToken when more
// remain.
void WritePage(Env& env, const RequestContext& ctx, const QueueKey& where,
               const std::vector<std::string>& names, const Page& page, std::string_view tag,
               const char* member, bool always_list, json::object& out) {
  std::size_t limit = page.max ? static_cast<std::size_t>(*page.max) : 1000;
  json::array urls;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    urls.push_back(json::string(env.Url(ctx, QueueKey{where.account, where.region, names[i]})));
  }
  if (always_list || !urls.empty()) out[member] = std::move(urls);
  if (page.max && names.size() > limit) out["NextToken"] = Base64Encode(std::string(tag) + names[limit - 1]);
}

}  // namespace

std::map<std::string, std::string> DefaultAttributes(bool fifo) {
  std::map<std::string, std::string> a{{"DelaySeconds", "0"},
                                       {"MaximumMessageSize", std::to_string(kMaxMessageSizeLimit)},
                                       {"MessageRetentionPeriod", "345600"},
                                       {"ReceiveMessageWaitTimeSeconds", "0"},
                                       {"VisibilityTimeout", "30"},
                                       {"SqsManagedSseEnabled", "true"}};
  if (fifo) {
    a["FifoQueue"] = "true";
    a["ContentBasedDeduplication"] = "false";
    a["DeduplicationScope"] = "queue";
    a["FifoThroughputLimit"] = "perQueue";
  }
  return a;
}

Result<std::map<std::string, std::string>> CheckAttributes(Env& env, const RequestContext& ctx, bool fifo,
                                                           const QueueKey& key,
                                                           const json::object& attributes, bool creating) {
  std::map<std::string, std::string> out;
  for (const auto& [name_sv, value] : attributes) {
    std::string name(name_sv);
    std::string text = AttributeText(value);
    if (!IsOneOf(name, kSettable) || (!fifo && IsOneOf(name, kFifoOnly) && name != "FifoQueue")) {
      return MakeError(errors::kInvalidAttributeName, {name});
    }
    auto invalid = [&] { return MakeError(errors::kInvalidAttributeValue, {name}); };
    auto range = [&](std::int64_t lo, std::int64_t hi) -> Status {
      if (!IntIn(text, lo, hi)) return invalid();
      text = std::to_string(*IntIn(text, lo, hi));
      return Status::Ok();
    };
    if (name == "DelaySeconds") {
      CENOTE_RETURN_IF_ERROR(range(0, 900));
    } else if (name == "MaximumMessageSize") {
      CENOTE_RETURN_IF_ERROR(range(1024, kMaxMessageSizeLimit));
    } else if (name == "MessageRetentionPeriod") {
      CENOTE_RETURN_IF_ERROR(range(60, 1'209'600));
    } else if (name == "ReceiveMessageWaitTimeSeconds") {
      CENOTE_RETURN_IF_ERROR(range(0, 20));
    } else if (name == "VisibilityTimeout") {
      CENOTE_RETURN_IF_ERROR(range(0, kMaxVisibilityTimeout));
    } else if (name == "KmsDataKeyReusePeriodSeconds") {
      CENOTE_RETURN_IF_ERROR(range(60, 86'400));
    } else if (name == "Policy") {
      if (!text.empty()) {
        auto policy = iam::ParsePolicy(text, iam::PolicyKind::kResource);
        if (!policy) return invalid();
      }
    } else if (name == "RedrivePolicy") {
      if (!text.empty()) {
        CENOTE_ASSIGN_OR_RETURN(text, CheckRedrivePolicy(env, ctx, fifo, key, text));
      }
    } else if (name == "RedriveAllowPolicy") {
      if (!text.empty()) {
        CENOTE_ASSIGN_OR_RETURN(text, CheckRedriveAllowPolicy(text));
      }
    } else if (name == "SqsManagedSseEnabled" || name == "ContentBasedDeduplication") {
      std::string lower = AsciiLower(text);
      if (lower != "true" && lower != "false") return invalid();
      text = lower;
    } else if (name == "FifoQueue") {
      std::string lower = AsciiLower(text);
      if (!creating) return MakeError(errors::kInvalidAttributeName, {name});
      if (lower != "true" && lower != "false") return invalid();
      if ((lower == "true") != fifo) return MakeError(errors::kInvalidFifoQueueName);
      if (!fifo) continue;  // FifoQueue=false on a standard queue is accepted and not shown
      text = lower;
    } else if (name == "DeduplicationScope") {
      if (text != "messageGroup" && text != "queue") return invalid();
    } else if (name == "FifoThroughputLimit") {
      if (text != "perQueue" && text != "perMessageGroupId") return invalid();
    } else if (name == "KmsMasterKeyId") {
      if (text.size() > 2048) return invalid();
    }
    out[name] = text;
  }
  if (out.contains("KmsMasterKeyId") && out.contains("SqsManagedSseEnabled") &&
      out["SqsManagedSseEnabled"] == "true" && !out["KmsMasterKeyId"].empty()) {
    return MakeError(errors::kInvalidAttributeValueReason,
                     {"SqsManagedSseEnabled",
                      "You can use one type of server-side encryption (SSE) at one time. "
                      "You can either enable KMS SSE or SQS SSE."});
  }
  return out;
}

namespace {

// Applies checked attributes to a queue: KMS and SQS-managed encryption exclude each other, empty values
// remove an attribute, a Policy is compiled for the authorizer.
void ApplyAttributes(Queue& q, const std::map<std::string, std::string>& attrs)
    EXCLUSIVE_LOCKS_REQUIRED(q.mu) {
  for (const auto& [k, v] : attrs) {
    if (v.empty() &&
        (k == "Policy" || k == "RedrivePolicy" || k == "RedriveAllowPolicy" || k == "KmsMasterKeyId")) {
      q.attributes.erase(k);
      if (k == "KmsMasterKeyId") q.attributes.erase("KmsDataKeyReusePeriodSeconds");
      continue;
    }
    q.attributes[k] = v;
    if (k == "KmsMasterKeyId") {
      q.attributes["SqsManagedSseEnabled"] = "false";
      q.attributes.emplace("KmsDataKeyReusePeriodSeconds", "300");
    }
    if (k == "SqsManagedSseEnabled" && v == "true") {
      q.attributes.erase("KmsMasterKeyId");
      q.attributes.erase("KmsDataKeyReusePeriodSeconds");
    }
  }
  q.policy.reset();
  if (auto it = q.attributes.find("Policy"); it != q.attributes.end()) {
    if (auto p = iam::ParsePolicy(it->second, iam::PolicyKind::kResource)) {
      q.policy = std::make_shared<const iam::Policy>(std::move(p).value());
    }
  }
}

// Applies `attrs` and persists the queue; on a failed commit the queue keeps its previous attributes.
Status UpdateAttributes(Env& env, Queue& q, const std::map<std::string, std::string>& attrs)
    EXCLUSIVE_LOCKS_REQUIRED(q.mu) {
  std::map<std::string, std::string> before = q.attributes;
  std::int64_t modified = q.modified_ms;
  ApplyAttributes(q, attrs);
  q.modified_ms = env.Now();
  if (Status st = env.SaveQueue(q); !st) {
    q.attributes = std::move(before);
    q.modified_ms = modified;
    ApplyAttributes(q, {});
    return st;
  }
  return Status::Ok();
}

Status CheckTags(const json::object& tags) {
  if (tags.size() > kMaxTags) return MakeError(errors::kInvalidParameter, {"Too many tags added for queue."});
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128) {
      return MakeError(errors::kInvalidParameter,
                       {"Tag keys must be between 1 and 128 characters in length."});
    }
    if (!v.is_string() || v.as_string().size() > 256) {
      return MakeError(errors::kInvalidParameter,
                       {"Tag values must be between 0 and 256 characters in length."});
    }
  }
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> CreateQueue(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "QueueName").value_or("");
  json::object attributes = AttributesOf(p);
  // Without FifoQueue=true the queue is a standard one (AWS), whose name cannot end in ".fifo".
  bool fifo = false;
  if (const auto* f = attributes.if_contains("FifoQueue")) fifo = AsciiLower(AttributeText(*f)) == "true";
  if (!ValidQueueName(name, fifo)) {
    return MakeError(fifo ? errors::kInvalidFifoQueueName : errors::kInvalidQueueName);
  }
  QueueKey key{ctx.account_id(), ctx.region, name};
  CENOTE_ASSIGN_OR_RETURN(auto attrs, CheckAttributes(env, ctx, fifo, key, attributes, true));
  json::object tags;
  if (const json::object* t = GetObject(p, "tags")) tags = *t;
  CENOTE_RETURN_IF_ERROR(CheckTags(tags));

  std::int64_t now = env.Now();
  MutexLock lock(env.mu);
  if (auto it = env.queues.find(key); it != env.queues.end()) {
    // Idempotent with the same attributes; the first one that differs is named.
    Queue& q = *it->second;
    MutexLock qlock(q.mu);
    for (const auto& [k, v] : attrs) {
      auto cur = q.attributes.find(k);
      std::string current = cur == q.attributes.end() ? "" : cur->second;
      if (current != v) return MakeError(errors::kQueueNameExists, {k});
    }
    return json::object{{"QueueUrl", env.Url(ctx, key)}};
  }
  if (auto d = env.deleted_at.find(key); d != env.deleted_at.end()) {
    if (now - d->second < kDeletedRecentlyMs) return MakeError(errors::kQueueDeletedRecently);
    env.deleted_at.erase(d);
  }
  auto q = std::make_shared<Queue>();
  q->key = key;
  q->uid = RandomHex(16);
  q->arn = QueueArn(key);
  q->fifo = fifo;
  q->created_ms = now;
  {
    MutexLock qlock(q->mu);
    q->attributes = DefaultAttributes(fifo);
    ApplyAttributes(*q, attrs);
    for (const auto& [k, v] : tags) q->tags[std::string(k)] = std::string(v.as_string());
    q->modified_ms = now;
    // The journal first: a crash before the metadata commit leaves an orphan journal, removed at start.
    CENOTE_RETURN_IF_ERROR(env.log.CreateLog(q->LogName(), static_cast<std::uint64_t>(now) << 16));
    CENOTE_RETURN_IF_ERROR(env.SaveQueue(*q));
  }
  env.queues[key] = q;
  env.by_arn[q->arn] = q;
  return json::object{{"QueueUrl", env.Url(ctx, key)}};
}

Result<OperationOutput> GetQueueUrl(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "QueueName").value_or("");
  std::string account = GetString(p, "QueueOwnerAWSAccountId").value_or(ctx.account_id());
  QueueKey key{account, ctx.region, name};
  if (!env.Find(key)) return MakeError(errors::kQueueDoesNotExist);
  return json::object{{"QueueUrl", env.Url(ctx, key)}};
}

Result<OperationOutput> ListQueues(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::string prefix = GetString(p, "QueueNamePrefix").value_or("");
  CENOTE_ASSIGN_OR_RETURN(Page page, ReadPage(p, "sqs-list:"));
  QueueKey where{ctx.account_id(), ctx.region, ""};
  std::vector<std::string> names;
  {
    MutexLock lock(env.mu);
    QueueKey from{where.account, where.region, std::max(prefix, page.after)};
    for (auto it = env.queues.lower_bound(from); it != env.queues.end(); ++it) {
      const QueueKey& k = it->first;
      if (k.account != where.account || k.region != where.region || !k.name.starts_with(prefix)) break;
      if (!page.after.empty() && k.name <= page.after) continue;
      names.push_back(k.name);
    }
  }
  json::object out;
  WritePage(env, ctx, where, names, page, "sqs-list:", "QueueUrls", false, out);
  return out;
}

Result<OperationOutput> DeleteQueue(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, in.params.as_object()));
  {
    MutexLock lock(env.mu);
    auto it = env.queues.find(q->key);
    if (it == env.queues.end() || it->second != q) return MakeError(errors::kQueueDoesNotExist);
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sqs_queues WHERE account = ? AND region = ? AND name = ?",
                                     {q->key.account, q->key.region, q->key.name}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    env.queues.erase(it);
    env.by_arn.erase(q->arn);
    env.deleted_at[q->key] = env.Now();
  }
  {
    MutexLock lock(q->mu);
    q->deleted = true;
    q->messages.clear();
    q->ready.clear();
    q->timed.clear();
    q->inflight = q->delayed = 0;
  }
  q->arrived.SignalAll();
  // The definition is gone (committed); the journal goes next. A crash in between leaves an orphan journal,
  // removed at the next start.
  if (Status st = env.log.DeleteLog(q->LogName()); !st) {
    spdlog::warn("sqs: journal of deleted queue {} not removed: {}", q->arn, st.error().message);
  }
  return json::object{};
}

Result<OperationOutput> GetQueueAttributes(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  std::set<std::string> wanted;
  bool all = false;
  if (const json::array* names = GetArray(p, "AttributeNames")) {
    for (const auto& n : *names) {
      if (!n.is_string()) continue;
      std::string s(n.as_string());
      if (s == "All") {
        all = true;
        continue;
      }
      static constexpr std::string_view kReadOnly[] = {"ApproximateNumberOfMessages",
                                                       "ApproximateNumberOfMessagesNotVisible",
                                                       "ApproximateNumberOfMessagesDelayed",
                                                       "CreatedTimestamp",
                                                       "LastModifiedTimestamp",
                                                       "QueueArn"};
      if ((!IsOneOf(s, kSettable) && !IsOneOf(s, kReadOnly)) || (!q->fifo && IsOneOf(s, kFifoOnly))) {
        return MakeError(errors::kInvalidAttributeName, {s});
      }
      wanted.insert(std::move(s));
    }
  }
  json::object attrs;
  auto want = [&](const std::string& n) { return all || wanted.contains(n); };
  MutexLock lock(q->mu);
  q->Promote(env.Now());
  if (want("ApproximateNumberOfMessages"))
    attrs["ApproximateNumberOfMessages"] = std::to_string(q->ready.size());
  if (want("ApproximateNumberOfMessagesNotVisible"))
    attrs["ApproximateNumberOfMessagesNotVisible"] = std::to_string(q->inflight);
  if (want("ApproximateNumberOfMessagesDelayed"))
    attrs["ApproximateNumberOfMessagesDelayed"] = std::to_string(q->delayed);
  if (want("CreatedTimestamp")) attrs["CreatedTimestamp"] = std::to_string(q->created_ms / 1000);
  if (want("LastModifiedTimestamp")) attrs["LastModifiedTimestamp"] = std::to_string(q->modified_ms / 1000);
  if (want("QueueArn")) attrs["QueueArn"] = q->arn;
  for (const auto& [k, v] : q->attributes) {
    if (want(k)) attrs[k] = v;
  }
  json::object out;
  if (!attrs.empty()) out["Attributes"] = std::move(attrs);
  return out;
}

Result<OperationOutput> SetQueueAttributes(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(auto attrs, CheckAttributes(env, ctx, q->fifo, q->key, AttributesOf(p), false));
  MutexLock lock(q->mu);
  CENOTE_RETURN_IF_ERROR(UpdateAttributes(env, *q, attrs));
  q->arrived.SignalAll();  // a shorter retention or delay may change what is receivable
  return json::object{};
}

Result<OperationOutput> PurgeQueue(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, in.params.as_object()));
  std::int64_t now = env.Now();
  {
    MutexLock lock(q->mu);
    if (q->last_purge_ms != 0 && now - q->last_purge_ms < kPurgeIntervalMs) {
      return MakeError(errors::kPurgeQueueInProgress, {q->key.name});
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto seqs, env.Append(*q, {EncodePurge()}));
  MutexLock lock(q->mu);
  q->last_purge_ms = now;
  // Messages sent before the purge record are gone; a send racing with it keeps its message.
  std::uint64_t cut = seqs.front();
  std::vector<std::uint64_t> gone;
  for (auto it = q->messages.begin(); it != q->messages.end() && it->first < cut; ++it)
    gone.push_back(it->first);
  for (std::uint64_t s : gone) q->Erase(s);
  return json::object{};
}

Result<OperationOutput> TagQueue(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  json::object tags;
  if (const json::object* t = GetObject(p, "Tags")) tags = *t;
  CENOTE_RETURN_IF_ERROR(CheckTags(tags));
  MutexLock lock(q->mu);
  auto before = q->tags;
  for (const auto& [k, v] : tags) q->tags[std::string(k)] = std::string(v.as_string());
  if (q->tags.size() > kMaxTags) {
    q->tags = std::move(before);
    return MakeError(errors::kTooManyTags, {q->key.name});
  }
  if (Status st = env.SaveQueue(*q); !st) {
    q->tags = std::move(before);
    return st.error();
  }
  return json::object{};
}

Result<OperationOutput> UntagQueue(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  MutexLock lock(q->mu);
  auto before = q->tags;
  if (const json::array* keys = GetArray(p, "TagKeys")) {
    for (const auto& k : *keys) {
      if (k.is_string()) q->tags.erase(std::string(k.as_string()));
    }
  }
  if (Status st = env.SaveQueue(*q); !st) {
    q->tags = std::move(before);
    return st.error();
  }
  return json::object{};
}

Result<OperationOutput> ListQueueTags(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, in.params.as_object()));
  MutexLock lock(q->mu);
  json::object tags;
  for (const auto& [k, v] : q->tags) tags[k] = v;
  json::object out;
  if (!tags.empty()) out["Tags"] = std::move(tags);
  return out;
}

namespace {

constexpr std::string_view kPermissionActions[] = {"*",
                                                   "SendMessage",
                                                   "ReceiveMessage",
                                                   "DeleteMessage",
                                                   "ChangeMessageVisibility",
                                                   "GetQueueAttributes",
                                                   "GetQueueUrl",
                                                   "ListDeadLetterSourceQueues",
                                                   "PurgeQueue",
                                                   "ListQueueTags"};

json::object PolicyDocument(const Queue& q) EXCLUSIVE_LOCKS_REQUIRED(q.mu) {
  auto it = q.attributes.find("Policy");
  if (it != q.attributes.end()) {
    boost::system::error_code ec;
    json::value v = json::parse(it->second, ec);
    if (!ec && v.is_object()) return v.as_object();
  }
  return json::object{
      {"Version", "2012-10-17"}, {"Id", q.arn + "/SQSDefaultPolicy"}, {"Statement", json::array()}};
}

json::array& Statements(json::object& policy) {
  json::value& s = policy["Statement"];
  if (s.is_object()) s = json::array{s};
  if (!s.is_array()) s = json::array();
  return s.as_array();
}

}  // namespace

Result<OperationOutput> AddPermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  std::string label = GetString(p, "Label").value_or("");
  if (label.empty() || label.size() > 80 || !std::all_of(label.begin(), label.end(), [](char c) {
        return IsAsciiAlnum(c) || c == '-' || c == '_';
      })) {
    return MakeError(
        errors::kInvalidParameterValue,
        {label, "Label",
         "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"});
  }
  json::array principals;
  if (const json::array* ids = GetArray(p, "AWSAccountIds")) {
    for (const auto& id : *ids) {
      if (!id.is_string()) continue;
      std::string s(id.as_string());
      principals.push_back(json::string(s.starts_with("arn:") ? s : "arn:aws:iam::" + s + ":root"));
    }
  }
  json::array actions;
  if (const json::array* acts = GetArray(p, "Actions")) {
    for (const auto& a : *acts) {
      if (!a.is_string()) continue;
      std::string s(a.as_string());
      if (!IsOneOf(s, kPermissionActions)) {
        return MakeError(
            errors::kInvalidParameterValue,
            {"SQS:" + s, "ActionName", "Please refer to the appropriate WSDL for a list of valid actions."});
      }
      actions.push_back(json::string("SQS:" + s));
    }
  }
  if (principals.empty()) return MakeError(errors::kMissingParameter, {"AWSAccountIds"});
  if (actions.empty()) return MakeError(errors::kMissingParameter, {"Actions"});
  MutexLock lock(q->mu);
  json::object policy = PolicyDocument(*q);
  json::array& statements = Statements(policy);
  for (const auto& s : statements) {
    if (s.is_object() && GetString(s.as_object(), "Sid") == label) {
      return MakeError(errors::kInvalidParameterValue, {label, "Label", "Already exists."});
    }
  }
  json::object statement{{"Sid", label}, {"Effect", "Allow"}};
  statement["Principal"] =
      json::object{{"AWS", principals.size() == 1 ? json::value(principals[0]) : json::value(principals)}};
  statement["Action"] = actions.size() == 1 ? json::value(actions[0]) : json::value(actions);
  statement["Resource"] = q->arn;
  statements.push_back(std::move(statement));
  CENOTE_RETURN_IF_ERROR(UpdateAttributes(env, *q, {{"Policy", json::serialize(policy)}}));
  return json::object{};
}

Result<OperationOutput> RemovePermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto q, env.FindByUrl(ctx, p));
  std::string label = GetString(p, "Label").value_or("");
  MutexLock lock(q->mu);
  json::object policy = PolicyDocument(*q);
  json::array& statements = Statements(policy);
  auto it = std::find_if(statements.begin(), statements.end(), [&](const json::value& s) {
    return s.is_object() && GetString(s.as_object(), "Sid") == label;
  });
  if (it == statements.end()) {
    return MakeError(errors::kInvalidParameterValue,
                     {label, "Label", "can't find label on existing policy."});
  }
  statements.erase(it);
  CENOTE_RETURN_IF_ERROR(
      UpdateAttributes(env, *q, {{"Policy", statements.empty() ? std::string() : json::serialize(policy)}}));
  return json::object{};
}

Result<OperationOutput> ListDeadLetterSourceQueues(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto dlq, env.FindByUrl(ctx, p));
  CENOTE_ASSIGN_OR_RETURN(Page page, ReadPage(p, "sqs-dlq:"));
  std::vector<std::string> names;
  for (const auto& q : env.SourcesOf(*dlq)) {
    if (q->key.name > page.after) names.push_back(q->key.name);
  }
  json::object out;
  WritePage(env, ctx, dlq->key, names, page, "sqs-dlq:", "queueUrls", true, out);
  return out;
}

}  // namespace cenote::sqs
