#!/usr/bin/env bash
# SNS benchmark: Publish throughput (1 KiB messages, P producer processes, a topic with one SQS subscription whose
# messages C consumer processes receive and delete) and the latency from Publish to the message arriving at a
# long-polling SQS consumer (p50/p99), against a fresh `cenote serve` on a temp data dir and moto's SNS+SQS (a Python
# with moto; see tests/e2e/harness.py), side by side, printing the ratios. A missing moto is skipped with the reason.
# Not a test: never fails on a timing.
# Usage: bench/sns/run.sh PATH_TO_CENOTE [--producers N] [--consumers N] [--seconds S] [--samples N] [--peers moto]
#                         [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--producers N] [--consumers N] [--seconds S] [--samples N] [--peers moto] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
