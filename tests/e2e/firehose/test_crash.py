"""Crash test: producers run PutRecordBatch against a DirectPut Firehose stream while the server is killed with -9.

Each round: producer threads send batches of newline-terminated JSON records with unique ids
(padded to 0.2-0.6 KB, so the 1 MiB buffer is delivered many times per round and a kill can land mid-delivery); after a random
0.5-2.5 s the server gets SIGKILL, the producers stop, and the server restarts on the same data dir. A record is
acknowledged when its PutRecordBatch response came back and its entry has no ErrorCode (all of them when
FailedPutCount is 0). After the last round (and a clean restart), every object under the prefix is read once the
delivery has settled (bounded wait):
  - every acknowledged record is in exactly one delivered object, exactly once (duplicates are a failure);
  - nothing is there that was never sent; a record whose batch was in flight may appear, but at most once;
  - every delivered line is a whole JSON record (no torn objects);
  - the stream still exists after each restart and accepts records.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/firehose/test_crash.py [-v]
     CENOTE_CRASH_ROUNDS=3 (default) bounds the run; CENOTE_CRASH_SEED to replay.
"""

import collections
import json
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

ROUNDS = int(os.environ.get("CENOTE_CRASH_ROUNDS", "3"))
PRODUCERS = 4
BATCH = 50
SEED = int(os.environ.get("CENOTE_CRASH_SEED", str(random.randrange(1 << 30))))
STREAM = "crash-fh"
BUCKET = "crash-fh-bucket"
PREFIX = "crash/"
ROLE = "arn:aws:iam::000000000000:role/firehose"
SETTLE_TIMEOUT_S = 60   # bound on waiting for every acknowledged record to be delivered
QUIET_S = 4             # the listing must stay unchanged this long before the final count (catches late dups)


class Producers:
    def __init__(self, server, rnd):
        self.server = server
        self.rnd = rnd
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.acked = set()
        self.sent = set()
        self.threads = [threading.Thread(target=self.run, args=(p,)) for p in range(PRODUCERS)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=120)

    def run(self, p):
        fh = harness.boto3_client(self.server, "firehose", parameter_validation=False,
                                  connect_timeout=2, read_timeout=10)
        n = 0
        while not self.stop_event.is_set() and n < 200000:
            ids = [f"r{self.rnd}-p{p}-{n + i}" for i in range(BATCH)]
            batch = [{"Data": (json.dumps({"id": rid, "pad": "x" * (200 + (i * 37) % 400)}) + "\n").encode()}
                     for i, rid in enumerate(ids)]
            with self.lock:
                self.sent.update(ids)
            try:
                resp = fh.put_record_batch(DeliveryStreamName=STREAM, Records=batch)
            except (BotoCoreError, ClientError, OSError):
                return  # the server is gone; in-flight records are in doubt
            with self.lock:
                if resp.get("FailedPutCount") == 0:
                    self.acked.update(ids)
                else:
                    for rid, res in zip(ids, resp.get("RequestResponses", [])):
                        if "ErrorCode" not in res and res.get("RecordId"):
                            self.acked.add(rid)
            n += BATCH


