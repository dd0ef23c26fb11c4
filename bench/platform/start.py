#!/usr/bin/env python3
"""Start time and idle memory of `cenote serve`: first start (a new data directory, every migration runs) and
restart (the same directory again), N times each, printed as medians. Not a test: never fails on a timing.

Usage: python3 bench/platform/start.py PATH_TO_CENOTE [--runs N] [PATH_TO_OTHER_CENOTE ...]
Several binaries are measured in turn, run by run (a, b, a, b, ...), so that a before/after comparison on a
busy machine sees the same load. Start is exec to the `cenote ready` line; RSS is VmRSS one second later,
with no request served.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def one_start(binary, data_dir):
    env = dict(os.environ, CENOTE_ROOT_ACCESS_KEY_ID="AKIABENCHSTART000001", CENOTE_ROOT_SECRET_ACCESS_KEY="s" * 40)
    t0 = time.monotonic()
    proc = subprocess.Popen([binary, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data_dir,
                             "--log-level", "warn"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    try:
        ready = None
        for _ in range(1000):  # bounded: the ready line comes within the first few lines
            line = proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            if line.startswith("cenote ready"):
                ready = time.monotonic() - t0
                break
        if ready is None:
            raise RuntimeError(f"{binary} did not print its ready line")
        time.sleep(1.0)
        rss_kib = 0
        with open(f"/proc/{proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss_kib = int(line.split()[1])
        return ready * 1000, rss_kib / 1024
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    results = {b: {"first": [], "restart": []} for b in args.binaries}
    for _ in range(args.runs):
        for binary in args.binaries:
            data_dir = tempfile.mkdtemp(prefix="cenote-start-")
            try:
                results[binary]["first"].append(one_start(binary, data_dir))
                results[binary]["restart"].append(one_start(binary, data_dir))
            finally:
                shutil.rmtree(data_dir, ignore_errors=True)
    for binary in args.binaries:
        for kind in ("first", "restart"):
            ms = [r[0] for r in results[binary][kind]]
            rss = [r[1] for r in results[binary][kind]]
            print(f"{binary}: {'first start' if kind == 'first' else 'restart':11s} median {statistics.median(ms):5.1f} ms "
                  f"(fastest {min(ms):5.1f}), idle RSS median {statistics.median(rss):4.1f} MiB")


if __name__ == "__main__":
    main()
