#include "services/glue/jobs/jobs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cmath>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include "common/aws_cron.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/mutex.hpp"
#include "common/random.hpp"
#include "services/common/params.hpp"
#include "services/common/round_task.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/jobs/job_store.hpp"

namespace cenote::glue {

namespace json = boost::json;
using jobs::JobStore;
using jobs::Key;
using jobs::RunRow;
using services::GetArray;
using services::GetBool;
using services::GetDouble;
using services::GetInt;
using services::GetObject;
using services::GetString;

namespace {

constexpr std::size_t kMaxJobs = 1000;       // Glue's default quota of jobs per account
constexpr std::size_t kMaxTriggers = 1000;   // triggers per account
constexpr std::size_t kMaxWorkflows = 1000;  // workflows per account
constexpr std::int64_t kDefaultTimeoutMinutes = 2880;
constexpr const char* kPythonLogGroup = "/aws-glue/python-jobs";

const std::set<std::string>& CommandNames() {
  static const std::set<std::string> names = {"glueetl", "gluestreaming", "pythonshell", "glueray",
                                              "athenasql"};
  return names;
}
bool Runnable(const std::string& command) { return command == "pythonshell" || command == "athenasql"; }
bool Terminal(const std::string& s) {
  return s == "SUCCEEDED" || s == "FAILED" || s == "STOPPED" || s == "TIMEOUT" || s == "ERROR" ||
         s == "EXPIRED";
}

Error Invalid(const std::string& message) { return GlueError(errors::kInvalidInput, {message}); }
Error NotFound(const std::string& message) { return GlueError(errors::kEntityNotFound, {message}); }
Error Limit(const std::string& message) { return GlueError(errors::kResourceNumberLimitExceeded, {message}); }
Error Mismatch(const std::string& message) {
  Error e = MakeError("IdempotentParameterMismatchException", message, 400);
  e.With("Message", message);
  return e;
}
Error Concurrent(const std::string& message) {
  Error e = MakeError("ConcurrentRunsExceededException", message, 400);
  e.With("Message", message);
  return e;
}
Error IllegalWorkflowState(const std::string& message) {
  Error e = MakeError("IllegalWorkflowStateException", message, 400);
  e.With("Message", message);
  return e;
}

// Members whose names start with '_' are Cenote's own bookkeeping: never answered.
json::object Public(const json::object& doc) {
  json::object out;
  for (const auto& kv : doc) {
    if (!kv.key().starts_with("_")) out.emplace(kv.key(), kv.value());
  }
  return out;
}

std::string MakeToken(const std::string& last) { return Base64Encode(last); }
Result<std::string> ReadToken(const json::object& in) {
  auto t = GetString(in, "NextToken");
  if (!t || t->empty()) return std::string();
  auto d = Base64Decode(*t);
  if (!d) return Invalid("Invalid pagination token");
  return *d;
}

std::string RunId() { return "jr_" + RandomHex(32); }
std::string WorkflowRunId() { return "wr_" + RandomHex(32); }

// key = value string map (Arguments, DefaultArguments, RunProperties).
Result<json::object> StringMap(const json::object& in, std::string_view member) {
  const json::value* v = services::Member(in, member);
  if (v == nullptr || v->is_null()) return json::object();
  if (!v->is_object()) return Invalid(std::string(member) + " must be a map of strings");
  for (const auto& kv : v->get_object()) {
    if (!kv.value().is_string()) return Invalid(std::string(member) + " values must be strings");
  }
  return v->get_object();
}

// Hashes a name to a stable hex id (graph node ids).
std::string NodeId(const std::string& type, const std::string& name) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : type + ":" + name) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char buf[40];
  std::snprintf(buf, sizeof(buf), "wnode_%016llx", static_cast<unsigned long long>(h));
  return buf;
}

struct Namespace {
  std::string account;
  std::string region;
  bool operator<(const Namespace& o) const {
    return std::tie(account, region) < std::tie(o.account, o.region);
  }
};

// A job or crawler that ended, for triggers and workflow runs.
struct EndedEvent {
  Namespace ns;
  std::string kind;  // "JOB" | "CRAWLER"
  std::string name;
  std::string state;
  std::string run_id;    // job runs
  std::string workflow;  // the workflow run it belongs to, if any
  std::string workflow_run_id;
};

class JobsImpl final : public Jobs {
 public:
  JobsImpl(JobStore store, BackgroundTasks& tasks, JobsOptions options)
      : store_(std::move(store)), options_(std::move(options)) {
    last_schedule_check_s_ = UnixNowMs() / 1000;
    dispatcher_ = std::thread([this] { DispatchLoop(); });
    if (options_.run_schedules) {
      schedules_ = services::StartRounds(tasks, "glue-job-triggers", 30000, [this]() -> std::int64_t {
        RunDueSchedules(UnixNowMs() / 1000);
        // The next whole minute.
        return 60000 - UnixNowMs() % 60000 + 50;
      });
    }
  }
  ~JobsImpl() override { Shutdown(); }

  Status Recover() {
    const std::int64_t now = UnixNowMs();
    CENOTE_ASSIGN_OR_RETURN(auto runs,
                            store_.RunsInStates("jobrun", {"STARTING", "RUNNING", "STOPPING", "WAITING"}));
    for (auto& r : runs) {
      r.doc["JobRunState"] = "ERROR";
      r.doc["ErrorMessage"] = "The job run was interrupted by a restart of the Cenote server";
      r.doc["CompletedOn"] = now;
      r.doc["LastModifiedOn"] = now;
      r.doc["ExecutionTime"] = std::max<std::int64_t>(0, (now - r.started_ms) / 1000);
      r.state = "ERROR";
      CENOTE_RETURN_IF_ERROR(store_.PutRun("jobrun", r));
    }
    CENOTE_ASSIGN_OR_RETURN(auto wfruns, store_.RunsInStates("wfrun", {"RUNNING", "STOPPING"}));
    for (auto& r : wfruns) {
      r.doc["Status"] = "ERROR";
      r.doc["ErrorMessage"] = "The workflow run was interrupted by a restart of the Cenote server";
      r.doc["CompletedOn"] = now;
      if (json::object* acts = r.doc.contains("_actions") && r.doc["_actions"].is_object()
                                   ? &r.doc["_actions"].as_object()
                                   : nullptr) {
        for (auto& kv : *acts) {
          if (kv.value().is_object() && !Terminal(GetString(kv.value().as_object(), "state").value_or("")))
            kv.value().as_object()["state"] = "ERROR";
        }
      }
      r.state = "ERROR";
      CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", r));
    }
    return Status::Ok();
  }

  void Shutdown() override {
    {
      MutexLock lock(mu_);
      if (shut_down_) return;
      shut_down_ = true;
      for (auto& [id, stop] : stops_) stop->store(true);
    }
    cv_.SignalAll();
    if (schedules_) schedules_->Stop();
    {
      MutexLock lock(mu_);
      while (threads_ > 0) cv_.Wait(lock);
    }
    {
      MutexLock lock(ev_mu_);
      ev_shut_down_ = true;
    }
    ev_cv_.SignalAll();
    if (dispatcher_.joinable()) dispatcher_.join();
  }

  std::string LastEndpoint() override {
    MutexLock lock(mu_);
    return endpoint_;
  }

