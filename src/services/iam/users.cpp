// IAM users, their tags and access keys.
#include <algorithm>

#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

// The user an operation whose UserName is optional acts on: the member, else the calling IAM user. nullopt
// for the root user (AWS: the root user's own keys). Role sessions and other principals must name a user.
Result<std::optional<std::string>> TargetUser(const RequestContext& ctx, const json::object& in) {
  if (auto name = GetString(in, "UserName")) return std::optional<std::string>(std::move(*name));
  const iam::Principal& p = ctx.principal;
  if (p.type == PrincipalType::kRoot || p.is_root) return std::optional<std::string>();
  if (p.type == PrincipalType::kUser) {
    const std::string& arn = p.entity_arn.empty() ? p.arn : p.entity_arn;
    return std::optional<std::string>(arn.substr(arn.rfind('/') + 1));
  }
  return services::MakeError(errors::kValidation,
                             {"Must specify userName when calling with non-User credentials"});
}

std::string NewSecret() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes = RandomBytes(40);
  std::string out;
  for (unsigned char c : bytes) out.push_back(kAlphabet[c % 64]);
  return out;
}

Status CheckBoundary(const AccountState& a, const std::string& account, const std::string& arn) {
  if (arn.empty() || FindManagedPolicy(a, account, arn) != nullptr) return Status::Ok();
  return services::MakeError(errors::kPolicyNotAttachable, {arn});
}

}  // namespace

IAM_HANDLER(CreateUser) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "UserName").value_or("");
  IAM_ACCOUNT(env, ctx);
  if (a.users.contains(Lower(name))) return services::MakeError(errors::kEntityExists, {"User", name});
  User u;
  u.name = name;
  CENOTE_ASSIGN_OR_RETURN(u.path, PathParam(p));
  u.id = NewId("AIDA");
  u.created_ms = env.Now();
  u.boundary = GetString(p, "PermissionsBoundary").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckBoundary(a, account, u.boundary));
  CENOTE_RETURN_IF_ERROR(MergeTags(u.tags, GetArray(p, "Tags")));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(name), ToDoc(u)}}));
  json::object user = UserJson(account, u);
  if (!u.tags.empty()) user["Tags"] = TagsJson(u.tags);
  a.users[Lower(name)] = std::move(u);
  env.Publish(account);
  return json::object{{"User", std::move(user)}};
}

IAM_HANDLER(GetUser) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto target, TargetUser(ctx, p));
  IAM_ACCOUNT(env, ctx);
  if (!target) {
    // The root user, as AWS answers it: its account id and root ARN, no name or path.
    return json::object{{"User", json::object{{"UserId", account},
                                              {"Arn", "arn:aws:iam::" + account + ":root"},
                                              {"CreateDate", std::int64_t{0}}}}};
  }
  CENOTE_ASSIGN_OR_RETURN(User * u, FindUser(a, *target));
  json::object user = UserJson(account, *u);
  if (!u->tags.empty()) user["Tags"] = TagsJson(u->tags);
  return json::object{{"User", std::move(user)}};
}

IAM_HANDLER(ListUsers) {
  const json::object& p = in.params.as_object();
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  IAM_ACCOUNT(env, ctx);
  std::vector<std::string> keys;
  for (const auto& [k, u] : a.users)
    if (u.path.starts_with(prefix)) keys.push_back(k);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array users;
  for (std::size_t i = page.begin; i < page.end; ++i) users.push_back(UserJson(account, a.users.at(keys[i])));
  json::object out{{"Users", std::move(users)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(UpdateUser) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "UserName").value_or("");
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, name));
  User u = *found;
  const std::string old_key = Lower(u.name);
  if (auto new_path = GetString(p, "NewPath")) u.path = *new_path;
  if (auto new_name = GetString(p, "NewUserName")) {
    if (Lower(*new_name) != old_key && a.users.contains(Lower(*new_name)))
      return services::MakeError(errors::kEntityExists, {"User", *new_name});
    u.name = *new_name;
  }
  const std::string new_key = Lower(u.name);
  std::vector<Change> changes;
  if (new_key != old_key) changes.push_back({kUserKind, old_key, std::nullopt});
  changes.push_back({kUserKind, new_key, ToDoc(u)});
  CENOTE_RETURN_IF_ERROR(env.Persist(account, changes));
  a.users.erase(old_key);
  a.users[new_key] = std::move(u);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(DeleteUser) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * u, FindUser(a, GetString(p, "UserName").value_or("")));
  // AWS refuses to delete a user that still has attached items (DeleteUser, "Deleting an IAM user").
  if (!u->keys.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must delete access keys first."});
  if (!u->policies.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must delete policies first."});
  if (!u->attached.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must detach all policies first."});
  if (!u->groups.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must remove users from group first."});
  const std::string key = Lower(u->name);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, key, std::nullopt}}));
  a.users.erase(key);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(TagUser) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, GetString(p, "UserName").value_or("")));
  User u = *found;
  CENOTE_RETURN_IF_ERROR(MergeTags(u.tags, GetArray(p, "Tags")));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(u.name), ToDoc(u)}}));
  *found = std::move(u);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(UntagUser) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, GetString(p, "UserName").value_or("")));
  User u = *found;
  RemoveTags(u.tags, GetArray(p, "TagKeys"));
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(u.name), ToDoc(u)}}));
  *found = std::move(u);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(ListUserTags) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * u, FindUser(a, GetString(p, "UserName").value_or("")));
  return json::object{{"Tags", TagsJson(u->tags)}, {"IsTruncated", false}};
}

