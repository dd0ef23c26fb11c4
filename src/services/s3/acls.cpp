// Access control lists of buckets and objects: canned ACLs, x-amz-grant-* headers and AccessControlPolicy
// bodies, resolved to grants, stored (a bucket's as configuration "acl", an object version's in its row's
// acl column) and returned by GetBucketAcl/GetObjectAcl. Object ownership and the public access block act on
// them as on AWS: BucketOwnerEnforced (every new bucket's default since April 2023) disables ACLs, and
// BlockPublicAcls refuses grants to everyone. The grants are evaluated for other principals by the authorize
// stage once the identity issue lands; until then every request is the data directory's root or refused.
#include "iam/directory.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

constexpr std::string_view kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr std::string_view kAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
constexpr std::string_view kLogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

const json::object& P(OperationInput& in) { return in.params.as_object(); }

json::object UserGrant(std::string_view id, std::string_view name, std::string_view permission) {
  json::object grantee;
  grantee["Type"] = "CanonicalUser";
  grantee["ID"] = id;
  if (!name.empty()) grantee["DisplayName"] = name;
  json::object g;
  g["Grantee"] = std::move(grantee);
  g["Permission"] = permission;
  return g;
}

json::object GroupGrant(std::string_view uri, std::string_view permission) {
  json::object grantee;
  grantee["Type"] = "Group";
  grantee["URI"] = uri;
  json::object g;
  g["Grantee"] = std::move(grantee);
  g["Permission"] = permission;
  return g;
}

bool ValidPermission(std::string_view p) {
  return p == "FULL_CONTROL" || p == "READ" || p == "WRITE" || p == "READ_ACP" || p == "WRITE_ACP";
}

bool KnownGroup(std::string_view uri) {
  return uri == kAllUsers || uri == kAuthenticatedUsers || uri == kLogDelivery;
}

// The grants of a canned ACL. `owner` owns the resource; `bucket_owner` owns its bucket (the same for a
// bucket). Canned ACLs meant for the other kind of resource are refused.
Result<json::array> CannedGrants(std::string_view canned, bool for_bucket, const Owner& owner,
                                 const Owner& bucket_owner) {
  json::array grants;
  grants.push_back(UserGrant(owner.id, owner.name, "FULL_CONTROL"));
  if (canned == "private") return grants;
  if (canned == "public-read") {
    grants.push_back(GroupGrant(kAllUsers, "READ"));
  } else if (canned == "public-read-write") {
    grants.push_back(GroupGrant(kAllUsers, "READ"));
    grants.push_back(GroupGrant(kAllUsers, "WRITE"));
  } else if (canned == "authenticated-read") {
    grants.push_back(GroupGrant(kAuthenticatedUsers, "READ"));
  } else if (canned == "aws-exec-read") {
    // Amazon EC2's canonical user, which reads AMI bundles.
    grants.push_back(
        UserGrant("6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c", "za-team", "READ"));
  } else if (canned == "bucket-owner-read" && !for_bucket) {
    if (bucket_owner.id != owner.id) grants.push_back(UserGrant(bucket_owner.id, bucket_owner.name, "READ"));
  } else if (canned == "bucket-owner-full-control" && !for_bucket) {
    if (bucket_owner.id != owner.id) {
      grants.push_back(UserGrant(bucket_owner.id, bucket_owner.name, "FULL_CONTROL"));
    }
  } else if (canned == "log-delivery-write" && for_bucket) {
    grants.push_back(GroupGrant(kLogDelivery, "WRITE"));
    grants.push_back(GroupGrant(kLogDelivery, "READ_ACP"));
  } else if (for_bucket && (canned == "bucket-owner-read" || canned == "bucket-owner-full-control")) {
    // S3 accepts these on a bucket and ignores them: the owner keeps full control.
  } else {
    return MakeError(errors::kMalformedACL);
  }
  return grants;
}

