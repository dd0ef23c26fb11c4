#include "common/checksum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "common/encoding.hpp"

namespace cenote {
namespace {

std::string Hex(ChecksumAlgorithm a, std::string_view data) { return HexEncode(ComputeChecksum(a, data)); }

TEST(Checksum, KnownVectors) {
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCRC32, "123456789"), "cbf43926");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCRC32C, "123456789"), "e3069283");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCRC64NVME, "123456789"), "ae8b14860a799888");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kSHA1, "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kSHA256, "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kMD5, ""), "d41d8cd98f00b204e9800998ecf8427e");
  // Empty input: the CRCs of nothing are zero.
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCRC32, ""), "00000000");
  EXPECT_EQ(Hex(ChecksumAlgorithm::kCRC64NVME, ""), "0000000000000000");
}

TEST(Checksum, AwsDocumentedBase64Values) {
  // S3 reports x-amz-checksum-crc32 for "Hello world" (botocore/awscrt agree).
  EXPECT_EQ(Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32, "Hello world")), "i9aeUg==");
  EXPECT_EQ(Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC32C, "Hello world")), "crUfeA==");
  EXPECT_EQ(Base64Encode(ComputeChecksum(ChecksumAlgorithm::kCRC64NVME, "Hello world")), "OOJZ0D8xKts=");
}

TEST(Checksum, IncrementalEqualsOneShotAtEverySplit) {
  std::mt19937 rng(42);
  std::string data(300, '\0');
  for (auto& c : data) c = static_cast<char>(rng());
  for (auto alg : {ChecksumAlgorithm::kCRC32, ChecksumAlgorithm::kCRC32C, ChecksumAlgorithm::kCRC64NVME,
                   ChecksumAlgorithm::kSHA1, ChecksumAlgorithm::kSHA256, ChecksumAlgorithm::kMD5}) {
    std::string whole = ComputeChecksum(alg, data);
    ASSERT_EQ(whole.size(), ChecksumDigestSize(alg));
    for (std::size_t split = 0; split <= data.size(); split += 7) {
      auto h = Hasher::Create(alg);
      h->Update(data.data(), split);
      h->Update(data.data() + split, data.size() - split);
      EXPECT_EQ(h->Final(), whole) << ChecksumAlgorithmName(alg) << " split " << split;
    }
  }
}

// The table paths must agree with a bit-at-a-time reference on unaligned starts and odd lengths.
TEST(Checksum, CrcMatchesBitwiseReference) {
  auto ref64 = [](std::string_view d) {
    std::uint64_t crc = ~0ULL;
    for (unsigned char c : d) {
      crc ^= c;
      for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x9a6c9329ac4bc9b5ULL : crc >> 1;
    }
    return ~crc;
  };
  auto ref32c = [](std::string_view d) {
    std::uint32_t crc = ~0U;
    for (unsigned char c : d) {
      crc ^= c;
      for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78U : crc >> 1;
    }
    return ~crc;
  };
  std::mt19937 rng(7);
  std::string buf(200, '\0');
  for (auto& c : buf) c = static_cast<char>(rng());
  for (std::size_t off = 0; off < 9; ++off) {
    for (std::size_t len = 0; len < 100; len += 3) {
      std::string_view d(buf.data() + off, len);
      EXPECT_EQ(Crc64Nvme(0, d.data(), d.size()), ref64(d));
      EXPECT_EQ(Crc32c(0, d.data(), d.size()), ref32c(d));
    }
  }
}

// Inputs of 16 KiB and more take the four-lane CRC64 path; feeding the same bytes in small pieces takes
// the plain one. Both must agree, at any alignment and length.
TEST(Checksum, Crc64LanePathMatchesPlainPath) {
  std::mt19937 rng(99);
  std::string buf(70000 + 16, '\0');
  for (auto& c : buf) c = static_cast<char>(rng());
  for (std::size_t off : {0, 1, 5}) {
    for (std::size_t len : {16383, 16384, 16385, 32768 + 7, 70000}) {
      std::uint64_t whole = Crc64Nvme(0, buf.data() + off, len);
      std::uint64_t pieces = 0;
      for (std::size_t i = 0; i < len; i += 1000) {
        pieces = Crc64Nvme(pieces, buf.data() + off + i, std::min<std::size_t>(1000, len - i));
      }
      EXPECT_EQ(whole, pieces) << off << " " << len;
    }
  }
}

TEST(Checksum, CombineCrc) {
  std::string a = "The quick brown fox ", b = "jumps over the lazy dog, many times over.";
  for (auto alg : {ChecksumAlgorithm::kCRC32, ChecksumAlgorithm::kCRC32C, ChecksumAlgorithm::kCRC64NVME}) {
    auto combined = CombineCrc(alg, ComputeChecksum(alg, a), ComputeChecksum(alg, b), b.size());
    ASSERT_TRUE(combined.has_value());
    EXPECT_EQ(*combined, ComputeChecksum(alg, a + b)) << ChecksumAlgorithmName(alg);
    auto with_empty = CombineCrc(alg, ComputeChecksum(alg, a), ComputeChecksum(alg, ""), 0);
    EXPECT_EQ(*with_empty, ComputeChecksum(alg, a));
  }
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kSHA256, "", "", 0).has_value());
  EXPECT_FALSE(CombineCrc(ChecksumAlgorithm::kCRC32, "abc", "abcd", 1).has_value());
}

TEST(Checksum, Names) {
  EXPECT_EQ(ParseChecksumAlgorithm("crc32c"), ChecksumAlgorithm::kCRC32C);
  EXPECT_EQ(ParseChecksumAlgorithm("CRC64NVME"), ChecksumAlgorithm::kCRC64NVME);
  EXPECT_EQ(ParseChecksumAlgorithm("Sha256"), ChecksumAlgorithm::kSHA256);
  EXPECT_FALSE(ParseChecksumAlgorithm("CRC33").has_value());
  EXPECT_FALSE(ParseChecksumAlgorithm("").has_value());
  EXPECT_EQ(ChecksumAlgorithmName(ChecksumAlgorithm::kSHA1), "SHA1");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCRC64NVME), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCRC32), "x-amz-checksum-crc32");
}

// Throughput report for the log; never asserted.
TEST(Checksum, ThroughputReport) {
  std::string data(64 << 20, 'x');
  for (std::size_t i = 0; i < data.size(); i += 97) data[i] = static_cast<char>(i);
  for (auto alg : {ChecksumAlgorithm::kCRC32, ChecksumAlgorithm::kCRC32C, ChecksumAlgorithm::kCRC64NVME,
                   ChecksumAlgorithm::kSHA1, ChecksumAlgorithm::kSHA256, ChecksumAlgorithm::kMD5}) {
    auto start = std::chrono::steady_clock::now();
    auto digest = ComputeChecksum(alg, data);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[throughput] %-9s %8.0f MB/s%s\n", std::string(ChecksumAlgorithmName(alg)).c_str(),
                data.size() / 1e6 / secs,
                alg == ChecksumAlgorithm::kCRC32C && Crc32cIsHardwareAccelerated() ? " (sse4.2)" : "");
    EXPECT_EQ(digest.size(), ChecksumDigestSize(alg));
  }
}

}  // namespace
}  // namespace cenote
