#include "services/sts/role_trust.hpp"

#include "common/strings.hpp"
#include "iam/evaluate.hpp"

namespace cenote::sts {

Result<iam::ResourceFacts> RoleTrustAuthority::Facts(const iam::RequestPrincipal& principal,
                                                     std::string_view action,
                                                     std::string_view resource_arn) const {
  iam::ResourceFacts facts;
  // Only roles have a resource policy (GetFederationToken's federated-user ARN has none).
  if (resource_arn.find(":role/") == std::string_view::npos) return facts;
  // A root user may not assume roles at all: the handler answers that in AWS's words ("Roles may not be
  // assumed by root accounts."), whatever the trust policy says.
  if (principal.type == iam::PrincipalType::kRoot && action == "sts:AssumeRole") return facts;
  // The trust policy is required whether or not the role exists, so that a missing role is denied rather
  // than left to identity policies.
  facts.policy_required = true;
  if (directory_ == nullptr) return facts;
  std::optional<iam::RoleInfo> role = directory_->FindRole(resource_arn);
  if (!role) return facts;
  facts.owner_account = role->account_id;
  facts.policy = role->trust_policy;
  for (const auto& [key, value] : role->tags) {
    facts.keys.Set("aws:ResourceTag/" + key, value);
    facts.keys.Set("iam:ResourceTag/" + key, value);
  }
  return facts;
}

}  // namespace cenote::sts
