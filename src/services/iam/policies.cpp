// Inline policies of users, groups and roles; customer-managed policies and their versions; attachments
// (AWS-managed policies attach like the account's own); permissions boundaries.
#include <algorithm>

#include "common/strings.hpp"
#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

// reference_iam-quotas.md: managed policies attached to a user, group or role (the default quotas).
constexpr std::size_t kAttachedPerEntity = 10;
constexpr std::size_t kVersionsPerPolicy = 5;

// What differs between users, groups and roles for inline policies and attachments.
template <typename E>
struct Traits;
template <>
struct Traits<User> {
  static constexpr std::string_view kKind = kUserKind;
  static constexpr const char* kLabel = "user";
  static constexpr const char* kMember = "UserName";
  static constexpr const char* kQuota = "PoliciesPerUser";
  static constexpr PolicyQuota kInlineQuota = PolicyQuota::kUserInline;
  static Result<User*> Find(AccountState& a, std::string_view n) { return FindUser(a, n); }
};
template <>
struct Traits<Group> {
  static constexpr std::string_view kKind = kGroupKind;
  static constexpr const char* kLabel = "group";
  static constexpr const char* kMember = "GroupName";
  static constexpr const char* kQuota = "PoliciesPerGroup";
  static constexpr PolicyQuota kInlineQuota = PolicyQuota::kGroupInline;
  static Result<Group*> Find(AccountState& a, std::string_view n) { return FindGroup(a, n); }
};
template <>
struct Traits<Role> {
  static constexpr std::string_view kKind = kRoleKind;
  static constexpr const char* kLabel = "role";
  static constexpr const char* kMember = "RoleName";
  static constexpr const char* kQuota = "PoliciesPerRole";
  static constexpr PolicyQuota kInlineQuota = PolicyQuota::kRoleInline;
  static Result<Role*> Find(AccountState& a, std::string_view n) { return FindRole(a, n); }
};

// Applies `change` to a copy of the entity, persists it and publishes the account's snapshot.
template <typename E, typename F>
Result<OperationOutput> Change(Env& env, const RequestContext& ctx, const json::object& p, F change) {
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(E * found, Traits<E>::Find(a, GetString(p, Traits<E>::kMember).value_or("")));
  E e = *found;
  CENOTE_RETURN_IF_ERROR(change(e, a, account));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{Traits<E>::kKind, Lower(e.name), ToDoc(e)}}));
  *found = std::move(e);
  env.Publish(account);
  return json::object{};
}

template <typename E>
Result<OperationOutput> PutInline(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string name = GetString(p, "PolicyName").value_or("");
  std::string document = GetString(p, "PolicyDocument").value_or("");
  CENOTE_RETURN_IF_ERROR(env.cache.Get(document, PolicyKind::kIdentity));
  return Change<E>(env, ctx, p, [&](E& e, AccountState&, const std::string&) -> Status {
    // The inline quota is the aggregate of the entity's inline policies.
    std::size_t others = 0;
    for (const auto& ip : e.policies)
      if (ip.name != name) others += PolicySizeWithoutWhitespace(ip.document);
    CENOTE_RETURN_IF_ERROR(
        CheckPolicySize(others + PolicySizeWithoutWhitespace(document), Traits<E>::kInlineQuota, e.name));
    auto it =
        std::find_if(e.policies.begin(), e.policies.end(), [&](const auto& ip) { return ip.name == name; });
    if (it != e.policies.end()) {
      it->document = document;
    } else {
      e.policies.push_back({name, document});
    }
    return Status::Ok();
  });
}

template <typename E>
Result<OperationOutput> GetInline(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string name = GetString(p, "PolicyName").value_or("");
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(E * e, Traits<E>::Find(a, GetString(p, Traits<E>::kMember).value_or("")));
  for (const auto& ip : e->policies)
    if (ip.name == name)
      return json::object{{Traits<E>::kMember, e->name},
                          {"PolicyName", ip.name},
                          {"PolicyDocument", PercentEncode(ip.document)}};
  return services::MakeError(errors::kNoSuchInlinePolicy, {Traits<E>::kLabel, name});
}

template <typename E>
Result<OperationOutput> DeleteInline(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string name = GetString(p, "PolicyName").value_or("");
  return Change<E>(env, ctx, p, [&](E& e, AccountState&, const std::string&) -> Status {
    auto it =
        std::find_if(e.policies.begin(), e.policies.end(), [&](const auto& ip) { return ip.name == name; });
    if (it == e.policies.end())
      return services::MakeError(errors::kNoSuchInlinePolicy, {Traits<E>::kLabel, name});
    e.policies.erase(it);
    return Status::Ok();
  });
}

