"""Athena Iceberg tables end to end with boto3: CREATE TABLE ... TBLPROPERTIES ('table_type'='ICEBERG') with hidden
partitioning, INSERT INTO twice, SELECT, DELETE / UPDATE / MERGE INTO (merge-on-read position deletes), time travel to the first snapshot (FOR VERSION AS OF, FOR TIMESTAMP AS
OF), the $snapshots / $history / $files metadata tables, CTAS with table_type ICEBERG, ALTER TABLE RENAME TO, the Glue commit
(metadata_location / previous_metadata_location), and the table read back from S3 with an Avro reader written
here from the Avro specification (metadata JSON -> manifest list -> manifests -> data files and record counts).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_iceberg.py [-v]
"""

import datetime
import io
import json
import os
import struct
import sys
import time
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import lake  # noqa: E402

LAKE = None
SERVER = None
S3 = GLUE = ATHENA = None
BUCKET = None
DB = None


def setUpModule():
    global LAKE, SERVER, S3, GLUE, ATHENA, BUCKET, DB
    LAKE = lake.ModuleLake("ice-e2e", "ice")
    SERVER, S3, GLUE, ATHENA, BUCKET, DB = LAKE.server, LAKE.s3, LAKE.glue, LAKE.athena_client, LAKE.bucket, LAKE.db


def tearDownModule():
    if LAKE is not None:
        LAKE.close()


def athena():
    return LAKE.athena()


# ------------------------------------------------------------------ an independent Avro reader (spec 1.11)
class Avro:
    def __init__(self, data):
        self.buf = io.BytesIO(data)

    def long(self):
        shift, acc = 0, 0
        while True:
            b = self.buf.read(1)[0]
            acc |= (b & 0x7F) << shift
            if not b & 0x80:
                break
            shift += 7
        return (acc >> 1) ^ -(acc & 1)

    def raw(self, n):
        out = self.buf.read(n)
        assert len(out) == n
        return out

    def datum(self, schema, named):
        if isinstance(schema, list):
            return self.datum(schema[self.long()], named)
        if isinstance(schema, str):
            if schema in named:
                return self.datum(named[schema], named)
            return {"null": lambda: None, "boolean": lambda: self.raw(1) != b"\0", "int": self.long,
                    "long": self.long, "string": lambda: self.raw(self.long()).decode(),
                    "bytes": lambda: self.raw(self.long())}[schema]()
        t = schema["type"]
        if t == "record":
            named[schema["name"]] = schema
            return {f["name"]: self.datum(f["type"], named) for f in schema["fields"]}
        if t == "array":
            items = []
            while True:
                n = self.long()
                if n == 0:
                    return items
                if n < 0:
                    n = -n
                    self.long()
                items.extend(self.datum(schema["items"], named) for _ in range(n))
        return self.datum(t, named)


def read_container(data):
    assert data[:4] == b"Obj\x01", "not an Avro object container file"
    r = Avro(data)
    r.raw(4)
    meta = {}
    while True:
        n = r.long()
        if n == 0:
            break
        for _ in range(abs(n)):
            k = r.raw(r.long()).decode()
            meta[k] = r.raw(r.long())
    sync = r.raw(16)
    schema = json.loads(meta["avro.schema"])
    codec = meta.get("avro.codec", b"null").decode()
    records = []
    while r.buf.tell() < len(data):
        count, size = r.long(), r.long()
        block = r.raw(size)
        if codec == "deflate":
            block = zlib.decompress(block, -15)
        br = Avro(block)
        records.extend(br.datum(schema, {}) for _ in range(count))
        assert r.raw(16) == sync, "sync marker"
    return meta, schema, records


def s3_get(url):
    assert url.startswith("s3://"), url
    bucket, key = url[5:].split("/", 1)
    return S3.get_object(Bucket=bucket, Key=key)["Body"].read()


class IcebergTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        a = athena()
        cls.location = f"s3://{BUCKET}/warehouse/orders"
        a.execute(f"""CREATE TABLE orders (id bigint, customer string, amount double, ts timestamp)
                      PARTITIONED BY (customer, day(ts))
                      LOCATION '{cls.location}'
                      TBLPROPERTIES ('table_type'='ICEBERG')""")
        a.execute("""INSERT INTO orders VALUES (1, 'ann', 10.5, TIMESTAMP '2024-05-01 10:00:00'),
                     (2, 'bob', 20.0, TIMESTAMP '2024-05-01 11:00:00'),
                     (3, 'ann', 30.25, TIMESTAMP '2024-05-02 09:30:00')""")
        cls.first = GLUE.get_table(DatabaseName=DB, Name="orders")["Table"]
        a.execute("INSERT INTO orders SELECT 4, 'cid', 7.0, TIMESTAMP '2024-06-01 00:00:00'")
        a.execute("INSERT INTO orders (id, customer) VALUES (5, 'dan')")

    def test_glue_table_and_commit_chain(self):
        t = GLUE.get_table(DatabaseName=DB, Name="orders")["Table"]
        p = t["Parameters"]
        self.assertEqual(p["table_type"], "ICEBERG")
        self.assertTrue(p["metadata_location"].startswith(self.location + "/metadata/00003-"), p)
        self.assertTrue(p["metadata_location"].endswith(".metadata.json"))
        self.assertTrue(p["previous_metadata_location"].startswith(self.location + "/metadata/00002-"), p)
        self.assertEqual([c["Name"] for c in t["StorageDescriptor"]["Columns"]], ["id", "customer", "amount", "ts"])
        self.assertEqual([c["Type"] for c in t["StorageDescriptor"]["Columns"]],
                         ["bigint", "string", "double", "timestamp"])

    def test_select_current_snapshot(self):
        rows = athena().select("SELECT id, customer, amount FROM orders ORDER BY id")
        self.assertEqual(rows, [["1", "ann", "10.5"], ["2", "bob", "20.0"], ["3", "ann", "30.25"],
                                ["4", "cid", "7.0"], ["5", "dan", None]])
        self.assertEqual(athena().scalar("SELECT count(*) FROM orders WHERE customer = 'ann'"), "2")

    def test_time_travel(self):
        snaps = athena().select('SELECT snapshot_id, parent_id, operation FROM "orders$snapshots" '
                                "ORDER BY committed_at")
        self.assertEqual(len(snaps), 3)
        self.assertEqual([s[2] for s in snaps], ["append"] * 3)
        self.assertIsNone(snaps[0][1])
        self.assertEqual(snaps[1][1], snaps[0][0])
        first = snaps[0][0]
        self.assertEqual(athena().scalar(f"SELECT count(*) FROM orders FOR VERSION AS OF {first}"), "3")
        self.assertEqual(athena().select(f"SELECT o.id FROM orders FOR VERSION AS OF {first} o ORDER BY o.id"),
                         [["1"], ["2"], ["3"]])
        self.assertEqual(athena().scalar("SELECT count(*) FROM orders FOR TIMESTAMP AS OF current_timestamp"), "5")
        qe = athena().execute("SELECT * FROM orders FOR VERSION AS OF 12345", expect="FAILED")
        self.assertIn("snapshot", qe["Status"]["StateChangeReason"].lower())
        qe = athena().execute("SELECT * FROM orders FOR TIMESTAMP AS OF TIMESTAMP '2000-01-01 00:00:00 UTC'",
                              expect="FAILED")
        self.assertIn("INVALID_ARGUMENT", qe["Status"]["StateChangeReason"])

    def test_history_and_files(self):
        hist = athena().select('SELECT snapshot_id, is_current_ancestor FROM "orders$history"')
        self.assertEqual(len(hist), 3)
        self.assertTrue(all(h[1] == "true" for h in hist))
        files = athena().select('SELECT file_path, record_count, file_format FROM "orders$files" ORDER BY file_path')
        self.assertEqual(sum(int(f[1]) for f in files), 5)
        self.assertTrue(all(f[0].startswith(self.location + "/data/") and f[2] == "PARQUET" for f in files))

    def test_metadata_read_back_from_s3(self):
        """The table as another Iceberg reader sees it: metadata JSON, manifest list, manifests, data files."""
        t = GLUE.get_table(DatabaseName=DB, Name="orders")["Table"]
        md = json.loads(s3_get(t["Parameters"]["metadata_location"]))
        self.assertEqual(md["format-version"], 2)
        self.assertEqual(md["location"], self.location)
        self.assertEqual(md["last-sequence-number"], 3)
        spec = md["partition-specs"][0]["fields"]
        self.assertEqual([(f["name"], f["transform"], f["field-id"]) for f in spec],
                         [("customer", "identity", 1000), ("ts_day", "day", 1001)])
        current = md["current-snapshot-id"]
        self.assertEqual(md["refs"]["main"]["snapshot-id"], current)
        snap = [s for s in md["snapshots"] if s["snapshot-id"] == current][0]
        self.assertEqual(snap["sequence-number"], 3)
        self.assertEqual(snap["summary"]["total-records"], "5")
        self.assertEqual(len(md["metadata-log"]), 3)

        meta, _, manifests = read_container(s3_get(snap["manifest-list"]))
        self.assertEqual(meta["snapshot-id"].decode(), str(current))
        self.assertEqual(len(manifests), 3)
        self.assertEqual(sorted(m["sequence_number"] for m in manifests), [1, 2, 3])
        seen = {}
        for m in manifests:
            mmeta, mschema, entries = read_container(s3_get(m["manifest_path"]))
            self.assertEqual(mmeta["format-version"], b"2")
            self.assertEqual(json.loads(mmeta["partition-spec"])[1]["transform"], "day")
            self.assertEqual(m["added_files_count"], len(entries))
            self.assertEqual(m["added_rows_count"], sum(e["data_file"]["record_count"] for e in entries))
            for e in entries:
                self.assertEqual(e["status"], 1)
                self.assertEqual(e["snapshot_id"], m["added_snapshot_id"])
                df = e["data_file"]
                self.assertEqual(df["content"], 0)
                self.assertEqual(df["file_format"], "PARQUET")
                data = s3_get(df["file_path"])
                self.assertEqual(data[:4], b"PAR1")
                self.assertEqual(df["file_size_in_bytes"], len(data))
                part = df["partition"]
                self.assertIn(f"customer={part['customer'] if part['customer'] is not None else 'null'}/",
                              df["file_path"])
                seen[(part["customer"], part["ts_day"])] = seen.get((part["customer"], part["ts_day"]), 0) + \
                    df["record_count"]
        # 2024-05-01 is day 19844 since 1970-01-01; 2024-05-02 day 19845; 2024-06-01 day 19875.
        self.assertEqual(seen, {("ann", 19844): 1, ("bob", 19844): 1, ("ann", 19845): 1, ("cid", 19875): 1,
                                ("dan", None): 1})

    def test_column_metrics_and_partition_summaries_read_back(self):
        """Each data file's metrics (spec "Manifests": int-keyed maps with their field ids, bounds in the
        single-value serialization of Appendix D) say what its rows hold; each manifest's partition summaries
        (spec "Manifest Lists") bound its partition values."""
        rows = {1: ("ann", 10.5, "2024-05-01 10:00:00"), 2: ("bob", 20.0, "2024-05-01 11:00:00"),
                3: ("ann", 30.25, "2024-05-02 09:30:00"), 4: ("cid", 7.0, "2024-06-01 00:00:00"),
                5: ("dan", None, None)}
        epoch = datetime.datetime(1970, 1, 1)

        def micros(text):
            d = datetime.datetime.fromisoformat(text) - epoch
            return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds

        t = GLUE.get_table(DatabaseName=DB, Name="orders")["Table"]
        md = json.loads(s3_get(t["Parameters"]["metadata_location"]))
        snap = [s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]][0]
        lschema_meta, lschema, manifests = read_container(s3_get(snap["manifest-list"]))
        checked = 0
        for m in manifests:
            _, mschema, entries = read_container(s3_get(m["manifest_path"]))
            df_fields = {f["name"]: f for f in mschema["fields"][4]["type"]["fields"]}
            for name, fid, kid, vid in (("value_counts", 109, 119, 120), ("null_value_counts", 110, 121, 122),
                                        ("lower_bounds", 125, 126, 127), ("upper_bounds", 128, 129, 130)):
                self.assertEqual(df_fields[name]["field-id"], fid)
                kv = df_fields[name]["type"][1]["items"]["fields"]
                self.assertEqual([(f["name"], f["field-id"]) for f in kv], [("key", kid), ("value", vid)])
            customers, days = set(), set()
            for e in entries:
                df = e["data_file"]
                self.assertEqual(df["record_count"], 1)
                as_map = {name: {kv["key"]: kv["value"] for kv in (df[name] or [])}
                          for name in ("value_counts", "null_value_counts", "lower_bounds", "upper_bounds")}
                self.assertEqual(as_map["value_counts"], {1: 1, 2: 1, 3: 1, 4: 1})
                (rid,) = [k for k, v in rows.items() if v[0] == df["partition"]["customer"] and
                          (v[2] is None or micros(v[2]) // 86_400_000_000 == df["partition"]["ts_day"])]
                customer, amount, ts = rows[rid]
                self.assertEqual(as_map["null_value_counts"], {1: 0, 2: 0, 3: int(amount is None),
                                                               4: int(ts is None)})
                want = {1: struct.pack("<q", rid), 2: customer.encode()}
                if amount is not None:
                    want[3] = struct.pack("<d", amount)
                    want[4] = struct.pack("<q", micros(ts))
                self.assertEqual(as_map["lower_bounds"], want)
                self.assertEqual(as_map["upper_bounds"], want)
                customers.add(customer.encode())
                days.add(df["partition"]["ts_day"])
                checked += 1
            # Partition summaries: customer (identity, string), ts_day (day, date as int days).
            summary = m["partitions"]
            self.assertEqual(len(summary), 2)
            self.assertEqual((summary[0]["contains_null"], summary[0]["lower_bound"], summary[0]["upper_bound"]),
                             (False, min(customers), max(customers)))
            values = sorted(d for d in days if d is not None)
            self.assertEqual(summary[1]["contains_null"], None in days)
            self.assertEqual(summary[1]["lower_bound"], struct.pack("<i", values[0]) if values else None)
            self.assertEqual(summary[1]["upper_bound"], struct.pack("<i", values[-1]) if values else None)
        self.assertEqual(checked, 5)

    def test_ctas_iceberg_and_concurrent_commit(self):
        a = athena()
        a.execute(f"""CREATE TABLE ctas_orders WITH (table_type = 'ICEBERG', is_external = false,
                      location = 's3://{BUCKET}/warehouse/ctas_orders', partitioning = ARRAY['bucket_unused'])
                      AS SELECT 1 AS x""", expect="FAILED")
        a.execute(f"""CREATE TABLE ctas_orders WITH (table_type = 'ICEBERG', is_external = false,
                      location = 's3://{BUCKET}/warehouse/ctas_orders', partitioning = ARRAY['month(ts)'])
                      AS SELECT id, ts FROM orders WHERE id <= 3""")
        self.assertEqual(a.scalar("SELECT count(*) FROM ctas_orders"), "3")
        t = GLUE.get_table(DatabaseName=DB, Name="ctas_orders")["Table"]
        self.assertEqual(t["Parameters"]["table_type"], "ICEBERG")
        # Glue's optimistic check: an update at an old VersionId fails, as Iceberg commits rely on.
        with self.assertRaises(GLUE.exceptions.ConcurrentModificationException):
            inp = {k: t[k] for k in ("Name", "StorageDescriptor", "Parameters", "TableType")}
            GLUE.update_table(DatabaseName=DB, TableInput=inp, VersionId=str(int(t["VersionId"]) + 7))

    def test_drop_removes_table_and_files(self):
        a = athena()
        loc = f"s3://{BUCKET}/warehouse/dropme"
        a.execute(f"CREATE TABLE dropme (id int) LOCATION '{loc}' TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute("INSERT INTO dropme VALUES (1), (2)")
        self.assertEqual(a.scalar("SELECT sum(id) FROM dropme"), "3")
        keys = S3.list_objects_v2(Bucket=BUCKET, Prefix="warehouse/dropme/").get("Contents", [])
        self.assertGreaterEqual(len(keys), 5)  # 2 metadata.json, manifest, manifest list, data file
        a.execute("DROP TABLE dropme")
        self.assertEqual(S3.list_objects_v2(Bucket=BUCKET, Prefix="warehouse/dropme/").get("KeyCount"), 0)
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_table(DatabaseName=DB, Name="dropme")

    def test_concurrent_inserts_all_land(self):
        a = athena()
        a.execute(f"CREATE TABLE conc (id int) LOCATION 's3://{BUCKET}/warehouse/conc' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        qids = [a.start(f"INSERT INTO conc VALUES ({i})") for i in range(6)]
        states = [a.wait(q)["Status"] for q in qids]
        for st in states:
            # Appends retry on a lost swap, as Iceberg's do; past the retries Athena's error is the answer.
            if st["State"] != "SUCCEEDED":
                self.assertIn("ICEBERG_COMMIT_ERROR", st.get("StateChangeReason", ""))
        ok = sum(1 for st in states if st["State"] == "SUCCEEDED")
        self.assertGreaterEqual(ok, 1)
        self.assertEqual(a.scalar("SELECT count(*) FROM conc"), str(ok))
        self.assertEqual(len(a.select('SELECT snapshot_id FROM "conc$snapshots"')), ok)

    def test_refusals(self):
        a = athena()
        qe = a.execute(f"""CREATE TABLE b (x double) PARTITIONED BY (bucket(4, x))
                           LOCATION 's3://{BUCKET}/warehouse/b' TBLPROPERTIES ('table_type'='ICEBERG')""",
                       expect="FAILED")
        self.assertIn("INVALID_TABLE_PROPERTY", qe["Status"]["StateChangeReason"])
        qe = a.execute(f"""CREATE EXTERNAL TABLE c (id bigint) LOCATION 's3://{BUCKET}/warehouse/c'
                           TBLPROPERTIES ('table_type'='ICEBERG')""", expect="FAILED")
        self.assertIn("External keyword", qe["Status"]["StateChangeReason"])
        a.execute(f"CREATE EXTERNAL TABLE hive_t (id int) STORED AS PARQUET LOCATION 's3://{BUCKET}/hive_t/'")
        qe = a.execute("SELECT * FROM hive_t FOR VERSION AS OF 1", expect="FAILED")
        self.assertEqual(qe["Status"]["StateChangeReason"],
                         "NOT_SUPPORTED: This connector does not support versioned tables")
        qe = a.execute("DELETE FROM hive_t WHERE id = 1", expect="FAILED")
        self.assertEqual(qe["Status"]["StateChangeReason"],
                         "NOT_SUPPORTED: Modifying Hive table rows is only supported for transactional tables")


class RowLevelTests(unittest.TestCase):
    """DELETE / UPDATE / MERGE INTO as Athena engine v3 runs them on Iceberg v2: merge-on-read, position delete
    files in delete manifests, one snapshot per statement ("delete" / "overwrite"), reads and time travel
    applying the deletes."""

    @classmethod
    def setUpClass(cls):
        a = athena()
        cls.location = f"s3://{BUCKET}/warehouse/accounts"
        a.execute(f"""CREATE TABLE accounts (id bigint, owner string, balance double, tier string)
                      PARTITIONED BY (tier)
                      LOCATION '{cls.location}'
                      TBLPROPERTIES ('table_type'='ICEBERG')""")
        a.execute("""INSERT INTO accounts VALUES (1, 'ann', 100.0, 'gold'), (2, 'bob', 50.0, 'basic'),
                     (3, 'cid', 75.5, 'basic'), (4, 'dan', 10.0, 'gold'), (5, 'eve', 0.0, 'basic')""")
        a.execute(f"""CREATE TABLE changes (id bigint, owner string, balance double, op string)
                      LOCATION 's3://{BUCKET}/warehouse/changes' TBLPROPERTIES ('table_type'='ICEBERG')""")
        a.execute("""INSERT INTO changes VALUES (2, 'bob', 55.0, 'U'), (5, NULL, NULL, 'D'),
                     (6, 'fay', 20.0, 'I'), (7, 'gus', 30.0, 'I')""")
        cls.v1 = a.select('SELECT snapshot_id FROM "accounts$snapshots"')[0][0]
        qe = a.execute("DELETE FROM accounts WHERE balance < 20")  # dan, eve
        cls.deleted = qe
        a.execute("UPDATE accounts SET balance = balance + 1, tier = 'gold' WHERE owner = 'cid'")
        a.execute("""MERGE INTO accounts t USING changes c ON t.id = c.id
                     WHEN MATCHED AND c.op = 'D' THEN DELETE
                     WHEN MATCHED THEN UPDATE SET balance = c.balance
                     WHEN NOT MATCHED AND c.op = 'I' THEN INSERT (id, owner, balance, tier)
                          VALUES (c.id, c.owner, c.balance, 'basic')""")

    def test_rows_after_delete_update_merge(self):
        rows = athena().select("SELECT id, owner, balance, tier FROM accounts ORDER BY id")
        self.assertEqual(rows, [["1", "ann", "100.0", "gold"], ["2", "bob", "55.0", "basic"],
                                ["3", "cid", "76.5", "gold"], ["6", "fay", "20.0", "basic"],
                                ["7", "gus", "30.0", "basic"]])
        self.assertEqual(athena().scalar("SELECT count(*) FROM accounts WHERE tier = 'basic'"), "3")

    def test_update_counts(self):
        a = athena()
        a.execute(f"CREATE TABLE counts (id int) LOCATION 's3://{BUCKET}/warehouse/counts' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute("INSERT INTO counts VALUES (1), (2), (3)")
        qe = a.execute("DELETE FROM counts WHERE id >= 2")
        self.assertEqual(qe["StatementType"], "DML")
        self.assertEqual(a.scalar("SELECT count(*) FROM counts"), "1")
        qe = a.execute("UPDATE counts SET id = 10")
        self.assertEqual(a.select("SELECT id FROM counts"), [["10"]])
        qe = a.execute("DELETE FROM counts")
        self.assertEqual(a.scalar("SELECT count(*) FROM counts"), "0")
        self.assertEqual([r[0] for r in a.select('SELECT operation FROM "counts$snapshots" ORDER BY committed_at')],
                         ["append", "delete", "overwrite", "delete"])

    def test_time_travel_sees_deleted_rows(self):
        a = athena()
        self.assertEqual(a.scalar(f"SELECT count(*) FROM accounts FOR VERSION AS OF {self.v1}"), "5")
        self.assertEqual(a.select(f"SELECT owner FROM accounts FOR VERSION AS OF {self.v1} WHERE id = 4"),
                         [["dan"]])
        ops = [r[0] for r in a.select('SELECT operation FROM "accounts$snapshots" ORDER BY committed_at')]
        self.assertEqual(ops, ["append", "delete", "overwrite", "overwrite"])

    def test_files_table_lists_delete_files(self):
        files = athena().select('SELECT content, file_path, record_count FROM "accounts$files" ORDER BY content')
        deletes = [f for f in files if f[0] == "1"]
        self.assertTrue(deletes)
        # dan + eve (DELETE), cid (UPDATE), bob (MERGE): one position delete per deleted or rewritten row.
        self.assertEqual(sum(int(f[2]) for f in deletes), 2 + 1 + 1)

    def test_delete_files_read_back_from_s3(self):
        t = GLUE.get_table(DatabaseName=DB, Name="accounts")["Table"]
        md = json.loads(s3_get(t["Parameters"]["metadata_location"]))
        current = md["current-snapshot-id"]
        snap = [s for s in md["snapshots"] if s["snapshot-id"] == current][0]
        self.assertEqual(snap["summary"]["operation"], "overwrite")
        self.assertEqual(snap["summary"]["total-position-deletes"], "4")
        self.assertEqual(snap["summary"]["total-delete-files"], str(len(
            [f for f in athena().select('SELECT content FROM "accounts$files"') if f[0] == "1"])))
        _, _, manifests = read_container(s3_get(snap["manifest-list"]))
        delete_manifests = [m for m in manifests if m["content"] == 1]
        self.assertEqual(len(delete_manifests), 3)  # DELETE, UPDATE, MERGE
        positions = 0
        for m in delete_manifests:
            mmeta, _, entries = read_container(s3_get(m["manifest_path"]))
            self.assertEqual(mmeta["content"], b"deletes")
            for e in entries:
                df = e["data_file"]
                self.assertEqual(df["content"], 1)
                data = s3_get(df["file_path"])
                self.assertEqual(data[:4], b"PAR1")
                self.assertEqual(data[-4:], b"PAR1")
                self.assertIn(b"file_path", data)
                self.assertIn(b"pos", data)
                self.assertIn(b"tier=", df["file_path"].encode())
                positions += df["record_count"]
        self.assertEqual(positions, 4)
        self.assertEqual(md["last-sequence-number"], 4)

    def test_merge_errors(self):
        a = athena()
        qe = a.execute("""MERGE INTO accounts t USING (VALUES (1), (1)) AS s(id) ON t.id = s.id
                          WHEN MATCHED THEN DELETE""", expect="FAILED")
        self.assertIn("MERGE_TARGET_ROW_MULTIPLE_MATCHES", qe["Status"]["StateChangeReason"])
        qe = a.execute("UPDATE accounts SET nope = 1", expect="FAILED")
        self.assertIn("COLUMN_NOT_FOUND", qe["Status"]["StateChangeReason"])
        qe = a.execute("DELETE FROM accounts balance < 1", expect="FAILED")
        self.assertIn("SYNTAX_ERROR", qe["Status"]["StateChangeReason"])
        qe = a.execute("DELETE FROM nosuch WHERE id = 1", expect="FAILED")
        self.assertIn("TABLE_NOT_FOUND", qe["Status"]["StateChangeReason"])
        self.assertEqual(a.scalar("SELECT count(*) FROM accounts"), "5")


class MaintenanceTests(unittest.TestCase):
    """OPTIMIZE ... REWRITE DATA USING BIN_PACK (deletes applied, snapshot "replace") and VACUUM (snapshots past
    vacuum_max_snapshot_age_seconds expired, files only they named removed) with Athena's table properties."""

    def test_optimize_then_vacuum(self):
        a = athena()
        loc = f"s3://{BUCKET}/warehouse/events"
        a.execute(f"""CREATE TABLE events (id int, kind string) PARTITIONED BY (kind) LOCATION '{loc}'
                      TBLPROPERTIES ('table_type'='ICEBERG', 'vacuum_max_snapshot_age_seconds'='2',
                                     'vacuum_min_snapshots_to_keep'='1')""")
        for i in range(3):
            a.execute(f"INSERT INTO events VALUES ({3 * i}, 'a'), ({3 * i + 1}, 'b'), ({3 * i + 2}, 'a')")
        a.execute("DELETE FROM events WHERE id % 2 = 0")
        expected = a.select("SELECT id, kind FROM events ORDER BY id")
        self.assertEqual(expected, [["1", "b"], ["3", "a"], ["5", "a"], ["7", "b"]])
        files = a.select('SELECT content, file_path FROM "events$files"')
        self.assertEqual(sum(1 for f in files if f[0] == "0"), 6)
        self.assertTrue(any(f[0] == "1" for f in files))

        # WHERE on a partition column: only that partition's files are rewritten.
        a.execute("OPTIMIZE events REWRITE DATA USING BIN_PACK WHERE kind = 'b'")
        files = a.select('SELECT content, partition, record_count FROM "events$files"')
        self.assertEqual(sorted(f[1] for f in files if f[0] == "0" and f[1] == "{kind=a}"), ["{kind=a}"] * 3)
        # kind=b: the 3 one-row files (one row deleted) became files holding the 2 live rows.
        self.assertEqual(sum(int(f[2]) for f in files if f[0] == "0" and f[1] == "{kind=b}"), 2)
        self.assertFalse([f for f in files if f[0] == "1" and f[1] == "{kind=b}"])
        self.assertEqual(a.select("SELECT id, kind FROM events ORDER BY id"), expected)
        a.execute("OPTIMIZE events REWRITE DATA USING BIN_PACK")
        self.assertEqual(a.select("SELECT id, kind FROM events ORDER BY id"), expected)
        files = a.select('SELECT content, partition, sum(record_count) FROM "events$files" '
                         'GROUP BY content, partition ORDER BY partition')
        self.assertEqual(files, [["0", "{kind=a}", "2"], ["0", "{kind=b}", "2"]])
        snaps = a.select('SELECT snapshot_id, operation, summary FROM "events$snapshots" ORDER BY committed_at')
        self.assertEqual([s[1] for s in snaps], ["append"] * 3 + ["delete", "replace", "replace"])
        self.assertIn("total-delete-files=0", snaps[-1][2])

        qe = a.execute("OPTIMIZE events REWRITE DATA USING SORT", expect="FAILED")
        self.assertIn("SYNTAX_ERROR", qe["Status"]["StateChangeReason"])

        before = S3.list_objects_v2(Bucket=BUCKET, Prefix="warehouse/events/")["KeyCount"]
        time.sleep(2.2)
        a.execute("VACUUM events")
        self.assertEqual(a.scalar('SELECT count(*) FROM "events$snapshots"'), "1")
        self.assertEqual(a.select("SELECT id, kind FROM events ORDER BY id"), expected)
        qe = a.execute(f"SELECT * FROM events FOR VERSION AS OF {snaps[0][0]}", expect="FAILED")
        self.assertIn("INVALID_ARGUMENT", qe["Status"]["StateChangeReason"])
        keys = [o["Key"] for o in S3.list_objects_v2(Bucket=BUCKET, Prefix="warehouse/events/")["Contents"]]
        self.assertLess(len(keys), before)
        data = [k for k in keys if k.startswith("warehouse/events/data/")]
        live = [f[0] for f in a.select('SELECT file_path FROM "events$files"')]
        # Only the files the last OPTIMIZE wrote are left; every delete file is gone.
        self.assertEqual(sorted(f"s3://{BUCKET}/{k}" for k in data), sorted(live))
        self.assertFalse([k for k in data if "deletes" in k])
        t = GLUE.get_table(DatabaseName=DB, Name="events")["Table"]
        md = json.loads(s3_get(t["Parameters"]["metadata_location"]))
        self.assertEqual(len(md["snapshots"]), 1)
        self.assertEqual([e["snapshot-id"] for e in md["snapshot-log"]], [md["current-snapshot-id"]])

    def test_vacuum_keeps_young_snapshots_and_refuses_hive(self):
        a = athena()
        a.execute(f"CREATE TABLE young (id int) LOCATION 's3://{BUCKET}/warehouse/young' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute("INSERT INTO young VALUES (1)")
        a.execute("INSERT INTO young VALUES (2)")
        a.execute("VACUUM young")
        self.assertEqual(a.scalar('SELECT count(*) FROM "young$snapshots"'), "2")
        a.execute(f"CREATE EXTERNAL TABLE hive_v (id int) STORED AS PARQUET LOCATION 's3://{BUCKET}/hive_v/'")
        qe = a.execute("VACUUM hive_v", expect="FAILED")
        self.assertIn("NOT_SUPPORTED", qe["Status"]["StateChangeReason"])


class SchemaEvolutionTests(unittest.TestCase):
    """ALTER TABLE ADD COLUMNS / DROP COLUMN / CHANGE COLUMN (Iceberg's type promotions) on an Iceberg table: a new
    current schema in the next metadata file, the Glue columns updated, older data files read under it."""

    def test_add_promote_drop(self):
        a = athena()
        a.execute(f"CREATE TABLE evolving (id int, score float) LOCATION 's3://{BUCKET}/warehouse/evolving' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute("INSERT INTO evolving VALUES (1, 0.5)")
        a.execute("ALTER TABLE evolving ADD COLUMNS (label string)")
        a.execute("INSERT INTO evolving VALUES (2, 1.5, 'b')")
        self.assertEqual(a.select("SELECT id, score, label FROM evolving ORDER BY id"),
                         [["1", "0.5", None], ["2", "1.5", "b"]])
        a.execute("ALTER TABLE evolving CHANGE COLUMN id id bigint")
        a.execute("ALTER TABLE evolving CHANGE COLUMN score score double")
        a.execute("ALTER TABLE evolving DROP COLUMN label")
        self.assertEqual(a.select("SELECT * FROM evolving ORDER BY id"), [["1", "0.5"], ["2", "1.5"]])
        cols = GLUE.get_table(DatabaseName=DB, Name="evolving")["Table"]["StorageDescriptor"]["Columns"]
        self.assertEqual([(c["Name"], c["Type"]) for c in cols], [("id", "bigint"), ("score", "double")])
        t = GLUE.get_table(DatabaseName=DB, Name="evolving")["Table"]
        md = json.loads(s3_get(t["Parameters"]["metadata_location"]))
        current = [sc for sc in md["schemas"] if sc["schema-id"] == md["current-schema-id"]][0]
        self.assertEqual([(f["id"], f["name"], f["type"]) for f in current["fields"]],
                         [(1, "id", "long"), (2, "score", "double")])
        self.assertEqual(md["last-column-id"], 3)  # label's id is not reused
        self.assertEqual(len(md["schemas"]), 5)
        for sql, code in [("ALTER TABLE evolving CHANGE COLUMN score score int", "NOT_SUPPORTED"),
                          ("ALTER TABLE evolving DROP COLUMN label", "COLUMN_NOT_FOUND"),
                          ("ALTER TABLE evolving ADD COLUMNS (id int)", "ALREADY_EXISTS")]:
            qe = a.execute(sql, expect="FAILED")
            self.assertIn(code, qe["Status"]["StateChangeReason"], sql)



class RenameTests(unittest.TestCase):
    """ALTER TABLE RENAME TO: an Iceberg table's Glue entry moves to the new name and database (its location and
    files stay); reads, writes, time travel and $snapshots work under the new name and the old one is gone; a view
    over the old name fails as the table it names is missing; Hive tables answer Glue's refusal as Athena
    reports it; the caller needs glue:GetTable, glue:CreateTable and glue:DeleteTable."""

    def test_rename_across_databases(self):
        a = athena()
        other = DB + "_renamed"
        GLUE.create_database(DatabaseInput={"Name": other})
        location = f"s3://{BUCKET}/warehouse/before"
        a.execute(f"CREATE TABLE before (id int, tag string) PARTITIONED BY (tag) LOCATION '{location}' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        a.execute("INSERT INTO before VALUES (1, 'a'), (2, 'b')")
        first = a.scalar('SELECT snapshot_id FROM "before$snapshots"')
        a.execute("CREATE VIEW before_v AS SELECT id FROM before")
        old = GLUE.get_table(DatabaseName=DB, Name="before")["Table"]

        qe = a.execute(f"ALTER TABLE {DB}.before RENAME TO {other}.after")
        self.assertEqual(qe["StatementType"], "DDL")
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_table(DatabaseName=DB, Name="before")
        new = GLUE.get_table(DatabaseName=other, Name="after")["Table"]
        self.assertEqual((new["Name"], new["DatabaseName"], new["VersionId"]), ("after", other, "0"))
        for member in ("Parameters", "StorageDescriptor", "PartitionKeys", "TableType", "Owner"):
            self.assertEqual(new[member], old[member], member)
        self.assertEqual(new["StorageDescriptor"]["Location"], location)
        versions = GLUE.get_table_versions(DatabaseName=other, TableName="after")["TableVersions"]
        self.assertEqual([v["VersionId"] for v in versions], ["0"])

        self.assertEqual(a.select("SELECT id, tag FROM after ORDER BY id", database=other), [["1", "a"], ["2", "b"]])
        a.execute("INSERT INTO after VALUES (3, 'c')", database=other)
        a.execute("UPDATE after SET tag = 'bb' WHERE id = 2", database=other)
        a.execute(f"DELETE FROM {other}.after WHERE id = 1")
        a.execute(f"MERGE INTO {other}.after t USING (VALUES (3, 'cc'), (4, 'd')) AS s(id, tag) ON t.id = s.id "
                  "WHEN MATCHED THEN UPDATE SET tag = s.tag WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.tag)")
        self.assertEqual(a.select("SELECT id, tag FROM after ORDER BY id", database=other),
                         [["2", "bb"], ["3", "cc"], ["4", "d"]])
        self.assertEqual(a.select(f"SELECT id FROM after FOR VERSION AS OF {first} ORDER BY id", database=other),
                         [["1"], ["2"]])
        self.assertEqual(a.scalar('SELECT count(*) FROM "after$snapshots"', database=other), "5")
        # Commits after the rename go on in the same metadata chain, under the same location.
        md = json.loads(s3_get(GLUE.get_table(DatabaseName=other, Name="after")["Table"]["Parameters"]
                               ["metadata_location"]))
        self.assertEqual(md["location"], location)
        self.assertEqual(len(md["metadata-log"]), 5)

        qe = a.execute("SELECT * FROM before", expect="FAILED")
        self.assertIn(f"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.{DB}.before' does not exist",
                      qe["Status"]["StateChangeReason"])
        # A view keeps the name it was written with: it fails until a table of that name exists again.
        qe = a.execute("SELECT * FROM before_v", expect="FAILED")
        self.assertEqual(qe["Status"]["StateChangeReason"],
                         f"INVALID_VIEW: line 1:15: Failed analyzing stored view 'awsdatacatalog.{DB}.before_v': "
                         f"line 1:16: Table 'awsdatacatalog.{DB}.before' does not exist")
        a.execute(f"ALTER TABLE {other}.after RENAME TO {DB}.before")
        self.assertEqual(a.select("SELECT id FROM before_v ORDER BY id"), [["2"], ["3"], ["4"]])

    def test_errors(self):
        a = athena()
        for name in ("err_a", "err_b"):
            a.execute(f"CREATE TABLE {name} (id int) LOCATION 's3://{BUCKET}/warehouse/{name}' "
                      "TBLPROPERTIES ('table_type'='ICEBERG')")
        cases = [
            ("ALTER TABLE err_a RENAME TO err_b",
             f"TABLE_ALREADY_EXISTS: line 1:1: Target table 'awsdatacatalog.{DB}.err_b' already exists"),
            ("ALTER TABLE err_nope RENAME TO err_c",
             f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{DB}.err_nope' does not exist"),
            ("ALTER TABLE err_a RENAME TO no_such_db.err_c",
             "SCHEMA_NOT_FOUND: line 1:1: Target schema 'no_such_db' does not exist"),
        ]
        for sql, reason in cases:
            qe = a.execute(sql, expect="FAILED")
            self.assertEqual(qe["Status"]["StateChangeReason"], reason, sql)
        self.assertEqual(sorted(t["Name"] for t in GLUE.get_tables(DatabaseName=DB, Expression="err_*")["TableList"]),
                         ["err_a", "err_b"])
        # Hive tables go through Athena's Hive DDL, which Glue refuses.
        a.execute(f"CREATE EXTERNAL TABLE hive_r (id int) STORED AS PARQUET LOCATION 's3://{BUCKET}/hive_r/'")
        qe = a.execute("ALTER TABLE hive_r RENAME TO hive_r2", expect="FAILED")
        self.assertRegex(qe["Status"]["StateChangeReason"],
                         r"^FAILED: Execution Error, return code 1 from org\.apache\.hadoop\.hive\.ql\.exec\.DDLTask\. "
                         r"Table cannot be renamed \(Service: AmazonDataCatalog; Status Code: 400; Error Code: "
                         r"InvalidInputException; Request ID: [0-9a-f-]{36}; Proxy: null\)$")
        GLUE.get_table(DatabaseName=DB, Name="hive_r")

    def test_glue_permissions(self):
        import uuid

        import boto3
        import harness
        from botocore.config import Config

        iam = harness.boto3_client(SERVER, "iam")
        a = athena()
        a.execute(f"CREATE TABLE perm_t (id int) LOCATION 's3://{BUCKET}/warehouse/perm_t' "
                  "TBLPROPERTIES ('table_type'='ICEBERG')")
        user = "rename-" + uuid.uuid4().hex[:8]
        iam.create_user(UserName=user)
        base = ["athena:*", "s3:*", "glue:GetTable", "glue:GetDatabase", "glue:CreateTable"]
        region, account = SERVER.region, GLUE.get_table(DatabaseName=DB, Name="perm_t")["Table"]["CatalogId"]

        def allow(actions, deny_table=None):
            statements = [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
            if deny_table:
                statements.append({"Effect": "Deny", "Action": "glue:DeleteTable",
                                   "Resource": f"arn:aws:glue:{region}:{account}:table/{DB}/{deny_table}"})
            iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))

        allow(base)
        key = iam.create_access_key(UserName=user)["AccessKey"]
        client = boto3.session.Session().client(
            "athena", endpoint_url=SERVER.endpoint, region_name=region, aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"], config=Config(retries={"max_attempts": 1}))
        as_user = lake.Athena(client, f"s3://{BUCKET}/athena-results/", DB)
        qe = as_user.execute("ALTER TABLE perm_t RENAME TO perm_u", expect="FAILED")
        reason = qe["Status"]["StateChangeReason"]
        self.assertTrue(reason.startswith("Insufficient permissions to execute the query. "), reason)
        self.assertIn("glue:DeleteTable", reason)
        GLUE.get_table(DatabaseName=DB, Name="perm_t")
        with self.assertRaises(GLUE.exceptions.EntityNotFoundException):
            GLUE.get_table(DatabaseName=DB, Name="perm_u")
        allow(base + ["glue:DeleteTable"], deny_table="perm_t")
        qe = as_user.execute("ALTER TABLE perm_t RENAME TO perm_u", expect="FAILED")
        self.assertIn("glue:DeleteTable", qe["Status"]["StateChangeReason"])
        allow(base + ["glue:DeleteTable"])
        as_user.execute("ALTER TABLE perm_t RENAME TO perm_u")
        t = GLUE.get_table(DatabaseName=DB, Name="perm_u")["Table"]
        self.assertEqual(t["CreatedBy"], f"arn:aws:iam::{account}:user/{user}")

if __name__ == "__main__":
    unittest.main()
