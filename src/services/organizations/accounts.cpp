// Accounts: CreateAccount (and its role in the new account, made through IAM), the create-account
// requests, DescribeAccount, ListAccounts, ListAccountsForParent, MoveAccount,
// RemoveAccountFromOrganization, CloseAccount.
#include <spdlog/spdlog.h>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/organizations/internal.hpp"

namespace cenote::organizations {

namespace {

json::object RequestDocument(const CreateRequest& r) {
  json::object o{{"Id", r.id},
                 {"AccountName", r.account_name},
                 {"State", r.state},
                 {"RequestedTimestamp", r.requested_ms}};
  // AWS reports the account id and completion time once the request has an outcome.
  if (r.state == "SUCCEEDED") o["AccountId"] = r.account_id;
  if (r.state != "IN_PROGRESS") o["CompletedTimestamp"] = r.completed_ms;
  if (r.state == "FAILED") o["FailureReason"] = r.failure_reason;
  return o;
}

// [^\s@]+@[^\s@]+\.[^\s@]+, 6..64 characters.
bool ValidEmail(std::string_view email) {
  if (email.size() < 6 || email.size() > 64) return false;
  auto at = email.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  std::string_view domain = email.substr(at + 1);
  for (char c : email)
    if (IsAsciiSpace(c)) return false;
  if (domain.find('@') != std::string_view::npos) return false;
  auto dot = domain.rfind('.');
  return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

// [\w+=,.@-]{1,64}
bool ValidRoleName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!IsAsciiAlnum(c) && std::string_view("_+=,.@-").find(c) == std::string_view::npos) return false;
  return true;
}

std::string TrustPolicy(const std::string& management_account) {
  return json::serialize(json::object{
      {"Version", "2012-10-17"},
      {"Statement", json::array{json::object{
                        {"Effect", "Allow"},
                        {"Principal", json::object{{"AWS", "arn:aws:iam::" + management_account + ":root"}}},
                        {"Action", "sts:AssumeRole"}}}}});
}

// The role of a new account, created in that account as its root user (invoked by Organizations). A role
// that already exists is a request resumed after a crash: its policy is attached again (idempotent).
Status CreateAccountRole(Env& env, const std::string& account_id, const std::string& role_name,
                         const std::string& management_account) {
  aws::Caller caller{.principal = iam::RootPrincipal(account_id),
                     .region = "us-east-1",
                     .invoked_by = std::string(kServicePrincipal),
                     .parent_request_id = "",
                     .source_arn = "",
                     .source_account = "",
                     .forwarded = false};
  aws::OperationInput create;
  create.params =
      json::object{{"RoleName", role_name}, {"AssumeRolePolicyDocument", TrustPolicy(management_account)}};
  auto created = env.invoker.Call(caller, "iam", "CreateRole", create);
  if (!created.ok() && created.error().code != "EntityAlreadyExists") return std::move(created).error();
  aws::OperationInput attach;
  attach.params = json::object{{"RoleName", role_name}, {"PolicyArn", std::string(kAdministratorAccessArn)}};
  auto attached = env.invoker.Call(caller, "iam", "AttachRolePolicy", attach);
  if (!attached.ok()) return std::move(attached).error();
  return Status::Ok();
}

Result<std::shared_ptr<const State>> Managed(Env& env, const RequestContext& ctx) {
  return env.ForManagement(ctx);
}

}  // namespace

void CompleteCreateAccount(Env& env, const std::string& request_id) {
  std::shared_ptr<const State> s = env.Current()->state;
  auto it = s->requests.find(request_id);
  if (it == s->requests.end() || it->second.state != "IN_PROGRESS" || !s->org) return;
  const CreateRequest request = it->second;
  const std::string management = s->org->management_account;
  // The IAM calls run outside Change: IAM (and the authorizer, reading this provider's snapshot) may take
  // their time without holding up other changes to the organization.
  Status role = CreateAccountRole(env, request.account_id, request.role_name, management);
  if (!role.ok()) {
    spdlog::warn("organizations: CreateAccount {}: cannot create role {} in account {}: {} {}", request.id,
                 request.role_name, request.account_id, role.error().code, role.error().message);
  }
  Status st = env.Change([&](State& next) -> Status {
    auto r = next.requests.find(request_id);
    if (r == next.requests.end() || r->second.state != "IN_PROGRESS" || !next.org) return Status::Ok();
    CreateRequest& req = r->second;
    req.completed_ms = env.Now();
    if (!role.ok()) {
      req.state = "FAILED";
      req.failure_reason = "INTERNAL_FAILURE";
      return Status::Ok();
    }
    req.state = "SUCCEEDED";
    Account a{.id = req.account_id,
              .name = req.account_name,
              .email = req.email,
              .parent = next.org->root_id,
              .status = "ACTIVE",
              .joined_method = "CREATED",
              .joined_ms = req.completed_ms,
              .tags = req.tags};
    next.accounts[a.id] = std::move(a);
    AttachDefaults(next, req.account_id);
    return Status::Ok();
  });
  if (!st.ok())
    spdlog::warn("organizations: CreateAccount {}: cannot record the outcome: {}", request_id,
                 st.error().message);
}

