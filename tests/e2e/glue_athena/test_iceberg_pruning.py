"""Athena Iceberg reads with boto3: which data files a query reads, and that skipping files never changes an
answer. Range conditions (<, <=, >, >=, BETWEEN, conjunctions, the constant on either side) prune on hidden
partitions (day/month/year/hour of a timestamp, truncate, identity) of tables Cenote writes, and on the column
bounds of data files (manifests' lower_bounds / upper_bounds, spec "Scan Planning", Appendix D) of a table
another writer made: metadata written here by hand over Parquet files, with NULL-only columns, NaN, truncated
string bounds, an int bound of a column promoted to long and files without metrics. Files read are counted by
DataScannedInBytes (the sum of the files bound); answers are checked against rows computed here or the same
files read as a plain Hive table. Also: an equality delete file whose column was renamed after it was written
still deletes (matched by field id). Tables Cenote writes carry their own metrics: ranges on columns that are not
partition columns skip files too (WrittenMetricsTests).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_iceberg_pruning.py [-v]
"""

import datetime
import json
import os
import struct
import sys
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import lake  # noqa: E402
from spec_writers import avro_file  # noqa: E402  (an independent Avro writer)

LAKE = None
S3 = GLUE = None
BUCKET = DB = None


def setUpModule():
    global LAKE, S3, GLUE, BUCKET, DB
    LAKE = lake.ModuleLake("ice-prune", "prune")
    S3, GLUE, BUCKET, DB = LAKE.s3, LAKE.glue, LAKE.bucket, LAKE.db


def tearDownModule():
    if LAKE is not None:
        LAKE.close()


def athena():
    return LAKE.athena()


def s3_put(url, data):
    bucket, key = url[5:].split("/", 1)
    S3.put_object(Bucket=bucket, Key=key, Body=data)


def scanned(a, sql):
    return a.execute(sql)["Statistics"]["DataScannedInBytes"]


# ------------------------------------------------------------------ a table Cenote writes: hidden partitions
TS_ROWS = [  # (id, ts or None); day boundaries on purpose
    (1, "2024-01-01 08:00:00"), (2, "2024-01-02 23:59:59.999999"), (3, "2024-01-03 00:00:00"),
    (4, "2024-01-03 12:30:00"), (5, "2024-01-04 00:00:00.000001"), (6, "2024-02-10 05:00:00"),
    (7, "2025-03-01 00:00:00"), (8, None), (9, "2023-12-31 23:59:59"),
]


def ts_of(text):
    return datetime.datetime.fromisoformat(text) if text else None


class HiddenPartitionRangeTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        a = athena()
        for name, transform in (("by_day", "day(ts)"), ("by_month", "month(ts)"), ("by_year", "year(ts)"),
                                ("by_hour", "hour(ts)")):
            a.execute(f"""CREATE TABLE {name} (id int, ts timestamp) PARTITIONED BY ({transform})
                          LOCATION 's3://{BUCKET}/warehouse/{name}' TBLPROPERTIES ('table_type'='ICEBERG')""")
            values = ", ".join(f"({i}, {'TIMESTAMP ' + repr(t) if t else 'NULL'})" for i, t in TS_ROWS)
            a.execute(f"INSERT INTO {name} VALUES {values}")
        a.execute(f"""CREATE TABLE tr (id int, s string) PARTITIONED BY (truncate(10, id), truncate(2, s))
                      LOCATION 's3://{BUCKET}/warehouse/tr' TBLPROPERTIES ('table_type'='ICEBERG')""")
        a.execute("INSERT INTO tr VALUES " + ", ".join(f"({i}, 's{i:03d}')" for i in range(-15, 45)) +
                  ", (NULL, NULL)")
        a.execute(f"""CREATE TABLE ident (id int, d date) PARTITIONED BY (id, d)
                      LOCATION 's3://{BUCKET}/warehouse/ident' TBLPROPERTIES ('table_type'='ICEBERG')""")
        a.execute("INSERT INTO ident VALUES " +
                  ", ".join(f"({i}, DATE '2024-01-{i:02d}')" for i in range(1, 11)) + ", (NULL, NULL)")

    def expect_ids(self, table, where, pred):
        a = athena()
        want = sorted(i for i, t in TS_ROWS if t is not None and pred(ts_of(t)))
        got = [int(r[0]) for r in a.select(f"SELECT id FROM {table} WHERE {where} ORDER BY id")]
        self.assertEqual(got, want, (table, where))

    def test_timestamp_ranges_on_day_month_year_hour(self):
        a = athena()
        t3 = datetime.datetime(2024, 1, 3)
        cases = [
            ("ts >= TIMESTAMP '2024-01-03 00:00:00'", lambda t: t >= t3),
            ("ts > TIMESTAMP '2024-01-03 00:00:00'", lambda t: t > t3),
            ("ts < TIMESTAMP '2024-01-03 00:00:00'", lambda t: t < t3),
            ("ts <= TIMESTAMP '2024-01-03 00:00:00'", lambda t: t <= t3),
            ("TIMESTAMP '2024-01-03 00:00:00' > ts", lambda t: t < t3),
            ("ts BETWEEN TIMESTAMP '2024-01-02 23:59:59.999999' AND TIMESTAMP '2024-01-04 00:00:00'",
             lambda t: datetime.datetime(2024, 1, 2, 23, 59, 59, 999999) <= t <= datetime.datetime(2024, 1, 4)),
            ("ts >= TIMESTAMP '2024-01-02 00:00:00' AND ts < TIMESTAMP '2024-02-01 00:00:00'",
             lambda t: datetime.datetime(2024, 1, 2) <= t < datetime.datetime(2024, 2, 1)),
            ("ts > TIMESTAMP '2030-01-01 00:00:00'", lambda t: False),
            ("ts >= DATE '2024-02-10'", lambda t: t >= datetime.datetime(2024, 2, 10)),
        ]
        for table in ("by_day", "by_month", "by_year", "by_hour"):
            for where, pred in cases:
                self.expect_ids(table, where, pred)
        # Files read: a range keeps only the partitions it can reach (one file per partition here).
        full = scanned(a, "SELECT * FROM by_day")
        late = scanned(a, "SELECT * FROM by_day WHERE ts >= TIMESTAMP '2024-02-01 00:00:00'")
        self.assertGreater(late, 0)
        self.assertLess(late * 3, full, (late, full))  # 2 of 8 day partitions (+ the NULL one) read
        none = scanned(a, "SELECT * FROM by_year WHERE ts > TIMESTAMP '2030-01-01 00:00:00'")
        self.assertEqual(none, 0)
        by_month = scanned(a, "SELECT * FROM by_month WHERE ts BETWEEN TIMESTAMP '2024-01-05 00:00:00' "
                              "AND TIMESTAMP '2024-01-06 00:00:00'")
        self.assertLess(by_month * 2, scanned(a, "SELECT * FROM by_month"))
        # The NULL partition is read by IS NULL (not pruned on) and by no comparison.
        self.assertEqual(a.select("SELECT id FROM by_day WHERE ts IS NULL"), [["8"]])
        self.assertEqual(a.scalar("SELECT count(*) FROM by_day WHERE ts < TIMESTAMP '2100-01-01 00:00:00'"), "8")

    def test_truncate_and_identity_ranges(self):
        a = athena()
        ids = list(range(-15, 45))
        cases = [("id < 10", lambda i: i < 10), ("id <= 10", lambda i: i <= 10), ("id > 19", lambda i: i > 19),
                 ("id >= 20", lambda i: i >= 20), ("id BETWEEN -11 AND -10", lambda i: -11 <= i <= -10),
                 ("id > 9.5", lambda i: i > 9.5), ("id < -10.5", lambda i: i < -10.5),
                 ("id > 5 AND id < 12", lambda i: 5 < i < 12), ("s >= 's040'", lambda i: i >= 40),
                 ("s < 's-05'", lambda i: i < 0 and f"s{i:03d}" < "s-05"), ("'s010' > s", lambda i: 0 <= i < 10 or i < 0)]
        for where, pred in cases:
            want = sorted(i for i in ids if pred(i))
            got = [int(r[0]) for r in a.select(f"SELECT id FROM tr WHERE {where} ORDER BY id")]
            self.assertEqual(got, want, where)
        full = scanned(a, "SELECT * FROM tr")
        self.assertLess(scanned(a, "SELECT * FROM tr WHERE id >= 40") * 5, full)
        for where, want in (("id < 3", [1, 2]), ("id > 9", [10]), ("id BETWEEN 4 AND 6", [4, 5, 6]),
                            ("d > DATE '2024-01-08'", [9, 10]), ("d <= DATE '2024-01-01'", [1]),
                            ("id >= 2 AND d < DATE '2024-01-04'", [2, 3])):
            got = [int(r[0]) for r in a.select(f"SELECT id FROM ident WHERE {where} ORDER BY id")]
            self.assertEqual(got, want, where)
        full = scanned(a, "SELECT * FROM ident")
        self.assertLess(scanned(a, "SELECT * FROM ident WHERE id > 9") * 5, full)


