// KmsProvider (kms_provider.hpp): the operation table, key resolution, persistence and maintenance.
#include "services/kms/kms_provider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/kms/crypto.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

const KmsProvider::Table& Operations() {
  static const KmsProvider::Table kOps = {
      {"CancelKeyDeletion", CancelKeyDeletion},
      {"CreateAlias", CreateAlias},
      {"CreateGrant", CreateGrant},
      {"CreateKey", CreateKey},
      {"Decrypt", Decrypt},
      {"DeleteAlias", DeleteAlias},
      {"DeleteImportedKeyMaterial", DeleteImportedKeyMaterial},
      {"DescribeKey", DescribeKey},
      {"DisableKey", DisableKey},
      {"DisableKeyRotation", DisableKeyRotation},
      {"EnableKey", EnableKey},
      {"EnableKeyRotation", EnableKeyRotation},
      {"Encrypt", Encrypt},
      {"GenerateDataKey", GenerateDataKey},
      {"GenerateDataKeyPair", GenerateDataKeyPair},
      {"GenerateDataKeyPairWithoutPlaintext", GenerateDataKeyPairWithoutPlaintext},
      {"GenerateDataKeyWithoutPlaintext", GenerateDataKeyWithoutPlaintext},
      {"GenerateMac", GenerateMac},
      {"GenerateRandom", GenerateRandom},
      {"GetKeyPolicy", GetKeyPolicy},
      {"GetKeyRotationStatus", GetKeyRotationStatus},
      {"GetParametersForImport", GetParametersForImport},
      {"GetPublicKey", GetPublicKey},
      {"ImportKeyMaterial", ImportKeyMaterial},
      {"ListAliases", ListAliases},
      {"ListGrants", ListGrants},
      {"ListKeyPolicies", ListKeyPolicies},
      {"ListKeyRotations", ListKeyRotations},
      {"ListKeys", ListKeys},
      {"ListResourceTags", ListResourceTags},
      {"ListRetirableGrants", ListRetirableGrants},
      {"PutKeyPolicy", PutKeyPolicy},
      {"ReEncrypt", ReEncrypt},
      {"ReplicateKey", ReplicateKey},
      {"RetireGrant", RetireGrant},
      {"RevokeGrant", RevokeGrant},
      {"RotateKeyOnDemand", RotateKeyOnDemand},
      {"ScheduleKeyDeletion", ScheduleKeyDeletion},
      {"Sign", Sign},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateAlias", UpdateAlias},
      {"UpdateKeyDescription", UpdateKeyDescription},
      {"Verify", Verify},
      {"VerifyMac", VerifyMac},
  };
  return kOps;
}

constexpr char kRootKeyCheckLabel[] = "cenote kms root key check";

std::string MaterialAad(const std::string& arn, int version) { return arn + "#" + std::to_string(version); }

json::array PairsDocument(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json::array a;
  for (const auto& [k, v] : pairs) a.emplace_back(json::array{json::value(k), json::value(v)});
  return a;
}

std::vector<std::pair<std::string, std::string>> PairsOf(const json::object& o, std::string_view name) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const json::array* a = GetArray(o, name)) {
    for (const json::value& p : *a) {
      const json::array& pair = p.as_array();
      out.emplace_back(std::string(pair.at(0).as_string()), std::string(pair.at(1).as_string()));
    }
  }
  return out;
}

std::vector<std::string> StringsOf(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  if (const json::array* a = GetArray(o, name)) {
    for (const json::value& v : *a) out.emplace_back(v.as_string());
  }
  return out;
}

json::array StringsDocument(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE kms_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
      "CREATE TABLE kms_keys (account TEXT NOT NULL, region TEXT NOT NULL, key_id TEXT NOT NULL, "
      "doc TEXT NOT NULL, PRIMARY KEY (account, region, key_id))",
      "CREATE TABLE kms_aliases (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
      "key_id TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, "
      "PRIMARY KEY (account, region, name))",
  };
}

// ---- Env

