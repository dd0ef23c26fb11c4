#!/usr/bin/env python3
"""Generates docs/events-coverage.md from the pinned EventBridge model and the provider's operation table.

Usage: python3 src/services/events/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/events/events_provider.cpp. The error table comes from
src/services/events/errors.hpp. The unit test EventsCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "PutEvents": "10 entries, 256 KiB (AWS's entry-size rule); per-entry ErrorCode/ErrorMessage (InvalidArgument, "
                 "MalformedDetail, NotAuthorizedForSourceException for `aws.*` sources from callers, "
                 "ResourceNotFoundException); EventBusName as a name or ARN (cross-account through the bus policy); "
                 "matched entries are committed to the durable outbox before the answer",
    "PutRule": "EventPattern (every operator, services/common/event_pattern.hpp, InvalidEventPatternException) and/or "
               "ScheduleExpression rate()/cron() (default bus only); State, Description, RoleArn, Tags",
    "PutTargets": "5 targets per rule; Input / InputPath / InputTransformer (InputPathsMap, InputTemplate with AWS's "
                  "quoting rules, `<aws.events.rule-arn>`, `<aws.events.rule-name>`, `<aws.events.event>`, "
                  "`<aws.events.event.json>`, `<aws.events.event.ingestion-time>`); SqsParameters.MessageGroupId (FIFO), "
                  "KinesisParameters.PartitionKeyPath, RoleArn, RetryPolicy, DeadLetterConfig (SQS); targets: SQS "
                  "(standard and FIFO), Kinesis, Firehose, SNS, another event bus (same or cross account), Lambda, "
                  "Step Functions and Glue workflows (arn:aws:glue:<region>:<account>:workflow/<name> with RoleArn: "
                  "glue:notifyEvent to the workflow's EVENT trigger, whose EventBatchingCondition starts the run) "
                  "(through the Invoker)",
    "TestEventPattern": "the same matcher as rules",
    "PutPermission": "Action/Principal/StatementId/Condition statements or a whole Policy; the policy authorizes "
                     "cross-account PutEvents",
    "CreateArchive": "EventPattern, RetentionDays (older events are dropped, checked every minute); archived in "
                     "PutEvents' transaction",
    "StartReplay": "EventStartTime/EventEndTime select by the time in the event (a PutEvents entry's Time, else its "
                   "arrival), as AWS; Destination.Arn (the archive's bus), FilterArns; events carry "
                   "`replay-name`; STARTING -> RUNNING -> COMPLETED, CANCELLING -> CANCELLED",
}

GAPS = [
    "Connections, API destinations, endpoints, partner event sources and UpdateEventBus's KMS / DeadLetterConfig / "
    "LogConfig are not implemented (answered as unsupported operations).",
    "Targets other than SQS, SNS, Kinesis, Firehose, event buses, Lambda, Step Functions and Glue workflows fail "
    "their deliveries "
    "(retried, then dead-lettered).",
]

SERVICE_EVENTS = [
    "AWS services put their events on the default bus of the resource's account through the in-process invoker, as "
    "themselves (`<service>.amazonaws.com`, allowed without a bus policy; `aws.*` sources are refused from other "
    "callers). Wired today: Glue crawlers (`aws.glue`, `Glue Crawler State Change`: Started, Succeeded, Failed, "
    "with AWS's detail fields) and Athena (`aws.athena`, `Athena Query State Change`: QUEUED, RUNNING, SUCCEEDED, "
    "FAILED, CANCELLED with previousState and sequenceNumber), S3 for buckets with EventBridge notifications "
    "enabled (`aws.s3`: Object Created, Object Deleted, Object Tags Added/Deleted, Object ACL Updated, Object "
    "Restore Initiated/Completed/Expired), Glue jobs (`Glue Job State Change`) and Step Functions executions. "
    "The entry point's shape is in src/services/events/events_provider.hpp.",
]

DELIVERY = [
    "Each (rule, target) match of an accepted PutEvents entry is a row of the outbox (metadata store component "
    "`events`), committed before PutEvents answers, so an accepted entry is delivered at least once, across kill -9 "
    "too. A background task delivers due rows through the in-process Invoker and deletes them once delivered.",
    "Deliveries are made as the service principal `events.amazonaws.com` with `aws:SourceArn` = the rule ARN and "
    "`aws:SourceAccount` (SQS, SNS, Lambda: the target's resource policy decides), or as a session of the target's "
    "RoleArn (Kinesis, Firehose, Step Functions, Glue workflows, event buses when given; the role must trust "
    "events.amazonaws.com).",
    "Failures are retried with exponential backoff (1 s doubling up to 60 s) within RetryPolicy "
    "(MaximumRetryAttempts, default 185; MaximumEventAgeInSeconds, default 86400); access-denied and not-found "
    "errors are not retried. Exhausted events go to DeadLetterConfig's SQS queue with the message attributes "
    "RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS.",
    "Scheduled rules fire `Scheduled Event` events (source `aws.events`) on time; firings missed while the server "
    "was down are not made up.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Delivery", DELIVERY),
                ("AWS service events", SERVICE_EVENTS),
                coverage_doc.errors_section("events")]
    coverage_doc.write("events", "eventbridge-2015-10-07", "Amazon EventBridge coverage", protocol_in_intro=True,
                       notes=NOTES, sections=sections)


if __name__ == "__main__":
    main()
