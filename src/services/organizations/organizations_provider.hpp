// OrganizationsProvider: AWS Organizations (json 1.1, "organizations", a global service) over the
// MetadataStore.
//
// One organization per data directory: the data directory's root account (OrganizationsOptions::
// account_id) may create it and becomes its management account; only the management account may call the
// management operations (members get AccessDeniedException, accounts outside the organization
// AWSOrganizationsNotInUseException). CreateAccount makes new 12-digit accounts whose role (RoleName,
// default OrganizationAccountAccessRole) is created in the new account through the in-process invoker, as
// the new account's root user, invoked by organizations.amazonaws.com: IAM CreateRole with a trust policy
// allowing the management account, then AttachRolePolicy AdministratorAccess.
//
// Storage: component "organizations", one JSON document per object (the organization with its root,
// accounts, OUs, policies with their attachments, create-account requests) in one table; every change is
// one write transaction of the documents it changed. The state is held in memory as an immutable snapshot
// (a shared_ptr swapped under a mutex after the commit), from which reads, the iam::Organizations seam
// (ScpLayers with compiled policies, organization id and path) and organizations::Accounts answer without
// touching the store.
//
// Thread safety: handlers run concurrently; changes are serialized by one mutex (never held across a call
// to another service), readers take the current snapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "services/organizations/accounts.hpp"
#include "store/metadata_store.hpp"

namespace cenote::organizations {

struct OrganizationsOptions {
  // The data directory's root account: the one account that may create the organization.
  std::string account_id = "000000000000";
  // Other accounts outside any organization whose root users the server was given keys for
  // (`--account-root-keys`): they exist (Accounts) and CreateAccount never hands out their ids.
  std::vector<std::string> standalone_accounts;
  // AWS's default quota of accounts in an organization (the management account included).
  int max_accounts = 10;
  // Create-account requests left IN_PROGRESS by a crash are finished by a background round every this
  // many ms (0: never; tests call ResumePendingRequests()).
  std::int64_t resume_interval_ms = 5'000;
  // Milliseconds since the epoch; injectable for tests.
  std::function<std::int64_t()> clock;
};

// The provider's state, shared by the handlers of this directory (internal.hpp).
struct Env;

// The schema steps of component "organizations" (for the FreshSchema check).
std::vector<std::string> Migrations();

class OrganizationsProvider final : public services::TableProvider<Env>,
                                    public iam::Organizations,
                                    public iam::ResourceAuthority,
                                    public Accounts {
 public:
  // Runs the migrations and loads the state. `invoker` (IAM calls of CreateAccount) and `tasks` must
  // outlive the provider.
  static Result<std::unique_ptr<OrganizationsProvider>> Open(store::MetadataStore& metadata,
                                                             aws::Invoker& invoker, BackgroundTasks& tasks,
                                                             OrganizationsOptions options);
  ~OrganizationsProvider() override;

  std::string_view service() const override { return "organizations"; }
  static const std::vector<std::string_view>& SupportedOperations();

  // Finishes create-account requests that are IN_PROGRESS and not being worked on (a crash between
  // recording the request and its outcome): creates the role again (an existing role is fine) and records
  // SUCCEEDED, or FAILED with INTERNAL_FAILURE.
  void ResumePendingRequests();

  // ---- iam::Organizations
  std::vector<std::vector<iam::NamedPolicy>> ScpLayers(std::string_view account_id) const override;
  std::vector<std::vector<iam::NamedPolicy>> RcpLayers(std::string_view account_id) const override;
  std::string OrganizationId(std::string_view account_id) const override;
  std::string OrganizationPath(std::string_view account_id) const override;

  // ---- iam::ResourceAuthority ("organizations"): the owner and tags of organization resources, and the
  // action map's lookups (TargetArn, PolicyArn, PolicyType: iam_actions.json).
  Result<iam::ResourceFacts> Facts(const iam::RequestPrincipal& principal, std::string_view action,
                                   std::string_view resource_arn) const override;
  Result<std::string> Lookup(std::string_view name, std::span<const std::string> args) const override;

  // ---- Accounts
  bool AccountExists(std::string_view account_id) const override;
  std::vector<AccountInfo> ListAllAccounts() const override;

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit OrganizationsProvider(std::unique_ptr<Env> env);
  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> resume_;  // declared after env_: stops before the state it uses goes
};

}  // namespace cenote::organizations
