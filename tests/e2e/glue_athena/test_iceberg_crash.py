"""Crash test: an Iceberg table is killed with -9 in the middle of its commits, and is found at either the old or
the new snapshot, never between.

Each round starts a row-level statement (a MERGE that rewrites every row and inserts some, or an INSERT, or a
DELETE) on an Iceberg table whose contents are known, kills the server after a random 0-1.5 s, restarts it on the
same data directory and checks:
  - the table reads (its Glue metadata_location names a metadata file that exists, whose snapshot's manifests and
    data / delete files all exist);
  - its rows are exactly the rows before the statement, or exactly the rows after it (no partial statement);
  - if the statement's execution was reported SUCCEEDED before the kill, the rows are the new ones.
After the last round, a statement on the recovered table still commits. The same for ALTER TABLE RENAME TO: the
table is found under exactly one of its names after the kill, never both or neither.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_iceberg_crash.py [-v]
     CENOTE_CRASH_ROUNDS=4 (default) bounds the run; CENOTE_CRASH_SEED to replay.
"""

import json
import os
import random
import shutil
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import lake  # noqa: E402

ROUNDS = int(os.environ.get("CENOTE_CRASH_ROUNDS", "4"))
SEED = int(os.environ.get("CENOTE_CRASH_SEED", str(random.randrange(1 << 30))))
ROWS = 2000


class IcebergCrash(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="cenote-e2e-iceberg-crash-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.server = harness.Server(data_dir=os.path.join(self.work, "data"), keep_data_dir=True).start()
        self.addCleanup(self.server.close)
        self.bucket = f"ice-crash-{uuid.uuid4().hex[:8]}"
        self.db = f"crash_{uuid.uuid4().hex[:8]}"
        self.clients()
        self.s3.create_bucket(Bucket=self.bucket)
        self.glue.create_database(DatabaseInput={"Name": self.db})

    def clients(self):
        self.s3 = harness.boto3_client(self.server, "s3")
        self.glue = harness.boto3_client(self.server, "glue")
        self.athena = lake.Athena(harness.boto3_client(self.server, "athena"),
                                  f"s3://{self.bucket}/results/", self.db)

    def rows(self):
        return sorted(tuple(r) for r in self.athena.select("SELECT id, v, tag FROM t"))

    def check_files(self):
        """Every file the current metadata names exists (nothing was half committed)."""
        t = self.glue.get_table(DatabaseName=self.db, Name="t")["Table"]
        loc = t["Parameters"]["metadata_location"]

        def get(url):
            bucket, key = url[5:].split("/", 1)
            return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

        md = json.loads(get(loc))
        self.assertEqual(md["format-version"], 2)
        for (path,) in self.athena.select('SELECT file_path FROM "t$files"'):
            self.assertEqual(get(path)[:4], b"PAR1", path)

    def start_then_kill(self, sql, delay):
        """Starts `sql`, watches its state for `delay` seconds, kills the server with -9 and restarts it; returns
        the last state seen (None if none was)."""
        qid = self.athena.start(sql)  # a new client after each restart
        deadline = time.monotonic() + delay
        state = None
        while time.monotonic() < deadline:
            state = self.athena.client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
            if state in ("SUCCEEDED", "FAILED"):
                break
            time.sleep(0.01)
        self.server.restart(crash=True)
        self.clients()
        return state

    def test_kill9_during_commits(self):
        rnd = random.Random(SEED)
        a = self.athena
        a.execute(f"CREATE TABLE t (id bigint, v bigint, tag string) PARTITIONED BY (tag) "
                  f"LOCATION 's3://{self.bucket}/warehouse/t' TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute(f"INSERT INTO t SELECT x, x, CAST(x % 4 AS varchar) FROM UNNEST(sequence(1, {ROWS})) AS u(x)")
        current = self.rows()
        self.assertEqual(len(current), ROWS)
        for round_no in range(ROUNDS):
            kind = rnd.choice(["merge", "insert", "delete", "update"])
            base = 10 * ROWS * (round_no + 1)
            if kind == "merge":
                sql = (f"MERGE INTO t USING (SELECT x AS id FROM UNNEST(sequence(1, {base + 50})) AS u(x)) s "
                       f"ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = t.v + 1 "
                       f"WHEN NOT MATCHED AND s.id > {base} THEN INSERT VALUES (s.id, 0, 'new')")
                expected = sorted([(i, str(int(v) + 1), g) for i, v, g in current] +
                                  [(str(i), "0", "new") for i in range(base + 1, base + 51)])
            elif kind == "insert":
                sql = f"INSERT INTO t SELECT x, 1, 'ins' FROM UNNEST(sequence({base + 1}, {base + 500})) AS u(x)"
                expected = sorted(current + [(str(i), "1", "ins") for i in range(base + 1, base + 501)])
            elif kind == "delete":
                sql = "DELETE FROM t WHERE v % 3 = 0"
                expected = sorted(r for r in current if int(r[1]) % 3 != 0)
            else:
                sql = "UPDATE t SET v = v * 2 WHERE v % 2 = 1"
                expected = sorted((i, str(int(v) * 2) if int(v) % 2 == 1 else v, g) for i, v, g in current)
            delay = rnd.uniform(0, 1.5)
            state = self.start_then_kill(sql, delay)
            after = self.rows()
            self.check_files()
            msg = f"round {round_no} ({kind}, kill after {delay:.2f}s, seen {state}, seed {SEED})"
            print(f"{msg}: table at the {'new' if after == expected else 'old'} snapshot", file=sys.stderr)
            if state == "SUCCEEDED":
                self.assertEqual(after, expected, msg)
            else:
                self.assertIn(after, (current, expected), msg)
            current = after
        self.athena.execute("DELETE FROM t WHERE tag = '0'")
        self.assertEqual(self.rows(), sorted(r for r in current if r[2] != "0"))


    def test_kill9_during_renames(self):
        """ALTER TABLE RENAME TO killed at a random moment: the table is found under exactly one of its names
        (the new one if SUCCEEDED was seen), with all its rows."""
        rnd = random.Random(SEED)
        a = self.athena
        a.execute(f"CREATE TABLE r0 (id bigint) LOCATION 's3://{self.bucket}/warehouse/r' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute("INSERT INTO r0 SELECT x FROM UNNEST(sequence(1, 100)) AS u(x)")
        current = "r0"
        for round_no in range(ROUNDS * 2):
            target = f"r{round_no + 1}"
            delay = rnd.uniform(0, 0.3)
            state = self.start_then_kill(f"ALTER TABLE {current} RENAME TO {target}", delay)
            names = [t["Name"] for t in self.glue.get_tables(DatabaseName=self.db)["TableList"]]
            msg = f"round {round_no} (kill after {delay:.2f}s, seen {state}, seed {SEED}): {names}"
            self.assertIn(names, ([current], [target]), msg)
            if state == "SUCCEEDED":
                self.assertEqual(names, [target], msg)
            current = names[0]
            self.assertEqual(self.athena.scalar(f"SELECT count(*) FROM {current}"), "100", msg)
        self.athena.execute(f"INSERT INTO {current} VALUES (101)")
        self.assertEqual(self.athena.scalar(f"SELECT count(*) FROM {current}"), "101")

if __name__ == "__main__":
    unittest.main()
