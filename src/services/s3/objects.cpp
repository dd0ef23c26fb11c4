// Object operations: put/get/head/delete, batch delete, copy, tagging, attributes.
#include <algorithm>
#include <functional>

#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "services/s3/checksums.hpp"
#include "services/s3/env.hpp"
#include "services/s3/object_io.hpp"

namespace cenote::s3 {

namespace {

const json::object& P(OperationInput& in) { return in.params.as_object(); }

constexpr std::size_t kMaxKeyBytes = 1024;
// AWS: "the user-defined metadata is limited to 2 KB in size", counted as the UTF-8 bytes of every key and
// value (Amazon S3 User Guide, "Working with object metadata").
constexpr std::size_t kMaxUserMetadataBytes = 2048;

}  // namespace

bool ValidStorageClass(std::string_view s) {
  for (std::string_view c :
       {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
        "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"}) {
    if (s == c) return true;
  }
  return false;
}

namespace {

// Version ids Cenote issues: "null" or 32 lowercase hex characters.
bool ValidVersionId(std::string_view v) {
  if (v == "null") return true;
  if (v.size() != 32) return false;
  return std::all_of(v.begin(), v.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Error InvalidVersionIdError(std::string_view v) {
  return InvalidArgumentError(errors::kInvalidVersionId, "versionId", v);
}

Result<std::pair<std::string, std::string>> BucketAndKey(OperationInput& in) {
  auto bucket = GetString(P(in), "Bucket").value_or("");
  auto key = GetString(P(in), "Key").value_or("");
  CENOTE_RETURN_IF_ERROR(CheckObjectKey(key));
  return std::make_pair(std::move(bucket), std::move(key));
}

}  // namespace

Status CheckKeyEncoding(std::string_view key) {
  if (!IsValidUtf8(key)) return MakeError(errors::kInvalidURI);
  return Status::Ok();
}

Status CheckObjectKey(const std::string& key) {
  CENOTE_RETURN_IF_ERROR(CheckKeyEncoding(key));
  if (key.empty()) return InvalidArgumentError(errors::kEmptyKey, "key", key);
  if (key.size() > kMaxKeyBytes) {
    return MakeError(errors::kKeyTooLongError)
        .With("MaxSizeAllowed", "1024")
        .With("Size", std::to_string(key.size()));
  }
  return Status::Ok();
}

Status CheckUserMetadataSize(const json::object& params) {
  const auto* metadata = services::GetObject(params, "Metadata");
  if (!metadata) return Status::Ok();
  std::size_t size = 0;
  for (const auto& [name, value] : *metadata) {
    size += name.size() + (value.is_string() ? value.as_string().size() : 0);
  }
  if (size <= kMaxUserMetadataBytes) return Status::Ok();
  return MakeError(errors::kMetadataTooLarge)
      .With("Size", std::to_string(size))
      .With("MaxSizeAllowed", std::to_string(kMaxUserMetadataBytes));
}

json::object AttrsFromRequest(const json::object& p) {
  json::object a;
  a["ContentType"] = GetString(p, "ContentType").value_or("binary/octet-stream");
  for (const char* name : {"CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage",
                           "WebsiteRedirectLocation"}) {
    if (auto v = GetString(p, name)) a[name] = *v;
  }
  if (auto e = GetInt(p, "Expires")) a["Expires"] = *e;
  if (const auto* m = services::GetObject(p, "Metadata")) a["Metadata"] = *m;
  return a;
}

void PutChecksumMembers(json::object& out, const json::object& attrs) {
  if (const auto* sums = services::GetObject(attrs, "Checksums")) {
    for (const auto& [name, value] : *sums) out["Checksum" + std::string(name)] = value;
    if (auto type = GetString(attrs, "ChecksumType")) out["ChecksumType"] = *type;
  }
}

namespace {

// For CommitVersion's `extra`: the owner and the ACL of the version the write made, under the bucket's Object
// Ownership (ObjectAclForWrite), set in the write's transaction. nullptr when the write sets no ACL and its
// caller is of the bucket owner's account or has no canonical user: the version is the bucket owner's, with
// its full control (PutVersion).
std::function<Result<std::vector<std::string>>(Transaction&)> AclWrite(const Env& env, const json::object& p,
                                                                       const RequestContext& ctx,
                                                                       const std::string& bucket,
                                                                       const std::string& key) {
  bool sets_acl = false;
  for (const char* member : {"ACL", "GrantFullControl", "GrantRead", "GrantReadACP", "GrantWriteACP"}) {
    sets_acl = sets_acl || p.contains(member);
  }
  if (!sets_acl && ctx.principal.canonical_id.empty()) return nullptr;
  return [&env, &p, &ctx, &bucket, &key, sets_acl](Transaction& txn) -> Result<std::vector<std::string>> {
    CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(txn, bucket));
    if (!sets_acl && b.owner_id == ctx.principal.canonical_id) return std::vector<std::string>{};
    CENOTE_ASSIGN_OR_RETURN(auto acl, ObjectAclForWrite(txn, p, ctx, b, env.options.accounts));
    if (acl.owner.id != b.owner_id) CENOTE_RETURN_IF_ERROR(SetLatestOwner(txn, bucket, key, acl.owner));
    if (acl.grants) CENOTE_RETURN_IF_ERROR(SetLatestAcl(txn, bucket, key, *acl.grants));
    return std::vector<std::string>{};
  };
}

bool EtagMatches(std::string_view condition, const std::string& etag);

}  // namespace

Status CheckWriteConditions(const json::object& p, const RequestContext& ctx,
                            const std::optional<VersionRow>& latest) {
  const bool exists = latest && !latest->delete_marker;
  auto if_none_match = GetString(p, "IfNoneMatch");
  if (!if_none_match) if_none_match = RawHeader(ctx, "If-None-Match");
  auto if_match = GetString(p, "IfMatch");
  if (!if_match) if_match = RawHeader(ctx, "If-Match");
  // If-None-Match: "*" (no object at all) or entity tags (no current object with one of them).
  if (if_none_match && exists && EtagMatches(*if_none_match, latest->etag)) {
    return MakeError(errors::kPreconditionFailed).With("Condition", "If-None-Match");
  }
  if (if_match) {
    if (!exists) return NoSuchKeyError(latest ? latest->key : "");
    if (*if_match != "*" && Unquote(*if_match) != latest->etag) {
      return MakeError(errors::kPreconditionFailed).With("Condition", "If-Match");
    }
  }
  return Status::Ok();
}

Result<VersionRow> CommitVersion(Env& env, VersionRow row, const std::vector<std::string>& new_blobs,
                                 const std::function<Status(const std::optional<VersionRow>&)>& check,
                                 const std::function<Result<std::vector<std::string>>(Transaction&)>& extra,
                                 BucketRow* bucket_out, const json::object* lock_params,
                                 const EventRequest* event) {
  std::vector<std::string> superseded;
  auto run = [&]() -> Status {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
    CENOTE_ASSIGN_OR_RETURN(auto bucket, RequireBucket(*txn, row.bucket));
    // Object Lock needs versioning: only versioned buckets (or a request asking for a lock) look it up.
    const bool asks_lock = lock_params != nullptr && (lock_params->contains("ObjectLockMode") ||
                                                      lock_params->contains("ObjectLockRetainUntilDate") ||
                                                      lock_params->contains("ObjectLockLegalHoldStatus"));
    if (bucket.versioning == "Enabled" || asks_lock) {
      static const json::object kNoParams;
      CENOTE_ASSIGN_OR_RETURN(
          row.lock, LockForNewVersion(*txn, row.bucket, lock_params ? *lock_params : kNoParams, UnixNowMs()));
    }
    if (check) {
      CENOTE_ASSIGN_OR_RETURN(auto latest, LoadLatest(*txn, row.bucket, row.key));
      CENOTE_RETURN_IF_ERROR(check(latest));
    }
    std::vector<Replication::Target> replicate;
    if (env.replication) {
      CENOTE_ASSIGN_OR_RETURN(replicate, env.replication->Match(*txn, bucket, row));
      if (!replicate.empty()) row.attrs["ReplicationStatus"] = "PENDING";
    }
    CENOTE_ASSIGN_OR_RETURN(superseded, PutVersion(env, *txn, bucket, row));
    if (!replicate.empty()) CENOTE_RETURN_IF_ERROR(env.replication->Enqueue(*txn, row, replicate));
    if (event != nullptr && env.notifications) {
      CENOTE_RETURN_IF_ERROR(
          env.notifications->Record(*txn, bucket, EventOf(event->name, row), event->cause));
    }
    if (extra) {
      CENOTE_ASSIGN_OR_RETURN(auto more, extra(*txn));
      superseded.insert(superseded.end(), more.begin(), more.end());
    }
    CENOTE_RETURN_IF_ERROR(txn->Commit());
    if (!replicate.empty()) env.replication->Committed();
    if (bucket_out) *bucket_out = std::move(bucket);
    return Status::Ok();
  };
  Status s = run();
  if (!s) {
    env.DeleteBlobs(new_blobs);
    return std::move(s).error();
  }
  env.DeleteBlobs(superseded);
  return row;
}

namespace {

// NoSuchKey for a missing latest version; for a delete marker also x-amz-delete-marker and its version.
Status CheckLatest(const std::optional<VersionRow>& v, const std::string& key) {
  if (!v) return NoSuchKeyError(key);
  if (v->delete_marker) {
    Error e = NoSuchKeyError(key);
    e.headers = {{"x-amz-delete-marker", "true"}, {"x-amz-version-id", v->version_id}};
    return e;
  }
  return Status::Ok();
}

// The version a GET/HEAD/tagging request names, with AWS's errors for missing keys, unknown versions and
// delete markers (404 NoSuchKey + x-amz-delete-marker for the latest; 405 for an explicit version).
Result<VersionRow> ResolveObject(Transaction& txn, const std::string& bucket, const std::string& key,
                                 const std::optional<std::string>& version_id,
                                 BucketRow* bucket_out = nullptr) {
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(txn, bucket));
  if (bucket_out) *bucket_out = b;
  if (version_id) {
    if (!ValidVersionId(*version_id)) return InvalidVersionIdError(*version_id);
    CENOTE_ASSIGN_OR_RETURN(auto v, LoadVersion(txn, bucket, key, *version_id));
    if (!v) return MakeError(errors::kNoSuchVersion).With("Key", key).With("VersionId", *version_id);
    if (v->delete_marker) {
      Error e =
          MakeError(errors::kMethodNotAllowed).With("Method", "GET").With("ResourceType", "DeleteMarker");
      e.headers = {{"x-amz-delete-marker", "true"},
                   {"x-amz-version-id", *version_id},
                   {"Last-Modified", HttpDate(v->last_modified_ms)},
                   {"Allow", "DELETE"}};
      return e;
    }
    return std::move(*v);
  }
  CENOTE_ASSIGN_OR_RETURN(auto v, LoadLatest(txn, bucket, key));
  CENOTE_RETURN_IF_ERROR(CheckLatest(v, key));
  return std::move(*v);
}

// GET/HEAD without a version id: the bucket row and the latest version, from the ReadCache when it has
// them, else from one metadata snapshot (then offered to the cache). Same errors as ResolveObject.
Result<std::shared_ptr<const ReadCache::Entry>> ResolveLatestCached(Env& env, const std::string& bucket,
                                                                    const std::string& key) {
  std::shared_ptr<const ReadCache::Entry> entry = env.cache.Find(bucket, key);
  if (!entry) {
    const std::optional<std::uint64_t> token = env.cache.Token();  // before the snapshot
    ReadCache::Entry fresh;
    {
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
      CENOTE_ASSIGN_OR_RETURN(fresh.bucket, RequireBucket(*txn, bucket));
      CENOTE_ASSIGN_OR_RETURN(fresh.latest, LoadLatest(*txn, bucket, key));
    }
    bool cacheable = token.has_value();
    const VersionRow* latest = fresh.latest ? &*fresh.latest : nullptr;
    if (cacheable && latest && !latest->delete_marker && latest->manifest.size() == 1 &&
        !latest->manifest[0].is_inline() && env.cache.MayHoldBlob()) {
      // Opened after the snapshot: if an overwrite already deleted it, do not cache this entry (the GET
      // itself then meets NoSuchBlob and retries as without the cache).
      auto opened = env.blobs.Open(latest->manifest[0].id);
      if (opened) {
        fresh.blob = std::move(*opened);
      } else {
        cacheable = false;
      }
    }
    entry = std::make_shared<const ReadCache::Entry>(std::move(fresh));
    if (cacheable) env.cache.Insert(*token, bucket, key, entry);
  }
  CENOTE_RETURN_IF_ERROR(CheckLatest(entry->latest, key));
  return entry;
}

bool EtagMatches(std::string_view condition, const std::string& etag) {
  // A list of entity tags, or "*".
  for (std::string_view item : SplitString(condition, ',')) {
    item = TrimAsciiSpace(item);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == "*" || Unquote(item) == etag) return true;
  }
  return false;
}

struct Conditions {
  std::optional<std::string> if_match, if_none_match;
  std::optional<std::int64_t> if_modified_since, if_unmodified_since;
};

// RFC 7232 order as S3 applies it: If-Match, then If-Unmodified-Since only without If-Match; If-None-Match,
// then If-Modified-Since only without If-None-Match. `copy` turns every failure into 412 (copy sources).
Status EvaluateConditions(const Conditions& c, const VersionRow& v, bool copy) {
  const std::int64_t modified_s = v.last_modified_ms / 1000;
  auto precondition = [&](const char* which) {
    return MakeError(errors::kPreconditionFailed).With("Condition", which);
  };
  auto not_modified = [&]() {
    if (copy) return precondition("x-amz-copy-source-If-None-Match");
    Error e = MakeError(errors::kNotModified);
    e.headers = {{"ETag", Quote(v.etag)}, {"Last-Modified", HttpDate(v.last_modified_ms)}};
    return e;
  };
  if (c.if_match) {
    if (!EtagMatches(*c.if_match, v.etag))
      return precondition(copy ? "x-amz-copy-source-If-Match" : "If-Match");
  } else if (c.if_unmodified_since && modified_s > *c.if_unmodified_since / 1000) {
    return precondition(copy ? "x-amz-copy-source-If-Unmodified-Since" : "If-Unmodified-Since");
  }
  if (c.if_none_match) {
    if (EtagMatches(*c.if_none_match, v.etag)) return not_modified();
  } else if (c.if_modified_since && modified_s <= *c.if_modified_since / 1000 &&
             *c.if_modified_since <= UnixNowMs()) {
    return not_modified();
  }
  return Status::Ok();
}

// A part's own checksum (CompleteMultipartUpload keeps them as PartChecksums) in place of the object's, for
// GetObject/HeadObject with partNumber (`only_if_shown`: where the object's checksums are shown, with
// ChecksumMode) and the entries of GetObjectAttributes' ObjectParts.
void PutPartChecksum(json::object& out, const VersionRow& v, std::int64_t part_number,
                     bool only_if_shown = true) {
  const json::array* sums = GetArray(v.attrs, "PartChecksums");
  const json::object* whole = services::GetObject(v.attrs, "Checksums");
  if (sums == nullptr || whole == nullptr || whole->size() != 1 || part_number < 1 ||
      static_cast<std::size_t>(part_number) > sums->size() || !(*sums)[part_number - 1].is_string()) {
    return;
  }
  const std::string member = "Checksum" + std::string(whole->begin()->key());
  if (only_if_shown && !out.contains(member)) return;
  out[member] = (*sums)[part_number - 1].as_string();
}

std::vector<std::uint64_t> PartSizes(const VersionRow& v) {
  std::vector<std::uint64_t> sizes;
  if (const auto* a = GetArray(v.attrs, "PartSizes")) {
    for (const auto& s : *a) {
      if (s.is_int64()) sizes.push_back(static_cast<std::uint64_t>(s.as_int64()));
    }
  }
  return sizes;
}

// A user-defined metadata value as S3 returns it: "Values of such headers [with non US-ASCII characters] are
// character decoded as per RFC 2047 before storing and encoded as per RFC 2047 to make them mail-safe before
// returning" (user guide, "Working with object metadata"). ASCII values come back as they are; others as one
// encoded word of their UTF-8 bytes, base64 ("B") encoded: =?UTF-8?B?...?=. A value whose bytes are not UTF-8
// came as ISO-8859-1 header octets (RFC 9110 obs-text) and is read so.
std::string MailSafeMetadataValue(std::string_view value) {
  if (std::all_of(value.begin(), value.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(value);
  }
  std::string utf8;
  if (IsValidUtf8(value)) {
    utf8.assign(value);
  } else {
    for (char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x80) {
        utf8.push_back(ch);
      } else {
        utf8.push_back(static_cast<char>(0xC0 | (c >> 6)));
        utf8.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      }
    }
  }
  std::string out = "=?UTF-8?B?";
  out.append(Base64Encode(utf8)).append("?=");
  return out;
}

void FillObjectMembers(json::object& r, const VersionRow& v, const BucketRow& bucket, bool checksum_mode) {
  r["AcceptRanges"] = "bytes";
  r["LastModified"] = v.last_modified_ms;
  r["ETag"] = Quote(v.etag);
  for (const char* name : {"ContentType", "CacheControl", "ContentDisposition", "ContentEncoding",
                           "ContentLanguage", "WebsiteRedirectLocation"}) {
    if (auto s = GetString(v.attrs, name)) r[name] = *s;
  }
  if (auto e = GetInt(v.attrs, "Expires")) r["Expires"] = *e;
  if (const auto* m = services::GetObject(v.attrs, "Metadata")) {
    json::object metadata;
    for (const auto& [name, value] : *m) {
      if (value.is_string()) metadata[name] = MailSafeMetadataValue(value.as_string());
    }
    r["Metadata"] = std::move(metadata);
  }
  if (!bucket.versioning.empty() || v.version_id != "null") r["VersionId"] = v.version_id;
  // AWS omits x-amz-storage-class for STANDARD.
  if (v.storage_class != "STANDARD") r["StorageClass"] = v.storage_class;
  if (checksum_mode) PutChecksumMembers(r, v.attrs);
  PutEncryptionMembers(r, v.attrs);
  PutLockMembers(r, v);
  PutRestoreMember(r, v, UnixNowMs());
  if (auto status = GetString(v.attrs, "ReplicationStatus")) r["ReplicationStatus"] = *status;
}

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
};

