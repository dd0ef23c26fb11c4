// SecretSealer: how a service keeps a secret of its own at rest (a signing key's private half: CloudTrail's
// digest keys, SNS's message-signing key) sealed under the server's root key, so that a copy of the data
// directory alone reveals nothing when the root key lives outside it (`--kms-root-key-file`).
//
// KMS offers one (deps.Offer<SecretSealer>, kms/register.cpp) under a key derived from its root key for this
// purpose only; services registered after it Find() it. Sealed values carry a marker (IsSealed), so a value
// written before sealing existed (or by a server without KMS) still reads, and is sealed when next written.
//
// Thread safety: Seal and Unseal may be called concurrently.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::services {

class SecretSealer {
 public:
  virtual ~SecretSealer() = default;
  // `secret` sealed (AES-256-GCM) with `purpose` ("cloudtrail digest key us-east-1/<fingerprint>") as
  // additional authenticated data: a sealed value moved to another purpose fails to open.
  virtual Result<std::string> Seal(std::string_view purpose, std::string_view secret) const = 0;
  // The secret, or an error for a wrong purpose, another root key, or altered bytes.
  virtual Result<std::string> Unseal(std::string_view purpose, std::string_view sealed) const = 0;

  // Whether `stored` is a sealed value (its marker), not a legacy plaintext one.
  static bool IsSealed(std::string_view stored) { return stored.starts_with(kMarker); }
  static constexpr std::string_view kMarker = "cenote-sealed-1:";
};

// `secret` as a service stores it: sealed when `sealer` is set, else as it is.
inline Result<std::string> SealSecret(const SecretSealer* sealer, std::string_view purpose,
                                      std::string_view secret) {
  if (sealer == nullptr) return std::string(secret);
  return sealer->Seal(purpose, secret);
}

// What a service stored, opened: sealed values with `sealer` (an error without one), legacy ones as they are.
inline Result<std::string> OpenSecret(const SecretSealer* sealer, std::string_view purpose,
                                      std::string_view stored) {
  if (!SecretSealer::IsSealed(stored)) return std::string(stored);
  if (sealer == nullptr) return InternalError("a sealed secret needs KMS's root key, and KMS is not running");
  return sealer->Unseal(purpose, stored);
}

}  // namespace cenote::services
