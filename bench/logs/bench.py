"""CloudWatch Logs PutLogEvents throughput and Logs Insights query time: Cenote side by side with moto's logs.

Workload (the same for both): P producer processes, each with its own log stream and keep-alive boto3 client,
call PutLogEvents with batches of B events (~100 bytes each, the timestamps of now) for S seconds; reported:
events acknowledged per second. Then N events (JSON lines with a level and a latency, spread over the last 50
minutes) are loaded into a fresh group and two Insights queries are timed from StartQuery until GetQueryResults
says Complete: `stats count() by bin(1m)` and `filter level = "ERROR" | stats count(*), avg(latency) by bin(5m)`.

Durability differs and is printed: Cenote commits every PutLogEvents (fsync) before answering; moto keeps events
in memory. Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402
import side_by_side  # noqa: E402

GROUP = "/bench/put"
QUERY_GROUP = "/bench/insights"
QUERIES = [
    ("stats count() by bin(1m)", "stats count() by bin(1m)"),
    ("filter + stats by bin(5m)", 'filter level = "ERROR" | stats count(*), avg(latency) by bin(5m)'),
]


class Target:
    def __init__(self, server):
        self.endpoint, self.region = server.endpoint, server.region
        self.access_key, self.secret_key, self.tls = server.access_key, server.secret_key, server.tls

    def client(self):
        return harness.boto3_client(self, "logs", read_timeout=300)


def producer(target, p, batch, seconds, out):
    logs = target.client()
    stream = f"p{p}"
    body = "x" * 80
    n = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        t = int(time.time() * 1000)
        logs.put_log_events(logGroupName=GROUP, logStreamName=stream,
                            logEvents=[{"timestamp": t, "message": f"{p}-{n + i} {body}"} for i in range(batch)])
        n += batch
    out.put(n)


def bench_put(label, target, args):
    logs = target.client()
    logs.create_log_group(logGroupName=GROUP)
    for p in range(args.producers):
        logs.create_log_stream(logGroupName=GROUP, logStreamName=f"p{p}")
    q = mp.Queue()
    procs = [mp.Process(target=producer, args=(target, p, args.batch, args.seconds, q)) for p in range(args.producers)]
    t0 = time.time()
    for pr in procs:
        pr.start()
    total = sum(q.get() for _ in procs)
    for pr in procs:
        pr.join()
    rate = total / (time.time() - t0)
    print(f"  {label:7} PutLogEvents {rate:10.0f} events/s  ({total} events)", flush=True)
    return rate


def loader(target, p, count, base, out):
    logs = target.client()
    rnd = random.Random(p)
    stream = f"load{p}"
    logs.create_log_stream(logGroupName=QUERY_GROUP, logStreamName=stream)
    span = 50 * 60 * 1000
    done = 0
    while done < count:
        n = min(10_000, count - done)
        events = [{"timestamp": base + span * (done + i) // count,
                   "message": json.dumps({"level": "ERROR" if rnd.random() < 0.1 else "INFO",
                                          "latency": rnd.randint(1, 500)})} for i in range(n)]
        logs.put_log_events(logGroupName=QUERY_GROUP, logStreamName=stream, logEvents=events)
        done += n
    out.put(done)


def bench_insights(label, target, args):
    logs = target.client()
    logs.create_log_group(logGroupName=QUERY_GROUP)
    base = int(time.time() * 1000) - 55 * 60 * 1000
    q = mp.Queue()
    per = args.events // args.producers
    procs = [mp.Process(target=loader, args=(target, p, per, base, q)) for p in range(args.producers)]
    t0 = time.time()
    for pr in procs:
        pr.start()
    loaded = sum(q.get() for _ in procs)
    for pr in procs:
        pr.join()
    print(f"  {label:7} loaded {loaded} events in {time.time() - t0:.1f} s", flush=True)
    out = {}
    for name, query in QUERIES:
        t0 = time.time()
        try:
            qid = logs.start_query(logGroupName=QUERY_GROUP, startTime=base // 1000 - 60,
                                   endTime=int(time.time()) + 60, queryString=query)["queryId"]
            while True:
                r = logs.get_query_results(queryId=qid)
                if r["status"] not in ("Scheduled", "Running"):
                    break
                time.sleep(0.05)
        except Exception as e:  # moto answers a subset of the language
            print(f"  {label:7} {name}: not answered ({type(e).__name__}: {str(e)[:120]})", flush=True)
            out[name] = None
            continue
        seconds = time.time() - t0
        counted = 0
        for row in r.get("results", []):
            for f in row:
                if f["field"] in ("count()", "count(*)"):
                    counted += int(float(f["value"]))
        # A stats answer has one row per bin (at most 51 here) and counts; anything else is not the answer.
        correct = r["status"] == "Complete" and 0 < len(r.get("results", [])) <= 51 and counted > 0
        print(f"  {label:7} {name}: {r['status']} in {seconds:.2f} s, {len(r.get('results', []))} rows, "
              f"counted {counted}{'' if correct else ' (not the stats answer)'}", flush=True)
        out[name] = seconds if correct else None
    return out


def run(kind, binary, data_dir, args):
    server = side_by_side.start(kind, binary, data_dir)
    try:
        target = Target(server)
        return {"put_events_per_s": bench_put(kind, target, args), "insights_s": bench_insights(kind, target, args)}
    finally:
        server.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cenote", help="path to the cenote binary")
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--peers", default="moto", help="moto, or empty")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    work = tempfile.mkdtemp(prefix="cenote-bench-logs-")
    results = {"producers": args.producers, "batch": args.batch, "seconds": args.seconds, "events": args.events,
               "cpus": os.cpu_count()}
    print(f"Logs: PutLogEvents of {args.batch}-event batches by {args.producers} producers for {args.seconds:.0f} s; "
          f"Insights over {args.events} events; {os.cpu_count()} CPUs shared by servers and clients")
    try:
        results["cenote"] = run("cenote", args.cenote, os.path.join(work, "cenote"), args)
        if "moto" in peers:
            try:
                results["moto"] = run("moto", None, None, args)
            except RuntimeError as e:
                print(f"  moto    skipped: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, m = results["cenote"], results.get("moto")
    if m:
        ratios = {"put": c["put_events_per_s"] / m["put_events_per_s"] if m["put_events_per_s"] else None}
        for name, _ in QUERIES:
            cs, ms = c["insights_s"].get(name), m["insights_s"].get(name)
            ratios[name] = ms / cs if cs and ms else None
        results["cenote/moto"] = ratios
        text = "   ".join(f"{k} x{v:.2f}" if v else f"{k} n/a" for k, v in ratios.items())
        print(f"  cenote/moto: {text} (events/s cenote/moto; query time moto/cenote; n/a: a side did not answer "
              "the query)")
    print("  durability: cenote commits each PutLogEvents (fsync) before answering; moto keeps events in memory")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