// Parses a single "bytes=" range against `size`. nullopt: no usable range (absent, malformed or several
// ranges, which S3 ignores and answers with the whole object). Error: unsatisfiable (416 InvalidRange).
Result<std::optional<ByteRange>> ParseRange(const std::optional<std::string>& header, std::uint64_t size) {
  if (!header) return std::optional<ByteRange>();
  std::string_view h = *header;
  if (!h.starts_with("bytes=")) return std::optional<ByteRange>();
  h.remove_prefix(6);
  if (h.find(',') != std::string_view::npos) return std::optional<ByteRange>();
  auto dash = h.find('-');
  if (dash == std::string_view::npos) return std::optional<ByteRange>();
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 19) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v;
  };
  auto first = number(h.substr(0, dash));
  auto last = number(h.substr(dash + 1));
  auto unsatisfiable = [&]() {
    return MakeError(errors::kInvalidRange)
        .With("RangeRequested", *header)
        .With("ActualObjectSize", std::to_string(size));
  };
  if (!first && !last) return std::optional<ByteRange>();
  if (!first) {  // suffix range: the last N bytes
    if (*last == 0 || size == 0) return unsatisfiable();
    std::uint64_t n = std::min(*last, size);
    return std::optional<ByteRange>(ByteRange{.first = size - n, .length = n});
  }
  if (last && *last < *first) return std::optional<ByteRange>();  // syntactically invalid: ignored
  if (*first >= size) return unsatisfiable();
  std::uint64_t end = last ? std::min(*last, size - 1) : size - 1;
  return std::optional<ByteRange>(ByteRange{.first = *first, .length = end - *first + 1});
}

