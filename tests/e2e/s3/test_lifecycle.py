"""S3 lifecycle end to end with boto3, on a server whose lifecycle "day" lasts one second
(`cenote serve --lifecycle-day-seconds 1`): configurations validated and returned as S3 does, then expiry of
current versions (plain and versioned buckets), of noncurrent versions beyond NewerNoncurrentVersions, of
expired delete markers, aborts of incomplete multipart uploads, transitions, and rules that must not act.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_lifecycle.py [-v]
"""

import os
import sys
import time
import unittest
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


def wait_until(predicate, timeout_s=20.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:  # bounded
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


class Lifecycle(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.bucket = f"lc-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def keys(self):
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", []))

    def versions(self):
        r = self.s3.list_object_versions(Bucket=self.bucket)
        return ([(v["Key"], v["IsLatest"]) for v in r.get("Versions", [])],
                [(m["Key"], m["IsLatest"]) for m in r.get("DeleteMarkers", [])])

    def test_configuration_is_validated_and_returned(self):
        self.assertEqual(error_of(self.s3.get_bucket_lifecycle_configuration, Bucket=self.bucket),
                         (404, "NoSuchLifecycleConfiguration"))
        rules = [{"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 3}},
                 {"ID": "uploads", "Status": "Disabled", "Filter": {"Prefix": ""},
                  "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]
        self.s3.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": rules})
        got = self.s3.get_bucket_lifecycle_configuration(Bucket=self.bucket)
        self.assertEqual(got["Rules"], rules)
        bad = [
            ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 0}},
             "InvalidArgument"),
            ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": ""}}, "InvalidRequest"),
            ({"ID": "a", "Status": "Enabled", "Filter": {"Prefix": ""},
              "Transitions": [{"Days": 5, "StorageClass": "STANDARD_IA"}]}, "InvalidArgument"),
            ({"ID": "a", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}, "InvalidRequest"),
        ]
        for rule, code in bad:
            self.assertEqual(error_of(self.s3.put_bucket_lifecycle_configuration, Bucket=self.bucket,
                                      LifecycleConfiguration={"Rules": [rule]}), (400, code), rule)
        twice = [dict(rules[0]), dict(rules[0])]
        self.assertEqual(error_of(self.s3.put_bucket_lifecycle_configuration, Bucket=self.bucket,
                                  LifecycleConfiguration={"Rules": twice}), (400, "InvalidArgument"))
        self.s3.delete_bucket_lifecycle(Bucket=self.bucket)
        self.assertEqual(error_of(self.s3.get_bucket_lifecycle_configuration, Bucket=self.bucket),
                         (404, "NoSuchLifecycleConfiguration"))

    def test_expiration_by_prefix_and_tag(self):
        self.s3.put_object(Bucket=self.bucket, Key="tmp/a", Body=b"a")
        self.s3.put_object(Bucket=self.bucket, Key="keep/b", Body=b"b")
        self.s3.put_object(Bucket=self.bucket, Key="keep/tagged", Body=b"c", Tagging="retention=short")
        self.s3.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": [
            {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 2}},
            {"ID": "short", "Status": "Enabled", "Filter": {"Tag": {"Key": "retention", "Value": "short"}},
             "Expiration": {"Days": 2}},
            {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": "keep/"}, "Expiration": {"Days": 1}}]})
        self.assertEqual(self.keys(), ["keep/b", "keep/tagged", "tmp/a"])  # not yet two days old
        self.assertTrue(wait_until(lambda: self.keys() == ["keep/b"]), self.keys())
        time.sleep(3 * DAY_S)
        self.assertEqual(self.keys(), ["keep/b"])  # the disabled rule never acts

    def test_versioned_bucket_expiry_noncurrent_versions_and_markers(self):
        self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        for i in range(4):
            self.s3.put_object(Bucket=self.bucket, Key="doc", Body=f"v{i}".encode())
        self.s3.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": [
            {"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}}]})
        # Of three noncurrent versions, the newest is kept.
        self.assertTrue(wait_until(lambda: len(self.versions()[0]) == 2), self.versions())
        body = self.s3.get_object(Bucket=self.bucket, Key="doc")["Body"].read()
        self.assertEqual(body, b"v3")
        # Expiring the current version in a versioned bucket leaves a delete marker; with nothing behind it
        # the marker goes too.
        self.s3.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": [
            {"ID": "cur", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}},
            {"ID": "nc", "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
            {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ""},
             "Expiration": {"ExpiredObjectDeleteMarker": True}}]})
        self.assertTrue(wait_until(lambda: self.versions() == ([], [])), self.versions())

    def test_incomplete_uploads_are_aborted_and_transitions_change_the_class(self):
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key="big/part")["UploadId"]
        self.s3.upload_part(Bucket=self.bucket, Key="big/part", UploadId=upload, PartNumber=1, Body=b"x" * 1024)
        self.s3.put_object(Bucket=self.bucket, Key="cold/large", Body=b"y" * (200 * 1024))
        self.s3.put_object(Bucket=self.bucket, Key="cold/small", Body=b"z" * 1024)
        self.s3.put_bucket_lifecycle_configuration(Bucket=self.bucket, LifecycleConfiguration={"Rules": [
            {"ID": "abort", "Status": "Enabled", "Filter": {"Prefix": "big/"},
             "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
            {"ID": "cold", "Status": "Enabled", "Filter": {"Prefix": "cold/"},
             "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
        self.assertTrue(wait_until(lambda: not self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads")))
        self.assertTrue(wait_until(
            lambda: self.s3.head_object(Bucket=self.bucket, Key="cold/large").get("StorageClass") == "GLACIER"))
        # Below 128 KiB nothing transitions (AWS's default minimum object size).
        self.assertNotIn("StorageClass", self.s3.head_object(Bucket=self.bucket, Key="cold/small"))


class Archive(unittest.TestCase):
    """GLACIER objects are read through restores, which take their tier's time in (one-second) days."""

    def test_archived_objects_need_a_restore(self):
        s3 = harness.boto3_client(SERVER)
        bucket = f"arch-{uuid.uuid4().hex[:12]}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="cold", Body=b"frozen", StorageClass="GLACIER")
        s3.put_object(Bucket=bucket, Key="warm", Body=b"x")
        self.assertEqual(s3.head_object(Bucket=bucket, Key="cold")["StorageClass"], "GLACIER")
        self.assertEqual(error_of(s3.get_object, Bucket=bucket, Key="cold"), (403, "InvalidObjectState"))
        self.assertEqual(error_of(s3.copy_object, Bucket=bucket, Key="copy",
                                  CopySource={"Bucket": bucket, "Key": "cold"}), (403, "InvalidObjectState"))
        self.assertEqual(error_of(s3.restore_object, Bucket=bucket, Key="warm", RestoreRequest={"Days": 1}),
                         (403, "InvalidObjectState"))
        # Bulk: 12 hours of a one-second day; Standard would be 5/24 s.
        r = s3.restore_object(Bucket=bucket, Key="cold",
                              RestoreRequest={"Days": 3, "GlacierJobParameters": {"Tier": "Bulk"}})
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual(s3.head_object(Bucket=bucket, Key="cold")["Restore"], 'ongoing-request="true"')
        self.assertEqual(error_of(s3.restore_object, Bucket=bucket, Key="cold", RestoreRequest={"Days": 1}),
                         (409, "RestoreAlreadyInProgress"))
        self.assertTrue(wait_until(lambda: s3.head_object(Bucket=bucket, Key="cold").get("Restore", "").startswith(
            'ongoing-request="false", expiry-date=')))
        self.assertEqual(s3.get_object(Bucket=bucket, Key="cold")["Body"].read(), b"frozen")
        # The restored copy expires after its days.
        self.assertTrue(wait_until(lambda: "Restore" not in s3.head_object(Bucket=bucket, Key="cold")))
        self.assertEqual(error_of(s3.get_object, Bucket=bucket, Key="cold"), (403, "InvalidObjectState"))


if __name__ == "__main__":
    harness.main()
