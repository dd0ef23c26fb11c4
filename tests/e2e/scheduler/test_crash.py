"""Crash test: one-time schedules due around a kill -9 all invoke their SQS target after the restart (at least once:
an invocation in flight at the crash may arrive twice), and the ones that fired before the crash do not fire again
as schedules (a one-time schedule fires once).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/scheduler/test_crash.py [-v]
"""

import json
import os
import sys
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/scheduler-crash"
COUNT = 12


class Crash(unittest.TestCase):
    def test_due_schedules_fire_after_kill9(self):
        server = harness.Server().start()
        try:
            harness.create_service_role(server, ROLE, "scheduler.amazonaws.com", actions=("sqs:*",))
            q = harness.boto3_client(server, "sqs")
            url = q.create_queue(QueueName="crash-schedules")["QueueUrl"]
            arn = q.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            s = harness.boto3_client(server, "scheduler")
            start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)
            for i in range(COUNT):
                # Two schedules per second from 2 s on: some fire before the crash, some are due while the
                # server is down.
                when = start + timedelta(seconds=i // 2)
                s.create_schedule(Name=f"once-{i}", ScheduleExpression=f"at({when.strftime('%Y-%m-%dT%H:%M:%S')})",
                                  FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": arn, "RoleArn": ROLE, "Input": json.dumps({"i": i})})
            time.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds()) + 2.5)
            server.kill9()
            time.sleep(2)
            server.start()
            q = harness.boto3_client(server, "sqs")
            seen = []
            deadline = time.time() + 20
            while len(set(seen)) < COUNT and time.time() < deadline:
                r = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
                for m in r.get("Messages", []):
                    seen.append(json.loads(m["Body"])["i"])
                    q.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            self.assertEqual(sorted(set(seen)), list(range(COUNT)))
            # Nothing fires again afterwards.
            time.sleep(2)
            r = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            again = [json.loads(m["Body"])["i"] for m in r.get("Messages", [])]
            # At least once: only the invocations of the round in flight at the crash (two a second) may repeat.
            self.assertLessEqual(len(seen) + len(again) - COUNT, 2, f"duplicates: {seen + again}")
            print(f"{COUNT} schedules, {len(seen)} invocations received", file=sys.stderr)
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
