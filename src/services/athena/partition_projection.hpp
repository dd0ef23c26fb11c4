// Partition projection: the partitions of a table computed from its `projection.*` table properties, as
// Athena computes them, instead of read from the catalog (so a partitioned table answers without MSCK REPAIR
// TABLE or ADD PARTITION).
//
// Properties (Glue table Parameters), per partition column `c`:
//   projection.enabled = true
//   projection.c.type = integer | enum | date | injected
//   integer: projection.c.range = "min,max", projection.c.interval (1), projection.c.digits (zero padding)
//   enum:    projection.c.values = "a,b,c"
//   date:    projection.c.range = "<start>,<end>" in projection.c.format (a Java date pattern: yyyy, yy, MM,
//            dd, HH, mm, ss, 'literal'), each bound also NOW[+-N<UNIT>]; projection.c.interval (1) and
//            projection.c.interval.unit (YEARS, MONTHS, WEEKS, DAYS, HOURS, MINUTES, SECONDS; by default
//            DAYS, or the finest field of the format when it is finer than a day)
//   injected: values come from the query on AWS (an equality in WHERE); here they are the values present
//            under the table's location (a listing), which the query's filter then prunes
//   storage.location.template = "s3://bucket/prefix/${c1}/${c2}/" (default: "<table location>/c1=v1/c2=v2/")
// Columns without a projection type when projection is enabled are a table error, as on AWS.
//
// Errors: HIVE_INVALID_METADATA naming the property at fault; more than kMaxProjectedPartitions partitions:
// HIVE_EXCEEDED_PARTITION_LIMIT.
//
// Pure functions (the listing and the clock are passed in); thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "query/engine.hpp"

namespace cenote::athena {

inline constexpr std::size_t kMaxProjectedPartitions = 200000;

// projection.enabled is "true" (any case) in the table's Parameters.
bool ProjectionEnabled(const boost::json::object& table);

// Lists the keys under an "s3://bucket/prefix/" location (for injected columns).
using ListKeys = std::function<Result<std::vector<std::string>>(const std::string& location)>;

// The table's projected partitions, values in partition-key order, each with its location (a folder URL).
// `now_ms`: the time NOW stands for.
Result<std::vector<query::PartitionBinding>> ProjectPartitions(const boost::json::object& table,
                                                               std::int64_t now_ms, const ListKeys& list);

// A Java date pattern (the subset above) applied to `epoch_s` (UTC); exposed for tests.
std::string FormatJavaDate(const std::string& pattern, std::int64_t epoch_s);
// The inverse: seconds since the epoch of `text` in `pattern`, nullopt when it does not match.
std::optional<std::int64_t> ParseJavaDate(const std::string& pattern, const std::string& text);

}  // namespace cenote::athena
