// FreeSpaceReserve: keeps the last bytes of the data directory's filesystem for deletes and metadata commits.
//
// Once a filesystem is full, SQLite cannot write the WAL frames of a delete either, so a server that lets
// client writes take the last bytes can no longer free space through its own API (every DeleteObject fails,
// before and after a restart). Like MinIO's minimum free drive threshold, the stores refuse writes that add
// bytes on a client's behalf (object bodies and parts, stream-log appends) when they would leave less than
// the reserve free; deletes and metadata commits are never checked, so they run inside the reserve. A
// refused write is InsufficientStorage (HTTP 507): not retried by the AWS SDKs (they retry 500/502/503/504
// and throttling codes), and its message names no path.
//
// The check is a statvfs(2) of the filesystem, not per byte: a reading is reused while the bytes admitted
// since it leave a wide margin above the reserve and it is younger than a second, so a busy server pays one
// statvfs per second until it nears the threshold, then one per admission. Writers call Admit before they
// write (with a declared length up front, then per buffered chunk while streaming), so concurrent writers
// can cross the threshold by at most the chunks they admitted from the same reading; the reserve absorbs
// that. Space taken by other processes is seen at the next reading.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/mutex.hpp"
#include "common/result.hpp"

namespace cenote::store {

// The value of `cenote serve --min-free-space`: a fixed number of bytes, or a share of the filesystem's
// size within bounds.
struct MinFreeSpace {
  std::uint64_t bytes = 0;               // the reserve when percent == 0
  double percent = 0;                    // > 0: this share of the filesystem's size ...
  std::uint64_t min_bytes = 0;           // ... but at least this
  std::uint64_t max_bytes = UINT64_MAX;  // ... and at most this

  // The default: 1% of the filesystem, at least 16 MiB, at most 256 MiB. The floor is what metadata commits
  // need however small the disk: SQLite's WAL grows to about 4 MiB (1000 pages) before a checkpoint lets it
  // wrap, and on a 64 MiB filesystem a 1% reserve (655 KiB) was gone after 358 metadata commits, with every
  // delete failing after it. The cap keeps a large disk from idling gigabytes; 256 MiB also covers what may
  // land after the check: a 1 MiB chunk per concurrent upload (64 workers), a Kinesis group commit (8 MiB).
  static MinFreeSpace Default();
  // The reserve on a filesystem of `filesystem_bytes`.
  std::uint64_t Resolve(std::uint64_t filesystem_bytes) const;
  // "1% of the filesystem, at least 16 MiB, at most 256 MiB" / "64 MiB" / "none", for logs and --help.
  std::string ToString() const;
};

// Parses a --min-free-space value: "auto" (the default), a size ("0" disables the reserve, "512MiB",
// "2G", "1.5GB": K/M/G/T and KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB powers of 1000, B or no
// suffix bytes) or a percentage of the filesystem's size ("2%", uncapped). InvalidArgument otherwise.
Result<MinFreeSpace> ParseMinFreeSpace(std::string_view text);

// "256 MiB", "1.5 GiB", "512 B".
std::string FormatBytes(std::uint64_t bytes);

// The error of a write refused for lack of space (by the reserve, or ENOSPC/EDQUOT/SQLITE_FULL from the
// kernel or SQLite): code InsufficientStorage, HTTP 507, a message for the client without any path.
Error InsufficientStorage();
bool IsInsufficientStorage(const Error& error);

// What statvfs reports, in bytes.
struct FilesystemSpace {
  std::uint64_t size = 0;       // f_blocks * f_frsize
  std::uint64_t available = 0;  // f_bavail * f_frsize: what an unprivileged writer may still use
};

class FreeSpaceReserve {
 public:
  using Probe = std::function<Result<FilesystemSpace>()>;

  // A reserve on the filesystem holding `dir` (statvfs), sized by `min_free` against its size now.
  static Result<std::unique_ptr<FreeSpaceReserve>> Open(const std::string& dir, MinFreeSpace min_free);
  // Same with `probe` in place of statvfs (tests).
  static Result<std::unique_ptr<FreeSpaceReserve>> OpenWithProbe(Probe probe, MinFreeSpace min_free);

  // OK when `bytes` more can be written while leaving at least the reserve free; InsufficientStorage
  // otherwise. Admitted bytes count against the cached reading until the next one. When the filesystem
  // cannot be read (statvfs fails) the write is admitted: the write itself then reports ENOSPC if it must.
  Status Admit(std::uint64_t bytes);

  std::uint64_t reserve_bytes() const { return reserve_; }
  // The filesystem as last read (for the start-up log line).
  FilesystemSpace last_reading() const;

 private:
  using Clock = std::chrono::steady_clock;
  FreeSpaceReserve(Probe probe, std::uint64_t reserve) : probe_(std::move(probe)), reserve_(reserve) {}
  // Bytes that may still be written above the reserve, by the reading less what was admitted since.
  std::uint64_t RoomLocked() const EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Probe probe_;
  const std::uint64_t reserve_;
  mutable Mutex mu_;
  FilesystemSpace reading_ GUARDED_BY(mu_);
  Clock::time_point read_at_ GUARDED_BY(mu_);
  bool have_reading_ GUARDED_BY(mu_) = false;
  std::uint64_t admitted_since_reading_ GUARDED_BY(mu_) = 0;
  Clock::time_point last_warning_ GUARDED_BY(mu_);  // refusals and probe failures are logged once a minute
  bool warned_ GUARDED_BY(mu_) = false;
};

}  // namespace cenote::store
