"""CORS with a real browser: headless Chromium (Debian's) loads a page from another origin (a second loopback
port), whose fetch() calls go to Cenote with presigned URLs. A PUT with a JSON content type makes the browser
send a preflight (OPTIONS) first; the bucket's CORS rules allow it, the object lands, and a GET reads it back
with the exposed ETag header. A DELETE, which the rules do not allow, is blocked by the browser at its
preflight and the object stays.

Skipped (exit 77) where Chromium is not installed.
Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_cors_browser.py [-v]
"""

import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html>
<html><head><title>cors</title></head><body><pre id="out">running</pre>
<script>
const urls = %s;
async function run() {
  const out = {};
  try {
    const put = await fetch(urls.put, {method: "PUT", headers: {"Content-Type": "application/json"},
                                       body: JSON.stringify({from: "the browser"})});
    out.put = put.status;
    const get = await fetch(urls.get);
    out.get = get.status;
    out.body = await get.text();
    out.etag = get.headers.get("ETag");
  } catch (e) { out.error = String(e); }
  try {
    const del = await fetch(urls.del, {method: "DELETE"});
    out.del = del.status;
  } catch (e) { out.del = "blocked: " + e.name; }
  document.getElementById("out").textContent = "RESULT " + JSON.stringify(out) + " END";
}
run();
</script></body></html>
"""


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class PageServer:
    """The other origin: serves one page from a loopback port of its own."""

    def __init__(self, page):
        body = page.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class BrowserCors(unittest.TestCase):
    def test_preflight_put_get_and_a_blocked_delete(self):
        s3 = harness.boto3_client(SERVER)
        bucket = f"cors-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="keep.json", Body=b"{}")
        urls = {
            "put": s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "from-browser.json",
                                                                    "ContentType": "application/json"}),
            "get": s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "from-browser.json"}),
            "del": s3.generate_presigned_url("delete_object", Params={"Bucket": bucket, "Key": "keep.json"}),
        }
        with PageServer(PAGE % json.dumps(urls)) as page:
            s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
                "AllowedOrigins": [page.origin], "AllowedMethods": ["GET", "PUT"],
                "AllowedHeaders": ["content-type"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 5}]})
            profile = tempfile.mkdtemp(prefix="cenote-chromium-")
            try:
                proc = subprocess.run(
                    [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-extensions", f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                     "--dump-dom", page.origin + "/page.html"],
                    capture_output=True, text=True, timeout=120)
            finally:
                shutil.rmtree(profile, ignore_errors=True)
        match = re.search(r"RESULT (.*) END", html.unescape(proc.stdout))
        self.assertIsNotNone(match, f"no result in the page:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        result = json.loads(match.group(1))
        self.assertNotIn("error", result)
        self.assertEqual(result["put"], 200)
        self.assertEqual(result["get"], 200)
        self.assertEqual(json.loads(result["body"]), {"from": "the browser"})
        head = s3.head_object(Bucket=bucket, Key="from-browser.json")
        self.assertEqual(result["etag"], head["ETag"])  # readable only because the rule exposes it
        self.assertEqual(head["ContentType"], "application/json")
        self.assertTrue(str(result["del"]).startswith("blocked"), result)
        s3.head_object(Bucket=bucket, Key="keep.json")  # the DELETE never reached the server


if __name__ == "__main__":
    if CHROMIUM is None:
        print("skipped: chromium is not installed")
        print("0 passed, 0 failed, 1 skipped")
        sys.exit(77)
    harness.main()
