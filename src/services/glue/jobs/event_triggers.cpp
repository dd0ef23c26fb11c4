// Jobs: EVENT triggers, the start of a workflow by Amazon EventBridge events (Glue Developer Guide, "Starting
// a workflow with an Amazon EventBridge event"). A rule whose target is the workflow
// (arn:aws:glue:<region>:<account>:workflow/<name>, with a role allowed glue:notifyEvent) hands each matching
// event to NotifyEvent. The workflow's activated EVENT trigger collects them into a batch: BatchSize events
// (1-100, default 1) start a run at once; otherwise the run starts BatchWindow seconds (1-900, default 900)
// after the batch's first event. The run's property aws:eventIds lists the batch's event ids and its
// StartingEventBatchCondition which condition was met.
//
// The batch lives in the trigger's stored document ("_batch": {"events": [...], "first_ms": ...}), written
// before NotifyEvent answers, so an acknowledged event survives a restart and still starts its run.
#include <algorithm>

#include "services/glue/jobs/jobs_internal.hpp"

namespace cenote::glue::jobs_internal {

namespace {

constexpr std::int64_t kDefaultBatchSize = 1;
constexpr std::int64_t kDefaultBatchWindowS = 900;

std::int64_t BatchSizeOf(const json::object& t) {
  const json::object* c = GetObject(t, "EventBatchingCondition");
  return std::clamp<std::int64_t>(c ? GetInt(*c, "BatchSize").value_or(kDefaultBatchSize) : kDefaultBatchSize,
                                  1, 100);
}

std::int64_t BatchWindowOf(const json::object& t) {
  const json::object* c = GetObject(t, "EventBatchingCondition");
  return std::clamp<std::int64_t>(
      c ? GetInt(*c, "BatchWindow").value_or(kDefaultBatchWindowS) : kDefaultBatchWindowS, 1, 900);
}

bool ActiveEventTrigger(const json::object& t, const std::string& workflow) {
  return GetString(t, "Type").value_or("") == "EVENT" && GetString(t, "State").value_or("") == "ACTIVATED" &&
         GetString(t, "WorkflowName").value_or("") == workflow;
}

}  // namespace

Jobs::Output JobsImpl::NotifyEvent(const Namespace& ns, const json::object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto name, Required(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto event_id, Required(in, "EventId"));
  CENOTE_RETURN_IF_ERROR(LoadWorkflow(ns, name));
  CENOTE_ASSIGN_OR_RETURN(auto triggers, store_.List("trigger", ns.account, ns.region, "", 0));
  auto it = std::find_if(triggers.begin(), triggers.end(),
                         [&](const json::object& t) { return ActiveEventTrigger(t, name); });
  if (it == triggers.end()) return NotFound("Workflow " + name + " has no activated EVENT trigger");
  json::object t = std::move(*it);
  json::object batch = GetObject(t, "_batch") ? *GetObject(t, "_batch") : json::object();
  if (!batch.contains("events") || !batch["events"].is_array()) batch["events"] = json::array();
  json::array& events = batch["events"].as_array();
  // EventBridge delivers at least once: an event already in the batch is not counted twice.
  if (std::none_of(events.begin(), events.end(),
                   [&](const json::value& v) { return v.is_string() && v.get_string() == event_id; })) {
    if (events.empty()) batch["first_ms"] = UnixNowMs();
    events.push_back(json::string(event_id));
  }
  const bool full = static_cast<std::int64_t>(events.size()) >= BatchSizeOf(t);
  t["_batch"] = std::move(batch);
  if (full) {
    // A run that cannot start now (MaxConcurrentRuns) leaves the batch for the next round.
    if (Status s = StartEventBatch(ns, t, true); !s) {
      spdlog::info("glue workflow {}: event batch kept: {}", name, s.error().message);
    }
  }
  CENOTE_RETURN_IF_ERROR(store_.Put("trigger", K(ns, GetString(t, "Name").value_or("")), t));
  return json::object();
}

Status JobsImpl::StartEventBatch(const Namespace& ns, json::object& t, bool by_size) {
  const std::string workflow = GetString(t, "WorkflowName").value_or("");
  const json::object* batch = GetObject(t, "_batch");
  const json::array* events = batch ? GetArray(*batch, "events") : nullptr;
  if (events == nullptr || events->empty()) return Status::Ok();
  json::object condition;
  if (by_size) {
    condition["BatchSize"] = static_cast<std::int64_t>(events->size());
  } else {
    condition["BatchWindow"] = BatchWindowOf(t);
  }
  json::object properties{{"aws:eventIds", json::serialize(*events)}};
  CENOTE_RETURN_IF_ERROR(StartWorkflow(ns, workflow, properties, &condition));
  t.erase("_batch");
  return Status::Ok();
}

std::int64_t JobsImpl::RunEventBatches(std::int64_t now_ms) {
  auto all = store_.ListAll("trigger");
  if (!all) return -1;
  std::int64_t next = -1;
  for (auto& [key, t] : *all) {
    const json::object* batch = GetObject(t, "_batch");
    const json::array* events = batch ? GetArray(*batch, "events") : nullptr;
    if (events == nullptr || events->empty()) continue;
    const std::int64_t due = GetInt(*batch, "first_ms").value_or(now_ms) + BatchWindowOf(t) * 1000;
    if (due > now_ms) {
      next = next < 0 ? due - now_ms : std::min(next, due - now_ms);
      continue;
    }
    MutexLock lock(mu_);
    if (shut_down_) return -1;
    const Namespace ns{key.account, key.region};
    // Read again under the lock: NotifyEvent may have started this batch meanwhile.
    auto fresh = store_.Get("trigger", key);
    if (!fresh || !*fresh) continue;
    json::object current = std::move(**fresh);
    const json::object* current_batch = GetObject(current, "_batch");
    if (GetString(current, "Type").value_or("") != "EVENT" || current_batch == nullptr ||
        GetInt(*current_batch, "first_ms").value_or(now_ms) + BatchWindowOf(current) * 1000 > now_ms) {
      continue;
    }
    if (Status s = StartEventBatch(ns, current, false); !s) {
      spdlog::info("glue trigger {}: event batch kept: {}", key.name, s.error().message);
      next = next < 0 ? 1000 : std::min<std::int64_t>(next, 1000);
      continue;
    }
    if (Status s = store_.Put("trigger", key, current); !s) {
      spdlog::warn("glue trigger {}: started batch not recorded: {}", key.name, s.error().message);
    }
  }
  return next;
}

}  // namespace cenote::glue::jobs_internal
