// Event buses: Create/Delete/Describe/Update/ListEventBuses, bus policies (PutPermission,
// RemovePermission), tags of buses and rules.
#include "common/strings.hpp"
#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

constexpr std::size_t kMaxPolicyBytes = 10'240;

json::object BusDocument(const Bus& b) {
  json::object o{{"Name", b.name}, {"Arn", b.arn}};
  if (!b.description.empty()) o["Description"] = b.description;
  if (!b.policy_text.empty()) o["Policy"] = b.policy_text;
  o["CreationTime"] = b.created_ms;
  o["LastModifiedTime"] = b.modified_ms;
  return o;
}

Status SetPolicy(Env& env, Bus& b, const std::string& text) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  if (text.size() > kMaxPolicyBytes) return MakeError(errors::kPolicyLengthExceeded);
  std::shared_ptr<const iam::Policy> compiled;
  if (!text.empty()) {
    auto parsed = iam::ParsePolicy(text, iam::PolicyKind::kResource);
    if (!parsed) return MakeError(errors::kValidation, {parsed.error().message});
    compiled = std::make_shared<const iam::Policy>(std::move(parsed).value());
  }
  Bus updated = b;
  updated.policy_text = text;
  updated.policy = compiled;
  updated.modified_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveBus(updated));
  b = std::move(updated);
  return Status::Ok();
}

// The tags of the bus or rule an ARN names.
Result<std::map<std::string, std::string>*> TagsOf(Env& env, const RequestContext& ctx,
                                                   const std::string& arn, Bus** bus, Rule** rule)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  const std::string resource = ArnResource(arn);
  const Where w{ArnAccount(arn), ArnRegion(arn)};
  if (ArnService(arn) != "events" || w.account != ctx.account_id() || w.region != ctx.region) {
    return MakeError(errors::kResourceNotFound, {"Resource " + arn + " does not exist."});
  }
  if (resource.starts_with("event-bus/")) {
    if (Bus* b = env.FindBus(w, resource.substr(10))) {
      *bus = b;
      return &b->tags;
    }
    return MakeError(errors::kBusNotFound, {resource.substr(10)});
  }
  if (resource.starts_with("rule/")) {
    std::string rest = resource.substr(5);
    std::string bus_name(kDefaultBus), name = rest;
    if (auto slash = rest.find('/'); slash != std::string::npos) {
      bus_name = rest.substr(0, slash);
      name = rest.substr(slash + 1);
    }
    if (Rule* r = env.FindRule(w, bus_name, name)) {
      *rule = r;
      return &r->tags;
    }
    return MakeError(errors::kRuleNotFound, {name, bus_name});
  }
  return MakeError(errors::kResourceNotFound, {"Resource " + arn + " does not exist."});
}

Status SaveTagged(Env& env, Bus* bus, Rule* rule) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  return bus != nullptr ? env.SaveBus(*bus) : env.SaveRule(*rule);
}

}  // namespace

Result<OperationOutput> CreateEventBus(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "Name").value_or("");
  if (GetString(p, "EventSourceName")) {
    return MakeError(errors::kValidation, {"Partner event sources are not supported."});
  }
  if (name.find('/') != std::string::npos) {
    return MakeError(errors::kValidation, {"Event bus name must not contain '/'."});
  }
  const Where w{ctx.account_id(), ctx.region};
  MutexLock lock(env.mu);
  if (env.FindBus(w, name) != nullptr) return MakeError(errors::kBusExists, {name});
  Bus b;
  b.where = w;
  b.name = name;
  b.arn = BusArn(w, name);
  b.description = GetString(p, "Description").value_or("");
  b.created_ms = b.modified_ms = env.Now();
  if (const json::array* tags = GetArray(p, "Tags")) {
    for (const auto& t : *tags) {
      if (!t.is_object()) continue;
      b.tags[GetString(t.as_object(), "Key").value_or("")] = GetString(t.as_object(), "Value").value_or("");
    }
  }
  CENOTE_RETURN_IF_ERROR(env.SaveBus(b));
  json::object out{{"EventBusArn", b.arn}};
  if (!b.description.empty()) out["Description"] = b.description;
  env.buses.emplace(std::make_pair(w, name), std::move(b));
  return out;
}

