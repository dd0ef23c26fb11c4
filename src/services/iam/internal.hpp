// The IAM provider's state and the helpers its handlers share (users.cpp, groups.cpp, roles.cpp,
// policies.cpp, account.cpp, simulate.cpp). Not a public header: other services see IAM only through
// iam::Directory, iam::CredentialSource (iam/directory.hpp) and iam::OidcProviders (oidc_providers.hpp).
//
// State: one AccountState per account, every entity a plain value keyed by its lower-cased name (IAM names
// are unique case-insensitively and keep the case they were created with). All of it is guarded by Env::mu:
// a handler takes the lock, checks, persists the changed entities in one metadata transaction, applies the
// change in memory and republishes that account's Snapshot, in that order, so a change is acknowledged only
// once it is durable and is visible to the next request's authorization.
//
// Snapshots: immutable per-account views (compiled policies per user and role, roles, managed policies,
// access keys, OIDC providers) that the request path (Directory, CredentialSource, OidcProviders) reads
// without touching Env::mu; a writer swaps the account's shared_ptr under snapshot_mu.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "aws/provider.hpp"
#include "common/background_tasks.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "iam/policy_cache.hpp"
#include "services/common/params.hpp"
#include "services/iam/errors.hpp"
#include "services/iam/iam_provider.hpp"
#include "services/iam/oidc_providers.hpp"
#include "store/metadata_store.hpp"

namespace cenote::iam {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetObject;
using services::GetString;

// ---- entities (plain values; the maps holding them are guarded by Env::mu)

struct InlinePolicy {
  std::string name;
  std::string document;  // as the caller sent it (IAM returns it URL-encoded, as given)
};

struct AccessKey {
  std::string id;  // AKIA + 16
  std::string secret;
  std::string status = "Active";  // Active | Inactive
  std::int64_t created_ms = 0;
};

struct User {
  std::string name, path = "/", id;
  std::int64_t created_ms = 0;
  Tags tags;
  std::vector<InlinePolicy> policies;
  std::vector<std::string> attached;  // managed policy ARNs, in attachment order
  std::string boundary;               // permissions boundary ARN, or ""
  std::vector<std::string> groups;    // lower-cased group keys, in the order the user joined them
  std::vector<AccessKey> keys;
};

struct Group {
  std::string name, path = "/", id;
  std::int64_t created_ms = 0;
  std::vector<InlinePolicy> policies;
  std::vector<std::string> attached;
};

struct Role {
  std::string name, path = "/", id;
  std::int64_t created_ms = 0;
  std::string trust;  // AssumeRolePolicyDocument
  std::string description;
  std::int64_t max_session_s = 3600;
  std::string boundary;
  Tags tags;
  std::vector<InlinePolicy> policies;
  std::vector<std::string> attached;
  std::string service_linked;  // the AWS service of a service-linked role ("" otherwise)
};

struct PolicyVersion {
  std::string id;  // "v1", "v2", ...
  std::string document;
  std::int64_t created_ms = 0;
};

struct PolicyEntity {
  std::string name, path = "/", id, description;
  std::string account;  // "aws" for AWS-managed policies
  std::int64_t created_ms = 0, updated_ms = 0;
  std::string default_version = "v1";
  std::vector<PolicyVersion> versions;
  std::int64_t next_version = 2;
  Tags tags;

