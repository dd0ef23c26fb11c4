// SqliteMetadataStore: MetadataStore on SQLite in WAL mode.
//
// Connections: one writer (guarded by writer_gate_; a write Transaction owns the lock from Begin to
// Commit/Rollback/destruction and runs BEGIN IMMEDIATE) and a pool of reader connections (BEGIN
// DEFERRED plus an immediate read, so the snapshot is taken at Begin). WAL lets readers run while
// the writer writes and gives each reader a stable snapshot. Every connection keeps its prepared
// statements cached by SQL text, so the per-statement cost after the first use is bind + step.
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/mutex.hpp"
#include "store/durable_file.hpp"
#include "store/free_space.hpp"
#include "store/metadata_store.hpp"

namespace cenote::store {

std::int64_t AsInt(const Value& v) {
  if (auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v)) return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

std::string AsText(const Value& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* b = std::get_if<Blob>(&v)) return b->bytes;
  if (auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  return {};
}

double AsReal(const Value& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (auto* s = std::get_if<std::string>(&v)) return std::strtod(s->c_str(), nullptr);
  return 0.0;
}

bool IsNull(const Value& v) { return std::holds_alternative<std::nullptr_t>(v); }

namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr std::size_t kMaxIdleReaders = 16;
constexpr std::size_t kMaxCachedStatements = 512;

Error SqliteError(sqlite3* db, int rc, std::string_view what, std::string_view sql = {}) {
  std::string message =
      fmt::format("metadata store: {}: {} ({})", what,
                  db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), sqlite3_errstr(rc));
  if (sql.empty()) {
    spdlog::error("{}", message);
  } else {
    spdlog::error("{} in SQL: {}", message, sql);
  }
  // "database or disk is full": the client gets the same non-retryable 507 as a refused write, without
  // the database's path.
  if ((rc & 0xff) == SQLITE_FULL) return InsufficientStorage();
  return InternalError(std::move(message));
}

bool IsBlank(std::string_view s) {
  for (char c : s) {
    if (!std::isspace(static_cast<unsigned char>(c)) && c != ';') return false;
  }
  return true;
}

// The single-writer lock. Not a std::mutex: a write transaction may be committed or destroyed on a
// different thread than the one that began it (a coroutine resumed on another pool thread), and
// unlocking a std::mutex from a thread that does not own it is undefined behaviour.
class WriterGate {
 public:
  void Acquire() {
    MutexLock lock(mu_);
    while (busy_) cv_.Wait(lock);
    busy_ = true;
  }
  void Release() {
    {
      MutexLock lock(mu_);
      busy_ = false;
    }
    cv_.Signal();
  }

