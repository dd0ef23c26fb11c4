// SchedulerProvider: Amazon EventBridge Scheduler (rest-json, "scheduler"): schedule groups and schedules
// (at(), rate(), cron() in an IANA time zone, StartDate/EndDate, FlexibleTimeWindow, State,
// ActionAfterCompletion) invoking templated targets (SQS, SNS, Kinesis, Firehose, EventBridge, Lambda, Step
// Functions) and universal targets (arn:aws:scheduler:::aws-sdk:<service>:<action>) as their RoleArn.
//
// Storage and durability: groups and schedules are JSON documents in the MetadataStore (component
// "scheduler"). A firing is an invocation row written in one transaction with the schedule's new state (its
// next time, or its completion / deletion), then invoked through the Invoker and deleted once it succeeded
// or was dead-lettered: an invocation that fired is made at least once, across kill -9 too.
//
// Timing: one background task sleeps until the earliest due schedule or invocation (a timer set, no polling
// of every schedule) and fires within a second of the schedule's time (AWS documents 60 s precision; a
// FlexibleTimeWindow adds a random delay within its window, as on AWS). After downtime, a one-time at()
// schedule whose time passed fires at once; recurring schedules continue at their next time (missed
// firings are not made up).
//
// Thread safety: handlers run concurrently; one mutex guards the in-memory state, never held across an
// Invoker call.
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
#include "services/common/operation_table.hpp"
#include "store/metadata_store.hpp"

namespace cenote::scheduler {

struct SchedulerOptions {
  std::function<std::int64_t()> clock;  // ms since the epoch; injectable for tests
  // The background task runs when due and at least this often (ms); 0: no task (tests call Run()).
  std::int64_t poll_interval_ms = 1'000;
  std::int64_t first_backoff_ms = 1'000;
  std::int64_t max_backoff_ms = 60'000;
};

struct Env;

class SchedulerProvider final : public services::TableProvider<Env> {
 public:
  static Result<std::unique_ptr<SchedulerProvider>> Open(store::MetadataStore& metadata,
                                                         aws::Invoker* invoker, BackgroundTasks& tasks,
                                                         SchedulerOptions options);
  ~SchedulerProvider() override;

  std::string_view service() const override { return "scheduler"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // One round: fires due schedules and makes due invocations. Returns the invocations still pending.
  std::size_t Run();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit SchedulerProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> task_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::scheduler
