#include "services/kinesis/kinesis_provider.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <set>

#include "common/encoding.hpp"
#include "services/common/operation_table.hpp"
#include "services/kinesis/internal.hpp"
#include "store/free_space.hpp"

namespace cenote::kinesis {

namespace {

// Schema of component "kinesis": one statement per schema version; append, never edit.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      "CREATE TABLE kinesis_streams (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
      "CREATE TABLE kinesis_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
  };
  return kMigrations;
}

const services::OperationTable<OpFn>& Operations() {
  static const services::OperationTable<OpFn> kOps = {
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

std::int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- the stream document ----

json::object ToDocument(const StreamState& s) {
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
    consumers.push_back(json::object{{"name", c.name},
                                     {"arn", c.arn},
                                     {"status", c.status},
                                     {"created", c.created_ms},
                                     {"status_ms", c.status_ms}});
  json::array metrics;
  for (const auto& m : s.shard_level_metrics) metrics.push_back(json::string(m));
  json::object doc{{"name", s.name},
                   {"uid", s.uid},
                   {"arn", s.arn},
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

std::int64_t I(const json::object& o, std::string_view k) { return Int(o, k).value_or(0); }
std::string S(const json::object& o, std::string_view k) { return Str(o, k).value_or(""); }

std::shared_ptr<StreamState> FromDocument(const json::object& doc) {
  auto s = std::make_shared<StreamState>();
  s->name = S(doc, "name");
  s->uid = S(doc, "uid");
  s->arn = S(doc, "arn");
  s->status = S(doc, "status");
  s->status_ms = I(doc, "status_ms");
  s->mode = S(doc, "mode");
  s->retention_hours = static_cast<int>(I(doc, "retention"));
  s->created_ms = I(doc, "created");
  s->next_shard_index = static_cast<int>(I(doc, "next_shard"));
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
    s->shards.push_back(std::move(sh));
  }
  for (const auto& [k, v] : doc.at("tags").as_object()) s->tags[std::string(k)] = std::string(v.as_string());
  for (const auto& v : doc.at("consumers").as_array()) {
    const auto& o = v.as_object();
    s->consumers.push_back(
        ConsumerState{S(o, "name"), S(o, "arn"), S(o, "status"), I(o, "created"), I(o, "status_ms")});
  }
  s->encryption_type = S(doc, "encryption");
  s->key_id = S(doc, "key_id");
  for (const auto& v : doc.at("metrics").as_array()) s->shard_level_metrics.emplace_back(v.as_string());
  if (auto p = Str(doc, "policy")) s->policy = *p;
  int open = 0;
  for (const auto& sh : s->shards) open += sh.open() ? 1 : 0;
  s->open_shard_count = open;
  return s;
}

}  // namespace

// ---- Env ----

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

Result<std::shared_ptr<StreamState>> Env::FindStreamByName(const std::string& name) {
  std::shared_ptr<StreamState> s;
  {
    std::lock_guard<std::mutex> g(mu);
    auto it = streams.find(name);
    if (it == streams.end()) return StreamNotFound(*this, name);
    s = it->second;
  }
  std::shared_lock<std::shared_mutex> g(s->mu);
  if (EffectiveStatus(*s).empty()) return StreamNotFound(*this, name);
  return s;
}

Result<std::shared_ptr<StreamState>> Env::FindStream(const json::object& params) {
  auto name = Str(params, "StreamName");
  auto arn = Str(params, "StreamARN");
  if (arn) {
    const std::string prefix = "arn:aws:kinesis:";
    auto pos = arn->find(":stream/");
    if (arn->rfind(prefix, 0) != 0 || pos == std::string::npos)
      return Validation("'" + *arn + "'", "streamARN",
                        "satisfy regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
    std::string from_arn = arn->substr(pos + 8);
    if (name && *name != from_arn)
      return InvalidArgument("StreamARN " + *arn + " and StreamName " + *name + " do not match.");
    if (*arn != StreamArn(from_arn)) return StreamNotFound(*this, from_arn);
    return FindStreamByName(from_arn);
  }
  if (!name) return InvalidArgument("Either StreamName or StreamARN should be provided.");
  CENOTE_RETURN_IF_ERROR(CheckLength(params, "StreamName", "streamName", 1, 128, true));
  return FindStreamByName(*name);
}

Status Env::RequireActive(const StreamState& s) const {
  std::string status = EffectiveStatus(s);
  if (status != "ACTIVE") return MakeKinesisError(errors::kStreamNotActive, {s.name, Account(), status});
  return Status::Ok();
}

Status Env::Save(const StreamState& s) {
  int open = 0;
  for (const auto& sh : s.shards) open += sh.open() ? 1 : 0;
  s.open_shard_count = open;
  auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (!txn) return std::move(txn).error();
  auto r = (*txn)->Exec(
      "INSERT INTO kinesis_streams (name, doc) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET doc = "
      "excluded.doc",
      {s.name, json::serialize(ToDocument(s))});
  if (!r) return std::move(r).error();
  return (*txn)->Commit();
}

Status Env::Purge(const std::string& name) {
  std::shared_ptr<StreamState> s;
  {
    std::lock_guard<std::mutex> g(mu);
    auto it = streams.find(name);
    if (it == streams.end()) return Status::Ok();
    s = it->second;
  }
  std::unique_lock<std::shared_mutex> lk(s->mu);
  // Order: delete the row (the stream is gone for good) -> remove the map entry -> delete the logs. A crash
  // after the row is gone leaves orphan logs that Open removes.
  auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (!txn) return std::move(txn).error();
  auto r = (*txn)->Exec("DELETE FROM kinesis_streams WHERE name = ?", {name});
  if (!r) return std::move(r).error();
  CENOTE_RETURN_IF_ERROR((*txn)->Commit());
  {
    std::lock_guard<std::mutex> g(mu);
    auto it = streams.find(name);
    if (it != streams.end() && it->second == s) streams.erase(it);
  }
  for (const auto& shard : s->shards) {
    Status st = log.DeleteLog(s->LogName(shard));
    if (!st) spdlog::warn("kinesis: cannot delete log {}: {}", s->LogName(shard), st.error().message);
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
  auto bounds = log.Bounds(s.LogName(shard));
  if (!bounds) return std::move(bounds).error();
  shard.ending_sequence =
      bounds->next_sequence > shard.starting_sequence ? bounds->next_sequence - 1 : shard.starting_sequence;
  shard.closed_ms = Now();
  return Status::Ok();
}

int Env::OpenShardCount() const {
  std::lock_guard<std::mutex> g(mu);
  int n = 0;
  for (const auto& [_, s] : streams) n += s->open_shard_count.load();
  return n;
}

// ---- provider ----

KinesisProvider::KinesisProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

KinesisProvider::~KinesisProvider() {
  {
    std::lock_guard<std::mutex> g(env_->maintenance_mu);
    env_->stopping = true;
  }
  env_->maintenance_cv.notify_all();
  if (env_->maintenance.joinable()) env_->maintenance.join();
}

Result<std::unique_ptr<KinesisProvider>> KinesisProvider::Open(store::MetadataStore& metadata,
                                                               store::StreamLog& log,
                                                               KinesisOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("kinesis", Migrations()));
  if (!options.clock) options.clock = SystemNowMs;
  auto env = std::unique_ptr<Env>(
      new Env{metadata, log, std::move(options), {}, {}, {}, {}, {}, 0, {}, {}, false, {}});
  {
    auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite);
    if (!txn) return std::move(txn).error();
    auto row = (*txn)->QueryOne("SELECT value FROM kinesis_settings WHERE name = 'iterator_secret'");
    if (!row) return std::move(row).error();
    if (*row) {
      env->iterator_secret = store::AsText((**row)[0]);
    } else {
      unsigned char key[32];
      if (RAND_bytes(key, sizeof(key)) != 1) return InternalError("RAND_bytes failed");
      env->iterator_secret = HexEncode(std::string_view(reinterpret_cast<const char*>(key), sizeof(key)));
      auto r = (*txn)->Exec("INSERT INTO kinesis_settings (name, value) VALUES ('iterator_secret', ?)",
                            {env->iterator_secret});
      if (!r) return std::move(r).error();
    }
    auto rows = (*txn)->Query("SELECT doc FROM kinesis_streams ORDER BY name");
    if (!rows) return std::move(rows).error();
    for (const auto& r : *rows) {
      try {
        auto doc = json::parse(store::AsText(r[0])).as_object();
        auto s = FromDocument(doc);
        env->streams[s->name] = s;
      } catch (const std::exception& e) {
        return InternalError(std::string("corrupt kinesis stream document: ") + e.what());
      }
    }
    CENOTE_RETURN_IF_ERROR((*txn)->Commit());
  }
  // Logs no stream references: a crash inside DeleteStream (row gone, logs not yet).
  std::set<std::string> known;
  for (const auto& [_, s] : env->streams)
    for (const auto& sh : s->shards) known.insert(s->LogName(sh));
  auto logs = log.ListLogs();
  if (!logs) return std::move(logs).error();
  for (const auto& name : *logs) {
    if (known.count(name)) continue;
    Status st = log.DeleteLog(name);
    if (!st) spdlog::warn("kinesis: cannot remove orphan log {}: {}", name, st.error().message);
  }
  std::unique_ptr<KinesisProvider> provider(new KinesisProvider(std::move(env)));
  if (provider->env_->options.maintenance_interval_ms > 0) {
    Env* e = provider->env_.get();
    KinesisProvider* p = provider.get();
    e->maintenance = std::thread([e, p] {
      std::unique_lock<std::mutex> lk(e->maintenance_mu);
      while (!e->stopping) {
        e->maintenance_cv.wait_for(lk, std::chrono::milliseconds(e->options.maintenance_interval_ms),
                                   [e] { return e->stopping; });
        if (e->stopping) break;
        lk.unlock();
        Status st = p->Maintain();
        if (!st) spdlog::warn("kinesis maintenance: {}", st.error().message);
        lk.lock();
      }
    });
  }
  return provider;
}

const std::vector<std::string_view>& KinesisProvider::SupportedOperations() { return Operations().names(); }

bool KinesisProvider::Implements(std::string_view operation) const {
  return Operations().Find(operation) != nullptr;
}

Result<aws::OperationOutput> KinesisProvider::Invoke(const aws::RequestContext& ctx,
                                                     std::string_view operation, aws::OperationInput& input) {
  if (!input.params.is_object()) input.params = json::object();
  const OpFn* op = Operations().Find(operation);
  if (op == nullptr) return MakeKinesisError(errors::kUnknownOperation, {operation});
  auto result = (*op)(*env_, ctx, input);
  // A log that vanished under a reader is a store-level failure: Kinesis's InternalFailure (the pipeline
  // logs and words every 500 the same way).
  if (!result.ok() && result.error().code == "NoSuchLog") return InternalError(result.error().message);
  return result;
}

Status KinesisProvider::Maintain() {
  Env& env = *env_;
  std::vector<std::shared_ptr<StreamState>> all;
  {
    std::lock_guard<std::mutex> g(env.mu);
    for (const auto& [_, s] : env.streams) all.push_back(s);
  }
  const std::int64_t now = env.Now();
  for (const auto& s : all) {
    std::string status;
    {
      std::shared_lock<std::shared_mutex> g(s->mu);
      status = env.EffectiveStatus(*s);
    }
    if (status.empty()) {
      CENOTE_RETURN_IF_ERROR(env.Purge(s->name));
      continue;
    }
    std::unique_lock<std::shared_mutex> g(s->mu);
    const std::int64_t retention_ms = static_cast<std::int64_t>(s->retention_hours) * 3600 * 1000;
    bool changed = false;
    std::vector<ShardState> kept;
    for (auto& sh : s->shards) {
      if (!sh.open() && *sh.closed_ms + retention_ms < now) {
        // Every record of a shard closed longer ago than the retention period has expired.
        Status st = env.log.DeleteLog(s->LogName(sh));
        if (!st) spdlog::warn("kinesis: cannot delete log {}: {}", s->LogName(sh), st.error().message);
        changed = true;
        continue;
      }
      auto trimmed = env.log.Trim(s->LogName(sh), now - retention_ms);
      if (!trimmed) spdlog::warn("kinesis: trim {}: {}", s->LogName(sh), trimmed.error().message);
      kept.push_back(sh);
    }
    if (changed) {
      s->shards = std::move(kept);
      CENOTE_RETURN_IF_ERROR(env.Save(*s));
    }
    // Consumers whose DELETING state ended.
    auto before = s->consumers.size();
    std::erase_if(s->consumers, [&](const ConsumerState& c) { return env.EffectiveStatus(c).empty(); });
    if (s->consumers.size() != before) CENOTE_RETURN_IF_ERROR(env.Save(*s));
  }
  return Status::Ok();
}

std::map<std::string, StreamMetrics> KinesisProvider::Metrics() const {
  std::map<std::string, StreamMetrics> out;
  std::lock_guard<std::mutex> g(env_->mu);
  for (const auto& [name, s] : env_->streams) {
    std::lock_guard<std::mutex> m(s->metrics_mu);
    out[name] = s->metrics;
  }
  return out;
}

}  // namespace cenote::kinesis
