// Validation of a state machine definition as CreateStateMachine, UpdateStateMachine and
// ValidateStateMachineDefinition do: JSON, the fields each state type allows and requires, their types,
// transitions to states that exist, reachability, paths and intrinsic functions. Pure; thread-safe.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::states::asl {

struct Diagnostic {
  std::string code;      // SCHEMA_VALIDATION_FAILED, MISSING_TRANSITION_TARGET, INVALID_JSON_DESCRIPTION, ...
  std::string message;   // "Field 'Foo' is not supported"
  std::string location;  // "/States/A/Next"
};

// Every problem of `definition` (empty when it is valid), in document order.
std::vector<Diagnostic> CheckDefinition(std::string_view definition);

// The definition parsed, or InvalidDefinition with AWS's message: "Invalid State Machine Definition:
// 'SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported at /States/A, ...'".
Result<boost::json::object> ParseDefinition(std::string_view definition);

}  // namespace cenote::states::asl
