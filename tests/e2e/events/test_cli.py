"""Amazon EventBridge end to end with the AWS CLI v2: buses, rules, targets, put-events delivered to SQS,
test-event-pattern, and the errors it prints.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/events/test_cli.py [-v]
"""

import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class EventsCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_rule_to_queue(self):
        name = f"cli-{uuid.uuid4().hex[:8]}"
        url = self.aws_json("sqs", "create-queue", "--queue-name", name)["QueueUrl"]
        arn = self.aws_json("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
                            "QueueArn")["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
            "Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": arn}]}
        self.aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes",
                 json.dumps({"Policy": json.dumps(policy)}))
        bus = self.aws_json("events", "create-event-bus", "--name", name)["EventBusArn"]
        self.assertTrue(bus.endswith(f":event-bus/{name}"))
        rule = self.aws_json("events", "put-rule", "--name", name, "--event-bus-name", name, "--event-pattern",
                             json.dumps({"source": ["cli.app"]}))["RuleArn"]
        self.assertTrue(rule.endswith(f":rule/{name}/{name}"))
        r = self.aws_json("events", "put-targets", "--rule", name, "--event-bus-name", name, "--targets",
                          json.dumps([{"Id": "q", "Arn": arn, "InputPath": "$.detail"}]))
        self.assertEqual(r["FailedEntryCount"], 0)
        put = self.aws_json("events", "put-events", "--entries", json.dumps([
            {"Source": "cli.app", "DetailType": "t", "Detail": json.dumps({"hello": "cli"}), "EventBusName": name}]))
        self.assertEqual(put["FailedEntryCount"], 0)
        body = None
        for _ in range(10):
            got = self.aws_json("sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "1")
            if got and got.get("Messages"):
                body = json.loads(got["Messages"][0]["Body"])
                break
        self.assertEqual(body, {"hello": "cli"})
        described = self.aws_json("events", "describe-rule", "--name", name, "--event-bus-name", name)
        self.assertEqual(described["State"], "ENABLED")
        self.assertEqual(json.loads(described["EventPattern"]), {"source": ["cli.app"]})
        names = [b["Name"] for b in self.aws_json("events", "list-event-buses")["EventBuses"]]
        self.assertIn("default", names)
        self.assertIn(name, names)

    def test_test_event_pattern_and_errors(self):
        event = json.dumps({"id": "1", "source": "com.mycompany.myapp", "detail-type": "myDetailType",
                            "account": "123456789012", "region": "us-east-1", "time": "2017-04-11T20:11:04Z"})
        r = self.aws_json("events", "test-event-pattern", "--event-pattern",
                          json.dumps({"source": ["com.mycompany.myapp"]}), "--event", event)
        self.assertTrue(r["Result"])
        bad = self.aws("events", "describe-rule", "--name", "no-such-rule", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("ResourceNotFoundException", bad.stderr)
        bad = self.aws("events", "put-rule", "--name", "bad", "--event-pattern", '{"source": "x"}', check=False)
        self.assertIn("InvalidEventPatternException", bad.stderr)


if __name__ == "__main__":
    harness.main()
