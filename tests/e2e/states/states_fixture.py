"""What the Step Functions end-to-end tests share: a server with a role Step Functions may assume (and a bucket),
the client, and waiting for an execution, its history and a Map Run's children.

Used by test_boto3.py and test_map_run.py (each starts its own server in setUpModule).
"""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402


def start_server(role, actions, bucket=None, other_roles=()):
    """A started server with `role` trusting states.amazonaws.com and allowed `actions`, each (arn, service) of
    `other_roles` trusting its service, and `bucket` created when given."""
    server = harness.Server().start()
    harness.create_service_role(server, role, "states.amazonaws.com", actions=actions)
    for arn, service in other_roles:
        harness.create_service_role(server, arn, service)
    if bucket:
        harness.boto3_client(server, "s3").create_bucket(Bucket=bucket)
    return server


def client(server):
    # StartSyncExecution's endpoint has the host prefix "sync-" (the model's hostPrefix): SDKs prepend it to a
    # custom endpoint's host too ("sync-127.0.0.1"), so clients of a local endpoint turn the injection off.
    return harness.boto3_client(server, "stepfunctions", inject_host_prefix=False)


def wait_done(c, arn, timeout=60, poll=0.2):
    """DescribeExecution once `arn` is no longer RUNNING (fails the test after `timeout` seconds)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = c.describe_execution(executionArn=arn)
        if d["status"] != "RUNNING":
            return d
        time.sleep(poll)
    raise AssertionError(f"{arn} still running after {timeout}s")


def all_pages(call, key, **kw):
    """Every item under `key` of the paginated operation `call(**kw)`, following nextToken."""
    out, token = [], None
    while True:
        r = call(**(dict(kw, nextToken=token) if token else kw))
        out += r[key]
        token = r.get("nextToken")
        if not token:
            return out


def history(c, arn, page=100):
    """Every event of the execution `arn`, through GetExecutionHistory's pages."""
    return all_pages(c.get_execution_history, "events", executionArn=arn, maxResults=page)


def map_run_children(c, map_run_arn, page=200):
    """Every child execution of the Map Run, through ListExecutions(mapRunArn)'s pages."""
    return all_pages(c.list_executions, "executions", mapRunArn=map_run_arn, maxResults=page)