# ------------------------------------------------------------------ a table Cenote writes: its own column metrics
WM_BATCHES = 5  # one INSERT (one data file) per batch of 40 ids


def wm_row(i):
    """(id, amount, name, ts, note) of row i; note is NULL in every row of batch 2."""
    note = None if i // 40 == 2 else f"note-{i % 7}"
    ts = datetime.datetime(2024, 1, 1) + datetime.timedelta(hours=i)
    return i, i * 125, f"n{i:04d}", ts, note  # amount in cents (decimal(10,2))


def sql_text(v):
    return "NULL" if v is None else "'" + v + "'"


class WrittenMetricsTests(unittest.TestCase):
    """Tables Cenote writes carry column metrics (value, NULL counts, lower and upper bounds from each Parquet
    footer) and partition summaries: a range on a column that is not a partition column skips the files whose
    bounds exclude it, and the answers are those computed here."""

    @classmethod
    def setUpClass(cls):
        a = athena()
        a.execute(f"""CREATE TABLE wm (id bigint, amount decimal(10,2), name string, ts timestamp, note string,
                      tag string) PARTITIONED BY (tag) LOCATION 's3://{BUCKET}/warehouse/wm'
                      TBLPROPERTIES ('table_type'='ICEBERG')""")
        for b in range(WM_BATCHES):
            rows = [wm_row(i) for i in range(b * 40, (b + 1) * 40)]
            values = ", ".join(f"({i}, {c // 100}.{c % 100:02d}, '{n}', TIMESTAMP '{t}', {sql_text(note)}, 'x')"
                               for i, c, n, t, note in rows)
            a.execute(f"INSERT INTO wm VALUES {values}")
        cls.rows = [wm_row(i) for i in range(WM_BATCHES * 40)]

    def ids(self, where):
        return [int(r[0]) for r in athena().select(f"SELECT id FROM wm WHERE {where} ORDER BY id")]

    def test_ranges_on_data_columns_skip_files(self):
        a = athena()
        full = scanned(a, "SELECT * FROM wm")
        self.assertGreater(full, 0)
        t = datetime.datetime(2024, 1, 1)
        cases = [
            ("id >= 170", lambda r: r[0] >= 170, 1),
            ("id BETWEEN 45 AND 60", lambda r: 45 <= r[0] <= 60, 1),
            ("amount < 10.00", lambda r: r[1] < 1000, 1),
            ("amount >= 200.00 AND amount <= 210.00", lambda r: 20000 <= r[1] <= 21000, 1),
            ("name > 'n0150'", lambda r: r[2] > "n0150", 2),
            ("ts < TIMESTAMP '2024-01-02 12:00:00'", lambda r: r[3] < t + datetime.timedelta(hours=36), 1),
            ("ts >= TIMESTAMP '2024-01-08 00:00:00'", lambda r: r[3] >= t + datetime.timedelta(days=7), 1),
            ("note = 'note-3'", lambda r: r[4] == "note-3", 4),  # batch 2 (NULLs only) skipped
            ("id < 0", lambda r: False, 0),
        ]
        for where, pred, files in cases:
            want = sorted(r[0] for r in self.rows if pred(r))
            self.assertEqual(self.ids(where), want, where)
            read = scanned(a, f"SELECT * FROM wm WHERE {where}")
            # Files are about the same size: `files` of the 5 are read.
            self.assertLess(read, full * (files + 0.5) / WM_BATCHES, (where, read, full))
            if files:
                self.assertGreater(read, full * (files - 0.5) / WM_BATCHES, (where, read, full))
            else:
                self.assertEqual(read, 0, where)
        # Conditions the bounds cannot decide read everything and still answer exactly.
        self.assertEqual(a.scalar("SELECT count(*) FROM wm WHERE note IS NULL"), "40")
        self.assertEqual(scanned(a, "SELECT * FROM wm WHERE id % 2 = 0"), full)

    def test_rows_written_by_update_and_optimize_carry_metrics(self):
        a = athena()
        a.execute(f"""CREATE TABLE wm2 (id bigint, v decimal(10,1), s string) LOCATION 's3://{BUCKET}/warehouse/wm2'
                      TBLPROPERTIES ('table_type'='ICEBERG')""")
        for b in range(3):
            a.execute("INSERT INTO wm2 VALUES " +
                      ", ".join(f"({i}, {i}.5, 's{i:03d}')" for i in range(b * 10, b * 10 + 10)))
        # A decimal, not a double: Cenote records no NaN counts (Parquet statistics have none), so a double's
        # upper bound is not pruned on (NaN sorts above every number).
        a.execute("UPDATE wm2 SET v = 1000.5 WHERE id = 4")
        self.assertEqual(a.select("SELECT id, v FROM wm2 WHERE v > 100 ORDER BY id"), [["4", "1000.5"]])
        self.assertEqual(a.select("SELECT id FROM wm2 WHERE id BETWEEN 3 AND 5 ORDER BY id"),
                         [["3"], ["4"], ["5"]])
        files = a.select('SELECT file_path, record_count FROM "wm2$files" ORDER BY file_path')
        self.assertEqual(len(files), 5)  # three inserts, the updated row and its position delete file
        full = scanned(a, "SELECT * FROM wm2")
        self.assertLess(scanned(a, "SELECT * FROM wm2 WHERE id >= 25"), full / 2)
        self.assertLess(scanned(a, "SELECT * FROM wm2 WHERE v > 100"), full / 2)  # the updated row's file
        a.execute("OPTIMIZE wm2 REWRITE DATA USING BIN_PACK")
        # The rewritten file's bounds span its rows (the updated one included): next to a new file, a range
        # outside them reads only the new file, one inside them both.
        (_, count), = a.select('SELECT file_path, record_count FROM "wm2$files"')
        self.assertEqual(count, "30")
        a.execute("INSERT INTO wm2 VALUES (100, 5000.5, 's100')")
        both = scanned(a, "SELECT * FROM wm2")
        self.assertLess(scanned(a, "SELECT * FROM wm2 WHERE v > 2000") * 2, both)
        self.assertEqual(scanned(a, "SELECT * FROM wm2 WHERE v BETWEEN 1000 AND 5000"), both - scanned(
            a, "SELECT * FROM wm2 WHERE v > 2000"))
        self.assertEqual(a.select("SELECT id, v FROM wm2 WHERE v > 100 ORDER BY id"),
                         [["4", "1000.5"], ["100", "5000.5"]])
        self.assertEqual(a.select("SELECT count(*), min(s), max(s) FROM wm2 WHERE s >= 's027'"),
                         [["4", "s027", "s100"]])
        self.assertEqual(a.scalar("SELECT count(*) FROM wm2"), "31")