Result<KeyState*> Env::Find(const KeyRef& ref) {
  auto it = keys.find(ref);
  if (it == keys.end()) return services::MakeError(errors::kKeyNotFound, {KeyArn(ref)});
  return &it->second;
}

Result<KeyState*> Env::Find(const RequestContext& ctx, std::string_view key_id, Names names) {
  std::string account = ctx.account_id();
  std::string region = ctx.region;
  std::string_view rest = key_id;
  if (key_id.starts_with("arn:")) {
    // arn:<partition>:kms:<region>:<account>:key/<id> | alias/<name>
    std::vector<std::string_view> parts;
    std::size_t at = 0;
    for (int i = 0; i < 5; ++i) {
      std::size_t colon = key_id.find(':', at);
      if (colon == std::string_view::npos) return services::MakeError(errors::kInvalidKeyId, {key_id});
      parts.push_back(key_id.substr(at, colon - at));
      at = colon + 1;
    }
    if (parts[2] != "kms" || parts[4].size() != 12)
      return services::MakeError(errors::kInvalidKeyId, {key_id});
    region = std::string(parts[3]);
    account = std::string(parts[4]);
    rest = key_id.substr(at);
    if (rest.starts_with("key/")) {
      rest.remove_prefix(4);
    } else if (!rest.starts_with("alias/")) {
      return services::MakeError(errors::kInvalidKeyId, {key_id});
    }
    // A regional endpoint serves its own region's keys only.
    if (region != ctx.region) {
      if (rest.starts_with("alias/")) return services::MakeError(errors::kAliasNotFound, {key_id});
      return services::MakeError(errors::kKeyNotFound, {key_id});
    }
  }
  if (rest.starts_with("alias/")) {
    if (names == Names::kKeyOnly) return services::MakeError(errors::kInvalidKeyId, {key_id});
    AliasRef alias{account, region, std::string(rest)};
    auto it = aliases.find(alias);
    if (it == aliases.end()) return services::MakeError(errors::kAliasNotFound, {AliasArn(alias)});
    return Find(KeyRef{account, region, it->second.key_id});
  }
  if (rest.empty()) return services::MakeError(errors::kInvalidKeyId, {key_id});
  return Find(KeyRef{account, region, std::string(rest)});
}

Status Env::EnsureManagedKey(const RequestContext& ctx, std::string_view key_id) {
  std::string_view name = key_id;
  std::string account = ctx.account_id();
  if (name.starts_with("arn:")) {
    // arn:aws:kms:<region>:<account>:alias/aws/<service>, of the request's region only
    const std::string prefix = "arn:aws:kms:" + ctx.region + ":";
    if (!name.starts_with(prefix) || name.size() < prefix.size() + 13) return Status::Ok();
    account = std::string(name.substr(prefix.size(), 12));
    name.remove_prefix(prefix.size() + 13);
  }
  const std::string service = ManagedKeyService(name);
  if (service.empty()) return Status::Ok();
  AliasRef alias{account, ctx.region, std::string(name)};
  {
    ReaderLock lock(mu);
    if (aliases.contains(alias)) return Status::Ok();
  }
  WriterLock lock(mu);
  if (aliases.contains(alias)) return Status::Ok();  // another call created it meanwhile
  KeyState key;
  key.account = account;
  key.region = ctx.region;
  key.id = NewUuidV4();
  key.arn = KeyArn(key.ref());
  key.created_ms = Now();
  key.key_usage = "ENCRYPT_DECRYPT";
  key.key_spec = "SYMMETRIC_DEFAULT";
  key.origin = "AWS_KMS";
  key.aws_managed = true;
  key.description = "Default key that protects my " + service + " resources when no other key is defined";
  key.state = "Enabled";
  key.policy = ManagedKeyPolicy(service, account, ctx.region);
  // AWS managed keys rotate every year.
  key.rotation_enabled = true;
  key.rotation_period_days = 365;
  key.next_rotation_ms = key.created_ms + 365 * kDayMs;
  key.materials.push_back(Material{1, RandomBytes(32), key.created_ms});
  const AliasState state{key.id, key.created_ms, key.created_ms};
  KeyRef ref = key.ref();
  KeyState& stored = keys.emplace(ref, std::move(key)).first->second;
  // Key and alias in one transaction: a crash leaves both or neither.
  Status st = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(std::string doc, ToDocument(stored));
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO kms_keys (account, region, key_id, doc) VALUES (?, ?, ?, ?)",
                  {ref.account, ref.region, ref.id, doc}));
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO kms_aliases (account, region, name, key_id, created_ms, updated_ms) VALUES "
                  "(?, ?, ?, ?, ?, ?)",
                  {alias.account, alias.region, alias.name, ref.id, state.created_ms, state.updated_ms}));
    return txn->Commit();
  }();
  if (!st) {
    keys.erase(ref);
    return st;
  }
  aliases[alias] = state;
  return Recompile(stored);
}

