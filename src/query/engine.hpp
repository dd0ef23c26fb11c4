// QueryEngine: SQL over catalog tables on embedded DuckDB (DESIGN.md "Query engine contract").
//
// User SQL (Athena's Trino dialect) goes through the sandbox before DuckDB sees it:
//   1. DuckDB's own parser turns it into a syntax tree (json_serialize_sql); exactly one SELECT-like
//      statement is accepted (SELECT, WITH ... SELECT, VALUES, set operations).
//   2. The tree is checked: table functions (read_csv, glob, ...), file paths, settings, extension
//      loading, catalog/system functions are refused with a clear error; only catalog tables and the
//      query's own CTEs can be named.
//   3. Catalog tables (`db.table`, `"db"."table"`, or `table` in the context's database) are bound
//      through the TableResolver: the engine prunes partitions with the query's filters on partition
//      keys, asks for the files of the remaining partitions only, and replaces the table by a subquery
//      over exactly those files (partition keys become constant columns). Bytes scanned are the sizes
//      of the bound files.
//   4. Trino functions that DuckDB lacks or spells differently are rewritten (docs/athena-dialect.md).
//   5. The rewritten tree is turned back into SQL (json_deserialize_sql) and run.
// Defence in depth: the DuckDB instance runs with enable_external_access=false, allowed_directories
// limited to EngineOptions::readable_dirs and scratch_dir, autoload/autoinstall of extensions off and
// lock_configuration=true, a memory limit and a thread limit.
//
// Thread safety: one QueryEngine is shared by all threads; each Run* call uses its own connection.
// Background work (the query watchdog, the link sweep) runs on EngineOptions::background_tasks; the engine
// stops its tasks when it is destroyed, before the state they use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/mutex.hpp"
#include "common/result.hpp"

namespace cenote {
class BackgroundTasks;
}  // namespace cenote

