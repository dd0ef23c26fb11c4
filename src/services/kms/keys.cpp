// Key lifecycle handlers: CreateKey, DescribeKey, ListKeys, enabling and disabling, scheduled deletion,
// descriptions, tags, key policies, rotation, multi-Region replicas and imported key material.
#include <algorithm>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/kms/crypto.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

std::size_t HmacKeyBytes(std::string_view spec) {
  if (spec == "HMAC_224") return 28;
  if (spec == "HMAC_256") return 32;
  if (spec == "HMAC_384") return 48;
  if (spec == "HMAC_512") return 64;
  return 0;
}

std::string NewKeyId(bool multi_region) {
  if (multi_region) return "mrk-" + RandomHex(16);
  return NewUuidV4();
}

Status NotPendingDeletion(const KeyState& key) {
  if (key.state == "PendingDeletion") {
    return services::MakeError(errors::kInvalidState, {key.arn, "pending deletion"});
  }
  return Status::Ok();
}

Error UnsupportedFor(const KeyState& key, std::string_view why);

// AWS managed keys are AWS's to manage: their policy, state and deletion cannot be changed.
Status RequireCustomerManaged(const KeyState& key) {
  if (key.aws_managed) return UnsupportedFor(key, "is an AWS managed key.");
  return Status::Ok();
}

Error UnsupportedFor(const KeyState& key, std::string_view why) {
  return services::MakeError(errors::kUnsupported, {key.arn + " " + std::string(why)});
}

// Symmetric encryption keys with KMS-generated material: the only keys AWS rotates.
Status RequireRotatable(const KeyState& key) {
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(key));
  if (!key.symmetric())
    return UnsupportedFor(key, "key spec " + key.key_spec + " does not support rotation.");
  if (key.origin != "AWS_KMS")
    return UnsupportedFor(key, "origin is " + key.origin + " which is not valid for this operation.");
  if (key.multi_region && key.primary_region != key.region) {
    return UnsupportedFor(key, "is a replica key: its rotation is managed by its primary key.");
  }
  return Status::Ok();
}

// Adds a new material version to the key and every replica, in one transaction.
Status Rotate(Env& env, KeyState& key, std::string type) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  const std::int64_t now = env.Now();
  Material m{key.Current() ? key.Current()->version + 1 : 1, RandomBytes(32), now};
  std::vector<KeyState*> changed = env.Related(key);
  for (KeyState* r : changed) r->materials.push_back(m);
  key.materials.push_back(std::move(m));
  key.rotations.push_back(Rotation{now, std::move(type)});
  changed.push_back(&key);
  return env.SaveAll(changed);
}

Result<std::string> RequireKeyId(const json::object& p) {
  auto id = GetString(p, "KeyId");
  if (!id || id->empty()) return Validation("KeyId is required");
  return std::move(*id);
}

}  // namespace