 private:
  Mutex mu_;
  CondVar cv_{mu_};
  bool busy_ GUARDED_BY(mu_) = false;
};

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }

  Status Open(const std::string& path, bool reader) {
    // NOMUTEX: a connection is used by one thread at a time (the transaction that holds it), so
    // SQLite's per-connection mutex would be pure overhead.
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "open " + path);
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    // journal_mode=WAL is persistent in the file; setting it on every connection is harmless and
    // covers a database created by an older build. synchronous=FULL: the WAL is fsynced on every
    // commit, so a transaction acknowledged by Commit survives power loss (NORMAL would not).
    std::string pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
    if (reader) pragmas += " PRAGMA query_only=ON;";
    CENOTE_RETURN_IF_ERROR(ExecScript(pragmas));
    return Status::Ok();
  }

  // Runs semicolon-separated statements without parameters (pragmas, migrations). Not cached.
  Status ExecScript(std::string_view script) {
    const char* tail = script.data();
    const char* end = script.data() + script.size();
    while (tail < end && !IsBlank(std::string_view(tail, static_cast<std::size_t>(end - tail)))) {
      sqlite3_stmt* stmt = nullptr;
      const char* next = nullptr;
      int rc = sqlite3_prepare_v2(db_, tail, static_cast<int>(end - tail), &stmt, &next);
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare", std::string_view(tail, end - tail));
      if (stmt != nullptr) {
        do {
          rc = sqlite3_step(stmt);
        } while (rc == SQLITE_ROW);
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) return SqliteError(db_, rc, "exec", std::string_view(tail, next - tail));
      }
      tail = next;
    }
    return Status::Ok();
  }

  // Runs one statement; collects rows into `rows` (if non-null) and stops after `limit` rows.
  // Returns sqlite3_changes64 for the statement.
  Result<std::int64_t> Run(std::string_view sql, const std::vector<Value>& params, std::vector<Row>* rows,
                           std::size_t limit) {
    CENOTE_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    // Reset and unbind on every exit: bound TEXT/BLOB values point into `params` (SQLITE_STATIC).
    struct ResetOnExit {
      sqlite3_stmt* stmt;
      ~ResetOnExit() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
      }
    } reset{stmt};
    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return InternalError(fmt::format("metadata store: statement takes {} parameter(s), {} given: {}",
                                       expected, params.size(), sql));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      const Value& v = params[i];
      if (std::holds_alternative<std::nullptr_t>(v)) {
        rc = sqlite3_bind_null(stmt, idx);
      } else if (auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
      } else if (auto* b = std::get_if<Blob>(&v)) {
        // A null data pointer would bind NULL; "" keeps an empty BLOB a BLOB.
        const char* data = b->bytes.empty() ? "" : b->bytes.data();
        rc = sqlite3_bind_blob64(stmt, idx, data, b->bytes.size(), SQLITE_STATIC);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "bind", sql);
    }
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return SqliteError(db_, rc, "step", sql);
      if (rows == nullptr) continue;
      if (rows->size() >= limit) break;
      int columns = sqlite3_column_count(stmt);
      Row row;
      row.reserve(static_cast<std::size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_INTEGER:
            row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT:
            row.emplace_back(sqlite3_column_double(stmt, c));
            break;
          case SQLITE_TEXT: {
            auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
            row.emplace_back(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
            break;
          }
          case SQLITE_BLOB: {
            auto* p = static_cast<const char*>(sqlite3_column_blob(stmt, c));
            std::size_t n = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
            row.emplace_back(Blob{n == 0 ? std::string() : std::string(p, n)});
            break;
          }
          default:
            row.emplace_back(nullptr);
        }
      }
      rows->push_back(std::move(row));
    }
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  bool InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
  sqlite3* db() const { return db_; }

 private:
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    if (cache_.size() >= kMaxCachedStatements) {
      // SQL built at run time (IN lists of varying length) would otherwise grow the cache forever.
      // Nothing is mid-step here: Run() finishes each statement before returning.
      for (auto& [text, cached] : cache_) sqlite3_finalize(cached);
      cache_.clear();
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &stmt, &tail);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare", sql);
    if (stmt == nullptr) return InternalError(fmt::format("metadata store: empty statement: '{}'", sql));
    if (!IsBlank(std::string_view(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail)))) {
      sqlite3_finalize(stmt);
      return InternalError(fmt::format("metadata store: one statement per call expected: {}", sql));
    }
    cache_.emplace(std::move(key), stmt);
    return stmt;
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteMetadataStore;

class SqliteTransaction final : public Transaction {
 public:
  // Write transaction: `gate` is already acquired; the transaction releases it when it ends.
  SqliteTransaction(SqliteMetadataStore& store, Connection& conn, WriterGate& gate)
      : store_(store), conn_(&conn), gate_(&gate), write_(true) {}
  // Read transaction: owns a pooled reader connection, returned to the pool at the end.
  SqliteTransaction(SqliteMetadataStore& store, std::unique_ptr<Connection> reader)
      : store_(store), conn_(reader.get()), reader_(std::move(reader)), write_(false) {}
  ~SqliteTransaction() override { Rollback(); }

  Result<std::int64_t> Exec(std::string_view sql, const std::vector<Value>& params) override {
    if (!active_) return InternalError("metadata store: transaction already finished");
    auto r = conn_->Run(sql, params, nullptr, 0);
    NoteAutoRollback();
    return r;
  }

  Result<std::vector<Row>> Query(std::string_view sql, const std::vector<Value>& params) override {
    if (!active_) return InternalError("metadata store: transaction already finished");
    std::vector<Row> rows;
    auto r = conn_->Run(sql, params, &rows, SIZE_MAX);
    NoteAutoRollback();
    CENOTE_RETURN_IF_ERROR(r);
    return rows;
  }

  Result<std::optional<Row>> QueryOne(std::string_view sql, const std::vector<Value>& params) override {
    if (!active_) return InternalError("metadata store: transaction already finished");
    std::vector<Row> rows;
    auto r = conn_->Run(sql, params, &rows, 1);
    NoteAutoRollback();
    CENOTE_RETURN_IF_ERROR(r);
    if (rows.empty()) return std::optional<Row>();
    return std::optional<Row>(std::move(rows.front()));
  }

  Status Commit() override;
  void Rollback() override;

  Status Start() {
    if (write_) {
      // A ROLLBACK that failed earlier can leave the writer inside a transaction; clear it rather
      // than fail every later write.
      if (conn_->InTransaction()) (void)conn_->ExecScript("ROLLBACK");
      // IMMEDIATE takes SQLite's write lock now, so a second process on the same file fails here
      // (after busy_timeout) rather than at the first write.
      CENOTE_RETURN_IF_ERROR(conn_->Run("BEGIN IMMEDIATE", {}, nullptr, 0));
      return Status::Ok();
    }
    // Run (not ExecScript): the prepared statement is cached, saving a parse on every GET.
    CENOTE_RETURN_IF_ERROR(conn_->Run("BEGIN DEFERRED", {}, nullptr, 0));
    // A deferred transaction takes its snapshot at the first read; read now so the snapshot is the
    // database as of Begin, which is what callers expect from "a consistent snapshot".
    CENOTE_RETURN_IF_ERROR(conn_->Run("SELECT 1 FROM sqlite_schema LIMIT 1", {}, nullptr, 0));
    return Status::Ok();
  }

