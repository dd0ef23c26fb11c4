// The Amazon States Language interpreter (JSONPath query language): runs one execution of a state machine
// definition as a tree of frames (one per branch: the execution, each Parallel branch, each Map iteration)
// kept in one JSON document, so that the caller can commit the document after every advance and resume it
// after a restart exactly where it stopped.
//
//   json::object run = Interpreter::NewRun(input);
//   Interpreter it(definition, info, runner);
//   Advance a = it.Step(run, now);   // runs until every branch waits (Wait, retry backoff, a task token,
//                                    // a .sync poll) or the execution ends; a.events are the new history
//                                    // events (ids assigned), a.wake_ms the earliest time to step again.
//   it.Deliver(run, token, outcome);  // SendTaskSuccess/Failure/Heartbeat, then Step again
//
// History events carry AWS's types and *EventDetails members (GetExecutionHistory's shapes). The interpreter
// does no I/O of its own: Task states go through the TaskRunner. Not thread-safe; one run per call.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cenote::states::asl {

namespace json = boost::json;

struct ExecutionInfo {
  std::string execution_arn;
  std::string name;
  std::string role_arn;
  std::string state_machine_arn;
  std::string state_machine_name;
  std::int64_t start_ms = 0;
  std::int64_t redrive_count = 0;
  // A Distributed Map starts a Map Run of child executions (durable executions); otherwise (an Express
  // workflow run in memory, TestState) its iterations run inside the execution.
  bool map_runs = false;
};

// A Distributed Map's Map Run, as the interpreter asks the runner to start it.
struct MapRunRequest {
  std::string key;  // names this Map state's run within the execution (the same on a repeated advance)
  std::string state_name, label;
  json::object processor;      // the ItemProcessor as a state machine definition (no ProcessorConfig)
  std::string execution_type;  // STANDARD or EXPRESS
  json::array inputs;          // each child execution's input
  std::vector<std::int64_t> item_counts;  // items in each child's input (ItemBatcher batches)
  std::int64_t max_concurrency = 0;       // 0: no limit
  std::int64_t tolerated_count = -1;      // -1: not set
  double tolerated_percentage = -1;       // -1: not set
  json::value result_writer;              // {"Bucket", "Prefix"} or null (no export to S3)
  json::value writer_config;              // ResultWriter's WriterConfig {Transformation, OutputType} or null
};

struct MapRunStatus {
  std::string status;  // RUNNING, SUCCEEDED, FAILED, ABORTED
  json::value output;  // SUCCEEDED: the Map's result
  std::string error, cause;
};

// One Task state's call, as the interpreter hands it to the runner.
struct TaskRequest {
  std::string state_name;
  std::string resource;    // the state's Resource ARN
  json::value parameters;  // after Parameters (the task's input)
  std::string token;       // $$.Task.Token of this attempt (for .waitForTaskToken)
  std::int64_t timeout_s = 0;
  std::int64_t heartbeat_s = 0;
  json::value handle;            // Poll: what Start answered in its kPoll outcome
  std::string credentials_role;  // Credentials.RoleArn, when given
};

struct TaskOutcome {
  enum class Kind { kSucceeded, kFailed, kAwaitToken, kPoll };
  Kind kind = Kind::kSucceeded;
  json::value output;
  std::string error, cause;
  json::value handle;              // kPoll: passed back to Poll
  std::int64_t poll_after_ms = 0;  // kPoll: when to poll again (absolute)
  bool submitted = false;          // kPoll: emit TaskSubmitted with `output` the first time
};

class TaskRunner {
 public:
  virtual ~TaskRunner() = default;
  virtual TaskOutcome Start(const ExecutionInfo& execution, const TaskRequest& request) = 0;
  // A .sync task's next look at its job.
  virtual TaskOutcome Poll(const ExecutionInfo& execution, const TaskRequest& request) = 0;
  // A Distributed Map's ItemReader: the items `request.resource` (arn:aws:states:::s3:listObjectsV2 or
  // s3:getObject) reads with `request.parameters`, as `reader_config` (InputType JSON / JSONL / CSV,
  // CSVHeaderLocation, CSVHeaders, MaxItems) says. Errors are the Map state's (States.ItemReaderFailed ...).
  virtual Result<json::array> ReadItems(const ExecutionInfo& execution, const TaskRequest& request,
                                        const json::object& reader_config) {
    (void)execution;
    (void)request;
    (void)reader_config;
    return MakeError("States.ItemReaderFailed", "No item reader is available");
  }
  // Starts (or finds, for the same key) the Map Run of a Distributed Map: its ARN, and whether an existing
  // failed run was redriven.
  virtual Result<std::pair<std::string, bool>> StartMapRun(const ExecutionInfo& execution,
                                                           const MapRunRequest& request) {
    (void)execution;
    (void)request;
    return MakeError("States.Runtime", "Map Runs are not available here");
  }
  virtual MapRunStatus MapRunState(const ExecutionInfo& execution, const std::string& map_run_arn) {
    (void)execution;
    (void)map_run_arn;
    return MapRunStatus{"FAILED", nullptr, "States.Runtime", "Map Runs are not available here"};
  }
};

struct Advance {
  std::vector<json::object> events;  // {"id", "previousEventId", "timestamp" (ms), "type", "<x>EventDetails"}
  std::int64_t wake_ms = -1;         // when the run next has something to do on its own; -1: nothing
  bool done = false;                 // the execution ended (run["status"] says how)
};

class Interpreter {
 public:
  Interpreter(const json::object& definition, const ExecutionInfo& info, TaskRunner& runner);

  // A fresh run document for `input`. Its "status" is RUNNING, then SUCCEEDED (with "output"), FAILED,
  // TIMED_OUT or ABORTED (with "error"/"cause").
  static json::object NewRun(const json::value& input);

  // Emits ExecutionStarted (first call) and advances every branch as far as it can go at `now_ms`.
  Advance Step(json::object& run, std::int64_t now_ms);

  // Hands the outcome of a task token to the branch waiting on it. kSucceeded/kFailed complete the task;
  // a heartbeat is `heartbeat`. False when no branch waits on `token`.
  bool Deliver(json::object& run, const std::string& token, const TaskOutcome& outcome, bool heartbeat,
               std::int64_t now_ms);

  // Ends a running execution as StopExecution does (ExecutionAborted).
  Advance Abort(json::object& run, const std::string& error, const std::string& cause, std::int64_t now_ms);

  // RedriveExecution: restarts the failed branches from the states that failed (ExecutionRedriven).
  Result<Advance> Redrive(json::object& run, std::int64_t now_ms);

 private:
  const json::object& definition_;
  const ExecutionInfo& info_;
  TaskRunner& runner_;
};

// Whether a branch of `run` waits on `token` (SendTask* answer TaskTimedOut when none does).
bool AwaitsToken(json::object& run, const std::string& token);

// The task token of one attempt: it names the execution, so SendTask* finds it without a table.
std::string NewTaskToken(const std::string& execution_arn);
// The execution ARN inside a token, or "" for a token this server did not make.
std::string ExecutionOfToken(const std::string& token);

}  // namespace cenote::states::asl
