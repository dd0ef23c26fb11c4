// Helpers shared by the S3 operations: row mapping, versioning bookkeeping, parameters, encodings.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>
#include <thread>

#include "common/encoding.hpp"
#include "common/random.hpp"
#include "services/s3/env.hpp"

namespace cenote::s3 {

using store::AsInt;
using store::AsText;
using store::IsNull;
using store::Value;

std::int64_t Env::NextSeq() {
  const std::int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  std::int64_t prev = last_seq.load();
  for (;;) {
    const std::int64_t next = now_us > prev ? now_us : prev + 1;
    if (last_seq.compare_exchange_weak(prev, next)) return next;
  }
}

namespace {

// A write transaction that keeps the ReadCache out of use from its begin to its end, and the
// BucketAccessCache from its first statement that writes a bucket's row or configurations to its end.
class CacheInvalidatingTransaction final : public Transaction {
 public:
  CacheInvalidatingTransaction(std::unique_ptr<Transaction> inner, ReadCache& cache,
                               BucketAccessCache& access, Notifications* notifications)
      : inner_(std::move(inner)), cache_(cache), access_(access), notifications_(notifications) {}
  ~CacheInvalidatingTransaction() override {
    inner_.reset();  // rolls back if still open, and releases the writer
    cache_.EndWrite();
    if (bucket_write_) access_.EndWrite();
  }
  Result<std::int64_t> Exec(std::string_view sql, const std::vector<store::Value>& params) override {
    // s3_buckets and s3_bucket_configs (and nothing else) hold what authorization reads.
    if (!bucket_write_ && sql.find("s3_bucket") != std::string_view::npos) {
      bucket_write_ = true;
      access_.BeginWrite();
    }
    if (!events_ && sql.find("s3_event_outbox") != std::string_view::npos) events_ = true;
    return inner_->Exec(sql, params);
  }
  Result<std::vector<store::Row>> Query(std::string_view sql,
                                        const std::vector<store::Value>& params) override {
    return inner_->Query(sql, params);
  }
  Result<std::optional<store::Row>> QueryOne(std::string_view sql,
                                             const std::vector<store::Value>& params) override {
    return inner_->QueryOne(sql, params);
  }
  // Events recorded by the transaction are delivered once it commits.
  Status Commit() override {
    Status s = inner_->Commit();
    if (s && events_ && notifications_ != nullptr) notifications_->Committed();
    return s;
  }
  void Rollback() override { inner_->Rollback(); }

 private:
  std::unique_ptr<Transaction> inner_;
  ReadCache& cache_;
  BucketAccessCache& access_;
  Notifications* notifications_;
  bool bucket_write_ = false;
  bool events_ = false;
};

}  // namespace

Result<std::unique_ptr<Transaction>> Env::Write() {
  cache.BeginWrite();
  auto txn = metadata.Begin(store::MetadataStore::Mode::kWrite);
  if (!txn) {
    cache.EndWrite();
    return std::move(txn).error();
  }
  return std::unique_ptr<Transaction>(std::make_unique<CacheInvalidatingTransaction>(
      std::move(*txn), cache, access_cache, notifications.get()));
}

void Env::DeleteBlobs(const std::vector<std::string>& ids) {
  for (const auto& id : ids) (void)blobs.Delete(id);
}

// ---- rows ----

const char* const kVersionColumns =
    "bucket, key, version_id, seq, is_latest, delete_marker, size, etag, last_modified_ms, manifest, attrs, "
    "tags, "
    "owner_id, owner_name, storage_class, lock";

namespace {

json::object ParseObject(const std::string& text) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

json::array ParseArray(const std::string& text) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return {};
  return v.as_array();
}

BucketRow BucketFromRow(const store::Row& r) {
  BucketRow b;
  b.name = AsText(r[0]);
  b.region = AsText(r[1]);
  b.owner_id = AsText(r[2]);
  b.owner_name = AsText(r[3]);
  b.created_ms = AsInt(r[4]);
  b.versioning = AsText(r[5]);
  if (!IsNull(r[6])) b.policy = AsText(r[6]);
  if (!IsNull(r[7])) b.tags = AsText(r[7]);
  b.owner_account = AsText(r[8]);
  return b;
}

std::vector<Value> VersionValues(const VersionRow& v) {
  return {v.bucket,
          v.key,
          v.version_id,
          v.seq,
          static_cast<std::int64_t>(v.is_latest ? 1 : 0),
          static_cast<std::int64_t>(v.delete_marker ? 1 : 0),
          static_cast<std::int64_t>(v.size),
          v.etag,
          v.last_modified_ms,
          ManifestToJson(v.manifest),
          json::serialize(v.attrs),
          json::serialize(v.tags),
          v.owner_id,
          v.owner_name,
          v.storage_class,
          v.lock.empty() ? Value(nullptr) : Value(json::serialize(v.lock))};
}

std::vector<std::string> BlobIds(const std::vector<BlobRef>& manifest) {
  std::vector<std::string> ids;
  for (const auto& b : manifest) {
    if (!b.is_inline()) ids.push_back(b.id);
  }
  return ids;
}

}  // namespace

