"""Glue EVENT triggers with boto3: a workflow started by Amazon EventBridge ("Starting a workflow with an Amazon
EventBridge event"). S3 sends its events to EventBridge (EventBridgeConfiguration); a rule on `Object Created` for
a prefix targets the workflow (arn:aws:glue:<region>:<account>:workflow/<name>, RoleArn allowed glue:notifyEvent);
the workflow's EVENT trigger batches the events (EventBatchingCondition) and its run starts the trigger's job.

- BatchSize 2: one object starts nothing; the second starts a run at once (StartingEventBatchCondition.BatchSize,
  run property aws:eventIds listing both events' ids) whose pythonshell job run SUCCEEDS.
- BatchWindow 2 s with BatchSize 10: one object starts a run once the window expires (BatchWindow).
- A target role without glue:notifyEvent starts no run; the event goes to the target's dead-letter queue.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_jobs/test_event_triggers.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402

SERVER = None
ACCOUNT = None
BUCKET = "cenote-e2e-glue-events"
JOB_ROLE = None
EVENTS_ROLE = None
WEAK_ROLE = None

SCRIPT = b"""
import sys
print("started by", " ".join(sys.argv[1:]))
"""


def setUpModule():
    global SERVER, ACCOUNT, JOB_ROLE, EVENTS_ROLE, WEAK_ROLE
    SERVER = harness.Server().start()
    ACCOUNT = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
    JOB_ROLE = f"arn:aws:iam::{ACCOUNT}:role/glue-events-job"
    EVENTS_ROLE = f"arn:aws:iam::{ACCOUNT}:role/events-to-glue"
    WEAK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/events-without-glue"
    harness.create_service_role(SERVER, JOB_ROLE, "glue.amazonaws.com", actions=("s3:*", "logs:*"))
    harness.create_service_role(SERVER, EVENTS_ROLE, "events.amazonaws.com", actions=("glue:notifyEvent",))
    harness.create_service_role(SERVER, WEAK_ROLE, "events.amazonaws.com", actions=("glue:GetWorkflow",))
    s3 = harness.boto3_client(SERVER, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="scripts/job.py", Body=SCRIPT)
    s3.put_bucket_notification_configuration(Bucket=BUCKET,
                                             NotificationConfiguration={"EventBridgeConfiguration": {}})


def tearDownModule():
    if SERVER:
        SERVER.close()


def glue():
    return harness.boto3_client(SERVER, "glue")


def events():
    return harness.boto3_client(SERVER, "events")


def workflow_with_event_trigger(name, condition):
    glue().create_job(Name=name + "-job", Role=JOB_ROLE,
                      Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/job.py",
                               "PythonVersion": "3.9"})
    glue().create_workflow(Name=name)
    glue().create_trigger(Name=name + "-trigger", WorkflowName=name, Type="EVENT", StartOnCreation=True,
                          EventBatchingCondition=condition, Actions=[{"JobName": name + "-job"}])
    trigger = glue().get_trigger(Name=name + "-trigger")["Trigger"]
    assert trigger["State"] == "ACTIVATED" and trigger["EventBatchingCondition"] == condition, trigger


def route(name, prefix, role, dlq_arn=None):
    events().put_rule(Name=name, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [BUCKET]}, "object": {"key": [{"prefix": prefix}]}}}))
    target = {"Id": "workflow", "Arn": f"arn:aws:glue:{SERVER.region}:{ACCOUNT}:workflow/{name}", "RoleArn": role}
    if dlq_arn:
        target["DeadLetterConfig"] = {"Arn": dlq_arn}
    out = events().put_targets(Rule=name, Targets=[target])
    assert out["FailedEntryCount"] == 0, out


def wait_runs(workflow, count, timeout=30):
    deadline = time.time() + timeout
    while True:
        runs = glue().get_workflow_runs(Name=workflow)["Runs"]
        if len(runs) >= count or time.time() > deadline:
            return runs
        time.sleep(0.2)


def wait_completed(workflow, run_id, timeout=60):
    deadline = time.time() + timeout
    while True:
        run = glue().get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
        if run["Status"] != "RUNNING" or time.time() > deadline:
            return run
        time.sleep(0.2)


class EventTriggers(unittest.TestCase):
    def test_batch_size_starts_a_run_with_the_event_ids(self):
        name = "on-upload"
        workflow_with_event_trigger(name, {"BatchSize": 2, "BatchWindow": 900})
        route(name, "incoming/", EVENTS_ROLE)
        s3 = harness.boto3_client(SERVER, "s3")
        s3.put_object(Bucket=BUCKET, Key="incoming/a.csv", Body=b"a\n")
        s3.put_object(Bucket=BUCKET, Key="other/ignored.csv", Body=b"x\n")  # not matched by the rule
        time.sleep(2)
        self.assertEqual(glue().get_workflow_runs(Name=name)["Runs"], [])
        s3.put_object(Bucket=BUCKET, Key="incoming/b.csv", Body=b"b\n")
        runs = wait_runs(name, 1)
        self.assertEqual(len(runs), 1)
        run = wait_completed(name, runs[0]["WorkflowRunId"])
        self.assertEqual(run["Status"], "COMPLETED")
        self.assertEqual(run["StartingEventBatchCondition"], {"BatchSize": 2})
        props = glue().get_workflow_run_properties(Name=name, RunId=run["WorkflowRunId"])["RunProperties"]
        ids = json.loads(props["aws:eventIds"])
        self.assertEqual(len(ids), 2)
        self.assertEqual(len(set(ids)), 2)
        self.assertEqual(run["Statistics"]["SucceededActions"], 1)
        job_runs = glue().get_job_runs(JobName=name + "-job")["JobRuns"]
        self.assertEqual(len(job_runs), 1)
        self.assertEqual(job_runs[0]["JobRunState"], "SUCCEEDED")
        self.assertEqual(job_runs[0]["TriggerName"], name + "-trigger")

    def test_batch_window_starts_a_run_with_what_came(self):
        name = "on-drop"
        workflow_with_event_trigger(name, {"BatchSize": 10, "BatchWindow": 2})
        route(name, "dropped/", EVENTS_ROLE)
        started = time.time()
        harness.boto3_client(SERVER, "s3").put_object(Bucket=BUCKET, Key="dropped/one.json", Body=b"{}")
        runs = wait_runs(name, 1)
        self.assertEqual(len(runs), 1)
        self.assertGreaterEqual(time.time() - started, 1.5)
        run = wait_completed(name, runs[0]["WorkflowRunId"])
        self.assertEqual(run["StartingEventBatchCondition"], {"BatchWindow": 2})
        self.assertEqual(len(json.loads(run["WorkflowRunProperties"]["aws:eventIds"])), 1)
        self.assertEqual(run["Status"], "COMPLETED")

    def test_role_without_notify_event_starts_nothing(self):
        name = "on-denied"
        workflow_with_event_trigger(name, {"BatchSize": 1})
        sqs = harness.boto3_client(SERVER, "sqs")
        queue = sqs.create_queue(QueueName="glue-events-dlq")["QueueUrl"]
        dlq = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=queue, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
                                                    "Action": "sqs:SendMessage", "Resource": dlq}]})})
        route(name, "denied/", WEAK_ROLE, dlq)
        harness.boto3_client(SERVER, "s3").put_object(Bucket=BUCKET, Key="denied/x", Body=b"x")
        deadline = time.time() + 30
        messages = []
        while not messages and time.time() < deadline:
            messages = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"],
                                           WaitTimeSeconds=1).get("Messages", [])
        self.assertEqual(len(messages), 1)
        self.assertIn("AccessDenied", messages[0]["MessageAttributes"]["ERROR_CODE"]["StringValue"])
        self.assertEqual(json.loads(messages[0]["Body"])["detail"]["object"]["key"], "denied/x")
        self.assertEqual(glue().get_workflow_runs(Name=name)["Runs"], [])

    def test_notify_event_is_not_a_public_operation(self):
        # Not in any SDK: the JSON 1.1 call signed by hand with botocore's signer.
        creds = glue()._request_signer._credentials
        request = botocore.awsrequest.AWSRequest(
            method="POST", url=SERVER.endpoint + "/", data=json.dumps({"Name": "on-upload", "EventId": "x"}).encode(),
            headers={"X-Amz-Target": "AWSGlue.NotifyEvent", "Content-Type": "application/x-amz-json-1.1"})
        botocore.auth.SigV4Auth(creds, "glue", SERVER.region).add_auth(request)
        prepared = request.prepare()
        try:
            urllib.request.urlopen(urllib.request.Request(prepared.url, data=prepared.body,
                                                          headers=dict(prepared.headers), method="POST"))
            self.fail("NotifyEvent answered a network call")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
            self.assertIn("UnknownOperationException", e.read().decode())


if __name__ == "__main__":
    unittest.main()
