"""SerDes and file formats Athena reads, end to end with boto3: files written here from their specifications
(Avro object container files, Hadoop's snappy/LZ4 block framing, bzip2, zlib), uploaded to S3, bound with
CREATE EXTERNAL TABLE as Athena's documentation writes it, queried through Athena and compared with the values
Athena prints.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/glue_athena/test_serdes.py [-v]
"""

import bz2
import gzip
import json
import os
import shutil
import struct
import sys
import unittest
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import lake  # noqa: E402
from spec_writers import avro_file, snappy_literals, varint  # noqa: E402

SERVER = None
S3 = ATHENA = None
BUCKET = None
DB = None


def setUpModule():
    global SERVER, S3, ATHENA, BUCKET, DB
    SERVER = harness.Server()
    SERVER.start()
    S3 = harness.boto3_client(SERVER, "s3")
    ATHENA = harness.boto3_client(SERVER, "athena")
    BUCKET = f"serde-e2e-{uuid.uuid4().hex[:10]}"
    S3.create_bucket(Bucket=BUCKET)
    DB = f"serde_{uuid.uuid4().hex[:8]}"
    athena().execute(f"CREATE DATABASE {DB}", database="default")


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def athena():
    return lake.Athena(ATHENA, f"s3://{BUCKET}/athena-results/", DB)


def put(key, body):
    S3.put_object(Bucket=BUCKET, Key=key, Body=body)


# ------------------------------------------------------------------ codecs written from their specifications
def lz4_literals(data):
    """A valid LZ4 block of one literal-only sequence (lz4_Block_format.md)."""
    out = bytearray()
    n = len(data)
    if n < 15:
        out.append(n << 4)
    else:
        out.append(0xF0)
        rest = n - 15
        while rest >= 255:
            out.append(255)
            rest -= 255
        out.append(rest)
    return bytes(out) + data


def hadoop_blocks(data, compress, block=4000):
    """Hadoop's BlockCompressorStream: [decoded length][compressed length][compressed bytes] per block."""
    out = bytearray()
    for i in range(0, len(data), block):
        raw = data[i:i + block]
        c = compress(raw)
        out += struct.pack(">I", len(raw)) + struct.pack(">I", len(c)) + c
    return bytes(out)



AVRO_SCHEMA = {
    "type": "record", "name": "Flight", "namespace": "example",
    "fields": [
        {"name": "Id", "type": "long"},
        {"name": "carrier", "type": ["null", "string"]},
        {"name": "score", "type": "double"},
        {"name": "ratio", "type": "float"},
        {"name": "ok", "type": "boolean"},
        {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}},
        {"name": "raw", "type": "bytes"},
        {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 2}},
        {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "dt", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}},
        {"name": "nested", "type": {"type": "record", "name": "Inner",
                                   "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": ["null", "string"]}]}},
    ],
}


def flight(i):
    return {"Id": i, "carrier": None if i % 3 == 0 else f"C{i}", "score": i + 0.5, "ratio": 0.25, "ok": i % 2 == 0,
            "color": "GREEN" if i % 2 else "RED", "raw": bytes([i, 255]), "tag": b"\x0a\x0b", "price": -5 + i * 1001,
            "dt": 19000 + i, "ts": 1700000000123 + i * 1000, "tags": [f"t{i}", "u"] if i != 2 else [],
            "attrs": {"k": i}, "nested": {"x": i, "y": None}}


def flight_row(i):
    """flight(i) as Athena prints it."""
    price = -5 + i * 1001
    sign = "-" if price < 0 else ""
    price_text = f"{sign}{abs(price) // 100}.{abs(price) % 100:02d}"
    day = ["2022-01-08", "2022-01-09", "2022-01-10", "2022-01-11", "2022-01-12", "2022-01-13"][i]
    return [str(i), None if i % 3 == 0 else f"C{i}", str(i + 0.5), "0.25", "true" if i % 2 == 0 else "false",
            "GREEN" if i % 2 else "RED", f"{i:02x} ff", "0a 0b", price_text, day,
            f"2023-11-14 22:13:{20 + i:02d}.123", "[]" if i == 2 else f"[t{i}, u]", f"{{k={i}}}",
            f"{{x={i}, y=null}}"]


