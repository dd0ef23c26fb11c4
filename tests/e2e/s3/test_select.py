"""S3 Select (SelectObjectContent) end to end: boto3's select_object_content over CSV, JSON Lines, a JSON
document, gzip and Parquet objects (the Parquet file written with the pinned DuckDB library through
glue_athena/duck.py), records and Stats checked; S3's errors for bad requests; and the AWS CLI's
`s3api select-object-content` when a CLI is installed.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_select.py [-v]
     (CENOTE_AWS_CLI=/usr/bin/aws picks the CLI; default: `aws` on PATH, skipped when absent)
"""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "glue_athena"))
import harness  # noqa: E402
import duck  # noqa: E402

import botocore  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
CLI = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws")

CSV = (b"name,city,age\n"
       b"alice,Paris,30\n"
       b"\"bob, jr\",Lyon,41\n"
       b"carol,Paris,25\n"
       b"dave,Nice,57\n")
JSON_LINES = (b'{"id":1,"user":{"name":"alice","tags":["a","b"]},"amount":12.5}\n'
              b'{"id":2,"user":{"name":"bob"},"amount":7}\n'
              b'{"id":3,"user":{"name":"carol"},"amount":null}\n')
JSON_DOCUMENT = json.dumps({"orders": [{"sku": "x1", "qty": 2}, {"sku": "y2", "qty": 5}, {"sku": "z3", "qty": 1}]},
                           indent=2).encode()


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def select(s3, bucket, key, expression, input_serialization, output_serialization=None, **kwargs):
    """(records bytes, [event names], stats dict) of one SelectObjectContent call."""
    r = s3.select_object_content(Bucket=bucket, Key=key, Expression=expression, ExpressionType="SQL",
                                 InputSerialization=input_serialization,
                                 OutputSerialization=output_serialization or {"CSV": {}}, **kwargs)
    records, events, stats = b"", [], None
    for event in r["Payload"]:
        name = next(iter(event))
        events.append(name)
        if name == "Records":
            records += event["Records"]["Payload"]
        elif name == "Stats":
            stats = event["Stats"]["Details"]
    return records, events, stats


class SelectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s3 = harness.boto3_client(SERVER)
        cls.bucket = f"e2e-select-{uuid.uuid4().hex[:10]}"
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_object(Bucket=cls.bucket, Key="people.csv", Body=CSV)
        cls.csv_gz = gzip.compress(CSV, mtime=0)
        cls.s3.put_object(Bucket=cls.bucket, Key="people.csv.gz", Body=cls.csv_gz)
        cls.s3.put_object(Bucket=cls.bucket, Key="events.json", Body=JSON_LINES)
        cls.s3.put_object(Bucket=cls.bucket, Key="orders.json", Body=JSON_DOCUMENT)
        tmp = tempfile.mkdtemp(prefix="cenote-select-")
        try:
            path = os.path.join(tmp, "sales.parquet")
            duck.write_parquet(path, [("id", "BIGINT"), ("region", "VARCHAR"), ("total", "DOUBLE")],
                               [(1, "eu", 10.5), (2, "us", 20.0), (3, "eu", 4.5), (4, "apac", None)])
            with open(path, "rb") as f:
                cls.parquet = f.read()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        cls.s3.put_object(Bucket=cls.bucket, Key="sales.parquet", Body=cls.parquet)

    def test_csv_with_header(self):
        records, events, stats = select(
            self.s3, self.bucket, "people.csv",
            "SELECT s.name, s.age FROM S3Object s WHERE s.city = 'Paris' AND CAST(s.age AS INT) >= 26",
            {"CSV": {"FileHeaderInfo": "USE"}})
        self.assertEqual(records, b"alice,30\n")
        self.assertEqual(events[-2:], ["Stats", "End"])
        self.assertEqual(stats["BytesScanned"], len(CSV))
        self.assertEqual(stats["BytesProcessed"], len(CSV))
        self.assertEqual(stats["BytesReturned"], len(records))

    def test_csv_star_positions_and_quoting(self):
        records, _, _ = select(self.s3, self.bucket, "people.csv", "SELECT * FROM S3Object",
                               {"CSV": {"FileHeaderInfo": "IGNORE"}})
        self.assertEqual(records, CSV.split(b"\n", 1)[1])
        records, _, _ = select(self.s3, self.bucket, "people.csv", "SELECT _1, _3 FROM S3Object LIMIT 2",
                               {"CSV": {"FileHeaderInfo": "NONE"}}, {"JSON": {}})
        self.assertEqual([json.loads(line) for line in records.decode().splitlines()],
                         [{"_1": "name", "_3": "age"}, {"_1": "alice", "_3": "30"}])
        records, _, _ = select(self.s3, self.bucket, "people.csv", "SELECT name FROM S3Object LIMIT 2",
                               {"CSV": {"FileHeaderInfo": "USE"}},
                               {"CSV": {"QuoteFields": "ALWAYS", "RecordDelimiter": ";"}})
        self.assertEqual(records, b'"alice";"bob, jr";')

    def test_csv_aggregates_and_functions(self):
        records, _, _ = select(
            self.s3, self.bucket, "people.csv",
            "SELECT COUNT(*), SUM(CAST(age AS INT)), MIN(CAST(age AS INT)), MAX(CAST(age AS INT)) FROM S3Object",
            {"CSV": {"FileHeaderInfo": "USE"}})
        self.assertEqual(records, b"4,153,25,57\n")
        records, _, _ = select(
            self.s3, self.bucket, "people.csv",
            "SELECT UPPER(name), CHAR_LENGTH(city), SUBSTRING(city FROM 1 FOR 3) FROM S3Object "
            "WHERE name LIKE 'c%' OR city IN ('Nice')",
            {"CSV": {"FileHeaderInfo": "USE"}})
        self.assertEqual(records, b"CAROL,5,Par\nDAVE,4,Nic\n")

    def test_gzip_csv(self):
        records, _, stats = select(self.s3, self.bucket, "people.csv.gz", "SELECT COUNT(*) FROM S3Object",
                                   {"CSV": {"FileHeaderInfo": "USE"}, "CompressionType": "GZIP"})
        self.assertEqual(records, b"4\n")
        self.assertEqual(stats["BytesScanned"], len(self.csv_gz))

    def test_json_lines(self):
        records, _, stats = select(
            self.s3, self.bucket, "events.json",
            "SELECT s.id, s.user.name FROM S3Object[*] s WHERE s.amount > 8", {"JSON": {"Type": "LINES"}},
            {"JSON": {}})
        self.assertEqual([json.loads(line) for line in records.decode().splitlines()], [{"id": 1, "name": "alice"}])
        self.assertEqual(stats["BytesScanned"], len(JSON_LINES))
        records, _, _ = select(self.s3, self.bucket, "events.json", "SELECT * FROM S3Object s LIMIT 1",
                               {"JSON": {"Type": "LINES"}}, {"JSON": {}})
        self.assertEqual(json.loads(records), json.loads(JSON_LINES.splitlines()[0]))
        records, _, _ = select(self.s3, self.bucket, "events.json",
                               "SELECT COUNT(*) FROM S3Object s WHERE s.amount IS NULL", {"JSON": {"Type": "LINES"}})
        self.assertEqual(records, b"1\n")  # a null member
        records, _, _ = select(self.s3, self.bucket, "events.json",
                               "SELECT COUNT(*) FROM S3Object s WHERE s.user.tags IS MISSING",
                               {"JSON": {"Type": "LINES"}})
        self.assertEqual(records, b"2\n")

    def test_json_document_path(self):
        records, _, _ = select(self.s3, self.bucket, "orders.json",
                               "SELECT o.sku FROM S3Object[*].orders[*] o WHERE o.qty >= 2",
                               {"JSON": {"Type": "DOCUMENT"}})
        self.assertEqual(records, b"x1\ny2\n")

    def test_parquet(self):
        records, events, stats = select(
            self.s3, self.bucket, "sales.parquet",
            "SELECT s.id, s.region, s.total FROM S3Object s WHERE s.region = 'eu'", {"Parquet": {}}, {"JSON": {}})
        self.assertEqual([json.loads(line) for line in records.decode().splitlines()],
                         [{"id": 1, "region": "eu", "total": 10.5}, {"id": 3, "region": "eu", "total": 4.5}])
        self.assertEqual(stats["BytesScanned"], len(self.parquet))
        self.assertEqual(events[-1], "End")
        records, _, _ = select(self.s3, self.bucket, "sales.parquet", "SELECT SUM(total), COUNT(*) FROM S3Object",
                               {"Parquet": {}})
        self.assertEqual(records, b"35.0,4\n")

    def test_progress_events(self):
        _, events, _ = select(self.s3, self.bucket, "people.csv", "SELECT * FROM S3Object",
                              {"CSV": {}}, RequestProgress={"Enabled": True})
        self.assertIn("Progress", events)
        self.assertEqual(events[-2:], ["Stats", "End"])

    def test_large_object_streams(self):
        rows = 200_000
        body = "".join(f"{i},name-{i},{i % 97}\n" for i in range(rows)).encode()
        self.s3.put_object(Bucket=self.bucket, Key="big.csv", Body=body)
        records, events, stats = select(self.s3, self.bucket, "big.csv", "SELECT _1, _2 FROM S3Object WHERE _3 = '5'",
                                        {"CSV": {}})
        self.assertEqual(len(records.splitlines()), len([i for i in range(rows) if i % 97 == 5]))
        self.assertEqual(stats["BytesScanned"], len(body))
        records, events, _ = select(self.s3, self.bucket, "big.csv", "SELECT * FROM S3Object", {"CSV": {}})
        self.assertEqual(records, body)
        self.assertGreater(events.count("Records"), 1)  # sent in several messages as produced

    def error(self, key, expression, input_serialization=None, output_serialization=None, **kwargs):
        return harness.error_of(self.s3.select_object_content, Bucket=self.bucket, Key=key, Expression=expression,
                                ExpressionType=kwargs.pop("ExpressionType", "SQL"),
                                InputSerialization=input_serialization or {"CSV": {"FileHeaderInfo": "USE"}},
                                OutputSerialization=output_serialization or {"CSV": {}}, **kwargs)

    def test_errors(self):
        self.assertEqual(self.error("nope.csv", "SELECT * FROM S3Object"), (404, "NoSuchKey"))
        self.assertEqual(self.error("people.csv", "SELEC * FROM S3Object"), (400, "ParseUnexpectedToken"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object", ExpressionType="XPATH"),
                         (400, "InvalidExpressionType"))
        self.assertEqual(self.error("people.csv", "SELECT s.nope FROM S3Object s"), (400, "MissingHeaders"))
        self.assertEqual(self.error("people.csv", "SELECT _9 FROM S3Object"), (400, "InvalidColumnIndex"))
        self.assertEqual(self.error("people.csv", "SELECT md5(name) FROM S3Object"), (400, "UnsupportedFunction"))
        self.assertEqual(self.error("people.csv", "SELECT name FROM S3Object ORDER BY name"),
                         (400, "UnsupportedSyntax"))
        self.assertEqual(self.error("people.csv", "SELECT CAST(name AS INT) FROM S3Object"), (400, "CastFailed"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object", {"CSV": {}, "CompressionType": "BZIP2"}),
                         (400, "InvalidCompressionFormat"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object", {"CSV": {"FileHeaderInfo": "MAYBE"}}),
                         (400, "InvalidFileHeaderInfo"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object", {"CSV": {}, "JSON": {"Type": "LINES"}}),
                         (400, "ObjectSerializationConflict"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object", {"Parquet": {}}),
                         (400, "ParquetParsingError"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object", {"JSON": {"Type": "LINES"}}),
                         (400, "JSONParsingError"))
        # A file path or a table function never reaches the engine.
        self.assertEqual(self.error("people.csv", "SELECT * FROM read_csv('/etc/passwd')"), (400, "InvalidDataSource"))
        self.assertEqual(self.error("people.csv", "SELECT * FROM S3Object WHERE name = (SELECT 1)"),
                         (400, "UnsupportedSyntax"))

    def test_malformed_xml(self):
        import urllib.request
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        url = f"{SERVER.endpoint}/{self.bucket}/people.csv?select&select-type=2"
        req = AWSRequest(method="POST", url=url, data=b"<SelectObjectContentRequest><Expression>")
        S3SigV4Auth(Credentials(SERVER.access_key, SERVER.secret_key), "s3", SERVER.region).add_auth(req)
        http_req = urllib.request.Request(url, data=req.body, method="POST", headers=dict(req.headers))
        try:
            urllib.request.urlopen(http_req, timeout=30)
            self.fail("malformed XML accepted")
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 400)
            self.assertIn(b"<Code>MalformedXML</Code>", e.read())

    @unittest.skipUnless(CLI, "no AWS CLI installed")
    def test_aws_cli(self):
        out_dir = tempfile.mkdtemp(prefix="cenote-select-cli-")
        try:
            out = os.path.join(out_dir, "out.csv")
            r = subprocess.run(
                [CLI, "--endpoint-url", SERVER.endpoint, "s3api", "select-object-content", "--bucket", self.bucket, "--key", "people.csv",
                 "--expression", "SELECT name FROM S3Object WHERE city = 'Paris'", "--expression-type", "SQL",
                 "--input-serialization", '{"CSV": {"FileHeaderInfo": "USE"}}',
                 "--output-serialization", '{"CSV": {}}', out],
                env=SERVER.client_env(), capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), b"alice\ncarol\n")
        finally:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    harness.main()
