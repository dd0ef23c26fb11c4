// AWS cron expressions, as Glue job and crawler schedules (and EventBridge rules) write them:
//   cron(Minutes Hours Day-of-month Month Day-of-week Year)      times in UTC
// Fields: minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT
// (1 = Sunday), year 1970-2199. Wildcards: `,` lists, `-` ranges, `*` all, `/` increments (`0/15`,
// `*/10`, `5-40/5`), `?` (day-of-month or day-of-week: exactly one of the two must be `?`), `L` (last
// day of the month; in day-of-week, `L` alone is Saturday and `nL` the last weekday n of the month),
// `W` (`15W`: the weekday nearest the 15th, within the month; `LW`: the last weekday), `#` (`6#3`: the
// third Friday). Schedules that fire more often than every `min_interval_minutes` are refused (Glue: 5).
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote {

class CronSchedule {
 public:
  // Parses "cron(...)". Errors: code "InvalidCron", the message says what is wrong.
  static Result<CronSchedule> Parse(std::string_view expression, int min_interval_minutes = 0);

  // The first whole minute strictly after `after_s` (seconds since the Unix epoch, UTC) that the
  // schedule matches; nullopt when there is none before 2200.
  std::optional<std::int64_t> NextAfter(std::int64_t after_s) const;

 private:
  struct DaySpec {
    std::bitset<32> days;                  // day-of-month values (1-31)
    bool last = false;                     // L
    bool last_weekday = false;             // LW
    std::vector<int> nearest;              // nW
    std::bitset<8> weekdays;               // day-of-week values (1-7)
    std::vector<int> last_of;              // nL: last weekday n of the month
    std::vector<std::pair<int, int>> nth;  // n#k
    bool any = false;                      // '*' (or '?' when the other field is restricted)
  };

  bool DayMatches(int year, int month, int day) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<13> months_;   // 1-12
  std::vector<bool> years_;  // index year - 1970
  DaySpec dom_;
  DaySpec dow_;
  bool dom_question_ = false;
  bool dow_question_ = false;
};

}  // namespace cenote
