#include "services/firehose/firehose_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "common/clock.hpp"
#include "services/common/sealed_bytes.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

// Schema of component "firehose": one statement per schema version; append, never edit.
// v4..v7 make delivery streams regional: the key becomes (account, region, name), and the streams stored
// before (one namespace, the server's) move to the data directory's root account and default region, which
// v5 names as literals. Positions are keyed by the stream's uid and need no change.
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region) {
  return {
      "CREATE TABLE firehose_streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
      // One past the last log sequence whose record is in a committed S3 object.
      "CREATE TABLE firehose_positions (uid TEXT PRIMARY KEY, next_sequence INTEGER NOT NULL)",
      // KinesisStreamAsSource: the last Kinesis sequence copied from each source shard, and the log's next
      // sequence at that time (records above it are scanned at restart to catch up with the log).
      "CREATE TABLE firehose_kinesis_positions (uid TEXT NOT NULL, shard_id TEXT NOT NULL, after_sequence "
      "TEXT "
      "NOT NULL, log_next INTEGER NOT NULL, PRIMARY KEY (uid, shard_id))",
      "CREATE TABLE firehose_regional_streams (account TEXT NOT NULL, region TEXT NOT NULL, "
      "name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "INSERT INTO firehose_regional_streams (account, region, name, doc) SELECT " +
          store::SqlStringLiteral(default_account) + ", " + store::SqlStringLiteral(default_region) +
          ", name, doc FROM firehose_streams",
      "DROP TABLE firehose_streams",
      "ALTER TABLE firehose_regional_streams RENAME TO firehose_streams",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/firehose/fresh_schema.inc"
      ;
}

namespace {

const FirehoseProvider::Table& Operations() {
  static const FirehoseProvider::Table kOps = {
      {"CreateDeliveryStream", CreateDeliveryStream},
      {"DeleteDeliveryStream", DeleteDeliveryStream},
      {"DescribeDeliveryStream", DescribeDeliveryStream},
      {"ListDeliveryStreams", ListDeliveryStreams},
      {"ListTagsForDeliveryStream", ListTagsForDeliveryStream},
      {"PutRecord", PutRecord},
      {"PutRecordBatch", PutRecordBatch},
      {"TagDeliveryStream", TagDeliveryStream},
      {"UntagDeliveryStream", UntagDeliveryStream},
      {"UpdateDestination", UpdateDestination},
      {"StartDeliveryStreamEncryption", StartDeliveryStreamEncryption},
      {"StopDeliveryStreamEncryption", StopDeliveryStreamEncryption},
  };
  return kOps;
}

// ---- the stream document ----
// The namespace and name are the row's key; the ARN is derived from them (so a stream moved into the
// default namespace by the v5 migration says so in its ARN).

json::object ToDocument(const DeliveryStreamState& s) EXCLUSIVE_LOCKS_REQUIRED(s.mu) {
  json::object tags;
  for (const auto& [k, v] : s.tags) tags[k] = v;
  return json::object{{"name", s.name},
                      {"uid", s.uid},
                      {"type", s.type},
                      {"status", s.status},
                      {"status_ms", s.status_ms},
                      {"created", s.created_ms},
                      {"updated", s.updated_ms},
                      {"version", s.version},
                      {"destination", s.destination},
                      {"encryption", s.encryption},
                      {"legacy_s3", s.legacy_s3},
                      {"source", s.source},
                      {"tags", std::move(tags)}};
}

std::shared_ptr<DeliveryStreamState> FromDocument(std::string account, std::string region,
                                                  const json::object& doc) {
  auto stream = std::make_shared<DeliveryStreamState>();
  DeliveryStreamState& s = *stream;
  s.account = std::move(account);
  s.region = std::move(region);
  s.name = GetString(doc, "name").value_or("");
  s.uid = GetString(doc, "uid").value_or("");
  s.arn = DeliveryStreamArn(s.key());
  s.type = GetString(doc, "type").value_or("DirectPut");
  s.status = GetString(doc, "status").value_or("ACTIVE");
  s.status_ms = GetInt(doc, "status_ms").value_or(0);
  s.created_ms = GetInt(doc, "created").value_or(0);
  s.legacy_s3 = GetBool(doc, "legacy_s3").value_or(false);
  if (const auto* src = GetObject(doc, "source")) s.source = *src;
  MutexLock lock(s.mu);  // not shared yet; the lock is for the analysis
  s.updated_ms = GetInt(doc, "updated").value_or(0);
  s.version = GetInt(doc, "version").value_or(1);
  if (const auto* d = GetObject(doc, "destination")) s.destination = *d;
  if (const auto* e = GetObject(doc, "encryption")) s.encryption = *e;
  if (const auto* t = GetObject(doc, "tags"))
    for (const auto& [k, v] : *t)
      if (v.is_string()) s.tags[std::string(k)] = std::string(v.as_string());
  return stream;
}

}  // namespace

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;
  static const std::vector<ErrorSpec> kTable = {kStreamNotFound,     kStreamExists,        kStreamNotActive,
                                                kVersionMismatch,    kDestinationNotFound, kValidation,
                                                kInvalidArgument,    kKinesisSourcePut,    kLimitExceeded,
                                                kInvalidKmsResource, kServiceUnavailable};
  return kTable;
}

