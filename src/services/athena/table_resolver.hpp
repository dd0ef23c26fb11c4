// CatalogTableResolver: query::TableResolver over the Glue Catalog and the lake, as Athena binds tables.
//
// Describe maps a Glue Table to a TableBinding by its SerDe / InputFormat / classification:
//   LazySimpleSerDe, TextInputFormat   -> CSV; field.delim (Hive's default is \001 when the SerDe has no
//                                         field.delim), escape.delim, serialization.null.format,
//                                         skip.header.line.count (a table parameter)
//   OpenCSVSerde                       -> CSV; separatorChar (default ','), quoteChar ('"'),
//                                         escapeChar ('\\'); every column is read as a string
//   org.openx...JsonSerDe, hcatalog JsonSerDe, classification json -> JSON
//   ParquetHiveSerDe, MapredParquetInputFormat, classification parquet -> Parquet
//   OrcSerde, OrcInputFormat           -> ORC: each file converted to JSON lines like Avro's, columns by
//                                         position unless orc.column.index.access is false
//   AvroSerDe, AvroContainerInputFormat, classification avro -> Avro: each file converted to JSON lines in
//                                         the scratch directory for the statement (serde_files.hpp)
//   Text objects named .bz2, .snappy, .lz4 or .deflate are decompressed into the scratch directory first
//   (DuckDB reads .gz and .zst itself); .lzo is NOT_SUPPORTED.
//   OpenX JsonSerDe: case.insensitive, ignore.malformed.json, dots.in.keys, mapping.* (TableBinding)
//   LazySimpleSerDe: also collection.delim, mapkey.delim
//   RegexSerDe                         -> lines matched whole by input.regex, one column per group
//   TableType VIRTUAL_VIEW             -> a view; its SQL is the originalSql of the Presto View JSON
// Partitions come from Catalog::GetPartitions (all pages), or from the table's projection.* properties when
// projection is enabled (partition_projection.hpp); Files from LakeAccess::ListObjects under the
// location (the whole subtree), skipping hidden objects (`_*`, `.*` in any path segment below the
// location), `*_$folder$` and zero-byte folder markers, each with its LocalPath.
//
// Errors: TABLE_NOT_FOUND / SCHEMA_NOT_FOUND (code and message as Athena words them, without position),
// HIVE_UNKNOWN_ERROR for tables Cenote cannot read, and the lake's errors for listing.
//
// Thread safety: usable from any thread; one resolver serves one statement (it remembers the files it
// bound, for ScrubPaths).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.hpp"
#include "query/engine.hpp"
#include "services/glue/catalog.hpp"
#include "services/s3/lake_access.hpp"

namespace cenote::athena {

struct S3Url {
  std::string bucket;
  std::string key;  // may be empty (bucket root)
};
// "s3://bucket/key" (also s3a://, s3n://). nullopt if not an S3 URL with a bucket.
std::optional<S3Url> ParseS3Url(const std::string& url);
// "s3://bucket/prefix" -> "s3://bucket/prefix/" (a folder URL).
std::string AsFolder(const std::string& url);

// Maps a Glue Table document to a binding (pure; exposed for tests).
Result<query::TableBinding> TableBindingFromGlue(const boost::json::object& table,
                                                 const std::string& database);

// Decodes a view's "/* Presto View: <base64> */" into its JSON object; nullopt if malformed.
std::optional<boost::json::object> DecodePrestoView(const std::string& view_original_text);
std::string EncodePrestoView(const boost::json::object& view);

class CatalogTableResolver : public query::TableResolver {
 public:
  // Objects per location listing; more is an error ("too many files").
  static constexpr std::size_t kMaxFiles = 100000;

  CatalogTableResolver(glue::RegionalCatalog& catalog, s3::LakeAccess& lake)
      : catalog_(catalog), lake_(lake) {}
  ~CatalogTableResolver() override;  // removes the metadata-table files it wrote

