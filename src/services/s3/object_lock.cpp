// Object Lock: the bucket configuration (enabled at CreateBucket or on a versioned bucket, with an optional
// default retention), each version's retention (GOVERNANCE or COMPLIANCE until a date) and legal hold, kept
// in the version row (VersionRow::lock), and their enforcement: a locked version cannot be deleted
// permanently (a delete marker can still hide it), a COMPLIANCE retention cannot be shortened or loosened,
// and a GOVERNANCE one only with x-amz-bypass-governance-retention.
#include "common/clock.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

constexpr std::int64_t kMsPerDay = 86'400'000;

Result<json::object> RequireLockEnabled(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto cfg, LoadBucketConfig(txn, bucket, "object-lock", ""));
  if (!cfg) return MakeError(errors::kMissingObjectLockConfiguration);
  return std::move(*cfg);
}

bool ValidMode(std::string_view mode) { return mode == "GOVERNANCE" || mode == "COMPLIANCE"; }

// The version an object operation names (versionId), or the key's latest; delete markers have no lock.
Result<VersionRow> LockTarget(Transaction& txn, OperationInput& in, const std::string& bucket) {
  auto key = GetString(P(in), "Key").value_or("");
  std::optional<VersionRow> v;
  if (auto version_id = GetString(P(in), "VersionId")) {
    CENOTE_ASSIGN_OR_RETURN(v, LoadVersion(txn, bucket, key, *version_id));
    if (!v) return MakeError(errors::kNoSuchVersion).With("Key", key).With("VersionId", *version_id);
  } else {
    CENOTE_ASSIGN_OR_RETURN(v, LoadLatest(txn, bucket, key));
    if (!v) return NoSuchKeyError(key);
  }
  if (v->delete_marker) return MakeError(errors::kMethodNotAllowed);
  return std::move(*v);
}

Status StoreLock(Transaction& txn, const VersionRow& v, const json::object& lock) {
  store::Value value = nullptr;
  if (!lock.empty()) value = json::serialize(lock);
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("UPDATE s3_versions SET lock = ? WHERE bucket = ? AND key = ? AND version_id = ?",
               {value, v.bucket, v.key, v.version_id}));
  return Status::Ok();
}

bool BypassGovernance(OperationInput& in) {
  return GetBool(P(in), "BypassGovernanceRetention").value_or(false);
}

}  // namespace

Status CheckVersionDeletable(const VersionRow& v, bool bypass_governance, std::int64_t now_ms) {
  if (v.lock.empty()) return Status::Ok();
  if (GetBool(v.lock, "LegalHold").value_or(false)) return MakeError(errors::kObjectLocked);
  if (GetInt(v.lock, "RetainUntil").value_or(0) <= now_ms) return Status::Ok();
  const auto mode = GetString(v.lock, "Mode").value_or("");
  if (mode == "COMPLIANCE" || (mode == "GOVERNANCE" && !bypass_governance))
    return MakeError(errors::kObjectLocked);
  return Status::Ok();
}

Result<json::object> LockForNewVersion(Transaction& txn, std::string_view bucket, const json::object& params,
                                       std::int64_t now_ms) {
  auto mode = GetString(params, "ObjectLockMode");
  auto until = GetInt(params, "ObjectLockRetainUntilDate");
  auto hold = GetString(params, "ObjectLockLegalHoldStatus");
  CENOTE_ASSIGN_OR_RETURN(auto cfg, LoadBucketConfig(txn, bucket, "object-lock", ""));
  json::object lock;
  if (mode || until || hold) {
    if (!cfg) return MakeError(errors::kMissingObjectLockConfiguration);
    if (mode.has_value() != until.has_value()) return MakeError(errors::kLockHeadersTogether);
    if (mode) {
      if (!ValidMode(*mode)) return MakeError(errors::kInvalidObjectLockMode);
      if (*until <= now_ms) return MakeError(errors::kRetainUntilInPast);
      lock["Mode"] = *mode;
      lock["RetainUntil"] = *until;
    }
    if (hold) {
      if (*hold != "ON" && *hold != "OFF") return MakeError(errors::kMalformedXML);
      if (*hold == "ON") lock["LegalHold"] = true;
    }
  }
  // The bucket's default retention, for a version whose request names none.
  if (cfg && !lock.contains("Mode")) {
    const auto* rule = services::GetObject(*cfg, "Rule");
    const auto* retention = rule ? services::GetObject(*rule, "DefaultRetention") : nullptr;
    if (retention != nullptr) {
      const std::int64_t days =
          GetInt(*retention, "Days").value_or(GetInt(*retention, "Years").value_or(0) * 365);
      lock["Mode"] = GetString(*retention, "Mode").value_or("GOVERNANCE");
      lock["RetainUntil"] = now_ms + days * kMsPerDay;
    }
  }
  return lock;
}

void PutLockMembers(json::object& out, const VersionRow& v) {
  if (v.lock.empty()) return;
  if (auto mode = GetString(v.lock, "Mode")) {
    out["ObjectLockMode"] = *mode;
    out["ObjectLockRetainUntilDate"] = GetInt(v.lock, "RetainUntil").value_or(0);
  }
  if (GetBool(v.lock, "LegalHold").value_or(false)) out["ObjectLockLegalHoldStatus"] = "ON";
}

