#!/usr/bin/env bash
# CloudWatch Logs benchmark: PutLogEvents throughput (events/s, P producer processes each putting batches of B
# ~100-byte events to its own stream) and a Logs Insights query over N events (default 1,000,000: `stats count()
# by bin(1m)` and a filter + stats), from StartQuery to GetQueryResults Complete, against a fresh `cenote serve` on
# a temp data dir and moto's logs (a Python with moto; see tests/e2e/harness.py), side by side, printing the
# ratios. moto implements a subset of Insights: a query it cannot answer is reported, not fatal. A missing moto is
# skipped with the reason. Not a test: never fails on a timing.
# Usage: bench/logs/run.sh PATH_TO_CENOTE [--producers N] [--batch B] [--seconds S] [--events N] [--peers moto]
#                          [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--producers N] [--batch B] [--seconds S] [--events N] [--peers moto] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 3600 "$py" "$here/bench.py" "$@"
