// Who is making a request, as resolved by authentication (or, for in-process calls, by the calling service).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace cenote::iam {

struct Session;

enum class PrincipalType : std::uint8_t {
  kAnonymous,      // unsigned request
  kRoot,           // an account's root user
  kUser,           // an IAM user
  kAssumedRole,    // an IAM role session (AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML)
  kFederatedUser,  // a GetFederationToken session
  kService,        // an AWS service principal acting on its own (S3 log delivery, ...)
};

// Plain value type (the session, when there is one, is shared and immutable).
//   root:          type kRoot, is_root, arn "arn:aws:iam::<account>:root", user_id = account id
//   IAM user:      type kUser, arn "arn:aws:iam::<account>:user/<path><name>", user_id "AIDA..."
//   role session:  type kAssumedRole, arn "arn:aws:sts::<account>:assumed-role/<role>/<session>",
//                  entity_arn the role's ARN (with its path), user_id "AROA...:<session>"
//   federated:     type kFederatedUser, arn "arn:aws:sts::<account>:federated-user/<name>", entity_arn the
//                  IAM user that called GetFederationToken, user_id "<account>:<name>"
//   anonymous:     type kAnonymous, anonymous, everything else empty
struct Principal {
  std::string account_id;     // 12 digits
  std::string arn;            // caller ARN as GetCallerIdentity reports it
  std::string user_id;        // AIDA... / account id for root
  std::string access_key_id;  // the key that signed the request ("" if anonymous or in-process)
  std::string display_name;   // S3 Owner DisplayName
  std::string canonical_id;   // S3 Owner ID (64 hex chars)
  bool is_root = false;
  bool anonymous = false;
  PrincipalType type = PrincipalType::kAnonymous;  // set by whoever builds the principal
  // The IAM entity whose policies apply: the user's ARN for an IAM user, the role's ARN for a role session,
  // the federating user's ARN for a federated user; "" for root, anonymous and service principals.
  std::string entity_arn;
  // STS sessions (temporary credentials): session policies, tags, source identity, expiry. Null otherwise.
  std::shared_ptr<const Session> session;
};

}  // namespace cenote::iam
