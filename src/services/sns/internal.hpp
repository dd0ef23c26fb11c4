// Shared internals of the SNS provider: topics, subscriptions, the delivery outbox, and the handlers each
// .cpp of this directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/policy.hpp"
#include "services/common/params.hpp"
#include "services/sns/errors.hpp"
#include "services/sns/filter_policy.hpp"
#include "services/sns/signing.hpp"
#include "services/sns/sns_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::sns {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

using services::MakeError;

inline constexpr std::string_view kServicePrincipal = "sns.amazonaws.com";
inline constexpr std::size_t kMaxMessageBytes = 256 * 1024;  // Publish, and a whole PublishBatch
inline constexpr std::size_t kMaxBatchEntries = 10;
inline constexpr std::size_t kMaxMessageAttributes = 10;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr std::int64_t kDedupWindowMs = 300'000;           // FIFO deduplication interval (5 minutes)
inline constexpr std::int64_t kTokenValidityMs = 3 * 86'400'000;  // a confirmation token: 3 days
// A subscription still pending confirmation 48 hours after Subscribe is deleted (AWS since May 2023).
inline constexpr std::int64_t kUnconfirmedLifetimeMs = 2 * 86'400'000;
inline constexpr std::size_t kPageSize = 100;  // ListTopics, ListSubscriptions

// arn:aws:sns:<region>:<account>:<name>
std::string TopicArn(const std::string& region, const std::string& account, const std::string& name);
struct ArnParts {
  std::string region;
  std::string account;
  std::string resource;  // the topic name, or "<topic>:<subscription id>"
};
std::optional<ArnParts> ParseArn(std::string_view arn, std::string_view service = "sns");

struct Topic {
  std::string account;
  std::string region;
  std::string name;
  std::string arn;
  bool fifo = false;
  std::int64_t created_ms = 0;
  // The settable attributes as AWS returns them (strings): DisplayName, Policy, DeliveryPolicy, ...
  std::map<std::string, std::string> attributes;
  std::map<std::string, std::string> tags;
  std::shared_ptr<const iam::Policy> policy;  // the compiled Policy attribute
  std::uint64_t sequence = 0;                 // FIFO: the last SequenceNumber handed out
  std::int64_t subscriptions_deleted = 0;
  std::set<std::string> subscriptions;  // ARNs, confirmed or pending
};

struct Subscription {
  std::string arn;  // "<topic arn>:<uuid>"
  std::string topic_arn;
  std::string owner;  // the subscribing account
  std::string protocol;
  std::string endpoint;
  std::string principal_arn;  // who subscribed (SubscriptionPrincipal)
  bool confirmed = false;
  bool authenticated = false;  // ConfirmationWasAuthenticated
  std::string token;           // the pending confirmation's token ("" once confirmed)
  std::int64_t token_expires_ms = 0;
  // Where this subscription's messages say Cenote is (SigningCertURL, SubscribeURL, UnsubscribeURL): the
  // scheme and host of the Subscribe call, "http://localhost:4566" for in-process ones.
  std::string base_url;
  std::map<std::string, std::string> attributes;  // RawMessageDelivery, FilterPolicy, RedrivePolicy, ...
  std::shared_ptr<const FilterPolicy> filter;     // the compiled FilterPolicy, null when none
  std::int64_t created_ms = 0;

  bool Raw() const {
    auto it = attributes.find("RawMessageDelivery");
    return it != attributes.end() && it->second == "true";
  }
  json::object ToDoc() const;
  static Result<Subscription> FromDoc(const json::object& doc);
};

