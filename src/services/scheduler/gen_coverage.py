#!/usr/bin/env python3
"""Generates docs/scheduler-coverage.md from the pinned EventBridge Scheduler model and the provider's table.

Usage: python3 src/services/scheduler/gen_coverage.py   (from anywhere)
An operation is supported when it appears in the Operations() table of
src/services/scheduler/scheduler_provider.cpp. The unit test SchedulerCoverage.DocMatchesProvider fails when the
doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateSchedule": "at(yyyy-mm-ddThh:mm:ss), rate(n minute(s)|hour(s)|day(s)), cron(6 fields) in "
                      "ScheduleExpressionTimezone (IANA zones from the system's zoneinfo); StartDate/EndDate, "
                      "FlexibleTimeWindow OFF / FLEXIBLE (a random delay within the window), State, "
                      "ActionAfterCompletion NONE / DELETE; templated targets (SQS incl. FIFO, SNS, Kinesis, Firehose, "
                      "EventBridge PutEvents, Lambda, Step Functions) and universal targets "
                      "(arn:aws:scheduler:::aws-sdk:<service>:<apiAction>, Input = the API parameters); context "
                      "attributes `<aws.scheduler.schedule-arn>`, `<aws.scheduler.scheduled-time>`, "
                      "`<aws.scheduler.execution-id>`, `<aws.scheduler.attempt-number>` in Input; RetryPolicy and "
                      "DeadLetterConfig (SQS)",
    "UpdateSchedule": "replaces the whole schedule, as on AWS",
    "GetSchedule": "a rate() schedule without StartDate first fires when it is created, then every period",
    "DeleteScheduleGroup": "deletes the group's schedules; the default group cannot be deleted",
    "TagResource": "schedule groups",
}

GAPS = [
    "KmsKeyArn is stored and reported; target input is not encrypted with it.",
    "Universal targets reach the services this server runs; others fail their invocations (retried, then "
    "dead-lettered).",
]

TIMING = [
    "One background task sleeps until the earliest due schedule or invocation (a timer set, no polling of every "
    "schedule) and invokes within about a second of the scheduled time (AWS documents one-minute precision).",
    "Each firing is an invocation row committed with the schedule's new state before the target is called: a "
    "firing is invoked at least once, across kill -9 too. Targets are invoked as a session of the target's RoleArn "
    "(which must trust scheduler.amazonaws.com), with aws:SourceArn = the schedule ARN.",
    "After downtime, a one-time at() schedule that had not fired fires at once; recurring schedules continue at their "
    "next time (missed firings are not made up).",
    "Failed invocations are retried with exponential backoff (1 s doubling up to 60 s) within RetryPolicy "
    "(MaximumRetryAttempts default 185, MaximumEventAgeInSeconds default 86400), then sent to DeadLetterConfig's "
    "queue with the attributes ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS, TARGET_ARN and "
    "SCHEDULE_ARN.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Timing and delivery", TIMING),
                coverage_doc.errors_section("scheduler")]
    coverage_doc.write("scheduler", "scheduler-2021-06-30", "Amazon EventBridge Scheduler coverage", notes=NOTES,
                       sections=sections)


if __name__ == "__main__":
    main()
