#!/usr/bin/env python3
"""Generates docs/athena-coverage.md from the pinned Athena model and the provider's operation table.

Usage: python3 src/services/athena/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/athena/athena_provider.cpp. The unit test
AthenaTest.CoverageDocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "StartQueryExecution": "QueryExecutionContext (Database, Catalog AwsDataCatalog), ResultConfiguration."
                           "OutputLocation or the workgroup's (the workgroup wins when it enforces its "
                           "configuration), ClientRequestToken idempotency, ExecutionParameters (? placeholders); runs on a "
                           "bounded pool "
                           "(QUEUED beyond max_concurrent_queries). ResultConfiguration.EncryptionConfiguration "
                           "(the workgroup's when it enforces its configuration or the request has none): SSE_S3 "
                           "and SSE_KMS (KmsKey required) write the result files, their .metadata and CTAS/INSERT "
                           "data files with S3 server-side encryption, SSE-KMS asked of KMS as the caller via S3 "
                           "(a caller without kms:GenerateDataKey on the key gets a FAILED query); CSE_KMS "
                           "(KmsKey required) encrypts the result file and its .metadata client-side as the S3 "
                           "encryption client v2 does (a KMS data key per object asked as the caller, AES-256-GCM, "
                           "the envelope in x-amz-meta-x-amz-key-v2 / -iv / -cek-alg / -wrap-alg kms+context / "
                           "-matdesc / -tag-len); CTAS/INSERT data files are not client-side encrypted (the bucket's "
                           "default encryption applies)",
    "GetQueryExecution": "Status (QUEUED/RUNNING/SUCCEEDED/FAILED/CANCELLED, StateChangeReason, AthenaError), "
                         "Statistics, StatementType, SubstatementType, ResultConfiguration.OutputLocation = "
                         "the result file; for a query still in flight the answer waits up to 100 ms for its final "
                         "state (fewer polls, completion noticed at once; at most 16 such polls wait at once)",
    "GetQueryResults": "CSE_KMS results decrypted with the caller's kms:Decrypt (InvalidRequestException "
                       "naming KMS's refusal otherwise); header row first for SELECT; NULL = Datum without VarCharValue; ColumnInfo as Athena; "
                       "MaxResults <= 1000; NextToken; UpdateCount for CTAS/INSERT",
    "StopQueryExecution": "QUEUED: cancelled at once; RUNNING: interrupted (duckdb_interrupt)",
    "ListQueryExecutions": "per workgroup, newest first",
    "GetQueryRuntimeStatistics": "Timeline and InputBytes only",
    "CreateWorkGroup": "Configuration stored as given (ResultConfiguration, EnforceWorkGroupConfiguration, ...), "
                       "Tags",
    "UpdateWorkGroup": "ConfigurationUpdates incl. ResultConfigurationUpdates (Remove* flags), State, Description",
    "DeleteWorkGroup": "primary cannot be deleted; RecursiveDeleteOption for workgroups with named queries",
    "TagResource": "workgroups",
    "UntagResource": "workgroups",
    "ListTagsForResource": "workgroups",
    "ListDataCatalogs": "AwsDataCatalog (GLUE) only",
    "GetDataCatalog": "AwsDataCatalog (GLUE) only",
    "ListDatabases": "over the Glue Data Catalog",
    "GetDatabase": "over the Glue Data Catalog",
    "ListTableMetadata": "over the Glue Data Catalog; Expression is Glue's table-name regex",
    "GetTableMetadata": "Parameters include location, inputformat, outputformat, serde.*",
}

STATEMENTS = [
    ("SELECT / WITH / VALUES / EXPLAIN", "QueryEngine (Trino dialect on DuckDB); CSV result with a header row"),
    ("CREATE DATABASE / SCHEMA", "IF NOT EXISTS, COMMENT, LOCATION, WITH DBPROPERTIES"),
    ("DROP DATABASE / SCHEMA", "IF EXISTS, CASCADE / RESTRICT"),
    ("CREATE EXTERNAL TABLE", "Hive types (array, map, struct, decimal(p,s), char/varchar(n)), COMMENT, "
                              "PARTITIONED BY, ROW FORMAT DELIMITED / SERDE ... WITH SERDEPROPERTIES, "
                              "STORED AS PARQUET/ORC/TEXTFILE/JSON/AVRO or INPUTFORMAT/OUTPUTFORMAT, LOCATION, "
                              "TBLPROPERTIES; stored in Glue as Athena stores it"),
    ("CREATE TABLE AS SELECT", "format PARQUET/JSON/TEXTFILE, external_location (must be empty), "
                               "partitioned_by, write_compression, WITH NO DATA; default location "
                               "<output>/tables/<query id>/"),
    ("SELECT from a Hive table", "SerDes: Parquet, LazySimpleSerDe (every ROW FORMAT DELIMITED option, array/map/"
                                 "struct columns), OpenCSVSerde, the OpenX and Hive JSON SerDes (case.insensitive, "
                                 "ignore.malformed.json, dots.in.keys, mapping.*), AvroSerDe (null/deflate/snappy/"
                                 "bzip2/zstandard), RegexSerDe; text compressed with gzip, zstd, bzip2, snappy, LZ4, "
                                 "deflate; skip.header.line.count; ORC (none/zlib/snappy/zstd/LZ4). LZO: FAILED with "
                                 "NOT_SUPPORTED (docs/athena-dialect.md, SerDes and file formats)"),
    ("INSERT INTO", "column list, casts to the table's types, new partitions added"),
    ("CREATE [OR REPLACE] VIEW / DROP VIEW", "stored as a Presto view (VIRTUAL_VIEW)"),
    ("DROP TABLE", "IF EXISTS; data stays in S3"),
    ("SHOW DATABASES / TABLES / VIEWS / PARTITIONS / COLUMNS / CREATE TABLE / TBLPROPERTIES", "Hive patterns"),
    ("DESCRIBE [FORMATTED]", "Hive layout"),
    ("MSCK REPAIR TABLE", "adds key=value folders missing from the catalog"),
    ("ALTER TABLE ADD / DROP PARTITION", "IF [NOT] EXISTS, LOCATION, several partitions, partial specs on DROP"),
    ("CREATE TABLE ... TBLPROPERTIES ('table_type'='ICEBERG')",
     "Iceberg v2 (format/spec.md): LOCATION required, PARTITIONED BY columns and hidden transforms year/month/"
     "day/hour (and the plural forms), truncate(W, col) on int/bigint/string and bucket(N, col) on int/bigint/"
     "date/timestamp/string/binary/decimal (spec Appendix B's 32-bit murmur3 of the value's binary form, "
     "(hash & Integer.MAX_VALUE) % N); the first metadata JSON in "
     "<location>/metadata/, the Glue table's metadata_location points at it. Types: int, bigint, string, double, "
     "float, boolean, date, timestamp, decimal(p,s), binary. bucket(N, col) of float/double/boolean: "
     "INVALID_TABLE_PROPERTY; identity on timestamp/float/double, "
     "nested types, tinyint/smallint, CREATE EXTERNAL TABLE: FAILED with NOT_SUPPORTED"),
    ("CREATE TABLE AS SELECT, table_type ICEBERG",
     "location (default <output>/tables/<query id>), is_external=false, partitioning=ARRAY[...], format PARQUET, "
     "write_compression SNAPPY, vacuum_* / optimize_* kept as table properties, WITH NO DATA"),
    ("INSERT INTO an Iceberg table",
     "Parquet data files under <location>/data/<partition path>/, one manifest, a manifest list carrying the "
     "parent's manifests, the next NNNNN-<uuid>.metadata.json; committed by swapping the Glue table's "
     "metadata_location (previous_metadata_location kept) at the VersionId read, so a concurrent commit fails "
     "with ICEBERG_COMMIT_ERROR. Data files carry the columns' Parquet field ids (files Cenote wrote before "
     "December 2026 carry none: the table property schema.name-mapping.default maps columns by name for them). "
     "Every data file Cenote writes (INSERT, CTAS, UPDATE / MERGE rows, OPTIMIZE rewrites) carries column metrics "
     "read from its Parquet footer, in the default metrics mode truncate(16): value_counts and null_value_counts "
     "of each top-level column, lower_bounds / upper_bounds (Appendix D) where the footer's statistics make them "
     "true bounds (strings and binaries over 16 characters truncated, the upper bound incremented; none for a "
     "column NULL in every row or with NaN statistics); nan_value_counts are not written (Parquet statistics do "
     "not count NaN). Manifest lists carry partition summaries (contains_null, contains_nan, lower_bound, "
     "upper_bound) for fields of int, bigint, date, string and boolean results (every transform but identity / "
     "truncate of timestamp, decimal, float, double, binary, whose manifests list none)"),
    ("SELECT from an Iceberg table",
     "the current snapshot's data files from its manifests; FOR VERSION AS OF <snapshot id>, FOR TIMESTAMP AS OF "
     "TIMESTAMP '...' / current_timestamp [- INTERVAL 'n' unit]; \"t$snapshots\", \"t$history\", \"t$files\" "
     "($files: content, file_path, file_format, spec_id, partition as text, record_count, file_size_in_bytes; "
     "delete files listed with content 1 / 2). Position delete files (Parquet file_path, pos) and equality delete "
     "files (Parquet, matched on their equality_ids, NULL equal to NULL) of any writer are applied by data "
     "sequence number and partition (and partition spec), as spec \"Scan Planning\" says, in SELECT and time "
     "travel; an equality delete file's columns are found by field id, so a column renamed since it was "
     "written keeps its rows deleted. Pruning (spec \"Scan Planning\"; bytes scanned count only the files "
     "read): a WHERE conjunct col = constant or col IN (constants) on the source column of any partition field "
     "(identity, bucket, truncate, year/month/day/hour) skips the files whose partition value differs from the "
     "constant's transform; col < | <= | > | >= constant and col BETWEEN a AND b (either side, in conjunctions) "
     "do the same on ordered fields (all but bucket), on data files' column bounds from the manifests "
     "(lower_bounds / upper_bounds of int, bigint, double, float, date, timestamp, string, decimal columns; a "
     "column NULL in every row matches no comparison; a file that counts NaN keeps its upper bound open; bounds "
     "of a column promoted int -> bigint or float -> double read at their width) and on the manifest list's "
     "partition summaries, which skip whole manifests unread. Tables other "
     "writers made: v1 and v2 metadata, v1 manifest lists and manifests (no sequence numbers), several "
     "partition specs (partition evolution: each file read and pruned under the spec it was written with), "
     "data files matched to columns by Parquet field id once a column was renamed or a name reused, and by "
     "schema.name-mapping.default for files without field ids, v1 snapshots that list their manifests "
     "without a manifest list. Non-Parquet data or delete files and equality deletes on dropped columns: FAILED "
     "with NOT_SUPPORTED"),
    ("DROP TABLE of an Iceberg table", "the Glue table, then every object under its location (managed table)"),
    ("DELETE FROM / UPDATE ... SET / MERGE INTO an Iceberg table",
     "merge-on-read as Athena engine v3 writes Iceberg v2: one Parquet position delete file (file_path, pos, "
     "sorted) per partition touched, in the partition spec and tuple of the data files it names (tables whose "
     "partitioning evolved included), in delete manifests (content 1) of one spec each; rows changed by UPDATE "
     "/ MERGE written as new data files under the default spec. One pass over the target (joined once with the "
     "MERGE source, which is first written to a scratch file) finds the changed rows; the delete files and new "
     "rows are written from them. MERGE reads only the target partitions its source can match when the ON "
     "condition equates a partition source column (int, bigint or date, any transform) with a source column of "
     "the same type (up to 1000 distinct values). One snapshot per statement (summary operation delete, or overwrite when rows are "
     "rewritten; added-delete-files, added-position-deletes and totals). Every read of the statement is of the "
     "snapshot it changes; a concurrent commit in between fails it with ICEBERG_COMMIT_ERROR. MERGE: WHEN "
     "[NOT] MATCHED [AND condition] clauses in order (the first whose condition holds acts), UPDATE SET / "
     "DELETE / INSERT [(columns)] VALUES; a target row matched by two source rows fails with "
     "MERGE_TARGET_ROW_MULTIPLE_MATCHES. Unknown SET columns: COLUMN_NOT_FOUND; syntax: SYNTAX_ERROR. On Hive "
     "tables: FAILED with NOT_SUPPORTED (Modifying Hive table rows is only supported for transactional "
     "tables). Delete files carry the reserved field ids (2147483546 file_path, 2147483545 pos)"),
    ("OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE predicate] (Iceberg)",
     "the data files of the partitions the predicate selects rows of (partition columns, as on Athena; all "
     "without one) that have delete files applying to them or "
     "are smaller than write_target_data_file_size_bytes (512 MiB) are rewritten with the deletes applied; "
     "delete files left with nothing to apply to are dropped; one snapshot, operation replace, manifests "
     "rewritten (EXISTING / DELETED entries, a manifest per spec). Files written under an older partition spec "
     "are rewritten into the default spec, as files with deletes are. A lone small file without deletes is "
     "left alone. Other rewrite "
     "strategies: SYNTAX_ERROR; Hive tables: NOT_SUPPORTED"),
    ("VACUUM t (Iceberg)",
     "snapshots older than vacuum_max_snapshot_age_seconds (default 432000) expire, the current snapshot and "
     "its newest vacuum_min_snapshots_to_keep (default 1) ancestors kept; the metadata log keeps "
     "vacuum_max_metadata_files_to_keep (default 100) files; objects under the table location that no retained "
     "snapshot or metadata file names are removed when an expired snapshot named them or they are older than the "
     "snapshot age. Hive tables: NOT_SUPPORTED"),
    ("ALTER TABLE ADD COLUMNS / DROP COLUMN / CHANGE [COLUMN] old new type [COMMENT c] [FIRST | AFTER col] "
     "(Iceberg)",
     "a new current schema (new field ids, last-column-id raised, never reused) in the next metadata file and the "
     "Glue columns; older data files read under it (added columns NULL); CHANGE renames (the field id kept: "
     "older files are read by field id, so they read under the new name, and a name dropped and added again "
     "does not bring its old values back), moves the column (FIRST / AFTER) and allows Iceberg's promotions "
     "(int -> bigint, float -> double, decimal precision widened). Dropping a partition "
     "source column, other type changes: NOT_SUPPORTED; an existing name: ALREADY_EXISTS; an unknown column: "
     "COLUMN_NOT_FOUND. Hive tables: NOT_SUPPORTED"),
    ("Partition evolution, ALTER TABLE SET TBLPROPERTIES / REPLACE COLUMNS on Iceberg tables, other ALTER TABLE "
     "forms", "FAILED with NOT_SUPPORTED (Athena documents no partition evolution DDL, it is done with Spark; "
     "REPLACE COLUMNS is documented as not supported for Iceberg). Tables whose partitioning evolved elsewhere "
     "are read (SELECT above) and changed (DELETE / UPDATE / MERGE / OPTIMIZE above)"),
    ("ALTER TABLE [db.]t RENAME TO [db2.]t2",
     "Iceberg tables: the Glue table moves to the new name and database (an unqualified target is in the "
     "query's database) in one catalog transaction (a kill -9 leaves either name, never both or neither); its "
     "location, metadata_location, storage descriptor, parameters and partition keys are kept and its files stay "
     "where they are. As Athena's engine renames through Glue (CreateTable under the new name, DeleteTable of the "
     "old), the new name is a creation (VersionId 0, CreateTime now, CreatedBy the caller) and the old name's "
     "table versions, tags, column statistics and partition indexes go with it; the caller needs glue:GetTable "
     "and glue:DeleteTable on the old table and glue:CreateTable on the new one (otherwise: FAILED, "
     "\"Insufficient permissions to execute the query. ...\"). Errors: TABLE_NOT_FOUND, SCHEMA_NOT_FOUND "
     "(\"Target schema 'x' does not exist\"), TABLE_ALREADY_EXISTS (\"Target table '...' already exists\"). "
     "A view keeps the name it was written with: querying it fails as Trino's analyzer does (\"INVALID_VIEW: "
     "line 1:15: Failed analyzing stored view 'awsdatacatalog.db.v': line 1:16: Table 'awsdatacatalog.db.t' does "
     "not exist\") until a table of that name exists again. Hive tables and views: FAILED with Glue's refusal as Athena reports it (\"FAILED: "
     "Execution Error, return code 1 from org.apache.hadoop.hive.ql.exec.DDLTask. Table cannot be renamed "
     "(Service: AmazonDataCatalog; Status Code: 400; Error Code: InvalidInputException; ...)\")"),
]


RESULT_FILES = [
    "`<OutputLocation>/<QueryExecutionId>.csv` (SELECT, CTAS, INSERT INTO) or `.txt` (DDL and utility statements, "
    "tab separated, no header), each with a `.metadata` file. Athena's metadata file is binary; Cenote writes JSON "
    "with the result columns and the update count (see `src/query/result_files.hpp`).",
    "",
    "Both objects and the execution's SUCCEEDED state are written in one metadata transaction: a client that sees "
    "SUCCEEDED finds both, and a crash leaves neither (the execution is then reported FAILED after the restart). "
    "Objects up to 4 KiB are kept inline in the S3 metadata row instead of a blob file; they read, copy and list "
    "like any other object.",
]


REGIONS = [
    "As on AWS, workgroups (`primary` exists in every region), named queries, prepared statements and query "
    "executions live in the namespace of the caller's account and the request's region (its SigV4 credential "
    "scope); the same name in two regions is two resources, and an execution id is unknown in another region. A "
    "query runs against its own region's Glue Data Catalog (where `default` always exists), and reads its tables "
    "and writes its results in S3 as the principal that called StartQueryExecution (on behalf of "
    "`athena.amazonaws.com`); GetQueryResults reads the result objects as its own caller. A workgroup ARN is "
    "resolved in the region it names. Data from before Athena was regional belongs to the root account in the "
    "server's default region (`--region`).",
]


def main():
    statements = ["| Statement | Notes |", "|---|---|"]
    statements += [f"| {name} | {note} |" for name, note in STATEMENTS]
    coverage_doc.write("athena", "athena-2017-05-18", "Athena coverage", handler=r"Handle<&AthenaImpl::[A-Za-z0-9]+>",
                       notes=NOTES, sections=[("SQL statements", statements), ("Result files", RESULT_FILES), ("Regions", REGIONS)])


if __name__ == "__main__":
    main()
