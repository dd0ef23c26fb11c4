"""Athena Iceberg tables end to end with boto3, the rest of the format: hidden partitioning bucket(N, col) and
truncate(W, col) (partition values checked against a MurmurHash3 x86_32 written here from the Iceberg spec's
Appendix B, pruning seen in DataScannedInBytes), ALTER TABLE CHANGE COLUMN renames and reorders (older files read
by field id), and tables Cenote did not write: an Avro writer here builds Iceberg metadata by hand over Parquet
files without field ids (the schema.name-mapping.default property maps them): a format-version 1 table (v1
manifests, no sequence numbers) and a format-version 2 table whose partition spec evolved (files of two specs).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_iceberg_evolution.py [-v]
"""

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
from test_iceberg import read_container  # noqa: E402  (an independent Avro reader)

LAKE = None
SERVER = None
S3 = GLUE = ATHENA = None
BUCKET = None
DB = None


def setUpModule():
    global LAKE, SERVER, S3, GLUE, ATHENA, BUCKET, DB
    LAKE = lake.ModuleLake("ice-evo", "evo")
    SERVER, S3, GLUE, ATHENA, BUCKET, DB = LAKE.server, LAKE.s3, LAKE.glue, LAKE.athena_client, LAKE.bucket, LAKE.db


def tearDownModule():
    if LAKE is not None:
        LAKE.close()


def athena():
    return LAKE.athena()


def s3_get(url):
    bucket, key = url[5:].split("/", 1)
    return S3.get_object(Bucket=bucket, Key=key)["Body"].read()


def s3_put(url, data):
    bucket, key = url[5:].split("/", 1)
    S3.put_object(Bucket=bucket, Key=key, Body=data)


