#include "services/cloudtrail/cloudtrail_provider.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <string.h>  // explicit_bzero
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "iam/directory.hpp"
#include "services/cloudtrail/event_record.hpp"
#include "services/cloudtrail/internal.hpp"
#include "services/common/secret_sealer.hpp"

namespace cenote::cloudtrail {

// Schema of component "cloudtrail": one statement per version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE cloudtrail_trails (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "CREATE TABLE cloudtrail_keys (region TEXT NOT NULL, fingerprint TEXT NOT NULL, public_der BLOB NOT "
      "NULL, "
      "private_der BLOB NOT NULL, valid_from INTEGER NOT NULL, valid_to INTEGER NOT NULL, "
      "PRIMARY KEY (region, fingerprint))",
      // CloudTrail Lake (lake.cpp): event data stores and query records.
      "CREATE TABLE cloudtrail_event_data_stores (arn TEXT PRIMARY KEY, doc TEXT NOT NULL)",
      "CREATE TABLE cloudtrail_lake_queries (id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, doc TEXT NOT "
      "NULL)",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/cloudtrail/fresh_schema.inc"
      ;
}

const std::vector<ErrorSpec>& ErrorTable() {
  static const std::vector<ErrorSpec> kTable = {
      errors::kTrailExists,
      errors::kTrailNotFound,
      errors::kInvalidTrailName,
      errors::kInvalidTrailArn,
      errors::kBucketDoesNotExist,
      errors::kInsufficientBucketPolicy,
      errors::kInvalidPrefix,
      errors::kMaxTrails,
      errors::kHomeRegion,
      errors::kUnsupported,
      errors::kKmsKeyNotFound,
      errors::kInsufficientEncryptionPolicy,
      errors::kKms,
      errors::kInvalidParameter,
      errors::kInvalidCombination,
      errors::kInvalidEventSelectors,
      errors::kInvalidLookupAttributes,
      errors::kInvalidTimeRange,
      errors::kInvalidMaxResults,
      errors::kInvalidNextToken,
      errors::kInvalidEventCategory,
      errors::kInvalidTagParameter,
      errors::kTagsLimit,
      errors::kResourceNotFound,
      errors::kOrganizationsNotInUse,
      errors::kNotManagementAccount,
      errors::kEventDataStoreNotFound,
      errors::kEventDataStoreExists,
      errors::kEventDataStoreMax,
      errors::kInactiveEventDataStore,
      errors::kEventDataStoreTerminationProtected,
      errors::kInvalidEventDataStoreStatus,
      errors::kInvalidQueryStatement,
      errors::kMaxConcurrentQueries,
      errors::kQueryIdNotFound,
      errors::kInactiveQuery,
  };
  return kTable;
}

namespace {

const CloudTrailProvider::Table& Operations() {
  static const CloudTrailProvider::Table kOps = {
      {"AddTags", AddTags},
      {"CancelQuery", CancelQuery},
      {"CreateEventDataStore", CreateEventDataStore},
      {"CreateTrail", CreateTrail},
      {"DeleteEventDataStore", DeleteEventDataStore},
      {"DeleteTrail", DeleteTrail},
      {"DescribeQuery", DescribeQuery},
      {"DescribeTrails", DescribeTrails},
      {"GetEventDataStore", GetEventDataStore},
      {"GetEventSelectors", GetEventSelectors},
      {"GetQueryResults", GetQueryResults},
      {"GetTrail", GetTrail},
      {"GetTrailStatus", GetTrailStatus},
      {"ListEventDataStores", ListEventDataStores},
      {"ListPublicKeys", ListPublicKeys},
      {"ListQueries", ListQueries},
      {"ListTags", ListTags},
      {"ListTrails", ListTrails},
      {"LookupEvents", LookupEvents},
      {"PutEventSelectors", PutEventSelectors},
      {"RemoveTags", RemoveTags},
      {"RestoreEventDataStore", RestoreEventDataStore},
      {"StartEventDataStoreIngestion", StartEventDataStoreIngestion},
      {"StartLogging", StartLogging},
      {"StartQuery", StartQuery},
      {"StopEventDataStoreIngestion", StopEventDataStoreIngestion},
      {"StopLogging", StopLogging},
      {"UpdateEventDataStore", UpdateEventDataStore},
      {"UpdateTrail", UpdateTrail},
  };
  return kOps;
}

// An eventID: a version 4 UUID from a per-thread generator seeded from the system's randomness (event ids
// need uniqueness, not secrecy, and a getrandom call per request shows in small-GET profiles).
std::string EventId() {
  thread_local std::mt19937_64 rng = [] {
    std::uint64_t seed[2];
    FillRandom(seed, sizeof seed);
    std::seed_seq seq{seed[0], seed[1]};
    return std::mt19937_64(seq);
  }();
  std::uint64_t hi = rng(), lo = rng();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;            // version 4
  lo = (lo & ~(0x3ULL << 62)) | (0x2ULL << 62);  // variant 10
  // xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx: the 32 hex digits of hi then lo, dashes after 8, 12, 16 and 20.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int digit = 0;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    const std::uint64_t word = digit < 16 ? hi : lo;
    out[i] = kHex[(word >> (60 - 4 * (digit % 16))) & 0xF];
    ++digit;
  }
  return out;
}

