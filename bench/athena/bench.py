"""Athena on Cenote vs DuckDB directly, on the same TPC-H-like Parquet files, in one run.

Driven by bench/athena/run.sh. Steps:
  1. Generate (once; cached) a TPC-H-like data set with the pinned DuckDB through ctypes
     (tests/e2e/glue_athena/duck.py): lineitem (~6M rows, Hive-partitioned by l_shipyear) and orders
     (1.5M rows), Parquet (snappy), about 0.4 GB at scale 1 (TPC-H SF1 row counts); `--scale 2.5` gives
     about 1 GB; `--small` is scale 0.1.
  2. Start `cenote serve` (tests/e2e/harness.py: free loopback port, temp data dir), upload the files with
     boto3 (multipart), register the tables with Athena DDL (CREATE EXTERNAL TABLE + MSCK REPAIR TABLE).
  3. Run each query through the Athena API (StartQueryExecution, GetQueryExecution in a tight loop,
     every GetQueryResults page) and directly in DuckDB over the local files (materialising every row),
     interleaved, a warm-up each and then --repeat timed runs; report medians and the ratio athena/direct.
  4. Round-trip latency of `SELECT 1` through the Athena API over --latency-runs runs (min/median/p90/p99).

Targets (reported, never enforced): athena/direct <= 1.10 on the scan-heavy queries, SELECT 1 median <= 20 ms.
Results must agree: each query's rows are compared between the two paths (numbers rounded to 6 significant
digits); a mismatch is printed as such.

Usage: python3 bench.py PATH_TO_CENOTE [--small | --scale F] [--repeat N] [--latency-runs N] [--cache DIR] [--json OUT]
                        [--direct-as-server]   (the direct DuckDB configured like Cenote's engine)
       python3 bench.py --direct-only [--small] ...   (no server: DuckDB numbers only)
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "glue_athena"))
import duck  # noqa: E402

GEN_VERSION = 2
POLL_SLEEP = -1.0  # seconds between GetQueryExecution polls; negative: adaptive (--poll-ms)
COMPRESSION = "snappy"
BUCKET = "bench-athena"
DB = "tpch"

LINEITEM_COLUMNS = [
    ("l_orderkey", "bigint"), ("l_partkey", "bigint"), ("l_suppkey", "bigint"), ("l_linenumber", "int"),
    ("l_quantity", "decimal(15,2)"), ("l_extendedprice", "decimal(15,2)"), ("l_discount", "decimal(15,2)"),
    ("l_tax", "decimal(15,2)"), ("l_returnflag", "string"), ("l_linestatus", "string"), ("l_shipdate", "date"),
    ("l_commitdate", "date"), ("l_receiptdate", "date"), ("l_shipinstruct", "string"), ("l_shipmode", "string"),
    ("l_comment", "string")]
ORDERS_COLUMNS = [
    ("o_orderkey", "bigint"), ("o_custkey", "bigint"), ("o_orderstatus", "string"), ("o_totalprice", "decimal(15,2)"),
    ("o_orderdate", "date"), ("o_orderpriority", "string"), ("o_clerk", "string"), ("o_shippriority", "int"),
    ("o_comment", "string")]

# name -> (SQL (tables unqualified), scan-heavy?)
QUERIES = {
    # Answered from the Parquet footers (row counts): no column data is read, so not scan-heavy.
    "count_star": ("SELECT count(*) FROM lineitem", False),
    "q1": ("""SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
                 sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
                 sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
                 avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
                 count(*) AS count_order
              FROM lineitem WHERE l_shipdate <= DATE '1998-09-02'
              GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus""", True),
    "q6": ("""SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
              WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
                AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24""", True),
    "q6_pruned": ("""SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
              WHERE l_shipyear = 1994 AND l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
                AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24""", True),
    "q3_join": ("""SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
              FROM orders JOIN lineitem ON l_orderkey = o_orderkey
              WHERE o_orderpriority = '1-URGENT' AND o_orderdate < DATE '1995-03-15'
                AND l_shipdate > DATE '1995-03-15'
              GROUP BY l_orderkey, o_orderdate, o_shippriority
              ORDER BY revenue DESC, o_orderdate, l_orderkey LIMIT 10""", False),
    "orders_group_by": ("""SELECT o_orderpriority, count(*) AS n, sum(o_totalprice) AS total FROM orders
              GROUP BY o_orderpriority ORDER BY o_orderpriority""", True),
}


# ------------------------------------------------------------------------------------------- data
def generate(cache, orders_n):
    """Writes <cache>/lineitem/l_shipyear=YYYY/*.parquet and <cache>/orders/orders.parquet once."""
    marker = os.path.join(cache, f".complete-v{GEN_VERSION}")
    if os.path.exists(marker):
        print(f"data: cached in {cache}", flush=True)
        return
    os.makedirs(os.path.join(cache, "orders"), exist_ok=True)
    t0 = time.monotonic()
    # o_orderdate is a function of the order key, so lineitem can derive its dates without a join.
    odate = "(DATE '1992-01-01' + CAST(hash({k} * 7919) % 2405 AS INTEGER))"
    with duck.Duck() as db:
        db.execute("SET preserve_insertion_order = false")
        db.execute(f"""COPY (
            SELECT k AS o_orderkey,
                   CAST(1 + hash(k * 31) % {max(orders_n // 10, 1)} AS BIGINT) AS o_custkey,
                   CASE WHEN {odate.format(k='k')} < DATE '1995-06-17' THEN 'F'
                        WHEN {odate.format(k='k')} > DATE '1995-06-17' + 120 THEN 'O' ELSE 'P' END AS o_orderstatus,
                   CAST(1000 + (hash(k * 17) % 45000000) / 100.0 AS DECIMAL(15,2)) AS o_totalprice,
                   {odate.format(k='k')} AS o_orderdate,
                   ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'][CAST(1 + hash(k * 13) % 5 AS BIGINT)] AS o_orderpriority,
                   'Clerk#' || lpad(CAST(1 + hash(k * 11) % 1000 AS VARCHAR), 9, '0') AS o_clerk,
                   0 AS o_shippriority,
                   substr(md5(CAST(k AS VARCHAR)) || md5(CAST(k * 3 AS VARCHAR)), 1, 19 + CAST(hash(k) % 60 AS INTEGER))
                     AS o_comment
            FROM range(1, {orders_n + 1}) t(k))
          TO '{cache}/orders/orders.parquet' (FORMAT PARQUET, COMPRESSION {COMPRESSION})""")
        # Four lines per order on average (1..7): line i of order k exists when i <= 1 + hash(k) % 7.
        db.execute(f"""COPY (
            WITH l AS (
              SELECT k AS l_orderkey, i AS l_linenumber, {odate.format(k='k')} AS od,
                     CAST(1 + hash(k * 101 + i) % 50 AS DECIMAL(15,2)) AS qty,
                     CAST(1 + hash(k * 103 + i) % 200000 AS BIGINT) AS pk
              FROM range(1, {orders_n + 1}) t(k), range(1, 8) u(i)
              WHERE i <= 1 + hash(k) % 7),
            d AS (
              SELECT *, od + CAST(1 + hash(l_orderkey * 113 + l_linenumber) % 121 AS INTEGER) AS ship FROM l),
            r AS (
              SELECT *, ship + CAST(1 + hash(l_orderkey * 131 + l_linenumber) % 30 AS INTEGER) AS receipt FROM d)
            SELECT l_orderkey, pk AS l_partkey, CAST(1 + hash(pk * 7 + l_linenumber) % 10000 AS BIGINT) AS l_suppkey,
                   CAST(l_linenumber AS INTEGER) AS l_linenumber, qty AS l_quantity,
                   CAST(qty * (900 + (pk % 1000) + 0.01 * (pk % 100)) AS DECIMAL(15,2)) AS l_extendedprice,
                   CAST((hash(l_orderkey * 107 + l_linenumber) % 11) / 100.0 AS DECIMAL(15,2)) AS l_discount,
                   CAST((hash(l_orderkey * 109 + l_linenumber) % 9) / 100.0 AS DECIMAL(15,2)) AS l_tax,
                   CASE WHEN receipt <= DATE '1995-06-17'
                        THEN ['R', 'A'][CAST(1 + hash(l_orderkey + l_linenumber) % 2 AS BIGINT)] ELSE 'N' END
                     AS l_returnflag,
                   CASE WHEN ship > DATE '1995-06-17' THEN 'O' ELSE 'F' END AS l_linestatus,
                   ship AS l_shipdate,
                   od + CAST(30 + hash(l_orderkey * 127 + l_linenumber) % 61 AS INTEGER) AS l_commitdate,
                   receipt AS l_receiptdate,
                   ['DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'][CAST(1 + hash(l_orderkey * 137 + l_linenumber) % 4 AS BIGINT)]
                     AS l_shipinstruct,
                   ['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'][CAST(1 + hash(l_orderkey * 139 + l_linenumber) % 7 AS BIGINT)]
                     AS l_shipmode,
                   substr(md5(CAST(l_orderkey * 8 + l_linenumber AS VARCHAR)) || md5(CAST(l_orderkey * 9 + l_linenumber AS VARCHAR)),
                          1, 10 + CAST(hash(l_orderkey + l_linenumber) % 34 AS INTEGER)) AS l_comment,
                   year(ship) AS l_shipyear
            FROM r)
          TO '{cache}/lineitem' (FORMAT PARQUET, COMPRESSION {COMPRESSION}, PARTITION_BY (l_shipyear), OVERWRITE_OR_IGNORE)""")
        counts = db.query(f"SELECT (SELECT count(*) FROM read_parquet('{cache}/lineitem/*/*.parquet')), "
                          f"(SELECT count(*) FROM read_parquet('{cache}/orders/*.parquet'))")[0]
    with open(marker, "w") as f:
        f.write(json.dumps({"lineitem": int(counts[0]), "orders": int(counts[1])}))
    print(f"data: generated lineitem={counts[0]} orders={counts[1]} rows in {time.monotonic() - t0:.1f}s", flush=True)


