"""The data directory is locked: a second `cenote serve` on a directory another server is serving refuses to
start, names the PID that holds the lock, exits non-zero and touches nothing, while the first server's
200 MB upload, in flight at that moment, completes intact.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/platform/test_data_dir.py [-v]
"""

import hashlib
import http.client
import os
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

import botocore.auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

MiB = 1024 * 1024
UPLOAD_BYTES = 200 * MiB
PAUSE_AFTER = 32 * MiB  # the upload stops here until the second server has been tried


class UnsignedPayloadAuth(botocore.auth.S3SigV4Auth):
    """S3 SigV4 with x-amz-content-sha256: UNSIGNED-PAYLOAD, so the body can be streamed as it is made."""

    def payload(self, request):
        return botocore.auth.UNSIGNED_PAYLOAD


def body_blocks(total):
    """Deterministic, incompressible 1 MiB blocks (each starts with its index)."""
    base = hashlib.sha256(b"cenote-lock-test").digest() * (MiB // 32)
    for i in range(total // MiB):
        yield i.to_bytes(8, "big") + base[8:]


class StreamingPut:
    """A PUT whose body is sent by this thread; it pauses after PAUSE_AFTER bytes until `resume` is set."""

    def __init__(self, server, bucket, key):
        self.server, self.bucket, self.key = server, bucket, key
        self.paused = threading.Event()
        self.resume = threading.Event()
        self.status = None
        self.body = b""
        self.md5 = hashlib.md5()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            path = f"/{self.bucket}/{self.key}"
            req = AWSRequest(method="PUT", url=self.server.endpoint + path,
                             headers={"Content-Length": str(UPLOAD_BYTES)})
            UnsignedPayloadAuth(Credentials(self.server.access_key, self.server.secret_key), "s3",
                                self.server.region).add_auth(req)
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120)
            conn.putrequest("PUT", path, skip_accept_encoding=True)
            for name, value in req.headers.items():
                conn.putheader(name, value)
            conn.endheaders()
            sent = 0
            for block in body_blocks(UPLOAD_BYTES):
                if sent == PAUSE_AFTER:
                    self.paused.set()
                    if not self.resume.wait(120):
                        raise RuntimeError("never resumed")
                conn.send(block)
                self.md5.update(block)
                sent += len(block)
            resp = conn.getresponse()
            self.status, self.body = resp.status, resp.read()
            conn.close()
        except Exception as e:  # reported by the test
            self.error = e
            self.paused.set()


@harness.skip_on_moto("moto has no data directory")
class DataDirLockTests(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()
        self.s3 = harness.boto3_client(self.server)
        self.s3.create_bucket(Bucket="locked")

    def tearDown(self):
        self.server.close()

    def temp_blob_bytes(self):
        tmp = os.path.join(self.server.data_dir, "s3", "blobs", "tmp")
        return max((os.path.getsize(os.path.join(tmp, n)) for n in os.listdir(tmp)), default=0)

    def test_second_server_refuses_and_the_first_upload_completes(self):
        put = StreamingPut(self.server, "locked", "big.bin")
        put.thread.start()
        self.assertTrue(put.paused.wait(120), "upload did not reach its pause")
        self.assertIsNone(put.error)
        # The bytes sent so far are in the first server's temp blob: what a second server used to remove.
        deadline = time.monotonic() + 30
        while self.temp_blob_bytes() < PAUSE_AFTER // 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreaterEqual(self.temp_blob_bytes(), PAUSE_AFTER // 2)
        in_flight = sorted(os.listdir(os.path.join(self.server.data_dir, "s3", "blobs", "tmp")))

        # The second server: no root credentials in its environment, so one that got past the lock would
        # also write root-credentials.json.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CENOTE_ROOT_")}
        argv = [os.environ["CENOTE_BIN"], "serve", "--host", "127.0.0.1", "--port", str(harness.free_port()),
                "--data-dir", self.server.data_dir]
        try:
            second = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        except subprocess.TimeoutExpired as e:  # run() killed it
            self.fail(f"the second server started on a data directory in use: {e.stdout!r}")
        out = second.stdout.decode("utf-8", "replace")
        err = second.stderr.decode("utf-8", "replace")
        self.assertNotEqual(second.returncode, 0, out + err)
        self.assertNotIn("cenote ready", out)
        self.assertIn(f"PID {self.server.proc.pid}", err)
        self.assertIn("in use by another cenote server", err)
        self.assertIn(self.server.data_dir, err)
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "root-credentials.json")),
                         "the refused server wrote credentials")
        with open(os.path.join(self.server.data_dir, "cenote.lock")) as f:
            self.assertEqual(f.read().strip(), str(self.server.proc.pid))
        tmp_now = os.listdir(os.path.join(self.server.data_dir, "s3", "blobs", "tmp"))
        for name in in_flight:
            self.assertIn(name, tmp_now, "the refused server removed the first server's temp blobs")

        put.resume.set()
        put.thread.join(180)
        self.assertFalse(put.thread.is_alive())
        self.assertIsNone(put.error)
        self.assertEqual(put.status, 200, put.body)
        head = self.s3.head_object(Bucket="locked", Key="big.bin")
        self.assertEqual(head["ContentLength"], UPLOAD_BYTES)
        self.assertEqual(head["ETag"].strip('"'), put.md5.hexdigest())
        got = hashlib.md5()
        for chunk in self.s3.get_object(Bucket="locked", Key="big.bin")["Body"].iter_chunks(MiB):
            got.update(chunk)
        self.assertEqual(got.hexdigest(), put.md5.hexdigest())

    def test_a_stopped_or_killed_server_leaves_no_lock(self):
        self.s3.put_object(Bucket="locked", Key="k", Body=b"kept")
        self.server.restart(crash=True)  # kill -9: the kernel drops the lock
        self.s3 = harness.boto3_client(self.server)
        self.assertEqual(self.s3.get_object(Bucket="locked", Key="k")["Body"].read(), b"kept")
        self.server.restart(crash=False)
        self.s3 = harness.boto3_client(self.server)
        self.assertEqual(self.s3.get_object(Bucket="locked", Key="k")["Body"].read(), b"kept")


if __name__ == "__main__":
    harness.main()
