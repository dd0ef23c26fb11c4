// The files a query execution leaves in its output location, and how GetQueryResults reads them (Athena;
// CloudTrail Lake reads its query results the same way).
//
//   <id>.csv            SELECT results, as Athena writes them: a header row of column names, then one line
//                       per row; every value double-quoted (quotes doubled), NULL an empty unquoted field.
//                       CTAS / INSERT INTO leave an empty <id>.csv (their result is UpdateCount).
//   <id>.txt            DDL / utility results (SHOW, DESCRIBE, ...): one line per row, fields separated by
//                       tabs, no header, no quoting. A result with one column keeps tabs inside the value
//                       (DESCRIBE's "col_name\tdata_type\tcomment" rows, as Athena shows them).
//   <id>.csv.metadata / <id>.txt.metadata
//                       Athena writes a binary file here; Cenote writes JSON that GetQueryResults needs:
//                       {"version":1,"format":"csv"|"txt","header":bool,"update_count":N|-1,
//                        "columns":[{"name","type","precision","scale"}]}.
//
// Pure functions; no I/O except ReadResultRows, which reads a local file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "query/engine.hpp"

namespace cenote::query {

struct ResultMetadata {
  std::string format = "csv";  // "csv" | "txt"
  bool header = true;          // the first row of the file is the column names (csv of a SELECT)
  std::int64_t update_count = -1;
  std::vector<ResultColumn> columns;
};

std::string SerializeResultMetadata(const ResultMetadata& meta);
Result<ResultMetadata> ParseResultMetadata(const std::string& text);

using ResultRow = std::vector<std::optional<std::string>>;  // nullopt = NULL

struct ResultPage {
  std::vector<ResultRow> rows;
  std::uint64_t next_offset = 0;  // byte offset of the next row
  bool at_end = true;             // no row after these
};

// Reads up to `max_rows` rows of the result file at `path` from byte `offset`. CSV: RFC 4180 quoting
// (quoted fields may hold separators, quotes and newlines), an empty unquoted field is NULL. TXT: tab
// separated (split only when `columns` > 1), every value non-NULL. A trailing "\r" before "\n" is dropped.
Result<ResultPage> ReadResultRows(const std::string& path, const std::string& format, int columns,
                                  std::uint64_t offset, int max_rows);
// The same over the bytes of a result file held in memory.
Result<ResultPage> ReadResultRowsFrom(std::string_view content, const std::string& format, int columns,
                                      std::uint64_t offset, int max_rows);

// Athena's CSV quoting of one row (the engine writes SELECT results itself; this is for Cenote's own).
std::string CsvLine(const ResultRow& row);

// GetQueryResults' NextToken: opaque to clients, bound to the execution.
std::string EncodeResultToken(const std::string& query_execution_id, std::uint64_t offset);
// nullopt when the token is malformed or belongs to another execution.
std::optional<std::uint64_t> DecodeResultToken(const std::string& query_execution_id,
                                               const std::string& token);

}  // namespace cenote::query
