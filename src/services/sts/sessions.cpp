// GetCallerIdentity, AssumeRole, GetSessionToken, GetFederationToken, and what every issuing operation
// shares (session policies, tags, packed size, the Credentials document).
#include <zlib.h>

#include <algorithm>
#include <cmath>

#include "common/strings.hpp"
#include "iam/policy.hpp"
#include "services/sts/internal.hpp"

namespace cenote::sts {

using services::GetArray;
using services::GetInt;
using services::GetString;
using services::MakeError;

namespace {

bool IsSessionCaller(const iam::Principal& p) {
  return p.session != nullptr || p.type == iam::PrincipalType::kAssumedRole ||
         p.type == iam::PrincipalType::kFederatedUser;
}

}  // namespace

// A role session's duration: DurationSeconds (model: 900..43200) within the role's maximum, and within an
// hour when a role session calls (role chaining), as AWS documents for AssumeRole.
Result<std::int64_t> RoleSessionSeconds(const json::object& in, const iam::RoleInfo& role, bool chaining) {
  std::optional<std::int64_t> requested = GetInt(in, "DurationSeconds");
  if (!requested) return kDefaultRoleSessionSeconds;
  if (chaining && *requested > kRoleChainingMaxSeconds) return MakeError(errors::kRoleChainingDuration);
  if (*requested > role.max_session_duration_s) return MakeError(errors::kMaxSessionDuration);
  return *requested;
}

namespace {

// SerialNumber / TokenCode: Cenote has no MFA devices, so any code is one no device issued.
Status CheckNoMfa(const json::object& in) {
  if (GetString(in, "SerialNumber") || GetString(in, "TokenCode")) return MakeError(errors::kMfaFailed);
  return Status::Ok();
}

std::string Joined(const std::vector<std::string>& items) { return "[" + JoinStrings(items, ", ") + "]"; }

}  // namespace

// ---- shared

Error NotAuthorized(const RequestContext& ctx, std::string_view action, std::string_view resource) {
  const std::string who =
      ctx.principal.anonymous || ctx.principal.arn.empty() ? "anonymous" : ctx.principal.arn;
  return MakeError(errors::kNotAuthorized, {who, action, resource});
}

iam::Tags InheritedTransitiveTags(const iam::Principal& caller) {
  iam::Tags out;
  if (caller.session == nullptr) return out;
  for (const auto& [key, value] : caller.session->tags) {
    for (const std::string& t : caller.session->transitive_tag_keys) {
      if (EqualsIgnoreAsciiCase(t, key)) {
        out.emplace_back(key, value);
        break;
      }
    }
  }
  return out;
}

Status ReadSessionParameters(const Env& env, const json::object& in, SessionSpec& spec) {
  if (auto policy = GetString(in, "Policy")) {
    // The plaintext limit first (PackedPolicyTooLarge, as AWS answers an inline policy over 2,048
    // characters), then IAM's grammar for session policies.
    const std::size_t size = iam::PolicySizeWithoutWhitespace(*policy);
    if (size > kMaxSessionPolicyChars) {
      const int percent =
          static_cast<int>((size * 100 + kMaxSessionPolicyChars - 1) / kMaxSessionPolicyChars);
      return MakeError(errors::kPackedPolicyTooLarge, {std::to_string(percent)});
    }
    spec.policy = std::move(*policy);
  }
  if (const json::array* arns = GetArray(in, "PolicyArns")) {
    std::vector<std::string> list;
    for (const json::value& v : *arns) {
      if (!v.is_object()) continue;
      if (auto arn = GetString(v.get_object(), "arn")) list.push_back(std::move(*arn));
    }
    if (list.size() > kMaxPolicyArns) return MakeError(errors::kTooManyPolicyArns, {Joined(list)});
    spec.policy_arns = std::move(list);
  }
  // Compiled here so that a bad document or ARN is refused before anything is issued.
  SessionSpec probe;
  probe.policy = spec.policy;
  probe.policy_arns = spec.policy_arns;
  CENOTE_RETURN_IF_ERROR(CompileSessionPolicies(probe, env.directory));

  iam::Tags tags;
  if (const json::array* list = GetArray(in, "Tags")) {
    for (const json::value& v : *list) {
      if (!v.is_object()) continue;
      auto key = GetString(v.get_object(), "Key");
      auto value = GetString(v.get_object(), "Value");
      if (!key) continue;
      if (StartsWithIgnoreAsciiCase(*key, "aws:")) return MakeError(errors::kReservedPrefix, {"A tag key"});
      // Tag keys are case-insensitive (a role's Department and a session's department are one key).
      for (const auto& [k, unused] : tags) {
        if (EqualsIgnoreAsciiCase(k, *key)) return MakeError(errors::kDuplicateTagKeys);
      }
      tags.emplace_back(std::move(*key), value.value_or(""));
    }
  }
  std::vector<std::string> transitive;
  if (const json::array* keys = GetArray(in, "TransitiveTagKeys")) {
    for (const json::value& v : *keys) {
      if (!v.is_string()) continue;
      std::string key(v.get_string());
      bool tagged = std::any_of(tags.begin(), tags.end(),
                                [&](const auto& tag) { return EqualsIgnoreAsciiCase(tag.first, key); });
      if (!tagged) return MakeError(errors::kTransitiveKeyNotInTags, {key});
      transitive.push_back(std::move(key));
    }
  }
  spec.tags = std::move(tags);
  spec.transitive_tag_keys = std::move(transitive);
  return Status::Ok();
}

Result<int> PackedPolicySize(const SessionSpec& spec) {
  // AWS packs the session policies and tags into a compressed binary form with a limit of its own, and
  // reports the share of it they use. Cenote's packing: the policy without white space, the policy ARNs and
  // the tags, deflated; the allotted space is 2,048 packed bytes (so an inline policy at its 2,048-character
  // limit uses a fraction of it, and many long, random tags can exceed it, as on AWS).
  std::string plain;
  for (char c : spec.policy) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') plain.push_back(c);
  }
  for (const auto& arn : spec.policy_arns) plain += "\n" + arn;
  for (const auto& [k, v] : spec.tags) plain += "\n" + k + "=" + v;
  for (const auto& k : spec.transitive_tag_keys) plain += "\n" + k;
  if (plain.empty()) return 0;
  uLongf packed = compressBound(static_cast<uLong>(plain.size()));
  std::string out(packed, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &packed, reinterpret_cast<const Bytef*>(plain.data()),
                static_cast<uLong>(plain.size()), 9) != Z_OK) {
    return InternalError("packing session policies failed");
  }
  constexpr double kAllotted = 2048.0;
  const int percent =
      std::max(1, static_cast<int>(std::ceil(100.0 * static_cast<double>(packed) / kAllotted)));
  if (percent > 100) return MakeError(errors::kPackedPolicyTooLarge, {std::to_string(percent)});
  return percent;
}

