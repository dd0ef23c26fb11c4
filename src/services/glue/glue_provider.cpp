// GlueProvider: dispatch, input helpers, databases and tags.
#include "services/glue/glue_provider.hpp"

#include <algorithm>
#include <utility>

#include "common/strings.hpp"
#include "services/common/operation_table.hpp"
#include "services/common/params.hpp"
#include "services/glue/authority.hpp"
#include "services/glue/errors.hpp"
#include "services/glue/provider_internal.hpp"
#include "services/glue/provider_objects.hpp"
#include "services/glue/provider_schema_registry.hpp"

namespace cenote::glue {
namespace internal {
namespace {

std::string LowerCamel(std::string_view member) {
  std::string s(member);
  if (!s.empty()) s[0] = AsciiToLower(s[0]);
  return s;
}

}  // namespace

// The parse stage checks a network request against the model's constraints (required members, types,
// lengths, ranges) before a handler runs; these readers take members as the shared readers do and answer a
// missing one in Glue's words for the in-process callers that skip that stage.
Result<std::string> RequiredString(const object& in, const char* member) {
  return services::RequireString(in, member, MissingMember(LowerCamel(member)));
}

Result<std::string> OptionalString(const object& in, const char* member) {
  return services::GetString(in, member).value_or("");
}

Result<const object*> RequiredObject(const object& in, const char* member) {
  if (const object* o = services::GetObject(in, member)) return o;
  return MissingMember(LowerCamel(member));
}

Result<const array*> RequiredArray(const object& in, const char* member) {
  if (const array* a = services::GetArray(in, member)) return a;
  return MissingMember(LowerCamel(member));
}

Result<int> PageSize(const object& in, const char* member, int max) {
  const std::int64_t n = services::GetInt(in, member).value_or(0);
  return static_cast<int>(std::clamp<std::int64_t>(n, 0, max));
}

Result<std::vector<std::string>> StringList(const value& v, const std::string& path) {
  if (!v.is_array()) return InvalidInput("Value at '" + path + "' must be a list.");
  std::vector<std::string> out;
  for (const auto& e : v.get_array()) {
    if (!e.is_string()) return InvalidInput("Value at '" + path + "' must be a list of strings.");
    out.emplace_back(e.get_string());
  }
  return out;
}

bool OptionalBool(const object& in, const char* member) {
  return services::GetBool(in, member).value_or(false);
}

Result<TableRef> TableOf(const object& in) {
  CENOTE_ASSIGN_OR_RETURN(auto db, RequiredString(in, "DatabaseName"));
  CENOTE_ASSIGN_OR_RETURN(auto table, RequiredString(in, "TableName"));
  return TableRef{.database = std::move(db), .table = std::move(table)};
}

Result<std::unique_ptr<RegionalCatalog>> CatalogFor(GlueEnv& env, const aws::RequestContext& ctx,
                                                    const aws::OperationInput& input) {
  if (auto id = services::GetString(input.params.as_object(), "CatalogId"); id && *id != ctx.account_id()) {
    // Another account's catalog is reached through its resource policy, which the authorizer has evaluated
    // (with the caller's own policies) before the handler runs; without one, Glue's denial.
    CENOTE_ASSIGN_OR_RETURN(auto policy, CatalogPolicyText(env.catalog, std::string(*id), ctx.region));
    if (policy.empty()) {
      return GlueError(errors::kCatalogAccessDenied,
                       {ctx.principal.arn, ctx.operation, ctx.region, *id, ctx.operation});
    }
    return env.catalog.ForRegion(std::string(*id), ctx.region, AccessorOf(ctx));
  }
  return env.catalog.ForRegion(ctx.account_id(), ctx.region, AccessorOf(ctx));
}

object ErrorDetail(const Error& e) { return object{{"ErrorCode", e.code}, {"ErrorMessage", e.message}}; }

object PageOutput(Page page, const char* list_member) {
  object out;
  array items;
  items.reserve(page.items.size());
  for (auto& o : page.items) items.emplace_back(std::move(o));
  out[list_member] = std::move(items);
  if (!page.next_token.empty()) out["NextToken"] = std::move(page.next_token);
  return out;
}

std::string ResourceArn(const aws::RequestContext& ctx, const std::string& resource) {
  return "arn:aws:glue:" + ctx.region + ":" + ctx.account_id() + ":" + resource;
}

// ---- databases ------------------------------------------------------------------------------------

Result<aws::OperationOutput> CreateDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto member_input, RequiredObject(in, "DatabaseInput"));
  const object* tags = nullptr;
  if (const auto* t = in.if_contains("Tags"); t && !t->is_null()) {
    if (!t->is_object()) return InvalidInput("Value at 'tags' must be a map.");
    tags = &t->get_object();
  }
  if (const auto* fed = member_input->if_contains("FederatedDatabase"); fed && !fed->is_null()) {
    return InvalidInput("Federated databases are not supported by Cenote.");
  }
  if (const auto* target = member_input->if_contains("TargetDatabase"); target && !target->is_null()) {
    return InvalidInput("Resource links (TargetDatabase) are not supported by Cenote.");
  }
  CENOTE_RETURN_IF_ERROR(c->CreateDatabase(*member_input));
  if (tags != nullptr && !tags->empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto db, c->GetDatabase(std::string(member_input->at("Name").get_string())));
    Status s = c->TagResource(ResourceArn(ctx, "database/" + std::string(db.at("Name").get_string())), *tags);
    if (!s) {
      // Glue validates the tags with the request: a bad tag leaves no database behind.
      (void)c->DeleteDatabase(std::string(db.at("Name").get_string()));
      return std::move(s).error();
    }
  }
  return object();
}

