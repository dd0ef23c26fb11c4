// State machines, versions, aliases and tags.
#include <algorithm>

#include "iam/directory.hpp"
#include "iam/evaluate.hpp"
#include "services/states/asl/definition.hpp"
#include "services/states/internal.hpp"

namespace cenote::states {

namespace {

constexpr std::size_t kMaxTags = 50;

Status Save(store::Transaction& txn, const std::string& arn, const ArnParts& p, std::string_view kind,
            const std::string& parent, const json::object& doc) {
  return Status::FromResult(txn.Exec(
      "INSERT OR REPLACE INTO states_machines (arn, account, region, name, kind, parent, doc) VALUES "
      "(?, ?, ?, ?, ?, ?, ?)",
      {arn, p.account, p.region, p.name, std::string(kind), parent, json::serialize(doc)}));
}

// The machine an ARN names (its own row), or StateMachineDoesNotExist.
Result<json::object> Machine(store::Transaction& txn, const std::string& arn, const RequestContext& ctx) {
  auto p = ParseArn(arn);
  if (!p || p->type != "stateMachine" || !p->qualifier.empty()) return InvalidArn(arn);
  if (p->account != ctx.account_id() || p->region != ctx.region) {
    return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  }
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn.QueryOne("SELECT doc FROM states_machines WHERE arn = ? AND kind = 'machine'", {arn}));
  if (!row) return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  return ParseDoc((*row)[0]);
}

// CreateStateMachine's roleArn: an IAM role that states.amazonaws.com may assume (AWS checks the trust policy
// when the state machine is created, and answers AccessDeniedException in these words).
Status CheckRole(const Env& env, const std::string& role_arn) {
  if (!role_arn.starts_with("arn:aws:iam::") || role_arn.find(":role/") == std::string::npos) {
    return InvalidArn(role_arn);
  }
  if (env.options.directory == nullptr) return Status::Ok();
  std::optional<iam::RoleInfo> role = env.options.directory->FindRole(role_arn);
  bool trusted = false;
  if (role && role->trust_policy.policy != nullptr) {
    iam::Request assume;
    assume.action = "sts:AssumeRole";
    assume.resource = role->arn;
    assume.principal.type = iam::PrincipalType::kService;
    assume.principal.service = std::string(kServicePrincipal);
    iam::AddPrincipalContextKeys(assume.principal, "", assume.context);
    iam::PolicySet trust;
    trust.resource = iam::PolicyRef{role->trust_policy.name, role->trust_policy.policy.get()};
    trust.resource_policy_required = true;
    trusted = iam::Evaluate(assume, trust).allowed();
  }
  if (!trusted) {
    return services::MakeError(
        errors::kAccessDenied,
        {"Neither the global service principal states.amazonaws.com, nor the regional one "
         "is authorized to assume the provided role."});
  }
  return Status::Ok();
}

Status CheckLogging(const json::object& logging) {
  const std::string level = GetString(logging, "level").value_or("OFF");
  const json::array* dest = GetArray(logging, "destinations");
  if (level != "OFF" && (dest == nullptr || dest->empty())) {
    return services::MakeError(errors::kInvalidLoggingConfiguration,
                               {"Invalid Logging Configuration: Must specify exactly one Log Destination."});
  }
  if (dest != nullptr && dest->size() > 1) {
    return services::MakeError(errors::kInvalidLoggingConfiguration,
                               {"Invalid Logging Configuration: Must specify exactly one Log Destination."});
  }
  return Status::Ok();
}

json::object DefaultLogging() { return json::object{{"level", "OFF"}, {"includeExecutionData", false}}; }

// Publishes the machine's current revision as a version (or answers the latest version when it already is
// that revision, as PublishStateMachineVersion is idempotent).
Result<json::object> Publish(store::Transaction& txn, json::object& machine, const std::string& description,
                             std::int64_t now) {
  const std::string arn = GetString(machine, "stateMachineArn").value_or("");
  if (auto latest = GetString(machine, "latestVersionArn")) {
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn.QueryOne("SELECT doc FROM states_machines WHERE arn = ?", {*latest}));
    if (row) {
      json::object v = ParseDoc((*row)[0]);
      if (GetString(v, "revisionId") == GetString(machine, "revisionId")) return v;
    }
  }
  const std::int64_t n = GetInt(machine, "nextVersion").value_or(1);
  machine["nextVersion"] = n + 1;
  const std::string version_arn = arn + ":" + std::to_string(n);
  machine["latestVersionArn"] = version_arn;
  json::object v;
  for (std::string_view k : {"name", "definition", "roleArn", "type", "loggingConfiguration",
                             "tracingConfiguration", "revisionId", "encryptionConfiguration"}) {
    if (auto it = machine.find(k); it != machine.end()) v[k] = it->value();
  }
  v["stateMachineArn"] = version_arn;
  v["status"] = "ACTIVE";
  v["creationDate"] = now;
  v["version"] = n;
  if (!description.empty()) v["description"] = description;
  auto p = ParseArn(arn);
  CENOTE_RETURN_IF_ERROR(Save(txn, version_arn, *p, "version", arn, v));
  return v;
}

