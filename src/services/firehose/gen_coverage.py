#!/usr/bin/env python3
"""Generates docs/firehose-coverage.md from the pinned Firehose model and the provider's operation table.

Usage: python3 src/services/firehose/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/firehose/firehose_provider.cpp. The error table comes from
src/services/firehose/errors.hpp. The unit test FirehoseCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "StartDeliveryStreamEncryption": "DirectPut streams (InvalidArgumentException for KinesisStreamAsSource); "
                                     "AWS_OWNED_CMK (Firehose's own key, a file of its own) or CUSTOMER_MANAGED_CMK "
                                     "(KeyARN required): a KMS grant to firehose.amazonaws.com made as the caller "
                                     "(InvalidKMSResourceException when KMS refuses it); from then on every accepted "
                                     "record is sealed (AES-256-GCM) in the buffer under data keys Firehose asks KMS "
                                     "for as its service principal ({\"aws:firehose:arn\": stream ARN} as context, "
                                     "reused 5 minutes), opened at delivery; PutRecord / PutRecordBatch answer "
                                     "Encrypted true (InvalidKMSResourceException once KMS refuses the key); "
                                     "DescribeDeliveryStream shows KeyType, KeyARN and Status ENABLED; also "
                                     "CreateDeliveryStream's DeliveryStreamEncryptionConfigurationInput",
    "StopDeliveryStreamEncryption": "Status DISABLED; records already sealed are still opened at delivery",
    "CreateDeliveryStream": "DirectPut and KinesisStreamAsSource; ExtendedS3DestinationConfiguration and "
                            "S3DestinationConfiguration (BufferingHints defaults 5 MiB / 300 s, 1..128 MiB, "
                            "0..900 s; CompressionFormat UNCOMPRESSED / GZIP / ZIP / Snappy (framing format) / "
                            "HADOOP_SNAPPY; Prefix / ErrorOutputPrefix "
                            "expressions; ProcessingConfiguration with AppendDelimiterToRecord and "
                            "MetadataExtraction; DynamicPartitioningConfiguration; DataFormatConversionConfiguration "
                            "(JSON -> Parquet with the Glue table's schema); EncryptionConfiguration "
                            "(KMSEncryptionConfig: every object written SSE-KMS with AWSKMSKeyARN, S3 asking KMS as "
                            "the destination's role; NoEncryptionConfig: the bucket's default encryption; both: "
                            "InvalidArgumentException); CloudWatchLoggingOptions "
                            "stored); DeliveryStreamEncryptionConfigurationInput (see StartDeliveryStreamEncryption); "
                            "Tags; CREATING -> ACTIVE",
    "DescribeDeliveryStream": "one destination `destinationId-000000000001` with Extended and plain S3 "
                              "descriptions, VersionId, CreateTimestamp / LastUpdateTimestamp, Source",
    "ListDeliveryStreams": "Limit (default 10), DeliveryStreamType, ExclusiveStartDeliveryStreamName, "
                           "HasMoreDeliveryStreams",
    "DeleteDeliveryStream": "removes the stream and its undelivered records",
    "UpdateDestination": "CurrentDeliveryStreamVersionId checked (ConcurrentModificationException), VersionId "
                         "incremented; merges ExtendedS3DestinationUpdate / S3DestinationUpdate",
    "PutRecord": "1000 KiB per record; appended and fsynced before the answer; refused on "
                 "KinesisStreamAsSource streams",
    "PutRecordBatch": "500 records, 4 MiB per call; RecordId per record, FailedPutCount",
    "TagDeliveryStream": "at most 50 tags",
    "ListTagsForDeliveryStream": "ExclusiveStartTagKey, Limit, HasMoreTags",
}

GAPS = [
    "DataFormatConversionConfiguration: JSON -> Parquet only (OrcSerDe is refused); the Glue table's current "
    "version is used; a batch with a value that does not fit its column "
    "type goes to the error prefix as a whole (DuckDB refuses the file), not record by record.",
    "CustomTimeZone is stored but prefixes and object names always use UTC.",
    "SchemaConfiguration.VersionId is not honoured (the table's current schema is used).",
    "Lambda processors and !{partitionKeyFromLambda:...}, RecordDeAggregation, S3 backup are refused.",
    "Destinations other than S3 (Redshift, OpenSearch, Splunk, HTTP endpoint, Snowflake, Iceberg) are refused.",
    "MSKAsSource and DatabaseAsSource are refused.",
    "Buffer encryption: the 25-changes-per-day limit of Start/StopDeliveryStreamEncryption is not enforced, and "
    "Firehose's grant on a customer managed key is not retired when encryption stops or the key changes "
    "(records sealed under it may still wait in the buffer).",
    "Roles are not evaluated yet (IAM): deliveries and Kinesis reads are made as the configured roles' sessions "
    "and recorded as such, and allowed.",
    "The Glue catalog used for DataFormatConversionConfiguration is the server's one catalog; "
    "SchemaConfiguration.Region / CatalogId / RoleARN are stored, not yet used.",
]

REGIONS = [
    "One server serves every region. A delivery stream lives in the namespace of the caller's account and the "
    "request's region (its SigV4 credential scope): the same name in two regions is two delivery streams, "
    "`ListDeliveryStreams` answers for the request's region and the stream quota counts per region. ARNs say "
    "where a stream is: `arn:aws:firehose:<region>:<account>:deliverystream/<name>`.",
    "Firehose calls other services in-process, through the request pipeline (authorize, audit), as AWS's Firehose "
    "does with the roles a stream is configured with, invoked by `firehose.amazonaws.com`: S3 objects are written "
    "as the destination's `RoleARN` (session `AWSFirehoseToS3`) in the delivery stream's region; a "
    "KinesisStreamAsSource stream reads its source as the source configuration's `RoleARN` (session "
    "`AWSFirehoseFromKinesis`) in the source stream ARN's region, so a stream created by a client in eu-west-1 "
    "is found there.",
    "Delivery streams stored before streams were regional (schema v3) were moved to the data directory's root "
    "account and default region (`--region` / `CENOTE_REGION`) when it first started with schema v7.",
]


WIRE_PROTOCOL = [
    "- JSON 1.1 (`application/x-amz-json-1.1`, target prefix `Firehose_20150804`): botocore, the AWS CLI, the JS "
    "SDK v3. Record `Data` is base64 on the wire and raw bytes in the provider.",
]

STORAGE_AND_DELIVERY = [
    "Accepted records are appended to a per-stream log under `<data-dir>/firehose/` and fsynced before PutRecord / "
    "PutRecordBatch answer. A background task flushes the buffers of every region when BufferingHints.SizeInMBs or IntervalInSeconds "
    "is reached and writes one object per batch (per partition with dynamic partitioning) at "
    "`<Prefix or YYYY/MM/DD/HH/><name>-<version>-<YYYY-MM-DD-HH-MM-SS>-<uuid>[.gz|.zip|.snappy|.parquet]`. The "
    "delivered position is committed only after the object is written; the object key is derived from the batch's "
    "first record, so a batch replayed after a crash overwrites the same key instead of duplicating it. Records "
    "whose partition keys cannot be extracted or that cannot be converted go to ErrorOutputPrefix "
    "(`!{firehose:error-output-type}` = `partitioning-failed` / `format-conversion-failed`) as AWS error records "
    "(JSON lines with attemptsMade, arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData "
    "base64).",
    "",
    "Dynamic partitioning supports this JQ subset in MetadataExtractionQuery: `{k: .a.b, k2: .x[0], k3}`, "
    "`.[\"key\"]`, `.[n]`, `.[from:to]`, and `| tostring`, `ascii_downcase`, `ascii_upcase`, `strftime(\"...\")`, "
    "`todate`, `tonumber`, `ltrimstr(\"...\")`, `rtrimstr(\"...\")`, `split(\"...\")`.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Wire protocol", WIRE_PROTOCOL),
                ("Regions and roles", coverage_doc.bullets(REGIONS)), coverage_doc.errors_section("firehose"),
                ("Storage and delivery", STORAGE_AND_DELIVERY)]
    coverage_doc.write("firehose", "firehose-2015-08-04", "Amazon Data Firehose coverage",
                       protocol_in_intro=True, notes=NOTES,
                       sections=sections)


if __name__ == "__main__":
    main()
