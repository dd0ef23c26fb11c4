#include "services/sqs/sqs_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <set>

#include "common/clock.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

// Schema of component "sqs": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE sqs_queues (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      // Message move tasks (move_tasks.cpp): the recent ones per source queue, running ones resumed at start.
      "CREATE TABLE sqs_move_tasks (task_handle TEXT PRIMARY KEY, source_arn TEXT NOT NULL, "
      "started_ms INTEGER NOT NULL, doc TEXT NOT NULL)",
  };
}

namespace {

const SqsProvider::Table& Operations() {
  static const SqsProvider::Table kOps = {
      {"AddPermission", AddPermission},
      {"CancelMessageMoveTask", CancelMessageMoveTask},
      {"ChangeMessageVisibility", ChangeMessageVisibility},
      {"ChangeMessageVisibilityBatch", ChangeMessageVisibilityBatch},
      {"CreateQueue", CreateQueue},
      {"DeleteMessage", DeleteMessage},
      {"DeleteMessageBatch", DeleteMessageBatch},
      {"DeleteQueue", DeleteQueue},
      {"GetQueueAttributes", GetQueueAttributes},
      {"GetQueueUrl", GetQueueUrl},
      {"ListDeadLetterSourceQueues", ListDeadLetterSourceQueues},
      {"ListMessageMoveTasks", ListMessageMoveTasks},
      {"ListQueueTags", ListQueueTags},
      {"ListQueues", ListQueues},
      {"PurgeQueue", PurgeQueue},
      {"ReceiveMessage", ReceiveMessage},
      {"RemovePermission", RemovePermission},
      {"SendMessage", SendMessage},
      {"SendMessageBatch", SendMessageBatch},
      {"SetQueueAttributes", SetQueueAttributes},
      {"StartMessageMoveTask", StartMessageMoveTask},
      {"TagQueue", TagQueue},
      {"UntagQueue", UntagQueue},
  };
  return kOps;
}

// A queue from its stored definition (attributes, tags and identity; messages come from the journal).
Result<std::shared_ptr<Queue>> FromDocument(const std::string& account, const std::string& region,
                                            const std::string& name, const json::object& doc) {
  auto q = std::make_shared<Queue>();
  q->key = QueueKey{account, region, name};
  q->arn = QueueArn(q->key);
  q->uid = GetString(doc, "uid").value_or("");
  q->fifo = GetBool(doc, "fifo").value_or(false);
  q->created_ms = GetInt(doc, "created").value_or(0);
  if (q->uid.empty()) return InternalError("sqs queue " + q->arn + " has no journal id");
  MutexLock lock(q->mu);
  q->modified_ms = GetInt(doc, "modified").value_or(q->created_ms);
  if (const json::object* a = GetObject(doc, "attributes")) {
    for (const auto& [k, v] : *a) {
      if (v.is_string()) q->attributes[std::string(k)] = std::string(v.as_string());
    }
  }
  if (const json::object* t = GetObject(doc, "tags")) {
    for (const auto& [k, v] : *t) {
      if (v.is_string()) q->tags[std::string(k)] = std::string(v.as_string());
    }
  }
  if (auto it = q->attributes.find("Policy"); it != q->attributes.end()) {
    if (auto p = iam::ParsePolicy(it->second, iam::PolicyKind::kResource)) {
      q->policy = std::make_shared<const iam::Policy>(std::move(p).value());
    }
  }
  return q;
}

}  // namespace

SqsProvider::SqsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

SqsProvider::~SqsProvider() {
  maintenance_.reset();
  // Wake long polls so that they end before the state goes (the pipeline has stopped serving by now).
  MutexLock lock(env_->mu);
  for (auto& [_, q] : env_->queues) {
    {
      MutexLock qlock(q->mu);
      q->deleted = true;
    }
    q->arrived.SignalAll();
  }
}