// A grantee named in an x-amz-grant-* header or an AccessControlPolicy: a canonical user known here (the
// caller, or the resource's or bucket's owner), a predefined group, or an e-mail address (which no account
// here has).
Result<json::object> ResolveGrantee(std::string_view type, std::string_view value, const RequestContext& ctx,
                                    const Owner& owner, const Owner& bucket_owner,
                                    const AccountList& accounts) {
  json::object grantee;
  if (type == "id") {
    std::string name;
    if (value == owner.id) {
      name = owner.name;
    } else if (value == bucket_owner.id) {
      name = bucket_owner.name;
    } else if (value == ctx.principal.canonical_id) {
      name = ctx.principal.display_name;
    } else {
      // Another account of this server: its canonical user (its root user's display name).
      bool known = false;
      if (accounts) {
        for (const std::string& account : accounts()) {
          if (iam::CanonicalUserId(account) == value) {
            known = true;
            name = iam::RootPrincipal(account).display_name;
            break;
          }
        }
      }
      if (!known) return MakeError(errors::kInvalidGranteeId);
    }
    grantee["Type"] = "CanonicalUser";
    grantee["ID"] = value;
    grantee["DisplayName"] = name;
    return grantee;
  }
  if (type == "uri") {
    if (!KnownGroup(value)) return MakeError(errors::kInvalidGroupUri);
    grantee["Type"] = "Group";
    grantee["URI"] = value;
    return grantee;
  }
  if (type == "emailaddress") return MakeError(errors::kUnresolvableGrantByEmailAddress);
  return MakeError(errors::kInvalidGrantHeader);
}

// `id="..."`, `uri="..."`, `emailAddress="..."`, separated by commas.
Status AppendHeaderGrants(json::array& grants, std::string_view header, std::string_view permission,
                          const RequestContext& ctx, const Owner& owner, const Owner& bucket_owner,
                          const AccountList& accounts) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t comma = header.find(',', pos);
    std::string_view item =
        header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? header.size() : comma + 1;
    item = TrimAsciiSpace(item);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return MakeError(errors::kInvalidGrantHeader);
    std::string type = AsciiLower(TrimAsciiSpace(item.substr(0, eq)));
    std::string_view value = TrimAsciiSpace(item.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    CENOTE_ASSIGN_OR_RETURN(auto grantee, ResolveGrantee(type, value, ctx, owner, bucket_owner, accounts));
    json::object g;
    g["Grantee"] = std::move(grantee);
    g["Permission"] = permission;
    grants.push_back(std::move(g));
  }
  return Status::Ok();
}

}  // namespace

bool AclIsOwnerOnly(const json::array& grants, std::string_view owner_id) {
  for (const auto& g : grants) {
    if (!g.is_object()) return false;
    const auto* grantee = services::GetObject(g.as_object(), "Grantee");
    if (grantee == nullptr || GetString(*grantee, "ID").value_or("") != owner_id) return false;
    if (GetString(g.as_object(), "Permission").value_or("") != "FULL_CONTROL") return false;
  }
  return true;
}