json::object CredentialsDocument(const IssuedCredentials& c) {
  return json::object{{"AccessKeyId", c.access_key_id},
                      {"SecretAccessKey", c.secret_access_key},
                      {"SessionToken", c.session_token},
                      {"Expiration", c.expires_ms}};
}

// ---- GetCallerIdentity

Result<OperationOutput> GetCallerIdentity(Env& /*env*/, const RequestContext& ctx, OperationInput& /*in*/) {
  // AWS never denies GetCallerIdentity, even with an explicit Deny (the action map still names
  // sts:GetCallerIdentity). Root: UserId is the account id; IAM users: AIDA...; role sessions:
  // "AROA...:<session>"; federated users: "<account>:<name>".
  const iam::Principal& p = ctx.principal;
  if (p.anonymous || p.account_id.empty()) return NotAuthorized(ctx, "sts:GetCallerIdentity", "*");
  return json::object{{"UserId", p.user_id}, {"Account", p.account_id}, {"Arn", p.arn}};
}

// ---- AssumeRole

Result<OperationOutput> AssumeRole(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const iam::Principal& caller = ctx.principal;
  const std::string role_arn = GetString(params, "RoleArn").value_or("");
  const std::string session_name = GetString(params, "RoleSessionName").value_or("");
  if (caller.type == iam::PrincipalType::kRoot) return MakeError(errors::kRootCannotAssumeRole);
  // Federated users (GetFederationToken) may call no STS operation but GetCallerIdentity.
  if (caller.anonymous || caller.type == iam::PrincipalType::kFederatedUser ||
      caller.type == iam::PrincipalType::kAnonymous) {
    return NotAuthorized(ctx, "sts:AssumeRole", role_arn);
  }
  // A role that does not exist is refused as one whose trust policy does not allow the caller.
  std::optional<iam::RoleInfo> role =
      env.directory != nullptr ? env.directory->FindRole(role_arn) : std::nullopt;
  if (!role) return NotAuthorized(ctx, "sts:AssumeRole", role_arn);
  CENOTE_RETURN_IF_ERROR(CheckNoMfa(params));

  const bool chaining = caller.type == iam::PrincipalType::kAssumedRole;
  CENOTE_ASSIGN_OR_RETURN(std::int64_t seconds, RoleSessionSeconds(params, *role, chaining));

  SessionSpec spec;
  CENOTE_RETURN_IF_ERROR(ReadSessionParameters(env, params, spec));
  // Role chaining passes the calling session's transitive tags on (still transitive); a new tag may not
  // reuse an inherited key.
  for (const auto& [key, value] : InheritedTransitiveTags(caller)) {
    for (const auto& tag : spec.tags) {
      if (EqualsIgnoreAsciiCase(tag.first, key)) return MakeError(errors::kInheritedTagKey, {tag.first});
    }
    spec.tags.emplace_back(key, value);
    spec.transitive_tag_keys.push_back(key);
  }
  // The source identity is set once per chain of sessions and then kept.
  const std::string inherited_identity = caller.session != nullptr ? caller.session->source_identity : "";
  if (auto source = GetString(params, "SourceIdentity")) {
    if (StartsWithIgnoreAsciiCase(*source, "aws:"))
      return MakeError(errors::kReservedPrefix, {"SourceIdentity"});
    if (!inherited_identity.empty() && *source != inherited_identity) {
      return MakeError(errors::kSourceIdentityChanged, {inherited_identity});
    }
    spec.source_identity = std::move(*source);
  } else {
    spec.source_identity = inherited_identity;
  }
  const bool packed = !spec.policy.empty() || !spec.policy_arns.empty() || !spec.tags.empty();
  CENOTE_ASSIGN_OR_RETURN(int packed_size, PackedPolicySize(spec));

  const std::int64_t now = env.clock();
  spec.type = iam::PrincipalType::kAssumedRole;
  spec.account_id = role->account_id;
  spec.arn = "arn:aws:sts::" + role->account_id + ":assumed-role/" + role->name + "/" + session_name;
  spec.entity_arn = role->arn;
  spec.user_id = role->id + ":" + session_name;
  spec.display_name = role->name;
  spec.issued_ms = now;
  spec.expires_ms = now + seconds * 1000;
  CENOTE_ASSIGN_OR_RETURN(IssuedCredentials credentials, env.sessions->Issue(spec));

  json::object out{{"Credentials", CredentialsDocument(credentials)},
                   {"AssumedRoleUser", json::object{{"AssumedRoleId", spec.user_id}, {"Arn", spec.arn}}}};
  if (packed) out["PackedPolicySize"] = packed_size;
  if (!spec.source_identity.empty()) out["SourceIdentity"] = spec.source_identity;
  return out;
}

