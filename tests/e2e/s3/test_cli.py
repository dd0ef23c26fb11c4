"""S3 end to end with the AWS CLI (v2 at /usr/bin/aws, v1 from pyenv): high-level `aws s3` and `aws s3api`.

The CLI is configured by environment variables only (no ~/.aws): credentials, region, an empty
AWS_CONFIG_FILE, and --endpoint-url on every call.

Run: CENOTE_BIN=build/cenote CENOTE_AWS_CLI=/usr/bin/aws python3 tests/e2e/s3/test_cli.py [-v]
     CENOTE_E2E_TARGET=moto CENOTE_AWS_CLI=aws python3 tests/e2e/s3/test_cli.py
"""

import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
import checks  # noqa: E402

MiB = 1024 * 1024
SERVER = None
WORK = None
CLI = harness.aws_cli()
CLI_TIMEOUT_S = 180


def setUpModule():
    global SERVER, WORK
    WORK = tempfile.mkdtemp(prefix="cenote-e2e-cli-")
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()
    if WORK:
        shutil.rmtree(WORK, ignore_errors=True)


class CliTestCase(unittest.TestCase):
    def setUp(self):
        self.config_file = os.path.join(WORK, "empty-config")
        open(self.config_file, "w").close()
        self.env = SERVER.client_env(config_file=self.config_file)
        self.bucket = f"e2e-cli-{uuid.uuid4().hex[:10]}"
        self.dir = tempfile.mkdtemp(dir=WORK)

    def tearDown(self):
        self.aws("s3", "rb", f"s3://{self.bucket}", "--force", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)

    def aws(self, *args, check=True):
        argv = [CLI, "--endpoint-url", SERVER.endpoint, "--no-cli-pager", *args] if harness.aws_cli_major() >= 2 else \
               [CLI, "--endpoint-url", SERVER.endpoint, *args]
        r = subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=CLI_TIMEOUT_S)
        if check:
            self.assertEqual(r.returncode, 0, f"{' '.join(args)}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def aws_json(self, *args):
        r = self.aws(*args, "--output", "json")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def write(self, rel, data):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def mb(self):
        r = self.aws("s3", "mb", f"s3://{self.bucket}")
        self.assertIn(f"make_bucket: {self.bucket}", r.stdout)


class HighLevelTests(CliTestCase):
    def test_mb_ls_cp_rm_rb(self):
        self.mb()
        self.assertIn(self.bucket, self.aws("s3", "ls").stdout)
        src = self.write("hello.txt", b"hello from the cli\n")
        r = self.aws("s3", "cp", src, f"s3://{self.bucket}/dir/hello.txt")
        self.assertIn("upload: ", r.stdout)
        self.assertIn(f"s3://{self.bucket}/dir/hello.txt", r.stdout)
        listing = self.aws("s3", "ls", f"s3://{self.bucket}/dir/").stdout
        self.assertIn("hello.txt", listing)
        self.assertIn(" 19 ", listing)
        self.assertIn("PRE dir/", self.aws("s3", "ls", f"s3://{self.bucket}").stdout)
        dst = os.path.join(self.dir, "back.txt")
        r = self.aws("s3", "cp", f"s3://{self.bucket}/dir/hello.txt", dst)
        self.assertIn("download: ", r.stdout)
        with open(dst, "rb") as f:
            self.assertEqual(f.read(), b"hello from the cli\n")
        # Copy within S3 (server-side CopyObject).
        self.aws("s3", "cp", f"s3://{self.bucket}/dir/hello.txt", f"s3://{self.bucket}/copy of hello.txt")
        self.assertIn("copy of hello.txt", self.aws("s3", "ls", f"s3://{self.bucket}/").stdout)
        # rb on a non-empty bucket fails with BucketNotEmpty.
        r = self.aws("s3", "rb", f"s3://{self.bucket}", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("BucketNotEmpty", r.stderr)
        r = self.aws("s3", "rm", f"s3://{self.bucket}", "--recursive")
        self.assertEqual(sorted(l.split()[0] for l in r.stdout.splitlines() if l.strip()), ["delete:", "delete:"])
        self.assertEqual(self.aws("s3", "ls", f"s3://{self.bucket}", "--recursive", check=False).stdout.strip(), "")
        r = self.aws("s3", "rb", f"s3://{self.bucket}")
        self.assertIn(f"remove_bucket: {self.bucket}", r.stdout)
        self.assertNotIn(self.bucket, self.aws("s3", "ls").stdout)

    def test_missing_object_exit_code(self):
        self.mb()
        r = self.aws("s3", "cp", f"s3://{self.bucket}/nope", os.path.join(self.dir, "nope"), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue("404" in r.stderr or "Not Found" in r.stderr, r.stderr)
        r = self.aws("s3", "ls", f"s3://{self.bucket}-does-not-exist", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("NoSuchBucket", r.stderr)

    def test_cp_20mib_multipart(self):
        self.mb()
        data = os.urandom(20 * MiB)
        src = self.write("big.bin", data)
        self.aws("s3", "cp", src, f"s3://{self.bucket}/big.bin")
        head = self.aws_json("s3api", "head-object", "--bucket", self.bucket, "--key", "big.bin")
        self.assertEqual(head["ContentLength"], len(data))
        # The CLI's default multipart threshold and chunk size are both 8 MiB: 3 parts.
        parts = [data[i:i + 8 * MiB] for i in range(0, len(data), 8 * MiB)]
        self.assertEqual(head["ETag"], checks.multipart_etag(parts))
        dst = os.path.join(self.dir, "big.back")
        self.aws("s3", "cp", f"s3://{self.bucket}/big.bin", dst)
        self.assertTrue(filecmp.cmp(src, dst, shallow=False))

    def test_cp_from_stdin_multipart(self):
        # `aws s3 cp -` streams stdin of unknown size: multipart once it exceeds the 8 MiB threshold.
        self.mb()
        data = os.urandom(9 * MiB + 123)
        argv = [CLI, "--endpoint-url", SERVER.endpoint, "s3", "cp", "-", f"s3://{self.bucket}/stdin.bin"]
        r = subprocess.run(argv, input=data, capture_output=True, env=self.env, timeout=CLI_TIMEOUT_S)
        self.assertEqual(r.returncode, 0, r.stderr)
        head = self.aws_json("s3api", "head-object", "--bucket", self.bucket, "--key", "stdin.bin")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertTrue(head["ETag"].endswith('-2"'), head["ETag"])
        r = subprocess.run([CLI, "--endpoint-url", SERVER.endpoint, "s3", "cp", f"s3://{self.bucket}/stdin.bin", "-"],
                           capture_output=True, env=self.env, timeout=CLI_TIMEOUT_S)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, data)

    def test_sync_up_and_down(self):
        self.mb()
        tree = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deeper/c.bin": os.urandom(10000),
                "space name/ü.txt": "ünïcödé".encode(), "plus+sign.txt": b"+"}
        up = os.path.join(self.dir, "up")
        past = time.time() - 120  # sync compares mtimes with LastModified (1 s resolution): avoid a tie
        for rel, data in tree.items():
            os.utime(self.write(os.path.join("up", rel), data), (past, past))
        r = self.aws("s3", "sync", up, f"s3://{self.bucket}/tree")
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.startswith("upload:")]), len(tree), r.stdout)
        listing = self.aws("s3", "ls", f"s3://{self.bucket}/tree/", "--recursive").stdout
        for rel in tree:
            self.assertIn(f"tree/{rel}", listing)
        # A second sync has nothing to do (sizes and times match).
        r = self.aws("s3", "sync", up, f"s3://{self.bucket}/tree")
        self.assertEqual(r.stdout.strip(), "")
        down = os.path.join(self.dir, "down")
        r = self.aws("s3", "sync", f"s3://{self.bucket}/tree", down)
        self.assertEqual(len([l for l in r.stdout.splitlines() if l.startswith("download:")]), len(tree), r.stdout)
        for rel, data in tree.items():
            with open(os.path.join(down, rel), "rb") as f:
                self.assertEqual(f.read(), data, rel)
        # --delete removes what is gone locally.
        os.unlink(os.path.join(up, "a.txt"))
        r = self.aws("s3", "sync", up, f"s3://{self.bucket}/tree", "--delete")
        self.assertIn(f"delete: s3://{self.bucket}/tree/a.txt", r.stdout)
        self.assertNotIn("tree/a.txt", self.aws("s3", "ls", f"s3://{self.bucket}/tree/", "--recursive").stdout)


