// What AssumeRoleWithWebIdentity needs of IAM's OpenID Connect providers, and where their signing keys come
// from.
//
// IAM owns the providers (CreateOpenIDConnectProvider). Until its lookup is merged, STS codes against this
// small interface; register.cpp adapts whatever IAM offers (ServiceDeps::Offer) to it, and with nothing
// offered every web identity token is refused as from an unknown provider.
//
// Signing keys: AWS fetches <issuer>/.well-known/openid-configuration and its jwks_uri over HTTPS. Cenote
// never reaches beyond the machine: a provider's keys come from its `jwks` location, which is a file path, a
// file:// URL, or an http:// URL on 127.0.0.1, [::1] or localhost; with none configured, an issuer that is
// itself an http:// URL on the loopback is asked for its OpenID configuration as AWS would. Anything else
// answers IDPCommunicationError.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::sts {

struct OidcProviderInfo {
  std::string arn;                      // arn:aws:iam::<account>:oidc-provider/<host and path>
  std::string url;                      // as registered: "https://host/path" (or without the scheme)
  std::vector<std::string> client_ids;  // the audiences it accepts
  std::string jwks;                     // where its keys are (above); "" for the issuer's configuration
};

class OidcProviders {
 public:
  virtual ~OidcProviders() = default;
  // The OIDC provider of `account` whose URL, without its scheme and trailing slash, is `host_path`
  // ("server.example.com", "token.actions.githubusercontent.com", "127.0.0.1:8080/realms/x"), or nullopt.
  // Called concurrently.
  virtual std::optional<OidcProviderInfo> FindOidcProvider(std::string_view account,
                                                           std::string_view host_path) const = 0;
};

// The issuer without its scheme and trailing slash: the name providers are registered and found under.
std::string IssuerHostPath(std::string_view issuer);

// The provider's key set (a JWKS JSON document), read from its `jwks` location or fetched from `issuer`'s
// OpenID configuration (above); IDPCommunicationError when it cannot be had.
Result<std::string> LoadJwks(const OidcProviderInfo& provider, std::string_view issuer);

}  // namespace cenote::sts
