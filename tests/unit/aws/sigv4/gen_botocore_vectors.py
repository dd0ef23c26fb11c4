#!/usr/bin/env python3
"""Generates botocore_vectors.json: requests signed by botocore's own signers with fixed clocks.

Run from this directory: python3 gen_botocore_vectors.py > botocore_vectors.json
The C++ test (sigv4_test.cpp) replays every vector through Authenticate() with the same clock.
"""
import base64
import datetime
import json
import time
from unittest import mock

import botocore.auth as auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN/with+slash="
NOW = datetime.datetime(2024, 5, 17, 12, 34, 56)
NOW_EPOCH = int(NOW.replace(tzinfo=datetime.timezone.utc).timestamp())

vectors = []


def record(name, style, req, token="", now=NOW_EPOCH, url_only=False):
    prepared = req.prepare()
    url = prepared.url
    split = url.split("://", 1)[1]
    netloc, _, rest = split.partition("/")
    target = "/" + rest
    headers = [[k, v if isinstance(v, str) else v.decode()] for k, v in prepared.headers.items()]
    if url_only:  # a presigned URL is used as is: only Host goes on the wire
        headers = []
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ["Host", auth._host_from_url(url)])
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    vectors.append({
        "name": name, "style": style, "now": now, "akid": AKID, "secret": SECRET, "token": token,
        "method": prepared.method, "target": target, "headers": headers,
        "body_b64": base64.b64encode(body).decode(),
    })


def sign(signer, req):
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW), \
         mock.patch("time.time", return_value=float(NOW_EPOCH)):
        signer.add_auth(req)
    return req


creds = Credentials(AKID, SECRET)
creds_token = Credentials(AKID, SECRET, TOKEN)

# Query protocol (STS, IAM): form body, SigV4Auth hashes the body.
req = AWSRequest("POST", "https://sts.amazonaws.com/", data="Action=GetCallerIdentity&Version=2011-06-15",
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
record("sts-post-form", "query", sign(auth.SigV4Auth(creds, "sts", "us-east-1"), req))

req = AWSRequest("POST", "http://localhost:4566/", data="Action=ListUsers&Version=2010-05-08&Marker=a%2Bb%20c",
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
record("iam-post-token", "query", sign(auth.SigV4Auth(creds_token, "iam", "us-east-1"), req), token=TOKEN)

# JSON protocol.
req = AWSRequest("POST", "http://127.0.0.1:8080/", data='{"TableName": "t\u00e9"}'.encode(),
                 headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                          "X-Amz-Meta-Spaces": "  a   b  "})
record("dynamodb-json", "json", sign(auth.SigV4Auth(creds, "dynamodb", "eu-west-1"), req))

# rest-json with an encoded path (lambda function name, ARN with ':').
req = AWSRequest("GET", "http://localhost:4566/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123%3Afunction%3Af/configuration?Qualifier=%24LATEST",
                 headers={})
record("lambda-encoded-path", "json", sign(auth.SigV4Auth(creds, "lambda", "us-east-1"), req))

req = AWSRequest("GET", "http://localhost:4566/restapis/a//b/./c/../d?b=2&a=1&a=0&empty=", headers={})
record("apigw-dot-segments", "json", sign(auth.SigV4Auth(creds, "apigateway", "us-east-1"), req))

# S3: header auth with a signed payload hash, special keys, query sub-resources.
body = b"hello world\n" * 100
req = AWSRequest("PUT", "http://localhost:4566/bucket/dir/a%20key%2Bplus%21%28x%29%3D%E2%82%AC~.txt", data=body,
                 headers={"Content-Type": "text/plain", "x-amz-meta-Foo": "bar   baz", "Content-MD5":
                          base64.b64encode(__import__("hashlib").md5(body).digest()).decode()})
req.headers["X-Amz-Content-SHA256"] = __import__("hashlib").sha256(body).hexdigest()
record("s3-put-signed-payload", "s3", sign(auth.S3SigV4Auth(creds, "s3", "us-east-1"), req))

req = AWSRequest("GET", "http://localhost:4566/bucket?list-type=2&prefix=a%2Fb%20c&delimiter=%2F&encoding-type=url",
                 headers={})
req.context["payload_signing_enabled"] = False
record("s3-list-unsigned", "s3", sign(auth.S3SigV4Auth(creds, "s3", "us-west-2"), req))

req = AWSRequest("GET", "http://bucket.localhost:4566/key?tagging", headers={})
req.context["payload_signing_enabled"] = False
record("s3-virtual-host-subresource", "s3", sign(auth.S3SigV4Auth(creds_token, "s3", "us-east-1"), req), token=TOKEN)

# Presigned SigV4 (S3 and a non-S3 service).
req = AWSRequest("GET", "http://localhost:4566/bucket/photos/2024/cat%20%26%20dog.jpg?response-content-type=image%2Fjpeg",
                 headers={})
record("s3-presign-get", "s3", sign(auth.S3SigV4QueryAuth(creds, "s3", "us-east-1", expires=3600), req), url_only=True)

req = AWSRequest("PUT", "http://localhost:4566/bucket/upload.bin", headers={})
record("s3-presign-put-token", "s3", sign(auth.S3SigV4QueryAuth(creds_token, "s3", "us-east-1", expires=604800), req),
       token=TOKEN, url_only=True)

req = AWSRequest("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", headers={})
record("sts-presign", "query", sign(auth.SigV4QueryAuth(creds, "sts", "us-east-1", expires=60), req), url_only=True)

# SigV2 (S3): header and presigned query forms.
req = AWSRequest("PUT", "http://localhost:4566/bucket/some%20key?acl", data=b"",
                 headers={"Content-Type": "application/xml", "x-amz-acl": "public-read", "X-Amz-Meta-A": "1"})
record("s3-sigv2-header", "s3", sign(auth.HmacV1Auth(creds), req))

req = AWSRequest("GET", "http://localhost:4566/bucket/key.txt?versionId=3%2F4&response-content-disposition=attachment%3B%20filename%3D%22a.txt%22",
                 headers={})
record("s3-sigv2-presign", "s3", sign(auth.HmacV1QueryAuth(creds, expires=3600), req), url_only=True)

req = AWSRequest("GET", "http://localhost:4566/bucket/key.txt", headers={})
record("s3-sigv2-presign-token", "s3", sign(auth.HmacV1QueryAuth(creds_token, expires=600), req), token=TOKEN, url_only=True)

print(json.dumps(vectors, indent=1, ensure_ascii=False))
