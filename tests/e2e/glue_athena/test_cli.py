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
    RESULTS_BUCKET = BUCKET

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

    def query(self, sql, database=DB):
        qid = self.aws_json("athena", "start-query-execution", "--query-string", sql,
                            "--query-execution-context", f"Database={database}",
                            "--result-configuration",
                            f"OutputLocation=s3://{self.RESULTS_BUCKET}/results/")["QueryExecutionId"]
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


class IcebergCliTests(LakeCliTests):
    """An Iceberg table's life through the CLI alone: create, insert, update, delete, merge, time travel by
    snapshot id, optimize, vacuum, the Glue commit (metadata_location) read with `aws glue get-table`."""

    ICE_DB = f"cli_ice_{uuid.uuid4().hex[:8]}"
    ICE_BUCKET = f"lake-cli-ice-{uuid.uuid4().hex[:8]}"
    RESULTS_BUCKET = ICE_BUCKET

    # The base class's scenario steps are not run again here.
    test_1_upload_raw_files = test_2_database_and_crawler = test_3_query_group_by = None
    test_4_max_items_pagination = test_5_result_csv_with_s3_cp = test_6_errors = None

    def rows(self, sql):
        qe = self.query(sql, database=self.ICE_DB)
        res = self.aws_json("athena", "get-query-results", "--query-execution-id", qe["QueryExecutionId"])
        return [[d.get("VarCharValue") for d in r["Data"]] for r in res["ResultSet"]["Rows"]][1:]

    def test_iceberg_table_through_the_cli(self):
        self.aws("s3", "mb", f"s3://{self.ICE_BUCKET}")
        self.aws("glue", "create-database", "--database-input", json.dumps({"Name": self.ICE_DB}))
        self.query(f"CREATE TABLE orders (id int, status string, amount double) "
                   f"PARTITIONED BY (bucket(4, id)) LOCATION 's3://{self.ICE_BUCKET}/orders/' "
                   f"TBLPROPERTIES ('table_type'='ICEBERG')", database=self.ICE_DB)
        self.query("INSERT INTO orders VALUES (1, 'new', 10.0), (2, 'new', 20.0), (3, 'new', 30.0)",
                   database=self.ICE_DB)
        table = self.aws_json("glue", "get-table", "--database-name", self.ICE_DB, "--name", "orders")["Table"]
        self.assertEqual(table["Parameters"]["table_type"].upper(), "ICEBERG")
        first_metadata = table["Parameters"]["metadata_location"]
        self.assertTrue(first_metadata.startswith(f"s3://{self.ICE_BUCKET}/orders/metadata/"), first_metadata)
        first_snapshot = self.rows('SELECT snapshot_id FROM "orders$snapshots" ORDER BY committed_at')[-1][0]

        self.query("UPDATE orders SET status = 'paid' WHERE id = 2", database=self.ICE_DB)
        self.query("DELETE FROM orders WHERE id = 3", database=self.ICE_DB)
        self.query("MERGE INTO orders t USING (SELECT 1 AS id, 15.0 AS amount UNION ALL SELECT 4, 40.0) s "
                   "ON t.id = s.id WHEN MATCHED THEN UPDATE SET amount = s.amount "
                   "WHEN NOT MATCHED THEN INSERT VALUES (s.id, 'new', s.amount)", database=self.ICE_DB)
        want = [["1", "new", "15.0"], ["2", "paid", "20.0"], ["4", "new", "40.0"]]
        self.assertEqual(self.rows("SELECT id, status, amount FROM orders ORDER BY id"), want)
        table = self.aws_json("glue", "get-table", "--database-name", self.ICE_DB, "--name", "orders")["Table"]
        self.assertNotEqual(table["Parameters"]["metadata_location"], first_metadata)
        self.assertIn("previous_metadata_location", table["Parameters"])

        # Time travel to the first snapshot: the rows as first inserted.
        self.assertEqual(self.rows(f"SELECT id, status, amount FROM orders FOR VERSION AS OF {first_snapshot} "
                                   "ORDER BY id"),
                         [["1", "new", "10.0"], ["2", "new", "20.0"], ["3", "new", "30.0"]])
        # OPTIMIZE folds the delete files into new data files; the answer stays the same.
        self.query("OPTIMIZE orders REWRITE DATA USING BIN_PACK", database=self.ICE_DB)
        self.assertEqual(self.rows("SELECT id, status, amount FROM orders ORDER BY id"), want)
        files = self.rows('SELECT content FROM "orders$files"')
        self.assertTrue(files and all(c[0] == "0" for c in files), files)  # data files only
        self.query("VACUUM orders", database=self.ICE_DB)
        self.assertEqual(self.rows("SELECT id, status, amount FROM orders ORDER BY id"), want)
        # A statement Athena refuses on Iceberg answers its error through the CLI too.
        self.assertIn("NOT_SUPPORTED", self.failed_query("ALTER TABLE orders REPLACE COLUMNS (id int)"))

    def failed_query(self, sql, database=None):
        """Runs `sql`, which must fail; returns its StateChangeReason."""
        qid = self.aws_json("athena", "start-query-execution", "--query-string", sql,
                            "--query-execution-context", f"Database={database or self.ICE_DB}",
                            "--result-configuration",
                            f"OutputLocation=s3://{self.RESULTS_BUCKET}/results/")["QueryExecutionId"]
        deadline = time.monotonic() + lake.POLL_TIMEOUT_S
        while True:
            qe = self.aws_json("athena", "get-query-execution", "--query-execution-id", qid)["QueryExecution"]
            if qe["Status"]["State"] in lake.TERMINAL:
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.assertEqual(qe["Status"]["State"], "FAILED", sql)
        return qe["Status"]["StateChangeReason"]

    def test_iceberg_rename_through_the_cli(self):
        """ALTER TABLE RENAME TO across databases: `aws glue get-table` finds the table under the new name with
        its metadata_location and location, the old name is gone, and the table is written and read again."""
        db, target = f"cli_ren_{uuid.uuid4().hex[:8]}", f"cli_ren2_{uuid.uuid4().hex[:8]}"
        self.aws("s3", "mb", f"s3://{self.ICE_BUCKET}-r")
        for name in (db, target):
            self.aws("glue", "create-database", "--database-input", json.dumps({"Name": name}))
        results = f"OutputLocation=s3://{self.ICE_BUCKET}-r/results/"

        def run(sql, database=db):
            qid = self.aws_json("athena", "start-query-execution", "--query-string", sql,
                                "--query-execution-context", f"Database={database}",
                                "--result-configuration", results)["QueryExecutionId"]
            deadline = time.monotonic() + lake.POLL_TIMEOUT_S
            while True:
                qe = self.aws_json("athena", "get-query-execution", "--query-execution-id", qid)["QueryExecution"]
                if qe["Status"]["State"] in lake.TERMINAL:
                    return qe
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.2)

        def rows(sql, database):
            qe = run(sql, database)
            self.assertEqual(qe["Status"]["State"], "SUCCEEDED", qe["Status"])
            res = self.aws_json("athena", "get-query-results", "--query-execution-id", qe["QueryExecutionId"])
            return [[d.get("VarCharValue") for d in r["Data"]] for r in res["ResultSet"]["Rows"]][1:]

        location = f"s3://{self.ICE_BUCKET}-r/events"
        for sql in (f"CREATE TABLE events (id int, kind string) LOCATION '{location}' "
                    "TBLPROPERTIES ('table_type'='ICEBERG')",
                    "INSERT INTO events VALUES (1, 'click'), (2, 'view')",
                    f"ALTER TABLE events RENAME TO {target}.events_v2"):
            self.assertEqual(run(sql)["Status"]["State"], "SUCCEEDED", sql)
        gone = self.aws("glue", "get-table", "--database-name", db, "--name", "events", check=False)
        self.assertNotEqual(gone.returncode, 0)
        self.assertIn("EntityNotFoundException", gone.stderr)
        table = self.aws_json("glue", "get-table", "--database-name", target, "--name", "events_v2")["Table"]
        self.assertEqual(table["StorageDescriptor"]["Location"], location)
        self.assertTrue(table["Parameters"]["metadata_location"].startswith(location + "/metadata/00001-"),
                        table["Parameters"])
        self.assertEqual(run("DELETE FROM events_v2 WHERE id = 1", target)["Status"]["State"], "SUCCEEDED")
        self.assertEqual(rows("SELECT id, kind FROM events_v2 ORDER BY id", target), [["2", "view"]])
        self.assertIn("TABLE_NOT_FOUND", run("SELECT * FROM events")["Status"]["StateChangeReason"])
        reason = run(f"ALTER TABLE {target}.events_v2 RENAME TO missing_db.x")["Status"]["StateChangeReason"]
        self.assertEqual(reason, "SCHEMA_NOT_FOUND: line 1:1: Target schema 'missing_db' does not exist")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
