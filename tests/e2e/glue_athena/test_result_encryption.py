"""Athena query results encrypted at rest, end to end with boto3: ResultConfiguration.EncryptionConfiguration
SSE_KMS (result objects written SSE-KMS with the key, KMS asked as the caller via S3) and SSE_S3, the workgroup's
encryption when it enforces its configuration, CSE_KMS (the S3 encryption client's v2 envelope, read back by
GetQueryResults and by an independent decryptor), a missing KmsKey refused with InvalidRequestException, and a
caller without the key's permissions failing to write results.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_result_encryption.py [-v]
"""

import json
import os
import sys
import time
import unittest
import uuid

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


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


class ResultEncryptionTest(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.athena = harness.boto3_client(SERVER, "athena")
        self.kms = harness.boto3_client(SERVER, "kms")
        self.bucket = "res-" + uuid.uuid4().hex[:12]
        self.s3.create_bucket(Bucket=self.bucket)
        self.key = self.kms.create_key(Description="results")["KeyMetadata"]

    def run_query(self, athena=None, **kw):
        athena = athena or self.athena
        qid = athena.start_query_execution(QueryString="SELECT 42 AS answer", **kw)["QueryExecutionId"]
        deadline = time.time() + 60
        while True:
            ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED") or time.time() > deadline:
                return ex
            time.sleep(0.1)

    def result_head(self, ex):
        location = ex["ResultConfiguration"]["OutputLocation"]
        bucket, key = location[len("s3://"):].split("/", 1)
        return self.s3.head_object(Bucket=bucket, Key=key), self.s3.head_object(Bucket=bucket, Key=key + ".metadata")

    def test_sse_kms_results(self):
        ex = self.run_query(ResultConfiguration={
            "OutputLocation": f"s3://{self.bucket}/kms/",
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": self.key["Arn"]}})
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])
        self.assertEqual(ex["ResultConfiguration"]["EncryptionConfiguration"],
                         {"EncryptionOption": "SSE_KMS", "KmsKey": self.key["Arn"]})
        for head in self.result_head(ex):
            self.assertEqual((head["ServerSideEncryption"], head["SSEKMSKeyId"]), ("aws:kms", self.key["Arn"]))
        rows = self.athena.get_query_results(QueryExecutionId=ex["QueryExecutionId"])["ResultSet"]["Rows"]
        self.assertEqual(rows[1]["Data"][0]["VarCharValue"], "42")

    def test_sse_s3_results(self):
        ex = self.run_query(ResultConfiguration={"OutputLocation": f"s3://{self.bucket}/s3/",
                                                 "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}})
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])
        self.assertEqual(self.result_head(ex)[0]["ServerSideEncryption"], "AES256")

    def test_cse_kms_results(self):
        """CSE_KMS: the result objects hold the S3 encryption client's v2 envelope (KMS data key, AES-GCM), not the
        CSV; GetQueryResults decrypts them for the caller; an independent decryptor (KMS Decrypt + AES-GCM from
        the `cryptography` package, when installed) reads the same CSV."""
        import base64
        ex = self.run_query(ResultConfiguration={
            "OutputLocation": f"s3://{self.bucket}/cse/",
            "EncryptionConfiguration": {"EncryptionOption": "CSE_KMS", "KmsKey": self.key["Arn"]}})
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])
        self.assertEqual(ex["ResultConfiguration"]["EncryptionConfiguration"],
                         {"EncryptionOption": "CSE_KMS", "KmsKey": self.key["Arn"]})
        rows = self.athena.get_query_results(QueryExecutionId=ex["QueryExecutionId"])["ResultSet"]["Rows"]
        self.assertEqual(rows[0]["Data"][0]["VarCharValue"], "answer")
        self.assertEqual(rows[1]["Data"][0]["VarCharValue"], "42")
        location = ex["ResultConfiguration"]["OutputLocation"]
        bucket, key = location[len("s3://"):].split("/", 1)
        for name in (key, key + ".metadata"):
            obj = self.s3.get_object(Bucket=bucket, Key=name)
            body, meta = obj["Body"].read(), obj["Metadata"]
            self.assertNotIn("ServerSideEncryption", obj)
            self.assertEqual((meta["x-amz-cek-alg"], meta["x-amz-wrap-alg"], meta["x-amz-tag-len"]),
                             ("AES/GCM/NoPadding", "kms+context", "128"))
            self.assertEqual(json.loads(meta["x-amz-matdesc"]), {"aws:x-amz-cek-alg": "AES/GCM/NoPadding"})
            self.assertEqual(len(base64.b64decode(meta["x-amz-iv"])), 12)
            self.assertEqual(len(body), int(meta["x-amz-unencrypted-content-length"]) + 16)
            self.assertNotIn(b"answer", body)
            try:
                from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            except ImportError:
                continue
            data_key = self.kms.decrypt(CiphertextBlob=base64.b64decode(meta["x-amz-key-v2"]),
                                        EncryptionContext=json.loads(meta["x-amz-matdesc"]))["Plaintext"]
            plain = AESGCM(data_key).decrypt(base64.b64decode(meta["x-amz-iv"]), body, None)
            if name == key:
                self.assertEqual(plain, b'"answer"\n"42"\n')
        # A caller who may read the objects but not decrypt with the key gets no rows.
        iam = harness.boto3_client(SERVER, "iam")
        user = "reader-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["athena:*", "s3:*"], "Resource": "*"}]}))
        athena = client_as("athena", iam.create_access_key(UserName=user)["AccessKey"])
        with self.assertRaises(ClientError) as e:
            athena.get_query_results(QueryExecutionId=ex["QueryExecutionId"])
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRequestException")
        self.assertIn("kms:Decrypt", e.exception.response["Error"]["Message"])

    def test_cse_kms_workgroup_enforcement(self):
        wg = "cse-" + uuid.uuid4().hex[:8]
        self.athena.create_work_group(Name=wg, Configuration={
            "EnforceWorkGroupConfiguration": True,
            "ResultConfiguration": {
                "OutputLocation": f"s3://{self.bucket}/wgcse/",
                "EncryptionConfiguration": {"EncryptionOption": "CSE_KMS", "KmsKey": self.key["Arn"]}}})
        ex = self.run_query(WorkGroup=wg, ResultConfiguration={
            "OutputLocation": f"s3://{self.bucket}/ignored/", "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}})
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])
        self.assertEqual(ex["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"], "CSE_KMS")
        location = ex["ResultConfiguration"]["OutputLocation"]
        bucket, key = location[len("s3://"):].split("/", 1)
        self.assertIn("x-amz-key-v2", self.s3.head_object(Bucket=bucket, Key=key)["Metadata"])
        rows = self.athena.get_query_results(QueryExecutionId=ex["QueryExecutionId"])["ResultSet"]["Rows"]
        self.assertEqual(rows[1]["Data"][0]["VarCharValue"], "42")

    def test_refusals(self):
        for config, words in (({"EncryptionOption": "CSE_KMS"}, "KmsKey"),
                              ({"EncryptionOption": "SSE_KMS"}, "KmsKey")):
            with self.assertRaises(ClientError) as e:
                self.athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={
                    "OutputLocation": f"s3://{self.bucket}/x/", "EncryptionConfiguration": config})
            self.assertEqual(e.exception.response["Error"]["Code"], "InvalidRequestException")
            self.assertIn(words, e.exception.response["Error"]["Message"])

    def test_workgroup_enforcement(self):
        wg = "enc-" + uuid.uuid4().hex[:8]
        self.athena.create_work_group(Name=wg, Configuration={
            "EnforceWorkGroupConfiguration": True,
            "ResultConfiguration": {
                "OutputLocation": f"s3://{self.bucket}/wg/",
                "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": self.key["KeyId"]}}})
        ex = self.run_query(WorkGroup=wg, ResultConfiguration={
            "OutputLocation": f"s3://{self.bucket}/ignored/",
            "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}})
        self.assertEqual(ex["Status"]["State"], "SUCCEEDED", ex["Status"])
        self.assertTrue(ex["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{self.bucket}/wg/"))
        self.assertEqual(ex["ResultConfiguration"]["EncryptionConfiguration"]["EncryptionOption"], "SSE_KMS")
        head, _ = self.result_head(ex)
        self.assertEqual((head["ServerSideEncryption"], head["SSEKMSKeyId"]), ("aws:kms", self.key["Arn"]))
        # Not enforced: the request's encryption wins.
        self.athena.update_work_group(WorkGroup=wg, ConfigurationUpdates={"EnforceWorkGroupConfiguration": False})
        ex = self.run_query(WorkGroup=wg, ResultConfiguration={
            "OutputLocation": f"s3://{self.bucket}/mine/", "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}})
        self.assertEqual(self.result_head(ex)[0]["ServerSideEncryption"], "AES256")

    def test_caller_without_the_key_cannot_write_results(self):
        iam = harness.boto3_client(SERVER, "iam")
        name = "analyst-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=name)
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["athena:*", "s3:*", "glue:*"], "Resource": "*"}]}))
        athena = client_as("athena", iam.create_access_key(UserName=name)["AccessKey"])
        ex = self.run_query(athena=athena, ResultConfiguration={
            "OutputLocation": f"s3://{self.bucket}/denied/",
            "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": self.key["Arn"]}})
        self.assertEqual(ex["Status"]["State"], "FAILED", ex["Status"])
        self.assertIn("kms:GenerateDataKey", ex["Status"].get("StateChangeReason", ""))


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
