// The row count of a Parquet file, from its footer (FileMetaData.num_rows, Thrift compact protocol), for
// the record_count of Iceberg manifest entries. Errors: ICEBERG_BAD_DATA when the file is not Parquet.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"

namespace cenote::athena::iceberg {

Result<std::int64_t> ParquetRowCount(const std::string& local_path);

}  // namespace cenote::athena::iceberg
