// Connections to the engine's DuckDB instance and the answers cached across them.
//
// - ConnectionPool: every QueryEngine call borrows a connection (a Lease) and gives it back when the Lease
//   goes; up to 16 idle connections are kept, each with the statements every query runs on it prepared
//   once (preparing json_serialize_sql / json_deserialize_sql costs more than running them).
// - QueryCaches: answers that cannot change, shared by all queries: DESCRIBE over data files (stored
//   objects never change under their paths) and the parse / deparse texts (pure functions of their
//   input). Bounded: a cache that would outgrow 32 MiB is cleared.
// - ConnectionHost: the SqlHost the statement stages (statement.hpp) run on, over one leased connection.
// The other caches of the engine live elsewhere: Parquet footers in DuckDB itself (parquet_metadata_cache,
// instance.cpp), links to data files in the LinkDirectory (link_directory.hpp).
//
// Thread safety: the pool and the caches are shared by all threads (each has one mutex); a Lease, its
// connection and a ConnectionHost belong to the one call that holds them. Ownership: the pool owns its
// idle connections and borrows the database, which must outlive it; every Lease must be gone before the
// pool is destroyed.
//
// Internal to src/query. Includes duckdb.h: only the engine's own translation units include this header.
#pragma once

#include <duckdb.h>

#include <boost/json/value.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/mutex.hpp"
#include "common/result.hpp"
#include "query/engine.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {

// Frees a DuckDB result when it goes out of scope.
class ResultGuard {
 public:
  ResultGuard() = default;
  ~ResultGuard() { duckdb_destroy_result(&result); }
  ResultGuard(const ResultGuard&) = delete;
  ResultGuard& operator=(const ResultGuard&) = delete;
  duckdb_result result{};
};

// Frees a DuckDB prepared statement when it goes out of scope.
class PreparedGuard {
 public:
  PreparedGuard() = default;
  ~PreparedGuard() { duckdb_destroy_prepare(&stmt); }
  PreparedGuard(const PreparedGuard&) = delete;
  PreparedGuard& operator=(const PreparedGuard&) = delete;
  duckdb_prepared_statement stmt = nullptr;
};

// Runs trusted SQL (one or more statements) on `con`; the rows of the last one as text, values as DuckDB
// prints them (NULL -> nullopt). A failure is DuckDB's message as an Athena error (ErrorFromDuckDb).
Result<QueryEngine::Rows> QueryRows(duckdb_connection con, const std::string& sql);

// A pooled connection and the statements every query runs on it, prepared on first use.
struct PooledConnection {
  duckdb_connection con = nullptr;
  duckdb_prepared_statement serialize = nullptr;    // SELECT json_serialize_sql($1::VARCHAR)
  duckdb_prepared_statement deserialize = nullptr;  // SELECT json_deserialize_sql($1::JSON)
  PooledConnection() = default;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();
};

class ConnectionPool;

// A connection borrowed from the pool for one call; it goes back to the pool when the Lease goes.
class Lease {
 public:
  Lease(Lease&& other) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  duckdb_connection get() const { return con_->con; }
  PooledConnection& pooled() const { return *con_; }

 private:
  friend class ConnectionPool;
  Lease(ConnectionPool* pool, std::unique_ptr<PooledConnection> con) : pool_(pool), con_(std::move(con)) {}

  ConnectionPool* pool_;
  std::unique_ptr<PooledConnection> con_;  // null once moved from
};

class ConnectionPool {
 public:
  // Borrows `db`, which must outlive the pool.
  explicit ConnectionPool(duckdb_database db) : db_(db) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, or a new one. EngineError if DuckDB cannot open one.
  Result<Lease> Acquire() LOCKS_EXCLUDED(mu_);

 private:
  friend class Lease;
  // Keeps `con` for a later Acquire, or closes it when kMaxIdle are idle already.
  void Release(std::unique_ptr<PooledConnection> con) LOCKS_EXCLUDED(mu_);

  static constexpr std::size_t kMaxIdle = 16;
  const duckdb_database db_;
  Mutex mu_;
  std::vector<std::unique_ptr<PooledConnection>> idle_ GUARDED_BY(mu_);
};

// A map from text keys to answers, shared by all queries. Bounded: an entry bigger than a sixteenth of
// the bound is not kept, and the whole map is cleared when the next entry would pass the bound (answers
// are cheap to compute again; an eviction order would cost every lookup).
template <typename Value>
class BoundedCache {
 public:
  std::optional<Value> Find(const std::string& key) const LOCKS_EXCLUDED(mu_) {
    MutexLock lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  // Keeps `value` under `key` (unless the key is there already); `bytes` is what the entry costs.
  void Put(std::string key, const Value& value, std::size_t bytes) LOCKS_EXCLUDED(mu_) {
    if (bytes > kMaxBytes / 16) return;
    MutexLock lock(mu_);
    if (bytes_ + bytes > kMaxBytes) {
      entries_.clear();
      bytes_ = 0;
    }
    if (entries_.emplace(std::move(key), value).second) bytes_ += bytes;
  }

 private:
  static constexpr std::size_t kMaxBytes = 32u << 20;
  mutable Mutex mu_;
  std::size_t bytes_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, Value> entries_ GUARDED_BY(mu_);
};

// The answers an engine caches across queries and connections.
struct QueryCaches {
  BoundedCache<QueryEngine::Rows> immutable;  // SqlHost::QueryImmutable, keyed by the SQL
  BoundedCache<std::string> texts;            // Parse ('P' + SQL) and Deparse ('D' + serialized tree)
};

// SqlHost over one leased connection, with the engine's caches and link directory.
class ConnectionHost : public SqlHost {
 public:
  // Borrows all three for its lifetime; `link_root` as LinkDirectory::root() ("" when unusable).
  ConnectionHost(PooledConnection& pooled, QueryCaches& caches, std::string link_root)
      : pooled_(pooled), caches_(caches), link_root_(std::move(link_root)) {}

  Result<boost::json::value> Parse(const std::string& sql) override;
  Result<std::string> Deparse(const boost::json::value& document) override;
  Result<QueryEngine::Rows> Query(const std::string& sql) override;
  Result<QueryEngine::Rows> QueryImmutable(const std::string& sql) override;
  std::string LinkRoot() const override { return link_root_; }

 private:
  PooledConnection& pooled_;
  QueryCaches& caches_;
  std::string link_root_;
};

}  // namespace cenote::query::internal
