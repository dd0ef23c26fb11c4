// CloudWatch Logs Insights: the query language, parsed once per StartQuery and run on the query engine
// (src/query, DuckDB) over the events of the query's log groups and time range.
//
// How it runs: the events are read from the service's SQLite database in (timestamp, id) order and
// exported to a CSV file in the scratch directory; the query becomes one SELECT over that file (the
// engine's `s3object` relation, QueryEngine::OpenObjectSelect, checked by the engine's sandbox like any
// user SQL) with every user value a quoted literal; its rows come back as text. Insights' dynamically typed
// values are typed statically by the translation (numbers, timestamps, text that reads as a number where it
// parses as one); absent fields are NULL and a comparison with one is false, as in Insights.
//
// Supported commands, separated by `|`: fields (expressions, `as` aliases), display, filter (comparisons,
// arithmetic, like "text" / like /regex/, =~ /regex/, in [...], not in, and / or / not, functions), stats
// (count(*), count(), count(f), sum, avg, min, max, pct(f, p), stddev, count_distinct, earliest, latest,
// `by` expressions including bin(5m)), sort (asc | desc, several keys; Insights' natural order), limit,
// parse (a glob with `*` and `as` names, or a /regex/ with named groups (?<name>...)), dedup. Functions:
// strlen, toupper, tolower, concat, substr, replace, trim, ltrim, rtrim, abs, ceil, floor, datefloor,
// dateceil, fromMillis, toMillis, ispresent, isempty, isblank, coalesce, bin, strcontains, greatest, least,
// sqrt, log, pow, round. System fields: @timestamp, @message, @logStream, @log, @ingestionTime, @ptr (in
// results; not in expressions); fields of JSON messages by dotted path (`a.b`, `a.0`); the fields Insights
// discovers in Lambda's log lines (@type, @requestId, @duration, @billedDuration, @initDuration,
// @memorySize, @maxMemoryUsed; memory in bytes). Regular expressions are RE2's (the engine's): lookaround
// and back-references are refused when the query is parsed.
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

namespace cenote::query {
class QueryEngine;
}  // namespace cenote::query

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
  // event and stops when the sink returns false (the export has what the query needs, or it was
  // cancelled). The events are written to `csv_path` (a file `engine` may read, removed by the caller) and
  // the query runs on `engine`. At most `max_rows` rows come back. A cancelled run returns what it has.
  struct Outcome {
    std::vector<InsightsRow> rows;
    InsightsStatistics statistics;
  };
  Result<Outcome> Run(const std::function<void(const std::function<bool(const InsightsEvent&)>&)>& read,
                      std::int64_t max_rows, const std::atomic<bool>& cancelled, query::QueryEngine& engine,
                      const std::string& csv_path) const;
  // The SQL the query runs as (tests, diagnostics).
  std::string ToSql(std::int64_t max_rows) const;

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
