"""The command line on damaged registries, signed-in printing, restore then print, encrypted
backups, the numbers and audit checks, and private files — on real files."""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest
from cli_helpers import case_file, run_cli

from desktop import cli

ROOT = Path(__file__).resolve().parents[2]
CASES = ROOT / "tests" / "cases"
NOW = datetime(2026, 11, 22, 9, 0)


def run(args, db: Path, env_extra=None):
    return run_cli(args, db, env_extra=env_extra)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def good_registry(tmp_path_factory) -> Path:
    """A registry with rows in every table, made through the store."""
    from desktop.store import open_registry

    db = tmp_path_factory.mktemp("good") / "registry.sqlite"
    with open_registry(db, now=NOW) as reg:
        reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=NOW)
        reg.seed_prices([{"code": "X", "name_ru": "Икс", "price": "10", "valid_from": "2026-01-01"}], now=NOW)
        reg.set_settings({"clinic.name": "Поликлиника"}, actor="boss", now=NOW)
        for n in range(40):
            pid = reg.save_patient({"person": {"surname": f"Пациент{n}", "citizenship": "KZ"},
                                    "documents": [{"kind": "dms_contract", "number": f"D{n}",
                                                   "valid_until": "2026-12-01"}]}, user="boss", now=NOW)
            reg.record_decision(pid, {"as_of": "2026-11-22", "category": "citizen",
                                      "attachment": {"status": "allowed"}}, user="boss", now=NOW)
        n = reg.reserve_document_number(2026, NOW, kind="slip", user="boss")
        reg.store_printed(n, "slip", b"%PDF-1.4", lang="ru", user="boss", now=NOW, patient_id=1)
        reg.export_attachments(db.parent / "x.csv", db.parent / "x.json", now=NOW, user="boss")
    return db


