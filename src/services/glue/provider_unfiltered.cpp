// GlueProvider: GetUnfilteredTableMetadata, GetUnfilteredPartitionMetadata and
// GetUnfilteredPartitionsMetadata, the calls query engines integrated with Lake Formation make to read
// metadata together with what the caller may see. Cenote's catalog resources are not registered with Lake
// Formation (access is IAM's: the IAM permissions of the table's Get* action, checked by the authorizer), so,
// as Glue answers for such resources, IsRegisteredWithLakeFormation is false and AuthorizedColumns lists
// every column (data columns, then partition keys), with no cell filters.
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_objects.hpp"

namespace cenote::glue::internal {
namespace {

array AllColumns(const object& table) {
  array names;
  if (const object* sd = services::GetObject(table, "StorageDescriptor")) {
    if (const array* cols = services::GetArray(*sd, "Columns")) {
      for (const auto& c : *cols) {
        if (const auto* o = c.if_object()) names.emplace_back(services::GetString(*o, "Name").value_or(""));
      }
    }
  }
  if (const array* keys = services::GetArray(table, "PartitionKeys")) {
    for (const auto& c : *keys) {
      if (const auto* o = c.if_object()) names.emplace_back(services::GetString(*o, "Name").value_or(""));
    }
  }
  return names;
}

// The Region member names the catalog's region (cross-region reads of the same account); absent: the
// request's.
Result<std::unique_ptr<RegionalCatalog>> UnfilteredCatalog(GlueEnv& env, const aws::RequestContext& ctx,
                                                           aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  auto region = services::GetString(input.params.as_object(), "Region");
  if (!region || region->empty() || *region == ctx.region) return c;
  return env.catalog.ForRegion(ctx.account_id(), std::string(*region), AccessorOf(ctx));
}

}  // namespace

Result<aws::OperationOutput> GetUnfilteredTableMetadata(GlueEnv& env, const aws::RequestContext& ctx,
                                                        aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, UnfilteredCatalog(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_RETURN_IF_ERROR(RequiredArray(in, "SupportedPermissionTypes"));
  CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(db, name));
  array columns = AllColumns(table);
  const std::string arn = "arn:aws:glue:" + c->region() + ":" + c->catalog_id() + ":table/" +
                          std::string(table.at("DatabaseName").get_string()) + "/" +
                          std::string(table.at("Name").get_string());
  return object{{"Table", std::move(table)},
                {"AuthorizedColumns", std::move(columns)},
                {"IsRegisteredWithLakeFormation", false},
                {"CellFilters", array()},
                {"ResourceArn", arn}};
}

Result<aws::OperationOutput> GetUnfilteredPartitionMetadata(GlueEnv& env, const aws::RequestContext& ctx,
                                                            aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, UnfilteredCatalog(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_RETURN_IF_ERROR(RequiredArray(in, "SupportedPermissionTypes"));
  CENOTE_ASSIGN_OR_RETURN(auto values_v, RequiredArray(in, "PartitionValues"));
  CENOTE_ASSIGN_OR_RETURN(auto values, StringList(*values_v, "partitionValues"));
  CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(t.database, t.table));
  CENOTE_ASSIGN_OR_RETURN(auto partition, c->GetPartition(t.database, t.table, values));
  return object{{"Partition", std::move(partition)},
                {"AuthorizedColumns", AllColumns(table)},
                {"IsRegisteredWithLakeFormation", false}};
}

Result<aws::OperationOutput> GetUnfilteredPartitionsMetadata(GlueEnv& env, const aws::RequestContext& ctx,
                                                             aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, UnfilteredCatalog(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto t, TableOf(in));
  CENOTE_RETURN_IF_ERROR(RequiredArray(in, "SupportedPermissionTypes"));
  CENOTE_ASSIGN_OR_RETURN(auto expression, OptionalString(in, "Expression"));
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 1000));
  if (const auto* s = in.if_contains("Segment"); s && !s->is_null()) {
    // Segments split GetPartitions' work among readers; one reader of all segments is the one Cenote has.
    const auto* total = s->is_object() ? s->get_object().if_contains("TotalSegments") : nullptr;
    if (total == nullptr || !total->is_int64() || total->get_int64() != 1) {
      return InvalidInput(
          "Segment with more than one segment is not supported by GetUnfilteredPartitionsMetadata "
          "in Cenote.");
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto table, c->GetTable(t.database, t.table));
  const array columns = AllColumns(table);
  CENOTE_ASSIGN_OR_RETURN(auto page, c->GetPartitions(t.database, t.table, expression, token, size));
  array out;
  for (auto& p : page.items) {
    out.emplace_back(object{{"Partition", std::move(p)},
                            {"AuthorizedColumns", columns},
                            {"IsRegisteredWithLakeFormation", false}});
  }
  object result{{"UnfilteredPartitions", std::move(out)}};
  if (!page.next_token.empty()) result["NextToken"] = std::move(page.next_token);
  return result;
}

}  // namespace cenote::glue::internal
