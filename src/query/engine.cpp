// QueryEngine on embedded DuckDB (engine.hpp): the orchestration of a call. A user statement is compiled
// (statement.hpp's stages over a ConnectionHost), described, then run on a leased connection under its
// Cancellation and a Deadline, and its rows written as Athena's result CSV or as files (CTAS, INSERT INTO).
// The parts it orchestrates live in units of their own: the DuckDB instance and its lockdown (instance),
// the connection pool and caches (connections), timeouts (watchdog), the links to data files and their
// sweep (link_directory), and the wording and cleaning of errors (engine_errors).
#include "query/engine.hpp"

#include <duckdb.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unordered_set>

#include "common/background_tasks.hpp"
#include "query/connections.hpp"
#include "query/duckdb_engine.hpp"
#include "query/engine_errors.hpp"
#include "query/instance.hpp"
#include "query/link_directory.hpp"
#include "query/statement.hpp"
#include "query/type_tree.hpp"
#include "query/watchdog.hpp"

namespace cenote::query {

namespace {

using internal::CancelledError;
using internal::EngineError;
using internal::QuoteIdentifier;
using internal::QuoteLiteral;
namespace fs = std::filesystem;

// EXPLAIN [ANALYZE] [(options)] <statement>: Athena accepts it for SELECTs; the statement itself goes
// through the sandbox like any query.
struct ExplainRequest {
  bool is_explain = false;
  bool analyze = false;
  std::string statement;
};

ExplainRequest ParseExplain(const std::string& sql) {
  ExplainRequest out;
  std::size_t i = 0;
  auto skip_space_and_comments = [&] {
    while (i < sql.size()) {
      if (std::isspace(static_cast<unsigned char>(sql[i]))) {
        ++i;
      } else if (sql.compare(i, 2, "--") == 0) {
        while (i < sql.size() && sql[i] != '\n') ++i;
      } else if (sql.compare(i, 2, "/*") == 0) {
        std::size_t end = sql.find("*/", i + 2);
        i = end == std::string::npos ? sql.size() : end + 2;
      } else {
        break;
      }
    }
  };
  auto keyword = [&](const char* word) {
    std::size_t n = std::strlen(word);
    if (i + n > sql.size()) return false;
    for (std::size_t k = 0; k < n; ++k) {
      if (std::toupper(static_cast<unsigned char>(sql[i + k])) != word[k]) return false;
    }
    if (i + n < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i + n])) || sql[i + n] == '_'))
      return false;
    i += n;
    return true;
  };
  skip_space_and_comments();
  if (!keyword("EXPLAIN")) return out;
  skip_space_and_comments();
  if (keyword("ANALYZE")) {
    out.analyze = true;
    skip_space_and_comments();
    keyword("VERBOSE");
    skip_space_and_comments();
  }
  if (i < sql.size() && sql[i] == '(') {  // (TYPE LOGICAL, FORMAT TEXT): DuckDB has one plan format
    std::size_t end = sql.find(')', i);
    if (end == std::string::npos) return out;
    i = end + 1;
  }
  out.is_explain = true;
  out.statement = sql.substr(i);
  return out;
}

std::int64_t MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

// Appends one CSV field as Athena writes it: double-quoted, quotes doubled.
void AppendQuoted(std::string& out, const char* data, std::size_t size) {
  out += '"';
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == '"') out += '"';
    out += data[i];
  }
  out += '"';
}

using ColumnTypes = std::vector<std::pair<std::string, std::string>>;  // name, DuckDB type

// TextCursor over a streaming DuckDB result. Members are declared so that they go in the right order: the
// deadline is disarmed first, then the chunk, result and statement are freed, and the connection goes
// back to the pool last.
class DuckTextCursor final : public TextCursor {
 public:
  DuckTextCursor(internal::Lease lease, std::vector<std::pair<std::string, std::string>> file_names,
                 std::vector<std::string> private_prefixes, std::chrono::milliseconds timeout)
      : lease_(std::move(lease)),
        file_names_(std::move(file_names)),
        private_prefixes_(std::move(private_prefixes)),
        timeout_(timeout) {}
  ~DuckTextCursor() override {
    if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
  }

