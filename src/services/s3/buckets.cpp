// Bucket operations: create/head/list/delete, location, tagging, policy, versioning.
#include "common/clock.hpp"
#include "services/s3/access_logs.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

// AWS general-purpose bucket naming rules.
bool ValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || IsAsciiDigit(c); };
  for (char c : name) {
    if (!alnum(c) && c != '.' && c != '-') return false;
  }
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  if (name.find("..") != std::string_view::npos) return false;
  if (name.find(".-") != std::string_view::npos || name.find("-.") != std::string_view::npos) return false;
  if (name.starts_with("xn--") || name.starts_with("sthree-") || name.starts_with("amzn-s3-demo-"))
    return false;
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"}) {
    if (name.ends_with(suffix)) return false;
  }
  // Not formatted as an IPv4 address.
  int dots = 0;
  bool digits_and_dots = true;
  for (char c : name) {
    if (c == '.')
      ++dots;
    else if (!IsAsciiDigit(c))
      digits_and_dots = false;
  }
  return !(digits_and_dots && dots == 3);
}

Result<OperationOutput> UpdateBucketColumn(Env& env, const std::string& bucket, const char* column,
                                           std::optional<std::string> value) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  std::vector<store::Value> params;
  if (value)
    params.emplace_back(*value);
  else
    params.emplace_back(nullptr);
  params.emplace_back(bucket);
  CENOTE_RETURN_IF_ERROR(
      txn->Exec(std::string("UPDATE s3_buckets SET ") + column + " = ? WHERE name = ?", params));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<BucketRow> ReadBucket(Env& env, const std::string& bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  return RequireBucket(*txn, bucket);
}

}  // namespace

