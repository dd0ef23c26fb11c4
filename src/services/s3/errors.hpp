// The S3 errors Cenote answers, with AWS's codes, messages and statuses, in one table so that the
// provider, the tests and docs/s3-coverage.md use the same text. AWS words some codes differently by cause
// (InvalidArgument, InvalidRequest, InvalidTag, ...): each wording is an entry of its own. Templates take
// their arguments in order at each `{}` (services::MakeError).
//
// Operations S3Provider lacks, internal failures and denials are the pipeline's to answer
// (aws/pipeline/service_errors.hpp: NotImplemented 501, InternalError 500, AccessDenied 403).
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::s3 {

namespace errors {
using services::ErrorSpec;

inline constexpr ErrorSpec kAccessDenied{"AccessDenied", "Access Denied", 403};

// Buckets.
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
inline constexpr ErrorSpec kVersionedBucketNotEmpty{
    "BucketNotEmpty",
    "The bucket you tried to delete is not empty. You must delete all versions in the bucket.", 409};
// {}: the constraint, or "unspecified".
inline constexpr ErrorSpec kIllegalLocationConstraint{
    "IllegalLocationConstraintException",
    "The {} location constraint is incompatible for the region specific endpoint this request was sent to.",
    400};
inline constexpr ErrorSpec kInvalidBucketName{"InvalidBucketName", "The specified bucket is not valid.", 400};
inline constexpr ErrorSpec kInvalidLocationConstraint{"InvalidLocationConstraint",
                                                      "The specified location-constraint is not valid", 400};
inline constexpr ErrorSpec kMalformedPolicy{
    "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400};
inline constexpr ErrorSpec kNoSuchBucket{"NoSuchBucket", "The specified bucket does not exist", 404};
inline constexpr ErrorSpec kNoSuchBucketPolicy{"NoSuchBucketPolicy", "The bucket policy does not exist", 404};

// Objects and versions.
inline constexpr ErrorSpec kEntityTooLarge{"EntityTooLarge",
                                           "Your proposed upload exceeds the maximum allowed size", 400};
inline constexpr ErrorSpec kInvalidStorageClass{"InvalidStorageClass",
                                                "The storage class you specified is not valid", 400};
inline constexpr ErrorSpec kKeyTooLongError{"KeyTooLongError", "Your key is too long", 400};
// A key that is not UTF-8 once percent-decoded (AWS's answer to such a request URI).
inline constexpr ErrorSpec kInvalidURI{"InvalidURI", "Couldn't parse the specified URI.", 400};
// User metadata past 2 KB (with Size and MaxSizeAllowed, as AWS sends them; no final period in AWS's text).
inline constexpr ErrorSpec kMetadataTooLarge{
    "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size", 400};
inline constexpr ErrorSpec kMethodNotAllowed{
    "MethodNotAllowed", "The specified method is not allowed against this resource.", 405};
inline constexpr ErrorSpec kNoSuchKey{"NoSuchKey", "The specified key does not exist.", 404};
inline constexpr ErrorSpec kNoSuchVersion{"NoSuchVersion", "The specified version does not exist.", 404};
// If-None-Match other than "*" on a write.
inline constexpr ErrorSpec kNotImplemented{
    "NotImplemented", "A header you provided implies functionality that is not implemented", 501};
inline constexpr ErrorSpec kNotModified{"NotModified", "Not Modified", 304};
inline constexpr ErrorSpec kPreconditionFailed{
    "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412};
inline constexpr ErrorSpec kInvalidRange{"InvalidRange", "The requested range is not satisfiable", 416};
inline constexpr ErrorSpec kInvalidPartNumber{"InvalidPartNumber",
                                              "The requested partnumber is not satisfiable", 416};
inline constexpr ErrorSpec kRangeWithPartNumber{
    "InvalidRequest", "Cannot specify both Range header and partNumber query parameter", 400};
inline constexpr ErrorSpec kEmptyKey{"InvalidArgument", "The key must not be empty", 400};
inline constexpr ErrorSpec kInvalidVersionId{"InvalidArgument", "Invalid version id specified", 400};

// Copies.
inline constexpr ErrorSpec kInvalidCopySource{"InvalidArgument", "Invalid copy source object key", 400};
inline constexpr ErrorSpec kUnknownMetadataDirective{"InvalidArgument", "Unknown metadata directive.", 400};
inline constexpr ErrorSpec kUnknownTaggingDirective{"InvalidArgument", "Unknown tagging directive.", 400};
inline constexpr ErrorSpec kCopySourceIsDeleteMarker{
    "InvalidRequest",
    "The source of a copy request may not specifically refer to a delete marker by version id.", 400};
// {}: the largest size a copy source may have.
inline constexpr ErrorSpec kCopySourceTooLarge{
    "InvalidRequest",
    "The specified copy source is larger than the maximum allowable size for a copy source: {}", 400};
inline constexpr ErrorSpec kCopyToItself{
    "InvalidRequest",
    "This copy request is illegal because it is trying to copy an object to itself without changing the "
    "object's metadata, storage class, website redirect location or encryption attributes.",
    400};
inline constexpr ErrorSpec kMalformedCopySourceRange{
    "InvalidArgument",
    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the "
    "zero-based offsets of the first and last bytes to copy",
    400};
// {}: the source object's size.
inline constexpr ErrorSpec kCopySourceRangeOutOfBounds{
    "InvalidArgument", "Range specified is not valid for source object of size: {}", 400};

// Digests and checksums.
inline constexpr ErrorSpec kBadDigest{"BadDigest",
                                      "The Content-MD5 you specified did not match what we received.", 400};
inline constexpr ErrorSpec kInvalidDigest{"InvalidDigest", "The Content-MD5 you specified was invalid.", 400};
// {}: the algorithm ("CRC32").
inline constexpr ErrorSpec kChecksumMismatch{
    "BadDigest", "The {} you specified did not match the calculated checksum.", 400};
// {}: the header ("x-amz-checksum-crc32").
inline constexpr ErrorSpec kInvalidChecksumValue{"InvalidRequest", "Value for {} header is invalid.", 400};
inline constexpr ErrorSpec kUnsupportedChecksumAlgorithm{"InvalidArgument",
                                                         "Checksum algorithm provided is unsupported.", 400};
inline constexpr ErrorSpec kInvalidChecksumType{"InvalidArgument",
                                                "Value for x-amz-checksum-type header is invalid.", 400};
// Operations whose body must come with a checksum (DeleteObjects).
inline constexpr ErrorSpec kMissingChecksumHeader{
    "InvalidRequest", "Missing required header for this request: Content-MD5 OR x-amz-checksum-*", 400};
inline constexpr ErrorSpec kChecksumAlgorithmWithoutValue{
    "InvalidRequest",
    "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers "
    "were found.",
    400};
// {}: the algorithm (SHA1, SHA256).
inline constexpr ErrorSpec kFullObjectChecksumUnsupported{
    "InvalidRequest", "The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.", 400};

// Server-side encryption (encryption.cpp).
inline constexpr ErrorSpec kSseCustomerKeyMissing{"InvalidArgument",
                                                  "Requests specifying Server Side Encryption with Customer "
                                                  "provided keys must provide an appropriate secret "
                                                  "key.",
                                                  400};
inline constexpr ErrorSpec kSseCustomerAlgorithmMissing{
    "InvalidArgument",
    "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption "
    "algorithm.",
    400};
inline constexpr ErrorSpec kSseCustomerKeyMd5Missing{
    "InvalidArgument",
    "Requests specifying Server Side Encryption with Customer provided keys must provide the client "
    "calculated "
    "MD5 of the secret key.",
    400};
inline constexpr ErrorSpec kSseCustomerKeyMd5Mismatch{
    "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided.", 400};
inline constexpr ErrorSpec kSseCustomerKeyInvalid{
    "InvalidArgument", "The secret key was invalid for the specified algorithm.", 400};
inline constexpr ErrorSpec kInvalidEncryptionAlgorithm{
    "InvalidEncryptionAlgorithmError",
    "The encryption request you specified is not valid. The valid value is AES256.", 400};
inline constexpr ErrorSpec kSseMethodUnsupported{"InvalidArgument",
                                                 "The encryption method specified is not supported", 400};
inline constexpr ErrorSpec kSseCustomerIncompatible{
    "InvalidArgument",
    "Server Side Encryption with Customer provided key is incompatible with the encryption method specified",
    400};
inline constexpr ErrorSpec kSseCustomerNeedsTls{
    "InvalidRequest",
    "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure "
    "connection.",
    400};
inline constexpr ErrorSpec kKmsKeyIdWithoutKms{
    "InvalidArgument", "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms", 400};
inline constexpr ErrorSpec kSseHeaderOnRead{
    "InvalidArgument", "x-amz-server-side-encryption header is not supported for this operation.", 400};
// A read of an SSE-C object without its key.
inline constexpr ErrorSpec kSseObjectNeedsKey{"InvalidRequest",
                                              "The object was stored using a form of Server Side Encryption. "
                                              "The correct parameters must be provided to "
                                              "retrieve the object.",
                                              400};
// SSE-C members on a read of an object that is not SSE-C.
inline constexpr ErrorSpec kSseNotApplicable{
    "InvalidRequest", "The encryption parameters are not applicable to this object.", 400};
// A customer key other than the one the object (or multipart upload) was encrypted with.
inline constexpr ErrorSpec kSseKeyMismatch{
    "InvalidRequest", "The provided encryption parameters did not match the ones used originally.", 400};
inline constexpr ErrorSpec kSseUploadNeedsKey{"InvalidRequest",
                                              "The multipart upload initiate requested encryption. "
                                              "Subsequent part requests must include the appropriate "
                                              "encryption parameters.",
                                              400};
// SSE-KMS and DSSE-KMS without a KMS to call (a provider made without the platform: unit tests).
inline constexpr ErrorSpec kSseKmsNotImplemented{
    "NotImplemented",
    "Server-side encryption with AWS KMS keys (aws:kms, aws:kms:dsse) is not available: this S3 has no KMS",
    501};
inline constexpr ErrorSpec kSseKmsKeyWithoutKms{"InvalidArgument",
                                                "Server Side Encryption with AWS KMS managed key requires "
                                                "HTTP header x-amz-server-side-encryption : aws:kms",
                                                400};
inline constexpr ErrorSpec kSseKmsContextInvalid{"InvalidArgument",
                                                 "The header 'x-amz-server-side-encryption-context' shall be "
                                                 "Base64-encoded UTF-8 string holding JSON which "
                                                 "represents a string-string map",
                                                 400};
// A KMS object read through a path that carries no caller (the platform's own lake reads).
inline constexpr ErrorSpec kSseKmsNoCaller{
    "AccessDenied", "The object is encrypted with a KMS key and this read carries no caller to ask KMS as",
    403};
// SSE-C on an object the platform's services read for the caller (Athena, crawlers): they cannot present
// the customer's key.
inline constexpr ErrorSpec kSseCustomerUnreadable{"InvalidRequest",
                                                  "The object was stored using Server Side Encryption with a "
                                                  "customer provided key, which this service cannot "
                                                  "provide.",
                                                  400};

// Multipart uploads.
inline constexpr ErrorSpec kEntityTooSmall{
    "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400};
inline constexpr ErrorSpec kInvalidPart{
    "InvalidPart",
    "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
    "specified entity tag may not have matched the part's entity tag.",
    400};
inline constexpr ErrorSpec kInvalidPartOrder{
    "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.",
    400};
inline constexpr ErrorSpec kPartNumberOutOfRange{
    "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400};
inline constexpr ErrorSpec kNoSuchUpload{"NoSuchUpload",
                                         "The specified upload does not exist. The upload ID may be invalid, "
                                         "or the upload may have been aborted or "
                                         "completed.",
                                         404};

// Listings.
inline constexpr ErrorSpec kInvalidContinuationToken{"InvalidArgument",
                                                     "The continuation token provided is incorrect", 400};
inline constexpr ErrorSpec kInvalidEncodingType{"InvalidArgument",
                                                "Invalid Encoding Method specified in Request", 400};
inline constexpr ErrorSpec kMaxBucketsOutOfRange{
    "InvalidArgument", "Argument max-buckets must be an integer between 1 and 10000", 400};
// {}: the argument (max-keys, max-parts, max-uploads).
inline constexpr ErrorSpec kMaxArgumentOutOfRange{
    "InvalidArgument", "Argument {} must be an integer between 0 and 2147483647", 400};
inline constexpr ErrorSpec kVersionIdMarkerWithoutKeyMarker{
    "InvalidArgument", "A version-id marker cannot be specified without a key marker.", 400};

// Documents in request bodies: tags, policies, configurations.
inline constexpr ErrorSpec kMalformedXML{
    "MalformedXML",
    "The XML you provided was not well-formed or did not validate against our published schema", 400};
inline constexpr ErrorSpec kNoSuchTagSet{"NoSuchTagSet", "The TagSet does not exist", 404};
inline constexpr ErrorSpec kTooManyObjectTags{"BadRequest", "Object tags cannot be greater than 10", 400};
inline constexpr ErrorSpec kTooManyBucketTags{"BadRequest", "Bucket tag count cannot be greater than 50",
                                              400};
inline constexpr ErrorSpec kTagKeyTooLong{"InvalidTag", "The TagKey you have provided is too long, max 128",
                                          400};
inline constexpr ErrorSpec kTagValueTooLong{"InvalidTag",
                                            "The TagValue you have provided is too long, max 256", 400};
// An x-amz-tagging header that is not a query string of distinct, non-empty, UTF-8 keys.
inline constexpr ErrorSpec kMalformedTaggingHeader{
    "InvalidArgument",
    "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag "
    "name duplicates.",
    400};
inline constexpr ErrorSpec kDuplicateTagKey{"InvalidTag", "Cannot provide multiple Tags with the same key",
                                            400};
// Bucket configurations (bucket_configs.cpp).
inline constexpr ErrorSpec kNoSuchCORSConfiguration{"NoSuchCORSConfiguration",
                                                    "The CORS configuration does not exist", 404};
inline constexpr ErrorSpec kNoSuchLifecycleConfiguration{"NoSuchLifecycleConfiguration",
                                                         "The lifecycle configuration does not exist", 404};
inline constexpr ErrorSpec kWebsiteRedirectAllWithOthers{
    "InvalidArgument", "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
    400};
inline constexpr ErrorSpec kWebsiteIndexMissing{
    "InvalidArgument", "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
    400};
inline constexpr ErrorSpec kWebsiteIndexMalformed{"InvalidArgument",
                                                  "The IndexDocument Suffix is not well formed", 400};
inline constexpr ErrorSpec kWebsiteReplaceKeyBoth{
    "InvalidArgument", "You can only define ReplaceKeyPrefix or ReplaceKey but not both.", 400};
inline constexpr ErrorSpec kWebsiteBadProtocol{"InvalidArgument",
                                               "Invalid protocol, protocol can be http or https.", 400};
inline constexpr ErrorSpec kWebsiteBadRedirectCode{"InvalidArgument",
                                                   "The provided HTTP redirect code is not valid.", 400};
inline constexpr ErrorSpec kWebsiteTooManyRoutingRules{
    "InvalidArgument", "The number of routing rules must not exceed the allowed limit of 50.", 400};
inline constexpr ErrorSpec kNoSuchWebsiteConfiguration{
    "NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration", 404};
inline constexpr ErrorSpec kServerSideEncryptionConfigurationNotFound{
    "ServerSideEncryptionConfigurationNotFoundError",
    "The server side encryption configuration was not found", 404};
inline constexpr ErrorSpec kReplicationConfigurationNotFound{
    "ReplicationConfigurationNotFoundError", "The replication configuration was not found", 404};
// Replication (replication.cpp).
inline constexpr ErrorSpec kReplicationNeedsVersioning{
    "InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration", 400};
inline constexpr ErrorSpec kReplicationDestinationMissing{"InvalidRequest", "Destination bucket must exist.",
                                                          400};
inline constexpr ErrorSpec kReplicationDestinationUnversioned{
    "InvalidRequest", "Destination bucket must have versioning enabled.", 400};
inline constexpr ErrorSpec kReplicationPriorityMissing{
    "InvalidRequest",
    "Priority must be specified for this version of Cross Region Replication configuration schema.", 400};
inline constexpr ErrorSpec kReplicationDeleteMarkerMissing{
    "InvalidRequest",
    "DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration "
    "schema.",
    400};
inline constexpr ErrorSpec kReplicationDeleteMarkerWithTags{
    "InvalidRequest", "Delete marker replication is not supported if any Tag filter is specified.", 400};
inline constexpr ErrorSpec kReplicationInvalidDestination{"InvalidArgument", "Invalid bucket ARN.", 400};
inline constexpr ErrorSpec kReplicationDuplicateId{
    "InvalidArgument", "Rule Id must be unique. Found same ID for more than one rule", 400};
inline constexpr ErrorSpec kVersioningLockedByReplication{
    "InvalidBucketState",
    "A replication configuration is present on this bucket, so the versioning state cannot be changed.", 409};
inline constexpr ErrorSpec kObjectLockConfigurationNotFound{
    "ObjectLockConfigurationNotFoundError", "Object Lock configuration does not exist for this bucket", 404};
inline constexpr ErrorSpec kOwnershipControlsNotFound{"OwnershipControlsNotFoundError",
                                                      "The bucket ownership controls were not found", 404};
inline constexpr ErrorSpec kNoSuchPublicAccessBlockConfiguration{
    "NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404};
inline constexpr ErrorSpec kNoSuchConfiguration{"NoSuchConfiguration",
                                                "The specified configuration does not exist.", 404};
inline constexpr ErrorSpec kTooManyConfigurations{"TooManyConfigurations",
                                                  "You are attempting to create a new configuration but have "
                                                  "already reached the 1,000-configuration limit.",
                                                  400};
inline constexpr ErrorSpec kInvalidConfigurationId{"InvalidArgument",
                                                   "Invalid Id: it must be 1 to 64 characters", 400};
inline constexpr ErrorSpec kConfigurationIdMismatch{
    "InvalidArgument", "The Id in the configuration does not match the id request parameter", 400};
// {}: the access tier.
inline constexpr ErrorSpec kInvalidTieringDays{
    "InvalidArgument", "Days for {} must be between 90 (180 for DEEP_ARCHIVE_ACCESS) and 730", 400};
// {}: the method.
inline constexpr ErrorSpec kUnsupportedCorsMethod{
    "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is {}", 400};
// {}: the origin or header.
inline constexpr ErrorSpec kCorsOriginWildcards{
    "InvalidRequest", "AllowedOrigin \"{}\" can not have more than one wildcard.", 400};
inline constexpr ErrorSpec kCorsHeaderWildcards{
    "InvalidRequest", "AllowedHeader \"{}\" can not have more than one wildcard.", 400};
inline constexpr ErrorSpec kTooManyCorsRules{
    "InvalidRequest", "The number of CORS rules should not exceed allowed limit of 100 rules.", 400};
inline constexpr ErrorSpec kAccelerateBucketWithPeriods{
    "InvalidRequest", "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names",
    400};
// {}: the ARN.
inline constexpr ErrorSpec kInvalidNotificationArn{"InvalidArgument", "The ARN is not well formed: {}", 400};
inline constexpr ErrorSpec kUnsupportedNotificationEvent{"InvalidArgument",
                                                         "The event is not supported for notifications", 400};
// PutBucketNotificationConfiguration when the s3:TestEvent cannot be delivered to a destination (it does not
// exist, or its policy does not let S3 send); ArgumentName is the destination's ARN.
inline constexpr ErrorSpec kUnableToValidateDestinations{
    "InvalidArgument", "Unable to validate the following destination configurations", 400};
// {}: the rule name.
inline constexpr ErrorSpec kInvalidFilterRuleName{
    "InvalidArgument", "filter rule name must be either prefix or suffix; found {}", 400};
inline constexpr ErrorSpec kTooManyPrefixRules{"InvalidArgument",
                                               "Cannot specify more than one prefix rule in a filter.", 400};
inline constexpr ErrorSpec kTooManySuffixRules{"InvalidArgument",
                                               "Cannot specify more than one suffix rule in a filter.", 400};
inline constexpr ErrorSpec kDuplicateNotificationId{
    "InvalidArgument", "Configurations overlap. Configurations on the same bucket cannot share an Id.", 400};

// ACLs and object ownership (acls.cpp).
inline constexpr ErrorSpec kMalformedACL{
    "MalformedACLError",
    "The XML you provided was not well-formed or did not validate against our published schema", 400};
inline constexpr ErrorSpec kMissingAcl{"MissingSecurityHeader", "Your request was missing a required header",
                                       400};
inline constexpr ErrorSpec kCannedAclWithGrants{
    "InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed", 400};
inline constexpr ErrorSpec kUnexpectedAclContent{"UnexpectedContent", "This request does not support content",
                                                 400};
inline constexpr ErrorSpec kInvalidGranteeId{"InvalidArgument", "Invalid id", 400};
inline constexpr ErrorSpec kInvalidGroupUri{"InvalidArgument", "Invalid group uri", 400};
inline constexpr ErrorSpec kInvalidGrantHeader{"InvalidArgument", "Argument format not recognized", 400};
inline constexpr ErrorSpec kUnresolvableGrantByEmailAddress{
    "UnresolvableGrantByEmailAddress",
    "The e-mail address you provided does not match any account on record.", 400};
inline constexpr ErrorSpec kAccessControlListNotSupported{"AccessControlListNotSupported",
                                                          "The bucket does not allow ACLs", 400};
inline constexpr ErrorSpec kInvalidBucketAclWithObjectOwnership{
    "InvalidBucketAclWithObjectOwnership",
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting", 400};
inline constexpr ErrorSpec kInvalidBucketAclWithBlockPublicAccess{
    "InvalidBucketAclWithBlockPublicAccessError",
    "Bucket cannot have public ACLs set with BlockPublicAccess enabled", 400};
inline constexpr ErrorSpec kInvalidObjectOwnership{"InvalidArgument", "Invalid x-amz-object-ownership header",
                                                   400};
// Lifecycle configurations (lifecycle.cpp).
inline constexpr ErrorSpec kLifecycleIdTooLong{"InvalidArgument",
                                               "ID length should not exceed allowed limit of 255", 400};
inline constexpr ErrorSpec kLifecycleDuplicateId{
    "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule", 400};
inline constexpr ErrorSpec kLifecycleNoAction{"InvalidRequest",
                                              "At least one action needs to be specified in a rule", 400};
inline constexpr ErrorSpec kLifecycleExpirationDays{
    "InvalidArgument", "'Days' for Expiration action must be a positive integer", 400};
inline constexpr ErrorSpec kLifecycleDateNotMidnight{"InvalidArgument", "'Date' must be at midnight GMT",
                                                     400};
inline constexpr ErrorSpec kLifecycleMarkerWithTags{
    "InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with object tags", 400};
inline constexpr ErrorSpec kLifecycleNoncurrentDays{
    "InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
    400};
inline constexpr ErrorSpec kLifecycleNewerNoncurrentVersions{
    "InvalidArgument", "NewerNoncurrentVersions must be between 1 and 100", 400};
inline constexpr ErrorSpec kLifecycleAbortDays{
    "InvalidArgument",
    "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer", 400};
inline constexpr ErrorSpec kLifecycleAbortWithTags{
    "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags.", 400};
inline constexpr ErrorSpec kLifecycleNegativeDays{"InvalidArgument",
                                                  "'Days' in Transition action must be nonnegative", 400};
// {}: the storage class.
inline constexpr ErrorSpec kLifecycleTransitionTooSoon{
    "InvalidArgument",
    "'Days' in Transition action must be greater than or equal to 30 for storageClass '{}'", 400};
inline constexpr ErrorSpec kLifecycleNoncurrentTransitionTooSoon{
    "InvalidArgument",
    "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for "
    "storageClass "
    "'{}'",
    400};
// Object Lock (object_lock.cpp).
inline constexpr ErrorSpec kObjectLockNeedsVersioning{
    "InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
    409};
inline constexpr ErrorSpec kVersioningLockedByObjectLock{
    "InvalidBucketState",
    "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
    409};
inline constexpr ErrorSpec kInvalidRetentionPeriod{
    "InvalidRetentionPeriod", "Default retention period must be a positive integer value.", 400};
inline constexpr ErrorSpec kMissingObjectLockConfiguration{
    "InvalidRequest", "Bucket is missing Object Lock Configuration", 400};
inline constexpr ErrorSpec kNoSuchObjectLockConfiguration{
    "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404};
inline constexpr ErrorSpec kObjectLocked{"AccessDenied",
                                         "Access Denied because object protected by object lock.", 403};
inline constexpr ErrorSpec kRetainUntilInPast{"InvalidArgument",
                                              "The retain until date must be in the future!", 400};
inline constexpr ErrorSpec kLockHeadersTogether{
    "InvalidArgument", "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
    400};
inline constexpr ErrorSpec kInvalidObjectLockMode{"InvalidArgument", "Unknown wormMode directive.", 400};
// Server access logging (bucket_configs.cpp).
inline constexpr ErrorSpec kLoggingTargetMissing{"InvalidTargetBucketForLogging",
                                                 "The target bucket for logging does not exist", 400};
inline constexpr ErrorSpec kLoggingTargetOtherOwner{
    "InvalidTargetBucketForLogging",
    "The owner for the bucket to be logged and the target bucket must be the same.", 400};
inline constexpr ErrorSpec kLoggingTargetOtherRegion{"CrossLocationLoggingProhibitted",
                                                     "Cross S3 location logging not allowed.", 403};
// Archive storage classes (restore.cpp).
inline constexpr ErrorSpec kInvalidObjectState{
    "InvalidObjectState", "The operation is not valid for the object's storage class", 403};
inline constexpr ErrorSpec kRestoreNotArchived{
    "InvalidObjectState", "Restore is not allowed for the object's current storage class", 403};
inline constexpr ErrorSpec kRestoreAlreadyInProgress{"RestoreAlreadyInProgress",
                                                     "Object restore is already in progress", 409};
// {}: the tier.
inline constexpr ErrorSpec kInvalidRestoreTier{
    "InvalidArgument", "The tier {} is not valid for the object's storage class", 400};
// POST uploads from HTML forms (post_object.cpp, post_policy.cpp).
inline constexpr ErrorSpec kMalformedPOSTRequest{
    "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400};
// AWS's spelling. The fields before the file are limited to 20 KB.
inline constexpr ErrorSpec kMaxPostPreDataLengthExceeded{
    "MaxPostPreDataLengthExceededError", "Your POST request fields preceeding the upload file was too large.",
    400};
inline constexpr ErrorSpec kPostWithoutFile{"InvalidArgument",
                                            "POST requires exactly one file upload per request.", 400};
// {}: the field ("key", "Policy", ...).
inline constexpr ErrorSpec kPostMissingField{
    "InvalidArgument",
    "Bucket POST must contain a field named '{}'.  If it is specified, please check the order of the fields.",
    400};
// {}: what is wrong ("Policy missing expiration.", "Invalid JSON.", ...).
inline constexpr ErrorSpec kInvalidPolicyDocument{"InvalidPolicyDocument", "Invalid Policy: {}", 400};
// {}: "Policy expired.", "Policy Condition failed: [...]", "Extra input fields: ...".
inline constexpr ErrorSpec kPostPolicyDenied{"AccessDenied", "Invalid according to Policy: {}", 403};
// S3 Select (select.cpp, select_sql.cpp). Templates with {} take the detail S3 adds (a token, a position).
inline constexpr ErrorSpec kSelectMissingParameter{
    "MissingRequiredParameter", "The SelectRequest entity is missing a required parameter: {}.", 400};
inline constexpr ErrorSpec kInvalidExpressionType{
    "InvalidExpressionType", "The ExpressionType value is not valid. Only SQL expressions are supported.",
    400};
inline constexpr ErrorSpec kExpressionTooLong{
    "ExpressionTooLong",
    "The SQL expression is too long: The maximum byte-length for the SQL expression is "
    "256 KB.",
    400};
inline constexpr ErrorSpec kObjectSerializationConflict{
    "ObjectSerializationConflict", "{} specifies more than one format (CSV, JSON, or Parquet), or none.",
    400};
inline constexpr ErrorSpec kInvalidCompressionFormat{
    "InvalidCompressionFormat", "The file is not in a supported compression format. {}", 400};
inline constexpr ErrorSpec kInvalidFileHeaderInfo{
    "InvalidFileHeaderInfo", "The FileHeaderInfo is invalid. Only NONE, USE, and IGNORE are supported.", 400};
inline constexpr ErrorSpec kInvalidJsonType{
    "InvalidJsonType", "The JsonType is invalid. Only DOCUMENT and LINES are supported.", 400};
inline constexpr ErrorSpec kInvalidQuoteFields{
    "InvalidQuoteFields", "The QuoteFields is invalid. Only ALWAYS and ASNEEDED are supported.", 400};
// {}: what is wrong with which parameter.
inline constexpr ErrorSpec kInvalidRequestParameter{
    "InvalidRequestParameter", "The value of a parameter in SelectRequest element is invalid: {}", 400};
inline constexpr ErrorSpec kUnsupportedScanRange{
    "UnsupportedScanRangeInput", "Scan range queries are not supported on this type of object.", 400};
inline constexpr ErrorSpec kInvalidScanRange{"InvalidScanRange", "The provided scan range is invalid.", 400};
inline constexpr ErrorSpec kLexerInvalidChar{"LexerInvalidChar", "Invalid character at line 1, column {}.",
                                             400};
inline constexpr ErrorSpec kParseUnexpectedToken{"ParseUnexpectedToken",
                                                 "Unexpected token found {} at line 1, column {}.", 400};
inline constexpr ErrorSpec kParseExpectedExpression{"ParseExpectedExpression",
                                                    "Expected expression at line 1, column {}.", 400};
inline constexpr ErrorSpec kParseSelectMissingFrom{"ParseSelectMissingFrom",
                                                   "The SQL expression is missing a FROM clause.", 400};
inline constexpr ErrorSpec kUnsupportedSyntax{"UnsupportedSyntax",
                                              "Encountered invalid syntax: {} is not supported.", 400};
inline constexpr ErrorSpec kInvalidDataSource{
    "InvalidDataSource", "Invalid data source type. Only CSV, JSON, and Parquet are supported.", 400};
inline constexpr ErrorSpec kUnsupportedFunction{"UnsupportedFunction",
                                                "Encountered an unsupported SQL function: {}.", 400};
inline constexpr ErrorSpec kIncorrectFunctionArguments{
    "IncorrectSqlFunctionArgumentType", "Incorrect type or number of arguments for the function {}.", 400};
inline constexpr ErrorSpec kInvalidCast{"InvalidCast", "Attempt to CAST to an unsupported type: {}.", 400};
inline constexpr ErrorSpec kMissingHeaders{"MissingHeaders",
                                           "Some headers in the query are missing from the file: {}.", 400};
inline constexpr ErrorSpec kInvalidColumnIndex{
    "InvalidColumnIndex", "The column index {} is invalid. Check the file and try again.", 400};
inline constexpr ErrorSpec kInvalidKeyPath{"InvalidKeyPath", "Key path in the SQL expression is invalid: {}.",
                                           400};
inline constexpr ErrorSpec kInvalidTimestampFormat{
    "EvaluatorInvalidTimestampFormatPattern", "Invalid time stamp format string in the SQL expression: {}.",
    400};
inline constexpr ErrorSpec kCastFailed{
    "CastFailed", "Attempt to convert from one data type to another using CAST failed in the SQL expression.",
    400};
inline constexpr ErrorSpec kCsvParsingError{"CSVParsingError",
                                            "Encountered an error parsing the CSV file: {}", 400};
inline constexpr ErrorSpec kJsonParsingError{"JSONParsingError",
                                             "Encountered an error parsing the JSON file: {}", 400};
inline constexpr ErrorSpec kParquetParsingError{"ParquetParsingError",
                                                "Encountered an error parsing the Parquet file: {}", 400};
inline constexpr ErrorSpec kUnsupportedSqlStructure{
    "UnsupportedSqlStructure", "Encountered an unsupported SQL structure. Check the SQL Reference: {}", 400};
inline constexpr ErrorSpec kSelectBusy{"Busy", "The service is unavailable. Please retry.", 503};
}  // namespace errors

// Every entry above.
const std::vector<services::ErrorSpec>& ErrorTable();

}  // namespace cenote::s3
