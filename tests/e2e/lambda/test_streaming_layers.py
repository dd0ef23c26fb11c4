"""AWS Lambda with boto3: InvokeWithResponseStream (the event stream of a buffered handler: PayloadChunk and
InvokeComplete events), layer version permissions (Add/Get/RemoveLayerVersionPermission, RevisionId, the
organization condition) enforced when another account's function uses the layer, and provisioned
concurrency (Put/Get/List/Delete, IN_PROGRESS -> READY, environments initialized ahead of time).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_streaming_layers.py [-v]
"""

import base64
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lambda_zips import zip_of  # noqa: E402

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

SERVER = None
ACCOUNT = None
ROLE = None

PY = """
import json, os
INIT_TYPE = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE")
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("opt"):
        with open("/opt/greeting.txt") as f:
            return {"opt": f.read()}
    if event.get("big"):
        return {"big": "x" * event["big"]}
    return {"echo": event, "init": INIT_TYPE}
"""

def setUpModule():
    global SERVER, ACCOUNT, ROLE
    SERVER = harness.Server().start()
    ACCOUNT = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-stream-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("logs:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def lam():
    return harness.boto3_client(SERVER, "lambda")


def create(client, name, role, **kw):
    client.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="app.handler",
                           Code={"ZipFile": zip_of({"app.py": PY})}, **kw)


class Streaming(unittest.TestCase):
    def setUp(self):
        if not hasattr(lam(), "invoke_with_response_stream"):
            # Debian's boto3 (1.26.27) predates the operation; e2e.lambda.streaming-boto3-new runs it.
            self.skipTest(f"boto3 {boto3.__version__} has no invoke_with_response_stream")

    def test_invoke_with_response_stream(self):
        name = "stream-" + uuid.uuid4().hex[:8]
        create(lam(), name, ROLE)
        r = lam().invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"a": 1}).encode(),
                                              LogType="Tail")
        self.assertEqual(r["StatusCode"], 200)
        self.assertEqual(r["ExecutedVersion"], "$LATEST")
        chunks, complete = [], None
        for event in r["EventStream"]:
            if "PayloadChunk" in event:
                chunks.append(event["PayloadChunk"]["Payload"])
            elif "InvokeComplete" in event:
                complete = event["InvokeComplete"]
        self.assertEqual(json.loads(b"".join(chunks))["echo"], {"a": 1})
        self.assertIsNotNone(complete)
        self.assertNotIn("ErrorCode", complete)
        self.assertIn("REPORT RequestId:", base64.b64decode(complete["LogResult"]).decode())

        # A large buffered response arrives in several chunks.
        r = lam().invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"big": 200000}).encode())
        chunks = [e["PayloadChunk"]["Payload"] for e in r["EventStream"] if "PayloadChunk" in e]
        self.assertGreater(len(chunks), 1)
        self.assertEqual(len(json.loads(b"".join(chunks))["big"]), 200000)

        # A function error: InvokeComplete carries it.
        r = lam().invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"fail": True}).encode())
        events = list(r["EventStream"])
        complete = [e["InvokeComplete"] for e in events if "InvokeComplete" in e][0]
        self.assertEqual(complete["ErrorCode"], "Unhandled")
        self.assertEqual(json.loads(complete["ErrorDetails"])["errorMessage"], "asked to fail")

        # DryRun and a missing function.
        r = lam().invoke_with_response_stream(FunctionName=name, InvocationType="DryRun")
        self.assertEqual(r["StatusCode"], 204)
        self.assertEqual(harness.error_of(lam().invoke_with_response_stream, FunctionName="nope-" + name),
                         (404, "ResourceNotFoundException"))


