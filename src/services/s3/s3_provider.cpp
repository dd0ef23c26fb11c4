#include "services/s3/s3_provider.hpp"

#include <exception>
#include <filesystem>
#include <map>
#include <unordered_set>

#include "services/s3/internal.hpp"
#include "services/s3/read_cache.hpp"

namespace cenote::s3 {

namespace {

// Schema of component "s3": one statement per schema version; append, never edit.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      "CREATE TABLE s3_buckets ("
      " name TEXT PRIMARY KEY, region TEXT NOT NULL, owner_id TEXT NOT NULL, owner_name TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL, versioning TEXT NOT NULL DEFAULT '', policy TEXT, tags TEXT)",
      "CREATE TABLE s3_versions ("
      " bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL, seq INTEGER NOT NULL,"
      " is_latest INTEGER NOT NULL, delete_marker INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT "
      "NULL,"
      " last_modified_ms INTEGER NOT NULL, manifest TEXT NOT NULL, attrs TEXT NOT NULL, tags TEXT NOT NULL,"
      " owner_id TEXT NOT NULL, owner_name TEXT NOT NULL, storage_class TEXT NOT NULL,"
      " PRIMARY KEY (bucket, key, version_id))",
      "CREATE INDEX s3_versions_by_seq ON s3_versions (bucket, key, seq)",
      "CREATE INDEX s3_versions_latest ON s3_versions (bucket, is_latest, key)",
      "CREATE TABLE s3_uploads ("
      " upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, initiated_ms INTEGER NOT NULL,"
      " owner_id TEXT NOT NULL, owner_name TEXT NOT NULL, attrs TEXT NOT NULL, tags TEXT NOT NULL,"
      " storage_class TEXT NOT NULL)",
      "CREATE INDEX s3_uploads_by_key ON s3_uploads (bucket, key, upload_id)",
      "CREATE TABLE s3_parts ("
      " upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, blob_id TEXT NOT NULL, size INTEGER NOT NULL,"
      " etag TEXT NOT NULL, last_modified_ms INTEGER NOT NULL, checksums TEXT NOT NULL,"
      " PRIMARY KEY (upload_id, part_number))",
      "CREATE TABLE s3_completed ("
      " upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,"
      " etag TEXT NOT NULL, completed_ms INTEGER NOT NULL)",
      // Version 9: the owning account, for x-amz-expected-bucket-owner.
      "ALTER TABLE s3_buckets ADD COLUMN owner_account TEXT NOT NULL DEFAULT ''",
      // Version 10: the bytes of a small object stored inline (BlobRef::Inline), outside the listed columns.
      "ALTER TABLE s3_versions ADD COLUMN inline_data BLOB",
  };
  return kMigrations;
}

struct OpEntry {
  std::string_view name;
  OpFn fn;
};

const std::vector<OpEntry>& Operations() {
  static const std::vector<OpEntry> kOps = {
      {"AbortMultipartUpload", AbortMultipartUpload},
      {"CompleteMultipartUpload", CompleteMultipartUpload},
      {"CopyObject", CopyObject},
      {"CreateBucket", CreateBucket},
      {"CreateMultipartUpload", CreateMultipartUpload},
      {"DeleteBucket", DeleteBucket},
      {"DeleteBucketPolicy", DeleteBucketPolicy},
      {"DeleteBucketTagging", DeleteBucketTagging},
      {"DeleteObject", DeleteObject},
      {"DeleteObjectTagging", DeleteObjectTagging},
      {"DeleteObjects", DeleteObjects},
      {"GetBucketLocation", GetBucketLocation},
      {"GetBucketPolicy", GetBucketPolicy},
      {"GetBucketTagging", GetBucketTagging},
      {"GetBucketVersioning", GetBucketVersioning},
      {"GetObject", GetObject},
      {"GetObjectAttributes", GetObjectAttributes},
      {"GetObjectTagging", GetObjectTagging},
      {"HeadBucket", HeadBucket},
      {"HeadObject", HeadObject},
      {"ListBuckets", ListBuckets},
      {"ListMultipartUploads", ListMultipartUploads},
      {"ListObjectVersions", ListObjectVersions},
      {"ListObjects", ListObjects},
      {"ListObjectsV2", ListObjectsV2},
      {"ListParts", ListParts},
      {"PutBucketPolicy", PutBucketPolicy},
      {"PutBucketTagging", PutBucketTagging},
      {"PutBucketVersioning", PutBucketVersioning},
      {"PutObject", PutObject},
      {"PutObjectTagging", PutObjectTagging},
      {"UploadPart", UploadPart},
      {"UploadPartCopy", UploadPartCopy},
  };
  return kOps;
}

