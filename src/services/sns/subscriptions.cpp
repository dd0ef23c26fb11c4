// Subscriptions: Subscribe (confirmed at once for same-account sqs, lambda and firehose endpoints; pending a
// SubscriptionConfirmation for http/https, email, email-json and other accounts' queues), ConfirmSubscription
// (the token of the confirmation message; also an unsigned GET of the SubscribeURL), Unsubscribe (also an
// unsigned GET of a message's UnsubscribeURL), listing and attributes (raw delivery, filter policies,
// redrive and delivery policies, the firehose role).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/sns/internal.hpp"

namespace cenote::sns {

namespace {

constexpr std::string_view kProtocols[] = {"http",   "https",    "email",       "email-json", "sqs",
                                           "lambda", "firehose", "application", "sms"};

bool Pending(std::string_view protocol) {
  return protocol == "http" || protocol == "https" || protocol == "email" || protocol == "email-json";
}

// Where this call's messages should say Cenote is: the scheme and Host the client used.
std::string BaseUrl(const Env& env, const RequestContext& ctx) {
  if (ctx.headers != nullptr) {
    if (auto host = ctx.headers->Get("host"); host && !host->empty())
      return std::string(ctx.tls ? "https://" : "http://") + std::string(*host);
  }
  return env.options.default_base_url;
}

Status CheckEndpoint(const std::string& protocol, const std::string& endpoint, bool fifo_topic) {
  auto bad_endpoint = [] {
    return MakeError(errors::kInvalidParameter, {"Endpoint must match the specified protocol"});
  };
  if (protocol == "http" || protocol == "https") {
    if (!StartsWithIgnoreAsciiCase(endpoint, protocol + "://") || endpoint.size() <= protocol.size() + 3)
      return bad_endpoint();
  } else if (protocol == "email" || protocol == "email-json") {
    auto at = endpoint.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= endpoint.size())
      return MakeError(errors::kInvalidParameter, {"Email address"});
  } else if (protocol == "sqs") {
    auto parts = ParseArn(endpoint, "sqs");
    if (!parts) return MakeError(errors::kInvalidParameter, {"SQS endpoint ARN"});
    const bool fifo_queue = parts->resource.ends_with(".fifo");
    if (fifo_queue && !fifo_topic) {
      return MakeError(
          errors::kInvalidParameterReason,
          {"Invalid parameter: Endpoint", "FIFO SQS Queues can not be subscribed to standard SNS topics"});
    }
  } else if (protocol == "lambda") {
    auto parts = ParseArn(endpoint, "lambda");
    if (!parts || !parts->resource.starts_with("function:"))
      return MakeError(errors::kInvalidParameter, {"Lambda endpoint ARN"});
  } else if (protocol == "firehose") {
    auto parts = ParseArn(endpoint, "firehose");
    if (!parts || !parts->resource.starts_with("deliverystream/"))
      return MakeError(errors::kInvalidParameter, {"Firehose endpoint ARN"});
  }
  // FIFO topics deliver to SQS queues only (FIFO queues in order; standard queues too, without the group).
  if (fifo_topic && protocol != "sqs") {
    return MakeError(errors::kInvalidParameterReason,
                     {"Invalid parameter: Protocol", "FIFO topics only support the sqs protocol"});
  }
  return Status::Ok();
}

bool RawCapable(std::string_view protocol) {
  return protocol == "sqs" || protocol == "http" || protocol == "https" || protocol == "firehose";
}

// Checks one subscription attribute against the subscription (whose other attributes are as given) and
// applies it.
Status ApplySubscriptionAttribute(Subscription& s, const std::string& name, const std::string& value) {
  if (name == "RawMessageDelivery") {
    std::string v = AsciiLower(value);
    if (v != "true" && v != "false") return MakeError(errors::kInvalidParameter, {"RawMessageDelivery"});
    if (v == "true" && !RawCapable(s.protocol)) {
      return MakeError(
          errors::kInvalidParameterReason,
          {"Attributes", "Delivery protocol [" + s.protocol + "] does not support raw message delivery."});
    }
    s.attributes[name] = v;
    return Status::Ok();
  }
  if (name == "FilterPolicy" || name == "FilterPolicyScope") {
    std::string policy = name == "FilterPolicy"
                             ? value
                             : (s.attributes.contains("FilterPolicy") ? s.attributes["FilterPolicy"] : "");
    std::string scope = name == "FilterPolicyScope"                  ? value
                        : s.attributes.contains("FilterPolicyScope") ? s.attributes["FilterPolicyScope"]
                                                                     : "MessageAttributes";
    if (scope != "MessageAttributes" && scope != "MessageBody") {
      return MakeError(errors::kInvalidParameter, {"FilterPolicyScope: Invalid filter policy scope"});
    }
    if (name == "FilterPolicyScope" && policy.empty()) {
      return MakeError(errors::kInvalidParameter,
                       {"Attributes Reason: FilterPolicyScope can only be set when a FilterPolicy exists"});
    }
    if (policy.empty() || policy == "{}") {
      s.attributes.erase("FilterPolicy");
      s.attributes.erase("FilterPolicyScope");
      s.filter.reset();
      return Status::Ok();
    }
    CENOTE_ASSIGN_OR_RETURN(s.filter, FilterPolicy::Parse(policy, scope));
    s.attributes["FilterPolicy"] = policy;
    s.attributes["FilterPolicyScope"] = scope;
    return Status::Ok();
  }
  if (name == "RedrivePolicy") {
    if (value.empty()) {
      s.attributes.erase(name);
      return Status::Ok();
    }
    boost::system::error_code ec;
    json::value v = json::parse(value, ec);
    if (ec || !v.is_object()) return MakeError(errors::kInvalidParameter, {"RedrivePolicy: Invalid JSON"});
    auto target = GetString(v.as_object(), "deadLetterTargetArn");
    if (!target || !ParseArn(*target, "sqs")) {
      return MakeError(errors::kInvalidParameter, {"RedrivePolicy: deadLetterTargetArn is an invalid arn"});
    }
    s.attributes[name] = value;
    return Status::Ok();
  }
  if (name == "DeliveryPolicy") {
    if (value.empty()) {
      s.attributes.erase(name);
      return Status::Ok();
    }
    boost::system::error_code ec;
    json::value v = json::parse(value, ec);
    if (ec || !v.is_object())
      return MakeError(errors::kInvalidParameterReason, {"DeliveryPolicy:", "Invalid JSON"});
    if (const json::object* retry = GetObject(v.as_object(), "healthyRetryPolicy")) {
      auto min_delay = GetInt(*retry, "minDelayTarget").value_or(20);
      auto max_delay = GetInt(*retry, "maxDelayTarget").value_or(20);
      auto retries = GetInt(*retry, "numRetries").value_or(3);
      if (min_delay < 1 || min_delay > max_delay || max_delay > 3600 || retries < 0 || retries > 100)
        return MakeError(errors::kInvalidParameterReason, {"DeliveryPolicy:", "Invalid retry policy"});
    }
    s.attributes[name] = value;
    return Status::Ok();
  }
  if (name == "SubscriptionRoleArn") {
    if (s.protocol != "firehose") {
      return MakeError(errors::kInvalidParameterReason,
                       {"Attributes", "SubscriptionRoleArn can only be set for firehose subscriptions"});
    }
    if (!ParseArn(value, "iam")) return MakeError(errors::kInvalidParameter, {"SubscriptionRoleArn"});
    s.attributes[name] = value;
    return Status::Ok();
  }
  return MakeError(errors::kInvalidParameter, {"AttributeName"});
}

json::object ListEntry(const Subscription& s) {
  return json::object{{"SubscriptionArn", s.confirmed ? s.arn : std::string("PendingConfirmation")},
                      {"Owner", s.owner},
                      {"Protocol", s.protocol},
                      {"Endpoint", s.endpoint},
                      {"TopicArn", s.topic_arn}};
}

Result<std::string> ReadToken(const json::object& p) {
  std::string after;
  if (auto token = GetString(p, "NextToken"); token && !token->empty()) {
    auto decoded = Base64Decode(*token);
    if (!decoded) return MakeError(errors::kInvalidParameter, {"NextToken"});
    after = *decoded;
  }
  return after;
}

// Adds the unsubscribe confirmation (or, `confirmation`, the subscription confirmation) of `s` to the outbox
// in `txn`.
Result<std::vector<Delivery>> StageConfirmation(Env& env, store::Transaction& txn, const Subscription& s,
                                                const Topic& t, std::string_view type) {
  return env.Stage(txn, {ConfirmationDoc(s, t, type, env.Now(), TopicSignatureVersion(t))}, {""});
}

}  // namespace

