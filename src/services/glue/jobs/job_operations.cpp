// Jobs: CreateJob ... DeleteJob, the job runs (StartJobRun, the run thread, retries, events) and bookmarks.
#include "services/glue/jobs/jobs_internal.hpp"

namespace cenote::glue::jobs_internal {

Result<json::object> JobsImpl::JobDefinition(const json::object& in, const std::string& name) {
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
    return GlueError(errors::kInvalidInput, {"1 validation error detected: Value null at 'command' failed to "
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

Jobs::Output JobsImpl::CreateJob(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::GetJob(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  CENOTE_ASSIGN_OR_RETURN(auto job, LoadJob(ns, name));
  return json::object{{"Job", Public(job)}};
}

Jobs::Output JobsImpl::GetJobs(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::ListNames(const Namespace& ns, const json::object& in, const std::string& kind,
                                 const char* member) {
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

Jobs::Output JobsImpl::BatchGet(const Namespace& ns, const json::object& in, const std::string& kind,
                                const char* names_member, const char* found_member,
                                const char* missing_member) {
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

Jobs::Output JobsImpl::UpdateJob(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::DeleteJob(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  // Glue answers the name whether or not the job existed. Its runs go with it (runs in flight are stopped).
  CENOTE_RETURN_IF_ERROR(store_.Delete("job", K(ns, name)));
  CENOTE_RETURN_IF_ERROR(store_.Delete("bookmark", K(ns, name)));
  CENOTE_RETURN_IF_ERROR(store_.DeleteRuns("jobrun", ns.account, ns.region, name));
  const std::string prefix = ns.account + "|" + ns.region + "|" + name + "|";
  for (auto& [id, stop] : stops_) {
    if (id.starts_with(prefix)) stop->store(true);
  }
  return json::object{{"JobName", name}};
}

Result<std::string> JobsImpl::StartRun(const Namespace& ns, const std::string& job_name,
                                       const json::object& args, const json::object& run_input,
                                       const RunOrigin& origin) {
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

std::int64_t JobsImpl::ActiveRuns(const Namespace& ns, const std::string& job) {
  std::int64_t n = 0;
  const std::string prefix = ns.account + "|" + ns.region + "|" + job + "|";
  for (const auto& [id, stop] : stops_) {
    if (id.starts_with(prefix)) ++n;
  }
  return n;
}

Status JobsImpl::Launch(const Namespace& ns, const json::object& job, json::object run) {
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

std::vector<std::pair<std::string, std::string>> JobsImpl::Arguments(const json::object& job,
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

void JobsImpl::Execute(const Namespace& ns, const json::object& job, RunRow row, std::atomic<bool>& stop) {
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
    // Deleted with its job before it started: it never runs.
    auto current = store_.GetRun("jobrun", ns.account, ns.region, row.parent, row.id);
    if (current && !*current) return;
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
    // The job was deleted (with its runs) while this run went: nothing is left to record.
    if (fresh && !*fresh) return;
    if (fresh) row = std::move(**fresh);
    row.state = outcome.state;
    row.doc["JobRunState"] = outcome.state;
    if (!outcome.error_message.empty()) row.doc["ErrorMessage"] = outcome.error_message;
    row.doc["CompletedOn"] = now;
    row.doc["LastModifiedOn"] = now;
    row.doc["ExecutionTime"] = std::max<std::int64_t>(0, (now - row.started_ms) / 1000);
    // The end, its event and the triggers it may fire commit together: a crash after this delivers them
    // at the next start (at least once).
    ended = EndedEvent::OfJobRun(ns, row, outcome.state);
    Announce(ended, row, outcome);
    std::vector<jobs::OutboxEntry> writes{Outbox(ended)};
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
      writes.push_back(jobs::OutboxEntry{.id = row.parent, .doc = std::move(entry), .kind = "bookmark"});
    }
    if (auto s = store_.PutRun("jobrun", row, writes); !s) {
      spdlog::error("glue job {}: {}", row.parent, s.error().message);
      ended.outbox_id.clear();
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
  }
  Enqueue(std::move(ended));
}

void JobsImpl::Announce(EndedEvent& e, const RunRow& row, const jobs::RunOutcome& outcome) {
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
  e.detail_type = "Glue Job State Change";
  e.detail = json::object{{"jobName", row.parent},
                          {"severity", severity},
                          {"state", outcome.state},
                          {"jobRunId", row.id},
                          {"message", message}};
}

jobs::OutboxEntry JobsImpl::Outbox(EndedEvent& e) {
  // Named to sort in the order the ends happened.
  std::string ms = std::to_string(UnixNowMs());
  if (ms.size() < 15) ms.insert(0, 15 - ms.size(), '0');
  e.outbox_id = ms + "-" + e.kind + "-" + e.name + "-" + e.run_id;
  return jobs::OutboxEntry{.id = e.outbox_id, .doc = e.ToDocument()};
}

EndedEvent EndedEvent::OfJobRun(const Namespace& ns, const RunRow& row, const std::string& state) {
  return EndedEvent{.ns = ns,
                    .kind = "JOB",
                    .name = row.parent,
                    .state = state,
                    .run_id = row.id,
                    .workflow = GetString(row.doc, "_workflow").value_or(""),
                    .workflow_run_id = GetString(row.doc, "_workflow_run_id").value_or(""),
                    .detail_type = {},
                    .detail = {},
                    .outbox_id = {}};
}

json::object EndedEvent::ToDocument() const {
  json::object d{{"kind", kind},
                 {"name", name},
                 {"state", state},
                 {"run_id", run_id},
                 {"workflow", workflow},
                 {"workflow_run_id", workflow_run_id},
                 {"detail_type", detail_type}};
  if (!detail_type.empty()) d["detail"] = detail;
  return d;
}

EndedEvent EndedEvent::FromDocument(const Namespace& ns, const json::object& doc, std::string outbox_id) {
  const json::object* detail = GetObject(doc, "detail");
  return EndedEvent{.ns = ns,
                    .kind = GetString(doc, "kind").value_or("JOB"),
                    .name = GetString(doc, "name").value_or(""),
                    .state = GetString(doc, "state").value_or(""),
                    .run_id = GetString(doc, "run_id").value_or(""),
                    .workflow = GetString(doc, "workflow").value_or(""),
                    .workflow_run_id = GetString(doc, "workflow_run_id").value_or(""),
                    .detail_type = GetString(doc, "detail_type").value_or(""),
                    .detail = detail ? *detail : json::object(),
                    .outbox_id = std::move(outbox_id)};
}

Jobs::Output JobsImpl::StartJobRun(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  CENOTE_ASSIGN_OR_RETURN(auto args, StringMap(in, "Arguments"));
  if (const auto prev = GetString(in, "JobRunId"); prev && !prev->empty()) {
    return Invalid("Retrying a run by JobRunId is not supported by Cenote; start a new run");
  }
  CENOTE_ASSIGN_OR_RETURN(auto id, StartRun(ns, name, args, in, RunOrigin{}));
  return json::object{{"JobRunId", id}};
}

Jobs::Output JobsImpl::GetJobRun(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  CENOTE_ASSIGN_OR_RETURN(auto id, Required(in, "RunId"));
  CENOTE_ASSIGN_OR_RETURN(auto run, store_.GetRun("jobrun", ns.account, ns.region, name, id));
  if (!run) return NotFound("Job Run Id " + id + " not found for job " + name);
  return json::object{{"JobRun", RunDocument(run->doc)}};
}

json::object JobsImpl::RunDocument(const json::object& doc) {
  json::object out = Public(doc);
  const std::string state = GetString(doc, "JobRunState").value_or("");
  if (!Terminal(state)) {
    // ExecutionTime while running: the seconds so far.
    out["ExecutionTime"] =
        std::max<std::int64_t>(0, (UnixNowMs() - GetInt(doc, "StartedOn").value_or(0)) / 1000);
  }
  return out;
}

Jobs::Output JobsImpl::RunsPage(const Namespace& ns, const json::object& in, const std::string& kind,
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

Jobs::Output JobsImpl::GetJobRuns(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  CENOTE_RETURN_IF_ERROR(LoadJob(ns, name));
  return RunsPage(ns, in, "jobrun", name, 200, "JobRuns", RunDocument);
}

Jobs::Output JobsImpl::BatchStopJobRun(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::GetJobBookmark(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  CENOTE_ASSIGN_OR_RETURN(auto b, store_.Get("bookmark", K(ns, name)));
  if (!b) return NotFound("Continuation for job " + name + " not found");
  return json::object{{"JobBookmarkEntry", *b}};
}

Jobs::Output JobsImpl::ResetJobBookmark(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "JobName"));
  CENOTE_RETURN_IF_ERROR(LoadJob(ns, name));
  CENOTE_ASSIGN_OR_RETURN(auto b, store_.Get("bookmark", K(ns, name)));
  if (!b) return NotFound("Continuation for job " + name + " not found");
  json::object entry = *b;
  CENOTE_RETURN_IF_ERROR(store_.Delete("bookmark", K(ns, name)));
  return json::object{{"JobBookmarkEntry", std::move(entry)}};
}

}  // namespace cenote::glue::jobs_internal
