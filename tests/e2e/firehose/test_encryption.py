"""Amazon Data Firehose encryption end to end with boto3: buffer encryption (DeliveryStreamEncryptionConfiguration)
with a customer managed KMS key (Firehose's grant on it, Encrypted in PutRecord's answer) and with Firehose's own
key, the S3 destination's KMSEncryptionConfig (objects written SSE-KMS with that key as the role), KMS refusals as
InvalidKMSResourceException, and the records' bytes nowhere in the data directory.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/firehose/test_encryption.py [-v]
"""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import error_of  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/firehose-kms"
MARKER = b"firehose-sealed-record-"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    # The delivery role may use KMS keys for the objects it writes (SSE-KMS via S3). It trusts Firehose only: S3's
    # forwarded call to KMS carries the role's session on, as on AWS.
    harness.create_service_role(SERVER, ROLE, "firehose.amazonaws.com",
                                actions=("s3:*", "kms:GenerateDataKey", "kms:Decrypt"))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class FirehoseEncryptionTest(unittest.TestCase):
    def setUp(self):
        self.firehose = harness.boto3_client(SERVER, "firehose", parameter_validation=False)
        self.s3 = harness.boto3_client(SERVER, "s3")
        self.kms = harness.boto3_client(SERVER, "kms")
        self.name = f"enc-{uuid.uuid4().hex[:10]}"
        self.bucket = f"fhk-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.key = self.kms.create_key(Description="firehose")["KeyMetadata"]

    def create(self, **kw):
        config = {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{self.bucket}",
                  "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}}
        config.update(kw.pop("destination", {}))
        self.firehose.create_delivery_stream(DeliveryStreamName=self.name,
                                             ExtendedS3DestinationConfiguration=config, **kw)
        return self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]

    def delivered(self, count=1):
        deadline = time.time() + 20
        while time.time() < deadline:
            keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
            if len(keys) >= count:
                return keys
            time.sleep(0.3)
        raise AssertionError("nothing delivered after 20 s:\n" + SERVER.log_tail(20))

    def test_customer_managed_key_and_sse_kms_objects(self):
        d = self.create(
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": self.key["Arn"]},
            destination={"EncryptionConfiguration": {"KMSEncryptionConfig": {"AWSKMSKeyARN": self.key["Arn"]}}})
        self.assertEqual(d["DeliveryStreamEncryptionConfiguration"],
                         {"KeyARN": self.key["Arn"], "KeyType": "CUSTOMER_MANAGED_CMK", "Status": "ENABLED"})
        grants = self.kms.list_grants(KeyId=self.key["KeyId"])["Grants"]
        self.assertIn("firehose.amazonaws.com", [g["GranteePrincipal"] for g in grants])
        put = self.firehose.put_record(DeliveryStreamName=self.name, Record={"Data": MARKER + b"one\n"})
        self.assertTrue(put["Encrypted"])
        batch = self.firehose.put_record_batch(DeliveryStreamName=self.name,
                                               Records=[{"Data": MARKER + b"two\n"}])
        self.assertTrue(batch["Encrypted"])
        keys = self.delivered()
        body = b"".join(self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read() for k in keys)
        self.assertIn(MARKER + b"one\n", body)
        head = self.s3.head_object(Bucket=self.bucket, Key=keys[0])
        self.assertEqual((head["ServerSideEncryption"], head["SSEKMSKeyId"]), ("aws:kms", self.key["Arn"]))
        self.assertFalse(harness.data_dir_holds(SERVER, MARKER))
        self.firehose.stop_delivery_stream_encryption(DeliveryStreamName=self.name)
        d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]
        self.assertEqual(d["DeliveryStreamEncryptionConfiguration"]["Status"], "DISABLED")
        self.assertFalse(self.firehose.put_record(DeliveryStreamName=self.name,
                                                  Record={"Data": b"clear\n"})["Encrypted"])

    def test_owned_key_and_restart(self):
        # The bucket encrypts what Firehose delivers; Firehose's own key seals what it buffers.
        self.s3.put_bucket_encryption(Bucket=self.bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        self.create()
        self.firehose.start_delivery_stream_encryption(
            DeliveryStreamName=self.name, DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"})
        d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]
        self.assertEqual(d["DeliveryStreamEncryptionConfiguration"], {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"})
        self.assertTrue(self.firehose.put_record(DeliveryStreamName=self.name,
                                                 Record={"Data": MARKER + b"owned\n"})["Encrypted"])
        SERVER.restart()
        self.firehose = harness.boto3_client(SERVER, "firehose", parameter_validation=False)
        self.s3 = harness.boto3_client(SERVER, "s3")
        d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]
        self.assertEqual(d["DeliveryStreamEncryptionConfiguration"]["Status"], "ENABLED")
        keys = self.delivered()
        body = b"".join(self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read() for k in keys)
        self.assertIn(MARKER + b"owned\n", body)
        self.assertFalse(harness.data_dir_holds(SERVER, MARKER))

    def test_kms_refusals(self):
        self.create()
        missing = self.key["Arn"][:-4] + "0000"
        self.assertEqual(error_of(self.firehose.start_delivery_stream_encryption, DeliveryStreamName=self.name,
                                  DeliveryStreamEncryptionConfigurationInput={
                                      "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": missing}),
                         (400, "InvalidKMSResourceException"))
        # A caller that may manage the stream but not grant on the key.
        iam = harness.boto3_client(SERVER, "iam")
        user = "fh-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "firehose:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        import boto3
        firehose = boto3.session.Session().client(
            "firehose", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        self.assertEqual(error_of(firehose.start_delivery_stream_encryption, DeliveryStreamName=self.name,
                                  DeliveryStreamEncryptionConfigurationInput={
                                      "KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": self.key["Arn"]}),
                         (400, "InvalidKMSResourceException"))
        d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.name)["DeliveryStreamDescription"]
        self.assertEqual(d["DeliveryStreamEncryptionConfiguration"]["Status"], "DISABLED")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
