// Grant handlers: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant; and the key's
// authorization document (its key policy plus one statement per grant), which the authorizer evaluates as
// the key's resource policy (authority.cpp).
//
// A grant allows its grantee principal its operations on the key, as a key policy statement naming that
// principal would: so a grantee needs no IAM policy. Its constraints become conditions on the request's
// encryption context (kms:EncryptionContext:<key>, kms:EncryptionContextKeys, set from the input by
// iam_actions.json): EncryptionContextSubset requires each pair; EncryptionContextEquals requires each pair
// and no other key. Grants take effect at once here (AWS's eventual consistency is not modelled), so grant
// tokens are accepted and need not be passed.
#include <algorithm>
#include <set>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

const std::set<std::string, std::less<>>& GrantOperations() {
  static const std::set<std::string, std::less<>> kOps = {"Decrypt",
                                                          "Encrypt",
                                                          "GenerateDataKey",
                                                          "GenerateDataKeyWithoutPlaintext",
                                                          "ReEncryptFrom",
                                                          "ReEncryptTo",
                                                          "Sign",
                                                          "Verify",
                                                          "GetPublicKey",
                                                          "CreateGrant",
                                                          "RetireGrant",
                                                          "DescribeKey",
                                                          "GenerateDataKeyPair",
                                                          "GenerateDataKeyPairWithoutPlaintext",
                                                          "GenerateMac",
                                                          "VerifyMac",
                                                          "DeriveSharedSecret"};
  return kOps;
}

// Operations whose requests carry an encryption context (the only ones grant constraints may govern).
bool TakesContext(std::string_view op) {
  return op == "Decrypt" || op == "Encrypt" || op == "GenerateDataKey" ||
         op == "GenerateDataKeyWithoutPlaintext" || op == "ReEncryptFrom" || op == "ReEncryptTo" ||
         op == "GenerateDataKeyPair" || op == "GenerateDataKeyPairWithoutPlaintext" || op == "CreateGrant" ||
         op == "RetireGrant" || op == "DescribeKey";
}

bool ValidForKey(const KeyState& key, std::string_view op) {
  if (op == "CreateGrant" || op == "RetireGrant" || op == "DescribeKey") return true;
  if (key.key_usage == "SIGN_VERIFY") return op == "Sign" || op == "Verify" || op == "GetPublicKey";
  if (key.key_usage == "GENERATE_VERIFY_MAC") return op == "GenerateMac" || op == "VerifyMac";
  if (!key.symmetric())
    return op == "Encrypt" || op == "Decrypt" || op == "ReEncryptFrom" || op == "ReEncryptTo" ||
           op == "GetPublicKey";
  return op != "Sign" && op != "Verify" && op != "GetPublicKey" && op != "GenerateMac" && op != "VerifyMac" &&
         op != "DeriveSharedSecret";
}

bool IsPrincipal(std::string_view p) {
  if (p.ends_with(".amazonaws.com")) return true;
  return (p.starts_with("arn:aws:iam::") || p.starts_with("arn:aws:sts::")) && p.size() > 26;
}

json::object GrantDocument(const KeyState& key, const Grant& g) {
  json::array ops;
  for (const auto& o : g.operations) ops.emplace_back(o);
  json::object out{{"KeyId", key.arn},
                   {"GrantId", g.id},
                   {"CreationDate", g.created_ms},
                   {"GranteePrincipal", g.grantee},
                   {"IssuingAccount", g.issuing_account},
                   {"Operations", std::move(ops)}};
  if (!g.name.empty()) out["Name"] = g.name;
  if (!g.retiring.empty()) out["RetiringPrincipal"] = g.retiring;
  if (g.has_constraints) {
    json::object c;
    auto map = [](const auto& pairs) {
      json::object o;
      for (const auto& [k, v] : pairs) o[k] = v;
      return o;
    };
    if (!g.context_subset.empty()) c["EncryptionContextSubset"] = map(g.context_subset);
    if (!g.context_equals.empty()) c["EncryptionContextEquals"] = map(g.context_equals);
    out["Constraints"] = std::move(c);
  }
  return out;
}

// Whether the caller may retire `g`: its retiring principal, its grantee when RetireGrant is one of its
// operations, or the root user of the key's account.
bool MayRetire(const RequestContext& ctx, const KeyState& key, const Grant& g) {
  if (PrincipalIs(ctx.principal, g.retiring)) return true;
  if (PrincipalIs(ctx.principal, g.grantee) &&
      std::find(g.operations.begin(), g.operations.end(), "RetireGrant") != g.operations.end()) {
    return true;
  }
  return ctx.principal.is_root && ctx.principal.account_id == key.account;
}

Result<OperationOutput> RemoveGrant(Env& env, KeyState& key, std::string_view grant_id)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  auto it =
      std::find_if(key.grants.begin(), key.grants.end(), [&](const Grant& g) { return g.id == grant_id; });
  if (it == key.grants.end()) return services::MakeError(errors::kInvalidGrantId, {grant_id});
  Grant removed = *it;
  key.grants.erase(it);
  if (Status st = env.Save(key); !st) {
    key.grants.push_back(std::move(removed));
    return std::move(st).error();
  }
  return OperationOutput();
}

}  // namespace

