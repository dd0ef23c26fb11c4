// Upload hashing for S3: MD5 (for the ETag) plus the flexible checksums a request asks for, computed
// while the body streams to disk. Wraps cenote_common's checksum API (common/checksum.hpp).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::s3 {

// The S3 flexible checksum algorithms by their model names, in the order S3 documents them.
const std::vector<std::string>& ChecksumNames();  // CRC32, CRC32C, CRC64NVME, SHA1, SHA256
// "CRC32" -> "x-amz-checksum-crc32".
std::string ChecksumHeader(std::string_view name);
// Raw digest length of an algorithm (CRC32: 4, CRC64NVME: 8, SHA256: 32, ...).
std::size_t ChecksumRawSize(std::string_view name);

class UploadDigest {
 public:
  // `algorithms` holds model names ("CRC32", ...); unknown names are ignored.
  explicit UploadDigest(const std::vector<std::string>& algorithms);
  ~UploadDigest();
  UploadDigest(UploadDigest&&) noexcept;
  UploadDigest& operator=(UploadDigest&&) noexcept;

  void Update(const char* data, std::size_t n);
  // Finishes every hasher. Call once.
  void Finish();
  const std::string& md5() const { return md5_; }                                     // raw 16 bytes
  const std::map<std::string, std::string>& checksums() const { return checksums_; }  // name -> base64

 private:
  struct Hashers;
  std::unique_ptr<Hashers> hashers_;
  std::string md5_;
  std::map<std::string, std::string> checksums_;
};

// One-shot digest of `data` with a model-named algorithm ("CRC32", ..., or "MD5"), raw bytes.
std::string DigestOf(std::string_view algorithm, std::string_view data);

}  // namespace cenote::s3
