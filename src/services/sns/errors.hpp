// The SNS errors Cenote answers, in AWS's words (the query protocol's <Code> and <Message>), in one table so
// that the provider, the tests and docs/sns-coverage.md use the same text. Templates take their arguments in
// order at each `{}`.
#pragma once

#include "services/common/error_spec.hpp"

namespace cenote::sns::errors {

using services::ErrorSpec;

inline constexpr ErrorSpec kTopicNotFound{"NotFound", "Topic does not exist", 404};
inline constexpr ErrorSpec kSubscriptionNotFound{"NotFound", "Subscription does not exist", 404};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFound", "Resource does not exist", 404};
// "Invalid parameter: <what>" is SNS's wording for every malformed input.
inline constexpr ErrorSpec kInvalidParameter{"InvalidParameter", "Invalid parameter: {}", 400};
inline constexpr ErrorSpec kInvalidParameterReason{"InvalidParameter", "Invalid parameter: {} Reason: {}",
                                                   400};
// InvalidParameterValueException: message attribute values (AWS's words, without the "Invalid parameter:"
// prefix).
inline constexpr ErrorSpec kParameterValueInvalid{"ParameterValueInvalid", "{}", 400};
inline constexpr ErrorSpec kInvalidToken{"InvalidParameter", "Invalid token", 400};
inline constexpr ErrorSpec kAuthorizationError{"AuthorizationError", "{}", 403};
inline constexpr ErrorSpec kTopicLimitExceeded{"TopicLimitExceeded", "Topic limit exceeded", 403};
inline constexpr ErrorSpec kSubscriptionLimitExceeded{"SubscriptionLimitExceeded",
                                                      "Subscription limit exceeded", 403};
inline constexpr ErrorSpec kFilterPolicyLimitExceeded{
    "FilterPolicyLimitExceeded",
    "Filter policy limit exceeded: an account can have at most {} filter policies", 403};
inline constexpr ErrorSpec kTagLimitExceeded{
    "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded", 400};
inline constexpr ErrorSpec kTagPolicy{"TagPolicy", "{}", 400};
inline constexpr ErrorSpec kEmptyBatchRequest{"EmptyBatchRequest",
                                              "The batch request doesn't contain any entries", 400};
inline constexpr ErrorSpec kTooManyEntriesInBatchRequest{
    "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible", 400};
inline constexpr ErrorSpec kBatchEntryIdsNotDistinct{
    "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id", 400};
inline constexpr ErrorSpec kBatchRequestTooLong{
    "BatchRequestTooLong", "The length of all the messages put together is more than the limit", 400};
inline constexpr ErrorSpec kInvalidBatchEntryId{
    "InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification",
    400};
inline constexpr ErrorSpec kInternal{"InternalError", "{}", 500};

}  // namespace cenote::sns::errors
