"""CloudTrail Lake end to end with boto3 and the AWS CLI: an event data store ingests the calls made after it is
created (management events by default; selectors, regions, stopped ingestion), SQL queries over it run on the
query engine (filters, aggregates, nested userIdentity fields, map lookups in requestParameters), results page,
bad statements and unknown stores fail as AWS answers, and stores and finished queries survive a restart.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/cloudtrail/test_lake.py [-v]
"""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER:
        SERVER.close()


def call(ct, operation, **params):
    """`operation` through boto3 when its model has it; else the same JSON 1.1 request signed by botocore
    (Debian's botocore predates StartEventDataStoreIngestion / StopEventDataStoreIngestion)."""
    name = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
    if hasattr(ct, name):
        return getattr(ct, name)(**params)
    import urllib.request
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    body = json.dumps(params).encode()
    req = AWSRequest(method="POST", url=SERVER.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101." + operation})
    SigV4Auth(ct._request_signer._credentials, "cloudtrail", SERVER.region).add_auth(req)
    r = urllib.request.urlopen(urllib.request.Request(req.url, data=body, headers=dict(req.headers), method="POST"),
                               timeout=30)
    return json.loads(r.read() or b"{}")


def wait_query(ct, query_id, store=None):
    deadline = time.time() + 60
    while time.time() < deadline:
        d = ct.describe_query(QueryId=query_id, **({"EventDataStore": store} if store else {}))
        if d["QueryStatus"] not in ("QUEUED", "RUNNING"):
            return d
        time.sleep(0.2)
    raise AssertionError("query did not finish")


def rows_of(ct, query_id, **kwargs):
    out = ct.get_query_results(QueryId=query_id, **kwargs)
    return [{k: v for cell in row for k, v in cell.items()} for row in out["QueryResultRows"]], out


class Lake(unittest.TestCase):
    def test_store_ingests_and_queries(self):
        ct = harness.boto3_client(SERVER, "cloudtrail")
        s3 = harness.boto3_client(SERVER, "s3")
        s3.create_bucket(Bucket="before-the-store")  # recorded before the store exists: not in it
        store = ct.create_event_data_store(Name="audit", RetentionPeriod=90,
                                           TerminationProtectionEnabled=False)
        self.assertEqual(store["Status"], "CREATED")
        self.assertEqual(store["AdvancedEventSelectors"][0]["FieldSelectors"][0],
                         {"Field": "eventCategory", "Equals": ["Management"]})
        arn = store["EventDataStoreArn"]
        store_id = arn.rsplit("/", 1)[1]
        self.assertEqual(ct.get_event_data_store(EventDataStore=arn)["Status"], "ENABLED")
        for name in ("lake-a", "lake-b", "lake-c"):
            s3.create_bucket(Bucket=name)
        s3.put_object(Bucket="lake-a", Key="k", Body=b"x")  # a data event: not selected by default
        with self.assertRaises(ClientError):
            s3.delete_bucket(Bucket="no-such-bucket")

        q = ct.start_query(QueryStatement=(
            f"SELECT eventName, requestParameters['bucketName'] AS bucket, userIdentity.type AS who "
            f"FROM {store_id} WHERE eventSource = 's3.amazonaws.com' AND eventName = 'CreateBucket' "
            f"ORDER BY bucket"))
        d = wait_query(ct, q["QueryId"])
        self.assertEqual(d["QueryStatus"], "FINISHED", d)
        rows, out = rows_of(ct, q["QueryId"])
        self.assertEqual([r["bucket"] for r in rows], ["lake-a", "lake-b", "lake-c"])
        self.assertEqual({r["who"] for r in rows}, {"Root"})
        self.assertEqual(out["QueryStatistics"]["ResultsCount"], 3)

        # Aggregates, error codes, time filters; the ARN names the store as well as the id.
        q = ct.start_query(QueryStatement=(
            f"SELECT eventName, errorCode, count(*) AS n FROM {arn} "
            f"WHERE eventTime > '2000-01-01 00:00:00' AND errorCode IS NOT NULL GROUP BY 1, 2"))
        self.assertEqual(wait_query(ct, q["QueryId"])["QueryStatus"], "FINISHED")
        rows, _ = rows_of(ct, q["QueryId"])
        self.assertIn({"eventName": "DeleteBucket", "errorCode": "NoSuchBucket", "n": "1"}, rows)
        q = ct.start_query(QueryStatement=f"SELECT count(*) AS n FROM {store_id} WHERE eventName = 'PutObject'")
        wait_query(ct, q["QueryId"])
        self.assertEqual(rows_of(ct, q["QueryId"])[0], [{"n": "0"}])

        # Pages.
        q = ct.start_query(QueryStatement=f"SELECT eventId FROM {store_id}")
        wait_query(ct, q["QueryId"])
        seen, token = [], None
        for _ in range(100):
            rows, out = rows_of(ct, q["QueryId"], MaxQueryResults=2, **({"NextToken": token} if token else {}))
            seen += [r["eventID"] for r in rows]
            token = out.get("NextToken")
            if not token:
                break
        self.assertGreaterEqual(len(seen), 5)
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(q["QueryId"], [x["QueryId"] for x in ct.list_queries(EventDataStore=arn)["Queries"]])

        # Errors as AWS answers them.
        with self.assertRaises(ClientError) as cm:
            ct.start_query(QueryStatement="SELECT 1")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InvalidQueryStatementException")
        with self.assertRaises(ClientError) as cm:
            ct.start_query(QueryStatement="SELECT * FROM 00000000-0000-0000-0000-000000000000")
        self.assertEqual(cm.exception.response["Error"]["Code"], "EventDataStoreNotFoundException")
        q = ct.start_query(QueryStatement=f"SELEC eventName FROM {store_id}")
        d = wait_query(ct, q["QueryId"])
        self.assertEqual(d["QueryStatus"], "FAILED")
        self.assertIn("SYNTAX_ERROR", d["ErrorMessage"])
        q = ct.start_query(QueryStatement=f"SELECT * FROM read_csv('/etc/passwd'), {store_id}")
        self.assertEqual(wait_query(ct, q["QueryId"])["QueryStatus"], "FAILED")

        # Stopped ingestion: calls meanwhile are not in the store.
        call(ct, "StopEventDataStoreIngestion", EventDataStore=arn)
        self.assertEqual(ct.get_event_data_store(EventDataStore=arn)["Status"], "STOPPED_INGESTION")
        s3.create_bucket(Bucket="while-stopped")
        call(ct, "StartEventDataStoreIngestion", EventDataStore=arn)
        s3.create_bucket(Bucket="after-restart-of-ingestion")
        q = ct.start_query(QueryStatement=(
            f"SELECT requestParameters['bucketName'] AS b FROM {store_id} WHERE eventName = 'CreateBucket'"))
        wait_query(ct, q["QueryId"])
        buckets = {r["b"] for r in rows_of(ct, q["QueryId"])[0]}
        self.assertEqual(buckets, {"lake-a", "lake-b", "lake-c", "after-restart-of-ingestion"})
        finished = q["QueryId"]

        # A restart keeps the store and the finished query's results; a new query rebuilds the export.
        SERVER.restart()
        ct = harness.boto3_client(SERVER, "cloudtrail")
        self.assertEqual(ct.get_event_data_store(EventDataStore=arn)["Name"], "audit")
        self.assertEqual(len(rows_of(ct, finished)[0]), 4)
        q = ct.start_query(QueryStatement=(
            f"SELECT count(*) AS n FROM {store_id} WHERE eventName = 'CreateBucket'"))
        wait_query(ct, q["QueryId"])
        self.assertEqual(rows_of(ct, q["QueryId"])[0], [{"n": "4"}])

        # Deletion: pending for 7 days, restorable; queries refused meanwhile.
        ct.delete_event_data_store(EventDataStore=arn)
        self.assertEqual(ct.get_event_data_store(EventDataStore=arn)["Status"], "PENDING_DELETION")
        with self.assertRaises(ClientError) as cm:
            ct.start_query(QueryStatement=f"SELECT 1 FROM {store_id}")
        self.assertEqual(cm.exception.response["Error"]["Code"], "InactiveEventDataStoreException")
        self.assertEqual(ct.restore_event_data_store(EventDataStore=arn)["Status"], "ENABLED")

    def test_selectors_and_protection(self):
        ct = harness.boto3_client(SERVER, "cloudtrail")
        store = ct.create_event_data_store(Name="s3-writes", AdvancedEventSelectors=[{
            "Name": "S3 management writes", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]},
                {"Field": "eventSource", "Equals": ["s3.amazonaws.com"]},
                {"Field": "readOnly", "Equals": ["false"]}]}])
        arn = store["EventDataStoreArn"]
        with self.assertRaises(ClientError) as cm:
            ct.create_event_data_store(Name="s3-writes")
        self.assertEqual(cm.exception.response["Error"]["Code"], "EventDataStoreAlreadyExistsException")
        s3 = harness.boto3_client(SERVER, "s3")
        s3.create_bucket(Bucket="sel-a")
        s3.list_buckets()
        harness.boto3_client(SERVER, "sqs").create_queue(QueueName="sel-q")
        q = ct.start_query(QueryStatement=f"SELECT DISTINCT eventSource, eventName FROM {arn}")
        wait_query(ct, q["QueryId"])
        rows = rows_of(ct, q["QueryId"])[0]
        self.assertEqual(rows, [{"eventSource": "s3.amazonaws.com", "eventName": "CreateBucket"}])
        with self.assertRaises(ClientError) as cm:
            ct.delete_event_data_store(EventDataStore=arn)
        self.assertEqual(cm.exception.response["Error"]["Code"], "EventDataStoreTerminationProtectedException")
        ct.update_event_data_store(EventDataStore=arn, TerminationProtectionEnabled=False)
        ct.delete_event_data_store(EventDataStore=arn)


class LakeCli(harness.CliCase):
    def server(self):
        return SERVER

    def test_cli_query(self):
        store = self.aws_json("cloudtrail", "create-event-data-store", "--name", "cli-store",
                              "--no-termination-protection-enabled")
        store_id = store["EventDataStoreArn"].rsplit("/", 1)[1]
        self.aws("s3api", "create-bucket", "--bucket", "cli-lake")
        q = self.aws_json("cloudtrail", "start-query", "--query-statement",
                          f"SELECT eventName FROM {store_id} WHERE eventName = 'CreateBucket'")
        deadline = time.time() + 60
        while time.time() < deadline:
            d = self.aws_json("cloudtrail", "describe-query", "--query-id", q["QueryId"])
            if d["QueryStatus"] not in ("QUEUED", "RUNNING"):
                break
            time.sleep(0.3)
        self.assertEqual(d["QueryStatus"], "FINISHED")
        out = self.aws_json("cloudtrail", "get-query-results", "--query-id", q["QueryId"])
        self.assertEqual(out["QueryResultRows"], [[{"eventName": "CreateBucket"}]])


if __name__ == "__main__":
    harness.main()
