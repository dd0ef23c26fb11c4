// SSE-KMS of message bodies (see "SSE-KMS" in internal.hpp): sealing at send with the sender's data key,
// opening at receive with the receiver's Decrypt; KMS's refusals become SQS's KMS.* errors.
#include <string.h>  // explicit_bzero

#include "services/common/sealed_bytes.hpp"
#include "services/sqs/internal.hpp"

namespace cenote::sqs {

namespace {

constexpr char kSqsServicePrincipal[] = "sqs.amazonaws.com";
constexpr std::string_view kMagic = "SQE1";
constexpr std::size_t kKeySize = 32;

json::object QueueContext(std::string_view queue_arn) {
  return json::object{{"aws:sqs:arn", std::string(queue_arn)}};
}

// KMS's answer, or SQS's error for KMS's refusal, with KMS's message.
Result<json::object> CallKms(Env& env, const RequestContext& ctx, std::string_view operation,
                             json::object params) {
  if (env.options.invoker == nullptr) {
    return MakeError(errors::kKmsInvalidState, {"KMS is not available to this queue service."});
  }
  Result<json::object> out = services::CallKmsAsCaller(*env.options.invoker, ctx, kSqsServicePrincipal,
                                                       operation, std::move(params));
  if (out) return out;
  const Error& e = out.error();
  if (e.http_status >= 500) return out.error();
  switch (services::ClassifyKmsError(e)) {
    case services::KmsRefusal::kAccessDenied:
      return MakeError(errors::kKmsAccessDenied, {e.message});
    case services::KmsRefusal::kDisabled:
      return MakeError(errors::kKmsDisabled, {e.message});
    case services::KmsRefusal::kNotFound:
      return MakeError(errors::kKmsNotFound, {e.message});
    case services::KmsRefusal::kThrottling:
      return MakeError(errors::kKmsThrottled, {e.message});
    case services::KmsRefusal::kInvalidKeyUsage:
      return MakeError(errors::kKmsInvalidKeyUsage, {e.message});
    case services::KmsRefusal::kInvalidState:
      break;
  }
  return MakeError(errors::kKmsInvalidState, {e.message});
}

void PutU16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

std::size_t GetU16(std::string_view in, std::size_t at) {
  return (static_cast<std::size_t>(static_cast<unsigned char>(in[at])) << 8) |
         static_cast<unsigned char>(in[at + 1]);
}

// The parts of an envelope, or false when it is malformed (`head_only`: the blob and ARN are enough).
struct Envelope {
  std::string_view blob;
  std::string_view queue_arn;
  std::string_view sealed;
};
bool Split(std::string_view in, Envelope& e, bool head_only = false) {
  if (in.size() < kMagic.size() + 2 || in.substr(0, kMagic.size()) != kMagic) return false;
  std::size_t at = kMagic.size();
  const std::size_t blob_size = GetU16(in, at);
  at += 2;
  if (in.size() < at + blob_size + 2) return false;
  e.blob = in.substr(at, blob_size);
  at += blob_size;
  const std::size_t arn_size = GetU16(in, at);
  at += 2;
  if (in.size() < at + arn_size + (head_only ? 0 : services::kSealedOverhead)) return false;
  e.queue_arn = in.substr(at, arn_size);
  e.sealed = in.substr(at + arn_size);
  return true;
}

}  // namespace

BodySealer::~BodySealer() {
  if (!key.empty()) explicit_bzero(key.data(), key.size());
}

std::optional<QueueKms> KmsOf(const Queue& q) {
  auto it = q.attributes.find("KmsMasterKeyId");
  if (it == q.attributes.end() || it->second.empty()) return std::nullopt;
  QueueKms kms;
  kms.key_id = it->second;
  if (auto p = q.attributes.find("KmsDataKeyReusePeriodSeconds"); p != q.attributes.end()) {
    kms.reuse_ms = std::stoll(p->second) * 1000;
  }
  return kms;
}

Result<BodySealer> SealerFor(Env& env, const RequestContext& ctx, const std::string& queue_arn,
                             const QueueKms& kms) {
  std::string name = services::DataKeyCacheScope(ctx, 'w');
  name.append(kms.key_id).append("\n").append(queue_arn);
  if (auto entry = env.data_keys.Get(name)) {
    BodySealer sealer;
    sealer.key = std::move(entry->plaintext);
    sealer.blob = std::move(entry->blob);
    return sealer;
  }
  CENOTE_ASSIGN_OR_RETURN(json::object out,
                          CallKms(env, ctx, "GenerateDataKey",
                                  json::object{{"KeyId", kms.key_id},
                                               {"KeySpec", "AES_256"},
                                               {"EncryptionContext", QueueContext(queue_arn)}}));
  auto plaintext = GetString(out, "Plaintext");
  auto blob = GetString(out, "CiphertextBlob");
  if (!plaintext || plaintext->size() != kKeySize || !blob || blob->empty() || blob->size() > 0xffff)
    return InternalError("KMS's GenerateDataKey answered no 256-bit data key");
  BodySealer sealer;
  sealer.key = std::move(*plaintext);
  sealer.blob = std::move(*blob);
  env.data_keys.Put(
      name, services::DataKeyCache::Entry{.plaintext = sealer.key, .blob = sealer.blob, .key_arn = {}},
      kms.reuse_ms);
  return sealer;
}

Result<std::string> SealBody(const BodySealer& sealer, const std::string& queue_arn, std::string_view body) {
  if (queue_arn.size() > 0xffff) return InternalError("a queue ARN is too long to seal under");
  std::string out;
  out.reserve(kMagic.size() + 4 + sealer.blob.size() + queue_arn.size() + services::kSealedOverhead +
              body.size());
  out.append(kMagic);
  PutU16(out, sealer.blob.size());
  out.append(sealer.blob);
  PutU16(out, queue_arn.size());
  out.append(queue_arn);
  CENOTE_ASSIGN_OR_RETURN(std::string sealed, services::SealBytes(sealer.key, queue_arn, body));
  out.append(sealed);
  return out;
}

std::string SealedHead(std::string_view sealed) {
  Envelope e;
  if (!Split(sealed, e)) return {};
  return std::string(sealed.substr(0, sealed.size() - e.sealed.size()));
}

namespace {

// The data key of an envelope's blob, from the cache or KMS's Decrypt as the caller.
Result<std::string> DataKey(Env& env, const RequestContext& ctx, const Envelope& e) {
  std::string name = services::DataKeyCacheScope(ctx, 'r');
  name.append(e.blob);
  std::string key;
  if (auto entry = env.data_keys.Get(name)) {
    key = std::move(entry->plaintext);
  } else {
    CENOTE_ASSIGN_OR_RETURN(json::object out,
                            CallKms(env, ctx, "Decrypt",
                                    json::object{{"CiphertextBlob", std::string(e.blob)},
                                                 {"EncryptionContext", QueueContext(e.queue_arn)}}));
    auto plaintext = GetString(out, "Plaintext");
    if (!plaintext || plaintext->size() != kKeySize)
      return InternalError("KMS's Decrypt answered no 256-bit data key");
    key = std::move(*plaintext);
    env.data_keys.Put(name, services::DataKeyCache::Entry{.plaintext = key, .blob = {}, .key_arn = {}});
  }
  return key;
}

}  // namespace

Status CheckDecrypt(Env& env, const RequestContext& ctx, std::string_view head) {
  Envelope e;
  if (!Split(head, e, true)) return InternalError("a sealed message head is malformed");
  CENOTE_ASSIGN_OR_RETURN(std::string key, DataKey(env, ctx, e));
  explicit_bzero(key.data(), key.size());
  return Status::Ok();
}

Result<std::string> OpenBody(Env& env, const RequestContext& ctx, std::string_view sealed) {
  Envelope e;
  if (!Split(sealed, e)) return InternalError("a message marked encrypted is not sealed");
  CENOTE_ASSIGN_OR_RETURN(std::string key, DataKey(env, ctx, e));
  Result<std::string> out = services::OpenBytes(key, e.queue_arn, e.sealed);
  explicit_bzero(key.data(), key.size());
  if (!out) return InternalError("a sealed message failed authentication");
  return out;
}

}  // namespace cenote::sqs
