#!/usr/bin/env bash
# Smoke test of the Windows build under Wine (make bundle-windows runs it after the build):
# a fresh Wine prefix whose user is "Әсел Иванова" (Kazakh letters and a space in every profile
# path) on a Russian Windows (ANSI cp1251), the installer run silently, then the installed
# polyclinic.exe from a folder outside the repository: decide a case, decide a batch from
# standard input, print an estimate in Kazakh (pdftotext finds Kazakh letters), create a
# registry and an administrator in %LOCALAPPDATA%, back it up; the Windows branches (folder
# ACL, leftovers, locking, network drives, keyring); polyclinic-gui.exe --exit-after-start
# offscreen with a screenshot of the desk in Russian and Kazakh (docs/img/windows-desk-*.png);
# an upgrade and the uninstaller keep the data.
#   scripts/smoke_windows.sh [dist/windows]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
. scripts/windows/lib.sh
started=$(date +%s)
dist=$(realpath "${1:-dist/windows}")
setup=$(ls "$dist"/polyclinic-setup-*.exe 2>/dev/null | head -1)
[ -n "$setup" ] || { echo "smoke_windows: no installer in $dist (run: make bundle-windows)" >&2; exit 1; }
BUILD_PY=$(ls -d "$CACHE"/python-* 2>/dev/null | head -1)
[ -f "$BUILD_PY/python.exe" ] || { echo "smoke_windows: no build Python in $CACHE (run: make bundle-windows)" >&2; exit 1; }

