#include "services/iam/iam_provider.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "iam/policy_errors.hpp"
#include "services/iam/internal.hpp"

namespace cenote::iam {

// Schema of component "iam": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      // One JSON document per entity: kind is user, group, role, policy, instance-profile, oidc-provider or
      // account (name ""); name is the entity's lower-cased name (an OIDC provider's URL).
      "CREATE TABLE iam_entities (account TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, doc TEXT "
      "NOT "
      "NULL, PRIMARY KEY (account, kind, name))",
      // GetAccessKeyLastUsed: written in the background, not per request.
      "CREATE TABLE iam_key_use (key_id TEXT PRIMARY KEY, used_ms INTEGER NOT NULL, service TEXT NOT NULL, "
      "region TEXT NOT NULL)",
  };
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/iam/fresh_schema.inc"
      ;
}

namespace {

const IamProvider::Table& Operations() {
  static const IamProvider::Table kOps = {
      {"CreateUser", CreateUser},
      {"GetUser", GetUser},
      {"ListUsers", ListUsers},
      {"UpdateUser", UpdateUser},
      {"DeleteUser", DeleteUser},
      {"TagUser", TagUser},
      {"UntagUser", UntagUser},
      {"ListUserTags", ListUserTags},
      {"CreateAccessKey", CreateAccessKey},
      {"ListAccessKeys", ListAccessKeys},
      {"UpdateAccessKey", UpdateAccessKey},
      {"DeleteAccessKey", DeleteAccessKey},
      {"GetAccessKeyLastUsed", GetAccessKeyLastUsed},
      {"CreateGroup", CreateGroup},
      {"GetGroup", GetGroup},
      {"ListGroups", ListGroups},
      {"ListGroupsForUser", ListGroupsForUser},
      {"AddUserToGroup", AddUserToGroup},
      {"RemoveUserFromGroup", RemoveUserFromGroup},
      {"DeleteGroup", DeleteGroup},
      {"UpdateGroup", UpdateGroup},
      {"CreateRole", CreateRole},
      {"GetRole", GetRole},
      {"ListRoles", ListRoles},
      {"UpdateRole", UpdateRole},
      {"UpdateRoleDescription", UpdateRoleDescription},
      {"UpdateAssumeRolePolicy", UpdateAssumeRolePolicy},
      {"DeleteRole", DeleteRole},
      {"TagRole", TagRole},
      {"UntagRole", UntagRole},
      {"ListRoleTags", ListRoleTags},
      {"CreateInstanceProfile", CreateInstanceProfile},
      {"GetInstanceProfile", GetInstanceProfile},
      {"ListInstanceProfiles", ListInstanceProfiles},
      {"ListInstanceProfilesForRole", ListInstanceProfilesForRole},
      {"AddRoleToInstanceProfile", AddRoleToInstanceProfile},
      {"RemoveRoleFromInstanceProfile", RemoveRoleFromInstanceProfile},
      {"DeleteInstanceProfile", DeleteInstanceProfile},
      {"TagInstanceProfile", TagInstanceProfile},
      {"UntagInstanceProfile", UntagInstanceProfile},
      {"ListInstanceProfileTags", ListInstanceProfileTags},
      {"PutUserPolicy", PutUserPolicy},
      {"GetUserPolicy", GetUserPolicy},
      {"DeleteUserPolicy", DeleteUserPolicy},
      {"ListUserPolicies", ListUserPolicies},
      {"PutGroupPolicy", PutGroupPolicy},
      {"GetGroupPolicy", GetGroupPolicy},
      {"DeleteGroupPolicy", DeleteGroupPolicy},
      {"ListGroupPolicies", ListGroupPolicies},
      {"PutRolePolicy", PutRolePolicy},
      {"GetRolePolicy", GetRolePolicy},
      {"DeleteRolePolicy", DeleteRolePolicy},
      {"ListRolePolicies", ListRolePolicies},
      {"CreatePolicy", CreatePolicy},
      {"GetPolicy", GetPolicy},
      {"ListPolicies", ListPolicies},
      {"DeletePolicy", DeletePolicy},
      {"CreatePolicyVersion", CreatePolicyVersion},
      {"GetPolicyVersion", GetPolicyVersion},
      {"ListPolicyVersions", ListPolicyVersions},
      {"DeletePolicyVersion", DeletePolicyVersion},
      {"SetDefaultPolicyVersion", SetDefaultPolicyVersion},
      {"AttachUserPolicy", AttachUserPolicy},
      {"DetachUserPolicy", DetachUserPolicy},
      {"ListAttachedUserPolicies", ListAttachedUserPolicies},
      {"AttachGroupPolicy", AttachGroupPolicy},
      {"DetachGroupPolicy", DetachGroupPolicy},
      {"ListAttachedGroupPolicies", ListAttachedGroupPolicies},
      {"AttachRolePolicy", AttachRolePolicy},
      {"DetachRolePolicy", DetachRolePolicy},
      {"ListAttachedRolePolicies", ListAttachedRolePolicies},
      {"ListEntitiesForPolicy", ListEntitiesForPolicy},
      {"TagPolicy", TagPolicy},
      {"UntagPolicy", UntagPolicy},
      {"ListPolicyTags", ListPolicyTags},
      {"PutUserPermissionsBoundary", PutUserPermissionsBoundary},
      {"DeleteUserPermissionsBoundary", DeleteUserPermissionsBoundary},
      {"PutRolePermissionsBoundary", PutRolePermissionsBoundary},
      {"DeleteRolePermissionsBoundary", DeleteRolePermissionsBoundary},
      {"CreateOpenIDConnectProvider", CreateOpenIDConnectProvider},
      {"GetOpenIDConnectProvider", GetOpenIDConnectProvider},
      {"ListOpenIDConnectProviders", ListOpenIDConnectProviders},
      {"DeleteOpenIDConnectProvider", DeleteOpenIDConnectProvider},
      {"AddClientIDToOpenIDConnectProvider", AddClientIDToOpenIDConnectProvider},
      {"RemoveClientIDFromOpenIDConnectProvider", RemoveClientIDFromOpenIDConnectProvider},
      {"UpdateOpenIDConnectProviderThumbprint", UpdateOpenIDConnectProviderThumbprint},
      {"TagOpenIDConnectProvider", TagOpenIDConnectProvider},
      {"UntagOpenIDConnectProvider", UntagOpenIDConnectProvider},
      {"ListOpenIDConnectProviderTags", ListOpenIDConnectProviderTags},
      {"GetAccountAuthorizationDetails", GetAccountAuthorizationDetails},
      {"GetAccountSummary", GetAccountSummary},
      {"CreateAccountAlias", CreateAccountAlias},
      {"ListAccountAliases", ListAccountAliases},
      {"DeleteAccountAlias", DeleteAccountAlias},
      {"GetAccountPasswordPolicy", GetAccountPasswordPolicy},
      {"UpdateAccountPasswordPolicy", UpdateAccountPasswordPolicy},
      {"DeleteAccountPasswordPolicy", DeleteAccountPasswordPolicy},
      {"SimulatePrincipalPolicy", SimulatePrincipalPolicy},
      {"SimulateCustomPolicy", SimulateCustomPolicy},
      {"GetContextKeysForPrincipalPolicy", GetContextKeysForPrincipalPolicy},
      {"GetContextKeysForCustomPolicy", GetContextKeysForCustomPolicy},
  };
  return kOps;
}

constexpr std::size_t kMaxTags = 50;

}  // namespace

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;
  static const std::vector<ErrorSpec> kTable = {
      kNoSuchUser,         kNoSuchGroup,          kNoSuchRole,
      kNoSuchPolicy,       kPolicyNotAttachable,  kNoSuchPolicyVersion,
      kNoSuchInlinePolicy, kNoSuchAccessKey,      kNoSuchInstanceProfile,
      kNoSuchOidcProvider, kNoSuchPasswordPolicy, kNoSuchBoundary,
      kNoSuchAlias,        kNotInGroup,           kRoleNotInProfile,
      kEntityExists,       kPolicyExists,         kInstanceProfileExists,
      kOidcProviderExists, kAliasExists,          kDeleteConflict,
      kLimitExceeded,      kQuotaExceeded,        kInvalidInput,
      kValidation,         kUnmodifiable,         kPolicyNotAttachableType};
  return kTable;
}

