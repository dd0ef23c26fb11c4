#include "services/sts/session_store.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/sts/errors.hpp"

namespace cenote::sts {

namespace json = boost::json;

namespace {

// Stands in for a managed session policy that can no longer be resolved: the session keeps a limit.
constexpr std::string_view kDenyEverything =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]})";

// `n` characters of `alphabet`, uniformly (rejection sampling over random bytes).
std::string RandomFrom(std::string_view alphabet, std::size_t n) {
  const std::size_t limit = 256 - 256 % alphabet.size();
  std::string out;
  while (out.size() < n) {
    std::string bytes = RandomBytes(n);
    for (unsigned char b : bytes) {
      if (b < limit && out.size() < n) out.push_back(alphabet[b % alphabet.size()]);
    }
  }
  return out;
}

IssuedCredentials NewCredentials(std::int64_t expires_ms) {
  IssuedCredentials c;
  // AWS's temporary access key ids: "ASIA" and 16 characters of the base32 alphabet.
  c.access_key_id = "ASIA" + RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
  c.secret_access_key = RandomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
  // Opaque to clients (AWS: "make no assumptions about the maximum size"); 256 random bytes.
  c.session_token = Base64Encode(RandomBytes(256));
  c.expires_ms = expires_ms;
  return c;
}

json::array StringArray(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

std::vector<std::string> Strings(const json::object& o, std::string_view name) {
  std::vector<std::string> out;
  if (const json::value* v = o.if_contains(name); v != nullptr && v->is_array()) {
    for (const json::value& e : v->get_array()) {
      if (e.is_string()) out.emplace_back(e.get_string());
    }
  }
  return out;
}

std::string Text(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t Int(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}

std::string ToDocument(const SessionSpec& spec, const IssuedCredentials& c) {
  json::array tags;
  for (const auto& [k, v] : spec.tags) tags.push_back(json::object{{"Key", k}, {"Value", v}});
  json::object doc{
      {"secret", c.secret_access_key},
      {"token", c.session_token},
      {"type", static_cast<int>(spec.type)},
      {"account", spec.account_id},
      {"arn", spec.arn},
      {"entity", spec.entity_arn},
      {"userId", spec.user_id},
      {"displayName", spec.display_name},
      {"policy", spec.policy},
      {"policyArns", StringArray(spec.policy_arns)},
      {"tags", std::move(tags)},
      {"transitive", StringArray(spec.transitive_tag_keys)},
      {"sourceIdentity", spec.source_identity},
      {"federatedProvider", spec.federated_provider},
      {"issued", spec.issued_ms},
      {"expires", spec.expires_ms},
      {"mfa", spec.mfa},
  };
  return json::serialize(doc);
}

std::optional<std::pair<SessionSpec, IssuedCredentials>> FromDocument(std::string_view access_key_id,
                                                                      std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  SessionSpec s;
  std::int64_t type = Int(o, "type");
  if (type < 0 || type > static_cast<int>(iam::PrincipalType::kService)) return std::nullopt;
  s.type = static_cast<iam::PrincipalType>(type);
  s.account_id = Text(o, "account");
  s.arn = Text(o, "arn");
  s.entity_arn = Text(o, "entity");
  s.user_id = Text(o, "userId");
  s.display_name = Text(o, "displayName");
  s.policy = Text(o, "policy");
  s.policy_arns = Strings(o, "policyArns");
  if (const json::value* tags = o.if_contains("tags"); tags != nullptr && tags->is_array()) {
    for (const json::value& t : tags->get_array()) {
      if (!t.is_object()) continue;
      s.tags.emplace_back(Text(t.get_object(), "Key"), Text(t.get_object(), "Value"));
    }
  }
  s.transitive_tag_keys = Strings(o, "transitive");
  s.source_identity = Text(o, "sourceIdentity");
  s.federated_provider = Text(o, "federatedProvider");
  s.issued_ms = Int(o, "issued");
  s.expires_ms = Int(o, "expires");
  if (const json::value* mfa = o.if_contains("mfa"); mfa != nullptr && mfa->is_bool())
    s.mfa = mfa->get_bool();
  IssuedCredentials c{std::string(access_key_id), Text(o, "secret"), Text(o, "token"), s.expires_ms};
  if (c.secret_access_key.empty() || c.session_token.empty()) return std::nullopt;
  return std::make_pair(std::move(s), std::move(c));
}

}  // namespace

Result<std::vector<iam::NamedPolicy>> CompileSessionPolicies(const SessionSpec& spec,
                                                             const iam::Directory* directory) {
  std::vector<iam::NamedPolicy> out;
  if (!spec.policy.empty()) {
    auto parsed = iam::ParsePolicy(spec.policy, iam::PolicyKind::kSession);
    if (!parsed.ok()) return services::MakeError(errors::kMalformedPolicy, {parsed.error().message});
    out.push_back(
        iam::NamedPolicy{"session policy", std::make_shared<const iam::Policy>(std::move(*parsed))});
  }
  for (const std::string& arn : spec.policy_arns) {
    std::shared_ptr<const iam::Policy> policy =
        directory != nullptr ? directory->ManagedPolicy(arn) : nullptr;
    if (policy == nullptr) return services::MakeError(errors::kPolicyNotAttachable, {arn});
    out.push_back(iam::NamedPolicy{arn, std::move(policy)});
  }
  return out;
}

const std::vector<std::string>& SessionStore::Migrations() {
  static const std::vector<std::string> kMigrations = {
      // v1: one row per issued session, found by access key id, pruned by expiry.
      "CREATE TABLE sts_sessions (access_key_id TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL, "
      "document TEXT NOT NULL);"
      "CREATE INDEX sts_sessions_expiry ON sts_sessions (expires_ms);",
  };
  return kMigrations;
}

SessionStore::SessionStore(store::MetadataStore& metadata, const iam::Directory* directory,
                           std::function<std::int64_t()> clock, std::int64_t expired_retention_ms)
    : metadata_(metadata),
      directory_(directory),
      clock_(std::move(clock)),
      expired_retention_ms_(expired_retention_ms) {}

Result<std::unique_ptr<SessionStore>> SessionStore::Open(store::MetadataStore& metadata,
                                                         const iam::Directory* directory,
                                                         std::function<std::int64_t()> clock,
                                                         std::int64_t expired_retention_ms) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("sts", Migrations()));
  std::unique_ptr<SessionStore> store(
      new SessionStore(metadata, directory, std::move(clock), expired_retention_ms));
  CENOTE_RETURN_IF_ERROR(store->Load());
  return store;
}

