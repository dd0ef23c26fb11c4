// The Glue provider's operation handlers (glue_provider.cpp: dispatch, shared input helpers,
// databases, tags; provider_tables.cpp: tables, versions, SearchTables; provider_partitions.cpp:
// partitions). Private to src/services/glue.
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "aws/provider.hpp"
#include "services/glue/catalog.hpp"

namespace cenote::glue::internal {

using boost::json::array;
using boost::json::value;

// A handler gets the catalog, the request and its input document; it returns the output document.
using Handler = Result<object> (*)(Catalog& catalog, const aws::RequestContext& ctx, const object& in);

// ---- input helpers: each member error is InvalidInputException with Glue's validation wording.
// `member` is the model's member name; messages use its lowerCamel form, as Glue does.
Result<std::string> RequiredString(const object& in, const char* member);
Result<std::string> OptionalString(const object& in, const char* member);  // "" when absent
Result<const object*> RequiredObject(const object& in, const char* member);
Result<const array*> RequiredArray(const object& in, const char* member, std::size_t max_items);
// MaxResults within [1, max]; 0 when absent.
Result<int> PageSize(const object& in, const char* member, int max);
Result<std::vector<std::string>> StringList(const value& v, const std::string& path);
bool OptionalBool(const object& in, const char* member);
// The DatabaseName and TableName members (both required) of the partition and version operations.
struct TableRef {
  std::string database;
  std::string table;
};
Result<TableRef> TableOf(const object& in);
// {ErrorCode, ErrorMessage} of a batch entry.
object ErrorDetail(const Error& e);
// Appends the page's items and NextToken under `list_member`.
object PageOutput(Page page, const char* list_member);
std::string ResourceArn(const Catalog& catalog, const aws::RequestContext& ctx, const std::string& resource);

// ---- handlers
Result<object> CreateDatabase(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetDatabase(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetDatabases(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> UpdateDatabase(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> DeleteDatabase(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> TagResource(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> UntagResource(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetTags(Catalog& c, const aws::RequestContext& ctx, const object& in);

Result<object> CreateTable(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetTable(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetTables(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> UpdateTable(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> DeleteTable(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> BatchDeleteTable(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetTableVersions(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetTableVersion(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> DeleteTableVersion(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> BatchDeleteTableVersion(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> SearchTables(Catalog& c, const aws::RequestContext& ctx, const object& in);

Result<object> CreatePartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> BatchCreatePartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetPartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetPartitions(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> BatchGetPartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> UpdatePartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> BatchUpdatePartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> DeletePartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> BatchDeletePartition(Catalog& c, const aws::RequestContext& ctx, const object& in);
Result<object> GetPartitionIndexes(Catalog& c, const aws::RequestContext& ctx, const object& in);

}  // namespace cenote::glue::internal
