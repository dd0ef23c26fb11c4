// Shared internals of the CloudWatch Logs provider: the provider's state (Env), rows of its tables, ARNs,
// and the handlers each .cpp of this directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
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
#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "services/common/params.hpp"
#include "services/logs/errors.hpp"
#include "services/logs/logs_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::logs {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::int64_t kDayMs = 86'400'000;
inline constexpr std::int64_t kHourMs = 3'600'000;
inline constexpr std::int64_t kMaxBatchBytes = 1'048'576;
inline constexpr std::int64_t kEventOverheadBytes = 26;
inline constexpr std::int64_t kMaxEventBytes = 1'048'576;  // "Each log event can be no larger than 1 MB."
inline constexpr std::int64_t kMaxReadBytes =
    1'048'576;  // GetLogEvents / FilterLogEvents answer at most 1 MB
inline constexpr std::int64_t kMaxReadEvents = 10'000;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr int kMaxSubscriptionFilters = 2;
inline constexpr std::size_t kMaxResourcePolicies = 10;

// AWS's allowed retentionInDays values.
const std::vector<int>& RetentionDays();

struct GroupRow {
  std::int64_t id = 0;
  std::string account, region, name;
  std::int64_t created = 0;
  std::optional<std::int64_t> retention_days;
  std::string kms_key_id;
  std::string log_group_class;
  json::object tags;
};

struct StreamRow {
  std::int64_t id = 0;
  std::int64_t group_id = 0;
  std::string name;
  std::int64_t created = 0;
  std::optional<std::int64_t> first_event, last_event, last_ingestion;
  std::int64_t stored_bytes = 0;
};

// One stored event, as reads return it.
struct EventRow {
  std::int64_t id = 0;  // the table's rowid: unique and increasing in insertion order
  std::int64_t stream_id = 0;
  std::string stream_name;
  std::int64_t timestamp = 0;
  std::int64_t ingestion = 0;
  std::string message;
};

// A running or finished Logs Insights query (queries.cpp).
struct QueryState;

struct Env {
  Env(store::MetadataStore& store_, BackgroundTasks& tasks_, LogsOptions options_)
      : store(store_), tasks(tasks_), options(std::move(options_)), now(options.clock) {}

  store::MetadataStore& store;
  BackgroundTasks& tasks;  // Insights queries run as one-shot tasks
  LogsOptions options;
  std::function<std::int64_t()> now;

  Mutex queries_mu;
  std::map<std::string, std::shared_ptr<QueryState>> queries GUARDED_BY(queries_mu);

  // Wakes the subscription delivery task (set once at Open).
  std::function<void()> wake_delivery;

  std::int64_t day_ms() const { return options.day_ms > 0 ? options.day_ms : kDayMs; }
};

// ---- names and ARNs
std::string GroupArn(const std::string& region, const std::string& account,
                     const std::string& name);  // no ":*"
std::string StreamArn(const GroupRow& g, const std::string& stream);
// The group a request names: logGroupName, or logGroupIdentifier (a name or an ARN, whose account and region
// then apply). Answers InvalidParameterException when neither or both are given.
struct GroupKey {
  std::string account, region, name;
};
Result<GroupKey> RequestGroup(const RequestContext& ctx, const json::object& params);
// A log group ARN (with or without ":*") as (account, region, name); nullopt when it is not one.
std::optional<GroupKey> ParseGroupArn(std::string_view arn);

// ---- rows
Result<std::optional<GroupRow>> FindGroup(store::Transaction& txn, const GroupKey& key);
Result<GroupRow> RequireGroup(store::Transaction& txn, const GroupKey& key);  // kGroupNotFound
Result<std::optional<StreamRow>> FindStream(store::Transaction& txn, std::int64_t group_id,
                                            const std::string& name);
Result<std::vector<StreamRow>> ListStreams(store::Transaction& txn, std::int64_t group_id);
Result<std::optional<GroupRow>> FindGroupById(store::Transaction& txn, std::int64_t id);

