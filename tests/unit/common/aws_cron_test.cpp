// AWS cron schedules (src/common/aws_cron.cpp): parsing, refusals and the next fire time.
#include "common/aws_cron.hpp"

#include <gtest/gtest.h>

#include "utc_minutes.hpp"

#include <ctime>
#include <string>

namespace cenote {
namespace {

std::int64_t At(const std::string& text) { return testing::UtcMinute(text); }
std::string Text(std::int64_t s) { return testing::UtcMinuteText(s); }

std::string Next(const std::string& expr, const std::string& after) {
  auto c = CronSchedule::Parse(expr);
  if (!c) return "ERROR " + c.error().message;
  auto n = c->NextAfter(At(after));
  return n ? Text(*n) : "never";
}

TEST(AwsCronTest, DocumentedExamples) {
  // The examples of "Time-based schedules for jobs and crawlers" in the Glue developer guide.
  EXPECT_EQ(Next("cron(0 10 * * ? *)", "2026-12-03 09:59"), "2026-12-03 10:00");
  EXPECT_EQ(Next("cron(0 10 * * ? *)", "2026-12-03 10:00"), "2026-12-04 10:00");
  EXPECT_EQ(Next("cron(15 12 * * ? *)", "2026-12-03 12:15"), "2026-12-04 12:15");
  EXPECT_EQ(Next("cron(0 18 ? * MON-FRI *)", "2026-12-04 18:00"), "2026-12-07 18:00");  // Fri -> Mon
  EXPECT_EQ(Next("cron(0 8 1 * ? *)", "2026-12-03 00:00"), "2027-01-01 08:00");
  EXPECT_EQ(Next("cron(0/15 * * * ? *)", "2026-12-03 10:07"), "2026-12-03 10:15");
  EXPECT_EQ(Next("cron(0/10 * ? * MON-FRI *)", "2026-12-05 10:00"), "2026-12-07 00:00");  // Sat -> Mon
  EXPECT_EQ(Next("cron(0/5 8-17 ? * MON-FRI *)", "2026-12-03 17:55"), "2026-12-04 08:00");
  EXPECT_EQ(Next("cron(1/10 * * * ? *)", "2026-12-03 10:01"), "2026-12-03 10:11");
}

TEST(AwsCronTest, SpecialCharacters) {
  EXPECT_EQ(Next("cron(0 0 L * ? *)", "2028-02-01 00:00"), "2028-02-29 00:00");  // leap year
  EXPECT_EQ(Next("cron(0 0 L * ? *)", "2027-02-01 00:00"), "2027-02-28 00:00");
  EXPECT_EQ(Next("cron(0 0 LW * ? *)", "2026-01-01 00:00"), "2026-01-30 00:00");   // 31st is a Saturday
  EXPECT_EQ(Next("cron(0 0 15W * ? *)", "2026-08-01 00:00"), "2026-08-14 00:00");  // 15th: Saturday
  EXPECT_EQ(Next("cron(0 0 1W * ? *)", "2026-08-01 00:00"), "2026-08-03 00:00");   // 1st: Saturday
  EXPECT_EQ(Next("cron(0 0 ? * 6L *)", "2026-12-01 00:00"), "2026-12-25 00:00");   // last Friday
  EXPECT_EQ(Next("cron(0 0 ? * 3#2 *)", "2026-12-01 00:00"), "2026-12-08 00:00");  // 2nd Tuesday
  EXPECT_EQ(Next("cron(0 0 ? * L *)", "2026-12-03 00:00"), "2026-12-05 00:00");    // L = Saturday
  EXPECT_EQ(Next("cron(30 9 ? JAN,jul SUN 2027)", "2026-12-03 00:00"), "2027-01-03 09:30");
  EXPECT_EQ(Next("cron(0 0 29 2 ? 2027-2029)", "2026-01-01 00:00"), "2028-02-29 00:00");
  EXPECT_EQ(Next("cron(0 0 31 2 ? *)", "2026-01-01 00:00"), "never");
  EXPECT_EQ(Next("cron(0 12 * * ? 2020)", "2026-01-01 00:00"), "never");
  EXPECT_EQ(Next("  cron( 5  4 * * ? * )  ", "2026-12-03 04:05"), "2026-12-04 04:05");
}

TEST(AwsCronTest, RefusesMalformedExpressions) {
  for (const char* bad :
       {"", "rate(5 minutes)", "cron(0 10 * * ?)", "cron(0 10 * * ? * *)", "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)", "cron(0 10 32 * ? *)", "cron(0 10 * 13 ? *)", "cron(0 10 ? * 8 *)",
        "cron(0 10 * * * *)", "cron(0 10 ? * ? *)", "cron(0 10 * FOO ? *)", "cron(5-1 * * * ? *)",
        "cron(0/0 * * * ? *)", "cron(0 10 * * ? 1969)", "cron(0 10 ? * 2#6 *)", "cron(x 10 * * ? *)",
        "cron(0 10 * * ? *", "cron(,0 10 * * ? *)"}) {
    auto c = CronSchedule::Parse(bad);
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_EQ(c.error().code, "InvalidCron") << bad;
    }
  }
}

TEST(AwsCronTest, MinimumInterval) {
  EXPECT_TRUE(CronSchedule::Parse("cron(0/5 * * * ? *)", 5).ok());
  EXPECT_TRUE(CronSchedule::Parse("cron(58 0,2 * * ? *)", 5).ok());  // 00:58 then 02:58
  EXPECT_FALSE(CronSchedule::Parse("cron(* * * * ? *)", 5).ok());
  EXPECT_FALSE(CronSchedule::Parse("cron(0/4 * * * ? *)", 5).ok());
  EXPECT_FALSE(CronSchedule::Parse("cron(0,3 10 * * ? *)", 5).ok());
  EXPECT_FALSE(CronSchedule::Parse("cron(58 * * * ? *)", 5).ok() == false);  // hourly is fine
  EXPECT_FALSE(CronSchedule::Parse("cron(0,58 * * * ? *)", 5).ok());         // 10:58 then 11:00
  EXPECT_TRUE(CronSchedule::Parse("cron(* * * * ? *)").ok());                // no minimum asked
}

TEST(AwsCronTest, NextIsStrictlyLaterAndOnWholeMinutes) {
  auto c = CronSchedule::Parse("cron(* * * * ? *)");
  ASSERT_TRUE(c.ok());
  std::int64_t t = At("2026-12-03 10:00") + 30;
  EXPECT_EQ(Text(*c->NextAfter(t)), "2026-12-03 10:01");
  EXPECT_EQ(*c->NextAfter(At("2026-12-03 10:01")) % 60, 0);
  EXPECT_EQ(Text(*c->NextAfter(At("2026-12-31 23:59"))), "2027-01-01 00:00");
}

}  // namespace
}  // namespace cenote
