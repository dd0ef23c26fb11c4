// Glue's entry in the platform's list of services (src/platform/service_list.cpp): the Data Catalog and
// the crawlers, jobs, triggers and workflows. Offers the catalog to the services after it (Athena, Firehose's
// format conversion).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>

#include <boost/json.hpp>

#include "aws/invoker.hpp"
#include "query/engine.hpp"
#include "services/common/service_deps.hpp"
#include "services/glue/authority.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"
#include "services/glue/glue_provider.hpp"
#include "services/glue/jobs/executor.hpp"
#include "services/glue/jobs/jobs.hpp"
#include "services/glue/schema_registry.hpp"
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
  // The catalog's resource policy decides cross-account access (PutResourcePolicy).
  iam::ResourceAuthority& authority = deps.Keep(MakeCatalogAuthority(catalog));
  if (deps.add_resource_authority) deps.add_resource_authority(&authority);
  CENOTE_ASSIGN_OR_RETURN(query::QueryEngine * engine, deps.Engine());

  // Each crawl reads the lake as its crawler's role, in the crawler's region (Crawlers asks the lake for
  // that principal per run); the schedules of every region run on the platform's background tasks.
  CrawlerOptions crawler_options;
  crawler_options.default_account = deps.account_id;
  crawler_options.default_region = deps.default_region;
  // Crawler state changes go to EventBridge's default bus of the crawler's account and region, put by Glue
  // itself (EventBridge's documented entry point for AWS service events: PutEvents through the invoker).
  aws::Invoker& invoker = deps.invoker;
  // Jobs (created after the crawlers) hear of ended crawls for their conditional triggers and workflows.
  auto jobs_holder = std::make_shared<std::atomic<Jobs*>>(nullptr);
  crawler_options.on_state_change = [&invoker, jobs_holder](const std::string& account,
                                                            const std::string& region,
                                                            boost::json::object detail) {
    if (Jobs* jobs = jobs_holder->load()) {
      const auto name = detail.if_contains("crawlerName");
      const auto state = detail.if_contains("state");
      // A crawl's end (Succeeded / Failed); "Started" is not an end.
      if (name && name->is_string() && state && state->is_string() &&
          (state->get_string() == "Succeeded" || state->get_string() == "Failed")) {
        jobs->CrawlerEnded(account, region, std::string(name->get_string()),
                           state->get_string() == "Succeeded" ? "SUCCEEDED" : "FAILED");
      }
    }
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

  // Jobs: runs execute through the invoker (STS for the role's credentials, S3 for the script, Athena for
  // SQL jobs, CloudWatch Logs for output); state changes go to EventBridge as Glue's own events.
  JobsOptions job_options;
  jobs::ExecutorOptions exec_options;
  exec_options.scratch_dir = deps.scratch_dir + "/glue-jobs";
  exec_options.hide = {deps.data_dir, deps.scratch_dir};
  exec_options.endpoint = deps.endpoint_url;
  if (const char* e = std::getenv("CENOTE_ENDPOINT_URL"); e != nullptr && *e != '\0')
    exec_options.endpoint = e;
  exec_options.endpoint_fallback = [jobs_holder]() -> std::string {
    Jobs* jobs = jobs_holder->load();
    return jobs != nullptr ? jobs->LastEndpoint() : "";
  };
  job_options.executor = jobs::MakeExecutor(invoker, exec_options);
  // Timeouts in tests: CENOTE_GLUE_MS_PER_MINUTE (default 60000).
  if (const char* m = std::getenv("CENOTE_GLUE_MS_PER_MINUTE"); m != nullptr && *m != '\0') {
    job_options.ms_per_minute = std::max(1L, std::atol(m));
  }
  job_options.on_event = [&invoker](const std::string& account, const std::string& region,
                                    const std::string& detail_type, boost::json::object detail) {
    const aws::Caller caller = aws::ServiceCaller("glue.amazonaws.com", account, region);
    aws::OperationInput in;
    in.params = boost::json::object{
        {"Entries", boost::json::array{boost::json::object{{"Source", "aws.glue"},
                                                           {"DetailType", detail_type},
                                                           {"Detail", boost::json::serialize(detail)},
                                                           {"Resources", boost::json::array{}},
                                                           {"EventBusName", "default"}}}}};
    auto put = invoker.Call(caller, "events", "PutEvents", in);
    if (!put) spdlog::debug("glue: job state change not sent to EventBridge: {}", put.error().message);
  };
  // Trigger actions start crawlers as Glue itself, in the trigger's account and region.
  auto glue_ctx = [](const std::string& account, const std::string& region) {
    aws::RequestContext ctx;
    ctx.region = region;
    ctx.service = "glue";
    ctx.principal = aws::ServiceCaller("glue.amazonaws.com", account, region).principal;
    return ctx;
  };
  job_options.start_crawler = [&crawlers, glue_ctx](const std::string& account, const std::string& region,
                                                    const std::string& crawler) -> Status {
    auto out = crawlers.StartCrawler(glue_ctx(account, region), boost::json::object{{"Name", crawler}});
    if (!out) return out.error();
    return Status::Ok();
  };
  job_options.crawler_state = [&crawlers, glue_ctx](const std::string& account, const std::string& region,
                                                    const std::string& crawler) -> std::string {
    auto out = crawlers.GetCrawler(glue_ctx(account, region), boost::json::object{{"Name", crawler}});
    if (!out || !out->result.is_object()) return "";
    const auto* c = out->result.as_object().if_contains("Crawler");
    if (c == nullptr || !c->is_object()) return "";
    const auto* state = c->as_object().if_contains("State");
    if (state && state->is_string() && state->get_string() != "READY") return "RUNNING";
    const auto* last = c->as_object().if_contains("LastCrawl");
    if (last == nullptr || !last->is_object()) return "";
    const auto* status = last->as_object().if_contains("Status");
    return status && status->is_string() ? std::string(status->get_string()) : "";
  };
  CENOTE_ASSIGN_OR_RETURN(auto jobs_ptr, Jobs::Open(deps.metadata, deps.tasks, std::move(job_options)));
  Jobs& jobs = deps.Keep(std::move(jobs_ptr));
  jobs_holder->store(&jobs);
  // Runs in flight are ended at shutdown (after the crawlers stop announcing).
  deps.OnShutdown([&jobs, jobs_holder] {
    jobs_holder->store(nullptr);
    jobs.Shutdown();
  });
  // Column statistics task runs compute with the engine through the StatisticsQueries Athena offers the
  // catalog when it registers.
  CENOTE_ASSIGN_OR_RETURN(auto runs_ptr, ColumnStatisticsRuns::Open(catalog, deps.tasks));
  ColumnStatisticsRuns& runs = deps.Keep(std::move(runs_ptr));
  deps.OnShutdown([&runs] { runs.Shutdown(); });
  // The schema registry (after the catalog: its tags share the catalog's table).
  CENOTE_ASSIGN_OR_RETURN(auto schemas_ptr, SchemaRegistry::Open(deps.metadata));
  SchemaRegistry& schemas = deps.Keep(std::move(schemas_ptr));
  deps.AddProvider(std::make_unique<GlueProvider>(catalog, crawlers, &jobs, &runs, &schemas));
  return Status::Ok();
}

}  // namespace cenote::glue
