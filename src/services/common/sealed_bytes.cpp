#include "services/common/sealed_bytes.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <filesystem>
#include <memory>

#include "common/random.hpp"
#include "store/durable_file.hpp"

namespace cenote::services {

namespace {

constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

Result<std::string> SealBytes(std::string_view key, std::string_view aad, std::string_view plaintext) {
  if (key.size() != 32) return InternalError("a data key is not 256 bits");
  std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  auto* dst = nonce + kNonceSize;
  CipherCtx c(EVP_CIPHER_CTX_new());
  int n = 0;
  if (RAND_bytes(nonce, kNonceSize) != 1 || !c ||
      EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(c.get(), nullptr, nullptr, Bytes(key), nonce) != 1 ||
      EVP_EncryptUpdate(c.get(), nullptr, &n, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(c.get(), dst, &n, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(c.get(), dst + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + plaintext.size()) != 1) {
    return InternalError("sealing failed");
  }
  return out;
}

Result<std::string> OpenBytes(std::string_view key, std::string_view aad, std::string_view sealed) {
  if (key.size() != 32) return InternalError("a data key is not 256 bits");
  if (sealed.size() < kSealedOverhead) return InternalError("sealed bytes are truncated");
  const std::string_view nonce = sealed.substr(0, kNonceSize);
  const std::string_view body = sealed.substr(kNonceSize, sealed.size() - kSealedOverhead);
  std::string tag(sealed.substr(sealed.size() - kTagSize));
  std::string out(body.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx c(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok = c && EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1 &&
                  EVP_DecryptInit_ex(c.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) == 1 &&
                  EVP_DecryptUpdate(c.get(), nullptr, &n, Bytes(aad), static_cast<int>(aad.size())) == 1 &&
                  EVP_DecryptUpdate(c.get(), dst, &n, Bytes(body), static_cast<int>(body.size())) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1 &&
                  EVP_DecryptFinal_ex(c.get(), dst + n, &n) == 1;
  if (!ok) return InternalError("sealed bytes failed authentication");
  return out;
}

Result<std::string> LoadOrCreateServiceKey(const std::string& path) {
  std::string bytes;
  if (path.empty()) {
    bytes = RandomBytes(32);
  } else {
    std::error_code ec;
    if (std::filesystem::exists(path, ec) || ec) {
      CENOTE_ASSIGN_OR_RETURN(bytes, store::ReadFile(path));
    } else {
      bytes = RandomBytes(32);
      CENOTE_RETURN_IF_ERROR(store::CreateDirectoriesDurably(store::ParentDirectory(path)));
      CENOTE_RETURN_IF_ERROR(store::WriteFileDurably(path, bytes, 0600));
    }
  }
  if (bytes.size() != 32) return InternalError("the key file " + path + " is not 32 bytes long");
  return bytes;
}

}  // namespace cenote::services
