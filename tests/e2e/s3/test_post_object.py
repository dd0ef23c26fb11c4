"""S3 POST uploads (browser-based uploads from HTML forms) against the real binary, with the forms real clients
make: boto3's generate_presigned_post (SigV4) posted with requests, a SigV2-signed form built by hand as the
AWS docs show it, and the refusals AWS answers (expired policy, a failed condition, content-length-range, an
unsigned form, a malformed body). Also: success_action_status 201 and its PostResponse document, a
success_action_redirect (303), a virtual-hosted POST, tagging and metadata fields, and the bucket's CORS
rules applied to a POST from another origin.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_post_object.py [-v]
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import sys
import unittest
import uuid
import xml.etree.ElementTree as ET

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SERVER = None


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def error_code(response):
    """(Code, Message) of an S3 XML error body."""
    root = ET.fromstring(response.content)
    return root.findtext("Code"), root.findtext("Message")


def v2_form(policy_doc, fields):
    """A SigV2-signed form: the base64 policy and its HMAC-SHA1 signature (AWS's SigV2 POST example)."""
    policy = base64.b64encode(json.dumps(policy_doc).encode()).decode()
    signature = base64.b64encode(hmac.new(SERVER.secret_key.encode(), policy.encode(), hashlib.sha1).digest())
    form = dict(fields)
    form.update({"AWSAccessKeyId": SERVER.access_key, "policy": policy, "signature": signature.decode()})
    return form


def in_an_hour():
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


class PostObject(unittest.TestCase):
    def setUp(self):
        self.s3 = harness.boto3_client(SERVER)
        self.bucket = f"post-{uuid.uuid4().hex[:12]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def post(self, url, fields, content=b"hello", filename="hello.txt", **kwargs):
        # requests sends `data` fields first, then `files`: the file is the last field, as S3 requires.
        return requests.post(url, data=fields, files={"file": (filename, content)}, timeout=60, **kwargs)

    def assert_missing(self, key):
        self.assertEqual(harness.error_of(self.s3.head_object, Bucket=self.bucket, Key=key)[0], 404)

    def test_presigned_post_sigv4(self):
        presigned = self.s3.generate_presigned_post(
            self.bucket, "uploads/${filename}",
            Fields={"Content-Type": "text/plain", "x-amz-meta-origin": "browser"},
            Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/plain"},
                        {"x-amz-meta-origin": "browser"}, ["content-length-range", 1, 10 * 1024 * 1024]],
            ExpiresIn=600)
        self.assertIn("x-amz-signature", presigned["fields"])
        content = os.urandom(3 * 1024 * 1024 + 17)  # streamed in several reads
        r = self.post(presigned["url"], presigned["fields"], content, filename="photo.bin")
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(r.content, b"")
        etag = '"' + hashlib.md5(content).hexdigest() + '"'
        self.assertEqual(r.headers["ETag"], etag)
        self.assertTrue(r.headers["Location"].endswith(f"/{self.bucket}/uploads/photo.bin"), r.headers)
        got = self.s3.get_object(Bucket=self.bucket, Key="uploads/photo.bin")
        self.assertEqual(got["Body"].read(), content)
        self.assertEqual(got["ContentType"], "text/plain")
        self.assertEqual(got["Metadata"], {"origin": "browser"})
        self.assertEqual(got["ETag"], etag)

    def test_success_action_status_201_and_redirect(self):
        presigned = self.s3.generate_presigned_post(
            self.bucket, "a b+c.txt", Fields={"success_action_status": "201"},
            Conditions=[{"success_action_status": "201"}])
        r = self.post(presigned["url"], presigned["fields"])
        self.assertEqual(r.status_code, 201, r.text)
        root = ET.fromstring(r.content)
        # S3's PostResponse has no namespace (the suite's ET.find('Key') relies on it).
        self.assertEqual(root.tag, "PostResponse")
        self.assertEqual(r.headers["Content-Type"], "application/xml")
        children = {child.tag: child.text for child in root}
        self.assertEqual(children["Bucket"], self.bucket)
        self.assertEqual(children["Key"], "a b+c.txt")
        self.assertEqual(children["ETag"], '"' + hashlib.md5(b"hello").hexdigest() + '"')
        self.assertTrue(children["Location"].endswith(f"/{self.bucket}/a%20b%2Bc.txt"), children)

        target = "https://example.com/done?from=form"
        presigned = self.s3.generate_presigned_post(
            self.bucket, "redirected.txt", Fields={"success_action_redirect": target},
            Conditions=[{"success_action_redirect": target}])
        r = self.post(presigned["url"], presigned["fields"], allow_redirects=False)
        self.assertEqual(r.status_code, 303, r.text)
        etag = self.s3.head_object(Bucket=self.bucket, Key="redirected.txt")["ETag"]
        self.assertEqual(r.headers["Location"],
                         f"{target}&bucket={self.bucket}&key=redirected.txt&etag=%22{etag.strip(chr(34))}%22")

    def test_sigv2_form_with_acl_tagging_and_metadata(self):
        # New buckets refuse ACLs (BucketOwnerEnforced) and public ones (public access block), as on AWS.
        self.s3.put_bucket_ownership_controls(
            Bucket=self.bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
        self.s3.delete_public_access_block(Bucket=self.bucket)
        tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>data</Value></Tag></TagSet></Tagging>"
        form = v2_form({"expiration": in_an_hour(), "conditions": [
            {"bucket": self.bucket}, ["starts-with", "$key", "v2/"], {"acl": "public-read"},
            ["starts-with", "$Content-Type", "image/"], ["eq", "$x-amz-meta-camera", "x100"],
            ["starts-with", "$tagging", ""], ["content-length-range", 0, 1024]]},
            {"key": "v2/${filename}", "acl": "public-read", "Content-Type": "image/png",
             "x-amz-meta-camera": "x100", "tagging": tagging, "x-ignore-note": "not checked"})
        r = self.post(SERVER.endpoint + "/" + self.bucket, form, b"\x89PNG...", filename="pic.png")
        self.assertEqual(r.status_code, 204, r.text)
        head = self.s3.head_object(Bucket=self.bucket, Key="v2/pic.png")
        self.assertEqual(head["ContentType"], "image/png")
        self.assertEqual(head["Metadata"], {"camera": "x100"})
        tags = self.s3.get_object_tagging(Bucket=self.bucket, Key="v2/pic.png")["TagSet"]
        self.assertEqual(tags, [{"Key": "team", "Value": "data"}])
        grants = self.s3.get_object_acl(Bucket=self.bucket, Key="v2/pic.png")["Grants"]
        self.assertIn("http://acs.amazonaws.com/groups/global/AllUsers",
                      [g["Grantee"].get("URI") for g in grants])

    def test_refusals(self):
        def refused(fields, status, code, message=None, content=b"hello"):
            r = self.post(SERVER.endpoint + "/" + self.bucket, fields, content)
            self.assertEqual(r.status_code, status, r.text)
            got_code, got_message = error_code(r)
            self.assertEqual(got_code, code, r.text)
            if message is not None:
                self.assertEqual(got_message, message)

        base = [{"bucket": self.bucket}, ["starts-with", "$key", "ok/"]]
        # Expired: boto3 signs a policy whose expiration has passed.
        expired = self.s3.generate_presigned_post(self.bucket, "ok/expired.txt", ExpiresIn=-60)
        r = self.post(expired["url"], expired["fields"])
        self.assertEqual(r.status_code, 403, r.text)
        self.assertEqual(error_code(r), ("AccessDenied", "Invalid according to Policy: Policy expired."))
        # A condition the form does not meet, and a field no condition names.
        refused(v2_form({"expiration": in_an_hour(), "conditions": base}, {"key": "other/x.txt"}), 403,
                "AccessDenied", 'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "ok/"]')
        refused(v2_form({"expiration": in_an_hour(), "conditions": base}, {"key": "ok/x.txt", "acl": "private"}),
                403, "AccessDenied", "Invalid according to Policy: Extra input fields: acl")
        # content-length-range, both ways.
        refused(v2_form({"expiration": in_an_hour(), "conditions": base + [["content-length-range", 0, 3]]},
                        {"key": "ok/big.txt"}), 400, "EntityTooLarge")
        refused(v2_form({"expiration": in_an_hour(), "conditions": base + [["content-length-range", 100, 200]]},
                        {"key": "ok/small.txt"}), 400, "EntityTooSmall")
        # Policy documents AWS refuses.
        refused(v2_form({"conditions": base}, {"key": "ok/x.txt"}), 400, "InvalidPolicyDocument",
                "Invalid Policy: Policy missing expiration.")
        # A wrong signature, a missing key field, an unsigned form.
        bad = v2_form({"expiration": in_an_hour(), "conditions": base}, {"key": "ok/x.txt"})
        bad["signature"] = base64.b64encode(b"0" * 20).decode()
        refused(bad, 403, "SignatureDoesNotMatch")
        refused(v2_form({"expiration": in_an_hour(), "conditions": base}, {}), 400, "InvalidArgument",
                "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the "
                "fields.")
        # Anonymous: AWS's answer to a caller without permission until anonymous access to public buckets lands.
        refused({"key": "ok/anonymous.txt"}, 403, "AccessDenied")
        for key in ("ok/expired.txt", "other/x.txt", "ok/big.txt", "ok/small.txt", "ok/anonymous.txt"):
            self.assert_missing(key)

        # Not a form, and a form that is not well-formed.
        r = requests.post(SERVER.endpoint + "/" + self.bucket, data=b"key=x",
                          headers={"Content-Type": "multipart/form-data; boundary=zzz"}, timeout=60)
        self.assertEqual(r.status_code, 400, r.text)
        self.assertEqual(error_code(r)[0], "MalformedPOSTRequest")

    def test_virtual_hosted_post_and_cors(self):
        origin = "https://app.example.com"
        self.s3.put_bucket_cors(Bucket=self.bucket, CORSConfiguration={"CORSRules": [{
            "AllowedOrigins": [origin], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag", "Location"]}]})
        # The browser's preflight, then the POST itself, both to the bucket's own host name.
        host = f"{self.bucket}.localhost:{SERVER.port}"
        base = f"http://127.0.0.1:{SERVER.port}/"
        preflight = requests.options(base, headers={"Host": host, "Origin": origin,
                                                    "Access-Control-Request-Method": "POST"}, timeout=60)
        self.assertEqual(preflight.status_code, 200, preflight.text)
        self.assertEqual(preflight.headers["Access-Control-Allow-Origin"], origin)
        form = v2_form({"expiration": in_an_hour(), "conditions": [{"bucket": self.bucket}, {"key": "vh.txt"}]},
                       {"key": "vh.txt"})
        r = self.post(base, form, headers={"Host": host, "Origin": origin})
        self.assertEqual(r.status_code, 204, r.text)
        self.assertEqual(r.headers["Access-Control-Allow-Origin"], origin)
        self.assertEqual(r.headers["Location"], f"http://{host}/vh.txt")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="vh.txt")["Body"].read(), b"hello")
        # A refusal carries the CORS headers too, so that the page can read the error.
        r = self.post(base, {"key": "vh2.txt"}, headers={"Host": host, "Origin": origin})
        self.assertEqual(r.status_code, 403)
        self.assertEqual(r.headers["Access-Control-Allow-Origin"], origin)


if __name__ == "__main__":
    harness.main()
