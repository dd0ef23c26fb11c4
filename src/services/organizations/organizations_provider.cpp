#include "services/organizations/organizations_provider.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "common/clock.hpp"
#include "iam/evaluate.hpp"
#include "services/organizations/internal.hpp"

namespace cenote::organizations {

// Schema of component "organizations": one statement per schema version; append, never edit.
std::vector<std::string> Migrations() {
  return {
      "CREATE TABLE organizations_objects (kind TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, "
      "PRIMARY KEY (kind, id))",
  };
}

namespace {

const OrganizationsProvider::Table& Operations() {
  static const OrganizationsProvider::Table kOps = {
      {"AttachPolicy", AttachPolicy},
      {"CloseAccount", CloseAccount},
      {"CreateAccount", CreateAccount},
      {"CreateOrganization", CreateOrganization},
      {"CreateOrganizationalUnit", CreateOrganizationalUnit},
      {"CreatePolicy", CreatePolicy},
      {"DeleteOrganization", DeleteOrganization},
      {"DeleteOrganizationalUnit", DeleteOrganizationalUnit},
      {"DeletePolicy", DeletePolicy},
      {"DescribeAccount", DescribeAccount},
      {"DescribeCreateAccountStatus", DescribeCreateAccountStatus},
      {"DescribeOrganization", DescribeOrganization},
      {"DescribeOrganizationalUnit", DescribeOrganizationalUnit},
      {"DescribePolicy", DescribePolicy},
      {"DetachPolicy", DetachPolicy},
      {"DisablePolicyType", DisablePolicyType},
      {"EnablePolicyType", EnablePolicyType},
      {"ListAccounts", ListAccounts},
      {"ListAccountsForParent", ListAccountsForParent},
      {"ListChildren", ListChildren},
      {"ListCreateAccountStatus", ListCreateAccountStatus},
      {"ListOrganizationalUnitsForParent", ListOrganizationalUnitsForParent},
      {"ListParents", ListParents},
      {"ListPolicies", ListPolicies},
      {"ListPoliciesForTarget", ListPoliciesForTarget},
      {"ListRoots", ListRoots},
      {"ListTagsForResource", ListTagsForResource},
      {"ListTargetsForPolicy", ListTargetsForPolicy},
      {"MoveAccount", MoveAccount},
      {"RemoveAccountFromOrganization", RemoveAccountFromOrganization},
      {"TagResource", TagResource},
      {"UntagResource", UntagResource},
      {"UpdateOrganizationalUnit", UpdateOrganizationalUnit},
      {"UpdatePolicy", UpdatePolicy},
  };
  return kOps;
}

}  // namespace

OrganizationsProvider::OrganizationsProvider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

OrganizationsProvider::~OrganizationsProvider() { resume_.reset(); }

Result<std::unique_ptr<OrganizationsProvider>> OrganizationsProvider::Open(store::MetadataStore& metadata,
                                                                           aws::Invoker& invoker,
                                                                           BackgroundTasks& tasks,
                                                                           OrganizationsOptions options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("organizations", Migrations()));
  if (!options.clock) options.clock = UnixNowMs;
  auto env = std::make_unique<Env>(metadata, invoker, std::move(options));
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            txn->Query("SELECT kind, id, doc FROM organizations_objects ORDER BY kind, id"));
    CENOTE_ASSIGN_OR_RETURN(State state, FromRows(rows));
    env->Publish(std::make_shared<const State>(std::move(state)));
  }
  std::unique_ptr<OrganizationsProvider> provider(new OrganizationsProvider(std::move(env)));
  if (const std::int64_t interval = provider->env_->options.resume_interval_ms; interval > 0) {
    OrganizationsProvider* p = provider.get();
    provider->resume_ = tasks.Every("organizations.create_account", std::chrono::milliseconds(interval), [p] {
      // A background round has no client to answer: it logs and tries again next time.
      try {
        p->ResumePendingRequests();
      } catch (const std::exception& e) {
        spdlog::error("organizations: resuming create-account requests failed: {}", e.what());
      }
    });
  }
  return provider;
}

const OrganizationsProvider::Table& OrganizationsProvider::table() const { return Operations(); }

const std::vector<std::string_view>& OrganizationsProvider::SupportedOperations() {
  return Operations().names();
}

void OrganizationsProvider::ResumePendingRequests() {
  std::shared_ptr<const State> s = env_->Current()->state;
  for (const auto& [id, r] : s->requests) {
    if (r.state != "IN_PROGRESS" || !env_->Claim(id)) continue;
    CompleteCreateAccount(*env_, id);
    env_->Release(id);
  }
}

// ---- iam::Organizations

std::vector<std::vector<iam::NamedPolicy>> OrganizationsProvider::ScpLayers(
    std::string_view account_id) const {
  auto snap = env_->Current();
  auto it = snap->members.find(account_id);
  return it == snap->members.end() ? std::vector<std::vector<iam::NamedPolicy>>{} : it->second.layers;
}

