// CloudWatch Logs Insights: the query language, parsed once per StartQuery and run over the events of the
// query's log groups and time range.
//
// Why an evaluator of our own rather than the DuckDB engine: the engine's contract (DESIGN.md, src/query)
// binds catalog tables to object files in the lake; log events live in the service's SQLite database and
// a query streams them (most queries end early: a filter and a limit, or aggregate as they read), with
// JSON field discovery per message (`fields a.b` of a JSON log line) and Insights' own semantics (absent
// fields, `like`, `parse` globs, bin(), earliest/latest, @ptr), which would need a large translation
// layer and a copy of the events into DuckDB for every query. Events are read in (timestamp, id) order
// with parameters only: no query text ever reaches SQL.
//
// Supported commands, separated by `|`: fields (expressions, `as` aliases), display, filter (comparisons,
// arithmetic, like "text" / like /regex/, =~ /regex/, in [...], not in, and / or / not, functions), stats
// (count(*), count(), count(f), sum, avg, min, max, pct(f, p), stddev, count_distinct, earliest, latest,
// `by` expressions including bin(5m)), sort (asc | desc, several keys), limit, parse (a glob with `*` and
// `as` names, or a /regex/ with named groups (?<name>...)), dedup. Functions: strlen, toupper, tolower,
// concat, substr, replace, trim, ltrim, rtrim, abs, ceil, floor, datefloor, dateceil, fromMillis, toMillis,
// ispresent, isempty, isblank, coalesce, bin, strcontains. System fields: @timestamp, @message,
// @logStream, @log, @ingestionTime, @ptr; fields of JSON messages by dotted path (`a.b`, `a.0`).
//
// Parse errors are MalformedQueryException with AWS's wording ("unexpected symbol found X at line 1 and
// position N").
//
// Thread safety: a Query is immutable after Parse; a Run owns its state.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"

namespace cenote::logs {

// One event as a query reads it.
struct InsightsEvent {
  std::int64_t timestamp = 0;
  std::int64_t ingestion = 0;
  std::string message;
  std::string log_stream;
  std::string log;  // "<account>:<log group name>"
  // @ptr, GetLogRecord's pointer: `ptr` when set, else made (only for the rows answered) from `ptr_prefix`
  // and `id` (queries.cpp: Base64URL of "<account>:<region>:<group id>:<event id>").
  std::string ptr;
  std::string_view ptr_prefix;
  std::int64_t id = 0;
};

struct InsightsStatistics {
  double records_matched = 0;
  double records_scanned = 0;
  double bytes_scanned = 0;
};

// One result row: (field, value) pairs in display order; absent values are left out.
using InsightsRow = std::vector<std::pair<std::string, std::string>>;

class InsightsQuery {
 public:
  static Result<InsightsQuery> Parse(std::string_view text);
  InsightsQuery(InsightsQuery&&) noexcept;
  InsightsQuery& operator=(InsightsQuery&&) noexcept;
  ~InsightsQuery();

  // Runs the query over the events `read` hands out, in timestamp order; `read(sink)` calls sink for each
  // event and stops when the sink returns false (the query has what it needs, or was cancelled).
  // At most `max_rows` rows come back.
  struct Outcome {
    std::vector<InsightsRow> rows;
    InsightsStatistics statistics;
  };
  Outcome Run(const std::function<void(const std::function<bool(const InsightsEvent&)>&)>& read,
              std::int64_t max_rows, const std::atomic<bool>& cancelled) const;

  struct Impl;

 private:
  explicit InsightsQuery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The fields GetLogRecord answers for one event: the system fields and the discovered JSON fields.
std::map<std::string, std::string> LogRecordFields(const InsightsEvent& event);

// "2024-01-31 12:34:56.789" (UTC), Insights' rendering of timestamps.
std::string FormatInsightsTime(std::int64_t ms);

// A query started by StartQuery (queries.cpp), shared by the handlers and its task.
struct QueryState {
  std::string id, account, region, query_string;
  std::vector<std::string> group_names;
  std::int64_t created = 0;
  std::atomic<bool> cancelled{false};
  Mutex mu;
  std::string status GUARDED_BY(mu) = "Scheduled";
  std::vector<InsightsRow> rows GUARDED_BY(mu);
  InsightsStatistics statistics GUARDED_BY(mu);
  std::unique_ptr<BackgroundTask> task;  // set once by StartQuery
};

// Stops a query's task (Cancelled unless it already finished) and waits for it.
void CancelQuery(QueryState& q);

}  // namespace cenote::logs
