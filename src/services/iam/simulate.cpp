// The policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) and the context-key listings, answered
// by iam::Evaluate: the evaluator the authorize stage runs on every request.
#include <algorithm>
#include <set>

#include "common/strings.hpp"
#include "iam/evaluate.hpp"
#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

// One policy taking part in a simulation, with the id and type IAM reports in MatchedStatements.
struct SimPolicy {
  std::string id;  // "PolicyInputList.1", an inline policy's name, a managed policy's name, "ResourcePolicy"
  std::string type;  // "IAM Policy", "user", "group", "role", "aws-managed", "user-managed", "resource"
  std::shared_ptr<const Policy> policy;
};

struct Simulation {
  std::vector<SimPolicy> identity;
  std::vector<SimPolicy> boundary;
  std::optional<SimPolicy> resource;
  RequestPrincipal principal;
  std::string user_id;
};

Status AddInputs(Env& env, const json::object& p, std::string_view member, PolicyKind kind,
                 std::vector<SimPolicy>& out) {
  if (const auto* arr = GetArray(p, member)) {
    int n = 0;
    for (const auto& v : *arr) {
      ++n;
      if (!v.is_string()) continue;
      CENOTE_ASSIGN_OR_RETURN(auto policy, env.cache.Get(v.as_string(), kind));
      out.push_back({std::string(member) + "." + std::to_string(n), "IAM Policy", policy});
    }
  }
  return Status::Ok();
}

// The policies of the entity `arn` names (user with its groups, group, role), compiled.
Status AddEntityPolicies(Env& env, AccountState& a, const std::string& account, std::string_view arn,
                         Simulation& sim) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  const std::string prefix = "arn:aws:iam::" + account + ":";
  if (arn.substr(0, prefix.size()) != prefix)
    return services::MakeError(errors::kInvalidInput, {"Invalid ARN: " + std::string(arn)});
  std::string_view resource = arn.substr(prefix.size());
  std::string_view type = resource.substr(0, resource.find('/'));
  std::string_view name = resource.substr(resource.rfind('/') + 1);
  auto add_inline = [&](const std::vector<InlinePolicy>& v, const char* kind) -> Status {
    for (const auto& ip : v) {
      CENOTE_ASSIGN_OR_RETURN(auto policy, env.cache.Get(ip.document, PolicyKind::kIdentity));
      sim.identity.push_back({ip.name, kind, policy});
    }
    return Status::Ok();
  };
  auto add_attached = [&](const std::vector<std::string>& arns) -> Status {
    for (const auto& parn : arns) {
      const PolicyEntity* pe = FindManagedPolicy(a, account, parn);
      const PolicyVersion* v = pe == nullptr ? nullptr : pe->Default();
      if (v == nullptr) continue;
      CENOTE_ASSIGN_OR_RETURN(auto policy, env.cache.Get(v->document, PolicyKind::kIdentity));
      sim.identity.push_back({pe->name, pe->aws_managed() ? "aws-managed" : "user-managed", policy});
    }
    return Status::Ok();
  };
  auto add_boundary = [&](const std::string& barn) -> Status {
    if (barn.empty()) return Status::Ok();
    const PolicyEntity* pe = FindManagedPolicy(a, account, barn);
    const PolicyVersion* v = pe == nullptr ? nullptr : pe->Default();
    if (v == nullptr) return Status::Ok();
    CENOTE_ASSIGN_OR_RETURN(auto policy, env.cache.Get(v->document, PolicyKind::kBoundary));
    sim.boundary.push_back({pe->name, pe->aws_managed() ? "aws-managed" : "user-managed", policy});
    return Status::Ok();
  };
  sim.principal.account_id = account;
  sim.principal.arn = std::string(arn);
  if (type == "user") {
    CENOTE_ASSIGN_OR_RETURN(User * u, FindUser(a, name));
    sim.principal.type = PrincipalType::kUser;
    sim.principal.arn = UserArn(account, *u);
    sim.user_id = u->id;
    CENOTE_RETURN_IF_ERROR(add_inline(u->policies, "user"));
    CENOTE_RETURN_IF_ERROR(add_attached(u->attached));
    for (const auto& g : u->groups)
      if (auto it = a.groups.find(g); it != a.groups.end()) {
        CENOTE_RETURN_IF_ERROR(add_inline(it->second.policies, "group"));
        CENOTE_RETURN_IF_ERROR(add_attached(it->second.attached));
      }
    return add_boundary(u->boundary);
  }
  if (type == "group") {
    CENOTE_ASSIGN_OR_RETURN(Group * g, FindGroup(a, name));
    sim.principal.type = PrincipalType::kUser;
    CENOTE_RETURN_IF_ERROR(add_inline(g->policies, "group"));
    return add_attached(g->attached);
  }
  if (type == "role") {
    CENOTE_ASSIGN_OR_RETURN(Role * r, FindRole(a, name));
    sim.principal.type = PrincipalType::kAssumedRole;
    sim.principal.arn = RoleArn(account, *r);
    sim.principal.entity_arn = sim.principal.arn;
    sim.user_id = r->id;
    CENOTE_RETURN_IF_ERROR(add_inline(r->policies, "role"));
    CENOTE_RETURN_IF_ERROR(add_attached(r->attached));
    return add_boundary(r->boundary);
  }
  return services::MakeError(errors::kInvalidInput, {"Invalid ARN: " + std::string(arn)});
}

