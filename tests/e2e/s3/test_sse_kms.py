"""S3 server-side encryption with KMS keys (SSE-KMS) end to end with boto3: S3 asks Cenote's KMS for each object's
data key as the caller (via S3), so the key's policy decides who may write and read; the plaintext is nowhere in
the data directory; the AWS managed key aws/s3, customer keys, bucket default encryption, multipart uploads,
copies, encryption context, a disabled key, and kms:ViaService in a key policy.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_sse_kms.py [-v]
"""

import base64
import json
import os
import sys
import tempfile
import unittest
import uuid

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import error_of  # noqa: E402

SERVER = None
MARKER = b"kms-guarded-ledger-line-"
ACCOUNT = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def secret(size):
    return harness.marked_bytes(size, MARKER)


def data_dir_holds(needle):
    return harness.data_dir_holds(SERVER, needle)


def client_as(service, key):
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        service, endpoint_url=SERVER.endpoint, region_name=SERVER.region,
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}))


class SseKmsTest(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.kms = harness.boto3_client(SERVER, "kms")
        self.iam = harness.boto3_client(SERVER, "iam")
        self.bucket = "kms-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=self.bucket)
        self.key = self.kms.create_key(Description="lake key")["KeyMetadata"]
        global ACCOUNT
        ACCOUNT = self.key["AWSAccountId"]

    def get(self, key, **kw):
        return self.s3.get_object(Bucket=self.bucket, Key=key, **kw)["Body"].read()

    def user(self, name, statements):
        self.iam.create_user(UserName=name)
        self.iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))
        return self.iam.create_access_key(UserName=name)["AccessKey"]

    def test_objects_are_encrypted_under_the_key_and_read_back(self):
        data = secret(300 * 1024)
        put = self.s3.put_object(Bucket=self.bucket, Key="a", Body=data, ServerSideEncryption="aws:kms",
                                 SSEKMSKeyId=self.key["KeyId"])
        self.assertEqual(put["ServerSideEncryption"], "aws:kms")
        self.assertEqual(put["SSEKMSKeyId"], self.key["Arn"])
        got = self.s3.get_object(Bucket=self.bucket, Key="a")
        self.assertEqual(got["ServerSideEncryption"], "aws:kms")
        self.assertEqual(got["SSEKMSKeyId"], self.key["Arn"])
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(self.get("a", Range="bytes=1000-2000"), data[1000:2001])
        head = self.s3.head_object(Bucket=self.bucket, Key="a")
        self.assertEqual((head["ServerSideEncryption"], head["SSEKMSKeyId"]), ("aws:kms", self.key["Arn"]))
        self.assertFalse(data_dir_holds(MARKER))
        # Without a key id: the AWS managed key aws/s3, made on first use.
        put = self.s3.put_object(Bucket=self.bucket, Key="m", Body=b"managed", ServerSideEncryption="aws:kms")
        managed = self.kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
        self.assertEqual(managed["KeyManager"], "AWS")
        self.assertEqual(put["SSEKMSKeyId"], managed["Arn"])
        self.assertEqual(self.get("m"), b"managed")
        # A copy is encrypted as its request says; its source is decrypted with its own key.
        self.s3.copy_object(Bucket=self.bucket, Key="copy", CopySource={"Bucket": self.bucket, "Key": "a"})
        self.assertNotIn("SSEKMSKeyId", self.s3.head_object(Bucket=self.bucket, Key="copy"))
        self.assertEqual(self.get("copy"), data)
        # A key id with SSE-S3 is refused; an unknown key is KMS's NotFoundException as S3 reports it.
        self.assertEqual(error_of(self.s3.put_object, Bucket=self.bucket, Key="x", Body=b"x",
                                  ServerSideEncryption="AES256", SSEKMSKeyId=self.key["KeyId"]),
                         (400, "InvalidArgument"))
        self.assertEqual(error_of(self.s3.put_object, Bucket=self.bucket, Key="x", Body=b"x",
                                  ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/nope"),
                         (400, "KMS.NotFoundException"))

    def test_encryption_context_and_disabled_key(self):
        context = base64.b64encode(json.dumps({"dept": "finance"}).encode()).decode()
        self.s3.put_object(Bucket=self.bucket, Key="c", Body=b"ctx", ServerSideEncryption="aws:kms",
                           SSEKMSKeyId=self.key["KeyId"], SSEKMSEncryptionContext=context)
        self.assertEqual(self.get("c"), b"ctx")
        self.kms.disable_key(KeyId=self.key["KeyId"])
        self.assertEqual(error_of(self.s3.get_object, Bucket=self.bucket, Key="c"), (400, "KMS.DisabledException"))
        # HEAD describes the object without asking KMS.
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="c")["ServerSideEncryption"], "aws:kms")
        self.kms.enable_key(KeyId=self.key["KeyId"])
        self.assertEqual(self.get("c"), b"ctx")

    def test_bucket_default_and_multipart(self):
        self.s3.put_bucket_encryption(Bucket=self.bucket, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": self.key["Arn"]},
            "BucketKeyEnabled": True}]})
        rule = self.s3.get_bucket_encryption(Bucket=self.bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        self.assertEqual(rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"], self.key["Arn"])
        self.assertTrue(rule["BucketKeyEnabled"])
        put = self.s3.put_object(Bucket=self.bucket, Key="d", Body=b"default")
        self.assertEqual((put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]),
                         ("aws:kms", self.key["Arn"], True))
        big = secret(12 * 1024 * 1024)
        with tempfile.NamedTemporaryFile() as f:
            f.write(big)
            f.flush()
            self.s3.upload_file(f.name, self.bucket, "mp", Config=TransferConfig(multipart_threshold=5 << 20,
                                                                                multipart_chunksize=5 << 20))
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="mp")["SSEKMSKeyId"], self.key["Arn"])
        self.assertEqual(self.get("mp"), big)
        self.assertFalse(data_dir_holds(MARKER))

    def test_the_key_policy_decides_who_writes_and_reads(self):
        data = b"payroll " * 100
        self.s3.put_object(Bucket=self.bucket, Key="p", Body=data, ServerSideEncryption="aws:kms",
                           SSEKMSKeyId=self.key["KeyId"])
        name = "s3only-" + uuid.uuid4().hex[:6]
        s3_only = self.user(name, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
        s3 = client_as("s3", s3_only)
        # S3 rights alone do not read or write through the key: KMS denies the caller, S3 answers 403.
        status, code = error_of(s3.get_object, Bucket=self.bucket, Key="p")
        self.assertEqual((status, code), (403, "AccessDenied"))
        self.assertEqual(error_of(s3.put_object, Bucket=self.bucket, Key="q", Body=b"q",
                                  ServerSideEncryption="aws:kms", SSEKMSKeyId=self.key["KeyId"]),
                         (403, "AccessDenied"))
        # The key policy lets this user use the key only through S3 (kms:ViaService).
        policy = json.loads(self.kms.get_key_policy(KeyId=self.key["KeyId"], PolicyName="default")["Policy"])
        policy["Statement"].append({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/{name}"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{SERVER.region}.amazonaws.com"}}})
        self.kms.put_key_policy(KeyId=self.key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="p")["Body"].read(), data)
        s3.put_object(Bucket=self.bucket, Key="q", Body=b"q", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId=self.key["KeyId"])
        self.assertEqual(self.get("q"), b"q")
        # Directly, not through S3, the same user may not use the key.
        kms = client_as("kms", s3_only)
        with self.assertRaises(ClientError) as e:
            kms.generate_data_key(KeyId=self.key["KeyId"], KeySpec="AES_256")
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDeniedException")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
