// The contract between the AWS plumbing (router, protocol layer) and a service provider.
//
// A provider receives an operation name and a parsed input document and returns an output
// document or an Error. It never sees HTTP framing, never writes XML or JSON: the protocol
// layer turns documents into wire bytes following the service model.
//
// Document conventions (the same in every protocol, so providers are protocol-agnostic):
//   - structure  -> JSON object keyed by the model's member names (not wire names)
//   - string     -> string;   boolean -> bool;   integer/long -> int64;   float/double -> double
//   - timestamp  -> int64 milliseconds since the Unix epoch (UTC)
//   - blob       -> string holding the raw bytes (the protocol layer base64-encodes as needed)
//   - list       -> array;    map -> object
//   Absent members are absent (never null). A streaming blob payload (S3 PutObject/GetObject Body)
//   is not in the document: it is OperationInput::body / OperationOutput::body.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"
#include "iam/principal.hpp"

namespace cenote::aws {

using Document = boost::json::value;

struct RequestContext {
  std::string request_id;  // also sent as x-amz-request-id / x-amzn-RequestId
  // The request's region: its SigV4 credential scope's, else the server's default. Every regional
  // resource a call creates or finds lives in this region's namespace, and its ARN says so.
  std::string region;
  std::string service;    // model endpoint prefix: "s3", "glue", ...
  std::string operation;  // "PutObject"
  iam::Principal principal;
  // Network calls: the client's address. In-process calls: the calling service's principal
  // ("firehose.amazonaws.com"), as CloudTrail records it.
  std::string source_ip;
  // In-process calls only: the service making the call on the principal's behalf
  // ("firehose.amazonaws.com"); "" for calls from the network.
  std::string invoked_by;
  // In-process calls of a service principal acting for a resource (aws::Caller::source_arn/source_account).
  std::string source_arn;
  std::string source_account;
  bool forwarded = false;  // in-process calls with the caller's own credentials (aws::Caller::forwarded)
  const http::Headers* headers = nullptr;  // the raw request headers (null in-process), for the rare quirk
                                           // the model misses
  bool tls = false;

  // The account that owns what this call creates: the caller's.
  const std::string& account_id() const { return principal.account_id; }
  bool in_process() const { return !invoked_by.empty(); }
};

struct OperationInput {
  Document params;  // always an object
  // The streaming payload (already de-framed and verified by the SigV4 layer), for operations whose
  // input has a streaming blob payload; null otherwise. Owned by the request.
  http::BodyReader* body = nullptr;
  // Network calls of rest-xml operations whose body the protocol layer read whole to parse (S3's XML
  // documents: DeleteObjects, PutBucketTagging, ...): the body as received, so that the provider can check
  // the Content-MD5 or x-amz-checksum-* that came with it. nullopt for every other call.
  std::optional<std::string> raw_body;
};

struct OperationOutput {
  OperationOutput() = default;
  // The common case: a handler's output document and nothing else.
  OperationOutput(boost::json::object document) : result(std::move(document)) {}  // NOLINT: implicit

