// The errors the pipeline answers on a service's behalf, in the words that service's SDKs expect. One
// place, so every service answers an unsupported operation, an internal failure and a denial the same
// way (and the coverage docs can list them):
//
//   protocol             unsupported operation                internal failure          access denied
//   rest-xml (S3)        501 NotImplemented                   500 InternalError         403 AccessDenied
//   json, rest-json      400 UnknownOperationException        500 InternalFailure       400
//   AccessDeniedException query (IAM, SNS...)  400 InvalidAction                    500 InternalFailure 403
//   AccessDenied
//
// A provider may name its own internal-failure code (Glue: InternalServiceException, Athena:
// InternalServerException) through Provider::internal_error_code(); the message never carries the cause.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::aws {
namespace model {
class ServiceModel;
}
namespace pipeline {

// `operation` of `service` is not implemented by Cenote (or the service has no provider at all).
Error UnsupportedOperation(const model::ServiceModel& service, std::string_view operation);

// An unexpected failure (an exception, a 500 from a provider). `code` overrides the protocol's code
// when non-empty. The message is canned: the cause goes to the log, never to the client.
Error InternalFailure(const model::ServiceModel& service, std::string_view code = {});

// The caller may not perform `action` ("glue:GetDatabase") on `resource` (an ARN, or "*").
Error AccessDenied(const model::ServiceModel& service, std::string_view principal_arn,
                   std::string_view action, std::string_view resource);

}  // namespace pipeline
}  // namespace cenote::aws
