#include "common/checksum.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <stdexcept>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace cenote {

namespace {

// Slice-by-8 tables for a reflected CRC of width 32 or 64 (T = uint32_t / uint64_t). tables[0] is the
// classic byte table; tables[k][b] advances tables[k-1][b] by one more zero byte, so eight input bytes are
// folded with eight independent lookups.
template <typename T>
struct SliceTables {
  std::array<std::array<T, 256>, 8> t;

  explicit constexpr SliceTables(T reflected_poly) : t{} {
    for (unsigned b = 0; b < 256; ++b) {
      T crc = b;
      for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ reflected_poly : crc >> 1;
      t[0][b] = crc;
    }
    for (int k = 1; k < 8; ++k) {
      for (unsigned b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
};

constexpr std::uint64_t kCrc64NvmePoly = 0x9a6c9329ac4bc9b5ULL;
constexpr std::uint32_t kCrc32cPoly = 0x82f63b78U;
constexpr std::uint32_t kCrc32Poly = 0xedb88320U;

const SliceTables<std::uint64_t>& Crc64Tables() {
  static const SliceTables<std::uint64_t> kTables(kCrc64NvmePoly);
  return kTables;
}
const SliceTables<std::uint32_t>& Crc32cTables() {
  static const SliceTables<std::uint32_t> kTables(kCrc32cPoly);
  return kTables;
}

// Little-endian hosts only (x86-64, aarch64): the 8-byte load below is the reflected CRC's bit order.
template <typename T>
T SliceBy8(const SliceTables<T>& tables, T crc, const unsigned char* p, std::size_t n) {
  const auto& t = tables.t;
  while (n && (reinterpret_cast<std::uintptr_t>(p) & 7)) {
    crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    --n;
  }
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= static_cast<std::uint64_t>(crc);
    crc = static_cast<T>(t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
                         t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
                         t[1][(w >> 48) & 0xff] ^ t[0][w >> 56]);
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t Crc32cHardware(std::uint32_t crc, const unsigned char* p,
                                                               std::size_t n) {
  // One 8-byte crc32 instruction per word: about 8 bytes per 3 cycles (its latency), well above what disk
  // and network deliver.
  std::uint64_t c = crc;
  while (n && (reinterpret_cast<std::uintptr_t>(p) & 7)) {
    c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
    --n;
  }
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
    p += 8;
    n -= 8;
  }
  while (n--) c = _mm_crc32_u8(static_cast<std::uint32_t>(c), *p++);
  return static_cast<std::uint32_t>(c);
}

bool DetectSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}
#endif

bool HaveSse42() {
#if defined(__x86_64__)
  static const bool kHave = DetectSse42();
  return kHave;
#else
  return false;
#endif
}

// GF(2) polynomial arithmetic modulo a reflected CRC polynomial of width `bits`, as zlib's crc32_combine
// does it: MultModP multiplies two polynomials (bit bits-1 is x^0), X8nModP returns x^(8n) mod P.
template <typename T>
T MultModP(T a, T b, T poly) {
  constexpr int kBits = sizeof(T) * 8;
  T m = T{1} << (kBits - 1);
  T p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
  }
  return p;
}

template <typename T>
T X8nModP(std::uint64_t n, T poly) {
  constexpr int kBits = sizeof(T) * 8;
  T p = T{1} << (kBits - 1);    // x^0
  T x2k = T{1} << (kBits - 9);  // x^8: one byte
  while (n) {
    if (n & 1) p = MultModP(x2k, p, poly);
    n >>= 1;
    x2k = MultModP(x2k, x2k, poly);
  }
  return p;
}

template <typename T>
std::string BigEndian(T v) {
  std::string out(sizeof(T), '\0');
  for (std::size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>(v >> (8 * (sizeof(T) - 1 - i)));
  return out;
}

template <typename T>
T FromBigEndian(std::string_view s) {
  T v = 0;
  for (unsigned char c : s) v = static_cast<T>((v << 8) | c);
  return v;
}

class Crc32Hasher final : public Hasher {
 public:
  void Update(const void* data, std::size_t n) override { crc_ = Crc32(crc_, data, n); }
  std::string Final() override { return BigEndian(crc_); }

 private:
  std::uint32_t crc_ = 0;
};

class Crc32cHasher final : public Hasher {
 public:
  void Update(const void* data, std::size_t n) override { crc_ = Crc32c(crc_, data, n); }
  std::string Final() override { return BigEndian(crc_); }

 private:
  std::uint32_t crc_ = 0;
};

class Crc64NvmeHasher final : public Hasher {
 public:
  void Update(const void* data, std::size_t n) override { crc_ = Crc64Nvme(crc_, data, n); }
  std::string Final() override { return BigEndian(crc_); }

 private:
  std::uint64_t crc_ = 0;
};

class EvpHasher final : public Hasher {
 public:
  explicit EvpHasher(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, md, nullptr) != 1)
      throw std::runtime_error("EVP_DigestInit_ex");
  }
  ~EvpHasher() override { EVP_MD_CTX_free(ctx_); }
  EvpHasher(const EvpHasher&) = delete;
  EvpHasher& operator=(const EvpHasher&) = delete;

  void Update(const void* data, std::size_t n) override { EVP_DigestUpdate(ctx_, data, n); }
  std::string Final() override {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t n) {
  return static_cast<std::uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), n));
}

std::uint32_t Crc32c(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
#if defined(__x86_64__)
  if (HaveSse42()) return ~Crc32cHardware(~crc, p, n);
#endif
  return ~SliceBy8<std::uint32_t>(Crc32cTables(), ~crc, p, n);
}