  bool WaitIdle(std::int64_t timeout_ms) override {
    const std::int64_t end = UnixNowMs() + timeout_ms;
    while (UnixNowMs() < end) {
      auto no_threads = [this] {
        MutexLock lock(mu_);
        return threads_ == 0;
      };
      auto no_events = [this] {
        MutexLock lock(ev_mu_);
        return events_.empty() && !dispatching_;
      };
      // Runs end before they queue their event, and a dispatch may start runs: threads, events, threads.
      if (no_threads() && no_events() && no_threads()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  void CrawlerEnded(const std::string& account, const std::string& region, const std::string& crawler,
                    const std::string& state) override {
    Enqueue(EndedEvent{.ns = {account, region},
                       .kind = "CRAWLER",
                       .name = crawler,
                       .state = state,
                       .run_id = "",
                       .workflow = "",
                       .workflow_run_id = ""});
  }

  void RunDueSchedules(std::int64_t now_s) override {
    std::int64_t since = 0;
    {
      MutexLock lock(mu_);
      since = last_schedule_check_s_;
      if (now_s <= since) return;
      last_schedule_check_s_ = now_s;
    }
    auto all = store_.ListAll("trigger");
    if (!all) return;
    for (const auto& [key, t] : *all) {
      if (GetString(t, "Type").value_or("") != "SCHEDULED" ||
          GetString(t, "State").value_or("") != "ACTIVATED")
        continue;
      auto cron = CronSchedule::Parse(GetString(t, "Schedule").value_or(""));
      if (!cron) continue;
      auto next = cron->NextAfter(since);
      if (!next || *next > now_s) continue;
      MutexLock lock(mu_);
      (void)Fire(Namespace{key.account, key.region}, t, "", "");
    }
  }

  Output Handle(const aws::RequestContext& ctx, std::string_view op, const json::object& in) override {
    const Namespace ns{ctx.account_id(), ctx.region};
    MutexLock lock(mu_);
    if (!ctx.in_process() && ctx.headers != nullptr) {
      if (auto host = ctx.headers->Get("host"))
        endpoint_ = std::string(ctx.tls ? "https://" : "http://") + std::string(*host);
    }
    if (shut_down_) return GlueError(errors::kShuttingDown);
    if (op == "CreateJob") return CreateJob(ns, in);
    if (op == "GetJob") return GetJob(ns, in);
    if (op == "GetJobs") return GetJobs(ns, in);
    if (op == "ListJobs") return ListNames(ns, in, "job", "JobNames");
    if (op == "BatchGetJobs") return BatchGet(ns, in, "job", "JobNames", "Jobs", "JobsNotFound");
    if (op == "UpdateJob") return UpdateJob(ns, in);
    if (op == "DeleteJob") return DeleteJob(ns, in);
    if (op == "StartJobRun") return StartJobRun(ns, in);
    if (op == "GetJobRun") return GetJobRun(ns, in);
    if (op == "GetJobRuns") return GetJobRuns(ns, in);
    if (op == "BatchStopJobRun") return BatchStopJobRun(ns, in);
    if (op == "GetJobBookmark") return GetJobBookmark(ns, in);
    if (op == "ResetJobBookmark") return ResetJobBookmark(ns, in);
    if (op == "CreateTrigger") return CreateTrigger(ns, in);
    if (op == "GetTrigger") return GetTrigger(ns, in);
    if (op == "GetTriggers") return GetTriggers(ns, in);
    if (op == "ListTriggers") return ListTriggers(ns, in);
    if (op == "BatchGetTriggers")
      return BatchGet(ns, in, "trigger", "TriggerNames", "Triggers", "TriggersNotFound");
    if (op == "UpdateTrigger") return UpdateTrigger(ns, in);
    if (op == "DeleteTrigger") return DeleteTrigger(ns, in);
    if (op == "StartTrigger") return StartTrigger(ns, in);
    if (op == "StopTrigger") return StopTrigger(ns, in);
    if (op == "CreateWorkflow") return CreateWorkflow(ns, in);
    if (op == "GetWorkflow") return GetWorkflow(ns, in);
    if (op == "ListWorkflows") return ListNames(ns, in, "workflow", "Workflows");
    if (op == "BatchGetWorkflows") return BatchGetWorkflows(ns, in);
    if (op == "UpdateWorkflow") return UpdateWorkflow(ns, in);
    if (op == "DeleteWorkflow") return DeleteWorkflow(ns, in);
    if (op == "StartWorkflowRun") return StartWorkflowRun(ns, in);
    if (op == "GetWorkflowRun") return GetWorkflowRun(ns, in);
    if (op == "GetWorkflowRuns") return GetWorkflowRuns(ns, in);
    if (op == "StopWorkflowRun") return StopWorkflowRun(ns, in);
    if (op == "ResumeWorkflowRun") return ResumeWorkflowRun(ns, in);
    if (op == "GetWorkflowRunProperties") return GetWorkflowRunProperties(ns, in);
    if (op == "PutWorkflowRunProperties") return PutWorkflowRunProperties(ns, in);
    return InternalError("glue jobs: no handler for " + std::string(op));
  }

 private:
  static Key K(const Namespace& ns, const std::string& name) { return Key{ns.account, ns.region, name}; }
  static std::string Arn(const Namespace& ns, const std::string& type, const std::string& name) {
    return "arn:aws:glue:" + ns.region + ":" + ns.account + ":" + type + "/" + name;
  }

  Result<json::object> Load(const std::string& kind, const Namespace& ns, const std::string& name,
                            const std::function<Error()>& not_found) {
    CENOTE_ASSIGN_OR_RETURN(auto doc, store_.Get(kind, K(ns, name)));
    if (!doc) return not_found();
    return std::move(*doc);
  }
  Result<json::object> LoadJob(const Namespace& ns, const std::string& name) {
    return Load("job", ns, name, [&] { return NotFound("Job " + name + " not found"); });
  }
  Result<json::object> LoadTrigger(const Namespace& ns, const std::string& name) {
    return Load("trigger", ns, name, [&] { return NotFound("Trigger " + name + " not found"); });
  }
  Result<json::object> LoadWorkflow(const Namespace& ns, const std::string& name) {
    return Load("workflow", ns, name, [&] { return NotFound("Entity not found"); });
  }

  static Result<std::string> Required(const json::object& in, std::string_view member) {
    auto s = GetString(in, member);
    if (!s || s->empty()) {
      std::string m(member);
      if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
      return GlueError(errors::kInvalidInput, {"1 validation error detected: Value null at '" + m +
                                               "' failed to satisfy constraint: Member must not be null"});
    }
    return *s;
  }

  // ---- jobs -------------------------------------------------------------------------------------------

  // The job definition from a CreateJob input or a JobUpdate, with Glue's defaults filled in.
  Result<json::object> JobDefinition(const json::object& in, const std::string& name) {
    static const char* kMembers[] = {"Description",
                                     "LogUri",
                                     "Role",
                                     "ExecutionProperty",
                                     "Command",
                                     "DefaultArguments",
                                     "NonOverridableArguments",
                                     "Connections",
                                     "MaxRetries",
                                     "AllocatedCapacity",
                                     "Timeout",
                                     "MaxCapacity",
                                     "SecurityConfiguration",
                                     "NotificationProperty",
                                     "GlueVersion",
                                     "NumberOfWorkers",
                                     "WorkerType",
                                     "CodeGenConfigurationNodes",
                                     "ExecutionClass",
                                     "SourceControlDetails",
                                     "MaintenanceWindow",
                                     "JobMode",
                                     "JobRunQueuingEnabled"};
    json::object def;
    for (const char* m : kMembers) {
      if (const json::value* v = services::Member(in, m); v && !v->is_null()) def[m] = *v;
    }
    def["Name"] = name;
    if (!GetString(def, "Role")) return Required(def, "Role").error();
    const json::object* command = GetObject(def, "Command");
    if (command == nullptr) {
      return GlueError(errors::kInvalidInput,
                       {"1 validation error detected: Value null at 'command' failed to "
                        "satisfy constraint: Member must not be null"});
    }
    const std::string cname = GetString(*command, "Name").value_or("glueetl");
    if (!CommandNames().contains(cname)) {
      return Invalid(
          "Command name should be one of glueetl, gluestreaming, pythonshell, glueray or athenasql "
          "(Cenote's SQL job type); got " +
          cname);
    }
    json::object cmd = *command;
    cmd["Name"] = cname;
    CENOTE_ASSIGN_OR_RETURN(auto defaults, StringMap(def, "DefaultArguments"));
    CENOTE_ASSIGN_OR_RETURN(auto fixed, StringMap(def, "NonOverridableArguments"));
    (void)defaults;
    (void)fixed;
    if (def.contains("AllocatedCapacity") && def.contains("MaxCapacity")) {
      return Invalid("Please set only Allocated Capacity or Max Capacity.");
    }
    const bool workers = def.contains("WorkerType") || def.contains("NumberOfWorkers");
    if (workers && (def.contains("MaxCapacity") || def.contains("AllocatedCapacity"))) {
      return Invalid(
          "Please do not set Allocated Capacity or Max Capacity if using Worker Type and Number of "
          "Workers.");
    }
    if (def.contains("WorkerType") != def.contains("NumberOfWorkers")) {
      return Invalid("Please set both Worker Type and Number of Workers.");
    }
    if (cname == "pythonshell" || cname == "athenasql") {
      if (workers)
        return Invalid("Worker Type and Number of Workers are not supported for " + cname + " jobs.");
      double cap = GetDouble(def, "MaxCapacity").value_or(0.0625);
      if (def.contains("AllocatedCapacity"))
        return Invalid("Allocated Capacity is not supported for " + cname + " jobs.");
      if (std::abs(cap - 0.0625) > 1e-9 && std::abs(cap - 1.0) > 1e-9) {
        return Invalid("Value for MaxCapacity must be either 0.0625 or 1.0 for " + cname + " jobs.");
      }
      def["MaxCapacity"] = cap;
      if (cname == "pythonshell" && !cmd.contains("PythonVersion")) cmd["PythonVersion"] = "3.9";
    } else if (!workers) {
      if (!def.contains("MaxCapacity")) {
        const double cap = def.contains("AllocatedCapacity")
                               ? static_cast<double>(GetInt(def, "AllocatedCapacity").value_or(10))
                               : 10.0;
        def["MaxCapacity"] = cap;
      }
      if (!def.contains("AllocatedCapacity")) {
        def["AllocatedCapacity"] = static_cast<std::int64_t>(GetDouble(def, "MaxCapacity").value_or(10));
      }
    }
    def["Command"] = std::move(cmd);
    if (const auto t = GetInt(def, "Timeout"); t && *t < 1)
      return Invalid("Timeout must be at least 1 minute.");
    if (const auto r = GetInt(def, "MaxRetries"); r && *r < 0)
      return Invalid("MaxRetries must not be negative.");
    if (!def.contains("Timeout")) def["Timeout"] = kDefaultTimeoutMinutes;
    if (!def.contains("MaxRetries")) def["MaxRetries"] = 0;
    json::object exec;
    if (const json::object* e = GetObject(def, "ExecutionProperty")) exec = *e;
    const std::int64_t mcr = GetInt(exec, "MaxConcurrentRuns").value_or(1);
    if (mcr < 1) return Invalid("MaxConcurrentRuns must be at least 1.");
    exec["MaxConcurrentRuns"] = mcr;
    def["ExecutionProperty"] = std::move(exec);
    if (!def.contains("JobMode")) def["JobMode"] = "SCRIPT";
    if (!def.contains("ExecutionClass")) def["ExecutionClass"] = "STANDARD";
    return def;
  }

  Output CreateJob(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto def, JobDefinition(in, name));
    CENOTE_ASSIGN_OR_RETURN(auto existing, store_.Get("job", K(ns, name)));
    if (existing) {
      // Compared as stored (numbers normalized by the round trip).
      json::object a = *existing, b = json::parse(json::serialize(def)).as_object();
      for (const char* m : {"CreatedOn", "LastModifiedOn"}) {
        a.erase(m);
        b.erase(m);
      }
      if (a == b) return json::object{{"Name", name}};
      return Mismatch("Job with name: " + name + " already exists with a different definition");
    }
    CENOTE_ASSIGN_OR_RETURN(auto count, store_.Count("job", ns.account, ns.region));
    if (static_cast<std::size_t>(count) >= kMaxJobs) {
      return Limit("The number of jobs in the account has reached its quota of " + std::to_string(kMaxJobs));
    }
    const std::int64_t now = UnixNowMs();
    def["CreatedOn"] = now;
    def["LastModifiedOn"] = now;
    CENOTE_ASSIGN_OR_RETURN(auto inserted, store_.Insert("job", K(ns, name), def));
    if (!inserted) return Mismatch("Job with name: " + name + " already exists");
    return json::object{{"Name", name}};
  }

  Output GetJob(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    CENOTE_ASSIGN_OR_RETURN(auto job, LoadJob(ns, name));
    return json::object{{"Job", Public(job)}};
  }

  Output GetJobs(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    const std::size_t limit =
        static_cast<std::size_t>(std::clamp<std::int64_t>(GetInt(in, "MaxResults").value_or(100), 1, 1000));
    CENOTE_ASSIGN_OR_RETURN(auto page, store_.List("job", ns.account, ns.region, after, limit + 1));
    json::array jobs;
    for (std::size_t i = 0; i < page.size() && i < limit; ++i) jobs.push_back(Public(page[i]));
    json::object out{{"Jobs", std::move(jobs)}};
    if (page.size() > limit) out["NextToken"] = MakeToken(GetString(page[limit - 1], "Name").value_or(""));
    return out;
  }

  // ListJobs / ListWorkflows: names only (the Tags filter of ListJobs is answered by the provider).
  Output ListNames(const Namespace& ns, const json::object& in, const std::string& kind, const char* member) {
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    const std::size_t limit =
        static_cast<std::size_t>(std::clamp<std::int64_t>(GetInt(in, "MaxResults").value_or(1000), 1, 1000));
    CENOTE_ASSIGN_OR_RETURN(auto page, store_.List(kind, ns.account, ns.region, after, limit + 1));
    json::array names;
    for (std::size_t i = 0; i < page.size() && i < limit; ++i) names.push_back(page[i]["Name"]);
    json::object out{{member, std::move(names)}};
    if (page.size() > limit) out["NextToken"] = MakeToken(GetString(page[limit - 1], "Name").value_or(""));
    return out;
  }

  Output BatchGet(const Namespace& ns, const json::object& in, const std::string& kind,
                  const char* names_member, const char* found_member, const char* missing_member) {
    const json::array* names = GetArray(in, names_member);
    if (names == nullptr) return Required(in, names_member).error();
    json::array found, missing;
    for (const auto& n : *names) {
      if (!n.is_string()) continue;
      CENOTE_ASSIGN_OR_RETURN(auto doc, store_.Get(kind, K(ns, std::string(n.get_string()))));
      if (doc) {
        found.push_back(Public(*doc));
      } else {
        missing.push_back(n);
      }
    }
    return json::object{{found_member, std::move(found)}, {missing_member, std::move(missing)}};
  }

  Output UpdateJob(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    const json::object* update = GetObject(in, "JobUpdate");
    if (update == nullptr) return Required(in, "JobUpdate").error();
    CENOTE_ASSIGN_OR_RETURN(auto job, LoadJob(ns, name));
    CENOTE_ASSIGN_OR_RETURN(auto def, JobDefinition(*update, name));
    def["CreatedOn"] = job["CreatedOn"];
    def["LastModifiedOn"] = UnixNowMs();
    CENOTE_RETURN_IF_ERROR(store_.Put("job", K(ns, name), def));
    return json::object{{"JobName", name}};
  }

  Output DeleteJob(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    // Glue answers the name whether or not the job existed.
    CENOTE_RETURN_IF_ERROR(store_.Delete("job", K(ns, name)));
    CENOTE_RETURN_IF_ERROR(store_.Delete("bookmark", K(ns, name)));
    return json::object{{"JobName", name}};
  }

  // ---- job runs ---------------------------------------------------------------------------------------

  struct RunOrigin {
    std::string trigger;
    std::string workflow;
    std::string workflow_run_id;
    json::array predecessors;  // PredecessorRuns: the job run whose end fired a conditional trigger
  };

  // Starts a run of `job_name` (the lock held). `args` are the run's Arguments.
  Result<std::string> StartRun(const Namespace& ns, const std::string& job_name, const json::object& args,
                               const json::object& run_input, const RunOrigin& origin) {
    CENOTE_ASSIGN_OR_RETURN(auto job, LoadJob(ns, job_name));
    const json::object cmd = GetObject(job, "Command") ? *GetObject(job, "Command") : json::object();
    const std::string command = GetString(cmd, "Name").value_or("glueetl");
    if (!Runnable(command)) {
      return Invalid("Cenote cannot run " + command +
                     " jobs: the job types it runs are pythonshell (Python shell "
                     "scripts from S3) and athenasql (a script of Athena SQL statements)");
    }
    if (!GetString(cmd, "ScriptLocation"))
      return Invalid("Command.ScriptLocation is required to run job " + job_name);
    const std::int64_t max_runs =
        GetObject(job, "ExecutionProperty")
            ? GetInt(*GetObject(job, "ExecutionProperty"), "MaxConcurrentRuns").value_or(1)
            : 1;
    if (ActiveRuns(ns, job_name) >= max_runs) return Concurrent("Concurrent runs exceeded for " + job_name);
    std::int64_t timeout =
        GetInt(run_input, "Timeout").value_or(GetInt(job, "Timeout").value_or(kDefaultTimeoutMinutes));
    if (timeout < 1) return Invalid("Timeout must be at least 1 minute.");
    const std::int64_t now = UnixNowMs();
    json::object run{{"Id", RunId()},
                     {"Attempt", 0},
                     {"JobName", job_name},
                     {"JobMode", GetString(job, "JobMode").value_or("SCRIPT")},
                     {"StartedOn", now},
                     {"LastModifiedOn", now},
                     {"JobRunState", "STARTING"},
                     {"Arguments", args},
                     {"PredecessorRuns", origin.predecessors},
                     {"AllocatedCapacity", 0},
                     {"ExecutionTime", 0},
                     {"Timeout", timeout},
                     {"MaxCapacity", GetDouble(job, "MaxCapacity").value_or(0.0625)},
                     {"LogGroupName", kPythonLogGroup},
                     {"ExecutionClass", GetString(job, "ExecutionClass").value_or("STANDARD")}};
    if (const auto v = GetString(job, "GlueVersion")) run["GlueVersion"] = *v;
    if (const auto v = GetString(run_input, "SecurityConfiguration")) run["SecurityConfiguration"] = *v;
    if (!origin.trigger.empty()) run["TriggerName"] = origin.trigger;
    if (!origin.workflow.empty()) {
      run["_workflow"] = origin.workflow;
      run["_workflow_run_id"] = origin.workflow_run_id;
    }
    const std::string id(run["Id"].get_string());
    CENOTE_RETURN_IF_ERROR(Launch(ns, job, std::move(run)));
    return id;
  }

  std::int64_t ActiveRuns(const Namespace& ns, const std::string& job) {
    std::int64_t n = 0;
    const std::string prefix = ns.account + "|" + ns.region + "|" + job + "|";
    for (const auto& [id, stop] : stops_) {
      if (id.starts_with(prefix)) ++n;
    }
    return n;
  }

  // Stores the run and starts its thread (the lock held).
  Status Launch(const Namespace& ns, const json::object& job, json::object run) {
    RunRow row{.account = ns.account,
               .region = ns.region,
               .parent = std::string(run["JobName"].get_string()),
               .id = std::string(run["Id"].get_string()),
               .state = "STARTING",
               .started_ms = run["StartedOn"].as_int64(),
               .doc = run};
    CENOTE_RETURN_IF_ERROR(store_.PutRun("jobrun", row));
    auto stop = std::make_shared<std::atomic<bool>>(false);
    const std::string key = ns.account + "|" + ns.region + "|" + row.parent + "|" + row.id;
    stops_[key] = stop;
    ++threads_;
    std::thread([this, ns, job, row, stop, key]() mutable {
      try {
        Execute(ns, job, std::move(row), *stop);
      } catch (const std::exception& e) {
        // Never expected (documents are validated when stored); the run is left for the restart recovery.
        spdlog::error("glue job run {}: {}", key, e.what());
      }
      MutexLock lock(mu_);
      stops_.erase(key);
      --threads_;
      cv_.SignalAll();
    }).detach();
    return Status::Ok();
  }

  // The arguments a run gets: the job's DefaultArguments, then the run's, then NonOverridableArguments.
  static std::vector<std::pair<std::string, std::string>> Arguments(const json::object& job,
                                                                    const json::object& run) {
    std::map<std::string, std::string> merged;
    auto add = [&](const json::object* m) {
      if (m == nullptr) return;
      for (const auto& kv : *m) {
        if (kv.value().is_string()) merged[std::string(kv.key())] = std::string(kv.value().get_string());
      }
    };
    add(GetObject(job, "DefaultArguments"));
    add(GetObject(run, "Arguments"));
    add(GetObject(job, "NonOverridableArguments"));
    std::vector<std::pair<std::string, std::string>> out{
        {"--JOB_NAME", std::string(run.at("JobName").get_string())},
        {"--JOB_ID", "j_" + RandomHex(32)},
        {"--JOB_RUN_ID", std::string(run.at("Id").get_string())}};
    if (const auto w = GetString(run, "_workflow")) {
      out.emplace_back("--WORKFLOW_NAME", *w);
      out.emplace_back("--WORKFLOW_RUN_ID", GetString(run, "_workflow_run_id").value_or(""));
    }
    for (auto& [k, v] : merged) {
      if (k == "--JOB_NAME" || k == "--JOB_ID" || k == "--JOB_RUN_ID") continue;
      out.emplace_back(k.starts_with("--") ? k : "--" + k, v);
    }
    return out;
  }

  void Execute(const Namespace& ns, const json::object& job, RunRow row, std::atomic<bool>& stop) {
    const auto args = Arguments(job, row.doc);
    std::string bookmark_option = "job-bookmark-disable";
    for (const auto& [k, v] : args) {
      if (k == "--job-bookmark-option") bookmark_option = v;
    }
    jobs::RunRequest req;
    req.account = ns.account;
    req.region = ns.region;
    req.job_name = row.parent;
    req.job_arn = Arn(ns, "job", row.parent);
    req.run_id = row.id;
    req.role = GetString(job, "Role").value_or("");
    const json::object* cmd = GetObject(job, "Command");
    req.command = cmd ? GetString(*cmd, "Name").value_or("") : "";
    req.script_location = cmd ? GetString(*cmd, "ScriptLocation").value_or("") : "";
    req.arguments = args;
    req.timeout_minutes = GetInt(row.doc, "Timeout").value_or(kDefaultTimeoutMinutes);
    req.timeout_ms = req.timeout_minutes * options_.ms_per_minute;
    req.max_capacity = GetDouble(row.doc, "MaxCapacity").value_or(0.0625);
    std::optional<json::object> previous_bookmark;
    if (bookmark_option == "job-bookmark-enable" || bookmark_option == "job-bookmark-pause") {
      MutexLock lock(mu_);
      auto b = store_.Get("bookmark", K(ns, row.parent));
      if (b && *b) {
        previous_bookmark = **b;
        req.bookmark = GetString(**b, "JobBookmark").value_or("");
      }
    }
    {
      MutexLock lock(mu_);
      row.state = "RUNNING";
      row.doc["JobRunState"] = "RUNNING";
      row.doc["LastModifiedOn"] = UnixNowMs();
      (void)store_.PutRun("jobrun", row);
    }
    jobs::RunOutcome outcome;
    try {
      outcome = options_.executor
                    ? options_.executor(req, stop)
                    : jobs::RunOutcome{.state = "ERROR", .error_message = "no executor", .bookmark = {}};
    } catch (const std::exception& e) {
      outcome = jobs::RunOutcome{
          .state = "ERROR", .error_message = std::string("Internal error: ") + e.what(), .bookmark = {}};
    }
    bool shutting_down = false;
    {
      MutexLock lock(mu_);
      shutting_down = shut_down_;
    }
    if (shutting_down && outcome.state == "STOPPED") {
      outcome.state = "ERROR";
      outcome.error_message = "The job run was interrupted by a shutdown of the Cenote server";
    }
    const std::int64_t now = UnixNowMs();
    EndedEvent ended;
    {
      MutexLock lock(mu_);
      auto fresh = store_.GetRun("jobrun", ns.account, ns.region, row.parent, row.id);
      if (fresh && *fresh) row = std::move(**fresh);
      row.state = outcome.state;
      row.doc["JobRunState"] = outcome.state;
      if (!outcome.error_message.empty()) row.doc["ErrorMessage"] = outcome.error_message;
      row.doc["CompletedOn"] = now;
      row.doc["LastModifiedOn"] = now;
      row.doc["ExecutionTime"] = std::max<std::int64_t>(0, (now - row.started_ms) / 1000);
      if (auto s = store_.PutRun("jobrun", row); !s)
        spdlog::error("glue job {}: {}", row.parent, s.error().message);
      if (outcome.state == "SUCCEEDED" && bookmark_option == "job-bookmark-enable") {
        json::object entry{
            {"JobName", row.parent},
            {"Version", previous_bookmark ? GetInt(*previous_bookmark, "Version").value_or(0) + 1 : 1},
            {"Run", previous_bookmark ? GetInt(*previous_bookmark, "Run").value_or(0) + 1 : 1},
            {"Attempt", GetInt(row.doc, "Attempt").value_or(0)},
            {"PreviousRunId", previous_bookmark ? GetString(*previous_bookmark, "RunId").value_or("") : ""},
            {"RunId", row.id},
            {"JobBookmark",
             outcome.bookmark ? *outcome.bookmark : (req.bookmark ? *req.bookmark : std::string("{}"))}};
        (void)store_.Put("bookmark", K(ns, row.parent), entry);
      }
      // Retries: a failed run is run again up to MaxRetries times, as attempt N of the same run.
      const std::int64_t attempt = GetInt(row.doc, "Attempt").value_or(0);
      const std::int64_t max_retries = GetInt(job, "MaxRetries").value_or(0);
      if ((outcome.state == "FAILED" || outcome.state == "ERROR") && attempt < max_retries && !shut_down_) {
        auto current = store_.Get("job", K(ns, row.parent));
        if (current && *current) {
          json::object retry = row.doc;
          std::string base = row.id;
          if (auto p = base.find("_attempt_"); p != std::string::npos) base.resize(p);
          retry["Id"] = base + "_attempt_" + std::to_string(attempt + 1);
          retry["Attempt"] = attempt + 1;
          retry["PreviousRunId"] = row.id;
          retry["StartedOn"] = now;
          retry["LastModifiedOn"] = now;
          retry["JobRunState"] = "STARTING";
          retry["ExecutionTime"] = 0;
          retry.erase("CompletedOn");
          retry.erase("ErrorMessage");
          if (auto s = Launch(ns, **current, std::move(retry)); !s) {
            spdlog::warn("glue job {}: retry not started: {}", row.parent, s.error().message);
          }
        }
      }
      ended = EndedEvent{.ns = ns,
                         .kind = "JOB",
                         .name = row.parent,
                         .state = outcome.state,
                         .run_id = row.id,
                         .workflow = GetString(row.doc, "_workflow").value_or(""),
                         .workflow_run_id = GetString(row.doc, "_workflow_run_id").value_or("")};
    }
    Announce(ns, row, outcome);
    Enqueue(std::move(ended));
  }

  void Announce(const Namespace& ns, const RunRow& row, const jobs::RunOutcome& outcome) {
    if (!options_.on_event) return;
    std::string severity = "INFO", message;
    if (outcome.state == "SUCCEEDED") {
      message = "Job run succeeded";
    } else if (outcome.state == "STOPPED") {
      message = "Job run stopped";
    } else if (outcome.state == "TIMEOUT") {
      severity = "WARN";
      message = "Job run timed out";
    } else {
      severity = "ERROR";
      message = "JobName:" + row.parent + " and JobRunId:" + row.id + " failed to execute with exception " +
                outcome.error_message;
    }
    options_.on_event(ns.account, ns.region, "Glue Job State Change",
                      json::object{{"jobName", row.parent},
                                   {"severity", severity},
                                   {"state", outcome.state},
                                   {"jobRunId", row.id},
                                   {"message", message}});
  }

  Output StartJobRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    CENOTE_ASSIGN_OR_RETURN(auto args, StringMap(in, "Arguments"));
    if (const auto prev = GetString(in, "JobRunId"); prev && !prev->empty()) {
      return Invalid("Retrying a run by JobRunId is not supported by Cenote; start a new run");
    }
    CENOTE_ASSIGN_OR_RETURN(auto id, StartRun(ns, name, args, in, RunOrigin{}));
    return json::object{{"JobRunId", id}};
  }

  Output GetJobRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    CENOTE_ASSIGN_OR_RETURN(auto id, Required(in, "RunId"));
    CENOTE_ASSIGN_OR_RETURN(auto run, store_.GetRun("jobrun", ns.account, ns.region, name, id));
    if (!run) return NotFound("Job Run Id " + id + " not found for job " + name);
    return json::object{{"JobRun", RunDocument(run->doc)}};
  }

