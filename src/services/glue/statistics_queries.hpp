// StatisticsQueries: how Glue's column statistics task runs (statistics_runs.hpp) ask the query engine for a
// table's statistics. The engine binds catalog tables to the lake's files through Athena's table resolver
// (SerDes, partitions, projection), so Athena implements this and hands it to the Catalog at registration
// (Catalog::UseStatisticsQueries); Glue never names Athena.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "aws/invoker.hpp"
#include "common/result.hpp"

namespace cenote::query {
class Cancellation;
}  // namespace cenote::query

namespace cenote::glue {

class StatisticsQueries {
 public:
  virtual ~StatisticsQueries() = default;
  // Runs `sql` (one SELECT Glue generated, in Athena's dialect, naming tables of `database`) as `as` (in
  // `as.region`, in `account`'s catalog; the lake is read as `as`) and returns its first row, each value as
  // Athena prints it, nullopt for NULL. Errors are the engine's (the query's failure reason); `cancel` stops
  // the query.
  virtual Result<std::vector<std::optional<std::string>>> FirstRow(const aws::Caller& as,
                                                                   const std::string& account,
                                                                   const std::string& database,
                                                                   const std::string& sql,
                                                                   query::Cancellation& cancel) = 0;
};

}  // namespace cenote::glue
