#!/usr/bin/env bash
# Builds AWS's Node.js runtime interface client (aws-lambda-ric, pinned npm tarball) into $1 (default
# .deps/aws-lambda-ric), for tests/e2e/lambda/test_ric.py. Called by scripts/bootstrap.sh.
#
# Does what the package's own preinstall/postinstall scripts do (build its bundled, patched curl and
# aws-lambda-cpp, then the rapid-client.node addon) without npm install: node-gyp would download the Node.js
# headers, so the addon is compiled directly against the system's /usr/include/node and the pinned
# node-addon-api headers. Nothing is fetched here: the caller passes the verified tarballs.
#
# Usage: build_lambda_ric.sh <aws-lambda-ric.tgz> <node-addon-api.tgz> <out-dir>
set -euo pipefail
RIC_TGZ="$1" ADDON_TGZ="$2" OUT="$3"
JOBS="$(nproc 2>/dev/null || echo 2)"
NODE_INCLUDE="$(dirname "$(dirname "$(command -v node)")")/include/node"
[[ -f "$NODE_INCLUDE/node_api.h" ]] || NODE_INCLUDE=/usr/include/node
[[ -f "$NODE_INCLUDE/node_api.h" ]] || { echo "build_lambda_ric: no Node.js headers (node_api.h)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
tar -xzf "$RIC_TGZ" -C "$WORK"
mkdir -p "$WORK/addon" && tar -xzf "$ADDON_TGZ" -C "$WORK/addon" --strip-components=1
PKG="$WORK/package"
ART="$PKG/deps/artifacts"
# shellcheck disable=SC1091
. "$PKG/deps/versions"

cd "$PKG/deps"
tar xzf "curl-$CURL_VERSION.tar.gz" --no-same-owner
tar xzf "aws-lambda-cpp-$AWS_LAMBDA_CPP_RELEASE.tar.gz" --no-same-owner

# curl, configured as the package's preinstall.sh configures it (HTTP only, static, no TLS).
(
  cd "curl-curl-$CURL_VERSION"
  ./buildconf >/dev/null 2>&1
  ./configure --prefix "$ART" --disable-alt-svc --disable-ares --disable-cookies --disable-crypto-auth \
    --disable-dateparse --disable-dict --disable-dnsshuffle --disable-doh --disable-file --disable-ftp \
    --disable-get-easy-options --disable-gopher --disable-hsts --disable-http-auth --disable-imap \
    --disable-ipv6 --disable-ldap --disable-ldaps --disable-libcurl-option --disable-manual --disable-mime \
    --disable-mqtt --disable-netrc --disable-ntlm-wb --disable-pop3 --disable-progress-meter --disable-proxy \
    --disable-pthreads --disable-rtsp --disable-shared --disable-smtp --disable-socketpair --disable-sspi \
    --disable-telnet --disable-tftp --disable-threaded-resolver --disable-unix-sockets --disable-verbose \
    --disable-versioned-symbols --with-pic --without-brotli --without-ca-bundle --without-gssapi \
    --without-libidn2 --without-libpsl --without-librtmp --without-libssh2 --without-nghttp2 \
    --without-nghttp3 --without-ngtcp2 --without-ssl --without-zlib --without-zstd >/dev/null
  make -j"$JOBS" -C lib >/dev/null
  make -C lib install >/dev/null
  make -C include install >/dev/null
  install -m 755 curl-config "$ART/bin/curl-config" 2>/dev/null || { mkdir -p "$ART/bin"; install -m 755 curl-config "$ART/bin/curl-config"; }
  mkdir -p "$ART/lib/pkgconfig" && cp libcurl.pc "$ART/lib/pkgconfig/"
)
# aws-lambda-cpp against that curl.
(
  mkdir -p "aws-lambda-cpp-$AWS_LAMBDA_CPP_RELEASE/build" && cd "aws-lambda-cpp-$AWS_LAMBDA_CPP_RELEASE/build"
  cmake .. -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-fPIC" -DCMAKE_INSTALL_PREFIX="$ART" \
    -DCMAKE_PREFIX_PATH="$ART" -DCURL_LIBRARY="$ART/lib/libcurl.a" -DCURL_INCLUDE_DIR="$ART/include" \
    -DENABLE_TESTS=OFF >/dev/null
  make -j"$JOBS" >/dev/null && make install >/dev/null
)
# The addon (binding.gyp's target, without node-gyp).
cd "$PKG"
LIBDIR="$ART/lib"; [[ -f "$LIBDIR/libaws-lambda-runtime.a" ]] || LIBDIR="$ART/lib64"
g++ -std=gnu++17 -O2 -fPIC -shared -fvisibility=hidden -DNAPI_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION \
  -I"$NODE_INCLUDE" -I"$WORK/addon" -I"$ART/include" src/rapid-client.cc -o dist/rapid-client.node \
  -L"$LIBDIR" -laws-lambda-runtime "$ART/lib/libcurl.a" -lpthread
rm -rf "$PKG/deps"
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")" && mv "$PKG" "$OUT"
