// Server-side encryption of records (StartStreamEncryption): while a stream's EncryptionType is KMS, every
// record written is sealed with AES-256-GCM under a data key from KMS, and GetRecords opens it again.
//
// KMS is asked in-process as the request's own caller via Kinesis (kms:ViaService kinesis.<region>...),
// with the stream's ARN as encryption context ({"aws:kinesis:arn": <stream ARN>}, as AWS documents), so the
// key's policy decides: a producer needs kms:GenerateDataKey, a consumer kms:Decrypt. A data key is reused
// for KinesisOptions::data_key_ttl_ms per caller (AWS: "approximately every five minutes", and one KMS call
// per user credential), and so are KMS's Decrypt answers.
//
// A sealed record's data (the log marks it encrypted, so a plaintext record is never taken for one):
//   "KSE1" | u16 big-endian blob length | KMS's CiphertextBlob of the data key | 12-byte random nonce |
//   ciphertext | 16-byte GCM tag
// with the partition key as additional authenticated data (a sealed record moved under another partition
// key fails to open).
#include <string.h>  // explicit_bzero

#include "services/common/data_key_cache.hpp"
#include "services/common/sealed_bytes.hpp"
#include "services/kinesis/internal.hpp"

namespace cenote::kinesis {

namespace {

constexpr char kKinesisServicePrincipal[] = "kinesis.amazonaws.com";
constexpr char kMagic[] = "KSE1";
constexpr std::size_t kMagicSize = 4;
constexpr std::size_t kKeySize = 32;

json::object StreamContext(const std::string& stream_arn) {
  return json::object{{"aws:kinesis:arn", stream_arn}};
}

// KMS's answer, or Kinesis's error for KMS's refusal (KMSAccessDeniedException, ...).
Result<json::object> CallKms(Env& env, const RequestContext& ctx, std::string_view operation,
                             json::object params) {
  if (env.options.invoker == nullptr) return InternalError("stream encryption needs KMS, and none is set up");
  Result<json::object> out = services::CallKmsAsCaller(*env.options.invoker, ctx, kKinesisServicePrincipal,
                                                       operation, std::move(params));
  if (out) return out;
  const Error& e = out.error();
  if (e.http_status >= 500) return out.error();
  switch (services::ClassifyKmsError(e)) {
    case services::KmsRefusal::kAccessDenied:
      return services::MakeError(errors::kKmsAccessDenied, {e.message});
    case services::KmsRefusal::kDisabled:
      return services::MakeError(errors::kKmsDisabled, {e.message});
    case services::KmsRefusal::kNotFound:
      return services::MakeError(errors::kKmsNotFound, {e.message});
    case services::KmsRefusal::kThrottling:
      return services::MakeError(errors::kKmsThrottling, {e.message});
    case services::KmsRefusal::kInvalidKeyUsage:
    case services::KmsRefusal::kInvalidState:
      break;
  }
  return services::MakeError(errors::kKmsInvalidState, {e.message});
}

void PutU16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

RecordSealer::~RecordSealer() {
  if (!key.empty()) explicit_bzero(key.data(), key.size());
}

Result<RecordSealer> SealerFor(Env& env, const RequestContext& ctx, const std::string& stream_arn,
                               const std::string& key_id) {
  std::string name = services::DataKeyCacheScope(ctx, 'w');
  name.append(key_id).append("\n").append(stream_arn);
  if (auto entry = env.data_keys.Get(name)) {
    RecordSealer sealer;
    sealer.key = std::move(entry->plaintext);
    sealer.blob = std::move(entry->blob);
    return sealer;
  }
  CENOTE_ASSIGN_OR_RETURN(json::object out,
                          CallKms(env, ctx, "GenerateDataKey",
                                  json::object{{"KeyId", key_id},
                                               {"KeySpec", "AES_256"},
                                               {"EncryptionContext", StreamContext(stream_arn)}}));
  auto plaintext = GetString(out, "Plaintext");
  auto blob = GetString(out, "CiphertextBlob");
  if (!plaintext || plaintext->size() != kKeySize || !blob || blob->empty() || blob->size() > 0xffff)
    return InternalError("KMS's GenerateDataKey answered no 256-bit data key");
  RecordSealer sealer;
  sealer.key = std::move(*plaintext);
  sealer.blob = std::move(*blob);
  env.data_keys.Put(name, services::DataKeyCache::Entry{.plaintext = sealer.key,
                                                        .blob = sealer.blob,
                                                        .key_arn = GetString(out, "KeyId").value_or("")});
  return sealer;
}

Result<std::string> SealRecord(const RecordSealer& sealer, std::string_view partition_key,
                               std::string_view data) {
  std::string out;
  out.reserve(kMagicSize + 2 + sealer.blob.size() + services::kSealedOverhead + data.size());
  out.append(kMagic, kMagicSize);
  PutU16(out, sealer.blob.size());
  out.append(sealer.blob);
  CENOTE_ASSIGN_OR_RETURN(std::string sealed, services::SealBytes(sealer.key, partition_key, data));
  out.append(sealed);
  return out;
}

Result<std::string> OpenRecord(Env& env, const RequestContext& ctx, const std::string& stream_arn,
                               std::string_view partition_key, std::string_view sealed) {
  if (sealed.size() < kMagicSize + 2 || sealed.substr(0, kMagicSize) != std::string_view(kMagic, kMagicSize))
    return InternalError("a record marked encrypted is not sealed");
  const std::size_t blob_size =
      (static_cast<std::size_t>(static_cast<unsigned char>(sealed[kMagicSize])) << 8) |
      static_cast<unsigned char>(sealed[kMagicSize + 1]);
  const std::size_t head = kMagicSize + 2 + blob_size;
  if (sealed.size() < head + services::kSealedOverhead) return InternalError("a sealed record is truncated");
  const std::string_view blob = sealed.substr(kMagicSize + 2, blob_size);
  std::string name = services::DataKeyCacheScope(ctx, 'r');
  name.append(blob);
  std::string key;
  if (auto entry = env.data_keys.Get(name)) {
    key = std::move(entry->plaintext);
  } else {
    CENOTE_ASSIGN_OR_RETURN(json::object out,
                            CallKms(env, ctx, "Decrypt",
                                    json::object{{"CiphertextBlob", std::string(blob)},
                                                 {"EncryptionContext", StreamContext(stream_arn)}}));
    auto plaintext = GetString(out, "Plaintext");
    if (!plaintext || plaintext->size() != kKeySize)
      return InternalError("KMS's Decrypt answered no 256-bit data key");
    key = std::move(*plaintext);
    env.data_keys.Put(name, services::DataKeyCache::Entry{.plaintext = key, .blob = {}, .key_arn = {}});
  }
  Result<std::string> out = services::OpenBytes(key, partition_key, sealed.substr(head));
  explicit_bzero(key.data(), key.size());
  if (!out) return InternalError("a sealed record failed authentication");
  return out;
}

}  // namespace cenote::kinesis
