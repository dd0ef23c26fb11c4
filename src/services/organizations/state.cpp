// The state's helpers, ids and ARNs, its stored documents, the seam's snapshot, and the input readers.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "services/organizations/internal.hpp"

namespace cenote::organizations {

const std::vector<ErrorSpec>& ErrorTable() {
  using namespace errors;
  static const std::vector<ErrorSpec> kTable = {
      kNotInUse,
      kAccessDenied,
      kAlreadyInOrganization,
      kOrganizationNotEmpty,
      kAccountNotFound,
      kCreateAccountStatusNotFound,
      kOrganizationalUnitNotFound,
      kParentNotFound,
      kSourceParentNotFound,
      kDestinationParentNotFound,
      kChildNotFound,
      kRootNotFound,
      kPolicyNotFound,
      kTargetNotFound,
      kDuplicateAccount,
      kAccountAlreadyClosed,
      kMasterCannotLeave,
      kDuplicateOrganizationalUnit,
      kOrganizationalUnitNotEmpty,
      kDuplicatePolicy,
      kDuplicatePolicyAttachment,
      kPolicyNotAttached,
      kPolicyInUse,
      kPolicyTypeAlreadyEnabled,
      kPolicyTypeNotEnabled,
      kPolicyTypeNotAvailable,
      kMalformedPolicyDocument,
      kConstraintViolation,
      kInvalidInput,
  };
  return kTable;
}

// ---- State

const Account* State::FindMember(std::string_view id) const {
  auto it = accounts.find(std::string(id));
  if (it == accounts.end() || it->second.parent.empty()) return nullptr;
  return &it->second;
}

int State::Depth(std::string_view parent) const { return static_cast<int>(PathTo(parent).size()) - 1; }

std::vector<std::string> State::PathTo(std::string_view parent) const {
  std::vector<std::string> path;
  std::string at(parent);
  // Bounded: a parent chain is at most kMaxOuDepth OUs long; the bound guards a corrupt document.
  for (int i = 0; i <= kMaxOuDepth + 1 && !at.empty(); ++i) {
    path.push_back(at);
    if (IsRoot(at)) break;
    auto it = units.find(at);
    if (it == units.end()) break;
    at = it->second.parent;
  }
  std::reverse(path.begin(), path.end());
  return path;
}

bool State::PolicyTypeEnabled(std::string_view type) const {
  return org && std::find(org->root_policy_types.begin(), org->root_policy_types.end(), type) !=
                    org->root_policy_types.end();
}

std::vector<const PolicyRecord*> State::AttachedTo(std::string_view target, std::string_view type) const {
  std::vector<const PolicyRecord*> out;
  for (const auto& [id, p] : policies) {
    if (p.type == type && p.targets.count(std::string(target))) out.push_back(&p);
  }
  return out;
}

// ---- ids and ARNs

std::string RandomLowerAlnum(std::size_t n) {
  static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string bytes = RandomBytes(n);
  std::string out;
  out.reserve(n);
  // 256 % 36 != 0: the slight bias is irrelevant for ids that only need to be unique.
  for (unsigned char c : bytes) out.push_back(kChars[c % kChars.size()]);
  return out;
}

namespace {
std::string Prefix(const Organization& org) {
  return "arn:aws:organizations::" + org.management_account + ":";
}

bool AllOf(std::string_view s, bool (*ok)(char)) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return ok(c); });
}
bool LowerAlnum(char c) { return IsAsciiDigit(c) || (c >= 'a' && c <= 'z'); }
bool PolicyIdChar(char c) { return IsAsciiAlnum(c) || c == '_'; }
bool Digit(char c) { return IsAsciiDigit(c); }
}  // namespace

std::string OrganizationArn(const Organization& org) { return Prefix(org) + "organization/" + org.id; }
std::string RootArn(const Organization& org) { return Prefix(org) + "root/" + org.id + "/" + org.root_id; }
std::string AccountArn(const Organization& org, std::string_view account_id) {
  return Prefix(org) + "account/" + org.id + "/" + std::string(account_id);
}
std::string UnitArn(const Organization& org, std::string_view ou_id) {
  return Prefix(org) + "ou/" + org.id + "/" + std::string(ou_id);
}
std::string PolicyArn(const Organization& org, std::string_view id, std::string_view type, bool aws_managed) {
  // AWS-managed policies belong to no organization: arn:aws:organizations::aws:policy/<type>/p-FullAWSAccess.
  if (aws_managed)
    return "arn:aws:organizations::aws:policy/" + LowerPolicyType(type) + "/" + std::string(id);
  return Prefix(org) + "policy/" + org.id + "/" + LowerPolicyType(type) + "/" + std::string(id);
}
std::string PolicyArn(const Organization& org, const PolicyRecord& policy) {
  return PolicyArn(org, policy.id, policy.type, policy.aws_managed);
}

