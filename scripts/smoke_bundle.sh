#!/usr/bin/env bash
# Smoke test of the built bundle, run from a folder outside the repository with a clean
# environment (no source tree on the path, no venv): decide an example case, print an estimate
# to a PDF, start the GUI offscreen with --exit-after-start.
#   scripts/smoke_bundle.sh [dist/polyclinic]
set -euo pipefail
cd "$(dirname "$0")/.."
dist=$(realpath "${1:-dist/polyclinic}")
[ -x "$dist/polyclinic" ] || { echo "smoke: no bundle at $dist (run: make bundle)" >&2; exit 1; }

work=$(mktemp -d /tmp/polyclinic-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$dist" "$work/app"
mkdir -p "$work/home"
python3 - "$work" <<'PY'
import json, sys
from pathlib import Path
work = Path(sys.argv[1])
for name in ("p05", "p01"):
    spec = json.loads(Path(f"tests/cases/{name}.json").read_text(encoding="utf-8"))
    (work / f"{name}.json").write_text(json.dumps(spec["case"], ensure_ascii=False), encoding="utf-8")
case = {**spec["case"], "referral": {"purpose": "diagnostics", "services": ["Рентгенография"]}}
(work / "p01r.json").write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
PY

run() { (cd "$work" && env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
         POLYCLINIC_DB="$work/home/registry.sqlite" "$@"); }

out=$(run ./app/polyclinic decide p05.json)
echo "$out" | grep -q '"category": "eaeu_worker"' || { echo "smoke: decide gave: $out" >&2; exit 1; }
echo "smoke: decide ok"

run env POLYCLINIC_NEW_PASSWORD=smoke-admin-1 ./app/polyclinic users add smoke --full-name Smoke --role admin >/dev/null
run env POLYCLINIC_PASSWORD=smoke-admin-1 ./app/polyclinic print estimate p05.json -o estimate.pdf --lang kk \
    --user smoke >/dev/null
head -c 5 "$work/estimate.pdf" | grep -q '%PDF-' || { echo "smoke: estimate.pdf is not a PDF" >&2; exit 1; }
echo "smoke: print estimate ok ($(stat -c %s "$work/estimate.pdf") bytes)"
for kind in slip:p01 refusal:p05 referral:p01r; do   # every document kind, both languages
    for lang in ru kk; do
        run env POLYCLINIC_PASSWORD=smoke-admin-1 ./app/polyclinic print "${kind%%:*}" "${kind##*:}.json" \
            -o "${kind%%:*}-$lang.pdf" --lang "$lang" --user smoke >/dev/null 2>"$work/print.err" \
            || { echo "smoke: print ${kind%%:*} --lang $lang failed: $(cat "$work/print.err")" >&2; exit 1; }
        head -c 5 "$work/${kind%%:*}-$lang.pdf" | grep -q '%PDF-' \
            || { echo "smoke: ${kind%%:*}-$lang.pdf is not a PDF" >&2; exit 1; }
    done
done
echo "smoke: print slip, refusal, referral (ru, kk) ok"

out=$(cd "$work" && { cat p05.json; echo; cat p01.json; echo; } | env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
      POLYCLINIC_DB="$work/home/registry.sqlite" ./app/polyclinic decide - --batch)
[ "$(echo "$out" | wc -l)" = 2 ] && echo "$out" | tail -1 | grep -q '"category": "citizen"' \
    || { echo "smoke: batch gave: $out" >&2; exit 1; }
echo "smoke: decide --batch from stdin ok"
gui=./app/polyclinic; [ -x "$work/app/polyclinic-gui" ] && gui=./app/polyclinic-gui
run timeout 60 "$gui" --exit-after-start
echo "smoke: --exit-after-start ok"
# every window once, signed in as the administrator made above (desktop/gui/tour.py): a Qt
# library, plugin or module left out of the bundle fails here; on X (Xvfb) when there is one,
# so that the xcb platform plugin and what it loads are exercised too
if command -v xvfb-run >/dev/null; then
    (cd "$work" && env -i HOME="$work/home" PATH=/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=xcb \
         POLYCLINIC_DB="$work/home/registry.sqlite" POLYCLINIC_TOUR=smoke \
         xvfb-run -a timeout 120 "$gui" --exit-after-start) >"$work/tour.out" 2>"$work/tour.err" \
        || { echo "smoke: the tour of every window failed: $(cat "$work/tour.err")" >&2; exit 1; }
else
    run env POLYCLINIC_TOUR=smoke timeout 120 "$gui" --exit-after-start >"$work/tour.out" 2>"$work/tour.err" \
        || { echo "smoke: the tour of every window failed: $(cat "$work/tour.err")" >&2; exit 1; }
fi
echo "smoke: every window opened ($(grep -c ' ok$' "$work/tour.out") in the tour)"
echo "smoke: bundle $(du -sh "$dist" | cut -f1) at $dist"