Result<OperationOutput> CreateKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "Description", 0, 8192));
  if (GetString(p, "CustomKeyStoreId") || GetString(p, "XksKeyId")) {
    return MakeError("CustomKeyStoreNotFoundException", "Custom key stores are not supported.", 400);
  }
  std::string spec =
      GetString(p, "KeySpec").value_or(GetString(p, "CustomerMasterKeySpec").value_or("SYMMETRIC_DEFAULT"));
  if (GetString(p, "KeySpec") && GetString(p, "CustomerMasterKeySpec")) {
    return Validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request.");
  }
  const std::optional<std::string> usage_in = GetString(p, "KeyUsage");
  std::string origin = GetString(p, "Origin").value_or("AWS_KMS");
  const bool multi_region = GetBool(p, "MultiRegion").value_or(false);
  std::string usage;
  if (spec == "SYMMETRIC_DEFAULT") {
    usage = usage_in.value_or("ENCRYPT_DECRYPT");
    if (usage != "ENCRYPT_DECRYPT")
      return Validation("KeyUsage " + usage + " is not compatible with KeySpec " + spec);
  } else if (spec.starts_with("RSA_") && crypto::IsKeyPairSpec(spec)) {
    if (!usage_in)
      return Validation(
          "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
    usage = *usage_in;
    if (usage != "ENCRYPT_DECRYPT" && usage != "SIGN_VERIFY") {
      return Validation("KeyUsage " + usage + " is not compatible with KeySpec " + spec);
    }
  } else if (spec.starts_with("ECC_") && crypto::IsKeyPairSpec(spec)) {
    if (!usage_in)
      return Validation(
          "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
    usage = *usage_in;
    if (usage == "KEY_AGREEMENT")
      return MakeError("UnsupportedOperationException", "KEY_AGREEMENT keys are not supported.", 400);
    if (usage != "SIGN_VERIFY")
      return Validation("KeyUsage " + usage + " is not compatible with KeySpec " + spec);
  } else if (HmacKeyBytes(spec) > 0) {
    if (!usage_in)
      return Validation(
          "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
    usage = *usage_in;
    if (usage != "GENERATE_VERIFY_MAC")
      return Validation("KeyUsage " + usage + " is not compatible with KeySpec " + spec);
  } else {
    return Validation(
        "1 validation error detected: Value '" + spec +
        "' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, "
        "ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, ECC_SECG_P256K1, RSA_4096, "
        "SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512]");
  }
  if (origin == "AWS_CLOUDHSM" || origin == "EXTERNAL_KEY_STORE") {
    return MakeError("CustomKeyStoreNotFoundException", "Custom key stores are not supported.", 400);
  }
  if (origin != "AWS_KMS" && origin != "EXTERNAL") {
    return Validation(
        "1 validation error detected: Value '" + origin +
        "' at 'origin' failed to satisfy constraint: Member must satisfy enum value set: [EXTERNAL, "
        "AWS_CLOUDHSM, AWS_KMS, EXTERNAL_KEY_STORE]");
  }
  if (origin == "EXTERNAL" && spec != "SYMMETRIC_DEFAULT") {
    return MakeError("UnsupportedOperationException",
                     "Imported key material is supported for SYMMETRIC_DEFAULT keys only.", 400);
  }
  const bool bypass = GetBool(p, "BypassPolicyLockoutSafetyCheck").value_or(false);
  const std::string key_id = NewKeyId(multi_region);
  std::string policy = GetString(p, "Policy").value_or(DefaultKeyPolicy(ctx.account_id()));
  if (GetString(p, "Policy")) {
    CENOTE_RETURN_IF_ERROR(
        CheckKeyPolicy(env, policy, ctx, KeyArn({ctx.account_id(), ctx.region, key_id}), bypass));
  }
  CENOTE_ASSIGN_OR_RETURN(auto tags, ReadTags(GetArray(p, "Tags")));
  if (tags.size() > kMaxTagsPerKey) return services::MakeError(errors::kTag, {"Too many tags"});

  KeyState key;
  key.account = ctx.account_id();
  key.region = ctx.region;
  key.id = key_id;
  key.arn = KeyArn(key.ref());
  key.created_ms = env.Now();
  key.key_usage = usage;
  key.key_spec = spec;
  key.origin = origin;
  key.multi_region = multi_region;
  key.primary_region = multi_region ? ctx.region : "";
  key.description = GetString(p, "Description").value_or("");
  key.policy = std::move(policy);
  key.tags = std::move(tags);
  if (origin == "EXTERNAL") {
    key.state = "PendingImport";
  } else {
    key.state = "Enabled";
    Material m{1, {}, key.created_ms};
    if (spec == "SYMMETRIC_DEFAULT") {
      m.bytes = RandomBytes(32);
    } else if (std::size_t n = HmacKeyBytes(spec); n > 0) {
      m.bytes = RandomBytes(n);
    } else {
      CENOTE_ASSIGN_OR_RETURN(m.bytes, crypto::GenerateKeyPair(spec));
    }
    key.materials.push_back(std::move(m));
  }
  WriterLock lock(env.mu);
  KeyRef ref = key.ref();
  KeyState& stored = env.keys.emplace(ref, std::move(key)).first->second;
  if (Status st = env.Save(stored); !st) {
    env.keys.erase(ref);
    return std::move(st).error();
  }
  return OperationOutput(json::object{{"KeyMetadata", KeyMetadata(env, stored)}});
}

Result<OperationOutput> DescribeKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  // DescribeKey on a predefined AWS alias creates its AWS managed key (as AWS documents).
  CENOTE_RETURN_IF_ERROR(env.EnsureManagedKey(ctx, id));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kAliasToo));
  return OperationOutput(json::object{{"KeyMetadata", KeyMetadata(env, *key)}});
}

