"""S3 GET/PUT throughput: Cenote side by side with nginx (the ceiling for serving files) and moto (the emulator peer),
and Cenote's objects encrypted at rest (SSE-S3, SSE-KMS, and SSE-KMS with an S3 Bucket Key: buckets with default
encryption) next to its plain ones.

Driven by bench/s3/run.sh. Load comes from wrk on presigned URLs (SigV4 query signing with boto3), so wrk
does no per-request signing and every server sees the same request stream. Prints requests/s, MB/s, the
ratios cenote/nginx, cenote/moto, sse/plain, kms/plain and bk/plain, bk/sse (the cost of encryption at rest), each server's idle
RSS, and Cenote's time from exec to first served request. Timings never make this fail: a run that errors or times out is reported as such.

Usage: python3 bench.py PATH_TO_CENOTE [--quick] [--duration S] [--sizes 4KiB,64MiB] [--conc 1,8,32]
                        [--peers nginx,moto] [--no-sse] [--json OUT]
--sizes, --conc and --peers narrow a run (a small GET/PUT comparison on a loaded machine:
`--sizes 4KiB --conc 1,8 --peers nginx`); ratios against a peer left out print as "-".
PATH_TO_CENOTE may be the word `moto` to self-test the script without a Cenote build (a second moto
then stands in for Cenote).
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import harness  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
SIZES = {"4KiB": 4 * KiB, "64MiB": 64 * MiB}
BUCKET = "bench"
SSE_BUCKET = "bench-sse"  # default encryption SSE-S3: every object in it is encrypted at rest
KMS_BUCKET = "bench-kms"  # default encryption SSE-KMS: every GET and PUT asks Cenote's KMS for the data key
KMSBK_BUCKET = "bench-kmsbk"  # SSE-KMS with an S3 Bucket Key: KMS asked once per bucket key period
ENCRYPTED = ("cenote_sse", "cenote_kms", "cenote_kmsbk")


# ------------------------------------------------------------------------------------------- servers
def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total or None


def child_pids(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


class Nginx:
    """nginx serving <root>/bench/<name> for GET (and PUT via the dav module) on a free loopback port."""

    def __init__(self, work, root):
        self.work = work
        self.root = root
        self.port = harness.free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self):
        conf = os.path.join(self.work, "nginx.conf")
        for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(self.work, "nginx-tmp", d), exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(conf, "w") as f:
            f.write(f"""{user}worker_processes auto;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_max_body_size 0;
  client_body_temp_path {self.work}/nginx-tmp/client_body;
  proxy_temp_path {self.work}/nginx-tmp/proxy;
  fastcgi_temp_path {self.work}/nginx-tmp/fastcgi;
  uwsgi_temp_path {self.work}/nginx-tmp/uwsgi;
  scgi_temp_path {self.work}/nginx-tmp/scgi;
  server {{
    listen 127.0.0.1:{self.port};
    root {self.root};
    location / {{
      dav_methods PUT;
      create_full_put_path on;
    }}
  }}
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.proc = subprocess.Popen([nginx, "-p", self.work, "-c", conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_http(self.endpoint + "/", 10)
        return self

    def pids(self):
        return [self.proc.pid] + child_pids(self.proc.pid) if self.proc else []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def wait_http(url, timeout_s):
    """Seconds until `url` answers any HTTP response (polling every 2 ms), or None after timeout_s."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return time.monotonic() - t0
        except urllib.error.HTTPError:
            return time.monotonic() - t0
        except OSError:
            time.sleep(0.002)
    return None


def start_s3(kind, binary, data_dir):
    """Starts Cenote or moto through the e2e harness. Returns (server, seconds from exec to first response)."""
    os.environ["CENOTE_E2E_TARGET"] = "cenote" if kind == "cenote" else "moto"
    if kind == "cenote":
        os.environ["CENOTE_BIN"] = binary
    server = harness.Server(data_dir=data_dir)
    t0 = time.monotonic()
    server.start()
    first = None
    if kind == "cenote":
        # The harness returned at the ready line; time-to-first-served-request adds one real request.
        wait_http(server.endpoint + "/", 10)
        first = time.monotonic() - t0
    return server, first


def first_request_seconds(binary, work):
    """Cenote's time from exec to the first HTTP response, polled without waiting for the ready line."""
    port = harness.free_port()
    data = tempfile.mkdtemp(prefix="first-", dir=work)
    env = dict(os.environ, CENOTE_ROOT_ACCESS_KEY_ID=harness.ACCESS_KEY_ID,
               CENOTE_ROOT_SECRET_ACCESS_KEY=harness.SECRET_ACCESS_KEY, CENOTE_REGION=harness.REGION)
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        waited = wait_http(f"http://127.0.0.1:{port}/", 30)
        return None if waited is None else time.monotonic() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# ------------------------------------------------------------------------------------------- load
def write_put_script(work, name, body_path):
    path = os.path.join(work, f"put-{name}.lua")
    with open(path, "w") as f:
        f.write(f"""local f = io.open("{body_path}", "rb")
wrk.method = "PUT"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "application/octet-stream"
""")
    return path


def parse_wrk(out):
    res = {"rps": None, "non2xx": 0, "socket_errors": 0, "requests": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    if m:
        res["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["socket_errors"] = sum(int(x) for x in m.groups())
    return res


def run_wrk(url, conc, duration, script=None):
    argv = ["wrk", "-t", str(min(conc, 2)), "-c", str(conc), "-d", f"{duration}s", "--timeout", "30s"]
    if script:
        argv += ["-s", script]
    argv.append(url)
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
        out = r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return {"rps": None, "error": "wrk timed out"}
    res = parse_wrk(out)
    if res["rps"] is None:
        res["error"] = out.strip().splitlines()[-1] if out.strip() else "no output"
    return res


# ------------------------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--duration", type=int, default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--sizes", default=None, help="comma-separated subset of " + ",".join(SIZES))
    ap.add_argument("--conc", default=None, help="comma-separated concurrencies (default 1,8,32; --quick 1,8)")
    ap.add_argument("--peers", default="nginx,moto", help="comma-separated subset of nginx,moto")
    ap.add_argument("--no-sse", action="store_true", help="skip the SSE-S3 (encrypted at rest) runs")
    args = ap.parse_args()
    sizes = {name: SIZES[name] for name in (args.sizes.split(",") if args.sizes else SIZES)}
    peers = [p for p in args.peers.split(",") if p]
    if any(p not in ("nginx", "moto") for p in peers):
        print(f"--peers takes nginx and moto, got {args.peers!r}", file=sys.stderr)
        return 2

    fake = args.cenote == "moto"
    binary = None if fake else os.path.abspath(args.cenote)
    if not fake and not os.access(binary, os.X_OK):
        print(f"not an executable: {args.cenote}", file=sys.stderr)
        return 2
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    duration = args.duration or (2 if args.quick else 5)
    concurrencies = [1, 8] if args.quick else [1, 8, 32]
    if args.conc:
        concurrencies = [int(c) for c in args.conc.split(",")]

    import boto3  # noqa: F401  (needed for presigning)

    work = tempfile.mkdtemp(prefix="cenote-bench-s3-")
    os.chmod(work, 0o755)
    servers = {}
    results = {"duration_s": duration, "quick": args.quick, "runs": [], "rss_kib": {}, "cenote_first_request_s": None}
    try:
        # Object files, on the same disk as every server's data.
        files = {}
        nginx_root = os.path.join(work, "nginx-root")
        os.makedirs(os.path.join(nginx_root, "bench"))
        for name, size in sizes.items():
            path = os.path.join(nginx_root, "bench", f"obj-{name}")
            with open(path, "wb") as f:
                f.write(os.urandom(size))
            os.chmod(path, 0o644)
            files[name] = path
        os.chmod(nginx_root, 0o777)
        os.chmod(os.path.join(nginx_root, "bench"), 0o777)

        if not fake:
            results["cenote_first_request_s"] = first_request_seconds(binary, work)

        print("starting servers ...", flush=True)
        nginx = Nginx(work, nginx_root).start()
        servers["nginx"] = nginx
        cen, first = start_s3("moto" if fake else "cenote", binary, os.path.join(work, "cenote-data"))
        servers["cenote"] = cen
        moto = None
        if "moto" in peers:
            moto, _ = start_s3("moto", None, None)
            servers["moto"] = moto
        time.sleep(1.0)  # let them settle before measuring idle RSS
        results["rss_kib"] = {"cenote": rss_kib([cen.proc.pid]), "nginx": rss_kib(nginx.pids()),
                              "moto": rss_kib([moto.proc.pid]) if moto else None}

        # Same objects in each S3 server; presigned URLs (SigV4) for GET and PUT.
        urls = {"nginx": {}, "cenote": {}, "moto": {}, "cenote_sse": {}, "cenote_kms": {}, "cenote_kmsbk": {}}
        sse = not args.no_sse and not fake
        for name in sizes:
            urls["nginx"][("GET", name)] = f"{nginx.endpoint}/bench/obj-{name}"
            urls["nginx"][("PUT", name)] = f"{nginx.endpoint}/put/obj-{name}"
        for label, srv in (("cenote", cen), ("moto", moto)):
            if srv is None:
                continue
            s3 = harness.boto3_client(srv, read_timeout=300)
            s3.create_bucket(Bucket=BUCKET)
            for name, path in files.items():
                s3.upload_file(path, BUCKET, f"obj-{name}")
                urls[label][("GET", name)] = s3.generate_presigned_url(
                    "get_object", Params={"Bucket": BUCKET, "Key": f"obj-{name}"}, ExpiresIn=3600)
                urls[label][("PUT", name)] = s3.generate_presigned_url(
                    "put_object", Params={"Bucket": BUCKET, "Key": f"put-{name}"}, ExpiresIn=3600)
            if label == "cenote" and sse:
                kms_key = harness.boto3_client(srv, "kms").create_key()["KeyMetadata"]["Arn"]
                kms_default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key}
                for bucket, variant, by_default, bucket_key in (
                        (SSE_BUCKET, "cenote_sse", {"SSEAlgorithm": "AES256"}, False),
                        (KMS_BUCKET, "cenote_kms", kms_default, False),
                        (KMSBK_BUCKET, "cenote_kmsbk", kms_default, True)):
                    s3.create_bucket(Bucket=bucket)
                    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
                        "Rules": [{"ApplyServerSideEncryptionByDefault": by_default,
                                   "BucketKeyEnabled": bucket_key}]})
                    for name, path in files.items():
                        s3.upload_file(path, bucket, f"obj-{name}")
                        urls[variant][("GET", name)] = s3.generate_presigned_url(
                            "get_object", Params={"Bucket": bucket, "Key": f"obj-{name}"}, ExpiresIn=3600)
                        urls[variant][("PUT", name)] = s3.generate_presigned_url(
                            "put_object", Params={"Bucket": bucket, "Key": f"put-{name}"}, ExpiresIn=3600)
            # Check the URLs work once before loading them (a 403 here is a setup bug, not a timing).
            for check in (label, *ENCRYPTED) if label == "cenote" and sse else (label,):
                with urllib.request.urlopen(urls[check][("GET", next(iter(sizes)))], timeout=30) as r:
                    first = next(iter(sizes))
                    assert r.status == 200 and len(r.read()) == sizes[first], check
                    if check in ENCRYPTED:
                        want = "AES256" if check == "cenote_sse" else "aws:kms"
                        assert r.headers.get("x-amz-server-side-encryption") == want, "not encrypted"

        scripts = {name: write_put_script(work, name, path) for name, path in files.items()}
        for op in ("GET", "PUT"):
            for name, size in sizes.items():
                for conc in concurrencies:
                    row = {"op": op, "size": name, "conc": conc}
                    for label in ("cenote", *ENCRYPTED, "nginx", "moto"):
                        if label in ENCRYPTED and not sse:
                            row[label] = {"rps": None, "mbps": None, "skipped": True}
                            continue
                        if label not in ("cenote", *ENCRYPTED) and label not in peers:
                            row[label] = {"rps": None, "mbps": None, "skipped": True}
                            continue
                        # A 64 MiB request can take seconds on a slow peer: give big objects a longer window.
                        window = duration if size < MiB else max(duration, 4)
                        res = run_wrk(urls[label][(op, name)], conc, window, scripts[name] if op == "PUT" else None)
                        res["window_s"] = window
                        ok = res.get("rps") is not None and res.get("requests", 0) > res.get("non2xx", 0)
                        if ok and res.get("non2xx"):
                            # Count only successful responses towards throughput.
                            res["rps"] *= (res["requests"] - res["non2xx"]) / res["requests"]
                        res["mbps"] = res["rps"] * size / 1e6 if ok else None
                        if not ok:
                            res["rps"] = None
                        row[label] = res
                    results["runs"].append(row)
                    print_row(row)
    finally:
        for s in servers.values():
            with contextlib.suppress(Exception):
                s.stop() if isinstance(s, Nginx) else s.close()
        shutil.rmtree(work, ignore_errors=True)

    print_summary(results)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        print(f"results written to {args.json}")
    return 0


def fmt(v, spec):
    width = int(spec.split(".")[0]) if spec[0].isdigit() else 0
    return format(v, spec) if v is not None else "-".rjust(width)


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


HEADER = (f"{'op':<4} {'size':>6} {'conc':>4} | {'cenote req/s':>12} {'MB/s':>8} | {'sse req/s':>10} {'MB/s':>8} | "
          f"{'kms req/s':>10} {'kms+bk req/s':>12} | {'nginx req/s':>11} {'MB/s':>8} | {'moto req/s':>10} {'MB/s':>8} | {'c/nginx':>7} "
          f"{'c/moto':>7} {'sse/c':>6} {'kms/c':>6} {'bk/c':>6} {'bk/sse':>6} | notes")
_printed_header = False


def print_row(row):
    global _printed_header
    if not _printed_header:
        print(HEADER)
        print("-" * len(HEADER))
        _printed_header = True
    c, e, n, m = row["cenote"], row["cenote_sse"], row["nginx"], row["moto"]
    k, b = row["cenote_kms"], row["cenote_kmsbk"]
    notes = []
    for label in ("cenote", *ENCRYPTED, "nginx", "moto"):
        r = row[label]
        if r.get("skipped"):
            continue
        if r.get("error"):
            notes.append(f"{label}: {r['error'][:60]}")
        elif not r.get("requests"):
            notes.append(f"{label}: no request completed in {r.get('window_s')} s")
        elif r.get("non2xx") or r.get("socket_errors"):
            notes.append(f"{label}: {r.get('non2xx', 0)} non-2xx, {r.get('socket_errors', 0)} socket errors")
    print(f"{row['op']:<4} {row['size']:>6} {row['conc']:>4} | {fmt(c['rps'], '12.1f')} {fmt(c['mbps'], '8.1f')} | "
          f"{fmt(e['rps'], '10.1f')} {fmt(e['mbps'], '8.1f')} | {fmt(k['rps'], '10.1f')} {fmt(b['rps'], '12.1f')} | "
          f"{fmt(n['rps'], '11.1f')} {fmt(n['mbps'], '8.1f')} | {fmt(m['rps'], '10.1f')} {fmt(m['mbps'], '8.1f')} | "
          f"{ratio(c['rps'], n['rps']):>7} {ratio(c['rps'], m['rps']):>7} {ratio(e['rps'], c['rps']):>6} "
          f"{ratio(k['rps'], c['rps']):>6} {ratio(b['rps'], c['rps']):>6} {ratio(b['rps'], e['rps']):>6} | "
          f"{'; '.join(notes)}", flush=True)


def print_summary(results):
    rss = results["rss_kib"]
    print()
    print("idle RSS: " + ", ".join(f"{k} {v / 1024:.1f} MiB" if v else f"{k} -" for k, v in rss.items()))
    first = results["cenote_first_request_s"]
    print(f"cenote start to first served request: {first * 1000:.0f} ms" if first is not None
          else "cenote start to first served request: -")
    print(f"each cell: wrk for {results['duration_s']} s; MB/s = successful requests/s x object size; "
          "ratios are cenote/peer on requests/s (higher is better for cenote); sse/c is Cenote's SSE-S3 bucket "
          "over its plain one (the cost of encryption at rest), kms/c its SSE-KMS bucket over the plain one (the "
          "cost of asking KMS for each object's data key as well), bk/c its SSE-KMS bucket with an S3 Bucket Key "
          "over the plain one and bk/sse over SSE-S3 (target: close to 1, KMS asked once per bucket key period).")


if __name__ == "__main__":
    sys.exit(main())
