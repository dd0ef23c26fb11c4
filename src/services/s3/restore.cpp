// Archive storage classes and RestoreObject. An object in GLACIER or DEEP_ARCHIVE (written so, or moved there
// by a lifecycle transition) cannot be read (InvalidObjectState) until a RestoreObject has made a temporary
// copy readable: the restore takes as long as its tier takes on AWS (Expedited 5 minutes, Standard 5 hours
// for GLACIER and 12 for DEEP_ARCHIVE, Bulk 12 and 48 hours), in lifecycle days (S3Options::lifecycle_day_ms,
// so `--lifecycle-day-seconds` shortens it too), and the copy stays readable for the requested Days. The
// state is the version's attrs "Restore": {"ReadyMs", "ExpiryMs"}.
#include "common/clock.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

// The time a restore tier takes, as a fraction of a day (AWS's typical completion times).
std::optional<std::int64_t> TierDuration(std::string_view storage_class, std::string_view tier,
                                         std::int64_t day_ms) {
  const bool deep = storage_class == "DEEP_ARCHIVE";
  if (tier == "Expedited") {
    if (deep) return std::nullopt;  // not offered for DEEP_ARCHIVE
    return day_ms * 5 / (24 * 60);
  }
  if (tier == "Standard") return day_ms * (deep ? 12 : 5) / 24;
  if (tier == "Bulk") return day_ms * (deep ? 48 : 12) / 24;
  return std::nullopt;
}

}  // namespace

bool IsArchived(const VersionRow& v) {
  return v.storage_class == "GLACIER" || v.storage_class == "DEEP_ARCHIVE";
}

bool IsReadable(const VersionRow& v, std::int64_t now_ms) {
  if (!IsArchived(v)) return true;
  const auto* restore = services::GetObject(v.attrs, "Restore");
  if (restore == nullptr) return false;
  return GetInt(*restore, "ReadyMs").value_or(0) <= now_ms &&
         now_ms < GetInt(*restore, "ExpiryMs").value_or(0);
}

void PutRestoreMember(json::object& out, const VersionRow& v, std::int64_t now_ms) {
  const auto* restore = IsArchived(v) ? services::GetObject(v.attrs, "Restore") : nullptr;
  if (restore == nullptr) return;
  const std::int64_t expiry = GetInt(*restore, "ExpiryMs").value_or(0);
  if (GetInt(*restore, "ReadyMs").value_or(0) > now_ms) {
    out["Restore"] = "ongoing-request=\"true\"";
  } else if (now_ms < expiry) {
    out["Restore"] = "ongoing-request=\"false\", expiry-date=\"" + HttpDate(expiry) + "\"";
  }
}

Result<OperationOutput> RestoreObject(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  auto key = GetString(P(in), "Key").value_or("");
  const auto* request = services::GetObject(P(in), "RestoreRequest");
  if (request == nullptr) return MakeError(errors::kMalformedXML);
  if (request->contains("Type") || request->contains("SelectParameters") ||
      request->contains("OutputLocation")) {
    return MakeError(errors::kNotImplemented).With("Header", "RestoreRequest Type=SELECT");
  }
  auto days = GetInt(*request, "Days");
  if (!days || *days < 1) return MakeError(errors::kMalformedXML);
  std::string tier = "Standard";
  if (const auto* job = services::GetObject(*request, "GlacierJobParameters")) {
    tier = GetString(*job, "Tier").value_or("Standard");
  } else if (auto t = GetString(*request, "Tier")) {
    tier = *t;
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  std::optional<VersionRow> v;
  if (auto version_id = GetString(P(in), "VersionId")) {
    CENOTE_ASSIGN_OR_RETURN(v, LoadVersion(*txn, bucket, key, *version_id));
    if (!v) return MakeError(errors::kNoSuchVersion).With("Key", key).With("VersionId", *version_id);
  } else {
    CENOTE_ASSIGN_OR_RETURN(v, LoadLatest(*txn, bucket, key));
  }
  if (!v || v->delete_marker) return NoSuchKeyError(key);
  if (!IsArchived(*v)) return MakeError(errors::kRestoreNotArchived).With("StorageClass", v->storage_class);
  const std::int64_t day_ms = env.options.lifecycle_day_ms;
  auto duration = TierDuration(v->storage_class, tier, day_ms);
  if (!duration) return MakeError(errors::kInvalidRestoreTier, {tier});
  const std::int64_t now = UnixNowMs();
  json::object attrs = v->attrs;
  OperationOutput out;
  if (const auto* restore = services::GetObject(attrs, "Restore")) {
    const std::int64_t ready = GetInt(*restore, "ReadyMs").value_or(0);
    const std::int64_t expiry = GetInt(*restore, "ExpiryMs").value_or(0);
    if (ready > now) return MakeError(errors::kRestoreAlreadyInProgress);
    if (now < expiry) {
      // Already restored: the copy's expiry moves to `days` from now (200, as on AWS).
      attrs["Restore"] = json::object{{"ReadyMs", ready}, {"ExpiryMs", now + *days * day_ms}};
      out.http_status = 200;
    }
  }
  if (out.http_status == 0) {
    const std::int64_t ready = now + *duration;
    attrs["Restore"] = json::object{{"ReadyMs", ready}, {"ExpiryMs", ready + *days * day_ms}};
    out.http_status = 202;
  }
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE s3_versions SET attrs = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                {json::serialize(attrs), bucket, key, v->version_id}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  return out;
}

}  // namespace cenote::s3
