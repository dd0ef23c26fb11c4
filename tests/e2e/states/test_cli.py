"""AWS Step Functions end to end with the AWS CLI v2: create/describe/list state machines, start an execution,
describe it and read its history, a Distributed Map's Map Run (list-map-runs, describe-map-run,
list-executions --map-run-arn), and the errors the CLI prints.

StartSyncExecution is not exercised here: the CLI prepends the model's host prefix "sync-" to the endpoint's host
("sync-127.0.0.1") and has no option to turn that off (boto3 and the JS SDK do; see test_boto3.py).

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/states/test_cli.py [-v]
"""

import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/states-cli"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "states.amazonaws.com", actions=("sqs:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class StatesCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_state_machine_and_execution(self):
        name = f"cli-{uuid.uuid4().hex[:8]}"
        definition = {"StartAt": "Greet", "States": {
            "Greet": {"Type": "Pass", "Parameters": {"msg.$": "States.Format('hello {}', $.who)"}, "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 1, "End": True}}}
        sm = self.aws_json("stepfunctions", "create-state-machine", "--name", name, "--role-arn", ROLE,
                           "--definition", json.dumps(definition))
        self.assertTrue(sm["stateMachineArn"].endswith(f":stateMachine:{name}"))
        d = self.aws_json("stepfunctions", "describe-state-machine", "--state-machine-arn", sm["stateMachineArn"])
        self.assertEqual((d["status"], d["type"]), ("ACTIVE", "STANDARD"))
        listed = self.aws_json("stepfunctions", "list-state-machines")["stateMachines"]
        self.assertIn(name, [m["name"] for m in listed])
        e = self.aws_json("stepfunctions", "start-execution", "--state-machine-arn", sm["stateMachineArn"],
                          "--name", "first", "--input", json.dumps({"who": "cli"}))
        for _ in range(50):
            x = self.aws_json("stepfunctions", "describe-execution", "--execution-arn", e["executionArn"])
            if x["status"] != "RUNNING":
                break
            time.sleep(0.2)
        self.assertEqual(x["status"], "SUCCEEDED")
        self.assertEqual(json.loads(x["output"]), {"msg": "hello cli"})
        h = self.aws_json("stepfunctions", "get-execution-history", "--execution-arn", e["executionArn"])
        types = [ev["type"] for ev in h["events"]]
        self.assertEqual(types, ["ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
                                 "WaitStateExited", "ExecutionSucceeded"])
        execs = self.aws_json("stepfunctions", "list-executions", "--state-machine-arn", sm["stateMachineArn"],
                              "--status-filter", "SUCCEEDED")["executions"]
        self.assertEqual([x["name"] for x in execs], ["first"])

    def test_errors(self):
        r = self.aws("stepfunctions", "create-state-machine", "--name", "cli-bad", "--role-arn", ROLE,
                     "--definition", '{"StartAt":"A","States":{"A":{"Type":"Pass"}}}', check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidDefinition", r.stderr)
        self.assertIn("SCHEMA_VALIDATION_FAILED", r.stderr)
        r = self.aws("stepfunctions", "describe-execution", "--execution-arn",
                     "arn:aws:states:us-east-1:000000000000:execution:none:none", check=False)
        self.assertIn("ExecutionDoesNotExist", r.stderr)

    def test_map_run(self):
        name = f"cli-map-{uuid.uuid4().hex[:8]}"
        definition = {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "Label": "Squares", "MaxConcurrency": 2, "ToleratedFailurePercentage": 20,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                              "StartAt": "Sq", "States": {"Sq": {
                                  "Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": True}}},
            "End": True}}}
        sm = self.aws_json("stepfunctions", "create-state-machine", "--name", name, "--role-arn", ROLE,
                           "--definition", json.dumps(definition))
        e = self.aws_json("stepfunctions", "start-execution", "--state-machine-arn", sm["stateMachineArn"],
                          "--input", json.dumps([1, 2, 3, 4, 5]))
        for _ in range(100):
            x = self.aws_json("stepfunctions", "describe-execution", "--execution-arn", e["executionArn"])
            if x["status"] != "RUNNING":
                break
            time.sleep(0.2)
        self.assertEqual(x["status"], "SUCCEEDED")
        self.assertEqual(json.loads(x["output"]), [{"v": n} for n in (2, 3, 4, 5, 6)])
        runs = self.aws_json("stepfunctions", "list-map-runs", "--execution-arn", e["executionArn"])["mapRuns"]
        self.assertEqual(len(runs), 1)
        self.assertIn(f":mapRun:{name}/Squares:", runs[0]["mapRunArn"])
        m = self.aws_json("stepfunctions", "describe-map-run", "--map-run-arn", runs[0]["mapRunArn"])
        self.assertEqual((m["status"], m["maxConcurrency"], m["toleratedFailurePercentage"]), ("SUCCEEDED", 2, 20))
        self.assertEqual((m["itemCounts"]["total"], m["executionCounts"]["succeeded"]), (5, 5))
        kids = self.aws_json("stepfunctions", "list-executions", "--map-run-arn", runs[0]["mapRunArn"])["executions"]
        self.assertEqual(len(kids), 5)
        r = self.aws("stepfunctions", "describe-map-run", "--map-run-arn",
                     runs[0]["mapRunArn"].rsplit(":", 1)[0] + ":00000000-0000-0000-0000-000000000000", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceNotFound", r.stderr)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
