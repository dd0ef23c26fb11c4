#include "services/s3/checksums.hpp"

#include "common/checksum.hpp"
#include "common/encoding.hpp"
#include "common/strings.hpp"

namespace cenote::s3 {

namespace {

std::optional<ChecksumAlgorithm> AlgorithmOf(std::string_view name) {
  if (name == "CRC32") return ChecksumAlgorithm::kCRC32;
  if (name == "CRC32C") return ChecksumAlgorithm::kCRC32C;
  if (name == "CRC64NVME") return ChecksumAlgorithm::kCRC64NVME;
  if (name == "SHA1") return ChecksumAlgorithm::kSHA1;
  if (name == "SHA256") return ChecksumAlgorithm::kSHA256;
  if (name == "MD5") return ChecksumAlgorithm::kMD5;
  return std::nullopt;
}

}  // namespace

struct UploadDigest::Hashers {
  std::unique_ptr<Hasher> md5;
  std::vector<std::pair<std::string, std::unique_ptr<Hasher>>> others;
};

const std::vector<std::string>& ChecksumNames() {
  static const std::vector<std::string> kNames = {"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"};
  return kNames;
}

std::string ChecksumHeader(std::string_view name) { return "x-amz-checksum-" + AsciiLower(name); }

std::size_t ChecksumRawSize(std::string_view name) {
  if (name == "CRC32" || name == "CRC32C") return 4;
  if (name == "CRC64NVME") return 8;
  if (name == "SHA1") return 20;
  if (name == "SHA256") return 32;
  if (name == "MD5") return 16;
  return 0;
}

UploadDigest::UploadDigest(const std::vector<std::string>& algorithms)
    : hashers_(std::make_unique<Hashers>()) {
  hashers_->md5 = Hasher::Create(ChecksumAlgorithm::kMD5);
  for (const auto& name : algorithms) {
    auto alg = AlgorithmOf(name);
    if (!alg || *alg == ChecksumAlgorithm::kMD5) continue;
    bool seen = false;
    for (const auto& [n, h] : hashers_->others) seen = seen || n == name;
    if (!seen) hashers_->others.emplace_back(name, Hasher::Create(*alg));
  }
}

UploadDigest::~UploadDigest() = default;
UploadDigest::UploadDigest(UploadDigest&&) noexcept = default;
UploadDigest& UploadDigest::operator=(UploadDigest&&) noexcept = default;

void UploadDigest::Update(const char* data, std::size_t n) {
  hashers_->md5->Update(data, n);
  for (auto& [name, hasher] : hashers_->others) hasher->Update(data, n);
}

void UploadDigest::Finish() {
  md5_ = hashers_->md5->Final();
  for (auto& [name, hasher] : hashers_->others) checksums_[name] = Base64Encode(hasher->Final());
}

std::string DigestOf(std::string_view algorithm, std::string_view data) {
  auto alg = AlgorithmOf(algorithm);
  if (!alg) return {};
  auto hasher = Hasher::Create(*alg);
  hasher->Update(data.data(), data.size());
  return hasher->Final();
}

}  // namespace cenote::s3
