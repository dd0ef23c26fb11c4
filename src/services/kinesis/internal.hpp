// Shared internals of the Kinesis provider: in-memory stream state, hash-key and sequence-number
// arithmetic, parameter access and the operation functions each .cpp of this directory implements.
// Not part of the public API.
#pragma once

// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329); the messages here are
// built that way throughout. Clang has no such warning (and would fail on the unknown name).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "services/kinesis/errors.hpp"
#include "services/kinesis/kinesis_provider.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::kinesis {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
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

struct StreamState {
  // Persisted (the JSON document of kinesis_streams).
  std::string name;
  std::string uid;  // log directory of the stream
  std::string arn;
  std::string status;  // stored: CREATING, ACTIVE, UPDATING, DELETING
  std::int64_t status_ms = 0;
  std::string mode = "PROVISIONED";
  int retention_hours = 24;
  std::int64_t created_ms = 0;
  int next_shard_index = 0;
  std::vector<ShardState> shards;  // by index; closed shards stay until they expire
  std::map<std::string, std::string> tags;
  std::vector<ConsumerState> consumers;
  std::string encryption_type = "NONE";
  std::string key_id;
  std::vector<std::string> shard_level_metrics;
  std::optional<std::string> policy;

  // Runtime only.
  mutable std::atomic<int> open_shard_count{0};  // refreshed by Env::Save, read without the lock
  mutable std::shared_mutex mu;                  // see KinesisProvider's thread-safety note
  std::mutex limiter_mu;
  std::map<std::string, ShardLimiter> limiters;  // by shard id
  mutable std::mutex metrics_mu;
  StreamMetrics metrics;

  std::string LogName(const ShardState& shard) const { return uid + "/" + shard.shard_id; }
  ShardState* FindShard(std::string_view shard_id);
  std::vector<const ShardState*> OpenShards() const;  // by starting hash key
};

struct KinesisProvider::Env {
  store::MetadataStore& metadata;
  store::StreamLog& log;
  KinesisOptions options;
  std::string iterator_secret;

  mutable std::mutex mu;  // guards streams (the map, not the states)
  std::map<std::string, std::shared_ptr<StreamState>> streams;

  // SubscribeToShard: the live subscription per "<consumer ARN>|<shard id>" (subscribe.cpp).
  struct Subscription {
    std::int64_t started_ms = 0;
    std::uint64_t generation = 0;
  };
  std::mutex subscriptions_mu;
  std::map<std::string, Subscription> subscriptions;
  std::uint64_t next_subscription = 0;

  std::mutex maintenance_mu;
  std::condition_variable maintenance_cv;
  bool stopping = false;
  std::thread maintenance;

  std::int64_t Now() const { return options.clock(); }
  const std::string& Account() const { return options.account_id; }
  std::string StreamArn(const std::string& name) const {
    return "arn:aws:kinesis:" + options.region + ":" + options.account_id + ":stream/" + name;
  }

  // The state a client sees, given the stored one and transition_ms: CREATING/UPDATING become ACTIVE,
  // DELETING becomes "" (gone).
  std::string EffectiveStatus(const StreamState& s) const;
  std::string EffectiveStatus(const ConsumerState& c) const;

  // The stream named by StreamName and/or StreamARN (InvalidArgument when neither or they disagree;
  // ResourceNotFound when missing or gone).
  Result<std::shared_ptr<StreamState>> FindStream(const json::object& params);
  Result<std::shared_ptr<StreamState>> FindStreamByName(const std::string& name);
  // Same, and ResourceInUse unless ACTIVE (call with the stream's lock held).
  Status RequireActive(const StreamState& s) const;

  // Writes the stream's document (the caller holds the stream's lock exclusively).
  Status Save(const StreamState& s);
  // Removes a stream for good: rows and logs.
  Status Purge(const std::string& name);

  // A new shard: log created, lineage set; not yet saved.
  Result<ShardState> NewShard(StreamState& s, U128 start, U128 end, std::uint64_t min_sequence,
                              std::string parent, std::string adjacent_parent);
  // Closes an open shard at its log's current end.
  Status CloseShard(StreamState& s, ShardState& shard);

  // Total open shards over all streams (for the account shard limit); safe while holding a stream lock.
  int OpenShardCount() const;

  void Count(StreamState& s, const std::function<void(StreamMetrics&)>& update) {
    std::lock_guard<std::mutex> g(s.metrics_mu);
    update(s.metrics);
  }
};
using Env = KinesisProvider::Env;

using OpFn = Result<OperationOutput> (*)(Env&, const RequestContext&, OperationInput&);

// ---- parameters ----
std::optional<std::string> Str(const json::object& o, std::string_view name);
std::optional<std::int64_t> Int(const json::object& o, std::string_view name);
// ValidationException for a string member outside [min, max] characters.
Status CheckLength(const json::object& o, std::string_view name, std::string_view wire_name, std::size_t min,
                   std::size_t max, bool required);
// ValidationException for an integer member outside [min, max].
Status CheckRange(const json::object& o, std::string_view name, std::string_view wire_name, std::int64_t min,
                  std::int64_t max);
Error Validation(std::string_view value, std::string_view wire_name, std::string_view constraint);
Error InvalidArgument(std::string message);
Error StreamNotFound(const Env& env, const std::string& name);
Error ShardNotFound(const Env& env, const std::string& stream, const std::string& shard);
// Opaque, signed, time-limited pagination tokens (ListShards, ListStreams, ListStreamConsumers).
std::string MakeToken(const Env& env, json::object payload);
Result<json::object> ReadToken(const Env& env, std::string_view token);

// Shape builders.
json::object ShardDocument(const ShardState& shard);
json::object StreamModeDocument(const StreamState& s);
json::array EnhancedMonitoringDocument(const StreamState& s);

// ---- operations ----
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
// Consumer ARN "<stream ARN>/consumer/<name>:<creation epoch seconds>" -> (stream ARN, consumer name).
std::optional<std::pair<std::string, std::string>> SplitConsumerArn(const std::string& arn);
// subscribe.cpp
Result<OperationOutput> SubscribeToShard(Env&, const RequestContext&, OperationInput&);
// One binary event-stream message (application/vnd.amazon.eventstream): prelude (total length, headers
// length, CRC32), string-typed headers, payload, message CRC32.
std::string EventStreamMessage(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view payload);
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
  std::string stream;
  std::int64_t stream_created_ms = 0;
  std::string shard_id;
  std::uint64_t next_sequence = 0;  // log sequence to read from
  std::int64_t issued_ms = 0;
};
std::string EncodeIterator(const Env& env, const IteratorPosition& position);
// InvalidArgumentException for anything not issued by this server; ExpiredIteratorException past 5 min.
Result<IteratorPosition> DecodeIterator(const Env& env, std::string_view iterator);

}  // namespace cenote::kinesis
