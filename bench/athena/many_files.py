"""What a query over a table of many files costs, for one or several cenote binaries side by side.

Each file of a table is bound for the engine through the lake (s3::LakeAccess::LocalPath), and every such
call is an in-process S3 call through the request pipeline (authorize + after-hooks, as the caller). This
measures that cost where it adds up: a table of --files small CSV objects (one row each), queried with
`SELECT count(*)`, and compared with the same query over one file holding the same rows.

Every binary gets its own server and the same data; the timed runs alternate between the servers (a loaded
machine moves all of them alike). Not a test: never fails on a timing.

Usage: python3 bench/athena/many_files.py BIN [BIN ...] [--files 500] [--repeat 15]
Prints, per binary, the median and p90 wall time of the query (start + polls + results) over the many-file
table and the one-file table, the difference, and the difference per file.
"""

import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (RawAthena, AthenaRunner, pct)
import harness  # noqa: E402

BUCKET = "bench-many-files"


def load(server, files):
    s3 = harness.boto3_client(server, "s3")
    s3.create_bucket(Bucket=BUCKET)
    for i in range(files):
        s3.put_object(Bucket=BUCKET, Key=f"many/part-{i:05d}.csv", Body=f"{i},{i % 7}\n".encode())
    s3.put_object(Bucket=BUCKET, Key="one/part-0.csv",
                  Body="".join(f"{i},{i % 7}\n" for i in range(files)).encode())
    athena = bench.AthenaRunner(bench.RawAthena(server.endpoint, server.access_key, server.secret_key,
                                                server.region), f"s3://{BUCKET}/results/")
    athena.run("CREATE DATABASE IF NOT EXISTS mf", database=None)
    for table in ("many", "one"):
        athena.run(f"CREATE EXTERNAL TABLE {table} (id bigint, k int) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
                   f"LOCATION 's3://{BUCKET}/{table}/'", database="mf")
    return athena


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--files", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()

    servers, runners = [], []
    try:
        for b in args.binaries:
            os.environ["CENOTE_BIN"] = os.path.abspath(b)
            server = harness.Server().start()
            servers.append(server)
            runners.append(load(server, args.files))
        sql = {t: f"SELECT count(*), sum(k) FROM {t}" for t in ("many", "one")}
        for r in runners:  # warm-up: page cache, the engine's first queries
            for t in sql:
                _, rows, _ = r.run(sql[t], database="mf")
                assert rows == [(str(args.files), str(sum(i % 7 for i in range(args.files))))], rows
        times = {(i, t): [] for i in range(len(runners)) for t in sql}
        for _ in range(args.repeat):
            for t in sql:
                for i, r in enumerate(runners):
                    elapsed, _, _ = r.run(sql[t], database="mf")
                    times[(i, t)].append(elapsed * 1000)
        print(f"{args.files} one-row CSV files vs one file of {args.files} rows, {args.repeat} runs each, alternating\n")
        print(f"{'binary':<28} {'many ms':>9} {'p90':>7} {'one ms':>8} {'p90':>7} {'diff ms':>8} {'us/file':>8}")
        for i, b in enumerate(args.binaries):
            many, one = statistics.median(times[(i, "many")]), statistics.median(times[(i, "one")])
            print(f"{b:<28} {many:9.1f} {bench.pct(times[(i, 'many')], 90):7.1f} {one:8.1f} "
                  f"{bench.pct(times[(i, 'one')], 90):7.1f} {many - one:8.1f} {(many - one) * 1000 / args.files:8.1f}")
        if len(args.binaries) > 1:
            base = statistics.median(times[(0, "many")])
            for i, b in enumerate(args.binaries[1:], 1):
                print(f"\nmany-file query, {b} / {args.binaries[0]}: "
                      f"{statistics.median(times[(i, 'many')]) / base:.3f}")
    finally:
        for s in servers:
            s.close()


if __name__ == "__main__":
    main()
