// Server-side encryption at rest as requests see it: which writes encrypt and with what key (the SSE-C
// members, x-amz-server-side-encryption, the bucket's default encryption), which key a read needs, and the
// members responses carry. The piece format and the keys themselves: sse.hpp.
#include "common/encoding.hpp"
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

// The bucket's default algorithm ("AES256", "aws:kms", ...), "" when it has no default encryption.
Result<std::string> DefaultAlgorithm(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(txn, bucket, "encryption", ""));
  if (!doc) return std::string();
  const json::array* rules = GetArray(*doc, "Rules");
  if (!rules || rules->empty() || !rules->front().is_object()) return std::string();
  const json::object* by_default =
      services::GetObject(rules->front().as_object(), "ApplyServerSideEncryptionByDefault");
  if (!by_default) return std::string();
  return GetString(*by_default, "SSEAlgorithm").value_or("");
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
  if (!method) {
    CENOTE_ASSIGN_OR_RETURN(auto by_default, DefaultAlgorithm(txn, bucket));
    if (by_default.empty()) return std::optional<ObjectEncryption>();
    method = by_default;
  }
  if (*method == "aws:kms" || *method == "aws:kms:dsse") return MakeError(errors::kSseKmsNotImplemented);
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

void PutEncryptionMembers(json::object& out, const json::object& attrs) {
  const json::object* sse = services::GetObject(attrs, "SSE");
  if (!sse) return;
  if (GetString(*sse, "Type").value_or("") == "C") {
    out["SSECustomerAlgorithm"] = "AES256";
    out["SSECustomerKeyMD5"] = GetString(*sse, "KeyMD5").value_or("");
  } else {
    out["ServerSideEncryption"] = "AES256";
  }
}

}  // namespace cenote::s3
