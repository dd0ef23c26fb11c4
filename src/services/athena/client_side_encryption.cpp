// CSE_KMS query results: the result objects encrypted client-side the way the Amazon S3 Encryption Client
// (v2 format, "kms+context" key wrapping) writes them, so that an S3 encryption client with the KMS key reads
// them, and GetQueryResults decrypts them as the caller.
//
// Each object gets a data key of its own from KMS GenerateDataKey (AES_256) under the result configuration's
// KmsKey, with the encryption context {"aws:x-amz-cek-alg": "AES/GCM/NoPadding"}; its content is AES-256-GCM
// under that key with a random 12-byte IV and no additional data, the 16-byte tag appended to the ciphertext.
// The envelope is the object's user metadata:
//   x-amz-key-v2     base64 of KMS's CiphertextBlob of the data key
//   x-amz-iv         base64 of the IV
//   x-amz-cek-alg    AES/GCM/NoPadding
//   x-amz-wrap-alg   kms+context
//   x-amz-matdesc    the encryption context as JSON
//   x-amz-tag-len    128
//   x-amz-unencrypted-content-length   the plaintext's length
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>  // explicit_bzero

#include <fstream>
#include <iterator>
#include <memory>

#include "common/encoding.hpp"
#include "services/athena/internal.hpp"

namespace cenote::athena {

namespace {

constexpr const char* kCekAlg = "AES/GCM/NoPadding";
constexpr int kIvSize = 12;
constexpr int kTagSize = 16;

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

struct WipedKey {
  std::string bytes;
  ~WipedKey() {
    if (!bytes.empty()) explicit_bzero(bytes.data(), bytes.size());
  }
};

Result<json::object> CallKms(aws::Invoker& invoker, const aws::Caller& caller, std::string_view operation,
                             json::object params) {
  aws::OperationInput in;
  in.params = std::move(params);
  Result<aws::OperationOutput> out = invoker.Call(caller, "kms", operation, in);
  if (!out) return out.error();
  if (!out->result.is_object()) return InternalError("kms answered no document");
  return std::move(out->result.as_object());
}

}  // namespace

Status EncryptClientSide(aws::Invoker& invoker, const aws::Caller& caller, const std::string& kms_key,
                         s3::LakePut& put) {
  std::string plaintext;
  if (!put.path.empty()) {
    std::ifstream f(put.path, std::ios::binary);
    if (!f) return InternalError("cannot read the result file " + put.path);
    plaintext.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  } else {
    plaintext = std::move(put.bytes);
  }
  const json::object context{{"aws:x-amz-cek-alg", kCekAlg}};
  CENOTE_ASSIGN_OR_RETURN(
      json::object made,
      CallKms(invoker, caller, "GenerateDataKey",
              json::object{{"KeyId", kms_key}, {"KeySpec", "AES_256"}, {"EncryptionContext", context}}));
  WipedKey key{std::string(GetString(made, "Plaintext").value_or(""))};
  const std::string blob = GetString(made, "CiphertextBlob").value_or("");
  if (key.bytes.size() != 32 || blob.empty()) return InternalError("kms answered no 256-bit data key");

  std::string iv(kIvSize, '\0');
  std::string sealed(plaintext.size() + kTagSize, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(sealed.data());
  CipherCtx c(EVP_CIPHER_CTX_new());
  int n = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(iv.data()), kIvSize) != 1 || !c ||
      EVP_EncryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) != 1 ||
      EVP_EncryptInit_ex(c.get(), nullptr, nullptr, Bytes(key.bytes), Bytes(iv)) != 1 ||
      EVP_EncryptUpdate(c.get(), dst, &n, Bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(c.get(), dst + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + plaintext.size()) != 1) {
    return InternalError("encrypting the query results failed");
  }
  put.metadata["x-amz-key-v2"] = Base64Encode(blob);
  put.metadata["x-amz-iv"] = Base64Encode(iv);
  put.metadata["x-amz-cek-alg"] = kCekAlg;
  put.metadata["x-amz-wrap-alg"] = "kms+context";
  put.metadata["x-amz-matdesc"] = json::serialize(context);
  put.metadata["x-amz-tag-len"] = std::to_string(kTagSize * 8);
  put.metadata["x-amz-unencrypted-content-length"] = std::to_string(plaintext.size());
  put.path.clear();  // the caller still removes its file
  put.bytes = std::move(sealed);
  return Status::Ok();
}

Result<std::string> DecryptClientSide(aws::Invoker& invoker, const aws::Caller& caller,
                                      const std::map<std::string, std::string>& metadata,
                                      const std::string& ciphertext) {
  auto member = [&](const char* name) -> std::string {
    auto it = metadata.find(name);
    return it == metadata.end() ? "" : it->second;
  };
  if (member("x-amz-wrap-alg") != "kms+context" || member("x-amz-cek-alg") != kCekAlg ||
      member("x-amz-tag-len") != "128") {
    return InternalError("the query results are not encrypted with CSE_KMS (AES/GCM/NoPadding, kms+context)");
  }
  auto blob = Base64Decode(member("x-amz-key-v2"));
  auto iv = Base64Decode(member("x-amz-iv"));
  boost::system::error_code ec;
  json::value context = json::parse(member("x-amz-matdesc"), ec);
  if (!blob || !iv || iv->size() != static_cast<std::size_t>(kIvSize) || ec || !context.is_object() ||
      ciphertext.size() < static_cast<std::size_t>(kTagSize)) {
    return InternalError("the query results' client-side encryption envelope is malformed");
  }
  CENOTE_ASSIGN_OR_RETURN(
      json::object opened,
      CallKms(invoker, caller, "Decrypt",
              json::object{{"CiphertextBlob", *blob}, {"EncryptionContext", context.as_object()}}));
  WipedKey key{std::string(GetString(opened, "Plaintext").value_or(""))};
  if (key.bytes.size() != 32) return InternalError("kms answered no 256-bit data key");
  const std::size_t body = ciphertext.size() - kTagSize;
  std::string tag = ciphertext.substr(body);
  std::string out(body, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  CipherCtx c(EVP_CIPHER_CTX_new());
  int n = 0;
  const bool ok = c && EVP_DecryptInit_ex(c.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, kIvSize, nullptr) == 1 &&
                  EVP_DecryptInit_ex(c.get(), nullptr, nullptr, Bytes(key.bytes), Bytes(*iv)) == 1 &&
                  EVP_DecryptUpdate(c.get(), dst, &n, Bytes(ciphertext), static_cast<int>(body)) == 1 &&
                  EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1 &&
                  EVP_DecryptFinal_ex(c.get(), dst + n, &n) == 1;
  if (!ok) return InternalError("the query results failed authentication");
  return out;
}

}  // namespace cenote::athena
