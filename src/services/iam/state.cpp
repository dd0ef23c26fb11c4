// The IAM provider's persistence (entity documents in the MetadataStore, access-key use) and the snapshots
// the identity seams answer from (IamDirectory).
#include <spdlog/spdlog.h>

#include "common/strings.hpp"
#include "iam/evaluate.hpp"
#include "services/iam/internal.hpp"

namespace cenote::iam {

namespace {

json::array TagsDoc(const Tags& tags) {
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::array{json::string(k), json::string(v)});
  return out;
}
Tags TagsFrom(const json::object& doc) {
  Tags out;
  if (const auto* arr = GetArray(doc, "tags"))
    for (const auto& t : *arr)
      if (t.is_array() && t.as_array().size() == 2 && t.as_array()[0].is_string() &&
          t.as_array()[1].is_string())
        out.emplace_back(std::string(t.as_array()[0].as_string()), std::string(t.as_array()[1].as_string()));
  return out;
}
json::array StringsDoc(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.push_back(json::string(s));
  return out;
}
std::vector<std::string> StringsFrom(const json::object& doc, std::string_view name) {
  std::vector<std::string> out;
  if (const auto* arr = GetArray(doc, name))
    for (const auto& s : *arr)
      if (s.is_string()) out.emplace_back(s.as_string());
  return out;
}
json::array InlineDoc(const std::vector<InlinePolicy>& v) {
  json::array out;
  for (const auto& p : v) out.push_back(json::object{{"name", p.name}, {"document", p.document}});
  return out;
}
std::vector<InlinePolicy> InlineFrom(const json::object& doc) {
  std::vector<InlinePolicy> out;
  if (const auto* arr = GetArray(doc, "policies"))
    for (const auto& p : *arr)
      if (p.is_object())
        out.push_back({GetString(p.as_object(), "name").value_or(""),
                       GetString(p.as_object(), "document").value_or("")});
  return out;
}
void Common(json::object& o, const std::string& name, const std::string& path, const std::string& id,
            std::int64_t created) {
  o["name"] = name;
  o["path"] = path;
  o["id"] = id;
  o["created"] = created;
}
template <typename T>
void CommonFrom(T& e, const json::object& doc) {
  e.name = GetString(doc, "name").value_or("");
  e.path = GetString(doc, "path").value_or("/");
  e.id = GetString(doc, "id").value_or("");
  e.created_ms = GetInt(doc, "created").value_or(0);
}

}  // namespace

json::object ToDoc(const User& u) {
  json::object o;
  Common(o, u.name, u.path, u.id, u.created_ms);
  o["tags"] = TagsDoc(u.tags);
  o["policies"] = InlineDoc(u.policies);
  o["attached"] = StringsDoc(u.attached);
  o["boundary"] = u.boundary;
  o["groups"] = StringsDoc(u.groups);
  json::array keys;
  for (const auto& k : u.keys)
    keys.push_back(
        json::object{{"id", k.id}, {"secret", k.secret}, {"status", k.status}, {"created", k.created_ms}});
  o["keys"] = std::move(keys);
  return o;
}

json::object ToDoc(const Group& g) {
  json::object o;
  Common(o, g.name, g.path, g.id, g.created_ms);
  o["policies"] = InlineDoc(g.policies);
  o["attached"] = StringsDoc(g.attached);
  return o;
}

json::object ToDoc(const Role& r) {
  json::object o;
  Common(o, r.name, r.path, r.id, r.created_ms);
  o["trust"] = r.trust;
  o["description"] = r.description;
  o["max_session"] = r.max_session_s;
  o["boundary"] = r.boundary;
  o["tags"] = TagsDoc(r.tags);
  o["policies"] = InlineDoc(r.policies);
  o["attached"] = StringsDoc(r.attached);
  o["service_linked"] = r.service_linked;
  return o;
}

json::object ToDoc(const PolicyEntity& p) {
  json::object o;
  Common(o, p.name, p.path, p.id, p.created_ms);
  o["description"] = p.description;
  o["updated"] = p.updated_ms;
  o["default"] = p.default_version;
  o["next"] = p.next_version;
  o["tags"] = TagsDoc(p.tags);
  json::array versions;
  for (const auto& v : p.versions)
    versions.push_back(json::object{{"id", v.id}, {"document", v.document}, {"created", v.created_ms}});
  o["versions"] = std::move(versions);
  return o;
}

