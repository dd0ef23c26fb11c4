// Asymmetric and HMAC handlers: Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, and data key pairs.
#include "common/encoding.hpp"
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

Status CheckMessage(const json::object& p) {
  const std::string m = GetString(p, "Message").value_or("");
  if (m.empty() || m.size() > kMaxPlaintextBytes) {
    return Validation(
        "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have "
        "length less "
        "than or equal to 4096 and greater than or equal to 1");
  }
  return Status::Ok();
}

// The digest to sign or verify: the message hashed (RAW) or as given (DIGEST, of the algorithm's length).
Result<std::string> DigestOf(const json::object& p, std::string_view algorithm) {
  const std::string message = GetString(p, "Message").value_or("");
  const std::string type = GetString(p, "MessageType").value_or("RAW");
  if (type == "RAW") return crypto::Digest(algorithm, message);
  if (type != "DIGEST") {
    return Validation(
        "1 validation error detected: Value '" + type +
        "' at 'messageType' failed to satisfy constraint: Member must satisfy enum value set: [RAW, "
        "DIGEST, EXTERNAL_MU]");
  }
  if (message.size() != crypto::DigestBytes(algorithm)) {
    return Validation("Digest is invalid length for algorithm " + std::string(algorithm) + ".");
  }
  return message;
}

Result<const KeyState*> SigningKey(Env& env, const RequestContext& ctx, const json::object& p,
                                   std::string_view operation, std::string& algorithm)
    SHARED_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireUsage(*key, "SIGN_VERIFY", operation));
  algorithm = GetString(p, "SigningAlgorithm").value_or("");
  for (const std::string& a : SigningAlgorithms(*key)) {
    if (a == algorithm) return key;
  }
  return services::MakeError(
      errors::kInvalidKeyUsage,
      {"Algorithm " + algorithm + " is incompatible with key spec " + key->key_spec + "."});
}

Result<const KeyState*> MacKey(Env& env, const RequestContext& ctx, const json::object& p,
                               std::string_view operation, std::string& algorithm)
    SHARED_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireUsage(*key, "GENERATE_VERIFY_MAC", operation));
  algorithm = GetString(p, "MacAlgorithm").value_or("");
  if (MacAlgorithms(*key).front() != algorithm) {
    return services::MakeError(
        errors::kInvalidKeyUsage,
        {"Algorithm " + algorithm + " is incompatible with key spec " + key->key_spec + "."});
  }
  return key;
}

int MacBits(std::string_view algorithm) {
  return std::stoi(std::string(algorithm.substr(9)));
}  // HMAC_SHA_<n>

Result<OperationOutput> DataKeyPair(Env& env, const RequestContext& ctx, OperationInput& in,
                                    bool with_plaintext) {
  const json::object& p = in.params.as_object();
  if (GetObject(p, "Recipient") != nullptr) {
    return MakeError("UnsupportedOperationException",
                     "Recipient (Nitro Enclaves attestation) is not supported.", 400);
  }
  const std::string spec = GetString(p, "KeyPairSpec").value_or("");
  if (!crypto::IsKeyPairSpec(spec)) {
    return Validation(
        "1 validation error detected: Value '" + spec +
        "' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, "
        "RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1]");
  }
  CENOTE_ASSIGN_OR_RETURN(EncryptionContext context, ReadContext(p, "EncryptionContext"));
  CENOTE_RETURN_IF_ERROR(env.EnsureManagedKey(ctx, GetString(p, "KeyId").value_or("")));
  std::string private_key;
  {
    ReaderLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                            env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kAliasToo));
    CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
    CENOTE_RETURN_IF_ERROR(RequireUsage(*key, "ENCRYPT_DECRYPT", "GenerateDataKeyPair"));
    if (!key->symmetric()) {
      return services::MakeError(errors::kInvalidKeyUsage, {key->arn + " key spec " + key->key_spec +
                                                            " is not valid for generating data key pairs."});
    }
    if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  }
  // Key generation (RSA 4096 takes a while) runs without the lock.
  CENOTE_ASSIGN_OR_RETURN(private_key, crypto::GenerateKeyPair(spec));
  CENOTE_ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyOf(private_key));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_ASSIGN_OR_RETURN(std::string blob, EncryptSymmetric(*key, context, private_key));
  json::object out{{"PrivateKeyCiphertextBlob", std::move(blob)},
                   {"PublicKey", std::move(public_key)},
                   {"KeyId", key->arn},
                   {"KeyPairSpec", spec}};
  if (with_plaintext) out["PrivateKeyPlaintext"] = std::move(private_key);
  return OperationOutput(std::move(out));
}

