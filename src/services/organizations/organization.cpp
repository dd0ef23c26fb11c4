// The organization and its root: CreateOrganization, DescribeOrganization, DeleteOrganization, ListRoots,
// EnablePolicyType, DisablePolicyType; and tags on every taggable resource (root, OU, account, policy).
#include "common/random.hpp"
#include "services/organizations/internal.hpp"

namespace cenote::organizations {

namespace {

json::array PolicyTypes(const State& s) {
  json::array out;
  if (!s.org) return out;
  for (const auto& t : s.org->root_policy_types)
    out.push_back(json::object{{"Type", t}, {"Status", "ENABLED"}});
  return out;
}

json::object OrganizationDocument(const State& s) {
  const Organization& o = *s.org;
  return json::object{{"Id", o.id},
                      {"Arn", OrganizationArn(o)},
                      {"FeatureSet", o.feature_set},
                      {"MasterAccountArn", AccountArn(o, o.management_account)},
                      {"MasterAccountId", o.management_account},
                      {"MasterAccountEmail", o.management_email},
                      {"AvailablePolicyTypes", PolicyTypes(s)}};
}

PolicyRecord ManagedPolicy(std::string_view id, std::string_view name, std::string_view type,
                           std::string content) {
  PolicyRecord p;
  p.id = std::string(id);
  p.name = std::string(name);
  p.description = "Allows access to every operation";
  p.type = std::string(type);
  p.content = std::move(content);
  p.aws_managed = true;
  auto parsed = iam::ParsePolicy(p.content, *KindOf(type));
  if (parsed.ok()) p.compiled = std::make_shared<const iam::Policy>(std::move(parsed).value());
  return p;
}

// The tags of a taggable resource id, or TargetNotFoundException.
Result<Tags*> TagsOf(State& s, const std::string& id) {
  if (s.IsRoot(id)) return &s.org->root_tags;
  if (IsAccountId(id)) {
    auto it = s.accounts.find(id);
    if (it != s.accounts.end() && !it->second.parent.empty()) return &it->second.tags;
  } else if (IsUnitId(id)) {
    if (auto it = s.units.find(id); it != s.units.end()) return &it->second.tags;
  } else if (IsPolicyId(id)) {
    // AWS-managed policies belong to AWS, not to the organization: they take no tags.
    if (auto it = s.policies.find(id); it != s.policies.end() && !it->second.aws_managed)
      return &it->second.tags;
  }
  return services::MakeError(errors::kTargetNotFound);
}

bool TaggableId(std::string_view id) {
  return IsRootId(id) || IsAccountId(id) || IsUnitId(id) || IsPolicyId(id);
}

}  // namespace

json::object RootDocument(const State& s) {
  return json::object{
      {"Id", s.org->root_id}, {"Arn", RootArn(*s.org)}, {"Name", "Root"}, {"PolicyTypes", PolicyTypes(s)}};
}

json::object AccountDocument(const Organization& org, const Account& a) {
  return json::object{{"Id", a.id},
                      {"Arn", AccountArn(org, a.id)},
                      {"Email", a.email},
                      {"Name", a.name},
                      {"Status", a.status},
                      {"JoinedMethod", a.joined_method},
                      {"JoinedTimestamp", a.joined_ms}};
}

void AttachDefaults(State& s, const std::string& target) {
  if (s.PolicyTypeEnabled(kScp)) s.policies[std::string(kFullAwsAccessId)].targets.insert(target);
  if (s.PolicyTypeEnabled(kRcp)) s.policies[std::string(kRcpFullAwsAccessId)].targets.insert(target);
}

void DetachAll(State& s, const std::string& target) {
  for (auto& [id, p] : s.policies) p.targets.erase(target);
}

Result<OperationOutput> CreateOrganization(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  std::string feature_set = GetString(params, "FeatureSet").value_or("ALL");
  if (feature_set != "ALL" && feature_set != "CONSOLIDATED_BILLING")
    return InvalidInput("INVALID_ENUM", "You specified an invalid value for FeatureSet.");
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    const std::string& caller = ctx.account_id();
    if (s.org) {
      if (caller == s.org->management_account || s.FindMember(caller) != nullptr)
        return services::MakeError(errors::kAlreadyInOrganization);
    }
    // One organization per data directory, created by its root account (an account Organizations created
    // and later removed is standalone, but cannot found a second organization here).
    if (s.org || caller != env.options.account_id) return services::MakeError(errors::kAccessDenied);
    Organization o;
    o.id = "o-" + RandomLowerAlnum(10);
    o.feature_set = feature_set;
    o.management_account = caller;
    o.management_email = "account-" + caller + "@cenote.invalid";
    o.root_id = "r-" + RandomLowerAlnum(4);
    o.created_ms = env.Now();
    // New account ids count up from a random base (never 000000000000; existing ids are skipped).
    std::uint64_t base = 0;
    FillRandom(&base, sizeof(base));
    o.next_account_number = 100'000'000'000ULL + base % 800'000'000'000ULL;
    s.org = std::move(o);
    // The management account keeps its standalone record's tags if it had one; it joined at creation.
    Account& mgmt = s.accounts[caller];
    mgmt.id = caller;
    if (mgmt.name.empty()) mgmt.name = "Management account";
    mgmt.email = s.org->management_email;
    mgmt.parent = s.org->root_id;
    mgmt.status = "ACTIVE";
    mgmt.joined_method = "INVITED";
    mgmt.joined_ms = s.org->created_ms;
    if (feature_set == "ALL") {
      s.policies[std::string(kFullAwsAccessId)] = ManagedPolicy(
          kFullAwsAccessId, "FullAWSAccess", kScp,
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})");
      s.policies[std::string(kRcpFullAwsAccessId)] = ManagedPolicy(
          kRcpFullAwsAccessId, "RCPFullAWSAccess", kRcp,
          R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]})");
    }
    out = json::object{{"Organization", OrganizationDocument(s)}};
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> DescribeOrganization(Env& env, const RequestContext& ctx, OperationInput&) {
  std::shared_ptr<const State> s = env.Current()->state;
  // Any account of the organization may describe it.
  if (!s->org ||
      (ctx.account_id() != s->org->management_account && s->FindMember(ctx.account_id()) == nullptr))
    return services::MakeError(errors::kNotInUse);
  return json::object{{"Organization", OrganizationDocument(*s)}};
}

