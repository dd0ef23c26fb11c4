// OpenID Connect providers and account-wide operations: aliases, password policy, the summary and the
// authorization details.
#include <algorithm>

#include "common/strings.hpp"
#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

constexpr std::size_t kOidcProvidersPerAccount = 100;

// The provider an ARN names in the caller's account.
Result<OidcProvider*> FindOidc(AccountState& a, const std::string& account, std::string_view arn) {
  const std::string prefix = "arn:aws:iam::" + account + ":oidc-provider/";
  if (arn.substr(0, prefix.size()) == prefix) {
    auto it = a.oidc.find(std::string(arn.substr(prefix.size())));
    if (it != a.oidc.end()) return &it->second;
  }
  return services::MakeError(errors::kNoSuchOidcProvider, {arn});
}

template <typename F>
Result<OperationOutput> ChangeOidc(Env& env, const RequestContext& ctx, const json::object& p, F change) {
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(OidcProvider * found,
                          FindOidc(a, account, GetString(p, "OpenIDConnectProviderArn").value_or("")));
  OidcProvider o = *found;
  change(o);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kOidcKind, o.url, ToDoc(o)}}));
  *found = std::move(o);
  env.Publish(account);
  return json::object{};
}

std::vector<std::string> StringList(const json::object& p, std::string_view member) {
  std::vector<std::string> out;
  if (const auto* arr = GetArray(p, member))
    for (const auto& v : *arr)
      if (v.is_string() && std::find(out.begin(), out.end(), v.as_string()) == out.end())
        out.emplace_back(v.as_string());
  return out;
}

// A sort key: the item type's digit, then the parts. (Built with append: GCC 12 warns falsely on
// `"literal" + std::string` here.)
std::string SortKey(char type, std::string_view a, std::string_view b = {}) {
  std::string key(1, type);
  key.append(a);
  if (!b.empty()) key.append("\n").append(b);
  return key;
}

json::array JsonStrings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.push_back(json::string(s));
  return out;
}

Status SaveAccount(Env& env, const std::string& account, const AccountState& a) {
  return env.Persist(account, {{kAccountKind, "", AccountDoc(a)}});
}

}  // namespace

// ---- OpenID Connect providers

IAM_HANDLER(CreateOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  std::string url = GetString(p, "Url").value_or("");
  if (!StartsWithIgnoreAsciiCase(url, "https://"))
    return services::MakeError(errors::kInvalidInput,
                               {"Invalid Open ID Connect Provider URL: must begin with https://"});
  std::string key = url.substr(8);
  while (!key.empty() && key.back() == '/') key.pop_back();
  if (key.empty())
    return services::MakeError(errors::kInvalidInput, {"Invalid Open ID Connect Provider URL"});
  IAM_ACCOUNT(env, ctx);
  for (const auto& [k, o] : a.oidc)
    if (EqualsIgnoreAsciiCase(k, key)) return services::MakeError(errors::kOidcProviderExists, {url});
  if (a.oidc.size() >= kOidcProvidersPerAccount)
    return services::MakeError(errors::kQuotaExceeded, {"OpenIdConnectProvidersPerAccount", "100"});
  OidcProvider o;
  o.url = key;
  o.client_ids = StringList(p, "ClientIDList");
  o.thumbprints = StringList(p, "ThumbprintList");
  for (auto& t : o.thumbprints) t = Lower(t);
  o.created_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(MergeTags(o.tags, GetArray(p, "Tags")));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kOidcKind, key, ToDoc(o)}}));
  json::object out{{"OpenIDConnectProviderArn", OidcArn(account, o)}};
  if (!o.tags.empty()) out["Tags"] = TagsJson(o.tags);
  a.oidc[key] = std::move(o);
  env.Publish(account);
  return out;
}

IAM_HANDLER(GetOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(OidcProvider * o,
                          FindOidc(a, account, GetString(p, "OpenIDConnectProviderArn").value_or("")));
  // IAM answers the URL without its scheme.
  json::object out{{"Url", o->url},
                   {"ClientIDList", JsonStrings(o->client_ids)},
                   {"ThumbprintList", JsonStrings(o->thumbprints)},
                   {"CreateDate", o->created_ms}};
  if (!o->tags.empty()) out["Tags"] = TagsJson(o->tags);
  return out;
}

IAM_HANDLER(ListOpenIDConnectProviders) {
  IAM_ACCOUNT(env, ctx);
  json::array list;
  for (const auto& [k, o] : a.oidc) list.push_back(json::object{{"Arn", OidcArn(account, o)}});
  return json::object{{"OpenIDConnectProviderList", std::move(list)}};
}