class S3ApiTests(CliTestCase):
    def test_put_get_head_list(self):
        self.mb()
        body = self.write("body.json", b'{"k": "v"}')
        put = self.aws_json("s3api", "put-object", "--bucket", self.bucket, "--key", "docs/one.json",
                            "--body", body, "--content-type", "application/json",
                            "--metadata", "owner=e2e,purpose=test")
        self.assertEqual(put["ETag"], "\"" + checks.md5_hex(b"{\"k\": \"v\"}") + "\"")
        head = self.aws_json("s3api", "head-object", "--bucket", self.bucket, "--key", "docs/one.json")
        self.assertEqual(head["ContentLength"], 10)
        self.assertEqual(head["ContentType"], "application/json")
        self.assertEqual(head["Metadata"], {"owner": "e2e", "purpose": "test"})
        out = os.path.join(self.dir, "out.json")
        got = self.aws_json("s3api", "get-object", "--bucket", self.bucket, "--key", "docs/one.json", out)
        self.assertEqual(got["ContentLength"], 10)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b'{"k": "v"}')
        rng = self.aws_json("s3api", "get-object", "--bucket", self.bucket, "--key", "docs/one.json",
                            "--range", "bytes=2-4", out)
        self.assertEqual(rng["ContentRange"], "bytes 2-4/10")
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b'k":')
        for i in range(5):
            self.aws("s3api", "put-object", "--bucket", self.bucket, "--key", f"docs/n{i}", "--body", body)
        listed = self.aws_json("s3api", "list-objects-v2", "--bucket", self.bucket, "--prefix", "docs/")
        self.assertEqual([o["Key"] for o in listed["Contents"]],
                         ["docs/n0", "docs/n1", "docs/n2", "docs/n3", "docs/n4", "docs/one.json"])
        # The CLI paginates by itself with --page-size and merges the pages.
        paged = self.aws_json("s3api", "list-objects-v2", "--bucket", self.bucket, "--page-size", "2")
        self.assertEqual(len(paged["Contents"]), 6)
        limited = self.aws_json("s3api", "list-objects-v2", "--bucket", self.bucket, "--max-items", "4")
        self.assertEqual(len(limited["Contents"]), 4)
        self.assertIn("NextToken", limited)
        delim = self.aws_json("s3api", "list-objects-v2", "--bucket", self.bucket, "--delimiter", "/")
        self.assertEqual([p["Prefix"] for p in delim["CommonPrefixes"]], ["docs/"])

    def test_errors_and_exit_codes(self):
        self.mb()
        r = self.aws("s3api", "get-object", "--bucket", self.bucket, "--key", "missing", os.path.join(self.dir, "x"),
                     check=False)
        # v2 exits 254 on a service error, v1 255.
        self.assertIn(r.returncode, (254, 255), r.stderr)
        self.assertIn("NoSuchKey", r.stderr)
        r = self.aws("s3api", "head-object", "--bucket", self.bucket, "--key", "missing", check=False)
        self.assertIn(r.returncode, (254, 255), r.stderr)
        self.assertIn("404", r.stderr)
        r = self.aws("s3api", "list-objects-v2", "--bucket", f"{self.bucket}-nope", check=False)
        self.assertIn(r.returncode, (254, 255))
        self.assertIn("NoSuchBucket", r.stderr)


