// Topics: create (standard and FIFO), delete, list, attributes (with AWS's default topic policy and
// effective delivery policy), tags and the AddPermission/RemovePermission statements of the topic policy.
// Every change is one metadata-store transaction, committed before the call is answered.
#include <algorithm>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/sns/internal.hpp"

namespace cenote::sns {

namespace {

// The attributes CreateTopic and SetTopicAttributes accept (besides the per-protocol feedback ones).
constexpr std::string_view kSettable[] = {"DeliveryPolicy",
                                          "DisplayName",
                                          "Policy",
                                          "SignatureVersion",
                                          "TracingConfig",
                                          "KmsMasterKeyId",
                                          "ContentBasedDeduplication",
                                          "ArchivePolicy",
                                          "FifoThroughputScope"};
// Delivery status logging attributes (stored; CloudWatch Logs delivery does not exist yet).
constexpr std::string_view kFeedbackProtocols[] = {"HTTP", "Firehose", "Lambda", "SQS", "Application"};

bool IsFeedbackAttribute(std::string_view name) {
  for (std::string_view p : kFeedbackProtocols) {
    if (!name.starts_with(p)) continue;
    std::string_view rest = name.substr(p.size());
    if (rest == "SuccessFeedbackRoleArn" || rest == "SuccessFeedbackSampleRate" ||
        rest == "FailureFeedbackRoleArn")
      return true;
  }
  return false;
}

bool ValidTopicName(std::string_view name, bool fifo) {
  std::string_view base = name;
  if (fifo) {
    if (!base.ends_with(".fifo")) return false;
    base.remove_suffix(5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(),
                     [](char c) { return IsAsciiAlnum(c) || c == '-' || c == '_'; });
}

json::object DefaultPolicy(const Topic& t) {
  json::array actions;
  for (const char* a :
       {"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
        "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"})
    actions.push_back(json::string(a));
  json::object statement{
      {"Sid", "__default_statement_ID"},
      {"Effect", "Allow"},
      {"Principal", json::object{{"AWS", "*"}}},
      {"Action", std::move(actions)},
      {"Resource", t.arn},
      {"Condition", json::object{{"StringEquals", json::object{{"AWS:SourceOwner", t.account}}}}},
  };
  return json::object{{"Version", "2008-10-17"},
                      {"Id", "__default_policy_ID"},
                      {"Statement", json::array{std::move(statement)}}};
}

constexpr std::string_view kDefaultEffectiveDeliveryPolicy =
    R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,)"
    R"("numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},)"
    R"("disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";

// The DeliveryPolicy of a topic: {"http": {"defaultHealthyRetryPolicy": {...},
// "disableSubscriptionOverrides", "defaultThrottlePolicy": {"maxReceivesPerSecond"}, "defaultRequestPolicy":
// {"headerContentType"}}}.
Status CheckDeliveryPolicy(std::string_view text, bool topic) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  auto bad = [](std::string reason) {
    return MakeError(errors::kInvalidParameterReason, {"DeliveryPolicy:", reason});
  };
  if (ec || !v.is_object()) return bad("Invalid JSON");
  const json::object* retry = nullptr;
  if (topic) {
    const json::object* http = GetObject(v.as_object(), "http");
    if (http == nullptr) return Status::Ok();
    retry = GetObject(*http, "defaultHealthyRetryPolicy");
  } else {
    retry = GetObject(v.as_object(), "healthyRetryPolicy");
  }
  if (retry == nullptr) return Status::Ok();
  auto num = [&](std::string_view k) { return GetInt(*retry, k); };
  auto min_delay = num("minDelayTarget").value_or(20), max_delay = num("maxDelayTarget").value_or(20);
  auto retries = num("numRetries").value_or(3);
  if (min_delay < 1 || min_delay > max_delay || max_delay > 3600) return bad("Invalid delay targets");
  if (retries < 0 || retries > 100) return bad("numRetries must be between 0 and 100");
  if (auto f = GetString(*retry, "backoffFunction")) {
    if (*f != "linear" && *f != "arithmetic" && *f != "geometric" && *f != "exponential")
      return bad("Invalid backoffFunction");
  }
  return Status::Ok();
}

