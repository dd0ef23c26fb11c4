"""Amazon EventBridge end to end with boto3: event patterns routing PutEvents to SQS queues (standard and FIFO),
input transformers, InputPath, scheduled rules firing, failed deliveries retried into a dead-letter queue,
archives and replays, bus policies for cross-account PutEvents, TestEventPattern and AWS's errors.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/events/test_boto3.py [-v]
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


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def events():
    return harness.boto3_client(SERVER, "events")


def sqs():
    return harness.boto3_client(SERVER, "sqs")


def name(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("call succeeded")


def queue_for_events(fifo=False, rule_arns=None):
    """A queue whose policy lets EventBridge deliver to it (events.amazonaws.com, aws:SourceArn = the rule),
    as AWS's console writes it. Returns (url, arn)."""
    q = sqs()
    n = name("target") + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    url = q.create_queue(QueueName=n, Attributes=attributes)["QueueUrl"]
    arn = q.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    statement = {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
                 "Resource": arn}
    if rule_arns:
        statement["Condition"] = {"ArnEquals": {"aws:SourceArn": rule_arns}}
    q.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]})})
    return url, arn


def receive(url, count, timeout=10.0):
    q = sqs()
    got = []
    deadline = time.time() + timeout
    while len(got) < count and time.time() < deadline:
        r = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                              MessageAttributeNames=["All"])
        for m in r.get("Messages", []):
            got.append(m)
            q.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


