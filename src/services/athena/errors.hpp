// The Athena API errors Cenote answers (codes, statuses, messages) in one table, so the provider, the tests
// and docs/athena-coverage.md use the same words. Query failures are not API errors: they are FAILED
// executions with a StateChangeReason (see executions.cpp). Validation of the model's constraints is the
// parse stage's (the Athena overlay names InvalidRequestException for it); the internal failure is the
// pipeline's (AthenaProvider::internal_error_code(): InternalServerException).
#pragma once

#include <string>

#include "common/result.hpp"
#include "services/common/error_spec.hpp"

namespace cenote::athena::errors {

using services::ErrorSpec;

inline constexpr ErrorSpec kInvalidRequest{"InvalidRequestException", "{}", 400};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFoundException", "{}", 400};
inline constexpr ErrorSpec kInternalServer{"InternalServerException", "{}", 500};
inline constexpr ErrorSpec kMetadata{"MetadataException", "{}", 400};
// The messages Athena returns (verified against AWS docs and client reports).
inline constexpr ErrorSpec kNoOutputLocation{
    "InvalidRequestException",
    "No output location provided. An output location is required either through the Workgroup result "
    "configuration setting or as an API input.",
    400};
inline constexpr ErrorSpec kWorkGroupNotFound{"InvalidRequestException", "WorkGroup is not found.", 400};

// AthenaErrorCode values that Athena sets on InvalidRequestException.
inline constexpr const char* kCodeInvalidInput = "INVALID_INPUT";
inline constexpr const char* kCodeResourceNotFound = "RESOURCE_NOT_FOUND";
inline constexpr const char* kCodeAlreadyExists = "ALREADY_EXISTS";

// InvalidRequestException with `message`, and Athena's AthenaErrorCode member when given.
inline Error InvalidRequest(std::string_view message, std::string athena_error_code = "") {
  Error e = services::MakeError(kInvalidRequest, {message});
  if (!athena_error_code.empty()) e.With("AthenaErrorCode", std::move(athena_error_code));
  return e;
}
inline Error WorkGroupNotFound() {
  Error e = services::MakeError(kWorkGroupNotFound);
  e.With("AthenaErrorCode", kCodeResourceNotFound);
  return e;
}
inline Error NoOutputLocation() { return services::MakeError(kNoOutputLocation); }

// ResourceNotFoundException with `message`, and the ResourceName member when given.
inline Error ResourceNotFound(std::string_view message, std::string resource_name = "") {
  Error e = services::MakeError(kResourceNotFound, {message});
  if (!resource_name.empty()) e.With("ResourceName", std::move(resource_name));
  return e;
}

inline Error InternalServer(std::string_view message) {
  return services::MakeError(kInternalServer, {message});
}

}  // namespace cenote::athena::errors