Result<std::optional<json::array>> AclFromRequest(const json::object& params, const RequestContext& ctx,
                                                  bool for_bucket, const Owner& owner,
                                                  const Owner& bucket_owner, bool body_allowed,
                                                  const AccountList& accounts) {
  static constexpr std::pair<const char*, const char*> kGrantHeaders[] = {
      {"GrantFullControl", "FULL_CONTROL"},
      {"GrantRead", "READ"},
      {"GrantReadACP", "READ_ACP"},
      {"GrantWrite", "WRITE"},
      {"GrantWriteACP", "WRITE_ACP"}};
  auto canned = GetString(params, "ACL");
  bool any_grant_header = false;
  for (const auto& [member, permission] : kGrantHeaders)
    any_grant_header = any_grant_header || params.contains(member);
  const json::object* body = body_allowed ? services::GetObject(params, "AccessControlPolicy") : nullptr;
  const int ways = (canned ? 1 : 0) + (any_grant_header ? 1 : 0) + (body ? 1 : 0);
  if (ways == 0) return std::optional<json::array>();
  // One way of saying an ACL per request (S3 refuses a canned ACL with grant headers, and either with a
  // body).
  if (ways > 1) {
    if (body) return MakeError(errors::kUnexpectedAclContent);
    return MakeError(errors::kCannedAclWithGrants);
  }
  if (canned) {
    CENOTE_ASSIGN_OR_RETURN(auto grants, CannedGrants(*canned, for_bucket, owner, bucket_owner));
    return std::optional<json::array>(std::move(grants));
  }
  json::array grants;
  if (any_grant_header) {
    for (const auto& [member, permission] : kGrantHeaders) {
      if (auto header = GetString(params, member)) {
        CENOTE_RETURN_IF_ERROR(
            AppendHeaderGrants(grants, *header, permission, ctx, owner, bucket_owner, accounts));
      }
    }
    return std::optional<json::array>(std::move(grants));
  }
  // An AccessControlPolicy: its Owner must be the resource's owner, its grantees known here.
  if (const auto* o = services::GetObject(*body, "Owner")) {
    if (GetString(*o, "ID").value_or(owner.id) != owner.id) return MakeError(errors::kAccessDenied);
  } else {
    return MakeError(errors::kMalformedACL);
  }
  const json::array* given = GetArray(*body, "Grants");
  for (const auto& g : given ? *given : json::array()) {
    const auto* grantee = g.is_object() ? services::GetObject(g.as_object(), "Grantee") : nullptr;
    auto permission = g.is_object() ? GetString(g.as_object(), "Permission") : std::nullopt;
    if (grantee == nullptr || !permission || !ValidPermission(*permission))
      return MakeError(errors::kMalformedACL);
    auto type = GetString(*grantee, "Type").value_or("");
    json::object resolved;
    if (type == "CanonicalUser") {
      CENOTE_ASSIGN_OR_RETURN(resolved, ResolveGrantee("id", GetString(*grantee, "ID").value_or(""), ctx,
                                                       owner, bucket_owner, accounts));
    } else if (type == "Group") {
      CENOTE_ASSIGN_OR_RETURN(resolved, ResolveGrantee("uri", GetString(*grantee, "URI").value_or(""), ctx,
                                                       owner, bucket_owner, accounts));
    } else if (type == "AmazonCustomerByEmail") {
      return MakeError(errors::kUnresolvableGrantByEmailAddress);
    } else {
      return MakeError(errors::kMalformedACL);
    }
    json::object out;
    out["Grantee"] = std::move(resolved);
    out["Permission"] = *permission;
    grants.push_back(std::move(out));
  }
  return std::optional<json::array>(std::move(grants));
}

Result<std::string> BucketOwnership(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(txn, bucket, "ownership", ""));
  // A bucket without ownership controls (one created before Cenote kept them) behaves as ObjectWriter,
  // as buckets on AWS did before April 2023.
  if (!doc) return std::string("ObjectWriter");
  const json::array* rules = GetArray(*doc, "Rules");
  if (rules == nullptr || rules->empty() || !(*rules)[0].is_object()) return std::string("ObjectWriter");
  return GetString((*rules)[0].as_object(), "ObjectOwnership").value_or("ObjectWriter");
}

Status CheckAclAllowed(Transaction& txn, std::string_view bucket, const json::array& grants,
                       std::string_view owner_id, bool creating_bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto ownership, BucketOwnership(txn, bucket));
  if (ownership == "BucketOwnerEnforced" && !AclIsOwnerOnly(grants, owner_id)) {
    return MakeError(creating_bucket ? errors::kInvalidBucketAclWithObjectOwnership
                                     : errors::kAccessControlListNotSupported);
  }
  if (AclIsPublic(grants)) {
    CENOTE_ASSIGN_OR_RETURN(auto pab, LoadPublicAccessBlock(txn, bucket));
    if (pab.block_public_acls) {
      return MakeError(creating_bucket ? errors::kInvalidBucketAclWithBlockPublicAccess
                                       : errors::kAccessDenied);
    }
  }
  return Status::Ok();
}