template <typename E>
Result<OperationOutput> ListInline(Env& env, const RequestContext& ctx, const json::object& p) {
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(E * e, Traits<E>::Find(a, GetString(p, Traits<E>::kMember).value_or("")));
  std::vector<std::string> names;
  for (const auto& ip : e->policies) names.push_back(ip.name);
  std::sort(names.begin(), names.end());
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, names));
  json::array out_names;
  for (std::size_t i = page.begin; i < page.end; ++i) out_names.push_back(json::string(names[i]));
  json::object out{{"PolicyNames", std::move(out_names)}};
  AddPaging(out, page);
  return out;
}

template <typename E>
Result<OperationOutput> Attach(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string arn = GetString(p, "PolicyArn").value_or("");
  return Change<E>(env, ctx, p, [&](E& e, AccountState& a, const std::string& account) -> Status {
    if (FindManagedPolicy(a, account, arn) == nullptr)
      return services::MakeError(errors::kPolicyNotAttachable, {arn});
    if (std::find(e.attached.begin(), e.attached.end(), arn) != e.attached.end()) return Status::Ok();
    if (e.attached.size() >= kAttachedPerEntity)
      return services::MakeError(errors::kQuotaExceeded,
                                 {Traits<E>::kQuota, std::to_string(kAttachedPerEntity)});
    e.attached.push_back(arn);
    return Status::Ok();
  });
}

template <typename E>
Result<OperationOutput> Detach(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string arn = GetString(p, "PolicyArn").value_or("");
  return Change<E>(env, ctx, p, [&](E& e, AccountState&, const std::string&) -> Status {
    auto it = std::find(e.attached.begin(), e.attached.end(), arn);
    if (it == e.attached.end()) return services::MakeError(errors::kNoSuchPolicy, {arn});
    e.attached.erase(it);
    return Status::Ok();
  });
}

template <typename E>
Result<OperationOutput> ListAttached(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(E * e, Traits<E>::Find(a, GetString(p, Traits<E>::kMember).value_or("")));
  std::vector<std::string> keys;
  std::map<std::string, const PolicyEntity*> by_key;
  for (const auto& arn : e->attached) {
    const PolicyEntity* pe = FindManagedPolicy(a, account, arn);
    if (pe == nullptr || !pe->path.starts_with(prefix)) continue;
    std::string key = Lower(pe->name) + "\n" + arn;
    keys.push_back(key);
    by_key[key] = pe;
  }
  std::sort(keys.begin(), keys.end());
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array attached;
  for (std::size_t i = page.begin; i < page.end; ++i) {
    const PolicyEntity* pe = by_key[keys[i]];
    attached.push_back(json::object{{"PolicyName", pe->name}, {"PolicyArn", pe->Arn()}});
  }
  json::object out{{"AttachedPolicies", std::move(attached)}};
  AddPaging(out, page);
  return out;
}

template <typename E>
Result<OperationOutput> PutBoundary(Env& env, const RequestContext& ctx, const json::object& p) {
  std::string arn = GetString(p, "PermissionsBoundary").value_or("");
  return Change<E>(env, ctx, p, [&](E& e, AccountState& a, const std::string& account) -> Status {
    if (FindManagedPolicy(a, account, arn) == nullptr)
      return services::MakeError(errors::kPolicyNotAttachable, {arn});
    e.boundary = arn;
    return Status::Ok();
  });
}

template <typename E>
Result<OperationOutput> DeleteBoundary(Env& env, const RequestContext& ctx, const json::object& p) {
  return Change<E>(env, ctx, p, [&](E& e, AccountState&, const std::string&) -> Status {
    if (e.boundary.empty()) return services::MakeError(errors::kNoSuchBoundary, {Traits<E>::kLabel, e.name});
    e.boundary.clear();
    return Status::Ok();
  });
}

// The account's own policy (for changes) or an error naming `arn`: AWS-managed policies cannot be changed.
Result<PolicyEntity*> OwnPolicy(AccountState& a, const std::string& account, const std::string& arn) {
  if (PolicyEntity* p = FindOwnPolicy(a, account, arn)) return p;
  if (AwsManagedPolicies().contains(arn))
    return services::MakeError(errors::kUnmodifiable,
                               {"Policy " + arn + " is an AWS managed policy and cannot be modified."});
  return services::MakeError(errors::kNoSuchPolicy, {arn});
}

