// QueryEngine on embedded DuckDB (engine.hpp): the instance lockdown, the connection pool, trusted SQL,
// and running compiled user statements with cancellation and timeouts. The only file that includes
// duckdb.h.
#include "query/engine.hpp"

#include <dlfcn.h>
#include <duckdb.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "query/statement.hpp"
#include "query/trino_functions.hpp"
#include "query/type_tree.hpp"

namespace cenote::query {

void Cancellation::Cancel() {
  // The interrupt runs under the lock: once ClearInterrupt() returns, the connection can go back to
  // the pool without a late interrupt hitting the next query on it. duckdb_interrupt only sets a flag.
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (interrupt_) interrupt_();
}

bool Cancellation::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

void Cancellation::SetInterrupt(std::function<void()> interrupt) {
  std::lock_guard<std::mutex> lock(mu_);
  interrupt_ = std::move(interrupt);
}

void Cancellation::ClearInterrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupt_ = nullptr;
}

namespace {

using internal::QuoteIdentifier;
using internal::QuoteLiteral;
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::size_t kMaxIdleConnections = 16;

Error EngineError(const std::string& message) {
  return MakeError("INTERNAL_ERROR_QUERY_ENGINE", message, 500);
}

// Errors DuckDB reports for a statement (bind, execution, conversion): the query's failure reason.
// Errors DuckDB reports for a statement (bind, execution, conversion), as Athena's error names
// ("COLUMN_NOT_FOUND: ...") so the Athena layer can pass them on as the failure reason. DuckDB's
// "LINE n:" context is dropped: it points into the rewritten SQL, not the user's.
Error DuckError(const char* raw) {
  std::string message = raw != nullptr ? raw : "Query failed";
  if (auto line = message.find("\n\nLINE "); line != std::string::npos) message.erase(line);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  struct Kind {
    const char* prefix;
    const char* contains;
    const char* code;
  };
  static const Kind kKinds[] = {
      {"Binder Error: ", "column", "COLUMN_NOT_FOUND"},
      {"Binder Error: ", "No function matches", "FUNCTION_NOT_FOUND"},
      {"Binder Error: ", "", "TYPE_MISMATCH"},
      {"Catalog Error: ", "Function with name", "FUNCTION_NOT_FOUND"},
      {"Catalog Error: ", "", "TABLE_NOT_FOUND"},
      {"Conversion Error: ", "", "INVALID_CAST_ARGUMENT"},
      {"Out of Range Error: ", "", "NUMERIC_VALUE_OUT_OF_RANGE"},
      {"Out of Memory Error: ", "", "EXCEEDED_LOCAL_MEMORY_LIMIT"},
      {"Invalid Input Error: ", "", "HIVE_BAD_DATA"},
      {"IO Error: ", "", "HIVE_CURSOR_ERROR"},
      {"Permission Error: ", "", "PERMISSION_DENIED"},
      {"Parser Error: ", "", "SYNTAX_ERROR"},
      {"Not implemented Error: ", "", "NOT_SUPPORTED"},
  };
  if (message.find("Division by zero") != std::string::npos)
    return MakeError("DIVISION_BY_ZERO", "DIVISION_BY_ZERO: Division by zero", 400);
  for (const Kind& k : kKinds) {
    std::string_view prefix(k.prefix);
    if (message.compare(0, prefix.size(), prefix) != 0) continue;
    if (*k.contains != '\0' && message.find(k.contains) == std::string::npos) continue;
    std::string body = message.substr(prefix.size());
    if (std::string_view(k.code) == "EXCEEDED_LOCAL_MEMORY_LIMIT")
      body = "Query exhausted resources at this scale factor (" + body + ")";
    return MakeError(k.code, std::string(k.code) + ": " + body, 400);
  }
  return MakeError("GENERIC_INTERNAL_ERROR", "GENERIC_INTERNAL_ERROR: " + message, 400);
}

class ResultGuard {
 public:
  ResultGuard() = default;
  ~ResultGuard() { duckdb_destroy_result(&result); }
  ResultGuard(const ResultGuard&) = delete;
  ResultGuard& operator=(const ResultGuard&) = delete;
  duckdb_result result{};
};

class PreparedGuard {
 public:
  PreparedGuard() = default;
  ~PreparedGuard() { duckdb_destroy_prepare(&stmt); }
  PreparedGuard(const PreparedGuard&) = delete;
  PreparedGuard& operator=(const PreparedGuard&) = delete;
  duckdb_prepared_statement stmt = nullptr;
};

// Materialized result -> rows of text (values as DuckDB prints them; NULL -> nullopt).
QueryEngine::Rows ToRows(duckdb_result& result) {
  QueryEngine::Rows rows;
  idx_t columns = duckdb_column_count(&result);
  idx_t count = duckdb_row_count(&result);
  rows.reserve(count);
  for (idx_t r = 0; r < count; ++r) {
    std::vector<std::optional<std::string>> row;
    row.reserve(columns);
    for (idx_t c = 0; c < columns; ++c) {
      if (duckdb_value_is_null(&result, c, r)) {
        row.emplace_back(std::nullopt);
        continue;
      }
      char* text = duckdb_value_varchar(&result, c, r);
      row.emplace_back(text != nullptr ? std::optional<std::string>(text) : std::nullopt);
      duckdb_free(text);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<QueryEngine::Rows> RunOn(duckdb_connection con, const std::string& sql) {
  ResultGuard res;
  if (duckdb_query(con, sql.c_str(), &res.result) != DuckDBSuccess)
    return DuckError(duckdb_result_error(&res.result));
  return ToRows(res.result);
}

// "line L:C: " for a byte offset into `sql`.
std::string LinePrefix(const std::string& sql, std::size_t offset) {
  int line = 1;
  int col = 1;
  for (std::size_t i = 0; i < sql.size() && i < offset; ++i) {
    if (sql[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ":" + std::to_string(col) + ": ";
}

// A pooled connection and the statements every query runs on it, prepared once per connection:
// preparing json_serialize_sql / json_deserialize_sql costs more than running them.
struct PooledConnection {
  duckdb_connection con = nullptr;
  duckdb_prepared_statement serialize = nullptr;    // SELECT json_serialize_sql($1::VARCHAR)
  duckdb_prepared_statement deserialize = nullptr;  // SELECT json_deserialize_sql($1::JSON)
  PooledConnection() = default;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection() {
    duckdb_destroy_prepare(&serialize);
    duckdb_destroy_prepare(&deserialize);
    if (con != nullptr) duckdb_disconnect(&con);
  }
};

// Runs `*stmt` (prepared from `sql` on first use) with one VARCHAR parameter; returns the single
// VARCHAR value of its first row.
Result<std::string> RunPreparedScalar(duckdb_connection con, duckdb_prepared_statement* stmt, const char* sql,
                                      const std::string& param) {
  if (*stmt == nullptr && duckdb_prepare(con, sql, stmt) != DuckDBSuccess) {
    Error e = EngineError(duckdb_prepare_error(*stmt));
    duckdb_destroy_prepare(stmt);
    return e;
  }
  if (duckdb_bind_varchar_length(*stmt, 1, param.data(), param.size()) != DuckDBSuccess)
    return EngineError("cannot bind parameter");
  ResultGuard res;
  if (duckdb_execute_prepared(*stmt, &res.result) != DuckDBSuccess)
    return DuckError(duckdb_result_error(&res.result));
  if (duckdb_row_count(&res.result) != 1 || duckdb_value_is_null(&res.result, 0, 0))
    return EngineError("unexpected empty result");
  char* text = duckdb_value_varchar(&res.result, 0, 0);
  std::string out = text != nullptr ? text : "";
  duckdb_free(text);
  return out;
}

// A connection borrowed from the pool for one call.
class DuckQueryEngine;
class Lease {
 public:
  Lease(DuckQueryEngine* engine, std::unique_ptr<PooledConnection> con)
      : engine_(engine), con_(std::move(con)) {}
  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  duckdb_connection get() const { return con_->con; }
  PooledConnection& pooled() const { return *con_; }

 private:
  DuckQueryEngine* engine_;
  std::unique_ptr<PooledConnection> con_;
};

// Answers of SqlHost::QueryImmutable, shared by all queries; bounded (cleared when full).
class ImmutableCache {
 public:
  std::optional<QueryEngine::Rows> Find(const std::string& sql) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(sql);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void Put(const std::string& sql, const QueryEngine::Rows& rows) {
    std::size_t size = sql.size();
    for (const auto& row : rows)
      for (const auto& v : row) size += v ? v->size() + 16 : 16;
    if (size > kMaxBytes / 16) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes_ + size > kMaxBytes) {
      entries_.clear();
      bytes_ = 0;
    }
    if (entries_.emplace(sql, rows).second) bytes_ += size;
  }

 private:
  static constexpr std::size_t kMaxBytes = 32u << 20;
  std::mutex mu_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::string, QueryEngine::Rows> entries_;
};

// Answers of pure text -> text functions (parse, deparse), keyed by a kind byte and the input; shared
// by all queries, bounded (cleared when full).
class TextCache {
 public:
  std::optional<std::string> Find(char kind, const std::string& input) {
    std::string key = kind + input;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void Put(char kind, const std::string& input, const std::string& output) {
    std::size_t size = input.size() + output.size() + 64;
    if (size > kMaxBytes / 16) return;
    std::string key = kind + input;
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes_ + size > kMaxBytes) {
      entries_.clear();
      bytes_ = 0;
    }
    if (entries_.emplace(std::move(key), output).second) bytes_ += size;
  }

 private:
  static constexpr std::size_t kMaxBytes = 32u << 20;
  std::mutex mu_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::string, std::string> entries_;
};

// SqlHost over one connection.
class ConnectionHost : public internal::SqlHost {
 public:
  ConnectionHost(PooledConnection& pooled, ImmutableCache& cache, TextCache& texts, std::string link_root)
      : pooled_(pooled), con_(pooled.con), cache_(cache), texts_(texts), link_root_(std::move(link_root)) {}

  Result<json::value> Parse(const std::string& sql) override {
    // Parsing is a pure function of the text: the parse tree of a statement seen before is reused.
    std::optional<std::string> text = texts_.Find('P', sql);
    if (!text) {
      auto parsed =
          RunPreparedScalar(con_, &pooled_.serialize, "SELECT json_serialize_sql($1::VARCHAR)", sql);
      if (!parsed) return std::move(parsed).error();
      text = std::move(*parsed);
      texts_.Put('P', sql, *text);
    }
    json::value doc;
    try {
      doc = json::parse(*text);
    } catch (const std::exception& e) {
      return EngineError(std::string("cannot read the parse tree: ") + e.what());
    }
    const json::object* obj = doc.if_object();
    if (obj == nullptr) return EngineError("unexpected parse tree");
    const json::value* err = obj->if_contains("error");
    if (err != nullptr && err->is_bool() && err->get_bool()) {
      std::string message;
      if (const json::value* m = obj->if_contains("error_message"); m != nullptr && m->is_string())
        message = std::string(m->get_string());
      const json::value* type = obj->if_contains("error_type");
      std::string type_text = type != nullptr && type->is_string() ? std::string(type->get_string()) : "";
      if (type_text == "not implemented") {
        // json_serialize_sql only serializes SELECT statements: everything else (COPY, ATTACH, SET,
        // PRAGMA, INSERT, CREATE, ...) lands here.
        return internal::Refused("Only SELECT statements can run; this statement");
      }
      std::size_t position = 0;
      if (const json::value* p = obj->if_contains("position"); p != nullptr && p->is_string()) {
        try {
          position = std::stoul(std::string(p->get_string()));
        } catch (...) {
          position = 0;
        }
      }
      return MakeError(internal::kSyntaxError,
                       std::string(internal::kSyntaxError) + ": " + LinePrefix(sql, position) + message);
    }
    return doc;
  }

  Result<std::string> Deparse(const json::value& document) override {
    std::string tree = json::serialize(document);
    if (auto hit = texts_.Find('D', tree)) return std::move(*hit);
    auto sql = RunPreparedScalar(con_, &pooled_.deserialize, "SELECT json_deserialize_sql($1::JSON)", tree);
    if (sql) texts_.Put('D', tree, *sql);
    return sql;
  }

  Result<QueryEngine::Rows> Query(const std::string& sql) override { return RunOn(con_, sql); }

  Result<QueryEngine::Rows> QueryImmutable(const std::string& sql) override {
    if (auto hit = cache_.Find(sql)) return std::move(*hit);
    auto rows = RunOn(con_, sql);
    if (rows) cache_.Put(sql, *rows);
    return rows;
  }

  std::string LinkRoot() const override { return link_root_; }

 private:
  PooledConnection& pooled_;
  duckdb_connection con_;
  ImmutableCache& cache_;
  TextCache& texts_;
  std::string link_root_;
};

// Interrupts connections whose deadline (QueryContext::timeout) passes: one thread for all queries,
// so a query does not start and join a thread of its own.
class Watchdog {
 public:
  Watchdog() : thread_([this] { Run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Arms a deadline for `con`; returns its ticket for Disarm.
  std::uint64_t Arm(duckdb_connection con, std::chrono::steady_clock::time_point at) {
    std::lock_guard<std::mutex> lock(mu_);
    std::uint64_t ticket = ++last_ticket_;
    armed_.emplace(ticket, Entry{con, at});
    cv_.notify_all();
    return ticket;
  }
  // Disarms a ticket; true if its deadline had passed (the connection was interrupted).
  bool Disarm(std::uint64_t ticket) {
    std::lock_guard<std::mutex> lock(mu_);
    armed_.erase(ticket);
    return expired_.erase(ticket) > 0;
  }

 private:
  struct Entry {
    duckdb_connection con;
    std::chrono::steady_clock::time_point at;
  };

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      auto now = std::chrono::steady_clock::now();
      auto next = std::chrono::steady_clock::time_point::max();
      for (auto it = armed_.begin(); it != armed_.end();) {
        if (it->second.at <= now) {
          // Under the lock: Disarm cannot return (and the connection go back to the pool) meanwhile.
          duckdb_interrupt(it->second.con);
          expired_.insert(it->first);
          it = armed_.erase(it);
        } else {
          next = std::min(next, it->second.at);
          ++it;
        }
      }
      if (next == std::chrono::steady_clock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, next);
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t last_ticket_ = 0;
  std::unordered_map<std::uint64_t, Entry> armed_;
  std::unordered_set<std::uint64_t> expired_;
  std::thread thread_;  // last: starts after the members it uses
};

// A deadline armed on the engine's Watchdog for the duration of one statement.
class Deadline {
 public:
  Deadline(Watchdog& watchdog, duckdb_connection con, std::chrono::milliseconds timeout)
      : watchdog_(watchdog), ticket_(watchdog.Arm(con, std::chrono::steady_clock::now() + timeout)) {}
  ~Deadline() { Finish(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  // Disarms the deadline (once); true if it had passed.
  bool expired() {
    Finish();
    return expired_;
  }

 private:
  void Finish() {
    if (done_) return;
    done_ = true;
    expired_ = watchdog_.Disarm(ticket_);
  }

  Watchdog& watchdog_;
  std::uint64_t ticket_;
  bool done_ = false;
  bool expired_ = false;
};

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

void ReplaceAll(std::string& s, const std::string& from, const std::string& to);

class DuckQueryEngine final : public QueryEngine {
 public:
  DuckQueryEngine(duckdb_database db, EngineOptions options) : db_(db), options_(std::move(options)) {}
  ~DuckQueryEngine() override {
    {
      std::lock_guard<std::mutex> lock(sweep_mu_);
      if (sweeper_.joinable()) sweeper_.join();
    }
    idle_.clear();
    duckdb_close(&db_);
  }

  Status Initialize();

  // The public calls clean their errors (CleanError) so no local path reaches a client.
  Result<SelectOutcome> RunSelect(const std::string& sql, const QueryContext& ctx, TableResolver& resolver,
                                  const std::string& csv_path, Cancellation& cancel) override {
    internal::BindStats stats;
    auto r = RunSelectImpl(sql, ctx, resolver, csv_path, cancel, stats);
    if (!r) return CleanError(std::move(r).error(), stats);
    return r;
  }
  Result<WriteOutcome> RunSelectIntoFiles(const std::string& sql, const QueryContext& ctx,
                                          TableResolver& resolver, const WriteSpec& spec,
                                          Cancellation& cancel) override {
    internal::BindStats stats;
    auto r = RunSelectIntoFilesImpl(sql, ctx, resolver, spec, cancel, stats);
    if (!r) return CleanError(std::move(r).error(), stats);
    return r;
  }
  Result<std::vector<ResultColumn>> DescribeSelect(const std::string& sql, const QueryContext& ctx,
                                                   TableResolver& resolver) override {
    internal::BindStats stats;
    auto r = DescribeSelectImpl(sql, ctx, resolver, stats);
    if (!r) return CleanError(std::move(r).error(), stats);
    return r;
  }
  Result<Rows> ExecuteTrusted(const std::string& sql) override;

  Result<SelectOutcome> RunSelectImpl(const std::string& sql, const QueryContext& ctx,
                                      TableResolver& resolver, const std::string& csv_path,
                                      Cancellation& cancel, internal::BindStats& bind_stats);
  // Removes the Hive links whose data file is gone (deleted or overwritten objects), at most once per
  // EngineOptions::link_sweep_interval_s: without it the link directory grows with every file ever read.
  void MaybeSweepLinks();
  Result<WriteOutcome> RunSelectIntoFilesImpl(const std::string& sql, const QueryContext& ctx,
                                              TableResolver& resolver, const WriteSpec& spec,
                                              Cancellation& cancel, internal::BindStats& bind_stats);
  Result<std::vector<ResultColumn>> DescribeSelectImpl(const std::string& sql, const QueryContext& ctx,
                                                       TableResolver& resolver,
                                                       internal::BindStats& bind_stats);
  Error CleanError(Error error, const internal::BindStats& stats) const;
  // Local paths in `text` -> the objects' names, or a placeholder.
  std::string ScrubPaths(std::string text, const internal::BindStats& stats) const;

  Result<std::unique_ptr<Lease>> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<PooledConnection> con = std::move(idle_.back());
        idle_.pop_back();
        return std::make_unique<Lease>(this, std::move(con));
      }
    }
    auto con = std::make_unique<PooledConnection>();
    if (duckdb_connect(db_, &con->con) != DuckDBSuccess)
      return EngineError("cannot open a DuckDB connection");
    return std::make_unique<Lease>(this, std::move(con));
  }
  void Release(std::unique_ptr<PooledConnection> con) {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(con));
  }

 private:
  // Column names and DuckDB type names of a compiled statement (DESCRIBE runs the binder only).
  Result<std::vector<std::pair<std::string, std::string>>> Describe(PooledConnection& pooled,
                                                                    const std::string& sql);
  // Runs `sql` (already compiled) with cancellation and the deadline; `sink` gets each chunk. kStream
  // prepares the statement and streams its result (memory bounded by the chunks in flight); kMaterialize
  // runs it in one go: DuckDB binds a prepared statement over files twice (prepare, then run), so for a
  // small result one bind saves about half a millisecond. `sql` is always one statement the engine built
  // (duckdb_query would run several; duckdb_prepare refuses them).
  enum class ResultMode { kStream, kMaterialize };
  Status Execute(duckdb_connection con, const std::string& sql, const QueryContext& ctx, Cancellation& cancel,
                 ResultMode mode, const std::function<Status(duckdb_data_chunk)>& sink);

  duckdb_database db_;
  EngineOptions options_;
  internal::SandboxPolicy policy_;
  std::vector<std::string> private_prefixes_;  // readable and scratch directories, as DuckDB sees them
  ImmutableCache immutable_;
  TextCache texts_;
  Watchdog watchdog_;
  std::string link_root_;  // ConnectionHost::LinkRoot: <scratch>/hive, or "" when unusable
  std::mutex sweep_mu_;    // guards the two below
  std::thread sweeper_;
  std::chrono::steady_clock::time_point next_sweep_{};
  std::atomic<bool> sweeping_{false};
  std::mutex mu_;
  std::vector<std::unique_ptr<PooledConnection>> idle_;
};

Lease::~Lease() { engine_->Release(std::move(con_)); }

std::string WithSlash(std::string dir) {
  if (dir.empty() || dir.back() != '/') dir += '/';
  return dir;
}

// DuckDB allocates through its bundled jemalloc, which hands memory freed for about a second back to the
// kernel. A server runs queries milliseconds apart, and each would fault its hash tables and buffers in
// afresh (about 100 page faults, 1 ms of CPU, for a 25 ms aggregation). Keeping freed memory for
// `decay_ms` lets the next query reuse it; DuckDB still purges a thread's memory once it sits idle.
// jemalloc's control entry point is exported by libduckdb but is not DuckDB API: it is looked up at run
// time, and without it DuckDB's default stays.
void SetAllocatorDecay(int decay_ms) {
  if (decay_ms <= 0) return;
  using Mallctl = int (*)(const char*, void*, std::size_t*, void*, std::size_t);
  auto* mallctl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "duckdb_je_mallctl"));
  if (mallctl == nullptr) return;
  ssize_t decay = decay_ms;
  // Arenas created from now on, then the existing ones (an arena not created yet refuses: ignored).
  for (const char* name : {"arenas.dirty_decay_ms", "arenas.muzzy_decay_ms"})
    mallctl(name, nullptr, nullptr, &decay, sizeof(decay));
  unsigned arenas = 0;
  std::size_t size = sizeof(arenas);
  if (mallctl("arenas.narenas", &arenas, &size, nullptr, 0) != 0) return;
  for (unsigned i = 0; i < arenas; ++i) {
    for (const char* kind : {".dirty_decay_ms", ".muzzy_decay_ms"}) {
      std::string name = "arena." + std::to_string(i) + kind;
      mallctl(name.c_str(), nullptr, nullptr, &decay, sizeof(decay));
    }
  }
}

Status DuckQueryEngine::Initialize() {
  SetAllocatorDecay(options_.allocator_decay_ms);
  auto lease = Acquire();
  if (!lease) return std::move(lease).error();
  duckdb_connection con = (*lease)->get();
  std::error_code ec;
  fs::create_directories(options_.scratch_dir, ec);
  if (ec)
    return EngineError("cannot create the scratch directory " + options_.scratch_dir + ": " + ec.message());
  std::string tmp =
      WithSlash(fs::absolute(options_.scratch_dir, ec).lexically_normal().string()) + "duckdb_tmp";
  fs::create_directories(tmp, ec);
  // Links to data files (binder.cpp LinkFiles, HiveScan). DuckDB reads key=value folders anywhere in
  // a path as partitions, so the root itself must have no '='.
  std::string links = WithSlash(fs::absolute(options_.scratch_dir, ec).lexically_normal().string()) + "hive";
  std::error_code link_ec;
  fs::remove_all(links, link_ec);
  fs::create_directories(links, link_ec);
  if (!link_ec && links.find('=') == std::string::npos) link_root_ = links;

  // Both the absolute path as given and its canonical form (symlinks resolved): DuckDB compares the
  // paths it is asked to open as strings against these prefixes.
  std::vector<std::string> dirs = options_.readable_dirs;
  dirs.push_back(options_.scratch_dir);
  std::vector<std::string> prefixes;
  for (const std::string& dir : dirs) {
    std::error_code ignored;
    prefixes.push_back(WithSlash(fs::absolute(dir, ignored).lexically_normal().string()));
    fs::path canonical = fs::weakly_canonical(dir, ignored);
    if (!canonical.empty()) prefixes.push_back(WithSlash(canonical.string()));
  }
  private_prefixes_ = prefixes;
  std::string allowed = "[";
  for (std::size_t i = 0; i < prefixes.size(); ++i) {
    if (i > 0) allowed += ", ";
    allowed += QuoteLiteral(prefixes[i]);
  }
  allowed += "]";

  std::uint64_t memory = options_.memory_limit_bytes;
  if (memory == 0) {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page_size = ::sysconf(_SC_PAGE_SIZE);
    memory = pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * page_size / 2 : (1ULL << 30);
  }
  int threads =
      options_.threads > 0 ? options_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;

  // Order matters: directory allowlists and external access must be set before the lock; the macros
  // are catalog entries, not settings, and are created after the settings but before users arrive.
  std::vector<std::string> setup = {
      "SET allowed_directories = " + allowed,
      "SET temp_directory = " + QuoteLiteral(tmp),
      "SET memory_limit = '" + std::to_string(std::max<std::uint64_t>(memory / 1024, 1024)) + "KiB'",
      "SET threads = " + std::to_string(threads),
      "SET autoinstall_known_extensions = false",
      "SET autoload_known_extensions = false",
      "SET allow_community_extensions = false",
      "SET allow_persistent_secrets = false",
      // Trino semantics: integer / integer is integer division; NULLs sort last; times in UTC.
      "SET integer_division = true",
      "SET default_null_order = 'nulls_last'",
      "SET TimeZone = 'UTC'",
      // Blobs are immutable: caching Parquet footers saves re-reading them for DESCRIBE + run.
      "SET parquet_metadata_cache = true",
      "SET enable_external_access = false",
  };
  for (const std::string& macro : internal::DialectMacros()) setup.push_back(macro);
  setup.push_back("SET lock_configuration = true");
  if (!internal::RegisterTrinoFunctions(con))
    return EngineError("DuckDB setup failed: registering functions");
  for (const std::string& sql : setup) {
    auto r = RunOn(con, sql);
    if (!r) return EngineError("DuckDB setup failed (" + sql + "): " + r.error().message);
  }
  auto names = RunOn(con,
                     "SELECT lower(view_name) FROM duckdb_views() UNION SELECT lower(table_name) FROM "
                     "duckdb_tables() UNION SELECT lower(schema_name) FROM duckdb_schemas() UNION SELECT "
                     "lower(database_name) FROM duckdb_databases()");
  if (!names) return std::move(names).error();
  for (const auto& row : *names) {
    if (row[0]) policy_.builtin_relations.insert(*row[0]);
  }
  auto aggregates = RunOn(
      con, "SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'");
  if (!aggregates) return std::move(aggregates).error();
  for (const auto& row : *aggregates) {
    if (row[0]) policy_.aggregate_functions.insert(*row[0]);
  }
  return Status::Ok();
}

Result<QueryEngine::Rows> DuckQueryEngine::ExecuteTrusted(const std::string& sql) {
  auto lease = Acquire();
  if (!lease) return std::move(lease).error();
  return RunOn((*lease)->get(), sql);
}

Result<std::vector<std::pair<std::string, std::string>>> DuckQueryEngine::Describe(PooledConnection& pooled,
                                                                                   const std::string& sql) {
  // The result types of a compiled statement depend only on its text: tables are bound to immutable
  // files and the macros never change.
  ConnectionHost host(pooled, immutable_, texts_, link_root_);
  auto rows = host.QueryImmutable("DESCRIBE " + sql);
  if (!rows) return std::move(rows).error();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : *rows) {
    if (row.size() < 2 || !row[0] || !row[1]) return EngineError("unexpected DESCRIBE output");
    out.emplace_back(*row[0], *row[1]);
  }
  return out;
}

Status DuckQueryEngine::Execute(duckdb_connection con, const std::string& sql, const QueryContext& ctx,
                                Cancellation& cancel, ResultMode mode,
                                const std::function<Status(duckdb_data_chunk)>& sink) {
  if (cancel.cancelled()) return MakeError("CANCELLED", "Query was cancelled");
  PreparedGuard prep;
  if (mode == ResultMode::kStream && duckdb_prepare(con, sql.c_str(), &prep.stmt) != DuckDBSuccess)
    return DuckError(duckdb_prepare_error(prep.stmt));

  cancel.SetInterrupt([con] { duckdb_interrupt(con); });
  struct ClearOnExit {
    Cancellation& c;
    ~ClearOnExit() { c.ClearInterrupt(); }
  } clear{cancel};
  // Cancel() may have run between the check above and SetInterrupt.
  if (cancel.cancelled()) return MakeError("CANCELLED", "Query was cancelled");
  Deadline deadline(watchdog_, con, ctx.timeout);

  auto failure = [&](const char* message) -> Error {
    if (cancel.cancelled()) return MakeError("CANCELLED", "Query was cancelled");
    if (deadline.expired())
      return MakeError("TIMEOUT", "Query timeout: the query ran longer than " +
                                      std::to_string(ctx.timeout.count()) + " ms and was stopped");
    return DuckError(message);
  };

  ResultGuard res;
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
  if (cancel.cancelled()) return MakeError("CANCELLED", "Query was cancelled");
  return Status::Ok();
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

void SweepDanglingLinks(const std::string& root) {
  std::error_code ec;
  std::vector<fs::path> dangling;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    if (it->is_symlink(entry_ec) && !fs::exists(it->path(), entry_ec)) dangling.push_back(it->path());
  }
  for (const fs::path& link : dangling) {
    fs::remove(link, ec);
    fs::remove(link.parent_path(), ec);  // a link's own directory (binder.cpp LinkFiles), once empty
  }
}

void DuckQueryEngine::MaybeSweepLinks() {
  if (link_root_.empty()) return;
  std::lock_guard<std::mutex> lock(sweep_mu_);
  auto now = std::chrono::steady_clock::now();
  if (now < next_sweep_ || sweeping_) return;
  if (sweeper_.joinable()) sweeper_.join();  // finished: sweeping_ is false
  next_sweep_ = now + std::chrono::seconds(options_.link_sweep_interval_s);
  if (options_.link_sweep_interval_s <= 0) {
    SweepDanglingLinks(link_root_);
    return;
  }
  sweeping_ = true;
  sweeper_ = std::thread([this] {
    SweepDanglingLinks(link_root_);
    sweeping_ = false;
  });
}

Result<SelectOutcome> DuckQueryEngine::RunSelectImpl(const std::string& sql, const QueryContext& ctx,
                                                     TableResolver& resolver, const std::string& csv_path,
                                                     Cancellation& cancel, internal::BindStats& bind_stats) {
  auto start = std::chrono::steady_clock::now();
  MaybeSweepLinks();
  auto lease = Acquire();
  if (!lease) return std::move(lease).error();
  duckdb_connection con = (*lease)->get();
  ConnectionHost host((*lease)->pooled(), immutable_, texts_, link_root_);
  ExplainRequest explain = ParseExplain(sql);
  auto compiled = internal::CompileUserQuery(explain.is_explain ? explain.statement : sql, ctx, resolver,
                                             host, policy_, bind_stats);
  if (!compiled) return std::move(compiled).error();
  if (explain.is_explain) {
    // EXPLAIN [ANALYZE]: DuckDB's plan of the bound statement, one line per row, as Athena returns
    // the plan in a single "Query Plan" column.
    compiled->sql = std::string(explain.analyze ? "EXPLAIN ANALYZE " : "EXPLAIN ") + compiled->sql;
  }
  auto described = explain.is_explain ? Result<std::vector<std::pair<std::string, std::string>>>(
                                            std::vector<std::pair<std::string, std::string>>{
                                                {"explain_key", "VARCHAR"}, {"explain_value", "VARCHAR"}})
                                      : Describe((*lease)->pooled(), compiled->sql);
  if (!described) return std::move(described).error();

  if (explain.is_explain) {
    SelectOutcome outcome;
    outcome.stats.bytes_scanned = explain.analyze ? compiled->stats.bytes_scanned : 0;
    outcome.columns.push_back(DuckDbTypeToAthena("Query Plan", "VARCHAR"));
    outcome.stats.planning_ms = MsSince(start);
    std::string text;
    Status run = Execute(con, compiled->sql, ctx, cancel, ResultMode::kMaterialize,
                         [&](duckdb_data_chunk chunk) -> Status {
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
                         });
    if (!run) return std::move(run).error();
    text = ScrubPaths(text, bind_stats);
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

  SelectOutcome outcome;
  outcome.stats.bytes_scanned = compiled->stats.bytes_scanned;
  // The result's columns are renamed __cenote_c1.. (names may repeat; positional #n references cannot be
  // passed to the rendering macros).
  // Doubles and reals come out as numbers and are formatted here (JavaNumberText), everything else as
  // text rendered in SQL.
  enum class Kind { kText, kDouble, kFloat };
  std::vector<Kind> kinds;
  std::string wrapper = "SELECT ";
  std::string aliases;
  for (std::size_t i = 0; i < described->size(); ++i) {
    const auto& [name, type] = (*described)[i];
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
  if (described->empty()) wrapper += "1";

  wrapper += " FROM (" + compiled->sql + ") AS __cenote_result";
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
  const idx_t columns = described->size();
  Status run = Execute(
      con, wrapper, ctx, cancel, compiled->bounded_result ? ResultMode::kMaterialize : ResultMode::kStream,
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

Result<std::vector<ResultColumn>> DuckQueryEngine::DescribeSelectImpl(const std::string& sql,
                                                                      const QueryContext& ctx,
                                                                      TableResolver& resolver,
                                                                      internal::BindStats& bind_stats) {
  auto lease = Acquire();
  if (!lease) return std::move(lease).error();
  ConnectionHost host((*lease)->pooled(), immutable_, texts_, link_root_);
  ExplainRequest explain = ParseExplain(sql);
  auto compiled = internal::CompileUserQuery(explain.is_explain ? explain.statement : sql, ctx, resolver,
                                             host, policy_, bind_stats);
  if (!compiled) return std::move(compiled).error();
  if (explain.is_explain) return std::vector<ResultColumn>{DuckDbTypeToAthena("Query Plan", "VARCHAR")};
  auto described = Describe((*lease)->pooled(), compiled->sql);
  if (!described) return std::move(described).error();
  std::vector<ResultColumn> columns;
  for (const auto& [name, type] : *described) columns.push_back(DuckDbTypeToAthena(name, type));
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

  auto lease = Acquire();
  if (!lease) return std::move(lease).error();
  duckdb_connection con = (*lease)->get();
  ConnectionHost host((*lease)->pooled(), immutable_, texts_, link_root_);
  auto compiled = internal::CompileUserQuery(sql, ctx, resolver, host, policy_, bind_stats);
  if (!compiled) return std::move(compiled).error();
  auto described = Describe((*lease)->pooled(), compiled->sql);
  if (!described) return std::move(described).error();

  // Athena's rule: partition columns go last, in partitioned_by order.
  WriteOutcome outcome;
  std::vector<std::string> data_columns;
  for (const auto& [name, type] : *described) {
    bool is_partition = false;
    for (const std::string& p : spec.partitioned_by) is_partition = is_partition || p == name;
    if (!is_partition) {
      outcome.columns.push_back(DuckDbTypeToAthena(name, type));
      data_columns.push_back(name);
    }
  }
  for (const std::string& p : spec.partitioned_by) {
    bool found = false;
    for (const auto& [name, type] : *described) {
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
  select += " FROM (" + compiled->sql + ") AS __cenote_result";

  std::error_code ec;
  fs::create_directories(spec.out_dir, ec);
  if (ec) return EngineError("cannot create " + spec.out_dir + ": " + ec.message());
  std::string prefix = spec.file_prefix.empty() ? "part" : spec.file_prefix;
  for (char c : prefix) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return EngineError("invalid file prefix " + prefix);
  }
  // Partitioned: DuckDB writes key=value/ folders named by FILENAME_PATTERN; otherwise one file.
  std::string target =
      spec.partitioned_by.empty() ? WithSlash(spec.out_dir) + prefix + "_0" + extension : spec.out_dir;
  std::string copy = "COPY (" + select + ") TO " + QuoteLiteral(target) + " (FORMAT " + format;
  if (format == "PARQUET") {
    copy += ", COMPRESSION " + compression;
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
  Status run =
      Execute(con, copy, ctx, cancel, ResultMode::kMaterialize, [&](duckdb_data_chunk chunk) -> Status {
        // COPY returns one row with the number of rows written.
        if (duckdb_data_chunk_get_size(chunk) > 0) {
          duckdb_vector v = duckdb_data_chunk_get_vector(chunk, 0);
          rows = static_cast<std::int64_t*>(duckdb_vector_get_data(v))[0];
        }
        return Status::Ok();
      });
  if (!run) return std::move(run).error();

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
  outcome.stats.bytes_scanned = compiled->stats.bytes_scanned;
  outcome.stats.engine_ms = MsSince(start);
  return outcome;
}

// Keeps valid UTF-8 and replaces anything else (control characters, broken sequences) with '?', so
// a message about a binary file can still travel in a JSON error body.
std::string SanitizeUtf8(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size();) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool valid = len > 0 && i + len <= in.size();
    for (std::size_t k = 1; valid && k < len; ++k)
      valid = (static_cast<unsigned char>(in[i + k]) >> 6) == 0x2;
    if (!valid || (len == 1 && (c < 0x20 || c == 0x7f))) {
      out += (len == 1 && (c == '\n' || c == '\t')) ? ' ' : '?';
      ++i;
      continue;
    }
    out.append(in, i, len);
    i += len;
  }
  return out;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

Error DuckQueryEngine::CleanError(Error error, const internal::BindStats& stats) const {
  std::string& m = error.message;
  // One line, as Athena's StateChangeReason: DuckDB's hints and reader settings follow a blank line.
  if (auto cut = m.find("\n\n"); cut != std::string::npos) m.erase(cut);
  std::string joined;
  std::size_t start = 0;
  while (start <= m.size()) {
    std::size_t end = m.find('\n', start);
    std::string line = m.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.rfind("Original Line:", 0) != 0 && !line.empty()) joined += (joined.empty() ? "" : " ") + line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  m = joined;
  m = SanitizeUtf8(ScrubPaths(m, stats));
  return error;
}

std::string DuckQueryEngine::ScrubPaths(std::string m, const internal::BindStats& stats) const {
  // Local paths -> the object's name; any other path under Cenote's directories -> a placeholder.
  for (const auto& [path, name] : stats.file_names) ReplaceAll(m, path, name);
  for (const std::string& prefix : private_prefixes_) {
    for (std::size_t pos = m.find(prefix); pos != std::string::npos; pos = m.find(prefix, pos)) {
      std::size_t end = m.find_first_of(" '\"\n,;)]}", pos);
      m.replace(pos, end == std::string::npos ? std::string::npos : end - pos, "(data file)");
    }
  }
  return m;
}

}  // namespace

namespace {

class LazyQueryEngine final : public QueryEngine {
 public:
  explicit LazyQueryEngine(EngineOptions options) : options_(std::move(options)) {}

  Result<SelectOutcome> RunSelect(const std::string& sql, const QueryContext& ctx, TableResolver& resolver,
                                  const std::string& csv_path, Cancellation& cancel) override {
    auto engine = Get();
    if (!engine) return std::move(engine).error();
    return (*engine)->RunSelect(sql, ctx, resolver, csv_path, cancel);
  }
  Result<WriteOutcome> RunSelectIntoFiles(const std::string& sql, const QueryContext& ctx,
                                          TableResolver& resolver, const WriteSpec& spec,
                                          Cancellation& cancel) override {
    auto engine = Get();
    if (!engine) return std::move(engine).error();
    return (*engine)->RunSelectIntoFiles(sql, ctx, resolver, spec, cancel);
  }
  Result<std::vector<ResultColumn>> DescribeSelect(const std::string& sql, const QueryContext& ctx,
                                                   TableResolver& resolver) override {
    auto engine = Get();
    if (!engine) return std::move(engine).error();
    return (*engine)->DescribeSelect(sql, ctx, resolver);
  }
  Result<Rows> ExecuteTrusted(const std::string& sql) override {
    auto engine = Get();
    if (!engine) return std::move(engine).error();
    return (*engine)->ExecuteTrusted(sql);
  }

 private:
  Result<QueryEngine*> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!engine_) {
      auto opened = QueryEngine::Open(options_);
      if (!opened) return std::move(opened).error();
      engine_ = std::move(*opened);
    }
    return engine_.get();
  }

  const EngineOptions options_;
  std::mutex mu_;
  std::unique_ptr<QueryEngine> engine_;  // guarded by mu_ until set, then immutable
};

}  // namespace

Result<std::unique_ptr<QueryEngine>> QueryEngine::OpenLazily(const EngineOptions& options) {
  if (options.scratch_dir.empty()) return MakeError("InvalidInput", "EngineOptions::scratch_dir is required");
  return std::unique_ptr<QueryEngine>(std::make_unique<LazyQueryEngine>(options));
}

Result<std::unique_ptr<QueryEngine>> QueryEngine::Open(const EngineOptions& options) {
  if (options.scratch_dir.empty()) return MakeError("InvalidInput", "EngineOptions::scratch_dir is required");
  duckdb_database db = nullptr;
  duckdb_config config = nullptr;
  if (duckdb_create_config(&config) != DuckDBSuccess) return EngineError("cannot create a DuckDB config");
  duckdb_set_config(config, "autoinstall_known_extensions", "false");
  duckdb_set_config(config, "autoload_known_extensions", "false");
  duckdb_set_config(config, "allow_community_extensions", "false");
  char* error = nullptr;
  duckdb_state st = duckdb_open_ext(nullptr, &db, config, &error);
  duckdb_destroy_config(&config);
  if (st != DuckDBSuccess) {
    std::string message = error != nullptr ? error : "unknown error";
    duckdb_free(error);
    return EngineError("cannot open DuckDB: " + message);
  }
  auto engine = std::make_unique<DuckQueryEngine>(db, options);
  Status init = engine->Initialize();
  if (!init) return std::move(init).error();
  return std::unique_ptr<QueryEngine>(std::move(engine));
}

}  // namespace cenote::query