// Whether a statement is about `action` (Action / NotAction), for MissingContextValues.
bool CoversAction(const Statement& s, std::string_view action) {
  bool any =
      std::any_of(s.actions.begin(), s.actions.end(), [&](const Pattern& p) { return p.Match(action); });
  return s.not_action ? !any : any;
}

void MissingKeys(const Policy& policy, std::string_view action, const ContextKeys& keys,
                 std::set<std::string>& out) {
  for (const auto& s : policy.statements())
    if (CoversAction(s, action))
      for (const auto& c : s.conditions)
        if (keys.FindLower(c.key()) == nullptr) out.insert(c.key());
}

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allowed";
    case Decision::kExplicitDeny:
      return "explicitDeny";
    case Decision::kImplicitDeny:
      break;
  }
  return "implicitDeny";
}

Result<OperationOutput> Simulate(const json::object& p, Simulation& sim) {
  ContextKeys base;
  if (auto caller = GetString(p, "CallerArn")) sim.principal.arn = *caller;
  AddPrincipalContextKeys(sim.principal, sim.user_id, base);
  if (const auto* entries = GetArray(p, "ContextEntries"))
    for (const auto& e : *entries) {
      if (!e.is_object()) continue;
      auto name = GetString(e.as_object(), "ContextKeyName");
      if (!name) continue;
      std::vector<std::string> values;
      if (const auto* vs = GetArray(e.as_object(), "ContextKeyValues"))
        for (const auto& v : *vs)
          if (v.is_string()) values.emplace_back(v.as_string());
      base.Set(*name, std::move(values));
    }
  std::string resource_account;
  if (auto owner = GetString(p, "ResourceOwner")) {
    // arn:aws:iam::<account>:root (or a user ARN of the owning account).
    auto parts = SplitString(*owner, ':');
    if (parts.size() >= 5) resource_account = std::string(parts[4]);
  }
  std::vector<std::string> resources;
  if (const auto* arr = GetArray(p, "ResourceArns"))
    for (const auto& v : *arr)
      if (v.is_string()) resources.emplace_back(v.as_string());
  if (resources.empty()) resources.push_back("*");

  PolicySet set;
  for (const auto& sp : sim.identity) set.identity.push_back({sp.id, sp.policy.get()});
  if (!sim.boundary.empty())
    set.boundary = PolicyRef{sim.boundary.front().id, sim.boundary.front().policy.get()};
  if (sim.resource) set.resource = PolicyRef{sim.resource->id, sim.resource->policy.get()};
  // The SimPolicy behind a decision's policy name (PolicyRef names are views of SimPolicy::id).
  auto source_of = [&](std::string_view name) -> const SimPolicy* {
    for (const auto& sp : sim.identity)
      if (sp.id.data() == name.data()) return &sp;
    for (const auto& sp : sim.boundary)
      if (sp.id.data() == name.data()) return &sp;
    if (sim.resource && sim.resource->id.data() == name.data()) return &*sim.resource;
    return nullptr;
  };

  json::array results;
  const json::array* actions = GetArray(p, "ActionNames");
  if (actions != nullptr)
    for (const auto& a : *actions) {
      if (!a.is_string()) continue;
      const std::string action(a.as_string());
      for (const auto& resource : resources) {
        Request req;
        req.action = action;
        req.resource = resource;
        req.resource_account = resource_account;
        req.principal = sim.principal;
        req.context = base;
        EvaluationResult r = Evaluate(req, set);
        json::object o{{"EvalActionName", action},
                       {"EvalResourceName", resource},
                       {"EvalDecision", DecisionName(r.decision)}};
        json::array matched;
        if (r.statement)
          if (const SimPolicy* sp = source_of(r.statement->policy_name))
            matched.push_back(json::object{{"SourcePolicyId", sp->id}, {"SourcePolicyType", sp->type}});
        o["MatchedStatements"] = std::move(matched);
        std::set<std::string> missing;
        for (const auto& sp : sim.identity) MissingKeys(*sp.policy, action, req.context, missing);
        for (const auto& sp : sim.boundary) MissingKeys(*sp.policy, action, req.context, missing);
        if (sim.resource) MissingKeys(*sim.resource->policy, action, req.context, missing);
        json::array missing_json;
        for (const auto& k : missing) missing_json.push_back(json::string(k));
        o["MissingContextValues"] = std::move(missing_json);
        if (set.boundary) {
          bool allowed_by_boundary =
              !(r.decision == Decision::kImplicitDeny && r.missing == PolicyType::kBoundary);
          o["PermissionsBoundaryDecisionDetail"] =
              json::object{{"AllowedByPermissionsBoundary", allowed_by_boundary}};
        }
        results.push_back(std::move(o));
      }
    }
  return json::object{{"EvaluationResults", std::move(results)}, {"IsTruncated", false}};
}