// ---- helpers

std::string Lower(std::string_view s) { return AsciiLower(s); }

std::string NewId(std::string_view prefix) {
  // IAM's unique ids and access key ids: a type prefix and 16 characters of [A-Z2-7] (base32, as AWS's).
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string bytes = RandomBytes(16);
  std::string out(prefix);
  for (unsigned char c : bytes) out.push_back(kAlphabet[c % 32]);
  return out;
}

std::string UserArn(std::string_view account, const User& u) {
  return "arn:aws:iam::" + std::string(account) + ":user" + u.path + u.name;
}
std::string GroupArn(std::string_view account, const Group& g) {
  return "arn:aws:iam::" + std::string(account) + ":group" + g.path + g.name;
}
std::string RoleArn(std::string_view account, const Role& r) {
  return "arn:aws:iam::" + std::string(account) + ":role" + r.path + r.name;
}
std::string ProfileArn(std::string_view account, const InstanceProfile& p) {
  return "arn:aws:iam::" + std::string(account) + ":instance-profile" + p.path + p.name;
}
std::string OidcArn(std::string_view account, const OidcProvider& p) {
  return "arn:aws:iam::" + std::string(account) + ":oidc-provider/" + p.url;
}

// IAM returns policy documents URL-encoded (RFC 3986: every byte but the unreserved characters as %XX, '*'
// included), as botocore's and the CLI's decoders expect.
std::string PercentEncode(std::string_view text) { return UriEncode(text, true); }

