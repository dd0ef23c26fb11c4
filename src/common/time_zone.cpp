#include "common/time_zone.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>

#include "common/clock.hpp"

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

// A POSIX TZ string reader over `text`: each method consumes what it reads; nullopt on a malformed part.
struct PosixReader {
  std::string_view text;

  bool At(char c) const { return !text.empty() && text.front() == c; }
  bool Eat(char c) {
    if (!At(c)) return false;
    text.remove_prefix(1);
    return true;
  }
  std::optional<int> Number(int max) {
    std::size_t n = 0;
    int v = 0;
    while (n < text.size() && n < 3 && text[n] >= '0' && text[n] <= '9') v = v * 10 + (text[n++] - '0');
    if (n == 0 || v > max) return std::nullopt;
    text.remove_prefix(n);
    return v;
  }
  // A zone abbreviation: "<+0330>" or three or more letters.
  bool Name() {
    if (Eat('<')) {
      const std::size_t close = text.find('>');
      if (close == std::string_view::npos) return false;
      text.remove_prefix(close + 1);
      return true;
    }
    std::size_t n = 0;
    while (n < text.size() && ((text[n] >= 'A' && text[n] <= 'Z') || (text[n] >= 'a' && text[n] <= 'z'))) ++n;
    if (n < 3) return false;
    text.remove_prefix(n);
    return true;
  }
  // [+-]hh[:mm[:ss]] in seconds (hours up to 167, as TZif v3 allows for rule times).
  std::optional<std::int64_t> Time() {
    const bool negative = Eat('-');
    if (!negative) Eat('+');
    auto h = Number(167);
    if (!h) return std::nullopt;
    std::int64_t s = *h * 3600;
    for (int unit : {60, 1}) {
      if (!Eat(':')) break;
      auto part = Number(59);
      if (!part) return std::nullopt;
      s += *part * unit;
    }
    return negative ? -s : s;
  }
};

// The day (days since 1970-01-01) a rule date falls on in `year`.
std::int64_t RuleDay(int kind, int day, int week, int month, std::int64_t year) {
  const std::int64_t jan1 = DaysFromCivil(year, 1, 1);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (kind == 0) return jan1 + day - 1 + (leap && day >= 60 ? 1 : 0);  // Jn: February 29 skipped
  if (kind == 1) return jan1 + day;                                    // n: zero-based
  // Mm.w.d: the first weekday d of the month, then w-1 weeks on (week 5: the last such day).
  const std::int64_t first = DaysFromCivil(year, static_cast<unsigned>(month), 1);
  const std::int64_t weekday_of_first = ((first % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)
  std::int64_t d = first + (day - weekday_of_first + 7) % 7 + 7 * (week - 1);
  const std::int64_t next_month =
      month == 12 ? DaysFromCivil(year + 1, 1, 1) : DaysFromCivil(year, static_cast<unsigned>(month + 1), 1);
  while (d >= next_month) d -= 7;
  return d;
}

}  // namespace

std::optional<TimeZone::Rule> TimeZone::ParseRule(std::string_view text) {
  PosixReader r{text};
  Rule rule;
  if (!r.Name()) return std::nullopt;
  auto std_west = r.Time();  // POSIX offsets count west of UTC
  if (!std_west) return std::nullopt;
  rule.std_offset = -*std_west;
  if (r.text.empty()) return rule;
  if (!r.Name()) return std::nullopt;
  rule.dst_offset = rule.std_offset + 3600;
  if (!r.At(',')) {
    auto dst_west = r.Time();
    if (!dst_west) return std::nullopt;
    rule.dst_offset = -*dst_west;
  }
  for (Rule::Date* date : {&rule.start, &rule.end}) {
    if (!r.Eat(',')) return std::nullopt;
    if (r.Eat('M')) {
      auto m = r.Number(12);
      if (!m || *m < 1 || !r.Eat('.')) return std::nullopt;
      auto w = r.Number(5);
      if (!w || *w < 1 || !r.Eat('.')) return std::nullopt;
      auto d = r.Number(6);
      if (!d) return std::nullopt;
      *date = {.kind = Rule::Date::Kind::kMonthWeekDay, .day = *d, .week = *w, .month = *m};
    } else {
      const bool julian1 = r.Eat('J');
      auto n = r.Number(365);
      if (!n || (julian1 && *n < 1)) return std::nullopt;
      *date = {.kind = julian1 ? Rule::Date::Kind::kJulian1 : Rule::Date::Kind::kJulian0, .day = *n};
    }
    if (r.Eat('/')) {
      auto t = r.Time();
      if (!t) return std::nullopt;
      date->time = *t;
    }
  }
  if (!r.text.empty()) return std::nullopt;
  return rule;
}

std::int64_t TimeZone::RuleOffset(const Rule& rule, std::int64_t utc_s) {
  if (!rule.dst_offset) return rule.std_offset;
  auto instant = [](const Rule::Date& d, std::int64_t year, std::int64_t offset_before) {
    const std::int64_t day = RuleDay(static_cast<int>(d.kind), d.day, d.week, d.month, year);
    return day * 86'400 + d.time - offset_before;
  };
  const std::int64_t local_days =
      (utc_s + rule.std_offset) / 86'400 - ((utc_s + rule.std_offset) % 86'400 < 0);
  const std::int64_t year = CivilFromDays(local_days).year;
  // Daylight time starts at its date's time in standard time and ends at its date's time in daylight time.
  const std::int64_t start = instant(rule.start, year, rule.std_offset);
  const std::int64_t end = instant(rule.end, year, *rule.dst_offset);
  const bool dst = start < end ? (utc_s >= start && utc_s < end)   // northern: summer inside the year
                               : (utc_s < end || utc_s >= start);  // southern: summer across the new year
  return dst ? *rule.dst_offset : rule.std_offset;
}

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
    if (time_bytes == 8) {
      // The footer ("\n<TZ string>\n") follows the v2 body.
      const std::size_t footer = at + timecnt * 9 + typecnt * 6 + c[5] + c[2] * 12 + c[1] + c[0];
      if (footer < data.size() && data[footer] == '\n') {
        const std::size_t close = data.find('\n', footer + 1);
        if (close != std::string::npos && close > footer + 1) {
          zone->rule_ = ParseRule(std::string_view(data).substr(footer + 1, close - footer - 1));
        }
      }
    }
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
  if (it == transitions_.begin())
    return transitions_.empty() && rule_ ? RuleOffset(*rule_, utc_s) : initial_offset_;
  // After the last transition the footer's rule holds; without one, the last offset.
  if (it == transitions_.end() && rule_) return RuleOffset(*rule_, utc_s);
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