VersionRow VersionFromRow(const store::Row& r) {
  VersionRow v;
  v.bucket = AsText(r[0]);
  v.key = AsText(r[1]);
  v.version_id = AsText(r[2]);
  v.seq = AsInt(r[3]);
  v.is_latest = AsInt(r[4]) != 0;
  v.delete_marker = AsInt(r[5]) != 0;
  v.size = static_cast<std::uint64_t>(AsInt(r[6]));
  v.etag = AsText(r[7]);
  v.last_modified_ms = AsInt(r[8]);
  v.manifest = ManifestFromJson(AsText(r[9]));
  v.attrs = ParseObject(AsText(r[10]));
  v.tags = ParseArray(AsText(r[11]));
  v.owner_id = AsText(r[12]);
  v.owner_name = AsText(r[13]);
  v.storage_class = AsText(r[14]);
  if (!IsNull(r[15])) v.lock = ParseObject(AsText(r[15]));
  if (r.size() > 16 && !IsNull(r[16])) {
    for (BlobRef& piece : v.manifest) {
      if (piece.is_inline()) piece.data = AsText(r[16]);
    }
  }
  return v;
}

Result<std::optional<BucketRow>> LoadBucket(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne(
          "SELECT name, region, owner_id, owner_name, created_ms, versioning, policy, tags, owner_account "
          "FROM s3_buckets WHERE name = ?",
          {std::string(bucket)}));
  if (!row) return std::optional<BucketRow>();
  return std::optional<BucketRow>(BucketFromRow(*row));
}

Result<BucketRow> RequireBucket(Transaction& txn, std::string_view bucket) {
  CENOTE_ASSIGN_OR_RETURN(auto b, LoadBucket(txn, bucket));
  if (!b) return NoSuchBucketError(bucket);
  return std::move(*b);
}

Result<std::optional<VersionRow>> LoadLatest(Transaction& txn, std::string_view bucket,
                                             std::string_view key) {
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne(std::string("SELECT ") + kVersionColumns +
                       ", inline_data FROM s3_versions WHERE bucket = ? AND key = ? AND is_latest = 1",
                   {std::string(bucket), std::string(key)}));
  if (!row) return std::optional<VersionRow>();
  return std::optional<VersionRow>(VersionFromRow(*row));
}

Result<std::optional<VersionRow>> LoadVersion(Transaction& txn, std::string_view bucket, std::string_view key,
                                              std::string_view version_id) {
  CENOTE_ASSIGN_OR_RETURN(
      auto row,
      txn.QueryOne(std::string("SELECT ") + kVersionColumns +
                       ", inline_data FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?",
                   {std::string(bucket), std::string(key), std::string(version_id)}));
  if (!row) return std::optional<VersionRow>();
  return std::optional<VersionRow>(VersionFromRow(*row));
}

std::optional<std::int64_t> SeqOfVersionId(std::string_view version_id) {
  if (version_id.size() != 32) return std::nullopt;
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < version_id.size(); ++i) {
    const char c = version_id[i];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    if (i < 16) seq = seq * 16 + static_cast<std::uint64_t>(digit);
  }
  if (seq > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(seq);
}

