// IAM roles (trust policy, session duration, boundary, tags) and instance profiles.
#include <algorithm>

#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

json::object FullRoleJson(std::string_view account, const Role& r) {
  json::object o = RoleJson(account, r);
  if (!r.boundary.empty()) o["PermissionsBoundary"] = BoundaryJson(r.boundary);
  if (!r.tags.empty()) o["Tags"] = TagsJson(r.tags);
  o["RoleLastUsed"] = json::object{};
  return o;
}

// Applies `change` to a copy of the role, persists it and publishes.
template <typename F>
Result<OperationOutput> ChangeRole(Env& env, const RequestContext& ctx, const json::object& p, F change) {
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Role * found, FindRole(a, GetString(p, "RoleName").value_or("")));
  Role r = *found;
  CENOTE_RETURN_IF_ERROR(change(r, a, account));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kRoleKind, Lower(r.name), ToDoc(r)}}));
  *found = std::move(r);
  env.Publish(account);
  return json::object{};
}

Result<InstanceProfile*> FindProfile(AccountState& a, std::string_view name) {
  auto it = a.profiles.find(Lower(name));
  if (it == a.profiles.end()) return services::MakeError(errors::kNoSuchInstanceProfile, {name});
  return &it->second;
}

template <typename F>
Result<OperationOutput> ChangeProfile(Env& env, const RequestContext& ctx, const json::object& p, F change) {
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(InstanceProfile * found,
                          FindProfile(a, GetString(p, "InstanceProfileName").value_or("")));
  InstanceProfile ip = *found;
  CENOTE_RETURN_IF_ERROR(change(ip, a));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kProfileKind, Lower(ip.name), ToDoc(ip)}}));
  *found = std::move(ip);
  return json::object{};
}

}  // namespace

IAM_HANDLER(CreateRole) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "RoleName").value_or("");
  CENOTE_ASSIGN_OR_RETURN(
      std::string trust,
      PolicyDocumentParam(env, p, "AssumeRolePolicyDocument", PolicyKind::kTrust, PolicyQuota::kRoleTrust));
  IAM_ACCOUNT(env, ctx);
  if (a.roles.contains(Lower(name))) return services::MakeError(errors::kEntityExists, {"Role", name});
  Role r;
  r.name = name;
  CENOTE_ASSIGN_OR_RETURN(r.path, PathParam(p));
  r.id = NewId("AROA");
  r.created_ms = env.Now();
  r.trust = std::move(trust);
  r.description = GetString(p, "Description").value_or("");
  r.max_session_s = GetInt(p, "MaxSessionDuration").value_or(3600);
  r.boundary = GetString(p, "PermissionsBoundary").value_or("");
  if (!r.boundary.empty() && FindManagedPolicy(a, account, r.boundary) == nullptr)
    return services::MakeError(errors::kPolicyNotAttachable, {r.boundary});
  CENOTE_RETURN_IF_ERROR(MergeTags(r.tags, GetArray(p, "Tags")));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kRoleKind, Lower(name), ToDoc(r)}}));
  json::object role = RoleJson(account, r);
  if (!r.boundary.empty()) role["PermissionsBoundary"] = BoundaryJson(r.boundary);
  if (!r.tags.empty()) role["Tags"] = TagsJson(r.tags);
  a.roles[Lower(name)] = std::move(r);
  env.Publish(account);
  return json::object{{"Role", std::move(role)}};
}

IAM_HANDLER(GetRole) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, GetString(p, "RoleName").value_or("")));
  return json::object{{"Role", FullRoleJson(account, *r)}};
}

IAM_HANDLER(ListRoles) {
  const json::object& p = in.params.as_object();
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  IAM_ACCOUNT(env, ctx);
  std::vector<std::string> keys;
  for (const auto& [k, r] : a.roles)
    if (r.path.starts_with(prefix)) keys.push_back(k);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array roles;
  for (std::size_t i = page.begin; i < page.end; ++i) roles.push_back(RoleJson(account, a.roles.at(keys[i])));
  json::object out{{"Roles", std::move(roles)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(UpdateRole) {
  const json::object& p = in.params.as_object();
  return ChangeRole(env, ctx, p, [&](Role& r, AccountState&, const std::string&) -> Status {
    if (auto d = GetString(p, "Description")) r.description = *d;
    if (auto m = GetInt(p, "MaxSessionDuration")) r.max_session_s = *m;
    return Status::Ok();
  });
}

IAM_HANDLER(UpdateRoleDescription) {
  const json::object& p = in.params.as_object();
  CENOTE_RETURN_IF_ERROR(ChangeRole(env, ctx, p, [&](Role& r, AccountState&, const std::string&) -> Status {
    r.description = GetString(p, "Description").value_or("");
    return Status::Ok();
  }));
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, GetString(p, "RoleName").value_or("")));
  return json::object{{"Role", FullRoleJson(account, *r)}};
}

IAM_HANDLER(UpdateAssumeRolePolicy) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string trust, PolicyDocumentParam(env, p, "PolicyDocument", PolicyKind::kTrust,
                                                                 PolicyQuota::kRoleTrust));
  return ChangeRole(env, ctx, p, [&](Role& r, AccountState&, const std::string&) -> Status {
    r.trust = trust;
    return Status::Ok();
  });
}

