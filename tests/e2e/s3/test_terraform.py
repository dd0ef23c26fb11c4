"""S3 managed with Terraform's AWS provider (the offline mirror the machine image ships): a bucket with
versioning, CORS, public access block, ownership controls and an object is applied, planned again with no
changes (every bucket setting the provider reads on refresh answers as AWS does), checked with boto3, and
destroyed.

Skipped (exit 77) where `terraform` or the provider mirror is absent.
Run: CENOTE_BIN=build/cenote python3 tests/e2e/s3/test_terraform.py [-v]
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

from botocore.exceptions import ClientError  # noqa: E402

SERVER = None
TF_TIMEOUT_S = 300


def provider_mirror():
    """A filesystem mirror holding hashicorp/aws: $CENOTE_TF_PLUGINS, or where the machine image puts it."""
    candidates = [os.environ.get("CENOTE_TF_PLUGINS", "")] + ["/opt/tf-plugins", "/usr/share/tf-plugins",
                                                                "/usr/local/share/tf-plugins"]
    for path in candidates:
        if path and glob.glob(os.path.join(path, "registry.terraform.io", "hashicorp", "aws", "*")):
            return path
    return None


MAIN_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
variable "endpoint" { type = string }
variable "bucket" { type = string }
variable "access_key" { type = string }
variable "secret_key" { type = string }
provider "aws" {
  region                      = "us-east-1"
  access_key                  = var.access_key
  secret_key                  = var.secret_key
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_requesting_account_id  = true
  s3_use_path_style           = true
  endpoints { s3 = var.endpoint }
}
resource "aws_s3_bucket" "lake" { bucket = var.bucket }
resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id
  versioning_configuration { status = "Enabled" }
}
resource "aws_s3_bucket_cors_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id
  cors_rule {
    allowed_methods = ["GET", "PUT"]
    allowed_origins = ["https://app.example.com"]
    allowed_headers = ["*"]
    max_age_seconds = 600
  }
}
resource "aws_s3_bucket_public_access_block" "lake" {
  bucket                  = aws_s3_bucket.lake.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = false
}
resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id
  rule { object_ownership = "BucketOwnerPreferred" }
}
resource "aws_s3_object" "readme" {
  bucket     = aws_s3_bucket.lake.id
  key        = "raw/README.txt"
  content    = "hello from terraform"
  depends_on = [aws_s3_bucket_versioning.lake]
}
"""


def setUpModule():
    global SERVER
    SERVER = harness.Server().start()


def tearDownModule():
    if SERVER is not None:
        SERVER.close()


class Terraform(unittest.TestCase):
    def setUp(self):
        self.mirror = provider_mirror()
        self.work = tempfile.mkdtemp(prefix="cenote-tf-")
        with open(os.path.join(self.work, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n'
                    '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
                    '  direct { exclude = ["registry.terraform.io/hashicorp/aws"] }\n}\n' % self.mirror)
        with open(os.path.join(self.work, "main.tf"), "w") as f:
            f.write(MAIN_TF)
        self.bucket = f"tf-lake-{uuid.uuid4().hex[:10]}"
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(self.work, "cli.tfrc"), TF_IN_AUTOMATION="1",
                        CHECKPOINT_DISABLE="1", TF_DATA_DIR=os.path.join(self.work, ".terraform"))
        self.vars = ["-var", f"endpoint={SERVER.endpoint}", "-var", f"bucket={self.bucket}",
                     "-var", f"access_key={SERVER.access_key}", "-var", f"secret_key={SERVER.secret_key}"]

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def tf(self, *args, expect=(0,)):
        proc = subprocess.run(["terraform", *args, "-input=false", "-no-color"], cwd=self.work, env=self.env,
                              capture_output=True, text=True, timeout=TF_TIMEOUT_S)
        if proc.returncode not in expect:
            self.fail(f"terraform {args[0]} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
        return proc

    def test_apply_plan_destroy(self):
        self.tf("init")
        self.tf("apply", "-auto-approve", *self.vars)
        # A second plan must find nothing to change: every setting read back as written.
        self.tf("plan", "-detailed-exitcode", *self.vars)

        s3 = harness.boto3_client(SERVER)
        self.assertEqual(s3.get_bucket_versioning(Bucket=self.bucket)["Status"], "Enabled")
        rules = s3.get_bucket_cors(Bucket=self.bucket)["CORSRules"]
        self.assertEqual(rules[0]["AllowedOrigins"], ["https://app.example.com"])
        self.assertEqual(rules[0]["MaxAgeSeconds"], 600)
        pab = s3.get_public_access_block(Bucket=self.bucket)["PublicAccessBlockConfiguration"]
        self.assertFalse(pab["RestrictPublicBuckets"])
        self.assertTrue(pab["BlockPublicAcls"])
        own = s3.get_bucket_ownership_controls(Bucket=self.bucket)["OwnershipControls"]["Rules"][0]
        self.assertEqual(own["ObjectOwnership"], "BucketOwnerPreferred")
        body = s3.get_object(Bucket=self.bucket, Key="raw/README.txt")["Body"].read()
        self.assertEqual(body, b"hello from terraform")

        self.tf("destroy", "-auto-approve", *self.vars)
        with self.assertRaises(ClientError) as caught:
            s3.head_bucket(Bucket=self.bucket)
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)


if __name__ == "__main__":
    if shutil.which("terraform") is None or provider_mirror() is None:
        print("skipped: terraform or its hashicorp/aws provider mirror is not installed")
        print("0 passed, 0 failed, 1 skipped")
        sys.exit(77)
    harness.main()