json::object ToDoc(const InstanceProfile& p) {
  json::object o;
  Common(o, p.name, p.path, p.id, p.created_ms);
  o["roles"] = StringsDoc(p.roles);
  o["tags"] = TagsDoc(p.tags);
  return o;
}

json::object ToDoc(const OidcProvider& p) {
  return json::object{{"url", p.url},
                      {"client_ids", StringsDoc(p.client_ids)},
                      {"thumbprints", StringsDoc(p.thumbprints)},
                      {"created", p.created_ms},
                      {"tags", TagsDoc(p.tags)}};
}

json::object AccountDoc(const AccountState& a) {
  json::object o{{"aliases", StringsDoc(a.aliases)}};
  if (a.password_policy) o["password_policy"] = *a.password_policy;
  json::array keys;
  for (const auto& k : a.root_keys)
    keys.push_back(
        json::object{{"id", k.id}, {"secret", k.secret}, {"status", k.status}, {"created", k.created_ms}});
  o["root_keys"] = std::move(keys);
  return o;
}

Status LoadRow(AccountState& a, const std::string& account, std::string_view kind, const json::object& doc) {
  if (kind == kUserKind) {
    User u;
    CommonFrom(u, doc);
    u.tags = TagsFrom(doc);
    u.policies = InlineFrom(doc);
    u.attached = StringsFrom(doc, "attached");
    u.boundary = GetString(doc, "boundary").value_or("");
    u.groups = StringsFrom(doc, "groups");
    if (const auto* keys = GetArray(doc, "keys"))
      for (const auto& k : *keys) {
        if (!k.is_object()) continue;
        const auto& ko = k.as_object();
        u.keys.push_back({GetString(ko, "id").value_or(""), GetString(ko, "secret").value_or(""),
                          GetString(ko, "status").value_or("Active"), GetInt(ko, "created").value_or(0)});
      }
    a.users[Lower(u.name)] = std::move(u);
  } else if (kind == kGroupKind) {
    Group g;
    CommonFrom(g, doc);
    g.policies = InlineFrom(doc);
    g.attached = StringsFrom(doc, "attached");
    a.groups[Lower(g.name)] = std::move(g);
  } else if (kind == kRoleKind) {
    Role r;
    CommonFrom(r, doc);
    r.trust = GetString(doc, "trust").value_or("");
    r.description = GetString(doc, "description").value_or("");
    r.max_session_s = GetInt(doc, "max_session").value_or(3600);
    r.boundary = GetString(doc, "boundary").value_or("");
    r.tags = TagsFrom(doc);
    r.policies = InlineFrom(doc);
    r.attached = StringsFrom(doc, "attached");
    r.service_linked = GetString(doc, "service_linked").value_or("");
    a.roles[Lower(r.name)] = std::move(r);
  } else if (kind == kPolicyKind) {
    PolicyEntity p;
    CommonFrom(p, doc);
    p.account = account;
    p.description = GetString(doc, "description").value_or("");
    p.updated_ms = GetInt(doc, "updated").value_or(p.created_ms);
    p.default_version = GetString(doc, "default").value_or("v1");
    p.next_version = GetInt(doc, "next").value_or(2);
    p.tags = TagsFrom(doc);
    if (const auto* versions = GetArray(doc, "versions"))
      for (const auto& v : *versions) {
        if (!v.is_object()) continue;
        const auto& vo = v.as_object();
        p.versions.push_back({GetString(vo, "id").value_or(""), GetString(vo, "document").value_or(""),
                              GetInt(vo, "created").value_or(0)});
      }
    a.policies[Lower(p.name)] = std::move(p);
  } else if (kind == kProfileKind) {
    InstanceProfile p;
    CommonFrom(p, doc);
    p.roles = StringsFrom(doc, "roles");
    p.tags = TagsFrom(doc);
    a.profiles[Lower(p.name)] = std::move(p);
  } else if (kind == kOidcKind) {
    OidcProvider p;
    p.url = GetString(doc, "url").value_or("");
    p.client_ids = StringsFrom(doc, "client_ids");
    p.thumbprints = StringsFrom(doc, "thumbprints");
    p.created_ms = GetInt(doc, "created").value_or(0);
    p.tags = TagsFrom(doc);
    a.oidc[p.url] = std::move(p);
  } else if (kind == kAccountKind) {
    a.aliases = StringsFrom(doc, "aliases");
    if (const auto* pp = GetObject(doc, "password_policy")) a.password_policy = *pp;
    a.root_keys.clear();
    if (const auto* keys = GetArray(doc, "root_keys"))
      for (const auto& k : *keys) {
        if (!k.is_object()) continue;
        const auto& ko = k.as_object();
        a.root_keys.push_back({GetString(ko, "id").value_or(""), GetString(ko, "secret").value_or(""),
                               GetString(ko, "status").value_or("Active"),
                               GetInt(ko, "created").value_or(0)});
      }
  } else {
    return InternalError("unknown IAM entity kind " + std::string(kind));
  }
  return Status::Ok();
}