IAM_HANDLER(DeleteRole) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, GetString(p, "RoleName").value_or("")));
  const std::string key = Lower(r->name);
  for (const auto& [k, ip] : a.profiles)
    if (std::find(ip.roles.begin(), ip.roles.end(), key) != ip.roles.end())
      return services::MakeError(errors::kDeleteConflict,
                                 {"Cannot delete entity, must remove roles from instance profile first."});
  if (!r->policies.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must delete policies first."});
  if (!r->attached.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must detach all policies first."});
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kRoleKind, key, std::nullopt}}));
  a.roles.erase(key);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(TagRole) {
  const json::object& p = in.params.as_object();
  return ChangeRole(env, ctx, p, [&](Role& r, AccountState&, const std::string&) -> Status {
    return MergeTags(r.tags, GetArray(p, "Tags"));
  });
}

IAM_HANDLER(UntagRole) {
  const json::object& p = in.params.as_object();
  return ChangeRole(env, ctx, p, [&](Role& r, AccountState&, const std::string&) -> Status {
    RemoveTags(r.tags, GetArray(p, "TagKeys"));
    return Status::Ok();
  });
}

IAM_HANDLER(ListRoleTags) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, GetString(p, "RoleName").value_or("")));
  return json::object{{"Tags", TagsJson(r->tags)}, {"IsTruncated", false}};
}

// ---- instance profiles

IAM_HANDLER(CreateInstanceProfile) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "InstanceProfileName").value_or("");
  IAM_ACCOUNT(env, ctx);
  if (a.profiles.contains(Lower(name))) return services::MakeError(errors::kInstanceProfileExists, {name});
  InstanceProfile ip;
  ip.name = name;
  CENOTE_ASSIGN_OR_RETURN(ip.path, PathParam(p));
  ip.id = NewId("AIPA");
  ip.created_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(MergeTags(ip.tags, GetArray(p, "Tags")));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kProfileKind, Lower(name), ToDoc(ip)}}));
  json::object out{{"InstanceProfile", ProfileJson(account, ip, a)}};
  a.profiles[Lower(name)] = std::move(ip);
  return out;
}

IAM_HANDLER(GetInstanceProfile) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(InstanceProfile * ip,
                          FindProfile(a, GetString(p, "InstanceProfileName").value_or("")));
  return json::object{{"InstanceProfile", ProfileJson(account, *ip, a)}};
}

IAM_HANDLER(ListInstanceProfiles) {
  const json::object& p = in.params.as_object();
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  IAM_ACCOUNT(env, ctx);
  std::vector<std::string> keys;
  for (const auto& [k, ip] : a.profiles)
    if (ip.path.starts_with(prefix)) keys.push_back(k);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array profiles;
  for (std::size_t i = page.begin; i < page.end; ++i)
    profiles.push_back(ProfileJson(account, a.profiles.at(keys[i]), a));
  json::object out{{"InstanceProfiles", std::move(profiles)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(ListInstanceProfilesForRole) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, GetString(p, "RoleName").value_or("")));
  const std::string rkey = Lower(r->name);
  std::vector<std::string> keys;
  for (const auto& [k, ip] : a.profiles)
    if (std::find(ip.roles.begin(), ip.roles.end(), rkey) != ip.roles.end()) keys.push_back(k);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array profiles;
  for (std::size_t i = page.begin; i < page.end; ++i)
    profiles.push_back(ProfileJson(account, a.profiles.at(keys[i]), a));
  json::object out{{"InstanceProfiles", std::move(profiles)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(AddRoleToInstanceProfile) {
  const json::object& p = in.params.as_object();
  std::string role_name = GetString(p, "RoleName").value_or("");
  return ChangeProfile(env, ctx, p, [&](InstanceProfile& ip, AccountState& a) -> Status {
    CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, role_name));
    // An instance profile holds one role (reference_iam-quotas.md: "Roles in an instance profile: 1").
    if (!ip.roles.empty())
      return services::MakeError(errors::kQuotaExceeded, {"InstanceSessionsPerInstanceProfile", "1"});
    ip.roles.push_back(Lower(r->name));
    return Status::Ok();
  });
}

IAM_HANDLER(RemoveRoleFromInstanceProfile) {
  const json::object& p = in.params.as_object();
  std::string role_name = GetString(p, "RoleName").value_or("");
  return ChangeProfile(env, ctx, p, [&](InstanceProfile& ip, AccountState& a) -> Status {
    CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, role_name));
    auto it = std::find(ip.roles.begin(), ip.roles.end(), Lower(r->name));
    if (it == ip.roles.end()) return services::MakeError(errors::kRoleNotInProfile, {role_name, ip.name});
    ip.roles.erase(it);
    return Status::Ok();
  });
}

IAM_HANDLER(DeleteInstanceProfile) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(InstanceProfile * ip,
                          FindProfile(a, GetString(p, "InstanceProfileName").value_or("")));
  if (!ip->roles.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must remove roles from instance profile first."});
  const std::string key = Lower(ip->name);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kProfileKind, key, std::nullopt}}));
  a.profiles.erase(key);
  return json::object{};
}

IAM_HANDLER(TagInstanceProfile) {
  const json::object& p = in.params.as_object();
  return ChangeProfile(env, ctx, p, [&](InstanceProfile& ip, AccountState&) -> Status {
    return MergeTags(ip.tags, GetArray(p, "Tags"));
  });
}

IAM_HANDLER(UntagInstanceProfile) {
  const json::object& p = in.params.as_object();
  return ChangeProfile(env, ctx, p, [&](InstanceProfile& ip, AccountState&) -> Status {
    RemoveTags(ip.tags, GetArray(p, "TagKeys"));
    return Status::Ok();
  });
}

IAM_HANDLER(ListInstanceProfileTags) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(InstanceProfile * ip,
                          FindProfile(a, GetString(p, "InstanceProfileName").value_or("")));
  return json::object{{"Tags", TagsJson(ip->tags)}, {"IsTruncated", false}};
}

}  // namespace cenote::iam
