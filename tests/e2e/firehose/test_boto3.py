"""Amazon Data Firehose end to end with boto3: delivery streams, PutRecord / PutRecordBatch, delivery into S3
(GZIP, custom prefixes, dynamic partitioning), bad input, and regions: the same name in two regions, and a
KinesisStreamAsSource stream reading a Kinesis stream created by a client in eu-west-1.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/firehose/test_boto3.py [-v]
     CENOTE_E2E_TARGET=moto python3 tests/e2e/firehose/test_boto3.py
"""

import gzip
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/firehose"
DELIVERY_TIMEOUT_S = 60


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    # The roles the delivery streams are configured with, as a user creates them first.
    for name in ("firehose", "firehose-source", "firehose-delivery"):
        harness.create_service_role(SERVER, f"arn:aws:iam::000000000000:role/{name}", "firehose.amazonaws.com")


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class FirehoseBase(unittest.TestCase):
    def setUp(self):
        # Current Firehose allows IntervalInSeconds 0; older botocore models (Debian's 1.26) still say min 60,
        # so client-side validation is off and the server's own limits are what the tests exercise.
        self.firehose = harness.boto3_client(SERVER, "firehose", parameter_validation=False)
        self.s3 = harness.boto3_client(SERVER, "s3")
        self.name = f"e2e-{uuid.uuid4().hex[:10]}"
        self.bucket = f"fh-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def tearDown(self):
        try:
            self.firehose.delete_delivery_stream(DeliveryStreamName=self.name)
        except ClientError:
            pass

    def create(self, **destination):
        config = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{self.bucket}",
                  "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}
        config.update(destination)
        self.firehose.create_delivery_stream(DeliveryStreamName=self.name,
                                             ExtendedS3DestinationConfiguration=config)
        deadline = time.time() + 30
        while time.time() < deadline:
            d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]
            if d["DeliveryStreamStatus"] == "ACTIVE":
                return d
            time.sleep(0.2)
        raise AssertionError("delivery stream not ACTIVE after 30 s")

    def objects(self, count, prefix=""):
        """Waits (bounded) until at least `count` objects exist under `prefix`; returns {key: bytes}."""
        deadline = time.time() + DELIVERY_TIMEOUT_S
        keys = []
        while time.time() < deadline:
            keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])]
            if len(keys) >= count:
                break
            time.sleep(0.5)
        self.assertGreaterEqual(len(keys), count, f"objects under {prefix!r}: {keys}")
        return {k: self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read() for k in keys}

    def error(self, fn, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        return cm.exception.response["Error"]


class ControlPlane(FirehoseBase):
    def test_create_describe_list_update_delete(self):
        d = self.create(Prefix="raw/")
        self.assertEqual(d["DeliveryStreamType"], "DirectPut")
        self.assertEqual(d["VersionId"], "1")
        dest = d["Destinations"][0]
        self.assertEqual(dest["DestinationId"], "destinationId-000000000001")
        self.assertEqual(dest["ExtendedS3DestinationDescription"]["Prefix"], "raw/")
        self.assertIn(self.name, self.firehose.list_delivery_streams(Limit=10000)["DeliveryStreamNames"])
        self.firehose.update_destination(DeliveryStreamName=self.name, CurrentDeliveryStreamVersionId="1",
                                         DestinationId="destinationId-000000000001",
                                         ExtendedS3DestinationUpdate={"Prefix": "new/"})
        d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]
        self.assertEqual(d["VersionId"], "2")
        self.assertEqual(d["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"], "new/")
        self.firehose.tag_delivery_stream(DeliveryStreamName=self.name, Tags=[{"Key": "team", "Value": "data"}])
        tags = self.firehose.list_tags_for_delivery_stream(DeliveryStreamName=self.name)["Tags"]
        self.assertEqual(tags, [{"Key": "team", "Value": "data"}])
        self.firehose.delete_delivery_stream(DeliveryStreamName=self.name)
        err = self.error(self.firehose.describe_delivery_stream, DeliveryStreamName=self.name)
        self.assertEqual(err["Code"], "ResourceNotFoundException")

    def test_duplicate_and_missing(self):
        self.create()
        err = self.error(self.firehose.create_delivery_stream, DeliveryStreamName=self.name,
                         ExtendedS3DestinationConfiguration={"RoleARN": ROLE,
                                                             "BucketARN": f"arn:aws:s3:::{self.bucket}"})
        self.assertEqual(err["Code"], "ResourceInUseException")
        err = self.error(self.firehose.put_record, DeliveryStreamName="nope-" + self.name, Record={"Data": b"x"})
        self.assertEqual(err["Code"], "ResourceNotFoundException")


