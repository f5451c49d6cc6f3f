# Shared by scripts/build_windows.sh and scripts/smoke_windows.sh (sourced, not run).
# Wine 8 from Debian runs the Windows build's Python and the built programs on Linux.

CACHE=${POLYCLINIC_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/polyclinic-windows}
WINE=/usr/lib/wine/wine64
# pip for fetching from PyPI on Linux: the project's .venv (scripts/setup.sh), else python3's
_here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PIP_PY=${PIP_PY:-$([ -x "$_here/.venv/bin/python" ] && echo "$_here/.venv/bin/python" || echo python3)}
export WINEDEBUG=-all WINEARCH=win64
# no Mono or Gecko prompt (neither is needed, and neither can be fetched here)
export WINEDLLOVERRIDES="mscoree,mshtml="

# Debian packages the Windows build and its smoke test need (installed when run as root).
WINDOWS_APT=(wine64 wine fonts-wine osslsigncode nsis gcc-mingw-w64-x86-64-win32 unzip
             poppler-utils openssl locales)

ensure_windows_packages() {
    local missing=() p
    for p in "${WINDOWS_APT[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "windows: please install these Debian packages: ${missing[*]}" >&2
        return 1
    fi
    echo "windows: installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The smoke test's Russian Windows: Wine takes its code pages (ANSI 1251, OEM 866) from the
# Unix locale ru_RU.UTF-8, which must exist.
ensure_ru_locale() {
    locale -a 2>/dev/null | grep -qix "ru_RU.utf8" && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "windows: please generate the locale ru_RU.UTF-8 (localedef -i ru_RU -f UTF-8 ru_RU.UTF-8)" >&2
        return 1
    fi
    localedef -i ru_RU -f UTF-8 ru_RU.UTF-8
}

# winpath /unix/path -> Z:\unix\path (Wine maps Z: to /)
winpath() { local p; p=$(realpath -m "$1"); echo "Z:${p//\//\\}"; }

# The stand-in for bcryptprimitives.dll (ProcessPrng), which Wine 8 lacks and every Rust-built
# module (cryptography, pydantic-core) imports: built once, put into a prefix's system32 only.
shim_dll() {
    local src out
    src="$(dirname "${BASH_SOURCE[0]}")/bcryptprimitives.c"
    out="$CACHE/shim/bcryptprimitives-$(sha256sum "$src" | cut -c1-12).dll"
    if [ ! -f "$out" ]; then
        mkdir -p "$CACHE/shim"
        x86_64-w64-mingw32-gcc -O2 -shared -s -o "$out.tmp" "$src" -ladvapi32
        mv "$out.tmp" "$out"
    fi
    echo "$out"
}

# new_prefix DIR [USER]: a fresh Wine prefix (Windows 10, 64-bit), with the ProcessPrng stand-in.
new_prefix() {
    local dir=$1 user=${2:-${USER:-root}} shim
    shim=$(shim_dll)
    rm -rf "$dir"
    WINEPREFIX="$dir" USER="$user" "$WINE" wineboot -i >/dev/null 2>&1 || true
    WINEPREFIX="$dir" /usr/lib/wine/wineserver -w 2>/dev/null || true
    [ -d "$dir/drive_c/windows/system32" ] || { echo "windows: wineboot failed for $dir" >&2; return 1; }
    cp "$shim" "$dir/drive_c/windows/system32/bcryptprimitives.dll"
}

# wine_cmd PREFIX USER OUT ERR LINE...: run one command line through cmd.exe in a batch file
# (Python's std streams need cmd's redirection under Wine), the offscreen Qt platform set
# inside it; stdout to OUT, stderr to ERR (Linux paths). Returns the command's exit code.
# Pass non-ASCII paths through environment variables (%NAME%), not in LINE.
wine_cmd() {
    local prefix=$1 user=$2 out=$3 err=$4; shift 4
    local bat
    bat=$(mktemp --suffix=.cmd "${TMPDIR:-/tmp}/polyclinic-wine.XXXXXX")
    printf '@echo off\r\nset QT_QPA_PLATFORM=offscreen\r\n%s > "%s" 2> "%s"\r\nexit /b %%errorlevel%%\r\n' \
        "$*" "$(winpath "$out")" "$(winpath "$err")" > "$bat"
    local rc=0
    WINEPREFIX="$prefix" USER="$user" "$WINE" cmd.exe /c "$(winpath "$bat")" </dev/null >/dev/null 2>&1 || rc=$?
    rm -f "$bat"
    return $rc
}
