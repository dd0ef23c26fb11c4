#include "services/kinesis/kinesis_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <set>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/kinesis/internal.hpp"
#include "store/free_space.hpp"

namespace cenote::kinesis {

// Schema of component "kinesis": one statement per schema version; append, never edit.
// v3..v6 make streams regional: the key becomes (account, region, name), and the streams stored before
// (one namespace, the server's) move to the data directory's root account and default region, which v4
// names as literals.
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region) {
  return {
      "CREATE TABLE kinesis_streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
      "CREATE TABLE kinesis_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
      "CREATE TABLE kinesis_regional_streams (account TEXT NOT NULL, region TEXT NOT NULL, "
      "name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "INSERT INTO kinesis_regional_streams (account, region, name, doc) SELECT " +
          store::SqlStringLiteral(default_account) + ", " + store::SqlStringLiteral(default_region) +
          ", name, doc FROM kinesis_streams",
      "DROP TABLE kinesis_streams",
      "ALTER TABLE kinesis_regional_streams RENAME TO kinesis_streams",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/kinesis/fresh_schema.inc"
      ;
}

namespace {

const KinesisProvider::Table& Operations() {
  static const KinesisProvider::Table kOps = {
      {"AddTagsToStream", AddTagsToStream},
      {"CreateStream", CreateStream},
      {"DecreaseStreamRetentionPeriod", DecreaseStreamRetentionPeriod},
      {"DeleteResourcePolicy", DeleteResourcePolicy},
      {"DeleteStream", DeleteStream},
      {"DeregisterStreamConsumer", DeregisterStreamConsumer},
      {"DescribeLimits", DescribeLimits},
      {"DescribeStream", DescribeStream},
      {"DescribeStreamConsumer", DescribeStreamConsumer},
      {"DescribeStreamSummary", DescribeStreamSummary},
      {"DisableEnhancedMonitoring", DisableEnhancedMonitoring},
      {"EnableEnhancedMonitoring", EnableEnhancedMonitoring},
      {"GetRecords", GetRecords},
      {"GetResourcePolicy", GetResourcePolicy},
      {"GetShardIterator", GetShardIterator},
      {"IncreaseStreamRetentionPeriod", IncreaseStreamRetentionPeriod},
      {"ListShards", ListShards},
      {"ListStreamConsumers", ListStreamConsumers},
      {"ListStreams", ListStreams},
      {"ListTagsForStream", ListTagsForStream},
      {"MergeShards", MergeShards},
      {"PutRecord", PutRecord},
      {"PutRecords", PutRecords},
      {"PutResourcePolicy", PutResourcePolicy},
      {"RegisterStreamConsumer", RegisterStreamConsumer},
      {"RemoveTagsFromStream", RemoveTagsFromStream},
      {"SplitShard", SplitShard},
      {"StartStreamEncryption", StartStreamEncryption},
      {"StopStreamEncryption", StopStreamEncryption},
      {"SubscribeToShard", SubscribeToShard},
      {"UpdateShardCount", UpdateShardCount},
      {"UpdateStreamMode", UpdateStreamMode},
  };
  return kOps;
}

// ---- the stream document ----
// The namespace and name are the row's key; the ARNs are derived from them (so a stream moved into the
// default namespace by the v4 migration says so in its ARN and its consumers').

json::object ToDocument(const StreamState& s) SHARED_LOCKS_REQUIRED(s.mu) {
  json::array shards;
  for (const auto& sh : s.shards) {
    json::object o{{"index", sh.index},
                   {"parent", sh.parent},
                   {"adjacent", sh.adjacent_parent},
                   {"start", U128ToString(sh.start_hash)},
                   {"end", U128ToString(sh.end_hash)},
                   {"first", sh.starting_sequence},
                   {"created", sh.created_ms}};
    if (sh.ending_sequence) o["last"] = *sh.ending_sequence;
    if (sh.closed_ms) o["closed"] = *sh.closed_ms;
    shards.push_back(std::move(o));
  }
  json::object tags;
  for (const auto& [k, v] : s.tags) tags[k] = v;
  json::array consumers;
  for (const auto& c : s.consumers)
    consumers.push_back(json::object{
        {"name", c.name}, {"status", c.status}, {"created", c.created_ms}, {"status_ms", c.status_ms}});
  json::array metrics;
  for (const auto& m : s.shard_level_metrics) metrics.push_back(json::string(m));
  json::object doc{{"name", s.name},
                   {"uid", s.uid},
                   {"status", s.status},
                   {"status_ms", s.status_ms},
                   {"mode", s.mode},
                   {"retention", s.retention_hours},
                   {"created", s.created_ms},
                   {"next_shard", s.next_shard_index},
                   {"shards", std::move(shards)},
                   {"tags", std::move(tags)},
                   {"consumers", std::move(consumers)},
                   {"encryption", s.encryption_type},
                   {"key_id", s.key_id},
                   {"metrics", std::move(metrics)}};
  if (s.policy) doc["policy"] = *s.policy;
  return doc;
}

std::int64_t I(const json::object& o, std::string_view k) { return GetInt(o, k).value_or(0); }
std::string S(const json::object& o, std::string_view k) { return GetString(o, k).value_or(""); }

std::shared_ptr<StreamState> FromDocument(std::string account, std::string region, const json::object& doc) {
  auto stream = std::make_shared<StreamState>();
  StreamState& s = *stream;
  s.account = std::move(account);
  s.region = std::move(region);
  s.name = S(doc, "name");
  s.uid = S(doc, "uid");
  s.arn = StreamArn(s.key());
  s.created_ms = I(doc, "created");
  WriterLock lock(s.mu);  // not shared yet; the lock is for the analysis
  s.status = S(doc, "status");
  s.status_ms = I(doc, "status_ms");
  s.mode = S(doc, "mode");
  s.retention_hours = static_cast<int>(I(doc, "retention"));
  s.next_shard_index = static_cast<int>(I(doc, "next_shard"));
  for (const auto& v : doc.at("shards").as_array()) {
    const auto& o = v.as_object();
    ShardState sh;
    sh.index = static_cast<int>(I(o, "index"));
    sh.shard_id = ShardIdOf(sh.index);
    sh.parent = S(o, "parent");
    sh.adjacent_parent = S(o, "adjacent");
    sh.start_hash = ParseU128(S(o, "start")).value_or(0);
    sh.end_hash = ParseU128(S(o, "end")).value_or(0);
    sh.starting_sequence = static_cast<std::uint64_t>(I(o, "first"));
    sh.created_ms = I(o, "created");
    if (o.contains("last")) sh.ending_sequence = static_cast<std::uint64_t>(I(o, "last"));
    if (o.contains("closed")) sh.closed_ms = I(o, "closed");
    s.shards.push_back(std::move(sh));
  }
  for (const auto& [k, v] : doc.at("tags").as_object()) s.tags[std::string(k)] = std::string(v.as_string());
  for (const auto& v : doc.at("consumers").as_array()) {
    const auto& o = v.as_object();
    ConsumerState c{.name = S(o, "name"),
                    .arn = "",
                    .status = S(o, "status"),
                    .created_ms = I(o, "created"),
                    .status_ms = I(o, "status_ms")};
    c.arn = ConsumerArn(s.arn, c.name, c.created_ms);
    s.consumers.push_back(std::move(c));
  }
  s.encryption_type = S(doc, "encryption");
  s.key_id = S(doc, "key_id");
  for (const auto& v : doc.at("metrics").as_array()) s.shard_level_metrics.emplace_back(v.as_string());
  if (auto p = GetString(doc, "policy")) s.policy = *p;
  int open = 0;
  for (const auto& sh : s.shards) open += sh.open() ? 1 : 0;
  s.open_shard_count = open;
  s.on_demand = s.mode == "ON_DEMAND";
  return stream;
}

}  // namespace

// ---- Env ----

Env::Env(store::MetadataStore& metadata_store, store::StreamLog& stream_log, KinesisOptions kinesis_options)
    : metadata(metadata_store),
      log(stream_log),
      options(std::move(kinesis_options)),
      data_keys(options.data_key_ttl_ms, 4096, options.clock) {}

void Env::Shutdown() {
  MutexLock lock(shutdown_mu_);
  shutting_down_ = true;
  shutdown_cv_.SignalAll();
}

bool Env::ShuttingDown() {
  MutexLock lock(shutdown_mu_);
  return shutting_down_;
}

void Env::SleepUnlessShutdown(std::int64_t ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  MutexLock lock(shutdown_mu_);
  shutdown_cv_.WaitUntil(lock, deadline,
                         [&]() EXCLUSIVE_LOCKS_REQUIRED(shutdown_mu_) { return shutting_down_; });
}

std::string Env::EffectiveStatus(const StreamState& s) const {
  bool elapsed = Now() - s.status_ms >= options.transition_ms;
  if (s.status == "DELETING") return elapsed ? "" : "DELETING";
  if ((s.status == "CREATING" || s.status == "UPDATING") && elapsed) return "ACTIVE";
  return s.status;
}

std::string Env::EffectiveStatus(const ConsumerState& c) const {
  bool elapsed = Now() - c.status_ms >= options.transition_ms;
  if (c.status == "DELETING") return elapsed ? "" : "DELETING";
  if (c.status == "CREATING" && elapsed) return "ACTIVE";
  return c.status;
}

Result<std::shared_ptr<StreamState>> Env::FindStream(const StreamKey& key) {
  std::shared_ptr<StreamState> stream;
  {
    MutexLock lock(mu);
    auto it = streams.find(key);
    if (it == streams.end()) return StreamNotFound(key);
    stream = it->second;
  }
  StreamState& s = *stream;
  ReaderLock lock(s.mu);
  if (EffectiveStatus(s).empty()) return StreamNotFound(key);
  return stream;
}

Result<std::shared_ptr<StreamState>> Env::FindStream(const RequestContext& ctx, const json::object& params) {
  auto name = GetString(params, "StreamName");
  if (auto arn = GetString(params, "StreamARN")) {
    auto key = ParseStreamArn(*arn);
    if (!key)
      return Validation("'" + *arn + "'", "streamARN",
                        "satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
    if (name && *name != key->name)
      return InvalidArgument("StreamARN " + *arn + " and StreamName " + *name + " do not match.");
    // The ARN's account is the stream's (cross-account access is the resource policy's to allow); its
    // region must be the request's: a Kinesis endpoint serves its own region's streams only.
    if (key->region != ctx.region) return StreamNotFound(*key);
    return FindStream(*key);
  }
  if (!name) return InvalidArgument("Either StreamName or StreamARN should be provided.");
  CENOTE_RETURN_IF_ERROR(CheckLength(params, "StreamName", "streamName", 1, 128, true));
  return FindStream(KeyOf(ctx, *name));
}

Status Env::RequireActive(const StreamState& s) const {
  std::string status = EffectiveStatus(s);
  if (status != "ACTIVE") return services::MakeError(errors::kStreamNotActive, {s.name, s.account, status});
  return Status::Ok();
}

Status Env::Save(const StreamState& s) {
  int open = 0;
  for (const auto& sh : s.shards) open += sh.open() ? 1 : 0;
  s.open_shard_count = open;
  s.on_demand = s.mode == "ON_DEMAND";
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO kinesis_streams (account, region, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account, "
      "region, name) DO UPDATE SET doc = excluded.doc",
      {s.account, s.region, s.name, json::serialize(ToDocument(s))}));
  return txn->Commit();
}

Status Env::Purge(const StreamKey& key) {
  std::shared_ptr<StreamState> stream;
  {
    MutexLock lock(mu);
    auto it = streams.find(key);
    if (it == streams.end()) return Status::Ok();
    stream = it->second;
  }
  StreamState& s = *stream;
  WriterLock stream_lock(s.mu);
  // Order: delete the row (the stream is gone for good) -> remove the map entry -> delete the logs. A crash
  // after the row is gone leaves orphan logs that Open removes.
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM kinesis_streams WHERE account = ? AND region = ? AND name = ?",
                {key.account, key.region, key.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  {
    MutexLock lock(mu);
    auto it = streams.find(key);
    if (it != streams.end() && it->second == stream) streams.erase(it);
  }
  for (const auto& shard : s.shards) {
    Status st = log.DeleteLog(s.LogName(shard));
    if (!st) spdlog::warn("kinesis: cannot delete log {}: {}", s.LogName(shard), st.error().message);
  }
  return Status::Ok();
}

Result<ShardState> Env::NewShard(StreamState& s, U128 start, U128 end, std::uint64_t min_sequence,
                                 std::string parent, std::string adjacent_parent) {
  ShardState shard;
  shard.index = s.next_shard_index++;
  shard.shard_id = ShardIdOf(shard.index);
  shard.parent = std::move(parent);
  shard.adjacent_parent = std::move(adjacent_parent);
  shard.start_hash = start;
  shard.end_hash = end;
  shard.created_ms = Now();
  shard.starting_sequence = std::max<std::uint64_t>(
      min_sequence, static_cast<std::uint64_t>(std::max<std::int64_t>(Now(), 0)) << 16);
  CENOTE_RETURN_IF_ERROR(log.CreateLog(s.LogName(shard), shard.starting_sequence));
  return shard;
}

Status Env::CloseShard(StreamState& s, ShardState& shard) {
  CENOTE_ASSIGN_OR_RETURN(auto bounds, log.Bounds(s.LogName(shard)));
  shard.ending_sequence =
      bounds.next_sequence > shard.starting_sequence ? bounds.next_sequence - 1 : shard.starting_sequence;
  shard.closed_ms = Now();
  return Status::Ok();
}

int Env::OpenShardCount(const std::string& account, const std::string& region) const {
  MutexLock lock(mu);
  int n = 0;
  for (auto it = streams.lower_bound(StreamKey{account, region, ""});
       it != streams.end() && it->first.account == account && it->first.region == region; ++it)
    n += it->second->open_shard_count.load();
  return n;
}

Status Env::CheckShardLimit(const std::string& account, const std::string& region, int additional,
                            std::string_view tail) const {
  const int open = OpenShardCount(account, region);
  if (open + additional <= options.shard_limit) return Status::Ok();
  return services::MakeError(errors::kLimitExceeded,
                             {"This request would exceed the shard limit for the account " + account +
                              " in " + region + ". Current shard count for the account: " +
                              std::to_string(open) + ". Limit: " + std::to_string(options.shard_limit) +
                              ". Number of additional shards that would have resulted from this request: " +
                              std::to_string(additional) + std::string(tail)});
}

int Env::OnDemandStreamCount(const std::string& account, const std::string& region) const {
  MutexLock lock(mu);
  int n = 0;
  for (auto it = streams.lower_bound(StreamKey{account, region, ""});
       it != streams.end() && it->first.account == account && it->first.region == region; ++it)
    n += it->second->on_demand.load() ? 1 : 0;
  return n;
}

// ---- provider ----

KinesisProvider::KinesisProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

KinesisProvider::~KinesisProvider() {
  maintenance_.reset();
  env_->Shutdown();
}

Result<std::unique_ptr<KinesisProvider>> KinesisProvider::Open(store::MetadataStore& metadata,
                                                               store::StreamLog& log, BackgroundTasks& tasks,
                                                               KinesisOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate(
      "kinesis", Migrations(options.default_account, options.default_region), FreshSchema()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, log, std::move(options));
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_ASSIGN_OR_RETURN(
        auto row, txn->QueryOne("SELECT value FROM kinesis_settings WHERE name = 'iterator_secret'"));
    if (row) {
      env->iterator_secret = store::AsText((*row)[0]);
    } else {
      env->iterator_secret = RandomHex(32);
      CENOTE_RETURN_IF_ERROR(
          txn->Exec("INSERT INTO kinesis_settings (name, value) VALUES ('iterator_secret', ?)",
                    {env->iterator_secret}));
    }
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            txn->Query("SELECT account, region, doc FROM kinesis_streams ORDER BY account, "
                                       "region, name"));
    MutexLock lock(env->mu);
    for (const auto& r : rows) {
      try {
        auto doc = json::parse(store::AsText(r[2])).as_object();
        auto s = FromDocument(store::AsText(r[0]), store::AsText(r[1]), doc);
        env->streams[s->key()] = s;
      } catch (const std::exception& e) {
        return InternalError(std::string("corrupt kinesis stream document: ") + e.what());
      }
    }
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  // Logs no stream references: a crash inside DeleteStream (row gone, logs not yet).
  std::set<std::string> known;
  {
    MutexLock lock(env->mu);
    for (const auto& [_, stream] : env->streams) {
      ReaderLock stream_lock(stream->mu);
      for (const auto& sh : stream->shards) known.insert(stream->LogName(sh));
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto logs, log.ListLogs());
  for (const auto& name : logs) {
    if (known.count(name)) continue;
    Status st = log.DeleteLog(name);
    if (!st) spdlog::warn("kinesis: cannot remove orphan log {}: {}", name, st.error().message);
  }
  std::unique_ptr<KinesisProvider> provider(new KinesisProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.maintenance_interval_ms; interval > 0) {
    KinesisProvider* p = provider.get();
    provider->maintenance_ = tasks.Every("kinesis.maintenance", std::chrono::milliseconds(interval), [p] {
      // A background round has no client to answer: it logs and tries again next time.
      try {
        Status st = p->Maintain();
        if (!st) spdlog::warn("kinesis maintenance: {}", st.error().message);
      } catch (const std::exception& e) {
        spdlog::error("kinesis maintenance failed: {}", e.what());
      }
    });
  }
  return provider;
}

const KinesisProvider::Table& KinesisProvider::table() const { return Operations(); }

const std::vector<std::string_view>& KinesisProvider::SupportedOperations() { return Operations().names(); }

Result<aws::OperationOutput> KinesisProvider::Invoke(const aws::RequestContext& ctx,
                                                     std::string_view operation, aws::OperationInput& input) {
  auto result = TableProvider::Invoke(ctx, operation, input);
  if (!result.ok() && result.error().code == "NoSuchLog") return InternalError(result.error().message);
  return result;
}

Status KinesisProvider::Maintain() {
  Env& env = *env_;
  std::vector<std::shared_ptr<StreamState>> all;
  {
    MutexLock lock(env.mu);
    for (const auto& [_, s] : env.streams) all.push_back(s);
  }
  const std::int64_t now = env.Now();
  for (const auto& stream : all) {
    StreamState& s = *stream;
    bool gone = false;
    {
      ReaderLock lock(s.mu);
      gone = env.EffectiveStatus(s).empty();
    }
    if (gone) {
      CENOTE_RETURN_IF_ERROR(env.Purge(s.key()));
      continue;
    }
    WriterLock lock(s.mu);
    const std::int64_t retention_ms = static_cast<std::int64_t>(s.retention_hours) * 3600 * 1000;
    bool changed = false;
    std::vector<ShardState> kept;
    for (auto& sh : s.shards) {
      if (!sh.open() && *sh.closed_ms + retention_ms < now) {
        // Every record of a shard closed longer ago than the retention period has expired.
        Status st = env.log.DeleteLog(s.LogName(sh));
        if (!st) spdlog::warn("kinesis: cannot delete log {}: {}", s.LogName(sh), st.error().message);
        changed = true;
        continue;
      }
      auto trimmed = env.log.Trim(s.LogName(sh), now - retention_ms);
      if (!trimmed) spdlog::warn("kinesis: trim {}: {}", s.LogName(sh), trimmed.error().message);
      kept.push_back(sh);
    }
    if (changed) {
      s.shards = std::move(kept);
      CENOTE_RETURN_IF_ERROR(env.Save(s));
    }
    // Consumers whose DELETING state ended.
    auto before = s.consumers.size();
    std::erase_if(s.consumers, [&](const ConsumerState& c) { return env.EffectiveStatus(c).empty(); });
    if (s.consumers.size() != before) CENOTE_RETURN_IF_ERROR(env.Save(s));
  }
  return Status::Ok();
}

std::map<std::string, StreamMetrics> KinesisProvider::Metrics() const {
  std::map<std::string, StreamMetrics> out;
  MutexLock lock(env_->mu);
  for (const auto& [key, s] : env_->streams) {
    MutexLock metrics_lock(s->metrics_mu);
    out[s->arn] = s->metrics;
  }
  return out;
}

}  // namespace cenote::kinesis
