// Archives (CreateArchive, DescribeArchive, UpdateArchive, DeleteArchive, ListArchives) and replays
// (StartReplay, DescribeReplay, CancelReplay, ListReplays). Archived events are rows of events_archived,
// written in PutEvents' transaction; a replay routes them again, a batch per delivery round, to the rules of
// its destination bus with "replay-name" added to each event.
#include <spdlog/spdlog.h>

#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

constexpr std::size_t kReplayBatch = 100;

struct ArchiveStats {
  std::int64_t count = 0, bytes = 0;
};

ArchiveStats StatsOf(Env& env, const std::string& arn) {
  ArchiveStats s;
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kRead);
  if (!txn) return s;
  auto row = (*txn)->QueryOne(
      "SELECT COUNT(*), COALESCE(SUM(LENGTH(doc)), 0) FROM events_archived WHERE archive = ?", {arn});
  if (row && *row) {
    s.count = store::AsInt((**row)[0]);
    s.bytes = store::AsInt((**row)[1]);
  }
  return s;
}

json::object ArchiveDocument(const Archive& a, const ArchiveStats& s, bool describe) {
  json::object o;
  if (describe) o["ArchiveArn"] = a.arn;
  o["ArchiveName"] = a.name;
  o["EventSourceArn"] = a.source_arn;
  if (describe && !a.description.empty()) o["Description"] = a.description;
  if (describe && !a.event_pattern.empty()) o["EventPattern"] = a.event_pattern;
  o["State"] = a.state;
  o["RetentionDays"] = a.retention_days;
  o["SizeBytes"] = s.bytes;
  o["EventCount"] = s.count;
  o["CreationTime"] = a.created_ms;
  return o;
}

json::object ReplayDocument(const Replay& r, bool describe) {
  json::object o{{"ReplayName", r.name}};
  if (describe) o["ReplayArn"] = r.arn;
  if (describe && !r.description.empty()) o["Description"] = r.description;
  o["State"] = r.state;
  if (!r.state_reason.empty()) o["StateReason"] = r.state_reason;
  o["EventSourceArn"] = r.source_arn;
  if (describe) o["Destination"] = r.destination;
  o["EventStartTime"] = r.start_ms;
  o["EventEndTime"] = r.end_ms;
  if (r.last_replayed_ms > 0) o["EventLastReplayedTime"] = r.last_replayed_ms;
  o["ReplayStartTime"] = r.replay_start_ms;
  if (r.replay_end_ms > 0) o["ReplayEndTime"] = r.replay_end_ms;
  return o;
}

Result<std::shared_ptr<const services::EventPattern>> Compile(const std::string& text) {
  if (text.empty()) return std::shared_ptr<const services::EventPattern>();
  CENOTE_ASSIGN_OR_RETURN(auto p,
                          services::EventPattern::Parse(text, services::PatternDialect::kEventBridge));
  return std::make_shared<const services::EventPattern>(std::move(p));
}

}  // namespace

Result<OperationOutput> CreateArchive(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "ArchiveName").value_or("");
  const std::string source = GetString(p, "EventSourceArn").value_or("");
  const Where w{ctx.account_id(), ctx.region};
  Archive a;
  a.where = w;
  a.name = name;
  a.arn = ArchiveArn(w, name);
  a.source_arn = source;
  a.description = GetString(p, "Description").value_or("");
  a.event_pattern = GetString(p, "EventPattern").value_or("");
  CENOTE_ASSIGN_OR_RETURN(a.pattern, Compile(a.event_pattern));
  a.retention_days = GetInt(p, "RetentionDays").value_or(0);
  a.created_ms = env.Now();
  auto bus = ParseBusArn(source);
  MutexLock lock(env.mu);
  if (!bus || bus->first != w || env.FindBus(bus->first, bus->second) == nullptr) {
    return MakeError(errors::kResourceNotFound,
                     {"Event bus " + (bus ? bus->second : source) + " does not exist."});
  }
  if (env.archives.contains({w, name})) return MakeError(errors::kArchiveExists, {name});
  CENOTE_RETURN_IF_ERROR(env.SaveArchive(a));
  json::object out{{"ArchiveArn", a.arn}, {"State", a.state}, {"CreationTime", a.created_ms}};
  env.archives.emplace(std::make_pair(w, name), std::move(a));
  return out;
}

Result<OperationOutput> DescribeArchive(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "ArchiveName").value_or("");
  Archive a;
  {
    MutexLock lock(env.mu);
    auto it = env.archives.find({Where{ctx.account_id(), ctx.region}, name});
    if (it == env.archives.end()) return MakeError(errors::kArchiveNotFound, {name});
    a = it->second;
  }
  return ArchiveDocument(a, StatsOf(env, a.arn), true);
}

