"""The registry commands of the command line (backup, restore, users, audit, export…), run
in-process through desktop.cli.main."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import cli
from desktop.store import open_registry

from .support import NOW, make_case, make_decision

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def accounts(db_path, tmp_path):
    with open_registry(db_path, now=NOW) as registry:
        registry.create_user("admin", "admin-pass-1", full_name="A", role="admin", now=NOW)
        registry.create_user("reg", "reg-pass-01", full_name="R", role="registrar", now=NOW,
                             actor="admin")
        pid = registry.save_patient(make_case(documents=[
            {"kind": "dms_contract", "valid_until": "2026-12-01"}]), user="reg", now=NOW)
        registry.record_decision(pid, make_decision(), user="reg", now=NOW)
    (tmp_path / "admin.pw").write_text("admin-pass-1\n")
    (tmp_path / "reg.pw").write_text("reg-pass-01\n")
    return tmp_path


def _run(argv, db_path, capsys):
    code = cli.main(["--db", str(db_path), *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return code, out, err


def _as(user, folder):
    return ["--user", user, "--password-file", folder / f"{user}.pw"]


def test_module_imports_only_the_standard_library():
    """Importing the command line loads neither SQLAlchemy, SQLModel nor Alembic."""
    code = ("import sys, desktop.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'sqlalchemy', 'sqlmodel', 'alembic', 'pydantic'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("argv", [
    ["backup", "OUT"], ["export", "--csv", "c.csv", "--json", "j.json"], ["users", "list"],
    ["audit"], ["users", "add", "x", "--full-name", "X"]])
def test_registrar_is_refused_with_exit_code_3(accounts, db_path, capsys, argv):
    """Administrator commands run by a registrar exit with 3 and say why."""
    argv = [accounts / a if a in ("OUT", "c.csv", "j.json") else a for a in argv]
    code, out, err = _run(argv + _as("reg", accounts), db_path, capsys)
    assert (code, out) == (3, "") and "administrator" in err


def test_wrong_password_is_refused_with_exit_code_3(accounts, db_path, capsys):
    """A wrong password exits with 3."""
    (accounts / "bad.pw").write_text("guess")
    code, _, err = _run(["users", "list", "--user", "admin", "--password-file",
                         accounts / "bad.pw"], db_path, capsys)
    assert code == 3 and "wrong login or password" in err


def test_password_may_come_from_the_environment(accounts, db_path, capsys, monkeypatch):
    """POLYCLINIC_PASSWORD stands in for --password-file."""
    monkeypatch.setenv("POLYCLINIC_PASSWORD", "admin-pass-1")
    code, out, _ = _run(["users", "list", "--user", "admin"], db_path, capsys)
    assert code == 0 and [u["login"] for u in json.loads(out)] == ["admin", "reg"]


def test_backup_then_restore(accounts, db_path, capsys):
    """An administrator backs up and restores from the command line."""
    out_file = accounts / "copy.sqlite"
    assert _run(["backup", out_file] + _as("admin", accounts), db_path, capsys)[0] == 0
    code, out, _ = _run(["restore", out_file] + _as("admin", accounts), db_path, capsys)
    assert code == 0 and json.loads(out)["previous_kept_as"]


def test_restore_over_a_damaged_registry_checks_the_backups_admin(accounts, db_path, capsys):
    """With the registry damaged, the backup's own administrator may restore it."""
    out_file = accounts / "copy.sqlite"
    _run(["backup", out_file] + _as("admin", accounts), db_path, capsys)
    db_path.write_text("garbage")
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    assert _run(["restore", out_file] + _as("reg", accounts), db_path, capsys)[0] == 3
    assert _run(["restore", out_file] + _as("admin", accounts), db_path, capsys)[0] == 0


def test_worklist_prints_json(accounts, db_path, capsys):
    """worklist lists the patients whose basis ends in the window, as JSON."""
    code, out, _ = _run(["worklist", "--days", "30", "--on", "2026-11-22"] + _as("reg", accounts),
                        db_path, capsys)
    assert code == 0 and [i["ends"] for i in json.loads(out)] == ["dms_contract"]


def test_export_prints_the_count(accounts, db_path, capsys):
    """export writes the files and prints how many attachments went out."""
    code, out, _ = _run(["export", "--csv", accounts / "e.csv", "--json", accounts / "e.json"]
                        + _as("admin", accounts), db_path, capsys)
    assert code == 0 and json.loads(out)["count"] == 1


def test_first_admin_needs_no_credentials(db_path, tmp_path, capsys):
    """On a new registry, the first administrator is created without signing in."""
    (tmp_path / "new.pw").write_text("first-pass-1")
    code, out, _ = _run(["users", "add", "boss", "--full-name", "Главврач", "--role", "admin",
                         "--new-password-file", tmp_path / "new.pw"], db_path, capsys)
    assert code == 0 and json.loads(out)["role"] == "admin"


def test_audit_exports_csv(accounts, db_path, capsys):
    """audit --csv writes the log to a file."""
    code, out, _ = _run(["audit", "--csv", accounts / "audit.csv"] + _as("admin", accounts),
                        db_path, capsys)
    assert code == 0 and (accounts / "audit.csv").stat().st_size > 0


def test_damaged_registry_is_a_message_not_a_traceback(db_path, tmp_path, capsys):
    """A damaged registry file exits with 1 and a bilingual message naming the file."""
    db_path.write_text("not a database")
    (tmp_path / "x.pw").write_text("x")
    code, _, err = _run(["users", "list", "--user", "x", "--password-file", tmp_path / "x.pw"],
                        db_path, capsys)
    assert code == 1 and str(db_path) in err and "SQLite" in err
