"""AWS STS end to end with the AWS CLI: get-caller-identity for root, get-session-token, get-federation-token and
the errors the CLI prints.

The CLI is configured by environment variables only (no ~/.aws) and --endpoint-url on every call.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/sts/test_cli.py [-v]
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class StsCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_get_caller_identity(self):
        who = self.aws_json("sts", "get-caller-identity")
        self.assertRegex(who["Account"], r"^\d{12}$")
        self.assertEqual(who["UserId"], who["Account"])
        self.assertEqual(who["Arn"], f"arn:aws:iam::{who['Account']}:root")

    def test_session_token_and_its_use(self):
        c = self.aws_json("sts", "get-session-token", "--duration-seconds", "900")["Credentials"]
        self.assertTrue(c["AccessKeyId"].startswith("ASIA"))
        self.assertIn("Expiration", c)
        env = dict(self.env, AWS_ACCESS_KEY_ID=c["AccessKeyId"], AWS_SECRET_ACCESS_KEY=c["SecretAccessKey"],
                   AWS_SESSION_TOKEN=c["SessionToken"])
        out = self.aws("sts", "get-caller-identity", check=False, env=env)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(json.loads(out.stdout)["Arn"].endswith(":root"))

    def test_federation_token(self):
        out = self.aws_json("sts", "get-federation-token", "--name", "bob", "--policy",
                                  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",'
                                  '"Resource":"*"}]}')
        self.assertTrue(out["FederatedUser"]["Arn"].endswith(":federated-user/bob"))

    def test_errors(self):
        out = self.aws("sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/none",
                       "--role-session-name", "s1", check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("(AccessDenied)", out.stderr)
        self.assertIn("Roles may not be assumed by root accounts.", out.stderr)
        out = self.aws("sts", "get-federation-token", "--name", "bob", "--tags", "Key=team,Value=a",
                       "Key=TEAM,Value=b", check=False)
        self.assertIn("(ValidationError)", out.stderr)
        self.assertIn("Tag keys are case insensitive", out.stderr)
        out = self.aws("sts", "decode-authorization-message", "--encoded-message", "abc", check=False)
        self.assertIn("(InvalidAuthorizationMessageException)", out.stderr)


if __name__ == "__main__":
    harness.main()