Result<OperationOutput> UpdateArchive(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "ArchiveName").value_or("");
  MutexLock lock(env.mu);
  auto it = env.archives.find({Where{ctx.account_id(), ctx.region}, name});
  if (it == env.archives.end()) return MakeError(errors::kArchiveNotFound, {name});
  Archive a = it->second;
  if (auto d = GetString(p, "Description")) a.description = *d;
  if (auto e = GetString(p, "EventPattern")) {
    a.event_pattern = *e;
    CENOTE_ASSIGN_OR_RETURN(a.pattern, Compile(a.event_pattern));
  }
  if (auto r = GetInt(p, "RetentionDays")) a.retention_days = *r;
  CENOTE_RETURN_IF_ERROR(env.SaveArchive(a));
  it->second = std::move(a);
  return json::object{
      {"ArchiveArn", it->second.arn}, {"State", it->second.state}, {"CreationTime", it->second.created_ms}};
}

Result<OperationOutput> DeleteArchive(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "ArchiveName").value_or("");
  const Where w{ctx.account_id(), ctx.region};
  MutexLock lock(env.mu);
  auto it = env.archives.find({w, name});
  if (it == env.archives.end()) return MakeError(errors::kArchiveNotFound, {name});
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM events_archives WHERE account = ? AND region = ? AND name = ?",
                {w.account, w.region, name}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM events_archived WHERE archive = ?", {it->second.arn}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.archives.erase(it);
  return json::object{};
}

Result<OperationOutput> ListArchives(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string prefix = GetString(p, "NamePrefix").value_or("");
  const std::string source = GetString(p, "EventSourceArn").value_or("");
  const std::string state = GetString(p, "State").value_or("");
  const Where w{ctx.account_id(), ctx.region};
  std::vector<Archive> all;
  {
    MutexLock lock(env.mu);
    for (const auto& [key, a] : env.archives) {
      if (key.first != w || !a.name.starts_with(prefix)) continue;
      if (!source.empty() && a.source_arn != source) continue;
      if (!state.empty() && a.state != state) continue;
      all.push_back(a);
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageRange page, Page(p, all.size()));
  json::array out;
  for (std::size_t i = page.begin; i < page.end; ++i)
    out.push_back(ArchiveDocument(all[i], StatsOf(env, all[i].arn), false));
  json::object result{{"Archives", std::move(out)}};
  if (page.next_token) result["NextToken"] = *page.next_token;
  return result;
}

Result<OperationOutput> StartReplay(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "ReplayName").value_or("");
  const std::string source = GetString(p, "EventSourceArn").value_or("");
  const json::object* destination = GetObject(p, "Destination");
  const Where w{ctx.account_id(), ctx.region};
  Replay r;
  r.where = w;
  r.name = name;
  r.arn = ReplayArn(w, name);
  r.description = GetString(p, "Description").value_or("");
  r.source_arn = source;
  r.destination = destination ? *destination : json::object{};
  r.start_ms = GetInt(p, "EventStartTime").value_or(0);
  r.end_ms = GetInt(p, "EventEndTime").value_or(0);
  if (r.start_ms >= r.end_ms) {
    return MakeError(
        errors::kValidation,
        {"Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."});
  }
  if (r.end_ms > env.Now()) {
    return MakeError(errors::kValidation,
                     {"Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future."});
  }
  MutexLock lock(env.mu);
  const Archive* archive = nullptr;
  for (const auto& [key, a] : env.archives) {
    if (a.arn == source) archive = &a;
  }
  if (archive == nullptr) {
    return MakeError(errors::kArchiveNotFound,
                     {source.substr(source.rfind('/') == std::string::npos ? 0 : source.rfind('/') + 1)});
  }
  if (GetString(r.destination, "Arn").value_or("") != archive->source_arn) {
    return MakeError(
        errors::kValidation,
        {"Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."});
  }
  if (env.replays.contains({w, name})) return MakeError(errors::kReplayExists, {name});
  r.replay_start_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveReplay(r));
  json::object out{{"ReplayArn", r.arn}, {"State", r.state}, {"ReplayStartTime", r.replay_start_ms}};
  env.replays.emplace(std::make_pair(w, name), std::move(r));
  if (env.wake) env.wake();
  return out;
}

Result<OperationOutput> DescribeReplay(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "ReplayName").value_or("");
  MutexLock lock(env.mu);
  auto it = env.replays.find({Where{ctx.account_id(), ctx.region}, name});
  if (it == env.replays.end()) return MakeError(errors::kReplayNotFound, {name});
  return ReplayDocument(it->second, true);
}

Result<OperationOutput> CancelReplay(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "ReplayName").value_or("");
  MutexLock lock(env.mu);
  auto it = env.replays.find({Where{ctx.account_id(), ctx.region}, name});
  if (it == env.replays.end()) return MakeError(errors::kReplayNotFound, {name});
  Replay& r = it->second;
  if (r.state != "STARTING" && r.state != "RUNNING") {
    return MakeError(errors::kIllegalStatus,
                     {"Replay " + name + " is not in a valid state for this operation."});
  }
  Replay updated = r;
  updated.state = "CANCELLING";
  CENOTE_RETURN_IF_ERROR(env.SaveReplay(updated));
  r = std::move(updated);
  if (env.wake) env.wake();
  return json::object{{"ReplayArn", r.arn}, {"State", r.state}};
}