json::object Subscription::ToDoc() const {
  json::object a;
  for (const auto& [k, v] : attributes) a[k] = v;
  return json::object{{"arn", arn},
                      {"topic", topic_arn},
                      {"owner", owner},
                      {"protocol", protocol},
                      {"endpoint", endpoint},
                      {"principal", principal_arn},
                      {"confirmed", confirmed},
                      {"authenticated", authenticated},
                      {"token", token},
                      {"tokenExpires", token_expires_ms},
                      {"baseUrl", base_url},
                      {"created", created_ms},
                      {"attributes", std::move(a)}};
}

Result<Subscription> Subscription::FromDoc(const json::object& doc) {
  Subscription s;
  s.arn = GetString(doc, "arn").value_or("");
  s.topic_arn = GetString(doc, "topic").value_or("");
  s.owner = GetString(doc, "owner").value_or("");
  s.protocol = GetString(doc, "protocol").value_or("");
  s.endpoint = GetString(doc, "endpoint").value_or("");
  s.principal_arn = GetString(doc, "principal").value_or("");
  s.confirmed = GetBool(doc, "confirmed").value_or(false);
  s.authenticated = GetBool(doc, "authenticated").value_or(false);
  s.token = GetString(doc, "token").value_or("");
  s.token_expires_ms = GetInt(doc, "tokenExpires").value_or(0);
  s.base_url = GetString(doc, "baseUrl").value_or("");
  s.created_ms = GetInt(doc, "created").value_or(0);
  if (const json::object* a = GetObject(doc, "attributes")) {
    for (const auto& [k, v] : *a) {
      if (v.is_string()) s.attributes[std::string(k)] = std::string(v.as_string());
    }
  }
  if (auto it = s.attributes.find("FilterPolicy"); it != s.attributes.end()) {
    auto scope = s.attributes.find("FilterPolicyScope");
    CENOTE_ASSIGN_OR_RETURN(
        s.filter,
        FilterPolicy::Parse(it->second, scope == s.attributes.end() ? std::string_view("MessageAttributes")
                                                                    : std::string_view(scope->second)));
  }
  return s;
}