  // Prepares and starts `sql` under a deadline that `watchdog` enforces.
  Status Start(const std::string& sql, internal::Watchdog& watchdog) {
    duckdb_connection con = lease_.get();
    if (duckdb_prepare(con, sql.c_str(), &prep_.stmt) != DuckDBSuccess)
      return Clean(internal::ErrorFromDuckDb(duckdb_prepare_error(prep_.stmt)));
    deadline_ = std::make_unique<internal::Deadline>(
        watchdog, [con] { duckdb_interrupt(con); }, timeout_);
    duckdb_pending_result pending = nullptr;
    if (duckdb_pending_prepared_streaming(prep_.stmt, &pending) != DuckDBSuccess) {
      Error e = Failure(duckdb_pending_error(pending));
      duckdb_destroy_pending(&pending);
      return e;
    }
    duckdb_state st = duckdb_execute_pending(pending, &res_.result);
    duckdb_destroy_pending(&pending);
    if (st != DuckDBSuccess) return Failure(duckdb_result_error(&res_.result));
    const idx_t columns = duckdb_column_count(&res_.result);
    for (idx_t c = 0; c < columns; ++c) {
      if (duckdb_column_type(&res_.result, c) != DUCKDB_TYPE_VARCHAR)
        return internal::EngineError("object query column " + std::to_string(c + 1) + " is not VARCHAR");
    }
    columns_ = static_cast<std::size_t>(columns);
    started_ = true;
    return Status::Ok();
  }

  Result<bool> Next(TextBatch& batch) override {
    batch.columns = columns_;
    batch.values.clear();
    if (chunk_ != nullptr) duckdb_destroy_data_chunk(&chunk_);
    if (!started_ || done_) return false;
    chunk_ = duckdb_fetch_chunk(res_.result);
    if (chunk_ == nullptr) {
      done_ = true;
      if (const char* err = duckdb_result_error(&res_.result); err != nullptr) return Failure(err);
      if (deadline_ && deadline_->expired()) return Clean(internal::TimeoutError(timeout_));
      return false;
    }
    const idx_t n = duckdb_data_chunk_get_size(chunk_);
    std::vector<duckdb_string_t*> data(columns_);
    std::vector<uint64_t*> validity(columns_);
    for (std::size_t c = 0; c < columns_; ++c) {
      duckdb_vector v = duckdb_data_chunk_get_vector(chunk_, c);
      data[c] = static_cast<duckdb_string_t*>(duckdb_vector_get_data(v));
      validity[c] = duckdb_vector_get_validity(v);
    }
    batch.values.reserve(static_cast<std::size_t>(n) * columns_);
    for (idx_t r = 0; r < n; ++r) {
      for (std::size_t c = 0; c < columns_; ++c) {
        if (validity[c] != nullptr && !duckdb_validity_row_is_valid(validity[c], r)) {
          batch.values.emplace_back(std::nullopt);
        } else {
          duckdb_string_t& s = data[c][r];
          batch.values.emplace_back(std::string_view(duckdb_string_t_data(&s), duckdb_string_t_length(s)));
        }
      }
    }
    return true;
  }

 private:
  Error Clean(Error e) const { return internal::CleanError(std::move(e), file_names_, private_prefixes_); }
  // Why the statement failed: the deadline interrupts it, and DuckDB then reports only "INTERRUPT Error".
  Error Failure(const char* message) {
    done_ = true;
    if (deadline_ && deadline_->expired()) return Clean(internal::TimeoutError(timeout_));
    return Clean(internal::ErrorFromDuckDb(message));
  }

  internal::Lease lease_;
  const std::vector<std::pair<std::string, std::string>> file_names_;
  const std::vector<std::string> private_prefixes_;
  const std::chrono::milliseconds timeout_;
  internal::PreparedGuard prep_;
  internal::ResultGuard res_;
  duckdb_data_chunk chunk_ = nullptr;
  std::unique_ptr<internal::Deadline> deadline_;
  std::size_t columns_ = 0;
  bool started_ = false;
  bool done_ = false;
};

class DuckQueryEngine final : public QueryEngine {
 public:
  DuckQueryEngine(internal::Database db, EngineOptions options)
      : options_(std::move(options)),
        own_tasks_(options_.background_tasks == nullptr ? std::make_unique<BackgroundTasks>() : nullptr),
        tasks_(options_.background_tasks != nullptr ? *options_.background_tasks : *own_tasks_),
        db_(std::move(db)),
        pool_(db_.get()),
        watchdog_(tasks_) {}

  // Locks the instance down and prepares the link directory; the engine is usable once it returns OK.
  Status Initialize();

