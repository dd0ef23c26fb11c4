// QueryEngine::Open for the server: the DuckDB engine lives in the module libcenote_duckdb.so, loaded on the
// first Open (the server opens its engine lazily, on the first query). A server that never runs a query
// never maps libduckdb.so (10 MiB resident and ~35 M instructions of relocations at start, measured with
// callgrind on 2026-12-05).
//
// The module is looked for at $CENOTE_DUCKDB_MODULE, else next to the running binary.
#include <dlfcn.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

#include "query/duckdb_engine.hpp"

namespace cenote::query {

namespace {

std::string ModulePath() {
  if (const char* env = std::getenv("CENOTE_DUCKDB_MODULE"); env != nullptr && *env != '\0') return env;
  char exe[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return "libcenote_duckdb.so";
  std::string path(exe, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + "libcenote_duckdb.so";
}

// Loads the module once (never unloaded: engines and their code live until the process ends).
Result<internal::EngineModuleEntry> LoadEntry() {
  static std::once_flag once;
  static internal::EngineModuleEntry entry = nullptr;
  static std::string failure;
  std::call_once(once, [] {
    const std::string path = ModulePath();
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      failure = "cannot load the DuckDB engine module " + path + ": " + (why ? why : "unknown error");
      return;
    }
    entry = reinterpret_cast<internal::EngineModuleEntry>(::dlsym(handle, internal::kEngineModuleEntry));
    if (entry == nullptr) failure = "the DuckDB engine module " + path + " has no entry point";
  });
  if (entry == nullptr) return InternalError(failure);
  return entry;
}

}  // namespace

Result<std::unique_ptr<QueryEngine>> QueryEngine::Open(const EngineOptions& options) {
  if (options.scratch_dir.empty()) return MakeError("InvalidInput", "EngineOptions::scratch_dir is required");
  CENOTE_ASSIGN_OR_RETURN(internal::EngineModuleEntry entry, LoadEntry());
  Error error = InternalError("the DuckDB engine module failed without saying why");
  QueryEngine* engine = entry(internal::kEngineModuleAbi, sizeof(EngineOptions), &options, &error);
  if (engine == nullptr) return error;
  return std::unique_ptr<QueryEngine>(engine);
}

Result<std::unique_ptr<QueryEngine>> QueryEngine::OpenLazily(const EngineOptions& options) {
  return internal::OpenLazilyWith(options, &QueryEngine::Open);
}

}  // namespace cenote::query