Result<aws::OperationOutput> GetDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto db, c->GetDatabase(name));
  return object{{"Database", std::move(db)}};
}

Result<aws::OperationOutput> GetDatabases(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto token, OptionalString(in, "NextToken"));
  CENOTE_ASSIGN_OR_RETURN(auto size, PageSize(in, "MaxResults", 100));
  CENOTE_ASSIGN_OR_RETURN(auto page, c->GetDatabases(token, size));
  // AttributesToGet: ["NAME"] asks for names only.
  if (const auto* attrs = in.if_contains("AttributesToGet");
      attrs && attrs->is_array() && !attrs->get_array().empty()) {
    for (auto& db : page.items) {
      object slim{{"Name", db.at("Name")}};
      db = std::move(slim);
    }
  }
  return PageOutput(std::move(page), "DatabaseList");
}

Result<aws::OperationOutput> UpdateDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_ASSIGN_OR_RETURN(auto member_input, RequiredObject(in, "DatabaseInput"));
  CENOTE_RETURN_IF_ERROR(c->UpdateDatabase(name, *member_input));
  return object();
}

Result<aws::OperationOutput> DeleteDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto name, RequiredString(in, "Name"));
  CENOTE_RETURN_IF_ERROR(c->DeleteDatabase(name));
  return object();
}

// ---- tags -----------------------------------------------------------------------------------------

Result<aws::OperationOutput> TagResource(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto arn, RequiredString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto tags, RequiredObject(in, "TagsToAdd"));
  CENOTE_RETURN_IF_ERROR(c->TagResource(arn, *tags));
  return object();
}

Result<aws::OperationOutput> UntagResource(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto arn, RequiredString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto keys_value, RequiredArray(in, "TagsToRemove"));
  CENOTE_ASSIGN_OR_RETURN(auto keys, StringList(*keys_value, "tagsToRemove"));
  CENOTE_RETURN_IF_ERROR(c->UntagResource(arn, keys));
  return object();
}

Result<aws::OperationOutput> GetTags(GlueEnv& env, const aws::RequestContext& ctx,
                                     aws::OperationInput& input) {
  CENOTE_ASSIGN_OR_RETURN(auto c, CatalogFor(env, ctx, input));
  const object& in = input.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto arn, RequiredString(in, "ResourceArn"));
  CENOTE_ASSIGN_OR_RETURN(auto tags, c->GetTags(arn));
  return object{{"Tags", std::move(tags)}};
}

}  // namespace internal

