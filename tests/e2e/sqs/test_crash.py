"""Crash test: producers send, consumers receive and delete, and the server is killed with kill -9 mid-stream.

Each round: producer threads send batches (each body names its round, producer and counter), consumer threads
receive (long poll) and delete what they received; after a random 1-3 s the server gets SIGKILL, the clients stop,
and the server restarts on the same data dir. Then the queue is drained (waiting past the visibility timeout, so
that messages in flight at the crash come back) and:
  - every send that was acknowledged is either drained now or had its delete sent before the crash (acknowledged,
    or in flight when the server died) (at-least-once: nothing acknowledged is lost);
  - nothing whose delete was acknowledged is ever delivered again;
  - nothing appears that was never sent;
  - messages received but not deleted before the crash come back with ApproximateReceiveCount > 1.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/sqs/test_crash.py [-v]
     CENOTE_CRASH_ROUNDS=3 (default) bounds the run.
"""

import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

ROUNDS = int(os.environ.get("CENOTE_CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("CENOTE_CRASH_SEED", str(random.randrange(1 << 30))))
QUEUE = "crash-queue"
VISIBILITY = 2


class Traffic:
    def __init__(self, server, url, rnd):
        self.server, self.url, self.rnd = server, url, rnd
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.sent, self.acked, self.received, self.deleted = set(), set(), set(), set()
        self.delete_in_doubt = set()  # deletes sent whose answer the crash may have swallowed
        self.threads = [threading.Thread(target=self.produce, args=(p,)) for p in range(3)]
        self.threads += [threading.Thread(target=self.consume) for _ in range(3)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=60)

    def client(self):
        return harness.boto3_client(self.server, "sqs", connect_timeout=2, read_timeout=10)

    def produce(self, p):
        c = self.client()
        n = 0
        while not self.stop_event.is_set():
            bodies = [f"r{self.rnd}-p{p}-{n + i}" for i in range(10)]
            with self.lock:
                self.sent.update(bodies)
            try:
                r = c.send_message_batch(QueueUrl=self.url,
                                         Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)])
            except (BotoCoreError, ClientError, OSError):
                return  # the server is gone; this batch is in doubt
            with self.lock:
                for s in r.get("Successful", []):
                    self.acked.add(bodies[int(s["Id"])])
            n += 10

    def consume(self):
        c = self.client()
        while not self.stop_event.is_set():
            try:
                msgs = c.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                         VisibilityTimeout=VISIBILITY).get("Messages", [])
                with self.lock:
                    self.received.update(m["Body"] for m in msgs)
                # Delete only some, so that the crash also leaves received-but-undeleted messages behind.
                keep = msgs[: len(msgs) * 3 // 4]
                if not keep:
                    continue
                try:
                    r = c.delete_message_batch(QueueUrl=self.url, Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(keep)])
                except (BotoCoreError, ClientError, OSError):
                    with self.lock:  # the server died with this batch in flight: it may or may not be deleted
                        self.delete_in_doubt.update(m["Body"] for m in keep)
                    return
            except (BotoCoreError, ClientError, OSError):
                return
            with self.lock:
                for s in r.get("Successful", []):
                    self.deleted.add(keep[int(s["Id"])]["Body"])


@harness.skip_on_moto("moto keeps nothing across kill -9")
class SqsCrash(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()
        harness.boto3_client(self.server, "sqs").create_queue(QueueName=QUEUE)

    def tearDown(self):
        self.server.close()

    def drain(self):
        c = harness.boto3_client(self.server, "sqs")
        url = c.get_queue_url(QueueName=QUEUE)["QueueUrl"]
        got, redelivered = {}, 0
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < VISIBILITY + 2:
            msgs = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=60,
                                     AttributeNames=["ApproximateReceiveCount"]).get("Messages", [])
            if not msgs:
                continue
            idle_since = time.monotonic()
            for m in msgs:
                self.assertNotIn(m["Body"], got, "delivered twice after its delete was acknowledged")
                got[m["Body"]] = m
                if int(m["Attributes"]["ApproximateReceiveCount"]) > 1:
                    redelivered += 1
            r = c.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)])
            self.assertEqual(len(r["Successful"]), len(msgs))
        return got, redelivered

    def test_kill9_during_send_receive_delete(self):
        rng = random.Random(SEED)
        print(f"\n  seed {SEED}", flush=True)
        total_acked = 0
        for rnd in range(ROUNDS):
            url = harness.boto3_client(self.server, "sqs").get_queue_url(QueueName=QUEUE)["QueueUrl"]
            traffic = Traffic(self.server, url, rnd)
            traffic.start()
            time.sleep(rng.uniform(1.0, 3.0))
            self.server.kill9()
            traffic.stop()
            self.server.start()
            drained, redelivered = self.drain()
            for body in drained:
                self.assertIn(body, traffic.sent, f"round {rnd}: never sent: {body}")
                self.assertNotIn(body, traffic.deleted, f"round {rnd}: delivered after its delete was acknowledged")
            # A delete whose answer the crash swallowed may have happened: such messages may be gone.
            lost = traffic.acked - traffic.deleted - traffic.delete_in_doubt - set(drained)
            self.assertEqual(lost, set(), f"round {rnd}: acknowledged sends lost")
            undeleted = (traffic.received - traffic.deleted) & set(drained)
            print(f"  round {rnd}: {len(traffic.acked)} sends acked, {len(traffic.deleted)} deletes acked, "
                  f"{len(drained)} drained after restart ({redelivered} redelivered, "
                  f"{len(undeleted)} received before the crash; restart took {self.server.start_seconds:.2f}s)",
                  flush=True)
            total_acked += len(traffic.acked)
        self.assertGreater(total_acked, ROUNDS, "nothing was acknowledged: the test proved nothing")


if __name__ == "__main__":
    harness.main()
