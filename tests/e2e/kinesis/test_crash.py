"""Crash test: producers run PutRecords against a 4-shard stream while the server is killed with kill -9.

Each round: producer threads send batches of small records (each record names its producer and a counter); after a
random 0.5-2.5 s the server gets SIGKILL, the producers stop, and the server restarts on the same data dir. Then,
reading every shard from TRIM_HORIZON:
  - every acknowledged record is there, with the sequence number and shard PutRecords returned;
  - sequence numbers strictly increase within each shard;
  - per producer and shard, acknowledged records appear in the order they were acknowledged;
  - nothing appears that was never sent (a record whose batch was in flight may or may not be there);
  - a record put after the restart gets a sequence number above everything before it.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/kinesis/test_crash.py [-v]
     CENOTE_CRASH_ROUNDS=3 (default) bounds the run.
"""

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
SEED = int(os.environ.get("CENOTE_CRASH_SEED", str(random.randrange(1 << 30))))
STREAM = "crash-stream"


class Producers:
    def __init__(self, server, rnd):
        self.server = server
        self.rnd = rnd
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}      # data -> (shard, sequence)
        self.ack_order = []  # data in acknowledgement order (per producer, in order)
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
        kinesis = harness.boto3_client(self.server, "kinesis", connect_timeout=2, read_timeout=10)
        n = 0
        while not self.stop_event.is_set() and n < 200000:
            batch = [{"Data": f"r{self.rnd}-p{p}-{n + i}".encode(), "PartitionKey": f"k{p}-{(n + i) % 13}"}
                     for i in range(20)]
            with self.lock:
                self.sent.update(r["Data"] for r in batch)
            try:
                resp = kinesis.put_records(StreamName=STREAM, Records=batch)
            except (BotoCoreError, ClientError, OSError):
                return  # the server is gone; in-flight records are in doubt
            with self.lock:
                for rec, res in zip(batch, resp["Records"]):
                    if "SequenceNumber" in res:
                        self.acked[rec["Data"]] = (res["ShardId"], res["SequenceNumber"])
                        self.ack_order.append(rec["Data"])
            n += 20


def read_stream(kinesis):
    """shard id -> [(sequence, data)] read from TRIM_HORIZON to the tip."""
    out = {}
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        sid = shard["ShardId"]
        it = kinesis.get_shard_iterator(StreamName=STREAM, ShardId=sid,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = []
        for _ in range(10000):
            r = kinesis.get_records(ShardIterator=it, Limit=10000)
            records += [(x["SequenceNumber"], x["Data"]) for x in r["Records"]]
            it = r.get("NextShardIterator")
            if not it or (not r["Records"] and r["MillisBehindLatest"] == 0):
                break
        out[sid] = records
    return out


@harness.skip_on_moto("moto keeps nothing across kill -9")
class KinesisCrash(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server(keep_data_dir=False).start()
        kinesis = harness.boto3_client(self.server, "kinesis")
        kinesis.create_stream(StreamName=STREAM, ShardCount=4)
        kinesis.get_waiter("stream_exists").wait(StreamName=STREAM, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        self.acked = {}
        self.sent = set()
        self.orders = []

    def tearDown(self):
        self.server.close()

    def verify(self, label):
        kinesis = harness.boto3_client(self.server, "kinesis")
        stream = read_stream(kinesis)
        where = {}
        max_seq = {}  # shard -> highest sequence number
        for sid, records in stream.items():
            seqs = [s for s, _ in records]
            self.assertEqual(seqs, sorted(seqs), f"{label}: {sid} out of order")
            self.assertEqual(len(seqs), len(set(seqs)), f"{label}: {sid} repeats a sequence number")
            for i, (seq, data) in enumerate(records):
                self.assertIn(data, self.sent, f"{label}: {sid} holds a record never sent: {data!r}")
                self.assertNotIn(data, where, f"{label}: duplicate record {data!r}")
                where[data] = (sid, seq, i)
                max_seq[sid] = max(max_seq.get(sid, ""), seq)
        for data, (sid, seq) in self.acked.items():
            self.assertIn(data, where, f"{label}: lost acknowledged record {data!r}")
            self.assertEqual(where[data][:2], (sid, seq), f"{label}: {data!r} moved")
        for order in self.orders:
            last = {}
            for data in order:
                sid, _, pos = where[data]
                producer = data.split(b"-")[1]
                key = (producer, sid)
                self.assertGreater(pos, last.get(key, -1), f"{label}: {data!r} read out of acknowledgement order")
                last[key] = pos
        return len(where), max_seq

    def test_kill9_during_put_records(self):
        rng = random.Random(SEED)
        print(f"\n  seed {SEED}", flush=True)
        for rnd in range(ROUNDS):
            producers = Producers(self.server, rnd)
            producers.start()
            time.sleep(rng.uniform(0.5, 2.5))
            self.server.kill9()
            producers.stop()
            self.acked.update(producers.acked)
            self.sent.update(producers.sent)
            self.orders.append(producers.ack_order)
            self.server.start()
            n, max_seq = self.verify(f"round {rnd}")
            print(f"  round {rnd}: {len(producers.acked)} acked this round, {n} records verified "
                  f"(restart took {self.server.start_seconds:.2f}s)", flush=True)
            kinesis = harness.boto3_client(self.server, "kinesis")
            r = kinesis.put_record(StreamName=STREAM, Data=f"after-{rnd}".encode(), PartitionKey="after")
            self.acked[f"after-{rnd}".encode()] = (r["ShardId"], r["SequenceNumber"])
            self.sent.add(f"after-{rnd}".encode())
            self.assertGreater(r["SequenceNumber"], max_seq.get(r["ShardId"], ""))
        self.assertGreater(len(self.acked), ROUNDS, "nothing was acknowledged: the test proved nothing")
        self.server.restart(crash=False)
        self.verify("after clean restart")


if __name__ == "__main__":
    harness.main()