Result<OperationOutput> CreateAccount(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  std::string email = GetString(params, "Email").value_or("");
  std::string name = GetString(params, "AccountName").value_or("");
  std::string role = GetString(params, "RoleName").value_or(std::string(kDefaultRoleName));
  if (!ValidEmail(email)) return InvalidInput("INVALID_PATTERN", "You provided an invalid email address.");
  if (name.empty() || name.size() > 50)
    return InvalidInput(name.empty() ? "MIN_LENGTH_EXCEEDED" : "MAX_LENGTH_EXCEEDED",
                        "AccountName must be 1 to 50 characters long.");
  for (char c : name)
    if (c < 0x20 || c > 0x7e) return InvalidPattern("AccountName");
  if (!ValidRoleName(role))
    return InvalidInput("INVALID_ROLE_NAME", "You provided a role name that isn't valid.");
  CENOTE_ASSIGN_OR_RETURN(Tags tags, ReadTags(params, "Tags"));

  CreateRequest request;
  request.id = "car-" + RandomHex(16);
  request.account_name = name;
  request.email = email;
  request.role_name = role;
  request.state = "IN_PROGRESS";
  request.tags = std::move(tags);
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    std::size_t count = 0;
    for (const auto& [id, a] : s.accounts) count += a.parent.empty() ? 0 : 1;
    for (const auto& [id, r] : s.requests) count += r.state == "IN_PROGRESS" ? 1 : 0;
    if (count >= static_cast<std::size_t>(env.options.max_accounts))
      return ConstraintViolation(
          "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
          "You have reached the limit on the number of accounts in your organization.");
    request.requested_ms = env.Now();
    // An email already used by an account fails the request, as AWS fails it (asynchronously).
    bool taken = false;
    for (const auto& [id, a] : s.accounts) taken = taken || EqualsIgnoreAsciiCase(a.email, email);
    for (const auto& [id, r] : s.requests)
      taken = taken || (r.state == "IN_PROGRESS" && EqualsIgnoreAsciiCase(r.email, email));
    if (taken) {
      request.state = "FAILED";
      request.failure_reason = "EMAIL_ALREADY_EXISTS";
      request.completed_ms = request.requested_ms;
    } else {
      std::uint64_t n = s.org->next_account_number;
      auto used = [&](const std::string& id) {
        if (id == "000000000000" || id == env.options.account_id || s.accounts.count(id)) return true;
        for (const std::string& other : env.options.standalone_accounts)
          if (other == id) return true;
        for (const auto& [rid, r] : s.requests)
          if (r.account_id == id) return true;
        return false;
      };
      std::string id;
      do {
        if (n < 100'000'000'000ULL || n > 999'999'999'999ULL) n = 100'000'000'000ULL;
        id = std::to_string(n++);
      } while (used(id));
      s.org->next_account_number = n;
      request.account_id = id;
    }
    s.requests[request.id] = request;
    return Status::Ok();
  }));
  // AWS answers IN_PROGRESS; the outcome is DescribeCreateAccountStatus's. The role is set up before this
  // call returns, so a client that polls sees SUCCEEDED (or FAILED) on its first poll.
  json::object out{{"CreateAccountStatus", RequestDocument(request)}};
  if (request.state == "IN_PROGRESS") {
    out["CreateAccountStatus"].as_object()["State"] = "IN_PROGRESS";
    if (env.Claim(request.id)) {
      CompleteCreateAccount(env, request.id);
      env.Release(request.id);
    }
  }
  return out;
}

Result<OperationOutput> DescribeCreateAccountStatus(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  std::string id = GetString(params, "CreateAccountRequestId").value_or("");
  auto valid = [](std::string_view v) {
    if (v.size() < 12 || v.size() > 36 || v.substr(0, 4) != "car-") return false;
    for (char c : v.substr(4))
      if (!IsAsciiDigit(c) && !(c >= 'a' && c <= 'z')) return false;
    return true;
  };
  if (!valid(id)) return InvalidPattern("CreateAccountRequestId");
  CENOTE_ASSIGN_OR_RETURN(auto s, Managed(env, ctx));
  auto it = s->requests.find(id);
  if (it == s->requests.end()) return services::MakeError(errors::kCreateAccountStatusNotFound);
  return json::object{{"CreateAccountStatus", RequestDocument(it->second)}};
}