Status Env::RequireUsable(const KeyState& key) const {
  if (key.state == "Enabled") return Status::Ok();
  if (key.state == "Disabled") return services::MakeError(errors::kDisabled, {key.arn});
  if (key.state == "PendingDeletion")
    return services::MakeError(errors::kInvalidState, {key.arn, "pending deletion"});
  if (key.state == "PendingImport")
    return services::MakeError(errors::kInvalidState, {key.arn, "pending import"});
  return services::MakeError(errors::kInvalidState, {key.arn, key.state});
}

Result<std::string> Env::ToDocument(const KeyState& key) const {
  json::object d;
  d["created"] = key.created_ms;
  d["usage"] = key.key_usage;
  d["spec"] = key.key_spec;
  d["origin"] = key.origin;
  d["multi_region"] = key.multi_region;
  d["aws_managed"] = key.aws_managed;
  d["primary_region"] = key.primary_region;
  d["description"] = key.description;
  d["state"] = key.state;
  d["state_before_deletion"] = key.state_before_deletion;
  if (key.deletion_ms) d["deletion"] = *key.deletion_ms;
  d["window"] = key.pending_window_days;
  d["replicas"] = StringsDocument(key.replica_regions);
  d["policy"] = key.policy;
  d["tags"] = PairsDocument(key.tags);
  json::array grants;
  for (const Grant& g : key.grants) {
    grants.emplace_back(json::object{{"id", g.id},
                                     {"token", g.token},
                                     {"name", g.name},
                                     {"grantee", g.grantee},
                                     {"retiring", g.retiring},
                                     {"operations", StringsDocument(g.operations)},
                                     {"subset", PairsDocument(g.context_subset)},
                                     {"equals", PairsDocument(g.context_equals)},
                                     {"constraints", g.has_constraints},
                                     {"issuer", g.issuing_account},
                                     {"created", g.created_ms}});
  }
  d["grants"] = std::move(grants);
  d["rotation_enabled"] = key.rotation_enabled;
  d["rotation_period"] = key.rotation_period_days;
  d["next_rotation"] = key.next_rotation_ms;
  if (key.on_demand_rotation_ms) d["on_demand_rotation"] = *key.on_demand_rotation_ms;
  json::array rotations;
  for (const Rotation& r : key.rotations) rotations.emplace_back(json::array{r.date_ms, json::value(r.type)});
  d["rotations"] = std::move(rotations);
  json::array materials;
  for (const Material& m : key.materials) {
    CENOTE_ASSIGN_OR_RETURN(std::string sealed,
                            crypto::Seal(root_key, MaterialAad(key.arn, m.version), m.bytes));
    materials.emplace_back(
        json::object{{"version", m.version}, {"sealed", Base64Encode(sealed)}, {"created", m.created_ms}});
  }
  d["materials"] = std::move(materials);
  if (key.valid_to_ms) d["valid_to"] = *key.valid_to_ms;
  d["expiration_model"] = key.expiration_model;
  d["import_fingerprint"] = HexEncode(key.import_fingerprint);
  if (!key.import_private_key.empty()) {
    CENOTE_ASSIGN_OR_RETURN(std::string sealed,
                            crypto::Seal(root_key, key.arn + "#import", key.import_private_key));
    d["import_key"] = Base64Encode(sealed);
    d["import_token"] = HexEncode(key.import_token);
    d["import_expires"] = key.import_expires_ms;
  }
  return json::serialize(d);
}

