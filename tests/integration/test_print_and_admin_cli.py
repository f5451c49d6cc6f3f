"""`polyclinic print`, `prices` and the administrator's reference-data commands, end to end."""
from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from cli_helpers import case_file, run_cli
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"


DESK = {"POLYCLINIC_PASSWORD": "desk-pass-1"}


def run(args, db: Path, stdin=None, env_extra=None):
    """Run the CLI; `print` signs in as the registrar "desk" unless the test gives --user."""
    if args and args[0] == "print" and "--user" not in args:
        args, env_extra = [*args, "--user", "desk"], {**DESK, **(env_extra or {})}
    return run_cli(args, db, stdin, env_extra)


def text(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.fixture
def db(tmp_path) -> Path:
    """A registry with the administrator "boss" and the registrar "desk"."""
    from desktop.store import open_registry

    path = tmp_path / "registry.sqlite"
    now = datetime(2026, 11, 22, 8, 0)
    with open_registry(path, now=now) as reg:
        reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=now)
        reg.create_user("desk", "desk-pass-1", full_name="Регистратор", role="registrar", now=now,
                        actor="boss")
    return path


def test_estimate_prefills_the_immigrant_exam(tmp_path, db):
    """An estimate for a worker without the HIV/TB certificate lists the R665 p.13 exam and its exact total."""
    out = tmp_path / "est.pdf"
    p = run(["print", "estimate", str(case_file(tmp_path, "p05")), "-o", str(out)], db)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["number"] == "2026-000001"
    t = text(out)
    for code in ("RAD-FLG", "LAB-HIV", "LAB-TPHA"):
        assert code in t
    assert "8 500,00" in t  # 2 500 + 3 200 + 2 800


def test_estimate_with_services_and_quantities(tmp_path, db):
    """--service CODE=QTY lines are priced from the clinic's list and summed exactly."""
    out = tmp_path / "est.pdf"
    p = run(["print", "estimate", str(case_file(tmp_path, "p07")), "-o", str(out),
             "--service", "CONS-SPEC=2", "--service", "LAB-CBC=3"], db)
    assert p.returncode == 0, p.stderr
    assert "22 400,00" in text(out)  # 2 x 8 500 + 3 x 1 800


def test_numbers_never_repeat(tmp_path, db):
    """Each printed document takes the next number of the year."""
    nums = []
    for kind, case in (("refusal", "p06"), ("slip", "p01"), ("refusal", "p05")):
        p = run(["print", kind, str(case_file(tmp_path, case)), "-o", str(tmp_path / f"{kind}.pdf")], db)
        assert p.returncode == 0, p.stderr
        nums.append(json.loads(p.stdout)["number"])
    assert nums == ["2026-000001", "2026-000002", "2026-000003"]


def test_refused_print_spends_no_number(tmp_path, db):
    """A slip for a patient who may not attach is refused (exit 2) and no number is used."""
    p = run(["print", "slip", str(case_file(tmp_path, "p06")), "-o", str(tmp_path / "x.pdf")], db)
    assert p.returncode == 2 and json.loads(p.stderr)["errors"][0]["field"] == "KIND"
    assert not (tmp_path / "x.pdf").exists()
    p = run(["print", "refusal", str(case_file(tmp_path, "p06")), "-o", str(tmp_path / "r.pdf")], db)
    assert json.loads(p.stdout)["number"] == "2026-000001"


@pytest.mark.parametrize("spec", ["NOPE=1", "CONS-GP=0", "CONS-GP=-1", "CONS-GP=two"])
def test_bad_service_is_named(tmp_path, db, spec):
    """A wrong --service is an input error on --service."""
    p = run(["print", "estimate", str(case_file(tmp_path, "p07")), "-o", str(tmp_path / "e.pdf"), "--service", spec], db)
    assert p.returncode == 2 and json.loads(p.stderr)["errors"][0]["field"] == "--service"


def test_invalid_case_is_not_printed(tmp_path, db):
    """An invalid case gives the error list and no document."""
    p = run(["print", "refusal", str(case_file(tmp_path, "p11")), "-o", str(tmp_path / "r.pdf")], db)
    assert p.returncode == 2 and json.loads(p.stderr)["errors"][0]["field"] == "person.iin"


def test_kazakh_refusal_and_stored_bytes(tmp_path, db):
    """A Kazakh refusal prints Kazakh letters, and the registry keeps the exact bytes."""
    out = tmp_path / "r.pdf"
    p = run(["print", "refusal", str(case_file(tmp_path, "p05")), "-o", str(out), "--lang", "kk"], db)
    assert p.returncode == 0, p.stderr
    assert "Ерікті медициналық сақтандыру" in text(out)
    from desktop.store import open_registry

    with open_registry(db, now=datetime(2026, 11, 22, 12, 0)) as reg:
        assert reg.get_printed(json.loads(p.stdout)["number"]).pdf == out.read_bytes()


