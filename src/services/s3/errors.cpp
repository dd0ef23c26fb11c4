#include "services/s3/errors.hpp"

namespace cenote::s3 {

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;  // NOLINT: the table lists them all.
  static const std::vector<ErrorSpec> kTable = {
      kAccessDenied,
      kBadDigest,
      kBadRequest,
      kBucketAlreadyExists,
      kBucketAlreadyOwnedByYou,
      kBucketNotEmpty,
      kEntityTooLarge,
      kEntityTooSmall,
      kIllegalLocationConstraint,
      kInternalError,
      kInvalidArgument,
      kInvalidBucketName,
      kInvalidDigest,
      kInvalidLocationConstraint,
      kInvalidPart,
      kInvalidPartNumber,
      kInvalidPartOrder,
      kInvalidRange,
      kInvalidRequest,
      kInvalidTag,
      kInvalidStorageClass,
      kKeyTooLongError,
      kMalformedPolicy,
      kMalformedXML,
      kMethodNotAllowed,
      kNoSuchBucket,
      kNoSuchBucketPolicy,
      kNoSuchKey,
      kNoSuchTagSet,
      kNoSuchUpload,
      kNoSuchVersion,
      kNotImplemented,
      kNotModified,
      kPreconditionFailed,
  };
  return kTable;
}

Error MakeS3Error(const ErrorSpec& spec) { return MakeError(spec.code, spec.message, spec.http_status); }

Error MakeS3Error(const ErrorSpec& spec, std::string message) {
  return MakeError(spec.code, std::move(message), spec.http_status);
}

}  // namespace cenote::s3
