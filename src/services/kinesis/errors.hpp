// The Kinesis errors Cenote answers, with AWS's codes, statuses and message templates, in one table so
// that the provider, the tests and docs/kinesis-coverage.md use the same text. Templates take their
// arguments in order at each `{}` (services::MakeError). Unsupported operations and internal failures are
// the request pipeline's to answer (aws/pipeline/service_errors.hpp), not this table's.
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::kinesis {

using services::ErrorSpec;

namespace errors {
// Stream lookups and state. "under account" names the stream's account.
inline constexpr ErrorSpec kStreamNotFound{"ResourceNotFoundException",
                                           "Stream {} under account {} not found.", 400};
inline constexpr ErrorSpec kStreamExists{"ResourceInUseException",
                                         "Stream {} under account {} already exists.", 400};
inline constexpr ErrorSpec kStreamNotActive{
    "ResourceInUseException", "Stream {} under account {} not ACTIVE, instead in state {}", 400};
inline constexpr ErrorSpec kStreamHasConsumers{"ResourceInUseException",
                                               "Stream {} under account {} has registered consumers. Set "
                                               "EnforceConsumerDeletion to delete them with the "
                                               "stream.",
                                               400};
inline constexpr ErrorSpec kShardNotFound{"ResourceNotFoundException",
                                          "Shard {} in stream {} under account {} does not exist", 400};
inline constexpr ErrorSpec kConsumerNotFound{"ResourceNotFoundException",
                                             "Consumer {} under stream {} under account {} not found.", 400};
inline constexpr ErrorSpec kConsumerExists{"ResourceInUseException",
                                           "Consumer {} under stream {} already exists for account {}.", 400};
inline constexpr ErrorSpec kConsumerNotActive{"ResourceInUseException",
                                              "Consumer {} under stream {} is not in ACTIVE state.", 400};
// SubscribeToShard again within 5 s for the same consumer and shard; also the event that ends a
// subscription another call took over.
inline constexpr ErrorSpec kSubscriptionInUse{
    "ResourceInUseException", "Another active subscription exists for this consumer: {}:{}:{}:{}", 400};
inline constexpr ErrorSpec kPolicyNotFound{"ResourceNotFoundException", "No resource policy found for {}.",
                                           400};
// Input.
inline constexpr ErrorSpec kValidation{"ValidationException",
                                       "1 validation error detected: Value {} at '{}' failed to satisfy "
                                       "constraint: Member must {}",
                                       400};
inline constexpr ErrorSpec kInvalidArgument{"InvalidArgumentException", "{}", 400};
// Also an iterator issued in another region: it names no stream of this one.
inline constexpr ErrorSpec kInvalidIterator{"InvalidArgumentException", "Invalid ShardIterator.", 400};
inline constexpr ErrorSpec kExpiredIterator{
    "ExpiredIteratorException",
    "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the "
    "future than the tolerated delay of 300000 milliseconds.",
    400};
inline constexpr ErrorSpec kExpiredNextToken{"ExpiredNextTokenException",
                                             "The timestamp of the NextToken has expired.", 400};
inline constexpr ErrorSpec kInvalidNextToken{"InvalidArgumentException", "Invalid NextToken.", 400};
inline constexpr ErrorSpec kLimitExceeded{"LimitExceededException", "{}", 400};
inline constexpr ErrorSpec kThroughputExceeded{"ProvisionedThroughputExceededException",
                                               "Rate exceeded for shard {} in stream {} under account {}.",
                                               400};
// Server-side encryption: KMS's refusal of a call Kinesis made as the caller, in Kinesis's words (the message
// is KMS's).
inline constexpr ErrorSpec kKmsAccessDenied{"KMSAccessDeniedException", "{}", 400};
inline constexpr ErrorSpec kKmsDisabled{"KMSDisabledException", "{}", 400};
inline constexpr ErrorSpec kKmsInvalidState{"KMSInvalidStateException", "{}", 400};
inline constexpr ErrorSpec kKmsNotFound{"KMSNotFoundException", "{}", 400};
inline constexpr ErrorSpec kKmsOptInRequired{"KMSOptInRequired", "{}", 400};
inline constexpr ErrorSpec kKmsThrottling{"KMSThrottlingException", "{}", 400};
// PutRecords' per-record answer for a record the log could not take (inside a 200 response).
inline constexpr ErrorSpec kInternalFailure{"InternalFailure", "Internal service failure.", 500};
}  // namespace errors

// Every entry above, in declaration order (codes repeat: a code has several causes).
const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::kinesis