std::vector<std::vector<iam::NamedPolicy>> OrganizationsProvider::RcpLayers(
    std::string_view account_id) const {
  auto snap = env_->Current();
  auto it = snap->members.find(account_id);
  return it == snap->members.end() ? std::vector<std::vector<iam::NamedPolicy>>{} : it->second.rcp_layers;
}

std::string OrganizationsProvider::OrganizationId(std::string_view account_id) const {
  auto snap = env_->Current();
  return snap->members.count(account_id) ? snap->org_id : std::string();
}

std::string OrganizationsProvider::OrganizationPath(std::string_view account_id) const {
  auto snap = env_->Current();
  auto it = snap->members.find(account_id);
  return it == snap->members.end() ? std::string() : it->second.path;
}

// ---- iam::ResourceAuthority

Result<iam::ResourceFacts> OrganizationsProvider::Facts(const iam::RequestPrincipal&, std::string_view,
                                                        std::string_view resource_arn) const {
  iam::ResourceFacts facts;
  std::shared_ptr<const State> s = env_->Current()->state;
  if (!s->org) return facts;
  // AWS-managed policies (arn:aws:organizations::aws:policy/...) name no account: within the organization
  // they are the management account's to attach and detach, as its own policies are.
  if (resource_arn.starts_with("arn:aws:organizations::aws:")) {
    facts.owner_account = s->org->management_account;
    return facts;
  }
  // arn:aws:organizations::<management>:<type>/o-.../<id>: the last segment names the resource.
  const std::string prefix = "arn:aws:organizations::" + s->org->management_account + ":";
  if (resource_arn.substr(0, prefix.size()) != prefix) return facts;
  std::string_view rest = resource_arn.substr(prefix.size());
  std::string id(rest.substr(rest.rfind('/') + 1));
  const Tags* tags = nullptr;
  if (s->IsRoot(id)) {
    tags = &s->org->root_tags;
  } else if (const Account* a = s->FindMember(id)) {
    tags = &a->tags;
  } else if (auto u = s->units.find(id); u != s->units.end()) {
    tags = &u->second.tags;
  } else if (auto p = s->policies.find(id); p != s->policies.end()) {
    tags = &p->second.tags;
  }
  if (tags)
    for (const auto& [k, v] : *tags) facts.keys.Set("aws:ResourceTag/" + k, v);
  return facts;
}

Result<std::string> OrganizationsProvider::Lookup(std::string_view name,
                                                  std::span<const std::string> args) const {
  std::shared_ptr<const State> s = env_->Current()->state;
  if (args.size() != 1)
    return InternalError("organizations lookup " + std::string(name) + " takes one argument");
  const std::string& id = args[0];
  if (!s->org) return services::MakeError(errors::kNotInUse);
  if (name == "TargetArn") {
    // A root, OU or account id names the ARN it has (or would have) in this organization; a policy id must
    // name a policy, whose type is part of its ARN.
    if (auto arn = TargetArn(*s, id)) return *arn;
    if (IsPolicyId(id)) return services::MakeError(errors::kPolicyNotFound);
    return services::MakeError(errors::kTargetNotFound);
  }
  if (name == "PolicyArn" || name == "PolicyType") {
    auto it = s->policies.find(id);
    if (it == s->policies.end()) return services::MakeError(errors::kPolicyNotFound);
    return name == "PolicyArn" ? PolicyArn(*s->org, it->second) : it->second.type;
  }
  return ResourceAuthority::Lookup(name, args);
}

// ---- Accounts

bool OrganizationsProvider::AccountExists(std::string_view account_id) const {
  return env_->Current()->existing.count(account_id) > 0;
}

std::vector<AccountInfo> OrganizationsProvider::ListAllAccounts() const {
  auto snap = env_->Current();
  const State& s = *snap->state;
  std::map<std::string, AccountInfo> out;
  out[env_->options.account_id] = AccountInfo{
      .id = env_->options.account_id, .name = "", .email = "", .status = "ACTIVE", .organization_id = ""};
  for (const std::string& id : env_->options.standalone_accounts)
    out[id] = AccountInfo{.id = id, .name = "", .email = "", .status = "ACTIVE", .organization_id = ""};
  for (const auto& [id, a] : s.accounts) {
    out[id] = AccountInfo{.id = id,
                          .name = a.name,
                          .email = a.email,
                          .status = a.status,
                          .organization_id = a.parent.empty() ? "" : snap->org_id};
  }
  for (const auto& [rid, r] : s.requests) {
    if (r.state == "IN_PROGRESS" && !r.account_id.empty() && !out.count(r.account_id))
      out[r.account_id] = AccountInfo{.id = r.account_id,
                                      .name = r.account_name,
                                      .email = r.email,
                                      .status = "ACTIVE",
                                      .organization_id = ""};
  }
  std::vector<AccountInfo> list;
  for (auto& [id, info] : out) list.push_back(std::move(info));
  return list;
}

}  // namespace cenote::organizations
