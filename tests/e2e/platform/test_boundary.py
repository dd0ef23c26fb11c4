"""The one provider boundary, seen from real clients: every service answers an operation Cenote lacks in the
words its SDK expects, and an internal failure never carries internal text (a data-directory path) to the
client; the server log has the cause, with the request id.

Run: CENOTE_BIN=build/cenote python3 tests/e2e/platform/test_boundary.py [-v]
"""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402


@harness.skip_on_moto("moto's answers are its own")
class UnsupportedOperations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def error_of(self, call):
        with self.assertRaises(ClientError) as cm:
            call()
        return cm.exception.response

    def test_s3_answers_not_implemented(self):
        s3 = harness.boto3_client(self.server)
        s3.create_bucket(Bucket="boundary")
        s3.put_object(Bucket="boundary", Key="k", Body=b"x")
        # BitTorrent: AWS stopped offering it (docs/s3-coverage.md).
        r = self.error_of(lambda: s3.get_object_torrent(Bucket="boundary", Key="k"))
        self.assertEqual(r["Error"]["Code"], "NotImplemented")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 501)
        self.assertIn("GetObjectTorrent", r["Error"]["Message"])

    def test_json_services_answer_unknown_operation(self):
        glue = harness.boto3_client(self.server, "glue")
        # Dev endpoints are not supported (docs/glue-coverage.md).
        r = self.error_of(lambda: glue.batch_get_dev_endpoints(DevEndpointNames=["d"]))
        self.assertEqual(r["Error"]["Code"], "UnknownOperationException")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertIn("docs/glue-coverage.md", r["Error"]["Message"])
        # A service with no provider at all answers the same way.
        lakeformation = harness.boto3_client(self.server, "lakeformation")
        r = self.error_of(lambda: lakeformation.list_resources())
        self.assertEqual(r["Error"]["Code"], "UnknownOperationException")

    def test_query_services_answer_invalid_action(self):
        # IAM's SAML providers are not supported (docs/iam-coverage.md).
        iam = harness.boto3_client(self.server, "iam")
        r = self.error_of(lambda: iam.list_saml_providers())
        self.assertEqual(r["Error"]["Code"], "InvalidAction")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 400)


@harness.skip_on_moto("moto has no data directory")
class InternalFailures(unittest.TestCase):
    def setUp(self):
        self.server = harness.Server().start()
        self.s3 = harness.boto3_client(self.server)

    def tearDown(self):
        self.server.close()

    def test_a_failed_blob_write_answers_internal_error_without_its_path(self):
        self.s3.create_bucket(Bucket="fragile")
        # The blob directory vanishes under the server: the next non-inline PUT fails in the blob store,
        # whose error names the data directory.
        shutil.rmtree(os.path.join(self.server.data_dir, "s3", "blobs"))
        with self.assertRaises(ClientError) as cm:
            self.s3.put_object(Bucket="fragile", Key="big.bin", Body=b"x" * 100_000)
        r = cm.exception.response
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 500)
        self.assertEqual(r["Error"]["Code"], "InternalError")
        self.assertEqual(r["Error"]["Message"], "We encountered an internal error. Please try again.")
        request_id = r["ResponseMetadata"]["RequestId"]
        for field in (r["Error"].get("Message", ""), str(r.get("Error"))):
            self.assertNotIn(self.server.data_dir, field)
            self.assertNotIn("blob", field.lower())
        # The cause is in the log, with the request id.
        log = self.server.log_tail(200)
        self.assertIn(request_id, log)
        self.assertIn(self.server.data_dir, log)
        # Small objects are inline in the metadata store and still work.
        self.s3.put_object(Bucket="fragile", Key="small.txt", Body=b"ok")
        self.assertEqual(self.s3.get_object(Bucket="fragile", Key="small.txt")["Body"].read(), b"ok")


if __name__ == "__main__":
    harness.main()
