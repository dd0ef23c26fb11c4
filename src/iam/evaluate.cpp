#include "iam/evaluate.hpp"

#include <algorithm>

#include "common/strings.hpp"

namespace cenote::iam {

namespace {

// How specifically a resource policy's Allow names the caller; the order is the precedence.
enum class Grant : std::uint8_t {
  kNone,
  kAccount,  // the caller's account (id, :root ARN, canonical user): a delegation to the account
  kEntity,   // the role behind a role session, the IAM user behind a federated-user session
  kDirect,   // the caller itself (user ARN, session ARN, service, federated provider) or "*"
};

bool ContainsString(const std::vector<std::string>& list, std::string_view value) {
  if (value.empty()) return false;
  for (const std::string& item : list) {
    if (item == value) return true;
  }
  return false;
}

bool ContainsIgnoreCase(const std::vector<std::string>& list, std::string_view value) {
  if (value.empty()) return false;
  for (const std::string& item : list) {
    if (EqualsIgnoreAsciiCase(item, value)) return true;
  }
  return false;
}

// The most specific way a Principal element names the caller.
Grant MatchPrincipal(const PrincipalSet& set, const RequestPrincipal& p) {
  if (set.everyone) return Grant::kDirect;
  switch (p.type) {
    case PrincipalType::kAnonymous:
      return Grant::kNone;
    case PrincipalType::kService:
      return ContainsIgnoreCase(set.services, p.service) ? Grant::kDirect : Grant::kNone;
    default:
      break;
  }
  if (ContainsString(set.arns, p.arn)) return Grant::kDirect;
  if (ContainsString(set.federated, p.federated_provider)) return Grant::kDirect;
  if (ContainsString(set.arns, p.entity_arn)) return Grant::kEntity;
  if (ContainsString(set.accounts, p.account_id) || ContainsString(set.canonical_users, p.canonical_user)) {
    return Grant::kAccount;
  }
  return Grant::kNone;
}

// NotPrincipal: AWS checks the caller's chain (account, then role or federating user, then the session or
// user) and exempts the caller only when every link is listed (reference_policies_elements_notprincipal.md:
// list the account and the role as well as the session). The statement applies when the caller is not
// exempt.
bool NotPrincipalApplies(const PrincipalSet& set, const RequestPrincipal& p) {
  if (set.everyone) return false;
  switch (p.type) {
    case PrincipalType::kAnonymous:
      return true;
    case PrincipalType::kService:
      return !ContainsIgnoreCase(set.services, p.service);
    case PrincipalType::kRoot:
      return !ContainsString(set.accounts, p.account_id);
    default:
      break;
  }
  if (!ContainsString(set.accounts, p.account_id)) return true;
  if (!p.entity_arn.empty() && !ContainsString(set.arns, p.entity_arn)) return true;
  return !ContainsString(set.arns, p.arn);
}

bool ActionMatches(const Statement& s, std::string_view action) {
  bool any = false;
  for (const Pattern& pattern : s.actions) {
    if (pattern.Match(action)) {
      any = true;
      break;
    }
  }
  return any != s.not_action;
}

bool ResourceMatches(const Statement& s, const SplitArn& resource, const ContextKeys& keys) {
  if (!s.has_resource) return true;
  bool any = false;
  for (const ArnPattern& pattern : s.resources) {
    if (pattern.Match(resource, &keys)) {
      any = true;
      break;
    }
  }
  return any != s.not_resource;
}

bool ConditionsHold(const Statement& s, const ContextKeys& keys) {
  for (const Condition& condition : s.conditions) {
    if (!condition.Evaluate(keys)) return false;
  }
  return true;
}

// The outcome of scanning one policy (or several of one type) for applicable statements.
struct Scan {
  std::optional<StatementRef> deny;
  std::optional<StatementRef> allow;
  Grant grant = Grant::kNone;  // resource policies: how the best Allow names the caller
};

// Scans a policy's statements. Principal elements are checked when the policy has them (resource and RCP
// policies); an Allow found later only replaces the recorded one when it names the caller more specifically.
void ScanPolicy(const PolicyRef& ref, PolicyType type, int layer, const Request& request,
                const SplitArn& resource, Scan& scan) {
  if (ref.policy == nullptr) return;
  const std::vector<Statement>& statements = ref.policy->statements();
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const Statement& s = statements[i];
    if (s.effect == Effect::kAllow && scan.allow && scan.grant == Grant::kDirect) continue;
    Grant grant = Grant::kDirect;
    if (s.has_principal) {
      if (s.not_principal) {
        if (!NotPrincipalApplies(s.principals, request.principal)) continue;
      } else {
        grant = MatchPrincipal(s.principals, request.principal);
        if (grant == Grant::kNone) continue;
      }
    }
    if (!ActionMatches(s, request.action)) continue;
    if (!ResourceMatches(s, resource, request.context)) continue;
    if (!ConditionsHold(s, request.context)) continue;
    StatementRef found{type, ref.name, s.sid, static_cast<int>(i), layer};
    if (s.effect == Effect::kDeny) {
      scan.deny = found;
      return;  // one explicit deny decides
    }
    if (!scan.allow || grant > scan.grant) {
      scan.allow = found;
      scan.grant = grant;
    }
  }
}

void ScanPolicies(const std::vector<PolicyRef>& refs, PolicyType type, int layer, const Request& request,
                  const SplitArn& resource, Scan& scan) {
  for (const PolicyRef& ref : refs) {
    ScanPolicy(ref, type, layer, request, resource, scan);
    if (scan.deny) return;
  }
}

EvaluationResult ExplicitDeny(const StatementRef& ref) {
  EvaluationResult r;
  r.decision = Decision::kExplicitDeny;
  r.statement = ref;
  return r;
}

EvaluationResult ImplicitDeny(PolicyType missing, int layer = 0) {
  EvaluationResult r;
  r.decision = Decision::kImplicitDeny;
  r.missing = missing;
  r.missing_layer = layer;
  return r;
}

EvaluationResult Allow(const StatementRef& ref) {
  EvaluationResult r;
  r.decision = Decision::kAllow;
  r.statement = ref;
  return r;
}

}  // namespace