std::uint64_t Crc64Nvme(std::uint64_t crc, const void* data, std::size_t n) {
  // A single slice-by-8 chain is bound by the latency of its dependent table lookups. Large inputs are cut
  // into blocks of four lanes hashed in one interleaved loop (independent chains the CPU overlaps), then
  // merged: the register is linear in its input, so reg(A||B) = reg(A) * x^(8|B|) mod P  xor  reg0(B).
  constexpr std::size_t kLane = 4096;
  static const std::uint64_t kLaneShift = X8nModP<std::uint64_t>(kLane, kCrc64NvmePoly);
  const auto& t = Crc64Tables().t;
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t reg = ~crc;
  while (n >= 4 * kLane) {
    std::uint64_t c[4] = {reg, 0, 0, 0};
    for (std::size_t off = 0; off < kLane; off += 8) {
      for (int lane = 0; lane < 4; ++lane) {
        std::uint64_t w;
        std::memcpy(&w, p + lane * kLane + off, 8);
        w ^= c[lane];
        c[lane] = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^ t[4][(w >> 24) & 0xff] ^
                  t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^ t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
      }
    }
    reg = MultModP(kLaneShift, c[0], kCrc64NvmePoly) ^ c[1];
    reg = MultModP(kLaneShift, reg, kCrc64NvmePoly) ^ c[2];
    reg = MultModP(kLaneShift, reg, kCrc64NvmePoly) ^ c[3];
    p += 4 * kLane;
    n -= 4 * kLane;
  }
  return ~SliceBy8<std::uint64_t>(Crc64Tables(), reg, p, n);
}

bool Crc32cIsHardwareAccelerated() { return HaveSse42(); }

std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  auto eq = [&](std::string_view want) {
    if (name.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
      char c = name[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (c != want[i]) return false;
    }
    return true;
  };
  if (eq("CRC32")) return ChecksumAlgorithm::kCRC32;
  if (eq("CRC32C")) return ChecksumAlgorithm::kCRC32C;
  if (eq("CRC64NVME")) return ChecksumAlgorithm::kCRC64NVME;
  if (eq("SHA1")) return ChecksumAlgorithm::kSHA1;
  if (eq("SHA256")) return ChecksumAlgorithm::kSHA256;
  if (eq("MD5")) return ChecksumAlgorithm::kMD5;
  return std::nullopt;
}

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCRC32:
      return "CRC32";
    case ChecksumAlgorithm::kCRC32C:
      return "CRC32C";
    case ChecksumAlgorithm::kCRC64NVME:
      return "CRC64NVME";
    case ChecksumAlgorithm::kSHA1:
      return "SHA1";
    case ChecksumAlgorithm::kSHA256:
      return "SHA256";
    case ChecksumAlgorithm::kMD5:
      return "MD5";
  }
  return "";
}

std::string ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  std::string header = "x-amz-checksum-";
  for (char c : ChecksumAlgorithmName(algorithm)) header.push_back(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return header;
}

std::size_t ChecksumDigestSize(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCRC32:
    case ChecksumAlgorithm::kCRC32C:
      return 4;
    case ChecksumAlgorithm::kCRC64NVME:
      return 8;
    case ChecksumAlgorithm::kSHA1:
      return 20;
    case ChecksumAlgorithm::kSHA256:
      return 32;
    case ChecksumAlgorithm::kMD5:
      return 16;
  }
  return 0;
}

bool IsCrc(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::kCRC32 || algorithm == ChecksumAlgorithm::kCRC32C ||
         algorithm == ChecksumAlgorithm::kCRC64NVME;
}

std::unique_ptr<Hasher> Hasher::Create(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCRC32:
      return std::make_unique<Crc32Hasher>();
    case ChecksumAlgorithm::kCRC32C:
      return std::make_unique<Crc32cHasher>();
    case ChecksumAlgorithm::kCRC64NVME:
      return std::make_unique<Crc64NvmeHasher>();
    case ChecksumAlgorithm::kSHA1:
      return std::make_unique<EvpHasher>(EVP_sha1());
    case ChecksumAlgorithm::kSHA256:
      return std::make_unique<EvpHasher>(EVP_sha256());
    case ChecksumAlgorithm::kMD5:
      return std::make_unique<EvpHasher>(EVP_md5());
  }
  return nullptr;
}

std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data) {
  auto hasher = Hasher::Create(algorithm);
  hasher->Update(data.data(), data.size());
  return hasher->Final();
}

std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm, std::string_view crc_a,
                                      std::string_view crc_b, std::uint64_t length_b) {
  if (!IsCrc(algorithm)) return std::nullopt;
  std::size_t size = ChecksumDigestSize(algorithm);
  if (crc_a.size() != size || crc_b.size() != size) return std::nullopt;
  // With all-ones init and xorout, crc(A||B) = crc(A) * x^(8*len(B)) mod P  xor  crc(B) (zlib's derivation).
  if (algorithm == ChecksumAlgorithm::kCRC64NVME) {
    auto a = FromBigEndian<std::uint64_t>(crc_a);
    auto b = FromBigEndian<std::uint64_t>(crc_b);
    return BigEndian(MultModP(X8nModP(length_b, kCrc64NvmePoly), a, kCrc64NvmePoly) ^ b);
  }
  std::uint32_t poly = algorithm == ChecksumAlgorithm::kCRC32 ? kCrc32Poly : kCrc32cPoly;
  auto a = FromBigEndian<std::uint32_t>(crc_a);
  auto b = FromBigEndian<std::uint32_t>(crc_b);
  return BigEndian(MultModP(X8nModP(length_b, poly), a, poly) ^ b);
}

}  // namespace cenote
