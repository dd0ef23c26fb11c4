#!/usr/bin/env bash
# SQS benchmark: send + receive + delete of 1 KiB messages in batches of 10, 8 producer and 8 consumer processes, and
# long-poll latency (p50/p99), against a fresh `cenote serve` on a temp data dir, moto's SQS (a Python with moto; see
# tests/e2e/harness.py) and NATS JetStream with file storage (nats-server on PATH; Debian: apt-get install
# nats-server), side by side, printing ratios. A missing peer is skipped with the reason. Not a test: never fails on a
# timing.
# Usage: bench/sqs/run.sh PATH_TO_CENOTE [--producers N] [--consumers N] [--seconds S] [--samples N]
#                         [--peers moto,nats] [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--producers N] [--consumers N] [--seconds S] [--samples N] [--peers moto,nats] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
