// Logs Insights operations: StartQuery runs the query as a one-shot background task; GetQueryResults,
// StopQuery, DescribeQueries and GetLogRecord read its state.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "query/engine.hpp"
#include "services/logs/insights.hpp"
#include "services/logs/internal.hpp"

namespace cenote::logs {

using services::MakeError;
using store::AsInt;
using store::AsText;

namespace {

constexpr std::size_t kMaxQueryGroups = 50;
constexpr std::int64_t kDefaultQueryLimit = 10'000;
constexpr std::int64_t kReadChunk = 10'000;
// Finished queries are forgotten after this long (AWS keeps results for 7 days).
constexpr std::int64_t kQueryRetentionMs = 7 * kDayMs;
constexpr std::size_t kMaxRememberedQueries = 1'000;

struct GroupRef {
  std::int64_t id = 0;
  std::string name;
};

void RunQuery(Env& env, QueryState& q, const InsightsQuery& query, std::vector<GroupRef> groups,
              std::int64_t start, std::int64_t end, std::int64_t limit) {
  {
    MutexLock lock(q.mu);
    if (q.status != "Scheduled") return;
    q.status = "Running";
  }
  bool failed = false;
  auto read = [&](const std::function<bool(const InsightsEvent&)>& sink) {
    for (const GroupRef& g : groups) {
      const std::string ptr_prefix = q.account + ":" + q.region + ":" + std::to_string(g.id) + ":";
      EventQuery eq;
      eq.group_id = g.id;
      eq.start = start;
      eq.end = end;
      eq.limit = kReadChunk;
      while (true) {
        auto txn = env.store.Begin(store::MetadataStore::Mode::kRead);
        if (!txn.ok()) {
          failed = true;
          return;
        }
        auto rows = ReadEvents(**txn, eq);
        if (!rows.ok()) {
          failed = true;
          return;
        }
        InsightsEvent e;
        e.log = q.account + ":" + g.name;
        e.ptr_prefix = ptr_prefix;
        for (EventRow& row : *rows) {
          e.timestamp = row.timestamp;
          e.ingestion = row.ingestion;
          e.message = std::move(row.message);
          e.log_stream = std::move(row.stream_name);
          e.id = row.id;
          eq.after = std::make_pair(row.timestamp, row.id);
          if (!sink(e)) return;
        }
        if (static_cast<std::int64_t>(rows->size()) < kReadChunk) break;
      }
    }
  };
  InsightsQuery::Outcome outcome;
  try {
    Result<query::QueryEngine*> engine = env.options.engine
                                             ? env.options.engine()
                                             : Result<query::QueryEngine*>(InternalError("no query engine"));
    if (!engine.ok()) {
      spdlog::error("logs: query {} cannot run: {}", q.id, engine.error().message);
      failed = true;
    } else {
      const std::string csv_path = env.options.scratch_dir + "/" + q.id + ".csv";
      auto run = query.Run(read, limit, q.cancelled, **engine, csv_path);
      std::error_code ec;
      std::filesystem::remove(csv_path, ec);
      if (run.ok()) {
        outcome = std::move(*run);
      } else {
        spdlog::warn("logs: query {} failed: {}", q.id, run.error().message);
        failed = true;
      }
    }
  } catch (const std::exception& e) {  // a task's exception must not reach its thread; the query fails
    spdlog::error("logs: query {} failed: {}", q.id, e.what());
    failed = true;
  }
  MutexLock lock(q.mu);
  if (q.cancelled.load()) {
    q.status = "Cancelled";
    return;
  }
  q.status = failed ? "Failed" : "Complete";
  q.rows = std::move(outcome.rows);
  q.statistics = outcome.statistics;
}

// Forgets finished queries past their retention, oldest first beyond the cap.
void ForgetOldQueries(Env& env) {
  std::vector<std::shared_ptr<QueryState>> dropped;
  {
    MutexLock lock(env.queries_mu);
    const std::int64_t now = env.now();
    for (auto it = env.queries.begin(); it != env.queries.end();) {
      if (now - it->second->created > kQueryRetentionMs || env.queries.size() > kMaxRememberedQueries) {
        MutexLock qlock(it->second->mu);
        if (it->second->status != "Running" && it->second->status != "Scheduled") {
          dropped.push_back(it->second);
          it = env.queries.erase(it);
          continue;
        }
      }
      ++it;
    }
  }
  for (auto& q : dropped) CancelQuery(*q);  // joins their finished tasks outside the map's lock
}

Result<std::shared_ptr<QueryState>> FindQuery(Env& env, const RequestContext& ctx, const std::string& id) {
  MutexLock lock(env.queries_mu);
  auto it = env.queries.find(id);
  if (it == env.queries.end() || it->second->account != ctx.account_id() ||
      it->second->region != ctx.region) {
    return MakeError(errors::kQueryNotFound);
  }
  return it->second;
}

}  // namespace

Result<OperationOutput> StartQuery(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  std::vector<GroupKey> keys;
  int forms = 0;
  if (auto name = GetString(p, "logGroupName")) {
    ++forms;
    keys.push_back({.account = ctx.account_id(), .region = ctx.region, .name = *name});
  }
  for (const char* member : {"logGroupNames", "logGroupIdentifiers"}) {
    const json::array* list = GetArray(p, member);
    if (list == nullptr) continue;
    ++forms;
    for (const auto& v : *list) {
      if (!v.is_string()) continue;
      std::string s(v.get_string());
      if (s.starts_with("arn:")) {
        auto key = ParseGroupArn(s);
        if (!key) return MakeError(errors::kInvalidParameter, {"Invalid log group ARN: " + s});
        keys.push_back(*key);
      } else {
        keys.push_back({.account = ctx.account_id(), .region = ctx.region, .name = s});
      }
    }
  }
  if (forms != 1 || keys.empty()) {
    return MakeError(
        errors::kInvalidParameter,
        {"Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified."});
  }
  if (keys.size() > kMaxQueryGroups) {
    return MakeError(errors::kInvalidParameter, {"A query can search at most 50 log groups."});
  }
  const std::int64_t start = GetInt(p, "startTime").value_or(0);
  const std::int64_t end = GetInt(p, "endTime").value_or(0);
  if (end < start) return MakeError(errors::kInvalidParameter, {"End time should not be before start time."});
  const std::int64_t limit =
      std::clamp<std::int64_t>(GetInt(p, "limit").value_or(kDefaultQueryLimit), 1, kDefaultQueryLimit);
  const std::string query_string = GetString(p, "queryString").value_or("");
  CENOTE_ASSIGN_OR_RETURN(InsightsQuery query, InsightsQuery::Parse(query_string));

  std::vector<GroupRef> groups;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
    for (const GroupKey& key : keys) {
      CENOTE_ASSIGN_OR_RETURN(auto g, FindGroup(*txn, key));
      if (!g) {
        return MakeError(
            errors::kResourceNotFound,
            {"Log group '" + key.name + "' does not exist for account ID '" + key.account + "'"});
      }
      groups.push_back({.id = g->id, .name = g->name});
    }
  }
  ForgetOldQueries(env);