// Checks one topic attribute and returns it as stored.
Result<std::string> CheckTopicAttribute(const Topic& t, const std::string& name, const std::string& value,
                                        bool creating) {
  if (name == "FifoTopic") {
    if (!creating) return MakeError(errors::kInvalidParameter, {"AttributeName"});
    return value;
  }
  bool known = IsFeedbackAttribute(name);
  for (std::string_view k : kSettable) known = known || name == k;
  if (!known) return MakeError(errors::kInvalidParameter, {"AttributeName"});
  if (name == "Policy") {
    if (auto p = iam::ParsePolicy(value, iam::PolicyKind::kResource); !p) {
      return MakeError(errors::kInvalidParameterReason, {"Policy", p.error().message});
    }
  } else if (name == "DeliveryPolicy") {
    CENOTE_RETURN_IF_ERROR(CheckDeliveryPolicy(value, true));
  } else if (name == "SignatureVersion") {
    if (value != "1" && value != "2") return MakeError(errors::kInvalidParameter, {"SignatureVersion"});
  } else if (name == "TracingConfig") {
    if (value != "PassThrough" && value != "Active")
      return MakeError(errors::kInvalidParameter, {"TracingConfig"});
  } else if (name == "ContentBasedDeduplication") {
    if (!t.fifo) {
      return MakeError(
          errors::kInvalidParameterReason,
          {"ContentBasedDeduplication", "Content based deduplication can only be set for FIFO topics"});
    }
    if (value != "true" && value != "false")
      return MakeError(errors::kInvalidParameter, {"ContentBasedDeduplication"});
  } else if (name == "FifoThroughputScope") {
    if (!t.fifo) {
      return MakeError(errors::kInvalidParameterReason,
                       {"FifoThroughputScope", "FifoThroughputScope can only be set for FIFO topics"});
    }
    if (value != "Topic" && value != "MessageGroup")
      return MakeError(errors::kInvalidParameter, {"FifoThroughputScope"});
  } else if (name == "ArchivePolicy") {
    // Message archiving and replay (FIFO topics) is not implemented: refused rather than stored and ignored.
    return MakeError(errors::kInvalidParameterReason,
                     {"ArchivePolicy", "Message archiving is not supported by Cenote"});
  } else if (name == "DisplayName") {
    if (value.size() > 100) return MakeError(errors::kInvalidParameter, {"DisplayName"});
  } else if (name.ends_with("SampleRate")) {
    char* end = nullptr;
    long rate = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || rate < 0 || rate > 100)
      return MakeError(errors::kInvalidParameter, {name});
  }
  return value;
}

void ApplyAttribute(Topic& t, const std::string& name, const std::string& value) {
  if (name == "Policy") {
    if (value.empty()) {
      t.attributes.erase("Policy");
      t.policy.reset();
      return;
    }
    t.policy =
        std::make_shared<const iam::Policy>(iam::ParsePolicy(value, iam::PolicyKind::kResource).value());
  }
  if (value.empty() && name != "DisplayName") {
    t.attributes.erase(name);
  } else {
    t.attributes[name] = value;
  }
}

// The tags of a TagResource/CreateTopic call: [{Key, Value}].
Result<std::map<std::string, std::string>> ReadTags(const json::array* tags) {
  std::map<std::string, std::string> out;
  if (tags == nullptr) return out;
  for (const auto& tag : *tags) {
    if (!tag.is_object()) continue;
    std::string key = GetString(tag.as_object(), "Key").value_or("");
    std::string value = GetString(tag.as_object(), "Value").value_or("");
    if (key.empty() || key.size() > 128 || value.size() > 256 || key.starts_with("aws:")) {
      return MakeError(errors::kTagPolicy, {"Invalid tag key or value"});
    }
    out[key] = value;
  }
  return out;
}

Result<Topic*> FindTagResource(Env& env, const std::string& arn) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  auto t = env.FindTopic(arn);
  if (!t) return MakeError(errors::kResourceNotFound);
  return *t;
}

Status Save(Env& env, const Topic& t) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveTopic(*txn, t));
  return txn->Commit();
}

json::array& Statements(json::object& policy) {
  json::value& s = policy["Statement"];
  if (s.is_object()) s = json::array{s};
  if (!s.is_array()) s = json::array();
  return s.as_array();
}

json::object PolicyOf(const Topic& t) {
  auto it = t.attributes.find("Policy");
  if (it != t.attributes.end()) {
    boost::system::error_code ec;
    json::value v = json::parse(it->second, ec);
    if (!ec && v.is_object()) return v.as_object();
  }
  return DefaultPolicy(t);
}

}  // namespace

std::string TopicArn(const std::string& region, const std::string& account, const std::string& name) {
  return "arn:aws:sns:" + region + ":" + account + ":" + name;
}

