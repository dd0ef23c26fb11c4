// Amazon EventBridge's entry in the platform's list of services (src/platform/service_list.cpp).
#include "services/common/service_deps.hpp"
#include "services/events/events_provider.hpp"

namespace cenote::events {

Status Register(services::ServiceDeps& deps) {
  EventsOptions options;
  options.clock = deps.clock;
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          EventsProvider::Open(deps.metadata, &deps.invoker, deps.tasks, options));
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::events
