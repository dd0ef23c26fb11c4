"""S3 event notifications end to end with boto3: a bucket's QueueConfigurations deliver AWS's event records to
real SQS queues (s3:TestEvent on configuration, ObjectCreated:Put/Post/Copy/CompleteMultipartUpload,
ObjectRemoved:Delete/DeleteMarkerCreated, ObjectTagging, LifecycleExpiration), with prefix/suffix filters and event-type
selection; the destination's queue policy decides whether S3 may send (no policy, or one that does not allow
s3.amazonaws.com for this bucket, refuses the configuration with InvalidArgument as AWS does); and delivery is at
least once across kill -9: events of acknowledged writes that could not be delivered yet are delivered after the
restart.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_notifications.py [-v]
"""

import json
import os
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import error_of  # noqa: E402

SERVER = None
DAY_S = 1


def setUpModule():
    global SERVER
    SERVER = harness.Server(extra_args=["--lifecycle-day-seconds", str(DAY_S)]).start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def s3():
    return harness.boto3_client(SERVER, "s3")


def sqs():
    return harness.boto3_client(SERVER, "sqs")


def account_of(server):
    return harness.boto3_client(server, "sts").get_caller_identity()["Account"]


def queue_policy(queue_arn, bucket, account, effect="Allow"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": effect, "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": queue_arn,
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"},
                      "StringEquals": {"aws:SourceAccount": account}}}]})


def receive_all(client, url, want, timeout_s=15.0):
    """Receives (and deletes) until `want` messages arrived or the time is up; returns the bodies as JSON."""
    got = []
    deadline = time.monotonic() + timeout_s
    while len(got) < want and time.monotonic() < deadline:  # bounded
        r = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            got.append(json.loads(m["Body"]))
            client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def records(bodies):
    """The event records of `bodies` (test events left out), in arrival order."""
    return [r for b in bodies for r in b.get("Records", [])]


class Destination:
    """A bucket and a queue whose policy lets S3 send from that bucket."""

    def __init__(self, server=None):
        server = server or SERVER
        self.s3 = harness.boto3_client(server, "s3")
        self.sqs = harness.boto3_client(server, "sqs")
        self.account = account_of(server)
        self.bucket = f"notify-{uuid.uuid4().hex[:10]}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.url = self.sqs.create_queue(QueueName=f"events-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.allow()

    def allow(self, effect="Allow"):
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={
            "Policy": queue_policy(self.arn, self.bucket, self.account, effect)})

    def configure(self, events, prefix=None, suffix=None, config_id="rule-1"):
        rule = {"Id": config_id, "QueueArn": self.arn, "Events": events}
        rules = []
        if prefix is not None:
            rules.append({"Name": "prefix", "Value": prefix})
        if suffix is not None:
            rules.append({"Name": "suffix", "Value": suffix})
        if rules:
            rule["Filter"] = {"Key": {"FilterRules": rules}}
        self.s3.put_bucket_notification_configuration(
            Bucket=self.bucket, NotificationConfiguration={"QueueConfigurations": [rule]})