Result<OperationOutput> ListKeys(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::size_t limit, LimitOf(p));
  ReaderLock lock(env.mu);
  std::vector<std::string> ids;
  for (const auto& [ref, key] : env.keys) {
    if (ref.account == ctx.account_id() && ref.region == ctx.region) ids.push_back(ref.id);
  }
  CENOTE_ASSIGN_OR_RETURN(std::size_t start, MarkerStart(p, ids));
  json::array keys;
  std::size_t i = start;
  for (; i < ids.size() && keys.size() < limit; ++i) {
    keys.emplace_back(
        json::object{{"KeyId", ids[i]}, {"KeyArn", KeyArn({ctx.account_id(), ctx.region, ids[i]})}});
  }
  json::object out{{"Keys", std::move(keys)}, {"Truncated", i < ids.size()}};
  if (i < ids.size()) out["NextMarker"] = ids[i];
  return OperationOutput(std::move(out));
}

namespace {

// EnableKey and DisableKey: a customer managed key not pending deletion or import moves to `state`.
Result<OperationOutput> SetKeyState(Env& env, const RequestContext& ctx, OperationInput& in,
                                    const char* state) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(in.params.as_object()));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  if (key->state == "PendingImport")
    return services::MakeError(errors::kInvalidState, {key->arn, "pending import"});
  if (key->state != state) {
    key->state = state;
    CENOTE_RETURN_IF_ERROR(env.Save(*key));
  }
  return OperationOutput();
}

}  // namespace

Result<OperationOutput> EnableKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  return SetKeyState(env, ctx, in, "Enabled");
}

Result<OperationOutput> DisableKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  return SetKeyState(env, ctx, in, "Disabled");
}

Result<OperationOutput> ScheduleKeyDeletion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::int64_t days = GetInt(p, "PendingWindowInDays").value_or(30);
  if (days < 7 || days > 30) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(days) +
        "' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or "
        "equal to 30 and greater than or equal to 7");
  }
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  if (key->multi_region && key->primary_region == key->region && !key->replica_regions.empty()) {
    return services::MakeError(
        errors::kInvalidState,
        {key->arn, "a multi-Region primary key with replica keys; delete the replicas first"});
  }
  key->state_before_deletion = key->state;
  key->state = "PendingDeletion";
  key->deletion_ms = env.Now() + days * kDayMs;
  key->pending_window_days = static_cast<int>(days);
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput(json::object{{"KeyId", key->arn},
                                      {"DeletionDate", *key->deletion_ms},
                                      {"KeyState", key->state},
                                      {"PendingWindowInDays", days}});
}

Result<OperationOutput> CancelKeyDeletion(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(in.params.as_object()));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  if (key->state != "PendingDeletion") return services::MakeError(errors::kNotPendingDeletion, {key->arn});
  // As AWS: a key whose deletion is cancelled is disabled (or still waits for its imported material).
  key->state = key->materials.empty() ? "PendingImport" : "Disabled";
  key->deletion_ms.reset();
  key->pending_window_days = 0;
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput(json::object{{"KeyId", key->arn}});
}

Result<OperationOutput> UpdateKeyDescription(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "Description", 0, 8192));
  auto description = GetString(p, "Description");
  if (!description) return Validation("Description is required");
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  key->description = std::move(*description);
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  CENOTE_ASSIGN_OR_RETURN(auto tags, ReadTags(GetArray(p, "Tags")));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  auto merged = key->tags;
  for (const auto& tag : tags) {
    auto it = std::find_if(merged.begin(), merged.end(), [&](const auto& t) { return t.first == tag.first; });
    if (it != merged.end()) {
      it->second = tag.second;
    } else {
      merged.push_back(tag);
    }
  }
  if (merged.size() > kMaxTagsPerKey) {
    return services::MakeError(errors::kLimitExceeded,
                               {"The number of tags on " + key->arn + " would exceed 50."});
  }
  key->tags = std::move(merged);
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  if (const json::array* keys = GetArray(p, "TagKeys")) {
    for (const json::value& k : *keys) {
      if (!k.is_string()) continue;
      std::erase_if(key->tags, [&](const auto& t) { return t.first == k.as_string(); });
    }
  }
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> ListResourceTags(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  CENOTE_ASSIGN_OR_RETURN(std::size_t limit, LimitOf(p, 50));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  std::vector<std::string> names;
  for (const auto& t : key->tags) names.push_back(t.first);
  CENOTE_ASSIGN_OR_RETURN(std::size_t start, MarkerStart(p, names));
  std::vector<std::pair<std::string, std::string>> page;
  std::size_t i = start;
  for (; i < key->tags.size() && page.size() < std::min<std::size_t>(limit, 50); ++i)
    page.push_back(key->tags[i]);
  json::object out{{"Tags", TagsDocument(page)}, {"Truncated", i < key->tags.size()}};
  if (i < key->tags.size()) out["NextMarker"] = key->tags[i].first;
  return OperationOutput(std::move(out));
}

