// The DuckDB instance: opened, configured and locked down once (instance.hpp).
#include "query/instance.hpp"

#include <dlfcn.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <thread>

#include "query/connections.hpp"
#include "query/dialect_overloads.hpp"
#include "query/engine_errors.hpp"
#include "query/trino_functions.hpp"
#include "query/type_tree.hpp"

namespace cenote::query::internal {

namespace fs = std::filesystem;

namespace {

std::string WithSlash(std::string dir) {
  if (dir.empty() || dir.back() != '/') dir += '/';
  return dir;
}

}  // namespace

Result<Database> Database::Open() {
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
  return Database(db);
}

Database::~Database() {
  if (db_ != nullptr) duckdb_close(&db_);
}

Result<LockedInstance> LockDown(duckdb_connection con, const EngineOptions& options) {
  std::error_code ec;
  fs::create_directories(options.scratch_dir, ec);
  if (ec)
    return EngineError("cannot create the scratch directory " + options.scratch_dir + ": " + ec.message());
  std::string tmp =
      WithSlash(fs::absolute(options.scratch_dir, ec).lexically_normal().string()) + "duckdb_tmp";
  fs::create_directories(tmp, ec);

  // Both the absolute path as given and its canonical form (symlinks resolved): DuckDB compares the
  // paths it is asked to open as strings against these prefixes.
  LockedInstance locked;
  std::vector<std::string> dirs = options.readable_dirs;
  dirs.push_back(options.scratch_dir);
  for (const std::string& dir : dirs) {
    std::error_code ignored;
    locked.private_prefixes.push_back(WithSlash(fs::absolute(dir, ignored).lexically_normal().string()));
    fs::path canonical = fs::weakly_canonical(dir, ignored);
    if (!canonical.empty()) locked.private_prefixes.push_back(WithSlash(canonical.string()));
  }
  std::string allowed = "[";
  for (std::size_t i = 0; i < locked.private_prefixes.size(); ++i) {
    if (i > 0) allowed += ", ";
    allowed += QuoteLiteral(locked.private_prefixes[i]);
  }
  allowed += "]";

  std::uint64_t memory = options.memory_limit_bytes;
  if (memory == 0) {
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page_size = ::sysconf(_SC_PAGE_SIZE);
    memory = pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * page_size / 2 : (1ULL << 30);
  }
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
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
  for (const std::string& macro : DialectMacros()) setup.push_back(macro);
  setup.push_back("SET lock_configuration = true");
  if (!RegisterTrinoFunctions(con)) return EngineError("DuckDB setup failed: registering functions");
  for (const std::string& sql : setup) {
    auto r = QueryRows(con, sql);
    if (!r) return EngineError("DuckDB setup failed (" + sql + "): " + r.error().message);
  }

  CENOTE_ASSIGN_OR_RETURN(
      QueryEngine::Rows names,
      QueryRows(con,
                "SELECT lower(view_name) FROM duckdb_views() UNION SELECT lower(table_name) FROM "
                "duckdb_tables() UNION SELECT lower(schema_name) FROM duckdb_schemas() UNION SELECT "
                "lower(database_name) FROM duckdb_databases()"));
  for (const auto& row : names) {
    if (row[0]) locked.policy.builtin_relations.insert(*row[0]);
  }
  CENOTE_ASSIGN_OR_RETURN(
      QueryEngine::Rows aggregates,
      QueryRows(
          con,
          "SELECT DISTINCT lower(function_name) FROM duckdb_functions() WHERE function_type = 'aggregate'"));
  for (const auto& row : aggregates) {
    if (row[0]) locked.policy.aggregate_functions.insert(*row[0]);
  }
  // The dialect's macros that aggregate (avg of a decimal, map_agg, ...) stand for aggregates too.
  for (const std::string& name : AggregateMacroNames()) locked.policy.aggregate_functions.insert(name);
  return locked;
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

}  // namespace cenote::query::internal
