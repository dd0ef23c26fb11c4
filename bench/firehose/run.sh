#!/usr/bin/env bash
# Firehose JSON -> Parquet conversion MB/s: Cenote vs DuckDB directly on the same records (see bench.py).
# Usage: bench/firehose/run.sh PATH_TO_CENOTE [--mb N]     Not a test: never fails on a timing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: $0 PATH_TO_CENOTE [--mb N]" >&2; exit 2; }
exec timeout --kill-after=30 1800 /usr/bin/python3 "$here/bench.py" "$@"
