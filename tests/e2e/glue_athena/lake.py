"""Shared helpers for the Glue + Athena end-to-end tests (boto3 and security): a deterministic data set with
answers computed in Python, upload helpers, and an Athena runner with bounded polling.

Standard library only at import time (boto3 is used through the clients passed in).
"""

import csv
import io
import json
import os
import random
import tempfile
import time

import duck

POLL_TIMEOUT_S = float(os.environ.get("CENOTE_E2E_POLL_TIMEOUT", "60"))
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")
CRAWLER_ROLE = "arn:aws:iam::000000000000:role/service-role/cenote-e2e-crawler"

# ---------------------------------------------------------------------------------------------- data set
PRODUCTS = ["apple", "banana", "cherry", "durian"]
COUNTRIES = ["DE", "FR", "US"]
TIERS = ["bronze", "silver", "gold"]
SALES_PARTITIONS = [("2024", "01"), ("2024", "02"), ("2024", "03"), ("2025", "01")]
EVENT_PARTITIONS = [("2024", "01"), ("2024", "02")]
LOG_PARTITIONS = [("2024", "01"), ("2024", "02"), ("2025", "12")]
KINDS = ["click", "view", "buy"]
LEVELS = ["INFO", "WARN", "ERROR"]


class DataSet:
    """Rows of every table, generated from a fixed seed, plus the files that hold them."""

    def __init__(self, seed=20240101):
        rnd = random.Random(seed)
        # sales: CSV with a header, Hive partitions year=/month=, 50 rows per partition, unique amounts.
        self.sales = []  # dicts with typed values + partition values
        order_id = 0
        used_cents = set()
        for year, month in SALES_PARTITIONS:
            for _ in range(50):
                order_id += 1
                cents = rnd.randint(100, 99999)
                while cents in used_cents:
                    cents += 1
                used_cents.add(cents)
                day = rnd.randint(1, 28)
                ts = f"{year}-{month}-{day:02d} {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}"
                self.sales.append(dict(order_id=order_id, customer_id=rnd.randint(1, 20), amount=cents / 100.0,
                                       cents=cents, product=rnd.choice(PRODUCTS), ts=ts, year=year, month=month))
        # customers: JSON lines, no partitions. Customers 21 and 22 have no sales.
        self.customers = []
        for cid in range(1, 23):
            tags = rnd.sample(["new", "vip", "eu", "promo", "b2b"], rnd.randint(0, 3))
            tier = rnd.choice(TIERS)
            self.customers.append(dict(customer_id=cid, name=f"customer-{cid:02d}", country=rnd.choice(COUNTRIES),
                                       tags=tags, profile=json.dumps({"tier": tier, "score": rnd.randint(0, 100)}),
                                       tier=tier))
        # events: Parquet, Hive partitions year=/month=, two files in the first partition.
        self.events = []
        eid = 0
        for year, month in EVENT_PARTITIONS:
            for _ in range(120):
                eid += 1
                self.events.append(dict(event_id=eid, customer_id=rnd.randint(1, 22), kind=rnd.choice(KINDS),
                                        value=rnd.randint(0, 10000) / 4.0,
                                        ts=f"{year}-{month}-{rnd.randint(1, 28):02d} 12:00:00", year=year,
                                        month=month))
        # logs: CSV with a header in unnamed partition folders 2024/01/.
        self.logs = []
        for p0, p1 in LOG_PARTITIONS:
            for i in range(30):
                self.logs.append(dict(level=rnd.choice(LEVELS), code=rnd.randint(100, 599), msg=f"message {p0}{p1}-{i}",
                                      p0=p0, p1=p1))

    # -- file contents
    def sales_csv(self, year, month, rows=None):
        rows = [r for r in self.sales if (r["year"], r["month"]) == (year, month)] if rows is None else rows
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["order_id", "customer_id", "amount", "product", "ts"])
        for r in rows:
            w.writerow([r["order_id"], r["customer_id"], f"{r['cents'] / 100:.2f}", r["product"], r["ts"]])
        return out.getvalue().encode()

    def customers_jsonl(self):
        lines = [json.dumps({k: c[k] for k in ("customer_id", "name", "country", "tags", "profile")})
                 for c in self.customers]
        return ("\n".join(lines) + "\n").encode()

    def logs_csv(self, p0, p1):
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["level", "code", "msg"])
        for r in self.logs:
            if (r["p0"], r["p1"]) == (p0, p1):
                w.writerow([r["level"], r["code"], r["msg"]])
        return out.getvalue().encode()

    def events_parquet(self, rows):
        """Parquet bytes for `rows` of events (without the partition columns), written by DuckDB."""
        with tempfile.TemporaryDirectory(prefix="cenote-e2e-pq-") as d:
            path = os.path.join(d, "part.parquet")
            duck.write_parquet(path, [("event_id", "BIGINT"), ("customer_id", "BIGINT"), ("kind", "VARCHAR"),
                                      ("value", "DOUBLE"), ("ts", "TIMESTAMP")],
                               [(r["event_id"], r["customer_id"], r["kind"], r["value"], r["ts"]) for r in rows])
            with open(path, "rb") as f:
                return f.read()

    def objects(self, prefix="raw"):
        """{key: bytes} of the whole raw data set."""
        objs = {}
        for year, month in SALES_PARTITIONS:
            objs[f"{prefix}/sales/year={year}/month={month}/part-00000.csv"] = self.sales_csv(year, month)
        objs[f"{prefix}/customers/customers.json"] = self.customers_jsonl()
        for year, month in EVENT_PARTITIONS:
            rows = [r for r in self.events if (r["year"], r["month"]) == (year, month)]
            if (year, month) == EVENT_PARTITIONS[0]:
                half = len(rows) // 2
                objs[f"{prefix}/events/year={year}/month={month}/part-00000.parquet"] = self.events_parquet(rows[:half])
                objs[f"{prefix}/events/year={year}/month={month}/part-00001.parquet"] = self.events_parquet(rows[half:])
            else:
                objs[f"{prefix}/events/year={year}/month={month}/part-00000.parquet"] = self.events_parquet(rows)
        for p0, p1 in LOG_PARTITIONS:
            objs[f"{prefix}/logs/{p0}/{p1}/logs.csv"] = self.logs_csv(p0, p1)
        return objs


