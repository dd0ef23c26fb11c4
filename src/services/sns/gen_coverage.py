#!/usr/bin/env python3
"""Generates docs/sns-coverage.md from the pinned SNS model and the provider's operation table.

Usage: python3 src/services/sns/gen_coverage.py   (from anywhere)
The model's operation list (with the overlay's GetSigningCertificate) is the source of rows; an operation is
supported when it appears in the Operations() table of src/services/sns/sns_provider.cpp. The error table comes
from src/services/sns/errors.hpp. The unit test SnsCoverage.DocMatchesProvider fails when the doc is stale.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "scripts"))
import coverage_doc  # noqa: E402  (scripts/coverage_doc.py: the logic shared by all services)

NOTES = {
    "CreateTopic": "standard and FIFO (`.fifo`, FifoTopic, ContentBasedDeduplication, FifoThroughputScope); "
                   "DisplayName, Policy, DeliveryPolicy, SignatureVersion 1/2, TracingConfig, KmsMasterKeyId "
                   "(stored), delivery status attributes (stored); tags; idempotent with the same attributes and "
                   "tags",
    "GetTopicAttributes": "AWS's default topic policy, EffectiveDeliveryPolicy (the topic's over SNS's defaults), "
                          "SubscriptionsConfirmed / Pending / Deleted, Owner, FifoTopic",
    "SetTopicAttributes": "every CreateTopic attribute but FifoTopic; an empty Policy restores the default",
    "DeleteTopic": "idempotent; its subscriptions go with it",
    "ListTopics": "100 per page with NextToken, the request's account and region",
    "AddPermission": "a statement (Sid = Label) granting `SNS:<ActionName>` to the accounts; the topic policy is the "
                     "resource policy the authorizer evaluates",
    "Subscribe": "sqs (same account: confirmed at once; another account's queue: a SubscriptionConfirmation sent to "
                 "it), http/https (SubscriptionConfirmation POST with SubscribeURL and Token), email / email-json "
                 "(the file sink below), lambda, firehose (SubscriptionRoleArn required); attributes checked; "
                 "ReturnSubscriptionArn; the same endpoint again returns the existing subscription. FIFO topics: "
                 "sqs only (FIFO queues in order per message group, standard queues too). application and sms: "
                 "InvalidParameter (not delivered by Cenote)",
    "ConfirmSubscription": "the confirmation's Token (valid 3 days); also served as the unsigned GET of the "
                           "SubscribeURL; AuthenticateOnUnsubscribe (signed calls only, as AWS requires)",
    "Unsubscribe": "also the unsigned GET of a message's UnsubscribeURL (refused after AuthenticateOnUnsubscribe); "
                   "an http/email endpoint unsubscribed that way gets an UnsubscribeConfirmation",
    "ListSubscriptions": "the caller's subscriptions in the region, 100 per page; `PendingConfirmation` for "
                         "unconfirmed ones",
    "GetSubscriptionAttributes": "Owner, Protocol, Endpoint, PendingConfirmation, ConfirmationWasAuthenticated, "
                                 "RawMessageDelivery, SubscriptionPrincipal, FilterPolicy(Scope), RedrivePolicy, "
                                 "DeliveryPolicy and EffectiveDeliveryPolicy (http/https), SubscriptionRoleArn",
    "SetSubscriptionAttributes": "RawMessageDelivery (sqs, http/https, firehose), FilterPolicy, FilterPolicyScope "
                                 "(MessageAttributes / MessageBody), RedrivePolicy (an SQS queue), DeliveryPolicy, "
                                 "SubscriptionRoleArn (firehose)",
    "Publish": "TopicArn or TargetArn; Subject, MessageStructure=json (per-protocol messages, `default` required), "
               "MessageAttributes (String, String.Array, Number, Binary, custom types; 10 at most), 256 KiB; FIFO: "
               "MessageGroupId required, MessageDeduplicationId or ContentBasedDeduplication, 5-minute "
               "deduplication, SequenceNumber; standard topics: MessageGroupId forwarded to SQS standard queues "
               "(fair queues). PhoneNumber and platform endpoints: InvalidParameter (not delivered by Cenote)",
    "PublishBatch": "10 entries, 256 KiB in all, distinct ids; per-entry failures; one transaction",
    "GetSigningCertificate": "Cenote's name for the unsigned GET of a message's SigningCertURL "
                             "(`/SimpleNotificationService-<id>.pem`): the PEM certificate whose key signs every "
                             "message (overlay operation; no SDK sends it)",
}

GAPS = [
    "Mobile push (platform applications and endpoints) and SMS (sandbox, phone numbers, SMS attributes, opt-outs) "
    "are not implemented: their operations answer InvalidAction, and `application` / `sms` subscriptions and "
    "Publish to a PhoneNumber answer InvalidParameter.",
    "Data protection policies (Get/PutDataProtectionPolicy, CreateTopic's DataProtectionPolicy) and message "
    "archiving (ArchivePolicy, refused with InvalidParameter) are not implemented.",
    "Delivery status logging (`<Protocol>SuccessFeedbackRoleArn`, `...FailureFeedbackRoleArn`, "
    "`...SuccessFeedbackSampleRate`) is stored and reported; nothing is written to CloudWatch Logs, which Cenote "
    "does not have yet.",
    "KmsMasterKeyId is stored and reported; messages are not encrypted with it (the outbox is plain).",
    "lambda subscriptions invoke service `lambda` in-process (`Invoke`, InvocationType Event, AWS's SNS event); "
    "until Cenote has Lambda the call answers InvalidAction and the delivery goes to the subscription's "
    "dead-letter queue (or is dropped), as a client-side failure.",
    "Signed Unsubscribe calls are allowed for the subscription's or the topic's account (AWS's owner rule) without "
    "evaluating IAM policies: the authorizer has no mode that evaluates signed calls and leaves unsigned ones to the "
    "handler.",
    "Throttle policies (maxReceivesPerSecond) are stored, not enforced.",
]

DELIVERY = [
    "Deliveries are rows of a durable outbox (metadata store table `sns_outbox`) written in the transaction of the "
    "call that caused them (Publish, PublishBatch, Subscribe, Unsubscribe) before it is answered; background tasks "
    "deliver them at once and delete each row once delivered: an acknowledged Publish survives kill -9 and is "
    "delivered after the restart, and a failing delivery keeps its attempt count and retry time.",
    "- sqs: an in-process `SendMessage` as the service principal `sns.amazonaws.com` with `aws:SourceArn` = the topic "
    "ARN, so the queue's policy decides as on AWS (a queue without a policy allowing SNS refuses it). Enveloped "
    "(the JSON notification) or raw (the message, with the message attributes as SQS attributes). FIFO queues get "
    "the MessageGroupId and MessageDeduplicationId, one message at a time per subscription and group, in "
    "publish order.",
    "- http/https: a POST of the signed JSON document with `x-amz-sns-message-type`, `x-amz-sns-message-id`, "
    "`x-amz-sns-topic-arn`, `x-amz-sns-subscription-arn` (notifications), `x-amz-sns-rawdelivery` (raw) and the "
    "delivery policy's Content-Type (`text/plain; charset=UTF-8` by default). 2xx is delivered; 429, 5xx, timeouts "
    "(15 s) and connection failures are retried by the healthyRetryPolicy (by default 3 retries 20 s apart; the four "
    "phases and the backoff functions of AWS's delivery policies); other 4xx are client-side failures. https "
    "endpoints' certificates are verified against the system's trust store unless `CENOTE_SNS_HTTPS_INSECURE=1`.",
    "- email / email-json: one JSON line per message (`protocol`, `to`, `subject`, `body`, `type`, `messageId`, "
    "`topicArn`, `subscriptionArn`) appended and fsynced to `messages.jsonl` in `CENOTE_SNS_EMAIL_DIR` (default "
    "`<data-dir>/sns/email`); email-json's body is the JSON document, email's the message text with the "
    "unsubscribe link (or the confirmation link).",
    "- firehose: an in-process `PutRecord` as a session of the subscription's SubscriptionRoleArn (the role's "
    "policies decide), the JSON document or the raw message as the record.",
    "- lambda: an in-process `Invoke` (see above).",
    "- AWS-managed endpoints (sqs, lambda, firehose) and email are retried 3 times at once, twice 1 s apart, 10 "
    "times backing off from 1 to 20 s, then every 20 s (100,015 attempts). A queue that does not exist or refuses "
    "SNS, or a service Cenote does not have, is a client-side failure: not retried.",
    "- A delivery given up on goes to the subscription's RedrivePolicy dead-letter queue (an SQS SendMessage as SNS "
    "for the topic, the body as the endpoint would have had it, with `ErrorCode`, `ErrorMessage` and `RequestID` "
    "message attributes), else it is dropped and logged.",
    "- Four background tasks deliver to queues, functions, streams and mail, four others to HTTP/HTTPS endpoints, "
    "so that an endpoint that takes its whole timeout to answer holds up no other kind of delivery.",
    "- `CENOTE_SNS_RETRY_MS_PER_SECOND` (default 1000) scales every retry delay, for tests.",
]

SIGNATURES = [
    "Every notification and confirmation carries `SignatureVersion`, `Signature` (SHA1withRSA for version 1, "
    "SHA256withRSA for 2, per the topic's SignatureVersion) over AWS's canonical string (`Message`, `MessageId`, "
    "`Subject` if present, `Timestamp`, `TopicArn`, `Type` for notifications; `Message`, `MessageId`, "
    "`SubscribeURL`, `Timestamp`, `Token`, `TopicArn`, `Type` for confirmations), and `SigningCertURL`. The key is "
    "an RSA-2048 key with a self-signed certificate, made on the first start of a data directory and kept in the "
    "metadata store (table `sns_keys`, as CloudTrail keeps its digest-signing keys).",
    "The URLs in messages (SigningCertURL, SubscribeURL, UnsubscribeURL) name the scheme and host the subscriber "
    "used when it subscribed (`http://localhost:4566` for in-process subscriptions). Cenote serves them unsigned, "
    "as AWS does: `GET /SimpleNotificationService-<id>.pem` answers the PEM certificate, `GET "
    "/?Action=ConfirmSubscription&TopicArn=...&Token=...` confirms, `GET /?Action=Unsubscribe&SubscriptionArn=...` "
    "unsubscribes (the request pipeline's detect stage routes these unsigned GETs to SNS).",
]

FILTERS = [
    "Filter policies are compiled once with the shared event-pattern matcher (`src/services/common/event_pattern.hpp`, "
    "the same language as EventBridge's patterns) in its SNS dialects: exact strings and numbers, `prefix`, `suffix`, "
    "`anything-but` (values, lists, `prefix`, `suffix`), `equals-ignore-case`, `numeric` ranges, `exists`, `cidr`, "
    "`$or`; over message attributes (String, Number, String.Array; Binary attributes never match) or, with "
    "FilterPolicyScope MessageBody, over the JSON message body with nested keys. SNS's validation and limits (5 keys, "
    "150 combinations, 256 KiB) answer InvalidParameter `FilterPolicy: ...`.",
]


def main():
    sections = [("Not yet", coverage_doc.bullets(GAPS)), ("Delivery", DELIVERY), ("Signatures", SIGNATURES),
                ("Filter policies", FILTERS), coverage_doc.errors_section("sns")]
    coverage_doc.write("sns", "sns-2010-03-31", "Amazon SNS coverage", notes=NOTES, sections=sections)


if __name__ == "__main__":
    main()
