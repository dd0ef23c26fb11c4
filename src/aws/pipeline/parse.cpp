// The parse stage: operation and input document from the wire, through the service model.
#include "aws/model/model.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "aws/pipeline/stages.hpp"
#include "aws/protocol/protocol.hpp"
#include "aws/protocol/validate.hpp"

namespace cenote::aws::pipeline::stages {

namespace {

// An operation Cenote does not implement is answered as such by the invoke stage whatever its input: a
// user learns that first, not how to fix a request that could not work anyway.
bool Implemented(const StageEnv& env, const Exchange& exchange) {
  const Provider* provider = env.services.Find(exchange.ctx.service);
  return provider != nullptr && provider->Implements(exchange.ctx.operation);
}

}  // namespace

Status Parse(const StageEnv& env, Exchange& exchange) {
  CENOTE_ASSIGN_OR_RETURN(
      protocol::ParsedRequest parsed,
      protocol::ParseRequest(*exchange.service, *exchange.request, env.options.max_document_body));
  exchange.operation = parsed.operation;
  exchange.ctx.operation = parsed.operation->name;
  // The model's constraints (required members, lengths, ranges, patterns, enums), answered as the service
  // does before any of its logic runs (S3 is exempt: it words its own).
  if (Implemented(env, exchange)) {
    CENOTE_RETURN_IF_ERROR(protocol::ValidateRequest(*exchange.service, parsed, exchange.request->headers));
  }
  exchange.input.params = std::move(parsed.input);
  exchange.input.raw_body = std::move(parsed.raw_body);
  if (parsed.operation->HasStreamingInput()) exchange.input.body = exchange.request->body.get();
  return Status::Ok();
}

Status LookUpOperation(const StageEnv& env, Exchange& exchange) {
  exchange.operation = exchange.service->FindOperation(exchange.ctx.operation);
  if (exchange.operation == nullptr) {
    // A programming error in the calling service (a misspelt operation): answered like a client's.
    return MakeError(
        "UnknownOperationException",
        "The " + exchange.service->service_id() + " model has no operation " + exchange.ctx.operation + ".",
        400);
  }
  if (!exchange.input.params.is_object()) exchange.input.params = boost::json::object();
  // The model's constraints hold for calls between services too (a service's API checks its input
  // whoever calls it), so providers can rely on them either way. S3 words its own checks.
  const model::ServiceModel& service = *exchange.service;
  if (service.protocol() == "rest-xml" || exchange.operation->input == nullptr ||
      !Implemented(env, exchange)) {
    return Status::Ok();
  }
  CENOTE_RETURN_IF_ERROR(service.LoadConstraints());
  std::vector<protocol::Violation> violations =
      protocol::FindViolations(*exchange.operation->input, exchange.input.params);
  if (!violations.empty()) return protocol::MakeValidationError(service, violations, nullptr);
  return Status::Ok();
}

}  // namespace cenote::aws::pipeline::stages
