"""Lambda response streaming with boto3 and raw HTTP: handlers wrapped in awslambda.streamifyResponse, run by
Cenote's own Node.js runtime (nodejs20.x) and by AWS's aws-lambda-ric 3.3.0 (a provided.al2023 function with
the ric as a layer), both speaking the Runtime API's streaming response mode (chunked body,
Lambda-Runtime-Function-Response-Mode: streaming, the error in trailers).

- InvokeWithResponseStream: PayloadChunk events arrive as the handler writes them; the first one comes before
  the handler ends (it sleeps between its writes); an error thrown after a write ends the stream with
  InvokeComplete's ErrorCode/ErrorDetails.
- Invoke (RequestResponse) of a streaming handler answers every streamed byte as the payload.
- A function URL with InvokeMode RESPONSE_STREAM: the status, headers and cookies of
  awslambda.HttpResponseStream.from's prelude, the body chunked to the client as written (first line before the
  handler ends); a plain stream gets its Content-Type and status 200.

The ric half skips when .deps/aws-lambda-ric is absent; InvokeWithResponseStream needs a boto3 that has it.
Run: CENOTE_BIN=build/cenote python3 tests/e2e/lambda/test_response_streaming.py [-v]
"""

import http.client
import json
import os
import sys
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from lambda_zips import RIC_DIR, ric_layer_zip, zip_of  # noqa: E402

SERVER = None
ROLE = None
LAYER = None
PAUSE_S = 1.5

APP = """
export const handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  const path = event.rawPath || "";
  if (path === "/http") {
    responseStream = awslambda.HttpResponseStream.from(responseStream, {
      statusCode: 201,
      headers: { "content-type": "text/plain", "x-streamed": "yes" },
      cookies: ["flavour=chunked"],
    });
  } else if (path === "/plain") {
    responseStream.setContentType("text/csv");
  }
  responseStream.write("first " + context.awsRequestId + "\\n");
  await new Promise((resolve) => setTimeout(resolve, %d));
  if (event.fail || path === "/fail") throw new RangeError("failed after the first write");
  responseStream.write("second\\n");
  responseStream.end();
});
""" % int(PAUSE_S * 1000)

BOOTSTRAP = """#!/bin/sh
cd "$LAMBDA_TASK_ROOT"
exec node /opt/aws-lambda-ric/bin/index.mjs "$_HANDLER"
"""
def setUpModule():
    global SERVER, ROLE, LAYER
    SERVER = harness.Server().start()
    account = harness.boto3_client(SERVER, "sts").get_caller_identity()["Account"]
    ROLE = f"arn:aws:iam::{account}:role/lambda-streaming-e2e"
    harness.create_service_role(SERVER, ROLE, "lambda.amazonaws.com", actions=("logs:*",))
    if os.path.exists(os.path.join(RIC_DIR, "dist", "index.mjs")):
        LAYER = lam().publish_layer_version(LayerName="aws-lambda-ric", Content={"ZipFile": ric_layer_zip()},
                                            CompatibleRuntimes=["provided.al2023"])["LayerVersionArn"]


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


def lam():
    return harness.boto3_client(SERVER, "lambda")


def create(kind):
    name = f"stream-{kind}-" + uuid.uuid4().hex[:8]
    if kind == "cenote":
        lam().create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE, Handler="app.handler",
                              Timeout=30, Code={"ZipFile": zip_of({"app.mjs": APP})})
    else:
        lam().create_function(FunctionName=name, Runtime="provided.al2023", Role=ROLE, Handler="app.handler",
                              Layers=[LAYER], Timeout=30,
                              Code={"ZipFile": zip_of({"bootstrap": BOOTSTRAP, "app.mjs": APP},
                                                      {"bootstrap": 0o755})})
    return name


