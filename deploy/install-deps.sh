#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the demo need.
# Idempotent: packages already present are skipped, so a second run does not
# touch the network. apt only — nothing is downloaded from anywhere else.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-dev libboost-json1.81-dev
  librocksdb-dev
  libprotobuf-dev protobuf-compiler
  libssl-dev openssl
  libgtest-dev libgmock-dev librapidcheck-dev
  libcli11-dev libspdlog-dev libfmt-dev
  python3 curl
  chromium
  # Sanitizer and fuzz builds (CMakePresets.json "asan", "tsan"): clang, the
  # compiler-rt runtimes (libclang_rt.asan/ubsan/tsan/fuzzer) and
  # llvm-symbolizer for readable reports.
  clang libclang-rt-14-dev llvm
)
# The web console's browser test (tests/e2e/web_console_test.py) runs
# Playwright on Node.js; keep a Node.js that is already installed.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