// One delivery waiting in the outbox (table sns_outbox): a message for one subscription. Written in the
// transaction of the call that caused it (Publish, Subscribe, Unsubscribe) before that call is answered,
// deleted once delivered (or given up on), so a delivery survives kill -9 and resumes after a restart.
struct Delivery {
  std::int64_t id = 0;  // the outbox row id: delivery order
  // Type ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"), MessageId, TopicArn,
  // Subject, Message, Timestamp (ms), MessageAttributes (name -> {Type, Value}), SequenceNumber,
  // MessageGroupId, MessageDeduplicationId, Token, SubscriptionArn, and for confirmations a snapshot of the
  // subscription (Protocol, Endpoint, BaseUrl, SignatureVersion) since it may be gone when it is delivered.
  json::object doc;
  int attempts = 0;
  std::int64_t next_ms = 0;
  std::string order_key;  // FIFO: "<subscription>|<group>": delivered one at a time, in id order
  // The lane of its endpoint's protocol (the doc's "Protocol"): Env::kHttpLane for http/https.
  int Lane() const;
};

// A published message as the fan-out sees it.
struct MessageAttribute {
  std::string type;   // String, String.Array, Number, Binary (and custom suffixes: "Number.float")
  std::string value;  // the string value, or the raw bytes of a Binary
};
using MessageAttributes = std::map<std::string, MessageAttribute>;

struct Env {
  Env(store::MetadataStore& m, aws::Invoker& i, SnsOptions o)
      : metadata(m), invoker(i), options(std::move(o)) {}

  store::MetadataStore& metadata;
  aws::Invoker& invoker;
  SnsOptions options;
  std::int64_t Now() const { return options.clock(); }
  std::unique_ptr<SigningKey> key;  // set once at Open

  mutable Mutex mu;
  std::map<std::string, Topic> topics GUARDED_BY(mu);                // by ARN
  std::map<std::string, Subscription> subscriptions GUARDED_BY(mu);  // by ARN
  // FIFO topics: deduplication ids of the last 5 minutes -> (message id, sequence number, expiry).
  struct Dedup {
    std::string message_id;
    std::string sequence;
    std::int64_t expires_ms = 0;
  };
  std::map<std::string, std::map<std::string, Dedup>> dedup GUARDED_BY(mu);  // topic ARN -> id -> entry
  // FIFO publishes to one topic are serialized (by that topic's mutex) so that sequence numbers are outbox
  // order; publishes to other topics go on meanwhile.
  std::map<std::string, std::shared_ptr<Mutex>> publish_mus GUARDED_BY(mu);
  std::shared_ptr<Mutex> PublishMutex(const std::string& topic_arn) {
    MutexLock lock(mu);
    auto& m = publish_mus[topic_arn];
    if (!m) m = std::make_shared<Mutex>();
    return m;
  }

  // ---- the outbox (delivery.cpp)
  mutable Mutex outbox_mu;
  std::map<std::int64_t, Delivery> pending GUARDED_BY(outbox_mu);
  // Deliveries ready to try, (next ms, id), per lane: HTTP/HTTPS endpoints (which may take their whole
  // timeout to answer) have their own tasks, so that a slow endpoint never holds up queues, streams and mail.
  static constexpr int kInProcessLane = 0;
  static constexpr int kHttpLane = 1;
  std::set<std::pair<std::int64_t, std::int64_t>> due[2] GUARDED_BY(outbox_mu);
  std::map<std::string, std::deque<std::int64_t>> ordered GUARDED_BY(outbox_mu);  // FIFO order keys
  std::set<std::int64_t> in_flight GUARDED_BY(outbox_mu);
  std::function<void()> wake_delivery;  // wakes the delivery tasks (set at Open)
  // Delivered rows waiting to leave the outbox: deleted in batches by whichever delivery task finds no delete
  // running (a crash before the delete delivers them again: at least once).
  std::vector<std::int64_t> delivered GUARDED_BY(outbox_mu);
  bool deleting GUARDED_BY(outbox_mu) = false;
  void Delivered(std::int64_t id);