Result<std::vector<std::string>> PutVersion(Env& env, Transaction& txn, const BucketRow& bucket,
                                            VersionRow& row) {
  std::vector<std::string> superseded;
  row.bucket = bucket.name;
  // Every object belongs to the bucket's owner, whoever writes it (delete markers too): S3's Object
  // Ownership "bucket owner enforced", the default for new buckets since April 2023. So the lake's
  // writers and, once IAM lands, other principals never own objects of their own.
  row.owner_id = bucket.owner_id;
  row.owner_name = bucket.owner_name;
  row.seq = env.NextSeq();
  row.is_latest = true;
  if (bucket.versioning == "Enabled") {
    // Sortable by creation (seq in hex) and unique (random tail), 32 characters like AWS's.
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(row.seq));
    row.version_id = std::string(buf) + RandomHex(8);
  } else {
    // Unversioned and suspended buckets keep at most one "null" version per key; it is replaced.
    row.version_id = "null";
    CENOTE_ASSIGN_OR_RETURN(auto old, LoadVersion(txn, bucket.name, row.key, "null"));
    if (old) {
      superseded = BlobIds(old->manifest);
      CENOTE_RETURN_IF_ERROR(
          txn.Exec("DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = 'null'",
                   {bucket.name, row.key}));
    }
  }
  CENOTE_RETURN_IF_ERROR(
      txn.Exec("UPDATE s3_versions SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1",
               {bucket.name, row.key}));
  std::vector<Value> values = VersionValues(row);
  values.emplace_back(nullptr);
  for (const BlobRef& piece : row.manifest) {
    if (!piece.is_inline()) continue;
    // A row from a listing carries no inline bytes: storing it would lose the object's data.
    if (!piece.data) return InternalError("the bytes of an inline object were not loaded");
    values.back() = store::Blob{*piece.data};
  }
  CENOTE_RETURN_IF_ERROR(
      txn.Exec(std::string("INSERT INTO s3_versions (") + kVersionColumns +
                   ", inline_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               values));
  return superseded;
}

Status InsertReplicaVersion(Transaction& txn, const BucketRow& bucket, VersionRow& row) {
  row.bucket = bucket.name;
  row.owner_id = bucket.owner_id;
  row.owner_name = bucket.owner_name;
  // The replica is the key's latest when it is newer than every version there (replicas arrive in the
  // order of their sources' seq, which their version ids carry).
  CENOTE_ASSIGN_OR_RETURN(
      auto newest,
      txn.QueryOne("SELECT MAX(seq) FROM s3_versions WHERE bucket = ? AND key = ?", {bucket.name, row.key}));
  row.is_latest = !newest || IsNull((*newest)[0]) || AsInt((*newest)[0]) < row.seq;
  if (row.is_latest) {
    CENOTE_RETURN_IF_ERROR(
        txn.Exec("UPDATE s3_versions SET is_latest = 0 WHERE bucket = ? AND key = ? AND is_latest = 1",
                 {bucket.name, row.key}));
  }
  std::vector<Value> values = VersionValues(row);
  values.emplace_back(nullptr);
  for (const BlobRef& piece : row.manifest) {
    if (!piece.is_inline()) continue;
    if (!piece.data) return InternalError("the bytes of an inline object were not loaded");
    values.back() = store::Blob{*piece.data};
  }
  return Status::FromResult(
      txn.Exec(std::string("INSERT INTO s3_versions (") + kVersionColumns +
                   ", inline_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               values));
}

Result<std::vector<std::string>> RemoveVersion(Transaction& txn, const VersionRow& row) {
  CENOTE_RETURN_IF_ERROR(txn.Exec("DELETE FROM s3_versions WHERE bucket = ? AND key = ? AND version_id = ?",
                                  {row.bucket, row.key, row.version_id}));
  if (row.is_latest) {
    CENOTE_ASSIGN_OR_RETURN(
        auto next,
        txn.QueryOne(
            "SELECT version_id FROM s3_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1",
            {row.bucket, row.key}));
    if (next) {
      CENOTE_RETURN_IF_ERROR(
          txn.Exec("UPDATE s3_versions SET is_latest = 1 WHERE bucket = ? AND key = ? AND version_id = ?",
                   {row.bucket, row.key, AsText((*next)[0])}));
    }
  }
  return BlobIds(row.manifest);
}

std::string ManifestToJson(const std::vector<BlobRef>& manifest) {
  json::array a;
  // [id, size] per blob; ["", size, 1] for the inline piece (its bytes are in the inline_data column).
  for (const auto& b : manifest) {
    if (b.is_inline()) {
      a.push_back(json::array{json::string(""), static_cast<std::int64_t>(b.size), 1});
    } else {
      a.push_back(json::array{json::string(b.id), static_cast<std::int64_t>(b.size)});
    }
  }
  return json::serialize(a);
}

std::vector<BlobRef> ManifestFromJson(std::string_view text) {
  std::vector<BlobRef> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (!e.is_array() || e.as_array().size() < 2) continue;
    const auto& pair = e.as_array();
    if (!pair[0].is_string() || !pair[1].is_int64()) continue;
    if (pair.size() == 3) {
      BlobRef ref("", static_cast<std::uint64_t>(pair[1].as_int64()));
      ref.inline_piece = true;
      out.push_back(std::move(ref));
      continue;
    }
    out.emplace_back(std::string(pair[0].as_string()), static_cast<std::uint64_t>(pair[1].as_int64()));
  }
  return out;
}

// ---- parameters ----

std::optional<std::string> RawHeader(const RequestContext& ctx, std::string_view name) {
  if (ctx.headers == nullptr) return std::nullopt;
  auto v = ctx.headers->Get(name);
  if (!v) return std::nullopt;
  return std::string(*v);
}

// ---- formatting ----

std::string Quote(std::string_view etag) {
  std::string out;
  out.reserve(etag.size() + 2);
  out.push_back('"');
  out.append(etag);
  out.push_back('"');
  return out;
}

std::string Unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

std::string HttpDate(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string UrlEncodeKey(std::string_view text) {
  // SigV4's percent-encoding keeps the same characters ('/' included); S3 writes a space as '+' here, and
  // UriEncode has already turned every '+' into %2B.
  std::string encoded = UriEncode(text, /*encode_slash=*/false);
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded.compare(i, 3, "%20") == 0) {
      out.push_back('+');
      i += 2;
    } else {
      out.push_back(encoded[i]);
    }
  }
  return out;
}

Result<std::string> BucketParam(OperationInput& in) {
  auto b = GetString(in.params.as_object(), "Bucket");
  if (!b || b->empty()) return MakeError(errors::kInvalidBucketName).With("BucketName", b.value_or(""));
  return *b;
}

json::object OwnerDoc(std::string_view id, std::string_view name) {
  json::object o;
  o["DisplayName"] = name;
  o["ID"] = id;
  return o;
}

json::object OwnerOf(const RequestContext& ctx) {
  return OwnerDoc(ctx.principal.canonical_id, ctx.principal.display_name);
}

std::string PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty()) {
    unsigned char last = static_cast<unsigned char>(s.back());
    if (last < 0xFF) {
      s.back() = static_cast<char>(last + 1);
      return s;
    }
    s.pop_back();
  }
  return s;
}