Result<json::array> LoadBucketAcl(Transaction& txn, const BucketRow& b) {
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(txn, b.name, "acl", ""));
  const json::array* grants = doc ? GetArray(*doc, "Grants") : nullptr;
  if (grants != nullptr) return *grants;
  json::array owner_only;
  owner_only.push_back(UserGrant(b.owner_id, b.owner_name, "FULL_CONTROL"));
  return owner_only;
}

Status StoreBucketAcl(Transaction& txn, std::string_view bucket, json::array grants) {
  json::object doc;
  doc["Grants"] = std::move(grants);
  return StoreBucketConfig(txn, bucket, "acl", "", doc);
}

Status StoreObjectAcl(Transaction& txn, const VersionRow& v, const std::optional<json::array>& grants) {
  store::Value value = nullptr;
  if (grants) value = json::serialize(*grants);
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("UPDATE s3_versions SET acl = ? WHERE bucket = ? AND key = ? AND version_id = ?",
               {value, v.bucket, v.key, v.version_id}));
  return Status::Ok();
}

Result<ObjectWriteAcl> ObjectAclForWrite(Transaction& txn, const json::object& params,
                                         const RequestContext& ctx, const BucketRow& b,
                                         const AccountList& accounts) {
  const Owner bucket_owner{b.owner_id, b.owner_name};
  const Owner writer = ctx.principal.canonical_id.empty()
                           ? bucket_owner
                           : Owner{ctx.principal.canonical_id, ctx.principal.display_name};
  CENOTE_ASSIGN_OR_RETURN(auto ownership, BucketOwnership(txn, b.name));
  const auto canned = GetString(params, "ACL");
  const bool owner_full_control = canned && *canned == "bucket-owner-full-control";
  ObjectWriteAcl out{bucket_owner, std::nullopt};
  if (ownership == "ObjectWriter" || (ownership == "BucketOwnerPreferred" && !owner_full_control)) {
    out.owner = writer;
  }
  // Canned ACLs name the writer as the object's owner where ACLs are disabled too: there only the bucket
  // owner's full control may be given (another writer's "private" gives the writer full control).
  const Owner& acl_owner = ownership == "BucketOwnerEnforced" ? writer : out.owner;
  CENOTE_ASSIGN_OR_RETURN(auto grants,
                          AclFromRequest(params, ctx, false, acl_owner, bucket_owner, false, accounts));
  if (!grants) return out;
  if (ownership == "BucketOwnerEnforced") {
    if (!owner_full_control && !AclIsOwnerOnly(*grants, b.owner_id)) {
      return MakeError(errors::kAccessControlListNotSupported);
    }
    return out;  // ACLs are disabled: the version keeps its owner's full control
  }
  CENOTE_RETURN_IF_ERROR(CheckAclAllowed(txn, b.name, *grants, b.owner_id, false));
  out.grants = std::move(grants);
  return out;
}

Status SetLatestOwner(Transaction& txn, std::string_view bucket, std::string_view key, const Owner& owner) {
  CENOTE_RETURN_IF_ERROR(txn.Exec(
      "UPDATE s3_versions SET owner_id = ?, owner_name = ? WHERE bucket = ? AND key = ? AND is_latest = 1",
      {owner.id, owner.name, std::string(bucket), std::string(key)}));
  return Status::Ok();
}

Status SetLatestAcl(Transaction& txn, std::string_view bucket, std::string_view key,
                    const json::array& grants) {
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("UPDATE s3_versions SET acl = ? WHERE bucket = ? AND key = ? AND is_latest = 1",
               {json::serialize(grants), std::string(bucket), std::string(key)}));
  return Status::Ok();
}

