// Kinesis Data Streams' entry in the platform's list of services (src/platform/service_list.cpp).
#include "services/common/service_deps.hpp"
#include "services/kinesis/kinesis_provider.hpp"
#include "store/stream_log.hpp"

namespace cenote::kinesis {

Status Register(services::ServiceDeps& deps) {
  // Records live in their own append-only logs (group-committed); stream metadata in the metadata store.
  CENOTE_ASSIGN_OR_RETURN(store::StreamLog * log, deps.OpenStreamLog("kinesis"));
  KinesisOptions options;
  // Streams are regional (each request's region); these only place the streams stored before that.
  options.default_account = deps.account_id;
  options.default_region = deps.default_region;
  options.clock = deps.clock;
  options.invoker = &deps.invoker;
  CENOTE_ASSIGN_OR_RETURN(auto provider, KinesisProvider::Open(deps.metadata, *log, deps.tasks, options));
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::kinesis