  auto state = std::make_shared<QueryState>();
  state->id = NewUuidV4();
  state->account = ctx.account_id();
  state->region = ctx.region;
  state->query_string = query_string;
  for (const auto& g : groups) state->group_names.push_back(g.name);
  state->created = env.now();
  // startTime and endTime are seconds; the range includes the whole end second.
  const std::int64_t start_ms = start * 1000;
  const std::int64_t end_ms = end > INT64_MAX / 1000 - 1 ? INT64_MAX : end * 1000 + 1000;
  auto shared_query = std::make_shared<InsightsQuery>(std::move(query));
  QueryState* raw = state.get();
  Env* env_ptr = &env;
  state->task = env.tasks.Start(
      "logs-query",
      [env_ptr, raw, shared_query, groups, start_ms, end_ms, limit]() -> BackgroundTask::Clock::duration {
        RunQuery(*env_ptr, *raw, *shared_query, groups, start_ms, end_ms, limit);
        return BackgroundTask::kStop;
      },
      std::chrono::milliseconds(0));
  {
    MutexLock lock(env.queries_mu);
    env.queries[state->id] = state;
  }
  return json::object{{"queryId", state->id}};
}

Result<OperationOutput> GetQueryResults(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto q,
                          FindQuery(env, ctx, GetString(in.params.as_object(), "queryId").value_or("")));
  MutexLock lock(q->mu);
  json::array results;
  for (const InsightsRow& row : q->rows) {
    json::array fields;
    for (const auto& [field, value] : row) fields.push_back(json::object{{"field", field}, {"value", value}});
    results.push_back(std::move(fields));
  }
  return json::object{{"results", std::move(results)},
                      {"statistics", json::object{{"recordsMatched", q->statistics.records_matched},
                                                  {"recordsScanned", q->statistics.records_scanned},
                                                  {"bytesScanned", q->statistics.bytes_scanned}}},
                      {"status", q->status}};
}

