// S3Provider: Amazon S3 (rest-xml, "s3") over the MetadataStore and the BlobStore.
//
// Storage layout (DESIGN.md "Storage and durability contract"):
//   - object bytes live in BlobStore blobs named by internal ids; an object version is a manifest, an
//     ordered list of (blob id, size), so CompleteMultipartUpload and CopyObject never copy bytes;
//   - metadata lives in the MetadataStore tables s3_buckets, s3_versions, s3_uploads, s3_parts and
//     s3_completed (schema in s3_provider.cpp, component "s3"). Keys are compared as TEXT with binary
//     collation, which is S3's UTF-8 byte order (PostgreSQL: COLLATE "C").
//
// Every write follows: stream the body into a BlobWriter (hashing on the fly) -> Commit (fsync, rename,
// fsync dir) -> one metadata transaction -> delete superseded blobs -> acknowledge. A crash between the
// steps leaves at worst an unreferenced blob, which Open() removes.
//
// Regions: bucket names are global and a bucket lives in one region (its LocationConstraint, us-east-1
// when none), recorded when it is created. One server serves every region: a request signed for any
// region reaches any bucket (docs/s3-coverage.md "Regions").
//
// The provider is its operation table (s3_provider.cpp) over one Env, the state every handler shares
// (internal.hpp). Thread safety: Invoke may be called concurrently from any number of threads; all
// shared state is in the stores (which serialize write transactions), an atomic sequence counter and the
// ReadCache (one mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "aws/invoker.hpp"
#include "common/background_tasks.hpp"
#include "common/result.hpp"
#include "iam/directory.hpp"
#include "services/common/operation_table.hpp"
#include "services/s3/lake_access.hpp"
#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"

namespace cenote::query {
class QueryEngine;
}  // namespace cenote::query

namespace cenote::s3 {

class Notifications;
class Replication;

struct S3Options {
  std::string default_region = "us-east-1";
  // The data directory's account: owner of the buckets created before their owning account was recorded.
  std::string account_id;
  // Largest object a single PutObject / CopyObject / UploadPart may carry (AWS: 5 GiB).
  std::uint64_t max_object_size = 5ull * 1024 * 1024 * 1024;
  // Smallest non-last part CompleteMultipartUpload accepts (AWS: 5 MiB). Tests may lower it.
  std::uint64_t min_part_size = 5ull * 1024 * 1024;
  // Objects up to this size (PutObject bodies, in-process writes) are stored inline in their metadata
  // row: no blob file, fsync or rename. 0: every object is a blob.
  std::uint64_t inline_max_bytes = 4096;
  // New buckets as AWS made them before April 2023: no ownership controls (ACLs in force, object writers own
  // their objects) and no public access block, unless CreateBucket asks for ownership controls. For test
  // suites written against that behaviour (ceph's s3-tests); set by CENOTE_S3_NEW_BUCKET_DEFAULTS=legacy.
  bool legacy_bucket_defaults = false;
  // The file of the root key that wraps SSE-S3 data keys (sse.hpp); "" : `sse-root.key` beside the blob
  // directory (a key in memory only when the blob store has no local files).
  std::string root_key_file;
  // Budget of the memory-backed plaintext copies of encrypted objects the query engine reads (lake.cpp).
  std::uint64_t plaintext_cache_bytes = 1ull << 30;
  // The length of a "day" in lifecycle rules: 86,400 s, or what `cenote serve --lifecycle-day-seconds` says
  // (tests make days pass in seconds).
  std::int64_t lifecycle_day_ms = 86'400'000;
  // The ids of the accounts on this server (organizations::Accounts), whose canonical users ACL grants may
  // name; empty: only the caller's and the owners' (unit tests).
  std::function<std::vector<std::string>()> accounts;
  // How long an S3 Bucket Key (and KMS's Decrypt of one) is used before S3 asks KMS again (encryption.cpp).
  // AWS says only "a time-limited period"; 0: asked on every write and read.
  std::int64_t bucket_key_ttl_ms = 5 * 60 * 1000;
  // Milliseconds for the bucket keys' period (tests); empty: the system clock.
  std::function<std::int64_t()> clock;
};

// The state every S3 handler shares (internal.hpp).
struct Env;
struct LifecycleRound;
class ServerAccessLogs;

class S3Provider final : public services::TableProvider<Env> {
 public:
  // Runs the "s3" schema migrations and crash recovery: removes blobs no metadata row references
  // (temp files are the BlobStore's own business). The BlobStore must be dedicated to S3. The stores
  // must outlive the provider.
  static Result<std::unique_ptr<S3Provider>> Open(store::MetadataStore& metadata, store::BlobStore& blobs,
                                                  S3Options options);
  ~S3Provider() override;

