// AWS Lambda's entry in the platform's list of services (src/platform/service_list.cpp).
#include <cstdlib>

#include "services/common/service_deps.hpp"
#include "services/lambda/lambda_provider.hpp"

namespace cenote::lambda {

Status Register(services::ServiceDeps& deps) {
  LambdaOptions options;
  options.clock = deps.clock;
  options.data_dir = deps.data_dir + "/lambda";
  options.scratch_dir = deps.scratch_dir + "/lambda";
  // Execution environments see neither the data directory nor the scratch directory (other functions' code).
  options.hide = {deps.data_dir, deps.scratch_dir};
  // AWS_ENDPOINT_URL inside functions: CENOTE_ENDPOINT_URL, else the server's own address, else (a port
  // chosen at start) the Host of the last request Lambda answered.
  options.endpoint = deps.endpoint_url;
  if (const char* e = std::getenv("CENOTE_ENDPOINT_URL"); e != nullptr && *e != '\0') options.endpoint = e;
  if (const char* s = std::getenv("CENOTE_LAMBDA_IDLE_SECONDS"); s != nullptr && *s != '\0') {
    options.idle_ms = std::max(1L, std::atol(s)) * 1000;
  }
  // Async retry delays in tests: CENOTE_LAMBDA_RETRY_MS_PER_SECOND (default 1000).
  if (const char* u = std::getenv("CENOTE_LAMBDA_RETRY_MS_PER_SECOND"); u != nullptr && *u != '\0') {
    options.retry_ms_per_second = std::max(1L, std::atol(u));
  }
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          LambdaProvider::Open(deps.metadata, &deps.invoker, deps.tasks, options));
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::lambda
