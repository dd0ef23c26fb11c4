// Exchange: one call's state as it moves through the request pipeline's stages (pipeline.hpp).
//
// A stage reads what earlier stages filled in and fills in its own part; the first stage that fails
// sets `error`, and the pipeline then skips the remaining call stages but still serializes (network
// calls) and runs the after-hooks. Owned by the thread serving the call; never shared.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace cenote::aws {

namespace model {
class ServiceModel;
struct Operation;
}  // namespace model

class Provider;

namespace pipeline {

struct Exchange {
  // Network calls: the request (rewritten to path style by detect for virtual-hosted S3). Null for
  // in-process calls.
  http::HttpRequest* request = nullptr;
  RequestContext ctx;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // detect
  const model::ServiceModel* service = nullptr;
  std::optional<std::string> virtual_bucket;  // S3 virtual-hosted-style: the bucket named by Host
  std::string scope_region;                   // the SigV4 credential scope's region, if any

  // parse (in-process: the operation named by the caller, looked up in the model)
  const model::Operation* operation = nullptr;
  OperationInput input;

  // invoke
  Provider* provider = nullptr;
  OperationOutput output;

  // The first failure; later call stages do not run.
  std::optional<Error> error;

  bool failed() const { return error.has_value(); }
  void Fail(Error e) { error = std::move(e); }
};

}  // namespace pipeline
}  // namespace cenote::aws
