// Policies: CreatePolicy, DescribePolicy, UpdatePolicy, DeletePolicy, ListPolicies, AttachPolicy,
// DetachPolicy, ListPoliciesForTarget, ListTargetsForPolicy. SCP and RCP documents are parsed by the IAM
// policy library (iam::ParsePolicy with PolicyKind::kScp / kRcp) and held compiled for the authorizer.
#include "services/organizations/internal.hpp"

namespace cenote::organizations {

namespace {

bool TargetId(std::string_view v) { return IsRootId(v) || IsUnitId(v) || IsAccountId(v); }

json::object Summary(const Organization& org, const PolicyRecord& p) {
  return json::object{{"Id", p.id},     {"Arn", PolicyArn(org, p)},
                      {"Name", p.name}, {"Description", p.description},
                      {"Type", p.type}, {"AwsManaged", p.aws_managed}};
}

json::object PolicyDocument(const Organization& org, const PolicyRecord& p) {
  return json::object{{"Policy", json::object{{"PolicySummary", Summary(org, p)}, {"Content", p.content}}}};
}

// The compiled document, or Organizations' errors: over the size quota (whitespace not counted, as IAM
// counts), or not a valid policy of its type.
Result<std::shared_ptr<const iam::Policy>> Compile(std::string_view content, std::string_view type) {
  if (content.empty()) return InvalidInput("INPUT_REQUIRED", "You must specify a value for Content.");
  iam::PolicyQuota quota = iam::PolicyQuota::kScp;  // RCPs share the SCP quota (5,120 characters)
  if (!iam::CheckPolicySize(iam::PolicySizeWithoutWhitespace(content), quota).ok())
    return ConstraintViolation("POLICY_CONTENT_LIMIT_EXCEEDED",
                               "You attempted to create a policy that is larger than the maximum size.");
  auto parsed = iam::ParsePolicy(content, *KindOf(type));
  if (!parsed.ok()) return services::MakeError(errors::kMalformedPolicyDocument, {parsed.error().message});
  return std::make_shared<const iam::Policy>(std::move(parsed).value());
}

Result<std::string> ReadType(const json::object& params, std::string_view member) {
  std::string type = GetString(params, member).value_or("");
  if (type.empty())
    return InvalidInput("INPUT_REQUIRED", "You must specify a value for " + std::string(member) + ".");
  static constexpr std::string_view kTypes[] = {
      "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY",   "TAG_POLICY",
      "BACKUP_POLICY",          "AISERVICES_OPT_OUT_POLICY", "CHATBOT_POLICY",
      "DECLARATIVE_POLICY_EC2"};
  for (std::string_view t : kTypes)
    if (t == type) return type;
  return InvalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type string.");
}

Result<std::string> ReadText(const json::object& params, std::string_view member, std::size_t max,
                             bool required) {
  auto v = GetString(params, member);
  if (!v) {
    if (required)
      return InvalidInput("INPUT_REQUIRED", "You must specify a value for " + std::string(member) + ".");
    return std::string();
  }
  if (v->empty() && member == "Name")
    return InvalidInput("MIN_LENGTH_EXCEEDED", "Name must be at least 1 character long.");
  if (v->size() > max)
    return InvalidInput("MAX_LENGTH_EXCEEDED",
                        std::string(member) + " can be at most " + std::to_string(max) + " characters long.");
  return *v;
}

bool NameTaken(const State& s, const std::string& type, const std::string& name, const std::string& except) {
  for (const auto& [id, p] : s.policies)
    if (p.type == type && p.name == name && id != except) return true;
  return false;
}

// A root, OU or account of the organization.
bool TargetExists(const State& s, const std::string& id) {
  return s.IsRoot(id) || s.units.count(id) || s.FindMember(id) != nullptr;
}

json::object TargetSummary(const State& s, const std::string& id) {
  const Organization& org = *s.org;
  if (s.IsRoot(id))
    return json::object{{"TargetId", id}, {"Arn", RootArn(org)}, {"Name", "Root"}, {"Type", "ROOT"}};
  if (auto it = s.units.find(id); it != s.units.end())
    return json::object{{"TargetId", id},
                        {"Arn", UnitArn(org, id)},
                        {"Name", it->second.name},
                        {"Type", "ORGANIZATIONAL_UNIT"}};
  const Account* a = s.FindMember(id);
  return json::object{
      {"TargetId", id}, {"Arn", AccountArn(org, id)}, {"Name", a ? a->name : ""}, {"Type", "ACCOUNT"}};
}

}  // namespace

Result<OperationOutput> CreatePolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string type, ReadType(params, "Type"));
  CENOTE_ASSIGN_OR_RETURN(std::string name, ReadText(params, "Name", 128, true));
  CENOTE_ASSIGN_OR_RETURN(std::string description, ReadText(params, "Description", 512, true));
  std::string content = GetString(params, "Content").value_or("");
  CENOTE_ASSIGN_OR_RETURN(Tags tags, ReadTags(params, "Tags"));
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    if (!KindOf(type) || s.org->feature_set != "ALL")
      return services::MakeError(errors::kPolicyTypeNotAvailable);
    CENOTE_ASSIGN_OR_RETURN(auto compiled, Compile(content, type));
    if (NameTaken(s, type, name, "")) return services::MakeError(errors::kDuplicatePolicy);
    std::size_t count = 0;
    for (const auto& [id, p] : s.policies) count += p.type == type && !p.aws_managed ? 1 : 0;
    if (count >= kMaxPolicies)
      return ConstraintViolation("POLICY_NUMBER_LIMIT_EXCEEDED",
                                 "You attempted to exceed the number of policies that you can have in an "
                                 "organization.");
    PolicyRecord p;
    do {
      p.id = "p-" + RandomLowerAlnum(8);
    } while (s.policies.count(p.id));
    p.name = name;
    p.description = description;
    p.type = type;
    p.content = content;
    p.tags = tags;
    p.compiled = std::move(compiled);
    out = PolicyDocument(*s.org, p);
    s.policies[p.id] = std::move(p);
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> DescribePolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(
      std::string id, RequireId(in.params.as_object(), "PolicyId", IsPolicyId, "INVALID_SYNTAX_POLICY_ID"));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  auto it = s->policies.find(id);
  if (it == s->policies.end()) return services::MakeError(errors::kPolicyNotFound);
  return PolicyDocument(*s->org, it->second);
}

