// Who is making a request, as resolved by authentication.
#pragma once

#include <string>

namespace cenote::iam {

// Plain value type. For the root user: is_root, arn "arn:aws:iam::<account>:root".
struct Principal {
  std::string account_id;     // 12 digits
  std::string arn;            // caller ARN as GetCallerIdentity reports it
  std::string user_id;        // AIDA... / account id for root
  std::string access_key_id;  // the key that signed the request ("" if anonymous)
  std::string display_name;   // S3 Owner DisplayName
  std::string canonical_id;   // S3 Owner ID (64 hex chars)
  bool is_root = false;
  bool anonymous = false;
};

}  // namespace cenote::iam