// ---- Env

Env::Env(store::MetadataStore& metadata_store, IamOptions iam_options)
    : metadata(metadata_store), options(std::move(iam_options)) {}

Status Env::Persist(const std::string& account, const std::vector<Change>& changes) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  for (const Change& c : changes) {
    if (c.doc) {
      CENOTE_RETURN_IF_ERROR(
          txn->Exec("INSERT INTO iam_entities (account, kind, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT "
                    "(account, kind, "
                    "name) DO UPDATE SET doc = excluded.doc",
                    {account, std::string(c.kind), c.key, json::serialize(*c.doc)}));
    } else {
      CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM iam_entities WHERE account = ? AND kind = ? AND name = ?",
                                       {account, std::string(c.kind), c.key}));
    }
  }
  return txn->Commit();
}

Status Env::FlushKeyUse() {
  std::unordered_map<std::string, KeyUse> dirty;
  {
    MutexLock lock(usage_mu);
    dirty.swap(key_use_dirty);
  }
  if (dirty.empty()) return Status::Ok();
  auto write = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
    for (const auto& [id, use] : dirty)
      CENOTE_RETURN_IF_ERROR(txn->Exec(
          "INSERT INTO iam_key_use (key_id, used_ms, service, region) VALUES (?, ?, ?, ?) ON CONFLICT "
          "(key_id) DO "
          "UPDATE SET used_ms = excluded.used_ms, service = excluded.service, region = excluded.region",
          {id, use.ms, use.service, use.region}));
    return txn->Commit();
  };
  Status s = write();
  if (!s) {  // keep them for the next round (newer uses recorded meanwhile win)
    MutexLock lock(usage_mu);
    for (auto& [id, use] : dirty) key_use_dirty.try_emplace(id, std::move(use));
  }
  return s;
}

std::shared_ptr<const AccountSnapshot> Env::SnapshotOf(std::string_view account) const {
  MutexLock lock(snapshot_mu);
  auto it = snapshots.find(std::string(account));
  return it == snapshots.end() ? nullptr : it->second;
}

namespace {

// The compiled AWS-managed policies (default versions), by ARN: built once.
const std::unordered_map<std::string, std::shared_ptr<const Policy>>& AwsManagedCompiled() {
  static const auto* compiled = [] {
    auto* out = new std::unordered_map<std::string, std::shared_ptr<const Policy>>();
    for (const auto& [arn, p] : AwsManagedPolicies()) {
      const PolicyVersion* v = p.Default();
      if (v == nullptr) continue;
      auto parsed = ParsePolicy(v->document, PolicyKind::kIdentity);
      if (!parsed) {
        spdlog::error("iam: AWS-managed policy {} does not parse: {}", arn, parsed.error().message);
        continue;
      }
      (*out)[arn] = std::make_shared<const Policy>(std::move(*parsed));
    }
    return out;
  }();
  return *compiled;
}

}  // namespace

