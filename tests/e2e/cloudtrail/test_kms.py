"""CloudTrail trails with KmsKeyId end to end with boto3: the key's policy must let cloudtrail.amazonaws.com use
it (InsufficientEncryptionPolicyException otherwise, KmsKeyNotFoundException for a missing key, as AWS answers);
log files and digest files are then delivered SSE-KMS with the trail's key (the trail's ARN in the encryption
context), and read back by a caller the key allows; UpdateTrail with KmsKeyId "" turns it off.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/cloudtrail/test_kms.py [-v]
"""

import gzip
import json
import os
import sys
import time
import unittest

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

BUCKET = "trail-kms-logs"
TRAIL = "kms-trail"

os.environ["CENOTE_CLOUDTRAIL_DELIVERY_SECONDS"] = "1"
os.environ["CENOTE_CLOUDTRAIL_DIGEST_SECONDS"] = "3"

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER:
        SERVER.close()


def bucket_policy(account, region):
    source = f"arn:aws:cloudtrail:{region}:{account}:trail/{TRAIL}"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{BUCKET}",
         "Condition": {"StringEquals": {"aws:SourceArn": source}}},
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/{account}/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": source}}},
    ]})


def wait_for(predicate, timeout=30, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class TrailKmsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = harness.boto3_client(SERVER, "s3")
        cls.ct = harness.boto3_client(SERVER, "cloudtrail")
        cls.kms = harness.boto3_client(SERVER, "kms")
        cls.account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.s3.put_bucket_policy(Bucket=BUCKET, Policy=bucket_policy(cls.account, SERVER.region))
        cls.key = cls.kms.create_key(Description="trail key")["KeyMetadata"]

    def allow_cloudtrail(self):
        policy = json.loads(self.kms.get_key_policy(KeyId=self.key["KeyId"], PolicyName="default")["Policy"])
        policy["Statement"] += [
            {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:GenerateDataKey*",
             "Resource": "*",
             "Condition": {"StringLike": {
                 "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{self.account}:trail/*"}}},
            {"Sid": "Allow CloudTrail to describe key", "Effect": "Allow",
             "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*"}]
        self.kms.put_key_policy(KeyId=self.key["KeyId"], PolicyName="default", Policy=json.dumps(policy))

    def test_1_key_checks(self):
        with self.assertRaises(ClientError) as e:
            self.ct.create_trail(Name=TRAIL, S3BucketName=BUCKET, KmsKeyId=self.key["Arn"])
        self.assertEqual(e.exception.response["Error"]["Code"], "InsufficientEncryptionPolicyException")
        with self.assertRaises(ClientError) as e:
            self.ct.create_trail(Name=TRAIL, S3BucketName=BUCKET, KmsKeyId="alias/no-such-trail-key")
        self.assertEqual(e.exception.response["Error"]["Code"], "KmsKeyNotFoundException")

    def test_2_logs_and_digests_delivered_sse_kms(self):
        self.allow_cloudtrail()
        created = self.ct.create_trail(Name=TRAIL, S3BucketName=BUCKET, KmsKeyId=self.key["KeyId"],
                                       EnableLogFileValidation=True)
        self.assertEqual(created["KmsKeyId"], self.key["Arn"])
        self.assertEqual(self.ct.get_trail(Name=TRAIL)["Trail"]["KmsKeyId"], self.key["Arn"])
        self.ct.start_logging(Name=TRAIL)
        for _ in range(3):
            self.s3.list_buckets()
            time.sleep(1)

        def objects(kind):
            listed = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"AWSLogs/{self.account}/{kind}/")
            return [o["Key"] for o in listed.get("Contents", [])]

        logs = wait_for(lambda: objects("CloudTrail"))
        self.assertTrue(logs, "no log file delivered")
        digests = wait_for(lambda: objects("CloudTrail-Digest"), timeout=40)
        self.assertTrue(digests, "no digest file delivered")
        for key in (logs[0], digests[0]):
            head = self.s3.head_object(Bucket=BUCKET, Key=key)
            self.assertEqual((head["ServerSideEncryption"], head["SSEKMSKeyId"]), ("aws:kms", self.key["Arn"]))
        records = json.loads(gzip.decompress(self.s3.get_object(Bucket=BUCKET, Key=logs[0])["Body"].read()))
        self.assertTrue(records["Records"])
        self.ct.stop_logging(Name=TRAIL)
        updated = self.ct.update_trail(Name=TRAIL, KmsKeyId="")
        self.assertNotIn("KmsKeyId", updated)
        self.assertNotIn("KmsKeyId", self.ct.get_trail(Name=TRAIL)["Trail"])


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