EvaluationResult Evaluate(const Request& request, const PolicySet& policies) {
  const RequestPrincipal& principal = request.principal;
  const bool anonymous_or_service =
      principal.type == PrincipalType::kAnonymous || principal.type == PrincipalType::kService;
  const bool root = principal.type == PrincipalType::kRoot;
  const bool session =
      principal.type == PrincipalType::kAssumedRole || principal.type == PrincipalType::kFederatedUser;
  const SplitArn resource_arn(request.resource);

  // 1. Every applicable policy is scanned; any Deny decides. SCPs bind principals of member accounts only
  // (not AWS services or anonymous callers); identity-side policies only exist for IAM identities.
  std::vector<Scan> rcp(policies.rcp_layers.size());
  for (std::size_t i = 0; i < policies.rcp_layers.size(); ++i) {
    ScanPolicies(policies.rcp_layers[i], PolicyType::kRcp, static_cast<int>(i), request, resource_arn,
                 rcp[i]);
    if (rcp[i].deny) return ExplicitDeny(*rcp[i].deny);
  }
  std::vector<Scan> scp(anonymous_or_service ? 0 : policies.scp_layers.size());
  for (std::size_t i = 0; i < scp.size(); ++i) {
    ScanPolicies(policies.scp_layers[i], PolicyType::kScp, static_cast<int>(i), request, resource_arn,
                 scp[i]);
    if (scp[i].deny) return ExplicitDeny(*scp[i].deny);
  }
  Scan resource;
  if (policies.resource) {
    ScanPolicy(*policies.resource, PolicyType::kResource, 0, request, resource_arn, resource);
    if (resource.deny) return ExplicitDeny(*resource.deny);
  }
  Scan identity, boundary, session_scan;
  if (!anonymous_or_service && !root) {
    ScanPolicies(policies.identity, PolicyType::kIdentity, 0, request, resource_arn, identity);
    if (identity.deny) return ExplicitDeny(*identity.deny);
    if (policies.boundary) {
      ScanPolicy(*policies.boundary, PolicyType::kBoundary, 0, request, resource_arn, boundary);
      if (boundary.deny) return ExplicitDeny(*boundary.deny);
    }
    if (session) {
      ScanPolicies(policies.session, PolicyType::kSession, 0, request, resource_arn, session_scan);
      if (session_scan.deny) return ExplicitDeny(*session_scan.deny);
    }
  }

  // 2. Organization guardrails: every layer of the path needs an Allow.
  for (std::size_t i = 0; i < rcp.size(); ++i) {
    if (!rcp[i].allow) return ImplicitDeny(PolicyType::kRcp, static_cast<int>(i));
  }
  for (std::size_t i = 0; i < scp.size(); ++i) {
    if (!scp[i].allow) return ImplicitDeny(PolicyType::kScp, static_cast<int>(i));
  }

  // 3. Callers with no identity of their own have only the resource policy.
  if (anonymous_or_service) {
    if (resource.allow) return Allow(*resource.allow);
    return ImplicitDeny(PolicyType::kResource);
  }

  // 4. The principal's own side: identity policies, then the boundary, then session policies. The root user
  // needs none of them.
  const bool boundary_ok = root || !policies.boundary || boundary.allow.has_value();
  bool session_ok = true;
  if (session && !root) {
    if (!policies.session.empty()) {
      session_ok = session_scan.allow.has_value();
    } else {
      // A GetFederationToken session without a session policy has no permissions of its own.
      session_ok = principal.type != PrincipalType::kFederatedUser;
    }
  }
  const bool identity_ok = root || identity.allow.has_value();
  auto own_side_missing = [&]() {
    if (!identity_ok) return PolicyType::kIdentity;
    if (!boundary_ok) return PolicyType::kBoundary;
    return PolicyType::kSession;
  };
  const bool own_ok = identity_ok && boundary_ok && session_ok;
  const StatementRef root_ref{PolicyType::kIdentity, "root", "", -1, 0};
  const StatementRef& own_ref = root ? root_ref : *identity.allow;

  // 5. The resource policy's grant, by how it names the caller.
  const bool same_account =
      request.resource_account.empty() || request.resource_account == principal.account_id;
  const Grant grant = resource.allow ? resource.grant : Grant::kNone;
  if (same_account && grant == Grant::kDirect) return Allow(*resource.allow);
  if (same_account && grant == Grant::kEntity) {
    // A grant to the role (or the federating user) is still limited by the boundary and session policies.
    if (boundary_ok && session_ok) return Allow(*resource.allow);
    return ImplicitDeny(!boundary_ok ? PolicyType::kBoundary : PolicyType::kSession);
  }
  if (policies.resource_policy_required || !same_account) {
    if (grant == Grant::kNone) return ImplicitDeny(PolicyType::kResource);
    if (own_ok) return Allow(*resource.allow);
    return ImplicitDeny(own_side_missing());
  }
  if (own_ok) return Allow(own_ref);
  return ImplicitDeny(own_side_missing());
}

