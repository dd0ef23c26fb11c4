"""A full disk does not wedge the server: on a small tmpfs, S3 PUTs fill the data directory until the server
refuses them with a non-retryable 507 InsufficientStorage (no path in it) while keeping its --min-free-space
reserve; deletes then work and make room for new writes, before and after a kill -9 and restart.

Needs to mount a tmpfs (root, or CAP_SYS_ADMIN); exits 77 (ctest's skip code) when mounting is not permitted.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_disk_full.py [-v]
"""

import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

import botocore.auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

MiB = 1024 * 1024
TMPFS_MIB = 64
OBJECT = os.urandom(MiB)


def mount_tmpfs(size_mib):
    """A fresh tmpfs of `size_mib` MiB mounted on a new temp directory; (path, None) or (None, reason)."""
    path = tempfile.mkdtemp(prefix="cenote-e2e-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0700", "tmpfs", path],
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        os.rmdir(path)
        return None, (r.stderr or r.stdout).decode("utf-8", "replace").strip()
    return path, None


def unmount(path):
    for _ in range(50):
        if subprocess.run(["umount", path], capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    os.rmdir(path)


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class UnsignedPayloadAuth(botocore.auth.S3SigV4Auth):
    def payload(self, request):
        return botocore.auth.UNSIGNED_PAYLOAD


def chunked_put(server, path, total, piece=256 * 1024):
    """PUT with HTTP chunked transfer encoding (no Content-Length): the server learns the size as it reads."""
    req = AWSRequest(method="PUT", url=server.endpoint + path, headers={"Transfer-Encoding": "chunked"})
    UnsignedPayloadAuth(Credentials(server.access_key, server.secret_key), "s3", server.region).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.putrequest("PUT", path, skip_accept_encoding=True)
        for name, value in req.headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            sent = 0
            while sent < total:
                n = min(piece, total - sent)
                conn.send(b"%x\r\n" % n + OBJECT[:n] + b"\r\n")
                sent += n
            conn.send(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the body ended: read its answer
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


@harness.skip_on_moto("moto has no data directory on a disk")
class DiskFullTests(unittest.TestCase):
    def setUp(self):
        self.mnt, reason = mount_tmpfs(TMPFS_MIB)
        if self.mnt is None:
            self.skipTest(f"cannot mount a tmpfs: {reason}")
        self.server = None

    def tearDown(self):
        if self.server is not None:
            self.server.close()
        unmount(self.mnt)

    def start(self, *flags):
        self.server = harness.Server(data_dir=self.mnt, extra_args=flags).start()
        self.connect()

    def connect(self):
        # Standard retries on: a 507 must come back on the first attempt, unretried.
        self.s3 = harness.boto3_client(self.server, retries={"max_attempts": 3, "mode": "standard"})

    def fill(self, prefix, size=MiB, limit=2000):
        """PUTs objects of `size` bytes until one is refused; returns (keys written, the refusal)."""
        keys = []
        for i in range(limit):
            key = f"{prefix}/{i:04d}"
            try:
                self.s3.put_object(Bucket="full", Key=key, Body=OBJECT[:size])
            except ClientError as e:
                return keys, e
            keys.append(key)
        self.fail(f"{limit} objects of {size} bytes written to a {TMPFS_MIB} MiB filesystem")

    def assert_storage_full(self, error):
        err = error.response["Error"]
        meta = error.response["ResponseMetadata"]
        self.assertEqual(err["Code"], "InsufficientStorage", error.response)
        self.assertEqual(meta["HTTPStatusCode"], 507)
        self.assertEqual(meta.get("RetryAttempts", 0), 0, "a full disk is not retried")
        self.assertNotIn(self.mnt, err["Message"])
        self.assertNotIn("blobs", err["Message"])
        self.assertIn("--min-free-space", err["Message"])

    def temp_files(self):
        tmp = os.path.join(self.mnt, "s3", "blobs", "tmp")
        return {n: os.path.getsize(os.path.join(tmp, n)) for n in os.listdir(tmp)}

    def test_fill_refuse_delete_write_across_kill9_with_the_default_reserve(self):
        self.start()  # default: 1% of the filesystem, at least 16 MiB
        reserve = 16 * MiB
        self.s3.create_bucket(Bucket="full")
        keys, refusal = self.fill("a")
        self.assert_storage_full(refusal)
        self.assertGreaterEqual(len(keys), 40, "most of the filesystem went to objects")
        self.assertGreaterEqual(free_bytes(self.mnt), reserve)
        # What a 1 MiB object no longer fits is filled with smaller ones, down to small objects stored
        # inline in the metadata store: they are held to the reserve too.
        small = []
        for size, prefix in ((64 * 1024, "s64k"), (4096, "s4k"), (100, "s100")):
            written, refusal = self.fill(prefix, size)
            self.assert_storage_full(refusal)
            small += written
        # An inline object is admitted by its bytes but commits a WAL page or two: the last few may dip
        # into the reserve by those pages.
        self.assertGreaterEqual(free_bytes(self.mnt), reserve - 256 * 1024)

        # Metadata commits run inside the reserve: a burst of them (the WAL grows to its checkpoint size)
        # still leaves room for deletes.
        for i in range(1500):
            self.s3.put_object_tagging(Bucket="full", Key=keys[-1],
                                       Tagging={"TagSet": [{"Key": "n", "Value": f"{i:0200d}"}]})
        # A body of unknown length is stopped while it streams, and its temp file goes.
        status, body = chunked_put(self.server, "/full/chunked", 8 * MiB)
        self.assertEqual(status, 507, body)
        self.assertIn("<Code>InsufficientStorage</Code>", body)
        self.assertNotIn(self.mnt, body)
        self.assertEqual(set(self.temp_files().values()) - {0}, set(), "only empty spare files remain")
        # Kinesis appends are refused the same way; creating a stream (metadata) still works.
        kinesis = harness.boto3_client(self.server, "kinesis")
        kinesis.create_stream(StreamName="full", ShardCount=1)
        for _ in range(100):
            if kinesis.describe_stream_summary(StreamName="full")["StreamDescriptionSummary"][
                    "StreamStatus"] == "ACTIVE":
                break
            time.sleep(0.1)
        with self.assertRaises(ClientError) as put_record:
            kinesis.put_record(StreamName="full", PartitionKey="p", Data=b"x" * 1000)
        self.assertEqual(put_record.exception.response["Error"]["Code"], "InsufficientStorage")
        self.assertEqual(put_record.exception.response["ResponseMetadata"]["HTTPStatusCode"], 507)

        # Deletes work on a full disk and make room (first for the reserve the metadata burst used).
        for key in keys[:8]:
            self.s3.delete_object(Bucket="full", Key=key)
        self.s3.put_object(Bucket="full", Key="after-delete", Body=OBJECT)
        self.assertEqual(self.s3.get_object(Bucket="full", Key="after-delete")["Body"].read(), OBJECT)
        more, refusal = self.fill("b")
        self.assert_storage_full(refusal)

        # kill -9 on a full disk; right after the restart deletes work, then writes.
        self.server.restart(crash=True)
        self.connect()
        self.s3.delete_object(Bucket="full", Key=keys[8])
        self.s3.delete_objects(Bucket="full", Delete={"Objects": [{"Key": k} for k in keys[9:13]]})
        self.s3.put_object(Bucket="full", Key="after-restart", Body=OBJECT)
        listed = set()
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket="full"):
            listed.update(o["Key"] for o in page.get("Contents", []))
        self.assertEqual(listed, set(keys[13:]) | set(small) | set(more) | {"after-delete", "after-restart"})
        self.assertEqual(self.s3.get_object(Bucket="full", Key=more[-1])["Body"].read(), OBJECT)

    def test_an_explicit_reserve_is_kept_under_concurrent_writers(self):
        self.start("--min-free-space", "24MiB")
        self.s3.create_bucket(Bucket="full")
        refusals = []
        lock = threading.Lock()

        def writer(n):
            s3 = harness.boto3_client(self.server)
            for i in range(100):
                try:
                    s3.put_object(Bucket="full", Key=f"w{n}/{i:03d}", Body=OBJECT)
                except ClientError as e:
                    with lock:
                        refusals.append(e)
                    return

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(len(refusals), 4)
        for e in refusals:
            self.assert_storage_full(e)
        free = free_bytes(self.mnt)
        # Every writer checks before each MiB it writes; four at once may each land one admitted MiB.
        self.assertGreaterEqual(free, 24 * MiB - 4 * MiB)
        self.assertLess(free, 24 * MiB + 6 * MiB, "the server stopped near its reserve, not far above it")
        self.assertIn("24 MiB of it kept for deletes", self.server.log_tail(200))

    def test_bad_values_are_refused_at_start(self):
        r = subprocess.run([os.environ["CENOTE_BIN"], "serve", "--data-dir", self.mnt, "--min-free-space", "lots"],
                           capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--min-free-space", r.stderr.decode() + r.stdout.decode())


if __name__ == "__main__":
    if not harness.is_moto():
        probe, why = mount_tmpfs(1)
        if probe is None:
            print(f"skipped: cannot mount a tmpfs here ({why})", flush=True)
            sys.exit(77)
        unmount(probe)
    harness.main()
