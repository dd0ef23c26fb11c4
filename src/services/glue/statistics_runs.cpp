// Column statistics task runs (statistics_runs.hpp).
#include "services/glue/statistics_runs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "iam/directory.hpp"
#include "services/common/params.hpp"
#include "services/glue/catalog_internal.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue {

using boost::json::array;
using boost::json::object;

namespace {

constexpr const char* kRun = "colstat_run";
// The session name Glue's column statistics runs use when Glue assumes the run's role.
constexpr const char* kRoleSession = "AWS-Glue-ColumnStatistics";

ObjectKey RunKey(const std::string& account, const std::string& region, const std::string& id) {
  return ObjectKey{.account = account, .region = region, .kind = kRun, .scope = ScopeOf({}), .name = id};
}

bool Active(const object& run) {
  const auto status = services::GetString(run, "Status").value_or("");
  return status == "STARTING" || status == "RUNNING";
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  out.push_back('"');
  return out;
}

// The SELECT items of one column's statistics, in the order ParseColumn reads them.
std::vector<std::string> ColumnItems(const std::string& column, const std::string& type) {
  const std::string c = QuoteIdentifier(column);
  const std::string nulls = "count(*) - count(" + c + ")";
  if (type == "BOOLEAN") {
    return {nulls, "sum(CASE WHEN " + c + " THEN 1 ELSE 0 END)",
            "sum(CASE WHEN NOT " + c + " THEN 1 ELSE 0 END)"};
  }
  if (type == "STRING") {
    return {nulls, "count(DISTINCT " + c + ")", "max(length(" + c + "))",
            "avg(CAST(length(" + c + ") AS double))"};
  }
  if (type == "BINARY") return {nulls, "max(length(" + c + "))", "avg(CAST(length(" + c + ") AS double))"};
  // LONG, DOUBLE, DECIMAL, DATE
  return {nulls, "count(DISTINCT " + c + ")", "min(" + c + ")", "max(" + c + ")"};
}

std::int64_t AsLong(const std::optional<std::string>& v) {
  return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}
double AsDouble(const std::optional<std::string>& v) { return v ? std::strtod(v->c_str(), nullptr) : 0.0; }

// Days since the epoch of a civil date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<std::int64_t> DateMillis(const std::optional<std::string>& v) {
  if (!v || v->size() < 10) return std::nullopt;
  const std::int64_t y = std::strtoll(v->substr(0, 4).c_str(), nullptr, 10);
  const unsigned m = static_cast<unsigned>(std::strtoul(v->substr(5, 2).c_str(), nullptr, 10));
  const unsigned d = static_cast<unsigned>(std::strtoul(v->substr(8, 2).c_str(), nullptr, 10));
  return DaysFromCivil(y, m, d) * 86400000;
}

int DecimalScale(const std::string& column_type) {
  const auto comma = column_type.find(',');
  return comma == std::string::npos ? 0 : std::atoi(column_type.c_str() + comma + 1);
}