std::string AuthorizationDocument(const KeyState& key) {
  if (key.grants.empty()) return key.policy;
  json::value policy;
  try {
    policy = json::parse(key.policy);
  } catch (const std::exception&) {
    return key.policy;
  }
  if (!policy.is_object()) return key.policy;
  json::object& doc = policy.as_object();
  json::array statements;
  if (json::value* s = doc.if_contains("Statement")) {
    if (s->is_array()) {
      statements = s->as_array();
    } else {
      statements.push_back(*s);
    }
  }
  for (const Grant& g : key.grants) {
    json::array actions;
    for (const auto& op : g.operations) actions.emplace_back("kms:" + op);
    json::object statement{
        {"Sid", "Grant" + g.id},
        {"Effect", "Allow"},
        {"Principal", g.grantee.ends_with(".amazonaws.com") ? json::object{{"Service", g.grantee}}
                                                            : json::object{{"AWS", g.grantee}}},
        {"Action", std::move(actions)},
        {"Resource", "*"}};
    json::object condition;
    const auto& pairs = !g.context_equals.empty() ? g.context_equals : g.context_subset;
    if (!pairs.empty()) {
      json::object equals;
      for (const auto& [k, v] : pairs) equals["kms:EncryptionContext:" + k] = v;
      condition["StringEquals"] = std::move(equals);
    }
    if (!g.context_equals.empty()) {
      json::array keys;
      for (const auto& [k, v] : g.context_equals) keys.emplace_back(k);
      condition["ForAllValues:StringEquals"] = json::object{{"kms:EncryptionContextKeys", std::move(keys)}};
    }
    if (!condition.empty()) statement["Condition"] = std::move(condition);
    statements.push_back(std::move(statement));
  }
  doc["Statement"] = std::move(statements);
  return json::serialize(doc);
}

Result<OperationOutput> CreateGrant(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string grantee = GetString(p, "GranteePrincipal").value_or("");
  const std::string retiring = GetString(p, "RetiringPrincipal").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "GranteePrincipal", 1, 256));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "RetiringPrincipal", 1, 256));
  CENOTE_RETURN_IF_ERROR(CheckLength(p, "Name", 1, 256));
  if (!IsPrincipal(grantee)) return Validation("Invalid GranteePrincipal: " + grantee);
  if (!retiring.empty() && !IsPrincipal(retiring))
    return Validation("Invalid RetiringPrincipal: " + retiring);
  Grant grant;
  grant.grantee = grantee;
  grant.retiring = retiring;
  grant.name = GetString(p, "Name").value_or("");
  if (const json::array* ops = GetArray(p, "Operations")) {
    for (const json::value& op : *ops) {
      if (!op.is_string() || !GrantOperations().contains(std::string_view(op.as_string()))) {
        return Validation(
            "1 validation error detected: Value at 'operations' failed to satisfy constraint: Member "
            "must satisfy constraint: [Member must satisfy enum value set: [Decrypt, Encrypt, "
            "GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, "
            "GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, "
            "GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret]]");
      }
      if (std::find(grant.operations.begin(), grant.operations.end(), op.as_string()) ==
          grant.operations.end())
        grant.operations.emplace_back(op.as_string());
    }
  }
  if (grant.operations.empty()) return Validation("Operations must name at least one operation.");
  if (const json::object* c = GetObject(p, "Constraints")) {
    CENOTE_ASSIGN_OR_RETURN(EncryptionContext subset, ReadContext(*c, "EncryptionContextSubset"));
    CENOTE_ASSIGN_OR_RETURN(EncryptionContext equals, ReadContext(*c, "EncryptionContextEquals"));
    if (!subset.empty() && !equals.empty()) {
      return Validation(
          "Grant constraints can have EncryptionContextSubset or EncryptionContextEquals, not both.");
    }
    grant.context_subset = std::move(subset);
    grant.context_equals = std::move(equals);
    grant.has_constraints = !grant.context_subset.empty() || !grant.context_equals.empty();
    if (grant.has_constraints) {
      for (const auto& op : grant.operations) {
        if (!TakesContext(op)) {
          return Validation("Grant constraints are not supported for the " + op + " operation.");
        }
      }
    }
  }
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kKeyOnly));
  CENOTE_RETURN_IF_ERROR(env.RequireUsable(*key));
  for (const auto& op : grant.operations) {
    if (!ValidForKey(*key, op)) {
      return Validation("Grant operation " + op + " is not valid for " + key->arn + " (key usage " +
                        key->key_usage + ").");
    }
  }
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  // A grant of the same name and properties is the same grant (CreateGrant is idempotent by Name).
  if (!grant.name.empty()) {
    for (const Grant& g : key->grants) {
      if (g.name == grant.name && g.grantee == grant.grantee && g.retiring == grant.retiring &&
          g.operations == grant.operations && g.context_subset == grant.context_subset &&
          g.context_equals == grant.context_equals) {
        return OperationOutput(json::object{{"GrantToken", g.token}, {"GrantId", g.id}});
      }
    }
  }
  if (key->grants.size() >= kMaxGrantsPerKey) {
    return services::MakeError(errors::kLimitExceeded,
                               {"The number of grants on " + key->arn + " exceeds the limit."});
  }
  grant.id = RandomHex(32);
  grant.token = Base64Encode(RandomBytes(48) + key->id + grant.id, Base64Alphabet::kUrlSafe);
  grant.issuing_account = RootArn(ctx.account_id());
  grant.created_ms = env.Now();
  key->grants.push_back(grant);
  if (Status st = env.Save(*key); !st) {
    key->grants.pop_back();
    return std::move(st).error();
  }
  return OperationOutput(json::object{{"GrantToken", grant.token}, {"GrantId", grant.id}});
}

