"""EventBridge PutEvents -> SQS: Cenote side by side with moto's events+sqs (the emulator peer), in one run.

Workload (the same for every target): a rule matching `{"source": ["bench"]}` targets one SQS queue. P producer
processes call PutEvents with 10 entries of ~200 bytes each for S seconds; a consumer process drains the queue
(ReceiveMessage 10 with long polling, DeleteMessageBatch) until every accepted event has arrived (or 60 s more).
Reported: events accepted per second, events delivered per second (first PutEvents to last arrival; C consumer processes drain the
queue), and the
end-to-end latency of one event (PutEvents start -> a waiting long poll holds the SQS message; p50/p99 over N
samples). Ratios cenote/moto.

Durability differs and is printed: Cenote commits every accepted entry's deliveries to its outbox (fsynced) before
PutEvents answers and fsyncs every SQS send; moto keeps everything in memory and delivers inside PutEvents.

Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
import side_by_side  # noqa: E402

DETAIL = json.dumps({"order": "x" * 150, "amount": 42})


class Target:
    def __init__(self, srv):
        self.endpoint, self.access_key, self.secret_key, self.region = (srv.endpoint, srv.access_key,
                                                                         srv.secret_key, srv.region)

    def client(self, service):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                            config=Config(retries={"max_attempts": 1}, read_timeout=60))


def producer(target, deadline, out):
    e = target.client("events")
    entries = [{"Source": "bench", "DetailType": "b", "Detail": DETAIL} for _ in range(10)]
    accepted = 0
    try:
        while time.time() < deadline:
            r = e.put_events(Entries=entries)
            accepted += 10 - r["FailedEntryCount"]
    except Exception as ex:  # noqa: BLE001  reported, not fatal
        out.put(("error", repr(ex)))
    out.put(("accepted", accepted))


def drainer(target, url, expected, counter, last, deadline):
    q = target.client("sqs")
    while counter.value < expected.value and time.time() < deadline.value:
        r = q.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        msgs = r.get("Messages", [])
        if not msgs:
            continue
        q.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                      for i, m in enumerate(msgs)])
        with counter.get_lock():
            counter.value += len(msgs)
        with last.get_lock():
            last.value = time.time()


class Drain:
    """Consumer processes draining the queue while the producers run, until `expected` messages arrived."""

    def __init__(self, target, url, consumers, t0):
        self.expected, self.counter = mp.Value("q", 1 << 62), mp.Value("q", 0)
        self.last, self.deadline = mp.Value("d", t0), mp.Value("d", time.time() + 3600)
        self.procs = [mp.Process(target=drainer, args=(target, url, self.expected, self.counter, self.last,
                                                       self.deadline)) for _ in range(consumers)]
        for p in self.procs:
            p.start()

    def finish(self, expected, limit_s):
        """Waits until `expected` messages arrived (or `limit_s` more seconds); (count, time of the last)."""
        self.expected.value = expected
        self.deadline.value = time.time() + limit_s
        for p in self.procs:
            p.join()
        return self.counter.value, self.last.value


def setup(target, source):
    q = target.client("sqs")
    url = q.create_queue(QueueName="bench-" + uuid.uuid4().hex[:8])["QueueUrl"]
    arn = q.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    q.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
         "Resource": arn}]})})
    e = target.client("events")
    rule = "bench-" + uuid.uuid4().hex[:8]
    e.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    e.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    return url


def latency(target, url, samples):
    e, q = target.client("events"), target.client("sqs")
    out = []
    for _ in range(samples):
        got = {}

        def receive():
            r = q.receive_message(QueueUrl=url, WaitTimeSeconds=20)
            got["t"] = time.perf_counter()
            got["m"] = r.get("Messages", [])

        t = threading.Thread(target=receive)
        t.start()
        time.sleep(0.02)
        t0 = time.perf_counter()
        e.put_events(Entries=[{"Source": "lat", "DetailType": "b", "Detail": DETAIL}])
        t.join()
        if got.get("m"):
            out.append((got["t"] - t0) * 1000)
            q.delete_message(QueueUrl=url, ReceiptHandle=got["m"][0]["ReceiptHandle"])
    return out


def pct(values, p):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


def bench(label, srv, args):
    target = Target(srv)
    url = setup(target, "bench")
    lat_url = setup(target, "lat")
    out = mp.Queue()
    t0 = time.time()
    deadline = t0 + args.seconds
    drain = Drain(target, url, args.consumers, t0)
    procs = [mp.Process(target=producer, args=(target, deadline, out)) for _ in range(args.producers)]
    for p in procs:
        p.start()
    accepted = 0
    for _ in procs:
        while True:
            kind, value = out.get()
            if kind == "error":
                print(f"  {label}: producer error {value}")
                continue
            accepted += value
            break
    for p in procs:
        p.join()
    put_s = time.time() - t0
    delivered, last = drain.finish(accepted, 60)
    lat = latency(target, lat_url, args.samples)
    r = {"accepted_per_s": accepted / put_s, "delivered_per_s": delivered / max(last - t0, 1e-9),
         "accepted": accepted, "delivered": delivered, "e2e_p50_ms": pct(lat, 0.5), "e2e_p99_ms": pct(lat, 0.99)}
    print(f"  {label:7} accepted {r['accepted_per_s']:8.0f} ev/s   delivered {r['delivered_per_s']:8.0f} ev/s "
          f"({delivered}/{accepted})   PutEvents->SQS p50 {r['e2e_p50_ms']:6.2f} ms  p99 {r['e2e_p99_ms']:6.2f} ms",
          flush=True)
    return r



def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cenote", help="path to the cenote binary")
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--consumers", type=int, default=3, help="processes draining the target queue")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--samples", type=int, default=100, help="end-to-end latency samples")
    ap.add_argument("--peers", default="moto", help="comma-separated subset of moto")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    work = tempfile.mkdtemp(prefix="cenote-bench-events-")
    results = {"producers": args.producers, "seconds": args.seconds, "entries_per_call": 10, "cpus": os.cpu_count()}
    print(f"EventBridge: PutEvents (10 entries) -> rule -> SQS, {args.producers} producers (processes), "
          f"{args.seconds:.0f} s; {os.cpu_count()} CPUs shared by servers and clients")
    try:
        side_by_side.run_cenote_and_moto(bench, args, peers, work, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, m = results["cenote"], results.get("moto")
    if m:
        ratio = {k: (c[k] / m[k] if m[k] else None) for k in ("accepted_per_s", "delivered_per_s")}
        ratio["e2e_p50"] = m["e2e_p50_ms"] / c["e2e_p50_ms"] if c["e2e_p50_ms"] else None
        results["cenote/moto"] = ratio
        print(f"  cenote/moto: accepted x{ratio['accepted_per_s']:.2f}   delivered x{ratio['delivered_per_s']:.2f}   "
              f"latency (moto p50 / cenote p50) x{ratio['e2e_p50']:.2f}")
    print("  durability: cenote commits each accepted entry's deliveries (fsync) before answering and fsyncs each SQS "
          "send; moto keeps everything in memory")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