// docs/glue-coverage.md is generated from this table (src/services/glue/gen_coverage.py reads the
// {"Name", Handler} entries; the crawler operations are those handled in provider_crawlers.cpp).
namespace {

const GlueProvider::Table& Operations() {
  using namespace internal;  // NOLINT(build/namespaces): the handlers
  static const GlueProvider::Table kOperations = {
      {"BatchCreatePartition", BatchCreatePartition},
      {"BatchDeleteConnection", BatchDeleteConnection},
      {"BatchDeletePartition", BatchDeletePartition},
      {"BatchDeleteTable", BatchDeleteTable},
      {"BatchDeleteTableVersion", BatchDeleteTableVersion},
      {"BatchGetCrawlers", BatchGetCrawlers},
      {"BatchGetJobs", BatchGetJobs},
      {"BatchGetPartition", BatchGetPartition},
      {"BatchGetTriggers", BatchGetTriggers},
      {"BatchGetWorkflows", BatchGetWorkflows},
      {"BatchStopJobRun", BatchStopJobRun},
      {"BatchUpdatePartition", BatchUpdatePartition},
      {"CheckSchemaVersionValidity", CheckSchemaVersionValidity},
      {"CreateConnection", CreateConnection},
      {"CreateCrawler", CreateCrawler},
      {"CreateDatabase", CreateDatabase},
      {"CreateJob", CreateJob},
      {"CreatePartition", CreatePartition},
      {"CreatePartitionIndex", CreatePartitionIndex},
      {"CreateRegistry", CreateRegistry},
      {"CreateSchema", CreateSchema},
      {"CreateTable", CreateTable},
      {"CreateTrigger", CreateTrigger},
      {"CreateUserDefinedFunction", CreateUserDefinedFunction},
      {"CreateWorkflow", CreateWorkflow},
      {"DeleteColumnStatisticsForPartition", DeleteColumnStatisticsForPartition},
      {"DeleteColumnStatisticsForTable", DeleteColumnStatisticsForTable},
      {"DeleteConnection", DeleteConnection},
      {"DeleteCrawler", DeleteCrawler},
      {"DeleteDatabase", DeleteDatabase},
      {"DeleteJob", DeleteJob},
      {"DeletePartition", DeletePartition},
      {"DeletePartitionIndex", DeletePartitionIndex},
      {"DeleteRegistry", DeleteRegistry},
      {"DeleteResourcePolicy", DeleteResourcePolicy},
      {"DeleteSchema", DeleteSchema},
      {"DeleteSchemaVersions", DeleteSchemaVersions},
      {"DeleteTable", DeleteTable},
      {"DeleteTableVersion", DeleteTableVersion},
      {"DeleteTrigger", DeleteTrigger},
      {"DeleteUserDefinedFunction", DeleteUserDefinedFunction},
      {"DeleteWorkflow", DeleteWorkflow},
      {"GetColumnStatisticsForPartition", GetColumnStatisticsForPartition},
      {"GetColumnStatisticsForTable", GetColumnStatisticsForTable},
      {"GetColumnStatisticsTaskRun", GetColumnStatisticsTaskRun},
      {"GetColumnStatisticsTaskRuns", GetColumnStatisticsTaskRuns},
      {"GetConnection", GetConnection},
      {"GetConnections", GetConnections},
      {"GetCrawler", GetCrawler},
      {"GetCrawlerMetrics", GetCrawlerMetrics},
      {"GetCrawlers", GetCrawlers},
      {"GetDataCatalogEncryptionSettings", GetDataCatalogEncryptionSettings},
      {"GetDatabase", GetDatabase},
      {"GetDatabases", GetDatabases},
      {"GetJob", GetJob},
      {"GetJobBookmark", GetJobBookmark},
      {"GetJobRun", GetJobRun},
      {"GetJobRuns", GetJobRuns},
      {"GetJobs", GetJobs},
      {"GetPartition", GetPartition},
      {"GetPartitionIndexes", GetPartitionIndexes},
      {"GetPartitions", GetPartitions},
      {"GetRegistry", GetRegistry},
      {"GetResourcePolicies", GetResourcePolicies},
      {"GetResourcePolicy", GetResourcePolicy},
      {"GetSchema", GetSchema},
      {"GetSchemaByDefinition", GetSchemaByDefinition},
      {"GetSchemaVersion", GetSchemaVersion},
      {"GetSchemaVersionsDiff", GetSchemaVersionsDiff},
      {"GetTable", GetTable},
      {"GetTableVersion", GetTableVersion},
      {"GetTableVersions", GetTableVersions},
      {"GetTables", GetTables},
      {"GetTags", GetTags},
      {"GetTrigger", GetTrigger},
      {"GetTriggers", GetTriggers},
      {"GetUnfilteredPartitionMetadata", GetUnfilteredPartitionMetadata},
      {"GetUnfilteredPartitionsMetadata", GetUnfilteredPartitionsMetadata},
      {"GetUnfilteredTableMetadata", GetUnfilteredTableMetadata},
      {"GetUserDefinedFunction", GetUserDefinedFunction},
      {"GetUserDefinedFunctions", GetUserDefinedFunctions},
      {"GetWorkflow", GetWorkflow},
      {"GetWorkflowRun", GetWorkflowRun},
      {"GetWorkflowRunProperties", GetWorkflowRunProperties},
      {"GetWorkflowRuns", GetWorkflowRuns},
      {"ListColumnStatisticsTaskRuns", ListColumnStatisticsTaskRuns},
      {"ListCrawlers", ListCrawlers},
      {"ListCrawls", ListCrawls},
      {"ListJobs", ListJobs},
      {"ListRegistries", ListRegistries},
      {"ListSchemaVersions", ListSchemaVersions},
      {"ListSchemas", ListSchemas},
      {"ListTriggers", ListTriggers},
      {"ListWorkflows", ListWorkflows},
      {"NotifyEvent", NotifyEvent},
      {"PutDataCatalogEncryptionSettings", PutDataCatalogEncryptionSettings},
      {"PutResourcePolicy", PutResourcePolicy},
      {"PutSchemaVersionMetadata", PutSchemaVersionMetadata},
      {"PutWorkflowRunProperties", PutWorkflowRunProperties},
      {"QuerySchemaVersionMetadata", QuerySchemaVersionMetadata},
      {"RegisterSchemaVersion", RegisterSchemaVersion},
      {"RemoveSchemaVersionMetadata", RemoveSchemaVersionMetadata},
      {"ResetJobBookmark", ResetJobBookmark},
      {"ResumeWorkflowRun", ResumeWorkflowRun},
      {"SearchTables", SearchTables},
      {"StartColumnStatisticsTaskRun", StartColumnStatisticsTaskRun},
      {"StartCrawler", StartCrawler},
      {"StartCrawlerSchedule", StartCrawlerSchedule},
      {"StartJobRun", StartJobRun},
      {"StartTrigger", StartTrigger},
      {"StartWorkflowRun", StartWorkflowRun},
      {"StopColumnStatisticsTaskRun", StopColumnStatisticsTaskRun},
      {"StopCrawler", StopCrawler},
      {"StopCrawlerSchedule", StopCrawlerSchedule},
      {"StopTrigger", StopTrigger},
      {"StopWorkflowRun", StopWorkflowRun},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateColumnStatisticsForPartition", UpdateColumnStatisticsForPartition},
      {"UpdateColumnStatisticsForTable", UpdateColumnStatisticsForTable},
      {"UpdateConnection", UpdateConnection},
      {"UpdateCrawler", UpdateCrawler},
      {"UpdateCrawlerSchedule", UpdateCrawlerSchedule},
      {"UpdateDatabase", UpdateDatabase},
      {"UpdateJob", UpdateJob},
      {"UpdatePartition", UpdatePartition},
      {"UpdateRegistry", UpdateRegistry},
      {"UpdateSchema", UpdateSchema},
      {"UpdateTable", UpdateTable},
      {"UpdateTrigger", UpdateTrigger},
      {"UpdateUserDefinedFunction", UpdateUserDefinedFunction},
      {"UpdateWorkflow", UpdateWorkflow},
  };
  return kOperations;
}

}  // namespace

const GlueProvider::Table& GlueProvider::table() const { return Operations(); }

const std::vector<std::string_view>& GlueProvider::SupportedOperations() { return Operations().names(); }

}  // namespace cenote::glue
