#!/usr/bin/env bash
# Installs what powertrain needs and is missing: Debian packages (apt-get),
# and the report's Vega builds (npm ci in web/). Used by `make demo`,
# `make test` and `make bench`; BENCH=1 adds the Python peers of bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build pkg-config ccache
  libsqlite3-dev libcli11-dev nlohmann-json3-dev libtomlplusplus-dev libfmt-dev
  libturbojpeg0-dev libjpeg62-turbo-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libtorch-dev
  clang libclang-rt-14-dev clang-format
  chromium
  slurmctld slurmd slurm-client munge sqlite3
  # The Python module (python/) and its test's PyTorch loop, under /usr/bin/python3.
  pybind11-dev python3-dev python3-torch
)
if [ "${BENCH:-0}" = 1 ]; then
  PACKAGES+=(python3-pandas python3-pil python3-numpy)
fi

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

# The HTML report inlines vega, vega-lite and vega-embed from web/node_modules.
if [ ! -d web/node_modules ] || [ web/package-lock.json -nt web/node_modules ]; then
  if command -v npm >/dev/null; then
    (cd web && npm ci --no-audit --no-fund --loglevel=error && touch node_modules)
  else
    echo "setup: npm not found; the HTML report needs web/node_modules (npm ci in web/)" >&2
  fi
fi
