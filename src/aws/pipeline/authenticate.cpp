// The authenticate stage: SigV4 (and SigV2) verification, then the virtual-host rewrite.
#include <chrono>

#include "aws/model/model.hpp"
#include "aws/pipeline/stages.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "iam/action_map.hpp"

namespace cenote::aws::pipeline::stages {

namespace {

sigv4::ErrorStyle StyleFor(const model::ServiceModel& service) {
  const std::string& protocol = service.protocol();
  if (protocol == "rest-xml") return sigv4::ErrorStyle::kS3;
  if (protocol == "query") return sigv4::ErrorStyle::kQuery;
  return sigv4::ErrorStyle::kJson;
}

}  // namespace

Status Authenticate(const StageEnv& env, Exchange& exchange) {
  http::HttpRequest& request = *exchange.request;
  // Against the request exactly as the client signed it: before the virtual-host rewrite below.
  sigv4::AuthOptions options;
  options.style = StyleFor(*exchange.service);
  options.virtual_hosted = exchange.virtual_bucket.has_value();
  // Services whose action map accepts unsigned requests (S3's public data, STS's AssumeRoleWithWebIdentity)
  // get the anonymous principal, and the authorizer decides on it.
  const iam::ActionMap* map = iam::ActionMap::Find(exchange.service->endpoint_prefix());
  options.allow_anonymous = map != nullptr && map->Unsigned() != iam::UnsignedRequests::kRefused;
  options.now = env.options.now ? env.options.now : [] { return std::chrono::system_clock::now(); };
  CENOTE_ASSIGN_OR_RETURN(exchange.ctx.principal, sigv4::Authenticate(request, env.credentials, options));
  if (!exchange.ctx.principal.access_key_id.empty()) {
    env.credentials.Used(exchange.ctx.principal.access_key_id, exchange.service->endpoint_prefix(),
                         exchange.ctx.region);
  }

  if (exchange.virtual_bucket) {
    // Path style from here on: "/key?x" on host "bucket.localhost" becomes "/bucket/key?x".
    std::string path(request.Path());
    std::string query(request.Query());
    std::string rewritten = "/" + *exchange.virtual_bucket + (path == "/" ? "" : path);
    if (!query.empty() || request.target.find('?') != std::string::npos) rewritten += "?" + query;
    request.target = std::move(rewritten);
  }
  return Status::Ok();
}

}  // namespace cenote::aws::pipeline::stages
