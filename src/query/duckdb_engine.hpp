// The DuckDB-backed QueryEngine (engine.cpp) as one function, so the code that opens it can live apart from
// the code that uses it: QueryEngine::Open links it in directly (engine_open_direct.cpp: tests, and the
// engine module itself) or loads it from the module libcenote_duckdb.so on first use (engine_open_module.cpp:
// the server, which then neither maps libduckdb.so nor pays its relocations unless a query runs).
#pragma once

#include <memory>

#include "common/result.hpp"
#include "query/engine.hpp"

namespace cenote::query::internal {

// How an engine is opened: QueryEngine::Open of the direct or the module build.
using EngineOpener = Result<std::unique_ptr<QueryEngine>> (*)(const EngineOptions& options);
// The lazily opened engine over `open` (QueryEngine::OpenLazily's contract). In engine_api.cpp, which must
// not name QueryEngine::Open itself: that is defined by whichever of the two open units is linked.
Result<std::unique_ptr<QueryEngine>> OpenLazilyWith(const EngineOptions& options, EngineOpener open);

// Opens DuckDB with the engine's lockdown and wraps it (QueryEngine::Open's contract).
Result<std::unique_ptr<QueryEngine>> OpenDuckDbEngine(const EngineOptions& options);

// The module's entry point, looked up by name with dlsym: opens the engine, or returns null with the
// failure in `*error`. `abi` must equal kEngineModuleAbi: the module and the binary come from one build,
// and a stale module found next to a new binary is refused instead of being called with the wrong layout.
inline constexpr int kEngineModuleAbi = 1;
inline constexpr char kEngineModuleEntry[] = "cenote_duckdb_open_engine";
using EngineModuleEntry = QueryEngine* (*)(int abi, std::size_t options_size, const EngineOptions* options,
                                           Error* error);

}  // namespace cenote::query::internal
