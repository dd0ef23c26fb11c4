"""Amazon EventBridge Scheduler end to end with boto3: schedule groups and tags, an at() schedule invoking an SQS
queue within a second of its time (also in another time zone), universal targets (aws-sdk:sqs:sendMessage),
ActionAfterCompletion DELETE, failed invocations retried into a dead-letter queue, and AWS's errors.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/scheduler/test_boto3.py [-v]
"""

import json
import os
import sys
import time
import unittest
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ACCOUNT = "000000000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/scheduler-e2e"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "scheduler.amazonaws.com", actions=("sqs:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def scheduler():
    return harness.boto3_client(SERVER, "scheduler")


def sqs():
    return harness.boto3_client(SERVER, "sqs")


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("call succeeded")


def queue():
    q = sqs()
    url = q.create_queue(QueueName=name("sched"))["QueueUrl"]
    arn = q.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(url, count, timeout=10.0):
    q = sqs()
    got = []
    deadline = time.time() + timeout
    while len(got) < count and time.time() < deadline:
        r = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            got.append((time.time(), m))
            q.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def at(seconds_from_now, tz=timezone.utc):
    t = (datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now)).replace(microsecond=0)
    return t, f"at({t.astimezone(tz).strftime('%Y-%m-%dT%H:%M:%S')})"


class Groups(unittest.TestCase):
    def test_groups_and_tags(self):
        s = scheduler()
        g = name("grp")
        arn = s.create_schedule_group(Name=g, Tags=[{"Key": "team", "Value": "data"}])["ScheduleGroupArn"]
        self.assertEqual(arn, f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule-group/{g}")
        self.assertEqual(s.get_schedule_group(Name=g)["State"], "ACTIVE")
        names = [x["Name"] for x in s.list_schedule_groups()["ScheduleGroups"]]
        self.assertIn("default", names)
        self.assertIn(g, names)
        self.assertEqual(s.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "team", "Value": "data"}])
        s.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(s.list_tags_for_resource(ResourceArn=arn)["Tags"], [])
        self.assertEqual(code_of(s.create_schedule_group, Name=g), "ConflictException")
        self.assertEqual(code_of(s.delete_schedule_group, Name="default"), "ValidationException")
        s.delete_schedule_group(Name=g)
        self.assertEqual(code_of(s.get_schedule_group, Name=g), "ResourceNotFoundException")


