// Amazon EventBridge Scheduler's entry in the platform's list of services (src/platform/service_list.cpp).
#include "services/common/service_deps.hpp"
#include "services/scheduler/scheduler_provider.hpp"

namespace cenote::scheduler {

Status Register(services::ServiceDeps& deps) {
  SchedulerOptions options;
  options.clock = deps.clock;
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          SchedulerProvider::Open(deps.metadata, &deps.invoker, deps.tasks, options));
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::scheduler
