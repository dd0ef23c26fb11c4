// Shared internals of the Kinesis provider: in-memory stream state, hash-key and sequence-number
// arithmetic, stream namespaces and ARNs, and the handlers each .cpp of this directory implements.
// Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329); the messages here are
// built that way throughout. Clang has no such warning (and would fail on the unknown name).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <atomic>
#include <boost/json.hpp>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "services/common/data_key_cache.hpp"
#include "services/common/params.hpp"
#include "services/kinesis/errors.hpp"
#include "services/kinesis/kinesis_provider.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::kinesis {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetInt;
using services::GetString;
using U128 = unsigned __int128;

inline constexpr U128 kMaxHashKey = ~static_cast<U128>(0);
inline constexpr std::int64_t kIteratorLifetimeMs = 300'000;
inline constexpr std::size_t kMaxRecordBytes = 1024 * 1024;          // data + partition key
inline constexpr std::size_t kMaxPutRecordsBytes = 5 * 1024 * 1024;  // whole PutRecords request
inline constexpr std::size_t kMaxPutRecordsCount = 500;
inline constexpr std::size_t kMaxGetRecordsBytes = 10 * 1024 * 1024;
inline constexpr std::int64_t kMaxGetRecordsLimit = 10'000;
inline constexpr int kMinRetentionHours = 24;
inline constexpr int kMaxRetentionHours = 8760;
inline constexpr std::size_t kMaxTagsPerStream = 50;

// ---- 128-bit hash keys ----
std::string U128ToString(U128 v);
// Decimal digits only, no sign, no leading zeros except "0", value <= 2^128-1.
std::optional<U128> ParseU128(std::string_view text);
// MD5 of the partition key as a big-endian unsigned 128-bit integer (AWS's mapping to hash keys).
U128 HashKeyOf(std::string_view partition_key);
// [start, end] of shard i of n equal parts of the hash-key space (AWS's split of a new stream).
std::pair<U128, U128> UniformRange(int i, int n);

// ---- sequence numbers ----
// "49" + 20-digit log sequence + 10-digit shard index + 24 zeros (56 digits).
std::string EncodeSequenceNumber(std::uint64_t log_sequence, int shard_index);
struct DecodedSequence {
  std::uint64_t log_sequence = 0;
  int shard_index = 0;
};
std::optional<DecodedSequence> DecodeSequenceNumber(std::string_view text);
std::string ShardIdOf(int index);  // "shardId-000000000007"

// ---- where a stream lives ----
// A stream's name in its namespace: names are unique per account and region.
struct StreamKey {
  std::string account;
  std::string region;
  std::string name;
  auto operator<=>(const StreamKey&) const = default;
};
// arn:aws:kinesis:<region>:<account>:stream/<name>
std::string StreamArn(const StreamKey& key);
// The key a stream ARN names (arn:aws*:kinesis:<region>:<account>:stream/<name>); nullopt when `arn` is
// not a stream ARN.
std::optional<StreamKey> ParseStreamArn(std::string_view arn);
// The ARN of a consumer registered at `created_ms`: "<stream ARN>/consumer/<name>:<creation epoch seconds>".
std::string ConsumerArn(const std::string& stream_arn, const std::string& name, std::int64_t created_ms);
// Consumer ARN -> (stream ARN, consumer name).
std::optional<std::pair<std::string, std::string>> SplitConsumerArn(const std::string& arn);

// ---- state ----
struct ShardState {
  int index = 0;
  std::string shard_id;
  std::string parent;           // "" when none
  std::string adjacent_parent;  // "" when none
  U128 start_hash = 0;
  U128 end_hash = 0;
  std::uint64_t starting_sequence = 0;           // log sequence of the shard's first record
  std::optional<std::uint64_t> ending_sequence;  // set when closed
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> closed_ms;
  bool open() const { return !ending_sequence.has_value(); }
};