std::optional<ArnParts> ParseArn(std::string_view arn, std::string_view service) {
  std::vector<std::string_view> parts = SplitString(arn, ':');
  // IAM ARNs (SubscriptionRoleArn) have no region; every other one this service reads does.
  if (parts.size() < 6 || parts[0] != "arn" || parts[2] != service ||
      (parts[3].empty() && service != "iam") || parts[4].empty())
    return std::nullopt;
  std::size_t at = 0;
  for (int i = 0; i < 5; ++i) at = arn.find(':', at) + 1;
  return ArnParts{std::string(parts[3]), std::string(parts[4]), std::string(arn.substr(at))};
}

int TopicSignatureVersion(const Topic& t) {
  auto it = t.attributes.find("SignatureVersion");
  return it != t.attributes.end() && it->second == "2" ? 2 : 1;
}

Result<Topic*> Env::FindTopic(std::string_view arn) {
  auto it = topics.find(std::string(arn));
  if (it == topics.end()) {
    if (!ParseArn(arn)) return MakeError(errors::kInvalidParameter, {"TopicArn"});
    return MakeError(errors::kTopicNotFound);
  }
  return &it->second;
}

Status Env::SaveTopic(store::Transaction& txn, const Topic& t) {
  json::object attributes, tags;
  for (const auto& [k, v] : t.attributes) attributes[k] = v;
  for (const auto& [k, v] : t.tags) tags[k] = v;
  json::object doc{{"fifo", t.fifo},
                   {"created", t.created_ms},
                   {"sequence", static_cast<std::int64_t>(t.sequence)},
                   {"deleted", t.subscriptions_deleted},
                   {"attributes", std::move(attributes)},
                   {"tags", std::move(tags)}};
  return Status::FromResult(
      txn.Exec("INSERT INTO sns_topics (arn, account, region, name, doc) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc",
               {t.arn, t.account, t.region, t.name, json::serialize(doc)}));
}

Result<OperationOutput> CreateTopic(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "Name").value_or("");
  std::map<std::string, std::string> requested;
  if (const json::object* a = GetObject(p, "Attributes")) {
    for (const auto& [k, v] : *a) {
      if (v.is_string()) requested[std::string(k)] = std::string(v.as_string());
    }
  }
  const bool fifo = requested.contains("FifoTopic") && AsciiLower(requested["FifoTopic"]) == "true";
  if (requested.contains("FifoTopic") && !fifo && AsciiLower(requested["FifoTopic"]) != "false") {
    return MakeError(errors::kInvalidParameter, {"FifoTopic"});
  }
  requested.erase("FifoTopic");
  if (!ValidTopicName(name, fifo)) {
    if (fifo || name.ends_with(".fifo")) {
      return MakeError(
          errors::kInvalidParameter,
          {"Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase "
           "ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 "
           "characters long."});
    }
    return MakeError(errors::kInvalidParameter, {"Topic Name"});
  }
  CENOTE_ASSIGN_OR_RETURN(auto tags, ReadTags(GetArray(p, "Tags")));
  if (tags.size() > kMaxTags) return MakeError(errors::kTagLimitExceeded);
  if (auto dpp = GetString(p, "DataProtectionPolicy"); dpp && !dpp->empty()) {
    return MakeError(errors::kInvalidParameterReason,
                     {"DataProtectionPolicy", "Message data protection is not supported by Cenote"});
  }

  Topic t;
  t.account = ctx.account_id();
  t.region = ctx.region;
  t.name = name;
  t.arn = TopicArn(t.region, t.account, name);
  t.fifo = fifo;
  t.created_ms = env.Now();
  std::map<std::string, std::string> checked;
  for (const auto& [k, v] : requested) {
    CENOTE_ASSIGN_OR_RETURN(checked[k], CheckTopicAttribute(t, k, v, true));
  }
  if (fifo && !checked.contains("ContentBasedDeduplication")) checked["ContentBasedDeduplication"] = "false";

  MutexLock lock(env.mu);
  if (auto it = env.topics.find(t.arn); it != env.topics.end()) {
    // CreateTopic is idempotent for the same attributes and tags.
    const Topic& existing = it->second;
    for (const auto& [k, v] : checked) {
      auto e = existing.attributes.find(k);
      if (e == existing.attributes.end() || e->second != v) {
        return MakeError(errors::kInvalidParameterReason,
                         {"Attributes", "Topic already exists with different attributes"});
      }
    }
    for (const auto& [k, v] : tags) {
      auto e = existing.tags.find(k);
      if (e == existing.tags.end() || e->second != v) {
        return MakeError(errors::kInvalidParameterReason,
                         {"Tags", "Topic already exists with different tags"});
      }
    }
    return json::object{{"TopicArn", t.arn}};
  }
  for (const auto& [k, v] : checked) ApplyAttribute(t, k, v);
  t.tags = std::move(tags);
  CENOTE_RETURN_IF_ERROR(Save(env, t));
  std::string arn = t.arn;
  env.topics.emplace(arn, std::move(t));
  return json::object{{"TopicArn", arn}};
}