Result<OperationOutput> CreateBucket(Env& env, const RequestContext& ctx, OperationInput& in) {
  auto bucket = GetString(P(in), "Bucket").value_or("");
  if (!ValidBucketName(bucket)) return MakeError(errors::kInvalidBucketName).With("BucketName", bucket);
  // The bucket's region is its LocationConstraint, us-east-1 when none. One server serves every region,
  // so the region the request is signed for stands for the endpoint AWS would have received it at: a
  // request for us-east-1 (the global endpoint s3.amazonaws.com) may create a bucket in any region, one
  // for another region only in that region (AWS API reference, CreateBucket).
  const std::string endpoint_region = ctx.region.empty() ? env.options.default_region : ctx.region;
  std::optional<std::string> constraint;
  if (const auto* cfg = services::GetObject(P(in), "CreateBucketConfiguration"))
    constraint = GetString(*cfg, "LocationConstraint");
  if (constraint && constraint->empty()) constraint.reset();
  std::string region = "us-east-1";
  if (constraint) {
    if (*constraint == "EU") constraint = "eu-west-1";  // eu-west-1's legacy name
    if (endpoint_region != "us-east-1" && *constraint != endpoint_region)
      return MakeError(errors::kIllegalLocationConstraint, {*constraint});
    // us-east-1 is named by omitting the constraint; naming it is refused.
    if (*constraint == "us-east-1")
      return MakeError(errors::kInvalidLocationConstraint).With("LocationConstraint", *constraint);
    region = *constraint;
  } else if (endpoint_region != "us-east-1") {
    return MakeError(errors::kIllegalLocationConstraint, {"unspecified"});
  }

  // Object Lock at creation: the bucket is versioned from the start and keeps its lock configuration.
  const bool object_lock = GetBool(P(in), "ObjectLockEnabledForBucket").value_or(false);
  // New buckets get what AWS gives them since April 2023: ACLs disabled (BucketOwnerEnforced) unless the
  // request chooses another object ownership, and every public access block setting on.
  const auto requested_ownership = GetString(P(in), "ObjectOwnership");
  const bool legacy = env.options.legacy_bucket_defaults;
  const std::string ownership = requested_ownership.value_or(legacy ? "ObjectWriter" : "BucketOwnerEnforced");
  if (ownership != "BucketOwnerEnforced" && ownership != "BucketOwnerPreferred" &&
      ownership != "ObjectWriter") {
    return MakeError(errors::kInvalidObjectOwnership);
  }
  const Owner owner{ctx.principal.canonical_id, ctx.principal.display_name};
  CENOTE_ASSIGN_OR_RETURN(auto acl,
                          AclFromRequest(P(in), ctx, true, owner, owner, false, env.options.accounts));
  if (acl && ownership == "BucketOwnerEnforced" && !AclIsOwnerOnly(*acl, owner.id)) {
    return MakeError(errors::kInvalidBucketAclWithObjectOwnership);
  }
  // The public access block is on from the start, so a public ACL cannot be set at creation.
  if (acl && AclIsPublic(*acl) && !legacy) return MakeError(errors::kInvalidBucketAclWithBlockPublicAccess);

  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto existing, LoadBucket(*txn, bucket));
  OperationOutput out;
  out.result.as_object()["Location"] = "/" + bucket;
  if (existing) {
    // Bucket names are global: another account's bucket of that name, in any region, makes it taken.
    if (existing->owner_account != ctx.account_id()) {
      return MakeError(errors::kBucketAlreadyExists).With("BucketName", bucket);
    }
    // Legacy us-east-1 behaviour: re-creating your own bucket there succeeds.
    if (existing->region == "us-east-1" && region == "us-east-1") return out;
    return MakeError(errors::kBucketAlreadyOwnedByYou).With("BucketName", bucket);
  }
  CENOTE_RETURN_IF_ERROR(txn->Exec(
      "INSERT INTO s3_buckets (name, region, owner_id, owner_name, created_ms, versioning, owner_account) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)",
      {bucket, region, ctx.principal.canonical_id, ctx.principal.display_name, UnixNowMs(),
       std::string(object_lock ? "Enabled" : ""), ctx.principal.account_id}));
  if (object_lock) {
    CENOTE_RETURN_IF_ERROR(
        StoreBucketConfig(*txn, bucket, "object-lock", "", json::object{{"ObjectLockEnabled", "Enabled"}}));
  }
  if (!legacy || requested_ownership) {
    json::object rule;
    rule["ObjectOwnership"] = ownership;
    json::object controls;
    controls["Rules"] = json::array{rule};
    CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "ownership", "", controls));
  }
  if (!legacy) {
    json::object block;
    for (const char* name :
         {"BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"}) {
      block[name] = true;
    }
    CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "public-access-block", "", block));
  }
  if (acl) CENOTE_RETURN_IF_ERROR(StoreBucketAcl(*txn, bucket, std::move(*acl)));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return out;
}

Result<OperationOutput> HeadBucket(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto b, ReadBucket(env, bucket));
  OperationOutput out;
  out.result.as_object()["BucketRegion"] = b.region;
  out.result.as_object()["AccessPointAlias"] = false;
  return out;
}

Result<OperationOutput> ListBuckets(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = P(in);
  std::int64_t max = GetInt(p, "MaxBuckets").value_or(10000);
  if (max < 1 || max > 10000) {
    return InvalidArgumentError(errors::kMaxBucketsOutOfRange, "max-buckets", std::to_string(max));
  }
  auto prefix = GetString(p, "Prefix").value_or("");
  std::string after;
  if (auto token = GetString(p, "ContinuationToken")) {
    auto decoded = Base64Decode(*token);
    if (!decoded) {
      return InvalidArgumentError(errors::kInvalidContinuationToken, "continuation-token", *token);
    }
    after = *decoded;
  }
  auto region_filter = GetString(p, "BucketRegion");
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  // Every bucket of the caller's account, whatever region the request is for (AWS lists them all; the
  // BucketRegion parameter narrows the list to one region).
  std::string sql =
      "SELECT name, region, created_ms FROM s3_buckets WHERE owner_account = ? AND name > ? AND name >= ?";
  std::vector<store::Value> params = {ctx.account_id(), after, prefix};
  if (!prefix.empty()) {
    sql += " AND name < ?";
    params.emplace_back(PrefixSuccessor(prefix));
  }
  if (region_filter) {
    sql += " AND region = ?";
    params.emplace_back(*region_filter);
  }
  sql += " ORDER BY name LIMIT ?";
  params.emplace_back(max + 1);
  CENOTE_ASSIGN_OR_RETURN(auto rows, txn->Query(sql, params));
  OperationOutput out;
  auto& r = out.result.as_object();
  json::array buckets;
  for (std::size_t i = 0; i < rows.size() && i < static_cast<std::size_t>(max); ++i) {
    json::object b;
    b["Name"] = store::AsText(rows[i][0]);
    b["CreationDate"] = store::AsInt(rows[i][2]);
    b["BucketRegion"] = store::AsText(rows[i][1]);
    buckets.push_back(std::move(b));
  }
  if (rows.size() > static_cast<std::size_t>(max)) {
    r["ContinuationToken"] = Base64Encode(store::AsText(rows[max - 1][0]));
  }
  r["Buckets"] = std::move(buckets);
  r["Owner"] = OwnerOf(ctx);
  if (!prefix.empty()) r["Prefix"] = prefix;
  return out;
}

