#!/usr/bin/env bash
# CloudTrail recording cost, side by side in one run: requests/s of 4 KiB S3 GETs on a server that records every
# GET as a durable data event (a logging trail selecting the bucket's objects) against the same binary with
# recording off (CENOTE_CLOUDTRAIL_RECORDING=off). Prints the ratio per concurrency (issue #16 asks >= 0.9).
# Usage: bench/cloudtrail/run.sh PATH_TO_CENOTE [--duration S] [--rounds N] [--conc C[,C2]] [--json OUT]
# Needs wrk and Debian's python3-boto3. Never fails on a timing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--duration S] [--rounds N] [--conc C[,C2]] [--json OUT]" >&2
  exit 2
fi
cenote="$1"; shift
timeout --kill-after=30 900 /usr/bin/python3 "$here/bench.py" "$cenote" "$@"