namespace cenote::query {

// ---- what a catalog table binds to (filled by the TableResolver, i.e. by Athena from Glue + S3)

// kRegex: Hive's RegexSerDe, each line of text matched whole by TableBinding::input_regex, a column per
// group.
// kAvro, kOrc: the resolver's Files are JSON lines converted from Avro container files or ORC files (one
// object per record, keys lower-case, binary values in base64), read like kJson.
enum class FileFormat { kCsv, kJson, kParquet, kOrc, kRegex, kAvro };

struct ColumnDef {
  std::string name;  // lower-case, as Glue stores it
  std::string type;  // Glue/Hive type: string, int, bigint, double, decimal(10,2), array<string>, ...
};

struct TableBinding {
  std::string database;
  std::string name;
  std::vector<ColumnDef> columns;         // data columns, in file order
  std::vector<ColumnDef> partition_keys;  // in partition order
  FileFormat format = FileFormat::kCsv;
  // Text formats (LazySimpleSerDe, OpenCSVSerde): field delimiter, quote and escape ("" = none),
  // header lines to skip (skip.header.line.count), the string that reads as NULL (LazySimpleSerDe's
  // serialization.null.format, Hive's default \N; "" makes an empty field NULL).
  std::string delimiter = ",";
  std::string quote;
  std::string escape;
  int skip_header_lines = 0;
  std::string null_string = "\\N";
  // LazySimpleSerDe: the separators of array items and struct fields (collection.delim, Hive's default
  // \002) and of a map entry's key and value (mapkey.delim, default \003).
  std::string collection_delimiter = std::string(1, '\002');
  std::string map_key_delimiter = std::string(1, '\003');
  // JSON SerDes. OpenX: keys match columns case-insensitively (case.insensitive, default true), a line
  // that is not JSON reads as a row of NULLs with ignore.malformed.json (otherwise it fails the query),
  // dots in keys read as '_' with dots.in.keys, and mapping.<column> names the key a column reads.
  // Hive's (hcatalog) JsonSerDe: case-insensitive, malformed lines fail.
  bool json_case_insensitive = true;
  bool json_ignore_malformed = false;
  bool json_dots_in_keys = false;
  std::vector<std::pair<std::string, std::string>> json_mapping;  // column (lower-case) -> JSON key
  // RegexSerDe (kRegex): input.regex, an RE2-compatible pattern; a line it does not match whole reads as
  // NULLs.
  std::string input_regex;
  // Views (TableType VIRTUAL_VIEW): the view's SELECT, in the dialect users write. Bound recursively
  // (a view may name other tables and views; cycles are refused).
  bool is_view = false;
  std::string view_sql;
  // Parquet tables: two more columns after the data columns, "$path" (each file's TableFile::key) and
  // "$pos" (the row's 0-based position in its file), the row identity of Iceberg's position deletes.
  bool row_ids = false;
  // Iceberg's hidden partitioning: partition fields computed from a data column, not columns of the table,
  // and data files' column bounds. Each PartitionBinding carries their values (hidden_values) or ranges
  // (hidden_ranges); the engine prunes partitions with the WHERE conjuncts `column = constant`,
  // `column IN (constants)` and, on an ordered field, `column < | <= | > | >= constant` and
  // `column BETWEEN constant AND constant` on a source column (spec "Scan Planning"): a partition is read
  // unless its values cannot satisfy one of them. NULL values satisfy none of these, so a partition whose
  // rows are NULL is never read for them.
  struct HiddenPartition {
    std::string source;     // lower-case data column
    std::string transform;  // DuckDB SQL of the value, "{}" standing for the source value
    std::string type;       // DuckDB type of the values ("": the source column's)
    // Whether the transform keeps the source's order (a <= b implies T(a) <= T(b): identity, truncate,
    // year, month, day, hour; not bucket): range conditions prune on it.
    bool ordered = false;
  };
  std::vector<HiddenPartition> hidden_partitions = {};
};

struct PartitionBinding {
  std::vector<std::string> values;  // in partition-key order; empty for an unpartitioned table
  std::string location;             // s3://bucket/prefix/ ; opaque to the engine
  // Per TableBinding::hidden_partitions: the value as text ("__HIVE_DEFAULT_PARTITION__": NULL), or
  // nullopt when the partition has no such field (files written under another partition spec).
  std::vector<std::optional<std::string>> hidden_values = {};
  // Per TableBinding::hidden_partitions, where hidden_values has no value: the range of the field's non-NULL
  // values in this partition (a data file's column bounds), each side nullopt when unbounded. Both
  // unset: nothing is known, the partition is kept.
  struct Range {
    std::optional<std::string> lower;
    std::optional<std::string> upper;
  };
  std::vector<std::optional<Range>> hidden_ranges = {};
};

struct TableFile {
  std::string path;  // local file readable by DuckDB (under EngineOptions::readable_dirs)
  std::uint64_t size = 0;
  // Optional: the object's S3 URI ("s3://bucket/key"). Its extension (.gz, .zst) picks the codec of
  // text formats, as Athena does (empty: sniffed from the file's first bytes), and error messages
  // name it instead of the local path.
  std::string key = {};
  // Parquet only, Iceberg merge-on-read (format/spec.md "Row-level Deletes"): local Parquet position delete
  // files (columns file_path, pos) whose rows with file_path = `key` name rows of this file that are not
  // read, and equality delete files whose rows name values of `columns`: a row equal to one of them on
  // every column (NULL equal to NULL) is not read.
  std::vector<std::string> position_deletes = {};
  struct EqualityDelete {
    std::string path;
    std::vector<std::string> columns;  // lower-case table column names
    // The delete file's column holding each of `columns` (matched by Iceberg field id, so a column renamed
    // since the file was written is still found); empty: the same names.
    std::vector<std::string> file_columns = {};
  };
  std::vector<EqualityDelete> equality_deletes = {};
  // Parquet, Iceberg's column projection by field id: the file's column that each data column of the
  // binding reads (TableBinding::columns order; "": the file has none, NULL). Empty: matched by name.
  std::vector<std::string> columns = {};
  bool has_deletes() const { return !position_deletes.empty() || !equality_deletes.empty(); }
};

// Implemented by the caller (Athena). Errors propagate as the query's failure reason.
class TableResolver {
 public:
  virtual ~TableResolver() = default;
  // The table's definition. Not found: an Error whose message the engine reports as Athena does
  // ("Table 'db.t' does not exist" -> the Athena layer words it).
  virtual Result<TableBinding> Describe(const std::string& database, const std::string& table) = 0;
  // All partitions (values + location), cheap: no file listing. Unpartitioned tables: one entry with
  // empty values and the table's location.
  virtual Result<std::vector<PartitionBinding>> Partitions(const TableBinding& table) = 0;
  // Partitions planned in two steps, for tables whose partitions are listed in groups (an Iceberg
  // manifest, its partition summaries as hidden_ranges): the resolver offers `keep` one PartitionBinding per
  // group and lists the partitions of the groups whose indices `keep` returns only. The engine calls it
  // when the query has conjuncts to prune hidden partitions with. Default: Partitions(table).
  using PartitionFilter = std::function<std::vector<std::size_t>(const std::vector<PartitionBinding>&)>;
  virtual Result<std::vector<PartitionBinding>> PlannedPartitions(const TableBinding& table,
                                                                  const PartitionFilter& keep) {
    (void)keep;
    return Partitions(table);
  }
  // The data files under one partition's location (hidden files `_*`, `.*` excluded, as Athena does).
  virtual Result<std::vector<TableFile>> Files(const TableBinding& table,
                                               const PartitionBinding& partition) = 0;
};

// ---- results

// A result column with Athena's type names (varchar, char, boolean, tinyint, smallint, integer, bigint,
// real, double, decimal, date, timestamp, time, varbinary, array, map, row, json) as
// GetQueryResults' ResultSetMetadata reports them.
struct ResultColumn {
  std::string name;
  std::string type;
  int precision = 0;  // decimal precision, or the type's natural precision (varchar: 2147483647)
  int scale = 0;
};

struct QueryStats {
  std::int64_t bytes_scanned = 0;  // sum of the bound files' sizes
  std::int64_t rows = 0;           // rows produced (written)
  std::int64_t planning_ms = 0;    // parse, check, bind, prune
  std::int64_t engine_ms = 0;      // planning + execution
};

struct SelectOutcome {
  std::vector<ResultColumn> columns;
  QueryStats stats;
  // The whole result CSV, when QueryContext::in_memory_result_bytes allowed it to stay in memory; then
  // nothing was written at csv_path.
  std::optional<std::string> csv;
};

// One file written by RunSelectIntoFiles.
struct WrittenFile {
  std::string local_path;                     // under WriteSpec::out_dir
  std::string relative_path;                  // "year=2024/month=5/part-00000.parquet" (key suffix)
  std::vector<std::string> partition_values;  // in WriteSpec::partitioned_by order; empty if none
  std::uint64_t size = 0;
};

struct WriteSpec {
  std::string out_dir;                      // local, under EngineOptions::scratch_dir; created
  std::string format = "PARQUET";           // PARQUET | JSON | TEXTFILE (CSV) | ORC -> NOT_SUPPORTED
  std::string compression = "SNAPPY";       // PARQUET: SNAPPY, GZIP, ZSTD, NONE; text: GZIP, NONE
  std::vector<std::string> partitioned_by;  // result columns, written as Hive folders (key=value/)
  std::string file_prefix;                  // unique per query, so INSERT INTO never overwrites
  // PARQUET: the field id of each named top-level column in the file's schema (Iceberg's column
  // projection by id); empty: none.
  std::vector<std::pair<std::string, int>> field_ids = {};
  // Partition columns computed from the SELECT's rows rather than returned by it (Iceberg's hidden
  // partitioning): name -> DuckDB expression over the SELECT's columns (Cenote's own SQL, not the user's;
  // it may call the engine's __cenote_ functions). Named in partitioned_by like the others; not written
  // to the files; columns of the SELECT listed in unwritten_columns are only read by these expressions.
  std::vector<std::pair<std::string, std::string>> computed_partitions = {};
  std::vector<std::string> unwritten_columns = {};
};

struct WriteOutcome {
  std::vector<ResultColumn> columns;  // of the SELECT, partition columns last (Athena's rule)
  std::vector<WrittenFile> files;
  QueryStats stats;
};

// Cancels a running query from another thread (StopQueryExecution, timeouts, shutdown).
class Cancellation {
 public:
  // Marks the query cancelled and interrupts the statement running for it, if any. Thread-safe.
  void Cancel() LOCKS_EXCLUDED(mu_);
  bool cancelled() const LOCKS_EXCLUDED(mu_);
  // Engine use: the action Cancel() takes while a statement runs (duckdb_interrupt).
  void SetInterrupt(std::function<void()> interrupt) LOCKS_EXCLUDED(mu_);
  void ClearInterrupt() LOCKS_EXCLUDED(mu_);