void Env::Publish(const std::string& account) {
  auto snap = std::make_shared<AccountSnapshot>();
  snap->account_id = account;
  const AccountState& a = accounts[account];

  auto compile = [&](const std::string& text, PolicyKind kind) -> std::shared_ptr<const Policy> {
    auto p = cache.Get(text, kind);
    if (!p) {
      spdlog::error("iam: a stored policy of account {} does not parse: {}", account, p.error().message);
      return nullptr;
    }
    return *p;
  };
  // Default versions of the account's own managed policies.
  for (const auto& [key, p] : a.policies)
    if (const PolicyVersion* v = p.Default())
      if (auto c = compile(v->document, PolicyKind::kIdentity)) snap->managed[p.Arn()] = c;
  auto managed = [&](const std::string& arn) -> std::shared_ptr<const Policy> {
    if (auto it = snap->managed.find(arn); it != snap->managed.end()) return it->second;
    const auto& aws = AwsManagedCompiled();
    if (auto it = aws.find(arn); it != aws.end()) return it->second;
    return nullptr;
  };
  auto add_inline = [&](std::vector<NamedPolicy>& out, const std::string& owner,
                        const std::vector<InlinePolicy>& v) {
    for (const auto& p : v)
      if (auto c = compile(p.document, PolicyKind::kIdentity)) out.push_back({owner + "/" + p.name, c});
  };
  auto add_attached = [&](std::vector<NamedPolicy>& out, const std::vector<std::string>& arns) {
    for (const auto& arn : arns)
      if (auto c = managed(arn)) out.push_back({arn, c});
  };
  auto boundary = [&](const std::string& arn) -> std::optional<NamedPolicy> {
    if (arn.empty()) return std::nullopt;
    const PolicyEntity* p = FindManagedPolicy(a, account, arn);
    const PolicyVersion* v = p == nullptr ? nullptr : p->Default();
    if (v == nullptr) return std::nullopt;
    if (auto c = compile(v->document, PolicyKind::kBoundary)) return NamedPolicy{arn, c};
    return std::nullopt;
  };

  for (const auto& k : a.root_keys) {
    if (k.status != "Active") continue;
    AccessKeyRecord rec;
    rec.secret_access_key = k.secret;
    rec.principal = RootPrincipal(account);
    rec.principal.access_key_id = k.id;
    snap->keys[k.id] = std::move(rec);
  }
  for (const auto& [key, u] : a.users) {
    auto e = std::make_shared<EntityPolicies>();
    e->type = PrincipalType::kUser;
    e->account_id = account;
    e->arn = UserArn(account, u);
    e->id = u.id;
    e->name = u.name;
    add_inline(e->identity, u.name, u.policies);
    add_attached(e->identity, u.attached);
    for (const auto& gkey : u.groups) {
      auto g = a.groups.find(gkey);
      if (g == a.groups.end()) continue;
      add_inline(e->identity, g->second.name, g->second.policies);
      add_attached(e->identity, g->second.attached);
    }
    e->boundary = boundary(u.boundary);
    e->tags = u.tags;
    for (const auto& k : u.keys) {
      if (k.status != "Active") continue;
      AccessKeyRecord rec;
      rec.secret_access_key = k.secret;
      Principal& p = rec.principal;
      p.type = PrincipalType::kUser;
      p.account_id = account;
      p.arn = e->arn;
      p.entity_arn = e->arn;
      p.user_id = u.id;
      p.canonical_id = CanonicalUserId(account);
      p.display_name = u.name;
      p.access_key_id = k.id;
      snap->keys[k.id] = std::move(rec);
    }
    snap->entities["user/" + key] = std::move(e);
  }
  for (const auto& [key, r] : a.roles) {
    auto e = std::make_shared<EntityPolicies>();
    e->type = PrincipalType::kAssumedRole;
    e->account_id = account;
    e->arn = RoleArn(account, r);
    e->id = r.id;
    e->name = r.name;
    add_inline(e->identity, r.name, r.policies);
    add_attached(e->identity, r.attached);
    e->boundary = boundary(r.boundary);
    e->tags = r.tags;
    RoleInfo info;
    info.account_id = account;
    info.arn = e->arn;
    info.id = r.id;
    info.name = r.name;
    info.path = r.path;
    info.trust_policy = NamedPolicy{"trust policy", compile(r.trust, PolicyKind::kTrust)};
    info.max_session_duration_s = r.max_session_s;
    info.tags = r.tags;
    snap->roles[key] = std::move(info);
    snap->entities["role/" + key] = std::move(e);
  }
  for (const auto& [url, p] : a.oidc) {
    OidcProviderInfo info;
    info.account_id = account;
    info.arn = OidcArn(account, p);
    info.url = p.url;
    info.client_ids = p.client_ids;
    info.thumbprints = p.thumbprints;
    info.created_ms = p.created_ms;
    for (const auto& [k, v] : p.tags) {
      if (k == "cenote:jwks") info.jwks = v;
    }
    snap->oidc.push_back(std::move(info));
  }
  MutexLock lock(snapshot_mu);
  snapshots[account] = std::move(snap);
}

