"""Glue pythonshell job latency: StartJobRun to a SUCCEEDED GetJobRun for a trivial script (prints its
arguments), against the floor: the same script run as `python3 script.py --JOB_NAME ...` in a plain process
(interpreter start, run, exit; no role credentials, no S3 read, no sandbox, no logs).

What a Cenote run adds to the floor: STS AssumeRole for the job's role, reading the script from S3, the sandbox,
shipping stdout/stderr to CloudWatch Logs, storing the run's states, the Glue Job State Change event, and the
client's polling interval (--poll-ms, default 20 ms: GetJobRun calls until the state is final).

Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import harness  # noqa: E402

SCRIPT = "import sys\nprint('args', sys.argv[1:])\n"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--poll-ms", type=float, default=20)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)

    work = tempfile.mkdtemp(prefix="cenote-bench-glue-")
    path = os.path.join(work, "script.py")
    with open(path, "w") as f:
        f.write(SCRIPT)
    python = subprocess.run(["python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    floor = []
    for i in range(args.runs):
        t0 = time.perf_counter()
        subprocess.run([python, "-u", path, "--JOB_NAME", "bench", "--JOB_RUN_ID", f"jr_{i}"], check=True,
                       capture_output=True)
        floor.append((time.perf_counter() - t0) * 1000)

    server = harness.Server().start()
    try:
        account = harness.boto3_client(server, "sts").get_caller_identity()["Account"]
        role = f"arn:aws:iam::{account}:role/bench-glue"
        harness.create_service_role(server, role, "glue.amazonaws.com", actions=("s3:*", "logs:*"))
        s3 = harness.boto3_client(server, "s3")
        s3.create_bucket(Bucket="bench-glue")
        s3.put_object(Bucket="bench-glue", Key="script.py", Body=SCRIPT.encode())
        glue = harness.boto3_client(server, "glue")
        glue.create_job(Name="bench", Role=role,
                        Command={"Name": "pythonshell", "ScriptLocation": "s3://bench-glue/script.py"})
        runs = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            run_id = glue.start_job_run(JobName="bench")["JobRunId"]
            while True:
                state = glue.get_job_run(JobName="bench", RunId=run_id)["JobRun"]["JobRunState"]
                if state in ("SUCCEEDED", "FAILED", "ERROR", "TIMEOUT", "STOPPED"):
                    break
                time.sleep(args.poll_ms / 1000)
            if state != "SUCCEEDED":
                raise SystemExit(f"run {run_id} ended {state}")
            runs.append((time.perf_counter() - t0) * 1000)
    finally:
        server.close()

    result = {
        "runs": args.runs,
        "poll_ms": args.poll_ms,
        "floor_p50_ms": round(pct(floor, 50), 1),
        "floor_p99_ms": round(pct(floor, 99), 1),
        "job_p50_ms": round(pct(runs, 50), 1),
        "job_p99_ms": round(pct(runs, 99), 1),
        "job_mean_ms": round(statistics.mean(runs), 1),
    }
    result["ratio_p50"] = round(result["job_p50_ms"] / result["floor_p50_ms"], 2)
    print(f"plain python3 script.py          p50 {result['floor_p50_ms']:8.1f} ms   p99 {result['floor_p99_ms']:8.1f} ms")
    print(f"pythonshell StartJobRun->SUCCEEDED p50 {result['job_p50_ms']:8.1f} ms   p99 {result['job_p99_ms']:8.1f} ms")
    print(f"ratio (p50): {result['ratio_p50']}x the floor")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
