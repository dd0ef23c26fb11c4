#include "services/events/events_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>

#include "common/clock.hpp"
#include "services/common/round_task.hpp"
#include "services/events/internal.hpp"

namespace cenote::events {

// Schema of component "events": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE events_buses (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      // name: "<bus>/<rule>"
      "CREATE TABLE events_rules (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "CREATE TABLE events_archives (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "CREATE TABLE events_replays (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, name))",
      "CREATE TABLE events_outbox (id INTEGER PRIMARY KEY, due_ms INTEGER NOT NULL, doc TEXT NOT NULL)",
      "CREATE TABLE events_archived (seq INTEGER PRIMARY KEY, archive TEXT NOT NULL, time_ms INTEGER NOT "
      "NULL, "
      "doc TEXT NOT NULL)",
      "CREATE INDEX events_archived_by_archive ON events_archived (archive, seq)",
  };
}

namespace {

const EventsProvider::Table& Operations() {
  static const EventsProvider::Table kOps = {
      {"CancelReplay", CancelReplay},
      {"CreateArchive", CreateArchive},
      {"CreateEventBus", CreateEventBus},
      {"DeleteArchive", DeleteArchive},
      {"DeleteEventBus", DeleteEventBus},
      {"DeleteRule", DeleteRule},
      {"DescribeArchive", DescribeArchive},
      {"DescribeEventBus", DescribeEventBus},
      {"DescribeReplay", DescribeReplay},
      {"DescribeRule", DescribeRule},
      {"DisableRule", DisableRule},
      {"EnableRule", EnableRule},
      {"ListArchives", ListArchives},
      {"ListEventBuses", ListEventBuses},
      {"ListReplays", ListReplays},
      {"ListRuleNamesByTarget", ListRuleNamesByTarget},
      {"ListRules", ListRules},
      {"ListTagsForResource", ListTagsForResource},
      {"ListTargetsByRule", ListTargetsByRule},
      {"PutEvents", PutEvents},
      {"PutPermission", PutPermission},
      {"PutRule", PutRule},
      {"PutTargets", PutTargets},
      {"RemovePermission", RemovePermission},
      {"RemoveTargets", RemoveTargets},
      {"StartReplay", StartReplay},
      {"TagResource", TagResource},
      {"TestEventPattern", TestEventPattern},
      {"UntagResource", UntagResource},
      {"UpdateArchive", UpdateArchive},
      {"UpdateEventBus", UpdateEventBus},
  };
  return kOps;
}

std::map<std::string, std::string> TagsFrom(const json::object& doc) {
  std::map<std::string, std::string> tags;
  if (const json::object* t = GetObject(doc, "tags")) {
    for (const auto& [k, v] : *t) {
      if (v.is_string()) tags[std::string(k)] = std::string(v.get_string());
    }
  }
  return tags;
}

std::shared_ptr<const services::EventPattern> CompileStored(const std::string& text) {
  if (text.empty()) return nullptr;
  auto p = services::EventPattern::Parse(text, services::PatternDialect::kEventBridge);
  if (!p) return nullptr;
  return std::make_shared<const services::EventPattern>(std::move(p).value());
}

Status Load(Env& env) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  auto rows_of = [&](const char* table) {
    return txn->Query(std::string("SELECT account, region, name, doc FROM ") + table);
  };
  auto doc_of = [](const store::Row& r) {
    boost::system::error_code ec;
    json::value v = json::parse(store::AsText(r[3]), ec);
    return ec || !v.is_object() ? json::object{} : v.as_object();
  };
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(auto buses, rows_of("events_buses"));
  for (const auto& r : buses) {
    json::object d = doc_of(r);
    Bus b;
    b.where = Where{store::AsText(r[0]), store::AsText(r[1])};
    b.name = store::AsText(r[2]);
    b.arn = BusArn(b.where, b.name);
    b.description = GetString(d, "description").value_or("");
    b.policy_text = GetString(d, "policy").value_or("");
    if (!b.policy_text.empty()) {
      if (auto p = iam::ParsePolicy(b.policy_text, iam::PolicyKind::kResource)) {
        b.policy = std::make_shared<const iam::Policy>(std::move(p).value());
      }
    }
    b.tags = TagsFrom(d);
    b.created_ms = GetInt(d, "created").value_or(0);
    b.modified_ms = GetInt(d, "modified").value_or(b.created_ms);
    env.buses[{b.where, b.name}] = std::move(b);
  }
  CENOTE_ASSIGN_OR_RETURN(auto rules, rows_of("events_rules"));
  for (const auto& row : rules) {
    json::object d = doc_of(row);
    Rule r;
    r.where = Where{store::AsText(row[0]), store::AsText(row[1])};
    r.bus = GetString(d, "bus").value_or(std::string(kDefaultBus));
    r.name = GetString(d, "name").value_or("");
    r.arn = RuleArn(r.where, r.bus, r.name);
    r.event_pattern = GetString(d, "pattern").value_or("");
    r.pattern = CompileStored(r.event_pattern);
    r.schedule = GetString(d, "schedule").value_or("");
    r.state = GetString(d, "state").value_or("ENABLED");
    r.description = GetString(d, "description").value_or("");
    r.role_arn = GetString(d, "role").value_or("");
    r.managed_by = GetString(d, "managed_by").value_or("");
    r.created_by = GetString(d, "created_by").value_or(r.where.account);
    if (const json::array* t = GetArray(d, "targets")) {
      for (const auto& x : *t) {
        if (x.is_object()) r.targets.push_back(x.as_object());
      }
    }
    r.tags = TagsFrom(d);
    r.created_ms = GetInt(d, "created").value_or(0);
    Rule& stored = env.rules[{r.where, r.bus, r.name}] = std::move(r);
    // After downtime a schedule fires at its next time; missed firings are not made up.
    env.ArmTimer(stored, env.Now());
  }
  CENOTE_ASSIGN_OR_RETURN(auto archives, rows_of("events_archives"));
  for (const auto& row : archives) {
    json::object d = doc_of(row);
    Archive a;
    a.where = Where{store::AsText(row[0]), store::AsText(row[1])};
    a.name = store::AsText(row[2]);
    a.arn = ArchiveArn(a.where, a.name);
    a.source_arn = GetString(d, "source").value_or("");
    a.description = GetString(d, "description").value_or("");
    a.event_pattern = GetString(d, "pattern").value_or("");
    a.pattern = CompileStored(a.event_pattern);
    a.retention_days = GetInt(d, "retention").value_or(0);
    a.state = GetString(d, "state").value_or("ENABLED");
    a.created_ms = GetInt(d, "created").value_or(0);
    env.archives[{a.where, a.name}] = std::move(a);
  }
  CENOTE_ASSIGN_OR_RETURN(auto replays, rows_of("events_replays"));
  for (const auto& row : replays) {
    json::object d = doc_of(row);
    Replay r;
    r.where = Where{store::AsText(row[0]), store::AsText(row[1])};
    r.name = store::AsText(row[2]);
    r.arn = ReplayArn(r.where, r.name);
    r.description = GetString(d, "description").value_or("");
    r.source_arn = GetString(d, "source").value_or("");
    if (const json::object* dest = GetObject(d, "destination")) r.destination = *dest;
    r.start_ms = GetInt(d, "start").value_or(0);
    r.end_ms = GetInt(d, "end").value_or(0);
    r.state = GetString(d, "state").value_or("STARTING");
    r.state_reason = GetString(d, "reason").value_or("");
    r.replay_start_ms = GetInt(d, "replay_start").value_or(0);
    r.replay_end_ms = GetInt(d, "replay_end").value_or(0);
    r.last_replayed_ms = GetInt(d, "last").value_or(0);
    r.cursor = GetInt(d, "cursor").value_or(0);
    env.replays[{r.where, r.name}] = std::move(r);
  }
  CENOTE_ASSIGN_OR_RETURN(auto ids, txn->QueryOne("SELECT COALESCE(MAX(id), 0) FROM events_outbox"));
  if (ids) env.next_outbox_id = store::AsInt((*ids)[0]) + 1;
  CENOTE_ASSIGN_OR_RETURN(auto seqs, txn->QueryOne("SELECT COALESCE(MAX(seq), 0) FROM events_archived"));
  if (seqs) env.next_archived_seq = store::AsInt((*seqs)[0]) + 1;
  return Status::Ok();
}

}  // namespace

EventsProvider::EventsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

EventsProvider::~EventsProvider() { delivery_.reset(); }

Result<std::unique_ptr<EventsProvider>> EventsProvider::Open(store::MetadataStore& metadata,
                                                             aws::Invoker* invoker, BackgroundTasks& tasks,
                                                             EventsOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("events", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, invoker, std::move(options));
  CENOTE_RETURN_IF_ERROR(Load(*env));
  CENOTE_RETURN_IF_ERROR(LoadOutbox(*env));
  std::unique_ptr<EventsProvider> provider(new EventsProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.poll_interval_ms; interval > 0) {
    Env* e = provider->env_.get();
    provider->delivery_ =
        services::StartRounds(tasks, "events.delivery", interval, [e] { return DeliverRound(*e); });
    BackgroundTask* task = provider->delivery_.get();
    provider->env_->wake = [task] { task->Wake(); };
  }
  return provider;
}

const EventsProvider::Table& EventsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& EventsProvider::SupportedOperations() { return Operations().names(); }

std::size_t EventsProvider::Deliver() {
  DeliverRound(*env_);
  MutexLock lock(env_->mu);
  return env_->outbox.size();
}

}  // namespace cenote::events
