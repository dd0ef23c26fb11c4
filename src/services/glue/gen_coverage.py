#!/usr/bin/env python3
"""Generates docs/glue-coverage.md from the pinned Glue model and the provider's operation tables.

Usage: python3 src/services/glue/gen_coverage.py   (from anywhere)
Every operation of the model is a row. Catalog operations are supported when they appear in the
Operations() table of src/services/glue/glue_provider.cpp ({"Name", Handler} entries); crawler operations
are the entries whose handler is defined in src/services/glue/provider_crawlers.cpp. The unit test
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
    "UpdateDatabase": "renaming refused (InvalidInputException)",
    "DeleteDatabase": "deletes its tables, versions, partitions and tags",
    "CreateTable": "TableInput round-tripped as sent; names lower-cased; OpenTableFormatInput (Iceberg) and "
                   "TargetTable refused; PartitionIndexes accepted and ignored",
    "GetTables": "Expression (regex over names, `*` wildcard, `|` alternatives), NextToken, MaxResults, "
                 "AttributesToGet",
    "UpdateTable": "archives the previous version unless SkipArchive; VersionId optimistic check "
                   "(ConcurrentModificationException)",
    "DeleteTable": "deletes its partitions, versions and tags",
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
    "GetPartitionIndexes": "always an empty list: partition indexes are not kept",
    "PutDataCatalogEncryptionSettings": "EncryptionAtRest acted on: with SSE-KMS (default key alias/aws/glue) "
                                        "databases, tables, table versions and partitions written afterwards are "
                                        "stored AES-256-GCM-sealed under a KMS data key asked as the caller "
                                        "(kms:GenerateDataKey to write, kms:Decrypt to read, via "
                                        "glue.amazonaws.com; GlueEncryptionException with KMS's error "
                                        "otherwise); SSE-KMS-WITH-SERVICE-ROLE asks KMS as the role "
                                        "(iam:PassRole); DISABLED keeps sealed objects readable. "
                                        "ConnectionPasswordEncryption stored only (connections are not "
                                        "implemented)",
    "GetDataCatalogEncryptionSettings": "DISABLED / ReturnConnectionPasswordEncrypted false until put",
    "TagResource": "catalog, database and table ARNs (existence checked); other resource ARNs stored as given",
}


REGIONS = [
    "As on AWS, there is one Data Catalog per account and region: databases, tables, table versions, partitions, "
    "tags and crawlers (with their schedules) live in the catalog of the caller's account in the request's region "
    "(its SigV4 credential scope). What one region holds is not seen from another, and the same name in two "
    "regions is two resources. `CatalogId` is the account: the caller's own is accepted, another account's is "
    "refused with `AccessDeniedException`. A tag ARN is resolved in the region it names.",
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


def main():
    ops = coverage_doc.model_operations("glue-2017-03-31")
    catalog = coverage_doc.table_operations("src/services/glue/glue_provider.cpp")
    crawlers = crawler_operations() & catalog
    catalog = catalog - crawlers
    statuses = dict.fromkeys(crawlers, coverage_doc.SUPPORTED)
    statuses.update(dict.fromkeys(catalog, coverage_doc.SUPPORTED))
    detail = (f" ({len([o for o in ops if o in catalog])} Data Catalog, "
              f"{len([o for o in ops if o in crawlers])} crawler)")
    coverage_doc.write("glue", "glue-2017-03-31", "Glue coverage", statuses=statuses, summary_detail=detail,
                       unsupported="Errors carry Glue's `__type`, `message` and the modeled `Message` member.",
                       notes=NOTES, sections=[("Regions", REGIONS)])


if __name__ == "__main__":
    main()
