// libcenote_duckdb.so: the DuckDB engine as a module the server loads on its first query
// (engine_open_module.cpp). Its one exported symbol is the entry point below; everything else it links
// (cenote_query_duckdb, cenote_query_core, cenote_common) is hidden (-Wl,--exclude-libs,ALL), so the module's
// copies never interpose on the binary's.
#include "query/duckdb_engine.hpp"

extern "C" __attribute__((visibility("default"))) cenote::query::QueryEngine* cenote_duckdb_open_engine(
    int abi, std::size_t options_size, const cenote::query::EngineOptions* options, cenote::Error* error) {
  using cenote::query::internal::kEngineModuleAbi;
  if (abi != kEngineModuleAbi || options_size != sizeof(cenote::query::EngineOptions)) {
    *error = cenote::InternalError("the DuckDB engine module was built for another cenote binary (ABI " +
                                   std::to_string(kEngineModuleAbi) + ")");
    return nullptr;
  }
  auto engine = cenote::query::internal::OpenDuckDbEngine(*options);
  if (!engine) {
    *error = std::move(engine).error();
    return nullptr;
  }
  return std::move(engine).value().release();
}
