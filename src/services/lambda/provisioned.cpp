// Provisioned concurrency: Put/Get/Delete/ListProvisionedConcurrencyConfigs on a published version or an
// alias, and the background round that keeps each config's execution environments started and initialized
// ahead of time (Runtimes::Provision). A config is IN_PROGRESS until all its environments have run their
// init, then READY; an init failure makes it FAILED with the runtime's error as StatusReason.
//
// Concurrency, as AWS counts it: a function's provisioned concurrency (over all its versions and aliases)
// may not exceed its reserved concurrency; without a reservation it comes out of the account's unreserved
// pool, which must keep 100. Invocations of a provisioned version run on its warm environments first.
#include <algorithm>

#include "services/lambda/internal.hpp"

namespace cenote::lambda {

namespace {

inline constexpr services::ErrorSpec kConfigNotFound{
    "ProvisionedConcurrencyConfigNotFoundException",
    "No Provisioned Concurrency Config found for this function", 404};

Error Invalid(const std::string& message) {
  return services::MakeError(errors::kInvalidParameter, {message});
}

Result<ParsedName> NameOf(const RequestContext& ctx, const json::object& params) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName p, ParseFunctionName(GetString(params, "FunctionName").value_or(""),
                                                          ctx.account_id(), ctx.region));
  if (auto q = GetString(params, "Qualifier"); q && !q->empty()) p.qualifier = *q;
  return p;
}

std::string ConfigId(const Function& f, const std::string& qualifier) { return f.arn + ":" + qualifier; }

std::int64_t ProvisionedTotal(const Function& f, const std::string& except) {
  std::int64_t n = 0;
  for (const auto& [q, c] : f.provisioned) {
    if (q != except) n += GetInt(c, "Requested").value_or(0);
  }
  return n;
}

// The config as AWS describes it, with the state of its environments now.
json::object Describe(const Env& env, const Function& f, const std::string& qualifier, const json::object& c)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  const std::int64_t requested = GetInt(c, "Requested").value_or(0);
  std::int64_t ready = 0;
  std::string error;
  if (auto it = env.provision_states.find(ConfigId(f, qualifier)); it != env.provision_states.end()) {
    ready = std::min<std::int64_t>(it->second.ready, requested);
    error = it->second.error;
  }
  json::object out{{"RequestedProvisionedConcurrentExecutions", requested},
                   {"AvailableProvisionedConcurrentExecutions", ready},
                   {"AllocatedProvisionedConcurrentExecutions", ready},
                   {"LastModified", GetString(c, "LastModified").value_or("")}};
  if (ready >= requested) {
    out["Status"] = "READY";
  } else if (!error.empty()) {
    out["Status"] = "FAILED";
    out["StatusReason"] = "FUNCTION_ERROR_INIT_FAILURE: " + error;
  } else {
    out["Status"] = "IN_PROGRESS";
  }
  return out;
}

Result<OperationOutput> SaveOrRestore(Env& env, Function& f, std::map<std::string, json::object> before)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  auto txn = env.metadata.Begin(store::MetadataStore::Mode::kWrite);
  Status s = txn ? env.SaveFunction(**txn, f) : Status(txn.error());
  if (s) s = (*txn)->Commit();
  if (!s) {
    f.provisioned = std::move(before);
    return s.error();
  }
  return OperationOutput{};
}

}  // namespace

Result<OperationOutput> PutProvisionedConcurrencyConfig(Env& env, const RequestContext& ctx,
                                                        OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameOf(ctx, params));
  const std::int64_t n = GetInt(params, "ProvisionedConcurrentExecutions").value_or(0);
  if (n < 1) {
    return Invalid("1 validation error detected: Value '" + std::to_string(n) +
                   "' at 'provisionedConcurrentExecutions' failed to satisfy constraint: Member must have "
                   "value greater than or equal to 1");
  }
  if (name.qualifier.empty() || name.qualifier == "$LATEST") {
    return Invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
  }
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  CENOTE_ASSIGN_OR_RETURN(Target target, Resolve(env, name, false));
  if (!target.alias.empty()) {
    const json::object& alias = f->aliases[target.alias];
    const json::object* rc = GetObject(alias, "RoutingConfig");
    const json::object* w = rc ? GetObject(*rc, "AdditionalVersionWeights") : nullptr;
    if (w != nullptr && !w->empty()) {
      return Invalid("Alias with weights can not be used with Provisioned Concurrency");
    }
    if (target.version == "$LATEST") {
      return Invalid("Provisioned Concurrency Configs cannot be applied to unpublished function versions.");
    }
  }
  // One config per version: on the version itself or through one alias.
  for (const auto& [q, c] : f->provisioned) {
    if (q == name.qualifier) continue;
    auto other = Resolve(env, ParsedName{name.account, name.region, name.name, q}, false);
    if (other && other->version == target.version) {
      return services::MakeError(
          errors::kConflict, {"Provisioned Concurrency Config already exists for version " + target.version +
                              " (through " + q + ")"});
    }
  }
  const std::int64_t total = ProvisionedTotal(*f, name.qualifier) + n;
  if (f->reserved) {
    if (total > *f->reserved) {
      return Invalid(
          "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for "
          "function");
    }
  } else {
    std::int64_t taken = 0;  // reservations, and provisioned concurrency of unreserved functions
    for (const auto& [k, other] : env.functions) {
      if (k.account != f->key.account || k.region != f->key.region) continue;
      if (other.reserved) {
        taken += *other.reserved;
      } else if (k != f->key) {
        taken += ProvisionedTotal(other, "");
      }
    }
    if (kAccountConcurrency - taken - total < kMinimumUnreserved) {
      return Invalid(
          "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
          "below "
          "its minimum value of [" +
          std::to_string(kMinimumUnreserved) + "].");
    }
  }
  auto before = f->provisioned;
  f->provisioned[name.qualifier] = json::object{{"Requested", n}, {"LastModified", IsoTimeZ(env.Now())}};
  CENOTE_RETURN_IF_ERROR(SaveOrRestore(env, *f, std::move(before)));
  json::object out = Describe(env, *f, name.qualifier, f->provisioned[name.qualifier]);
  if (GetString(out, "Status").value_or("") == "READY" &&
      GetInt(out, "AvailableProvisionedConcurrentExecutions").value_or(0) < n) {
    out["Status"] = "IN_PROGRESS";
  }
  return OperationOutput(out);
}