work=$(mktemp -d /tmp/polyclinic-winsmoke.XXXXXX)
cleanup() { WINEPREFIX="$work/prefix" /usr/lib/wine/wineserver -k 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
WUSER="Әсел Иванова"
ensure_windows_packages
ensure_ru_locale
export LANG=ru_RU.UTF-8   # Wine: a Russian Windows (ANSI cp1251, OEM cp866)
PFX="$work/prefix"
new_prefix "$PFX" "$WUSER"
profile="$PFX/drive_c/users/$WUSER"
installed="$profile/AppData/Local/Programs/Polyclinic"
data="$profile/AppData/Local/polyclinic"
menu="$profile/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Регистратура поликлиники"
mkdir -p "$work/cases"
cp "$setup" "$work/setup.exe"

fail() { echo "smoke_windows: FAILED: $*" >&2; for f in "$work/out" "$work/err"; do [ -s "$f" ] && head -c 3000 "$f" >&2; done; exit 1; }
# run LINE...: one command line in cmd.exe, in the cases folder (outside the repository), the
# installed programs as %LOCALAPPDATA%\Programs\Polyclinic\…; its output in $work/out and $work/err
run() {
    wine_cmd "$PFX" "$WUSER" "$work/out" "$work/err" \
        "cd /d $(winpath "$work/cases") &&" "$@"
}
winchk() { run "$(winpath "$BUILD_PY/python.exe")" -X utf8 "$(winpath "$ROOT/scripts/windows/winchecks.py")" \
               "$(winpath "$ROOT")" "$@" || fail "winchecks $*"; cat "$work/out"; }

python3 - "$work/cases" <<'PY'
import json, sys
from pathlib import Path
work = Path(sys.argv[1])
for name in ("p05", "p01"):
    spec = json.loads(Path(f"tests/cases/{name}.json").read_text(encoding="utf-8"))
    (work / f"{name}.json").write_text(json.dumps(spec["case"], ensure_ascii=False), encoding="utf-8")
(work / "batch.jsonl").write_text("\n".join((work / f"{n}.json").read_text(encoding="utf-8")
                                            for n in ("p05", "p01")) + "\n", encoding="utf-8")
PY

# --- install (silent, per user) -----------------------------------------------------------------
# (cmd does not wait for a windowed program unless started with start /wait)
run 'start "" /wait' "$(winpath "$work/setup.exe")" /S || fail "the installer exited $?"
for f in polyclinic.exe polyclinic-gui.exe uninstall.exe _internal/resources/reference.sqlite; do
    [ -e "$installed/$f" ] || fail "installed: no $f in $installed"
done
[ -f "$menu/Регистратура поликлиники.lnk" ] && [ -f "$menu/Емхана тіркеу орны.lnk" ] \
    || fail "Start-menu shortcuts in Russian and Kazakh: $(ls "$menu" 2>&1)"
osslsigncode verify -in "$installed/uninstall.exe" -CAfile "${POLYCLINIC_SIGN_VERIFY_CA:-$ROOT/build/windows/test-signing/cert.pem}" \
    -ignore-crl 2>&1 | grep -q "^Signature verification: ok" || fail "the uninstaller is not signed"
echo "smoke_windows: installed per user into $installed (shortcuts ru, kk; uninstaller signed)"

# --- the command line ---------------------------------------------------------------------------
run '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' decide p05.json || fail "decide exited $?"
grep -q '"category": "eaeu_worker"' "$work/out" || fail "decide gave $(cat "$work/out")"
echo "smoke_windows: decide ok"

run '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' decide p05.json --lang kk || fail "decide --lang kk exited $?"
python3 - "$work/out" <<'PY' || fail "decide --lang kk: redirected output is not UTF-8 JSON with Kazakh letters"
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # UTF-8 although the console's code page is cp1251/cp866
json.loads(text)
assert any(c in text for c in "әғқңөұүһіӘҒҚҢӨҰҮҺІ"), text[:300]
PY
echo "smoke_windows: decide --lang kk redirected: UTF-8 JSON with Kazakh letters (ANSI code page cp1251)"

run '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' decide - --batch "< batch.jsonl" || fail "decide --batch exited $?"
[ "$(wc -l < "$work/out")" = 2 ] && tail -1 "$work/out" | grep -q '"category": "citizen"' \
    || fail "batch gave $(cat "$work/out")"
echo "smoke_windows: decide --batch from standard input ok"

# a real console (a pseudo-terminal): Python writes through WriteConsoleW, cp1251 has no ә
printf '@echo off\r\nchcp 1251 > nul\r\n"%%LOCALAPPDATA%%\\Programs\\Polyclinic\\polyclinic.exe" decide %s --lang kk\r\nexit /b %%errorlevel%%\r\n' \
    "$(winpath "$work/cases/p05.json")" > "$work/console.cmd"
rc=0
script -qefc "env WINEPREFIX='$PFX' USER='$WUSER' $WINE cmd.exe /c '$(winpath "$work/console.cmd")'" \
    "$work/console.log" </dev/null >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "decide --lang kk on a cp1251 console exited $rc: $(tail -c 600 "$work/console.log")"
grep -q "Traceback\|UnicodeEncodeError" "$work/console.log" && fail "console: $(tail -c 600 "$work/console.log")"
echo "smoke_windows: decide --lang kk on a cp1251 console: exit 0, no encoding error"

# --- a registry and an administrator in %LOCALAPPDATA% (Cyrillic and a space in the path) ------
run "set POLYCLINIC_NEW_PASSWORD=smoke-admin-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' users add smoke \
    --full-name Smoke --role admin || fail "users add exited $?"
[ -f "$data/registry.sqlite" ] || fail "no registry in $data: $(ls -R "$profile/AppData/Local" | head -20)"
echo "smoke_windows: registry and administrator created in %LOCALAPPDATA%\\polyclinic"
winchk acl '"%LOCALAPPDATA%\polyclinic"'   # made by the first decide, as the parent of registry.sqlite.refdata

run "set POLYCLINIC_PASSWORD=smoke-admin-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' print estimate p05.json \
    -o estimate.pdf --lang kk --user smoke || fail "print estimate --lang kk exited $?"
text=$(pdftotext "$work/cases/estimate.pdf" -)
grep -q "[әғқңөұүһіӘҒҚҢӨҰҮҺІ]" <<< "$text" || fail "estimate.pdf has no Kazakh letters: $(head -5 <<< "$text")"
echo "smoke_windows: print estimate --lang kk ok ($(stat -c %s "$work/cases/estimate.pdf") bytes, Kazakh letters in its text)"

run "set POLYCLINIC_PASSWORD=smoke-admin-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' backup backup.sqlite --user smoke \
    || fail "backup exited $?"
[ -s "$work/cases/backup.sqlite" ] || fail "no backup.sqlite"
echo "smoke_windows: backup ok ($(stat -c %s "$work/cases/backup.sqlite") bytes)"

# --- the Windows branches ------------------------------------------------------------------------
# a temporary file left by a process that is gone (no pid 4000000 runs) is removed at the next start
touch "$data/registry.sqlite.tmp-4000000-deadbeef"
run "set POLYCLINIC_PASSWORD=smoke-admin-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' users list --user smoke \
    || fail "users list exited $?"
[ -e "$data/registry.sqlite.tmp-4000000-deadbeef" ] && fail "the leftover temporary file is still there"
echo "smoke_windows: a dead process's leftover temporary file removed at start"
winchk alive
winchk lock '"%LOCALAPPDATA%\polyclinic\smoke.lock"'

# two processes create and migrate one new registry at once, each adding "the first
# administrator": the file lock and SQLite's lock let exactly one do it; the other is asked for
# credentials, and neither fails on a locked or half-made file
for who in a b; do
    (rc=0; wine_cmd "$PFX" "$WUSER" "$work/two-$who.out" "$work/two-$who.err" \
        "cd /d $(winpath "$work/cases") && set POLYCLINIC_NEW_PASSWORD=smoke-two-1&&" \
        "\"%LOCALAPPDATA%\\Programs\\Polyclinic\\polyclinic.exe\" --db two.sqlite users add admin-$who --full-name $who --role admin" \
        || rc=$?; echo $rc > "$work/two-$who.rc") &
done
wait
made=0
for who in a b; do
    if [ "$(cat "$work/two-$who.rc")" = 0 ]; then made=$((made + 1))
    elif ! grep -q "нужны --user" "$work/two-$who.err"; then cat "$work/two-$who.err" >&2; fail "concurrent users add $who"; fi
done
[ "$made" = 1 ] || fail "two processes at once: $made first administrators"
run "set POLYCLINIC_PASSWORD=smoke-two-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' --db two.sqlite \
    users list --user "admin-$(for w in a b; do [ "$(cat "$work/two-$w.rc")" = 0 ] && echo $w; done)" \
    || fail "users list on the registry two processes made"
echo "smoke_windows: two processes at once on one new registry file: one first administrator, the other refused cleanly"

# a registry on a network share (a UNC path) is refused; a mapped drive letter (DRIVE_REMOTE)
# cannot be made under Wine 8 here: the real-PC checklist has it (README, "Windows")
for db in '\\fileserver\polyclinic\registry.sqlite'; do
    if run "set POLYCLINIC_NEW_PASSWORD=smoke-net-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' --db "$db" users add net \
            --full-name Net --role admin; then
        fail "a registry at $db was accepted"
    fi
    grep -q "сетевом диске" "$work/err" || fail "refusing $db: $(cat "$work/err")"
done
echo "smoke_windows: a registry on a UNC path refused"
winchk keyring

# --- the desk (offscreen), Russian and Kazakh ---------------------------------------------------
# Wine has no font with Kazakh letters (a real Windows has Segoe UI): the app then shows its
# interface in the DejaVu Sans it ships (ensure_interface_font); nothing is copied into Wine
for lang in ru kk; do
    mkdir -p "$profile/AppData/Roaming/polyclinic"
    printf '[General]\r\nlanguage=%s\r\n' "$lang" > "$profile/AppData/Roaming/polyclinic/settings.ini"
    run "set POLYCLINIC_DB=%LOCALAPPDATA%\\polyclinic\\desk.sqlite&&" \
        "set POLYCLINIC_SCREENSHOT=$(winpath "$work/desk-$lang.png")&&" \
        'start "" /wait "%LOCALAPPDATA%\Programs\Polyclinic\polyclinic-gui.exe"' --exit-after-start || fail "polyclinic-gui.exe --exit-after-start ($lang) exited $?"
    [ -s "$work/desk-$lang.png" ] || fail "no screenshot of the desk ($lang)"
    cp "$work/desk-$lang.png" "docs/img/windows-desk-$lang.png"
done
echo "smoke_windows: polyclinic-gui.exe --exit-after-start exits 0 offscreen; docs/img/windows-desk-{ru,kk}.png"

# --- upgrade over the installed version, then uninstall: the data stay -------------------------
before=$(sha256sum "$data/registry.sqlite" | cut -d' ' -f1)
run 'start "" /wait' "$(winpath "$work/setup.exe")" /S || fail "the upgrade exited $?"
[ "$(sha256sum "$data/registry.sqlite" | cut -d' ' -f1)" = "$before" ] || fail "the upgrade changed the registry"
run "set POLYCLINIC_PASSWORD=smoke-admin-1&&" '"%LOCALAPPDATA%\Programs\Polyclinic\polyclinic.exe"' users list --user smoke \
    || fail "users list after the upgrade exited $?"
grep -q '"smoke"' "$work/out" || fail "the administrator is gone after the upgrade: $(cat "$work/out")"
echo "smoke_windows: upgrade over the installed version keeps the registry and its accounts"

kept=$(cd "$data" && find . | sort)
# _?=: the uninstaller runs in place and is waited for (else it runs from a copy in %TEMP%);
# so it cannot remove itself and its folder: that much it leaves, by NSIS's design
run 'start "" /wait "%LOCALAPPDATA%\Programs\Polyclinic\uninstall.exe"' '/S _?=%LOCALAPPDATA%\Programs\Polyclinic' \
    || fail "the uninstaller exited $?"
[ -e "$installed/polyclinic.exe" ] || [ -e "$installed/polyclinic-gui.exe" ] || [ -e "$installed/_internal" ] \
    && fail "uninstall left the program: $(ls "$installed")"
[ -e "$menu" ] && fail "uninstall left the Start-menu folder"
[ "$(cd "$data" && find . | sort)" = "$kept" ] || fail "uninstall changed the data folder: $(cd "$data" && find . | sort)"
[ -f "$profile/AppData/Roaming/polyclinic/settings.ini" ] || fail "uninstall removed the settings"
[ -s "$work/cases/backup.sqlite" ] || fail "uninstall removed the backup"
echo "smoke_windows: uninstall removed the program and its shortcuts; registry, backups, settings stay"
echo "smoke_windows: all ok in $(( $(date +%s) - started )) s"
