// Amazon SQS's entry in the platform's list of services (src/platform/service_list.cpp).
#include "services/common/service_deps.hpp"
#include "services/sqs/sqs_provider.hpp"
#include "store/stream_log.hpp"

namespace cenote::sqs {

Status Register(services::ServiceDeps& deps) {
  // Messages live in one journal per queue (group-committed appends); queue definitions in the metadata
  // store.
  CENOTE_ASSIGN_OR_RETURN(store::StreamLog * log, deps.OpenStreamLog("sqs"));
  SqsOptions options;
  options.clock = deps.clock;
  options.invoker = &deps.invoker;
  CENOTE_ASSIGN_OR_RETURN(auto provider, SqsProvider::Open(deps.metadata, *log, deps.tasks, options));
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::sqs