 private:
  mutable Mutex mu_;
  bool cancelled_ GUARDED_BY(mu_) = false;
  std::function<void()> interrupt_ GUARDED_BY(mu_);
};

struct QueryContext {
  std::string database = "default";  // QueryExecutionContext.Database
  std::chrono::milliseconds timeout{30 * 60 * 1000};
  // RunSelect: a result CSV of at most this many bytes comes back in SelectOutcome::csv instead of a
  // file (a file creation costs more than a small result). 0: always a file.
  std::uint64_t in_memory_result_bytes = 0;
  // Trino's analyzer refuses to compare values of incomparable types (varchar = integer, timestamp < varchar:
  // TYPE_MISMATCH); DuckDB casts. False keeps DuckDB's casts (CloudTrail Lake compares eventTime with text).
  bool check_operand_types = true;
};

struct EngineOptions {
  std::string scratch_dir;                 // DuckDB temp files and RunSelectIntoFiles output
  std::vector<std::string> readable_dirs;  // where bound files live (S3 blobs and its cache)
  std::uint64_t memory_limit_bytes = 0;    // 0: half of physical memory
  int threads = 0;                         // DuckDB threads per query; 0: cores
  // How often links to data files that no longer exist are removed from the link directory
  // (link_directory.hpp), in the background when a query starts. 0: before every query, in its thread.
  int link_sweep_interval_s = 600;
  // How long DuckDB's allocator keeps freed memory before handing it back to the kernel (SetAllocatorDecay
  // in instance.cpp); 0: DuckDB's own setting (1 s). Process-wide: the allocator is shared by every engine.
  int allocator_decay_ms = 10000;
  // Where the engine runs its background tasks (the watchdog that enforces QueryContext::timeout, the link
  // sweep). Borrowed: it must outlive the engine. It may be stopped first (the platform's shutdown): from
  // then on no timeout fires and no link is swept. nullptr: the engine runs them on a private runner.
  BackgroundTasks* background_tasks = nullptr;
};

// ---- one object queried in place (S3 Select, engine.hpp QueryEngine::OpenObjectSelect)

// The file an object query reads, and how to read it. The engine turns it into the relation `s3object`:
//   CSV: one VARCHAR column per field, named by the header row (header_names) or _1, _2, ... (otherwise);
//        rows with fewer fields are padded with NULLs;
//   JSON (lines or document): one JSON column `json`, a row per top-level value of the file (a line of a
//        JSON Lines file; each document of a file holding one or more concatenated documents);
//   Parquet: the file's own columns and types.
struct ObjectSource {
  enum class Format { kCsv, kJsonLines, kJsonDocument, kParquet };
  std::string path;  // local file, under EngineOptions::readable_dirs
  std::string name;  // what error messages call it (the object's key); never a local path
  Format format = Format::kCsv;
  bool gzip = false;  // text formats: the file is gzip-compressed
  // CSV: whether the first record is a header row (never data), and whether its fields name the columns.
  bool header = false;
  bool header_names = false;
  std::string delimiter = ",";  // one character
  std::string quote = "\"";     // one character, or "" for none
  std::string escape = "\"";    // one character, or "" for none
  std::string comment;          // lines starting with this character are skipped; "" for none
  std::string new_line;         // the record delimiter: "\n", "\r\n" or "\r"; "" to detect
};

// A column of `s3object` (QueryEngine::DescribeObject).
struct SourceColumn {
  std::string name;
  std::string duckdb_type;  // as DESCRIBE prints it: VARCHAR, BIGINT, JSON, STRUCT(a INTEGER), ...
};

// A batch of result rows whose columns are all text: row-major, `columns` values a row, nullopt for NULL.
// The views stay valid until the next TextCursor::Next call.
struct TextBatch {
  std::size_t columns = 0;
  std::vector<std::optional<std::string_view>> values;
  std::size_t rows() const { return columns == 0 ? 0 : values.size() / columns; }
};

// The rows of a running object query, pulled batch by batch so that a reader that stops reading stops the
// query (memory stays bounded by the batches in flight). Owns a connection until destroyed; destroying it
// before the end abandons the query. Not thread-safe: one reader.
class TextCursor {
 public:
  virtual ~TextCursor() = default;
  // Fills `batch` with the next rows (at most a few thousand); false once the result is exhausted. A
  // failure (a file that does not parse, a cast that fails, the timeout) ends the cursor.
  virtual Result<bool> Next(TextBatch& batch) = 0;
};

class QueryEngine {
 public:
  static Result<std::unique_ptr<QueryEngine>> Open(const EngineOptions& options);
  // The same engine, opened on its first use (the server: DuckDB costs ~40 MiB and tens of ms to open,
  // which a server used only for S3 never needs). An Open failure fails that call; the next call
  // tries again.
  static Result<std::unique_ptr<QueryEngine>> OpenLazily(const EngineOptions& options);
  virtual ~QueryEngine() = default;

