// The statements Athena accepts, classified and (for Hive DDL) parsed. Pure: no I/O.
//
// Athena routes a query by its leading keywords: SELECT / WITH / VALUES / ( / EXPLAIN go to the SQL
// engine (Trino dialect, handled by query::QueryEngine), the Hive DDL statements (CREATE/DROP DATABASE,
// CREATE EXTERNAL TABLE, SHOW ..., DESCRIBE, MSCK REPAIR TABLE, ALTER TABLE ... PARTITION) are parsed
// here, and CTAS / CREATE VIEW / INSERT INTO are split into their DDL head and the SELECT they embed
// (kept as the user's text). Comments (-- and /* */) and one trailing ';' are ignored.
//
// Parse errors are reported the way Athena reports Hive DDL errors: an Error with code "PARSE" and a
// message "line L:C: <what>" (L, C 1-based) that the caller prefixes ("FAILED: ParseException ...").
// Statements Athena does not run (UPDATE/DELETE/MERGE on Hive tables, GRANT, ...) classify as
// kUnsupported with Athena's NOT_SUPPORTED wording in `unsupported_reason`.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace cenote::athena {

enum class StatementKind {
  kSelect,  // SELECT, WITH, VALUES, ( ... ), EXPLAIN (query = the whole text)
  kCreateDatabase,
  kDropDatabase,
  kCreateTable,  // CREATE EXTERNAL TABLE
  kCreateTableAs,
  kDropTable,
  kCreateView,
  kDropView,
  kInsertInto,
  kShowDatabases,
  kShowTables,
  kShowViews,
  kShowPartitions,
  kShowColumns,
  kShowCreateTable,
  kShowTblProperties,
  kDescribe,
  kMsckRepair,
  kAlterAddPartitions,
  kAlterDropPartitions,
  // Row-level DML (Iceberg tables only): the target in database/name, the whole text in query; the rest is
  // parsed by iceberg/row_level.hpp.
  kDelete,
  kUpdate,
  kMerge,
  // Iceberg table maintenance: OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE ...] (whole text in query),
  // VACUUM t.
  kOptimize,
  kVacuum,
  // Schema evolution (Iceberg tables): ADD COLUMNS (columns), DROP COLUMN (pattern = the column), CHANGE
  // [COLUMN] old new type [COMMENT c] [FIRST | AFTER col] (pattern = old, columns = {new, type},
  // column_after).
  kAlterAddColumns,
  kAlterDropColumn,
  kAlterChangeColumn,
  // ALTER TABLE [db.]t RENAME TO [db2.]t2: the source in database/name, the target in new_database/new_name.
  // Iceberg tables only; Hive tables answer the Glue refusal Athena reports.
  kAlterRenameTable,
  kUnsupported,
};

using Properties = std::vector<std::pair<std::string, std::string>>;

struct ColumnSpec {
  std::string name;  // lower-case
  std::string type;  // normalized Hive type: "int", "decimal(10,2)", "array<struct<a:int,b:string>>"
  std::string comment;
};

struct PartitionSpec {
  Properties values;     // key (lower-case) -> value, in the order written
  std::string location;  // "" = default (table location + k=v/...)
};

struct Statement {
  StatementKind kind = StatementKind::kUnsupported;
  std::string statement_type;     // Athena's StatementType: DDL, DML, UTILITY
  std::string substatement_type;  // SELECT, CREATE_TABLE, SHOW_TABLES, ...

  std::string database;  // the qualifier written ("" = the context's database)
  std::string name;      // database / table / view name (lower-case)
  bool if_not_exists = false;
  bool if_exists = false;
  bool cascade = false;
  bool or_replace = false;
  bool formatted = false;  // DESCRIBE FORMATTED / EXTENDED
  bool external = false;
  std::string comment;
  std::string location;
  std::string pattern;  // SHOW ... LIKE 'x' / SHOW TABLES 'regex'
  // ALTER TABLE CHANGE COLUMN ... FIRST / AFTER col (lower-case); neither: the column stays in place.
  bool column_first = false;
  std::string column_after;
  Properties properties;  // DBPROPERTIES, TBLPROPERTIES, CTAS WITH (...) (keys lower-case for CTAS)

  // CREATE EXTERNAL TABLE
  std::vector<ColumnSpec> columns;
  std::vector<ColumnSpec> partition_keys;
  // PARTITIONED BY (col, bucket(16, col), day(col), ...) of an Iceberg table: the terms as written.
  std::vector<std::string> partition_transforms;
  bool row_format_delimited = false;
  Properties delimited;  // field.delim, escape.delim, line.delim, collection.delim, mapkey.delim,
                         // serialization.null.format, in Hive's SerDe parameter names
  std::string serde;     // ROW FORMAT SERDE 'class'
  Properties serde_properties;
  std::string stored_as;  // upper-case: PARQUET, TEXTFILE, ORC, JSON, AVRO, ... ("" = not given)
  std::string input_format;
  std::string output_format;

  // ALTER TABLE RENAME TO: the target as written (new_database "" = the context's database)
  std::string new_database;
  std::string new_name;

  // ALTER TABLE ADD/DROP PARTITION
  std::vector<PartitionSpec> partitions;

  // The embedded SELECT (CTAS, CREATE VIEW, INSERT INTO) or the whole query (kSelect), as written.
  std::string query;
  std::vector<std::string> insert_columns;
  bool with_no_data = false;

  std::string unsupported_reason;
};

// Classifies and parses one statement. Errors: code "PARSE", message "line L:C: ...".
Result<Statement> ParseStatement(const std::string& sql);

// Hive type normalization used by the parser ("INTEGER" -> "int", "Array < String >" -> "array<string>").
// Errors like ParseStatement's, positions relative to `type`.
Result<std::string> NormalizeHiveType(const std::string& type);

// Replaces each `?` placeholder outside strings, quoted identifiers and comments with the next of
// `parameters` (StartQueryExecution's ExecutionParameters: SQL literals, inserted as written). Errors:
// code "INVALID_PARAMETER_USAGE" when the counts differ (Trino's "Incorrect number of parameters").
Result<std::string> SubstituteParameters(const std::string& sql, const std::vector<std::string>& parameters);

// The text with SQL comments removed and surrounding whitespace / a trailing ';' stripped.
std::string StripSqlComments(const std::string& sql);

}  // namespace cenote::athena
