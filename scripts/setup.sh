#!/usr/bin/env bash
# Sets up everything the app and its tests need on a fresh Debian machine:
# system libraries (when run as root), the virtual environment, and the bundled
# reference database compiled from db/sources.
#   scripts/setup.sh          # the app
#   scripts/setup.sh --test   # the app and the test tools (xvfb, poppler-utils, pytest)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

apt_pkgs=(libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0
          libxcb-render-util0 libxcb-xinerama0 libxcb-image0 libnss3 libxcomposite1
          libxdamage1 libxrandr2 libxtst6 libxi6 libasound2)
# cups and cups-pdf: the printing test prints through a real CUPS queue to a PDF printer
[ $want_test = 1 ] && apt_pkgs+=(xvfb poppler-utils xauth cups printer-driver-cups-pdf)
# the store's tests start their own PostgreSQL server (initdb, pg_ctl in a temporary folder)
[ $want_test = 1 ] && apt_pkgs+=(postgresql)

missing=()
for p in "${apt_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "setup: installing system packages: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: please install these Debian packages: ${missing[*]}" >&2
    fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if [ $want_test = 1 ]; then
    .venv/bin/python -m pip install -q -e ".[test]"
else
    .venv/bin/python -m pip install -q -e .
fi
.venv/bin/polyclinic refdata build --quiet
