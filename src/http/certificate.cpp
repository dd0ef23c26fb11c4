// Self-signed certificate generation for `cenote serve --tls` and tests (OpenSSL 3 EVP APIs).
#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "http/server.hpp"

namespace cenote::http {

namespace {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

Error CertError(const std::string& what) { return MakeError("InternalError", "certificate: " + what, 500); }

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Writes `pem` to `path` atomically enough for a startup artefact: created with `mode` from the
// start (never briefly world-readable), truncated, fsynced.
Status WriteFile(const std::string& path, const std::string& pem, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return CertError("cannot open " + path);
  ::fchmod(fd, mode);
  std::size_t off = 0;
  while (off < pem.size()) {
    ssize_t w = ::write(fd, pem.data() + off, pem.size() - off);
    if (w < 0) {
      ::close(fd);
      return CertError("cannot write " + path);
    }
    off += static_cast<std::size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  return Status::Ok();
}

std::string ToPem(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

Status GenerateSelfSignedCertificate(const std::string& cert_path, const std::string& key_path,
                                     const std::vector<std::string>& names) {
  std::unique_ptr<EVP_PKEY, EvpPkeyFree> key(EVP_EC_gen("P-256"));
  if (!key) return CertError("EC key generation failed");
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return CertError("X509_new failed");
  X509_set_version(cert.get(), 2);  // v3

  unsigned char serial_bytes[16];
  if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1) return CertError("RAND_bytes failed");
  serial_bytes[0] &= 0x7f;  // positive
  BIGNUM* serial_bn = BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr);
  if (!serial_bn) return CertError("BN_bin2bn failed");
  BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get()));
  BN_free(serial_bn);

  // Backdated an hour against client clock skew.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());

  std::string cn = names.empty() ? "localhost" : names.front();
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Cenote"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  std::string san;
  for (const std::string& n : (names.empty() ? std::vector<std::string>{"localhost"} : names)) {
    if (!san.empty()) san += ",";
    san += (IsIpAddress(n) ? "IP:" : "DNS:") + n;
  }
  // As `openssl req -x509` does: the certificate is its own trust anchor, so clients that are
  // given it as a CA file (boto3 verify=, AWS_CA_BUNDLE) accept it, including strict X.509 checks.
  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !AddExtension(cert.get(), NID_authority_key_identifier, "keyid:always") ||
      !AddExtension(cert.get(), NID_subject_alt_name, san)) {
    return CertError("cannot add extensions (names: " + san + ")");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return CertError("signing failed");

  std::unique_ptr<BIO, BioFree> key_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio) return CertError("BIO_new failed");
  if (PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1) {
    return CertError("PEM encoding failed");
  }
  CENOTE_RETURN_IF_ERROR(WriteFile(key_path, ToPem(key_bio.get()), 0600));
  return WriteFile(cert_path, ToPem(cert_bio.get()), 0644);
}

}  // namespace cenote::http
