// Server-side encryption at rest as requests see it: which writes encrypt and with what key (the SSE-C
// members, x-amz-server-side-encryption, the bucket's default encryption), which key a read needs, and the
// members responses carry. The piece format and the keys themselves: sse.hpp.
#include <string.h>  // explicit_bzero

#include <boost/json.hpp>

#include "aws/invoker.hpp"
#include "common/encoding.hpp"
#include "services/common/data_key_cache.hpp"
#include "services/s3/checksums.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

struct CustomerKey {
  DataKey key;
  std::string md5;  // base64, as the client sent it
};

// SSE-C needs TLS on AWS (the key travels in a header). A loopback client is the local developer this
// server is for; anything else gets AWS's refusal.
bool SecureEnough(const RequestContext& ctx) {
  if (ctx.tls || ctx.in_process()) return true;
  std::string_view ip = ctx.source_ip;
  if (ip.starts_with("::ffff:")) ip.remove_prefix(7);
  return ip.starts_with("127.") || ip == "::1";
}

// The SSE-C members with `prefix` ("" or "CopySource"): nullopt when the request has none of them.
Result<std::optional<CustomerKey>> CustomerKeyFrom(const RequestContext& ctx, const json::object& p,
                                                   std::string_view prefix) {
  const std::string base(prefix);
  auto algorithm = GetString(p, base + "SSECustomerAlgorithm");
  auto key = GetString(p, base + "SSECustomerKey");
  auto md5 = GetString(p, base + "SSECustomerKeyMD5");
  if (!algorithm && !key && !md5) return std::optional<CustomerKey>();
  if (!algorithm) return MakeError(errors::kSseCustomerAlgorithmMissing);
  if (*algorithm != "AES256") return MakeError(errors::kInvalidEncryptionAlgorithm);
  if (!key) return MakeError(errors::kSseCustomerKeyMissing);
  if (!md5) return MakeError(errors::kSseCustomerKeyMd5Missing);
  if (!SecureEnough(ctx)) return MakeError(errors::kSseCustomerNeedsTls);
  // The model makes the key a blob: the protocol layer has decoded its base64 already.
  std::optional<DataKey> parsed = DataKey::FromBytes(*key);
  if (!parsed) return MakeError(errors::kSseCustomerKeyInvalid);
  auto given_md5 = Base64Decode(*md5);
  if (!given_md5 || *given_md5 != DigestOf("MD5", *key)) return MakeError(errors::kSseCustomerKeyMd5Mismatch);
  return std::optional<CustomerKey>(CustomerKey{.key = *parsed, .md5 = Base64Encode(*given_md5)});
}

// The bucket's default encryption: its algorithm ("AES256", "aws:kms", ...; "" when it has none), its KMS key
// and whether it asks for a bucket key.
struct DefaultSse {
  std::string algorithm;
  std::string kms_key;
  bool bucket_key = false;
};

Result<DefaultSse> DefaultEncryption(Transaction& txn, std::string_view bucket) {
  DefaultSse out;
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(txn, bucket, "encryption", ""));
  if (!doc) return out;
  const json::array* rules = GetArray(*doc, "Rules");
  if (!rules || rules->empty() || !rules->front().is_object()) return out;
  const json::object& rule = rules->front().as_object();
  const json::object* by_default = services::GetObject(rule, "ApplyServerSideEncryptionByDefault");
  if (!by_default) return out;
  out.algorithm = GetString(*by_default, "SSEAlgorithm").value_or("");
  out.kms_key = GetString(*by_default, "KMSMasterKeyID").value_or("");
  out.bucket_key = GetBool(rule, "BucketKeyEnabled").value_or(false);
  return out;
}

// ---- SSE-KMS: the data key comes from KMS, asked in-process as the request's caller via S3 (a forward
// access session: aws:CalledVia and kms:ViaService say s3), so the key's policy and grants decide who may
// write and read; the version keeps only KMS's ciphertext of the data key.

constexpr char kS3ServicePrincipal[] = "s3.amazonaws.com";
constexpr char kAwsManagedS3Key[] = "alias/aws/s3";

// KMS's answer, or S3's error for KMS's: AccessDenied as KMS words it (403), any other client error as
// "KMS.<code>" (400), as S3 reports them.
Result<json::object> CallKms(Env& env, const RequestContext& ctx, std::string_view operation,
                             json::object params) {
  if (env.invoker == nullptr) return MakeError(errors::kSseKmsNotImplemented);
  if (ctx.principal.account_id.empty()) return MakeError(errors::kSseKmsNoCaller);
  Result<json::object> out =
      services::CallKmsAsCaller(*env.invoker, ctx, kS3ServicePrincipal, operation, std::move(params));
  if (!out) {
    const Error& e = out.error();
    if (e.http_status >= 500) return out.error();
    if (e.code == "AccessDeniedException" || e.code == "AccessDenied")
      return MakeError("AccessDenied", e.message, 403);
    std::string code = "KMS.";  // (appended: GCC 12 warns falsely on `"literal" + std::string`)
    code.append(e.code);
    return MakeError(std::move(code), e.message, 400);
  }
  return out;
}

