// The crawler's layout rules: S3 target paths, exclusion globs, hidden files, table and partition naming,
// schema compatibility and merging, and the grouping of a target's files into tables and partitions.
//
// Grouping follows AWS ("How crawlers determine when to create partitions"): starting at the include path,
// a folder whose files all have compatible schemas becomes one table (its subfolders become partitions:
// `key=value` folders give a partition key named `key`, other folders `partition_0`, `partition_1`, ...,
// all of type string); otherwise each subfolder is examined the same way, and files lying directly in an
// incompatible folder become tables of their own. A bucket root holding nothing but one (non-partition)
// folder gives the table to that folder (a bucket holding `sales/...` gives table `sales`).
// With a TableLevelConfiguration (Configuration's Grouping), tables are made at that absolute folder
// depth (the bucket is level 1) instead.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace cenote::glue::crawler {

// s3://bucket/some/prefix -> {"bucket", "some/prefix/"} (prefix empty or ending in '/').
struct S3Path {
  std::string bucket;
  std::string prefix;
};
std::optional<S3Path> ParseS3Path(std::string_view path);

// AWS's exclude-pattern glob (Glue "Include and exclude patterns"): `*` matches within one path
// component, `**` across components, `?` one character, `[a-z]` / `[!a-z]` a class, `{a,b}` alternatives,
// `\` escapes. Matched against the key relative to the include path.
bool GlobMatch(std::string_view pattern, std::string_view relative_key);

// Objects the crawler never reads: folder markers (zero bytes ending in '/', `_$folder$`) and names
// or folders starting with '_' or '.' (Spark/Hive metadata, hidden files), relative to the include path.
bool IsIgnoredKey(std::string_view relative_key, std::uint64_t size);

// TablePrefix + name, lower-cased, characters outside [a-z0-9_] replaced by '_'.
std::string TableName(std::string_view table_prefix, std::string_view name);

// ---- schemas

struct Column {
  std::string name;
  std::string type;  // Glue type
};

// What one sampled file looks like to the classifier. `signature` is the classification with the
// format details that must agree for files to share a table ("csv|,|header|quoted", "json", "parquet").
struct FileSchema {
  std::string classification;  // csv | json | parquet
  std::string signature;
  std::vector<Column> columns;
  // Text formats: the CSV dialect and the compression ("none", "gzip", "zstd").
  char delimiter = ',';
  bool header = false;
  bool quoted = false;
  std::string compression = "none";
};

// Whether two schemas can be one table: same signature and (unless `format_only`) column names that
// mostly agree (shared names at least 70% of the smaller schema, so added columns keep a table).
bool Compatible(const FileSchema& a, const FileSchema& b, bool format_only);

// The wider of two Glue types: integers widen (tinyint < smallint < int < bigint), integer with
// float/double gives double, anything else that differs gives string.
std::string WidenType(const std::string& a, const std::string& b);

// Union of columns (a's order, then b's new ones), types widened.
FileSchema MergeSchemas(const FileSchema& a, const FileSchema& b);

// ---- grouping

struct LayoutFile {
  std::string key;  // full S3 key
  std::uint64_t size = 0;
  std::vector<std::string> folders;  // folders between the include path and the file
  bool sampled = false;              // read by the classifier
  std::optional<FileSchema> schema;  // sampled and recognized; unsampled files follow their folder
};

struct PartitionLayout {
  std::vector<std::string> values;
  std::string prefix;              // key prefix of the partition folder, ending in '/'
  std::vector<std::size_t> files;  // indexes into the input
};

struct TableLayout {
  std::string name;    // before TablePrefix and sanitizing
  std::string prefix;  // key prefix of the table folder ('' = bucket root), '/'-ended
  std::vector<std::string> partition_keys;
  std::vector<PartitionLayout> partitions;  // one entry with no values when unpartitioned
  std::vector<std::size_t> files;           // all of the table's files
  FileSchema schema;                        // merged from the sampled files
  bool single_file = false;                 // a table made of one file lying among others
};

struct GroupingOptions {
  bool combine_compatible_schemas = false;  // Grouping.TableGroupingPolicy = CombineCompatibleSchemas
  int table_level = 0;                      // Grouping.TableLevelConfiguration; 0 = decide by schema
};

// Groups the target's files into tables. Sampled files the classifier did not recognize are left out;
// unsampled files go with their folder (and are left out when no file of their folder was recognized).
// The table made at the include path itself is named after its last folder, or the bucket.
std::vector<TableLayout> GroupTables(const S3Path& include, const std::vector<LayoutFile>& files,
                                     const GroupingOptions& options);

}  // namespace cenote::glue::crawler