class AvroTables(unittest.TestCase):
    def test_avro_table_with_every_codec(self):
        codecs = ["null", "deflate", "snappy", "bzip2"] + (["zstandard"] if shutil.which("zstd") else [])
        records = {c: [] for c in codecs}
        for i in range(6):
            records[codecs[i % len(codecs)]].append(flight(i))
        for codec, recs in records.items():
            if recs:
                put(f"avro/flights/part-{codec}.avro", avro_file(AVRO_SCHEMA, recs, codec))
        a = athena()
        literal = json.dumps(AVRO_SCHEMA).replace("'", "\\'")
        a.execute(f"""
            CREATE EXTERNAL TABLE flights (
              id bigint, carrier string, score double, ratio float, ok boolean, color string, raw binary,
              tag binary, price decimal(10,2), dt date, ts timestamp, tags array<string>, attrs map<string,int>,
              nested struct<x:int,y:string>)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.avro.AvroSerDe'
            WITH SERDEPROPERTIES ('avro.schema.literal'='{literal}')
            STORED AS AVRO
            LOCATION 's3://{BUCKET}/avro/flights/'""")
        rows = a.select("SELECT * FROM flights ORDER BY id")
        self.assertEqual(rows, [flight_row(i) for i in range(6)])
        with_carrier = [i for i in range(6) if i % 3 != 0]
        cents = sum(-5 + i * 1001 for i in with_carrier)
        self.assertEqual(a.select("SELECT count(*), sum(price), max(dt) FROM flights WHERE carrier IS NOT NULL"),
                         [[str(len(with_carrier)), f"{cents // 100}.{cents % 100:02d}", "2022-01-13"]])

    def test_schema_literal_defaults_fill_fields_the_file_lacks(self):
        old = {"type": "record", "name": "R", "fields": [{"name": "id", "type": "long"}]}
        new = {"type": "record", "name": "R", "fields": [
            {"name": "id", "type": "long"},
            {"name": "region", "type": "string", "default": "eu"},
            {"name": "note", "type": ["null", "string"], "default": None}]}
        put("avro/evolved/old.avro", avro_file(old, [{"id": 1}], "deflate"))
        put("avro/evolved/new.avro", avro_file(new, [{"id": 2, "region": "us", "note": "x"}], "snappy"))
        a = athena()
        literal = json.dumps(new)
        a.execute(f"""CREATE EXTERNAL TABLE evolved (id bigint, region string, note string)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.avro.AvroSerDe'
            WITH SERDEPROPERTIES ('avro.schema.literal'='{literal}')
            STORED AS AVRO LOCATION 's3://{BUCKET}/avro/evolved/'""")
        self.assertEqual(a.select("SELECT id, region, note FROM evolved ORDER BY id"),
                         [["1", "eu", None], ["2", "us", "x"]])

    def test_corrupt_avro_file_fails_naming_it(self):
        data = bytearray(avro_file(AVRO_SCHEMA, [flight(1)], "null"))
        data[-1] ^= 0xFF  # the last sync marker
        put("avro/broken/part-0.avro", bytes(data))
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE broken (id bigint)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.avro.AvroSerDe' STORED AS AVRO
            LOCATION 's3://{BUCKET}/avro/broken/'""")
        qe = a.execute("SELECT * FROM broken", expect="FAILED")
        reason = qe["Status"]["StateChangeReason"]
        self.assertIn("HIVE_BAD_DATA", reason)
        self.assertIn(f"s3://{BUCKET}/avro/broken/part-0.avro", reason)


ORC_DIR = os.path.join(HERE, "..", "..", "unit", "services", "athena", "testdata", "orc")


class OrcTables(unittest.TestCase):
    """Files written by the Apache ORC writers (testdata/orc/README.md)."""

    def upload(self, name, prefix):
        with open(os.path.join(ORC_DIR, name), "rb") as f:
            put(f"{prefix}/{name}", f.read())

    def test_nested_types(self):
        self.upload("TestOrcFile.test1.orc", "orc/test1")
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE orc_test1 (
              boolean1 boolean, byte1 tinyint, short1 smallint, int1 int, long1 bigint, float1 float,
              double1 double, bytes1 binary, string1 string,
              middle struct<list:array<struct<int1:int,string1:string>>>,
              `list` array<struct<int1:int,string1:string>>,
              `map` map<string,struct<int1:int,string1:string>>)
            STORED AS ORC
            LOCATION 's3://{BUCKET}/orc/test1/'""")
        rows = a.select("SELECT * FROM orc_test1 ORDER BY byte1")
        self.assertEqual(rows[0], [
            "false", "1", "1024", "65536", "9223372036854775807", "1.0", "-15.0", "00 01 02 03 04", "hi",
            "{list=[{int1=1, string1=bye}, {int1=2, string1=sigh}]}",
            "[{int1=3, string1=good}, {int1=4, string1=bad}]", "{}"])
        self.assertEqual(rows[1][:9], ["true", "100", "2048", "65536", "9223372036854775807", "2.0", "-5.0", "",
                                       "bye"])
        self.assertEqual(a.select('SELECT "map"[\'chani\'].int1, cardinality("list") FROM orc_test1 WHERE byte1 = 100'),
                         [["5", "3"]])

    def test_primitive_types_and_serde_name(self):
        self.upload("over1k_bloom.orc", "orc/over1k")
        a = athena()
        # ORC columns are matched by name; this file's are _col0.._col10.
        a.execute(f"""CREATE EXTERNAL TABLE over1k (
              _col0 tinyint, _col1 smallint, _col2 int, _col3 bigint, _col4 float, _col5 double, _col6 boolean,
              _col7 string, _col8 timestamp, _col9 decimal(4,2), _col10 binary)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.orc.OrcSerde'
            STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat'
            OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.orc.OrcOutputFormat'
            LOCATION 's3://{BUCKET}/orc/over1k/'""")
        self.assertEqual(a.select("SELECT * FROM over1k WHERE _col2 = 65664 AND _col0 = 124 AND _col1 = 336"), [[
            "124", "336", "65664", "4294967435", "74.72", "42.47", "true", "bob davidson", "2013-03-01 09:11:58.703",
            "45.40", "01 79 61 72 64 20 64 75 74 79 02"]])
        self.assertEqual(a.select("SELECT count(*) FROM over1k"), [["2098"]])

    def test_columns_by_index_unless_the_serde_says_by_name(self):
        # Athena reads ORC by position by default: the table's names need not be the file's.
        self.upload("over1k_bloom.orc", "orc/byindex")
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE by_index (t tinyint, si smallint, i int)
            STORED AS ORC LOCATION 's3://{BUCKET}/orc/byindex/'""")
        self.assertEqual(a.select("SELECT t, si, i FROM by_index WHERE i = 65664 AND t = 124"),
                         [["124", "336", "65664"]])
        # orc.column.index.access=false: by name; a name the file lacks reads as NULL.
        a.execute(f"""CREATE EXTERNAL TABLE by_name (_col2 int, missing int)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.orc.OrcSerde'
            WITH SERDEPROPERTIES ('orc.column.index.access'='false')
            STORED AS ORC LOCATION 's3://{BUCKET}/orc/byindex/'""")
        self.assertEqual(a.select("SELECT count(*), count(missing), min(_col2) FROM by_name"),
                         [["2098", "0", "-10000"]])


    def test_decimal64_and_the_writers_time_zone(self):
        # Written here from the ORC specification: version 1.9999 (the Java writer's UNSTABLE-PRE-2.0) stores
        # decimal(10,2) as "decimal64" (signed RLE v2 unscaled values); timestamps count from 2015-01-01
        # 00:00:00 in the stripe's writerTimezone (America/Los_Angeles: summer and winter times).
        base = 1420099200  # 2015-01-01 00:00:00 PST
        put("orc/dec64/part-0.orc", orc_file(
            [(1, 1, rle_v2([12345, -5, 0], True)),
             (1, 2, rle_v2([1593630000 - base, 1610728200 - base, 0], True)),
             (5, 2, rle_v2([0, (123 << 3) | 5, 0], False))],
            rows=3, zone="America/Los_Angeles"))
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE orc_dec64 (d decimal(10,2), ts timestamp)
            STORED AS ORC LOCATION 's3://{BUCKET}/orc/dec64/'""")
        self.assertEqual(a.select("SELECT d, ts FROM orc_dec64 ORDER BY ts"), [
            ["0.00", "2015-01-01 00:00:00.000"], ["123.45", "2020-07-01 12:00:00.000"],
            ["-0.05", "2021-01-15 08:30:00.123"]])
        self.assertEqual(a.select("SELECT sum(d) FROM orc_dec64"), [["123.40"]])


