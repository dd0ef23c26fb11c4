#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on its seed corpus: the fuzz.<target> CTest tests (see
# CMakeLists.txt). New inputs go to a temp dir that is removed afterwards, so the tree never changes;
# a crash leaves its reproducer in <artifact dir>/<target>-crash-* and fails the test.
# usage: run_fuzzer.sh <fuzzer binary> <seed corpus dir> <seconds> <artifact dir>
# Exits 77 (CTest: skipped) when the binary has not been built.
set -euo pipefail
bin=$1 seeds=$2 seconds=$3 artifacts=$4
if [[ ! -x "$bin" ]]; then
  echo "skipped: $bin is not built (./dev test builds it in build-clang)"
  exit 77
fi
name=$(basename "$bin")
work=$(mktemp -d "${TMPDIR:-/tmp}/cenote-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
# -timeout: an input that takes seconds is a finding too. -rss_limit_mb: ASan's shadow memory included.
# -error_exitcode: libFuzzer's default, 77, is CTest's "skipped" here.
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
  -error_exitcode=1 -timeout_exitcode=1 \
  -artifact_prefix="$artifacts/$name-" "$work" "$seeds"
