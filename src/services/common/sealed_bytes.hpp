// AES-256-GCM of small payloads (a stream record, a buffered Firehose record) under a 32-byte data key,
// for the services that encrypt at rest with KMS data keys (Kinesis, Firehose):
//   12-byte random nonce | ciphertext | 16-byte tag, with `aad` authenticated and not stored.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::services {

inline constexpr std::size_t kSealedOverhead = 12 + 16;

// InternalError when `key` is not 32 bytes or the cipher library fails.
Result<std::string> SealBytes(std::string_view key, std::string_view aad, std::string_view plaintext);
// InternalError for a wrong key, a different `aad`, or altered or truncated bytes.
Result<std::string> OpenBytes(std::string_view key, std::string_view aad, std::string_view sealed);

// A service's own 32-byte key in the file `path` (mode 0600, made durably on first use; never replaced once
// it exists: what it sealed would be lost). An empty path: a key that lives only in this process (tests).
// For data a service encrypts under a key it owns (Firehose's AWS_OWNED_CMK).
Result<std::string> LoadOrCreateServiceKey(const std::string& path);

}  // namespace cenote::services
