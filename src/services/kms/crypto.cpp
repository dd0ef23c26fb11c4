// KMS cryptography over OpenSSL 3 (crypto.hpp).
#include "services/kms/crypto.hpp"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "common/random.hpp"

namespace cenote::kms::crypto {

namespace {

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;
using PKey = std::unique_ptr<EVP_PKEY, CtxFree>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

const unsigned char* U(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

const EVP_CIPHER* GcmCipher(std::size_t key_bytes) {
  switch (key_bytes) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

const EVP_MD* ShaMd(int bits) {
  switch (bits) {
    case 1:
      return EVP_sha1();
    case 224:
      return EVP_sha224();
    case 256:
      return EVP_sha256();
    case 384:
      return EVP_sha384();
    case 512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

PKey ReadPrivate(std::string_view der) {
  const unsigned char* p = U(der);
  return PKey(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
}

PKey ReadPublic(std::string_view der) {
  const unsigned char* p = U(der);
  return PKey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
}

int AlgorithmBits(std::string_view algorithm) {
  if (algorithm.ends_with("SHA_256")) return 256;
  if (algorithm.ends_with("SHA_384")) return 384;
  if (algorithm.ends_with("SHA_512")) return 512;
  return 0;
}

}  // namespace

Result<std::string> AesGcmSeal(std::string_view key, std::string_view iv, std::string_view aad,
                               std::string_view plaintext) {
  const EVP_CIPHER* cipher = GcmCipher(key.size());
  if (cipher == nullptr || iv.size() != kGcmIvBytes) return InternalError("AES-GCM: bad key or IV length");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(plaintext.size() + kGcmTagBytes, '\0');
  int len = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, U(key), U(iv)) != 1 ||
      (!aad.empty() &&
       EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_EncryptUpdate(ctx.get(), o, &len, U(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), o + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagBytes, o + plaintext.size()) != 1) {
    return InternalError("AES-GCM encryption failed");
  }
  return out;
}

std::optional<std::string> AesGcmOpen(std::string_view key, std::string_view iv, std::string_view aad,
                                      std::string_view sealed) {
  const EVP_CIPHER* cipher = GcmCipher(key.size());
  if (cipher == nullptr || iv.size() != kGcmIvBytes || sealed.size() < kGcmTagBytes) return std::nullopt;
  const std::size_t n = sealed.size() - kGcmTagBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  std::string out(n, '\0');
  int len = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::string tag(sealed.substr(n));
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, U(key), U(iv)) != 1 ||
      (!aad.empty() &&
       EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) ||
      EVP_DecryptUpdate(ctx.get(), o, &len, U(sealed), static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), o + len, &len) != 1) {
    return std::nullopt;
  }
  return out;
}

Result<std::string> Seal(std::string_view root_key, std::string_view aad, std::string_view plaintext) {
  std::string iv = RandomBytes(kGcmIvBytes);
  CENOTE_ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(root_key, iv, aad, plaintext));
  return iv + sealed;
}

std::optional<std::string> Unseal(std::string_view root_key, std::string_view aad, std::string_view sealed) {
  if (sealed.size() < kGcmIvBytes + kGcmTagBytes) return std::nullopt;
  return AesGcmOpen(root_key, sealed.substr(0, kGcmIvBytes), aad, sealed.substr(kGcmIvBytes));
}

Result<std::string> LoadOrCreateRootKey(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return InternalError("cannot read the KMS root key file " + path);
    if (bytes.size() != 32) {
      return InternalError("the KMS root key file " + path + " must hold exactly 32 bytes, not " +
                           std::to_string(bytes.size()));
    }
    return bytes;
  }
  // New key: write a temporary file, fsync it, rename it into place, fsync the directory.
  std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  std::string key = RandomBytes(32);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return InternalError("cannot create the KMS root key file " + path + ": " + std::strerror(errno));
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return InternalError("cannot write the KMS root key file " + path);
  }
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return key;
}

bool IsKeyPairSpec(std::string_view spec) {
  return spec == "RSA_2048" || spec == "RSA_3072" || spec == "RSA_4096" || spec == "ECC_NIST_P256" ||
         spec == "ECC_NIST_P384" || spec == "ECC_NIST_P521" || spec == "ECC_SECG_P256K1";
}

