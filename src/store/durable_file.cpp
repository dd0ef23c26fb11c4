#include "store/durable_file.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/free_space.hpp"

namespace cenote::store {

namespace {

std::string RandomSuffix() {
  unsigned char bytes[8];
  std::size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t r = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      // Uniqueness is all we need here (O_EXCL guards collisions); fall back to the pid.
      return std::to_string(::getpid());
    }
    got += static_cast<std::size_t>(r);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

}  // namespace

Error IoError(std::string_view what, const std::string& path, int err) {
  std::string message = fmt::format("{}: {}: {}", what, path, std::strerror(err));
  spdlog::error("store: {}", message);
  if (err == ENOSPC || err == EDQUOT) return InsufficientStorage();
  return InternalError(std::move(message));
}

std::string ParentDirectory(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fsync directory", dir, err);
  return Status::Ok();
}

Status FsyncFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path, errno);
  int rc = ::fdatasync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return IoError("fdatasync", path, err);
  return Status::Ok();
}

Status CreateDirectoriesDurably(const std::string& dir, mode_t mode) {
  if (dir.empty()) return Status::Ok();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError("not a directory", dir, ENOTDIR);
  }
  if (errno != ENOENT) return IoError("stat", dir, errno);
  std::string parent = ParentDirectory(dir);
  if (parent != dir) CENOTE_RETURN_IF_ERROR(CreateDirectoriesDurably(parent, mode));
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return IoError("mkdir", dir, errno);
  // The new entry lives in the parent: without this fsync a power loss can forget the directory
  // and, with it, every file later renamed into it.
  return FsyncDirectory(parent);
}

Status WriteFileDurably(const std::string& path, std::string_view contents, mode_t mode) {
  // Order: write temp (same directory, so rename is atomic) -> fsync(temp) -> rename over path ->
  // fsync(directory). Readers see the old file or the new one, never a prefix.
  std::string tmp = path + ".tmp." + RandomSuffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return IoError("create", tmp, errno);
  // open() applies the umask; fchmod makes `mode` exact (a umask can only remove bits, so the file
  // was never more permissive than `mode`).
  if (::fchmod(fd, mode) != 0 || !WriteAll(fd, contents.data(), contents.size()) || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return IoError("write", tmp, err);
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError("close", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return IoError("rename", path, err);
  }
  return FsyncDirectory(ParentDirectory(path));
}

Result<std::string> ReadFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return MakeError("NoSuchFile", "No such file: " + path, 404);
    return IoError("open", path, errno);
  }
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof(buf));
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("read", path, err);
    }
    if (r == 0) break;
    out.append(buf, static_cast<std::size_t>(r));
  }
  ::close(fd);
  return out;
}

bool WriteAll(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool BackdateModificationTime(int fd) {
  struct timespec now {};
  if (::clock_gettime(CLOCK_REALTIME, &now) != 0) return false;
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;  // access time unchanged
  times[1].tv_sec = now.tv_sec - 3600;
  times[1].tv_nsec = 0;
  return ::futimens(fd, times) == 0;
}

}  // namespace cenote::store
