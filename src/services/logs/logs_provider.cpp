#include "services/logs/logs_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/clock.hpp"
#include "services/logs/insights.hpp"
#include "services/logs/internal.hpp"

namespace cenote::logs {

// Schema of component "logs": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE logs_groups (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
      "name TEXT NOT NULL, created INTEGER NOT NULL, retention_days INTEGER, kms_key_id TEXT NOT NULL, "
      "class TEXT NOT NULL, tags TEXT NOT NULL, UNIQUE (account, region, name))",
      "CREATE TABLE logs_streams (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, name TEXT NOT NULL, "
      "created INTEGER NOT NULL, first_event INTEGER, last_event INTEGER, last_ingestion INTEGER, "
      "stored_bytes INTEGER NOT NULL, UNIQUE (group_id, name))",
      "CREATE TABLE logs_events (id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL, stream_id INTEGER NOT "
      "NULL, "
      "ts INTEGER NOT NULL, ingestion INTEGER NOT NULL, message TEXT NOT NULL)",
      "CREATE INDEX logs_events_by_stream ON logs_events (stream_id, ts, id)",
      "CREATE INDEX logs_events_by_group ON logs_events (group_id, ts, id)",
      "CREATE TABLE logs_metric_filters (group_id INTEGER NOT NULL, name TEXT NOT NULL, pattern TEXT NOT "
      "NULL, "
      "transformations TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (group_id, name))",
      "CREATE TABLE logs_subscription_filters (group_id INTEGER NOT NULL, name TEXT NOT NULL, "
      "pattern TEXT NOT NULL, destination TEXT NOT NULL, role TEXT NOT NULL, distribution TEXT NOT NULL, "
      "created INTEGER NOT NULL, PRIMARY KEY (group_id, name))",
      "CREATE TABLE logs_outbox (id INTEGER PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
      "destination TEXT NOT NULL, role TEXT NOT NULL, source_arn TEXT NOT NULL, payload TEXT NOT NULL, "
      "attempts INTEGER NOT NULL, next_attempt INTEGER NOT NULL, created INTEGER NOT NULL)",
      "CREATE TABLE logs_resource_policies (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "document TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY (account, region, name))",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/logs/fresh_schema.inc"
      ;
}

const std::vector<ErrorSpec>& ErrorTable() {
  static const std::vector<ErrorSpec> kTable = {
      errors::kGroupNotFound,        errors::kStreamNotFound,   errors::kGroupExists,
      errors::kStreamExists,         errors::kFilterNotFound,   errors::kPolicyNotFound,
      errors::kQueryNotFound,        errors::kResourceNotFound, errors::kInvalidParameter,
      errors::kInvalidFilterPattern, errors::kLimitExceeded,    errors::kMalformedQuery,
      errors::kInvalidOperation,     errors::kOperationAborted, errors::kDeliveryTest,
      errors::kTooManyTags,
  };
  return kTable;
}

namespace {

const LogsProvider::Table& Operations() {
  static const LogsProvider::Table kOps = {
      {"CreateLogGroup", CreateLogGroup},
      {"CreateLogStream", CreateLogStream},
      {"DeleteLogGroup", DeleteLogGroup},
      {"DeleteLogStream", DeleteLogStream},
      {"DeleteMetricFilter", DeleteMetricFilter},
      {"DeleteResourcePolicy", DeleteResourcePolicy},
      {"DeleteRetentionPolicy", DeleteRetentionPolicy},
      {"DeleteSubscriptionFilter", DeleteSubscriptionFilter},
      {"DescribeLogGroups", DescribeLogGroups},
      {"DescribeLogStreams", DescribeLogStreams},
      {"DescribeMetricFilters", DescribeMetricFilters},
      {"DescribeQueries", DescribeQueries},
      {"DescribeResourcePolicies", DescribeResourcePolicies},
      {"DescribeSubscriptionFilters", DescribeSubscriptionFilters},
      {"FilterLogEvents", FilterLogEvents},
      {"GetLogEvents", GetLogEvents},
      {"GetLogRecord", GetLogRecord},
      {"GetQueryResults", GetQueryResults},
      {"ListTagsForResource", ListTagsForResource},
      {"ListTagsLogGroup", ListTagsLogGroup},
      {"PutLogEvents", PutLogEvents},
      {"PutMetricFilter", PutMetricFilter},
      {"PutResourcePolicy", PutResourcePolicy},
      {"PutRetentionPolicy", PutRetentionPolicy},
      {"PutSubscriptionFilter", PutSubscriptionFilter},
      {"StartQuery", StartQuery},
      {"StopQuery", StopQuery},
      {"TagLogGroup", TagLogGroup},
      {"TagResource", TagResource},
      {"TestMetricFilter", TestMetricFilter},
      {"UntagLogGroup", UntagLogGroup},
      {"UntagResource", UntagResource},
  };
  return kOps;
}

}  // namespace

const LogsProvider::Table& LogsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& LogsProvider::SupportedOperations() { return Operations().names(); }

LogsProvider::LogsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

LogsProvider::~LogsProvider() {
  if (maintenance_) maintenance_->Stop();
  // Queries' tasks end before the state they read goes.
  std::map<std::string, std::shared_ptr<QueryState>> queries;
  {
    MutexLock lock(env_->queries_mu);
    queries.swap(env_->queries);
  }
  for (auto& [id, q] : queries) CancelQuery(*q);
  queries.clear();
}

Result<std::unique_ptr<LogsProvider>> LogsProvider::Open(store::MetadataStore& store, BackgroundTasks& tasks,
                                                         LogsOptions options) {
  CENOTE_RETURN_IF_ERROR(store.Migrate("logs", Migrations(), FreshSchema()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(store, tasks, options);
  std::unique_ptr<LogsProvider> provider(new LogsProvider(std::move(env)));
  if (options.maintenance_interval_ms > 0) {
    LogsProvider* self = provider.get();
    const auto interval = std::chrono::milliseconds(options.maintenance_interval_ms);
    provider->maintenance_ = tasks.Start(
        "logs-maintenance",
        [self, interval]() -> BackgroundTask::Clock::duration {
          const std::int64_t pending = self->Maintain();
          // Pending deliveries are retried on the interval (their own backoff decides when); otherwise the
          // next PutLogEvents with subscribers wakes the task.
          (void)pending;
          return interval;
        },
        interval);
    BackgroundTask* task = provider->maintenance_.get();
    provider->env_->wake_delivery = [task] { task->Wake(); };
  }
  return provider;
}

std::int64_t LogsProvider::Maintain() {
  // Retention at most once per interval: a PutLogEvents with subscribers wakes the task for its deliveries.
  const std::int64_t now = env_->now();
  const std::int64_t interval = env_->options.maintenance_interval_ms;
  if (interval <= 0 || now - last_retention_ms_.load() >= interval) {
    last_retention_ms_.store(now);
    if (Status s = ApplyRetention(*env_); !s.ok())
      spdlog::warn("logs: retention failed: {}", s.error().message);
  }
  return DeliverOutbox(*env_);
}

}  // namespace cenote::logs
