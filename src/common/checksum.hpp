// Checksums S3 computes over object data: the flexible-checksum CRCs (CRC32, CRC32C, CRC64NVME) and the
// cryptographic digests (SHA-1, SHA-256, MD5).
//
// Throughput matters: S3 hashes every byte it stores, often with two algorithms at once. CRC32 uses
// zlib's crc32_z, CRC32C uses the SSE4.2 crc32 instruction when the CPU has it (table fallback otherwise),
// CRC64NVME a slice-by-8 table; the digests go through OpenSSL EVP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cenote {

enum class ChecksumAlgorithm { kCRC32, kCRC32C, kCRC64NVME, kSHA1, kSHA256, kMD5 };

// Case-insensitive: "CRC32", "crc32c", "CRC64NVME", "SHA1", "SHA256", "MD5". nullopt for anything else.
std::optional<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);
// AWS's spelling: "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "MD5".
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);
// "x-amz-checksum-crc32", "x-amz-checksum-crc64nvme", ... ("x-amz-checksum-md5" for kMD5, which S3 does
// not define as a header; Content-MD5 carries it).
std::string ChecksumHeaderName(ChecksumAlgorithm algorithm);
// Raw digest size in bytes: 4 (CRC32, CRC32C), 8 (CRC64NVME), 20 (SHA1), 32 (SHA256), 16 (MD5).
std::size_t ChecksumDigestSize(ChecksumAlgorithm algorithm);
// True for the CRCs, whose full-object value can be combined from parts (CombineCrc).
bool IsCrc(ChecksumAlgorithm algorithm);

// Incremental hash. Not thread-safe; one Hasher per stream.
class Hasher {
 public:
  static std::unique_ptr<Hasher> Create(ChecksumAlgorithm algorithm);
  virtual ~Hasher() = default;
  virtual void Update(const void* data, std::size_t n) = 0;
  // Raw digest bytes; CRCs big-endian (the byte order AWS base64-encodes). Call once; the Hasher is then
  // spent (create a new one to hash again).
  virtual std::string Final() = 0;
};

// One-shot raw digest of `data`.
std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data);

// The raw CRC of A||B, given the raw (big-endian) CRCs of A and of B and B's length in bytes. For S3's
// full-object multipart checksums. nullopt when `algorithm` is not a CRC or a digest has the wrong size.
std::optional<std::string> CombineCrc(ChecksumAlgorithm algorithm, std::string_view crc_a,
                                      std::string_view crc_b, std::uint64_t length_b);

// Plain-integer forms, for callers that keep CRCs as numbers. `crc` is the previous result (0 to start).
std::uint32_t Crc32(std::uint32_t crc, const void* data, std::size_t n);
std::uint32_t Crc32c(std::uint32_t crc, const void* data, std::size_t n);
std::uint64_t Crc64Nvme(std::uint64_t crc, const void* data, std::size_t n);
// True when Crc32c runs on the SSE4.2 instruction.
bool Crc32cIsHardwareAccelerated();

}  // namespace cenote
