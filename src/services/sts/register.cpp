// STS's entry in the platform's list of services (src/platform/service_list.cpp), after IAM's: it finds
// IAM's directory of roles and managed policies, and offers the credential source of its sessions, the trust
// policies of roles (resource authority "sts") and the authorization-message encoder.
#include "iam/authorization_message.hpp"
#include "services/common/service_deps.hpp"
#include "services/iam/oidc_providers.hpp"
#include "services/sts/sts_provider.hpp"

namespace cenote::sts {

namespace {

// IAM's OpenID Connect providers (services/iam/oidc_providers.hpp) as web_identity.hpp asks for them.
class IamOidcProviders final : public OidcProviders {
 public:
  explicit IamOidcProviders(const iam::OidcProviders& iam) : iam_(iam) {}
  std::optional<OidcProviderInfo> FindOidcProvider(std::string_view account,
                                                   std::string_view host_path) const override {
    std::optional<iam::OidcProviderInfo> found = iam_.FindByUrl(account, host_path);
    if (!found) return std::nullopt;
    return OidcProviderInfo{found->arn, found->url, found->client_ids, found->jwks};
  }

 private:
  const iam::OidcProviders& iam_;
};

}  // namespace

Status Register(services::ServiceDeps& deps) {
  StsOptions options;
  options.directory = deps.Find<iam::Directory>();
  // IAM's OpenID Connect providers (none without IAM: every web identity token is then refused).
  if (const iam::OidcProviders* iam_oidc = deps.Find<iam::OidcProviders>()) {
    options.oidc = &deps.Keep(std::make_unique<IamOidcProviders>(*iam_oidc));
  }
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
