// The errors IAM answers for a policy document it will not accept, in IAM's words, in one place so that the
// later IAM/STS/S3 operations and the tests use the same table.
//
// IAM's code is MalformedPolicyDocument (HTTP 400) and, for a document over its size quota, LimitExceeded
// (HTTP 409). S3 (PutBucketPolicy) answers MalformedPolicy with the same messages; callers re-code as their
// service requires. Messages marked "(ours)" have no documented AWS wording.
#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/strings.hpp"

namespace cenote::iam {

inline constexpr std::string_view kMalformedPolicyDocument = "MalformedPolicyDocument";

inline Error MalformedPolicy(std::string message) {
  return MakeError(std::string(kMalformedPolicyDocument), std::move(message), 400);
}

namespace policy_errors {

inline Error SyntaxError() { return MalformedPolicy("Syntax errors in policy."); }
inline Error LegacyParsing() { return MalformedPolicy("The policy failed legacy parsing"); }
inline Error MissingField(std::string_view field) {
  return MalformedPolicy("Missing required field " + std::string(field));
}
inline Error UnknownField(std::string_view field) {
  return MalformedPolicy("Unknown field " + TruncateForEcho(field, 128));
}
inline Error ProhibitedField(std::string_view field) {
  return MalformedPolicy("Has prohibited field " + std::string(field));
}
// IAM's API wording for a Principal in an identity-based policy (the console says "Has prohibited field
// Principal").
inline Error PrincipalNotAllowed() {
  return MalformedPolicy("Policy document should not specify a principal.");
}
inline Error NoActions() { return MalformedPolicy("Policy statement must contain actions."); }
inline Error NoResources() { return MalformedPolicy("Policy statement must contain resources."); }
inline Error ActionAndNotAction() {  // (ours)
  return MalformedPolicy("Statement cannot contain both Action and NotAction.");
}
inline Error ResourceAndNotResource() {  // (ours)
  return MalformedPolicy("Statement cannot contain both Resource and NotResource.");
}
inline Error PrincipalAndNotPrincipal() {  // (ours)
  return MalformedPolicy("Statement cannot contain both Principal and NotPrincipal.");
}
inline Error InvalidEffect(std::string_view effect) {  // (ours)
  return MalformedPolicy("Invalid effect: " + TruncateForEcho(effect, 128));
}
inline Error ActionNeedsVendor() {
  return MalformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
}
inline Error ActionOneColon() { return MalformedPolicy("Actions/Condition can contain only one colon."); }
inline Error ActionVendorWildcard() {
  return MalformedPolicy("Action vendor must be fully qualified and cannot contain regexes.");
}
inline Error ResourceNotArn(std::string_view resource) {
  return MalformedPolicy("Resource " + TruncateForEcho(resource, 256) + " must be in ARN format or \"*\".");
}
inline Error ResourceVendorWildcard() {
  return MalformedPolicy("Resource vendor must be fully qualified and cannot contain regexes.");
}
inline Error InvalidPrincipal(std::string_view principal) {
  return MalformedPolicy("Invalid principal in policy: " + TruncateForEcho(principal, 256));
}
inline Error InvalidConditionType(std::string_view op) {
  return MalformedPolicy("Invalid Condition type : " + TruncateForEcho(op, 128));
}
inline Error InvalidConditionValue(std::string_view op, std::string_view value) {  // (ours)
  return MalformedPolicy("Invalid Condition value for " + TruncateForEcho(op, 128) + ": " +
                         TruncateForEcho(value, 128));
}
inline Error DuplicateSid() {
  return MalformedPolicy("Statement IDs (SID) in a single policy must be unique.");
}
inline Error SidNotAlphanumeric() {
  return MalformedPolicy(
      "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression "
      "[0-9A-Za-z]*");
}
// Service control policies (Organizations answers MalformedPolicyDocumentException).
inline Error ScpRequirements() {
  return MalformedPolicy(
      "The provided policy document does not meet the requirements of the specified policy type.");
}

}  // namespace policy_errors
}  // namespace cenote::iam
