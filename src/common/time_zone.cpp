#include "common/time_zone.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

namespace cenote {

namespace {

std::int64_t BigEndian(const std::string& data, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(data[at + i]);
  if (bytes == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

}  // namespace

std::shared_ptr<const TimeZone> TimeZone::Find(std::string_view name) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const TimeZone>, std::less<>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(name); it != cache.end()) return it->second;
  if (!ValidName(name)) return nullptr;
  auto zone = std::make_shared<TimeZone>();
  if (name != "UTC" && name != "Etc/UTC") {
    std::ifstream in("/usr/share/zoneinfo/" + std::string(name), std::ios::binary);
    if (!in) return nullptr;
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string data = ss.str();
    if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) return nullptr;
    // Header counts: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt (each 4 bytes at offset 20).
    auto counts = [&](std::size_t at) {
      std::vector<std::int64_t> c;
      for (int i = 0; i < 6; ++i) c.push_back(BigEndian(data, at + 20 + 4 * i, 4));
      return c;
    };
    std::vector<std::int64_t> c = counts(0);
    std::size_t at = 44;
    int time_bytes = 4;
    if (data[4] >= '2') {
      // Skip the v1 body; the v2 body (64-bit times) follows its own header.
      at += c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
      if (data.size() < at + 44) return nullptr;
      c = counts(at);
      at += 44;
      time_bytes = 8;
    }
    const std::int64_t timecnt = c[3], typecnt = c[4];
    if (data.size() < at + timecnt * (time_bytes + 1) + typecnt * 6) return nullptr;
    std::vector<std::int64_t> type_offsets;
    const std::size_t types_at = at + timecnt * (time_bytes + 1);
    for (std::int64_t i = 0; i < typecnt; ++i) type_offsets.push_back(BigEndian(data, types_at + i * 6, 4));
    if (type_offsets.empty()) return nullptr;
    zone->initial_offset_ = type_offsets[0];
    for (std::int64_t i = 0; i < timecnt; ++i) {
      zone->transitions_.push_back(BigEndian(data, at + i * time_bytes, time_bytes));
      const auto type = static_cast<unsigned char>(data[at + timecnt * time_bytes + i]);
      zone->offsets_.push_back(type < type_offsets.size() ? type_offsets[type] : 0);
    }
  }
  cache.emplace(std::string(name), zone);
  return zone;
}

std::int64_t TimeZone::OffsetAt(std::int64_t utc_s) const {
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
  if (it == transitions_.begin()) return initial_offset_;
  // After the last transition the last offset holds (zoneinfo files carry transitions well into the future).
  return offsets_[static_cast<std::size_t>(it - transitions_.begin() - 1)];
}

std::int64_t TimeZone::ToUtc(std::int64_t local_s) const {
  // Try the offsets in effect around the time: the first that maps back to the same wall clock wins.
  const std::int64_t guess = local_s - OffsetAt(local_s);
  for (std::int64_t probe : {local_s - OffsetAt(guess - 86'400), guess, local_s - OffsetAt(guess + 86'400)}) {
    if (probe + OffsetAt(probe) == local_s) return probe;
  }
  return guess;
}

}  // namespace cenote
