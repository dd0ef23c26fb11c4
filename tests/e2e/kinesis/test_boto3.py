"""Kinesis Data Streams end to end with boto3: streams, put/get across shards, every iterator type, resharding
while producing and consuming (no loss, no duplicates), tags, consumers, bad input, and regions (the same name
in two regions).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/kinesis/test_boto3.py [-v]
     CENOTE_E2E_TARGET=moto python3 tests/e2e/kinesis/test_boto3.py
"""

import hashlib
import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
MAX_HASH = 2 ** 128 - 1


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def client():
    return harness.boto3_client(SERVER, "kinesis")


def regional_client(region):
    """A Kinesis client configured for `region` (harness.boto3_client uses the server's default region)."""
    import boto3
    from botocore.config import Config
    return boto3.session.Session().client(
        "kinesis", endpoint_url=SERVER.endpoint, region_name=region, aws_access_key_id=SERVER.access_key,
        aws_secret_access_key=SERVER.secret_key, config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def wait_active(kinesis, name, timeout_s=30):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        d = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if d["StreamStatus"] == "ACTIVE":
            return d
        time.sleep(0.1)
    raise AssertionError(f"stream {name} not ACTIVE after {timeout_s}s")


def drain(kinesis, iterator, max_calls=200):
    """Reads from `iterator` until caught up (or the shard is closed and drained). Returns (records, response)."""
    out = []
    last = None
    for _ in range(max_calls):
        last = kinesis.get_records(ShardIterator=iterator, Limit=10000)
        out.extend(last["Records"])
        iterator = last.get("NextShardIterator")
        if iterator is None or (not last["Records"] and last["MillisBehindLatest"] == 0):
            break
    return out, last


class KinesisBase(unittest.TestCase):
    def setUp(self):
        self.kinesis = client()
        self.name = f"e2e-{uuid.uuid4().hex[:10]}"

    def tearDown(self):
        try:
            self.kinesis.delete_stream(StreamName=self.name, EnforceConsumerDeletion=True)
        except ClientError:
            pass

    def create(self, shards):
        self.kinesis.create_stream(StreamName=self.name, ShardCount=shards)
        waiter = self.kinesis.get_waiter("stream_exists")
        waiter.wait(StreamName=self.name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        return self.kinesis.list_shards(StreamName=self.name)["Shards"]

    def error(self, fn, **kwargs):
        with self.assertRaises(ClientError) as cm:
            fn(**kwargs)
        return cm.exception.response


class StreamLifecycle(KinesisBase):
    def test_create_describe_list_delete(self):
        shards = self.create(3)
        self.assertEqual(len(shards), 3)
        self.assertEqual(shards[0]["HashKeyRange"]["StartingHashKey"], "0")
        self.assertEqual(shards[-1]["HashKeyRange"]["EndingHashKey"], str(MAX_HASH))
        d = self.kinesis.describe_stream(StreamName=self.name)["StreamDescription"]
        self.assertEqual(d["StreamStatus"], "ACTIVE")
        self.assertEqual(d["RetentionPeriodHours"], 24)
        self.assertFalse(d["HasMoreShards"])
        self.assertTrue(d["StreamARN"].endswith(":stream/" + self.name))
        # Paginators exercise NextToken / ExclusiveStart*.
        names = []
        for page in self.kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1}):
            names.extend(page["StreamNames"])
        self.assertIn(self.name, names)
        # ListShards pages by NextToken alone: AWS refuses NextToken together with StreamName (which is why
        # botocore's list_shards paginator fails on real AWS past one page, boto/botocore#2009).
        page = self.kinesis.list_shards(StreamName=self.name, MaxResults=2)
        shard_ids = [s["ShardId"] for s in page["Shards"]]
        page = self.kinesis.list_shards(NextToken=page["NextToken"])
        shard_ids += [s["ShardId"] for s in page["Shards"]]
        self.assertNotIn("NextToken", page)
        self.assertEqual(shard_ids, [s["ShardId"] for s in shards])
        both = self.error(self.kinesis.list_shards, StreamName=self.name, NextToken="x")
        self.assertEqual(both["Error"]["Code"], "InvalidArgumentException")
        dup = self.error(self.kinesis.create_stream, StreamName=self.name, ShardCount=1)
        self.assertEqual(dup["Error"]["Code"], "ResourceInUseException")
        model = self.kinesis.meta.service_model.operation_model("DescribeStreamSummary")
        if "StreamARN" in model.input_shape.members:  # botocore >= 1.29 (Debian's 1.26 predates StreamARN)
            by_arn = self.kinesis.describe_stream_summary(StreamARN=d["StreamARN"])["StreamDescriptionSummary"]
            self.assertEqual(by_arn["OpenShardCount"], 3)
        self.kinesis.delete_stream(StreamName=self.name)
        self.kinesis.get_waiter("stream_not_exists").wait(StreamName=self.name,
                                                           WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        nf = self.error(self.kinesis.describe_stream, StreamName=self.name)
        self.assertEqual(nf["Error"]["Code"], "ResourceNotFoundException")
        self.assertEqual(nf["ResponseMetadata"]["HTTPStatusCode"], 400)

    def test_on_demand_and_limits(self):
        self.kinesis.create_stream(StreamName=self.name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        d = wait_active(self.kinesis, self.name)
        self.assertEqual(d["StreamModeDetails"]["StreamMode"], "ON_DEMAND")
        self.assertEqual(d["OpenShardCount"], 4)
        limits = self.kinesis.describe_limits()
        self.assertGreaterEqual(limits["OpenShardCount"], 4)
        self.assertGreater(limits["ShardLimit"], 0)

    def test_tags_retention_consumers(self):
        self.create(1)
        self.kinesis.add_tags_to_stream(StreamName=self.name, Tags={"team": "data", "env": "test"})
        tags = self.kinesis.list_tags_for_stream(StreamName=self.name)["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("env", "test"), ("team", "data")])
        self.kinesis.remove_tags_from_stream(StreamName=self.name, TagKeys=["env"])
        self.assertEqual(len(self.kinesis.list_tags_for_stream(StreamName=self.name)["Tags"]), 1)
        self.kinesis.increase_stream_retention_period(StreamName=self.name, RetentionPeriodHours=48)
        self.assertEqual(wait_active(self.kinesis, self.name)["RetentionPeriodHours"], 48)
        bad = self.error(self.kinesis.decrease_stream_retention_period, StreamName=self.name, RetentionPeriodHours=12)
        self.assertEqual(bad["Error"]["Code"], "InvalidArgumentException")
        self.kinesis.decrease_stream_retention_period(StreamName=self.name, RetentionPeriodHours=24)
        arn = self.kinesis.describe_stream_summary(StreamName=self.name)["StreamDescriptionSummary"]["StreamARN"]
        c = self.kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
        self.assertTrue(c["ConsumerARN"].startswith(arn + "/consumer/app:"))
        desc = self.kinesis.describe_stream_consumer(ConsumerARN=c["ConsumerARN"])["ConsumerDescription"]
        self.assertEqual(desc["ConsumerName"], "app")
        listed = self.kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
        self.assertEqual([x["ConsumerName"] for x in listed], ["app"])
        self.kinesis.deregister_stream_consumer(ConsumerARN=c["ConsumerARN"])
        self.assertEqual(self.kinesis.list_stream_consumers(StreamARN=arn)["Consumers"], [])


class Records(KinesisBase):
    def test_put_get_across_shards(self):
        shards = self.create(4)
        ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"])
                  for s in shards]
        records = [{"Data": f"record-{i}".encode(), "PartitionKey": f"pk-{i}"} for i in range(300)]
        r = self.kinesis.put_records(StreamName=self.name, Records=records)
        self.assertEqual(r["FailedRecordCount"], 0)
        expected = {}
        for i, res in enumerate(r["Records"]):
            h = int(hashlib.md5(f"pk-{i}".encode()).hexdigest(), 16)
            want = next(sid for lo, hi, sid in ranges if lo <= h <= hi)
            self.assertEqual(res["ShardId"], want, i)
            expected.setdefault(want, []).append(f"record-{i}".encode())
        total = 0
        for s in shards:
            it = self.kinesis.get_shard_iterator(StreamName=self.name, ShardId=s["ShardId"],
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            got, _ = drain(self.kinesis, it)
            self.assertEqual([g["Data"] for g in got], expected.get(s["ShardId"], []))
            total += len(got)
        self.assertEqual(total, 300)
        one = self.kinesis.put_record(StreamName=self.name, Data=b"\x00\xffbinary", PartitionKey="x",
                                      ExplicitHashKey=str(MAX_HASH))
        self.assertEqual(one["ShardId"], shards[-1]["ShardId"])
        it = self.kinesis.get_shard_iterator(StreamName=self.name, ShardId=one["ShardId"],
                                             ShardIteratorType="AT_SEQUENCE_NUMBER",
                                             StartingSequenceNumber=one["SequenceNumber"])["ShardIterator"]
        got = self.kinesis.get_records(ShardIterator=it)["Records"]
        self.assertEqual(got[0]["Data"], b"\x00\xffbinary")
        self.assertEqual(got[0]["SequenceNumber"], one["SequenceNumber"])

    def test_iterator_types(self):
        self.create(1)
        sid = "shardId-000000000000"
        seqs = []
        for i in range(5):
            seqs.append(self.kinesis.put_record(StreamName=self.name, Data=f"r{i}".encode(),
                                                PartitionKey="k")["SequenceNumber"])
            time.sleep(0.01)
        self.assertEqual(seqs, sorted(seqs))

        def read(**kw):
            it = self.kinesis.get_shard_iterator(StreamName=self.name, ShardId=sid, **kw)["ShardIterator"]
            return [r["Data"].decode() for r in drain(self.kinesis, it)[0]]

        self.assertEqual(read(ShardIteratorType="TRIM_HORIZON"), ["r0", "r1", "r2", "r3", "r4"])
        self.assertEqual(read(ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]),
                         ["r1", "r2", "r3", "r4"])
        self.assertEqual(read(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]),
                         ["r2", "r3", "r4"])
        all_records = drain(self.kinesis, self.kinesis.get_shard_iterator(
            StreamName=self.name, ShardId=sid, ShardIteratorType="TRIM_HORIZON")["ShardIterator"])[0]
        ts = all_records[3]["ApproximateArrivalTimestamp"]
        self.assertEqual(read(ShardIteratorType="AT_TIMESTAMP", Timestamp=ts)[-2:], ["r3", "r4"])
        latest = self.kinesis.get_shard_iterator(StreamName=self.name, ShardId=sid,
                                                 ShardIteratorType="LATEST")["ShardIterator"]
        empty = self.kinesis.get_records(ShardIterator=latest)
        self.assertEqual(empty["Records"], [])
        self.assertEqual(empty["MillisBehindLatest"], 0)
        self.kinesis.put_record(StreamName=self.name, Data=b"r5", PartitionKey="k")
        after = self.kinesis.get_records(ShardIterator=empty["NextShardIterator"])["Records"]
        self.assertEqual([r["Data"] for r in after], [b"r5"])

    @harness.skip_on_moto("moto does not validate all Kinesis limits")
    def test_bad_input(self):
        self.create(1)
        e = self.error(self.kinesis.put_record, StreamName=self.name, Data=b"x" * (1024 * 1024 + 1), PartitionKey="k")
        self.assertEqual(e["Error"]["Code"], "ValidationException")
        e = self.error(self.kinesis.put_records, StreamName=self.name,
                       Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
        self.assertEqual(e["Error"]["Code"], "ValidationException")
        e = self.error(self.kinesis.put_records, StreamName=self.name,
                       Records=[{"Data": b"x" * (1024 * 1024 - 10), "PartitionKey": "k"}] * 6)
        self.assertEqual(e["Error"]["Code"], "InvalidArgumentException")
        e = self.error(self.kinesis.put_record, StreamName=self.name, Data=b"x", PartitionKey="k" * 257)
        self.assertEqual(e["Error"]["Code"], "ValidationException")
        e = self.error(self.kinesis.put_record, StreamName=self.name, Data=b"x", PartitionKey="k",
                       ExplicitHashKey=str(MAX_HASH + 1))
        self.assertEqual(e["Error"]["Code"], "InvalidArgumentException")
        e = self.error(self.kinesis.get_records, ShardIterator="not-an-iterator")
        self.assertEqual(e["Error"]["Code"], "InvalidArgumentException")
        it = self.kinesis.get_shard_iterator(StreamName=self.name, ShardId="shardId-000000000000",
                                             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        forged = it[:-4] + ("AAAA" if not it.endswith("AAAA") else "BBBB")
        e = self.error(self.kinesis.get_records, ShardIterator=forged)
        self.assertEqual(e["Error"]["Code"], "InvalidArgumentException")
        e = self.error(self.kinesis.get_shard_iterator, StreamName=self.name, ShardId="shardId-000000000007",
                       ShardIteratorType="LATEST")
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        e = self.error(self.kinesis.get_shard_iterator, StreamName=self.name, ShardId="shardId-000000000000",
                       ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber="123")
        self.assertEqual(e["Error"]["Code"], "InvalidArgumentException")
        e = self.error(self.kinesis.put_record, StreamName="missing-" + self.name, Data=b"x", PartitionKey="k")
        self.assertEqual(e["Error"]["Code"], "ResourceNotFoundException")
        self.assertIn("not found", e["Error"]["Message"])


class Resharding(KinesisBase):
    def test_reshard_while_producing_and_consuming(self):
        """Producers run during SplitShard, MergeShards and UpdateShardCount; a consumer follows the lineage
        (parents before children). Every acknowledged record is read exactly once."""
        self.create(2)
        acked = set()
        lock = threading.Lock()
        stop = threading.Event()
        errors = []

        def produce(tid):
            kin = client()
            n = 0
            while not stop.is_set() and n < 5000:
                batch = [{"Data": f"{tid}:{n + i}".encode(), "PartitionKey": f"p{tid}-{n + i}"} for i in range(25)]
                try:
                    r = kin.put_records(StreamName=self.name, Records=batch)
                except ClientError as e:  # pragma: no cover - reported below
                    errors.append(str(e))
                    return
                with lock:
                    for rec, res in zip(batch, r["Records"]):
                        if "SequenceNumber" in res:
                            acked.add(rec["Data"])
                n += 25

        consumed = []
        consumer_done = threading.Event()
        producers_done = threading.Event()

        def consume():
            """Follows the lineage live: reads the open shards round-robin; when a closed shard is drained, its
            children start (from TRIM_HORIZON) once all their parents are drained."""
            kin = client()
            iterators = {}
            for sh in kin.list_shards(StreamName=self.name)["Shards"]:
                iterators[sh["ShardId"]] = kin.get_shard_iterator(
                    StreamName=self.name, ShardId=sh["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            drained = set()
            deadline = time.time() + 120
            while iterators and time.time() < deadline:
                # Read before the round: a round that saw every shard caught up proves the end only if the
                # producers had already finished when it started.
                finished = producers_done.is_set()
                caught_up = True
                for sid in list(iterators):
                    r = kin.get_records(ShardIterator=iterators[sid], Limit=1000)
                    consumed.extend(x["Data"] for x in r["Records"])
                    if r["Records"] or r["MillisBehindLatest"] > 0:
                        caught_up = False
                    if "NextShardIterator" in r:
                        iterators[sid] = r["NextShardIterator"]
                        continue
                    del iterators[sid]
                    drained.add(sid)
                    caught_up = False
                    for child in r.get("ChildShards", []):
                        if all(p in drained for p in child["ParentShards"]) and child["ShardId"] not in iterators:
                            iterators[child["ShardId"]] = kin.get_shard_iterator(
                                StreamName=self.name, ShardId=child["ShardId"],
                                ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
                if caught_up and finished:
                    break
                time.sleep(0.02)
            consumer_done.set()

        threads = [threading.Thread(target=produce, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        consumer = threading.Thread(target=consume)
        consumer.start()
        try:
            time.sleep(0.3)
            self.kinesis.split_shard(StreamName=self.name, ShardToSplit="shardId-000000000000",
                                     NewStartingHashKey=str(2 ** 126))
            wait_active(self.kinesis, self.name)
            time.sleep(0.3)
            self.kinesis.merge_shards(StreamName=self.name, ShardToMerge="shardId-000000000002",
                                      AdjacentShardToMerge="shardId-000000000003")
            wait_active(self.kinesis, self.name)
            time.sleep(0.3)
            r = self.kinesis.update_shard_count(StreamName=self.name, TargetShardCount=4,
                                                ScalingType="UNIFORM_SCALING")
            self.assertEqual(r["TargetShardCount"], 4)
            wait_active(self.kinesis, self.name)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
            producers_done.set()
            consumer.join(timeout=180)
        self.assertEqual(errors, [])
        self.assertGreater(len(acked), 0)
        self.assertTrue(consumer_done.is_set())
        self.assertEqual(len(consumed), len(set(consumed)), "the live consumer saw duplicates")
        self.assertEqual(set(consumed), acked, "the live consumer lost or invented records")

        shards = {s["ShardId"]: s for s in self.kinesis.list_shards(StreamName=self.name)["Shards"]}
        closed = [s for s in shards.values() if "EndingSequenceNumber" in s["SequenceNumberRange"]]
        self.assertGreaterEqual(len(closed), 3)
        self.assertEqual(len(shards) - len(closed), 4)
        seen = []
        done = set()
        queue = [sid for sid, s in shards.items() if "ParentShardId" not in s]
        for _ in range(100):
            if not queue:
                break
            sid = queue.pop(0)
            if sid in done:
                continue
            it = self.kinesis.get_shard_iterator(StreamName=self.name, ShardId=sid,
                                                 ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records, last = drain(self.kinesis, it)
            seen.extend(r["Data"] for r in records)
            done.add(sid)
            if "NextShardIterator" not in last:
                for child in last.get("ChildShards", []):
                    if all(p in done for p in child["ParentShards"]):
                        queue.append(child["ShardId"])
        self.assertEqual(done, set(shards))
        self.assertEqual(len(seen), len(set(seen)), "duplicates")
        self.assertEqual(set(seen), acked)


class Regions(unittest.TestCase):
    """One server, every region: a stream lives in its client's region, as on AWS."""

    def test_same_name_in_two_regions(self):
        name = f"e2e-{uuid.uuid4().hex[:10]}"
        us, eu, other = regional_client("us-east-1"), regional_client("eu-west-1"), regional_client("ap-southeast-2")
        us.create_stream(StreamName=name, ShardCount=1)
        eu.create_stream(StreamName=name, ShardCount=2)
        try:
            d_us, d_eu = wait_active(us, name), wait_active(eu, name)
            self.assertRegex(d_us["StreamARN"], r"^arn:aws:kinesis:us-east-1:\d{12}:stream/" + name + "$")
            self.assertRegex(d_eu["StreamARN"], r"^arn:aws:kinesis:eu-west-1:\d{12}:stream/" + name + "$")
            self.assertEqual(d_us["StreamARN"].split(":")[4], d_eu["StreamARN"].split(":")[4])  # one account
            self.assertEqual((d_us["OpenShardCount"], d_eu["OpenShardCount"]), (1, 2))
            self.assertIn(name, us.list_streams(Limit=10000)["StreamNames"])
            self.assertIn(name, eu.list_streams(Limit=10000)["StreamNames"])
            self.assertNotIn(name, other.list_streams(Limit=10000)["StreamNames"])
            with self.assertRaises(ClientError) as cm:
                other.describe_stream_summary(StreamName=name)
            self.assertEqual(cm.exception.response["Error"]["Code"], "ResourceNotFoundException")

            # Records stay in their region's stream.
            eu.put_record(StreamName=name, PartitionKey="k", Data=b"in eu")
            shard = us.list_shards(StreamName=name)["Shards"][0]["ShardId"]
            it = us.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
            self.assertEqual(drain(us, it["ShardIterator"])[0], [])
            got = []
            for s in eu.list_shards(StreamName=name)["Shards"]:
                it = eu.get_shard_iterator(StreamName=name, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")
                got += [r["Data"] for r in drain(eu, it["ShardIterator"])[0]]
            self.assertEqual(got, [b"in eu"])

            # Deleting one leaves the other.
            eu.delete_stream(StreamName=name)
            eu.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
            self.assertEqual(us.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"],
                             "ACTIVE")
        finally:
            for c in (us, eu):
                try:
                    c.delete_stream(StreamName=name)
                except ClientError:
                    pass


if __name__ == "__main__":
    harness.main()