// A decimal as Athena prints it ("-12.50") -> DecimalNumber {UnscaledValue: two's complement big-endian
// bytes, as Java's BigInteger.toByteArray, Scale}.
std::optional<object> DecimalNumber(const std::optional<std::string>& v, int scale) {
  if (!v || v->empty()) return std::nullopt;
  std::string_view s = *v;
  const bool negative = s[0] == '-';
  if (negative || s[0] == '+') s.remove_prefix(1);
  __int128 n = 0;
  int fraction_digits = -1;
  for (char c : s) {
    if (c == '.') {
      fraction_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    if (fraction_digits >= scale) continue;  // more digits than the scale: truncated
    n = n * 10 + (c - '0');
    if (fraction_digits >= 0) ++fraction_digits;
  }
  for (int i = std::max(fraction_digits, 0); i < scale; ++i) n *= 10;
  if (negative) n = -n;
  std::string bytes;
  for (int i = 15; i >= 0; --i) bytes.push_back(static_cast<char>(static_cast<unsigned char>(n >> (8 * i))));
  // Minimal two's complement: drop leading bytes that only repeat the sign.
  std::size_t start = 0;
  while (start + 1 < bytes.size()) {
    const unsigned char b = static_cast<unsigned char>(bytes[start]);
    const unsigned char next = static_cast<unsigned char>(bytes[start + 1]);
    if ((b == 0x00 && (next & 0x80) == 0) || (b == 0xff && (next & 0x80) != 0)) {
      ++start;
    } else {
      break;
    }
  }
  return object{{"UnscaledValue", bytes.substr(start)}, {"Scale", scale}};
}

// One column's ColumnStatistics from its items of the first row, starting at `at`.
object ParseColumn(const std::string& column, const std::string& column_type, const std::string& type,
                   const std::vector<std::optional<std::string>>& row, std::size_t at, std::int64_t now) {
  object data;
  if (type == "BOOLEAN") {
    data = object{{"NumberOfNulls", AsLong(row[at])},
                  {"NumberOfTrues", AsLong(row[at + 1])},
                  {"NumberOfFalses", AsLong(row[at + 2])}};
  } else if (type == "STRING") {
    data = object{{"NumberOfNulls", AsLong(row[at])},
                  {"NumberOfDistinctValues", AsLong(row[at + 1])},
                  {"MaximumLength", AsLong(row[at + 2])},
                  {"AverageLength", AsDouble(row[at + 3])}};
  } else if (type == "BINARY") {
    data = object{{"NumberOfNulls", AsLong(row[at])},
                  {"MaximumLength", AsLong(row[at + 1])},
                  {"AverageLength", AsDouble(row[at + 2])}};
  } else {
    data = object{{"NumberOfNulls", AsLong(row[at])}, {"NumberOfDistinctValues", AsLong(row[at + 1])}};
    const auto& min = row[at + 2];
    const auto& max = row[at + 3];
    if (type == "LONG") {
      if (min) data["MinimumValue"] = AsLong(min);
      if (max) data["MaximumValue"] = AsLong(max);
    } else if (type == "DOUBLE") {
      if (min) data["MinimumValue"] = AsDouble(min);
      if (max) data["MaximumValue"] = AsDouble(max);
    } else if (type == "DATE") {
      if (auto ms = DateMillis(min)) data["MinimumValue"] = *ms;
      if (auto ms = DateMillis(max)) data["MaximumValue"] = *ms;
    } else if (type == "DECIMAL") {
      const int scale = DecimalScale(column_type);
      if (auto d = DecimalNumber(min, scale)) data["MinimumValue"] = std::move(*d);
      if (auto d = DecimalNumber(max, scale)) data["MaximumValue"] = std::move(*d);
    }
  }
  return object{{"ColumnName", column},
                {"ColumnType", column_type},
                {"AnalyzedTime", now},
                {"StatisticsData", object{{"Type", type}, {internal::DataMemberOf(type), std::move(data)}}}};
}

Result<std::unique_ptr<RegionalCatalog>> CatalogOf(const Catalog& catalog, const aws::RequestContext& ctx,
                                                   const object& in) {
  if (auto id = services::GetString(in, "CatalogID"); id && *id != ctx.account_id()) {
    return GlueError(errors::kCatalogAccessDenied,
                     {ctx.principal.arn, ctx.operation, ctx.region, *id, ctx.operation});
  }
  return catalog.ForRegion(ctx.account_id(), ctx.region, AccessorOf(ctx));
}

// The columns a run computes: (name, type, statistics type).
struct RunColumn {
  std::string name;
  std::string type;
  std::string stats_type;
};

Result<std::vector<RunColumn>> RunColumns(const object& table, const array* wanted) {
  std::vector<RunColumn> out;
  const auto columns = internal::DataColumns(table);
  if (wanted == nullptr || wanted->empty()) {
    for (const auto& [name, type] : columns) {
      std::string st = internal::StatisticsTypeOf(type);
      if (!st.empty()) out.push_back(RunColumn{.name = name, .type = type, .stats_type = std::move(st)});
    }
    return out;
  }
  for (const auto& w : *wanted) {
    if (!w.is_string()) return InvalidInput("Value at 'columnNameList' must be a list of strings.");
    const std::string name = AsciiLower(w.get_string());
    auto col = std::find_if(columns.begin(), columns.end(), [&](const auto& p) { return p.first == name; });
    if (col == columns.end()) return InvalidInput("Column " + name + " is not a column of the table.");
    std::string st = internal::StatisticsTypeOf(col->second);
    if (st.empty()) {
      return InvalidInput("Column statistics are not supported for column " + name + " of type " +
                          col->second + ".");
    }
    out.push_back(RunColumn{.name = name, .type = col->second, .stats_type = std::move(st)});
  }
  return out;
}

// The active run of a table in the request's catalog, if any.
Result<std::optional<std::pair<std::string, object>>> ActiveRun(const CatalogObjects& objects,
                                                                const std::string& account,
                                                                const std::string& region,
                                                                const std::string& db,
                                                                const std::string& table) {
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    CENOTE_ASSIGN_OR_RETURN(auto rows, objects.List(RunKey(account, region, ""), after, 500));
    for (auto& [id, doc] : rows) {
      after = id;
      if (Active(doc) && services::GetString(doc, "DatabaseName").value_or("") == db &&
          services::GetString(doc, "TableName").value_or("") == table) {
        return std::optional<std::pair<std::string, object>>(std::make_pair(id, std::move(doc)));
      }
    }
    if (rows.size() < 500) break;
  }
  return std::optional<std::pair<std::string, object>>();
}

}  // namespace

