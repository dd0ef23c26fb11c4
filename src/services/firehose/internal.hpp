// Shared internals of the Firehose provider: in-memory delivery stream state, prefix expressions,
// compression, the roles of in-process calls and the handlers each .cpp of this directory implements.
// Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

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

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "services/common/data_key_cache.hpp"
#include "services/common/params.hpp"
#include "services/firehose/errors.hpp"
#include "services/firehose/firehose_provider.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::firehose {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::size_t kMaxRecordBytes = 1000 * 1024;     // one record, before base64
inline constexpr std::size_t kMaxBatchBytes = 4 * 1024 * 1024;  // one PutRecordBatch call
inline constexpr std::size_t kMaxBatchRecords = 500;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr const char* kDestinationId = "destinationId-000000000001";

// ---- where a delivery stream lives ----
// A delivery stream's name in its namespace: names are unique per account and region.
struct StreamKey {
  std::string account;
  std::string region;
  std::string name;
  auto operator<=>(const StreamKey&) const = default;
};
// arn:aws:firehose:<region>:<account>:deliverystream/<name>
std::string DeliveryStreamArn(const StreamKey& key);

// ---- roles (roles.cpp) ----
// The service principal of Firehose's in-process calls (aws::Caller::invoked_by, CloudTrail's invokedBy).
inline constexpr const char* kFirehoseServicePrincipal = "firehose.amazonaws.com";
// The session names Firehose's assumed-role sessions carry: AWS's own for S3 delivery (seen in CloudTrail
// and S3 event records as ".../assumed-role/<role>/AWSFirehoseToS3"); for reading a Kinesis source, where
// AWS documents none, one in the same style.
inline constexpr const char* kS3DeliverySession = "AWSFirehoseToS3";
inline constexpr const char* kKinesisSourceSession = "AWSFirehoseFromKinesis";
// The principal of a session of `role_arn` (arn:aws:iam::<account>:role/<path/><name>) named `session`:
// account_id the role's account, arn "arn:aws:sts::<account>:assumed-role/<name>/<session>", not root.
// Until IAM evaluates roles this is how a role is represented. A role ARN that does not parse (stored
// before the parse stage checked the model's pattern) keeps `owner_account` and its own text as the name.
iam::Principal AssumedRolePrincipal(std::string_view role_arn, std::string_view session,
                                    const std::string& owner_account);
// The region of a Kinesis stream ARN (arn:aws:kinesis:<region>:...); "" when it is not one.
std::string ArnRegion(std::string_view arn);

// ---- prefixes.cpp ----
// Java DateTimeFormatter subset (yyyy yy MM M dd d HH H mm ss, 'quoted text', other literal chars) in UTC.
Result<std::string> FormatJavaTimestamp(std::string_view pattern, std::int64_t ms);
struct PrefixContext {
  std::int64_t timestamp_ms = 0;  // arrival of the batch's first record
  std::string random_string;      // !{firehose:random-string}: 11 chars, deterministic per batch
  std::string error_output_type;  // !{firehose:error-output-type}
  // !{partitionKeyFromQuery:k} values; null: dynamic partitioning is off and such expressions are refused.
  const std::map<std::string, std::string>* partition_keys = nullptr;
};
// Expands !{timestamp:...} and !{firehose:...} namespaces. InvalidArgumentException for unknown
// namespaces or malformed expressions (also used to validate prefixes at CreateDeliveryStream).
Result<std::string> ExpandPrefix(std::string_view prefix, const PrefixContext& ctx);
bool HasExpressions(std::string_view prefix);
// "YYYY/MM/DD/HH/" for `ms` in UTC.
std::string DefaultPrefix(std::int64_t ms);
// "YYYY-MM-DD-HH-MM-SS" for `ms` in UTC.
std::string ObjectTimestamp(std::int64_t ms);

// Partition key names used by !{partitionKeyFromQuery:k} expressions of `prefix`.
std::vector<std::string> PartitionKeysIn(std::string_view prefix);

// ---- dynamic_partitioning.cpp ----
struct PartitionQuery {
  struct Step {
    enum Kind { kField, kIndex, kSlice, kFunction } kind = kField;
    std::string name = {};  // field name or function name
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::string arg = {};  // function argument
  };
  struct Key {
    std::string name;
    std::vector<Step> steps;
  };
  std::string text;
  std::vector<Key> keys;
};
// InvalidArgumentException for syntax outside the supported JQ subset.
Result<PartitionQuery> ParsePartitionQuery(std::string_view query);
// The partition keys of one record. Error code "DynamicPartitioning.MetadataExtractionFailed" (AWS's
// error record code) when the record is not JSON or a key is missing, null or not a scalar.
Result<std::map<std::string, std::string>> EvaluatePartitionQuery(const PartitionQuery& query,
                                                                  std::string_view record);
