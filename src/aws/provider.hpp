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

#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "http/message.hpp"
#include "iam/principal.hpp"

namespace cenote::aws {

using Document = boost::json::value;

struct RequestContext {
  std::string request_id;  // also sent as x-amz-request-id / x-amzn-RequestId
  std::string region;      // from the credential scope, or the server's default
  std::string service;     // model endpoint prefix: "s3", "glue", ...
  std::string operation;   // "PutObject"
  iam::Principal principal;
  std::string source_ip;
  const http::Headers* headers = nullptr;  // the raw request headers, for the rare quirk the model misses
  bool tls = false;
};

struct OperationInput {
  Document params;  // always an object
  // The streaming payload (already de-framed and verified by the SigV4 layer), for operations whose
  // input has a streaming blob payload; null otherwise. Owned by the request.
  http::BodyReader* body = nullptr;
};

struct OperationOutput {
  Document result = boost::json::object();
  // Streaming payload for operations whose output has a streaming blob payload (GetObject Body).
  std::unique_ptr<http::BodySource> body;
  // 0: the model's status (or 200). Otherwise overrides it (206 Partial Content, 304, ...).
  int http_status = 0;
};

// One per AWS service. Thread-safe: Invoke is called concurrently from worker threads.
class Provider {
 public:
  virtual ~Provider() = default;
  // The service model this provider implements, by endpoint prefix ("s3", "glue", ...).
  virtual std::string_view service() const = 0;
  // Runs one operation. Unknown or unsupported operations return an Error (for S3:
  // NotImplemented, 501) so clients get the error they expect.
  virtual Result<OperationOutput> Invoke(const RequestContext& ctx, std::string_view operation,
                                         OperationInput& input) = 0;
};

}  // namespace cenote::aws
