#include "services/s3/s3_provider.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <unordered_set>

#include "common/encoding.hpp"
#include "services/s3/access_logs.hpp"
#include "services/s3/env.hpp"
#include "services/s3/object_io.hpp"

namespace cenote::s3 {

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
      // Version 11: bucket configurations (CORS, ownership controls, public access block, ACL, ...) as
      // documents, and an object version's ACL (NULL: its owner's full control).
      "CREATE TABLE s3_bucket_configs (bucket TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL,"
      " doc TEXT NOT NULL, PRIMARY KEY (bucket, kind, id));"
      "ALTER TABLE s3_versions ADD COLUMN acl TEXT",
      // Version 12: a version's Object Lock retention and legal hold (VersionRow::lock; NULL: none).
      "ALTER TABLE s3_versions ADD COLUMN lock TEXT",
      // Event notifications not yet delivered (notifications.hpp).
      "CREATE TABLE s3_event_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, arn TEXT NOT "
      "NULL,"
      " bucket TEXT NOT NULL, region TEXT NOT NULL, account TEXT NOT NULL, body TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, next_ms INTEGER NOT NULL)",
      // Object versions waiting to be replicated (replication.hpp).
      "CREATE TABLE s3_replication_queue (id INTEGER PRIMARY KEY AUTOINCREMENT, bucket TEXT NOT NULL,"
      " key TEXT NOT NULL, version_id TEXT NOT NULL, rule_id TEXT NOT NULL, destination TEXT NOT NULL,"
      " storage_class TEXT NOT NULL, role TEXT NOT NULL, delete_marker INTEGER NOT NULL,"
      " created_ms INTEGER NOT NULL, attempts INTEGER NOT NULL, next_ms INTEGER NOT NULL)",
  };
  return kMigrations;
}

store::FreshSchema FreshSchema() {
  return store::FreshSchema
#include "services/s3/fresh_schema.inc"
      ;
}

