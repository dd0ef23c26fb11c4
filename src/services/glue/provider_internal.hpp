// The Glue provider's operation handlers, each with the one handler signature over GlueEnv
// (glue_provider.cpp: the operation table, shared input helpers, databases, tags; provider_tables.cpp:
// tables, versions, SearchTables; provider_partitions.cpp: partitions; provider_crawlers.cpp: crawlers).
// Private to src/services/glue.
#pragma once

#include <boost/json.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/provider.hpp"
#include "services/glue/catalog.hpp"
#include "services/glue/glue_provider.hpp"

namespace cenote::glue::internal {

using boost::json::array;
using boost::json::value;

// The catalog of the request's account in the request's region. A CatalogId other than the caller's
// account is another account's catalog: AccessDeniedException, as Glue answers it without a resource
// policy that grants it.
Result<std::unique_ptr<RegionalCatalog>> CatalogFor(GlueEnv& env, const aws::RequestContext& ctx,
                                                    const aws::OperationInput& input);

// ---- input helpers over the shared readers (services/common/params.hpp): a missing member is
// InvalidInputException in Glue's validation wording (`member` is the model's member name; messages use its
// lowerCamel form, as Glue does).
Result<std::string> RequiredString(const object& in, const char* member);
Result<std::string> OptionalString(const object& in, const char* member);  // "" when absent
Result<const object*> RequiredObject(const object& in, const char* member);
Result<const array*> RequiredArray(const object& in, const char* member);
// MaxResults, at most `max` (the model bounds it); 0 when absent.
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
// arn:aws:glue:<region>:<account>:<resource> of the request's catalog.
std::string ResourceArn(const aws::RequestContext& ctx, const std::string& resource);

// ---- handlers
Result<aws::OperationOutput> CreateDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> GetDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> GetDatabases(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> UpdateDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> DeleteDatabase(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> TagResource(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> UntagResource(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> GetTags(GlueEnv& env, const aws::RequestContext& ctx,
                                     aws::OperationInput& input);

Result<aws::OperationOutput> CreateTable(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> GetTable(GlueEnv& env, const aws::RequestContext& ctx,
                                      aws::OperationInput& input);
Result<aws::OperationOutput> GetTables(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input);
Result<aws::OperationOutput> UpdateTable(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> DeleteTable(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> BatchDeleteTable(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input);
Result<aws::OperationOutput> GetTableVersions(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input);
Result<aws::OperationOutput> GetTableVersion(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> DeleteTableVersion(GlueEnv& env, const aws::RequestContext& ctx,
                                                aws::OperationInput& input);
Result<aws::OperationOutput> BatchDeleteTableVersion(GlueEnv& env, const aws::RequestContext& ctx,
                                                     aws::OperationInput& input);
Result<aws::OperationOutput> SearchTables(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);

Result<aws::OperationOutput> CreatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> BatchCreatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input);
Result<aws::OperationOutput> GetPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> GetPartitions(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> BatchGetPartition(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input);
Result<aws::OperationOutput> UpdatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> BatchUpdatePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input);
Result<aws::OperationOutput> DeletePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> BatchDeletePartition(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input);
Result<aws::OperationOutput> GetPartitionIndexes(GlueEnv& env, const aws::RequestContext& ctx,
                                                 aws::OperationInput& input);

// Encryption settings (provider_encryption.cpp).
Result<aws::OperationOutput> GetDataCatalogEncryptionSettings(GlueEnv& env, const aws::RequestContext& ctx,
                                                              aws::OperationInput& input);
Result<aws::OperationOutput> PutDataCatalogEncryptionSettings(GlueEnv& env, const aws::RequestContext& ctx,
                                                              aws::OperationInput& input);

// Crawlers (provider_crawlers.cpp): each hands the request to Crawlers in the request's namespace.
Result<aws::OperationOutput> CreateCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> GetCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input);
Result<aws::OperationOutput> GetCrawlers(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> ListCrawlers(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> BatchGetCrawlers(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input);
Result<aws::OperationOutput> UpdateCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> DeleteCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> StartCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> StopCrawler(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> GetCrawlerMetrics(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input);
Result<aws::OperationOutput> ListCrawls(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input);
Result<aws::OperationOutput> StartCrawlerSchedule(GlueEnv& env, const aws::RequestContext& ctx,
                                                  aws::OperationInput& input);
Result<aws::OperationOutput> StopCrawlerSchedule(GlueEnv& env, const aws::RequestContext& ctx,
                                                 aws::OperationInput& input);
Result<aws::OperationOutput> UpdateCrawlerSchedule(GlueEnv& env, const aws::RequestContext& ctx,
                                                   aws::OperationInput& input);

// Jobs, job runs, bookmarks, triggers and workflows (jobs/provider_jobs.cpp): handed to Jobs.
Result<aws::OperationOutput> CreateJob(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input);
Result<aws::OperationOutput> GetJob(GlueEnv& env, const aws::RequestContext& ctx, aws::OperationInput& input);
Result<aws::OperationOutput> GetJobs(GlueEnv& env, const aws::RequestContext& ctx,
                                     aws::OperationInput& input);
Result<aws::OperationOutput> ListJobs(GlueEnv& env, const aws::RequestContext& ctx,
                                      aws::OperationInput& input);
Result<aws::OperationOutput> BatchGetJobs(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> UpdateJob(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input);
Result<aws::OperationOutput> DeleteJob(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input);
Result<aws::OperationOutput> StartJobRun(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> GetJobRun(GlueEnv& env, const aws::RequestContext& ctx,
                                       aws::OperationInput& input);
Result<aws::OperationOutput> GetJobRuns(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input);
Result<aws::OperationOutput> BatchStopJobRun(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> GetJobBookmark(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> ResetJobBookmark(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input);
Result<aws::OperationOutput> CreateTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> GetTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                        aws::OperationInput& input);
Result<aws::OperationOutput> GetTriggers(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> ListTriggers(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> BatchGetTriggers(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input);
Result<aws::OperationOutput> UpdateTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> DeleteTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> StartTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                          aws::OperationInput& input);
Result<aws::OperationOutput> StopTrigger(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> CreateWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> GetWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> ListWorkflows(GlueEnv& env, const aws::RequestContext& ctx,
                                           aws::OperationInput& input);
Result<aws::OperationOutput> BatchGetWorkflows(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input);
Result<aws::OperationOutput> UpdateWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> DeleteWorkflow(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
// NotifyEvent: not an API operation; EventBridge's delivery of an event to a workflow target (events only).
Result<aws::OperationOutput> NotifyEvent(GlueEnv& env, const aws::RequestContext& ctx,
                                         aws::OperationInput& input);
Result<aws::OperationOutput> StartWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                              aws::OperationInput& input);
Result<aws::OperationOutput> GetWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                            aws::OperationInput& input);
Result<aws::OperationOutput> GetWorkflowRuns(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> StopWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                             aws::OperationInput& input);
Result<aws::OperationOutput> GetWorkflowRunProperties(GlueEnv& env, const aws::RequestContext& ctx,
                                                      aws::OperationInput& input);
Result<aws::OperationOutput> PutWorkflowRunProperties(GlueEnv& env, const aws::RequestContext& ctx,
                                                      aws::OperationInput& input);
Result<aws::OperationOutput> ResumeWorkflowRun(GlueEnv& env, const aws::RequestContext& ctx,
                                               aws::OperationInput& input);

}  // namespace cenote::glue::internal