void AddPrincipalContextKeys(const RequestPrincipal& principal, std::string_view user_id, ContextKeys& keys) {
  std::string_view type;
  switch (principal.type) {
    case PrincipalType::kAnonymous:
      type = "Anonymous";
      break;
    case PrincipalType::kRoot:
      type = "Account";
      break;
    case PrincipalType::kUser:
      type = "User";
      break;
    case PrincipalType::kAssumedRole:
      type = "AssumedRole";
      break;
    case PrincipalType::kFederatedUser:
      type = "FederatedUser";
      break;
    case PrincipalType::kService:
      type = "Service";
      break;
  }
  keys.Set("aws:PrincipalType", std::string(type));
  // Present in every signed request: whether an AWS service principal made it (RCPs' usual exemption).
  if (principal.type != PrincipalType::kAnonymous) {
    keys.Set("aws:PrincipalIsAWSService", principal.type == PrincipalType::kService ? "true" : "false");
  }
  if (principal.type == PrincipalType::kAnonymous || principal.type == PrincipalType::kService) return;
  // aws:PrincipalArn is the role's ARN for a role session (reference_policies_condition-keys.md).
  keys.Set("aws:PrincipalArn", principal.type == PrincipalType::kAssumedRole && !principal.entity_arn.empty()
                                   ? principal.entity_arn
                                   : principal.arn);
  keys.Set("aws:PrincipalAccount", principal.account_id);
  if (!user_id.empty()) keys.Set("aws:userid", std::string(user_id));
  if (principal.type == PrincipalType::kUser) {
    std::string_view arn = principal.arn;
    std::size_t slash = arn.rfind('/');
    if (slash != std::string_view::npos) keys.Set("aws:username", std::string(arn.substr(slash + 1)));
  }
}