namespace {

// The operation table: S3Provider is this list. coverage_doc.py reads its {"Name", Handler} entries.
const S3Provider::Table& Operations() {
  static const S3Provider::Table kOps = {
      {"AbortMultipartUpload", AbortMultipartUpload},
      {"CompleteMultipartUpload", CompleteMultipartUpload},
      {"CopyObject", CopyObject},
      {"CreateBucket", CreateBucket},
      {"CreateMultipartUpload", CreateMultipartUpload},
      {"DeleteBucket", DeleteBucket},
      {"DeleteBucketAnalyticsConfiguration", DeleteBucketAnalyticsConfiguration},
      {"DeleteBucketCors", DeleteBucketCors},
      {"DeleteBucketEncryption", DeleteBucketEncryption},
      {"DeleteBucketIntelligentTieringConfiguration", DeleteBucketIntelligentTieringConfiguration},
      {"DeleteBucketInventoryConfiguration", DeleteBucketInventoryConfiguration},
      {"DeleteBucketLifecycle", DeleteBucketLifecycle},
      {"DeleteBucketMetricsConfiguration", DeleteBucketMetricsConfiguration},
      {"DeleteBucketOwnershipControls", DeleteBucketOwnershipControls},
      {"DeleteBucketPolicy", DeleteBucketPolicy},
      {"DeleteBucketReplication", DeleteBucketReplication},
      {"PutBucketReplication", PutBucketReplication},
      {"DeleteBucketTagging", DeleteBucketTagging},
      {"DeleteBucketWebsite", DeleteBucketWebsite},
      {"DeleteObject", DeleteObject},
      {"DeleteObjectTagging", DeleteObjectTagging},
      {"DeleteObjects", DeleteObjects},
      {"DeletePublicAccessBlock", DeletePublicAccessBlock},
      {"GetBucketAccelerateConfiguration", GetBucketAccelerateConfiguration},
      {"GetBucketAcl", GetBucketAcl},
      {"GetBucketAnalyticsConfiguration", GetBucketAnalyticsConfiguration},
      {"GetBucketCors", GetBucketCors},
      {"GetBucketEncryption", GetBucketEncryption},
      {"GetBucketIntelligentTieringConfiguration", GetBucketIntelligentTieringConfiguration},
      {"GetBucketInventoryConfiguration", GetBucketInventoryConfiguration},
      {"GetBucketLifecycleConfiguration", GetBucketLifecycleConfiguration},
      {"GetBucketLocation", GetBucketLocation},
      {"GetBucketLogging", GetBucketLogging},
      {"GetBucketMetricsConfiguration", GetBucketMetricsConfiguration},
      {"GetBucketNotificationConfiguration", GetBucketNotificationConfiguration},
      {"GetBucketOwnershipControls", GetBucketOwnershipControls},
      {"GetBucketPolicy", GetBucketPolicy},
      {"GetBucketPolicyStatus", GetBucketPolicyStatus},
      {"GetBucketReplication", GetBucketReplication},
      {"GetBucketRequestPayment", GetBucketRequestPayment},
      {"GetBucketTagging", GetBucketTagging},
      {"GetBucketVersioning", GetBucketVersioning},
      {"GetBucketWebsite", GetBucketWebsite},
      {"GetObject", GetObject},
      {"GetObjectAcl", GetObjectAcl},
      {"GetObjectAttributes", GetObjectAttributes},
      {"GetObjectLegalHold", GetObjectLegalHold},
      {"GetObjectLockConfiguration", GetObjectLockConfiguration},
      {"GetObjectRetention", GetObjectRetention},
      {"GetObjectTagging", GetObjectTagging},
      {"GetPublicAccessBlock", GetPublicAccessBlock},
      {"HeadBucket", HeadBucket},
      {"HeadObject", HeadObject},
      {"ListBucketAnalyticsConfigurations", ListBucketAnalyticsConfigurations},
      {"ListBucketIntelligentTieringConfigurations", ListBucketIntelligentTieringConfigurations},
      {"ListBucketInventoryConfigurations", ListBucketInventoryConfigurations},
      {"ListBucketMetricsConfigurations", ListBucketMetricsConfigurations},
      {"ListBuckets", ListBuckets},
      {"ListMultipartUploads", ListMultipartUploads},
      {"ListObjectVersions", ListObjectVersions},
      {"ListObjects", ListObjects},
      {"ListObjectsV2", ListObjectsV2},
      {"ListParts", ListParts},
      {"PostObject", PostObject},
      {"PutBucketAccelerateConfiguration", PutBucketAccelerateConfiguration},
      {"PutBucketAcl", PutBucketAcl},
      {"PutBucketAnalyticsConfiguration", PutBucketAnalyticsConfiguration},
      {"PutBucketCors", PutBucketCors},
      {"PutBucketEncryption", PutBucketEncryption},
      {"PutBucketIntelligentTieringConfiguration", PutBucketIntelligentTieringConfiguration},
      {"PutBucketInventoryConfiguration", PutBucketInventoryConfiguration},
      {"PutBucketLifecycleConfiguration", PutBucketLifecycleConfiguration},
      {"PutBucketLogging", PutBucketLogging},
      {"PutBucketMetricsConfiguration", PutBucketMetricsConfiguration},
      {"PutBucketNotificationConfiguration", PutBucketNotificationConfiguration},
      {"PutBucketOwnershipControls", PutBucketOwnershipControls},
      {"PutBucketPolicy", PutBucketPolicy},
      {"PutBucketRequestPayment", PutBucketRequestPayment},
      {"PutBucketTagging", PutBucketTagging},
      {"PutBucketVersioning", PutBucketVersioning},
      {"PutBucketWebsite", PutBucketWebsite},
      {"PutObject", PutObject},
      {"PutObjectAcl", PutObjectAcl},
      {"PutObjectLegalHold", PutObjectLegalHold},
      {"PutObjectLockConfiguration", PutObjectLockConfiguration},
      {"PutObjectRetention", PutObjectRetention},
      {"PutObjectTagging", PutObjectTagging},
      {"PutPublicAccessBlock", PutPublicAccessBlock},
      {"RestoreObject", RestoreObject},
      {"SelectObjectContent", SelectObjectContent},
      {"UploadPart", UploadPart},
      {"UploadPartCopy", UploadPartCopy},
  };
  return kOps;
}

// x-amz-expected-bucket-owner: 403 AccessDenied when the bucket belongs to another account. A missing
// bucket is left to the operation (NoSuchBucket).
Status CheckExpectedBucketOwner(Env& env, const json::object& params) {
  auto expected = GetString(params, "ExpectedBucketOwner");
  if (!expected) return Status::Ok();  // the common case: no read, no copy of the bucket name
  auto bucket = GetString(params, "Bucket");
  if (!bucket) return Status::Ok();
  CENOTE_ASSIGN_OR_RETURN(auto txn, env.Read());
  CENOTE_ASSIGN_OR_RETURN(auto row,
                          txn->QueryOne("SELECT owner_account FROM s3_buckets WHERE name = ?", {*bucket}));
  if (row && store::AsText((*row)[0]) != *expected) return MakeError(errors::kAccessDenied);
  return Status::Ok();
}

}  // namespace

