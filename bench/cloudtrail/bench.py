"""The cost of CloudTrail recording on the hot path: small S3 GETs (4 KiB) on a server that records every GET as a
data event (a logging trail whose event selector asks for the bucket's object-level events, delivering every 5 s),
and on one with a trail of management events only (AWS's default: GETs are not recorded), against the same binary
with recording off (CENOTE_CLOUDTRAIL_RECORDING=off), side by side in one run (issue #16: at least 0.9x).

Each recorded GET's event is durable (group-committed append, fdatasync shared by concurrent requests) before the
response is sent. Load comes from wrk on presigned URLs, one server at a time, alternated in rounds (off, on, off,
on, ...) so drift on a loaded machine hits both alike; the ratio is the median of the per-round ratios. After the
run the bench checks that the recording server really recorded: its trail's log files hold the GETs. Timings never
make this fail.

Usage: python3 bench.py PATH_TO_CENOTE [--duration S] [--rounds N] [--conc C[,C2...]] [--json OUT]
"""

import argparse
import gzip
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "s3"))
import harness  # noqa: E402
from bench import run_wrk  # noqa: E402  (bench/s3/bench.py)

BUCKET = "ct-bench"
LOGS = "ct-bench-logs"
KEY = "data/object-4k"
TRAIL = "bench-trail"


