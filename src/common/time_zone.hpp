// IANA time zones ("Europe/Paris"), read from the system's zoneinfo files (TZif, RFC 8536): the zones of
// schedules and the writer's zone of ORC timestamps.
#pragma once

#include <cstdint>
#include <memory>
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
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int64_t> offsets_;      // offset after each transition
  std::int64_t initial_offset_ = 0;
};

}  // namespace cenote
