// Glue's entry in the platform's list of services (src/platform/service_list.cpp): the Data Catalog and
// the crawlers. Offers the catalog to the services after it (Athena, Firehose's format conversion).
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "aws/invoker.hpp"
#include "query/engine.hpp"
#include "services/common/service_deps.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"
#include "services/glue/glue_provider.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::glue {

namespace {
constexpr std::int64_t kCatalogDataKeyTtlMs = 5000;
}  // namespace

Status Register(services::ServiceDeps& deps) {
  s3::Lake* lake = deps.Find<s3::Lake>();
  if (lake == nullptr) return InternalError("glue: the S3 lake is not registered");
  // Catalog rows from before the catalog was regional belong to the root account in the default region.
  CENOTE_ASSIGN_OR_RETURN(auto catalog_ptr,
                          Catalog::Open(deps.metadata, deps.account_id, deps.default_region));
  Catalog& catalog = deps.Keep(std::move(catalog_ptr));
  // Encryption at rest asks KMS in-process as the catalog's accessor; data keys are reused for a few seconds
  // per accessor and key, so a key disabled or a grant removed takes effect within that period.
  catalog.UseKms(InvokerKms(deps.invoker), kCatalogDataKeyTtlMs);
  deps.Offer<Catalog>(catalog);
  CENOTE_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps.Engine());

  // Each crawl reads the lake as its crawler's role, in the crawler's region (Crawlers asks the lake for
  // that principal per run); the schedules of every region run on the platform's background tasks.
  CrawlerOptions crawler_options;
  crawler_options.default_account = deps.account_id;
  crawler_options.default_region = deps.default_region;
  // Crawler state changes go to EventBridge's default bus of the crawler's account and region, put by Glue
  // itself (EventBridge's documented entry point for AWS service events: PutEvents through the invoker).
  aws::Invoker& invoker = deps.invoker;
  crawler_options.on_state_change = [&invoker](const std::string& account, const std::string& region,
                                               boost::json::object detail) {
    const aws::Caller caller = aws::ServiceCaller("glue.amazonaws.com", account, region);
    aws::OperationInput in;
    in.params = boost::json::object{
        {"Entries", boost::json::array{boost::json::object{{"Source", "aws.glue"},
                                                           {"DetailType", "Glue Crawler State Change"},
                                                           {"Detail", boost::json::serialize(detail)},
                                                           {"Resources", boost::json::array{}},
                                                           {"EventBusName", "default"}}}}};
    auto put = invoker.Call(caller, "events", "PutEvents", in);
    if (!put) spdlog::debug("glue: crawler state change not sent to EventBridge: {}", put.error().message);
  };
  CENOTE_ASSIGN_OR_RETURN(
      auto crawlers_ptr, Crawlers::Open(deps.metadata, catalog, *lake, *engine, deps.tasks, crawler_options));
  Crawlers& crawlers = deps.Keep(std::move(crawlers_ptr));
  // Running crawls are cancelled at shutdown; their state says so after a restart.
  deps.OnShutdown([&crawlers] { crawlers.Shutdown(); });
  deps.AddProvider(std::make_unique<GlueProvider>(catalog, crawlers));
  return Status::Ok();
}

}  // namespace cenote::glue
