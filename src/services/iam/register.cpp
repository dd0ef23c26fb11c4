// IAM's entry in the platform's list of services (src/platform/service_list.cpp). Registered first: it offers
// the identity seams (iam::Directory, iam::OidcProviders) that later services (STS) find, and the credential
// source and resource authority the platform hands to SigV4 and the authorizer.
#include "services/common/service_deps.hpp"
#include "services/iam/iam_provider.hpp"

namespace cenote::iam {

Status Register(services::ServiceDeps& deps) {
  IamOptions options;
  options.clock = deps.clock;
  CENOTE_ASSIGN_OR_RETURN(auto provider, IamProvider::Open(deps.metadata, deps.tasks, options));
  IamDirectory& directory = provider->directory();
  deps.Offer<Directory>(directory);
  deps.Offer<OidcProviders>(directory);
  if (deps.add_credential_source) deps.add_credential_source(&directory);
  if (deps.add_resource_authority) deps.add_resource_authority(&directory);
  // Access-key uses recorded since the last background write are written before the provider goes.
  IamProvider* p = provider.get();
  deps.OnShutdown([p] { (void)p->FlushKeyUse(); });
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::iam
