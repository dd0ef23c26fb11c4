// Rules and targets: PutRule, DeleteRule, DescribeRule, Enable/DisableRule, ListRules,
// ListRuleNamesByTarget, PutTargets, RemoveTargets, ListTargetsByRule, TestEventPattern.
#include "services/events/internal.hpp"

namespace cenote::events {

namespace {

json::object RuleDocument(const Rule& r, bool describe) {
  json::object o{{"Name", r.name}, {"Arn", r.arn}};
  if (!r.event_pattern.empty()) o["EventPattern"] = r.event_pattern;
  if (!r.schedule.empty()) o["ScheduleExpression"] = r.schedule;
  o["State"] = r.state;
  if (!r.description.empty()) o["Description"] = r.description;
  if (!r.role_arn.empty()) o["RoleArn"] = r.role_arn;
  if (!r.managed_by.empty()) o["ManagedBy"] = r.managed_by;
  o["EventBusName"] = r.bus;
  if (describe) o["CreatedBy"] = r.created_by;
  return o;
}

// The rule a request names (Name or Rule, in EventBusName), or ResourceNotFoundException.
Result<Rule*> FindNamedRule(Env& env, const RequestContext& ctx, const json::object& p,
                            std::string_view member) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  auto [w, bus] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  const std::string name = GetString(p, member).value_or("");
  if (env.FindBus(w, bus) == nullptr) return MakeError(errors::kBusNotFound, {bus});
  Rule* r = env.FindRule(w, bus, name);
  if (r == nullptr) return MakeError(errors::kRuleNotFound, {name, bus});
  return r;
}

Status SetState(Env& env, Rule& r, std::string state) EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  Rule updated = r;
  updated.state = std::move(state);
  CENOTE_RETURN_IF_ERROR(env.SaveRule(updated));
  r = std::move(updated);
  env.ArmTimer(r, env.Now());
  return Status::Ok();
}

// AWS's PutTargets checks of one target that fail the whole call.
Status CheckTarget(const json::object& t) {
  const std::string arn = GetString(t, "Arn").value_or("");
  const std::string id = GetString(t, "Id").value_or("");
  int inputs = 0;
  for (const char* m : {"Input", "InputPath", "InputTransformer"}) inputs += t.contains(m) ? 1 : 0;
  if (inputs > 1) {
    return MakeError(
        errors::kValidation,
        {"Only one of Input, InputPath, or InputTransformer must be provided for target " + id + "."});
  }
  if (auto input = GetString(t, "Input")) {
    boost::system::error_code ec;
    json::parse(*input, ec);
    if (ec)
      return MakeError(errors::kValidation,
                       {"Valid JSON text must be provided for Input of target " + id + "."});
  }
  if (auto path = GetString(t, "InputPath")) {
    bool valid = false;
    JsonPath(json::value(json::object{}), *path, &valid);
    if (!valid) return MakeError(errors::kValidation, {"InputPath for target " + id + " is invalid."});
  }
  if (const json::object* transformer = GetObject(t, "InputTransformer")) {
    CENOTE_RETURN_IF_ERROR(CheckInputTransformer(*transformer));
  }
  const std::string service = ArnService(arn);
  if (!arn.starts_with("arn:") || service.empty()) {
    return MakeError(errors::kValidation,
                     {"Parameter " + arn + " is not valid. Reason: Provided Arn is not in correct format."});
  }
  // AWS requires a role for the targets it calls as the role.
  if ((service == "kinesis" || service == "firehose" || service == "states" || service == "glue") &&
      !t.contains("RoleArn")) {
    return MakeError(errors::kValidation, {"RoleArn is required for target " + arn + "."});
  }
  if (service == "sqs" && arn.ends_with(".fifo")) {
    const json::object* sqs = GetObject(t, "SqsParameters");
    if (sqs == nullptr || !GetString(*sqs, "MessageGroupId")) {
      return MakeError(errors::kValidation,
                       {"Parameter(s) SqsParameters must be specified for target: " + id + "."});
    }
  }
  if (const json::object* dlq = GetObject(t, "DeadLetterConfig")) {
    const std::string q = GetString(*dlq, "Arn").value_or("");
    if (ArnService(q) != "sqs") {
      return MakeError(errors::kValidation,
                       {"The dead-letter queue for target " + id + " must be an SQS queue ARN."});
    }
  }
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> PutRule(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, bus] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  if (w.account != ctx.account_id()) {
    return MakeError(errors::kValidation,
                     {"Rules can only be created on event buses of the caller's account."});
  }
  const std::string name = GetString(p, "Name").value_or("");
  const std::string pattern_text = GetString(p, "EventPattern").value_or("");
  const std::string schedule = GetString(p, "ScheduleExpression").value_or("");
  if (pattern_text.empty() && schedule.empty()) {
    return MakeError(errors::kValidation,
                     {"Parameter(s) EventPattern or ScheduleExpression must be specified."});
  }
  std::shared_ptr<const services::EventPattern> pattern;
  if (!pattern_text.empty()) {
    CENOTE_ASSIGN_OR_RETURN(
        auto compiled, services::EventPattern::Parse(pattern_text, services::PatternDialect::kEventBridge));
    pattern = std::make_shared<const services::EventPattern>(std::move(compiled));
  }
  if (!schedule.empty()) {
    if (bus != kDefaultBus) {
      return MakeError(errors::kValidation,
                       {"ScheduleExpression is supported only on the default event bus."});
    }
    CENOTE_RETURN_IF_ERROR(CheckSchedule(schedule));
  }
  MutexLock lock(env.mu);
  if (env.FindBus(w, bus) == nullptr) return MakeError(errors::kBusNotFound, {bus});
  Rule* existing = env.FindRule(w, bus, name);
  if (existing != nullptr && !existing->managed_by.empty()) {
    return MakeError(errors::kManagedRule, {name, existing->managed_by});
  }
  Rule r = existing != nullptr ? *existing : Rule{};
  r.where = w;
  r.bus = bus;
  r.name = name;
  r.arn = RuleArn(w, bus, name);
  r.event_pattern = pattern_text;
  r.pattern = pattern;
  r.schedule = schedule;
  r.state = GetString(p, "State").value_or(existing != nullptr ? existing->state : "ENABLED");
  r.description = GetString(p, "Description").value_or("");
  r.role_arn = GetString(p, "RoleArn").value_or("");
  r.created_by = w.account;
  if (existing == nullptr) {
    r.created_ms = env.Now();
    if (const json::array* tags = GetArray(p, "Tags")) {
      for (const auto& t : *tags) {
        if (t.is_object())
          r.tags[GetString(t.as_object(), "Key").value_or("")] =
              GetString(t.as_object(), "Value").value_or("");
      }
    }
  }
  CENOTE_RETURN_IF_ERROR(env.SaveRule(r));
  const std::string arn = r.arn;
  Rule& stored = env.rules[{w, bus, name}] = std::move(r);
  env.ArmTimer(stored, env.Now());
  if (env.wake) env.wake();
  return json::object{{"RuleArn", arn}};
}