def upload(s3, bucket, objects):
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


# ---------------------------------------------------------------------------------------------- Athena
class QueryFailed(AssertionError):
    pass


class Athena:
    """Runs queries through an Athena client with bounded polling."""

    def __init__(self, client, output_location, database=None):
        self.client = client
        self.output = output_location
        self.database = database

    def start(self, sql, database=None, output=True, workgroup=None, **extra):
        kwargs = dict(QueryString=sql, **extra)
        db = database if database is not None else self.database
        if db:
            kwargs["QueryExecutionContext"] = {"Database": db}
        if output:
            kwargs["ResultConfiguration"] = {"OutputLocation": self.output}
        if workgroup:
            kwargs["WorkGroup"] = workgroup
        return self.client.start_query_execution(**kwargs)["QueryExecutionId"]

    def wait(self, qid, timeout=POLL_TIMEOUT_S, interval=0.05):
        deadline = time.monotonic() + timeout
        while True:
            qe = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            if qe["Status"]["State"] in TERMINAL:
                return qe
            if time.monotonic() > deadline:
                raise AssertionError(f"query {qid} still {qe['Status']['State']} after {timeout}s: {qe['Query']!r}")
            time.sleep(interval)
            interval = min(interval * 1.5, 0.5)

    def execute(self, sql, database=None, expect="SUCCEEDED", **kw):
        """Starts `sql`, waits for a terminal state, checks it is `expect`; returns the QueryExecution."""
        qid = self.start(sql, database=database, **kw)
        qe = self.wait(qid)
        state = qe["Status"]["State"]
        if expect and state != expect:
            raise QueryFailed(f"{sql!r}: expected {expect}, got {state}: {qe['Status'].get('StateChangeReason')}")
        return qe

    def results(self, qid, page_size=None, max_pages=10000):
        """All pages of GetQueryResults: (ColumnInfo list, list of rows (lists of str or None), pages)."""
        rows, pages, token, info = [], 0, None, None
        while True:
            kwargs = dict(QueryExecutionId=qid)
            if page_size:
                kwargs["MaxResults"] = page_size
            if token:
                kwargs["NextToken"] = token
            page = self.client.get_query_results(**kwargs)
            pages += 1
            if info is None:
                info = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
            page_rows = [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
            if page_size:
                assert len(page_rows) <= page_size, f"page of {len(page_rows)} rows > MaxResults {page_size}"
            rows.extend(page_rows)
            token = page.get("NextToken")
            if not token:
                return info, rows, pages
            assert pages < max_pages, "GetQueryResults pagination does not terminate"

    def select(self, sql, database=None):
        """Runs a SELECT; returns its data rows (header row checked against the column names and dropped)."""
        qe = self.execute(sql, database=database)
        info, rows, _ = self.results(qe["QueryExecutionId"])
        names = [c["Name"] for c in info]
        assert rows and rows[0] == names, f"first row {rows[:1]} is not the header {names}"
        return rows[1:]

    def scalar(self, sql, database=None):
        rows = self.select(sql, database=database)
        assert len(rows) == 1 and len(rows[0]) == 1, f"{sql!r} returned {rows}"
        return rows[0][0]

    def values(self, sql, database=None):
        """All values of the first column of a (DDL/utility) query's result, header or not."""
        qe = self.execute(sql, database=database)
        _, rows, _ = self.results(qe["QueryExecutionId"])
        return [r[0] for r in rows if r]


class ModuleLake:
    """One server for a test module: S3, Glue and Athena clients, a bucket (`bucket_prefix`-<random>) and a
    Glue database (`db_prefix`_<random>). close() stops the server."""

    def __init__(self, bucket_prefix, db_prefix):
        import uuid

        import harness  # the e2e harness (boto3): imported here, lake.py itself needs only the standard library

        self.server = harness.Server()
        self.server.start()
        self.s3 = harness.boto3_client(self.server, "s3")
        self.glue = harness.boto3_client(self.server, "glue")
        self.athena_client = harness.boto3_client(self.server, "athena")
        self.bucket = f"{bucket_prefix}-{uuid.uuid4().hex[:10]}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.db = f"{db_prefix}_{uuid.uuid4().hex[:8]}"
        self.glue.create_database(DatabaseInput={"Name": self.db})

    def athena(self):
        """An Athena runner writing results under the bucket, in the module's database."""
        return Athena(self.athena_client, f"s3://{self.bucket}/athena-results/", self.db)

    def close(self):
        self.server.close()


def wait_crawler(glue, name, timeout=POLL_TIMEOUT_S, previous_start=None):
    """Polls GetCrawler until the crawler is READY again after a run; returns the Crawler document."""
    deadline = time.monotonic() + timeout
    interval = 0.1
    while True:
        c = glue.get_crawler(Name=name)["Crawler"]
        last = c.get("LastCrawl")
        if c["State"] == "READY" and last and last.get("StartTime") != previous_start:
            return c
        if time.monotonic() > deadline:
            raise AssertionError(f"crawler {name} not READY with a new LastCrawl after {timeout}s: {c}")
        time.sleep(interval)
        interval = min(interval * 1.5, 1.0)


def s3_uri_split(uri):
    assert uri.startswith("s3://"), uri
    bucket, _, key = uri[5:].partition("/")
    return bucket, key
