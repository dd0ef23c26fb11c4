"""The cost of IAM enforcement on the hot path: small S3 GETs (4 KiB) signed by an IAM user whose identity policy has
20 statements, from a bucket with a bucket policy, against the same GETs signed by the account's root user, in
one run on one server (issue #15: at least 0.9x).

Load comes from wrk on presigned URLs (SigV4 query signing with boto3), one URL per identity, alternated in
rounds (root, user, root, user, ...) so drift on a loaded machine hits both alike; the ratio is the median
of the per-round ratios. Timings never make this fail.

Usage: python3 bench.py PATH_TO_CENOTE [--duration S] [--rounds N] [--conc C] [--json OUT]
"""

import argparse
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "s3"))
import harness  # noqa: E402
from bench import run_wrk  # noqa: E402  (bench/s3/bench.py)

BUCKET = "iam-bench"
KEY = "data/object-4k"


def twenty_statements(bucket):
    """An identity policy as users write them: 19 statements about other services and prefixes, and the one
    that grants the GET last, so the evaluator looks at all of them."""
    statements = []
    for i in range(19):
        statements.append({
            "Sid": f"Other{i}", "Effect": "Allow",
            "Action": [f"glue:Get{name}" for name in ("Table", "Tables", "Database", "Partitions")] if i % 2 else
            ["s3:PutObject", "s3:DeleteObject"],
            "Resource": f"arn:aws:s3:::{bucket}/prefix-{i}/*" if i % 2 == 0 else "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}} if i % 3 == 0 else {}})
        if not statements[-1]["Condition"]:
            del statements[-1]["Condition"]
    statements.append({"Sid": "ReadData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                       "Resource": f"arn:aws:s3:::{bucket}/data/*",
                       "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8", "10.0.0.0/8"]}}})
    return {"Version": "2012-10-17", "Statement": statements}


def presign(server, creds, bucket, key):
    import boto3
    from botocore.config import Config
    s3 = boto3.session.Session().client(
        "s3", endpoint_url=server.endpoint, region_name=server.region,
        aws_access_key_id=creds[0], aws_secret_access_key=creds[1],
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
    return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=3600)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--conc", type=int, default=8)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)

    with harness.Server() as server:
        s3 = harness.boto3_client(server, "s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_object(Bucket=BUCKET, Key=KEY, Body=os.urandom(4096))
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyInsecureDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
             "Resource": f"arn:aws:s3:::{BUCKET}"},
            {"Sid": "ReadersFromTheAccount", "Effect": "Allow",
             "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "s3:GetObject",
             "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}))
        iam = harness.boto3_client(server, "iam")
        iam.create_user(UserName="bench")
        # A customer managed policy (an inline user policy is limited to 2,048 characters).
        arn = iam.create_policy(PolicyName="twenty", PolicyDocument=json.dumps(twenty_statements(BUCKET)))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="bench", PolicyArn=arn)
        key = iam.create_access_key(UserName="bench")["AccessKey"]
        urls = {"root": presign(server, (server.access_key, server.secret_key), BUCKET, KEY),
                "user": presign(server, (key["AccessKeyId"], key["SecretAccessKey"]), BUCKET, KEY)}
        for who, url in urls.items():  # both must work before anything is timed
            r = run_wrk(url, 1, 1)
            if not r.get("rps") or r.get("non2xx"):
                print(f"{who}: GET does not succeed: {r}", file=sys.stderr)
                return 2
        rounds = []
        for i in range(args.rounds):
            row = {who: run_wrk(url, args.conc, args.duration) for who, url in urls.items()}
            rounds.append(row)
            ratio = (row["user"]["rps"] / row["root"]["rps"]) if row["root"].get("rps") and row["user"].get("rps") else None
            print(f"round {i + 1}: root {row['root'].get('rps') or 0:,.0f} req/s, user {row['user'].get('rps') or 0:,.0f} "
                  f"req/s, user/root {ratio:.3f}" if ratio else f"round {i + 1}: {row}", flush=True)
        ratios = [r["user"]["rps"] / r["root"]["rps"] for r in rounds if r["root"].get("rps") and r["user"].get("rps")]
        median = statistics.median(ratios) if ratios else None
        print(f"4 KiB GET, {args.conc} connections, {args.duration} s x {args.rounds} rounds: "
              f"IAM user (20-statement policy + bucket policy) / root = {median:.3f}" if median else "no ratio")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"rounds": rounds, "ratio_median": median}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
