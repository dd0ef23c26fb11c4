// Jobs: triggers (CreateTrigger ... StopTrigger, Fire) and the evaluation of conditional triggers.
#include "services/glue/jobs/jobs_internal.hpp"

namespace cenote::glue::jobs_internal {

Status JobsImpl::ValidateTrigger(const Namespace& ns, json::object& t) {
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

Jobs::Output JobsImpl::CreateTrigger(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::GetTrigger(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
  return json::object{{"Trigger", Public(t)}};
}

bool JobsImpl::TriggerMentions(const json::object& t, const std::string& job) {
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

Jobs::Output JobsImpl::TriggerPage(const Namespace& ns, const json::object& in, std::int64_t max,
                                   bool names) {
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

Jobs::Output JobsImpl::UpdateTrigger(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::DeleteTrigger(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_RETURN_IF_ERROR(store_.Delete("trigger", K(ns, name)));
  return json::object{{"Name", name}};
}

Jobs::Output JobsImpl::StartTrigger(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::StopTrigger(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto t, LoadTrigger(ns, name));
  if (GetString(t, "Type").value_or("") == "ON_DEMAND") {
    return Invalid("On-demand trigger " + name + " cannot be stopped");
  }
  t["State"] = "DEACTIVATED";
  CENOTE_RETURN_IF_ERROR(store_.Put("trigger", K(ns, name), t));
  return json::object{{"Name", name}};
}

Status JobsImpl::Fire(const Namespace& ns, const json::object& t, const std::string& workflow_run_id,
                      const std::string& workflow, const json::array& predecessors) {
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

void JobsImpl::Enqueue(EndedEvent e) {
  {
    MutexLock lock(ev_mu_);
    events_.push_back(std::move(e));
  }
  ev_cv_.SignalAll();
}

void JobsImpl::DispatchLoop() {
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
    // Glue's event first (outside the lock: it is a call to EventBridge), then the triggers; the outbox
    // entry goes once both are done, so a crash in between delivers them again at the next start.
    if (!e.detail_type.empty() && options_.on_event)
      options_.on_event(e.ns.account, e.ns.region, e.detail_type, e.detail);
    bool done = false;
    try {
      MutexLock lock(mu_);
      if (!shut_down_) {
        OnEnded(e);
        done = true;
      }
    } catch (const std::exception& ex) {
      spdlog::error("glue jobs: trigger evaluation failed: {}", ex.what());
      done = true;
    }
    if (done && !e.outbox_id.empty()) {
      if (auto s = store_.Delete("outbox", Key{e.ns.account, e.ns.region, e.outbox_id}); !s) {
        spdlog::warn("glue jobs: outbox entry {} not deleted: {}", e.outbox_id, s.error().message);
      }
    }
    {
      MutexLock lock(ev_mu_);
      dispatching_ = false;
    }
  }
}

std::string JobsImpl::StateOf(const Namespace& ns, const std::string& kind, const std::string& name,
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

bool JobsImpl::ConditionMatches(const json::object& c, const std::string& kind, const std::string& name) {
  return kind == "JOB" ? GetString(c, "JobName").value_or("") == name
                       : GetString(c, "CrawlerName").value_or("") == name;
}

void JobsImpl::OnEnded(const EndedEvent& e) {
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
          if (GetString(a, "type").value_or("") == "CRAWLER" && GetString(a, "name").value_or("") == e.name &&
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

json::array JobsImpl::Predecessors(const EndedEvent& e) {
  if (e.kind != "JOB") return {};
  return json::array{json::object{{"JobName", e.name}, {"RunId", e.run_id}}};
}

void JobsImpl::EvaluateTriggers(const EndedEvent& e, RunRow* wfrun) {
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

}  // namespace cenote::glue::jobs_internal
