// The KMS errors Cenote answers, with AWS's codes, statuses and message templates, in one table so that the
// provider, the tests and docs/kms-coverage.md use the same text. Templates take their arguments in order at
// each `{}` (services::MakeError). Unsupported operations and internal failures are the request pipeline's
// to answer (aws/pipeline/service_errors.hpp), not this table's.
#pragma once

#include "services/common/error_spec.hpp"

namespace cenote::kms {

using services::ErrorSpec;

namespace errors {
// Keys and aliases that do not exist (in the request's account and region).
inline constexpr ErrorSpec kKeyNotFound{"NotFoundException", "Key '{}' does not exist", 400};
inline constexpr ErrorSpec kAliasNotFound{"NotFoundException", "Alias {} is not found.", 400};
inline constexpr ErrorSpec kInvalidKeyId{"NotFoundException", "Invalid keyId '{}'", 400};
inline constexpr ErrorSpec kInvalidArn{"InvalidArnException", "{}", 400};
// Key states.
inline constexpr ErrorSpec kDisabled{"DisabledException", "{} is disabled.", 400};
inline constexpr ErrorSpec kInvalidState{"KMSInvalidStateException", "{} is {}.", 400};
inline constexpr ErrorSpec kNotPendingDeletion{"KMSInvalidStateException", "{} is not pending deletion.",
                                               400};
// Cryptographic failures. AWS answers InvalidCiphertextException without a message.
inline constexpr ErrorSpec kInvalidCiphertext{"InvalidCiphertextException", "", 400};
inline constexpr ErrorSpec kIncorrectKey{
    "IncorrectKeyException",
    "The key ID in the request does not identify a CMK that can perform this operation.", 400};
inline constexpr ErrorSpec kInvalidKeyUsage{"InvalidKeyUsageException", "{}", 400};
inline constexpr ErrorSpec kInvalidSignature{"KMSInvalidSignatureException", "", 400};
inline constexpr ErrorSpec kInvalidMac{"KMSInvalidMacException", "", 400};
// Aliases.
inline constexpr ErrorSpec kAliasExists{"AlreadyExistsException", "An alias with the name {} already exists",
                                        400};
inline constexpr ErrorSpec kInvalidAliasName{"InvalidAliasNameException", "{}", 400};
// Grants.
inline constexpr ErrorSpec kInvalidGrantId{"InvalidGrantIdException", "Grant ID {} is not valid", 400};
inline constexpr ErrorSpec kInvalidGrantToken{"InvalidGrantTokenException", "Invalid grant token", 400};
inline constexpr ErrorSpec kGrantNotFound{"NotFoundException", "Grant {} not found", 400};
// Import.
inline constexpr ErrorSpec kInvalidImportToken{"InvalidImportTokenException", "{}", 400};
inline constexpr ErrorSpec kExpiredImportToken{"ExpiredImportTokenException", "The import token has expired.",
                                               400};
inline constexpr ErrorSpec kIncorrectKeyMaterial{
    "IncorrectKeyMaterialException",
    "The key material being imported is not the key material previously imported into this KMS key.", 400};
// Input, policy, tags, limits.
inline constexpr ErrorSpec kValidation{"ValidationException", "{}", 400};
inline constexpr ErrorSpec kMalformedPolicy{"MalformedPolicyDocumentException", "{}", 400};
inline constexpr ErrorSpec kTag{"TagException", "{}", 400};
inline constexpr ErrorSpec kLimitExceeded{"LimitExceededException", "{}", 400};
inline constexpr ErrorSpec kInvalidMarker{"InvalidMarkerException", "Invalid marker", 400};
inline constexpr ErrorSpec kUnsupported{"UnsupportedOperationException", "{}", 400};
inline constexpr ErrorSpec kDryRun{"DryRunOperationException",
                                   "The request would have succeeded, but the DryRun option is set.", 412};
inline constexpr ErrorSpec kAccessDenied{"AccessDeniedException", "{}", 400};
}  // namespace errors

}  // namespace cenote::kms