# ORC written from the specification: uncompressed, one stripe, struct<d:decimal(10,2),ts:timestamp>.
def field(number, value):
    if isinstance(value, bytes):
        return varint(number << 3 | 2) + varint(len(value)) + value
    return varint(number << 3) + varint(value)


def rle_v2(values, signed):
    """Integer RLE v2, DIRECT with 64-bit values."""
    n = len(values) - 1
    out = bytearray([0x40 | (31 << 1) | ((n >> 8) & 1), n & 0xFF])
    for v in values:
        u = ((v << 1) ^ (v >> 63)) & (2 ** 64 - 1) if signed else v
        out += u.to_bytes(8, "big")
    return bytes(out)


def orc_file(streams, rows, zone):
    body = b"ORC"
    stripe_footer = b""
    for kind, column, data in streams:
        body += data
        stripe_footer += field(1, field(1, kind) + field(2, column) + field(3, len(data)))
    data_length = len(body) - 3
    for _ in range(3):
        stripe_footer += field(2, field(1, 2))  # DIRECT_V2
    stripe_footer += field(3, zone.encode())
    body += stripe_footer
    footer = field(1, 3) + field(2, len(body) - 3)
    footer += field(3, field(1, 3) + field(2, 0) + field(3, data_length) + field(4, len(stripe_footer)) +
                    field(5, rows))
    footer += field(4, field(1, 12) + field(2, varint(1) + varint(2)) + field(3, b"d") + field(3, b"ts"))
    footer += field(4, field(1, 14) + field(5, 10) + field(6, 2))
    footer += field(4, field(1, 9))
    footer += field(6, rows)
    body += footer
    postscript = (field(1, len(footer)) + field(2, 0) + field(3, 262144) + field(4, varint(1) + varint(9999)) +
                  field(5, 0) + field(8000, b"ORC"))
    return body + postscript + bytes([len(postscript)])


