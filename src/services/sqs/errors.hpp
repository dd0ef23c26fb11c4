// The SQS errors Cenote answers, in AWS's words, in one table so that the provider, the tests and
// docs/sqs-coverage.md use the same text. SQS speaks two protocols: query clients see `code` (the query
// protocol's <Code>, "AWS.SimpleQueueService.NonExistentQueue"); json clients see `type` as `__type` and
// X-Amzn-ErrorType (the error shape, "com.amazonaws.sqs#QueueDoesNotExist") and `code` in
// x-amzn-query-error, which boto3 and the JS SDK read to raise their modeled exceptions. Templates take
// their arguments in order at each `{}`.
#pragma once

#include <initializer_list>
#include <string_view>

#include "common/result.hpp"
#include "services/common/error_spec.hpp"

namespace cenote::sqs {

struct SqsErrorSpec {
  const char* code;     // query code
  const char* type;     // json error shape ("" when json uses the code as well)
  const char* message;  // template
  int http_status;
};

namespace errors {
inline constexpr SqsErrorSpec kQueueDoesNotExist{"AWS.SimpleQueueService.NonExistentQueue",
                                                 "QueueDoesNotExist", "The specified queue does not exist.",
                                                 400};
inline constexpr SqsErrorSpec kQueueNameExists{
    "QueueAlreadyExists", "QueueNameExists",
    "A queue already exists with the same name and a different value for attribute {}", 400};
inline constexpr SqsErrorSpec kQueueDeletedRecently{
    "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently",
    "You must wait 60 seconds after deleting a queue before you can create another with the same name.", 400};
inline constexpr SqsErrorSpec kInvalidAttributeName{"InvalidAttributeName", "InvalidAttributeName",
                                                    "Unknown Attribute {}.", 400};
inline constexpr SqsErrorSpec kInvalidAttributeValue{"InvalidAttributeValue", "InvalidAttributeValue",
                                                     "Invalid value for the parameter {}.", 400};
inline constexpr SqsErrorSpec kInvalidAttributeValueReason{
    "InvalidAttributeValue", "InvalidAttributeValue", "Invalid value for the parameter {}. Reason: {}", 400};
inline constexpr SqsErrorSpec kInvalidParameterValue{"InvalidParameterValue", "",
                                                     "Value {} for parameter {} is invalid. Reason: {}", 400};
inline constexpr SqsErrorSpec kInvalidParameter{"InvalidParameterValue", "", "{}", 400};
inline constexpr SqsErrorSpec kMissingParameter{"MissingParameter", "",
                                                "The request must contain the parameter {}.", 400};
inline constexpr SqsErrorSpec kInvalidQueueName{
    "InvalidParameterValue", "",
    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length", 400};
inline constexpr SqsErrorSpec kInvalidFifoQueueName{
    "InvalidParameterValue", "",
    "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end "
    "with .fifo suffix and be 1 to 80 in length.",
    400};
inline constexpr SqsErrorSpec kNotForQueueType{
    "InvalidParameterValue", "",
    "Value {} for parameter {} is invalid. Reason: The request include parameter that is not valid for this "
    "queue type.",
    400};
inline constexpr SqsErrorSpec kNoDeduplicationId{
    "InvalidParameterValue", "",
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided "
    "explicitly",
    400};
inline constexpr SqsErrorSpec kMessageTooLong{
    "InvalidParameterValue", "",
    "One or more parameters are invalid. Reason: Message must be shorter than {} bytes.", 400};
inline constexpr SqsErrorSpec kInvalidMessageContents{
    "InvalidMessageContents", "InvalidMessageContents",
    "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to "
    "#xFFFD | #x10000 to #x10FFFF",
    400};
inline constexpr SqsErrorSpec kReceiptHandleIsInvalid{
    "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
    "The input receipt handle \"{}\" is not a valid receipt handle.", 400};
inline constexpr SqsErrorSpec kReceiptHandleExpired{
    "InvalidParameterValue", "",
    "Value {} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.", 400};
inline constexpr SqsErrorSpec kMessageNotInflight{"AWS.SimpleQueueService.MessageNotInflight",
                                                  "MessageNotInflight",
                                                  "Message does not exist or is not available for visibility "
                                                  "timeout change.",
                                                  400};
inline constexpr SqsErrorSpec kPurgeQueueInProgress{
    "AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress",
    "Only one PurgeQueue operation on {} is allowed every 60 seconds.", 403};
inline constexpr SqsErrorSpec kEmptyBatchRequest{"AWS.SimpleQueueService.EmptyBatchRequest",
                                                 "EmptyBatchRequest",
                                                 "There should be at least one {} in the request.", 400};
inline constexpr SqsErrorSpec kTooManyEntriesInBatchRequest{
    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest",
    "Maximum number of entries per request are 10. You have sent {}.", 400};
inline constexpr SqsErrorSpec kBatchEntryIdsNotDistinct{"AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                                                        "BatchEntryIdsNotDistinct", "Id {} repeated.", 400};
inline constexpr SqsErrorSpec kInvalidBatchEntryId{
    "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId",
    "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most "
    "80 "
    "letters long.",
    400};
inline constexpr SqsErrorSpec kBatchRequestTooLong{
    "AWS.SimpleQueueService.BatchRequestTooLong", "BatchRequestTooLong",
    "Batch requests cannot be longer than {} bytes. You have sent {} bytes.", 400};
inline constexpr SqsErrorSpec kOverLimit{"OverLimit", "OverLimit", "{}", 403};
// KMS's refusal of a queue's data key (SSE-KMS), with KMS's own message.
inline constexpr SqsErrorSpec kKmsAccessDenied{"KMS.AccessDeniedException", "KmsAccessDenied", "{}", 400};
inline constexpr SqsErrorSpec kKmsDisabled{"KMS.DisabledException", "KmsDisabled", "{}", 400};
inline constexpr SqsErrorSpec kKmsInvalidState{"KMS.InvalidStateException", "KmsInvalidState", "{}", 400};
inline constexpr SqsErrorSpec kKmsInvalidKeyUsage{"KMS.InvalidKeyUsageException", "KmsInvalidKeyUsage", "{}",
                                                  400};
inline constexpr SqsErrorSpec kKmsNotFound{"KMS.NotFoundException", "KmsNotFound", "{}", 400};
inline constexpr SqsErrorSpec kKmsThrottled{"KMS.ThrottlingException", "KmsThrottled", "{}", 400};
inline constexpr SqsErrorSpec kResourceNotFound{"ResourceNotFoundException", "ResourceNotFoundException",
                                                "{}", 400};
inline constexpr SqsErrorSpec kUnsupportedOperation{"AWS.SimpleQueueService.UnsupportedOperation",
                                                    "UnsupportedOperation", "{}", 400};
inline constexpr SqsErrorSpec kTooManyTags{"InvalidParameterValue", "", "Too many tags added for queue {}.",
                                           400};
}  // namespace errors

// The error of `spec` with its template filled from `args`; json clients see spec.type as the error type.
inline Error MakeError(const SqsErrorSpec& spec, std::initializer_list<std::string_view> args = {}) {
  Error e = services::MakeError(services::ErrorSpec{spec.code, spec.message, spec.http_status}, args);
  if (spec.type[0] != '\0')
    e.headers.emplace_back("X-Amzn-ErrorType", std::string("com.amazonaws.sqs#") + spec.type);
  return e;
}

}  // namespace cenote::sqs