json::array Strings(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

Result<OperationOutput> Sign(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckMessage(p));
  ReaderLock lock(env.mu);
  std::string algorithm;
  CENOTE_ASSIGN_OR_RETURN(const KeyState* key, SigningKey(env, ctx, p, "Sign", algorithm));
  CENOTE_ASSIGN_OR_RETURN(std::string digest, DigestOf(p, algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  CENOTE_ASSIGN_OR_RETURN(std::string signature,
                          crypto::SignDigest(key->Current()->bytes, algorithm, digest));
  return OperationOutput(json::object{
      {"KeyId", key->arn}, {"Signature", std::move(signature)}, {"SigningAlgorithm", algorithm}});
}

Result<OperationOutput> Verify(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckMessage(p));
  ReaderLock lock(env.mu);
  std::string algorithm;
  CENOTE_ASSIGN_OR_RETURN(const KeyState* key, SigningKey(env, ctx, p, "Verify", algorithm));
  CENOTE_ASSIGN_OR_RETURN(std::string digest, DigestOf(p, algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  CENOTE_ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyOf(key->Current()->bytes));
  if (!crypto::VerifyDigest(public_key, algorithm, digest, GetString(p, "Signature").value_or(""))) {
    return services::MakeError(errors::kInvalidSignature);
  }
  return OperationOutput(
      json::object{{"KeyId", key->arn}, {"SignatureValid", true}, {"SigningAlgorithm", algorithm}});
}

Result<OperationOutput> GetPublicKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kAliasToo));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  if (key->symmetric() || key->hmac()) {
    return MakeError("UnsupportedOperationException",
                     key->arn + " key spec " + key->key_spec + " is not valid for this operation.", 400);
  }
  CENOTE_ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyOf(key->Current()->bytes));
  json::object out{{"KeyId", key->arn},
                   {"PublicKey", std::move(public_key)},
                   {"CustomerMasterKeySpec", key->key_spec},
                   {"KeySpec", key->key_spec},
                   {"KeyUsage", key->key_usage}};
  if (auto a = EncryptionAlgorithms(*key); !a.empty()) out["EncryptionAlgorithms"] = Strings(a);
  if (auto a = SigningAlgorithms(*key); !a.empty()) out["SigningAlgorithms"] = Strings(a);
  return OperationOutput(std::move(out));
}

Result<OperationOutput> GenerateMac(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckMessage(p));
  ReaderLock lock(env.mu);
  std::string algorithm;
  CENOTE_ASSIGN_OR_RETURN(const KeyState* key, MacKey(env, ctx, p, "GenerateMac", algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  std::string mac =
      crypto::Hmac(MacBits(algorithm), key->Current()->bytes, GetString(p, "Message").value_or(""));
  return OperationOutput(
      json::object{{"Mac", std::move(mac)}, {"MacAlgorithm", algorithm}, {"KeyId", key->arn}});
}

Result<OperationOutput> VerifyMac(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckMessage(p));
  ReaderLock lock(env.mu);
  std::string algorithm;
  CENOTE_ASSIGN_OR_RETURN(const KeyState* key, MacKey(env, ctx, p, "VerifyMac", algorithm));
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  std::string mac =
      crypto::Hmac(MacBits(algorithm), key->Current()->bytes, GetString(p, "Message").value_or(""));
  if (!ConstantTimeEquals(mac, GetString(p, "Mac").value_or("")))
    return services::MakeError(errors::kInvalidMac);
  return OperationOutput(json::object{{"KeyId", key->arn}, {"MacValid", true}, {"MacAlgorithm", algorithm}});
}

Result<OperationOutput> GenerateDataKeyPair(Env& env, const RequestContext& ctx, OperationInput& in) {
  return DataKeyPair(env, ctx, in, true);
}

Result<OperationOutput> GenerateDataKeyPairWithoutPlaintext(Env& env, const RequestContext& ctx,
                                                            OperationInput& in) {
  return DataKeyPair(env, ctx, in, false);
}

}  // namespace cenote::kms
