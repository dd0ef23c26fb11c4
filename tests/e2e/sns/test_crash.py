"""SNS durability across kill -9: messages published while the HTTP endpoint is down (acknowledged, still in the
outbox, being retried) are delivered after the server is killed and restarted and the endpoint comes back; a
queue subscription's messages published just before the kill arrive after the restart; topics, subscriptions and
the signing key (the same certificate) survive.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/sns/test_crash.py
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from sns_common import Endpoint, allow_sns, receive_all, verify_signature  # noqa: E402


@harness.skip_on_moto("kill -9 durability")
class Crash(unittest.TestCase):
    def test_deliveries_resume_after_kill9(self):
        server = harness.Server().start()
        self.addCleanup(server.close)
        c = harness.boto3_client(server, "sns")
        q = harness.boto3_client(server, "sqs")
        topic = c.create_topic(Name="durable")["TopicArn"]
        url = q.create_queue(QueueName="durable-q")["QueueUrl"]
        arn = allow_sns(q, url, topic)
        c.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

        ep = Endpoint()
        port = ep.port
        c.subscribe(TopicArn=topic, Protocol="http", Endpoint=ep.url)
        ep.next(message_type="SubscriptionConfirmation")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            subs = [s for s in c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] if s["Protocol"] == "http"]
            if subs and subs[0]["SubscriptionArn"] != "PendingConfirmation":
                break
            time.sleep(0.1)
        sub = subs[0]["SubscriptionArn"]
        # Retries once a second, for long enough to outlive the crash.
        c.set_subscription_attributes(SubscriptionArn=sub, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(
            {"healthyRetryPolicy": {"minDelayTarget": 1, "maxDelayTarget": 1, "numRetries": 100}}))
        ep.close()  # the endpoint goes down

        published = [c.publish(TopicArn=topic, Message=f"m{i}")["MessageId"] for i in range(20)]
        time.sleep(1.5)  # some attempts fail meanwhile
        server.restart(crash=True)  # kill -9, then start on the same data directory
        c = harness.boto3_client(server, "sns")
        q = harness.boto3_client(server, "sqs")

        # Nothing acknowledged was lost on the queue side.
        bodies = sorted(m["Body"] for m in receive_all(q, url, 20, timeout=30))
        self.assertEqual(bodies, sorted(f"m{i}" for i in range(20)))

        # The endpoint comes back on its port: every message arrives, signed with the same key.
        ep = Endpoint(port=port)
        self.addCleanup(ep.close)
        got = {}
        deadline = time.monotonic() + 30
        while len(got) < 20 and time.monotonic() < deadline:
            headers, msg, _ = ep.next(timeout=max(0.1, deadline - time.monotonic()), message_type="Notification")
            got[msg["MessageId"]] = msg
        self.assertEqual(sorted(got), sorted(published))
        for msg in got.values():
            verify_signature(msg, rewrite_host=f"127.0.0.1:{server.port}")
        self.assertEqual(len(c.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]), 2)


if __name__ == "__main__":
    harness.main()