  static json::object RunDocument(const json::object& doc) {
    json::object out = Public(doc);
    const std::string state = GetString(doc, "JobRunState").value_or("");
    if (!Terminal(state)) {
      // ExecutionTime while running: the seconds so far.
      out["ExecutionTime"] =
          std::max<std::int64_t>(0, (UnixNowMs() - GetInt(doc, "StartedOn").value_or(0)) / 1000);
    }
    return out;
  }

  // A page of runs of `kind` of `parent`, newest first; the token is the offset.
  Output RunsPage(const Namespace& ns, const json::object& in, const std::string& kind,
                  const std::string& parent, std::int64_t max, const char* member,
                  json::object (*document)(const json::object&)) {
    const std::size_t limit =
        static_cast<std::size_t>(std::clamp<std::int64_t>(GetInt(in, "MaxResults").value_or(100), 1, max));
    std::size_t offset = 0;
    CENOTE_ASSIGN_OR_RETURN(auto token, ReadToken(in));
    if (!token.empty()) offset = static_cast<std::size_t>(std::strtoull(token.c_str(), nullptr, 10));
    CENOTE_ASSIGN_OR_RETURN(auto runs,
                            store_.ListRuns(kind, ns.account, ns.region, parent, offset + limit + 1));
    json::array out;
    for (std::size_t i = offset; i < runs.size() && i < offset + limit; ++i)
      out.push_back(document(runs[i].doc));
    json::object result{{member, std::move(out)}};
    if (runs.size() > offset + limit) result["NextToken"] = MakeToken(std::to_string(offset + limit));
    return result;
  }

