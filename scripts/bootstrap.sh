#!/usr/bin/env bash
# Installs everything Cenote needs on a fresh Debian 12 machine, idempotently:
#  1. Debian packages (apt-get, only those missing).
#  2. Pinned npm tarballs, each verified by SHA-256, unpacked into .deps/ (git-ignored):
#     DuckDB 1.4.4 (libduckdb.so + duckdb.h), the AWS API models (aws-sdk v2 apis/*.min.json).
#  3. The JavaScript SDK v3 test clients (tests/e2e/js, from its package-lock.json, whose
#     sha512 integrity hashes npm checks on install).
# Quick when everything is present: each step checks a stamp before doing work.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="$ROOT/.deps"
mkdir -p "$DEPS/cache"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- Debian packages
APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-format
  clang libclang-rt-14-dev  # ./dev test's clang checks: libFuzzer + sanitizers, -Wthread-safety
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libpugixml-dev libspdlog-dev libfmt-dev libcli11-dev
  autoconf automake libtool  # aws-lambda-ric's bundled curl (scripts/build_lambda_ric.sh)
  libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev libzstd-dev libnghttp2-dev libsnappy-dev libbz2-dev
  libisal-dev  # ISA-L igzip: CloudTrail log files (common/encoding GzipFast)
  nodejs npm curl openssl
  awscli python3-boto3
  # ../shared/third_party/s3-tests (PINNED.md): the S3 conformance suite's Python dependencies
  python3-pytest python3-pytest-timeout python3-munch python3-isodate python3-tz python3-dateutil
  python3-requests python3-lxml python3-yaml python3-httplib2
  nginx-light wrk
  nats-server  # bench/sqs: NATS JetStream with file storage, the durable-queue peer
  chromium  # tests/e2e/s3/test_cors_browser.py: a real browser's CORS preflight against S3
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # A package may be satisfied by another (e.g. nodejs from elsewhere): check the command too.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
      cmake) command -v cmake >/dev/null 2>&1 && continue ;;
      git) command -v git >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# ---------------------------------------------------------------- pinned npm tarballs
# name@version  sha256-of-tarball
NPM_PINS=(
  "aws-sdk@2.1693.0 9ec237477ac3852d06f2fbd9a382207906ef5a35f99a7cb38c504c2ad2f85291"
  "duckdb@1.4.4 5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed"
  "@duckdb/node-bindings-linux-x64@1.4.4-r.4 732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b"
)

# Service models embedded in the binary (DESIGN.md lists the services).
MODELS=(
  s3-2006-03-01 glue-2017-03-31 athena-2017-05-18 kinesis-2013-12-02 firehose-2015-08-04
  sqs-2012-11-05 sns-2010-03-31 eventbridge-2015-10-07 scheduler-2021-06-30 states-2016-11-23
  lambda-2015-03-31 kms-2014-11-01 iam-2010-05-08 sts-2011-06-15 lakeformation-2017-03-31
  cloudtrail-2013-11-01 monitoring-2010-08-01 logs-2014-03-28 cloudformation-2010-05-15
  macie2-2020-01-01 organizations-2016-11-28
)

fetch_tarball() {  # $1=name@version $2=sha256 -> prints path of the verified tarball
  local spec="$1" want="$2"
  local file="$DEPS/cache/$(echo "$spec" | tr '/@' '__').tgz"
  if [[ -f "$file" ]] && [[ "$(sha256sum "$file" | cut -d' ' -f1)" == "$want" ]]; then
    echo "$file"; return
  fi
  log "fetching $spec from the npm registry"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/err") || { cat "$tmp/err" >&2; exit 1; }
  local got_file; got_file="$(ls "$tmp"/*.tgz)"
  local got; got="$(sha256sum "$got_file" | cut -d' ' -f1)"
  if [[ "$got" != "$want" ]]; then
    log "SHA-256 mismatch for $spec: expected $want, got $got"; rm -rf "$tmp"; exit 1
  fi
  mv "$got_file" "$file"; rm -rf "$tmp"
  echo "$file"
}

