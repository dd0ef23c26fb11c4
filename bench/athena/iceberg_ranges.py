"""Range conditions on Iceberg tables through Cenote's Athena: files skipped by day(ts) partitions, and by the
column bounds of the files Cenote wrote (a range on id, which is not a partition column).

  1. Generate (once; cached) --rows rows (id, ts over 64 days, amount, note) as Parquet files with the pinned
     DuckDB (tests/e2e/glue_athena/duck.py), upload them, register a plain Parquet table (CREATE EXTERNAL TABLE)
     and an Iceberg table partitioned by day(ts) holding the same rows (CTAS with table_type ICEBERG).
  2. Range queries (one day, a week, a half-open range, BETWEEN and a conjunction with another column) over both
     tables, interleaved, a warm-up each, --repeat timed runs: medians, the ratio iceberg/plain and the bytes each
     read (DataScannedInBytes: the plain table reads every file; the Iceberg table the partitions the range can
     reach). The rows are compared. Not a test: never fails on a timing.

Usage: python3 bench/athena/iceberg_ranges.py PATH_TO_CENOTE [--rows N] [--repeat N] [--cache DIR] [--json OUT]
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "glue_athena"))
import duck  # noqa: E402
import harness  # noqa: E402
import lake  # noqa: E402
from iceberg import normalized  # noqa: E402  (bench/athena/iceberg.py: numbers to 6 significant digits)

BUCKET = "bench-iceberg-ranges"
DB = "bench"
FILES = 8
DAYS = 64
QUERIES = {
    "one_day": "SELECT count(*), sum(amount) FROM {t} WHERE ts >= TIMESTAMP '2024-01-10 00:00:00' "
               "AND ts < TIMESTAMP '2024-01-11 00:00:00'",
    "one_week": "SELECT count(*), sum(amount) FROM {t} WHERE ts BETWEEN TIMESTAMP '2024-02-01 00:00:00' "
                "AND TIMESTAMP '2024-02-07 23:59:59'",
    "last_days": "SELECT count(*), avg(amount) FROM {t} WHERE ts > TIMESTAMP '2024-03-01 12:00:00'",
    # Not a partition column: files skipped by their column bounds (manifests' lower_bounds / upper_bounds,
    # which Cenote records for the files it writes); ids grow with ts, so few files hold the range.
    "id_range": "SELECT count(*), sum(amount) FROM {t} WHERE id BETWEEN 1000000 AND 1030000",
    "range_and_note": "SELECT note, count(*) FROM {t} WHERE ts <= TIMESTAMP '2024-01-03 00:00:00' "
                      "AND note = 'n7' GROUP BY note",
}


def generate(cache, rows):
    marker = os.path.join(cache, f"done-{rows}")
    if os.path.exists(marker):
        return
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    per = (rows + FILES - 1) // FILES
    step_us = DAYS * 86_400_000_000 // rows  # rows spread evenly over DAYS days, in id order
    with duck.Duck() as db:
        for i in range(FILES):
            lo, hi = i * per, min(rows, (i + 1) * per)
            db.execute(f"""COPY (SELECT range AS id,
                                   TIMESTAMP '2024-01-01' + to_microseconds(range * {step_us}) AS ts,
                                   CAST((range * 37) % 10000 AS DOUBLE) / 100 AS amount,
                                   'n' || CAST(range % 10 AS VARCHAR) AS note
                            FROM range({lo}, {hi}))
                           TO '{cache}/part-{i}.parquet' (FORMAT PARQUET, COMPRESSION snappy)""")
    open(marker, "w").close()


def timed(a, sql):
    t0 = time.perf_counter()
    qe = a.execute(sql)
    _, rows, _ = a.results(qe["QueryExecutionId"])
    return time.perf_counter() - t0, rows[1:], qe["Statistics"]["DataScannedInBytes"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = args.cenote
    cache = args.cache or os.path.join(tempfile.gettempdir(), f"cenote-bench-iceberg-ranges-{args.rows}")
    generate(cache, args.rows)
    report = {"rows": args.rows, "queries": {}}

    server = harness.Server().start()
    try:
        s3 = harness.boto3_client(server, "s3", read_timeout=900)
        client = harness.boto3_client(server, "athena", read_timeout=900)
        a = lake.Athena(client, f"s3://{BUCKET}/results/", DB)
        s3.create_bucket(Bucket=BUCKET)
        for name in sorted(os.listdir(cache)):
            if name.endswith(".parquet"):
                s3.upload_file(os.path.join(cache, name), BUCKET, f"plain/{name}")
        a.execute(f"CREATE DATABASE {DB}", database="default")
        a.execute("""CREATE EXTERNAL TABLE plain (id bigint, ts timestamp, amount double, note string)
                     STORED AS PARQUET LOCATION 's3://%s/plain/'""" % BUCKET)
        t0 = time.perf_counter()
        a.execute(f"""CREATE TABLE ice WITH (table_type = 'ICEBERG', is_external = false,
                      location = 's3://{BUCKET}/ice', partitioning = ARRAY['day(ts)']) AS SELECT * FROM plain""")
        report["ctas_s"] = time.perf_counter() - t0

        print(f"{'query':<16}{'plain ms':>10}{'iceberg ms':>12}{'ratio':>8}{'plain MB':>10}{'iceberg MB':>12}")
        for name, sql in QUERIES.items():
            p_runs, i_runs = [], []
            _, p_rows, p_bytes = timed(a, sql.format(t="plain"))
            _, i_rows, i_bytes = timed(a, sql.format(t="ice"))
            same = normalized(p_rows) == normalized(i_rows)
            for _ in range(args.repeat):
                p_runs.append(timed(a, sql.format(t="plain"))[0])
                i_runs.append(timed(a, sql.format(t="ice"))[0])
            p, i = statistics.median(p_runs), statistics.median(i_runs)
            report["queries"][name] = {"plain_s": p, "iceberg_s": i, "ratio": i / p, "plain_bytes": p_bytes,
                                       "iceberg_bytes": i_bytes, "same_rows": same}
            print(f"{name:<16}{p * 1000:>10.1f}{i * 1000:>12.1f}{i / p:>8.2f}{p_bytes / 1e6:>10.1f}"
                  f"{i_bytes / 1e6:>12.1f}" + ("" if same else "  ROWS DIFFER"))
    finally:
        server.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
