// The STS errors Cenote answers, with AWS's codes, statuses and message templates, in one table so that the
// provider, the tests and docs/sts-coverage.md use the same text (AWS STS API Reference, "Common Errors" and
// each operation's "Errors"). Templates take their arguments in order at each `{}` (services::MakeError).
// Messages marked "(ours)" have no documented AWS wording. Unsupported operations and internal failures are
// the request pipeline's to answer (aws/pipeline/service_errors.hpp).
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::sts {

using services::ErrorSpec;

namespace errors {
// Who may call what.
inline constexpr ErrorSpec kNotAuthorized{"AccessDenied",
                                          "User: {} is not authorized to perform: {} on resource: {}", 403};
inline constexpr ErrorSpec kRootCannotAssumeRole{"AccessDenied", "Roles may not be assumed by root accounts.",
                                                 403};
inline constexpr ErrorSpec kSessionCredentials{"AccessDenied", "Cannot call {} with session credentials",
                                               403};
// No MFA device can be registered in Cenote, so every SerialNumber/TokenCode pair fails as an unknown
// device's would.
inline constexpr ErrorSpec kMfaFailed{
    "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403};
// Input AWS refuses after the model's constraints (which the pipeline checks).
inline constexpr ErrorSpec kValidation{"ValidationError", "{}", 400};
inline constexpr ErrorSpec kMaxSessionDuration{
    "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    400};
inline constexpr ErrorSpec kRoleChainingDuration{
    "ValidationError",
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    400};
inline constexpr ErrorSpec kTooManyPolicyArns{
    "ValidationError",
    "1 validation error detected: Value '{}' at 'policyArns' failed to satisfy constraint: Member must have "
    "length less than or equal to 10",
    400};
inline constexpr ErrorSpec kDuplicateTagKeys{
    "ValidationError", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", 400};
inline constexpr ErrorSpec kTransitiveKeyNotInTags{
    // (ours)
    "ValidationError", "The transitive tag key {} must also be passed as a session tag.", 400};
inline constexpr ErrorSpec kInheritedTagKey{
    // (ours)
    "ValidationError",
    "The session tag {} conflicts with a transitive tag inherited from the calling session.", 400};
inline constexpr ErrorSpec kReservedPrefix{
    // (ours)
    "ValidationError", "{} cannot begin with the reserved prefix 'aws:'.", 400};
inline constexpr ErrorSpec kSourceIdentityChanged{
    // (ours)
    "ValidationError", "The source identity of a session cannot be changed (the calling session has {}).",
    400};
// Session policies.
inline constexpr ErrorSpec kMalformedPolicy{"MalformedPolicyDocument", "{}", 400};
inline constexpr ErrorSpec kPolicyNotAttachable{"MalformedPolicyDocument",
                                                "Policy {} does not exist or is not attachable.", 400};
inline constexpr ErrorSpec kPackedPolicyTooLarge{
    "PackedPolicyTooLarge", "Packed policy consumes {}% of allotted space, please use smaller policy.", 400};
// AssumeRoleWithWebIdentity.
inline constexpr ErrorSpec kInvalidIdentityToken{"InvalidIdentityToken", "{}", 400};
inline constexpr ErrorSpec kExpiredToken{"ExpiredTokenException",
                                         "Token expired: current date/time {} must be "
                                         "before the expiration date/time {}",
                                         400};
inline constexpr ErrorSpec kIdpCommunication{"IDPCommunicationError", "{}", 400};
inline constexpr ErrorSpec kNotAuthorizedWebIdentity{
    "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403};
// DecodeAuthorizationMessage.
inline constexpr ErrorSpec kInvalidAuthorizationMessage{
    "InvalidAuthorizationMessageException",
    "The encoded authorization message is invalid.",  // (ours)
    400};
}  // namespace errors

// Every entry above, in declaration order (codes repeat: a code has several causes).
const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::sts
