"""Amazon EventBridge Scheduler end to end with the AWS CLI v2: groups, a one-time schedule invoking an SQS queue,
get/list/update/delete, and the errors it prints.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/scheduler/test_cli.py [-v]
"""

import json
import os
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/scheduler-cli"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "scheduler.amazonaws.com", actions=("sqs:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class SchedulerCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_one_time_schedule_to_queue(self):
        name = f"cli-{uuid.uuid4().hex[:8]}"
        url = self.aws_json("sqs", "create-queue", "--queue-name", name)["QueueUrl"]
        arn = self.aws_json("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
                            "QueueArn")["Attributes"]["QueueArn"]
        group = self.aws_json("scheduler", "create-schedule-group", "--name", name)["ScheduleGroupArn"]
        self.assertTrue(group.endswith(f":schedule-group/{name}"))
        when = (datetime.now(timezone.utc) + timedelta(seconds=4)).strftime("%Y-%m-%dT%H:%M:%S")
        out = self.aws_json("scheduler", "create-schedule", "--name", name, "--group-name", name,
                            "--schedule-expression", f"at({when})", "--flexible-time-window", "Mode=OFF",
                            "--target", json.dumps({"Arn": arn, "RoleArn": ROLE, "Input": "from the cli"}))
        self.assertTrue(out["ScheduleArn"].endswith(f":schedule/{name}/{name}"))
        got = self.aws_json("scheduler", "get-schedule", "--name", name, "--group-name", name)
        self.assertEqual(got["ScheduleExpression"], f"at({when})")
        listed = self.aws_json("scheduler", "list-schedules", "--group-name", name)["Schedules"]
        self.assertEqual([s["Name"] for s in listed], [name])
        body = None
        deadline = time.time() + 15
        while body is None and time.time() < deadline:
            r = self.aws_json("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1")
            if r and r.get("Messages"):
                body = r["Messages"][0]["Body"]
        self.assertEqual(body, "from the cli")
        self.aws("scheduler", "delete-schedule", "--name", name, "--group-name", name)
        bad = self.aws("scheduler", "get-schedule", "--name", name, "--group-name", name, check=False)
        self.assertIn("ResourceNotFoundException", bad.stderr)
        bad = self.aws("scheduler", "create-schedule-group", "--name", name, check=False)
        self.assertIn("ConflictException", bad.stderr)


if __name__ == "__main__":
    harness.main()