Result<OperationOutput> DeleteRule(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, bus] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  const std::string name = GetString(p, "Name").value_or("");
  MutexLock lock(env.mu);
  Rule* r = env.FindRule(w, bus, name);
  if (r == nullptr) return json::object{};  // idempotent, as on AWS
  if (!r->managed_by.empty() && !GetBool(p, "Force").value_or(false)) {
    return MakeError(errors::kManagedRule, {name, r->managed_by});
  }
  if (!r->targets.empty())
    return MakeError(errors::kValidation, {"Rule can't be deleted since it has targets."});
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM events_rules WHERE account = ? AND region = ? AND name = ?",
                                   {w.account, w.region, bus + "/" + name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  r->schedule.clear();
  env.ArmTimer(*r, 0);
  env.rules.erase({w, bus, name});
  return json::object{};
}

Result<OperationOutput> DescribeRule(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Rule * r, FindNamedRule(env, ctx, in.params.as_object(), "Name"));
  return RuleDocument(*r, true);
}

Result<OperationOutput> EnableRule(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Rule * r, FindNamedRule(env, ctx, in.params.as_object(), "Name"));
  if (!r->managed_by.empty()) return MakeError(errors::kManagedRule, {r->name, r->managed_by});
  CENOTE_RETURN_IF_ERROR(SetState(env, *r, "ENABLED"));
  if (env.wake) env.wake();
  return json::object{};
}

Result<OperationOutput> DisableRule(Env& env, const RequestContext& ctx, OperationInput& in) {
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Rule * r, FindNamedRule(env, ctx, in.params.as_object(), "Name"));
  if (!r->managed_by.empty()) return MakeError(errors::kManagedRule, {r->name, r->managed_by});
  CENOTE_RETURN_IF_ERROR(SetState(env, *r, "DISABLED"));
  return json::object{};
}

