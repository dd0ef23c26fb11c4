"""Kinesis over CBOR (`Content-Type: application/x-amz-cbor-1.1`, the AWS Java SDK / KCL default) end to end:
raw HTTP requests signed with botocore's SigV4Auth, bodies in CBOR, answers (and errors) decoded from CBOR.
botocore itself only speaks JSON to Kinesis, so the CBOR coding here is a small RFC 8949 subset.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/kinesis/test_cbor.py [-v]
"""

import http.client
import os
import struct
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

SERVER = None
CBOR = "application/x-amz-cbor-1.1"


class Tag1:
    """A CBOR tag-1 epoch time, written as the Java SDK does: integer milliseconds."""

    def __init__(self, ms):
        self.ms = ms


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def encode(v):
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, Tag1):
        return b"\xc1" + encode(v.ms)
    if isinstance(v, int):
        return _head(0, v) if v >= 0 else _head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, bytes):
        return _head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return _head(3, len(b)) + b
    if isinstance(v, list):
        return _head(4, len(v)) + b"".join(encode(x) for x in v)
    if isinstance(v, dict):
        return _head(5, len(v)) + b"".join(encode(k) + encode(x) for k, x in v.items())
    raise TypeError(type(v))


def decode(data):
    def item(i):
        ib = data[i]
        major, info = ib >> 5, ib & 31
        i += 1
        if major == 7:
            if info == 20:
                return False, i
            if info == 21:
                return True, i
            if info in (22, 23):
                return None, i
            if info == 25:
                return struct.unpack(">e", data[i:i + 2])[0], i + 2
            if info == 26:
                return struct.unpack(">f", data[i:i + 4])[0], i + 4
            if info == 27:
                return struct.unpack(">d", data[i:i + 8])[0], i + 8
            raise ValueError(f"simple {info}")
        if info < 24:
            n = info
        else:
            size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
            n = int.from_bytes(data[i:i + size], "big")
            i += size
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major == 2:
            return bytes(data[i:i + n]), i + n
        if major == 3:
            return data[i:i + n].decode(), i + n
        if major == 4:
            out = []
            for _ in range(n):
                v, i = item(i)
                out.append(v)
            return out, i
        if major == 5:
            out = {}
            for _ in range(n):
                k, i = item(i)
                v, i = item(i)
                out[k] = v
            return out, i
        v, i = item(i)  # tag
        return (Tag1(v) if n == 1 else v), i

    v, end = item(0)
    assert end == len(data), "trailing bytes after the CBOR item"
    return v


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def call(operation, body, content_type=CBOR):
    """Sends one signed Kinesis request; returns (status, headers, decoded body)."""
    payload = body if isinstance(body, bytes) else encode(body)
    url = SERVER.endpoint + "/"
    req = AWSRequest(method="POST", url=url, data=payload,
                     headers={"Content-Type": content_type, "X-Amz-Target": f"Kinesis_20131202.{operation}"})
    SigV4Auth(Credentials(SERVER.access_key, SERVER.secret_key), "kinesis", SERVER.region).add_auth(req)
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("POST", "/", body=payload, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        raw = resp.read()
        headers = {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()
    if headers.get("content-type") == CBOR:
        return resp.status, headers, decode(raw)
    return resp.status, headers, raw


class CborTest(unittest.TestCase):
    def test_stream_put_get_in_cbor(self):
        name = f"cbor-{uuid.uuid4().hex[:8]}"
        status, headers, body = call("CreateStream", {"StreamName": name, "ShardCount": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], CBOR)
        for _ in range(100):
            status, _, d = call("DescribeStreamSummary", {"StreamName": name})
            self.assertEqual(status, 200, d)
            summary = d["StreamDescriptionSummary"]
            if summary["StreamStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        self.assertEqual(summary["StreamStatus"], "ACTIVE")
        # Timestamps come back as tag 1 + epoch milliseconds (what the Java SDK parses).
        self.assertIsInstance(summary["StreamCreationTimestamp"], Tag1)
        self.assertLess(abs(summary["StreamCreationTimestamp"].ms / 1000 - time.time()), 300)

        data = bytes(range(256))
        before_ms = int(time.time() * 1000) - 1000
        status, _, put = call("PutRecord", {"StreamName": name, "Data": data, "PartitionKey": "pk"})
        self.assertEqual(status, 200, put)
        self.assertEqual(put["ShardId"], "shardId-000000000000")
        status, _, put2 = call("PutRecords", {"StreamName": name, "Records": [
            {"Data": b"second", "PartitionKey": "a"}, {"Data": b"", "PartitionKey": "b"}]})
        self.assertEqual(status, 200, put2)
        self.assertEqual(put2["FailedRecordCount"], 0)

        status, _, it = call("GetShardIterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                                  "ShardIteratorType": "AT_TIMESTAMP",
                                                  "Timestamp": Tag1(before_ms)})
        self.assertEqual(status, 200, it)
        status, _, got = call("GetRecords", {"ShardIterator": it["ShardIterator"]})
        self.assertEqual(status, 200, got)
        records = got["Records"]
        self.assertEqual([r["Data"] for r in records], [data, b"second", b""])  # byte strings, not base64
        self.assertEqual(records[0]["SequenceNumber"], put["SequenceNumber"])
        self.assertIsInstance(records[0]["ApproximateArrivalTimestamp"], Tag1)
        self.assertGreaterEqual(records[0]["ApproximateArrivalTimestamp"].ms, before_ms)
        self.assertIn("NextShardIterator", got)
        call("DeleteStream", {"StreamName": name})

    def test_errors_are_cbor(self):
        status, headers, body = call("DescribeStreamSummary", {"StreamName": "no-such-stream-cbor"})
        self.assertEqual(status, 400)
        self.assertEqual(headers["content-type"], CBOR)
        self.assertEqual(body["__type"], "ResourceNotFoundException")
        self.assertIn("no-such-stream-cbor", body["message"])
        # Malformed CBOR and a non-map body.
        for bad in (b"\xa1\x61", b"\xff", b"\x83\x01\x02\x03"):
            status, headers, body = call("ListStreams", bad)
            self.assertEqual(status, 400)
            self.assertEqual(body["__type"], "SerializationException", bad)
        # A JSON request to the same server still gets JSON.
        status, headers, raw = call("ListStreams", b"{}", content_type="application/x-amz-json-1.1")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/x-amz-json-1.1")
        self.assertIn(b"StreamNames", raw)


if __name__ == "__main__":
    harness.main(server_holder=sys.modules[__name__])
