"""Crash test: calls are made by several threads while the server is killed with kill -9; after the restart every
call that was answered (acknowledged) is in LookupEvents, found by its request id.

Each round: client threads call s3:PutBucketTagging (a management write event) in a loop and remember the
request id of every answered call; after a random 0.5-2 s the server gets SIGKILL and restarts on the same data
dir. Then LookupEvents (EventName = PutBucketTagging, all pages) must hold every acknowledged request id once.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/cloudtrail/test_crash.py [-v]
"""

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

ROUNDS = int(os.environ.get("CENOTE_CRASH_ROUNDS", "2"))
THREADS = 6
SEED = int(os.environ.get("CENOTE_CRASH_SEED", str(random.randrange(1 << 30))))


def all_request_ids(server):
    ct = harness.boto3_client(server, "cloudtrail")
    ids, token = [], None
    while True:
        kwargs = {"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "PutBucketTagging"}],
                  "MaxResults": 50}
        if token:
            kwargs["NextToken"] = token
        out = ct.lookup_events(**kwargs)
        ids += [json.loads(e["CloudTrailEvent"])["requestID"] for e in out["Events"]]
        token = out.get("NextToken")
        if not token:
            return ids


@harness.skip_on_moto("kill -9 durability")
class CrashDurability(unittest.TestCase):
    def test_acknowledged_calls_survive_kill9(self):
        rnd = random.Random(SEED)
        print(f"seed {SEED}", flush=True)
        server = harness.Server().start()
        self.addCleanup(server.close)
        harness.boto3_client(server, "s3").create_bucket(Bucket="tagged")
        acked = set()
        for round_no in range(ROUNDS):
            stop = threading.Event()
            lock = threading.Lock()

            def run(t):
                s3 = harness.boto3_client(server, "s3", connect_timeout=2, read_timeout=10)
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        out = s3.put_bucket_tagging(Bucket="tagged", Tagging={"TagSet": [
                            {"Key": "writer", "Value": f"r{round_no}-t{t}-{n}"}]})
                    except (BotoCoreError, ClientError, OSError):
                        return  # the server is gone: whatever was in flight was never acknowledged
                    with lock:
                        acked.add(out["ResponseMetadata"]["RequestId"])

            threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
            for t in threads:
                t.start()
            time.sleep(rnd.uniform(0.5, 2.0))
            server.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=60)
            server.start()
            found = all_request_ids(server)
            missing = acked - set(found)
            self.assertFalse(missing, f"round {round_no}: {len(missing)} of {len(acked)} acknowledged calls "
                                      f"missing after kill -9, e.g. {sorted(missing)[:5]}")
            self.assertEqual(len(found), len(set(found)), "an event appears twice")
            print(f"round {round_no}: {len(acked)} acknowledged calls, all recorded", flush=True)


if __name__ == "__main__":
    harness.main()