def test_prices_come_from_the_clinic_list(tmp_path, db):
    """`prices` lists the clinic's own list, seeded from the reference data on first start."""
    from desktop.store import open_registry

    p = run(["prices", "--on", "2026-06-01"], db)
    before = {i["code"]: i["price"] for i in json.loads(p.stdout)}
    assert before["CONS-GP"] == "6000"
    with open_registry(db, now=datetime(2026, 11, 22, 12, 0)) as reg:
        reg.create_user("admin", "s3cret-pass", full_name="Админ", role="admin", now=datetime(2026, 11, 22, 12, 0),
                        actor="boss")
        reg.set_price("CONS-GP", price="6500", valid_from=datetime(2026, 7, 1).date(), actor="admin",
                      now=datetime(2026, 11, 22, 12, 0))
    after = {i["code"]: i["price"] for i in json.loads(run(["prices", "--on", "2026-07-01"], db).stdout)}
    old = {i["code"]: i["price"] for i in json.loads(run(["prices", "--on", "2026-06-30"], db).stdout)}
    assert after["CONS-GP"] == "6500" and old["CONS-GP"] == "6000"


@pytest.fixture
def accounts(tmp_path, db):
    pw = tmp_path / "pw"
    pw.write_text("admin-pass-1\n")
    env2 = {"POLYCLINIC_NEW_PASSWORD": "registrar-pass-1"}
    r = run(["users", "add", "reg", "--full-name", "Регистратор", "--role", "registrar", "--user", "boss",
             "--password-file", str(pw)], db, env_extra=env2)
    assert r.returncode == 0, r.stderr
    rpw = tmp_path / "rpw"
    rpw.write_text("registrar-pass-1\n")
    return {"admin": pw, "registrar": rpw}


def test_admin_imports_a_signed_package(tmp_path, db, accounts):
    """An administrator imports a newer package signed with the trusted key; it becomes active,
    the same package again is refused as already in force, and rollback returns the old release."""
    from release_helpers import newer_sources

    src = newer_sources(tmp_path / "sources", "2026-12-20")
    pkg = tmp_path / "update.zip"
    b = run(["refdata", "build", "--sources", str(src), "--out", str(tmp_path / "ref.sqlite"), "--package", str(pkg)], db)
    assert b.returncode == 0, b.stderr
    cred = ["--user", "boss", "--password-file", str(accounts["admin"])]
    p = run(["refdata", "import", str(pkg)] + cred, db)
    assert p.returncode == 0, p.stderr
    new = json.loads(p.stdout)["version"]
    assert new.startswith("2026-12-20-")
    active = [r for r in json.loads(run(["refdata", "list"], db).stdout) if r["active"]]
    assert [r["version"] for r in active] == [new]
    again = run(["refdata", "import", str(pkg)] + cred, db)
    assert again.returncode == 2 and json.loads(again.stderr)["errors"][0]["reason"] == "same"
    decided = json.loads(run(["decide", str(case_file(tmp_path, "p01"))], db).stdout)
    assert decided["reference"]["version"] == new
    back = run(["refdata", "rollback"] + cred, db)
    assert back.returncode == 0 and json.loads(back.stdout)["previous"] == new


def test_registrar_cannot_change_reference_data(tmp_path, db, accounts):
    """A registrar is refused (exit 3) when importing reference data or rolling back."""
    pkg = tmp_path / "update.zip"
    run(["refdata", "build", "--out", str(tmp_path / "ref.sqlite"), "--package", str(pkg)], db)
    for args in (["refdata", "import", str(pkg)], ["refdata", "rollback"]):
        p = run(args + ["--user", "reg", "--password-file", str(accounts["registrar"])], db)
        assert p.returncode == 3, p.stderr


def test_registrar_cannot_back_up_or_add_users(tmp_path, db, accounts):
    """A registrar is refused backups and account changes from the command line."""
    cred = ["--user", "reg", "--password-file", str(accounts["registrar"])]
    assert run(["backup", str(tmp_path / "b.sqlite")] + cred, db).returncode == 3
    assert run(["users", "add", "x", "--full-name", "X"] + cred, db,
               env_extra={"POLYCLINIC_NEW_PASSWORD": "xxxxxxxx1"}).returncode == 3


def test_recheck_lists_patients_whose_decision_changed(tmp_path, db):
    """After time passes (or reference data changes) the re-check names patients whose decision differs."""
    from desktop.core.api import decide_data
    from desktop.core.refdata import load_reference
    from desktop.core.refinstall import active_path
    from desktop.store import open_registry

    run(["decide", str(case_file(tmp_path, "p01"))], db)  # installs the reference data
    ref = load_reference(active_path(db))
    now = datetime(2026, 11, 22, 12, 0)
    worker = json.loads((CASES / "p04.json").read_text(encoding="utf-8"))["case"]
    citizen = json.loads((CASES / "p01.json").read_text(encoding="utf-8"))["case"]
    with open_registry(db, now=now) as reg:
        for case in (worker, citizen):
            pid = reg.save_patient(case, user="reg", now=now)
            reg.record_decision(pid, decide_data(case, ref, default_date=now.date()).to_dict(), user="reg", now=now)
    p = run(["recheck", "--on", "2027-04-01"], db)  # the worker's ДМС and contract end on 2027-03-31
    changed = json.loads(p.stdout)["changed"]
    assert len(changed) == 1
    assert changed[0]["changes"]["category"] == ["eaeu_worker", "eaeu_visitor"]
    assert json.loads(run(["recheck", "--on", "2026-11-22"], db).stdout)["changed"] == []
