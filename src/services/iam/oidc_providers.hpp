// OidcProviders: what STS's AssumeRoleWithWebIdentity needs of IAM's OpenID Connect identity providers,
// offered by the IAM service at registration (deps.Offer<iam::OidcProviders>) for the services registered
// after it (STS finds it with deps.Find<iam::OidcProviders>()).
//
// Thread safety: Find is called on request threads, concurrently; it answers from an immutable in-memory
// snapshot (a provider created, changed or deleted through IAM is seen by the next call).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cenote::iam {

struct OidcProviderInfo {
  std::string account_id;
  // arn:aws:iam::<account>:oidc-provider/<url without scheme>, e.g.
  // ".../oidc-provider/token.actions.example.com"
  std::string arn;
  // The issuer URL without its "https://" scheme, as IAM keys it and as web-identity tokens' `iss` claims are
  // compared (after removing their scheme): "token.actions.example.com" or "example.com/path".
  std::string url;
  std::vector<std::string> client_ids;   // audiences (`aud`) the provider accepts
  std::vector<std::string> thumbprints;  // SHA-1 hex (40 lowercase digits) of the issuer's certificates
  // Where STS reads the provider's signing keys (a JWKS document) from, since Cenote never fetches beyond the
  // machine: the value of the provider's `cenote:jwks` tag (a file path, a file:// URL or an http:// URL on
  // the loopback), or "" (the issuer's own OpenID configuration, when the issuer is on the loopback).
  std::string jwks;
  std::int64_t created_ms = 0;
};

class OidcProviders {
 public:
  virtual ~OidcProviders() = default;
  // The provider of `account_id` whose URL is `issuer` (with or without "https://", any trailing '/'
  // ignored), or nullopt when the account has none.
  virtual std::optional<OidcProviderInfo> FindByUrl(std::string_view account_id,
                                                    std::string_view issuer) const = 0;
  // The provider with this ARN (arn:aws:iam::<account>:oidc-provider/<url>), or nullopt.
  virtual std::optional<OidcProviderInfo> FindByArn(std::string_view arn) const = 0;
};

}  // namespace cenote::iam
