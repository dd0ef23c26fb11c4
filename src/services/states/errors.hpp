// AWS Step Functions' errors, in AWS's words (the API reference's error list of each operation).
#pragma once

#include "services/common/error_spec.hpp"

namespace cenote::states::errors {

using services::ErrorSpec;

inline constexpr ErrorSpec kInvalidArn{"InvalidArn", "Invalid Arn: '{}'", 400};
inline constexpr ErrorSpec kInvalidName{"InvalidName", "Invalid Name: '{}'", 400};
inline constexpr ErrorSpec kInvalidDefinition{"InvalidDefinition", "{}", 400};
inline constexpr ErrorSpec kStateMachineDoesNotExist{"StateMachineDoesNotExist",
                                                     "State Machine Does Not Exist: '{}'", 400};
inline constexpr ErrorSpec kStateMachineAlreadyExists{"StateMachineAlreadyExists",
                                                      "State Machine Already Exists: '{}'", 400};
inline constexpr ErrorSpec kStateMachineTypeNotSupported{"StateMachineTypeNotSupported", "{}", 400};
inline constexpr ErrorSpec kExecutionDoesNotExist{"ExecutionDoesNotExist", "Execution Does Not Exist: '{}'",
                                                  400};
inline constexpr ErrorSpec kExecutionAlreadyExists{"ExecutionAlreadyExists", "Execution Already Exists: '{}'",
                                                   400};
inline constexpr ErrorSpec kExecutionNotRedrivable{"ExecutionNotRedrivable", "{}", 400};
inline constexpr ErrorSpec kInvalidExecutionInput{"InvalidExecutionInput",
                                                  "Invalid State Machine Execution Input: '{}'", 400};
inline constexpr ErrorSpec kInvalidOutput{"InvalidOutput", "Invalid Output: '{}'", 400};
inline constexpr ErrorSpec kInvalidToken{"InvalidToken", "Invalid Token: '{}'", 400};
inline constexpr ErrorSpec kTaskTimedOut{"TaskTimedOut", "Task Timed Out: '{}'", 400};
inline constexpr ErrorSpec kTaskDoesNotExist{"TaskDoesNotExist", "Task Does Not Exist: '{}'", 400};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFound", "{}", 400};
inline constexpr ErrorSpec kConflict{"ConflictException", "{}", 400};
inline constexpr ErrorSpec kValidation{"ValidationException", "{}", 400};
inline constexpr ErrorSpec kTooManyTags{"TooManyTags", "{}", 400};
inline constexpr ErrorSpec kInvalidLoggingConfiguration{"InvalidLoggingConfiguration", "{}", 400};
inline constexpr ErrorSpec kAccessDenied{"AccessDeniedException", "{}", 400};
inline constexpr ErrorSpec kActivityDoesNotExist{"ActivityDoesNotExist", "Activity Does Not Exist: '{}'",
                                                 400};
inline constexpr ErrorSpec kActivityLimitExceeded{"ActivityLimitExceeded", "{}", 400};
inline constexpr ErrorSpec kActivityWorkerLimitExceeded{"ActivityWorkerLimitExceeded", "{}", 400};

}  // namespace cenote::states::errors