  // The public calls clean their errors (CleanError) so no local path reaches a client.
  Result<SelectOutcome> RunSelect(const std::string& sql, const QueryContext& ctx, TableResolver& resolver,
                                  const std::string& csv_path, Cancellation& cancel) override {
    internal::BindStats stats;
    auto r = RunSelectImpl(sql, ctx, resolver, csv_path, cancel, stats);
    if (!r) return Clean(internal::InAthenaWords(std::move(r).error(), sql), stats);
    return r;
  }
  Result<WriteOutcome> RunSelectIntoFiles(const std::string& sql, const QueryContext& ctx,
                                          TableResolver& resolver, const WriteSpec& spec,
                                          Cancellation& cancel) override {
    internal::BindStats stats;
    auto r = RunSelectIntoFilesImpl(sql, ctx, resolver, spec, cancel, stats);
    if (!r) return Clean(internal::InAthenaWords(std::move(r).error(), sql), stats);
    return r;
  }
  Result<std::vector<ResultColumn>> DescribeSelect(const std::string& sql, const QueryContext& ctx,
                                                   TableResolver& resolver) override {
    internal::BindStats stats;
    auto r = DescribeSelectImpl(sql, ctx, resolver, stats);
    if (!r) return Clean(internal::InAthenaWords(std::move(r).error(), sql), stats);
    return r;
  }
  Result<Rows> ExecuteTrusted(const std::string& sql) override;
  Result<std::vector<SourceColumn>> DescribeObject(const ObjectSource& source) override;
  Result<std::unique_ptr<TextCursor>> OpenObjectSelect(const std::string& sql, const ObjectSource& source,
                                                       const QueryContext& ctx) override;

 private:
  Result<SelectOutcome> RunSelectImpl(const std::string& sql, const QueryContext& ctx,
                                      TableResolver& resolver, const std::string& csv_path,
                                      Cancellation& cancel, internal::BindStats& bind_stats);
  // EXPLAIN [ANALYZE] of a compiled statement: DuckDB's plan as Athena's one "Query Plan" column.
  Result<SelectOutcome> RunExplain(duckdb_connection con, const internal::CompiledQuery& compiled,
                                   bool analyze, const QueryContext& ctx, const std::string& csv_path,
                                   Cancellation& cancel, const internal::BindStats& bind_stats,
                                   std::chrono::steady_clock::time_point start);
  Result<WriteOutcome> RunSelectIntoFilesImpl(const std::string& sql, const QueryContext& ctx,
                                              TableResolver& resolver, const WriteSpec& spec,
                                              Cancellation& cancel, internal::BindStats& bind_stats);
  Result<std::vector<ResultColumn>> DescribeSelectImpl(const std::string& sql, const QueryContext& ctx,
                                                       TableResolver& resolver,
                                                       internal::BindStats& bind_stats);
  // Column names and DuckDB type names of a compiled statement (DESCRIBE runs the binder only).
  Result<ColumnTypes> Describe(internal::ConnectionHost& host, const std::string& sql);
  // Runs `sql` (already compiled) with cancellation and the deadline; `sink` gets each chunk. kStream
  // prepares the statement and streams its result (memory bounded by the chunks in flight); kMaterialize
  // runs it in one go: DuckDB binds a prepared statement over files twice (prepare, then run), so for a
  // small result one bind saves about half a millisecond. `sql` is always one statement the engine built
  // (duckdb_query would run several; duckdb_prepare refuses them).
  enum class ResultMode { kStream, kMaterialize };
  Status Execute(duckdb_connection con, const std::string& sql, const QueryContext& ctx, Cancellation& cancel,
                 ResultMode mode, const std::function<Status(duckdb_data_chunk)>& sink);
  // `error` without local paths, on one line (engine_errors.hpp CleanError).
  Error Clean(Error error, const internal::BindStats& stats) const {
    return internal::CleanError(std::move(error), stats.file_names, instance_.private_prefixes);
  }

  // Declared in dependency order, destroyed in reverse: the background tasks (watchdog, link sweep) stop
  // first, then the idle connections close, then the database, and a private runner goes last.
  const EngineOptions options_;
  std::unique_ptr<BackgroundTasks> own_tasks_;  // when EngineOptions::background_tasks is null
  BackgroundTasks& tasks_;
  internal::Database db_;
  internal::ConnectionPool pool_;
  internal::QueryCaches caches_;
  internal::LockedInstance instance_;               // set by Initialize, then immutable
  std::unique_ptr<internal::LinkDirectory> links_;  // made by Initialize, then immutable
  internal::Watchdog watchdog_;
};

Status DuckQueryEngine::Initialize() {
  internal::SetAllocatorDecay(options_.allocator_decay_ms);
  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  CENOTE_ASSIGN_OR_RETURN(instance_, internal::LockDown(lease.get(), options_));
  links_ =
      std::make_unique<internal::LinkDirectory>(options_.scratch_dir, options_.link_sweep_interval_s, tasks_);
  return Status::Ok();
}

