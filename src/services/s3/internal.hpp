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
#include "services/s3/access_logs.hpp"
#include "services/s3/errors.hpp"
#include "services/s3/lake_access.hpp"
#include "services/s3/notifications.hpp"
#include "services/s3/s3_provider.hpp"
#include "services/s3/sse.hpp"
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
  // Object Lock: {"Mode": "GOVERNANCE"|"COMPLIANCE", "RetainUntil": ms, "LegalHold": true}; empty when none.
  json::object lock;
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
// Stores a replica (replication.hpp) in `bucket` with the version id and seq it carries from its source,
// owned by the bucket's owner; the key's latest only when newer than every version there.
Status InsertReplicaVersion(Transaction& txn, const BucketRow& bucket, VersionRow& row);
// Deletes one version row; if it was the latest, promotes the newest remaining one.
Result<std::vector<std::string>> RemoveVersion(Transaction& txn, const VersionRow& row);

std::string ManifestToJson(const std::vector<BlobRef>& manifest);
std::vector<BlobRef> ManifestFromJson(std::string_view text);

// ---- parameters ----
// The input's Bucket; InvalidBucketName when it is missing or empty.
Result<std::string> BucketParam(OperationInput& in);
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

// ---- deletes (objects.cpp) ----
struct DeleteOutcome {
  std::optional<std::string> version_id;
  bool delete_marker = false;
};
// Deletes one key or version inside `txn`, appending the blobs to delete after the commit to `garbage`.
// Versioned buckets get a delete marker unless a version is named (which deletes that version
// permanently). Deleting a missing key or version succeeds, as in AWS.
// A named version under Object Lock is deleted only when its lock allows (`bypass_governance`: the request's
// x-amz-bypass-governance-retention).
Result<DeleteOutcome> DeleteOneInTxn(Env& env, Transaction& txn, const BucketRow& b, const std::string& key,
                                     const std::optional<std::string>& version_id,
                                     std::vector<std::string>& garbage, bool bypass_governance = false,
                                     const EventCause* cause = nullptr);

// ---- Object Lock (object_lock.cpp) ----
// AccessDenied while a legal hold or an unexpired retention protects the version (GOVERNANCE yields to
// `bypass_governance`).
Status CheckVersionDeletable(const VersionRow& v, bool bypass_governance, std::int64_t now_ms);
// The lock of a version a write creates in `bucket`: the request's x-amz-object-lock-* members (`params`),
// else the bucket's default retention; refused where the bucket has no Object Lock.
Result<json::object> LockForNewVersion(Transaction& txn, std::string_view bucket, const json::object& params,
                                       std::int64_t now_ms);
// ObjectLockMode, ObjectLockRetainUntilDate and ObjectLockLegalHoldStatus of GetObject/HeadObject.
void PutLockMembers(json::object& out, const VersionRow& v);

// ---- archive classes (restore.cpp) ----
// GLACIER and DEEP_ARCHIVE: not readable until restored.
bool IsArchived(const VersionRow& v);
// Whether GetObject and CopyObject may read the version now (not archived, or a restored copy is ready).
bool IsReadable(const VersionRow& v, std::int64_t now_ms);
// The x-amz-restore member of GetObject/HeadObject for an archived version with a restore.
void PutRestoreMember(json::object& out, const VersionRow& v, std::int64_t now_ms);

// ---- lifecycle (lifecycle.cpp) ----
struct LifecycleRound {
  std::int64_t expired = 0;  // current versions expired (removed, or hidden by a delete marker)
  std::int64_t noncurrent_removed = 0;
  std::int64_t markers_removed = 0;  // expired object delete markers
  std::int64_t uploads_aborted = 0;
  std::int64_t transitioned = 0;
};
// x-amz-expiration of version `v` (PutObject, GetObject, HeadObject): the first enabled rule of its bucket's
// lifecycle configuration that expires the current version (Days or Date) and whose filter it matches, as
// `expiry-date="<date>", rule-id="<id>"`, Days counted from its creation and rounded up to the next midnight
// UTC as S3 does; nullopt when none does. Reads nothing while no bucket has a lifecycle configuration.
Result<std::optional<std::string>> ExpirationOf(Env& env, const VersionRow& v);
// Applies every bucket's lifecycle rules once, as of `now_ms`, with days of `day_ms` milliseconds.
Result<LifecycleRound> RunLifecycle(Env& env, std::int64_t now_ms, std::int64_t day_ms);

// ---- bucket configurations (bucket_configs.cpp) ----
// One configuration document of a bucket by kind ("cors", "ownership", "public-access-block", "acl", ...) and
// id ("" for the kinds a bucket has one of).
// The bucket policy was put with ConfirmRemoveSelfBucketAccess (PutBucketPolicy; access.cpp).
inline constexpr std::string_view kSelfAccessRemovedKind = "policy-self-access-removed";
Result<std::optional<json::object>> LoadBucketConfig(Transaction& txn, std::string_view bucket,
                                                     std::string_view kind, std::string_view id);
