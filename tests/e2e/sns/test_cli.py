"""Amazon SNS end to end with the AWS CLI v2: topics and attributes, tags, an SQS subscription with a filter
policy, publish (with attributes) and publish-batch, FIFO topics, unsubscribe, and the errors it prints.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/sns/test_cli.py [-v]
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


class SnsCli(harness.CliCase):
    def server(self):
        return SERVER

    def receive(self, url, count):
        bodies = []
        deadline = time.monotonic() + 20
        while len(bodies) < count and time.monotonic() < deadline:
            got = self.aws_json("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                                "--wait-time-seconds", "1")
            for m in got.get("Messages", []):
                bodies.append(m["Body"])
                self.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"])
        return bodies

    def test_topic_subscription_publish(self):
        name = f"cli-{uuid.uuid4().hex[:8]}"
        topic = self.aws_json("sns", "create-topic", "--name", name, "--attributes", "DisplayName=CLI",
                              "--tags", "Key=team,Value=data")["TopicArn"]
        self.assertEqual(topic, f"arn:aws:sns:us-east-1:000000000000:{name}")
        attrs = self.aws_json("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"]
        self.assertEqual(attrs["DisplayName"], "CLI")
        self.aws("sns", "set-topic-attributes", "--topic-arn", topic, "--attribute-name", "DisplayName",
                 "--attribute-value", "Renamed")
        self.assertEqual(self.aws_json("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"]["DisplayName"],
                         "Renamed")
        self.assertEqual(self.aws_json("sns", "list-tags-for-resource", "--resource-arn", topic)["Tags"],
                         [{"Key": "team", "Value": "data"}])
        self.assertIn(topic, [t["TopicArn"] for t in self.aws_json("sns", "list-topics")["Topics"]])

        url = self.aws_json("sqs", "create-queue", "--queue-name", name)["QueueUrl"]
        qarn = self.aws_json("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names",
                             "QueueArn")["Attributes"]["QueueArn"]
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": qarn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
        self.aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes",
                 json.dumps({"Policy": json.dumps(policy)}))
        sub = self.aws_json("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint",
                            qarn, "--attributes",
                            json.dumps({"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"kind": ["keep"]})}),
                            "--return-subscription-arn")["SubscriptionArn"]
        self.assertTrue(sub.startswith(topic + ":"))
        got = self.aws_json("sns", "get-subscription-attributes", "--subscription-arn", sub)["Attributes"]
        self.assertEqual((got["RawMessageDelivery"], got["Protocol"]), ("true", "sqs"))
        out = self.aws_json("sns", "publish", "--topic-arn", topic, "--message", "kept", "--message-attributes",
                            json.dumps({"kind": {"DataType": "String", "StringValue": "keep"}}))
        self.assertIn("MessageId", out)
        self.aws("sns", "publish", "--topic-arn", topic, "--message", "dropped", "--message-attributes",
                 json.dumps({"kind": {"DataType": "String", "StringValue": "drop"}}))
        batch = self.aws_json("sns", "publish-batch", "--topic-arn", topic, "--publish-batch-request-entries",
                              json.dumps([{"Id": f"e{i}", "Message": f"b{i}", "MessageAttributes": {
                                  "kind": {"DataType": "String", "StringValue": "keep"}}} for i in range(3)]))
        self.assertEqual(len(batch["Successful"]), 3)
        self.assertEqual(sorted(self.receive(url, 4)), ["b0", "b1", "b2", "kept"])
        self.aws("sns", "unsubscribe", "--subscription-arn", sub)
        self.assertEqual(self.aws_json("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"], [])
        self.aws("sns", "delete-topic", "--topic-arn", topic)

    def test_fifo_and_errors(self):
        name = f"cli-{uuid.uuid4().hex[:8]}.fifo"
        topic = self.aws_json("sns", "create-topic", "--name", name, "--attributes",
                              "FifoTopic=true,ContentBasedDeduplication=true")["TopicArn"]
        first = self.aws_json("sns", "publish", "--topic-arn", topic, "--message", "same", "--message-group-id", "g")
        again = self.aws_json("sns", "publish", "--topic-arn", topic, "--message", "same", "--message-group-id", "g")
        self.assertEqual(first["MessageId"], again["MessageId"])
        self.assertEqual(first["SequenceNumber"], again["SequenceNumber"])
        r = self.aws("sns", "publish", "--topic-arn", topic, "--message", "m", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidParameter", r.stderr)
        self.assertIn("MessageGroupId", r.stderr)
        r = self.aws("sns", "get-topic-attributes", "--topic-arn", topic + "-none", check=False)
        self.assertIn("NotFound", r.stderr)


if __name__ == "__main__":
    harness.main()