Result<Subscription*> Env::FindSubscription(std::string_view arn) {
  auto it = subscriptions.find(std::string(arn));
  if (it == subscriptions.end()) {
    auto parts = ParseArn(arn);
    if (!parts || parts->resource.find(':') == std::string::npos)
      return MakeError(errors::kInvalidParameter, {"SubscriptionArn"});
    return MakeError(errors::kSubscriptionNotFound);
  }
  return &it->second;
}

Status Env::SaveSubscription(store::Transaction& txn, const Subscription& s) {
  return Status::FromResult(
      txn.Exec("INSERT INTO sns_subscriptions (arn, topic_arn, doc) VALUES (?, ?, ?) "
               "ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc",
               {s.arn, s.topic_arn, json::serialize(s.ToDoc())}));
}

json::object ConfirmationDoc(const Subscription& s, const Topic& t, std::string_view type,
                             std::int64_t now_ms, int signature_version) {
  std::string message;
  if (type == "SubscriptionConfirmation") {
    message = "You have chosen to subscribe to the topic " + t.arn +
              ".\nTo confirm the subscription, visit the SubscribeURL included in this message.";
  } else {
    message =
        "You have chosen to deactivate subscription " + s.arn +
        ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this "
        "message.";
  }
  return json::object{{"Type", type},
                      {"MessageId", NewUuidV4()},
                      {"Token", s.token},
                      {"TopicArn", t.arn},
                      {"Message", message},
                      {"Timestamp", now_ms},
                      {"SubscriptionArn", s.arn},
                      {"Protocol", s.protocol},
                      {"Endpoint", s.endpoint},
                      {"BaseUrl", s.base_url},
                      {"SignatureVersion", signature_version}};
}