// The after-hook: every answered call becomes an event, durable before the hook returns.
class EventRecorder final : public aws::pipeline::AfterHook {
 public:
  explicit EventRecorder(Env& env) : env_(env) {}

  void AfterCall(const aws::pipeline::CallRecord& record) override {
    const aws::RequestContext& ctx = record.ctx;
    if (!env_.options.recording || ctx.service.empty() || ctx.operation.empty()) return;
    // CloudTrail's own calls (deliveries, bucket checks) are not recorded: delivery must not feed itself.
    if (ctx.invoked_by == kServicePrincipal) return;
    const EventClass cls = Classify(ctx.service, ctx.operation);
    if (!cls.recorded) return;
    // Data events exist only for trails that select them: the common case costs one atomic load.
    if (cls.data && !env_.any_data_trail.load(std::memory_order_acquire)) return;
    // The record is written as JSON text once, with the summary selection and routing read.
    thread_local std::string text;
    text.clear();
    EventSummary summary;
    WriteEventRecord(record, cls, env_.Now(), EventId(), env_.options.default_account, text, summary);
    const std::string trails = SelectingTrails(summary);
    if (cls.data && trails.empty()) return;
    // Routing for delivery: recipient account, region, eventTime, the selecting trails' ARNs.
    std::string routing;
    routing.reserve(summary.recipient_account.size() + summary.region.size() + summary.event_time.size() +
                    trails.size() + 3);
    routing += summary.recipient_account;
    routing += '\t';
    routing += summary.region;
    routing += '\t';
    routing += summary.event_time;
    routing += '\t';
    routing += trails;
    Status st = Status::Ok();
    if (cls.data) {
      st = env_.events->AppendSerialized(text, nullptr, routing);
    } else {
      const IndexedEvent indexed = IndexOf(0, summary);
      st = env_.events->AppendSerialized(text, &indexed, routing);
    }
    if (!st) {
      spdlog::error("cloudtrail: request {}: the event could not be recorded: {}", ctx.request_id,
                    st.error().message);
    }
  }

 private:
  // The ARNs of the logging trails that log `event` (its account, or its organization's; its region, unless
  // multi-region; their selectors), comma-separated.
  std::string SelectingTrails(const EventSummary& event) {
    std::shared_ptr<const std::vector<LoggingTrail>> trails;
    {
      MutexLock lock(env_.data_mu);
      trails = env_.logging_trails;
    }
    std::string out;
    if (trails == nullptr || trails->empty()) return out;
    const std::string& account = event.recipient_account;
    for (const LoggingTrail& t : *trails) {
      if (t.account != account && (t.organization_id.empty() || env_.orgs == nullptr ||
                                   env_.orgs->OrganizationId(account) != t.organization_id)) {
        continue;
      }
      if (!t.multi_region && t.home_region != event.region) continue;
      if (!SelectorsMatch(t.selectors, event)) continue;
      if (!out.empty()) out += ',';
      out += t.arn;
    }
    return out;
  }

  Env& env_;
};

class TrailAuthority final : public iam::ResourceAuthority {
 public:
  explicit TrailAuthority(Env& env) : env_(env) {}
  std::string_view service() const override { return "cloudtrail"; }
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal&, std::string_view,
                                   std::string_view) const override {
    return iam::ResourceFacts{};
  }
  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override {
    if (name == "TrailARN" && args.size() == 3) return TrailArnOf(args[0], args[1], args[2]);
    if (auto lake = LakeLookup(name, args)) return std::move(*lake);
    if (name == "QueryStoreOf" && args.size() == 1) {
      std::string arn = QueryStoreOf(env_, args[0]);
      if (arn.empty()) return services::MakeError(errors::kQueryIdNotFound, {args[0]});
      return arn;
    }
    return iam::ResourceAuthority::Lookup(name, args);
  }

 private:
  Env& env_;
};

