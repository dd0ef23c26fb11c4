#!/usr/bin/env bash
# Lambda benchmark: cold start and warm invoke latency (p50/p99) and invokes/s of a trivial Python handler on a fresh
# `cenote serve`, against the floor of running the same handler in a plain `python3` process per call, printing the
# ratios. Not a test: never fails on a timing.
# Usage: bench/lambda/run.sh PATH_TO_CENOTE [--cold N] [--warm N] [--threads N] [--seconds S] [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--cold N] [--warm N] [--threads N] [--seconds S] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