class LayerPermissions(unittest.TestCase):
    def test_cross_account_layer(self):
        layer = lam().publish_layer_version(LayerName="shared-" + uuid.uuid4().hex[:6],
                                            Content={"ZipFile": zip_of({"greeting.txt": "hello from A"})})
        arn, version = layer["LayerVersionArn"], layer["Version"]
        lname = layer["LayerArn"].split(":")[-1]

        self.assertEqual(harness.error_of(lam().get_layer_version_policy, LayerName=lname, VersionNumber=version),
                         (404, "ResourceNotFoundException"))

        member, creds = harness.member_account(SERVER, "layers")
        b = boto3.session.Session().client(
            "lambda", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"], config=Config(retries={"max_attempts": 1}))
        b_iam = boto3.session.Session().client(
            "iam", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"])
        b_role = f"arn:aws:iam::{member}:role/fn-role"
        b_iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))

        # No permission yet: the other account can neither read nor use the layer version.
        self.assertEqual(harness.error_of(b.get_layer_version_by_arn, Arn=arn)[1], "AccessDeniedException")
        fn = "uses-layer-" + uuid.uuid4().hex[:6]
        self.assertEqual(harness.error_of(create, client=b, name=fn, role=b_role, Layers=[arn])[1],
                         "AccessDeniedException")

        # Grant the account.
        added = lam().add_layer_version_permission(LayerName=lname, VersionNumber=version, StatementId="xaccount",
                                                   Action="lambda:GetLayerVersion", Principal=member)
        st = json.loads(added["Statement"])
        self.assertEqual(st["Principal"], {"AWS": f"arn:aws:iam::{member}:root"})
        self.assertEqual(st["Resource"], arn)
        rev = added["RevisionId"]
        got = lam().get_layer_version_policy(LayerName=lname, VersionNumber=version)
        self.assertEqual(got["RevisionId"], rev)
        self.assertEqual(json.loads(got["Policy"])["Statement"][0]["Sid"], "xaccount")
        self.assertEqual(harness.error_of(lam().add_layer_version_permission, LayerName=lname,
                                          VersionNumber=version, StatementId="xaccount",
                                          Action="lambda:GetLayerVersion", Principal=member),
                         (409, "ResourceConflictException"))
        self.assertEqual(harness.error_of(lam().add_layer_version_permission, LayerName=lname,
                                          VersionNumber=version, StatementId="other", RevisionId="wrong",
                                          Action="lambda:GetLayerVersion", Principal=member),
                         (412, "PreconditionFailedException"))
        self.assertEqual(harness.error_of(lam().add_layer_version_permission, LayerName=lname,
                                          VersionNumber=version, StatementId="bad",
                                          Action="lambda:InvokeFunction", Principal=member)[0], 400)

        self.assertEqual(b.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"], arn)
        create(b, fn, b_role, Layers=[arn])
        out = json.loads(b.invoke(FunctionName=fn, Payload=b'{"opt": true}')["Payload"].read())
        self.assertEqual(out, {"opt": "hello from A"})

        # Revoke it; the organization condition then grants every account of the organization.
        lam().remove_layer_version_permission(LayerName=lname, VersionNumber=version, StatementId="xaccount",
                                              RevisionId=rev)
        self.assertEqual(harness.error_of(lam().remove_layer_version_permission, LayerName=lname,
                                          VersionNumber=version, StatementId="xaccount"),
                         (404, "ResourceNotFoundException"))
        self.assertEqual(harness.error_of(b.get_layer_version_by_arn, Arn=arn)[1], "AccessDeniedException")
        org_id = harness.boto3_client(SERVER, "organizations").describe_organization()["Organization"]["Id"]
        other_org = lam().add_layer_version_permission(
            LayerName=lname, VersionNumber=version, StatementId="otherorg", Action="lambda:GetLayerVersion",
            Principal="*", OrganizationId="o-aaaaaaaaaaaa")
        self.assertEqual(json.loads(other_org["Statement"])["Condition"],
                         {"StringEquals": {"aws:PrincipalOrgID": "o-aaaaaaaaaaaa"}})
        self.assertEqual(harness.error_of(b.get_layer_version_by_arn, Arn=arn)[1], "AccessDeniedException")
        lam().add_layer_version_permission(LayerName=lname, VersionNumber=version, StatementId="org",
                                           Action="lambda:GetLayerVersion", Principal="*", OrganizationId=org_id)
        self.assertEqual(b.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"], arn)


class ProvisionedConcurrency(unittest.TestCase):
    def wait_ready(self, name, qualifier):
        deadline = time.time() + 60
        while time.time() < deadline:
            got = lam().get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)
            if got["Status"] != "IN_PROGRESS":
                return got
            time.sleep(0.2)
        self.fail("provisioned concurrency stayed IN_PROGRESS")

    def test_provisioned_version_and_alias(self):
        name = "prov-" + uuid.uuid4().hex[:8]
        create(lam(), name, ROLE)
        version = lam().publish_version(FunctionName=name)["Version"]
        lam().create_alias(FunctionName=name, Name="live", FunctionVersion=version)

        err = harness.error_of(lam().put_provisioned_concurrency_config, FunctionName=name, Qualifier="$LATEST",
                               ProvisionedConcurrentExecutions=1)
        self.assertEqual(err, (400, "InvalidParameterValueException"))
        self.assertEqual(harness.error_of(lam().get_provisioned_concurrency_config, FunctionName=name,
                                          Qualifier="live"),
                         (404, "ProvisionedConcurrencyConfigNotFoundException"))

        put = lam().put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                                       ProvisionedConcurrentExecutions=2)
        self.assertEqual(put["RequestedProvisionedConcurrentExecutions"], 2)
        self.assertEqual(put["Status"], "IN_PROGRESS")
        got = self.wait_ready(name, "live")
        self.assertEqual(got["Status"], "READY")
        self.assertEqual(got["AvailableProvisionedConcurrentExecutions"], 2)
        self.assertEqual(got["AllocatedProvisionedConcurrentExecutions"], 2)

        # Each environment's init is logged when it starts, before any invocation: its own stream, INIT_START.
        logs = harness.boto3_client(SERVER, "logs")
        deadline, starts = time.time() + 20, []
        while time.time() < deadline and len(starts) < 2:
            try:
                streams = logs.describe_log_streams(logGroupName="/aws/lambda/" + name)["logStreams"]
            except logs.exceptions.ResourceNotFoundException:
                streams = []
            starts = []
            for st in streams:
                events = logs.get_log_events(logGroupName="/aws/lambda/" + name, logStreamName=st["logStreamName"],
                                             startFromHead=True)["events"]
                if events and events[0]["message"].startswith("INIT_START Runtime Version: python3.11"):
                    starts.append(st["logStreamName"])
            time.sleep(0.2)
        self.assertEqual(len(starts), 2)
        self.assertTrue(all(f"/[{version}]" in s for s in starts), starts)

        # The same version again (through the version itself): one config per version.
        self.assertEqual(harness.error_of(lam().put_provisioned_concurrency_config, FunctionName=name,
                                          Qualifier=version, ProvisionedConcurrentExecutions=1)[1],
                         "ResourceConflictException")
        listed = lam().list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
        self.assertEqual([c["FunctionArn"].split(":")[-1] for c in listed], ["live"])

        # Invocations use the initialized environments: no Init Duration, the provisioned init type.
        r = lam().invoke(FunctionName=name, Qualifier="live", Payload=b'{"x": 1}', LogType="Tail")
        out = json.loads(r["Payload"].read())
        self.assertEqual(out["init"], "provisioned-concurrency")
        tail = base64.b64decode(r["LogResult"]).decode()
        self.assertIn("REPORT RequestId:", tail)
        self.assertNotIn("Init Duration", tail)
        # $LATEST is on-demand.
        r = lam().invoke(FunctionName=name, Payload=b'{}', LogType="Tail")
        self.assertEqual(json.loads(r["Payload"].read())["init"], "on-demand")
        self.assertIn("Init Duration", base64.b64decode(r["LogResult"]).decode())

        # Reserved concurrency bounds it.
        lam().put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
        self.assertEqual(harness.error_of(lam().put_provisioned_concurrency_config, FunctionName=name,
                                          Qualifier="live", ProvisionedConcurrentExecutions=3)[1],
                         "InvalidParameterValueException")
        lam().delete_function_concurrency(FunctionName=name)

        lam().delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
        self.assertEqual(harness.error_of(lam().get_provisioned_concurrency_config, FunctionName=name,
                                          Qualifier="live")[1], "ProvisionedConcurrencyConfigNotFoundException")
        self.assertEqual(lam().list_provisioned_concurrency_configs(FunctionName=name)
                         ["ProvisionedConcurrencyConfigs"], [])

    def test_init_failure(self):
        name = "prov-bad-" + uuid.uuid4().hex[:8]
        lam().create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                              Code={"ZipFile": zip_of({"app.py": "raise RuntimeError('no init')\n"})})
        version = lam().publish_version(FunctionName=name)["Version"]
        lam().put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                                 ProvisionedConcurrentExecutions=1)
        got = self.wait_ready(name, version)
        self.assertEqual(got["Status"], "FAILED")
        self.assertIn("no init", got["StatusReason"])


if __name__ == "__main__":
    harness.main()
