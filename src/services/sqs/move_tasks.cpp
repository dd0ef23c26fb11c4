// Message move tasks (dead-letter queue redrive): StartMessageMoveTask, CancelMessageMoveTask,
// ListMessageMoveTasks. A task moves the messages its source (a dead-letter queue) held when it started to
// the destination queue, or back to each message's own source queue, at most MaxNumberOfMessagesPerSecond,
// in rounds of the maintenance task. Tasks are kept in the metadata store (the newest 10 per source queue,
// what ListMessageMoveTasks can show), their progress saved after every round: a running task goes on after
// a restart (a round cut short by a crash may move a message twice: at least once, as every move).
#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

namespace {

bool IsDeadLetterQueue(Env& env, const Queue& dlq) { return !env.SourcesOf(dlq).empty(); }

json::object Describe(const MoveTask& t) {
  json::object o{{"Status", t.status},
                 {"SourceArn", t.source_arn},
                 {"ApproximateNumberOfMessagesMoved", t.moved},
                 {"ApproximateNumberOfMessagesToMove", t.to_move},
                 {"StartedTimestamp", t.started_ms}};
  if (t.status == "RUNNING") o["TaskHandle"] = t.task_handle;
  if (!t.destination_arn.empty()) o["DestinationArn"] = t.destination_arn;
  if (t.max_per_second > 0) o["MaxNumberOfMessagesPerSecond"] = t.max_per_second;
  if (!t.failure_reason.empty()) o["FailureReason"] = t.failure_reason;
  return o;
}

constexpr std::size_t kKeptMoveTasks = 10;

}  // namespace

json::object MoveTaskDoc(const MoveTask& t) {
  return json::object{{"taskHandle", t.task_handle},
                      {"sourceArn", t.source_arn},
                      {"destinationArn", t.destination_arn},
                      {"maxPerSecond", t.max_per_second},
                      {"status", t.status},
                      {"startedMs", t.started_ms},
                      {"moved", t.moved},
                      {"toMove", t.to_move},
                      {"failureReason", t.failure_reason}};
}

MoveTask MoveTaskFromDoc(const json::object& doc) {
  MoveTask t;
  t.task_handle = GetString(doc, "taskHandle").value_or("");
  t.source_arn = GetString(doc, "sourceArn").value_or("");
  t.destination_arn = GetString(doc, "destinationArn").value_or("");
  t.max_per_second = GetInt(doc, "maxPerSecond").value_or(0);
  t.status = GetString(doc, "status").value_or("FAILED");
  t.started_ms = GetInt(doc, "startedMs").value_or(0);
  t.moved = GetInt(doc, "moved").value_or(0);
  t.to_move = GetInt(doc, "toMove").value_or(0);
  t.failure_reason = GetString(doc, "failureReason").value_or("");
  return t;
}

Status Env::SaveMoveTask(const MoveTask& t) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO sqs_move_tasks (task_handle, source_arn, started_ms, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (task_handle) DO UPDATE SET doc = excluded.doc",
                {t.task_handle, t.source_arn, t.started_ms, json::serialize(MoveTaskDoc(t))}));
  // Only the newest tasks of a source are listed: older ones leave (memory and store).
  std::size_t kept = 0;
  for (auto it = move_tasks.rbegin(); it != move_tasks.rend(); ++it) {
    if (it->source_arn != t.source_arn || ++kept <= kKeptMoveTasks) continue;
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sqs_move_tasks WHERE task_handle = ?", {it->task_handle}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  if (kept > kKeptMoveTasks) {
    std::size_t seen = 0;
    std::vector<MoveTask> left;
    for (auto it = move_tasks.rbegin(); it != move_tasks.rend(); ++it) {
      if (it->source_arn == t.source_arn && ++seen > kKeptMoveTasks) continue;
      left.push_back(*it);
    }
    move_tasks.assign(left.rbegin(), left.rend());
  }
  return Status::Ok();
}

Result<OperationOutput> StartMessageMoveTask(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::string source = GetString(p, "SourceArn").value_or("");
  std::string destination = GetString(p, "DestinationArn").value_or("");
  std::optional<std::int64_t> rate = GetInt(p, "MaxNumberOfMessagesPerSecond");
  std::optional<QueueKey> sk = ParseQueueArn(source);
  if (!sk || sk->region != ctx.region)
    return MakeError(errors::kResourceNotFound,
                     {"The resource that you specified for the SourceArn parameter doesn't exist."});
  std::shared_ptr<Queue> src = env.Find(*sk);
  if (!src)
    return MakeError(errors::kResourceNotFound,
                     {"The resource that you specified for the SourceArn parameter doesn't exist."});
  if (rate && (*rate < 1 || *rate > 500)) {
    return MakeError(errors::kInvalidParameterValue, {std::to_string(*rate), "MaxNumberOfMessagesPerSecond",
                                                      "Must be between 1 and 500, if provided."});
  }
  if (!IsDeadLetterQueue(env, *src)) {
    return MakeError(errors::kInvalidParameter, {"Source queue must be configured as a Dead Letter Queue."});
  }
  if (!destination.empty()) {
    std::optional<QueueKey> dk = ParseQueueArn(destination);
    std::shared_ptr<Queue> dst = dk ? env.Find(*dk) : nullptr;
    if (!dst)
      return MakeError(errors::kResourceNotFound,
                       {"The resource that you specified for the DestinationArn parameter doesn't exist."});
    if (dst == src)
      return MakeError(errors::kInvalidParameter, {"Source and destination queues must be different."});
  }
  std::size_t to_move;
  {
    MutexLock lock(src->mu);
    src->Promote(env.Now());
    to_move = src->ready.size() + src->inflight + src->delayed;
  }
  MutexLock lock(env.mu);
  for (const MoveTask& t : env.move_tasks) {
    if (t.source_arn == src->arn && t.status == "RUNNING") {
      return MakeError(
          errors::kInvalidParameter,
          {"There is already a task running. Only one active task is allowed for a source queue arn at "
           "a given time."});
    }
  }
  MoveTask t;
  json::object handle{{"taskId", NewUuidV4()}, {"sourceArn", src->arn}};
  t.task_handle = Base64Encode(json::serialize(handle));
  t.source_arn = src->arn;
  t.destination_arn = destination;
  t.max_per_second = rate.value_or(0);
  t.status = "RUNNING";
  t.started_ms = env.Now();
  t.to_move = static_cast<std::int64_t>(to_move);
  env.move_tasks.push_back(t);
  if (Status st = env.SaveMoveTask(t); !st) {
    env.move_tasks.pop_back();
    return st.error();
  }
  return json::object{{"TaskHandle", t.task_handle}};
}

