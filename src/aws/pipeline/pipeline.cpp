#include "aws/pipeline/pipeline.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <random>

#include "aws/model/model.hpp"
#include "aws/pipeline/authorizer.hpp"
#include "aws/pipeline/detect.hpp"
#include "aws/sigv4/sigv4.hpp"

namespace cenote::aws::pipeline {

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::uint64_t v = rng();
  std::string id(16, '0');
  for (int i = 15; i >= 0; --i) {
    id[i] = kHex[v & 0xF];
    v >>= 4;
  }
  return id;
}

Pipeline::Pipeline(const model::ModelRegistry& models, const sigv4::CredentialProvider& credentials,
                   const Authorizer& authorizer, PipelineOptions options)
    : models_(models),
      credentials_(credentials),
      authorizer_(authorizer),
      options_(std::move(options)),
      env_{models_, credentials_, services_, authorizer_, hooks_, options_} {}

Pipeline::~Pipeline() = default;

// The network stages, in order. Each call stage either lets the call go on or answers it with an error;
// serialize and the after-hooks always run.
using CallStage = Status (*)(const StageEnv&, Exchange&);
constexpr CallStage kNetworkStages[] = {
    stages::DetectService,
    stages::Authenticate,
    stages::Parse,
    stages::Authorize,
    [](const StageEnv& env, Exchange& exchange) { return stages::Invoke(env, exchange); },
};

http::HttpResponse Pipeline::Handle(http::HttpRequest& request) {
  Exchange exchange;
  exchange.request = &request;
  exchange.ctx.request_id = NewRequestId();
  exchange.ctx.region = options_.default_region;
  exchange.ctx.tls = request.tls;
  exchange.ctx.headers = &request.headers;
  exchange.ctx.source_ip = request.remote_address;
  // The target as received, for the access log (authenticate rewrites virtual-hosted S3 targets).
  const std::string target = request.target;
  http::HttpResponse response;
  try {
    std::optional<ServiceRegistry::RouteMatch> route =
        services_.MatchRoute(request, UnsignedOutsideS3(request));
    if (route && route->route->handler) {
      response = ServeRaw(*route, exchange);
    } else if (request.method == "OPTIONS") {
      response = stages::Preflight(env_, exchange);
    } else {
      for (CallStage stage : kNetworkStages) {
        Status st = stage(env_, exchange);
        if (!st) {
          exchange.Fail(std::move(st).error());
          break;
        }
      }
      response = stages::Serialize(env_, exchange);
      stages::AddCorsHeaders(env_, exchange, response);
    }
  } catch (const std::exception& e) {
    // Stages do not throw (invoke catches the provider's exceptions); this is the last line.
    spdlog::error("request {} {} {} failed with exception: {}", exchange.ctx.request_id, request.method,
                  target, e.what());
    response = http::HttpResponse{};
    response.status = 500;
    response.close_connection = true;
    response.headers.Set("x-amz-request-id", exchange.ctx.request_id);
    if (!exchange.error) exchange.Fail(InternalError());
  }
  stages::AfterHooks(env_, exchange, response.status, target, &response);
  return response;
}