S3Provider::S3Provider(std::unique_ptr<Env> env) : env_(std::move(env)) {}

void S3Provider::SetQueryEngine(query::QueryEngine* engine) { env_->engine = engine; }

void S3Provider::SetInvoker(aws::Invoker* invoker) { env_->invoker = invoker; }

Notifications& S3Provider::notifications() { return *env_->notifications; }

void S3Provider::StartNotifications(BackgroundTasks& tasks, aws::Invoker& invoker) {
  env_->notifications->Start(tasks, invoker);
}

void S3Provider::StartReplication(BackgroundTasks& tasks, aws::Invoker& invoker) {
  env_->replication->Start(tasks, invoker);
}

Replication& S3Provider::replication() { return *env_->replication; }

std::unique_ptr<iam::ResourceAuthority> S3Provider::MakeAuthority() {
  return std::make_unique<S3Authority>(*env_);
}

S3Provider::~S3Provider() {
  if (env_ && !env_->plain_cache_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(env_->plain_cache_dir, ec);
  }
}

Result<std::unique_ptr<S3Provider>> S3Provider::Open(store::MetadataStore& metadata, store::BlobStore& blobs,
                                                     S3Options options) {
  CENOTE_RETURN_IF_ERROR(metadata.Migrate("s3", Migrations(), FreshSchema()));
  auto env = std::make_unique<Env>(metadata, blobs, std::move(options));
  {
    std::string key_file = env->options.root_key_file;
    if (key_file.empty() && !blobs.root().empty()) {
      key_file = (std::filesystem::path(blobs.root()).parent_path() / "sse-root.key").string();
    }
    CENOTE_ASSIGN_OR_RETURN(env->root_key, RootKey::Load(key_file));
  }
  {
    // Version ids and upload order derive from seq; keep it above everything stored (clock steps back).
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kRead));
    CENOTE_ASSIGN_OR_RETURN(auto row, txn->QueryOne("SELECT MAX(seq) FROM s3_versions"));
    if (row) env->last_seq = store::AsInt((*row)[0]);
    env->notifications = std::make_unique<Notifications>(*env);
    CENOTE_RETURN_IF_ERROR(env->notifications->Load(*txn));
    CENOTE_ASSIGN_OR_RETURN(
        auto lifecycle, txn->QueryOne("SELECT 1 FROM s3_bucket_configs WHERE kind = 'lifecycle' LIMIT 1"));
    env->any_lifecycle.store(lifecycle.has_value());
    env->replication = std::make_unique<Replication>(*env);
    CENOTE_ASSIGN_OR_RETURN(
        auto replication,
        txn->QueryOne("SELECT 1 FROM s3_bucket_configs WHERE kind = 'replication' LIMIT 1"));
    env->replication->SetConfigured(replication.has_value());
  }
  if (!env->options.account_id.empty()) {
    // Buckets created before their owning account was recorded (schema version 9) are the data directory's
    // account's: ListBuckets, x-amz-expected-bucket-owner and CreateBucket go by owner_account.
    CENOTE_ASSIGN_OR_RETURN(auto txn, metadata.Begin(store::MetadataStore::Mode::kWrite));
    CENOTE_RETURN_IF_ERROR(txn->Exec("UPDATE s3_buckets SET owner_account = ? WHERE owner_account = ''",
                                     {env->options.account_id}));
    CENOTE_RETURN_IF_ERROR(txn->Commit());
  }
  // The multipart cache of LocalPath: derived data, rebuilt on demand.
  if (!blobs.root().empty()) {
    std::error_code ec;
    env->cache_dir = (std::filesystem::path(blobs.root()).parent_path() / "cache").string();
    std::filesystem::remove_all(env->cache_dir, ec);
    std::filesystem::create_directories(env->cache_dir, ec);
    if (ec) return InternalError("cannot create " + env->cache_dir + ": " + ec.message());
    // Plaintext of encrypted objects for the query engine: in memory (tmpfs), one directory per data
    // directory, private to the server's user. Without /dev/shm the engine cannot read encrypted objects.
    const std::filesystem::path shm("/dev/shm");
    if (std::filesystem::is_directory(shm, ec)) {
      const std::string dir = (shm / ("cenote-s3-" + Sha256Hex(blobs.root()).substr(0, 16))).string();
      std::filesystem::remove_all(dir, ec);
      if (::mkdir(dir.c_str(), 0700) == 0) {
        env->plain_cache_dir = dir;
      } else {
        spdlog::warn("s3: cannot create {}: Athena and crawlers will not read encrypted objects", dir);
      }
    }
  }
  std::unique_ptr<S3Provider> provider(new S3Provider(std::move(env)));
  CENOTE_RETURN_IF_ERROR(provider->RemoveOrphanBlobs());
  return provider;
}

