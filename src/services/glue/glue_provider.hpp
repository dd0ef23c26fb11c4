// GlueProvider: AWS Glue (json 1.1, "glue"): the Data Catalog (databases, tables, table versions,
// partitions, search) over Catalog, crawlers over Crawlers, and jobs, triggers and workflows over Jobs. Every
// resource lives in the catalog of the request's account and region (RequestContext::account_id(), ::region),
// as on AWS. The provider is its operation table (services::TableProvider); operations the model has and
// Cenote does not implement are answered by the pipeline and listed in docs/glue-coverage.md.
//
// Thread safety: Invoke may be called concurrently from any thread.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "services/common/operation_table.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"
#include "services/glue/jobs/jobs.hpp"
#include "services/glue/statistics_runs.hpp"

namespace cenote::glue {

class SchemaRegistry;

// What Glue's handlers work on: every region's catalog, the crawlers and the jobs (with their triggers and
// workflows; null: the job operations answer that jobs are not available) and the schema registry. All
// outlive the provider.
struct GlueEnv {
  const Catalog& catalog;
  Crawlers& crawlers;
  Jobs* jobs = nullptr;
  // Column statistics task runs (null: those operations answer that the service is unavailable).
  ColumnStatisticsRuns* statistics_runs = nullptr;
  SchemaRegistry* schemas = nullptr;
};

class GlueProvider final : public services::TableProvider<GlueEnv> {
 public:
  GlueProvider(const Catalog& catalog, Crawlers& crawlers, Jobs* jobs = nullptr,
               ColumnStatisticsRuns* statistics_runs = nullptr, SchemaRegistry* schemas = nullptr)
      : env_{.catalog = catalog,
             .crawlers = crawlers,
             .jobs = jobs,
             .statistics_runs = statistics_runs,
             .schemas = schemas} {}

  std::string_view service() const override { return "glue"; }
  std::string_view internal_error_code() const override { return "InternalServiceException"; }

  // Every operation implemented (Data Catalog and crawlers), in table order.
  static const std::vector<std::string_view>& SupportedOperations();

 protected:
  const Table& table() const override;
  GlueEnv& env() override { return env_; }

 private:
  GlueEnv env_;
};

}  // namespace cenote::glue
