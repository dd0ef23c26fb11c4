// The CloudWatch Logs errors Cenote answers, with AWS's codes, statuses and message templates, in one table
// so that the provider, the tests and docs/logs-coverage.md use the same text. Templates take their
// arguments in order at each `{}` (services::MakeError). Unsupported operations and internal failures are
// the request pipeline's to answer (aws/pipeline/service_errors.hpp), not this table's.
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::logs {

using services::ErrorSpec;

namespace errors {
inline constexpr ErrorSpec kGroupNotFound{"ResourceNotFoundException",
                                          "The specified log group does not exist.", 400};
inline constexpr ErrorSpec kStreamNotFound{"ResourceNotFoundException",
                                           "The specified log stream does not exist.", 400};
inline constexpr ErrorSpec kGroupExists{"ResourceAlreadyExistsException",
                                        "The specified log group already exists", 400};
inline constexpr ErrorSpec kStreamExists{"ResourceAlreadyExistsException",
                                         "The specified log stream already exists", 400};
inline constexpr ErrorSpec kFilterNotFound{"ResourceNotFoundException",
                                           "The specified filter does not exist.", 400};
inline constexpr ErrorSpec kPolicyNotFound{"ResourceNotFoundException",
                                           "Policy with name [{}] does not exist", 400};
inline constexpr ErrorSpec kQueryNotFound{"ResourceNotFoundException", "Query does not exist.", 400};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFoundException", "{}", 400};
inline constexpr ErrorSpec kInvalidParameter{"InvalidParameterException", "{}", 400};
inline constexpr ErrorSpec kInvalidFilterPattern{"InvalidParameterException", "Invalid filter pattern: {}",
                                                 400};
inline constexpr ErrorSpec kLimitExceeded{"LimitExceededException", "{}", 400};
inline constexpr ErrorSpec kMalformedQuery{"MalformedQueryException", "{}", 400};
inline constexpr ErrorSpec kInvalidOperation{"InvalidOperationException", "{}", 400};
inline constexpr ErrorSpec kOperationAborted{"OperationAbortedException", "{}", 400};
// The destination of a subscription filter refused the test message (AWS checks it on creation).
inline constexpr ErrorSpec kDeliveryTest{
    "InvalidParameterException",
    "Could not deliver test message to specified destination. Check if the "
    "destination is valid.",
    400};
// AWS's words when a Lambda destination cannot be invoked by CloudWatch Logs (no such function, or its
// resource policy does not let logs.amazonaws.com in).
inline constexpr ErrorSpec kLambdaDeliveryTest{
    "InvalidParameterException",
    "Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute "
    "your function.",
    400};
inline constexpr ErrorSpec kTooManyTags{"TooManyTagsException",
                                        "A resource can have no more than 50 tags. Resource: {}", 400};
}  // namespace errors

// Every entry above, in declaration order (codes repeat: a code has several causes).
const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::logs