  Output GetJobRuns(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    CENOTE_RETURN_IF_ERROR(LoadJob(ns, name));
    return RunsPage(ns, in, "jobrun", name, 200, "JobRuns", RunDocument);
  }

  Output BatchStopJobRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    const json::array* ids = GetArray(in, "JobRunIds");
    if (ids == nullptr) return Required(in, "JobRunIds").error();
    json::array ok, errors_out;
    for (const auto& v : *ids) {
      if (!v.is_string()) continue;
      const std::string id(v.get_string());
      auto run = store_.GetRun("jobrun", ns.account, ns.region, name, id);
      auto stop_it = stops_.find(ns.account + "|" + ns.region + "|" + name + "|" + id);
      if (!run || !*run || stop_it == stops_.end() || Terminal((*run)->state)) {
        errors_out.push_back(json::object{
            {"JobName", name},
            {"JobRunId", id},
            {"ErrorDetail",
             json::object{{"ErrorCode", "InvalidInputException"},
                          {"ErrorMessage", (!run || !*run) ? "Job Run Id " + id + " not found"
                                                           : "Job Run " + id + " is not running"}}}});
        continue;
      }
      stop_it->second->store(true);
      RunRow r = **run;
      r.state = "STOPPING";
      r.doc["JobRunState"] = "STOPPING";
      r.doc["LastModifiedOn"] = UnixNowMs();
      (void)store_.PutRun("jobrun", r);
      ok.push_back(json::object{{"JobName", name}, {"JobRunId", id}});
    }
    return json::object{{"SuccessfulSubmissions", std::move(ok)}, {"Errors", std::move(errors_out)}};
  }

  // ---- bookmarks --------------------------------------------------------------------------------------

  Output GetJobBookmark(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    CENOTE_ASSIGN_OR_RETURN(auto b, store_.Get("bookmark", K(ns, name)));
    if (!b) return NotFound("Continuation for job " + name + " not found");
    return json::object{{"JobBookmarkEntry", *b}};
  }

  Output ResetJobBookmark(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
    CENOTE_RETURN_IF_ERROR(LoadJob(ns, name));
    CENOTE_ASSIGN_OR_RETURN(auto b, store_.Get("bookmark", K(ns, name)));
    if (!b) return NotFound("Continuation for job " + name + " not found");
    json::object entry = *b;
    CENOTE_RETURN_IF_ERROR(store_.Delete("bookmark", K(ns, name)));
    return json::object{{"JobBookmarkEntry", std::move(entry)}};
  }

  // ---- triggers ---------------------------------------------------------------------------------------

  Status ValidateTrigger(const Namespace& ns, json::object& t) {
    const std::string type = GetString(t, "Type").value_or("");
    if (type != "SCHEDULED" && type != "CONDITIONAL" && type != "ON_DEMAND" && type != "EVENT") {
      return Invalid("Trigger type must be one of SCHEDULED, CONDITIONAL, ON_DEMAND or EVENT");
    }
    const json::array* actions = GetArray(t, "Actions");
    if (actions == nullptr || actions->empty()) return Invalid("Trigger must have at least one action");
    for (const auto& a : *actions) {
      if (!a.is_object()) return Invalid("Invalid action");
      const bool job = GetString(a.as_object(), "JobName").has_value();
      const bool crawler = GetString(a.as_object(), "CrawlerName").has_value();
      if (job == crawler) return Invalid("Each action must name exactly one of JobName or CrawlerName");
      if (job) CENOTE_RETURN_IF_ERROR(LoadJob(ns, std::string(a.as_object().at("JobName").get_string())));
    }
    if (type == "SCHEDULED") {
      auto s = GetString(t, "Schedule");
      if (!s) return Invalid("Schedule is required for a SCHEDULED trigger");
      auto cron = CronSchedule::Parse(*s);
      if (!cron) return Invalid("Invalid schedule expression " + *s + ": " + cron.error().message);
    } else if (t.contains("Schedule")) {
      return Invalid("Schedule is only allowed for SCHEDULED triggers");
    }
    if (type == "CONDITIONAL") {
      const json::object* p = GetObject(t, "Predicate");
      const json::array* conds = p ? GetArray(*p, "Conditions") : nullptr;
      if (conds == nullptr || conds->empty())
        return Invalid("Predicate with conditions is required for a CONDITIONAL trigger");
      json::object pred = *p;
      if (!pred.contains("Logical")) pred["Logical"] = "AND";
      const std::string logical(pred["Logical"].as_string());
      if (logical != "AND" && logical != "ANY") return Invalid("Logical must be AND or ANY");
      for (const auto& c : *conds) {
        if (!c.is_object()) return Invalid("Invalid condition");
        const json::object& co = c.as_object();
        const bool job = GetString(co, "JobName").has_value();
        const bool crawler = GetString(co, "CrawlerName").has_value();
        if (job == crawler) return Invalid("Each condition must name exactly one of JobName or CrawlerName");
        if (job && !GetString(co, "State")) return Invalid("A job condition needs a State");
        if (crawler && !GetString(co, "CrawlState")) return Invalid("A crawler condition needs a CrawlState");
      }
      t["Predicate"] = std::move(pred);
    } else if (t.contains("Predicate")) {
      return Invalid("Predicate is only allowed for CONDITIONAL triggers");
    }
    if (type == "EVENT") {
      if (!GetString(t, "WorkflowName")) return Invalid("An EVENT trigger must belong to a workflow");
    }
    if (const auto w = GetString(t, "WorkflowName")) CENOTE_RETURN_IF_ERROR(LoadWorkflow(ns, *w));
    return Status::Ok();
  }

  Output CreateTrigger(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_RETURN_IF_ERROR(Required(in, "Type"));
    json::object t;
    for (const char* m : {"WorkflowName", "Type", "Schedule", "Predicate", "Actions", "Description",
                          "EventBatchingCondition"}) {
      if (const json::value* v = services::Member(in, m); v && !v->is_null()) t[m] = *v;
    }
    t["Name"] = name;
    CENOTE_RETURN_IF_ERROR(ValidateTrigger(ns, t));
    const bool start = GetBool(in, "StartOnCreation").value_or(false);
    const std::string type(t["Type"].as_string());
    if (start && type == "ON_DEMAND")
      return Invalid("StartOnCreation is not supported for On-Demand triggers.");
    t["State"] = start ? "ACTIVATED" : "CREATED";
    CENOTE_ASSIGN_OR_RETURN(auto count, store_.Count("trigger", ns.account, ns.region));
    if (static_cast<std::size_t>(count) >= kMaxTriggers) {
      return Limit("The number of triggers in the account has reached its quota of " +
                   std::to_string(kMaxTriggers));
    }
    CENOTE_ASSIGN_OR_RETURN(auto inserted, store_.Insert("trigger", K(ns, name), t));
    if (!inserted)
      return GlueError(errors::kAlreadyExists, {"Trigger with name " + name + " already submitted"});
    return json::object{{"Name", name}};
  }

  Output GetTrigger(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
    return json::object{{"Trigger", Public(t)}};
  }

  static bool TriggerMentions(const json::object& t, const std::string& job) {
    if (const json::array* a = GetArray(t, "Actions")) {
      for (const auto& x : *a) {
        if (x.is_object() && GetString(x.as_object(), "JobName").value_or("") == job) return true;
      }
    }
    if (const json::object* p = GetObject(t, "Predicate")) {
      if (const json::array* c = GetArray(*p, "Conditions")) {
        for (const auto& x : *c) {
          if (x.is_object() && GetString(x.as_object(), "JobName").value_or("") == job) return true;
        }
      }
    }
    return false;
  }

  // GetTriggers (whole triggers, at most 200) and ListTriggers (names, at most 1000): DependentJobName keeps
  // the triggers that start or watch that job.
  Output TriggerPage(const Namespace& ns, const json::object& in, std::int64_t max, bool names) {
    CENOTE_ASSIGN_OR_RETURN(auto after, ReadToken(in));
    const std::string dependent = GetString(in, "DependentJobName").value_or("");
    const std::size_t limit =
        static_cast<std::size_t>(std::clamp<std::int64_t>(GetInt(in, "MaxResults").value_or(max), 1, max));
    CENOTE_ASSIGN_OR_RETURN(auto all, store_.List("trigger", ns.account, ns.region, after, 0));
    json::array out;
    std::string last;
    bool more = false;
    for (const auto& t : all) {
      if (!dependent.empty() && !TriggerMentions(t, dependent)) continue;
      if (out.size() >= limit) {
        more = true;
        break;
      }
      out.push_back(names ? t.at("Name") : json::value(Public(t)));
      last = GetString(t, "Name").value_or("");
    }
    json::object result{{names ? "TriggerNames" : "Triggers", std::move(out)}};
    if (more) result["NextToken"] = MakeToken(last);
    return result;
  }

  Output GetTriggers(const Namespace& ns, const json::object& in) { return TriggerPage(ns, in, 200, false); }
  Output ListTriggers(const Namespace& ns, const json::object& in) { return TriggerPage(ns, in, 1000, true); }

  Output UpdateTrigger(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    const json::object* update = GetObject(in, "TriggerUpdate");
    if (update == nullptr) return Required(in, "TriggerUpdate").error();
    CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
    for (const char* m : {"Description", "Schedule", "Actions", "Predicate", "EventBatchingCondition"}) {
      if (const json::value* v = services::Member(*update, m); v && !v->is_null()) t[m] = *v;
    }
    CENOTE_RETURN_IF_ERROR(ValidateTrigger(ns, t));
    CENOTE_RETURN_IF_ERROR(store_.Put("trigger", K(ns, name), t));
    return json::object{{"Trigger", Public(t)}};
  }

  Output DeleteTrigger(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_RETURN_IF_ERROR(store_.Delete("trigger", K(ns, name)));
    return json::object{{"Name", name}};
  }

  Output StartTrigger(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
    const std::string type = GetString(t, "Type").value_or("");
    if (type == "ON_DEMAND") {
      // An on-demand trigger fires its actions now (in a workflow: a run of the workflow).
      CENOTE_RETURN_IF_ERROR(Fire(ns, t, "", ""));
      return json::object{{"Name", name}};
    }
    t["State"] = "ACTIVATED";
    CENOTE_RETURN_IF_ERROR(store_.Put("trigger", K(ns, name), t));
    return json::object{{"Name", name}};
  }

  Output StopTrigger(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
    if (GetString(t, "Type").value_or("") == "ON_DEMAND") {
      return Invalid("On-demand trigger " + name + " cannot be stopped");
    }
    t["State"] = "DEACTIVATED";
    CENOTE_RETURN_IF_ERROR(store_.Put("trigger", K(ns, name), t));
    return json::object{{"Name", name}};
  }

  // Runs a trigger's actions (the lock held). A start trigger of a workflow fired outside a workflow run
  // starts a workflow run instead.
  Status Fire(const Namespace& ns, const json::object& t, const std::string& workflow_run_id,
              const std::string& workflow, const json::array& predecessors = {}) {
    const std::string tname = GetString(t, "Name").value_or("");
    const std::string twf = GetString(t, "WorkflowName").value_or("");
    if (!twf.empty() && workflow_run_id.empty()) {
      return Status::FromResult(StartWorkflow(ns, twf, std::nullopt));
    }
    const json::array* actions = GetArray(t, "Actions");
    if (actions == nullptr) return Status::Ok();
    Status first = Status::Ok();
    for (const auto& a : *actions) {
      if (!a.is_object()) continue;
      const json::object& ao = a.as_object();
      if (const auto job = GetString(ao, "JobName")) {
        json::object args = GetObject(ao, "Arguments") ? *GetObject(ao, "Arguments") : json::object();
        json::object run_input;
        if (const auto to = GetInt(ao, "Timeout")) run_input["Timeout"] = *to;
        auto started =
            StartRun(ns, *job, args, run_input, RunOrigin{tname, workflow, workflow_run_id, predecessors});
        if (!started) {
          spdlog::warn("glue trigger {}: job {} not started: {}", tname, *job, started.error().message);
          if (first) first = started.error();
        }
        if (!workflow_run_id.empty()) {
          RecordAction(ns, workflow, workflow_run_id, "JOB", *job, started ? *started : "",
                       started ? "RUNNING" : "ERROR");
        }
      } else if (const auto crawler = GetString(ao, "CrawlerName")) {
        Status s = options_.start_crawler ? options_.start_crawler(ns.account, ns.region, *crawler)
                                          : Status(InternalError("crawlers are not available"));
        if (!s) {
          spdlog::warn("glue trigger {}: crawler {} not started: {}", tname, *crawler, s.error().message);
          if (first) first = s;
        }
        if (!workflow_run_id.empty()) {
          RecordAction(ns, workflow, workflow_run_id, "CRAWLER", *crawler, "", s ? "RUNNING" : "ERROR");
        }
      }
    }
    return first;
  }

  // ---- conditional triggers and workflow progress (the dispatcher thread) ------------------------------

  // The queue has its own lock, taken last: the crawlers call CrawlerEnded with their lock held, while the
  // dispatcher holds mu_ when it asks the crawlers for a state or starts one.
  void Enqueue(EndedEvent e) {
    {
      MutexLock lock(ev_mu_);
      events_.push_back(std::move(e));
    }
    ev_cv_.SignalAll();
  }

  void DispatchLoop() {
    while (true) {
      EndedEvent e;
      {
        MutexLock lock(ev_mu_);
        while (events_.empty() && !ev_shut_down_) ev_cv_.Wait(lock);
        if (events_.empty()) return;
        e = std::move(events_.front());
        events_.pop_front();
        dispatching_ = true;
      }
      try {
        MutexLock lock(mu_);
        if (!shut_down_) OnEnded(e);
      } catch (const std::exception& ex) {
        spdlog::error("glue jobs: trigger evaluation failed: {}", ex.what());
      }
      {
        MutexLock lock(ev_mu_);
        dispatching_ = false;
      }
    }
  }

  // The latest state of a job or crawler: in a workflow run, of its action there; else the latest run.
  std::string StateOf(const Namespace& ns, const std::string& kind, const std::string& name,
                      const json::object* wfrun) {
    if (wfrun != nullptr) {
      const json::object* acts = GetObject(*wfrun, "_actions");
      if (acts == nullptr) return "";
      std::string state;
      std::int64_t latest = -1;
      for (const auto& kv : *acts) {
        const json::object& a = kv.value().as_object();
        if (GetString(a, "type").value_or("") != kind || GetString(a, "name").value_or("") != name) continue;
        const std::int64_t at = GetInt(a, "at").value_or(0);
        if (at >= latest) {
          latest = at;
          state = GetString(a, "state").value_or("");
        }
      }
      return state;
    }
    if (kind == "JOB") {
      auto runs = store_.ListRuns("jobrun", ns.account, ns.region, name, 1);
      return runs && !runs->empty() ? (*runs)[0].state : "";
    }
    return options_.crawler_state ? options_.crawler_state(ns.account, ns.region, name) : "";
  }

  static bool ConditionMatches(const json::object& c, const std::string& kind, const std::string& name) {
    return kind == "JOB" ? GetString(c, "JobName").value_or("") == name
                         : GetString(c, "CrawlerName").value_or("") == name;
  }

  void OnEnded(const EndedEvent& e) {
    std::optional<RunRow> wfrun;
    if (e.kind == "CRAWLER") {
      // Crawlers started by a workflow run: the running workflow runs of this namespace that hold it.
      auto runs = store_.RunsInStates("wfrun", {"RUNNING"});
      if (runs) {
        for (auto& r : *runs) {
          if (r.account != e.ns.account || r.region != e.ns.region) continue;
          json::object* acts = r.doc.contains("_actions") ? &r.doc["_actions"].as_object() : nullptr;
          if (acts == nullptr) continue;
          for (auto& kv : *acts) {
            json::object& a = kv.value().as_object();
            if (GetString(a, "type").value_or("") == "CRAWLER" &&
                GetString(a, "name").value_or("") == e.name &&
                GetString(a, "state").value_or("") == "RUNNING") {
              a["state"] = e.state;
              (void)store_.PutRun("wfrun", r);
              EvaluateTriggers(e, &r);
              FinishIfDone(r.account, r.region, r.parent, r.id);
              break;
            }
          }
        }
      }
      EvaluateTriggers(e, nullptr);
      return;
    }
    if (!e.workflow_run_id.empty()) {
      RecordAction(e.ns, e.workflow, e.workflow_run_id, "JOB", e.name, e.run_id, e.state);
      auto r = store_.GetRun("wfrun", e.ns.account, e.ns.region, e.workflow, e.workflow_run_id);
      if (r && *r && (*r)->state == "RUNNING") {
        EvaluateTriggers(e, &**r);
      }
      FinishIfDone(e.ns.account, e.ns.region, e.workflow, e.workflow_run_id);
      return;
    }
    EvaluateTriggers(e, nullptr);
  }

  static json::array Predecessors(const EndedEvent& e) {
    if (e.kind != "JOB") return {};
    return json::array{json::object{{"JobName", e.name}, {"RunId", e.run_id}}};
  }

  // Conditional triggers watching what ended: those of the workflow when `wfrun` is set, else those
  // outside any workflow.
  void EvaluateTriggers(const EndedEvent& e, RunRow* wfrun) {
    auto triggers = store_.List("trigger", e.ns.account, e.ns.region, "", 0);
    if (!triggers) return;
    for (const auto& t : *triggers) {
      if (GetString(t, "Type").value_or("") != "CONDITIONAL") continue;
      const std::string twf = GetString(t, "WorkflowName").value_or("");
      if (wfrun != nullptr ? twf != wfrun->parent : !twf.empty()) continue;
      if (wfrun == nullptr && GetString(t, "State").value_or("") != "ACTIVATED") continue;
      const json::object* p = GetObject(t, "Predicate");
      const json::array* conds = p ? GetArray(*p, "Conditions") : nullptr;
      if (conds == nullptr) continue;
      bool mentioned = false;
      for (const auto& c : *conds) {
        if (ConditionMatches(c.as_object(), e.kind, e.name)) mentioned = true;
      }
      if (!mentioned) continue;
      const bool any = GetString(*p, "Logical").value_or("AND") == "ANY";
      bool result = !any;
      for (const auto& c : *conds) {
        const json::object& co = c.as_object();
        const bool job = GetString(co, "JobName").has_value();
        const std::string want =
            job ? GetString(co, "State").value_or("") : GetString(co, "CrawlState").value_or("");
        std::string state;
        if (ConditionMatches(co, e.kind, e.name)) {
          state = e.state;
        } else {
          state =
              StateOf(e.ns, job ? "JOB" : "CRAWLER",
                      job ? GetString(co, "JobName").value_or("") : GetString(co, "CrawlerName").value_or(""),
                      wfrun ? &wfrun->doc : nullptr);
        }
        const bool ok = state == want;
        if (any && ok) result = true;
        if (!any && !ok) result = false;
      }
      if (!result) continue;
      if (wfrun != nullptr) {
        // A trigger fires once per workflow run.
        auto fresh = store_.GetRun("wfrun", wfrun->account, wfrun->region, wfrun->parent, wfrun->id);
        if (!fresh || !*fresh) continue;
        json::object& doc = (*fresh)->doc;
        if (!doc.contains("_fired") || !doc["_fired"].is_array()) doc["_fired"] = json::array();
        json::array& fired = doc["_fired"].as_array();
        const std::string tname = GetString(t, "Name").value_or("");
        if (std::find(fired.begin(), fired.end(), json::value(tname)) != fired.end()) continue;
        fired.push_back(json::value(tname));
        (void)store_.PutRun("wfrun", **fresh);
        *wfrun = **fresh;
        (void)Fire(e.ns, t, wfrun->id, wfrun->parent, Predecessors(e));
        auto again = store_.GetRun("wfrun", wfrun->account, wfrun->region, wfrun->parent, wfrun->id);
        if (again && *again) *wfrun = **again;
      } else {
        (void)Fire(e.ns, t, "", "", Predecessors(e));
      }
    }
  }

  // ---- workflows --------------------------------------------------------------------------------------

  Output CreateWorkflow(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    json::object w{{"Name", name}};
    for (const char* m : {"Description", "DefaultRunProperties", "MaxConcurrentRuns"}) {
      if (const json::value* v = services::Member(in, m); v && !v->is_null()) w[m] = *v;
    }
    CENOTE_RETURN_IF_ERROR(StringMap(w, "DefaultRunProperties"));
    const std::int64_t now = UnixNowMs();
    w["CreatedOn"] = now;
    w["LastModifiedOn"] = now;
    CENOTE_ASSIGN_OR_RETURN(auto count, store_.Count("workflow", ns.account, ns.region));
    if (static_cast<std::size_t>(count) >= kMaxWorkflows) {
      return Limit("The number of workflows in the account has reached its quota of " +
                   std::to_string(kMaxWorkflows));
    }
    CENOTE_ASSIGN_OR_RETURN(auto inserted, store_.Insert("workflow", K(ns, name), w));
    if (!inserted)
      return GlueError(errors::kAlreadyExists, {"Workflow with name " + name + " already exists"});
    return json::object{{"Name", name}};
  }

  static json::object Statistics(const json::object& run) {
    std::int64_t total = 0, timeout = 0, failed = 0, stopped = 0, succeeded = 0, running = 0, errored = 0;
    if (const json::object* acts = GetObject(run, "_actions")) {
      for (const auto& kv : *acts) {
        // Actions a resumed run inherited from the run it resumes are not its own.
        if (GetBool(kv.value().as_object(), "inherited").value_or(false)) continue;
        const std::string s = GetString(kv.value().as_object(), "state").value_or("");
        ++total;
        if (s == "TIMEOUT")
          ++timeout;
        else if (s == "FAILED")
          ++failed;
        else if (s == "STOPPED" || s == "CANCELLED")
          ++stopped;
        else if (s == "SUCCEEDED")
          ++succeeded;
        else if (s == "ERROR")
          ++errored;
        else
          ++running;
      }
    }
    return json::object{{"TotalActions", total},         {"TimeoutActions", timeout},
                        {"FailedActions", failed},       {"StoppedActions", stopped},
                        {"SucceededActions", succeeded}, {"RunningActions", running},
                        {"ErroredActions", errored},     {"WaitingActions", 0}};
  }

  static json::object WorkflowRunDocument(const json::object& doc) {
    json::object out = Public(doc);
    out["Statistics"] = Statistics(doc);
    return out;
  }

  // The workflow's graph: its triggers, the jobs and crawlers they start or watch, and the edges between.
  Result<json::object> Graph(const Namespace& ns, const std::string& workflow, const json::object* run) {
    CENOTE_ASSIGN_OR_RETURN(auto triggers, store_.List("trigger", ns.account, ns.region, "", 0));
    json::array nodes, edges;
    std::set<std::string> seen;
    auto node = [&](const std::string& type, const std::string& name) {
      const std::string id = NodeId(type, name);
      if (!seen.insert(id).second) return id;
      json::object n{{"Type", type}, {"Name", name}, {"UniqueId", id}};
      if (type == "JOB") {
        json::array runs;
        if (run != nullptr) {
          if (const json::object* acts = GetObject(*run, "_actions")) {
            for (const auto& kv : *acts) {
              const json::object& a = kv.value().as_object();
              if (GetString(a, "type").value_or("") != "JOB" || GetString(a, "name").value_or("") != name)
                continue;
              auto r = store_.GetRun("jobrun", ns.account, ns.region, name, GetString(a, "id").value_or(""));
              if (r && *r) runs.push_back(RunDocument((*r)->doc));
            }
          }
        }
        n["JobDetails"] = json::object{{"JobRuns", std::move(runs)}};
      } else if (type == "CRAWLER") {
        n["CrawlerDetails"] = json::object{{"Crawls", json::array()}};
      }
      nodes.push_back(std::move(n));
      return id;
    };
    for (const auto& t : triggers) {
      if (GetString(t, "WorkflowName").value_or("") != workflow) continue;
      const std::string tid = NodeId("TRIGGER", GetString(t, "Name").value_or(""));
      seen.insert(tid);
      nodes.push_back(json::object{{"Type", "TRIGGER"},
                                   {"Name", t.at("Name")},
                                   {"UniqueId", tid},
                                   {"TriggerDetails", json::object{{"Trigger", Public(t)}}}});
      if (const json::array* a = GetArray(t, "Actions")) {
        for (const auto& x : *a) {
          const json::object& ao = x.as_object();
          const std::string id = GetString(ao, "JobName")
                                     ? node("JOB", *GetString(ao, "JobName"))
                                     : node("CRAWLER", GetString(ao, "CrawlerName").value_or(""));
          edges.push_back(json::object{{"SourceId", tid}, {"DestinationId", id}});
        }
      }
      if (const json::object* p = GetObject(t, "Predicate")) {
        if (const json::array* c = GetArray(*p, "Conditions")) {
          for (const auto& x : *c) {
            const json::object& co = x.as_object();
            const std::string id = GetString(co, "JobName")
                                       ? node("JOB", *GetString(co, "JobName"))
                                       : node("CRAWLER", GetString(co, "CrawlerName").value_or(""));
            edges.push_back(json::object{{"SourceId", id}, {"DestinationId", tid}});
          }
        }
      }
    }
    return json::object{{"Nodes", std::move(nodes)}, {"Edges", std::move(edges)}};
  }

  Result<json::object> WorkflowDocument(const Namespace& ns, const json::object& w, bool include_graph) {
    json::object out = Public(w);
    const std::string name = GetString(w, "Name").value_or("");
    CENOTE_ASSIGN_OR_RETURN(auto runs, store_.ListRuns("wfrun", ns.account, ns.region, name, 1));
    if (!runs.empty()) out["LastRun"] = WorkflowRunDocument(runs[0].doc);
    if (include_graph) {
      CENOTE_ASSIGN_OR_RETURN(auto g, Graph(ns, name, nullptr));
      out["Graph"] = std::move(g);
    }
    return out;
  }

  Output GetWorkflow(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto w, LoadWorkflow(ns, name));
    CENOTE_ASSIGN_OR_RETURN(auto doc, WorkflowDocument(ns, w, GetBool(in, "IncludeGraph").value_or(false)));
    return json::object{{"Workflow", std::move(doc)}};
  }

  Output BatchGetWorkflows(const Namespace& ns, const json::object& in) {
    const json::array* names = GetArray(in, "Names");
    if (names == nullptr) return Required(in, "Names").error();
    const bool graph = GetBool(in, "IncludeGraph").value_or(false);
    json::array found, missing;
    for (const auto& n : *names) {
      if (!n.is_string()) continue;
      CENOTE_ASSIGN_OR_RETURN(auto w, store_.Get("workflow", K(ns, std::string(n.get_string()))));
      if (!w) {
        missing.push_back(n);
        continue;
      }
      CENOTE_ASSIGN_OR_RETURN(auto doc, WorkflowDocument(ns, *w, graph));
      found.push_back(std::move(doc));
    }
    return json::object{{"Workflows", std::move(found)}, {"MissingWorkflows", std::move(missing)}};
  }

  Output UpdateWorkflow(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto w, LoadWorkflow(ns, name));
    for (const char* m : {"Description", "DefaultRunProperties", "MaxConcurrentRuns"}) {
      if (const json::value* v = services::Member(in, m); v && !v->is_null()) w[m] = *v;
    }
    CENOTE_RETURN_IF_ERROR(StringMap(w, "DefaultRunProperties"));
    w["LastModifiedOn"] = UnixNowMs();
    CENOTE_RETURN_IF_ERROR(store_.Put("workflow", K(ns, name), w));
    return json::object{{"Name", name}};
  }

  Output DeleteWorkflow(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    // The workflow's triggers go with it, as on AWS.
    CENOTE_ASSIGN_OR_RETURN(auto triggers, store_.List("trigger", ns.account, ns.region, "", 0));
    for (const auto& t : triggers) {
      if (GetString(t, "WorkflowName").value_or("") == name) {
        CENOTE_RETURN_IF_ERROR(store_.Delete("trigger", K(ns, GetString(t, "Name").value_or(""))));
      }
    }
    CENOTE_RETURN_IF_ERROR(store_.Delete("workflow", K(ns, name)));
    CENOTE_RETURN_IF_ERROR(store_.DeleteRuns("wfrun", ns.account, ns.region, name));
    return json::object{{"Name", name}};
  }

  // MaxConcurrentRuns of a workflow, when set, over its RUNNING runs.
  Status CheckWorkflowConcurrency(const Namespace& ns, const json::object& w) {
    const auto max = GetInt(w, "MaxConcurrentRuns");
    if (!max) return Status::Ok();
    const std::string name = GetString(w, "Name").value_or("");
    CENOTE_ASSIGN_OR_RETURN(auto runs, store_.ListRuns("wfrun", ns.account, ns.region, name, 0));
    std::int64_t running = 0;
    for (const auto& r : runs) running += r.state == "RUNNING" ? 1 : 0;
    if (running >= *max) return Concurrent("Concurrent runs exceeded for workflow: " + name);
    return Status::Ok();
  }

  Result<std::string> StartWorkflow(const Namespace& ns, const std::string& name,
                                    const std::optional<json::object>& properties) {
    CENOTE_ASSIGN_OR_RETURN(auto w, LoadWorkflow(ns, name));
    CENOTE_RETURN_IF_ERROR(CheckWorkflowConcurrency(ns, w));
    CENOTE_ASSIGN_OR_RETURN(auto triggers, store_.List("trigger", ns.account, ns.region, "", 0));
    std::vector<json::object> starts;
    for (const auto& t : triggers) {
      if (GetString(t, "WorkflowName").value_or("") != name) continue;
      if (GetString(t, "Type").value_or("") != "CONDITIONAL") starts.push_back(t);
    }
    if (starts.empty()) return Invalid("Workflow " + name + " has no start trigger");
    json::object props =
        GetObject(w, "DefaultRunProperties") ? *GetObject(w, "DefaultRunProperties") : json::object();
    if (properties) {
      for (const auto& kv : *properties) props[kv.key()] = kv.value();
    }
    const std::int64_t now = UnixNowMs();
    RunRow row{.account = ns.account,
               .region = ns.region,
               .parent = name,
               .id = WorkflowRunId(),
               .state = "RUNNING",
               .started_ms = now,
               .doc = json::object{{"Name", name},
                                   {"WorkflowRunProperties", props},
                                   {"StartedOn", now},
                                   {"Status", "RUNNING"},
                                   {"_actions", json::object()}}};
    row.doc["WorkflowRunId"] = row.id;
    CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", row));
    for (const auto& t : starts) (void)Fire(ns, t, row.id, name);
    FinishIfDone(ns.account, ns.region, name, row.id);
    return row.id;
  }

  // Records what a workflow run started or what ended (the lock held).
  void RecordAction(const Namespace& ns, const std::string& workflow, const std::string& run_id,
                    const std::string& type, const std::string& name, const std::string& job_run_id,
                    const std::string& state) {
    auto r = store_.GetRun("wfrun", ns.account, ns.region, workflow, run_id);
    if (!r || !*r) return;
    RunRow row = **r;
    if (!row.doc.contains("_actions") || !row.doc["_actions"].is_object())
      row.doc["_actions"] = json::object();
    json::object& acts = row.doc["_actions"].as_object();
    const std::string key =
        type + ":" + name + ":" + (job_run_id.empty() ? std::to_string(acts.size()) : job_run_id);
    if (type == "JOB" && !job_run_id.empty() && acts.contains(key)) {
      acts[key].as_object()["state"] = state;
    } else {
      acts[key] = json::object{{"type", type},
                               {"name", name},
                               {"id", job_run_id},
                               {"state", state},
                               {"at", static_cast<std::int64_t>(acts.size())}};
    }
    (void)store_.PutRun("wfrun", row);
  }

  // Ends a workflow run whose actions have all ended and that no trigger can move on (the lock held).
  void FinishIfDone(const std::string& account, const std::string& region, const std::string& workflow,
                    const std::string& run_id) {
    auto r = store_.GetRun("wfrun", account, region, workflow, run_id);
    if (!r || !*r) return;
    RunRow row = **r;
    if (row.state != "RUNNING" && row.state != "STOPPING") return;
    if (const json::object* acts = GetObject(row.doc, "_actions")) {
      for (const auto& kv : *acts) {
        const std::string s = GetString(kv.value().as_object(), "state").value_or("");
        if (!Terminal(s) && s != "CANCELLED") return;
      }
    }
    const bool stopping = row.state == "STOPPING";
    row.state = stopping ? "STOPPED" : "COMPLETED";
    row.doc["Status"] = row.state;
    row.doc["CompletedOn"] = UnixNowMs();
    (void)store_.PutRun("wfrun", row);
  }

  Output StartWorkflowRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    std::optional<json::object> props;
    if (GetObject(in, "RunProperties")) {
      CENOTE_ASSIGN_OR_RETURN(auto p, StringMap(in, "RunProperties"));
      props = std::move(p);
    }
    CENOTE_ASSIGN_OR_RETURN(auto id, StartWorkflow(ns, name, props));
    return json::object{{"RunId", id}};
  }

  Result<RunRow> LoadWorkflowRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_ASSIGN_OR_RETURN(auto id, Required(in, "RunId"));
    CENOTE_ASSIGN_OR_RETURN(auto r, store_.GetRun("wfrun", ns.account, ns.region, name, id));
    if (!r) return NotFound("Workflow run " + id + " of workflow " + name + " not found");
    return std::move(*r);
  }

  Output GetWorkflowRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
    json::object doc = WorkflowRunDocument(r.doc);
    if (GetBool(in, "IncludeGraph").value_or(false)) {
      CENOTE_ASSIGN_OR_RETURN(auto g, Graph(ns, r.parent, &r.doc));
      doc["Graph"] = std::move(g);
    }
    return json::object{{"Run", std::move(doc)}};
  }

  Output GetWorkflowRuns(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
    CENOTE_RETURN_IF_ERROR(LoadWorkflow(ns, name));
    return RunsPage(ns, in, "wfrun", name, 1000, "Runs", WorkflowRunDocument);
  }

  // ResumeWorkflowRun: a new run of the workflow that starts the given nodes (jobs, crawlers, triggers) again
  // and goes on downstream; what the resumed run did is inherited, so AND predicates still see it.
  Output ResumeWorkflowRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto prev, LoadWorkflowRun(ns, in));
    const json::array* node_ids = GetArray(in, "NodeIds");
    if (node_ids == nullptr || node_ids->empty()) return Required(in, "NodeIds").error();
    if (prev.state == "RUNNING" || prev.state == "STOPPING") {
      return IllegalWorkflowState("Workflow run " + prev.id + " is " + prev.state +
                                  "; only a finished run can be resumed");
    }
    CENOTE_ASSIGN_OR_RETURN(auto w, LoadWorkflow(ns, prev.parent));
    CENOTE_ASSIGN_OR_RETURN(auto graph, Graph(ns, prev.parent, nullptr));
    std::map<std::string, json::object> nodes;
    for (const auto& n : graph["Nodes"].as_array()) {
      nodes[std::string(n.at("UniqueId").as_string())] = n.as_object();
    }
    std::vector<json::object> selected;
    for (const auto& id : *node_ids) {
      auto it = id.is_string() ? nodes.find(std::string(id.get_string())) : nodes.end();
      if (it == nodes.end()) {
        return Invalid("Node " + (id.is_string() ? std::string(id.get_string()) : std::string("?")) +
                       " is not in the graph of workflow " + prev.parent);
      }
      selected.push_back(it->second);
    }
    CENOTE_RETURN_IF_ERROR(CheckWorkflowConcurrency(ns, w));
    const std::int64_t now = UnixNowMs();
    json::object actions;
    if (const json::object* acts = GetObject(prev.doc, "_actions")) {
      for (const auto& kv : *acts) {
        json::object a = kv.value().as_object();
        a["inherited"] = true;
        actions[kv.key()] = std::move(a);
      }
    }
    RunRow row{.account = ns.account,
               .region = ns.region,
               .parent = prev.parent,
               .id = WorkflowRunId(),
               .state = "RUNNING",
               .started_ms = now,
               .doc = json::object{{"Name", prev.parent},
                                   {"PreviousRunId", prev.id},
                                   {"WorkflowRunProperties", prev.doc.contains("WorkflowRunProperties")
                                                                 ? prev.doc["WorkflowRunProperties"]
                                                                 : json::value(json::object())},
                                   {"StartedOn", now},
                                   {"Status", "RUNNING"},
                                   {"_actions", std::move(actions)}}};
    row.doc["WorkflowRunId"] = row.id;
    CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", row));
    json::array started;
    for (const auto& n : selected) {
      const std::string type(n.at("Type").as_string());
      const std::string name(n.at("Name").as_string());
      if (type == "TRIGGER") {
        CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
        (void)Fire(ns, t, row.id, prev.parent);
      } else if (type == "JOB") {
        auto id = StartRun(ns, name, json::object(), json::object(), RunOrigin{"", prev.parent, row.id, {}});
        RecordAction(ns, prev.parent, row.id, "JOB", name, id ? *id : "", id ? "RUNNING" : "ERROR");
      } else {
        Status st = options_.start_crawler ? options_.start_crawler(ns.account, ns.region, name)
                                           : Status(InternalError("crawlers are not available"));
        RecordAction(ns, prev.parent, row.id, "CRAWLER", name, "", st ? "RUNNING" : "ERROR");
      }
      started.push_back(n.at("UniqueId"));
    }
    FinishIfDone(ns.account, ns.region, prev.parent, row.id);
    return json::object{{"RunId", row.id}, {"NodeIds", std::move(started)}};
  }

  Output StopWorkflowRun(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
    if (r.state != "RUNNING") {
      return IllegalWorkflowState("Workflow run " + r.id + " is not running (" + r.state + ")");
    }
    r.state = "STOPPING";
    r.doc["Status"] = "STOPPING";
    CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", r));
    if (const json::object* acts = GetObject(r.doc, "_actions")) {
      for (const auto& kv : *acts) {
        const json::object& a = kv.value().as_object();
        if (GetString(a, "type").value_or("") != "JOB") continue;
        auto it = stops_.find(ns.account + "|" + ns.region + "|" + GetString(a, "name").value_or("") + "|" +
                              GetString(a, "id").value_or(""));
        if (it != stops_.end()) it->second->store(true);
      }
    }
    FinishIfDone(ns.account, ns.region, r.parent, r.id);
    return json::object();
  }

  Output GetWorkflowRunProperties(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
    json::object props = GetObject(r.doc, "WorkflowRunProperties")
                             ? *GetObject(r.doc, "WorkflowRunProperties")
                             : json::object();
    return json::object{{"RunProperties", std::move(props)}};
  }

  Output PutWorkflowRunProperties(const Namespace& ns, const json::object& in) {
    CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
    CENOTE_ASSIGN_OR_RETURN(auto props, StringMap(in, "RunProperties"));
    if (!GetObject(in, "RunProperties")) return Required(in, "RunProperties").error();
    if (!r.doc.contains("WorkflowRunProperties") || !r.doc["WorkflowRunProperties"].is_object())
      r.doc["WorkflowRunProperties"] = json::object();
    for (const auto& kv : props) r.doc["WorkflowRunProperties"].as_object()[kv.key()] = kv.value();
    CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", r));
    return json::object();
  }

  JobStore store_;
  JobsOptions options_;
  Mutex mu_;
  CondVar cv_{mu_};
  bool shut_down_ = false;
  int threads_ = 0;
  Mutex ev_mu_;  // the queue of ended jobs and crawls (taken after mu_, never before it)
  CondVar ev_cv_{ev_mu_};
  bool ev_shut_down_ = false;
  bool dispatching_ = false;
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> stops_;  // runs in flight: account|region|job|id
  std::deque<EndedEvent> events_;
  std::int64_t last_schedule_check_s_ = 0;
  std::string endpoint_;
  std::thread dispatcher_;
  std::unique_ptr<BackgroundTask> schedules_;
};

}  // namespace