def signed_raw_put(path, body):
    """PUT `path` (sent as written, percent-escapes included) signed by botocore's S3 SigV4 signer, as a client that
    is handed raw bytes for a key would send it. Returns (status, body)."""
    import http.client
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method="PUT", url=SERVER.endpoint + path, data=body)
    S3SigV4Auth(Credentials(SERVER.access_key, SERVER.secret_key), "s3", SERVER.region).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", int(SERVER.endpoint.rsplit(":", 1)[1]), timeout=30)
    try:
        conn.request("PUT", path, body=body, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@harness.skip_on_moto("moto stores keys that are not UTF-8")
class StrictnessTests(CliTestCase):
    def test_rm_recursive_leaves_nothing_behind(self):
        # A key that is not UTF-8 was stored, then listed by the CLI as U+FFFD, and `aws s3 rm --recursive`
        # "deleted" that other key and reported success while the object stayed. Such keys are refused now.
        self.mb()
        for path in (f"/{self.bucket}/bad%FFname.txt", f"/{self.bucket}/dir/caf%E9.txt"):
            status, body = signed_raw_put(path, b"x")
            self.assertEqual(status, 400, body)
            self.assertIn(b"<Code>InvalidURI</Code>", body)
        self.aws("s3", "cp", self.write("good.txt", b"y"), f"s3://{self.bucket}/good.txt")
        self.aws("s3", "cp", self.write("caf\u00e9.txt", b"z"), f"s3://{self.bucket}/dir/caf\u00e9.txt")
        r = self.aws("s3", "rm", f"s3://{self.bucket}", "--recursive")
        self.assertEqual(sorted(l.split()[0] for l in r.stdout.splitlines() if l.strip()), ["delete:", "delete:"])
        self.assertEqual(self.aws("s3", "ls", f"s3://{self.bucket}", "--recursive", check=False).stdout.strip(), "")
        self.assertEqual(self.aws_json("s3api", "list-object-versions", "--bucket", self.bucket).get("Versions"), None)
        self.assertIn(f"remove_bucket: {self.bucket}", self.aws("s3", "rb", f"s3://{self.bucket}").stdout)

    def test_delete_objects_and_metadata_limits(self):
        self.mb()
        body = self.write("b.txt", b"x")
        for key in ("a", "b"):
            self.aws("s3api", "put-object", "--bucket", self.bucket, "--key", key, "--body", body)
        # The CLI sends the checksum DeleteObjects requires.
        out = self.aws_json("s3api", "delete-objects", "--bucket", self.bucket,
                            "--delete", json.dumps({"Objects": [{"Key": "a"}, {"Key": "b"}]}))
        self.assertEqual(sorted(d["Key"] for d in out["Deleted"]), ["a", "b"])
        r = self.aws("s3api", "put-object", "--bucket", self.bucket, "--key", "big", "--body", body,
                     "--metadata", json.dumps({"k": "v" * 2048}), check=False)
        self.assertIn(r.returncode, (254, 255), r.stderr)
        self.assertIn("MetadataTooLarge", r.stderr)
        r = self.aws("s3api", "put-object", "--bucket", self.bucket, "--key", "tagged", "--body", body,
                     "--tagging", "a=1&a=2", check=False)
        self.assertIn(r.returncode, (254, 255), r.stderr)
        self.assertIn("InvalidArgument", r.stderr)


if __name__ == "__main__":
    print(f"aws cli: {CLI} (major version {harness.aws_cli_major()})", flush=True)
    harness.main()
