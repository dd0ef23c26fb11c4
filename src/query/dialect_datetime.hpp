// Trino's date and time semantics over DuckDB (dialect_datetime.cpp), hooked into the dialect rewrite
// (dialect.cpp Walk), the result printing (csv_format.cpp) and the type mapping (types.cpp).
//
// A `timestamp with time zone` keeps its zone, as in Trino: in UTC it is DuckDB's TIMESTAMP WITH TIME ZONE
// (the session zone is UTC, so current_timestamp and friends need nothing); in any other zone it is a
// zoned value, a STRUCT(__cenote_instant TIMESTAMP WITH TIME ZONE, __cenote_zone VARCHAR) holding the
// instant and the zone (a tz database name or a fixed offset `+05:30`). The rewrite picks the UTC form
// when the zone is a constant that normalizes to UTC; the __cenote_tz_ macros take both forms. Internal to
// src/query.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "query/type_tree.hpp"

namespace cenote::query::internal {

// DuckDB's spelling of the zoned value's type, and of timestamp(9) with time zone (the _nanos functions:
// the instant as a TIMESTAMP_NS in UTC and the zone).
inline constexpr const char* kZonedTimestampType =
    "STRUCT(__cenote_instant TIMESTAMP WITH TIME ZONE, __cenote_zone VARCHAR)";
inline constexpr const char* kZonedTimestampNanosType =
    "STRUCT(__cenote_instant_ns TIMESTAMP_NS, __cenote_zone VARCHAR)";

// Rewrites a FUNCTION node (operators included) whose Trino meaning involves dates, times, zones or
// intervals. Sets `done` when the node is fully rewritten (the generic renames must not touch it); may
// also only adjust the arguments (hour(x) reads x in its own zone) and leave `done` false. `in_lambda`:
// the node is inside a lambda, where DuckDB cannot choose between typed macro overloads (the parameters
// have no type yet), so only the plain renames are done. `in_try`: the node is inside TRY(...), where
// DuckDB takes no error(): the interval operators give NULL where they would fail.
Status RewriteDatetimeFunction(boost::json::object& fn, bool in_lambda, bool in_try, bool& done);

// A CAST node: a zoned literal (TIMESTAMP '2024-01-01 12:00 America/New_York') becomes a zoned value;
// a cast of a zoned value reads it in its zone. Returns whether `v` was replaced by another node.
Result<bool> RewriteDatetimeCast(boost::json::value& v, bool in_lambda);

// A COMPARISON or BETWEEN node: zoned values compare by their instant, as in Trino.
void RewriteDatetimeComparison(boost::json::object& comparison);

// CREATE MACRO statements the rewrites above rely on.
const std::vector<std::string>& DatetimeMacros();

// Whether a result column type is a zoned value (either precision).
bool IsZonedTimestamp(const TypeNode& type);

// SQL over `ref` (a zoned value) giving Athena's text: `2024-01-01 12:00:00.000 America/New_York`.
std::string ZonedTimestampText(const std::string& ref, const TypeNode& type);

// Trino's zone id for a zone text, as its TimeZoneKey normalizes it: UTC aliases (`Z`, `GMT`, `Etc/UTC`,
// `+00:00`, ...) are `UTC`, offsets `+5:30`, `+0530`, `+05` are `+05:30`; "" for a malformed offset or one
// beyond +-14:00. Names are kept as given (DuckDB's ICU checks them).
std::string NormalizeZone(const std::string& zone);

}  // namespace cenote::query::internal
