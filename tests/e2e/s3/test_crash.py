"""Crash test: concurrent PUTs and multipart completions while the server is killed with kill -9.

Each round: writer threads PUT random objects (1 KiB .. 8 MiB, log-uniform) and one thread completes multipart
uploads; after a random 0.5-3 s the server gets SIGKILL, the writers stop, and the server restarts on the same
data dir. Then:
  - the data dir holds no temp files (startup recovery removed them);
  - every acknowledged object reads back byte-identical (md5 and length);
  - a key whose last PUT was in flight is either the last acknowledged version or one of the in-flight ones
    (never partial, never another key's bytes); a key never acknowledged may be absent;
  - the listing holds no key that was never written.

Keys are owned by one thread each, so per key the writes are sequential and the set of valid outcomes is exact.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_crash.py [-v]
     CENOTE_CRASH_ROUNDS=5 (default) bounds the run.
"""

import hashlib
import math
import os
import random
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
ROUNDS = int(os.environ.get("CENOTE_CRASH_ROUNDS", "5"))
WRITERS = 6
KEYS_PER_WRITER = 12
SEED = int(os.environ.get("CENOTE_CRASH_SEED", str(random.randrange(1 << 30))))


class KeyState:
    """What a key may legitimately contain: the last acknowledged md5 plus md5s of writes with unknown outcome."""

    def __init__(self):
        self.acked = None          # (md5, size) of the last acknowledged write
        self.possible = {}         # md5 -> size, every outcome still possible (acked + in doubt)

    def attempt(self, md5, size):
        self.possible[md5] = size

    def ack(self, md5, size):
        self.acked = (md5, size)
        self.possible = {md5: size}


class Load:
    """Writer threads against one bucket; stop() makes them finish their current request and exit."""

    def __init__(self, server, bucket, states, rng_seed):
        self.server = server
        self.bucket = bucket
        self.states = states
        self.seed = rng_seed
        self.stop_flag = threading.Event()
        self.threads = []
        self.acks = 0
        self.errors = 0
        self.lock = threading.Lock()

    def start(self):
        self.stop_flag.clear()
        self.threads = [threading.Thread(target=self._put_loop, args=(i,), daemon=True) for i in range(WRITERS)]
        self.threads.append(threading.Thread(target=self._multipart_loop, daemon=True))
        for t in self.threads:
            t.start()

    def stop(self, timeout=90):
        self.stop_flag.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.monotonic()))
        alive = [t for t in self.threads if t.is_alive()]
        if alive:
            raise AssertionError(f"{len(alive)} writer threads did not stop within {timeout}s")

    def _count(self, ok):
        with self.lock:
            if ok:
                self.acks += 1
            else:
                self.errors += 1

    def _put_loop(self, idx):
        rng = random.Random(self.seed * 100 + idx)
        s3 = harness.boto3_client(self.server, read_timeout=30, connect_timeout=5)
        while not self.stop_flag.is_set():
            key = f"w{idx}/key-{rng.randrange(KEYS_PER_WRITER)}"
            size = int(math.exp(rng.uniform(math.log(KiB), math.log(8 * MiB))))
            body = rng.randbytes(size)
            md5 = hashlib.md5(body).hexdigest()
            state = self.states.setdefault(key, KeyState())
            state.attempt(md5, size)
            try:
                resp = s3.put_object(Bucket=self.bucket, Key=key, Body=body)
            except (BotoCoreError, ClientError, OSError):
                self._count(False)
                time.sleep(0.05)
                continue
            if resp.get("ETag") != f'"{md5}"':
                raise AssertionError(f"PUT {key}: ETag {resp.get('ETag')} != md5 {md5}")
            state.ack(md5, size)
            self._count(True)

    def _multipart_loop(self):
        rng = random.Random(self.seed * 100 + 99)
        s3 = harness.boto3_client(self.server, read_timeout=30, connect_timeout=5)
        while not self.stop_flag.is_set():
            key = f"mpu/key-{rng.randrange(4)}"
            parts = [rng.randbytes(5 * MiB), rng.randbytes(rng.randrange(1, 2 * MiB))]
            whole = b"".join(parts)
            md5 = hashlib.md5(whole).hexdigest()
            state = self.states.setdefault(key, KeyState())
            try:
                uid = s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
                etags = []
                for n, p in enumerate(parts, 1):
                    etags.append(s3.upload_part(Bucket=self.bucket, Key=key, UploadId=uid, PartNumber=n,
                                                Body=p)["ETag"])
                state.attempt(md5, len(whole))  # from here on the completion may or may not happen
                s3.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=uid,
                    MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]})
            except (BotoCoreError, ClientError, OSError):
                self._count(False)
                time.sleep(0.05)
                continue
            state.ack(md5, len(whole))
            self._count(True)