class Routing(unittest.TestCase):
    def test_pattern_routes_put_events_to_sqs(self):
        e = events()
        rule = name("orders")
        arn = e.put_rule(Name=rule, EventPattern=json.dumps({
            "source": ["com.example.orders"],
            "detail": {"amount": [{"numeric": [">", 100]}], "status": [{"anything-but": "test"}]}}))["RuleArn"]
        self.assertEqual(arn, f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{rule}")
        url, qarn = queue_for_events(rule_arns=[arn])
        r = e.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
        self.assertEqual(r["FailedEntryCount"], 0)
        t0 = time.time()
        put = e.put_events(Entries=[
            {"Source": "com.example.orders", "DetailType": "Order", "Detail": json.dumps({"amount": 150, "status": "new"}),
             "Resources": ["arn:aws:s3:::b"]},
            {"Source": "com.example.orders", "DetailType": "Order", "Detail": json.dumps({"amount": 50, "status": "new"})},
            {"Source": "com.example.orders", "DetailType": "Order", "Detail": json.dumps({"amount": 500, "status": "test"})},
        ])
        self.assertEqual(put["FailedEntryCount"], 0)
        got = receive(url, 1)
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(len(got), 1)
        body = json.loads(got[0]["Body"])
        self.assertEqual(body["id"], put["Entries"][0]["EventId"])
        self.assertEqual(body["source"], "com.example.orders")
        self.assertEqual(body["detail-type"], "Order")
        self.assertEqual(body["account"], ACCOUNT)
        self.assertEqual(body["region"], "us-east-1")
        self.assertEqual(body["resources"], ["arn:aws:s3:::b"])
        self.assertEqual(body["detail"], {"amount": 150, "status": "new"})
        self.assertEqual(body["version"], "0")
        self.assertRegex(body["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(receive(url, 1, timeout=2), [])

    def test_input_transformer_and_input_path(self):
        e = events()
        rule = name("xf")
        arn = e.put_rule(Name=rule, EventPattern=json.dumps({"source": ["com.example.ec2"]}))["RuleArn"]
        url1, qarn1 = queue_for_events()
        url2, qarn2 = queue_for_events()
        url3, qarn3 = queue_for_events()
        e.put_targets(Rule=rule, Targets=[
            {"Id": "xf", "Arn": qarn1, "InputTransformer": {
                "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state",
                                  "count": "$.detail.count"},
                "InputTemplate": '{"instance": <instance>, "text": "<instance> is <state>", "count": <count>, '
                                 '"rule": <aws.events.rule-name>, "arn": "<aws.events.rule-arn>"}'}},
            {"Id": "path", "Arn": qarn2, "InputPath": "$.detail"},
            {"Id": "const", "Arn": qarn3, "Input": '{"fixed": true}'},
        ])
        e.put_events(Entries=[{"Source": "com.example.ec2", "DetailType": "State",
                               "Detail": json.dumps({"instance-id": "i-123", "state": "running", "count": 3})}])
        body = json.loads(receive(url1, 1)[0]["Body"])
        self.assertEqual(body, {"instance": "i-123", "text": "i-123 is running", "count": 3, "rule": rule, "arn": arn})
        self.assertEqual(json.loads(receive(url2, 1)[0]["Body"]), {"instance-id": "i-123", "state": "running", "count": 3})
        self.assertEqual(json.loads(receive(url3, 1)[0]["Body"]), {"fixed": True})

    def test_fifo_target_needs_message_group(self):
        e = events()
        rule = name("fifo")
        e.put_rule(Name=rule, EventPattern=json.dumps({"source": ["com.example.fifo"]}))
        url, qarn = queue_for_events(fifo=True)
        code, _ = code_of(e.put_targets, Rule=rule, Targets=[{"Id": "f", "Arn": qarn}])
        self.assertEqual(code, "ValidationException")
        e.put_targets(Rule=rule, Targets=[{"Id": "f", "Arn": qarn, "SqsParameters": {"MessageGroupId": "g1"}}])
        e.put_events(Entries=[{"Source": "com.example.fifo", "DetailType": "x", "Detail": json.dumps({"n": i})}
                              for i in range(5)])
        got = receive(url, 5)
        self.assertEqual([json.loads(m["Body"])["detail"]["n"] for m in got], list(range(5)))

    def test_disabled_rule_and_custom_bus(self):
        e = events()
        bus = name("bus")
        bus_arn = e.create_event_bus(Name=bus)["EventBusArn"]
        self.assertEqual(bus_arn, f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{bus}")
        rule = name("r")
        arn = e.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["s"]}))["RuleArn"]
        self.assertEqual(arn, f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{bus}/{rule}")
        url, qarn = queue_for_events()
        e.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": qarn}])
        e.disable_rule(Name=rule, EventBusName=bus)
        self.assertEqual(e.describe_rule(Name=rule, EventBusName=bus)["State"], "DISABLED")
        e.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": bus}])
        self.assertEqual(receive(url, 1, timeout=2), [])
        e.enable_rule(Name=rule, EventBusName=bus)
        e.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": bus_arn}])
        self.assertEqual(len(receive(url, 1)), 1)
        self.assertEqual(e.list_rule_names_by_target(TargetArn=qarn, EventBusName=bus)["RuleNames"], [rule])
        self.assertEqual([t["Id"] for t in e.list_targets_by_rule(Rule=rule, EventBusName=bus)["Targets"]], ["q"])
        self.assertIn(rule, [r["Name"] for r in e.list_rules(EventBusName=bus)["Rules"]])
        self.assertEqual(code_of(e.delete_rule, Name=rule, EventBusName=bus)[0], "ValidationException")
        e.remove_targets(Rule=rule, EventBusName=bus, Ids=["q"])
        e.delete_rule(Name=rule, EventBusName=bus)
        e.delete_event_bus(Name=bus)
        self.assertEqual(code_of(e.describe_event_bus, Name=bus)[0], "ResourceNotFoundException")


class OtherTargets(unittest.TestCase):
    def test_kinesis_target_as_its_role_with_partition_key_path(self):
        role = f"arn:aws:iam::{ACCOUNT}:role/events-to-kinesis"
        harness.create_service_role(SERVER, role, "events.amazonaws.com", actions=("kinesis:PutRecord",))
        k = harness.boto3_client(SERVER, "kinesis")
        stream = name("stream")
        k.create_stream(StreamName=stream, ShardCount=1)
        for _ in range(50):
            if k.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        stream_arn = k.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        e = events()
        rule = name("to-kinesis")
        e.put_rule(Name=rule, EventPattern=json.dumps({"source": ["com.example.k"]}))
        self.assertEqual(code_of(e.put_targets, Rule=rule, Targets=[{"Id": "k", "Arn": stream_arn}])[0],
                         "ValidationException")  # Kinesis targets need a role
        e.put_targets(Rule=rule, Targets=[{"Id": "k", "Arn": stream_arn, "RoleArn": role, "InputPath": "$.detail",
                                           "KinesisParameters": {"PartitionKeyPath": "$.detail.customer"}}])
        e.put_events(Entries=[{"Source": "com.example.k", "DetailType": "d",
                               "Detail": json.dumps({"customer": "c-42", "n": 1})}])
        shard = k.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
        it = k.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = []
        deadline = time.time() + 10
        while not records and time.time() < deadline:
            r = k.get_records(ShardIterator=it)
            records, it = r["Records"], r["NextShardIterator"]
            time.sleep(0.2)
        self.assertEqual(len(records), 1)
        self.assertEqual(records[0]["PartitionKey"], "c-42")
        self.assertEqual(json.loads(records[0]["Data"]), {"customer": "c-42", "n": 1})

    def test_bus_to_bus(self):
        e = events()
        downstream = name("downstream")
        down_arn = e.create_event_bus(Name=downstream)["EventBusArn"]
        rule = name("forward")
        e.put_rule(Name=rule, EventPattern=json.dumps({"source": ["com.example.fwd"]}))
        e.put_targets(Rule=rule, Targets=[{"Id": "bus", "Arn": down_arn}])
        sink = name("sink")
        sink_arn = e.put_rule(Name=sink, EventBusName=downstream,
                              EventPattern=json.dumps({"source": ["com.example.fwd"]}))["RuleArn"]
        url, qarn = queue_for_events(rule_arns=[sink_arn])
        e.put_targets(Rule=sink, EventBusName=downstream, Targets=[{"Id": "q", "Arn": qarn}])
        e.put_events(Entries=[{"Source": "com.example.fwd", "DetailType": "d", "Detail": json.dumps({"hop": 1})}])
        got = receive(url, 1)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"])["detail"], {"hop": 1})


class ServiceEvents(unittest.TestCase):
    def test_glue_crawler_state_changes_reach_a_rule(self):
        role = f"arn:aws:iam::{ACCOUNT}:role/service-role/events-e2e-crawler"
        harness.create_service_role(SERVER, role, "glue.amazonaws.com")
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = name("crawled")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="raw/t/a.csv", Body=b"id,name\n1,a\n2,b\n")
        glue = harness.boto3_client(SERVER, "glue")
        db = name("db").replace("-", "_")
        glue.create_database(DatabaseInput={"Name": db})
        crawler = name("crawler")
        glue.create_crawler(Name=crawler, Role=role, DatabaseName=db,
                            Targets={"S3Targets": [{"Path": f"s3://{bucket}/raw/"}]})
        e = events()
        rule = name("crawls")
        arn = e.put_rule(Name=rule, EventPattern=json.dumps({
            "source": ["aws.glue"], "detail-type": ["Glue Crawler State Change"],
            "detail": {"crawlerName": [crawler]}}))["RuleArn"]
        url, qarn = queue_for_events(rule_arns=[arn])
        e.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
        glue.start_crawler(Name=crawler)
        got = receive(url, 2, timeout=30)
        states = [json.loads(m["Body"])["detail"]["state"] for m in got]
        self.assertEqual(states, ["Started", "Succeeded"])
        body = json.loads(got[1]["Body"])
        self.assertEqual(body["source"], "aws.glue")
        self.assertEqual(body["account"], ACCOUNT)
        self.assertEqual(body["detail"]["tablesCreated"], "1")


    def test_athena_query_state_changes_reach_a_rule(self):
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = name("athena-out")
        s3.create_bucket(Bucket=bucket)
        e = events()
        rule = name("queries")
        arn = e.put_rule(Name=rule, EventPattern=json.dumps({
            "source": ["aws.athena"], "detail-type": ["Athena Query State Change"],
            "detail": {"currentState": ["SUCCEEDED"]}}))["RuleArn"]
        url, qarn = queue_for_events(rule_arns=[arn])
        e.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
        athena = harness.boto3_client(SERVER, "athena")
        qid = athena.start_query_execution(QueryString="SELECT 1",
                                           ResultConfiguration={"OutputLocation": f"s3://{bucket}/"})["QueryExecutionId"]
        got = receive(url, 1, timeout=30)
        self.assertEqual(len(got), 1)
        detail = json.loads(got[0]["Body"])["detail"]
        self.assertEqual((detail["queryExecutionId"], detail["currentState"], detail["previousState"]),
                         (qid, "SUCCEEDED", "RUNNING"))
        self.assertEqual(detail["workgroupName"], "primary")


