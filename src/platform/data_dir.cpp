#include "platform/data_dir.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace cenote::platform {

namespace {

Error Failed(std::string_view what, const std::string& path, int err) {
  return InternalError(fmt::format("cannot {} {}: {}", what, path, std::strerror(err)));
}

// The PID written by the lock's holder, or "" when the file holds none yet (it may have just locked it).
std::string HolderPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  std::string pid;
  for (ssize_t i = 0; i < n && std::isdigit(static_cast<unsigned char>(buf[i])); ++i) pid.push_back(buf[i]);
  return pid;
}

}  // namespace

Result<std::unique_ptr<DataDir>> DataDir::Open(const std::string& path, store::MinFreeSpace min_free) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Failed("create the data directory", path, ec.value());
  const std::string lock_path = path + "/" + kLockFileName;
  // O_NOFOLLOW: the lock file is ours; a symlink planted in its place is refused, not followed.
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Failed("open the lock file", lock_path, errno);
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return Failed("lock", lock_path, err);
    }
    std::string pid = HolderPid(fd);
    ::close(fd);
    return MakeError(
        "DataDirectoryInUse",
        fmt::format("the data directory {} is in use by another cenote server ({}); stop that "
                    "server, or start this one with another --data-dir",
                    path, pid.empty() ? "its PID is not yet written in " + lock_path : "PID " + pid),
        500);
  }
  std::unique_ptr<DataDir> dir(new DataDir(path, fd));
  // The PID, for the message of the next server that finds the directory locked (and for people: `cat
  // cenote.lock`). Not fsynced: it only matters while this process lives.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return Failed("write the lock file", lock_path, errno);
  if (::chmod(path.c_str(), 0700) != 0) return Failed("chmod 0700", path, errno);
  CENOTE_ASSIGN_OR_RETURN(dir->reserve_, store::FreeSpaceReserve::Open(path, min_free));
  const store::FilesystemSpace space = dir->reserve_->last_reading();
  spdlog::info(
      "data directory {}: locked by PID {}; {} of {} free, {} of it kept for deletes (--min-free-space: {})",
      path, ::getpid(), store::FormatBytes(space.available), store::FormatBytes(space.size),
      store::FormatBytes(dir->reserve_->reserve_bytes()), min_free.ToString());
  if (space.available <= dir->reserve_->reserve_bytes()) {
    spdlog::warn(
        "data directory {}: only {} free, at or below the {} reserve: writes are refused until data is "
        "deleted or disk space is freed",
        path, store::FormatBytes(space.available), store::FormatBytes(dir->reserve_->reserve_bytes()));
  }
  return dir;
}

DataDir::~DataDir() {
  // Closing the descriptor releases the flock.
  ::close(lock_fd_);
}

}  // namespace cenote::platform