struct ConsumerState {
  std::string name;
  std::string arn;
  std::string status;  // stored: CREATING, ACTIVE, DELETING
  std::int64_t created_ms = 0;
  std::int64_t status_ms = 0;
};

struct TokenBucket {
  double tokens = -1;  // < 0: not started (full)
  std::int64_t last_ms = 0;
  // Takes `n` tokens out of a bucket holding at most `rate` and refilling `rate` per second. False (and
  // nothing taken) when there are not enough. rate <= 0: unlimited.
  bool Take(double n, std::int64_t rate, std::int64_t now_ms);
};

struct ShardLimiter {
  TokenBucket write_bytes;
  TokenBucket write_records;
  TokenBucket get_records;
};

// One stream. Its identity (namespace, name, uid, ARN, creation time) is set before the stream is shared
// and never changes; everything else is guarded by `mu`, or by the small leaf mutexes named below.
struct StreamState {
  // Identity: immutable once the stream is in Env::streams.
  std::string account;
  std::string region;
  std::string name;
  std::string uid;  // log directory of the stream
  std::string arn;
  std::int64_t created_ms = 0;

  // Shared for reads and appends; exclusive for control-plane changes (see KinesisProvider).
  mutable SharedMutex mu;
  // Persisted (the JSON document of kinesis_streams).
  std::string status GUARDED_BY(mu);  // stored: CREATING, ACTIVE, UPDATING, DELETING
  std::int64_t status_ms GUARDED_BY(mu) = 0;
  std::string mode GUARDED_BY(mu) = "PROVISIONED";
  int retention_hours GUARDED_BY(mu) = 24;
  int next_shard_index GUARDED_BY(mu) = 0;
  std::vector<ShardState> shards GUARDED_BY(mu);  // by index; closed shards stay until they expire
  std::map<std::string, std::string> tags GUARDED_BY(mu);
  std::vector<ConsumerState> consumers GUARDED_BY(mu);
  std::string encryption_type GUARDED_BY(mu) = "NONE";
  std::string key_id GUARDED_BY(mu);
  std::vector<std::string> shard_level_metrics GUARDED_BY(mu);
  std::optional<std::string> policy GUARDED_BY(mu);

  // Refreshed by Env::Save (with `mu` held) and read without it: account limits count them while other
  // streams' locks are held.
  mutable std::atomic<int> open_shard_count{0};
  mutable std::atomic<bool> on_demand{false};

  Mutex limiter_mu;  // a leaf: nothing is locked while it is held
  std::map<std::string, ShardLimiter> limiters GUARDED_BY(limiter_mu);  // by shard id
  mutable Mutex metrics_mu;                                             // a leaf too
  StreamMetrics metrics GUARDED_BY(metrics_mu);

  StreamKey key() const { return StreamKey{account, region, name}; }
  std::string LogName(const ShardState& shard) const { return uid + "/" + shard.shard_id; }
  ShardState* FindShard(std::string_view shard_id) SHARED_LOCKS_REQUIRED(mu);
  std::vector<const ShardState*> OpenShards() const SHARED_LOCKS_REQUIRED(mu);  // by starting hash key
};

struct Env {
  Env(store::MetadataStore& metadata, store::StreamLog& log, KinesisOptions options);

  store::MetadataStore& metadata;
  store::StreamLog& log;
  const KinesisOptions options;
  std::string iterator_secret;  // set by Open before any call, then read-only
  // Data keys of encrypted streams, and KMS's Decrypt answers, per caller (encryption.cpp).
  services::DataKeyCache data_keys;

  // Guards the map, not the states. Lock order: a stream's `mu` may be held while taking `mu`, never
  // the other way round.
  mutable Mutex mu;
  std::map<StreamKey, std::shared_ptr<StreamState>> streams GUARDED_BY(mu);

  // SubscribeToShard: the live subscription per "<consumer ARN>|<shard id>" (subscribe.cpp).
  struct Subscription {
    std::int64_t started_ms = 0;
    std::uint64_t generation = 0;
  };
  Mutex subscriptions_mu;
  std::map<std::string, Subscription> subscriptions GUARDED_BY(subscriptions_mu);
  std::uint64_t next_subscription GUARDED_BY(subscriptions_mu) = 0;