IAM_HANDLER(DeleteOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(OidcProvider * o,
                          FindOidc(a, account, GetString(p, "OpenIDConnectProviderArn").value_or("")));
  const std::string key = o->url;
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kOidcKind, key, std::nullopt}}));
  a.oidc.erase(key);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(AddClientIDToOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  std::string id = GetString(p, "ClientID").value_or("");
  return ChangeOidc(env, ctx, p, [&](OidcProvider& o) {
    if (std::find(o.client_ids.begin(), o.client_ids.end(), id) == o.client_ids.end())
      o.client_ids.push_back(id);
  });
}

IAM_HANDLER(RemoveClientIDFromOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  std::string id = GetString(p, "ClientID").value_or("");
  // Idempotent: removing a client id the provider does not have succeeds (IAM API reference).
  return ChangeOidc(env, ctx, p, [&](OidcProvider& o) { std::erase(o.client_ids, id); });
}

IAM_HANDLER(UpdateOpenIDConnectProviderThumbprint) {
  const json::object& p = in.params.as_object();
  std::vector<std::string> thumbprints = StringList(p, "ThumbprintList");
  for (auto& t : thumbprints) t = Lower(t);
  return ChangeOidc(env, ctx, p, [&](OidcProvider& o) { o.thumbprints = thumbprints; });
}

IAM_HANDLER(TagOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  Status tagged = Status::Ok();
  CENOTE_RETURN_IF_ERROR(ChangeOidc(env, ctx, p, [&](OidcProvider& o) {
    Tags t = o.tags;
    tagged = MergeTags(t, GetArray(p, "Tags"));
    if (tagged) o.tags = std::move(t);
  }));
  CENOTE_RETURN_IF_ERROR(tagged);
  return json::object{};
}

IAM_HANDLER(UntagOpenIDConnectProvider) {
  const json::object& p = in.params.as_object();
  return ChangeOidc(env, ctx, p, [&](OidcProvider& o) { RemoveTags(o.tags, GetArray(p, "TagKeys")); });
}

IAM_HANDLER(ListOpenIDConnectProviderTags) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(OidcProvider * o,
                          FindOidc(a, account, GetString(p, "OpenIDConnectProviderArn").value_or("")));
  return json::object{{"Tags", TagsJson(o->tags)}, {"IsTruncated", false}};
}

// ---- account aliases and password policy

IAM_HANDLER(CreateAccountAlias) {
  std::string alias = GetString(in.params.as_object(), "AccountAlias").value_or("");
  MutexLock lock(env.mu);
  const std::string& account = ctx.account_id();
  // Aliases are unique across accounts, as on AWS (one sign-in URL each).
  for (const auto& [other, state] : env.accounts)
    if (other != account &&
        std::find(state.aliases.begin(), state.aliases.end(), alias) != state.aliases.end())
      return services::MakeError(errors::kAliasExists, {alias});
  AccountState& a = env.Account(account);
  if (std::find(a.aliases.begin(), a.aliases.end(), alias) != a.aliases.end()) return json::object{};
  if (!a.aliases.empty())
    return services::MakeError(errors::kQuotaExceeded, {"AccountAliasesPerAccount", "1"});
  AccountState copy;
  copy.aliases = {alias};
  copy.password_policy = a.password_policy;
  CENOTE_RETURN_IF_ERROR(SaveAccount(env, account, copy));
  a.aliases = copy.aliases;
  return json::object{};
}

IAM_HANDLER(ListAccountAliases) {
  IAM_ACCOUNT(env, ctx);
  return json::object{{"AccountAliases", JsonStrings(a.aliases)}, {"IsTruncated", false}};
}

IAM_HANDLER(DeleteAccountAlias) {
  std::string alias = GetString(in.params.as_object(), "AccountAlias").value_or("");
  IAM_ACCOUNT(env, ctx);
  if (std::find(a.aliases.begin(), a.aliases.end(), alias) == a.aliases.end())
    return services::MakeError(errors::kNoSuchAlias, {alias});
  AccountState copy;
  copy.password_policy = a.password_policy;
  CENOTE_RETURN_IF_ERROR(SaveAccount(env, account, copy));
  a.aliases.clear();
  return json::object{};
}

IAM_HANDLER(GetAccountPasswordPolicy) {
  IAM_ACCOUNT(env, ctx);
  if (!a.password_policy) return services::MakeError(errors::kNoSuchPasswordPolicy, {account});
  return json::object{{"PasswordPolicy", *a.password_policy}};
}

