// The DuckDB instance behind a QueryEngine: opened, configured and locked down once, before any user SQL
// reaches it (DESIGN.md "Query engine contract").
//
// The lockdown: enable_external_access=false, allowed_directories limited to EngineOptions::readable_dirs
// and scratch_dir, extension autoload/autoinstall and community extensions off, no persistent secrets, a
// memory and a thread limit; then lock_configuration=true, after which no statement can change a setting.
// What the dialect relies on is installed before the lock: Trino's semantics (integer division, NULLs
// last, UTC), the dialect's macros and the Trino C functions.
//
// Internal to src/query. Includes duckdb.h: only the engine's own translation units include this header.
#pragma once

#include <duckdb.h>

#include <string>
#include <vector>

#include "common/result.hpp"
#include "query/engine.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {

// Owns an open, in-memory DuckDB database and closes it when destroyed: every connection to it must be
// gone by then (the engine declares its pool after its Database).
class Database {
 public:
  // A new in-memory database, with extension autoload/autoinstall and community extensions off from the
  // start (before any connection can load one). EngineError if DuckDB cannot open.
  static Result<Database> Open();

  Database(Database&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  duckdb_database get() const { return db_; }

 private:
  explicit Database(duckdb_database db) : db_(db) {}
  duckdb_database db_ = nullptr;
};

// What the engine keeps from the lockdown.
struct LockedInstance {
  // The directories DuckDB may read, each as given (absolute) and canonical (symlinks resolved),
  // '/'-terminated: the prefixes no error message may show (ScrubPaths).
  std::vector<std::string> private_prefixes;
  // The relation names DuckDB resolves on its own and its aggregate functions, read from the instance.
  SandboxPolicy policy;
};

// Configures and locks down the instance through `con`, its first connection: creates the scratch directory
// (and DuckDB's temp directory in it), applies the settings, registers the Trino functions and the
// dialect's macros, locks the configuration, then reads the sandbox policy. Any failure is returned as an
// EngineError naming the step; the instance must not be used then.
Result<LockedInstance> LockDown(duckdb_connection con, const EngineOptions& options);

// Sets how long DuckDB's allocator keeps freed memory before handing it back to the kernel
// (EngineOptions::allocator_decay_ms; <= 0: leaves DuckDB's own setting). Process-wide: the allocator is
// shared by every engine. A no-op where libduckdb does not export its allocator's control call.
void SetAllocatorDecay(int decay_ms);

}  // namespace cenote::query::internal
