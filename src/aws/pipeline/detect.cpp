// The detect stage: which service a request is for.
#include "aws/pipeline/detect.hpp"

#include "aws/model/model.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "aws/pipeline/stages.hpp"
#include "aws/sigv4/sigv4.hpp"
#include "common/strings.hpp"

namespace cenote::aws::pipeline {

namespace {

bool IsIpLiteral(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;  // IPv6
  for (char c : host) {
    if (!(IsAsciiDigit(c) || c == '.')) return false;
  }
  return !host.empty();
}

}  // namespace

std::optional<std::string> VirtualHostedBucket(std::string_view host_header) {
  std::string host = AsciiLower(host_header);
  // Strip the port (not for bracketed IPv6 literals, which are never virtual hosts).
  if (!host.empty() && host.front() == '[') return std::nullopt;
  if (auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.empty() || IsIpLiteral(host)) return std::nullopt;
  // Longest suffixes first: "bucket.s3.localhost" must not yield "bucket.s3".
  static constexpr std::string_view kSuffixes[] = {".s3.localhost.localstack.cloud", ".s3.localhost",
                                                   ".s3.amazonaws.com", ".localhost"};
  for (std::string_view suffix : kSuffixes) {
    if (host.ends_with(suffix) && host.size() > suffix.size()) {
      std::string bucket = host.substr(0, host.size() - suffix.size());
      if (bucket == "s3") return std::nullopt;
      return bucket;
    }
  }
  // bucket.s3.<region>.amazonaws.com and bucket.s3-<region>.amazonaws.com
  if (host.ends_with(".amazonaws.com")) {
    auto pos = host.find(".s3.");
    if (pos == std::string::npos) pos = host.find(".s3-");
    if (pos != std::string::npos && pos > 0) return host.substr(0, pos);
  }
  return std::nullopt;
}

bool UnsignedOutsideS3(const http::HttpRequest& request) {
  return !request.headers.Has("authorization") && !sigv4::PeekScope(request) &&
         !VirtualHostedBucket(request.headers.Get("host").value_or(""));
}

namespace stages {

Status DetectService(const StageEnv& env, Exchange& exchange) {
  http::HttpRequest& request = *exchange.request;
  std::optional<sigv4::Scope> scope = sigv4::PeekScope(request);
  if (scope) exchange.scope_region = scope->region;
  const model::ServiceModel* service = nullptr;

  // 0. The routes providers declare for requests outside their APIs (provider.hpp UnsignedRoute: the links
  //    SNS messages carry, Lambda function URLs, S3 website endpoints). Raw routes (a handler) were answered
  //    by the pipeline before this stage; an API route names its service, whose ordinary stages then take
  //    the call unsigned.
  if (auto match = env.services.MatchRoute(request, UnsignedOutsideS3(request));
      match && !match->route->handler) {
    service = env.models.ByEndpointPrefix(match->provider->service());
    if (service != nullptr && match->route->rewrite) match->route->rewrite(request);
  }
  // 1. JSON protocols name the operation in X-Amz-Target: "<targetPrefix>.<Operation>".
  if (auto target = request.headers.Get("x-amz-target"); service == nullptr && target) {
    std::string_view t = *target;
    if (auto dot = t.rfind('.'); dot != std::string_view::npos)
      service = env.models.ByTargetPrefix(t.substr(0, dot));
  }
  // 2. The SigV4 credential scope names the signing service.
  if (service == nullptr && scope) {
    service = env.models.BySigningName(scope->service);
    if (service == nullptr) service = env.models.ByEndpointPrefix(scope->service);
  }
  // 3. An unsigned query-protocol call (a form-encoded POST to "/" with no credentials and no virtual-hosted
  //    bucket) is STS's: AssumeRoleWithWebIdentity and AssumeRoleWithSAML are the only calls AWS serves
  //    unsigned outside S3, and S3 has no form-encoded POST on its root.
  if (service == nullptr && !scope && request.method == "POST" && request.Path() == "/" &&
      !request.headers.Get("authorization") &&
      !VirtualHostedBucket(request.headers.Get("host").value_or(""))) {
    if (auto type = request.headers.Get("content-type");
        type && AsciiLower(*type).starts_with("application/x-www-form-urlencoded")) {
      service = env.models.ByEndpointPrefix("sts");
    }
  }
  // 4. Anything else (SigV2 presigned URLs, anonymous requests, browser uploads) is S3's, as on AWS
  //    where such requests only make sense against S3 endpoints.
  if (service == nullptr) service = env.models.ByEndpointPrefix("s3");
  if (service == nullptr) {
    return MakeError("UnknownService", "Cenote could not determine the AWS service of this request.", 400);
  }
  exchange.service = service;
  exchange.ctx.service = service->endpoint_prefix();
  // The region is the request's: every regional resource lives in its region's namespace.
  exchange.ctx.region = exchange.scope_region.empty() ? env.options.default_region : exchange.scope_region;
  if (service->endpoint_prefix() == "s3") {
    if (auto host = request.headers.Get("host")) exchange.virtual_bucket = VirtualHostedBucket(*host);
  }
  return Status::Ok();
}

}  // namespace stages
}  // namespace cenote::aws::pipeline