STAMP="$DEPS/npm.stamp"
want_stamp="$(printf '%s\n' "${NPM_PINS[@]}" "${MODELS[@]}" | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$STAMP" ]] || [[ "$(cat "$STAMP")" != "$want_stamp" ]]; then
  for pin in "${NPM_PINS[@]}"; do
    read -r spec sha <<<"$pin"
    tgz="$(fetch_tarball "$spec" "$sha")"
    case "$spec" in
      aws-sdk@*)
        rm -rf "$DEPS/aws-models" && mkdir -p "$DEPS/aws-models"
        members=(); for m in "${MODELS[@]}"; do members+=("package/apis/$m.min.json"); done
        tar -xzf "$tgz" -C "$DEPS/aws-models" --strip-components=2 "${members[@]}"
        ;;
      duckdb@*)
        mkdir -p "$DEPS/duckdb/include"
        tar -xzf "$tgz" -C "$DEPS/duckdb/include" --strip-components=5 package/src/duckdb/src/include/duckdb.h
        ;;
      @duckdb/node-bindings-linux-x64@*)
        mkdir -p "$DEPS/duckdb/lib"
        tar -xzf "$tgz" -C "$DEPS/duckdb/lib" --strip-components=1 package/libduckdb.so
        ;;
    esac
  done
  echo "$want_stamp" >"$STAMP"
fi

# ---------------------------------------------------------------- aws-lambda-ric (tests/e2e/lambda/test_ric.py)
# AWS's Node.js runtime interface client, built once (its bundled curl and aws-lambda-cpp, then the native
# addon: ~2 CPU-minutes, several wall-clock minutes on 2 busy cores) into .deps/aws-lambda-ric. 3.3.0 is the
# last version that runs on Node.js 20 (4.x needs 22). CENOTE_SKIP_RIC=1 skips it (the e2e test then skips).
RIC_PINS=(
  "aws-lambda-ric@3.3.0 fb6cd346ec91301e6a02921e60bea1cc8d73cc7ec301191416b95f7d1295e09a"
  "node-addon-api@6.1.0 441ddeef9b009b74f79e840f3e4d469e89a29e1304c573b8f48b355c7d088086"
)
RIC_STAMP="$DEPS/aws-lambda-ric.stamp"
ric_want="$(printf '%s\n' "${RIC_PINS[@]}" | sha256sum | cut -d' ' -f1)-$(node --version 2>/dev/null)"
if [[ "${CENOTE_SKIP_RIC:-0}" != 1 ]] && { [[ ! -f "$RIC_STAMP" ]] || [[ "$(cat "$RIC_STAMP")" != "$ric_want" ]]; }; then
  ric_tgzs=()
  for pin in "${RIC_PINS[@]}"; do
    read -r spec sha <<<"$pin"
    ric_tgzs+=("$(fetch_tarball "$spec" "$sha")")
  done
  log "building aws-lambda-ric (once; cached in .deps/aws-lambda-ric)"
  started=$SECONDS
  if "$ROOT/scripts/build_lambda_ric.sh" "${ric_tgzs[0]}" "${ric_tgzs[1]}" "$DEPS/aws-lambda-ric"; then
    echo "$ric_want" >"$RIC_STAMP"
    log "aws-lambda-ric built in $((SECONDS - started))s"
  else
    log "aws-lambda-ric did not build (tests/e2e/lambda/test_ric.py will skip)"
  fi
fi

# ---------------------------------------------------------------- JS SDK v3 test clients
JS_DIR="$ROOT/tests/e2e/js"
if [[ -f "$JS_DIR/package-lock.json" ]]; then
  lock_sum="$(sha256sum "$JS_DIR/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -f "$JS_DIR/node_modules/.cenote-stamp" ]] || [[ "$(cat "$JS_DIR/node_modules/.cenote-stamp")" != "$lock_sum" ]]; then
    log "installing the JavaScript SDK test clients (npm ci)"
    (cd "$JS_DIR" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) || (cd "$JS_DIR" && npm ci --no-audit --no-fund)
    echo "$lock_sum" >"$JS_DIR/node_modules/.cenote-stamp"
  fi
fi

log "dependencies ready in $DEPS"