json::object Public(json::object doc) {
  for (std::string_view k : {"tags", "nextVersion", "latestVersionArn", "version"}) doc.erase(k);
  return doc;
}

}  // namespace

Result<json::array> MergeTags(json::array tags, const json::array* add) {
  if (add != nullptr) {
    for (const auto& t : *add) {
      if (!t.is_object()) continue;
      const std::string key = GetString(t.as_object(), "key").value_or("");
      auto it = std::find_if(tags.begin(), tags.end(),
                             [&](const json::value& e) { return GetString(e.as_object(), "key") == key; });
      json::object entry{{"key", key}, {"value", GetString(t.as_object(), "value").value_or("")}};
      if (it != tags.end()) {
        *it = std::move(entry);
      } else {
        tags.push_back(std::move(entry));
      }
    }
  }
  if (tags.size() > kMaxTags) {
    return services::MakeError(errors::kTooManyTags, {"Too many tags: a resource can have at most 50 tags."});
  }
  return tags;
}

Result<json::object> LoadMachine(store::Transaction& txn, const std::string& arn) {
  CENOTE_ASSIGN_OR_RETURN(auto row, txn.QueryOne("SELECT doc FROM states_machines WHERE arn = ?", {arn}));
  if (!row) return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  return ParseDoc((*row)[0]);
}

Result<OperationOutput> CreateStateMachine(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "name").value_or("");
  if (!ValidName(name)) return services::MakeError(errors::kInvalidName, {name});
  const std::string definition = GetString(p, "definition").value_or("");
  CENOTE_ASSIGN_OR_RETURN(json::object parsed, asl::ParseDefinition(definition));
  const std::string role = GetString(p, "roleArn").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckRole(env, role));
  const std::string type = GetString(p, "type").value_or("STANDARD");
  json::object logging =
      GetObject(p, "loggingConfiguration") ? *GetObject(p, "loggingConfiguration") : DefaultLogging();
  CENOTE_RETURN_IF_ERROR(CheckLogging(logging));
  if (!logging.contains("level")) logging["level"] = "OFF";
  if (!logging.contains("includeExecutionData")) logging["includeExecutionData"] = false;
  const std::string arn = MachineArn(ctx.region, ctx.account_id(), name);
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto existing,
                          txn->QueryOne("SELECT doc FROM states_machines WHERE arn = ?", {arn}));
  if (existing) {
    // Idempotent for the same definition, role and type (AWS's documented behaviour); otherwise a conflict.
    json::object d = ParseDoc((*existing)[0]);
    if (GetString(d, "definition") == definition && GetString(d, "roleArn") == role &&
        GetString(d, "type") == type && !GetBool(p, "publish").value_or(false)) {
      return json::object{{"stateMachineArn", arn},
                          {"creationDate", GetInt(d, "creationDate").value_or(now)}};
    }
    return services::MakeError(errors::kStateMachineAlreadyExists, {arn});
  }
  CENOTE_ASSIGN_OR_RETURN(json::array tags, MergeTags({}, GetArray(p, "tags")));
  json::object doc{{"stateMachineArn", arn},
                   {"name", name},
                   {"status", "ACTIVE"},
                   {"definition", definition},
                   {"roleArn", role},
                   {"type", type},
                   {"creationDate", now},
                   {"loggingConfiguration", logging},
                   {"tracingConfiguration", GetObject(p, "tracingConfiguration")
                                                ? json::value(*GetObject(p, "tracingConfiguration"))
                                                : json::value(json::object{{"enabled", false}})},
                   {"revisionId", NewRevisionId()},
                   {"tags", std::move(tags)}};
  if (const json::object* enc = GetObject(p, "encryptionConfiguration"))
    doc["encryptionConfiguration"] = *enc;
  json::object out{{"stateMachineArn", arn}, {"creationDate", now}};
  if (GetBool(p, "publish").value_or(false)) {
    CENOTE_ASSIGN_OR_RETURN(json::object v,
                            Publish(*txn, doc, GetString(p, "versionDescription").value_or(""), now));
    out["stateMachineVersionArn"] = GetString(v, "stateMachineArn").value_or("");
  }
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *ParseArn(arn), "machine", "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return out;
}