  // Set by the provider's destructor: SubscribeToShard bodies end at their next poll.
  void Shutdown();
  bool ShuttingDown();
  // Sleeps `ms`, or less when the provider shuts down meanwhile.
  void SleepUnlessShutdown(std::int64_t ms);

  std::int64_t Now() const { return options.clock(); }
  // The key of a stream named by the request: StreamName in the caller's account and the request's
  // region.
  static StreamKey KeyOf(const RequestContext& ctx, std::string name) {
    return StreamKey{ctx.account_id(), ctx.region, std::move(name)};
  }

  // The state a client sees, given the stored one and transition_ms: CREATING/UPDATING become ACTIVE,
  // DELETING becomes "" (gone).
  std::string EffectiveStatus(const StreamState& s) const SHARED_LOCKS_REQUIRED(s.mu);
  std::string EffectiveStatus(const ConsumerState& c) const;

  // The stream named by StreamName and/or StreamARN (InvalidArgument when neither or they disagree;
  // ResourceNotFound when missing, gone, or named by an ARN of another region).
  Result<std::shared_ptr<StreamState>> FindStream(const RequestContext& ctx, const json::object& params);
  Result<std::shared_ptr<StreamState>> FindStream(const StreamKey& key);
  // ResourceInUse unless ACTIVE.
  Status RequireActive(const StreamState& s) const SHARED_LOCKS_REQUIRED(s.mu);

  // Writes the stream's document (the caller holds the stream's lock exclusively).
  Status Save(const StreamState& s) EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // Removes a stream for good: row and logs.
  Status Purge(const StreamKey& key);

  // A new shard: log created, lineage set; not yet saved.
  Result<ShardState> NewShard(StreamState& s, U128 start, U128 end, std::uint64_t min_sequence,
                              std::string parent, std::string adjacent_parent) EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  // Closes an open shard at its log's current end.
  Status CloseShard(StreamState& s, ShardState& shard) EXCLUSIVE_LOCKS_REQUIRED(s.mu);

  // Open shards and on-demand streams of one account in one region (the account limits); safe while
  // holding a stream's lock.
  int OpenShardCount(const std::string& account, const std::string& region) const;
  int OnDemandStreamCount(const std::string& account, const std::string& region) const;
  // LimitExceededException when `additional` more open shards would pass the account's shard limit in the
  // region; `tail` ends AWS's message (CreateStream's names the service limits page).
  Status CheckShardLimit(const std::string& account, const std::string& region, int additional,
                         std::string_view tail = ".") const;

  void Count(StreamState& s, const std::function<void(StreamMetrics&)>& update) {
    MutexLock lock(s.metrics_mu);
    update(s.metrics);
  }

 private:
  Mutex shutdown_mu_;
  CondVar shutdown_cv_{shutdown_mu_};
  bool shutting_down_ GUARDED_BY(shutdown_mu_) = false;
};

// ---- parameters and errors ----
// ValidationException for a string member outside [min, max] characters.
Status CheckLength(const json::object& o, std::string_view name, std::string_view wire_name, std::size_t min,
                   std::size_t max, bool required);
// ValidationException for an integer member outside [min, max].
Status CheckRange(const json::object& o, std::string_view name, std::string_view wire_name, std::int64_t min,
                  std::int64_t max);
Error Validation(std::string_view value, std::string_view wire_name, std::string_view constraint);
Error InvalidArgument(std::string message);
Error StreamNotFound(const StreamKey& key);
Error ShardNotFound(const StreamState& s, const std::string& shard);
// Opaque, signed, time-limited pagination tokens (ListShards, ListStreams, ListStreamConsumers).
std::string MakeToken(const Env& env, json::object payload);
Result<json::object> ReadToken(const Env& env, std::string_view token);

