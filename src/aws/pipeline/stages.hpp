// The request pipeline's stages (DESIGN.md "Architecture"), each a function of the pipeline's immutable
// parts (StageEnv) and one call's state (Exchange), each in its own file and tested alone. pipeline.cpp
// lists them once, in the order they run:
//
//   network:     DetectService -> Authenticate -> Parse -> Authorize -> Invoke -> Serialize -> AfterHooks
//   in-process:                       LookUpOperation -> Authorize -> Invoke ->              AfterHooks
//
// A call stage returns Ok to let the call go on, or the error that answers it (the pipeline stores it
// in the exchange and skips the remaining call stages). Serialize and AfterHooks always run.
// Stages never throw except Invoke's provider, whose exceptions Invoke itself catches.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/pipeline/exchange.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::aws {
namespace model {
class ModelRegistry;
}
namespace sigv4 {
class CredentialProvider;
}

namespace pipeline {

class Authorizer;
class AfterHook;
class ServiceRegistry;

struct PipelineOptions {
  // The region of requests whose signature names none (SigV2, anonymous); every signed request's
  // region is its credential scope's.
  std::string default_region = "us-east-1";
  // Largest non-streaming request body (JSON/XML/query documents).
  std::size_t max_document_body = 16 * 1024 * 1024;
  // SigV4's clock (skew and expiry checks); system_clock::now when empty. For tests.
  std::function<std::chrono::system_clock::time_point()> now;
};

struct StageEnv {
  const model::ModelRegistry& models;
  const sigv4::CredentialProvider& credentials;
  const ServiceRegistry& services;
  const Authorizer& authorizer;
  const std::vector<AfterHook*>& hooks;
  const PipelineOptions& options;
};

namespace stages {

// Finds the service from the request (X-Amz-Target, the SigV4 credential scope, SigV2/anonymous -> S3)
// and, for S3, the virtual-hosted bucket named by Host. Sets ctx.service and ctx.region.
Status DetectService(const StageEnv& env, Exchange& exchange);

// Verifies the signature (SigV4 header, presigned, streaming chunks, SigV2) and sets ctx.principal;
// then rewrites a virtual-hosted S3 request to path style (the client signed its own path).
Status Authenticate(const StageEnv& env, Exchange& exchange);

// Matches the operation and parses its input document from the request (protocol layer), then checks the
// model's constraints (protocol/validate.hpp: ValidationException in AWS's words); leaves a streaming
// payload (S3 PutObject) to the provider. Sets exchange.operation, ctx.operation, input.
Status Parse(const StageEnv& env, Exchange& exchange);

// In-process calls: finds the named operation in the service's model (no wire to parse) and checks the
// model's constraints on the document, as Parse does for the wire.
Status LookUpOperation(const StageEnv& env, Exchange& exchange);

// Asks the authorizer (authorizer.hpp) whether ctx.principal may perform the operation on its input.
Status Authorize(const StageEnv& env, Exchange& exchange);

// Runs the provider: the service's unsupported-operation error when no provider implements the
// operation; exceptions and 500s become the service's internal failure (the cause logged with the
// request id, never sent). `perform`, when given, runs instead of the provider (Invoker::CallWith).
Status Invoke(const StageEnv& env, Exchange& exchange, const std::function<Status()>* perform = nullptr);

// Turns the output (or the error) into the HTTP response the service's clients expect.
http::HttpResponse Serialize(const StageEnv& env, Exchange& exchange);

// CORS (cors.cpp). A preflight (OPTIONS, never signed: browsers send no credentials with it) is answered
// from the resource's CORS configuration by its provider, without the call stages; an actual request with an
// Origin header gets the matching rule's Access-Control-* headers added to its response.
http::HttpResponse Preflight(const StageEnv& env, Exchange& exchange);
void AddCorsHeaders(const StageEnv& env, const Exchange& exchange, http::HttpResponse& response);

// Hands the answered call to every after-hook (after_hooks.hpp).
// `response`: the network call's answer (its body size), null in-process.
void AfterHooks(const StageEnv& env, const Exchange& exchange, int http_status, std::string_view target,
                const http::HttpResponse* response = nullptr);

}  // namespace stages
}  // namespace pipeline
}  // namespace cenote::aws
