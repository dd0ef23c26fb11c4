"""Firehose "platform path" end to end (issue 4): JSON in, Parquet out via a Glue schema, dynamic partitioning by
customer, then queryable through Athena after MSCK REPAIR TABLE.

Glue database + Parquet table (the conversion schema) -> S3 bucket -> DirectPut stream with
DataFormatConversionConfiguration (OpenXJsonSerDe -> ParquetSerDe), DynamicPartitioning on `customer` via a
MetadataExtraction (JQ-1.6) processor, Prefix events/customer=!{partitionKeyFromQuery:customer}/, ErrorOutputPrefix
errors/. ~300 events over 3 customers plus 2 malformed records; then an Athena DDL table partitioned by customer over
s3://bucket/events/, MSCK REPAIR TABLE, and count / sum(amount) per customer checked against what was sent.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/firehose/test_platform.py [-v]
"""

import base64
import json
import os
import random
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
ROLE = "arn:aws:iam::000000000000:role/firehose"
DELIVERY_TIMEOUT_S = 60
QUERY_TIMEOUT_S = 60
CUSTOMERS = ["acme", "globex", "initech"]


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()
    harness.create_service_role(SERVER, ROLE, "firehose.amazonaws.com")


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


@harness.skip_on_moto("moto does not convert to Parquet, partition dynamically or run Athena SQL")
class PlatformPath(unittest.TestCase):
    def setUp(self):
        self.firehose = harness.boto3_client(SERVER, "firehose", parameter_validation=False)
        self.s3 = harness.boto3_client(SERVER, "s3")
        self.glue = harness.boto3_client(SERVER, "glue")
        self.athena = harness.boto3_client(SERVER, "athena")
        self.bucket = f"fhp-{uuid.uuid4().hex[:12]}"
        self.db = f"fhp_{uuid.uuid4().hex[:8]}"
        self.stream = f"fhp-{uuid.uuid4().hex[:10]}"

    # ------------------------------------------------------------------ helpers
    def keys(self, prefix):
        out, token = [], None
        while True:
            kw = dict(Bucket=self.bucket, Prefix=prefix)
            if token:
                kw["ContinuationToken"] = token
            r = self.s3.list_objects_v2(**kw)
            out += [o["Key"] for o in r.get("Contents", [])]
            token = r.get("NextContinuationToken")
            if not token:
                return out

    def wait_for(self, predicate, what, timeout=DELIVERY_TIMEOUT_S):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.5)
        self.fail(f"timed out after {timeout}s waiting for {what}; all keys: {self.keys('')}")

    def query(self, sql):
        qid = self.athena.start_query_execution(
            QueryString=sql, QueryExecutionContext={"Database": self.db},
            ResultConfiguration={"OutputLocation": f"s3://{self.bucket}/athena/"})["QueryExecutionId"]
        deadline = time.monotonic() + QUERY_TIMEOUT_S
        while True:
            qe = self.athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            state = qe["Status"]["State"]
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            if time.monotonic() > deadline:
                self.fail(f"query still {state} after {QUERY_TIMEOUT_S}s: {sql}")
            time.sleep(0.2)
        self.assertEqual(state, "SUCCEEDED", f"{sql}: {qe['Status'].get('StateChangeReason')}")
        rows, token = [], None
        while True:
            kw = dict(QueryExecutionId=qid)
            if token:
                kw["NextToken"] = token
            r = self.athena.get_query_results(**kw)
            rows += [[c.get("VarCharValue") for c in row["Data"]] for row in r["ResultSet"]["Rows"]]
            token = r.get("NextToken")
            if not token:
                break
        return rows[1:]  # first row is the header for SELECTs

    # ------------------------------------------------------------------ the test
    def test_json_to_parquet_partitioned_and_queryable(self):
        self.s3.create_bucket(Bucket=self.bucket)
        self.glue.create_database(DatabaseInput={"Name": self.db})
        self.glue.create_table(DatabaseName=self.db, TableInput={
            "Name": "events", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
            "StorageDescriptor": {
                "Columns": [{"Name": "event_id", "Type": "int"}, {"Name": "customer", "Type": "string"},
                            {"Name": "amount", "Type": "double"}, {"Name": "ts", "Type": "string"}],
                "Location": f"s3://{self.bucket}/events/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary":
                              "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})

        self.firehose.create_delivery_stream(
            DeliveryStreamName=self.stream, DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{self.bucket}",
                "Prefix": "events/customer=!{partitionKeyFromQuery:customer}/",
                "ErrorOutputPrefix": "errors/",
                "BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 0},
                "CompressionFormat": "UNCOMPRESSED",
                "DynamicPartitioningConfiguration": {"Enabled": True},
                "ProcessingConfiguration": {"Enabled": True, "Processors": [
                    {"Type": "MetadataExtraction", "Parameters": [
                        {"ParameterName": "MetadataExtractionQuery", "ParameterValue": "{customer: .customer}"},
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"}]}]},
                "DataFormatConversionConfiguration": {
                    "Enabled": True,
                    "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                    "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
                    "SchemaConfiguration": {"DatabaseName": self.db, "TableName": "events",
                                            "RoleARN": ROLE, "Region": SERVER.region}}})
        deadline = time.monotonic() + 30
        while True:
            d = self.firehose.describe_delivery_stream(DeliveryStreamName=self.stream)["DeliveryStreamDescription"]
            if d["DeliveryStreamStatus"] == "ACTIVE":
                break
            self.assertLess(time.monotonic(), deadline, "delivery stream not ACTIVE after 30 s")
            time.sleep(0.2)

        # ~300 events over 3 customers (amounts with 2 decimals, so sums are exact to the cent).
        rnd = random.Random(4)
        events = []
        for i in range(300):
            events.append({"event_id": i, "customer": CUSTOMERS[i % 3],
                           "amount": round(rnd.uniform(1, 500), 2),
                           "ts": f"2026-11-24T10:{i // 60:02d}:{i % 60:02d}Z"})
        records = [{"Data": (json.dumps(e) + "\n").encode()} for e in events]
        malformed = [{"Data": b"{not json at all\n"}, {"Data": b"\x00\x01 garbage}\n"}]
        sent = 0
        for start in range(0, len(records), 100):
            batch = records[start:start + 100] + (malformed if start == 0 else [])
            out = self.firehose.put_record_batch(DeliveryStreamName=self.stream, Records=batch)
            self.assertEqual(out["FailedPutCount"], 0, out)
            sent += len(batch)
        self.assertEqual(sent, 302)

        expected = {c: (sum(1 for e in events if e["customer"] == c),
                        round(sum(e["amount"] for e in events if e["customer"] == c), 2)) for c in CUSTOMERS}

        # Delivery: Parquet objects under events/customer=<c>/, the malformed records under errors/.
        self.wait_for(lambda: all(self.keys(f"events/customer={c}/") for c in CUSTOMERS),
                      "objects under events/customer=<c>/ for every customer")
        self.wait_for(lambda: self.keys("errors/"), "objects under errors/")
        event_keys = self.keys("events/")
        for key in event_keys:
            self.assertRegex(key, r"^events/customer=(acme|globex|initech)/[^/]+$")
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            self.assertEqual(body[:4], b"PAR1", f"{key} is not Parquet")
            self.assertEqual(body[-4:], b"PAR1", f"{key} is not Parquet")
        errors = b"".join(self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read()
                          for k in self.keys("errors/"))
        # Error records are JSON lines with the original data base64-encoded in rawData (AWS format).
        error_docs = [json.loads(line) for line in errors.splitlines() if line.strip()]
        self.assertEqual(len(error_docs), 2, errors[:2000])
        raw = sorted(base64.b64decode(d["rawData"]) for d in error_docs)
        self.assertEqual(raw, sorted(m["Data"] for m in malformed))

        # Queryable: an Athena DDL table partitioned by customer over events/, partitions loaded by MSCK REPAIR.
        self.query(f"CREATE EXTERNAL TABLE {self.db}.events_p (event_id int, amount double, ts string) "
                   f"PARTITIONED BY (customer string) STORED AS PARQUET LOCATION 's3://{self.bucket}/events/'")
        self.query(f"MSCK REPAIR TABLE {self.db}.events_p")
        parts = self.glue.get_partitions(DatabaseName=self.db, TableName="events_p")["Partitions"]
        self.assertEqual(sorted(p["Values"][0] for p in parts), CUSTOMERS)

        # Every event is delivered exactly once (a late-arriving object would show up as a count mismatch).
        rows = self.query(f"SELECT customer, count(*), sum(amount), count(DISTINCT event_id) "
                          f"FROM {self.db}.events_p GROUP BY customer ORDER BY customer")
        got = {r[0]: (int(r[1]), round(float(r[2]), 2), int(r[3])) for r in rows}
        self.assertEqual(got, {c: (n, s, n) for c, (n, s) in expected.items()})
        rows = self.query(f"SELECT count(*), min(event_id), max(event_id) FROM {self.db}.events_p")
        self.assertEqual([int(x) for x in rows[0]], [300, 0, 299])
        # Partition pruning and the row contents themselves.
        rows = self.query(f"SELECT event_id, amount, ts FROM {self.db}.events_p WHERE customer = 'globex' "
                          f"ORDER BY event_id")
        want = [(e["event_id"], e["amount"], e["ts"]) for e in events if e["customer"] == "globex"]
        self.assertEqual([(int(a), float(b), c) for a, b, c in rows], want)


if __name__ == "__main__":
    harness.main()
