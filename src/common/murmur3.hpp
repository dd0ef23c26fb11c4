// MurmurHash3 (Austin Appleby's published algorithms, seed 0): x64_128 for Trino's murmur3(varbinary),
// x86_32 for Iceberg's bucket transform (format/spec.md "Appendix B: 32-bit Hash Requirements") with the
// value encodings that appendix prescribes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cenote {

// The 128-bit hash as Trino returns it: h1 then h2, each little-endian (16 bytes).
std::string Murmur3_128(std::string_view bytes);
// The 32-bit x86 hash, as a signed int (Java's, as Iceberg specifies it).
std::int32_t Murmur3_32(std::string_view bytes);

// Iceberg's hash of a value: int, long, date (days), time (micros), timestamp[tz] (micros) hash as the
// 8-byte little-endian long; string as its UTF-8 bytes, binary / fixed / uuid (16 bytes, big-endian) as
// their bytes; decimal as the minimal big-endian two's-complement bytes of its unscaled value.
std::int32_t IcebergHashLong(std::int64_t value);
inline std::int32_t IcebergHashBytes(std::string_view bytes) { return Murmur3_32(bytes); }
std::int32_t IcebergHashUnscaled(__int128 unscaled);
// bucket[N] of a hash: (hash & Integer.MAX_VALUE) % N.
inline std::int32_t IcebergBucket(std::int32_t hash, std::int32_t n) {
  return n <= 0 ? 0
                : static_cast<std::int32_t>((static_cast<std::uint32_t>(hash) & 0x7fffffffU) %
                                            static_cast<std::uint32_t>(n));
}

}  // namespace cenote
