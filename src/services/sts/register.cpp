// STS's entry in the platform's list of services (src/platform/service_list.cpp), after IAM's: it finds
// IAM's directory of roles and managed policies, and offers the credential source of its sessions, the trust
// policies of roles (resource authority "sts") and the authorization-message encoder.
#include "iam/authorization_message.hpp"
#include "services/common/service_deps.hpp"
#include "services/sts/sts_provider.hpp"

namespace cenote::sts {

Status Register(services::ServiceDeps& deps) {
  StsOptions options;
  options.directory = deps.Find<iam::Directory>();
  // IAM's OpenID Connect providers: IAM offers them once its branch merges; an adapter to OidcProviders
  // (web_identity.hpp) goes here. Until then web identity tokens find no provider.
  options.oidc = deps.Find<OidcProviders>();
  options.message_key_path = deps.data_dir + "/sts/authorization-message.key";
  options.clock = deps.clock;
  CENOTE_ASSIGN_OR_RETURN(auto provider, StsProvider::Open(deps.metadata, deps.tasks, options));
  if (deps.add_credential_source) deps.add_credential_source(&provider->sessions());
  if (deps.add_resource_authority) deps.add_resource_authority(&provider->trust());
  deps.Offer<iam::AuthorizationMessageEncoder>(provider->messages());
  deps.AddProvider(std::move(provider));
  return Status::Ok();
}

}  // namespace cenote::sts