Result<QueryEngine::Rows> DuckQueryEngine::ExecuteTrusted(const std::string& sql) {
  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  return internal::QueryRows(lease.get(), sql);
}

Result<std::vector<SourceColumn>> DuckQueryEngine::DescribeObject(const ObjectSource& source) {
  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  internal::ConnectionHost host(lease.pooled(), caches_, links_->root());
  auto scan = internal::ObjectScan(source, host);
  if (!scan) {
    internal::BindStats stats;
    stats.file_names.emplace_back(source.path, source.name);
    return Clean(std::move(scan).error(), stats);
  }
  return std::move(scan->columns);
}

Result<std::unique_ptr<TextCursor>> DuckQueryEngine::OpenObjectSelect(const std::string& sql,
                                                                      const ObjectSource& source,
                                                                      const QueryContext& ctx) {
  internal::BindStats stats;
  stats.file_names.emplace_back(source.path, source.name);
  std::error_code ec;
  std::string absolute = fs::absolute(source.path, ec).lexically_normal().string();
  if (!ec && absolute != source.path) stats.file_names.emplace_back(absolute, source.name);
  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  std::string compiled;
  {
    internal::ConnectionHost host(lease.pooled(), caches_, links_->root());
    auto scan = internal::ObjectScan(source, host);
    if (!scan) return Clean(std::move(scan).error(), stats);
    auto statement = internal::CompileObjectSelect(sql, *scan, host, instance_.policy);
    if (!statement) return Clean(std::move(statement).error(), stats);
    compiled = std::move(*statement);
  }
  auto cursor = std::make_unique<DuckTextCursor>(std::move(lease), stats.file_names,
                                                 instance_.private_prefixes, ctx.timeout);
  CENOTE_RETURN_IF_ERROR(cursor->Start(compiled, watchdog_));
  return std::unique_ptr<TextCursor>(std::move(cursor));
}

Result<ColumnTypes> DuckQueryEngine::Describe(internal::ConnectionHost& host, const std::string& sql) {
  // The result types of a compiled statement depend only on its text: tables are bound to immutable
  // files and the macros never change.
  CENOTE_ASSIGN_OR_RETURN(Rows rows, host.QueryImmutable("DESCRIBE " + sql));
  ColumnTypes out;
  for (const auto& row : rows) {
    if (row.size() < 2 || !row[0] || !row[1]) return EngineError("unexpected DESCRIBE output");
    out.emplace_back(*row[0], *row[1]);
  }
  return out;
}

Status DuckQueryEngine::Execute(duckdb_connection con, const std::string& sql, const QueryContext& ctx,
                                Cancellation& cancel, ResultMode mode,
                                const std::function<Status(duckdb_data_chunk)>& sink) {
  if (cancel.cancelled()) return CancelledError();
  internal::PreparedGuard prep;
  if (mode == ResultMode::kStream && duckdb_prepare(con, sql.c_str(), &prep.stmt) != DuckDBSuccess)
    return internal::ErrorFromDuckDb(duckdb_prepare_error(prep.stmt));

  cancel.SetInterrupt([con] { duckdb_interrupt(con); });
  struct ClearOnExit {
    Cancellation& c;
    ~ClearOnExit() { c.ClearInterrupt(); }
  } clear{cancel};
  // Cancel() may have run between the check above and SetInterrupt.
  if (cancel.cancelled()) return CancelledError();
  internal::Deadline deadline(
      watchdog_, [con] { duckdb_interrupt(con); }, ctx.timeout);

  // Why a statement failed: the caller's cancellation and the deadline interrupt it, and DuckDB then
  // reports only "INTERRUPT Error".
  auto failure = [&](const char* message) -> Error {
    if (cancel.cancelled()) return CancelledError();
    if (deadline.expired()) return internal::TimeoutError(ctx.timeout);
    return internal::ErrorFromDuckDb(message);
  };

  internal::ResultGuard res;
  if (mode == ResultMode::kMaterialize) {
    if (duckdb_query(con, sql.c_str(), &res.result) != DuckDBSuccess)
      return failure(duckdb_result_error(&res.result));
  } else {
    duckdb_pending_result pending = nullptr;
    if (duckdb_pending_prepared_streaming(prep.stmt, &pending) != DuckDBSuccess) {
      Error e = failure(duckdb_pending_error(pending));
      duckdb_destroy_pending(&pending);
      return e;
    }
    duckdb_state st = duckdb_execute_pending(pending, &res.result);
    duckdb_destroy_pending(&pending);
    if (st != DuckDBSuccess) return failure(duckdb_result_error(&res.result));
  }
  while (true) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(res.result);
    if (chunk == nullptr) break;
    Status s = sink(chunk);
    duckdb_destroy_data_chunk(&chunk);
    if (!s) return s;
  }
  const char* err = duckdb_result_error(&res.result);
  if (err != nullptr) return failure(err);
  if (cancel.cancelled()) return CancelledError();
  return Status::Ok();
}