  // Runs one user SELECT and writes its rows to `csv_path` the way Athena writes results: a header row
  // of column names, then one line per row, every value double-quoted (quotes doubled), NULL as an
  // empty unquoted field, values formatted as Athena prints them (timestamps "2024-05-01 12:00:00.000",
  // arrays "[1, 2]", maps "{a=1}", booleans "true").
  // Errors: the sandbox's (AccessDenied-like, code "SECURITY"), syntax ("SYNTAX_ERROR: line 1:8: ..."),
  // binding (table/column not found), execution, cancellation ("Query was cancelled"), timeout.
  virtual Result<SelectOutcome> RunSelect(const std::string& sql, const QueryContext& ctx,
                                          TableResolver& resolver, const std::string& csv_path,
                                          Cancellation& cancel) = 0;

  // Runs one user SELECT and writes its rows as files (CTAS, INSERT INTO) under spec.out_dir.
  virtual Result<WriteOutcome> RunSelectIntoFiles(const std::string& sql, const QueryContext& ctx,
                                                  TableResolver& resolver, const WriteSpec& spec,
                                                  Cancellation& cancel) = 0;

  // Checks and binds a user SELECT without running it; returns its result columns (CREATE VIEW,
  // INSERT INTO's column check).
  virtual Result<std::vector<ResultColumn>> DescribeSelect(const std::string& sql, const QueryContext& ctx,
                                                           TableResolver& resolver) = 0;

