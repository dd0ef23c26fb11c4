"""S3 server-side encryption at rest end to end: SSE-S3 (x-amz-server-side-encryption and bucket default
encryption) and SSE-C (customer keys) with boto3 and the AWS CLI, checked where it matters: the plaintext is
nowhere in the server's data directory, reads (whole, ranged, multipart, copies) give it back, SSE-C objects
answer only to their key, and Athena queries a bucket whose objects are all encrypted.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_encryption.py [-v]
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

from boto3.s3.transfer import TransferConfig

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "glue_athena"))
import harness  # noqa: E402
from harness import error_of  # noqa: E402
import lake  # noqa: E402

SERVER = None
MARKER = b"confidential-payroll-row-"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def secret(size, marker=MARKER):
    return harness.marked_bytes(size, marker)


def data_dir_holds(needle):
    """Whether any file of the server's data directory (blobs, metadata, WAL, caches) contains `needle`."""
    return harness.data_dir_holds(SERVER, needle)


def customer_key(fill):
    key = bytes([fill]) * 32
    return key, base64.b64encode(hashlib.md5(key).digest()).decode()


class Encryption(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.bucket = f"enc-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)
        # Each test looks for its own bytes (another one may have copied its plaintext out in the clear).
        self.marker = MARKER + uuid.uuid4().hex.encode() + b"-"

    def secret(self, size):
        return secret(size, self.marker)

    def get(self, key, **kw):
        return self.s3.get_object(Bucket=self.bucket, Key=key, **kw)["Body"].read()

    def test_sse_s3_bytes_are_not_on_disk_in_clear(self):
        data = self.secret(3 * 1024 * 1024 + 17)
        small = self.secret(700)
        r = self.s3.put_object(Bucket=self.bucket, Key="big", Body=data, ServerSideEncryption="AES256")
        self.assertEqual(r["ServerSideEncryption"], "AES256")
        self.s3.put_object(Bucket=self.bucket, Key="small", Body=small, ServerSideEncryption="AES256")
        self.assertFalse(data_dir_holds(self.marker))
        got = self.s3.get_object(Bucket=self.bucket, Key="big")
        self.assertEqual(got["ServerSideEncryption"], "AES256")
        self.assertEqual(got["Body"].read(), data)
        self.assertEqual(self.get("small"), small)
        # A ranged GET decrypts only the segments it touches and streams them.
        self.assertEqual(self.get("big", Range="bytes=1000000-2000000"), data[1000000:2000001])
        self.assertEqual(self.get("big", Range="bytes=-5"), data[-5:])
        head = self.s3.head_object(Bucket=self.bucket, Key="big")
        self.assertEqual(head["ServerSideEncryption"], "AES256")
        self.assertEqual(head["ETag"], '"%s"' % hashlib.md5(data).hexdigest())

    def test_bucket_default_encryption(self):
        self.assertEqual(error_of(self.s3.get_bucket_encryption, Bucket=self.bucket),
                         (404, "ServerSideEncryptionConfigurationNotFoundError"))
        self.s3.put_bucket_encryption(Bucket=self.bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        conf = self.s3.get_bucket_encryption(Bucket=self.bucket)["ServerSideEncryptionConfiguration"]
        self.assertEqual(conf["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256")
        data = self.secret(200 * 1024)
        self.assertEqual(self.s3.put_object(Bucket=self.bucket, Key="a", Body=data)["ServerSideEncryption"],
                         "AES256")
        # A multipart upload (s3transfer: 8 MiB parts) takes the default too.
        big = self.secret(20 * 1024 * 1024)
        with tempfile.NamedTemporaryFile() as f:
            f.write(big)
            f.flush()
            self.s3.upload_file(f.name, self.bucket, "mp", Config=TransferConfig(multipart_threshold=8 << 20))
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="mp")["ServerSideEncryption"], "AES256")
        self.assertFalse(data_dir_holds(self.marker))
        self.assertEqual(self.get("a"), data)
        self.assertEqual(self.get("mp"), big)
        self.assertEqual(self.get("mp", PartNumber=2), big[8 << 20:16 << 20])
        self.s3.delete_bucket_encryption(Bucket=self.bucket)
        self.assertNotIn("ServerSideEncryption", self.s3.put_object(Bucket=self.bucket, Key="b", Body=b"clear"))
        # SSE-KMS defaults: test_sse_kms.py.

    def test_sse_c_objects_answer_only_to_their_key(self):
        key, md5 = customer_key(7)
        other, _ = customer_key(9)
        data = self.secret(300 * 1024)
        sse = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        r = self.s3.put_object(Bucket=self.bucket, Key="c", Body=data, **sse)
        self.assertEqual(r["SSECustomerKeyMD5"], md5)
        self.assertFalse(data_dir_holds(self.marker))
        self.assertEqual(self.get("c", **sse), data)
        self.assertEqual(self.get("c", Range="bytes=70000-70099", **sse), data[70000:70100])
        self.assertEqual(error_of(self.s3.get_object, Bucket=self.bucket, Key="c"), (400, "InvalidRequest"))
        self.assertEqual(error_of(self.s3.get_object, Bucket=self.bucket, Key="c", SSECustomerAlgorithm="AES256",
                                  SSECustomerKey=other)[0], 400)
        self.assertEqual(error_of(self.s3.head_object, Bucket=self.bucket, Key="c")[0], 400)
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="c", **sse)["SSECustomerKeyMD5"], md5)
        # Copied out under another key, then into the clear.
        self.s3.copy_object(Bucket=self.bucket, Key="c2", CopySource={"Bucket": self.bucket, "Key": "c"},
                            CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key,
                            SSECustomerAlgorithm="AES256", SSECustomerKey=other)
        self.assertEqual(self.get("c2", SSECustomerAlgorithm="AES256", SSECustomerKey=other), data)
        self.s3.copy_object(Bucket=self.bucket, Key="clear", CopySource={"Bucket": self.bucket, "Key": "c"},
                            CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=key)
        self.assertEqual(self.get("clear"), data)

    def test_sse_c_multipart_upload(self):
        key, _ = customer_key(3)
        sse = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        data = self.secret(12 * 1024 * 1024 + 5)
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            self.s3.upload_file(f.name, self.bucket, "mp", ExtraArgs=sse,
                                Config=TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20))
        self.assertFalse(data_dir_holds(self.marker))
        self.assertEqual(self.get("mp", **sse), data)
        self.assertEqual(self.get("mp", Range="bytes=5242870-5242890", **sse), data[5242870:5242891])
        self.assertEqual(error_of(self.s3.get_object, Bucket=self.bucket, Key="mp")[0], 400)

    def test_aws_cli_sse_c_and_sse_s3(self):
        cli = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws")
        if not cli:
            self.skipTest("no AWS CLI on this machine")
        key, _ = customer_key(5)
        data = self.secret(100 * 1024)
        with tempfile.TemporaryDirectory() as tmp:
            src, out, keyfile = (os.path.join(tmp, n) for n in ("src", "out", "key"))
            with open(src, "wb") as f:
                f.write(data)
            with open(keyfile, "wb") as f:
                f.write(key)
            env = SERVER.client_env()

            def aws(*args):
                return subprocess.run([cli, "--endpoint-url", SERVER.endpoint, *args], env=env, check=True,
                                      capture_output=True, timeout=120)

            aws("s3", "cp", src, f"s3://{self.bucket}/cli-c", "--sse-c", "AES256", "--sse-c-key", f"fileb://{keyfile}")
            aws("s3", "cp", f"s3://{self.bucket}/cli-c", out, "--sse-c", "AES256", "--sse-c-key", f"fileb://{keyfile}")
            with open(out, "rb") as f:
                self.assertEqual(f.read(), data)
            aws("s3", "cp", src, f"s3://{self.bucket}/cli-s3", "--sse", "AES256")
            head = aws("s3api", "head-object", "--bucket", self.bucket, "--key", "cli-s3").stdout
            self.assertIn(b'"ServerSideEncryption": "AES256"', head)
        self.assertFalse(data_dir_holds(self.marker))

    def test_select_over_encrypted_objects(self):
        key, _ = customer_key(11)
        sse = dict(SSECustomerAlgorithm="AES256", SSECustomerKey=key)
        rows = b"name,n\n" + b"".join(b"%s%d,%d\n" % (self.marker, i, i) for i in range(100))
        self.s3.put_object(Bucket=self.bucket, Key="c.csv", Body=rows, **sse)
        self.s3.put_object(Bucket=self.bucket, Key="s.csv", Body=rows, ServerSideEncryption="AES256")
        query = dict(ExpressionType="SQL", Expression="SELECT count(*) FROM S3Object s WHERE CAST(s.n AS INT) >= 50",
                     InputSerialization={"CSV": {"FileHeaderInfo": "USE"}}, OutputSerialization={"CSV": {}})

        def select(k, **kw):
            r = self.s3.select_object_content(Bucket=self.bucket, Key=k, **query, **kw)
            return b"".join(e["Records"]["Payload"] for e in r["Payload"] if "Records" in e)

        self.assertEqual(select("s.csv").strip(), b"50")
        self.assertEqual(select("c.csv", **sse).strip(), b"50")
        self.assertEqual(error_of(self.s3.select_object_content, Bucket=self.bucket, Key="c.csv", **query)[0], 400)
        self.assertFalse(data_dir_holds(self.marker))

    def test_athena_reads_an_encrypted_bucket(self):
        self.s3.put_bucket_encryption(Bucket=self.bucket, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        rows = b"".join(b"%d,%s%d\n" % (i, self.marker, i) for i in range(500))
        self.s3.put_object(Bucket=self.bucket, Key="t/part-0.csv", Body=rows)
        a = lake.Athena(harness.boto3_client(SERVER, "athena"), f"s3://{self.bucket}/results/")
        db = f"enc_{uuid.uuid4().hex[:8]}"
        a.execute(f"CREATE DATABASE {db}", database="")
        a.execute(f"CREATE EXTERNAL TABLE {db}.t (i int, s string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                  f"LOCATION 's3://{self.bucket}/t/'", database=db)
        qe = a.execute(f"SELECT count(*), sum(i), max(s) FROM {db}.t", database=db)
        _info, result, _pages = a.results(qe["QueryExecutionId"])
        self.assertEqual(result[1][:2], ["500", str(sum(range(500)))])
        # The query's result file landed in the bucket, encrypted by its default like everything else.
        out_key = qe["ResultConfiguration"]["OutputLocation"].split(f"s3://{self.bucket}/", 1)[1]
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key=out_key)["ServerSideEncryption"], "AES256")
        self.assertFalse(data_dir_holds(self.marker))


if __name__ == "__main__":
    harness.main()
