"""Kinesis throughput: PutRecords (1 KiB x 500 per call) and GetRecords, vs the disk's fsync rate, and the same
producer load against two peers:
  - kinesalite (npm, pinned in this directory's package.json/package-lock.json; installed here by `npm ci` on
    first use, never by CI), driven with the same boto3 PutRecords calls;
  - Redis XADD (Debian's redis-server on PATH) with appendonly yes / appendfsync always, 500 XADDs pipelined per
    round trip (the PutRecords batch), so every acknowledged record is fsynced as in Cenote.
A peer that cannot run (no node/npm, no redis-server) is skipped with the reason printed.

See run.sh for usage. Servers bind 127.0.0.1 on free ports and use temp dirs removed afterwards.
"""

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import harness  # noqa: E402

RECORD = 1024
BATCH = 500


def fsync_rate(seconds=1.0):
    """fsyncs per second of 4 KiB appends to one file: the ceiling for one-fsync-per-request designs."""
    with tempfile.NamedTemporaryFile(dir=os.environ.get("TMPDIR", "/tmp")) as f:
        n = 0
        t0 = time.time()
        while time.time() - t0 < seconds:
            f.write(b"x" * 4096)
            f.flush()
            os.fdatasync(f.fileno())
            n += 1
        return n / (time.time() - t0)


def put_load(make_client, stream, producers, seconds, payload):
    """Runs `producers` threads of PutRecords (BATCH records of `payload`) for `seconds`. Returns (ok, failed, s)."""
    counts = [0] * producers
    failed = [0] * producers
    errors = []
    stop = time.time() + seconds

    def produce(p):
        try:
            c = make_client()
            i = 0
            while time.time() < stop:
                recs = [{"Data": payload, "PartitionKey": f"p{p}-{i + k}"} for k in range(BATCH)]
                r = c.put_records(StreamName=stream, Records=recs)
                counts[p] += BATCH - r["FailedRecordCount"]
                failed[p] += r["FailedRecordCount"]
                i += BATCH
        except Exception as e:  # reported, not fatal: a peer may throttle or fail
            errors.append(repr(e))

    t0 = time.time()
    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  producer errors: {errors[:3]}")
    return sum(counts), sum(failed), time.time() - t0


