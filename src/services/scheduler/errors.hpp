// Amazon EventBridge Scheduler's errors, in AWS's words (the API reference's error list of each operation).
#pragma once

#include "services/common/error_spec.hpp"

namespace cenote::scheduler::errors {

using services::ErrorSpec;

inline constexpr ErrorSpec kScheduleNotFound{"ResourceNotFoundException", "Schedule {} does not exist.", 404};
inline constexpr ErrorSpec kGroupNotFound{"ResourceNotFoundException", "Schedule group {} does not exist.",
                                          404};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFoundException", "{}", 404};
inline constexpr ErrorSpec kScheduleExists{"ConflictException", "Schedule {} already exists.", 409};
inline constexpr ErrorSpec kGroupExists{"ConflictException", "Schedule group {} already exists.", 409};
inline constexpr ErrorSpec kConflict{"ConflictException", "{}", 409};
inline constexpr ErrorSpec kValidation{"ValidationException", "{}", 400};
inline constexpr ErrorSpec kQuotaExceeded{"ServiceQuotaExceededException", "{}", 402};

}  // namespace cenote::scheduler::errors
