// Root credentials and the credential lookup used by SigV4 verification.
//
// The root access key comes from CENOTE_ROOT_ACCESS_KEY_ID / CENOTE_ROOT_SECRET_ACCESS_KEY when both are
// set; otherwise from <data-dir>/root-credentials.json, created (mode 0600) with fresh random values on
// first start. IAM users, roles and session credentials join this lookup when IAM lands.
#pragma once

#include <string>

#include "aws/sigv4/sigv4.hpp"
#include "common/result.hpp"

namespace cenote::platform {

struct RootCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  bool generated = false;  // true when created by this start (print them once)
  bool from_environment = false;
};

// Reads the environment, else the data directory's file, else creates and persists new credentials.
Result<RootCredentials> LoadOrCreateRootCredentials(const std::string& data_dir);

// The 12-digit account id of the root user (CENOTE_ACCOUNT_ID, default 000000000000).
std::string AccountId();

class RootCredentialProvider final : public aws::sigv4::CredentialProvider {
 public:
  RootCredentialProvider(RootCredentials root, std::string account_id);
  std::optional<aws::sigv4::SecretRecord> Lookup(std::string_view access_key_id) const override;

 private:
  RootCredentials root_;
  iam::Principal principal_;
};

}  // namespace cenote::platform