Result<OperationOutput> DeleteEventBus(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string name = GetString(in.params.as_object(), "Name").value_or("");
  if (name == kDefaultBus) return MakeError(errors::kValidation, {"Cannot delete event bus default."});
  const Where w{ctx.account_id(), ctx.region};
  MutexLock lock(env.mu);
  if (env.buses.find({w, name}) == env.buses.end()) return json::object{};  // idempotent, as on AWS
  // The bus's rules go with it.
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM events_buses WHERE account = ? AND region = ? AND name = ?",
                                   {w.account, w.region, name}));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("DELETE FROM events_rules WHERE account = ? AND region = ? AND name LIKE ?",
                {w.account, w.region, name + "/%"}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.buses.erase({w, name});
  for (auto it = env.rules.begin(); it != env.rules.end();) {
    if (std::get<0>(it->first) == w && std::get<1>(it->first) == name) {
      it->second.schedule.clear();
      env.ArmTimer(it->second, 0);
      it = env.rules.erase(it);
    } else {
      ++it;
    }
  }
  return json::object{};
}

Result<OperationOutput> DescribeEventBus(Env& env, const RequestContext& ctx, OperationInput& in) {
  auto [w, name] = ResolveBusName(ctx, GetString(in.params.as_object(), "Name").value_or(""));
  MutexLock lock(env.mu);
  Bus* b = env.FindBus(w, name);
  if (b == nullptr) return MakeError(errors::kBusNotFound, {name});
  return BusDocument(*b);
}

Result<OperationOutput> UpdateEventBus(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, name] = ResolveBusName(ctx, GetString(p, "Name").value_or(""));
  MutexLock lock(env.mu);
  Bus* b = env.FindBus(w, name);
  if (b == nullptr) return MakeError(errors::kBusNotFound, {name});
  Bus updated = *b;
  if (auto d = GetString(p, "Description")) updated.description = *d;
  updated.modified_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.SaveBus(updated));
  *b = std::move(updated);
  json::object out{{"Arn", b->arn}, {"Name", b->name}};
  if (!b->description.empty()) out["Description"] = b->description;
  return out;
}