def put_load_raw(endpoint, access_key, secret_key, stream, producers, seconds, payload):
    """Like put_load, but each producer signs one PutRecords request (JSON, SigV4 via botocore) once and resends
    it on a keep-alive connection: the load generator then costs almost nothing per record, so the number is the
    server's, not boto3's (Python serializing 500 records per call caps a few threads at ~30-40k records/s).
    The same partition keys repeat, which spreads the same way over the shards every call."""
    import http.client
    import urllib.parse
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    counts = [0] * producers
    failed = [0] * producers
    errors = []
    stop = time.time() + seconds
    parts = urllib.parse.urlsplit(endpoint)

    def produce(p):
        try:
            recs = [{"Data": base64.b64encode(payload).decode(), "PartitionKey": f"p{p}-{k}"} for k in range(BATCH)]
            body = json.dumps({"StreamName": stream, "Records": recs}).encode()
            req = AWSRequest(method="POST", url=endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-amz-json-1.1",
                                      "X-Amz-Target": "Kinesis_20131202.PutRecords"})
            SigV4Auth(Credentials(access_key, secret_key), "kinesis", "us-east-1").add_auth(req)
            headers = dict(req.headers.items())
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            while time.time() < stop:
                conn.request("POST", "/", body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {raw[:200]!r}")
                n_failed = json.loads(raw)["FailedRecordCount"]
                counts[p] += BATCH - n_failed
                failed[p] += n_failed
            conn.close()
        except Exception as e:  # reported, not fatal
            errors.append(repr(e))

    t0 = time.time()
    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  producer errors: {errors[:3]}")
    return sum(counts), sum(failed), time.time() - t0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout_s=30):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def bench_kinesalite(args, payload):
    """PutRecords against kinesalite. Returns a result dict or a skip reason (str)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        return "node/npm not installed"
    cli = os.path.join(HERE, "node_modules", "kinesalite", "cli.js")
    if not os.path.isfile(cli):
        print("  installing kinesalite (npm ci in bench/kinesis) ...", flush=True)
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0 or not os.path.isfile(cli):
            return f"npm ci failed: {r.stderr.strip()[-300:]}"
    port = free_port()
    # In memory (no --path), the fastest kinesalite can be; no artificial create/delete delays.
    proc = subprocess.Popen([node, cli, "--port", str(port), "--createStreamMs", "0", "--deleteStreamMs", "0",
                             "--updateStreamMs", "0", "--shardLimit", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_port(port, proc):
            return "kinesalite did not start"
        endpoint = f"http://127.0.0.1:{port}"

        def make_client():
            return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                                aws_access_key_id="bench", aws_secret_access_key="bench",
                                config=Config(retries={"max_attempts": 1}, max_pool_connections=4))

        kin = make_client()
        kin.create_stream(StreamName="bench", ShardCount=args.shards)
        for _ in range(300):
            if kin.describe_stream_summary(StreamName="bench")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        out = {}
        ok, failed, secs = put_load(make_client, "bench", args.producers, args.seconds, payload)
        out.update(records_per_s=ok / secs, mib_per_s=ok * RECORD / secs / 2**20, failed=failed)
        ok, failed, secs = put_load_raw(endpoint, "bench", "bench", "bench", args.producers, args.seconds, payload)
        out.update(raw_records_per_s=ok / secs, raw_mib_per_s=ok * RECORD / secs / 2**20, raw_failed=failed)
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def resp_command(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        b = p if isinstance(p, bytes) else str(p).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def read_replies(sock, buf, n):
    """Reads `n` RESP replies (simple/bulk strings or errors, as XADD answers). Returns (errors, leftover)."""
    errors = 0
    done = 0
    while done < n:
        while b"\r\n" not in buf:
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            buf += chunk
        line, rest = buf.split(b"\r\n", 1)
        if line[:1] == b"$":
            size = int(line[1:])
            while len(rest) < size + 2:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    raise ConnectionError("redis closed the connection")
                rest += chunk
            rest = rest[size + 2:]
        elif line[:1] == b"-":
            errors += 1
        buf = rest
        done += 1
    return errors, buf


def bench_redis(args, payload):
    """XADD to one stream per shard with appendfsync always. Returns a result dict or a skip reason (str)."""
    server = shutil.which("redis-server")
    if not server:
        return "redis-server not on PATH (Debian: apt-get install redis-server)"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="cenote-bench-redis-") as d:
        proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "",
                                 "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not wait_port(port, proc):
                return "redis-server did not start"
            counts = [0] * args.producers
            failed = [0] * args.producers
            stop = time.time() + args.seconds

            def produce(p):
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    buf = b""
                    i = 0
                    while time.time() < stop:
                        batch = b"".join(resp_command("XADD", f"bench-{(i + k) % args.shards}", "*", "pk",
                                                      f"p{p}-{i + k}", "data", payload) for k in range(BATCH))
                        s.sendall(batch)
                        errs, buf = read_replies(s, buf, BATCH)
                        counts[p] += BATCH - errs
                        failed[p] += errs
                        i += BATCH

            t0 = time.time()
            threads = [threading.Thread(target=produce, args=(p,)) for p in range(args.producers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            secs = time.time() - t0
            ok = sum(counts)
            return {"records_per_s": ok / secs, "mib_per_s": ok * RECORD / secs / 2**20, "failed": sum(failed)}
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json")
    ap.add_argument("--no-peers", action="store_true", help="measure Cenote only")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)
    os.environ["CENOTE_E2E_TARGET"] = "cenote"
    results = {}
    with harness.Server() as server:
        kin = harness.boto3_client(server, "kinesis")
        kin.create_stream(StreamName="bench", ShardCount=args.shards)
        kin.get_waiter("stream_exists").wait(StreamName="bench", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        payload = os.urandom(RECORD)
        put_records, put_failed, put_s = put_load(
            lambda: harness.boto3_client(server, "kinesis", max_pool_connections=4), "bench", args.producers,
            args.seconds, payload)
        results["put_records_per_s"] = put_records / put_s
        results["put_mib_per_s"] = put_records * RECORD / put_s / 2**20
        results["put_calls_per_s"] = put_records / BATCH / put_s
        results["put_failed"] = put_failed
        ok, failed, secs = put_load_raw(server.endpoint, server.access_key, server.secret_key, "bench",
                                        args.producers, args.seconds, payload)
        results["raw_put_records_per_s"] = ok / secs
        results["raw_put_mib_per_s"] = ok * RECORD / secs / 2**20
        results["raw_put_failed"] = failed

        t0 = time.time()
        got = 0
        for shard in kin.list_shards(StreamName="bench")["Shards"]:
            it = kin.get_shard_iterator(StreamName="bench", ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            for _ in range(100000):
                r = kin.get_records(ShardIterator=it, Limit=10000)
                got += len(r["Records"])
                it = r.get("NextShardIterator")
                if not it or (not r["Records"] and r["MillisBehindLatest"] == 0):
                    break
        get_s = time.time() - t0
        results["get_records_per_s"] = got / get_s
        results["get_mib_per_s"] = got * RECORD / get_s / 2**20
        results["records_read"] = got
    results["fsyncs_per_s"] = fsync_rate()
    peers = {}
    if not args.no_peers:
        payload = os.urandom(RECORD)
        peers["kinesalite"] = bench_kinesalite(args, payload)
        peers["redis_xadd_fsync_always"] = bench_redis(args, payload)
    results["peers"] = peers
    print(f"Kinesis bench: {args.shards} shards, {args.producers} producers, {args.seconds:.0f} s, "
          f"{RECORD} B records, {BATCH} per PutRecords")
    print(f"  PutRecords: {results['put_records_per_s']:.0f} records/s, {results['put_mib_per_s']:.1f} MiB/s, "
          f"{results['put_calls_per_s']:.1f} calls/s, {results['put_failed']} failed")
    print(f"  PutRecords, pre-signed raw client: {results['raw_put_records_per_s']:.0f} records/s, "
          f"{results['raw_put_mib_per_s']:.1f} MiB/s, {results['raw_put_failed']} failed")
    print(f"  GetRecords: {results['get_records_per_s']:.0f} records/s, {results['get_mib_per_s']:.1f} MiB/s "
          f"({results['records_read']} records)")
    print(f"  disk: {results['fsyncs_per_s']:.0f} fsyncs/s; PutRecords calls per fsync-second: "
          f"{results['put_calls_per_s'] / max(results['fsyncs_per_s'], 1):.2f} (>1 means group commit pays)")
    targets = {"kinesalite": 10.0, "redis_xadd_fsync_always": 0.5}
    for name, r in peers.items():
        if isinstance(r, str):
            print(f"  {name}: SKIPPED ({r})")
            continue
        ratio = results["put_records_per_s"] / max(r["records_per_s"], 1e-9)
        r["cenote_ratio"] = ratio
        print(f"  {name} (boto3 client / Redis pipeline): {r['records_per_s']:.0f} records/s, {r['mib_per_s']:.1f} "
              f"MiB/s, {r['failed']} failed; Cenote(boto3)/{name} = {ratio:.2f}x")
        if "raw_records_per_s" in r:
            raw_ratio = results["raw_put_records_per_s"] / max(r["raw_records_per_s"], 1e-9)
            r["cenote_raw_ratio"] = raw_ratio
            print(f"  {name} (pre-signed raw client): {r['raw_records_per_s']:.0f} records/s, "
                  f"{r['raw_mib_per_s']:.1f} MiB/s, {r['raw_failed']} failed; Cenote/{name} = {raw_ratio:.2f}x")
        if name.startswith("redis"):
            # Redis is always driven by the cheap pipelined client: compare it with Cenote's raw-client number.
            raw_vs = results["raw_put_records_per_s"] / max(r["records_per_s"], 1e-9)
            r["cenote_raw_ratio"] = raw_vs
            print(f"  Cenote (pre-signed raw client) / {name} = {raw_vs:.2f}x")
        best = max(ratio, r.get("cenote_raw_ratio", 0.0))
        verdict = "met" if best >= targets[name] else "NOT met"
        print(f"  target Cenote/{name} >= {targets[name]}x: {verdict}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