std::shared_ptr<const SessionStore::Entry> SessionStore::Compile(const SessionSpec& spec,
                                                                 std::vector<iam::NamedPolicy> policies,
                                                                 const IssuedCredentials& credentials) const {
  auto session = std::make_shared<iam::Session>();
  session->policies = std::move(policies);
  session->tags = spec.tags;
  session->transitive_tag_keys = spec.transitive_tag_keys;
  session->source_identity = spec.source_identity;
  session->federated_provider = spec.federated_provider;
  session->expires_ms = spec.expires_ms;
  session->issued_ms = spec.issued_ms;
  session->mfa = spec.mfa;

  auto entry = std::make_shared<Entry>();
  entry->expires_ms = spec.expires_ms;
  entry->record.secret_access_key = credentials.secret_access_key;
  entry->record.session_token = credentials.session_token;
  iam::Principal& p = entry->record.principal;
  p.type = spec.type;
  p.is_root = spec.type == iam::PrincipalType::kRoot;
  p.account_id = spec.account_id;
  p.arn = spec.arn;
  p.entity_arn = spec.entity_arn;
  p.user_id = spec.user_id;
  p.display_name = spec.display_name;
  p.canonical_id = iam::CanonicalUserId(spec.account_id);
  p.access_key_id = credentials.access_key_id;
  p.session = std::move(session);
  return entry;
}

Status SessionStore::Load() {
  const std::int64_t oldest = clock_() - expired_retention_ms_;
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query("SELECT access_key_id, document FROM sts_sessions "
                                                "WHERE expires_ms >= ?",
                                                {oldest}));
  std::unordered_map<std::string, std::shared_ptr<const Entry>> loaded;
  for (const store::Row& row : rows) {
    std::string akid = store::AsText(row[0]);
    auto parsed = FromDocument(akid, store::AsText(row[1]));
    if (!parsed) {
      spdlog::warn("sts: skipping unreadable session {}", akid);
      continue;
    }
    auto& [spec, credentials] = *parsed;
    auto policies = CompileSessionPolicies(spec, directory_);
    if (!policies.ok()) {
      // A managed session policy is gone (or IAM is): the session must not lose its limit.
      auto deny = iam::ParsePolicy(kDenyEverything, iam::PolicyKind::kSession);
      if (!deny.ok()) return deny.error();
      policies = std::vector<iam::NamedPolicy>{iam::NamedPolicy{
          "unresolvable session policy", std::make_shared<const iam::Policy>(std::move(*deny))}};
    }
    loaded[akid] = Compile(spec, std::move(*policies), credentials);
  }
  WriterLock lock(mu_);
  sessions_ = std::move(loaded);
  return Status::Ok();
}

Result<IssuedCredentials> SessionStore::Issue(const SessionSpec& spec) {
  CENOTE_ASSIGN_OR_RETURN(auto policies, CompileSessionPolicies(spec, directory_));
  IssuedCredentials credentials = NewCredentials(spec.expires_ms);
  // Durable before the caller answers: the row commits (synchronous=FULL), then the index learns the key.
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(
        txn->Exec("INSERT INTO sts_sessions (access_key_id, expires_ms, document) VALUES (?, ?, ?)",
                  {credentials.access_key_id, spec.expires_ms, ToDocument(spec, credentials)}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  auto entry = Compile(spec, std::move(policies), credentials);
  WriterLock lock(mu_);
  sessions_[credentials.access_key_id] = std::move(entry);
  return credentials;
}

std::optional<iam::AccessKeyRecord> SessionStore::Lookup(std::string_view access_key_id) const {
  std::shared_ptr<const Entry> entry;
  {
    ReaderLock lock(mu_);
    auto it = sessions_.find(std::string(access_key_id));
    if (it == sessions_.end()) return std::nullopt;
    entry = it->second;
  }
  if (clock_() >= entry->expires_ms) return std::nullopt;
  return entry->record;
}

bool SessionStore::IsExpired(std::string_view access_key_id, std::string_view session_token) const {
  std::shared_ptr<const Entry> entry;
  {
    ReaderLock lock(mu_);
    auto it = sessions_.find(std::string(access_key_id));
    if (it == sessions_.end()) return false;
    entry = it->second;
  }
  return clock_() >= entry->expires_ms && ConstantTimeEquals(session_token, entry->record.session_token);
}

Status SessionStore::Prune() {
  const std::int64_t oldest = clock_() - expired_retention_ms_;
  {
    WriterLock lock(mu_);
    std::erase_if(sessions_, [&](const auto& item) { return item.second->expires_ms < oldest; });
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kWrite));
  CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM sts_sessions WHERE expires_ms < ?", {oldest}));
  return txn->Commit();
}

std::size_t SessionStore::size() const {
  ReaderLock lock(mu_);
  return sessions_.size();
}

}  // namespace cenote::sts
