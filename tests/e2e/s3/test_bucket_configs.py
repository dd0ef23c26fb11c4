"""S3 bucket configurations and ACLs end to end with boto3: what AWS gives a new bucket (ACLs disabled, public
access blocked), ownership controls, ACLs within them, CORS, notifications, accelerate, request payment,
metrics/inventory by id, policy status, and the truthful answers for what Cenote does not accept yet.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_bucket_configs.py [-v] [TestClass.test_name ...]
"""

import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import error_of  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class Base(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.bucket = f"cfg-{uuid.uuid4().hex[:12]}"

    def tearDown(self):
        try:
            for v in self.s3.list_object_versions(Bucket=self.bucket).get("Versions", []):
                self.s3.delete_object(Bucket=self.bucket, Key=v["Key"], VersionId=v["VersionId"])
            self.s3.delete_bucket(Bucket=self.bucket)
        except ClientError:
            pass


class NewBucketDefaults(Base):
    def test_acls_disabled_and_public_access_blocked(self):
        self.s3.create_bucket(Bucket=self.bucket)
        own = self.s3.get_bucket_ownership_controls(Bucket=self.bucket)["OwnershipControls"]
        self.assertEqual(own["Rules"], [{"ObjectOwnership": "BucketOwnerEnforced"}])
        pab = self.s3.get_public_access_block(Bucket=self.bucket)["PublicAccessBlockConfiguration"]
        self.assertEqual(pab, {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                               "RestrictPublicBuckets": True})
        acl = self.s3.get_bucket_acl(Bucket=self.bucket)
        self.assertEqual(len(acl["Grants"]), 1)
        self.assertEqual(acl["Grants"][0]["Permission"], "FULL_CONTROL")
        self.assertEqual(acl["Grants"][0]["Grantee"]["Type"], "CanonicalUser")
        self.assertEqual(acl["Grants"][0]["Grantee"]["ID"], acl["Owner"]["ID"])
        # Setting an ACL is refused while ACLs are disabled (a "private" one too); writes of objects may give
        # only the bucket owner's full control.
        for acl in ("public-read", "private"):
            self.assertEqual(error_of(self.s3.put_bucket_acl, Bucket=self.bucket, ACL=acl),
                             (400, "AccessControlListNotSupported"))
        self.assertEqual(error_of(self.s3.put_object, Bucket=self.bucket, Key="k", Body=b"x", ACL="public-read"),
                         (400, "AccessControlListNotSupported"))
        self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")

    def test_create_with_public_acl_is_refused(self):
        self.assertEqual(error_of(self.s3.create_bucket, Bucket=self.bucket, ACL="public-read"),
                         (400, "InvalidBucketAclWithObjectOwnership"))
        self.assertEqual(error_of(self.s3.create_bucket, Bucket=self.bucket, ACL="public-read",
                                  ObjectOwnership="ObjectWriter"),
                         (400, "InvalidBucketAclWithBlockPublicAccessError"))
        self.assertEqual(error_of(self.s3.head_bucket, Bucket=self.bucket)[0], 404)

    def test_not_accepted_yet_answers_truthfully(self):
        self.s3.create_bucket(Bucket=self.bucket)
        self.assertEqual(error_of(self.s3.get_bucket_lifecycle_configuration, Bucket=self.bucket),
                         (404, "NoSuchLifecycleConfiguration"))
        self.assertEqual(error_of(self.s3.get_bucket_website, Bucket=self.bucket),
                         (404, "NoSuchWebsiteConfiguration"))
        self.assertEqual(error_of(self.s3.get_bucket_encryption, Bucket=self.bucket),
                         (404, "ServerSideEncryptionConfigurationNotFoundError"))
        self.assertEqual(error_of(self.s3.get_bucket_replication, Bucket=self.bucket),
                         (404, "ReplicationConfigurationNotFoundError"))
        self.assertEqual(error_of(self.s3.get_object_lock_configuration, Bucket=self.bucket),
                         (404, "ObjectLockConfigurationNotFoundError"))
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket=self.bucket))
        # Website configurations are stored and returned (the endpoint serving them is not there yet).
        self.s3.put_bucket_website(Bucket=self.bucket, WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "404.html"}})
        site = self.s3.get_bucket_website(Bucket=self.bucket)
        self.assertEqual((site["IndexDocument"]["Suffix"], site["ErrorDocument"]["Key"]), ("index.html", "404.html"))
        self.assertEqual(error_of(self.s3.put_bucket_website, Bucket=self.bucket,
                                  WebsiteConfiguration={"ErrorDocument": {"Key": "404.html"}}),
                         (400, "InvalidArgument"))
        # Replication needs versioning on the bucket (test_replication.py covers the rest).
        self.assertEqual(error_of(self.s3.put_bucket_replication, Bucket=self.bucket, ReplicationConfiguration={
            "Role": "arn:aws:iam::000000000000:role/r",
            "Rules": [{"Status": "Enabled", "Prefix": "", "Destination": {"Bucket": "arn:aws:s3:::other"}}]}),
                         (400, "InvalidRequest"))
        # And the missing bucket is NoSuchBucket for each of them.
        self.assertEqual(error_of(self.s3.get_bucket_website, Bucket=self.bucket + "-none"), (404, "NoSuchBucket"))


