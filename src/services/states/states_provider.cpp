#include "services/states/states_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/common/round_task.hpp"
#include "services/states/internal.hpp"

namespace cenote::states {

// Schema of component "states": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      // State machines, their versions and aliases: kind 'machine', 'version' or 'alias'; parent is the
      // machine's ARN for versions and aliases.
      "CREATE TABLE states_machines (arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
      "name TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT NOT NULL, doc TEXT NOT NULL)",
      // Executions: doc holds what DescribeExecution answers and the definition run; run is the
      // interpreter's document; due_ms the next time it advances on its own (-1: none).
      "CREATE TABLE states_executions (arn TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
      "machine_arn TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, start_ms INTEGER NOT NULL, "
      "stop_ms INTEGER, doc TEXT NOT NULL, run TEXT NOT NULL, due_ms INTEGER NOT NULL)",
      "CREATE INDEX states_executions_by_machine ON states_executions (machine_arn, start_ms)",
      "CREATE TABLE states_history (execution TEXT NOT NULL, id INTEGER NOT NULL, doc TEXT NOT NULL, "
      "PRIMARY KEY (execution, id))",
      // SendTaskSuccess/Failure/Heartbeat outcomes waiting for their execution's next advance.
      "CREATE TABLE states_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, execution TEXT NOT NULL, "
      "token TEXT NOT NULL, doc TEXT NOT NULL)",
      // Activity tasks waiting for a worker (GetActivityTask), oldest first. Activities themselves are rows
      // of
      // states_machines with kind 'activity'.
      "CREATE TABLE states_activity_tasks (id INTEGER PRIMARY KEY AUTOINCREMENT, activity TEXT NOT NULL, "
      "token TEXT NOT NULL, input TEXT NOT NULL, execution TEXT NOT NULL, created INTEGER NOT NULL)",
      "CREATE INDEX states_activity_tasks_by_activity ON states_activity_tasks (activity, id)",
      // Map Runs of Distributed Maps: doc holds DescribeMapRun's settings, the child definition and the
      // ResultWriter's target; one item row per child input (execution: the child once started).
      "CREATE TABLE states_map_runs (arn TEXT PRIMARY KEY, execution TEXT NOT NULL, status TEXT NOT NULL, "
      "start_ms INTEGER NOT NULL, doc TEXT NOT NULL)",
      "CREATE INDEX states_map_runs_by_execution ON states_map_runs (execution, start_ms)",
      "CREATE TABLE states_map_run_items (map_run TEXT NOT NULL, idx INTEGER NOT NULL, n INTEGER NOT NULL, "
      "input TEXT NOT NULL, execution TEXT, PRIMARY KEY (map_run, idx))",
  };
}

namespace {

const StatesProvider::Table& Operations() {
  static const StatesProvider::Table kOps = {
      {"CreateActivity", CreateActivity},
      {"CreateStateMachine", CreateStateMachine},
      {"CreateStateMachineAlias", CreateStateMachineAlias},
      {"DeleteActivity", DeleteActivity},
      {"DeleteStateMachine", DeleteStateMachine},
      {"DeleteStateMachineAlias", DeleteStateMachineAlias},
      {"DeleteStateMachineVersion", DeleteStateMachineVersion},
      {"DescribeActivity", DescribeActivity},
      {"DescribeExecution", DescribeExecution},
      {"DescribeMapRun", DescribeMapRun},
      {"DescribeStateMachine", DescribeStateMachine},
      {"DescribeStateMachineAlias", DescribeStateMachineAlias},
      {"DescribeStateMachineForExecution", DescribeStateMachineForExecution},
      {"GetActivityTask", GetActivityTask},
      {"GetExecutionHistory", GetExecutionHistory},
      {"ListActivities", ListActivities},
      {"ListExecutions", ListExecutions},
      {"ListMapRuns", ListMapRuns},
      {"ListStateMachineAliases", ListStateMachineAliases},
      {"ListStateMachineVersions", ListStateMachineVersions},
      {"ListStateMachines", ListStateMachines},
      {"ListTagsForResource", ListTagsForResource},
      {"PublishStateMachineVersion", PublishStateMachineVersion},
      {"RedriveExecution", RedriveExecution},
      {"SendTaskFailure", SendTaskFailure},
      {"SendTaskHeartbeat", SendTaskHeartbeat},
      {"SendTaskSuccess", SendTaskSuccess},
      {"StartExecution", StartExecution},
      {"StartSyncExecution", StartSyncExecution},
      {"StopExecution", StopExecution},
      {"TagResource", TagResource},
      {"TestState", TestState},
      {"UntagResource", UntagResource},
      {"UpdateMapRun", UpdateMapRun},
      {"UpdateStateMachine", UpdateStateMachine},
      {"UpdateStateMachineAlias", UpdateStateMachineAlias},
      {"ValidateStateMachineDefinition", ValidateStateMachineDefinition},
  };
  return kOps;
}

}  // namespace

