"""Crash test: producers run PutEvents against a rule that targets an SQS queue while the server is killed with
kill -9 (between PutEvents being acknowledged and its deliveries). After the restart every acknowledged event
reaches the queue (at least once: a delivery in flight at the crash may arrive twice), and nothing arrives that
was never sent.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/events/test_crash.py [-v]
     CENOTE_CRASH_ROUNDS=2 (default) bounds the run.
"""

import json
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

ROUNDS = int(os.environ.get("CENOTE_CRASH_ROUNDS", "2"))
PRODUCERS = 3
QUEUE = "crash-target"
RULE = "crash-rule"


def setup(server):
    q = harness.boto3_client(server, "sqs")
    url = q.create_queue(QueueName=QUEUE)["QueueUrl"]
    arn = q.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    q.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": arn}]})})
    e = harness.boto3_client(server, "events")
    e.put_rule(Name=RULE, EventPattern=json.dumps({"source": ["crash"]}))
    e.put_targets(Rule=RULE, Targets=[{"Id": "q", "Arn": arn}])


class Crash(unittest.TestCase):
    def test_acknowledged_events_are_delivered_after_kill9(self):
        server = harness.Server().start()
        try:
            setup(server)
            for round_no in range(ROUNDS):
                acked, sent = set(), set()
                lock = threading.Lock()
                stop = threading.Event()

                def produce(p):
                    e = harness.boto3_client(server, "events", connect_timeout=2, read_timeout=10)
                    n = 0
                    while not stop.is_set():
                        entries = [{"Source": "crash", "DetailType": "c",
                                    "Detail": json.dumps({"m": f"r{round_no}-p{p}-{n + i}"})} for i in range(10)]
                        with lock:
                            sent.update(f"r{round_no}-p{p}-{n + i}" for i in range(10))
                        try:
                            r = e.put_events(Entries=entries)
                        except (BotoCoreError, ClientError, OSError):
                            return
                        with lock:
                            for i, res in enumerate(r["Entries"]):
                                if "EventId" in res:
                                    acked.add(f"r{round_no}-p{p}-{n + i}")
                        n += 10

                threads = [threading.Thread(target=produce, args=(p,)) for p in range(PRODUCERS)]
                for t in threads:
                    t.start()
                time.sleep(random.uniform(0.5, 2.0))
                server.kill9()
                stop.set()
                for t in threads:
                    t.join(timeout=60)
                self.assertGreater(len(acked), 0)
                server.start()
                q = harness.boto3_client(server, "sqs")
                url = q.get_queue_url(QueueName=QUEUE)["QueueUrl"]
                seen = set()
                deadline = time.time() + 60
                while not acked <= seen and time.time() < deadline:
                    r = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                    for m in r.get("Messages", []):
                        seen.add(json.loads(m["Body"])["detail"]["m"])
                        q.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                missing = acked - seen
                self.assertFalse(missing, f"round {round_no}: {len(missing)} acknowledged events never delivered")
                self.assertTrue(seen <= sent | {m for m in seen if not m.startswith(f"r{round_no}-")})
                print(f"round {round_no}: {len(acked)} acknowledged, {len(seen)} delivered", file=sys.stderr)
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
