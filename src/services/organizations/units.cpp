// Organizational units and the tree: CreateOrganizationalUnit, DescribeOrganizationalUnit,
// UpdateOrganizationalUnit, DeleteOrganizationalUnit, ListOrganizationalUnitsForParent, ListParents,
// ListChildren.
#include "services/organizations/internal.hpp"

namespace cenote::organizations {

namespace {

bool ParentId(std::string_view v) { return IsRootId(v) || IsUnitId(v); }
bool ChildId(std::string_view v) { return IsAccountId(v) || IsUnitId(v); }

json::object UnitDocument(const Organization& org, const Unit& u) {
  return json::object{{"Id", u.id}, {"Arn", UnitArn(org, u.id)}, {"Name", u.name}};
}

Result<std::string> ReadName(const json::object& params, bool required) {
  auto name = GetString(params, "Name");
  if (!name) {
    if (required) return InvalidInput("INPUT_REQUIRED", "You must specify a value for Name.");
    return std::string();
  }
  if (name->empty()) return InvalidInput("MIN_LENGTH_EXCEEDED", "Name must be at least 1 character long.");
  if (name->size() > 128)
    return InvalidInput("MAX_LENGTH_EXCEEDED", "Name can be at most 128 characters long.");
  return *name;
}

bool NameTaken(const State& s, const std::string& parent, const std::string& name,
               const std::string& except) {
  for (const auto& [id, u] : s.units)
    if (u.parent == parent && u.name == name && id != except) return true;
  return false;
}

}  // namespace

Result<OperationOutput> CreateOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string parent, RequireId(params, "ParentId", ParentId));
  CENOTE_ASSIGN_OR_RETURN(std::string name, ReadName(params, true));
  CENOTE_ASSIGN_OR_RETURN(Tags tags, ReadTags(params, "Tags"));
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    if (!s.IsParent(parent)) return services::MakeError(errors::kParentNotFound);
    if (NameTaken(s, parent, name, "")) return services::MakeError(errors::kDuplicateOrganizationalUnit);
    if (s.Depth(parent) + 1 > kMaxOuDepth)
      return ConstraintViolation("OU_DEPTH_LIMIT_EXCEEDED",
                                 "You attempted to create an OU tree that is too many levels deep.");
    if (s.units.size() >= kMaxOus)
      return ConstraintViolation("OU_NUMBER_LIMIT_EXCEEDED",
                                 "You attempted to exceed the number of OUs that you can have in an "
                                 "organization.");
    Unit u;
    // ou-<the root id's suffix>-<8 characters>, as AWS forms them.
    do {
      u.id = "ou-" + s.org->root_id.substr(2) + "-" + RandomLowerAlnum(8);
    } while (s.units.count(u.id));
    u.name = name;
    u.parent = parent;
    u.tags = tags;
    s.units[u.id] = u;
    AttachDefaults(s, u.id);
    out = json::object{{"OrganizationalUnit", UnitDocument(*s.org, u)}};
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> DescribeOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(in.params.as_object(), "OrganizationalUnitId", IsUnitId));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  auto it = s->units.find(id);
  if (it == s->units.end()) return services::MakeError(errors::kOrganizationalUnitNotFound);
  return json::object{{"OrganizationalUnit", UnitDocument(*s->org, it->second)}};
}

Result<OperationOutput> UpdateOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(params, "OrganizationalUnitId", IsUnitId));
  CENOTE_ASSIGN_OR_RETURN(std::string name, ReadName(params, false));
  json::object out;
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    auto it = s.units.find(id);
    if (it == s.units.end()) return services::MakeError(errors::kOrganizationalUnitNotFound);
    if (!name.empty()) {
      if (NameTaken(s, it->second.parent, name, id))
        return services::MakeError(errors::kDuplicateOrganizationalUnit);
      it->second.name = name;
    }
    out = json::object{{"OrganizationalUnit", UnitDocument(*s.org, it->second)}};
    return Status::Ok();
  }));
  return out;
}

Result<OperationOutput> DeleteOrganizationalUnit(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(std::string id, RequireId(in.params.as_object(), "OrganizationalUnitId", IsUnitId));
  CENOTE_RETURN_IF_ERROR(env.Change([&](State& s) -> Status {
    CENOTE_RETURN_IF_ERROR(RequireManagement(s, ctx));
    if (!s.units.count(id)) return services::MakeError(errors::kOrganizationalUnitNotFound);
    for (const auto& [uid, u] : s.units)
      if (u.parent == id) return services::MakeError(errors::kOrganizationalUnitNotEmpty);
    for (const auto& [aid, a] : s.accounts)
      if (a.parent == id) return services::MakeError(errors::kOrganizationalUnitNotEmpty);
    s.units.erase(id);
    DetachAll(s, id);
    return Status::Ok();
  }));
  return json::object{};
}

Result<OperationOutput> ListOrganizationalUnitsForParent(Env& env, const RequestContext& ctx,
                                                         OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string parent, RequireId(params, "ParentId", ParentId));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  if (!s->IsParent(parent)) return services::MakeError(errors::kParentNotFound);
  std::vector<std::pair<std::string, json::value>> items;
  for (const auto& [id, u] : s->units)
    if (u.parent == parent) items.emplace_back(id, UnitDocument(*s->org, u));
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "OrganizationalUnits"));
  return out;
}

Result<OperationOutput> ListParents(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string child, RequireId(params, "ChildId", ChildId));
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  std::string parent;
  if (const Account* a = s->FindMember(child)) {
    parent = a->parent;
  } else if (auto it = s->units.find(child); it != s->units.end()) {
    parent = it->second.parent;
  } else {
    return services::MakeError(errors::kChildNotFound);
  }
  std::vector<std::pair<std::string, json::value>> items{
      {parent, json::object{{"Id", parent}, {"Type", s->IsRoot(parent) ? "ROOT" : "ORGANIZATIONAL_UNIT"}}}};
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "Parents"));
  return out;
}

Result<OperationOutput> ListChildren(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& params = in.params.as_object();
  CENOTE_ASSIGN_OR_RETURN(std::string parent, RequireId(params, "ParentId", ParentId));
  std::string type = GetString(params, "ChildType").value_or("");
  if (type != "ACCOUNT" && type != "ORGANIZATIONAL_UNIT")
    return InvalidInput("INVALID_ENUM", "You specified an invalid value for ChildType.");
  CENOTE_ASSIGN_OR_RETURN(auto s, env.ForManagement(ctx));
  if (!s->IsParent(parent)) return services::MakeError(errors::kParentNotFound);
  std::vector<std::pair<std::string, json::value>> items;
  if (type == "ACCOUNT") {
    for (const auto& [id, a] : s->accounts)
      if (a.parent == parent) items.emplace_back(id, json::object{{"Id", id}, {"Type", type}});
  } else {
    for (const auto& [id, u] : s->units)
      if (u.parent == parent) items.emplace_back(id, json::object{{"Id", id}, {"Type", type}});
  }
  CENOTE_ASSIGN_OR_RETURN(auto out, Page(params, items, "Children"));
  return out;
}

}  // namespace cenote::organizations
