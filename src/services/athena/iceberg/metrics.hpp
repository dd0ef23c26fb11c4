// What Cenote records of the files it writes to an Iceberg table (spec "Manifests" and "Manifest Lists"):
// each data file's column metrics from its Parquet footer, and each manifest's partition field summaries.
// Readers prune by both (Cenote's own: tables.cpp ColumnRange / SummaryRange).
//
// Column metrics follow Iceberg's default metrics mode, truncate(16): for each top-level primitive column
// value_counts (NULLs included) and null_value_counts; lower and upper bounds in the single-value
// serialization of Appendix D, strings and binaries over 16 characters (bytes) as a truncated lower bound
// and an upper bound whose last character (byte) is incremented. A bound is only written when the
// footer's statistics make it a true bound: none for a column whose values are all NULL, NaN statistics,
// statistics a row group lacks, or encodings that do not map to the column's type. nan_value_counts are
// not written (Parquet statistics do not count NaN: readers then assume NaN may be present).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "services/athena/iceberg/iceberg.hpp"
#include "services/athena/iceberg/parquet_footer.hpp"

namespace cenote::athena::iceberg {

// Fills `file`'s metrics from the Parquet file at `local_path`, written with the field ids of `columns`
// (columns matched by field id, by name when the file has none). ICEBERG_BAD_DATA when it is not Parquet.
Status AddParquetMetrics(const std::vector<Column>& columns, const std::string& local_path, DataFile* file);

// A column's bound in Iceberg's single-value serialization from a Parquet statistic (`upper`: the max,
// truncated upwards). nullopt when it cannot be written as a true bound.
std::optional<std::string> IcebergBound(const Column& column, const ParquetColumnStats& stats,
                                        const std::string& value, bool upper);

// Truncation of Iceberg's truncate(16) metrics mode: a string's first `width` code points (the lower
// bound), or those with the last incremented (the upper bound; nullopt when no code point can be). Text
// that is not UTF-8 gives nullopt.
std::optional<std::string> TruncateStringLower(const std::string& s, std::size_t width);
std::optional<std::string> TruncateStringUpper(const std::string& s, std::size_t width);

// The partition field summaries of a manifest of `files` written under spec `spec_id` (-1: the metadata's
// default spec): per field, whether a NULL (or NaN) is among the values, and the lower and upper bounds of
// the others. Empty (the list then writes none) when a field's result type is one whose values Cenote keeps
// as text (timestamp, decimal, float, double, binary): a summary without bounds would say "all NULL".
std::vector<ManifestFile::FieldSummary> PartitionSummaries(const json::object& md,
                                                           const std::vector<DataFile>& files,
                                                           std::int64_t spec_id = -1);
std::vector<ManifestFile::FieldSummary> PartitionSummaries(const json::object& md,
                                                           const std::vector<ManifestEntry>& entries,
                                                           std::int64_t spec_id = -1);

}  // namespace cenote::athena::iceberg
