// KinesisProvider: Amazon Kinesis Data Streams (json 1.1, "kinesis") over the MetadataStore and a
// StreamLog.
//
// Regions: one provider serves every region. A stream lives in the namespace of (account, region) of the
// request that created it: names are unique per account and region, ListStreams shows one region's
// streams, and the ARN says where the stream is (arn:aws:kinesis:<region>:<account>:stream/<name>;
// consumer ARNs extend it). A StreamARN or ConsumerARN is resolved in its own account, in the request's
// region: as AWS, an ARN of another region names no stream here. Shard iterators and pagination tokens
// carry their stream's namespace and are refused in another region.
//
// Storage: stream metadata (status, shards with their hash-key ranges and lineage, tags, consumers,
// retention, resource policies) lives in the MetadataStore (component "kinesis": one JSON document per
// stream, keyed by account, region and name, written in one transaction per control-plane call) and is
// cached in memory; records live in the StreamLog, one log per shard ("<stream uid>/<shard id>"), so
// PutRecords never writes SQLite. Streams stored before regions (schema v2 and older) belong to
// KinesisOptions::default_account / default_region.
//
// Sequence numbers are 56-digit decimal strings: "49" + the shard log's 20-digit sequence + the 10-digit
// shard index + 24 zeros. They sort lexically and numerically within a shard; a shard's log starts at
// (creation time in ms << 16), above its parents' last sequences, so children sort after parents.
//
// Shard iterators are base64 of a small JSON position (stream account, region and name, creation time,
// shard, next log sequence, issue time) plus an HMAC-SHA256 tag under a server secret kept in the
// MetadataStore; they expire 5 minutes after issue (ExpiredIteratorException).
//
// Thread safety: handlers run concurrently. The provider-wide map of streams has its own mutex; each
// stream has a shared mutex (PutRecords/GetRecords/Describe* shared; control-plane changes exclusive, so
// a shard is closed only when no append to it is in flight) plus small mutexes for its rate limiters and
// metrics (internal.hpp says which guards what). Retention and deleted-stream cleanup run as a
// BackgroundTask over the streams of every region.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::kinesis {

struct KinesisOptions {
  // The namespace of streams stored before streams were regional (and of shard iterators and tokens
  // issued then): the data directory's root account and its default region. Requests never use these: a
  // request's stream lives in its own account and region.
  std::string default_account = "000000000000";
  std::string default_region = "us-east-1";
  // How long a stream stays CREATING / UPDATING / DELETING (and a consumer CREATING / DELETING) before
  // the next state. 0: the next call already sees the final state. (boto3's and the CLI's waiters poll
  // every 10 s, so a long transition only slows clients down.)
  std::int64_t transition_ms = 0;
  // Account limits, per account and region (AWS defaults).
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
  // Retention trimming and deleted-stream cleanup run every this many ms as a background task
  // (0: never; tests call Maintain()).
  std::int64_t maintenance_interval_ms = 60'000;
  // Milliseconds since the epoch; injectable for tests (iterator expiry, retention, transitions).
  std::function<std::int64_t()> clock;
  // How stream encryption reaches KMS (in-process, as each request's caller via Kinesis); null: records of
  // an encrypted stream cannot be written or read (InternalFailure). Must outlive the provider.
  aws::Invoker* invoker = nullptr;
  // How long a data key from KMS (and KMS's Decrypt of one) is reused, per caller: AWS's "approximately
  // every five minutes".
  std::int64_t data_key_ttl_ms = 300'000;
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

// The provider's state, shared by the handlers of this directory (internal.hpp).
struct Env;

class KinesisProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "kinesis" migrations, loads the streams, creates the iterator secret on first start and
  // removes logs that no stream references (crash between DeleteStream's steps). Starts the maintenance
  // task on `tasks` when options.maintenance_interval_ms > 0. The stores and `tasks` must outlive the
  // provider.
  static Result<std::unique_ptr<KinesisProvider>> Open(store::MetadataStore& metadata, store::StreamLog& log,
                                                       BackgroundTasks& tasks, KinesisOptions options);
  ~KinesisProvider() override;  // stops maintenance; live SubscribeToShard bodies end at their next poll

  std::string_view service() const override { return "kinesis"; }
  // The table's handlers, and a log that vanished under a reader (NoSuchLog, 404 from the store) made an
  // internal failure: it is the store's, not a missing resource of the client's.
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override;

  // The operations of the table; the pipeline answers every other operation of the model.
  static const std::vector<std::string_view>& SupportedOperations();

  // Background work, also callable directly: trims records past retention, drops shards closed longer
  // than the retention period, and removes streams and consumers whose DELETING state has ended, in
  // every region.
  Status Maintain();

  // The action map's lookups for the authorizer (the stream of a shard iterator, of a ListShards token, a
  // consumer's ARN): iam::ResourceAuthority "kinesis". The provider must outlive it.
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

  // A snapshot of every stream's counters, by stream ARN.
  std::map<std::string, StreamMetrics> Metrics() const;

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit KinesisProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> maintenance_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::kinesis