class NotificationTest(unittest.TestCase):
    def test_test_event_then_object_created_record(self):
        d = Destination()
        d.configure(["s3:ObjectCreated:*"])
        test_events = receive_all(d.sqs, d.url, 1)
        self.assertEqual(len(test_events), 1)
        self.assertEqual(test_events[0]["Event"], "s3:TestEvent")
        self.assertEqual(test_events[0]["Service"], "Amazon S3")
        self.assertEqual(test_events[0]["Bucket"], d.bucket)

        put = d.s3.put_object(Bucket=d.bucket, Key="raw/day 1/a+b.csv", Body=b"x,y\n1,2\n")
        got = records(receive_all(d.sqs, d.url, 1))
        self.assertEqual(len(got), 1)
        r = got[0]
        self.assertEqual(r["eventVersion"], "2.1")
        self.assertEqual(r["eventSource"], "aws:s3")
        self.assertEqual(r["eventName"], "ObjectCreated:Put")
        self.assertEqual(r["awsRegion"], "us-east-1")
        self.assertRegex(r["eventTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertIn("principalId", r["userIdentity"])
        self.assertEqual(r["requestParameters"]["sourceIPAddress"], "127.0.0.1")
        self.assertEqual(r["responseElements"]["x-amz-request-id"],
                         put["ResponseMetadata"]["RequestId"])
        self.assertEqual(r["s3"]["s3SchemaVersion"], "1.0")
        self.assertEqual(r["s3"]["configurationId"], "rule-1")
        self.assertEqual(r["s3"]["bucket"]["name"], d.bucket)
        self.assertEqual(r["s3"]["bucket"]["arn"], f"arn:aws:s3:::{d.bucket}")
        self.assertEqual(r["s3"]["bucket"]["ownerIdentity"]["principalId"], d.account)
        obj = r["s3"]["object"]
        # Keys are form-encoded in event records: a space is '+', a '+' is %2B.
        self.assertEqual(obj["key"], "raw/day+1/a%2Bb.csv")
        self.assertEqual(urllib.parse.unquote_plus(obj["key"]), "raw/day 1/a+b.csv")
        self.assertEqual(obj["size"], 8)
        self.assertEqual(obj["eTag"], put["ETag"].strip('"'))
        self.assertNotIn("versionId", obj)  # unversioned bucket
        self.assertRegex(obj["sequencer"], r"^[0-9A-F]{16,}$")

    def test_every_created_kind_and_removed_kinds(self):
        d = Destination()
        d.s3.put_bucket_versioning(Bucket=d.bucket, VersioningConfiguration={"Status": "Enabled"})
        d.configure(["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*"])
        receive_all(d.sqs, d.url, 1)  # the test event
        v1 = d.s3.put_object(Bucket=d.bucket, Key="k", Body=b"one")["VersionId"]
        d.s3.copy_object(Bucket=d.bucket, Key="k2", CopySource={"Bucket": d.bucket, "Key": "k"})
        up = d.s3.create_multipart_upload(Bucket=d.bucket, Key="mp")["UploadId"]
        etag = d.s3.upload_part(Bucket=d.bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"part")["ETag"]
        d.s3.complete_multipart_upload(Bucket=d.bucket, Key="mp", UploadId=up,
                                       MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        post = d.s3.generate_presigned_post(d.bucket, "posted")
        harness_post(post, b"posted body")
        d.s3.put_object_tagging(Bucket=d.bucket, Key="mp", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
        d.s3.delete_object_tagging(Bucket=d.bucket, Key="mp")
        marker = d.s3.delete_object(Bucket=d.bucket, Key="k")
        d.s3.delete_object(Bucket=d.bucket, Key="k", VersionId=v1)
        d.s3.delete_objects(Bucket=d.bucket, Delete={"Objects": [{"Key": "k2"}]})
        got = records(receive_all(d.sqs, d.url, 9))
        names = sorted((r["eventName"], urllib.parse.unquote_plus(r["s3"]["object"]["key"])) for r in got)
        self.assertEqual(names, sorted([
            ("ObjectCreated:Put", "k"), ("ObjectCreated:Copy", "k2"),
            ("ObjectCreated:CompleteMultipartUpload", "mp"), ("ObjectCreated:Post", "posted"),
            ("ObjectRemoved:DeleteMarkerCreated", "k"), ("ObjectRemoved:Delete", "k"),
            ("ObjectRemoved:DeleteMarkerCreated", "k2"), ("ObjectTagging:Put", "mp"),
            ("ObjectTagging:Delete", "mp")]))
        by = {(r["eventName"], r["s3"]["object"]["key"]): r["s3"]["object"] for r in got}
        self.assertEqual(by[("ObjectCreated:Put", "k")]["versionId"], v1)
        self.assertEqual(by[("ObjectRemoved:DeleteMarkerCreated", "k")]["versionId"], marker["VersionId"])
        self.assertEqual(by[("ObjectRemoved:Delete", "k")]["versionId"], v1)
        self.assertNotIn("size", by[("ObjectRemoved:Delete", "k")])
        self.assertTrue(by[("ObjectCreated:CompleteMultipartUpload", "mp")]["eTag"].endswith("-1"))

    def test_filters_and_event_selection(self):
        d = Destination()
        d.configure(["s3:ObjectCreated:Put"], prefix="in/", suffix=".json")
        receive_all(d.sqs, d.url, 1)
        d.s3.put_object(Bucket=d.bucket, Key="in/a.json", Body=b"{}")
        d.s3.put_object(Bucket=d.bucket, Key="in/a.csv", Body=b"")  # suffix does not match
        d.s3.put_object(Bucket=d.bucket, Key="out/a.json", Body=b"")  # prefix does not match
        d.s3.copy_object(Bucket=d.bucket, Key="in/b.json", CopySource={"Bucket": d.bucket, "Key": "in/a.json"})
        d.s3.delete_object(Bucket=d.bucket, Key="in/a.json")  # not a selected event
        got = records(receive_all(d.sqs, d.url, 2, timeout_s=4))
        self.assertEqual([(r["eventName"], r["s3"]["object"]["key"]) for r in got],
                         [("ObjectCreated:Put", "in/a.json")])

    def test_lifecycle_expiration_event(self):
        d = Destination()
        d.configure(["s3:LifecycleExpiration:*"])
        receive_all(d.sqs, d.url, 1)
        d.s3.put_object(Bucket=d.bucket, Key="tmp/x", Body=b"gone soon")
        d.s3.put_bucket_lifecycle_configuration(Bucket=d.bucket, LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
        got = records(receive_all(d.sqs, d.url, 1, timeout_s=20))
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["eventName"], "LifecycleExpiration:Delete")
        self.assertEqual(got[0]["s3"]["object"]["key"], "tmp/x")
        self.assertEqual(got[0]["userIdentity"]["principalId"], "s3.amazonaws.com")

    def test_destination_must_exist_and_allow_s3(self):
        d = Destination()
        # A queue policy that does not allow this bucket: refused, as AWS refuses it.
        d.sqs.set_queue_attributes(QueueUrl=d.url, Attributes={
            "Policy": queue_policy(d.arn, "some-other-bucket", d.account)})
        rule = {"QueueArn": d.arn, "Events": ["s3:ObjectCreated:*"]}
        status, code = error_of(d.s3.put_bucket_notification_configuration, Bucket=d.bucket,
                                NotificationConfiguration={"QueueConfigurations": [rule]})
        self.assertEqual((status, code), (400, "InvalidArgument"))
        try:
            d.s3.put_bucket_notification_configuration(Bucket=d.bucket,
                                                       NotificationConfiguration={"QueueConfigurations": [rule]})
        except Exception as e:  # noqa: BLE001
            self.assertIn("Unable to validate the following destination configurations", str(e))
        # No policy at all: S3 may not send either.
        d.sqs.set_queue_attributes(QueueUrl=d.url, Attributes={"Policy": ""})
        self.assertEqual(error_of(d.s3.put_bucket_notification_configuration, Bucket=d.bucket,
                                  NotificationConfiguration={"QueueConfigurations": [rule]}),
                         (400, "InvalidArgument"))
        missing = dict(rule, QueueArn=d.arn + "-missing")
        self.assertEqual(error_of(d.s3.put_bucket_notification_configuration, Bucket=d.bucket,
                                  NotificationConfiguration={"QueueConfigurations": [missing]}),
                         (400, "InvalidArgument"))
        self.assertEqual(d.s3.get_bucket_notification_configuration(Bucket=d.bucket).get("QueueConfigurations"),
                         None)
        # Skipping the check stores it; events then wait for the queue to allow S3.
        d.s3.put_bucket_notification_configuration(Bucket=d.bucket, SkipDestinationValidation=True,
                                                   NotificationConfiguration={"QueueConfigurations": [rule]})
        d.s3.put_object(Bucket=d.bucket, Key="late", Body=b"1")
        time.sleep(1.5)
        self.assertEqual(receive_all(d.sqs, d.url, 1, timeout_s=1), [])
        d.allow()
        got = records(receive_all(d.sqs, d.url, 1, timeout_s=15))
        self.assertEqual([r["s3"]["object"]["key"] for r in got], ["late"])

    def test_eventbridge_configuration_round_trips(self):
        d = Destination()
        d.s3.put_bucket_notification_configuration(
            Bucket=d.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
        got = d.s3.get_bucket_notification_configuration(Bucket=d.bucket)
        self.assertIn("EventBridgeConfiguration", got)
        d.s3.put_bucket_notification_configuration(Bucket=d.bucket, NotificationConfiguration={})
        self.assertNotIn("EventBridgeConfiguration", d.s3.get_bucket_notification_configuration(Bucket=d.bucket))


def harness_post(post, body):
    """A browser-style POST Object upload of `body` with a presigned POST's fields."""
    import urllib.request
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in post["fields"].items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n'
                 f'Content-Type: application/octet-stream\r\n\r\n'.encode() + body + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    req = urllib.request.Request(post["url"], data=b"".join(parts), method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status in (200, 201, 204), resp.status


@harness.skip_on_moto("moto keeps nothing across kill -9")
class CrashTest(unittest.TestCase):
    def test_events_of_acknowledged_writes_survive_kill9(self):
        server = harness.Server().start()
        try:
            d = Destination(server)
            d.configure(["s3:ObjectCreated:*"])
            receive_all(d.sqs, d.url, 1)
            # The queue refuses S3 for now: every event waits in the outbox.
            d.allow(effect="Deny")
            keys = [f"obj-{i}" for i in range(20)]
            for k in keys:
                d.s3.put_object(Bucket=d.bucket, Key=k, Body=k.encode())
            server.kill9()
            server.restart()
            d2 = harness.boto3_client(server, "sqs")
            d2.set_queue_attributes(QueueUrl=d.url, Attributes={
                "Policy": queue_policy(d.arn, d.bucket, d.account)})
            got = records(receive_all(d2, d.url, len(keys), timeout_s=30))
            self.assertEqual(sorted(r["s3"]["object"]["key"] for r in got), sorted(keys))
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