Result<OperationOutput> DeleteTopic(Env& env, const RequestContext&, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "TopicArn").value_or("");
  MutexLock lock(env.mu);
  auto it = env.topics.find(arn);
  if (it == env.topics.end()) {
    // DeleteTopic is idempotent: a missing topic is not an error.
    if (!ParseArn(arn)) return MakeError(errors::kInvalidParameter, {"TopicArn"});
    return json::object{};
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sns_topics WHERE arn = ?", {arn}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sns_subscriptions WHERE topic_arn = ?", {arn}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sns_dedup WHERE topic_arn = ?", {arn}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  for (const auto& sub : it->second.subscriptions) env.subscriptions.erase(sub);
  env.dedup.erase(arn);
  env.publish_mus.erase(arn);
  env.topics.erase(it);
  return json::object{};
}

Result<OperationOutput> ListTopics(Env& env, const RequestContext& ctx, OperationInput& in) {
  std::string after;
  if (auto token = GetString(in.params.as_object(), "NextToken"); token && !token->empty()) {
    auto decoded = Base64Decode(*token);
    if (!decoded) return MakeError(errors::kInvalidParameter, {"NextToken"});
    after = *decoded;
  }
  const std::string prefix = TopicArn(ctx.region, ctx.account_id(), "");
  json::array topics;
  std::string next;
  MutexLock lock(env.mu);
  for (auto it = env.topics.upper_bound(after.empty() ? prefix : after); it != env.topics.end(); ++it) {
    if (!it->first.starts_with(prefix)) break;
    if (topics.size() == kPageSize) {
      next = Base64Encode(std::prev(it)->first);
      break;
    }
    topics.push_back(json::object{{"TopicArn", it->first}});
  }
  json::object out{{"Topics", std::move(topics)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<OperationOutput> GetTopicAttributes(Env& env, const RequestContext&, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "TopicArn").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(arn));
  json::object a;
  for (const auto& [k, v] : t->attributes) a[k] = v;
  a["TopicArn"] = t->arn;
  a["Owner"] = t->account;
  if (!a.contains("Policy")) a["Policy"] = json::serialize(DefaultPolicy(*t));
  if (!a.contains("DisplayName")) a["DisplayName"] = "";
  std::int64_t confirmed = 0, pending = 0;
  for (const auto& sub : t->subscriptions) {
    auto s = env.subscriptions.find(sub);
    if (s == env.subscriptions.end()) continue;
    (s->second.confirmed ? confirmed : pending)++;
  }
  a["SubscriptionsConfirmed"] = std::to_string(confirmed);
  a["SubscriptionsPending"] = std::to_string(pending);
  a["SubscriptionsDeleted"] = std::to_string(t->subscriptions_deleted);
  // The effective policy is the topic's own DeliveryPolicy over SNS's defaults (http only).
  json::value effective = json::parse(kDefaultEffectiveDeliveryPolicy);
  if (auto d = t->attributes.find("DeliveryPolicy"); d != t->attributes.end()) {
    boost::system::error_code ec;
    json::value own = json::parse(d->second, ec);
    if (!ec && own.is_object()) {
      if (const json::object* http = GetObject(own.as_object(), "http")) {
        json::object& eh = effective.as_object()["http"].as_object();
        for (const auto& [k, v] : *http) eh[k] = v;
      }
    }
  }
  a["EffectiveDeliveryPolicy"] = json::serialize(effective);
  if (t->fifo) a["FifoTopic"] = "true";
  return json::object{{"Attributes", std::move(a)}};
}

Result<OperationOutput> SetTopicAttributes(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "TopicArn").value_or("");
  const std::string name = GetString(p, "AttributeName").value_or("");
  const std::string value = GetString(p, "AttributeValue").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(arn));
  // An empty Policy, DeliveryPolicy or KmsMasterKeyId removes it (the default policy comes back).
  std::string checked = value;
  if (!(value.empty() && (name == "Policy" || name == "DeliveryPolicy" || name == "KmsMasterKeyId"))) {
    CENOTE_ASSIGN_OR_RETURN(checked, CheckTopicAttribute(*t, name, value, false));
  }
  Topic updated = *t;
  ApplyAttribute(updated, name, checked);
  CENOTE_RETURN_IF_ERROR(Save(env, updated));
  *t = std::move(updated);
  return json::object{};
}

