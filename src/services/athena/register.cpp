// Athena's entry in the platform's list of services (src/platform/service_list.cpp). Needs the Glue
// catalog, the S3 lake and the query engine.
#include <filesystem>

#include "query/engine.hpp"
#include "services/athena/athena_provider.hpp"
#include "services/common/service_deps.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::athena {

// column_statistics.cpp: Glue's column statistics task runs query through Athena's table binding.
std::unique_ptr<glue::StatisticsQueries> MakeStatisticsQueries(const glue::Catalog& catalog, s3::Lake& lake,
                                                               query::QueryEngine& engine,
                                                               std::string scratch_dir);

Status Register(services::ServiceDeps& deps) {
  s3::Lake* lake = deps.Find<s3::Lake>();
  glue::Catalog* catalog = deps.Find<glue::Catalog>();
  if (lake == nullptr || catalog == nullptr)
    return InternalError("athena: S3 and Glue must be registered first");
  CENOTE_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps.Engine());

  // Each query reads tables and writes results through the lake as its StartQueryExecution caller, in the
  // catalog of that request's region. Rows from before Athena was regional belong to the root account in
  // the default region.
  AthenaOptions options;
  options.account_id = deps.account_id;
  options.region = deps.default_region;
  options.scratch_dir = deps.scratch_dir + "/athena";
  options.invoker = &deps.invoker;
  options.state_change_events = true;
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          AthenaProvider::Open(deps.metadata, *catalog, *lake, *engine, options));
  // Running queries are cancelled at shutdown; their state says so after a restart.
  AthenaProvider* athena = provider.get();
  deps.OnShutdown([athena] { athena->Shutdown(); });
  iam::ResourceAuthority& authority = deps.Keep(provider->MakeAuthority());
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  deps.AddProvider(std::move(provider));
  catalog->UseStatisticsQueries(
      &deps.Keep(MakeStatisticsQueries(*catalog, *lake, *engine, deps.scratch_dir + "/athena")));
  return Status::Ok();
}

}  // namespace cenote::athena
