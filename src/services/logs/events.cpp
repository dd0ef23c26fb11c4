// PutLogEvents, GetLogEvents and FilterLogEvents over the events table (logs_provider.hpp: storage).
#include <algorithm>
#include <cstdio>

#include "common/encoding.hpp"
#include "common/strings.hpp"
#include "services/logs/filter_pattern.hpp"
#include "services/logs/internal.hpp"

namespace cenote::logs {

using services::MakeError;
using store::AsInt;
using store::AsText;
using store::Value;

namespace {

// GetLogEvents' tokens: "f/" or "b/" and 56 digits, as AWS's look: 16 zeros, the position's timestamp (20
// digits) and the event's rowid (20 digits). f/<pos> continues after pos, b/<pos> before it.
struct Position {
  std::int64_t ts = 0;
  std::int64_t id = 0;
};

std::string PositionToken(char direction, Position pos) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%c/0000000000000000%020lld%020lld", direction,
                static_cast<long long>(pos.ts), static_cast<long long>(pos.id));
  return buf;
}

std::optional<std::pair<char, Position>> ParsePositionToken(std::string_view token) {
  if (token.size() != 58 || (token[0] != 'f' && token[0] != 'b') || token[1] != '/') return std::nullopt;
  std::string_view digits = token.substr(2);
  if (!std::all_of(digits.begin(), digits.end(), IsAsciiDigit)) return std::nullopt;
  Position pos;
  pos.ts = std::stoll(std::string(digits.substr(16, 20)));
  pos.id = std::stoll(std::string(digits.substr(36, 20)));
  return std::make_pair(token[0], pos);
}

// FilterLogEvents' token: where the scan stopped, opaque.
std::string FilterToken(Position pos) {
  return Base64Encode("e:" + std::to_string(pos.ts) + ":" + std::to_string(pos.id), Base64Alphabet::kUrlSafe,
                      false);
}

std::optional<Position> ParseFilterToken(std::string_view token) {
  auto raw = Base64Decode(token, kWireBase64);
  if (!raw || !raw->starts_with("e:")) return std::nullopt;
  auto parts = SplitString(std::string_view(*raw).substr(2), ':');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) return std::nullopt;
  if (!std::all_of(parts[0].begin(), parts[0].end(), IsAsciiDigit) ||
      !std::all_of(parts[1].begin(), parts[1].end(), IsAsciiDigit))
    return std::nullopt;
  return Position{.ts = std::stoll(std::string(parts[0])), .id = std::stoll(std::string(parts[1]))};
}

Error InvalidToken() { return MakeError(errors::kInvalidParameter, {"The specified nextToken is invalid."}); }

std::int64_t EventBytes(const EventRow& e) {
  return static_cast<std::int64_t>(e.message.size()) + kEventOverheadBytes;
}

}  // namespace

std::string EventId(std::int64_t id) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%056lld", static_cast<long long>(id));
  return buf;
}

Result<std::vector<EventRow>> ReadEvents(store::Transaction& txn, const EventQuery& q) {
  std::string sql =
      "SELECT e.id, e.stream_id, e.ts, e.ingestion, e.message, s.name FROM logs_events e "
      "JOIN logs_streams s ON s.id = e.stream_id WHERE e.group_id = ? AND e.ts >= ? AND e.ts < ?";
  std::vector<Value> params{q.group_id, q.start, q.end};
  if (!q.stream_ids.empty()) {
    sql += " AND e.stream_id IN (";
    for (std::size_t i = 0; i < q.stream_ids.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.emplace_back(q.stream_ids[i]);
    }
    sql += ")";
  }
  if (q.after) {
    // Spelled as a bound on ts (which the index seeks to) plus the tie-break, not as a row value: SQLite
    // would scan the group's range from its start on every page.
    sql += " AND e.ts >= ? AND (e.ts > ? OR e.id > ?)";
    params.emplace_back(q.after->first);
    params.emplace_back(q.after->first);
    params.emplace_back(q.after->second);
  }
  sql += " ORDER BY e.ts, e.id LIMIT ?";
  params.emplace_back(q.limit);
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn.Query(sql, params));
  std::vector<EventRow> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    out.push_back(EventRow{.id = AsInt(r[0]),
                           .stream_id = AsInt(r[1]),
                           .stream_name = AsText(r[5]),
                           .timestamp = AsInt(r[2]),
                           .ingestion = AsInt(r[3]),
                           .message = AsText(r[4])});
  }
  return out;
}

