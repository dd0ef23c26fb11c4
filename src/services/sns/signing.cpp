#include "services/sns/signing.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/common/params.hpp"

namespace cenote::sns {

namespace {

const EVP_MD* Digest(int signature_version) { return signature_version == 2 ? EVP_sha256() : EVP_sha1(); }

std::string Md5Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), md, &n, EVP_md5(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), n));
}

}  // namespace

struct SigningKey::Impl {
  EVP_PKEY* pkey = nullptr;
  std::string certificate_pem;
  std::string certificate_name;
  ~Impl() { EVP_PKEY_free(pkey); }
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

Result<SigningKey> SigningKey::Generate() {
  auto impl = std::make_unique<Impl>();
  impl->pkey = EVP_RSA_gen(2048);
  if (impl->pkey == nullptr) return InternalError("RSA key generation failed");
  X509* cert = X509_new();
  if (cert == nullptr) return InternalError("certificate allocation failed");
  X509_set_version(cert, 2);
  // A random positive 64-bit serial.
  std::string serial = RandomBytes(8);
  serial[0] = static_cast<char>(serial[0] & 0x7F);
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 8, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert, impl->pkey);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Cenote"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sns.amazonaws.com"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  bool ok = X509_sign(cert, impl->pkey, EVP_sha256()) > 0;
  BIO* bio = BIO_new(BIO_s_mem());
  ok = ok && PEM_write_bio_X509(bio, cert) == 1;
  if (ok) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    impl->certificate_pem.assign(data, static_cast<std::size_t>(n));
  }
  BIO_free(bio);
  X509_free(cert);
  if (!ok) return InternalError("self-signed certificate creation failed");
  impl->certificate_name = "SimpleNotificationService-" + Md5Hex(impl->certificate_pem) + ".pem";
  return SigningKey(std::move(impl));
}

Result<SigningKey> SigningKey::Load(std::string_view private_der, std::string_view certificate_pem) {
  auto impl = std::make_unique<Impl>();
  const auto* p = reinterpret_cast<const unsigned char*>(private_der.data());
  impl->pkey = d2i_PrivateKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(private_der.size()));
  if (impl->pkey == nullptr) return InternalError("stored SNS signing key does not parse");
  impl->certificate_pem = std::string(certificate_pem);
  impl->certificate_name = "SimpleNotificationService-" + Md5Hex(impl->certificate_pem) + ".pem";
  return SigningKey(std::move(impl));
}

std::string SigningKey::PrivateDer() const {
  unsigned char* out = nullptr;
  int n = i2d_PrivateKey(impl_->pkey, &out);
  if (n <= 0) return "";
  std::string der(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

const std::string& SigningKey::CertificatePem() const { return impl_->certificate_pem; }
const std::string& SigningKey::CertificateName() const { return impl_->certificate_name; }

Result<std::string> SigningKey::Sign(std::string_view data, int signature_version) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return InternalError("EVP_MD_CTX_new failed");
  std::size_t len = 0;
  bool ok = EVP_DigestSignInit(ctx, nullptr, Digest(signature_version), nullptr, impl_->pkey) == 1 &&
            EVP_DigestSignUpdate(ctx, data.data(), data.size()) == 1 &&
            EVP_DigestSignFinal(ctx, nullptr, &len) == 1;
  std::string sig(len, '\0');
  ok = ok && EVP_DigestSignFinal(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return InternalError("SNS message signing failed");
  sig.resize(len);
  return Base64Encode(sig);
}

std::string CanonicalString(const boost::json::object& message) {
  const std::string type = services::GetString(message, "Type").value_or("");
  static constexpr std::string_view kNotification[] = {"Message",   "MessageId", "Subject",
                                                       "Timestamp", "TopicArn",  "Type"};
  static constexpr std::string_view kConfirmation[] = {"Message", "MessageId", "SubscribeURL", "Timestamp",
                                                       "Token",   "TopicArn",  "Type"};
  std::string out;
  auto add = [&](std::string_view key) {
    if (auto v = services::GetString(message, key)) out.append(key).append("\n").append(*v).append("\n");
  };
  if (type == "Notification") {
    for (std::string_view k : kNotification) add(k);
  } else {
    for (std::string_view k : kConfirmation) add(k);
  }
  return out;
}

bool VerifySignature(std::string_view certificate_pem, std::string_view data, std::string_view signature_b64,
                     int signature_version) {
  auto sig = Base64Decode(signature_b64);
  if (!sig) return false;
  BIO* bio = BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return false;
  EVP_PKEY* key = X509_get_pubkey(cert);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = key != nullptr && ctx != nullptr &&
            EVP_DigestVerifyInit(ctx, nullptr, Digest(signature_version), nullptr, key) == 1 &&
            EVP_DigestVerifyUpdate(ctx, data.data(), data.size()) == 1 &&
            EVP_DigestVerifyFinal(ctx, reinterpret_cast<const unsigned char*>(sig->data()), sig->size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  X509_free(cert);
  return ok;
}

}  // namespace cenote::sns