Result<OperationOutput> TagResource(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "ResourceArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto tags, ReadTags(GetArray(p, "Tags")));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, FindTagResource(env, arn));
  Topic updated = *t;
  for (auto& [k, v] : tags) updated.tags[k] = v;
  if (updated.tags.size() > kMaxTags) return MakeError(errors::kTagLimitExceeded);
  CENOTE_RETURN_IF_ERROR(Save(env, updated));
  *t = std::move(updated);
  return json::object{};
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "ResourceArn").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, FindTagResource(env, arn));
  Topic updated = *t;
  if (const json::array* keys = GetArray(p, "TagKeys")) {
    for (const auto& k : *keys) {
      if (k.is_string()) updated.tags.erase(std::string(k.as_string()));
    }
  }
  CENOTE_RETURN_IF_ERROR(Save(env, updated));
  *t = std::move(updated);
  return json::object{};
}

Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext&, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "ResourceArn").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, FindTagResource(env, arn));
  json::array tags;
  for (const auto& [k, v] : t->tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
  return json::object{{"Tags", std::move(tags)}};
}

Result<OperationOutput> AddPermission(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "TopicArn").value_or("");
  const std::string label = GetString(p, "Label").value_or("");
  if (label.empty() || label.size() > 100 || !std::all_of(label.begin(), label.end(), [](char c) {
        return IsAsciiAlnum(c) || c == '-' || c == '_';
      })) {
    return MakeError(errors::kInvalidParameter, {"Label"});
  }
  json::array principals, actions;
  if (const json::array* ids = GetArray(p, "AWSAccountId")) {
    for (const auto& id : *ids) {
      if (!id.is_string()) continue;
      std::string s(id.as_string());
      principals.push_back(json::string(s.starts_with("arn:") ? s : "arn:aws:iam::" + s + ":root"));
    }
  }
  if (const json::array* names = GetArray(p, "ActionName")) {
    for (const auto& a : *names) {
      if (a.is_string()) actions.push_back(json::string("SNS:" + std::string(a.as_string())));
    }
  }
  if (principals.empty()) return MakeError(errors::kInvalidParameter, {"AWSAccountId"});
  if (actions.empty()) return MakeError(errors::kInvalidParameter, {"ActionName"});
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(arn));
  json::object policy = PolicyOf(*t);
  json::array& statements = Statements(policy);
  for (const auto& s : statements) {
    if (s.is_object() && GetString(s.as_object(), "Sid") == label) {
      return MakeError(errors::kInvalidParameter, {"Statement already exists"});
    }
  }
  json::object statement{{"Sid", label}, {"Effect", "Allow"}};
  statement["Principal"] =
      json::object{{"AWS", principals.size() == 1 ? json::value(principals[0]) : json::value(principals)}};
  statement["Action"] = actions.size() == 1 ? json::value(actions[0]) : json::value(actions);
  statement["Resource"] = t->arn;
  statements.push_back(std::move(statement));
  Topic updated = *t;
  ApplyAttribute(updated, "Policy", json::serialize(policy));
  CENOTE_RETURN_IF_ERROR(Save(env, updated));
  *t = std::move(updated);
  return json::object{};
}

Result<OperationOutput> RemovePermission(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "TopicArn").value_or("");
  const std::string label = GetString(p, "Label").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(arn));
  json::object policy = PolicyOf(*t);
  json::array& statements = Statements(policy);
  auto it = std::find_if(statements.begin(), statements.end(), [&](const json::value& s) {
    return s.is_object() && GetString(s.as_object(), "Sid") == label;
  });
  if (it == statements.end()) return MakeError(errors::kInvalidParameter, {"Statement does not exist"});
  statements.erase(it);
  Topic updated = *t;
  ApplyAttribute(updated, "Policy", json::serialize(policy));
  CENOTE_RETURN_IF_ERROR(Save(env, updated));
  *t = std::move(updated);
  return json::object{};
}

}  // namespace cenote::sns
