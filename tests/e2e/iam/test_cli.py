"""IAM end to end with the AWS CLI v2: a user with a key, a group with an AWS-managed policy, a role with a trust
policy, a customer-managed policy with versions, the authorization details and the simulator, and the errors the CLI
prints. Configured by environment variables only (no ~/.aws) and --endpoint-url on every call.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/iam/test_cli.py [-v]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
WORK = None
CLI = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws") or "aws"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ALLOW_S3 = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def setUpModule():
    global SERVER, WORK
    WORK = tempfile.mkdtemp(prefix="cenote-e2e-iam-cli-")
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)


class IamCli(unittest.TestCase):
    def setUp(self):
        config = os.path.join(WORK, "empty-config")
        open(config, "w").close()
        self.env = SERVER.client_env(config_file=config)
        self.sfx = uuid.uuid4().hex[:8]

    def aws(self, *args, check=True):
        out = subprocess.run([CLI, "--endpoint-url", SERVER.endpoint, "--output", "json", *args],
                             capture_output=True, text=True, env=self.env, timeout=120)
        if check and out.returncode != 0:
            self.fail(f"aws {' '.join(args)}: {out.stderr}")
        if check:
            return json.loads(out.stdout) if out.stdout.strip() else {}
        return out

    def test_lifecycle(self):
        user, group, role, policy = (f"{n}-{self.sfx}" for n in ("cli-user", "cli-group", "cli-role", "cli-policy"))
        created = self.aws("iam", "create-user", "--user-name", user, "--path", "/cli/")
        self.assertTrue(created["User"]["Arn"].endswith(f":user/cli/{user}"))
        key = self.aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
        self.assertTrue(key["AccessKeyId"].startswith("AKIA"))
        keys = self.aws("iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
        self.assertEqual([k["AccessKeyId"] for k in keys], [key["AccessKeyId"]])

        self.aws("iam", "create-group", "--group-name", group)
        self.aws("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
        self.aws("iam", "attach-group-policy", "--group-name", group,
                 "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        attached = self.aws("iam", "list-attached-group-policies", "--group-name", group)["AttachedPolicies"]
        self.assertEqual(attached[0]["PolicyName"], "AmazonS3ReadOnlyAccess")

        self.aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", TRUST)
        got = self.aws("iam", "get-role", "--role-name", role)["Role"]
        self.assertEqual(got["AssumeRolePolicyDocument"], json.loads(TRUST))

        arn = self.aws("iam", "create-policy", "--policy-name", policy, "--policy-document", ALLOW_S3)["Policy"]["Arn"]
        self.aws("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", ALLOW_S3, "--set-as-default")
        versions = self.aws("iam", "list-policy-versions", "--policy-arn", arn)["Versions"]
        self.assertEqual([(v["VersionId"], v["IsDefaultVersion"]) for v in versions], [("v2", True), ("v1", False)])
        self.aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", arn)
        self.assertEqual(self.aws("iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"], 1)

        sim = self.aws("iam", "simulate-principal-policy", "--policy-source-arn", created["User"]["Arn"],
                       "--action-names", "s3:GetObject", "s3:PutObject")["EvaluationResults"]
        self.assertEqual([r["EvalDecision"] for r in sim], ["allowed", "implicitDeny"])
        details = self.aws("iam", "get-account-authorization-details", "--filter", "Role")
        self.assertIn(role, [r["RoleName"] for r in details["RoleDetailList"]])

        # Errors as the CLI prints them.
        out = self.aws("iam", "get-user", "--user-name", "nobody-" + self.sfx, check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("NoSuchEntity", out.stderr)
        out = self.aws("iam", "delete-user", "--user-name", user, check=False)
        self.assertIn("DeleteConflict", out.stderr)
        out = self.aws("iam", "put-user-policy", "--user-name", user, "--policy-name", "p", "--policy-document", "{",
                       check=False)
        self.assertIn("MalformedPolicyDocument", out.stderr)

        self.aws("iam", "detach-role-policy", "--role-name", role, "--policy-arn", arn)
        self.aws("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v1")
        self.aws("iam", "delete-policy", "--policy-arn", arn)
        self.aws("iam", "delete-role", "--role-name", role)
        self.aws("iam", "detach-group-policy", "--group-name", group,
                 "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        self.aws("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
        self.aws("iam", "delete-group", "--group-name", group)
        self.aws("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
        self.aws("iam", "delete-user", "--user-name", user)


if __name__ == "__main__":
    harness.main()
