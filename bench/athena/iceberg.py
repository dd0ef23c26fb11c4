"""Iceberg tables on Cenote's Athena: the same rows as a plain Parquet table and as an Iceberg table, side by side.

  1. Generate (once; cached) a table of --rows rows (id, grp, amount, note) as Parquet files with the pinned DuckDB
     (tests/e2e/glue_athena/duck.py), upload them, register a plain Parquet table (CREATE EXTERNAL TABLE) and an
     Iceberg table holding the same rows (CTAS with table_type ICEBERG).
  2. Scan: the same aggregation queries over both tables through the Athena API, interleaved, a warm-up each,
     --repeat timed runs; medians and the ratio iceberg/plain (target <= 1.15, reported, never enforced).
  3. MERGE of 1 % of the rows (every 100th id updated, plus as many new ids inserted) into the Iceberg table
     through Athena (merge-on-read: position deletes + new data files), against DuckDB doing the same change
     directly as a copy-on-write rewrite of the Parquet files (read, apply, write the whole table). Ratio
     cenote/duckdb; the rows are checked (count, sums) after the MERGE.
Not a test: never fails on a timing.

Usage: python3 bench/athena/iceberg.py PATH_TO_CENOTE [--rows N] [--repeat N] [--cache DIR] [--json OUT]
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

BUCKET = "bench-iceberg"
DB = "bench"
FILES = 8
SCANS = {
    "count_star": "SELECT count(*) FROM {t}",
    "sum_by_group": "SELECT grp, sum(amount), count(*) FROM {t} GROUP BY grp ORDER BY grp",
    "filter_sum": "SELECT sum(amount) FROM {t} WHERE id % 7 = 3 AND note LIKE 'n1%'",
    "distinct_notes": "SELECT count(DISTINCT note) FROM {t}",
}


def generate(cache, rows):
    marker = os.path.join(cache, f"done-{rows}")
    if os.path.exists(marker):
        return
    shutil.rmtree(cache, ignore_errors=True)
    os.makedirs(cache)
    per = (rows + FILES - 1) // FILES
    with duck.Duck() as db:
        for i in range(FILES):
            lo, hi = i * per, min(rows, (i + 1) * per)
            db.execute(f"""COPY (SELECT range AS id, CAST(range % 50 AS INTEGER) AS grp,
                                   CAST((range * 37) % 10000 AS DOUBLE) / 100 AS amount,
                                   'n' || CAST(range % 1000 AS VARCHAR) AS note
                            FROM range({lo}, {hi}))
                           TO '{cache}/part-{i}.parquet' (FORMAT PARQUET, COMPRESSION snappy)""")
    open(marker, "w").close()


def normalized(rows):
    """Numbers rounded to 6 significant digits: sums of doubles differ in their last bits with the order."""
    def norm(v):
        try:
            return f"{float(v):.6g}"
        except (TypeError, ValueError):
            return v
    return [[norm(v) for v in r] for r in rows]


def timed(a, sql):
    t0 = time.perf_counter()
    rows = a.select(sql)
    return time.perf_counter() - t0, rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cache", default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = args.cenote
    cache = args.cache or os.path.join(tempfile.gettempdir(), f"cenote-bench-iceberg-{args.rows}")
    generate(cache, args.rows)
    report = {"rows": args.rows, "scans": {}, "merge": {}}

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
        a.execute(f"""CREATE EXTERNAL TABLE plain (id bigint, grp int, amount double, note string)
                      STORED AS PARQUET LOCATION 's3://{BUCKET}/plain/'""")
        t0 = time.perf_counter()
        a.execute(f"""CREATE TABLE ice WITH (table_type = 'ICEBERG', is_external = false,
                      location = 's3://{BUCKET}/ice') AS SELECT * FROM plain""")
        report["ctas_s"] = time.perf_counter() - t0

        print(f"{'scan':<16}{'plain ms':>10}{'iceberg ms':>12}{'ratio':>8}")
        for name, sql in SCANS.items():
            p_runs, i_runs = [], []
            _, p_rows = timed(a, sql.format(t="plain"))
            _, i_rows = timed(a, sql.format(t="ice"))
            same = normalized(p_rows) == normalized(i_rows)
            for _ in range(args.repeat):
                p_runs.append(timed(a, sql.format(t="plain"))[0])
                i_runs.append(timed(a, sql.format(t="ice"))[0])
            p, i = statistics.median(p_runs), statistics.median(i_runs)
            report["scans"][name] = {"plain_s": p, "iceberg_s": i, "ratio": i / p, "same_rows": same}
            print(f"{name:<16}{p * 1000:>10.1f}{i * 1000:>12.1f}{i / p:>8.2f}" + ("" if same else "  ROWS DIFFER"))

        # MERGE 1 %: every 100th id gets amount + 1, and as many new ids are inserted.
        n = args.rows
        source = (f"(SELECT id, amount + 1 AS amount FROM plain WHERE id % 100 = 0 "
                  f"UNION ALL SELECT id + {n} AS id, 1.0 AS amount FROM plain WHERE id % 100 = 0)")
        merge = (f"MERGE INTO ice t USING {source} s ON t.id = s.id "
                 f"WHEN MATCHED THEN UPDATE SET amount = s.amount "
                 f"WHEN NOT MATCHED THEN INSERT (id, grp, amount, note) VALUES (s.id, 0, s.amount, 'new')")
        t0 = time.perf_counter()
        a.execute(merge)
        cenote_s = time.perf_counter() - t0
        check = a.select("SELECT count(*), sum(amount) FROM ice")[0]

        # DuckDB doing the same change directly: the table rewritten (copy-on-write).
        out = tempfile.mkdtemp(prefix="cenote-bench-iceberg-cow-")
        try:
            with duck.Duck() as db:
                db.execute("SET preserve_insertion_order = false")
                t0 = time.perf_counter()
                db.execute(f"""COPY (
                    SELECT t.id, t.grp, CASE WHEN t.id % 100 = 0 THEN t.amount + 1 ELSE t.amount END AS amount, t.note
                    FROM read_parquet('{cache}/*.parquet') t
                    UNION ALL
                    SELECT id + {n}, 0, 1.0, 'new' FROM read_parquet('{cache}/*.parquet') WHERE id % 100 = 0)
                    TO '{out}/rewritten.parquet' (FORMAT PARQUET, COMPRESSION snappy)""")
                duck_s = time.perf_counter() - t0
                direct = db.query(f"SELECT count(*), sum(amount) FROM read_parquet('{out}/rewritten.parquet')")[0]
        finally:
            shutil.rmtree(out, ignore_errors=True)
        same = check[0] == direct[0] and abs(float(check[1]) - float(direct[1])) < 1e-6 * abs(float(direct[1]))
        report["merge"] = {"cenote_s": cenote_s, "duckdb_rewrite_s": duck_s, "ratio": cenote_s / duck_s,
                           "rows_after": check[0], "same_result": same}
        print(f"\nMERGE of 1 % ({n // 100} updated + {n // 100} inserted into {n} rows)")
        print(f"  cenote (merge-on-read)        {cenote_s * 1000:>10.1f} ms")
        print(f"  duckdb (copy-on-write rewrite) {duck_s * 1000:>9.1f} ms")
        print(f"  ratio cenote/duckdb           {cenote_s / duck_s:>10.2f}" + ("" if same else "  RESULTS DIFFER"))
        t0 = time.perf_counter()
        timed(a, SCANS["sum_by_group"].format(t="ice"))
        after = time.perf_counter() - t0
        report["merge"]["scan_after_merge_s"] = after
        print(f"  sum_by_group on the merged table (deletes applied): {after * 1000:.1f} ms")
    finally:
        server.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
