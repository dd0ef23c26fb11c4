// Helpers for the IAM policy tests: parse-or-fail, principals and requests. (Strings are built with append:
// g++ 12 reports a false -Wrestrict on `"literal" + std::string` chains.)
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "iam/evaluate.hpp"
#include "iam/policy.hpp"

namespace cenote::iam::testing {

inline Policy MustParse(std::string_view text, PolicyKind kind = PolicyKind::kIdentity) {
  Result<Policy> policy = ParsePolicy(text, kind);
  EXPECT_TRUE(policy.ok()) << (policy.ok() ? "" : policy.error().message) << "\n" << text;
  if (!policy.ok()) return ParsePolicy(R"({"Version":"2012-10-17","Statement":[]})", kind).value();
  return std::move(policy).value();
}

// The error message ParsePolicy answers ("" when it accepts the document).
inline std::string ParseError(std::string_view text, PolicyKind kind = PolicyKind::kIdentity) {
  Result<Policy> policy = ParsePolicy(text, kind);
  if (policy.ok()) return "";
  EXPECT_EQ(policy.error().code, "MalformedPolicyDocument");
  return policy.error().message;
}

inline RequestPrincipal User(std::string account, std::string name) {
  RequestPrincipal p;
  p.type = PrincipalType::kUser;
  p.account_id = account;
  p.arn = std::string("arn:aws:iam::").append(account).append(":user/").append(name);
  return p;
}

inline RequestPrincipal RoleSession(std::string account, std::string role, std::string session) {
  RequestPrincipal p;
  p.type = PrincipalType::kAssumedRole;
  p.account_id = account;
  p.arn = std::string("arn:aws:sts::")
              .append(account)
              .append(":assumed-role/")
              .append(role)
              .append("/")
              .append(session);
  p.entity_arn = std::string("arn:aws:iam::").append(account).append(":role/").append(role);
  return p;
}

inline RequestPrincipal FederatedUser(std::string account, std::string name, std::string iam_user) {
  RequestPrincipal p;
  p.type = PrincipalType::kFederatedUser;
  p.account_id = account;
  p.arn = std::string("arn:aws:sts::").append(account).append(":federated-user/").append(name);
  p.entity_arn = std::string("arn:aws:iam::").append(account).append(":user/").append(iam_user);
  return p;
}

inline RequestPrincipal Root(std::string account) {
  RequestPrincipal p;
  p.type = PrincipalType::kRoot;
  p.account_id = account;
  p.arn = std::string("arn:aws:iam::").append(account).append(":root");
  return p;
}

inline RequestPrincipal Service(std::string name) {
  RequestPrincipal p;
  p.type = PrincipalType::kService;
  p.service = std::move(name);
  return p;
}

inline RequestPrincipal Anonymous() { return RequestPrincipal{}; }

inline Request MakeRequest(RequestPrincipal principal, std::string action, std::string resource,
                           std::string resource_account = "") {
  Request r;
  r.action = std::move(action);
  r.resource = std::move(resource);
  r.resource_account = std::move(resource_account);
  r.principal = std::move(principal);
  AddPrincipalContextKeys(r.principal, "", r.context);
  return r;
}

}  // namespace cenote::iam::testing