// Durability order: one write transaction holds the events, the stream's counters and the subscription
// outbox rows; its commit (synchronous=FULL) happens before the answer, so an acknowledged batch survives
// kill -9 and its deliveries are never lost.
Result<OperationOutput> PutLogEvents(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string stream_name = GetString(p, "logStreamName").value_or("");
  const json::array* list = GetArray(p, "logEvents");
  if (list == nullptr || list->empty()) {
    return MakeError(errors::kInvalidParameter, {"At least one log event is required."});
  }
  struct Input {
    std::int64_t ts;
    std::string message;
  };
  std::vector<Input> events;
  events.reserve(list->size());
  std::int64_t batch_bytes = 0;
  for (const auto& v : *list) {
    if (!v.is_object()) return MakeError(errors::kInvalidParameter, {"Invalid log event."});
    Input e{.ts = GetInt(v.get_object(), "timestamp").value_or(0),
            .message = GetString(v.get_object(), "message").value_or("")};
    if (static_cast<std::int64_t>(e.message.size()) > kMaxEventBytes) {
      return MakeError(errors::kInvalidParameter,
                       {"Log event too large: " + std::to_string(e.message.size()) +
                        " bytes exceeds limit of " + std::to_string(kMaxEventBytes)});
    }
    batch_bytes += static_cast<std::int64_t>(e.message.size()) + kEventOverheadBytes;
    if (!events.empty() && e.ts < events.back().ts) {
      return MakeError(errors::kInvalidParameter,
                       {"Log events in a single PutLogEvents request must be in chronological order."});
    }
    events.push_back(std::move(e));
  }
  if (batch_bytes > kMaxBatchBytes) {
    return MakeError(errors::kInvalidParameter,
                     {"Upload too large: " + std::to_string(batch_bytes) + " bytes exceeds limit of " +
                      std::to_string(kMaxBatchBytes)});
  }

  const std::int64_t now = env.now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(GroupRow group, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(auto stream, FindStream(*txn, group.id, stream_name));
  if (!stream) return MakeError(errors::kStreamNotFound);

  // Events too far in the future, older than 14 days, or older than the group's retention are rejected
  // (indexes in rejectedLogEventsInfo); the rest are stored. Events are in order, so each kind is a run.
  const std::int64_t too_new_after = now + 2 * kHourMs;
  const std::int64_t too_old_before = now - 14 * kDayMs;
  const std::int64_t expired_before =
      group.retention_days ? now - *group.retention_days * env.day_ms() : INT64_MIN;
  std::optional<std::int64_t> too_new_start, too_old_end, expired_end;
  std::size_t first_ok = 0, end_ok = events.size();
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::int64_t ts = events[i].ts;
    if (ts > too_new_after) {
      if (!too_new_start) too_new_start = static_cast<std::int64_t>(i);
      end_ok = std::min(end_ok, i);
    } else if (ts < too_old_before) {
      too_old_end = static_cast<std::int64_t>(i);
      first_ok = i + 1;
    } else if (ts < expired_before) {
      expired_end = static_cast<std::int64_t>(i);
      first_ok = i + 1;
    }
  }
  if (first_ok < end_ok && events[end_ok - 1].ts - events[first_ok].ts > kDayMs) {
    return MakeError(
        errors::kInvalidParameter,
        {"The batch of log events in a single PutLogEvents request cannot span more than 24 hours."});
  }

  std::vector<EventRow> stored;
  std::int64_t queued = 0;  // subscription deliveries
  if (first_ok < end_ok) {
    // Rowids of an INTEGER PRIMARY KEY are max + 1 while this transaction is the only writer.
    CENOTE_ASSIGN_OR_RETURN(auto max_row, txn->QueryOne("SELECT COALESCE(MAX(id), 0) FROM logs_events"));
    std::int64_t next_id = max_row ? AsInt((*max_row)[0]) + 1 : 1;
    constexpr std::size_t kRowsPerInsert = 200;
    std::int64_t bytes = 0;
    for (std::size_t at = first_ok; at < end_ok; at += kRowsPerInsert) {
      const std::size_t n = std::min(kRowsPerInsert, end_ok - at);
      std::string sql = "INSERT INTO logs_events (id, group_id, stream_id, ts, ingestion, message) VALUES ";
      std::vector<Value> params;
      params.reserve(n * 6);
      for (std::size_t k = 0; k < n; ++k) {
        Input& e = events[at + k];
        sql += k ? ", (?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?)";
        params.emplace_back(next_id);
        params.emplace_back(group.id);
        params.emplace_back(stream->id);
        params.emplace_back(e.ts);
        params.emplace_back(now);
        params.emplace_back(e.message);
        bytes += static_cast<std::int64_t>(e.message.size());
        stored.push_back(EventRow{.id = next_id,
                                  .stream_id = stream->id,
                                  .stream_name = stream_name,
                                  .timestamp = e.ts,
                                  .ingestion = now,
                                  .message = std::move(e.message)});
        ++next_id;
      }
      CENOTE_RETURN_IF_ERROR(txn->Exec(sql, params));
    }
    const std::int64_t first_ts = stored.front().timestamp, last_ts = stored.back().timestamp;
    CENOTE_RETURN_IF_ERROR(txn->Exec(
        "UPDATE logs_streams SET first_event = MIN(COALESCE(first_event, ?), ?), "
        "last_event = MAX(COALESCE(last_event, ?), ?), last_ingestion = ?, stored_bytes = stored_bytes + ? "
        "WHERE id = ?",
        {first_ts, first_ts, last_ts, last_ts, now, bytes, stream->id}));
    CENOTE_ASSIGN_OR_RETURN(queued, EnqueueSubscriptionDeliveries(env, *txn, group, stream_name, stored));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  if (queued > 0 && env.wake_delivery) env.wake_delivery();

  json::object out{{"nextSequenceToken", EventId(stored.empty() ? 0 : stored.back().id)}};
  if (too_new_start || too_old_end || expired_end) {
    json::object rejected;
    if (too_new_start) rejected["tooNewLogEventStartIndex"] = *too_new_start;
    if (too_old_end) rejected["tooOldLogEventEndIndex"] = *too_old_end;
    if (expired_end) rejected["expiredLogEventEndIndex"] = *expired_end;
    out["rejectedLogEventsInfo"] = std::move(rejected);
  }
  return out;
}

// AWS's paging: without a token, startFromHead=false (the default) answers the newest events of the range
// and startFromHead=true the oldest; nextForwardToken continues after the last event returned,
// nextBackwardToken before the first. At either end the token passed in comes back unchanged, which is how
// the CLI's paginator (and `aws logs get-log-events`) knows to stop.
Result<OperationOutput> GetLogEvents(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const std::string stream_name = GetString(p, "logStreamName").value_or("");
  const std::int64_t start = GetInt(p, "startTime").value_or(0);
  std::int64_t end = GetInt(p, "endTime").value_or(INT64_MAX);
  if (end <= start) end = start;  // an empty range
  const std::int64_t limit =
      std::clamp<std::int64_t>(GetInt(p, "limit").value_or(kMaxReadEvents), 1, kMaxReadEvents);
  std::optional<std::pair<char, Position>> token;
  if (auto t = GetString(p, "nextToken")) {
    token = ParsePositionToken(*t);
    if (!token) return InvalidToken();
  }
  const bool forward = token ? token->first == 'f' : GetBool(p, "startFromHead").value_or(false);

  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(GroupRow group, RequireGroup(*txn, key));
  CENOTE_ASSIGN_OR_RETURN(auto stream, FindStream(*txn, group.id, stream_name));
  if (!stream) return MakeError(errors::kStreamNotFound);

  std::vector<Value> params{stream->id, start, end};
  std::string sql =
      "SELECT id, ts, ingestion, message FROM logs_events WHERE stream_id = ? AND ts >= ? AND ts < ?";
  if (token) {
    // A bound on ts the index seeks to, plus the tie-break (see ReadEvents).
    sql += forward ? " AND ts >= ? AND (ts > ? OR id > ?)" : " AND ts <= ? AND (ts < ? OR id < ?)";
    params.emplace_back(token->second.ts);
    params.emplace_back(token->second.ts);
    params.emplace_back(token->second.id);
  }
  sql += forward ? " ORDER BY ts, id LIMIT ?" : " ORDER BY ts DESC, id DESC LIMIT ?";
  params.emplace_back(limit);
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, params));
  // At most 1 MB of events (message bytes + 26 each), counted from the side the read starts at.
  std::int64_t bytes = 0;
  std::size_t keep = 0;
  for (; keep < rows.size(); ++keep) {
    bytes += static_cast<std::int64_t>(AsText(rows[keep][3]).size()) + kEventOverheadBytes;
    if (bytes > kMaxReadBytes && keep > 0) break;
  }
  rows.resize(keep);
  if (!forward) std::reverse(rows.begin(), rows.end());

  json::array events;
  for (const auto& r : rows) {
    events.push_back(
        json::object{{"timestamp", AsInt(r[1])}, {"message", AsText(r[3])}, {"ingestionTime", AsInt(r[2])}});
  }
  std::string next_forward, next_backward;
  if (!rows.empty()) {
    next_forward = PositionToken('f', {.ts = AsInt(rows.back()[1]), .id = AsInt(rows.back()[0])});
    next_backward = PositionToken('b', {.ts = AsInt(rows.front()[1]), .id = AsInt(rows.front()[0])});
  } else {
    const Position at = token ? token->second : Position{};
    next_forward = PositionToken('f', at);
    next_backward = PositionToken('b', at);
  }
  return json::object{{"events", std::move(events)},
                      {"nextForwardToken", next_forward},
                      {"nextBackwardToken", next_backward}};
}

