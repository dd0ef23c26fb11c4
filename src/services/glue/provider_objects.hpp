// The Glue provider's handlers for the catalog objects kept by CatalogObjects (catalog_objects.hpp):
// user-defined functions (provider_functions.cpp), connections (provider_connections.cpp), resource policies
// (provider_policies.cpp), partition indexes and column statistics (provider_statistics.cpp), and the
// GetUnfiltered* metadata calls of query engines (provider_unfiltered.cpp). Private to src/services/glue.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "services/glue/provider_internal.hpp"

namespace cenote::glue::internal {

#define CENOTE_GLUE_HANDLER(Op) \
  Result<aws::OperationOutput> Op(GlueEnv& env, const aws::RequestContext& ctx, aws::OperationInput& input);

CENOTE_GLUE_HANDLER(CreateUserDefinedFunction)
CENOTE_GLUE_HANDLER(GetUserDefinedFunction)
CENOTE_GLUE_HANDLER(GetUserDefinedFunctions)
CENOTE_GLUE_HANDLER(UpdateUserDefinedFunction)
CENOTE_GLUE_HANDLER(DeleteUserDefinedFunction)

CENOTE_GLUE_HANDLER(CreateConnection)
CENOTE_GLUE_HANDLER(GetConnection)
CENOTE_GLUE_HANDLER(GetConnections)
CENOTE_GLUE_HANDLER(UpdateConnection)
CENOTE_GLUE_HANDLER(DeleteConnection)
CENOTE_GLUE_HANDLER(BatchDeleteConnection)

CENOTE_GLUE_HANDLER(PutResourcePolicy)
CENOTE_GLUE_HANDLER(GetResourcePolicy)
CENOTE_GLUE_HANDLER(GetResourcePolicies)
CENOTE_GLUE_HANDLER(DeleteResourcePolicy)

CENOTE_GLUE_HANDLER(CreatePartitionIndex)
CENOTE_GLUE_HANDLER(DeletePartitionIndex)
CENOTE_GLUE_HANDLER(UpdateColumnStatisticsForTable)
CENOTE_GLUE_HANDLER(GetColumnStatisticsForTable)
CENOTE_GLUE_HANDLER(DeleteColumnStatisticsForTable)
CENOTE_GLUE_HANDLER(UpdateColumnStatisticsForPartition)
CENOTE_GLUE_HANDLER(GetColumnStatisticsForPartition)
CENOTE_GLUE_HANDLER(DeleteColumnStatisticsForPartition)

CENOTE_GLUE_HANDLER(StartColumnStatisticsTaskRun)
CENOTE_GLUE_HANDLER(GetColumnStatisticsTaskRun)
CENOTE_GLUE_HANDLER(GetColumnStatisticsTaskRuns)
CENOTE_GLUE_HANDLER(ListColumnStatisticsTaskRuns)
CENOTE_GLUE_HANDLER(StopColumnStatisticsTaskRun)

CENOTE_GLUE_HANDLER(GetUnfilteredTableMetadata)
CENOTE_GLUE_HANDLER(GetUnfilteredPartitionMetadata)
CENOTE_GLUE_HANDLER(GetUnfilteredPartitionsMetadata)

#undef CENOTE_GLUE_HANDLER

// Creates the partition indexes of CreateTable's PartitionIndexes (already-created table `table`), each as
// CreatePartitionIndex does. Validated first by ValidatePartitionIndexes, so the table is not left half
// indexed.
Status ValidatePartitionIndexes(const object& table_input, const boost::json::array& indexes);
Status CreatePartitionIndexes(GlueEnv& env, const aws::RequestContext& ctx, RegionalCatalog& catalog,
                              const std::string& database, const std::string& table,
                              const boost::json::array& indexes);

// Column statistics (provider_statistics.cpp). The ColumnStatisticsType Glue keeps for a column type ("" for
// none), its StatisticsData member, a table's data columns (lower-case name, type), and a write of one
// column's ColumnStatistics document (as UpdateColumnStatisticsFor* stores it) under `scope` ([db, table] or
// [db, table, partition key text]).
std::string StatisticsTypeOf(const std::string& column_type);
const char* DataMemberOf(const std::string& type);
std::vector<std::pair<std::string, std::string>> DataColumns(const object& table);
Status PutColumnStatistics(const CatalogObjects& objects, const RegionalCatalog& c,
                           const std::vector<std::string>& scope, object stats);

// The ObjectKey of `kind`/`scope`/`name` in the request's catalog.
ObjectKey KeyOf(const RegionalCatalog& catalog, const char* kind, const std::vector<std::string>& scope,
                const std::string& name);
// Glue's name pattern filter (GetUserDefinedFunctions' Pattern, GetTables' Expression): a regular expression
// over the whole name, case-insensitive, `*` a wildcard, `|` between alternatives. Empty: all.
Result<std::optional<std::regex>> CompileNamePattern(const std::string& pattern);

}  // namespace cenote::glue::internal
