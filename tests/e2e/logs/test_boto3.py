"""CloudWatch Logs end to end with boto3: groups and streams, PutLogEvents' rules, GetLogEvents paging with the
token rule, FilterLogEvents with filter patterns, metric filters, subscription filters delivering to a Kinesis
stream and a Firehose stream (read back), Logs Insights (stats count() by bin(1m)), and errors.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/logs/test_boto3.py [-v]
"""

import gzip
import json
import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/cwl-to-streams"
FIREHOSE_ROLE = "arn:aws:iam::000000000000:role/firehose-delivery"


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "logs.amazonaws.com", actions=("kinesis:*", "firehose:*"))
    harness.create_service_role(SERVER, FIREHOSE_ROLE, "firehose.amazonaws.com", actions=("s3:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def now_ms():
    return int(time.time() * 1000)


def code_of(fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


class LogsBase(unittest.TestCase):
    def setUp(self):
        self.logs = harness.boto3_client(SERVER, "logs")
        self.group = f"/e2e/{uuid.uuid4().hex[:10]}"
        self.logs.create_log_group(logGroupName=self.group)
        self.logs.create_log_stream(logGroupName=self.group, logStreamName="s1")

    def tearDown(self):
        try:
            self.logs.delete_log_group(logGroupName=self.group)
        except ClientError:
            pass

    def put(self, messages, stream="s1", base=None):
        base = base if base is not None else now_ms() - len(messages)
        events = [{"timestamp": base + i, "message": m} for i, m in enumerate(messages)]
        return self.logs.put_log_events(logGroupName=self.group, logStreamName=stream, logEvents=events)

    def query(self, query, start_s, end_s):
        qid = self.logs.start_query(logGroupName=self.group, startTime=start_s, endTime=end_s,
                                    queryString=query)["queryId"]
        deadline = time.time() + 30
        while time.time() < deadline:
            r = self.logs.get_query_results(queryId=qid)
            if r["status"] in ("Complete", "Failed", "Cancelled"):
                return r
            time.sleep(0.1)
        self.fail("query did not finish")


class Groups(LogsBase):
    def test_groups_streams_tags_retention(self):
        other = self.group + "-tagged"
        # (logGroupClass is newer than Debian's botocore: the unit tests and the JS SDK test cover it.)
        self.logs.create_log_group(logGroupName=other, tags={"team": "data"})
        try:
            self.assertEqual(code_of(self.logs.create_log_group, logGroupName=other), "ResourceAlreadyExistsException")
            groups = self.logs.describe_log_groups(logGroupNamePrefix=self.group)["logGroups"]
            self.assertEqual([g["logGroupName"] for g in groups], [self.group, other])
            self.assertEqual(groups[1].get("logGroupClass", "STANDARD"), "STANDARD")
            self.assertTrue(groups[0]["arn"].endswith(f":log-group:{self.group}:*"))
            arn = groups[1]["arn"][:-2]  # without ":*" (logGroupArn is newer than Debian's botocore)
            self.assertEqual(self.logs.list_tags_for_resource(resourceArn=arn)["tags"], {"team": "data"})
            self.logs.tag_resource(resourceArn=arn, tags={"env": "prod"})
            self.logs.untag_resource(resourceArn=arn, tagKeys=["team"])
            self.assertEqual(self.logs.list_tags_log_group(logGroupName=other)["tags"], {"env": "prod"})
            self.assertEqual(code_of(self.logs.put_retention_policy, logGroupName=other, retentionInDays=2),
                             "InvalidParameterException")
            self.logs.put_retention_policy(logGroupName=other, retentionInDays=30)
            g = self.logs.describe_log_groups(logGroupNamePrefix=other)["logGroups"][0]
            self.assertEqual(g["retentionInDays"], 30)
            # A paginator over groups.
            names = [g["logGroupName"] for page in self.logs.get_paginator("describe_log_groups").paginate(
                logGroupNamePrefix="/e2e/", PaginationConfig={"PageSize": 1}) for g in page["logGroups"]]
            self.assertIn(other, names)
        finally:
            self.logs.delete_log_group(logGroupName=other)
        self.assertEqual(code_of(self.logs.delete_log_group, logGroupName=other), "ResourceNotFoundException")

    def test_streams(self):
        self.logs.create_log_stream(logGroupName=self.group, logStreamName="s0")
        self.put(["x"], stream="s0", base=now_ms() - 10)
        self.put(["y"], stream="s1", base=now_ms() - 5)
        streams = self.logs.describe_log_streams(logGroupName=self.group, orderBy="LastEventTime",
                                                 descending=True)["logStreams"]
        self.assertEqual([s["logStreamName"] for s in streams], ["s1", "s0"])
        self.assertIn("lastIngestionTime", streams[0])
        self.assertEqual(streams[0]["storedBytes"], 1)
        self.assertEqual(code_of(self.logs.create_log_stream, logGroupName=self.group, logStreamName="s0"),
                         "ResourceAlreadyExistsException")


class Events(LogsBase):
    def test_put_rules(self):
        t = now_ms()
        with self.assertRaises(ClientError) as cm:
            self.logs.put_log_events(logGroupName=self.group, logStreamName="s1", logEvents=[
                {"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}])
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidParameterException")
        r = self.logs.put_log_events(logGroupName=self.group, logStreamName="s1", logEvents=[
            {"timestamp": t - 15 * 86400_000, "message": "old"}, {"timestamp": t, "message": "ok"},
            {"timestamp": t + 3 * 3600_000, "message": "future"}])
        self.assertEqual(r["rejectedLogEventsInfo"], {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2})
        got = self.logs.get_log_events(logGroupName=self.group, logStreamName="s1")["events"]
        self.assertEqual([e["message"] for e in got], ["ok"])
        self.assertEqual(code_of(self.logs.put_log_events, logGroupName=self.group, logStreamName="nope",
                                 logEvents=[{"timestamp": t, "message": "x"}]), "ResourceNotFoundException")

    def test_get_log_events_paging(self):
        self.put([f"m{i}" for i in range(30)])
        seen = []
        token = None
        for _ in range(20):
            kwargs = dict(logGroupName=self.group, logStreamName="s1", startFromHead=True, limit=8)
            if token:
                kwargs["nextToken"] = token
            r = self.logs.get_log_events(**kwargs)
            seen += [e["message"] for e in r["events"]]
            if r["nextForwardToken"] == token:
                break
            token = r["nextForwardToken"]
        self.assertEqual(seen, [f"m{i}" for i in range(30)])
        # Backward from the newest page.
        r = self.logs.get_log_events(logGroupName=self.group, logStreamName="s1", limit=8)
        self.assertEqual([e["message"] for e in r["events"]], [f"m{i}" for i in range(22, 30)])
        r = self.logs.get_log_events(logGroupName=self.group, logStreamName="s1", limit=8,
                                     nextToken=r["nextBackwardToken"])
        self.assertEqual([e["message"] for e in r["events"]], [f"m{i}" for i in range(14, 22)])

    def test_filter_log_events(self):
        self.logs.create_log_stream(logGroupName=self.group, logStreamName="s2")
        base = now_ms() - 1000
        self.put(['{"status": 200, "path": "/a"}', '{"status": 503, "path": "/b"}'], base=base)
        self.put(["ERROR disk full", "INFO fine", '10.0.0.1 - bob "GET /x" 404 123'], stream="s2", base=base + 10)
        def messages(**kwargs):
            pages = self.logs.get_paginator("filter_log_events").paginate(logGroupName=self.group, **kwargs)
            return [e["message"] for p in pages for e in p["events"]]
        self.assertEqual(len(messages()), 5)
        self.assertEqual(messages(filterPattern="{ $.status >= 500 }"), ['{"status": 503, "path": "/b"}'])
        self.assertEqual(messages(filterPattern="ERROR"), ["ERROR disk full"])
        self.assertEqual(messages(filterPattern="?ERROR ?INFO"), ["ERROR disk full", "INFO fine"])
        self.assertEqual(messages(filterPattern="[ip, id, user, request, status = 4*, bytes]"),
                         ['10.0.0.1 - bob "GET /x" 404 123'])
        self.assertEqual(len(messages(logStreamNames=["s2"])), 3)
        self.assertEqual(len(messages(filterPattern="", PaginationConfig={"PageSize": 2})), 5)
        self.assertEqual(code_of(self.logs.filter_log_events, logGroupName=self.group, filterPattern="{ $.x = "),
                         "InvalidParameterException")

    def test_metric_filter(self):
        self.logs.put_metric_filter(logGroupName=self.group, filterName="errors", filterPattern="ERROR",
                                    metricTransformations=[{"metricName": "Errors", "metricNamespace": "E2E",
                                                            "metricValue": "1"}])
        f = self.logs.describe_metric_filters(logGroupName=self.group)["metricFilters"]
        self.assertEqual([x["filterName"] for x in f], ["errors"])
        r = self.logs.test_metric_filter(filterPattern="[ip, user, status = 5*]",
                                         logEventMessages=["1.1.1.1 ann 500", "1.1.1.1 bob 200"])
        self.assertEqual(r["matches"][0]["extractedValues"]["$user"], "ann")
        self.logs.delete_metric_filter(logGroupName=self.group, filterName="errors")

    def test_insights(self):
        base = (now_ms() // 60000 - 3) * 60000
        self.put([json.dumps({"level": "ERROR" if i % 3 == 0 else "INFO", "ms": i}) for i in range(10)],
                 base=base)
        self.put(["late"], base=base + 60_000)
        start, end = base // 1000 - 60, now_ms() // 1000 + 60
        r = self.query("stats count() by bin(1m)", start, end)
        self.assertEqual(r["status"], "Complete")
        rows = [{f["field"]: f["value"] for f in row} for row in r["results"]]
        self.assertEqual([row["count()"] for row in rows], ["10", "1"])
        self.assertTrue(rows[0]["bin(1m)"].endswith(":00.000"))
        self.assertEqual(r["statistics"]["recordsScanned"], 11)
        r = self.query("fields @timestamp, level, ms | filter level = 'ERROR' | sort ms desc | limit 2", start, end)
        rows = [{f["field"]: f["value"] for f in row} for row in r["results"]]
        self.assertEqual([row["ms"] for row in rows], ["9", "6"])
        record = self.logs.get_log_record(logRecordPointer=rows[0]["@ptr"])["logRecord"]
        self.assertEqual(record["ms"], "9")
        self.assertEqual(code_of(self.logs.start_query, logGroupName=self.group, startTime=start, endTime=end,
                                 queryString="stats count( by"), "MalformedQueryException")


class Subscriptions(LogsBase):
    def wait_for(self, fn, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = fn()
            if value:
                return value
            time.sleep(0.2)
        self.fail("timed out")

    def test_to_kinesis(self):
        kinesis = harness.boto3_client(SERVER, "kinesis")
        stream = f"cwl-{uuid.uuid4().hex[:8]}"
        kinesis.create_stream(StreamName=stream, ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        self.logs.put_subscription_filter(logGroupName=self.group, filterName="to-kinesis", filterPattern="ERROR",
                                          destinationArn=arn, roleArn=ROLE)
        self.put(["ERROR one", "INFO skip", "ERROR two"])
        shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        it = it["ShardIterator"]
        messages = []

        def read():
            nonlocal it
            r = kinesis.get_records(ShardIterator=it)
            it = r["NextShardIterator"]
            messages.extend(json.loads(gzip.decompress(rec["Data"])) for rec in r["Records"])
            return [m for m in messages if m["messageType"] == "DATA_MESSAGE"]
        data = self.wait_for(read)
        self.assertEqual(messages[0]["messageType"], "CONTROL_MESSAGE")
        self.assertEqual(data[0]["logGroup"], self.group)
        self.assertEqual(data[0]["logStream"], "s1")
        self.assertEqual(data[0]["subscriptionFilters"], ["to-kinesis"])
        self.assertEqual([e["message"] for e in data[0]["logEvents"]], ["ERROR one", "ERROR two"])
        filters = self.logs.describe_subscription_filters(logGroupName=self.group)["subscriptionFilters"]
        self.assertEqual(filters[0]["destinationArn"], arn)
        self.logs.delete_subscription_filter(logGroupName=self.group, filterName="to-kinesis")

    def test_to_firehose(self):
        firehose = harness.boto3_client(SERVER, "firehose", parameter_validation=False)
        s3 = harness.boto3_client(SERVER, "s3")
        bucket = f"cwl-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket)
        name = f"cwl-{uuid.uuid4().hex[:8]}"
        firehose.create_delivery_stream(DeliveryStreamName=name, ExtendedS3DestinationConfiguration={
            "RoleARN": FIREHOSE_ROLE, "BucketARN": f"arn:aws:s3:::{bucket}",
            "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0}})
        self.wait_for(lambda: firehose.describe_delivery_stream(DeliveryStreamName=name)[
            "DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE")
        arn = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
            "DeliveryStreamARN"]
        self.logs.put_subscription_filter(logGroupName=self.group, filterName="to-firehose", filterPattern="",
                                          destinationArn=arn, roleArn=ROLE)
        self.put(["to the lake"])

        def data_messages():
            out = []
            for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
                # Each record is a gzip member; Firehose concatenates them.
                text = gzip.decompress(body).decode()
                decoder = json.JSONDecoder()
                i = 0
                while i < len(text):
                    msg, i = decoder.raw_decode(text, i)
                    if msg["messageType"] == "DATA_MESSAGE":
                        out.append(msg)
            return out
        data = self.wait_for(data_messages, timeout=60)
        self.assertEqual(data[0]["logEvents"][0]["message"], "to the lake")


class Enforcement(LogsBase):
    def test_policy_scoped_to_one_group(self):
        """The policy AWS's Lambda basic execution role uses: CreateLogGroup on the account, CreateLogStream and
        PutLogEvents on one group's ":*"; another group is refused, and so is reading."""
        import boto3
        from botocore.config import Config
        iam = harness.boto3_client(SERVER, "iam")
        user = f"writer-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="logs", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "logs:CreateLogGroup",
                 "Resource": "arn:aws:logs:us-east-1:000000000000:*"},
                {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                 "Resource": f"arn:aws:logs:us-east-1:000000000000:log-group:{self.group}:*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        logs = boto3.session.Session().client(
            "logs", endpoint_url=SERVER.endpoint, region_name=SERVER.region,
            aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
            config=Config(retries={"max_attempts": 1, "mode": "standard"}))
        logs.create_log_stream(logGroupName=self.group, logStreamName="mine")
        logs.put_log_events(logGroupName=self.group, logStreamName="mine",
                            logEvents=[{"timestamp": now_ms(), "message": "allowed"}])
        other = self.group + "-other"
        logs.create_log_group(logGroupName=other)
        try:
            self.assertEqual(code_of(logs.create_log_stream, logGroupName=other, logStreamName="x"),
                             "AccessDeniedException")
            self.assertEqual(code_of(logs.get_log_events, logGroupName=self.group, logStreamName="mine"),
                             "AccessDeniedException")
            self.assertEqual(code_of(logs.filter_log_events, logGroupName=self.group), "AccessDeniedException")
        finally:
            self.logs.delete_log_group(logGroupName=other)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