Result<OperationOutput> DescribeStateMachine(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "stateMachineArn").value_or("");
  auto p = ParseArn(arn);
  if (!p || p->type != "stateMachine") return InvalidArn(arn);
  if (p->account != ctx.account_id() || p->region != ctx.region) {
    return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn->QueryOne("SELECT doc, kind FROM states_machines WHERE arn = ? AND kind != 'alias'", {arn}));
  if (!row) return services::MakeError(errors::kStateMachineDoesNotExist, {arn});
  return Public(ParseDoc((*row)[0]));
}

Result<OperationOutput> UpdateStateMachine(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "stateMachineArn").value_or("");
  const auto definition = GetString(p, "definition");
  const auto role = GetString(p, "roleArn");
  const json::object* logging = GetObject(p, "loggingConfiguration");
  const json::object* tracing = GetObject(p, "tracingConfiguration");
  if (!definition && !role && !logging && !tracing) {
    return MakeError(
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration "
        "must be specified");
  }
  if (definition) CENOTE_RETURN_IF_ERROR(Status::FromResult(asl::ParseDefinition(*definition)));
  if (role) CENOTE_RETURN_IF_ERROR(CheckRole(env, *role));
  if (logging) CENOTE_RETURN_IF_ERROR(CheckLogging(*logging));
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, Machine(*txn, arn, ctx));
  const bool changed = (definition && GetString(doc, "definition") != definition) ||
                       (role && GetString(doc, "roleArn") != role) || logging || tracing;
  if (definition) doc["definition"] = *definition;
  if (role) doc["roleArn"] = *role;
  if (logging) {
    json::object l = *logging;
    if (!l.contains("level")) l["level"] = "OFF";
    if (!l.contains("includeExecutionData")) l["includeExecutionData"] = false;
    doc["loggingConfiguration"] = std::move(l);
  }
  if (tracing) doc["tracingConfiguration"] = *tracing;
  if (changed) doc["revisionId"] = NewRevisionId();
  doc["updateDate"] = now;
  json::object out{{"updateDate", now}, {"revisionId", GetString(doc, "revisionId").value_or("")}};
  if (GetBool(p, "publish").value_or(false)) {
    CENOTE_ASSIGN_OR_RETURN(json::object v,
                            Publish(*txn, doc, GetString(p, "versionDescription").value_or(""), now));
    out["stateMachineVersionArn"] = GetString(v, "stateMachineArn").value_or("");
  }
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *ParseArn(arn), "machine", "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return out;
}

Result<OperationOutput> DeleteStateMachine(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "stateMachineArn").value_or("");
  auto p = ParseArn(arn);
  if (!p || p->type != "stateMachine") return InvalidArn(arn);
  if (!p->qualifier.empty()) {
    return services::MakeError(errors::kValidation,
                               {"Deleting a version or alias with DeleteStateMachine is not supported: use "
                                "DeleteStateMachineVersion or DeleteStateMachineAlias."});
  }
  (void)ctx;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  // Deleting a state machine that does not exist succeeds (AWS answers 200); its versions and aliases go too.
  CENOTE_RETURN_IF_ERROR(
      Status::FromResult(txn->Exec("DELETE FROM states_machines WHERE arn = ? OR parent = ?", {arn, arn})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

namespace {

// Paging of list operations: the token is the offset into the ordered list.
std::pair<std::size_t, std::size_t> Page(const json::object& p) {
  std::size_t offset = 0;
  if (auto t = GetString(p, "nextToken")) {
    try {
      offset = static_cast<std::size_t>(std::stoull(*t));
    } catch (...) {
      offset = 0;
    }
  }
  std::int64_t max = GetInt(p, "maxResults").value_or(0);
  if (max <= 0 || max > 1000) max = 100;
  return {offset, static_cast<std::size_t>(max)};
}

}  // namespace

Result<OperationOutput> ListStateMachines(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  if (auto t = GetString(p, "nextToken");
      t && (t->empty() || t->find_first_not_of("0123456789") != std::string::npos)) {
    return MakeError("InvalidToken", "Invalid Token: 'Invalid pagination token'");
  }
  auto [offset, max] = Page(p);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT doc FROM states_machines WHERE account = ? AND region = ? AND "
                                     "kind = 'machine' ORDER BY name",
                                     {ctx.account_id(), ctx.region}));
  json::array items;
  for (std::size_t i = offset; i < rows.size() && items.size() < max; ++i) {
    json::object d = ParseDoc(rows[i][0]);
    items.push_back(json::object{{"stateMachineArn", d["stateMachineArn"]},
                                 {"name", d["name"]},
                                 {"type", d["type"]},
                                 {"creationDate", d["creationDate"]}});
  }
  json::object out{{"stateMachines", std::move(items)}};
  if (offset + max < rows.size()) out["nextToken"] = std::to_string(offset + max);
  return out;
}

