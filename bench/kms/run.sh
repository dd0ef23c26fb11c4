#!/usr/bin/env bash
# KMS benchmark: Encrypt and Decrypt requests/s of 4 KiB plaintexts against a fresh `cenote serve` on a temp data
# dir, side by side with OpenSSL's AES-256-GCM on the same 4 KiB in-process (the ceiling: the cipher alone, no
# request) and moto's KMS (the emulator peer; skipped with the reason when no Python has moto). Prints ratios.
# Not a test: never fails on a timing.
# Usage: bench/kms/run.sh PATH_TO_CENOTE [--clients N] [--seconds S] [--no-peers] [--json OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ $# -lt 1 ]]; then
  echo "usage: $0 PATH_TO_CENOTE [--clients N] [--seconds S] [--no-peers] [--json OUT]" >&2
  exit 2
fi
# shellcheck source=../lib.sh
source "$here/../lib.sh"
py="$(bench_python /usr/bin/python3 python3)"
exec timeout --kill-after=30 900 "$py" "$here/bench.py" "$@"
