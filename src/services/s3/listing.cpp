// ListObjects, ListObjectsV2, ListObjectVersions and the shared delimiter paginator (also used by
// ListMultipartUploads). Listing pages through the index with bounded range scans: a page of N entries
// reads about N rows, plus one range seek per common prefix (all keys under a prefix are skipped in one
// seek past PrefixSuccessor(prefix)).
#include "services/s3/listing.hpp"

#include <algorithm>

#include "services/s3/env.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

std::string UpperBoundClause(const std::string& prefix, std::vector<store::Value>& params) {
  if (prefix.empty()) return "";
  std::string succ = PrefixSuccessor(prefix);
  if (succ.empty()) return "";
  params.emplace_back(succ);
  return " AND key < ?";
}

// Latest, non-delete-marker versions in key order.
class LatestCursor final : public ListCursor<VersionRow> {
 public:
  LatestCursor(Transaction& txn, std::string bucket, std::string prefix)
      : txn_(txn), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}
  void Start(const std::string& marker) {
    if (marker < prefix_) {
      pos_ = prefix_;
      inclusive_ = true;
    } else {
      pos_ = marker;
      inclusive_ = false;
    }
  }
  void SkipTo(const std::string& key) override {
    pos_ = key;
    inclusive_ = true;
  }
  const std::string& KeyOf(const VersionRow& row) const override { return row.key; }
  Result<std::vector<VersionRow>> Next(std::size_t limit) override {
    std::vector<store::Value> params = {bucket_, pos_};
    std::string sql = std::string("SELECT ") + kVersionColumns +
                      " FROM s3_versions WHERE bucket = ? AND is_latest = 1 AND delete_marker = 0 AND key " +
                      (inclusive_ ? ">=" : ">") + " ?";
    sql += UpperBoundClause(prefix_, params);
    sql += " ORDER BY key LIMIT ?";
    params.emplace_back(static_cast<std::int64_t>(limit));
    CENOTE_ASSIGN_OR_RETURN(auto rows, txn_.Query(sql, params));
    std::vector<VersionRow> out;
    for (const auto& r : rows) out.push_back(VersionFromRow(r));
    if (!out.empty()) {
      pos_ = out.back().key;
      inclusive_ = false;
    }
    return out;
  }

 private:
  Transaction& txn_;
  std::string bucket_, prefix_, pos_;
  bool inclusive_ = false;
};

// Every version and delete marker, in (key ascending, newest first) order.
class VersionCursor final : public ListCursor<VersionRow> {
 public:
  VersionCursor(Transaction& txn, std::string bucket, std::string prefix)
      : txn_(txn), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {}
  void Start(const std::string& key_marker, std::optional<std::int64_t> seq_marker) {
    if (key_marker < prefix_) {
      pos_ = prefix_;
      inclusive_ = true;
    } else {
      pos_ = key_marker;
      inclusive_ = false;
      seq_ = seq_marker;
    }
  }
  void SkipTo(const std::string& key) override {
    pos_ = key;
    inclusive_ = true;
    seq_.reset();
  }
  const std::string& KeyOf(const VersionRow& row) const override { return row.key; }
  Result<std::vector<VersionRow>> Next(std::size_t limit) override {
    std::vector<VersionRow> out;
    if (seq_) {
      // The rest of the current key's versions, older than the marker.
      CENOTE_ASSIGN_OR_RETURN(
          auto rows,
          txn_.Query(
              std::string("SELECT ") + kVersionColumns +
                  " FROM s3_versions WHERE bucket = ? AND key = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
              {bucket_, pos_, *seq_, static_cast<std::int64_t>(limit)}));
      for (const auto& r : rows) out.push_back(VersionFromRow(r));
    }
    if (out.size() < limit) {
      std::vector<store::Value> params = {bucket_, pos_};
      std::string sql = std::string("SELECT ") + kVersionColumns +
                        " FROM s3_versions WHERE bucket = ? AND key " + (inclusive_ ? ">=" : ">") + " ?";
      sql += UpperBoundClause(prefix_, params);
      sql += " ORDER BY key, seq DESC LIMIT ?";
      params.emplace_back(static_cast<std::int64_t>(limit - out.size()));
      CENOTE_ASSIGN_OR_RETURN(auto rows, txn_.Query(sql, params));
      for (const auto& r : rows) out.push_back(VersionFromRow(r));
    }
    if (!out.empty()) {
      pos_ = out.back().key;
      seq_ = out.back().seq;
      inclusive_ = false;
    }
    return out;
  }

 private:
  Transaction& txn_;
  std::string bucket_, prefix_, pos_;
  std::optional<std::int64_t> seq_;
  bool inclusive_ = false;
};