Result<OperationOutput> GetOrHead(Env& env, const RequestContext& ctx, OperationInput& in, bool head) {
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  const std::string& bucket = bk.first;
  const std::string& key = bk.second;
  auto version_id = GetString(p, "VersionId");
  auto range_header = GetString(p, "Range");
  auto part_number = GetInt(p, "PartNumber");
  if (range_header && part_number) {
    return MakeError(errors::kRangeWithPartNumber);
  }
  if (part_number && (*part_number < 1 || *part_number > 10000)) {
    return InvalidArgumentError(errors::kPartNumberOutOfRange, "partNumber", std::to_string(*part_number));
  }
  const Conditions cond{.if_match = GetString(p, "IfMatch"),
                        .if_none_match = GetString(p, "IfNoneMatch"),
                        .if_modified_since = GetInt(p, "IfModifiedSince"),
                        .if_unmodified_since = GetInt(p, "IfUnmodifiedSince")};
  const bool checksum_mode = GetString(p, "ChecksumMode").value_or("") == "ENABLED";

  // A concurrent overwrite may delete the blobs between our metadata read and the blob open; the retry
  // then sees the new version.
  constexpr int kGetAttempts = 8;
  for (int attempt = 0;; ++attempt) {
    // The latest version comes from the ReadCache when it holds it (the common GET); `b` and `v` point
    // into `cached` or into `own`.
    std::shared_ptr<const ReadCache::Entry> cached;
    ReadCache::Entry own;
    if (version_id) {
      CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
      CENOTE_ASSIGN_OR_RETURN(own.latest, ResolveObject(*txn, bucket, key, version_id, &own.bucket));
    } else {
      CENOTE_ASSIGN_OR_RETURN(cached, ResolveLatestCached(env, bucket, key));
    }
    const BucketRow& b = cached ? cached->bucket : own.bucket;
    const VersionRow& v = cached ? *cached->latest : *own.latest;
    CENOTE_RETURN_IF_ERROR(EvaluateConditions(cond, v, false));
    // x-amz-server-side-encryption belongs to writes: a read that sends it is refused, as S3 does.
    if (RawHeader(ctx, "x-amz-server-side-encryption")) return MakeError(errors::kSseHeaderOnRead);
    // HEAD too: an SSE-C object describes itself only to the holder of its key. (HEAD of an SSE-KMS object
    // asks KMS nothing.)
    std::optional<DataKey> key;
    if (head) {
      CENOTE_RETURN_IF_ERROR(CheckDescribable(env, ctx, p, v.attrs));
    } else {
      CENOTE_ASSIGN_OR_RETURN(key, KeyForRead(env, ctx, p, v.attrs));
    }
    // An archived object is read only through a restored copy (HEAD still describes it).
    if (!head && !IsReadable(v, UnixNowMs())) {
      return MakeError(errors::kInvalidObjectState).With("StorageClass", v.storage_class);
    }

    OperationOutput out;
    auto& r = out.result.as_object();
    FillObjectMembers(r, v, b, checksum_mode);
    if (!v.tags.empty()) r["TagCount"] = static_cast<std::int64_t>(v.tags.size());
    CENOTE_ASSIGN_OR_RETURN(auto expiration, ExpirationOf(env, v));
    if (expiration) r["Expiration"] = std::move(*expiration);

    std::uint64_t offset = 0;
    std::uint64_t length = v.size;
    bool partial = false;
    if (part_number) {
      auto sizes = PartSizes(v);
      if (sizes.empty()) {
        // A non-multipart object is a single part.
        if (*part_number != 1)
          return MakeError(errors::kInvalidPartNumber)
              .With("PartNumberRequested", std::to_string(*part_number))
              .With("ActualPartCount", "1");
      } else {
        if (static_cast<std::size_t>(*part_number) > sizes.size()) {
          return MakeError(errors::kInvalidPartNumber)
              .With("PartNumberRequested", std::to_string(*part_number))
              .With("ActualPartCount", std::to_string(sizes.size()));
        }
        for (std::int64_t i = 0; i + 1 < *part_number; ++i) offset += sizes[i];
        length = sizes[*part_number - 1];
        r["PartsCount"] = static_cast<std::int64_t>(sizes.size());
        partial = true;
        PutPartChecksum(r, v, *part_number);
      }
    } else {
      CENOTE_ASSIGN_OR_RETURN(auto range, ParseRange(range_header, v.size));
      if (range) {
        offset = range->first;
        length = range->length;
        partial = true;
        // Full-object checksums do not describe a byte range; S3 omits them on ranged GETs.
        if (length != v.size) {
          for (const auto& name : ChecksumNames()) r.erase("Checksum" + name);
          r.erase("ChecksumType");
        }
      }
    }
    if (partial) {
      r["ContentRange"] = "bytes " + std::to_string(offset) + "-" +
                          std::to_string(offset + length - (length ? 1 : 0)) + "/" + std::to_string(v.size);
      out.http_status = 206;
    }
    r["ContentLength"] = static_cast<std::int64_t>(length);
    // response-* query parameters override the stored headers in this response only.
    static const std::pair<const char*, const char*> kOverrides[] = {
        {"ResponseContentType", "ContentType"},         {"ResponseContentLanguage", "ContentLanguage"},
        {"ResponseCacheControl", "CacheControl"},       {"ResponseContentDisposition", "ContentDisposition"},
        {"ResponseContentEncoding", "ContentEncoding"},
    };
    for (const auto& [param, member] : kOverrides) {
      if (auto s = GetString(p, param)) r[member] = *s;
    }
    if (auto e = GetInt(p, "ResponseExpires")) r["Expires"] = *e;
    if (head) return out;
    auto body = OpenManifestBody(env.blobs, v.manifest, offset, length, cached ? cached->blob : nullptr,
                                 key ? &*key : nullptr);
    if (!body) {
      // Each retry sees a newer version, so only a reader that keeps losing the race to overwrites of the
      // same key comes back here; on a loaded machine it lost four times in a row (a 500 for a key that
      // always existed). A retry costs nothing unless that race happens.
      if (attempt < kGetAttempts - 1) continue;
      return std::move(body).error();
    }
    out.body = std::move(*body);
    return out;
  }
}

}  // namespace

