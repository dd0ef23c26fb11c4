#!/usr/bin/env bash
# S3 GET/PUT benchmark: Cenote vs nginx (ceiling for GET) vs moto (emulator peer), side by side in one run.
# Usage: bench/s3/run.sh PATH_TO_CENOTE [--quick] [--duration SECONDS] [--json OUT]
#                        [--sizes 4KiB,64MiB] [--conc 1,8,32] [--peers nginx,moto]
# A small comparison on a loaded machine: --sizes 4KiB --conc 1,8 --peers nginx --duration 3, run for the
# two binaries in turn (before, after, before, after, ...) and compared as cenote/nginx ratios.
# Needs wrk, nginx, a Python with boto3, and a Python with moto (found by tests/e2e/harness.py).
# Never fails on a timing; exits non-zero only if a server cannot be set up.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--quick] [--duration SECONDS] [--json OUT] [--sizes ..] [--conc ..] [--peers ..]" >&2
  exit 2
fi
# Prefer a Python that has both boto3 and moto (one interpreter then drives everything).
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python python3 /usr/bin/python3)"
exec timeout --kill-after=30 1200 "$py" "$here/bench.py" "$@"
