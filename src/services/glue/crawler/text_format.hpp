// Text-format sniffing for the crawler's built-in classifiers: compression by magic bytes, the first
// records of a (possibly gzip/zstd compressed) text file, JSON-lines detection, and AWS's built-in CSV
// classifier rules (delimiter among , | tab ; Ctrl-A; header detection; quoted values).
//
// AWS's CSV header rules (Glue developer guide, "Built-in classifiers"): the first row is a header when
//   - every column of it parses as a STRING,
//   - every column but the last has content shorter than 150 characters (the last may be empty, to
//     allow a trailing delimiter),
//   - every column is a valid column name,
//   - and the rows differ from it: at least one value of a later row parses as other than STRING. If
//     every value is a string, the first row is data (columns col0, col1, ...).
// A file is CSV only with at least two columns and two rows.
//
// Pure functions over bytes; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::glue::crawler {

enum class Compression { kNone, kGzip, kZstd };

// "none", "gzip", "zstd": the crawler's compressionType table parameter and DuckDB's compression name.
std::string_view CompressionName(Compression compression);

// By magic bytes: gzip 1f 8b, zstd 28 b5 2f fd.
Compression DetectCompression(std::string_view head);
// "PAR1" at the start (and, when the whole file is given, at the end).
bool IsParquetMagic(std::string_view head);

// Up to `max_bytes` of the file's decompressed text from its start. `complete` says whether that is the
// whole text. Corrupt compressed data ends the text where it breaks (an error only if nothing decodes).
struct TextHead {
  std::string text;
  bool complete = false;
};
Result<TextHead> ReadTextHead(const std::string& path, Compression compression, std::size_t max_bytes);

// Splits text into records, honouring double-quoted fields that hold newlines. Drops a trailing
// partial record unless `complete`. Empty lines are skipped. At most `max_records`.
std::vector<std::string> SplitRecords(std::string_view text, bool complete, std::size_t max_records);

// Splits one record by `delimiter`, with '"' quoting ("" inside quotes is a quote). Sets *quoted when
// any field was quoted.
std::vector<std::string> SplitFields(std::string_view record, char delimiter, bool* quoted = nullptr);

// True when there is at least one record and every record is a JSON object.
bool IsJsonLines(const std::vector<std::string>& records);

// The type a CSV value parses as, in the built-in classifier's terms.
enum class ValueType { kEmpty, kBoolean, kBigint, kDouble, kString };
ValueType ClassifyValue(std::string_view value);

struct CsvDialect {
  char delimiter = ',';
  bool header = false;
  bool quoted = false;                    // some value was enclosed in quotes (-> OpenCSVSerde)
  std::vector<std::string> column_names;  // header names (lower-cased, unique) or col0, col1, ...
};

// The dialect of delimited text, or nullopt when the records are not CSV by AWS's rules.
std::optional<CsvDialect> DetectCsv(const std::vector<std::string>& records);

// AWS's header rules on already split rows (row 0 is the candidate header).
bool HasHeader(const std::vector<std::vector<std::string>>& rows);

// Lower-cases names and makes them unique ("a", "a_1"); empty names become col<i>.
std::vector<std::string> NormalizeColumnNames(const std::vector<std::string>& names);

}  // namespace cenote::glue::crawler