Result<OperationOutput> UpdatePolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id,
                          RequireId(params, "PolicyId", IsPolicyId, "INVALID_SYNTAX_POLICY_ID"));
  CENOTE_ASSIGN_OR_RETURN(std::string name, ReadText(params, "Name", 128, false));
  auto description = GetString(params, "Description");
  if (description && description->size() > 512)
    return InvalidInput("MAX_LENGTH_EXCEEDED", "Description can be at most 512 characters long.");
  auto content = GetString(params, "Content");
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.policies.find(id);
    if (it == s.policies.end()) return services::MakeError(errors::kPolicyNotFound);
    PolicyRecord& p = it->second;
    if (p.aws_managed)
      return InvalidInput("IMMUTABLE_POLICY",
                          "You specified a policy that is managed by AWS and can't be modified.");
    if (content) {
      CENOTE_ASSIGN_OR_RETURN(p.compiled, Compile(*content, p.type));
      p.content = *content;
    }
    if (!name.empty()) {
      if (NameTaken(s, p.type, name, id)) return services::MakeError(errors::kDuplicatePolicy);
      p.name = name;
    }
    if (description) p.description = *description;
    out = PolicyDocument(*s.org, p);
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> DeletePolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(
      std::string id, RequireId(in.params.as_object(), "PolicyId", IsPolicyId, "INVALID_SYNTAX_POLICY_ID"));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.policies.find(id);
    if (it == s.policies.end()) return services::MakeError(errors::kPolicyNotFound);
    if (it->second.aws_managed)
      return InvalidInput("IMMUTABLE_POLICY",
                          "You specified a policy that is managed by AWS and can't be modified.");
    if (!it->second.targets.empty()) return services::MakeError(errors::kPolicyInUse);
    s.policies.erase(it);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> ListPolicies(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string type, ReadType(params, "Filter"));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& [id, p] : s->policies)
    if (p.type == type) items.emplace_back(id, Summary(*s->org, p));
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "Policies"));
  return out;
}