Result<OperationOutput> Subscribe(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string topic_arn = GetString(p, "TopicArn").value_or("");
  const std::string protocol = GetString(p, "Protocol").value_or("");
  const std::string endpoint = GetString(p, "Endpoint").value_or("");
  const bool return_arn = GetBool(p, "ReturnSubscriptionArn").value_or(false);
  if (std::find(std::begin(kProtocols), std::end(kProtocols), protocol) == std::end(kProtocols)) {
    return MakeError(errors::kInvalidParameter,
                     {"Amazon SNS does not support this protocol string: " + protocol});
  }
  if (protocol == "application" || protocol == "sms") {
    // Mobile push and SMS need AWS's delivery networks; Cenote has neither.
    return MakeError(errors::kInvalidParameterReason,
                     {"Protocol", "Cenote does not deliver to " + protocol + " endpoints"});
  }
  if (endpoint.empty()) return MakeError(errors::kInvalidParameter, {"Endpoint"});

  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(topic_arn));
  CENOTE_RETURN_IF_ERROR(CheckEndpoint(protocol, endpoint, t->fifo));

  Subscription s;
  s.topic_arn = t->arn;
  s.owner = ctx.account_id();
  s.protocol = protocol;
  s.endpoint = endpoint;
  s.principal_arn = ctx.principal.arn;
  s.base_url = BaseUrl(env, ctx);
  s.created_ms = env.Now();
  if (const json::object* a = GetObject(p, "Attributes")) {
    // FilterPolicyScope before FilterPolicy so the policy is checked in its scope.
    std::vector<std::pair<std::string, std::string>> ordered;
    for (const auto& [k, v] : *a) {
      if (v.is_string()) ordered.emplace_back(std::string(k), std::string(v.as_string()));
    }
    std::stable_sort(ordered.begin(), ordered.end(), [](const auto& x, const auto& y) {
      return x.first == "FilterPolicy" && y.first != "FilterPolicy";
    });
    std::reverse(ordered.begin(), ordered.end());
    for (const auto& [k, v] : ordered) {
      if (k == "FilterPolicyScope") {
        if (v != "MessageAttributes" && v != "MessageBody")
          return MakeError(errors::kInvalidParameter, {"FilterPolicyScope: Invalid filter policy scope"});
        s.attributes[k] = v;
        continue;
      }
      CENOTE_RETURN_IF_ERROR(ApplySubscriptionAttribute(s, k, v));
    }
    if (s.attributes.contains("FilterPolicyScope") && !s.attributes.contains("FilterPolicy"))
      s.attributes.erase("FilterPolicyScope");
  }
  if (protocol == "firehose" && !s.attributes.contains("SubscriptionRoleArn")) {
    return MakeError(errors::kInvalidParameterReason,
                     {"Attributes", "Subscription role arn is required for firehose protocol"});
  }
  // The same endpoint subscribed again: the existing subscription (with the same attributes).
  for (const auto& arn : t->subscriptions) {
    auto it = env.subscriptions.find(arn);
    if (it == env.subscriptions.end()) continue;
    const Subscription& e = it->second;
    if (e.protocol != protocol || e.endpoint != endpoint) continue;
    for (const auto& [k, v] : s.attributes) {
      auto ea = e.attributes.find(k);
      if (ea == e.attributes.end() || ea->second != v) {
        return MakeError(errors::kInvalidParameterReason,
                         {"Attributes", "Subscription already exists with different attributes"});
      }
    }
    if (!e.confirmed && e.token_expires_ms > env.Now()) {
      // Subscribing a pending endpoint again sends its confirmation again (the same token).
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
      CENOTE_ASSIGN_OR_RETURN(auto staged, StageConfirmation(env, *txn, e, *t, "SubscriptionConfirmation"));
      CENOTE_RETURN_IF_ERROR(txn->Commit());
      env.Enqueue(std::move(staged));
    }
    return json::object{
        {"SubscriptionArn", e.confirmed || return_arn ? e.arn : std::string("pending confirmation")}};
  }

  s.arn = t->arn + ":" + NewUuidV4();
  // Same-account queues, functions and streams are confirmed at once; another account's queue gets a
  // SubscriptionConfirmation message, as do URLs and mail addresses.
  bool pending = Pending(protocol);
  if (protocol == "sqs") {
    auto q = ParseArn(endpoint, "sqs");
    pending = q->account != ctx.account_id() && t->account != q->account;
  }
  s.confirmed = !pending;
  if (pending) {
    s.token = RandomHex(64);
    s.token_expires_ms = env.Now() + kTokenValidityMs;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveSubscription(*txn, s));
  std::vector<Delivery> staged;
  if (pending) {
    CENOTE_ASSIGN_OR_RETURN(staged, StageConfirmation(env, *txn, s, *t, "SubscriptionConfirmation"));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  std::string arn = s.arn;
  t->subscriptions.insert(arn);
  env.subscriptions.emplace(arn, std::move(s));
  env.Enqueue(std::move(staged));
  return json::object{
      {"SubscriptionArn", !pending || return_arn ? arn : std::string("pending confirmation")}};
}

