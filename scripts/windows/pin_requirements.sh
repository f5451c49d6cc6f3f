#!/usr/bin/env bash
# Re-pin the Windows build's packages (scripts/windows/requirements.txt): fetch the newest
# Windows wheels of what requirements.in names, then write every file's version and SHA-256.
# Run by hand when a dependency is to be updated; review the diff, then make bundle-windows.
#   scripts/windows/pin_requirements.sh
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PIP_PY" -m pip download -q --only-binary=:all: --platform win_amd64 --python-version 3.11 \
    --implementation cp --abi cp311 -r requirements.in -d "$work"
python3 - "$work" > requirements.txt <<'PY'
import hashlib, pathlib, re, sys
skip = {"secretstorage", "jeepney"}  # keyring's Linux backend: markers follow the Linux host here
print("# The Windows build's Python packages, every wheel pinned by version and SHA-256 (pip's")
print("# hash-checking mode). Written by scripts/windows/pin_requirements.sh from requirements.in.")
for w in sorted(pathlib.Path(sys.argv[1]).glob("*.whl"), key=lambda p: p.name.lower()):
    name, ver = w.name.split("-")[:2]
    n = re.sub(r"[-_.]+", "-", name).lower()
    if n not in skip:
        print(f"{n}=={ver} --hash=sha256:{hashlib.sha256(w.read_bytes()).hexdigest()}")
PY
echo "pin_requirements: wrote $(grep -c -- --hash requirements.txt) pins to scripts/windows/requirements.txt"