std::string_view PolicyTypeName(PolicyType type) {
  switch (type) {
    case PolicyType::kIdentity:
      return "identity-based policy";
    case PolicyType::kResource:
      return "resource-based policy";
    case PolicyType::kBoundary:
      return "permissions boundary";
    case PolicyType::kSession:
      return "session policy";
    case PolicyType::kScp:
      return "service control policy";
    case PolicyType::kRcp:
      return "resource control policy";
  }
  return "policy";
}

std::string DenialReason(const EvaluationResult& result, std::string_view action) {
  switch (result.decision) {
    case Decision::kAllow:
      return "";
    case Decision::kExplicitDeny: {
      std::string_view name =
          PolicyTypeName(result.statement ? result.statement->type : PolicyType::kIdentity);
      std::string article = name.front() == 'i' ? "an " : "a ";
      return "with an explicit deny in " + article + std::string(name);
    }
    case Decision::kImplicitDeny:
      return "because no " + std::string(PolicyTypeName(result.missing)) + " allows the " +
             std::string(action) + " action";
  }
  return "";
}

std::string AccessDeniedMessage(const Request& request, const EvaluationResult& result) {
  std::string who = request.principal.type == PrincipalType::kAnonymous ? "anonymous"
                    : request.principal.type == PrincipalType::kService ? request.principal.service
                                                                        : request.principal.arn;
  std::string message = "User: " + who + " is not authorized to perform: " + request.action;
  if (!request.resource.empty() && request.resource != "*")
    message += " on resource: \"" + request.resource + "\"";
  std::string reason = DenialReason(result, request.action);
  if (!reason.empty()) message += " " + reason;
  return message;
}

std::string DescribeEvaluation(const EvaluationResult& result) {
  std::string out;
  switch (result.decision) {
    case Decision::kAllow:
      out = "Allow";
      break;
    case Decision::kExplicitDeny:
      out = "ExplicitDeny";
      break;
    case Decision::kImplicitDeny:
      out = "ImplicitDeny: no " + std::string(PolicyTypeName(result.missing)) + " allows";
      if (result.missing == PolicyType::kScp || result.missing == PolicyType::kRcp) {
        out += " (layer " + std::to_string(result.missing_layer) + ")";
      }
      return out;
  }
  if (result.statement) {
    const StatementRef& s = *result.statement;
    out += " by " + std::string(PolicyTypeName(s.type)) + " \"" + std::string(s.policy_name) + "\"";
    if (s.type == PolicyType::kScp || s.type == PolicyType::kRcp) out += " layer " + std::to_string(s.layer);
    if (s.statement_index >= 0) out += " statement " + std::to_string(s.statement_index);
    if (!s.sid.empty()) out += " (Sid " + std::string(s.sid) + ")";
  }
  return out;
}

}  // namespace cenote::iam
