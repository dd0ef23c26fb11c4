"""Kinesis throughput: PutRecords (1 KiB x 500 per call) and GetRecords, vs the disk's fsync rate.

See run.sh for usage. Starts the server through tests/e2e/harness.py (127.0.0.1, temp data dir, removed after).
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)
    os.environ["CENOTE_E2E_TARGET"] = "cenote"
    results = {}
    with harness.Server() as server:
        kin = harness.boto3_client(server, "kinesis")
        kin.create_stream(StreamName="bench", ShardCount=args.shards)
        kin.get_waiter("stream_exists").wait(StreamName="bench", WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        payload = os.urandom(RECORD)
        counts = [0] * args.producers
        failed = [0] * args.producers
        stop = time.time() + args.seconds

        def produce(p):
            c = harness.boto3_client(server, "kinesis", max_pool_connections=4)
            i = 0
            while time.time() < stop:
                recs = [{"Data": payload, "PartitionKey": f"p{p}-{i + k}"} for k in range(BATCH)]
                r = c.put_records(StreamName="bench", Records=recs)
                counts[p] += BATCH - r["FailedRecordCount"]
                failed[p] += r["FailedRecordCount"]
                i += BATCH

        t0 = time.time()
        threads = [threading.Thread(target=produce, args=(p,)) for p in range(args.producers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        put_s = time.time() - t0
        put_records = sum(counts)
        results["put_records_per_s"] = put_records / put_s
        results["put_mib_per_s"] = put_records * RECORD / put_s / 2**20
        results["put_calls_per_s"] = put_records / BATCH / put_s
        results["put_failed"] = sum(failed)

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
    print(f"Kinesis bench: {args.shards} shards, {args.producers} producers, {args.seconds:.0f} s, "
          f"{RECORD} B records, {BATCH} per PutRecords")
    print(f"  PutRecords: {results['put_records_per_s']:.0f} records/s, {results['put_mib_per_s']:.1f} MiB/s, "
          f"{results['put_calls_per_s']:.1f} calls/s, {results['put_failed']} failed")
    print(f"  GetRecords: {results['get_records_per_s']:.0f} records/s, {results['get_mib_per_s']:.1f} MiB/s "
          f"({results['records_read']} records)")
    print(f"  disk: {results['fsyncs_per_s']:.0f} fsyncs/s; PutRecords calls per fsync-second: "
          f"{results['put_calls_per_s'] / max(results['fsyncs_per_s'], 1):.2f} (>1 means group commit pays)")
    print("  peers: kinesalite and Redis XADD not run yet")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