// The function named and its provisioned-concurrency config for the qualifier: the qualifier's own error
// (an unknown version or alias) before ProvisionedConcurrencyConfigNotFoundException. env.mu held.
Result<std::pair<Function*, std::map<std::string, json::object>::iterator>> FindConfig(Env& env,
                                                                                       const ParsedName& name)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  auto it = f->provisioned.find(name.qualifier);
  if (it == f->provisioned.end()) {
    if (!name.qualifier.empty() && name.qualifier != "$LATEST")
      CENOTE_RETURN_IF_ERROR(Resolve(env, name, false));
    return services::MakeError(kConfigNotFound);
  }
  return std::make_pair(f, it);
}

Result<OperationOutput> GetProvisionedConcurrencyConfig(Env& env, const RequestContext& ctx,
                                                        OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameOf(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(auto found, FindConfig(env, name));
  auto [f, it] = found;
  return OperationOutput(Describe(env, *f, it->first, it->second));
}

Result<OperationOutput> DeleteProvisionedConcurrencyConfig(Env& env, const RequestContext& ctx,
                                                           OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameOf(ctx, in.params.as_object()));
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(auto found, FindConfig(env, name));
  auto [f, it] = found;
  auto before = f->provisioned;
  f->provisioned.erase(it);
  return SaveOrRestore(env, *f, std::move(before));
}

Result<OperationOutput> ListProvisionedConcurrencyConfigs(Env& env, const RequestContext& ctx,
                                                          OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(ParsedName name, NameOf(ctx, params));
  const std::int64_t max = std::clamp<std::int64_t>(GetInt(params, "MaxItems").value_or(50), 1, 50);
  const std::string marker = GetString(params, "Marker").value_or("");
  MutexLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(Function * f, FindFunction(env, FunctionKey{name.account, name.region, name.name}));
  json::array items;
  json::object out;
  for (auto it = marker.empty() ? f->provisioned.begin() : f->provisioned.upper_bound(marker);
       it != f->provisioned.end(); ++it) {
    if (static_cast<std::int64_t>(items.size()) == max) {
      out["NextMarker"] = std::prev(it)->first;
      break;
    }
    json::object item = Describe(env, *f, it->first, it->second);
    item["FunctionArn"] = ConfigId(*f, it->first);
    items.push_back(std::move(item));
  }
  out["ProvisionedConcurrencyConfigs"] = std::move(items);
  return OperationOutput(out);
}

void RunProvisionRound(Env& env) {
  std::vector<std::pair<std::string, std::pair<Target, int>>> wanted;
  {
    MutexLock lock(env.mu);
    for (const auto& [key, f] : env.functions) {
      for (const auto& [q, c] : f.provisioned) {
        auto target = Resolve(env, ParsedName{key.account, key.region, key.name, q}, false);
        if (!target) continue;
        wanted.push_back({ConfigId(f, q), {*target, static_cast<int>(GetInt(c, "Requested").value_or(0))}});
      }
    }
  }
  std::map<std::string, Runtimes::ProvisionTarget> targets;
  std::map<std::string, std::string> failed;
  for (auto& [id, want] : wanted) {
    auto prepared = PrepareSpec(env, want.first);
    if (!prepared) {
      failed[id] = prepared.error().message;
      continue;
    }
    targets[id] = Runtimes::ProvisionTarget{std::move(prepared->spec), want.second};
  }
  auto states = env.runtimes->Provision(targets);
  for (const auto& [id, why] : failed) states[id].error = why;
  MutexLock lock(env.mu);
  env.provision_states = std::move(states);
}

}  // namespace cenote::lambda
