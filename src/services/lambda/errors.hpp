// AWS Lambda's errors, in AWS's words (the API reference's error list of each operation).
#pragma once

#include "services/common/error_spec.hpp"

namespace cenote::lambda::errors {

using services::ErrorSpec;

inline constexpr ErrorSpec kFunctionNotFound{"ResourceNotFoundException", "Function not found: {}", 404};
inline constexpr ErrorSpec kAliasNotFound{"ResourceNotFoundException", "Alias not found: {}", 404};
inline constexpr ErrorSpec kLayerNotFound{"ResourceNotFoundException",
                                          "The resource you requested does not exist.", 404};
inline constexpr ErrorSpec kNoPolicy{"ResourceNotFoundException",
                                     "The resource you requested does not exist.", 404};
inline constexpr ErrorSpec kStatementNotFound{"ResourceNotFoundException",
                                              "Statement {} is not found in resource policy.", 404};
inline constexpr ErrorSpec kNoEventInvokeConfig{"ResourceNotFoundException",
                                                "The function {} doesn't have an EventInvokeConfig", 404};
inline constexpr ErrorSpec kFunctionExists{"ResourceConflictException", "Function already exist: {}", 409};
inline constexpr ErrorSpec kAliasExists{"ResourceConflictException", "Alias already exists: {}", 409};
inline constexpr ErrorSpec kStatementExists{
    "ResourceConflictException",
    "The statement id ({}) provided already exists. Please provide a new "
    "statement id, or remove the existing statement.",
    409};
inline constexpr ErrorSpec kConflict{"ResourceConflictException", "{}", 409};
inline constexpr ErrorSpec kPreconditionFailed{"PreconditionFailedException",
                                               "The Revision Id provided does not match the latest Revision "
                                               "Id. Call the GetFunction/GetAlias API to retrieve "
                                               "the latest Revision Id",
                                               412};
inline constexpr ErrorSpec kLayerPreconditionFailed{
    "PreconditionFailedException",
    "The Revision Id provided does not match the latest Revision "
    "Id. Call the GetLayerPolicy API to retrieve the latest "
    "Revision Id",
    412};
inline constexpr ErrorSpec kInvalidParameter{"InvalidParameterValueException", "{}", 400};
inline constexpr ErrorSpec kRoleCannotBeAssumed{
    "InvalidParameterValueException", "The role defined for the function cannot be assumed by Lambda.", 400};
inline constexpr ErrorSpec kRequestTooLarge{
    "RequestTooLargeException", "Request must be smaller than {} bytes for the {} operation", 413};
inline constexpr ErrorSpec kInvalidRequestContent{"InvalidRequestContentException",
                                                  "Could not parse request body into json: {}", 400};
inline constexpr ErrorSpec kThrottled{"TooManyRequestsException", "Rate Exceeded.", 429};
inline constexpr ErrorSpec kService{"ServiceException", "{}", 500};

}  // namespace cenote::lambda::errors
