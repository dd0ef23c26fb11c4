// AWS Step Functions' entry in the platform's list of services (src/platform/service_list.cpp).
#include "iam/directory.hpp"
#include "services/common/service_deps.hpp"
#include "services/states/states_provider.hpp"

namespace cenote::states {

Status Register(services::ServiceDeps& deps) {
  StatesOptions options;
  options.clock = deps.clock;
  options.directory = deps.Find<iam::Directory>();
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          StatesProvider::Open(deps.metadata, &deps.invoker, deps.tasks, options));
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::states