Result<std::string> PathParam(const json::object& in, std::string_view member) {
  return GetString(in, member).value_or("/");
}

Result<std::string> PolicyDocumentParam(Env& env, const json::object& in, std::string_view member,
                                        PolicyKind kind, PolicyQuota quota, std::string_view entity_name,
                                        std::size_t other_size) {
  std::string text = GetString(in, member).value_or("");
  CENOTE_RETURN_IF_ERROR(env.cache.Get(text, kind));
  CENOTE_RETURN_IF_ERROR(CheckPolicySize(PolicySizeWithoutWhitespace(text) + other_size, quota, entity_name));
  return text;
}

Status MergeTags(Tags& tags, const json::array* in) {
  if (in == nullptr) return Status::Ok();
  std::vector<std::string> seen;
  for (const auto& t : *in) {
    if (!t.is_object()) continue;
    std::string key = GetString(t.as_object(), "Key").value_or("");
    std::string lower = Lower(key);
    if (std::find(seen.begin(), seen.end(), lower) != seen.end())
      return services::MakeError(
          errors::kInvalidInput,
          {"Duplicate tag keys found. Please note that Tag keys are case insensitive."});
    seen.push_back(lower);
  }
  Tags merged = tags;
  for (const auto& t : *in) {
    if (!t.is_object()) continue;
    std::string key = GetString(t.as_object(), "Key").value_or("");
    std::string value = GetString(t.as_object(), "Value").value_or("");
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const auto& kv) { return EqualsIgnoreAsciiCase(kv.first, key); });
    if (it != merged.end()) {
      *it = {key, value};
    } else {
      merged.emplace_back(key, value);
    }
  }
  if (merged.size() > kMaxTags)
    return services::MakeError(errors::kLimitExceeded, {"The number of tags has reached the maximum limit."});
  tags = std::move(merged);
  return Status::Ok();
}

void RemoveTags(Tags& tags, const json::array* keys) {
  if (keys == nullptr) return;
  for (const auto& k : *keys) {
    if (!k.is_string()) continue;
    std::string_view key = k.as_string();
    std::erase_if(tags, [&](const auto& kv) { return EqualsIgnoreAsciiCase(kv.first, key); });
  }
}

json::array TagsJson(const Tags& tags) {
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::object{{"Key", k}, {"Value", v}});
  return out;
}

