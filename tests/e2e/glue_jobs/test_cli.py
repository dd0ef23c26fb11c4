"""Glue jobs end to end with the AWS CLI v2: create a pythonshell job whose script is in S3, start a run and
follow it to SUCCEEDED with get-job-run, read its output with `aws logs get-log-events`, a glueetl job refused
by start-job-run, an on-demand trigger, a workflow run, and the errors the CLI prints.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/glue_jobs/test_cli.py [-v]
"""

import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/glue-jobs-cli"
BUCKET = "glue-jobs-cli"
SCRIPT = b"""
import argparse
p = argparse.ArgumentParser()
p.add_argument("--JOB_NAME")
p.add_argument("--who", default="nobody")
a, _ = p.parse_known_args()
print(f"hello {a.who} from {a.JOB_NAME}")
"""


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "glue.amazonaws.com", actions=("s3:*", "logs:*"))
    s3 = harness.boto3_client(SERVER, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="hello.py", Body=SCRIPT)


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class GlueJobsCli(harness.CliCase):
    def server(self):
        return SERVER

    def wait(self, job, run_id):
        for _ in range(300):
            r = self.aws_json("glue", "get-job-run", "--job-name", job, "--run-id", run_id)["JobRun"]
            if r["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING"):
                return r
            time.sleep(0.2)
        raise AssertionError("run did not end")

    def test_job_run_and_logs(self):
        out = self.aws_json("glue", "create-job", "--name", "cli-hello", "--role", ROLE, "--command",
                            json.dumps({"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/hello.py",
                                        "PythonVersion": "3.9"}),
                            "--default-arguments", json.dumps({"--who": "cli"}))
        self.assertEqual(out["Name"], "cli-hello")
        job = self.aws_json("glue", "get-job", "--job-name", "cli-hello")["Job"]
        self.assertEqual(job["DefaultArguments"], {"--who": "cli"})
        run_id = self.aws_json("glue", "start-job-run", "--job-name", "cli-hello")["JobRunId"]
        r = self.wait("cli-hello", run_id)
        self.assertEqual(r["JobRunState"], "SUCCEEDED", r.get("ErrorMessage"))
        events = self.aws_json("logs", "get-log-events", "--log-group-name", "/aws-glue/python-jobs/output",
                               "--log-stream-name", run_id, "--start-from-head")["events"]
        self.assertIn("hello cli from cli-hello", [e["message"] for e in events])
        runs = self.aws_json("glue", "get-job-runs", "--job-name", "cli-hello")["JobRuns"]
        self.assertEqual(runs[0]["Id"], run_id)
        # An on-demand trigger starts the job with its own arguments.
        self.aws_json("glue", "create-trigger", "--name", "cli-now", "--type", "ON_DEMAND", "--actions",
                      json.dumps([{"JobName": "cli-hello", "Arguments": {"--who": "trigger"}}]))
        self.aws_json("glue", "start-trigger", "--name", "cli-now")
        for _ in range(100):
            runs = self.aws_json("glue", "get-job-runs", "--job-name", "cli-hello")["JobRuns"]
            if len(runs) == 2 and runs[0]["JobRunState"] == "SUCCEEDED":
                break
            time.sleep(0.2)
        self.assertEqual(runs[0].get("TriggerName"), "cli-now")
        # A workflow run over the same trigger shape.
        self.aws_json("glue", "create-workflow", "--name", "cli-flow")
        self.aws_json("glue", "create-trigger", "--name", "cli-flow-start", "--workflow-name", "cli-flow",
                      "--type", "ON_DEMAND", "--actions", json.dumps([{"JobName": "cli-hello"}]))
        wr = self.aws_json("glue", "start-workflow-run", "--name", "cli-flow")["RunId"]
        for _ in range(100):
            run = self.aws_json("glue", "get-workflow-run", "--name", "cli-flow", "--run-id", wr)["Run"]
            if run["Status"] != "RUNNING":
                break
            time.sleep(0.2)
        self.assertEqual(run["Status"], "COMPLETED")
        self.assertEqual(run["Statistics"]["SucceededActions"], 1)

    def test_errors(self):
        r = self.aws("glue", "get-job", "--job-name", "cli-none", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("EntityNotFoundException", r.stderr)
        self.aws_json("glue", "create-job", "--name", "cli-spark", "--role", ROLE, "--command",
                      json.dumps({"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/etl.py"}))
        r = self.aws("glue", "start-job-run", "--job-name", "cli-spark", check=False)
        self.assertIn("InvalidInputException", r.stderr)
        self.assertIn("pythonshell", r.stderr)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
