// The authorize stage (stages.hpp) and the baseline authorizer (authorizer.hpp).
#include "aws/model/model.hpp"
#include "aws/pipeline/authorizer.hpp"
#include "aws/pipeline/service_errors.hpp"
#include "aws/pipeline/service_registry.hpp"
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
  // A network call of an operation no provider implements is answered by the invoke stage with the service's
  // unsupported-operation error (as AWS answers it, whoever asks): there is nothing to authorize. (In-process
  // calls are always authorized: Invoker::CallWith runs its own work, not the provider's.)
  if (exchange.request != nullptr) {
    const Provider* provider = env.services.Find(exchange.ctx.service);
    if (provider == nullptr || !provider->Implements(exchange.ctx.operation)) return Status::Ok();
  }
  AuthorizationRequest request{exchange.ctx, *exchange.service, exchange.ctx.operation,
                               exchange.input.params};
  return env.authorizer.Authorize(request);
}

}  // namespace stages
}  // namespace cenote::aws::pipeline
