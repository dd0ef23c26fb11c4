// FirehoseProvider: Amazon Data Firehose (json 1.1, "firehose") delivering into the lake (S3).
//
// Storage: one JSON document per delivery stream (configuration, version, tags) and its delivered position
// live in the MetadataStore (component "firehose"); accepted records live in a StreamLog (one log per
// delivery stream, named by the stream's internal uid) under <data-dir>/firehose, appended and fsynced
// before PutRecord/PutRecordBatch return, so accepted records survive kill -9.
//
// Delivery (DeliverDue, run by a background thread every FirehoseOptions::delivery_poll_ms): a stream's
// buffer is flushed when the undelivered bytes reach BufferingHints.SizeInMBs or its oldest undelivered
// record is IntervalInSeconds old. A flush concatenates the records (no delimiter, as AWS; "\n" after each
// with the AppendDelimiterToRecord processor), compresses them and writes ONE object through LakeAccess at
//     <Prefix, or "YYYY/MM/DD/HH/" (UTC)><name>-<version>-<YYYY-MM-DD-HH-MM-SS>-<uuid>[.gz]
// and only then commits the delivered position. Exactly-once across crashes: the timestamp in the key is
// the arrival of the batch's first record and the uuid is derived from (stream uid, first sequence), so a
// batch replayed after a crash between the PutObject and the position commit overwrites the same key
// (with the same records, or a superset if more arrived) instead of creating a duplicate object. (A changed
// destination version between the crash and the replay yields a new key: the one duplicate case.)
// With dynamic partitioning a batch becomes one object per partition-key set; with format conversion each
// object is Parquet written by the query engine. Records that fail either go to ErrorOutputPrefix as AWS
// error records. KinesisStreamAsSource streams copy their source's records into the same log first.
//
// Thread safety: Invoke and DeliverDue may be called concurrently; one provider-wide mutex guards the
// stream map, a per-stream mutex serializes deliveries of one stream.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"
#include "services/s3/lake_access.hpp"
#include "store/metadata_store.hpp"
#include "store/stream_log.hpp"

namespace cenote::glue {
class Catalog;
}
namespace cenote::query {
class QueryEngine;
}

namespace cenote::firehose {

struct FirehoseOptions {
  std::string account_id = "000000000000";
  std::string region = "us-east-1";
  // How long a new stream stays CREATING (and a deleted one DELETING). 0: the next call sees ACTIVE.
  std::int64_t transition_ms = 0;
  // The background delivery thread polls every this many ms (0: no thread; tests call DeliverDue()).
  std::int64_t delivery_poll_ms = 1000;
  // Account limit on delivery streams per region (AWS default 5000).
  int delivery_stream_limit = 5000;
  // Record format conversion (DataFormatConversionConfiguration, JSON -> Parquet): the Glue catalog holding
  // the schema tables, the query engine that writes Parquet and a directory inside the engine's
  // scratch_dir for the temporary files. All null/empty: conversion is refused at CreateDeliveryStream.
  glue::Catalog* catalog = nullptr;
  query::QueryEngine* engine = nullptr;
  std::string conversion_dir;
  // Milliseconds since the epoch; injectable for tests (buffering intervals, object names).
  std::function<std::int64_t()> clock;
};

// Per-delivery-stream counters since start (CloudWatch AWS/Firehose metric names).
struct DeliveryStreamMetrics {
  std::int64_t incoming_records = 0;   // IncomingRecords
  std::int64_t incoming_bytes = 0;     // IncomingBytes
  std::int64_t delivery_records = 0;   // DeliveryToS3.Records
  std::int64_t delivery_bytes = 0;     // DeliveryToS3.Bytes
  std::int64_t delivery_success = 0;   // DeliveryToS3.Success (objects written)
  std::int64_t delivery_failures = 0;  // failed PutObject attempts (retried on the next poll)
  std::int64_t data_freshness_ms = 0;  // DeliveryToS3.DataFreshness: age of the oldest record at
                                       // its delivery (latest flush)
};

class FirehoseProvider final : public aws::Provider {
 public:
  // Runs the "firehose" migrations and loads the delivery streams; records accepted before a crash or
  // restart and not yet delivered are delivered by the next DeliverDue. `invoker` (may be null) carries
  // KinesisStreamAsSource streams' calls into Kinesis through the request pipeline. All references must
  // outlive the provider. Starts the delivery thread when options.delivery_poll_ms > 0.
  static Result<std::unique_ptr<FirehoseProvider>> Open(store::MetadataStore& metadata, store::StreamLog& log,
                                                        s3::LakeAccess& lake, aws::Invoker* invoker,
                                                        FirehoseOptions options);
  ~FirehoseProvider() override;  // stops the delivery thread; does not flush (AWS does not either)

  std::string_view service() const override { return "firehose"; }
  bool Implements(std::string_view operation) const override;
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override;

  static const std::vector<std::string_view>& SupportedOperations();

  // Flushes every stream whose buffer is due (size or interval reached) at the clock's now; with
  // `force`, flushes every non-empty buffer. Returns the number of objects written. Errors writing one
  // stream's object do not stop the others; the batch is retried on the next call.
  Result<int> DeliverDue(bool force = false);

  std::map<std::string, DeliveryStreamMetrics> Metrics() const;

  struct Env;

 private:
  explicit FirehoseProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
};

}  // namespace cenote::firehose