# ------------------------------------------------------------------ Iceberg's 32-bit hash (spec Appendix B)
def murmur3_32(data):
    """MurmurHash3_x86_32 with seed 0, as a signed 32-bit int (Java's)."""
    c1, c2, h, mask = 0xCC9E2D51, 0x1B873593, 0, 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & mask

    n = len(data) // 4
    for i in range(n):
        k = struct.unpack_from("<I", data, 4 * i)[0]
        k = rotl((k * c1) & mask, 15) * c2 & mask
        h = (rotl(h ^ k, 13) * 5 + 0xE6546B64) & mask
    tail = data[4 * n:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= rotl((k * c1) & mask, 15) * c2 & mask
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def hash_long(v):
    return murmur3_32(struct.pack("<q", v))


def bucket(h, n):
    return (h & 0x7FFFFFFF) % n


def avro_container(schema, records, meta):
    """Iceberg metadata as an Avro file of one block (the spec-built writer in spec_writers.py)."""
    return avro_file(schema, records, per_block=max(len(records), 1), meta=meta)


def field(name, type_, fid):
    return {"name": name, "type": type_, "field-id": fid}


def manifest_schema(partition_fields, v2):
    data_file = [field("file_path", "string", 100), field("file_format", "string", 101),
                 field("partition", {"type": "record", "name": "r102", "fields": partition_fields}, 102),
                 field("record_count", "long", 103), field("file_size_in_bytes", "long", 104)]
    if v2:
        data_file.insert(0, field("content", "int", 134))
    else:
        data_file.append(field("block_size_in_bytes", "long", 105))
    fields = [field("status", "int", 0),
              field("snapshot_id", ["null", "long"] if v2 else "long", 1)]
    if v2:
        fields += [field("sequence_number", ["null", "long"], 3), field("file_sequence_number", ["null", "long"], 4)]
    fields.append(field("data_file", {"type": "record", "name": "r2", "fields": data_file}, 2))
    return {"type": "record", "name": "manifest_entry", "fields": fields}


def manifest_list_schema(v2):
    fields = [field("manifest_path", "string", 500), field("manifest_length", "long", 501),
              field("partition_spec_id", "int", 502)]
    if v2:
        fields += [field("content", "int", 517), field("sequence_number", "long", 515),
                   field("min_sequence_number", "long", 516)]
    fields += [field("added_snapshot_id", "long", 503), field("added_files_count", "int", 504),
               field("existing_files_count", "int", 505), field("deleted_files_count", "int", 506),
               field("added_rows_count", "long", 512), field("existing_rows_count", "long", 513),
               field("deleted_rows_count", "long", 514)]
    return {"type": "record", "name": "manifest_file", "fields": fields}


def data_files(prefix):
    """(s3 url, size) of the Parquet files under s3://BUCKET/prefix/."""
    listed = S3.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")["Contents"]
    return [(f"s3://{BUCKET}/{o['Key']}", o["Size"]) for o in listed if not o["Key"].endswith("/")]


class BucketPartitioningTests(unittest.TestCase):
    def test_spec_vectors_of_this_hash(self):
        """The reference used below is itself right: Appendix B's values."""
        self.assertEqual(hash_long(34), 2017239379)
        self.assertEqual(murmur3_32(b"iceberg"), 1210000089)
        self.assertEqual(murmur3_32(bytes([0, 1, 2, 3])), -188683207)
        self.assertEqual(hash_long(17486), -653330422)  # date 2017-11-16
        self.assertEqual(hash_long(1510871468000000), -2047944441)  # timestamp 2017-11-16T22:31:08
        self.assertEqual(murmur3_32(bytes.fromhex("058c")), -500754589)  # decimal 14.20: unscaled 1420

    def test_bucket_and_truncate_partitions_and_pruning(self):
        a = athena()
        location = f"s3://{BUCKET}/warehouse/bk"
        a.execute(f"""CREATE TABLE bk (id bigint, name string, amount decimal(9,2))
                      PARTITIONED BY (bucket(16, id), truncate(3, name))
                      LOCATION '{location}' TBLPROPERTIES ('table_type'='ICEBERG')""")
        rows = [(i, f"name{i % 5}", f"{i}.25") for i in range(1, 41)]
        a.execute("INSERT INTO bk VALUES " + ", ".join(f"({i}, '{n}', {d})" for i, n, d in rows))
        # Every data file's partition, as the manifests say, is the spec's bucket of its rows' ids.
        md = json.loads(s3_get(GLUE.get_table(DatabaseName=DB, Name="bk")["Table"]["Parameters"]["metadata_location"]))
        self.assertEqual([(f["name"], f["transform"]) for f in md["partition-specs"][0]["fields"]],
                         [("id_bucket", "bucket[16]"), ("name_trunc", "truncate[3]")])
        snap = [s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]][0]
        _, _, manifests = read_container(s3_get(snap["manifest-list"]))
        expected = {}
        for i, n, _ in rows:
            key = (bucket(hash_long(i), 16), n[:3])
            expected[key] = expected.get(key, 0) + 1
        seen = {}
        for m in manifests:
            _, _, entries = read_container(s3_get(m["manifest_path"]))
            for e in entries:
                p = e["data_file"]["partition"]
                key = (p["id_bucket"], p["name_trunc"])
                seen[key] = seen.get(key, 0) + e["data_file"]["record_count"]
                self.assertIn(f"id_bucket={p['id_bucket']}/name_trunc={p['name_trunc']}/", e["data_file"]["file_path"])
        self.assertEqual(seen, expected)
        # Reads prune by bucket on id = literal.
        full = a.execute("SELECT * FROM bk")["Statistics"]["DataScannedInBytes"]
        one = a.execute("SELECT * FROM bk WHERE id = 34")["Statistics"]["DataScannedInBytes"]
        self.assertGreater(one, 0)
        self.assertLess(one * 4, full, (one, full))
        self.assertEqual(a.select("SELECT id, name, amount FROM bk WHERE id = 34"), [["34", "name4", "34.25"]])
        self.assertEqual(a.select("SELECT id FROM bk WHERE id IN (7, 8) ORDER BY id"), [["7"], ["8"]])
        self.assertEqual(a.scalar("SELECT count(*) FROM bk WHERE name = 'name1'"), "8")
        self.assertEqual(a.scalar("SELECT count(*) FROM bk WHERE id > 20"), "20")
        files = a.select('SELECT partition FROM "bk$files" WHERE partition LIKE \'{id_bucket=' +
                         str(bucket(hash_long(34), 16)) + ', %\'')
        self.assertTrue(files)