Result<std::unique_ptr<SqsProvider>> SqsProvider::Open(store::MetadataStore& metadata, store::StreamLog& log,
                                                       BackgroundTasks& tasks, SqsOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("sqs", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, log, std::move(options));
  std::vector<std::shared_ptr<Queue>> loaded;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT account, region, name, doc FROM sqs_queues"));
    for (const auto& r : rows) {
      boost::system::error_code ec;
      json::value doc = json::parse(store::AsText(r[3]), ec);
      if (ec || !doc.is_object()) return InternalError("corrupt sqs queue document");
      CENOTE_ASSIGN_OR_RETURN(auto q, FromDocument(store::AsText(r[0]), store::AsText(r[1]),
                                                   store::AsText(r[2]), doc.as_object()));
      loaded.push_back(std::move(q));
    }
    CENOTE_ASSIGN_OR_RETURN(auto tasks,
                            txn->Query("SELECT doc FROM sqs_move_tasks ORDER BY started_ms, rowid"));
    MutexLock lock(env->mu);
    for (const auto& r : tasks) {
      boost::system::error_code ec;
      json::value doc = json::parse(store::AsText(r[0]), ec);
      if (ec || !doc.is_object()) return InternalError("corrupt sqs move task document");
      env->move_tasks.push_back(MoveTaskFromDoc(doc.as_object()));
    }
  }
  std::set<std::string> known;
  for (const auto& q : loaded) {
    // A queue whose journal is missing (created, then a crash before the journal's directory was durable)
    // starts with an empty one.
    CENOTE_RETURN_IF_ERROR(log.CreateLog(q->LogName(), static_cast<std::uint64_t>(q->created_ms) << 16));
    CENOTE_RETURN_IF_ERROR(Replay(*env, *q));
    known.insert(q->LogName());
    MutexLock lock(env->mu);
    env->queues[q->key] = q;
    env->by_arn[q->arn] = q;
  }
  CENOTE_ASSIGN_OR_RETURN(auto logs, log.ListLogs());
  for (const auto& name : logs) {
    if (known.contains(name)) continue;
    if (Status st = log.DeleteLog(name); !st)
      spdlog::warn("sqs: cannot remove orphan journal {}: {}", name, st.error().message);
  }
  std::unique_ptr<SqsProvider> provider(new SqsProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.maintenance_interval_ms; interval > 0) {
    SqsProvider* p = provider.get();
    provider->maintenance_ = tasks.Every("sqs.maintenance", std::chrono::milliseconds(interval), [p] {
      try {
        p->Maintain();
      } catch (const std::exception& e) {
        spdlog::error("sqs maintenance failed: {}", e.what());
      }
    });
  }
  return provider;
}

const SqsProvider::Table& SqsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& SqsProvider::SupportedOperations() { return Operations().names(); }

void SqsProvider::Maintain() {
  Env& env = *env_;
  RunMoveTasks(env);
  std::vector<std::shared_ptr<Queue>> all;
  {
    MutexLock lock(env.mu);
    for (const auto& [_, q] : env.queues) all.push_back(q);
  }
  const std::int64_t now = env.Now();
  for (const auto& q : all) {
    std::int64_t cutoff;
    bool due = false;
    {
      MutexLock lock(q->mu);
      if (q->deleted) continue;
      std::size_t before = q->ready.size();
      q->Promote(now);
      q->ExpireDedup(now);
      due = q->ready.size() > before;
      // Whole journal segments older than the oldest live message's send record hold nothing a replay needs
      // (every record about a live message comes after its send), except the sends of the last 5 minutes,
      // which FIFO deduplication replays. Messages being deleted or moved right now may be older than all the
      // others: no trimming while there are any.
      cutoff = now - kDedupWindowMs;
      if (!q->messages.empty()) cutoff = std::min(cutoff, q->messages.begin()->second.journal_ms);
      if (q->detached > 0) cutoff = 0;
    }
    if (due) q->arrived.SignalAll();
    if (cutoff > 0) {
      Result<std::uint64_t> trimmed = env.log.Trim(q->LogName(), cutoff);
      if (!trimmed && trimmed.error().code != "NoSuchLog") {
        spdlog::warn("sqs: trimming the journal of {} failed: {}", q->arn, trimmed.error().message);
      }
    }
  }
}

}  // namespace cenote::sqs
