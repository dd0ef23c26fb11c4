// IANA time zones from the system's zoneinfo files (src/common/time_zone.cpp).
#include "common/time_zone.hpp"

#include <gtest/gtest.h>

namespace cenote {
namespace {

constexpr std::int64_t kMarch31 = 1'711'843'200;  // 2024-03-31 00:00:00Z, the day Paris moves to summer time

TEST(TimeZoneTest, OffsetsAndDst) {
  auto paris = TimeZone::Find("Europe/Paris");
  ASSERT_NE(paris, nullptr);
  EXPECT_EQ(paris->OffsetAt(kMarch31), 3600);
  EXPECT_EQ(paris->OffsetAt(kMarch31 + 7200), 7200);
  // 12:00 local on that day is 10:00Z.
  EXPECT_EQ(paris->ToUtc(kMarch31 + 12 * 3600), kMarch31 + 10 * 3600);
  EXPECT_EQ(TimeZone::Find("UTC")->OffsetAt(0), 0);
}

TEST(TimeZoneTest, OrcWritersBaseInLosAngeles) {
  // ORC timestamps count from 2015-01-01 00:00:00 in the writer's zone: 08:00Z in Los Angeles (PST).
  auto la = TimeZone::Find("America/Los_Angeles");
  ASSERT_NE(la, nullptr);
  EXPECT_EQ(la->ToUtc(1'420'070'400), 1'420'099'200);
  EXPECT_EQ(la->OffsetAt(1'593'630'000), -7 * 3600);  // 2020-07-01 19:00Z: PDT
  EXPECT_EQ(la->OffsetAt(1'610'728'200), -8 * 3600);  // 2021-01-15 16:30Z: PST
}

// After a zoneinfo file's last transition (2037 in "fat" files, earlier in "slim" ones) its footer's POSIX
// rule gives the offset. Expected values from Python's zoneinfo over the same files.
TEST(TimeZoneTest, FooterRuleAfterLastTransition) {
  struct Case {
    const char* zone;
    std::int64_t utc_s;
    std::int64_t offset;
  };
  const Case cases[] = {
      {"Europe/Paris", 2'374'102'799, 3600},        // 2045-03-26 00:59:59Z: CET (M3.5.0, 02:00 local)
      {"Europe/Paris", 2'374'102'800, 7200},        // 01:00:00Z: CEST
      {"Europe/Paris", 2'392'851'599, 7200},        // 2045-10-29 00:59:59Z (M10.5.0/3)
      {"Europe/Paris", 2'392'851'600, 3600},        // 01:00:00Z
      {"Australia/Sydney", 2'368'051'200, 39600},   // 2045-01-15: AEDT across the new year (southern rule)
      {"Australia/Sydney", 2'382'480'000, 36000},   // 2045-07-01: AEST
      {"America/Santiago", 2'368'051'200, -10800},  // <-04>4<-03>,M9.1.6/24,M4.1.6/24: quoted names, 24:00
      {"America/Santiago", 2'382'480'000, -14400},
      {"America/Santiago", 2'388'023'999, -14400},  // 2045-09-03 03:59:59Z
      {"America/Santiago", 2'388'024'000, -10800},  // 04:00:00Z: Saturday 24:00 local
      {"America/New_York", 2'530'767'599, -18000},  // 2050-03-13 06:59:59Z (M3.2.0)
      {"America/New_York", 2'530'767'600, -14400},
      {"Asia/Kolkata", 2'537'654'400, 19800},        // IST-5:30: no daylight time
      {"America/Sao_Paulo", 2'368'051'200, -10800},  // <-03>3
  };
  for (const auto& c : cases) {
    auto zone = TimeZone::Find(c.zone);
    ASSERT_NE(zone, nullptr) << c.zone;
    EXPECT_EQ(zone->OffsetAt(c.utc_s), c.offset) << c.zone << " at " << c.utc_s;
  }
  // Wall-clock times map back through the rule too: 2045-07-01 12:00 in Paris is 10:00Z.
  EXPECT_EQ(TimeZone::Find("Europe/Paris")->ToUtc(2'382'480'000 + 12 * 3600), 2'382'480'000 + 10 * 3600);
}

TEST(TimeZoneTest, UnknownAndUnsafeNames) {
  EXPECT_EQ(TimeZone::Find("Mars/Olympus"), nullptr);
  EXPECT_EQ(TimeZone::Find("../etc/passwd"), nullptr);
  EXPECT_EQ(TimeZone::Find("/etc/localtime"), nullptr);
  EXPECT_EQ(TimeZone::Find(""), nullptr);
}

}  // namespace
}  // namespace cenote