Result<OperationOutput> ListRules(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, bus] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  const std::string prefix = GetString(p, "NamePrefix").value_or("");
  json::array all;
  {
    MutexLock lock(env.mu);
    if (env.FindBus(w, bus) == nullptr) return MakeError(errors::kBusNotFound, {bus});
    for (const auto& [key, r] : env.rules) {
      if (std::get<0>(key) == w && std::get<1>(key) == bus && r.name.starts_with(prefix)) {
        all.push_back(RuleDocument(r, false));
      }
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageRange page, Page(p, all.size()));
  json::object out{{"Rules", json::array(all.begin() + page.begin, all.begin() + page.end)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

Result<OperationOutput> ListRuleNamesByTarget(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  auto [w, bus] = ResolveBusName(ctx, GetString(p, "EventBusName").value_or(""));
  const std::string target = GetString(p, "TargetArn").value_or("");
  json::array all;
  {
    MutexLock lock(env.mu);
    if (env.FindBus(w, bus) == nullptr) return MakeError(errors::kBusNotFound, {bus});
    for (const auto& [key, r] : env.rules) {
      if (std::get<0>(key) != w || std::get<1>(key) != bus) continue;
      for (const auto& t : r.targets) {
        if (GetString(t, "Arn") == target) {
          all.push_back(json::string(r.name));
          break;
        }
      }
    }
  }
  CENOTE_ASSIGN_OR_RETURN(PageRange page, Page(p, all.size()));
  json::object out{{"RuleNames", json::array(all.begin() + page.begin, all.begin() + page.end)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

Result<OperationOutput> PutTargets(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const json::array* targets = GetArray(p, "Targets");
  if (targets == nullptr) return MakeError(errors::kValidation, {"Targets is a required argument."});
  for (const auto& t : *targets) CENOTE_RETURN_IF_ERROR(CheckTarget(t.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Rule * r, FindNamedRule(env, ctx, p, "Rule"));
  if (!r->managed_by.empty() && !GetBool(p, "Force").value_or(false)) {
    return MakeError(errors::kManagedRule, {r->name, r->managed_by});
  }
  Rule updated = *r;
  for (const auto& t : *targets) {
    const json::object& target = t.as_object();
    const std::string id = GetString(target, "Id").value_or("");
    auto it = std::find_if(updated.targets.begin(), updated.targets.end(),
                           [&](const json::object& x) { return GetString(x, "Id") == id; });
    if (it != updated.targets.end()) {
      *it = target;
    } else {
      updated.targets.push_back(target);
    }
  }
  if (updated.targets.size() > kMaxTargetsPerRule) {
    return MakeError(errors::kLimitExceeded, {"The requested resource exceeds the maximum number allowed."});
  }
  std::sort(updated.targets.begin(), updated.targets.end(), [](const json::object& a, const json::object& b) {
    return GetString(a, "Id").value_or("") < GetString(b, "Id").value_or("");
  });
  CENOTE_RETURN_IF_ERROR(env.SaveRule(updated));
  *r = std::move(updated);
  return json::object{{"FailedEntryCount", 0}, {"FailedEntries", json::array{}}};
}

Result<OperationOutput> RemoveTargets(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Rule * r, FindNamedRule(env, ctx, p, "Rule"));
  if (!r->managed_by.empty() && !GetBool(p, "Force").value_or(false)) {
    return MakeError(errors::kManagedRule, {r->name, r->managed_by});
  }
  Rule updated = *r;
  if (const json::array* ids = GetArray(p, "Ids")) {
    for (const auto& id : *ids) {
      std::erase_if(updated.targets, [&](const json::object& x) {
        return id.is_string() && GetString(x, "Id") == id.get_string();
      });
    }
  }
  CENOTE_RETURN_IF_ERROR(env.SaveRule(updated));
  *r = std::move(updated);
  return json::object{{"FailedEntryCount", 0}, {"FailedEntries", json::array{}}};
}

Result<OperationOutput> ListTargetsByRule(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  json::array all;
  {
    MutexLock lock(env.mu);
    CENOTE_ASSIGN_OR_RETURN(Rule * r, FindNamedRule(env, ctx, p, "Rule"));
    for (const auto& t : r->targets) all.push_back(t);
  }
  CENOTE_ASSIGN_OR_RETURN(PageRange page, Page(p, all.size()));
  json::object out{{"Targets", json::array(all.begin() + page.begin, all.begin() + page.end)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

Result<OperationOutput> TestEventPattern(Env&, const RequestContext&, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto pattern,
                          services::EventPattern::Parse(GetString(p, "EventPattern").value_or(""),
                                                        services::PatternDialect::kEventBridge));
  boost::system::error_code ec;
  json::value event = json::parse(GetString(p, "Event").value_or(""), ec);
  if (ec || !event.is_object()) return MakeError(errors::kValidation, {"Parameter Event is not valid."});
  // AWS requires the envelope's fields in the test event.
  for (const char* field : {"id", "account", "source", "time", "region", "detail-type"}) {
    if (!event.as_object().contains(field)) {
      return MakeError(errors::kValidation,
                       {std::string("Parameter Event is not valid. Reason: Provided Event is "
                                    "missing required field: ") +
                        field + "."});
    }
  }
  return json::object{{"Result", pattern.Matches(event)}};
}

}  // namespace cenote::events