// The encryption context of an object: the request's x-amz-server-side-encryption-context (base64 JSON of
// strings), and aws:s3:arn naming the object (the bucket, with a bucket key).
Result<json::object> KmsContext(const json::object& p, std::string_view bucket, bool bucket_key) {
  json::object context;
  if (auto given = GetString(p, "SSEKMSEncryptionContext")) {
    auto decoded = Base64Decode(*given);
    if (!decoded) return MakeError(errors::kSseKmsContextInvalid);
    boost::system::error_code ec;
    json::value v = json::parse(*decoded, ec);
    if (ec || !v.is_object()) return MakeError(errors::kSseKmsContextInvalid);
    for (const auto& [k, value] : v.as_object()) {
      if (!value.is_string()) return MakeError(errors::kSseKmsContextInvalid);
      context[k] = value;
    }
  }
  std::string arn = "arn:aws:s3:::";
  arn.append(bucket);
  if (!bucket_key) arn.append("/").append(GetString(p, "Key").value_or(""));
  context["aws:s3:arn"] = arn;
  return context;
}

// ---- S3 Bucket Keys: a bucket-level data key from KMS (GenerateDataKey with the bucket's ARN as context),
// kept in Env::bucket_keys for a bounded time, under which each object gets a data key of its own (random,
// wrapped under the bucket key: "ObjectKey"). The version keeps KMS's ciphertext of the bucket key ("Key"),
// so a read asks KMS to Decrypt it (cached the same way), then unwraps the object's key: objects written
// with a bucket key read back after the cache expired or the server restarted. Entries are per caller
// (ARN, access key, the service a call came through): a caller KMS would refuse never uses another's.

Result<ObjectEncryption> BucketKeyEncryption(Env& env, const RequestContext& ctx, const std::string& key_id,
                                             json::object context) {
  std::string name = services::DataKeyCacheScope(ctx, 'w');
  name.append(key_id).append("\n").append(json::serialize(context));
  std::optional<services::DataKeyCache::Entry> entry = env.bucket_keys.Get(name);
  if (!entry) {
    CENOTE_ASSIGN_OR_RETURN(
        json::object out,
        CallKms(env, ctx, "GenerateDataKey",
                json::object{{"KeyId", key_id}, {"KeySpec", "AES_256"}, {"EncryptionContext", context}}));
    auto plaintext = GetString(out, "Plaintext");
    auto blob = GetString(out, "CiphertextBlob");
    if (!plaintext || !blob || plaintext->size() != 32)
      return InternalError("KMS's GenerateDataKey answered no 256-bit data key");
    entry = services::DataKeyCache::Entry{.plaintext = std::string(*plaintext),
                                          .blob = std::string(*blob),
                                          .key_arn = GetString(out, "KeyId").value_or(key_id)};
    env.bucket_keys.Put(name, *entry);
  }
  std::optional<DataKey> bucket_key = DataKey::FromBytes(entry->plaintext);
  explicit_bzero(entry->plaintext.data(), entry->plaintext.size());
  if (!bucket_key) return InternalError("a bucket key is not 256 bits");
  ObjectEncryption e{.key = DataKey::Random(), .doc = {}};
  CENOTE_ASSIGN_OR_RETURN(std::string wrapped, WrapKey(*bucket_key, e.key));
  e.doc["Type"] = "KMS";
  e.doc["Key"] = Base64Encode(entry->blob);
  e.doc["KeyId"] = entry->key_arn;
  e.doc["Context"] = std::move(context);
  e.doc["BucketKey"] = true;
  e.doc["ObjectKey"] = std::move(wrapped);
  return e;
}

Result<ObjectEncryption> KmsEncryption(Env& env, const RequestContext& ctx, const std::string& key_id,
                                       json::object context, bool bucket_key, bool dsse) {
  if (bucket_key) return BucketKeyEncryption(env, ctx, key_id, std::move(context));
  CENOTE_ASSIGN_OR_RETURN(
      json::object out,
      CallKms(env, ctx, "GenerateDataKey",
              json::object{{"KeyId", key_id}, {"KeySpec", "AES_256"}, {"EncryptionContext", context}}));
  auto plaintext = GetString(out, "Plaintext");
  auto blob = GetString(out, "CiphertextBlob");
  std::optional<DataKey> key = plaintext ? DataKey::FromBytes(*plaintext) : std::nullopt;
  if (!key || !blob) return InternalError("KMS's GenerateDataKey answered no 256-bit data key");
  ObjectEncryption e{.key = *key, .doc = {}};
  e.doc["Type"] = "KMS";
  e.doc["Key"] = Base64Encode(*blob);
  e.doc["KeyId"] = GetString(out, "KeyId").value_or(key_id);
  e.doc["Context"] = std::move(context);
  if (dsse) e.doc["Dsse"] = true;
  return e;
}