IAM_HANDLER(UpdateAccountPasswordPolicy) {
  const json::object& p = in.params.as_object();
  // Members left out take IAM's defaults (UpdateAccountPasswordPolicy: "any parameter that you don't specify
  // ... is set to its default value").
  json::object policy{
      {"MinimumPasswordLength", GetInt(p, "MinimumPasswordLength").value_or(6)},
      {"RequireSymbols", GetBool(p, "RequireSymbols").value_or(false)},
      {"RequireNumbers", GetBool(p, "RequireNumbers").value_or(false)},
      {"RequireUppercaseCharacters", GetBool(p, "RequireUppercaseCharacters").value_or(false)},
      {"RequireLowercaseCharacters", GetBool(p, "RequireLowercaseCharacters").value_or(false)},
      {"AllowUsersToChangePassword", GetBool(p, "AllowUsersToChangePassword").value_or(false)},
  };
  std::int64_t max_age = GetInt(p, "MaxPasswordAge").value_or(0);
  policy["ExpirePasswords"] = max_age > 0;
  if (max_age > 0) policy["MaxPasswordAge"] = max_age;
  if (auto reuse = GetInt(p, "PasswordReusePrevention")) policy["PasswordReusePrevention"] = *reuse;
  if (auto hard = GetBool(p, "HardExpiry")) policy["HardExpiry"] = *hard;
  IAM_ACCOUNT(env, ctx);
  AccountState copy;
  copy.aliases = a.aliases;
  copy.password_policy = policy;
  CENOTE_RETURN_IF_ERROR(SaveAccount(env, account, copy));
  a.password_policy = std::move(policy);
  return json::object{};
}

IAM_HANDLER(DeleteAccountPasswordPolicy) {
  IAM_ACCOUNT(env, ctx);
  if (!a.password_policy) return services::MakeError(errors::kNoSuchPasswordPolicy, {account});
  AccountState copy;
  copy.aliases = a.aliases;
  CENOTE_RETURN_IF_ERROR(SaveAccount(env, account, copy));
  a.password_policy.reset();
  return json::object{};
}

// ---- summary and authorization details

IAM_HANDLER(GetAccountSummary) {
  IAM_ACCOUNT(env, ctx);
  std::int64_t versions = 0;
  for (const auto& [k, pe] : a.policies) versions += static_cast<std::int64_t>(pe.versions.size());
  auto n = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  // The keys and default quotas AWS returns (GetAccountSummary; reference_iam-quotas.md).
  json::object m{
      {"Users", n(a.users.size())},
      {"UsersQuota", 5000},
      {"Groups", n(a.groups.size())},
      {"GroupsQuota", 300},
      {"Roles", n(a.roles.size())},
      {"RolesQuota", 1000},
      {"Policies", n(a.policies.size())},
      {"PoliciesQuota", 1500},
      {"PolicyVersionsInUse", versions},
      {"PolicyVersionsInUseQuota", 10000},
      {"VersionsPerPolicyQuota", 5},
      {"PolicySizeQuota", 6144},
      {"UserPolicySizeQuota", 2048},
      {"GroupPolicySizeQuota", 5120},
      {"RolePolicySizeQuota", 10240},
      {"AssumeRolePolicySizeQuota", 2048},
      {"InstanceProfiles", n(a.profiles.size())},
      {"InstanceProfilesQuota", 1000},
      {"Providers", n(a.oidc.size())},
      {"ServerCertificates", 0},
      {"ServerCertificatesQuota", 20},
      {"MFADevices", 0},
      {"MFADevicesInUse", 0},
      {"AccountMFAEnabled", 0},
      // The server's root credentials always exist.
      {"AccountAccessKeysPresent", 1},
      {"AccountSigningCertificatesPresent", 0},
      {"AccessKeysPerUserQuota", 2},
      {"SigningCertificatesPerUserQuota", 2},
      {"GroupsPerUserQuota", 10},
      {"AttachedPoliciesPerUserQuota", 10},
      {"AttachedPoliciesPerGroupQuota", 10},
      {"AttachedPoliciesPerRoleQuota", 10},
      {"GlobalEndpointTokenVersion", 1},
  };
  return json::object{{"SummaryMap", std::move(m)}};
}