Result<OperationOutput> ListGrants(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::size_t limit, LimitOf(p, 50));
  const std::optional<std::string> grant_id = GetString(p, "GrantId");
  const std::optional<std::string> grantee = GetString(p, "GranteePrincipal");
  ReaderLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kKeyOnly));
  std::vector<const Grant*> list;
  std::vector<std::string> ids;
  for (const Grant& g : key->grants) {
    if (grant_id && g.id != *grant_id) continue;
    if (grantee && g.grantee != *grantee) continue;
    list.push_back(&g);
    ids.push_back(g.id);
  }
  CENOTE_ASSIGN_OR_RETURN(std::size_t start, MarkerStart(p, ids));
  json::array grants;
  std::size_t i = start;
  for (; i < list.size() && grants.size() < limit; ++i) grants.push_back(GrantDocument(*key, *list[i]));
  json::object out{{"Grants", std::move(grants)}, {"Truncated", i < list.size()}};
  if (i < list.size()) out["NextMarker"] = ids[i];
  return OperationOutput(std::move(out));
}

Result<OperationOutput> ListRetirableGrants(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::size_t limit, LimitOf(p, 50));
  const std::string retiring = GetString(p, "RetiringPrincipal").value_or("");
  ReaderLock lock(env.mu);
  std::vector<std::pair<const KeyState*, const Grant*>> list;
  std::vector<std::string> ids;
  for (const auto& [ref, key] : env.keys) {
    if (ref.account != ctx.account_id() || ref.region != ctx.region) continue;
    for (const Grant& g : key.grants) {
      if (g.retiring != retiring) continue;
      list.emplace_back(&key, &g);
      ids.push_back(g.id);
    }
  }
  CENOTE_ASSIGN_OR_RETURN(std::size_t start, MarkerStart(p, ids));
  json::array grants;
  std::size_t i = start;
  for (; i < list.size() && grants.size() < limit; ++i)
    grants.push_back(GrantDocument(*list[i].first, *list[i].second));
  json::object out{{"Grants", std::move(grants)}, {"Truncated", i < list.size()}};
  if (i < list.size()) out["NextMarker"] = ids[i];
  return OperationOutput(std::move(out));
}

// Authorized here, not by the authorizer (iam_actions.json: "authorizer": "handler"): who may retire a grant
// is the grant's own business (MayRetire).
Result<OperationOutput> RetireGrant(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::optional<std::string> token = GetString(p, "GrantToken");
  const std::optional<std::string> key_id = GetString(p, "KeyId");
  const std::optional<std::string> grant_id = GetString(p, "GrantId");
  if (!token && !(key_id && grant_id)) {
    return Validation("Either GrantToken, or both KeyId and GrantId, must be specified.");
  }
  WriterLock lock(env.mu);
  KeyState* key = nullptr;
  const Grant* grant = nullptr;
  if (token) {
    for (auto& [ref, k] : env.keys) {
      for (const Grant& g : k.grants) {
        if (g.token == *token) {
          key = &k;
          grant = &g;
        }
      }
    }
    if (grant == nullptr) return services::MakeError(errors::kInvalidGrantToken);
  } else {
    CENOTE_ASSIGN_OR_RETURN(key, env.Find(ctx, *key_id, Env::Names::kKeyOnly));
    for (const Grant& g : key->grants) {
      if (g.id == *grant_id) grant = &g;
    }
    if (grant == nullptr) return services::MakeError(errors::kInvalidGrantId, {*grant_id});
  }
  if (!MayRetire(ctx, *key, *grant)) {
    return services::MakeError(errors::kAccessDenied,
                               {"User: " + ctx.principal.arn +
                                " is not authorized to perform: kms:RetireGrant on resource: " + key->arn +
                                " because it is not the grant's retiring principal"});
  }
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  const std::string id = grant->id;
  return RemoveGrant(env, *key, id);
}

Result<OperationOutput> RevokeGrant(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key,
                          env.Find(ctx, GetString(p, "KeyId").value_or(""), Env::Names::kKeyOnly));
  const std::string grant_id = GetString(p, "GrantId").value_or("");
  if (GetBool(p, "DryRun").value_or(false)) return DryRun();
  return RemoveGrant(env, *key, grant_id);
}

}  // namespace cenote::kms
