"""Crash test: a user, an access key, a group policy, a managed policy attached to the user and a role are created,
the server gets SIGKILL right after the last acknowledgement, and after the restart everything is there, as IAM
answers it (every IAM write is committed to the metadata store before it is acknowledged).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/iam/test_crash.py [-v]
"""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ALLOW_S3 = json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


class IamCrash(unittest.TestCase):
    def test_acknowledged_writes_survive_kill9(self):
        server = harness.Server()
        try:
            server.start()
            iam = harness.boto3_client(server, "iam")
            user = iam.create_user(UserName="crash-user", Path="/c/")["User"]
            key = iam.create_access_key(UserName="crash-user")["AccessKey"]
            iam.create_group(GroupName="crash-group")
            iam.add_user_to_group(GroupName="crash-group", UserName="crash-user")
            iam.put_group_policy(GroupName="crash-group", PolicyName="s3", PolicyDocument=ALLOW_S3)
            arn = iam.create_policy(PolicyName="crash-policy", PolicyDocument=ALLOW_S3)["Policy"]["Arn"]
            iam.create_policy_version(PolicyArn=arn, PolicyDocument=ALLOW_S3, SetAsDefault=True)
            iam.attach_user_policy(UserName="crash-user", PolicyArn=arn)
            iam.create_role(RoleName="crash-role", AssumeRolePolicyDocument=TRUST)
            iam.update_access_key(UserName="crash-user", AccessKeyId=key["AccessKeyId"], Status="Inactive")

            server.restart(crash=True)
            iam = harness.boto3_client(server, "iam")
            self.assertEqual(iam.get_user(UserName="crash-user")["User"]["UserId"], user["UserId"])
            keys = iam.list_access_keys(UserName="crash-user")["AccessKeyMetadata"]
            self.assertEqual([(k["AccessKeyId"], k["Status"]) for k in keys], [(key["AccessKeyId"], "Inactive")])
            self.assertEqual([g["GroupName"] for g in iam.list_groups_for_user(UserName="crash-user")["Groups"]],
                             ["crash-group"])
            self.assertEqual(iam.get_group_policy(GroupName="crash-group", PolicyName="s3")["PolicyDocument"],
                             json.loads(ALLOW_S3))
            self.assertEqual(iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"], "v2")
            self.assertEqual(iam.list_attached_user_policies(UserName="crash-user")["AttachedPolicies"][0]["PolicyArn"],
                             arn)
            self.assertEqual(iam.get_role(RoleName="crash-role")["Role"]["AssumeRolePolicyDocument"], json.loads(TRUST))
            sim = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["s3:GetObject"])
            self.assertEqual(sim["EvaluationResults"][0]["EvalDecision"], "allowed")
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
