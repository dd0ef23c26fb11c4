// Runtimes: Lambda's execution environments and the Lambda Runtime API Cenote serves them.
//
// An execution environment is one sandboxed process (services/common/sandbox.hpp) running a function's
// runtime: the zip's `bootstrap` (provided.*), or Cenote's runtime interface client for python3.x / nodejs*.x
// (runtimes/*.py|mjs, embedded at build time, written to <scratch>/lambda/runtime and bound at /var/runtime).
// Inside the sandbox: the code read-only at /var/task, layers at /opt, the interpreter's prefix at /var/lang
// (python), a private /tmp.
//
// The Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) is served to each
// environment on a loopback port of its own: AWS_LAMBDA_RUNTIME_API is "127.0.0.1:<port>", as AWS gives it,
// so any runtime interface client works, and an environment can only see and answer its own invocations.
//
// One invocation at a time per environment; warm environments are reused for the same function version and
// configuration (Environment::key) and reaped after `idle_ms`. Concurrency = environments busy.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::lambda {

struct InvocationResult;

struct EnvironmentSpec {
  std::string key;  // environments are reused only for the same key (function, version, revision)
  std::string function_name, function_arn, version, runtime, handler;
  std::int64_t memory_mb = 128;
  std::int64_t timeout_s = 3;
  std::string code_dir;                          // extracted code (read-only at /var/task)
  std::vector<std::string> layer_dirs;           // extracted layers, merged at /opt in order
  std::map<std::string, std::string> variables;  // the function's Environment.Variables
  std::string log_group, region;
  // AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand", or "provisioned-concurrency" for environments Provision
  // starts ahead of time.
  std::string initialization_type = "on-demand";
  // Called at each cold start: the execution role's temporary credentials and Cenote's endpoint as
  // environment variables (AWS_ACCESS_KEY_ID, ...), or an error that fails the invocation.
  std::function<Result<std::map<std::string, std::string>>()> session;
  // Called once when an environment Provision started has run its init (or failed it), from a background
  // thread: its init log (INIT_START, what the runtime printed during init, and the failure when there is
  // one) as `log_events` of an InvocationResult with `cold` set, for CloudWatch Logs. Unset: not logged.
  std::function<void(const InvocationResult&)> init_log;
};

// Where a streamed response goes as the runtime writes it (the Runtime API's response streaming mode:
// `Lambda-Runtime-Function-Response-Mode: streaming`, a chunked body, the error in trailers). Both are called
// on the Runtime API's thread, without locks held; they should not block for long.
struct ResponseSink {
  // The runtime opened a streamed response with this Content-Type (application/octet-stream by default;
  // application/vnd.awslambda.http-integration-response for awslambda.HttpResponseStream).
  std::function<void(const std::string& content_type)> begin;
  std::function<void(std::string_view bytes)> write;
};

struct InvocationResult {
  bool function_error = false;  // payload is an error document ({"errorMessage","errorType",...})
  // The runtime streamed its response: with a sink, its bytes went there and `payload` holds only an error
  // document (a function error); without one, `payload` is every byte streamed.
  bool streamed = false;
  std::string content_type;  // of a streamed response
  std::string payload;
  std::string log;         // START ... REPORT lines, with the function's output in between
  std::string log_stream;  // the environment's log stream name
  std::vector<std::pair<std::int64_t, std::string>> log_events;  // (ms, line) for CloudWatch Logs
  bool cold = false;
  double duration_ms = 0, init_ms = 0;
  std::map<std::string, std::string> session;  // the environment's credentials (for its log writes)
};

struct RuntimesOptions {
  std::string scratch_dir;         // <scratch>/lambda: runtime files, /opt merges
  std::vector<std::string> hide;   // host paths environments must not see (the data and scratch dirs)
  std::int64_t idle_ms = 300'000;  // a warm environment is reaped after this long unused
};

class Runtimes {
 public:
  static Result<std::unique_ptr<Runtimes>> Start(RuntimesOptions options);
  ~Runtimes();  // kills every environment, stops the Runtime API server

  // Runs one invocation on a warm environment of spec.key or a new one. `client_context` is the base64
  // ClientContext. Never fails for the function's own failures (they are function errors); fails only when
  // no environment could be started.
  // `sink` (optional) receives a streamed response as it arrives.
  Result<InvocationResult> Invoke(const EnvironmentSpec& spec, const std::string& request_id,
                                  const std::string& payload, const std::string& client_context,
                                  const std::string& invoked_arn, const ResponseSink* sink = nullptr);
  // Provisioned concurrency: keeps `count` environments of each target's spec started and initialized ahead
  // of time (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), by the config's id; they are never
  // reaped for idleness, and Invoke uses them as warm environments. Environments of ids no longer listed go
  // back to on-demand (reaped when idle). Missing environments are started in the background; the answer
  // is, per listed id, how many are initialized now and the last init failure ("" when none).
  struct ProvisionTarget {
    EnvironmentSpec spec;
    int count = 0;
  };
  struct ProvisionState {
    int ready = 0;
    std::string error;
  };
  std::map<std::string, ProvisionState> Provision(const std::map<std::string, ProvisionTarget>& targets);
  // Environments of `function_arn` running an invocation now.
  int Busy(const std::string& function_arn) const;
  int BusyTotal() const;
  // Kills environments idle for longer than idle_ms, and every environment of a function whose key is
  // not `keep` when `function_arn` is given (an updated or deleted function).
  void Reap(std::int64_t now_ms);
  void Retire(const std::string& function_arn);
  // Shutdown: kills every environment, busy ones too (their invocations end as runtime exits), and refuses
  // new ones.
  void StopAll();

  class Impl;

 private:
  explicit Runtimes(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cenote::lambda
