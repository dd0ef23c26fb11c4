// IAM policy evaluation: Allow, explicit Deny or implicit Deny for one request against every policy that
// applies to it, with the statement (or the missing layer) that decided (reference_policies_evaluation-
// logic.md, reference_policies_evaluation-logic-cross-account.md).
//
// The flow, as AWS documents it:
//   1. An applicable Deny statement in any policy (SCPs, RCPs, the resource policy, identity policies, the
//      permissions boundary, session policies) -> explicit deny.
//   2. RCPs (the resource owner's organization path, root to account): every layer needs an applicable
//      Allow, else implicit deny. SCPs (the principal's organization path) likewise. Callers pass no layers
//      where they do not apply (no organization, the management account, service principals).
//   3. The principal's own side: identity policies must allow; then a permissions boundary, if set, must
//      allow; then, for a session (assumed role, federated user), the session policies, if passed, must allow
//      (a federated-user session without session policies is implicitly denied). The account's root user
//      needs no identity policy (but SCPs and explicit denies still bind it).
//   4. The resource policy, whose effect depends on which principal its Allow statement names:
//        - same account, naming the caller's own ARN (IAM user, role session, federated-user session) or
//          "*": allows on its own, whatever identity policies, boundary and session policies say;
//        - same account, naming the role (for a role session) or the IAM user that federated (for a
//          federated-user session): allows unless the permissions boundary or the session policies lack an
//          Allow (identity policies are not needed);
//        - naming the account (id or :root): delegates to the account, so the principal's own side must
//          allow as well;
//        - cross-account (principal and resource in different accounts): the resource policy must allow and
//          the principal's own side must allow, whatever principal form the statement uses.
//      Trust policies and KMS key policies must allow on their own (resource_policy_required); service
//      principals and anonymous callers have only the resource policy.
//
// Evaluation is pure (no I/O, no globals) and allocation-free in the common case; Evaluate may be called
// concurrently. The Decision borrows names from the PolicyRefs and Sids from the policies: keep them alive
// while the Decision is used.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iam/context_keys.hpp"
#include "iam/policy.hpp"
#include "iam/principal.hpp"

namespace cenote::iam {

// Who is asking, as the evaluator needs it (iam::Principal plus what IAM knows of the entity).
struct RequestPrincipal {
  PrincipalType type = PrincipalType::kAnonymous;
  std::string account_id;  // "" for anonymous and service principals
  // The caller's ARN: arn:aws:iam::A:user/path/name, arn:aws:sts::A:assumed-role/role/session,
  // arn:aws:sts::A:federated-user/name, arn:aws:iam::A:root.
  std::string arn;
  // The IAM entity behind a session: the role's ARN (with its path) for a role session, the IAM user that
  // called GetFederationToken for a federated user; otherwise empty.
  std::string entity_arn;
  std::string service;             // kService: "s3.amazonaws.com"
  std::string federated_provider;  // web identity / SAML sessions: the provider a trust policy names
  std::string canonical_user;      // S3 canonical user id of the account, when known
};

struct Request {
  std::string action;            // "s3:GetObject" (matched case-insensitively)
  std::string resource;          // the resource ARN ("*" for actions without a resource)
  std::string resource_account;  // the resource owner's account; "" means the principal's own account
  RequestPrincipal principal;
  ContextKeys context;  // condition keys; see AddPrincipalContextKeys for the principal's own
};

// Sets the global keys derived from the principal: aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalType, aws:userid (when `user_id` is given), aws:username (IAM users).
void AddPrincipalContextKeys(const RequestPrincipal& principal, std::string_view user_id, ContextKeys& keys);

// A policy lent to the evaluator, with the name explanations use ("AdminAccess", "bucket policy").
struct PolicyRef {
  std::string_view name;
  const Policy* policy = nullptr;
};

struct PolicySet {
  std::vector<PolicyRef> identity;  // the principal's identity-based policies (user + groups, or the role's)
  std::optional<PolicyRef> resource;
  // The resource policy must allow by itself (IAM role trust policies, KMS key policies): identity policies
  // alone never grant.
  bool resource_policy_required = false;
  std::optional<PolicyRef> boundary;
  std::vector<PolicyRef> session;  // session policies passed for this session (inline and managed)
  std::vector<std::vector<PolicyRef>> scp_layers;  // the principal's org path, root first
  std::vector<std::vector<PolicyRef>> rcp_layers;  // the resource owner's org path, root first
};

enum class Decision : std::uint8_t { kAllow, kExplicitDeny, kImplicitDeny };

enum class PolicyType : std::uint8_t {
  kIdentity,
  kResource,
  kBoundary,
  kSession,
  kScp,
  kRcp,
};

// "identity-based policy", "resource-based policy", "permissions boundary", "session policy",
// "service control policy", "resource control policy" (AWS's access-denied wording).
std::string_view PolicyTypeName(PolicyType type);

struct StatementRef {
  PolicyType type = PolicyType::kIdentity;
  std::string_view policy_name;
  std::string_view sid;
  int statement_index = 0;  // in the policy's Statement list
  int layer = 0;            // SCP/RCP layer (0 = organization root)
};

struct EvaluationResult {
  Decision decision = Decision::kImplicitDeny;
  // kAllow: the Allow statement that granted; kExplicitDeny: the Deny statement.
  std::optional<StatementRef> statement;
  // kImplicitDeny: the policy type that had no applicable Allow (and its layer for SCPs/RCPs).
  PolicyType missing = PolicyType::kIdentity;
  int missing_layer = 0;

  bool allowed() const { return decision == Decision::kAllow; }
};

EvaluationResult Evaluate(const Request& request, const PolicySet& policies);

// The reason clause of AWS's newer AccessDenied messages: "with an explicit deny in a resource-based
// policy", "because no identity-based policy allows the s3:GetObject action". Empty for kAllow.
std::string DenialReason(const EvaluationResult& result, std::string_view action);
// The whole message: `User: <arn> is not authorized to perform: <action> on resource: "<resource>"
// <reason>` (anonymous callers are "anonymous").
std::string AccessDeniedMessage(const Request& request, const EvaluationResult& result);
// One line for audit mode: the decision and the deciding statement or missing layer.
std::string DescribeEvaluation(const EvaluationResult& result);

}  // namespace cenote::iam