  bool aws_managed() const { return account == "aws"; }
  std::string Arn() const { return "arn:aws:iam::" + account + ":policy" + path + name; }
  const PolicyVersion* Default() const {
    for (const auto& v : versions)
      if (v.id == default_version) return &v;
    return nullptr;
  }
};

struct InstanceProfile {
  std::string name, path = "/", id;
  std::int64_t created_ms = 0;
  std::vector<std::string> roles;  // lower-cased role keys (at most one)
  Tags tags;
};

struct OidcProvider {
  std::string url;  // without scheme
  std::vector<std::string> client_ids, thumbprints;
  std::int64_t created_ms = 0;
  Tags tags;
};

struct AccountState {
  std::map<std::string, User> users;  // by lower-cased name
  std::map<std::string, Group> groups;
  std::map<std::string, Role> roles;
  std::map<std::string, PolicyEntity> policies;  // customer-managed, by lower-cased name
  std::map<std::string, InstanceProfile> profiles;
  std::map<std::string, OidcProvider> oidc;  // by URL (lower-cased host part as given)
  std::vector<std::string> aliases;
  std::optional<json::object> password_policy;
  // The root user's access keys made through the API (CreateAccessKey without UserName, as the root user):
  // at most two, as on AWS. The server's own root key (root-credentials.json) is not among them.
  std::vector<AccessKey> root_keys;
};

// ---- the request path's view of one account

struct AccountSnapshot {
  std::string account_id;
  // By lower-cased "user/<name>" and "role/<name>".
  std::unordered_map<std::string, std::shared_ptr<const EntityPolicies>> entities;
  std::unordered_map<std::string, RoleInfo> roles;  // by lower-cased role name
  // Customer-managed policies' default versions, by ARN.
  std::unordered_map<std::string, std::shared_ptr<const Policy>> managed;
  std::unordered_map<std::string, AccessKeyRecord> keys;  // active keys, by access key id
  std::vector<OidcProviderInfo> oidc;
};

// What a request signed with a key last did (GetAccessKeyLastUsed).
struct KeyUse {
  std::int64_t ms = 0;
  std::string service, region;
};

// The persisted entity kinds (the `kind` column of iam_entities).
inline constexpr std::string_view kUserKind = "user";
inline constexpr std::string_view kGroupKind = "group";
inline constexpr std::string_view kRoleKind = "role";
inline constexpr std::string_view kPolicyKind = "policy";
inline constexpr std::string_view kProfileKind = "instance-profile";
inline constexpr std::string_view kOidcKind = "oidc-provider";
inline constexpr std::string_view kAccountKind = "account";

// One row to write (doc) or delete (nullopt) in a transaction.
struct Change {
  std::string_view kind;
  std::string key;
  std::optional<json::object> doc;
};

// ---- the provider's state

struct Env {
  Env(store::MetadataStore& metadata_store, IamOptions iam_options);

  store::MetadataStore& metadata;
  const IamOptions options;
  PolicyCache cache{8192};

  mutable Mutex mu;
  std::map<std::string, AccountState> accounts GUARDED_BY(mu);

  mutable Mutex snapshot_mu;
  std::map<std::string, std::shared_ptr<const AccountSnapshot>> snapshots GUARDED_BY(snapshot_mu);

  mutable Mutex usage_mu;
  std::unordered_map<std::string, KeyUse> key_use GUARDED_BY(usage_mu);
  std::unordered_map<std::string, KeyUse> key_use_dirty GUARDED_BY(usage_mu);

  std::int64_t Now() const { return options.clock(); }
  AccountState& Account(const std::string& account_id) EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return accounts[account_id];
  }

  // Writes `changes` of `account` in one transaction (durable before it returns).
  Status Persist(const std::string& account, const std::vector<Change>& changes);
  // Rebuilds and publishes the snapshot of `account` from its state.
  void Publish(const std::string& account) EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Writes the recorded key uses not yet persisted.
  Status FlushKeyUse();

  std::shared_ptr<const AccountSnapshot> SnapshotOf(std::string_view account) const;
};

// ---- documents (state.cpp)

json::object ToDoc(const User& u);
json::object ToDoc(const Group& g);
json::object ToDoc(const Role& r);
json::object ToDoc(const PolicyEntity& p);
json::object ToDoc(const InstanceProfile& p);
json::object ToDoc(const OidcProvider& p);
json::object AccountDoc(const AccountState& a);
// Loads one persisted row into `a`.
Status LoadRow(AccountState& a, const std::string& account, std::string_view kind, const json::object& doc);

// ---- AWS-managed policies (aws_managed.cpp): the embedded catalog, by ARN

const std::map<std::string, PolicyEntity>& AwsManagedPolicies();

// ---- shared helpers (iam_provider.cpp)

std::string Lower(std::string_view s);
std::string NewId(std::string_view prefix);  // prefix + 16 of [A-Z0-9]
std::string UserArn(std::string_view account, const User& u);
std::string GroupArn(std::string_view account, const Group& g);
std::string RoleArn(std::string_view account, const Role& r);
std::string ProfileArn(std::string_view account, const InstanceProfile& p);
std::string OidcArn(std::string_view account, const OidcProvider& p);
std::string PercentEncode(std::string_view text);  // IAM's URL-encoded policy documents

