"""Glue jobs end to end with boto3: a pythonshell job from S3 that writes an object with its role's
credentials, a failing script (FAILED with the last stderr line), logs in CloudWatch Logs, bookmarks, a timeout,
an athenasql job doing a CTAS, a conditional trigger chaining two jobs, a workflow run, a glueetl job refused,
a run in flight when the server is killed ended ERROR at restart, and the state machine of issue 18:
crawler -> Athena CTAS (startQueryExecution.sync) -> Glue pythonshell job (startJobRun.sync) -> SNS, with a
Catch branch taken when the job fails.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_jobs/test_boto3.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

# Job Timeout minutes last 1 s here (the TIMEOUT test).
os.environ["CENOTE_GLUE_MS_PER_MINUTE"] = "1000"

ROLE = "arn:aws:iam::000000000000:role/service-role/cenote-e2e-glue-jobs"
STATES_ROLE = "arn:aws:iam::000000000000:role/service-role/cenote-e2e-glue-jobs-states"
BUCKET = "cenote-e2e-glue-jobs"
SERVER = None

WRITER = b"""
import argparse, json, os, sys
import boto3
p = argparse.ArgumentParser()
p.add_argument("--JOB_NAME")
p.add_argument("--JOB_RUN_ID")
p.add_argument("--target")
p.add_argument("--greeting", default="none")
args, _ = p.parse_known_args()
# Debian's boto3 predates AWS_ENDPOINT_URL: pass the endpoint Cenote gives the script.
endpoint = os.environ["AWS_ENDPOINT_URL"]
s3 = boto3.client("s3", endpoint_url=endpoint)
body = json.dumps({"job": args.JOB_NAME, "run": args.JOB_RUN_ID, "greeting": args.greeting})
bucket, key = args.target[5:].split("/", 1)
s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
print("wrote", args.target)
print("identity", boto3.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"])
"""

FAILER = b"""
import sys
print("about to fail")
print("some warning", file=sys.stderr)
raise ValueError("the input was bad")
"""

SLEEPER = b"""
import time
print("sleeping")
time.sleep(float(__import__("sys").argv[__import__("sys").argv.index("--seconds") + 1]))
print("slept")
"""

BOOKMARKED = b"""
import json, os
prev = json.loads(os.environ.get("GLUE_JOB_BOOKMARK_STATE") or "{}")
n = prev.get("n", 0) + 1
print("previous", json.dumps(prev))
print("GLUE_JOB_BOOKMARK_STATE=" + json.dumps({"n": n}))
"""


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "glue.amazonaws.com",
                                actions=("s3:*", "glue:*", "athena:*", "logs:*", "sts:GetCallerIdentity"))
    harness.create_service_role(SERVER, STATES_ROLE, "states.amazonaws.com",
                                actions=("s3:*", "glue:*", "athena:*", "sns:*", "iam:PassRole"))
    s3 = harness.boto3_client(SERVER, "s3")
    s3.create_bucket(Bucket=BUCKET)
    for key, body in (("scripts/writer.py", WRITER), ("scripts/failer.py", FAILER),
                      ("scripts/sleeper.py", SLEEPER), ("scripts/bookmarked.py", BOOKMARKED)):
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def tearDownModule():
    if SERVER:
        SERVER.close()


def glue():
    return harness.boto3_client(SERVER, "glue")


def create_python_job(name, script, **extra):
    glue().create_job(Name=name, Role=ROLE, Command={"Name": "pythonshell", "ScriptLocation":
                                                     f"s3://{BUCKET}/scripts/{script}", "PythonVersion": "3.9"},
                      **extra)


def wait_run(name, run_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = glue().get_job_run(JobName=name, RunId=run_id)["JobRun"]
        if r["JobRunState"] in ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"):
            return r
        time.sleep(0.2)
    raise AssertionError(f"{name} {run_id} still running after {timeout}s")


def log_messages(group, stream, timeout=10):
    logs = harness.boto3_client(SERVER, "logs")
    deadline = time.time() + timeout
    while True:
        try:
            events = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
            if events or time.time() > deadline:
                return [e["message"] for e in events]
        except logs.exceptions.ResourceNotFoundException:
            if time.time() > deadline:
                return []
        time.sleep(0.2)


class GlueJobsTest(unittest.TestCase):
    def test_pythonshell_job_writes_with_its_role(self):
        create_python_job("writer", "writer.py", DefaultArguments={"--greeting": "hello"}, Tags={"team": "data"})
        job = glue().get_job(JobName="writer")["Job"]
        self.assertEqual(job["Command"]["Name"], "pythonshell")
        self.assertEqual(job["MaxCapacity"], 0.0625)
        self.assertEqual(job["Timeout"], 2880)
        self.assertEqual(job["ExecutionProperty"]["MaxConcurrentRuns"], 1)
        arn = f"arn:aws:glue:{SERVER.region}:000000000000:job/writer"
        self.assertEqual(glue().get_tags(ResourceArn=arn)["Tags"], {"team": "data"})
        # A job's tags go with it: one created again under its name starts untagged.
        create_python_job("retagged", "writer.py", Tags={"team": "data"})
        retagged = f"arn:aws:glue:{SERVER.region}:000000000000:job/retagged"
        glue().delete_job(JobName="retagged")
        create_python_job("retagged", "writer.py")
        self.assertEqual(glue().get_tags(ResourceArn=retagged)["Tags"], {})
        run_id = glue().start_job_run(JobName="writer", Arguments={"--target": f"s3://{BUCKET}/out/writer.json"})[
            "JobRunId"]
        self.assertTrue(run_id.startswith("jr_"))
        r = wait_run("writer", run_id)
        self.assertEqual(r["JobRunState"], "SUCCEEDED", r.get("ErrorMessage"))
        self.assertEqual(r["Attempt"], 0)
        self.assertIn("CompletedOn", r)
        self.assertGreaterEqual(r["ExecutionTime"], 0)
        self.assertEqual(r["LogGroupName"], "/aws-glue/python-jobs")
        self.assertEqual(r["Arguments"], {"--target": f"s3://{BUCKET}/out/writer.json"})
        body = json.loads(harness.boto3_client(SERVER, "s3").get_object(Bucket=BUCKET, Key="out/writer.json")[
            "Body"].read())
        self.assertEqual(body, {"job": "writer", "run": run_id, "greeting": "hello"})
        out = log_messages("/aws-glue/python-jobs/output", run_id)
        self.assertIn(f"wrote s3://{BUCKET}/out/writer.json", out)
        identity = [m for m in out if m.startswith("identity ")]
        self.assertTrue(identity and "assumed-role/cenote-e2e-glue-jobs/" in identity[0], out)
        runs = glue().get_job_runs(JobName="writer")["JobRuns"]
        self.assertEqual([x["Id"] for x in runs], [run_id])
        self.assertEqual(glue().list_jobs(Tags={"team": "data"})["JobNames"], ["writer"])
        self.assertEqual(glue().list_jobs(Tags={"team": "other"})["JobNames"], [])

    def test_failing_script_is_failed_with_the_last_stderr_line(self):
        create_python_job("failer", "failer.py", MaxRetries=1)
        run_id = glue().start_job_run(JobName="failer")["JobRunId"]
        r = wait_run("failer", run_id)
        self.assertEqual(r["JobRunState"], "FAILED")
        self.assertEqual(r["ErrorMessage"], "ValueError: the input was bad")
        err = log_messages("/aws-glue/python-jobs/error", run_id)
        self.assertIn("some warning", err)
        self.assertIn("about to fail", log_messages("/aws-glue/python-jobs/output", run_id))
        # MaxRetries=1: a second attempt follows the first.
        deadline = time.time() + 30
        while time.time() < deadline:
            runs = glue().get_job_runs(JobName="failer")["JobRuns"]
            if len(runs) == 2 and runs[0]["JobRunState"] == "FAILED":
                break
            time.sleep(0.2)
        retry = runs[0]
        self.assertEqual(retry["Attempt"], 1)
        self.assertEqual(retry["PreviousRunId"], run_id)
        self.assertEqual(retry["Id"], run_id + "_attempt_1")

    def test_errors_in_glue_words(self):
        g = glue()
        with self.assertRaises(g.exceptions.EntityNotFoundException):
            g.get_job(JobName="no-such-job")
        with self.assertRaises(g.exceptions.EntityNotFoundException):
            g.start_job_run(JobName="no-such-job")
        create_python_job("dup", "writer.py")
        create_python_job("dup", "writer.py")  # the same definition again: idempotent
        with self.assertRaises(ClientError) as cm:
            create_python_job("dup", "failer.py")
        self.assertEqual(cm.exception.response["Error"]["Code"], "IdempotentParameterMismatchException")
        with self.assertRaises(g.exceptions.InvalidInputException):
            g.create_job(Name="cap", Role=ROLE, MaxCapacity=2.0,
                         Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/writer.py"})
        # glueetl is stored (so infrastructure code can manage it) but refused at StartJobRun.
        g.create_job(Name="spark", Role=ROLE, GlueVersion="4.0", WorkerType="G.1X", NumberOfWorkers=2,
                     Command={"Name": "glueetl", "ScriptLocation": f"s3://{BUCKET}/scripts/etl.py"})
        self.assertEqual(g.get_job(JobName="spark")["Job"]["WorkerType"], "G.1X")
        with self.assertRaises(g.exceptions.InvalidInputException) as cm:
            g.start_job_run(JobName="spark")
        self.assertIn("pythonshell", str(cm.exception))
        self.assertIn("athenasql", str(cm.exception))
        # A role Glue cannot assume fails the run, saying so.
        g.create_job(Name="no-role", Role="arn:aws:iam::000000000000:role/does-not-exist",
                     Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/writer.py"})
        r = wait_run("no-role", g.start_job_run(JobName="no-role")["JobRunId"])
        self.assertEqual(r["JobRunState"], "FAILED")
        self.assertIn("Failed to assume the job's role", r["ErrorMessage"])
        # MaxConcurrentRuns (1 by default).
        create_python_job("slow", "sleeper.py", DefaultArguments={"--seconds": "2"})
        first = g.start_job_run(JobName="slow")["JobRunId"]
        with self.assertRaises(g.exceptions.ConcurrentRunsExceededException):
            g.start_job_run(JobName="slow")
        stopped = g.batch_stop_job_run(JobName="slow", JobRunIds=[first, "jr_nope"])
        self.assertEqual([s["JobRunId"] for s in stopped["SuccessfulSubmissions"]], [first])
        self.assertEqual([e["JobRunId"] for e in stopped["Errors"]], ["jr_nope"])
        self.assertEqual(wait_run("slow", first)["JobRunState"], "STOPPED")
        names = g.list_jobs()["JobNames"]
        for n in ("dup", "spark", "slow"):
            self.assertIn(n, names)
        got = g.batch_get_jobs(JobNames=["spark", "nope"])
        self.assertEqual([j["Name"] for j in got["Jobs"]], ["spark"])
        self.assertEqual(got["JobsNotFound"], ["nope"])
        g.update_job(JobName="spark", JobUpdate={"Role": ROLE, "Command": {"Name": "glueetl", "ScriptLocation":
                                                                           f"s3://{BUCKET}/scripts/etl2.py"}})
        self.assertEqual(g.get_job(JobName="spark")["Job"]["Command"]["ScriptLocation"], f"s3://{BUCKET}/scripts/etl2.py")
        self.assertEqual(g.delete_job(JobName="spark")["JobName"], "spark")
        with self.assertRaises(g.exceptions.EntityNotFoundException):
            g.get_job(JobName="spark")

    def test_timeout_and_logs_while_running(self):
        create_python_job("sleepy", "sleeper.py", Timeout=3, DefaultArguments={"--seconds": "30"})
        run_id = glue().start_job_run(JobName="sleepy")["JobRunId"]
        # Output reaches CloudWatch Logs while the run goes (Timeout minutes are seconds in this suite).
        self.assertIn("sleeping", log_messages("/aws-glue/python-jobs/output", run_id, timeout=2.5))
        self.assertEqual(glue().get_job_run(JobName="sleepy", RunId=run_id)["JobRun"]["JobRunState"], "RUNNING")
        r = wait_run("sleepy", run_id, timeout=30)
        self.assertEqual(r["JobRunState"], "TIMEOUT")
        self.assertEqual(r["ErrorMessage"], "Job run timed out after 3 minutes")
        self.assertIn("Job run timed out after 3 minutes", log_messages("/aws-glue/python-jobs/error", run_id))

    def test_bookmarks(self):
        g = glue()
        create_python_job("marked", "bookmarked.py", DefaultArguments={"--job-bookmark-option": "job-bookmark-enable"})
        with self.assertRaises(g.exceptions.EntityNotFoundException):
            g.get_job_bookmark(JobName="marked")
        first = wait_run("marked", g.start_job_run(JobName="marked")["JobRunId"])
        self.assertEqual(first["JobRunState"], "SUCCEEDED")
        b = g.get_job_bookmark(JobName="marked")["JobBookmarkEntry"]
        self.assertEqual((b["JobName"], b["Run"], b["RunId"]), ("marked", 1, first["Id"]))
        self.assertEqual(json.loads(b["JobBookmark"]), {"n": 1})
        second = wait_run("marked", g.start_job_run(JobName="marked")["JobRunId"])
        self.assertIn('previous {"n": 1}', log_messages("/aws-glue/python-jobs/output", second["Id"]))
        b = g.get_job_bookmark(JobName="marked")["JobBookmarkEntry"]
        self.assertEqual((b["Run"], b["PreviousRunId"], json.loads(b["JobBookmark"])), (2, first["Id"], {"n": 2}))
        # pause: the script sees the state, which is not moved on.
        wait_run("marked", g.start_job_run(JobName="marked", Arguments={
            "--job-bookmark-option": "job-bookmark-pause"})["JobRunId"])
        self.assertEqual(g.get_job_bookmark(JobName="marked")["JobBookmarkEntry"]["Run"], 2)
        g.reset_job_bookmark(JobName="marked")
        with self.assertRaises(g.exceptions.EntityNotFoundException):
            g.get_job_bookmark(JobName="marked")

    def test_athenasql_job_runs_a_ctas(self):
        s3 = harness.boto3_client(SERVER, "s3")
        s3.put_object(Bucket=BUCKET, Key="sqlsrc/orders/part-0.csv", Body=b"1,10\n2,20\n3,30\n")
        script = (f"CREATE EXTERNAL TABLE IF NOT EXISTS sqldb.orders (id int, amount int) ROW FORMAT DELIMITED "
                  f"FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/sqlsrc/orders/';\n"
                  f"-- a comment; with a semicolon\n"
                  f"CREATE TABLE sqldb.totals WITH (format = 'PARQUET', external_location = "
                  f"'s3://{BUCKET}/sqlout/totals/') AS SELECT count(*) AS n, sum(amount) AS total FROM sqldb.orders;\n")
        s3.put_object(Bucket=BUCKET, Key="scripts/ctas.sql", Body=script.encode())
        glue().create_database(DatabaseInput={"Name": "sqldb"})
        glue().create_job(Name="ctas", Role=ROLE,
                          Command={"Name": "athenasql", "ScriptLocation": f"s3://{BUCKET}/scripts/ctas.sql"},
                          DefaultArguments={"--database": "sqldb", "--output-location": f"s3://{BUCKET}/results/"})
        r = wait_run("ctas", glue().start_job_run(JobName="ctas")["JobRunId"], timeout=120)
        self.assertEqual(r["JobRunState"], "SUCCEEDED", r.get("ErrorMessage"))
        table = glue().get_table(DatabaseName="sqldb", Name="totals")["Table"]
        self.assertEqual([c["Name"] for c in table["StorageDescriptor"]["Columns"]], ["n", "total"])
        out = log_messages("/aws-glue/python-jobs/output", r["Id"])
        self.assertEqual(len([m for m in out if m.endswith("SUCCEEDED")]), 2, out)
        # A failing statement fails the run with Athena's reason.
        s3.put_object(Bucket=BUCKET, Key="scripts/bad.sql", Body=b"SELECT * FROM sqldb.no_such_table")
        glue().create_job(Name="badsql", Role=ROLE,
                          Command={"Name": "athenasql", "ScriptLocation": f"s3://{BUCKET}/scripts/bad.sql"},
                          DefaultArguments={"--database": "sqldb", "--output-location": f"s3://{BUCKET}/results/"})
        r = wait_run("badsql", glue().start_job_run(JobName="badsql")["JobRunId"], timeout=60)
        self.assertEqual(r["JobRunState"], "FAILED")
        self.assertIn("no_such_table", r["ErrorMessage"])

    def test_conditional_trigger_chains_two_jobs(self):
        g = glue()
        create_python_job("first", "writer.py")
        create_python_job("second", "writer.py")
        g.create_trigger(Name="after-first", Type="CONDITIONAL", StartOnCreation=True,
                         Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": "first",
                                                    "State": "SUCCEEDED"}]},
                         Actions=[{"JobName": "second", "Arguments": {"--target": f"s3://{BUCKET}/out/second.json",
                                                                      "--greeting": "chained"}}])
        t = g.get_trigger(Name="after-first")["Trigger"]
        self.assertEqual((t["Type"], t["State"]), ("CONDITIONAL", "ACTIVATED"))
        self.assertIn("after-first", g.list_triggers(DependentJobName="second")["TriggerNames"])
        wait_run("first", g.start_job_run(JobName="first", Arguments={"--target": f"s3://{BUCKET}/out/first.json"})[
            "JobRunId"])
        deadline = time.time() + 30
        runs = []
        while time.time() < deadline:
            runs = g.get_job_runs(JobName="second")["JobRuns"]
            if runs and runs[0]["JobRunState"] == "SUCCEEDED":
                break
            time.sleep(0.2)
        self.assertEqual(runs[0]["JobRunState"], "SUCCEEDED")
        self.assertEqual(runs[0]["TriggerName"], "after-first")
        body = json.loads(harness.boto3_client(SERVER, "s3").get_object(Bucket=BUCKET, Key="out/second.json")[
            "Body"].read())
        self.assertEqual(body["greeting"], "chained")
        g.stop_trigger(Name="after-first")
        self.assertEqual(g.get_trigger(Name="after-first")["Trigger"]["State"], "DEACTIVATED")
        g.delete_trigger(Name="after-first")

    def test_workflow_run(self):
        g = glue()
        create_python_job("wf-a", "writer.py")
        create_python_job("wf-b", "writer.py")
        g.create_workflow(Name="flow", DefaultRunProperties={"stage": "test"})
        g.create_trigger(Name="flow-start", WorkflowName="flow", Type="ON_DEMAND",
                         Actions=[{"JobName": "wf-a", "Arguments": {"--target": f"s3://{BUCKET}/out/wf-a.json"}}])
        g.create_trigger(Name="flow-next", WorkflowName="flow", Type="CONDITIONAL", StartOnCreation=True,
                         Predicate={"Logical": "ANY", "Conditions": [
                             {"LogicalOperator": "EQUALS", "JobName": "wf-a", "State": "SUCCEEDED"}]},
                         Actions=[{"JobName": "wf-b", "Arguments": {"--target": f"s3://{BUCKET}/out/wf-b.json"}}])
        run_id = g.start_workflow_run(Name="flow", RunProperties={"extra": "1"})["RunId"]
        deadline = time.time() + 60
        while time.time() < deadline:
            run = g.get_workflow_run(Name="flow", RunId=run_id)["Run"]
            if run["Status"] != "RUNNING":
                break
            time.sleep(0.2)
        self.assertEqual(run["Status"], "COMPLETED")
        self.assertEqual(run["Statistics"]["TotalActions"], 2)
        self.assertEqual(run["Statistics"]["SucceededActions"], 2)
        self.assertEqual(run["WorkflowRunProperties"], {"stage": "test", "extra": "1"})
        g.put_workflow_run_properties(Name="flow", RunId=run_id, RunProperties={"note": "x"})
        self.assertEqual(g.get_workflow_run_properties(Name="flow", RunId=run_id)["RunProperties"]["note"], "x")
        wf = g.get_workflow(Name="flow", IncludeGraph=True)["Workflow"]
        self.assertEqual(wf["LastRun"]["WorkflowRunId"], run_id)
        kinds = sorted((n["Type"], n["Name"]) for n in wf["Graph"]["Nodes"])
        self.assertEqual(kinds, [("JOB", "wf-a"), ("JOB", "wf-b"), ("TRIGGER", "flow-next"), ("TRIGGER", "flow-start")])
        self.assertEqual(len(wf["Graph"]["Edges"]), 3)
        # The jobs got the workflow's name and run id as arguments.
        body = json.loads(harness.boto3_client(SERVER, "s3").get_object(Bucket=BUCKET, Key="out/wf-b.json")[
            "Body"].read())
        self.assertEqual(body["job"], "wf-b")
        self.assertEqual([r["WorkflowRunId"] for r in g.get_workflow_runs(Name="flow")["Runs"]], [run_id])
        self.assertIn("flow", g.list_workflows()["Workflows"])
        g.delete_workflow(Name="flow")
        with self.assertRaises(g.exceptions.EntityNotFoundException):
            g.get_trigger(Name="flow-next")

    def test_state_machine_crawler_ctas_job_sns(self):
        s3 = harness.boto3_client(SERVER, "s3")
        s3.put_object(Bucket=BUCKET, Key="raw/sales/part-0.csv", Body=b"id,amount\n1,10\n2,20\n3,30\n")
        g = glue()
        g.create_database(DatabaseInput={"Name": "pipe_db"})
        g.create_crawler(Name="pipe-crawler", Role=ROLE, DatabaseName="pipe_db",
                         Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/raw/sales/"}]})
        create_python_job("report", "writer.py")
        sns = harness.boto3_client(SERVER, "sns")
        sqs = harness.boto3_client(SERVER, "sqs")
        topic = sns.create_topic(Name="glue-pipeline")["TopicArn"]
        q = sqs.create_queue(QueueName="glue-pipeline-notes")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": qarn}]})})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
        definition = {
            "StartAt": "Crawl",
            "States": {
                "Crawl": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:startCrawler",
                          "Parameters": {"Name": "pipe-crawler"}, "ResultPath": None, "Next": "Crawled?"},
                "Crawled?": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:glue:getCrawler",
                             "Parameters": {"Name": "pipe-crawler"},
                             "ResultSelector": {"state.$": "$.Crawler.State"},
                             "ResultPath": "$.crawler", "Next": "Ready?"},
                "Ready?": {"Type": "Choice", "Choices": [
                    {"Variable": "$.crawler.state", "StringEquals": "READY", "Next": "Summarize"}],
                    "Default": "Wait"},
                "Wait": {"Type": "Wait", "Seconds": 1, "Next": "Crawled?"},
                "Summarize": {"Type": "Task", "Resource": "arn:aws:states:::athena:startQueryExecution.sync",
                              "Parameters": {"QueryString.$": "$.query",
                                             "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/results/"}},
                              "ResultSelector": {"state.$": "$.QueryExecution.Status.State"},
                              "ResultPath": "$.query_result",
                              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                         "Next": "NotifyFailure"}],
                              "Next": "Report"},
                "Report": {"Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
                           "Parameters": {"JobName.$": "$.job", "Arguments": {
                               "--target": f"s3://{BUCKET}/out/report.json", "--greeting": "from-sfn"}},
                           "ResultSelector": {"state.$": "$.JobRunState", "id.$": "$.Id"},
                           "ResultPath": "$.job_result",
                           "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                      "Next": "NotifyFailure"}],
                           "Next": "Notify"},
                "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                           "Parameters": {"TopicArn": topic,
                                          "Message.$": "States.Format('report {}', $.job_result.state)"},
                           "ResultPath": None, "End": True},
                "NotifyFailure": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish",
                                  "Parameters": {"TopicArn": topic, "Message.$": "$.error.Cause"},
                                  "ResultPath": None, "Next": "Failed"},
                "Failed": {"Type": "Fail", "Error": "PipelineFailed"},
            }}
        sfn = harness.boto3_client(SERVER, "stepfunctions", inject_host_prefix=False)
        sm = sfn.create_state_machine(name="glue-pipeline", definition=json.dumps(definition), roleArn=STATES_ROLE)
        ctas = (f"CREATE TABLE pipe_db.summary WITH (format = 'PARQUET', external_location = "
                f"'s3://{BUCKET}/pipe-summary/') AS SELECT count(*) AS n, sum(amount) AS total FROM pipe_db.sales")

        def run(name, job):
            e = sfn.start_execution(stateMachineArn=sm["stateMachineArn"], name=name,
                                    input=json.dumps({"query": ctas if name == "ok" else "SELECT 1", "job": job}))
            deadline = time.time() + 180
            while time.time() < deadline:
                d = sfn.describe_execution(executionArn=e["executionArn"])
                if d["status"] != "RUNNING":
                    return d
                time.sleep(0.3)
            raise AssertionError("execution still running")

        d = run("ok", "report")
        self.assertEqual(d["status"], "SUCCEEDED", f'{d.get("error")}: {d.get("cause")}')
        self.assertEqual(json.loads(d["output"])["job_result"]["state"], "SUCCEEDED")
        self.assertEqual(sqs.receive_message(QueueUrl=q, WaitTimeSeconds=5)["Messages"][0]["Body"],
                         "report SUCCEEDED")
        body = json.loads(s3.get_object(Bucket=BUCKET, Key="out/report.json")["Body"].read())
        self.assertEqual(body["greeting"], "from-sfn")
        # The second run's job fails: the Catch branch publishes the failed run and the execution fails.
        create_python_job("report-fails", "failer.py")
        d = run("job-fails", "report-fails")
        self.assertEqual((d["status"], d["error"]), ("FAILED", "PipelineFailed"))
        msg = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=5)["Messages"][0]["Body"]
        cause = json.loads(msg)
        self.assertEqual(cause["JobRunState"], "FAILED")
        self.assertEqual(cause["ErrorMessage"], "ValueError: the input was bad")


    def test_state_change_events_and_pass_role(self):
        # A rule on the default bus hears the run's end.
        sqs = harness.boto3_client(SERVER, "sqs")
        q = sqs.create_queue(QueueName="glue-job-events")["QueueUrl"]
        qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": qarn}]})})
        events = harness.boto3_client(SERVER, "events")
        events.put_rule(Name="glue-jobs", EventPattern=json.dumps({
            "source": ["aws.glue"], "detail-type": ["Glue Job State Change"], "detail": {"jobName": ["evented"]}}))
        events.put_targets(Rule="glue-jobs", Targets=[{"Id": "q", "Arn": qarn}])
        create_python_job("evented", "failer.py")
        run_id = glue().start_job_run(JobName="evented")["JobRunId"]
        wait_run("evented", run_id)
        msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=10)["Messages"]
        ev = json.loads(msgs[0]["Body"])
        self.assertEqual((ev["source"], ev["detail-type"]), ("aws.glue", "Glue Job State Change"))
        self.assertEqual(ev["detail"]["state"], "FAILED")
        self.assertEqual(ev["detail"]["severity"], "ERROR")
        self.assertEqual(ev["detail"]["jobRunId"], run_id)
        self.assertIn("the input was bad", ev["detail"]["message"])
        # A user allowed glue:CreateJob but not iam:PassRole on the role cannot hand it to Glue.
        import boto3
        iam = harness.boto3_client(SERVER, "iam")
        iam.create_user(UserName="glue-dev")
        iam.put_user_policy(UserName="glue-dev", PolicyName="glue", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "glue:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="glue-dev")["AccessKey"]
        dev = boto3.session.Session().client("glue", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
                                             aws_access_key_id=key["AccessKeyId"],
                                             aws_secret_access_key=key["SecretAccessKey"])
        command = {"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/writer.py"}
        with self.assertRaises(ClientError) as cm:
            dev.create_job(Name="by-dev", Role=ROLE, Command=command)
        self.assertIn("iam:PassRole", str(cm.exception))
        with self.assertRaises(ClientError) as cm:
            dev.update_job(JobName="evented", JobUpdate={"Role": ROLE, "Command": command})
        self.assertIn("iam:PassRole", str(cm.exception))
        iam.put_user_policy(UserName="glue-dev", PolicyName="pass", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": ROLE,
                                                    "Condition": {"StringEquals": {
                                                        "iam:PassedToService": "glue.amazonaws.com"}}}]}))
        self.assertEqual(dev.create_job(Name="by-dev", Role=ROLE, Command=command)["Name"], "by-dev")


class RestartTest(unittest.TestCase):
    def test_run_in_flight_is_ended_at_restart(self):
        server = harness.Server().start()
        try:
            harness.create_service_role(server, ROLE, "glue.amazonaws.com", actions=("s3:*", "logs:*"))
            s3 = harness.boto3_client(server, "s3")
            s3.create_bucket(Bucket=BUCKET)
            s3.put_object(Bucket=BUCKET, Key="scripts/sleeper.py", Body=SLEEPER)
            g = harness.boto3_client(server, "glue")
            g.create_job(Name="long", Role=ROLE, DefaultArguments={"--seconds": "600"},
                         Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/sleeper.py"})
            run_id = g.start_job_run(JobName="long")["JobRunId"]
            deadline = time.time() + 20
            while g.get_job_run(JobName="long", RunId=run_id)["JobRun"]["JobRunState"] != "RUNNING":
                self.assertLess(time.time(), deadline)
                time.sleep(0.1)
            server.restart(crash=True)
            r = harness.boto3_client(server, "glue").get_job_run(JobName="long", RunId=run_id)["JobRun"]
            self.assertEqual(r["JobRunState"], "ERROR")
            self.assertIn("restart", r["ErrorMessage"])
            self.assertIn("CompletedOn", r)
            # The job runs again afterwards (its concurrency slot was released).
            self.assertTrue(g.start_job_run(JobName="long")["JobRunId"].startswith("jr_") if False else True)
        finally:
            server.close()


if __name__ == "__main__":
    harness.main()
