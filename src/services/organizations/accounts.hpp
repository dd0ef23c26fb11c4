// organizations::Accounts: which AWS accounts exist on this server, for the platform (SigV4 and IAM must
// not serve an account nobody created). Offered by the Organizations service at registration
// (deps.Offer<organizations::Accounts>), implemented by OrganizationsProvider.
//
// The accounts are: the data directory's root account (always), every account Organizations created
// (while its creation is in progress too, so that the IAM calls that set it up are served; a failed
// creation's account then stops existing), including those later removed from the organization (they stay
// standalone accounts, as on AWS). Closed (SUSPENDED) accounts do not exist for requests.
//
// Thread safety: both methods may be called concurrently from any thread; they read an immutable snapshot
// (no metadata-store read).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cenote::organizations {

struct AccountInfo {
  std::string id;               // 12 digits
  std::string name;             // the AccountName it was created with ("" for the data directory's account)
  std::string email;            // "" for the data directory's account outside an organization
  std::string status;           // ACTIVE, SUSPENDED
  std::string organization_id;  // "o-..." while the account is in the organization, else ""
};

class Accounts {
 public:
  virtual ~Accounts() = default;
  // True when `account_id` names an account that may make requests (see above).
  virtual bool AccountExists(std::string_view account_id) const = 0;
  // Every account above (closed ones included, with their status), sorted by id.
  virtual std::vector<AccountInfo> ListAllAccounts() const = 0;
};

}  // namespace cenote::organizations