Result<DataKey> KmsKeyForRead(Env& env, const RequestContext& ctx, const json::object& sse) {
  auto blob = Base64Decode(GetString(sse, "Key").value_or(""));
  if (!blob) return InternalError("an SSE-KMS object's data key is unreadable");
  // Written with a bucket key: "Key" is the bucket key's, which wraps the object's own data key.
  auto object_key = GetString(sse, "ObjectKey");
  std::string name;
  if (object_key) {
    name = services::DataKeyCacheScope(ctx, 'r');
    name.append(*blob);
    if (auto entry = env.bucket_keys.Get(name)) {
      std::optional<DataKey> bucket_key = DataKey::FromBytes(entry->plaintext);
      explicit_bzero(entry->plaintext.data(), entry->plaintext.size());
      std::optional<DataKey> key = bucket_key ? UnwrapKey(*bucket_key, *object_key) : std::nullopt;
      if (!key) return InternalError("an object's data key does not unwrap under its bucket key");
      return *key;
    }
  }
  json::object params{{"CiphertextBlob", std::string(*blob)}};
  if (const json::object* context = services::GetObject(sse, "Context"))
    params["EncryptionContext"] = *context;
  if (auto key_id = GetString(sse, "KeyId")) params["KeyId"] = *key_id;
  CENOTE_ASSIGN_OR_RETURN(json::object out, CallKms(env, ctx, "Decrypt", std::move(params)));
  auto plaintext = GetString(out, "Plaintext");
  std::optional<DataKey> key = plaintext ? DataKey::FromBytes(*plaintext) : std::nullopt;
  if (!key) return InternalError("KMS's Decrypt answered no 256-bit data key");
  if (!object_key) return *key;
  env.bucket_keys.Put(
      name, services::DataKeyCache::Entry{.plaintext = std::string(*plaintext), .blob = {}, .key_arn = {}});
  std::optional<DataKey> own = UnwrapKey(*key, *object_key);
  if (!own) return InternalError("an object's data key does not unwrap under its bucket key");
  return *own;
}

Result<ObjectEncryption> ManagedEncryption(Env& env) {
  ObjectEncryption e{.key = DataKey::Random(), .doc = {}};
  e.doc["Type"] = "S3";
  CENOTE_ASSIGN_OR_RETURN(std::string wrapped, WrapKey(env.root_key.key(), e.key));
  e.doc["Key"] = std::move(wrapped);
  e.doc["RootKey"] = env.root_key.id();
  return e;
}

}  // namespace

Result<std::optional<ObjectEncryption>> EncryptionForWrite(Env& env, const RequestContext& ctx,
                                                           Transaction& txn, std::string_view bucket,
                                                           const json::object& p) {
  CENOTE_ASSIGN_OR_RETURN(auto customer, CustomerKeyFrom(ctx, p, ""));
  auto method = GetString(p, "ServerSideEncryption");
  if (customer) {
    if (method) return MakeError(errors::kSseCustomerIncompatible);
    ObjectEncryption e{.key = DataKey::Random(), .doc = {}};
    e.doc["Type"] = "C";
    CENOTE_ASSIGN_OR_RETURN(std::string wrapped, WrapKey(customer->key, e.key));
    e.doc["Key"] = std::move(wrapped);
    e.doc["KeyMD5"] = customer->md5;
    return std::optional<ObjectEncryption>(std::move(e));
  }
  std::string default_key;
  bool bucket_key = GetBool(p, "BucketKeyEnabled").value_or(false);
  if (!method) {
    CENOTE_ASSIGN_OR_RETURN(auto by_default, DefaultEncryption(txn, bucket));
    if (by_default.algorithm.empty()) {
      if (p.contains("SSEKMSKeyId")) return MakeError(errors::kSseKmsKeyWithoutKms);
      return std::optional<ObjectEncryption>();
    }
    method = by_default.algorithm;
    default_key = by_default.kms_key;
    if (!p.contains("BucketKeyEnabled")) bucket_key = by_default.bucket_key;
  }
  if (*method == "aws:kms" || *method == "aws:kms:dsse") {
    const std::string key_id =
        GetString(p, "SSEKMSKeyId").value_or(default_key.empty() ? kAwsManagedS3Key : default_key);
    // S3 Bucket Keys are not supported with DSSE-KMS (AWS's user guide): each object gets its own key.
    const bool dsse = *method == "aws:kms:dsse";
    if (dsse) bucket_key = false;
    CENOTE_ASSIGN_OR_RETURN(json::object context, KmsContext(p, bucket, bucket_key));
    CENOTE_ASSIGN_OR_RETURN(auto e, KmsEncryption(env, ctx, key_id, std::move(context), bucket_key, dsse));
    return std::optional<ObjectEncryption>(std::move(e));
  }
  if (p.contains("SSEKMSKeyId") || p.contains("SSEKMSEncryptionContext"))
    return MakeError(errors::kSseKmsKeyWithoutKms);
  if (*method != "AES256") {
    return InvalidArgumentError(errors::kSseMethodUnsupported, "x-amz-server-side-encryption", *method);
  }
  CENOTE_ASSIGN_OR_RETURN(auto managed, ManagedEncryption(env));
  return std::optional<ObjectEncryption>(std::move(managed));
}

