// FirehoseProvider: Amazon Data Firehose (json 1.1, "firehose") delivering into the lake (S3).
//
// Regions: one provider serves every region. A delivery stream lives in the namespace of (account, region)
// of the request that created it: names are unique per account and region, ListDeliveryStreams shows one
// region's streams, and the ARN says where the stream is (arn:aws:firehose:<region>:<account>:
// deliverystream/<name>).
//
// Storage: one JSON document per delivery stream (configuration, version, tags; keyed by account, region
// and name) and its delivered position live in the MetadataStore (component "firehose"); accepted records
// live in a StreamLog (one log per delivery stream, named by the stream's internal uid) under
// <data-dir>/firehose, appended and fsynced before PutRecord/PutRecordBatch return, so accepted records
// survive kill -9. Streams stored before regions (schema v3 and older) belong to
// FirehoseOptions::default_account / default_region.
//
// Delivery (DeliverDue, run as a BackgroundTask every FirehoseOptions::delivery_poll_ms, over the streams
// of every region): a stream's buffer is flushed when the undelivered bytes reach BufferingHints.SizeInMBs
// or its oldest undelivered record is IntervalInSeconds old. A flush concatenates the records (no
// delimiter, as AWS; "\n" after each with the AppendDelimiterToRecord processor), compresses them and
// writes ONE object through the lake at
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
// Calls into other services go through the request pipeline as the roles the stream is configured with,
// as AWS's Firehose assumes them, invoked by "firehose.amazonaws.com": S3 writes (s3::Lake::For, one
// LakeAccess per delivery) as the destination's RoleARN in the stream's region; Kinesis reads as the source
// configuration's RoleARN in the source stream ARN's region.
//
// Thread safety: handlers and DeliverDue run concurrently. The map of streams has its own mutex; each
// stream's configuration and tags have one, and a per-stream mutex serializes its deliveries (internal.hpp
// says which guards what).
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
#include "services/common/operation_table.hpp"
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
  // The namespace of delivery streams stored before streams were regional: the data directory's root
  // account and its default region. Requests never use these: a request's stream lives in its own account
  // and region.
  std::string default_account = "000000000000";
  std::string default_region = "us-east-1";
  // How long a new stream stays CREATING (and a deleted one DELETING). 0: the next call sees ACTIVE.
  std::int64_t transition_ms = 0;
  // The delivery task runs every this many ms (0: no task; tests call DeliverDue()).
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
  // The file of Firehose's own key (AWS_OWNED_CMK buffer encryption); "": a key in memory only (tests).
  std::string owned_key_file;
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

// The provider's state, shared by the handlers of this directory (internal.hpp).
struct Env;

class FirehoseProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "firehose" migrations and loads the delivery streams; records accepted before a crash or
  // restart and not yet delivered are delivered by the next DeliverDue. `lake` carries deliveries into S3
  // and `invoker` (may be null) KinesisStreamAsSource streams' calls into Kinesis, both through the request
  // pipeline. Starts the delivery task on `tasks` when options.delivery_poll_ms > 0. All references must
  // outlive the provider.
  static Result<std::unique_ptr<FirehoseProvider>> Open(store::MetadataStore& metadata, store::StreamLog& log,
                                                        s3::Lake& lake, aws::Invoker* invoker,
                                                        BackgroundTasks& tasks, FirehoseOptions options);
  ~FirehoseProvider() override;  // stops the delivery task; does not flush (AWS does not either)

  std::string_view service() const override { return "firehose"; }

  // The operations of the table; the pipeline answers every other operation of the model.
  static const std::vector<std::string_view>& SupportedOperations();

  // Flushes every stream whose buffer is due (size or interval reached) at the clock's now, in every
  // region; with `force`, flushes every non-empty buffer. Returns the number of objects written. Errors
  // writing one stream's object do not stop the others; the batch is retried on the next call.
  Result<int> DeliverDue(bool force = false);

  // A snapshot of every stream's counters, by delivery stream ARN.
  std::map<std::string, DeliveryStreamMetrics> Metrics() const;

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit FirehoseProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> delivery_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::firehose
