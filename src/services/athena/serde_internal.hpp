// Helpers shared by the SerDe file converters (serde_files.cpp, orc_file.cpp). Internal to the Athena
// service.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace cenote::athena::serde_internal {

// A decoded block larger than this is refused rather than allocated.
inline constexpr std::size_t kMaxBlock = std::size_t{1} << 30;

// HIVE_BAD_DATA naming the file (its s3:// URL) and why.
Error BadData(const std::string& name, const std::string& why);

// A read-only mapping of a whole file.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (data_ != nullptr && size_ > 0) ::munmap(data_, size_);
  }
  Status Open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return MakeError("HIVE_CANNOT_OPEN_SPLIT", "HIVE_CANNOT_OPEN_SPLIT: cannot open a data file");
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      ::close(fd);
      return MakeError("HIVE_CANNOT_OPEN_SPLIT", "HIVE_CANNOT_OPEN_SPLIT: cannot open a data file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        size_ = 0;
        return MakeError("HIVE_CANNOT_OPEN_SPLIT", "HIVE_CANNOT_OPEN_SPLIT: cannot map a data file");
      }
      data_ = p;
      ::madvise(data_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    return Status::Ok();
  }
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

// Buffered output to a new file.
class Output {
 public:
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (f_ != nullptr) std::fclose(f_);
  }
  Status Open(const std::string& path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (f_ == nullptr)
      return MakeError("HIVE_UNKNOWN_ERROR", "HIVE_UNKNOWN_ERROR: cannot write a scratch file");
    return Status::Ok();
  }
  // Appends `buf` and clears it.
  Status Write(std::string& buf) {
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f_) != buf.size())
      return MakeError("HIVE_UNKNOWN_ERROR", "HIVE_UNKNOWN_ERROR: cannot write a scratch file");
    buf.clear();
    return Status::Ok();
  }
  Status Close() {
    int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) return MakeError("HIVE_UNKNOWN_ERROR", "HIVE_UNKNOWN_ERROR: cannot write a scratch file");
    return Status::Ok();
  }

 private:
  std::FILE* f_ = nullptr;
};

std::uint32_t BigEndian32(std::string_view s, std::size_t pos);

// Decoders; each names `name` in its errors. Inflate: zlib/gzip streams (with_header) or one raw deflate
// stream; `sink` receives the decoded bytes in pieces.
Status Inflate(std::string_view in, bool with_header, const std::string& name,
               const std::function<Status(std::string&)>& sink);
Status Bunzip2(std::string_view in, const std::string& name, const std::function<Status(std::string&)>& sink);
Result<std::string> SnappyBlock(std::string_view in, const std::string& name);
// A raw LZ4 block that decodes to at most `max_size` bytes.
Result<std::string> Lz4Block(std::string_view in, std::size_t max_size, const std::string& name);

// JSON text: a string (escaped), a date 'YYYY-MM-DD' from days since 1970-01-01 (unquoted), a timestamp
// "YYYY-MM-DD HH:MM:SS.fff" (units 1000) or ".ffffff" (units 1000000) from units since the epoch (quoted), a
// double (NaN and infinities as strings).
void AppendJsonString(std::string_view s, std::string& out);
void AppendDate(std::int64_t days, std::string& out);
void AppendTimestamp(std::int64_t value, std::int64_t units, std::string& out);
Status AppendDouble(double d, std::string& out);

}  // namespace cenote::athena::serde_internal
