"""Glue Data Catalog + crawlers + Athena end to end with boto3 (Debian's 1.26 and a current one).

The data set (lake.DataSet: CSV with a header and JSON lines and Parquet under Hive partition folders, CSV
under unnamed partition folders) is generated from a fixed seed; every expected answer is computed here in
Python from the generated rows, never by an engine.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_boto3.py [-v] [TestClass.test_name ...]
"""

import collections
import csv
import gzip
import io
import json
import math
import os
import sys
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import lake  # noqa: E402

SERVER = None
DATA = None
BUCKET = None
S3 = GLUE = ATHENA = None
DDL_DB = None  # tables created with Athena DDL over the raw data set


def setUpModule():
    try:
        _setup()
    except BaseException:
        tearDownModule()  # unittest does not call it when setUpModule fails
        raise


def _setup():
    global SERVER, DATA, BUCKET, S3, GLUE, ATHENA, DDL_DB
    SERVER = harness.Server()
    SERVER.start()
    harness.create_service_role(SERVER, lake.CRAWLER_ROLE, "glue.amazonaws.com")
    S3 = harness.boto3_client(SERVER, "s3")
    GLUE = harness.boto3_client(SERVER, "glue")
    ATHENA = harness.boto3_client(SERVER, "athena")
    BUCKET = f"lake-e2e-{uuid.uuid4().hex[:10]}"
    S3.create_bucket(Bucket=BUCKET)
    DATA = lake.DataSet()
    lake.upload(S3, BUCKET, DATA.objects("raw"))
    DDL_DB = f"ddl_{uuid.uuid4().hex[:8]}"


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def athena(database=None):
    return lake.Athena(ATHENA, f"s3://{BUCKET}/athena-results/", database)


def close(a, b, tol=1e-6):
    return abs(float(a) - float(b)) <= tol * max(1.0, abs(float(b)))