Result<OperationOutput> GetKeyPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::string name = GetString(p, "PolicyName").value_or(kDefaultPolicyName);
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  if (name != kDefaultPolicyName) return MakeError("NotFoundException", "No such policy exists", 400);
  return OperationOutput(json::object{{"Policy", key->policy}, {"PolicyName", name}});
}

Result<OperationOutput> PutKeyPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::string name = GetString(p, "PolicyName").value_or(kDefaultPolicyName);
  auto policy = GetString(p, "Policy");
  if (!policy) return Validation("Policy is required");
  if (name != kDefaultPolicyName) return MakeError("NotFoundException", "No such policy exists", 400);
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireCustomerManaged(*key));
  CENOTE_RETURN_IF_ERROR(CheckKeyPolicy(env, *policy, ctx, key->arn,
                                        GetBool(p, "BypassPolicyLockoutSafetyCheck").value_or(false)));
  key->policy = std::move(*policy);
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> ListKeyPolicies(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  CENOTE_RETURN_IF_ERROR(LimitOf(p));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  (void)key;
  return OperationOutput(
      json::object{{"PolicyNames", json::array{kDefaultPolicyName}}, {"Truncated", false}});
}

Result<OperationOutput> EnableKeyRotation(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::int64_t period = GetInt(p, "RotationPeriodInDays").value_or(365);
  if (period < 90 || period > 2560) {
    return Validation(
        "1 validation error detected: Value '" + std::to_string(period) +
        "' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or "
        "equal to 2560 and greater than or equal to 90");
  }
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireRotatable(*key));
  key->rotation_enabled = true;
  key->rotation_period_days = static_cast<int>(period);
  key->next_rotation_ms = env.Now() + period * kDayMs;
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> DisableKeyRotation(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(in.params.as_object()));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireRotatable(*key));
  key->rotation_enabled = false;
  key->next_rotation_ms = 0;
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> GetKeyRotationStatus(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(in.params.as_object()));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  if (!key->symmetric())
    return UnsupportedFor(*key, "key spec " + key->key_spec + " does not support rotation.");
  // A replica reports its primary's rotation.
  const KeyState* source = key;
  if (key->multi_region && key->primary_region != key->region) {
    auto it = env.keys.find(KeyRef{key->account, key->primary_region, key->id});
    if (it != env.keys.end()) source = &it->second;
  }
  json::object out{{"KeyRotationEnabled", source->rotation_enabled}, {"KeyId", key->arn}};
  if (source->rotation_enabled) {
    out["RotationPeriodInDays"] = source->rotation_period_days;
    out["NextRotationDate"] = source->next_rotation_ms;
  }
  return OperationOutput(std::move(out));
}

Result<OperationOutput> RotateKeyOnDemand(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(in.params.as_object()));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  CENOTE_RETURN_IF_ERROR(RequireRotatable(*key));
  const auto on_demand = std::count_if(key->rotations.begin(), key->rotations.end(),
                                       [](const Rotation& r) { return r.type == "ON_DEMAND"; });
  if (on_demand >= 10) {
    return services::MakeError(errors::kLimitExceeded, {"The maximum of 10 on-demand rotations for " +
                                                        key->arn + " has been reached."});
  }
  CENOTE_RETURN_IF_ERROR(Rotate(env, *key, "ON_DEMAND"));
  return OperationOutput(json::object{{"KeyId", key->id}});
}

Result<OperationOutput> ListKeyRotations(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  CENOTE_ASSIGN_OR_RETURN(std::size_t limit, LimitOf(p));
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  if (!key->symmetric())
    return UnsupportedFor(*key, "key spec " + key->key_spec + " does not support rotation.");
  std::vector<std::string> markers;
  for (std::size_t i = 0; i < key->rotations.size(); ++i) markers.push_back(std::to_string(i));
  CENOTE_ASSIGN_OR_RETURN(std::size_t start, MarkerStart(p, markers));
  json::array rotations;
  std::size_t i = start;
  for (; i < key->rotations.size() && rotations.size() < limit; ++i) {
    rotations.emplace_back(json::object{{"KeyId", key->id},
                                        {"RotationDate", key->rotations[i].date_ms},
                                        {"RotationType", key->rotations[i].type}});
  }
  json::object out{{"Rotations", std::move(rotations)}, {"Truncated", i < key->rotations.size()}};
  if (i < key->rotations.size()) out["NextMarker"] = markers[i];
  return OperationOutput(std::move(out));
}