Result<OperationOutput> ListEventBuses(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string prefix = GetString(p, "NamePrefix").value_or("");
  const Where w{ctx.account_id(), ctx.region};
  json::array all;
  {
    MutexLock lock(env.mu);
    env.FindBus(w, std::string(kDefaultBus));
    for (const auto& [key, b] : env.buses) {
      if (key.first == w && b.name.starts_with(prefix)) all.push_back(BusDocument(b));
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageRange page, Page(p, all.size()));
  json::array buses(all.begin() + page.begin, all.begin() + page.end);
  json::object out{{"EventBuses", std::move(buses)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

Result<OperationOutput> PutPermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, name] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  MutexLock lock(env.mu);
  Bus* b = env.FindBus(w, name);
  if (b == nullptr) return MakeError(errors::kBusNotFound, {name});
  if (auto policy = GetString(p, "Policy")) {
    CENOTE_RETURN_IF_ERROR(SetPolicy(env, *b, *policy));
    return json::object{};
  }
  const std::string action = GetString(p, "Action").value_or("");
  const std::string principal = GetString(p, "Principal").value_or("");
  const std::string sid = GetString(p, "StatementId").value_or("");
  if (action.empty() || principal.empty() || sid.empty()) {
    return MakeError(
        errors::kValidation,
        {"Parameter(s) Action, Principal and StatementId must be specified when Policy is not."});
  }
  if (action != "events:PutEvents") {
    return MakeError(errors::kValidation, {"Provided value in parameter 'action' is not supported."});
  }
  const bool any = principal == "*";
  if (!any && (principal.size() != 12 || !std::all_of(principal.begin(), principal.end(), IsAsciiDigit))) {
    return MakeError(errors::kValidation, {"Parameter Principal is not valid."});
  }
  json::object statement{{"Sid", sid}, {"Effect", "Allow"}};
  if (any) {
    statement["Principal"] = "*";
  } else {
    statement["Principal"] = json::object{{"AWS", "arn:aws:iam::" + principal + ":root"}};
  }
  statement["Action"] = action;
  statement["Resource"] = b->arn;
  if (const json::object* condition = GetObject(p, "Condition")) {
    statement["Condition"] = json::object{{GetString(*condition, "Type").value_or("StringEquals"),
                                           json::object{{GetString(*condition, "Key").value_or(""),
                                                         GetString(*condition, "Value").value_or("")}}}};
  }
  json::object policy{{"Version", "2012-10-17"}, {"Statement", json::array{}}};
  if (!b->policy_text.empty()) {
    boost::system::error_code ec;
    json::value existing = json::parse(b->policy_text, ec);
    if (!ec && existing.is_object() && existing.as_object().contains("Statement")) {
      policy = existing.as_object();
      if (!policy["Statement"].is_array()) policy["Statement"] = json::array{policy["Statement"]};
    }
  }
  json::array& statements = policy["Statement"].as_array();
  bool replaced = false;
  for (auto& s : statements) {
    if (s.is_object() && GetString(s.as_object(), "Sid") == sid) {
      s = statement;
      replaced = true;
    }
  }
  if (!replaced) statements.push_back(statement);
  CENOTE_RETURN_IF_ERROR(SetPolicy(env, *b, json::serialize(policy)));
  return json::object{};
}

Result<OperationOutput> RemovePermission(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, name] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  MutexLock lock(env.mu);
  Bus* b = env.FindBus(w, name);
  if (b == nullptr) return MakeError(errors::kBusNotFound, {name});
  if (GetBool(p, "RemoveAllPermissions").value_or(false)) {
    CENOTE_RETURN_IF_ERROR(SetPolicy(env, *b, ""));
    return json::object{};
  }
  const std::string sid = GetString(p, "StatementId").value_or("");
  if (b->policy_text.empty()) {
    return MakeError(errors::kResourceNotFound, {"EventBus does not have a policy."});
  }
  boost::system::error_code ec;
  json::value policy = json::parse(b->policy_text, ec);
  if (ec || !policy.is_object() || !policy.as_object().contains("Statement") ||
      !policy.as_object()["Statement"].is_array()) {
    return MakeError(errors::kPolicyNotFound);
  }
  json::array& statements = policy.as_object()["Statement"].as_array();
  json::array kept;
  for (const auto& s : statements) {
    if (!(s.is_object() && GetString(s.as_object(), "Sid") == sid)) kept.push_back(s);
  }
  if (kept.size() == statements.size()) return MakeError(errors::kPolicyNotFound);
  std::string text;
  if (!kept.empty()) {
    statements = std::move(kept);
    text = json::serialize(policy);
  }
  CENOTE_RETURN_IF_ERROR(SetPolicy(env, *b, text));
  return json::object{};
}

Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  Bus* bus = nullptr;
  Rule* rule = nullptr;
  CENOTE_ASSIGN_OR_RETURN(auto* tags,
                          TagsOf(env, ctx, GetString(p, "ResourceARN").value_or(""), &bus, &rule));
  auto before = *tags;
  if (const json::array* list = GetArray(p, "Tags")) {
    for (const auto& t : *list) {
      if (!t.is_object()) continue;
      (*tags)[GetString(t.as_object(), "Key").value_or("")] = GetString(t.as_object(), "Value").value_or("");
    }
  }
  if (tags->size() > 50) {
    *tags = std::move(before);
    return MakeError(errors::kLimitExceeded, {"The requested resource exceeds the maximum number allowed."});
  }
  if (Status st = SaveTagged(env, bus, rule); !st) {
    *tags = std::move(before);
    return std::move(st).error();
  }
  return json::object{};
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  Bus* bus = nullptr;
  Rule* rule = nullptr;
  CENOTE_ASSIGN_OR_RETURN(auto* tags,
                          TagsOf(env, ctx, GetString(p, "ResourceARN").value_or(""), &bus, &rule));
  auto before = *tags;
  if (const json::array* keys = GetArray(p, "TagKeys")) {
    for (const auto& k : *keys) {
      if (k.is_string()) tags->erase(std::string(k.get_string()));
    }
  }
  if (Status st = SaveTagged(env, bus, rule); !st) {
    *tags = std::move(before);
    return std::move(st).error();
  }
  return json::object{};
}

Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  Bus* bus = nullptr;
  Rule* rule = nullptr;
  CENOTE_ASSIGN_OR_RETURN(auto* tags,
                          TagsOf(env, ctx, GetString(p, "ResourceARN").value_or(""), &bus, &rule));
  json::array out;
  for (const auto& [k, v] : *tags) out.push_back(json::object{{"Key", k}, {"Value", v}});
  return json::object{{"Tags", std::move(out)}};
}

}  // namespace cenote::events