const std::vector<std::string_view>& Jobs::Operations() {
  static const std::vector<std::string_view> ops = {"CreateJob",
                                                    "GetJob",
                                                    "GetJobs",
                                                    "ListJobs",
                                                    "BatchGetJobs",
                                                    "UpdateJob",
                                                    "DeleteJob",
                                                    "StartJobRun",
                                                    "GetJobRun",
                                                    "GetJobRuns",
                                                    "BatchStopJobRun",
                                                    "GetJobBookmark",
                                                    "ResetJobBookmark",
                                                    "CreateTrigger",
                                                    "GetTrigger",
                                                    "GetTriggers",
                                                    "ListTriggers",
                                                    "BatchGetTriggers",
                                                    "UpdateTrigger",
                                                    "DeleteTrigger",
                                                    "StartTrigger",
                                                    "StopTrigger",
                                                    "CreateWorkflow",
                                                    "GetWorkflow",
                                                    "ListWorkflows",
                                                    "BatchGetWorkflows",
                                                    "UpdateWorkflow",
                                                    "DeleteWorkflow",
                                                    "StartWorkflowRun",
                                                    "GetWorkflowRun",
                                                    "GetWorkflowRuns",
                                                    "StopWorkflowRun",
                                                    "GetWorkflowRunProperties",
                                                    "PutWorkflowRunProperties"};
  return ops;
}

Result<std::unique_ptr<Jobs>> Jobs::Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                         JobsOptions options) {
  CENOTE_ASSIGN_OR_RETURN(auto store, JobStore::Open(metadata));
  auto impl = std::make_unique<JobsImpl>(std::move(store), tasks, std::move(options));
  CENOTE_RETURN_IF_ERROR(impl->Recover());
  return std::unique_ptr<Jobs>(std::move(impl));
}

}  // namespace cenote::glue
