// The CloudTrail errors Cenote answers, with AWS's codes, statuses and message templates, in one table so
// that the provider, the tests and docs/cloudtrail-coverage.md use the same text. Templates take their
// arguments in order at each `{}` (services::MakeError). Unsupported operations and internal failures are
// the request pipeline's to answer (aws/pipeline/service_errors.hpp).
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::cloudtrail {

using services::ErrorSpec;

namespace errors {
inline constexpr ErrorSpec kTrailExists{"TrailAlreadyExistsException",
                                        "Trail {} already exists for customer: {}", 400};
inline constexpr ErrorSpec kTrailNotFound{"TrailNotFoundException", "Unknown trail: {} for the user: {}",
                                          400};
inline constexpr ErrorSpec kInvalidTrailName{"InvalidTrailNameException", "{}", 400};
inline constexpr ErrorSpec kInvalidTrailArn{"CloudTrailARNInvalidException", "{} is not a valid trail ARN.",
                                            400};
inline constexpr ErrorSpec kBucketDoesNotExist{"S3BucketDoesNotExistException",
                                               "S3 bucket {} does not exist.", 400};
inline constexpr ErrorSpec kInsufficientBucketPolicy{
    "InsufficientS3BucketPolicyException", "Incorrect S3 bucket policy is detected for bucket: {}", 400};
inline constexpr ErrorSpec kInvalidPrefix{"InvalidS3PrefixException", "{}", 400};
inline constexpr ErrorSpec kMaxTrails{"MaximumNumberOfTrailsExceededException",
                                      "User: {} already has 5 trails in {}.", 400};
inline constexpr ErrorSpec kHomeRegion{"InvalidHomeRegionException",
                                       "This operation must be called from the trail's home region {}.", 400};
inline constexpr ErrorSpec kUnsupported{"UnsupportedOperationException", "{}", 400};
// KmsKeyId: the key does not exist (in the trail's region), its policy does not let CloudTrail use it, or KMS
// refused otherwise (a disabled key, one pending deletion).
inline constexpr ErrorSpec kKmsKeyNotFound{"KmsKeyNotFoundException", "KMS key not found for {}", 400};
inline constexpr ErrorSpec kInsufficientEncryptionPolicy{
    "InsufficientEncryptionPolicyException", "Insufficient permissions to access S3 bucket {} or KMS key {}.",
    400};
inline constexpr ErrorSpec kKms{"KmsException", "{}", 400};
inline constexpr ErrorSpec kInvalidParameter{"InvalidParameterException", "{}", 400};
inline constexpr ErrorSpec kInvalidCombination{"InvalidParameterCombinationException", "{}", 400};
inline constexpr ErrorSpec kInvalidEventSelectors{"InvalidEventSelectorsException", "{}", 400};
inline constexpr ErrorSpec kInvalidLookupAttributes{"InvalidLookupAttributesException", "{}", 400};
inline constexpr ErrorSpec kInvalidTimeRange{"InvalidTimeRangeException", "{}", 400};
inline constexpr ErrorSpec kInvalidMaxResults{"InvalidMaxResultsException", "{}", 400};
inline constexpr ErrorSpec kInvalidNextToken{"InvalidNextTokenException", "Invalid NextToken: {}", 400};
inline constexpr ErrorSpec kInvalidEventCategory{"InvalidEventCategoryException", "{}", 400};
inline constexpr ErrorSpec kInvalidTagParameter{"InvalidTagParameterException", "{}", 400};
inline constexpr ErrorSpec kTagsLimit{
    "TagsLimitExceededException", "The number of tags on the resource would exceed the limit of 50.", 400};
inline constexpr ErrorSpec kResourceNotFound{"ResourceNotFoundException", "{}", 400};
// CloudTrail Lake (lake.cpp).
inline constexpr ErrorSpec kEventDataStoreNotFound{"EventDataStoreNotFoundException",
                                                   "The specified event data store {} was not found.", 400};
inline constexpr ErrorSpec kEventDataStoreExists{"EventDataStoreAlreadyExistsException",
                                                 "An event data store named {} already exists.", 400};
inline constexpr ErrorSpec kEventDataStoreMax{"EventDataStoreMaxLimitExceededException",
                                              "Your account has reached the maximum number of event data "
                                              "stores in this Region.",
                                              400};
inline constexpr ErrorSpec kInactiveEventDataStore{"InactiveEventDataStoreException",
                                                   "The event data store {} is inactive.", 400};
inline constexpr ErrorSpec kEventDataStoreTerminationProtected{
    "EventDataStoreTerminationProtectedException",
    "The event data store {} cannot be deleted because termination protection is enabled.", 400};
inline constexpr ErrorSpec kInvalidEventDataStoreStatus{"InvalidEventDataStoreStatusException", "{}", 400};
inline constexpr ErrorSpec kInvalidQueryStatement{"InvalidQueryStatementException", "{}", 400};
inline constexpr ErrorSpec kMaxConcurrentQueries{"MaxConcurrentQueriesException",
                                                 "You are already running the maximum number of concurrent "
                                                 "queries.",
                                                 400};
inline constexpr ErrorSpec kQueryIdNotFound{"QueryIdNotFoundException", "The query ID {} does not exist.",
                                            400};
inline constexpr ErrorSpec kInactiveQuery{"InactiveQueryException", "{}", 400};
inline constexpr ErrorSpec kOrganizationsNotInUse{"OrganizationsNotInUseException",
                                                  "This account is not a member of an organization, or the "
                                                  "organization does not have all features enabled.",
                                                  400};
inline constexpr ErrorSpec kNotManagementAccount{
    "NotOrganizationMasterAccountException",
    "The request was rejected because this account is not the management account of its organization.", 400};
}  // namespace errors

const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::cloudtrail