std::optional<std::string> TargetArn(const State& s, std::string_view id) {
  if (!s.org) return std::nullopt;
  if (IsRootId(id)) return Prefix(*s.org) + "root/" + s.org->id + "/" + std::string(id);
  if (IsUnitId(id)) return UnitArn(*s.org, id);
  if (IsAccountId(id)) return AccountArn(*s.org, id);
  if (IsPolicyId(id)) {
    auto it = s.policies.find(std::string(id));
    if (it != s.policies.end()) return PolicyArn(*s.org, it->second);
  }
  return std::nullopt;
}

bool IsAccountId(std::string_view id) { return id.size() == 12 && AllOf(id, Digit); }
bool IsRootId(std::string_view id) {
  return id.size() >= 6 && id.size() <= 34 && id.substr(0, 2) == "r-" && AllOf(id.substr(2), LowerAlnum);
}
bool IsUnitId(std::string_view id) {
  // ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}
  if (id.size() > 68 || id.substr(0, 3) != "ou-") return false;
  std::string_view rest = id.substr(3);
  auto dash = rest.find('-');
  if (dash == std::string_view::npos) return false;
  std::string_view a = rest.substr(0, dash), b = rest.substr(dash + 1);
  return a.size() >= 4 && a.size() <= 32 && b.size() >= 8 && b.size() <= 32 && AllOf(a, LowerAlnum) &&
         AllOf(b, LowerAlnum);
}
bool IsPolicyId(std::string_view id) {
  return id.size() >= 10 && id.size() <= 130 && id.substr(0, 2) == "p-" && AllOf(id.substr(2), PolicyIdChar);
}

std::string LowerPolicyType(std::string_view type) { return AsciiLower(type); }

std::optional<iam::PolicyKind> KindOf(std::string_view type) {
  if (type == kScp) return iam::PolicyKind::kScp;
  if (type == kRcp) return iam::PolicyKind::kRcp;
  return std::nullopt;
}

// ---- documents

namespace {

json::object TagsDoc(const Tags& tags) {
  json::object o;
  for (const auto& [k, v] : tags) o[k] = v;
  return o;
}
Tags TagsOf(const json::object& doc) {
  Tags tags;
  if (const json::object* o = GetObject(doc, "tags")) {
    for (const auto& [k, v] : *o)
      if (v.is_string()) tags[std::string(k)] = std::string(v.get_string());
  }
  return tags;
}
std::string S(const json::object& o, std::string_view k) { return GetString(o, k).value_or(""); }
std::int64_t I(const json::object& o, std::string_view k) { return GetInt(o, k).value_or(0); }
std::vector<std::string> Strings(const json::object& o, std::string_view k) {
  std::vector<std::string> out;
  if (const json::array* a = GetArray(o, k))
    for (const auto& v : *a)
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}
json::array StringArray(const auto& values) {
  json::array a;
  for (const auto& v : values) a.emplace_back(v);
  return a;
}

}  // namespace

Documents ToDocuments(const State& s) {
  Documents docs;
  if (s.org) {
    const Organization& o = *s.org;
    docs[{"organization", o.id}] = json::serialize(json::object{
        {"id", o.id},
        {"feature_set", o.feature_set},
        {"management_account", o.management_account},
        {"management_email", o.management_email},
        {"root_id", o.root_id},
        {"root_policy_types", StringArray(o.root_policy_types)},
        {"root_tags", TagsDoc(o.root_tags)},
        {"created", o.created_ms},
        {"next_account_number", o.next_account_number},
    });
  }
  for (const auto& [id, a] : s.accounts) {
    docs[{"account", id}] = json::serialize(json::object{{"id", a.id},
                                                         {"name", a.name},
                                                         {"email", a.email},
                                                         {"parent", a.parent},
                                                         {"status", a.status},
                                                         {"joined_method", a.joined_method},
                                                         {"joined", a.joined_ms},
                                                         {"tags", TagsDoc(a.tags)}});
  }
  for (const auto& [id, u] : s.units) {
    docs[{"ou", id}] = json::serialize(
        json::object{{"id", u.id}, {"name", u.name}, {"parent", u.parent}, {"tags", TagsDoc(u.tags)}});
  }
  for (const auto& [id, p] : s.policies) {
    docs[{"policy", id}] = json::serialize(json::object{{"id", p.id},
                                                        {"name", p.name},
                                                        {"description", p.description},
                                                        {"type", p.type},
                                                        {"content", p.content},
                                                        {"aws_managed", p.aws_managed},
                                                        {"targets", StringArray(p.targets)},
                                                        {"tags", TagsDoc(p.tags)}});
  }
  for (const auto& [id, r] : s.requests) {
    docs[{"request", id}] = json::serialize(json::object{{"id", r.id},
                                                         {"account_name", r.account_name},
                                                         {"email", r.email},
                                                         {"role_name", r.role_name},
                                                         {"state", r.state},
                                                         {"account_id", r.account_id},
                                                         {"failure_reason", r.failure_reason},
                                                         {"requested", r.requested_ms},
                                                         {"completed", r.completed_ms},
                                                         {"tags", TagsDoc(r.tags)}});
  }
  return docs;
}

