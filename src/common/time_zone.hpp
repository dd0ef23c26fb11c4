// IANA time zones ("Europe/Paris"), read from the system's zoneinfo files (TZif, RFC 8536): the zones of
// schedules and the writer's zone of ORC timestamps. After a file's last transition its footer's POSIX TZ
// rule ("CET-1CEST,M3.5.0,M10.5.0/3") gives the offset: "slim" files stop at the current rules' first year,
// "fat" ones in 2037.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace cenote {

class TimeZone {
 public:
  // "UTC", "Etc/UTC", "Europe/Paris", ...; nullptr when the zone is unknown. Thread-safe; zones are cached.
  static std::shared_ptr<const TimeZone> Find(std::string_view name);

  // The offset from UTC (seconds) in effect at `utc_s`.
  std::int64_t OffsetAt(std::int64_t utc_s) const;
  // UTC seconds of a local wall-clock time (the earlier instant when the time is ambiguous; a time skipped by
  // a DST jump moves forward by the jump).
  std::int64_t ToUtc(std::int64_t local_s) const;

 private:
  // A POSIX TZ rule (RFC 8536 section 3.3, POSIX.1 TZ): standard time all year, or daylight time between two
  // dates each year.
  struct Rule {
    // "Jn" (1-365, February 29 never counted), "n" (0-365) or "Mm.w.d" (day d of week w of month m).
    struct Date {
      enum class Kind { kJulian1, kJulian0, kMonthWeekDay } kind = Kind::kMonthWeekDay;
      int day = 0, week = 0, month = 0;  // the day number, or the weekday (0 Sunday) with week and month
      std::int64_t time = 7200;          // seconds after local midnight (negative or over 24 h in TZif v3)
    };
    std::int64_t std_offset = 0;  // seconds east of UTC
    std::optional<std::int64_t> dst_offset;
    Date start, end;
  };
  static std::optional<Rule> ParseRule(std::string_view text);
  // The rule's offset at `utc_s`.
  static std::int64_t RuleOffset(const Rule& rule, std::int64_t utc_s);

  std::optional<Rule> rule_;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int64_t> offsets_;      // offset after each transition
  std::int64_t initial_offset_ = 0;
};

}  // namespace cenote
