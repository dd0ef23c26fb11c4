#include "services/sts/sts_provider.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/clock.hpp"

#include "services/sts/internal.hpp"

namespace cenote::sts {

namespace {

const services::OperationTable<services::Handler<Env>>& Operations() {
  static const services::OperationTable<services::Handler<Env>> kOps = {
      {"AssumeRole", AssumeRole},
      {"AssumeRoleWithWebIdentity", AssumeRoleWithWebIdentity},
      {"DecodeAuthorizationMessage", DecodeAuthorizationMessage},
      {"GetCallerIdentity", GetCallerIdentity},
      {"GetFederationToken", GetFederationToken},
      {"GetSessionToken", GetSessionToken},
  };
  return kOps;
}

}  // namespace

const std::vector<ErrorSpec>& ErrorTable() {
  static const std::vector<ErrorSpec> kTable = {
      errors::kNotAuthorized,
      errors::kRootCannotAssumeRole,
      errors::kSessionCredentials,
      errors::kMfaFailed,
      errors::kValidation,
      errors::kMaxSessionDuration,
      errors::kRoleChainingDuration,
      errors::kTooManyPolicyArns,
      errors::kDuplicateTagKeys,
      errors::kTransitiveKeyNotInTags,
      errors::kInheritedTagKey,
      errors::kReservedPrefix,
      errors::kSourceIdentityChanged,
      errors::kMalformedPolicy,
      errors::kPolicyNotAttachable,
      errors::kPackedPolicyTooLarge,
      errors::kInvalidIdentityToken,
      errors::kExpiredToken,
      errors::kIdpCommunication,
      errors::kNotAuthorizedWebIdentity,
      errors::kInvalidAuthorizationMessage,
  };
  return kTable;
}

StsProvider::StsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}
StsProvider::~StsProvider() = default;

Result<std::unique_ptr<StsProvider>> StsProvider::Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                                       StsOptions options) {
  auto env = std::make_unique<Env>();
  env->clock = options.clock ? options.clock : UnixNowMs;
  env->directory = options.directory;
  env->oidc = options.oidc;
  CENOTE_ASSIGN_OR_RETURN(env->sessions, SessionStore::Open(metadata, options.directory, env->clock,
                                                            options.expired_retention_ms));
  env->trust = std::make_unique<RoleTrustAuthority>(options.directory);
  if (options.message_key_path.empty()) {
    env->messages = AuthorizationMessageCodec::Ephemeral();
  } else {
    CENOTE_ASSIGN_OR_RETURN(env->messages, AuthorizationMessageCodec::Open(options.message_key_path));
  }
  std::unique_ptr<StsProvider> provider(new StsProvider(std::move(env)));
  if (options.prune_interval_ms > 0) {
    SessionStore* sessions = provider->env_->sessions.get();
    provider->prune_ =
        tasks.Every("sts-prune-sessions", std::chrono::milliseconds(options.prune_interval_ms), [sessions] {
          Status s = sessions->Prune();
          if (!s.ok()) spdlog::warn("sts: pruning expired sessions: {}", s.error().message);
        });
  }
  return provider;
}

const StsProvider::Table& StsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& StsProvider::SupportedOperations() { return Operations().names(); }

SessionStore& StsProvider::sessions() { return *env_->sessions; }
RoleTrustAuthority& StsProvider::trust() { return *env_->trust; }
AuthorizationMessageCodec& StsProvider::messages() { return *env_->messages; }

}  // namespace cenote::sts