class StreamingBase:
    kind = None

    def setUp(self):
        if self.kind == "ric" and LAYER is None:
            self.skipTest("aws-lambda-ric is not built (.deps/aws-lambda-ric)")

    def test_invoke_with_response_stream(self):
        if not hasattr(lam(), "invoke_with_response_stream"):
            self.skipTest("this boto3 has no invoke_with_response_stream")
        name = create(self.kind)
        for attempt in ("cold", "warm"):
            started = time.monotonic()
            r = lam().invoke_with_response_stream(FunctionName=name, Payload=b"{}", LogType="Tail")
            self.assertEqual(r["StatusCode"], 200)
            chunks, complete, first_at, complete_at = [], None, None, None
            for event in r["EventStream"]:
                if "PayloadChunk" in event:
                    if first_at is None:
                        first_at = time.monotonic()
                    chunks.append(event["PayloadChunk"]["Payload"])
                elif "InvokeComplete" in event:
                    complete, complete_at = event["InvokeComplete"], time.monotonic()
            body = b"".join(chunks).decode()
            request_id = r["ResponseMetadata"]["RequestId"]
            self.assertEqual(body, f"first {request_id}\nsecond\n", attempt)
            self.assertIsNotNone(complete)
            self.assertNotIn("ErrorCode", complete)
            # The first chunk left before the handler's pause was over: streamed, not buffered.
            self.assertGreaterEqual(complete_at - first_at, PAUSE_S * 0.6, attempt)
            self.assertGreater(len(chunks), 1)
            self.assertLess(first_at - started, complete_at - started)

        # An error after the first write: what was written, then InvokeComplete with the error.
        r = lam().invoke_with_response_stream(FunctionName=name, Payload=json.dumps({"fail": True}).encode())
        events = list(r["EventStream"])
        body = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e).decode()
        self.assertTrue(body.startswith("first "), body)
        self.assertNotIn("second", body)
        complete = [e["InvokeComplete"] for e in events if "InvokeComplete" in e][0]
        self.assertEqual(complete["ErrorCode"], "Unhandled")
        details = json.loads(complete["ErrorDetails"])
        self.assertEqual(details["errorType"], "RangeError")
        self.assertEqual(details["errorMessage"], "failed after the first write")

    def test_invoke_buffers_a_streamed_response(self):
        name = create(self.kind)
        r = lam().invoke(FunctionName=name, Payload=b"{}")
        self.assertNotIn("FunctionError", r)
        self.assertEqual(r["Payload"].read().decode(), f"first {r['ResponseMetadata']['RequestId']}\nsecond\n")
        r = lam().invoke(FunctionName=name, Payload=json.dumps({"fail": True}).encode())
        self.assertEqual(r["FunctionError"], "Unhandled")
        self.assertEqual(json.loads(r["Payload"].read())["errorType"], "RangeError")

    def test_function_url_response_stream(self):
        name = create(self.kind)
        url = lam().create_function_url_config(FunctionName=name, AuthType="NONE",
                                               InvokeMode="RESPONSE_STREAM")
        self.assertEqual(url["InvokeMode"], "RESPONSE_STREAM")
        self.assertEqual(lam().get_function_url_config(FunctionName=name)["InvokeMode"], "RESPONSE_STREAM")
        lam().add_permission(FunctionName=name, StatementId="public", Action="lambda:InvokeFunctionUrl",
                             Principal="*", FunctionUrlAuthType="NONE")
        host = urllib.parse.urlparse(url["FunctionUrl"]).hostname

        def open_url(path):
            conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=60)
            conn.request("GET", path, headers={"Host": host})
            return conn, conn.getresponse()

        # HttpResponseStream.from: the prelude's status, headers and cookies; the body as written.
        conn, resp = open_url("/http")
        self.assertEqual(resp.status, 201)
        self.assertEqual(resp.getheader("content-type"), "text/plain")
        self.assertEqual(resp.getheader("x-streamed"), "yes")
        self.assertEqual(resp.getheader("set-cookie"), "flavour=chunked")
        self.assertEqual(resp.getheader("transfer-encoding"), "chunked")
        first = resp.readline()
        first_at = time.monotonic()
        self.assertTrue(first.startswith(b"first "), first)
        rest = resp.read()
        self.assertGreaterEqual(time.monotonic() - first_at, PAUSE_S * 0.6)
        self.assertEqual(rest, b"second\n")
        conn.close()

        # A plain stream: 200 with the stream's Content-Type.
        conn, resp = open_url("/plain")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.getheader("content-type"), "text/csv")
        self.assertTrue(resp.read().endswith(b"second\n"))
        conn.close()

        # An error after the first write ends the body early (the status is already out).
        conn, resp = open_url("/fail")
        self.assertEqual(resp.status, 200)
        body = resp.read()
        self.assertTrue(body.startswith(b"first "), body)
        self.assertNotIn(b"second", body)
        conn.close()

        # Back to BUFFERED: the function's streamed bytes come as one body.
        lam().update_function_url_config(FunctionName=name, InvokeMode="BUFFERED")
        conn, resp = open_url("/plain")
        self.assertEqual(resp.status, 200)
        self.assertIsNotNone(resp.getheader("content-length"))
        self.assertTrue(resp.read().endswith(b"second\n"))
        conn.close()


class CenoteNodeRuntime(StreamingBase, unittest.TestCase):
    kind = "cenote"


class AwsLambdaRic(StreamingBase, unittest.TestCase):
    kind = "ric"


if __name__ == "__main__":
    unittest.main()
