"""AWS Lambda end to end with the AWS CLI v2 (/usr/bin/aws): create-function from a zip file, the
function-active-v2 waiter, invoke (payload file, --log-type Tail), get/list/update/delete, and the errors the CLI
prints.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/lambda/test_cli.py [-v]
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
WORK = None
ROLE = "arn:aws:iam::000000000000:role/lambda-cli"
CLI = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws") or "aws"


def setUpModule():
    global SERVER, WORK
    WORK = tempfile.mkdtemp(prefix="cenote-e2e-lambda-cli-")
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("logs:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)


class LambdaCli(unittest.TestCase):
    def setUp(self):
        config = os.path.join(WORK, "empty-config")
        open(config, "w").close()
        self.env = SERVER.client_env(config_file=config)
        self.name = f"cli-{uuid.uuid4().hex[:8]}"

    def aws(self, *args, check=True):
        base = [CLI, "--endpoint-url", SERVER.endpoint, "--no-cli-pager", "--cli-binary-format", "raw-in-base64-out"]
        r = subprocess.run(base + list(args), capture_output=True, text=True, env=self.env, timeout=120)
        if check:
            self.assertEqual(r.returncode, 0, f"{' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def aws_json(self, *args):
        r = self.aws(*args, "--output", "json")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def test_lifecycle(self):
        zip_path = os.path.join(WORK, "fn.zip")
        with zipfile.ZipFile(zip_path, "w") as z:
            z.writestr("main.py", "def handler(event, context):\n    print('cli!')\n    return {'twice': event['n'] * 2}\n")
        out = self.aws_json("lambda", "create-function", "--function-name", self.name, "--runtime", "python3.12",
                            "--role", ROLE, "--handler", "main.handler", "--zip-file", f"fileb://{zip_path}",
                            "--memory-size", "256", "--timeout", "5", "--tags", "team=data")
        self.assertEqual(out["MemorySize"], 256)
        self.aws("lambda", "wait", "function-active-v2", "--function-name", self.name)
        payload = os.path.join(WORK, "out.json")
        r = self.aws_json("lambda", "invoke", "--function-name", self.name, "--payload", '{"n": 21}',
                          "--log-type", "Tail", payload)
        self.assertEqual(r["StatusCode"], 200)
        self.assertIn("cli!", base64.b64decode(r["LogResult"]).decode())
        with open(payload) as f:
            self.assertEqual(json.load(f), {"twice": 42})
        fns = self.aws_json("lambda", "list-functions")["Functions"]
        self.assertIn(self.name, [f["FunctionName"] for f in fns])
        got = self.aws_json("lambda", "get-function", "--function-name", self.name)
        self.assertEqual(got["Tags"], {"team": "data"})
        self.aws("lambda", "update-function-configuration", "--function-name", self.name, "--timeout", "9")
        self.aws("lambda", "wait", "function-updated-v2", "--function-name", self.name)
        self.assertEqual(self.aws_json("lambda", "get-function-configuration", "--function-name", self.name)["Timeout"], 9)
        self.aws("lambda", "delete-function", "--function-name", self.name)
        r = self.aws("lambda", "get-function", "--function-name", self.name, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceNotFoundException", r.stderr)

    def test_layer_permissions_and_provisioned_concurrency(self):
        layer_zip = os.path.join(WORK, "layer.zip")
        with zipfile.ZipFile(layer_zip, "w") as z:
            z.writestr("python/helper.py", "X = 1\n")
        layer = self.aws_json("lambda", "publish-layer-version", "--layer-name", self.name,
                              "--zip-file", f"fileb://{layer_zip}")
        added = self.aws_json("lambda", "add-layer-version-permission", "--layer-name", self.name,
                              "--version-number", str(layer["Version"]), "--statement-id", "everyone",
                              "--action", "lambda:GetLayerVersion", "--principal", "*")
        self.assertEqual(json.loads(added["Statement"])["Principal"], "*")
        policy = self.aws_json("lambda", "get-layer-version-policy", "--layer-name", self.name,
                               "--version-number", str(layer["Version"]))
        self.assertEqual(policy["RevisionId"], added["RevisionId"])
        self.aws("lambda", "remove-layer-version-permission", "--layer-name", self.name, "--version-number",
                 str(layer["Version"]), "--statement-id", "everyone", "--revision-id", added["RevisionId"])
        r = self.aws("lambda", "get-layer-version-policy", "--layer-name", self.name, "--version-number",
                     str(layer["Version"]), check=False)
        self.assertIn("ResourceNotFoundException", r.stderr)

        zip_path = os.path.join(WORK, "prov.zip")
        with zipfile.ZipFile(zip_path, "w") as z:
            z.writestr("main.py", "import os\ndef handler(e, c):\n    return os.environ['AWS_LAMBDA_INITIALIZATION_TYPE']\n")
        self.aws("lambda", "create-function", "--function-name", self.name, "--runtime", "python3.12", "--role", ROLE,
                 "--handler", "main.handler", "--zip-file", f"fileb://{zip_path}", "--publish")
        put = self.aws_json("lambda", "put-provisioned-concurrency-config", "--function-name", self.name,
                            "--qualifier", "1", "--provisioned-concurrent-executions", "1")
        self.assertEqual(put["RequestedProvisionedConcurrentExecutions"], 1)
        for _ in range(300):
            got = self.aws_json("lambda", "get-provisioned-concurrency-config", "--function-name", self.name,
                                "--qualifier", "1")
            if got["Status"] == "READY":
                break
            time.sleep(0.2)
        self.assertEqual(got["Status"], "READY")
        listed = self.aws_json("lambda", "list-provisioned-concurrency-configs", "--function-name", self.name)
        self.assertEqual(len(listed["ProvisionedConcurrencyConfigs"]), 1)
        payload = os.path.join(WORK, "prov.json")
        self.aws("lambda", "invoke", "--function-name", self.name, "--qualifier", "1", payload)
        with open(payload) as f:
            self.assertEqual(json.load(f), "provisioned-concurrency")
        r = self.aws("lambda", "put-provisioned-concurrency-config", "--function-name", self.name,
                     "--qualifier", "$LATEST", "--provisioned-concurrent-executions", "1", check=False)
        self.assertIn("InvalidParameterValueException", r.stderr)
        self.aws("lambda", "delete-provisioned-concurrency-config", "--function-name", self.name, "--qualifier", "1")

    def test_errors(self):
        r = self.aws("lambda", "invoke", "--function-name", "no-such-fn", os.path.join(WORK, "x.json"), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceNotFoundException", r.stderr)
        self.assertIn("Function not found: arn:aws:lambda:", r.stderr)
        r = self.aws("lambda", "list-event-source-mappings", "--function-name", "no-such-fn", check=False)
        self.assertEqual(r.returncode, 0)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
