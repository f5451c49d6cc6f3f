"""The command line of interface.md, run as a real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"


def run(args, tmp_path, stdin=None):
    env = dict(os.environ, POLYCLINIC_DB=str(tmp_path / "registry.sqlite"))
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def case_file(tmp_path, name) -> Path:
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))["case"],
                            ensure_ascii=False), encoding="utf-8")
    return p


def test_decide_prints_the_decision(tmp_path):
    """`decide CASE.json` prints the decision JSON and exits 0."""
    p = run(["decide", str(case_file(tmp_path, "p04"))], tmp_path)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["category"] == "eaeu_worker" and d["attachment"]["until"] == "2027-03-31"


def test_decide_reads_stdin_and_speaks_kazakh(tmp_path):
    """`-` reads standard input; --lang kk gives the explanation in Kazakh."""
    text = case_file(tmp_path, "p06").read_text(encoding="utf-8")
    p = run(["decide", "-", "--lang", "kk"], tmp_path, stdin=text)
    assert p.returncode == 0
    assert "санаты" in " ".join(json.loads(p.stdout)["explanation"])


def test_decide_on_date(tmp_path):
    """--on sets the decision date."""
    p = run(["decide", str(case_file(tmp_path, "p10")), "--on", "2027-01-01"], tmp_path)
    d = json.loads(p.stdout)
    assert d["as_of"] == "2027-01-01" and d["osms"]["insured"] is False


def test_invalid_case_exits_2_with_error_list(tmp_path):
    """An invalid case exits 2, prints the JSON error list on stderr, and nothing on stdout."""
    p = run(["decide", str(case_file(tmp_path, "p11"))], tmp_path)
    assert p.returncode == 2 and p.stdout == ""
    assert json.loads(p.stderr)["errors"][0]["field"] == "person.iin"
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("content", ["{not json", "", "[1, 2]", "\xff\xfe"])
def test_garbage_input_is_an_input_error(tmp_path, content):
    """Broken JSON is an input error with exit 2, never a traceback."""
    f = tmp_path / "bad.json"
    f.write_text(content, encoding="utf-8")
    p = run(["decide", str(f)], tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert json.loads(p.stderr)["errors"]


def test_missing_file_is_an_input_error(tmp_path):
    """A case file that does not exist is named in the error."""
    p = run(["decide", str(tmp_path / "none.json")], tmp_path)
    assert p.returncode == 2 and "none.json" in p.stderr


def test_batch_keeps_order_and_marks_bad_lines(tmp_path):
    """--batch answers one line per case in order; a bad line gets its errors in place and exit 2."""
    lines = [json.loads((CASES / f"{n}.json").read_text(encoding="utf-8"))["case"] for n in ("p01", "p11", "p06")]
    text = "\n".join(json.dumps(c, ensure_ascii=False) for c in lines) + "\n"
    p = run(["decide", "-", "--batch"], tmp_path, stdin=text)
    out = [json.loads(x) for x in p.stdout.splitlines()]
    assert [o.get("category") for o in out] == ["citizen", None, "eaeu_visitor"]
    assert out[1]["errors"][0]["field"] == "person.iin" and out[1]["errors"][0]["line"] == 2
    assert p.returncode == 2


def test_prices_lists_the_price_list_in_force(tmp_path):
    """`prices --on` prints code, names, price and unit for that date."""
    p = run(["prices", "--on", "2025-06-01"], tmp_path)
    items = {i["code"]: i for i in json.loads(p.stdout)}
    assert items["RAD-FLG"]["price"] == "2200" and set(items["RAD-FLG"]) >= {"code", "name_ru", "name_kk", "price", "unit"}
    assert "CONS-SPEC" not in items


def test_decide_does_not_import_qt_or_sqlalchemy(tmp_path):
    """The decide command stays headless and light: no Qt, no SQLAlchemy, no reportlab."""
    code = ("import sys, runpy; sys.argv=['polyclinic','decide',%r]; "
            "from desktop.cli import main; rc=main(); "
            "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','sqlalchemy','sqlmodel','reportlab')]; "
            "print('BAD', bad, file=sys.stderr); sys.exit(rc)") % str(case_file(tmp_path, "p01"))
    env = dict(os.environ, POLYCLINIC_DB=str(tmp_path / "registry.sqlite"))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "BAD []" in p.stderr


def test_refdata_installed_beside_the_database(tmp_path):
    """The first decision installs the bundled release beside the database and names it active."""
    run(["decide", str(case_file(tmp_path, "p01"))], tmp_path)
    p = run(["refdata", "list"], tmp_path)
    rel = json.loads(p.stdout)
    assert len(rel) == 1 and rel[0]["active"] is True
