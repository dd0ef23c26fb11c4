"""Starts a server with tests/e2e/harness.py and runs JS SDK test files (`node --test FILE...`) against it.

Usage: run.py [FILE.test.mjs ...]   (default: s3.test.mjs; `--all`: every *.test.mjs in this directory)

Exits 77 (CTest SKIP_RETURN_CODE) with a clear message if node or node_modules is missing
(scripts/bootstrap.sh runs `npm ci` here); otherwise with node's exit code. Node's TAP output, ending
with `# pass N` / `# fail N`, is passed through.
"""

import glob
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402

SKIP = 77
TIMEOUT_S = 600


# The SDK client packages each test file needs (checked before starting a server).
NEEDS = {
    "s3.test.mjs": ["client-s3"],
    "glue_athena.test.mjs": ["client-s3", "client-glue", "client-athena"],
    "kinesis.test.mjs": ["client-kinesis"],
    "identity.test.mjs": ["client-s3", "client-glue", "client-kinesis"],
    "kms.test.mjs": ["client-kms"],
    "sqs.test.mjs": ["client-sqs"],
    "sns.test.mjs": ["client-sns", "client-sqs"],
    "events.test.mjs": ["client-eventbridge", "client-sqs"],
    "scheduler.test.mjs": ["client-scheduler", "client-sqs"],
    "lambda.test.mjs": ["client-lambda"],
    "logs.test.mjs": ["client-cloudwatch-logs"],
    "states.test.mjs": ["client-sfn", "client-sqs"],
    "glue_jobs.test.mjs": ["client-glue", "client-s3", "client-cloudwatch-logs"],
}


def identity_setup(server):
    """For identity.test.mjs: an IAM user and a session of a role it may assume, made with boto3 as root, and
    the bucket and database they are tested on. Returns the environment the test reads."""
    import json
    bucket = "js-identity"
    s3 = harness.boto3_client(server, "s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data/a.csv", Body=b"id\n1\n")
    harness.boto3_client(server, "glue").create_database(DatabaseInput={"Name": "js_identity"})
    iam = harness.boto3_client(server, "iam")
    iam.create_user(UserName="js-analyst")
    role_arn = f"arn:aws:iam::000000000000:role/js-reader"
    iam.put_user_policy(UserName="js-analyst", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]},
            {"Effect": "Allow", "Action": ["glue:GetDatabase", "glue:GetDatabases"], "Resource": "*"},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}]}))
    key = iam.create_access_key(UserName="js-analyst")["AccessKey"]
    iam.create_role(RoleName="js-reader", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": "arn:aws:iam::000000000000:user/js-analyst"}}]}))
    iam.attach_role_policy(RoleName="js-reader", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    import boto3
    sts = boto3.session.Session().client("sts", endpoint_url=server.endpoint, region_name=server.region,
                                         aws_access_key_id=key["AccessKeyId"],
                                         aws_secret_access_key=key["SecretAccessKey"])
    session = sts.assume_role(RoleArn=role_arn, RoleSessionName="js")["Credentials"]
    return {"CENOTE_E2E_USER_ACCESS_KEY_ID": key["AccessKeyId"],
            "CENOTE_E2E_USER_SECRET_ACCESS_KEY": key["SecretAccessKey"],
            "CENOTE_E2E_ROLE_ACCESS_KEY_ID": session["AccessKeyId"],
            "CENOTE_E2E_ROLE_SECRET_ACCESS_KEY": session["SecretAccessKey"],
            "CENOTE_E2E_ROLE_SESSION_TOKEN": session["SessionToken"],
            "CENOTE_E2E_IDENTITY_BUCKET": bucket}


def scheduler_setup(server):
    """For scheduler.test.mjs: a role EventBridge Scheduler may assume that may send to SQS."""
    role_arn = "arn:aws:iam::000000000000:role/js-scheduler"
    harness.create_service_role(server, role_arn, "scheduler.amazonaws.com", actions=("sqs:*",))
    return {"CENOTE_E2E_SCHEDULER_ROLE": role_arn}


def lambda_setup(server):
    """For lambda.test.mjs: an execution role Lambda may assume."""
    role_arn = "arn:aws:iam::000000000000:role/js-lambda"
    harness.create_service_role(server, role_arn, "lambda.amazonaws.com", actions=("logs:*",))
    return {"CENOTE_E2E_LAMBDA_ROLE": role_arn}


def states_setup(server):
    """For states.test.mjs: a role Step Functions may assume that may send to SQS."""
    role_arn = "arn:aws:iam::000000000000:role/js-states"
    harness.create_service_role(server, role_arn, "states.amazonaws.com", actions=("sqs:*",))
    return {"CENOTE_E2E_STATES_ROLE": role_arn}


def glue_jobs_setup(server):
    """For glue_jobs.test.mjs: a role Glue may assume that may read S3 and write logs."""
    role_arn = "arn:aws:iam::000000000000:role/js-glue-jobs"
    harness.create_service_role(server, role_arn, "glue.amazonaws.com", actions=("s3:*", "logs:*"))
    return {"CENOTE_E2E_GLUE_JOBS_ROLE": role_arn}


def test_files(argv):
    if "--all" in argv:
        return sorted(os.path.basename(p) for p in glob.glob(os.path.join(HERE, "*.test.mjs")))
    files = [os.path.basename(a) for a in argv if not a.startswith("-")]
    return files or ["s3.test.mjs"]


def main():
    files = test_files(sys.argv[1:])
    for f in files:
        if not os.path.isfile(os.path.join(HERE, f)):
            print(f"no such test file: {f}")
            return 2
    node = shutil.which("node")
    if not node:
        print("SKIPPED: node is not installed")
        return SKIP
    for f in files:
        for pkg in NEEDS.get(f, ["client-s3"]):
            if not os.path.isdir(os.path.join(HERE, "node_modules", "@aws-sdk", pkg)):
                print(f"SKIPPED: {HERE}/node_modules/@aws-sdk/{pkg} is missing: run scripts/bootstrap.sh "
                      f"(or `npm ci` in {HERE})")
                return SKIP
    server = harness.Server()
    try:
        server.start()
        env = dict(os.environ, CENOTE_E2E_ENDPOINT=server.endpoint, CENOTE_E2E_ACCESS_KEY_ID=server.access_key,
                   CENOTE_E2E_SECRET_ACCESS_KEY=server.secret_key, CENOTE_E2E_REGION=server.region)
        for k in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.pop(k, None)
        if "identity.test.mjs" in files:
            env.update(identity_setup(server))
        if "scheduler.test.mjs" in files:
            env.update(scheduler_setup(server))
        if "lambda.test.mjs" in files:
            env.update(lambda_setup(server))
        if "states.test.mjs" in files:
            env.update(states_setup(server))
        if "glue_jobs.test.mjs" in files:
            env.update(glue_jobs_setup(server))
        print(f"target: {harness.target()}  endpoint: {server.endpoint}", flush=True)
        try:
            r = subprocess.run([node, "--test", "--test-reporter=tap", *files], cwd=HERE, env=env,
                               timeout=TIMEOUT_S)
            code = r.returncode
        except subprocess.TimeoutExpired:
            print(f"# node --test did not finish within {TIMEOUT_S}s\n# fail 1")
            code = 1
        if code != 0:
            print("---- server log tail ----\n" + server.log_tail(), flush=True)
        return code
    finally:
        server.close()


if __name__ == "__main__":
    sys.exit(main())