Result<OperationOutput> ConfirmSubscription(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string topic_arn = GetString(p, "TopicArn").value_or("");
  const std::string token = GetString(p, "Token").value_or("");
  const bool authenticate = AsciiLower(GetString(p, "AuthenticateOnUnsubscribe").value_or("")) == "true";
  // Unsigned (the SubscribeURL) unless AuthenticateOnUnsubscribe is set: that needs an AWS signature.
  if (authenticate && ctx.principal.anonymous) {
    return MakeError(errors::kAuthorizationError,
                     {"ConfirmSubscription with AuthenticateOnUnsubscribe requires an AWS signature"});
  }
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(topic_arn));
  for (const auto& arn : t->subscriptions) {
    auto it = env.subscriptions.find(arn);
    if (it == env.subscriptions.end() || it->second.token.empty() || it->second.token != token) continue;
    Subscription& s = it->second;
    if (s.confirmed) return json::object{{"SubscriptionArn", s.arn}};
    if (s.token_expires_ms < env.Now()) return MakeError(errors::kInvalidToken);
    Subscription updated = s;
    updated.confirmed = true;
    updated.authenticated = authenticate;
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(env.SaveSubscription(*txn, updated));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    s = std::move(updated);
    return json::object{{"SubscriptionArn", s.arn}};
  }
  return MakeError(errors::kInvalidToken);
}

