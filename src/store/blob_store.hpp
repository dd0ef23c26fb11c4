// BlobStore: immutable byte blobs named by internal ids, never by user keys.
//
// Durability contract (DESIGN.md "Storage and durability contract"): a blob becomes visible
// only through BlobWriter::Commit, which fsyncs the data, renames the temp file into place and
// fsyncs the directory before returning. Readers never see partial blobs. Blobs are never
// modified after commit. Whoever records a blob id in metadata does so after Commit returns.
//
// Free space: with a FreeSpaceReserve (free_space.hpp) a writer admits its bytes before each write(2)
// (once per buffered MiB), so a body that would cross the reserve fails with InsufficientStorage and its
// temp file goes with the writer; Admit lets a caller refuse a declared length before reading the body.
// Delete and Clone add no bytes and are never refused.
//
// Thread safety: a BlobStore is safe to use from many threads; a BlobWriter or BlobReader is used by
// one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace cenote {
class BackgroundTasks;
}

namespace cenote::store {

class FreeSpaceReserve;

// 32 lowercase hex chars (128 random bits).
using BlobId = std::string;

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;  // aborts (removes the temp file) if not committed
  // Buffers or writes [data, data + n). InsufficientStorage when the bytes would cross the store's reserve;
  // after any failure the writer only accepts destruction.
  virtual Status Append(const char* data, std::size_t n) = 0;
  virtual std::uint64_t size() const = 0;
  // Makes the blob durable and visible under its id: fsync(file) -> rename -> fsync(dir).
  virtual Result<BlobId> Commit() = 0;
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual std::uint64_t size() const = 0;
  // Reads up to n bytes at offset; 0 at or past the end.
  virtual Result<std::size_t> ReadAt(std::uint64_t offset, char* buf, std::size_t n) = 0;
  // The open file descriptor (owned by the reader), for sendfile(2).
  virtual int fd() const = 0;
};

struct BlobStoreOptions {
  // Empty temp files kept ready by a background task, so Create rarely waits on an inode allocation
  // (which can read the inode bitmap from disk). 0: Create makes each file itself.
  std::size_t spare_files = 0;
  // Runs that task; null: the store runs it on a private runner. Must outlive the store.
  BackgroundTasks* tasks = nullptr;
  // Writes that would leave less free space than this reserve are refused; null: no reserve. Must outlive
  // the store.
  FreeSpaceReserve* reserve = nullptr;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Opens (creating if needed) a store rooted at `dir`. Cleans temp files left by a crash.
  static Result<std::unique_ptr<BlobStore>> OpenLocal(const std::string& dir, BlobStoreOptions options = {});

  virtual Result<std::unique_ptr<BlobWriter>> Create() = 0;
  // OK when `bytes` more may be written without crossing the reserve (always, without one); otherwise
  // InsufficientStorage. For a declared length before its body is read, and for bytes the caller keeps
  // elsewhere in the data directory on a client's behalf (small objects stored inline in metadata).
  virtual Status Admit(std::uint64_t bytes) = 0;
  // Commits several writers of this store, with the guarantees of calling Commit on each, but cheaper:
  // the data fsyncs run in parallel and a directory the blobs share is fsynced once. Ids come back in
  // the writers' order. On failure none of them is committed (a blob renamed into place before the
  // failure is unlinked again; should a crash bring it back, nothing records it: an orphan for List).
  virtual Result<std::vector<BlobId>> CommitAll(const std::vector<BlobWriter*>& writers) = 0;
  // NoSuchBlob (500-class InternalError to clients) if the id is unknown.
  virtual Result<std::unique_ptr<BlobReader>> Open(const BlobId& id) = 0;
  // Durable, idempotent: deleting a missing blob succeeds.
  virtual Status Delete(const BlobId& id) = 0;
  // A new id whose bytes equal `id`'s (a hard link: blobs are immutable). Durable when it returns.
  virtual Result<BlobId> Clone(const BlobId& id) = 0;
  // Every committed blob id, for crash recovery (orphan removal).
  virtual Result<std::vector<BlobId>> List() = 0;
  // The local file that holds a committed blob, for engines that read files directly (DuckDB);
  // "" for stores without local files. The file must only be read: blobs are immutable.
  virtual std::string LocalPath(const BlobId& id) const = 0;
  // The directory under which LocalPath's files live ("" for stores without local files).
  virtual std::string root() const = 0;
};

}  // namespace cenote::store
