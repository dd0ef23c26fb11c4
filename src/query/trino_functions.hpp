// Trino functions DuckDB lacks, as C scalar functions (trino_functions.cpp). Included only where duckdb.h
// already is (instance.cpp, which registers them at lockdown) and by their tests.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <string_view>

namespace cenote::query::internal {

// Registers __cenote_sha512, __cenote_crc32 and __cenote_xxhash64 on the connection's database.
bool RegisterTrinoFunctions(duckdb_connection con);

// The binary and text functions of trino_functions_binary.cpp, the math functions of
// trino_functions_math.cpp and format() (RegisterTrinoFunctions registers them too).
bool RegisterTrinoBinaryFunctions(duckdb_connection con);
bool RegisterTrinoMathFunctions(duckdb_connection con);
// __cenote_java_format of trino_functions_format.cpp: format() as java.util.Formatter.
bool RegisterTrinoFormatFunctions(duckdb_connection con);
// __cenote_check_types of trino_functions_types.cpp: Trino's operand type checks.
bool RegisterTrinoTypeFunctions(duckdb_connection con);
// __cenote_decimal_divide of trino_functions_decimal.cpp: Trino's exact decimal division.
bool RegisterTrinoDecimalFunctions(duckdb_connection con);
// normalize (NFD, NFKC, NFKD) and zstd_compress / zstd_decompress of trino_functions_text.cpp.
bool RegisterTrinoTextFunctions(duckdb_connection con);

// XXH64 with seed 0.
std::uint64_t XxHash64(std::string_view bytes);

}  // namespace cenote::query::internal
