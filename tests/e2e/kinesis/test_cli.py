"""Kinesis Data Streams end to end with the AWS CLI (v2 at /usr/bin/aws): create/wait/describe, put/get with every
iterator type, resharding, tags, retention, and the errors the CLI prints.

The CLI is configured by environment variables only (no ~/.aws) and --endpoint-url on every call.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/kinesis/test_cli.py [-v]
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
WORK = None
CLI = harness.aws_cli()
CLI_TIMEOUT_S = 120


def setUpModule():
    global SERVER, WORK
    WORK = tempfile.mkdtemp(prefix="cenote-e2e-kinesis-cli-")
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)


class KinesisCli(unittest.TestCase):
    def setUp(self):
        config = os.path.join(WORK, "empty-config")
        open(config, "w").close()
        self.env = SERVER.client_env(config_file=config)
        self.name = f"e2e-cli-{uuid.uuid4().hex[:10]}"

    def tearDown(self):
        self.aws("kinesis", "delete-stream", "--stream-name", self.name, "--enforce-consumer-deletion", check=False)

    def aws(self, *args, check=True):
        base = [CLI, "--endpoint-url", SERVER.endpoint]
        if harness.aws_cli_major() >= 2:
            base += ["--no-cli-pager", "--cli-binary-format", "raw-in-base64-out"]
        r = subprocess.run(base + list(args), capture_output=True, text=True, env=self.env, timeout=CLI_TIMEOUT_S)
        if check:
            self.assertEqual(r.returncode, 0, f"{' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def aws_json(self, *args):
        r = self.aws(*args, "--output", "json")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def create(self, shards):
        self.aws("kinesis", "create-stream", "--stream-name", self.name, "--shard-count", str(shards))
        self.aws("kinesis", "wait", "stream-exists", "--stream-name", self.name)

    def read_all(self, shard_id, *iterator_args):
        it = self.aws_json("kinesis", "get-shard-iterator", "--stream-name", self.name, "--shard-id", shard_id,
                           *iterator_args)["ShardIterator"]
        out = []
        for _ in range(20):
            r = self.aws_json("kinesis", "get-records", "--shard-iterator", it)
            out += [base64.b64decode(rec["Data"]).decode() for rec in r["Records"]]
            it = r.get("NextShardIterator")
            if not it or (not r["Records"] and r["MillisBehindLatest"] == 0):
                break
        return out

    def test_stream_lifecycle_and_records(self):
        self.create(2)
        summary = self.aws_json("kinesis", "describe-stream-summary", "--stream-name", self.name)
        self.assertEqual(summary["StreamDescriptionSummary"]["StreamStatus"], "ACTIVE")
        self.assertEqual(summary["StreamDescriptionSummary"]["OpenShardCount"], 2)
        self.assertIn(self.name, self.aws_json("kinesis", "list-streams")["StreamNames"])
        seqs = []
        for i in range(4):
            r = self.aws_json("kinesis", "put-record", "--stream-name", self.name, "--partition-key", "same",
                              "--data", f"hello-{i}")
            seqs.append(r["SequenceNumber"])
            shard = r["ShardId"]
        self.assertEqual(self.read_all(shard, "--shard-iterator-type", "TRIM_HORIZON"),
                         [f"hello-{i}" for i in range(4)])
        self.assertEqual(self.read_all(shard, "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
                                       "--starting-sequence-number", seqs[1]), ["hello-2", "hello-3"])
        self.assertEqual(self.read_all(shard, "--shard-iterator-type", "AT_SEQUENCE_NUMBER",
                                       "--starting-sequence-number", seqs[3]), ["hello-3"])
        self.assertEqual(self.read_all(shard, "--shard-iterator-type", "LATEST"), [])
        self.assertEqual(self.read_all(shard, "--shard-iterator-type", "AT_TIMESTAMP", "--timestamp", "1"),
                         [f"hello-{i}" for i in range(4)])
        records = json.dumps([{"Data": f"batch-{i}", "PartitionKey": f"k{i}"} for i in range(20)])
        r = self.aws_json("kinesis", "put-records", "--stream-name", self.name, "--records", records)
        self.assertEqual(r["FailedRecordCount"], 0)
        self.assertEqual(len(r["Records"]), 20)
        shards = self.aws_json("kinesis", "list-shards", "--stream-name", self.name)["Shards"]
        total = sum(len(self.read_all(s["ShardId"], "--shard-iterator-type", "TRIM_HORIZON")) for s in shards)
        self.assertEqual(total, 24)

    def test_reshard_tags_retention(self):
        self.create(1)
        self.aws("kinesis", "put-record", "--stream-name", self.name, "--partition-key", "a", "--data", "before")
        self.aws("kinesis", "split-shard", "--stream-name", self.name, "--shard-to-split", "shardId-000000000000",
                 "--new-starting-hash-key", str(2 ** 127))
        self.aws("kinesis", "wait", "stream-exists", "--stream-name", self.name)
        shards = self.aws_json("kinesis", "list-shards", "--stream-name", self.name)["Shards"]
        self.assertEqual([s["ShardId"] for s in shards],
                         ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"])
        self.assertIn("EndingSequenceNumber", shards[0]["SequenceNumberRange"])
        self.assertEqual(shards[1]["ParentShardId"], "shardId-000000000000")
        self.aws("kinesis", "merge-shards", "--stream-name", self.name, "--shard-to-merge", "shardId-000000000001",
                 "--adjacent-shard-to-merge", "shardId-000000000002")
        open_shards = self.aws_json("kinesis", "list-shards", "--stream-name", self.name,
                                    "--shard-filter", "Type=AT_LATEST")["Shards"]
        self.assertEqual([s["ShardId"] for s in open_shards], ["shardId-000000000003"])
        self.assertEqual(open_shards[0]["AdjacentParentShardId"], "shardId-000000000002")
        self.aws("kinesis", "add-tags-to-stream", "--stream-name", self.name, "--tags", "team=data,env=dev")
        tags = self.aws_json("kinesis", "list-tags-for-stream", "--stream-name", self.name)["Tags"]
        self.assertEqual(sorted(t["Key"] for t in tags), ["env", "team"])
        self.aws("kinesis", "increase-stream-retention-period", "--stream-name", self.name,
                 "--retention-period-hours", "72")
        d = self.aws_json("kinesis", "describe-stream", "--stream-name", self.name)["StreamDescription"]
        self.assertEqual(d["RetentionPeriodHours"], 72)

    def test_errors(self):
        r = self.aws("kinesis", "describe-stream", "--stream-name", "missing-" + self.name, check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceNotFoundException", r.stderr)
        self.create(1)
        r = self.aws("kinesis", "put-record", "--stream-name", self.name, "--partition-key", "", "--data", "x",
                     check=False)
        self.assertNotEqual(r.returncode, 0)
        r = self.aws("kinesis", "get-records", "--shard-iterator", "bogus", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("InvalidArgumentException", r.stderr)
        r = self.aws("kinesis", "decrease-stream-retention-period", "--stream-name", self.name,
                     "--retention-period-hours", "1", check=False)
        self.assertIn("InvalidArgumentException", r.stderr)


if __name__ == "__main__":
    harness.main()
