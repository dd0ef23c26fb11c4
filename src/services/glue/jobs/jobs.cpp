// Jobs: lifetime (recovery at start, shutdown), the dispatch of the operations, schedules and the queue of
// ended runs and crawls.
#include "services/glue/jobs/jobs.hpp"

#include "services/glue/jobs/jobs_internal.hpp"

namespace cenote::glue::jobs_internal {

Status JobsImpl::Recover() {
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
    // Its end is announced and may fire triggers, as any other end (the workflow run it belongs to, if any,
    // ends ERROR below, so its triggers do not fire).
    EndedEvent ended = EndedEvent::OfJobRun(Namespace{r.account, r.region}, r, "ERROR");
    Announce(ended, r,
             jobs::RunOutcome{.state = "ERROR",
                              .error_message = GetString(r.doc, "ErrorMessage").value_or(""),
                              .bookmark = {}});
    CENOTE_RETURN_IF_ERROR(store_.PutRun("jobrun", r, {Outbox(ended)}));
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
  return ReplayOutbox();
}

Status JobsImpl::ReplayOutbox() {
  CENOTE_ASSIGN_OR_RETURN(auto entries, store_.ListAll("outbox"));
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.first.name < b.first.name; });
  for (auto& [key, doc] : entries) {
    Enqueue(EndedEvent::FromDocument(Namespace{key.account, key.region}, doc, key.name));
  }
  return Status::Ok();
}

void JobsImpl::Shutdown() {
  {
    MutexLock lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [id, stop] : stops_) stop->store(true);
  }
  cv_.SignalAll();
  if (schedules_) schedules_->Stop();
  if (batches_) batches_->Stop();
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

std::string JobsImpl::LastEndpoint() {
  MutexLock lock(mu_);
  return endpoint_;
}

bool JobsImpl::WaitIdle(std::int64_t timeout_ms) {
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

void JobsImpl::CrawlerEnded(const std::string& account, const std::string& region, const std::string& crawler,
                            const std::string& state) {
  Enqueue(EndedEvent{.ns = {account, region},
                     .kind = "CRAWLER",
                     .name = crawler,
                     .state = state,
                     .run_id = "",
                     .workflow = "",
                     .workflow_run_id = "",
                     .detail_type = {},
                     .detail = {},
                     .outbox_id = {}});
}

void JobsImpl::RunDueSchedules(std::int64_t now_s) {
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
    if (GetString(t, "Type").value_or("") != "SCHEDULED" || GetString(t, "State").value_or("") != "ACTIVATED")
      continue;
    auto cron = CronSchedule::Parse(GetString(t, "Schedule").value_or(""));
    if (!cron) continue;
    auto next = cron->NextAfter(since);
    if (!next || *next > now_s) continue;
    MutexLock lock(mu_);
    (void)Fire(Namespace{key.account, key.region}, t, "", "");
  }
}

Jobs::Output JobsImpl::Handle(const aws::RequestContext& ctx, std::string_view op, const json::object& in) {
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
  if (op == "NotifyEvent") return NotifyEvent(ns, in);
  return InternalError("glue jobs: no handler for " + std::string(op));
}

std::string JobsImpl::Arn(const Namespace& ns, const std::string& type, const std::string& name) {
  return "arn:aws:glue:" + ns.region + ":" + ns.account + ":" + type + "/" + name;
}

Result<json::object> JobsImpl::Load(const std::string& kind, const Namespace& ns, const std::string& name,
                                    const std::function<Error()>& not_found) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, store_.Get(kind, K(ns, name)));
  if (!doc) return not_found();
  return std::move(*doc);
}

Result<json::object> JobsImpl::LoadJob(const Namespace& ns, const std::string& name) {
  return Load("job", ns, name, [&] { return NotFound("Job " + name + " not found"); });
}

Result<json::object> JobsImpl::LoadTrigger(const Namespace& ns, const std::string& name) {
  return Load("trigger", ns, name, [&] { return NotFound("Trigger " + name + " not found"); });
}

Result<json::object> JobsImpl::LoadWorkflow(const Namespace& ns, const std::string& name) {
  return Load("workflow", ns, name, [&] { return NotFound("Entity not found"); });
}

Result<std::string> JobsImpl::Required(const json::object& in, std::string_view member) {
  auto s = GetString(in, member);
  if (!s || s->empty()) {
    std::string m(member);
    if (!m.empty()) m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
    return GlueError(errors::kInvalidInput, {"1 validation error detected: Value null at '" + m +
                                             "' failed to satisfy constraint: Member must not be null"});
  }
  return *s;
}

}  // namespace cenote::glue::jobs_internal

namespace cenote::glue {

using jobs::JobStore;
using jobs_internal::JobsImpl;

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
                                                    "PutWorkflowRunProperties",
                                                    "ResumeWorkflowRun",
                                                    "NotifyEvent"};
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