# ------------------------------------------------------------------ a table another writer made: column bounds
def field(name, type_, fid):
    return {"name": name, "type": type_, "field-id": fid}


def kv_array(value_type, key_id, value_id, element_id):
    return ["null", {"type": "array", "element-id": element_id,
                     "items": {"type": "record", "name": f"k{key_id}_v{value_id}",
                               "fields": [field("key", "int", key_id), field("value", value_type, value_id)]}}]


MANIFEST_SCHEMA = {"type": "record", "name": "manifest_entry", "fields": [
    field("status", "int", 0), field("snapshot_id", ["null", "long"], 1),
    field("sequence_number", ["null", "long"], 3), field("file_sequence_number", ["null", "long"], 4),
    field("data_file", {"type": "record", "name": "r2", "fields": [
        field("content", "int", 134), field("file_path", "string", 100), field("file_format", "string", 101),
        field("partition", {"type": "record", "name": "r102", "fields": []}, 102),
        field("record_count", "long", 103), field("file_size_in_bytes", "long", 104),
        field("value_counts", kv_array("long", 119, 120, 109), 109),
        field("null_value_counts", kv_array("long", 121, 122, 110), 110),
        field("nan_value_counts", kv_array("long", 138, 139, 137), 137),
        field("lower_bounds", kv_array("bytes", 126, 127, 125), 125),
        field("upper_bounds", kv_array("bytes", 129, 130, 128), 128),
        field("equality_ids", ["null", {"type": "array", "items": "int", "element-id": 136}], 135),
    ]}, 2)]}

LIST_SCHEMA = {"type": "record", "name": "manifest_file", "fields": [
    field("manifest_path", "string", 500), field("manifest_length", "long", 501),
    field("partition_spec_id", "int", 502), field("content", "int", 517), field("sequence_number", "long", 515),
    field("min_sequence_number", "long", 516), field("added_snapshot_id", "long", 503),
    field("added_files_count", "int", 504), field("existing_files_count", "int", 505),
    field("deleted_files_count", "int", 506), field("added_rows_count", "long", 512),
    field("existing_rows_count", "long", 513), field("deleted_rows_count", "long", 514),
    field("partitions", ["null", {"type": "array", "element-id": 508, "items": {
        "type": "record", "name": "r508", "fields": [
            field("contains_null", "boolean", 509), field("contains_nan", ["null", "boolean"], 518),
            field("lower_bound", ["null", "bytes"], 510), field("upper_bound", ["null", "bytes"], 511)]}}], 507)]}