// The path parameter (default "/"), checked as IAM does: starts and ends with '/'.
Result<std::string> PathParam(const json::object& in, std::string_view member = "Path");
// A policy document parameter: parsed for `kind`, its size checked against `quota` (for an inline quota,
// `other_size` is the size of the entity's other inline policies).
Result<std::string> PolicyDocumentParam(Env& env, const json::object& in, std::string_view member,
                                        PolicyKind kind, PolicyQuota quota, std::string_view entity_name = {},
                                        std::size_t other_size = 0);
// Tags parameter ([{Key, Value}]) merged into `tags` (a key's case-insensitive match is replaced); at
// most 50.
Status MergeTags(Tags& tags, const json::array* in);
void RemoveTags(Tags& tags, const json::array* keys);
json::array TagsJson(const Tags& tags);

// Marker/MaxItems paging over a sorted list of keys: the index of the first item and the page size.
struct Page {
  std::size_t begin = 0, end = 0;
  bool truncated = false;
  std::string marker;  // of the next page when truncated
};
Result<Page> Paginate(const json::object& in, const std::vector<std::string>& keys);
void AddPaging(json::object& out, const Page& page);

// Entity lookups in the caller's account (errors in IAM's words).
Result<User*> FindUser(AccountState& a, std::string_view name);
Result<Group*> FindGroup(AccountState& a, std::string_view name);
Result<Role*> FindRole(AccountState& a, std::string_view name);
// A managed policy by ARN: the account's own or an AWS-managed one (nullptr when neither).
const PolicyEntity* FindManagedPolicy(const AccountState& a, std::string_view account, std::string_view arn);
PolicyEntity* FindOwnPolicy(AccountState& a, std::string_view account, std::string_view arn);

// Output shapes.
json::object UserJson(std::string_view account, const User& u);
json::object GroupJson(std::string_view account, const Group& g);
json::object RoleJson(std::string_view account, const Role& r);
json::object PolicyJson(const PolicyEntity& p, const AccountState& a);
json::object ProfileJson(std::string_view account, const InstanceProfile& p, const AccountState& a);
json::object BoundaryJson(std::string_view arn);

// Attachment counts of a managed policy in one account.
struct PolicyUsage {
  std::int64_t attachments = 0;
  std::int64_t boundaries = 0;
};
PolicyUsage UsageOf(const AccountState& a, std::string_view policy_arn);

// The caller's account state and key (the handlers' common first line).
#define IAM_ACCOUNT(env, ctx)                      \
  MutexLock iam_lock_((env).mu);                   \
  const std::string& account = (ctx).account_id(); \
  AccountState& a = (env).Account(account)

// ---- handlers

using Handler = Result<OperationOutput> (*)(Env&, const RequestContext&, OperationInput&);
#define IAM_HANDLER(name)                                                                             \
  Result<OperationOutput> name([[maybe_unused]] Env& env, [[maybe_unused]] const RequestContext& ctx, \
                               [[maybe_unused]] OperationInput& in)

