"""AWS Lambda end to end with boto3: Python, Node and provided.al2023 (shell) functions invoked sync and async,
errors, a timeout, a layer, versions and weighted aliases, reserved concurrency, the role's credentials inside the
function (a missing permission denied), isolation (the data directory and another function's code are hidden,
memory exceeded is reported), and an Event invocation surviving kill -9.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_boto3.py [-v]
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

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/lambda-e2e"


def setUpModule():
    global SERVER, ROLE
    SERVER = harness.Server().start()
    sts = harness.boto3_client(SERVER, "sts")
    account = sts.get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{account}:role/lambda-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("s3:ListAllMyBuckets", "logs:*"))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def lam():
    return harness.boto3_client(SERVER, "lambda")

PY = """
import json, os, time
import boto3
def handler(event, context):
    print("hello from python", json.dumps(event))
    if event.get("fail"):
        raise ValueError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("read"):
        try:
            return {"read": os.listdir(event["read"])}
        except Exception as e:
            return {"error": type(e).__name__}
    if event.get("eat"):
        blocks = []
        for _ in range(event["eat"]):
            blocks.append(bytearray(1024 * 1024))
        return {"ate": len(blocks)}
    if event.get("sdk"):
        s3 = boto3.client("s3")
        out = {}
        out["buckets"] = len(s3.list_buckets()["Buckets"])
        try:
            boto3.client("sqs").list_queues()
            out["sqs"] = "allowed"
        except Exception as e:
            out["sqs"] = e.response["Error"]["Code"]
        return out
    return {"echo": event, "fn": context.function_name, "left": context.get_remaining_time_in_millis() > 0,
            "env": os.environ.get("GREETING"), "region": os.environ["AWS_REGION"],
            "task": os.environ["LAMBDA_TASK_ROOT"], "version": context.function_version}
"""

NODE = """
exports.handler = async (event, context) => {
  console.log("hello from node", JSON.stringify(event));
  if (event.fail) throw new TypeError("node failed");
  return { node: true, echo: event, fn: context.functionName, left: context.getRemainingTimeInMillis() > 0 };
};
"""

SHELL = """#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -D "$HEADERS" "$API/invocation/next")
  ID=$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  echo "shell got $EVENT"
  curl -sS -X POST "$API/invocation/$ID/response" -d "{\\"shell\\":$EVENT}" > /dev/null
done
"""


def create(name, runtime="python3.11", handler="app.handler", files=None, **kw):
    files = files or {"app.py": PY}
    return lam().create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                                 Code={"ZipFile": zip_of(files, kw.pop("modes", None))}, **kw)


def invoke(name, event, **kw):
    r = lam().invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
    return r, json.loads(r["Payload"].read() or b"null")


HOST_PORT_RUNTIME = """#!/usr/bin/env python3
import http.client, json, os
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
while True:
    c = http.client.HTTPConnection(host, int(port))
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    event = json.loads(r.read())
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    c.request("POST", "/2018-06-01/runtime/invocation/" + rid + "/response",
              body=json.dumps({"echo": event, "api": "host:port"}))
    c.getresponse().read()
    c.close()