Result<OperationOutput> Unsubscribe(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "SubscriptionArn").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Subscription * s, env.FindSubscription(arn));
  auto topic = env.topics.find(s->topic_arn);
  // The action map leaves Unsubscribe to this handler, since AWS serves it unsigned (a message's
  // UnsubscribeURL) unless the subscription was confirmed with AuthenticateOnUnsubscribe; a signed caller
  // must be the subscription's or the topic's owner (AWS's rule for Unsubscribe).
  const bool anonymous = ctx.principal.anonymous;
  if (anonymous && s->authenticated) {
    return MakeError(errors::kAuthorizationError,
                     {"Unsubscribe of this subscription requires authentication"});
  }
  if (!anonymous && ctx.account_id() != s->owner &&
      (topic == env.topics.end() || ctx.account_id() != topic->second.account)) {
    return MakeError(errors::kAuthorizationError,
                     {"User: " + ctx.principal.arn +
                      " is not authorized to perform: SNS:Unsubscribe on resource: " + s->topic_arn});
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sns_subscriptions WHERE arn = ?", {arn}));
  std::vector<Delivery> staged;
  if (topic != env.topics.end()) {
    Topic updated = topic->second;
    updated.subscriptions.erase(arn);
    updated.subscriptions_deleted++;
    CENOTE_RETURN_IF_ERROR(env.SaveTopic(*txn, updated));
    // Someone other than the owner (an UnsubscribeURL) unsubscribed an endpoint: it gets a final
    // UnsubscribeConfirmation from which it can subscribe again.
    if (anonymous && Pending(s->protocol) && s->confirmed) {
      Subscription copy = *s;
      if (copy.token.empty()) copy.token = RandomHex(64);
      CENOTE_ASSIGN_OR_RETURN(staged, StageConfirmation(env, *txn, copy, updated, "UnsubscribeConfirmation"));
    }
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    topic->second = std::move(updated);
  } else {
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  env.subscriptions.erase(arn);
  env.Enqueue(std::move(staged));
  return json::object{};
}

Result<std::int64_t> Env::DeleteUnconfirmed() {
  MutexLock lock(mu);
  const std::int64_t now = Now();
  std::vector<std::string> expired;
  std::int64_t next = 0;
  for (const auto& [arn, s] : subscriptions) {
    if (s.confirmed) continue;
    const std::int64_t due = s.created_ms + kUnconfirmedLifetimeMs;
    if (due <= now) {
      expired.push_back(arn);
    } else if (next == 0 || due < next) {
      next = due;
    }
  }
  if (expired.empty()) return next;
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  std::map<std::string, Topic> updated;
  for (const std::string& arn : expired) {
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sns_subscriptions WHERE arn = ?", {arn}));
    const std::string& topic_arn = subscriptions.at(arn).topic_arn;
    auto topic = topics.find(topic_arn);
    if (topic == topics.end()) continue;
    auto [it, fresh] = updated.try_emplace(topic_arn, topic->second);
    it->second.subscriptions.erase(arn);
  }
  for (const auto& [arn, t] : updated) CENOTE_RETURN_IF_ERROR(SaveTopic(*txn, t));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  for (auto& [arn, t] : updated) topics[arn] = std::move(t);
  for (const std::string& arn : expired) subscriptions.erase(arn);
  spdlog::info("sns: deleted {} subscription(s) left unconfirmed for 48 hours", expired.size());
  return next;
}

Result<OperationOutput> ListSubscriptions(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string after, ReadToken(in.params.as_object()));
  const std::string prefix = TopicArn(ctx.region, ctx.account_id(), "");
  json::array list;
  std::string next;
  MutexLock lock(env.mu);
  for (auto it = env.subscriptions.upper_bound(after); it != env.subscriptions.end(); ++it) {
    const Subscription& s = it->second;
    if (s.owner != ctx.account_id() || !ParseArn(s.arn) || ParseArn(s.arn)->region != ctx.region) continue;
    if (list.size() == kPageSize) {
      next = Base64Encode(after);
      break;
    }
    list.push_back(ListEntry(s));
    after = it->first;
  }
  json::object out{{"Subscriptions", std::move(list)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<OperationOutput> ListSubscriptionsByTopic(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string after, ReadToken(p));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Topic * t, env.FindTopic(GetString(p, "TopicArn").value_or("")));
  json::array list;
  std::string next;
  for (auto it = t->subscriptions.upper_bound(after); it != t->subscriptions.end(); ++it) {
    auto s = env.subscriptions.find(*it);
    if (s == env.subscriptions.end()) continue;
    if (list.size() == kPageSize) {
      next = Base64Encode(after);
      break;
    }
    list.push_back(ListEntry(s->second));
    after = *it;
  }
  json::object out{{"Subscriptions", std::move(list)}};
  if (!next.empty()) out["NextToken"] = next;
  return out;
}

Result<OperationOutput> GetSubscriptionAttributes(Env& env, const RequestContext&, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(
      Subscription * s,
      env.FindSubscription(GetString(in.params.as_object(), "SubscriptionArn").value_or("")));
  json::object a;
  for (const auto& [k, v] : s->attributes) a[k] = v;
  a["SubscriptionArn"] = s->arn;
  a["TopicArn"] = s->topic_arn;
  a["Owner"] = s->owner;
  a["Protocol"] = s->protocol;
  a["Endpoint"] = s->endpoint;
  a["ConfirmationWasAuthenticated"] = s->authenticated ? "true" : "false";
  a["PendingConfirmation"] = s->confirmed ? "false" : "true";
  if (!a.contains("RawMessageDelivery")) a["RawMessageDelivery"] = "false";
  if (!s->principal_arn.empty()) a["SubscriptionPrincipal"] = s->principal_arn;
  if (s->protocol == "http" || s->protocol == "https") {
    // The subscription's own policy over the topic's (and SNS's defaults).
    json::object effective{{"healthyRetryPolicy", json::object{{"minDelayTarget", 20},
                                                               {"maxDelayTarget", 20},
                                                               {"numRetries", 3},
                                                               {"numMaxDelayRetries", 0},
                                                               {"numNoDelayRetries", 0},
                                                               {"numMinDelayRetries", 0},
                                                               {"backoffFunction", "linear"}}}};
    if (auto t = env.topics.find(s->topic_arn); t != env.topics.end()) {
      if (auto d = t->second.attributes.find("DeliveryPolicy"); d != t->second.attributes.end()) {
        boost::system::error_code ec;
        json::value v = json::parse(d->second, ec);
        const json::object* http = !ec && v.is_object() ? GetObject(v.as_object(), "http") : nullptr;
        if (http != nullptr) {
          if (const json::object* r = GetObject(*http, "defaultHealthyRetryPolicy"))
            effective["healthyRetryPolicy"] = *r;
          if (const json::object* r = GetObject(*http, "defaultRequestPolicy"))
            effective["requestPolicy"] = *r;
          if (const json::object* r = GetObject(*http, "defaultThrottlePolicy"))
            effective["throttlePolicy"] = *r;
        }
      }
    }
    if (auto d = s->attributes.find("DeliveryPolicy"); d != s->attributes.end()) {
      boost::system::error_code ec;
      json::value v = json::parse(d->second, ec);
      if (!ec && v.is_object()) {
        for (const auto& [k, val] : v.as_object()) effective[k] = val;
      }
    }
    a["EffectiveDeliveryPolicy"] = json::serialize(effective);
  }
  return json::object{{"Attributes", std::move(a)}};
}

Result<OperationOutput> SetSubscriptionAttributes(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "AttributeName").value_or("");
  const std::string value = GetString(p, "AttributeValue").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Subscription * s,
                          env.FindSubscription(GetString(p, "SubscriptionArn").value_or("")));
  Subscription updated = *s;
  CENOTE_RETURN_IF_ERROR(ApplySubscriptionAttribute(updated, name, value));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(env.SaveSubscription(*txn, updated));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  *s = std::move(updated);
  return json::object{};
}

}  // namespace cenote::sns
