// Trino's date/time semantics on DuckDB (src/query/dialect_datetime.cpp): zoned timestamps, interval
// arithmetic, zone-aware date functions, each against an answer worked out from Trino's documented rules.
#include "query/dialect_datetime.hpp"

#include <gtest/gtest.h>

#include "query_test_util.hpp"

namespace cenote::query {
namespace {

using testing::EngineFixture;

TEST(NormalizeZoneTest, FollowsTrinoZoneKeys) {
  using internal::NormalizeZone;
  EXPECT_EQ(NormalizeZone("UTC"), "UTC");
  EXPECT_EQ(NormalizeZone("z"), "UTC");
  EXPECT_EQ(NormalizeZone("Etc/GMT"), "UTC");
  EXPECT_EQ(NormalizeZone("+00:00"), "UTC");
  EXPECT_EQ(NormalizeZone("-00"), "UTC");
  EXPECT_EQ(NormalizeZone("+5:30"), "+05:30");
  EXPECT_EQ(NormalizeZone("+0530"), "+05:30");
  EXPECT_EQ(NormalizeZone("-03"), "-03:00");
  EXPECT_EQ(NormalizeZone("+14:00"), "+14:00");
  EXPECT_EQ(NormalizeZone("+14:01"), "");
  EXPECT_EQ(NormalizeZone("+05:60"), "");
  EXPECT_EQ(NormalizeZone("+5x"), "");
  EXPECT_EQ(NormalizeZone(" America/New_York "), "America/New_York");
}

class DialectDatetimeTest : public EngineFixture {
 protected:
  // The single value of a one-row, one-column query ("NULL" for an empty field, "ERROR ..." otherwise).
  std::string Value(const std::string& expr) {
    std::string rows = Rows("SELECT " + expr);
    if (rows.rfind("ERROR", 0) == 0) return rows;
    if (rows == "\n") return "NULL";
    if (rows.size() >= 3 && rows.front() == '"' && rows.substr(rows.size() - 2) == "\"\n")
      return rows.substr(1, rows.size() - 3);
    return "UNEXPECTED " + rows;
  }
};

TEST_F(DialectDatetimeTest, ZonedLiteralsKeepTheirZone) {
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 America/New_York'"),
            "2024-01-01 12:00:00.000 America/New_York");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00:00.5 +05:30'"), "2024-01-01 12:00:00.500 +05:30");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00:00 +00:00'"), "2024-01-01 12:00:00.000 UTC");
  EXPECT_EQ(Value("TIMESTAMP '2024-07-01 Europe/Paris'"), "2024-07-01 00:00:00.000 Europe/Paris");
  EXPECT_EQ(Value("typeof(TIMESTAMP '2024-01-01 12:00 Asia/Tokyo')"), "timestamp(3) with time zone");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00:00 +15:00'").rfind("ERROR NOT_SUPPORTED", 0), 0u);
  // The same instant in two zones is equal and orders by instant.
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 Asia/Tokyo' = TIMESTAMP '2024-01-01 03:00 UTC'"), "true");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 Asia/Tokyo' < TIMESTAMP '2024-01-01 04:00:01 +01:00'"),
            "true");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 Asia/Tokyo' BETWEEN TIMESTAMP '2024-01-01 02:00 UTC' AND "
                  "TIMESTAMP '2024-01-01 04:00 +01:00'"),
            "true");
}

TEST_F(DialectDatetimeTest, AtTimeZoneAndWithTimezone) {
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 UTC' AT TIME ZONE 'America/New_York'"),
            "2024-01-01 07:00:00.000 America/New_York");
  // Summer time: the same zone five hours back in winter is four in summer.
  EXPECT_EQ(Value("TIMESTAMP '2024-07-01 12:00 UTC' AT TIME ZONE 'America/New_York'"),
            "2024-07-01 08:00:00.000 America/New_York");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 Asia/Tokyo' AT TIME ZONE '+01:00'"),
            "2024-01-01 04:00:00.000 +01:00");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 Asia/Tokyo' AT TIME ZONE 'UTC'"),
            "2024-01-01 03:00:00.000 UTC");
  EXPECT_EQ(Value("at_timezone(TIMESTAMP '2024-01-01 12:00 UTC', 'Asia/Kolkata')"),
            "2024-01-01 17:30:00.000 Asia/Kolkata");
  EXPECT_EQ(Value("with_timezone(TIMESTAMP '2024-01-01 12:00', 'Asia/Kolkata')"),
            "2024-01-01 12:00:00.000 Asia/Kolkata");
  EXPECT_EQ(Value("to_unixtime(with_timezone(TIMESTAMP '2024-01-01 05:30', 'Asia/Kolkata'))"), "1.7040672E9");
  // A zone that is not a constant.
  EXPECT_EQ(
      Rows("SELECT TIMESTAMP '2024-01-01 12:00 UTC' AT TIME ZONE z FROM (VALUES 'Asia/Tokyo', '+02:00', "
           "'Z') t(z) ORDER BY z"),
      "\"2024-01-01 14:00:00.000 +02:00\"\n\"2024-01-01 21:00:00.000 Asia/Tokyo\"\n"
      "\"2024-01-01 12:00:00.000 UTC\"\n");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-01 12:00 UTC' AT TIME ZONE 'Mars/Olympus'").rfind("ERROR", 0), 0u);
}

