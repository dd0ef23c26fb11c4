"""Crash test: executions killed (kill -9) during a Wait and while a task token is awaited continue after the
restart: the Wait ends at its time (not restarted), the token is still accepted, and each state ran once; an
activity task queued before the crash is handed to a worker after it; a Distributed Map's Map Run in flight
finishes after the restart, each item run once.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/states/test_crash.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/states-crash"


def sfn(server):
    return harness.boto3_client(server, "stepfunctions", inject_host_prefix=False)


def wait_done(client, arn, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = client.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(0.2)
    raise AssertionError(f"{arn} still running after {timeout}s")


class Crash(unittest.TestCase):
    def test_wait_and_token_survive_kill9(self):
        server = harness.Server().start()
        try:
            harness.create_service_role(server, ROLE, "states.amazonaws.com", actions=("sqs:*",))
            sqs = harness.boto3_client(server, "sqs")
            q = sqs.create_queue(QueueName="crash-tokens")["QueueUrl"]
            c = sfn(server)
            waiting = c.create_state_machine(name="wait-6s", roleArn=ROLE, definition=json.dumps({
                "StartAt": "Before", "States": {
                    "Before": {"Type": "Pass", "Result": {"step": 1}, "Next": "Sleep"},
                    "Sleep": {"Type": "Wait", "Seconds": 6, "Next": "After"},
                    "After": {"Type": "Pass", "Parameters": {"done.$": "$.step"}, "End": True}}}))
            token_sm = c.create_state_machine(name="token", roleArn=ROLE, definition=json.dumps({
                "StartAt": "Ask", "States": {"Ask": {
                    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": q, "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}}))
            t0 = time.time()
            w = c.start_execution(stateMachineArn=waiting["stateMachineArn"])["executionArn"]
            t = c.start_execution(stateMachineArn=token_sm["stateMachineArn"])["executionArn"]
            token = json.loads(sqs.receive_message(QueueUrl=q, WaitTimeSeconds=10)["Messages"][0]["Body"])["token"]
            time.sleep(max(0.0, 2 - (time.time() - t0)))
            server.kill9()
            time.sleep(1)
            server.start()
            c = sfn(server)
            self.assertEqual(c.describe_execution(executionArn=w)["status"], "RUNNING")
            d = wait_done(c, w, timeout=30)
            elapsed = time.time() - t0
            self.assertEqual(d["status"], "SUCCEEDED")
            self.assertEqual(json.loads(d["output"]), {"done": 1})
            # The Wait ended at its time (6 s after it began), not 6 s after the restart.
            self.assertGreaterEqual(elapsed, 5.9)
            self.assertLess(elapsed, 9.5, "the Wait was restarted instead of resumed")
            types = [e["type"] for e in c.get_execution_history(executionArn=w)["events"]]
            self.assertEqual(types.count("WaitStateEntered"), 1)
            self.assertEqual(types.count("PassStateEntered"), 2)
            # The token awaited before the crash is still awaited.
            self.assertEqual(c.describe_execution(executionArn=t)["status"], "RUNNING")
            c.send_task_success(taskToken=token, output=json.dumps({"after": "restart"}))
            d = wait_done(c, t)
            self.assertEqual(json.loads(d["output"]), {"after": "restart"})
            print(f"wait resumed after kill -9, finished at {elapsed:.1f}s", file=sys.stderr)
        finally:
            server.close()

    def test_activity_task_survives_kill9(self):
        server = harness.Server().start()
        try:
            harness.create_service_role(server, ROLE, "states.amazonaws.com")
            c = sfn(server)
            act = c.create_activity(name="crash-worker")["activityArn"]
            sm = c.create_state_machine(name="activity", roleArn=ROLE, definition=json.dumps({
                "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": act, "End": True}}}))
            e = c.start_execution(stateMachineArn=sm["stateMachineArn"], input=json.dumps({"n": 5}))["executionArn"]
            deadline = time.time() + 30
            while time.time() < deadline:  # the task is queued once ActivityScheduled is in the history
                types = [x["type"] for x in c.get_execution_history(executionArn=e)["events"]]
                if "ActivityScheduled" in types:
                    break
                time.sleep(0.1)
            server.kill9()
            server.start()
            c = sfn(server)
            task = c.get_activity_task(activityArn=act, workerName="after-restart")
            self.assertEqual(json.loads(task["input"]), {"n": 5})
            c.send_task_success(taskToken=task["taskToken"], output=json.dumps({"n": 6}))
            d = wait_done(c, e)
            self.assertEqual((d["status"], json.loads(d["output"])), ("SUCCEEDED", {"n": 6}))
        finally:
            server.close()

    def test_map_run_survives_kill9(self):
        server = harness.Server().start()
        try:
            harness.create_service_role(server, ROLE, "states.amazonaws.com")
            c = sfn(server)
            sm = c.create_state_machine(name="map-run", roleArn=ROLE, definition=json.dumps({
                "StartAt": "Each", "States": {"Each": {
                    "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2,
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                      "StartAt": "Nap", "States": {
                                          "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Double"},
                                          "Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"},
                                                     "End": True}}},
                    "End": True}}}))
            items = [{"n": i} for i in range(8)]
            e = c.start_execution(stateMachineArn=sm["stateMachineArn"],
                                  input=json.dumps({"items": items}))["executionArn"]
            deadline = time.time() + 30
            run = None
            while time.time() < deadline:  # kill once the run is under way (some children done, some not)
                runs = c.list_map_runs(executionArn=e)["mapRuns"]
                if runs:
                    run = runs[0]["mapRunArn"]
                    if c.describe_map_run(mapRunArn=run)["itemCounts"]["succeeded"] >= 2:
                        break
                time.sleep(0.1)
            self.assertIsNotNone(run)
            server.kill9()
            server.start()
            c = sfn(server)
            self.assertEqual(c.describe_map_run(mapRunArn=run)["status"], "RUNNING")
            d = wait_done(c, e, timeout=60)
            self.assertEqual(d["status"], "SUCCEEDED", d.get("cause"))
            self.assertEqual(json.loads(d["output"]), [{"n": 2 * i} for i in range(8)])
            m = c.describe_map_run(mapRunArn=run)
            self.assertEqual((m["status"], m["itemCounts"]["succeeded"]), ("SUCCEEDED", 8))
            # Each item ran in one child execution: none was started twice.
            self.assertEqual(len(c.list_executions(mapRunArn=run)["executions"]), 8)
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
