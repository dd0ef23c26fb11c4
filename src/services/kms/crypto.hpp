// The cryptography of Cenote's KMS, over OpenSSL 3: AES-256-GCM (key material at rest under the root key,
// and symmetric ciphertexts under a KMS key's material), RSA and elliptic-curve key pairs (OAEP encryption,
// PSS / PKCS#1 v1.5 / ECDSA signatures), HMAC, and the root key file.
//
// Every function is pure (no shared state) and thread-safe. Keys and plaintexts are std::string of raw
// bytes. Failures that a client causes (a tampered ciphertext, a wrong key) are reported as false / nullopt;
// failures of the library itself are errors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::kms::crypto {

inline constexpr std::size_t kGcmIvBytes = 12;
inline constexpr std::size_t kGcmTagBytes = 16;

// AES-GCM with a 12-byte IV: ciphertext || 16-byte tag. The key is 16, 24 or 32 bytes.
Result<std::string> AesGcmSeal(std::string_view key, std::string_view iv, std::string_view aad,
                               std::string_view plaintext);
// The plaintext, or nullopt when the tag does not verify (wrong key, AAD or tampered bytes).
std::optional<std::string> AesGcmOpen(std::string_view key, std::string_view iv, std::string_view aad,
                                      std::string_view sealed);

// Sealing under the root key: iv || ciphertext || tag, with `aad` naming what the bytes are (a key's ARN
// and material version), so one key's sealed material cannot be swapped for another's.
Result<std::string> Seal(std::string_view root_key, std::string_view aad, std::string_view plaintext);
std::optional<std::string> Unseal(std::string_view root_key, std::string_view aad, std::string_view sealed);

// The root key in `path`: 32 bytes read from the file, or, when it does not exist, 32 random bytes
// written to it (mode 0600, fsynced, then its directory fsynced) before they are returned.
Result<std::string> LoadOrCreateRootKey(const std::string& path);

// ---- key pairs (KeySpec names: RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521,
// ECC_SECG_P256K1)
bool IsKeyPairSpec(std::string_view spec);
// A new private key as PKCS#8 DER.
Result<std::string> GenerateKeyPair(std::string_view spec);
// The DER SubjectPublicKeyInfo of a PKCS#8 DER private key.
Result<std::string> PublicKeyOf(std::string_view private_der);
// The private key's spec (as above), or nullopt for a key of another kind.
std::optional<std::string> SpecOfPrivateKey(std::string_view private_der);

// RSAES-OAEP with SHA-1 or SHA-256 (MGF1 with the same hash): `sha` is 1 or 256.
Result<std::string> RsaOaepEncrypt(std::string_view public_der, int sha, std::string_view plaintext);
std::optional<std::string> RsaOaepDecrypt(std::string_view private_der, int sha, std::string_view ciphertext);

// Signatures over a digest. `algorithm` is a KMS SigningAlgorithm (RSASSA_PSS_SHA_256, ..., ECDSA_SHA_512);
// PSS uses a salt as long as the digest; ECDSA signatures are DER (as KMS and OpenSSL write them).
std::size_t DigestBytes(std::string_view algorithm);  // 32, 48, 64; 0 for an unknown algorithm
std::string Digest(std::string_view algorithm, std::string_view message);
Result<std::string> SignDigest(std::string_view private_der, std::string_view algorithm,
                               std::string_view digest);
bool VerifyDigest(std::string_view public_der, std::string_view algorithm, std::string_view digest,
                  std::string_view signature);

// HMAC with SHA-224/256/384/512 (`bits`).
std::string Hmac(int bits, std::string_view key, std::string_view message);

}  // namespace cenote::kms::crypto
