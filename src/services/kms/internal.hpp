// Shared internals of the KMS provider: key and alias state, key resolution, persistence, the ciphertext
// format and the handlers each .cpp of this directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/policy.hpp"
#include "iam/policy_cache.hpp"
#include "services/common/params.hpp"
#include "services/kms/errors.hpp"
#include "services/kms/kms_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::kms {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::int64_t kDayMs = 86'400'000;
inline constexpr std::size_t kMaxPlaintextBytes = 4096;
inline constexpr std::size_t kMaxCiphertextBytes = 6144;
inline constexpr std::size_t kMaxTagsPerKey = 50;
inline constexpr std::size_t kMaxGrantsPerKey = 50'000;
inline constexpr std::size_t kMaxPolicyBytes = 32'768;
inline constexpr std::int64_t kImportParametersLifetimeMs = kDayMs;
inline constexpr char kDefaultPolicyName[] = "default";

// ---- where keys and aliases live

struct KeyRef {
  std::string account;
  std::string region;
  std::string id;
  auto operator<=>(const KeyRef&) const = default;
};
struct AliasRef {
  std::string account;
  std::string region;
  std::string name;  // "alias/..."
  auto operator<=>(const AliasRef&) const = default;
};

std::string KeyArn(const KeyRef& ref);      // arn:aws:kms:<region>:<account>:key/<id>
std::string AliasArn(const AliasRef& ref);  // arn:aws:kms:<region>:<account>:alias/<name>
std::string RootArn(std::string_view account);

// ---- state

struct Material {
  int version = 0;
  std::string bytes;  // plaintext key material (memory only; sealed under the root key when stored)
  std::int64_t created_ms = 0;
};

struct Grant {
  std::string id;     // 64 hex digits
  std::string token;  // the GrantToken CreateGrant answered
  std::string name;
  std::string grantee;
  std::string retiring;  // "" when none
  std::vector<std::string> operations;
  std::vector<std::pair<std::string, std::string>> context_subset;
  std::vector<std::pair<std::string, std::string>> context_equals;
  bool has_constraints = false;
  std::string issuing_account;  // arn:aws:iam::<account>:root
  std::int64_t created_ms = 0;
};

struct Rotation {
  std::int64_t date_ms = 0;
  std::string type;  // AUTOMATIC, ON_DEMAND
};

struct KeyState {
  // Identity: set at creation, never changed.
  std::string account;
  std::string region;
  std::string id;
  std::string arn;
  std::int64_t created_ms = 0;
  std::string key_usage;  // ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC
  std::string key_spec;   // SYMMETRIC_DEFAULT, RSA_2048, ..., HMAC_256
  std::string origin;     // AWS_KMS, EXTERNAL
  bool multi_region = false;
  bool aws_managed = false;    // an AWS managed key (alias/aws/<service>), created on first use
  std::string primary_region;  // multi-Region keys: where the primary is ("" otherwise)

  std::string description;
  std::string state;                  // Enabled, Disabled, PendingDeletion, PendingImport
  std::string state_before_deletion;  // what CancelKeyDeletion restores to (Disabled, as AWS)
  std::optional<std::int64_t> deletion_ms;
  int pending_window_days = 0;
  std::vector<std::string> replica_regions;  // primary multi-Region keys
  std::string policy;
  std::vector<std::pair<std::string, std::string>> tags;
  std::vector<Grant> grants;
  bool rotation_enabled = false;
  int rotation_period_days = 365;
  std::int64_t next_rotation_ms = 0;
  std::optional<std::int64_t> on_demand_rotation_ms;
  std::vector<Rotation> rotations;
  std::vector<Material> materials;  // oldest first; the last one encrypts
  // Imported material (Origin EXTERNAL).
  std::optional<std::int64_t> valid_to_ms;
  std::string expiration_model;
  std::string import_fingerprint;  // HMAC-SHA256 of the imported material under the root key
  std::string import_private_key;  // PKCS#8 of the pending GetParametersForImport wrapping key
  std::string import_token;
  std::int64_t import_expires_ms = 0;

