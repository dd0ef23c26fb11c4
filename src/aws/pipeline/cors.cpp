// The CORS stages (stages.hpp): browser preflights and the Access-Control-* headers of actual requests,
// answered from the resource's CORS configuration by its provider (S3: the bucket's CORS rules).
#include "aws/model/model.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "aws/pipeline/stages.hpp"
#include "common/strings.hpp"

namespace cenote::aws::pipeline::stages {

namespace {

// The bucket a request is for: the virtual-hosted one, or the first segment of the path.
std::string BucketOf(const Exchange& exchange) {
  if (exchange.virtual_bucket) return *exchange.virtual_bucket;
  std::string_view path = exchange.request->Path();
  if (path.starts_with('/')) path.remove_prefix(1);
  return std::string(path.substr(0, path.find('/')));
}

std::vector<std::string> SplitHeaderList(std::string_view list) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t comma = list.find(',', pos);
    std::string_view item = TrimAsciiSpace(
        list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (!item.empty()) out.push_back(AsciiLower(item));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

Error BadPreflight(std::string message) { return MakeError("BadRequest", std::move(message), 400); }

}  // namespace

http::HttpResponse Preflight(const StageEnv& env, Exchange& exchange) {
  const http::HttpRequest& request = *exchange.request;
  exchange.ctx.operation = "PreflightRequest";
  auto answer = [&]() -> Result<http::Headers> {
    CENOTE_RETURN_IF_ERROR(DetectService(env, exchange));
    auto origin = request.headers.Get("origin");
    if (!origin) return BadPreflight("Insufficient information. Origin request header needed.");
    auto method = request.headers.Get("access-control-request-method");
    if (!method || method->empty()) return BadPreflight("Invalid Access-Control-Request-Method: null");
    CorsRequest cors;
    cors.resource = BucketOf(exchange);
    cors.origin = std::string(*origin);
    cors.method = std::string(*method);
    cors.preflight = true;
    if (auto headers = request.headers.Get("access-control-request-headers"))
      cors.headers = SplitHeaderList(*headers);
    Provider* provider = env.services.Find(exchange.service->endpoint_prefix());
    if (provider == nullptr || cors.resource.empty()) {
      return MakeError("AccessForbidden", "CORSResponse: CORS is not enabled for this resource.", 403);
    }
    CENOTE_ASSIGN_OR_RETURN(auto headers, provider->Cors(cors));
    if (!headers) {
      return MakeError(
          "AccessForbidden",
          "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
          "Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers "
          "are not whitelisted by the resource's CORS spec.",
          403);
    }
    return std::move(*headers);
  };
  auto headers = answer();
  if (!headers) {
    exchange.Fail(std::move(headers).error());
    return Serialize(env, exchange);
  }
  http::HttpResponse response;
  response.status = 200;
  response.headers = std::move(*headers);
  response.headers.Set("x-amz-request-id", exchange.ctx.request_id);
  return response;
}

void AddCorsHeaders(const StageEnv& env, const Exchange& exchange, http::HttpResponse& response) {
  if (exchange.service == nullptr || exchange.request == nullptr) return;
  auto origin = exchange.request->headers.Get("origin");
  if (!origin) return;  // not a cross-origin request: the common case costs one header lookup
  Provider* provider = env.services.Find(exchange.service->endpoint_prefix());
  if (provider == nullptr) return;
  CorsRequest cors;
  // By the Host of a virtual-hosted request even when it failed before the authenticate stage rewrote it to
  // path style: a refused form upload from a page must still be readable by the page.
  cors.resource = BucketOf(exchange);
  if (cors.resource.empty()) return;
  cors.origin = std::string(*origin);
  cors.method = exchange.request->method;
  auto headers = provider->Cors(cors);
  if (!headers || !*headers) return;
  for (const auto& [name, value] : (*headers)->entries()) response.headers.Set(name, value);
}

}  // namespace cenote::aws::pipeline::stages