Result<OperationOutput> ListReplays(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string prefix = GetString(p, "NamePrefix").value_or("");
  const std::string state = GetString(p, "State").value_or("");
  const std::string source = GetString(p, "EventSourceArn").value_or("");
  const Where w{ctx.account_id(), ctx.region};
  json::array all;
  {
    MutexLock lock(env.mu);
    for (const auto& [key, r] : env.replays) {
      if (key.first != w || !r.name.starts_with(prefix)) continue;
      if (!state.empty() && r.state != state) continue;
      if (!source.empty() && r.source_arn != source) continue;
      all.push_back(ReplayDocument(r, false));
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageRange page, Page(p, all.size()));
  json::object out{{"Replays", json::array(all.begin() + page.begin, all.begin() + page.end)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

// One step of a replay: a batch of its archived events routed again, and its progress, in one transaction.
Status AdvanceReplay(Env& env, Replay& updated, std::vector<Delivery>& replay_rows)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  if (updated.state == "CANCELLING") {
    updated.state = "CANCELLED";
    updated.replay_end_ms = env.Now();
    return env.SaveReplay(updated);
  }
  updated.state = "RUNNING";
  auto bus = ParseBusArn(GetString(updated.destination, "Arn").value_or(""));
  if (!bus) {
    updated.state = "FAILED";
    updated.state_reason = "The destination event bus does not exist.";
    return env.SaveReplay(updated);
  }
  std::vector<std::string> filter;
  if (const json::array* f = GetArray(updated.destination, "FilterArns")) {
    for (const auto& x : *f) {
      if (x.is_string()) filter.emplace_back(x.get_string());
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(
      auto events,
      txn->Query("SELECT seq, time_ms, doc FROM events_archived WHERE archive = ? AND seq > ? AND "
                 "time_ms >= ? AND time_ms < ? ORDER BY seq LIMIT ?",
                 {updated.source_arn, updated.cursor, updated.start_ms, updated.end_ms,
                  static_cast<std::int64_t>(kReplayBatch)}));
  for (const auto& row : events) {
    boost::system::error_code ec;
    json::value event = json::parse(store::AsText(row[2]), ec);
    updated.cursor = store::AsInt(row[0]);
    if (ec || !event.is_object()) continue;
    event.as_object()["replay-name"] = updated.name;
    const std::string text = json::serialize(event);
    CENOTE_ASSIGN_OR_RETURN(auto routed,
                            Route(env, *txn, bus->first, bus->second, text, event, env.Now(),
                                  filter.empty() ? nullptr : &filter, false, store::AsInt(row[1])));
    for (auto& d : routed) replay_rows.push_back(std::move(d));
    updated.last_replayed_ms = store::AsInt(row[1]);
  }
  if (events.size() < kReplayBatch) {
    updated.state = "COMPLETED";
    updated.replay_end_ms = env.Now();
  }
  // The replay's progress commits with the rows it routed: a restart resumes after them.
  json::object doc{{"description", updated.description},
                   {"source", updated.source_arn},
                   {"destination", updated.destination},
                   {"start", updated.start_ms},
                   {"end", updated.end_ms},
                   {"state", updated.state},
                   {"reason", updated.state_reason},
                   {"replay_start", updated.replay_start_ms},
                   {"replay_end", updated.replay_end_ms},
                   {"last", updated.last_replayed_ms},
                   {"cursor", updated.cursor}};
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE events_replays SET doc = ? WHERE account = ? AND region = ? AND name = ?",
                {json::serialize(doc), updated.where.account, updated.where.region, updated.name}));
  return txn->Commit();
}

bool AdvanceReplays(Env& env) {
  bool more = false;
  std::vector<Delivery> rows;
  {
    MutexLock lock(env.mu);
    for (auto& [key, r] : env.replays) {
      if (r.state != "STARTING" && r.state != "RUNNING" && r.state != "CANCELLING") continue;
      Replay updated = r;
      std::vector<Delivery> replay_rows;
      Status st = AdvanceReplay(env, updated, replay_rows);
      if (!st) {
        spdlog::warn("events: replay {} could not advance: {}", r.arn, st.error().message);
        continue;
      }
      r = std::move(updated);
      for (auto& d : replay_rows) rows.push_back(std::move(d));
      if (r.state == "RUNNING") more = true;
    }
  }
  Publish(env, std::move(rows));
  return more;
}

void ExpireArchives(Env& env) {
  std::vector<std::pair<std::string, std::int64_t>> cutoffs;
  const std::int64_t now = env.Now();
  {
    MutexLock lock(env.mu);
    if (now - env.last_retention_ms < 60'000) return;
    env.last_retention_ms = now;
    for (const auto& [key, a] : env.archives) {
      if (a.retention_days > 0) cutoffs.emplace_back(a.arn, now - a.retention_days * 86'400'000);
    }
  }
  if (cutoffs.empty()) return;
  Status st = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
    for (const auto& [arn, cutoff] : cutoffs) {
      CENOTE_RETURN_IF_ERROR(
          txn->Exec("DELETE FROM events_archived WHERE archive = ? AND time_ms < ?", {arn, cutoff}));
    }
    return txn->Commit();
  }();
  if (!st) spdlog::warn("events: archive retention could not be applied: {}", st.error().message);
}

}  // namespace cenote::events