// x-amz-expected-bucket-owner: 403 AccessDenied when the bucket belongs to another account. A missing
// bucket is left to the operation (NoSuchBucket).
Status CheckExpectedBucketOwner(Env& env, const json::object& params) {
  auto expected = GetString(params, "ExpectedBucketOwner");
  auto bucket = GetString(params, "Bucket");
  if (!expected || !bucket) return Status::Ok();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT owner_account FROM s3_buckets WHERE name = ?", {*bucket}));
  if (row && store::AsText((*row)[0]) != *expected) return MakeError(errors::kAccessDenied);
  return Status::Ok();
}

}  // namespace

S3Provider::S3Provider(store::MetadataStore& metadata, store::BlobStore& blobs, S3Options options)
    : metadata_(metadata),
      blobs_(blobs),
      options_(std::move(options)),
      read_cache_(std::make_unique<ReadCache>()) {}

S3Provider::~S3Provider() = default;

Result<std::unique_ptr<S3Provider>> S3Provider::Open(store::MetadataStore& metadata, store::BlobStore& blobs,
                                                     S3Options options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("s3", Migrations()));
  std::unique_ptr<S3Provider> provider(new S3Provider(metadata, blobs, std::move(options)));
  {
    // Version ids and upload order derive from seq; keep it above everything stored (clock steps back).
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT MAX(seq) FROM s3_versions"));
    if (row) provider->last_seq_ = store::AsInt((*row)[0]);
  }
  // The multipart cache of LocalPath: derived data, rebuilt on demand.
  if (!blobs.root().empty()) {
    std::error_code ec;
    provider->cache_dir_ = (std::filesystem::path(blobs.root()).parent_path() / "cache").string();
    std::filesystem::remove_all(provider->cache_dir_, ec);
    std::filesystem::create_directories(provider->cache_dir_, ec);
    if (ec) return InternalError("cannot create " + provider->cache_dir_ + ": " + ec.message());
  }
  CENOTE_RETURN_IF_ERROR(provider->RemoveOrphanBlobs());
  return provider;
}

Result<std::size_t> S3Provider::RemoveOrphanBlobs() {
  // The blob list is taken before the metadata snapshot: a blob committed in between is referenced by
  // a row the snapshot sees, or is an orphan of a write that has not committed yet. Open runs before
  // any request, so the latter cannot happen there.
  CENOTE_ASSIGN_OR_RETURN(auto all, blobs_.List());
  std::unordered_set<std::string> referenced;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata_.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto versions, txn->Query("SELECT manifest FROM s3_versions"));
    for (const auto& row : versions) {
      for (auto& b : ManifestFromJson(store::AsText(row[0]))) referenced.insert(std::move(b.id));
    }
    CENOTE_ASSIGN_OR_RETURN(auto parts, txn->Query("SELECT blob_id FROM s3_parts"));
    for (const auto& row : parts) referenced.insert(store::AsText(row[0]));
  }
  std::size_t removed = 0;
  for (const auto& id : all) {
    if (referenced.count(id)) continue;
    CENOTE_RETURN_IF_ERROR(blobs_.Delete(id));
    ++removed;
  }
  return removed;
}

const std::vector<std::string_view>& S3Provider::SupportedOperations() {
  static const std::vector<std::string_view> kNames = [] {
    std::vector<std::string_view> names;
    for (const auto& op : Operations()) names.push_back(op.name);
    return names;
  }();
  return kNames;
}

bool S3Provider::Implements(std::string_view operation) const {
  for (const auto& op : Operations()) {
    if (op.name == operation) return true;
  }
  return false;
}

Result<aws::OperationOutput> S3Provider::Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                                aws::OperationInput& input) {
  if (!input.params.is_object()) input.params = json::object();
  return Dispatch(ctx, operation, input);
}

Result<aws::OperationOutput> S3Provider::Dispatch(const aws::RequestContext& ctx, std::string_view operation,
                                                  aws::OperationInput& input) {
  for (const auto& op : Operations()) {
    if (op.name == operation) {
      Env env{metadata_, blobs_, options_, last_seq_, *read_cache_};
      CENOTE_RETURN_IF_ERROR(CheckExpectedBucketOwner(env, input.params.as_object()));
      return op.fn(env, ctx, input);
    }
  }
  return MakeError(errors::kNotImplemented);
}

}  // namespace cenote::s3