Result<std::unique_ptr<ColumnStatisticsRuns>> ColumnStatisticsRuns::Open(const Catalog& catalog,
                                                                         BackgroundTasks& tasks) {
  std::unique_ptr<ColumnStatisticsRuns> runs(new ColumnStatisticsRuns(catalog));
  // Runs in flight when the server stopped did not finish.
  CENOTE_ASSIGN_OR_RETURN(auto all, catalog.objects().ListAll(kRun, 1000000));
  for (auto& [key, doc] : all) {
    if (!Active(doc)) continue;
    CENOTE_RETURN_IF_ERROR(runs->Update(key, [](object& run) {
      run["Status"] = "FAILED";
      run["ErrorMessage"] = "The task run was interrupted by a restart of the service.";
      run["EndTime"] = UnixNowMs();
    }));
  }
  ColumnStatisticsRuns* self = runs.get();
  runs->runner_ = tasks.Start(
      "glue-column-statistics",
      [self] {
        self->RunQueued();
        return BackgroundTask::kUntilWoken;
      },
      BackgroundTask::kUntilWoken);
  return runs;
}

ColumnStatisticsRuns::~ColumnStatisticsRuns() { Shutdown(); }

void ColumnStatisticsRuns::Shutdown() {
  {
    MutexLock lock(mu_);
    shut_down_ = true;
    if (cancel_) cancel_->Cancel();
  }
  if (runner_) runner_->Stop();
}

Status ColumnStatisticsRuns::Update(const ObjectKey& key, const std::function<void(object&)>& change) {
  return catalog_.objects().Modify(key, [&](std::optional<object> current) -> Result<std::optional<object>> {
    if (!current) return std::optional<object>();
    change(*current);
    (*current)["LastUpdated"] = UnixNowMs();
    return current;
  });
}

Result<object> ColumnStatisticsRuns::Start(const aws::RequestContext& ctx, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogOf(catalog_, ctx, in));
  CENOTE_ASSIGN_OR_RETURN(auto db_name, internal::RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto table_name, internal::RequiredString(in, "TableName"));
  CENOTE_ASSIGN_OR_RETURN(auto role, internal::RequiredString(in, "Role"));
  double sample = 100.0;
  if (const auto* s = in.if_contains("SampleSize"); s && !s->is_null()) {
    if (!s->is_number()) return InvalidInput("Value at 'sampleSize' must be a number.");
    sample = s->to_number<double>();
    if (!(sample > 0.0 && sample <= 100.0)) {
      return InvalidInput(
          "1 validation error detected: Value at 'sampleSize' failed to satisfy constraint: Member must have "
          "value between 0 and 100");
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(db_name, table_name));
  CENOTE_ASSIGN_OR_RETURN(auto columns, RunColumns(table, services::GetArray(in, "ColumnNameList")));
  if (columns.empty()) return InvalidInput("The table has no column Glue computes statistics for.");
  const std::string db = AsciiLower(db_name);
  const std::string tbl(table.at("Name").get_string());
  array names;
  for (const auto& col : columns) names.emplace_back(col.name);
  const std::string id = NewUuidV4();
  const std::int64_t now = UnixNowMs();
  object run{{"CustomerId", ctx.account_id()},
             {"ColumnStatisticsTaskRunId", id},
             {"DatabaseName", db},
             {"TableName", tbl},
             {"ColumnNameList", std::move(names)},
             {"CatalogID", ctx.account_id()},
             {"Role", role},
             {"SampleSize", sample},
             {"WorkerType", "g.1x"},
             {"NumberOfWorkers", 1},
             {"ComputationType", "FULL"},
             {"Status", "STARTING"},
             {"CreationTime", now},
             {"LastUpdated", now}};
  if (auto sc = services::GetString(in, "SecurityConfiguration")) run["SecurityConfiguration"] = *sc;
  const ObjectKey key = RunKey(ctx.account_id(), ctx.region, id);
  {
    // One active run per table: the check and the write under one lock (the runs of one server).
    MutexLock lock(mu_);
    if (shut_down_) return GlueError(errors::kShuttingDown);
    CENOTE_ASSIGN_OR_RETURN(auto active,
                            ActiveRun(catalog_.objects(), ctx.account_id(), ctx.region, db, tbl));
    if (active) return GlueError(errors::kColumnStatisticsTaskRunning, {db + "." + tbl});
    CENOTE_RETURN_IF_ERROR(catalog_.objects().Modify(
        key,
        [&](std::optional<object>) -> Result<std::optional<object>> { return std::optional<object>(run); }));
    queue_.push_back(key);
  }
  runner_->Wake();
  return object{{"ColumnStatisticsTaskRunId", id}};
}

