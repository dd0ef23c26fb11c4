#!/usr/bin/env bash
# EventBridge benchmark: PutEvents -> rule -> SQS delivery throughput and end-to-end latency against a fresh
# `cenote serve` on a temp data dir and moto's events+sqs (a Python with moto; see tests/e2e/harness.py), side by
# side, printing the ratio. A missing peer is skipped with the reason. Not a test: never fails on a timing.
# Usage: bench/events/run.sh PATH_TO_CENOTE [--producers N] [--seconds S] [--samples N] [--peers moto] [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--producers N] [--seconds S] [--samples N] [--peers moto] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
