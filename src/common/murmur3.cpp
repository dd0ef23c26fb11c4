#include "common/murmur3.hpp"

namespace cenote {
namespace {

std::uint64_t Rotl64(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
std::uint32_t Rotl32(std::uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

std::uint64_t Fmix64(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

std::uint32_t Fmix32(std::uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

// n (<= 8) bytes at q as a little-endian integer.
std::uint64_t LoadLe(const unsigned char* q, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | q[i];
  return v;
}

}  // namespace

std::string Murmur3_128(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size();
  constexpr std::uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
  std::uint64_t h1 = 0, h2 = 0;
  const std::size_t blocks = len / 16;
  for (std::size_t i = 0; i < blocks; ++i) {
    std::uint64_t k1 = LoadLe(p + 16 * i, 8), k2 = LoadLe(p + 16 * i + 8, 8);
    k1 *= c1;
    k1 = Rotl64(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = Rotl64(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = Rotl64(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = Rotl64(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = p + blocks * 16;
  const std::size_t rest = len & 15;
  if (rest > 8) {
    std::uint64_t k2 = LoadLe(tail + 8, static_cast<int>(rest - 8));
    k2 *= c2;
    k2 = Rotl64(k2, 33);
    k2 *= c1;
    h2 ^= k2;
  }
  if (rest > 0) {
    std::uint64_t k1 = LoadLe(tail, static_cast<int>(rest > 8 ? 8 : rest));
    k1 *= c1;
    k1 = Rotl64(k1, 31);
    k1 *= c2;
    h1 ^= k1;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix64(h1);
  h2 = Fmix64(h2);
  h1 += h2;
  h2 += h1;
  std::string out(16, '\0');
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(h1 >> (8 * i));
    out[static_cast<std::size_t>(i) + 8] = static_cast<char>(h2 >> (8 * i));
  }
  return out;
}

std::int32_t Murmur3_32(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size();
  constexpr std::uint32_t c1 = 0xcc9e2d51U, c2 = 0x1b873593U;
  std::uint32_t h = 0;
  const std::size_t blocks = len / 4;
  for (std::size_t i = 0; i < blocks; ++i) {
    auto k = static_cast<std::uint32_t>(LoadLe(p + 4 * i, 4));
    k *= c1;
    k = Rotl32(k, 15);
    k *= c2;
    h ^= k;
    h = Rotl32(h, 13);
    h = h * 5 + 0xe6546b64U;
  }
  const std::size_t rest = len & 3;
  if (rest > 0) {
    auto k = static_cast<std::uint32_t>(LoadLe(p + blocks * 4, static_cast<int>(rest)));
    k *= c1;
    k = Rotl32(k, 15);
    k *= c2;
    h ^= k;
  }
  h ^= static_cast<std::uint32_t>(len);
  return static_cast<std::int32_t>(Fmix32(h));
}

std::int32_t IcebergHashLong(std::int64_t value) {
  char le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(static_cast<std::uint64_t>(value) >> (8 * i));
  return Murmur3_32(std::string_view(le, 8));
}

std::int32_t IcebergHashUnscaled(__int128 unscaled) {
  // Big-endian two's complement, then the leading bytes that only repeat the sign dropped (Java's
  // BigInteger.toByteArray).
  unsigned char be[16];
  auto u = static_cast<unsigned __int128>(unscaled);
  for (int i = 15; i >= 0; --i) {
    be[i] = static_cast<unsigned char>(u & 0xff);
    u >>= 8;
  }
  int start = 0;
  while (start < 15) {
    const bool redundant = (be[start] == 0x00 && (be[start + 1] & 0x80) == 0) ||
                           (be[start] == 0xff && (be[start + 1] & 0x80) != 0);
    if (!redundant) break;
    ++start;
  }
  return Murmur3_32(std::string_view(reinterpret_cast<const char*>(be + start), 16 - start));
}

}  // namespace cenote