// Shape builders.
json::object ShardDocument(const ShardState& shard);
json::object StreamModeDocument(const StreamState& s) SHARED_LOCKS_REQUIRED(s.mu);
json::array EnhancedMonitoringDocument(const StreamState& s) SHARED_LOCKS_REQUIRED(s.mu);

// ---- handlers (services::Handler<Env>) ----
// streams.cpp
Result<OperationOutput> CreateStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeStreamSummary(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListStreams(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> IncreaseStreamRetentionPeriod(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DecreaseStreamRetentionPeriod(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> AddTagsToStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> RemoveTagsFromStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListTagsForStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeLimits(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> EnableEnhancedMonitoring(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DisableEnhancedMonitoring(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> StartStreamEncryption(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> StopStreamEncryption(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UpdateStreamMode(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutResourcePolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetResourcePolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteResourcePolicy(Env&, const RequestContext&, OperationInput&);
// consumers.cpp
Result<OperationOutput> RegisterStreamConsumer(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeStreamConsumer(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListStreamConsumers(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeregisterStreamConsumer(Env&, const RequestContext&, OperationInput&);
// subscribe.cpp
Result<OperationOutput> SubscribeToShard(Env&, const RequestContext&, OperationInput&);
// shards.cpp
Result<OperationOutput> ListShards(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> SplitShard(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> MergeShards(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UpdateShardCount(Env&, const RequestContext&, OperationInput&);
// records.cpp
Result<OperationOutput> PutRecord(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutRecords(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetRecords(Env&, const RequestContext&, OperationInput&);
// iterators.cpp
Result<OperationOutput> GetShardIterator(Env&, const RequestContext&, OperationInput&);

// Shard iterators (iterators.cpp).
struct IteratorPosition {
  StreamKey stream;
  std::int64_t stream_created_ms = 0;
  std::string shard_id;
  std::uint64_t next_sequence = 0;  // log sequence to read from
  std::int64_t issued_ms = 0;
};
std::string EncodeIterator(const Env& env, const IteratorPosition& position);
// InvalidArgumentException for anything not issued by this server or issued in another region than
// `region` (any region when null: the authorizer's lookup of the iterator's stream); ExpiredIteratorException
// past 5 min. Iterators issued before streams were regional name the default namespace.
Result<IteratorPosition> DecodeIterator(const Env& env, std::string_view iterator, const std::string* region);

// ---- server-side encryption of records (encryption.cpp) ----
// The data key that seals records written to a stream under a KMS key: KMS's GenerateDataKey (as the
// caller, via Kinesis, the stream ARN as encryption context), reused for KinesisOptions::data_key_ttl_ms per
// caller. KMS's refusals come back as Kinesis's KMS* errors.
struct RecordSealer {
  RecordSealer() = default;
  RecordSealer(RecordSealer&&) = default;
  RecordSealer& operator=(RecordSealer&&) = default;
  ~RecordSealer();   // wipes the key
  std::string key;   // 32 bytes
  std::string blob;  // KMS's CiphertextBlob of it
};
Result<RecordSealer> SealerFor(Env& env, const RequestContext& ctx, const std::string& stream_arn,
                               const std::string& key_id);
// The sealed form of one record's data (the partition key is authenticated with it).
Result<std::string> SealRecord(const RecordSealer& sealer, std::string_view partition_key,
                               std::string_view data);
// The data of a sealed record: its data key from KMS's Decrypt as the caller (cached as SealerFor's), so a
// reader KMS refuses gets KMSAccessDeniedException.
Result<std::string> OpenRecord(Env& env, const RequestContext& ctx, const std::string& stream_arn,
                               std::string_view partition_key, std::string_view sealed);

// Schema of component "kinesis": its migrations (one entry per schema version) and the FreshSchema
// generated from them (fresh_schema.inc; the FreshSchema unit test checks and regenerates it).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region);
store::FreshSchema FreshSchema();

}  // namespace cenote::kinesis
