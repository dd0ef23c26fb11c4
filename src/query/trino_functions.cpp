// Trino functions DuckDB has no counterpart for, registered as C scalar functions on the engine's database
// (dialect.cpp maps the Trino names onto them): sha512(varbinary) -> varbinary, crc32(varbinary) -> bigint,
// xxhash64(varbinary) -> varbinary (the 64-bit hash, big-endian, as Trino returns it).
#include "query/trino_functions.hpp"

#include <openssl/sha.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/checksum.hpp"

namespace cenote::query::internal {
namespace {

// XXH64 (seed 0), from the algorithm's published description.
constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

std::uint64_t Rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

std::uint64_t Load64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian, whatever the host
  return v;
}

std::uint32_t Load32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::uint64_t Round(std::uint64_t acc, std::uint64_t lane) {
  return Rotl(acc + lane * kPrime2, 31) * kPrime1;
}

std::uint64_t Merge(std::uint64_t acc, std::uint64_t v) { return (acc ^ Round(0, v)) * kPrime1 + kPrime4; }

}  // namespace

std::uint64_t XxHash64(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  std::uint64_t h;
  if (bytes.size() >= 32) {
    std::uint64_t v1 = kPrime1 + kPrime2, v2 = kPrime2, v3 = 0, v4 = 0 - kPrime1;
    while (end - p >= 32) {
      v1 = Round(v1, Load64(p));
      v2 = Round(v2, Load64(p + 8));
      v3 = Round(v3, Load64(p + 16));
      v4 = Round(v4, Load64(p + 24));
      p += 32;
    }
    h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = Merge(Merge(Merge(Merge(h, v1), v2), v3), v4);
  } else {
    h = kPrime5;
  }
  h += bytes.size();
  for (; end - p >= 8; p += 8) h = Rotl(h ^ Round(0, Load64(p)), 27) * kPrime1 + kPrime4;
  if (end - p >= 4) {
    h = Rotl(h ^ (static_cast<std::uint64_t>(Load32(p)) * kPrime1), 23) * kPrime2 + kPrime3;
    p += 4;
  }
  for (; p < end; ++p) h = Rotl(h ^ (*p * kPrime5), 11) * kPrime1;
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

namespace {

// Applies `one` to every row of a varbinary column; NULL in, NULL out.
template <typename Fn>
void EachBlob(duckdb_data_chunk input, duckdb_vector output, Fn one) {
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector in = duckdb_data_chunk_get_vector(input, 0);
  auto* data = static_cast<duckdb_string_t*>(duckdb_vector_get_data(in));
  std::uint64_t* valid = duckdb_vector_get_validity(in);
  for (idx_t row = 0; row < rows; ++row) {
    if (valid != nullptr && !duckdb_validity_row_is_valid(valid, row)) {
      duckdb_vector_ensure_validity_writable(output);
      duckdb_validity_set_row_invalid(duckdb_vector_get_validity(output), row);
      continue;
    }
    one(row, std::string_view(duckdb_string_t_data(&data[row]), duckdb_string_t_length(data[row])));
  }
}

void Sha512Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachBlob(input, output, [&](idx_t row, std::string_view bytes) {
    unsigned char digest[SHA512_DIGEST_LENGTH];
    SHA512(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
    duckdb_vector_assign_string_element_len(output, row, reinterpret_cast<const char*>(digest),
                                            sizeof(digest));
  });
}

void Crc32Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  auto* out = static_cast<std::int64_t*>(duckdb_vector_get_data(output));
  EachBlob(input, output, [&](idx_t row, std::string_view bytes) {
    std::string raw = ComputeChecksum(ChecksumAlgorithm::kCRC32, bytes);  // 4 bytes, big-endian
    std::uint32_t crc = 0;
    for (unsigned char c : raw) crc = (crc << 8) | c;
    out[row] = static_cast<std::int64_t>(crc);
  });
}

void XxHash64Function(duckdb_function_info, duckdb_data_chunk input, duckdb_vector output) {
  EachBlob(input, output, [&](idx_t row, std::string_view bytes) {
    std::uint64_t h = XxHash64(bytes);
    char be[8];
    for (int i = 0; i < 8; ++i) be[i] = static_cast<char>(h >> (56 - 8 * i));
    duckdb_vector_assign_string_element_len(output, row, be, sizeof(be));
  });
}

bool Register(duckdb_connection con, const char* name, duckdb_type result, duckdb_scalar_function_t fn) {
  duckdb_scalar_function f = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(f, name);
  duckdb_logical_type blob = duckdb_create_logical_type(DUCKDB_TYPE_BLOB);
  duckdb_logical_type out = duckdb_create_logical_type(result);
  duckdb_scalar_function_add_parameter(f, blob);
  duckdb_scalar_function_set_return_type(f, out);
  duckdb_scalar_function_set_function(f, fn);
  bool ok = duckdb_register_scalar_function(con, f) == DuckDBSuccess;
  duckdb_destroy_logical_type(&blob);
  duckdb_destroy_logical_type(&out);
  duckdb_destroy_scalar_function(&f);
  return ok;
}

}  // namespace

bool RegisterTrinoFunctions(duckdb_connection con) {
  return Register(con, "__cenote_sha512", DUCKDB_TYPE_BLOB, Sha512Function) &&
         Register(con, "__cenote_crc32", DUCKDB_TYPE_BIGINT, Crc32Function) &&
         Register(con, "__cenote_xxhash64", DUCKDB_TYPE_BLOB, XxHash64Function) &&
         RegisterTrinoBinaryFunctions(con) && RegisterTrinoMathFunctions(con) &&
         RegisterTrinoFormatFunctions(con) && RegisterTrinoTypeFunctions(con) &&
         RegisterTrinoTextFunctions(con) && RegisterTrinoDecimalFunctions(con);
}

}  // namespace cenote::query::internal
