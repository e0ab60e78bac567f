#!/usr/bin/env bash
# Installs every Debian package this project builds and tests with. Idempotent: a second run
# installs nothing new. Fails loudly (non-zero exit, the failing command printed) on any error.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap          # Bazel 4.2.3, works offline
  bazel-platforms
  build-essential
  pkg-config
  libgrpc++-dev            # we link only the *_unsecure flavour (see ../shared/BUILDING.md)
  libgrpc-dev
  protobuf-compiler-grpc   # /usr/bin/grpc_cpp_plugin
  protobuf-compiler
  libprotobuf-dev
  libabsl-dev
  android-libboringssl-dev # BoringSSL: the only TLS library in our binaries
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libpsl-dev               # Public Suffix List (schemeful site)
  libidn2-dev              # IDNA (UTS #46) for host parsing
  libseccomp-dev           # the renderer's seccomp-bpf filter (sandbox/)
  libsqlite3-dev           # the browser's journal of deferred fetches (browser/journal/)
  libjavascriptcoregtk-4.1-dev # JavaScriptCore C API: the renderer's script engine
  clang-14
  libclang-rt-14-dev       # libFuzzer and sanitizer runtimes
  clang-format
  python3
  python3-grpcio           # an independent gRPC client for adversarial tests
  python3-protobuf
  chromium                 # /usr/bin/chromium: headless test of the internals page
  nginx-light              # a real server for tests/nginx_interop_test
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: done"