Result<SelectOutcome> DuckQueryEngine::RunSelectImpl(const std::string& sql, const QueryContext& ctx,
                                                     TableResolver& resolver, const std::string& csv_path,
                                                     Cancellation& cancel, internal::BindStats& bind_stats) {
  auto start = std::chrono::steady_clock::now();
  links_->MaybeSweep();
  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  duckdb_connection con = lease.get();
  internal::ConnectionHost host(lease.pooled(), caches_, links_->root());
  ExplainRequest explain = ParseExplain(sql);
  CENOTE_ASSIGN_OR_RETURN(internal::CompiledQuery compiled,
                          internal::CompileUserQuery(explain.is_explain ? explain.statement : sql, ctx,
                                                     resolver, host, instance_.policy, bind_stats));
  if (explain.is_explain)
    return RunExplain(con, compiled, explain.analyze, ctx, csv_path, cancel, bind_stats, start);
  CENOTE_ASSIGN_OR_RETURN(ColumnTypes described, Describe(host, compiled.sql));

  SelectOutcome outcome;
  outcome.stats.bytes_scanned = compiled.stats.bytes_scanned;
  // The result's columns are renamed __cenote_c1.. (names may repeat; positional #n references cannot be
  // passed to the rendering macros).
  // Doubles and reals come out as numbers and are formatted here (JavaNumberText), everything else as
  // text rendered in SQL.
  enum class Kind { kText, kDouble, kFloat };
  std::vector<Kind> kinds;
  std::string wrapper = "SELECT ";
  std::string aliases;
  for (std::size_t i = 0; i < described.size(); ++i) {
    const auto& [name, type] = described[i];
    outcome.columns.push_back(DuckDbTypeToAthena(name, type));
    std::string column = "__cenote_c" + std::to_string(i + 1);
    if (i > 0) {
      wrapper += ", ";
      aliases += ", ";
    }
    kinds.push_back(type == "DOUBLE" ? Kind::kDouble : type == "FLOAT" ? Kind::kFloat : Kind::kText);
    wrapper += kinds.back() == Kind::kText ? internal::AthenaTextExpression(column, type) : column;
    aliases += column;
  }
  if (described.empty()) wrapper += "1";

  wrapper += " FROM (" + compiled.sql + ") AS __cenote_result";
  if (!aliases.empty()) wrapper += "(" + aliases + ")";
  outcome.stats.planning_ms = MsSince(start);

  // The CSV is built in `buffer`; the file is created only once the result outgrows both the 1 MiB write
  // buffer and the caller's in-memory allowance.
  const std::uint64_t keep_limit = std::max<std::uint64_t>(ctx.in_memory_result_bytes, 1 << 20);
  std::ofstream out;
  std::string buffer;
  auto spill = [&]() -> Status {
    if (!out.is_open()) {
      out.open(csv_path, std::ios::binary | std::ios::trunc);
      if (!out) return EngineError("cannot write the result file " + csv_path);
    }
    out.write(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    buffer.clear();
    if (!out) return EngineError("cannot write the result file " + csv_path);
    return Status::Ok();
  };
  for (std::size_t i = 0; i < outcome.columns.size(); ++i) {
    if (i > 0) buffer += ',';
    AppendQuoted(buffer, outcome.columns[i].name.data(), outcome.columns[i].name.size());
  }
  buffer += '\n';
  std::int64_t rows = 0;
  const idx_t columns = described.size();
  Status run = Execute(
      con, wrapper, ctx, cancel, compiled.bounded_result ? ResultMode::kMaterialize : ResultMode::kStream,
      [&](duckdb_data_chunk chunk) -> Status {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        std::vector<void*> data(columns);
        std::vector<uint64_t*> validity(columns);
        for (idx_t c = 0; c < columns; ++c) {
          duckdb_vector v = duckdb_data_chunk_get_vector(chunk, c);
          data[c] = duckdb_vector_get_data(v);
          validity[c] = duckdb_vector_get_validity(v);
        }
        for (idx_t r = 0; r < n; ++r) {
          for (idx_t c = 0; c < columns; ++c) {
            if (c > 0) buffer += ',';
            if (validity[c] != nullptr && !duckdb_validity_row_is_valid(validity[c], r)) continue;
            if (kinds[c] == Kind::kText) {
              duckdb_string_t& s = static_cast<duckdb_string_t*>(data[c])[r];
              AppendQuoted(buffer, duckdb_string_t_data(&s), duckdb_string_t_length(s));
            } else {
              double value = kinds[c] == Kind::kDouble ? static_cast<double*>(data[c])[r]
                                                       : static_cast<double>(static_cast<float*>(data[c])[r]);
              std::string text = internal::JavaNumberText(value, kinds[c] == Kind::kFloat);
              AppendQuoted(buffer, text.data(), text.size());
            }
          }
          buffer += '\n';
        }
        rows += static_cast<std::int64_t>(n);
        if (buffer.size() > keep_limit) return spill();
        return Status::Ok();
      });
  if (!run) {
    if (out.is_open()) out.close();
    return std::move(run).error();
  }
  if (!out.is_open() && buffer.size() <= ctx.in_memory_result_bytes) {
    outcome.csv = std::move(buffer);
  } else {
    CENOTE_RETURN_IF_ERROR(spill());
    out.close();
    if (!out) return EngineError("cannot write the result file " + csv_path);
  }
  outcome.stats.rows = rows;
  outcome.stats.engine_ms = MsSince(start);
  return outcome;
}

Result<SelectOutcome> DuckQueryEngine::RunExplain(duckdb_connection con,
                                                  const internal::CompiledQuery& compiled, bool analyze,
                                                  const QueryContext& ctx, const std::string& csv_path,
                                                  Cancellation& cancel, const internal::BindStats& bind_stats,
                                                  std::chrono::steady_clock::time_point start) {
  // DuckDB's plan of the bound statement, one line per row, as Athena returns the plan in a single
  // "Query Plan" column.
  const std::string sql = std::string(analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ") + compiled.sql;
  SelectOutcome outcome;
  outcome.stats.bytes_scanned = analyze ? compiled.stats.bytes_scanned : 0;
  outcome.columns.push_back(DuckDbTypeToAthena("Query Plan", "VARCHAR"));
  outcome.stats.planning_ms = MsSince(start);
  std::string text;
  CENOTE_RETURN_IF_ERROR(
      Execute(con, sql, ctx, cancel, ResultMode::kMaterialize, [&](duckdb_data_chunk chunk) -> Status {
        idx_t n = duckdb_data_chunk_get_size(chunk);
        duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 1);
        auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(v));
        uint64_t* validity = duckdb_vector_get_validity(v);
        for (idx_t r = 0; r < n; ++r) {
          if (validity != nullptr && !duckdb_validity_row_is_valid(validity, r)) continue;
          text.append(duckdb_string_t_data(&data[r]), duckdb_string_t_length(data[r]));
          text += '\n';
        }
        return Status::Ok();
      }));
  text = internal::ScrubPaths(text, bind_stats.file_names, instance_.private_prefixes);
  std::string csv = "\"Query Plan\"\n";
  std::int64_t rows = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.find_first_not_of(" ") == std::string::npos) continue;
    AppendQuoted(csv, line.data(), line.size());
    csv += '\n';
    ++rows;
  }
  if (csv.size() <= ctx.in_memory_result_bytes) {
    outcome.csv = std::move(csv);
  } else {
    std::ofstream out(csv_path, std::ios::binary | std::ios::trunc);
    out << csv;
    out.close();
    if (!out) return EngineError("cannot write the result file " + csv_path);
  }
  outcome.stats.rows = rows;
  outcome.stats.engine_ms = MsSince(start);
  return outcome;
}