Result<OperationOutput> AttachPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id,
                          RequireId(params, "PolicyId", IsPolicyId, "INVALID_SYNTAX_POLICY_ID"));
  CENOTE_ASSIGN_OR_RETURN(std::string target,
                          RequireId(params, "TargetId", TargetId, "INVALID_PATTERN_TARGET_ID"));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.policies.find(id);
    if (it == s.policies.end()) return services::MakeError(errors::kPolicyNotFound);
    if (!TargetExists(s, target)) return services::MakeError(errors::kTargetNotFound);
    PolicyRecord& p = it->second;
    if (!s.PolicyTypeEnabled(p.type)) return services::MakeError(errors::kPolicyTypeNotEnabled);
    if (p.targets.count(target)) return services::MakeError(errors::kDuplicatePolicyAttachment);
    if (s.AttachedTo(target, p.type).size() >= kMaxAttachments)
      return ConstraintViolation(
          "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
          "You attempted to exceed the number of policies of a certain type that can be "
          "attached to an entity at one time.");
    p.targets.insert(target);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> DetachPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id,
                          RequireId(params, "PolicyId", IsPolicyId, "INVALID_SYNTAX_POLICY_ID"));
  CENOTE_ASSIGN_OR_RETURN(std::string target,
                          RequireId(params, "TargetId", TargetId, "INVALID_PATTERN_TARGET_ID"));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.policies.find(id);
    if (it == s.policies.end()) return services::MakeError(errors::kPolicyNotFound);
    if (!TargetExists(s, target)) return services::MakeError(errors::kTargetNotFound);
    PolicyRecord& p = it->second;
    if (!s.PolicyTypeEnabled(p.type)) return services::MakeError(errors::kPolicyTypeNotEnabled);
    if (!p.targets.count(target)) return services::MakeError(errors::kPolicyNotAttached);
    // Every root, OU and account keeps at least one SCP (and one RCP) while the type is enabled.
    if (s.AttachedTo(target, p.type).size() <= 1)
      return ConstraintViolation(
          "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
          "You attempted to detach a policy from an entity that would cause the entity "
          "to have fewer than the minimum number of policies of a certain type "
          "required.");
    p.targets.erase(target);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> ListPoliciesForTarget(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string target,
                          RequireId(params, "TargetId", TargetId, "INVALID_PATTERN_TARGET_ID"));
  CENOTE_ASSIGN_OR_RETURN(std::string type, ReadType(params, "Filter"));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  if (!TargetExists(*s, target)) return services::MakeError(errors::kTargetNotFound);
  std::vector<std::pair<std::string, json::value>> items;
  for (const PolicyRecord* p : s->AttachedTo(target, type)) items.emplace_back(p->id, Summary(*s->org, *p));
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "Policies"));
  return out;
}

Result<OperationOutput> ListTargetsForPolicy(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id,
                          RequireId(params, "PolicyId", IsPolicyId, "INVALID_SYNTAX_POLICY_ID"));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  auto it = s->policies.find(id);
  if (it == s->policies.end()) return services::MakeError(errors::kPolicyNotFound);
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& target : it->second.targets) items.emplace_back(target, TargetSummary(*s, target));
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "Targets"));
  return out;
}

}  // namespace cenote::organizations
