// The TableInput / PartitionInput documents a crawler writes, in the exact form AWS's crawler writes them
// (Athena and other engines bind tables from these fields):
//   CSV     LazySimpleSerDe {"field.delim": d} (OpenCSVSerde {"separatorChar", "quoteChar"} when values
//           are quoted), TextInputFormat / HiveIgnoreKeyTextOutputFormat, classification "csv",
//           delimiter, skip.header.line.count "1" with a header, areColumnsQuoted, columnsOrdered;
//   JSON    org.openx.data.jsonserde.JsonSerDe {"paths": "a,b,c"}, TextInputFormat, classification "json";
//   Parquet ParquetHiveSerDe {"serialization.format": "1"}, MapredParquetInput/OutputFormat,
//           classification "parquet".
// Every table also gets compressionType, typeOfData "file", recordCount, averageRecordSize, objectCount,
// sizeKey, UPDATED_BY_CRAWLER and the CrawlerSchema(De)SerializerVersion parameters, on the table and its
// StorageDescriptor; TableType EXTERNAL_TABLE; Location s3://bucket/folder/ (partitions: their folder).
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "services/glue/crawler/layout.hpp"

namespace cenote::glue::crawler {

struct TableSpec {
  std::string name;
  std::string location;  // s3://bucket/prefix/
  FileSchema schema;
  std::vector<std::string> partition_keys;
  std::string crawler_name;
  std::uint64_t record_count = 0;
  std::uint64_t average_record_size = 0;
  std::uint64_t object_count = 0;
  std::uint64_t size_bytes = 0;
};

boost::json::object BuildStorageDescriptor(const TableSpec& spec, const std::string& location);
boost::json::object BuildTableInput(const TableSpec& spec);
// `spec`'s statistics are the partition's own.
boost::json::object BuildPartitionInput(const TableSpec& spec, const std::vector<std::string>& values,
                                        const std::string& location);

// Whether an existing catalog Table document has the columns, partition keys and format `input` would
// write (only what a crawler decides: not statistics, not user parameters).
bool SameSchema(const boost::json::object& existing_table, const boost::json::object& input);

// The existing table's columns followed by `input`'s new ones (MergeNewColumns), written into `input`.
void MergeExistingColumns(const boost::json::object& existing_table, boost::json::object& input);

// A TableInput for UpdateTable from an existing Table document (output-only members dropped).
boost::json::object TableInputFromTable(const boost::json::object& table);

}  // namespace cenote::glue::crawler