// ---- Env ----

Env::Env(store::MetadataStore& metadata_store, store::StreamLog& stream_log, s3::Lake& s3_lake,
         aws::Invoker* kinesis_invoker, FirehoseOptions firehose_options)
    : metadata(metadata_store),
      log(stream_log),
      lake(s3_lake),
      invoker(kinesis_invoker),
      options(std::move(firehose_options)) {}

std::string Env::EffectiveStatus(const DeliveryStreamState& s) const {
  bool elapsed = Now() - s.status_ms >= options.transition_ms;
  if (s.status == "DELETING") return elapsed ? "" : "DELETING";
  if (s.status == "CREATING" && elapsed) return "ACTIVE";
  return s.status;
}

Result<std::shared_ptr<DeliveryStreamState>> Env::FindStream(const RequestContext& ctx,
                                                             const json::object& params) {
  const StreamKey key = KeyOf(ctx, GetString(params, "DeliveryStreamName").value_or(""));
  std::shared_ptr<DeliveryStreamState> s;
  {
    MutexLock lock(mu);
    auto it = streams.find(key);
    if (it != streams.end()) s = it->second;
  }
  if (!s || EffectiveStatus(*s).empty())
    return services::MakeError(errors::kStreamNotFound, {key.name, key.account});
  return s;
}

Status Env::Save(const DeliveryStreamState& s) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO firehose_streams (account, region, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account, "
      "region, name) DO UPDATE SET doc = excluded.doc",
      {s.account, s.region, s.name, json::serialize(ToDocument(s))}));
  return txn->Commit();
}

Status Env::Erase(const DeliveryStreamState& s) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM firehose_streams WHERE account = ? AND region = ? AND name = ?",
                {s.account, s.region, s.name}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM firehose_positions WHERE uid = ?", {s.uid}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM firehose_kinesis_positions WHERE uid = ?", {s.uid}));
  return txn->Commit();
}

Result<std::uint64_t> Env::DeliveredPosition(const DeliveryStreamState& s) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne("SELECT next_sequence FROM firehose_positions WHERE uid = ?", {s.uid}));
  if (!row) return std::uint64_t{0};
  return static_cast<std::uint64_t>(store::AsInt((*row)[0]));
}

Status Env::CommitPosition(const DeliveryStreamState& s, std::uint64_t next_sequence) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO firehose_positions (uid, next_sequence) VALUES (?, ?) ON CONFLICT (uid) DO UPDATE SET "
      "next_sequence = excluded.next_sequence",
      {s.uid, static_cast<std::int64_t>(next_sequence)}));
  return txn->Commit();
}

// ---- provider ----

FirehoseProvider::FirehoseProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

FirehoseProvider::~FirehoseProvider() = default;

