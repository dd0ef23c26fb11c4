// GlueProvider: AWS Glue (json 1.1, "glue"): the Data Catalog (databases, tables, table versions,
// partitions, search) over Catalog, and crawlers over Crawlers. Operations the model has and Cenote does
// not implement answer an error the SDKs understand and are listed in docs/glue-coverage.md.
//
// Thread safety: Invoke may be called concurrently from any thread.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/result.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/crawler/crawlers.hpp"

namespace cenote::glue {

class GlueProvider final : public aws::Provider {
 public:
  // The catalog and the crawlers must outlive the provider.
  GlueProvider(Catalog& catalog, Crawlers& crawlers) : catalog_(catalog), crawlers_(crawlers) {}

  std::string_view service() const override { return "glue"; }
  std::string_view internal_error_code() const override { return "InternalServiceException"; }
  bool Implements(std::string_view operation) const override;
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override;

  // Catalog operations implemented here (crawler operations: Crawlers::Operations()).
  static const std::vector<std::string_view>& SupportedOperations();

 private:
  Catalog& catalog_;
  Crawlers& crawlers_;
};

}  // namespace cenote::glue