def server_cpu_seconds():
    """User + system CPU time of the server process (Linux), or None."""
    try:
        with open(f"/proc/{SERVER.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, AttributeError, IndexError, ValueError):
        return None


def assert_client_error(test, code, fn, *args, **kwargs):
    from botocore.exceptions import ClientError
    with test.assertRaises(ClientError) as cm:
        fn(*args, **kwargs)
    test.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
    return cm.exception.response


# ============================================================================================== Glue catalog
class GlueCatalogTests(unittest.TestCase):
    def test_database_crud_and_errors(self):
        name = f"cat_{uuid.uuid4().hex[:8]}"
        GLUE.create_database(DatabaseInput={"Name": name, "Description": "e2e", "Parameters": {"k": "v"}})
        db = GLUE.get_database(Name=name)["Database"]
        self.assertEqual(db["Name"], name)
        self.assertEqual(db["Description"], "e2e")
        self.assertEqual(db["Parameters"], {"k": "v"})
        self.assertIn(name, [d["Name"] for d in GLUE.get_databases()["DatabaseList"]])
        assert_client_error(self, "AlreadyExistsException", GLUE.create_database, DatabaseInput={"Name": name})
        GLUE.create_table(DatabaseName=name, TableInput={
            "Name": "t1", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
            "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "bigint"}, {"Name": "b", "Type": "string"}],
                                  "Location": f"s3://{BUCKET}/nowhere/"},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}]})
        t = GLUE.get_table(DatabaseName=name, Name="t1")["Table"]
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]], ["a", "b"])
        self.assertEqual(t["PartitionKeys"], [{"Name": "dt", "Type": "string"}])
        self.assertEqual(t["DatabaseName"], name)
        assert_client_error(self, "EntityNotFoundException", GLUE.get_table, DatabaseName=name, Name="nope")
        assert_client_error(self, "EntityNotFoundException", GLUE.get_database, Name=f"{name}_missing")
        GLUE.batch_create_partition(DatabaseName=name, TableName="t1", PartitionInputList=[
            {"Values": [f"2024-01-0{i}"], "StorageDescriptor": {"Location": f"s3://{BUCKET}/nowhere/dt=2024-01-0{i}/"}}
            for i in range(1, 4)])
        parts = GLUE.get_partitions(DatabaseName=name, TableName="t1")["Partitions"]
        self.assertEqual(sorted(p["Values"][0] for p in parts), ["2024-01-01", "2024-01-02", "2024-01-03"])
        part = GLUE.get_partitions(DatabaseName=name, TableName="t1", Expression="dt >= '2024-01-02'")["Partitions"]
        self.assertEqual(sorted(p["Values"][0] for p in part), ["2024-01-02", "2024-01-03"])
        part = GLUE.get_partitions(DatabaseName=name, TableName="t1", Expression="dt = '2024-01-01'")["Partitions"]
        self.assertEqual([p["Values"] for p in part], [["2024-01-01"]])
        # UpdateTable keeps the previous definition as a version.
        GLUE.update_table(DatabaseName=name, TableInput={
            "Name": "t1", "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "csv"},
            "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "bigint"}, {"Name": "b", "Type": "string"},
                                              {"Name": "c", "Type": "double"}],
                                  "Location": f"s3://{BUCKET}/nowhere/"},
            "PartitionKeys": [{"Name": "dt", "Type": "string"}]})
        t = GLUE.get_table(DatabaseName=name, Name="t1")["Table"]
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]], ["a", "b", "c"])
        versions = GLUE.get_table_versions(DatabaseName=name, TableName="t1")["TableVersions"]
        self.assertEqual(len(versions), 2)
        cols = sorted(len(v["Table"]["StorageDescriptor"]["Columns"]) for v in versions)
        self.assertEqual(cols, [2, 3])
        GLUE.delete_table(DatabaseName=name, Name="t1")
        assert_client_error(self, "EntityNotFoundException", GLUE.get_table, DatabaseName=name, Name="t1")
        GLUE.delete_database(Name=name)
        assert_client_error(self, "EntityNotFoundException", GLUE.get_database, Name=name)

    def test_model_constraints_are_checked_before_glue_runs(self):
        """AWS checks the input against the model first: Terraform's empty CatalogId and a 300-character name
        get one ValidationException listing both, not AccessDenied or EntityNotFound. boto3 itself refuses
        CatalogId='' (min length), so its client-side validation is off here, as in clients that send it."""
        raw = harness.boto3_client(SERVER, "glue", parameter_validation=False)
        name = "n" * 300
        resp = assert_client_error(self, "ValidationException", raw.get_database, CatalogId="", Name=name)
        self.assertEqual(resp["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(resp["Error"]["Message"],
                         "2 validation errors detected: "
                         "Value '' at 'catalogId' failed to satisfy constraint: "
                         "Member must have length greater than or equal to 1; "
                         f"Value '{name}' at 'name' failed to satisfy constraint: "
                         "Member must have length less than or equal to 255")
        # A 1 MB name is not echoed whole.
        resp = assert_client_error(self, "ValidationException", raw.get_database, Name="x" * (1 << 20))
        self.assertLess(len(resp["Error"]["Message"]), 1000)
        self.assertIn("...(truncated)' at 'name'", resp["Error"]["Message"])
        # A missing required member, named as AWS names it.
        resp = assert_client_error(self, "ValidationException", raw.get_table, DatabaseName="d")
        self.assertEqual(resp["Error"]["Message"], "1 validation error detected: Value null at 'name' failed "
                                                   "to satisfy constraint: Member must not be null")


# ============================================================================================== crawlers
class CrawlerTests(unittest.TestCase):
    """One crawler over the four raw data sets; checks tables, columns, classifications and partitions."""

    @classmethod
    def setUpClass(cls):
        cls.db = f"crawled_{uuid.uuid4().hex[:8]}"
        cls.crawler = f"e2e-crawler-{uuid.uuid4().hex[:8]}"
        GLUE.create_database(DatabaseInput={"Name": cls.db})
        GLUE.create_crawler(Name=cls.crawler, Role=lake.CRAWLER_ROLE, DatabaseName=cls.db, Targets={"S3Targets": [
            {"Path": f"s3://{BUCKET}/raw/{t}/"} for t in ("sales", "customers", "events", "logs")]})
        GLUE.start_crawler(Name=cls.crawler)
        cls.result = lake.wait_crawler(GLUE, cls.crawler)
        cls.tables = {t["Name"]: t for t in GLUE.get_tables(DatabaseName=cls.db)["TableList"]}

    def columns(self, table):
        return [(c["Name"], c["Type"]) for c in self.tables[table]["StorageDescriptor"]["Columns"]]

    def partitions(self, table):
        parts, token = [], None
        for _ in range(100):
            kw = dict(DatabaseName=self.db, TableName=table)
            if token:
                kw["NextToken"] = token
            page = GLUE.get_partitions(**kw)
            parts += page["Partitions"]
            token = page.get("NextToken")
            if not token:
                return parts
        self.fail("GetPartitions pagination does not terminate")

    def test_crawl_succeeded(self):
        self.assertEqual(self.result["State"], "READY")
        self.assertEqual(self.result["LastCrawl"]["Status"], "SUCCEEDED", self.result["LastCrawl"])
        metrics = GLUE.get_crawler_metrics(CrawlerNameList=[self.crawler])["CrawlerMetricsList"]
        self.assertEqual(len(metrics), 1)
        self.assertEqual(metrics[0]["CrawlerName"], self.crawler)
        self.assertEqual(metrics[0]["TablesCreated"], 4)

    def test_tables_found(self):
        self.assertEqual(sorted(self.tables), ["customers", "events", "logs", "sales"])
        for name, t in self.tables.items():
            self.assertEqual(t["StorageDescriptor"]["Location"].rstrip("/"), f"s3://{BUCKET}/raw/{name}", name)
            self.assertEqual(t.get("TableType"), "EXTERNAL_TABLE")

    def test_csv_table_with_hive_partitions(self):
        t = self.tables["sales"]
        self.assertEqual(t["Parameters"].get("classification"), "csv")
        self.assertEqual(self.columns("sales"), [("order_id", "bigint"), ("customer_id", "bigint"),
                                                 ("amount", "double"), ("product", "string"), ("ts", "string")])
        self.assertEqual([(k["Name"], k["Type"]) for k in t["PartitionKeys"]], [("year", "string"), ("month", "string")])
        parts = self.partitions("sales")
        self.assertEqual(sorted(tuple(p["Values"]) for p in parts), sorted(lake.SALES_PARTITIONS))
        for p in parts:
            self.assertEqual(p["StorageDescriptor"]["Location"].rstrip("/"),
                             f"s3://{BUCKET}/raw/sales/year={p['Values'][0]}/month={p['Values'][1]}")

    def test_json_table(self):
        t = self.tables["customers"]
        self.assertEqual(t["Parameters"].get("classification"), "json")
        cols = dict(self.columns("customers"))
        self.assertEqual(list(cols), ["customer_id", "name", "country", "tags", "profile"])
        self.assertIn(cols["customer_id"], ("int", "bigint"))
        self.assertEqual(cols["name"], "string")
        self.assertEqual(cols["tags"], "array<string>")
        self.assertEqual(t.get("PartitionKeys", []), [])

    def test_parquet_table_with_hive_partitions(self):
        t = self.tables["events"]
        self.assertEqual(t["Parameters"].get("classification"), "parquet")
        self.assertEqual(self.columns("events"), [("event_id", "bigint"), ("customer_id", "bigint"),
                                                  ("kind", "string"), ("value", "double"), ("ts", "timestamp")])
        self.assertEqual([k["Name"] for k in t["PartitionKeys"]], ["year", "month"])
        self.assertEqual(sorted(tuple(p["Values"]) for p in self.partitions("events")), sorted(lake.EVENT_PARTITIONS))

    def test_unnamed_partitions(self):
        t = self.tables["logs"]
        self.assertEqual([k["Name"] for k in t["PartitionKeys"]], ["partition_0", "partition_1"])
        self.assertEqual([c[0] for c in self.columns("logs")], ["level", "code", "msg"])
        self.assertEqual(sorted(tuple(p["Values"]) for p in self.partitions("logs")), sorted(lake.LOG_PARTITIONS))

    def test_storage_descriptors_as_aws_writes_them(self):
        # What Spark, Trino or Athena itself need to read the table from the catalog.
        csv_t, json_t, pq_t = self.tables["sales"], self.tables["customers"], self.tables["events"]
        sd = csv_t["StorageDescriptor"]
        self.assertEqual(sd["SerdeInfo"]["SerializationLibrary"], "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe")
        self.assertEqual(sd["SerdeInfo"].get("Parameters", {}).get("field.delim"), ",")
        self.assertEqual(sd["InputFormat"], "org.apache.hadoop.mapred.TextInputFormat")
        self.assertEqual(csv_t["Parameters"].get("skip.header.line.count"), "1")
        self.assertEqual(csv_t["Parameters"].get("UPDATED_BY_CRAWLER"), self.crawler)
        sd = json_t["StorageDescriptor"]
        self.assertEqual(sd["SerdeInfo"]["SerializationLibrary"], "org.openx.data.jsonserde.JsonSerDe")
        self.assertEqual(sd["InputFormat"], "org.apache.hadoop.mapred.TextInputFormat")
        sd = pq_t["StorageDescriptor"]
        self.assertEqual(sd["SerdeInfo"]["SerializationLibrary"],
                         "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe")
        self.assertEqual(sd["InputFormat"], "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
        self.assertEqual(sd["OutputFormat"], "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat")

    def test_athena_reads_crawled_tables(self):
        a = athena(self.db)
        self.assertEqual(int(a.scalar("SELECT count(*) FROM sales")), len(DATA.sales))
        self.assertEqual(int(a.scalar("SELECT count(*) FROM customers")), len(DATA.customers))
        self.assertEqual(int(a.scalar("SELECT count(*) FROM events")), len(DATA.events))
        rows = a.select("SELECT partition_0, partition_1, count(*) FROM logs GROUP BY 1, 2 ORDER BY 1, 2")
        want = collections.Counter((r["p0"], r["p1"]) for r in DATA.logs)
        self.assertEqual([(r[0], r[1], int(r[2])) for r in rows], [(k[0], k[1], v) for k, v in sorted(want.items())])
        got = a.scalar("SELECT sum(amount) FROM sales WHERE year = '2024'")
        self.assertTrue(close(got, sum(r["amount"] for r in DATA.sales if r["year"] == "2024")), got)

    def test_one_include_path_makes_one_table_per_folder(self):
        db = f"crawled_all_{uuid.uuid4().hex[:8]}"
        name = f"e2e-crawler-all-{uuid.uuid4().hex[:8]}"
        GLUE.create_database(DatabaseInput={"Name": db})
        GLUE.create_crawler(Name=name, Role=lake.CRAWLER_ROLE, DatabaseName=db,
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/raw/"}]})
        GLUE.start_crawler(Name=name)
        c = lake.wait_crawler(GLUE, name)
        self.assertEqual(c["LastCrawl"]["Status"], "SUCCEEDED", c["LastCrawl"])
        tables = {t["Name"]: t for t in GLUE.get_tables(DatabaseName=db)["TableList"]}
        self.assertEqual(sorted(tables), ["customers", "events", "logs", "sales"])
        self.assertEqual([k["Name"] for k in tables["sales"]["PartitionKeys"]], ["year", "month"])
        self.assertEqual(int(athena(db).scalar("SELECT count(*) FROM events")), len(DATA.events))

    def test_gzip_csv(self):
        db = f"crawled_gz_{uuid.uuid4().hex[:8]}"
        name = f"e2e-crawler-gz-{uuid.uuid4().hex[:8]}"
        prefix = f"gz-{uuid.uuid4().hex[:6]}/metrics"
        rows = [(i, f"m{i % 3}", i * 0.5) for i in range(1, 41)]
        body = "id,metric,value\n" + "".join(f"{i},{m},{v}\n" for i, m, v in rows)
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/part-0.csv.gz", Body=gzip.compress(body.encode()))
        GLUE.create_database(DatabaseInput={"Name": db})
        GLUE.create_crawler(Name=name, Role=lake.CRAWLER_ROLE, DatabaseName=db,
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/{prefix}/"}]})
        GLUE.start_crawler(Name=name)
        c = lake.wait_crawler(GLUE, name)
        self.assertEqual(c["LastCrawl"]["Status"], "SUCCEEDED", c["LastCrawl"])
        t = GLUE.get_table(DatabaseName=db, Name="metrics")["Table"]
        self.assertEqual(t["Parameters"].get("classification"), "csv")
        self.assertEqual(t["Parameters"].get("compressionType"), "gzip")
        self.assertEqual([(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]],
                         [("id", "bigint"), ("metric", "string"), ("value", "double")])
        got = athena(db).select("SELECT metric, count(*), sum(value) FROM metrics GROUP BY metric ORDER BY metric")
        want = collections.defaultdict(list)
        for _, m, v in rows:
            want[m].append(v)
        self.assertEqual([(m, int(n), float(v)) for m, n, v in got],
                         [(m, len(vs), sum(vs)) for m, vs in sorted(want.items())])

    def test_crawler_api_errors(self):
        assert_client_error(self, "EntityNotFoundException", GLUE.get_crawler, Name="no-such-crawler-e2e")
        assert_client_error(self, "EntityNotFoundException", GLUE.start_crawler, Name="no-such-crawler-e2e")
        assert_client_error(self, "AlreadyExistsException", GLUE.create_crawler, Name=self.crawler,
                            Role=lake.CRAWLER_ROLE, DatabaseName=self.db,
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/raw/sales/"}]})
        self.assertIn(self.crawler, GLUE.list_crawlers()["CrawlerNames"])

    def test_crawler_schedules(self):
        name = f"e2e-sched-{uuid.uuid4().hex[:8]}"
        GLUE.create_crawler(Name=name, Role=lake.CRAWLER_ROLE, DatabaseName=self.db, Schedule="cron(15 12 * * ? *)",
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/raw/sales/"}]})
        try:
            sched = GLUE.get_crawler(Name=name)["Crawler"]["Schedule"]
            self.assertEqual(sched, {"ScheduleExpression": "cron(15 12 * * ? *)", "State": "SCHEDULED"})
            assert_client_error(self, "SchedulerRunningException", GLUE.start_crawler_schedule, CrawlerName=name)
            GLUE.stop_crawler_schedule(CrawlerName=name)
            self.assertEqual(GLUE.get_crawler(Name=name)["Crawler"]["Schedule"]["State"], "NOT_SCHEDULED")
            assert_client_error(self, "SchedulerNotRunningException", GLUE.stop_crawler_schedule, CrawlerName=name)
            GLUE.update_crawler_schedule(CrawlerName=name, Schedule="cron(0 8 ? * MON-FRI *)")
            GLUE.start_crawler_schedule(CrawlerName=name)
            self.assertEqual(GLUE.get_crawler(Name=name)["Crawler"]["Schedule"],
                             {"ScheduleExpression": "cron(0 8 ? * MON-FRI *)", "State": "SCHEDULED"})
            for bad in ("cron(0 8 * * * *)", "cron(* * * * ? *)", "rate(1 hour)"):
                assert_client_error(self, "InvalidInputException", GLUE.update_crawler_schedule, CrawlerName=name,
                                    Schedule=bad)
            GLUE.update_crawler(Name=name, Schedule="")
            self.assertNotIn("Schedule", GLUE.get_crawler(Name=name)["Crawler"])
            assert_client_error(self, "NoScheduleException", GLUE.start_crawler_schedule, CrawlerName=name)
        finally:
            GLUE.delete_crawler(Name=name)


class RecrawlTests(unittest.TestCase):
    def test_table_prefix_and_exclusions(self):
        db = f"prefixed_{uuid.uuid4().hex[:8]}"
        name = f"e2e-prefix-{uuid.uuid4().hex[:8]}"
        prefix = f"excl-{uuid.uuid4().hex[:6]}"
        GLUE.create_database(DatabaseInput={"Name": db})
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/Web-Logs/part-0.csv", Body=b"a,b\n1,x\n2,y\n")
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/Web-Logs/tmp/ignored.csv", Body=b"zz,yy,xx\n9,9,9\n")
        GLUE.create_crawler(Name=name, Role=lake.CRAWLER_ROLE, DatabaseName=db, TablePrefix="raw_",
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/{prefix}/Web-Logs/",
                                                    "Exclusions": ["tmp/**"]}]})
        GLUE.start_crawler(Name=name)
        c = lake.wait_crawler(GLUE, name)
        self.assertEqual(c["LastCrawl"]["Status"], "SUCCEEDED", c["LastCrawl"])
        tables = GLUE.get_tables(DatabaseName=db)["TableList"]
        # The folder name lower-cased, '-' replaced by '_', after the prefix.
        self.assertEqual([t["Name"] for t in tables], ["raw_web_logs"])
        self.assertEqual([c["Name"] for c in tables[0]["StorageDescriptor"]["Columns"]], ["a", "b"])
        self.assertEqual(tables[0].get("PartitionKeys", []), [])  # the excluded tmp/ folder is no partition

    def test_recrawl_new_partition_and_new_column(self):
        db = f"recrawl_{uuid.uuid4().hex[:8]}"
        name = f"e2e-recrawl-{uuid.uuid4().hex[:8]}"
        prefix = f"recrawl-{uuid.uuid4().hex[:6]}/clicks"
        GLUE.create_database(DatabaseInput={"Name": db})
        first = [{"id": i, "name": f"n{i}"} for i in range(1, 11)]
        second = [{"id": i, "name": f"n{i}", "score": i * 3} for i in range(11, 18)]
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/dt=2024-01-01/a.json",
                      Body="".join(json.dumps(r) + "\n" for r in first).encode())
        GLUE.create_crawler(Name=name, Role=lake.CRAWLER_ROLE, DatabaseName=db,
                            Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/{prefix}/"}]},
                            SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE",
                                                "DeleteBehavior": "DEPRECATE_IN_DATABASE"})
        GLUE.start_crawler(Name=name)
        c1 = lake.wait_crawler(GLUE, name)
        self.assertEqual(c1["LastCrawl"]["Status"], "SUCCEEDED")
        t = GLUE.get_table(DatabaseName=db, Name="clicks")["Table"]
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]], ["id", "name"])
        self.assertEqual(len(GLUE.get_partitions(DatabaseName=db, TableName="clicks")["Partitions"]), 1)

        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/dt=2024-01-02/b.json",
                      Body="".join(json.dumps(r) + "\n" for r in second).encode())
        GLUE.start_crawler(Name=name)
        c2 = lake.wait_crawler(GLUE, name, previous_start=c1["LastCrawl"]["StartTime"])
        self.assertEqual(c2["LastCrawl"]["Status"], "SUCCEEDED")
        t = GLUE.get_table(DatabaseName=db, Name="clicks")["Table"]
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]], ["id", "name", "score"])
        parts = GLUE.get_partitions(DatabaseName=db, TableName="clicks")["Partitions"]
        self.assertEqual(sorted(p["Values"][0] for p in parts), ["2024-01-01", "2024-01-02"])
        a = athena(db)
        rows = a.select("SELECT count(*), count(score), sum(score) FROM clicks")
        self.assertEqual([int(v) for v in rows[0]], [17, 7, sum(r["score"] for r in second)])