Status StoreBucketConfig(Transaction& txn, std::string_view bucket, std::string_view kind,
                         std::string_view id, const json::object& doc);
Status DropBucketConfig(Transaction& txn, std::string_view bucket, std::string_view kind,
                        std::string_view id);
// The Access-Control-* headers for a browser's cross-origin request to a bucket: its first CORS rule that
// allows the origin, the method and (for a preflight) every requested header; nullopt when none does. A
// preflight to a bucket that is missing or has no CORS configuration is an error (AccessForbidden, 403).
Result<std::optional<http::Headers>> CorsHeaders(Env& env, const aws::CorsRequest& request);
// The delivery target of `bucket`'s server access logs (its "logging" configuration), nullopt when off.
Result<std::optional<ServerAccessLogs::Target>> LoggingTarget(Transaction& txn, std::string_view bucket);
struct PublicAccessBlock {
  bool block_public_acls = false;
  bool ignore_public_acls = false;
  bool block_public_policy = false;
  bool restrict_public_buckets = false;
};
// The bucket's public access block (all false when it has none).
Result<PublicAccessBlock> LoadPublicAccessBlock(Transaction& txn, std::string_view bucket);
// Whether grants give anything to everyone or to every AWS account (AllUsers, AuthenticatedUsers).
bool AclIsPublic(const json::array& grants);
// Whether a bucket policy allows anyone at all, as AWS defines "public" (a wildcard principal not tied
// down by a fixed-value condition on the source or the principal's account).
bool PolicyIsPublic(std::string_view policy_text);

// ---- ACLs (acls.cpp) ----
struct Owner {
  std::string id;
  std::string name;
};
// The accounts on this server (S3Options::accounts): an ACL grant may name the canonical user of any of them.
using AccountList = std::function<std::vector<std::string>()>;
// Whether every grant is FULL_CONTROL to `owner_id` (what BucketOwnerEnforced permits).
bool AclIsOwnerOnly(const json::array& grants, std::string_view owner_id);
// The ACL a request sets (x-amz-acl, x-amz-grant-*, or, where `body_allowed`, an AccessControlPolicy body),
// as grants; nullopt when it sets none.
Result<std::optional<json::array>> AclFromRequest(const json::object& params, const RequestContext& ctx,
                                                  bool for_bucket, const Owner& owner,
                                                  const Owner& bucket_owner, bool body_allowed,
                                                  const AccountList& accounts);
// "BucketOwnerEnforced", "BucketOwnerPreferred" or "ObjectWriter" (a bucket with no ownership controls).
Result<std::string> BucketOwnership(Transaction& txn, std::string_view bucket);
// Refuses an ACL the bucket's ownership controls or public access block do not allow.
Status CheckAclAllowed(Transaction& txn, std::string_view bucket, const json::array& grants,
                       std::string_view owner_id, bool creating_bucket);
Result<json::array> LoadBucketAcl(Transaction& txn, const BucketRow& b);
Status StoreBucketAcl(Transaction& txn, std::string_view bucket, json::array grants);
// Who owns the version a write makes (PutObject, CopyObject, CreateMultipartUpload) and the ACL it sets
// (nullopt: none), under the bucket's Object Ownership: BucketOwnerEnforced, the bucket owner, and only
// bucket-owner-full-control (or grants equivalent to it) may be given (AccessControlListNotSupported);
// BucketOwnerPreferred, the bucket owner when the write gives bucket-owner-full-control, else the writer;
// ObjectWriter, the writer. A caller without a canonical user (anonymous, a service) writes as the
// bucket owner. The ACL is checked against the public access block too.
struct ObjectWriteAcl {
  Owner owner;
  std::optional<json::array> grants;
};
Result<ObjectWriteAcl> ObjectAclForWrite(Transaction& txn, const json::object& params,
                                         const RequestContext& ctx, const BucketRow& bucket,
                                         const AccountList& accounts);
// Makes `owner` the owner of the key's latest version (the one a write just made).
Status SetLatestOwner(Transaction& txn, std::string_view bucket, std::string_view key, const Owner& owner);
// Sets the ACL of the key's latest version (the one a write just made).
Status SetLatestAcl(Transaction& txn, std::string_view bucket, std::string_view key,
                    const json::array& grants);
// Sets (or with nullopt clears) the ACL of one stored version.
Status StoreObjectAcl(Transaction& txn, const VersionRow& v, const std::optional<json::array>& grants);

