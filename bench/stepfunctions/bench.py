"""Step Functions: state transitions per second of a Pass chain, Cenote side by side with moto's stepfunctions.

Workload (the same for every target): a state machine of N Pass states in a chain (each adds a field with
Parameters/ResultPath), run
  - Express: C client threads call StartSyncExecution back to back for S seconds; transitions/s = completed
    executions x N / elapsed;
  - Standard: C client threads call StartExecution for S seconds, then every execution is awaited
    (DescribeExecution); transitions/s = executions x N / (first start -> last stop).
A target that does not run the definition (its executions do not produce the chain's output) is reported as
skipped for that mode. Ratios cenote/moto.

Durability differs and is printed: Cenote commits each Standard execution's transitions and history events
(fsynced) before they count; Express runs in memory, as on AWS; moto keeps everything in memory.

Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402
import side_by_side  # noqa: E402

ROLE = "arn:aws:iam::000000000000:role/bench-states"


def definition(n):
    states = {}
    for i in range(n):
        s = {"Type": "Pass", "Parameters": {"i": i}, "ResultPath": "$.last"}
        if i + 1 < n:
            s["Next"] = f"S{i + 1}"
        else:
            s["End"] = True
        states[f"S{i}"] = s
    return {"StartAt": "S0", "States": states}


def client(srv):
    import boto3
    from botocore.config import Config
    return boto3.client("stepfunctions", endpoint_url=srv.endpoint, region_name=srv.region,
                        aws_access_key_id=srv.access_key, aws_secret_access_key=srv.secret_key,
                        config=Config(retries={"max_attempts": 1}, read_timeout=120, inject_host_prefix=False))


def run_threads(n, fn):
    out, threads = [], []
    lock = threading.Lock()

    def body():
        r = fn()
        with lock:
            out.append(r)
    for _ in range(n):
        threads.append(threading.Thread(target=body))
        threads[-1].start()
    for t in threads:
        t.join()
    return out


def bench_express(srv, args, arn):
    expected = {"last": {"i": args.states - 1}}
    probe = client(srv).start_sync_execution(stateMachineArn=arn, input="{}")
    if probe.get("status") != "SUCCEEDED" or json.loads(probe.get("output") or "null") != expected:
        return {"skipped": f"the workflow did not run (status {probe.get('status')}, output {probe.get('output')})"}
    deadline = time.time() + args.seconds

    def worker():
        c, done = client(srv), 0
        while time.time() < deadline:
            if c.start_sync_execution(stateMachineArn=arn, input="{}")["status"] == "SUCCEEDED":
                done += 1
        return done
    t0 = time.time()
    done = sum(run_threads(args.clients, worker))
    elapsed = time.time() - t0
    return {"executions": done, "seconds": elapsed, "transitions_per_s": done * args.states / elapsed}


def bench_standard(srv, args, arn):
    c = client(srv)
    expected = {"last": {"i": args.states - 1}}
    probe = c.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    for _ in range(300):
        d = c.describe_execution(executionArn=probe)
        if d["status"] != "RUNNING":
            break
        time.sleep(0.1)
    if d["status"] != "SUCCEEDED" or json.loads(d.get("output") or "null") != expected:
        return {"skipped": f"the workflow did not run (status {d['status']}, output {d.get('output')})"}
    deadline = time.time() + args.seconds

    def worker():
        cl, arns = client(srv), []
        while time.time() < deadline:
            arns.append(cl.start_execution(stateMachineArn=arn, input="{}")["executionArn"])
        return arns
    t0 = time.time()
    arns = [a for batch in run_threads(args.clients, worker) for a in batch]
    last_stop = t0
    for a in arns:
        while True:
            d = c.describe_execution(executionArn=a)
            if d["status"] != "RUNNING":
                break
            time.sleep(0.05)
        stop = d.get("stopDate")
        last_stop = max(last_stop, stop.timestamp() if stop else time.time())
    elapsed = max(last_stop - t0, 1e-3)
    return {"executions": len(arns), "seconds": elapsed, "transitions_per_s": len(arns) * args.states / elapsed}


def bench(name, srv, args):
    if not harness.is_moto():
        harness.create_service_role(srv, ROLE, "states.amazonaws.com", actions=("states:*",))
    c = client(srv)
    d = json.dumps(definition(args.states))
    express = c.create_state_machine(name="bench-express", definition=d, roleArn=ROLE, type="EXPRESS")
    standard = c.create_state_machine(name="bench-standard", definition=d, roleArn=ROLE)
    r = {}
    for mode, fn, arn in (("express", bench_express, express["stateMachineArn"]),
                          ("standard", bench_standard, standard["stateMachineArn"])):
        try:
            r[mode] = fn(srv, args, arn)
        except Exception as e:  # noqa: BLE001  a target that cannot run a mode is reported, not fatal
            r[mode] = {"skipped": f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"}
    for mode in ("express", "standard"):
        x = r[mode]
        if "skipped" in x:
            print(f"  {name:7} {mode:8} skipped: {x['skipped']}", flush=True)
        else:
            print(f"  {name:7} {mode:8} {x['transitions_per_s']:10.0f} transitions/s  ({x['executions']} executions "
                  f"of {args.states} states in {x['seconds']:.1f} s)", flush=True)
    return r



def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cenote", help="path to the cenote binary")
    ap.add_argument("--states", type=int, default=50, help="Pass states in the chain")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=4, help="client threads")
    ap.add_argument("--peers", default="moto", help="comma-separated subset of moto")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    work = tempfile.mkdtemp(prefix="cenote-bench-states-")
    results = {"states": args.states, "seconds": args.seconds, "clients": args.clients, "cpus": os.cpu_count()}
    print(f"Step Functions: a chain of {args.states} Pass states, {args.clients} client threads, {args.seconds:.0f} s "
          f"per mode; {os.cpu_count()} CPUs shared by servers and clients")
    try:
        side_by_side.run_cenote_and_moto(bench, args, peers, work, results, peer_failures_fatal=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, m = results["cenote"], results.get("moto") or {}
    for mode in ("express", "standard"):
        if "transitions_per_s" in c.get(mode, {}) and "transitions_per_s" in m.get(mode, {}):
            ratio = c[mode]["transitions_per_s"] / m[mode]["transitions_per_s"]
            results.setdefault("cenote/moto", {})[mode] = ratio
            print(f"  cenote/moto {mode}: x{ratio:.2f}")
        else:
            print(f"  cenote/moto {mode}: no ratio (a target did not run the workflow)")
    print("  durability: cenote commits each Standard execution's transitions and history (fsync); Express runs in "
          "memory (as on AWS); moto keeps everything in memory")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