Result<std::size_t> S3Provider::RemoveOrphanBlobs() {
  // The blob list is taken before the metadata snapshot: a blob committed in between is referenced by
  // a row the snapshot sees, or is an orphan of a write that has not committed yet. Open runs before
  // any request, so the latter cannot happen there.
  CENOTE_ASSIGN_OR_RETURN(auto all, env_->blobs.List());
  std::unordered_set<std::string> referenced;
  {
    CENOTE_ASSIGN_OR_RETURN(auto txn, env_->Read());
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
    CENOTE_RETURN_IF_ERROR(env_->blobs.Delete(id));
    ++removed;
  }
  return removed;
}

std::vector<std::string> S3Provider::LocalDirectories() const {
  std::vector<std::string> dirs{env_->blobs.root(), env_->cache_dir};
  if (!env_->plain_cache_dir.empty()) dirs.push_back(env_->plain_cache_dir);
  return dirs;
}

const S3Provider::Table& S3Provider::table() const { return Operations(); }

const std::vector<std::string_view>& S3Provider::SupportedOperations() { return Operations().names(); }

Result<aws::OperationOutput> S3Provider::Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                                aws::OperationInput& input) {
  const json::object& params = input.params.as_object();
  // S3 parses the request URI before anything else. A key that is not UTF-8 is refused by every operation
  // that names one: stored, it could not be listed, copied or deleted by name through clients that read
  // listings as UTF-8 (`aws s3 rm --recursive` reported success and left such objects behind).
  if (auto key = GetString(params, "Key")) CENOTE_RETURN_IF_ERROR(CheckKeyEncoding(*key));
  if (input.raw_body) {
    // "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for all Multi-Object Delete
    // requests" (DeleteObjects in the S3 API Reference); a checksum sent with any other document is checked
    // too. Network calls only: an in-process caller has no body bytes.
    CENOTE_RETURN_IF_ERROR(VerifyDocumentDigests(ctx, *input.raw_body, operation == "DeleteObjects",
                                                 operation == "CompleteMultipartUpload"));
  }
  CENOTE_RETURN_IF_ERROR(CheckExpectedBucketOwner(*env_, params));
  return TableProvider::Invoke(ctx, operation, input);
}

Result<std::unique_ptr<ServerAccessLogs>> S3Provider::MakeAccessLogs(Lake& lake) {
  auto logs = std::make_unique<ServerAccessLogs>(lake);
  CENOTE_ASSIGN_OR_RETURN(auto txn, env_->Read());
  CENOTE_ASSIGN_OR_RETURN(auto rows,
                          txn->Query("SELECT bucket FROM s3_bucket_configs WHERE kind = 'logging'"));
  for (const auto& row : rows) {
    CENOTE_ASSIGN_OR_RETURN(auto target, LoggingTarget(*txn, store::AsText(row[0])));
    logs->SetTarget(store::AsText(row[0]), std::move(target));
  }
  env_->access_logs = logs.get();
  return logs;
}

Result<LifecycleRound> S3Provider::RunLifecycleOnce() { return RunLifecycleAt(UnixNowMs()); }

Result<LifecycleRound> S3Provider::RunLifecycleAt(std::int64_t now_ms) {
  return RunLifecycle(*env_, now_ms, env_->options.lifecycle_day_ms);
}

void S3Provider::StartLifecycle(BackgroundTasks& tasks) {
  const std::int64_t interval = std::clamp<std::int64_t>(env_->options.lifecycle_day_ms / 24, 100, 3'600'000);
  lifecycle_ = tasks.Every("s3.lifecycle", std::chrono::milliseconds(interval), [this] {
    auto round = RunLifecycleOnce();
    if (!round) {
      spdlog::warn("s3 lifecycle: {}", round.error().message);
    } else if (round->expired + round->noncurrent_removed + round->markers_removed + round->uploads_aborted +
                   round->transitioned >
               0) {
      spdlog::debug(
          "s3 lifecycle: {} expired, {} noncurrent versions removed, {} delete markers removed, {} "
          "uploads aborted, {} transitioned",
          round->expired, round->noncurrent_removed, round->markers_removed, round->uploads_aborted,
          round->transitioned);
    }
  });
}

Result<std::optional<http::Headers>> S3Provider::Cors(const aws::CorsRequest& request) {
  return CorsHeaders(*env_, request);
}

}  // namespace cenote::s3
