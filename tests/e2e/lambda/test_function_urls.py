"""Lambda function URLs end to end: boto3 creates, reads, updates, lists and deletes URL configs; urllib calls the
URL (AWS's Host header on Cenote's address, and the *.localhost form) and the function gets AWS's payload format 2.0
event; results map to HTTP responses as AWS documents; AuthType NONE needs the public AddPermission statement;
AuthType AWS_IAM needs a SigV4 signature (botocore's SigV4Auth, service "lambda") from a principal allowed
lambda:InvokeFunctionUrl, and refuses unsigned and wrongly signed calls; CORS preflights come from the URL config.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_function_urls.py [-v]
"""

import http.client
import json
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lambda_zips import zip_of  # noqa: E402

from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
ROLE = None

HANDLER = """
import base64, json
def handler(event, context):
    mode = (event.get("queryStringParameters") or {}).get("mode", "echo")
    if mode == "string":
        return "Hello, world!"
    if mode == "object":
        return {"message": "Hello, world!"}
    if mode == "fail":
        raise RuntimeError("boom")
    if mode == "binary":
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                "body": base64.b64encode(bytes(range(4))).decode(), "isBase64Encoded": True}
    return {"statusCode": 201, "headers": {"Content-Type": "application/json", "X-Custom": "yes"},
            "cookies": ["c1=v1; Max-Age=60", "c2=v2"], "body": json.dumps({"event": event})}
"""


def setUpModule():
    global SERVER, ROLE
    SERVER = harness.Server().start()
    account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{account}:role/lambda-url-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("logs:*",))


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def lam():
    return harness.boto3_client(SERVER, "lambda")

def create_function(name):
    lam().create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                          Code={"ZipFile": zip_of({"app.py": HANDLER})})
    lam().get_waiter("function_active_v2").wait(FunctionName=name)


def call(url, method="GET", path="/", body=None, headers=None, host_form="aws"):
    """(status, headers dict of lists, body bytes) of a request to a function URL at Cenote's address, with the
    URL's host as Host ("aws") or as the *.localhost name ("localhost")."""
    host = urllib.parse.urlparse(url).hostname
    if host_form == "localhost":
        host = host.replace(".on.aws", ".localhost")
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=60)
    all_headers = {"Host": host}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    r = conn.getresponse()
    data = r.read()
    out = {}
    for k, v in r.getheaders():
        out.setdefault(k.lower(), []).append(v)
    conn.close()
    return r.status, out, data


def signed_headers(url, method, path, body, creds, service="lambda"):
    host = urllib.parse.urlparse(url).hostname
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body or b"",
                         headers={"Content-Type": "application/json"})
    SigV4Auth(creds, service, SERVER.region).add_auth(request)
    return dict(request.headers.items())