http::HttpResponse Pipeline::ServeRaw(ServiceRegistry::RouteMatch& match, Exchange& exchange) {
  http::HttpRequest& request = *exchange.request;
  exchange.service = models_.ByEndpointPrefix(match.provider->service());
  exchange.ctx.service = std::string(match.provider->service());
  exchange.ctx.operation = match.route->operation;
  exchange.ctx.principal.anonymous = true;
  RawRequest raw{.http = request,
                 .ctx = exchange.ctx,
                 .captures = std::move(match.captures),
                 .authenticate = {},
                 .authorize = {}};
  raw.authenticate = [this, &exchange](std::string_view signing_service) -> Status {
    http::HttpRequest& r = *exchange.request;
    std::optional<sigv4::Scope> scope = sigv4::PeekScope(r);
    if (!scope && !r.headers.Has("authorization")) {
      return MakeError("MissingAuthenticationTokenException", "Missing Authentication Token", 403);
    }
    if (scope && scope->service != signing_service) {
      return MakeError(
          "InvalidSignatureException",
          "Credential should be scoped to correct service: '" + std::string(signing_service) + "'.", 403);
    }
    sigv4::AuthOptions options;
    options.style = sigv4::ErrorStyle::kJson;
    options.now = options_.now ? options_.now : [] { return std::chrono::system_clock::now(); };
    CENOTE_ASSIGN_OR_RETURN(exchange.ctx.principal, sigv4::Authenticate(r, credentials_, options));
    if (scope) exchange.ctx.region = scope->region;
    if (!exchange.ctx.principal.access_key_id.empty()) {
      credentials_.Used(exchange.ctx.principal.access_key_id, signing_service, exchange.ctx.region);
    }
    return Status::Ok();
  };
  raw.authorize = [this, &exchange](std::string_view operation, const Document& params) -> Status {
    if (exchange.service == nullptr) return InternalError("no model for " + exchange.ctx.service);
    AuthorizationRequest request{exchange.ctx, *exchange.service, operation, params};
    return authorizer_.Authorize(request);
  };
  http::HttpResponse response = match.route->handler(raw);
  if (!response.headers.Has("x-amzn-requestid") && !response.headers.Has("x-amz-request-id")) {
    response.headers.Set("x-amzn-RequestId", exchange.ctx.request_id);
  }
  return response;
}

Exchange Pipeline::RunInProcess(const Caller& caller, std::string_view service, std::string_view operation,
                                OperationInput& input, const std::function<Status()>* perform) {
  Exchange exchange;
  exchange.ctx.request_id = NewRequestId();
  exchange.ctx.region = caller.region.empty() ? options_.default_region : caller.region;
  exchange.ctx.principal = caller.principal;
  exchange.ctx.source_arn = caller.source_arn;
  exchange.ctx.source_account = caller.source_account;
  exchange.ctx.forwarded = caller.forwarded;
  exchange.ctx.invoked_by = caller.invoked_by.empty() ? "cenote" : caller.invoked_by;
  exchange.ctx.source_ip = exchange.ctx.invoked_by;
  exchange.ctx.service = std::string(service);
  exchange.ctx.operation = std::string(operation);
  exchange.input.params = std::move(input.params);
  exchange.input.body = input.body;
  exchange.service = models_.ByEndpointPrefix(service);
  if (exchange.service == nullptr) {
    exchange.Fail(MakeError("UnknownService",
                            "Cenote has no model for the service " + std::string(service) + ".", 400));
  } else {
    // The in-process stages, in order.
    for (CallStage stage : {stages::LookUpOperation, stages::Authorize}) {
      Status st = stage(env_, exchange);
      if (!st) {
        exchange.Fail(std::move(st).error());
        break;
      }
    }
    if (!exchange.failed()) {
      Status st = stages::Invoke(env_, exchange, perform);
      if (!st) exchange.Fail(std::move(st).error());
    }
  }
  stages::AfterHooks(env_, exchange, exchange.error ? exchange.error->http_status : 200, {});
  // The caller may still need its document (a retry, a log line).
  input.params = std::move(exchange.input.params);
  return exchange;
}

Result<OperationOutput> Pipeline::Call(const Caller& caller, std::string_view service,
                                       std::string_view operation, OperationInput& input) {
  Exchange exchange = RunInProcess(caller, service, operation, input, nullptr);
  if (exchange.error) return std::move(*exchange.error);
  return std::move(exchange.output);
}

Status Pipeline::CallWith(const Caller& caller, std::string_view service, std::string_view operation,
                          const Document& params, const std::function<Status()>& perform) {
  OperationInput input;
  input.params = params;
  Exchange exchange = RunInProcess(caller, service, operation, input, &perform);
  if (exchange.error) return std::move(*exchange.error);
  return Status::Ok();
}

}  // namespace cenote::aws::pipeline
