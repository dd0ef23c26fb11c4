// IAM policy documents: parsing, validation and the compiled, immutable form the evaluator runs
// (reference_policies_elements.md, reference_policies_grammar.md).
//
// ParsePolicy accepts what IAM accepts for the given kind of policy and answers IAM's
// MalformedPolicyDocument (policy_errors.hpp) for anything else:
//   - Version "2012-10-17" or "2008-10-17" (absent means 2008-10-17); policy variables (`${...}`) are
//     recognised only in 2012-10-17 documents, as in AWS, and are plain text in 2008-10-17 ones.
//   - Statement: one object or an array; Sid (unique; alphanumeric in IAM-owned policies), Effect (Allow or
//     Deny, required), Principal/NotPrincipal, Action/NotAction (one of them required),
//     Resource/NotResource (required except in role trust policies), Condition. A single string or an array
//     wherever AWS allows either. Unknown elements are rejected.
//   - Kind rules: identity, permissions-boundary and session policies must not name a principal;
//     resource-based and trust policies must; trust policies name no resource; SCPs name no principal and
//     their Allow statements take Resource "*", no Condition and no NotAction; RCPs name Principal "*".
// Patterns (actions, resource ARNs, condition values) are compiled once here, so evaluation does no parsing.
//
// A Policy is immutable and safe to share between threads (the evaluator and PolicyCache do).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "iam/condition.hpp"
#include "iam/pattern.hpp"

namespace cenote::iam {

enum class PolicyKind : std::uint8_t {
  kIdentity,  // attached to a user, group or role (inline or managed)
  kResource,  // attached to a resource: bucket, queue, topic, key, stream, ...
  kTrust,     // a role's trust policy (who may assume it)
  kBoundary,  // a permissions boundary (an identity policy used as a limit)
  kSession,   // passed to AssumeRole*/GetFederationToken
  kScp,       // Organizations service control policy
  kRcp,       // Organizations resource control policy
};

enum class Effect : std::uint8_t { kAllow, kDeny };

// The principals a Principal or NotPrincipal element names.
struct PrincipalSet {
  bool everyone = false;               // "*" or {"AWS": "*"}
  std::vector<std::string> accounts;   // 12-digit ids, from "123456789012" or "arn:...:iam::id:root"
  std::vector<std::string> arns;       // IAM users and roles, STS role sessions and federated users
  std::vector<std::string> services;   // "s3.amazonaws.com" (lower-cased)
  std::vector<std::string> federated;  // identity providers: "cognito-identity.amazonaws.com", SAML ARNs
  std::vector<std::string> canonical_users;  // S3 canonical user ids
};

struct Statement {
  std::string sid;  // "" when absent
  Effect effect = Effect::kAllow;

  bool has_principal = false;  // Principal or NotPrincipal present
  bool not_principal = false;
  PrincipalSet principals;

  bool not_action = false;
  std::vector<Pattern> actions;  // case-insensitive "service:action" patterns

  bool has_resource = false;  // false only in trust policies: the statement covers the role itself
  bool not_resource = false;
  std::vector<ArnPattern> resources;

  std::vector<Condition> conditions;  // all must hold (AND)
};

class Policy {
 public:
  PolicyKind kind() const { return kind_; }
  const std::string& version() const { return version_; }  // "2012-10-17" or "2008-10-17"
  const std::string& id() const { return id_; }
  const std::vector<Statement>& statements() const { return statements_; }

 private:
  friend Result<Policy> ParsePolicy(std::string_view text, PolicyKind kind);

  PolicyKind kind_ = PolicyKind::kIdentity;
  std::string version_;
  std::string id_;
  std::vector<Statement> statements_;
};

// Parses and validates a policy document of the given kind. On failure the error is IAM's
// MalformedPolicyDocument with IAM's message. Size quotas are not checked here (CheckPolicySize).
Result<Policy> ParsePolicy(std::string_view text, PolicyKind kind);

// The size IAM counts against its quotas: characters (UTF-8 code points) other than white space
// (reference_iam-quotas.md: "IAM doesn't count white space when calculating the size of a policy").
std::size_t PolicySizeWithoutWhitespace(std::string_view text);

// IAM and Organizations policy-size quotas (reference_iam-quotas.md, IAM and AWS STS quotas).
enum class PolicyQuota : std::uint8_t {
  kManagedPolicy,  // 6,144 characters
  kUserInline,     // 2,048 (aggregate of a user's inline policies)
  kGroupInline,    // 5,120
  kRoleInline,     // 10,240
  kRoleTrust,      // 2,048 (the default; AWS can raise it to 4,096)
  kScp,            // 5,120
};
std::size_t PolicyQuotaLimit(PolicyQuota quota);
// LimitExceeded (HTTP 409) in IAM's words when `size` (PolicySizeWithoutWhitespace, summed over an entity's
// inline policies where the quota is an aggregate) is over the quota; `entity_name` names the user, group or
// role for the inline quotas.
Status CheckPolicySize(std::size_t size, PolicyQuota quota, std::string_view entity_name = {});

}  // namespace cenote::iam
