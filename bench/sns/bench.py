"""SNS throughput and publish-to-receive latency: Cenote side by side with moto's SNS+SQS (the emulator peer).

Workload (the same for both): 1 KiB messages published to a standard topic with one SQS subscription (raw message
delivery; Cenote's queue has the policy AWS requires for SNS, moto ignores policies). P producer processes call
Publish (one message per call) for S seconds while C consumer processes receive (up to 10, long polling) and delete
(DeleteMessageBatch) what arrives. Reported: publishes acknowledged per second, and messages delivered end to end
per second (received and deleted from the queue, from the start of the run until the last published message was
received). Then the latency: a consumer long-polls the empty queue, a producer publishes one message, and the time
from the Publish's start to the consumer holding the message is recorded (p50/p99 over N samples).

Clients are separate processes speaking the wire protocols directly (SNS query and SQS json 1.0, SigV4 with
botocore's signer, keep-alive connections), the same work per message for both targets.

Durability differs and is printed: Cenote commits every Publish's deliveries to its outbox (fsynced) before
answering, then delivers them to SQS, which fsyncs the send; moto keeps everything in memory and delivers inside
the Publish call.

Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import importlib.util
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import urlencode

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
import side_by_side  # noqa: E402

# The SQS bench's wire client and helpers (one copy of them).
_spec = importlib.util.spec_from_file_location("sqs_bench", os.path.join(HERE, "..", "sqs", "bench.py"))
sqs_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sqs_bench)
SqsWire, pct = sqs_bench.SqsWire, sqs_bench.pct

BODY = "x" * 1024


class SnsWire:
    """One keep-alive connection speaking SNS's query protocol with SigV4."""

    def __init__(self, endpoint, access_key, secret_key, region):
        import http.client
        from urllib.parse import urlparse
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials
        self.endpoint = endpoint
        u = urlparse(endpoint)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.signer = SigV4Auth(Credentials(access_key, secret_key), "sns", region)

    def sign(self, action, params):
        from botocore.awsrequest import AWSRequest
        body = urlencode(dict(params, Action=action, Version="2010-03-31"))
        req = AWSRequest(method="POST", url=self.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        self.signer.add_auth(req)
        return body, dict(req.headers.items())

    def call(self, action, params, signed=None):
        body, headers = signed or self.sign(action, params)
        self.conn.request("POST", "/", body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read().decode()
        if resp.status != 200:
            raise RuntimeError(f"{action}: HTTP {resp.status}: {data[:300]!r}")
        return data


def element(xml, tag):
    start = xml.index(f"<{tag}>") + len(tag) + 2
    return xml[start:xml.index(f"</{tag}>", start)]


def producer(sns_target, topic, deadline, out):
    w = SnsWire(*sns_target)
    signed = w.sign("Publish", {"TopicArn": topic, "Message": BODY})
    sent = 0
    try:
        while time.time() < deadline:
            w.call("Publish", None, signed)
            sent += 1
    except Exception as e:  # noqa: BLE001  reported, not fatal
        out.put(("error", repr(e)))
    out.put(("sent", sent))


def setup(srv):
    target = (srv.endpoint, srv.access_key, srv.secret_key, srv.region)
    sns, sqs = SnsWire(*target), SqsWire(*target)
    topic = element(sns.call("CreateTopic", {"Name": "bench-" + uuid.uuid4().hex[:8]}), "TopicArn")
    url = sqs.call("CreateQueue", {"QueueName": "bench-" + uuid.uuid4().hex[:8]})["QueueUrl"]
    arn = sqs.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})["Attributes"]["QueueArn"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]}
    sqs.call("SetQueueAttributes", {"QueueUrl": url, "Attributes": {"Policy": json.dumps(policy)}})
    sns.call("Subscribe", {"TopicArn": topic, "Protocol": "sqs", "Endpoint": arn,
                           "Attributes.entry.1.key": "RawMessageDelivery", "Attributes.entry.1.value": "true"})
    return target, topic, url


