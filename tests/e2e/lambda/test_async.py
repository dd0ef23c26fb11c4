"""AWS Lambda asynchronous invocation end to end with boto3: Event invocations delivered to OnSuccess / OnFailure
SQS destinations in AWS's invocation record shape, an S3 event notification invoking a function allowed by its
resource policy (and refused without it), and a queued Event surviving kill -9.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_async.py [-v]
"""

import io
import json
import os
import sys
import time
import unittest
import uuid
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ROLE = None

CODE = """
def handler(event, context):
    print("event", event)
    if isinstance(event, dict) and event.get("fail"):
        raise RuntimeError("failed on purpose")
    return {"ok": True, "got": event}
"""


def setUpModule():
    global SERVER, ROLE
    os.environ["CENOTE_LAMBDA_RETRY_MS_PER_SECOND"] = "20"
    SERVER = harness.Server().start()
    account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{account}:role/lambda-async-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("sqs:SendMessage", "logs:*"))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def client(name):
    return harness.boto3_client(SERVER, name)


def zip_of(text):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", text)
    return buf.getvalue()


def create_function(name):
    client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                     Code={"ZipFile": zip_of(CODE)})
    return client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def queue(name):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(url, timeout_s=30):
    sqs = client("sqs")
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=1).get("Messages", [])
        if got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
            return json.loads(got[0]["Body"])
    raise AssertionError(f"nothing arrived on {url} in {timeout_s}s\n" + SERVER.log_tail())


class Async(unittest.TestCase):
    def test_destinations(self):
        name = "dest-" + uuid.uuid4().hex[:8]
        arn = create_function(name)
        ok_url, ok_arn = queue("ok-" + name)
        bad_url, bad_arn = queue("bad-" + name)
        client("lambda").put_function_event_invoke_config(
            FunctionName=name, MaximumRetryAttempts=1,
            DestinationConfig={"OnSuccess": {"Destination": ok_arn}, "OnFailure": {"Destination": bad_arn}})
        r = client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
        self.assertEqual(r["StatusCode"], 202)
        record = receive(ok_url)
        self.assertEqual(record["version"], "1.0")
        self.assertEqual(record["requestContext"]["condition"], "Success")
        self.assertEqual(record["requestContext"]["functionArn"], arn + ":$LATEST")
        self.assertEqual(record["requestContext"]["approximateInvokeCount"], 1)
        self.assertEqual(record["requestPayload"], {"n": 1})
        self.assertEqual(record["responsePayload"], {"ok": True, "got": {"n": 1}})
        client("lambda").invoke(FunctionName=name, InvocationType="Event", Payload=b'{"fail": true}')
        record = receive(bad_url)
        self.assertEqual(record["requestContext"]["condition"], "RetriesExhausted")
        self.assertEqual(record["requestContext"]["approximateInvokeCount"], 2)
        self.assertEqual(record["responseContext"]["functionError"], "Unhandled")
        self.assertEqual(record["responsePayload"]["errorType"], "RuntimeError")

    def test_s3_notification(self):
        name = "s3n-" + uuid.uuid4().hex[:8]
        arn = create_function(name)
        ok_url, ok_arn = queue("s3ok-" + name)
        client("lambda").put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": ok_arn}})
        s3 = client("s3")
        bucket = "notify-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        client("lambda").add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                                        Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
        policy = json.loads(client("lambda").get_policy(FunctionName=name)["Policy"])
        self.assertEqual(policy["Statement"][0]["Principal"], {"Service": "s3.amazonaws.com"})
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
        s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"hello")
        record = receive(ok_url)
        event = record["requestPayload"]
        self.assertEqual(event["Records"][0]["s3"]["object"]["key"], "in/a.txt")
        self.assertEqual(record["responsePayload"]["ok"], True)

    def test_event_survives_kill9(self):
        name = "crash-" + uuid.uuid4().hex[:8]
        create_function(name)
        ok_url, ok_arn = queue("crashok-" + name)
        lam = client("lambda")
        lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": ok_arn}})
        # Throttled (reserved concurrency 0): the event stays queued, retried with backoff.
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"durable": true}')
        self.assertEqual(r["StatusCode"], 202)
        SERVER.restart(crash=True)
        client("lambda").delete_function_concurrency(FunctionName=name)
        record = receive(ok_url, timeout_s=60)
        self.assertEqual(record["requestPayload"], {"durable": True})
        self.assertEqual(record["requestContext"]["condition"], "Success")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