// Delivery (reading the event log, gzip, SHA-256, the S3 writes, digests) runs on its task's own thread at a
// lower priority than the request threads: it has minutes (AWS delivers about every 5), they do not. This
// thread only: SCHED_BATCH (no wake-up preemption of request threads) and nice 10 (about a tenth of a core's
// share against a busy request thread, all of an idle core).
void LowerThisThreadsPriority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  sched_param param{};
  if (::sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
    spdlog::debug("cloudtrail: delivery thread stays SCHED_OTHER: {}", std::strerror(errno));
  }
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10) != 0) {
    spdlog::debug("cloudtrail: delivery thread keeps its nice value: {}", std::strerror(errno));
  }
}

}  // namespace

std::unique_ptr<iam::ResourceAuthority> CloudTrailProvider::MakeAuthority() {
  return std::make_unique<TrailAuthority>(*env_);
}

CloudTrailProvider::CloudTrailProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}
CloudTrailProvider::~CloudTrailProvider() {
  delivery_.reset();
  StopLakeQueries(*env_);
}

const std::vector<std::string_view>& CloudTrailProvider::SupportedOperations() {
  return Operations().names();
}
const CloudTrailProvider::Table& CloudTrailProvider::table() const { return Operations(); }
aws::pipeline::AfterHook& CloudTrailProvider::recorder() { return *recorder_; }

Status CloudTrailProvider::Deliver(bool force_digest) { return DeliverAll(*env_, force_digest); }

Result<std::unique_ptr<CloudTrailProvider>> CloudTrailProvider::Open(store::MetadataStore& metadata,
                                                                     aws::Invoker& invoker,
                                                                     BackgroundTasks& tasks,
                                                                     const iam::Organizations* orgs,
                                                                     CloudTrailOptions options) {
  if (!options.clock) options.clock = [] { return UnixNowMs(); };
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("cloudtrail", Migrations(), FreshSchema()));
  auto env = std::make_unique<Env>(metadata, invoker);
  env->orgs = orgs;
  env->options = std::move(options);
  CENOTE_ASSIGN_OR_RETURN(
      env->events, EventStore::Open(env->options.event_dir, env->options.clock,
                                    env->options.sync_always ? SyncMode::kAlways : SyncMode::kBatched));
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT doc FROM cloudtrail_trails"));
    MutexLock lock(env->mu);
    for (const auto& row : rows) {
      boost::system::error_code ec;
      json::value doc = json::parse(store::AsText(row[0]), ec);
      if (ec || !doc.is_object()) continue;
      Trail t = Trail::FromDoc(doc.as_object());
      env->trails[TrailKey{t.account, t.home_region, t.name}] = std::move(t);
    }
    env->RefreshLoggingTrails();
    CENOTE_ASSIGN_OR_RETURN(
        auto keys,
        txn->Query(
            "SELECT region, fingerprint, public_der, private_der, valid_from, valid_to FROM cloudtrail_keys "
            "ORDER BY valid_from"));
    MutexLock keys_lock(env->keys_mu);
    for (const auto& row : keys) {
      const std::string region = store::AsText(row[0]), fingerprint = store::AsText(row[1]);
      const std::string purpose = KeyPurpose(region, fingerprint);
      CENOTE_ASSIGN_OR_RETURN(std::string der,
                              services::OpenSecret(env->options.secrets, purpose, store::AsText(row[3])));
      if (env->options.secrets != nullptr && !services::SecretSealer::IsSealed(store::AsText(row[3]))) {
        // A key stored before sealing existed is sealed now.
        CENOTE_ASSIGN_OR_RETURN(std::string sealed, env->options.secrets->Seal(purpose, der));
        CENOTE_RETURN_IF_ERROR(
            txn->Exec("UPDATE cloudtrail_keys SET private_der = ? WHERE region = ? AND fingerprint = ?",
                      {store::Blob{sealed}, region, fingerprint}));
      }
      CENOTE_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromPrivateDer(der));
      explicit_bzero(der.data(), der.size());
      env->keys[store::AsText(row[0])].push_back(
          KeyRecord{.fingerprint = store::AsText(row[1]),
                    .public_der = store::AsText(row[2]),
                    .key = std::make_shared<const SigningKey>(std::move(key)),
                    .valid_from = store::AsInt(row[4]),
                    .valid_to = store::AsInt(row[5])});
    }
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  if (!env->options.lake_dir.empty()) CENOTE_RETURN_IF_ERROR(LoadLake(*env));
  std::unique_ptr<CloudTrailProvider> provider(new CloudTrailProvider(std::move(env)));
  provider->recorder_ = std::make_unique<EventRecorder>(*provider->env_);
  if (provider->env_->options.start_delivery_task) {
    Env* e = provider->env_.get();
    provider->delivery_ =
        tasks.Every("cloudtrail.delivery", std::chrono::milliseconds(e->options.delivery_interval_ms), [e] {
          LowerThisThreadsPriority();
          (void)DeliverAll(*e, false);
          (void)e->events->Trim();
        });
  }
  return provider;
}

}  // namespace cenote::cloudtrail