// ---- access keys

IAM_HANDLER(CreateAccessKey) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto target, TargetUser(ctx, p));
  if (!target) {
    // The root user's own access key, as on AWS (at most two; the server's root key is not one of them).
    IAM_ACCOUNT(env, ctx);
    if (a.root_keys.size() >= 2)
      return services::MakeError(errors::kQuotaExceeded, {"AccessKeysPerUser", "2"});
    AccountState changed = a;
    AccessKey key{NewId("AKIA"), NewSecret(), "Active", env.Now()};
    changed.root_keys.push_back(key);
    CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kAccountKind, "", AccountDoc(changed)}}));
    a.root_keys = std::move(changed.root_keys);
    env.Publish(account);
    return json::object{{"AccessKey", json::object{{"AccessKeyId", key.id},
                                                   {"Status", key.status},
                                                   {"SecretAccessKey", key.secret},
                                                   {"CreateDate", key.created_ms}}}};
  }
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, *target));
  if (found->keys.size() >= 2) return services::MakeError(errors::kQuotaExceeded, {"AccessKeysPerUser", "2"});
  User u = *found;
  AccessKey key{NewId("AKIA"), NewSecret(), "Active", env.Now()};
  u.keys.push_back(key);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(u.name), ToDoc(u)}}));
  *found = std::move(u);
  env.Publish(account);
  return json::object{{"AccessKey", json::object{{"UserName", found->name},
                                                 {"AccessKeyId", key.id},
                                                 {"Status", key.status},
                                                 {"SecretAccessKey", key.secret},
                                                 {"CreateDate", key.created_ms}}}};
}

IAM_HANDLER(ListAccessKeys) {
  const json::object& p = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(auto target, TargetUser(ctx, p));
  if (!target) {
    // The root user's keys made through the API (the server's own root key is not listed).
    IAM_ACCOUNT(env, ctx);
    json::array keys;
    for (const auto& k : a.root_keys)
      keys.push_back(json::object{{"AccessKeyId", k.id}, {"Status", k.status}, {"CreateDate", k.created_ms}});
    return json::object{{"AccessKeyMetadata", std::move(keys)}, {"IsTruncated", false}};
  }
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * u, FindUser(a, *target));
  json::array keys;
  for (const auto& k : u->keys)
    keys.push_back(json::object{
        {"UserName", u->name}, {"AccessKeyId", k.id}, {"Status", k.status}, {"CreateDate", k.created_ms}});
  return json::object{{"AccessKeyMetadata", std::move(keys)}, {"IsTruncated", false}};
}

namespace {

Result<OperationOutput> ChangeKey(Env& env, const RequestContext& ctx, const json::object& p, bool remove) {
  CENOTE_ASSIGN_OR_RETURN(auto target, TargetUser(ctx, p));
  std::string id = GetString(p, "AccessKeyId").value_or("");
  IAM_ACCOUNT(env, ctx);
  if (!target) {
    AccountState changed = a;
    auto it = std::find_if(changed.root_keys.begin(), changed.root_keys.end(),
                           [&](const AccessKey& k) { return k.id == id; });
    if (it == changed.root_keys.end()) return services::MakeError(errors::kNoSuchAccessKey, {id});
    if (remove) {
      changed.root_keys.erase(it);
    } else {
      it->status = GetString(p, "Status").value_or(it->status);
    }
    CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kAccountKind, "", AccountDoc(changed)}}));
    a.root_keys = std::move(changed.root_keys);
    env.Publish(account);
    return json::object{};
  }
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, *target));
  User u = *found;
  auto it = std::find_if(u.keys.begin(), u.keys.end(), [&](const AccessKey& k) { return k.id == id; });
  if (it == u.keys.end()) return services::MakeError(errors::kNoSuchAccessKey, {id});
  if (remove) {
    u.keys.erase(it);
  } else {
    it->status = GetString(p, "Status").value_or(it->status);
  }
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(u.name), ToDoc(u)}}));
  *found = std::move(u);
  env.Publish(account);
  return json::object{};
}

}  // namespace

IAM_HANDLER(UpdateAccessKey) { return ChangeKey(env, ctx, in.params.as_object(), false); }

IAM_HANDLER(DeleteAccessKey) { return ChangeKey(env, ctx, in.params.as_object(), true); }

IAM_HANDLER(GetAccessKeyLastUsed) {
  std::string id = GetString(in.params.as_object(), "AccessKeyId").value_or("");
  std::string user_name;
  {
    IAM_ACCOUNT(env, ctx);
    for (const auto& [k, u] : a.users)
      for (const auto& key : u.keys)
        if (key.id == id) user_name = u.name;
  }
  if (user_name.empty()) return services::MakeError(errors::kNoSuchAccessKey, {id});
  json::object last{{"ServiceName", "N/A"}, {"Region", "N/A"}};
  {
    MutexLock lock(env.usage_mu);
    if (auto it = env.key_use.find(id); it != env.key_use.end()) {
      last = json::object{{"LastUsedDate", it->second.ms},
                          {"ServiceName", it->second.service},
                          {"Region", it->second.region}};
    }
  }
  return json::object{{"UserName", user_name}, {"AccessKeyLastUsed", std::move(last)}};
}

}  // namespace cenote::iam
