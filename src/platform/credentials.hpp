// Root credentials and the credential lookup used by SigV4 verification.
//
// The root access key comes from CENOTE_ROOT_ACCESS_KEY_ID / CENOTE_ROOT_SECRET_ACCESS_KEY when both are
// set; otherwise from <data-dir>/root-credentials.json, created (mode 0600) with fresh random values on
// first start. IAM users, roles and session credentials join this lookup when IAM lands.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "aws/sigv4/sigv4.hpp"
#include "common/mutex.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"

namespace cenote::platform {

struct RootCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  bool generated = false;  // true when created by this start (print them once)
  bool from_environment = false;
  std::string file;  // <data-dir>/root-credentials.json (unused while from_environment)
};

// Reads the environment, else the data directory's file, else creates and persists new credentials.
// Logs once when the environment overrides a key the file holds (that key is then refused), and when only
// one of the two variables is set (both are needed; the file's key is used).
Result<RootCredentials> LoadOrCreateRootCredentials(const std::string& data_dir);

// The root user of another account (`--account-root-keys`): on AWS every account has a root user who may
// hold access keys; one endpoint serving many accounts needs their keys given to it. Cenote's accounts are
// the data directory's (AccountId()), the ones its organization creates and any other 12-digit id.
struct AccountRootKey {
  std::string account_id;
  std::string access_key_id;
  std::string secret_access_key;
};

// Reads `path`: a JSON list of {"AccountId", "AccessKeyId", "SecretAccessKey"}. InvalidArgument naming the
// entry when one is malformed (an account id that is not 12 digits, a key id that is not 16-128 letters and
// digits, an empty secret, a key id given twice).
Result<std::vector<AccountRootKey>> LoadAccountRootKeys(const std::string& path);

// The 12-digit account id of the root user (CENOTE_ACCOUNT_ID, default 000000000000).
std::string AccountId();

// Thread safety: Lookup may be called from any thread.
class RootCredentialProvider final : public aws::sigv4::CredentialProvider {
 public:
  // At most this many unknown access key ids are remembered (and warned about); later ones are not logged.
  static constexpr std::size_t kMaxWarnedKeys = 64;

  RootCredentialProvider(RootCredentials root, std::string account_id);
  // The root key's record, or nullopt. The first request with an unknown key id logs a warning that says
  // which key the server accepts and where its secret is (a script signing with LocalStack's test/test,
  // say, is refused with InvalidAccessKeyId and the server's log tells its user why).
  std::optional<aws::sigv4::SecretRecord> Lookup(std::string_view access_key_id) const override;
  void Used(std::string_view access_key_id, std::string_view service, std::string_view region) const override;
  bool IsExpired(std::string_view access_key_id, std::string_view session_token) const override;

  // The identity services' keys (IAM users', STS sessions'), asked in order after the root key. Before
  // serving; the sources must outlive the provider.
  void AddSource(const iam::CredentialSource* source) { sources_.push_back(source); }
  // Accepts the root user of another account (before serving). InvalidArgument when the key id is the
  // data directory's root key or one already added.
  Status AddAccountRoot(AccountRootKey key);

 private:
  void WarnUnknownKey(std::string_view access_key_id) const;

  RootCredentials root_;
  std::vector<const iam::CredentialSource*> sources_;
  // Other accounts' root users by access key id: the secret and the principal.
  std::map<std::string, std::pair<std::string, iam::Principal>, std::less<>> other_roots_;
  iam::Principal principal_;
  mutable Mutex warned_mu_;
  mutable std::set<std::string, std::less<>> warned_ GUARDED_BY(warned_mu_);
};

}  // namespace cenote::platform