Result<object> ColumnStatisticsRuns::Get(const aws::RequestContext& ctx, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto id, internal::RequiredString(in, "ColumnStatisticsTaskRunId"));
  CENOTE_ASSIGN_OR_RETURN(auto run, catalog_.objects().Get(RunKey(ctx.account_id(), ctx.region, id)));
  if (!run) return EntityNotFound("Column statistics task run " + id + " not found.");
  return object{{"ColumnStatisticsTaskRun", std::move(*run)}};
}

Result<object> ColumnStatisticsRuns::GetRuns(const aws::RequestContext& ctx, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogOf(catalog_, ctx, in));
  CENOTE_ASSIGN_OR_RETURN(auto db_name, internal::RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto table_name, internal::RequiredString(in, "TableName"));
  CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(db_name, table_name));
  const std::string db = AsciiLower(db_name);
  const std::string tbl(table.at("Name").get_string());
  std::vector<object> runs;
  std::string after;
  for (int pages = 0; pages < 1000; ++pages) {
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            catalog_.objects().List(RunKey(ctx.account_id(), ctx.region, ""), after, 500));
    for (auto& [id, doc] : rows) {
      after = id;
      if (services::GetString(doc, "DatabaseName").value_or("") == db &&
          services::GetString(doc, "TableName").value_or("") == tbl) {
        runs.push_back(std::move(doc));
      }
    }
    if (rows.size() < 500) break;
  }
  // Newest first.
  std::stable_sort(runs.begin(), runs.end(), [](const object& a, const object& b) {
    return a.at("CreationTime").to_number<std::int64_t>() > b.at("CreationTime").to_number<std::int64_t>();
  });
  const std::size_t limit = static_cast<std::size_t>(
      internal::ClampPageSize(static_cast<int>(services::GetInt(in, "MaxResults").value_or(0)), 100, 1000));
  std::size_t start = 0;
  if (auto token = services::GetString(in, "NextToken"); token && !token->empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto offset, internal::DecodeToken("csrun", std::string(*token)));
    start = static_cast<std::size_t>(std::strtoull(offset.c_str(), nullptr, 10));
  }
  array out;
  for (std::size_t i = start; i < runs.size() && out.size() < limit; ++i)
    out.emplace_back(std::move(runs[i]));
  object result{{"ColumnStatisticsTaskRuns", std::move(out)}};
  if (start + limit < runs.size())
    result["NextToken"] = internal::EncodeToken("csrun", std::to_string(start + limit));
  return result;
}

Result<object> ColumnStatisticsRuns::List(const aws::RequestContext& ctx, const object& in) {
  const std::int64_t limit =
      internal::ClampPageSize(static_cast<int>(services::GetInt(in, "MaxResults").value_or(0)), 100, 1000);
  std::string after;
  if (auto token = services::GetString(in, "NextToken"); token && !token->empty()) {
    CENOTE_ASSIGN_OR_RETURN(after, internal::DecodeToken("csid", std::string(*token)));
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, catalog_.objects().List(RunKey(ctx.account_id(), ctx.region, ""), after, limit + 1));
  array ids;
  for (std::size_t i = 0; i < rows.size() && static_cast<std::int64_t>(i) < limit; ++i)
    ids.emplace_back(rows[i].first);
  object result{{"ColumnStatisticsTaskRunIds", std::move(ids)}};
  if (static_cast<std::int64_t>(rows.size()) > limit) {
    result["NextToken"] = internal::EncodeToken("csid", rows[static_cast<std::size_t>(limit) - 1].first);
  }
  return result;
}