// users.cpp
IAM_HANDLER(CreateUser);
IAM_HANDLER(GetUser);
IAM_HANDLER(ListUsers);
IAM_HANDLER(UpdateUser);
IAM_HANDLER(DeleteUser);
IAM_HANDLER(TagUser);
IAM_HANDLER(UntagUser);
IAM_HANDLER(ListUserTags);
IAM_HANDLER(CreateAccessKey);
IAM_HANDLER(ListAccessKeys);
IAM_HANDLER(UpdateAccessKey);
IAM_HANDLER(DeleteAccessKey);
IAM_HANDLER(GetAccessKeyLastUsed);
// groups.cpp
IAM_HANDLER(CreateGroup);
IAM_HANDLER(GetGroup);
IAM_HANDLER(ListGroups);
IAM_HANDLER(ListGroupsForUser);
IAM_HANDLER(AddUserToGroup);
IAM_HANDLER(RemoveUserFromGroup);
IAM_HANDLER(DeleteGroup);
IAM_HANDLER(UpdateGroup);
// roles.cpp
IAM_HANDLER(CreateRole);
IAM_HANDLER(GetRole);
IAM_HANDLER(ListRoles);
IAM_HANDLER(UpdateRole);
IAM_HANDLER(UpdateRoleDescription);
IAM_HANDLER(UpdateAssumeRolePolicy);
IAM_HANDLER(DeleteRole);
IAM_HANDLER(TagRole);
IAM_HANDLER(UntagRole);
IAM_HANDLER(ListRoleTags);
IAM_HANDLER(CreateInstanceProfile);
IAM_HANDLER(GetInstanceProfile);
IAM_HANDLER(ListInstanceProfiles);
IAM_HANDLER(ListInstanceProfilesForRole);
IAM_HANDLER(AddRoleToInstanceProfile);
IAM_HANDLER(RemoveRoleFromInstanceProfile);
IAM_HANDLER(DeleteInstanceProfile);
IAM_HANDLER(TagInstanceProfile);
IAM_HANDLER(UntagInstanceProfile);
IAM_HANDLER(ListInstanceProfileTags);
// policies.cpp
IAM_HANDLER(PutUserPolicy);
IAM_HANDLER(GetUserPolicy);
IAM_HANDLER(DeleteUserPolicy);
IAM_HANDLER(ListUserPolicies);
IAM_HANDLER(PutGroupPolicy);
IAM_HANDLER(GetGroupPolicy);
IAM_HANDLER(DeleteGroupPolicy);
IAM_HANDLER(ListGroupPolicies);
IAM_HANDLER(PutRolePolicy);
IAM_HANDLER(GetRolePolicy);
IAM_HANDLER(DeleteRolePolicy);
IAM_HANDLER(ListRolePolicies);
IAM_HANDLER(CreatePolicy);
IAM_HANDLER(GetPolicy);
IAM_HANDLER(ListPolicies);
IAM_HANDLER(DeletePolicy);
IAM_HANDLER(CreatePolicyVersion);
IAM_HANDLER(GetPolicyVersion);
IAM_HANDLER(ListPolicyVersions);
IAM_HANDLER(DeletePolicyVersion);
IAM_HANDLER(SetDefaultPolicyVersion);
IAM_HANDLER(AttachUserPolicy);
IAM_HANDLER(DetachUserPolicy);
IAM_HANDLER(ListAttachedUserPolicies);
IAM_HANDLER(AttachGroupPolicy);
IAM_HANDLER(DetachGroupPolicy);
IAM_HANDLER(ListAttachedGroupPolicies);
IAM_HANDLER(AttachRolePolicy);
IAM_HANDLER(DetachRolePolicy);
IAM_HANDLER(ListAttachedRolePolicies);
IAM_HANDLER(ListEntitiesForPolicy);
IAM_HANDLER(TagPolicy);
IAM_HANDLER(UntagPolicy);
IAM_HANDLER(ListPolicyTags);
IAM_HANDLER(PutUserPermissionsBoundary);
IAM_HANDLER(DeleteUserPermissionsBoundary);
IAM_HANDLER(PutRolePermissionsBoundary);
IAM_HANDLER(DeleteRolePermissionsBoundary);
// account.cpp
IAM_HANDLER(CreateOpenIDConnectProvider);
IAM_HANDLER(GetOpenIDConnectProvider);
IAM_HANDLER(ListOpenIDConnectProviders);
IAM_HANDLER(DeleteOpenIDConnectProvider);
IAM_HANDLER(AddClientIDToOpenIDConnectProvider);
IAM_HANDLER(RemoveClientIDFromOpenIDConnectProvider);
IAM_HANDLER(UpdateOpenIDConnectProviderThumbprint);
IAM_HANDLER(TagOpenIDConnectProvider);
IAM_HANDLER(UntagOpenIDConnectProvider);
IAM_HANDLER(ListOpenIDConnectProviderTags);
IAM_HANDLER(GetAccountAuthorizationDetails);
IAM_HANDLER(GetAccountSummary);
IAM_HANDLER(CreateAccountAlias);
IAM_HANDLER(ListAccountAliases);
IAM_HANDLER(DeleteAccountAlias);
IAM_HANDLER(GetAccountPasswordPolicy);
IAM_HANDLER(UpdateAccountPasswordPolicy);
IAM_HANDLER(DeleteAccountPasswordPolicy);
// simulate.cpp
IAM_HANDLER(SimulatePrincipalPolicy);
IAM_HANDLER(SimulateCustomPolicy);
IAM_HANDLER(GetContextKeysForPrincipalPolicy);
IAM_HANDLER(GetContextKeysForCustomPolicy);

}  // namespace cenote::iam
