// IamProvider: AWS Identity and Access Management (query protocol, "iam") over the MetadataStore, and the
// identity seams IAM owns (iam/directory.hpp): the Directory of users' and roles' policies, the
// CredentialSource of IAM users' access keys, the OIDC providers STS needs (oidc_providers.hpp), and a
// ResourceAuthority for service "iam" answering the action map's lookups (the path of a user, group or role,
// which IAM's resource ARNs carry but most requests do not).
//
// IAM is global: one namespace per account (the caller's, RequestContext::account_id()), whatever the
// request's region; ARNs have no region (arn:aws:iam::123456789012:user/path/name).
//
// Storage: component "iam" of the MetadataStore, one JSON document per entity (user with its keys, inline
// policies, attachments and groups; group; role; customer-managed policy with its versions; instance profile;
// OIDC provider; the account's alias and password policy), keyed by (account, kind, lower-cased name),
// written in one transaction per call before the call is answered. Everything is cached in memory
// (internal.hpp). Access keys' last use is kept in memory and written every IamOptions::key_use_flush_ms and
// at shutdown.
//
// Thread safety: handlers run concurrently and serialize on one mutex (IAM's control plane is not a hot
// path); the seams answer from immutable per-account snapshots swapped under their own mutex, never from the
// metadata store.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/error_spec.hpp"
#include "services/common/operation_table.hpp"
#include "services/iam/oidc_providers.hpp"
#include "store/metadata_store.hpp"

namespace cenote::iam {

struct IamOptions {
  std::function<std::int64_t()> clock;  // milliseconds since the epoch
  // How often recorded access-key uses are written (0: only at shutdown / FlushKeyUse()).
  std::int64_t key_use_flush_ms = 10'000;
};

struct Env;

std::vector<std::string> Migrations();
store::FreshSchema FreshSchema();
const std::vector<services::ErrorSpec>& ErrorTable();

// The seams, answered from Env's snapshots. Part of the provider (lives as long as it).
class IamDirectory final : public Directory,
                           public CredentialSource,
                           public OidcProviders,
                           public ResourceAuthority {
 public:
  explicit IamDirectory(Env& env) : env_(env) {}

  // Directory
  std::shared_ptr<const EntityPolicies> PoliciesOf(std::string_view entity_arn) const override;
  std::optional<RoleInfo> FindRole(std::string_view role_arn) const override;
  std::shared_ptr<const Policy> ManagedPolicy(std::string_view policy_arn) const override;
  // CredentialSource
  std::optional<AccessKeyRecord> Lookup(std::string_view access_key_id) const override;
  void RecordUse(std::string_view access_key_id, std::string_view service, std::string_view region,
                 std::int64_t now_ms) const override;
  // OidcProviders
  std::optional<OidcProviderInfo> FindByUrl(std::string_view account_id,
                                            std::string_view issuer) const override;
  std::optional<OidcProviderInfo> FindByArn(std::string_view arn) const override;
  // ResourceAuthority: IAM resources have no resource policies here (a role's trust policy is STS's to
  // evaluate, through FindRole). Facts: AWS-managed policy ARNs (account "aws") are owned by the caller's
  // account for evaluation; users and roles give aws:ResourceTag/ keys. Lookups: UserPath(Account, UserName),
  // GroupPath(Account, GroupName), RolePath(Account, RoleName), InstanceProfilePath(Account,
  // InstanceProfileName): the entity's path ("/" when it does not exist: the operation then answers
  // NoSuchEntity itself); AccessKeyUser(Account, AccessKeyId): the key owner's path and name ("/" when none);
  // OidcProviderName(Url): the URL without its scheme (the oidc-provider ARN's resource). Path lookups read
  // the state under its mutex.
  std::string_view service() const override { return "iam"; }
  Result<ResourceFacts> Facts(const RequestPrincipal& principal, std::string_view action,
                              std::string_view resource_arn) const override;
  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override;

 private:
  Env& env_;
};

class IamProvider final : public services::TableProvider<Env> {
 public:
  // Runs the "iam" migrations and loads every account's entities. Starts the key-use flush on `tasks` when
  // options.key_use_flush_ms > 0. The store and `tasks` must outlive the provider.
  static Result<std::unique_ptr<IamProvider>> Open(store::MetadataStore& metadata, BackgroundTasks& tasks,
                                                   IamOptions options);
  ~IamProvider() override;

  std::string_view service() const override { return "iam"; }
  static const std::vector<std::string_view>& SupportedOperations();

  IamDirectory& directory() { return *directory_; }
  // Writes the recorded access-key uses now (also at shutdown).
  Status FlushKeyUse();

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit IamProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<IamDirectory> directory_;
  std::unique_ptr<BackgroundTask> flush_;  // declared last: stops before the state it uses goes
};

}  // namespace cenote::iam
