// Parquet footers (FileMetaData, Thrift compact protocol) read without the engine: the row count for the
// record_count of Iceberg manifest entries, the top-level columns with their field ids. Errors:
// ICEBERG_BAD_DATA when the file is not Parquet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace cenote::athena::iceberg {

Result<std::int64_t> ParquetRowCount(const std::string& local_path);

// A column of a Parquet file's schema (FileMetaData.schema): its name, children and Iceberg field id (-1:
// none).
struct ParquetSchemaElement {
  std::string name;
  int num_children = 0;
  int field_id = -1;
};
// The top-level columns of a Parquet file, in file order (Iceberg's column projection by field id).
Result<std::vector<ParquetSchemaElement>> ParquetTopLevelColumns(const std::string& local_path);

// What a Parquet file's footer says of one top-level primitive column over all its row groups: the
// schema element's types and the column chunks' num_values and Statistics (null_count, min_value,
// max_value: the type-defined order's min and max in the physical type's plain encoding; the deprecated
// min / max fields are not read, their order is undefined for byte arrays).
struct ParquetColumnStats {
  std::string name;
  int field_id = -1;
  int physical_type = -1;  // Type: 0 BOOLEAN, 1 INT32, 2 INT64, 3 INT96, 4 FLOAT, 5 DOUBLE, 6 BYTE_ARRAY,
                           // 7 FIXED_LEN_BYTE_ARRAY
  int type_length = 0;
  int converted_type = -1;      // ConvertedType (5 DECIMAL, 6 DATE, 9 TIMESTAMP_MILLIS, 10 TIMESTAMP_MICROS)
  int scale = -1;               // DECIMAL's scale
  int time_unit = 0;            // LogicalType TIMESTAMP's unit: 1 MILLIS, 2 MICROS, 3 NANOS; 0 none
  std::int64_t num_values = 0;  // values and NULLs, summed over the row groups
  std::optional<std::int64_t> null_count;  // nullopt when a row group does not say
  // nullopt when a row group with non-NULL values has no min_value / max_value, or one is NaN.
  std::optional<std::string> min;
  std::optional<std::string> max;
};
// The top-level primitive (non-nested) columns of a Parquet file, in file order.
Result<std::vector<ParquetColumnStats>> ParquetColumnStatistics(const std::string& local_path);

}  // namespace cenote::athena::iceberg
