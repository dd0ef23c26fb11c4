// EventsProvider: Amazon EventBridge (json 1.1, "events"): event buses, rules (event patterns and
// schedules), targets, PutEvents, archives and replays, over the MetadataStore.
//
// Regions: every resource lives in the namespace of (account, region) of the request; the default bus of each
// (account, region) exists implicitly. A bus named by ARN may be another account's (cross-account PutEvents,
// authorized by the bus's policy, which PutPermission writes).
//
// Storage and durability (at-least-once delivery, as EventBridge promises):
//   - buses, rules (with their targets), archives and replays are one JSON document each in the
//     MetadataStore (component "events");
//   - PutEvents matches each entry against the rules of its bus and writes one outbox row per (rule, target)
//     and one row per matching archive, in one transaction committed before the call is answered: an
//     accepted entry survives kill -9 and is delivered after a restart;
//   - a background task delivers due rows through the Invoker (SQS SendMessage, Kinesis/Firehose PutRecord,
//     SNS Publish, PutEvents to another bus, Lambda Invoke, Step Functions StartExecution) and deletes each
//     row once delivered, dead-lettered or dropped; failures are retried with exponential backoff within the
//     target's RetryPolicy, then sent to its DeadLetterConfig queue.
//   - scheduled rules (rate(), cron()) fire from a timer set in the same task; missed firings during
//     downtime are not made up (as on AWS, a schedule fires at its next time).
//
// In-process entry point for AWS service events (S3 "Object Created", Glue "Glue Crawler State Change",
// Athena "Athena Query State Change"): the service calls PutEvents through the Invoker as itself:
//   aws::Caller{.principal = {type kService, arn/user_id "s3.amazonaws.com", account_id = the resource's
//               account}, .region = the resource's region, .invoked_by = "s3.amazonaws.com"}
//   Entries: [{"Source": "aws.s3", "DetailType": "Object Created", "Detail": "<json>",
//              "Resources": ["arn:aws:s3:::bucket"], "EventBusName": "default"}]
// Sources starting with "aws." are refused from network callers (NotAuthorizedForSourceException) and
// accepted from AWS service principals, whose PutEvents to the default bus of their own account is allowed
// without a bus policy (AWS services deliver to the default bus).
//
// Thread safety: handlers run concurrently; one mutex guards the in-memory state (never held across an
// Invoker call or a commit that waits for other services); the metadata store serializes writes.
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

namespace cenote::events {

struct EventsOptions {
  // Milliseconds since the epoch; injectable for tests.
  std::function<std::int64_t()> clock;
  // The delivery task runs when woken and at least this often (ms); 0: no task (tests call Deliver()).
  std::int64_t poll_interval_ms = 1'000;
  // The first retry after a failed delivery waits this long, doubling each time up to max_backoff_ms.
  std::int64_t first_backoff_ms = 1'000;
  std::int64_t max_backoff_ms = 60'000;
};

struct Env;

class EventsProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "events" migrations, loads the state and the outbox, and starts the delivery task on `tasks`
  // when options.poll_interval_ms > 0. `invoker` may be null in tests that never deliver. The store, the
  // invoker and `tasks` must outlive the provider.
  static Result<std::unique_ptr<EventsProvider>> Open(store::MetadataStore& metadata, aws::Invoker* invoker,
                                                      BackgroundTasks& tasks, EventsOptions options);
  ~EventsProvider() override;

  std::string_view service() const override { return "events"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // One round of background work: due schedules, due deliveries, replays. Returns the number of rows
  // still pending.
  std::size_t Deliver();

  // Bus policies and the action map's lookups: iam::ResourceAuthority "events".
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit EventsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> delivery_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::events