// ---- GetSessionToken

Result<OperationOutput> GetSessionToken(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const iam::Principal& caller = ctx.principal;
  if (IsSessionCaller(caller)) return MakeError(errors::kSessionCredentials, {"GetSessionToken"});
  if (caller.type != iam::PrincipalType::kUser && caller.type != iam::PrincipalType::kRoot) {
    return NotAuthorized(ctx, "sts:GetSessionToken", "*");
  }
  CENOTE_RETURN_IF_ERROR(CheckNoMfa(params));
  const bool root = caller.type == iam::PrincipalType::kRoot;
  // Model: 900..129600. The root user's sessions last at most an hour: a longer request gets an hour.
  std::int64_t seconds =
      GetInt(params, "DurationSeconds").value_or(root ? kRootMaxTokenSeconds : kDefaultTokenSeconds);
  if (root) seconds = std::min(seconds, kRootMaxTokenSeconds);

  const std::int64_t now = env.clock();
  SessionSpec spec;
  spec.type = caller.type;  // the same identity, with the same permissions
  spec.account_id = caller.account_id;
  spec.arn = caller.arn;
  spec.entity_arn = caller.entity_arn;
  spec.user_id = caller.user_id;
  spec.display_name = caller.display_name;
  spec.issued_ms = now;
  spec.expires_ms = now + seconds * 1000;
  CENOTE_ASSIGN_OR_RETURN(IssuedCredentials credentials, env.sessions->Issue(spec));
  return json::object{{"Credentials", CredentialsDocument(credentials)}};
}

