"""`polyclinic decide` and `decide --batch` (issue 18, items 6 and 7: the command line built
lazily, per command) give exactly the core's decisions on every example case: the batch's line
for a case is the one decision of that case, byte for byte the JSON of
`desktop.core.api.decide_data` in force for the registry, in Russian and in Kazakh."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from argparse import Namespace
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = [ROOT.parent / "shared" / "cases", ROOT / "tests" / "cases"]


def _cases() -> list[dict]:
    cases = []
    for folder in FOLDERS:
        for path in sorted(folder.glob("p*.json")):
            cases.append(json.loads(path.read_text(encoding="utf-8"))["case"])
    return cases


def _cli(args, db: Path, stdin: bytes | None = None):
    env = dict(os.environ, POLYCLINIC_DB=str(db))
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin, capture_output=True,
                          env=env, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_batch_and_single_decisions_are_the_cores(tmp_path, lang):
    from desktop.cli import common
    from desktop.cli.decide import _LINE_BREAKS
    from desktop.core.api import decide_data
    from desktop.core.case import CaseError

    cases = _cases()
    assert len(cases) >= 16
    db = tmp_path / "registry.sqlite"
    batch = b"".join(json.dumps(c, ensure_ascii=False).encode("utf-8") + b"\n" for c in cases)
    out = _cli(["decide", "-", "--batch", "--lang", lang], db, stdin=batch)
    assert out.returncode in (0, 2), out.stderr
    lines = out.stdout.decode("utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == len(cases) + 1
    ref = common.load_ref(Namespace(db=str(db)))   # the release the command line decided with
    today = date.today()
    encode = json.JSONEncoder(ensure_ascii=False).encode
    decided = 0
    for n, (case, line) in enumerate(zip(cases, lines), 1):
        try:
            expected = decide_data(case, ref, default_date=today, lang=lang).to_dict()
        except CaseError as e:
            assert json.loads(line) == {"errors": [{**err, "line": n} for err in e.errors]}
            continue
        text = encode(expected)
        for ch, esc in _LINE_BREAKS.items():
            text = text.replace(ch, esc)
        assert line == text, f"line {n}"
        decided += 1
    assert decided >= 12
    for i in (0, len(cases) // 2, len(cases) - 1):   # one decision alone: the same decision
        one = tmp_path / "one.json"
        one.write_text(json.dumps(cases[i], ensure_ascii=False), encoding="utf-8")
        single = _cli(["decide", str(one), "--lang", lang], db)
        if single.returncode == 0:
            assert json.loads(single.stdout) == json.loads(lines[i])
        else:
            assert single.returncode == 2 and "errors" in json.loads(lines[i])