class Schedules(unittest.TestCase):
    def test_rate_rule_fires(self):
        e = events()
        rule = name("tick")
        arn = e.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
        url, qarn = queue_for_events(rule_arns=[arn])
        e.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": qarn}])
        got = receive(url, 1, timeout=75)
        self.assertEqual(len(got), 1)
        body = json.loads(got[0]["Body"])
        self.assertEqual(body["source"], "aws.events")
        self.assertEqual(body["detail-type"], "Scheduled Event")
        self.assertEqual(body["resources"], [arn])
        self.assertEqual(body["detail"], {})
        e.remove_targets(Rule=rule, Ids=["q"])
        e.delete_rule(Name=rule)

    def test_schedule_validation(self):
        e = events()
        self.assertEqual(code_of(e.put_rule, Name=name("bad"), ScheduleExpression="rate(1 minutes)")[0],
                         "ValidationException")
        self.assertEqual(code_of(e.put_rule, Name=name("bad"), ScheduleExpression="cron(0 12 * * * *)")[0],
                         "ValidationException")
        self.assertEqual(code_of(e.put_rule, Name=name("none"))[0], "ValidationException")


class Failures(unittest.TestCase):
    def test_failed_deliveries_go_to_the_dead_letter_queue(self):
        e = events()
        rule = name("dlq")
        arn = e.put_rule(Name=rule, EventPattern=json.dumps({"source": ["com.example.dlq"]}))["RuleArn"]
        dlq_url, dlq_arn = queue_for_events(rule_arns=[arn])
        e.put_targets(Rule=rule, Targets=[
            # A function that does not exist: AWS does not retry a missing target; it is dead-lettered at once.
            {"Id": "fn", "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:missing",
             "RetryPolicy": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 60},
             "DeadLetterConfig": {"Arn": dlq_arn}},
        ])
        put = e.put_events(Entries=[{"Source": "com.example.dlq", "DetailType": "d", "Detail": "{}"}])
        got = receive(dlq_url, 1, timeout=15)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"])["id"], put["Entries"][0]["EventId"])
        attrs = got[0]["MessageAttributes"]
        self.assertEqual(attrs["RULE_ARN"]["StringValue"], arn)
        self.assertEqual(attrs["EXHAUSTED_RETRY_CONDITION"]["StringValue"], "MaximumRetryAttemptsExhausted")
        self.assertEqual(attrs["RETRY_ATTEMPTS"]["StringValue"], "0", attrs)

    def test_put_events_entry_errors(self):
        e = events()
        r = e.put_events(Entries=[
            {"Source": "a", "DetailType": "b", "Detail": "not json"},
            {"Source": "aws.s3", "DetailType": "b", "Detail": "{}"},
            {"Source": "a", "DetailType": "b", "Detail": "{}", "EventBusName": "no-such-bus"},
            {"Source": "a", "DetailType": "b", "Detail": "{}"},
        ])
        self.assertEqual(r["FailedEntryCount"], 3)
        self.assertEqual([x.get("ErrorCode") for x in r["Entries"]],
                         ["MalformedDetail", "NotAuthorizedForSourceException", "ResourceNotFoundException", None])
        self.assertIn("EventId", r["Entries"][3])
        big = "x" * (256 * 1024)
        self.assertEqual(code_of(e.put_events, Entries=[{"Source": "a", "DetailType": "b",
                                                         "Detail": json.dumps({"x": big})}])[0],
                         "ValidationException")

    def test_unsupported_operations(self):
        e = events()
        try:
            e.create_connection(Name="c", AuthorizationType="API_KEY", AuthParameters={
                "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}})
        except ClientError as err:
            self.assertEqual(err.response["Error"]["Code"], "UnknownOperationException")
            self.assertIn("docs/events-coverage.md", err.response["Error"]["Message"])
        else:
            self.fail("CreateConnection succeeded")

    def test_invalid_patterns(self):
        e = events()
        code, message = code_of(e.put_rule, Name=name("p"), EventPattern='{"source": []}')
        self.assertEqual(code, "InvalidEventPatternException")
        self.assertEqual(message, "Event pattern is not valid. Reason: Empty arrays are not allowed")
        code, _ = code_of(e.put_rule, Name=name("p"), EventPattern='{"a": [{"numeric": [">", "x"]}]}')
        self.assertEqual(code, "InvalidEventPatternException")


class Patterns(unittest.TestCase):
    def test_test_event_pattern(self):
        e = events()
        event = json.dumps({"id": "1", "source": "com.mycompany.myapp", "detail-type": "myDetailType",
                            "account": "123456789012", "region": "us-east-1", "time": "2017-04-11T20:11:04Z",
                            "resources": [], "detail": {"ip": "10.0.0.5", "file": "a.png"}})
        self.assertTrue(e.test_event_pattern(EventPattern='{"source": ["com.mycompany.myapp"]}', Event=event)["Result"])
        self.assertTrue(e.test_event_pattern(EventPattern=json.dumps(
            {"detail": {"ip": [{"cidr": "10.0.0.0/24"}], "file": [{"wildcard": "*.png"}]}}), Event=event)["Result"])
        self.assertFalse(e.test_event_pattern(EventPattern='{"source": [{"prefix": "org."}]}', Event=event)["Result"])


class Archives(unittest.TestCase):
    def test_archive_and_replay(self):
        e = events()
        bus = name("abus")
        bus_arn = e.create_event_bus(Name=bus)["EventBusArn"]
        archive = name("arch")
        archive_arn = e.create_archive(ArchiveName=archive, EventSourceArn=bus_arn,
                                       EventPattern=json.dumps({"source": ["keep"]}))["ArchiveArn"]
        start = datetime.now(timezone.utc) - timedelta(seconds=5)
        e.put_events(Entries=[{"Source": "keep", "DetailType": "d", "Detail": json.dumps({"n": i}), "EventBusName": bus}
                              for i in range(3)] +
                     [{"Source": "drop", "DetailType": "d", "Detail": "{}", "EventBusName": bus}])
        # An event whose time is an hour ago: archived, but outside the replay's window (replays select by the
        # time in the event, not by when it arrived).
        e.put_events(Entries=[{"Source": "keep", "DetailType": "d", "Detail": json.dumps({"n": 99}),
                               "EventBusName": bus, "Time": datetime.now(timezone.utc) - timedelta(hours=1)}])
        d = e.describe_archive(ArchiveName=archive)
        self.assertEqual(d["EventCount"], 4)
        self.assertEqual(d["State"], "ENABLED")
        # A rule created after the events were sent gets them only through the replay.
        rule = name("replayed")
        rule_arn = e.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["keep"]}))["RuleArn"]
        url, qarn = queue_for_events(rule_arns=[rule_arn])
        e.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": qarn}])
        time.sleep(1.1)
        replay = name("rp")
        r = e.start_replay(ReplayName=replay, EventSourceArn=archive_arn, EventStartTime=start,
                           EventEndTime=datetime.now(timezone.utc), Destination={"Arn": bus_arn})
        self.assertEqual(r["State"], "STARTING")
        got = receive(url, 4, timeout=4)
        self.assertEqual(sorted(json.loads(m["Body"])["detail"]["n"] for m in got), [0, 1, 2])
        self.assertEqual({json.loads(m["Body"])["replay-name"] for m in got}, {replay})
        deadline = time.time() + 5
        while e.describe_replay(ReplayName=replay)["State"] != "COMPLETED" and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(e.describe_replay(ReplayName=replay)["State"], "COMPLETED")
        self.assertEqual(code_of(e.cancel_replay, ReplayName=replay)[0], "IllegalStatusException")
        self.assertIn(replay, [x["ReplayName"] for x in e.list_replays()["Replays"]])
        self.assertIn(archive, [x["ArchiveName"] for x in e.list_archives()["Archives"]])


