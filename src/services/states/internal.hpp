// Shared internals of the Step Functions provider. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "services/common/params.hpp"
#include "services/states/asl/interpreter.hpp"
#include "services/states/errors.hpp"
#include "services/states/states_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::states {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::string_view kServicePrincipal = "states.amazonaws.com";

// The parts of an ARN: arn:aws:states:<region>:<account>:<type>:<name>[:<qualifier>[:<more>]].
struct ArnParts {
  std::string region, account, type, name, qualifier, extra;
};
std::optional<ArnParts> ParseArn(std::string_view arn);
std::string MachineArn(std::string_view region, std::string_view account, std::string_view name);
bool ValidName(std::string_view name);
std::string NewRevisionId();
// A stored JSON document (an empty object when it does not parse).
json::object ParseDoc(const store::Value& v);
// InvalidArn in AWS's words.
Error InvalidArn(std::string_view arn);

struct Env {
  store::MetadataStore& metadata;
  aws::Invoker* invoker;
  StatesOptions options;
  std::int64_t Now() const { return options.clock(); }

  mutable Mutex mu;
  std::set<std::pair<std::int64_t, std::string>> timers GUARDED_BY(mu);  // (due ms, execution ARN)
  std::map<std::string, std::int64_t> due_of GUARDED_BY(mu);             // execution ARN -> its timer
  std::function<void()> wake;
  // Executions being advanced or changed, and by which thread: one thread at a time per execution. A task
  // of an execution that calls back into it (aws-sdk:sfn:stopExecution on itself) finds its own thread here.
  std::map<std::string, std::thread::id> busy GUARDED_BY(mu);
  CondVar busy_cv{mu};
  // Wakes GetActivityTask long polls when a task is queued, or when the provider goes (`stopping`).
  CondVar activity_cv{mu};
  bool stopping GUARDED_BY(mu) = false;

  Env(store::MetadataStore& m, aws::Invoker* i, StatesOptions o)
      : metadata(m), invoker(i), options(std::move(o)) {}

  // Arms (or re-arms) an execution's timer; `due` < 0 removes it.
  void Arm(const std::string& execution_arn, std::int64_t due);
};

// Holds one execution for the calling thread (waits while another thread holds it). `reentrant()`: this
// thread already held it (a task of the execution calling back into it); then nothing is held or released.
class ExecutionLock {
 public:
  ExecutionLock(Env& env, std::string arn);
  ~ExecutionLock();
  ExecutionLock(const ExecutionLock&) = delete;
  ExecutionLock& operator=(const ExecutionLock&) = delete;
  bool reentrant() const { return reentrant_; }

 private:
  Env& env_;
  std::string arn_;
  bool reentrant_ = false;
};

// Tags as TagResource merges them (at most 50: TooManyTags).
Result<json::array> MergeTags(json::array tags, const json::array* add);

// A state machine, version or alias row's document (DescribeStateMachine's members, plus "tags").
Result<json::object> LoadMachine(store::Transaction& txn, const std::string& arn);

// Executions (executions.cpp).
Status AdvanceExecution(Env& env, const std::string& arn);
std::int64_t RunRound(Env& env);
// Redrives the closed execution `arn` (its row's `doc`) in `txn`: RUNNING again from the states that failed,
// ExecutionRedriven in its history. ExecutionNotRedrivable when the interpreter cannot. The caller arms it.
Status RedriveRow(Env& env, store::Transaction& txn, const std::string& arn, json::object doc,
                  std::int64_t now);
Status LoadTimers(Env& env);

// Map Runs (map_runs.cpp): a Distributed Map's child executions.
Result<std::pair<std::string, bool>> StartMapRun(Env& env, const asl::ExecutionInfo& execution,
                                                 const asl::MapRunRequest& request);
asl::MapRunStatus MapRunState(Env& env, const std::string& arn);
Status AdvanceMapRun(Env& env, const std::string& arn);
// Arms the running Map Runs of an execution that ended or stopped (they abort).
void WakeMapRuns(Env& env, const std::string& execution_arn);
Status LoadMapRunTimers(Env& env);
// ListExecutions(mapRunArn): the Map Run exists in the caller's account and region.
Result<bool> MapRunExists(Env& env, const RequestContext& ctx, const std::string& arn);

// Activities (activities.cpp): a Task state whose Resource is an activity ARN queues its task for workers.
// Fails when the activity does not exist.
Status EnqueueActivityTask(Env& env, const std::string& activity_arn, const std::string& token,
                           const std::string& input, const std::string& execution_arn);

// The TaskRunner of executions: integrations through the Invoker (integrations.cpp).
std::unique_ptr<asl::TaskRunner> MakeTaskRunner(Env& env);

#define CENOTE_STATES_HANDLER(name) \
  Result<OperationOutput> name(Env& env, const RequestContext& ctx, OperationInput& in)
CENOTE_STATES_HANDLER(CreateStateMachine);
CENOTE_STATES_HANDLER(DescribeStateMachine);
CENOTE_STATES_HANDLER(UpdateStateMachine);
CENOTE_STATES_HANDLER(DeleteStateMachine);
CENOTE_STATES_HANDLER(ListStateMachines);
CENOTE_STATES_HANDLER(PublishStateMachineVersion);
CENOTE_STATES_HANDLER(ListStateMachineVersions);
CENOTE_STATES_HANDLER(DeleteStateMachineVersion);
CENOTE_STATES_HANDLER(CreateStateMachineAlias);
CENOTE_STATES_HANDLER(DescribeStateMachineAlias);
CENOTE_STATES_HANDLER(UpdateStateMachineAlias);
CENOTE_STATES_HANDLER(DeleteStateMachineAlias);
CENOTE_STATES_HANDLER(ListStateMachineAliases);
CENOTE_STATES_HANDLER(ValidateStateMachineDefinition);
CENOTE_STATES_HANDLER(TagResource);
CENOTE_STATES_HANDLER(UntagResource);
CENOTE_STATES_HANDLER(ListTagsForResource);
CENOTE_STATES_HANDLER(StartExecution);
CENOTE_STATES_HANDLER(StartSyncExecution);
CENOTE_STATES_HANDLER(DescribeExecution);
CENOTE_STATES_HANDLER(ListExecutions);
CENOTE_STATES_HANDLER(StopExecution);
CENOTE_STATES_HANDLER(GetExecutionHistory);
CENOTE_STATES_HANDLER(DescribeStateMachineForExecution);
CENOTE_STATES_HANDLER(RedriveExecution);
CENOTE_STATES_HANDLER(SendTaskSuccess);
CENOTE_STATES_HANDLER(SendTaskFailure);
CENOTE_STATES_HANDLER(SendTaskHeartbeat);
CENOTE_STATES_HANDLER(TestState);
CENOTE_STATES_HANDLER(CreateActivity);
CENOTE_STATES_HANDLER(DescribeActivity);
CENOTE_STATES_HANDLER(DeleteActivity);
CENOTE_STATES_HANDLER(ListActivities);
CENOTE_STATES_HANDLER(GetActivityTask);
CENOTE_STATES_HANDLER(DescribeMapRun);
CENOTE_STATES_HANDLER(ListMapRuns);
CENOTE_STATES_HANDLER(UpdateMapRun);
#undef CENOTE_STATES_HANDLER

}  // namespace cenote::states