class FunctionUrlTest(unittest.TestCase):

    def test_config_operations(self):
        create_function("url-config")
        c = lam().create_function_url_config(FunctionName="url-config", AuthType="NONE",
                                             Cors={"AllowOrigins": ["https://app.example.com"]})
        self.assertEqual(c["ResponseMetadata"]["HTTPStatusCode"], 201)
        self.assertRegex(c["FunctionUrl"], r"^https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/$")
        self.assertTrue(c["FunctionArn"].endswith(":function:url-config"))
        self.assertEqual(c["AuthType"], "NONE")
        self.assertEqual(c.get("InvokeMode", "BUFFERED"), "BUFFERED")  # older botocore models lack InvokeMode
        self.assertEqual(c["Cors"]["AllowOrigins"], ["https://app.example.com"])
        with self.assertRaises(ClientError) as e:
            lam().create_function_url_config(FunctionName="url-config", AuthType="NONE")
        self.assertEqual(e.exception.response["Error"]["Code"], "ResourceConflictException")
        g = lam().get_function_url_config(FunctionName="url-config")
        self.assertEqual(g["FunctionUrl"], c["FunctionUrl"])
        self.assertIn("LastModifiedTime", g)
        u = lam().update_function_url_config(FunctionName="url-config", AuthType="AWS_IAM")
        self.assertEqual(u["AuthType"], "AWS_IAM")
        self.assertEqual(u["FunctionUrl"], c["FunctionUrl"])
        # An alias has its own URL; a version cannot have one (the model's Qualifier pattern excludes numbers).
        lam().publish_version(FunctionName="url-config")
        lam().create_alias(FunctionName="url-config", Name="live", FunctionVersion="1")
        a = lam().create_function_url_config(FunctionName="url-config", Qualifier="live", AuthType="NONE")
        self.assertTrue(a["FunctionArn"].endswith(":function:url-config:live"))
        self.assertNotEqual(a["FunctionUrl"], c["FunctionUrl"])
        self.assertEqual(harness.error_of(lam().create_function_url_config, FunctionName="url-config",
                                          Qualifier="1", AuthType="NONE")[1], "ValidationException")
        listed = lam().list_function_url_configs(FunctionName="url-config")["FunctionUrlConfigs"]
        self.assertEqual(sorted(x["FunctionUrl"] for x in listed), sorted([a["FunctionUrl"], c["FunctionUrl"]]))
        page = lam().list_function_url_configs(FunctionName="url-config", MaxItems=1)
        self.assertEqual(len(page["FunctionUrlConfigs"]), 1)
        rest = lam().list_function_url_configs(FunctionName="url-config", Marker=page["NextMarker"])
        self.assertEqual(len(rest["FunctionUrlConfigs"]), 1)
        self.assertNotIn("NextMarker", rest)
        # InvokeMode RESPONSE_STREAM is kept (test_response_streaming.py streams through it), where the client's
        # model knows InvokeMode.
        update = lam().meta.service_model.operation_model("UpdateFunctionUrlConfig")
        if "InvokeMode" in update.input_shape.members:
            self.assertEqual(lam().update_function_url_config(FunctionName="url-config",
                                                              InvokeMode="RESPONSE_STREAM")["InvokeMode"],
                             "RESPONSE_STREAM")
            self.assertEqual(lam().get_function_url_config(FunctionName="url-config")["InvokeMode"],
                             "RESPONSE_STREAM")
        lam().delete_function_url_config(FunctionName="url-config")
        self.assertEqual(harness.error_of(lam().get_function_url_config, FunctionName="url-config"),
                         (404, "ResourceNotFoundException"))
        # An alias's URL goes with the alias.
        lam().delete_alias(FunctionName="url-config", Name="live")
        self.assertEqual(lam().list_function_url_configs(FunctionName="url-config")["FunctionUrlConfigs"], [])

    def test_none_auth_invocation_event_and_results(self):
        create_function("url-public")
        url = lam().create_function_url_config(FunctionName="url-public", AuthType="NONE")["FunctionUrl"]
        # Without the public statement AWS requires: 403.
        status, _, body = call(url)
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body), {"Message": "Forbidden"})
        lam().add_permission(FunctionName="url-public", StatementId="public-url", Action="lambda:InvokeFunctionUrl",
                             Principal="*", FunctionUrlAuthType="NONE")

        status, headers, body = call(url, "POST", "/orders/7?x=1&x=2&name=Jane%20Doe", body=b'{"k": "v"}',
                                     headers={"Content-Type": "application/json", "Cookie": "a=1; b=2",
                                              "User-Agent": "e2e-agent"})
        self.assertEqual(status, 201, body)
        self.assertEqual(headers["x-custom"], ["yes"])
        self.assertEqual(sorted(headers["set-cookie"]), ["c1=v1; Max-Age=60", "c2=v2"])
        event = json.loads(body)["event"]
        self.assertEqual(event["version"], "2.0")
        self.assertEqual(event["routeKey"], "$default")
        self.assertEqual(event["rawPath"], "/orders/7")
        self.assertEqual(event["rawQueryString"], "x=1&x=2&name=Jane%20Doe")
        self.assertEqual(event["queryStringParameters"], {"x": "1,2", "name": "Jane Doe"})
        self.assertEqual(event["cookies"], ["a=1", "b=2"])
        self.assertEqual(event["headers"]["content-type"], "application/json")
        self.assertNotIn("cookie", event["headers"])
        self.assertEqual(event["body"], '{"k": "v"}')
        self.assertFalse(event["isBase64Encoded"])
        ctx = event["requestContext"]
        url_id = urllib.parse.urlparse(url).hostname.split(".")[0]
        self.assertEqual(ctx["apiId"], url_id)
        self.assertEqual(ctx["domainPrefix"], url_id)
        self.assertEqual(ctx["domainName"], urllib.parse.urlparse(url).hostname)
        self.assertEqual(ctx["http"]["method"], "POST")
        self.assertEqual(ctx["http"]["path"], "/orders/7")
        self.assertEqual(ctx["http"]["protocol"], "HTTP/1.1")
        self.assertEqual(ctx["http"]["sourceIp"], "127.0.0.1")
        self.assertEqual(ctx["http"]["userAgent"], "e2e-agent")
        self.assertEqual(ctx["routeKey"], "$default")
        self.assertEqual(ctx["stage"], "$default")
        self.assertIsInstance(ctx["timeEpoch"], int)
        self.assertNotIn("authorizer", ctx)

        # A binary body arrives base64; the *.localhost host form reaches the same URL.
        status, _, body = call(url, "PUT", "/bin", body=bytes([0, 255, 1]),
                               headers={"Content-Type": "application/octet-stream"}, host_form="localhost")
        self.assertEqual(status, 201)
        event = json.loads(body)["event"]
        self.assertTrue(event["isBase64Encoded"])
        self.assertEqual(event["body"], "AP8B")

        # Results: a string and an object become 200 application/json bodies as returned.
        status, headers, body = call(url, path="/?mode=string")
        self.assertEqual((status, body), (200, b'"Hello, world!"'))
        self.assertEqual(headers["content-type"], ["application/json"])
        status, _, body = call(url, path="/?mode=object")
        self.assertEqual((status, json.loads(body)), (200, {"message": "Hello, world!"}))
        status, headers, body = call(url, path="/?mode=binary")
        self.assertEqual((status, body), (200, bytes(range(4))))
        self.assertEqual(headers["content-type"], ["application/octet-stream"])
        status, _, body = call(url, path="/?mode=fail")
        self.assertEqual(status, 502)

        # An unknown URL id: 403.
        status, _, _ = call(url.replace(url_id, "0" * 32))
        self.assertEqual(status, 403)

    def test_cors_preflight_from_the_config(self):
        create_function("url-cors")
        url = lam().create_function_url_config(
            FunctionName="url-cors", AuthType="NONE",
            Cors={"AllowOrigins": ["https://app.example.com"], "AllowMethods": ["GET", "POST"],
                  "AllowHeaders": ["content-type"], "ExposeHeaders": ["x-custom"], "MaxAge": 300})["FunctionUrl"]
        lam().add_permission(FunctionName="url-cors", StatementId="public", Action="lambda:InvokeFunctionUrl",
                             Principal="*", FunctionUrlAuthType="NONE")
        status, headers, _ = call(url, "OPTIONS", "/", headers={
            "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["access-control-allow-origin"], ["https://app.example.com"])
        self.assertEqual(headers["access-control-allow-methods"], ["GET,POST"])
        self.assertEqual(headers["access-control-max-age"], ["300"])
        status, headers, _ = call(url, "OPTIONS", "/", headers={
            "Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"})
        self.assertNotIn("access-control-allow-origin", headers)
        status, headers, _ = call(url, "GET", "/?mode=object", headers={"Origin": "https://app.example.com"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["access-control-allow-origin"], ["https://app.example.com"])
        self.assertEqual(headers["access-control-expose-headers"], ["x-custom"])

    def test_aws_iam_auth(self):
        create_function("url-iam")
        url = lam().create_function_url_config(FunctionName="url-iam", AuthType="AWS_IAM")["FunctionUrl"]
        # Unsigned: refused.
        status, _, body = call(url, "POST", "/", body=b"{}")
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body), {"Message": "Forbidden"})
        # Signed by the account's root: allowed, and the caller is in the event.
        root = Credentials(SERVER.access_key, SERVER.secret_key)
        status, _, body = call(url, "POST", "/signed?a=b", body=b"{}",
                               headers=signed_headers(url, "POST", "/signed?a=b", b"{}", root))
        self.assertEqual(status, 201, body)
        iam_ctx = json.loads(body)["event"]["requestContext"]["authorizer"]["iam"]
        self.assertEqual(iam_ctx["accessKey"], SERVER.access_key)
        self.assertTrue(iam_ctx["userArn"].endswith(":root"))
        # Signed for another service, or tampered with: refused.
        status, _, _ = call(url, "POST", "/", body=b"{}", headers=signed_headers(url, "POST", "/", b"{}", root, "s3"))
        self.assertEqual(status, 403)
        status, _, _ = call(url, "POST", "/other", body=b"{}",
                            headers=signed_headers(url, "POST", "/", b"{}", root))
        self.assertEqual(status, 403)

        # An IAM user: denied without lambda:InvokeFunctionUrl, allowed with it.
        iam = harness.boto3_client(SERVER, "iam")
        iam.create_user(UserName="url-caller")
        key = iam.create_access_key(UserName="url-caller")["AccessKey"]
        user = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
        status, _, _ = call(url, "POST", "/", body=b"{}", headers=signed_headers(url, "POST", "/", b"{}", user))
        self.assertEqual(status, 403)
        iam.put_user_policy(UserName="url-caller", PolicyName="invoke-url", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "lambda:InvokeFunctionUrl", "Resource": "*",
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}}}]}))
        status, _, body = call(url, "POST", "/", body=b"{}", headers=signed_headers(url, "POST", "/", b"{}", user))
        self.assertEqual(status, 201, body)
        self.assertTrue(json.loads(body)["event"]["requestContext"]["authorizer"]["iam"]["userArn"]
                        .endswith(":user/url-caller"))


if __name__ == "__main__":
    harness.main()