namespace {

// The version an object ACL operation is about: the latest, or the one named by versionId. A delete
// marker has no ACL (MethodNotAllowed for a named one, NoSuchKey for the latest).
Result<VersionRow> TargetVersion(Transaction& txn, OperationInput& in, const std::string& bucket) {
  auto key = GetString(P(in), "Key").value_or("");
  auto version_id = GetString(P(in), "VersionId");
  std::optional<VersionRow> v;
  if (version_id) {
    CENOTE_ASSIGN_OR_RETURN(v, LoadVersion(txn, bucket, key, *version_id));
    if (!v) return MakeError(errors::kNoSuchVersion).With("Key", key).With("VersionId", *version_id);
    if (v->delete_marker) return MakeError(errors::kMethodNotAllowed);
  } else {
    CENOTE_ASSIGN_OR_RETURN(v, LoadLatest(txn, bucket, key));
    if (!v || v->delete_marker) return NoSuchKeyError(key);
  }
  return std::move(*v);
}

// PutBucketAcl and PutObjectAcl while the bucket's ownership is BucketOwnerEnforced: "Requests to set ACLs or
// update ACLs fail" (AccessControlListNotSupported), a "private" one included (S3 User Guide, Object
// Ownership troubleshooting); only writes of objects may still carry the bucket owner's full control.
Status RefuseWhileAclsDisabled(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto ownership, BucketOwnership(txn, bucket));
  if (ownership == "BucketOwnerEnforced") return MakeError(errors::kAccessControlListNotSupported);
  return Status::Ok();
}

}  // namespace

Result<OperationOutput> GetBucketAcl(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto grants, LoadBucketAcl(*txn, b));
  OperationOutput out;
  auto& r = out.result.as_object();
  r["Owner"] = OwnerDoc(b.owner_id, b.owner_name);
  r["Grants"] = std::move(grants);
  return out;
}

Result<OperationOutput> PutBucketAcl(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  const Owner owner{b.owner_id, b.owner_name};
  CENOTE_ASSIGN_OR_RETURN(auto grants,
                          AclFromRequest(P(in), ctx, true, owner, owner, true, env.options.accounts));
  if (!grants) return MakeError(errors::kMissingAcl);
  CENOTE_RETURN_IF_ERROR(RefuseWhileAclsDisabled(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(CheckAclAllowed(*txn, bucket, *grants, b.owner_id, false));
  CENOTE_RETURN_IF_ERROR(StoreBucketAcl(*txn, bucket, std::move(*grants)));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<OperationOutput> GetObjectAcl(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto v, TargetVersion(*txn, in, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT acl FROM s3_versions WHERE bucket = ? AND key = ? AND "
                                        "version_id = ?",
                                        {v.bucket, v.key, v.version_id}));
  json::array grants;
  boost::system::error_code ec;
  if (row && !store::IsNull((*row)[0])) {
    auto parsed = json::parse(store::AsText((*row)[0]), ec);
    if (!ec && parsed.is_array()) grants = std::move(parsed).as_array();
  }
  if (grants.empty()) grants.push_back(UserGrant(v.owner_id, v.owner_name, "FULL_CONTROL"));
  OperationOutput out;
  auto& r = out.result.as_object();
  r["Owner"] = OwnerDoc(v.owner_id, v.owner_name);
  r["Grants"] = std::move(grants);
  return out;
}

Result<OperationOutput> PutObjectAcl(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto v, TargetVersion(*txn, in, bucket));
  const Owner owner{v.owner_id, v.owner_name};
  const Owner bucket_owner{b.owner_id, b.owner_name};
  CENOTE_ASSIGN_OR_RETURN(auto grants,
                          AclFromRequest(P(in), ctx, false, owner, bucket_owner, true, env.options.accounts));
  if (!grants) return MakeError(errors::kMissingAcl);
  CENOTE_RETURN_IF_ERROR(RefuseWhileAclsDisabled(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(CheckAclAllowed(*txn, bucket, *grants, v.owner_id, false));
  CENOTE_RETURN_IF_ERROR(StoreObjectAcl(*txn, v, grants));
  ObjectEvent event = EventOf("ObjectAcl:Put", v);
  event.seq = env.NextSeq();
  CENOTE_RETURN_IF_ERROR(env.notifications->Record(*txn, b, event, EventCause{.ctx = &ctx}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  OperationOutput out;
  return out;
}

}  // namespace cenote::s3
