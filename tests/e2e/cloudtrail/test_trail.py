"""CloudTrail trails end to end: a trail delivers gzip JSON log files to its bucket under AWS's key layout,
signed digest files chain them, and the unmodified AWS CLI's `aws cloudtrail validate-logs` reports every file
valid; after one log file is edited and another deleted it reports both.

The CLI builds its own S3 clients for validate-logs (no --endpoint-url): the test points them at Cenote with
AWS_ENDPOINT_URL, which CLI v1 (>= 1.29) and v2 (>= 2.13) honour natively; for Debian's CLI 2.9 the
cli_plugin/ directory next to this file provides the same (docs/cloudtrail.md).

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/cloudtrail/test_trail.py [-v]
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUCKET = "trail-logs"
TRAIL = "main-trail"
PREFIX = "audit"

# Short cadences for the test: files every second, digests every 3 seconds (names and chain as AWS's).
os.environ["CENOTE_CLOUDTRAIL_DELIVERY_SECONDS"] = "1"
os.environ["CENOTE_CLOUDTRAIL_DIGEST_SECONDS"] = "3"

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER:
        SERVER.close()


def bucket_policy(account, region, trail, bucket, prefix):
    source = f"arn:aws:cloudtrail:{region}:{account}:trail/{trail}"
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "AWSCloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringEquals": {"aws:SourceArn": source}}},
        {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/{prefix}/AWSLogs/{account}/*",
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


def needs_plugin(cli):
    """CLI v2 before 2.13 ignores AWS_ENDPOINT_URL (v1 honours it since 1.29): those get cli_plugin/."""
    out = subprocess.run([cli, "--version"], capture_output=True, text=True, timeout=60).stdout
    version = out.split()[0].split("/")[1] if out else "0"
    major, minor = (int(x) for x in version.split(".")[:2])
    return major == 2 and minor < 13


class TrailDelivery(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = harness.boto3_client(SERVER, "s3")
        cls.ct = harness.boto3_client(SERVER, "cloudtrail")
        cls.account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
        cls.start = datetime.now(timezone.utc) - timedelta(minutes=2)
        cls.s3.create_bucket(Bucket=BUCKET)

    def test_1_bucket_policy_required(self):
        from botocore.exceptions import ClientError
        with self.assertRaises(ClientError) as e:
            self.ct.create_trail(Name=TRAIL, S3BucketName=BUCKET, S3KeyPrefix=PREFIX)
        self.assertEqual(e.exception.response["Error"]["Code"], "InsufficientS3BucketPolicyException")
        with self.assertRaises(ClientError) as e:
            self.ct.create_trail(Name=TRAIL, S3BucketName="no-such-bucket-here")
        self.assertEqual(e.exception.response["Error"]["Code"], "S3BucketDoesNotExistException")

    def test_2_trail_delivers_and_validates(self):
        self.s3.put_bucket_policy(Bucket=BUCKET, Policy=bucket_policy(self.account, SERVER.region, TRAIL, BUCKET,
                                                                       PREFIX))
        created = self.ct.create_trail(Name=TRAIL, S3BucketName=BUCKET, S3KeyPrefix=PREFIX,
                                       EnableLogFileValidation=True, TagsList=[{"Key": "team", "Value": "audit"}])
        arn = created["TrailARN"]
        self.assertEqual(arn, f"arn:aws:cloudtrail:{SERVER.region}:{self.account}:trail/{TRAIL}")
        self.assertTrue(created["LogFileValidationEnabled"])
        self.assertFalse(self.ct.get_trail_status(Name=TRAIL)["IsLogging"])
        self.ct.start_logging(Name=TRAIL)
        self.assertTrue(self.ct.get_trail_status(Name=TRAIL)["IsLogging"])
        self.assertEqual(self.ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"],
                         [{"Key": "team", "Value": "audit"}])
        # Some management calls to record, over a few delivery rounds.
        for i in range(3):
            self.s3.create_bucket(Bucket=f"some-bucket-{i}")
            self.s3.list_buckets()
            time.sleep(1.2)
        prefix = f"{PREFIX}/AWSLogs/{self.account}/CloudTrail/{SERVER.region}/"

        def logs():
            return [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
        keys = wait_for(lambda: len(logs()) >= 2 and logs())
        self.assertTrue(keys, "no log files delivered")
        day = datetime.now(timezone.utc).strftime("%Y/%m/%d")
        names = set()
        for key in keys:
            self.assertRegex(key, rf"^{prefix}\d{{4}}/\d{{2}}/\d{{2}}/{self.account}_CloudTrail_{SERVER.region}_"
                                  r"\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$")
            body = gzip.decompress(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
            for record in json.loads(body)["Records"]:
                self.assertEqual(record["eventVersion"], "1.11")
                self.assertEqual(record["recipientAccountId"], self.account)
                names.add((record["eventSource"], record["eventName"]))
        self.assertIn(day, keys[0])
        self.assertIn(("s3.amazonaws.com", "CreateBucket"), names)
        self.assertIn(("cloudtrail.amazonaws.com", "StartLogging"), names)
        status = self.ct.get_trail_status(Name=TRAIL)
        self.assertIn("LatestDeliveryTime", status)
        # Digests cover every delivered file: wait for one newer than the last log file.
        digest_prefix = f"{PREFIX}/AWSLogs/{self.account}/CloudTrail-Digest/{SERVER.region}/"
        last_log = time.time()
        time.sleep(1.5)

        def digests():
            return self.s3.list_objects_v2(Bucket=BUCKET, Prefix=digest_prefix).get("Contents", [])
        wait_for(lambda: any(d["LastModified"].timestamp() > last_log + 1 for d in digests()), timeout=30)
        self.ct.stop_logging(Name=TRAIL)
        time.sleep(4)  # the files of the last events, then their digest
        ds = digests()
        self.assertGreaterEqual(len(ds), 2)
        for d in ds:
            self.assertRegex(d["Key"], rf"^{digest_prefix}\d{{4}}/\d{{2}}/\d{{2}}/{self.account}_CloudTrail-Digest_"
                                       rf"{SERVER.region}_{TRAIL}_{SERVER.region}_\d{{8}}T\d{{6}}Z\.json\.gz$")
        head = self.s3.head_object(Bucket=BUCKET, Key=ds[-1]["Key"])
        self.assertEqual(head["Metadata"]["signature-algorithm"], "SHA256withRSA")
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
        type(self).arn = arn
        type(self).log_keys = keys

    def validate(self, cli, extra_env):
        cli_dir = tempfile.mkdtemp(prefix="cenote-ct-cli-")
        self.addCleanup(shutil.rmtree, cli_dir, True)
        config = os.path.join(cli_dir, "config")
        with open(config, "w") as f:
            if needs_plugin(cli):
                f.write(f"[plugins]\ncli_legacy_plugin_path = {HERE}/cli_plugin\ncenote_endpoint = cenote_endpoint\n")
        env = SERVER.client_env()
        env["AWS_CONFIG_FILE"] = config
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(cli_dir, "credentials")
        env["AWS_ENDPOINT_URL"] = SERVER.endpoint
        env.update(extra_env)
        start = self.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        return subprocess.run([cli, "--endpoint-url", SERVER.endpoint, "cloudtrail", "validate-logs",
                               "--trail-arn", self.arn, "--start-time", start, "--verbose"],
                              capture_output=True, text=True, env=env, timeout=300)

    def clis(self):
        found = []
        for cli in [os.environ.get("CENOTE_AWS_CLI"), "/usr/bin/aws", shutil.which("aws")]:
            if cli and os.path.exists(cli) and cli not in found:
                found.append(cli)
        return found

    def test_3_validate_logs_all_valid(self):
        self.assertTrue(self.clis(), "no AWS CLI")
        for cli in self.clis():
            r = self.validate(cli, {})
            self.assertEqual(r.returncode, 0, f"{cli}\nstdout: {r.stdout}\nstderr: {r.stderr}")
            self.assertNotIn("INVALID", r.stdout + r.stderr)
            self.assertRegex(r.stdout, r"(\d+)/\1 digest files valid")
            self.assertRegex(r.stdout, r"(\d+)/\1 log files valid")
            n_logs = int(r.stdout.split(" log files valid")[0].split("\n")[-1].split("/")[0])
            self.assertEqual(n_logs, len(self.log_keys), r.stdout)
        # The digest-signing keys' private halves are sealed under the KMS root key in the metadata store.
        import sqlite3
        db = sqlite3.connect(f"file:{SERVER.data_dir}/metadata.db?mode=ro", uri=True)
        stored = [row[0] for row in db.execute("SELECT private_der FROM cloudtrail_keys")]
        db.close()
        self.assertTrue(stored)
        self.assertTrue(all(bytes(v).startswith(b"cenote-sealed-1:") for v in stored))

    def test_4_validate_logs_detects_edit_and_delete(self):
        edited, deleted = self.log_keys[0], self.log_keys[1]
        body = json.loads(gzip.decompress(self.s3.get_object(Bucket=BUCKET, Key=edited)["Body"].read()))
        body["Records"][0]["eventName"] = "SomethingElse"
        self.s3.put_object(Bucket=BUCKET, Key=edited, Body=gzip.compress(json.dumps(body).encode()))
        self.s3.delete_object(Bucket=BUCKET, Key=deleted)
        for cli in self.clis():
            r = self.validate(cli, {})
            self.assertEqual(r.returncode, 1, f"{cli}\nstdout: {r.stdout}\nstderr: {r.stderr}")
            self.assertIn(f"Log file\ts3://{BUCKET}/{edited}\tINVALID: hash value doesn't match", r.stderr)
            self.assertIn(f"Log file\ts3://{BUCKET}/{deleted}\tINVALID: not found", r.stderr)
            self.assertRegex(r.stdout, r"(\d+)/\1 digest files valid")
            self.assertRegex(r.stdout, r"2/\d+ log files INVALID")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
