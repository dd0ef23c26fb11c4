// Pipeline: the request pipeline (DESIGN.md "Architecture"), for calls from the network and for calls
// between services (it is the Invoker). Its stages are listed once, in pipeline.cpp (see stages.hpp):
//
//   network:     detect -> authenticate -> parse -> authorize -> invoke -> serialize -> after-hooks
//   in-process:                  look up operation -> authorize -> invoke ->              after-hooks
//
// It names no service: providers are registered at start-up by the platform's list of services, and
// the service of a request is found from the request and the embedded models.
//
// Thread safety: Register and AddHook before serving; Handle, Call and CallWith are then called
// concurrently. The pipeline owns the providers (destroyed newest first); hooks, the authorizer, the
// credentials and the models must outlive it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "aws/invoker.hpp"
#include "aws/pipeline/service_registry.hpp"
#include "aws/pipeline/stages.hpp"
#include "http/message.hpp"

namespace cenote::aws::pipeline {

class Pipeline final : public Invoker {
 public:
  Pipeline(const model::ModelRegistry& models, const sigv4::CredentialProvider& credentials,
           const Authorizer& authorizer, PipelineOptions options);
  ~Pipeline() override;

  void Register(std::unique_ptr<Provider> provider) { services_.Register(std::move(provider)); }
  // Not owned; runs in the order added.
  void AddHook(AfterHook* hook) { hooks_.push_back(hook); }
  Provider* Find(std::string_view service) const { return services_.Find(service); }
  // Destroys the providers, newest first: at shutdown, after their background work has stopped and
  // before what they use (kept objects, the engine, the stores) goes. Not while serving.
  void DestroyProviders() { services_.Clear(); }

  // Serves one request from the network end to end. Never throws.
  http::HttpResponse Handle(http::HttpRequest& request);

  // Invoker.
  Result<OperationOutput> Call(const Caller& caller, std::string_view service, std::string_view operation,
                               OperationInput& input) override;
  Status CallWith(const Caller& caller, std::string_view service, std::string_view operation,
                  const Document& params, const std::function<Status()>& perform) override;

 private:
  // Answers a request a raw unsigned route (provider.hpp) matched, with its handler.
  http::HttpResponse ServeRaw(ServiceRegistry::RouteMatch& match, Exchange& exchange);
  // Runs the in-process stages; `perform` replaces the provider for CallWith.
  Exchange RunInProcess(const Caller& caller, std::string_view service, std::string_view operation,
                        OperationInput& input, const std::function<Status()>* perform);

  const model::ModelRegistry& models_;
  const sigv4::CredentialProvider& credentials_;
  const Authorizer& authorizer_;
  PipelineOptions options_;
  std::vector<AfterHook*> hooks_;
  ServiceRegistry services_;
  StageEnv env_;
};

// A fresh request id: 16 upper-case hex characters (S3's form; other services accept any opaque string).
std::string NewRequestId();

}  // namespace cenote::aws::pipeline
