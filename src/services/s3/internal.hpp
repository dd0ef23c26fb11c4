// Shared internals of the S3 provider: rows, metadata helpers, parameter access and the operation
// functions each .cpp of this directory implements (the state they share, Env, is in env.hpp). Not part of
// the public API.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/provider.hpp"
#include "common/clock.hpp"
#include "common/encoding.hpp"
#include "common/result.hpp"
#include "common/strings.hpp"
#include "services/common/params.hpp"
#include "services/s3/errors.hpp"
#include "services/s3/lake_access.hpp"
#include "services/s3/s3_provider.hpp"
#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"

namespace cenote::s3 {

namespace json = boost::json;
using aws::OperationInput;
using aws::OperationOutput;
using aws::RequestContext;
using store::Transaction;
// Input documents are read with the shared readers (a member has its model type or reads as absent);
// structures with services::GetObject, which this namespace's GetObject operation would otherwise hide.
using services::GetArray;
using services::GetBool;
using services::GetInt;
using services::GetString;

// ---- rows ----
// One piece of an object's bytes: a blob, or (for a small object) the bytes themselves, kept in the
// version row's inline_data column so that storing them costs no blob file, fsync or rename
// (S3Options::inline_max_bytes). Listings do not read that column: `data` is loaded by LoadLatest and
// LoadVersion, and PutVersion refuses an inline piece without it.
struct BlobRef {
  BlobRef() = default;
  BlobRef(std::string blob_id, std::uint64_t blob_size) : id(std::move(blob_id)), size(blob_size) {}
  static BlobRef Inline(std::string bytes) {
    BlobRef ref("", bytes.size());
    ref.inline_piece = true;
    ref.data = std::move(bytes);
    return ref;
  }
  bool is_inline() const { return inline_piece; }