CSV_ROWS = [f"{i},name {i},{i * 10}\n" for i in range(1, 301)]
CSV_TEXT = "".join(CSV_ROWS).encode()


class CompressedText(unittest.TestCase):
    def table(self, name, prefix, extra=""):
        athena().execute(f"""CREATE EXTERNAL TABLE {name} (id int, name string, amount bigint)
            ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
            LOCATION 's3://{BUCKET}/{prefix}/' {extra}""")

    def test_codecs_by_extension(self):
        put("text/all/a.csv.gz", gzip.compress(CSV_TEXT))
        put("text/all/b.csv.bz2", bz2.compress(CSV_TEXT))
        put("text/all/c.csv.snappy", hadoop_blocks(CSV_TEXT, snappy_literals))
        put("text/all/d.csv.lz4", hadoop_blocks(CSV_TEXT, lz4_literals))
        put("text/all/e.csv.deflate", zlib.compress(CSV_TEXT))
        put("text/all/f.csv", CSV_TEXT)
        self.table("all_codecs", "text/all")
        self.assertEqual(athena().select("SELECT count(*), sum(amount), count(DISTINCT name) FROM all_codecs"),
                         [["1800", str(6 * sum(i * 10 for i in range(1, 301))), "300"]])

    def test_header_lines_skipped_in_compressed_files(self):
        body = b"id,name,amount\n" + CSV_TEXT
        put("text/header/a.csv.bz2", bz2.compress(body))
        put("text/header/b.csv.snappy", hadoop_blocks(body, snappy_literals))
        self.table("with_header", "text/header", "TBLPROPERTIES ('skip.header.line.count'='1')")
        self.assertEqual(athena().select("SELECT count(*), min(id) FROM with_header"), [["600", "1"]])

    def test_lzo_is_not_supported(self):
        put("text/lzo/a.csv.lzo", b"\x89LZO\x00\r\n\x1a\n")
        self.table("lzo_text", "text/lzo")
        qe = athena().execute("SELECT count(*) FROM lzo_text", expect="FAILED")
        self.assertIn("NOT_SUPPORTED", qe["Status"]["StateChangeReason"])
        self.assertIn("LZO", qe["Status"]["StateChangeReason"])

    def test_corrupt_bzip2_fails_naming_the_object(self):
        put("text/badbz/a.csv.bz2", b"BZh91AY&SY not bzip2 at all")
        self.table("bad_bzip2", "text/badbz")
        qe = athena().execute("SELECT count(*) FROM bad_bzip2", expect="FAILED")
        self.assertIn("HIVE_BAD_DATA", qe["Status"]["StateChangeReason"])
        self.assertIn(f"s3://{BUCKET}/text/badbz/a.csv.bz2", qe["Status"]["StateChangeReason"])