// An event's eventId (FilterLogEvents, subscription messages): its rowid as 56 digits.
std::string EventId(std::int64_t id);

// Paging tokens of Describe* calls: the last name returned, opaque to clients.
std::string NameToken(std::string_view name);
std::optional<std::string> TokenName(std::string_view token);

// Events of `group_id` (all streams, or those listed) with start <= timestamp < end, in (timestamp, id)
// order, after position (ts, id) exclusive, at most `limit` rows.
struct EventQuery {
  std::int64_t group_id = 0;
  std::vector<std::int64_t> stream_ids;  // empty: every stream of the group
  std::int64_t start = 0;
  std::int64_t end = INT64_MAX;
  std::optional<std::pair<std::int64_t, std::int64_t>> after;  // (timestamp, id)
  std::int64_t limit = 10'000;
};
Result<std::vector<EventRow>> ReadEvents(store::Transaction& txn, const EventQuery& q);

// Subscription deliveries (filters.cpp): queue the matching events of a PutLogEvents in the outbox, in the
// caller's transaction. Returns how many deliveries were queued.
Result<std::int64_t> EnqueueSubscriptionDeliveries(Env& env, store::Transaction& txn, const GroupRow& group,
                                                   const std::string& stream,
                                                   const std::vector<EventRow>& events);
// Delivers what the outbox holds; returns how many deliveries are still pending.
std::int64_t DeliverOutbox(Env& env);
// Retention (groups.cpp): deletes events older than their group's retention.
Status ApplyRetention(Env& env);

// ---- handlers
#define CENOTE_LOGS_HANDLER(name) \
  Result<OperationOutput> name(Env& env, const RequestContext& ctx, OperationInput& in)
CENOTE_LOGS_HANDLER(CreateLogGroup);
CENOTE_LOGS_HANDLER(DeleteLogGroup);
CENOTE_LOGS_HANDLER(DescribeLogGroups);
CENOTE_LOGS_HANDLER(PutRetentionPolicy);
CENOTE_LOGS_HANDLER(DeleteRetentionPolicy);
CENOTE_LOGS_HANDLER(CreateLogStream);
CENOTE_LOGS_HANDLER(DeleteLogStream);
CENOTE_LOGS_HANDLER(DescribeLogStreams);
CENOTE_LOGS_HANDLER(TagResource);
CENOTE_LOGS_HANDLER(UntagResource);
CENOTE_LOGS_HANDLER(ListTagsForResource);
CENOTE_LOGS_HANDLER(TagLogGroup);
CENOTE_LOGS_HANDLER(UntagLogGroup);
CENOTE_LOGS_HANDLER(ListTagsLogGroup);
CENOTE_LOGS_HANDLER(PutResourcePolicy);
CENOTE_LOGS_HANDLER(DescribeResourcePolicies);
CENOTE_LOGS_HANDLER(DeleteResourcePolicy);
CENOTE_LOGS_HANDLER(PutLogEvents);
CENOTE_LOGS_HANDLER(GetLogEvents);
CENOTE_LOGS_HANDLER(FilterLogEvents);
CENOTE_LOGS_HANDLER(PutMetricFilter);
CENOTE_LOGS_HANDLER(DescribeMetricFilters);
CENOTE_LOGS_HANDLER(DeleteMetricFilter);
CENOTE_LOGS_HANDLER(TestMetricFilter);
CENOTE_LOGS_HANDLER(PutSubscriptionFilter);
CENOTE_LOGS_HANDLER(DescribeSubscriptionFilters);
CENOTE_LOGS_HANDLER(DeleteSubscriptionFilter);
CENOTE_LOGS_HANDLER(StartQuery);
CENOTE_LOGS_HANDLER(GetQueryResults);
CENOTE_LOGS_HANDLER(StopQuery);
CENOTE_LOGS_HANDLER(DescribeQueries);
CENOTE_LOGS_HANDLER(GetLogRecord);
#undef CENOTE_LOGS_HANDLER

}  // namespace cenote::logs