class RenameTests(unittest.TestCase):
    def test_rename_reorder_and_readd(self):
        a = athena()
        a.execute(f"""CREATE TABLE rn (id int, comment string, score double)
                      LOCATION 's3://{BUCKET}/warehouse/rn' TBLPROPERTIES ('table_type'='ICEBERG')""")
        a.execute("INSERT INTO rn VALUES (1, 'first', 1.5), (2, 'second', 2.5)")
        a.execute("ALTER TABLE rn CHANGE comment blog_comment string AFTER score")
        a.execute("INSERT INTO rn VALUES (3, 3.5, 'third')")
        self.assertEqual(a.select("SELECT * FROM rn ORDER BY id"),
                         [["1", "1.5", "first"], ["2", "2.5", "second"], ["3", "3.5", "third"]])
        cols = GLUE.get_table(DatabaseName=DB, Name="rn")["Table"]["StorageDescriptor"]["Columns"]
        self.assertEqual([c["Name"] for c in cols], ["id", "score", "blog_comment"])
        md = json.loads(s3_get(GLUE.get_table(DatabaseName=DB, Name="rn")["Table"]["Parameters"]["metadata_location"]))
        current = [s for s in md["schemas"] if s["schema-id"] == md["current-schema-id"]][0]
        self.assertEqual([(f["id"], f["name"]) for f in current["fields"]], [(1, "id"), (3, "score"), (2, "blog_comment")])
        # Dropped and added again: a new field id; the old values stay gone.
        a.execute("ALTER TABLE rn DROP COLUMN blog_comment")
        a.execute("ALTER TABLE rn ADD COLUMNS (blog_comment string)")
        self.assertEqual(a.select("SELECT id, blog_comment FROM rn ORDER BY id"),
                         [["1", None], ["2", None], ["3", None]])
        self.assertEqual(a.select("SELECT id FROM rn FOR VERSION AS OF " + str(md["current-snapshot-id"]) +
                                  " WHERE score > 2 ORDER BY id"), [["2"], ["3"]])
        qe = a.execute("ALTER TABLE rn REPLACE COLUMNS (id int)", expect="FAILED")
        self.assertIn("NOT_SUPPORTED", qe["Status"]["StateChangeReason"])
        qe = a.execute("ALTER TABLE rn CHANGE id score int", expect="FAILED")
        self.assertIn("ALREADY_EXISTS", qe["Status"]["StateChangeReason"])