  Document result = boost::json::object();
  // Streaming payload for operations whose output has a streaming blob payload (GetObject Body).
  std::unique_ptr<http::BodySource> body;
  // 0: the model's status (or 200). Otherwise overrides it (206 Partial Content, 304, ...).
  int http_status = 0;
};

// One per AWS service: its business logic behind the request pipeline (aws/pipeline/pipeline.hpp).
//
// The pipeline owns everything around a provider: it answers operations the provider does not
// implement (Implements() false) with the service's unsupported-operation error, catches exceptions
// escaping Invoke and answers the service's internal error without their text, and hides the message of
// any 500 a provider returns (logged with the request id). So a provider neither catches nor words
// these itself.
//
// Thread safety: Implements and Invoke are called concurrently from worker threads.
// A browser's cross-origin request (CORS), as the pipeline hands it to the provider of the resource.
struct CorsRequest {
  std::string resource;  // what the request is for (S3: the bucket)
  std::string origin;    // the Origin header
  std::string method;    // a preflight's Access-Control-Request-Method, or the actual request's method
  std::vector<std::string> headers;  // a preflight's Access-Control-Request-Headers, lowercased
  bool preflight = false;
};

// ---- Requests a provider serves outside its API (unsigned routes)
//
// A few AWS endpoints are not API calls: the links SNS messages carry, a Lambda function URL
// (https://<url-id>.lambda-url.<region>.on.aws/), an S3 website endpoint. A provider declares them as
// UnsignedRoutes (Provider::UnsignedRoutes, collected when it is registered); the pipeline's detect stage
// matches them before anything else, so a request that matches no route stays refused unless signed (or,
// for S3, evaluated as the anonymous principal): security by default.
//
// Host patterns (`UnsignedRoute::host`) are matched case-insensitively against the Host header without its
// port, label by label: "*" matches one label, "prefix*suffix" one label with that prefix and suffix, and a
// leading "**" one or more labels (bucket names with dots). Each wildcard's text is a capture, in order:
//   "*.lambda-url.*.on.aws"          matches "abc.lambda-url.us-east-1.on.aws"       -> {"abc", "us-east-1"}
//   "**.s3-website-*.amazonaws.com"  matches "my.site.s3-website-eu-west-1.amazonaws.com"
//                                                                          -> {"my.site", "eu-west-1"}

// A request a raw route's handler serves: the HTTP request as received and the call's context.
struct RawRequest {
  http::HttpRequest& http;
  // request_id, source_ip, tls and headers are set; service and operation are the route's. The handler sets
  // `region` (the pipeline's default until then) and, through Authenticate, `principal` (anonymous until
  // then), so the after-hooks record them.
  RequestContext& ctx;
  std::vector<std::string> captures;  // the host pattern's wildcards, in order
  // Verifies the request's SigV4 signature (header or presigned; the credential scope must name
  // `signing_service`) and sets ctx.principal and ctx.region (the scope's). An unsigned request fails with
  // MissingAuthenticationTokenException; errors are in the JSON protocols' words.
  std::function<Status(std::string_view signing_service)> authenticate;
  // Asks the authorizer whether ctx.principal may perform `operation` (an operation of the route's service's
  // action map, e.g. lambda's InvokeFunctionUrl) on `params`, as the authorize stage does for API calls.
  std::function<Status(std::string_view operation, const boost::json::value& params)> authorize;
};

struct UnsignedRoute {
  std::string host;    // host pattern (above); "" for any host (then only unsigned requests match)
  std::string method;  // "GET", ...; "" for any method (OPTIONS included: a raw handler answers preflights)
  // A further condition on the request (its path or query); empty: none.
  std::function<bool(const http::HttpRequest&)> accepts;
  // The name the after-hooks record the request under ("InvokeFunctionUrl"); "" records none (ctx.operation
  // empty: CloudTrail skips it, as AWS does for website requests).
  std::string operation;
  // Raw routes: answers the request. Exceptions escaping it are answered as a 500.
  std::function<http::HttpResponse(RawRequest&)> handler;
  // API routes (no handler): the request is one of the service's own API calls, made unsigned, and goes
  // through its ordinary stages (the action map decides what an anonymous caller may do); `rewrite`, when
  // set, first changes the request (its target) into the call's wire form.
  std::function<void(http::HttpRequest&)> rewrite;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // The service model this provider implements, by endpoint prefix ("s3", "glue", ...).
  virtual std::string_view service() const = 0;
  // True when Invoke implements `operation` (a model operation name).
  virtual bool Implements(std::string_view operation) const = 0;
  // The code of this service's internal-failure error when it is not its protocol's default (Glue:
  // "InternalServiceException"); "" for the default (aws/pipeline/service_errors.hpp).
  virtual std::string_view internal_error_code() const { return {}; }
  // Runs one implemented operation. `input.params` is always an object.
  virtual Result<OperationOutput> Invoke(const RequestContext& ctx, std::string_view operation,
                                         OperationInput& input) = 0;
  // The Access-Control-* headers that answer a cross-origin request, or nullopt when the resource's CORS
  // configuration does not allow it (a preflight is then refused; an actual request goes on without them).
  // An error answers a preflight instead (the service's words for "CORS is not enabled here"). The default
  // allows nothing: a service without CORS configurations.
  virtual Result<std::optional<http::Headers>> Cors(const CorsRequest& /*request*/) {
    return std::optional<http::Headers>();
  }
  // The requests this service serves outside its API (above); asked once, when the provider is registered.
  virtual std::vector<UnsignedRoute> UnsignedRoutes() { return {}; }
};

}  // namespace cenote::aws
