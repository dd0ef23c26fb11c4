#!/usr/bin/env bash
# Kinesis benchmark: PutRecords of 1 KiB records in batches of 500 from several producer threads, then GetRecords
# throughput draining the stream, against a fresh `cenote serve` on a temp data dir. Also measures the disk's fsync
# rate (the physical limit of acknowledged-durable writes) and prints the ratios. Not a test: never fails on a timing.
# Usage: bench/kinesis/run.sh PATH_TO_CENOTE [--shards N] [--producers N] [--seconds S] [--json OUT]
# Peers: kinesalite (npm, pinned here; `npm ci` on first use) and Redis XADD with appendfsync always (redis-server on
# PATH); a missing peer is skipped with the reason. --no-peers measures Cenote only.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--shards N] [--producers N] [--seconds S] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
