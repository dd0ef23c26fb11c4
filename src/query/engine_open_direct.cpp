// QueryEngine::Open with the DuckDB engine linked in: for the unit tests, and inside the engine module.
#include "query/duckdb_engine.hpp"

namespace cenote::query {

Result<std::unique_ptr<QueryEngine>> QueryEngine::Open(const EngineOptions& options) {
  return internal::OpenDuckDbEngine(options);
}

Result<std::unique_ptr<QueryEngine>> QueryEngine::OpenLazily(const EngineOptions& options) {
  return internal::OpenLazilyWith(options, &QueryEngine::Open);
}

}  // namespace cenote::query