  // Group commit of standard topics' publishes (StageCommitted): concurrent callers' outbox rows go into one
  // transaction, committed by whichever caller finds none running.
  struct StageRequest {
    std::vector<json::object> docs;
    std::vector<std::string> order_keys;
    Result<std::vector<Delivery>> result = std::vector<Delivery>{};
    bool done = false;
  };
  Mutex stage_mu;
  std::vector<StageRequest*> stage_queue GUARDED_BY(stage_mu);
  bool staging GUARDED_BY(stage_mu) = false;
  CondVar staged{stage_mu};
  // Stages `docs` in the outbox in a transaction of its own (shared with concurrent callers) and returns the
  // rows once committed.
  Result<std::vector<Delivery>> StageCommitted(std::vector<json::object> docs,
                                               std::vector<std::string> order_keys);

  // Topic / subscription lookups; the caller holds mu.
  Result<Topic*> FindTopic(std::string_view arn) EXCLUSIVE_LOCKS_REQUIRED(mu);
  Result<Subscription*> FindSubscription(std::string_view arn) EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Persistence (in the caller's transaction).
  Status SaveTopic(store::Transaction& txn, const Topic& t);
  Status SaveSubscription(store::Transaction& txn, const Subscription& s);
  // Adds deliveries to the outbox in `txn`; they are handed to the delivery tasks with Enqueue once the
  // transaction committed.
  Result<std::vector<Delivery>> Stage(store::Transaction& txn, std::vector<json::object> docs,
                                      const std::vector<std::string>& order_keys);
  void Enqueue(std::vector<Delivery> deliveries);

  // Delivery work (delivery.cpp): one round of a delivery task. Returns when the next delivery is due
  // (ms since the epoch), or 0 when none is pending.
  std::int64_t DeliverRound(int lane);
  // Deletes the subscriptions pending confirmation for kUnconfirmedLifetimeMs (subscriptions.cpp); answers
  // when the next one will be due, 0 when none is pending.
  Result<std::int64_t> DeleteUnconfirmed();

  // The signed JSON envelope of a delivery as HTTP, SQS (not raw) and email-json endpoints get it.
  Result<json::object> Envelope(const json::object& doc, const std::string& base_url, int signature_version);
  std::string SigningCertUrl(const std::string& base_url) const;
};

// The messages a subscription confirmation / unsubscribe confirmation carries, as outbox documents.
json::object ConfirmationDoc(const Subscription& s, const Topic& t, std::string_view type,
                             std::int64_t now_ms, int signature_version);
int TopicSignatureVersion(const Topic& t);

// The delay (ms) before retry number `attempt` (1 = the first retry) of a failed delivery, or -1 when no
// retry is left; `unit` is the milliseconds of a policy's second. http/https follow `policy` (a
// healthyRetryPolicy, null: SNS's default, 3 retries 20 s apart) through its four phases; other protocols
// AWS's schedule for AWS-managed endpoints (3 immediate, 2 at 1 s, 10 backing off to 20 s, 100,000 at 20 s).
std::int64_t RetryDelay(std::int64_t unit, const std::string& protocol, const json::object* policy,
                        int attempt);

// Message attributes: parsed from Publish's MessageAttributes (AWS's validation), to and from the outbox.
Result<MessageAttributes> ParseMessageAttributes(const json::object* attributes);
json::object AttributesToEnvelope(const MessageAttributes& attributes);

// ---- handlers ----
Result<OperationOutput> CreateTopic(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeleteTopic(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListTopics(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetTopicAttributes(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> SetTopicAttributes(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> AddPermission(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> RemovePermission(Env& env, const RequestContext& ctx, OperationInput& in);

Result<OperationOutput> Subscribe(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ConfirmSubscription(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> Unsubscribe(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListSubscriptions(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListSubscriptionsByTopic(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetSubscriptionAttributes(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> SetSubscriptionAttributes(Env& env, const RequestContext& ctx, OperationInput& in);

Result<OperationOutput> Publish(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> PublishBatch(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetSigningCertificate(Env& env, const RequestContext& ctx, OperationInput& in);

}  // namespace cenote::sns
