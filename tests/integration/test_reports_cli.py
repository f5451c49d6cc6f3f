"""`polyclinic report`, end to end: cases imported and decided by the core, an estimate printed,
then each report as JSON, CSV, XLSX and PDF — the same columns and totals in each — with the
figures checked against counts made here from the imported cases' expected decisions."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
BOSS = {"POLYCLINIC_PASSWORD": "admin-pass-1"}
DESK = {"POLYCLINIC_PASSWORD": "desk-pass-1"}
TODAY = date.today().isoformat()


def run(args, db: Path, env_extra=None, binary=False):
    env = dict(os.environ, POLYCLINIC_DB=str(db), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True,
                          text=not binary, env=env, cwd=ROOT, timeout=180)


def cases():
    out = []
    for p in sorted(CASES.glob("p*.json")):
        item = json.loads(p.read_text(encoding="utf-8"))
        out.append(item["case"])
    return out


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    from desktop.store import open_registry

    tmp = tmp_path_factory.mktemp("reports")
    path = tmp / "registry.sqlite"
    now = datetime(2026, 11, 22, 8, 0)
    with open_registry(path, now=now) as reg:
        reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=now)
        reg.create_user("desk", "desk-pass-1", full_name="Регистратор", role="registrar", now=now,
                        actor="boss")
    lines = tmp / "cases.jsonl"
    lines.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in cases()), encoding="utf-8")
    p = run(["patients", "import", str(lines), "--user", "boss", "--on", TODAY], path, BOSS)
    assert p.returncode in (0, 2), p.stderr   # a few of the sample cases are invalid on purpose
    created = [json.loads(x) for x in p.stdout.splitlines()]
    assert sum(1 for x in created if x.get("status") == "created") >= 5
    case = tmp / "p05.json"
    case.write_text(json.dumps(cases()[4], ensure_ascii=False), encoding="utf-8")
    p = run(["print", "estimate", str(case), "-o", str(tmp / "est.pdf"), "--user", "desk",
             "--service", "CONS-SPEC=2", "--service", "LAB-CBC=3"], path, DESK)
    assert p.returncode == 0, p.stderr
    return path


def report(db, name, *extra, user="boss", fmt="json", out=None):
    env = BOSS if user == "boss" else DESK
    period = ["--on", TODAY] if name == "journal" else ["--from", TODAY, "--to", TODAY]
    args = ["report", name, *period, "--user", user, "--format", fmt, *extra]
    if out:
        args += ["-o", str(out)]
    return run(args, db, env)


def expected_decisions(db):
    """Independently: the stored decisions, straight from the decision table."""
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT category, attachment_status, decision_json FROM decision").fetchall()
    finally:
        con.close()


def test_list_and_names(db):
    from desktop.cli.reports import NAMES
    from desktop.store.reports import REPORTS

    assert tuple(REPORTS) == NAMES
    p = run(["report", "list"], db)
    assert p.returncode == 0, p.stderr
    listed = json.loads(p.stdout)
    assert [r["name"] for r in listed] == list(NAMES)
    assert {r["name"]: r["role"] for r in listed}["journal"] == "registrar"


def test_summary_json_counts(db):
    p = report(db, "summary")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert set(data) >= {"report", "params", "columns", "rows", "totals"}
    assert data["params"] == {"from": TODAY, "to": TODAY}
    stored = expected_decisions(db)
    expected = Counter((c, s) for c, s, _ in stored)
    got = Counter()
    for row in data["rows"]:
        for s in ("allowed", "needs_documents", "not_allowed"):
            if row[s]:
                got[(row["category"], s)] += row[s]
    assert got == expected and data["totals"]["total"] == len(stored) >= 5
    versions = {json.loads(j)["reference"]["version"] for _, _, j in stored}
    assert data["reference_versions"] == sorted(versions)


def test_permissions_and_audit(db):
    assert report(db, "summary", user="desk").returncode == 3
    assert report(db, "registrars", user="desk").returncode == 3
    journal = report(db, "journal", user="desk")
    assert journal.returncode == 0, journal.stderr
    rows = json.loads(journal.stdout)["rows"]
    assert len(rows) == len(expected_decisions(db))
    assert report(db, "lapsing", user="desk").returncode == 0
    bad = run(["report", "weekly", "--user", "boss"], db, BOSS)
    assert bad.returncode == 2 and "weekly" in json.loads(bad.stderr)["errors"][0]["message"]
    no_day = run(["report", "journal", "--user", "boss"], db, BOSS)
    assert no_day.returncode == 2 and json.loads(no_day.stderr)["errors"][0]["field"] == "--on"
    from desktop.store import open_registry

    with open_registry(db, now=datetime.now().astimezone()) as reg:
        entries = reg.audit_entries(action="report")
    objects = [e.object for e in entries]
    assert {e.user for e in entries if e.object == "report:journal"} >= {"desk"}
    assert json.loads(entries[0].details)["params"]
    assert "report:journal" in objects and "report:lapsing" in objects
    assert "report:summary" in objects


def test_paid_services_from_the_printed_estimate(db):
    data = json.loads(report(db, "paid-services").stdout)
    by_code = {r["code"]: r for r in data["rows"]}
    assert by_code["CONS-SPEC"]["quantity"] == "2.00" and by_code["CONS-SPEC"]["amount"] == "17000.00"
    assert by_code["LAB-CBC"]["amount"] == "5400.00"
    assert data["totals"]["amount"] == "22400.00" and data["totals"]["estimates"] == 1


def labeller(db, data):
    """The names the renderers must show for the JSON's codes (the same reference data)."""
    from desktop.cli.common import bundled_reference
    from desktop.core.refinstall import ensure_reference
    from desktop.services import report_labels

    return report_labels(ensure_reference(db, bundled_reference()), data)