// The MetadataExtractionQuery of an enabled MetadataExtraction processor of `dest`, if any.
std::optional<std::string> MetadataExtractionQuery(const json::object& dest);

// ---- conversion.cpp ----
struct ConversionResult {
  std::size_t converted = 0;  // records written to the Parquet file
  std::string error_lines;    // AWS error records (JSON lines) of the records that failed
};
// Checks a DataFormatConversionConfiguration at CreateDeliveryStream / UpdateDestination.
Status CheckConversion(const FirehoseOptions& options, json::object& dest);
bool ConversionEnabled(const json::object& dest);
// Writes `records` as one Parquet file at `out_path` with the schema of the Glue table named in the
// configuration (in its CatalogId and Region, by default the stream's `account` and `region`). Records that
// are not JSON objects become error records; if DuckDB refuses the batch (a value that does not fit its
// column type), the batch is bisected to the records that do not fit, which become error records with
// DuckDB's message, as AWS fails only those records.
Result<ConversionResult> ConvertToParquet(const FirehoseOptions& options, const std::string& account,
                                          const std::string& region, const json::object& dest,
                                          const std::vector<const store::StreamRecord*>& records,
                                          const std::string& out_path, std::int64_t now);
// One line of an error object: AWS's error record format (JSON, raw data base64-encoded).
std::string ErrorRecord(const store::StreamRecord& r, std::string_view code, std::string_view message,
                        std::int64_t now);

// A ZIP archive holding `data` as one deflated entry named `entry_name` (zlib; objects stay far below the
// 4 GiB limit of classic ZIP fields).
Result<std::string> Zip(std::string_view data, std::string_view entry_name);
// Snappy in the framing format (AWS's "Snappy") and in Hadoop's block format ("HADOOP_SNAPPY").
std::string SnappyFramed(std::string_view data);
std::string HadoopSnappy(std::string_view data);
// The file extension AWS appends for a compression format ("" for UNCOMPRESSED).
std::string_view CompressionExtension(std::string_view format);

// ---- state ----
// One delivery stream. Its identity, type, source and creation state are set before it is shared and never
// change; its destination and tags are guarded by `mu`; its deliveries are serialized by `delivery_mu`.
struct DeliveryStreamState {
  // Identity: immutable once the stream is in Env::streams.
  std::string account;
  std::string region;
  std::string name;
  std::string uid;  // log name
  std::string arn;
  std::string type;    // DirectPut | KinesisStreamAsSource
  std::string status;  // stored: CREATING (ACTIVE once transition_ms passed); deletion removes the stream
  std::int64_t status_ms = 0;
  std::int64_t created_ms = 0;
  bool legacy_s3 = false;  // created with S3DestinationConfiguration
  json::object source;     // Source description ({} for DirectPut)

  // Persisted with the identity (the JSON document of firehose_streams); UpdateDestination and the tag
  // operations change them.
  mutable Mutex mu;
  std::int64_t updated_ms GUARDED_BY(mu) = 0;
  std::int64_t version GUARDED_BY(mu) = 1;
  json::object destination GUARDED_BY(mu);  // ExtendedS3DestinationDescription, defaults filled in
  // Server-side encryption of the buffer (encryption.cpp): {} when disabled, else KeyType, KeyARN (customer
  // keys), Status ENABLED and the GrantId Firehose holds on the key.
  json::object encryption GUARDED_BY(mu);
  std::map<std::string, std::string> tags GUARDED_BY(mu);

  // One flush (and one Kinesis pull) at a time. Taken before `mu`, never after.
  Mutex delivery_mu;
  // KinesisStreamAsSource: per source shard, the last Kinesis sequence number copied into our log (loaded
  // lazily from the MetadataStore and the log's tail).
  bool kinesis_loaded GUARDED_BY(delivery_mu) = false;
  std::map<std::string, std::string> kinesis_positions GUARDED_BY(delivery_mu);

  mutable Mutex metrics_mu;  // a leaf: nothing is locked while it is held
  DeliveryStreamMetrics metrics GUARDED_BY(metrics_mu);

  StreamKey key() const { return StreamKey{account, region, name}; }
};

struct Env {
  Env(store::MetadataStore& metadata, store::StreamLog& log, s3::Lake& lake, aws::Invoker* invoker,
      FirehoseOptions options);

