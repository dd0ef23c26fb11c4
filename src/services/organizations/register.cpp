// AWS Organizations' entry in the platform's list of services (src/platform/service_list.cpp). Registered
// after IAM: CreateAccount creates each new account's role through the invoker.
#include "services/common/service_deps.hpp"
#include "services/organizations/organizations_provider.hpp"

namespace cenote::organizations {

Status Register(services::ServiceDeps& deps) {
  OrganizationsOptions options;
  options.account_id = deps.account_id;
  options.clock = deps.clock;
  options.standalone_accounts = deps.other_root_accounts;
  CENOTE_ASSIGN_OR_RETURN(auto provider,
                          OrganizationsProvider::Open(deps.metadata, deps.invoker, deps.tasks, options));
  OrganizationsProvider& ref = *provider;
  // The seams: SCPs and the organization for the authorizer, the action map's lookups and resource tags,
  // and the accounts that exist for the platform.
  deps.Offer<iam::Organizations>(ref);
  deps.Offer<Accounts>(ref);
  if (deps.add_resource_authority) deps.add_resource_authority(&ref);
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::organizations
