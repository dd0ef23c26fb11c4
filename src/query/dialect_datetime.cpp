// Trino's date/time semantics over DuckDB: zoned `timestamp with time zone` values, interval arithmetic
// with Trino's result types, zone-aware date_add/date_diff/date_trunc, ISO-8601 and Unix time conversions.
// The representation is described in dialect_datetime.hpp; docs/athena-dialect.md lists what is covered.
#include "query/dialect_datetime.hpp"

#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "query/dialect_nodes.hpp"
#include "query/statement.hpp"

namespace cenote::query::internal {
namespace {

namespace json = boost::json;

// The zoned value's type inside macro signatures.
#define CENOTE_ZONED "STRUCT(__cenote_instant TIMESTAMP WITH TIME ZONE, __cenote_zone VARCHAR)"
#define CENOTE_ZONED_NS "STRUCT(__cenote_instant_ns TIMESTAMP_NS, __cenote_zone VARCHAR)"

const std::vector<std::string> kMacros = {
    // Macros are expanded textually: a parameter used n times copies its argument n times, and nested
    // zoned expressions grew to thousands of nodes (a from_iso8601_timestamp over a column took 40 s to
    // bind). Each macro below binds its arguments once through a one-element list_transform and hands them
    // to its body, <name>_v.
    // Zone ids: a fixed offset is '+HH:MM' (Trino's spelling); anything else is a tz database name.
    "CREATE MACRO __cenote_tz_is_offset(z) AS left(z, 1) IN ('+', '-')",
    "CREATE MACRO __cenote_tz_offset_of(z) AS (CASE WHEN left(z, 1) = '-' THEN -1 ELSE 1 END) * "
    "(CAST(substr(z, 2, 2) AS INTEGER) * 60 + CAST(substr(z, 5, 2) AS INTEGER))",
    // Trino's zone key normalization for zones that are not constants (constants are normalized by the
    // rewrite, NormalizeZone): UTC aliases, offsets as +HH:MM ('+00:00' is UTC).
    "CREATE MACRO __cenote_tz_offset_text(m) AS CASE WHEN m = 0 THEN 'UTC' ELSE (CASE WHEN m < 0 THEN '-' "
    "ELSE '+' END) || lpad(CAST(abs(m) // 60 AS VARCHAR), 2, '0') || ':' || lpad(CAST(abs(m) % 60 AS "
    "VARCHAR), 2, '0') END",
    "CREATE MACRO __cenote_tz_zone_v(z) AS CASE WHEN lower(z) IN ('utc', 'z', 'ut', 'uct', 'gmt', 'gmt0', "
    "'greenwich', 'universal', 'zulu', 'etc/utc', 'etc/ut', 'etc/uct', 'etc/gmt', 'etc/gmt0', "
    "'etc/greenwich', 'etc/universal', 'etc/zulu') THEN 'UTC' WHEN regexp_full_match(z, "
    "'[+-][0-9]{1,2}(:?[0-9]{2})?') THEN __cenote_tz_offset_text((CASE WHEN left(z, 1) = '-' THEN -1 ELSE 1 "
    "END) * (CAST(regexp_extract(z, '^.([0-9]{1,2})', 1) AS INTEGER) * 60 + coalesce(TRY_CAST("
    "regexp_extract(z, '([0-9]{2})$', 1) AS INTEGER) * (CASE WHEN length(regexp_replace(z, '[^0-9]', '', "
    "'g')) > 2 THEN 1 ELSE 0 END), 0))) ELSE z END",
    "CREATE MACRO __cenote_tz_zone(z) AS list_transform([struct_pack(p0 := z)], lambda __cenote_l_tz_zone: "
    "__cenote_tz_zone_v(__cenote_l_tz_zone.p0))[1]",
    // Wall time of instant i in zone z, and the instant of wall time t in zone z (ICU for names).
    "CREATE MACRO __cenote_tz_local_of_v(i, z) AS CASE WHEN __cenote_tz_is_offset(z) THEN CAST(i AS "
    "TIMESTAMP) + to_minutes(__cenote_tz_offset_of(z)) ELSE timezone(z, CAST(i AS TIMESTAMP WITH TIME "
    "ZONE)) END",
    "CREATE MACRO __cenote_tz_local_of(i, z) AS list_transform([struct_pack(p0 := i, p1 := z)], lambda "
    "__cenote_l_tz_local_of: __cenote_tz_local_of_v(__cenote_l_tz_local_of.p0, "
    "__cenote_l_tz_local_of.p1))[1]",
    "CREATE MACRO __cenote_tz_instant_of_local_v(t, z) AS CASE WHEN __cenote_tz_is_offset(z) THEN "
    "CAST(CAST(t "
    "AS TIMESTAMP) - to_minutes(__cenote_tz_offset_of(z)) AS TIMESTAMP WITH TIME ZONE) ELSE timezone(z, "
    "CAST(t AS TIMESTAMP)) END",
    "CREATE MACRO __cenote_tz_instant_of_local(t, z) AS list_transform([struct_pack(p0 := t, p1 := z)], "
    "lambda __cenote_l_tz_instant_of_local: "
    "__cenote_tz_instant_of_local_v(__cenote_l_tz_instant_of_local.p0, "
    "__cenote_l_tz_instant_of_local.p1))[1]",
    // NULL in, NULL out (not a struct of NULLs, which IS NULL would not see).
    "CREATE MACRO __cenote_tz_make_v(i, z) AS CASE WHEN i IS NOT NULL AND z IS NOT NULL THEN "
    "struct_pack(__cenote_instant := CAST(i AS TIMESTAMP WITH TIME ZONE), __cenote_zone := CAST(z AS "
    "VARCHAR)) END",
    "CREATE MACRO __cenote_tz_make(i, z) AS list_transform([struct_pack(p0 := i, p1 := z)], lambda "
    "__cenote_l_tz_make: __cenote_tz_make_v(__cenote_l_tz_make.p0, __cenote_l_tz_make.p1))[1]",
    // Any timestamp's instant (a timestamp without zone is read in the session zone, UTC), zone and wall
    // time; zoned values compare by instant.
    "CREATE MACRO __cenote_tz_instant(x " CENOTE_ZONED
    ") AS x.__cenote_instant, (x) AS CAST(x AS TIMESTAMP WITH TIME ZONE)",
    "CREATE MACRO __cenote_tz_zone_of(x " CENOTE_ZONED ") AS x.__cenote_zone, (x) AS 'UTC'",
    "CREATE MACRO __cenote_tz_local(x " CENOTE_ZONED
    ") AS __cenote_tz_local_of(x.__cenote_instant, x.__cenote_zone), (x) AS x",
    "CREATE MACRO __cenote_tz_cmp(x " CENOTE_ZONED ") AS x.__cenote_instant, (x " CENOTE_ZONED_NS
    ") AS x.__cenote_instant_ns, (x) AS x",
    // timestamp(9) with time zone (the _nanos functions): the instant in nanoseconds, DuckDB's TIMESTAMP_NS
    // read in UTC, and the zone.
    "CREATE MACRO __cenote_tzn_offset_minutes(x) AS CAST(round((epoch(__cenote_tz_local_of(CAST("
    "x.__cenote_instant_ns AS TIMESTAMP), x.__cenote_zone)) - epoch(CAST(x.__cenote_instant_ns AS "
    "TIMESTAMP))) / 60) AS BIGINT)",
    "CREATE MACRO __cenote_tzn_from_local_v(t, z) AS CASE WHEN t IS NOT NULL AND z IS NOT NULL THEN "
    "struct_pack(__cenote_instant_ns := make_timestamp_ns(epoch_ns(t) - 60000000000 * "
    "CAST(round((epoch(CAST(t AS TIMESTAMP)) - epoch(__cenote_tz_instant_of_local(CAST(t AS TIMESTAMP), "
    "z))) / 60) AS BIGINT)), __cenote_zone := CAST(z AS VARCHAR)) END",
    "CREATE MACRO __cenote_tzn_from_local(t, z) AS list_transform([struct_pack(p0 := t, p1 := z)], lambda "
    "__cenote_l_tzn_from_local: __cenote_tzn_from_local_v(__cenote_l_tzn_from_local.p0, "
    "__cenote_l_tzn_from_local.p1))[1]",
    "CREATE MACRO __cenote_tzn_literal(s, z) AS __cenote_tzn_from_local(CAST(s AS TIMESTAMP_NS), z)",
    "CREATE MACRO __cenote_from_iso8601_timestamp_nanos_v(s) AS __cenote_tzn_literal(replace(left(s, "
    "length(s) "
    "- "
    "length(__cenote_iso_zone(s))), 'T', ' '), __cenote_tz_zone(coalesce(nullif(__cenote_iso_zone(s), ''), "
    "'UTC')))",
    "CREATE MACRO __cenote_from_iso8601_timestamp_nanos(s) AS list_transform([struct_pack(p0 := s)], lambda "
    "__cenote_l_from_iso8601_timestamp_nanos: "
    "__cenote_from_iso8601_timestamp_nanos_v(__cenote_l_from_iso8601_timestamp_nanos.p0))[1]",
    "CREATE MACRO __cenote_from_unixtime_nanos(x) AS CASE WHEN x IS NOT NULL THEN "
    "struct_pack(__cenote_instant_ns := make_timestamp_ns(CAST(floor(x) AS BIGINT)), __cenote_zone := "
    "'UTC') END",
    // Athena's text of each precision (untyped: result printing calls them inside lambdas for arrays).
    "CREATE MACRO __cenote_tz_text3_v(x) AS strftime(__cenote_tz_local_of(x.__cenote_instant, "
    "x.__cenote_zone), '%Y-%m-%d %H:%M:%S.%g') || ' ' || x.__cenote_zone",
    "CREATE MACRO __cenote_tz_text3(x) AS list_transform([struct_pack(p0 := x)], lambda __cenote_l_tz_text3: "
    "__cenote_tz_text3_v(__cenote_l_tz_text3.p0))[1]",
    "CREATE MACRO __cenote_tz_text9_v(x) AS strftime(make_timestamp_ns(epoch_ns(x.__cenote_instant_ns) + "
    "60000000000 * __cenote_tzn_offset_minutes(x)), '%Y-%m-%d %H:%M:%S.%n') || ' ' || x.__cenote_zone",
    "CREATE MACRO __cenote_tz_text9(x) AS list_transform([struct_pack(p0 := x)], lambda __cenote_l_tz_text9: "
    "__cenote_tz_text9_v(__cenote_l_tz_text9.p0))[1]",
    "CREATE MACRO __cenote_tz_text(x " CENOTE_ZONED ") AS __cenote_tz_text3(x), (x " CENOTE_ZONED_NS
    ") AS __cenote_tz_text9(x)",
    "CREATE MACRO __cenote_tz_offset_minutes(x " CENOTE_ZONED
    ") AS CAST(round((epoch(__cenote_tz_local(x)) - epoch(x.__cenote_instant)) / 60) AS BIGINT), (x) AS "
    "CAST(0 AS BIGINT)",
    "CREATE MACRO __cenote_timezone_hour(x) AS CAST(trunc(__cenote_tz_offset_minutes(x) / 60.0) AS BIGINT)",
    "CREATE MACRO __cenote_timezone_minute(x) AS __cenote_tz_offset_minutes(x) - 60 * "
    "__cenote_timezone_hour(x)",
    // CAST(x AS VARCHAR) of timestamps with a zone prints as Athena does.
    "CREATE MACRO __cenote_tz_varchar(x " CENOTE_ZONED
    ") AS __cenote_tz_text(x), (x TIMESTAMP WITH TIME ZONE) AS strftime(x, '%Y-%m-%d %H:%M:%S.%g UTC'), (x) "
    "AS x",
    "CREATE MACRO __cenote_tz_cast(x " CENOTE_ZONED ") AS x, (x) AS CAST(x AS TIMESTAMP WITH TIME ZONE)",
    // Literals and constructors (the rewrite passes normalized zones).
    "CREATE MACRO __cenote_tz_literal_utc(s) AS CAST(CAST(s AS TIMESTAMP) AS TIMESTAMP WITH TIME ZONE)",
    "CREATE MACRO __cenote_tz_literal(s, z) AS __cenote_tz_make(__cenote_tz_instant_of_local(CAST(s AS "
    "TIMESTAMP), z), z)",
    "CREATE MACRO __cenote_tz_cast_instant(x) AS CAST(x AS TIMESTAMP WITH TIME ZONE)",
    "CREATE MACRO __cenote_at_timezone_untyped(x, z) AS __cenote_tz_make(CAST(x AS TIMESTAMP WITH TIME "
    "ZONE), "
    "__cenote_tz_zone(z))",
    "CREATE MACRO __cenote_at_timezone(x, z) AS __cenote_tz_make(__cenote_tz_instant(x), "
    "__cenote_tz_zone(z))",
    "CREATE MACRO __cenote_with_timezone(t, z) AS __cenote_tz_make(__cenote_tz_instant_of_local(CAST(t AS "
    "TIMESTAMP), __cenote_tz_zone(z)), __cenote_tz_zone(z))",
    "CREATE MACRO __cenote_from_unixtime(x) AS CAST(make_timestamp(CAST(round(CAST(x AS DOUBLE) * 1000000) "
    "AS BIGINT)) AS TIMESTAMP WITH TIME ZONE)",
    "CREATE MACRO __cenote_from_unixtime_zone(x, z) AS __cenote_tz_make(__cenote_from_unixtime(x), "
    "__cenote_tz_zone(z))",
    "CREATE MACRO __cenote_from_unixtime_offset(x, h, m) AS __cenote_tz_make(__cenote_from_unixtime(x), "
    "__cenote_tz_offset_text(CAST(h AS BIGINT) * 60 + CAST(m AS BIGINT)))",
    "CREATE MACRO __cenote_to_unixtime(x) AS epoch(__cenote_tz_instant(x))",
    // from_iso8601_timestamp of a non-constant string: the offset (or Z) after the time is kept; none is
    // the session zone, UTC.
    "CREATE MACRO __cenote_iso_zone(s) AS regexp_extract(s, '^[^T]*T.*?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$', 1)",
    "CREATE MACRO __cenote_from_iso8601_timestamp_v(s) AS __cenote_tz_literal(replace(left(s, length(s) - "
    "length(__cenote_iso_zone(s))), 'T', ' '), __cenote_tz_zone(coalesce(nullif(__cenote_iso_zone(s), ''), "
    "'UTC')))",
    "CREATE MACRO __cenote_from_iso8601_timestamp(s) AS list_transform([struct_pack(p0 := s)], lambda "
    "__cenote_l_from_iso8601_timestamp: "
    "__cenote_from_iso8601_timestamp_v(__cenote_l_from_iso8601_timestamp.p0))[1]",
    // ISO-8601 dates: calendar (2020-05-11, 2020-05, 2020), week (2020-W10, 2020-W10-3) and ordinal
    // (2020-123) forms.
    "CREATE MACRO __cenote_iso_week1(y) AS make_date(y, 1, 4) - CAST(isodow(make_date(y, 1, 4)) - 1 AS "
    "INTEGER)",
    "CREATE MACRO __cenote_from_iso8601_date(s) AS CASE WHEN regexp_full_match(s, "
    "'[0-9]{4}-W[0-9]{2}(-[1-7])?') THEN __cenote_iso_week1(CAST(left(s, 4) AS INTEGER)) + "
    "CAST((CAST(substr(s, 7, 2) AS INTEGER) - 1) * 7 + coalesce(TRY_CAST(substr(s, 10, 1) AS INTEGER), 1) - "
    "1 AS INTEGER) WHEN regexp_full_match(s, '[0-9]{4}-[0-9]{3}') THEN make_date(CAST(left(s, 4) AS "
    "INTEGER), 1, 1) + CAST(CAST(substr(s, 6, 3) AS INTEGER) - 1 AS INTEGER) WHEN regexp_full_match(s, "
    "'[0-9]{4}') THEN make_date(CAST(s AS INTEGER), 1, 1) WHEN regexp_full_match(s, '[0-9]{4}-[0-9]{2}') "
    "THEN make_date(CAST(left(s, 4) AS INTEGER), CAST(substr(s, 6, 2) AS INTEGER), 1) ELSE CAST(s AS DATE) "
    "END",
    "CREATE MACRO __cenote_to_iso8601(x DATE) AS strftime(x, '%Y-%m-%d'), (x TIMESTAMP) AS strftime(x, "
    "'%Y-%m-%dT%H:%M:%S.%g'), (x TIMESTAMP WITH TIME ZONE) AS strftime(x, '%Y-%m-%dT%H:%M:%S.%g') || 'Z', "
    "(x " CENOTE_ZONED
    ") AS strftime(__cenote_tz_local(x), '%Y-%m-%dT%H:%M:%S.%g') || CASE WHEN x.__cenote_zone = 'UTC' THEN "
    "'Z' ELSE __cenote_tz_offset_text(__cenote_tz_offset_minutes(x)) END, (x) AS strftime(CAST(x AS "
    "TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%g')",
    // Interval arithmetic (x + interval, x - interval). A DATE stays a DATE, and takes no hours, minutes or
    // seconds. A zoned value keeps its zone: a day-to-second interval moves the instant, a year-to-month one
    // the wall time in the zone (Trino's zoned chronology).
    "CREATE MACRO __cenote_interval_has_time(i) AS datepart('hour', i) <> 0 OR datepart('minute', i) <> 0 OR "
    "datepart('microsecond', i) <> 0",
    "CREATE MACRO __cenote_tz_plus_v(a, i) AS __cenote_tz_make(CASE WHEN datepart('year', i) = 0 AND "
    "datepart('month', i) = 0 THEN a.__cenote_instant + i ELSE "
    "__cenote_tz_instant_of_local(__cenote_tz_local(a) + i, a.__cenote_zone) END, a.__cenote_zone)",
    "CREATE MACRO __cenote_tz_plus(a, i) AS list_transform([struct_pack(p0 := a, p1 := i)], lambda "
    "__cenote_l_tz_plus: __cenote_tz_plus_v(__cenote_l_tz_plus.p0, __cenote_l_tz_plus.p1))[1]",
    "CREATE MACRO __cenote_dt_plus(a DATE, i) AS CASE WHEN __cenote_interval_has_time(i) THEN "
    "error('INVALID_FUNCTION_ARGUMENT: Cannot add hour, minutes or seconds to a date') ELSE CAST(a + i AS "
    "DATE) END, (a " CENOTE_ZONED ", i) AS __cenote_tz_plus(a, i), (a, i) AS a + i",
    "CREATE MACRO __cenote_dt_minus(a DATE, i) AS CASE WHEN __cenote_interval_has_time(i) THEN "
    "error('INVALID_FUNCTION_ARGUMENT: Cannot subtract hour, minutes or seconds from a date') ELSE CAST(a - "
    "i AS DATE) END, (a " CENOTE_ZONED ", i) AS __cenote_tz_plus(a, -i), (a, i) AS a - i",
    "CREATE MACRO __cenote_dt_plus_rev(i, a DATE) AS CASE WHEN __cenote_interval_has_time(i) THEN "
    "error('INVALID_FUNCTION_ARGUMENT: Cannot add hour, minutes or seconds to a date') ELSE CAST(a + i AS "
    "DATE) END, (i, a " CENOTE_ZONED ") AS __cenote_tz_plus(a, i), (i, a) AS i + a",
    // An interval times or divided by a number (Trino's interval operators): a year to month interval is a
    // count of months, a day to second one of milliseconds; the count is scaled as a double and truncated
    // toward zero (Java's (long) cast). Dividing by zero or NaN, or multiplying by NaN, is Trino's
    // INVALID_FUNCTION_ARGUMENT.
    "CREATE MACRO __cenote_interval_months(i) AS CAST(datepart('year', i) AS BIGINT) * 12 + "
    "datepart('month', "
    "i)",
    "CREATE MACRO __cenote_interval_micros(i) AS CAST(datepart('day', i) AS BIGINT) * 86400000000 + "
    "CAST(datepart('hour', i) AS BIGINT) * 3600000000 + CAST(datepart('minute', i) AS BIGINT) * 60000000 + "
    "CAST(datepart('microsecond', i) AS BIGINT)",
    "CREATE MACRO __cenote_interval_millis(i) AS __cenote_interval_micros(i) // 1000",
    "CREATE MACRO __cenote_interval_of(months, millis) AS to_months(CAST(months AS INTEGER)) + "
    "to_milliseconds(CAST(millis AS BIGINT))",
    "CREATE MACRO __cenote_interval_times(i, f) AS CASE WHEN isnan(CAST(f AS DOUBLE)) THEN "
    "error('INVALID_FUNCTION_ARGUMENT: Cannot multiply by double NaN') ELSE "
    "__cenote_interval_of(trunc(__cenote_interval_months(i) * CAST(f AS DOUBLE)), "
    "trunc(__cenote_interval_millis(i) * CAST(f AS DOUBLE))) END",
    "CREATE MACRO __cenote_interval_divide(i, f) AS CASE WHEN CAST(f AS DOUBLE) = 0 OR isnan(CAST(f AS "
    "DOUBLE)) THEN error('INVALID_FUNCTION_ARGUMENT: Cannot divide by double ' || CASE WHEN isnan(CAST(f AS "
    "DOUBLE)) THEN 'NaN' WHEN CAST(CAST(f AS DOUBLE) AS VARCHAR) LIKE '-%' THEN '-0.0' ELSE '0.0' END) ELSE "
    "__cenote_interval_of(trunc(__cenote_interval_months(i) / CAST(f AS DOUBLE)), "
    "trunc(__cenote_interval_millis(i) / CAST(f AS DOUBLE))) END",
    // Inside TRY(...) (where DuckDB takes no error()): NULL where the macros above fail.
    "CREATE MACRO __cenote_interval_times_try(i, f) AS CASE WHEN NOT isnan(CAST(f AS DOUBLE)) THEN "
    "__cenote_interval_of(trunc(__cenote_interval_months(i) * CAST(f AS DOUBLE)), "
    "trunc(__cenote_interval_millis(i) * CAST(f AS DOUBLE))) END",
    "CREATE MACRO __cenote_interval_divide_try(i, f) AS CASE WHEN CAST(f AS DOUBLE) <> 0 AND NOT "
    "isnan(CAST(f AS DOUBLE)) THEN __cenote_interval_of(trunc(__cenote_interval_months(i) / CAST(f AS "
    "DOUBLE)), trunc(__cenote_interval_millis(i) / CAST(f AS DOUBLE))) END",
    // date_add(unit, n, x): one macro per unit (the unit is a constant). Day and coarser units on a zoned
    // value move its wall time; finer ones its instant; a DATE takes only day and coarser units.
    "CREATE MACRO __cenote_tz_add_local_v(t, i) AS __cenote_tz_make(__cenote_tz_instant_of_local("
    "__cenote_tz_local(t) + i, t.__cenote_zone), t.__cenote_zone)",
    "CREATE MACRO __cenote_tz_add_local(t, i) AS list_transform([struct_pack(p0 := t, p1 := i)], lambda "
    "__cenote_l_tz_add_local: __cenote_tz_add_local_v(__cenote_l_tz_add_local.p0, "
    "__cenote_l_tz_add_local.p1))[1]",
    "CREATE MACRO __cenote_tz_add_exact(t, i) AS __cenote_tz_make(t.__cenote_instant + i, t.__cenote_zone)",
    "CREATE MACRO __cenote_date_add_millisecond(n, t DATE) AS error('INVALID_FUNCTION_ARGUMENT: "
    "''millisecond'' is not a valid DATE field'), (n, t " CENOTE_ZONED
    ") AS __cenote_tz_add_exact(t, to_milliseconds(CAST(n AS BIGINT))), (n, t) AS t + "
    "to_milliseconds(CAST(n AS BIGINT))",
    "CREATE MACRO __cenote_date_add_second(n, t DATE) AS error('INVALID_FUNCTION_ARGUMENT: ''second'' is not "
    "a valid DATE field'), (n, t " CENOTE_ZONED
    ") AS __cenote_tz_add_exact(t, to_seconds(CAST(n AS BIGINT))), (n, t) AS t + to_seconds(CAST(n AS "
    "BIGINT))",
    "CREATE MACRO __cenote_date_add_minute(n, t DATE) AS error('INVALID_FUNCTION_ARGUMENT: ''minute'' is not "
    "a valid DATE field'), (n, t " CENOTE_ZONED
    ") AS __cenote_tz_add_exact(t, to_minutes(CAST(n AS BIGINT))), (n, t) AS t + to_minutes(CAST(n AS "
    "BIGINT))",
    "CREATE MACRO __cenote_date_add_hour(n, t DATE) AS error('INVALID_FUNCTION_ARGUMENT: ''hour'' is not a "
    "valid DATE field'), (n, t " CENOTE_ZONED
    ") AS __cenote_tz_add_exact(t, to_hours(CAST(n AS BIGINT))), (n, t) AS t + to_hours(CAST(n AS BIGINT))",
    "CREATE MACRO __cenote_date_add_day(n, t DATE) AS CAST(t + to_days(CAST(n AS INTEGER)) AS DATE), (n, "
    "t " CENOTE_ZONED
    ") AS __cenote_tz_add_local(t, to_days(CAST(n AS INTEGER))), (n, t) AS t + to_days(CAST(n AS INTEGER))",
    "CREATE MACRO __cenote_date_add_week(n, t DATE) AS CAST(t + to_weeks(CAST(n AS INTEGER)) AS DATE), (n, "
    "t " CENOTE_ZONED
    ") AS __cenote_tz_add_local(t, to_weeks(CAST(n AS INTEGER))), (n, t) AS t + to_weeks(CAST(n AS "
    "INTEGER))",
    "CREATE MACRO __cenote_date_add_month(n, t DATE) AS CAST(t + to_months(CAST(n AS INTEGER)) AS DATE), (n, "
    "t " CENOTE_ZONED
    ") AS __cenote_tz_add_local(t, to_months(CAST(n AS INTEGER))), (n, t) AS t + to_months(CAST(n AS "
    "INTEGER))",
    "CREATE MACRO __cenote_date_add_quarter(n, t DATE) AS CAST(t + to_months(CAST(3 * n AS INTEGER)) AS "
    "DATE), (n, t " CENOTE_ZONED
    ") AS __cenote_tz_add_local(t, to_months(CAST(3 * n AS INTEGER))), (n, t) AS t + to_months(CAST(3 * n "
    "AS INTEGER))",
    "CREATE MACRO __cenote_date_add_year(n, t DATE) AS CAST(t + to_years(CAST(n AS INTEGER)) AS DATE), (n, "
    "t " CENOTE_ZONED
    ") AS __cenote_tz_add_local(t, to_years(CAST(n AS INTEGER))), (n, t) AS t + to_years(CAST(n AS "
    "INTEGER))",
    // date_diff(unit, a, b): whole units from a to b; with zones, hours and finer count elapsed time and
    // days and coarser count in a's zone (Trino uses the first argument's chronology).
    "CREATE MACRO __cenote_tz_diff_v(u, a, b, z) AS CASE WHEN lower(u) IN ('millisecond', 'second', "
    "'minute', "
    "'hour') THEN date_sub(u, a, b) ELSE date_sub(u, __cenote_tz_local_of(a, z), __cenote_tz_local_of(b, "
    "z)) END",
    "CREATE MACRO __cenote_tz_diff(u, a, b, z) AS list_transform([struct_pack(p0 := u, p1 := a, p2 := b, p3 "
    ":= z)], lambda __cenote_l_tz_diff: __cenote_tz_diff_v(__cenote_l_tz_diff.p0, __cenote_l_tz_diff.p1, "
    "__cenote_l_tz_diff.p2, __cenote_l_tz_diff.p3))[1]",
    "CREATE MACRO __cenote_date_diff(u, a " CENOTE_ZONED ", b " CENOTE_ZONED
    ") AS __cenote_tz_diff(u, a.__cenote_instant, b.__cenote_instant, a.__cenote_zone), (u, a " CENOTE_ZONED
    ", b) AS __cenote_tz_diff(u, a.__cenote_instant, __cenote_tz_instant(b), a.__cenote_zone), (u, a, b "
    "" CENOTE_ZONED
    ") AS date_sub(u, __cenote_tz_instant(a), b.__cenote_instant), (u, a, b) AS date_sub(u, a, b)",
    // date_trunc keeps the input's type (DuckDB returns DATE for timestamps truncated to a day or coarser);
    // a zoned value is truncated in its zone.
    "CREATE MACRO __cenote_date_trunc(u, t DATE) AS CAST(date_trunc(u, t) AS DATE), (u, t TIMESTAMP) AS "
    "CAST(date_trunc(u, t) AS TIMESTAMP), (u, t TIMESTAMP WITH TIME ZONE) AS date_trunc(u, t), (u, "
    "t " CENOTE_ZONED
    ") AS __cenote_tz_make(__cenote_tz_instant_of_local(CAST(date_trunc(u, __cenote_tz_local(t)) AS "
    "TIMESTAMP), t.__cenote_zone), t.__cenote_zone), (u, t) AS date_trunc(u, t)",
    // date_parse's %y reads 70..99 as 19xx and 00..69 as 20xx (Joda's pivot); strptime's only differs on 69.
    "CREATE MACRO __cenote_date_parse_yy(s, f) AS CASE WHEN year(strptime(s, f)) = 1969 THEN strptime(s, f) "
    "+ "
    "INTERVAL 100 YEAR ELSE strptime(s, f) END",
};

#undef CENOTE_ZONED
#undef CENOTE_ZONED_NS

// The text of a VARCHAR constant, or nullptr.
const json::string* ConstantText(const json::value& arg) {
  const json::object* o = arg.if_object();
  if (o == nullptr || StringField(*o, "class") != "CONSTANT") return nullptr;
  const json::value* value = o->if_contains("value");
  if (value == nullptr || !value->is_object()) return nullptr;
  const json::value* type = value->get_object().if_contains("type");
  if (type == nullptr || !type->is_object() || StringField(type->get_object(), "id") != "VARCHAR")
    return nullptr;
  const json::value* is_null = value->get_object().if_contains("is_null");
  if (is_null != nullptr && is_null->is_bool() && is_null->get_bool()) return nullptr;
  const json::value* v = value->get_object().if_contains("value");
  return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
}

json::value Text(const std::string& s) { return NewConstant("VARCHAR", json::string(s)); }

// Turns fn into a call of the macro `name` over `children`, keeping its alias and position.
void Become(json::object& fn, std::string_view name, json::array children) {
  json::value alias = fn.contains("alias") ? fn["alias"] : json::value("");
  json::value location = fn.contains("query_location") ? fn["query_location"] : json::value(0);
  fn = NewFunction(name, std::move(children));
  fn["alias"] = std::move(alias);
  fn["query_location"] = std::move(location);
}

// Wraps `arg` in a call of `name` (once: an argument already wrapped is left alone).
void Wrap(json::value& arg, std::string_view name) {
  if (const json::object* o = arg.if_object();
      o != nullptr && StringField(*o, "class") == "FUNCTION" && StringField(*o, "function_name") == name)
    return;
  json::value inner = std::move(arg);
  arg = NewFunction(name, json::array{std::move(inner)});
}

Error TimeZoneNotSupported(const std::string& zone) {
  return MakeError(kNotSupported, "NOT_SUPPORTED: Time zone not supported: " + zone);
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string Trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// A timestamp literal split as Trino's grammar does: `yyyy-mm-dd[ hh:mm[:ss[.fff]]][ zone]`. `local` is
// DuckDB's `yyyy-mm-dd hh:mm:ss[.fff]`; `zone` the text after the time (may be empty).
struct LiteralParts {
  std::string local;
  std::string zone;
};

bool SplitTimestampLiteral(std::string_view text, char date_time_separator, LiteralParts& out) {
  std::string s = Trim(text);
  std::size_t i = 0;
  auto number = [&](std::size_t min, std::size_t max, std::string& digits) {
    std::size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && i - start < max) ++i;
    digits = s.substr(start, i - start);
    return digits.size() >= min;
  };
  std::string year, month, day, hour, minute, second, fraction;
  if (!number(4, 6, year) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!number(1, 2, month) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!number(1, 2, day)) return false;
  auto pad = [](const std::string& d) { return d.size() == 1 ? "0" + d : d; };
  out.local = year + "-" + pad(month) + "-" + pad(day);
  std::size_t after_date = i;
  bool time = false;
  if (i < s.size() && (s[i] == date_time_separator || s[i] == ' ')) {
    std::size_t j = i + 1;
    while (date_time_separator == ' ' && j < s.size() && s[j] == ' ') ++j;
    i = j;
    if (number(1, 2, hour) && i < s.size() && s[i] == ':') {
      ++i;
      if (!number(2, 2, minute)) return false;
      time = true;
      if (i < s.size() && s[i] == ':') {
        ++i;
        if (!number(2, 2, second)) return false;
        if (i < s.size() && s[i] == '.') {
          ++i;
          if (!number(1, 12, fraction)) return false;
        }
      }
    } else {
      i = after_date;  // no time: what follows the date is the zone
    }
  }
  out.local += time ? " " + pad(hour) + ":" + minute + ":" + (second.empty() ? "00" : second) +
                          (fraction.empty() ? "" : "." + fraction)
                    : " 00:00:00";
  out.zone = Trim(std::string_view(s).substr(i));
  // A zone is an offset or a name (letters first, no ':'); anything else is not this grammar.
  if (!out.zone.empty() && out.zone[0] != '+' && out.zone[0] != '-' &&
      (!std::isalpha(static_cast<unsigned char>(out.zone[0])) || out.zone.find(':') != std::string::npos))
    return false;
  return true;
}

// CAST('... zone' AS TIMESTAMP [WITH TIME ZONE]) with a zone in the text.
bool IsZonedLiteral(const json::object& cast) {
  const json::value* type = cast.if_contains("cast_type");
  if (type == nullptr || !type->is_object()) return false;
  const std::string id = StringField(type->get_object(), "id");
  const json::value* child = cast.if_contains("child");
  const json::string* text = child != nullptr ? ConstantText(*child) : nullptr;
  LiteralParts parts;
  return (id == "TIMESTAMP" || id == "TIMESTAMP WITH TIME ZONE") && text != nullptr &&
         SplitTimestampLiteral(std::string_view(*text), ' ', parts) && !parts.zone.empty();
}

// Aggregate and window calls: inside a macro argument DuckDB does not know their type yet when it picks
// a typed macro overload (it fails as ambiguous, or takes the only typed one), so no typed macro may wrap
// them.
bool ContainsAggregate(const json::value& v) {
  static const std::unordered_set<std::string> kAggregates = {"count",
                                                              "count_if",
                                                              "sum",
                                                              "avg",
                                                              "min",
                                                              "max",
                                                              "min_by",
                                                              "max_by",
                                                              "arbitrary",
                                                              "any_value",
                                                              "first",
                                                              "last",
                                                              "array_agg",
                                                              "list",
                                                              "map_agg",
                                                              "multimap_agg",
                                                              "set_agg",
                                                              "set_union",
                                                              "histogram",
                                                              "approx_distinct",
                                                              "approx_percentile",
                                                              "approx_set",
                                                              "approx_most_frequent",
                                                              "approx_count_distinct",
                                                              "approx_quantile",
                                                              "bool_and",
                                                              "bool_or",
                                                              "every",
                                                              "listagg",
                                                              "string_agg",
                                                              "checksum",
                                                              "geometric_mean",
                                                              "kurtosis",
                                                              "skewness",
                                                              "stddev",
                                                              "stddev_pop",
                                                              "stddev_samp",
                                                              "variance",
                                                              "var_pop",
                                                              "var_samp",
                                                              "corr",
                                                              "covar_pop",
                                                              "covar_samp",
                                                              "regr_slope",
                                                              "regr_intercept",
                                                              "bitwise_and_agg",
                                                              "bitwise_or_agg",
                                                              "bitwise_xor_agg",
                                                              "bit_and",
                                                              "bit_or",
                                                              "bit_xor",
                                                              "reduce_agg",
                                                              "mode",
                                                              "median",
                                                              "quantile",
                                                              "quantile_cont",
                                                              "quantile_disc",
                                                              "entropy",
                                                              "product",
                                                              "numeric_histogram",
                                                              "map_union",
                                                              "merge",
                                                              "tdigest_agg",
                                                              "qdigest_agg"};
  if (v.is_array()) {
    for (const json::value& item : v.get_array())
      if (ContainsAggregate(item)) return true;
    return false;
  }
  if (!v.is_object()) return false;
  const json::object& o = v.get_object();
  const std::string cls = StringField(o, "class");
  if (cls == "WINDOW" || cls == "SUBQUERY") return true;
  if (cls == "FUNCTION" && kAggregates.count(Lower(StringField(o, "function_name"))) > 0) return true;
  for (const auto& [key, child] : o) {
    if (key == "cast_type") continue;
    if (ContainsAggregate(child)) return true;
  }
  return false;
}

// Whether an expression may be a zoned value: a zoned literal, a function that makes one (AT TIME ZONE,
// with_timezone, from_iso8601_timestamp, ...) or one that keeps its argument's zone. Zoned values come
// only from these, so a typed macro is applied only where one may be; columns of subqueries that hold
// zoned values are not followed (their uses fail to bind rather than answer in UTC).
bool ProducesZoned(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return false;
  const std::string cls = StringField(*o, "class");
  if (cls == "CAST") {
    if (IsZonedLiteral(*o)) return true;
    const json::value* type = o->if_contains("cast_type");
    const json::value* child = o->if_contains("child");
    return type != nullptr && type->is_object() &&
           StringField(type->get_object(), "id") == "TIMESTAMP WITH TIME ZONE" && child != nullptr &&
           ProducesZoned(*child);
  }
  if (cls == "CASE") {
    const json::value* checks = o->if_contains("case_checks");
    if (checks != nullptr && checks->is_array())
      for (const json::value& check : checks->get_array())
        if (const json::value* then =
                check.is_object() ? check.get_object().if_contains("then_expr") : nullptr;
            then != nullptr && ProducesZoned(*then))
          return true;
    const json::value* otherwise = o->if_contains("else_expr");
    return otherwise != nullptr && ProducesZoned(*otherwise);
  }
  if (cls != "FUNCTION") return false;
  const std::string name = Lower(StringField(*o, "function_name"));
  const json::value* c = o->if_contains("children");
  if (c == nullptr || !c->is_array()) return false;
  const json::array& args = c->get_array();
  if (name.rfind("__cenote_tz", 0) == 0 || name == "__cenote_at_timezone" ||
      name == "__cenote_with_timezone" || name == "__cenote_at_timezone_untyped" ||
      name == "__cenote_from_iso8601_timestamp" || name == "__cenote_from_iso8601_timestamp_nanos" ||
      name == "__cenote_from_unixtime_zone" || name == "__cenote_from_unixtime_offset" ||
      name == "__cenote_from_unixtime_nanos")
    return true;
  if ((name == "timezone" && args.size() == 2) || name == "at_timezone" || name == "with_timezone" ||
      name == "from_iso8601_timestamp" || name == "from_iso8601_timestamp_nanos" ||
      name == "from_unixtime_nanos" || (name == "from_unixtime" && args.size() >= 2))
    return true;
  if (name == "date_add" && args.size() == 3) return ProducesZoned(args[2]);
  if (name == "date_trunc" && args.size() == 2) return ProducesZoned(args[1]);
  if (name == "+" || name == "-" || name == "coalesce" || name == "nullif" || name == "if" ||
      name == "greatest" || name == "least" || name.rfind("__cenote_dt_", 0) == 0 ||
      name.rfind("__cenote_date_add_", 0) == 0 || name == "__cenote_date_trunc") {
    for (const json::value& arg : args)
      if (ProducesZoned(arg)) return true;
  }
  return false;
}

// A typed date/time macro may take `v`: it may be zoned and DuckDB will know its type.
bool Zoned(const json::value& v) { return ProducesZoned(v) && !ContainsAggregate(v); }

// Replaces a constant-zone constructor: UTC keeps DuckDB's own TIMESTAMP WITH TIME ZONE.
Status ZonedFromLocal(json::object& fn, const std::string& local, const std::string& zone_text) {
  std::string zone = NormalizeZone(zone_text);
  if (zone.empty()) return TimeZoneNotSupported(zone_text);
  if (zone == "UTC") {
    Become(fn, "__cenote_tz_literal_utc", json::array{Text(local)});
  } else {
    Become(fn, "__cenote_tz_literal", json::array{Text(local), Text(zone)});
  }
  return Status::Ok();
}

// The interval literals DuckDB's parser makes of `interval '2' day` (and CAST(... AS INTERVAL)).
bool IsIntervalExpression(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return false;
  const std::string cls = StringField(*o, "class");
  if (cls == "CAST") {
    const json::value* type = o->if_contains("cast_type");
    return type != nullptr && type->is_object() && StringField(type->get_object(), "id") == "INTERVAL";
  }
  if (cls != "FUNCTION") return false;
  // interval * number, number * interval, interval / number, -interval (Trino's interval operators).
  if (const json::value* op = o->if_contains("is_operator");
      op != nullptr && op->is_bool() && op->get_bool()) {
    const std::string name = StringField(*o, "function_name");
    const json::value* args = o->if_contains("children");
    if (args == nullptr || !args->is_array()) return false;
    const json::array& a = args->get_array();
    if (name == "-" && a.size() == 1) return IsIntervalExpression(a[0]);
    if (name == "/" && a.size() == 2) return IsIntervalExpression(a[0]);
    if (name == "*" && a.size() == 2) return IsIntervalExpression(a[0]) || IsIntervalExpression(a[1]);
    return false;
  }
  static const std::unordered_set<std::string> kIntervalMakers = {
      "to_years",   "to_months",   "to_days",         "to_weeks",        "to_hours",   "to_minutes",
      "to_seconds", "to_quarters", "to_milliseconds", "to_microseconds", "to_decades", "to_centuries"};
  return kIntervalMakers.count(Lower(StringField(*o, "function_name"))) > 0;
}

// Functions reading fields of a timestamp: the field of a zoned value is read in its zone.
const std::unordered_set<std::string>& FieldFunctions() {
  static const std::unordered_set<std::string> kFields = {
      "year",         "quarter",     "month",  "week",        "week_of_year", "day",
      "day_of_month", "day_of_week", "dow",    "day_of_year", "doy",          "year_of_week",
      "yow",          "hour",        "minute", "second",      "millisecond",  "last_day_of_month",
      "date"};
  return kFields;
}

}  // namespace

std::string NormalizeZone(const std::string& zone_text) {
  std::string z = Trim(zone_text);
  static const std::unordered_set<std::string> kUtc = {
      "utc",      "z",       "ut",     "uct",       "gmt",      "gmt0",     "greenwich",     "universal",
      "zulu",     "etc/utc", "etc/ut", "etc/uct",   "etc/gmt",  "etc/gmt0", "etc/greenwich", "etc/universal",
      "etc/zulu", "gmt+0",   "gmt-0",  "etc/gmt+0", "etc/gmt-0"};
  if (kUtc.count(Lower(z)) > 0) return "UTC";
  if (!z.empty() && (z[0] == '+' || z[0] == '-')) {
    std::string rest = z.substr(1);
    std::string hours, minutes;
    if (auto colon = rest.find(':'); colon != std::string::npos) {
      hours = rest.substr(0, colon);
      minutes = rest.substr(colon + 1);
      if (minutes.size() != 2) return "";
    } else if (rest.size() <= 2) {
      hours = rest;
      minutes = "00";
    } else if (rest.size() == 4) {
      hours = rest.substr(0, 2);
      minutes = rest.substr(2);
    } else {
      return "";
    }
    if (hours.empty() || hours.size() > 2 || !AllDigits(hours) || !AllDigits(minutes)) return "";
    int h = std::stoi(hours), m = std::stoi(minutes);
    if (m >= 60 || h * 60 + m > 14 * 60) return "";
    if (h == 0 && m == 0) return "UTC";
    std::string out(1, z[0]);
    out += (h < 10 ? "0" : "") + std::to_string(h) + ":" + (m < 10 ? "0" : "") + std::to_string(m);
    return out;
  }
  return z;
}

Status RewriteDatetimeFunction(json::object& fn, bool in_lambda, bool in_try, bool& done) {
  done = false;
  const std::string raw_name = Lower(StringField(fn, "function_name"));
  const std::string schema = Lower(StringField(fn, "schema"));
  if (!schema.empty() && schema != "main") return Status::Ok();
  json::array* args = Children(fn);
  if (args == nullptr) return Status::Ok();
  const std::size_t argc = args->size();
  const json::value* op = fn.if_contains("is_operator");
  const bool is_operator = op != nullptr && op->is_bool() && op->get_bool();

  if (is_operator) {
    if (in_lambda) return Status::Ok();
    // interval * number, number * interval, interval / number: Trino's interval operators (a column of
    // intervals divided by a number reaches __cenote_interval_divide through __cenote_divide's overloads).
    if (argc == 2 && raw_name == "*") {
      for (std::size_t i = 0; i < 2; ++i) {
        if (IsIntervalExpression((*args)[i]) && !ContainsAggregate((*args)[1 - i])) {
          Become(fn, in_try ? "__cenote_interval_times_try" : "__cenote_interval_times",
                 json::array{std::move((*args)[i]), std::move((*args)[1 - i])});
          done = true;
          return Status::Ok();
        }
      }
    }
    if (argc == 2 && raw_name == "/" && IsIntervalExpression((*args)[0]) && !ContainsAggregate((*args)[1])) {
      Become(fn, in_try ? "__cenote_interval_divide_try" : "__cenote_interval_divide",
             json::array{std::move((*args)[0]), std::move((*args)[1])});
      done = true;
      return Status::Ok();
    }
    // x + interval, interval + x, x - interval: Trino's result types (a DATE stays a DATE, a zoned value
    // keeps its zone).
    if (argc != 2 || (raw_name != "+" && raw_name != "-")) return Status::Ok();
    if (IsIntervalExpression((*args)[1]) && !ContainsAggregate((*args)[0])) {
      Become(fn, raw_name == "+" ? "__cenote_dt_plus" : "__cenote_dt_minus",
             json::array{std::move((*args)[0]), std::move((*args)[1])});
      done = true;
    } else if (raw_name == "+" && IsIntervalExpression((*args)[0]) && !ContainsAggregate((*args)[1])) {
      Become(fn, "__cenote_dt_plus_rev", json::array{std::move((*args)[0]), std::move((*args)[1])});
      done = true;
    }
    return Status::Ok();
  }
  const std::string& name = raw_name;

  if (in_lambda) {
    // What needs no typed overload: the renames of functions DuckDB lacks.
    static const std::pair<const char*, const char*> kPlain[] = {
        {"to_unixtime", "epoch"},
        {"date_diff", "date_sub"},
        {"from_unixtime", "__cenote_from_unixtime"},
        {"from_iso8601_timestamp", "__cenote_from_iso8601_timestamp"},
        {"from_iso8601_date", "__cenote_from_iso8601_date"}};
    for (const auto& [trino, duckdb] : kPlain) {
      if (name == trino && (argc == 1 || name == "date_diff")) {
        fn["function_name"] = duckdb;
        fn["schema"] = "";
        done = true;
      }
    }
    if ((name == "timezone" || name == "at_timezone") && argc == 2) {
      json::value x = std::move((*args)[name == "timezone" ? 1 : 0]);
      json::value z = std::move((*args)[name == "timezone" ? 0 : 1]);
      Become(fn, "__cenote_at_timezone_untyped", json::array{std::move(x), std::move(z)});
      done = true;
    }
    return Status::Ok();
  }
  // x AT TIME ZONE z (DuckDB's parser: timezone(z, x)) and at_timezone(x, z): the same instant in zone z.
  if ((name == "timezone" && argc == 2) || (name == "at_timezone" && argc == 2)) {
    json::value x = std::move((*args)[name == "timezone" ? 1 : 0]);
    json::value z = std::move((*args)[name == "timezone" ? 0 : 1]);
    if (const json::string* zone = ConstantText(z); zone != nullptr) {
      std::string normalized = NormalizeZone(std::string(*zone));
      if (normalized.empty()) return TimeZoneNotSupported(std::string(*zone));
      // The instant of x: a zoned x through the typed macro, any other timestamp by a cast.
      const char* instant = Zoned(x) ? "__cenote_tz_instant" : "__cenote_tz_cast_instant";
      if (normalized == "UTC") {
        Become(fn, instant, json::array{std::move(x)});
      } else {
        Become(fn, "__cenote_tz_make",
               json::array{NewFunction(instant, json::array{std::move(x)}), Text(normalized)});
      }
    } else {
      const bool zoned = Zoned(x);  // before x moves into the call
      Become(fn, zoned ? "__cenote_at_timezone" : "__cenote_at_timezone_untyped",
             json::array{std::move(x), std::move(z)});
    }
    done = true;
    return Status::Ok();
  }
  // with_timezone(ts, z): the wall time ts in zone z.
  if (name == "with_timezone" && argc == 2) {
    json::value t = std::move((*args)[0]);
    json::value z = std::move((*args)[1]);
    if (const json::string* zone = ConstantText(z); zone != nullptr) {
      std::string normalized = NormalizeZone(std::string(*zone));
      if (normalized.empty()) return TimeZoneNotSupported(std::string(*zone));
      if (normalized == "UTC") {
        Become(fn, "__cenote_tz_literal_utc", json::array{std::move(t)});
      } else {
        Become(fn, "__cenote_tz_literal", json::array{std::move(t), Text(normalized)});
      }
    } else {
      Become(fn, "__cenote_with_timezone", json::array{std::move(t), std::move(z)});
    }
    done = true;
    return Status::Ok();
  }
  if (name == "timezone" && argc == 1) {
    Become(fn, "__cenote_tz_zone_of", json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if ((name == "timezone_hour" || name == "timezone_minute") && argc == 1) {
    Become(fn, "__cenote_" + name, json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if (name == "date_part" && argc == 2) {
    // extract(TIMEZONE_HOUR FROM x) and friends; other fields read a zoned value in its zone.
    if (const json::string* field = ConstantText((*args)[0]); field != nullptr) {
      std::string f = Lower(std::string_view(*field));
      if (f == "timezone_hour" || f == "timezone_minute") {
        Become(fn, "__cenote_" + f, json::array{std::move((*args)[1])});
        done = true;
        return Status::Ok();
      }
    }
    if (Zoned((*args)[1])) Wrap((*args)[1], "__cenote_tz_local");
    return Status::Ok();
  }
  if (argc == 1 && FieldFunctions().count(name) > 0) {
    if (Zoned((*args)[0])) Wrap((*args)[0], "__cenote_tz_local");
    return Status::Ok();
  }
  if ((name == "date_format" || name == "format_datetime") && argc == 2) {
    if (Zoned((*args)[0])) Wrap((*args)[0], "__cenote_tz_local");
    return Status::Ok();
  }
  if (name == "date_parse" && argc == 2) {
    const json::string* format = ConstantText((*args)[1]);
    if (format == nullptr || std::string_view(*format).find("%y") == std::string_view::npos)
      return Status::Ok();  // dialect.cpp converts the format
    CENOTE_ASSIGN_OR_RETURN(std::string converted, ConvertDateFormat(std::string(*format)));
    Become(fn, "__cenote_date_parse_yy", json::array{std::move((*args)[0]), Text(converted)});
    done = true;
    return Status::Ok();
  }
  if (name == "to_unixtime" && argc == 1) {
    const bool zoned = Zoned((*args)[0]);
    Become(fn, zoned ? "__cenote_to_unixtime" : "epoch", json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if (name == "to_iso8601" && argc == 1) {
    Become(fn, "__cenote_to_iso8601", json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if (name == "from_unixtime" && argc >= 1 && argc <= 3) {
    if (argc == 1) {
      Become(fn, "__cenote_from_unixtime", json::array{std::move((*args)[0])});
    } else if (argc == 3) {
      Become(fn, "__cenote_from_unixtime_offset",
             json::array{std::move((*args)[0]), std::move((*args)[1]), std::move((*args)[2])});
    } else if (const json::string* zone = ConstantText((*args)[1]); zone != nullptr) {
      std::string normalized = NormalizeZone(std::string(*zone));
      if (normalized.empty()) return TimeZoneNotSupported(std::string(*zone));
      json::value x = std::move((*args)[0]);
      if (normalized == "UTC") {
        Become(fn, "__cenote_from_unixtime", json::array{std::move(x)});
      } else {
        Become(
            fn, "__cenote_tz_make",
            json::array{NewFunction("__cenote_from_unixtime", json::array{std::move(x)}), Text(normalized)});
      }
    } else {
      Become(fn, "__cenote_from_unixtime_zone", json::array{std::move((*args)[0]), std::move((*args)[1])});
    }
    done = true;
    return Status::Ok();
  }
  if (name == "from_iso8601_timestamp" && argc == 1) {
    if (const json::string* text = ConstantText((*args)[0]); text != nullptr) {
      LiteralParts parts;
      if (SplitTimestampLiteral(std::string_view(*text), 'T', parts)) {
        std::string zone = parts.zone.empty() ? std::string("UTC") : parts.zone;
        // ISO-8601 offsets only: Z, +hh, +hhmm, +hh:mm.
        if (zone != "UTC" && zone != "Z" && zone[0] != '+' && zone[0] != '-')
          return MakeError("INVALID_FUNCTION_ARGUMENT",
                           "INVALID_FUNCTION_ARGUMENT: Invalid format: \"" + std::string(*text) + "\"");
        CENOTE_RETURN_IF_ERROR(ZonedFromLocal(fn, parts.local, zone));
        done = true;
        return Status::Ok();
      }
      return MakeError("INVALID_FUNCTION_ARGUMENT",
                       "INVALID_FUNCTION_ARGUMENT: Invalid format: \"" + std::string(*text) + "\"");
    }
    Become(fn, "__cenote_from_iso8601_timestamp", json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if (name == "from_iso8601_timestamp_nanos" && argc == 1) {
    if (const json::string* text = ConstantText((*args)[0]); text != nullptr) {
      LiteralParts parts;
      std::string zone;
      if (SplitTimestampLiteral(std::string_view(*text), 'T', parts))
        zone = NormalizeZone(parts.zone.empty() ? std::string("UTC") : parts.zone);
      if (zone.empty() || (zone != "UTC" && zone[0] != '+' && zone[0] != '-'))
        return MakeError("INVALID_FUNCTION_ARGUMENT",
                         "INVALID_FUNCTION_ARGUMENT: Invalid format: \"" + std::string(*text) + "\"");
      Become(fn, "__cenote_tzn_literal", json::array{Text(parts.local), Text(zone)});
    } else {
      Become(fn, "__cenote_from_iso8601_timestamp_nanos", json::array{std::move((*args)[0])});
    }
    done = true;
    return Status::Ok();
  }
  if (name == "from_unixtime_nanos" && argc == 1) {
    Become(fn, "__cenote_from_unixtime_nanos", json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if (name == "from_iso8601_date" && argc == 1) {
    Become(fn, "__cenote_from_iso8601_date", json::array{std::move((*args)[0])});
    done = true;
    return Status::Ok();
  }
  if (name == "date_add" && argc == 3) {
    const json::string* unit = ConstantText((*args)[0]);
    if (unit == nullptr)
      return MakeError(kNotSupported, "NOT_SUPPORTED: date_add with a unit that is not a constant string");
    std::string u = Lower(std::string_view(*unit));
    static const std::unordered_set<std::string> kUnits = {"millisecond", "second", "minute",  "hour", "day",
                                                           "week",        "month",  "quarter", "year"};
    if (kUnits.count(u) == 0)
      return MakeError("INVALID_FUNCTION_ARGUMENT",
                       "INVALID_FUNCTION_ARGUMENT: '" + u + "' is not a valid Timestamp field");
    Become(fn, "__cenote_date_add_" + u, json::array{std::move((*args)[1]), std::move((*args)[2])});
    done = true;
    return Status::Ok();
  }
  if (name == "date_diff" && argc == 3) {
    const bool zoned = Zoned((*args)[1]) || Zoned((*args)[2]);
    Become(fn, zoned ? "__cenote_date_diff" : "date_sub",
           json::array{std::move((*args)[0]), std::move((*args)[1]), std::move((*args)[2])});
    done = true;
    return Status::Ok();
  }
  if (name == "date_trunc" && argc == 2) {
    Become(fn, "__cenote_date_trunc", json::array{std::move((*args)[0]), std::move((*args)[1])});
    done = true;
    return Status::Ok();
  }
  return Status::Ok();
}

Result<bool> RewriteDatetimeCast(json::value& v, bool in_lambda) {
  json::object& cast = v.get_object();
  const json::value* type = cast.if_contains("cast_type");
  if (type == nullptr || !type->is_object()) return false;
  const std::string id = StringField(type->get_object(), "id");
  json::value* child = cast.if_contains("child");
  if (child == nullptr) return false;
  const json::value* location = cast.if_contains("query_location");
  const bool literal =
      location != nullptr && location->is_uint64() && location->get_uint64() == ~std::uint64_t{0};
  const json::value* try_value = cast.if_contains("try_cast");
  const bool try_cast = try_value != nullptr && try_value->is_bool() && try_value->get_bool();

  // TIMESTAMP '2024-01-01 12:00 America/New_York' is a timestamp with time zone in Trino; so is a string
  // with a zone cast to one.
  if ((id == "TIMESTAMP" && literal) || (id == "TIMESTAMP WITH TIME ZONE" && !try_cast)) {
    if (const json::string* text = ConstantText(*child); text != nullptr) {
      LiteralParts parts;
      if (SplitTimestampLiteral(std::string_view(*text), ' ', parts) &&
          (!parts.zone.empty() || id == "TIMESTAMP WITH TIME ZONE")) {
        json::object fn;
        CENOTE_RETURN_IF_ERROR(ZonedFromLocal(fn, parts.local, parts.zone.empty() ? "UTC" : parts.zone));
        fn["alias"] = cast["alias"];
        v = std::move(fn);
        return true;
      }
      return false;
    }
  }
  // Casts of expressions that may be zoned values (columns and constants never are).
  const json::object* c = child->if_object();
  if (in_lambda || c == nullptr || !Zoned(*child)) return false;
  if (id == "TIMESTAMP" || id == "DATE" || id == "TIME") {
    Wrap(*child, "__cenote_tz_local");
  } else if (id == "VARCHAR") {
    Wrap(*child, "__cenote_tz_varchar");
  } else if (id == "TIMESTAMP WITH TIME ZONE" && !try_cast) {
    json::object fn = NewFunction("__cenote_tz_cast", json::array{std::move(*child)});
    fn["alias"] = cast["alias"];
    v = std::move(fn);
    return true;
  }
  return false;
}

void RewriteDatetimeComparison(json::object& comparison) {
  for (const char* side : {"left", "right", "input", "lower", "upper"}) {  // COMPARISON and BETWEEN
    json::value* operand = comparison.if_contains(side);
    if (operand == nullptr || !operand->is_object()) continue;
    // Only where a zoned value may be: columns and plain casts stay as they are for the binder's pruning.
    if (!Zoned(*operand)) continue;
    if (StringField(operand->get_object(), "function_name") == "__cenote_tz_cmp") continue;
    Wrap(*operand, "__cenote_tz_cmp");
  }
}

const std::vector<std::string>& DatetimeMacros() { return kMacros; }

bool IsZonedTimestamp(const TypeNode& t) {
  return t.base == "STRUCT" && t.children.size() == 2 &&
         (t.children[0].first == "__cenote_instant" || t.children[0].first == "__cenote_instant_ns") &&
         t.children[1].first == "__cenote_zone";
}

std::string ZonedTimestampText(const std::string& ref, const TypeNode& type) {
  return (type.children[0].first == "__cenote_instant_ns" ? "__cenote_tz_text9(" : "__cenote_tz_text3(") +
         ref + ")";
}

}  // namespace cenote::query::internal
