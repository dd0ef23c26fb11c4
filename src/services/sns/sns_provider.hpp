// SnsProvider: Amazon Simple Notification Service (query protocol, "sns") over the MetadataStore.
//
// Regions: a topic lives in the namespace of (account, region) of the request that created it; its ARN is
// arn:aws:sns:<region>:<account>:<name>, a subscription's "<topic ARN>:<uuid>".
//
// Storage and durability: topics, subscriptions and the signing key are rows of the metadata store
// (component "sns"). Every delivery a call causes (a Publish's fan-out after filter policies, a
// subscription's confirmation request) is a row of the outbox table, written in the same transaction as
// the call's own changes and committed before the call is answered: an acknowledged Publish is delivered
// (at least once) even if the server is killed right after, and a delivery that failed keeps its row and
// its retry schedule (the delivery policy) across restarts. Deliveries leave the outbox when they are
// delivered, given up on (then to the subscription's dead-letter queue, when it has one), or when their
// subscription is gone.
//
// Deliveries: background tasks take due rows (HTTP/HTTPS endpoints on tasks of their own, so that a slow
// endpoint holds up no other delivery), FIFO topics' rows one at a time per
// (subscription, message group) in publish order. sqs, lambda and firehose endpoints are called in-process
// through the invoker (as sns.amazonaws.com for the topic, or as the subscription's role for firehose),
// http/https with a signed JSON POST, email/email-json into a file sink (one JSON line per message).
//
// Thread safety: handlers run concurrently on the server's workers; the state is owned by Env under one
// mutex for topics and subscriptions and one for the outbox (internal.hpp), neither held across a call to
// another service or an HTTP request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "store/metadata_store.hpp"

namespace cenote::services {
class SecretSealer;
}  // namespace cenote::services

namespace cenote::sns {

struct SnsOptions {
  // Milliseconds since the epoch (tests inject their own).
  std::function<std::int64_t()> clock;
  // Seals the message-signing key at rest (KMS's, when it runs); null: stored as it is.
  const services::SecretSealer* secrets = nullptr;
  // Background delivery tasks for queues, functions, streams and mail, and for HTTP/HTTPS endpoints (0: none;
  // tests call DeliverNow()).
  int delivery_tasks = 4;
  int http_delivery_tasks = 4;
  // email and email-json subscriptions write one JSON line per message to <email_dir>/messages.jsonl
  // ({"protocol", "to", "subject", "body", "messageId"}); the server takes it from CENOTE_SNS_EMAIL_DIR,
  // by default <data dir>/sns/email.
  std::string email_dir;
  // The scheme and host messages name Cenote by when no request says (in-process Subscribe calls).
  std::string default_base_url = "http://localhost:4566";
  // HTTP/S deliveries: the time an endpoint has to answer, and whether https endpoints' certificates are
  // verified (CENOTE_SNS_HTTPS_INSECURE=1 turns it off, for self-signed test endpoints).
  int http_timeout_ms = 15'000;
  bool verify_tls = true;
  // Milliseconds per second of every retry delay (delivery policies count in seconds); tests shrink it.
  std::int64_t retry_ms_per_second = 1'000;
};

struct Env;

// The unsigned GETs AWS serves for SNS messages, as API routes (aws/provider.hpp UnsignedRoute): a
// SubscribeURL (/?Action=ConfirmSubscription&...), an UnsubscribeURL (/?Action=Unsubscribe&...) and a
// SigningCertURL (/SimpleNotificationService-<id>.pem, which no S3 bucket can be named, rewritten to SNS's
// GetSigningCertificate). They go through SNS's ordinary stages; its action map lets anonymous callers make
// only those calls.
std::vector<aws::UnsignedRoute> MessageLinkRoutes();

class SnsProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "sns" migrations, loads topics and subscriptions, makes or loads the signing key, loads the
  // outbox and starts the delivery tasks on `tasks`. The store, the invoker and `tasks` must outlive the
  // provider.
  static Result<std::unique_ptr<SnsProvider>> Open(store::MetadataStore& metadata, aws::Invoker& invoker,
                                                   BackgroundTasks& tasks, SnsOptions options);
  ~SnsProvider() override;

  std::string_view service() const override { return "sns"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // Runs delivery rounds on the calling thread until nothing is due now (tests).
  void DeliverNow();
  // Deletes subscriptions left unconfirmed for 48 hours now (tests; a background task does it hourly).
  Status DeleteUnconfirmedNow();
  // Deliveries waiting in the outbox (tests).
  std::size_t PendingDeliveries() const;

  // Topic policies and tags for the authorizer: iam::ResourceAuthority "sns". The provider must outlive it.
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

  // The links every message carries, which endpoints follow unsigned (MessageLinkRoutes).
  std::vector<aws::UnsignedRoute> UnsignedRoutes() override { return MessageLinkRoutes(); }

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit SnsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::vector<std::unique_ptr<BackgroundTask>> delivery_;  // after env_: they stop before the state goes
};

}  // namespace cenote::sns