Result<KeyState> Env::FromDocument(const std::string& account, const std::string& region,
                                   const std::string& id, const std::string& text) const {
  KeyState k;
  try {
    json::object d = json::parse(text).as_object();
    k.account = account;
    k.region = region;
    k.id = id;
    k.arn = KeyArn(k.ref());
    k.created_ms = GetInt(d, "created").value_or(0);
    k.key_usage = GetString(d, "usage").value_or("");
    k.key_spec = GetString(d, "spec").value_or("");
    k.origin = GetString(d, "origin").value_or("AWS_KMS");
    k.multi_region = GetBool(d, "multi_region").value_or(false);
    k.aws_managed = GetBool(d, "aws_managed").value_or(false);
    k.primary_region = GetString(d, "primary_region").value_or("");
    k.description = GetString(d, "description").value_or("");
    k.state = GetString(d, "state").value_or("Enabled");
    k.state_before_deletion = GetString(d, "state_before_deletion").value_or("");
    k.deletion_ms = GetInt(d, "deletion");
    k.pending_window_days = static_cast<int>(GetInt(d, "window").value_or(0));
    k.replica_regions = StringsOf(d, "replicas");
    k.policy = GetString(d, "policy").value_or("");
    k.tags = PairsOf(d, "tags");
    if (const json::array* grants = GetArray(d, "grants")) {
      for (const json::value& v : *grants) {
        const json::object& g = v.as_object();
        Grant grant;
        grant.id = GetString(g, "id").value_or("");
        grant.token = GetString(g, "token").value_or("");
        grant.name = GetString(g, "name").value_or("");
        grant.grantee = GetString(g, "grantee").value_or("");
        grant.retiring = GetString(g, "retiring").value_or("");
        grant.operations = StringsOf(g, "operations");
        grant.context_subset = PairsOf(g, "subset");
        grant.context_equals = PairsOf(g, "equals");
        grant.has_constraints = GetBool(g, "constraints").value_or(false);
        grant.issuing_account = GetString(g, "issuer").value_or("");
        grant.created_ms = GetInt(g, "created").value_or(0);
        k.grants.push_back(std::move(grant));
      }
    }
    k.rotation_enabled = GetBool(d, "rotation_enabled").value_or(false);
    k.rotation_period_days = static_cast<int>(GetInt(d, "rotation_period").value_or(365));
    k.next_rotation_ms = GetInt(d, "next_rotation").value_or(0);
    k.on_demand_rotation_ms = GetInt(d, "on_demand_rotation");
    if (const json::array* rotations = GetArray(d, "rotations")) {
      for (const json::value& v : *rotations) {
        const json::array& r = v.as_array();
        k.rotations.push_back(Rotation{r.at(0).to_number<std::int64_t>(), std::string(r.at(1).as_string())});
      }
    }
    if (const json::array* materials = GetArray(d, "materials")) {
      for (const json::value& v : *materials) {
        const json::object& m = v.as_object();
        Material material;
        material.version = static_cast<int>(GetInt(m, "version").value_or(0));
        material.created_ms = GetInt(m, "created").value_or(0);
        std::optional<std::string> sealed = Base64Decode(GetString(m, "sealed").value_or(""));
        std::optional<std::string> bytes =
            sealed ? crypto::Unseal(root_key, MaterialAad(k.arn, material.version), *sealed) : std::nullopt;
        if (!bytes)
          return InternalError("cannot unseal the key material of " + k.arn + " under the root key");
        material.bytes = std::move(*bytes);
        k.materials.push_back(std::move(material));
      }
    }
    k.valid_to_ms = GetInt(d, "valid_to");
    k.expiration_model = GetString(d, "expiration_model").value_or("");
    k.import_fingerprint = HexDecode(GetString(d, "import_fingerprint").value_or("")).value_or("");
    if (auto sealed_text = GetString(d, "import_key")) {
      std::optional<std::string> sealed = Base64Decode(*sealed_text);
      std::optional<std::string> bytes =
          sealed ? crypto::Unseal(root_key, k.arn + "#import", *sealed) : std::nullopt;
      if (bytes) {
        k.import_private_key = std::move(*bytes);
        k.import_token = HexDecode(GetString(d, "import_token").value_or("")).value_or("");
        k.import_expires_ms = GetInt(d, "import_expires").value_or(0);
      }
    }
  } catch (const std::exception& e) {
    return InternalError("corrupt kms key document " + id + ": " + e.what());
  }
  return k;
}

