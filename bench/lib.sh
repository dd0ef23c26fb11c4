# Shared by the bench/*/run.sh scripts (sourced): the Python that drives a benchmark.
#
# bench_python [candidate ...]: prints the first of CENOTE_BENCH_PYTHON, then the candidates (default
# /usr/bin/python3 python3), that can import boto3; exits 2 with a message when none can.
bench_python() {
  local cand
  if [[ -n "${CENOTE_BENCH_PYTHON:-}" ]]; then
    echo "$CENOTE_BENCH_PYTHON"
    return
  fi
  [[ $# -gt 0 ]] || set -- /usr/bin/python3 python3
  for cand in "$@"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import boto3' >/dev/null 2>&1; then
      echo "$cand"
      return
    fi
  done
  echo "no python3 with boto3 found (set CENOTE_BENCH_PYTHON)" >&2
  exit 2
}