class ForeignTableTests(unittest.TestCase):
    """Iceberg tables another writer made: metadata, manifest lists and manifests written here, data files
    without field ids (a Hive CTAS wrote them) mapped by schema.name-mapping.default."""

    @classmethod
    def setUpClass(cls):
        a = athena()
        # Spec-1 rows: ids in bucket 2 of bucket[4] (so a file's rows match its partition value).
        cls.b2 = [i for i in range(100, 200) if bucket(hash_long(i), 4) == 2][:3]
        values = ["(1, 'a', 'ga')", "(2, 'b', 'gb')", "(3, 'a', 'ga')"] + \
                 [f"({i}, 'z', 'g2')" for i in cls.b2]
        a.execute(f"""CREATE TABLE src WITH (format='PARQUET', external_location='s3://{BUCKET}/foreign/src/',
                      partitioned_by=ARRAY['grp']) AS
                      SELECT * FROM (VALUES {', '.join(values)}) AS t(item_id, cat, grp)""")
        cls.files = {g: data_files(f"foreign/src/grp={g}") for g in ("ga", "gb", "g2")}
        cls.counts = {"ga": 2, "gb": 1, "g2": len(cls.b2)}

    def schema(self):
        return {"type": "struct", "schema-id": 0,
                "fields": [{"id": 1, "name": "item_id", "required": False, "type": "long"},
                           {"id": 2, "name": "cat", "required": False, "type": "string"}]}

    def register(self, name, location, md, second="cat"):
        meta_url = f"{location}/metadata/00001-{uuid.uuid4()}.metadata.json"
        s3_put(meta_url, json.dumps(md).encode())
        GLUE.create_table(DatabaseName=DB, TableInput={
            "Name": name, "TableType": "EXTERNAL_TABLE",
            "Parameters": {"table_type": "ICEBERG", "metadata_location": meta_url},
            "StorageDescriptor": {"Location": location,
                                  "Columns": [{"Name": "item_id", "Type": "bigint"}, {"Name": second, "Type": "string"}]}})

    def test_format_version_1_table(self):
        location = f"s3://{BUCKET}/foreign/v1"
        spec_fields = [{"name": "cat", "transform": "identity", "source-id": 2, "field-id": 1000}]
        part_schema = [field("cat", ["null", "string"], 1000)]
        snapshot = 7001
        entries = []
        for g, cat in (("ga", "a"), ("gb", "b")):
            for url, size in self.files[g]:
                entries.append({"status": 1, "snapshot_id": snapshot,
                                "data_file": {"file_path": url, "file_format": "PARQUET", "partition": {"cat": cat},
                                              "record_count": self.counts[g], "file_size_in_bytes": size,
                                              "block_size_in_bytes": 67108864}})
        manifest = avro_container(manifest_schema(part_schema, False), entries,
                                  {"schema": json.dumps(self.schema()), "partition-spec": json.dumps(spec_fields),
                                   "format-version": "1"})
        murl = f"{location}/metadata/{uuid.uuid4()}-m0.avro"
        s3_put(murl, manifest)
        mlist = avro_container(manifest_list_schema(False), [{
            "manifest_path": murl, "manifest_length": len(manifest), "partition_spec_id": 0,
            "added_snapshot_id": snapshot, "added_files_count": len(entries), "existing_files_count": 0,
            "deleted_files_count": 0, "added_rows_count": 3, "existing_rows_count": 0, "deleted_rows_count": 0}],
            {"snapshot-id": str(snapshot), "format-version": "1"})
        lurl = f"{location}/metadata/snap-{snapshot}-1-{uuid.uuid4()}.avro"
        s3_put(lurl, mlist)
        # An older snapshot in v1's other form: its manifests listed in the metadata, no manifest list.
        first = [e for e in entries if e["data_file"]["partition"]["cat"] == "a"]
        old_manifest = avro_container(manifest_schema(part_schema, False), [dict(e, snapshot_id=7000) for e in first],
                                      {"schema": json.dumps(self.schema()), "partition-spec": json.dumps(spec_fields),
                                       "partition-spec-id": "0", "format-version": "1"})
        old_url = f"{location}/metadata/{uuid.uuid4()}-m-old.avro"
        s3_put(old_url, old_manifest)
        md = {"format-version": 1, "table-uuid": str(uuid.uuid4()), "location": location,
              "last-updated-ms": 1700000000000, "last-column-id": 2, "schema": self.schema(),
              "partition-spec": spec_fields, "properties": {
                  "schema.name-mapping.default": json.dumps([{"field-id": 1, "names": ["item_id"]},
                                                             {"field-id": 2, "names": ["cat"]}])},
              "current-snapshot-id": snapshot,
              "snapshots": [{"snapshot-id": 7000, "timestamp-ms": 1690000000000, "manifests": [old_url],
                             "summary": {"operation": "append"}},
                            {"snapshot-id": snapshot, "parent-snapshot-id": 7000, "timestamp-ms": 1700000000000,
                             "manifest-list": lurl, "summary": {"operation": "append"}}],
              "snapshot-log": [{"snapshot-id": 7000, "timestamp-ms": 1690000000000},
                               {"snapshot-id": snapshot, "timestamp-ms": 1700000000000}]}
        self.register("foreign_v1", location, md)
        a = athena()
        self.assertEqual(a.select("SELECT item_id, cat FROM foreign_v1 ORDER BY item_id"),
                         [["1", "a"], ["2", "b"], ["3", "a"]])
        self.assertEqual(a.select("SELECT item_id FROM foreign_v1 WHERE cat = 'b'"), [["2"]])
        full = a.execute("SELECT * FROM foreign_v1")["Statistics"]["DataScannedInBytes"]
        pruned = a.execute("SELECT * FROM foreign_v1 WHERE cat = 'b'")["Statistics"]["DataScannedInBytes"]
        self.assertLess(pruned, full)
        self.assertEqual(a.select('SELECT snapshot_id FROM "foreign_v1$snapshots" ORDER BY committed_at'),
                         [["7000"], [str(snapshot)]])
        self.assertEqual(a.select("SELECT item_id FROM foreign_v1 FOR VERSION AS OF 7000 ORDER BY item_id"),
                         [["1"], ["3"]])

    def test_format_version_2_table_with_evolved_partitioning(self):
        location = f"s3://{BUCKET}/foreign/v2"
        spec0 = [{"name": "cat", "transform": "identity", "source-id": 2, "field-id": 1000}]
        spec1 = [{"name": "item_id_bucket", "transform": "bucket[4]", "source-id": 1, "field-id": 1001}]
        manifests = []
        for seq, (spec_id, groups, part_schema, partition) in enumerate([
                (0, ("ga", "gb"), [field("cat", ["null", "string"], 1000)], lambda g: {"cat": g[1]}),
                (1, ("g2",), [field("item_id_bucket", ["null", "int"], 1001)], lambda g: {"item_id_bucket": 2})],
                start=1):
            snapshot = 8000 + seq
            entries = [{"status": 1, "snapshot_id": None, "sequence_number": None, "file_sequence_number": None,
                        "data_file": {"content": 0, "file_path": url, "file_format": "PARQUET",
                                      "partition": partition(g), "record_count": self.counts[g],
                                      "file_size_in_bytes": size}}
                       for g in groups for url, size in self.files[g]]
            body = avro_container(manifest_schema(part_schema, True), entries,
                                  {"schema": json.dumps(self.schema()),
                                   "partition-spec": json.dumps(spec0 if spec_id == 0 else spec1),
                                   "partition-spec-id": str(spec_id), "format-version": "2", "content": "data"})
            murl = f"{location}/metadata/{uuid.uuid4()}-m{seq}.avro"
            s3_put(murl, body)
            manifests.append({"manifest_path": murl, "manifest_length": len(body), "partition_spec_id": spec_id,
                              "content": 0, "sequence_number": seq, "min_sequence_number": seq,
                              "added_snapshot_id": snapshot, "added_files_count": len(entries),
                              "existing_files_count": 0, "deleted_files_count": 0,
                              "added_rows_count": sum(self.counts[g] for g in groups), "existing_rows_count": 0,
                              "deleted_rows_count": 0})
        renamed = {"type": "struct", "schema-id": 1,
                   "fields": [{"id": 1, "name": "item_id", "required": False, "type": "long"},
                              {"id": 2, "name": "category", "required": False, "type": "string"}]}
        snapshots, log = [], []
        for seq in (1, 2):
            snapshot = 8000 + seq
            mlist = avro_container(manifest_list_schema(True), manifests[:seq],
                                   {"snapshot-id": str(snapshot), "sequence-number": str(seq), "format-version": "2"})
            lurl = f"{location}/metadata/snap-{snapshot}-{uuid.uuid4()}.avro"
            s3_put(lurl, mlist)
            snap = {"snapshot-id": snapshot, "sequence-number": seq, "timestamp-ms": 1700000000000 + seq,
                    "manifest-list": lurl, "summary": {"operation": "append"}, "schema-id": 0}
            if seq == 2:
                snap["parent-snapshot-id"] = 8001
            snapshots.append(snap)
            log.append({"snapshot-id": snapshot, "timestamp-ms": 1700000000000 + seq})
        md = {"format-version": 2, "table-uuid": str(uuid.uuid4()), "location": location,
              "last-sequence-number": 2, "last-updated-ms": 1700000000002, "last-column-id": 2,
              # cat was renamed category since the files were written: they are matched by field id, through
              # the name mapping (they carry no field ids).
              "current-schema-id": 1, "schemas": [self.schema(), renamed],
              "default-spec-id": 1, "partition-specs": [{"spec-id": 0, "fields": spec0},
                                                         {"spec-id": 1, "fields": spec1}],
              "last-partition-id": 1001, "default-sort-order-id": 0,
              "sort-orders": [{"order-id": 0, "fields": []}],
              "properties": {"schema.name-mapping.default": json.dumps(
                  [{"field-id": 1, "names": ["item_id"]}, {"field-id": 2, "names": ["cat"]}])},
              "current-snapshot-id": 8002, "refs": {"main": {"snapshot-id": 8002, "type": "branch"}},
              "snapshots": snapshots, "snapshot-log": log, "metadata-log": []}
        self.register("foreign_v2", location, md, second="category")
        a = athena()
        want = sorted([["1", "a"], ["2", "b"], ["3", "a"]] + [[str(i), "z"] for i in self.b2], key=lambda r: int(r[0]))
        self.assertEqual(a.select("SELECT item_id, category FROM foreign_v2 ORDER BY item_id"), want)
        self.assertEqual(a.select(f"SELECT category FROM foreign_v2 WHERE item_id = {self.b2[0]}"), [["z"]])
        self.assertEqual(a.select("SELECT item_id FROM foreign_v2 WHERE category = 'a' ORDER BY item_id"),
                         [["1"], ["3"]])
        # Pruning per spec: category = 'b' skips spec 0's other partition but keeps spec 1's file (no cat field);
        # item_id = <bucket 2 id> keeps spec 0's files (no bucket field) and spec 1's only bucket.
        full = a.execute("SELECT * FROM foreign_v2")["Statistics"]["DataScannedInBytes"]
        by_cat = a.execute("SELECT * FROM foreign_v2 WHERE category = 'b'")["Statistics"]["DataScannedInBytes"]
        other_bucket = next(i for i in range(1000) if bucket(hash_long(i), 4) != 2)
        by_id = a.execute(f"SELECT * FROM foreign_v2 WHERE item_id = {other_bucket}")["Statistics"]["DataScannedInBytes"]
        sizes = {g: sum(s for _, s in self.files[g]) for g in self.files}
        self.assertEqual(full, sum(sizes.values()))
        self.assertEqual(by_cat, sizes["gb"] + sizes["g2"])
        self.assertEqual(by_id, sizes["ga"] + sizes["gb"])
        self.assertEqual(sorted(a.select('SELECT DISTINCT spec_id FROM "foreign_v2$files"')), [["0"], ["1"]])
        self.assertEqual(a.scalar("SELECT count(*) FROM foreign_v2 FOR VERSION AS OF 8001"), "3")

        # Row-level changes on files of both specs: a position delete file carries the spec and partition of the
        # data files it names, new rows go under the default spec (1); OPTIMIZE rewrites every file into it.
        def changed(sql):
            qe = a.execute(sql)
            return a.client.get_query_results(QueryExecutionId=qe["QueryExecutionId"])["UpdateCount"]

        self.assertEqual(changed("DELETE FROM foreign_v2 WHERE item_id = 1"), 1)
        self.assertEqual(changed(f"UPDATE foreign_v2 SET category = 'u' WHERE item_id IN (2, {self.b2[0]})"), 2)
        self.assertEqual(changed("""MERGE INTO foreign_v2 t USING (VALUES (3, 'm'), (999, 'n')) AS s(id, c)
                                    ON t.item_id = s.id WHEN MATCHED THEN UPDATE SET category = s.c
                                    WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.c)"""), 2)
        after = sorted([["2", "u"], ["3", "m"], [str(self.b2[0]), "u"], ["999", "n"]]
                       + [[str(i), "z"] for i in self.b2[1:]], key=lambda r: int(r[0]))
        self.assertEqual(a.select("SELECT item_id, category FROM foreign_v2 ORDER BY item_id"), after)
        deletes = sorted(a.select('SELECT spec_id, partition, record_count FROM "foreign_v2$files" '
                                  "WHERE content = 1"))
        self.assertEqual(deletes, [["0", "{cat=a}", "1"], ["0", "{cat=a}", "1"], ["0", "{cat=b}", "1"],
                                   ["1", "{item_id_bucket=2}", "1"]])
        self.assertEqual(sorted(a.select('SELECT DISTINCT spec_id FROM "foreign_v2$files" WHERE content = 0')),
                         [["0"], ["1"]])
        # Each delete manifest is of one spec, written with that spec's partition fields.
        t = GLUE.get_table(DatabaseName=DB, Name="foreign_v2")["Table"]
        md = json.loads(s3_get(t["Parameters"]["metadata_location"]))
        snap = [s for s in md["snapshots"] if s["snapshot-id"] == md["current-snapshot-id"]][0]
        _, _, listed = read_container(s3_get(snap["manifest-list"]))
        for m in listed:
            if m["content"] != 1:
                continue
            mmeta, _, entries = read_container(s3_get(m["manifest_path"]))
            self.assertEqual(mmeta["partition-spec-id"], str(m["partition_spec_id"]).encode())
            for e in entries:
                self.assertEqual(set(e["data_file"]["partition"]),
                                 {"cat"} if m["partition_spec_id"] == 0 else {"item_id_bucket"})
        self.assertEqual(a.scalar("SELECT count(*) FROM foreign_v2 FOR VERSION AS OF 8002"), str(3 + len(self.b2)))

        a.execute("OPTIMIZE foreign_v2 REWRITE DATA USING BIN_PACK")
        self.assertEqual(a.select("SELECT item_id, category FROM foreign_v2 ORDER BY item_id"), after)
        self.assertEqual(a.select('SELECT DISTINCT content, spec_id FROM "foreign_v2$files"'), [["0", "1"]])
        buckets = {r[0] for r in a.select('SELECT partition FROM "foreign_v2$files"')}
        self.assertEqual(buckets, {f"{{item_id_bucket={bucket(hash_long(i), 4)}}}" for i in
                                   [2, 3, 999] + self.b2})


if __name__ == "__main__":
    unittest.main()