TEST_F(DialectDatetimeTest, FieldsOfZonedValuesAreLocal) {
  EXPECT_EQ(Value("hour(TIMESTAMP '2024-01-01 23:30 Asia/Tokyo')"), "23");
  EXPECT_EQ(Value("day(TIMESTAMP '2024-01-01 23:30 -05:00')"), "1");
  EXPECT_EQ(Value("extract(hour FROM TIMESTAMP '2024-01-01 23:30 Asia/Tokyo')"), "23");
  EXPECT_EQ(Value("timezone_hour(TIMESTAMP '2024-07-01 00:00 America/New_York')"), "-4");
  EXPECT_EQ(Value("timezone_minute(TIMESTAMP '2024-07-01 00:00 Asia/Kolkata')"), "30");
  EXPECT_EQ(Value("timezone_hour(current_timestamp)"), "0");
  EXPECT_EQ(Value("timezone(TIMESTAMP '2024-07-01 00:00 Asia/Kolkata')"), "Asia/Kolkata");
  EXPECT_EQ(Value("CAST(TIMESTAMP '2024-01-01 23:30 Asia/Tokyo' AS DATE)"), "2024-01-01");
  EXPECT_EQ(Value("CAST(TIMESTAMP '2024-01-01 23:30 Asia/Tokyo' AS TIMESTAMP)"), "2024-01-01 23:30:00.000");
  EXPECT_EQ(Value("CAST(TIMESTAMP '2024-01-01 23:30 Asia/Tokyo' AS VARCHAR)"),
            "2024-01-01 23:30:00.000 Asia/Tokyo");
  EXPECT_EQ(Value("date_format(TIMESTAMP '2024-01-01 23:30 Asia/Tokyo', '%Y-%m-%d %H:%i')"),
            "2024-01-01 23:30");
  EXPECT_EQ(Value("to_iso8601(TIMESTAMP '2024-01-01 23:30 Asia/Tokyo')"), "2024-01-01T23:30:00.000+09:00");
}

TEST_F(DialectDatetimeTest, ArithmeticKeepsTrinoTypes) {
  EXPECT_EQ(Value("DATE '2024-02-28' + INTERVAL '2' DAY"), "2024-03-01");
  EXPECT_EQ(Value("typeof(DATE '2024-02-28' + INTERVAL '1' MONTH)"), "date");
  EXPECT_EQ(Value("INTERVAL '1' DAY + DATE '2024-02-28'"), "2024-02-29");
  EXPECT_EQ(Value("DATE '2024-02-28' + INTERVAL '2' HOUR").rfind("ERROR", 0), 0u);
  EXPECT_EQ(Value("TIMESTAMP '2024-03-09 12:00 America/New_York' + INTERVAL '1' DAY"),
            "2024-03-10 13:00:00.000 America/New_York");  // 24 hours across the switch to summer time
  EXPECT_EQ(Value("date_add('day', 1, TIMESTAMP '2024-03-09 12:00 America/New_York')"),
            "2024-03-10 12:00:00.000 America/New_York");  // a calendar day keeps the wall time
  EXPECT_EQ(Value("TIMESTAMP '2024-01-31 12:00 Asia/Tokyo' + INTERVAL '1' MONTH"),
            "2024-02-29 12:00:00.000 Asia/Tokyo");
  EXPECT_EQ(Value("TIMESTAMP '2024-01-31 12:00 +02:00' - INTERVAL '3' HOUR"),
            "2024-01-31 09:00:00.000 +02:00");
  EXPECT_EQ(Value("date_add('hour', 1, DATE '2024-01-01')").rfind("ERROR", 0), 0u);
  EXPECT_EQ(Value("date_trunc('day', TIMESTAMP '2024-01-01 03:30 Asia/Tokyo')"),
            "2024-01-01 00:00:00.000 Asia/Tokyo");
  EXPECT_EQ(
      Value("date_diff('hour', TIMESTAMP '2024-01-01 12:00 Asia/Tokyo', TIMESTAMP '2024-01-01 12:00 UTC')"),
      "9");
  EXPECT_EQ(
      Value("date_diff('day', TIMESTAMP '2024-01-01 23:00 Asia/Tokyo', TIMESTAMP '2024-01-02 15:00 UTC')"),
      "1");
}