Result<std::vector<ResultColumn>> DuckQueryEngine::DescribeSelectImpl(const std::string& sql,
                                                                      const QueryContext& ctx,
                                                                      TableResolver& resolver,
                                                                      internal::BindStats& bind_stats) {
  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  internal::ConnectionHost host(lease.pooled(), caches_, links_->root());
  ExplainRequest explain = ParseExplain(sql);
  CENOTE_ASSIGN_OR_RETURN(internal::CompiledQuery compiled,
                          internal::CompileUserQuery(explain.is_explain ? explain.statement : sql, ctx,
                                                     resolver, host, instance_.policy, bind_stats));
  if (explain.is_explain) return std::vector<ResultColumn>{DuckDbTypeToAthena("Query Plan", "VARCHAR")};
  CENOTE_ASSIGN_OR_RETURN(ColumnTypes described, Describe(host, compiled.sql));
  std::vector<ResultColumn> columns;
  for (const auto& [name, type] : described) columns.push_back(DuckDbTypeToAthena(name, type));
  return columns;
}

// Hive folder value: key=value -> value (URL-style %XX escapes decoded, as Hive writes them).
std::string DecodeHiveValue(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Result<WriteOutcome> DuckQueryEngine::RunSelectIntoFilesImpl(const std::string& sql, const QueryContext& ctx,
                                                             TableResolver& resolver, const WriteSpec& spec,
                                                             Cancellation& cancel,
                                                             internal::BindStats& bind_stats) {
  auto start = std::chrono::steady_clock::now();
  std::string format;
  std::string extension;
  if (spec.format == "PARQUET") {
    format = "PARQUET";
    extension = ".parquet";
  } else if (spec.format == "JSON") {
    format = "JSON";
    extension = ".json";
  } else if (spec.format == "TEXTFILE" || spec.format == "CSV") {
    format = "CSV";
    extension = ".csv";
  } else {
    return MakeError(internal::kNotSupported, "NOT_SUPPORTED: Unsupported format: " + spec.format);
  }
  std::string compression =
      spec.compression.empty() ? (format == "PARQUET" ? "SNAPPY" : "NONE") : spec.compression;
  for (char& c : compression) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::unordered_set<std::string> kParquetCodecs = {"SNAPPY",       "GZIP", "ZSTD",  "NONE",
                                                                 "UNCOMPRESSED", "LZ4",  "BROTLI"};
  static const std::unordered_set<std::string> kTextCodecs = {"GZIP", "NONE", "ZSTD"};
  if (format == "PARQUET" ? !kParquetCodecs.count(compression) : !kTextCodecs.count(compression))
    return MakeError(internal::kNotSupported,
                     "NOT_SUPPORTED: Unsupported compression " + compression + " for " + spec.format);
  if (compression == "NONE") compression = format == "PARQUET" ? "UNCOMPRESSED" : "NONE";
  if (format != "PARQUET" && compression == "GZIP") extension += ".gz";
  if (format != "PARQUET" && compression == "ZSTD") extension += ".zst";

  CENOTE_ASSIGN_OR_RETURN(internal::Lease lease, pool_.Acquire());
  duckdb_connection con = lease.get();
  internal::ConnectionHost host(lease.pooled(), caches_, links_->root());
  CENOTE_ASSIGN_OR_RETURN(internal::CompiledQuery compiled,
                          internal::CompileUserQuery(sql, ctx, resolver, host, instance_.policy, bind_stats));
  if (!spec.computed_partitions.empty()) {
    std::string wrapped = "SELECT *";
    if (!spec.unwritten_columns.empty()) {
      wrapped.append(" EXCLUDE (");
      for (std::size_t i = 0; i < spec.unwritten_columns.size(); ++i)
        wrapped.append(i > 0 ? ", " : "").append(QuoteIdentifier(spec.unwritten_columns[i]));
      wrapped.append(")");
    }
    for (const auto& [name, expr] : spec.computed_partitions)
      wrapped.append(", (").append(expr).append(") AS ").append(QuoteIdentifier(name));
    wrapped.append(" FROM (").append(compiled.sql).append(") AS __cenote_computed");
    compiled.sql = std::move(wrapped);
  }
  CENOTE_ASSIGN_OR_RETURN(ColumnTypes described, Describe(host, compiled.sql));

  // Athena's rule: partition columns go last, in partitioned_by order.
  WriteOutcome outcome;
  std::vector<std::string> data_columns;
  for (const auto& [name, type] : described) {
    bool is_partition = false;
    for (const std::string& p : spec.partitioned_by) is_partition = is_partition || p == name;
    if (!is_partition) {
      outcome.columns.push_back(DuckDbTypeToAthena(name, type));
      data_columns.push_back(name);
    }
  }
  for (const std::string& p : spec.partitioned_by) {
    bool found = false;
    for (const auto& [name, type] : described) {
      if (name == p) {
        outcome.columns.push_back(DuckDbTypeToAthena(name, type));
        found = true;
        break;
      }
    }
    if (!found)
      return MakeError("SYNTAX_ERROR", "SYNTAX_ERROR: Partition column " + p + " is not in the query result");
  }
  std::string select = "SELECT ";
  for (std::size_t i = 0; i < outcome.columns.size(); ++i) {
    if (i > 0) select += ", ";
    std::string column = QuoteIdentifier(outcome.columns[i].name);
    if (i < data_columns.size()) {
      select += column;
    } else {
      // A NULL partition value is written as Hive's default partition, as Athena does (DuckDB would
      // name the folder key=NULL, which reads back as the string 'NULL'). Partition values are only
      // folder names, so the cast changes no file.
      select += "COALESCE(CAST(" + column + " AS VARCHAR), '__HIVE_DEFAULT_PARTITION__') AS " + column;
    }
  }
  select += " FROM (" + compiled.sql + ") AS __cenote_result";

  std::error_code ec;
  fs::create_directories(spec.out_dir, ec);
  if (ec) return EngineError("cannot create " + spec.out_dir + ": " + ec.message());
  std::string prefix = spec.file_prefix.empty() ? "part" : spec.file_prefix;
  for (char c : prefix) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return EngineError("invalid file prefix " + prefix);
  }
  // Partitioned: DuckDB writes key=value/ folders named by FILENAME_PATTERN; otherwise one file.
  std::string target = spec.partitioned_by.empty()
                           ? (fs::path(spec.out_dir) / (prefix + "_0" + extension)).string()
                           : spec.out_dir;
  std::string copy = "COPY (" + select + ") TO " + QuoteLiteral(target) + " (FORMAT " + format;
  if (format == "PARQUET") {
    copy += ", COMPRESSION " + compression;
    if (!spec.field_ids.empty()) {
      copy += ", FIELD_IDS {";
      for (std::size_t i = 0; i < spec.field_ids.size(); ++i) {
        copy += (i > 0 ? ", " : "") + QuoteLiteral(spec.field_ids[i].first) + ": " +
                std::to_string(spec.field_ids[i].second);
      }
      copy += "}";
    }
  } else {
    copy += ", COMPRESSION " + QuoteLiteral(compression == "NONE"   ? "none"
                                            : compression == "GZIP" ? "gzip"
                                                                    : "zstd");
  }
  if (format == "CSV") copy += ", HEADER false";
  if (!spec.partitioned_by.empty()) {
    copy += ", FILENAME_PATTERN " + QuoteLiteral(prefix + "_{i}") + ", FILE_EXTENSION " +
            QuoteLiteral(extension.substr(1)) + ", PARTITION_BY (";
    for (std::size_t i = 0; i < spec.partitioned_by.size(); ++i) {
      if (i > 0) copy += ", ";
      copy += QuoteIdentifier(spec.partitioned_by[i]);
    }
    copy += "), OVERWRITE_OR_IGNORE true";
  }
  copy += ")";
  outcome.stats.planning_ms = MsSince(start);

  std::int64_t rows = 0;
  CENOTE_RETURN_IF_ERROR(
      Execute(con, copy, ctx, cancel, ResultMode::kMaterialize, [&](duckdb_data_chunk chunk) -> Status {
        // COPY returns one row with the number of rows written.
        if (duckdb_data_chunk_get_size(chunk) > 0) {
          duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
          rows = static_cast<std::int64_t*>(duckdb_vector_get_data(v))[0];
        }
        return Status::Ok();
      }));

  // Files this query wrote: the ones whose name starts with the prefix (the directory may already hold
  // other queries' files for INSERT INTO).
  fs::path root(spec.out_dir);
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string file_name = it->path().filename().string();
    if (file_name.rfind(prefix + "_", 0) != 0) continue;
    WrittenFile file;
    file.local_path = it->path().string();
    file.relative_path = fs::relative(it->path(), root).generic_string();
    file.size = it->file_size();
    fs::path rel = fs::relative(it->path().parent_path(), root);
    for (const auto& part : rel) {
      std::string segment = part.string();
      auto eq = segment.find('=');
      if (eq != std::string::npos) file.partition_values.push_back(DecodeHiveValue(segment.substr(eq + 1)));
    }
    outcome.files.push_back(std::move(file));
  }
  std::sort(outcome.files.begin(), outcome.files.end(),
            [](const WrittenFile& a, const WrittenFile& b) { return a.relative_path < b.relative_path; });
  outcome.stats.rows = rows;
  outcome.stats.bytes_scanned = compiled.stats.bytes_scanned;
  outcome.stats.engine_ms = MsSince(start);
  return outcome;
}

}  // namespace

namespace internal {

Result<std::unique_ptr<QueryEngine>> OpenDuckDbEngine(const EngineOptions& options) {
  if (options.scratch_dir.empty()) return MakeError("InvalidInput", "EngineOptions::scratch_dir is required");
  CENOTE_ASSIGN_OR_RETURN(internal::Database db, internal::Database::Open());
  auto engine = std::make_unique<DuckQueryEngine>(std::move(db), options);
  CENOTE_RETURN_IF_ERROR(engine->Initialize());
  return std::unique_ptr<QueryEngine>(std::move(engine));
}

}  // namespace internal

}  // namespace cenote::query