def data_files(prefix):
    listed = S3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")["Contents"]
    return [(f"s3://{BUCKET}/{o['Key']}", o["Size"]) for o in listed if not o["Key"].endswith("/")]


def register_table(name, location, schemas, columns, entries_by_seq):
    """An unpartitioned v2 table: one snapshot per (sequence number, manifest content, entries) step."""
    manifests, snapshots, log = [], [], []
    for seq, (content, entries) in enumerate(entries_by_seq, start=1):
        snapshot = 9000 + seq
        body = avro_file(MANIFEST_SCHEMA, entries, per_block=max(len(entries), 1),
                         meta={"schema": json.dumps(schemas[0]), "partition-spec": "[]", "partition-spec-id": "0",
                               "format-version": "2", "content": "data" if content == 0 else "deletes"})
        murl = f"{location}/metadata/{uuid.uuid4()}-m{seq}.avro"
        s3_put(murl, body)
        manifests.append({"manifest_path": murl, "manifest_length": len(body), "partition_spec_id": 0,
                          "content": content, "sequence_number": seq, "min_sequence_number": seq,
                          "added_snapshot_id": snapshot, "added_files_count": len(entries),
                          "existing_files_count": 0, "deleted_files_count": 0,
                          "added_rows_count": sum(e["data_file"]["record_count"] for e in entries),
                          "existing_rows_count": 0, "deleted_rows_count": 0})
        mlist = avro_file(LIST_SCHEMA, manifests, per_block=len(manifests),
                          meta={"snapshot-id": str(snapshot), "sequence-number": str(seq), "format-version": "2"})
        lurl = f"{location}/metadata/snap-{snapshot}-{uuid.uuid4()}.avro"
        s3_put(lurl, mlist)
        snap = {"snapshot-id": snapshot, "sequence-number": seq, "timestamp-ms": 1700000000000 + seq,
                "manifest-list": lurl, "summary": {"operation": "append"}, "schema-id": 0}
        if seq > 1:
            snap["parent-snapshot-id"] = snapshot - 1
        snapshots.append(snap)
        log.append({"snapshot-id": snapshot, "timestamp-ms": 1700000000000 + seq})
    names = [{"field-id": f["id"], "names": [f["name"]]} for f in schemas[0]["fields"]]
    md = {"format-version": 2, "table-uuid": str(uuid.uuid4()), "location": location,
          "last-sequence-number": len(entries_by_seq), "last-updated-ms": 1700000000000 + len(entries_by_seq),
          "last-column-id": max(f["id"] for s in schemas for f in s["fields"]),
          "current-schema-id": schemas[-1]["schema-id"], "schemas": schemas,
          "default-spec-id": 0, "partition-specs": [{"spec-id": 0, "fields": []}], "last-partition-id": 999,
          "default-sort-order-id": 0, "sort-orders": [{"order-id": 0, "fields": []}],
          "properties": {"schema.name-mapping.default": json.dumps(names)},
          "current-snapshot-id": snapshots[-1]["snapshot-id"],
          "refs": {"main": {"snapshot-id": snapshots[-1]["snapshot-id"], "type": "branch"}},
          "snapshots": snapshots, "snapshot-log": log, "metadata-log": []}
    meta_url = f"{location}/metadata/00001-{uuid.uuid4()}.metadata.json"
    s3_put(meta_url, json.dumps(md).encode())
    GLUE.create_table(DatabaseName=DB, TableInput={
        "Name": name, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"table_type": "ICEBERG", "metadata_location": meta_url},
        "StorageDescriptor": {"Location": location, "Columns": columns}})


def entry(url, size, count, content=0, **metrics):
    df = {"content": content, "file_path": url, "file_format": "PARQUET", "partition": {},
          "record_count": count, "file_size_in_bytes": size}
    for k, v in metrics.items():
        df[k] = [{"key": fid, "value": val} for fid, val in v.items()]
    return {"status": 1, "snapshot_id": None, "sequence_number": None, "file_sequence_number": None,
            "data_file": df}


def long_b(v):
    return struct.pack("<q", v)


def int_b(v):
    return struct.pack("<i", v)


def double_b(v):
    return struct.pack("<d", v)


LONG_A = "abcdefghijklmnopqrstuvwxyz"


