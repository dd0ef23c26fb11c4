// Log file integrity validation (AWS's "CloudTrail digest file structure" and "Validating CloudTrail log
// file integrity"): RSA-2048 signing keys, one set per region, and the SHA256withRSA signature of a digest
// file over AWS's string to sign:
//     digestEndTime "\n" digestS3Bucket "/" digestS3Object "\n" hex(SHA-256(uncompressed digest file)) "\n"
//     previousDigestSignature (or "null" for the first digest of a chain)
// The public key is published by ListPublicKeys as the DER encoding of its PKCS#1 RSAPublicKey, with the
// hex MD5 of that encoding as its fingerprint (the digest's digestPublicKeyFingerprint).
//
// Thread safety: SigningKey is immutable once made; its methods may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::cloudtrail {

class SigningKey {
 public:
  ~SigningKey();
  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;

  // A new RSA-2048 key pair.
  static Result<SigningKey> Generate();
  // A key from its PKCS#1 private-key DER (PrivateDer()).
  static Result<SigningKey> FromPrivateDer(std::string_view der);

  std::string PrivateDer() const;
  std::string PublicDer() const;    // PKCS#1 RSAPublicKey, DER
  std::string Fingerprint() const;  // hex MD5 of PublicDer()
  // SHA256withRSA (PKCS#1 v1.5) of `data`, hex-encoded as the digest object's x-amz-meta-signature.
  Result<std::string> SignHex(std::string_view data) const;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Verifies a hex SHA256withRSA signature of `data` under a PKCS#1 public key DER (the validators' side).
bool VerifySignatureHex(std::string_view public_der, std::string_view data, std::string_view signature_hex);

// The string a digest file's signature covers (see the header comment).
std::string DigestStringToSign(std::string_view digest_end_time, std::string_view bucket,
                               std::string_view key, std::string_view uncompressed_digest,
                               std::string_view previous_signature);

}  // namespace cenote::cloudtrail