// Deletes one key or version inside `txn`, appending the blobs to delete after the commit to `garbage`.
// Versioned buckets get a delete marker unless a version is named (which deletes that version
// permanently). Deleting a missing key or version succeeds, as in AWS.
Result<DeleteOutcome> DeleteOneInTxn(Env& env, Transaction& txn, const BucketRow& b, const std::string& key,
                                     const std::optional<std::string>& version_id,
                                     std::vector<std::string>& garbage, bool bypass_governance,
                                     const EventCause* cause) {
  if (version_id && !ValidVersionId(*version_id)) return InvalidVersionIdError(*version_id);
  DeleteOutcome outcome;
  std::optional<VersionRow> doomed;
  if (version_id) {
    outcome.version_id = *version_id;
    CENOTE_ASSIGN_OR_RETURN(doomed, LoadVersion(txn, b.name, key, *version_id));
    if (doomed) outcome.delete_marker = doomed->delete_marker;
  } else if (b.versioning.empty()) {
    CENOTE_ASSIGN_OR_RETURN(doomed, LoadVersion(txn, b.name, key, "null"));
  } else {
    VersionRow marker;
    marker.key = key;
    marker.delete_marker = true;
    marker.last_modified_ms = UnixNowMs();
    CENOTE_ASSIGN_OR_RETURN(auto gone, PutVersion(env, txn, b, marker));
    if (env.replication) {
      CENOTE_ASSIGN_OR_RETURN(auto replicate, env.replication->Match(txn, b, marker));
      CENOTE_RETURN_IF_ERROR(env.replication->Enqueue(txn, marker, replicate));
    }
    garbage.insert(garbage.end(), gone.begin(), gone.end());
    outcome.delete_marker = true;
    outcome.version_id = marker.version_id;
    if (cause != nullptr && env.notifications) {
      const char* name =
          cause->lifecycle ? "LifecycleExpiration:DeleteMarkerCreated" : "ObjectRemoved:DeleteMarkerCreated";
      CENOTE_RETURN_IF_ERROR(env.notifications->Record(txn, b, EventOf(name, marker), *cause));
    }
    return outcome;
  }
  if (doomed) {
    CENOTE_RETURN_IF_ERROR(CheckVersionDeletable(*doomed, bypass_governance, UnixNowMs()));
    CENOTE_ASSIGN_OR_RETURN(auto gone, RemoveVersion(txn, *doomed));
    garbage.insert(garbage.end(), gone.begin(), gone.end());
    if (cause != nullptr && env.notifications) {
      ObjectEvent e;
      e.name = cause->lifecycle ? "LifecycleExpiration:Delete" : "ObjectRemoved:Delete";
      e.key = key;
      e.version_id = b.versioning.empty() ? "" : doomed->version_id;
      e.seq = env.NextSeq();
      CENOTE_RETURN_IF_ERROR(env.notifications->Record(txn, b, e, *cause));
    }
  }
  return outcome;
}

