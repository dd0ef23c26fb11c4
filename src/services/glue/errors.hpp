// The Glue errors Cenote answers, in Glue's words (one table: the provider, the crawlers, the tests and
// docs/glue-coverage.md use it). Glue is a json-1.1 service whose error shapes carry a "Message" member
// (capital M): the protocol layer writes "__type" and "message"; every Glue error also carries "Message"
// as a field so that SDKs that read the modeled member (the JS SDK v3's `err.Message`) see it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "services/common/error_spec.hpp"

namespace cenote::glue {

namespace errors {

using services::ErrorSpec;

// Messages Cenote words for the case (bad names, expressions, documents, tokens).
inline constexpr ErrorSpec kInvalidInput{"InvalidInputException", "{}", 400};
// A model constraint (length, pattern, range, required member) not met: the parse stage answers it for
// requests (aws/protocol/validate.hpp); the catalog answers the same for its other callers.
inline constexpr ErrorSpec kValidation{"ValidationException", "{}", 400};
inline constexpr ErrorSpec kEntityNotFound{"EntityNotFoundException", "{}", 400};
inline constexpr ErrorSpec kAlreadyExists{"AlreadyExistsException", "{}", 400};
inline constexpr ErrorSpec kResourceNumberLimitExceeded{"ResourceNumberLimitExceededException", "{}", 400};
// Glue's own wording, as the service returns it.
inline constexpr ErrorSpec kDatabaseNotFound{"EntityNotFoundException", "Database {} not found.", 400};
inline constexpr ErrorSpec kTableNotFound{"EntityNotFoundException", "Table {} not found.", 400};
inline constexpr ErrorSpec kPartitionNotFound{"EntityNotFoundException", "Cannot find partition.", 400};
inline constexpr ErrorSpec kVersionNotFound{"EntityNotFoundException", "Version not found.", 400};
// IAM's denial of another account's catalog, as Glue words it: user, operation, region, catalog account,
// operation.
inline constexpr ErrorSpec kCatalogAccessDenied{
    "AccessDeniedException",
    "User: {} is not authorized to perform: glue:{} on resource: arn:aws:glue:{}:{}:catalog because no "
    "resource-based policy allows the glue:{} action",
    400};
inline constexpr ErrorSpec kCrossAccountArn{"AccessDeniedException",
                                            "Cross-account access to {} is not allowed.", 400};
// KMS refused what catalog encryption at rest asked of it (the KMS error is in the message, as Glue reports
// it: "User: ... is not authorized to perform: kms:Decrypt on resource: ... (Service: AWSKMS; Status Code:
// 400; Error Code: AccessDeniedException; ...)").
inline constexpr ErrorSpec kGlueEncryption{"GlueEncryptionException", "{}", 400};
// PutResourcePolicy / DeleteResourcePolicy's PolicyHashCondition or PolicyExistsCondition not met.
inline constexpr ErrorSpec kConditionCheckFailure{"ConditionCheckFailureException", "{}", 400};
// Column statistics task runs.
inline constexpr ErrorSpec kColumnStatisticsTaskRunning{
    "ColumnStatisticsTaskRunningException", "A column statistics task run is already running for table {}.",
    400};
inline constexpr ErrorSpec kColumnStatisticsTaskNotRunning{
    "ColumnStatisticsTaskNotRunningException", "No column statistics task run is running for table {}.", 400};
inline constexpr ErrorSpec kColumnStatisticsTaskStopping{
    "ColumnStatisticsTaskStoppingException", "The column statistics task run of table {} is stopping.", 400};
// UpdateTable's VersionId is not the table's current version (Glue's words, as clients see them).
inline constexpr ErrorSpec kConcurrentModification{
    "ConcurrentModificationException", "Update table failed due to concurrent modifications.", 400};
// Crawlers ("Crawler entry with name X does not exist" from GetCrawler/UpdateCrawler/DeleteCrawler,
// "Crawler with name X does not exist" from StartCrawler: both seen from AWS by clients).
inline constexpr ErrorSpec kCrawlerEntryNotFound{"EntityNotFoundException",
                                                 "Crawler entry with name {} does not exist", 400};
inline constexpr ErrorSpec kCrawlerNotFound{"EntityNotFoundException", "Crawler with name {} does not exist",
                                            400};
inline constexpr ErrorSpec kCrawlerAlreadyExists{"AlreadyExistsException",
                                                 "Crawler with name {} has already been created", 400};
inline constexpr ErrorSpec kCrawlerAlreadyStarted{"CrawlerRunningException",
                                                  "Crawler with name {} has already started", 400};
inline constexpr ErrorSpec kCrawlerRunning{"CrawlerRunningException", "Crawler with name {} is running", 400};
inline constexpr ErrorSpec kCrawlerNotRunning{"CrawlerNotRunningException",
                                              "Crawler with name {} isn't running", 400};
inline constexpr ErrorSpec kCrawlerStopping{"CrawlerStoppingException", "Crawler with name {} is stopping",
                                            400};
inline constexpr ErrorSpec kCannotUpdateWhileRunning{
    "InvalidInputException",
    "Cannot update Crawler while running. Please stop crawl or wait until it completes to update.", 400};
inline constexpr ErrorSpec kCrawlerQuota{"ResourceNumberLimitExceededException",
                                         "The number of crawlers in the account has reached its quota of {}",
                                         400};
inline constexpr ErrorSpec kNoSchedule{"NoScheduleException", "Crawler with name {} does not have a schedule",
                                       400};
inline constexpr ErrorSpec kSchedulerRunning{"SchedulerRunningException",
                                             "Schedule of crawler with name {} is running", 400};
inline constexpr ErrorSpec kSchedulerNotRunning{"SchedulerNotRunningException",
                                                "Schedule of crawler with name {} is not running", 400};
inline constexpr ErrorSpec kShuttingDown{"OperationTimeoutException", "The service is shutting down", 400};

}  // namespace errors

// The entry with its template filled in, and Glue's "Message" member.
inline Error GlueError(const services::ErrorSpec& spec, std::initializer_list<std::string_view> args = {}) {
  Error e = services::MakeError(spec, args);
  e.With("Message", e.message);
  return e;
}

inline Error InvalidInput(std::string_view message) { return GlueError(errors::kInvalidInput, {message}); }
inline Error EntityNotFound(std::string_view message) {
  return GlueError(errors::kEntityNotFound, {message});
}
inline Error AlreadyExists(std::string_view message) { return GlueError(errors::kAlreadyExists, {message}); }
inline Error ResourceNumberLimitExceeded(std::string_view message) {
  return GlueError(errors::kResourceNumberLimitExceeded, {message});
}
inline Error DatabaseNotFound(std::string_view name) { return GlueError(errors::kDatabaseNotFound, {name}); }
inline Error TableNotFound(std::string_view name) { return GlueError(errors::kTableNotFound, {name}); }
inline Error PartitionNotFound() { return GlueError(errors::kPartitionNotFound); }
inline Error VersionNotFound() { return GlueError(errors::kVersionNotFound); }

// Glue's service quotas (AWS Glue endpoints and quotas) that the catalog enforces.
inline constexpr std::int64_t kMaxDatabasesPerCatalog = 10000;
inline constexpr std::int64_t kMaxTablesPerDatabase = 200000;
inline constexpr std::int64_t kMaxTableVersionsPerTable = 100000;

// The ValidationException Glue answers for a model constraint, in the parse stage's words, e.g.
// "1 validation error detected: Value null at 'databaseInput' failed to satisfy constraint: Member must
// not be null". `value` is the value as AWS echoes it ("null", "'abc'"), `path` the member path in
// lowerCamel form ("tableInput.name"). The parse stage checks the model's constraints first; the catalog
// keeps these checks for its callers that are not requests (Athena's DDL, crawlers), so that they answer
// what Glue's API would.
inline Error ConstraintViolation(std::string_view value, const std::string& path,
                                 std::string_view constraint) {
  std::string message = "1 validation error detected: Value ";
  message.append(value).append(" at '").append(path).append("' failed to satisfy constraint: ");
  message.append(constraint);
  return GlueError(errors::kValidation, {message});
}
// A member the provider needs that is missing, in the same words (InvalidInputException: the providers'
// own checks of members within structures the model leaves optional, and of calls that are not requests).
inline Error MissingMember(const std::string& path) {
  return InvalidInput("1 validation error detected: Value null at '" + path +
                      "' failed to satisfy constraint: Member must not be null");
}

}  // namespace cenote::glue
