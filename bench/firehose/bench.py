"""Firehose JSON -> Parquet conversion throughput: Cenote's Firehose path vs DuckDB converting the same JSON lines
directly (the physical limit of the engine Cenote uses), side by side in one run. Not a test: never fails on timing.

Cenote path: PutRecordBatch (500 records per call, 4 producer threads) into a DirectPut stream with
DataFormatConversionConfiguration (OpenXJsonSerDe -> ParquetSerDe against a Glue table), 128 MiB / 0 s buffering;
the clock stops when the Parquet objects hold every record (counted from the Parquet footers with DuckDB).
Direct path: DuckDB reads the same records from one JSON-lines file and writes Parquet (COPY ... FORMAT PARQUET).
Prints MB/s of JSON input for both and the ratio cenote/direct.

Usage: python3 bench.py PATH_TO_CENOTE [--mb N]
"""
import concurrent.futures
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e", "glue_athena"))
import harness  # noqa: E402
from duck import Duck  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/firehose"
COLUMNS = [("event_id", "bigint"), ("customer", "string"), ("amount", "double"), ("ts", "string"),
           ("page", "string"), ("ms", "int")]


def make_records(total_bytes):
    rnd = random.Random(7)
    out, size, i = [], 0, 0
    while size < total_bytes:
        rec = (json.dumps({"event_id": i, "customer": f"c{rnd.randrange(50)}", "amount": round(rnd.random() * 1000, 2),
                           "ts": f"2026-11-24T{rnd.randrange(24):02d}:{rnd.randrange(60):02d}:00Z",
                           "page": "/p/" + "x" * rnd.randrange(10, 80), "ms": rnd.randrange(5000)}) + "\n").encode()
        out.append(rec)
        size += len(rec)
        i += 1
    return out, size


def direct(records, tmp):
    src = os.path.join(tmp, "in.jsonl")
    with open(src, "wb") as f:
        f.writelines(records)
    cols = ", ".join(f"'{n}': '{'BIGINT' if t == 'bigint' else 'INTEGER' if t == 'int' else 'DOUBLE' if t == 'double' else 'VARCHAR'}'"
                     for n, t in COLUMNS)
    db = Duck()
    t0 = time.perf_counter()
    db.execute(f"COPY (SELECT * FROM read_json('{src}', format='newline_delimited', columns={{{cols}}})) "
               f"TO '{tmp}/out.parquet' (FORMAT PARQUET, COMPRESSION SNAPPY)")
    return time.perf_counter() - t0


def cenote(binary, records):
    os.environ["CENOTE_BIN"] = binary
    with harness.Server() as srv:
        fh = harness.boto3_client(srv, "firehose", parameter_validation=False)
        s3 = harness.boto3_client(srv, "s3")
        glue = harness.boto3_client(srv, "glue")
        s3.create_bucket(Bucket="fh-bench")
        glue.create_database(DatabaseInput={"Name": "bench"})
        glue.create_table(DatabaseName="bench", TableInput={
            "Name": "events", "TableType": "EXTERNAL_TABLE", "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in COLUMNS], "Location": "s3://fh-bench/out/",
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
        fh.create_delivery_stream(DeliveryStreamName="bench", DeliveryStreamType="DirectPut",
                                  ExtendedS3DestinationConfiguration={
                                      "RoleARN": ROLE, "BucketARN": "arn:aws:s3:::fh-bench", "Prefix": "out/",
                                      "ErrorOutputPrefix": "errors/",
                                      "BufferingHints": {"SizeInMBs": 128, "IntervalInSeconds": 0},
                                      "CompressionFormat": "UNCOMPRESSED",
                                      "DataFormatConversionConfiguration": {
                                          "Enabled": True,
                                          "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
                                          "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
                                          "SchemaConfiguration": {"DatabaseName": "bench", "TableName": "events",
                                                                  "RoleARN": ROLE, "Region": srv.region}}})
        deadline = time.monotonic() + 30
        while fh.describe_delivery_stream(DeliveryStreamName="bench")["DeliveryStreamDescription"][
                "DeliveryStreamStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise SystemExit("delivery stream not ACTIVE after 30 s")
            time.sleep(0.1)
        batches = [records[i:i + 500] for i in range(0, len(records), 500)]

        def put(batch):
            r = fh.put_record_batch(DeliveryStreamName="bench", Records=[{"Data": d} for d in batch])
            return r["FailedPutCount"]

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            failed = sum(pool.map(put, batches))
        put_s = time.perf_counter() - t0
        # Delivered when the Parquet objects hold every record (row counts from the footers).
        db = Duck()
        deadline = time.monotonic() + 600
        rows = 0
        while rows < len(records) - failed:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {rows} of {len(records)} records delivered after 600 s")
            keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket="fh-bench", Prefix="out/")
                    for o in p.get("Contents", [])]
            rows = 0
            for k in keys:
                path = os.path.join(srv.data_dir, "bench-dl.parquet")
                s3.download_file("fh-bench", k, path)
                rows += int(db.query(f"SELECT count(*) FROM read_parquet('{path}')")[0][0])
            if rows < len(records) - failed:
                time.sleep(0.05)
        total_s = time.perf_counter() - t0
        return put_s, total_s, failed


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    binary = sys.argv[1]
    mb = float(sys.argv[sys.argv.index("--mb") + 1]) if "--mb" in sys.argv else 64
    records, size = make_records(int(mb * 1024 * 1024))
    with tempfile.TemporaryDirectory() as tmp:
        d = direct(records, tmp)
    put_s, total_s, failed = cenote(binary, records)
    mbs = size / 1024 / 1024
    print(f"Firehose JSON -> Parquet: {len(records)} records, {mbs:.1f} MiB of JSON lines ({failed} failed puts)")
    print(f"  direct DuckDB (read_json -> COPY PARQUET): {d * 1000:8.0f} ms  {mbs / d:7.1f} MiB/s")
    print(f"  cenote Firehose (puts {put_s * 1000:.0f} ms, until delivered): {total_s * 1000:8.0f} ms  "
          f"{mbs / total_s:7.1f} MiB/s")
    print(f"  ratio cenote/direct: {d / total_s:.2f}x (the direct path does no HTTP, no base64, no fsync)")


if __name__ == "__main__":
    main()