namespace {

Result<DeleteOutcome> DeleteOne(Env& env, const RequestContext& ctx, const std::string& bucket,
                                const std::string& key, const std::optional<std::string>& version_id,
                                bool bypass_governance) {
  std::vector<std::string> garbage;
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  const EventCause cause{.ctx = &ctx};
  auto outcome = DeleteOneInTxn(env, *txn, b, key, version_id, garbage, bypass_governance, &cause);
  if (!outcome) return outcome;
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.DeleteBlobs(garbage);
  return outcome;
}

}  // namespace

Result<std::vector<std::string>> CloneManifest(Env& env, const std::vector<BlobRef>& manifest,
                                               std::vector<BlobRef>& out) {
  std::vector<std::string> created;
  for (const auto& b : manifest) {
    if (b.is_inline()) {
      out.push_back(b);  // the bytes travel with the row
      continue;
    }
    auto id = env.blobs.Clone(b.id);
    if (!id) {
      env.DeleteBlobs(created);
      return std::move(id).error();
    }
    created.push_back(*id);
    out.push_back({*id, b.size});
  }
  return created;
}

Result<CopySource> ParseCopySource(std::string_view text) {
  std::string decoded = UriDecode(text);
  CopySource src;
  std::string_view s = decoded;
  auto q = s.find("?versionId=");
  if (q != std::string_view::npos) {
    src.version_id = std::string(s.substr(q + 11));
    s = s.substr(0, q);
  }
  if (!s.empty() && s.front() == '/') s.remove_prefix(1);
  auto slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) {
    return InvalidArgumentError(errors::kInvalidCopySource, "x-amz-copy-source", text);
  }
  src.bucket = std::string(s.substr(0, slash));
  src.key = std::string(s.substr(slash + 1));
  return src;
}

Result<VersionRow> LoadCopySource(Transaction& txn, const CopySource& source, const json::object& params) {
  CENOTE_RETURN_IF_ERROR(RequireBucket(txn, source.bucket));
  std::optional<VersionRow> v;
  if (source.version_id) {
    if (!ValidVersionId(*source.version_id)) return InvalidVersionIdError(*source.version_id);
    CENOTE_ASSIGN_OR_RETURN(auto r, LoadVersion(txn, source.bucket, source.key, *source.version_id));
    if (!r)
      return MakeError(errors::kNoSuchVersion).With("Key", source.key).With("VersionId", *source.version_id);
    if (r->delete_marker) {
      return MakeError(errors::kCopySourceIsDeleteMarker);
    }
    v = std::move(*r);
  } else {
    CENOTE_ASSIGN_OR_RETURN(auto r, LoadLatest(txn, source.bucket, source.key));
    if (!r || r->delete_marker) return NoSuchKeyError(source.key);
    v = std::move(*r);
  }
  const Conditions cond{.if_match = GetString(params, "CopySourceIfMatch"),
                        .if_none_match = GetString(params, "CopySourceIfNoneMatch"),
                        .if_modified_since = GetInt(params, "CopySourceIfModifiedSince"),
                        .if_unmodified_since = GetInt(params, "CopySourceIfUnmodifiedSince")};
  CENOTE_RETURN_IF_ERROR(EvaluateConditions(cond, *v, true));
  if (!IsReadable(*v, UnixNowMs())) {
    return MakeError(errors::kInvalidObjectState).With("StorageClass", v->storage_class);
  }
  return std::move(*v);
}