class DelimitedText(unittest.TestCase):
    def test_row_format_delimited_options(self):
        put("delim/t/data.txt",
            b"1|a\\|b|1,2,3|k1:10,k2:20|x,5|NA\n"
            b"2|NA|NA||y,NA|plain\n"
            b"3|c||k3:|z|\n")
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE delim (
              id int, s string, nums array<int>, m map<string,int>, st struct<a:string,b:int>, note string)
            ROW FORMAT DELIMITED
              FIELDS TERMINATED BY '|' ESCAPED BY '\\\\'
              COLLECTION ITEMS TERMINATED BY ','
              MAP KEYS TERMINATED BY ':'
              LINES TERMINATED BY '\\n'
              NULL DEFINED AS 'NA'
            LOCATION 's3://{BUCKET}/delim/t/'""")
        self.assertEqual(a.select("SELECT id, s, nums, m, st, note FROM delim ORDER BY id"), [
            ["1", "a|b", "[1, 2, 3]", "{k1=10, k2=20}", "{a=x, b=5}", None],
            ["2", None, None, "{}", "{a=y, b=null}", "plain"],
            ["3", "c", "[]", "{k3=null}", "{a=z, b=null}", ""],
        ])
        self.assertEqual(a.select("SELECT sum(n) FROM delim CROSS JOIN UNNEST(nums) AS t(n)"), [["6"]])

    def test_null_format_empty_and_default(self):
        # serialization.null.format '': an empty field is NULL (strings too); the default \\N keeps '' a string.
        put("delim/nulls/data.txt", b"1,,x\n2,\\N,\n,a,\\N\n")
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE empty_is_null (id int, s string, t string)
            ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' NULL DEFINED AS ''
            LOCATION 's3://{BUCKET}/delim/nulls/'""")
        self.assertEqual(a.select("SELECT id, s, t FROM empty_is_null ORDER BY s NULLS FIRST"), [
            ["1", None, "x"], ["2", "\\N", None], [None, "a", "\\N"]])
        a.execute(f"""CREATE EXTERNAL TABLE default_null (id int, s string, t string)
            ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
            LOCATION 's3://{BUCKET}/delim/nulls/'""")
        self.assertEqual(a.select("SELECT id, s, t FROM default_null ORDER BY id NULLS FIRST"), [
            [None, "a", None], ["1", "", "x"], ["2", None, ""]])
        self.assertEqual(a.select("SELECT count(*) FROM default_null WHERE s = ''"), [["1"]])

    def test_hive_default_separators(self):
        put("delim/hive/data", b"1\x01a\x02b\x01k\x03v\x02k2\x03w\n")
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE hive_default (id int, items array<string>, m map<string,string>)
            LOCATION 's3://{BUCKET}/delim/hive/'""")
        self.assertEqual(a.select("SELECT id, items, m['k2'] FROM hive_default"), [["1", "[a, b]", "w"]])


class OpenCsv(unittest.TestCase):
    def test_quotes_escapes_and_doubled_quotes(self):
        put("opencsv/t/data.csv",
            b'id;name;note\n'
            b'1;"he said ""hi""";plain\n'
            b'2;"semi;colon";"a \\" quote"\n'
            b'3;"";\n')
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE quoted (id string, name string, note string)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
            WITH SERDEPROPERTIES ('separatorChar'=';', 'quoteChar'='"', 'escapeChar'='\\\\')
            LOCATION 's3://{BUCKET}/opencsv/t/'
            TBLPROPERTIES ('skip.header.line.count'='1')""")
        self.assertEqual(a.select("SELECT id, name, note FROM quoted ORDER BY id"), [
            ["1", 'he said "hi"', "plain"],
            ["2", "semi;colon", 'a " quote'],
            ["3", "", ""],
        ])

    def test_single_quote_character(self):
        put("opencsv/single/data.csv", b"1,'it''s',x\n2,'a,b',y\n")
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE single_quoted (id string, name string, note string)
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
            WITH SERDEPROPERTIES ('quoteChar'='\\'')
            LOCATION 's3://{BUCKET}/opencsv/single/'""")
        self.assertEqual(a.select("SELECT id, name, note FROM single_quoted ORDER BY id"),
                         [["1", "it's", "x"], ["2", "a,b", "y"]])


