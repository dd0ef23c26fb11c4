// The IAM errors Cenote answers, with AWS's codes, statuses and message templates, in one table so that the
// provider, the tests and docs/iam-coverage.md use the same text. Templates take their arguments in order at
// each `{}` (services::MakeError). Unsupported operations and internal failures are the request pipeline's
// to answer (aws/pipeline/service_errors.hpp); model constraints (name patterns, lengths, ranges) are the
// parse stage's ValidationError. MalformedPolicyDocument and the policy-size LimitExceeded come from the
// policy library (iam/policy_errors.hpp, iam::CheckPolicySize).
#pragma once

#include <vector>

#include "services/common/error_spec.hpp"

namespace cenote::iam {

using services::ErrorSpec;

namespace errors {
// Lookups (HTTP 404).
inline constexpr ErrorSpec kNoSuchUser{"NoSuchEntity", "The user with name {} cannot be found.", 404};
inline constexpr ErrorSpec kNoSuchGroup{"NoSuchEntity", "The group with name {} cannot be found.", 404};
inline constexpr ErrorSpec kNoSuchRole{"NoSuchEntity", "The role with name {} cannot be found.", 404};
inline constexpr ErrorSpec kNoSuchPolicy{"NoSuchEntity", "Policy {} was not found.", 404};
inline constexpr ErrorSpec kPolicyNotAttachable{"NoSuchEntity",
                                                "Policy {} does not exist or is not attachable.", 404};
inline constexpr ErrorSpec kNoSuchPolicyVersion{
    "NoSuchEntity", "Policy {} version {} does not exist or is not attachable.", 404};
// "The user policy with name X cannot be found." (user / group / role).
inline constexpr ErrorSpec kNoSuchInlinePolicy{"NoSuchEntity", "The {} policy with name {} cannot be found.",
                                               404};
inline constexpr ErrorSpec kNoSuchAccessKey{"NoSuchEntity", "The Access Key with id {} cannot be found.",
                                            404};
inline constexpr ErrorSpec kNoSuchInstanceProfile{"NoSuchEntity", "Instance Profile {} cannot be found.",
                                                  404};
inline constexpr ErrorSpec kNoSuchOidcProvider{"NoSuchEntity", "OpenIDConnect Provider not found for arn {}",
                                               404};
inline constexpr ErrorSpec kNoSuchPasswordPolicy{
    "NoSuchEntity", "The Password Policy with domain name {} cannot be found.", 404};
inline constexpr ErrorSpec kNoSuchBoundary{"NoSuchEntity", "The {} {} has no permissions boundary.", 404};
inline constexpr ErrorSpec kNoSuchAlias{"NoSuchEntity", "The account alias {} cannot be found.", 404};
inline constexpr ErrorSpec kNotInGroup{"NoSuchEntity", "The user with name {} is not in group {}.", 404};
inline constexpr ErrorSpec kRoleNotInProfile{
    "NoSuchEntity", "The role with name {} cannot be found in instance profile {}.", 404};
// Conflicts (HTTP 409).
inline constexpr ErrorSpec kEntityExists{"EntityAlreadyExists", "{} with name {} already exists.", 409};
inline constexpr ErrorSpec kPolicyExists{
    "EntityAlreadyExists", "A policy called {} already exists. Duplicate names are not allowed.", 409};
inline constexpr ErrorSpec kInstanceProfileExists{"EntityAlreadyExists",
                                                  "Instance Profile {} already exists.", 409};
inline constexpr ErrorSpec kOidcProviderExists{"EntityAlreadyExists", "Provider with url {} already exists.",
                                               409};
inline constexpr ErrorSpec kAliasExists{"EntityAlreadyExists", "The account alias {} already exists.", 409};
inline constexpr ErrorSpec kDeleteConflict{"DeleteConflict", "{}", 409};
inline constexpr ErrorSpec kLimitExceeded{"LimitExceeded", "{}", 409};
inline constexpr ErrorSpec kQuotaExceeded{"LimitExceeded", "Cannot exceed quota for {}: {}", 409};
// Input IAM checks beyond the model (HTTP 400).
inline constexpr ErrorSpec kInvalidInput{"InvalidInput", "{}", 400};
inline constexpr ErrorSpec kValidation{"ValidationError", "{}", 400};
inline constexpr ErrorSpec kUnmodifiable{"UnmodifiableEntity", "{}", 400};
inline constexpr ErrorSpec kPolicyNotAttachableType{"PolicyNotAttachable", "{}", 400};
}  // namespace errors

// Every entry above, in declaration order (codes repeat: a code has several causes).
const std::vector<ErrorSpec>& ErrorTable();

}  // namespace cenote::iam