Result<WrittenObject> WriteObject(Env& env, const RequestContext& ctx, const ObjectWrite& write) {
  // Write path: stream body -> BlobWriter (MD5 + requested checksums on the fly) -> Commit (fsync, rename,
  // fsync dir) -> one metadata transaction (conditions re-checked, version row inserted/replaced) ->
  // delete superseded blobs -> acknowledge. A crash before the metadata commit leaves an orphan blob that
  // Open() removes; readers never see a partial object.
  const json::object& p = write.params;
  const std::string& bucket = write.bucket;
  const std::string& key = write.key;
  auto storage_class = GetString(p, "StorageClass").value_or("STANDARD");
  if (!ValidStorageClass(storage_class))
    return MakeError(errors::kInvalidStorageClass).With("StorageClassRequested", storage_class);
  CENOTE_RETURN_IF_ERROR(CheckUserMetadataSize(p));
  auto check = [&](const std::optional<VersionRow>& latest) -> Status {
    if (latest) return CheckWriteConditions(p, ctx, latest);
    std::optional<VersionRow> none;
    Status s = CheckWriteConditions(p, ctx, none);
    if (!s && s.error().code == "NoSuchKey") return NoSuchKeyError(key);
    return s;
  };
  std::optional<ObjectEncryption> encryption;
  {
    // Fail fast (before the client uploads the body) on a missing bucket, a failed precondition or bad
    // encryption members.
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
    CENOTE_ASSIGN_OR_RETURN(auto latest, LoadLatest(*txn, bucket, key));
    CENOTE_RETURN_IF_ERROR(check(latest));
    CENOTE_ASSIGN_OR_RETURN(encryption, EncryptionForWrite(env, ctx, *txn, bucket, p));
  }
  auto algorithms = RequestedChecksums(ctx, p, "");
  CENOTE_ASSIGN_OR_RETURN(auto stored,
                          StoreBody(env, write.body, algorithms, write.max_size, env.options.inline_max_bytes,
                                    encryption ? &encryption->key : nullptr));
  std::vector<std::string> new_blobs;
  if (!stored.inline_bytes) new_blobs.push_back(stored.id);
  Status verified = VerifyDigests(p, write.body, stored);
  if (verified && stored.size < write.min_size) {
    verified = MakeError(errors::kEntityTooSmall)
                   .With("ProposedSize", std::to_string(stored.size))
                   .With("MinSizeAllowed", std::to_string(write.min_size));
  }
  if (!verified) {
    env.DeleteBlobs(new_blobs);
    return std::move(verified).error();
  }
  VersionRow row;
  row.bucket = bucket;
  row.key = key;
  row.size = stored.size;
  row.etag = HexEncode(stored.md5);
  row.last_modified_ms = UnixNowMs();
  if (stored.inline_bytes) {
    row.manifest = {BlobRef::Inline(std::move(*stored.inline_bytes))};
    row.manifest[0].size = stored.size;  // the plaintext's (encrypted inline bytes are longer)
  } else {
    row.manifest = {{stored.id, stored.size}};
  }
  row.attrs = AttrsFromRequest(p);
  if (encryption) row.attrs["SSE"] = std::move(encryption->doc);
  if (!stored.checksums.empty()) {
    json::object sums;
    for (const auto& [name, value] : stored.checksums) sums[name] = value;
    row.attrs["Checksums"] = std::move(sums);
    row.attrs["ChecksumType"] = "FULL_OBJECT";
  }
  row.tags = write.tags;
  row.storage_class = storage_class;
  WrittenObject written;
  const EventRequest event{write.event, EventCause{.ctx = &ctx}};
  CENOTE_ASSIGN_OR_RETURN(written.version,
                          CommitVersion(env, std::move(row), new_blobs, check,
                                        AclWrite(env, p, ctx, bucket, key), &written.bucket, &p, &event));
  return written;
}

Result<OperationOutput> PutObject(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  json::array tags;
  if (auto t = GetString(p, "Tagging")) {
    CENOTE_ASSIGN_OR_RETURN(tags, ParseTaggingHeader(*t));
  }
  CENOTE_ASSIGN_OR_RETURN(auto written, WriteObject(env, ctx,
                                                    ObjectWrite{.params = p,
                                                                .bucket = std::move(bk.first),
                                                                .key = std::move(bk.second),
                                                                .tags = std::move(tags),
                                                                .body = in.body,
                                                                .max_size = env.options.max_object_size}));
  const VersionRow& committed = written.version;
  OperationOutput out;
  auto& r = out.result.as_object();
  r["ETag"] = Quote(committed.etag);
  if (committed.version_id != "null") r["VersionId"] = committed.version_id;
  CENOTE_ASSIGN_OR_RETURN(auto expiration, ExpirationOf(env, committed));
  if (expiration) r["Expiration"] = std::move(*expiration);
  PutChecksumMembers(r, committed.attrs);
  PutEncryptionMembers(r, committed.attrs);
  r["Size"] = static_cast<std::int64_t>(committed.size);
  return out;
}

Result<OperationOutput> GetObject(Env& env, const RequestContext& ctx, OperationInput& in) {
  return GetOrHead(env, ctx, in, false);
}

Result<OperationOutput> HeadObject(Env& env, const RequestContext& ctx, OperationInput& in) {
  return GetOrHead(env, ctx, in, true);
}

Result<OperationOutput> DeleteObject(Env& env, const RequestContext& ctx, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  CENOTE_ASSIGN_OR_RETURN(auto outcome,
                          DeleteOne(env, ctx, bk.first, bk.second, GetString(P(in), "VersionId"),
                                    GetBool(P(in), "BypassGovernanceRetention").value_or(false)));
  OperationOutput out;
  out.http_status = 204;
  auto& r = out.result.as_object();
  if (outcome.delete_marker) r["DeleteMarker"] = true;
  if (outcome.version_id) r["VersionId"] = *outcome.version_id;
  return out;
}