def start(recording, data_events=True):
    if recording:
        os.environ.pop("CENOTE_CLOUDTRAIL_RECORDING", None)
        os.environ["CENOTE_CLOUDTRAIL_DELIVERY_SECONDS"] = os.environ.get("CT_BENCH_DELIVERY", "5")
    else:
        os.environ["CENOTE_CLOUDTRAIL_RECORDING"] = "off"
    server = harness.Server().start()
    s3 = harness.boto3_client(server, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=os.urandom(4096))
    if recording:
        account = "000000000000"
        source = f"arn:aws:cloudtrail:{server.region}:{account}:trail/{TRAIL}"
        s3.create_bucket(Bucket=LOGS)
        s3.put_bucket_policy(Bucket=LOGS, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl",
             "Resource": f"arn:aws:s3:::{LOGS}", "Condition": {"StringEquals": {"aws:SourceArn": source}}},
            {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{LOGS}/AWSLogs/{account}/*",
             "Condition": {"StringEquals": {"aws:SourceArn": source, "s3:x-amz-acl": "bucket-owner-full-control"}}}]}))
        ct = harness.boto3_client(server, "cloudtrail")
        ct.create_trail(Name=TRAIL, S3BucketName=LOGS, EnableLogFileValidation=True)
        if data_events:
            ct.put_event_selectors(TrailName=TRAIL, EventSelectors=[{
                "ReadWriteType": "All", "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{BUCKET}/"]}]}])
        ct.start_logging(Name=TRAIL)
    return server


def cpu_seconds(server):
    """User + system CPU time the server process has used so far."""
    with open(f"/proc/{server.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_by_thread(server):
    """CPU seconds by thread name (the server names its threads: http-worker, http-io, cloudtrail.delivery's
    task, ct-event-sync...)."""
    out = {}
    for task in os.listdir(f"/proc/{server.proc.pid}/task"):
        try:
            with open(f"/proc/{server.proc.pid}/task/{task}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{server.proc.pid}/task/{task}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def measure(server, url, conc, duration):
    """wrk's numbers plus the server's CPU microseconds per request (steadier than req/s on a shared box)."""
    before = cpu_seconds(server)
    r = run_wrk(url, conc, duration)
    used = cpu_seconds(server) - before
    r["cpu_us_per_request"] = used * 1e6 / r["requests"] if r.get("requests") else None
    return r


def presign(server):
    return harness.boto3_client(server, "s3").generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": KEY}, ExpiresIn=3600)


def recorded_gets(server):
    """GetObject records delivered to the trail's bucket."""
    s3 = harness.boto3_client(server, "s3")
    n = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LOGS, Prefix="AWSLogs/"):
        for obj in page.get("Contents", []):
            if "/CloudTrail/" not in obj["Key"]:
                continue
            body = json.loads(gzip.decompress(s3.get_object(Bucket=LOGS, Key=obj["Key"])["Body"].read()))
            n += sum(1 for r in body["Records"] if r["eventName"] == "GetObject")
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conc", default="8,32")
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)
    concs = [int(c) for c in args.conc.split(",")]

    off = start(recording=False)
    mgmt = start(recording=True, data_events=False)
    on = start(recording=True)
    try:
        servers = {"off": off, "mgmt": mgmt, "on": on}
        urls = {"off": presign(off), "mgmt": presign(mgmt), "on": presign(on)}
        for who, url in urls.items():
            r = run_wrk(url, 1, 1)
            if not r.get("rps") or r.get("non2xx"):
                print(f"{who}: GET does not succeed: {r}", file=sys.stderr)
                return 2
        results = {}
        total_on = 0
        threads_before = {who: cpu_by_thread(s) for who, s in servers.items()}
        answered = {who: 0 for who in servers}
        for conc in concs:
            rounds = []
            for i in range(args.rounds):
                row = {who: measure(servers[who], url, conc, args.duration) for who, url in urls.items()}
                rounds.append(row)
                total_on += int((row["on"].get("rps") or 0) * args.duration)
                for who in row:
                    answered[who] += row[who].get("requests") or 0
                ratio = row["on"]["rps"] / row["off"]["rps"] if row["off"].get("rps") and row["on"].get("rps") else None
                cpu = {who: row[who].get("cpu_us_per_request") or 0 for who in row}
                print(f"conc {conc} round {i + 1}: recording off {row['off'].get('rps') or 0:,.0f} req/s "
                      f"({cpu['off']:.0f} us CPU/req), management trail {row['mgmt'].get('rps') or 0:,.0f} req/s "
                      f"({cpu['mgmt']:.0f} us), data-event trail {row['on'].get('rps') or 0:,.0f} req/s "
                      f"({cpu['on']:.0f} us CPU/req), data/off {ratio:.3f}" if ratio else f"round {i + 1}: {row}",
                      flush=True)
            ratios = [r["on"]["rps"] / r["off"]["rps"] for r in rounds if r["off"].get("rps") and r["on"].get("rps")]
            median = statistics.median(ratios) if ratios else None
            mgmt_ratios = [r["mgmt"]["rps"] / r["off"]["rps"] for r in rounds if r["off"].get("rps") and r["mgmt"].get("rps")]
            mgmt_median = statistics.median(mgmt_ratios) if mgmt_ratios else None
            cpu_ratios = [r["off"]["cpu_us_per_request"] / r["on"]["cpu_us_per_request"] for r in rounds
                          if r["off"].get("cpu_us_per_request") and r["on"].get("cpu_us_per_request")]
            cpu_median = statistics.median(cpu_ratios) if cpu_ratios else None
            results[conc] = {"rounds": rounds, "ratio_median": median, "cpu_ratio_median": cpu_median,
                             "management_trail_ratio_median": mgmt_median}
            print(f"4 KiB GET, {conc} connections, {args.duration} s x {args.rounds} rounds: "
                  f"recording every GET (durable data event) / no recording = {median:.3f} req/s"
                  + (f", {cpu_median:.3f} in server CPU per request (off/on)" if cpu_median else "")
                  if median else "no ratio", flush=True)
            if mgmt_median:
                print(f"4 KiB GET, {conc} connections: a trail of management events only (GETs not recorded, as on "
                      f"AWS) / no recording = {mgmt_median:.3f} req/s", flush=True)
        time.sleep(7)  # one more delivery round
        # Where the servers' CPU went, per GET answered (the recording server's last delivery included).
        for who in ("off", "on"):
            after = cpu_by_thread(servers[who])
            used = {name: after[name] - threads_before[who].get(name, 0.0) for name in after}
            parts = {name: sec * 1e6 / answered[who] for name, sec in used.items() if sec > 0.005}
            print(f"{who}: server CPU per GET by thread: " +
                  ", ".join(f"{name} {us:.1f} us" for name, us in sorted(parts.items(), key=lambda kv: -kv[1])))
        print(f"recorded GetObject events delivered by the trail: {recorded_gets(on):,} "
              f"(about {total_on:,} GETs were answered while recording)")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        on.close()
        mgmt.close()
        off.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