Status Env::Recompile(KeyState& key) {
  auto compiled = policies.Get(AuthorizationDocument(key), iam::PolicyKind::kResource);
  if (!compiled) {
    // A grant the policy language cannot express (it was validated when created): keep the key policy alone.
    spdlog::warn("kms: key {}: grants left out of its authorization: {}", key.arn, compiled.error().message);
    compiled = policies.Get(key.policy, iam::PolicyKind::kResource);
  }
  key.authorization = compiled ? *compiled : nullptr;
  return Status::Ok();
}

Status Env::SaveAll(const std::vector<KeyState*>& changed) {
  // One transaction for every changed key (a rotation reaches every replica of a multi-Region key), committed
  // before the call is answered.
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  for (KeyState* key : changed) {
    CENOTE_ASSIGN_OR_RETURN(std::string doc, ToDocument(*key));
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO kms_keys (account, region, key_id, doc) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (account, region, key_id) DO UPDATE SET doc = excluded.doc",
                  {key->account, key->region, key->id, doc}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  for (KeyState* key : changed) CENOTE_RETURN_IF_ERROR(Recompile(*key));
  return Status::Ok();
}

Status Env::Save(KeyState& key) { return SaveAll({&key}); }

std::vector<KeyState*> Env::Related(const KeyState& key) {
  std::vector<KeyState*> out;
  if (!key.multi_region) return out;
  for (auto& [ref, other] : keys) {
    if (ref.account == key.account && ref.id == key.id && ref.region != key.region) out.push_back(&other);
  }
  return out;
}

Status Env::Purge(const KeyRef& ref) {
  auto it = keys.find(ref);
  if (it == keys.end()) return Status::Ok();
  KeyState* primary = nullptr;
  if (it->second.multi_region && it->second.primary_region != ref.region) {
    auto p = keys.find(KeyRef{ref.account, it->second.primary_region, ref.id});
    if (p != keys.end()) {
      primary = &p->second;
      std::erase(primary->replica_regions, ref.region);
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?",
                                   {ref.account, ref.region, ref.id}));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND key_id = ?",
                                   {ref.account, ref.region, ref.id}));
  if (primary != nullptr) {
    CENOTE_ASSIGN_OR_RETURN(std::string doc, ToDocument(*primary));
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("UPDATE kms_keys SET doc = ? WHERE account = ? AND region = ? AND key_id = ?",
                  {doc, primary->account, primary->region, primary->id}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  keys.erase(it);
  std::erase_if(aliases, [&](const auto& entry) {
    return entry.first.account == ref.account && entry.first.region == ref.region &&
           entry.second.key_id == ref.id;
  });
  return Status::Ok();
}

// ---- provider

KmsProvider::KmsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}
KmsProvider::~KmsProvider() { maintenance_.reset(); }

const KmsProvider::Table& KmsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& KmsProvider::SupportedOperations() { return Operations().names(); }

