#include "services/lambda/zip.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <vector>

namespace cenote::lambda {

namespace {

struct Entry {
  std::string name;
  std::uint16_t method = 0;
  std::uint32_t compressed = 0, size = 0, local_offset = 0;
  std::uint32_t external = 0;
  std::uint8_t made_by_os = 0;
};

std::uint16_t U16(std::string_view s, std::size_t at) {
  return static_cast<std::uint16_t>(static_cast<unsigned char>(s[at]) |
                                    (static_cast<unsigned char>(s[at + 1]) << 8));
}
std::uint32_t U32(std::string_view s, std::size_t at) {
  return U16(s, at) | (std::uint32_t{U16(s, at + 2)} << 16);
}

Error Bad() {
  return MakeError("InvalidParameterValueException",
                   "Could not unzip uploaded file. Please check your file, then try to upload again.", 400);
}

Result<std::vector<Entry>> Entries(std::string_view zip) {
  // The end-of-central-directory record: the last 22 bytes plus a comment of up to 64 KiB.
  if (zip.size() < 22) return Bad();
  std::size_t eocd = std::string_view::npos;
  const std::size_t lowest = zip.size() > 22 + 65535 ? zip.size() - 22 - 65535 : 0;
  for (std::size_t at = zip.size() - 22 + 1; at-- > lowest;) {
    if (U32(zip, at) == 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd == std::string_view::npos) return Bad();
  const std::uint16_t count = U16(zip, eocd + 10);
  std::size_t at = U32(zip, eocd + 16);
  std::vector<Entry> entries;
  for (std::uint16_t i = 0; i < count; ++i) {
    if (at + 46 > zip.size() || U32(zip, at) != 0x02014b50) return Bad();
    Entry e;
    e.made_by_os = static_cast<std::uint8_t>(U16(zip, at + 4) >> 8);
    e.method = U16(zip, at + 10);
    e.compressed = U32(zip, at + 20);
    e.size = U32(zip, at + 24);
    const std::uint16_t name_len = U16(zip, at + 28), extra_len = U16(zip, at + 30),
                        comment_len = U16(zip, at + 32);
    e.external = U32(zip, at + 38);
    e.local_offset = U32(zip, at + 42);
    if (at + 46 + name_len > zip.size()) return Bad();
    e.name = std::string(zip.substr(at + 46, name_len));
    if (e.method != 0 && e.method != 8) return Bad();
    if (e.name.empty() || e.name[0] == '/' || e.name.find('\0') != std::string::npos) return Bad();
    for (std::size_t p = 0; p <= e.name.size();) {
      std::size_t q = e.name.find('/', p);
      if (q == std::string::npos) q = e.name.size();
      if (e.name.substr(p, q - p) == "..") return Bad();
      p = q + 1;
    }
    entries.push_back(std::move(e));
    at += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

Result<std::string> Data(std::string_view zip, const Entry& e) {
  std::size_t at = e.local_offset;
  if (at + 30 > zip.size() || U32(zip, at) != 0x04034b50) return Bad();
  at += 30 + U16(zip, at + 26) + U16(zip, at + 28);
  if (at + e.compressed > zip.size()) return Bad();
  std::string_view raw = zip.substr(at, e.compressed);
  if (e.method == 0) return std::string(raw);
  std::string out(e.size, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return Bad();
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  const auto produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != e.size) return Bad();
  return out;
}

}  // namespace

Result<std::uint64_t> CheckZip(std::string_view zip) {
  CENOTE_ASSIGN_OR_RETURN(auto entries, Entries(zip));
  std::uint64_t total = 0;
  for (const Entry& e : entries) total += e.size;
  return total;
}

Status ExtractZip(std::string_view zip, const std::string& dir) {
  CENOTE_ASSIGN_OR_RETURN(auto entries, Entries(zip));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("cannot create " + dir);
  chmod(dir.c_str(), 0755);
  const std::filesystem::path root = std::filesystem::canonical(dir, ec);
  if (ec) return InternalError("cannot resolve " + dir);
  // Nothing is written outside `dir`: not through "..", and not through a symlink an earlier entry made
  // (every parent is resolved and checked, and files are opened without following a final symlink).
  auto inside = [&root](const std::filesystem::path& p) {
    std::error_code e2;
    const std::filesystem::path real = std::filesystem::weakly_canonical(p, e2);
    if (e2) return false;
    auto r = root.begin();
    auto q = real.begin();
    for (; r != root.end(); ++r, ++q) {
      if (q == real.end() || *q != *r) return false;
    }
    return true;
  };
  for (const Entry& e : entries) {
    const std::string path = dir + "/" + e.name;
    const std::uint32_t unix_mode = e.made_by_os == 3 ? e.external >> 16 : 0;
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!inside(parent)) return Bad();
    if (e.name.back() == '/' || S_ISDIR(unix_mode)) {
      std::filesystem::create_directories(path, ec);
      if (!inside(path)) return Bad();
      chmod(path.c_str(), 0755);
      continue;
    }
    std::filesystem::create_directories(parent, ec);
    if (!inside(parent)) return Bad();
    for (auto p = parent; p.string().size() > dir.size(); p = p.parent_path()) chmod(p.c_str(), 0755);
    CENOTE_ASSIGN_OR_RETURN(std::string data, Data(zip, e));
    if (S_ISLNK(unix_mode)) {
      std::filesystem::create_symlink(data, path, ec);
      continue;
    }
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  (unix_mode & 0111) != 0 ? 0755 : 0644);
    if (fd < 0) return Bad();
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = write(fd, data.data() + done, data.size() - done);
      if (n <= 0) {
        close(fd);
        return InternalError("cannot write " + path);
      }
      done += static_cast<std::size_t>(n);
    }
    close(fd);
    chmod(path.c_str(), (unix_mode & 0111) != 0 ? 0755 : 0644);
  }
  return Status::Ok();
}

}  // namespace cenote::lambda
