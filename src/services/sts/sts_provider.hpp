// StsProvider: AWS Security Token Service ("sts", query protocol, XML responses).
//
// It issues temporary credentials (AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken,
// GetFederationToken) into its SessionStore, the iam::CredentialSource through which SigV4 finds ASIA... keys
// until they expire, and answers who a caller is (GetCallerIdentity). Its RoleTrustAuthority tells the
// authorizer a role's trust policy for sts:AssumeRole and its companions; the handlers do not evaluate trust
// policies themselves, except for AssumeRoleWithWebIdentity, which is unsigned: there the handler evaluates
// the trust policy for the token's provider and claims (iam::Evaluate). DecodeAuthorizationMessage reads the
// messages its AuthorizationMessageCodec sealed for the authorizer.
//
// Roles and managed session policies come from IAM's iam::Directory and OIDC providers from OidcProviders
// (web_identity.hpp), both optional: without them every AssumeRole* is refused with AccessDenied, as AWS
// refuses a role that does not exist.
//
// Thread safety: handlers run concurrently; the state they share is the SessionStore's (its own lock) and
// immutable configuration.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "services/sts/authorization_message.hpp"
#include "services/sts/role_trust.hpp"
#include "services/sts/session_store.hpp"
#include "services/sts/web_identity.hpp"
#include "store/metadata_store.hpp"

namespace cenote::sts {

struct StsOptions {
  // IAM's directory of roles and managed policies, and its OIDC providers; null when IAM is not there.
  const iam::Directory* directory = nullptr;
  const OidcProviders* oidc = nullptr;
  // Where the authorization-message key lives (<data-dir>/sts/authorization-message.key); "" keeps an
  // ephemeral key (tests).
  std::string message_key_path;
  // How long an expired session still answers ExpiredToken before it is forgotten.
  std::int64_t expired_retention_ms = 24ll * 3600 * 1000;
  // How often expired sessions are pruned (0: never; tests call Prune()).
  std::int64_t prune_interval_ms = 60'000;
  std::function<std::int64_t()> clock;  // milliseconds since the epoch
};

struct Env;

class StsProvider final : public services::TableProvider<Env> {
 public:
  static Result<std::unique_ptr<StsProvider>> Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                                   StsOptions options);
  ~StsProvider() override;

  std::string_view service() const override { return "sts"; }
  static const std::vector<std::string_view>& SupportedOperations();

  SessionStore& sessions();
  RoleTrustAuthority& trust();
  AuthorizationMessageCodec& messages();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit StsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> prune_;  // after env_: stops before the sessions go
};

}  // namespace cenote::sts
