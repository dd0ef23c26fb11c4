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
                 "user metadata (up to 2 KB), content headers, x-amz-tagging, storage class (recorded), 5 GiB "
                 "limit; bodies up to 4 KiB are kept inline in the metadata row (one commit, no blob file)",
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
    "ListObjectVersions": "KeyMarker/VersionIdMarker (a marker version deleted since the previous page still "
                          "marks its place), delete markers, IsLatest",
    "DeleteBucket": "refused while any version or delete marker is left (`BucketNotEmpty`, 409); in-progress "
                    "multipart uploads do not keep a bucket, as on S3: they are aborted with it",
    "DeleteObjects": "Quiet, per-key errors, at most 1000 keys, one transaction; Content-MD5 or x-amz-checksum-* "
                     "required and checked",
    "CreateBucket": "bucket naming rules; LocationConstraint against the request's region (see Regions)",
    "GetBucketLocation": "empty (null) for us-east-1; answered for a request of any region",
    "HeadBucket": "x-amz-bucket-region: the bucket's region, whatever region the request is for",
    "PutBucketPolicy": "stored as given; validated as JSON; not yet enforced by this provider",
    "GetObjectAttributes": "ETag, Checksum, ObjectParts (TotalPartsCount), StorageClass, ObjectSize",
    "ListBuckets": "every bucket of the caller's account in every region; Prefix, ContinuationToken, MaxBuckets, "
                   "BucketRegion (filter and per-bucket member)",
}


REGIONS = [
    "S3 bucket names are global and a bucket lives in one region: its `LocationConstraint`, or us-east-1 when "
    "the `CreateBucket` request has none (`EU` is eu-west-1). The region of a request is the one its SigV4 "
    "credential scope names (`--region` / `CENOTE_REGION` for requests that name none).",
    "",
    "- **CreateBucket** follows AWS's endpoint rules, with the request's region standing for the endpoint it was "
    "sent to: a request for us-east-1 (AWS's global endpoint `s3.amazonaws.com`) may create a bucket in any region "
    "and may not name us-east-1 (`InvalidLocationConstraint`); a request for another region must name that region "
    "(`IllegalLocationConstraintException`, \"The unspecified location constraint is incompatible ...\" when it "
    "names none). A name taken in any region is taken: `BucketAlreadyOwnedByYou` (409; 200 for a repeat in "
    "us-east-1) or, for another account, `BucketAlreadyExists`.",
    "- **GetBucketLocation** answers the bucket's region (empty, which SDKs read as null, for us-east-1) and "
    "**HeadBucket** sends it as `x-amz-bucket-region`; **ListBuckets** lists every bucket of the account in every "
    "region, each with its `BucketRegion`, whatever region the request is for.",
    "- **Requests signed for another region than the bucket's are served.** AWS answers them with a redirect "
    "(301 `PermanentRedirect`, or 400 `AuthorizationHeaderMalformed` naming the bucket's region, which some SDKs "
    "follow by re-signing and others, such as the Java SDK v2 without cross-region access, do not). Cenote is one "
    "local endpoint standing for every region, so a client configured for any region reaches every bucket, "
    "presigned URLs included; `x-amz-bucket-region` still tells it where the bucket lives.",
    "- The lake of the other services (Athena, Glue crawlers, Firehose) reaches buckets of every region in the "
    "same way.",
    "",
    "Not kept: a bucket created with `EU` reports `eu-west-1` from GetBucketLocation (AWS reports `EU`); "
    "CreateBucket's `Location` is `/<bucket>` for every region (AWS gives a URL for regions other than us-east-1).",
]


CONFORMANCE = [
    "The upstream S3 conformance suite, ceph/s3-tests (pinned in `../shared/third_party/s3-tests`), runs in "
    "`./dev test` as `e2e.s3.conformance` (`tests/e2e/s3-conformance/run_s3tests.py`): `test_s3.py` and "
    "`test_headers.py` without the tests marked `fails_on_aws` (behaviour real S3 does not have). Every test on "
    "`tests/e2e/s3-conformance/expected-pass.txt` must pass; a test that passes and is not on it is reported, to "
    "be added. Tests that use a second identity (the suite's `alt`, `tenant` and IAM users) are listed in "
    "`needs-second-identity.txt` and not judged until Cenote has IAM users.",
    "",
    "2026-12-06: 278 of the 591 judged tests pass (76 more need a second identity). Most of the rest need "
    "what this table lists as not implemented: ACLs, default and customer-key encryption, lifecycle, public "
    "access blocks, object lock, logging, ownership controls.",
]


def main():
    coverage_doc.write("s3", "s3-2006-03-01", "S3 coverage", notes=NOTES,
                       sections=[("Regions", REGIONS), ("Conformance suite", CONFORMANCE)])


if __name__ == "__main__":
    main()
