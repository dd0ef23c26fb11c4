"""CloudTrail event history end to end with boto3: LookupEvents finds a denied DeleteBucket by a named IAM user
(created with its key and policy as root), with AWS's record shape in CloudTrailEvent; attribute filters,
pagination and the record of an assumed-role session; secrets left out of recorded documents.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/cloudtrail/test_lookup.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER:
        SERVER.close()


def client_as(key, service):
    import boto3
    from botocore.config import Config
    cfg = dict(retries={"max_attempts": 1, "mode": "standard"})
    if service == "s3":
        cfg["s3"] = {"addressing_style": "path"}
    return boto3.session.Session().client(
        service, endpoint_url=SERVER.endpoint, region_name=SERVER.region,
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=key.get("SessionToken"), config=Config(**cfg))


def lookup(ct, key, value, **kwargs):
    return ct.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **kwargs)["Events"]


class EventHistory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.iam = harness.boto3_client(SERVER, "iam")
        cls.s3 = harness.boto3_client(SERVER, "s3")
        cls.ct = harness.boto3_client(SERVER, "cloudtrail")
        cls.account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]

    def test_denied_delete_bucket_by_named_user(self):
        self.s3.create_bucket(Bucket="precious-data")
        self.iam.create_user(UserName="mallory")
        self.iam.put_user_policy(UserName="mallory", PolicyName="read-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}]}))
        key = self.iam.create_access_key(UserName="mallory")["AccessKey"]
        mallory_s3 = client_as(key, "s3")
        with self.assertRaises(ClientError) as e:
            mallory_s3.delete_bucket(Bucket="precious-data")
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDenied")
        request_id = e.exception.response["ResponseMetadata"]["RequestId"]
        # Acknowledged (answered) calls are in the history at once: the event is durable before the answer.
        events = lookup(self.ct, "Username", "mallory")
        names = [ev["EventName"] for ev in events]
        self.assertIn("DeleteBucket", names, events)
        ev = events[names.index("DeleteBucket")]
        self.assertEqual(ev["EventSource"], "s3.amazonaws.com")
        self.assertEqual(ev["AccessKeyId"], key["AccessKeyId"])
        self.assertEqual(ev["ReadOnly"], "false")
        self.assertIn({"ResourceType": "AWS::S3::Bucket", "ResourceName": "precious-data"}, ev["Resources"])
        record = json.loads(ev["CloudTrailEvent"])
        self.assertEqual(record["eventVersion"], "1.11")
        self.assertEqual(record["eventName"], "DeleteBucket")
        self.assertEqual(record["errorCode"], "AccessDenied")
        self.assertIn("errorMessage", record)
        self.assertEqual(record["requestID"], request_id)
        self.assertEqual(record["awsRegion"], SERVER.region)
        self.assertEqual(record["sourceIPAddress"], "127.0.0.1")
        self.assertIn("Boto3", record["userAgent"])
        self.assertEqual(record["eventType"], "AwsApiCall")
        self.assertEqual(record["eventCategory"], "Management")
        self.assertTrue(record["managementEvent"])
        self.assertEqual(record["recipientAccountId"], self.account)
        self.assertIsNone(record["responseElements"])
        self.assertEqual(record["requestParameters"]["bucketName"], "precious-data")
        uid = record["userIdentity"]
        self.assertEqual(uid["type"], "IAMUser")
        self.assertEqual(uid["userName"], "mallory")
        self.assertEqual(uid["arn"], f"arn:aws:iam::{self.account}:user/mallory")
        self.assertEqual(uid["accountId"], self.account)
        self.assertEqual(uid["accessKeyId"], key["AccessKeyId"])
        self.assertTrue(uid["principalId"].startswith("AIDA"), uid)
        # Other filters find the same event.
        self.assertIn(ev["EventId"], [e["EventId"] for e in lookup(self.ct, "EventId", ev["EventId"])])
        self.assertIn(ev["EventId"], [e["EventId"] for e in lookup(self.ct, "ResourceName", "precious-data")])
        self.assertIn(ev["EventId"], [e["EventId"] for e in lookup(self.ct, "AccessKeyId", key["AccessKeyId"])])
        self.assertIn(ev["EventId"], [e["EventId"] for e in lookup(self.ct, "EventSource", "s3.amazonaws.com")])
        self.assertIn(ev["EventId"], [e["EventId"] for e in lookup(self.ct, "ResourceType", "AWS::S3::Bucket")])
        self.assertNotIn(ev["EventId"], [e["EventId"] for e in lookup(self.ct, "ReadOnly", "true")])
        # The secret access key CreateAccessKey returned is not in its event.
        created = lookup(self.ct, "EventName", "CreateAccessKey")
        self.assertTrue(created)
        self.assertNotIn(key["SecretAccessKey"], created[0]["CloudTrailEvent"])
        self.assertEqual(json.loads(created[0]["CloudTrailEvent"])["responseElements"]["accessKey"]["accessKeyId"],
                         key["AccessKeyId"])

    def test_assumed_role_record(self):
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"}, "Action": "sts:AssumeRole"}]})
        role = self.iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=trust)["Role"]
        self.iam.put_role_policy(RoleName="auditor", PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
        # Root may not assume roles: a user does.
        self.iam.create_user(UserName="scheduler")
        self.iam.put_user_policy(UserName="scheduler", PolicyName="assume", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]}]}))
        user_key = self.iam.create_access_key(UserName="scheduler")["AccessKey"]
        creds = client_as(user_key, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="nightly")
        session = creds["Credentials"]
        client_as(session, "s3").list_buckets()
        events = lookup(self.ct, "AccessKeyId", session["AccessKeyId"])
        self.assertEqual([e["EventName"] for e in events], ["ListBuckets"])
        self.assertEqual(events[0]["Username"], "nightly")
        uid = json.loads(events[0]["CloudTrailEvent"])["userIdentity"]
        self.assertEqual(uid["type"], "AssumedRole")
        self.assertEqual(uid["arn"], f"arn:aws:sts::{self.account}:assumed-role/auditor/nightly")
        issuer = uid["sessionContext"]["sessionIssuer"]
        self.assertEqual(issuer, {"type": "Role", "principalId": role["RoleId"], "arn": role["Arn"],
                                  "accountId": self.account, "userName": "auditor"})
        self.assertEqual(uid["sessionContext"]["attributes"]["mfaAuthenticated"], "false")
        self.assertRegex(uid["sessionContext"]["attributes"]["creationDate"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # The AssumeRole event leaves the session's secret out.
        assume = lookup(self.ct, "EventName", "AssumeRole")
        self.assertTrue(assume)
        self.assertNotIn(session["SecretAccessKey"], assume[0]["CloudTrailEvent"])

    def test_pagination_and_time_range(self):
        for i in range(7):
            self.s3.create_bucket(Bucket=f"paged-{i}")
        seen, token, pages = [], None, 0
        while True:
            kwargs = {"MaxResults": 3, "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "CreateBucket"}]}
            if token:
                kwargs["NextToken"] = token
            out = self.ct.lookup_events(**kwargs)
            pages += 1
            seen += out["Events"]
            token = out.get("NextToken")
            if not token:
                break
        buckets = [json.loads(e["CloudTrailEvent"])["requestParameters"]["bucketName"] for e in seen]
        paged = [b for b in buckets if b.startswith("paged-")]
        self.assertEqual(paged, [f"paged-{i}" for i in reversed(range(7))])  # newest first
        self.assertGreaterEqual(pages, 3)
        times = [e["EventTime"] for e in seen]
        self.assertEqual(times, sorted(times, reverse=True))
        # A window in the future finds nothing; more than one attribute is refused.
        future = time.time() + 3600
        self.assertEqual(self.ct.lookup_events(StartTime=future, EndTime=future + 60)["Events"], [])
        with self.assertRaises(ClientError) as e:
            self.ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "a"},
                                                    {"AttributeKey": "Username", "AttributeValue": "b"}])
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidLookupAttributesException")
        with self.assertRaises(ClientError) as e:
            self.ct.lookup_events(StartTime=future, EndTime=future - 60)
        self.assertEqual(e.exception.response["Error"]["Code"], "InvalidTimeRangeException")

    def test_short_and_long_target_prefixes(self):
        """botocore sends "CloudTrail_20131101.<Op>", the model (and other SDKs) the long form: both are CloudTrail."""
        import urllib.request
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        for target in ["CloudTrail_20131101.ListTrails",
                       "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListTrails"]:
            req = AWSRequest(method="POST", url=SERVER.endpoint + "/", data=b"{}",
                             headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"})
            SigV4Auth(Credentials(SERVER.access_key, SERVER.secret_key), "cloudtrail", SERVER.region).add_auth(req)
            with urllib.request.urlopen(urllib.request.Request(req.url, data=req.body, headers=dict(req.headers),
                                                               method="POST"), timeout=30) as r:
                self.assertEqual(r.status, 200, target)
                self.assertIn("Trails", json.loads(r.read()), target)

    def test_other_region_sees_its_own_history(self):
        import boto3
        from botocore.config import Config
        west = boto3.session.Session().client(
            "cloudtrail", endpoint_url=SERVER.endpoint, region_name="eu-west-1",
            aws_access_key_id=SERVER.access_key, aws_secret_access_key=SERVER.secret_key,
            config=Config(retries={"max_attempts": 1}))
        events = west.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateBucket"}])
        self.assertEqual(events["Events"], [])


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
