#!/usr/bin/env bash
# Glue jobs benchmark: start-to-SUCCEEDED latency of a trivial pythonshell job on a fresh `cenote serve`, against
# the floor of running the same script in a plain `python3` process, printing the ratio. Not a test: never fails
# on a timing.
# Usage: bench/glue_jobs/run.sh PATH_TO_CENOTE [--runs N] [--poll-ms MS] [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--runs N] [--poll-ms MS] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 1800 "$py" "$here/bench.py" "$@"