IAM_HANDLER(GetAccountAuthorizationDetails) {
  const json::object& p = in.params.as_object();
  std::vector<std::string> filter = StringList(p, "Filter");
  auto wanted = [&](std::string_view type) {
    return filter.empty() || std::find(filter.begin(), filter.end(), type) != filter.end();
  };
  IAM_ACCOUNT(env, ctx);
  auto inline_list = [](const std::vector<InlinePolicy>& v) {
    json::array out;
    for (const auto& ip : v)
      out.push_back(json::object{{"PolicyName", ip.name}, {"PolicyDocument", PercentEncode(ip.document)}});
    return out;
  };
  auto attached_list = [&](const std::vector<std::string>& arns) {
    json::array out;
    for (const auto& arn : arns)
      if (const PolicyEntity* pe = FindManagedPolicy(a, account, arn))
        out.push_back(json::object{{"PolicyName", pe->name}, {"PolicyArn", arn}});
    return out;
  };
  // One list of (sort key, item) so that a page may span item types, in AWS's order: users, groups, roles,
  // policies.
  std::vector<std::pair<std::string, std::pair<int, json::object>>> items;
  if (wanted("User"))
    for (const auto& [k, u] : a.users) {
      json::object o{{"Path", u.path},
                     {"UserName", u.name},
                     {"UserId", u.id},
                     {"Arn", UserArn(account, u)},
                     {"CreateDate", u.created_ms}};
      o["UserPolicyList"] = inline_list(u.policies);
      json::array groups;
      for (const auto& g : u.groups)
        if (auto it = a.groups.find(g); it != a.groups.end()) groups.push_back(json::string(it->second.name));
      o["GroupList"] = std::move(groups);
      o["AttachedManagedPolicies"] = attached_list(u.attached);
      if (!u.boundary.empty()) o["PermissionsBoundary"] = BoundaryJson(u.boundary);
      o["Tags"] = TagsJson(u.tags);
      items.push_back({SortKey('0', k), {0, std::move(o)}});
    }
  if (wanted("Group"))
    for (const auto& [k, g] : a.groups) {
      json::object o = GroupJson(account, g);
      o["GroupPolicyList"] = inline_list(g.policies);
      o["AttachedManagedPolicies"] = attached_list(g.attached);
      items.push_back({SortKey('1', k), {1, std::move(o)}});
    }
  if (wanted("Role"))
    for (const auto& [k, r] : a.roles) {
      json::object o = RoleJson(account, r);
      o.erase("MaxSessionDuration");
      o.erase("Description");
      json::array profiles;
      for (const auto& [pk, ip] : a.profiles)
        if (std::find(ip.roles.begin(), ip.roles.end(), k) != ip.roles.end())
          profiles.push_back(ProfileJson(account, ip, a));
      o["InstanceProfileList"] = std::move(profiles);
      o["RolePolicyList"] = inline_list(r.policies);
      o["AttachedManagedPolicies"] = attached_list(r.attached);
      if (!r.boundary.empty()) o["PermissionsBoundary"] = BoundaryJson(r.boundary);
      o["Tags"] = TagsJson(r.tags);
      o["RoleLastUsed"] = json::object{};
      items.push_back({SortKey('2', k), {2, std::move(o)}});
    }
  auto policy_detail = [&](const PolicyEntity& pe) {
    json::object o = PolicyJson(pe, a);
    json::array versions;
    for (const auto& v : pe.versions)
      versions.push_back(json::object{{"Document", PercentEncode(v.document)},
                                      {"VersionId", v.id},
                                      {"IsDefaultVersion", v.id == pe.default_version},
                                      {"CreateDate", v.created_ms}});
    o["PolicyVersionList"] = std::move(versions);
    return o;
  };
  if (wanted("LocalManagedPolicy"))
    for (const auto& [k, pe] : a.policies)
      items.push_back({SortKey('3', k, pe.Arn()), {3, policy_detail(pe)}});
  // AWS-managed policies appear when something in the account uses them.
  if (wanted("AWSManagedPolicy"))
    for (const auto& [arn, pe] : AwsManagedPolicies()) {
      PolicyUsage u = UsageOf(a, arn);
      if (u.attachments + u.boundaries > 0)
        items.push_back({SortKey('3', Lower(pe.name), arn), {3, policy_detail(pe)}});
    }
  std::sort(items.begin(), items.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> keys;
  for (const auto& it : items) keys.push_back(it.first);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array lists[4];
  for (std::size_t i = page.begin; i < page.end; ++i)
    lists[items[i].second.first].push_back(std::move(items[i].second.second));
  json::object out{{"UserDetailList", std::move(lists[0])},
                   {"GroupDetailList", std::move(lists[1])},
                   {"RoleDetailList", std::move(lists[2])},
                   {"Policies", std::move(lists[3])}};
  AddPaging(out, page);
  return out;
}

}  // namespace cenote::iam
