// LogsProvider: Amazon CloudWatch Logs (json 1.1, "logs") over a MetadataStore of its own.
//
// Regions: one provider serves every region. A log group lives in the namespace of (account, region) of the
// request that created it; its ARN says so (arn:aws:logs:<region>:<account>:log-group:<name>:*). A
// logGroupIdentifier ARN names its own account and region.
//
// Storage: everything (groups, streams, events, metric and subscription filters, resource policies and the
// subscription outbox) lives in one SQLite database of the service's own, <data-dir>/logs/logs.db (component
// "logs"), not the shared metadata store: log ingestion is the platform's heaviest write path and SQLite
// serializes writers, so it must not queue other services' control-plane commits behind it. Events are rows
// (group, stream, timestamp, ingestion time, message) with two indexes, (stream, timestamp, rowid) for
// GetLogEvents and (group, timestamp, rowid) for FilterLogEvents and Insights, so every read is a range scan
// in the order clients page in. A PutLogEvents is one transaction (its events, the stream's counters and the
// subscription outbox rows), durable (synchronous=FULL) before the answer: acknowledged events survive kill
// -9.
//
// Background work (one task): retention (events older than the group's retentionInDays, measured with
// LogsOptions::day_ms as a day, so tests shorten days as S3 lifecycle does) and subscription deliveries
// (the outbox: at-least-once, retried with backoff, a row deleted only after its destination accepted it).
//
// Logs Insights queries run on an evaluator of this directory (insights.hpp), over the events the query's
// groups hold in its time range; their state is in memory (a restart forgets queries, as the results would
// expire anyway).
//
// Thread safety: handlers run concurrently; the store serializes writers; queries have their own mutex.
#pragma once

#include <atomic>
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

namespace cenote::query {
class QueryEngine;
}  // namespace cenote::query

namespace cenote::logs {

struct LogsOptions {
  // Milliseconds since the epoch; injectable for tests.
  std::function<std::int64_t()> clock;
  // The length of a retention "day" (S3 lifecycle's test clock: --lifecycle-day-seconds); 86,400,000 on a
  // real server.
  std::int64_t day_ms = 86'400'000;
  // Retention and subscription delivery run every this many ms as a background task (0: never; tests call
  // Maintain()).
  std::int64_t maintenance_interval_ms = 1'000;
  // Subscription deliveries (Kinesis, Firehose, Lambda) go through this invoker. Null: none are made.
  aws::Invoker* invoker = nullptr;
  // Logs Insights queries run on the shared query engine (opened on first use), over the events exported
  // to a file under `scratch_dir` (a directory the engine may read). No engine: StartQuery's queries fail.
  std::function<Result<query::QueryEngine*>()> engine;
  std::string scratch_dir;
};

struct Env;

class LogsProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "logs" migrations on `store` and starts the maintenance task when
  // options.maintenance_interval_ms > 0. `store` and `tasks` must outlive the provider.
  static Result<std::unique_ptr<LogsProvider>> Open(store::MetadataStore& store, BackgroundTasks& tasks,
                                                    LogsOptions options);
  ~LogsProvider() override;

  std::string_view service() const override { return "logs"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // One round of background work: retention, then subscription deliveries. Returns the deliveries still
  // pending.
  std::int64_t Maintain();

  // The action map's LogGroupArn lookup for the authorizer: iam::ResourceAuthority "logs".
  static std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit LogsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::atomic<std::int64_t> last_retention_ms_{0};
  std::unique_ptr<BackgroundTask> maintenance_;
};

// The schema steps of component "logs" and the script they end at (fresh_schema.inc).
std::vector<std::string> Migrations();
store::FreshSchema FreshSchema();

}  // namespace cenote::logs