 private:
  // SQLite rolls the whole transaction back by itself on some errors (SQLITE_FULL, IOERR, NOMEM,
  // BUSY on COMMIT); then later statements would run in autocommit mode, outside any transaction.
  void NoteAutoRollback() {
    if (active_ && !conn_->InTransaction()) {
      spdlog::error("metadata store: SQLite rolled the transaction back after an error");
      broken_ = true;
    }
  }
  void Release();

  SqliteMetadataStore& store_;
  Connection* conn_;
  std::unique_ptr<Connection> reader_;
  WriterGate* gate_ = nullptr;  // non-null while this write transaction holds the gate
  bool write_;
  bool active_ = true;
  bool broken_ = false;
};

class SqliteMetadataStore final : public MetadataStore {
 public:
  explicit SqliteMetadataStore(std::string path) : path_(std::move(path)) {}

  Status Init() {
    CENOTE_RETURN_IF_ERROR(CreateDirectoriesDurably(ParentDirectory(path_)));
    auto writer = std::make_unique<Connection>();
    CENOTE_RETURN_IF_ERROR(writer->Open(path_, false));
    // After a large transaction the WAL file keeps its size until truncated; cap what stays behind.
    CENOTE_RETURN_IF_ERROR(writer->ExecScript("PRAGMA journal_size_limit=67108864"));
    std::vector<Row> rows;
    CENOTE_RETURN_IF_ERROR(writer->Run("PRAGMA journal_mode", {}, &rows, 1));
    if (rows.empty() || AsText(rows[0][0]) != "wal") {
      return InternalError("metadata store: could not enable WAL mode on " + path_);
    }
    writer_ = std::move(writer);
    // The database and its -wal/-shm files may have just been created: make their directory entries
    // durable, or a power loss right after the first commit could lose the whole database.
    return FsyncDirectory(ParentDirectory(path_));
  }

  Result<std::unique_ptr<Transaction>> Begin(Mode mode) override {
    std::unique_ptr<SqliteTransaction> txn;
    if (mode == Mode::kWrite) {
      writer_gate_.Acquire();
      txn = std::make_unique<SqliteTransaction>(*this, *writer_, writer_gate_);
    } else {
      CENOTE_ASSIGN_OR_RETURN(auto reader, AcquireReader());
      txn = std::make_unique<SqliteTransaction>(*this, std::move(reader));
    }
    auto started = txn->Start();
    if (!started) {
      txn->Rollback();
      return std::move(started).error();
    }
    return std::unique_ptr<Transaction>(std::move(txn));
  }