Status AddResourcePolicy(Env& env, const json::object& p, Simulation& sim) {
  if (auto text = GetString(p, "ResourcePolicy")) {
    CENOTE_ASSIGN_OR_RETURN(auto policy, env.cache.Get(*text, PolicyKind::kResource));
    sim.resource = SimPolicy{"ResourcePolicy", "resource", policy};
  }
  return Status::Ok();
}

json::object ContextKeyNames(const std::vector<SimPolicy>& policies) {
  std::set<std::string> keys;
  for (const auto& sp : policies)
    for (const auto& s : sp.policy->statements())
      for (const auto& c : s.conditions) keys.insert(c.key());
  json::array out;
  for (const auto& k : keys) out.push_back(json::string(k));
  return json::object{{"ContextKeyNames", std::move(out)}};
}

}  // namespace

IAM_HANDLER(SimulatePrincipalPolicy) {
  const json::object& p = in.params.as_object();
  Simulation sim;
  CENOTE_RETURN_IF_ERROR(AddInputs(env, p, "PolicyInputList", PolicyKind::kIdentity, sim.identity));
  CENOTE_RETURN_IF_ERROR(
      AddInputs(env, p, "PermissionsBoundaryPolicyInputList", PolicyKind::kBoundary, sim.boundary));
  CENOTE_RETURN_IF_ERROR(AddResourcePolicy(env, p, sim));
  {
    IAM_ACCOUNT(env, ctx);
    CENOTE_RETURN_IF_ERROR(
        AddEntityPolicies(env, a, account, GetString(p, "PolicySourceArn").value_or(""), sim));
  }
  return Simulate(p, sim);
}

IAM_HANDLER(SimulateCustomPolicy) {
  const json::object& p = in.params.as_object();
  Simulation sim;
  CENOTE_RETURN_IF_ERROR(AddInputs(env, p, "PolicyInputList", PolicyKind::kIdentity, sim.identity));
  CENOTE_RETURN_IF_ERROR(
      AddInputs(env, p, "PermissionsBoundaryPolicyInputList", PolicyKind::kBoundary, sim.boundary));
  CENOTE_RETURN_IF_ERROR(AddResourcePolicy(env, p, sim));
  // The simulated caller: CallerArn (below), else the caller of this request as an IAM user of its account.
  sim.principal.type = PrincipalType::kUser;
  sim.principal.account_id = ctx.account_id();
  sim.principal.arn = ctx.principal.arn;
  return Simulate(p, sim);
}

IAM_HANDLER(GetContextKeysForPrincipalPolicy) {
  const json::object& p = in.params.as_object();
  Simulation sim;
  CENOTE_RETURN_IF_ERROR(AddInputs(env, p, "PolicyInputList", PolicyKind::kIdentity, sim.identity));
  {
    IAM_ACCOUNT(env, ctx);
    CENOTE_RETURN_IF_ERROR(
        AddEntityPolicies(env, a, account, GetString(p, "PolicySourceArn").value_or(""), sim));
  }
  std::vector<SimPolicy> all = sim.identity;
  all.insert(all.end(), sim.boundary.begin(), sim.boundary.end());
  return ContextKeyNames(all);
}

IAM_HANDLER(GetContextKeysForCustomPolicy) {
  const json::object& p = in.params.as_object();
  Simulation sim;
  CENOTE_RETURN_IF_ERROR(AddInputs(env, p, "PolicyInputList", PolicyKind::kIdentity, sim.identity));
  return ContextKeyNames(sim.identity);
}

}  // namespace cenote::iam
