#!/usr/bin/env python3
"""Generates docs/cloudtrail-coverage.md from the pinned CloudTrail model and the provider's operation table.

Usage: python3 src/services/cloudtrail/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the Operations()
table of src/services/cloudtrail/cloudtrail_provider.cpp. The error table comes from
src/services/cloudtrail/errors.hpp. The unit test CloudTrailCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402

NOTES = {
    "CreateTrail": "name rules, 5 trails per region; the bucket must exist (S3BucketDoesNotExistException) and its "
                   "policy must let cloudtrail.amazonaws.com GetBucketAcl and PutObject with "
                   "bucket-owner-full-control under `<prefix>/AWSLogs/<account>/` (checked as AWS does, "
                   "InsufficientS3BucketPolicyException); S3KeyPrefix, IsMultiRegionTrail, "
                   "IncludeGlobalServiceEvents, EnableLogFileValidation, IsOrganizationTrail (Organizations), "
                   "TagsList; KmsKeyId (a key id, ARN or alias, checked by asking KMS for a data key as "
                   "cloudtrail.amazonaws.com with the trail's ARN as `aws:cloudtrail:arn` encryption context: "
                   "KmsKeyNotFoundException, InsufficientEncryptionPolicyException when the key policy does not "
                   "allow CloudTrail, KmsException otherwise; log and digest files are then delivered SSE-KMS "
                   "with the key, S3 asking KMS as CloudTrail with that context; the trail shows the key's ARN); "
                   "SnsTopicName and CloudWatch Logs answer UnsupportedOperationException",
    "UpdateTrail": "the same members; a new bucket or prefix is checked again; KmsKeyId \"\" turns SSE-KMS off; "
                   "home region only",
    "DeleteTrail": "home region only (InvalidHomeRegionException elsewhere)",
    "GetTrail": "by name or ARN; multi-region trails also from their other regions",
    "DescribeTrails": "trailNameList (names or ARNs), includeShadowTrails",
    "ListTrails": "every trail of the account with its HomeRegion",
    "StartLogging": "delivery starts with the events after this call",
    "StopLogging": "files already recorded are still delivered, and their digest",
    "GetTrailStatus": "IsLogging, LatestDeliveryTime, LatestDeliveryError, Start/StopLoggingTime, "
                      "LatestDigestDeliveryTime, LatestDeliveryAttemptTime/Succeeded",
    "PutEventSelectors": "basic selectors (ReadWriteType, IncludeManagementEvents, ExcludeManagementEventSources, "
                         "DataResources AWS::S3::Object by bucket/prefix or all buckets, Lambda, DynamoDB) or "
                         "advanced selectors (eventCategory, eventSource, eventName, readOnly, resources.type, "
                         "resources.ARN, userIdentity.arn, errorCode with Equals/StartsWith/EndsWith and their Not "
                         "forms)",
    "GetEventSelectors": "what PutEventSelectors stored, or the default (all management events)",
    "AddTags": "trail ARNs; 50 tags",
    "RemoveTags": "",
    "ListTags": "",
    "LookupEvents": "management events of the last 90 days of the caller's account in the request's region, "
                    "newest first; one LookupAttribute (EventId, EventName, ReadOnly, Username, ResourceType, "
                    "ResourceName, EventSource, AccessKeyId), StartTime/EndTime, MaxResults <= 50, NextToken; "
                    "EventCategory insight answers no events",
    "ListPublicKeys": "the region's RSA-2048 digest-signing keys (PKCS#1 DER, MD5 fingerprint) valid in "
                      "[StartTime, EndTime]; a key is valid for 30 days, then the next one signs",
    "CreateEventDataStore": "CloudTrail Lake: Name (unique per region), AdvancedEventSelectors (default: all "
                            "management events; the trails' selector fields), MultiRegionEnabled, "
                            "RetentionPeriod (7-3653 days, 2557 with FIXED_RETENTION_PRICING), BillingMode, "
                            "TerminationProtectionEnabled, StartIngestion, TagsList; 10 per region; ingests the "
                            "events of its account recorded after it is created. OrganizationEnabled and KmsKeyId "
                            "answer UnsupportedOperationException",
    "GetEventDataStore": "by ARN or id",
    "ListEventDataStores": "MaxResults, NextToken",
    "UpdateEventDataStore": "the same members; a selector or region change applies to every later query",
    "DeleteEventDataStore": "PENDING_DELETION for 7 days (restorable, not queryable), then removed; "
                            "EventDataStoreTerminationProtectedException while protected",
    "RestoreEventDataStore": "a store pending deletion",
    "StartEventDataStoreIngestion": "resumes ingestion (events recorded while stopped stay out)",
    "StopEventDataStoreIngestion": "",
    "StartQuery": "SQL in Athena's (Trino's) dialect on the query engine: `SELECT ... FROM <store id or ARN>`, "
                  "joins of several stores, the event record's fields as columns (userIdentity and tlsDetails as "
                  "rows, requestParameters/responseElements/additionalEventData as map(varchar, varchar), "
                  "eventTime a timestamp); QueryParameters fill `?`; at most 10 running per account "
                  "(MaxConcurrentQueriesException); InvalidQueryStatementException when no store is named; "
                  "syntax errors FAIL the query with the engine's SYNTAX_ERROR. DeliveryS3Uri answers "
                  "UnsupportedOperationException",
    "DescribeQuery": "QueryStatus QUEUED/RUNNING/FINISHED/FAILED/CANCELLED/TIMED_OUT, ErrorMessage, statistics",
    "GetQueryResults": "QueryResultRows as [{column: value}] per row (Lake's columns keep their record spelling, "
                       "eventName), MaxQueryResults <= 1000, NextToken; results kept across restarts",
    "ListQueries": "a store's queries, newest first, by QueryStatus",
    "CancelQuery": "a queued or running query",
}

GAPS = [
    "CloudTrail Lake: event data stores read the 90-day event log (retention beyond it is not kept), ingest from "
    "their creation (no import of older events), are not KMS-encrypted; organization stores, imports, channels, "
    "federation, dashboards, query result delivery to S3 and GenerateQuery: not implemented. Insights selectors "
    "and events, resource policies, delegated administrators: not implemented.",
    "SNS notifications and CloudWatch Logs delivery answer UnsupportedOperationException.",
    "Organization trails record the member accounts' events under `AWSLogs/<org id>/<account>/`; digests are "
    "written for the management account's own chain only, and the management-account check is not made.",
    "Events record `userIdentity`, `requestParameters` (the input with secrets left out) and `responseElements` "
    "(the output of write calls) in lowerCamelCase member names; service-specific fields AWS adds "
    "(`additionalEventData`, S3's `x-amz-*` response headers, `sessionCredentialFromConsole`) are not.",
]

RECORDING = [
    "Every answered call, from the network or in-process, allowed or denied, becomes an event (eventVersion 1.11) "
    "by an after-hook of the request pipeline, before the response leaves. Management events always (90 days of "
    "event history); data events (S3 object-level operations, the Kinesis and SQS data planes, Lambda Invoke: "
    "src/services/cloudtrail/event_rules.cpp) only while a logging trail's event selectors select them. "
    "CloudTrail's own calls (its deliveries and bucket checks, as cloudtrail.amazonaws.com) are not recorded.",
    "Durability: the event is copied into the mapped event log before the call is answered (it survives kill -9) "
    "and flushed to disk by group commit within about 20 ms; `CENOTE_CLOUDTRAIL_SYNC=always` makes each call wait "
    "for that flush (survives power loss). `CENOTE_CLOUDTRAIL_RECORDING=off` records nothing.",
    "Delivery: every `CENOTE_CLOUDTRAIL_DELIVERY_SECONDS` (default 300), gzip JSON `{\"Records\": [...]}` files "
    "under `[prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_"
    "<YYYYMMDDTHHmmZ>_<16 chars>.json.gz`, written as cloudtrail.amazonaws.com with the trail as aws:SourceArn; at "
    "least once across restarts. Digests every `CENOTE_CLOUDTRAIL_DIGEST_SECONDS` (default 3600) under "
    "`AWSLogs/<account>/CloudTrail-Digest/<region>/...`, signed SHA256withRSA (signature in "
    "`x-amz-meta-signature`), chained by previousDigestSignature; `aws cloudtrail validate-logs` verifies them "
    "(docs/cloudtrail.md).",
]


def main():
    sections = [("Recording and delivery", coverage_doc.bullets(RECORDING)), ("Not yet", coverage_doc.bullets(GAPS)),
                coverage_doc.errors_section("cloudtrail")]
    coverage_doc.write("cloudtrail", "cloudtrail-2013-11-01", "CloudTrail coverage", protocol_in_intro=True,
                       notes=NOTES, sections=sections,
                       unsupported="The short target prefix `CloudTrail_20131101` that botocore sends and the "
                                   "long one of the model are both accepted.")


if __name__ == "__main__":
    main()
