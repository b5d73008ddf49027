#!/usr/bin/env bash
# Installs the Debian packages powertrain needs (only those missing), then
# configures and builds. Used by `make demo` and `make test`.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libsqlite3-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev
  libturbojpeg0-dev libjpeg62-turbo-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev
  clang libclang-rt-14-dev
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing missing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if command -v npm >/dev/null; then (cd "$(dirname "$0")/../web" && npm ci --no-audit --no-fund --loglevel=error); else echo "setup: npm not found; the HTML report needs web/node_modules (npm ci in web/)" >&2; fi