class ColumnBoundsTests(unittest.TestCase):
    """Four Parquet files (a Hive CTAS, one per grp) under one Iceberg table with hand-written metrics."""

    @classmethod
    def setUpClass(cls):
        a = athena()
        rows = {  # grp -> rows (item_id, name, price)
            "g1": ["(1, 'apple', 1.5)", "(2, 'banana', 2.5)", "(3, 'cherry', 3.5)"],
            "g2": [f"(10, '{LONG_A}', 10.0)", f"(11, '{LONG_A}zz', 11.0)", "(12, 'abcdefghijklmnop', 12.0)"],
            "g3": ["(CAST(NULL AS bigint), 'null-ids', CAST('NaN' AS double))", "(CAST(NULL AS bigint), 'x', 5.0)"],
            "g4": ["(100, 'zebra', 100.0)", "(200, 'zulu', 200.0)"],
        }
        values = ", ".join(r[:-1] + f", '{g}')" for g, rs in rows.items() for r in rs)
        a.execute(f"""CREATE TABLE bsrc WITH (format='PARQUET', external_location='s3://{BUCKET}/bounds/src/',
                      partitioned_by=ARRAY['grp']) AS
                      SELECT * FROM (VALUES {values}) AS t(item_id, name, price, grp)""")
        cls.files = {g: data_files(f"bounds/src/grp={g}") for g in rows}
        for g in rows:
            assert len(cls.files[g]) == 1, cls.files
        cls.sizes = {g: cls.files[g][0][1] for g in rows}
        # Metrics as a writer following the spec records them. g2's name bounds are truncated to 16 characters
        # (the upper one with its last character incremented); g1's item_id bounds were written when the column
        # was an int (4 bytes); g3's item_id is NULL in every row and it counts one NaN price; g4 has none.
        metrics = {
            "g1": dict(value_counts={1: 3, 2: 3, 3: 3}, null_value_counts={1: 0, 2: 0, 3: 0},
                       nan_value_counts={3: 0},
                       lower_bounds={1: int_b(1), 2: b"apple", 3: double_b(1.5)},
                       upper_bounds={1: int_b(3), 2: b"cherry", 3: double_b(3.5)}),
            "g2": dict(value_counts={1: 3, 2: 3, 3: 3}, null_value_counts={1: 0, 2: 0, 3: 0},
                       nan_value_counts={3: 0},
                       lower_bounds={1: long_b(10), 2: LONG_A[:16].encode(), 3: double_b(10.0)},
                       upper_bounds={1: long_b(12), 2: LONG_A[:15].encode() + b"q", 3: double_b(12.0)}),
            "g3": dict(value_counts={1: 2, 2: 2, 3: 2}, null_value_counts={1: 2, 2: 0, 3: 0},
                       nan_value_counts={3: 1},
                       lower_bounds={2: b"null-ids", 3: double_b(5.0)}, upper_bounds={2: b"x", 3: double_b(5.0)}),
            "g4": {},
        }
        entries = [entry(*cls.files[g][0], len(rows[g]), **metrics[g]) for g in rows]
        schema0 = {"type": "struct", "schema-id": 0, "fields": [
            {"id": 1, "name": "item_id", "required": False, "type": "int"},
            {"id": 2, "name": "name", "required": False, "type": "string"},
            {"id": 3, "name": "price", "required": False, "type": "double"}]}
        schema1 = json.loads(json.dumps(schema0))
        schema1["schema-id"] = 1
        schema1["fields"][0]["type"] = "long"  # promoted since g1 was written
        register_table("bounded", f"s3://{BUCKET}/bounds/ice", [schema0, schema1],
                       [{"Name": "item_id", "Type": "bigint"}, {"Name": "name", "Type": "string"},
                        {"Name": "price", "Type": "double"}], [(0, entries)])

    def read(self, where):
        """(rows of the Iceberg table, rows of the same files as a Hive table, bytes scanned)."""
        a = athena()
        q = "SELECT item_id, name, price FROM {} WHERE " + where + " ORDER BY name"
        qe = a.execute(q.format("bounded"))
        _, rows, _ = a.results(qe["QueryExecutionId"])
        return rows[1:], a.select(q.format("bsrc")), qe["Statistics"]["DataScannedInBytes"]

    def assert_reads(self, where, groups):
        got, want, bytes_ = self.read(where)
        self.assertEqual(got, want, where)
        self.assertEqual(bytes_, sum(self.sizes[g] for g in groups), (where, groups))

    def test_bounds_prune_files_and_answers_stay(self):
        full = sum(self.sizes.values())
        self.assertEqual(scanned(athena(), "SELECT * FROM bounded"), full)
        # g4 has no metrics: always read. g3's item_id is NULL everywhere: no comparison reads it.
        self.assert_reads("item_id = 2", ["g1", "g4"])
        self.assert_reads("item_id < 10", ["g1", "g4"])
        self.assert_reads("item_id <= 10", ["g1", "g2", "g4"])
        self.assert_reads("item_id > 3", ["g2", "g4"])
        self.assert_reads("item_id >= 3", ["g1", "g2", "g4"])
        self.assert_reads("item_id BETWEEN 4 AND 9", ["g4"])
        self.assert_reads("item_id > 3 AND item_id < 12", ["g2", "g4"])
        self.assert_reads("3 < item_id", ["g2", "g4"])
        self.assert_reads("item_id IN (1, 11)", ["g1", "g2", "g4"])
        self.assert_reads("item_id IS NULL", ["g1", "g2", "g3", "g4"])

    def test_truncated_string_bounds(self):
        self.assert_reads(f"name = '{LONG_A}'", ["g2", "g4"])
        self.assert_reads(f"name >= '{LONG_A}zz'", ["g1", "g2", "g3", "g4"])
        self.assert_reads("name = 'abcdefghijklmnoq'", ["g2", "g4"])  # the upper bound itself
        self.assert_reads("name > 'abcdefghijklmnoq'", ["g1", "g3", "g4"])
        self.assert_reads("name >= 'cherry'", ["g1", "g3", "g4"])
        self.assert_reads("name > 'cherry'", ["g3", "g4"])
        self.assert_reads("name < 'b'", ["g1", "g2", "g4"])

    def test_nan_keeps_the_upper_bound_open(self):
        # g3 counts a NaN: its price upper bound says nothing of it (the engine orders NaN above numbers).
        self.assert_reads("price > 50", ["g3", "g4"])
        self.assert_reads("price < 4", ["g1", "g4"])
        self.assert_reads("price BETWEEN 11 AND 11.5", ["g2", "g3", "g4"])


