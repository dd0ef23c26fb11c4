"""The S3 website endpoint end to end: boto3 configures a bucket's website (PutBucketWebsite, a public-read bucket
policy once Block Public Access is off) and urllib/http.client fetch it through <bucket>.s3-website-<region>.
amazonaws.com (as the Host header on Cenote's address) and the local <bucket>.s3-website.localhost form: index
documents, the folder redirect, the error document, S3's HTML error pages, RedirectAllRequestsTo, routing rules,
x-amz-website-redirect-location, and what is refused (private objects, Block Public Access, other methods).

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_website.py [-v]
"""

import http.client
import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def fetch(host, path="/", method="GET", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=30)
    h = {"Host": host}
    h.update(headers or {})
    conn.request(method, path, headers=h)
    r = conn.getresponse()
    body = r.read()
    out = {k.lower(): v for k, v in r.getheaders()}
    conn.close()
    return r.status, out, body


def public_read(s3, bucket, list_too=False):
    s3.delete_public_access_block(Bucket=bucket)
    statements = [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{bucket}/*"}]
    if list_too:
        statements.append({"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
                           "Resource": f"arn:aws:s3:::{bucket}"})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))


class WebsiteTest(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.bucket = f"site-{uuid.uuid4().hex[:10]}"
        self.s3.create_bucket(Bucket=self.bucket)
        self.host = f"{self.bucket}.s3-website-us-east-1.amazonaws.com"

    def put(self, key, body, **kw):
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=kw.pop("ContentType", "text/html"),
                           **kw)

    def test_index_error_documents_and_pages(self):
        # No website configuration yet: S3's HTML page.
        status, headers, body = fetch(self.host)
        self.assertEqual(status, 404)
        self.assertIn(b"<li>Code: NoSuchWebsiteConfiguration</li>", body)
        self.assertIn(f"<li>BucketName: {self.bucket}</li>".encode(), body)
        self.s3.put_bucket_website(Bucket=self.bucket, WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"}})
        self.put("index.html", b"<h1>home</h1>")
        self.put("docs/index.html", b"<h1>docs</h1>")
        self.put("docs/page.html", b"<h1>page</h1>", Metadata={"team": "web"}, CacheControl="max-age=60")
        # Block Public Access is on for a new bucket: everything is 403.
        status, headers, body = fetch(self.host)
        self.assertEqual(status, 403)
        self.assertIn(b"<li>Code: AccessDenied</li>", body)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        public_read(self.s3, self.bucket)

        status, headers, body = fetch(self.host)
        self.assertEqual((status, body), (200, b"<h1>home</h1>"))
        self.assertEqual(headers["content-type"], "text/html")
        self.assertIn("etag", headers)
        status, _, body = fetch(self.host, "/docs/")
        self.assertEqual((status, body), (200, b"<h1>docs</h1>"))
        status, headers, body = fetch(self.host, "/docs/page.html")
        self.assertEqual((status, body), (200, b"<h1>page</h1>"))
        self.assertEqual(headers["x-amz-meta-team"], "web")
        self.assertEqual(headers["cache-control"], "max-age=60")
        # HEAD: headers, no body; a range; a conditional GET.
        status, headers, body = fetch(self.host, "/docs/page.html", "HEAD")
        self.assertEqual((status, body, headers["content-length"]), (200, b"", "13"))
        status, headers, body = fetch(self.host, "/docs/page.html", headers={"Range": "bytes=0-3"})
        self.assertEqual((status, body), (206, b"<h1>"))
        status, _, _ = fetch(self.host, "/docs/page.html", headers={"If-None-Match": headers["etag"]})
        self.assertEqual(status, 304)
        # A folder without its slash: 302 to it.
        status, headers, _ = fetch(self.host, "/docs")
        self.assertEqual(status, 302)
        self.assertEqual(headers["location"], "/docs/")

        # A missing key without list permission: 403; the error document, then, is served with it.
        self.put("error.html", b"<h1>oops</h1>")
        status, _, body = fetch(self.host, "/missing.html")
        self.assertEqual((status, body), (403, b"<h1>oops</h1>"))
        public_read(self.s3, self.bucket, list_too=True)
        status, _, body = fetch(self.host, "/missing.html")
        self.assertEqual((status, body), (404, b"<h1>oops</h1>"))
        # Without the error document: S3's page, and the error document's own failure under it.
        self.s3.delete_object(Bucket=self.bucket, Key="error.html")
        status, headers, body = fetch(self.host, "/missing.html")
        self.assertEqual(status, 404)
        self.assertIn(b"<title>404 Not Found</title>", body)
        self.assertIn(b"<li>Code: NoSuchKey</li>", body)
        self.assertIn(b"<li>Message: The specified key does not exist.</li>", body)
        self.assertIn(b"<li>Key: missing.html</li>", body)
        self.assertIn(b"<li>RequestId: ", body)
        self.assertIn(b"<li>HostId: ", body)
        self.assertIn(b"An Error Occurred While Attempting to Retrieve a Custom Error Document", body)
        self.assertIn(b"<li>Key: error.html</li>", body)

        # The local host form and the dotted AWS form reach the same site.
        status, _, body = fetch(f"{self.bucket}.s3-website.localhost:{SERVER.port}")
        self.assertEqual((status, body), (200, b"<h1>home</h1>"))
        status, _, body = fetch(f"{self.bucket}.s3-website.us-east-1.amazonaws.com", "/docs/")
        self.assertEqual((status, body), (200, b"<h1>docs</h1>"))
        # Only GET and HEAD.
        status, _, body = fetch(self.host, "/index.html", "DELETE")
        self.assertEqual(status, 405)
        self.assertIn(b"<li>Code: MethodNotAllowed</li>", body)
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="index.html")["Body"].read(), b"<h1>home</h1>")

    def test_private_object_is_forbidden(self):
        self.s3.put_bucket_website(Bucket=self.bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
        self.s3.delete_public_access_block(Bucket=self.bucket)
        self.s3.put_bucket_policy(Bucket=self.bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{self.bucket}/public/*"}]}))
        self.put("public/a.html", b"a")
        self.put("private/b.html", b"b")
        self.assertEqual(fetch(self.host, "/public/a.html")[0], 200)
        status, _, body = fetch(self.host, "/private/b.html")
        self.assertEqual(status, 403)
        self.assertIn(b"<li>Message: Access Denied</li>", body)

    def test_redirects(self):
        public_read(self.s3, self.bucket, list_too=True)
        self.s3.put_bucket_website(Bucket=self.bucket, WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [
                {"Condition": {"KeyPrefixEquals": "docs/"}, "Redirect": {"ReplaceKeyPrefixWith": "documents/"}},
                {"Condition": {"KeyPrefixEquals": "old.html"},
                 "Redirect": {"HostName": "example.com", "Protocol": "https", "ReplaceKeyWith": "new.html",
                              "HttpRedirectCode": "302"}},
                {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
                 "Redirect": {"HostName": "fallback.example.com", "ReplaceKeyPrefixWith": "report-404/"}}]})
        self.put("moved.html", b"", WebsiteRedirectLocation="/target.html")
        status, headers, _ = fetch(self.host, "/docs/a/b.html")
        self.assertEqual((status, headers["location"]), (301, f"http://{self.host}/documents/a/b.html"))
        status, headers, _ = fetch(self.host, "/old.html")
        self.assertEqual((status, headers["location"]), (302, "https://example.com/new.html"))
        status, headers, _ = fetch(self.host, "/nothing-here.html")
        self.assertEqual((status, headers["location"]),
                         (301, "http://fallback.example.com/report-404/nothing-here.html"))
        status, headers, _ = fetch(self.host, "/moved.html")
        self.assertEqual((status, headers["location"]), (301, "/target.html"))

        self.s3.put_bucket_website(Bucket=self.bucket, WebsiteConfiguration={
            "RedirectAllRequestsTo": {"HostName": "www.example.org", "Protocol": "https"}})
        status, headers, _ = fetch(self.host, "/any/path?q=1")
        self.assertEqual((status, headers["location"]), (301, "https://www.example.org/any/path?q=1"))

    def test_unknown_bucket(self):
        status, _, body = fetch("no-such-bucket-here.s3-website-us-east-1.amazonaws.com")
        self.assertEqual(status, 404)
        self.assertIn(b"<li>Code: NoSuchBucket</li>", body)
        self.assertIn(b"<li>BucketName: no-such-bucket-here</li>", body)


if __name__ == "__main__":
    harness.main()
