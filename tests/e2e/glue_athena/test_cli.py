"""Glue + Athena end to end with the AWS CLI (v2 at $CENOTE_AWS_CLI, default /usr/bin/aws): raw files to S3,
a crawler, Athena queries, --max-items pagination, and the result CSV copied back with `aws s3 cp`.

Configured by environment variables only (no ~/.aws), --endpoint-url on every call.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/glue_athena/test_cli.py [-v]
"""

import collections
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import lake  # noqa: E402

SERVER = None
WORK = None
CLI = os.environ.get("CENOTE_AWS_CLI") or shutil.which("aws") or "/usr/bin/aws"
CLI_TIMEOUT_S = 120
DATA = lake.DataSet()
BUCKET = f"lake-cli-{uuid.uuid4().hex[:10]}"
DB = f"cli_{uuid.uuid4().hex[:8]}"
CRAWLER = f"cli-crawler-{uuid.uuid4().hex[:8]}"


def setUpModule():
    global SERVER, WORK
    WORK = tempfile.mkdtemp(prefix="cenote-e2e-lake-cli-")
    try:
        SERVER = harness.Server()
        SERVER.start()
        harness.create_service_role(SERVER, lake.CRAWLER_ROLE, "glue.amazonaws.com")
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if SERVER is not None:
        SERVER.close()
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)