Result<OperationOutput> CancelMessageMoveTask(Env& env, const RequestContext&, OperationInput& in) {
  std::string handle = GetString(in.params.as_object(), "TaskHandle").value_or("");
  MutexLock lock(env.mu);
  for (MoveTask& t : env.move_tasks) {
    if (t.task_handle != handle) continue;
    if (t.status != "RUNNING") {
      return MakeError(errors::kInvalidParameter, {"Only active tasks can be cancelled."});
    }
    t.status = "CANCELLING";
    CENOTE_RETURN_IF_ERROR(env.SaveMoveTask(t));
    return json::object{{"ApproximateNumberOfMessagesMoved", t.moved}};
  }
  return MakeError(errors::kResourceNotFound, {"Task does not exist."});
}

Result<OperationOutput> ListMessageMoveTasks(Env& env, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::string source = GetString(p, "SourceArn").value_or("");
  std::optional<std::int64_t> max = GetInt(p, "MaxResults");
  if (max && (*max < 1 || *max > 10)) {
    return MakeError(errors::kInvalidParameterValue,
                     {std::to_string(*max), "MaxResults", "Must be between 1 and 10, if provided."});
  }
  if (!env.FindByArn(source)) {
    return MakeError(errors::kResourceNotFound,
                     {"The resource that you specified for the SourceArn parameter doesn't exist."});
  }
  json::array results;
  MutexLock lock(env.mu);
  for (auto it = env.move_tasks.rbegin(); it != env.move_tasks.rend(); ++it) {
    if (it->source_arn != source) continue;
    if (results.size() >= static_cast<std::size_t>(max.value_or(1))) break;
    results.push_back(Describe(*it));
  }
  return json::object{{"Results", std::move(results)}};
}

void RunMoveTasks(Env& env) {
  std::vector<MoveTask> running;
  {
    MutexLock lock(env.mu);
    for (MoveTask& t : env.move_tasks) {
      if (t.status == "CANCELLING") {
        t.status = "CANCELLED";
        if (Status st = env.SaveMoveTask(t); !st)
          spdlog::warn("sqs: saving move task {} failed: {}", t.task_handle, st.error().message);
      }
      if (t.status == "RUNNING") running.push_back(t);
    }
  }
  for (MoveTask& t : running) {
    std::shared_ptr<Queue> src = env.FindByArn(t.source_arn);
    std::string failure;
    std::int64_t moved = 0;
    bool done = false;
    if (!src) {
      failure = "AWS.SimpleQueueService.NonExistentQueue";
    } else {
      // One round moves up to a second's worth (500 when the rate is system optimized).
      std::size_t budget = static_cast<std::size_t>(t.max_per_second > 0 ? t.max_per_second : 500);
      std::size_t left = t.to_move > t.moved ? static_cast<std::size_t>(t.to_move - t.moved) : 0;
      budget = std::min(budget, left);
      std::map<std::string, std::vector<Message>> by_destination;
      {
        MutexLock lock(src->mu);
        src->Promote(env.Now());
        std::vector<std::uint64_t> picked;
        for (std::uint64_t seq : src->ready) {
          if (picked.size() >= budget) break;
          picked.push_back(seq);
        }
        for (std::uint64_t seq : picked) {
          const Message& m = src->messages.at(seq);
          std::string dest = !t.destination_arn.empty() ? t.destination_arn : m.dead_letter_source_arn;
          if (dest.empty()) continue;  // not a redriven message and no destination: it stays
          by_destination[dest].push_back(src->Detach(seq));
        }
        done = picked.empty() || picked.size() >= left;
      }
      for (auto& [dest, msgs] : by_destination) {
        std::shared_ptr<Queue> dst = env.FindByArn(dest);
        if (!dst) {
          // Back where they were: a missing destination fails the task.
          MutexLock lock(src->mu);
          src->Restore(msgs, env.Now());
          failure = "AWS.SimpleQueueService.NonExistentQueue";
          continue;
        }
        std::size_t n = msgs.size();
        if (Status st = env.Transfer(*src, *dst, std::move(msgs), false); !st) {
          failure = st.error().code;
          continue;
        }
        moved += static_cast<std::int64_t>(n);
      }
    }
    MutexLock lock(env.mu);
    for (MoveTask& live : env.move_tasks) {
      if (live.task_handle != t.task_handle) continue;
      live.moved += moved;
      if (!failure.empty()) {
        live.status = "FAILED";
        live.failure_reason = failure;
      } else if (done || live.moved >= live.to_move) {
        if (live.status == "RUNNING") live.status = "COMPLETED";
      }
      if (Status st = env.SaveMoveTask(live); !st)
        spdlog::warn("sqs: saving move task {} failed: {}", live.task_handle, st.error().message);
      break;
    }
  }
}

}  // namespace cenote::sqs
