"""`polyclinic decide --batch` gives, byte for byte, the output recorded in
tests/fixtures/batch-golden.jsonl.gz (issue 18 part B, item 7: the per-case path made faster
must not change a byte). The file was written BEFORE that work, by this module:

    .venv/bin/python tests/core/test_batch_golden.py --write

The batch is every example case (tests/cases and /work/shared/cases, when present) as given and
moved to three other decision dates (so that caches kept per date inside one batch are
exercised by several dates in one run), in Russian and in Kazakh, on the bundled reference
data. A change of the rules or of the reference data changes the output: then regenerate the
file and say so in the commit.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "fixtures" / "batch-golden.jsonl.gz"
# the repository's copies of the example cases (tests/cases holds every case of ../shared/cases,
# byte for byte): a clone elsewhere — CI's — has no ../shared beside it
FOLDERS = [ROOT / "tests" / "cases"]
DATES = (None, "2025-03-01", "2026-01-31", "2027-06-30")


def batch_input() -> bytes:
    cases = []
    for folder in FOLDERS:
        for path in sorted(folder.glob("p*.json")):
            cases.append(json.loads(path.read_text(encoding="utf-8"))["case"])
    lines = []
    for on in DATES:
        for c in cases:
            c = dict(c) if on is None else {**c, "as_of": on}
            lines.append(json.dumps(c, ensure_ascii=False).encode("utf-8"))
    return b"\n".join(lines) + b"\n"


def run_batch(db: Path, lang: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, POLYCLINIC_DB=str(db))
    return subprocess.run([sys.executable, "-m", "desktop", "decide", "-", "--batch", "--lang", lang],
                          input=batch_input(), capture_output=True, env=env, cwd=ROOT, timeout=300)


def golden_output(db: Path) -> bytes:
    out = b""
    for lang in ("ru", "kk"):
        p = run_batch(db, lang)
        assert p.returncode in (0, 2), p.stderr   # the example set holds one invalid case
        out += p.stdout
    return out


@pytest.mark.skipif(not GOLDEN.is_file(), reason="no golden file")
def test_batch_output_is_the_golden_one(tmp_path):
    expected = gzip.decompress(GOLDEN.read_bytes())
    got = golden_output(tmp_path / "registry.sqlite")
    n = batch_input().count(b"\n")
    assert got.count(b"\n") == 2 * n
    if got != expected:   # name the first line that differs
        for i, (a, b) in enumerate(zip(got.split(b"\n"), expected.split(b"\n")), 1):
            assert a == b, f"line {i} differs"
        assert got == expected


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = golden_output(Path(tmp) / "registry.sqlite")
    GOLDEN.write_bytes(gzip.compress(data, mtime=0))
    print(GOLDEN, data.count(b"\n"), "lines,", len(data), "bytes")