Result<OperationOutput> ReplicateKey(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::string region = GetString(p, "ReplicaRegion").value_or("");
  if (region.size() < 1 || region.size() > 32 || !std::all_of(region.begin(), region.end(), [](char c) {
        return std::islower(c) || std::isdigit(c) || c == '-';
      })) {
    return Validation(
        "1 validation error detected: Value '" + region +
        "' at 'replicaRegion' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: ^([a-z]+-){2,3}\\d+$");
  }
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "Description", 0, 8192));
  std::optional<std::string> policy = GetString(p, "Policy");
  CENOTE_ASSIGN_OR_RETURN(auto tags, ReadTags(GetArray(p, "Tags")));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * primary, env.Find(ctx, id, Env::Names::kKeyOnly));
  if (!primary->multi_region) return UnsupportedFor(*primary, "is not a multi-Region key.");
  if (primary->primary_region != primary->region) return UnsupportedFor(*primary, "is not a primary key.");
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*primary));
  if (region == primary->region)
    return Validation("The replica region must differ from the primary key's region.");
  KeyRef ref{primary->account, region, primary->id};
  if (policy) {
    CENOTE_RETURN_IF_ERROR(CheckKeyPolicy(env, *policy, ctx, KeyArn(ref),
                                          GetBool(p, "BypassPolicyLockoutSafetyCheck").value_or(false)));
  }
  if (env.keys.contains(ref)) {
    return MakeError("AlreadyExistsException", "Key " + KeyArn(ref) + " already exists.", 400);
  }
  KeyState replica;
  replica.account = ref.account;
  replica.region = region;
  replica.id = ref.id;
  replica.arn = KeyArn(ref);
  replica.created_ms = env.Now();
  replica.key_usage = primary->key_usage;
  replica.key_spec = primary->key_spec;
  replica.origin = primary->origin;
  replica.multi_region = true;
  replica.primary_region = primary->region;
  replica.description = GetString(p, "Description").value_or(primary->description);
  replica.policy = policy.value_or(DefaultKeyPolicy(primary->account));
  replica.tags = std::move(tags);
  // Imported material is imported into each replica on its own; KMS material is shared.
  replica.state = primary->origin == "EXTERNAL" ? "PendingImport" : "Enabled";
  if (primary->origin != "EXTERNAL") replica.materials = primary->materials;
  KeyState& stored = env.keys.emplace(ref, std::move(replica)).first->second;
  primary->replica_regions.push_back(region);
  if (Status st = env.SaveAll({primary, &stored}); !st) {
    std::erase(primary->replica_regions, region);
    env.keys.erase(ref);
    return std::move(st).error();
  }
  return OperationOutput(json::object{{"ReplicaKeyMetadata", KeyMetadata(env, stored)},
                                      {"ReplicaPolicy", stored.policy},
                                      {"ReplicaTags", TagsDocument(stored.tags)}});
}

// ---- imported key material

