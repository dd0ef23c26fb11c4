"""Independent reference computations for the e2e tests (standard library only): S3 checksums, ETags."""

import base64
import hashlib
import struct
import zlib


def _reflected_table(poly, width):
    mask = (1 << width) - 1
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c & mask)
    return table


_CRC32C_TABLE = _reflected_table(0x82F63B78, 32)
_CRC64NVME_TABLE = _reflected_table(0x9A6C9329AC4BC9B5, 64)


def crc32c(data):
    c = 0xFFFFFFFF
    t = _CRC32C_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc64nvme(data):
    c = 0xFFFFFFFFFFFFFFFF
    t = _CRC64NVME_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFFFFFFFFFF


def b64(raw):
    return base64.b64encode(raw).decode()


def checksum(algorithm, data):
    """The base64 value S3 puts in x-amz-checksum-<algorithm> for a single-part object."""
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        return b64(struct.pack(">I", zlib.crc32(data) & 0xFFFFFFFF))
    if algorithm == "CRC32C":
        return b64(struct.pack(">I", crc32c(data)))
    if algorithm == "CRC64NVME":
        return b64(struct.pack(">Q", crc64nvme(data)))
    if algorithm == "SHA1":
        return b64(hashlib.sha1(data).digest())
    if algorithm == "SHA256":
        return b64(hashlib.sha256(data).digest())
    raise ValueError(algorithm)


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def multipart_etag(parts):
    """S3's multipart ETag: md5 of the concatenated binary part md5s, then '-<part count>', quoted."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


# Known-answer self checks (the check value of each CRC over b"123456789").
assert crc32c(b"123456789") == 0xE3069283
assert crc64nvme(b"123456789") == 0xAE8B14860A799888