Result<std::int64_t> MaxKeysParam(const json::object& p, const char* name, const char* arg_name) {
  auto v = GetInt(p, name).value_or(1000);
  if (v < 0) {
    return InvalidArgumentError(errors::kMaxArgumentOutOfRange, arg_name, std::to_string(v), {arg_name});
  }
  return std::min<std::int64_t>(v, 1000);
}

json::object ContentEntry(const VersionRow& v, bool url, bool owner) {
  json::object o;
  o["Key"] = url ? UrlEncodeKey(v.key) : v.key;
  o["LastModified"] = v.last_modified_ms;
  o["ETag"] = Quote(v.etag);
  o["Size"] = static_cast<std::int64_t>(v.size);
  o["StorageClass"] = v.storage_class;
  if (owner) o["Owner"] = OwnerDoc(v.owner_id, v.owner_name);
  if (const auto* sums = services::GetObject(v.attrs, "Checksums")) {
    json::array algs;
    for (const auto& [name, value] : *sums) algs.emplace_back(name);
    o["ChecksumAlgorithm"] = std::move(algs);
    if (auto t = GetString(v.attrs, "ChecksumType")) o["ChecksumType"] = *t;
  }
  return o;
}

struct ListParams {
  std::string bucket, prefix, delimiter;
  bool url = false;
  bool encode_prefix = true;  // false for ListObjects (v1), which echoes its Prefix as given
  std::int64_t max_keys = 1000;
};

Result<ListParams> CommonListParams(OperationInput& in, const char* max_name, const char* max_arg) {
  const auto& p = P(in);
  ListParams lp;
  lp.bucket = GetString(p, "Bucket").value_or("");
  lp.prefix = GetString(p, "Prefix").value_or("");
  lp.delimiter = GetString(p, "Delimiter").value_or("");
  if (auto enc = GetString(p, "EncodingType")) {
    if (*enc != "url") {
      return InvalidArgumentError(errors::kInvalidEncodingType, "encoding-type", *enc);
    }
    lp.url = true;
  }
  CENOTE_ASSIGN_OR_RETURN(auto max, MaxKeysParam(p, max_name, max_arg));
  lp.max_keys = max;
  return lp;
}

void PutCommon(json::object& r, const ListParams& lp, const std::vector<std::string>& prefixes) {
  auto enc = [&](const std::string& s) { return lp.url ? UrlEncodeKey(s) : s; };
  r["Name"] = lp.bucket;
  // ListObjects (v1) echoes the Prefix as given; v2 encodes it with the rest (botocore decodes v1's
  // Delimiter and Marker, v2's Prefix too).
  r["Prefix"] = lp.encode_prefix ? enc(lp.prefix) : lp.prefix;
  if (!lp.delimiter.empty()) r["Delimiter"] = enc(lp.delimiter);
  if (lp.url) r["EncodingType"] = "url";
  if (!prefixes.empty()) {
    json::array cps;
    for (const auto& cp : prefixes) cps.push_back(json::object{{"Prefix", enc(cp)}});
    r["CommonPrefixes"] = std::move(cps);
  }
}

// One page of the latest (non-delete-marker) versions after `marker`: what ListObjects v1 and v2 share.
Result<ListPage<VersionRow>> ListLatest(Env& env, const ListParams& lp, const std::string& marker) {
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, lp.bucket));
  LatestCursor cursor(*txn, lp.bucket, lp.prefix);
  cursor.Start(marker);
  return Paginate<VersionRow>(cursor, lp.prefix, lp.delimiter, marker, lp.max_keys);
}

}  // namespace

Result<OperationOutput> ListObjectsV2(Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto lp, CommonListParams(in, "MaxKeys", "max-keys"));
  auto start_after = GetString(p, "StartAfter").value_or("");
  auto token = GetString(p, "ContinuationToken");
  std::string marker = start_after;
  // An empty token is no token (and is echoed back), as S3 treats it.
  if (token && !token->empty()) {
    auto decoded = Base64Decode(*token);
    if (!decoded || !decoded->starts_with("v2:")) {
      return InvalidArgumentError(errors::kInvalidContinuationToken, "continuation-token", *token);
    }
    marker = decoded->substr(3);
  }
  CENOTE_ASSIGN_OR_RETURN(auto page, ListLatest(env, lp, marker));
  OperationOutput out;
  auto& r = out.result.as_object();
  PutCommon(r, lp, page.prefixes);
  const bool fetch_owner = GetBool(p, "FetchOwner").value_or(false);
  json::array contents;
  for (const auto& v : page.items) contents.push_back(ContentEntry(v, lp.url, fetch_owner));
  if (!contents.empty()) r["Contents"] = std::move(contents);
  r["MaxKeys"] = lp.max_keys;
  r["KeyCount"] = static_cast<std::int64_t>(page.items.size() + page.prefixes.size());
  r["IsTruncated"] = page.truncated;
  if (token) r["ContinuationToken"] = *token;
  if (p.contains("StartAfter")) r["StartAfter"] = lp.url ? UrlEncodeKey(start_after) : start_after;
  if (page.truncated) r["NextContinuationToken"] = Base64Encode("v2:" + page.last);
  return out;
}

