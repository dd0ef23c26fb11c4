// The Athena API errors Cenote answers (codes, statuses, messages) in one place, so the provider, the
// tests and docs/athena-coverage.md use the same text. Query failures are not API errors: they are FAILED
// executions with a StateChangeReason (see executions.cpp).
#pragma once

#include <string>

#include "common/result.hpp"

namespace cenote::athena::errors {

inline constexpr const char* kInvalidRequest = "InvalidRequestException";
inline constexpr const char* kResourceNotFound = "ResourceNotFoundException";
inline constexpr const char* kInternalServer = "InternalServerException";
inline constexpr const char* kMetadata = "MetadataException";

// AthenaErrorCode values that Athena sets on InvalidRequestException.
inline constexpr const char* kCodeInvalidInput = "INVALID_INPUT";
inline constexpr const char* kCodeResourceNotFound = "RESOURCE_NOT_FOUND";
inline constexpr const char* kCodeAlreadyExists = "ALREADY_EXISTS";

inline Error InvalidRequest(std::string message, std::string athena_error_code = "") {
  Error e = MakeError(kInvalidRequest, std::move(message), 400);
  if (!athena_error_code.empty()) e.With("AthenaErrorCode", std::move(athena_error_code));
  return e;
}

inline Error ResourceNotFound(std::string message, std::string resource_name = "") {
  Error e = MakeError(kResourceNotFound, std::move(message), 400);
  if (!resource_name.empty()) e.With("ResourceName", std::move(resource_name));
  return e;
}

inline Error InternalServer(std::string message) {
  return MakeError(kInternalServer, std::move(message), 500);
}

// AWS's generic validation wording for a member outside its model constraint.
inline Error Validation(const std::string& value, const std::string& member, const std::string& constraint) {
  return InvalidRequest("1 validation error detected: Value '" + value + "' at '" + member +
                        "' failed to satisfy constraint: " + constraint);
}

// The messages Athena returns (verified against AWS docs and client reports).
inline constexpr const char* kNoOutputLocation =
    "No output location provided. An output location is required either through the Workgroup result "
    "configuration setting or as an API input.";
inline constexpr const char* kWorkGroupNotFound = "WorkGroup is not found.";

}  // namespace cenote::athena::errors
