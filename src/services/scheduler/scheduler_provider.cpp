#include "services/scheduler/scheduler_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "common/clock.hpp"
#include "services/common/round_task.hpp"
#include "services/scheduler/internal.hpp"

namespace cenote::scheduler {

// Schema of component "scheduler": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE scheduler_groups (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      // name: "<group>/<schedule>"
      "CREATE TABLE scheduler_schedules (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "CREATE TABLE scheduler_invocations (id INTEGER PRIMARY KEY, due_ms INTEGER NOT NULL, doc TEXT NOT "
      "NULL)",
  };
}

namespace {

const SchedulerProvider::Table& Operations() {
  static const SchedulerProvider::Table kOps = {
      {"CreateSchedule", CreateSchedule},
      {"CreateScheduleGroup", CreateScheduleGroup},
      {"DeleteSchedule", DeleteSchedule},
      {"DeleteScheduleGroup", DeleteScheduleGroup},
      {"GetSchedule", GetSchedule},
      {"GetScheduleGroup", GetScheduleGroup},
      {"ListScheduleGroups", ListScheduleGroups},
      {"ListSchedules", ListSchedules},
      {"ListTagsForResource", ListTagsForResource},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateSchedule", UpdateSchedule},
  };
  return kOps;
}

Status Load(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  auto doc_of = [](const store::Row& r) {
    boost::system::error_code ec;
    json::value v = json::parse(store::AsText(r[3]), ec);
    return ec || !v.is_object() ? json::object{} : v.as_object();
  };
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(auto groups, txn->Query("SELECT account, region, name, doc FROM scheduler_groups"));
  for (const auto& r : groups) {
    json::object d = doc_of(r);
    Group g;
    g.where = Where{store::AsText(r[0]), store::AsText(r[1])};
    g.name = store::AsText(r[2]);
    g.arn = GroupArn(g.where, g.name);
    if (const json::object* t = GetObject(d, "tags")) {
      for (const auto& [k, v] : *t) {
        if (v.is_string()) g.tags[std::string(k)] = std::string(v.get_string());
      }
    }
    g.created_ms = GetInt(d, "created").value_or(0);
    g.modified_ms = GetInt(d, "modified").value_or(g.created_ms);
    env.groups[{g.where, g.name}] = std::move(g);
  }
  CENOTE_ASSIGN_OR_RETURN(auto schedules,
                          txn->Query("SELECT account, region, name, doc FROM scheduler_schedules"));
  const std::int64_t now = env.Now();
  for (const auto& r : schedules) {
    json::object d = doc_of(r);
    Schedule s;
    s.where = Where{store::AsText(r[0]), store::AsText(r[1])};
    const std::string key = store::AsText(r[2]);
    s.group = key.substr(0, key.find('/'));
    s.name = key.substr(key.find('/') + 1);
    s.arn = ScheduleArn(s.where, s.group, s.name);
    if (const json::object* doc = GetObject(d, "schedule")) s.doc = *doc;
    s.last_ms = GetInt(d, "last").value_or(0);
    // After downtime: a one-time schedule that has not fired fires at once; recurring ones go on at their
    // next time from now (missed firings are not made up).
    const std::int64_t created = GetInt(s.doc, "CreationDate").value_or(0);
    s.next_ms = NextFiring(s.doc, created, std::max(now - 1, s.last_ms), s.last_ms);
    ScheduleKey k{s.where, s.group, s.name};
    Schedule& stored = env.schedules[k] = std::move(s);
    env.Arm(k, stored);
  }
  return Status::Ok();
}

}  // namespace

SchedulerProvider::SchedulerProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

SchedulerProvider::~SchedulerProvider() { task_.reset(); }

Result<std::unique_ptr<SchedulerProvider>> SchedulerProvider::Open(store::MetadataStore& metadata,
                                                                   aws::Invoker* invoker,
                                                                   BackgroundTasks& tasks,
                                                                   SchedulerOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("scheduler", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, invoker, std::move(options));
  CENOTE_RETURN_IF_ERROR(Load(*env));
  CENOTE_RETURN_IF_ERROR(LoadPending(*env));
  std::unique_ptr<SchedulerProvider> provider(new SchedulerProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.poll_interval_ms; interval > 0) {
    Env* e = provider->env_.get();
    provider->task_ =
        services::StartRounds(tasks, "scheduler.timers", interval, [e] { return RunRound(*e); });
    BackgroundTask* task = provider->task_.get();
    provider->env_->wake = [task] { task->Wake(); };
  }
  return provider;
}

const SchedulerProvider::Table& SchedulerProvider::table() const { return Operations(); }

const std::vector<std::string_view>& SchedulerProvider::SupportedOperations() { return Operations().names(); }

std::size_t SchedulerProvider::Run() {
  RunRound(*env_);
  MutexLock lock(env_->mu);
  return env_->pending.size();
}

}  // namespace cenote::scheduler