Result<OperationOutput> DeleteBucket(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  std::vector<std::string> garbage;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
    CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
    // Every version and delete marker counts as content. In-progress multipart uploads do not: S3 deletes
    // a bucket that has some, and they go with it (their parts are freed here).
    CENOTE_ASSIGN_OR_RETURN(auto v,
                            txn->QueryOne("SELECT 1 FROM s3_versions WHERE bucket = ? LIMIT 1", {bucket}));
    if (v) {
      return MakeError(b.versioning.empty() ? errors::kBucketNotEmpty : errors::kVersionedBucketNotEmpty)
          .With("BucketName", bucket);
    }
    CENOTE_ASSIGN_OR_RETURN(auto parts, txn->Query("SELECT p.blob_id FROM s3_parts p JOIN s3_uploads u "
                                                   "ON p.upload_id = u.upload_id WHERE u.bucket = ?",
                                                   {bucket}));
    for (const auto& part : parts) garbage.push_back(store::AsText(part[0]));
    CENOTE_RETURN_IF_ERROR(txn->Exec(
        "DELETE FROM s3_parts WHERE upload_id IN (SELECT upload_id FROM s3_uploads WHERE bucket = ?)",
        {bucket}));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_uploads WHERE bucket = ?", {bucket}));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_buckets WHERE name = ?", {bucket}));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_completed WHERE bucket = ?", {bucket}));
    CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_bucket_configs WHERE bucket = ?", {bucket}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  env.DeleteBlobs(garbage);
  if (env.access_logs != nullptr) env.access_logs->SetTarget(bucket, std::nullopt);
  env.notifications->SetConfig(bucket, nullptr);
  OperationOutput out;
  out.http_status = 204;
  return out;
}

Result<OperationOutput> GetBucketLocation(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto b, ReadBucket(env, bucket));
  OperationOutput out;
  // us-east-1 is reported as an empty LocationConstraint.
  if (b.region != "us-east-1") out.result.as_object()["LocationConstraint"] = b.region;
  return out;
}

Result<OperationOutput> PutBucketTagging(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  const auto* tagging = services::GetObject(P(in), "Tagging");
  const json::array* set = tagging ? GetArray(*tagging, "TagSet") : nullptr;
  if (!set) return MakeError(errors::kMalformedXML);
  CENOTE_ASSIGN_OR_RETURN(auto tags, ValidateTags(*set, 50));
  auto r = UpdateBucketColumn(env, bucket, "tags", json::serialize(tags));
  if (r) r->http_status = 204;
  return r;
}

Result<OperationOutput> GetBucketTagging(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto b, ReadBucket(env, bucket));
  if (!b.tags) return MakeError(errors::kNoSuchTagSet).With("BucketName", bucket);
  OperationOutput out;
  boost::system::error_code ec;
  auto tags = json::parse(*b.tags, ec);
  out.result.as_object()["TagSet"] = ec ? json::value(json::array()) : tags;
  return out;
}

