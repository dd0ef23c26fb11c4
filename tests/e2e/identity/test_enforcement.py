"""IAM enforced end to end (issue #15): a matrix of allowed and denied calls across S3, Glue, Athena, Kinesis and
Firehose for an IAM user, a group member, a permissions boundary, a role session, anonymous callers under a
bucket policy and ACLs, a cross-account principal, an SCP-limited account; audit mode; services acting with
their configured roles (a Firehose delivery role without s3:PutObject, a crawler role that cannot read).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/identity/test_enforcement.py [-v]
"""

import json
import os
import sys
import time
import unittest
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ACCOUNT = "000000000000"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def root(service):
    return harness.boto3_client(SERVER, service)


def client_as(creds, service, server=None):
    import boto3
    from botocore.config import Config
    server = server or SERVER
    cfg = dict(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=60)
    if service == "s3":
        cfg["s3"] = {"addressing_style": "path"}
        cfg["signature_version"] = "s3v4"
    return boto3.session.Session().client(
        service, endpoint_url=server.endpoint, region_name=server.region,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"), config=Config(**cfg))


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources="*", **extra):
    s = {"Effect": "Allow", "Action": actions, "Resource": resources}
    s.update(extra)
    return s


def wait_for_key(creds, server=None):
    """New keys are usable at once on Cenote; bounded retry only for STS-issued credentials' first use."""
    sts = client_as(creds, "sts", server)
    return sts.get_caller_identity()


def make_user(name, *statements, groups=(), boundary=None):
    iam = root("iam")
    iam.create_user(UserName=name)
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=policy(*statements))
    for g in groups:
        iam.add_user_to_group(GroupName=g, UserName=name)
    if boundary:
        iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key


class Case(unittest.TestCase):
    def denied(self, fn, code="AccessDenied", status=None, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], code, cm.exception.response)
        if status is not None:
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        return err.get("Message", "")


