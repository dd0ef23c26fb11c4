// The Firehose errors Cenote answers, with AWS's codes, statuses and message templates, in one table so
// that the provider, the tests and docs/firehose-coverage.md use the same text. Templates take their
// arguments in order at each `{}`.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::firehose {

struct ErrorSpec {
  const char* code;
  const char* message;  // template; `{}` placeholders
  int http_status;
};

namespace errors {
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
inline constexpr ErrorSpec kInternalFailure{"InternalFailure", "Internal service failure.", 500};
inline constexpr ErrorSpec kUnknownOperation{"UnknownOperationException", "Unknown operation {}", 400};
}  // namespace errors

// Every entry above, in declaration order.
const std::vector<ErrorSpec>& ErrorTable();

// The entry's code and status with its template filled in from `args`, in order.
Error MakeFirehoseError(const ErrorSpec& spec, std::initializer_list<std::string_view> args = {});

}  // namespace cenote::firehose