Result<Page> Paginate(const json::object& in, const std::vector<std::string>& keys) {
  Page page;
  std::size_t max_items = static_cast<std::size_t>(GetInt(in, "MaxItems").value_or(100));
  if (max_items == 0) max_items = 100;
  if (auto marker = GetString(in, "Marker")) {
    auto decoded = Base64Decode(*marker);
    if (!decoded) return services::MakeError(errors::kValidation, {"Invalid Marker."});
    page.begin = std::lower_bound(keys.begin(), keys.end(), *decoded) - keys.begin();
  }
  page.end = std::min(keys.size(), page.begin + max_items);
  page.truncated = page.end < keys.size();
  if (page.truncated) page.marker = Base64Encode(keys[page.end]);
  return page;
}

void AddPaging(json::object& out, const Page& page) {
  out["IsTruncated"] = page.truncated;
  if (page.truncated) out["Marker"] = page.marker;
}

Result<User*> FindUser(AccountState& a, std::string_view name) {
  auto it = a.users.find(Lower(name));
  if (it == a.users.end()) return services::MakeError(errors::kNoSuchUser, {name});
  return &it->second;
}
Result<Group*> FindGroup(AccountState& a, std::string_view name) {
  auto it = a.groups.find(Lower(name));
  if (it == a.groups.end()) return services::MakeError(errors::kNoSuchGroup, {name});
  return &it->second;
}
Result<Role*> FindRole(AccountState& a, std::string_view name) {
  auto it = a.roles.find(Lower(name));
  if (it == a.roles.end()) return services::MakeError(errors::kNoSuchRole, {name});
  return &it->second;
}

PolicyEntity* FindOwnPolicy(AccountState& a, std::string_view account, std::string_view arn) {
  // arn:aws:iam::<account>:policy<path><name>
  const std::string prefix = "arn:aws:iam::" + std::string(account) + ":policy/";
  if (arn.substr(0, prefix.size()) != prefix) return nullptr;
  std::string_view name = arn.substr(arn.rfind('/') + 1);
  auto it = a.policies.find(Lower(name));
  if (it == a.policies.end() || it->second.Arn() != arn) return nullptr;
  return &it->second;
}

const PolicyEntity* FindManagedPolicy(const AccountState& a, std::string_view account, std::string_view arn) {
  const auto& aws = AwsManagedPolicies();
  if (auto it = aws.find(std::string(arn)); it != aws.end()) return &it->second;
  return FindOwnPolicy(const_cast<AccountState&>(a), account, arn);
}

json::object BoundaryJson(std::string_view arn) {
  return json::object{{"PermissionsBoundaryType", "PermissionsBoundaryPolicy"},
                      {"PermissionsBoundaryArn", arn}};
}

json::object UserJson(std::string_view account, const User& u) {
  json::object o{{"Path", u.path},
                 {"UserName", u.name},
                 {"UserId", u.id},
                 {"Arn", UserArn(account, u)},
                 {"CreateDate", u.created_ms}};
  if (!u.boundary.empty()) o["PermissionsBoundary"] = BoundaryJson(u.boundary);
  return o;
}

json::object GroupJson(std::string_view account, const Group& g) {
  return json::object{{"Path", g.path},
                      {"GroupName", g.name},
                      {"GroupId", g.id},
                      {"Arn", GroupArn(account, g)},
                      {"CreateDate", g.created_ms}};
}

json::object RoleJson(std::string_view account, const Role& r) {
  json::object o{{"Path", r.path},
                 {"RoleName", r.name},
                 {"RoleId", r.id},
                 {"Arn", RoleArn(account, r)},
                 {"CreateDate", r.created_ms},
                 {"AssumeRolePolicyDocument", PercentEncode(r.trust)},
                 {"MaxSessionDuration", r.max_session_s}};
  if (!r.description.empty()) o["Description"] = r.description;
  return o;
}

