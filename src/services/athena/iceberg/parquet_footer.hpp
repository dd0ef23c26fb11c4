// Parquet footers (FileMetaData, Thrift compact protocol) read without the engine: the row count for the
// record_count of Iceberg manifest entries, the top-level columns with their field ids. Errors:
// ICEBERG_BAD_DATA when the file is not Parquet.
#pragma once

#include <cstdint>
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

}  // namespace cenote::athena::iceberg
