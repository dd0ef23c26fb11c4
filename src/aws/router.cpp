#include "aws/router.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <random>

#include "aws/model/model.hpp"
#include "aws/protocol/protocol.hpp"
#include "aws/protocol/validate.hpp"
#include "aws/sigv4/sigv4.hpp"

namespace cenote::aws {

namespace {

std::string NewRequestId() {
  // S3 request ids are 16 upper-case hex characters; other services accept any opaque string.
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

bool IsIpLiteral(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;  // IPv6
  for (char c : host) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) return false;
  }
  return !host.empty();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

sigv4::ErrorStyle StyleFor(const model::ServiceModel& service) {
  const std::string& protocol = service.protocol();
  if (protocol == "rest-xml") return sigv4::ErrorStyle::kS3;
  if (protocol == "query") return sigv4::ErrorStyle::kQuery;
  return sigv4::ErrorStyle::kJson;
}

}  // namespace

std::optional<std::string> VirtualHostedBucket(std::string_view host_header) {
  std::string host = Lower(host_header);
  // Strip the port (not for bracketed IPv6 literals, which are never virtual hosts).
  if (!host.empty() && host.front() == '[') return std::nullopt;
  if (auto colon = host.rfind(':'); colon != std::string::npos) host.resize(colon);
  if (host.empty() || IsIpLiteral(host)) return std::nullopt;
  // Longest suffixes first: "bucket.s3.localhost" must not yield "bucket.s3".
  static constexpr std::string_view kSuffixes[] = {".s3.localhost.localstack.cloud", ".s3.localhost",
                                                   ".s3.amazonaws.com", ".localhost"};
  for (std::string_view suffix : kSuffixes) {
    if (EndsWith(host, suffix) && host.size() > suffix.size()) {
      std::string bucket = host.substr(0, host.size() - suffix.size());
      if (bucket == "s3") return std::nullopt;
      return bucket;
    }
  }
  // bucket.s3.<region>.amazonaws.com and bucket.s3-<region>.amazonaws.com
  if (EndsWith(host, ".amazonaws.com")) {
    auto pos = host.find(".s3.");
    if (pos == std::string::npos) pos = host.find(".s3-");
    if (pos != std::string::npos && pos > 0) return host.substr(0, pos);
  }
  return std::nullopt;
}

struct Router::Detected {
  const model::ServiceModel* service = nullptr;
  std::optional<std::string> virtual_bucket;
  std::string scope_region;
};

Router::Router(const model::ModelRegistry& models, const sigv4::CredentialProvider& credentials,
               RouterOptions options)
    : models_(models), credentials_(credentials), options_(std::move(options)) {}

Router::~Router() {
  providers_.clear();
  while (!owned_.empty()) owned_.pop_back();
}

void Router::Register(std::unique_ptr<Provider> provider) {
  std::string name(provider->service());
  providers_[name] = provider.get();
  owned_.push_back(std::move(provider));
}

Router::Detected Router::DetectService(const http::HttpRequest& request) const {
  Detected d;
  std::optional<sigv4::Scope> scope = sigv4::PeekScope(request);
  if (scope) d.scope_region = scope->region;

  // 1. JSON protocols name the operation in X-Amz-Target: "<targetPrefix>.<Operation>".
  if (auto target = request.headers.Get("x-amz-target")) {
    std::string_view t = *target;
    auto dot = t.rfind('.');
    if (dot != std::string_view::npos) {
      if (const auto* s = models_.ByTargetPrefix(t.substr(0, dot))) {
        d.service = s;
        return d;
      }
    }
  }
  // 2. The SigV4 credential scope names the signing service.
  if (scope) {
    if (const auto* s = models_.BySigningName(scope->service)) {
      d.service = s;
    } else if (const auto* s2 = models_.ByEndpointPrefix(scope->service)) {
      d.service = s2;
    }
  }
  // 3. Anything else (SigV2 presigned URLs, anonymous requests, browser uploads) is S3's, as on AWS
  //    where such requests only make sense against S3 endpoints.
  if (!d.service) d.service = models_.ByEndpointPrefix("s3");
  if (d.service && d.service->endpoint_prefix() == "s3") {
    if (auto host = request.headers.Get("host")) d.virtual_bucket = VirtualHostedBucket(*host);
  }
  return d;
}

http::HttpResponse Router::Handle(http::HttpRequest& request) {
  RequestContext ctx;
  ctx.request_id = NewRequestId();
  ctx.region = options_.region;
  ctx.tls = request.tls;
  ctx.headers = &request.headers;
  ctx.source_ip = request.remote_address;
  try {
    return HandleUnsafe(request, ctx);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed with exception: {}", ctx.request_id, request.method,
                  request.target, e.what());
  } catch (...) {
    spdlog::error("request {} {} {} failed with an unknown exception", ctx.request_id, request.method,
                  request.target);
  }
  http::HttpResponse response;
  response.status = 500;
  response.close_connection = true;
  response.headers.Set("x-amz-request-id", ctx.request_id);
  return response;
}

