#!/usr/bin/env bash
# Athena benchmark: TPC-H-like queries through Cenote's Athena API vs DuckDB directly on the same Parquet files,
# plus the round-trip latency of `SELECT 1`, in one run. Not a test: never fails on a timing.
# Usage: bench/athena/run.sh PATH_TO_CENOTE [--small | --scale F] [--repeat N] [--latency-runs N] [--cache DIR] [--json OUT]
#                          [--direct-as-server]
#        bench/athena/run.sh --direct-only [--small]        (DuckDB only, no server)
# The data set (TPC-H SF1 row counts, ~0.4 GB of Parquet; --scale 2.5: ~1 GB; --small: scale 0.1) is generated once with the pinned DuckDB
# (.deps/duckdb/lib/libduckdb.so through ctypes) and cached in $TMPDIR/cenote-bench-athena-sf<scale>.
# Needs a Python with boto3 (Debian's python3-boto3 will do).
# The cost of a query over a table of many files (each bound through the lake as an in-process S3 call), for
# one or several binaries side by side: python3 bench/athena/many_files.py BIN [BIN ...] [--files 500].
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--small] [--repeat N] [--latency-runs N] [--cache DIR] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 3600 "$py" "$here/bench.py" "$@"
