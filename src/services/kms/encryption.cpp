// Encryption handlers: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateRandom.
// Blob members (Plaintext, CiphertextBlob) are raw bytes in the documents (aws/provider.hpp); the protocol
// layer base64-encodes them on the wire.
#include "common/random.hpp"
#include "services/kms/crypto.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

Status RequireUsage(const KeyState& key, std::string_view usage, std::string_view operation) {
  if (key.key_usage == usage) return Status::Ok();
  return services::MakeError(errors::kInvalidKeyUsage,
                             {key.arn + " key usage is " + key.key_usage + " which is not valid for " +
                              std::string(operation) + "."});
}

Status RequireAlgorithm(const KeyState& key, std::string_view algorithm) {
  for (const std::string& a : EncryptionAlgorithms(key)) {
    if (a == algorithm) return Status::Ok();
  }
  return services::MakeError(errors::kInvalidKeyUsage, {"The encryption algorithm " + std::string(algorithm) +
                                                        " is not valid for " + key.arn + "."});
}

Status CheckBlobLength(const json::object& p, std::string_view member, std::string_view wire,
                       std::size_t max) {
  const std::string v = GetString(p, member).value_or("");
  if (v.empty() || v.size() > max) {
    return Validation("1 validation error detected: Value at '" + std::string(wire) +
                      "' failed to satisfy constraint: Member must have length less than or equal to " +
                      std::to_string(max) + " and greater than or equal to 1");
  }
  return Status::Ok();
}

Status RefuseRecipient(const json::object& p) {
  if (GetObject(p, "Recipient") != nullptr) {
    return MakeError("UnsupportedOperationException",
                     "Recipient (Nitro Enclaves attestation) is not supported.", 400);
  }
  return Status::Ok();
}

// Encrypts with a usable encryption key (symmetric: Cenote's blob; RSA: OAEP over the public key).
Result<std::string> EncryptWith(const KeyState& key, const EncryptionContext& context,
                                std::string_view algorithm, std::string_view plaintext) {
  if (key.symmetric()) return EncryptSymmetric(key, context, plaintext);
  const Material* m = key.Current();
  if (m == nullptr) return InternalError("key " + key.arn + " has no material");
  CENOTE_ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyOf(m->bytes));
  return crypto::RsaOaepEncrypt(public_key, algorithm == "RSAES_OAEP_SHA_1" ? 1 : 256, plaintext);
}

Result<std::string> DecryptWith(const KeyState& key, const EncryptionContext& context,
                                std::string_view algorithm, std::string_view blob) {
  if (key.symmetric()) return DecryptSymmetric(key, context, blob);
  const Material* m = key.Current();
  if (m == nullptr) return InternalError("key " + key.arn + " has no material");
  auto plaintext = crypto::RsaOaepDecrypt(m->bytes, algorithm == "RSAES_OAEP_SHA_1" ? 1 : 256, blob);
  if (!plaintext) return services::MakeError(errors::kInvalidCiphertext);
  return std::move(*plaintext);
}

// The key that decrypts `blob`: KeyId when given (IncorrectKeyException when a symmetric blob names another
// key), else the key the symmetric blob names, in the request's region.
Result<KeyState*> DecryptionKey(Env& env, const RequestContext& ctx, const std::optional<std::string>& key_id,
                                std::string_view algorithm, std::string_view blob)
    SHARED_LOCKS_REQUIRED(env.mu) {
  std::optional<CiphertextHeader> header = ParseCiphertext(blob);
  if (!key_id) {
    if (algorithm != "SYMMETRIC_DEFAULT" || !header) return services::MakeError(errors::kInvalidCiphertext);
    return env.Find(KeyRef{header->account, ctx.region, header->key_id});
  }
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, *key_id, Env::Names::kAliasToo));
  if (key->symmetric() && header && (header->key_id != key->id || header->account != key->account)) {
    return services::MakeError(errors::kIncorrectKey);
  }
  return key;
}

Result<OperationOutput> DataKey(Env& env, const RequestContext& ctx, OperationInput& in,
                                bool with_plaintext) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(RefuseRecipient(p));
  const std::string key_id = GetString(p, "KeyId").value_or("");
  const std::optional<std::string> spec = GetString(p, "KeySpec");
  const std::optional<std::int64_t> bytes = GetInt(p, "NumberOfBytes");
  if (spec && bytes) return Validation("Please specify either number of bytes or key spec.");
  if (!spec && !bytes) return Validation("Please specify either number of bytes or key spec.");
  std::size_t n = 0;
  if (spec) {
    if (*spec == "AES_256") {
      n = 32;
    } else if (*spec == "AES_128") {
      n = 16;
    } else {
      return Validation(
          "1 validation error detected: Value '" + *spec +
          "' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, "
          "AES_128]");
    }
  } else {
    if (*bytes < 1 || *bytes > 1024) {
      return Validation(
          "1 validation error detected: Value '" + std::to_string(*bytes) +
          "' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or "
          "equal to 1024 and greater than or equal to 1");
    }
    n = static_cast<std::size_t>(*bytes);
  }
  CENOTE_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(p, "EncryptionContext"));
  CENOTE_RETURN_IF_ERROR(env.EnsureManagedKey(ctx, key_id));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, key_id, Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireUsage(
      *key, "ENCRYPT_DECRYPT", with_plaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext"));
  if (!key->symmetric()) {
    return services::MakeError(errors::kInvalidKeyUsage, {key->arn + " key spec " + key->key_spec +
                                                          " is not valid for generating data keys."});
  }
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  std::string plaintext = RandomBytes(n);
  CENOTE_ASSIGN_OR_RETURN(std::string blob, EncryptSymmetric(*key, context, plaintext));
  json::object out{{"CiphertextBlob", std::move(blob)}, {"KeyId", key->arn}};
  if (with_plaintext) out["Plaintext"] = std::move(plaintext);
  return OperationOutput(std::move(out));
}

}  // namespace