# ============================================================================================== restart
class RestartTests(unittest.TestCase):
    """kill -9 with a query running: the catalog, finished queries and their results survive; the running
    query is FAILED with a reason after the restart. Uses its own server."""

    def test_state_survives_kill9(self):
        server = harness.Server()
        try:
            server.start()
            s3, glue, ath = (harness.boto3_client(server, svc) for svc in ("s3", "glue", "athena"))
            bucket = f"lake-restart-{uuid.uuid4().hex[:8]}"
            s3.create_bucket(Bucket=bucket)
            s3.put_object(Bucket=bucket, Key="t/x.csv", Body=b"".join(b"%d,%d\n" % (i, i * i) for i in range(300)))
            a = lake.Athena(ath, f"s3://{bucket}/results/", "restartdb")
            a.execute("CREATE DATABASE restartdb", database="")
            a.execute(f"CREATE EXTERNAL TABLE t (i int, sq bigint) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                      f"LOCATION 's3://{bucket}/t/'")
            done = a.execute("SELECT sum(sq) FROM t")
            long_qid = a.start("SELECT sum(a.i * b.i + c.i * d.i) FROM t a, t b, t c, t d, t e")
            deadline = time.monotonic() + lake.POLL_TIMEOUT_S
            while ath.get_query_execution(QueryExecutionId=long_qid)["QueryExecution"]["Status"]["State"] != "RUNNING":
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            server.restart(crash=True)
            s3, glue, ath = (harness.boto3_client(server, svc) for svc in ("s3", "glue", "athena"))
            a.client = ath
            t = glue.get_table(DatabaseName="restartdb", Name="t")["Table"]
            self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]], ["i", "sq"])
            qe = ath.get_query_execution(QueryExecutionId=done["QueryExecutionId"])["QueryExecution"]
            self.assertEqual(qe["Status"]["State"], "SUCCEEDED")
            self.assertEqual(a.results(done["QueryExecutionId"])[1][1], [str(sum(i * i for i in range(300)))])
            lost = a.wait(long_qid, timeout=30)
            self.assertEqual(lost["Status"]["State"], "FAILED")
            self.assertTrue(lost["Status"].get("StateChangeReason"))
            self.assertEqual(a.scalar("SELECT count(*) FROM t"), "300")
        finally:
            server.close()


# ============================================================================================== Athena
class AthenaTestCase(unittest.TestCase):
    """Tables created with Athena DDL over the raw data set (independent of the crawler)."""

    ddl_done = False

    @classmethod
    def setUpClass(cls):
        if AthenaTestCase.ddl_done:
            return
        a = athena()
        a.execute(f"CREATE DATABASE IF NOT EXISTS {DDL_DB}")
        a.database = DDL_DB
        a.execute(f"""CREATE EXTERNAL TABLE IF NOT EXISTS sales (order_id bigint, customer_id bigint, amount double,
                        product string, ts string)
                      PARTITIONED BY (year string, month string)
                      ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
                      LOCATION 's3://{BUCKET}/raw/sales/'
                      TBLPROPERTIES ('skip.header.line.count'='1')""")
        a.execute("MSCK REPAIR TABLE sales")
        a.execute(f"""CREATE EXTERNAL TABLE IF NOT EXISTS customers (customer_id bigint, name string, country string,
                        tags array<string>, profile string)
                      ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
                      LOCATION 's3://{BUCKET}/raw/customers/'""")
        a.execute(f"""CREATE EXTERNAL TABLE IF NOT EXISTS events (event_id bigint, customer_id bigint, kind string, value double,
                        ts timestamp)
                      PARTITIONED BY (year string, month string)
                      STORED AS PARQUET
                      LOCATION 's3://{BUCKET}/raw/events/'""")
        a.execute("MSCK REPAIR TABLE events")
        AthenaTestCase.ddl_done = True

    def setUp(self):
        self.a = athena(DDL_DB)


