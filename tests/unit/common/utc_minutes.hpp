// Test helpers: "YYYY-MM-DD HH:MM" (UTC) <-> seconds since the Unix epoch.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace cenote::testing {

inline std::int64_t UtcMinute(const std::string& text) {
  std::tm tm{};
  tm.tm_year = std::stoi(text.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(text.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(text.substr(8, 2));
  tm.tm_hour = std::stoi(text.substr(11, 2));
  tm.tm_min = std::stoi(text.substr(14, 2));
  return static_cast<std::int64_t>(timegm(&tm));
}

inline std::string UtcMinuteText(std::int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace cenote::testing