Result<OperationOutput> Encrypt(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckBlobLength(p, "Plaintext", "plaintext", kMaxPlaintextBytes));
  const std::string algorithm = GetString(p, "EncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  CENOTE_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(p, "EncryptionContext"));
  CENOTE_RETURN_IF_ERROR(env.EnsureManagedKey(ctx, GetString(p, "KeyId").value_or("")));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireUsage(*key, "ENCRYPT_DECRYPT", "Encrypt"));
  CENOTE_RETURN_IF_ERROR(RequireAlgorithm(*key, algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  CENOTE_ASSIGN_OR_RETURN(std::string blob,
                          EncryptWith(*key, context, algorithm, *GetString(p, "Plaintext")));
  return OperationOutput(json::object{
      {"CiphertextBlob", std::move(blob)}, {"KeyId", key->arn}, {"EncryptionAlgorithm", algorithm}});
}

Result<OperationOutput> Decrypt(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(RefuseRecipient(p));
  CENOTE_RETURN_IF_ERROR(CheckBlobLength(p, "CiphertextBlob", "ciphertextBlob", kMaxCiphertextBytes));
  const std::string blob = *GetString(p, "CiphertextBlob");
  const std::string algorithm = GetString(p, "EncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  CENOTE_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(p, "EncryptionContext"));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, DecryptionKey(env, ctx, GetString(p, "KeyId"), algorithm, blob));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireUsage(*key, "ENCRYPT_DECRYPT", "Decrypt"));
  CENOTE_RETURN_IF_ERROR(RequireAlgorithm(*key, algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  CENOTE_ASSIGN_OR_RETURN(std::string plaintext, DecryptWith(*key, context, algorithm, blob));
  return OperationOutput(json::object{
      {"KeyId", key->arn}, {"Plaintext", std::move(plaintext)}, {"EncryptionAlgorithm", algorithm}});
}

Result<OperationOutput> ReEncrypt(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckBlobLength(p, "CiphertextBlob", "ciphertextBlob", kMaxCiphertextBytes));
  const std::string blob = *GetString(p, "CiphertextBlob");
  const std::string source_algorithm =
      GetString(p, "SourceEncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  const std::string destination_algorithm =
      GetString(p, "DestinationEncryptionAlgorithm").value_or("SYMMETRIC_DEFAULT");
  CENOTE_ASSIGN_OR_RETURN(EncryptionContext source_context, ReadContext(p, "SourceEncryptionContext"));
  CENOTE_ASSIGN_OR_RETURN(EncryptionContext destination_context,
                          ReadContext(p, "DestinationEncryptionContext"));
  CENOTE_RETURN_IF_ERROR(env.EnsureManagedKey(ctx, GetString(p, "DestinationKeyId").value_or("")));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * source,
                          DecryptionKey(env, ctx, GetString(p, "SourceKeyId"), source_algorithm, blob));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*source));
  CENOTE_RETURN_IF_ERROR(RequireUsage(*source, "ENCRYPT_DECRYPT", "ReEncrypt"));
  CENOTE_RETURN_IF_ERROR(RequireAlgorithm(*source, source_algorithm));
  CENOTE_ASSIGN_OR_RETURN(KeyState * destination, env.Find(ctx, GetString(p, "DestinationKeyId").value_or(""),
                                                           Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*destination));
  CENOTE_RETURN_IF_ERROR(RequireUsage(*destination, "ENCRYPT_DECRYPT", "ReEncrypt"));
  CENOTE_RETURN_IF_ERROR(RequireAlgorithm(*destination, destination_algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  CENOTE_ASSIGN_OR_RETURN(std::string plaintext,
                          DecryptWith(*source, source_context, source_algorithm, blob));
  CENOTE_ASSIGN_OR_RETURN(std::string out_blob,
                          EncryptWith(*destination, destination_context, destination_algorithm, plaintext));
  return OperationOutput(json::object{{"CiphertextBlob", std::move(out_blob)},
                                      {"SourceKeyId", source->arn},
                                      {"KeyId", destination->arn},
                                      {"SourceEncryptionAlgorithm", source_algorithm},
                                      {"DestinationEncryptionAlgorithm", destination_algorithm}});
}

Result<OperationOutput> GenerateDataKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  return DataKey(env, ctx, in, true);
}

Result<OperationOutput> GenerateDataKeyWithoutPlaintext(Env& env, const RequestContext& ctx,
                                                        OperationInput& in) {
  return DataKey(env, ctx, in, false);
}

Result<OperationOutput> GenerateRandom(Env&, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(RefuseRecipient(p));
  if (GetString(p, "CustomKeyStoreId")) {
    return MakeError("CustomKeyStoreNotFoundException", "Custom key stores are not supported.", 400);
  }
  const std::int64_t n = GetInt(p, "NumberOfBytes").value_or(0);
  if (n < 1 || n > 1024) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(n) +
        "' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal "
        "to 1024 and greater than or equal to 1");
  }
  return OperationOutput(json::object{{"Plaintext", RandomBytes(static_cast<std::size_t>(n))}});
}

}  // namespace cenote::kms
