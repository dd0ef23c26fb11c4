"""pytest plugin loaded by run_s3tests.py (-p s3tests_region): the suite's IAM and STS clients pass
region_name='' (Ceph accepts a credential scope without a region). botocore's CRT signer refuses to sign with
an empty region and AWS refuses such a scope, so clients asked for region '' get the region the server was
started with (S3TESTS_SIGNING_REGION) instead. Nothing else about the suite's requests changes.

It also deselects the excluded tests by exact node id (S3TESTS_EXCLUDED, one id per line): pytest's own
--deselect matches prefixes, so excluding test_bucket_acl_canned would also drop
test_bucket_acl_canned_private_to_private."""
import os

import boto3

_REGION = os.environ.get("S3TESTS_SIGNING_REGION", "us-east-1")
_client = boto3.client


def _client_with_region(*args, **kwargs):
    if kwargs.get("region_name") == "":
        kwargs["region_name"] = _REGION
    return _client(*args, **kwargs)


boto3.client = _client_with_region


_EXCLUDED = {line.strip() for line in os.environ.get("S3TESTS_EXCLUDED", "").splitlines() if line.strip()}


def pytest_collection_modifyitems(config, items):
    if not _EXCLUDED:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.nodeid in _EXCLUDED else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
