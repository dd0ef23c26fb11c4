"""SQS throughput and long-poll latency: Cenote side by side with moto's SQS (the emulator peer) and NATS JetStream
(file storage, synchronously acknowledged publishes and acks: the message-broker peer), in one run.

Workload (the same for every target): 1 KiB messages; P producer processes send batches of 10 (SendMessageBatch /
10 pipelined JetStream publishes, each awaiting its PubAck), C consumer processes receive up to 10 (ReceiveMessage
with long polling / a JetStream pull of 10) and delete them (DeleteMessageBatch / 10 acks, each awaiting the
server's confirmation), all at once for S seconds. Reported: messages sent per second and messages received and
deleted per second, and the ratios cenote/moto and cenote/nats. Then the long-poll latency: a consumer waits on an
empty queue (WaitTimeSeconds=20 / a pull with a 20 s expiry), a producer sends one message, and the time from the
send's start to the consumer holding the message is recorded (p50/p99 over N samples).

Clients are separate processes (no GIL between them) speaking the wire protocols directly: SQS json 1.0 requests
signed with botocore's SigV4 over keep-alive HTTP connections; NATS's text protocol over a socket. Each client does
the same work per message for every target, so the ratios compare servers, not client libraries.

Durability differs and is printed: Cenote fsyncs every send, receive and delete before answering (group commit);
moto keeps everything in memory; nats-server 2.9 acknowledges JetStream writes once they are in its file store's
buffers and syncs them in the background (`sync_interval: always` exists only from 2.10).

Not a test: never fails on a timing. See run.sh for usage.
"""

import argparse
import json
import multiprocessing as mp
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, ".."))
import side_by_side  # noqa: E402

BODY = "x" * 1024
BATCH = 10


# ---------------------------------------------------------------- SQS over json 1.0, raw
class SqsWire:
    """One keep-alive connection speaking SQS json 1.0 with SigV4 (botocore's signer, nothing else of botocore)."""

    def __init__(self, endpoint, access_key, secret_key, region):
        import http.client
        from urllib.parse import urlparse
        from botocore.auth import SigV4Auth
        from botocore.credentials import Credentials
        self.endpoint = endpoint
        u = urlparse(endpoint)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.signer = SigV4Auth(Credentials(access_key, secret_key), "sqs", region)

    def sign(self, op, params):
        """(body, headers) of a signed request; a request whose body repeats (the producers' batch, the consumers'
        receive) is signed once and resent, as SigV4 allows for 15 minutes, so that the client's CPU goes to
        the wire rather than to HMACs (the 2 CPUs are shared with the server)."""
        from botocore.awsrequest import AWSRequest
        body = json.dumps(params)
        req = AWSRequest(method="POST", url=self.endpoint + "/", data=body, headers={
            "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{op}",
            "x-amzn-query-mode": "true"})
        self.signer.add_auth(req)
        return body, dict(req.headers.items())

    def call(self, op, params, signed=None):
        body, headers = signed or self.sign(op, params)
        self.conn.request("POST", "/", body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{op}: HTTP {resp.status}: {data[:200]!r}")
        return json.loads(data) if data else {}


def sqs_producer(target, url, deadline, out):
    w = SqsWire(*target)
    entries = [{"Id": str(i), "MessageBody": BODY} for i in range(BATCH)]
    signed = w.sign("SendMessageBatch", {"QueueUrl": url, "Entries": entries})
    sent = 0
    try:
        while time.time() < deadline:
            r = w.call("SendMessageBatch", None, signed)
            sent += len(r.get("Successful", []))
    except Exception as e:  # noqa: BLE001  reported, not fatal
        out.put(("error", repr(e)))
    out.put(("sent", sent))


def sqs_consumer(target, url, deadline, out):
    w = SqsWire(*target)
    signed = w.sign("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": BATCH, "WaitTimeSeconds": 1})
    done = 0
    try:
        while time.time() < deadline:
            r = w.call("ReceiveMessage", None, signed)
            msgs = r.get("Messages", [])
            if not msgs:
                continue
            d = w.call("DeleteMessageBatch", {"QueueUrl": url, "Entries": [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)]})
            done += len(d.get("Successful", []))
    except Exception as e:  # noqa: BLE001
        out.put(("error", repr(e)))
    out.put(("done", done))


def sqs_latency(target, url, samples):
    rx, tx = SqsWire(*target), SqsWire(*target)
    out = []
    for i in range(samples):
        got = {}

        def receive():
            r = rx.call("ReceiveMessage", {"QueueUrl": url, "WaitTimeSeconds": 20})
            got["t"] = time.perf_counter()
            got["m"] = r.get("Messages", [])

        t = threading.Thread(target=receive)
        t.start()
        time.sleep(0.02)  # the receive is waiting
        t0 = time.perf_counter()
        tx.call("SendMessage", {"QueueUrl": url, "MessageBody": f"lat-{i}"})
        t.join()
        if got.get("m"):
            out.append((got["t"] - t0) * 1000)
            rx.call("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": got["m"][0]["ReceiptHandle"]})
    return out


