// SqsProvider: Amazon Simple Queue Service (json 1.0 and, for older clients, query; "sqs") over the
// MetadataStore (queue definitions) and a StreamLog journal per queue (messages).
//
// Regions: a queue lives in the namespace of (account, region) of the request that created it; its URL is
// http://<the request's Host>/<account>/<name> and its ARN arn:aws:sqs:<region>:<account>:<name>. A
// QueueUrl is resolved by its last two path segments in the request's region, whatever its host.
//
// Storage and durability (at-least-once, as SQS promises):
//   - queue definitions (attributes, tags, policy) are one JSON document per queue in the MetadataStore
//     (component "sqs"), written in one transaction per control-plane call;
//   - every message state change (send, receive, visibility change, delete, purge, move to a dead-letter
//     queue) is a record in the queue's journal (internal.hpp lists them), appended and fsynced,
//     group-committed across concurrent callers, before the call is answered. On start the journals are
//     replayed: an acknowledged send survives kill -9; a received, undeleted message comes back when its
//     visibility timeout (journaled with the receive) ends, also across a restart, with its receive count;
//     a message whose delete was acknowledged is never delivered again. A message is visible to receivers
//     only once its send record is durable.
//   - journals are trimmed by whole segments older than the oldest live message's send record (and than the
//     5-minute FIFO deduplication window), so a queue keeps about its backlog on disk.
//
// Thread safety: handlers run concurrently on the server's workers. The provider-wide map of queues has its
// own mutex; each queue has one mutex over its messages and indexes (internal.hpp), never held across a
// journal append, and a condition variable that long polls (WaitTimeSeconds) wait on: a send wakes them
// the moment its message is durable. FIFO sends to one queue are serialized (send_mu) so that journal order
// is delivery order.
#pragma once

#include <cstdint>
#include <functional>
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

namespace cenote::sqs {

struct SqsOptions {
  // Milliseconds since the epoch; injectable for tests (visibility, delays, retention, dedup windows).
  std::function<std::int64_t()> clock;
  // Retention trimming, expired-message removal and message move tasks run every this many ms as a
  // background task (0: never; tests call Maintain()).
  std::int64_t maintenance_interval_ms = 1'000;
  // The URL host of queues created or listed by in-process calls (no Host header): "localhost:4566".
  std::string default_host = "localhost:4566";
  // Long polls (WaitTimeSeconds) hold a server worker thread each while they wait; at most this many wait at
  // once (half the server's default 64 workers), later ones answer at once (an empty receive, which clients
  // simply repeat), so that waiting consumers can never take every worker from the sends that would wake
  // them.
  int max_waiting_receives = 32;
  // KMS for SSE-KMS queues (data keys asked as the caller); null: sends to a queue with a KmsMasterKeyId fail
  // with KMS.InvalidStateException.
  aws::Invoker* invoker = nullptr;
};

struct Env;

class SqsProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "sqs" migrations, loads the queues and replays their journals, removes journals no queue
  // references (a crash inside DeleteQueue). Starts the maintenance task on `tasks` when
  // options.maintenance_interval_ms > 0. The stores and `tasks` must outlive the provider.
  static Result<std::unique_ptr<SqsProvider>> Open(store::MetadataStore& metadata, store::StreamLog& log,
                                                   BackgroundTasks& tasks, SqsOptions options);
  ~SqsProvider() override;

  std::string_view service() const override { return "sqs"; }

  // The operations of the table; the pipeline answers every other operation of the model.
  static const std::vector<std::string_view>& SupportedOperations();

  // Background work, also callable directly: drops messages past retention, trims journals, advances
  // message move tasks.
  void Maintain();

  // Queue policies and the action map's lookups for the authorizer: iam::ResourceAuthority "sqs". The
  // provider must outlive it.
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit SqsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> maintenance_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::sqs