Result<OperationOutput> PublishStateMachineVersion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "stateMachineArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, Machine(*txn, arn, ctx));
  if (auto rev = GetString(p, "revisionId"); rev && rev != GetString(doc, "revisionId")) {
    return services::MakeError(
        errors::kConflict,
        {"Failed to publish the State Machine version for revision " + *rev +
         ". The current State Machine revision is " + GetString(doc, "revisionId").value_or("") + "."});
  }
  CENOTE_ASSIGN_OR_RETURN(json::object v,
                          Publish(*txn, doc, GetString(p, "description").value_or(""), env.Now()));
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *ParseArn(arn), "machine", "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{{"creationDate", v["creationDate"]}, {"stateMachineVersionArn", v["stateMachineArn"]}};
}

Result<OperationOutput> ListStateMachineVersions(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "stateMachineArn").value_or("");
  auto [offset, max] = Page(p);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_RETURN_IF_ERROR(Status::FromResult(Machine(*txn, arn, ctx)));
  CENOTE_ASSIGN_OR_RETURN(
      auto rows, txn->Query("SELECT doc FROM states_machines WHERE parent = ? AND kind = 'version'", {arn}));
  std::vector<json::object> versions;
  for (const auto& r : rows) versions.push_back(ParseDoc(r[0]));
  std::sort(versions.begin(), versions.end(), [](const json::object& a, const json::object& b) {
    return GetInt(a, "version").value_or(0) > GetInt(b, "version").value_or(0);
  });
  json::array items;
  for (std::size_t i = offset; i < versions.size() && items.size() < max; ++i) {
    items.push_back(json::object{{"stateMachineVersionArn", versions[i]["stateMachineArn"]},
                                 {"creationDate", versions[i]["creationDate"]}});
  }
  json::object out{{"stateMachineVersions", std::move(items)}};
  if (offset + max < versions.size()) out["nextToken"] = std::to_string(offset + max);
  return out;
}

