// The Apache Iceberg v2 table format (format/spec.md of apache/iceberg): table metadata JSON, manifest
// lists and manifests (Avro, iceberg/avro.hpp), partition specs with hidden transforms, snapshots and
// their summaries. Pure functions over documents and bytes; the lake and the Glue catalog are the
// caller's (iceberg/tables.cpp).
//
// What is written: format-version 2 metadata with one schema, one partition spec and the unsorted sort
// order; data manifests whose ADDED entries inherit their sequence numbers from the manifest list; manifest
// lists with every manifest of the parent snapshot plus the new ones; delete manifests of Parquet position
// delete files (row-level DELETE / UPDATE / MERGE, merge-on-read); data files' column metrics and manifests'
// partition summaries as iceberg/metrics.hpp computes them. What is read: any v1 or v2 table's
// current schema, default spec, snapshots, snapshot log, manifest lists, data and delete manifests
// (position and equality delete files, with their equality field ids), data files' column metrics (value,
// NULL and NaN counts, lower and upper bounds) for pruning.
//
// Errors: code "ICEBERG_BAD_DATA" (malformed metadata or manifests), "NOT_SUPPORTED" (a type or transform
// Cenote does not write).
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/athena/iceberg/avro.hpp"

namespace cenote::athena::iceberg {

namespace json = boost::json;

struct Column {
  int id = 0;
  std::string name;
  std::string type;  // Iceberg primitive type: boolean, int, long, float, double, date, timestamp,
                     // timestamptz, string, binary, decimal(P,S), uuid, ...
  bool required = false;
};

// A partition field of the default spec. `transform`: identity, bucket[N], truncate[W], year, month, day,
// hour, void.
struct PartitionField {
  int source_id = 0;
  int field_id = 0;
  std::string name;
  std::string transform;
};

// A partitioning term as written in DDL: `col`, `bucket(16, col)`, `truncate(3, col)`, `year(col)` ...
struct TransformTerm {
  std::string transform;  // identity, bucket, truncate, year, month, day, hour
  std::string column;     // lower-case
  int param = 0;          // bucket count / truncate width
};
// Parses one term ("day(ts)", "bucket(16, id)", "id"). Errors: NOT_SUPPORTED / INVALID_TABLE_PROPERTY.
Result<TransformTerm> ParseTransformTerm(std::string_view text);

// Hive/Glue column type -> Iceberg type ("bigint" -> "long"); NOT_SUPPORTED for types Cenote does not
// write to Iceberg (tinyint, smallint, char, varchar(n) are refused as Athena refuses them; nested types).
Result<std::string> IcebergType(const std::string& hive_type);
// Iceberg type -> the Glue column type Athena shows ("long" -> "bigint", "timestamptz" -> "timestamp").
std::string GlueType(const std::string& iceberg_type);

// A new table's metadata (no snapshot): columns get ids 1..n, partition fields ids from 1000.
Result<json::object> NewMetadata(const std::string& location, const std::string& table_uuid,
                                 const std::vector<std::pair<std::string, std::string>>& hive_columns,
                                 const std::vector<TransformTerm>& partitioning,
                                 const std::vector<std::pair<std::string, std::string>>& properties,
                                 std::int64_t now_ms);
// The table metadata JSON as written to <location>/metadata/.
std::string Serialize(const json::object& metadata);
Result<json::object> ParseMetadata(std::string_view text);

Result<std::vector<Column>> CurrentSchema(const json::object& md);
// Whether a field id ever had two names or a name two field ids across the metadata's schemas (a rename,
// or a column dropped and added again): data files must then be read by field id, not by name.
bool ColumnsRenamed(const json::object& md);
// The table property schema.name-mapping.default (spec "Column Projection"): lower-case name -> field id,
// for data files written without field ids (top-level fields).
std::map<std::string, int> NameMapping(const json::object& md);
Result<std::vector<PartitionField>> DefaultSpec(const json::object& md);
// The fields of spec `spec_id` (ICEBERG_BAD_DATA when the metadata has no such spec), and every spec of the
// metadata with its id (a table whose partitioning evolved has several; v1's partition-spec is one).
Result<std::vector<PartitionField>> SpecOf(const json::object& md, std::int64_t spec_id);
std::vector<std::pair<int, std::vector<PartitionField>>> PartitionSpecs(const json::object& md);
std::int64_t DefaultSpecId(const json::object& md);
std::optional<std::int64_t> CurrentSnapshotId(const json::object& md);
const json::object* FindSnapshot(const json::object& md, std::int64_t snapshot_id);
// The snapshot current at `timestamp_ms` (the last snapshot-log entry at or before it), as Trino resolves
// FOR TIMESTAMP AS OF.
std::optional<std::int64_t> SnapshotAsOf(const json::object& md, std::int64_t timestamp_ms);
std::string TableLocation(const json::object& md);

struct DataFile {
  int content = 0;  // 0 data, 1 position deletes, 2 equality deletes
  std::string path;
  std::string format = "PARQUET";
  std::vector<std::pair<std::string, avro::Value>> partition;  // by partition field name, spec order
  std::int64_t record_count = 0;
  std::int64_t size = 0;
  std::vector<int> equality_ids;  // equality deletes: the field ids a row is matched on
  // Column metrics by field id (spec "Manifests": value_counts, null_value_counts, nan_value_counts,
  // lower_bounds, upper_bounds; bounds in the single-value serialization of Appendix D, of the type the
  // column had when the file was written). Read from manifests; Cenote's own files get theirs from their
  // Parquet footers (iceberg/metrics.hpp).
  std::map<int, std::int64_t> value_counts = {};
  std::map<int, std::int64_t> null_value_counts = {};
  std::map<int, std::int64_t> nan_value_counts = {};
  std::map<int, std::string> lower_bounds = {};
  std::map<int, std::string> upper_bounds = {};
  // The partition spec `partition` is of (a delete file takes its data file's); -1: the default spec.
  int spec_id = -1;
};

// A column bound (Appendix D, "Binary single-value serialization") as text that casts to the DuckDB type of
// an Iceberg column of type `type` ("42", "2024-05-01", "2024-05-01 10:00:00.000000", "12.50", a string's
// bytes), read as the type it may have had before a promotion (int -> long, float -> double: by its
// length). nullopt when it cannot be written exactly: NaN, a type Cenote does not compare on (binary,
// fixed, uuid, nested), a length that fits no type, a string with a NUL byte.
std::optional<std::string> BoundText(const std::string& type, std::string_view bytes);

struct ManifestEntry {
  int status = 1;   // 0 EXISTING, 1 ADDED, 2 DELETED
  int spec_id = 0;  // the partition spec of its manifest (the manifest list's partition_spec_id)
  std::int64_t snapshot_id = 0;
  std::int64_t sequence_number = 0;
  std::int64_t file_sequence_number = 0;
  DataFile file;
};

struct ManifestFile {
  std::string path;
  std::int64_t length = 0;
  int spec_id = 0;
  int content = 0;  // 0 data, 1 deletes
  std::int64_t sequence_number = 0;
  std::int64_t min_sequence_number = 0;
  std::int64_t added_snapshot_id = 0;
  int added_files = 0;
  int existing_files = 0;
  int deleted_files = 0;
  std::int64_t added_rows = 0;
  std::int64_t existing_rows = 0;
  std::int64_t deleted_rows = 0;
  // The manifest list's partition summaries (spec "Manifest Lists": field_summary), one per partition field
  // of its spec in order; bounds in the single-value serialization of the field's result type. Empty when
  // the list has none (Cenote writes them for the result types of iceberg/metrics.hpp's PartitionSummaries).
  struct FieldSummary {
    bool contains_null = true;
    std::optional<bool> contains_nan = std::nullopt;
    std::optional<std::string> lower;
    std::optional<std::string> upper;
  };
  std::vector<FieldSummary> partitions = {};
};

// A manifest of `files`, all ADDED by `snapshot_id` (sequence numbers inherited): a data manifest
// (content 0) or a delete manifest (content 1, of position or equality delete files). A manifest holds
// files of one partition spec: `spec_id` (-1: the default spec).
Result<std::string> WriteManifest(const json::object& md, std::int64_t snapshot_id,
                                  const std::vector<DataFile>& files, int content = 0,
                                  std::int64_t spec_id = -1);
// A manifest of `entries` as given (status ADDED / EXISTING / DELETED): ADDED entries inherit their
// sequence numbers, the others are written with theirs (a rewrite's manifests). Entries of spec `spec_id`
// (-1: the default spec).
Result<std::string> WriteManifestEntries(const json::object& md, const std::vector<ManifestEntry>& entries,
                                         int content, std::int64_t spec_id = -1);
// Entries with inherited snapshot ids and sequence numbers filled from `listed` (its manifest-list row).
Result<std::vector<ManifestEntry>> ReadManifest(std::string_view bytes, const ManifestFile& listed);
Result<std::string> WriteManifestList(std::int64_t snapshot_id, std::optional<std::int64_t> parent_id,
                                      std::int64_t sequence_number,
                                      const std::vector<ManifestFile>& manifests);
// v1 lists (no content / sequence numbers) read with content 0 and sequence number 0.
Result<std::vector<ManifestFile>> ReadManifestList(std::string_view bytes);

// The metadata with `columns` as its new current schema (schema-id one past the largest, last-column-id
// raised to the largest column id); snapshots keep the schema they were written with.
json::object WithSchema(json::object md, const std::vector<Column>& columns);
// Whether Iceberg allows a column of type `from` to become `to` (spec "Schema Evolution": int -> long,
// float -> double, decimal(P,S) -> decimal(P',S) with P' >= P; the same type).
bool CanPromote(const std::string& from, const std::string& to);

// The metadata after an append commit: a new snapshot (sequence number last+1) whose summary counts the
// added files and rows on top of the parent's totals, made current on branch main, in the snapshot log;
// `previous_metadata` (the file this metadata replaces) joins the metadata log.
json::object WithAppend(json::object md, std::int64_t snapshot_id, const std::string& manifest_list,
                        const std::vector<DataFile>& added, std::int64_t now_ms,
                        const std::string& previous_metadata);
// The same for any commit that adds data files and delete files (row-level DELETE, UPDATE, MERGE):
// `operation` is the summary's ("append", "overwrite", "delete"); the summary counts the added delete
// files and position / equality deletes on top of the parent's totals.
json::object WithCommit(json::object md, std::int64_t snapshot_id, const std::string& manifest_list,
                        const std::vector<DataFile>& added, const std::vector<DataFile>& added_deletes,
                        const std::string& operation, std::int64_t now_ms,
                        const std::string& previous_metadata);

// The transform's value as DuckDB SQL over `column_sql` (the engine computes it per row:
// query::WriteSpec::computed_partitions, and over a filter's literal for pruning); bucket[N] calls the
// engine's __cenote_iceberg_bucket (common/murmur3.hpp). The result's text form is turned back into the
// partition value by PartitionValue. NOT_SUPPORTED / INVALID_TABLE_PROPERTY for source types a
// transform does not take.
Result<std::string> TransformSql(const PartitionField& field, const Column& source,
                                 const std::string& column_sql);
// The partition tuple value from the text the engine wrote ("__HIVE_DEFAULT_PARTITION__": null).
Result<avro::Value> PartitionValue(const PartitionField& field, const Column& source,
                                   const std::string& text);
// The Avro schema of a partition value (a union with null).
json::value PartitionAvroType(const PartitionField& field, const Column& source);
// The partition value as text for paths and metadata tables ("2024-05-01" for a day, "null").
std::string PartitionText(const PartitionField& field, const avro::Value& value);

// Days since 1970-01-01 of "YYYY-MM-DD"; nullopt if malformed.
std::optional<std::int64_t> ParseDate(std::string_view text);
std::string FormatDate(std::int64_t days);

}  // namespace cenote::athena::iceberg
