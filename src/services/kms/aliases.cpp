// Alias handlers: CreateAlias, DeleteAlias, UpdateAlias, ListAliases. An alias is unique per account and
// region and names one customer managed key of the same account and region; "alias/aws/" is reserved for
// AWS managed keys.
#include <algorithm>

#include "services/kms/internal.hpp"

namespace cenote::kms {

namespace {

Status CheckAliasName(const std::string& name) {
  if (name.empty() || name.size() > 256) {
    return Validation(
        "1 validation error detected: Value '" + name +
        "' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to "
        "256 and greater than or equal to 1");
  }
  if (!std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == ':' || c == '/' || c == '_' || c == '-';
      })) {
    return Validation(
        "1 validation error detected: Value '" + name +
        "' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "^[a-zA-Z0-9:/_-]+$");
  }
  if (!name.starts_with("alias/") || name.size() == 6) {
    return services::MakeError(errors::kInvalidAliasName, {"Alias must start with the prefix \"alias/\"."});
  }
  if (name.starts_with("alias/aws/")) {
    return services::MakeError(
        errors::kInvalidAliasName,
        {"Alias name " + name + " is invalid: the alias/aws/ prefix is reserved for AWS managed keys."});
  }
  return Status::Ok();
}

// The target of CreateAlias / UpdateAlias: a key id or key ARN of the caller's account and region.
Result<KeyState*> AliasTarget(Env& env, const RequestContext& ctx, const std::string& target)
    EXCLUSIVE_LOCKS_REQUIRED(env.mu) {
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, target, Env::Names::kKeyOnly));
  if (key->account != ctx.account_id()) {
    return MakeError("AccessDeniedException", "Aliases can only name keys of the caller's account.", 400);
  }
  if (key->state == "PendingDeletion") {
    return services::MakeError(errors::kInvalidState, {key->arn, "pending deletion"});
  }
  if (key->aws_managed) {
    return MakeError("UnsupportedOperationException", key->arn + " is an AWS managed key.", 400);
  }
  return key;
}

Status SaveAlias(Env& env, const AliasRef& ref, const AliasState& alias) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("INSERT INTO kms_aliases (account, region, name, key_id, created_ms, updated_ms) VALUES (?, "
                "?, ?, ?, ?, ?) "
                "ON CONFLICT (account, region, name) DO UPDATE SET key_id = excluded.key_id, updated_ms = "
                "excluded.updated_ms",
                {ref.account, ref.region, ref.name, alias.key_id, alias.created_ms, alias.updated_ms}));
  return txn->Commit();
}

}  // namespace

Result<OperationOutput> CreateAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "AliasName").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckAliasName(name));
  WriterLock lock(env.mu);
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, AliasTarget(env, ctx, GetString(p, "TargetKeyId").value_or("")));
  AliasRef ref{ctx.account_id(), ctx.region, name};
  if (env.aliases.contains(ref)) return services::MakeError(errors::kAliasExists, {AliasArn(ref)});
  const std::int64_t now = env.Now();
  AliasState alias{key->id, now, now};
  CENOTE_RETURN_IF_ERROR(SaveAlias(env, ref, alias));
  env.aliases[ref] = alias;
  return OperationOutput();
}

Result<OperationOutput> UpdateAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "AliasName").value_or("");
  WriterLock lock(env.mu);
  AliasRef ref{ctx.account_id(), ctx.region, name};
  auto it = env.aliases.find(ref);
  if (it == env.aliases.end()) return services::MakeError(errors::kAliasNotFound, {AliasArn(ref)});
  CENOTE_RETURN_IF_ERROR(CheckAliasName(name));
  CENOTE_ASSIGN_OR_RETURN(KeyState * key, AliasTarget(env, ctx, GetString(p, "TargetKeyId").value_or("")));
  // The new key must be of the same type and usage as the current one (AWS's UpdateAlias rule).
  auto current = env.keys.find(KeyRef{ref.account, ref.region, it->second.key_id});
  if (current != env.keys.end() &&
      (current->second.key_usage != key->key_usage || current->second.symmetric() != key->symmetric() ||
       current->second.hmac() != key->hmac())) {
    return Validation("The new target key " + key->arn +
                      " is not the same type and key usage as the current key " + current->second.arn + ".");
  }
  AliasState alias = it->second;
  alias.key_id = key->id;
  alias.updated_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(SaveAlias(env, ref, alias));
  it->second = alias;
  return OperationOutput();
}

Result<OperationOutput> DeleteAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "AliasName").value_or("");
  WriterLock lock(env.mu);
  AliasRef ref{ctx.account_id(), ctx.region, name};
  if (!env.aliases.contains(ref)) return services::MakeError(errors::kAliasNotFound, {AliasArn(ref)});
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?",
                                   {ref.account, ref.region, ref.name}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.aliases.erase(ref);
  return OperationOutput();
}

Result<OperationOutput> ListAliases(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::size_t limit, LimitOf(p, 50));
  ReaderLock lock(env.mu);
  std::optional<std::string> key_filter;
  if (auto id = GetString(p, "KeyId")) {
    CENOTE_ASSIGN_OR_RETURN(KeyState * key, env.Find(ctx, *id, Env::Names::kKeyOnly));
    key_filter = key->id;
  }
  std::vector<std::pair<AliasRef, AliasState>> list;
  std::vector<std::string> names;
  for (const auto& [ref, alias] : env.aliases) {
    if (ref.account != ctx.account_id() || ref.region != ctx.region) continue;
    if (key_filter && alias.key_id != *key_filter) continue;
    list.emplace_back(ref, alias);
    names.push_back(ref.name);
  }
  CENOTE_ASSIGN_OR_RETURN(std::size_t start, MarkerStart(p, names));
  json::array aliases;
  std::size_t i = start;
  for (; i < list.size() && aliases.size() < limit; ++i) {
    const auto& [ref, alias] = list[i];
    aliases.emplace_back(json::object{{"AliasName", ref.name},
                                      {"AliasArn", AliasArn(ref)},
                                      {"TargetKeyId", alias.key_id},
                                      {"CreationDate", alias.created_ms},
                                      {"LastUpdatedDate", alias.updated_ms}});
  }
  json::object out{{"Aliases", std::move(aliases)}, {"Truncated", i < list.size()}};
  if (i < list.size()) out["NextMarker"] = names[i];
  return OperationOutput(std::move(out));
}

}  // namespace cenote::kms
