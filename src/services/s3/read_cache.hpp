// ReadCache: the rows a GET/HEAD of an object's latest version reads (its bucket row and its latest
// version row, or the fact that there is none), kept in memory so repeated reads of a hot object skip
// the metadata store.
//
// Correctness rule: a cached entry is never served while an S3 write transaction is in flight, and
// every write transaction empties the cache when it begins and again when it ends (commit or
// rollback), before the write is acknowledged. A reader takes a token before it opens its metadata
// snapshot and may insert what it read only if no write began or ended since (the generation is
// unchanged and none is in flight). So a hit is always the state as of the last completed write, and a
// lookup never returns rows older than a write that another request has already seen committed.
// Invalidation is global, not per key: it is cheap (writes pay an fsync anyway) and cannot miss a row
// that a write touches indirectly (versioning changes, bucket deletion, promotion of an older version).
//
// The cache is process-local and starts empty, so it is correct after restarts; it assumes, like the
// orphan-blob recovery in S3Provider::Open, that one process owns the data directory and that all S3
// metadata writes go through Env::Write (env.hpp).
//
// Thread safety: every method may be called concurrently; one mutex guards all state.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/mutex.hpp"
#include "services/s3/internal.hpp"
#include "store/blob_store.hpp"

namespace cenote::s3 {

class ReadCache {
 public:
  struct Entry {
    BucketRow bucket;
    std::optional<VersionRow> latest;  // nullopt: the key has no version at all
    // The open blob of a single-blob latest version, or null. Blobs are immutable and deleted only after
    // a write that supersedes them has begun (and so emptied the cache), so reading through this
    // descriptor gives exactly the bytes `latest` describes. Read with pread only (shared by requests).
    std::shared_ptr<store::BlobReader> blob;
  };

  // At most `max_entries` keys are kept, and at most about `max_open_blobs` of them hold a descriptor;
  // inserting beyond `max_entries` empties the cache first.
  explicit ReadCache(std::size_t max_entries = 4096, std::size_t max_open_blobs = 128)
      : max_entries_(max_entries), max_open_blobs_(max_open_blobs) {}

  // The cached rows of (bucket, key), or null on a miss or while a write is in flight.
  std::shared_ptr<const Entry> Find(std::string_view bucket, std::string_view key) const;

  // Taken before the reader's metadata snapshot begins; nullopt while a write is in flight.
  std::optional<std::uint64_t> Token() const;
  // Stores `entry` unless a write began or ended since `token` was taken.
  void Insert(std::uint64_t token, std::string_view bucket, std::string_view key,
              std::shared_ptr<const Entry> entry);

  // Bracket every S3 metadata write transaction (Env::Write does this).
  void BeginWrite();
  void EndWrite();

  // Whether an entry inserted now may hold an open blob (a hint; the descriptor limit is soft).
  bool MayHoldBlob() const;

  std::size_t size() const;

 private:
  static std::string MapKey(std::string_view bucket, std::string_view key);
  // Moves every entry into `out` (destroyed by the caller after the lock is released: an entry may hold
  // the last reference to an open blob).
  void ClearLocked(std::unordered_map<std::string, std::shared_ptr<const Entry>>& out)
      EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::size_t max_entries_;
  const std::size_t max_open_blobs_;
  mutable Mutex mu_;
  std::size_t open_blobs_ GUARDED_BY(mu_) = 0;  // entries in entries_ holding a blob
  std::uint64_t generation_ GUARDED_BY(mu_) = 0;
  int writers_ GUARDED_BY(mu_) = 0;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> entries_ GUARDED_BY(mu_);
};

}  // namespace cenote::s3