Result<OperationOutput> DeleteStateMachineVersion(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "stateMachineVersionArn").value_or("");
  auto p = ParseArn(arn);
  if (!p || p->type != "stateMachine" || p->qualifier.empty() ||
      p->qualifier.find_first_not_of("0123456789") != std::string::npos)
    return InvalidArn(arn);
  (void)ctx;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto aliases,
                          txn->Query("SELECT doc FROM states_machines WHERE kind = 'alias' AND parent = ?",
                                     {MachineArn(p->region, p->account, p->name)}));
  for (const auto& r : aliases) {
    json::object a = ParseDoc(r[0]);
    if (const json::array* routes = GetArray(a, "routingConfiguration")) {
      for (const auto& route : *routes) {
        if (GetString(route.as_object(), "stateMachineVersionArn") == arn) {
          return services::MakeError(errors::kConflict,
                                     {"Version to be deleted must not be referenced by an alias. Current "
                                      "list of aliases referencing "
                                      "this version: [" +
                                      GetString(a, "stateMachineAliasArn").value_or("") + "]"});
        }
      }
    }
  }
  CENOTE_RETURN_IF_ERROR(
      Status::FromResult(txn->Exec("DELETE FROM states_machines WHERE arn = ? AND kind = 'version'", {arn})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

namespace {

// An alias's routingConfiguration: one or two versions of the alias's state machine, weights adding to 100.
Status CheckRouting(store::Transaction& txn, const std::string& machine_arn, const json::array& routes) {
  if (routes.empty() || routes.size() > 2) {
    return services::MakeError(
        errors::kValidation,
        {"1 validation error detected: Value at 'routingConfiguration' failed to satisfy "
         "constraint: Member must have length less than or equal to 2"});
  }
  std::int64_t total = 0;
  std::set<std::string> seen;
  for (const auto& r : routes) {
    const std::string v = GetString(r.as_object(), "stateMachineVersionArn").value_or("");
    total += GetInt(r.as_object(), "weight").value_or(0);
    auto p = ParseArn(v);
    if (!p || p->qualifier.empty() || MachineArn(p->region, p->account, p->name) != machine_arn) {
      return services::MakeError(
          errors::kValidation,
          {"Routing configuration must contain state machine version ARNs of the same state "
           "machine."});
    }
    if (!seen.insert(v).second) {
      return services::MakeError(errors::kValidation,
                                 {"Routing configuration must contain distinct state machine version ARNs."});
    }
    CENOTE_ASSIGN_OR_RETURN(
        auto row, txn.QueryOne("SELECT 1 FROM states_machines WHERE arn = ? AND kind = 'version'", {v}));
    if (!row) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + v + "'"});
  }
  if (total != 100) {
    return services::MakeError(errors::kValidation,
                               {"Sum of routing configuration weights must be equal to 100."});
  }
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> CreateStateMachineAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string name = GetString(p, "name").value_or("");
  if (!ValidName(name) || name.find_first_not_of("0123456789") == std::string::npos) {
    return services::MakeError(errors::kInvalidName, {name});
  }
  const json::array* routes = GetArray(p, "routingConfiguration");
  if (routes == nullptr || routes->empty()) {
    return services::MakeError(errors::kValidation, {"routingConfiguration is required"});
  }
  auto first = ParseArn(GetString(routes->front().as_object(), "stateMachineVersionArn").value_or(""));
  if (!first)
    return InvalidArn(GetString(routes->front().as_object(), "stateMachineVersionArn").value_or(""));
  const std::string machine = MachineArn(first->region, first->account, first->name);
  const std::string arn = machine + ":" + name;
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(Status::FromResult(Machine(*txn, machine, ctx)));
  CENOTE_RETURN_IF_ERROR(CheckRouting(*txn, machine, *routes));
  CENOTE_ASSIGN_OR_RETURN(auto existing,
                          txn->QueryOne("SELECT doc FROM states_machines WHERE arn = ?", {arn}));
  if (existing) {
    json::object d = ParseDoc((*existing)[0]);
    if (d["routingConfiguration"] == json::value(*routes) &&
        GetString(d, "description").value_or("") == GetString(p, "description").value_or("")) {
      return json::object{{"stateMachineAliasArn", arn}, {"creationDate", d["creationDate"]}};
    }
    return services::MakeError(errors::kConflict,
                               {"Failed to create alias because an alias with the same name and a different "
                                "routing configuration already exists."});
  }
  json::object doc{{"stateMachineAliasArn", arn},
                   {"name", name},
                   {"routingConfiguration", *routes},
                   {"creationDate", now},
                   {"updateDate", now}};
  if (auto d = GetString(p, "description")) doc["description"] = *d;
  auto parts = ParseArn(machine);
  parts->name = first->name;
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *parts, "alias", machine, doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{{"stateMachineAliasArn", arn}, {"creationDate", now}};
}

Result<OperationOutput> DescribeStateMachineAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "stateMachineAliasArn").value_or("");
  auto p = ParseArn(arn);
  if (!p || p->qualifier.empty()) return InvalidArn(arn);
  (void)ctx;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(
      auto row, txn->QueryOne("SELECT doc FROM states_machines WHERE arn = ? AND kind = 'alias'", {arn}));
  if (!row) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  return ParseDoc((*row)[0]);
}

Result<OperationOutput> UpdateStateMachineAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "stateMachineAliasArn").value_or("");
  auto parts = ParseArn(arn);
  if (!parts || parts->qualifier.empty()) return InvalidArn(arn);
  (void)ctx;
  const std::int64_t now = env.Now();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT doc, parent FROM states_machines WHERE arn = ? AND kind = "
                                        "'alias'",
                                        {arn}));
  if (!row) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  json::object doc = ParseDoc((*row)[0]);
  if (const json::array* routes = GetArray(p, "routingConfiguration")) {
    CENOTE_RETURN_IF_ERROR(CheckRouting(*txn, store::AsText((*row)[1]), *routes));
    doc["routingConfiguration"] = *routes;
  }
  if (auto d = GetString(p, "description")) doc["description"] = *d;
  doc["updateDate"] = now;
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *parts, "alias", store::AsText((*row)[1]), doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{{"updateDate", now}};
}

