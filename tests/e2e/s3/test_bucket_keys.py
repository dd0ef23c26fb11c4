"""S3 Bucket Keys end to end with boto3: a bucket with SSE-KMS default encryption and BucketKeyEnabled asks
Cenote's KMS for one bucket-level data key (encryption context: the bucket's ARN) and derives each object's key
from it, so many PUTs and GETs make one GenerateDataKey and one Decrypt (counted in CloudTrail's LookupEvents);
x-amz-server-side-encryption-bucket-key-enabled in and out; a key policy conditioned on the bucket ARN as
encryption context; objects read back after kill -9; the plaintext is nowhere in the data directory.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_bucket_keys.py [-v]
"""

import json
import os
import sys
import tempfile
import time
import unittest
import uuid

from boto3.s3.transfer import TransferConfig

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import error_of  # noqa: E402

SERVER = None
MARKER = b"bucket-key-guarded-line-"


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
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


class BucketKeyTest(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.kms = harness.boto3_client(SERVER, "kms")
        self.bucket = "bk-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=self.bucket)
        self.key = self.kms.create_key(Description="bucket key test")["KeyMetadata"]
        self.s3.put_bucket_encryption(Bucket=self.bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self.key["Arn"]},
            "BucketKeyEnabled": True}]})

    def kms_events(self, name):
        """KMS's `name` events for this test's key, as CloudTrail recorded them (S3's calls via S3)."""
        ct = harness.boto3_client(SERVER, "cloudtrail")
        out = []
        for page in ct.get_paginator("lookup_events").paginate(
                LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}]):
            for e in page["Events"]:
                record = json.loads(e["CloudTrailEvent"])
                if record.get("eventSource") != "kms.amazonaws.com":
                    continue
                params = record.get("requestParameters") or {}
                if self.key["KeyId"] in json.dumps(record.get("resources", [])) + json.dumps(params):
                    out.append(record)
        return out

    def wait_kms_events(self, name, at_least):
        deadline = time.time() + 10
        events = self.kms_events(name)
        while len(events) < at_least and time.time() < deadline:
            time.sleep(0.2)
            events = self.kms_events(name)
        return events

    def test_many_objects_one_kms_call(self):
        for i in range(25):
            put = self.s3.put_object(Bucket=self.bucket, Key=f"o{i}", Body=b"object %d" % i)
            self.assertEqual((put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]),
                             ("aws:kms", self.key["Arn"], True))
        for i in range(25):
            got = self.s3.get_object(Bucket=self.bucket, Key=f"o{i}")
            self.assertEqual(got["Body"].read(), b"object %d" % i)
            self.assertTrue(got["BucketKeyEnabled"])
        generated = self.wait_kms_events("GenerateDataKey", 1)
        decrypted = self.wait_kms_events("Decrypt", 1)
        self.assertEqual(len(generated), 1, generated)
        self.assertEqual(len(decrypted), 1, decrypted)
        # The encryption context is the bucket's ARN, not the object's.
        context = generated[0]["requestParameters"]["encryptionContext"]
        self.assertEqual(context["aws:s3:arn"], f"arn:aws:s3:::{self.bucket}")
        self.assertEqual(generated[0]["userIdentity"].get("invokedBy"), "s3.amazonaws.com")

    def test_header_in_and_out_and_per_request_override(self):
        # Per request on a bucket without default encryption.
        other = "bk-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=other)
        put = self.s3.put_object(Bucket=other, Key="k", Body=b"v", ServerSideEncryption="aws:kms",
                                 SSEKMSKeyId=self.key["KeyId"], BucketKeyEnabled=True)
        self.assertTrue(put["BucketKeyEnabled"])
        head = self.s3.head_object(Bucket=other, Key="k")
        self.assertTrue(head["BucketKeyEnabled"])
        self.assertEqual(head["ResponseMetadata"]["HTTPHeaders"]["x-amz-server-side-encryption-bucket-key-enabled"],
                         "true")
        # Turned off for one object in a bucket-key bucket: that object gets its own data key.
        off = self.s3.put_object(Bucket=self.bucket, Key="own", Body=b"own key", BucketKeyEnabled=False)
        self.assertNotIn("BucketKeyEnabled", off)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="own")["Body"].read(), b"own key")
        # CopyObject into the bucket takes its bucket key; a copy can ask for one too.
        copy = self.s3.copy_object(Bucket=self.bucket, Key="copy", CopySource={"Bucket": other, "Key": "k"})
        self.assertTrue(copy["BucketKeyEnabled"])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="copy")["Body"].read(), b"v")

    def test_key_policy_on_the_bucket_arn_and_restart(self):
        iam = harness.boto3_client(SERVER, "iam")
        name = "bkuser-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        user_key = iam.create_access_key(UserName=name)["AccessKey"]
        account = self.key["AWSAccountId"]
        policy = json.loads(self.kms.get_key_policy(KeyId=self.key["KeyId"], PolicyName="default")["Policy"])
        policy["Statement"].append({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/{name}"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{self.bucket}"}}})
        self.kms.put_key_policy(KeyId=self.key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
        s3 = client_as("s3", user_key)
        data = harness.marked_bytes(256 * 1024, MARKER)
        s3.put_object(Bucket=self.bucket, Key="u", Body=data)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="u")["Body"].read(), data)
        # Without a bucket key the context is the object's ARN, which the policy does not allow.
        self.assertEqual(error_of(s3.put_object, Bucket=self.bucket, Key="v", Body=b"v", BucketKeyEnabled=False),
                         (403, "AccessDenied"))
        # A caller the key policy does not name gets nothing from the cached bucket key.
        stranger = iam.create_user(UserName=name + "x")["User"]["UserName"]
        iam.put_user_policy(UserName=stranger, PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        s3x = client_as("s3", iam.create_access_key(UserName=stranger)["AccessKey"])
        self.assertEqual(error_of(s3x.get_object, Bucket=self.bucket, Key="u"), (403, "AccessDenied"))
        self.assertEqual(error_of(s3x.put_object, Bucket=self.bucket, Key="w", Body=b"w"), (403, "AccessDenied"))
        # A multipart upload under the bucket key.
        big = harness.marked_bytes(11 * 1024 * 1024, MARKER)
        with tempfile.NamedTemporaryFile() as f:
            f.write(big)
            f.flush()
            self.s3.upload_file(f.name, self.bucket, "mp", Config=TransferConfig(multipart_threshold=5 << 20,
                                                                                multipart_chunksize=5 << 20))
        self.assertTrue(self.s3.head_object(Bucket=self.bucket, Key="mp")["BucketKeyEnabled"])
        self.assertFalse(harness.data_dir_holds(SERVER, MARKER))
        # After kill -9 (no cached key survives) the objects read back through KMS again.
        SERVER.restart()
        self.s3 = harness.boto3_client(SERVER)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="u")["Body"].read(), data)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="mp")["Body"].read(), big)
        s3 = client_as("s3", user_key)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="u")["Body"].read(), data)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
