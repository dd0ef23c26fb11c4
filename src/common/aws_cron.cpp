#include "common/aws_cron.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/clock.hpp"

namespace cenote {
namespace {

constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;

Error Invalid(const std::string& message) { return MakeError("InvalidCron", message); }

// Days since 1970-01-01 of a civil date, and back (clock.hpp), with the int fields this file counts in.
std::int64_t DaysFromCivil(int y, int m, int d) {
  return cenote::DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

void CivilFromDays(std::int64_t z, int& y, int& m, int& d) {
  const CivilDate c = cenote::CivilFromDays(z);
  y = static_cast<int>(c.year);
  m = static_cast<int>(c.month);
  d = static_cast<int>(c.day);
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[m - 1] + (m == 2 && IsLeap(y) ? 1 : 0);
}

// 1 = Sunday .. 7 = Saturday.
int Weekday(int y, int m, int d) {
  std::int64_t days = DaysFromCivil(y, m, d);  // 1970-01-01 was a Thursday (5)
  return static_cast<int>(((days % 7) + 7 + 4) % 7) + 1;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

struct Field {
  const char* name;
  int min;
  int max;
  std::vector<const char*> names;  // names[i] is value min + i
};

const Field kMinutes{"Minutes", 0, 59, {}};
const Field kHours{"Hours", 0, 23, {}};
const Field kDayOfMonth{"Day-of-month", 1, 31, {}};
const Field kMonth{
    "Month", 1, 12, {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}};
const Field kDayOfWeek{"Day-of-week", 1, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}};
const Field kYear{"Year", kFirstYear, kLastYear, {}};

Result<int> Value(const Field& f, std::string_view text) {
  std::string upper = Upper(text);
  for (std::size_t i = 0; i < f.names.size(); ++i) {
    if (upper == f.names[i]) return f.min + static_cast<int>(i);
  }
  int v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    return Invalid(std::string("Invalid value '") + std::string(text) + "' in the " + f.name + " field");
  if (v < f.min || v > f.max)
    return Invalid(std::string("Value ") + std::to_string(v) + " out of range " + std::to_string(f.min) +
                   "-" + std::to_string(f.max) + " in the " + f.name + " field");
  return v;
}

// One item of a list without specials: *, */s, a, a-b, a/s, a-b/s. Calls set(v) for every value.
template <typename Set>
Status Range(const Field& f, std::string_view item, Set set) {
  int step = 1;
  bool stepped = false;
  if (auto slash = item.find('/'); slash != std::string_view::npos) {
    stepped = true;
    std::string_view s = item.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || step < 1 || step > f.max)
      return Invalid(std::string("Invalid increment '") + std::string(s) + "' in the " + f.name + " field");
    item = item.substr(0, slash);
  }
  int lo = f.min;
  int hi = f.max;
  if (item != "*") {
    auto dash = item.find('-');
    auto a = Value(f, item.substr(0, dash));
    if (!a) return std::move(a).error();
    lo = *a;
    if (dash != std::string_view::npos) {
      auto b = Value(f, item.substr(dash + 1));
      if (!b) return std::move(b).error();
      hi = *b;
      if (hi < lo)
        return Invalid(std::string("Invalid range '") + std::string(item) + "' in the " + f.name + " field");
    } else if (!stepped) {
      hi = lo;  // a single value; "a/s" runs from a to the field's end
    }
  }
  for (int v = lo; v <= hi; v += step) set(v);
  return Status::Ok();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

template <std::size_t N>
Status Simple(const Field& f, std::string_view text, std::bitset<N>& bits) {
  for (std::string_view item : Split(text, ',')) {
    CENOTE_RETURN_IF_ERROR(Range(f, item, [&](int v) { bits.set(static_cast<std::size_t>(v)); }));
  }
  return Status::Ok();
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression, int min_interval_minutes) {
  std::string_view e = expression;
  while (!e.empty() && std::isspace(static_cast<unsigned char>(e.front()))) e.remove_prefix(1);
  while (!e.empty() && std::isspace(static_cast<unsigned char>(e.back()))) e.remove_suffix(1);
  if (e.size() < 6 || e.substr(0, 5) != "cron(" || e.back() != ')')
    return Invalid("A schedule must be written cron(Minutes Hours Day-of-month Month Day-of-week Year)");
  e = e.substr(5, e.size() - 6);
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < e.size()) {
    while (i < e.size() && std::isspace(static_cast<unsigned char>(e[i]))) ++i;
    std::size_t start = i;
    while (i < e.size() && !std::isspace(static_cast<unsigned char>(e[i]))) ++i;
    if (i > start) fields.push_back(e.substr(start, i - start));
  }
  if (fields.size() != 6)
    return Invalid(
        "A cron expression has six fields (Minutes Hours Day-of-month Month Day-of-week Year), not " +
        std::to_string(fields.size()));

  CronSchedule c;
  CENOTE_RETURN_IF_ERROR(Simple(kMinutes, fields[0], c.minutes_));
  CENOTE_RETURN_IF_ERROR(Simple(kHours, fields[1], c.hours_));
  CENOTE_RETURN_IF_ERROR(Simple(kMonth, fields[3], c.months_));
  c.years_.assign(kLastYear - kFirstYear + 1, false);
  for (std::string_view item : Split(fields[5], ',')) {
    CENOTE_RETURN_IF_ERROR(
        Range(kYear, item, [&](int v) { c.years_[static_cast<std::size_t>(v - kFirstYear)] = true; }));
  }

  c.dom_question_ = fields[2] == "?";
  c.dow_question_ = fields[4] == "?";
  if (c.dom_question_ == c.dow_question_)
    return Invalid("Exactly one of the Day-of-month and Day-of-week fields must be '?'");
  if (!c.dom_question_) {
    for (std::string_view item : Split(fields[2], ',')) {
      std::string upper = Upper(item);
      if (upper == "L") {
        c.dom_.last = true;
      } else if (upper == "LW") {
        c.dom_.last_weekday = true;
      } else if (upper.size() > 1 && upper.back() == 'W') {
        auto v = Value(kDayOfMonth, item.substr(0, item.size() - 1));
        if (!v) return std::move(v).error();
        c.dom_.nearest.push_back(*v);
      } else if (item == "*") {
        c.dom_.any = true;
      } else {
        CENOTE_RETURN_IF_ERROR(
            Range(kDayOfMonth, item, [&](int v) { c.dom_.days.set(static_cast<std::size_t>(v)); }));
      }
    }
  }
  if (!c.dow_question_) {
    for (std::string_view item : Split(fields[4], ',')) {
      std::string upper = Upper(item);
      if (upper == "L") {
        c.dow_.weekdays.set(7);
      } else if (upper.size() > 1 && upper.back() == 'L') {
        auto v = Value(kDayOfWeek, item.substr(0, item.size() - 1));
        if (!v) return std::move(v).error();
        c.dow_.last_of.push_back(*v);
      } else if (auto hash = item.find('#'); hash != std::string_view::npos) {
        auto v = Value(kDayOfWeek, item.substr(0, hash));
        if (!v) return std::move(v).error();
        std::string_view k = item.substr(hash + 1);
        if (k.size() != 1 || k[0] < '1' || k[0] > '5')
          return Invalid("Invalid occurrence '" + std::string(item) + "' in the Day-of-week field");
        c.dow_.nth.emplace_back(*v, k[0] - '0');
      } else if (item == "*") {
        c.dow_.any = true;
      } else {
        CENOTE_RETURN_IF_ERROR(
            Range(kDayOfWeek, item, [&](int v) { c.dow_.weekdays.set(static_cast<std::size_t>(v)); }));
      }
    }
  }

  if (min_interval_minutes > 1) {
    std::vector<int> minutes;
    for (int m = 0; m < 60; ++m)
      if (c.minutes_.test(static_cast<std::size_t>(m))) minutes.push_back(m);
    bool consecutive_hours = false;
    for (int h = 0; h < 24; ++h)
      consecutive_hours = consecutive_hours || (c.hours_.test(static_cast<std::size_t>(h)) &&
                                                c.hours_.test(static_cast<std::size_t>((h + 1) % 24)));
    int gap = 60;
    for (std::size_t k = 1; k < minutes.size(); ++k) gap = std::min(gap, minutes[k] - minutes[k - 1]);
    if (consecutive_hours && !minutes.empty()) gap = std::min(gap, 60 - minutes.back() + minutes.front());
    if (gap < min_interval_minutes)
      return Invalid("Schedules that run more often than every " + std::to_string(min_interval_minutes) +
                     " minutes are not supported");
  }
  return c;
}

bool CronSchedule::DayMatches(int year, int month, int day) const {
  int dim = DaysInMonth(year, month);
  if (!dom_question_) {
    const DaySpec& s = dom_;
    if (s.any || s.days.test(static_cast<std::size_t>(day)) || (s.last && day == dim)) return true;
    if (s.last_weekday) {
      int last = dim;
      while (Weekday(year, month, last) == 1 || Weekday(year, month, last) == 7) --last;
      if (day == last) return true;
    }
    for (int n : s.nearest) {
      if (n > dim) continue;
      int target = n;
      int wd = Weekday(year, month, n);
      if (wd == 7) target = n == 1 ? n + 2 : n - 1;    // Saturday: Friday, or Monday on the 1st
      if (wd == 1) target = n == dim ? n - 2 : n + 1;  // Sunday: Monday, or Friday on the last day
      if (day == target) return true;
    }
    return false;
  }
  const DaySpec& s = dow_;
  int wd = Weekday(year, month, day);
  if (s.any || s.weekdays.test(static_cast<std::size_t>(wd))) return true;
  for (int n : s.last_of)
    if (n == wd && day + 7 > dim) return true;
  for (const auto& [n, k] : s.nth)
    if (n == wd && (day - 1) / 7 + 1 == k) return true;
  return false;
}

std::optional<std::int64_t> CronSchedule::NextAfter(std::int64_t after_s) const {
  std::int64_t start = (after_s >= 0 ? after_s / 60 : (after_s - 59) / 60) * 60 + 60;
  std::int64_t days = start >= 0 ? start / 86400 : (start - 86399) / 86400;
  int first_minute_of_day = static_cast<int>((start - days * 86400) / 60);
  int y = 0;
  int m = 0;
  int d = 0;
  CivilFromDays(days, y, m, d);
  if (y < kFirstYear) {
    y = kFirstYear;
    m = 1;
    d = 1;
    first_minute_of_day = 0;
  }
  while (y <= kLastYear) {
    if (!years_[static_cast<std::size_t>(y - kFirstYear)]) {
      ++y;
      m = 1;
      d = 1;
      first_minute_of_day = 0;
      continue;
    }
    if (!months_.test(static_cast<std::size_t>(m))) {
      if (++m > 12) {
        m = 1;
        ++y;
      }
      d = 1;
      first_minute_of_day = 0;
      continue;
    }
    if (DayMatches(y, m, d)) {
      for (int minute_of_day = first_minute_of_day; minute_of_day < 24 * 60; ++minute_of_day) {
        int h = minute_of_day / 60;
        if (!hours_.test(static_cast<std::size_t>(h))) {
          minute_of_day = h * 60 + 59;  // skip the rest of this hour
          continue;
        }
        if (minutes_.test(static_cast<std::size_t>(minute_of_day % 60)))
          return DaysFromCivil(y, m, d) * 86400 + static_cast<std::int64_t>(minute_of_day) * 60;
      }
    }
    first_minute_of_day = 0;
    if (++d > DaysInMonth(y, m)) {
      d = 1;
      if (++m > 12) {
        m = 1;
        ++y;
      }
    }
  }
  return std::nullopt;
}

}  // namespace cenote
