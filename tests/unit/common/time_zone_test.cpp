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

TEST(TimeZoneTest, UnknownAndUnsafeNames) {
  EXPECT_EQ(TimeZone::Find("Mars/Olympus"), nullptr);
  EXPECT_EQ(TimeZone::Find("../etc/passwd"), nullptr);
  EXPECT_EQ(TimeZone::Find("/etc/localtime"), nullptr);
  EXPECT_EQ(TimeZone::Find(""), nullptr);
}

}  // namespace
}  // namespace cenote