class LakeCliTests(unittest.TestCase):
    """One ordered scenario, split into steps that run in name order and share state on the class."""

    state = {}

    def setUp(self):
        self.config_file = os.path.join(WORK, "empty-config")
        open(self.config_file, "w").close()
        self.env = SERVER.client_env(config_file=self.config_file)

    def aws(self, *args, check=True):
        argv = [CLI, "--endpoint-url", SERVER.endpoint, "--no-cli-pager", *args]
        r = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=CLI_TIMEOUT_S)
        if check:
            self.assertEqual(r.returncode, 0, f"aws {' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def aws_json(self, *args):
        r = self.aws(*args, "--output", "json")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def need(self, key):
        if key not in self.state:
            self.skipTest(f"an earlier step did not produce {key!r}")
        return self.state[key]

    def query(self, sql):
        qid = self.aws_json("athena", "start-query-execution", "--query-string", sql,
                            "--query-execution-context", f"Database={DB}",
                            "--result-configuration", f"OutputLocation=s3://{BUCKET}/results/")["QueryExecutionId"]
        deadline = time.monotonic() + lake.POLL_TIMEOUT_S
        while True:
            qe = self.aws_json("athena", "get-query-execution", "--query-execution-id", qid)["QueryExecution"]
            if qe["Status"]["State"] in lake.TERMINAL:
                break
            self.assertLess(time.monotonic(), deadline, f"{sql!r} still {qe['Status']['State']}")
            time.sleep(0.2)
        self.assertEqual(qe["Status"]["State"], "SUCCEEDED", qe["Status"])
        return qe

    def test_1_upload_raw_files(self):
        r = self.aws("s3", "mb", f"s3://{BUCKET}")
        self.assertIn(f"make_bucket: {BUCKET}", r.stdout)
        local = os.path.join(WORK, "raw")
        for key, body in DATA.objects("raw").items():
            if key.startswith("raw/sales/"):
                path = os.path.join(WORK, key)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(body)
        r = self.aws("s3", "cp", os.path.join(local, "sales"), f"s3://{BUCKET}/raw/sales/", "--recursive")
        self.assertEqual(r.stdout.count("upload:"), len(lake.SALES_PARTITIONS), r.stdout)
        self.state["uploaded"] = True

    def test_2_database_and_crawler(self):
        self.need("uploaded")
        self.aws("glue", "create-database", "--database-input", json.dumps({"Name": DB, "Description": "cli"}))
        self.assertEqual(self.aws_json("glue", "get-database", "--name", DB)["Database"]["Name"], DB)
        self.aws("glue", "create-crawler", "--name", CRAWLER, "--role", lake.CRAWLER_ROLE, "--database-name", DB,
                 "--targets", json.dumps({"S3Targets": [{"Path": f"s3://{BUCKET}/raw/sales/"}]}))
        self.aws("glue", "start-crawler", "--name", CRAWLER)
        deadline = time.monotonic() + lake.POLL_TIMEOUT_S
        while True:
            c = self.aws_json("glue", "get-crawler", "--name", CRAWLER)["Crawler"]
            if c["State"] == "READY" and c.get("LastCrawl"):
                break
            self.assertLess(time.monotonic(), deadline, f"crawler not done: {c}")
            time.sleep(0.5)
        self.assertEqual(c["LastCrawl"]["Status"], "SUCCEEDED", c["LastCrawl"])
        tables = self.aws_json("glue", "get-tables", "--database-name", DB)["TableList"]
        self.assertEqual([t["Name"] for t in tables], ["sales"])
        t = tables[0]
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]],
                         ["order_id", "customer_id", "amount", "product", "ts"])
        self.assertEqual([k["Name"] for k in t["PartitionKeys"]], ["year", "month"])
        # The CLI's own pagination over get-partitions.
        parts = self.aws_json("glue", "get-partitions", "--database-name", DB, "--table-name", "sales")["Partitions"]
        self.assertEqual(sorted(tuple(p["Values"]) for p in parts), sorted(lake.SALES_PARTITIONS))
        self.state["crawled"] = True

    def test_3_query_group_by(self):
        self.need("crawled")
        qe = self.query("SELECT product, count(*) AS n FROM sales GROUP BY product ORDER BY product")
        res = self.aws_json("athena", "get-query-results", "--query-execution-id", qe["QueryExecutionId"])
        rows = [[d.get("VarCharValue") for d in r["Data"]] for r in res["ResultSet"]["Rows"]]
        want = collections.Counter(s["product"] for s in DATA.sales)
        self.assertEqual(rows[0], ["product", "n"])
        self.assertEqual([(p, int(n)) for p, n in rows[1:]], sorted(want.items()))
        self.state["group_by_qid"] = qe["QueryExecutionId"]

    def test_4_max_items_pagination(self):
        self.need("crawled")
        qe = self.query("SELECT order_id FROM sales ORDER BY order_id")
        rows, token, calls = [], None, 0
        while True:
            args = ["athena", "get-query-results", "--query-execution-id", qe["QueryExecutionId"],
                    "--max-items", "45", "--page-size", "20"]
            if token:
                args += ["--starting-token", token]
            page = self.aws_json(*args)
            calls += 1
            got = [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
            self.assertLessEqual(len(got), 45)
            rows += got
            token = page.get("NextToken")
            if not token:
                break
            self.assertLess(calls, 50, "pagination does not terminate")
        self.assertEqual(rows[0], ["order_id"])
        self.assertEqual([int(r[0]) for r in rows[1:]], sorted(s["order_id"] for s in DATA.sales))
        self.assertEqual(calls, (len(DATA.sales) + 1 + 44) // 45)

    def test_5_result_csv_with_s3_cp(self):
        qid = self.need("group_by_qid")
        qe = self.aws_json("athena", "get-query-execution", "--query-execution-id", qid)["QueryExecution"]
        location = qe["ResultConfiguration"]["OutputLocation"]
        self.assertEqual(location, f"s3://{BUCKET}/results/{qid}.csv")
        dst = os.path.join(WORK, "result.csv")
        self.aws("s3", "cp", location, dst)
        with open(dst, newline="") as f:
            rows = list(csv.reader(f))
        want = collections.Counter(s["product"] for s in DATA.sales)
        self.assertEqual(rows[0], ["product", "n"])
        self.assertEqual([(p, int(n)) for p, n in rows[1:]], sorted(want.items()))

    def test_6_errors(self):
        r = self.aws("athena", "get-query-execution", "--query-execution-id", "00000000-0000-0000-0000-000000000000",
                     check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidRequestException", r.stderr)
        r = self.aws("glue", "get-table", "--database-name", DB, "--name", "no_such_table", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("EntityNotFoundException", r.stderr)
        r = self.aws("athena", "start-query-execution", "--query-string", "SELECT 1", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidRequestException", r.stderr)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