  // The key policy and every grant as one compiled resource policy (recompiled on change).
  std::shared_ptr<const iam::Policy> authorization;

  KeyRef ref() const { return KeyRef{account, region, id}; }
  bool symmetric() const { return key_spec == "SYMMETRIC_DEFAULT"; }
  bool hmac() const { return key_spec.starts_with("HMAC_"); }
  const Material* FindMaterial(int version) const;
  const Material* Current() const { return materials.empty() ? nullptr : &materials.back(); }
};

struct AliasState {
  std::string key_id;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct Env {
  Env(store::MetadataStore& metadata, KmsOptions options) : metadata(metadata), options(std::move(options)) {}

  store::MetadataStore& metadata;
  const KmsOptions options;
  std::string root_key;  // set by Open, then read-only
  iam::PolicyCache policies{1024};

  mutable SharedMutex mu;
  std::map<KeyRef, KeyState> keys GUARDED_BY(mu);
  std::map<AliasRef, AliasState> aliases GUARDED_BY(mu);

  std::int64_t Now() const { return options.clock(); }

  // Which forms of key id an operation accepts.
  enum class Names { kKeyOnly, kAliasToo };
  // The key `key_id` names for a call from `ctx`: a key id or alias name in the caller's account and the
  // request's region, or a key or alias ARN (of any account, in the request's region).
  Result<KeyState*> Find(const RequestContext& ctx, std::string_view key_id, Names names)
      SHARED_LOCKS_REQUIRED(mu);
  Result<KeyState*> Find(const KeyRef& ref) SHARED_LOCKS_REQUIRED(mu);
  // Creates the AWS managed key `key_id` names (alias/aws/<service>, or its alias ARN, in the caller's
  // account and the request's region) when it does not exist yet, as AWS does on a key's first use. Anything
  // else: Ok.
  Status EnsureManagedKey(const RequestContext& ctx, std::string_view key_id) LOCKS_EXCLUDED(mu);
  // The key's state allows cryptographic use (DisabledException / KMSInvalidStateException otherwise).
  Status RequireUsable(const KeyState& key) const;
  // Writes one key's document (and recompiles its authorization), or several in one transaction.
  Status Save(KeyState& key) EXCLUSIVE_LOCKS_REQUIRED(mu);
  Status SaveAll(const std::vector<KeyState*>& keys) EXCLUSIVE_LOCKS_REQUIRED(mu);
  Status Recompile(KeyState& key);
  // Removes a key for good: its row, its aliases.
  Status Purge(const KeyRef& ref) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The multi-Region keys sharing `key`'s id in the other regions of its account (primary and replicas).
  std::vector<KeyState*> Related(const KeyState& key) EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Serialization of a key's stored document (materials sealed under the root key).
  Result<std::string> ToDocument(const KeyState& key) const;
  Result<KeyState> FromDocument(const std::string& account, const std::string& region, const std::string& id,
                                const std::string& doc) const;
};

// ---- symmetric ciphertexts (ciphertext.cpp)

using EncryptionContext = std::vector<std::pair<std::string, std::string>>;  // sorted by key
// The request's EncryptionContext member, sorted; ValidationException for non-string values.
Result<EncryptionContext> ReadContext(const json::object& params, std::string_view member);
struct CiphertextHeader {
  std::string account;
  std::string key_id;
  int version = 0;
};
// Encrypts `plaintext` under the key's current material.
Result<std::string> EncryptSymmetric(const KeyState& key, const EncryptionContext& context,
                                     std::string_view plaintext);
// The account and key a blob names; nullopt when it is not one of ours.
std::optional<CiphertextHeader> ParseCiphertext(std::string_view blob);
// The plaintext, or InvalidCiphertextException (wrong context, tampered, unknown material version).
Result<std::string> DecryptSymmetric(const KeyState& key, const EncryptionContext& context,
                                     std::string_view blob);

// ---- shared helpers (support.cpp)

Error Validation(std::string message);
Error DryRun();
// "1 validation error detected: Value '...' at '...' failed to satisfy constraint: ..." for lengths.
Status CheckLength(const json::object& params, std::string_view member, std::size_t min, std::size_t max);
json::object KeyMetadata(const Env& env, const KeyState& key) SHARED_LOCKS_REQUIRED(env.mu);
std::vector<std::string> EncryptionAlgorithms(const KeyState& key);
std::vector<std::string> SigningAlgorithms(const KeyState& key);
std::vector<std::string> MacAlgorithms(const KeyState& key);
std::string DefaultKeyPolicy(std::string_view account);
// The service of an AWS managed key's alias ("alias/aws/s3" -> "s3"), or "" when it names none Cenote
// creates.
std::string ManagedKeyService(std::string_view alias_name);
// The key policy AWS gives the AWS managed key of `service`.
std::string ManagedKeyPolicy(std::string_view service, std::string_view account, std::string_view region);
// MalformedPolicyDocumentException unless `text` is a valid key policy within 32 KiB that, unless
// `bypass_lockout_check`, still lets the caller put the key's policy (AWS's policy lockout safety check).
Status CheckKeyPolicy(Env& env, std::string_view text, const RequestContext& ctx, std::string_view key_arn,
                      bool bypass_lockout_check);
// Tags from [{TagKey, TagValue}] with AWS's limits (TagException).
Result<std::vector<std::pair<std::string, std::string>>> ReadTags(const json::array* tags);
json::array TagsDocument(const std::vector<std::pair<std::string, std::string>>& tags);
// Pagination over a sorted list: the index to start at for `Marker` (InvalidMarkerException), and the
// Limit (1..1000, default 100; ValidationException).
Result<std::size_t> MarkerStart(const json::object& params, const std::vector<std::string>& ids);
Result<std::size_t> LimitOf(const json::object& params, std::size_t default_limit = 100);
// Whether the caller is `arn` (its own ARN, its role's, its account's root).
bool PrincipalIs(const iam::Principal& principal, std::string_view arn);

// ---- handlers (services::Handler<Env>)
// keys.cpp
Result<OperationOutput> CreateKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DescribeKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListKeys(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> EnableKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DisableKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ScheduleKeyDeletion(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> CancelKeyDeletion(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UpdateKeyDescription(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> TagResource(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UntagResource(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListResourceTags(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetKeyPolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutKeyPolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListKeyPolicies(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> EnableKeyRotation(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DisableKeyRotation(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetKeyRotationStatus(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> RotateKeyOnDemand(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListKeyRotations(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ReplicateKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetParametersForImport(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ImportKeyMaterial(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteImportedKeyMaterial(Env&, const RequestContext&, OperationInput&);
// encryption.cpp
Result<OperationOutput> Encrypt(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> Decrypt(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ReEncrypt(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GenerateDataKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GenerateDataKeyWithoutPlaintext(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GenerateRandom(Env&, const RequestContext&, OperationInput&);
// signing.cpp
Result<OperationOutput> Sign(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> Verify(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetPublicKey(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GenerateMac(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> VerifyMac(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GenerateDataKeyPair(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GenerateDataKeyPairWithoutPlaintext(Env&, const RequestContext&, OperationInput&);
// aliases.cpp
Result<OperationOutput> CreateAlias(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteAlias(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UpdateAlias(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListAliases(Env&, const RequestContext&, OperationInput&);
// grants.cpp
Result<OperationOutput> CreateGrant(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListGrants(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListRetirableGrants(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> RetireGrant(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> RevokeGrant(Env&, const RequestContext&, OperationInput&);
// The key policy and the grants as one policy document (grants.cpp).
std::string AuthorizationDocument(const KeyState& key);

// Schema of component "kms": one statement per version.
std::vector<std::string> Migrations();

}  // namespace cenote::kms