class Delivery(FirehoseBase):
    def test_put_record_batch_delivers_one_object(self):
        self.create(Prefix="events/")
        out = self.firehose.put_record_batch(DeliveryStreamName=self.name,
                                             Records=[{"Data": f"r{i}\n".encode()} for i in range(100)])
        self.assertEqual(out["FailedPutCount"], 0)
        self.assertEqual(len(out["RequestResponses"]), 100)
        objects = self.objects(1, "events/")
        body = b"".join(objects[k] for k in sorted(objects))
        self.assertEqual(body, b"".join(f"r{i}\n".encode() for i in range(100)))
        key = sorted(objects)[0]
        self.assertRegex(key, r"^events/\d{4}/\d{2}/\d{2}/\d{2}/" + self.name + r"-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-")

    @harness.skip_on_moto("moto does not compress or expand prefix expressions")
    def test_gzip_and_timestamp_prefix(self):
        self.create(Prefix="gz/!{timestamp:yyyy}/", ErrorOutputPrefix="err/!{firehose:error-output-type}/",
                    CompressionFormat="GZIP")
        self.firehose.put_record(DeliveryStreamName=self.name, Record={"Data": b"hello "})
        self.firehose.put_record(DeliveryStreamName=self.name, Record={"Data": b"world"})
        objects = self.objects(1, "gz/")
        key = sorted(objects)[0]
        self.assertTrue(key.endswith(".gz"), key)
        self.assertEqual(b"".join(gzip.decompress(objects[k]) for k in sorted(objects)), b"hello world")

    @harness.skip_on_moto("moto does not implement dynamic partitioning")
    def test_dynamic_partitioning(self):
        self.create(Prefix="c=!{partitionKeyFromQuery:c}/", ErrorOutputPrefix="err/!{firehose:error-output-type}/",
                    DynamicPartitioningConfiguration={"Enabled": True},
                    ProcessingConfiguration={"Enabled": True, "Processors": [
                        {"Type": "MetadataExtraction", "Parameters": [
                            {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{c: .customer}"},
                            {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]},
                        {"Type": "AppendDelimiterToRecord"}]})
        self.firehose.put_record_batch(DeliveryStreamName=self.name, Records=[
            {"Data": b'{"customer":"a","n":1}'}, {"Data": b'{"customer":"b","n":2}'}, {"Data": b"nope"}])
        a = self.objects(1, "c=a/")
        self.assertEqual(list(a.values())[0], b'{"customer":"a","n":1}\n')
        self.objects(1, "c=b/")
        err = self.objects(1, "err/")
        self.assertIn(b"DynamicPartitioning.MetadataExtractionFailed", list(err.values())[0])


class BadInput(FirehoseBase):
    @harness.skip_on_moto("moto does not check request limits or version ids")
    def test_limits(self):
        self.create()
        err = self.error(self.firehose.put_record_batch, DeliveryStreamName=self.name,
                         Records=[{"Data": b"x" * 1024000}] * 5)
        self.assertEqual(err["Code"], "InvalidArgumentException")
        err = self.error(self.firehose.update_destination, DeliveryStreamName=self.name,
                         CurrentDeliveryStreamVersionId="9", DestinationId="destinationId-000000000001",
                         ExtendedS3DestinationUpdate={"Prefix": "x/"})
        self.assertEqual(err["Code"], "ConcurrentModificationException")


def regional_client(service, region, **config):
    """A client configured for `region` (harness.boto3_client uses the server's default region)."""
    import boto3
    from botocore.config import Config
    cfg = dict(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
    if service == "s3":
        cfg["s3"] = {"addressing_style": "path"}
        cfg["signature_version"] = "s3v4"
    cfg.update(config)
    return boto3.session.Session().client(
        service, endpoint_url=SERVER.endpoint, region_name=region, aws_access_key_id=SERVER.access_key,
        aws_secret_access_key=SERVER.secret_key, config=Config(**cfg))


class Regions(unittest.TestCase):
    """One server, every region: a delivery stream lives in its client's region, and finds a Kinesis source
    created in that region."""

    def setUp(self):
        self.suffix = uuid.uuid4().hex[:10]
        self.cleanup = []

    def tearDown(self):
        for fn in reversed(self.cleanup):
            try:
                fn()
            except ClientError:
                pass

    def wait(self, predicate, what, timeout_s=DELIVERY_TIMEOUT_S):
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.5)
        raise AssertionError(f"{what} after {timeout_s} s")

    @harness.skip_on_moto("moto's Firehose does not read Kinesis sources")
    def test_kinesis_source_in_eu_west_1(self):
        kinesis = regional_client("kinesis", "eu-west-1")
        firehose = regional_client("firehose", "eu-west-1", parameter_validation=False)
        s3 = regional_client("s3", "eu-west-1")
        stream, delivery, bucket = f"src-{self.suffix}", f"eu-{self.suffix}", f"fh-eu-{self.suffix}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        kinesis.create_stream(StreamName=stream, ShardCount=2)
        self.cleanup.append(lambda: kinesis.delete_stream(StreamName=stream))
        kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        stream_arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        self.assertRegex(stream_arn, r"^arn:aws:kinesis:eu-west-1:\d{12}:stream/" + stream + "$")
        account = stream_arn.split(":")[4]

        out = firehose.create_delivery_stream(
            DeliveryStreamName=delivery, DeliveryStreamType="KinesisStreamAsSource",
            KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn,
                                              "RoleARN": f"arn:aws:iam::{account}:role/firehose-source"},
            ExtendedS3DestinationConfiguration={
                "RoleARN": f"arn:aws:iam::{account}:role/firehose-delivery", "BucketARN": f"arn:aws:s3:::{bucket}",
                "Prefix": "from-kinesis/", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
                "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]}})
        self.cleanup.append(lambda: firehose.delete_delivery_stream(DeliveryStreamName=delivery))
        self.assertEqual(out["DeliveryStreamARN"], f"arn:aws:firehose:eu-west-1:{account}:deliverystream/{delivery}")
        d = self.wait(lambda: (lambda x: x if x["DeliveryStreamStatus"] == "ACTIVE" else None)(
            firehose.describe_delivery_stream(DeliveryStreamName=delivery)["DeliveryStreamDescription"]),
            "delivery stream not ACTIVE")
        self.assertEqual(d["DeliveryStreamType"], "KinesisStreamAsSource")
        self.assertEqual(d["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"], stream_arn)
        self.assertIn(delivery, firehose.list_delivery_streams(Limit=10000)["DeliveryStreamNames"])
        us = regional_client("firehose", "us-east-1")
        self.assertNotIn(delivery, us.list_delivery_streams(Limit=10000)["DeliveryStreamNames"])

        sent = [f"record-{i}".encode() for i in range(5)]
        for i, data in enumerate(sent):
            kinesis.put_record(StreamName=stream, PartitionKey=f"k{i}", Data=data)

        def delivered():
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="from-kinesis/").get("Contents", [])]
            body = b"".join(s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys)
            return body if body.count(b"\n") >= len(sent) else None

        body = self.wait(delivered, "records not delivered")
        self.assertEqual(sorted(body.splitlines()), sorted(sent))  # each once; shards interleave
        for key in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]:
            s3.delete_object(Bucket=bucket, Key=key)
        self.cleanup.append(lambda: s3.delete_bucket(Bucket=bucket))

    def test_same_name_in_two_regions(self):
        name = f"e2e-{self.suffix}"
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = f"fh-{self.suffix}"
        s3.create_bucket(Bucket=bucket)
        clients = {r: regional_client("firehose", r, parameter_validation=False) for r in ("us-east-1", "eu-west-1")}
        arns = {}
        for region, firehose in clients.items():
            out = firehose.create_delivery_stream(
                DeliveryStreamName=name,
                ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
                                                    "Prefix": f"{region}/",
                                                    "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})
            self.cleanup.append(lambda f=firehose: f.delete_delivery_stream(DeliveryStreamName=name))
            arns[region] = out["DeliveryStreamARN"]
            self.assertRegex(arns[region], rf"^arn:aws:firehose:{region}:\d{{12}}:deliverystream/{name}$")
        for region, firehose in clients.items():
            d = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
            self.assertEqual(d["DeliveryStreamARN"], arns[region])
            self.assertEqual(d["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"], f"{region}/")
            self.assertIn(name, firehose.list_delivery_streams(Limit=10000)["DeliveryStreamNames"])
        other = regional_client("firehose", "ap-southeast-2")
        self.assertNotIn(name, other.list_delivery_streams(Limit=10000)["DeliveryStreamNames"])
        with self.assertRaises(ClientError) as cm:
            other.describe_delivery_stream(DeliveryStreamName=name)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")

        # Each delivers its own records under its own prefix.
        for region, firehose in clients.items():
            firehose.put_record(DeliveryStreamName=name, Record={"Data": region.encode()})
        for region in clients:
            keys = self.wait(lambda r=region: [o["Key"] for o in
                                               s3.list_objects_v2(Bucket=bucket, Prefix=f"{r}/").get("Contents", [])],
                             f"nothing delivered under {region}/")
            self.assertEqual(b"".join(s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys),
                             region.encode())
            for k in keys:
                s3.delete_object(Bucket=bucket, Key=k)
        self.cleanup.insert(0, lambda: s3.delete_bucket(Bucket=bucket))


if __name__ == "__main__":
    harness.main()