Result<object> ColumnStatisticsRuns::Stop(const aws::RequestContext& ctx, const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogOf(catalog_, ctx, in));
  CENOTE_ASSIGN_OR_RETURN(auto db_name, internal::RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto table_name, internal::RequiredString(in, "TableName"));
  CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(db_name, table_name));
  const std::string db = AsciiLower(db_name);
  const std::string tbl(table.at("Name").get_string());
  MutexLock lock(mu_);
  CENOTE_ASSIGN_OR_RETURN(auto active, ActiveRun(catalog_.objects(), ctx.account_id(), ctx.region, db, tbl));
  if (!active) return GlueError(errors::kColumnStatisticsTaskNotRunning, {db + "." + tbl});
  const std::string& id = active->first;
  if (id == running_) {
    if (cancel_ && cancel_->cancelled())
      return GlueError(errors::kColumnStatisticsTaskStopping, {db + "." + tbl});
    if (cancel_) cancel_->Cancel();  // Execute records STOPPED when the query ends
    return object();
  }
  CENOTE_RETURN_IF_ERROR(Update(RunKey(ctx.account_id(), ctx.region, id), [](object& run) {
    run["Status"] = "STOPPED";
    run["EndTime"] = UnixNowMs();
  }));
  return object();
}

void ColumnStatisticsRuns::RunQueued() {
  for (;;) {
    ObjectKey key;
    {
      MutexLock lock(mu_);
      if (shut_down_ || queue_.empty()) return;
      key = std::move(queue_.front());
      queue_.pop_front();
    }
    Execute(key);
  }
}

void ColumnStatisticsRuns::Execute(const ObjectKey& key) {
  auto stored = catalog_.objects().Get(key);
  if (!stored || !*stored || services::GetString(**stored, "Status").value_or("") != "STARTING") return;
  const object run = std::move(**stored);
  auto cancel = std::make_shared<query::Cancellation>();
  {
    MutexLock lock(mu_);
    running_ = key.name;
    cancel_ = cancel;
  }
  const std::int64_t started = UnixNowMs();
  (void)Update(key, [&](object& r) {
    r["Status"] = "RUNNING";
    r["StartTime"] = started;
  });
  auto compute = [&]() -> Status {
    StatisticsQueries* queries = catalog_.statistics_queries();
    if (queries == nullptr) return InternalError("The query engine is not available.");
    const std::string db(run.at("DatabaseName").get_string());
    const std::string tbl(run.at("TableName").get_string());
    // The run reads the catalog and the lake as its role, assumed by Glue.
    const aws::Caller as{.principal = iam::RoleSessionPrincipal(services::GetString(run, "Role").value_or(""),
                                                                kRoleSession, key.account),
                         .region = key.region,
                         .invoked_by = "glue.amazonaws.com",
                         .parent_request_id = "",
                         .source_arn = "",
                         .source_account = "",
                         .forwarded = false};
    std::unique_ptr<RegionalCatalog> c = catalog_.ForRegion(key.account, key.region, as);
    CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(db, tbl));
    CENOTE_ASSIGN_OR_RETURN(auto columns, RunColumns(table, services::GetArray(run, "ColumnNameList")));
    std::string sql = "SELECT count(*)";
    for (const auto& col : columns) {
      for (const auto& item : ColumnItems(col.name, col.stats_type)) sql.append(", ").append(item);
    }
    sql.append(" FROM ").append(QuoteIdentifier(db)).append(".").append(QuoteIdentifier(tbl));
    CENOTE_ASSIGN_OR_RETURN(auto row, queries->FirstRow(as, key.account, db, sql, *cancel));
    std::size_t at = 1;
    const std::int64_t now = UnixNowMs();
    std::vector<object> stats;
    for (const auto& col : columns) {
      const std::size_t n = ColumnItems(col.name, col.stats_type).size();
      if (at + n > row.size()) return InternalError("The statistics query returned too few values.");
      stats.push_back(ParseColumn(col.name, col.type, col.stats_type, row, at, now));
      at += n;
    }
    for (auto& s : stats) {
      CENOTE_RETURN_IF_ERROR(internal::PutColumnStatistics(catalog_.objects(), *c, {db, tbl}, std::move(s)));
    }
    return Status::Ok();
  };
  Status result = compute();
  const std::int64_t ended = UnixNowMs();
  (void)Update(key, [&](object& r) {
    if (result) {
      r["Status"] = "SUCCEEDED";
    } else if (cancel->cancelled()) {
      r["Status"] = "STOPPED";
    } else {
      r["Status"] = "FAILED";
      r["ErrorMessage"] = result.error().message;
    }
    r["EndTime"] = ended;
    r["DPUSeconds"] = static_cast<double>(ended - started) / 1000.0;
  });
  if (!result) spdlog::debug("glue: column statistics run {} ended: {}", key.name, result.error().message);
  MutexLock lock(mu_);
  running_.clear();
  cancel_.reset();
}

}  // namespace cenote::glue
