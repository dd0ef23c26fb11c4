#!/usr/bin/env bash
# IAM policy evaluation cost (ns per evaluation of a 20-statement identity policy plus a bucket policy).
# Usage: ./dev bench iam   (the cenote binary argument ./dev passes is not used)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${CENOTE_BUILD_DIR:-$ROOT/build}"
cmake --build "$BUILD" --target cenote_iam_bench >/dev/null
exec "$BUILD/tests/unit/iam/cenote_iam_bench"
