// The S3 errors Cenote answers, with AWS's codes, messages and statuses, in one table so that the
// provider, the tests and docs/s3-coverage.md use the same text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::s3 {

struct ErrorSpec {
  const char* code;
  const char* message;
  int http_status;
};

// The table. Every S3 error the provider produces comes from one of these entries.
namespace errors {
inline constexpr ErrorSpec kAccessDenied{"AccessDenied", "Access Denied", 403};
inline constexpr ErrorSpec kBadDigest{"BadDigest",
                                      "The Content-MD5 you specified did not match what we received.", 400};
inline constexpr ErrorSpec kBadRequest{"BadRequest", "Bad Request", 400};
inline constexpr ErrorSpec kBucketAlreadyExists{
    "BucketAlreadyExists",
    "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
    "Please select a different name and try again.",
    409};
inline constexpr ErrorSpec kBucketAlreadyOwnedByYou{
    "BucketAlreadyOwnedByYou",
    "Your previous request to create the named bucket succeeded and you already own it.", 409};
inline constexpr ErrorSpec kBucketNotEmpty{"BucketNotEmpty", "The bucket you tried to delete is not empty",
                                           409};
inline constexpr ErrorSpec kEntityTooLarge{"EntityTooLarge",
                                           "Your proposed upload exceeds the maximum allowed size", 400};
inline constexpr ErrorSpec kEntityTooSmall{
    "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400};
inline constexpr ErrorSpec kIllegalLocationConstraint{
    "IllegalLocationConstraintException",
    "The {} location constraint is incompatible for the region specific endpoint this request was sent to.",
    400};
inline constexpr ErrorSpec kInternalError{"InternalError",
                                          "We encountered an internal error. Please try again.", 500};
inline constexpr ErrorSpec kInvalidArgument{"InvalidArgument", "Invalid Argument", 400};
inline constexpr ErrorSpec kInvalidBucketName{"InvalidBucketName", "The specified bucket is not valid.", 400};
inline constexpr ErrorSpec kInvalidDigest{"InvalidDigest", "The Content-MD5 you specified was invalid.", 400};
inline constexpr ErrorSpec kInvalidLocationConstraint{"InvalidLocationConstraint",
                                                      "The specified location-constraint is not valid", 400};
inline constexpr ErrorSpec kInvalidPart{
    "InvalidPart",
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
    "specified entity tag may not have matched the part's entity tag.",
    400};
inline constexpr ErrorSpec kInvalidPartNumber{"InvalidPartNumber",
                                              "The requested partnumber is not satisfiable", 416};
inline constexpr ErrorSpec kInvalidPartOrder{
    "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.",
    400};
inline constexpr ErrorSpec kInvalidRange{"InvalidRange", "The requested range is not satisfiable", 416};
inline constexpr ErrorSpec kInvalidRequest{"InvalidRequest", "Invalid Request", 400};
inline constexpr ErrorSpec kInvalidTag{"InvalidTag", "The TagValue you have provided is invalid", 400};
inline constexpr ErrorSpec kInvalidStorageClass{"InvalidStorageClass",
                                                "The storage class you specified is not valid", 400};
inline constexpr ErrorSpec kKeyTooLongError{"KeyTooLongError", "Your key is too long", 400};
inline constexpr ErrorSpec kMalformedPolicy{
    "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400};
inline constexpr ErrorSpec kMalformedXML{
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema", 400};
inline constexpr ErrorSpec kMethodNotAllowed{
    "MethodNotAllowed", "The specified method is not allowed against this resource.", 405};
inline constexpr ErrorSpec kNoSuchBucket{"NoSuchBucket", "The specified bucket does not exist", 404};
inline constexpr ErrorSpec kNoSuchBucketPolicy{"NoSuchBucketPolicy", "The bucket policy does not exist", 404};
inline constexpr ErrorSpec kNoSuchKey{"NoSuchKey", "The specified key does not exist.", 404};
inline constexpr ErrorSpec kNoSuchTagSet{"NoSuchTagSet", "The TagSet does not exist", 404};
inline constexpr ErrorSpec kNoSuchUpload{"NoSuchUpload",
                                         "The specified upload does not exist. The upload ID may be invalid, "
                                         "or the upload may have been aborted or "
                                         "completed.",
                                         404};
inline constexpr ErrorSpec kNoSuchVersion{"NoSuchVersion", "The specified version does not exist.", 404};
inline constexpr ErrorSpec kNotImplemented{
    "NotImplemented", "A header you provided implies functionality that is not implemented", 501};
inline constexpr ErrorSpec kNotModified{"NotModified", "Not Modified", 304};
inline constexpr ErrorSpec kPreconditionFailed{
    "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412};
}  // namespace errors

// Every entry above, in alphabetical order of code.
const std::vector<ErrorSpec>& ErrorTable();

// An Error carrying the entry's code, message and status.
Error MakeS3Error(const ErrorSpec& spec);
// Same with a message that differs from the table's (AWS varies the text of a few codes by cause,
// e.g. InvalidArgument, InvalidRequest, BadDigest for x-amz-checksum-*).
Error MakeS3Error(const ErrorSpec& spec, std::string message);

}  // namespace cenote::s3