  // Where Iceberg metadata tables ("t$snapshots", "t$history", "t$files") are written as JSON for the engine
  // (a directory the engine may read). Unset: metadata tables are refused.
  void SetScratchDir(std::string dir) { scratch_dir_ = std::move(dir); }

  Result<query::TableBinding> Describe(const std::string& database, const std::string& table) override;
  Result<std::vector<query::PartitionBinding>> Partitions(const query::TableBinding& table) override;
  // Iceberg tables: data manifests offered to `keep` first (their partition summaries), only the kept ones
  // read. Other tables: Partitions.
  Result<std::vector<query::PartitionBinding>> PlannedPartitions(const query::TableBinding& table,
                                                                 const PartitionFilter& keep) override;
  Result<std::vector<query::TableFile>> Files(const query::TableBinding& table,
                                              const query::PartitionBinding& partition) override;

  // Called before a table is described (read from the catalog): its denial fails the statement with Athena's
  // "Insufficient permissions to execute the query." Unset: no check (tests).
  void AuthorizeTablesWith(std::function<Status(const std::string&, const std::string&)> check) {
    authorize_ = std::move(check);
  }

  // Replaces the local paths of the files this resolver bound by their s3:// URLs, so failure reasons
  // (the engine's "HIVE_BAD_DATA: ... file '/data/s3/blobs/..'") never show server paths.
  std::string ScrubPaths(std::string message) const;

  // Partitions re-reads the table from the catalog (the binding carries no location).
 private:
  // An Iceberg table bound by Describe (iceberg/tables.cpp): its metadata, the snapshot read (nullopt: the
  // table has none) and, for a metadata table, the JSON file holding its rows.
  // The files of one partition (one spec id and partition tuple), with the values of the binding's
  // hidden partitions.
  struct IcebergGroup {
    std::vector<std::optional<std::string>> hidden_values;
    std::vector<std::optional<query::PartitionBinding::Range>> hidden_ranges;
    std::vector<query::TableFile> files;
  };
  struct IcebergBound {
    boost::json::object metadata;
    std::optional<std::int64_t> snapshot;
    std::string rows_file;
    std::uint64_t rows_size = 0;
    // Per TableBinding::hidden_partitions: partition field ids, or a column's field id negated (its bounds).
    std::vector<int> hidden_field_ids;
    std::shared_ptr<const std::vector<IcebergGroup>> groups;  // planned by Partitions
  };
  Result<query::TableBinding> DescribeIceberg(const std::string& database, const std::string& name,
                                              const std::string& suffix, const boost::json::object& table);
  // `keep`: the engine's filter of manifests (PlannedPartitions); nullptr reads every manifest.
  Result<std::vector<IcebergGroup>> IcebergFiles(const IcebergBound& bound,
                                                 const query::TableResolver::PartitionFilter* keep = nullptr);
  // A new scratch file (removed with the resolver) filled by `write`; `name` is the object it comes from.
  Result<std::string> ScratchCopy(const std::string& name, const std::string& extension,
                                  const std::function<Status(const std::string&)>& write);

  glue::RegionalCatalog& catalog_;
  s3::LakeAccess& lake_;
  std::function<Status(const std::string&, const std::string&)> authorize_;
  mutable Mutex mu_;
  std::map<std::string, std::string> bound_ GUARDED_BY(mu_);     // local path -> s3 URL
  std::map<std::string, IcebergBound> iceberg_ GUARDED_BY(mu_);  // "db.name" as bound -> its state
  std::string scratch_dir_;
  std::vector<std::string> scratch_files_ GUARDED_BY(mu_);
};

// Lists the data objects under `location` the way Athena reads a table or partition folder.
Result<std::vector<s3::LakeObject>> ListDataObjects(s3::LakeAccess& lake, const std::string& location,
                                                    std::size_t max_objects);

}  // namespace cenote::athena