Result<OperationOutput> DeleteObjects(Env& env, const RequestContext& ctx, OperationInput& in) {
  auto bucket = GetString(P(in), "Bucket").value_or("");
  const auto* del = services::GetObject(P(in), "Delete");
  const json::array* objects = del ? GetArray(*del, "Objects") : nullptr;
  // AWS: an empty list or more than 1000 keys is MalformedXML.
  if (!objects || objects->empty() || objects->size() > 1000) return MakeError(errors::kMalformedXML);
  const bool quiet = GetBool(*del, "Quiet").value_or(false);
  // One write transaction (one fsync) for the whole batch; per-key failures are validation errors that
  // touch nothing, so the batch stays consistent.
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bucket));
  std::vector<std::string> garbage;
  json::array deleted, failed;
  const EventCause cause{.ctx = &ctx};
  for (const auto& o : *objects) {
    if (!o.is_object()) return MakeError(errors::kMalformedXML);
    auto key = GetString(o.as_object(), "Key").value_or("");
    auto version_id = GetString(o.as_object(), "VersionId");
    Result<DeleteOutcome> outcome =
        key.empty() || key.size() > kMaxKeyBytes
            ? Result<DeleteOutcome>(MakeError(errors::kKeyTooLongError))
            : DeleteOneInTxn(env, *txn, b, key, version_id, garbage,
                             GetBool(P(in), "BypassGovernanceRetention").value_or(false), &cause);
    if (!outcome && outcome.error().http_status >= 500) return std::move(outcome).error();
    if (!outcome) {
      json::object e;
      e["Key"] = key;
      if (version_id) e["VersionId"] = *version_id;
      e["Code"] = outcome.error().code;
      e["Message"] = outcome.error().message;
      failed.push_back(std::move(e));
      continue;
    }
    if (quiet) continue;
    json::object d;
    d["Key"] = key;
    if (version_id) d["VersionId"] = *version_id;
    if (outcome->delete_marker) {
      d["DeleteMarker"] = true;
      if (!version_id && outcome->version_id) d["DeleteMarkerVersionId"] = *outcome->version_id;
      if (version_id) d["DeleteMarkerVersionId"] = *version_id;
    }
    deleted.push_back(std::move(d));
  }
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  env.DeleteBlobs(garbage);
  OperationOutput out;
  auto& r = out.result.as_object();
  if (!deleted.empty()) r["Deleted"] = std::move(deleted);
  if (!failed.empty()) r["Errors"] = std::move(failed);
  return out;
}

Result<OperationOutput> CopyObject(Env& env, const RequestContext& ctx, OperationInput& in) {
  // Write path: clone the source's blobs (hard links, durable on return; no byte copy), or, when the
  // encryption changes, copy the plaintext through into a new blob -> one metadata transaction inserting
  // the destination version -> delete superseded blobs -> acknowledge.
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  const std::string& bucket = bk.first;
  const std::string& key = bk.second;
  CENOTE_ASSIGN_OR_RETURN(auto source, ParseCopySource(GetString(p, "CopySource").value_or("")));
  auto directive = GetString(p, "MetadataDirective").value_or("COPY");
  auto tagging_directive = GetString(p, "TaggingDirective").value_or("COPY");
  if (directive != "COPY" && directive != "REPLACE") {
    return InvalidArgumentError(errors::kUnknownMetadataDirective, "MetadataDirective", directive);
  }
  if (tagging_directive != "COPY" && tagging_directive != "REPLACE") {
    return InvalidArgumentError(errors::kUnknownTaggingDirective, "TaggingDirective", tagging_directive);
  }
  auto storage_class = GetString(p, "StorageClass");
  if (storage_class && !ValidStorageClass(*storage_class)) return MakeError(errors::kInvalidStorageClass);
  // COPY keeps the source's metadata, which passed this check when it was written.
  if (directive == "REPLACE") CENOTE_RETURN_IF_ERROR(CheckUserMetadataSize(p));
  VersionRow src;
  std::optional<ObjectEncryption> encryption;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_RETURN_IF_ERROR(RequireBucket(*txn, bucket));
    CENOTE_ASSIGN_OR_RETURN(src, LoadCopySource(*txn, source, p));
    // The copy is encrypted as the request or the destination bucket says, never as its source was.
    CENOTE_ASSIGN_OR_RETURN(encryption, EncryptionForWrite(env, ctx, *txn, bucket, p));
  }
  CENOTE_ASSIGN_OR_RETURN(auto source_key, KeyForRead(env, ctx, p, src.attrs, "CopySource"));
  if (src.size > env.options.max_object_size) {
    return MakeError(errors::kCopySourceTooLarge, {std::to_string(env.options.max_object_size)});
  }
  const bool self = source.bucket == bucket && source.key == key && (!source.version_id || src.is_latest);
  if (self && directive == "COPY" && !storage_class && !p.contains("WebsiteRedirectLocation") &&
      !p.contains("ServerSideEncryption") && !p.contains("SSEKMSKeyId") &&
      !p.contains("SSECustomerAlgorithm") && !p.contains("ChecksumAlgorithm")) {
    return MakeError(errors::kCopyToItself);
  }
  VersionRow row;
  row.bucket = bucket;
  row.key = key;
  row.size = src.size;
  row.etag = src.etag;
  row.last_modified_ms = UnixNowMs();
  row.storage_class = storage_class.value_or("STANDARD");
  if (directive == "REPLACE") {
    row.attrs = AttrsFromRequest(p);
  } else {
    row.attrs = src.attrs;
  }
  row.attrs.erase("Restore");            // a restored copy's state belongs to its archived source
  row.attrs.erase("ReplicationStatus");  // the copy is a new object, replicated (or not) on its own
  // Bytes are unchanged: checksums and part layout describe the copy too.
  for (const char* carried : {"Checksums", "ChecksumType", "PartSizes", "PartChecksums"}) {
    if (src.attrs.contains(carried))
      row.attrs[carried] = src.attrs.at(carried);
    else
      row.attrs.erase(carried);
  }
  if (tagging_directive == "REPLACE") {
    CENOTE_ASSIGN_OR_RETURN(row.tags, ParseTaggingHeader(GetString(p, "Tagging").value_or("")));
  } else {
    row.tags = src.tags;
  }
  row.attrs.erase("SSE");
  const json::object* source_sse = services::GetObject(src.attrs, "SSE");
  const bool source_managed = source_sse && GetString(*source_sse, "Type").value_or("") == "S3";
  const bool dest_managed = encryption && GetString(encryption->doc, "Type").value_or("") == "S3";
  std::vector<std::string> created;
  if (!source_sse && !encryption) {
    CENOTE_ASSIGN_OR_RETURN(created, CloneManifest(env, src.manifest, row.manifest));
  } else if (source_managed && dest_managed) {
    // Both under SSE-S3: the copy shares the source's blobs, so it keeps their data key.
    CENOTE_ASSIGN_OR_RETURN(created, CloneManifest(env, src.manifest, row.manifest));
    row.attrs["SSE"] = *source_sse;
  } else {
    // Into, out of or between keys: the bytes are decrypted and encrypted again, into one blob.
    CENOTE_ASSIGN_OR_RETURN(
        auto stored, CopyRangeToBlob(env, src.manifest, 0, src.size, source_key ? &*source_key : nullptr,
                                     encryption ? &encryption->key : nullptr));
    created.push_back(stored.id);
    row.manifest = {{stored.id, src.size}};
    if (encryption) row.attrs["SSE"] = std::move(encryption->doc);
  }
  BucketRow b;
  const EventRequest event{"ObjectCreated:Copy", EventCause{.ctx = &ctx}};
  CENOTE_ASSIGN_OR_RETURN(auto committed, CommitVersion(env, std::move(row), created, nullptr,
                                                        AclWrite(env, p, ctx, bucket, key), &b, &p, &event));
  OperationOutput out;
  auto& r = out.result.as_object();
  json::object result;
  result["ETag"] = Quote(committed.etag);
  result["LastModified"] = committed.last_modified_ms;
  PutChecksumMembers(result, committed.attrs);
  r["CopyObjectResult"] = std::move(result);
  PutEncryptionMembers(r, committed.attrs);
  if (src.version_id != "null" || source.version_id) r["CopySourceVersionId"] = src.version_id;
  if (committed.version_id != "null") r["VersionId"] = committed.version_id;
  return out;
}

