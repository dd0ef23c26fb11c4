"""KMS throughput: Encrypt and Decrypt of 4 KiB plaintexts (symmetric key, with an encryption context), as
requests/s from N client threads, for Cenote and moto's KMS, against the ceiling of OpenSSL's AES-256-GCM on the
same 4 KiB in-process (`openssl speed -evp aes-256-gcm -bytes 4096`, single thread; python `cryptography`'s AESGCM
when the openssl CLI is missing). Prints each and the ratios cenote/moto and cenote/ceiling.

Each client thread signs one request with botocore and resends it on a keep-alive connection (the same for both
servers), so the numbers are the servers'; the ceiling says how far a request is from the cipher it wraps.
See run.sh for usage. Servers bind 127.0.0.1 on free ports and use temp dirs removed afterwards.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import harness  # noqa: E402

SIZE = 4096
CONTEXT = {"bench": "kms", "size": "4KiB"}


def ceiling_ops_per_second():
    """AES-256-GCM encryptions of 4 KiB per second in one thread: (ops/s, how it was measured)."""
    if shutil.which("openssl"):
        r = subprocess.run(["openssl", "speed", "-evp", "aes-256-gcm", "-bytes", str(SIZE), "-seconds", "2"],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"^aes-256-gcm\s+([\d.]+)k", r.stdout, re.M | re.I)
        if m:
            return float(m.group(1)) * 1000 / SIZE, "openssl speed -evp aes-256-gcm -bytes 4096"
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        return None, "no openssl CLI and no python cryptography"
    aes = AESGCM(os.urandom(32))
    data = os.urandom(SIZE)
    nonce = os.urandom(12)
    n, t0 = 0, time.time()
    while time.time() - t0 < 2:
        aes.encrypt(nonce, data, None)
        n += 1
    return n / (time.time() - t0), "python cryptography AESGCM"


def client(server):
    return boto3.session.Session().client(
        "kms", endpoint_url=server.endpoint, region_name=server.region, aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(retries={"max_attempts": 1}, max_pool_connections=4))


def load(server, key_id, op, clients, seconds, blob=None):
    """Requests/s of `op` ("Encrypt" or "Decrypt") from `clients` threads for `seconds`. Each thread signs its
    request once (SigV4 via botocore) and resends it on a keep-alive connection, so the load generator costs
    little per request and the number is the server's, not boto3's."""
    import base64
    import http.client
    import urllib.parse
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    if op == "Encrypt":
        params = {"KeyId": key_id, "Plaintext": base64.b64encode(os.urandom(SIZE)).decode(), "EncryptionContext": CONTEXT}
    else:
        params = {"CiphertextBlob": base64.b64encode(blob).decode(), "EncryptionContext": CONTEXT}
    body = json.dumps(params).encode()
    parts = urllib.parse.urlsplit(server.endpoint)
    counts = [0] * clients
    errors = []
    stop = time.time() + seconds

    def run(i):
        try:
            req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                             headers={"Content-Type": "application/x-amz-json-1.1",
                                      "X-Amz-Target": "TrentService." + op})
            SigV4Auth(Credentials(server.access_key, server.secret_key), "kms", server.region).add_auth(req)
            headers = dict(req.headers.items())
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            while time.time() < stop:
                conn.request("POST", "/", body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"HTTP {resp.status}: {raw[:200]!r}")
                counts[i] += 1
            conn.close()
        except Exception as e:  # reported, not fatal
            errors.append(repr(e))

    t0 = time.time()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  client errors: {errors[:3]}")
    return sum(counts) / (time.time() - t0)


def measure(label, server, clients, seconds):
    c = client(server)
    key = c.create_key(Description="bench")["KeyMetadata"]["KeyId"]
    blob = c.encrypt(KeyId=key, Plaintext=os.urandom(SIZE), EncryptionContext=CONTEXT)["CiphertextBlob"]
    load(server, key, "Encrypt", clients, 1)  # warm-up
    enc = load(server, key, "Encrypt", clients, seconds)
    dec = load(server, key, "Decrypt", clients, seconds, blob)
    print(f"  {label:<7} encrypt {enc:8.0f} req/s   decrypt {dec:8.0f} req/s")
    return {"encrypt": enc, "decrypt": dec}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cenote")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ["CENOTE_BIN"] = os.path.abspath(args.cenote)
    results = {"size": SIZE, "clients": args.clients, "seconds": args.seconds}
    ceiling, how = ceiling_ops_per_second()
    results["ceiling"] = {"ops": ceiling, "how": how}
    print(f"KMS Encrypt/Decrypt of {SIZE}-byte plaintexts, {args.clients} client threads, {args.seconds:g} s each")
    if ceiling:
        print(f"  ceiling AES-256-GCM in-process: {ceiling:,.0f} ops/s ({how}, one thread)")
    work = tempfile.mkdtemp(prefix="cenote-bench-kms-")
    try:
        os.environ["CENOTE_E2E_TARGET"] = "cenote"
        server = harness.Server(data_dir=os.path.join(work, "cenote")).start()
        try:
            results["cenote"] = measure("cenote", server, args.clients, args.seconds)
        finally:
            server.close()
        if not args.no_peers:
            os.environ["CENOTE_E2E_TARGET"] = "moto"
            try:
                moto = harness.Server().start()
            except Exception as e:  # no moto on this machine: skip the peer
                print(f"  moto    skipped: {e}")
                moto = None
            if moto is not None:
                try:
                    results["moto"] = measure("moto", moto, args.clients, args.seconds)
                finally:
                    moto.close()
    finally:
        os.environ["CENOTE_E2E_TARGET"] = "cenote"
        shutil.rmtree(work, ignore_errors=True)
    cen = results["cenote"]
    for op in ("encrypt", "decrypt"):
        line = f"  {op}: cenote {cen[op]:,.0f} req/s"
        if "moto" in results:
            line += f" = {cen[op] / results['moto'][op]:.2f}x moto"
        if ceiling:
            line += f" = {cen[op] / ceiling:.4f} of the AES-GCM ceiling"
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