class ManifestSummaryTests(unittest.TestCase):
    """A table partitioned by cat (identity) whose manifest list summarizes each manifest's partition values:
    a query whose range excludes a manifest does not read it. The second manifest is not there at all, so
    reading it fails the query: only the queries that must read it fail."""

    def test_manifests_skipped_by_partition_summaries(self):
        a = athena()
        a.execute(f"""CREATE TABLE msrc WITH (format='PARQUET', external_location='s3://{BUCKET}/msum/data/') AS
                      SELECT * FROM (VALUES (1, 'a'), (2, 'a')) AS t(item_id, cat)""")
        (url, size), = data_files("msum/data")
        location = f"s3://{BUCKET}/msum/ice"
        schema = {"type": "struct", "schema-id": 0, "fields": [
            {"id": 1, "name": "item_id", "required": False, "type": "int"},
            {"id": 2, "name": "cat", "required": False, "type": "string"}]}
        spec = [{"name": "cat", "transform": "identity", "source-id": 2, "field-id": 1000}]
        mschema = json.loads(json.dumps(MANIFEST_SCHEMA))
        mschema["fields"][4]["type"]["fields"][3]["type"]["fields"] = [field("cat", ["null", "string"], 1000)]
        e = entry(url, size, 2)
        e["data_file"]["partition"] = {"cat": "a"}
        body = avro_file(mschema, [e], per_block=1,
                         meta={"schema": json.dumps(schema), "partition-spec": json.dumps(spec),
                               "partition-spec-id": "0", "format-version": "2", "content": "data"})
        present = f"{location}/metadata/{uuid.uuid4()}-m1.avro"
        s3_put(present, body)
        missing = f"{location}/metadata/{uuid.uuid4()}-m2-never-written.avro"

        def listed(path, seq, lower, upper):
            return {"manifest_path": path, "manifest_length": len(body), "partition_spec_id": 0, "content": 0,
                    "sequence_number": seq, "min_sequence_number": seq, "added_snapshot_id": 9100 + seq,
                    "added_files_count": 1, "existing_files_count": 0, "deleted_files_count": 0,
                    "added_rows_count": 2, "existing_rows_count": 0, "deleted_rows_count": 0,
                    "partitions": [{"contains_null": False, "contains_nan": None, "lower_bound": lower,
                                    "upper_bound": upper}]}
        mlist = avro_file(LIST_SCHEMA, [listed(present, 1, b"a", b"a"), listed(missing, 2, b"x", b"z")],
                          per_block=2, meta={"snapshot-id": "9102", "sequence-number": "2", "format-version": "2"})
        lurl = f"{location}/metadata/snap-9102-{uuid.uuid4()}.avro"
        s3_put(lurl, mlist)
        md = {"format-version": 2, "table-uuid": str(uuid.uuid4()), "location": location,
              "last-sequence-number": 2, "last-updated-ms": 1700000000002, "last-column-id": 2,
              "current-schema-id": 0, "schemas": [schema], "default-spec-id": 0,
              "partition-specs": [{"spec-id": 0, "fields": spec}], "last-partition-id": 1000,
              "default-sort-order-id": 0, "sort-orders": [{"order-id": 0, "fields": []}],
              "properties": {"schema.name-mapping.default": json.dumps(
                  [{"field-id": 1, "names": ["item_id"]}, {"field-id": 2, "names": ["cat"]}])},
              "current-snapshot-id": 9102, "refs": {"main": {"snapshot-id": 9102, "type": "branch"}},
              "snapshots": [{"snapshot-id": 9102, "sequence-number": 2, "timestamp-ms": 1700000000002,
                             "manifest-list": lurl, "summary": {"operation": "append"}, "schema-id": 0}],
              "snapshot-log": [{"snapshot-id": 9102, "timestamp-ms": 1700000000002}], "metadata-log": []}
        meta_url = f"{location}/metadata/00001-{uuid.uuid4()}.metadata.json"
        s3_put(meta_url, json.dumps(md).encode())
        GLUE.create_table(DatabaseName=DB, TableInput={
            "Name": "summarized", "TableType": "EXTERNAL_TABLE",
            "Parameters": {"table_type": "ICEBERG", "metadata_location": meta_url},
            "StorageDescriptor": {"Location": location, "Columns": [{"Name": "item_id", "Type": "int"},
                                                                    {"Name": "cat", "Type": "string"}]}})
        for where in ("cat = 'a'", "cat < 'b'", "cat BETWEEN 'a' AND 'w'", "cat IN ('a', 'b')"):
            self.assertEqual(a.select(f"SELECT item_id FROM summarized WHERE {where} ORDER BY item_id"),
                             [["1"], ["2"]], where)
        self.assertEqual(a.select("SELECT item_id FROM summarized WHERE cat = 'w'"), [])
        for where in ("true", "cat >= 'x'", "cat = 'y'", "item_id = 1"):
            qe = a.execute(f"SELECT * FROM summarized WHERE {where}", expect="FAILED")
            self.assertIn("m2-never-written", qe["Status"]["StateChangeReason"], where)


