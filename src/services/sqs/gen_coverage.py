#!/usr/bin/env python3
"""Generates docs/sqs-coverage.md from the pinned SQS model and the provider's operation table.

Usage: python3 src/services/sqs/gen_coverage.py   (from anywhere)
The model's operation list is the source of rows; an operation is supported when it appears in the
Operations() table of src/services/sqs/sqs_provider.cpp. The error table comes from src/services/sqs/errors.hpp.
The unit test SqsCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateQueue": "standard and FIFO (`.fifo`, FifoQueue); every settable attribute checked against AWS's ranges; "
                   "idempotent with the same attributes, QueueAlreadyExists naming the first that differs; "
                   "QueueDeletedRecently within 60 s of a delete; tags",
    "ListQueues": "QueueNamePrefix, MaxResults 1..1000 with NextToken (no token without MaxResults)",
    "GetQueueAttributes": "All or names; ApproximateNumberOfMessages / NotVisible / Delayed, CreatedTimestamp, "
                          "LastModifiedTimestamp, QueueArn, Policy, RedrivePolicy, RedriveAllowPolicy, "
                          "SqsManagedSseEnabled, KMS attributes, FIFO attributes",
    "SetQueueAttributes": "RedrivePolicy checked against the target's type, account and RedriveAllowPolicy",
    "SendMessage": "DelaySeconds, message attributes (10, String/Number/Binary and custom types), AWSTraceHeader; "
                   "MD5OfMessageBody / MD5OfMessageAttributes / MD5OfMessageSystemAttributes as the SDKs verify; "
                   "MaximumMessageSize (up to 1 MiB); fsynced before the answer",
    "SendMessageBatch": "10 entries, 1 MiB in all, distinct ids; per-entry failures; one journal append",
    "ReceiveMessage": "MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds (long poll woken by a send), "
                      "AttributeNames / MessageSystemAttributeNames, MessageAttributeNames (All, `.*`, `prefix.*`); "
                      "FIFO group ordering; ReceiveRequestAttemptId (a retry within 5 minutes gets the same "
                      "messages and receipts); RedrivePolicy moves messages past maxReceiveCount",
    "DeleteMessage": "a stale receipt handle (the message was received again) deletes nothing, as AWS",
    "ChangeMessageVisibility": "0..43200 s; MessageNotInflight; expired receipt handles refused",
    "PurgeQueue": "PurgeQueueInProgress within 60 s",
    "AddPermission": "adds a statement (Sid = Label) to the queue's Policy",
    "StartMessageMoveTask": "from a dead-letter queue to DestinationArn or each message's source queue; "
                            "MaxNumberOfMessagesPerSecond",
}

GAPS = [
    "SqsManagedSseEnabled (SSE-SQS, the default) is stored and reported; those queues' journals are plain. "
    "SSE-KMS (KmsMasterKeyId) does encrypt bodies. The key is checked against KMS at the first send, not at "
    "CreateQueue / SetQueueAttributes.",
    "StringListValues / BinaryListValues (reserved by AWS, not implemented there either) are ignored.",
    "Long polls hold one server worker thread each while they wait; at most 32 wait at once (later ones answer "
    "an empty receive at once, which clients repeat).",
]

WIRE = [
    "- json 1.0 (`application/x-amz-json-1.0`, `X-Amz-Target: AmazonSQS.<Operation>`): current boto3 / AWS CLI "
    "and the JS SDK v3. Errors carry the error shape in `__type` and `X-Amzn-ErrorType` "
    "(`com.amazonaws.sqs#QueueDoesNotExist`) and the query code in `x-amzn-query-error` "
    "(`AWS.SimpleQueueService.NonExistentQueue;Sender`), which the SDKs map to their modeled exceptions.",
    "- query (form POST `Action=...&Version=2012-11-05`, XML answers): older boto3 / AWS CLI (Debian's). The "
    "query wire names (`Attribute.N.Name`, `SendMessageBatchRequestEntry.N.Id`, `<Message>`, ...) come from "
    "the overlay `src/aws/model/overlay/sqs-2012-11-05.query.json` (generated from botocore's query model).",
    "- Queue URLs are `http(s)://<the request's Host>/<account>/<queue>`, so SDKs that send the next call to the "
    "QueueUrl's host come back to the same endpoint; a QueueUrl is resolved by its path only.",
]

STORAGE = [
    "Queue definitions (attributes, tags, policy) are JSON documents in the metadata store (component `sqs`). "
    "Messages live in one journal per queue under `<data-dir>/sqs/<queue uid>/journal/`: CRC32C-framed records of every "
    "send, receive (receipt nonce, receive count, visibility), visibility change, delete, purge and dead-letter "
    "move, appended and fsynced (group commit across concurrent calls) before the call is answered, and replayed "
    "at start. An acknowledged send survives kill -9; a received, undeleted message comes back after its "
    "visibility timeout, also across restarts; an acknowledged delete is never undone. Journals are trimmed by "
    "whole segments once nothing in them is needed: every segment older than the oldest live message's send "
    "(and than the 5-minute FIFO deduplication window) goes, so a queue that is consumed as it is filled keeps "
    "little more than its backlog on disk.",
]


def errors_section():
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "errors.hpp")) as f:
        text = f.read()
    rows = sorted(set(re.findall(r'SqsErrorSpec k[A-Za-z]+\{\s*"([A-Za-z.]+)",\s*"([A-Za-z]*)"', text)))
    lines = ["Error codes the provider answers (messages follow AWS's wording). Query clients see the code; json "
             "clients see the error type as `__type` and the code in `x-amzn-query-error`:", "",
             "| query code | json error type |", "|---|---|"]
    lines += [f"| `{code}` | `{typ or code}` |" for code, typ in rows]
    return ("Errors", lines)


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Wire protocols", WIRE), errors_section(),
                ("Storage", STORAGE)]
    coverage_doc.write("sqs", "sqs-2012-11-05", "Amazon SQS coverage", protocol_in_intro=True, notes=NOTES,
                       sections=sections)


if __name__ == "__main__":
    main()