"""

class Functions(unittest.TestCase):
    def test_python_sync_with_logs_and_env(self):
        name = "py-" + uuid.uuid4().hex[:8]
        out = create(name, Environment={"Variables": {"GREETING": "hi"}}, Timeout=10)
        self.assertEqual(out["State"], "Pending")
        lam().get_waiter("function_active_v2").wait(FunctionName=name)
        cfg = lam().get_function(FunctionName=name)["Configuration"]
        self.assertEqual(cfg["State"], "Active")
        self.assertEqual(cfg["Runtime"], "python3.11")
        r, body = invoke(name, {"a": 1}, LogType="Tail")
        self.assertEqual(r["StatusCode"], 200)
        self.assertNotIn("FunctionError", r)
        self.assertEqual(r["ExecutedVersion"], "$LATEST")
        self.assertEqual(body["echo"], {"a": 1})
        self.assertEqual(body["fn"], name)
        self.assertTrue(body["left"])
        self.assertEqual(body["env"], "hi")
        self.assertEqual(body["region"], SERVER.region)
        log = base64.b64decode(r["LogResult"]).decode()
        self.assertIn("START RequestId:", log)
        self.assertIn("hello from python", log)
        self.assertIn("END RequestId:", log)
        self.assertIn("REPORT RequestId:", log)
        self.assertIn("Init Duration", log)
        # Warm: no init the second time.
        r, body = invoke(name, {"a": 2}, LogType="Tail")
        self.assertNotIn("Init Duration", base64.b64decode(r["LogResult"]).decode())
        self.assertEqual(body["echo"], {"a": 2})

    def test_logs_in_cloudwatch_logs(self):
        name = "logs-" + uuid.uuid4().hex[:8]
        create(name)
        invoke(name, {"a": 1})
        logs = harness.boto3_client(SERVER, "logs")
        streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
        self.assertEqual(len(streams), 1)
        self.assertRegex(streams[0]["logStreamName"], r"^\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}$")
        events = logs.get_log_events(logGroupName=f"/aws/lambda/{name}", logStreamName=streams[0]["logStreamName"],
                                     startFromHead=True)["events"]
        text = "\n".join(e["message"] for e in events)
        self.assertRegex(text, r"START RequestId: \S+ Version: \$LATEST")
        self.assertIn('hello from python {"a": 1}', text)
        self.assertRegex(text, r"REPORT RequestId: \S+\tDuration: [0-9.]+ ms\tBilled Duration: \d+ ms\t"
                               r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [0-9.]+ ms")
        # Logs Insights over the function's logs, with the fields Insights discovers in REPORT lines.
        invoke(name, {"a": 2})
        now = int(time.time())
        query_id = logs.start_query(
            logGroupName=f"/aws/lambda/{name}", startTime=now - 3600, endTime=now + 60,
            queryString="filter @type = 'REPORT' | stats count() as invocations, max(@memorySize / 1000 / 1000) "
                        "as memory_mb, avg(@duration) as duration by bin(1m)")["queryId"]
        for _ in range(300):
            results = logs.get_query_results(queryId=query_id)
            if results["status"] not in ("Scheduled", "Running"):
                break
            time.sleep(0.1)
        self.assertEqual(results["status"], "Complete")
        rows = [{f["field"]: f["value"] for f in row} for row in results["results"]]
        self.assertGreaterEqual(len(rows), 1)
        self.assertEqual(sum(int(r["invocations"]) for r in rows), 2)
        self.assertTrue(all(r["memory_mb"] == "128" for r in rows), rows)
        self.assertTrue(all(float(r["duration"]) > 0 for r in rows), rows)
        self.assertRegex(rows[0]["bin(1m)"], r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00\.000$")
        self.assertEqual(results["statistics"]["recordsMatched"], 2.0)
        # A role without logs permissions writes no logs (the invocation still works).
        iam = harness.boto3_client(SERVER, "iam")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        bare = iam.create_role(RoleName="bare-" + uuid.uuid4().hex[:6], AssumeRolePolicyDocument=json.dumps(trust))
        quiet = "quiet-" + uuid.uuid4().hex[:8]
        lam().create_function(FunctionName=quiet, Runtime="python3.11", Role=bare["Role"]["Arn"], Handler="app.handler",
                              Code={"ZipFile": zip_of({"app.py": PY})})
        r, body = invoke(quiet, {"a": 2})
        self.assertEqual(body["echo"], {"a": 2})
        groups = logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{quiet}")["logGroups"]
        self.assertEqual(groups, [])

    def test_errors_and_timeout(self):
        name = "err-" + uuid.uuid4().hex[:8]
        create(name, Timeout=1)
        r, body = invoke(name, {"fail": True})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "ValueError")
        self.assertEqual(body["errorMessage"], "asked to fail")
        r, body = invoke(name, {"sleep": 3})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "Sandbox.Timedout")
        self.assertIn("Task timed out after 1.00 seconds", body["errorMessage"])
        # The environment was replaced: the next call works.
        r, body = invoke(name, {"x": 1})
        self.assertNotIn("FunctionError", r)
        bad = "bad-" + uuid.uuid4().hex[:8]
        create(bad, handler="nope.handler")
        r, body = invoke(bad, {})
        self.assertEqual(body["errorType"], "Runtime.ImportModuleError")
        bad2 = "bad2-" + uuid.uuid4().hex[:8]
        create(bad2, handler="app.missing")
        r, body = invoke(bad2, {})
        self.assertEqual(body["errorType"], "Runtime.HandlerNotFound")

    def test_node(self):
        name = "node-" + uuid.uuid4().hex[:8]
        create(name, runtime="nodejs20.x", handler="index.handler", files={"index.js": NODE})
        r, body = invoke(name, {"n": 1})
        self.assertEqual(body["node"], True)
        self.assertEqual(body["fn"], name)
        r, body = invoke(name, {"fail": True})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(body["errorType"], "TypeError")

    def test_provided_shell(self):
        name = "sh-" + uuid.uuid4().hex[:8]
        create(name, runtime="provided.al2023", handler="none", files={"bootstrap": SHELL},
               modes={"bootstrap": 0o755})
        r, body = invoke(name, {"k": "v"})
        self.assertEqual(body, {"shell": {"k": "v"}})

    def test_provided_host_port_client(self):
        # A custom runtime that reads AWS_LAMBDA_RUNTIME_API as host:port, as AWS's runtime interface clients do
        # (aws-lambda-ric, awslambdaric): each environment has a Runtime API endpoint of its own.
        name = "hp-" + uuid.uuid4().hex[:8]
        create(name, runtime="provided.al2023", handler="none", files={"bootstrap": HOST_PORT_RUNTIME},
               modes={"bootstrap": 0o755})
        for i in range(2):  # a cold start, then the warm environment
            r, body = invoke(name, {"i": i})
            self.assertEqual(body, {"echo": {"i": i}, "api": "host:port"})

    def test_layer(self):
        layer = lam().publish_layer_version(LayerName="helpers", Content={"ZipFile": zip_of(
            {"python/helper.py": "def greet():\n    return 'from layer'\n"})}, CompatibleRuntimes=["python3.11"])
        name = "layer-" + uuid.uuid4().hex[:8]
        create(name, files={"app.py": "import helper\ndef handler(e, c):\n    return helper.greet()\n"},
               Layers=[layer["LayerVersionArn"]])
        r, body = invoke(name, {})
        self.assertEqual(body, "from layer")
        by_arn = lam().get_layer_version_by_arn(Arn=layer["LayerVersionArn"])
        self.assertEqual((by_arn["Version"], by_arn["LayerVersionArn"]), (layer["Version"], layer["LayerVersionArn"]))
        with self.assertRaises(Exception) as missing:
            lam().get_layer_version_by_arn(Arn=layer["LayerArn"] + ":999")
        self.assertIn("ResourceNotFoundException", str(missing.exception))

    def test_versions_aliases_concurrency(self):
        name = "ver-" + uuid.uuid4().hex[:8]
        create(name)
        v1 = lam().publish_version(FunctionName=name)["Version"]
        self.assertEqual(v1, "1")
        lam().update_function_configuration(FunctionName=name, Environment={"Variables": {"GREETING": "v2"}})
        v2 = lam().publish_version(FunctionName=name)["Version"]
        self.assertEqual(v2, "2")
        lam().create_alias(FunctionName=name, Name="live", FunctionVersion="1",
                           RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
        seen = set()
        for _ in range(30):
            r, body = invoke(name, {}, Qualifier="live")
            seen.add(r["ExecutedVersion"])
        self.assertEqual(seen, {"1", "2"})
        r, body = invoke(name, {}, Qualifier="1")
        self.assertIsNone(body["env"])
        lam().put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        with self.assertRaises(ClientError) as cm:
            invoke(name, {})
        self.assertEqual(cm.exception.response["Error"]["Code"], "TooManyRequestsException")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 429)
        self.assertEqual(cm.exception.response.get("Reason"), "ReservedFunctionConcurrentInvocationLimitExceeded")
        self.assertEqual(lam().get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"], 0)
        settings = lam().get_account_settings()
        self.assertEqual(settings["AccountLimit"]["ConcurrentExecutions"], 1000)
        lam().delete_function_concurrency(FunctionName=name)
        with self.assertRaises(ClientError) as cm:
            lam().put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=950)
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        r = lam().invoke(FunctionName=name, InvocationType="DryRun")
        self.assertEqual(r["StatusCode"], 204)

    def test_code_from_s3_and_listing(self):
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = "code-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="fn.zip", Body=zip_of({"app.py": PY}))
        name = "s3code-" + uuid.uuid4().hex[:8]
        out = lam().create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                    Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
        r, body = invoke(name, {"from": "s3"})
        self.assertEqual(body["echo"], {"from": "s3"})
        s3.put_object(Bucket=bucket, Key="fn2.zip", Body=zip_of({"app.py": "def handler(e, c):\n    return 'v2'\n"}))
        updated = lam().update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="fn2.zip")
        self.assertNotEqual(updated["CodeSha256"], out["CodeSha256"])
        r, body = invoke(name, {})
        self.assertEqual(body, "v2")
        with self.assertRaises(ClientError) as cm:
            lam().create_function(FunctionName=name + "x", Runtime="python3.12", Role=ROLE, Handler="app.handler",
                                  Code={"S3Bucket": bucket, "S3Key": "missing.zip"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        names, marker = [], None
        while True:
            page = lam().list_functions(MaxItems=2, **({"Marker": marker} if marker else {}))
            names += [f["FunctionName"] for f in page["Functions"]]
            marker = page.get("NextMarker")
            if not marker:
                break
        self.assertIn(name, names)
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(sorted(names), sorted(f["FunctionName"] for f in lam().list_functions()["Functions"]))

    def test_pass_role_required(self):
        import boto3
        iam = harness.boto3_client(SERVER, "iam")
        user = "dev-" + uuid.uuid4().hex[:6]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="lambda", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        dev = boto3.session.Session().client("lambda", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
                                             aws_access_key_id=key["AccessKeyId"],
                                             aws_secret_access_key=key["SecretAccessKey"])
        with self.assertRaises(ClientError) as cm:
            dev.create_function(FunctionName="nopass-" + uuid.uuid4().hex[:6], Runtime="python3.12", Role=ROLE,
                                Handler="app.handler", Code={"ZipFile": zip_of({"app.py": PY})})
        self.assertEqual(cm.exception.response["Error"]["Code"], "AccessDeniedException")
        self.assertIn("iam:PassRole", cm.exception.response["Error"]["Message"])

    def test_bad_input(self):
        with self.assertRaises(ClientError) as cm:
            lam().get_function(FunctionName="does-not-exist")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            lam().create_function(FunctionName="x" + uuid.uuid4().hex[:6], Runtime="python3.11", Role=ROLE,
                                  Handler="a.b", Code={"ZipFile": b"not a zip"})
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterValueException")
        iam = harness.boto3_client(SERVER, "iam")
        trust = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="not-lambda-" + uuid.uuid4().hex[:6],
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        with self.assertRaises(ClientError) as cm:
            lam().create_function(FunctionName="x" + uuid.uuid4().hex[:6], Runtime="python3.11", Role=role,
                                  Handler="a.b", Code={"ZipFile": zip_of({"a.py": ""})})
        self.assertEqual(cm.exception.response["Error"]["Message"],
                         "The role defined for the function cannot be assumed by Lambda.")
        with self.assertRaises(ClientError) as cm:
            lam().invoke(FunctionName="does-not-exist", Payload=b"{}")
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            lam().get_function_url_config(FunctionName="does-not-exist")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
        self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")
        with self.assertRaises(ClientError) as cm:
            lam().get_function_code_signing_config(FunctionName="does-not-exist")
        self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(cm.exception.response["Error"]["Code"], "UnknownOperationException")

    def test_role_credentials_inside(self):
        name = "sdk-" + uuid.uuid4().hex[:8]
        create(name, Timeout=30)
        r, body = invoke(name, {"sdk": True})
        self.assertNotIn("FunctionError", r, body)
        self.assertIsInstance(body["buckets"], int)
        self.assertIn(body["sqs"], ("AccessDenied", "AccessDeniedException"))

    def test_isolation(self):
        name = "iso-" + uuid.uuid4().hex[:8]
        create(name, MemorySize=128, Timeout=20)
        other = "other-" + uuid.uuid4().hex[:8]
        create(other)
        invoke(other, {})
        # The data directory is an empty read-only mount; other functions' extracted code (under it) is gone.
        r, body = invoke(name, {"read": SERVER.data_dir})
        self.assertIn(body, ({"read": []}, {"error": "FileNotFoundError"}))  # covered, or under the private /tmp
        r, body = invoke(name, {"read": os.path.join(SERVER.data_dir, "query", "scratch", "lambda", "code")})
        self.assertEqual(body, {"error": "FileNotFoundError"})
        # Its own PID namespace: only the runtime's processes.
        r, body = invoke(name, {"read": "/proc"})
        self.assertLess(len([p for p in body["read"] if p.isdigit()]), 5, body)
        r, body = invoke(name, {"read": "/var/task"})
        self.assertEqual(sorted(body["read"]), ["app.py"])
        r, body = invoke(name, {"eat": 400})
        self.assertEqual(r.get("FunctionError"), "Unhandled", body)
        self.assertIn(body["errorType"], ("Runtime.OutOfMemory", "MemoryError"))

    def test_async_event(self):
        name = "async-" + uuid.uuid4().hex[:8]
        create(name)
        r = lam().invoke(FunctionName=name, InvocationType="Event", Payload=b'{"q": 1}')
        self.assertEqual(r["StatusCode"], 202)
        lam().put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
        cfg = lam().get_function_event_invoke_config(FunctionName=name)
        self.assertEqual(cfg["MaximumRetryAttempts"], 0)
        updated = lam().update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=120)
        self.assertEqual((updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]), (0, 120))
        listed = lam().list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
        self.assertEqual([c["MaximumEventAgeInSeconds"] for c in listed], [120])


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
