// Authorizer: the authorize stage's decision, for network and in-process calls alike.
//
// The stage hands it the authenticated caller, the service, the operation and its parsed input; the
// authorizer derives the action and resources and answers Ok or the denial in the service's words
// (service_errors.hpp AccessDenied). The identity issue (IAM policies, resource policies, Lake
// Formation) implements a real evaluator behind this interface; until then BaselineAuthorizer stands in.
//
// Thread safety: Authorize is called concurrently from any thread.
#pragma once

#include <string_view>

#include "aws/provider.hpp"
#include "common/result.hpp"

namespace cenote::aws {
namespace model {
class ServiceModel;
}
namespace pipeline {

struct AuthorizationRequest {
  const RequestContext& ctx;  // principal, region, invoked_by (in-process calls)
  const model::ServiceModel& service;
  std::string_view operation;  // the model's operation name
  const Document& params;      // the operation's input document
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  virtual Status Authorize(const AuthorizationRequest& request) const = 0;
};

// Until IAM exists every credential Cenote accepts is an account's root user, so this allows:
//   - root principals (what SigV4 resolves today);
//   - in-process calls made by a service (invoked_by set) as a principal of a known account, e.g.
//     Firehose writing with its delivery role: the role is trusted as configured, as nothing can
//     evaluate its policies yet;
// and denies everything else (anonymous callers, non-root identities), naming the action
// "<signing name>:<operation>" and resource "*".
class BaselineAuthorizer final : public Authorizer {
 public:
  Status Authorize(const AuthorizationRequest& request) const override;
};

}  // namespace pipeline
}  // namespace cenote::aws
