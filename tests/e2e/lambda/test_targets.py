"""Lambda and Step Functions as the targets the messaging services deliver to (issue #17's "when they exist"):
an SNS topic's lambda subscription and an EventBridge rule's Lambda and Step Functions targets, with the
function's resource policy (AddPermission) letting the service principal in, as on AWS (test_async.py shows a
refusal). The function answers by sending to a queue with boto3 inside the function, through AWS_ENDPOINT_URL
and its role's credentials.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_targets.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lambda_zips import zip_of  # noqa: E402

SERVER = None
ACCOUNT = None
ROLE = None

# Forwards what it gets to the queue named by QUEUE_URL, with the SDK inside the function.
CODE = """
import json, os, boto3
def handler(event, context):
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(event))
    return {"ok": True}
"""


def setUpModule():
    global SERVER, ACCOUNT, ROLE
    SERVER = harness.Server().start()
    ACCOUNT = client("sts").get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{ACCOUNT}:role/lambda-targets-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("sqs:*", "logs:*"))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def client(name):
    return harness.boto3_client(SERVER, name)

def forwarder(name):
    """A function forwarding its events to a new queue; (function ARN, queue URL)."""
    url = client("sqs").create_queue(QueueName=name + "-out")["QueueUrl"]
    fn = client("lambda").create_function(
        FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler", Timeout=30,
        Code={"ZipFile": zip_of({"app.py": CODE})}, Environment={"Variables": {"QUEUE_URL": url}})["FunctionArn"]
    client("lambda").get_waiter("function_active_v2").wait(FunctionName=name)
    return fn, url


def receive(url, timeout_s=60):
    sqs = client("sqs")
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, MaxNumberOfMessages=10).get("Messages", [])
        if got:
            return [json.loads(m["Body"]) for m in got]
    return []


class Targets(unittest.TestCase):
    def test_sns_subscription_invokes_the_function(self):
        fn, url = forwarder("from-sns")
        sns = client("sns")
        topic = sns.create_topic(Name="to-lambda")["TopicArn"]
        sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn, ReturnSubscriptionArn=True)
        self.assertTrue(sub["SubscriptionArn"].startswith(topic + ":"))
        client("lambda").add_permission(FunctionName="from-sns", StatementId="sns", Action="lambda:InvokeFunction",
                                        Principal="sns.amazonaws.com", SourceArn=topic)
        sns.publish(TopicArn=topic, Message="hello lambda", Subject="s",
                    MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        events = receive(url)
        self.assertEqual(len(events), 1, events)
        record = events[0]["Records"][0]
        self.assertEqual(record["EventSource"], "aws:sns")
        self.assertEqual(record["EventSubscriptionArn"], sub["SubscriptionArn"])
        self.assertEqual(record["Sns"]["Message"], "hello lambda")
        self.assertEqual(record["Sns"]["TopicArn"], topic)
        self.assertEqual(record["Sns"]["MessageAttributes"]["k"], {"Type": "String", "Value": "v"})

    def test_eventbridge_rule_targets_lambda_and_step_functions(self):
        fn, url = forwarder("from-events")
        events = client("events")
        rule = events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))["RuleArn"]
        # A state machine that sends its input on to the same queue.
        states_role = f"arn:aws:iam::{ACCOUNT}:role/targets-states"
        harness.create_service_role(SERVER, states_role, "states.amazonaws.com", actions=("sqs:*",))
        events_role = f"arn:aws:iam::{ACCOUNT}:role/targets-events"
        harness.create_service_role(SERVER, events_role, "events.amazonaws.com", actions=("states:*",))
        machine = client("stepfunctions").create_state_machine(
            name="from-events", roleArn=states_role, definition=json.dumps({
                "StartAt": "Send", "States": {"Send": {
                    "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "States.JsonToString($)"}, "End": True}}}))
        events.put_targets(Rule="orders", Targets=[
            {"Id": "fn", "Arn": fn},
            {"Id": "sfn", "Arn": machine["stateMachineArn"], "RoleArn": events_role}])
        client("lambda").add_permission(FunctionName="from-events", StatementId="events",
                                        Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                                        SourceArn=rule)
        events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed", "Detail": json.dumps({"id": 7})}])
        got = []
        deadline = time.time() + 90
        while len(got) < 2 and time.time() < deadline:
            got += receive(url, timeout_s=10)
        self.assertEqual(len(got), 2, got)
        for e in got:
            self.assertEqual(e["source"], "shop")
            self.assertEqual(e["detail"], {"id": 7})
        executions = client("stepfunctions").list_executions(stateMachineArn=machine["stateMachineArn"])
        self.assertEqual([x["status"] for x in executions["executions"]], ["SUCCEEDED"])

    def test_logs_subscription_filter_invokes_the_function(self):
        fn, url = forwarder("from-logs")
        logs = client("logs")
        logs.create_log_group(logGroupName="/app/orders")
        logs.create_log_stream(logGroupName="/app/orders", logStreamName="s1")
        group_arn = f"arn:aws:logs:{SERVER.region}:{ACCOUNT}:log-group:/app/orders:*"
        # Without the function's permission the filter is refused, as AWS refuses it.
        with self.assertRaises(Exception) as refused:
            logs.put_subscription_filter(logGroupName="/app/orders", filterName="errors",
                                         filterPattern="ERROR", destinationArn=fn)
        self.assertIn("InvalidParameterException", str(refused.exception))
        client("lambda").add_permission(FunctionName="from-logs", StatementId="logs",
                                        Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
                                        SourceArn=group_arn)
        logs.put_subscription_filter(logGroupName="/app/orders", filterName="errors", filterPattern="ERROR",
                                     destinationArn=fn)
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName="/app/orders", logStreamName="s1", logEvents=[
            {"timestamp": now, "message": "INFO all good"},
            {"timestamp": now + 1, "message": "ERROR order 7 failed"}])
        got = receive(url)
        self.assertEqual(len(got), 1, got)
        # AWS's shape: {"awslogs": {"data": base64(gzip(JSON))}}.
        import base64
        import gzip
        data = json.loads(gzip.decompress(base64.b64decode(got[0]["awslogs"]["data"])))
        self.assertEqual(data["messageType"], "DATA_MESSAGE")
        self.assertEqual(data["logGroup"], "/app/orders")
        self.assertEqual(data["logStream"], "s1")
        self.assertEqual(data["subscriptionFilters"], ["errors"])
        self.assertEqual([e["message"] for e in data["logEvents"]], ["ERROR order 7 failed"])


if __name__ == "__main__":
    harness.main()