class UserMatrix(Case):
    @classmethod
    def setUpClass(cls):
        cls.bucket = "lake-" + uuid.uuid4().hex[:8]
        s3 = root("s3")
        s3.create_bucket(Bucket=cls.bucket)
        s3.put_object(Bucket=cls.bucket, Key="raw/a.csv", Body=b"id\n1\n")
        root("glue").create_database(DatabaseInput={"Name": "matrix_db"})
        root("kinesis").create_stream(StreamName="matrix-stream", ShardCount=1)
        cls.alice_key = make_user(
            "alice",
            allow(["s3:GetObject"], f"arn:aws:s3:::{cls.bucket}/*"),
            allow(["s3:ListBucket"], f"arn:aws:s3:::{cls.bucket}"),
            allow(["glue:GetDatabase", "glue:GetDatabases"]),
        )
        cls.alice = {k: cls.alice_key[k] for k in ("AccessKeyId", "SecretAccessKey")}

    def test_caller_identity(self):
        ident = client_as(self.alice, "sts").get_caller_identity()
        self.assertEqual(ident["Arn"], f"arn:aws:iam::{ACCOUNT}:user/alice")
        self.assertEqual(ident["Account"], ACCOUNT)

    def test_s3_allowed_and_denied(self):
        s3 = client_as(self.alice, "s3")
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="raw/a.csv")["Body"].read(), b"id\n1\n")
        s3.head_object(Bucket=self.bucket, Key="raw/a.csv")  # s3:GetObject
        self.assertEqual(s3.list_objects_v2(Bucket=self.bucket, Prefix="raw/")["KeyCount"], 1)  # s3:ListBucket
        message = self.denied(s3.put_object, status=403, Bucket=self.bucket, Key="raw/b.csv", Body=b"x")
        self.assertIn("arn:aws:iam::000000000000:user/alice is not authorized to perform: s3:PutObject", message)
        self.assertIn("because no identity-based policy allows the s3:PutObject action", message)
        self.denied(s3.delete_object, Bucket=self.bucket, Key="raw/a.csv")
        self.denied(s3.list_buckets)  # s3:ListAllMyBuckets
        self.denied(s3.create_bucket, Bucket="alice-" + uuid.uuid4().hex[:8])

    def test_glue_kinesis_athena_firehose(self):
        glue = client_as(self.alice, "glue")
        self.assertEqual(glue.get_database(Name="matrix_db")["Database"]["Name"], "matrix_db")
        message = self.denied(glue.create_database, code="AccessDeniedException", status=400,
                              DatabaseInput={"Name": "nope"})
        self.assertIn("glue:CreateDatabase", message)
        self.denied(client_as(self.alice, "kinesis").list_streams, code="AccessDeniedException")
        self.denied(client_as(self.alice, "athena").list_work_groups, code="AccessDeniedException")
        self.denied(client_as(self.alice, "firehose").list_delivery_streams, code="AccessDeniedException")

    def test_group_policy_takes_effect_and_is_removed(self):
        iam = root("iam")
        iam.create_group(GroupName="streamers")
        iam.put_group_policy(GroupName="streamers", PolicyName="list",
                             PolicyDocument=policy(allow(["kinesis:ListStreams", "kinesis:DescribeStreamSummary"])))
        key = make_user("gary", groups=["streamers"])
        kinesis = client_as(key, "kinesis")
        self.assertIn("matrix-stream", kinesis.list_streams()["StreamNames"])
        iam.remove_user_from_group(GroupName="streamers", UserName="gary")
        self.denied(kinesis.list_streams, code="AccessDeniedException")

    def test_managed_policy_and_boundary(self):
        iam = root("iam")
        key = make_user("bounded", boundary="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        iam.attach_user_policy(UserName="bounded", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        s3 = client_as(key, "s3")
        s3.get_object(Bucket=self.bucket, Key="raw/a.csv")
        message = self.denied(s3.put_object, Bucket=self.bucket, Key="raw/c.csv", Body=b"x")
        self.assertIn("permissions boundary", message)
        self.denied(client_as(key, "glue").get_databases, code="AccessDeniedException")

    def test_inactive_and_deleted_keys(self):
        iam = root("iam")
        key = make_user("temp", allow("s3:ListBucket", f"arn:aws:s3:::{self.bucket}"))
        s3 = client_as(key, "s3")
        s3.list_objects_v2(Bucket=self.bucket)
        iam.update_access_key(UserName="temp", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        self.denied(s3.list_objects_v2, code="InvalidAccessKeyId", Bucket=self.bucket)
        iam.update_access_key(UserName="temp", AccessKeyId=key["AccessKeyId"], Status="Active")
        s3.list_objects_v2(Bucket=self.bucket)
        last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        self.assertEqual(last.get("ServiceName"), "s3")

    def test_explicit_deny_in_bucket_policy_beats_identity_allow(self):
        bucket = "deny-" + uuid.uuid4().hex[:8]
        s3 = root("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="secret/x", Body=b"s")
        s3.put_object(Bucket=bucket, Key="open/x", Body=b"o")
        key = make_user("reader-" + bucket, allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
        s3.put_bucket_policy(Bucket=bucket, Policy=policy({
            "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/secret/*"}))
        user = client_as(key, "s3")
        user.get_object(Bucket=bucket, Key="open/x")
        message = self.denied(user.get_object, Bucket=bucket, Key="secret/x")
        self.assertIn("explicit deny in a resource-based policy", message)
        # Even the root user.
        self.denied(s3.get_object, Bucket=bucket, Key="secret/x")
        s3.delete_bucket_policy(Bucket=bucket)
        s3.get_object(Bucket=bucket, Key="secret/x")

    def run_query(self, athena, sql):
        qid = athena.start_query_execution(
            QueryString=sql, ResultConfiguration={"OutputLocation": f"s3://{self.bucket}/athena/"})["QueryExecutionId"]
        deadline = time.time() + 60
        while time.time() < deadline:
            status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return status
            time.sleep(0.2)
        raise AssertionError(f"query {qid} did not finish")

    def test_athena_reads_tables_with_the_callers_glue_permissions(self):
        root_athena = root("athena")
        s3 = root("s3")
        s3.put_object(Bucket=self.bucket, Key="tables/t/part.csv", Body=b"1,a\n2,b\n")
        status = self.run_query(root_athena, "CREATE EXTERNAL TABLE matrix_db.t (id int, v string) ROW FORMAT "
                                f"DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{self.bucket}/tables/t/'")
        self.assertEqual(status["State"], "SUCCEEDED", status)
        key = make_user("quentin", allow("athena:*"),
                        allow("s3:*", [f"arn:aws:s3:::{self.bucket}", f"arn:aws:s3:::{self.bucket}/*"]))
        status = self.run_query(client_as(key, "athena"), "SELECT count(*) FROM matrix_db.t")
        self.assertEqual(status["State"], "FAILED", status)
        self.assertIn("Insufficient permissions to execute the query", status.get("StateChangeReason", ""))
        self.assertIn("glue:GetTable", status.get("StateChangeReason", ""))
        root("iam").put_user_policy(UserName="quentin", PolicyName="glue-read", PolicyDocument=policy(
            allow(["glue:GetTable", "glue:GetTables", "glue:GetDatabase", "glue:GetPartitions"])))
        status = self.run_query(client_as(key, "athena"), "SELECT count(*) FROM matrix_db.t")
        self.assertEqual(status["State"], "SUCCEEDED", status)

    def test_cli_user_denied(self):
        import shutil
        import subprocess
        cli = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws")
        if not cli:
            self.skipTest("no aws CLI")
        env = SERVER.client_env()
        env["AWS_ACCESS_KEY_ID"] = self.alice["AccessKeyId"]
        env["AWS_SECRET_ACCESS_KEY"] = self.alice["SecretAccessKey"]
        ok = subprocess.run([cli, "--endpoint-url", SERVER.endpoint, "s3", "cp", f"s3://{self.bucket}/raw/a.csv", "-"],
                            env=env, capture_output=True, timeout=120)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(ok.stdout, b"id\n1\n")
        bad = subprocess.run([cli, "--endpoint-url", SERVER.endpoint, "glue", "create-database",
                              "--database-input", "Name=cli_nope"], env=env, capture_output=True, timeout=120)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn(b"AccessDeniedException", bad.stderr)


class Anonymous(Case):
    def get(self, path):
        try:
            with urllib.request.urlopen(SERVER.endpoint + path, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_bucket_policy_makes_a_prefix_public(self):
        bucket = "pub-" + uuid.uuid4().hex[:8]
        s3 = root("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="public/index.html", Body=b"<h1>hi</h1>")
        s3.put_object(Bucket=bucket, Key="private/x", Body=b"p")
        self.assertEqual(self.get(f"/{bucket}/public/index.html")[0], 403)
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=policy({
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/public/*"}))
        self.assertEqual(self.get(f"/{bucket}/public/index.html"), (200, b"<h1>hi</h1>"))
        status, body = self.get(f"/{bucket}/private/x")
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>AccessDenied</Code>", body)
        # RestrictPublicBuckets: the public policy no longer grants anyone outside the account.
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True})
        self.assertEqual(self.get(f"/{bucket}/public/index.html")[0], 403)

    def test_public_read_acl(self):
        bucket = "acl-" + uuid.uuid4().hex[:8]
        s3 = root("s3")
        s3.create_bucket(Bucket=bucket, ObjectOwnership="ObjectWriter")
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="a", Body=b"A", ACL="public-read")
        s3.put_object(Bucket=bucket, Key="b", Body=b"B")
        self.assertEqual(self.get(f"/{bucket}/a"), (200, b"A"))
        self.assertEqual(self.get(f"/{bucket}/b")[0], 403)
        self.assertEqual(self.get(f"/{bucket}?list-type=2")[0], 403)
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
        status, body = self.get(f"/{bucket}?list-type=2")
        self.assertEqual(status, 200)
        self.assertIn(b"<Key>a</Key>", body)


class RolesAndAccounts(Case):
    """Role sessions (STS), cross-account grants and SCPs (Organizations)."""

    def test_role_session(self):
        iam = root("iam")
        trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "sts:AssumeRole"})
        role = iam.create_role(RoleName="analyst", AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName="analyst", PolicyName="glue-read",
                            PolicyDocument=policy(allow(["glue:GetDatabase", "glue:GetDatabases"])))
        root("glue").create_database(DatabaseInput={"Name": "role_db"})
        key = make_user("assumer", allow("sts:AssumeRole", role["Arn"]))
        creds = client_as(key, "sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
        ident = client_as(creds, "sts").get_caller_identity()
        self.assertEqual(ident["Arn"], f"arn:aws:sts::{ACCOUNT}:assumed-role/analyst/s1")
        glue = client_as(creds, "glue")
        glue.get_database(Name="role_db")
        self.denied(glue.delete_database, code="AccessDeniedException", Name="role_db")
        # A session policy narrows the role further.
        narrowed = client_as(key, "sts").assume_role(
            RoleArn=role["Arn"], RoleSessionName="s2",
            Policy=policy(allow("glue:GetDatabases")))["Credentials"]
        self.denied(client_as(narrowed, "glue").get_database, code="AccessDeniedException", Name="role_db")
        # Someone the trust policy does not name cannot assume it... unless their own account is named: a user
        # without sts:AssumeRole in their policy is refused.
        nobody = make_user("nobody")
        self.denied(client_as(nobody, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="xx")

    def _member_account(self):
        return harness.member_account(SERVER)

    def test_cross_account_bucket_policy(self):
        account, admin = self._member_account()
        # In the member account: a user allowed s3:* by its own policy.
        iam = client_as(admin, "iam")
        iam.create_user(UserName="partner")
        iam.put_user_policy(UserName="partner", PolicyName="s3", PolicyDocument=policy(allow("s3:*")))
        key = iam.create_access_key(UserName="partner")["AccessKey"]
        partner = client_as(key, "s3")
        bucket = "shared-" + uuid.uuid4().hex[:8]
        s3 = root("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        self.assertEqual(harness.error_of(partner.get_object, Bucket=bucket, Key="k"), (403, "AccessDenied"))
        s3.put_bucket_policy(Bucket=bucket, Policy=policy({
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
        self.assertEqual(partner.get_object(Bucket=bucket, Key="k")["Body"].read(), b"v")
        self.assertEqual(harness.error_of(partner.put_object, Bucket=bucket, Key="k2", Body=b"x"),
                         (403, "AccessDenied"))

    def test_scp_limits_member_account(self):
        account, admin = self._member_account()
        org = root("organizations")
        roots = org.list_roots()["Roots"]
        if not any(p["Type"] == "SERVICE_CONTROL_POLICY" and p["Status"] == "ENABLED"
                   for p in roots[0].get("PolicyTypes", [])):
            org.enable_policy_type(RootId=roots[0]["Id"], PolicyType="SERVICE_CONTROL_POLICY")
        scp = org.create_policy(Name="no-glue-" + account, Type="SERVICE_CONTROL_POLICY", Description="d",
                                Content=policy({"Effect": "Deny", "Action": "glue:*", "Resource": "*"}))["Policy"]
        glue = client_as(admin, "glue")
        glue.get_databases()
        org.attach_policy(PolicyId=scp["PolicySummary"]["Id"], TargetId=account)
        message = self.denied(glue.get_databases, code="AccessDeniedException")
        self.assertIn("service control policy", message)
        client_as(admin, "s3").list_buckets()

    def test_rcp_perimeter_on_member_account_buckets(self):
        account, admin = self._member_account()
        org = root("organizations")
        root_id = org.list_roots()["Roots"][0]["Id"]
        if not any(p["Type"] == "RESOURCE_CONTROL_POLICY" and p["Status"] == "ENABLED"
                   for p in org.list_roots()["Roots"][0].get("PolicyTypes", [])):
            org.enable_policy_type(RootId=root_id, PolicyType="RESOURCE_CONTROL_POLICY")
        # In the member account: a bucket whose policy lets everyone read.
        s3 = client_as(admin, "s3")
        bucket = "rcp-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"v")
        s3.delete_public_access_block(Bucket=bucket)
        s3.put_bucket_policy(Bucket=bucket, Policy=policy({
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}))
        self.assertEqual(Anonymous.get(self, f"/{bucket}/k"), (200, b"v"))
        # An RCP on the account: only principals of the organization (and AWS services) reach its S3 resources.
        rcp = org.create_policy(Name="perimeter-" + account, Type="RESOURCE_CONTROL_POLICY", Description="d",
                                Content=policy({
                                    "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                    "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org.describe_organization()[
                                        "Organization"]["Id"]},
                                        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}))["Policy"]
        org.attach_policy(PolicyId=rcp["PolicySummary"]["Id"], TargetId=account)
        self.assertEqual(Anonymous.get(self, f"/{bucket}/k")[0], 403)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="k")["Body"].read(), b"v")  # inside the organization
        org.detach_policy(PolicyId=rcp["PolicySummary"]["Id"], TargetId=account)
        self.assertEqual(Anonymous.get(self, f"/{bucket}/k"), (200, b"v"))


class ServiceRoles(Case):
    """Services act as the roles they are configured with."""

    def test_firehose_role_without_put_object(self):
        iam = root("iam")
        trust = policy({"Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
                        "Action": "sts:AssumeRole"})
        role = iam.create_role(RoleName="weak-delivery", AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName="weak-delivery", PolicyName="list-only",
                            PolicyDocument=policy(allow("s3:ListBucket")))
        bucket = "fh-" + uuid.uuid4().hex[:8]
        root("s3").create_bucket(Bucket=bucket)
        fh = root("firehose")
        fh.create_delivery_stream(DeliveryStreamName="weak", ExtendedS3DestinationConfiguration={
            "RoleARN": role["Arn"], "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 60}})
        for _ in range(3):  # past the 1 MiB buffer (a record is at most 1,000 KiB)
            fh.put_record(DeliveryStreamName="weak", Record={"Data": b"x" * (400 << 10)})
        # Delivery is refused as the role is denied s3:PutObject: nothing lands, the server logs Firehose's
        # S3.AccessDenied delivery error, and the records stay buffered for the retries.
        deadline = time.time() + 30
        while time.time() < deadline and "S3.AccessDenied" not in SERVER.log_tail(400):
            time.sleep(0.5)
        self.assertIn("S3.AccessDenied", SERVER.log_tail(400))
        self.assertEqual(root("s3").list_objects_v2(Bucket=bucket)["KeyCount"], 0)
        # Once the role may write, a retry delivers what was buffered.
        iam.put_role_policy(RoleName="weak-delivery", PolicyName="write",
                            PolicyDocument=policy(allow(["s3:PutObject"], f"arn:aws:s3:::{bucket}/*")))
        deadline = time.time() + 30
        while time.time() < deadline and root("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0:
            time.sleep(0.5)
        self.assertEqual(root("s3").list_objects_v2(Bucket=bucket)["KeyCount"], 1)

    def test_handing_a_role_to_a_service_needs_pass_role(self):
        iam = root("iam")
        trust = policy({"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sts:AssumeRole"})
        role = iam.create_role(RoleName="rule-to-stream", AssumeRolePolicyDocument=trust)["Role"]
        root("kinesis").create_stream(StreamName="passrole-stream", ShardCount=1)
        stream_arn = root("kinesis").describe_stream_summary(
            StreamName="passrole-stream")["StreamDescriptionSummary"]["StreamARN"]
        key = make_user("rule-author", allow(["events:PutRule", "events:PutTargets"]))
        events = client_as(key, "events")
        events.put_rule(Name="r1", EventPattern=json.dumps({"source": ["app"]}))
        target = {"Id": "k", "Arn": stream_arn, "RoleArn": role["Arn"]}
        message = self.denied(events.put_targets, code="AccessDeniedException", Rule="r1", Targets=[target])
        self.assertIn(f"is not authorized to perform: iam:PassRole on resource: \"{role['Arn']}\"", message)
        self.assertEqual(root("events").list_targets_by_rule(Rule="r1")["Targets"], [])
        # A target without a role needs no PassRole.
        root("sqs").create_queue(QueueName="passrole-q")
        queue = {"Id": "q", "Arn": f"arn:aws:sqs:{SERVER.region}:{ACCOUNT}:passrole-q"}
        self.assertEqual(events.put_targets(Rule="r1", Targets=[queue])["FailedEntryCount"], 0)
        # PassRole for another service does not cover EventBridge; for EventBridge it does.
        grant = allow("iam:PassRole", role["Arn"],
                      Condition={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}})
        iam.put_user_policy(UserName="rule-author", PolicyName="pass", PolicyDocument=policy(grant))
        self.denied(events.put_targets, code="AccessDeniedException", Rule="r1", Targets=[target])
        grant["Condition"]["StringEquals"]["iam:PassedToService"] = "events.amazonaws.com"
        iam.put_user_policy(UserName="rule-author", PolicyName="pass", PolicyDocument=policy(grant))
        self.assertEqual(events.put_targets(Rule="r1", Targets=[target])["FailedEntryCount"], 0)
        ids = sorted(t["Id"] for t in root("events").list_targets_by_rule(Rule="r1")["Targets"])
        self.assertEqual(ids, ["k", "q"])

    def test_crawler_role_that_cannot_read(self):
        iam = root("iam")
        trust = policy({"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"},
                        "Action": "sts:AssumeRole"})
        role = iam.create_role(RoleName="blind-crawler", AssumeRolePolicyDocument=trust)["Role"]
        # The catalog, but no S3 at all: the crawler cannot list its path.
        iam.put_role_policy(RoleName="blind-crawler", PolicyName="glue-only", PolicyDocument=policy(allow("glue:*")))
        bucket = "crawl-" + uuid.uuid4().hex[:8]
        s3 = root("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="t/part.csv", Body=b"a,b\n1,2\n")
        glue = root("glue")
        glue.create_database(DatabaseInput={"Name": "crawl_db"})
        glue.create_crawler(Name="blind", Role=role["Arn"], DatabaseName="crawl_db",
                            Targets={"S3Targets": [{"Path": f"s3://{bucket}/t/"}]})
        glue.start_crawler(Name="blind")
        deadline = time.time() + 60
        crawler = None
        while time.time() < deadline:
            crawler = glue.get_crawler(Name="blind")["Crawler"]
            if crawler["State"] == "READY" and crawler.get("LastCrawl"):
                break
            time.sleep(0.5)
        last = crawler.get("LastCrawl", {})
        self.assertEqual(last.get("Status"), "FAILED", crawler)
        self.assertRegex(last.get("ErrorMessage", ""), "AccessDenied|not authorized to perform: s3:")


class AuditMode(Case):
    def test_audit_allows_and_logs(self):
        with harness.Server(extra_args=("--iam-mode", "audit")) as server:
            iam = harness.boto3_client(server, "iam")
            iam.create_user(UserName="auditee")
            key = iam.create_access_key(UserName="auditee")["AccessKey"]
            harness.boto3_client(server, "s3").create_bucket(Bucket="audited")
            client_as(key, "s3", server).put_object(Bucket="audited", Key="k", Body=b"v")
            log = server.log_tail(200)
            self.assertIn("would deny arn:aws:iam::000000000000:user/auditee s3:PutObject", log)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