Result<std::string> GenerateKeyPair(std::string_view spec) {
  EVP_PKEY* raw = nullptr;
  if (spec.starts_with("RSA_")) {
    const unsigned bits = spec == "RSA_2048" ? 2048 : spec == "RSA_3072" ? 3072 : 4096;
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits));
  } else {
    const char* curve = spec == "ECC_NIST_P256"   ? "P-256"
                        : spec == "ECC_NIST_P384" ? "P-384"
                        : spec == "ECC_NIST_P521" ? "P-521"
                                                  : "secp256k1";
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  }
  PKey key(raw);
  if (!key) return InternalError("key pair generation failed for " + std::string(spec));
  unsigned char* der = nullptr;
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key.get());
  if (p8 == nullptr) return InternalError("PKCS#8 encoding failed");
  const int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (len <= 0) return InternalError("PKCS#8 encoding failed");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string> PublicKeyOf(std::string_view private_der) {
  PKey key = ReadPrivate(private_der);
  if (!key) return InternalError("unreadable private key");
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key.get(), &der);
  if (len <= 0) return InternalError("public key encoding failed");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string> SpecOfPrivateKey(std::string_view private_der) {
  PKey key = ReadPrivate(private_der);
  if (!key) return std::nullopt;
  if (EVP_PKEY_is_a(key.get(), "RSA")) {
    const int bits = EVP_PKEY_get_bits(key.get());
    if (bits == 2048 || bits == 3072 || bits == 4096) return "RSA_" + std::to_string(bits);
    return std::nullopt;
  }
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    char name[64] = {0};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof(name), &len) != 1)
      return std::nullopt;
    std::string_view n(name, len);
    if (n == "prime256v1" || n == "P-256") return "ECC_NIST_P256";
    if (n == "secp384r1" || n == "P-384") return "ECC_NIST_P384";
    if (n == "secp521r1" || n == "P-521") return "ECC_NIST_P521";
    if (n == "secp256k1") return "ECC_SECG_P256K1";
  }
  return std::nullopt;
}

Result<std::string> RsaOaepEncrypt(std::string_view public_der, int sha, std::string_view plaintext) {
  PKey key = ReadPublic(public_der);
  if (!key) return InternalError("unreadable public key");
  PKeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), ShaMd(sha)) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), ShaMd(sha)) != 1 ||
      EVP_PKEY_encrypt(ctx.get(), nullptr, &len, U(plaintext), plaintext.size()) != 1) {
    return MakeError("InvalidKeyUsageException", "RSA encryption failed", 400);
  }
  std::string out(len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(plaintext),
                       plaintext.size()) != 1) {
    return MakeError("ValidationException", "The plaintext is too long for this key and algorithm.", 400);
  }
  out.resize(len);
  return out;
}

std::optional<std::string> RsaOaepDecrypt(std::string_view private_der, int sha,
                                          std::string_view ciphertext) {
  PKey key = ReadPrivate(private_der);
  if (!key) return std::nullopt;
  PKeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), ShaMd(sha)) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), ShaMd(sha)) != 1 ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &len, U(ciphertext), ciphertext.size()) != 1) {
    return std::nullopt;
  }
  std::string out(len, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(ciphertext),
                       ciphertext.size()) != 1) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::size_t DigestBytes(std::string_view algorithm) {
  return static_cast<std::size_t>(AlgorithmBits(algorithm) / 8);
}

std::string Digest(std::string_view algorithm, std::string_view message) {
  const EVP_MD* md = ShaMd(AlgorithmBits(algorithm));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (md == nullptr || EVP_Digest(message.data(), message.size(), out, &len, md, nullptr) != 1) return {};
  return std::string(reinterpret_cast<char*>(out), len);
}

namespace {

bool SetSignaturePadding(EVP_PKEY_CTX* ctx, std::string_view algorithm) {
  const EVP_MD* md = ShaMd(AlgorithmBits(algorithm));
  if (md == nullptr || EVP_PKEY_CTX_set_signature_md(ctx, md) != 1) return false;
  if (algorithm.starts_with("RSASSA_PSS_")) {
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) == 1;
  }
  if (algorithm.starts_with("RSASSA_PKCS1_V1_5_"))
    return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
  return true;  // ECDSA
}

}  // namespace

Result<std::string> SignDigest(std::string_view private_der, std::string_view algorithm,
                               std::string_view digest) {
  PKey key = ReadPrivate(private_der);
  if (!key) return InternalError("unreadable private key");
  PKeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 || !SetSignaturePadding(ctx.get(), algorithm) ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, U(digest), digest.size()) != 1) {
    return InternalError("signing failed");
  }
  std::string out(len, '\0');
  if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(digest),
                    digest.size()) != 1)
    return InternalError("signing failed");
  out.resize(len);
  return out;
}

bool VerifyDigest(std::string_view public_der, std::string_view algorithm, std::string_view digest,
                  std::string_view signature) {
  PKey key = ReadPublic(public_der);
  if (!key) return false;
  PKeyCtx ctx(EVP_PKEY_CTX_new(key.get(), nullptr));
  return ctx && EVP_PKEY_verify_init(ctx.get()) == 1 && SetSignaturePadding(ctx.get(), algorithm) &&
         EVP_PKEY_verify(ctx.get(), U(signature), signature.size(), U(digest), digest.size()) == 1;
}

std::string Hmac(int bits, std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const EVP_MD* md = ShaMd(bits);
  if (md == nullptr ||
      HMAC(md, key.data(), static_cast<int>(key.size()), U(message), message.size(), out, &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace cenote::kms::crypto
