// Shared internals of the Organizations provider: the in-memory state (an immutable snapshot replaced on
// every change), ids and ARNs, input checks in Organizations' words, and the handlers each .cpp of this
// directory implements. Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/provider.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "iam/policy.hpp"
#include "services/common/params.hpp"
#include "services/organizations/errors.hpp"
#include "services/organizations/organizations_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::organizations {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using services::GetArray;
using services::GetInt;
using services::GetObject;
using services::GetString;

inline constexpr std::string_view kScp = "SERVICE_CONTROL_POLICY";
inline constexpr std::string_view kRcp = "RESOURCE_CONTROL_POLICY";
inline constexpr std::string_view kFullAwsAccessId = "p-FullAWSAccess";
inline constexpr std::string_view kRcpFullAwsAccessId = "p-RCPFullAWSAccess";
inline constexpr std::string_view kDefaultRoleName = "OrganizationAccountAccessRole";
inline constexpr std::string_view kAdministratorAccessArn = "arn:aws:iam::aws:policy/AdministratorAccess";
inline constexpr std::string_view kServicePrincipal = "organizations.amazonaws.com";
inline constexpr int kMaxOuDepth = 5;              // levels of OUs under the root (SCPs enabled or not)
inline constexpr std::size_t kMaxOus = 1000;       // OUs in an organization
inline constexpr std::size_t kMaxPolicies = 1000;  // policies of one type
inline constexpr std::size_t kMaxAttachments = 5;  // policies of one type on one target (SCP and RCP)
inline constexpr std::size_t kMaxTags = 50;
inline constexpr std::int64_t kDefaultPageSize = 20;

using Tags = std::map<std::string, std::string>;

// ---- the state (plain values; a State is copied, changed and published as a whole)

struct Organization {
  std::string id;           // o-xxxxxxxxxx
  std::string feature_set;  // ALL, CONSOLIDATED_BILLING
  std::string management_account;
  std::string management_email;
  std::string root_id;                         // r-xxxx
  std::vector<std::string> root_policy_types;  // enabled, in enabling order
  Tags root_tags;
  std::int64_t created_ms = 0;
  std::uint64_t next_account_number = 0;  // the next 12-digit account id to try
};

struct Account {
  std::string id;
  std::string name;
  std::string email;
  std::string parent;         // r-... or ou-...; "" once removed from the organization (standalone)
  std::string status;         // ACTIVE, SUSPENDED
  std::string joined_method;  // CREATED, INVITED (the management account)
  std::int64_t joined_ms = 0;
  Tags tags;
};

struct Unit {
  std::string id;  // ou-<root suffix>-xxxxxxxx
  std::string name;
  std::string parent;
  Tags tags;
};

struct PolicyRecord {
  std::string id;
  std::string name;
  std::string description;
  std::string type;
  std::string content;
  bool aws_managed = false;
  std::set<std::string> targets;  // root, OU and account ids it is attached to
  Tags tags;
  std::shared_ptr<const iam::Policy> compiled;  // not stored: parsed on load and on change
};

struct CreateRequest {
  std::string id;  // car-<32 hex>
  std::string account_name;
  std::string email;
  std::string role_name;
  std::string state;       // IN_PROGRESS, SUCCEEDED, FAILED
  std::string account_id;  // allocated when requested; reported once SUCCEEDED
  std::string failure_reason;
  std::int64_t requested_ms = 0;
  std::int64_t completed_ms = 0;
  Tags tags;  // the new account's
};

struct State {
  std::optional<Organization> org;
  std::map<std::string, Account> accounts;  // in the organization, or removed from it (parent "")
  std::map<std::string, Unit> units;
  std::map<std::string, PolicyRecord> policies;
  std::map<std::string, CreateRequest> requests;

  const Account* FindMember(std::string_view id) const;  // in the organization
  bool IsRoot(std::string_view id) const { return org && id == org->root_id; }
  bool IsParent(std::string_view id) const { return IsRoot(id) || units.count(std::string(id)) > 0; }
  // OU depth of a parent: 0 for the root, 1 for its child OUs, ...
  int Depth(std::string_view parent) const;
  // Root first, then each OU, down to `parent` itself.
  std::vector<std::string> PathTo(std::string_view parent) const;
  bool PolicyTypeEnabled(std::string_view type) const;
  // The policies of `type` attached to `target`, by id.
  std::vector<const PolicyRecord*> AttachedTo(std::string_view target, std::string_view type) const;
};

// ---- ids and ARNs

std::string RandomLowerAlnum(std::size_t n);
std::string OrganizationArn(const Organization& org);
std::string RootArn(const Organization& org);
std::string AccountArn(const Organization& org, std::string_view account_id);
std::string UnitArn(const Organization& org, std::string_view ou_id);
std::string PolicyArn(const Organization& org, const PolicyRecord& policy);
std::string PolicyArn(const Organization& org, std::string_view id, std::string_view type, bool aws_managed);
// The ARN of a root, OU or account id of this organization (whether or not it exists yet), or of a policy
// that exists; nullopt otherwise.
std::optional<std::string> TargetArn(const State& s, std::string_view id);
bool IsAccountId(std::string_view id);
bool IsRootId(std::string_view id);
bool IsUnitId(std::string_view id);
bool IsPolicyId(std::string_view id);
std::string LowerPolicyType(std::string_view type);  // "service_control_policy"
// The policy kind of a supported policy type (SCP, RCP); nullopt for the others.
std::optional<iam::PolicyKind> KindOf(std::string_view type);