// ---- IamDirectory

namespace {

// Splits "arn:aws:iam::<account>:<type>/<path/><name>": account, type, the resource after "<type>/", name.
struct IamArn {
  std::string account, type, rest, name;
};
std::optional<IamArn> SplitIamArn(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (arn.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  arn.remove_prefix(kPrefix.size());
  auto colon = arn.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  IamArn out;
  out.account = std::string(arn.substr(0, colon));
  std::string_view resource = arn.substr(colon + 1);
  auto slash = resource.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  out.type = std::string(resource.substr(0, slash));
  out.rest = std::string(resource.substr(slash + 1));
  auto last = resource.rfind('/');
  out.name = std::string(resource.substr(last + 1));
  if (out.name.empty()) return std::nullopt;
  return out;
}

// True when `arn` names `entity_arn` exactly, or by name alone ("role/name" for a role with a path).
bool SameEntity(const IamArn& given, std::string_view entity_arn) {
  if (given.rest == given.name) return true;  // no path given
  auto full = SplitIamArn(entity_arn);
  return full && EqualsIgnoreAsciiCase(full->rest, given.rest);
}

std::string StripScheme(std::string_view url) {
  if (StartsWithIgnoreAsciiCase(url, "https://")) url.remove_prefix(8);
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

}  // namespace

std::shared_ptr<const EntityPolicies> IamDirectory::PoliciesOf(std::string_view entity_arn) const {
  auto arn = SplitIamArn(entity_arn);
  if (!arn || (arn->type != "user" && arn->type != "role")) return nullptr;
  auto snap = env_.SnapshotOf(arn->account);
  if (!snap) return nullptr;
  auto it = snap->entities.find(arn->type + "/" + Lower(arn->name));
  if (it == snap->entities.end() || !SameEntity(*arn, it->second->arn)) return nullptr;
  return it->second;
}

std::optional<RoleInfo> IamDirectory::FindRole(std::string_view role_arn) const {
  auto arn = SplitIamArn(role_arn);
  if (!arn || arn->type != "role") return std::nullopt;
  auto snap = env_.SnapshotOf(arn->account);
  if (!snap) return std::nullopt;
  auto it = snap->roles.find(Lower(arn->name));
  if (it == snap->roles.end() || !SameEntity(*arn, it->second.arn)) return std::nullopt;
  return it->second;
}

std::shared_ptr<const Policy> IamDirectory::ManagedPolicy(std::string_view policy_arn) const {
  const auto& aws = AwsManagedCompiled();
  if (auto it = aws.find(std::string(policy_arn)); it != aws.end()) return it->second;
  auto arn = SplitIamArn(policy_arn);
  if (!arn || arn->type != "policy") return nullptr;
  auto snap = env_.SnapshotOf(arn->account);
  if (!snap) return nullptr;
  auto it = snap->managed.find(std::string(policy_arn));
  return it == snap->managed.end() ? nullptr : it->second;
}

std::optional<AccessKeyRecord> IamDirectory::Lookup(std::string_view access_key_id) const {
  if (access_key_id.substr(0, 4) != "AKIA") return std::nullopt;
  std::vector<std::shared_ptr<const AccountSnapshot>> snaps;
  {
    MutexLock lock(env_.snapshot_mu);
    for (const auto& [account, s] : env_.snapshots) snaps.push_back(s);
  }
  for (const auto& s : snaps)
    if (auto it = s->keys.find(std::string(access_key_id)); it != s->keys.end()) return it->second;
  return std::nullopt;
}

void IamDirectory::RecordUse(std::string_view access_key_id, std::string_view service,
                             std::string_view region, std::int64_t now_ms) const {
  MutexLock lock(env_.usage_mu);
  // Last use is kept to the second (AWS reports it coarser still): a key's requests within one second of its
  // recorded use, to the same service and region, change nothing (the hot path of a busy key: no allocation).
  auto it = env_.key_use.find(std::string(access_key_id));
  if (it != env_.key_use.end() && now_ms - it->second.ms < 1000 && it->second.service == service &&
      it->second.region == region) {
    return;
  }
  KeyUse use{now_ms, std::string(service), std::string(region)};
  env_.key_use[std::string(access_key_id)] = use;
  env_.key_use_dirty[std::string(access_key_id)] = std::move(use);
}

std::optional<OidcProviderInfo> IamDirectory::FindByUrl(std::string_view account_id,
                                                        std::string_view issuer) const {
  auto snap = env_.SnapshotOf(account_id);
  if (!snap) return std::nullopt;
  const std::string url = StripScheme(issuer);
  for (const auto& p : snap->oidc)
    if (EqualsIgnoreAsciiCase(p.url, url)) return p;
  return std::nullopt;
}

std::optional<OidcProviderInfo> IamDirectory::FindByArn(std::string_view arn) const {
  auto split = SplitIamArn(arn);
  if (!split || split->type != "oidc-provider") return std::nullopt;
  auto snap = env_.SnapshotOf(split->account);
  if (!snap) return std::nullopt;
  for (const auto& p : snap->oidc)
    if (p.arn == arn) return p;
  return std::nullopt;
}

Result<ResourceFacts> IamDirectory::Facts(const RequestPrincipal& principal, std::string_view,
                                          std::string_view resource_arn) const {
  ResourceFacts facts;
  auto arn = SplitIamArn(resource_arn);
  if (!arn) return facts;
  // AWS-managed policies (arn:aws:iam::aws:policy/...) are every account's to read and attach: the caller's
  // own account owns them as far as evaluation goes (otherwise "aws" would make every call cross-account).
  if (arn->account == "aws") {
    facts.owner_account = principal.account_id;
    return facts;
  }
  // aws:ResourceTag/ of users and roles (IAM supports it for both).
  if (arn->type == "user" || arn->type == "role")
    if (auto e = PoliciesOf(resource_arn))
      for (const auto& [k, v] : e->tags) facts.keys.Set("aws:ResourceTag/" + k, v);
  return facts;
}

Result<std::string> IamDirectory::Lookup(std::string_view name, std::span<const std::string> args) const {
  if (name == "OidcProviderName" && args.size() == 1) return StripScheme(args[0]);
  if (args.size() != 2) return ResourceAuthority::Lookup(name, args);
  MutexLock lock(env_.mu);
  if (name == "AccessKeyUser") {  // "<path><name>" of the key's owner in the account ("/" when none)
    if (auto acc = env_.accounts.find(args[0]); acc != env_.accounts.end())
      for (const auto& [key, u] : acc->second.users)
        for (const auto& k : u.keys)
          if (k.id == args[1]) return u.path + u.name;
    return std::string("/");
  }
  auto acc = env_.accounts.find(args[0]);
  const std::string key = Lower(args[1]);
  auto path_of = [&](const auto& map) -> std::string {
    auto it = map.find(key);
    return it == map.end() ? std::string("/") : it->second.path;
  };
  if (name == "UserPath") return acc == env_.accounts.end() ? "/" : path_of(acc->second.users);
  if (name == "GroupPath") return acc == env_.accounts.end() ? "/" : path_of(acc->second.groups);
  if (name == "RolePath") return acc == env_.accounts.end() ? "/" : path_of(acc->second.roles);
  if (name == "InstanceProfilePath") return acc == env_.accounts.end() ? "/" : path_of(acc->second.profiles);
  return ResourceAuthority::Lookup(name, args);
}

}  // namespace cenote::iam
