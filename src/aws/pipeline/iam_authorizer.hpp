// IamAuthorizer: AWS's policy evaluation on every call, network and in-process (issue #15; DESIGN.md
// "Security model").
//
// For each call: the operation's required authorizations come from the service's action map
// (iam/action_map.hpp, the service's iam_actions.json: action, resource ARN, the condition keys its input
// supplies; lookups from the service's ResourceAuthority). Each is evaluated (iam/evaluate.hpp) against
//   - the principal's side: nothing for an account's root user; for an IAM user or a role session, the
//     identity policies and permissions boundary of its entity (iam::Directory::PoliciesOf: a user or role
//     that no longer exists is denied), and a session's policies (Principal::session);
//   - the resource's side: the resource-based policy and owner the service's ResourceAuthority reports (a
//     bucket policy merged with its ACL grants, a role's trust policy); the owner, else the account in the
//     ARN, decides same- versus cross-account;
//   - the SCPs on the principal's account's path (iam::Organizations);
//   - the global condition keys of the request (aws:SourceIp, aws:SecureTransport, aws:CurrentTime,
//     aws:EpochTime, aws:RequestedRegion, aws:Principal*, aws:userid, aws:username, aws:PrincipalTag/,
//     aws:CalledVia, aws:ViaAWSService, aws:PrincipalOrgID, aws:SourceIdentity, aws:TokenIssueTime,
//     aws:MultiFactorAuthPresent, aws:FederatedProvider) plus the operation's and the resource's keys.
// Every authorization must be allowed. A denial answers AccessDenied in the service's words, naming the
// principal, the action and the resource, with AWS's reason clause ("because no identity-based policy
// allows the s3:GetObject action").
//
// Modes (`cenote serve --iam-mode`): enforce (the default) denies; audit allows and logs, at warn, what
// would have been denied and why (the missing statement or the deciding Deny); off allows everything
// (anonymous callers included) without evaluating.
//
// Thread safety: Bind before serving; Authorize is then called concurrently.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "aws/pipeline/authorizer.hpp"
#include "common/result.hpp"

namespace cenote::iam {
class Directory;
class Organizations;
class ResourceAuthority;
}  // namespace cenote::iam

namespace cenote::aws::pipeline {

enum class IamMode { kEnforce, kAudit, kOff };

// "enforce", "audit", "off" -> the mode; InvalidArgument otherwise.
Result<IamMode> ParseIamMode(std::string_view text);
std::string_view IamModeName(IamMode mode);

class IamAuthorizer final : public Authorizer {
 public:
  struct Sources {
    const iam::Directory* directory = nullptr;          // null: no IAM entities (only root callers pass)
    const iam::Organizations* organizations = nullptr;  // null: no SCPs
    std::vector<const iam::ResourceAuthority*> authorities;
  };

  explicit IamAuthorizer(IamMode mode) : mode_(mode) {}

  // Before serving.
  void Bind(Sources sources);
  IamMode mode() const { return mode_; }

  Status Authorize(const AuthorizationRequest& request) const override;

 private:
  const IamMode mode_;
  Sources sources_;
  std::map<std::string, const iam::ResourceAuthority*, std::less<>> by_service_;
};

}  // namespace cenote::aws::pipeline