Result<OperationOutput> ListObjects(Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto lp, CommonListParams(in, "MaxKeys", "max-keys"));
  lp.encode_prefix = false;
  auto marker = GetString(p, "Marker").value_or("");
  CENOTE_ASSIGN_OR_RETURN(auto page, ListLatest(env, lp, marker));
  OperationOutput out;
  auto& r = out.result.as_object();
  PutCommon(r, lp, page.prefixes);
  json::array contents;
  for (const auto& v : page.items) contents.push_back(ContentEntry(v, lp.url, true));
  if (!contents.empty()) r["Contents"] = std::move(contents);
  r["Marker"] = lp.url ? UrlEncodeKey(marker) : marker;
  r["MaxKeys"] = lp.max_keys;
  r["IsTruncated"] = page.truncated;
  // V1 returns NextMarker only when a delimiter was given; otherwise clients use the last Key.
  if (page.truncated && !lp.delimiter.empty()) r["NextMarker"] = lp.url ? UrlEncodeKey(page.last) : page.last;
  return out;
}

Result<OperationOutput> ListObjectVersions(Env& env, const RequestContext&, OperationInput& in) {
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto lp, CommonListParams(in, "MaxKeys", "max-keys"));
  auto key_marker = GetString(p, "KeyMarker").value_or("");
  auto version_marker = GetString(p, "VersionIdMarker");
  if (version_marker && key_marker.empty()) {
    return InvalidArgumentError(errors::kVersionIdMarkerWithoutKeyMarker, "version-id-marker",
                                *version_marker);
  }
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, lp.bucket));
  std::optional<std::int64_t> seq_marker;
  if (version_marker && !version_marker->empty()) {
    CENOTE_ASSIGN_OR_RETURN(auto v, LoadVersion(*txn, lp.bucket, key_marker, *version_marker));
    if (v) {
      seq_marker = v->seq;
    } else if (auto seq = SeqOfVersionId(*version_marker)) {
      // The marker's version was deleted since the previous page (a listing that deletes as it goes): its
      // id still says where it was.
      seq_marker = *seq;
    } else if (*version_marker != "null") {
      return InvalidArgumentError(errors::kInvalidVersionId, "version-id-marker", *version_marker);
    }
    // A deleted "null" version: the listing goes on after its key. That is exact for keys written without
    // versioning (the null version is their only one); older versions kept under a key whose versioning was
    // suspended would be skipped.
  }
  VersionCursor cursor(*txn, lp.bucket, lp.prefix);
  cursor.Start(key_marker, seq_marker);
  // With a version marker, versions of the marker key itself are still to come: no common prefix of
  // that key has been returned yet, so the "already returned" bound is the key's predecessor.
  std::string returned_bound = seq_marker ? std::string() : key_marker;
  CENOTE_ASSIGN_OR_RETURN(auto page,
                          Paginate<VersionRow>(cursor, lp.prefix, lp.delimiter, returned_bound, lp.max_keys));
  OperationOutput out;
  auto& r = out.result.as_object();
  PutCommon(r, lp, page.prefixes);
  json::array versions, markers;
  for (const auto& v : page.items) {
    json::object o;
    o["Key"] = lp.url ? UrlEncodeKey(v.key) : v.key;
    o["VersionId"] = v.version_id;
    o["IsLatest"] = v.is_latest;
    o["LastModified"] = v.last_modified_ms;
    o["Owner"] = OwnerDoc(v.owner_id, v.owner_name);
    if (v.delete_marker) {
      markers.push_back(std::move(o));
      continue;
    }
    o["ETag"] = Quote(v.etag);
    o["Size"] = static_cast<std::int64_t>(v.size);
    o["StorageClass"] = v.storage_class;
    versions.push_back(std::move(o));
  }
  if (!versions.empty()) r["Versions"] = std::move(versions);
  if (!markers.empty()) r["DeleteMarkers"] = std::move(markers);
  r["KeyMarker"] = lp.url ? UrlEncodeKey(key_marker) : key_marker;
  r["VersionIdMarker"] = version_marker.value_or("");
  r["MaxKeys"] = lp.max_keys;
  r["IsTruncated"] = page.truncated;
  if (page.truncated) {
    r["NextKeyMarker"] = lp.url ? UrlEncodeKey(page.last) : page.last;
    if (!page.last_is_prefix && !page.items.empty()) r["NextVersionIdMarker"] = page.items.back().version_id;
  }
  return out;
}

}  // namespace cenote::s3
