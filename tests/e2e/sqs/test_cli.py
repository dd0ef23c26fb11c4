"""Amazon SQS end to end with the AWS CLI v2 (Debian's /usr/bin/aws, which speaks SQS's query protocol):
queues, attributes, messages with attributes, batches, visibility, purge, tags, FIFO, and the errors it prints.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/sqs/test_cli.py [-v]
"""

import hashlib
import json
import os
import sys
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


class SqsCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_queue_lifecycle_and_messages(self):
        name = f"cli-{uuid.uuid4().hex[:8]}"
        url = self.aws_json("sqs", "create-queue", "--queue-name", name,
                            "--attributes", "VisibilityTimeout=40,DelaySeconds=0")["QueueUrl"]
        self.assertTrue(url.endswith(f"/000000000000/{name}"))
        self.assertEqual(self.aws_json("sqs", "get-queue-url", "--queue-name", name)["QueueUrl"], url)
        self.assertIn(url, self.aws_json("sqs", "list-queues", "--queue-name-prefix", "cli-")["QueueUrls"])
        attrs = self.aws_json("sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
        self.assertEqual(attrs["Attributes"]["VisibilityTimeout"], "40")
        self.aws("sqs", "set-queue-attributes", "--queue-url", url, "--attributes", "MessageRetentionPeriod=600")
        sent = self.aws_json("sqs", "send-message", "--queue-url", url, "--message-body", "from the cli",
                             "--message-attributes",
                             json.dumps({"kind": {"DataType": "String", "StringValue": "test"}}))
        self.assertEqual(sent["MD5OfMessageBody"], hashlib.md5(b"from the cli").hexdigest())
        batch = self.aws_json("sqs", "send-message-batch", "--queue-url", url, "--entries",
                              json.dumps([{"Id": f"e{i}", "MessageBody": f"b{i}"} for i in range(3)]))
        self.assertEqual(len(batch["Successful"]), 3)
        got = self.aws_json("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                            "--message-attribute-names", "All", "--attribute-names", "All",
                            "--wait-time-seconds", "1")["Messages"]
        bodies = {m["Body"]: m for m in got}
        self.assertIn("from the cli", bodies)
        self.assertEqual(bodies["from the cli"]["MessageAttributes"]["kind"]["StringValue"], "test")
        first = bodies["from the cli"]
        self.aws("sqs", "change-message-visibility", "--queue-url", url, "--receipt-handle", first["ReceiptHandle"],
                 "--visibility-timeout", "100")
        self.aws("sqs", "delete-message", "--queue-url", url, "--receipt-handle", first["ReceiptHandle"])
        rest = [m for m in got if m is not first]
        out = self.aws_json("sqs", "delete-message-batch", "--queue-url", url, "--entries",
                            json.dumps([{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(rest)]))
        self.assertEqual(len(out["Successful"]), len(rest))
        self.aws("sqs", "tag-queue", "--queue-url", url, "--tags", "team=data,env=test")
        self.assertEqual(self.aws_json("sqs", "list-queue-tags", "--queue-url", url)["Tags"],
                         {"team": "data", "env": "test"})
        self.aws("sqs", "untag-queue", "--queue-url", url, "--tag-keys", "env")
        self.aws("sqs", "purge-queue", "--queue-url", url)
        r = self.aws("sqs", "purge-queue", "--queue-url", url, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("PurgeQueueInProgress", r.stderr)
        self.aws("sqs", "delete-queue", "--queue-url", url)
        r = self.aws("sqs", "get-queue-url", "--queue-name", name, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NonExistentQueue", r.stderr)

    def test_fifo(self):
        name = f"cli-{uuid.uuid4().hex[:8]}.fifo"
        url = self.aws_json("sqs", "create-queue", "--queue-name", name, "--attributes",
                            "FifoQueue=true,ContentBasedDeduplication=true")["QueueUrl"]
        a = self.aws_json("sqs", "send-message", "--queue-url", url, "--message-body", "one",
                          "--message-group-id", "g")
        b = self.aws_json("sqs", "send-message", "--queue-url", url, "--message-body", "one",
                          "--message-group-id", "g")
        self.assertEqual(a["MessageId"], b["MessageId"])
        self.assertIn("SequenceNumber", a)
        self.aws_json("sqs", "send-message", "--queue-url", url, "--message-body", "two", "--message-group-id", "g")
        got = self.aws_json("sqs", "receive-message", "--queue-url", url, "--max-number-of-messages", "10")
        self.assertEqual([m["Body"] for m in got["Messages"]], ["one", "two"])
        r = self.aws("sqs", "send-message", "--queue-url", url, "--message-body", "x", check=False)
        self.assertIn("MissingParameter", r.stderr)


if __name__ == "__main__":
    harness.main()
