"""Kinesis stream encryption end to end with boto3: StartStreamEncryption with a customer key or aws/kinesis,
records sealed at rest (their bytes nowhere in the data directory) and read back; a producer needs
kms:GenerateDataKey and a consumer kms:Decrypt on the key (KMSAccessDeniedException otherwise, as AWS
answers); DescribeStreamSummary shows EncryptionType and KeyId; all of it after kill -9.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/kinesis/test_encryption.py [-v]
"""

import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import error_of  # noqa: E402

SERVER = None
MARKER = b"kinesis-sealed-payload-"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def client_as(service, key):
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        service, endpoint_url=SERVER.endpoint, region_name=SERVER.region,
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}))


class StreamEncryptionTest(unittest.TestCase):
    def setUp(self):
        self.kinesis = harness.boto3_client(SERVER, "kinesis")
        self.kms = harness.boto3_client(SERVER, "kms")
        self.iam = harness.boto3_client(SERVER, "iam")
        self.stream = "enc-" + uuid.uuid4().hex[:10]
        self.kinesis.create_stream(StreamName=self.stream, ShardCount=1)
        self.kinesis.get_waiter("stream_exists").wait(StreamName=self.stream,
                                                      WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
        self.key = self.kms.create_key(Description="stream key")["KeyMetadata"]

    def user(self, statements):
        name = "kin-" + uuid.uuid4().hex[:8]
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
        return self.iam.create_access_key(UserName=name)["AccessKey"]

    def read_all(self, client):
        shard = client.list_shards(StreamName=self.stream)["Shards"][0]["ShardId"]
        it = client.get_shard_iterator(StreamName=self.stream, ShardId=shard,
                                       ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        return client.get_records(ShardIterator=it)["Records"]

    def test_records_sealed_at_rest_and_read_back_after_restart(self):
        self.kinesis.put_record(StreamName=self.stream, PartitionKey="p", Data=b"before encryption")
        self.assertEqual(error_of(self.kinesis.start_stream_encryption, StreamName=self.stream,
                                  EncryptionType="KMS", KeyId="alias/no-such-key"),
                         (400, "KMSNotFoundException"))
        self.kinesis.start_stream_encryption(StreamName=self.stream, EncryptionType="KMS", KeyId=self.key["Arn"])
        summary = self.kinesis.describe_stream_summary(StreamName=self.stream)["StreamDescriptionSummary"]
        self.assertEqual((summary["EncryptionType"], summary["KeyId"]), ("KMS", self.key["Arn"]))
        put = self.kinesis.put_record(StreamName=self.stream, PartitionKey="p", Data=MARKER + b"one")
        self.assertEqual(put["EncryptionType"], "KMS")
        batch = self.kinesis.put_records(StreamName=self.stream, Records=[
            {"PartitionKey": f"k{i}", "Data": MARKER + b"batch-%d" % i} for i in range(20)])
        self.assertEqual((batch["FailedRecordCount"], batch["EncryptionType"]), (0, "KMS"))
        records = self.read_all(self.kinesis)
        self.assertEqual(len(records), 22)
        self.assertEqual(records[0]["Data"], b"before encryption")
        self.assertNotIn("EncryptionType", records[0])
        self.assertEqual((records[1]["Data"], records[1]["EncryptionType"]), (MARKER + b"one", "KMS"))
        self.assertEqual(records[21]["Data"], MARKER + b"batch-19")
        self.assertFalse(harness.data_dir_holds(SERVER, MARKER))
        SERVER.restart()
        self.kinesis = harness.boto3_client(SERVER, "kinesis")
        summary = self.kinesis.describe_stream_summary(StreamName=self.stream)["StreamDescriptionSummary"]
        self.assertEqual(summary["EncryptionType"], "KMS")
        self.kinesis.put_record(StreamName=self.stream, PartitionKey="p", Data=MARKER + b"after restart")
        records = self.read_all(self.kinesis)
        self.assertEqual([r["Data"] for r in records[-2:]], [MARKER + b"batch-19", MARKER + b"after restart"])
        self.assertFalse(harness.data_dir_holds(SERVER, MARKER))
        self.kinesis.stop_stream_encryption(StreamName=self.stream, EncryptionType="KMS", KeyId=self.key["Arn"])
        self.assertEqual(self.kinesis.put_record(StreamName=self.stream, PartitionKey="p",
                                                 Data=b"clear again")["EncryptionType"], "NONE")
        self.assertEqual(self.read_all(self.kinesis)[-1]["Data"], b"clear again")

    def test_producers_and_consumers_need_the_key(self):
        self.kinesis.start_stream_encryption(StreamName=self.stream, EncryptionType="KMS", KeyId=self.key["KeyId"])
        stream_only = [{"Effect": "Allow", "Action": "kinesis:*", "Resource": "*"}]
        outsider = client_as("kinesis", self.user(stream_only))
        self.assertEqual(error_of(outsider.put_record, StreamName=self.stream, PartitionKey="p", Data=b"x"),
                         (400, "KMSAccessDeniedException"))
        producer = client_as("kinesis", self.user(stream_only + [
            {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": self.key["Arn"]}]))
        producer.put_record(StreamName=self.stream, PartitionKey="p", Data=b"from the producer")
        # Writing does not give reading: GetRecords needs kms:Decrypt.
        self.assertEqual(error_of(self.read_all, client=producer), (400, "KMSAccessDeniedException"))
        self.assertEqual(error_of(self.read_all, client=outsider), (400, "KMSAccessDeniedException"))
        consumer = client_as("kinesis", self.user(stream_only + [
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": self.key["Arn"],
             "Condition": {"StringEquals": {"kms:ViaService": f"kinesis.{SERVER.region}.amazonaws.com",
                                            "kms:EncryptionContext:aws:kinesis:arn":
                                                f"arn:aws:kinesis:{SERVER.region}:{self.key['AWSAccountId']}"
                                                f":stream/{self.stream}"}}}]))
        self.assertEqual([r["Data"] for r in self.read_all(consumer)], [b"from the producer"])

    def test_aws_managed_key(self):
        self.kinesis.start_stream_encryption(StreamName=self.stream, EncryptionType="KMS", KeyId="alias/aws/kinesis")
        self.kinesis.put_record(StreamName=self.stream, PartitionKey="p", Data=MARKER + b"managed")
        self.assertEqual(self.read_all(self.kinesis)[0]["Data"], MARKER + b"managed")
        described = self.kinesis.describe_stream(StreamName=self.stream)["StreamDescription"]
        self.assertEqual((described["EncryptionType"], described["KeyId"]), ("KMS", "alias/aws/kinesis"))
        aliases = [a["AliasName"] for a in self.kms.list_aliases()["Aliases"]]
        self.assertIn("alias/aws/kinesis", aliases)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
