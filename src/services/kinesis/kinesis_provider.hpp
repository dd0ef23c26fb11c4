// KinesisProvider: Amazon Kinesis Data Streams (json 1.1, "kinesis") over the MetadataStore and a
// StreamLog.
//
// Storage: stream metadata (status, shards with their hash-key ranges and lineage, tags, consumers,
// retention, resource policies) lives in the MetadataStore (component "kinesis": one JSON document per
// stream, written in one transaction per control-plane call) and is cached in memory; records live in
// the StreamLog, one log per shard ("<stream uid>/<shard id>"), so PutRecords never writes SQLite.
//
// Sequence numbers are 56-digit decimal strings: "49" + the shard log's 20-digit sequence + the 10-digit
// shard index + 24 zeros. They sort lexically and numerically within a shard; a shard's log starts at
// (creation time in ms << 16), above its parents' last sequences, so children sort after parents.
//
// Shard iterators are base64 of a small JSON position (stream, creation time, shard, next log sequence,
// issue time) plus an HMAC-SHA256 tag under a server secret kept in the MetadataStore; they expire 5
// minutes after issue (ExpiredIteratorException).
//
// Thread safety: Invoke may be called concurrently. A provider-wide mutex guards the stream map; each
// stream has a shared_mutex (PutRecords/GetRecords/Describe* shared; control-plane changes exclusive, so
// a shard is closed only when no append to it is in flight) plus small mutexes for its rate limiters
// and metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::kinesis {

struct KinesisOptions {
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  // How long a stream stays CREATING / UPDATING / DELETING (and a consumer CREATING / DELETING) before
  // the next state. 0: the next call already sees the final state. (boto3's and the CLI's waiters poll
  // every 10 s, so a long transition only slows clients down.)
  std::int64_t transition_ms = 0;
  // Account limits (AWS defaults).
  int shard_limit = 500;
  int on_demand_stream_limit = 50;
  int on_demand_shard_count = 4;
  int max_consumers_per_stream = 20;
  // Per-shard throttling with token buckets (1 s of burst). AWS allows 1 MiB/s and 1000 records/s of
  // writes and 5 GetRecords calls/s per shard; the defaults are 100x that so tests stay deterministic.
  // 0 disables a limit.
  std::int64_t write_bytes_per_second = 100ll * 1024 * 1024;
  std::int64_t write_records_per_second = 100'000;
  std::int64_t get_records_per_second = 500;
  // Retention trimming and deleted-stream cleanup run every this many ms on a background thread
  // (0: never; tests call Maintain()).
  std::int64_t maintenance_interval_ms = 60'000;
  // Milliseconds since the epoch; injectable for tests (iterator expiry, retention, transitions).
  std::function<std::int64_t()> clock;
};

// Per-stream counters since start (CloudWatch's AWS/Kinesis metric names).
struct StreamMetrics {
  std::int64_t incoming_records = 0;                       // IncomingRecords
  std::int64_t incoming_bytes = 0;                         // IncomingBytes
  std::int64_t put_record_success = 0;                     // PutRecord.Success
  std::int64_t put_records_total_records = 0;              // PutRecords.TotalRecords
  std::int64_t put_records_successful_records = 0;         // PutRecords.SuccessfulRecords
  std::int64_t put_records_failed_records = 0;             // PutRecords.FailedRecords
  std::int64_t put_records_throttled_records = 0;          // PutRecords.ThrottledRecords
  std::int64_t write_provisioned_throughput_exceeded = 0;  // WriteProvisionedThroughputExceeded
  std::int64_t get_records_records = 0;                    // GetRecords.Records
  std::int64_t get_records_bytes = 0;                      // GetRecords.Bytes
  std::int64_t get_records_success = 0;                    // GetRecords.Success
  std::int64_t get_records_iterator_age_ms = 0;            // GetRecords.IteratorAgeMilliseconds (latest)
  std::int64_t read_provisioned_throughput_exceeded = 0;   // ReadProvisionedThroughputExceeded
};

class KinesisProvider final : public aws::Provider {
 public:
  // Runs the "kinesis" migrations, loads the streams, creates the iterator secret on first start and
  // removes logs that no stream references (crash between DeleteStream's steps). The stores must
  // outlive the provider.
  static Result<std::unique_ptr<KinesisProvider>> Open(store::MetadataStore& metadata, store::StreamLog& log,
                                                       KinesisOptions options);
  ~KinesisProvider() override;

  std::string_view service() const override { return "kinesis"; }
  bool Implements(std::string_view operation) const override;
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override;

  // The operations Invoke implements; every other operation of the model answers
  // UnknownOperationException.
  static const std::vector<std::string_view>& SupportedOperations();

  // Background work, also callable directly: trims records past retention, drops shards closed longer
  // than the retention period, and removes streams whose DELETING state has ended.
  Status Maintain();

  // A snapshot of every stream's counters, by stream name.
  std::map<std::string, StreamMetrics> Metrics() const;

  // Implementation detail shared by the translation units of this directory.
  struct Env;

 private:
  explicit KinesisProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
};

}  // namespace cenote::kinesis