def _damaged_variants(good: Path, folder: Path) -> dict[str, Path]:
    out = {}
    zero = folder / "zero" / "registry.sqlite"
    zero.parent.mkdir()
    zero.write_bytes(b"")
    out["zero-byte"] = zero
    data = good.read_bytes()
    cut = folder / "truncated" / "registry.sqlite"
    cut.parent.mkdir()
    cut.write_bytes(data[: len(data) // 3])
    out["truncated"] = cut
    foreign = folder / "foreign" / "registry.sqlite"
    foreign.parent.mkdir()
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE notes (x)")
    con.commit()
    con.close()
    out["foreign"] = foreign
    con = sqlite3.connect(good)
    tables = dict(con.execute("SELECT name, rootpage FROM sqlite_master WHERE type='table' "
                              "AND name NOT LIKE 'sqlite_%'"))
    page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    for name, root in tables.items():
        path = folder / f"page-{name}" / "registry.sqlite"
        path.parent.mkdir()
        damaged = bytearray(data)
        damaged[(root - 1) * page_size: root * page_size] = bytes((i * 31 + 7) % 256 for i in range(page_size))
        path.write_bytes(bytes(damaged))
        out[f"page:{name}"] = path
    return out


COMMANDS = [
    ["worklist", "--user", "boss"], ["export", "--csv", "{d}/e.csv", "--json", "{d}/e.json", "--user", "boss"],
    ["audit", "--user", "boss"], ["audit", "verify", "--user", "boss"], ["recheck"], ["prices"],
    ["backup", "{d}/b.sqlite", "--user", "boss"], ["print", "refusal", "{case}", "-o", "{d}/r.pdf", "--user", "boss"],
    ["numbers", "void-list", "--user", "boss"], ["users", "list", "--user", "boss"],
]


def test_every_command_on_every_damaged_registry_gives_the_message_and_writes_nothing(
        tmp_path, good_registry, capsys, monkeypatch):
    """Zero-byte, truncated, foreign and one-damaged-page (each table) registries: every command
    exits 1 with the damaged-registry message, no traceback, and the file is unchanged."""
    monkeypatch.setenv("POLYCLINIC_PASSWORD", "admin-pass-1")
    case = case_file(tmp_path, "p06")
    variants = _damaged_variants(good_registry, tmp_path)
    assert len(variants) >= 16
    runs = 0
    for label, db in variants.items():
        before = _sha(db)
        for command in COMMANDS:
            args = [a.format(d=db.parent, case=case) for a in command]
            code = cli.main(["--db", str(db), *args])
            err = capsys.readouterr().err
            runs += 1
            assert code == 1, (label, args, err)
            assert "Traceback" not in err and ("damaged" in err or "not a registry" in err
                                               or "empty" in err or "truncated" in err
                                               or "integrity" in err or "not an SQLite" in err), (label, args, err)
            assert _sha(db) == before, (label, args)
            assert not (db.parent / "r.pdf").exists() and not (db.parent / "b.sqlite").exists()
    assert runs == len(variants) * len(COMMANDS)


def test_damaged_registry_in_a_real_process_gives_no_traceback(tmp_path, good_registry):
    """The same through a real process: `print` on a damaged registry exits 1, no traceback."""
    variants = _damaged_variants(good_registry, tmp_path)
    db = variants["page:printed_document"]
    p = run(["print", "refusal", str(case_file(tmp_path, "p06")), "-o", str(tmp_path / "r.pdf"),
             "--user", "boss"], db, {"POLYCLINIC_PASSWORD": "admin-pass-1"})
    assert p.returncode == 1 and "Traceback" not in p.stderr and "damaged" in p.stderr


@pytest.fixture
def desk(tmp_path) -> Path:
    from desktop.store import open_registry

    db = tmp_path / "data" / "registry.sqlite"
    with open_registry(db, now=NOW) as reg:
        reg.create_user("boss", "admin-pass-1", full_name="Главный", role="admin", now=NOW)
        reg.create_user("desk", "desk-pass-1", full_name="Регистратор", role="registrar", now=NOW, actor="boss")
    return db


ADMIN = {"POLYCLINIC_PASSWORD": "admin-pass-1"}
DESK = {"POLYCLINIC_PASSWORD": "desk-pass-1"}


def test_print_needs_a_signed_in_user(tmp_path, desk):
    """`print` without credentials, or with a wrong password, exits 3 and takes no number."""
    case = str(case_file(tmp_path, "p06"))
    out = str(tmp_path / "r.pdf")
    assert run(["print", "refusal", case, "-o", out], desk).returncode == 3
    assert run(["print", "refusal", case, "-o", out, "--user", "desk"], desk).returncode == 3
    assert run(["print", "refusal", case, "-o", out, "--user", "desk"], desk,
               {"POLYCLINIC_PASSWORD": "wrong"}).returncode == 3
    assert run(["print", "refusal", case, "-o", out, "--user", "ghost"], desk, DESK).returncode == 3
    assert not Path(out).exists()
    ok = run(["print", "refusal", case, "-o", out, "--user", "desk"], desk, DESK)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["number"] == "2026-000001"
    from desktop.store import open_registry

    with open_registry(desk, now=NOW) as reg:
        assert [e.user for e in reg.audit_entries(action="print")] == ["desk"]


def test_no_unauthenticated_administrator_from_the_command_line(desk):
    """`users add --role admin` without credentials is refused once an administrator exists."""
    p = run(["users", "add", "intruder", "--full-name", "X", "--role", "admin"], desk,
            {"POLYCLINIC_NEW_PASSWORD": "intruder-pass-1"})
    assert p.returncode == 3


def test_restore_then_print_reuses_no_number(tmp_path, desk):
    """Print, back up, print twice more, restore the backup, print: the new number is the next
    after every number ever issued, and the two lost ones are listed as void."""
    case = str(case_file(tmp_path, "p06"))

    def print_one(i):
        p = run(["print", "refusal", case, "-o", str(tmp_path / f"r{i}.pdf"), "--user", "desk"], desk, DESK)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)["number"]

    first = print_one(1)
    backup = tmp_path / "b.sqlite"
    assert run(["backup", str(backup), "--user", "boss"], desk, ADMIN).returncode == 0
    lost = [print_one(2), print_one(3)]
    r = run(["restore", str(backup), "--user", "boss"], desk, ADMIN)
    assert r.returncode == 0, r.stderr
    after = print_one(4)
    assert after not in [first, *lost] and after == "2026-000004"
    void = json.loads(run(["numbers", "void-list", "--user", "boss"], desk, ADMIN).stdout)
    assert [v["number"] for v in void] == lost and all(v["reason"] for v in void)


def test_encrypted_backup_round_trip(tmp_path, desk):
    """`backup --encrypt` writes no plain SQLite; `restore` needs the passphrase."""
    pw = tmp_path / "phrase"
    pw.write_text("long usb passphrase\n")
    out = tmp_path / "usb" / "copy.enc"
    out.parent.mkdir()      # a stick that is not mounted is refused, not created
    b = run(["backup", str(out), "--encrypt", "--passphrase-file", str(pw), "--user", "boss"], desk, ADMIN)
    assert b.returncode == 0, b.stderr
    assert json.loads(b.stdout)["encrypted"]
    assert not out.read_bytes().startswith(b"SQLite")
    refused = run(["restore", str(out), "--user", "boss"], desk, ADMIN)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    wrong = run(["restore", str(out), "--user", "boss"], desk, {**ADMIN, "POLYCLINIC_BACKUP_PASSPHRASE": "nope"})
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    ok = run(["restore", str(out), "--user", "boss", "--passphrase-file", str(pw)], desk, ADMIN)
    assert ok.returncode == 0, ok.stderr


def test_audit_verify_reports_the_first_broken_link(tmp_path, desk):
    """`audit verify` is ok on an untouched log and names the edited row after tampering."""
    p = run(["audit", "verify", "--user", "boss"], desk, ADMIN)
    assert p.returncode == 0 and json.loads(p.stdout)["ok"]
    con = sqlite3.connect(desk)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET action = 'nothing' WHERE id = 2")
    con.commit()
    con.close()
    p = run(["audit", "verify", "--user", "boss"], desk, ADMIN)
    assert p.returncode == 1 and json.loads(p.stdout)["first_broken"] == 2


def test_the_audit_key_moves_with_a_registry_restored_on_another_pc(tmp_path, desk):
    """`audit key export` on the first PC; on another PC (another key folder) the copy's
    `audit verify` fails naming the missing key, and passes after `audit key import`."""
    import shutil

    key = tmp_path / "usb" / "audit.key"
    key.parent.mkdir()
    p = run(["audit", "key", "export", str(key), "--user", "boss"], desk, ADMIN)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["exported_parts"] == 1
    if os.name == "posix":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    copy = tmp_path / "other-pc" / "registry.sqlite"
    copy.parent.mkdir()
    shutil.copy(desk, copy)
    other_pc = {**ADMIN, "POLYCLINIC_AUDIT_KEYS": str(tmp_path / "other-pc-keys")}
    p = run(["audit", "verify", "--user", "boss"], copy, other_pc)
    assert p.returncode == 1 and "audit key missing" in json.loads(p.stdout)["reason"]
    p = run(["audit", "key", "import", str(key), "--user", "boss"], copy, other_pc)
    assert p.returncode == 0 and json.loads(p.stdout)["this_registry"], p.stderr
    p = run(["audit", "verify", "--user", "boss"], copy, other_pc)
    assert p.returncode == 0, p.stdout
    assert json.loads(p.stdout)["keyed_from"] == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_files_with_patient_data_are_private(tmp_path, desk):
    """Registry, WAL, reference folder, PDF, backup, export and audit CSV: 0600 files, 0700 folders."""
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    assert run(["print", "refusal", str(case_file(tmp_path, "p06")), "-o", str(out / "r.pdf"),
                "--user", "desk"], desk, DESK).returncode == 0
    assert run(["backup", str(out / "b.sqlite"), "--user", "boss"], desk, ADMIN).returncode == 0
    assert run(["audit", "--csv", str(out / "a.csv"), "--user", "boss"], desk, ADMIN).returncode == 0
    files = [desk, out / "r.pdf", out / "b.sqlite", out / "a.csv"]
    files += [p for p in Path(str(desk) + ".refdata").iterdir() if p.suffix == ".sqlite"]
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    for d in (out, desk.parent, Path(str(desk) + ".refdata")):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700, d


def test_keygen_writes_the_private_key_0600(tmp_path, desk):
    """`refdata keygen` writes the private key 0600 and never overwrites one."""
    stem = str(tmp_path / "publisher")
    assert run(["refdata", "keygen", "--out", stem], desk).returncode == 0
    assert stat.S_IMODE(Path(stem + ".pem").stat().st_mode) == 0o600
    assert run(["refdata", "keygen", "--out", stem], desk).returncode == 2


def test_the_first_administrator_made_meanwhile_by_another_program(tmp_path):
    """Two programs add "the first administrator" to a new registry at once: the one that finds
    an administrator made meanwhile (after its own check, before its write) is asked to sign in
    like any later account's maker (exit 3, «нужны --user»), not refused as a non-admin (seen
    in the Windows smoke test). Here the test is the other program: its administrator is
    written but not committed while the command line starts, checks and waits to write."""
    import subprocess
    import sys
    import time

    from desktop.store import open_registry

    db = tmp_path / "new.sqlite"
    env = dict(os.environ, POLYCLINIC_DB=str(db), POLYCLINIC_NEW_PASSWORD="second-pass-1")
    env.pop("POLYCLINIC_PASSWORD", None)
    with open_registry(db, now=NOW) as registry:
        with registry.unit():             # one write transaction, held (BEGIN IMMEDIATE)
            registry.create_user("first", "first-pass-1", full_name="Первый", role="admin", now=NOW)
            child = subprocess.Popen([sys.executable, "-m", "desktop", "users", "add", "second",
                                      "--full-name", "Второй", "--role", "admin"], env=env,
                                     cwd=Path(__file__).resolve().parents[2], text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(4)                 # it starts, finds no administrator, waits to write
    out, err = child.communicate(timeout=60)
    assert child.returncode == 3, (out, err)
    assert "нужны --user" in err and "только администратор" not in err
    with open_registry(db, now=NOW) as registry:
        assert [u.login for u in registry.users()] == ["first"]
