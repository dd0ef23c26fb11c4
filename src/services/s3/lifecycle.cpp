// Lifecycle configurations: validated and stored as S3 does (PutBucketLifecycleConfiguration), and acted on
// by a background task (S3Provider::StartLifecycle) that applies every bucket's enabled rules: expiration of
// current versions (days or date), of noncurrent versions (NoncurrentDays, NewerNoncurrentVersions), of
// expired object delete markers, aborts of incomplete multipart uploads, and transitions, which change the
// storage class. A "day" is S3Options::lifecycle_day_ms (cenote serve --lifecycle-day-seconds), so tests
// see days pass in seconds. S3 rounds a rule's due time up to the next midnight UTC; Cenote acts once the
// days have elapsed.
#include <algorithm>
#include <map>
#include <set>

#include "common/random.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

// The events lifecycle causes: S3 itself is the requester.
constexpr EventCause kLifecycleCause{.ctx = nullptr, .lifecycle = true};

const json::object& P(OperationInput& in) { return in.params.as_object(); }

constexpr std::int64_t kMsPerDay = 86'400'000;

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool ValidTransitionClass(std::string_view c) {
  return OneOf(c,
               {"GLACIER", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "DEEP_ARCHIVE", "GLACIER_IR"});
}

// A transition to the infrequent-access classes needs 30 days at least (AWS).
Status ValidateTransitionDays(std::string_view storage_class, std::optional<std::int64_t> days,
                              bool noncurrent) {
  if (!days) return Status::Ok();
  if (*days < 0) return MakeError(errors::kLifecycleNegativeDays);
  if ((storage_class == "STANDARD_IA" || storage_class == "ONEZONE_IA") && *days < 30) {
    return MakeError(
        noncurrent ? errors::kLifecycleNoncurrentTransitionTooSoon : errors::kLifecycleTransitionTooSoon,
        {storage_class});
  }
  return Status::Ok();
}

Status ValidateRule(const json::object& rule, std::set<std::string>& ids) {
  auto id = GetString(rule, "ID").value_or("");
  if (id.size() > 255) return MakeError(errors::kLifecycleIdTooLong);
  if (!id.empty() && !ids.insert(id).second) return MakeError(errors::kLifecycleDuplicateId);
  if (!OneOf(GetString(rule, "Status").value_or(""), {"Enabled", "Disabled"}))
    return MakeError(errors::kMalformedXML);
  const json::object* filter = services::GetObject(rule, "Filter");
  const bool has_prefix = rule.contains("Prefix");
  if ((filter != nullptr) == has_prefix) return MakeError(errors::kMalformedXML);
  bool has_tags = false;
  if (filter != nullptr) {
    int kinds = 0;
    for (const char* k : {"Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan"})
      kinds += filter->contains(k) ? 1 : 0;
    if (kinds > 1) return MakeError(errors::kMalformedXML);
    has_tags = filter->contains("Tag");
    if (const auto* a = services::GetObject(*filter, "And")) has_tags = has_tags || a->contains("Tags");
  }
  bool any_action = false;
  if (const auto* e = services::GetObject(rule, "Expiration")) {
    any_action = true;
    const bool days = e->contains("Days");
    const bool date = e->contains("Date");
    const bool marker = e->contains("ExpiredObjectDeleteMarker");
    if (days + date + marker != 1) return MakeError(errors::kMalformedXML);
    if (days && GetInt(*e, "Days").value_or(0) <= 0) return MakeError(errors::kLifecycleExpirationDays);
    if (date && GetInt(*e, "Date").value_or(1) % kMsPerDay != 0)
      return MakeError(errors::kLifecycleDateNotMidnight);
    if (marker && has_tags) return MakeError(errors::kLifecycleMarkerWithTags);
  }
  if (const auto* n = services::GetObject(rule, "NoncurrentVersionExpiration")) {
    any_action = true;
    if (GetInt(*n, "NoncurrentDays").value_or(0) <= 0) return MakeError(errors::kLifecycleNoncurrentDays);
    if (auto newer = GetInt(*n, "NewerNoncurrentVersions"); newer && (*newer < 1 || *newer > 100)) {
      return MakeError(errors::kLifecycleNewerNoncurrentVersions);
    }
  }
  if (const auto* a = services::GetObject(rule, "AbortIncompleteMultipartUpload")) {
    any_action = true;
    if (GetInt(*a, "DaysAfterInitiation").value_or(0) <= 0) return MakeError(errors::kLifecycleAbortDays);
    if (has_tags) return MakeError(errors::kLifecycleAbortWithTags);
  }
  for (const char* list : {"Transitions", "NoncurrentVersionTransitions"}) {
    const json::array* transitions = GetArray(rule, list);
    if (transitions == nullptr) continue;
    const bool noncurrent = std::string_view(list) == "NoncurrentVersionTransitions";
    for (const auto& t : *transitions) {
      if (!t.is_object()) return MakeError(errors::kMalformedXML);
      const auto& tr = t.as_object();
      auto storage_class = GetString(tr, "StorageClass").value_or("");
      if (!ValidTransitionClass(storage_class)) return MakeError(errors::kMalformedXML);
      auto days = GetInt(tr, noncurrent ? "NoncurrentDays" : "Days");
      if (!noncurrent && tr.contains("Date") == days.has_value()) return MakeError(errors::kMalformedXML);
      if (noncurrent && !days) return MakeError(errors::kMalformedXML);
      if (auto date = GetInt(tr, "Date"); date && *date % kMsPerDay != 0)
        return MakeError(errors::kLifecycleDateNotMidnight);
      CENOTE_RETURN_IF_ERROR(ValidateTransitionDays(storage_class, days, noncurrent));
      any_action = true;
    }
  }
  if (!any_action) return MakeError(errors::kLifecycleNoAction);
  return Status::Ok();
}