Result<OperationOutput> DeleteStateMachineAlias(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "stateMachineAliasArn").value_or("");
  auto parts = ParseArn(arn);
  if (!parts || parts->qualifier.empty()) return InvalidArn(arn);
  (void)ctx;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(
      Status::FromResult(txn->Exec("DELETE FROM states_machines WHERE arn = ? AND kind = 'alias'", {arn})));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> ListStateMachineAliases(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "stateMachineArn").value_or("");
  auto [offset, max] = Page(p);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_RETURN_IF_ERROR(Status::FromResult(Machine(*txn, arn, ctx)));
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT doc FROM states_machines WHERE parent = ? AND kind = 'alias' "
                                     "ORDER BY arn",
                                     {arn}));
  json::array items;
  for (std::size_t i = offset; i < rows.size() && items.size() < max; ++i) {
    json::object d = ParseDoc(rows[i][0]);
    items.push_back(json::object{{"stateMachineAliasArn", d["stateMachineAliasArn"]},
                                 {"creationDate", d["creationDate"]}});
  }
  json::object out{{"stateMachineAliases", std::move(items)}};
  if (offset + max < rows.size()) out["nextToken"] = std::to_string(offset + max);
  return out;
}

Result<OperationOutput> ValidateStateMachineDefinition(Env& env, const RequestContext& ctx,
                                                       OperationInput& in) {
  (void)env;
  (void)ctx;
  const std::string definition = GetString(in.params.as_object(), "definition").value_or("");
  json::array diagnostics;
  for (const auto& d : asl::CheckDefinition(definition)) {
    json::object o{{"severity", "ERROR"}, {"code", d.code}, {"message", d.message}};
    if (!d.location.empty()) o["location"] = d.location;
    diagnostics.push_back(std::move(o));
  }
  const bool ok = diagnostics.empty();
  return json::object{
      {"result", ok ? "OK" : "FAIL"}, {"diagnostics", std::move(diagnostics)}, {"truncated", false}};
}

// ---- tags (state machines)

namespace {

std::string_view KindOfArn(const std::string& arn) {
  auto p = ParseArn(arn);
  return p && p->type == "activity" ? "activity" : "machine";
}

Result<json::object> TaggedMachine(store::Transaction& txn, const std::string& arn,
                                   const RequestContext& ctx) {
  auto p = ParseArn(arn);
  if (!p || (p->type != "stateMachine" && p->type != "activity")) return InvalidArn(arn);
  if (p->type == "activity") {
    CENOTE_ASSIGN_OR_RETURN(
        auto row,
        txn.QueryOne("SELECT doc FROM states_machines WHERE arn = ? AND kind = 'activity' AND account = ? "
                     "AND region = ?",
                     {arn, ctx.account_id(), ctx.region}));
    if (!row) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
    return ParseDoc((*row)[0]);
  }
  auto m = Machine(txn, arn, ctx);
  if (!m) return services::MakeError(errors::kResourceNotFound, {"Resource not found: '" + arn + "'"});
  return m;
}

}  // namespace

Result<OperationOutput> TagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "resourceArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, TaggedMachine(*txn, arn, ctx));
  json::array tags = GetArray(doc, "tags") ? *GetArray(doc, "tags") : json::array{};
  CENOTE_ASSIGN_OR_RETURN(doc["tags"], MergeTags(std::move(tags), GetArray(p, "tags")));
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *ParseArn(arn), KindOfArn(arn), "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> UntagResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const json::object& p = in.params.as_object();
  const std::string arn = GetString(p, "resourceArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, TaggedMachine(*txn, arn, ctx));
  std::set<std::string> remove;
  if (const json::array* keys = GetArray(p, "tagKeys")) {
    for (const auto& k : *keys) {
      if (k.is_string()) remove.emplace(k.get_string());
    }
  }
  json::array kept;
  if (const json::array* tags = GetArray(doc, "tags")) {
    for (const auto& t : *tags) {
      if (!remove.contains(GetString(t.as_object(), "key").value_or(""))) kept.push_back(t);
    }
  }
  doc["tags"] = std::move(kept);
  CENOTE_RETURN_IF_ERROR(Save(*txn, arn, *ParseArn(arn), KindOfArn(arn), "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return json::object{};
}

Result<OperationOutput> ListTagsForResource(Env& env, const RequestContext& ctx, OperationInput& in) {
  const std::string arn = GetString(in.params.as_object(), "resourceArn").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.metadata.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(json::object doc, TaggedMachine(*txn, arn, ctx));
  return json::object{
      {"tags", GetArray(doc, "tags") ? json::value(*GetArray(doc, "tags")) : json::value(json::array{})}};
}

}  // namespace cenote::states