  std::string_view service() const override { return "s3"; }
  // Checks x-amz-expected-bucket-owner (403 AccessDenied when the bucket belongs to another account),
  // which every bucket and object operation takes, then runs the operation's handler.
  Result<aws::OperationOutput> Invoke(const aws::RequestContext& ctx, std::string_view operation,
                                      aws::OperationInput& input) override;
  // The website endpoint (website.cpp): <bucket>.s3-website-<region>.amazonaws.com and its other forms.
  std::vector<aws::UnsignedRoute> UnsignedRoutes() override;
  // Browsers' cross-origin requests, answered from the bucket's CORS configuration.
  Result<std::optional<http::Headers>> Cors(const aws::CorsRequest& request) override;

  // The operations of the table; the pipeline answers every other operation of the S3 model.
  static const std::vector<std::string_view>& SupportedOperations();

  // Crash recovery (also run by Open): deletes blobs that no version, part or upload references.
  // Returns the number of blobs removed. Must not run concurrently with writes.
  Result<std::size_t> RemoveOrphanBlobs();

  // The directories holding the files LakeAccess::LocalPath returns (blobs and the multipart cache).
  std::vector<std::string> LocalDirectories() const;

  // The lake of the other services (lake_access.hpp): in-process reads and writes of this provider's
  // objects, each passed through `invoker` (authorize, after-hooks) as the caller it was made for. The
  // provider and the invoker must outlive it.
  std::unique_ptr<Lake> MakeLake(aws::Invoker& invoker);

  // S3's side of authorization (access.hpp): bucket policies, ACLs and owners, for the authorizer. The
  // provider must outlive it.
  std::unique_ptr<iam::ResourceAuthority> MakeAuthority();

  // Server access logging (access_logs.hpp): the after-hook that records calls on logged buckets and
  // delivers them through `lake`, loaded with the buckets whose logging is on. Made once, before serving;
  // the provider tells it of every logging change while both live. `lake` must outlive it.
  Result<std::unique_ptr<ServerAccessLogs>> MakeAccessLogs(Lake& lake);

  // The query engine SelectObjectContent reads objects through (S3 Select); without one it answers
  // NotImplemented. Call before serving; `engine` must outlive the provider and every response it streams.
  void SetQueryEngine(query::QueryEngine* engine);
  // SSE-KMS asks KMS for data keys through `invoker` (as each request's caller, via S3). Before serving.
  void SetInvoker(aws::Invoker* invoker);
  // Event notifications (notifications.hpp) are delivered through `invoker` by a task of `tasks`, starting
  // with what a previous run left undelivered. Before serving.
  void StartNotifications(BackgroundTasks& tasks, aws::Invoker& invoker);
  // The provider's notifications (tests: pending events, one delivery round).
  Notifications& notifications();
  // Replication (replication.hpp) copies queued versions as the configured roles, authorized through
  // `invoker`, on a task of `tasks`, starting with what a previous run left queued. Before serving.
  void StartReplication(BackgroundTasks& tasks, aws::Invoker& invoker);
  // The provider's replication (tests: queued entries, one round).
  Replication& replication();

  // Applies the buckets' lifecycle rules once, as of now (the background task's round; tests call it).
  Result<LifecycleRound> RunLifecycleOnce();
  // As RunLifecycleOnce, as if the time were `now_ms` (tests: days pass without waiting for them).
  Result<LifecycleRound> RunLifecycleAt(std::int64_t now_ms);
  // Starts the lifecycle task on `tasks`: a round every 1/24 of a lifecycle day (at least every 100 ms, at
  // most hourly). `tasks` must outlive the provider or be stopped first.
  void StartLifecycle(BackgroundTasks& tasks);

 protected:
  const Table& table() const override;
  Env& env() override { return *env_; }

 private:
  explicit S3Provider(std::unique_ptr<Env> env);

  std::unique_ptr<Env> env_;
  std::unique_ptr<BackgroundTask> lifecycle_;  // after env_: stops before the state it uses goes
};

}  // namespace cenote::s3
