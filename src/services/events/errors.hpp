// Amazon EventBridge's errors, in AWS's words (the API reference's error list of each operation).
#pragma once

#include "services/common/error_spec.hpp"

namespace cenote::events::errors {

using services::ErrorSpec;

inline constexpr ErrorSpec kBusNotFound{"ResourceNotFoundException", "Event bus {} does not exist.", 400};
inline constexpr ErrorSpec kBusExists{"ResourceAlreadyExistsException", "Event bus {} already exists.", 400};
inline constexpr ErrorSpec kRuleNotFound{"ResourceNotFoundException",
                                         "Rule {} does not exist on EventBus {}.", 400};
inline constexpr ErrorSpec kArchiveNotFound{"ResourceNotFoundException", "Archive {} does not exist.", 400};
inline constexpr ErrorSpec kArchiveExists{"ResourceAlreadyExistsException", "Archive {} already exists.",
                                          400};
inline constexpr ErrorSpec kReplayNotFound{"ResourceNotFoundException", "Replay {} does not exist.", 400};
inline constexpr ErrorSpec kReplayExists{"ResourceAlreadyExistsException", "Replay {} already exists.", 400};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFoundException", "{}", 400};
inline constexpr ErrorSpec kValidation{"ValidationException", "{}", 400};
inline constexpr ErrorSpec kIllegalStatus{"IllegalStatusException", "{}", 400};
inline constexpr ErrorSpec kLimitExceeded{"LimitExceededException", "{}", 400};
inline constexpr ErrorSpec kManagedRule{"ManagedRuleException",
                                        "Rule {} is managed by {} and cannot be changed without Force.", 400};
inline constexpr ErrorSpec kPolicyNotFound{"ResourceNotFoundException",
                                           "Statement with the provided id does not exist.", 400};
inline constexpr ErrorSpec kPolicyLengthExceeded{"PolicyLengthExceededException",
                                                 "The event bus policy is too long.", 400};
inline constexpr ErrorSpec kConcurrentModification{"ConcurrentModificationException", "{}", 400};
inline constexpr ErrorSpec kInvalidEventPattern{"InvalidEventPatternException",
                                                "Event pattern is not valid. Reason: {}", 400};

}  // namespace cenote::events::errors