Result<std::unique_ptr<KmsProvider>> KmsProvider::Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                                       KmsOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("kms", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  if (options.root_key_file.empty()) return InternalError("kms: no root key file");
  auto env = std::make_unique<Env>(metadata, std::move(options));
  CENOTE_ASSIGN_OR_RETURN(env->root_key, crypto::LoadOrCreateRootKey(env->options.root_key_file));
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  // The data directory remembers which root key sealed its keys (an HMAC of a fixed label under it, which
  // says nothing of the key), so that another root key is refused at start rather than failing every call.
  const std::string check = HexEncode(HmacSha256(env->root_key, kRootKeyCheckLabel));
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT value FROM kms_settings WHERE name = 'root_key_check'"));
  if (row && store::AsText((*row)[0]) != check) {
    return InternalError("the KMS root key in " + env->options.root_key_file +
                         " is not the one this data directory's KMS keys are sealed with");
  }
  if (!row) {
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO kms_settings (name, value) VALUES ('root_key_check', ?)", {check}));
  }
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT account, region, key_id, doc FROM kms_keys"));
  CENOTE_ASSIGN_OR_RETURN(
      auto alias_rows,
      txn->Query("SELECT account, region, name, key_id, created_ms, updated_ms FROM kms_aliases"));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  {
    WriterLock lock(env->mu);
    for (const auto& r : rows) {
      CENOTE_ASSIGN_OR_RETURN(KeyState key, env->FromDocument(store::AsText(r[0]), store::AsText(r[1]),
                                                              store::AsText(r[2]), store::AsText(r[3])));
      KeyRef ref = key.ref();
      KeyState& stored = env->keys.emplace(ref, std::move(key)).first->second;
      CENOTE_RETURN_IF_ERROR(env->Recompile(stored));
    }
    for (const auto& r : alias_rows) {
      env->aliases[AliasRef{store::AsText(r[0]), store::AsText(r[1]), store::AsText(r[2])}] =
          AliasState{store::AsText(r[3]), store::AsInt(r[4]), store::AsInt(r[5])};
    }
  }
  std::unique_ptr<KmsProvider> provider(new KmsProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.maintenance_interval_ms; interval > 0) {
    KmsProvider* p = provider.get();
    provider->maintenance_ = tasks.Every("kms.maintenance", std::chrono::milliseconds(interval), [p] {
      // A background round has no client to answer: it logs and tries again next time.
      try {
        Status st = p->Maintain();
        if (!st) spdlog::warn("kms maintenance: {}", st.error().message);
      } catch (const std::exception& e) {
        spdlog::error("kms maintenance: {}", e.what());
      }
    });
  }
  return provider;
}

Status KmsProvider::Maintain() {
  Env& env = *env_;
  const std::int64_t now = env.Now();
  WriterLock lock(env.mu);
  std::vector<KeyRef> due;
  for (auto& [ref, key] : env.keys) {
    if (key.state == "PendingDeletion" && key.deletion_ms && now >= *key.deletion_ms) {
      due.push_back(ref);
      continue;
    }
    // Imported material past its ValidTo is deleted by KMS; the key waits for new material.
    if (key.origin == "EXTERNAL" && key.valid_to_ms && now >= *key.valid_to_ms && !key.materials.empty()) {
      key.materials.clear();
      key.valid_to_ms.reset();
      if (key.state != "PendingDeletion") key.state = "PendingImport";
      CENOTE_RETURN_IF_ERROR(env.Save(key));
      continue;
    }
    // Automatic rotation of enabled symmetric keys (a multi-Region primary rotates its replicas with it).
    if (key.rotation_enabled && key.state == "Enabled" && key.next_rotation_ms > 0 &&
        now >= key.next_rotation_ms && (!key.multi_region || key.primary_region == key.region)) {
      Material m{key.Current() ? key.Current()->version + 1 : 1, RandomBytes(32), now};
      std::vector<KeyState*> changed = env.Related(key);
      for (KeyState* r : changed) r->materials.push_back(m);
      key.materials.push_back(std::move(m));
      key.rotations.push_back(Rotation{now, "AUTOMATIC"});
      key.next_rotation_ms = now + key.rotation_period_days * kDayMs;
      changed.push_back(&key);
      CENOTE_RETURN_IF_ERROR(env.SaveAll(changed));
    }
  }
  for (const KeyRef& ref : due) {
    spdlog::info("kms: deleting key {} (its waiting period has ended)", KeyArn(ref));
    CENOTE_RETURN_IF_ERROR(env.Purge(ref));
  }
  return Status::Ok();
}

}  // namespace cenote::kms
