"""Writers built from the formats' specifications, for end-to-end tests that need files Cenote did not write:
unsigned varints (protobuf, ORC, snappy), snappy blocks of literals only, and Avro (1.11) datums and object
container files. Independent of Cenote's own code by design: a test reading these checks Cenote against the
specification, not against itself. Standard library only.
"""

import bz2
import json
import os
import struct
import subprocess
import zlib


def varint(v):
    """An unsigned base-128 varint (least significant group first)."""
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def snappy_literals(data):
    """A valid snappy block made of literals only (format_description.txt): varint length, literal elements."""
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        if len(chunk) <= 60:
            out.append((len(chunk) - 1) << 2)
        else:
            out.append(61 << 2)
            out += struct.pack("<H", len(chunk) - 1)
        out += chunk
    return bytes(out)


# ------------------------------------------------------------------ Avro (specification 1.11)
def zigzag(n):
    """Avro's int and long: zig-zag, then a varint."""
    return varint((n << 1) ^ (n >> 63))


def avro_bytes(b):
    return zigzag(len(b)) + b


def encode(schema, value, named):
    """The binary encoding of `value` under `schema`; a record's missing field is encoded as None (null)."""
    if isinstance(schema, str):
        if schema in named:
            return encode(named[schema], value, named)
        if schema == "null":
            return b""
        if schema == "boolean":
            return b"\x01" if value else b"\x00"
        if schema in ("int", "long"):
            return zigzag(value)
        if schema == "float":
            return struct.pack("<f", value)
        if schema == "double":
            return struct.pack("<d", value)
        if schema == "string":
            return avro_bytes(value.encode())
        if schema == "bytes":
            return avro_bytes(value)
        raise ValueError(schema)
    if isinstance(schema, list):  # union: the first branch that fits
        for i, branch in enumerate(schema):
            if (value is None) == (branch == "null"):
                return zigzag(i) + encode(branch, value, named)
        raise ValueError("no branch")
    t = schema["type"]
    if "name" in schema and t in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
    if t == "record":
        return b"".join(encode(f["type"], value.get(f["name"]), named) for f in schema["fields"])
    if t == "enum":
        return zigzag(schema["symbols"].index(value))
    if t == "array":
        return (zigzag(len(value)) + b"".join(encode(schema["items"], v, named) for v in value) + b"\x00"
                if value else b"\x00")
    if t == "map":
        return (zigzag(len(value)) + b"".join(avro_bytes(k.encode()) + encode(schema["values"], v, named)
                                              for k, v in value.items()) + b"\x00" if value else b"\x00")
    if t == "fixed":
        return value
    if t == "bytes" and schema.get("logicalType") == "decimal":
        unscaled = value
        length = max(1, (unscaled.bit_length() + 8) // 8)
        return avro_bytes(unscaled.to_bytes(length, "big", signed=True))
    return encode(t, value, named)


def avro_file(schema, records, codec="null", per_block=2, meta=None):
    """An object container file: `per_block` records a block, compressed with `codec` (null, deflate, snappy,
    bzip2, zstandard), with `meta` (str or bytes values) in the header besides the schema and the codec."""
    sync = os.urandom(16)
    header = {k: v if isinstance(v, bytes) else v.encode() for k, v in (meta or {}).items()}
    header.update({"avro.schema": json.dumps(schema).encode(), "avro.codec": codec.encode()})
    out = bytearray(b"Obj\x01")
    out += zigzag(len(header)) + b"".join(avro_bytes(k.encode()) + avro_bytes(v) for k, v in header.items())
    out += b"\x00" + sync
    for i in range(0, len(records), per_block):
        block_records = records[i:i + per_block]
        raw = b"".join(encode(schema, r, {}) for r in block_records)
        if codec == "deflate":
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            data = c.compress(raw) + c.flush()
        elif codec == "snappy":
            data = snappy_literals(raw) + struct.pack(">I", zlib.crc32(raw))
        elif codec == "bzip2":
            data = bz2.compress(raw)
        elif codec == "zstandard":
            data = subprocess.run(["zstd", "-q", "-c"], input=raw, capture_output=True, check=True).stdout
        else:
            data = raw
        out += zigzag(len(block_records)) + zigzag(len(data)) + data + sync
    return bytes(out)