def latency(target, topic, url, samples):
    rx, tx = SqsWire(*target), SnsWire(*target)
    signed = tx.sign("Publish", {"TopicArn": topic, "Message": BODY})
    out = []
    for _ in range(samples):
        got = {}

        def receive():
            while "t" not in got:
                r = rx.call("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 20})
                msgs = r.get("Messages", [])
                if msgs:
                    got["t"] = time.perf_counter()
                    rx.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": msgs[0]["ReceiptHandle"]})

        t = threading.Thread(target=receive)
        t.start()
        time.sleep(0.02)  # the receive is waiting
        t0 = time.perf_counter()
        tx.call("Publish", None, signed)
        t.join(30)
        if "t" in got:
            out.append((got["t"] - t0) * 1000)
    return out


def bench(label, srv, args):
    target, topic, url = setup(srv)
    out = mp.Queue()
    t0 = time.time()
    deadline = t0 + args.seconds
    procs = [mp.Process(target=producer, args=(target, topic, deadline, out)) for _ in range(args.producers)]
    procs += [mp.Process(target=sqs_bench.sqs_consumer, args=(target, url, deadline + 1.5, out))
              for _ in range(args.consumers)]
    for p in procs:
        p.start()
    published = received = 0
    errors = []
    for _ in procs:
        kind, v = out.get(timeout=args.seconds + 120)
        while kind == "error":
            errors.append(v)
            kind, v = out.get(timeout=args.seconds + 120)
        if kind == "sent":
            published += v
        else:
            received += v
    for p in procs:
        p.join()
    if errors:
        print(f"  client errors: {errors[:3]}")
    # Deliveries still on their way when the consumers stopped are drained here, so that "delivered" is end to
    # end: every published message, over the time until the last one arrived.
    w = SqsWire(*target)
    last = time.time()
    while received < published and time.time() - t0 < args.seconds + 120:
        r = w.call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1})
        msgs = r.get("Messages", [])
        if msgs:
            w.call("DeleteMessageBatch", {"QueueUrl": url, "Entries": [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]})
            received += len(msgs)
            last = time.time()
    if received < published:
        print(f"  {label}: only {received} of {published} published messages arrived")
    publish_rate = published / args.seconds
    end_to_end = received / max(last - t0, args.seconds)
    _, lat_topic, lat_url = setup(srv)
    lat = latency(target, lat_topic, lat_url, args.samples)
    print(f"  {label:7} publish {publish_rate:8.0f} msg/s   delivered end to end {end_to_end:8.0f} msg/s   "
          f"publish->receive p50 {pct(lat, 0.5):6.2f} ms  p99 {pct(lat, 0.99):6.2f} ms", flush=True)
    return {"publish_per_s": publish_rate, "delivered_per_s": end_to_end, "latency_p50_ms": pct(lat, 0.5),
            "latency_p99_ms": pct(lat, 0.99)}



def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cenote", help="path to the cenote binary")
    ap.add_argument("--producers", type=int, default=8)
    ap.add_argument("--consumers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--samples", type=int, default=100, help="publish-to-receive latency samples")
    ap.add_argument("--peers", default="moto", help="moto, or empty")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    work = tempfile.mkdtemp(prefix="cenote-bench-sns-")
    results = {"producers": args.producers, "consumers": args.consumers, "seconds": args.seconds,
               "message_bytes": len(BODY), "cpus": os.cpu_count()}
    print(f"SNS: 1 KiB messages, Publish to a topic with one raw SQS subscription, {args.producers} producers + "
          f"{args.consumers} consumers (processes), {args.seconds:.0f} s; {os.cpu_count()} CPUs shared by servers "
          "and clients")
    try:
        side_by_side.run_cenote_and_moto(bench, args, peers, work, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, m = results["cenote"], results.get("moto")
    if m:
        results["cenote/moto"] = {
            "publish": c["publish_per_s"] / m["publish_per_s"] if m["publish_per_s"] else None,
            "delivered": c["delivered_per_s"] / m["delivered_per_s"] if m["delivered_per_s"] else None,
            "latency_p50": m["latency_p50_ms"] / c["latency_p50_ms"] if c["latency_p50_ms"] else None}
        r = results["cenote/moto"]
        print(f"  cenote/moto: publish x{r['publish']:.2f}   delivered x{r['delivered']:.2f}   "
              f"latency p50 x{r['latency_p50']:.2f} (moto's / cenote's)")
    print("  durability: cenote commits each Publish's deliveries (fsync) before answering and SQS fsyncs each "
          "delivery; moto keeps everything in memory")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