// ---- GetFederationToken

Result<OperationOutput> GetFederationToken(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  const iam::Principal& caller = ctx.principal;
  const std::string name = GetString(params, "Name").value_or("");
  if (IsSessionCaller(caller)) return MakeError(errors::kSessionCredentials, {"GetFederationToken"});
  if (caller.type != iam::PrincipalType::kUser && caller.type != iam::PrincipalType::kRoot) {
    return NotAuthorized(ctx, "sts:GetFederationToken",
                         "arn:aws:sts::" + caller.account_id + ":federated-user/" + name);
  }
  const bool root = caller.type == iam::PrincipalType::kRoot;
  std::int64_t seconds =
      GetInt(params, "DurationSeconds").value_or(root ? kRootMaxTokenSeconds : kDefaultTokenSeconds);
  if (root) seconds = std::min(seconds, kRootMaxTokenSeconds);

  SessionSpec spec;
  CENOTE_RETURN_IF_ERROR(ReadSessionParameters(env, params, spec));
  const bool packed = !spec.policy.empty() || !spec.policy_arns.empty() || !spec.tags.empty();
  CENOTE_ASSIGN_OR_RETURN(int packed_size, PackedPolicySize(spec));

  const std::int64_t now = env.clock();
  spec.type = iam::PrincipalType::kFederatedUser;
  spec.account_id = caller.account_id;
  spec.arn = "arn:aws:sts::" + caller.account_id + ":federated-user/" + name;
  // The federating IAM user, whose policies bound the session (the root user's ARN when root federates).
  spec.entity_arn = root ? caller.arn : caller.entity_arn.empty() ? caller.arn : caller.entity_arn;
  spec.user_id = caller.account_id + ":" + name;
  spec.display_name = name;
  spec.issued_ms = now;
  spec.expires_ms = now + seconds * 1000;
  CENOTE_ASSIGN_OR_RETURN(IssuedCredentials credentials, env.sessions->Issue(spec));
  json::object out{{"Credentials", CredentialsDocument(credentials)},
                   {"FederatedUser", json::object{{"FederatedUserId", spec.user_id}, {"Arn", spec.arn}}}};
  if (packed) out["PackedPolicySize"] = packed_size;
  return out;
}

// ---- DecodeAuthorizationMessage

Result<OperationOutput> DecodeAuthorizationMessage(Env& env, const RequestContext& /*ctx*/,
                                                   OperationInput& in) {
  const std::string encoded = GetString(in.params.as_object(), "EncodedMessage").value_or("");
  std::optional<std::string> decoded = env.messages->Decode(encoded);
  if (!decoded) return MakeError(errors::kInvalidAuthorizationMessage);
  return json::object{{"DecodedMessage", std::move(*decoded)}};
}

}  // namespace cenote::sts
