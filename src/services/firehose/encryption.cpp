// Server-side encryption of a delivery stream's buffer (DeliveryStreamEncryptionConfiguration): while it is
// ENABLED, every record PutRecord / PutRecordBatch accept is sealed (AES-256-GCM) before it enters the
// stream's log, and delivery opens it again before writing S3 objects.
//
// Keys, as AWS documents them:
//   - AWS_OWNED_CMK: a key Firehose owns (its own file beside the buffers, never in the account's KMS).
//   - CUSTOMER_MANAGED_CMK: the account's KMS key. Starting encryption calls KMS's CreateGrant as the
//     caller (so the caller needs kms:CreateGrant on the key), a grant to firehose.amazonaws.com for
//     GenerateDataKey and Decrypt; from then on Firehose asks KMS as its service principal (aws:SourceArn
//     the delivery stream), with {"aws:firehose:arn": <stream ARN>} as encryption context, for data keys
//     reused for 5 minutes. A key KMS refuses (disabled, deleted, grant revoked) fails PutRecord with
//     InvalidKMSResourceException, as AWS answers.
//
// A sealed record's data (the log marks it encrypted):
//   "FSE1" | u16 big-endian blob length (0: the AWS owned key) | KMS's CiphertextBlob of the data key |
//   services::SealBytes(data key, aad = stream ARN, record)
#include <string.h>  // explicit_bzero

#include "services/common/data_key_cache.hpp"
#include "services/common/sealed_bytes.hpp"
#include "services/firehose/internal.hpp"

