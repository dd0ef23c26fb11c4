"""Lambda latency and throughput: a trivial Python handler (returns its event) on Cenote's execution environments,
against the floor for a cold start: the same handler run in a plain `python3` process per call (interpreter start,
import, call, exit; no sandbox, no Runtime API, no HTTP).

Reported: cold-start invoke latency (each invoke after UpdateFunctionConfiguration, so a new environment starts:
sandbox, interpreter, runtime client, Runtime API round trip) p50/p99 and the Init Duration Cenote reports; warm
invoke latency p50/p99 (sequential Invoke calls from boto3, one environment); invokes/s with T client threads (T
environments); and the ratios cold/floor and warm/floor. Moto's Lambda needs Docker and is not run here.

Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import base64
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import harness  # noqa: E402

HANDLER = "def handler(event, context):\n    return event\n"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--cold", type=int, default=20)
    ap.add_argument("--warm", type=int, default=300)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)

    # The floor: one python3 process per call running the handler.
    work = tempfile.mkdtemp(prefix="cenote-bench-lambda-")
    with open(os.path.join(work, "app.py"), "w") as f:
        f.write(HANDLER)
    # The interpreter Cenote runs (python3 on PATH, resolved past shims such as pyenv's).
    python = subprocess.run(["python3", "-c", "import os, sys; print(os.path.realpath(sys.executable))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    floor = []
    for _ in range(args.cold):
        t0 = time.perf_counter()
        subprocess.run([python, "-c", "import json, app; print(json.dumps(app.handler({'x': 1}, None)))"],
                       cwd=work, check=True, capture_output=True)
        floor.append((time.perf_counter() - t0) * 1000)

    server = harness.Server().start()
    try:
        account = harness.boto3_client(server, "sts").get_caller_identity()["Account"]
        role = f"arn:aws:iam::{account}:role/bench-lambda"
        harness.create_service_role(server, role, "lambda.amazonaws.com", actions=("logs:*",))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("app.py", HANDLER)
        lam = harness.boto3_client(server, "lambda")
        lam.create_function(FunctionName="bench", Runtime="python3.12", Role=role, Handler="app.handler",
                            Code={"ZipFile": buf.getvalue()}, MemorySize=256)
        payload = json.dumps({"x": 1}).encode()
        cold, init = [], []
        for i in range(args.cold):
            lam.update_function_configuration(FunctionName="bench", Environment={"Variables": {"ROUND": str(i)}})
            t0 = time.perf_counter()
            r = lam.invoke(FunctionName="bench", Payload=payload, LogType="Tail")
            cold.append((time.perf_counter() - t0) * 1000)
            r["Payload"].read()
            m = re.search(r"Init Duration: ([0-9.]+) ms", base64.b64decode(r["LogResult"]).decode())
            if m:
                init.append(float(m.group(1)))
        warm = []
        for _ in range(args.warm):
            t0 = time.perf_counter()
            lam.invoke(FunctionName="bench", Payload=payload)["Payload"].read()
            warm.append((time.perf_counter() - t0) * 1000)
        count = [0] * args.threads
        stop = time.perf_counter() + args.seconds

        def worker(i):
            c = harness.boto3_client(server, "lambda")
            while time.perf_counter() < stop:
                c.invoke(FunctionName="bench", Payload=payload)["Payload"].read()
                count[i] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rate = sum(count) / (time.perf_counter() - t0)
    finally:
        server.close()

    result = {
        "floor_ms": {"p50": pct(floor, 50), "p99": pct(floor, 99)},
        "cold_ms": {"p50": pct(cold, 50), "p99": pct(cold, 99)},
        "init_ms": {"p50": pct(init, 50) if init else None},
        "warm_ms": {"p50": pct(warm, 50), "p99": pct(warm, 99)},
        "invokes_per_s": rate,
        "threads": args.threads,
    }
    print(f"python3 process per call (floor): p50 {result['floor_ms']['p50']:.1f} ms  p99 {result['floor_ms']['p99']:.1f} ms")
    print(f"cenote cold start invoke:         p50 {result['cold_ms']['p50']:.1f} ms  p99 {result['cold_ms']['p99']:.1f} ms"
          f"  (Init Duration p50 {result['init_ms']['p50'] or 0:.1f} ms)")
    print(f"cenote warm invoke:               p50 {result['warm_ms']['p50']:.2f} ms  p99 {result['warm_ms']['p99']:.2f} ms")
    print(f"cenote invokes/s with {args.threads} client threads: {rate:.0f}")
    print(f"ratio cold/floor: x{result['cold_ms']['p50'] / result['floor_ms']['p50']:.2f}   "
          f"warm/floor: x{result['warm_ms']['p50'] / result['floor_ms']['p50']:.3f}")
    print("moto: not run (its Lambda needs Docker)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
