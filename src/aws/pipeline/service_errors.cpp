#include "aws/pipeline/service_errors.hpp"

#include "aws/model/model.hpp"

namespace cenote::aws::pipeline {

namespace {

bool IsRestXml(const model::ServiceModel& service) { return service.protocol() == "rest-xml"; }
bool IsQuery(const model::ServiceModel& service) { return service.protocol() == "query"; }

}  // namespace

Error UnsupportedOperation(const model::ServiceModel& service, std::string_view operation) {
  std::string message = "Cenote does not implement " + service.service_id() + " " + std::string(operation) +
                        " yet (docs/" + service.endpoint_prefix() + "-coverage.md lists what it does).";
  // S3 answers functionality it lacks with 501 NotImplemented; SDKs do not retry it.
  if (IsRestXml(service)) return MakeError("NotImplemented", std::move(message), 501);
  // Query services answer an action they do not know with InvalidAction.
  if (IsQuery(service)) return MakeError("InvalidAction", std::move(message), 400);
  // JSON services answer a target they do not know with UnknownOperationException.
  return MakeError("UnknownOperationException", std::move(message), 400);
}

Error InternalFailure(const model::ServiceModel& service, std::string_view code) {
  if (IsRestXml(service)) {
    return MakeError(code.empty() ? "InternalError" : std::string(code),
                     "We encountered an internal error. Please try again.", 500);
  }
  return MakeError(code.empty() ? "InternalFailure" : std::string(code),
                   "The request processing has failed because of an unknown error, exception or failure.",
                   500);
}

Error AccessDenied(const model::ServiceModel& service, std::string_view principal_arn,
                   std::string_view action, std::string_view resource) {
  if (IsRestXml(service)) return MakeError("AccessDenied", "Access Denied", 403);
  std::string message = "User: " + std::string(principal_arn) +
                        " is not authorized to perform: " + std::string(action) +
                        " on resource: " + std::string(resource);
  if (IsQuery(service)) {
    const std::string& code = service.access_denied_code();
    return MakeError(code.empty() ? "AccessDenied" : code, std::move(message), 403);
  }
  return MakeError("AccessDeniedException", std::move(message), 400);
}

}  // namespace cenote::aws::pipeline