class AthenaQueryTests(AthenaTestCase):
    def test_counts_and_sums(self):
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM sales")), len(DATA.sales))
        rows = self.a.select("SELECT product, count(*), sum(amount), min(order_id), max(amount) FROM sales "
                             "GROUP BY product ORDER BY product")
        by = collections.defaultdict(list)
        for r in DATA.sales:
            by[r["product"]].append(r)
        self.assertEqual([r[0] for r in rows], sorted(by))
        for product, n, total, lo, hi in rows:
            rs = by[product]
            self.assertEqual(int(n), len(rs))
            self.assertTrue(close(total, sum(r["amount"] for r in rs)), (product, total))
            self.assertEqual(int(lo), min(r["order_id"] for r in rs))
            self.assertTrue(close(hi, max(r["amount"] for r in rs)))

    def test_prepared_statements(self):
        name = f"by_product_{uuid.uuid4().hex[:6]}"
        ATHENA.create_prepared_statement(StatementName=name, WorkGroup="primary",
                                         QueryStatement="SELECT count(*) FROM sales WHERE product = ? AND amount > ?")
        got = ATHENA.get_prepared_statement(StatementName=name, WorkGroup="primary")["PreparedStatement"]
        self.assertEqual(got["QueryStatement"], "SELECT count(*) FROM sales WHERE product = ? AND amount > ?")
        self.assertIn(name, [p["StatementName"] for p in
                             ATHENA.list_prepared_statements(WorkGroup="primary")["PreparedStatements"]])
        product = DATA.sales[0]["product"]
        want = sum(1 for r in DATA.sales if r["product"] == product and r["amount"] > 10)
        self.assertEqual(int(self.a.scalar(f"EXECUTE {name} USING '{product}', 10")), want)
        qid = self.a.start(f"EXECUTE {name}", ExecutionParameters=[f"'{product}'", "10"])
        self.assertEqual(self.a.wait(qid)["Status"]["State"], "SUCCEEDED")
        self.assertEqual(int(self.a.results(qid)[1][1][0]), want)
        self.a.execute(f"DEALLOCATE PREPARE {name}")
        assert_client_error(self, "ResourceNotFoundException", ATHENA.get_prepared_statement, StatementName=name,
                            WorkGroup="primary")
        qe = self.a.execute(f"EXECUTE {name} USING 'x', 1", expect="FAILED")
        self.assertIn("not found", qe["Status"]["StateChangeReason"])

    def test_trino_types_and_type_mismatch(self):
        # Functions with typed overloads over aggregates (ceil of avg, length of max counts characters).
        amounts = [r["amount"] for r in DATA.sales]
        ceil_avg, longest = self.a.select("SELECT ceil(avg(amount)), length(max(product)) FROM sales")[0]
        self.assertEqual(float(ceil_avg), float(math.ceil(sum(amounts) / len(amounts))))
        self.assertEqual(int(longest), len(max(r["product"] for r in DATA.sales)))
        # avg of a decimal: the exact quotient rounded half up, in the argument's decimal type.
        self.assertEqual(self.a.select("SELECT avg(x), typeof(avg(x)) FROM (VALUES DECIMAL '0.1', DECIMAL '0.2') "
                                       "AS t(x)"), [["0.2", "decimal(2,1)"]])
        self.assertEqual(self.a.scalar("SELECT round(DECIMAL '3.14159', 2)"), "3.14000")
        self.assertEqual(self.a.select("SELECT word_stem('generously'), normalize('\ufb01', NFKC), "
                                       "from_utf8(zstd_decompress(zstd_compress(to_utf8('abc'))))"),
                         [["generous", "fi", "abc"]])
        # year is a string partition column: comparing it with a number fails as Athena fails it, at the operator.
        qe = self.a.execute("SELECT count(*) FROM sales WHERE year = 2024", expect="FAILED")
        self.assertEqual(qe["Status"]["StateChangeReason"],
                         "TYPE_MISMATCH: line 1:39: Cannot apply operator: varchar = integer")
        self.assertEqual(int(self.a.scalar(f"SELECT count(*) FROM sales WHERE year = '{DATA.sales[0]['year']}'")),
                         sum(1 for r in DATA.sales if r["year"] == DATA.sales[0]["year"]))
        # IN lists, BETWEEN, COALESCE and column against column are checked too (Trino's analyzer wording).
        for sql, reason in [
                ("SELECT count(*) FROM sales WHERE year IN ('2024', 2025)",
                 "TYPE_MISMATCH: line 1:51: IN value and list items must be the same type: varchar"),
                ("SELECT count(*) FROM sales WHERE year BETWEEN 2023 AND 2025",
                 "TYPE_MISMATCH: line 1:39: Cannot check if varchar is BETWEEN integer and integer"),
                ("SELECT coalesce(product, amount) FROM sales",
                 "TYPE_MISMATCH: line 1:26: All COALESCE operands must be the same type: varchar"),
                ("SELECT count(*) FROM sales WHERE product = amount",
                 "TYPE_MISMATCH: line 1:42: Cannot apply operator: varchar = double")]:
            qe = self.a.execute(sql, expect="FAILED")
            self.assertEqual(qe["Status"]["StateChangeReason"], reason, sql)
        # Decimal division keeps Trino's decimal type; X'..' is a varbinary; UNNEST keeps the array's order.
        self.assertEqual(self.a.select("SELECT DECIMAL '10.00' / DECIMAL '3', typeof(DECIMAL '10.00' / DECIMAL '3'), "
                                       "X'65683F', title_case('hello world')"),
                         [["3.33", "decimal(4,2)", "65 68 3f", "Hello World"]])
        self.assertEqual(self.a.select("SELECT x FROM (VALUES ARRAY[3, 1, 2]) AS t(a) CROSS JOIN UNNEST(a) AS u(x)"),
                         [["3"], ["1"], ["2"]])
        # LEFT JOIN UNNEST keeps the order and a row of NULLs; maps, several arrays and ordinality (Trino's SELECT
        # page); an interval divided and multiplied by numbers (Trino's interval operators).
        self.assertEqual(self.a.select("SELECT x FROM (VALUES ARRAY[3, 1, 2]) AS t(a) "
                                       "LEFT JOIN UNNEST(a) AS u(x) ON true"),
                         [["3"], ["1"], ["2"]])
        self.assertEqual(self.a.select("SELECT x FROM (VALUES ARRAY[]) AS t(a) LEFT JOIN UNNEST(a) AS u(x) ON true"),
                         [[None]])
        self.assertEqual(self.a.select("SELECT * FROM UNNEST(map_from_entries(ARRAY[('SQL', 1974), ('Java', 1995)])) "
                                       "AS t(language, first_appeared)"),
                         [["SQL", "1974"], ["Java", "1995"]])
        self.assertEqual(self.a.select("SELECT a, b, n FROM UNNEST(ARRAY[2, 5], ARRAY[7, 8, 9]) WITH ORDINALITY "
                                       "AS t(a, b, n)"),
                         [["2", "7", "1"], ["5", "8", "2"], [None, "9", "3"]])
        self.assertEqual(self.a.select("SELECT interval '4' day / 3, interval '3' year / 2, interval '1' month * 1.5"),
                         [["1 08:00:00.000", "1-6", "0-1"]])
        # The same operators on a CTE's interval column; its typeof is one of Trino's two interval types.
        self.assertEqual(self.a.select("WITH t AS (SELECT INTERVAL '1' MONTH AS m, INTERVAL '4' DAY AS d) "
                                       "SELECT m * 1.5, TRY(d / 3), typeof(m), typeof(d) FROM t"),
                         [["0-1", "1 08:00:00.000", "interval year to month", "interval day to second"]])
        year = DATA.sales[0]["year"]
        self.assertEqual(int(self.a.scalar(f"SELECT count(*) FROM sales WHERE year IN ('{year}', 'none') "
                                           f"AND amount BETWEEN 0 AND 1e9")),
                         sum(1 for r in DATA.sales if r["year"] == year))

    def test_group_by_partition_columns(self):
        rows = self.a.select("SELECT year, month, count(*) AS n FROM sales GROUP BY year, month ORDER BY year, month")
        want = collections.Counter((r["year"], r["month"]) for r in DATA.sales)
        self.assertEqual([(y, m, int(n)) for y, m, n in rows], [(y, m, n) for (y, m), n in sorted(want.items())])

    def test_json_and_parquet_tables(self):
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM customers")), len(DATA.customers))
        rows = self.a.select("SELECT kind, count(*), sum(value) FROM events GROUP BY kind ORDER BY kind")
        want = collections.defaultdict(list)
        for e in DATA.events:
            want[e["kind"]].append(e["value"])
        self.assertEqual([r[0] for r in rows], sorted(want))
        for kind, n, total in rows:
            self.assertEqual(int(n), len(want[kind]))
            self.assertTrue(close(total, sum(want[kind])))
        name = self.a.scalar("SELECT name FROM customers WHERE customer_id = 7")
        self.assertEqual(name, "customer-07")

    def test_join(self):
        rows = self.a.select("SELECT c.country, count(*), sum(s.amount) FROM sales s "
                             "JOIN customers c ON s.customer_id = c.customer_id GROUP BY c.country ORDER BY c.country")
        country = {c["customer_id"]: c["country"] for c in DATA.customers}
        want = collections.defaultdict(list)
        for s in DATA.sales:
            want[country[s["customer_id"]]].append(s["amount"])
        self.assertEqual([r[0] for r in rows], sorted(want))
        for c, n, total in rows:
            self.assertEqual(int(n), len(want[c]))
            self.assertTrue(close(total, sum(want[c])))
        # Customers without sales (LEFT JOIN + IS NULL).
        rows = self.a.select("SELECT c.customer_id FROM customers c LEFT JOIN sales s ON s.customer_id = c.customer_id "
                             "WHERE s.order_id IS NULL ORDER BY 1")
        buyers = {s["customer_id"] for s in DATA.sales}
        self.assertEqual([int(r[0]) for r in rows], [c["customer_id"] for c in DATA.customers
                                                      if c["customer_id"] not in buyers])

    def test_window_functions(self):
        rows = self.a.select("""SELECT customer_id, order_id, rn FROM (
                                  SELECT customer_id, order_id,
                                         row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS rn
                                  FROM sales) WHERE rn <= 2 ORDER BY customer_id, rn""")
        by = collections.defaultdict(list)
        for s in DATA.sales:
            by[s["customer_id"]].append(s)
        want = []
        for cid in sorted(by):
            top = sorted(by[cid], key=lambda s: -s["amount"])[:2]
            want += [(cid, s["order_id"], i + 1) for i, s in enumerate(top)]
        self.assertEqual([tuple(int(v) for v in r) for r in rows], want)
        # Running total and lag in order_id order.
        rows = self.a.select("SELECT order_id, sum(amount) OVER (ORDER BY order_id) AS running, "
                             "lag(order_id) OVER (ORDER BY order_id) AS prev FROM sales ORDER BY order_id")
        running = 0.0
        self.assertEqual(len(rows), len(DATA.sales))
        for i, (s, r) in enumerate(zip(sorted(DATA.sales, key=lambda s: s["order_id"]), rows)):
            running += s["amount"]
            self.assertEqual(int(r[0]), s["order_id"])
            self.assertTrue(close(r[1], running), (r, running))
            self.assertEqual(r[2], None if i == 0 else str(s["order_id"] - 1))

    def test_concurrent_queries(self):
        # More queries at once than the execution pool runs: the rest wait QUEUED; all finish with their answers.
        products = sorted({s["product"] for s in DATA.sales})
        qids = {}
        for i in range(12):
            product = products[i % len(products)]
            qids[self.a.start(f"SELECT count(*), sum(amount) FROM sales WHERE product = '{product}' "
                              f"AND order_id % 12 <> {i}")] = (product, i)
        for qid, (product, i) in qids.items():
            qe = self.a.wait(qid)
            self.assertEqual(qe["Status"]["State"], "SUCCEEDED", qe["Status"])
            rs = [s for s in DATA.sales if s["product"] == product and s["order_id"] % 12 != i]
            n, total = self.a.results(qid)[1][1]
            self.assertEqual(int(n), len(rs))
            self.assertTrue(close(total, sum(s["amount"] for s in rs)))

    def test_partition_pruning_scans_less(self):
        full = self.a.execute("SELECT sum(amount) FROM sales")
        pruned = self.a.execute("SELECT sum(amount) FROM sales WHERE year = '2024' AND month = '02'")
        got = self.a.results(pruned["QueryExecutionId"])[1][1][0]
        self.assertTrue(close(got, sum(r["amount"] for r in DATA.sales if (r["year"], r["month"]) == ("2024", "02"))))
        full_bytes = full["Statistics"]["DataScannedInBytes"]
        pruned_bytes = pruned["Statistics"]["DataScannedInBytes"]
        total_csv = sum(len(DATA.sales_csv(y, m)) for y, m in lake.SALES_PARTITIONS)
        self.assertGreater(pruned_bytes, 0)
        self.assertLess(pruned_bytes, full_bytes)
        self.assertLessEqual(pruned_bytes, len(DATA.sales_csv("2024", "02")) + 1024)
        self.assertLessEqual(full_bytes, total_csv + 4096)
        # The same on Parquet.
        pf = self.a.execute("SELECT count(*), sum(value) FROM events")
        pp = self.a.execute("SELECT count(*), sum(value) FROM events WHERE month = '02'")
        self.assertLess(pp["Statistics"]["DataScannedInBytes"], pf["Statistics"]["DataScannedInBytes"])
        n = self.a.results(pp["QueryExecutionId"])[1][1][0]
        self.assertEqual(int(n), sum(1 for e in DATA.events if e["month"] == "02"))

    def test_query_execution_document(self):
        qe = self.a.execute("SELECT count(*) FROM sales")
        self.assertEqual(qe["StatementType"], "DML")
        self.assertEqual(qe["QueryExecutionContext"]["Database"], DDL_DB)
        self.assertEqual(qe["ResultConfiguration"]["OutputLocation"],
                         f"s3://{BUCKET}/athena-results/{qe['QueryExecutionId']}.csv")
        self.assertEqual(qe["WorkGroup"], "primary")
        st = qe["Status"]
        self.assertLessEqual(st["SubmissionDateTime"], st["CompletionDateTime"])
        for k in ("EngineExecutionTimeInMillis", "DataScannedInBytes", "TotalExecutionTimeInMillis"):
            self.assertIn(k, qe["Statistics"])
        listed = ATHENA.list_query_executions()["QueryExecutionIds"]
        self.assertIn(qe["QueryExecutionId"], listed)
        batch = ATHENA.batch_get_query_execution(QueryExecutionIds=[qe["QueryExecutionId"], "0" * 8 + "-0000-0000-0000-" + "0" * 12])
        self.assertEqual([q["QueryExecutionId"] for q in batch["QueryExecutions"]], [qe["QueryExecutionId"]])
        self.assertEqual(len(batch["UnprocessedQueryExecutionIds"]), 1)

    def test_pagination_with_max_results(self):
        qe = self.a.execute("SELECT order_id, product FROM sales ORDER BY order_id")
        info, rows, pages = self.a.results(qe["QueryExecutionId"], page_size=37)
        self.assertEqual([(c["Name"], c["Type"]) for c in info], [("order_id", "bigint"), ("product", "varchar")])
        self.assertEqual(rows[0], ["order_id", "product"])
        self.assertNotIn(["order_id", "product"], rows[1:])
        want = [[str(s["order_id"]), s["product"]] for s in sorted(DATA.sales, key=lambda s: s["order_id"])]
        self.assertEqual(rows[1:], want)
        self.assertEqual(pages, (len(want) + 1 + 36) // 37)
        # The same page size through boto3's paginator.
        paginator = ATHENA.get_paginator("get_query_results")
        flat = []
        for page in paginator.paginate(QueryExecutionId=qe["QueryExecutionId"], PaginationConfig={"PageSize": 50}):
            flat += [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
        self.assertEqual(flat, rows)
        assert_client_error(self, "InvalidRequestException", ATHENA.get_query_results,
                            QueryExecutionId=qe["QueryExecutionId"], MaxResults=1001)

    def test_result_csv_in_s3(self):
        qe = self.a.execute("SELECT customer_id, name, country FROM customers ORDER BY customer_id")
        bucket, key = lake.s3_uri_split(qe["ResultConfiguration"]["OutputLocation"])
        self.assertEqual(bucket, BUCKET)
        self.assertEqual(key, f"athena-results/{qe['QueryExecutionId']}.csv")
        body = S3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
        rows = list(csv.reader(io.StringIO(body)))
        self.assertEqual(rows[0], ["customer_id", "name", "country"])
        self.assertEqual(rows[1:], [[str(c["customer_id"]), c["name"], c["country"]] for c in DATA.customers])
        self.assertTrue(body.startswith('"customer_id","name","country"'), body[:80])  # Athena quotes every field
        S3.head_object(Bucket=bucket, Key=key + ".metadata")

    def test_nulls_are_empty_datum(self):
        qe = self.a.execute("SELECT CAST(NULL AS varchar) AS n, 'x' AS s, '' AS e")
        _, rows, _ = self.a.results(qe["QueryExecutionId"])
        raw = ATHENA.get_query_results(QueryExecutionId=qe["QueryExecutionId"])["ResultSet"]["Rows"][1]["Data"]
        self.assertEqual(raw[0], {})
        self.assertEqual(raw[1], {"VarCharValue": "x"})
        self.assertEqual(rows[1], [None, "x", ""])

    DIALECT_CASES = [
        ("date_parse('2024-03-05 10:11:12', '%Y-%m-%d %H:%i:%s')", "2024-03-05 10:11:12.000"),
        ("date_format(timestamp '2024-03-05 10:11:12', '%Y/%m/%d %H:%i')", "2024/03/05 10:11"),
        ("date_format(from_unixtime(1700000000), '%Y-%m-%d %H:%i:%s')", "2023-11-14 22:13:20"),
        ("year(from_unixtime(1700000000))", "2023"),
        ("element_at(ARRAY[10, 20, 30], 2)", "20"),
        ("element_at(ARRAY[10, 20, 30], -1)", "30"),
        ("element_at(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), 'b')", "2"),
        ("element_at(MAP(ARRAY['a', 'b'], ARRAY[1, 2]), 'zz')", None),
        ("cardinality(ARRAY['x', 'y', 'z'])", "3"),
        ("array_join(ARRAY['a', 'b', 'c'], '-')", "a-b-c"),
        ("regexp_like('abc123', '[0-9]+$')", "true"),
        ("regexp_like('abc', '^[0-9]+$')", "false"),
        ("""json_extract_scalar('{"a": {"b": "x"}, "n": 5}', '$.a.b')""", "x"),
        ("""json_extract_scalar('{"a": {"b": "x"}, "n": 5}', '$.n')""", "5"),
        ("""json_extract_scalar('{"a": {"b": "x"}}', '$.a')""", None),
        ("split_part('a,b,c', ',', 2)", "b"),
        ("split_part('a,b,c', ',', 7)", None),
        ("try_cast('abc' AS integer)", None),
        ("try_cast('42' AS integer)", "42"),
        ("date_add('day', 3, DATE '2024-02-27')", "2024-03-01"),
        ("date_add('month', 1, DATE '2024-01-31')", "2024-02-29"),
        ("date_diff('day', DATE '2024-01-01', DATE '2024-03-01')", "60"),
        ("date_diff('hour', timestamp '2024-01-01 00:00:00', timestamp '2024-01-02 06:00:00')", "30"),
        ("approx_distinct(x) FROM (VALUES (1), (2), (2), (3), (3), (3)) AS t(x)", "3"),
        ("count(*) FROM (VALUES 1, 2, 3) AS t(x)", "3"),  # Trino accepts VALUES rows without parentheses
        ("typeof(date_add('day', 1, DATE '2024-01-01'))", "date"),
        ("from_unixtime(0) = from_unixtime(0.0)", "true"),
    ]

    def test_athena_dialect_functions(self):
        # One query per expression, so one unsupported function does not hide the others.
        for expr, want in self.DIALECT_CASES:
            with self.subTest(expr=expr):
                self.assertEqual(self.a.scalar(f"SELECT {expr}"), want)

    def test_dialect_functions_over_tables(self):
        gold = sum(1 for c in DATA.customers if c["tier"] == "gold")
        self.assertEqual(int(self.a.scalar(
            "SELECT count(*) FROM customers WHERE json_extract_scalar(profile, '$.tier') = 'gold'")), gold)
        self.assertEqual(int(self.a.scalar("SELECT sum(cardinality(tags)) FROM customers")),
                         sum(len(c["tags"]) for c in DATA.customers))
        vip = sorted(c["customer_id"] for c in DATA.customers if "vip" in c["tags"])
        rows = self.a.select("SELECT customer_id FROM customers WHERE contains(tags, 'vip') ORDER BY 1")
        self.assertEqual([int(r[0]) for r in rows], vip)
        distinct = len({s["customer_id"] for s in DATA.sales})
        approx = int(self.a.scalar("SELECT approx_distinct(customer_id) FROM sales"))
        self.assertLessEqual(abs(approx - distinct), max(1, distinct * 0.05))
        ab = sum(1 for s in DATA.sales if s["product"][0] in "ab")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM sales WHERE regexp_like(product, '^(a|b)')")), ab)
        late = sum(1 for s in DATA.sales if s["ts"] >= "2024-02-15 00:00:00")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM sales WHERE "
                                           "date_parse(ts, '%Y-%m-%d %H:%i:%s') >= timestamp '2024-02-15 00:00:00'")),
                         late)
        days = collections.Counter(s["ts"][:10] for s in DATA.sales if s["year"] == "2025")
        rows = self.a.select("SELECT date_format(date_parse(ts, '%Y-%m-%d %H:%i:%s'), '%Y-%m-%d') AS d, count(*) "
                             "FROM sales WHERE year = '2025' GROUP BY 1 ORDER BY 1")
        self.assertEqual([(d, int(n)) for d, n in rows], sorted(days.items()))
        first = self.a.scalar("SELECT array_join(array_agg(split_part(name, '-', 2) ORDER BY customer_id), ',') "
                              "FROM customers WHERE customer_id <= 3")
        self.assertEqual(first, "01,02,03")


