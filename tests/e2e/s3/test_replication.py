"""S3 Replication end to end with boto3 and the AWS CLI v2: PutBucketReplication refuses what S3 refuses
(unversioned source or destination, a missing destination, a V2 rule without DeleteMarkerReplication or
Priority), GetBucketReplication answers the configuration; new objects matching a rule's prefix/tag filter are
copied to the destination bucket (in another region: CRR) through the configured role, keeping the version id,
metadata, tags and checksums, taking the rule's storage class, with x-amz-replication-status PENDING then
COMPLETED on the source and REPLICA on the destination; delete markers replicate where the rule says so; a role
without s3:ReplicateObject leaves the source FAILED and the destination untouched; queued replications survive
kill -9 (the queue is in the metadata store); versioning cannot be suspended under a configuration.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_replication.py [-v]
"""

import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def s3(region=None):
    client = harness.boto3_client(SERVER, "s3")
    if region is None:
        return client
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        "s3", endpoint_url=SERVER.endpoint, region_name=region, aws_access_key_id=SERVER.access_key,
        aws_secret_access_key=SERVER.secret_key, config=Config(s3={"addressing_style": "path"}))


def account():
    return harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]


def make_role(name, actions):
    """A role S3 may assume, allowed `actions` on every resource."""
    iam = harness.boto3_client(SERVER, "iam")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="replication", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    return arn


REPLICATION_ACTIONS = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
                       "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]


def versioned_bucket(prefix, region=None):
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    client = s3(region)
    if region and region != "us-east-1":
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    else:
        client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def error_of(fn):
    """The error response of a boto3 call that must fail."""
    from botocore.exceptions import ClientError
    try:
        fn()
    except ClientError as e:
        return e.response
    raise AssertionError("the call succeeded")


def wait_status(client, bucket, key, want, version_id=None, timeout_s=20.0):
    deadline = time.time() + timeout_s
    last = None
    while time.time() < deadline:
        kwargs = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        last = client.head_object(**kwargs).get("ReplicationStatus")
        if last == want:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{bucket}/{key}: replication status {last}, wanted {want}")


class ReplicationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.role = make_role(f"replication-{uuid.uuid4().hex[:8]}", REPLICATION_ACTIONS)

    def rule(self, dest, prefix="", rule_id="r1", priority=1, markers="Enabled", storage_class=None, tag=None):
        flt = {"Prefix": prefix}
        if tag:
            flt = {"And": {"Prefix": prefix, "Tags": [{"Key": tag[0], "Value": tag[1]}]}}
        destination = {"Bucket": f"arn:aws:s3:::{dest}"}
        if storage_class:
            destination["StorageClass"] = storage_class
        return {"ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": flt,
                "DeleteMarkerReplication": {"Status": markers}, "Destination": destination}

    def test_configuration_is_validated_as_s3_does(self):
        c = s3()
        src = f"repl-plain-{uuid.uuid4().hex[:8]}"
        c.create_bucket(Bucket=src)
        dest = versioned_bucket("repl-dest")
        cfg = {"Role": self.role, "Rules": [self.rule(dest)]}
        e = error_of(lambda: c.put_bucket_replication(Bucket=src, ReplicationConfiguration=cfg))
        self.assertEqual(("InvalidRequest", 400), (e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]))
        self.assertIn("Versioning must be 'Enabled'", e["Error"]["Message"])
        src = versioned_bucket("repl-src")
        plain_dest = f"repl-plain-{uuid.uuid4().hex[:8]}"
        c.create_bucket(Bucket=plain_dest)
        e = error_of(lambda: c.put_bucket_replication(
            Bucket=src, ReplicationConfiguration={"Role": self.role, "Rules": [self.rule(plain_dest)]}))
        self.assertEqual("Destination bucket must have versioning enabled.", e["Error"]["Message"])
        e = error_of(lambda: c.put_bucket_replication(
            Bucket=src, ReplicationConfiguration={"Role": self.role, "Rules": [self.rule("no-such-bucket-x1")]}))
        self.assertEqual("Destination bucket must exist.", e["Error"]["Message"])
        no_markers = self.rule(dest)
        del no_markers["DeleteMarkerReplication"]
        e = error_of(lambda: c.put_bucket_replication(
            Bucket=src, ReplicationConfiguration={"Role": self.role, "Rules": [no_markers]}))
        self.assertEqual("InvalidRequest", e["Error"]["Code"])
        e = error_of(lambda: c.get_bucket_replication(Bucket=src))
        self.assertEqual("ReplicationConfigurationNotFoundError", e["Error"]["Code"])
        c.put_bucket_replication(Bucket=src, ReplicationConfiguration=cfg)
        got = c.get_bucket_replication(Bucket=src)["ReplicationConfiguration"]
        self.assertEqual(self.role, got["Role"])
        self.assertEqual(f"arn:aws:s3:::{dest}", got["Rules"][0]["Destination"]["Bucket"])
        # Versioning stays on while a configuration is there.
        e = error_of(lambda: c.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Suspended"}))
        self.assertEqual("InvalidBucketState", e["Error"]["Code"])
        c.delete_bucket_replication(Bucket=src)
        self.assertEqual("ReplicationConfigurationNotFoundError",
                         error_of(lambda: c.get_bucket_replication(Bucket=src))["Error"]["Code"])

    def test_objects_and_delete_markers_replicate_across_regions(self):
        c = s3()
        src = versioned_bucket("repl-src")
        dest = versioned_bucket("repl-crr", region="eu-west-1")
        d = s3("eu-west-1")
        c.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": self.role, "Rules": [
            self.rule(dest, prefix="logs/", storage_class="STANDARD_IA")]})
        put = c.put_object(Bucket=src, Key="logs/a.txt", Body=b"hello replica", ContentType="text/plain",
                           Metadata={"team": "data"}, Tagging="k=v")
        self.assertIn(c.head_object(Bucket=src, Key="logs/a.txt")["ReplicationStatus"], ("PENDING", "COMPLETED"))
        c.put_object(Bucket=src, Key="other/b.txt", Body=b"not replicated")
        wait_status(c, src, "logs/a.txt", "COMPLETED")
        head = d.head_object(Bucket=dest, Key="logs/a.txt")
        self.assertEqual("REPLICA", head["ReplicationStatus"])
        self.assertEqual(put["VersionId"], head["VersionId"])
        self.assertEqual({"team": "data"}, head["Metadata"])
        self.assertEqual("text/plain", head["ContentType"])
        self.assertEqual("STANDARD_IA", head["StorageClass"])
        self.assertEqual(b"hello replica", d.get_object(Bucket=dest, Key="logs/a.txt")["Body"].read())
        self.assertEqual([{"Key": "k", "Value": "v"}], d.get_object_tagging(Bucket=dest, Key="logs/a.txt")["TagSet"])
        self.assertNotIn("ReplicationStatus", c.head_object(Bucket=src, Key="other/b.txt"))
        self.assertEqual(404, error_of(lambda: d.head_object(Bucket=dest, Key="other/b.txt"))
                         ["ResponseMetadata"]["HTTPStatusCode"])
        # A delete marker replicates (DeleteMarkerReplication Enabled) with its version id.
        marker = c.delete_object(Bucket=src, Key="logs/a.txt")["VersionId"]
        deadline = time.time() + 20
        while time.time() < deadline:
            versions = d.list_object_versions(Bucket=dest, Prefix="logs/a.txt").get("DeleteMarkers", [])
            if versions:
                break
            time.sleep(0.2)
        self.assertEqual([marker], [m["VersionId"] for m in versions])

    def test_tag_filter_and_a_role_that_may_not_replicate(self):
        c = s3()
        src = versioned_bucket("repl-src")
        dest = versioned_bucket("repl-dest")
        weak = make_role(f"weak-{uuid.uuid4().hex[:8]}", ["s3:GetObjectVersionForReplication"])
        c.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": weak, "Rules": [
            self.rule(dest, tag=("replicate", "yes"), markers="Disabled")]})
        c.put_object(Bucket=src, Key="t1", Body=b"x", Tagging="replicate=yes")
        c.put_object(Bucket=src, Key="t2", Body=b"y", Tagging="replicate=no")
        wait_status(c, src, "t1", "FAILED")
        self.assertNotIn("ReplicationStatus", c.head_object(Bucket=src, Key="t2"))
        self.assertEqual(404, error_of(lambda: c.head_object(Bucket=dest, Key="t1"))
                         ["ResponseMetadata"]["HTTPStatusCode"])

    def test_cli_v2(self):
        cli = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws")
        if not cli:
            self.skipTest("no AWS CLI")
        src = versioned_bucket("repl-cli")
        dest = versioned_bucket("repl-cli-dest")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=SERVER.access_key, AWS_SECRET_ACCESS_KEY=SERVER.secret_key,
                   AWS_DEFAULT_REGION=SERVER.region, AWS_PAGER="")
        base = [cli, "--endpoint-url", SERVER.endpoint, "s3api"]
        cfg = json.dumps({"Role": self.role, "Rules": [self.rule(dest)]})
        subprocess.run(base + ["put-bucket-replication", "--bucket", src, "--replication-configuration", cfg],
                       env=env, check=True, capture_output=True, timeout=60)
        out = subprocess.run(base + ["get-bucket-replication", "--bucket", src], env=env, check=True,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(self.role, json.loads(out.stdout)["ReplicationConfiguration"]["Role"])
        s3().put_object(Bucket=src, Key="cli.txt", Body=b"cli")
        wait_status(s3(), src, "cli.txt", "COMPLETED")
        out = subprocess.run(base + ["head-object", "--bucket", dest, "--key", "cli.txt"], env=env, check=True,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual("REPLICA", json.loads(out.stdout)["ReplicationStatus"])


class ReplicationCrashTest(unittest.TestCase):
    def test_acknowledged_writes_replicate_across_kill_9(self):
        """Objects written and acknowledged, then kill -9 at once: after the restart every one of them is
        replicated, whether its copy was made before the kill or comes from the queue the write stored."""
        server = harness.Server().start()
        try:
            c = harness.boto3_client(server, "s3")
            iam = harness.boto3_client(server, "iam")
            name = f"crash-{uuid.uuid4().hex[:8]}"
            trust = {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
            role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            iam.put_role_policy(RoleName=name, PolicyName="r", PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": REPLICATION_ACTIONS, "Resource": "*"}]}))
            src, dest = f"crash-src-{uuid.uuid4().hex[:8]}", f"crash-dest-{uuid.uuid4().hex[:8]}"
            for b in (src, dest):
                c.create_bucket(Bucket=b)
                c.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
            c.put_bucket_replication(Bucket=src, ReplicationConfiguration={"Role": role, "Rules": [
                {"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                 "DeleteMarkerReplication": {"Status": "Disabled"},
                 "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}]})
            keys = [f"k{i}" for i in range(20)]
            for k in keys:
                c.put_object(Bucket=src, Key=k, Body=k.encode())
            server.restart(crash=True)
            c = harness.boto3_client(server, "s3")
            for k in keys:
                try:
                    wait_status(c, src, k, "COMPLETED", timeout_s=30)
                except AssertionError as e:  # the server's reason is in its log ("s3 replication: ... failed")
                    raise AssertionError(f"{e}\nserver log:\n{server.log_tail(60)}") from None
                self.assertEqual(k.encode(), c.get_object(Bucket=dest, Key=k)["Body"].read())
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