Result<OperationOutput> DeleteBucketTagging(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  auto r = UpdateBucketColumn(env, bucket, "tags", std::nullopt);
  if (r) r->http_status = 204;
  return r;
}

Result<OperationOutput> PutBucketPolicy(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  auto policy = GetString(P(in), "Policy").value_or("");
  // Stored as given (clients compare the text they read back); it must be a JSON object.
  std::size_t first = policy.find_first_not_of(" \t\r\n");
  boost::system::error_code ec;
  auto parsed = json::parse(policy, ec);
  if (first == std::string::npos || policy[first] != '{' || ec || !parsed.is_object()) {
    return MakeError(errors::kMalformedPolicy);
  }
  // "NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is not supported." (IAM
  // User Guide, NotPrincipal).
  const json::value* statements = parsed.as_object().if_contains("Statement");
  const json::array single =
      statements != nullptr && statements->is_object() ? json::array{*statements} : json::array();
  const json::array& list = statements != nullptr && statements->is_array() ? statements->as_array() : single;
  for (const json::value& statement : list) {
    if (statement.is_object() && statement.as_object().contains("NotPrincipal") &&
        GetString(statement.as_object(), "Effect").value_or("") == "Allow") {
      Error error = MakeError(errors::kMalformedPolicy);
      error.message = "Invalid policy element - NotPrincipal with Allow";
      return error;
    }
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  // BlockPublicPolicy refuses a policy that would make the bucket public (AWS answers AccessDenied).
  CENOTE_ASSIGN_OR_RETURN(auto pab, LoadPublicAccessBlock(*txn, bucket));
  if (pab.block_public_policy && PolicyIsPublic(policy)) return MakeError(errors::kAccessDenied);
  CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE s3_buckets SET policy = ? WHERE name = ?", {policy, bucket}));
  // x-amz-confirm-remove-self-bucket-access: the owner's root user gives up its standing right to read,
  // replace and delete this policy (access.cpp); any later PutBucketPolicy without it restores the right.
  if (GetBool(P(in), "ConfirmRemoveSelfBucketAccess").value_or(false)) {
    CENOTE_RETURN_IF_ERROR(
        StoreBucketConfig(*txn, bucket, kSelfAccessRemovedKind, "", json::object{{"Removed", true}}));
  } else {
    CENOTE_RETURN_IF_ERROR(DropBucketConfig(*txn, bucket, kSelfAccessRemovedKind, ""));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  OperationOutput out;
  out.http_status = 204;
  return out;
}

Result<OperationOutput> GetBucketPolicy(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto b, ReadBucket(env, bucket));
  if (!b.policy) return MakeError(errors::kNoSuchBucketPolicy).With("BucketName", bucket);
  OperationOutput out;
  out.result.as_object()["Policy"] = *b.policy;
  return out;
}

Result<OperationOutput> DeleteBucketPolicy(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  auto r = UpdateBucketColumn(env, bucket, "policy", std::nullopt);
  if (r) r->http_status = 204;
  return r;
}

Result<OperationOutput> PutBucketVersioning(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  const auto* cfg = services::GetObject(P(in), "VersioningConfiguration");
  auto status = cfg ? GetString(*cfg, "Status") : std::nullopt;
  if (!status || (*status != "Enabled" && *status != "Suspended")) return MakeError(errors::kMalformedXML);
  if (*status == "Suspended") {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(auto lock, LoadBucketConfig(*txn, bucket, "object-lock", ""));
    if (lock) return MakeError(errors::kVersioningLockedByObjectLock);
    CENOTE_ASSIGN_OR_RETURN(auto replication, LoadBucketConfig(*txn, bucket, "replication", ""));
    if (replication) return MakeError(errors::kVersioningLockedByReplication);
  }
  return UpdateBucketColumn(env, bucket, "versioning", *status);
}

Result<OperationOutput> GetBucketVersioning(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto b, ReadBucket(env, bucket));
  OperationOutput out;
  // A bucket that never had versioning configured has no Status element at all.
  if (!b.versioning.empty()) out.result.as_object()["Status"] = b.versioning;
  return out;
}

}  // namespace cenote::s3