class Acls(Base):
    def setUp(self):
        super().setUp()
        self.s3.create_bucket(Bucket=self.bucket, ObjectOwnership="ObjectWriter")
        self.s3.delete_public_access_block(Bucket=self.bucket)

    def test_canned_and_granted_acls_round_trip(self):
        self.s3.put_bucket_acl(Bucket=self.bucket, ACL="public-read-write")
        grants = self.s3.get_bucket_acl(Bucket=self.bucket)["Grants"]
        public = sorted(g["Permission"] for g in grants if g["Grantee"].get("URI") == ALL_USERS)
        self.assertEqual(public, ["READ", "WRITE"])
        owner = self.s3.get_bucket_acl(Bucket=self.bucket)["Owner"]["ID"]
        self.s3.put_bucket_acl(Bucket=self.bucket, GrantRead=f'uri="{ALL_USERS}"',
                               GrantFullControl=f'id="{owner}"')
        grants = self.s3.get_bucket_acl(Bucket=self.bucket)["Grants"]
        self.assertEqual(sorted((g["Permission"], g["Grantee"]["Type"]) for g in grants),
                         [("FULL_CONTROL", "CanonicalUser"), ("READ", "Group")])
        self.assertEqual(error_of(self.s3.put_bucket_acl, Bucket=self.bucket, GrantRead='id="not-a-known-id"'),
                         (400, "InvalidArgument"))
        self.assertEqual(error_of(self.s3.put_bucket_acl, Bucket=self.bucket,
                                  GrantRead='emailAddress="nobody@example.com"'),
                         (400, "UnresolvableGrantByEmailAddress"))
        self.assertEqual(error_of(self.s3.put_bucket_acl, Bucket=self.bucket, ACL="private",
                                  GrantRead=f'uri="{ALL_USERS}"'), (400, "InvalidRequest"))

    def test_access_control_policy_body_and_object_acls(self):
        acl = self.s3.get_bucket_acl(Bucket=self.bucket)
        policy = {"Owner": acl["Owner"], "Grants": acl["Grants"] + [
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]}
        self.s3.put_bucket_acl(Bucket=self.bucket, AccessControlPolicy=policy)
        self.assertEqual(len(self.s3.get_bucket_acl(Bucket=self.bucket)["Grants"]), 2)

        self.s3.put_object(Bucket=self.bucket, Key="obj", Body=b"data", ACL="public-read")
        grants = self.s3.get_object_acl(Bucket=self.bucket, Key="obj")["Grants"]
        self.assertIn({"Type": "Group", "URI": ALL_USERS}, [g["Grantee"] for g in grants])
        self.s3.put_object_acl(Bucket=self.bucket, Key="obj", ACL="private")
        self.assertEqual(len(self.s3.get_object_acl(Bucket=self.bucket, Key="obj")["Grants"]), 1)
        # A copy starts private; x-amz-acl on the copy sets its ACL.
        self.s3.copy_object(Bucket=self.bucket, Key="copy", CopySource={"Bucket": self.bucket, "Key": "obj"},
                            ACL="authenticated-read")
        self.assertEqual(len(self.s3.get_object_acl(Bucket=self.bucket, Key="copy")["Grants"]), 2)
        self.assertEqual(error_of(self.s3.get_object_acl, Bucket=self.bucket, Key="missing"), (404, "NoSuchKey"))

    def test_public_access_block_refuses_public_acls_and_policies(self):
        self.s3.put_public_access_block(Bucket=self.bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "BlockPublicPolicy": True})
        pab = self.s3.get_public_access_block(Bucket=self.bucket)["PublicAccessBlockConfiguration"]
        self.assertEqual(pab["IgnorePublicAcls"], False)
        self.assertEqual(error_of(self.s3.put_bucket_acl, Bucket=self.bucket, ACL="public-read"),
                         (403, "AccessDenied"))
        public = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{self.bucket}/*"}]})
        self.assertEqual(error_of(self.s3.put_bucket_policy, Bucket=self.bucket, Policy=public),
                         (403, "AccessDenied"))
        self.s3.delete_public_access_block(Bucket=self.bucket)
        self.assertEqual(error_of(self.s3.get_public_access_block, Bucket=self.bucket),
                         (404, "NoSuchPublicAccessBlockConfiguration"))
        self.assertEqual(error_of(self.s3.get_bucket_policy_status, Bucket=self.bucket),
                         (404, "NoSuchBucketPolicy"))
        self.s3.put_bucket_policy(Bucket=self.bucket, Policy=public)
        self.assertTrue(self.s3.get_bucket_policy_status(Bucket=self.bucket)["PolicyStatus"]["IsPublic"])
        limited = json.loads(public)
        limited["Statement"][0]["Condition"] = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        self.s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps(limited))
        self.assertFalse(self.s3.get_bucket_policy_status(Bucket=self.bucket)["PolicyStatus"]["IsPublic"])

    def test_ownership_controls(self):
        self.s3.put_bucket_acl(Bucket=self.bucket, ACL="public-read")
        enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        self.assertEqual(error_of(self.s3.put_bucket_ownership_controls, Bucket=self.bucket,
                                  OwnershipControls=enforced), (400, "InvalidBucketAclWithObjectOwnership"))
        self.s3.put_bucket_acl(Bucket=self.bucket, ACL="private")
        self.s3.put_bucket_ownership_controls(Bucket=self.bucket, OwnershipControls=enforced)
        self.assertEqual(self.s3.get_bucket_ownership_controls(Bucket=self.bucket)["OwnershipControls"], enforced)
        self.s3.delete_bucket_ownership_controls(Bucket=self.bucket)
        self.assertEqual(error_of(self.s3.get_bucket_ownership_controls, Bucket=self.bucket),
                         (404, "OwnershipControlsNotFoundError"))


class ObjectLock(Base):
    def test_retention_and_legal_hold_refuse_deletes(self):
        import datetime
        self.s3.create_bucket(Bucket=self.bucket, ObjectLockEnabledForBucket=True)
        self.assertEqual(self.s3.get_bucket_versioning(Bucket=self.bucket)["Status"], "Enabled")
        self.assertEqual(error_of(self.s3.put_bucket_versioning, Bucket=self.bucket,
                                  VersioningConfiguration={"Status": "Suspended"}), (409, "InvalidBucketState"))
        self.s3.put_object_lock_configuration(Bucket=self.bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        cfg = self.s3.get_object_lock_configuration(Bucket=self.bucket)["ObjectLockConfiguration"]
        self.assertEqual(cfg["Rule"]["DefaultRetention"], {"Mode": "GOVERNANCE", "Days": 1})
        # The default retention applies to a new version; its permanent delete needs the bypass header.
        v1 = self.s3.put_object(Bucket=self.bucket, Key="k", Body=b"1")["VersionId"]
        head = self.s3.head_object(Bucket=self.bucket, Key="k")
        self.assertEqual(head["ObjectLockMode"], "GOVERNANCE")
        self.assertEqual(error_of(self.s3.delete_object, Bucket=self.bucket, Key="k", VersionId=v1),
                         (403, "AccessDenied"))
        self.s3.delete_object(Bucket=self.bucket, Key="k", VersionId=v1, BypassGovernanceRetention=True)
        # COMPLIANCE: no bypass, no shortening; a delete marker still hides the object.
        later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)
        v2 = self.s3.put_object(Bucket=self.bucket, Key="c", Body=b"2", ObjectLockMode="COMPLIANCE",
                                ObjectLockRetainUntilDate=later)["VersionId"]
        self.assertEqual(self.s3.get_object_retention(Bucket=self.bucket, Key="c")["Retention"]["Mode"], "COMPLIANCE")
        self.assertEqual(error_of(self.s3.delete_object, Bucket=self.bucket, Key="c", VersionId=v2,
                                  BypassGovernanceRetention=True), (403, "AccessDenied"))
        sooner = later - datetime.timedelta(days=1)
        self.assertEqual(error_of(self.s3.put_object_retention, Bucket=self.bucket, Key="c",
                                  Retention={"Mode": "COMPLIANCE", "RetainUntilDate": sooner}), (403, "AccessDenied"))
        self.s3.delete_object(Bucket=self.bucket, Key="c")  # a delete marker
        # Legal hold: on blocks the delete even without retention.
        v3 = self.s3.put_object(Bucket=self.bucket, Key="h", Body=b"3", ObjectLockLegalHoldStatus="ON")["VersionId"]
        self.assertEqual(self.s3.get_object_legal_hold(Bucket=self.bucket, Key="h")["LegalHold"]["Status"], "ON")
        self.assertEqual(error_of(self.s3.delete_object, Bucket=self.bucket, Key="h", VersionId=v3,
                                  BypassGovernanceRetention=True), (403, "AccessDenied"))
        self.s3.put_object_legal_hold(Bucket=self.bucket, Key="h", LegalHold={"Status": "OFF"})
        self.s3.delete_object(Bucket=self.bucket, Key="h", VersionId=v3, BypassGovernanceRetention=True)

    def tearDown(self):
        pass  # COMPLIANCE versions cannot be deleted: the bucket stays in the test's data directory

    def test_lock_needs_a_versioned_bucket(self):
        self.s3.create_bucket(Bucket=self.bucket)
        conf = {"ObjectLockEnabled": "Enabled"}
        self.assertEqual(error_of(self.s3.put_object_lock_configuration, Bucket=self.bucket,
                                  ObjectLockConfiguration=conf), (409, "InvalidBucketState"))
        self.assertEqual(error_of(self.s3.put_object, Bucket=self.bucket, Key="k", Body=b"x",
                                  ObjectLockLegalHoldStatus="ON"), (400, "InvalidRequest"))
        self.s3.put_bucket_versioning(Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"})
        self.s3.put_object_lock_configuration(Bucket=self.bucket, ObjectLockConfiguration=conf)
        self.assertEqual(error_of(self.s3.put_object_lock_configuration, Bucket=self.bucket,
                                  ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": {
                                      "DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}}),
                         (400, "InvalidRetentionPeriod"))


class AccessLogging(Base):
    def test_log_objects_are_delivered_in_aws_format(self):
        import shlex
        import time
        target = self.bucket + "-logs"
        self.s3.create_bucket(Bucket=self.bucket)
        self.s3.create_bucket(Bucket=target)
        self.assertEqual(error_of(self.s3.put_bucket_logging, Bucket=self.bucket, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": self.bucket + "-none", "TargetPrefix": "x/"}}),
            (400, "InvalidTargetBucketForLogging"))
        # AWS's documented grant to the logging service (a target with BucketOwnerEnforced takes no ACL grants).
        import json
        self.s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "S3ServerAccessLogsPolicy", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{target}/access/*",
            "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{self.bucket}"},
                          "StringEquals": {"aws:SourceAccount": "000000000000"}}}]}))
        self.s3.put_bucket_logging(Bucket=self.bucket, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "access/"}})
        self.assertEqual(self.s3.get_bucket_logging(Bucket=self.bucket)["LoggingEnabled"],
                         {"TargetBucket": target, "TargetPrefix": "access/"})
        self.s3.put_object(Bucket=self.bucket, Key="data/a b.csv", Body=b"1,2\n")
        self.s3.get_object(Bucket=self.bucket, Key="data/a b.csv")["Body"].read()
        error_of(self.s3.get_object, Bucket=self.bucket, Key="missing")
        deadline = time.monotonic() + 20
        keys = []
        while time.monotonic() < deadline and not keys:  # bounded: delivery runs every 5 s
            keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=target, Prefix="access/").get("Contents", [])]
            time.sleep(0.5)
        self.assertTrue(keys, "no log object was delivered")
        self.assertRegex(keys[0], r"^access/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")
        text = "".join(self.s3.get_object(Bucket=target, Key=k)["Body"].read().decode() for k in keys)
        records = [shlex.split(line.replace("[", '"').replace("]", '"')) for line in text.splitlines()]
        ops = {(r[6], r[7], r[9]) for r in records}
        self.assertIn(("REST.PUT.OBJECT", "data/a%20b.csv", "200"), ops)
        self.assertIn(("REST.GET.OBJECT", "data/a%20b.csv", "200"), ops)
        self.assertIn(("REST.GET.OBJECT", "missing", "404"), ops)
        get = next(r for r in records if r[6] == "REST.GET.OBJECT" and r[9] == "200")
        self.assertEqual(len(get), 26, get)  # AWS's 26 fields, through aclRequired
        self.assertEqual(get[1], self.bucket)
        self.assertEqual(get[11], "4")  # bytes sent
        self.assertTrue(get[8].startswith("GET /"), get[8])
        # Logging off: nothing more is recorded for the bucket.
        self.s3.put_bucket_logging(Bucket=self.bucket, BucketLoggingStatus={})
        self.assertNotIn("LoggingEnabled", self.s3.get_bucket_logging(Bucket=self.bucket))
        for k in keys:
            self.s3.delete_object(Bucket=target, Key=k)
        self.s3.delete_bucket(Bucket=target)


class Configurations(Base):
    def setUp(self):
        super().setUp()
        self.s3.create_bucket(Bucket=self.bucket)

    def test_cors(self):
        self.assertEqual(error_of(self.s3.get_bucket_cors, Bucket=self.bucket), (404, "NoSuchCORSConfiguration"))
        rules = [{"ID": "web", "AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["https://*.example.com"],
                  "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]
        self.s3.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": rules})
        self.assertEqual(self.s3.get_bucket_cors(Bucket=self.bucket)["CORSRules"], rules)
        self.assertEqual(error_of(self.s3.put_bucket_cors, Bucket=self.bucket, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]}), (400, "InvalidRequest"))
        self.assertEqual(error_of(self.s3.put_bucket_cors, Bucket=self.bucket, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["GET"], "AllowedOrigins": ["https://*.*.example.com"]}]}), (400, "InvalidRequest"))
        self.s3.delete_bucket_cors(Bucket=self.bucket)
        self.assertEqual(error_of(self.s3.get_bucket_cors, Bucket=self.bucket), (404, "NoSuchCORSConfiguration"))

    def test_accelerate_and_request_payment(self):
        self.assertNotIn("Status", self.s3.get_bucket_accelerate_configuration(Bucket=self.bucket))
        self.s3.put_bucket_accelerate_configuration(Bucket=self.bucket,
                                                    AccelerateConfiguration={"Status": "Enabled"})
        self.assertEqual(self.s3.get_bucket_accelerate_configuration(Bucket=self.bucket)["Status"], "Enabled")
        self.assertEqual(self.s3.get_bucket_request_payment(Bucket=self.bucket)["Payer"], "BucketOwner")
        self.s3.put_bucket_request_payment(Bucket=self.bucket,
                                           RequestPaymentConfiguration={"Payer": "Requester"})
        self.assertEqual(self.s3.get_bucket_request_payment(Bucket=self.bucket)["Payer"], "Requester")

    def test_notification_configuration(self):
        self.assertEqual(
            {k: v for k, v in self.s3.get_bucket_notification_configuration(Bucket=self.bucket).items()
             if k != "ResponseMetadata"}, {})
        queue = {"QueueArn": "arn:aws:sqs:us-east-1:123456789012:q", "Events": ["s3:ObjectCreated:*"],
                 "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "raw/"}]}}}
        # S3 sends s3:TestEvent to each destination first: a queue that does not exist refuses the configuration
        # (test_notifications.py delivers to real queues) unless the request skips the check.
        self.assertEqual(error_of(self.s3.put_bucket_notification_configuration, Bucket=self.bucket,
                                  NotificationConfiguration={"QueueConfigurations": [queue]}),
                         (400, "InvalidArgument"))
        self.s3.put_bucket_notification_configuration(Bucket=self.bucket, SkipDestinationValidation=True,
                                                      NotificationConfiguration={"QueueConfigurations": [queue]})
        got = self.s3.get_bucket_notification_configuration(Bucket=self.bucket)["QueueConfigurations"]
        self.assertEqual(got[0]["QueueArn"], queue["QueueArn"])
        self.assertTrue(got[0]["Id"])  # S3 names a configuration that has no Id
        bad = dict(queue, Events=["s3:ObjectEaten:*"])
        self.assertEqual(error_of(self.s3.put_bucket_notification_configuration, Bucket=self.bucket,
                                  NotificationConfiguration={"QueueConfigurations": [bad]}),
                         (400, "InvalidArgument"))

    def test_metrics_and_inventory_by_id(self):
        for i in range(3):
            self.s3.put_bucket_metrics_configuration(Bucket=self.bucket, Id=f"m{i}",
                                                     MetricsConfiguration={"Id": f"m{i}"})
        listed = self.s3.list_bucket_metrics_configurations(Bucket=self.bucket)
        self.assertEqual([c["Id"] for c in listed["MetricsConfigurationList"]], ["m0", "m1", "m2"])
        self.assertFalse(listed["IsTruncated"])
        self.assertEqual(self.s3.get_bucket_metrics_configuration(Bucket=self.bucket, Id="m1")
                         ["MetricsConfiguration"]["Id"], "m1")
        self.s3.delete_bucket_metrics_configuration(Bucket=self.bucket, Id="m1")
        self.assertEqual(error_of(self.s3.get_bucket_metrics_configuration, Bucket=self.bucket, Id="m1"),
                         (404, "NoSuchConfiguration"))
        inventory = {"Id": "inv", "IsEnabled": True, "IncludedObjectVersions": "Current",
                     "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{self.bucket}",
                                                             "Format": "CSV"}},
                     "Schedule": {"Frequency": "Daily"}}
        self.s3.put_bucket_inventory_configuration(Bucket=self.bucket, Id="inv", InventoryConfiguration=inventory)
        got = self.s3.get_bucket_inventory_configuration(Bucket=self.bucket, Id="inv")["InventoryConfiguration"]
        self.assertEqual(got["Destination"]["S3BucketDestination"]["Format"], "CSV")
        self.assertEqual(error_of(self.s3.put_bucket_inventory_configuration, Bucket=self.bucket, Id="other",
                                  InventoryConfiguration=inventory), (400, "InvalidArgument"))

    def test_configurations_survive_restart_and_go_with_the_bucket(self):
        self.s3.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [
            {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
        SERVER.restart(crash=True)
        self.s3 = harness.boto3_client(SERVER)
        self.assertEqual(len(self.s3.get_bucket_cors(Bucket=self.bucket)["CORSRules"]), 1)
        self.s3.delete_bucket(Bucket=self.bucket)
        self.s3.create_bucket(Bucket=self.bucket)
        self.assertEqual(error_of(self.s3.get_bucket_cors, Bucket=self.bucket), (404, "NoSuchCORSConfiguration"))


if __name__ == "__main__":
    harness.main()