PolicyUsage UsageOf(const AccountState& a, std::string_view policy_arn) {
  PolicyUsage u;
  auto attached = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), policy_arn) != v.end();
  };
  for (const auto& [k, e] : a.users) {
    u.attachments += attached(e.attached);
    u.boundaries += e.boundary == policy_arn;
  }
  for (const auto& [k, e] : a.groups) u.attachments += attached(e.attached);
  for (const auto& [k, e] : a.roles) {
    u.attachments += attached(e.attached);
    u.boundaries += e.boundary == policy_arn;
  }
  return u;
}

json::object PolicyJson(const PolicyEntity& p, const AccountState& a) {
  PolicyUsage usage = UsageOf(a, p.Arn());
  json::object o{{"PolicyName", p.name},
                 {"PolicyId", p.id},
                 {"Arn", p.Arn()},
                 {"Path", p.path},
                 {"DefaultVersionId", p.default_version},
                 {"AttachmentCount", usage.attachments},
                 {"PermissionsBoundaryUsageCount", usage.boundaries},
                 {"IsAttachable", true},
                 {"CreateDate", p.created_ms},
                 {"UpdateDate", p.updated_ms}};
  if (!p.description.empty()) o["Description"] = p.description;
  return o;
}

json::object ProfileJson(std::string_view account, const InstanceProfile& p, const AccountState& a) {
  json::array roles;
  for (const auto& key : p.roles)
    if (auto it = a.roles.find(key); it != a.roles.end()) roles.push_back(RoleJson(account, it->second));
  json::object o{{"Path", p.path},
                 {"InstanceProfileName", p.name},
                 {"InstanceProfileId", p.id},
                 {"Arn", ProfileArn(account, p)},
                 {"CreateDate", p.created_ms},
                 {"Roles", std::move(roles)}};
  if (!p.tags.empty()) o["Tags"] = TagsJson(p.tags);
  return o;
}

// ---- provider

IamProvider::IamProvider(std::unique_ptr<Env> env)
    : env_(std::move(env)), directory_(std::make_unique<IamDirectory>(*env_)) {}

IamProvider::~IamProvider() {
  flush_.reset();
  auto s = env_->FlushKeyUse();
  if (!s) spdlog::warn("iam: writing access key use: {}", s.error().message);
}

Result<std::unique_ptr<IamProvider>> IamProvider::Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                                       IamOptions options) {
  if (!options.clock) options.clock = UnixNowMs;
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("iam", Migrations(), FreshSchema()));
  auto env = std::make_unique<Env>(metadata, std::move(options));
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT account, kind, doc FROM iam_entities"));
    CENOTE_ASSIGN_OR_RETURN(auto uses,
                            txn->Query("SELECT key_id, used_ms, service, region FROM iam_key_use"));
    MutexLock lock(env->mu);
    for (const auto& row : rows) {
      boost::system::error_code ec;
      auto v = json::parse(store::AsText(row[2]), ec);
      if (ec || !v.is_object()) return InternalError("corrupt IAM entity document");
      const std::string account = store::AsText(row[0]);
      CENOTE_RETURN_IF_ERROR(LoadRow(env->accounts[account], account, store::AsText(row[1]), v.as_object()));
    }
    for (const auto& [account, state] : env->accounts) env->Publish(account);
    MutexLock usage_lock(env->usage_mu);
    for (const auto& row : uses)
      env->key_use[store::AsText(row[0])] =
          KeyUse{store::AsInt(row[1]), store::AsText(row[2]), store::AsText(row[3])};
  }
  auto provider = std::unique_ptr<IamProvider>(new IamProvider(std::move(env)));
  if (const std::int64_t every = provider->env_->options.key_use_flush_ms; every > 0) {
    IamProvider* p = provider.get();
    provider->flush_ = tasks.Every("iam.key-use", std::chrono::milliseconds(every), [p] {
      auto s = p->FlushKeyUse();
      if (!s) spdlog::warn("iam: writing access key use: {}", s.error().message);
    });
  }
  return provider;
}

Status IamProvider::FlushKeyUse() { return env_->FlushKeyUse(); }

const IamProvider::Table& IamProvider::table() const { return Operations(); }

const std::vector<std::string_view>& IamProvider::SupportedOperations() { return Operations().names(); }

}  // namespace cenote::iam
