// Model-driven AWS wire protocols: rest-xml (S3), rest-json, json 1.0/1.1 and query.
//
// ParseRequest turns an HTTP request into (operation, input Document) following the service model;
// ValidateRequest (validate.hpp) then checks the input against the model's constraints, as AWS does before
// any service logic; SerializeResponse and SerializeError turn an OperationOutput or an Error into the HTTP
// response the service's clients expect. Document conventions: src/aws/provider.hpp.
//
// The wire protocol of a request is the model's, except for json services that also speak query
// (awsQueryCompatible models such as SQS, or "protocols" listing both): a request without X-Amz-Target
// and with a form body / Action parameter is parsed as query, and its response is serialized as query.
// SerializeResponse/SerializeError decide the same way from RequestContext::headers.
//
// All functions are thread-safe (they only read the immutable model) and never throw.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "aws/model/model.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::aws::protocol {

struct ParsedRequest {
  const model::Operation* operation = nullptr;
  Document input;  // always an object
  // rest-xml: a body read whole (not a streaming payload), as received; nullopt otherwise. Becomes
  // OperationInput::raw_body.
  std::optional<std::string> raw_body;
};

// Matches the operation and parses its input. Reads a non-streaming body fully (at most max_body bytes,
// else an error) from request.body; leaves request.body unread when the input has a streaming blob
// payload (S3 PutObject, UploadPart) so that the provider streams it. On failure returns the Error the
// protocol's clients expect (S3: MethodNotAllowed, MalformedXML, InvalidArgument, ...; json:
// UnknownOperationException, SerializationException; query: MissingAction, InvalidAction,
// InvalidParameterValue, ...). Values are checked against their types only: required members and the
// other model constraints are ValidateRequest's (except for S3, whose missing members are answered here
// with S3's own errors).
Result<ParsedRequest> ParseRequest(const model::ServiceModel& service, http::HttpRequest& request,
                                   std::size_t max_body);

// Serializes a provider's output: status, header/status-code bound members, body (XML/JSON) or the
// streaming payload, Content-Type and the request id header.
http::HttpResponse SerializeResponse(const model::ServiceModel& service, const model::Operation& operation,
                                     OperationOutput&& output, const RequestContext& ctx);

// Serializes an error. `operation` may be null (the error happened before the operation was known).
// Responses to HEAD requests (when the operation is known to be HEAD) carry no body.
http::HttpResponse SerializeError(const model::ServiceModel& service, const model::Operation* operation,
                                  const Error& error, const RequestContext& ctx);

}  // namespace cenote::aws::protocol
