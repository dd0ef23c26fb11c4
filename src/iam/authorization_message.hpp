// Encoded authorization failure messages (AWS STS DecodeAuthorizationMessage).
//
// Some AWS services answer AccessDenied with "Encoded authorization failure message: <opaque text>"; only
// the account's principals allowed sts:DecodeAuthorizationMessage can read it, through STS. In Cenote the
// authorizer builds an AuthorizationFailure for a denial and asks the encoder STS offers
// (ServiceDeps::Offer<iam::AuthorizationMessageEncoder>, found by the platform once every service is
// registered) for the opaque text; STS's DecodeAuthorizationMessage turns it back into AWS's JSON document:
//
//   {"allowed":false,"explicitDeny":true,"matchedStatements":{"items":[{"statementId":"Deny1"}]},
//    "failures":{"items":[]},
//    "context":{"principal":{"id":"AIDA...","name":"alice","arn":"arn:aws:iam::123456789012:user/alice"},
//               "action":"s3:GetObject","resource":"arn:aws:s3:::b/k",
//               "conditions":{"items":[{"key":"aws:username","values":{"items":[{"value":"alice"}]}}]}}}
//
// The text is authenticated encryption (AES-256-GCM) of that document under a key only this server holds
// (STS keeps it in the data directory): a client can neither read nor forge one, and another data directory
// cannot decode it (InvalidAuthorizationMessageException).
//
// Thread safety: Encode may be called concurrently from any thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cenote::iam {

struct AuthorizationFailure {
  bool explicit_deny = false;
  std::vector<std::string> matched_statements;  // the Sids (or policy names) of the deciding statements
  std::string principal_id;                     // GetCallerIdentity's UserId
  std::string principal_name;                   // the user, role or federated user name
  std::string principal_arn;
  std::string action;                                                        // "s3:GetObject"
  std::string resource;                                                      // the resource ARN, or "*"
  std::vector<std::pair<std::string, std::vector<std::string>>> conditions;  // the request's context keys
};

class AuthorizationMessageEncoder {
 public:
  virtual ~AuthorizationMessageEncoder() = default;
  // The opaque text to put after "Encoded authorization failure message: " in the AccessDenied message.
  virtual std::string Encode(const AuthorizationFailure& failure) const = 0;
};

}  // namespace cenote::iam
