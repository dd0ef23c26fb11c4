// The Firehose errors Cenote answers, with AWS's codes, statuses and message templates, in one table so
// that the provider, the tests and docs/firehose-coverage.md use the same text. Templates take their
// arguments in order at each `{}` (services::MakeError). Unsupported operations and internal failures are
// the request pipeline's to answer (aws/pipeline/service_errors.hpp), not this table's.
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::firehose {

using services::ErrorSpec;

namespace errors {
// "under account" names the stream's account.
inline constexpr ErrorSpec kStreamNotFound{"ResourceNotFoundException",
                                           "Firehose {} under account {} not found.", 400};
inline constexpr ErrorSpec kStreamExists{"ResourceInUseException",
                                         "Firehose {} under accountId {} already exists", 400};
inline constexpr ErrorSpec kStreamNotActive{
    "ResourceInUseException", "Firehose {} under account {} is not ACTIVE, instead in state {}", 400};
inline constexpr ErrorSpec kVersionMismatch{
    "ConcurrentModificationException",
    "Firehose {} under account {}: CurrentDeliveryStreamVersionId {} does not match the current version {}",
    400};
inline constexpr ErrorSpec kDestinationNotFound{"InvalidArgumentException",
                                                "Destination Id {} not found for Firehose {}.", 400};
inline constexpr ErrorSpec kValidation{"ValidationException",
                                       "1 validation error detected: Value {} at '{}' failed to satisfy "
                                       "constraint: Member must {}",
                                       400};
inline constexpr ErrorSpec kInvalidArgument{"InvalidArgumentException", "{}", 400};
inline constexpr ErrorSpec kKinesisSourcePut{
    "InvalidArgumentException",
    "This operation is not permitted on KinesisStreamAsSource delivery stream type.", 400};
inline constexpr ErrorSpec kLimitExceeded{"LimitExceededException", "{}", 400};
// KMS refused a call of buffer encryption (AccessDenied, Disabled, NotFound, InvalidState): KMS's code and
// message.
inline constexpr ErrorSpec kInvalidKmsResource{"InvalidKMSResourceException", "{}", 400};
// The log could not take the records (not a full disk, which is InsufficientStorage): the client backs off
// and retries; also PutRecordBatch's per-record answer then.
inline constexpr ErrorSpec kServiceUnavailable{"ServiceUnavailableException", "Slow down.", 503};
}  // namespace errors

// Every entry above, in declaration order.
const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::firehose
