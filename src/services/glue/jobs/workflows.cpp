// Jobs: workflows and their runs (StartWorkflowRun ... ResumeWorkflowRun), statistics and graphs.
#include "services/glue/jobs/jobs_internal.hpp"

namespace cenote::glue::jobs_internal {

Jobs::Output JobsImpl::CreateWorkflow(const Namespace& ns, const json::object& in) {
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
  if (!inserted) return GlueError(errors::kAlreadyExists, {"Workflow with name " + name + " already exists"});
  return json::object{{"Name", name}};
}

json::object JobsImpl::Statistics(const json::object& run) {
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

json::object JobsImpl::WorkflowRunDocument(const json::object& doc) {
  json::object out = Public(doc);
  out["Statistics"] = Statistics(doc);
  return out;
}

Result<json::object> JobsImpl::Graph(const Namespace& ns, const std::string& workflow,
                                     const json::object* run) {
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

Result<json::object> JobsImpl::WorkflowDocument(const Namespace& ns, const json::object& w,
                                                bool include_graph) {
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

Jobs::Output JobsImpl::GetWorkflow(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto w, LoadWorkflow(ns, name));
  CENOTE_ASSIGN_OR_RETURN(auto doc, WorkflowDocument(ns, w, GetBool(in, "IncludeGraph").value_or(false)));
  return json::object{{"Workflow", std::move(doc)}};
}

Jobs::Output JobsImpl::BatchGetWorkflows(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::UpdateWorkflow(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::DeleteWorkflow(const Namespace& ns, const json::object& in) {
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

Status JobsImpl::CheckWorkflowConcurrency(const Namespace& ns, const json::object& w) {
  const auto max = GetInt(w, "MaxConcurrentRuns");
  if (!max) return Status::Ok();
  const std::string name = GetString(w, "Name").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto runs, store_.ListRuns("wfrun", ns.account, ns.region, name, 0));
  std::int64_t running = 0;
  for (const auto& r : runs) running += r.state == "RUNNING" ? 1 : 0;
  if (running >= *max) return Concurrent("Concurrent runs exceeded for workflow: " + name);
  return Status::Ok();
}

Result<std::string> JobsImpl::StartWorkflow(const Namespace& ns, const std::string& name,
                                            const std::optional<json::object>& properties,
                                            const json::object* starting_batch) {
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
  if (starting_batch != nullptr) row.doc["StartingEventBatchCondition"] = *starting_batch;
  CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", row));
  for (const auto& t : starts) (void)Fire(ns, t, row.id, name);
  FinishIfDone(ns.account, ns.region, name, row.id);
  return row.id;
}

void JobsImpl::RecordAction(const Namespace& ns, const std::string& workflow, const std::string& run_id,
                            const std::string& type, const std::string& name, const std::string& job_run_id,
                            const std::string& state) {
  auto r = store_.GetRun("wfrun", ns.account, ns.region, workflow, run_id);
  if (!r || !*r) return;
  RunRow row = **r;
  if (!row.doc.contains("_actions") || !row.doc["_actions"].is_object()) row.doc["_actions"] = json::object();
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

void JobsImpl::FinishIfDone(const std::string& account, const std::string& region,
                            const std::string& workflow, const std::string& run_id) {
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

Jobs::Output JobsImpl::StartWorkflowRun(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  std::optional<json::object> props;
  if (GetObject(in, "RunProperties")) {
    CENOTE_ASSIGN_OR_RETURN(auto p, StringMap(in, "RunProperties"));
    props = std::move(p);
  }
  CENOTE_ASSIGN_OR_RETURN(auto id, StartWorkflow(ns, name, props));
  return json::object{{"RunId", id}};
}

Result<RunRow> JobsImpl::LoadWorkflowRun(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto id, Required(in, "RunId"));
  CENOTE_ASSIGN_OR_RETURN(auto r, store_.GetRun("wfrun", ns.account, ns.region, name, id));
  if (!r) return NotFound("Workflow run " + id + " of workflow " + name + " not found");
  return std::move(*r);
}

Jobs::Output JobsImpl::GetWorkflowRun(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
  json::object doc = WorkflowRunDocument(r.doc);
  if (GetBool(in, "IncludeGraph").value_or(false)) {
    CENOTE_ASSIGN_OR_RETURN(auto g, Graph(ns, r.parent, &r.doc));
    doc["Graph"] = std::move(g);
  }
  return json::object{{"Run", std::move(doc)}};
}

Jobs::Output JobsImpl::GetWorkflowRuns(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_RETURN_IF_ERROR(LoadWorkflow(ns, name));
  return RunsPage(ns, in, "wfrun", name, 1000, "Runs", WorkflowRunDocument);
}

Jobs::Output JobsImpl::ResumeWorkflowRun(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::StopWorkflowRun(const Namespace& ns, const json::object& in) {
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

Jobs::Output JobsImpl::GetWorkflowRunProperties(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
  json::object props =
      GetObject(r.doc, "WorkflowRunProperties") ? *GetObject(r.doc, "WorkflowRunProperties") : json::object();
  return json::object{{"RunProperties", std::move(props)}};
}

Jobs::Output JobsImpl::PutWorkflowRunProperties(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto r, LoadWorkflowRun(ns, in));
  CENOTE_ASSIGN_OR_RETURN(auto props, StringMap(in, "RunProperties"));
  if (!GetObject(in, "RunProperties")) return Required(in, "RunProperties").error();
  if (!r.doc.contains("WorkflowRunProperties") || !r.doc["WorkflowRunProperties"].is_object())
    r.doc["WorkflowRunProperties"] = json::object();
  for (const auto& kv : props) r.doc["WorkflowRunProperties"].as_object()[kv.key()] = kv.value();
  CENOTE_RETURN_IF_ERROR(store_.PutRun("wfrun", r));
  return json::object();
}

}  // namespace cenote::glue::jobs_internal
