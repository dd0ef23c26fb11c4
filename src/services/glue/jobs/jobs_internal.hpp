// JobsImpl: the implementation of Jobs (jobs.hpp), split by resource: jobs.cpp (lifetime, dispatch of the
// operations, schedules and the queue of ended runs), job_operations.cpp (jobs, job runs, bookmarks),
// triggers.cpp (triggers and the evaluation of conditional triggers), workflows.cpp (workflows and their
// runs). Private to src/services/glue/jobs.
//
// Thread safety: mu_ guards the store's check-then-write sequences and the runs in flight (stops_, threads_);
// ev_mu_ guards the queue of ended runs and crawls and is taken after mu_, never before it (the crawlers call
// CrawlerEnded with their own lock held, while the dispatcher holds mu_ when it asks a crawler's state).
#pragma once

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
#include "services/glue/jobs/jobs.hpp"

namespace cenote::glue::jobs_internal {

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

constexpr std::size_t kMaxJobs = 1000;       // Glue's default quota of jobs per account
constexpr std::size_t kMaxTriggers = 1000;   // triggers per account
constexpr std::size_t kMaxWorkflows = 1000;  // workflows per account
constexpr std::int64_t kDefaultTimeoutMinutes = 2880;
constexpr const char* kPythonLogGroup = "/aws-glue/python-jobs";

inline const std::set<std::string>& CommandNames() {
  static const std::set<std::string> names = {"glueetl", "gluestreaming", "pythonshell", "glueray",
                                              "athenasql"};
  return names;
}
inline bool Runnable(const std::string& command) {
  return command == "pythonshell" || command == "athenasql";
}
inline bool Terminal(const std::string& s) {
  return s == "SUCCEEDED" || s == "FAILED" || s == "STOPPED" || s == "TIMEOUT" || s == "ERROR" ||
         s == "EXPIRED";
}

inline Error Invalid(const std::string& message) { return GlueError(errors::kInvalidInput, {message}); }
inline Error NotFound(const std::string& message) { return GlueError(errors::kEntityNotFound, {message}); }
inline Error Limit(const std::string& message) {
  return GlueError(errors::kResourceNumberLimitExceeded, {message});
}
inline Error Mismatch(const std::string& message) {
  Error e = MakeError("IdempotentParameterMismatchException", message, 400);
  e.With("Message", message);
  return e;
}
inline Error Concurrent(const std::string& message) {
  Error e = MakeError("ConcurrentRunsExceededException", message, 400);
  e.With("Message", message);
  return e;
}
inline Error IllegalWorkflowState(const std::string& message) {
  Error e = MakeError("IllegalWorkflowStateException", message, 400);
  e.With("Message", message);
  return e;
}

// Members whose names start with '_' are Cenote's own bookkeeping: never answered.
inline json::object Public(const json::object& doc) {
  json::object out;
  for (const auto& kv : doc) {
    if (!kv.key().starts_with("_")) out.emplace(kv.key(), kv.value());
  }
  return out;
}

inline std::string MakeToken(const std::string& last) { return Base64Encode(last); }
inline Result<std::string> ReadToken(const json::object& in) {
  auto t = GetString(in, "NextToken");
  if (!t || t->empty()) return std::string();
  auto d = Base64Decode(*t);
  if (!d) return Invalid("Invalid pagination token");
  return *d;
}

inline std::string RunId() { return "jr_" + RandomHex(32); }
inline std::string WorkflowRunId() { return "wr_" + RandomHex(32); }

// key = value string map (Arguments, DefaultArguments, RunProperties).
inline Result<json::object> StringMap(const json::object& in, std::string_view member) {
  const json::value* v = services::Member(in, member);
  if (v == nullptr || v->is_null()) return json::object();
  if (!v->is_object()) return Invalid(std::string(member) + " must be a map of strings");
  for (const auto& kv : v->get_object()) {
    if (!kv.value().is_string()) return Invalid(std::string(member) + " values must be strings");
  }
  return v->get_object();
}

// Hashes a name to a stable hex id (graph node ids).
inline std::string NodeId(const std::string& type, const std::string& name) {
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
  // A job run's end also goes to EventBridge as Glue's event (empty detail_type: none).
  std::string detail_type;
  json::object detail;
  // The outbox entry that carries this event through a crash (empty: none), deleted once dispatched.
  std::string outbox_id;

  // The end of job run `row` in state `state`.
  static EndedEvent OfJobRun(const Namespace& ns, const RunRow& row, const std::string& state);
  json::object ToDocument() const;
  static EndedEvent FromDocument(const Namespace& ns, const json::object& doc, std::string outbox_id);
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
      // EVENT triggers' batch windows (1 to 900 s): checked when the next one expires, at least every second
      // (a window opened meanwhile).
      batches_ = services::StartRounds(tasks, "glue-event-batches", 1000,
                                       [this]() -> std::int64_t { return RunEventBatches(UnixNowMs()); });
    }
  }
  ~JobsImpl() override { Shutdown(); }

  Status Recover();
  void Shutdown() override;
  std::string LastEndpoint() override;
  bool WaitIdle(std::int64_t timeout_ms) override;
  void CrawlerEnded(const std::string& account, const std::string& region, const std::string& crawler,
                    const std::string& state) override;

  void RunDueSchedules(std::int64_t now_s) override;
  std::int64_t RunEventBatches(std::int64_t now_ms) override;
  Output Handle(const aws::RequestContext& ctx, std::string_view op, const json::object& in) override;

 private:
  static Key K(const Namespace& ns, const std::string& name) { return Key{ns.account, ns.region, name}; }
  static std::string Arn(const Namespace& ns, const std::string& type, const std::string& name);
  Result<json::object> Load(const std::string& kind, const Namespace& ns, const std::string& name,
                            const std::function<Error()>& not_found);
  Result<json::object> LoadJob(const Namespace& ns, const std::string& name);
  Result<json::object> LoadTrigger(const Namespace& ns, const std::string& name);
  Result<json::object> LoadWorkflow(const Namespace& ns, const std::string& name);
  static Result<std::string> Required(const json::object& in, std::string_view member);

  // ---- jobs -------------------------------------------------------------------------------------------

  // The job definition from a CreateJob input or a JobUpdate, with Glue's defaults filled in.
  Result<json::object> JobDefinition(const json::object& in, const std::string& name);
  Output CreateJob(const Namespace& ns, const json::object& in);
  Output GetJob(const Namespace& ns, const json::object& in);
  Output GetJobs(const Namespace& ns, const json::object& in);

  // ListJobs / ListWorkflows: names only (the Tags filter of ListJobs is answered by the provider).
  Output ListNames(const Namespace& ns, const json::object& in, const std::string& kind, const char* member);
  Output BatchGet(const Namespace& ns, const json::object& in, const std::string& kind,
                  const char* names_member, const char* found_member, const char* missing_member);

  Output UpdateJob(const Namespace& ns, const json::object& in);
  Output DeleteJob(const Namespace& ns, const json::object& in);

  // ---- job runs ---------------------------------------------------------------------------------------

  struct RunOrigin {
    std::string trigger;
    std::string workflow;
    std::string workflow_run_id;
    json::array predecessors;  // PredecessorRuns: the job run whose end fired a conditional trigger
  };

  // Starts a run of `job_name` (the lock held). `args` are the run's Arguments.
  Result<std::string> StartRun(const Namespace& ns, const std::string& job_name, const json::object& args,
                               const json::object& run_input, const RunOrigin& origin);

  std::int64_t ActiveRuns(const Namespace& ns, const std::string& job);

  // Stores the run and starts its thread (the lock held).
  Status Launch(const Namespace& ns, const json::object& job, json::object run);

  // The arguments a run gets: the job's DefaultArguments, then the run's, then NonOverridableArguments.
  static std::vector<std::pair<std::string, std::string>> Arguments(const json::object& job,
                                                                    const json::object& run);

  void Execute(const Namespace& ns, const json::object& job, RunRow row, std::atomic<bool>& stop);
  // The end of a job run as Glue's "Glue Job State Change" event, and the outbox entry that carries it.
  static void Announce(EndedEvent& e, const RunRow& row, const jobs::RunOutcome& outcome);
  static jobs::OutboxEntry Outbox(EndedEvent& e);
  // Queues what the outbox holds (at start: the ends a crash left undelivered).
  Status ReplayOutbox();
  Output StartJobRun(const Namespace& ns, const json::object& in);
  Output GetJobRun(const Namespace& ns, const json::object& in);
  static json::object RunDocument(const json::object& doc);

  // A page of runs of `kind` of `parent`, newest first; the token is the offset.
  Output RunsPage(const Namespace& ns, const json::object& in, const std::string& kind,
                  const std::string& parent, std::int64_t max, const char* member,
                  json::object (*document)(const json::object&));

  Output GetJobRuns(const Namespace& ns, const json::object& in);
  Output BatchStopJobRun(const Namespace& ns, const json::object& in);

  // ---- bookmarks --------------------------------------------------------------------------------------

  Output GetJobBookmark(const Namespace& ns, const json::object& in);
  Output ResetJobBookmark(const Namespace& ns, const json::object& in);

  // ---- triggers ---------------------------------------------------------------------------------------

  Status ValidateTrigger(const Namespace& ns, json::object& t);
  Output CreateTrigger(const Namespace& ns, const json::object& in);
  Output GetTrigger(const Namespace& ns, const json::object& in);
  static bool TriggerMentions(const json::object& t, const std::string& job);

  // GetTriggers (whole triggers, at most 200) and ListTriggers (names, at most 1000): DependentJobName keeps
  // the triggers that start or watch that job.
  Output TriggerPage(const Namespace& ns, const json::object& in, std::int64_t max, bool names);
  Output GetTriggers(const Namespace& ns, const json::object& in) { return TriggerPage(ns, in, 200, false); }
  Output ListTriggers(const Namespace& ns, const json::object& in) { return TriggerPage(ns, in, 1000, true); }

  Output UpdateTrigger(const Namespace& ns, const json::object& in);
  Output DeleteTrigger(const Namespace& ns, const json::object& in);
  Output StartTrigger(const Namespace& ns, const json::object& in);
  Output StopTrigger(const Namespace& ns, const json::object& in);

  // Runs a trigger's actions (the lock held). A start trigger of a workflow fired outside a workflow run
  // starts a workflow run instead.
  Status Fire(const Namespace& ns, const json::object& t, const std::string& workflow_run_id,
              const std::string& workflow, const json::array& predecessors = {});

  // ---- conditional triggers and workflow progress (the dispatcher thread) ------------------------------

  // The queue has its own lock, taken last: the crawlers call CrawlerEnded with their lock held, while the
  // dispatcher holds mu_ when it asks the crawlers for a state or starts one.
  void Enqueue(EndedEvent e);
  void DispatchLoop();

  // The latest state of a job or crawler: in a workflow run, of its action there; else the latest run.
  std::string StateOf(const Namespace& ns, const std::string& kind, const std::string& name,
                      const json::object* wfrun);

  static bool ConditionMatches(const json::object& c, const std::string& kind, const std::string& name);
  void OnEnded(const EndedEvent& e);
  static json::array Predecessors(const EndedEvent& e);

  // Conditional triggers watching what ended: those of the workflow when `wfrun` is set, else those
  // outside any workflow.
  void EvaluateTriggers(const EndedEvent& e, RunRow* wfrun);

  // ---- workflows --------------------------------------------------------------------------------------

  Output CreateWorkflow(const Namespace& ns, const json::object& in);
  static json::object Statistics(const json::object& run);
  static json::object WorkflowRunDocument(const json::object& doc);

  // The workflow's graph: its triggers, the jobs and crawlers they start or watch, and the edges between.
  Result<json::object> Graph(const Namespace& ns, const std::string& workflow, const json::object* run);
  Result<json::object> WorkflowDocument(const Namespace& ns, const json::object& w, bool include_graph);
  Output GetWorkflow(const Namespace& ns, const json::object& in);
  Output BatchGetWorkflows(const Namespace& ns, const json::object& in);
  Output UpdateWorkflow(const Namespace& ns, const json::object& in);
  Output DeleteWorkflow(const Namespace& ns, const json::object& in);

  // MaxConcurrentRuns of a workflow, when set, over its RUNNING runs.
  Status CheckWorkflowConcurrency(const Namespace& ns, const json::object& w);
  // `starting_batch`: the StartingEventBatchCondition of a run an EVENT trigger's batch starts.
  Result<std::string> StartWorkflow(const Namespace& ns, const std::string& name,
                                    const std::optional<json::object>& properties,
                                    const json::object* starting_batch = nullptr);

  // Records what a workflow run started or what ended (the lock held).
  void RecordAction(const Namespace& ns, const std::string& workflow, const std::string& run_id,
                    const std::string& type, const std::string& name, const std::string& job_run_id,
                    const std::string& state);

  // Ends a workflow run whose actions have all ended and that no trigger can move on (the lock held).
  void FinishIfDone(const std::string& account, const std::string& region, const std::string& workflow,
                    const std::string& run_id);

  Output StartWorkflowRun(const Namespace& ns, const json::object& in);
  Result<RunRow> LoadWorkflowRun(const Namespace& ns, const json::object& in);
  Output GetWorkflowRun(const Namespace& ns, const json::object& in);
  Output GetWorkflowRuns(const Namespace& ns, const json::object& in);

  // ResumeWorkflowRun: a new run of the workflow that starts the given nodes (jobs, crawlers, triggers) again
  // and goes on downstream; what the resumed run did is inherited, so AND predicates still see it.
  Output ResumeWorkflowRun(const Namespace& ns, const json::object& in);
  Output StopWorkflowRun(const Namespace& ns, const json::object& in);
  // ---- EVENT triggers (event_triggers.cpp) ----------------------------------------------------------------

  // NotifyEvent: an EventBridge event for a workflow (a rule's target). It joins the batch of the workflow's
  // activated EVENT trigger; a full batch (BatchSize events) starts a workflow run at once.
  Output NotifyEvent(const Namespace& ns, const json::object& in);
  // Starts a workflow run for the batch `t` holds (the lock held): run property aws:eventIds lists the
  // batch's event ids, StartingEventBatchCondition says which condition was met. The batch is emptied only
  // when the run starts (a workflow at its MaxConcurrentRuns keeps it for the next round).
  Status StartEventBatch(const Namespace& ns, json::object& t, bool by_size);

  Output GetWorkflowRunProperties(const Namespace& ns, const json::object& in);
  Output PutWorkflowRunProperties(const Namespace& ns, const json::object& in);
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
  std::unique_ptr<BackgroundTask> batches_;
};

}  // namespace cenote::glue::jobs_internal