  store::MetadataStore& metadata;
  store::StreamLog& log;
  s3::Lake& lake;
  aws::Invoker* invoker;  // KinesisStreamAsSource reads its source through the pipeline (null: unavailable)
  const FirehoseOptions options;
  std::string owned_key;  // the AWS_OWNED_CMK of buffer encryption (32 bytes), loaded by Open
  // KMS data keys of buffers encrypted under customer keys, and KMS's Decrypt answers (encryption.cpp).
  services::DataKeyCache data_keys{300'000};

  // Guards the map, not the states. Lock order: a stream's `delivery_mu`, then its `mu`, then this; a
  // stream's `metrics_mu` is a leaf.
  mutable Mutex mu;
  std::map<StreamKey, std::shared_ptr<DeliveryStreamState>> streams GUARDED_BY(mu);

  std::int64_t Now() const { return options.clock(); }
  // The key of a stream named by the request: DeliveryStreamName in the caller's account and the request's
  // region.
  static StreamKey KeyOf(const RequestContext& ctx, std::string name) {
    return StreamKey{ctx.account_id(), ctx.region, std::move(name)};
  }
  // The in-process callers of a stream's work: Kinesis reads as the source configuration's role in the
  // source stream's region; S3 writes as the destination's role in the stream's region.
  aws::Caller KinesisSourceCaller(const DeliveryStreamState& s) const;
  aws::Caller S3DeliveryCaller(const DeliveryStreamState& s, const json::object& destination) const;
  // "" when a DELETING stream's transition has ended (it is gone).
  std::string EffectiveStatus(const DeliveryStreamState& s) const;
  // The stream named by DeliveryStreamName in the request's namespace (ResourceNotFoundException when
  // missing or deleted).
  Result<std::shared_ptr<DeliveryStreamState>> FindStream(const RequestContext& ctx,
                                                          const json::object& params);
  // Writes the stream's document in one transaction.
  Status Save(const DeliveryStreamState& s) EXCLUSIVE_LOCKS_REQUIRED(s.mu);
  Status Erase(const DeliveryStreamState& s);
  Result<std::uint64_t> DeliveredPosition(const DeliveryStreamState& s);
  Status CommitPosition(const DeliveryStreamState& s, std::uint64_t next_sequence);
  // KinesisStreamAsSource: copies new records of the source stream into the stream's log. Returns the
  // number of records copied.
  Result<int> PullFromKinesis(DeliveryStreamState& s) EXCLUSIVE_LOCKS_REQUIRED(s.delivery_mu);
  // Flushes one stream when due (or forced). Returns the number of objects written.
  Result<int> Deliver(DeliveryStreamState& s, bool force);
};

// ---- server-side encryption of the buffer (encryption.cpp) ----
// The stored encryption for a DeliveryStreamEncryptionConfigurationInput: checks it and, for a customer
// managed key, creates Firehose's grant on it as the caller (InvalidKMSResourceException when KMS refuses).
Result<json::object> EncryptionFor(Env& env, const RequestContext& ctx, const DeliveryStreamState& s,
                                   const json::object& input);
// DescribeDeliveryStream's DeliveryStreamEncryptionConfiguration of the stored encryption.
json::object EncryptionDescription(const json::object& stored);
struct BufferSealer {
  BufferSealer() = default;
  BufferSealer(BufferSealer&&) = default;
  BufferSealer& operator=(BufferSealer&&) = default;
  ~BufferSealer();   // wipes the key
  std::string key;   // 32 bytes
  std::string blob;  // KMS's CiphertextBlob of it; empty for the AWS owned key
};
// The key that seals records accepted now (nullopt when encryption is off): the owned key, or a data key
// from KMS asked as Firehose's service principal (reused 5 minutes).
Result<std::optional<BufferSealer>> SealerFor(Env& env, const DeliveryStreamState& s,
                                              const json::object& encryption);
Result<std::string> SealBuffered(const DeliveryStreamState& s, const BufferSealer& sealer,
                                 std::string_view data);
// The record a sealed buffered record holds (KMS's Decrypt as Firehose for a customer key).
Result<std::string> OpenBuffered(Env& env, const DeliveryStreamState& s, std::string_view sealed);
Result<OperationOutput> StartDeliveryStreamEncryption(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> StopDeliveryStreamEncryption(Env&, const RequestContext&, OperationInput&);

// delivery_streams.cpp
Result<OperationOutput> CreateDeliveryStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteDeliveryStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeDeliveryStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListDeliveryStreams(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UpdateDestination(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> TagDeliveryStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UntagDeliveryStream(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListTagsForDeliveryStream(Env&, const RequestContext&, OperationInput&);
// records.cpp
Result<OperationOutput> PutRecord(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutRecordBatch(Env&, const RequestContext&, OperationInput&);

// Schema of component "firehose": its migrations (one entry per schema version) and the FreshSchema
// generated from them (fresh_schema.inc; the FreshSchema unit test checks and regenerates it).
std::vector<std::string> Migrations(const std::string& default_account, const std::string& default_region);
store::FreshSchema FreshSchema();

}  // namespace cenote::firehose
