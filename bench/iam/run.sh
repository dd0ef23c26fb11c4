#!/usr/bin/env bash
# IAM enforcement cost, side by side in one run:
#   1. requests/s of 4 KiB S3 GETs signed by an IAM user with a 20-statement identity policy, from a bucket
#      with a bucket policy, against the same GETs signed by root (the ratio; issue #15 asks >= 0.9);
#   2. the evaluator alone: ns per evaluation of those policies (tests/unit/iam's cenote_iam_bench).
# Usage: bench/iam/run.sh PATH_TO_CENOTE [--duration S] [--rounds N] [--conc C] [--json OUT]
# Needs wrk and Debian's python3-boto3. Never fails on a timing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$here/../.." && pwd)"
BUILD="${CENOTE_BUILD_DIR:-$ROOT/build}"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--duration S] [--rounds N] [--conc C] [--json OUT]" >&2
  exit 2
fi
cenote="$1"; shift
timeout --kill-after=30 900 /usr/bin/python3 "$here/bench.py" "$cenote" "$@"
if cmake --build "$BUILD" --target cenote_iam_bench >/dev/null 2>&1; then
  "$BUILD/tests/unit/iam/cenote_iam_bench"
fi