Result<OperationOutput> PutObjectLockConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  const auto* given = services::GetObject(P(in), "ObjectLockConfiguration");
  if (given == nullptr || GetString(*given, "ObjectLockEnabled").value_or("") != "Enabled") {
    return MakeError(errors::kMalformedXML);
  }
  json::object cfg;
  cfg["ObjectLockEnabled"] = "Enabled";
  if (const auto* rule = services::GetObject(*given, "Rule")) {
    const auto* retention = services::GetObject(*rule, "DefaultRetention");
    if (retention == nullptr) return MakeError(errors::kMalformedXML);
    auto mode = GetString(*retention, "Mode").value_or("");
    if (!ValidMode(mode)) return MakeError(errors::kMalformedXML);
    auto days = GetInt(*retention, "Days");
    auto years = GetInt(*retention, "Years");
    if (days.has_value() == years.has_value()) return MakeError(errors::kMalformedXML);
    if (days.value_or(years.value_or(0)) <= 0) return MakeError(errors::kInvalidRetentionPeriod);
    json::object kept;
    kept["Mode"] = mode;
    if (days) kept["Days"] = *days;
    if (years) kept["Years"] = *years;
    cfg["Rule"] = json::object{{"DefaultRetention", std::move(kept)}};
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  // Object Lock protects versions: the bucket must keep them (and then always will).
  if (b.versioning != "Enabled") return MakeError(errors::kObjectLockNeedsVersioning);
  CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "object-lock", "", cfg));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<OperationOutput> GetObjectLockConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto cfg, LoadBucketConfig(*txn, bucket, "object-lock", ""));
  if (!cfg) return MakeError(errors::kObjectLockConfigurationNotFound).With("BucketName", bucket);
  OperationOutput out;
  out.result.as_object()["ObjectLockConfiguration"] = std::move(*cfg);
  return out;
}

Result<OperationOutput> PutObjectRetention(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(RequireLockEnabled(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto v, LockTarget(*txn, in, bucket));
  const auto* retention = services::GetObject(P(in), "Retention");
  const std::string mode = retention ? GetString(*retention, "Mode").value_or("") : "";
  const bool has_until = retention != nullptr && retention->contains("RetainUntilDate");
  const std::int64_t until = has_until ? GetInt(*retention, "RetainUntilDate").value_or(0) : 0;
  if (!mode.empty() && !ValidMode(mode)) return MakeError(errors::kMalformedXML);
  if (mode.empty() == has_until) return MakeError(errors::kMalformedXML);
  const std::int64_t now = UnixNowMs();
  if (has_until && until <= now) return MakeError(errors::kRetainUntilInPast);
  // What the current retention allows: COMPLIANCE only longer, GOVERNANCE anything with the bypass header.
  const std::string old_mode = GetString(v.lock, "Mode").value_or("");
  const std::int64_t old_until = GetInt(v.lock, "RetainUntil").value_or(0);
  if (!old_mode.empty() && old_until > now) {
    const bool loosened = mode != old_mode || until < old_until;
    if (loosened && (old_mode == "COMPLIANCE" || !BypassGovernance(in)))
      return MakeError(errors::kAccessDenied);
  }
  json::object lock = v.lock;
  if (!mode.empty()) {
    lock["Mode"] = mode;
    lock["RetainUntil"] = until;
  } else {
    lock.erase("Mode");
    lock.erase("RetainUntil");
  }
  CENOTE_RETURN_IF_ERROR(StoreLock(*txn, v, lock));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<OperationOutput> GetObjectRetention(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(RequireLockEnabled(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto v, LockTarget(*txn, in, bucket));
  auto mode = GetString(v.lock, "Mode");
  if (!mode) return MakeError(errors::kNoSuchObjectLockConfiguration);
  json::object retention;
  retention["Mode"] = *mode;
  retention["RetainUntilDate"] = GetInt(v.lock, "RetainUntil").value_or(0);
  OperationOutput out;
  out.result.as_object()["Retention"] = std::move(retention);
  return out;
}

Result<OperationOutput> PutObjectLegalHold(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(RequireLockEnabled(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto v, LockTarget(*txn, in, bucket));
  const auto* hold = services::GetObject(P(in), "LegalHold");
  auto status = hold ? GetString(*hold, "Status").value_or("") : "";
  if (status != "ON" && status != "OFF") return MakeError(errors::kMalformedXML);
  json::object lock = v.lock;
  // OFF is kept (false): GetObjectLegalHold answers OFF for a version whose hold was lifted, as S3 does.
  lock["LegalHold"] = status == "ON";
  CENOTE_RETURN_IF_ERROR(StoreLock(*txn, v, lock));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return OperationOutput{};
}

Result<OperationOutput> GetObjectLegalHold(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(RequireLockEnabled(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto v, LockTarget(*txn, in, bucket));
  if (!v.lock.contains("LegalHold") && !v.lock.contains("Mode")) {
    return MakeError(errors::kNoSuchObjectLockConfiguration);
  }
  OperationOutput out;
  out.result.as_object()["LegalHold"] =
      json::object{{"Status", GetBool(v.lock, "LegalHold").value_or(false) ? "ON" : "OFF"}};
  return out;
}

}  // namespace cenote::s3
