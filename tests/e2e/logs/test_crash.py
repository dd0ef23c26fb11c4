"""Crash and retention: producers run PutLogEvents while the server is killed with kill -9; after the restart every
acknowledged event is there (and nothing that was never sent). Then retention on a server whose lifecycle "day"
lasts one second (`--lifecycle-day-seconds 1`, the test clock S3 lifecycle uses): events older than the group's
retention are deleted by the background task.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/logs/test_crash.py [-v]
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

PRODUCERS = 3
GROUP = "/crash/app"


class Crash(unittest.TestCase):
    def test_acknowledged_events_survive_kill9(self):
        server = harness.Server().start()
        self.server = server
        try:
            logs = harness.boto3_client(server, "logs")
            logs.create_log_group(logGroupName=GROUP)
            for p in range(PRODUCERS):
                logs.create_log_stream(logGroupName=GROUP, logStreamName=f"p{p}")
            acked, sent = {p: [] for p in range(PRODUCERS)}, set()
            lock, stop = threading.Lock(), threading.Event()

            def produce(p):
                client = harness.boto3_client(server, "logs", connect_timeout=2, read_timeout=10)
                n = 0
                while not stop.is_set():
                    batch = [f"p{p}-{n + i}" for i in range(50)]
                    with lock:
                        sent.update(batch)
                    t = int(time.time() * 1000)
                    try:
                        client.put_log_events(logGroupName=GROUP, logStreamName=f"p{p}",
                                              logEvents=[{"timestamp": t, "message": m} for m in batch])
                    except (BotoCoreError, ClientError, OSError):
                        return
                    with lock:
                        acked[p].extend(batch)
                    n += 50
            threads = [threading.Thread(target=produce, args=(p,)) for p in range(PRODUCERS)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(1.0, 2.5))
            server.kill9()
            stop.set()
            for t in threads:
                t.join(60)
            server.start()
            logs = harness.boto3_client(server, "logs")
            total = 0
            for p in range(PRODUCERS):
                stored = [e["message"] for page in logs.get_paginator("filter_log_events").paginate(
                    logGroupName=GROUP, logStreamNames=[f"p{p}"]) for e in page["events"]]
                self.assertTrue(set(stored) <= sent)
                missing = [m for m in acked[p] if m not in set(stored)]
                self.assertEqual(missing, [], f"producer {p}: acknowledged events lost")
                # Acknowledged order is stored order.
                positions = {m: i for i, m in enumerate(stored)}
                order = [positions[m] for m in acked[p]]
                self.assertEqual(order, sorted(order))
                total += len(acked[p])
            self.assertGreater(total, 0)
        finally:
            server.close()


class Retention(unittest.TestCase):
    def test_retention_with_short_days(self):
        server = harness.Server(extra_args=["--lifecycle-day-seconds", "1"]).start()
        self.server = server
        try:
            logs = harness.boto3_client(server, "logs")
            logs.create_log_group(logGroupName="/retention")
            logs.create_log_stream(logGroupName="/retention", logStreamName="s")
            t = int(time.time() * 1000)
            logs.put_log_events(logGroupName="/retention", logStreamName="s",
                                logEvents=[{"timestamp": t - 100, "message": "a"}, {"timestamp": t, "message": "b"}])
            logs.put_retention_policy(logGroupName="/retention", retentionInDays=3)  # three seconds
            deadline = time.time() + 20
            events = None
            while time.time() < deadline:
                events = logs.get_log_events(logGroupName="/retention", logStreamName="s")["events"]
                if not events:
                    break
                time.sleep(0.5)
            self.assertEqual(events, [])
            stream = logs.describe_log_streams(logGroupName="/retention")["logStreams"][0]
            self.assertEqual(stream["storedBytes"], 0)
            # An event older than the retention is now rejected as expired.
            r = logs.put_log_events(logGroupName="/retention", logStreamName="s",
                                    logEvents=[{"timestamp": int(time.time() * 1000) - 10_000, "message": "x"}])
            self.assertEqual(r["rejectedLogEventsInfo"], {"expiredLogEventEndIndex": 0})
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