namespace cenote::firehose {

namespace {

constexpr char kMagic[] = "FSE1";

Error InvalidArgument(std::string_view message) {
  return services::MakeError(errors::kInvalidArgument, {message});
}
constexpr std::size_t kMagicSize = 4;

json::object StreamContext(const DeliveryStreamState& s) { return json::object{{"aws:firehose:arn", s.arn}}; }

// Firehose acting as itself on the stream's behalf (the grant's grantee).
aws::Caller ServiceCaller(const DeliveryStreamState& s) {
  return aws::ServiceCaller(kFirehoseServicePrincipal, s.account, s.region, s.arn);
}

Error KmsRefusal(const Error& e) {
  if (e.http_status >= 500) return e;
  return services::MakeError(errors::kInvalidKmsResource, {e.code + ": " + e.message});
}

Result<json::object> CallKms(Env& env, const aws::Caller& caller, std::string_view operation,
                             json::object params) {
  if (env.invoker == nullptr)
    return InternalError("delivery stream encryption needs KMS, and none is set up");
  OperationInput in;
  in.params = std::move(params);
  Result<OperationOutput> out = env.invoker->Call(caller, "kms", operation, in);
  if (!out) return KmsRefusal(out.error());
  if (!out->result.is_object()) return InternalError("kms answered no document");
  return std::move(out->result.as_object());
}

void PutU16(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

}  // namespace

Result<json::object> EncryptionFor(Env& env, const RequestContext& ctx, const DeliveryStreamState& s,
                                   const json::object& input) {
  const std::string type = GetString(input, "KeyType").value_or("");
  if (type != "AWS_OWNED_CMK" && type != "CUSTOMER_MANAGED_CMK")
    return services::MakeError(errors::kValidation,
                               {"'" + type + "'", "deliveryStreamEncryptionConfigurationInput.keyType",
                                "satisfy enum value set: [AWS_OWNED_CMK, CUSTOMER_MANAGED_CMK]"});
  const std::string key_arn = GetString(input, "KeyARN").value_or("");
  if (type == "AWS_OWNED_CMK" && !key_arn.empty())
    return InvalidArgument("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.");
  if (type == "CUSTOMER_MANAGED_CMK" && key_arn.empty())
    return InvalidArgument("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.");
  if (s.type != "DirectPut")
    return InvalidArgument(
        "Server-side encryption is only available for DirectPut delivery streams; a KinesisStreamAsSource "
        "stream is encrypted by its source stream.");
  json::object out{{"KeyType", type}, {"Status", "ENABLED"}};
  if (type == "AWS_OWNED_CMK") return out;
  // The grant lets Firehose use the key for this stream; made as the caller, who must be allowed
  // kms:CreateGrant (and the key must exist and be enabled: KMS says otherwise).
  aws::Caller as_caller;
  as_caller.principal = ctx.principal;
  as_caller.region = ctx.region;
  as_caller.invoked_by = kFirehoseServicePrincipal;
  as_caller.parent_request_id = ctx.request_id;
  as_caller.forwarded = true;
  CENOTE_ASSIGN_OR_RETURN(
      json::object grant,
      CallKms(env, as_caller, "CreateGrant",
              json::object{{"KeyId", key_arn},
                           {"GranteePrincipal", kFirehoseServicePrincipal},
                           {"RetiringPrincipal", kFirehoseServicePrincipal},
                           {"Operations", json::array{"GenerateDataKey", "Decrypt", "RetireGrant"}},
                           {"Name", "firehose-" + s.uid}}));
  out["KeyARN"] = key_arn;
  out["GrantId"] = GetString(grant, "GrantId").value_or("");
  return out;
}

json::object EncryptionDescription(const json::object& stored) {
  if (stored.empty()) return json::object{{"Status", "DISABLED"}};
  json::object out;
  for (const char* member : {"KeyARN", "KeyType", "Status"})
    if (auto v = GetString(stored, member)) out[member] = *v;
  return out;
}

Result<std::optional<BufferSealer>> SealerFor(Env& env, const DeliveryStreamState& s,
                                              const json::object& encryption) {
  if (GetString(encryption, "Status").value_or("") != "ENABLED") return std::optional<BufferSealer>();
  BufferSealer sealer;
  if (GetString(encryption, "KeyType").value_or("") == "AWS_OWNED_CMK") {
    sealer.key = env.owned_key;
    return std::optional<BufferSealer>(std::move(sealer));
  }
  const std::string key_arn = GetString(encryption, "KeyARN").value_or("");
  const std::string name = "w\n" + s.arn + "\n" + key_arn;
  if (auto entry = env.data_keys.Get(name)) {
    sealer.key = std::move(entry->plaintext);
    sealer.blob = std::move(entry->blob);
    return std::optional<BufferSealer>(std::move(sealer));
  }
  CENOTE_ASSIGN_OR_RETURN(json::object out, CallKms(env, ServiceCaller(s), "GenerateDataKey",
                                                    json::object{{"KeyId", key_arn},
                                                                 {"KeySpec", "AES_256"},
                                                                 {"EncryptionContext", StreamContext(s)}}));
  auto plaintext = GetString(out, "Plaintext");
  auto blob = GetString(out, "CiphertextBlob");
  if (!plaintext || plaintext->size() != 32 || !blob || blob->empty() || blob->size() > 0xffff)
    return InternalError("KMS's GenerateDataKey answered no 256-bit data key");
  sealer.key = std::move(*plaintext);
  sealer.blob = std::move(*blob);
  env.data_keys.Put(
      name, services::DataKeyCache::Entry{.plaintext = sealer.key, .blob = sealer.blob, .key_arn = key_arn});
  return std::optional<BufferSealer>(std::move(sealer));
}

BufferSealer::~BufferSealer() {
  if (!key.empty()) explicit_bzero(key.data(), key.size());
}

Result<std::string> SealBuffered(const DeliveryStreamState& s, const BufferSealer& sealer,
                                 std::string_view data) {
  std::string out(kMagic, kMagicSize);
  PutU16(out, sealer.blob.size());
  out.append(sealer.blob);
  CENOTE_ASSIGN_OR_RETURN(std::string sealed, services::SealBytes(sealer.key, s.arn, data));
  out.append(sealed);
  return out;
}

Result<std::string> OpenBuffered(Env& env, const DeliveryStreamState& s, std::string_view sealed) {
  if (sealed.size() < kMagicSize + 2 || sealed.substr(0, kMagicSize) != std::string_view(kMagic, kMagicSize))
    return InternalError("a buffered record marked encrypted is not sealed");
  const std::size_t blob_size =
      (static_cast<std::size_t>(static_cast<unsigned char>(sealed[kMagicSize])) << 8) |
      static_cast<unsigned char>(sealed[kMagicSize + 1]);
  if (sealed.size() < kMagicSize + 2 + blob_size) return InternalError("a buffered record is truncated");
  const std::string_view blob = sealed.substr(kMagicSize + 2, blob_size);
  const std::string_view body = sealed.substr(kMagicSize + 2 + blob_size);
  if (blob.empty()) return services::OpenBytes(env.owned_key, s.arn, body);
  const std::string name = "r\n" + s.arn + "\n" + std::string(blob);
  std::string key;
  if (auto entry = env.data_keys.Get(name)) {
    key = std::move(entry->plaintext);
  } else {
    CENOTE_ASSIGN_OR_RETURN(json::object out, CallKms(env, ServiceCaller(s), "Decrypt",
                                                      json::object{{"CiphertextBlob", std::string(blob)},
                                                                   {"EncryptionContext", StreamContext(s)}}));
    auto plaintext = GetString(out, "Plaintext");
    if (!plaintext || plaintext->size() != 32)
      return InternalError("KMS's Decrypt answered no 256-bit data key");
    key = std::move(*plaintext);
    env.data_keys.Put(name, services::DataKeyCache::Entry{.plaintext = key, .blob = {}, .key_arn = {}});
  }
  Result<std::string> out = services::OpenBytes(key, s.arn, body);
  explicit_bzero(key.data(), key.size());
  return out;
}

Result<OperationOutput> StartDeliveryStreamEncryption(Env& env, const RequestContext& ctx,
                                                      OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  DeliveryStreamState& s = *stream;
  const json::object* input = GetObject(p, "DeliveryStreamEncryptionConfigurationInput");
  // The model's default KeyType is AWS_OWNED_CMK.
  json::object given = input ? *input : json::object{};
  if (!given.contains("KeyType")) given["KeyType"] = "AWS_OWNED_CMK";
  CENOTE_ASSIGN_OR_RETURN(json::object encryption, EncryptionFor(env, ctx, s, given));
  MutexLock lock(s.mu);
  s.encryption = std::move(encryption);
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return json::object{};
}

Result<OperationOutput> StopDeliveryStreamEncryption(Env& env, const RequestContext& ctx,
                                                     OperationInput& in) {
  const auto& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto stream, env.FindStream(ctx, p));
  DeliveryStreamState& s = *stream;
  MutexLock lock(s.mu);
  // Records already sealed stay sealed in the buffer and are opened at delivery (the grant stays for them).
  s.encryption = json::object{};
  CENOTE_RETURN_IF_ERROR(env.Save(s));
  return json::object{};
}

}  // namespace cenote::firehose
