#include "services/sts/authorization_message.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <cstring>
#include <filesystem>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "store/durable_file.hpp"

namespace cenote::sts {

namespace json = boost::json;

namespace {

constexpr unsigned char kVersion = 0x01;
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

json::object Items(json::array items) { return json::object{{"items", std::move(items)}}; }

}  // namespace

Result<std::unique_ptr<AuthorizationMessageCodec>> AuthorizationMessageCodec::Open(
    const std::string& key_path) {
  std::string key;
  std::error_code ec;
  if (std::filesystem::exists(key_path, ec) || ec) {
    // Never replaced when it cannot be read: messages encoded under the old key would stop decoding.
    CENOTE_ASSIGN_OR_RETURN(key, store::ReadFile(key_path));
  } else {
    CENOTE_RETURN_IF_ERROR(store::CreateDirectoriesDurably(store::ParentDirectory(key_path)));
    key = RandomBytes(32);
    CENOTE_RETURN_IF_ERROR(store::WriteFileDurably(key_path, key, 0600));
  }
  if (key.size() != 32) return InternalError("the key file " + key_path + " is not 32 bytes long");
  return std::unique_ptr<AuthorizationMessageCodec>(new AuthorizationMessageCodec(std::move(key)));
}

std::unique_ptr<AuthorizationMessageCodec> AuthorizationMessageCodec::Ephemeral() {
  return std::unique_ptr<AuthorizationMessageCodec>(new AuthorizationMessageCodec(RandomBytes(32)));
}

AuthorizationMessageCodec::~AuthorizationMessageCodec() { OPENSSL_cleanse(key_.data(), key_.size()); }

std::string AuthorizationMessageCodec::DocumentOf(const iam::AuthorizationFailure& failure) {
  json::array matched;
  for (const auto& sid : failure.matched_statements) matched.push_back(json::object{{"statementId", sid}});
  json::array conditions;
  for (const auto& [key, values] : failure.conditions) {
    json::array items;
    for (const auto& v : values) items.push_back(json::object{{"value", v}});
    conditions.push_back(json::object{{"key", key}, {"values", Items(std::move(items))}});
  }
  json::object doc{
      {"allowed", false},
      {"explicitDeny", failure.explicit_deny},
      {"matchedStatements", Items(std::move(matched))},
      {"failures", Items(json::array())},
      {"context",
       json::object{
           {"principal", json::object{{"id", failure.principal_id},
                                      {"name", failure.principal_name},
                                      {"arn", failure.principal_arn}}},
           {"action", failure.action},
           {"resource", failure.resource},
           {"conditions", Items(std::move(conditions))},
       }},
  };
  return json::serialize(doc);
}

std::string AuthorizationMessageCodec::Encode(const iam::AuthorizationFailure& failure) const {
  return Seal(DocumentOf(failure));
}

std::string AuthorizationMessageCodec::Seal(std::string_view document) const {
  std::string out(1, static_cast<char>(kVersion));
  unsigned char nonce[kNonceSize];
  FillRandom(nonce, sizeof(nonce));
  out.append(reinterpret_cast<const char*>(nonce), sizeof(nonce));
  const std::size_t start = out.size();
  out.resize(start + document.size() + kTagSize);
  auto* dst = reinterpret_cast<unsigned char*>(out.data() + start);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, &kVersion, 1) == 1 &&
            (document.empty() ||
             EVP_EncryptUpdate(ctx.get(), dst, &len, reinterpret_cast<const unsigned char*>(document.data()),
                               static_cast<int>(document.size())) == 1) &&
            EVP_EncryptFinal_ex(ctx.get(), dst + (document.empty() ? 0 : len), &tail) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, dst + document.size()) == 1;
  // OpenSSL failing to seal is a broken build, not a request's fault; an empty message decodes as invalid.
  if (!ok) return std::string();
  return Base64Encode(out, Base64Alphabet::kUrlSafe, false);
}

std::optional<std::string> AuthorizationMessageCodec::Decode(std::string_view encoded) const {
  Base64DecodeOptions options;
  options.standard = false;
  options.url_safe = true;
  auto raw = Base64Decode(encoded, options);
  if (!raw || raw->size() < 1 + kNonceSize + kTagSize || static_cast<unsigned char>((*raw)[0]) != kVersion)
    return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  const unsigned char* nonce = bytes + 1;
  const unsigned char* cipher = nonce + kNonceSize;
  const std::size_t n = raw->size() - 1 - kNonceSize - kTagSize;
  unsigned char tag[kTagSize];
  std::memcpy(tag, cipher + n, kTagSize);
  std::string plain(n, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(plain.data());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0, tail = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(key_.data());
  bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &len, &kVersion, 1) == 1 &&
            (n == 0 || EVP_DecryptUpdate(ctx.get(), dst, &len, cipher, static_cast<int>(n)) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), dst + (n == 0 ? 0 : len), &tail) == 1;
  if (!ok) return std::nullopt;
  return plain;
}

}  // namespace cenote::sts
