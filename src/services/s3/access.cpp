// S3's side of authorization (access.hpp).
#include "services/s3/access.hpp"

#include <array>

#include "iam/evaluate.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

constexpr std::string_view kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr std::string_view kAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
constexpr std::string_view kLogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

// The actions an ACL permission grants, on the bucket or on its objects.
struct Mapping {
  std::string_view permission;
  bool on_objects;  // resource bucket/* instead of the bucket
  std::array<std::string_view, 4> actions;
};
constexpr Mapping kBucketMappings[] = {
    {"READ", false, {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads", ""}},
    {"WRITE", true, {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", ""}},
    {"READ_ACP", false, {"s3:GetBucketAcl", "", "", ""}},
    {"WRITE_ACP", false, {"s3:PutBucketAcl", "", "", ""}},
};
constexpr Mapping kObjectMappings[] = {
    {"READ",
     true,
     {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectVersionAttributes"}},
    {"READ_ACP", true, {"s3:GetObjectAcl", "s3:GetObjectVersionAcl", "", ""}},
    {"WRITE_ACP", true, {"s3:PutObjectAcl", "s3:PutObjectVersionAcl", "", ""}},
};

bool IsObjectAclAction(std::string_view action) {
  for (const Mapping& m : kObjectMappings) {
    for (std::string_view a : m.actions) {
      if (!a.empty() && a == action) return true;
    }
  }
  return false;
}

// The Principal (and Condition) of a grantee, or nullopt for grantees that grant nothing here (the bucket
// owner's account itself, e-mail grantees, public groups under IgnorePublicAcls).
bool GranteeStatement(const json::object& grantee, std::string_view owner_id, bool ignore_public,
                      json::object& statement) {
  const std::string type = GetString(grantee, "Type").value_or("");
  if (type == "CanonicalUser") {
    const std::string id = GetString(grantee, "ID").value_or("");
    if (id.empty() || id == owner_id) return false;
    statement["Principal"] = json::object{{"CanonicalUser", id}};
    return true;
  }
  if (type != "Group") return false;
  const std::string uri = GetString(grantee, "URI").value_or("");
  if (uri == kAllUsers) {
    if (ignore_public) return false;
    statement["Principal"] = "*";
    return true;
  }
  if (uri == kAuthenticatedUsers) {
    if (ignore_public) return false;
    statement["Principal"] = json::object{{"AWS", "*"}};
    statement["Condition"] = json::object{{"Null", json::object{{"aws:PrincipalArn", "false"}}}};
    return true;
  }
  if (uri == kLogDelivery) {
    statement["Principal"] = json::object{{"Service", "logging.s3.amazonaws.com"}};
    return true;
  }
  return false;
}

// Appends the Allow statements of `grants` for `mappings` to `out`.
template <std::size_t N>
void AppendAclStatements(const json::array& grants, const Mapping (&mappings)[N], std::string_view bucket,
                         std::string_view owner_id, bool ignore_public, std::string_view sid_prefix,
                         json::array& out) {
  int n = 0;
  for (const json::value& g : grants) {
    if (!g.is_object()) continue;
    const json::object* grantee = services::GetObject(g.as_object(), "Grantee");
    const std::string permission = GetString(g.as_object(), "Permission").value_or("");
    if (grantee == nullptr) continue;
    for (bool objects : {false, true}) {
      json::array actions;
      for (const Mapping& m : mappings) {
        if (m.on_objects != objects || (permission != "FULL_CONTROL" && permission != m.permission)) continue;
        for (std::string_view a : m.actions) {
          if (!a.empty()) actions.emplace_back(a);
        }
      }
      if (actions.empty()) continue;
      json::object statement;
      if (!GranteeStatement(*grantee, owner_id, ignore_public, statement)) continue;
      statement["Sid"] = std::string(sid_prefix) + std::to_string(n++);
      statement["Effect"] = "Allow";
      statement["Action"] = std::move(actions);
      statement["Resource"] = "arn:aws:s3:::" + std::string(bucket) + (objects ? "/*" : "");
      out.push_back(std::move(statement));
    }
  }
}

// The statements of a stored bucket policy (an object or an array), its Version; false when unreadable.
bool PolicyStatements(std::string_view text, json::array& statements, std::string& version) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec || !doc.is_object()) return false;
  if (auto v = GetString(doc.as_object(), "Version")) version = *v;
  const json::value* s = doc.as_object().if_contains("Statement");
  if (s == nullptr) return true;
  if (s->is_array()) {
    for (const json::value& one : s->as_array()) statements.push_back(one);
  } else {
    statements.push_back(*s);
  }
  return true;
}

std::string PolicyText(std::string version, json::array statements) {
  if (statements.empty()) return "";
  json::object doc;
  doc["Version"] = version.empty() ? "2012-10-17" : std::move(version);
  doc["Statement"] = std::move(statements);
  return json::serialize(doc);
}

}  // namespace

// ---- BucketAccessCache

std::shared_ptr<const BucketAccess> BucketAccessCache::Find(std::string_view bucket) const {
  MutexLock lock(mu_);
  if (writers_ > 0) return nullptr;
  auto it = entries_.find(std::string(bucket));
  return it == entries_.end() ? nullptr : it->second;
}

std::optional<std::uint64_t> BucketAccessCache::Token() const {
  MutexLock lock(mu_);
  if (writers_ > 0) return std::nullopt;
  return generation_;
}

void BucketAccessCache::Insert(std::uint64_t token, std::string bucket,
                               std::shared_ptr<const BucketAccess> access) {
  MutexLock lock(mu_);
  if (writers_ > 0 || generation_ != token) return;
  if (entries_.size() >= kMaxEntries) entries_.clear();
  entries_[std::move(bucket)] = std::move(access);
}

void BucketAccessCache::BeginWrite() {
  MutexLock lock(mu_);
  ++writers_;
  ++generation_;
  entries_.clear();
}

void BucketAccessCache::EndWrite() {
  MutexLock lock(mu_);
  --writers_;
  ++generation_;
  entries_.clear();
}

// ---- S3Authority

Result<std::shared_ptr<const BucketAccess>> S3Authority::Access(std::string_view bucket) const {
  if (auto hit = env_.access_cache.Find(bucket)) return hit;
  const std::optional<std::uint64_t> token = env_.access_cache.Token();
  auto access = std::make_shared<BucketAccess>();
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(auto row, LoadBucket(*txn, bucket));
    if (row) {
      access->exists = true;
      access->owner_account = row->owner_account;
      access->owner_id = row->owner_id;
      CENOTE_ASSIGN_OR_RETURN(auto removed, LoadBucketConfig(*txn, bucket, kSelfAccessRemovedKind, ""));
      access->owner_root_bound = removed.has_value();
      CENOTE_ASSIGN_OR_RETURN(auto ownership, BucketOwnership(*txn, bucket));
      access->acls_enabled = ownership != "BucketOwnerEnforced";
      CENOTE_ASSIGN_OR_RETURN(PublicAccessBlock pab, LoadPublicAccessBlock(*txn, bucket));
      access->ignore_public_acls = pab.ignore_public_acls;
      json::array grants;
      if (access->acls_enabled) {
        CENOTE_ASSIGN_OR_RETURN(grants, LoadBucketAcl(*txn, *row));
      }
      std::string version;
      json::array own;
      json::array others;
      if (row->policy && !row->policy->empty()) {
        json::array statements;
        if (PolicyStatements(*row->policy, statements, version)) {
          const bool restrict = pab.restrict_public_buckets && PolicyIsPublic(*row->policy);
          for (const json::value& s : statements) {
            own.push_back(s);
            const bool deny = s.is_object() && GetString(s.as_object(), "Effect").value_or("") == "Deny";
            if (!restrict || deny) others.push_back(s);
          }
        }
      }
      AppendAclStatements(grants, kBucketMappings, bucket, row->owner_id, pab.ignore_public_acls,
                          "CenoteBucketAcl", own);
      AppendAclStatements(grants, kBucketMappings, bucket, row->owner_id, pab.ignore_public_acls,
                          "CenoteBucketAcl", others);
      access->own_text = PolicyText(version, std::move(own));
      access->others_text = PolicyText(version, std::move(others));
    }
  }
  // A stored policy Cenote accepted always parses; should one not (written by an older version), its bucket
  // grants nothing through it rather than failing every request.
  if (!access->own_text.empty()) {
    if (auto p = policies_.Get(access->own_text, iam::PolicyKind::kResource)) access->own = *p;
  }
  if (!access->others_text.empty()) {
    if (auto p = policies_.Get(access->others_text, iam::PolicyKind::kResource)) access->others = *p;
  }
  std::shared_ptr<const BucketAccess> result = std::move(access);
  if (token) env_.access_cache.Insert(*token, std::string(bucket), result);
  return result;
}

Result<iam::ResourceFacts> S3Authority::Facts(const iam::RequestPrincipal& principal, std::string_view action,
                                              std::string_view resource_arn) const {
  iam::ResourceFacts facts;
  constexpr std::string_view kPrefix = "arn:aws:s3:::";
  if (resource_arn.substr(0, kPrefix.size()) != kPrefix) return facts;
  // CreateBucket names a bucket that is the caller's to create (or BucketAlreadyExists from the operation).
  if (action == "s3:CreateBucket") return facts;
  std::string_view rest = resource_arn.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  const std::string_view bucket = rest.substr(0, slash);
  CENOTE_ASSIGN_OR_RETURN(auto access, Access(bucket));
  if (!access->exists) return facts;
  facts.owner_account = access->owner_account;
  facts.keys.Set("s3:ResourceAccount", access->owner_account);
  const bool own = principal.type == iam::PrincipalType::kService ||
                   (!principal.account_id.empty() && principal.account_id == access->owner_account);
  // The bucket owner's root user may always read, replace and delete the bucket policy, even one that denies
  // it everything (AWS's way out of a policy that locks everyone out), unless the policy was put with
  // ConfirmRemoveSelfBucketAccess; SCPs still apply.
  if (principal.type == iam::PrincipalType::kRoot && own && !access->owner_root_bound &&
      (action == "s3:GetBucketPolicy" || action == "s3:PutBucketPolicy" ||
       action == "s3:DeleteBucketPolicy")) {
    return facts;
  }
  std::string text = own ? access->own_text : access->others_text;
  std::shared_ptr<const iam::Policy> policy = own ? access->own : access->others;
  // s3:ExistingObjectTag/<key>: the tags of the object the request is about (its current version), read only
  // when the policy that decides names the key.
  if (slash != std::string_view::npos && text.find("ExistingObjectTag") != std::string::npos) {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn->QueryOne("SELECT tags FROM s3_versions WHERE bucket = ? AND key = ? "
                                          "AND is_latest = 1 AND delete_marker = 0",
                                          {std::string(bucket), std::string(rest.substr(slash + 1))}));
    if (row && !store::IsNull((*row)[0])) {
      boost::system::error_code ec;
      json::value tags = json::parse(store::AsText((*row)[0]), ec);
      if (!ec && tags.is_array()) {
        for (const auto& tag : tags.as_array()) {
          if (!tag.is_object()) continue;
          auto k = GetString(tag.as_object(), "Key");
          auto v = GetString(tag.as_object(), "Value");
          if (k && v) facts.keys.Set("s3:ExistingObjectTag/" + *k, *v);
        }
      }
    }
  }

  if (access->acls_enabled && slash != std::string_view::npos && IsObjectAclAction(action)) {
    const std::string key(rest.substr(slash + 1));
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(auto row,
                            txn->QueryOne("SELECT acl, owner_id FROM s3_versions WHERE bucket = ? AND "
                                          "key = ? AND is_latest = 1",
                                          {std::string(bucket), key}));
    if (row) {
      json::array grants;
      const std::string object_owner = store::AsText((*row)[1]);
      if (!store::IsNull((*row)[0])) {
        boost::system::error_code ec;
        json::value parsed = json::parse(store::AsText((*row)[0]), ec);
        if (!ec && parsed.is_array()) grants = std::move(parsed.as_array());
      }
      if (grants.empty() && !object_owner.empty()) {
        // No stored ACL: its owner's FULL_CONTROL.
        grants.push_back(
            json::object{{"Grantee", json::object{{"Type", "CanonicalUser"}, {"ID", object_owner}}},
                         {"Permission", "FULL_CONTROL"}});
      }
      json::array statements;
      std::string version;
      if (!text.empty()) PolicyStatements(text, statements, version);
      const std::size_t before = statements.size();
      AppendAclStatements(grants, kObjectMappings, bucket, access->owner_id, access->ignore_public_acls,
                          "CenoteObjectAcl", statements);
      if (statements.size() != before) {
        text = PolicyText(version, std::move(statements));
        CENOTE_ASSIGN_OR_RETURN(policy, policies_.Get(text, iam::PolicyKind::kResource));
      }
    }
  }
  // The initiator of a multipart upload may list its parts and abort it, as S3 allows by default (another
  // account's caller, here: the owner's account answers through its IAM). Its upload is known by key.
  if (!own && slash != std::string_view::npos && !principal.account_id.empty() &&
      (action == "s3:AbortMultipartUpload" || action == "s3:ListMultipartUploadParts")) {
    const std::string initiator = iam::CanonicalUserId(principal.account_id);
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
    CENOTE_ASSIGN_OR_RETURN(
        auto row, txn->QueryOne("SELECT 1 FROM s3_uploads WHERE bucket = ? AND key = ? AND "
                                "owner_id = ? LIMIT 1",
                                {std::string(bucket), std::string(rest.substr(slash + 1)), initiator}));
    if (row) {
      json::array statements;
      std::string version;
      if (!text.empty()) PolicyStatements(text, statements, version);
      statements.push_back(json::object{{"Sid", "CenoteUploadInitiator"},
                                        {"Effect", "Allow"},
                                        {"Principal", json::object{{"CanonicalUser", initiator}}},
                                        {"Action", std::string(action)},
                                        {"Resource", std::string(resource_arn)}});
      text = PolicyText(version, std::move(statements));
      CENOTE_ASSIGN_OR_RETURN(policy, policies_.Get(text, iam::PolicyKind::kResource));
    }
  }
  if (policy != nullptr) facts.policy = iam::NamedPolicy{"bucket policy", std::move(policy)};
  return facts;
}

Result<std::optional<iam::MissingResource>> S3Authority::Missing(std::string_view action,
                                                                 std::string_view resource_arn) const {
  constexpr std::string_view kPrefix = "arn:aws:s3:::";
  if (resource_arn.substr(0, kPrefix.size()) != kPrefix) return std::optional<iam::MissingResource>();
  std::string_view rest = resource_arn.substr(kPrefix.size());
  const std::size_t slash = rest.find('/');
  const std::string bucket(rest.substr(0, slash));
  // A bucket that does not exist yet is what CreateBucket asks for: its denial stays a denial.
  if (bucket.empty() || action == "s3:CreateBucket") return std::optional<iam::MissingResource>();
  CENOTE_ASSIGN_OR_RETURN(auto access, Access(bucket));
  if (!access->exists) {
    iam::MissingResource gone;
    gone.error = NoSuchBucketError(bucket);
    return std::optional<iam::MissingResource>(std::move(gone));
  }
  if (slash == std::string_view::npos || action != "s3:GetObject")
    return std::optional<iam::MissingResource>();
  const std::string key(rest.substr(slash + 1));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_.Read());
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT 1 FROM s3_versions WHERE bucket = ? AND key = ? AND "
                                        "is_latest = 1 AND delete_marker = 0",
                                        {bucket, key}));
  if (row) return std::optional<iam::MissingResource>();
  iam::MissingResource missing;
  missing.error = NoSuchKeyError(key);
  missing.reveal_action = "s3:ListBucket";
  missing.reveal_resource = std::string(kPrefix) + bucket;
  missing.reveal_keys.Set("s3:prefix", key);
  return std::optional<iam::MissingResource>(std::move(missing));
}

}  // namespace cenote::s3