class Permissions(unittest.TestCase):
    def test_bus_policy(self):
        e = events()
        bus = name("shared")
        e.create_event_bus(Name=bus)
        e.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="111122223333", StatementId="other")
        policy = json.loads(e.describe_event_bus(Name=bus)["Policy"])
        self.assertEqual(policy["Statement"][0]["Principal"], {"AWS": "arn:aws:iam::111122223333:root"})
        e.remove_permission(EventBusName=bus, StatementId="other")
        self.assertNotIn("Policy", e.describe_event_bus(Name=bus))
        self.assertEqual(code_of(e.remove_permission, EventBusName=bus, StatementId="other")[0],
                         "ResourceNotFoundException")

    def test_cross_account_put_events_needs_the_bus_policy(self):
        import boto3
        account, creds = harness.member_account(SERVER, "events-sender")
        sender = boto3.session.Session().client(
            "events", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"])
        e = events()
        bus = name("central")
        bus_arn = e.create_event_bus(Name=bus)["EventBusArn"]
        rule = name("from-member")
        rule_arn = e.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"account": [account]}))["RuleArn"]
        url, qarn = queue_for_events(rule_arns=[rule_arn])
        e.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": qarn}])
        entry = {"Source": "member.app", "DetailType": "d", "Detail": "{}", "EventBusName": bus_arn}
        code, _ = code_of(sender.put_events, Entries=[entry])
        self.assertEqual(code, "AccessDeniedException")
        e.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=account, StatementId="member")
        r = sender.put_events(Entries=[entry])
        self.assertEqual(r["FailedEntryCount"], 0)
        got = receive(url, 1)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"])["account"], account)

    def test_tags(self):
        e = events()
        rule = name("tagged")
        arn = e.put_rule(Name=rule, EventPattern='{"source": ["x"]}', Tags=[{"Key": "team", "Value": "data"}])["RuleArn"]
        self.assertEqual(e.list_tags_for_resource(ResourceARN=arn)["Tags"], [{"Key": "team", "Value": "data"}])
        e.untag_resource(ResourceARN=arn, TagKeys=["team"])
        self.assertEqual(e.list_tags_for_resource(ResourceARN=arn)["Tags"], [])


if __name__ == "__main__":
    harness.main()
