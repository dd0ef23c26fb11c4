// StatesProvider: AWS Step Functions (awsJson1_0, "states"): state machines (STANDARD and EXPRESS) with
// versions and aliases, executions run by the Amazon States Language interpreter (asl/), their history,
// task tokens (SendTaskSuccess/Failure/Heartbeat), redrive and TestState.
//
// Storage and durability: state machines, versions, aliases and executions are rows of the MetadataStore
// (component "states"). A running execution is its interpreter document (every branch's position, timers,
// awaited tokens); each advance commits the new document and its history events in one transaction, so
// after kill -9 every running execution resumes where its last committed transition left it (a Wait ends at
// its time, a token is still awaited). A Task's call is made before the transition that records its result
// commits: a crash in between makes the call again (at least once, as AWS documents for retried tasks).
// SendTask* commit a delivery row the execution consumes at its next advance.
//
// Timing: one background task sleeps until the earliest due execution (a timer set, no polling of every
// execution) and advances due executions one at a time. Express executions started with StartSyncExecution
// run on the request's thread, in memory.
//
// Integrations: Task states call other services through the Invoker as a session of the state machine's
// role (which must trust states.amazonaws.com), invoked_by "states.amazonaws.com" (integrations.cpp).
//
// Thread safety: handlers run concurrently; one mutex guards the in-memory indexes, never held across an
// Invoker call; an ExecutionLock gives one thread at a time one execution (advance, stop, redrive; SendTask*
// only commit a delivery), and lets an execution's own task call back into it.
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

namespace cenote::iam {
class Directory;
}  // namespace cenote::iam

namespace cenote::states {

struct StatesOptions {
  std::function<std::int64_t()> clock;  // ms since the epoch; injectable for tests
  // The background task runs when due and at least this often (ms); 0: no task (tests call Run()).
  std::int64_t poll_interval_ms = 1'000;
  // How often a .sync integration looks at its job (ms).
  std::int64_t sync_poll_ms = 1'000;
  const iam::Directory* directory = nullptr;  // checks roleArn at CreateStateMachine when set
  // Sends "Step Functions Execution Status Change" events (EventBridge, as states.amazonaws.com).
  bool status_events = true;
  // The most a Map Run's ResultWriter file holds (5 GB as AWS; smaller in tests, to show the split).
  std::uint64_t result_file_bytes = 5ULL * 1024 * 1024 * 1024;
};

struct Env;

class StatesProvider final : public services::TableProvider<Env> {
 public:
  static Result<std::unique_ptr<StatesProvider>> Open(store::MetadataStore& metadata, aws::Invoker* invoker,
                                                      BackgroundTasks& tasks, StatesOptions options);
  ~StatesProvider() override;

  std::string_view service() const override { return "states"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // One round: advances every due execution. Returns how many executions are still running.
  std::size_t Run();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit StatesProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> task_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::states