  // The columns of `s3object` over `source` (ObjectSource), reading only what the format needs to tell
  // them (a CSV's first records, a Parquet footer). Errors as OpenObjectSelect's.
  virtual Result<std::vector<SourceColumn>> DescribeObject(const ObjectSource& source) = 0;

  // Runs `sql`, one SELECT over the relation `s3object` that Cenote built (S3 Select's translation, which
  // quotes every user value), over `source`, and hands back its rows as they are produced. The statement
  // goes through the sandbox like user SQL (only `s3object` may be named, no table functions, no settings);
  // every result column must be VARCHAR. `ctx.timeout` bounds the whole query, however slowly the rows are
  // read. Errors: the sandbox's (SECURITY), DuckDB's as ErrorFromDuckDb words them (INVALID_CAST_ARGUMENT,
  // COLUMN_NOT_FOUND, GENERIC_INTERNAL_ERROR with DuckDB's text, ...), TIMEOUT; messages name the object
  // (ObjectSource::name), never a local path.
  virtual Result<std::unique_ptr<TextCursor>> OpenObjectSelect(const std::string& sql,
                                                               const ObjectSource& source,
                                                               const QueryContext& ctx) = 0;

  // Trusted SQL from Cenote itself (crawlers reading sample files): no sandbox, still subject to the
  // instance's lockdown (only readable_dirs and scratch_dir). Values as DuckDB prints them; NULL ->
  // nullopt. Never pass user text here.
  using Rows = std::vector<std::vector<std::optional<std::string>>>;
  virtual Result<Rows> ExecuteTrusted(const std::string& sql) = 0;
};

// ---- type mapping shared by the engine, the crawlers and Athena (src/query/types.cpp)

// Glue/Hive type -> DuckDB type ("array<struct<a:int>>" -> "STRUCT(a INTEGER)[]"). InvalidInput if the
// type string does not parse.
Result<std::string> GlueTypeToDuckDb(const std::string& glue_type);
// DuckDB type (as DESCRIBE prints it) -> Glue/Hive type ("VARCHAR" -> "string", "BIGINT" -> "bigint",
// "TIMESTAMP" -> "timestamp", "STRUCT(a INTEGER)[]" -> "array<struct<a:int>>").
std::string DuckDbTypeToGlue(const std::string& duckdb_type);
// DuckDB type -> Athena result column type.
ResultColumn DuckDbTypeToAthena(const std::string& name, const std::string& duckdb_type);

}  // namespace cenote::query
