#include "store/free_space.hpp"

#include <errno.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/durable_file.hpp"

namespace cenote::store {

namespace {

constexpr char kInsufficientStorageCode[] = "InsufficientStorage";
// A reading is reused while it is this young and leaves this much room above the reserve after what was
// admitted since: then no plausible burst of writes between two readings can reach the reserve, and a busy
// server pays one statvfs a second. Closer to the threshold every admission reads the filesystem again.
constexpr auto kMaxReadingAge = std::chrono::seconds(1);
constexpr std::uint64_t kReuseMargin = 256ull << 20;
constexpr auto kWarningInterval = std::chrono::minutes(1);

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Error BadValue(std::string_view text) {
  return MakeError("InvalidArgument",
                   fmt::format("--min-free-space: '{}' is not a size (e.g. 512MiB, 2G, 0) or a percentage "
                               "(e.g. 1%), or 'auto'",
                               text));
}

}  // namespace

MinFreeSpace MinFreeSpace::Default() {
  MinFreeSpace m;
  m.percent = 1;
  m.min_bytes = 16ull << 20;
  m.max_bytes = 256ull << 20;
  return m;
}

std::uint64_t MinFreeSpace::Resolve(std::uint64_t filesystem_bytes) const {
  if (percent <= 0) return bytes;
  const double share = static_cast<double>(filesystem_bytes) * percent / 100.0;
  return std::clamp(static_cast<std::uint64_t>(share), min_bytes, std::max(min_bytes, max_bytes));
}

std::string MinFreeSpace::ToString() const {
  if (percent > 0) {
    std::string s = fmt::format("{}% of the filesystem", percent);
    if (min_bytes > 0) s += ", at least " + FormatBytes(min_bytes);
    if (max_bytes != UINT64_MAX) s += ", at most " + FormatBytes(max_bytes);
    return s;
  }
  return bytes == 0 ? "none" : FormatBytes(bytes);
}

Result<MinFreeSpace> ParseMinFreeSpace(std::string_view text) {
  const std::string_view value = Trim(text);
  if (value.empty() || Lower(value) == "auto") return MinFreeSpace::Default();
  double number = 0;
  const char* begin = value.data();
  const char* end = value.data() + value.size();
  auto [rest, ec] = std::from_chars(begin, end, number, std::chars_format::fixed);
  if (ec != std::errc() || rest == begin || !std::isfinite(number) || number < 0) return BadValue(text);
  const std::string suffix = Lower(Trim(std::string_view(rest, static_cast<std::size_t>(end - rest))));
  MinFreeSpace m;
  if (suffix == "%") {
    if (number <= 0 || number >= 100) return BadValue(text);
    m.percent = number;
    return m;
  }
  struct Unit {
    const char* name;
    double factor;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},       {"b", 1},        {"k", 0x1p10},   {"kib", 0x1p10}, {"kb", 1e3},
      {"m", 0x1p20}, {"mib", 0x1p20}, {"mb", 1e6},     {"g", 0x1p30},   {"gib", 0x1p30},
      {"gb", 1e9},   {"t", 0x1p40},   {"tib", 0x1p40}, {"tb", 1e12},
  };
  for (const Unit& unit : kUnits) {
    if (suffix != unit.name) continue;
    const double total = number * unit.factor;
    if (total >= 0x1p63) return BadValue(text);
    m.bytes = static_cast<std::uint64_t>(total);
    return m;
  }
  return BadValue(text);
}

std::string FormatBytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  for (value /= 1024; value >= 1024 && unit + 1 < std::size(kUnits); value /= 1024) ++unit;
  std::string number = fmt::format("{:.1f}", value);
  if (number.size() > 2 && number.compare(number.size() - 2, 2, ".0") == 0) number.resize(number.size() - 2);
  return number + " " + kUnits[unit];
}

Error InsufficientStorage() {
  // MinIO answers the same situation with 507 too (XMinioStorageFull). 507 is outside every AWS SDK's
  // retryable set, so a client fails at once instead of re-sending a large body into a full disk.
  return MakeError(kInsufficientStorageCode,
                   "The server's disk is full: this write would leave less free space than the server keeps "
                   "for deletes (cenote serve --min-free-space). Delete data or free disk space on the "
                   "server, then try again.",
                   507);
}

bool IsInsufficientStorage(const Error& error) { return error.code == kInsufficientStorageCode; }

Result<std::unique_ptr<FreeSpaceReserve>> FreeSpaceReserve::Open(const std::string& dir,
                                                                 MinFreeSpace min_free) {
  return OpenWithProbe(
      [dir]() -> Result<FilesystemSpace> {
        struct statvfs st {};
        if (::statvfs(dir.c_str(), &st) != 0) return IoError("statvfs", dir, errno);
        FilesystemSpace space;
        space.size = static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize;
        space.available = static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
        return space;
      },
      min_free);
}

Result<std::unique_ptr<FreeSpaceReserve>> FreeSpaceReserve::OpenWithProbe(Probe probe,
                                                                          MinFreeSpace min_free) {
  CENOTE_ASSIGN_OR_RETURN(FilesystemSpace space, probe());
  std::unique_ptr<FreeSpaceReserve> reserve(
      new FreeSpaceReserve(std::move(probe), min_free.Resolve(space.size)));
  MutexLock lock(reserve->mu_);
  reserve->reading_ = space;
  reserve->read_at_ = Clock::now();
  reserve->have_reading_ = true;
  return reserve;
}

std::uint64_t FreeSpaceReserve::RoomLocked() const {
  const std::uint64_t kept = reserve_ + admitted_since_reading_;
  return reading_.available > kept ? reading_.available - kept : 0;
}

Status FreeSpaceReserve::Admit(std::uint64_t bytes) {
  MutexLock lock(mu_);
  const auto now = Clock::now();
  const bool recent = have_reading_ && now - read_at_ < kMaxReadingAge;
  const std::uint64_t room = RoomLocked();
  if (!recent || room < kReuseMargin || room - kReuseMargin < bytes) {
    auto space = probe_();
    if (!space) {
      // Fail open: refusing every write because statvfs broke would be worse than the write's own ENOSPC.
      if (!warned_ || now - last_warning_ >= kWarningInterval) {
        spdlog::warn(
            "store: cannot read the free space of the data directory's filesystem ({}); writes are "
            "not held to --min-free-space meanwhile",
            space.error().message);
        warned_ = true;
        last_warning_ = now;
      }
      return Status::Ok();
    }
    reading_ = *space;
    read_at_ = now;
    have_reading_ = true;
    admitted_since_reading_ = 0;
  }
  if (bytes > RoomLocked()) {
    if (!warned_ || now - last_warning_ >= kWarningInterval) {
      spdlog::warn(
          "store: refusing writes: {} free on the data directory's filesystem, {} kept free for "
          "deletes and metadata (--min-free-space); delete data or free disk space",
          FormatBytes(reading_.available), FormatBytes(reserve_));
      warned_ = true;
      last_warning_ = now;
    }
    return InsufficientStorage();
  }
  admitted_since_reading_ += bytes;
  return Status::Ok();
}

FilesystemSpace FreeSpaceReserve::last_reading() const {
  MutexLock lock(mu_);
  return reading_;
}

}  // namespace cenote::store
