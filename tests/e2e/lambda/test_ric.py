"""AWS's own Node.js runtime interface client (aws-lambda-ric 3.3.0, built by scripts/bootstrap.sh into
.deps/aws-lambda-ric) against Cenote's Runtime API: a provided.al2023 function whose `bootstrap` execs
`node /opt/aws-lambda-ric/bin/index.mjs $_HANDLER` (the ric shipped as a layer, as AWS documents for custom
runtimes), invoked synchronously and asynchronously, a handler error, and an error during init.

Skips (exit 77) only when the ric build is absent. CENOTE_RIC_DIR overrides .deps/aws-lambda-ric.
Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_ric.py [-v]
"""

import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lambda_zips import RIC_DIR, ric_layer_zip, zip_of  # noqa: E402

SERVER = None
ROLE = None
LAYER = None

BOOTSTRAP = """#!/bin/sh
cd "$LAMBDA_TASK_ROOT"
exec node /opt/aws-lambda-ric/bin/index.mjs "$_HANDLER"
"""

APP = """
export const handler = async (event, context) => {
  console.log("ric handler got", JSON.stringify(event));
  if (event.fail) throw new TypeError("asked to fail: " + event.fail);
  return {
    echo: event,
    requestId: context.awsRequestId,
    arn: context.invokedFunctionArn,
    remaining: context.getRemainingTimeInMillis() > 0,
    fn: context.functionName,
  };
};
"""

BROKEN = """
throw new Error("init exploded");
export const handler = async () => "never";
"""
def setUpModule():
    global SERVER, ROLE, LAYER
    SERVER = harness.Server().start()
    account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{account}:role/lambda-ric-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("logs:*",))
    LAYER = lam().publish_layer_version(LayerName="aws-lambda-ric", Content={"ZipFile": ric_layer_zip()},
                                        CompatibleRuntimes=["provided.al2023"])["LayerVersionArn"]


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def lam():
    return harness.boto3_client(SERVER, "lambda")


def create(name, app):
    lam().create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="app.handler",
                          Layers=[LAYER], Timeout=30,
                          Code={"ZipFile": zip_of({"bootstrap": BOOTSTRAP, "app.mjs": app}, {"bootstrap": 0o755})})


def invoke(name, event, **kw):
    r = lam().invoke(FunctionName=name, Payload=json.dumps(event).encode(), **kw)
    return r, json.loads(r["Payload"].read() or b"null")


class Ric(unittest.TestCase):
    def test_sync_async_and_error(self):
        name = "ric-" + uuid.uuid4().hex[:8]
        create(name, APP)
        r, out = invoke(name, {"n": 1}, LogType="Tail")
        self.assertNotIn("FunctionError", r)
        self.assertEqual(out["echo"], {"n": 1})
        self.assertEqual(out["requestId"], r["ResponseMetadata"]["RequestId"])
        self.assertTrue(out["arn"].endswith(":function:" + name))
        self.assertEqual(out["fn"], name)
        self.assertTrue(out["remaining"])
        import base64
        tail = base64.b64decode(r["LogResult"]).decode()
        self.assertIn("ric handler got", tail)
        self.assertIn("REPORT RequestId:", tail)

        # Warm: the same ric process answers the next invocation.
        r, out = invoke(name, {"n": 2})
        self.assertEqual(out["echo"], {"n": 2})

        # The handler's exception: AWS's error document from the ric's /error post.
        r, out = invoke(name, {"fail": "x"})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(out["errorType"], "TypeError")
        self.assertEqual(out["errorMessage"], "asked to fail: x")
        self.assertIsInstance(out.get("trace"), list)

        # Asynchronous: 202, the handler's line lands in CloudWatch Logs.
        marker = uuid.uuid4().hex
        r = lam().invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"marker": marker}).encode())
        self.assertEqual(r["StatusCode"], 202)
        logs = harness.boto3_client(SERVER, "logs")
        deadline = time.time() + 60
        found = False
        while time.time() < deadline and not found:
            try:
                ev = logs.filter_log_events(logGroupName="/aws/lambda/" + name, filterPattern=f'"{marker}"')
                found = bool(ev["events"])
            except logs.exceptions.ResourceNotFoundException:
                pass
            if not found:
                time.sleep(0.5)
        self.assertTrue(found, "the async invocation's log line did not arrive")

    def test_init_error(self):
        name = "ric-init-" + uuid.uuid4().hex[:8]
        create(name, BROKEN)
        r, out = invoke(name, {})
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertIn("init exploded", out["errorMessage"])
        self.assertIn("errorType", out)


if __name__ == "__main__":
    if not os.path.isfile(os.path.join(RIC_DIR, "dist", "rapid-client.node")):
        print(f"SKIP: aws-lambda-ric is not built ({RIC_DIR}/dist/rapid-client.node missing; "
              "scripts/bootstrap.sh builds it)")
        sys.exit(77)
    harness.main()