def local_files(cache):
    out = []
    for dirpath, _, files in os.walk(cache):
        for f in files:
            if f.endswith(".parquet"):
                p = os.path.join(dirpath, f)
                out.append((os.path.relpath(p, cache), p, os.path.getsize(p)))
    return sorted(out)


# ------------------------------------------------------------------------------------------- runners
def normalise(rows):
    def norm(v):
        if v is None:
            return None
        try:
            f = float(v)
        except ValueError:
            return v
        return float(f"{f:.6g}")
    return [tuple(norm(v) for v in r) for r in rows]


# What Cenote's engine sets that a default DuckDB does not and that changes speed (src/query/instance.cpp):
# Parquet footers cached across queries, and freed memory kept 10 s by DuckDB's allocator (1 s by default).
# --direct-as-server applies both to the direct path too.
SERVER_ALLOCATOR_CONF = "dirty_decay_ms:10000,muzzy_decay_ms:10000"


class Direct:
    def __init__(self, cache, as_server=False):
        self.db = duck.Duck()
        if as_server:
            self.db.execute("SET parquet_metadata_cache = true")
        self.db.execute(f"CREATE VIEW lineitem AS SELECT * FROM read_parquet('{cache}/lineitem/*/*.parquet', "
                        f"hive_partitioning = true)")
        self.db.execute(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{cache}/orders/*.parquet')")

    def run(self, sql):
        t0 = time.perf_counter()
        rows = self.db.query(sql)
        return time.perf_counter() - t0, rows, None


class RawAthena:
    """A minimal Athena client: JSON 1.1 over one keep-alive HTTP connection, SigV4 by hand (the signing
    key is derived once per day). It speaks the same API as boto3 at a fraction of boto3's client-side
    CPU (about 1 ms per call), which on a 2-core machine competes with the server and the engine for the
    cores while a query runs and is polled. Methods mirror the boto3 client's, returning parsed JSON."""

    def __init__(self, endpoint, access_key, secret_key, region):
        import http.client
        import urllib.parse
        u = urllib.parse.urlparse(endpoint)
        self.host = u.netloc
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=900)
        self.access_key, self.secret_key, self.region = access_key, secret_key, region
        self._key_day, self._key = None, None

    def _signing_key(self, day):
        import hashlib
        import hmac
        if day != self._key_day:
            k = ("AWS4" + self.secret_key).encode()
            for part in (day, self.region, "athena", "aws4_request"):
                k = hmac.new(k, part.encode(), hashlib.sha256).digest()
            self._key_day, self._key = day, k
        return self._key

    def _call(self, op, params):
        import hashlib
        import hmac
        body = json.dumps(params).encode()
        now = time.gmtime()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
        day = amz_date[:8]
        target = "AmazonAthena." + op
        payload_hash = hashlib.sha256(body).hexdigest()
        canonical = (f"POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:{self.host}\n"
                     f"x-amz-date:{amz_date}\nx-amz-target:{target}\n\n"
                     f"content-type;host;x-amz-date;x-amz-target\n{payload_hash}")
        scope = f"{day}/{self.region}/athena/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(day), to_sign.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/x-amz-json-1.1", "X-Amz-Date": amz_date, "X-Amz-Target": target,
            "Authorization": f"AWS4-HMAC-SHA256 Credential={self.access_key}/{scope}, "
                             f"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={signature}"}
        self.conn.request("POST", "/", body=body, headers=headers)
        resp = self.conn.getresponse()
        data = json.loads(resp.read() or b"{}")
        if resp.status != 200:
            raise RuntimeError(f"{op}: HTTP {resp.status} {data}")
        return data

    def start_query_execution(self, **kw):
        return self._call("StartQueryExecution", kw)

    def get_query_execution(self, **kw):
        return self._call("GetQueryExecution", kw)

    def get_query_results(self, **kw):
        return self._call("GetQueryResults", kw)

    def stop_query_execution(self, **kw):
        return self._call("StopQueryExecution", kw)


class AthenaRunner:
    def __init__(self, client, output):
        self.client = client
        self.output = output

    def run(self, sql, database=DB, poll_sleep=None, timeout=900):
        if poll_sleep is None:
            poll_sleep = POLL_SLEEP
        t0 = time.perf_counter()
        kw = dict(QueryString=sql, ResultConfiguration={"OutputLocation": self.output})
        if database:
            kw["QueryExecutionContext"] = {"Database": database}
        qid = self.client.start_query_execution(**kw)["QueryExecutionId"]
        deadline = time.monotonic() + timeout
        while True:
            qe = self.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            state = qe["Status"]["State"]
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            if time.monotonic() > deadline:
                self.client.stop_query_execution(QueryExecutionId=qid)
                raise RuntimeError(f"query still {state} after {timeout}s")
            # poll_sleep < 0: adaptive, a twentieth of the time waited so far within [0.5 ms, 5 ms], so
            # a long query is not polled 1000 times a second by a client competing for the same cores.
            time.sleep(poll_sleep if poll_sleep >= 0 else
                       min(0.005, max(0.0005, (time.perf_counter() - t0) / 20)))
        if state != "SUCCEEDED":
            raise RuntimeError(f"{state}: {qe['Status'].get('StateChangeReason')}")
        rows, token = [], None
        while True:
            kw = dict(QueryExecutionId=qid, MaxResults=1000)
            if token:
                kw["NextToken"] = token
            page = self.client.get_query_results(**kw)
            rows += [tuple(d.get("VarCharValue") for d in r["Data"]) for r in page["ResultSet"]["Rows"]]
            token = page.get("NextToken")
            if not token:
                break
        elapsed = time.perf_counter() - t0
        return elapsed, rows[1:], qe.get("Statistics", {})


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))]


# ------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote", nargs="?", help="path to the cenote binary")
    ap.add_argument("--small", action="store_true", help="a tenth of the data (150k orders; same as --scale 0.1)")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="TPC-H-like scale factor: 1.0 = 1.5M orders, ~6M lineitems, ~0.4 GB of Parquet")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--latency-runs", type=int, default=200)
    ap.add_argument("--cache", default=None, help="data cache dir (default: $TMPDIR/cenote-bench-athena-sf<scale>)")
    ap.add_argument("--json", default=None)
    ap.add_argument("--poll-ms", type=float, default=-1,
                    help="fixed sleep between GetQueryExecution polls in ms (default: adaptive, 1/20 of the "
                         "time waited so far, between 0.5 and 5 ms)")
    ap.add_argument("--direct-only", action="store_true", help="no server: DuckDB numbers only")
    ap.add_argument("--direct-as-server", action="store_true",
                    help="configure the direct DuckDB like Cenote's engine (Parquet footer cache, allocator "
                         "keeping freed memory 10 s) instead of DuckDB's defaults")
    args = ap.parse_args()
    if not args.direct_only and not args.cenote:
        ap.error("PATH_TO_CENOTE is required (or --direct-only)")

    global POLL_SLEEP
    POLL_SLEEP = args.poll_ms / 1000.0 if args.poll_ms >= 0 else -1.0
    scale = 0.1 if args.small else args.scale
    orders_n = max(1000, int(1_500_000 * scale))
    cache = args.cache or os.path.join(tempfile.gettempdir(), f"cenote-bench-athena-sf{scale:g}")
    if args.direct_as_server:
        # Read by DuckDB's bundled jemalloc when libduckdb loads (below, in this process only).
        os.environ["DUCKDB_JE_MALLOC_CONF"] = SERVER_ALLOCATOR_CONF
    generate(cache, orders_n)
    files = local_files(cache)
    total_bytes = sum(s for _, _, s in files)
    print(f"data: {len(files)} Parquet files, {total_bytes / 1e6:.1f} MB", flush=True)

    direct = Direct(cache, as_server=args.direct_as_server)
    os.environ.pop("DUCKDB_JE_MALLOC_CONF", None)  # libduckdb is loaded: the server needs no hint
    print("direct DuckDB: " + ("configured like Cenote's engine (--direct-as-server)" if args.direct_as_server
                               else "DuckDB's defaults"), flush=True)
    server = athena = None
    setup_error = None
    report = {"scale": scale, "setup_error": None, "files": len(files), "bytes": total_bytes, "queries": {}, "latency": None}
    try:
        if not args.direct_only:
            import harness
            from boto3.s3.transfer import TransferConfig
            os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)
            server = harness.Server().start()
            s3 = harness.boto3_client(server, "s3", read_timeout=900)
            client = harness.boto3_client(server, "athena", read_timeout=900)
            s3.create_bucket(Bucket=BUCKET)
            t0 = time.monotonic()
            cfg = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=64 * 2**20, max_concurrency=4)
            for rel, path, _ in files:
                s3.upload_file(path, BUCKET, "tpch/" + rel.replace(os.sep, "/"), Config=cfg)
            up = time.monotonic() - t0
            print(f"upload: {total_bytes / 1e6:.1f} MB in {up:.1f}s ({total_bytes / 1e6 / up:.0f} MB/s)", flush=True)
            boto = AthenaRunner(client, f"s3://{BUCKET}/results/")
            athena = AthenaRunner(RawAthena(server.endpoint, server.access_key, server.secret_key, server.region),
                                  f"s3://{BUCKET}/results/")
            try:
                athena.run(f"CREATE DATABASE IF NOT EXISTS {DB}", database=None)
                cols = ", ".join(f"{n} {t}" for n, t in LINEITEM_COLUMNS)
                athena.run(f"CREATE EXTERNAL TABLE lineitem ({cols}) PARTITIONED BY (l_shipyear int) STORED AS PARQUET "
                           f"LOCATION 's3://{BUCKET}/tpch/lineitem/'")
                athena.run("MSCK REPAIR TABLE lineitem")
                cols = ", ".join(f"{n} {t}" for n, t in ORDERS_COLUMNS)
                athena.run(f"CREATE EXTERNAL TABLE orders ({cols}) STORED AS PARQUET "
                           f"LOCATION 's3://{BUCKET}/tpch/orders/'")
            except Exception as e:  # noqa: BLE001 - reported; the direct numbers still run
                setup_error = f"Athena setup failed: {e}"
                print(setup_error, flush=True)
                athena = None

        print(f"\n{'query':<16} {'athena ms':>10} {'direct ms':>10} {'ratio':>7} {'boto3 ms':>9} {'engine ms':>10} "
              f"{'scanned MB':>11} {'rows':>5}  notes", flush=True)
        for name, (sql, scan_heavy) in QUERIES.items():
            d_times, a_times, b_times, notes, stats, a_rows = [], [], [], [], {}, None
            direct.run(sql)  # warm-up (page cache)
            try:
                if athena:
                    athena.run(sql)
                    boto.run(sql)
            except Exception as e:  # noqa: BLE001 - reported, not fatal
                notes.append(f"athena error: {e}"[:200])
            for _ in range(args.repeat):
                t, d_rows, _ = direct.run(sql)
                d_times.append(t)
                if athena and not notes:
                    try:
                        t, a_rows, stats = athena.run(sql)
                        a_times.append(t)
                        t, b_rows, _ = boto.run(sql)
                        b_times.append(t)
                        if normalise(b_rows) != normalise(a_rows):
                            notes.append("boto3 and raw client results differ")
                    except Exception as e:  # noqa: BLE001
                        notes.append(f"athena error: {e}"[:200])
            d_med = statistics.median(d_times) * 1000
            a_med = statistics.median(a_times) * 1000 if a_times else None
            b_med = statistics.median(b_times) * 1000 if b_times else None
            ratio = a_med / d_med if a_med else None
            if a_rows is not None and normalise(a_rows) != normalise(d_rows):
                notes.append(f"RESULT MISMATCH: athena {a_rows[:2]} vs direct {d_rows[:2]}")
            if ratio and scan_heavy and ratio > 1.10:
                notes.append("above the 1.10x target")
            eng = stats.get("EngineExecutionTimeInMillis") if stats else None
            scanned = stats.get("DataScannedInBytes") if stats else None
            print(f"{name:<16} {a_med if a_med else float('nan'):>10.1f} {d_med:>10.1f} "
                  f"{ratio if ratio else float('nan'):>7.2f} {b_med if b_med else float('nan'):>9.1f} "
                  f"{eng if eng is not None else '-':>10} "
                  f"{(scanned / 1e6) if scanned is not None else float('nan'):>11.1f} {len(d_rows):>5}  "
                  f"{'; '.join(notes)}", flush=True)
            report["queries"][name] = dict(athena_ms=a_med, direct_ms=d_med, ratio=ratio, boto3_ms=b_med, engine_ms=eng,
                                           scanned_bytes=scanned, rows=len(d_rows), scan_heavy=scan_heavy,
                                           notes=notes)

        if athena:
            print("", flush=True)
            report["latency"] = {}
            for label, runner in (("raw client", athena), ("boto3", boto)):
                lat = []
                runner.run("SELECT 1", database=None)
                for _ in range(args.latency_runs):
                    t, rows, _ = runner.run("SELECT 1", database=None, poll_sleep=0.0005)
                    lat.append(t * 1000)
                    if rows != [("1",)]:
                        print(f"SELECT 1 returned {rows}", flush=True)
                        break
                med = statistics.median(lat)
                print(f"SELECT 1 round trip, {label}, over {len(lat)} runs (start + poll + results): min {min(lat):.1f} ms, "
                      f"median {med:.1f} ms, p90 {pct(lat, 90):.1f} ms, p99 {pct(lat, 99):.1f} ms, max {max(lat):.1f} ms"
                      f"  (target median <= 20 ms{'' if med <= 20 else ': above'})", flush=True)
                report["latency"][label] = dict(runs=len(lat), min=min(lat), median=med, p90=pct(lat, 90),
                                                p99=pct(lat, 99), max=max(lat))
        report["setup_error"] = setup_error
    finally:
        direct.db.close()
        if server:
            server.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 1 if setup_error else 0


if __name__ == "__main__":
    sys.exit(main())
