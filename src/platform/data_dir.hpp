// DataDir: the data directory of one `cenote serve`, opened before anything in it is touched.
//
// Open creates the directory if needed, takes an exclusive advisory lock on <dir>/cenote.lock (flock(2))
// and writes the server's PID into that file, and only then makes the directory mode 0700 (it holds the
// root credentials and every object) and reads its filesystem's size for the free-space reserve. Without
// the lock a second server on the same directory would start normally, remove the first one's in-flight
// temp blobs as crash leftovers and rewrite its credentials file; with it, the second one's Open fails with
// DataDirectoryInUse, naming the PID that holds the lock, and the process exits.
//
// The lock lives as long as the DataDir, and the kernel drops it when the process ends however it ends
// (kill -9 included), so there is never a stale lock to clean up. The lock file itself is never removed:
// unlinking it while locked would let a third server lock a fresh file of the same name while the second
// still holds the old one. flock locks belong to the open file, not the process: a second Open in the same
// process is refused too, and the descriptor is close-on-exec, so child processes never inherit the lock.
//
// Thread safety: immutable after Open; reserve() may be used from any thread (FreeSpaceReserve is).
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "store/free_space.hpp"

namespace cenote::platform {

class DataDir {
 public:
  // The lock file, relative to the data directory.
  static constexpr char kLockFileName[] = "cenote.lock";

  // Creates (mkdir -p), locks, chmods 0700 and measures `path`; `min_free` sizes the reserve. Errors:
  // DataDirectoryInUse (another process holds the lock; the message names its PID when the file has one),
  // InternalError for anything the filesystem refuses (with the path and the reason).
  static Result<std::unique_ptr<DataDir>> Open(const std::string& path, store::MinFreeSpace min_free);

  ~DataDir();  // releases the lock
  DataDir(const DataDir&) = delete;
  DataDir& operator=(const DataDir&) = delete;

  const std::string& path() const { return path_; }
  // The reserve the stores hold their writes to (--min-free-space).
  store::FreeSpaceReserve& reserve() const { return *reserve_; }

 private:
  DataDir(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}

  const std::string path_;
  const int lock_fd_;
  std::unique_ptr<store::FreeSpaceReserve> reserve_;
};

}  // namespace cenote::platform