// ---- errors ----

Error NoSuchBucketError(std::string_view bucket) {
  return MakeError(errors::kNoSuchBucket).With("BucketName", std::string(bucket));
}

Error NoSuchKeyError(std::string_view key) {
  return MakeError(errors::kNoSuchKey).With("Key", std::string(key));
}

Error NoSuchUploadError(std::string_view upload_id) {
  return MakeError(errors::kNoSuchUpload).With("UploadId", std::string(upload_id));
}

Error InvalidArgumentError(const services::ErrorSpec& spec, std::string_view name, std::string_view value,
                           std::initializer_list<std::string_view> args) {
  return MakeError(spec, args)
      .With("ArgumentName", std::string(name))
      .With("ArgumentValue", std::string(value));
}

// ---- tagging ----

Result<json::array> ValidateTags(const json::array& tag_set, std::size_t max_tags) {
  if (tag_set.size() > max_tags) {
    return MakeError(max_tags == 10 ? errors::kTooManyObjectTags : errors::kTooManyBucketTags);
  }
  json::array out;
  std::vector<std::string> seen;
  for (const auto& t : tag_set) {
    if (!t.is_object()) return MakeError(errors::kMalformedXML);
    auto key = GetString(t.as_object(), "Key");
    auto value = GetString(t.as_object(), "Value");
    if (!key) return MakeError(errors::kMalformedXML);
    if (!value) value = "";
    if (key->empty() || key->size() > 128) {
      return MakeError(errors::kTagKeyTooLong);
    }
    if (value->size() > 256) {
      return MakeError(errors::kTagValueTooLong);
    }
    for (const auto& s : seen) {
      if (s == *key) return MakeError(errors::kDuplicateTagKey);
    }
    seen.push_back(*key);
    json::object o;
    o["Key"] = *key;
    o["Value"] = *value;
    out.push_back(std::move(o));
  }
  return out;
}

namespace {

// One component of an x-amz-tagging query string, form-decoded ('+' is a space) with strict
// percent-escapes; nullopt for a '%' without two hex digits or bytes that are not UTF-8.
std::optional<std::string> DecodeTaggingComponent(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] != '%') {
      out.push_back(text[i]);
    } else if (auto byte = HexDecode(text.substr(i + 1, 2)); byte && byte->size() == 1) {
      out += *byte;
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  if (!IsValidUtf8(out)) return std::nullopt;
  return out;
}

}  // namespace

Result<json::array> ParseTaggingHeader(std::string_view text) {
  // AWS refuses a header it cannot read as "k1=v1&k2=v2" (a bad escape, bytes that are not UTF-8, an empty
  // or repeated key) with InvalidArgument naming the header, rather than with the TagSet errors of
  // PutObjectTagging; the limits on counts and lengths are those of a TagSet. A pair without '=' is a key
  // with an empty value ("foo=bar&bar").
  auto malformed = [&] {
    return InvalidArgumentError(errors::kMalformedTaggingHeader, "x-amz-tagging", text);
  };
  json::array tags;
  std::set<std::string> seen;
  for (std::string_view pair : SplitString(text, '&')) {
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = DecodeTaggingComponent(pair.substr(0, eq));
    auto value = eq == std::string_view::npos ? std::optional<std::string>("")
                                              : DecodeTaggingComponent(pair.substr(eq + 1));
    if (!key || !value || key->empty()) return malformed();
    if (!seen.insert(*key).second) return malformed();
    json::object o;
    o["Key"] = std::move(*key);
    o["Value"] = std::move(*value);
    tags.push_back(std::move(o));
  }
  return ValidateTags(tags, 10);
}

}  // namespace cenote::s3
