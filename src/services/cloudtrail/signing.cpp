#include "services/cloudtrail/signing.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "common/encoding.hpp"

namespace cenote::cloudtrail {

struct SigningKey::Impl {
  EVP_PKEY* pkey = nullptr;
  ~Impl() { EVP_PKEY_free(pkey); }
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

Result<SigningKey> SigningKey::Generate() {
  EVP_PKEY* pkey = EVP_RSA_gen(2048);
  if (pkey == nullptr) return InternalError("RSA key generation failed");
  auto impl = std::make_unique<Impl>();
  impl->pkey = pkey;
  return SigningKey(std::move(impl));
}

Result<SigningKey> SigningKey::FromPrivateDer(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* pkey = d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size()));
  if (pkey == nullptr) return InternalError("stored CloudTrail signing key does not parse");
  auto impl = std::make_unique<Impl>();
  impl->pkey = pkey;
  return SigningKey(std::move(impl));
}

std::string SigningKey::PrivateDer() const {
  unsigned char* out = nullptr;
  int n = i2d_PrivateKey(impl_->pkey, &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

std::string SigningKey::PublicDer() const {
  unsigned char* out = nullptr;
  int n = i2d_PublicKey(impl_->pkey, &out);  // RSA: the PKCS#1 RSAPublicKey structure
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

std::string SigningKey::Fingerprint() const {
  std::string der = PublicDer();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(der.data(), der.size(), md, &len, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<char*>(md), len));
}

Result<std::string> SigningKey::SignHex(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, impl_->pkey) == 1;
  std::size_t len = 0;
  ok = ok && EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return InternalError("digest signing failed");
  return HexEncode(sig);
}

bool VerifySignatureHex(std::string_view public_der, std::string_view data, std::string_view signature_hex) {
  auto sig = HexDecode(signature_hex);
  if (!sig) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(public_der.data());
  EVP_PKEY* pkey = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(public_der.size()));
  if (pkey == nullptr) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

std::string DigestStringToSign(std::string_view digest_end_time, std::string_view bucket,
                               std::string_view key, std::string_view uncompressed_digest,
                               std::string_view previous_signature) {
  std::string out;
  out.append(digest_end_time).append("\n");
  out.append(bucket).append("/").append(key).append("\n");
  out.append(Sha256Hex(uncompressed_digest)).append("\n");
  out.append(previous_signature.empty() ? std::string_view("null") : previous_signature);
  return out;
}

}  // namespace cenote::cloudtrail