class AthenaDdlTests(AthenaTestCase):
    def test_show_and_describe(self):
        self.assertIn(DDL_DB, self.a.values("SHOW DATABASES"))
        tables = self.a.values(f"SHOW TABLES IN {DDL_DB}")
        for t in ("sales", "customers", "events"):
            self.assertIn(t, tables)
        self.assertNotIn("tab_name", tables)  # DDL/utility results have no header row
        parts = [v.strip() for v in self.a.values("SHOW PARTITIONS sales")]
        for y, m in lake.SALES_PARTITIONS:
            self.assertIn(f"year={y}/month={m}", parts)
        qe = self.a.execute("DESCRIBE sales")
        self.assertEqual(qe["StatementType"], "UTILITY")
        text = "\n".join(" ".join(v or "" for v in r) for r in self.a.results(qe["QueryExecutionId"])[1])
        for col in ("order_id", "customer_id", "amount", "product", "ts", "year", "month"):
            self.assertIn(col, text)
        cols = self.a.values("SHOW COLUMNS IN sales")
        self.assertEqual([c.strip() for c in cols if c and c.strip() != "field"],
                         ["order_id", "customer_id", "amount", "product", "ts", "year", "month"])
        ddl = "\n".join(self.a.values("SHOW CREATE TABLE sales"))
        self.assertIn("CREATE EXTERNAL TABLE", ddl.upper())
        self.assertIn(f"s3://{BUCKET}/raw/sales", ddl)

    def test_create_table_is_in_glue(self):
        qe = self.a.execute(f"CREATE EXTERNAL TABLE IF NOT EXISTS glue_check (a int, b string) "
                            f"STORED AS PARQUET LOCATION 's3://{BUCKET}/glue-check/'")
        self.assertEqual(qe["StatementType"], "DDL")
        t = GLUE.get_table(DatabaseName=DDL_DB, Name="glue_check")["Table"]
        self.assertEqual([(c["Name"], c["Type"]) for c in t["StorageDescriptor"]["Columns"]],
                         [("a", "int"), ("b", "string")])
        self.assertEqual(t["StorageDescriptor"]["Location"].rstrip("/"), f"s3://{BUCKET}/glue-check")
        self.assertEqual(t["TableType"], "EXTERNAL_TABLE")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM glue_check")), 0)  # empty location
        self.a.execute("DROP TABLE glue_check")
        assert_client_error(self, "EntityNotFoundException", GLUE.get_table, DatabaseName=DDL_DB, Name="glue_check")

    def test_msck_repair_table_picks_up_new_partitions(self):
        prefix = f"msck-{uuid.uuid4().hex[:6]}"
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/year=2024/month=01/p.csv", Body=DATA.sales_csv("2024", "01"))
        self.a.execute(f"""CREATE EXTERNAL TABLE msck_sales (order_id bigint, customer_id bigint, amount double,
                             product string, ts string) PARTITIONED BY (year string, month string)
                           ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/{prefix}/'
                           TBLPROPERTIES ('skip.header.line.count'='1')""")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM msck_sales")), 0)  # no partition registered yet
        self.a.execute("MSCK REPAIR TABLE msck_sales")
        n1 = sum(1 for s in DATA.sales if (s["year"], s["month"]) == ("2024", "01"))
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM msck_sales")), n1)
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/year=2025/month=01/p.csv", Body=DATA.sales_csv("2025", "01"))
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM msck_sales")), n1)
        self.a.execute("MSCK REPAIR TABLE msck_sales")
        n2 = sum(1 for s in DATA.sales if (s["year"], s["month"]) == ("2025", "01"))
        rows = self.a.select("SELECT year, count(*) FROM msck_sales GROUP BY year ORDER BY year")
        self.assertEqual([(y, int(n)) for y, n in rows], [("2024", n1), ("2025", n2)])
        parts = GLUE.get_partitions(DatabaseName=DDL_DB, TableName="msck_sales")["Partitions"]
        self.assertEqual(sorted(tuple(p["Values"]) for p in parts), [("2024", "01"), ("2025", "01")])

    def test_partition_projection_needs_no_partitions_in_the_catalog(self):
        # Athena's projection.* properties: partitions computed from the table, none registered in Glue.
        prefix = f"proj-{uuid.uuid4().hex[:6]}"
        for day, region, n in (("2026-01-01", "eu", 2), ("2026-01-02", "eu", 3), ("2026-01-02", "us", 4),
                               ("2026-01-09", "us", 5)):  # the last day lies outside the projected range
            body = "".join(f"{day},{region},{i}\n" for i in range(n))
            S3.put_object(Bucket=BUCKET, Key=f"{prefix}/{region}/{day.replace('-', '/')}/part.csv", Body=body.encode())
        self.a.execute(f"""CREATE EXTERNAL TABLE proj_events (d string, r string, i int)
                           PARTITIONED BY (region string, day string)
                           ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/{prefix}/'
                           TBLPROPERTIES ('projection.enabled'='true',
                             'projection.region.type'='enum', 'projection.region.values'='eu,us',
                             'projection.day.type'='date', 'projection.day.range'='2026/01/01,2026/01/05',
                             'projection.day.format'='yyyy/MM/dd',
                             'storage.location.template'='s3://{BUCKET}/{prefix}/${{region}}/${{day}}/')""")
        self.assertEqual(GLUE.get_partitions(DatabaseName=DDL_DB, TableName="proj_events")["Partitions"], [])
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM proj_events")), 9)
        rows = self.a.select("SELECT region, day, count(*) FROM proj_events WHERE day >= '2026/01/02' "
                             "GROUP BY region, day ORDER BY region, day")
        self.assertEqual([tuple(r) for r in rows], [("eu", "2026/01/02", "3"), ("us", "2026/01/02", "4")])
        # A bad projection is the table's error, as on AWS.
        GLUE.update_table(DatabaseName=DDL_DB, TableInput={
            **{k: v for k, v in GLUE.get_table(DatabaseName=DDL_DB, Name="proj_events")["Table"].items()
               if k in ("Name", "StorageDescriptor", "PartitionKeys", "TableType")},
            "Parameters": {"projection.enabled": "true", "projection.region.type": "enum",
                           "projection.region.values": "eu", "projection.day.type": "date",
                           "projection.day.format": "yyyy/MM/dd"}})
        with self.assertRaises(lake.QueryFailed) as failed:
            self.a.scalar("SELECT count(*) FROM proj_events")
        self.assertIn("projection.day.range", str(failed.exception))

    def test_regex_serde_table_over_access_logs(self):
        # Hive's RegexSerDe, as Athena's documented tables over AWS service logs use it: one group per column,
        # a line the pattern does not match whole reads as NULLs, a group that does not parse as its type NULL.
        prefix = f"regex-{uuid.uuid4().hex[:6]}"
        lines = ['10.0.0.1 alice [06/Dec/2026:10:00:00 +0000] "GET /a.html" 200 512',
                 '10.0.0.2 bob [06/Dec/2026:10:00:01 +0000] "POST /api" 500 -',
                 'garbage that does not match',
                 '10.0.0.1 alice [06/Dec/2026:10:00:02 +0000] "GET /b.html" 404 0']
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/access.log", Body=("\n".join(lines) + "\n").encode())
        self.a.execute(f"""CREATE EXTERNAL TABLE regex_access (ip string, usr string, ts string, method string,
                             path string, status int, bytes bigint)
                           ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
                           WITH SERDEPROPERTIES ('input.regex'='([^ ]*) ([^ ]*) \\\\[(.*?)\\\\] "([A-Z]+) ([^"]*)" ([0-9]{{3}}) ([^ ]*)')
                           LOCATION 's3://{BUCKET}/{prefix}/'""")
        rows = self.a.select("SELECT ip, usr, method, path, status, bytes FROM regex_access ORDER BY ts NULLS LAST")
        self.assertEqual([tuple(r) for r in rows], [
            ("10.0.0.1", "alice", "GET", "/a.html", "200", "512"),
            ("10.0.0.2", "bob", "POST", "/api", "500", None),
            ("10.0.0.1", "alice", "GET", "/b.html", "404", "0"),
            (None, None, None, None, None, None)])
        self.assertEqual(self.a.select("SELECT status, count(*) FROM regex_access WHERE status >= 400 "
                                       "GROUP BY status ORDER BY status"), [["404", "1"], ["500", "1"]])

    def test_alter_table_add_and_drop_partition(self):
        self.a.execute(f"""CREATE EXTERNAL TABLE logs_manual (level string, code int, msg string)
                           PARTITIONED BY (yr string, mo string)
                           ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/raw/logs/'
                           TBLPROPERTIES ('skip.header.line.count'='1')""")
        self.a.execute(f"""ALTER TABLE logs_manual ADD
                             PARTITION (yr = '2024', mo = '01') LOCATION 's3://{BUCKET}/raw/logs/2024/01/'
                             PARTITION (yr = '2024', mo = '02') LOCATION 's3://{BUCKET}/raw/logs/2024/02/'""")
        want = collections.Counter((r["p0"], r["p1"]) for r in DATA.logs)
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM logs_manual")), want[("2024", "01")] + want[("2024", "02")])
        errors = sum(1 for r in DATA.logs if r["level"] == "ERROR" and (r["p0"], r["p1"]) == ("2024", "02"))
        self.assertEqual(int(self.a.scalar(
            "SELECT count(*) FROM logs_manual WHERE mo = '02' AND level = 'ERROR'")), errors)
        # Adding it again fails; IF NOT EXISTS does not.
        qe = self.a.execute(f"ALTER TABLE logs_manual ADD PARTITION (yr = '2024', mo = '01') "
                            f"LOCATION 's3://{BUCKET}/raw/logs/2024/01/'", expect="FAILED")
        self.assertTrue(qe["Status"].get("StateChangeReason"))
        self.a.execute(f"ALTER TABLE logs_manual ADD IF NOT EXISTS PARTITION (yr = '2025', mo = '12') "
                       f"LOCATION 's3://{BUCKET}/raw/logs/2025/12/'")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM logs_manual")), len(DATA.logs))
        p = GLUE.get_partition(DatabaseName=DDL_DB, TableName="logs_manual", PartitionValues=["2025", "12"])
        self.assertEqual(p["Partition"]["StorageDescriptor"]["Location"].rstrip("/"), f"s3://{BUCKET}/raw/logs/2025/12")
        self.a.execute("ALTER TABLE logs_manual DROP PARTITION (yr = '2024', mo = '01')")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM logs_manual")),
                         len(DATA.logs) - want[("2024", "01")])
        # Dropping a partition never deletes data.
        self.assertIn("Contents", S3.list_objects_v2(Bucket=BUCKET, Prefix="raw/logs/2024/01/"))

    def test_views(self):
        threshold = 500.0
        self.a.execute(f"CREATE VIEW big_sales AS SELECT order_id, amount, product FROM sales WHERE amount > {threshold}")
        big = [s for s in DATA.sales if s["amount"] > threshold]
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM big_sales")), len(big))
        t = GLUE.get_table(DatabaseName=DDL_DB, Name="big_sales")["Table"]
        self.assertEqual(t["TableType"], "VIRTUAL_VIEW")
        self.assertIn("big_sales", self.a.values(f"SHOW VIEWS IN {DDL_DB}"))
        rows = self.a.select("SELECT v.product, count(*) FROM big_sales v JOIN sales s ON s.order_id = v.order_id "
                             "GROUP BY v.product ORDER BY 1")
        self.assertEqual([(p, int(n)) for p, n in rows], sorted(collections.Counter(s["product"] for s in big).items()))
        self.a.execute("CREATE OR REPLACE VIEW big_sales AS SELECT order_id FROM sales WHERE amount > 900")
        self.assertEqual(int(self.a.scalar("SELECT count(*) FROM big_sales")),
                         sum(1 for s in DATA.sales if s["amount"] > 900))
        self.a.execute("CREATE VIEW big_sales AS SELECT 1 AS x", expect="FAILED")  # exists, no OR REPLACE
        self.a.execute("DROP VIEW big_sales")
        self.a.execute("SELECT count(*) FROM big_sales", expect="FAILED")

    def test_ctas_partitioned_parquet_then_insert_into(self):
        loc = f"ctas-{uuid.uuid4().hex[:6]}/sales_pq/"
        qe = self.a.execute(f"""CREATE TABLE sales_pq
                                WITH (format = 'PARQUET', external_location = 's3://{BUCKET}/{loc}',
                                      partitioned_by = ARRAY['year'])
                                AS SELECT order_id, customer_id, amount, product, year FROM sales""")
        self.assertEqual(qe["Status"]["State"], "SUCCEEDED")
        keys = [o["Key"] for o in S3.list_objects_v2(Bucket=BUCKET, Prefix=loc)["Contents"]]
        self.assertTrue(any(k.startswith(f"{loc}year=2024/") for k in keys), keys)
        self.assertTrue(any(k.startswith(f"{loc}year=2025/") for k in keys), keys)
        for k in keys:
            body = S3.get_object(Bucket=BUCKET, Key=k)["Body"].read()
            self.assertEqual((body[:4], body[-4:]), (b"PAR1", b"PAR1"), k)
        t = GLUE.get_table(DatabaseName=DDL_DB, Name="sales_pq")["Table"]
        self.assertEqual([k["Name"] for k in t["PartitionKeys"]], ["year"])
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]],
                         ["order_id", "customer_id", "amount", "product"])
        parts = GLUE.get_partitions(DatabaseName=DDL_DB, TableName="sales_pq")["Partitions"]
        self.assertEqual(sorted(p["Values"][0] for p in parts), ["2024", "2025"])

        def by_year():
            rows = self.a.select("SELECT year, count(*), sum(amount) FROM sales_pq GROUP BY year ORDER BY year")
            return [(y, int(n), float(s)) for y, n, s in rows]

        want = collections.defaultdict(list)
        for s in DATA.sales:
            want[s["year"]].append(s["amount"])
        got = by_year()
        self.assertEqual([(y, n) for y, n, _ in got], [(y, len(v)) for y, v in sorted(want.items())])
        for y, _, total in got:
            self.assertTrue(close(total, sum(want[y])))
        # INSERT INTO ... SELECT adds rows (and a new partition), INSERT INTO ... VALUES too.
        self.a.execute("INSERT INTO sales_pq SELECT order_id + 1000, customer_id, amount, product, '2026' "
                       "FROM sales WHERE month = '01'")
        self.a.execute("INSERT INTO sales_pq VALUES (5000, 1, 12.5, 'fig', '2026')")
        jan = [s for s in DATA.sales if s["month"] == "01"]
        got = dict((y, (n, t)) for y, n, t in by_year())
        self.assertEqual(got["2026"][0], len(jan) + 1)
        self.assertTrue(close(got["2026"][1], sum(s["amount"] for s in jan) + 12.5))
        self.assertEqual(got["2024"][0], len(want["2024"]))
        self.assertIn("2026", [p["Values"][0] for p in GLUE.get_partitions(DatabaseName=DDL_DB,
                                                                             TableName="sales_pq")["Partitions"]])
        # Casts to varchar stored by CTAS are Trino's text (not DuckDB's '1970-01-01 00:00:00+00' or '37.7').
        cast_loc = f"ctas-{uuid.uuid4().hex[:6]}/casts/"
        self.a.execute(f"CREATE TABLE sales_casts WITH (format = 'PARQUET', external_location = "
                       f"'s3://{BUCKET}/{cast_loc}') AS SELECT CAST(from_unixtime(0) AS varchar) AS z, "
                       f"CAST(37.7E0 AS varchar) AS d, CAST(TIMESTAMP '2024-05-01 10:00:00.123' AS varchar) AS t, "
                       f"CAST(INTERVAL '14' MONTH AS varchar) AS i")
        self.assertEqual(self.a.select("SELECT z, d, t, i, z = '1970-01-01 00:00:00.000 UTC' FROM sales_casts"),
                         [["1970-01-01 00:00:00.000 UTC", "3.77E1", "2024-05-01 10:00:00.123", "1-2", "true"]])
        # CTAS into a non-empty location fails (Athena requires an empty external_location).
        self.a.execute(f"CREATE TABLE sales_pq2 WITH (format = 'PARQUET', external_location = 's3://{BUCKET}/{loc}') "
                       f"AS SELECT 1 AS x", expect="FAILED")

    def test_explain(self):
        qe = self.a.execute("EXPLAIN SELECT product, count(*) FROM sales WHERE year = '2024' GROUP BY product")
        _, rows, _ = self.a.results(qe["QueryExecutionId"])
        self.assertTrue(rows and any(r and r[0] for r in rows), rows)

    def test_athena_catalog_api(self):
        names = [c["CatalogName"] for c in ATHENA.list_data_catalogs()["DataCatalogsSummary"]]
        self.assertIn("AwsDataCatalog", names)
        dbs = [d["Name"] for d in ATHENA.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
        self.assertIn(DDL_DB, dbs)
        meta = ATHENA.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=DDL_DB,
                                         TableName="sales")["TableMetadata"]
        self.assertEqual([(c["Name"], c["Type"]) for c in meta["Columns"]],
                         [("order_id", "bigint"), ("customer_id", "bigint"), ("amount", "double"),
                          ("product", "string"), ("ts", "string")])
        self.assertEqual([c["Name"] for c in meta["PartitionKeys"]], ["year", "month"])
        listed = [t["Name"] for t in ATHENA.list_table_metadata(CatalogName="AwsDataCatalog",
                                                                DatabaseName=DDL_DB)["TableMetadataList"]]
        for t in ("sales", "customers", "events"):
            self.assertIn(t, listed)
        assert_client_error(self, "MetadataException", ATHENA.get_table_metadata, CatalogName="AwsDataCatalog",
                            DatabaseName=DDL_DB, TableName="no_such_table_e2e")

    def test_named_queries(self):
        nid = ATHENA.create_named_query(Name="top products", Database=DDL_DB, Description="e2e",
                                        QueryString="SELECT product, count(*) FROM sales GROUP BY 1")["NamedQueryId"]
        got = ATHENA.get_named_query(NamedQueryId=nid)["NamedQuery"]
        self.assertEqual((got["Name"], got["Database"], got["WorkGroup"]), ("top products", DDL_DB, "primary"))
        self.assertIn(nid, ATHENA.list_named_queries()["NamedQueryIds"])
        # A saved query runs like any other.
        rows = self.a.select(got["QueryString"] + " ORDER BY 1")
        self.assertEqual([(p, int(n)) for p, n in rows],
                         sorted(collections.Counter(s["product"] for s in DATA.sales).items()))
        ATHENA.delete_named_query(NamedQueryId=nid)
        assert_client_error(self, "InvalidRequestException", ATHENA.get_named_query, NamedQueryId=nid)

    def test_client_request_token_is_idempotent(self):
        token = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        kw = dict(QueryString="SELECT 7", ClientRequestToken=token,
                  ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena-results/"})
        first = ATHENA.start_query_execution(**kw)["QueryExecutionId"]
        second = ATHENA.start_query_execution(**kw)["QueryExecutionId"]
        self.assertEqual(first, second)
        self.assertEqual(self.a.wait(first)["Status"]["State"], "SUCCEEDED")
        kw["QueryString"] = "SELECT 8"  # same token, different parameters
        assert_client_error(self, "InvalidRequestException", ATHENA.start_query_execution, **kw)

    def test_execution_parameters(self):
        members = ATHENA.meta.service_model.operation_model("StartQueryExecution").input_shape.members
        if "ExecutionParameters" not in members:
            self.skipTest("this botocore predates ExecutionParameters")
        qid = self.a.start("SELECT count(*) FROM sales WHERE product = ? AND amount > ?",
                           ExecutionParameters=["'apple'", "100"])
        qe = self.a.wait(qid)
        self.assertEqual(qe["Status"]["State"], "SUCCEEDED", qe["Status"])
        self.assertEqual(qe.get("ExecutionParameters"), ["'apple'", "100"])
        want = sum(1 for s in DATA.sales if s["product"] == "apple" and s["amount"] > 100)
        self.assertEqual(self.a.results(qid)[1][1], [str(want)])

    def test_workgroups(self):
        names = [w["Name"] for w in ATHENA.list_work_groups()["WorkGroups"]]
        self.assertIn("primary", names)
        wg = f"e2e-wg-{uuid.uuid4().hex[:6]}"
        ATHENA.create_work_group(Name=wg, Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/wg-results/"}}, Description="e2e")
        got = ATHENA.get_work_group(WorkGroup=wg)["WorkGroup"]
        self.assertEqual(got["State"], "ENABLED")
        self.assertEqual(got["Configuration"]["ResultConfiguration"]["OutputLocation"], f"s3://{BUCKET}/wg-results/")
        qid = self.a.start("SELECT 41 + 1", output=False, workgroup=wg)
        qe = self.a.wait(qid)
        self.assertEqual(qe["Status"]["State"], "SUCCEEDED")
        self.assertEqual(qe["WorkGroup"], wg)
        self.assertEqual(qe["ResultConfiguration"]["OutputLocation"], f"s3://{BUCKET}/wg-results/{qid}.csv")
        self.assertEqual(self.a.results(qid)[1][1], ["42"])
        assert_client_error(self, "InvalidRequestException", ATHENA.create_work_group, Name=wg)
        ATHENA.delete_work_group(WorkGroup=wg)
        assert_client_error(self, "InvalidRequestException", ATHENA.get_work_group, WorkGroup=wg)


class AthenaErrorTests(AthenaTestCase):
    def assert_fails(self, sql, *needles):
        """The query fails: InvalidRequestException at start, or FAILED with a reason naming `needles`."""
        from botocore.exceptions import ClientError
        try:
            qid = self.a.start(sql)
        except ClientError as e:
            self.assertEqual(e.response["Error"]["Code"], "InvalidRequestException", e.response)
            reason = e.response["Error"].get("Message", "")
        else:
            qe = self.a.wait(qid)
            if qe["Status"]["State"] == "SUCCEEDED":
                self.fail(f"{sql!r} SUCCEEDED, expected FAILED; rows: {self.a.results(qid)[1][:5]}")
            self.assertEqual(qe["Status"]["State"], "FAILED", sql)
            reason = qe["Status"].get("StateChangeReason", "")
            self.assertTrue(reason, qe["Status"])
            err = qe["Status"].get("AthenaError")
            if err is not None:
                self.assertEqual(err.get("ErrorCategory"), 2, err)  # USER
            assert_client_error(self, "InvalidRequestException", ATHENA.get_query_results, QueryExecutionId=qid)
        for n in needles:
            self.assertIn(n.lower(), reason.lower())
        self.assertEqual(self.a.scalar("SELECT 1"), "1")  # still serving
        return reason

    def test_malformed_sql_and_ddl(self):
        self.assert_fails("SELEC 1")
        self.assert_fails("SELECT FROM WHERE")
        self.assert_fails("SELECT 'unterminated")
        self.assert_fails("CREATE EXTERNAL TABLE (a int)")
        self.assert_fails("CREATE EXTERNAL TABLE bad_type (a notatype) LOCATION 's3://x/y/'")
        self.assert_fails("ALTER TABLE sales ADD PARTITION")

    def test_unknown_table_and_column(self):
        self.assert_fails("SELECT * FROM no_such_table_e2e", "no_such_table_e2e")
        self.assert_fails("SELECT no_such_column_e2e FROM sales", "no_such_column_e2e")
        self.assert_fails("SELECT count(*) FROM no_such_db_e2e.sales", "no_such_db_e2e")

    def test_errors_in_athena_words(self):
        # Trino's wording and positions (line:column of the name in the statement), not DuckDB's.
        cases = [
            ("SELECT\n  no_such_column_e2e FROM sales",
             "COLUMN_NOT_FOUND: line 2:3: Column 'no_such_column_e2e' cannot be resolved"),
            ("SELECT no_such_function_e2e(1)", "FUNCTION_NOT_FOUND: line 1:8: Function 'no_such_function_e2e' not registered"),
            ("SELECT count(*) FROM sales GROUP BY 2", "INVALID_COLUMN_REFERENCE: line 1:37: GROUP BY position 2 is not in select list"),
            ("SELECT CAST('abc' AS integer)", "INVALID_CAST_ARGUMENT: Cannot cast 'abc' to INT"),
            ("SELECT * FROM no_such_table_e2e", "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog."),
        ]
        for sql, expected in cases:
            with self.subTest(sql=sql):
                reason = self.assert_fails(sql)
                self.assertTrue(reason.startswith(expected), reason)

    def test_missing_output_location(self):
        resp = assert_client_error(self, "InvalidRequestException", ATHENA.start_query_execution, QueryString="SELECT 1")
        self.assertIn("output location", resp["Error"]["Message"].lower())

    def test_api_errors(self):
        assert_client_error(self, "InvalidRequestException", ATHENA.get_query_execution,
                            QueryExecutionId="00000000-0000-0000-0000-000000000000")
        assert_client_error(self, "InvalidRequestException", ATHENA.get_query_results,
                            QueryExecutionId="00000000-0000-0000-0000-000000000000")
        assert_client_error(self, "InvalidRequestException", ATHENA.start_query_execution, QueryString="SELECT 1",
                            WorkGroup="no-such-workgroup-e2e",
                            ResultConfiguration={"OutputLocation": f"s3://{BUCKET}/athena-results/"})
        assert_client_error(self, "InvalidRequestException", ATHENA.start_query_execution, QueryString="SELECT 1",
                            ResultConfiguration={"OutputLocation": "not-an-s3-uri"})

    def test_corrupt_objects_fail_the_query(self):
        prefix = f"corrupt-{uuid.uuid4().hex[:6]}"
        good = DATA.events_parquet(DATA.events[:10])
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/pq/good.parquet", Body=good)
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/pq/bad.parquet", Body=b"PAR1" + os.urandom(2000) + b"PAR1")
        self.a.execute(f"""CREATE EXTERNAL TABLE corrupt_pq (event_id bigint, customer_id bigint, kind string,
                             value double, ts timestamp) STORED AS PARQUET LOCATION 's3://{BUCKET}/{prefix}/pq/'""")
        self.assert_fails("SELECT count(*), sum(value) FROM corrupt_pq")
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/pq/truncated.parquet", Body=good[: len(good) // 2])
        S3.delete_object(Bucket=BUCKET, Key=f"{prefix}/pq/bad.parquet")
        self.assert_fails("SELECT sum(value) FROM corrupt_pq")
        # A .gz CSV object that is not gzip.
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/csv/ok.csv", Body=b"1,a\n2,b\n")
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/csv/broken.csv.gz", Body=b"this is not gzip data\n" * 20)
        self.a.execute(f"""CREATE EXTERNAL TABLE corrupt_csv (n int, s string)
                           ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/{prefix}/csv/'""")
        self.assert_fails("SELECT count(*) FROM corrupt_csv")
        # After removing the broken object the table reads fine (and a real .gz is read).
        S3.delete_object(Bucket=BUCKET, Key=f"{prefix}/csv/broken.csv.gz")
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/csv/more.csv.gz", Body=gzip.compress(b"3,c\n4,d\n"))
        self.assertEqual(self.a.select("SELECT sum(n), count(*) FROM corrupt_csv"), [["10", "4"]])

    def test_csv_bad_values_become_null(self):
        # LazySimpleSerDe: a field that does not parse as the column type reads as NULL; missing trailing
        # fields read as NULL; extra fields are ignored.
        prefix = f"lenient-{uuid.uuid4().hex[:6]}"
        S3.put_object(Bucket=BUCKET, Key=f"{prefix}/x.csv", Body=b"1,a\nnotanumber,b\n3\n4,d,extra\n")
        self.a.execute(f"""CREATE EXTERNAL TABLE lenient (n int, s string)
                           ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/{prefix}/'""")
        rows = self.a.select("SELECT n, s FROM lenient ORDER BY s NULLS LAST")
        self.assertEqual(rows, [["1", "a"], [None, "b"], ["4", "d"], ["3", None]])

    def test_stop_query_and_results_of_running_query(self):
        sql = ("SELECT sum(a.order_id * b.order_id + c.order_id * d.order_id) "
               "FROM sales a CROSS JOIN sales b CROSS JOIN sales c CROSS JOIN sales d CROSS JOIN sales e")
        qid = self.a.start(sql)
        deadline = time.monotonic() + lake.POLL_TIMEOUT_S
        state = None
        while time.monotonic() < deadline:
            state = ATHENA.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
            if state == "RUNNING" or state in lake.TERMINAL:
                break
            time.sleep(0.05)
        self.assertEqual(state, "RUNNING")
        resp = assert_client_error(self, "InvalidRequestException", ATHENA.get_query_results, QueryExecutionId=qid)
        self.assertIn("has not yet finished", resp["Error"]["Message"])
        t0 = time.monotonic()
        ATHENA.stop_query_execution(QueryExecutionId=qid)
        qe = self.a.wait(qid, timeout=30)
        self.assertEqual(qe["Status"]["State"], "CANCELLED")
        self.assertLess(time.monotonic() - t0, 30)
        ATHENA.stop_query_execution(QueryExecutionId=qid)  # stopping a finished query is a no-op
        # The engine really stopped: the server burns (almost) no CPU once the query is CANCELLED.
        cpu = server_cpu_seconds()
        if cpu is not None:
            time.sleep(1.0)
            self.assertLess(server_cpu_seconds() - cpu, 0.3, "the cancelled query is still running")
        self.assertEqual(self.a.scalar("SELECT 2"), "2")


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