class EqualityDeleteRenameTests(unittest.TestCase):
    def test_equality_deletes_follow_the_field_id(self):
        a = athena()
        a.execute(f"""CREATE TABLE esrc WITH (format='PARQUET', external_location='s3://{BUCKET}/eqdel/data/') AS
                      SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'a'), (4, 'c')) AS t(item_id, cat)""")
        a.execute(f"""CREATE TABLE edel WITH (format='PARQUET', external_location='s3://{BUCKET}/eqdel/del/') AS
                      SELECT * FROM (VALUES ('a')) AS t(cat)""")
        (data_url, data_size), = data_files("eqdel/data")
        (del_url, del_size), = data_files("eqdel/del")
        schema0 = {"type": "struct", "schema-id": 0, "fields": [
            {"id": 1, "name": "item_id", "required": False, "type": "int"},
            {"id": 2, "name": "cat", "required": False, "type": "string"}]}
        schema1 = {"type": "struct", "schema-id": 1, "fields": [
            {"id": 1, "name": "item_id", "required": False, "type": "int"},
            {"id": 2, "name": "category", "required": False, "type": "string"}]}
        deletes = entry(del_url, del_size, 1, content=2)
        deletes["data_file"]["equality_ids"] = [2]
        register_table("renamed_eq", f"s3://{BUCKET}/eqdel/ice", [schema0, schema1],
                       [{"Name": "item_id", "Type": "int"}, {"Name": "category", "Type": "string"}],
                       [(0, [entry(data_url, data_size, 4)]), (1, [deletes])])
        # The delete file says cat = 'a' (field 2, since renamed category): rows 1 and 3 stay deleted.
        self.assertEqual(a.select("SELECT item_id, category FROM renamed_eq ORDER BY item_id"),
                         [["2", "b"], ["4", "c"]])
        self.assertEqual(a.scalar("SELECT count(*) FROM renamed_eq WHERE category = 'a'"), "0")
        # Before the delete (time travel to the first snapshot) every row is there.
        self.assertEqual(a.scalar("SELECT count(*) FROM renamed_eq FOR VERSION AS OF 9001"), "4")


if __name__ == "__main__":
    unittest.main()