# ---------------------------------------------------------------- NATS JetStream, raw text protocol
class Nats:
    """A minimal NATS client: CONNECT, SUB, PUB, and reading MSG/HMSG frames (enough for JetStream's API)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self._line()  # INFO
        self.sock.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true}\r\n'
                          b"PING\r\n")
        while self._line() != b"PONG":
            pass
        self.inbox = "_INBOX." + uuid.uuid4().hex
        self.sock.sendall(f"SUB {self.inbox}.* 1\r\n".encode())

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("nats connection closed")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def pub(self, subject, payload, reply=None):
        head = f"PUB {subject} {reply} {len(payload)}\r\n" if reply else f"PUB {subject} {len(payload)}\r\n"
        return head.encode() + payload + b"\r\n"

    def send(self, data):
        self.sock.sendall(data)

    def next_msg(self):
        """(subject, reply, headers bytes, payload) of the next MSG/HMSG; answers PINGs on the way."""
        while True:
            line = self._line()
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
                continue
            if line.startswith(b"MSG "):
                parts = line.split()
                reply = parts[3].decode() if len(parts) == 5 else None
                data = self._take(int(parts[-1]))
                return parts[1].decode(), reply, b"", data
            if line.startswith(b"HMSG "):
                parts = line.split()
                reply = parts[3].decode() if len(parts) == 6 else None
                hlen, total = int(parts[-2]), int(parts[-1])
                data = self._take(total)
                return parts[1].decode(), reply, data[:hlen], data[hlen:]
            if line.startswith(b"-ERR"):
                raise RuntimeError(line.decode())

    def request(self, subject, payload):
        reply = f"{self.inbox}.r"
        self.send(self.pub(subject, payload, reply))
        return self.next_msg()[3]


def nats_setup(port, stream):
    n = Nats(port)
    r = json.loads(n.request(f"$JS.API.STREAM.CREATE.{stream}", json.dumps({
        "name": stream, "subjects": [f"{stream}.>"], "storage": "file", "retention": "workqueue"}).encode()))
    if "error" in r:
        raise RuntimeError(r["error"])
    r = json.loads(n.request(f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.work", json.dumps({
        "stream_name": stream, "config": {"durable_name": "work", "ack_policy": "explicit", "ack_wait": 30_000_000_000,
                                          "max_ack_pending": 1_000_000, "max_waiting": 4096}}).encode()))
    if "error" in r:
        raise RuntimeError(r["error"])


def nats_producer(port, stream, deadline, out):
    sent = 0
    try:
        n = Nats(port)
        payload = BODY.encode()
        while time.time() < deadline:
            frames = b"".join(n.pub(f"{stream}.m", payload, f"{n.inbox}.{i}") for i in range(BATCH))
            n.send(frames)
            for _ in range(BATCH):  # every publish is acknowledged (PubAck) before the batch counts
                ack = json.loads(n.next_msg()[3])
                if "error" not in ack:
                    sent += 1
    except Exception as e:  # noqa: BLE001
        out.put(("error", repr(e)))
    out.put(("sent", sent))


def nats_consumer(port, stream, deadline, out):
    done = 0
    try:
        n = Nats(port)
        while time.time() < deadline:
            n.send(n.pub(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.work", json.dumps(
                {"batch": BATCH, "expires": 1_000_000_000}).encode(), f"{n.inbox}.pull"))
            acks = []
            while True:
                subject, reply, headers, data = n.next_msg()
                if reply and reply.startswith("$JS.ACK."):  # a message (delivered under its own subject)
                    acks.append(reply)
                    if len(acks) == BATCH:
                        break
                elif subject == f"{n.inbox}.pull":  # a status (404 no messages, 408 timeout): the pull is over
                    break
            if not acks:
                continue
            # Double acks (the server confirms each), as DeleteMessageBatch answers once deletes are done.
            n.send(b"".join(n.pub(a, b"+ACK", f"{n.inbox}.a{i}") for i, a in enumerate(acks)))
            confirmed = 0
            while confirmed < len(acks):
                subject, _, _, _ = n.next_msg()
                if subject.startswith(f"{n.inbox}.a"):
                    confirmed += 1
            done += len(acks)
    except Exception as e:  # noqa: BLE001
        out.put(("error", repr(e)))
    out.put(("done", done))


def nats_latency(port, stream, samples):
    rx, tx = Nats(port), Nats(port)
    out = []
    for i in range(samples):
        got = {}

        def receive():
            rx.send(rx.pub(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.work", json.dumps(
                {"batch": 1, "expires": 20_000_000_000}).encode(), f"{rx.inbox}.pull"))
            while True:
                subject, reply, _, _ = rx.next_msg()
                if reply and reply.startswith("$JS.ACK."):
                    got["t"] = time.perf_counter()
                    got["ack"] = reply
                    return

        t = threading.Thread(target=receive)
        t.start()
        time.sleep(0.02)
        t0 = time.perf_counter()
        tx.request(f"{stream}.m", f"lat-{i}".encode())
        t.join()
        out.append((got["t"] - t0) * 1000)
        rx.send(rx.pub(got["ack"], b"+ACK"))
    return out


# ---------------------------------------------------------------- driving
def run_load(producer, consumer, pargs, cargs, producers, consumers, seconds):
    out = mp.Queue()
    deadline = time.time() + seconds
    procs = [mp.Process(target=producer, args=(*pargs, deadline, out)) for _ in range(producers)]
    procs += [mp.Process(target=consumer, args=(*cargs, deadline + 1.5, out)) for _ in range(consumers)]
    t0 = time.time()
    for p in procs:
        p.start()
    sent = done = 0
    errors = []
    for _ in procs:
        kind, v = out.get(timeout=seconds + 120)
        while kind == "error":
            errors.append(v)
            kind, v = out.get(timeout=seconds + 120)
        if kind == "sent":
            sent += v
        else:
            done += v
    for p in procs:
        p.join()
    elapsed = time.time() - t0
    if errors:
        print(f"  client errors: {errors[:3]}")
    return sent / seconds, done / elapsed


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]



def bench_sqs(label, srv, args):
    target = (srv.endpoint, srv.access_key, srv.secret_key, srv.region)
    w = SqsWire(*target)
    url = w.call("CreateQueue", {"QueueName": "bench-" + uuid.uuid4().hex[:8]})["QueueUrl"]
    sent, done = run_load(sqs_producer, sqs_consumer, (target, url), (target, url), args.producers,
                          args.consumers, args.seconds)
    lat_url = w.call("CreateQueue", {"QueueName": "lat-" + uuid.uuid4().hex[:8]})["QueueUrl"]
    lat = sqs_latency(target, lat_url, args.samples)
    print(f"  {label:7} sent {sent:9.0f} msg/s   received+deleted {done:9.0f} msg/s   "
          f"long-poll p50 {pct(lat, 0.5):6.2f} ms  p99 {pct(lat, 0.99):6.2f} ms", flush=True)
    return {"sent_per_s": sent, "consumed_per_s": done, "long_poll_p50_ms": pct(lat, 0.5),
            "long_poll_p99_ms": pct(lat, 0.99)}


def bench_nats(args, work):
    exe = shutil.which("nats-server")
    if not exe:
        print("  nats    skipped: nats-server is not installed (Debian: apt-get install nats-server)")
        return None
    port = free_port()
    conf = os.path.join(work, "nats.conf")
    with open(conf, "w") as f:
        f.write(f'listen: 127.0.0.1:{port}\njetstream {{ store_dir: "{os.path.join(work, "nats")}" }}\n')
    proc = subprocess.Popen([exe, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
        nats_setup(port, "BENCH")
        sent, done = run_load(nats_producer, nats_consumer, (port, "BENCH"), (port, "BENCH"), args.producers,
                              args.consumers, args.seconds)
        nats_setup(port, "LAT")
        lat = nats_latency(port, "LAT", args.samples)
        print(f"  nats    sent {sent:9.0f} msg/s   received+deleted {done:9.0f} msg/s   "
              f"long-poll p50 {pct(lat, 0.5):6.2f} ms  p99 {pct(lat, 0.99):6.2f} ms   ({version})", flush=True)
        return {"sent_per_s": sent, "consumed_per_s": done, "long_poll_p50_ms": pct(lat, 0.5),
                "long_poll_p99_ms": pct(lat, 0.99), "version": version}
    finally:
        proc.terminate()
        proc.wait(30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cenote", help="path to the cenote binary")
    ap.add_argument("--producers", type=int, default=8)
    ap.add_argument("--consumers", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--samples", type=int, default=200, help="long-poll latency samples")
    ap.add_argument("--peers", default="moto,nats", help="comma-separated subset of moto,nats")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    work = tempfile.mkdtemp(prefix="cenote-bench-sqs-")
    results = {"producers": args.producers, "consumers": args.consumers, "seconds": args.seconds,
               "message_bytes": len(BODY), "batch": BATCH, "cpus": os.cpu_count()}
    print(f"SQS: 1 KiB messages, batches of {BATCH}, {args.producers} producers + {args.consumers} consumers "
          f"(processes), {args.seconds:.0f} s; {os.cpu_count()} CPUs shared by servers and clients")
    try:
        side_by_side.run_cenote_and_moto(bench_sqs, args, peers, work, results)
        if "nats" in peers:
            results["nats"] = bench_nats(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c = results["cenote"]
    for peer in ("moto", "nats"):
        p = results.get(peer)
        if not p:
            continue
        results[f"cenote/{peer}"] = {
            "sent": c["sent_per_s"] / p["sent_per_s"] if p["sent_per_s"] else None,
            "consumed": c["consumed_per_s"] / p["consumed_per_s"] if p["consumed_per_s"] else None}
        r = results[f"cenote/{peer}"]
        print(f"  cenote/{peer}: sent x{r['sent']:.2f}   received+deleted x{r['consumed']:.2f}")
    print("  durability: cenote fsyncs sends, receives and deletes before answering; moto keeps messages in memory; "
          "nats-server 2.9 acknowledges before its file store syncs")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