Result<OperationOutput> DeleteOrganization(Env& env, const RequestContext& ctx, OperationInput&) {
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    const std::string mgmt = s.org->management_account;
    for (const auto& [id, a] : s.accounts)
      if (!a.parent.empty() && id != mgmt) return services::MakeError(errors::kOrganizationNotEmpty);
    for (const auto& [id, r] : s.requests)
      if (r.state == "IN_PROGRESS") return services::MakeError(errors::kOrganizationNotEmpty);
    // The organization goes with its root, OUs, policies and create-account history; the management account
    // stays the data directory's account, and accounts removed earlier stay standalone.
    s.accounts.erase(mgmt);
    s.units.clear();
    s.policies.clear();
    s.requests.clear();
    s.org.reset();
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> ListRoots(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  std::vector<std::pair<std::string, json::value>> items{{s->org->root_id, RootDocument(*s)}};
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(in.params.as_object(), items, "Roots"));
  return out;
}

namespace {

Result<std::string> ReadPolicyType(const json::object& params, std::string_view member) {
  std::string type = GetString(params, member).value_or("");
  if (type.empty())
    return InvalidInput("INPUT_REQUIRED", "You must specify a value for " + std::string(member) + ".");
  return type;
}

// SCPs and RCPs are what Cenote enforces; the other types' documents have grammars of their own that it
// does not check, so enabling them is refused rather than accepted unchecked.
Status RequireSupportedType(const State& s, std::string_view type) {
  if (!KindOf(type)) {
    if (type == "TAG_POLICY" || type == "BACKUP_POLICY" || type == "AISERVICES_OPT_OUT_POLICY" ||
        type == "CHATBOT_POLICY" || type == "DECLARATIVE_POLICY_EC2")
      return services::MakeError(errors::kPolicyTypeNotAvailable);
    return InvalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type string.");
  }
  if (s.org->feature_set != "ALL") return services::MakeError(errors::kPolicyTypeNotAvailable);
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> EnablePolicyType(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string root, RequireId(params, "RootId", IsRootId));
  CENOTE_ASSIGN_OR_RETURN(std::string type, ReadPolicyType(params, "PolicyType"));
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    if (!s.IsRoot(root)) return services::MakeError(errors::kRootNotFound);
    CENOTE_RETURN_IF_ERROR(RequireSupportedType(s, type));
    if (s.PolicyTypeEnabled(type)) return services::MakeError(errors::kPolicyTypeAlreadyEnabled);
    s.org->root_policy_types.push_back(type);
    // Every entity starts with only the default policy of the type attached (re-enabling too: attachments
    // made before DisablePolicyType are gone).
    AttachDefaults(s, root);
    for (const auto& [id, u] : s.units) AttachDefaults(s, id);
    for (const auto& [id, a] : s.accounts)
      if (!a.parent.empty()) AttachDefaults(s, id);
    out = json::object{{"Root", RootDocument(s)}};
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> DisablePolicyType(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string root, RequireId(params, "RootId", IsRootId));
  CENOTE_ASSIGN_OR_RETURN(std::string type, ReadPolicyType(params, "PolicyType"));
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    if (!s.IsRoot(root)) return services::MakeError(errors::kRootNotFound);
    if (!s.PolicyTypeEnabled(type)) return services::MakeError(errors::kPolicyTypeNotEnabled);
    std::erase(s.org->root_policy_types, type);
    // Policies of the type are detached from every entity, not deleted.
    for (auto& [id, p] : s.policies)
      if (p.type == type) p.targets.clear();
    out = json::object{{"Root", RootDocument(s)}};
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(params, "ResourceId", TaggableId));
  CENOTE_ASSIGN_OR_RETURN(Tags tags, ReadTags(params, "Tags"));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    CENOTE_ASSIGN_OR_RETURN(Tags * existing, TagsOf(s, id));
    Tags merged = *existing;
    for (const auto& [k, v] : tags) merged[k] = v;
    CENOTE_RETURN_IF_ERROR(CheckTagCount(merged.size()));
    *existing = std::move(merged);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(params, "ResourceId", TaggableId));
  std::vector<std::string> keys;
  if (const json::array* list = GetArray(params, "TagKeys"))
    for (const auto& v : *list)
      if (v.is_string()) keys.emplace_back(v.get_string());
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    CENOTE_ASSIGN_OR_RETURN(Tags * existing, TagsOf(s, id));
    for (const auto& k : keys) existing->erase(k);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(params, "ResourceId", TaggableId));
  CENOTE_ASSIGN_OR_RETURN(auto current, env.ForManagement(ctx));
  State copy = *current;  // TagsOf hands out a mutable pointer; a copy keeps the snapshot untouched
  CENOTE_ASSIGN_OR_RETURN(Tags * tags, TagsOf(copy, id));
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& [k, v] : *tags) items.emplace_back(k, json::object{{"Key", k}, {"Value", v}});
  // ListTagsForResource pages without MaxResults.
  json::object page_in;
  if (auto token = GetString(params, "NextToken")) page_in["NextToken"] = *token;
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(page_in, items, "Tags"));
  return out;
}

}  // namespace cenote::organizations
