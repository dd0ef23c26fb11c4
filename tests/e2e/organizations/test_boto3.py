"""AWS Organizations end to end with boto3 and the root credentials: the organization, OUs, accounts (status
polled as a client would), SCPs attached and detached, listings with paginators, a restart; then the step
into a new account (AssumeRole of OrganizationAccountAccessRole), which needs IAM and STS.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/organizations/test_boto3.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
NOT_IN_USE = None  # DescribeOrganization's error before the organization exists
DENY_S3 = json.dumps({"Version": "2012-10-17",
                      "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})


def setUpModule():
    global SERVER, NOT_IN_USE
    SERVER = harness.Server().start()
    NOT_IN_USE = error(orgs().describe_organization)[0]
    orgs().create_organization(FeatureSet="ALL")


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def orgs():
    return harness.boto3_client(SERVER, "organizations")


def error(fn, **kwargs):
    """(code, Reason) of a call that must fail."""
    from botocore.exceptions import ClientError
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response.get("Reason", "")
    raise AssertionError(f"{fn.__name__} succeeded")


def iam_unavailable():
    """Why the IAM calls CreateAccount makes cannot succeed here, or "" when they can."""
    from botocore.exceptions import ClientError
    try:
        harness.boto3_client(SERVER, "iam").list_roles(MaxItems=1)
        return ""
    except ClientError as e:
        return f"IAM is not served yet ({e.response['Error']['Code']}): CreateAccount's role step fails"


def wait_for_account(client, request_id):
    """Polls DescribeCreateAccountStatus as clients do until the request leaves IN_PROGRESS."""
    for _ in range(60):
        status = client.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]
        if status["State"] != "IN_PROGRESS":
            return status
        time.sleep(0.5)
    raise AssertionError(f"{request_id} still IN_PROGRESS")


class Organizations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        c = orgs()
        cls.org = c.describe_organization()["Organization"]
        cls.root = c.list_roots()["Roots"][0]

    def test_organization(self):
        c = orgs()
        self.assertEqual(NOT_IN_USE, "AWSOrganizationsNotInUseException")
        org = c.describe_organization()["Organization"]
        self.assertEqual(org["Id"], self.org["Id"])
        self.assertRegex(org["Id"], r"^o-[a-z0-9]{10}$")
        self.assertEqual(org["FeatureSet"], "ALL")
        self.assertEqual(org["MasterAccountId"], self.org["MasterAccountId"])
        self.assertEqual(org["Arn"], f"arn:aws:organizations::{org['MasterAccountId']}:organization/{org['Id']}")
        self.assertRegex(self.root["Id"], r"^r-[a-z0-9]{4}$")
        self.assertEqual(error(c.create_organization)[0], "AlreadyInOrganizationException")
        accounts = {a["Id"]: a for a in c.list_accounts()["Accounts"]}
        self.assertEqual(accounts[org["MasterAccountId"]]["Status"], "ACTIVE")

    def test_organizational_units(self):
        c = orgs()
        ou = c.create_organizational_unit(ParentId=self.root["Id"], Name="ou-tree",
                                          Tags=[{"Key": "team", "Value": "data"}])["OrganizationalUnit"]
        self.assertRegex(ou["Id"], r"^ou-[a-z0-9]{4}-[a-z0-9]{8}$")
        child = c.create_organizational_unit(ParentId=ou["Id"], Name="child")["OrganizationalUnit"]
        self.assertEqual(error(c.create_organizational_unit, ParentId=self.root["Id"], Name="ou-tree")[0],
                         "DuplicateOrganizationalUnitException")
        self.assertEqual(c.list_parents(ChildId=child["Id"])["Parents"], [{"Id": ou["Id"], "Type": "ORGANIZATIONAL_UNIT"}])
        kids = c.list_children(ParentId=ou["Id"], ChildType="ORGANIZATIONAL_UNIT")["Children"]
        self.assertEqual(kids, [{"Id": child["Id"], "Type": "ORGANIZATIONAL_UNIT"}])
        c.update_organizational_unit(OrganizationalUnitId=child["Id"], Name="renamed")
        self.assertEqual(c.describe_organizational_unit(OrganizationalUnitId=child["Id"])["OrganizationalUnit"]["Name"],
                         "renamed")
        self.assertEqual(c.list_tags_for_resource(ResourceId=ou["Id"])["Tags"], [{"Key": "team", "Value": "data"}])
        self.assertEqual(error(c.delete_organizational_unit, OrganizationalUnitId=ou["Id"])[0],
                         "OrganizationalUnitNotEmptyException")
        c.delete_organizational_unit(OrganizationalUnitId=child["Id"])
        c.delete_organizational_unit(OrganizationalUnitId=ou["Id"])
        self.assertEqual(error(c.describe_organizational_unit, OrganizationalUnitId=ou["Id"])[0],
                         "OrganizationalUnitNotFoundException")
        # Paginators follow NextToken.
        made = [c.create_organizational_unit(ParentId=self.root["Id"], Name=f"page-{i}")["OrganizationalUnit"]["Id"]
                for i in range(5)]
        pages = list(c.get_paginator("list_organizational_units_for_parent").paginate(
            ParentId=self.root["Id"], PaginationConfig={"PageSize": 2}))
        listed = [u["Id"] for p in pages for u in p["OrganizationalUnits"]]
        self.assertTrue(set(made) <= set(listed))
        self.assertGreaterEqual(len(pages), 3)
        for ou_id in made:
            c.delete_organizational_unit(OrganizationalUnitId=ou_id)

    def test_service_control_policies(self):
        c = orgs()
        # Start with SCPs disabled (another test may have enabled them): disabling detaches every SCP.
        types = c.list_roots()["Roots"][0]["PolicyTypes"]
        if {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"} in types:
            c.disable_policy_type(RootId=self.root["Id"], PolicyType="SERVICE_CONTROL_POLICY")
        policy = c.create_policy(Name="deny-s3", Description="no S3", Type="SERVICE_CONTROL_POLICY",
                                 Content=DENY_S3)["Policy"]["PolicySummary"]
        self.assertRegex(policy["Id"], r"^p-[a-z0-9]{8}$")
        self.assertFalse(policy["AwsManaged"])
        ou = c.create_organizational_unit(ParentId=self.root["Id"], Name="scp-ou")["OrganizationalUnit"]
        self.assertEqual(error(c.attach_policy, PolicyId=policy["Id"], TargetId=ou["Id"])[0],
                         "PolicyTypeNotEnabledException")
        root = c.enable_policy_type(RootId=self.root["Id"], PolicyType="SERVICE_CONTROL_POLICY")["Root"]
        self.assertIn({"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}, root["PolicyTypes"])
        c.attach_policy(PolicyId=policy["Id"], TargetId=ou["Id"])
        attached = c.list_policies_for_target(TargetId=ou["Id"], Filter="SERVICE_CONTROL_POLICY")["Policies"]
        self.assertEqual(sorted(p["Id"] for p in attached), sorted(["p-FullAWSAccess", policy["Id"]]))
        targets = c.list_targets_for_policy(PolicyId=policy["Id"])["Targets"]
        self.assertEqual([(t["TargetId"], t["Type"], t["Name"]) for t in targets], [(ou["Id"], "ORGANIZATIONAL_UNIT", "scp-ou")])
        self.assertEqual(error(c.delete_policy, PolicyId=policy["Id"])[0], "PolicyInUseException")
        c.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou["Id"])
        self.assertEqual(error(c.detach_policy, PolicyId=policy["Id"], TargetId=ou["Id"]),
                         ("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"))
        self.assertEqual(error(c.create_policy, Name="bad", Description="", Type="SERVICE_CONTROL_POLICY",
                               Content="{")[0], "MalformedPolicyDocumentException")
        big = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Action": [f"s3:Get{i}" for i in range(500)], "Resource": "*"}]})
        self.assertEqual(error(c.create_policy, Name="big", Description="", Type="SERVICE_CONTROL_POLICY", Content=big),
                         ("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED"))
        described = c.describe_policy(PolicyId=policy["Id"])["Policy"]
        self.assertEqual(json.loads(described["Content"]), json.loads(DENY_S3))
        names = [p["Name"] for p in c.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]]
        self.assertIn("FullAWSAccess", names)
        self.assertIn("deny-s3", names)
        c.attach_policy(PolicyId="p-FullAWSAccess", TargetId=ou["Id"])
        c.detach_policy(PolicyId=policy["Id"], TargetId=ou["Id"])
        c.delete_policy(PolicyId=policy["Id"])
        c.delete_organizational_unit(OrganizationalUnitId=ou["Id"])

    def test_accounts(self):
        c = orgs()
        started = c.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
        self.assertEqual(started["State"], "IN_PROGRESS")
        self.assertRegex(started["Id"], r"^car-[0-9a-f]{32}$")
        status = wait_for_account(c, started["Id"])
        listed = c.list_create_account_status()["CreateAccountStatuses"]
        self.assertIn(started["Id"], [s["Id"] for s in listed])
        reason = iam_unavailable()
        if reason:
            self.assertEqual((status["State"], status.get("FailureReason")), ("FAILED", "INTERNAL_FAILURE"))
            self.skipTest(reason)
        self.assertEqual(status["State"], "SUCCEEDED", status)
        account = status["AccountId"]
        self.assertRegex(account, r"^\d{12}$")
        described = c.describe_account(AccountId=account)["Account"]
        self.assertEqual((described["Name"], described["Email"], described["Status"], described["JoinedMethod"]),
                         ("dev", "dev@example.com", "ACTIVE", "CREATED"))
        ou = c.create_organizational_unit(ParentId=self.root["Id"], Name="accounts-ou")["OrganizationalUnit"]
        c.move_account(AccountId=account, SourceParentId=self.root["Id"], DestinationParentId=ou["Id"])
        self.assertEqual(c.list_parents(ChildId=account)["Parents"][0]["Id"], ou["Id"])
        self.assertEqual([a["Id"] for a in c.list_accounts_for_parent(ParentId=ou["Id"])["Accounts"]], [account])
        self.assertEqual(error(c.delete_organization)[0], "OrganizationNotEmptyException")
        c.move_account(AccountId=account, SourceParentId=ou["Id"], DestinationParentId=self.root["Id"])
        c.delete_organizational_unit(OrganizationalUnitId=ou["Id"])

    def test_z_survives_restart(self):
        SERVER.restart(crash=True)
        c = orgs()
        self.assertEqual(c.describe_organization()["Organization"]["Id"], self.org["Id"])
        self.assertEqual(c.list_roots()["Roots"][0]["Id"], self.root["Id"])


class NewAccountAccess(unittest.TestCase):
    """The management account steps into a created account through OrganizationAccountAccessRole. AWS refuses
    AssumeRole to root users, so an IAM user of the management account (AdministratorAccess) assumes it."""

    def session(self, access_key, secret_key, token=None):
        import boto3
        return boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                     aws_session_token=token, region_name=SERVER.region)

    def test_assume_organization_account_access_role(self):
        from botocore.exceptions import ClientError
        reason = iam_unavailable()
        if reason:
            self.skipTest(reason)
        c = orgs()
        started = c.create_account(Email="assume@example.com", AccountName="assume")["CreateAccountStatus"]
        status = wait_for_account(c, started["Id"])
        self.assertEqual(status["State"], "SUCCEEDED", status)
        account = status["AccountId"]
        iam = harness.boto3_client(SERVER, "iam")
        iam.create_user(UserName="org-admin")
        iam.attach_user_policy(UserName="org-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
        key = iam.create_access_key(UserName="org-admin")["AccessKey"]
        admin = self.session(key["AccessKeyId"], key["SecretAccessKey"])
        try:
            admin.client("sts", endpoint_url=SERVER.endpoint).get_caller_identity()
        except ClientError as e:
            self.skipTest(f"IAM user keys do not sign requests yet ({e.response['Error']['Code']})")
        creds = admin.client("sts", endpoint_url=SERVER.endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="e2e")["Credentials"]
        member = self.session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        try:
            identity = member.client("sts", endpoint_url=SERVER.endpoint).get_caller_identity()
        except ClientError as e:
            if e.response["Error"]["Code"] == "InvalidClientTokenId":
                self.skipTest("the platform does not resolve STS session keys yet (InvalidClientTokenId)")
            raise
        self.assertEqual(identity["Account"], account)
        self.assertIn(":assumed-role/OrganizationAccountAccessRole/e2e", identity["Arn"])
        # AdministratorAccess in the new account: its IAM is the session's to use.
        member.client("iam", endpoint_url=SERVER.endpoint).create_user(UserName="inside-new-account")
        # A member account may describe its organization, not manage it.
        member_orgs = member.client("organizations", endpoint_url=SERVER.endpoint)
        self.assertEqual(member_orgs.describe_organization()["Organization"]["MasterAccountId"],
                         c.describe_organization()["Organization"]["MasterAccountId"])
        self.assertEqual(error(member_orgs.list_accounts)[0], "AccessDeniedException")
        # An SCP on the account binds the session: S3 is denied to it, not to the management account.
        member_s3 = member.client("s3", endpoint_url=SERVER.endpoint)
        member_s3.list_buckets()
        root = c.list_roots()["Roots"][0]["Id"]
        try:
            c.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
        except c.exceptions.PolicyTypeAlreadyEnabledException:
            pass
        deny = c.create_policy(Name="deny-s3-member", Description="", Type="SERVICE_CONTROL_POLICY",
                               Content=DENY_S3)["Policy"]["PolicySummary"]["Id"]
        c.attach_policy(PolicyId=deny, TargetId=account)
        self.assertEqual(error(member_s3.list_buckets)[0], "AccessDenied")
        harness.boto3_client(SERVER, "s3").list_buckets()
        c.detach_policy(PolicyId=deny, TargetId=account)
        member_s3.list_buckets()
        c.delete_policy(PolicyId=deny)


if __name__ == "__main__":
    harness.main()