http::HttpResponse Router::HandleUnsafe(http::HttpRequest& request, RequestContext& ctx) {
  const auto started = std::chrono::steady_clock::now();
  Detected d = DetectService(request);
  if (!d.service) {
    http::HttpResponse response;
    response.status = 400;
    response.body = "Cenote could not determine the AWS service of this request.";
    return response;
  }
  const model::ServiceModel& service = *d.service;
  ctx.service = service.endpoint_prefix();
  if (!d.scope_region.empty()) ctx.region = d.scope_region;

  auto finish = [&](http::HttpResponse response) {
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
            .count();
    spdlog::debug("{} {} {} {} -> {} ({} us) id={}", ctx.source_ip, ctx.service,
                  ctx.operation.empty() ? "-" : ctx.operation, request.target, response.status, micros,
                  ctx.request_id);
    return response;
  };

  // Authenticate against the request exactly as the client signed it (before the virtual-host rewrite:
  // the client signed its own path).
  sigv4::AuthOptions auth_options;
  auth_options.style = StyleFor(service);
  auth_options.now = [] { return std::chrono::system_clock::now(); };
  Result<iam::Principal> principal = sigv4::Authenticate(request, credentials_, auth_options);
  if (!principal) {
    return finish(protocol::SerializeError(service, nullptr, principal.error(), ctx));
  }
  ctx.principal = std::move(principal).value();

  if (d.virtual_bucket) {
    // Path-style from here on: "/key?x" on host "bucket.localhost" becomes "/bucket/key?x".
    std::string path(request.Path());
    std::string query(request.Query());
    std::string rewritten = "/" + *d.virtual_bucket + (path == "/" ? "" : path);
    if (!query.empty() || request.target.find('?') != std::string::npos) rewritten += "?" + query;
    request.target = std::move(rewritten);
  }

  Result<protocol::ParsedRequest> parsed =
      protocol::ParseRequest(service, request, options_.max_document_body);
  if (!parsed) {
    return finish(protocol::SerializeError(service, nullptr, parsed.error(), ctx));
  }
  const model::Operation& operation = *parsed->operation;
  ctx.operation = operation.name;
  if (Status valid = protocol::ValidateRequest(service, *parsed, request.headers); !valid) {
    return finish(protocol::SerializeError(service, &operation, valid.error(), ctx));
  }

  auto it = providers_.find(ctx.service);
  if (it == providers_.end()) {
    Error error = MakeError("NotImplemented",
                            "Cenote does not implement the " + service.endpoint_prefix() +
                                " service yet (operation " + operation.name + ").",
                            501);
    return finish(protocol::SerializeError(service, &operation, error, ctx));
  }

  OperationInput input;
  input.params = std::move(parsed->input);
  if (operation.HasStreamingInput()) input.body = request.body.get();

  Result<OperationOutput> output = it->second->Invoke(ctx, operation.name, input);
  if (!output) {
    return finish(protocol::SerializeError(service, &operation, output.error(), ctx));
  }
  return finish(protocol::SerializeResponse(service, operation, std::move(output).value(), ctx));
}

}  // namespace cenote::aws