// ---- encryption at rest (encryption.cpp; the piece format and the keys: sse.hpp) ----
// What a write encrypts with: a new data key and the attrs member "SSE" that records it
// ({"Type": "S3", "Key": wrapped under the root key, "RootKey": its id},
// {"Type": "C", "Key": wrapped under the customer's key, "KeyMD5": base64 MD5 of the customer's key}, or
// {"Type": "KMS", "Key": base64 of KMS's CiphertextBlob of the data key, "KeyId": the KMS key's ARN,
//  "Context": the encryption context, "Dsse": true for aws:kms:dsse}; with an S3 Bucket Key "Key" is KMS's
//  ciphertext of the bucket key, "BucketKey": true and "ObjectKey": the object's data key wrapped under the
//  bucket key (versions written before bucket keys were cached have "BucketKey" without "ObjectKey")).
struct ObjectEncryption {
  DataKey key;
  json::object doc;
};
// The encryption of a new version or upload: the request's SSE-C members or x-amz-server-side-encryption,
// else the bucket's default encryption; nullopt when none applies. `txn` reads the bucket's configuration.
Result<std::optional<ObjectEncryption>> EncryptionForWrite(Env& env, const RequestContext& ctx,
                                                           Transaction& txn, std::string_view bucket,
                                                           const json::object& params);
// The data key to read a stored version whose attrs are `attrs`, checking the request's SSE-C members
// (`prefix` "CopySource" for a copy's source): nullopt for a version stored in the clear. An SSE-KMS data key
// comes from KMS's Decrypt, called as the request's caller via S3 (so the key's policy decides).
Result<std::optional<DataKey>> KeyForRead(Env& env, const RequestContext& ctx, const json::object& params,
                                          const json::object& attrs, std::string_view prefix = "");
// What HEAD and GetObjectAttributes check: the SSE-C members of the request against the version's (an SSE-C
// object describes itself only to the holder of its key). SSE-KMS needs no KMS call to be described.
Status CheckDescribable(Env& env, const RequestContext& ctx, const json::object& params,
                        const json::object& attrs);
// The data key of a multipart upload for UploadPart: an SSE-C upload needs its key on every part.
Result<std::optional<DataKey>> KeyForUpload(Env& env, const RequestContext& ctx, const json::object& params,
                                            const json::object& upload_attrs);