class JsonSerDes(unittest.TestCase):
    LINES = (b'{"Id": 1, "UserName": "Ann", "@timestamp": "2024-01-02 03:04:05", "geo.city": "Oslo"}\n'
             b'{"id": 2, "username": "Bob", "@timestamp": "2024-01-03 00:00:00", "geo.city": "Rome"}\n')

    def test_openx_options(self):
        put("json/openx/a.json", self.LINES)
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE openx (id int, username string, ts timestamp, geo_city string)
            ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
            WITH SERDEPROPERTIES ('mapping.ts'='@timestamp', 'dots.in.keys'='true')
            LOCATION 's3://{BUCKET}/json/openx/'""")
        self.assertEqual(a.select("SELECT id, username, ts, geo_city FROM openx ORDER BY id"), [
            ["1", "Ann", "2024-01-02 03:04:05.000", "Oslo"],
            ["2", "Bob", "2024-01-03 00:00:00.000", "Rome"],
        ])

    def test_openx_case_sensitive(self):
        put("json/sensitive/a.json", self.LINES)
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE sensitive (id int, username string)
            ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
            WITH SERDEPROPERTIES ('case.insensitive'='false')
            LOCATION 's3://{BUCKET}/json/sensitive/'""")
        self.assertEqual(a.select("SELECT id, username FROM sensitive ORDER BY id NULLS FIRST"),
                         [[None, None], ["2", "Bob"]])

    def test_malformed_lines(self):
        put("json/malformed/a.json", b'{"id": 1}\nthis is not json\n{"id": 3}\n')
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE lenient (id int)
            ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
            WITH SERDEPROPERTIES ('ignore.malformed.json'='true')
            LOCATION 's3://{BUCKET}/json/malformed/'""")
        self.assertEqual(a.select("SELECT id FROM lenient ORDER BY id NULLS FIRST"), [[None], ["1"], ["3"]])
        a.execute(f"""CREATE EXTERNAL TABLE strict (id int)
            ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
            LOCATION 's3://{BUCKET}/json/malformed/'""")
        qe = a.execute("SELECT id FROM strict", expect="FAILED")
        self.assertIn("HIVE_", qe["Status"]["StateChangeReason"])

    def test_hive_json_serde(self):
        put("json/hive/a.json.bz2", bz2.compress(self.LINES))
        a = athena()
        a.execute(f"""CREATE EXTERNAL TABLE hive_json (id int, username string)
            ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
            LOCATION 's3://{BUCKET}/json/hive/'""")
        self.assertEqual(a.select("SELECT id, username FROM hive_json ORDER BY id"), [["1", "Ann"], ["2", "Bob"]])


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