Result<OperationOutput> FilterLogEvents(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(GroupKey key, RequestGroup(ctx, p));
  const json::array* names = GetArray(p, "logStreamNames");
  auto prefix = GetString(p, "logStreamNamePrefix");
  if (names && prefix) {
    return MakeError(errors::kInvalidParameter,
                     {"logStreamNames and logStreamNamePrefix are mutually exclusive parameters."});
  }
  CENOTE_ASSIGN_OR_RETURN(FilterPattern pattern,
                          FilterPattern::Parse(GetString(p, "filterPattern").value_or("")));
  const std::int64_t start = GetInt(p, "startTime").value_or(0);
  const std::int64_t end = GetInt(p, "endTime").value_or(INT64_MAX);
  const std::int64_t limit =
      std::clamp<std::int64_t>(GetInt(p, "limit").value_or(kMaxReadEvents), 1, kMaxReadEvents);
  std::optional<Position> after;
  if (auto t = GetString(p, "nextToken")) {
    after = ParseFilterToken(*t);
    if (!after) return InvalidToken();
  }

  CENOTE_ASSIGN_OR_RETURN(auto txn, env.store.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(GroupRow group, RequireGroup(*txn, key));
  EventQuery q;
  q.group_id = group.id;
  q.start = start;
  q.end = std::max(start, end);
  if (names || prefix) {
    CENOTE_ASSIGN_OR_RETURN(std::vector<StreamRow> streams, ListStreams(*txn, group.id));
    for (const StreamRow& s : streams) {
      bool wanted = false;
      if (prefix) wanted = s.name.starts_with(*prefix);
      if (names) {
        for (const auto& n : *names) wanted = wanted || (n.is_string() && n.get_string() == s.name);
      }
      if (wanted) q.stream_ids.push_back(s.id);
    }
    if (q.stream_ids.empty())
      return json::object{{"events", json::array()}, {"searchedLogStreams", json::array()}};
  }
  if (after) q.after = std::make_pair(after->ts, after->id);

  // Scan in chunks; stop at `limit` matches, 1 MB of answer, or a scan budget (AWS also answers a page that
  // may be empty, with a nextToken, when a search takes long).
  constexpr std::int64_t kChunk = 5'000;
  constexpr std::int64_t kScanBudget = 500'000;
  json::array events;
  std::int64_t bytes = 0, scanned = 0;
  std::optional<Position> stopped_at;
  while (true) {
    q.limit = kChunk;
    CENOTE_ASSIGN_OR_RETURN(std::vector<EventRow> rows, ReadEvents(*txn, q));
    bool full = false;
    for (const EventRow& e : rows) {
      ++scanned;
      if (pattern.Matches(e.message)) {
        events.push_back(json::object{{"logStreamName", e.stream_name},
                                      {"timestamp", e.timestamp},
                                      {"message", e.message},
                                      {"ingestionTime", e.ingestion},
                                      {"eventId", EventId(e.id)}});
        bytes += EventBytes(e);
      }
      q.after = std::make_pair(e.timestamp, e.id);
      if (static_cast<std::int64_t>(events.size()) >= limit || bytes >= kMaxReadBytes ||
          scanned >= kScanBudget) {
        full = true;
        break;
      }
    }
    if (full) {
      stopped_at = Position{.ts = q.after->first, .id = q.after->second};
      break;
    }
    if (static_cast<std::int64_t>(rows.size()) < kChunk) break;
  }
  json::object out{{"events", std::move(events)}, {"searchedLogStreams", json::array()}};
  if (stopped_at) {
    // Only when something is left to read: a client paging to the end gets no token on the last page.
    q.limit = 1;
    CENOTE_ASSIGN_OR_RETURN(std::vector<EventRow> more, ReadEvents(*txn, q));
    if (!more.empty()) out["nextToken"] = FilterToken(*stopped_at);
  }
  return out;
}

}  // namespace cenote::logs