namespace {

Result<OperationOutput> UpdateTags(Env& env, const RequestContext& ctx, OperationInput& in,
                                   std::optional<json::array> tags) {
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Write());
  CENOTE_ASSIGN_OR_RETURN(auto b, RequireBucket(*txn, bk.first));
  CENOTE_ASSIGN_OR_RETURN(auto v, ResolveObject(*txn, bk.first, bk.second, GetString(P(in), "VersionId")));
  CENOTE_RETURN_IF_ERROR(
      txn->Exec("UPDATE s3_versions SET tags = ? WHERE bucket = ? AND key = ? AND version_id = ?",
                {json::serialize(tags.value_or(json::array())), v.bucket, v.key, v.version_id}));
  ObjectEvent event = EventOf(tags ? "ObjectTagging:Put" : "ObjectTagging:Delete", v);
  event.seq = env.NextSeq();
  CENOTE_RETURN_IF_ERROR(env.notifications->Record(*txn, b, event, EventCause{.ctx = &ctx}));
  CENOTE_RETURN_IF_ERROR(txn->Commit());
  OperationOutput out;
  if (v.version_id != "null") out.result.as_object()["VersionId"] = v.version_id;
  return out;
}

}  // namespace

Result<OperationOutput> PutObjectTagging(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto* tagging = services::GetObject(P(in), "Tagging");
  const json::array* set = tagging ? GetArray(*tagging, "TagSet") : nullptr;
  if (!set) return MakeError(errors::kMalformedXML);
  CENOTE_ASSIGN_OR_RETURN(auto tags, ValidateTags(*set, 10));
  return UpdateTags(env, ctx, in, std::move(tags));
}

Result<OperationOutput> DeleteObjectTagging(Env& env, const RequestContext& ctx, OperationInput& in) {
  auto out = UpdateTags(env, ctx, in, std::nullopt);
  if (out) out->http_status = 204;
  return out;
}

Result<OperationOutput> GetObjectTagging(Env& env, const RequestContext&, OperationInput& in) {
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto v, ResolveObject(*txn, bk.first, bk.second, GetString(P(in), "VersionId")));
  OperationOutput out;
  auto& r = out.result.as_object();
  r["TagSet"] = v.tags;
  if (v.version_id != "null") r["VersionId"] = v.version_id;
  return out;
}

Result<OperationOutput> GetObjectAttributes(Env& env, const RequestContext& ctx, OperationInput& in) {
  const auto& p = P(in);
  CENOTE_ASSIGN_OR_RETURN(auto bk, BucketAndKey(in));
  BucketRow b;
  VersionRow v;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
    CENOTE_ASSIGN_OR_RETURN(v, ResolveObject(*txn, bk.first, bk.second, GetString(p, "VersionId"), &b));
  }
  // An SSE-C object describes itself only to the holder of its key, as HeadObject does.
  CENOTE_RETURN_IF_ERROR(CheckDescribable(env, ctx, p, v.attrs));
  std::vector<std::string> wanted;
  if (const auto* a = GetArray(p, "ObjectAttributes")) {
    for (const auto& e : *a) {
      if (e.is_string()) wanted.emplace_back(e.as_string());
    }
  }
  auto want = [&](std::string_view n) { return std::find(wanted.begin(), wanted.end(), n) != wanted.end(); };
  OperationOutput out;
  auto& r = out.result.as_object();
  r["LastModified"] = v.last_modified_ms;
  if (!b.versioning.empty()) r["VersionId"] = v.version_id;
  // GetObjectAttributes reports the ETag without quotes.
  if (want("ETag")) r["ETag"] = v.etag;
  if (want("StorageClass")) r["StorageClass"] = v.storage_class;
  if (want("ObjectSize")) r["ObjectSize"] = static_cast<std::int64_t>(v.size);
  if (want("Checksum") && services::GetObject(v.attrs, "Checksums")) {
    json::object c;
    PutChecksumMembers(c, v.attrs);
    r["Checksum"] = std::move(c);
  }
  if (want("ObjectParts")) {
    auto sizes = PartSizes(v);
    if (!sizes.empty()) {
      // A page of parts after PartNumberMarker, up to MaxParts (default and most 1,000), with their sizes.
      const std::int64_t marker = std::max<std::int64_t>(0, GetInt(p, "PartNumberMarker").value_or(0));
      const std::int64_t max_parts = std::clamp<std::int64_t>(GetInt(p, "MaxParts").value_or(1000), 0, 1000);
      const auto total = static_cast<std::int64_t>(sizes.size());
      json::object parts;
      parts["TotalPartsCount"] = total;
      parts["PartNumberMarker"] = marker;
      parts["MaxParts"] = max_parts;
      json::array listed;
      std::int64_t number = marker + 1;
      for (; number <= total && static_cast<std::int64_t>(listed.size()) < max_parts; ++number) {
        json::object part{{"PartNumber", number}, {"Size", static_cast<std::int64_t>(sizes[number - 1])}};
        PutPartChecksum(part, v, number, /*only_if_shown=*/false);
        listed.push_back(std::move(part));
      }
      parts["IsTruncated"] = number <= total;
      if (number <= total) parts["NextPartNumberMarker"] = number - 1;
      if (!listed.empty()) parts["Parts"] = std::move(listed);
      r["ObjectParts"] = std::move(parts);
    }
  }
  return out;
}

}  // namespace cenote::s3
