// Env: the state every S3 handler shares, owned by S3Provider and handed to each operation of its table
// (services::Handler<Env>) and to the lake's in-process operations (lake.cpp).
//
// Thread safety: shared by every request thread. The stores serialize their own transactions, `options`,
// `cache_dir`, `plain_cache_dir` and `root_key` do not change after Open, `bucket_keys` has its own mutex,
// `last_seq` is atomic, the ReadCache has its own mutex and `plain_cache_mu` orders the writers of the
// plaintext cache.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/mutex.hpp"
#include "services/common/data_key_cache.hpp"
#include "services/s3/access.hpp"
#include "services/s3/internal.hpp"
#include "services/s3/notifications.hpp"
#include "services/s3/read_cache.hpp"
#include "services/s3/replication.hpp"
#include "services/s3/s3_provider.hpp"
#include "store/blob_store.hpp"
#include "store/metadata_store.hpp"

namespace cenote::query {
class QueryEngine;
}  // namespace cenote::query

namespace cenote::aws {
class Invoker;
}  // namespace cenote::aws

namespace cenote::s3 {

class ServerAccessLogs;

struct Env {
  Env(store::MetadataStore& metadata_store, store::BlobStore& blob_store, S3Options s3_options)
      : metadata(metadata_store),
        blobs(blob_store),
        options(std::move(s3_options)),
        bucket_keys(options.bucket_key_ttl_ms, 4096, options.clock) {}

  store::MetadataStore& metadata;
  store::BlobStore& blobs;  // S3's own: every blob no row references is an orphan
  const S3Options options;
  // <blob root>/../cache: multipart, inline and empty objects as files for LocalPath; wiped by Open. Empty
  // when the blob store has no local files.
  std::string cache_dir;
  // Some bucket has (or had, since Open) a lifecycle configuration: reads look for x-amz-expiration.
  std::atomic<bool> any_lifecycle{false};
  // The last seq handed out (NextSeq), kept above every stored one.
  std::atomic<std::int64_t> last_seq{0};
  // A memory-backed directory (under /dev/shm) for the plaintext of encrypted objects the query engine reads
  // (lake.cpp PlaintextPath); wiped by Open and by the provider's destructor. Empty when there is none.
  std::string plain_cache_dir;
  Mutex plain_cache_mu;  // one file made at a time
  // The root key that wraps SSE-S3 data keys (sse.hpp); loaded by S3Provider::Open.
  RootKey root_key;
  // S3 Bucket Keys from KMS, and KMS's Decrypt answers for them, kept options.bucket_key_ttl_ms
  // (encryption.cpp).
  services::DataKeyCache bucket_keys;
  // Bucket and latest-version rows of GET/HEAD (read_cache.hpp).
  ReadCache cache;
  // Buckets' owners, policies and ACLs for the authorizer (access.hpp).
  BucketAccessCache access_cache;

  // Strictly increasing across the process (and above every stored seq after Open): microseconds
  // since the epoch, bumped on collision. Orders versions and uploads by creation.
  std::int64_t NextSeq();
  Result<std::unique_ptr<Transaction>> Read() { return metadata.Begin(store::MetadataStore::Mode::kRead); }
  // Every S3 metadata write goes through here: the transaction empties the ReadCache when it begins
  // and when it ends (read_cache.hpp).
  Result<std::unique_ptr<Transaction>> Write();
  // Best effort: a blob that fails to delete is an orphan that the next Open removes.
  void DeleteBlobs(const std::vector<std::string>& ids);

  // Server access logging (access_logs.hpp), when the platform set it up; told of every logging change.
  ServerAccessLogs* access_logs = nullptr;
  // The query engine SelectObjectContent runs on (S3Provider::SetQueryEngine); null: S3 Select answers
  // NotImplemented. Set before serving, then immutable.
  query::QueryEngine* engine = nullptr;
  // How SSE-KMS reaches KMS (encryption.cpp): in-process calls as the request's caller, via S3. Null: SSE-KMS
  // answers NotImplemented (unit tests without a platform). Set before serving, then immutable.
  aws::Invoker* invoker = nullptr;
  // Event notifications (notifications.hpp): made and loaded by Open; delivering once the platform starts it.
  std::unique_ptr<Notifications> notifications;
  // Replication (replication.hpp): made by Open; replicating once the platform starts it.
  std::unique_ptr<Replication> replication;
};

}  // namespace cenote::s3
