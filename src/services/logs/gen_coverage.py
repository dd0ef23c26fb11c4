#!/usr/bin/env python3
"""Generates docs/logs-coverage.md from the pinned CloudWatch Logs model and the provider's operation table.

Usage: python3 src/services/logs/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/logs/logs_provider.cpp. The error table comes from
src/services/logs/errors.hpp. The unit test LogsCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateLogGroup": "tags (at most 50), kmsKeyId and logGroupClass STANDARD / INFREQUENT_ACCESS / DELIVERY stored "
                      "and answered by DescribeLogGroups",
    "DeleteLogGroup": "its streams, events and filters go with it",
    "DescribeLogGroups": "logGroupNamePrefix or logGroupNamePattern (case-insensitive substring), logGroupClass, "
                         "limit (50) and nextToken; arn (with `:*`), logGroupArn, storedBytes, metricFilterCount",
    "PutRetentionPolicy": "AWS's day values only (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
                          "1096, 1827, 2192, 2557, 2922, 3288, 3653); older events deleted by a background task",
    "DescribeLogStreams": "orderBy LogStreamName / LastEventTime, descending, logStreamNamePrefix, paging; "
                          "firstEventTimestamp, lastEventTimestamp, lastIngestionTime, storedBytes",
    "PutLogEvents": "10,000 events, 1,048,576 bytes counting 26 bytes per event, events up to 1 MB, chronological "
                    "order, a 24 h span; events more than 2 h ahead, older than 14 days or than the retention are "
                    "rejected by index (rejectedLogEventsInfo tooNewLogEventStartIndex / tooOldLogEventEndIndex / "
                    "expiredLogEventEndIndex) and the rest stored; sequence tokens accepted and ignored; durable "
                    "(fsynced) before the answer",
    "GetLogEvents": "startTime / endTime, limit (10,000) and 1 MB pages, startFromHead, nextForwardToken / "
                    "nextBackwardToken `f/...` `b/...`; at the end the token passed in comes back (the CLI's stop "
                    "rule); logGroupIdentifier",
    "FilterLogEvents": "logStreamNames or logStreamNamePrefix, startTime / endTime, filterPattern (every form: "
                       "terms, quoted, -exclusion, ?alternatives, %regex%, JSON `{ $.a = ... }` with && || ( ), "
                       "numeric comparisons, IS NULL / NOT EXISTS / IS TRUE / IS FALSE, wildcards, `$.a[0]`, "
                       "space-delimited `[a, ..., b = 4*, c > 10]`), interleaved in time order, limit and nextToken",
    "PutMetricFilter": "pattern checked, stored with its transformations (100 per group)",
    "TestMetricFilter": "the same matcher as FilterLogEvents; extractedValues of space-delimited (`$name`) and JSON "
                        "(`$.a.b`) patterns",
    "PutSubscriptionFilter": "destination a Kinesis stream or a Firehose stream (with roleArn, assumed for the "
                             "delivery; the caller needs iam:PassRole on it) or a Lambda function (invoked as logs.amazonaws.com with the group as "
                             "aws:SourceArn); 2 per group; a CONTROL_MESSAGE test is delivered on creation "
                             "(Kinesis and Firehose refusing it fail the call), a Lambda function is checked with a "
                             "DryRun invocation as logs.amazonaws.com (InvalidParameterException \"Could not execute "
                             "the lambda function...\" without its permission); matching events are delivered "
                             "gzip-compressed in AWS's DATA_MESSAGE format, at least once, from an outbox "
                             "committed with the events",
    "StartQuery": "logGroupName / logGroupNames / logGroupIdentifiers (50), startTime / endTime in seconds "
                  "(inclusive), limit; the Insights language (see below); MalformedQueryException for bad queries",
    "GetQueryResults": "status Scheduled / Running / Complete / Failed / Cancelled, results as [[{field, value}]], "
                       "@ptr, statistics recordsMatched / recordsScanned / bytesScanned",
    "StopQuery": "cancels a running query (success false when it already ended)",
    "DescribeQueries": "logGroupName, status, maxResults",
    "GetLogRecord": "the event of an @ptr: @timestamp, @message, @logStream, @log, @ingestionTime and the fields "
                    "of a JSON message",
    "PutResourcePolicy": "stored per account and region (10), not enforced",
    "TagResource": "log group ARNs",
    "ListTagsForResource": "log group ARNs",
}

GAPS = [
    "Metric filters are stored and tested but publish no metrics until CloudWatch metrics exist in Cenote.",
    "StartLiveTail (an event stream) is not implemented; `aws logs tail --follow` works, as the CLI implements it "
    "with FilterLogEvents polling.",
    "Subscription filters to CloudWatch Logs destinations (PutDestination, cross-account) and account-level "
    "subscription policies are not implemented. Lambda destinations are invoked asynchronously as "
    "logs.amazonaws.com (failures are retried with backoff for 24 hours); shown end to end in "
    "`tests/e2e/lambda/test_targets.py`.",
    "KMS encryption of log groups (kmsKeyId) is stored, not applied; data protection policies, anomaly detection, "
    "export tasks, deliveries, transformers, query definitions and field indexes are not implemented.",
    "Logs Insights: the `pattern`, `unmask`, `filterIndex`, `source` and SQL / PPL query languages are not "
    "implemented; Insights queries are kept in memory (a restart forgets them).",
    "Resource policies are stored, not enforced.",
]

INSIGHTS = [
    "Commands: `fields` (expressions, `as`), `display`, `filter`, `stats` (count(*), count(), count(f), sum, avg, "
    "min, max, pct(f, p), stddev, count_distinct, earliest, latest, sortsFirst, sortsLast; `by` expressions "
    "including `bin(5m)`), `sort` (asc / desc, several keys), `limit`, `parse` (a glob with `*` and `as` names, or "
    "a /regex/ with named groups), `dedup`.",
    "Expressions: comparisons, arithmetic, `like \"text\"`, `like /regex/`, `=~ /regex/`, `in [..]`, `not in`, "
    "`and` / `or` / `not`; functions strlen, toupper, tolower, concat, substr, replace, trim, ltrim, rtrim, abs, "
    "ceil, floor, round, sqrt, log, pow, greatest, least, datefloor, dateceil, fromMillis, toMillis, ispresent, "
    "isempty, isblank, coalesce, strcontains, bin.",
    "Fields: @timestamp, @message, @logStream, @log, @ingestionTime, @ptr (in results, not in expressions), the "
    "fields of JSON messages by dotted path (`a.b`, arrays `a.0`), and the fields Insights discovers in Lambda's "
    "START/END/REPORT lines: @type, @requestId, @duration, @billedDuration, @initDuration, @memorySize and "
    "@maxMemoryUsed (bytes, as AWS reports them).",
    "Queries run on the query engine (DuckDB, the engine Athena uses): the events of the time range are read in "
    "time order from the service's database, exported to a CSV file in the scratch directory, and the query, "
    "translated to one SELECT over that file, runs through the engine's sandbox with every user value a quoted "
    "literal. Insights' dynamically typed values are typed by the translation (numbers, timestamps, text read as "
    "a number where it parses as one); `sort` keeps Insights' natural order. A query with a limit and no filter "
    "before it exports only the events it needs.",
    "Regular expressions are RE2's (the engine's): lookaround and back-references are refused with "
    "MalformedQueryException when the query is parsed. Text functions count characters, not bytes.",
]

STORAGE = [
    "`<data-dir>/logs/logs.db`, a SQLite database of the service's own (WAL, synchronous=FULL): log groups, "
    "streams, events (indexed by stream and time, and by group and time), filters, resource policies and the "
    "subscription outbox. A PutLogEvents is one transaction, committed before the answer: acknowledged events "
    "survive kill -9.",
    "Retention runs every second in the background and measures days with `--lifecycle-day-seconds` (the test "
    "clock S3 lifecycle uses): a day is 86,400 s unless tests shorten it.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Logs Insights", coverage_doc.bullets(INSIGHTS)),
                coverage_doc.errors_section("logs"), ("Storage", coverage_doc.bullets(STORAGE))]
    coverage_doc.write("logs", "logs-2014-03-28", "CloudWatch Logs coverage", protocol_in_intro=True, notes=NOTES,
                       sections=sections)


if __name__ == "__main__":
    main()
