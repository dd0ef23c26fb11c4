// Glue's entry in the platform's list of services (src/platform/service_list.cpp): the Data Catalog and
// the crawlers. Offers the catalog to the services after it (Athena, Firehose's format conversion).
#include "query/engine.hpp"
#include "services/common/service_deps.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"
#include "services/glue/glue_provider.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::glue {

Status Register(services::ServiceDeps& deps) {
  s3::Lake* lake = deps.Find<s3::Lake>();
  if (lake == nullptr) return InternalError("glue: the S3 lake is not registered");
  CENOTE_ASSIGN_OR_RETURN(auto catalog_ptr,
                          Catalog::Open(deps.metadata, deps.account_id, deps.default_region));
  Catalog& catalog = deps.Keep(std::move(catalog_ptr));
  deps.Offer<Catalog>(catalog);
  CENOTE_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps.Engine());

  // Crawls read the lake as Glue's service principal of the account (until crawler roles are evaluated).
  aws::Caller caller;
  caller.principal.account_id = deps.account_id;
  caller.principal.arn = "arn:aws:iam::" + deps.account_id + ":root";
  caller.principal.is_root = true;
  caller.region = deps.default_region;
  caller.invoked_by = "glue.amazonaws.com";
  s3::LakeAccess& crawler_lake = deps.Keep(lake->For(caller));

  CrawlerOptions crawler_options;
  crawler_options.account_id = deps.account_id;
  crawler_options.region = deps.default_region;
  CENOTE_ASSIGN_OR_RETURN(auto crawlers_ptr,
                          Crawlers::Open(deps.metadata, catalog, crawler_lake, *engine, crawler_options));
  Crawlers& crawlers = deps.Keep(std::move(crawlers_ptr));
  // Running crawls are cancelled at shutdown; their state says so after a restart.
  deps.OnShutdown([&crawlers] { crawlers.Shutdown(); });
  deps.AddProvider(std::make_unique<GlueProvider>(catalog, crawlers));
  return Status::Ok();
}

}  // namespace cenote::glue
