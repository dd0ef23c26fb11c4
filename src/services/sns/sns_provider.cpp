#include "services/sns/sns_provider.hpp"

#include <spdlog/spdlog.h>
#include <string.h>  // explicit_bzero

#include <algorithm>
#include <chrono>
#include <exception>

#include "common/clock.hpp"
#include "services/common/secret_sealer.hpp"
#include "services/sns/internal.hpp"

namespace cenote::sns {

// Schema of component "sns": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE sns_topics (arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
      "name TEXT NOT NULL, doc TEXT NOT NULL, sequence INTEGER NOT NULL DEFAULT 0)",
      "CREATE TABLE sns_subscriptions (arn TEXT PRIMARY KEY, topic_arn TEXT NOT NULL, doc TEXT NOT NULL)",
      "CREATE TABLE sns_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, attempts INTEGER "
      "NOT NULL, "
      "next_ms INTEGER NOT NULL, order_key TEXT NOT NULL)",
      "CREATE TABLE sns_dedup (topic_arn TEXT NOT NULL, dedup_id TEXT NOT NULL, message_id TEXT NOT NULL, "
      "sequence TEXT NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY (topic_arn, dedup_id))",
      "CREATE TABLE sns_keys (id INTEGER PRIMARY KEY, private_der BLOB NOT NULL, certificate TEXT NOT NULL)",
  };
}

namespace {

const SnsProvider::Table& Operations() {
  static const SnsProvider::Table kOps = {
      {"AddPermission", AddPermission},
      {"ConfirmSubscription", ConfirmSubscription},
      {"CreateTopic", CreateTopic},
      {"DeleteTopic", DeleteTopic},
      {"GetSigningCertificate", GetSigningCertificate},
      {"GetSubscriptionAttributes", GetSubscriptionAttributes},
      {"GetTopicAttributes", GetTopicAttributes},
      {"ListSubscriptions", ListSubscriptions},
      {"ListSubscriptionsByTopic", ListSubscriptionsByTopic},
      {"ListTagsForResource", ListTagsForResource},
      {"ListTopics", ListTopics},
      {"Publish", Publish},
      {"PublishBatch", PublishBatch},
      {"RemovePermission", RemovePermission},
      {"SetSubscriptionAttributes", SetSubscriptionAttributes},
      {"SetTopicAttributes", SetTopicAttributes},
      {"Subscribe", Subscribe},
      {"TagResource", TagResource},
      {"Unsubscribe", Unsubscribe},
      {"UntagResource", UntagResource},
  };
  return kOps;
}

Result<Topic> TopicFromRow(const store::Row& r) {
  boost::system::error_code ec;
  json::value v = json::parse(store::AsText(r[4]), ec);
  if (ec || !v.is_object()) return InternalError("corrupt sns topic document");
  const json::object& doc = v.as_object();
  Topic t;
  t.arn = store::AsText(r[0]);
  t.account = store::AsText(r[1]);
  t.region = store::AsText(r[2]);
  t.name = store::AsText(r[3]);
  t.sequence = static_cast<std::uint64_t>(store::AsInt(r[5]));
  t.fifo = GetBool(doc, "fifo").value_or(false);
  t.created_ms = GetInt(doc, "created").value_or(0);
  t.subscriptions_deleted = GetInt(doc, "deleted").value_or(0);
  if (const json::object* a = GetObject(doc, "attributes")) {
    for (const auto& [k, val] : *a) {
      if (val.is_string()) t.attributes[std::string(k)] = std::string(val.as_string());
    }
  }
  if (const json::object* a = GetObject(doc, "tags")) {
    for (const auto& [k, val] : *a) {
      if (val.is_string()) t.tags[std::string(k)] = std::string(val.as_string());
    }
  }
  if (auto it = t.attributes.find("Policy"); it != t.attributes.end()) {
    if (auto p = iam::ParsePolicy(it->second, iam::PolicyKind::kResource)) {
      t.policy = std::make_shared<const iam::Policy>(std::move(p).value());
    }
  }
  return t;
}

}  // namespace

