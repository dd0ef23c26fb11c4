// Shared internals of the Firehose provider: in-memory delivery stream state, parameter access, prefix
// expressions, compression and the operation functions each .cpp of this directory implements.
// Not part of the public API.
#pragma once

// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329). Clang has no such
// warning (and would fail on the unknown name).
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"
#include "services/firehose/errors.hpp"
#include "services/firehose/firehose_provider.hpp"
#include "store/stream_log.hpp"

namespace cenote::firehose {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;

inline constexpr std::size_t kMaxRecordBytes = 1000 * 1024;     // one record, before base64
inline constexpr std::size_t kMaxBatchBytes = 4 * 1024 * 1024;  // one PutRecordBatch call
inline constexpr std::size_t kMaxBatchRecords = 500;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr const char* kDestinationId = "destinationId-000000000001";

// ---- parameters ----
std::optional<std::string> Str(const json::object& o, std::string_view key);
std::optional<std::int64_t> Int(const json::object& o, std::string_view key);
std::optional<bool> Bool(const json::object& o, std::string_view key);
const json::object* Obj(const json::object& o, std::string_view key);

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
    enum Kind { kField, kIndex, kSlice, kFunction } kind;
    std::string name;  // field name or function name
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::string arg;  // function argument
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
// configuration. Records that are not JSON objects become error records; if DuckDB refuses the batch (a
// value that does not fit its column type), the batch is bisected to the records that do not fit, which
// become error records with DuckDB's message, as AWS fails only those records.
Result<ConversionResult> ConvertToParquet(const FirehoseOptions& options, const json::object& dest,
                                          const std::vector<const store::StreamRecord*>& records,
                                          const std::string& out_path, std::int64_t now);
// One line of an error object: AWS's error record format (JSON, raw data base64-encoded).
std::string ErrorRecord(const store::StreamRecord& r, std::string_view code, std::string_view message,
                        std::int64_t now);

// ---- compression.cpp ----
// GZIP member of `data` (zlib). InternalFailure when zlib fails.
Result<std::string> Gzip(std::string_view data);
// A ZIP archive holding `data` as one deflated entry named `entry_name` (zlib; objects stay far below the
// 4 GiB limit of classic ZIP fields).
Result<std::string> Zip(std::string_view data, std::string_view entry_name);
// Snappy in the framing format (AWS's "Snappy") and in Hadoop's block format ("HADOOP_SNAPPY").
std::string SnappyFramed(std::string_view data);
std::string HadoopSnappy(std::string_view data);
// The file extension AWS appends for a compression format ("" for UNCOMPRESSED).
std::string_view CompressionExtension(std::string_view format);

// ---- state ----
struct DeliveryStreamState {
  // Persisted (the JSON document of firehose_streams).
  std::string name;
  std::string uid;  // log name
  std::string arn;
  std::string type;    // DirectPut | KinesisStreamAsSource
  std::string status;  // stored: CREATING, ACTIVE, DELETING
  std::int64_t status_ms = 0;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t version = 1;
  json::object destination;  // ExtendedS3DestinationDescription, defaults filled in
  bool legacy_s3 = false;    // created with S3DestinationConfiguration
  json::object source;       // Source description ({} for DirectPut)
  std::map<std::string, std::string> tags;

  // Runtime only.
  std::mutex delivery_mu;  // one flush (and one Kinesis pull) at a time
  // KinesisStreamAsSource: per source shard, the last Kinesis sequence number copied into our log (guarded
  // by delivery_mu; loaded lazily from the MetadataStore and the log's tail).
  bool kinesis_loaded = false;
  std::map<std::string, std::string> kinesis_positions;
  mutable std::mutex metrics_mu;
  DeliveryStreamMetrics metrics;
};

struct FirehoseProvider::Env {
  store::MetadataStore& metadata;
  store::StreamLog& log;
  s3::LakeAccess& lake;
  aws::Invoker* invoker;  // KinesisStreamAsSource reads its source through the pipeline (null: unavailable)
  FirehoseOptions options;

  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<DeliveryStreamState>> streams;  // by name

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread delivery_thread;

  std::int64_t Now() const { return options.clock(); }
  // The in-process caller of Firehose's own calls into Kinesis (the source stream).
  aws::Caller KinesisCaller() const;
  std::string StreamArn(const std::string& name) const {
    return "arn:aws:firehose:" + options.region + ":" + options.account_id + ":deliverystream/" + name;
  }
  // "" when a DELETING stream's transition has ended (it is gone).
  std::string EffectiveStatus(const DeliveryStreamState& s) const;
  // The stream named by DeliveryStreamName (ResourceNotFoundException when missing or deleted).
  Result<std::shared_ptr<DeliveryStreamState>> FindStream(const json::object& params);
  // Writes the stream's document in one transaction.
  Status Save(const DeliveryStreamState& s);
  Status Erase(const DeliveryStreamState& s);
  Result<std::uint64_t> DeliveredPosition(const DeliveryStreamState& s);
  Status CommitPosition(const DeliveryStreamState& s, std::uint64_t next_sequence);
  // KinesisStreamAsSource: copies new records of the source stream into the stream's log (caller holds
  // s.delivery_mu). Returns the number of records copied.
  Result<int> PullFromKinesis(DeliveryStreamState& s);
  // Flushes one stream when due (or forced). Returns the number of objects written.
  Result<int> Deliver(DeliveryStreamState& s, bool force);
};

using OpFn = Result<OperationOutput> (*)(FirehoseProvider::Env&, const RequestContext&, OperationInput&);

// delivery_streams.cpp
Result<OperationOutput> CreateDeliveryStream(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteDeliveryStream(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeDeliveryStream(FirehoseProvider::Env&, const RequestContext&,
                                               OperationInput&);
Result<OperationOutput> ListDeliveryStreams(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UpdateDestination(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> TagDeliveryStream(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UntagDeliveryStream(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListTagsForDeliveryStream(FirehoseProvider::Env&, const RequestContext&,
                                                  OperationInput&);
// records.cpp
Result<OperationOutput> PutRecord(FirehoseProvider::Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutRecordBatch(FirehoseProvider::Env&, const RequestContext&, OperationInput&);

// Document <-> state (firehose_provider.cpp).
json::object ToDocument(const DeliveryStreamState& s);
std::shared_ptr<DeliveryStreamState> FromDocument(const json::object& doc);

}  // namespace cenote::firehose
