#!/usr/bin/env python3
"""Generates docs/kinesis-coverage.md from the pinned Kinesis model and the provider's operation table.

Usage: python3 src/services/kinesis/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/kinesis/kinesis_provider.cpp. The error table comes from
src/services/kinesis/errors.hpp. The unit test KinesisCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateStream": "ShardCount, StreamModeDetails PROVISIONED / ON_DEMAND (4 shards); no ShardCount and no mode "
                    "means ON_DEMAND; CREATING -> ACTIVE; account shard limit and on-demand stream limit",
    "DeleteStream": "DELETING -> gone; EnforceConsumerDeletion; records and logs removed",
    "DescribeStream": "Limit, ExclusiveStartShardId, HasMoreShards; closed shards listed until they expire",
    "DescribeStreamSummary": "OpenShardCount, ConsumerCount",
    "ListStreams": "Limit, ExclusiveStartStreamName, NextToken, StreamSummaries",
    "ListShards": "NextToken (expires after 300 s), ExclusiveStartShardId, MaxResults, StreamCreationTimestamp, "
                  "ShardFilter AFTER_SHARD_ID / AT_TRIM_HORIZON / FROM_TRIM_HORIZON / AT_LATEST / AT_TIMESTAMP / "
                  "FROM_TIMESTAMP",
    "PutRecord": "MD5(partition key) -> 128-bit hash key; ExplicitHashKey; 1 MiB record limit (data + key); "
                 "fsynced before the answer",
    "PutRecords": "500 records, 5 MiB; per-record ErrorCode/ErrorMessage, FailedRecordCount; one group-committed "
                  "append per shard",
    "GetShardIterator": "TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP; HMAC-signed "
                        "iterators that expire after 5 minutes",
    "GetRecords": "Limit <= 10000, 10 MiB per call, MillisBehindLatest, ChildShards and no NextShardIterator on a "
                  "drained closed shard",
    "IncreaseStreamRetentionPeriod": "24..8760 hours",
    "DecreaseStreamRetentionPeriod": "24..8760 hours; trims whole expired log segments at once",
    "SplitShard": "parent closed with EndingSequenceNumber; children carry ParentShardId",
    "MergeShards": "adjacent open shards only; child carries ParentShardId and AdjacentParentShardId",
    "UpdateShardCount": "UNIFORM_SCALING within half..double the open shard count, as a chain of splits/merges",
    "AddTagsToStream": "at most 50 tags per stream",
    "ListTagsForStream": "ExclusiveStartTagKey, Limit, HasMoreTags",
    "RegisterStreamConsumer": "at most 20 consumers per stream; consumer ARN <stream ARN>/consumer/<name>:<epoch>",
    "StartStreamEncryption": "EncryptionType KMS with a key id, ARN, alias or `alias/aws/kinesis`: records written "
                             "from then on are sealed at rest (AES-256-GCM) under data keys from Cenote's KMS, asked "
                             "as the caller via Kinesis with `aws:kinesis:arn` (the stream ARN) as encryption context "
                             "and reused for 5 minutes per caller; GetRecords and SubscribeToShard open them with "
                             "KMS's Decrypt as the reader, so a producer needs kms:GenerateDataKey and a consumer "
                             "kms:Decrypt on the key (else KMSAccessDeniedException; a disabled, missing or pending-"
                             "deletion key: KMSDisabledException, KMSNotFoundException, KMSInvalidStateException); "
                             "the key is checked when encryption starts; records carry EncryptionType KMS; the "
                             "stream's key and type survive restarts",
    "StopStreamEncryption": "records written from then on are stored in the clear; sealed ones still read back",
    "PutResourcePolicy": "stream ARNs only; stored, not yet enforced",
    "EnableEnhancedMonitoring": "recorded and reported; per-stream counters are kept in memory for CloudWatch",
    "UpdateStreamMode": "PROVISIONED <-> ON_DEMAND (the shards stay as they are)",
    "SubscribeToShard": "from the Kinesis overlay (botocore's shapes); HTTP/2 `application/vnd.amazon.eventstream`: "
                        "initial-response, then SubscribeToShardEvent (Records, ContinuationSequenceNumber, "
                        "MillisBehindLatest, ChildShards at the end of a closed shard) pushed as records arrive "
                        "(50 ms poll), heartbeat every 5 s, ends after 5 minutes; ResourceInUseException within 5 s "
                        "for the same consumer and shard, later calls take the subscription over",
}

GAPS = [
    "SubscribeToShard holds one HTTP worker thread per subscription for its lifetime (up to 5 minutes); CBOR "
    "event payloads (sent when the request was CBOR) are unit-tested only, not yet against the Java SDK v2 / KCL.",
    "SubscribeToShard's per-second call rate limit (1 call/s per consumer and shard) is only enforced as the "
    "5 s ResourceInUseException guard.",
    "TagResource / UntagResource / ListTagsForResource are not in the pinned model.",
    "Server-side encryption and resource policies are recorded, not enforced (so a StreamARN of another account "
    "is not yet checked against the stream's resource policy).",
]


WIRE_PROTOCOLS = [
    "- JSON (`application/x-amz-json-1.1`): botocore, the AWS CLI, the JS SDK v3.",
    "- CBOR (`application/x-amz-cbor-1.1`, the AWS Java SDK and KCL default): requests are decoded from CBOR and "
    "answered in CBOR, errors included (`__type`, `message`). Blobs are CBOR byte strings; timestamps are tag 1 + "
    "integer epoch milliseconds on output (what the Java SDKs' SdkCborGenerator writes and parse); on input tag 1 "
    "accepts RFC 8949 epoch seconds (integer or float) and the SDKs' milliseconds (integers of magnitude >= 1e11). "
    "Indefinite-length strings, arrays and maps are accepted.",
    "- SubscribeToShard answers over HTTP/2 (the JS SDK v3 default handler) with an event stream; event payloads "
    "are JSON, or CBOR (`:content-type application/x-amz-cbor-1.1`) when the request was CBOR.",
]

REGIONS = [
    "One server serves every region. A stream lives in the namespace of the caller's account and the request's "
    "region (its SigV4 credential scope): the same name in two regions is two streams, `ListStreams` and "
    "`DescribeLimits` answer for the request's region, and the account limits count per region. ARNs say where "
    "a stream is: `arn:aws:kinesis:<region>:<account>:stream/<name>`, consumers "
    "`<stream ARN>/consumer/<name>:<epoch>`.",
    "A `StreamARN` / `ConsumerARN` is resolved in its own account, in the request's region: as on AWS, an ARN of "
    "another region names no stream at this endpoint (`ResourceNotFoundException`). Shard iterators and "
    "`ListShards` tokens carry their stream's region and are refused in another one "
    "(`InvalidArgumentException`).",
    "Streams stored before streams were regional (schema v2) were moved to the data directory's root account "
    "and default region (`--region` / `CENOTE_REGION`) when it first started with schema v6.",
]

STORAGE = [
    "Records live in `<data-dir>/kinesis/<stream uid>/<shard id>/`, an append-only series of segment files (64 MiB) "
    "of CRC32C-framed records with an in-memory sparse index; appends are group-committed and fsynced before "
    "PutRecord(s) answers; a torn tail is cut at restart. Stream metadata is in the metadata store (component "
    "`kinesis`).",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Wire protocols", WIRE_PROTOCOLS),
                ("Regions", coverage_doc.bullets(REGIONS)), coverage_doc.errors_section("kinesis"),
                ("Storage", STORAGE)]
    coverage_doc.write("kinesis", "kinesis-2013-12-02", "Kinesis Data Streams coverage",
                       protocol_in_intro=True, notes=NOTES,
                       sections=sections)


if __name__ == "__main__":
    main()
