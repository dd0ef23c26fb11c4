// The SecretSealer KMS offers other services (services/common/secret_sealer.hpp): AES-256-GCM under a key
// derived from the root key for this purpose only (HMAC-SHA256 of a label), never the key material's own key.
#include <string.h>  // explicit_bzero

#include "common/encoding.hpp"
#include "services/common/sealed_bytes.hpp"
#include "services/common/secret_sealer.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

// A key derived from the root key for service secrets only (never the key material's own key).
class RootKeySealer final : public services::SecretSealer {
 public:
  explicit RootKeySealer(std::string_view root_key)
      : key_(HmacSha256(root_key, "cenote service secret sealing key")) {}
  ~RootKeySealer() override { explicit_bzero(key_.data(), key_.size()); }
  Result<std::string> Seal(std::string_view purpose, std::string_view secret) const override {
    CENOTE_ASSIGN_OR_RETURN(std::string sealed, services::SealBytes(key_, purpose, secret));
    return std::string(kMarker) + Base64Encode(sealed);
  }
  Result<std::string> Unseal(std::string_view purpose, std::string_view stored) const override {
    if (!IsSealed(stored)) return InternalError("not a sealed secret");
    auto raw = Base64Decode(stored.substr(kMarker.size()));
    if (!raw) return InternalError("a sealed secret is malformed");
    auto out = services::OpenBytes(key_, purpose, *raw);
    if (!out) return InternalError("a sealed secret does not open under this root key");
    return out;
  }

 private:
  std::string key_;
};

}  // namespace

std::unique_ptr<services::SecretSealer> KmsProvider::MakeSecretSealer() const {
  return std::make_unique<RootKeySealer>(env_->root_key);
}

}  // namespace cenote::kms