template <typename F>
Result<OperationOutput> ChangePolicy(Env& env, const RequestContext& ctx, const json::object& p, F change) {
  std::string arn = GetString(p, "PolicyArn").value_or("");
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(PolicyEntity * found, OwnPolicy(a, account, arn));
  PolicyEntity pe = *found;
  CENOTE_ASSIGN_OR_RETURN(OperationOutput out, change(pe, a));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kPolicyKind, Lower(pe.name), ToDoc(pe)}}));
  *found = std::move(pe);
  env.Publish(account);
  return out;
}

json::object VersionJson(const PolicyEntity& p, const PolicyVersion& v, bool with_document) {
  json::object o{
      {"VersionId", v.id}, {"IsDefaultVersion", v.id == p.default_version}, {"CreateDate", v.created_ms}};
  if (with_document) o["Document"] = PercentEncode(v.document);
  return o;
}

}  // namespace

IAM_HANDLER(PutUserPolicy) { return PutInline<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(GetUserPolicy) { return GetInline<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DeleteUserPolicy) { return DeleteInline<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(ListUserPolicies) { return ListInline<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(PutGroupPolicy) { return PutInline<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(GetGroupPolicy) { return GetInline<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DeleteGroupPolicy) { return DeleteInline<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(ListGroupPolicies) { return ListInline<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(PutRolePolicy) { return PutInline<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(GetRolePolicy) { return GetInline<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DeleteRolePolicy) { return DeleteInline<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(ListRolePolicies) { return ListInline<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(AttachUserPolicy) { return Attach<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DetachUserPolicy) { return Detach<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(ListAttachedUserPolicies) { return ListAttached<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(AttachGroupPolicy) { return Attach<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DetachGroupPolicy) { return Detach<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(ListAttachedGroupPolicies) { return ListAttached<Group>(env, ctx, in.params.as_object()); }
IAM_HANDLER(AttachRolePolicy) { return Attach<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DetachRolePolicy) { return Detach<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(ListAttachedRolePolicies) { return ListAttached<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(PutUserPermissionsBoundary) { return PutBoundary<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DeleteUserPermissionsBoundary) { return DeleteBoundary<User>(env, ctx, in.params.as_object()); }
IAM_HANDLER(PutRolePermissionsBoundary) { return PutBoundary<Role>(env, ctx, in.params.as_object()); }
IAM_HANDLER(DeleteRolePermissionsBoundary) { return DeleteBoundary<Role>(env, ctx, in.params.as_object()); }

// ---- managed policies

IAM_HANDLER(CreatePolicy) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "PolicyName").value_or("");
  CENOTE_ASSIGN_OR_RETURN(
      std::string document,
      PolicyDocumentParam(env, p, "PolicyDocument", PolicyKind::kIdentity, PolicyQuota::kManagedPolicy));
  IAM_ACCOUNT(env, ctx);
  if (a.policies.contains(Lower(name))) return services::MakeError(errors::kPolicyExists, {name});
  PolicyEntity pe;
  pe.name = name;
  pe.account = account;
  CENOTE_ASSIGN_OR_RETURN(pe.path, PathParam(p));
  pe.id = NewId("ANPA");
  pe.created_ms = pe.updated_ms = env.Now();
  pe.description = GetString(p, "Description").value_or("");
  pe.versions.push_back({"v1", std::move(document), pe.created_ms});
  CENOTE_RETURN_IF_ERROR(MergeTags(pe.tags, GetArray(p, "Tags")));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kPolicyKind, Lower(name), ToDoc(pe)}}));
  json::object policy = PolicyJson(pe, a);
  if (!pe.tags.empty()) policy["Tags"] = TagsJson(pe.tags);
  a.policies[Lower(name)] = std::move(pe);
  env.Publish(account);
  return json::object{{"Policy", std::move(policy)}};
}

IAM_HANDLER(GetPolicy) {
  std::string arn = GetString(in.params.as_object(), "PolicyArn").value_or("");
  IAM_ACCOUNT(env, ctx);
  const PolicyEntity* pe = FindManagedPolicy(a, account, arn);
  if (pe == nullptr) return services::MakeError(errors::kNoSuchPolicy, {arn});
  json::object policy = PolicyJson(*pe, a);
  if (!pe->tags.empty()) policy["Tags"] = TagsJson(pe->tags);
  return json::object{{"Policy", std::move(policy)}};
}

IAM_HANDLER(ListPolicies) {
  const json::object& p = in.params.as_object();
  std::string scope = GetString(p, "Scope").value_or("All");
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  std::string usage = GetString(p, "PolicyUsageFilter").value_or("");
  bool only_attached = GetBool(p, "OnlyAttached").value_or(false);
  IAM_ACCOUNT(env, ctx);
  std::map<std::string, const PolicyEntity*> listed;  // by lower-cased name + ARN
  auto consider = [&](const PolicyEntity& pe) {
    if (!pe.path.starts_with(prefix)) return;
    if (only_attached || !usage.empty()) {
      PolicyUsage u = UsageOf(a, pe.Arn());
      if (only_attached && u.attachments + u.boundaries == 0) return;
      if (usage == "PermissionsPolicy" && u.attachments == 0 && only_attached) return;
      if (usage == "PermissionsBoundary" && u.boundaries == 0 && only_attached) return;
    }
    listed[Lower(pe.name) + "\n" + pe.Arn()] = &pe;
  };
  if (scope != "Local")
    for (const auto& [arn, pe] : AwsManagedPolicies()) consider(pe);
  if (scope != "AWS")
    for (const auto& [k, pe] : a.policies) consider(pe);
  std::vector<std::string> keys;
  for (const auto& [k, pe] : listed) keys.push_back(k);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array policies;
  for (std::size_t i = page.begin; i < page.end; ++i) policies.push_back(PolicyJson(*listed[keys[i]], a));
  json::object out{{"Policies", std::move(policies)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(DeletePolicy) {
  std::string arn = GetString(in.params.as_object(), "PolicyArn").value_or("");
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(PolicyEntity * pe, OwnPolicy(a, account, arn));
  PolicyUsage usage = UsageOf(a, arn);
  if (usage.attachments + usage.boundaries > 0)
    return services::MakeError(errors::kDeleteConflict, {"Cannot delete a policy attached to entities."});
  if (pe->versions.size() > 1)
    return services::MakeError(
        errors::kDeleteConflict,
        {"This policy has more than one version. Before you delete a policy, you must delete "
         "the policy's versions. The default version is deleted with the policy."});
  const std::string key = Lower(pe->name);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kPolicyKind, key, std::nullopt}}));
  a.policies.erase(key);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(CreatePolicyVersion) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(
      std::string document,
      PolicyDocumentParam(env, p, "PolicyDocument", PolicyKind::kIdentity, PolicyQuota::kManagedPolicy));
  bool set_default = GetBool(p, "SetAsDefault").value_or(false);
  std::int64_t now = env.Now();
  return ChangePolicy(env, ctx, p, [&](PolicyEntity& pe, AccountState&) -> Result<OperationOutput> {
    if (pe.versions.size() >= kVersionsPerPolicy)
      return services::MakeError(
          errors::kLimitExceeded,
          {"A managed policy can have up to 5 versions. Before you create a new version, you "
           "must delete an existing version."});
    std::string id = "v";
    id.append(std::to_string(pe.next_version++));  // (append: GCC 12 warns falsely on "v" + std::string)
    PolicyVersion v{std::move(id), document, now};
    if (set_default) {
      pe.default_version = v.id;
      pe.updated_ms = now;
    }
    pe.versions.push_back(v);
    return OperationOutput(json::object{{"PolicyVersion", VersionJson(pe, v, false)}});
  });
}

IAM_HANDLER(GetPolicyVersion) {
  const json::object& p = in.params.as_object();
  std::string arn = GetString(p, "PolicyArn").value_or("");
  std::string id = GetString(p, "VersionId").value_or("");
  IAM_ACCOUNT(env, ctx);
  const PolicyEntity* pe = FindManagedPolicy(a, account, arn);
  if (pe == nullptr) return services::MakeError(errors::kNoSuchPolicy, {arn});
  for (const auto& v : pe->versions)
    if (v.id == id) return json::object{{"PolicyVersion", VersionJson(*pe, v, true)}};
  return services::MakeError(errors::kNoSuchPolicyVersion, {arn, id});
}

IAM_HANDLER(ListPolicyVersions) {
  const json::object& p = in.params.as_object();
  std::string arn = GetString(p, "PolicyArn").value_or("");
  IAM_ACCOUNT(env, ctx);
  const PolicyEntity* pe = FindManagedPolicy(a, account, arn);
  if (pe == nullptr) return services::MakeError(errors::kNoSuchPolicy, {arn});
  json::array versions;
  // Newest first, as IAM lists them.
  for (auto it = pe->versions.rbegin(); it != pe->versions.rend(); ++it)
    versions.push_back(VersionJson(*pe, *it, false));
  return json::object{{"Versions", std::move(versions)}, {"IsTruncated", false}};
}

IAM_HANDLER(DeletePolicyVersion) {
  const json::object& p = in.params.as_object();
  std::string id = GetString(p, "VersionId").value_or("");
  return ChangePolicy(env, ctx, p, [&](PolicyEntity& pe, AccountState&) -> Result<OperationOutput> {
    auto it = std::find_if(pe.versions.begin(), pe.versions.end(), [&](const auto& v) { return v.id == id; });
    if (it == pe.versions.end()) return services::MakeError(errors::kNoSuchPolicyVersion, {pe.Arn(), id});
    if (id == pe.default_version)
      return services::MakeError(errors::kDeleteConflict, {"Cannot delete the default version of a policy."});
    pe.versions.erase(it);
    return OperationOutput(json::object{});
  });
}

IAM_HANDLER(SetDefaultPolicyVersion) {
  const json::object& p = in.params.as_object();
  std::string id = GetString(p, "VersionId").value_or("");
  std::int64_t now = env.Now();
  return ChangePolicy(env, ctx, p, [&](PolicyEntity& pe, AccountState&) -> Result<OperationOutput> {
    auto it = std::find_if(pe.versions.begin(), pe.versions.end(), [&](const auto& v) { return v.id == id; });
    if (it == pe.versions.end()) return services::MakeError(errors::kNoSuchPolicyVersion, {pe.Arn(), id});
    pe.default_version = id;
    pe.updated_ms = now;
    return OperationOutput(json::object{});
  });
}

IAM_HANDLER(ListEntitiesForPolicy) {
  const json::object& p = in.params.as_object();
  std::string arn = GetString(p, "PolicyArn").value_or("");
  std::string filter = GetString(p, "EntityFilter").value_or("");
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  std::string usage = GetString(p, "PolicyUsageFilter").value_or("");
  IAM_ACCOUNT(env, ctx);
  const PolicyEntity* pe = FindManagedPolicy(a, account, arn);
  if (pe == nullptr) return services::MakeError(errors::kNoSuchPolicy, {arn});
  auto uses = [&](const std::vector<std::string>& attached, const std::string& boundary) {
    bool as_policy = std::find(attached.begin(), attached.end(), arn) != attached.end();
    bool as_boundary = boundary == arn;
    if (usage == "PermissionsPolicy") return as_policy;
    if (usage == "PermissionsBoundary") return as_boundary;
    return as_policy || as_boundary;
  };
  json::array users, groups, roles;
  if (filter.empty() || filter == "User")
    for (const auto& [k, u] : a.users)
      if (u.path.starts_with(prefix) && uses(u.attached, u.boundary))
        users.push_back(json::object{{"UserName", u.name}, {"UserId", u.id}});
  if (filter.empty() || filter == "Group")
    for (const auto& [k, g] : a.groups)
      if (g.path.starts_with(prefix) && uses(g.attached, ""))
        groups.push_back(json::object{{"GroupName", g.name}, {"GroupId", g.id}});
  if (filter.empty() || filter == "Role")
    for (const auto& [k, r] : a.roles)
      if (r.path.starts_with(prefix) && uses(r.attached, r.boundary))
        roles.push_back(json::object{{"RoleName", r.name}, {"RoleId", r.id}});
  return json::object{{"PolicyGroups", std::move(groups)},
                      {"PolicyUsers", std::move(users)},
                      {"PolicyRoles", std::move(roles)},
                      {"IsTruncated", false}};
}

IAM_HANDLER(TagPolicy) {
  const json::object& p = in.params.as_object();
  return ChangePolicy(env, ctx, p, [&](PolicyEntity& pe, AccountState&) -> Result<OperationOutput> {
    CENOTE_RETURN_IF_ERROR(MergeTags(pe.tags, GetArray(p, "Tags")));
    return OperationOutput(json::object{});
  });
}

IAM_HANDLER(UntagPolicy) {
  const json::object& p = in.params.as_object();
  return ChangePolicy(env, ctx, p, [&](PolicyEntity& pe, AccountState&) -> Result<OperationOutput> {
    RemoveTags(pe.tags, GetArray(p, "TagKeys"));
    return OperationOutput(json::object{});
  });
}

IAM_HANDLER(ListPolicyTags) {
  std::string arn = GetString(in.params.as_object(), "PolicyArn").value_or("");
  IAM_ACCOUNT(env, ctx);
  const PolicyEntity* pe = FindManagedPolicy(a, account, arn);
  if (pe == nullptr) return services::MakeError(errors::kNoSuchPolicy, {arn});
  return json::object{{"Tags", TagsJson(pe->tags)}, {"IsTruncated", false}};
}

}  // namespace cenote::iam