Result<OperationOutput> StopQuery(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto q,
                          FindQuery(env, ctx, GetString(in.params.as_object(), "queryId").value_or("")));
  {
    MutexLock lock(q->mu);
    if (q->status != "Scheduled" && q->status != "Running") return json::object{{"success", false}};
  }
  q->cancelled.store(true);
  {
    MutexLock lock(q->mu);
    if (q->status == "Scheduled" || q->status == "Running") q->status = "Cancelled";
  }
  return json::object{{"success", true}};
}

Result<OperationOutput> DescribeQueries(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto group = GetString(p, "logGroupName");
  auto status = GetString(p, "status");
  const std::int64_t max = std::clamp<std::int64_t>(GetInt(p, "maxResults").value_or(1000), 1, 1000);
  std::vector<std::shared_ptr<QueryState>> all;
  {
    MutexLock lock(env.queries_mu);
    for (const auto& [id, q] : env.queries) {
      if (q->account == ctx.account_id() && q->region == ctx.region) all.push_back(q);
    }
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->created > b->created; });
  json::array out;
  for (const auto& q : all) {
    if (group && std::find(q->group_names.begin(), q->group_names.end(), *group) == q->group_names.end())
      continue;
    MutexLock lock(q->mu);
    if (status && q->status != *status) continue;
    if (static_cast<std::int64_t>(out.size()) >= max) break;
    json::object o{{"queryId", q->id},
                   {"queryString", q->query_string},
                   {"status", q->status},
                   {"createTime", q->created}};
    if (!q->group_names.empty()) o["logGroupName"] = q->group_names.front();
    out.push_back(std::move(o));
  }
  return json::object{{"queries", std::move(out)}};
}

Result<OperationOutput> GetLogRecord(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string pointer = GetString(in.params.as_object(), "logRecordPointer").value_or("");
  auto raw = Base64Decode(pointer, kWireBase64);
  std::vector<std::string_view> parts;
  if (raw) parts = SplitString(*raw, ':');
  auto invalid = [] { return MakeError(errors::kInvalidParameter, {"Invalid log record pointer."}); };
  if (parts.size() != 4 || parts[0] != ctx.account_id() || parts[2].empty() || parts[3].empty() ||
      !std::all_of(parts[2].begin(), parts[2].end(), IsAsciiDigit) ||
      !std::all_of(parts[3].begin(), parts[3].end(), IsAsciiDigit)) {
    return invalid();
  }
  const std::int64_t group_id = std::stoll(std::string(parts[2]));
  const std::int64_t event_id = std::stoll(std::string(parts[3]));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto group, FindGroupById(*txn, group_id));
  if (!group || group->account != ctx.account_id())
    return MakeError(errors::kResourceNotFound, {"Log record not found."});
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT e.ts, e.ingestion, e.message, s.name FROM logs_events e "
                                        "JOIN logs_streams s ON s.id = e.stream_id "
                                        "WHERE e.id = ? AND e.group_id = ?",
                                        {event_id, group_id}));
  if (!row) return MakeError(errors::kResourceNotFound, {"Log record not found."});
  InsightsEvent e{.timestamp = AsInt((*row)[0]),
                  .ingestion = AsInt((*row)[1]),
                  .message = AsText((*row)[2]),
                  .log_stream = AsText((*row)[3]),
                  .log = group->account + ":" + group->name,
                  .ptr = pointer,
                  .ptr_prefix = {},
                  .id = event_id};
  json::object record;
  for (auto& [k, v] : LogRecordFields(e)) record[k] = v;
  return json::object{{"logRecord", std::move(record)}};
}

}  // namespace cenote::logs