  std::string id;  // empty when inline
  std::uint64_t size = 0;
  bool inline_piece = false;
  std::optional<std::string> data;  // an inline piece's bytes, when loaded
};

struct BucketRow {
  std::string name;
  std::string region;
  std::string owner_id;
  std::string owner_name;
  std::string owner_account;  // the owning account's id
  std::int64_t created_ms = 0;
  std::string versioning;  // "", "Enabled", "Suspended"
  std::optional<std::string> policy;
  std::optional<std::string> tags;  // JSON array of {Key, Value}
};

struct VersionRow {
  std::string bucket;
  std::string key;
  std::string version_id;  // "null" for the null version
  std::int64_t seq = 0;
  bool is_latest = true;
  bool delete_marker = false;
  std::uint64_t size = 0;
  std::string etag;  // unquoted: hex md5, or hex-N for multipart
  std::int64_t last_modified_ms = 0;
  std::vector<BlobRef> manifest;
  // ContentType, CacheControl, ContentDisposition, ContentEncoding, ContentLanguage, Expires (ms),
  // WebsiteRedirectLocation, Metadata {}, Checksums {"CRC32": b64, ...}, ChecksumType, PartSizes [].
  json::object attrs;
  json::array tags;  // [{Key, Value}]
  std::string owner_id;
  std::string owner_name;
  std::string storage_class = "STANDARD";
};

// ---- metadata helpers ----
Result<std::optional<BucketRow>> LoadBucket(Transaction& txn, std::string_view bucket);
// NoSuchBucket (with BucketName) when missing.
Result<BucketRow> RequireBucket(Transaction& txn, std::string_view bucket);
Result<std::optional<VersionRow>> LoadLatest(Transaction& txn, std::string_view bucket, std::string_view key);
Result<std::optional<VersionRow>> LoadVersion(Transaction& txn, std::string_view bucket, std::string_view key,
                                              std::string_view version_id);
// The sequence number in a version id that PutVersion made for a versioned write (its first 16 of 32 hex
// digits); nullopt for "null" and for anything else.
std::optional<std::int64_t> SeqOfVersionId(std::string_view version_id);
VersionRow VersionFromRow(const store::Row& row);
extern const char* const kVersionColumns;

// Makes `row` the latest version of its key under the bucket's versioning state: assigns the bucket's
// owner, seq and version_id ("null" unless versioning is Enabled), demotes the previous latest, replaces
// an existing null version. Returns the blob ids no longer referenced (to delete after the commit).
Result<std::vector<std::string>> PutVersion(Env& env, Transaction& txn, const BucketRow& bucket,
                                            VersionRow& row);
// Deletes one version row; if it was the latest, promotes the newest remaining one.
Result<std::vector<std::string>> RemoveVersion(Transaction& txn, const VersionRow& row);

std::string ManifestToJson(const std::vector<BlobRef>& manifest);
std::vector<BlobRef> ManifestFromJson(std::string_view text);

// ---- parameters ----
// A request header not covered by the model (e.g. If-Match on PutObject in older models).
std::optional<std::string> RawHeader(const RequestContext& ctx, std::string_view name);

// ---- formatting ----
std::string Quote(std::string_view etag);    // "\"etag\""
std::string Unquote(std::string_view etag);  // strips surrounding quotes if any
std::string HttpDate(std::int64_t ms);       // IMF-fixdate
// S3's EncodingType=url: everything but unreserved characters and '/' percent-encoded, space as '+'.
std::string UrlEncodeKey(std::string_view text);
json::object OwnerOf(const RequestContext& ctx);
json::object OwnerDoc(std::string_view id, std::string_view name);
// The smallest string greater than every string that starts with `prefix` ("" when none exists).
std::string PrefixSuccessor(std::string_view prefix);

// ---- errors with fields ----
Error NoSuchBucketError(std::string_view bucket);
Error NoSuchKeyError(std::string_view key);
Error NoSuchUploadError(std::string_view upload_id);
// InvalidArgument in one of its wordings (`spec`, its template filled from `args`), with the ArgumentName
// and ArgumentValue fields S3 adds.
Error InvalidArgumentError(const services::ErrorSpec& spec, std::string_view name, std::string_view value,
                           std::initializer_list<std::string_view> args = {});

// ---- tagging ----
// Validates a TagSet (AWS limits: object 10 tags, bucket 50; key <= 128, value <= 256, unique keys).
Result<json::array> ValidateTags(const json::array& tag_set, std::size_t max_tags);
// Parses the x-amz-tagging header form "k1=v1&k2=v2".
Result<json::array> ParseTaggingHeader(std::string_view text);

// ---- operations ----
Result<OperationOutput> CreateBucket(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> HeadBucket(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListBuckets(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucket(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketLocation(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketPolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketPolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketPolicy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketVersioning(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketVersioning(Env&, const RequestContext&, OperationInput&);

Result<OperationOutput> PutObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> HeadObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteObjects(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> CopyObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutObjectTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteObjectTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectAttributes(Env&, const RequestContext&, OperationInput&);

Result<OperationOutput> ListObjects(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListObjectsV2(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListObjectVersions(Env&, const RequestContext&, OperationInput&);

Result<OperationOutput> CreateMultipartUpload(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UploadPart(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> UploadPartCopy(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> CompleteMultipartUpload(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> AbortMultipartUpload(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListParts(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListMultipartUploads(Env&, const RequestContext&, OperationInput&);

// ---- shared by objects.cpp and multipart.cpp ----
struct CopySource {
  std::string bucket;
  std::string key;
  std::optional<std::string> version_id;
};
Result<CopySource> ParseCopySource(std::string_view text);
// Loads the copy source (NoSuchBucket / NoSuchKey / NoSuchVersion / InvalidRequest on a delete marker)
// and applies the x-amz-copy-source-if-* conditions (412 PreconditionFailed).
Result<VersionRow> LoadCopySource(Transaction& txn, const CopySource& source, const json::object& params);

bool ValidStorageClass(std::string_view storage_class);
// InvalidURI (400) for a key that is not UTF-8: S3 cannot parse such a request URI. S3Provider::Invoke
// checks the key of every operation that names one; lake writes check it through CheckObjectKey.
Status CheckKeyEncoding(std::string_view key);
// CheckKeyEncoding, then InvalidArgument for an empty key, KeyTooLongError past 1024 bytes.
Status CheckObjectKey(const std::string& key);
// MetadataTooLarge (400) when the user metadata of PutObject / CreateMultipartUpload / CopyObject(REPLACE)
// is over 2 KB, counted as the UTF-8 bytes of its keys (without x-amz-meta-) and values.
Status CheckUserMetadataSize(const json::object& params);
// Content headers and user metadata as given by PutObject / CreateMultipartUpload / CopyObject(REPLACE).
json::object AttrsFromRequest(const json::object& params);
// Adds Checksum<ALG> and ChecksumType members from stored attrs.
void PutChecksumMembers(json::object& out, const json::object& attrs);

// One metadata transaction that makes `row` the newest version of its key. `check` runs inside the
// transaction against the current latest version (conditional writes); `extra` adds statements that must
// commit atomically with it (CompleteMultipartUpload removes the upload) and returns blob ids to delete
// after the commit. On any failure `new_blobs` are deleted; on success the superseded blobs are.
Result<VersionRow> CommitVersion(Env& env, VersionRow row, const std::vector<std::string>& new_blobs,
                                 const std::function<Status(const std::optional<VersionRow>&)>& check,
                                 const std::function<Result<std::vector<std::string>>(Transaction&)>& extra,
                                 BucketRow* bucket_out);

// ---- the lake (lake.cpp) ----
// What each LakeAccess call does once the invoker has authorized it (invoked_lake.cpp runs these inside
// Invoker::CallWith and nowhere else). Contracts: lake_access.hpp. `ctx` is the caller's: writes run the
// wire handlers as that caller; objects belong to the bucket's owner whoever writes them (PutVersion).
// Schema of component "s3": its migrations (one entry per schema version) and the FreshSchema
// generated from them (fresh_schema.inc; the FreshSchema unit test checks and regenerates it).
const std::vector<std::string>& Migrations();
store::FreshSchema FreshSchema();

namespace lake {
Status HeadBucket(Env& env, const std::string& bucket);
Result<std::vector<LakeObject>> ListObjects(Env& env, const std::string& bucket, const std::string& prefix,
                                            std::size_t max_objects);
Result<std::string> LocalPath(Env& env, const std::string& bucket, const std::string& key);
Result<std::string> GetObject(Env& env, const std::string& bucket, const std::string& key,
                              std::uint64_t max_bytes);
Result<LakeObject> PutObject(Env& env, const RequestContext& ctx, const std::string& bucket,
                             const std::string& key, const std::string& bytes,
                             const std::string& content_type);
Result<LakeObject> PutObjectFromFile(Env& env, const RequestContext& ctx, const std::string& bucket,
                                     const std::string& key, const std::string& path,
                                     const std::string& content_type);
Result<std::vector<LakeObject>> PutObjects(Env& env, const std::string& bucket,
                                           const std::vector<LakePut>& puts,
                                           const std::function<Status(store::Transaction&)>& also);
Status DeleteObject(Env& env, const RequestContext& ctx, const std::string& bucket, const std::string& key);
}  // namespace lake

}  // namespace cenote::s3