Result<State> FromRows(const std::vector<store::Row>& rows) {
  State s;
  for (const auto& row : rows) {
    const std::string kind = store::AsText(row[0]);
    json::object d;
    try {
      d = json::parse(store::AsText(row[2])).as_object();
    } catch (const std::exception& e) {
      return InternalError("corrupt organizations document " + kind + "/" + store::AsText(row[1]) + ": " +
                           e.what());
    }
    if (kind == "organization") {
      Organization o;
      o.id = S(d, "id");
      o.feature_set = S(d, "feature_set");
      o.management_account = S(d, "management_account");
      o.management_email = S(d, "management_email");
      o.root_id = S(d, "root_id");
      o.root_policy_types = Strings(d, "root_policy_types");
      if (const json::object* t = GetObject(d, "root_tags")) o.root_tags = TagsOf(json::object{{"tags", *t}});
      o.created_ms = I(d, "created");
      o.next_account_number = static_cast<std::uint64_t>(I(d, "next_account_number"));
      s.org = std::move(o);
    } else if (kind == "account") {
      Account a{.id = S(d, "id"),
                .name = S(d, "name"),
                .email = S(d, "email"),
                .parent = S(d, "parent"),
                .status = S(d, "status"),
                .joined_method = S(d, "joined_method"),
                .joined_ms = I(d, "joined"),
                .tags = TagsOf(d)};
      s.accounts[a.id] = std::move(a);
    } else if (kind == "ou") {
      Unit u{.id = S(d, "id"), .name = S(d, "name"), .parent = S(d, "parent"), .tags = TagsOf(d)};
      s.units[u.id] = std::move(u);
    } else if (kind == "policy") {
      PolicyRecord p;
      p.id = S(d, "id");
      p.name = S(d, "name");
      p.description = S(d, "description");
      p.type = S(d, "type");
      p.content = S(d, "content");
      p.aws_managed = services::GetBool(d, "aws_managed").value_or(false);
      for (auto& t : Strings(d, "targets")) p.targets.insert(std::move(t));
      p.tags = TagsOf(d);
      if (auto kind_of = KindOf(p.type)) {
        auto parsed = iam::ParsePolicy(p.content, *kind_of);
        // Stored policies were accepted when written; one the parser now refuses binds nothing (logged).
        if (parsed.ok()) {
          p.compiled = std::make_shared<const iam::Policy>(std::move(parsed).value());
        } else {
          spdlog::warn("organizations: stored policy {} no longer parses: {}", p.id, parsed.error().message);
        }
      }
      s.policies[p.id] = std::move(p);
    } else if (kind == "request") {
      CreateRequest r{.id = S(d, "id"),
                      .account_name = S(d, "account_name"),
                      .email = S(d, "email"),
                      .role_name = S(d, "role_name"),
                      .state = S(d, "state"),
                      .account_id = S(d, "account_id"),
                      .failure_reason = S(d, "failure_reason"),
                      .requested_ms = I(d, "requested"),
                      .completed_ms = I(d, "completed"),
                      .tags = TagsOf(d)};
      s.requests[r.id] = std::move(r);
    }
  }
  return s;
}

// ---- the seam's snapshot

