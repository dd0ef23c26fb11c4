// Symmetric ciphertext blobs (internal.hpp). Cenote's own authenticated format:
//
//   offset  size  field
//   0       1     format version (0x01)
//   1       12    the key's account (ASCII digits)
//   13      1     n: length of the key id
//   14      n     the key id (a UUID, or mrk-<32 hex> for multi-Region keys)
//   14+n    4     material version (big-endian): which of the key's materials encrypted it
//   18+n    12    AES-GCM IV (random)
//   30+n    ...   AES-256-GCM ciphertext
//   end-16  16    GCM tag
//
// The additional authenticated data is the header (everything before the ciphertext) followed by the
// encryption context, canonically encoded (pairs sorted by key, each string as a 4-byte big-endian length
// and its bytes), so a changed header, a changed context or a missing context fails the tag, as AWS answers
// InvalidCiphertextException. The region is not in the blob: a multi-Region key's replicas share its id and
// materials, so a blob decrypts in every region of the key.
#include <algorithm>

#include "common/random.hpp"
#include "services/kms/crypto.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

constexpr unsigned char kFormat = 0x01;
constexpr std::size_t kAccountBytes = 12;

void PutU32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

std::uint32_t GetU32(std::string_view in) {
  auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

std::string Aad(std::string_view header, const EncryptionContext& context) {
  std::string aad(header);
  for (const auto& [k, v] : context) {
    PutU32(aad, static_cast<std::uint32_t>(k.size()));
    aad += k;
    PutU32(aad, static_cast<std::uint32_t>(v.size()));
    aad += v;
  }
  return aad;
}

}  // namespace

Result<EncryptionContext> ReadContext(const json::object& params, std::string_view member) {
  EncryptionContext out;
  const json::object* o = GetObject(params, member);
  if (o == nullptr) return out;
  for (const auto& [k, v] : *o) {
    if (!v.is_string()) return Validation("EncryptionContext values must be strings");
    out.emplace_back(std::string(k), std::string(v.as_string()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> EncryptSymmetric(const KeyState& key, const EncryptionContext& context,
                                     std::string_view plaintext) {
  const Material* material = key.Current();
  if (material == nullptr) return InternalError("key " + key.arn + " has no material");
  std::string header;
  header.push_back(static_cast<char>(kFormat));
  std::string account = key.account;
  account.resize(kAccountBytes, '0');
  header += account;
  header.push_back(static_cast<char>(key.id.size()));
  header += key.id;
  PutU32(header, static_cast<std::uint32_t>(material->version));
  std::string iv = RandomBytes(crypto::kGcmIvBytes);
  header += iv;
  CENOTE_ASSIGN_OR_RETURN(std::string sealed,
                          crypto::AesGcmSeal(material->bytes, iv, Aad(header, context), plaintext));
  return header + sealed;
}

std::optional<CiphertextHeader> ParseCiphertext(std::string_view blob) {
  if (blob.size() < 1 + kAccountBytes + 1 || static_cast<unsigned char>(blob[0]) != kFormat)
    return std::nullopt;
  const std::size_t n = static_cast<unsigned char>(blob[1 + kAccountBytes]);
  const std::size_t header = 1 + kAccountBytes + 1 + n + 4 + crypto::kGcmIvBytes;
  if (n == 0 || blob.size() < header + crypto::kGcmTagBytes) return std::nullopt;
  CiphertextHeader h;
  h.account = std::string(blob.substr(1, kAccountBytes));
  h.key_id = std::string(blob.substr(2 + kAccountBytes, n));
  h.version = static_cast<int>(GetU32(blob.substr(2 + kAccountBytes + n, 4)));
  return h;
}

Result<std::string> DecryptSymmetric(const KeyState& key, const EncryptionContext& context,
                                     std::string_view blob) {
  std::optional<CiphertextHeader> h = ParseCiphertext(blob);
  if (!h || h->key_id != key.id) return services::MakeError(errors::kInvalidCiphertext);
  const Material* material = key.FindMaterial(h->version);
  if (material == nullptr) return services::MakeError(errors::kInvalidCiphertext);
  const std::size_t header = 1 + kAccountBytes + 1 + h->key_id.size() + 4 + crypto::kGcmIvBytes;
  std::string_view iv = blob.substr(header - crypto::kGcmIvBytes, crypto::kGcmIvBytes);
  std::optional<std::string> plaintext =
      crypto::AesGcmOpen(material->bytes, iv, Aad(blob.substr(0, header), context), blob.substr(header));
  if (!plaintext) return services::MakeError(errors::kInvalidCiphertext);
  return std::move(*plaintext);
}

}  // namespace cenote::kms