Result<std::optional<DataKey>> KeyForRead(Env& env, const RequestContext& ctx, const json::object& p,
                                          const json::object& attrs, std::string_view prefix) {
  const json::object* sse = services::GetObject(attrs, "SSE");
  CENOTE_ASSIGN_OR_RETURN(auto customer, CustomerKeyFrom(ctx, p, prefix));
  if (!sse) {
    if (customer) return MakeError(errors::kSseNotApplicable);
    return std::optional<DataKey>();
  }
  const std::string wrapped = GetString(*sse, "Key").value_or("");
  if (GetString(*sse, "Type").value_or("") == "C") {
    if (!customer) {
      if (ctx.in_process()) return MakeError(errors::kSseCustomerUnreadable);
      return MakeError(errors::kSseObjectNeedsKey);
    }
    if (customer->md5 != GetString(*sse, "KeyMD5").value_or("")) return MakeError(errors::kSseKeyMismatch);
    auto key = UnwrapKey(customer->key, wrapped);
    if (!key) return MakeError(errors::kSseKeyMismatch);
    return std::optional<DataKey>(std::move(*key));
  }
  if (customer) return MakeError(errors::kSseNotApplicable);
  if (GetString(*sse, "Type").value_or("") == "KMS") {
    CENOTE_ASSIGN_OR_RETURN(DataKey key, KmsKeyForRead(env, ctx, *sse));
    return std::optional<DataKey>(std::move(key));
  }
  const std::string root = GetString(*sse, "RootKey").value_or("");
  if (root != env.root_key.id()) {
    return InternalError("an object's data key is wrapped under root key " + root +
                         ", and this server's is " + env.root_key.id() +
                         " (was the root key file replaced?)");
  }
  auto key = UnwrapKey(env.root_key.key(), wrapped);
  if (!key) return InternalError("an object's data key does not unwrap under the root key");
  return std::optional<DataKey>(std::move(*key));
}

Result<std::optional<DataKey>> KeyForUpload(Env& env, const RequestContext& ctx, const json::object& p,
                                            const json::object& upload_attrs) {
  const json::object* sse = services::GetObject(upload_attrs, "SSE");
  if (sse && GetString(*sse, "Type").value_or("") == "C") {
    CENOTE_ASSIGN_OR_RETURN(auto customer, CustomerKeyFrom(ctx, p, ""));
    if (!customer) return MakeError(errors::kSseUploadNeedsKey);
  }
  return KeyForRead(env, ctx, p, upload_attrs, "");
}

Status CheckDescribable(Env& env, const RequestContext& ctx, const json::object& params,
                        const json::object& attrs) {
  const json::object* sse = services::GetObject(attrs, "SSE");
  if (sse && GetString(*sse, "Type").value_or("") == "KMS") {
    CENOTE_ASSIGN_OR_RETURN(auto customer, CustomerKeyFrom(ctx, params, ""));
    if (customer) return MakeError(errors::kSseNotApplicable);
    return Status::Ok();
  }
  return Status::FromResult(KeyForRead(env, ctx, params, attrs));
}

void PutEncryptionMembers(json::object& out, const json::object& attrs) {
  const json::object* sse = services::GetObject(attrs, "SSE");
  if (!sse) return;
  const std::string type = GetString(*sse, "Type").value_or("");
  if (type == "C") {
    out["SSECustomerAlgorithm"] = "AES256";
    out["SSECustomerKeyMD5"] = GetString(*sse, "KeyMD5").value_or("");
  } else if (type == "KMS") {
    out["ServerSideEncryption"] = GetBool(*sse, "Dsse").value_or(false) ? "aws:kms:dsse" : "aws:kms";
    out["SSEKMSKeyId"] = GetString(*sse, "KeyId").value_or("");
    if (GetBool(*sse, "BucketKey").value_or(false)) out["BucketKeyEnabled"] = true;
  } else {
    out["ServerSideEncryption"] = "AES256";
  }
}

}  // namespace cenote::s3
