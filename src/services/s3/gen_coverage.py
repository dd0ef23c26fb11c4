#!/usr/bin/env python3
"""Generates docs/s3-coverage.md from the pinned S3 model and the provider's operation table.

Usage: python3 src/services/s3/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/s3/s3_provider.cpp. The unit test S3Coverage.DocMatchesProvider
fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "PutObject": "Content-MD5, x-amz-checksum-* (headers and aws-chunked trailers), If-None-Match: *, If-Match, "
                 "user metadata, content headers, x-amz-tagging, storage class (recorded), 5 GiB limit; bodies up to "
                 "4 KiB are kept inline in the metadata row (one commit, no blob file)",
    "GetObject": "single/suffix/open ranges, partNumber, conditionals, response-* overrides, versionId, "
                 "ChecksumMode, TagCount; single-blob bodies are sendfile-able, inline ones come from memory",
    "HeadObject": "as GetObject without a body",
    "CopyObject": "COPY/REPLACE metadata and tagging directives, copy-source conditionals, versionId; "
                  "clones blobs (no byte copy)",
    "CompleteMultipartUpload": "no byte copy; multipart ETag; COMPOSITE and FULL_OBJECT (CRC) checksums; "
                               "idempotent retry",
    "UploadPartCopy": "x-amz-copy-source-range",
    "ListObjectsV2": "prefix, delimiter, continuation token, StartAfter, FetchOwner, EncodingType=url",
    "ListObjects": "Marker, NextMarker (with a delimiter), EncodingType=url",
    "ListObjectVersions": "KeyMarker/VersionIdMarker, delete markers, IsLatest",
    "DeleteObjects": "Quiet, per-key errors, at most 1000 keys, one transaction",
    "CreateBucket": "bucket naming rules, LocationConstraint vs. endpoint region",
    "PutBucketPolicy": "stored as given; validated as JSON; not yet enforced by this provider",
    "GetObjectAttributes": "ETag, Checksum, ObjectParts (TotalPartsCount), StorageClass, ObjectSize",
    "ListBuckets": "Prefix, ContinuationToken, MaxBuckets, BucketRegion",
}


def main():
    coverage_doc.write("s3", "s3-2006-03-01", "S3 coverage", notes=NOTES)


if __name__ == "__main__":
    main()
