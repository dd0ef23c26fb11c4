// CloudWatch Logs' entry in the platform's list of services (src/platform/service_list.cpp).
#include <filesystem>

#include "services/common/service_deps.hpp"
#include "services/logs/logs_provider.hpp"
#include "store/metadata_store.hpp"

namespace cenote::logs {

Status Register(services::ServiceDeps& deps) {
  // Log events live in a database of their own (logs_provider.hpp: storage), kept until after the provider.
  const std::string dir = deps.data_dir + "/logs";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("logs: cannot create " + dir + ": " + ec.message());
  CENOTE_ASSIGN_OR_RETURN(auto opened, store::MetadataStore::OpenSqlite(dir + "/logs.db"));
  store::MetadataStore& store = deps.Keep(std::move(opened));
  LogsOptions options;
  options.clock = deps.clock;
  options.day_ms = deps.day_ms;
  options.invoker = &deps.invoker;
  // Insights runs on the shared engine, opened when the first query runs (after every service that names
  // directories it may read has registered).
  services::ServiceDeps* d = &deps;
  options.engine = [d] { return d->Engine(); };
  options.scratch_dir = deps.scratch_dir + "/logs-insights";
  std::filesystem::create_directories(options.scratch_dir, ec);
  if (ec) return InternalError("logs: cannot create " + options.scratch_dir + ": " + ec.message());
  CENOTE_ASSIGN_OR_RETURN(auto provider, LogsProvider::Open(store, deps.tasks, options));
  iam::ResourceAuthority& authority = deps.Keep(LogsProvider::MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::logs