Result<OperationOutput> GetSigningCertificate(Env& env, const RequestContext&, OperationInput& in) {
  // The certificate of SigningCertURL, served to anyone (as AWS serves its certificates).
  const std::string name = GetString(in.params.as_object(), "CertificateName").value_or("");
  if (name != env.key->CertificateName()) return MakeError(errors::kResourceNotFound);
  OperationOutput out;
  out.body = std::make_unique<http::StringBody>(env.key->CertificatePem());
  return out;
}

SnsProvider::SnsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

SnsProvider::~SnsProvider() { delivery_.clear(); }

Result<std::unique_ptr<SnsProvider>> SnsProvider::Open(store::MetadataStore& metadata, aws::Invoker& invoker,
                                                       BackgroundTasks& tasks, SnsOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("sns", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, invoker, std::move(options));
  std::vector<Delivery> outbox;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_ASSIGN_OR_RETURN(auto keys,
                            txn->Query("SELECT private_der, certificate FROM sns_keys WHERE id = 1"));
    // The private key is sealed under the KMS root key when KMS runs (services/common/secret_sealer.hpp).
    const services::SecretSealer* secrets = env->options.secrets;
    constexpr std::string_view kPurpose = "sns message signing key";
    if (keys.empty()) {
      CENOTE_ASSIGN_OR_RETURN(SigningKey made, SigningKey::Generate());
      CENOTE_ASSIGN_OR_RETURN(std::string stored, services::SealSecret(secrets, kPurpose, made.PrivateDer()));
      CENOTE_RETURN_IF_ERROR(txn->Exec("INSERT INTO sns_keys (id, private_der, certificate) VALUES (1, ?, ?)",
                                       {store::Blob{stored}, made.CertificatePem()}));
      env->key = std::make_unique<SigningKey>(std::move(made));
    } else {
      const std::string stored = store::AsText(keys[0][0]);
      CENOTE_ASSIGN_OR_RETURN(std::string der, services::OpenSecret(secrets, kPurpose, stored));
      if (secrets != nullptr && !services::SecretSealer::IsSealed(stored)) {
        CENOTE_ASSIGN_OR_RETURN(std::string sealed, secrets->Seal(kPurpose, der));
        CENOTE_RETURN_IF_ERROR(
            txn->Exec("UPDATE sns_keys SET private_der = ? WHERE id = 1", {store::Blob{sealed}}));
      }
      CENOTE_ASSIGN_OR_RETURN(SigningKey loaded, SigningKey::Load(der, store::AsText(keys[0][1])));
      explicit_bzero(der.data(), der.size());
      env->key = std::make_unique<SigningKey>(std::move(loaded));
    }
    const std::int64_t now = env->Now();
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sns_dedup WHERE expires <= ?", {now}));
    CENOTE_ASSIGN_OR_RETURN(auto topics,
                            txn->Query("SELECT arn, account, region, name, doc, sequence FROM sns_topics"));
    CENOTE_ASSIGN_OR_RETURN(auto subs, txn->Query("SELECT doc FROM sns_subscriptions"));
    CENOTE_ASSIGN_OR_RETURN(
        auto dedup, txn->Query("SELECT topic_arn, dedup_id, message_id, sequence, expires FROM sns_dedup"));
    CENOTE_ASSIGN_OR_RETURN(
        auto rows, txn->Query("SELECT id, doc, attempts, next_ms, order_key FROM sns_outbox ORDER BY id"));
    MutexLock lock(env->mu);
    for (const auto& r : topics) {
      CENOTE_ASSIGN_OR_RETURN(Topic t, TopicFromRow(r));
      std::string arn = t.arn;
      env->topics.emplace(std::move(arn), std::move(t));
    }
    for (const auto& r : subs) {
      boost::system::error_code ec;
      json::value v = json::parse(store::AsText(r[0]), ec);
      if (ec || !v.is_object()) return InternalError("corrupt sns subscription document");
      auto s = Subscription::FromDoc(v.as_object());
      if (!s) {
        spdlog::warn("sns: subscription filter policy no longer compiles: {}", s.error().message);
        continue;
      }
      auto topic = env->topics.find(s->topic_arn);
      if (topic == env->topics.end()) continue;
      topic->second.subscriptions.insert(s->arn);
      std::string arn = s->arn;
      env->subscriptions.emplace(std::move(arn), std::move(s).value());
    }
    for (const auto& r : dedup) {
      env->dedup[store::AsText(r[0])][store::AsText(r[1])] =
          Env::Dedup{store::AsText(r[2]), store::AsText(r[3]), store::AsInt(r[4])};
    }
    for (const auto& r : rows) {
      json::value v = json::parse(store::AsText(r[1]));
      if (!v.is_object()) continue;
      Delivery d;
      d.id = store::AsInt(r[0]);
      d.doc = std::move(v.as_object());
      d.attempts = static_cast<int>(store::AsInt(r[2]));
      d.next_ms = store::AsInt(r[3]);
      d.order_key = store::AsText(r[4]);
      outbox.push_back(std::move(d));
    }
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  std::unique_ptr<SnsProvider> provider(new SnsProvider(std::move(env)));
  Env* e = provider->env_.get();
  auto start = [&](int lane, int count, const std::string& name) {
    for (int i = 0; i < count; ++i) {
      provider->delivery_.push_back(tasks.Start(
          name + std::to_string(i),
          [e, lane]() -> BackgroundTask::Clock::duration {
            try {
              for (;;) {
                const std::int64_t next = e->DeliverRound(lane);
                if (next == 0) return BackgroundTask::kUntilWoken;
                const std::int64_t wait = next - e->Now();
                if (wait > 0) return std::chrono::milliseconds(wait);
              }
            } catch (const std::exception& ex) {
              spdlog::error("sns delivery failed: {}", ex.what());
              return std::chrono::seconds(1);
            }
          },
          std::chrono::milliseconds(0)));
    }
  };
  start(Env::kInProcessLane, e->options.delivery_tasks, "sns.delivery.");
  start(Env::kHttpLane, e->options.http_delivery_tasks, "sns.http-delivery.");
  if (!provider->delivery_.empty()) {
    std::vector<BackgroundTask*> woken;
    for (auto& t : provider->delivery_) woken.push_back(t.get());
    e->wake_delivery = [woken] {
      for (BackgroundTask* t : woken) t->Wake();
    };
  }
  // Unconfirmed subscriptions go 48 hours after Subscribe; looked at at least every minute, so that a
  // clock moved on by tests (or a wall clock after a suspend) is noticed.
  provider->delivery_.push_back(tasks.Start(
      "sns.unconfirmed",
      [e]() -> BackgroundTask::Clock::duration {
        auto next = e->DeleteUnconfirmed();
        if (!next) {
          spdlog::warn("sns: deleting unconfirmed subscriptions failed: {}", next.error().message);
          return std::chrono::minutes(1);
        }
        const std::int64_t wait = *next == 0 ? 60'000 : std::clamp<std::int64_t>(*next - e->Now(), 1, 60'000);
        return std::chrono::milliseconds(wait);
      },
      std::chrono::seconds(1)));
  e->Enqueue(std::move(outbox));
  return provider;
}

const SnsProvider::Table& SnsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& SnsProvider::SupportedOperations() { return Operations().names(); }

void SnsProvider::DeliverNow() {
  for (int lane : {Env::kInProcessLane, Env::kHttpLane}) {
    for (;;) {
      const std::int64_t next = env_->DeliverRound(lane);
      if (next == 0 || next > env_->Now()) break;
    }
  }
}

Status SnsProvider::DeleteUnconfirmedNow() { return Status::FromResult(env_->DeleteUnconfirmed()); }

std::size_t SnsProvider::PendingDeliveries() const {
  MutexLock lock(env_->outbox_mu);
  return env_->pending.size();
}

}  // namespace cenote::sns
