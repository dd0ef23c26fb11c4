// Shared internals of the STS provider: its state and the handlers each .cpp of this directory implements.
// Not part of the public API.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports a false -Wrestrict on `"x" + std::string + ...` (GCC bug 105329).
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "aws/provider.hpp"
#include "services/common/params.hpp"
#include "services/sts/errors.hpp"
#include "services/sts/sts_provider.hpp"

namespace cenote::sts {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;

// AWS STS quotas (reference_iam-quotas.md, "IAM and AWS STS quotas"; the AssumeRole API reference).
inline constexpr std::size_t kMaxSessionPolicyChars =
    2048;  // plaintext of inline and managed session policies
inline constexpr std::size_t kMaxPolicyArns = 10;
inline constexpr std::int64_t kDefaultRoleSessionSeconds = 3600;
inline constexpr std::int64_t kRoleChainingMaxSeconds = 3600;
inline constexpr std::int64_t kDefaultTokenSeconds = 43200;  // GetSessionToken, GetFederationToken
inline constexpr std::int64_t kRootMaxTokenSeconds = 3600;

struct Env {
  std::unique_ptr<SessionStore> sessions;
  std::unique_ptr<RoleTrustAuthority> trust;
  std::unique_ptr<AuthorizationMessageCodec> messages;
  const iam::Directory* directory = nullptr;
  const OidcProviders* oidc = nullptr;
  std::function<std::int64_t()> clock;
};

// ---- shared by the handlers (sessions.cpp)

// The session parameters every issuing operation shares, checked as AWS checks them: Policy (parsed, and
// its plaintext size), PolicyArns (at most 10, resolved), Tags (keys unique ignoring case, no "aws:" prefix),
// TransitiveTagKeys (among the tags). Fills spec.policy, policy_arns, tags, transitive_tag_keys.
Status ReadSessionParameters(const Env& env, const json::object& in, SessionSpec& spec);
// The packed size of a spec's session policies and tags as a percentage of the allotted space (AWS's
// PackedPolicySize), and PackedPolicyTooLarge past 100.
Result<int> PackedPolicySize(const SessionSpec& spec);
// The Credentials member of a response.
json::object CredentialsDocument(const IssuedCredentials& credentials);
// AccessDenied in AWS's words: "User: <caller> is not authorized to perform: <action> on resource: <arn>".
Error NotAuthorized(const RequestContext& ctx, std::string_view action, std::string_view resource);
// A role session's DurationSeconds: 3600 when absent; ValidationError past the role's MaxSessionDuration, or
// past an hour when a role session assumes a role (role chaining).
Result<std::int64_t> RoleSessionSeconds(const json::object& in, const iam::RoleInfo& role, bool chaining);
// The caller's session tags that are transitive (role chaining passes them on).
iam::Tags InheritedTransitiveTags(const iam::Principal& caller);

// ---- handlers
Result<OperationOutput> GetCallerIdentity(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> AssumeRole(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetSessionToken(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> GetFederationToken(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> AssumeRoleWithWebIdentity(Env& env, const RequestContext& ctx, OperationInput& in);
Result<OperationOutput> DecodeAuthorizationMessage(Env& env, const RequestContext& ctx, OperationInput& in);

}  // namespace cenote::sts