// ServerSideEncryption, or SSECustomerAlgorithm and SSECustomerKeyMD5, of a response about a version or
// upload with these attrs.
void PutEncryptionMembers(json::object& out, const json::object& attrs);

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
Result<OperationOutput> PostObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> HeadObject(Env&, const RequestContext&, OperationInput&);
// select.cpp
Result<OperationOutput> SelectObjectContent(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteObjects(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> CopyObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutObjectTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteObjectTagging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectAttributes(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketCors(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketCors(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketCors(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketAccelerateConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketAccelerateConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketRequestPayment(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketRequestPayment(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketNotificationConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketNotificationConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketOwnershipControls(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketOwnershipControls(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketOwnershipControls(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutPublicAccessBlock(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetPublicAccessBlock(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeletePublicAccessBlock(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketPolicyStatus(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketAnalyticsConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketAnalyticsConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketAnalyticsConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListBucketAnalyticsConfigurations(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketMetricsConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketMetricsConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketMetricsConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListBucketMetricsConfigurations(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketInventoryConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketInventoryConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketInventoryConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> ListBucketInventoryConfigurations(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketIntelligentTieringConfiguration(Env&, const RequestContext&,
                                                                 OperationInput&);
Result<OperationOutput> GetBucketIntelligentTieringConfiguration(Env&, const RequestContext&,
                                                                 OperationInput&);
Result<OperationOutput> DeleteBucketIntelligentTieringConfiguration(Env&, const RequestContext&,
                                                                    OperationInput&);
Result<OperationOutput> ListBucketIntelligentTieringConfigurations(Env&, const RequestContext&,
                                                                   OperationInput&);
Result<OperationOutput> GetBucketLifecycleConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketLifecycleConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketLifecycle(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketWebsite(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketWebsite(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketWebsite(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketLogging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketLogging(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketEncryption(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketEncryption(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketEncryption(Env&, const RequestContext&, OperationInput&);
// replication.cpp
Result<OperationOutput> PutBucketReplication(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketReplication(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> DeleteBucketReplication(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectLockConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutObjectLockConfiguration(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutObjectRetention(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> RestoreObject(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectRetention(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutObjectLegalHold(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectLegalHold(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetBucketAcl(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutBucketAcl(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> GetObjectAcl(Env&, const RequestContext&, OperationInput&);
Result<OperationOutput> PutObjectAcl(Env&, const RequestContext&, OperationInput&);

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

// Hard links of `manifest`'s blobs appended to `out` (inline pieces travel as they are); returns the new
// blob ids (to delete if the version that would own them is not stored).
Result<std::vector<std::string>> CloneManifest(Env& env, const std::vector<BlobRef>& manifest,
                                               std::vector<BlobRef>& out);
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

// The write conditions of PutObject and CompleteMultipartUpload against the key's current version `latest`:
// If-None-Match ("*" or entity tags: 412 when the current object matches), If-Match (404 NoSuchKey without a
// current object, 412 when its entity tag differs).
Status CheckWriteConditions(const json::object& p, const RequestContext& ctx,
                            const std::optional<VersionRow>& latest);

// One metadata transaction that makes `row` the newest version of its key. `check` runs inside the
// transaction against the current latest version (conditional writes); `extra` adds statements that must
// commit atomically with it (CompleteMultipartUpload removes the upload) and returns blob ids to delete
// after the commit. On any failure `new_blobs` are deleted; on success the superseded blobs are.
// `lock_params`: the request members that may set the new version's Object Lock (LockForNewVersion); the
// bucket's default retention applies either way.
Result<VersionRow> CommitVersion(Env& env, VersionRow row, const std::vector<std::string>& new_blobs,
                                 const std::function<Status(const std::optional<VersionRow>&)>& check,
                                 const std::function<Result<std::vector<std::string>>(Transaction&)>& extra,
                                 BucketRow* bucket_out, const json::object* lock_params = nullptr,
                                 const EventRequest* event = nullptr);

// A user-defined metadata value as GetObject and HeadObject return it: RFC 2047 encoded (=?UTF-8?B?...?=)
// when it is not US-ASCII, as S3 does (objects.cpp).
std::string MailSafeMetadataValue(std::string_view value);

// ---- the object write path (objects.cpp), shared by PutObject and PostObject (post_object.cpp) ----
struct ObjectWrite {
  // PutObject's members as a document: content headers, Metadata, StorageClass, ACL and grants, checksums,
  // write conditions, Object Lock.
  const json::object& params;
  std::string bucket;
  std::string key;
  json::array tags;                  // validated
  http::BodyReader* body = nullptr;  // null: an empty object
  // Refused with EntityTooSmall / EntityTooLarge (MinSizeAllowed / MaxSizeAllowed) outside these sizes.
  std::uint64_t min_size = 0;
  std::uint64_t max_size = 0;
  std::string_view event = "ObjectCreated:Put";  // the event notification it causes
};
struct WrittenObject {
  VersionRow version;  // as committed
  BucketRow bucket;
};
// Stores one object version from a stream as PutObject does (its write order is at the top of the
// function): the bucket and the write conditions checked before the body is read, digests and size after,
// then one metadata commit with the ACL and the Object Lock the parameters set.
Result<WrittenObject> WriteObject(Env& env, const RequestContext& ctx, const ObjectWrite& write);

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
// `ctx` is the caller the lake works for: SSE-KMS data keys are asked of KMS as that caller.
Result<std::string> LocalPath(Env& env, const RequestContext& ctx, const std::string& bucket,
                              const std::string& key);
// The plaintext of encrypted version `v` (decrypted with `key`) as a file in memory (tmpfs), for the query
// engine: LocalPath's answer for SSE-S3 objects, and S3 Select's for SSE-C objects read with their key.
Result<std::string> PlaintextPath(Env& env, const VersionRow& v, const DataKey& key);
Result<std::string> GetObject(Env& env, const RequestContext& ctx, const std::string& bucket,
                              const std::string& key, std::uint64_t max_bytes);
// The user metadata of the latest version (LakeAccess::ObjectMetadata).
Result<std::map<std::string, std::string>> ObjectMetadata(Env& env, const std::string& bucket,
                                                          const std::string& key);
// `sse`: the writer's ServerSideEncryption / SSEKMSKeyId members (EncryptionParams); empty: the bucket's
// default encryption.
Result<LakeObject> PutObject(Env& env, const RequestContext& ctx, const std::string& bucket,
                             const std::string& key, const std::string& bytes,
                             const std::string& content_type, const json::object& sse = {});
Result<LakeObject> PutObjectFromFile(Env& env, const RequestContext& ctx, const std::string& bucket,
                                     const std::string& key, const std::string& path,
                                     const std::string& content_type, const json::object& sse = {});
Result<std::vector<LakeObject>> PutObjects(Env& env, const RequestContext& ctx, const std::string& bucket,
                                           const std::vector<LakePut>& puts,
                                           const std::function<Status(store::Transaction&)>& also,
                                           const json::object& sse = {});
// The request members a LakeWriteEncryption stands for (ServerSideEncryption, SSEKMSKeyId).
json::object EncryptionParams(const LakeWriteEncryption& encryption);
Status DeleteObject(Env& env, const RequestContext& ctx, const std::string& bucket, const std::string& key);
}  // namespace lake

}  // namespace cenote::s3