std::shared_ptr<const Snapshot> BuildSnapshot(std::shared_ptr<const State> state, const std::string& home,
                                              const std::vector<std::string>& standalone) {
  auto snap = std::make_shared<Snapshot>();
  const State& s = *state;
  snap->existing.insert(home);
  for (const std::string& id : standalone) snap->existing.insert(id);
  for (const auto& [id, a] : s.accounts)
    if (a.status != "SUSPENDED") snap->existing.insert(id);
  for (const auto& [id, r] : s.requests)
    if (r.state == "IN_PROGRESS" && !r.account_id.empty()) snap->existing.insert(r.account_id);
  if (s.org) {
    const Organization& org = *s.org;
    snap->org_id = org.id;
    const bool scps = s.PolicyTypeEnabled(kScp);
    const bool rcps = s.PolicyTypeEnabled(kRcp);
    auto layer_of = [&](const std::string& target, std::string_view type) {
      std::vector<iam::NamedPolicy> out;
      for (const PolicyRecord* p : s.AttachedTo(target, type))
        if (p->compiled) out.push_back(iam::NamedPolicy{.name = PolicyArn(org, *p), .policy = p->compiled});
      return out;
    };
    auto layer = [&](const std::string& target) { return layer_of(target, kScp); };
    std::map<std::string, std::vector<iam::NamedPolicy>> parent_layers;  // per parent, computed once
    std::map<std::string, std::vector<iam::NamedPolicy>> parent_rcps;
    for (const auto& [id, a] : s.accounts) {
      if (a.parent.empty()) continue;
      AccountView view;
      std::vector<std::string> path = s.PathTo(a.parent);
      view.path = org.id + "/";
      for (const auto& p : path) view.path += p + "/";
      // SCPs never bind the management account.
      if (scps && id != org.management_account) {
        for (const auto& p : path) {
          auto it = parent_layers.find(p);
          if (it == parent_layers.end()) it = parent_layers.emplace(p, layer(p)).first;
          view.layers.push_back(it->second);
        }
        view.layers.push_back(layer(id));
      }
      // Nor do RCPs bind the management account's resources.
      if (rcps && id != org.management_account) {
        for (const auto& p : path) {
          auto it = parent_rcps.find(p);
          if (it == parent_rcps.end()) it = parent_rcps.emplace(p, layer_of(p, kRcp)).first;
          view.rcp_layers.push_back(it->second);
        }
        view.rcp_layers.push_back(layer_of(id, kRcp));
      }
      snap->members.emplace(id, std::move(view));
    }
  }
  snap->state = std::move(state);
  return snap;
}

// ---- errors

Error ConstraintViolation(std::string_view reason, std::string_view message) {
  return services::MakeError(errors::kConstraintViolation, {message}).With("Reason", std::string(reason));
}
Error InvalidInput(std::string_view reason, std::string_view message) {
  return services::MakeError(errors::kInvalidInput, {message}).With("Reason", std::string(reason));
}
Error InvalidPattern(std::string_view member) {
  return InvalidInput("INVALID_PATTERN", "You provided a value that doesn't match the required pattern for " +
                                             std::string(member) + ".");
}

// ---- input

Result<std::string> RequireId(const json::object& in, std::string_view member,
                              bool (*valid)(std::string_view), std::string_view reason) {
  auto v = GetString(in, member);
  if (!v || v->empty())
    return InvalidInput("INPUT_REQUIRED", "You must specify a value for " + std::string(member) + ".");
  if (!valid(*v)) {
    if (reason == "INVALID_PATTERN") return InvalidPattern(member);
    return InvalidInput(reason, "You specified a value for " + std::string(member) +
                                    " that doesn't match the required pattern.");
  }
  return *v;
}

Status CheckTagCount(std::size_t n) {
  if (n > kMaxTags)
    return ConstraintViolation("MAX_TAG_LIMIT_EXCEEDED",
                               "You have exceeded the number of tags allowed on "
                               "this resource.");
  return Status::Ok();
}

Result<Tags> ReadTags(const json::object& in, std::string_view member) {
  Tags tags;
  const json::array* list = GetArray(in, member);
  if (list == nullptr) return tags;
  for (const auto& v : *list) {
    if (!v.is_object()) continue;
    std::string key = GetString(v.get_object(), "Key").value_or("");
    std::string value = GetString(v.get_object(), "Value").value_or("");
    if (key.empty())
      return InvalidInput("MIN_LENGTH_EXCEEDED", "Tag keys must be at least 1 character long.");
    if (key.size() > 128)
      return InvalidInput("MAX_LENGTH_EXCEEDED", "Tag keys can be at most 128 characters.");
    if (value.size() > 256)
      return InvalidInput("MAX_LENGTH_EXCEEDED", "Tag values can be at most 256 characters.");
    if (StartsWithIgnoreAsciiCase(key, "aws:"))
      return InvalidInput(
          "INVALID_SYSTEM_TAGS_PARAMETER",
          "You specified a tag key that is a system tag. You can't add, edit, or delete system "
          "tag keys because they're reserved for AWS use.");
    if (!tags.emplace(std::move(key), std::move(value)).second)
      return InvalidInput("DUPLICATE_TAG_KEY",
                          "Tag keys must be unique among the tags attached to the same entity.");
  }
  CENOTE_RETURN_IF_ERROR(CheckTagCount(tags.size()));
  return tags;
}

