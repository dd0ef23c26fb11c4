"""AWS Lambda asynchronous invocation end to end with boto3: Event invocations delivered to OnSuccess / OnFailure
SQS destinations in AWS's invocation record shape, an S3 event notification invoking a function allowed by its
resource policy (and refused without it), and a queued Event surviving kill -9.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_async.py [-v]
"""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lambda_zips import zip_of  # noqa: E402

SERVER = None
ROLE = None

CODE = """
import base64, json
def handler(event, context):
    recs = event.get("Records", []) if isinstance(event, dict) else []
    if recs and recs[0].get("eventSource") == "aws:sqs":
        print("sqs batch", [r["body"] for r in recs])
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in recs if "bad" in r["body"]]}
    if recs and recs[0].get("eventSource") == "aws:kinesis":
        datas = [base64.b64decode(r["kinesis"]["data"]).decode() for r in recs]
        print("kinesis batch", datas)
        if any("poison" in d for d in datas):
            raise ValueError("poison")
        return {"n": len(recs)}
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
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("sqs:*", "kinesis:*", "logs:*"))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def client(name):
    return harness.boto3_client(SERVER, name)

def create_function(name):
    client("lambda").create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                     Code={"ZipFile": zip_of({"app.py": CODE})})
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
        if "Records" not in record["requestPayload"]:  # s3:TestEvent, sent when the configuration was put
            record = receive(ok_url)
        event = record["requestPayload"]
        # Without the permission, S3 is refused by the function policy: nothing is invoked.
        client("lambda").remove_permission(FunctionName=name, StatementId="s3")
        s3.put_object(Bucket=bucket, Key="in/b.txt", Body=b"refused")
        time.sleep(2)
        later = client("sqs").receive_message(QueueUrl=ok_url, WaitTimeSeconds=1, MaxNumberOfMessages=10)
        self.assertNotIn("in/b.txt", json.dumps([m["Body"] for m in later.get("Messages", [])]))
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


class EventSources(unittest.TestCase):
    def test_sqs_partial_batch_failure(self):
        name = "esm-" + uuid.uuid4().hex[:8]
        create_function(name)
        sqs = client("sqs")
        dlq_url, dlq_arn = queue("dlq-" + name)
        url = sqs.create_queue(QueueName="src-" + name, Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        lam = client("lambda")
        m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=10,
                                            FunctionResponseTypes=["ReportBatchItemFailures"])
        self.assertEqual(m["State"], "Creating")
        self.assertEqual(lam.get_event_source_mapping(UUID=m["UUID"])["State"], "Enabled")
        for body in ["good-1", "bad-1", "good-2"]:
            sqs.send_message(QueueUrl=url, MessageBody=body)
        # The bad message comes back until the redrive policy moves it to the dead-letter queue; the good ones go.
        deadline = time.time() + 30
        moved = []
        while time.time() < deadline and not moved:
            moved = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
        self.assertEqual([x["Body"] for x in moved], ["bad-1"])
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "0")
        self.assertEqual(lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"], "OK")
        self.assertEqual(len(lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]), 1)
        lam.delete_event_source_mapping(UUID=m["UUID"])

    def test_kinesis_bisect_and_checkpoint(self):
        name = "kin-" + uuid.uuid4().hex[:8]
        create_function(name)
        kinesis = client("kinesis")
        stream = "s-" + name
        kinesis.create_stream(StreamName=stream, ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName=stream)
        arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        seqs = {}
        for d in ["a", "b", "poison", "c"]:
            seqs[d] = kinesis.put_record(StreamName=stream, Data=d.encode(), PartitionKey="k")["SequenceNumber"]
        failed_url, failed_arn = queue("kfail-" + name)
        lam = client("lambda")
        m = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON",
                                            BatchSize=10, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
                                            DestinationConfig={"OnFailure": {"Destination": failed_arn}})
        # Bisecting isolates the poison record: it alone is skipped and reported; the others are processed.
        record = receive(failed_url)
        info = record["KinesisBatchInfo"]
        self.assertEqual(info["batchSize"], 1)
        self.assertEqual(info["startSequenceNumber"], seqs["poison"])
        self.assertEqual(info["streamArn"], arn)
        self.assertEqual(record["requestContext"]["condition"], "RetryAttemptsExhausted")
        deadline = time.time() + 30
        while time.time() < deadline:
            if lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"] == "OK":
                break
            time.sleep(0.2)
        self.assertEqual(lam.get_event_source_mapping(UUID=m["UUID"])["LastProcessingResult"], "OK")
        lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
        self.assertEqual(lam.get_event_source_mapping(UUID=m["UUID"])["State"], "Disabled")
        lam.delete_event_source_mapping(UUID=m["UUID"])


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