Result<OperationOutput> ListCreateAccountStatus(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  std::set<std::string> states;
  if (const json::array* list = GetArray(params, "States")) {
    for (const auto& v : *list) {
      if (!v.is_string()) continue;
      std::string state(v.get_string());
      if (state != "IN_PROGRESS" && state != "SUCCEEDED" && state != "FAILED")
        return InvalidInput("INVALID_ENUM", "You specified an invalid value for States.");
      states.insert(std::move(state));
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto s, Managed(env, ctx));
  // Newest first, as AWS lists them: the key orders by request time, then id.
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& [id, r] : s->requests) {
    if (!states.empty() && !states.count(r.state)) continue;
    char key[32];
    std::snprintf(key, sizeof(key), "%020lld", static_cast<long long>(INT64_MAX - r.requested_ms));
    items.emplace_back(std::string(key) + id, RequestDocument(r));
  }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "CreateAccountStatuses"));
  return out;
}

Result<OperationOutput> DescribeAccount(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(in.params.as_object(), "AccountId", IsAccountId));
  CENOTE_ASSIGN_OR_RETURN(auto s, Managed(env, ctx));
  const Account* a = s->FindMember(id);
  if (a == nullptr) return services::MakeError(errors::kAccountNotFound);
  return json::object{{"Account", AccountDocument(*s->org, *a)}};
}

Result<OperationOutput> ListAccounts(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto s, Managed(env, ctx));
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& [id, a] : s->accounts)
    if (!a.parent.empty()) items.emplace_back(id, AccountDocument(*s->org, a));
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(in.params.as_object(), items, "Accounts"));
  return out;
}

Result<OperationOutput> ListAccountsForParent(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string parent, RequireId(params, "ParentId", [](std::string_view v) {
                            return IsRootId(v) || IsUnitId(v);
                          }));
  CENOTE_ASSIGN_OR_RETURN(auto s, Managed(env, ctx));
  if (!s->IsParent(parent)) return services::MakeError(errors::kParentNotFound);
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& [id, a] : s->accounts)
    if (a.parent == parent) items.emplace_back(id, AccountDocument(*s->org, a));
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "Accounts"));
  return out;
}

Result<OperationOutput> MoveAccount(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  auto parent_id = [](std::string_view v) { return IsRootId(v) || IsUnitId(v); };
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(params, "AccountId", IsAccountId));
  CENOTE_ASSIGN_OR_RETURN(std::string source, RequireId(params, "SourceParentId", parent_id));
  CENOTE_ASSIGN_OR_RETURN(std::string destination, RequireId(params, "DestinationParentId", parent_id));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.accounts.find(id);
    if (it == s.accounts.end() || it->second.parent.empty())
      return services::MakeError(errors::kAccountNotFound);
    if (!s.IsParent(source)) return services::MakeError(errors::kSourceParentNotFound);
    if (!s.IsParent(destination)) return services::MakeError(errors::kDestinationParentNotFound);
    if (it->second.parent == destination) return services::MakeError(errors::kDuplicateAccount);
    if (it->second.parent != source) return services::MakeError(errors::kAccountNotFound);
    it->second.parent = destination;
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> RemoveAccountFromOrganization(Env& env, const RequestContext& ctx,
                                                      OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(in.params.as_object(), "AccountId", IsAccountId));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.accounts.find(id);
    if (it == s.accounts.end() || it->second.parent.empty())
      return services::MakeError(errors::kAccountNotFound);
    if (id == s.org->management_account) return services::MakeError(errors::kMasterCannotLeave);
    // The account becomes standalone: it keeps existing (its resources, its IAM), without the
    // organization's policies and tags.
    it->second.parent.clear();
    it->second.tags.clear();
    DetachAll(s, id);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> CloseAccount(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(in.params.as_object(), "AccountId", IsAccountId));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.accounts.find(id);
    if (it == s.accounts.end() || it->second.parent.empty())
      return services::MakeError(errors::kAccountNotFound);
    if (id == s.org->management_account)
      return ConstraintViolation("CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
                                 "You attempted to close the management account. To close the management "
                                 "account for the organization, you must first either remove or close all "
                                 "member accounts in the organization.");
    if (it->second.status == "SUSPENDED") return services::MakeError(errors::kAccountAlreadyClosed);
    // AWS passes through PENDING_CLOSURE to SUSPENDED; closing here takes effect at once. The account stays
    // in the organization (AWS keeps it for 90 days) but can no longer make requests.
    it->second.status = "SUSPENDED";
    return Status::Ok();
  }));
  return json::object{};
}

}  // namespace cenote::organizations