Result<std::unique_ptr<FirehoseProvider>> FirehoseProvider::Open(store::MetadataStore& metadata,
                                                                 store::StreamLog& log, s3::Lake& lake,
                                                                 aws::Invoker* invoker,
                                                                 BackgroundTasks& tasks,
                                                                 FirehoseOptions options) {
  if (!options.clock) options.clock = UnixNowMs;
  CENOTE_RETURN_IF_ERROR(metadata.Migrate(
      "firehose", Migrations(options.default_account, options.default_region), FreshSchema()));
  CENOTE_ASSIGN_OR_RETURN(std::string owned_key, services::LoadOrCreateServiceKey(options.owned_key_file));
  auto env = std::make_unique<Env>(metadata, log, lake, invoker, std::move(options));
  env->owned_key = std::move(owned_key);
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT account, region, doc FROM firehose_streams"));
    MutexLock lock(env->mu);
    for (const auto& row : rows) {
      boost::system::error_code ec;
      auto v = json::parse(store::AsText(row[2]), ec);
      if (ec || !v.is_object()) return InternalError("corrupt firehose stream document");
      auto s = FromDocument(store::AsText(row[0]), store::AsText(row[1]), v.as_object());
      env->streams[s->key()] = std::move(s);
    }
  }
  auto provider = std::unique_ptr<FirehoseProvider>(new FirehoseProvider(std::move(env)));
  if (const std::int64_t poll = provider->env_->options.delivery_poll_ms; poll > 0) {
    FirehoseProvider* p = provider.get();
    // A delivery that keeps failing (a role without s3:PutObject) is retried every round; its error is logged
    // when it first happens or changes, then once a minute, not every round.
    provider->delivery_ = tasks.Every("firehose.delivery", std::chrono::milliseconds(poll),
                                      [p, last = std::string(), last_ms = std::int64_t{0}]() mutable {
                                        auto r = p->DeliverDue(false);
                                        if (r) {
                                          last.clear();
                                          return;
                                        }
                                        const std::int64_t now = UnixNowMs();
                                        if (r.error().message == last && now - last_ms < 60'000) return;
                                        spdlog::warn(
                                            "firehose delivery: {} (retried every round; logged again "
                                            "once a minute while it lasts)",
                                            r.error().message);
                                        last = r.error().message;
                                        last_ms = now;
                                      });
  }
  return provider;
}

const FirehoseProvider::Table& FirehoseProvider::table() const { return Operations(); }

const std::vector<std::string_view>& FirehoseProvider::SupportedOperations() { return Operations().names(); }

Result<int> FirehoseProvider::DeliverDue(bool force) {
  std::vector<std::shared_ptr<DeliveryStreamState>> streams;
  {
    MutexLock lock(env_->mu);
    for (const auto& [key, s] : env_->streams) streams.push_back(s);
  }
  int written = 0;
  std::optional<Error> first_error;
  for (const auto& s : streams) {
    if (env_->EffectiveStatus(*s) != "ACTIVE") continue;
    // Background work has no client to answer: one stream's failure (an error, or an exception from a
    // library) is reported and retried next time, and the other streams are delivered.
    try {
      auto r = env_->Deliver(*s, force);
      if (r) {
        written += *r;
      } else if (!first_error) {
        // In the words of Firehose's delivery error logs ("Amazon S3 data delivery errors"): the records stay
        // buffered and the next round retries them.
        Error e = r.error();
        if (e.code == "AccessDenied" || e.code == "AccessDeniedException") {
          e.message =
              "S3.AccessDenied: Access was denied. Ensure that the trust policy for the provided IAM "
              "role allows Firehose to assume the role, and the access policy allows access to the S3 "
              "bucket. (" +
              e.message + ")";
        }
        e.message = s->arn + ": " + e.message;
        first_error = std::move(e);
      }
    } catch (const std::exception& e) {
      if (!first_error) first_error = InternalError(e.what());
    }
  }
  if (first_error) return *first_error;
  return written;
}

std::map<std::string, DeliveryStreamMetrics> FirehoseProvider::Metrics() const {
  std::map<std::string, DeliveryStreamMetrics> out;
  MutexLock lock(env_->mu);
  for (const auto& [key, s] : env_->streams) {
    MutexLock metrics_lock(s->metrics_mu);
    out[s->arn] = s->metrics;
  }
  return out;
}

}  // namespace cenote::firehose
