#!/usr/bin/env bash
# Step Functions benchmark: state transitions per second of a Pass-chain workflow, Express (StartSyncExecution)
# and Standard (StartExecution, durable: every transition batch committed with its history), against a fresh
# `cenote serve` on a temp data dir and moto's stepfunctions where it runs the workflow, printing the ratio. A
# missing peer is skipped with the reason. Not a test: never fails on a timing.
# Usage: bench/stepfunctions/run.sh PATH_TO_CENOTE [--states N] [--seconds S] [--clients N] [--peers moto] [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--states N] [--seconds S] [--clients N] [--peers moto] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