  Status Migrate(std::string_view component, const std::vector<std::string>& statements,
                 FreshSchema fresh) override {
    // One write transaction for every step this call applies (SQLite's DDL is transactional): a component's
    // schema moves from its old version to its newest at once, or not at all, for one commit (one fsync)
    // instead of one per step. The version is read inside it: concurrent Migrate calls (or processes) see
    // each other's result instead of applying the same step twice.
    CENOTE_ASSIGN_OR_RETURN(auto txn, Begin(Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("CREATE TABLE IF NOT EXISTS schema_versions ("
                  " component TEXT PRIMARY KEY, version INTEGER NOT NULL)"));
    CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT version FROM schema_versions WHERE component = ?",
                                                    {std::string(component)}));
    const std::int64_t from = row.has_value() ? AsInt((*row)[0]) : 0;
    const std::int64_t to = static_cast<std::int64_t>(statements.size());
    if (from >= to) return txn->Commit();
    if (from == 0 && fresh.version == to && !fresh.script.empty()) {
      CENOTE_RETURN_IF_ERROR(writer_->ExecScript(fresh.script));
      spdlog::debug("metadata store: created {} at schema version {}", component, to);
    } else {
      for (std::int64_t version = from + 1; version <= to; ++version) {
        // A version may hold several statements (a table and its indexes); the write transaction runs on
        // writer_, so the script is part of it.
        CENOTE_RETURN_IF_ERROR(writer_->ExecScript(statements[static_cast<std::size_t>(version - 1)]));
        // Step by step at debug; the platform logs one summary line (TakeMigrationSummary).
        spdlog::debug("metadata store: migrating {} to schema version {}", component, version);
      }
    }
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                  "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                  {std::string(component), to}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    MutexLock lock(migrations_mu_);
    migrations_.push_back(AppliedMigrations{std::string(component), from, to});
    return Status::Ok();
  }

  Result<std::vector<std::string>> SchemaStatements() override {
    CENOTE_ASSIGN_OR_RETURN(auto txn, Begin(Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            txn->Query("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND "
                                       "type IN ('table', 'index') AND tbl_name <> 'schema_versions' "
                                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                       "ORDER BY type DESC, name"));
    std::vector<std::string> statements;
    statements.reserve(rows.size());
    for (const auto& row : rows) statements.push_back(AsText(row[0]));
    return statements;
  }

  Status DeferDurability() override {
    // The writer connection is the only one that commits; the gate keeps any transaction off it meanwhile.
    writer_gate_.Acquire();
    Status st = writer_->ExecScript("PRAGMA synchronous=NORMAL");
    writer_gate_.Release();
    return st;
  }

  Status RestoreDurability() override {
    writer_gate_.Acquire();
    Status st = writer_->ExecScript("PRAGMA synchronous=FULL");
    writer_gate_.Release();
    CENOTE_RETURN_IF_ERROR(st);
    // What was committed meanwhile sits in the WAL (and, after a checkpoint, the database file) without
    // an fsync: sync both files, then their directory (they may have been created by this start).
    for (const std::string& file : {path_ + "-wal", path_}) {
      if (::access(file.c_str(), F_OK) != 0) continue;
      CENOTE_RETURN_IF_ERROR(FsyncFile(file));
    }
    return FsyncDirectory(ParentDirectory(path_));
  }

  std::string TakeMigrationSummary() override {
    std::vector<AppliedMigrations> applied;
    {
      MutexLock lock(migrations_mu_);
      applied.swap(migrations_);
    }
    std::string summary;
    std::int64_t steps = 0;
    for (const auto& m : applied) {
      if (!summary.empty()) summary += ", ";
      summary += m.from == 0 ? fmt::format("{} v{}", m.component, m.to)
                             : fmt::format("{} v{} -> v{}", m.component, m.from, m.to);
      steps += m.to - m.from;
    }
    if (summary.empty()) return summary;
    return fmt::format("{} ({} migration{})", summary, steps, steps == 1 ? "" : "s");
  }

  Result<std::unique_ptr<Connection>> AcquireReader() {
    {
      MutexLock lock(readers_mu_);
      if (!idle_readers_.empty()) {
        auto conn = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return conn;
      }
    }
    auto conn = std::make_unique<Connection>();
    CENOTE_RETURN_IF_ERROR(conn->Open(path_, true));
    return conn;
  }

  void ReleaseReader(std::unique_ptr<Connection> conn) {
    MutexLock lock(readers_mu_);
    if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(conn));
  }

 private:
  struct AppliedMigrations {
    std::string component;
    std::int64_t from = 0;  // version before
    std::int64_t to = 0;    // version after
  };

  std::string path_;
  WriterGate writer_gate_;  // held by the open write transaction
  std::unique_ptr<Connection> writer_;
  Mutex readers_mu_;
  std::vector<std::unique_ptr<Connection>> idle_readers_ GUARDED_BY(readers_mu_);
  Mutex migrations_mu_;
  std::vector<AppliedMigrations> migrations_ GUARDED_BY(migrations_mu_);  // since the last summary
};

Status SqliteTransaction::Commit() {
  if (!active_) return InternalError("metadata store: transaction already finished");
  if (broken_) {
    Rollback();
    return InternalError("metadata store: the transaction was rolled back after an earlier error");
  }
  auto r = conn_->Run("COMMIT", {}, nullptr, 0);
  if (!r) {
    Rollback();
    return std::move(r).error();
  }
  active_ = false;
  Release();
  return Status::Ok();
}

void SqliteTransaction::Rollback() {
  if (!active_) return;
  active_ = false;
  if (conn_->InTransaction()) {
    auto r = conn_->Run("ROLLBACK", {}, nullptr, 0);
    if (!r && reader_) reader_.reset();  // do not pool a connection in an unknown state
  }
  Release();
}

void SqliteTransaction::Release() {
  if (reader_) store_.ReleaseReader(std::move(reader_));
  if (gate_ != nullptr) {
    gate_->Release();
    gate_ = nullptr;
  }
}

}  // namespace

Result<std::unique_ptr<MetadataStore>> MetadataStore::OpenSqlite(const std::string& path) {
  // SQLite keeps global memory statistics behind one process-wide mutex taken on every allocation;
  // with many worker threads reading at once that mutex was the most contended lock of a small GET
  // (seen with strace -k). We never read the statistics. Must precede sqlite3_initialize; if another
  // part of the process already initialized SQLite, the call fails harmlessly.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  auto store = std::make_unique<SqliteMetadataStore>(path);
  CENOTE_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace cenote::store