@harness.skip_on_moto("moto keeps nothing across kill -9")
class FirehoseCrash(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(keep_data_dir=False).start()
        harness.create_service_role(self.server, ROLE, "firehose.amazonaws.com")
        self.s3 = harness.boto3_client(self.server, "s3")
        self.s3.create_bucket(Bucket=BUCKET)
        fh = harness.boto3_client(self.server, "firehose", parameter_validation=False)
        fh.create_delivery_stream(DeliveryStreamName=STREAM, DeliveryStreamType="DirectPut",
                                  ExtendedS3DestinationConfiguration={
                                      "RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{BUCKET}",
                                      "Prefix": PREFIX, "ErrorOutputPrefix": "errors/",
                                      "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 1},
                                      "CompressionFormat": "UNCOMPRESSED"})
        self.wait_active(fh)
        self.acked = set()
        self.sent = set()

    def tearDown(self):
        self.server.close()

    def wait_active(self, fh, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            d = fh.describe_delivery_stream(DeliveryStreamName=STREAM)["DeliveryStreamDescription"]
            if d["DeliveryStreamStatus"] == "ACTIVE":
                return d
            self.assertLess(time.monotonic(), deadline, f"stream not ACTIVE after {timeout}s: {d}")
            time.sleep(0.2)

    def listing(self, prefix=PREFIX):
        s3 = harness.boto3_client(self.server, "s3")
        out, token = {}, None
        while True:
            kw = dict(Bucket=BUCKET, Prefix=prefix)
            if token:
                kw["ContinuationToken"] = token
            r = s3.list_objects_v2(**kw)
            out.update({o["Key"]: (o["Size"], o["ETag"]) for o in r.get("Contents", [])})
            token = r.get("NextContinuationToken")
            if not token:
                return out

    def delivered(self, keys):
        """id -> [object keys] (one entry per occurrence), plus lines that are not whole records."""
        s3 = harness.boto3_client(self.server, "s3")
        where = collections.defaultdict(list)
        bad = []
        for key in sorted(keys):
            body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
            if body and not body.endswith(b"\n"):
                bad.append((key, body[-80:]))
            for line in body.split(b"\n"):
                if not line:
                    continue
                try:
                    where[json.loads(line)["id"]].append(key)
                except (ValueError, KeyError, TypeError):
                    bad.append((key, line[:80]))
        return where, bad

    def settle(self, label):
        """Waits (bounded) until every acked id is delivered and the listing has been quiet for QUIET_S."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        last, quiet_since = None, time.monotonic()
        while True:
            now_listing = self.listing()
            if now_listing != last:
                last, quiet_since = now_listing, time.monotonic()
            where, _ = self.delivered(last)
            missing = self.acked - set(where)
            if not missing and time.monotonic() - quiet_since >= QUIET_S:
                return last
            if time.monotonic() > deadline:
                return last  # verify() reports what is missing
            time.sleep(1)

    def verify(self, label):
        keys = self.settle(label)
        where, bad = self.delivered(keys)
        self.assertEqual(bad, [], f"{label}: delivered lines that are not whole records")
        never_sent = sorted(set(where) - self.sent)
        self.assertEqual(never_sent[:20], [], f"{label}: delivered ids never sent")
        dups = {i: ks for i, ks in where.items() if len(ks) > 1}
        self.assertEqual(len(dups), 0, f"{label}: {len(dups)} ids delivered more than once, e.g. "
                                       f"{dict(list(sorted(dups.items()))[:5])}")
        lost = sorted(self.acked - set(where))
        self.assertEqual(len(lost), 0, f"{label}: {len(lost)} of {len(self.acked)} acknowledged records not "
                                       f"delivered within {SETTLE_TIMEOUT_S}s, e.g. {lost[:10]}")
        errors = self.listing("errors/")
        self.assertEqual(errors, {}, f"{label}: unexpected error output")
        return len(where), len(keys)

    def test_kill9_during_put_record_batch(self):
        rng = random.Random(SEED)
        print(f"\n  seed {SEED}", flush=True)
        for rnd in range(ROUNDS):
            producers = Producers(self.server, rnd)
            producers.start()
            time.sleep(rng.uniform(0.5, 2.5))
            self.server.kill9()
            producers.stop()
            self.acked |= producers.acked
            self.sent |= producers.sent
            self.server.start()
            fh = harness.boto3_client(self.server, "firehose", parameter_validation=False)
            self.wait_active(fh)
            ids = [f"after-{rnd}-{i}" for i in range(3)]
            out = fh.put_record_batch(DeliveryStreamName=STREAM,
                                      Records=[{"Data": (json.dumps({"id": i}) + "\n").encode()} for i in ids])
            self.assertEqual(out["FailedPutCount"], 0, out)
            self.sent.update(ids)
            self.acked.update(ids)
            print(f"  round {rnd}: {len(producers.acked)} acked / {len(producers.sent)} sent this round "
                  f"(restart took {self.server.start_seconds:.2f}s)", flush=True)
        self.assertGreater(len(self.acked), ROUNDS * 3 + 100, "almost nothing was acknowledged: proved nothing")
        n, objects = self.verify("after the last crash")
        print(f"  {n} records in {objects} objects; {len(self.acked)} acknowledged", flush=True)
        self.server.restart(crash=False)
        n2, objects2 = self.verify("after a clean restart")
        self.assertEqual((n2, objects2), (n, objects), "a clean restart delivered more")


if __name__ == "__main__":
    harness.main()
