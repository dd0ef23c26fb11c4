// What runs a Glue job run: a `pythonshell` script from S3 as a sandboxed python3 process with the job's
// role credentials, or an `athenasql` script (Cenote's SQL job type) as Athena queries made as the job's
// role. Output goes to CloudWatch Logs as Glue's Python shell jobs write it (stdout to
// /aws-glue/python-jobs/output, stderr to /aws-glue/python-jobs/error, one stream per run id).
//
// Thread safety: Run may be called concurrently from any thread (one call per run).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "aws/invoker.hpp"

namespace cenote::glue::jobs {

struct RunRequest {
  std::string account;
  std::string region;
  std::string job_name;
  std::string job_arn;
  std::string run_id;
  std::string role;     // the job's Role as given (name or ARN)
  std::string command;  // Command.Name
  std::string script_location;
  // The run's arguments as Glue passes them, in order, each key with its leading "--".
  std::vector<std::pair<std::string, std::string>> arguments;
  std::int64_t timeout_ms = 0;
  std::int64_t timeout_minutes = 0;  // as the job run states it (messages)
  double max_capacity = 0.0625;
  std::optional<std::string> bookmark;  // the job's previous JobBookmark (bookmarks enabled or paused)
};

struct RunOutcome {
  std::string state;  // SUCCEEDED | FAILED | TIMEOUT | STOPPED | ERROR
  std::string error_message;
  std::optional<std::string> bookmark;  // the new JobBookmark the script reported
};

using Executor = std::function<RunOutcome(const RunRequest&, const std::atomic<bool>& stop)>;

struct ExecutorOptions {
  std::string scratch_dir;        // run directories (script copies)
  std::vector<std::string> hide;  // host paths a sandbox must not see
  std::string endpoint;           // AWS_ENDPOINT_URL given to scripts
  std::function<std::string()> endpoint_fallback = nullptr;
  std::int64_t poll_ms = 200;  // Athena polling
};

// The real executor over the in-process invoker (STS, S3, Athena, CloudWatch Logs).
Executor MakeExecutor(aws::Invoker& invoker, ExecutorOptions options);

// The role's ARN: a name or path/name in `account`, or the ARN as given.
std::string RoleArn(const std::string& role, const std::string& account);

// Splits a script of SQL statements on `;` outside quotes and comments; empty statements are dropped.
std::vector<std::string> SplitStatements(const std::string& script);

// The line a pythonshell script prints to stdout to set its run's new job bookmark state (a JSON document
// follows on the same line), and the environment variable its previous state is given in.
inline constexpr const char* kBookmarkMarker = "GLUE_JOB_BOOKMARK_STATE=";
inline constexpr const char* kBookmarkEnv = "GLUE_JOB_BOOKMARK_STATE";

}  // namespace cenote::glue::jobs