// ---- rule matching ----

struct Filter {
  std::string prefix;
  std::vector<std::pair<std::string, std::string>> tags;
  std::optional<std::int64_t> larger_than;
  std::optional<std::int64_t> smaller_than;
};

Filter FilterOf(const json::object& rule) {
  Filter f;
  f.prefix = GetString(rule, "Prefix").value_or("");
  const json::object* filter = services::GetObject(rule, "Filter");
  if (filter == nullptr) return f;
  const json::object* scope = services::GetObject(*filter, "And");
  if (scope == nullptr) scope = filter;
  f.prefix = GetString(*scope, "Prefix").value_or("");
  auto tag = [&](const json::value& t) {
    if (!t.is_object()) return;
    f.tags.emplace_back(GetString(t.as_object(), "Key").value_or(""),
                        GetString(t.as_object(), "Value").value_or(""));
  };
  if (const auto* t = services::GetObject(*filter, "Tag")) tag(*t);
  if (const json::array* tags = GetArray(*scope, "Tags")) {
    for (const auto& t : *tags) tag(t);
  }
  f.larger_than = GetInt(*scope, "ObjectSizeGreaterThan");
  f.smaller_than = GetInt(*scope, "ObjectSizeLessThan");
  return f;
}

bool Matches(const Filter& f, const VersionRow& v) {
  if (!v.key.starts_with(f.prefix)) return false;
  if (f.larger_than && static_cast<std::int64_t>(v.size) <= *f.larger_than) return false;
  if (f.smaller_than && static_cast<std::int64_t>(v.size) >= *f.smaller_than) return false;
  for (const auto& [key, value] : f.tags) {
    bool found = false;
    for (const auto& t : v.tags) {
      if (!t.is_object()) continue;
      found = found || (GetString(t.as_object(), "Key").value_or("") == key &&
                        GetString(t.as_object(), "Value").value_or("") == value);
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

Result<std::optional<std::string>> ExpirationOf(Env& env, const VersionRow& v) {
  if (!env.any_lifecycle.load(std::memory_order_relaxed) || v.delete_marker || !v.is_latest) {
    return std::optional<std::string>();
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto cfg, LoadBucketConfig(*txn, v.bucket, "lifecycle", ""));
  const json::array* rules = cfg ? GetArray(*cfg, "Rules") : nullptr;
  if (rules == nullptr) return std::optional<std::string>();
  for (const auto& r : *rules) {
    if (!r.is_object()) continue;
    const auto& rule = r.as_object();
    if (GetString(rule, "Status").value_or("") != "Enabled") continue;
    const json::object* e = services::GetObject(rule, "Expiration");
    if (e == nullptr || !Matches(FilterOf(rule), v)) continue;
    std::int64_t at = 0;
    if (auto days = GetInt(*e, "Days")) {
      // S3 counts the days from the object's creation and rounds up to the next midnight UTC.
      at = (v.last_modified_ms + *days * kMsPerDay) / kMsPerDay * kMsPerDay + kMsPerDay;
    } else if (auto date = GetInt(*e, "Date")) {
      at = *date;
    } else {
      continue;
    }
    return std::optional<std::string>("expiry-date=\"" + HttpDate(at) + "\", rule-id=\"" +
                                      GetString(rule, "ID").value_or("") + "\"");
  }
  return std::optional<std::string>();
}

namespace {

// Objects smaller than this do not transition unless the configuration says otherwise (AWS's default since
// September 2024, reported as x-amz-transition-default-minimum-object-size: all_storage_classes_128K).
constexpr std::uint64_t kMinTransitionSize = 128 * 1024;

// One bucket's round, in one write transaction.
Status RunBucket(Env& env, const std::string& bucket, const json::object& cfg, std::int64_t now_ms,
                 std::int64_t day_ms, LifecycleRound& round) {
  const json::array* rules = GetArray(cfg, "Rules");
  if (rules == nullptr) return Status::Ok();
  const bool small_transitions =
      GetString(cfg, "TransitionDefaultMinimumObjectSize").value_or("") == "varies_by_storage_class";
  std::vector<std::string> garbage;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, LoadBucket(*txn, bucket));
  if (!b) return Status::Ok();
  for (const auto& r : *rules) {
    if (!r.is_object()) continue;
    const auto& rule = r.as_object();
    if (GetString(rule, "Status").value_or("") != "Enabled") continue;
    const Filter filter = FilterOf(rule);
    const auto due = [&](std::int64_t since_ms, std::int64_t days) {
      return now_ms - since_ms >= days * day_ms;
    };

    // Every version of the keys under the prefix, newest first per key.
    CENOTE_ASSIGN_OR_RETURN(
        auto rows, txn->Query(std::string("SELECT ") + kVersionColumns +
                                  " FROM s3_versions WHERE bucket = ? AND key >= ? ORDER BY key, seq DESC",
                              {bucket, filter.prefix}));
    std::map<std::string, std::vector<VersionRow>> by_key;
    for (const auto& row : rows) {
      VersionRow v = VersionFromRow(row);
      if (!v.key.starts_with(filter.prefix)) break;
      by_key[v.key].push_back(std::move(v));
    }
    const auto* expiration = services::GetObject(rule, "Expiration");
    const auto* noncurrent = services::GetObject(rule, "NoncurrentVersionExpiration");
    const json::array* transitions = GetArray(rule, "Transitions");
    const json::array* noncurrent_transitions = GetArray(rule, "NoncurrentVersionTransitions");
    for (auto& [key, versions] : by_key) {
      const VersionRow& latest = versions.front();
      // Current version: transitions, then expiration.
      if (!latest.delete_marker && Matches(filter, latest)) {
        for (const auto& t : transitions ? *transitions : json::array()) {
          const auto& tr = t.as_object();
          auto storage_class = GetString(tr, "StorageClass").value_or("");
          const bool is_due = tr.contains("Date")
                                  ? now_ms >= GetInt(tr, "Date").value_or(0)
                                  : due(latest.last_modified_ms, GetInt(tr, "Days").value_or(0));
          if (!is_due || latest.storage_class == storage_class) continue;
          if (!small_transitions && latest.size < kMinTransitionSize) continue;
          CENOTE_RETURN_IF_ERROR(
              txn->Exec("UPDATE s3_versions SET storage_class = ? WHERE bucket = ? AND key = ? "
                        "AND version_id = ?",
                        {storage_class, bucket, key, latest.version_id}));
          CENOTE_RETURN_IF_ERROR(
              env.notifications->Record(*txn, *b, EventOf("LifecycleTransition", latest), kLifecycleCause));
          ++round.transitioned;
        }
        if (expiration != nullptr && !expiration->contains("ExpiredObjectDeleteMarker")) {
          const bool is_due = expiration->contains("Date")
                                  ? now_ms >= GetInt(*expiration, "Date").value_or(0)
                                  : due(latest.last_modified_ms, GetInt(*expiration, "Days").value_or(0));
          if (is_due) {
            // As a DeleteObject without a version: removed, or hidden by a delete marker when versioned.
            CENOTE_RETURN_IF_ERROR(
                DeleteOneInTxn(env, *txn, *b, key, std::nullopt, garbage, false, &kLifecycleCause));
            ++round.expired;
            continue;  // this key's versions changed: its noncurrent ones wait for the next round
          }
        }
      }
      // Noncurrent versions: each became noncurrent when the next newer version was written.
      int newer_noncurrent = 0;
      for (std::size_t i = 1; i < versions.size(); ++i) {
        const VersionRow& v = versions[i];
        if (!Matches(filter, v)) continue;
        const std::int64_t noncurrent_since = versions[i - 1].last_modified_ms;
        if (noncurrent != nullptr) {
          const std::int64_t keep = GetInt(*noncurrent, "NewerNoncurrentVersions").value_or(0);
          // A version under Object Lock stays until its lock allows the delete.
          if (newer_noncurrent++ >= keep &&
              due(noncurrent_since, GetInt(*noncurrent, "NoncurrentDays").value_or(0)) &&
              CheckVersionDeletable(v, false, now_ms)) {
            CENOTE_ASSIGN_OR_RETURN(auto gone, RemoveVersion(*txn, v));
            garbage.insert(garbage.end(), gone.begin(), gone.end());
            ObjectEvent removed = EventOf("LifecycleExpiration:Delete", v);
            removed.size.reset();
            removed.etag.clear();
            removed.seq = env.NextSeq();
            CENOTE_RETURN_IF_ERROR(env.notifications->Record(*txn, *b, removed, kLifecycleCause));
            ++round.noncurrent_removed;
            continue;
          }
        }
        for (const auto& t : noncurrent_transitions ? *noncurrent_transitions : json::array()) {
          const auto& tr = t.as_object();
          auto storage_class = GetString(tr, "StorageClass").value_or("");
          if (v.delete_marker || v.storage_class == storage_class) continue;
          if (!small_transitions && v.size < kMinTransitionSize) continue;
          if (!due(noncurrent_since, GetInt(tr, "NoncurrentDays").value_or(0))) continue;
          CENOTE_RETURN_IF_ERROR(
              txn->Exec("UPDATE s3_versions SET storage_class = ? WHERE bucket = ? AND key = ? "
                        "AND version_id = ?",
                        {storage_class, bucket, key, v.version_id}));
          CENOTE_RETURN_IF_ERROR(
              env.notifications->Record(*txn, *b, EventOf("LifecycleTransition", v), kLifecycleCause));
          ++round.transitioned;
        }
      }
      // An expired object delete marker: the latest version is a marker and nothing is left behind it.
      if (expiration != nullptr && GetBool(*expiration, "ExpiredObjectDeleteMarker").value_or(false) &&
          latest.delete_marker && versions.size() == 1) {
        CENOTE_ASSIGN_OR_RETURN(auto gone, RemoveVersion(*txn, latest));
        garbage.insert(garbage.end(), gone.begin(), gone.end());
        ++round.markers_removed;
      }
    }

    if (const auto* abort = services::GetObject(rule, "AbortIncompleteMultipartUpload")) {
      const std::int64_t days = GetInt(*abort, "DaysAfterInitiation").value_or(0);
      CENOTE_ASSIGN_OR_RETURN(
          auto uploads,
          txn->Query("SELECT upload_id, key, initiated_ms FROM s3_uploads WHERE bucket = ?", {bucket}));
      for (const auto& u : uploads) {
        const std::string upload_id = store::AsText(u[0]);
        if (!store::AsText(u[1]).starts_with(filter.prefix) || !due(store::AsInt(u[2]), days)) continue;
        CENOTE_ASSIGN_OR_RETURN(auto parts,
                                txn->Query("SELECT blob_id FROM s3_parts WHERE upload_id = ?", {upload_id}));
        for (const auto& part : parts) garbage.push_back(store::AsText(part[0]));
        CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_parts WHERE upload_id = ?", {upload_id}));
        CENOTE_RETURN_IF_ERROR(txn->Exec("DELETE FROM s3_uploads WHERE upload_id = ?", {upload_id}));
        ++round.uploads_aborted;
      }
    }
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.DeleteBlobs(garbage);
  return Status::Ok();
}

}  // namespace

Result<LifecycleRound> RunLifecycle(Env& env, std::int64_t now_ms, std::int64_t day_ms) {
  std::vector<std::pair<std::string, json::object>> configs;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(auto rows,
                            txn->Query("SELECT bucket, doc FROM s3_bucket_configs WHERE kind = 'lifecycle' "
                                       "ORDER BY bucket"));
    for (const auto& row : rows) {
      boost::system::error_code ec;
      auto doc = json::parse(store::AsText(row[1]), ec);
      if (!ec && doc.is_object()) configs.emplace_back(store::AsText(row[0]), std::move(doc).as_object());
    }
  }
  LifecycleRound round;
  for (const auto& [bucket, cfg] : configs) {
    CENOTE_RETURN_IF_ERROR(RunBucket(env, bucket, cfg, now_ms, day_ms, round));
  }
  return round;
}

Result<OperationOutput> PutBucketLifecycleConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  const auto* given = services::GetObject(P(in), "LifecycleConfiguration");
  if (given == nullptr) return MakeError(errors::kMalformedXML);
  const json::array* rules = GetArray(*given, "Rules");
  if (rules == nullptr || rules->empty() || rules->size() > 1000) return MakeError(errors::kMalformedXML);
  std::set<std::string> ids;
  json::object doc;
  json::array stored;
  for (const auto& r : *rules) {
    if (!r.is_object()) return MakeError(errors::kMalformedXML);
    CENOTE_RETURN_IF_ERROR(ValidateRule(r.as_object(), ids));
    json::object rule = r.as_object();
    // S3 names a rule that has no ID.
    if (GetString(rule, "ID").value_or("").empty()) rule["ID"] = RandomHex(24);
    stored.push_back(std::move(rule));
  }
  doc["Rules"] = std::move(stored);
  auto minimum = GetString(P(in), "TransitionDefaultMinimumObjectSize").value_or("all_storage_classes_128K");
  if (!OneOf(minimum, {"all_storage_classes_128K", "varies_by_storage_class"}))
    return MakeError(errors::kMalformedXML);
  doc["TransitionDefaultMinimumObjectSize"] = minimum;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_RETURN_IF_ERROR(StoreBucketConfig(*txn, bucket, "lifecycle", "", doc));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.any_lifecycle.store(true);
  OperationOutput out;
  out.result.as_object()["TransitionDefaultMinimumObjectSize"] = minimum;
  return out;
}

Result<OperationOutput> GetBucketLifecycleConfiguration(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bucket, BucketParam(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
  CENOTE_ASSIGN_OR_RETURN(auto doc, LoadBucketConfig(*txn, bucket, "lifecycle", ""));
  if (!doc) return MakeError(errors::kNoSuchLifecycleConfiguration).With("BucketName", bucket);
  return OperationOutput(std::move(*doc));
}

}  // namespace cenote::s3
