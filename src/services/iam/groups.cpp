// IAM groups and their members. Membership is kept on the user (User::groups), so a user's document holds
// everything its policies depend on but the groups' own policies.
#include <algorithm>

#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

constexpr std::size_t kGroupsPerUser =
    10;  // reference_iam-quotas.md: "Groups an IAM user can be a member of"

std::vector<std::string> MembersOf(const AccountState& a, const std::string& group_key) {
  std::vector<std::string> out;
  for (const auto& [k, u] : a.users)
    if (std::find(u.groups.begin(), u.groups.end(), group_key) != u.groups.end()) out.push_back(k);
  return out;
}

}  // namespace

IAM_HANDLER(CreateGroup) {
  const json::object& p = in.params.as_object();
  std::string name = GetString(p, "GroupName").value_or("");
  IAM_ACCOUNT(env, ctx);
  if (a.groups.contains(Lower(name))) return services::MakeError(errors::kEntityExists, {"Group", name});
  Group g;
  g.name = name;
  CENOTE_ASSIGN_OR_RETURN(g.path, PathParam(p));
  g.id = NewId("AGPA");
  g.created_ms = env.Now();
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kGroupKind, Lower(name), ToDoc(g)}}));
  json::object out{{"Group", GroupJson(account, g)}};
  a.groups[Lower(name)] = std::move(g);
  env.Publish(account);
  return out;
}

IAM_HANDLER(GetGroup) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Group * g, FindGroup(a, GetString(p, "GroupName").value_or("")));
  std::vector<std::string> members = MembersOf(a, Lower(g->name));
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, members));
  json::array users;
  for (std::size_t i = page.begin; i < page.end; ++i)
    users.push_back(UserJson(account, a.users.at(members[i])));
  json::object out{{"Group", GroupJson(account, *g)}, {"Users", std::move(users)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(ListGroups) {
  const json::object& p = in.params.as_object();
  std::string prefix = GetString(p, "PathPrefix").value_or("/");
  IAM_ACCOUNT(env, ctx);
  std::vector<std::string> keys;
  for (const auto& [k, g] : a.groups)
    if (g.path.starts_with(prefix)) keys.push_back(k);
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array groups;
  for (std::size_t i = page.begin; i < page.end; ++i)
    groups.push_back(GroupJson(account, a.groups.at(keys[i])));
  json::object out{{"Groups", std::move(groups)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(ListGroupsForUser) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(User * u, FindUser(a, GetString(p, "UserName").value_or("")));
  std::vector<std::string> keys = u->groups;
  std::sort(keys.begin(), keys.end());
  CENOTE_ASSIGN_OR_RETURN(Page page, Paginate(p, keys));
  json::array groups;
  for (std::size_t i = page.begin; i < page.end; ++i)
    if (auto it = a.groups.find(keys[i]); it != a.groups.end())
      groups.push_back(GroupJson(account, it->second));
  json::object out{{"Groups", std::move(groups)}};
  AddPaging(out, page);
  return out;
}

IAM_HANDLER(AddUserToGroup) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Group * g, FindGroup(a, GetString(p, "GroupName").value_or("")));
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, GetString(p, "UserName").value_or("")));
  const std::string gkey = Lower(g->name);
  if (std::find(found->groups.begin(), found->groups.end(), gkey) != found->groups.end())
    return json::object{};
  if (found->groups.size() >= kGroupsPerUser)
    return services::MakeError(errors::kQuotaExceeded, {"GroupsPerUser", std::to_string(kGroupsPerUser)});
  User u = *found;
  u.groups.push_back(gkey);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(u.name), ToDoc(u)}}));
  *found = std::move(u);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(RemoveUserFromGroup) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Group * g, FindGroup(a, GetString(p, "GroupName").value_or("")));
  CENOTE_ASSIGN_OR_RETURN(User * found, FindUser(a, GetString(p, "UserName").value_or("")));
  const std::string gkey = Lower(g->name);
  User u = *found;
  auto it = std::find(u.groups.begin(), u.groups.end(), gkey);
  if (it == u.groups.end()) return services::MakeError(errors::kNotInGroup, {u.name, g->name});
  u.groups.erase(it);
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kUserKind, Lower(u.name), ToDoc(u)}}));
  *found = std::move(u);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(DeleteGroup) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Group * g, FindGroup(a, GetString(p, "GroupName").value_or("")));
  const std::string key = Lower(g->name);
  if (!MembersOf(a, key).empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must remove users from group first."});
  if (!g->policies.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must delete policies first."});
  if (!g->attached.empty())
    return services::MakeError(errors::kDeleteConflict,
                               {"Cannot delete entity, must detach all policies first."});
  CENOTE_RETURN_IF_ERROR(env.Persist(account, {{kGroupKind, key, std::nullopt}}));
  a.groups.erase(key);
  env.Publish(account);
  return json::object{};
}

IAM_HANDLER(UpdateGroup) {
  const json::object& p = in.params.as_object();
  IAM_ACCOUNT(env, ctx);
  CENOTE_ASSIGN_OR_RETURN(Group * found, FindGroup(a, GetString(p, "GroupName").value_or("")));
  Group g = *found;
  const std::string old_key = Lower(g.name);
  if (auto new_path = GetString(p, "NewPath")) g.path = *new_path;
  if (auto new_name = GetString(p, "NewGroupName")) {
    if (Lower(*new_name) != old_key && a.groups.contains(Lower(*new_name)))
      return services::MakeError(errors::kEntityExists, {"Group", *new_name});
    g.name = *new_name;
  }
  const std::string new_key = Lower(g.name);
  std::vector<Change> changes;
  std::map<std::string, User> renamed;  // members whose group list names the new key
  if (new_key != old_key) {
    changes.push_back({kGroupKind, old_key, std::nullopt});
    for (const std::string& ukey : MembersOf(a, old_key)) {
      User u = a.users.at(ukey);
      std::replace(u.groups.begin(), u.groups.end(), old_key, new_key);
      changes.push_back({kUserKind, ukey, ToDoc(u)});
      renamed[ukey] = std::move(u);
    }
  }
  changes.push_back({kGroupKind, new_key, ToDoc(g)});
  CENOTE_RETURN_IF_ERROR(env.Persist(account, changes));
  a.groups.erase(old_key);
  a.groups[new_key] = std::move(g);
  for (auto& [ukey, u] : renamed) a.users[ukey] = std::move(u);
  env.Publish(account);
  return json::object{};
}

}  // namespace cenote::iam