json::array TagList(const Tags& tags) {
  json::array out;
  for (const auto& [k, v] : tags) out.push_back(json::object{{"Key", k}, {"Value", v}});
  return out;
}

Result<json::object> Page(const json::object& in,
                          const std::vector<std::pair<std::string, json::value>>& items,
                          std::string_view member) {
  std::int64_t max = kDefaultPageSize;
  if (auto m = GetInt(in, "MaxResults")) {
    if (*m < 1) return InvalidInput("MIN_VALUE_EXCEEDED", "MaxResults must be at least 1.");
    if (*m > 20) return InvalidInput("MAX_VALUE_EXCEEDED", "MaxResults can be at most 20.");
    max = *m;
  }
  // The token names the last key returned (items are sorted by key), so a page never repeats or skips an
  // item that stayed, whatever changed in between.
  std::size_t start = 0;
  if (auto token = GetString(in, "NextToken")) {
    auto decoded = Base64Decode(*token);
    if (!decoded || decoded->rfind("orgs1:", 0) != 0)
      return InvalidInput("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.");
    std::string after = decoded->substr(6);
    start = static_cast<std::size_t>(
        std::upper_bound(items.begin(), items.end(), after,
                         [](const std::string& k, const auto& item) { return k < item.first; }) -
        items.begin());
  }
  json::array page;
  std::size_t i = start;
  for (; i < items.size() && static_cast<std::int64_t>(page.size()) < max; ++i)
    page.push_back(items[i].second);
  json::object out{{std::string(member), std::move(page)}};
  if (i < items.size()) out["NextToken"] = Base64Encode("orgs1:" + items[i - 1].first);
  return out;
}

// ---- Env

Env::Env(store::MetadataStore& metadata_store, aws::Invoker& call, OrganizationsOptions opts)
    : metadata(metadata_store), invoker(call), options(std::move(opts)) {}

std::shared_ptr<const Snapshot> Env::Current() const {
  MutexLock lock(mu);
  return snapshot;
}

void Env::Publish(std::shared_ptr<const State> state) {
  auto snap = BuildSnapshot(std::move(state), options.account_id, options.standalone_accounts);
  MutexLock lock(mu);
  snapshot = std::move(snap);
}

Status Env::Change(const std::function<Status(State&)>& change) {
  MutexLock lock(write_mu);
  std::shared_ptr<const State> before = Current()->state;
  auto after = std::make_shared<State>(*before);
  CENOTE_RETURN_IF_ERROR(change(*after));
  // Order: commit the changed documents in one transaction -> publish -> answer. A crash before the commit
  // loses the change (never acknowledged); after it, Open loads it.
  const Documents old_docs = ToDocuments(*before);
  const Documents new_docs = ToDocuments(*after);
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
  for (const auto& [key, doc] : old_docs) {
    if (!new_docs.count(key))
      CENOTE_RETURN_IF_ERROR(
          txn->Exec("DELETE FROM organizations_objects WHERE kind = ? AND id = ?", {key.first, key.second}));
  }
  for (const auto& [key, doc] : new_docs) {
    auto it = old_docs.find(key);
    if (it != old_docs.end() && it->second == doc) continue;
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO organizations_objects (kind, id, doc) VALUES (?, ?, ?) ON CONFLICT (kind, id) "
                  "DO UPDATE SET doc = excluded.doc",
                  {key.first, key.second, doc}));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  Publish(std::move(after));
  return Status::Ok();
}

bool Env::Claim(const std::string& request_id) {
  MutexLock lock(claims_mu);
  return claims.insert(request_id).second;
}

void Env::Release(const std::string& request_id) {
  MutexLock lock(claims_mu);
  claims.erase(request_id);
}

Status RequireManagement(const State& s, const RequestContext& ctx) {
  if (!s.org) return services::MakeError(errors::kNotInUse);
  if (ctx.account_id() == s.org->management_account) return Status::Ok();
  if (s.FindMember(ctx.account_id()) != nullptr) return services::MakeError(errors::kAccessDenied);
  return services::MakeError(errors::kNotInUse);
}

Result<std::shared_ptr<const State>> Env::ForManagement(const RequestContext& ctx) const {
  std::shared_ptr<const State> s = Current()->state;
  CENOTE_RETURN_IF_ERROR(RequireManagement(*s, ctx));
  return s;
}

}  // namespace cenote::organizations