// ---- the stored documents

// kind ("organization", "account", "ou", "policy", "request") + id -> document text.
using Documents = std::map<std::pair<std::string, std::string>, std::string>;
Documents ToDocuments(const State& s);
Result<State> FromRows(const std::vector<store::Row>& rows);

// ---- the seam's view, rebuilt with every snapshot

struct AccountView {
  std::string path;                                       // o-.../r-.../ou-.../
  std::vector<std::vector<iam::NamedPolicy>> layers;      // SCPs
  std::vector<std::vector<iam::NamedPolicy>> rcp_layers;  // RCPs
};
struct Snapshot {
  std::shared_ptr<const State> state;
  std::string org_id;
  std::map<std::string, AccountView, std::less<>> members;  // accounts in the organization
  std::set<std::string, std::less<>> existing;              // Accounts::AccountExists
};
std::shared_ptr<const Snapshot> BuildSnapshot(std::shared_ptr<const State> state, const std::string& home,
                                              const std::vector<std::string>& standalone);

// ---- errors with a Reason

Error ConstraintViolation(std::string_view reason, std::string_view message);
Error InvalidInput(std::string_view reason, std::string_view message);
Error InvalidPattern(std::string_view member);

// ---- input readers in Organizations' words

Result<std::string> RequireId(const json::object& in, std::string_view member,
                              bool (*valid)(std::string_view), std::string_view reason = "INVALID_PATTERN");
// Tags: [{Key, Value}]: unique keys, lengths, no aws: prefix.
Result<Tags> ReadTags(const json::object& in, std::string_view member);
Status CheckTagCount(std::size_t n);
// One page of `items` (sorted by their key) after NextToken, MaxResults (1..20) at a time.
Result<json::object> Page(const json::object& in,
                          const std::vector<std::pair<std::string, json::value>>& items,
                          std::string_view member);
json::array TagList(const Tags& tags);

// ---- Env

struct Env {
  Env(store::MetadataStore& metadata_store, aws::Invoker& call, OrganizationsOptions opts);

  store::MetadataStore& metadata;
  aws::Invoker& invoker;
  const OrganizationsOptions options;

  std::int64_t Now() const { return options.clock(); }

  std::shared_ptr<const Snapshot> Current() const LOCKS_EXCLUDED(mu);
  // The current state after checking that the caller is the organization's management account.
  Result<std::shared_ptr<const State>> ForManagement(const RequestContext& ctx) const;
  // Runs `change` on a copy of the current state, one change at a time; when it succeeds, commits the
  // documents it changed in one transaction and publishes the copy.
  Status Change(const std::function<Status(State&)>& change) LOCKS_EXCLUDED(write_mu);
  // Publishes `state` without storing it (Open).
  void Publish(std::shared_ptr<const State> state) LOCKS_EXCLUDED(mu);

  // Create-account requests a thread is working on (not to be resumed by another).
  bool Claim(const std::string& request_id) LOCKS_EXCLUDED(claims_mu);
  void Release(const std::string& request_id) LOCKS_EXCLUDED(claims_mu);

 private:
  mutable Mutex mu;
  std::shared_ptr<const Snapshot> snapshot GUARDED_BY(mu);
  Mutex write_mu;  // serializes Change: held across the copy, the commit and the publish
  Mutex claims_mu;
  std::set<std::string> claims GUARDED_BY(claims_mu);
};

// The caller is the management account of the organization (else AWSOrganizationsNotInUseException or
// AccessDeniedException, as AWS answers).
Status RequireManagement(const State& s, const RequestContext& ctx);
// Sets up the role of a create-account request in its new account and records the outcome.
void CompleteCreateAccount(Env& env, const std::string& request_id);

// ---- handlers

// organization.cpp
Result<OperationOutput> CreateOrganization(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DescribeOrganization(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeleteOrganization(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListRoots(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> EnablePolicyType(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DisablePolicyType(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext& ctx, OperationInput& in);
// accounts.cpp
Result<OperationOutput> CreateAccount(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DescribeCreateAccountStatus(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListCreateAccountStatus(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DescribeAccount(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListAccounts(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListAccountsForParent(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> MoveAccount(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> RemoveAccountFromOrganization(Env& env, const RequestContext& ctx,
                                                      OperationInput& in);
Result<OperationOutput> CloseAccount(Env& env, const RequestContext& ctx, OperationInput& in);
// units.cpp
Result<OperationOutput> CreateOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DescribeOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> UpdateOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeleteOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListOrganizationalUnitsForParent(Env& env, const RequestContext& ctx,
                                                         OperationInput& in);
Result<OperationOutput> ListParents(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListChildren(Env& env, const RequestContext& ctx, OperationInput& in);
// policies.cpp
Result<OperationOutput> CreatePolicy(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DescribePolicy(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> UpdatePolicy(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DeletePolicy(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListPolicies(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> AttachPolicy(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DetachPolicy(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListPoliciesForTarget(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> ListTargetsForPolicy(Env& env, const RequestContext& ctx, OperationInput& in);

// Shared by policies.cpp and the others: attach the AWS-managed default policy of every enabled type
// (FullAWSAccess, RCPFullAWSAccess) to a new target.
void AttachDefaults(State& s, const std::string& target);
// Detaches every policy from a target that is going away.
void DetachAll(State& s, const std::string& target);
json::object RootDocument(const State& s);
json::object AccountDocument(const Organization& org, const Account& a);

}  // namespace cenote::organizations