std::optional<ArnParts> ParseArn(std::string_view arn) {
  std::vector<std::string> parts;
  std::size_t from = 0;
  while (true) {
    const std::size_t c = arn.find(':', from);
    parts.emplace_back(arn.substr(from, c == std::string_view::npos ? std::string_view::npos : c - from));
    if (c == std::string_view::npos) break;
    from = c + 1;
  }
  if (parts.size() < 7 || parts[0] != "arn" || parts[2] != "states" || parts[3].empty() || parts[4].empty() ||
      parts[6].empty())
    return std::nullopt;
  ArnParts p;
  p.region = parts[3];
  p.account = parts[4];
  p.type = parts[5];
  p.name = parts[6];
  if (parts.size() > 7) p.qualifier = parts[7];
  if (parts.size() > 8) p.extra = parts[8];
  if (parts.size() > 9) return std::nullopt;
  return p;
}

json::object ParseDoc(const store::Value& v) {
  boost::system::error_code ec;
  json::value d = json::parse(store::AsText(v), ec);
  return ec || !d.is_object() ? json::object{} : d.as_object();
}

Error InvalidArn(std::string_view arn) { return services::MakeError(errors::kInvalidArn, {arn}); }

std::string MachineArn(std::string_view region, std::string_view account, std::string_view name) {
  return "arn:aws:states:" + std::string(region) + ":" + std::string(account) +
         ":stateMachine:" + std::string(name);
}

// Names (state machines, executions, aliases): 1-80 characters without whitespace, brackets, wildcards,
// the special characters " # % \ ^ | ~ ` $ & , ; : / or control characters (CreateStateMachine's "name").
bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 80) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || IsAsciiSpace(static_cast<char>(c))) return false;
    if (std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  return true;
}

std::string NewRevisionId() { return RandomHex(16); }

void Env::Arm(const std::string& execution_arn, std::int64_t due) {
  {
    MutexLock lock(mu);
    if (auto it = due_of.find(execution_arn); it != due_of.end()) {
      timers.erase({it->second, execution_arn});
      due_of.erase(it);
    }
    if (due >= 0) {
      timers.emplace(due, execution_arn);
      due_of[execution_arn] = due;
    }
  }
  if (due >= 0 && wake) wake();
}

ExecutionLock::ExecutionLock(Env& env, std::string arn) : env_(env), arn_(std::move(arn)) {
  MutexLock lock(env_.mu);
  const std::thread::id self = std::this_thread::get_id();
  while (true) {
    auto it = env_.busy.find(arn_);
    if (it == env_.busy.end()) break;
    if (it->second == self) {
      reentrant_ = true;
      return;
    }
    env_.busy_cv.Wait(lock);
  }
  env_.busy[arn_] = self;
}

ExecutionLock::~ExecutionLock() {
  if (reentrant_) return;
  MutexLock lock(env_.mu);
  env_.busy.erase(arn_);
  env_.busy_cv.SignalAll();
}

StatesProvider::StatesProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

StatesProvider::~StatesProvider() {
  task_.reset();
  // End GetActivityTask long polls before the state goes (the pipeline has stopped serving by now).
  MutexLock lock(env_->mu);
  env_->stopping = true;
  env_->activity_cv.SignalAll();
}

Result<std::unique_ptr<StatesProvider>> StatesProvider::Open(store::MetadataStore& metadata,
                                                             aws::Invoker* invoker, BackgroundTasks& tasks,
                                                             StatesOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("states", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, invoker, std::move(options));
  CENOTE_RETURN_IF_ERROR(LoadTimers(*env));
  CENOTE_RETURN_IF_ERROR(LoadMapRunTimers(*env));
  std::unique_ptr<StatesProvider> provider(new StatesProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.poll_interval_ms; interval > 0) {
    Env* e = provider->env_.get();
    provider->task_ =
        services::StartRounds(tasks, "states.executions", interval, [e] { return RunRound(*e); });
    BackgroundTask* task = provider->task_.get();
    provider->env_->wake = [task] { task->Wake(); };
  }
  return provider;
}

const StatesProvider::Table& StatesProvider::table() const { return Operations(); }

const std::vector<std::string_view>& StatesProvider::SupportedOperations() { return Operations().names(); }

std::size_t StatesProvider::Run() {
  RunRound(*env_);
  MutexLock lock(env_->mu);
  return env_->due_of.size();
}

}  // namespace cenote::states
