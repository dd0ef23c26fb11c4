// Trino functions DuckDB lacks, as C scalar functions (trino_functions.cpp). Included only where duckdb.h
// already is (instance.cpp, which registers them at lockdown) and by their tests.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <string_view>

namespace cenote::query::internal {

// Registers __cenote_sha512, __cenote_crc32 and __cenote_xxhash64 on the connection's database.
bool RegisterTrinoFunctions(duckdb_connection con);

// XXH64 with seed 0.
std::uint64_t XxHash64(std::string_view bytes);

}  // namespace cenote::query::internal