# The blob store keeps this many empty temp files ready (serve.cpp, BlobStoreOptions::spare_files).
SPARE_BLOB_FILES = 4


def temp_files(data_dir):
    """Blob temp files (under tmp/) and durable-file temps, relative to the data directory."""
    found = []
    for root, _dirs, files in os.walk(data_dir):
        in_tmp = os.path.basename(root) == "tmp"
        for f in files:
            if in_tmp or ".tmp." in f or f.endswith(".tmp"):
                found.append(os.path.relpath(os.path.join(root, f), data_dir))
    return sorted(found)


def leftover_temp_files(data_dir, before):
    """What a completed startup recovery failed to clean: any temp file that existed before the start, any
    durable-file temp, and more blob temp files than the spares the new process makes for itself."""
    now = temp_files(data_dir)
    survivors = [f for f in now if f in before]
    blob_spares = [f for f in now if f not in before and os.path.basename(os.path.dirname(f)) == "tmp"]
    others = [f for f in now if f not in before and f not in blob_spares]
    return survivors + others + (blob_spares if len(blob_spares) > SPARE_BLOB_FILES else [])


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()
        self.bucket = f"e2e-crash-{uuid.uuid4().hex[:10]}"
        harness.boto3_client(self.server).create_bucket(Bucket=self.bucket)
        self.states = {}
        print(f"\n  seed {SEED} (set CENOTE_CRASH_SEED to replay)", flush=True)

    def tearDown(self):
        self.server.close()

    def verify(self, label):
        s3 = harness.boto3_client(self.server, read_timeout=60)
        problems = []
        for key, state in sorted(self.states.items()):
            try:
                body = s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except ClientError as e:
                if e.response["Error"]["Code"] == "NoSuchKey":
                    if state.acked is not None:
                        problems.append(f"{key}: acknowledged (md5 {state.acked[0]}) but missing")
                    continue
                raise
            md5 = hashlib.md5(body).hexdigest()
            if md5 not in state.possible:
                problems.append(f"{key}: {len(body)} bytes md5 {md5} is none of the written versions "
                                f"(acked {state.acked}, in doubt {sorted(state.possible.values())})")
            elif len(body) != state.possible[md5]:
                problems.append(f"{key}: length {len(body)} != {state.possible[md5]}")
        listed = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            listed.update(o["Key"] for o in page.get("Contents", []))
        unknown = listed - set(self.states)
        if unknown:
            problems.append(f"listing shows keys never written: {sorted(unknown)[:10]}")
        if problems:
            self.fail(f"{label}: {len(problems)} problems:\n  " + "\n  ".join(problems[:30]))
        return len(listed)

    @harness.skip_on_moto("moto keeps its state in memory: kill -9 loses everything by design")
    def test_kill9_during_writes(self):
        rng = random.Random(SEED)
        load = Load(self.server, self.bucket, self.states, SEED)
        for rnd in range(1, ROUNDS + 1):
            load.seed = SEED + rnd
            load.start()
            time.sleep(rng.uniform(0.5, 3.0))
            self.server.kill9()
            load.stop()
            before = temp_files(self.server.data_dir)
            self.server.start()  # same data dir, new port
            load.server = self.server
            leftovers = leftover_temp_files(self.server.data_dir, before)
            self.assertEqual(leftovers, [], f"round {rnd}: temp files left after startup recovery")
            n = self.verify(f"round {rnd}")
            print(f"  round {rnd}: {load.acks} acks, {load.errors} write errors so far, {n} keys verified "
                  f"(restart took {self.server.start_seconds:.2f}s)", flush=True)
        self.assertGreater(load.acks, 0, "no write was ever acknowledged: the test proved nothing")
        # A clean stop and start must preserve everything too.
        self.server.stop()
        self.assertEqual(temp_files(self.server.data_dir), [], "a clean stop leaves no temp file")
        self.server.start()
        self.assertEqual(leftover_temp_files(self.server.data_dir, []), [])
        self.verify("after clean restart")

    def test_concurrent_writes_consistent_without_crash(self):
        # The same load and bookkeeping without a crash: every write is acknowledged and must read back exactly.
        # (Also validates the checker itself against moto.)
        load = Load(self.server, self.bucket, self.states, SEED)
        load.start()
        time.sleep(3.0)
        load.stop()
        self.assertGreater(load.acks, 0)
        self.assertEqual(load.errors, 0, "writes failed on a healthy server")
        for key, state in self.states.items():
            self.assertEqual(len(state.possible), 1, key)
        self.verify("no crash")


if __name__ == "__main__":
    harness.main()
