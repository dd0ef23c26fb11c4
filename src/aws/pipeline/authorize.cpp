// The authorize stage (stages.hpp) and the baseline authorizer (authorizer.hpp).
#include "aws/model/model.hpp"
#include "aws/pipeline/authorizer.hpp"
#include "aws/pipeline/service_errors.hpp"
#include "aws/pipeline/stages.hpp"

namespace cenote::aws::pipeline {

Status BaselineAuthorizer::Authorize(const AuthorizationRequest& request) const {
  const iam::Principal& principal = request.ctx.principal;
  if (principal.is_root && !principal.anonymous) return Status::Ok();
  if (request.ctx.in_process() && !principal.anonymous && !principal.account_id.empty()) return Status::Ok();
  std::string action = request.service.signing_name() + ":" + std::string(request.operation);
  return AccessDenied(request.service, principal.anonymous ? "anonymous" : principal.arn, action, "*");
}

namespace stages {

Status Authorize(const StageEnv& env, Exchange& exchange) {
  AuthorizationRequest request{exchange.ctx, *exchange.service, exchange.ctx.operation,
                               exchange.input.params};
  return env.authorizer.Authorize(request);
}

}  // namespace stages
}  // namespace cenote::aws::pipeline