TEST_F(DialectDatetimeTest, InsideLambdasAndArrays) {
  // Lambda parameters have no type when DuckDB binds a macro: no typed overloads there.
  EXPECT_EQ(Value("transform(ARRAY[TIMESTAMP '2024-01-01 12:00:00'], t -> t AT TIME ZONE 'Asia/Tokyo')"),
            "[2024-01-01 21:00:00.000 Asia/Tokyo]");
  EXPECT_EQ(Value("transform(ARRAY[1, 2], x -> length(CAST(x AS VARCHAR)) = 1)"), "[true, true]");
  EXPECT_EQ(Value("filter(ARRAY[DATE '2024-01-01', DATE '2024-03-01'], d -> date_diff('day', d, DATE "
                  "'2024-02-01') > 0)"),
            "[2024-01-01]");
  EXPECT_EQ(Value("ARRAY[TIMESTAMP '2024-01-01 12:00 Asia/Tokyo', NULL]"),
            "[2024-01-01 12:00:00.000 Asia/Tokyo, null]");
}

TEST_F(DialectDatetimeTest, AggregatesKeepTheirTypes) {
  // DuckDB binds a macro before the aggregates inside it: typed macros stay away from them.
  const std::string t =
      "(VALUES (1, TIMESTAMP '2024-01-01 10:00', DATE '2024-01-01'), (1, TIMESTAMP "
      "'2024-01-02 11:00', DATE '2024-01-05')) t(k, ts, d)";
  EXPECT_EQ(Rows("SELECT k, hour(max(ts)), CAST(count(*) AS VARCHAR), date_diff('day', min(d), max(d)), "
                 "max(ts) AT TIME ZONE 'Asia/Tokyo' FROM " +
                 t + " GROUP BY k HAVING count(*) > 1"),
            "\"1\",\"11\",\"2\",\"4\",\"2024-01-02 20:00:00.000 Asia/Tokyo\"\n");
  EXPECT_EQ(Rows("SELECT max(ts AT TIME ZONE 'Asia/Tokyo') FROM " + t),
            "\"2024-01-02 20:00:00.000 Asia/Tokyo\"\n");
}

TEST_F(DialectDatetimeTest, Conversions) {
  EXPECT_EQ(Value("from_iso8601_timestamp('2024-02-29T10:00:00+02:00')"), "2024-02-29 10:00:00.000 +02:00");
  EXPECT_EQ(Value("from_iso8601_timestamp('2024-02-29T10:00:00Z')"), "2024-02-29 10:00:00.000 UTC");
  EXPECT_EQ(Rows("SELECT from_iso8601_timestamp(s) FROM (VALUES '2024-02-29T10:00:00.250-0330', "
                 "'2024-02-29') t(s) ORDER BY s"),
            "\"2024-02-29 00:00:00.000 UTC\"\n\"2024-02-29 10:00:00.250 -03:30\"\n");
  EXPECT_EQ(Value("from_iso8601_date('2024-W01-1')"), "2024-01-01");
  EXPECT_EQ(Value("from_iso8601_date('2021-W01')"), "2021-01-04");
  EXPECT_EQ(Value("from_iso8601_date('2024-060')"), "2024-02-29");
  EXPECT_EQ(Value("from_unixtime(0, 'Asia/Tokyo')"), "1970-01-01 09:00:00.000 Asia/Tokyo");
  EXPECT_EQ(Value("from_unixtime(0, -2, -30)"), "1969-12-31 21:30:00.000 -02:30");
  EXPECT_EQ(Value("from_unixtime(0)"), "1970-01-01 00:00:00.000 UTC");
  EXPECT_EQ(Value("from_iso8601_timestamp(CAST(NULL AS VARCHAR)) IS NULL"), "true");
  EXPECT_EQ(Value("CAST(NULL AS TIMESTAMP) AT TIME ZONE 'Asia/Tokyo' IS NULL"), "true");
  EXPECT_EQ(Value("date_parse('70-01-02', '%y-%m-%d')"), "1970-01-02 00:00:00.000");
  EXPECT_EQ(Value("date_parse('69-01-02', '%y-%m-%d')"), "2069-01-02 00:00:00.000");
}

}  // namespace
}  // namespace cenote::query