class Schedules(unittest.TestCase):
    def test_at_fires_within_a_second(self):
        s = scheduler()
        url, qarn = queue()
        n = name("once")
        when, expr = at(3)
        arn = s.create_schedule(Name=n, ScheduleExpression=expr, FlexibleTimeWindow={"Mode": "OFF"},
                                Target={"Arn": qarn, "RoleArn": ROLE,
                                        "Input": '{"schedule": "<aws.scheduler.schedule-arn>", '
                                                 '"at": "<aws.scheduler.scheduled-time>"}'})["ScheduleArn"]
        self.assertEqual(arn, f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/{n}")
        got = receive(url, 1, timeout=10)
        self.assertEqual(len(got), 1)
        arrived, m = got[0]
        self.assertLess(abs(arrived - when.timestamp()), 1.5)
        body = json.loads(m["Body"])
        self.assertEqual(body["schedule"], arn)
        self.assertEqual(body["at"], when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        d = s.get_schedule(Name=n)
        self.assertEqual(d["ScheduleExpression"], expr)
        self.assertEqual(d["State"], "ENABLED")
        self.assertEqual(d["Target"]["Arn"], qarn)
        s.delete_schedule(Name=n)

    def test_time_zone_and_delete_after_completion(self):
        s = scheduler()
        url, qarn = queue()
        n = name("tz")
        kolkata = timezone(timedelta(hours=5, minutes=30))
        when, expr = at(2, kolkata)
        # Debian's botocore predates ActionAfterCompletion (2023): the deletion is checked with newer clients.
        members = s.meta.service_model.operation_model("CreateSchedule").input_shape.members
        delete = {"ActionAfterCompletion": "DELETE"} if "ActionAfterCompletion" in members else {}
        s.create_schedule(Name=n, ScheduleExpression=expr, ScheduleExpressionTimezone="Asia/Kolkata",
                          FlexibleTimeWindow={"Mode": "OFF"}, Target={"Arn": qarn, "RoleArn": ROLE, "Input": "hello"},
                          **delete)
        got = receive(url, 1, timeout=10)
        self.assertEqual(len(got), 1)
        self.assertLess(abs(got[0][0] - when.timestamp()), 1.5)
        self.assertEqual(got[0][1]["Body"], "hello")
        if not delete:
            return
        deadline = time.time() + 3
        while time.time() < deadline:
            try:
                s.get_schedule(Name=n)
            except ClientError:
                break
            time.sleep(0.2)
        self.assertEqual(code_of(s.get_schedule, Name=n), "ResourceNotFoundException")

    def test_universal_target(self):
        s = scheduler()
        url, _ = queue()
        n = name("universal")
        _, expr = at(1)
        s.create_schedule(Name=n, ScheduleExpression=expr, FlexibleTimeWindow={"Mode": "OFF"},
                          Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": ROLE,
                                  "Input": json.dumps({"QueueUrl": url, "MessageBody": "via the sdk target"})})
        got = receive(url, 1, timeout=10)
        self.assertEqual([m["Body"] for _, m in got], ["via the sdk target"])

    def test_eventbridge_target(self):
        role = f"arn:aws:iam::{ACCOUNT}:role/scheduler-to-events"
        harness.create_service_role(SERVER, role, "scheduler.amazonaws.com", actions=("events:PutEvents",))
        e = harness.boto3_client(SERVER, "events")
        q = sqs()
        url, qarn = queue()
        q.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
             "Resource": qarn}]})})
        rule = name("from-scheduler")
        e.put_rule(Name=rule, EventPattern=json.dumps({"source": ["my.scheduler"]}))
        e.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
        _, expr = at(1)
        s = scheduler()
        s.create_schedule(Name=name("to-bus"), ScheduleExpression=expr, FlexibleTimeWindow={"Mode": "OFF"},
                          Target={"Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default", "RoleArn": role,
                                  "Input": json.dumps({"job": "nightly"}),
                                  "EventBridgeParameters": {"Source": "my.scheduler", "DetailType": "Tick"}})
        got = receive(url, 1, timeout=10)
        self.assertEqual(len(got), 1)
        body = json.loads(got[0][1]["Body"])
        self.assertEqual((body["source"], body["detail-type"], body["detail"]), ("my.scheduler", "Tick",
                                                                                 {"job": "nightly"}))

    def test_failed_invocations_go_to_the_dead_letter_queue(self):
        s = scheduler()
        dlq_url, dlq_arn = queue()
        n = name("dlq")
        _, expr = at(1)
        arn = s.create_schedule(Name=n, ScheduleExpression=expr, FlexibleTimeWindow={"Mode": "OFF"},
                                Target={"Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:none", "RoleArn": ROLE,
                                        "Input": "{}", "RetryPolicy": {"MaximumRetryAttempts": 1},
                                        "DeadLetterConfig": {"Arn": dlq_arn}})["ScheduleArn"]
        got = receive(dlq_url, 1, timeout=15)
        self.assertEqual(len(got), 1)
        attrs = got[0][1]["MessageAttributes"]
        self.assertEqual(attrs["SCHEDULE_ARN"]["StringValue"], arn)
        # The function does not exist (no function policy lets scheduler invoke it): not retried, as on AWS.
        self.assertEqual(attrs["RETRY_ATTEMPTS"]["StringValue"], "0", attrs)

    def test_list_update_and_errors(self):
        s = scheduler()
        _, qarn = queue()
        g = name("g")
        s.create_schedule_group(Name=g)
        n = name("rate")
        target = {"Arn": qarn, "RoleArn": ROLE}
        s.create_schedule(Name=n, GroupName=g, ScheduleExpression="rate(5 minutes)",
                          FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 2}, Target=target)
        self.assertEqual(code_of(s.create_schedule, Name=n, GroupName=g, ScheduleExpression="rate(5 minutes)",
                                 FlexibleTimeWindow={"Mode": "OFF"}, Target=target), "ConflictException")
        s.update_schedule(Name=n, GroupName=g, ScheduleExpression="cron(0 12 * * ? *)", State="DISABLED",
                          FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
        d = s.get_schedule(Name=n, GroupName=g)
        self.assertEqual((d["ScheduleExpression"], d["State"]), ("cron(0 12 * * ? *)", "DISABLED"))
        listed = s.list_schedules(GroupName=g)["Schedules"]
        self.assertEqual([(x["Name"], x["State"], x["Target"]["Arn"]) for x in listed], [(n, "DISABLED", qarn)])
        self.assertEqual(code_of(s.get_schedule, Name="none"), "ResourceNotFoundException")
        self.assertEqual(code_of(s.create_schedule, Name=name("bad"), ScheduleExpression="rate(0 minutes)",
                                 FlexibleTimeWindow={"Mode": "OFF"}, Target=target), "ValidationException")
        self.assertEqual(code_of(s.create_schedule, Name=name("bad"), ScheduleExpression="rate(1 minute)",
                                 ScheduleExpressionTimezone="Mars/Olympus", FlexibleTimeWindow={"Mode": "OFF"},
                                 Target=target), "ValidationException")
        self.assertEqual(code_of(s.create_schedule, Name=name("bad"), GroupName="no-such-group",
                                 ScheduleExpression="rate(1 minute)", FlexibleTimeWindow={"Mode": "OFF"},
                                 Target=target), "ResourceNotFoundException")
        s.delete_schedule_group(Name=g)
        self.assertEqual(code_of(s.get_schedule, Name=n, GroupName=g), "ResourceNotFoundException")


if __name__ == "__main__":
    harness.main()
