#!/usr/bin/env python3
"""Generates docs/glue-coverage.md from the pinned Glue model and the provider's operation tables.

Usage: python3 src/services/glue/gen_coverage.py   (from anywhere)
Every operation of the model is a row. Catalog operations are supported when they appear in the
Operations() table of src/services/glue/glue_provider.cpp ({"Name", Handler} entries); crawler operations
are the entries whose handler is defined in src/services/glue/provider_crawlers.cpp; job, trigger and workflow
operations those defined in src/services/glue/jobs/provider_jobs.cpp. The unit test
GlueProviderTest.CoverageDocMatchesProvider fails when the doc is stale.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateDatabase": "Tags; CreateTableDefaultPermissions defaults to IAM_ALLOWED_PRINCIPALS/ALL; "
                      "FederatedDatabase and TargetDatabase (resource links) refused",
    "GetDatabases": "NextToken, MaxResults (1-100), AttributesToGet=NAME",
    "UpdateDatabase": "a new DatabaseInput.Name is refused as Glue refuses it (InvalidInputException \"Database "
                      "cannot be renamed\"); the same name in another case is the same database",
    "DeleteDatabase": "deletes its tables, versions, partitions, tags, functions, partition indexes and column statistics",
    "CreateTable": "TableInput round-tripped as sent; names lower-cased; OpenTableFormatInput (Iceberg) and "
                   "TargetTable refused; PartitionIndexes created as CreatePartitionIndex does (validated before the table)",
    "GetTables": "Expression (regex over names, `*` wildcard, `|` alternatives), NextToken, MaxResults, "
                 "AttributesToGet",
    "UpdateTable": "archives the previous version unless SkipArchive; VersionId optimistic check "
                   "(ConcurrentModificationException \"Update table failed due to concurrent modifications.\"); "
                   "TableInput.Name names the table to update (Glue has no rename: another name is "
                   "EntityNotFoundException)",
    "GetTableVersions": "newest first, current version included",
    "DeleteTableVersion": "the current version cannot be deleted",
    "SearchTables": "SearchText over names, descriptions, columns, parameters (quoted = exact name); Filters "
                    "(DatabaseName, Name, TableType, ... token match; time fields numeric in ms; other keys "
                    "match table parameters); SortCriteria; NextToken",
    "GetPartitions": "Expression (=, <>, !=, <, <=, >, >=, AND, OR, NOT, BETWEEN, IN, LIKE, IS NULL; typed by "
                     "the partition key), NextToken, MaxResults (1-1000), Segment, ExcludeColumnSchema",
    "BatchGetPartition": "missing partitions are left out",
    "BatchCreatePartition": "per-entry errors, one transaction",
    "BatchDeletePartition": "per-entry errors, at most 25",
    "UpdatePartition": "PartitionInput.Values may move the partition",
    "CreatePartitionIndex": "at most 3 per table; keys must be partition keys of type string, date, tinyint, "
                            "smallint, int or bigint; backfilled within the call (ACTIVE, or FAILED with "
                            "INVALID_PARTITION_TYPE_DATA_ERROR naming the partitions); indexes do not change how "
                            "GetPartitions evaluates expressions (every partition is filtered)",
    "GetPartitionIndexes": "IndexStatus ACTIVE or FAILED with BackfillErrors (the backfill runs within "
                           "CreatePartitionIndex, so CREATING is never seen)",
    "DeleteTable": "deletes its partitions, versions, tags, partition indexes and column statistics",
    "UpdateColumnStatisticsForTable": "every ColumnStatisticsData type; StatisticsData.Type must be the column "
                                      "type's (LONG for tinyint..bigint, DOUBLE for float/double, ...) and carry "
                                      "its member; bad entries in Errors, the others stored",
    "UpdateColumnStatisticsForPartition": "as for tables; the partition must exist",
    "StartColumnStatisticsTaskRun": "computes with the query engine (Athena's table binding: every SerDe and "
                                    "partition layout Athena reads) as Role assumed by Glue (iam:PassRole): "
                                    "NumberOfNulls, NumberOfDistinctValues (exact), min/max, lengths, true/false "
                                    "counts per ColumnStatisticsData type, stored as UpdateColumnStatisticsForTable "
                                    "does; ColumnNameList or every supported column; SampleSize recorded but the "
                                    "whole table is read; one run per table at a time "
                                    "(ColumnStatisticsTaskRunningException); a run in flight at a restart is FAILED",
    "StopColumnStatisticsTaskRun": "cancels the engine's query (STOPPED); ColumnStatisticsTaskNotRunningException",
    "GetColumnStatisticsTaskRuns": "newest first, MaxResults, NextToken",
    "GetColumnStatisticsForTable": "columns without statistics in Errors (EntityNotFoundException)",
    "GetColumnStatisticsForPartition": "columns without statistics in Errors (EntityNotFoundException)",
    "CreateUserDefinedFunction": "names lower-cased; the database must exist",
    "GetUserDefinedFunctions": "Pattern (`*` wildcard, `|` alternatives, case-insensitive); without "
                               "DatabaseName the functions of every database; NextToken, MaxResults",
    "UpdateUserDefinedFunction": "a new FunctionName renames the function",
    "CreateConnection": "every ConnectionType stored (Cenote opens no connection); JDBC needs "
                        "JDBC_CONNECTION_URL; Tags; quota 1000; with ConnectionPasswordEncryption on, PASSWORD "
                        "is KMS-encrypted (kms:Encrypt as the caller) and kept only as ENCRYPTED_PASSWORD",
    "GetConnection": "HidePassword leaves PASSWORD and ENCRYPTED_PASSWORD out",
    "GetConnections": "Filter (ConnectionType, MatchCriteria all present), HidePassword, NextToken, MaxResults",
    "UpdateConnection": "a new ConnectionInput.Name renames the connection",
    "PutResourcePolicy": "the catalog's policy (a database or table ARN of the catalog names it too); parsed as an "
                         "IAM resource policy; PolicyHash (base64 SHA-256), PolicyHashCondition and "
                         "PolicyExistsCondition checked atomically (ConditionCheckFailureException); EnableHybrid "
                         "ignored (no Lake Formation hybrid mode); evaluated by the authorizer for every catalog "
                         "resource (catalog, database, table, userDefinedFunction, connection ARNs): another "
                         "account's principal it allows may use the catalog by CatalogId",
    "DeleteResourcePolicy": "PolicyHashCondition checked atomically",
    "GetResourcePolicies": "the catalog's policy (Cenote has no RAM grants)",
    "GetUnfilteredTableMetadata": "no Lake Formation registration: IsRegisteredWithLakeFormation false, "
                                  "AuthorizedColumns every column, no CellFilters; Region reads another region's "
                                  "catalog of the account",
    "GetUnfilteredPartitionMetadata": "IsRegisteredWithLakeFormation false, AuthorizedColumns every column",
    "GetUnfilteredPartitionsMetadata": "Expression as GetPartitions; Segment with one segment only",
    "PutDataCatalogEncryptionSettings": "EncryptionAtRest acted on: with SSE-KMS (default key alias/aws/glue) "
                                        "databases, tables, table versions and partitions written afterwards are "
                                        "stored AES-256-GCM-sealed under a KMS data key asked as the caller "
                                        "(kms:GenerateDataKey to write, kms:Decrypt to read, via "
                                        "glue.amazonaws.com; GlueEncryptionException with KMS's error "
                                        "otherwise); SSE-KMS-WITH-SERVICE-ROLE asks KMS as the role "
                                        "(iam:PassRole); DISABLED keeps sealed objects readable. "
                                        "ConnectionPasswordEncryption acted on by "
                                        "CreateConnection/UpdateConnection (connection passwords KMS-encrypted)",
    "GetDataCatalogEncryptionSettings": "DISABLED / ReturnConnectionPasswordEncrypted false until put",
    "TagResource": "catalog, database and table ARNs (existence checked); other resource ARNs stored as given",
    "CreateJob": "Command.Name `pythonshell`, `athenasql` (Cenote's SQL job type) run; `glueetl`, `gluestreaming`, "
                 "`glueray` stored only; Glue's defaults (Timeout 2880, MaxRetries 0, MaxConcurrentRuns 1, "
                 "MaxCapacity 0.0625 for Python shell); the same definition again is accepted, a different one is "
                 "IdempotentParameterMismatchException; Tags; iam:PassRole on Role; quota 1000 per account",
    "UpdateJob": "replaces the definition (unset members return to their defaults), iam:PassRole on Role",
    "ListJobs": "Tags filter (every given tag), MaxResults, NextToken",
    "StartJobRun": "`pythonshell` and `athenasql` jobs only (others: InvalidInputException naming them); Arguments "
                   "over DefaultArguments under NonOverridableArguments; Timeout; MaxConcurrentRuns "
                   "(ConcurrentRunsExceededException); retrying by JobRunId refused",
    "GetJobRun": "JobRunState STARTING/RUNNING/STOPPING/STOPPED/SUCCEEDED/FAILED/TIMEOUT/ERROR, Attempt, "
                 "PreviousRunId, ExecutionTime, StartedOn/CompletedOn, ErrorMessage, LogGroupName",
    "GetJobRuns": "newest first, MaxResults 1-200, NextToken",
    "BatchStopJobRun": "runs not running are per-entry errors",
    "GetJobBookmark": "the entry stored by the last successful run with `job-bookmark-enable` (see docs/glue-jobs.md)",
    "ResetJobBookmark": "RunId ignored: the whole bookmark is reset",
    "CreateTrigger": "SCHEDULED (AWS cron), CONDITIONAL (AND/ANY over job and crawler states), ON_DEMAND, EVENT "
                     "(a workflow's start by EventBridge: EventBatchingCondition BatchSize 1-100, default 1, and "
                     "BatchWindow 1-900 s, default 900, from the batch's first event; the batch is durable); "
                     "StartOnCreation",
    "NotifyEvent": "not an API operation (Cenote's name, added to the model by an overlay, for EventBridge's delivery "
                   "to a workflow target as the target's role: the IAM action glue:notifyEvent); answered "
                   "UnknownOperationException to any caller but EventBridge",
    "StartTrigger": "ON_DEMAND: fires now (in a workflow: starts a workflow run); others: ACTIVATED",
    "StopTrigger": "DEACTIVATED; an ON_DEMAND trigger cannot be stopped (InvalidInputException)",
    "GetTriggers": "DependentJobName filter",
    "ListTriggers": "DependentJobName and Tags filters, MaxResults, NextToken",
    "GetWorkflow": "IncludeGraph (trigger, job and crawler nodes and edges), LastRun",
    "DeleteWorkflow": "deletes the workflow's triggers",
    "StartWorkflowRun": "fires the workflow's start triggers; conditional triggers fire once per run; RunProperties "
                        "over DefaultRunProperties; MaxConcurrentRuns",
    "GetWorkflowRun": "Statistics; IncludeGraph with the run's job runs; StartingEventBatchCondition (BatchSize: "
                      "the batch filled, or BatchWindow: the window expired) and the run property aws:eventIds (a "
                      "JSON array of the batch's event ids) for a run an EVENT trigger started",
    "StopWorkflowRun": "stops the run's job runs; STOPPING then STOPPED",
    "ResumeWorkflowRun": "a finished run only (IllegalWorkflowStateException otherwise); a new run (PreviousRunId) "
                         "starts the given job, crawler or trigger nodes and goes on downstream, inheriting what "
                         "the resumed run did",
    "ListWorkflows": "names, NextToken",
    "CreateRegistry": "Tags; 100 registries per account and region",
    "DeleteRegistry": "deletes its schemas, versions, metadata and tags at once (Status DELETING answered)",
    "ListRegistries": "by name; MaxResults (default 25), NextToken",
    "CreateSchema": "AVRO, JSON (JSON Schema draft-04/06/07), PROTOBUF (proto2/proto3) definitions parsed and "
                    "validated; without RegistryId the schema goes to `default-registry` (created when missing); "
                    "Compatibility default BACKWARD; the first version is the checkpoint; 10,000 schemas per account "
                    "and region",
    "UpdateSchema": "Description; Compatibility with SchemaVersionNumber (the new checkpoint, an AVAILABLE version)",
    "DeleteSchema": "deletes its versions, their metadata and its tags at once (Status DELETING answered)",
    "ListSchemas": "all registries, or RegistryId's; MaxResults, NextToken",
    "RegisterSchemaVersion": "the same definition (canonical form) answers its existing version; otherwise checked "
                             "against the AVAILABLE versions from the checkpoint on under the schema's mode (BACKWARD, "
                             "FORWARD, FULL: the latest; *_ALL: all; NONE: none; DISABLED refuses new versions) and "
                             "stored AVAILABLE or FAILURE; 1,000 versions per schema",
    "GetSchemaVersion": "by SchemaVersionId, or SchemaId with VersionNumber or LatestVersion (the newest AVAILABLE)",
    "ListSchemaVersions": "by version number; FAILURE versions included",
    "DeleteSchemaVersions": "a number or a range `a-b`; a range holding the checkpoint is refused whole "
                            "(ConcurrentModificationException); the first version and missing numbers are per-version "
                            "errors",
    "GetSchemaByDefinition": "matched on the canonical form (JSON re-serialized; Protobuf without comments and layout)",
    "CheckSchemaVersionValidity": "Valid, and the parser's reason as Error",
    "GetSchemaVersionsDiff": "SYNTAX_DIFF: an RFC 6902 JSON Patch over the parsed AVRO/JSON documents, over the "
                             "canonical lines for PROTOBUF",
    "PutSchemaVersionMetadata": "10 key-value pairs per version; several values per key",
    "QuerySchemaVersionMetadata": "MetadataList filter (a key alone matches all its values); newest value first, the "
                                  "others in OtherMetadataValueList; MaxResults (keys), NextToken",
}


NAMES = [
    "Names are checked against the model before the provider runs, and the catalog checks the same for its "
    "callers that are not requests (Athena's DDL, crawlers), answering what Glue's API answers: "
    "`ValidationException` with `1 validation error detected: Value '<name>' at '<member path>' failed to "
    "satisfy constraint: <constraint>` (values echoed up to 512 characters). Database, table, column, partition "
    "key, connection, function, crawler, job, trigger and workflow names are 1-255 characters (code points, not "
    "bytes) of Glue's single-line pattern `[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*`: "
    "control characters other than tab are refused; `/`, `-`, spaces and non-ASCII letters are accepted, as "
    "the pattern admits them (Athena users should keep to lower-case letters, digits and `_`). Partition values "
    "are at most 1024 characters; registry and schema names 1-255 characters of `[a-zA-Z0-9-_$#.]+`. "
    "Databases, tables, columns, partition keys and functions are folded to lower case when stored (lookups "
    "fold too); crawlers, jobs, triggers, workflows, connections, registries and schemas keep their case.",
    "",
    "Renames: UpdateDatabase with another name answers `InvalidInputException` \"Database cannot be "
    "renamed\"; UpdateTable's `TableInput.Name` names the table to update, so another name is "
    "`EntityNotFoundException`; UpdateCrawler, UpdateJob and UpdateWorkflow name their resource by `Name`/"
    "`JobName` and have no new name; TriggerUpdate.Name is reserved by Glue and ignored; UpdateConnection and "
    "UpdateUserDefinedFunction move the resource to a new name that must be free (AWS's API reference says "
    "only that ConnectionInput / FunctionInput redefine the resource, the name included; the move is one "
    "transaction, so a crash leaves it under exactly one name). Athena's `ALTER TABLE ... "
    "RENAME TO` moves an Iceberg table to its new name in one catalog transaction (the new name created at "
    "version 0, the old one's versions, tags, column statistics and partition indexes deleted with it, as "
    "Athena's CreateTable + DeleteTable leave them) and fails on a Hive table with Glue's refusal \"Table "
    "cannot be renamed\", as in Athena. Athena DDL that names "
    "something Glue refuses fails with `FAILED: ValidationException: ` and Glue's message.",
]


REGIONS = [
    "As on AWS, there is one Data Catalog per account and region: databases, tables, table versions, partitions, "
    "tags and crawlers (with their schedules) live in the catalog of the caller's account in the request's region "
    "(its SigV4 credential scope). What one region holds is not seen from another, and the same name in two "
    "regions is two resources. `CatalogId` is the account: the caller's own is accepted; another account's "
    "catalog is reached when its resource policy (PutResourcePolicy) and the caller's own IAM policies allow the "
    "action, and refused with `AccessDeniedException` otherwise. A tag ARN is resolved in the region it names.",
    "",
    "A crawler writes to its own region's catalog and reads S3 as its `Role` assumed by Glue "
    "(`arn:aws:sts::<account>:assumed-role/<role>/AWS-Crawler`, on behalf of `glue.amazonaws.com`). Data from "
    "before catalogs were regional belongs to the root account in the server's default region (`--region`).",
]


def crawler_operations():
    """The operations whose handlers hand the request to Crawlers (src/services/glue/provider_crawlers.cpp)."""
    with open(coverage_doc.path("src", "services", "glue", "provider_crawlers.cpp")) as f:
        text = f.read()
    named = set(re.findall(r"Result<aws::OperationOutput> ([A-Z][A-Za-z0-9]+)\(", text))
    return named


JOBS = [
    "Jobs run as Glue's Python shell jobs do: `pythonshell` scripts (Command.ScriptLocation in S3, read as the "
    "job's role) run with the host's python3 in Cenote's sandbox (the one Lambda uses) with the role's temporary "
    "credentials and `--JOB_NAME`/`--JOB_ID`/`--JOB_RUN_ID` and every argument as `--key value`; the `awsglue` "
    "library is not installed. `athenasql` (a Cenote extension) runs a script of `;`-separated Athena statements "
    "as the job's role with `--database`, `--output-location` and `--workgroup`. Output goes to CloudWatch Logs "
    "(`/aws-glue/python-jobs/output` and `/error`, stream = run id); terminal states are `Glue Job State Change` "
    "events on the default bus. See docs/glue-jobs.md.",
    "",
    "`glueetl`, `gluestreaming` and `glueray` jobs are stored (so Terraform and CloudFormation can manage them) "
    "and refused by StartJobRun with `InvalidInputException` naming the job types Cenote runs. Blueprints, sessions, dev endpoints, ML transforms and data quality are not implemented.",
]


def job_operations():
    """The operations whose handlers hand the request to Jobs (src/services/glue/jobs/provider_jobs.cpp)."""
    with open(coverage_doc.path("src", "services", "glue", "jobs", "provider_jobs.cpp")) as f:
        text = f.read()
    return set(re.findall(r"Result<aws::OperationOutput> ([A-Z][A-Za-z0-9]+)\(GlueEnv", text))


SCHEMA_REGISTRY = [
    "Registries, schemas and versions live in the caller's account and region (`arn:aws:glue:<region>:<account>:"
    "registry/<name>`, `...:schema/<registry>/<schema>`) in the metadata store; tags are the catalog's "
    "(TagResource/GetTags on their ARNs). Definitions are parsed by format: Avro 1.11 schemas (names and "
    "namespaces, defaults checked against their types, unions), JSON Schema draft-04/06/07 (every keyword's value "
    "checked, local `$ref` resolved; remote references are refused), and .proto files in proto2/proto3 (protoc's "
    "checks: field numbers, reserved ranges, proto3 rules, enum aliases, map keys, type resolution; imports "
    "accepted unchecked; extensions and groups refused, as AWS).",
    "",
    "Compatibility: Avro follows Avro's schema resolution (promotions, defaults, aliases, enum defaults, unions). "
    "JSON Schema: a reader reads a writer's data when it admits every document the writer's schema admits, keyword "
    "by keyword (types with integer within number, enum/const, required, properties and closed content models, "
    "items, bounds, pattern/format, combinators); adding an optional property to an open content model is allowed. "
    "Protobuf: wire compatibility by field number (the guide's compatible type groups, embedded message and bytes, "
    "repeated vs singular, proto2 required fields, the file's first message kept).",
]


def schema_registry_operations():
    """The operations src/services/glue/provider_schema_registry.hpp declares."""
    with open(coverage_doc.path("src", "services", "glue", "provider_schema_registry.hpp")) as f:
        text = f.read()
    return set(re.findall(r"CENOTE_GLUE_SCHEMA_REGISTRY_HANDLER\(([A-Z][A-Za-z0-9]+)\)", text))


def main():
    ops = coverage_doc.model_operations("glue-2017-03-31")
    catalog = coverage_doc.table_operations("src/services/glue/glue_provider.cpp")
    crawlers = crawler_operations() & catalog
    jobs = job_operations() & catalog
    schema_registry = schema_registry_operations() & catalog
    catalog = catalog - crawlers - jobs - schema_registry
    statuses = dict.fromkeys(crawlers, coverage_doc.SUPPORTED)
    statuses.update(dict.fromkeys(catalog, coverage_doc.SUPPORTED))
    statuses.update(dict.fromkeys(jobs, coverage_doc.SUPPORTED))
    statuses.update(dict.fromkeys(schema_registry, coverage_doc.SUPPORTED))
    detail = (f" ({len([o for o in ops if o in catalog])} Data Catalog, "
              f"{len([o for o in ops if o in crawlers])} crawler, "
              f"{len([o for o in ops if o in jobs])} job, trigger and workflow, "
              f"{len([o for o in ops if o in schema_registry])} schema registry)")
    coverage_doc.write("glue", "glue-2017-03-31", "Glue coverage", statuses=statuses, summary_detail=detail,
                       unsupported="Errors carry Glue's `__type`, `message` and the modeled `Message` member.",
                       notes=NOTES, sections=[("Names", NAMES), ("Regions", REGIONS), ("Jobs", JOBS),
                                                            ("Schema Registry", SCHEMA_REGISTRY)])


if __name__ == "__main__":
    main()