namespace {

Status RequireExternal(const KeyState& key) {
  if (key.origin != "EXTERNAL")
    return UnsupportedFor(key, "origin is " + key.origin + " which is not valid for this operation.");
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> GetParametersForImport(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::string algorithm = GetString(p, "WrappingAlgorithm").value_or("");
  const std::string spec = GetString(p, "WrappingKeySpec").value_or("");
  if (algorithm != "RSAES_OAEP_SHA_1" && algorithm != "RSAES_OAEP_SHA_256") {
    if (algorithm == "RSAES_PKCS1_V1_5" || algorithm.starts_with("RSA_AES_KEY_WRAP_") ||
        algorithm == "SM2PKE") {
      return MakeError(
          "UnsupportedOperationException",
          "WrappingAlgorithm " + algorithm + " is not supported; use RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1.",
          400);
    }
    return Validation(
        "1 validation error detected: Value '" + algorithm +
        "' at 'wrappingAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: "
        "[RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, RSA_AES_KEY_WRAP_SHA_256, "
        "RSAES_PKCS1_V1_5, SM2PKE]");
  }
  if (spec != "RSA_2048" && spec != "RSA_3072" && spec != "RSA_4096") {
    return Validation(
        "1 validation error detected: Value '" + spec +
        "' at 'wrappingKeySpec' failed to satisfy constraint: Member must satisfy enum value set: "
        "[RSA_2048, RSA_3072, RSA_4096, SM2]");
  }
  CENOTE_ASSIGN_OR_RETURN(std::string wrapping, crypto::GenerateKeyPair(spec));
  CENOTE_ASSIGN_OR_RETURN(std::string public_key, crypto::PublicKeyOf(wrapping));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireExternal(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  // The token names the key and the wrapping algorithm; it is good for one import within 24 hours.
  key->import_private_key = std::move(wrapping);
  key->import_token = algorithm + "|" + key->id + "|" + RandomBytes(32);
  key->import_expires_ms = env.Now() + kImportParametersLifetimeMs;
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput(json::object{{"KeyId", key->arn},
                                      {"ImportToken", key->import_token},
                                      {"PublicKey", public_key},
                                      {"ParametersValidTo", key->import_expires_ms}});
}

Result<OperationOutput> ImportKeyMaterial(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(p));
  const std::string token = GetString(p, "ImportToken").value_or("");
  const std::string wrapped = GetString(p, "EncryptedKeyMaterial").value_or("");
  std::optional<std::int64_t> valid_to = GetInt(p, "ValidTo");
  std::string model = GetString(p, "ExpirationModel")
                          .value_or(valid_to ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE");
  if (model == "KEY_MATERIAL_EXPIRES" && !valid_to) {
    return Validation("A ValidTo date is required when ExpirationModel is KEY_MATERIAL_EXPIRES.");
  }
  if (model == "KEY_MATERIAL_DOES_NOT_EXPIRE" && valid_to) {
    return Validation("ValidTo must be omitted when ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE.");
  }
  if (model != "KEY_MATERIAL_EXPIRES" && model != "KEY_MATERIAL_DOES_NOT_EXPIRE") {
    return Validation(
        "1 validation error detected: Value '" + model +
        "' at 'expirationModel' failed to satisfy constraint: Member must satisfy enum value set: "
        "[KEY_MATERIAL_DOES_NOT_EXPIRE, KEY_MATERIAL_EXPIRES]");
  }
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireExternal(*key));
  CENOTE_RETURN_IF_ERROR(NotPendingDeletion(*key));
  const std::int64_t now = env.Now();
  if (valid_to && *valid_to <= now) return Validation("ValidTo must be in the future.");
  if (key->import_token.empty() || token != key->import_token) {
    return services::MakeError(errors::kInvalidImportToken,
                               {"Import token is invalid for the specified key."});
  }
  if (now >= key->import_expires_ms) return services::MakeError(errors::kExpiredImportToken);
  const int sha = key->import_token.starts_with("RSAES_OAEP_SHA_1|") ? 1 : 256;
  std::optional<std::string> material = crypto::RsaOaepDecrypt(key->import_private_key, sha, wrapped);
  if (!material) return services::MakeError(errors::kInvalidCiphertext);
  if (material->size() != 32) {
    return services::MakeError(errors::kIncorrectKeyMaterial);
  }
  const std::string fingerprint =
      HmacSha256(env.root_key, "cenote kms imported material|" + key->arn + "|" + *material);
  if (!key->import_fingerprint.empty() && fingerprint != key->import_fingerprint) {
    return services::MakeError(errors::kIncorrectKeyMaterial);
  }
  key->import_fingerprint = fingerprint;
  key->materials.clear();
  key->materials.push_back(Material{1, std::move(*material), now});
  key->expiration_model = model;
  key->valid_to_ms = valid_to;
  key->import_private_key.clear();
  key->import_token.clear();
  key->import_expires_ms = 0;
  if (key->state == "PendingImport") key->state = "Enabled";
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

Result<OperationOutput> DeleteImportedKeyMaterial(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireKeyId(in.params.as_object()));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, id, Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(RequireExternal(*key));
  key->materials.clear();
  key->valid_to_ms.reset();
  if (key->state != "PendingDeletion") key->state = "PendingImport";
  CENOTE_RETURN_IF_ERROR(env.Save(*key));
  return OperationOutput();
}

}  // namespace cenote::kms
