"""IAM end to end with the AWS CLI v2: a user with a key, a group with an AWS-managed policy, a role with a trust
policy, a customer-managed policy with versions, the authorization details and the simulator, and the errors the CLI
prints. Configured by environment variables only (no ~/.aws) and --endpoint-url on every call.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/iam/test_cli.py [-v]
"""

import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ALLOW_S3 = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class IamCli(harness.CliCase):
    def server(self):
        return SERVER

    def setUp(self):
        super().setUp()
        self.sfx = uuid.uuid4().hex[:8]

    def test_lifecycle(self):
        user, group, role, policy = (f"{n}-{self.sfx}" for n in ("cli-user", "cli-group", "cli-role", "cli-policy"))
        created = self.aws_json("iam", "create-user", "--user-name", user, "--path", "/cli/")
        self.assertTrue(created["User"]["Arn"].endswith(f":user/cli/{user}"))
        key = self.aws_json("iam", "create-access-key", "--user-name", user)["AccessKey"]
        self.assertTrue(key["AccessKeyId"].startswith("AKIA"))
        keys = self.aws_json("iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
        self.assertEqual([k["AccessKeyId"] for k in keys], [key["AccessKeyId"]])

        self.aws_json("iam", "create-group", "--group-name", group)
        self.aws_json("iam", "add-user-to-group", "--group-name", group, "--user-name", user)
        self.aws_json("iam", "attach-group-policy", "--group-name", group,
                      "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        attached = self.aws_json("iam", "list-attached-group-policies", "--group-name", group)["AttachedPolicies"]
        self.assertEqual(attached[0]["PolicyName"], "AmazonS3ReadOnlyAccess")

        self.aws_json("iam", "create-role", "--role-name", role, "--assume-role-policy-document", TRUST)
        got = self.aws_json("iam", "get-role", "--role-name", role)["Role"]
        self.assertEqual(got["AssumeRolePolicyDocument"], json.loads(TRUST))

        arn = self.aws_json("iam", "create-policy", "--policy-name", policy, "--policy-document", ALLOW_S3)["Policy"]["Arn"]
        self.aws_json("iam", "create-policy-version", "--policy-arn", arn, "--policy-document", ALLOW_S3, "--set-as-default")
        versions = self.aws_json("iam", "list-policy-versions", "--policy-arn", arn)["Versions"]
        self.assertEqual([(v["VersionId"], v["IsDefaultVersion"]) for v in versions], [("v2", True), ("v1", False)])
        self.aws_json("iam", "attach-role-policy", "--role-name", role, "--policy-arn", arn)
        self.assertEqual(self.aws_json("iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"], 1)

        sim = self.aws_json("iam", "simulate-principal-policy", "--policy-source-arn", created["User"]["Arn"],
                            "--action-names", "s3:GetObject", "s3:PutObject")["EvaluationResults"]
        self.assertEqual([r["EvalDecision"] for r in sim], ["allowed", "implicitDeny"])
        details = self.aws_json("iam", "get-account-authorization-details", "--filter", "Role")
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

        self.aws_json("iam", "detach-role-policy", "--role-name", role, "--policy-arn", arn)
        self.aws_json("iam", "delete-policy-version", "--policy-arn", arn, "--version-id", "v1")
        self.aws_json("iam", "delete-policy", "--policy-arn", arn)
        self.aws_json("iam", "delete-role", "--role-name", role)
        self.aws_json("iam", "detach-group-policy", "--group-name", group,
                      "--policy-arn", "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
        self.aws_json("iam", "remove-user-from-group", "--group-name", group, "--user-name", user)
        self.aws_json("iam", "delete-group", "--group-name", group)
        self.aws_json("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
        self.aws_json("iam", "delete-user", "--user-name", user)


if __name__ == "__main__":
    harness.main()