@pytest.mark.parametrize("name", ["summary", "journal", "paid-services", "registrars", "lapsing"])
def test_csv_xlsx_pdf_match_the_json(db, tmp_path, name):
    data = json.loads(report(db, name).stdout)
    out = {fmt: tmp_path / f"{name}.{fmt}" for fmt in ("csv", "xlsx", "pdf")}
    for fmt, path in out.items():
        p = report(db, name, fmt=fmt, out=path)
        assert p.returncode == 0, p.stderr
    # CSV: after the four heading lines, each section: title, headings, rows, totals
    lines = list(csv.reader(io.StringIO(out["csv"].read_text(encoding="utf-8-sig"))))
    assert lines[0] == [data["title"]["ru"]]
    wb = load_workbook(out["xlsx"])
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(out["pdf"]).pages)
    assert data["title"]["ru"] in pdf_text
    label = labeller(db, data)
    at = 4
    for section, sheet in zip(data["sections"], wb.worksheets):
        while lines[at] == []:
            at += 1
        assert lines[at] == [section["title"]["ru"]]
        headings = [c["ru"] for c in section["columns"]]
        assert lines[at + 1] == headings
        xl_rows = list(sheet.iter_rows(values_only=True))
        head_at = next(i for i, r in enumerate(xl_rows) if list(r[:len(headings)]) == headings)
        for i, row in enumerate(section["rows"]):
            csv_line = lines[at + 2 + i]
            xl = xl_rows[head_at + 1 + i]
            for j, col in enumerate(section["columns"]):
                value = row[col["key"]]
                if col["type"] == "int":
                    assert int(csv_line[j]) == value and xl[j] == value and isinstance(xl[j], int)
                elif col["type"] == "money":
                    assert csv_line[j] == value and abs(xl[j] - float(value)) < 1e-9
                elif col["type"] == "date":
                    assert csv_line[j] == value and xl[j].date().isoformat() == value
                elif col["type"] == "datetime":
                    assert csv_line[j] == datetime.fromisoformat(value).isoformat(sep=" ", timespec="minutes")
                    assert xl[j] == datetime.fromisoformat(value).replace(tzinfo=None)
                else:  # text: the same cell in CSV and XLSX, the code's name for people
                    shown = label(section["key"], col["key"], value, "ru")
                    assert csv_line[j] == ("" if shown is None else str(shown))
                    assert (xl[j] or "") == csv_line[j]
        n = len(section["rows"])
        measures = [c for c in section["columns"] if c["key"] in section["totals"]]
        if measures and len(section["columns"]) > len(section["totals"]):
            total_line = lines[at + 2 + n]
            assert total_line[0] == "Итого"
            for j, col in enumerate(section["columns"]):
                if col["key"] in section["totals"]:
                    assert total_line[j] == str(section["totals"][col["key"]])
                    xl_total = xl_rows[head_at + 1 + n][j]
                    assert float(xl_total) == float(section["totals"][col["key"]])
            at += 3 + n
        else:  # a listing: the totals as "Итого: heading", value
            at += 2 + n
            for key, value in section["totals"].items():
                assert lines[at][1] == str(value)
                at += 1
        assert section["title"]["ru"] in pdf_text
        for key, value in section["totals"].items():
            if isinstance(value, int) and value > 999:
                continue
            assert str(value).replace(".", ",") in pdf_text.replace(".", ",") or \
                f"{float(value):,.2f}".replace(",", " ").replace(".", ",") in pdf_text.replace(".", ",")
