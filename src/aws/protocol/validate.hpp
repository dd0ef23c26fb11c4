// Input validation against the service model's constraints, as AWS services do it before their logic runs.
//
// AWS checks every request's input against the operation's model (required members, string and blob
// lengths, list and map sizes, numeric ranges, patterns, enums) and answers a violation with a 400 that
// lists them all:
//   1 validation error detected: Value '' at 'catalogId' failed to satisfy constraint: Member must have
//   length greater than or equal to 1
// The code is ValidationException for json and rest-json requests (a model may name another in its
// overlay: Athena's InvalidRequestException) and ValidationError for query requests. S3 (rest-xml) does
// not validate this way; its parser answers with S3's own errors.
//
// The constraints come from the model's constraint overlay (ServiceModel::LoadConstraints). Patterns are
// Java regular expressions (common/java_regex.hpp); one this matcher cannot compile is skipped, never
// held against the input.
//
// All functions are thread-safe: they read the immutable model and the input.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "aws/model/model.hpp"
#include "aws/protocol/protocol.hpp"
#include "aws/provider.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::aws::protocol {

// AWS reports at most this many violations; the count in the message is of those reported.
inline constexpr std::size_t kMaxViolations = 10;

// One failed constraint, in the words of AWS's message.
struct Violation {
  // AWS's member path: member names with the first letter lower-cased, joined by '.'; a list element is
  // "<list>.<1-based index>.member", a map value "<map>.<key>.member" ("tableInput.storageDescriptor.
  // columns.3.member.name").
  std::string path;
  // The value as AWS prints it: "null", or Java's toString in single quotes ("'abc'", "'5'", "'[a, b]'",
  // "'{k=v}'"), capped (see kMaxEchoedChars in validate.cpp); "" for a sensitive member, whose value is
  // not shown ("Value at 'password' ...").
  std::string value;
  // "Member must not be null", "Member must have length less than or equal to 255", ...
  std::string constraint;
};

// Checks `input` (an operation's input Document, conventions in aws/provider.hpp) against the structure
// `shape`, which must come from a model whose LoadConstraints() has run. Returns at most kMaxViolations,
// in the order AWS lists them: members in model order, depth first; for one value, pattern, then
// minimum, then maximum (as Kinesis answers), then enum. Missing required members are violations too
// ("Member must not be null"). Values whose JSON type does not fit the shape are not checked (the parser
// has already refused those).
std::vector<Violation> FindViolations(const model::Shape& shape, const Document& input);

// The error AWS answers for `violations` (not empty) on `service`: code per the request's protocol
// (see above; `headers` tell a query request to a json service that also speaks query), status 400, and
// the message "N validation error(s) detected: " + the violations joined by "; ".
Error MakeValidationError(const model::ServiceModel& service, const std::vector<Violation>& violations,
                          const http::Headers* headers);

// The parse stage's second step: loads the model's constraints (once) and validates a parsed request.
// Ok when the input satisfies them or the service is rest-xml (S3); otherwise the error above, except that
// a query request lacking a required member of a service whose model names a required_member_error_code
// (SQS) gets that code and "The request must contain the parameter <Name>.".
Status ValidateRequest(const model::ServiceModel& service, const ParsedRequest& request,
                       const http::Headers& headers);

}  // namespace cenote::aws::protocol
