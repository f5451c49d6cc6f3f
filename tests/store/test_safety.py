"""Data safety on real files: damaged registries are refused unwritten, numbers are never
handed out twice (restore included), stale saves are refused, the audit chain is checked,
exports are neutralised, backups can be encrypted, files are private."""

from __future__ import annotations

import csv
import hashlib
import os
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.store import Conflict, PermissionDenied, RegistryError, open_registry
from desktop.store import backups
from desktop.store.backups import restore
from desktop.store.registry import StaleRecord, auto_backup, backup_database

from .support import NOW, make_case, make_decision


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _filled(db_path: Path) -> Path:
    """A registry with a row in every table."""
    with open_registry(db_path, now=NOW) as reg:
        reg.create_user("admin", "admin-secret", full_name="A", role="admin", now=NOW)
        reg.seed_prices([{"code": "X", "name_ru": "Икс", "price": "10", "valid_from": "2026-01-01"}], now=NOW)
        reg.set_settings({"clinic.name": "Поликлиника"}, actor="admin", now=NOW)
        for n in range(30):
            pid = reg.save_patient(make_case(surname=f"Пациент{n}", documents=[
                {"kind": "dms_contract", "number": f"D{n}", "valid_until": "2026-12-01"}]), user="admin", now=NOW)
            reg.record_decision(pid, make_decision(), user="admin", now=NOW)
        number = reg.reserve_document_number(2026, NOW, kind="slip", user="admin")
        reg.store_printed(number, "slip", b"%PDF-1.4 x", lang="ru", user="admin", now=NOW, patient_id=1)
        out = db_path.parent / "out"
        out.mkdir(exist_ok=True)
        reg.export_attachments(out / "a.csv", out / "a.json", now=NOW, user="admin")
    return db_path


def _tables(db_path: Path) -> dict[str, int]:
    con = sqlite3.connect(db_path)
    try:
        return {name: root for name, root in con.execute(
            "SELECT name, rootpage FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
    finally:
        con.close()


def _damage_page(db_path: Path, page: int) -> None:
    size = sqlite3.connect(db_path).execute("PRAGMA page_size").fetchone()[0]
    with open(db_path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(bytes((i * 37 + 11) % 256 for i in range(size)))


def test_zero_byte_registry_is_refused_not_recreated(db_path):
    """An empty (0-byte) file is refused; only a missing file makes a new registry."""
    db_path.write_bytes(b"")
    with pytest.raises(RegistryError) as e:
        open_registry(db_path, now=NOW)
    assert "0" in e.value.en and db_path.stat().st_size == 0


def test_truncated_registry_is_refused_unchanged(tmp_path):
    """A registry cut short is refused and left byte for byte as it was."""
    db_path = _filled(tmp_path / "registry.sqlite")
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    before = _sha(db_path)
    with pytest.raises(RegistryError):
        open_registry(db_path, now=NOW)
    assert _sha(db_path) == before


def test_foreign_sqlite_file_is_refused_unchanged(tmp_path):
    """Another program's SQLite file is refused, and not even switched to WAL."""
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    before = _sha(path)
    with pytest.raises(RegistryError):
        open_registry(path, now=NOW)
    assert _sha(path) == before and not Path(str(path) + "-wal").exists()


def test_one_damaged_page_in_each_table_is_refused_unwritten(tmp_path):
    """A damaged page in any table: the open is refused with the message, the file unchanged."""
    good = _filled(tmp_path / "good.sqlite")
    tables = _tables(good)
    assert len(tables) >= 13
    for name, root in tables.items():
        path = tmp_path / f"{name}.sqlite"
        path.write_bytes(good.read_bytes())
        _damage_page(path, root)
        before = _sha(path)
        with pytest.raises(RegistryError):
            open_registry(path, now=NOW)
        assert _sha(path) == before, name


def test_damage_found_later_stops_every_write(tmp_path):
    """Damage met after opening turns into RegistryError, and no write follows it."""
    db_path = _filled(tmp_path / "registry.sqlite")
    reg = open_registry(db_path, now=NOW)
    try:
        _damage_page(db_path, _tables(db_path)["patient"])
        reg.engine.dispose()
        with pytest.raises(RegistryError):
            reg.get_patient(1)
        with pytest.raises(RegistryError):
            reg.log(user="admin", action="x", obj="y", now=NOW)
        assert reg.damaged is not None
    finally:
        reg.close()


def test_number_is_reserved_then_stored_or_void(registry, admin):
    """Every number taken is in the ledger: stored with its document, or void with the reason."""
    a = registry.reserve_document_number(2026, NOW, kind="slip", user=admin)
    b = registry.reserve_document_number(2026, NOW, kind="slip", user=admin)
    registry.store_printed(a, "slip", b"%PDF a", lang="ru", user=admin, now=NOW)
    assert registry.void_interrupted_numbers(NOW + timedelta(minutes=5)) == []
    assert registry.void_interrupted_numbers(NOW + timedelta(hours=1)) == [b]
    statuses = {r.number: (r.status, r.reason) for r in registry.document_numbers()}
    assert statuses[a][0] == "stored" and statuses[b][0] == "void" and "interrupted" in statuses[b][1]
    with pytest.raises(Conflict):
        registry.store_printed(b, "slip", b"%PDF b", lang="ru", user=admin, now=NOW)


@pytest.mark.postgresql
def test_on_the_server_another_desks_fresh_reservation_is_not_voided(pg_url, tmp_path,
                                                                    monkeypatch):
    """A desk whose clock runs an hour ahead opens the server: the number another desk just
    reserved stays reserved (it may still be printing); a day later it is void."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(pg_url, now=NOW) as other:
        number = other.reserve_document_number(2026, NOW, kind="slip", user="reg")
    open_registry(pg_url, now=NOW + timedelta(hours=1)).close()
    with open_registry(pg_url, now=NOW) as other:
        assert [r.status for r in other.document_numbers()] == ["reserved"]
    with open_registry(pg_url, now=NOW + timedelta(days=1, minutes=1)) as later:
        assert [(r.number, r.status) for r in later.document_numbers()] == [(number, "void")]


def test_restore_carries_the_numbering_forward(tmp_path):
    """After restoring an older backup, the next number follows the replaced registry's last one,
    and the numbers the backup lacks are listed as void."""
    db_path = _filled(tmp_path / "registry.sqlite")
    copy = tmp_path / "copy.sqlite"
    backup_database(db_path, copy)
    with open_registry(db_path, now=NOW) as reg:
        taken = [reg.reserve_document_number(2026, NOW, kind="slip", user="admin") for _ in range(3)]
        for n in taken:
            reg.store_printed(n, "slip", b"%PDF " + n.encode(), lang="ru", user="admin", now=NOW)
    restore(copy, db_path, now=NOW)
    with open_registry(db_path, now=NOW) as reg:
        after = reg.reserve_document_number(2026, NOW, kind="slip", user="admin")
        void = [r.number for r in reg.document_numbers(status="void")]
    assert after == "2026-000005" and after not in taken
    assert void == taken


def test_restore_refuses_a_backup_from_a_newer_schema(tmp_path):
    """A backup made by a newer program is refused before the registry is touched."""
    db_path = _filled(tmp_path / "registry.sqlite")
    copy = tmp_path / "newer.sqlite"
    backup_database(db_path, copy)
    con = sqlite3.connect(copy)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    before = _sha(db_path)
    with pytest.raises(RegistryError) as e:
        restore(copy, db_path, now=NOW)
    assert "newer" in e.value.en and _sha(db_path) == before


def test_saving_over_a_newer_version_is_refused(db_location):
    """Two desks open the same card; the second save names who changed it first (a file, and
    the server)."""
    with open_registry(db_location, now=NOW) as a, open_registry(db_location, now=NOW) as b:
        pid = a.save_patient(make_case(), user="anna", now=NOW)
        seen_a, seen_b = a.get_patient(pid).version, b.get_patient(pid).version
        b.save_patient(make_case(given_name="Пётр"), user="boris", now=NOW, patient_id=pid,
                       expected_version=seen_b)
        with pytest.raises(StaleRecord) as e:
            a.save_patient(make_case(given_name="Павел"), user="anna", now=NOW, patient_id=pid,
                           expected_version=seen_a)
        assert e.value.by == "boris" and a.get_patient(pid).given_name == "Пётр"


def test_audit_chain_verifies_and_finds_a_changed_row(tmp_path):
    """The audit chain verifies; an edited row (triggers bypassed) is the first broken link."""
    db_path = _filled(tmp_path / "registry.sqlite")
    with open_registry(db_path, now=NOW) as reg:
        assert reg.verify_audit()["ok"]
        target = reg.audit_entries(limit=None)[-3].id
    con = sqlite3.connect(db_path)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET user = 'someone' WHERE id = ?", (target,))
    con.commit()
    con.close()
    with open_registry(db_path, now=NOW) as reg:
        result = reg.verify_audit()
    assert not result["ok"] and result["first_broken"] == target


def test_audit_chain_finds_removed_last_rows(tmp_path):
    """Cutting rows off the end of the log breaks the chain's head."""
    db_path = _filled(tmp_path / "registry.sqlite")
    con = sqlite3.connect(db_path)
    con.execute("DROP TRIGGER audit_log_no_delete")
    con.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    con.commit()
    con.close()
    with open_registry(db_path, now=NOW) as reg:
        assert not reg.verify_audit()["ok"]


def test_printed_hash_is_in_its_audit_row(registry, admin):
    """The audit row of a printout carries the PDF's sha256."""
    n = registry.reserve_document_number(2026, NOW, kind="slip", user=admin)
    registry.store_printed(n, "slip", b"%PDF-1.4 body", lang="ru", user=admin, now=NOW)
    entry = registry.audit_entries(action="print")[0]
    assert hashlib.sha256(b"%PDF-1.4 body").hexdigest() in entry.details and entry.hash


def test_export_cells_cannot_start_a_formula(db_path, registry, admin, tmp_path):
    """A surname like =HYPERLINK(...) reaches the CSV as text (leading apostrophe)."""
    pid = registry.save_patient(make_case(surname="=HYPERLINK(\"http://x\")"), user=admin, now=NOW)
    registry.record_decision(pid, make_decision(), user=admin, now=NOW)
    registry.export_attachments(tmp_path / "e.csv", tmp_path / "e.json", now=NOW, user=admin)
    rows = list(csv.DictReader((tmp_path / "e.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0]["surname"].startswith("'=")


def test_audit_csv_cells_cannot_start_a_formula(registry, admin, tmp_path):
    """An audit detail starting with @ or - is neutralised in the audit CSV."""
    registry.log(user="@evil", action="-cmd", obj="+x", now=NOW)
    registry.export_audit(tmp_path / "a.csv", actor=admin, now=NOW)
    text = (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert "'@evil" in text and "'-cmd" in text and "'+x" in text


def test_failed_sign_in_names_only_existing_logins(registry, admin):
    """A failed sign-in with an unknown login does not store what was typed."""
    registry.login("my-password-typed-as-login", "x", now=NOW)
    registry.login(admin, "wrong", now=NOW)
    failed = registry.audit_entries(action="login_failed")
    assert {e.user for e in failed} == {"?", admin}
    assert all("my-password" not in e.object for e in failed)


def test_last_active_administrator_cannot_be_locked(registry, admin):
    """Locking the only active administrator is refused; with a second one it is allowed."""
    with pytest.raises(Conflict):
        registry.set_user_active(admin, False, actor=admin, now=NOW)
    registry.create_user("admin2", "second-secret", full_name="B", role="admin", now=NOW, actor=admin)
    assert registry.login("admin2", "second-secret", now=NOW)  # acts once signed in
    registry.set_user_active(admin, False, actor="admin2", now=NOW)
    assert not registry.get_user(admin).active


def test_no_unauthenticated_administrator_once_one_existed(registry, admin):
    """Once an administrator exists, creating another without credentials is refused."""
    with pytest.raises(PermissionDenied):
        registry.create_user("intruder", "whatever-1", full_name="X", role="admin", now=NOW)


def test_encrypted_backup_restores_only_with_the_passphrase(tmp_path):
    """An encrypted copy holds no plain SQLite; restore needs the passphrase and then works."""
    from desktop.store.crypt import BackupCryptError

    db_path = _filled(tmp_path / "registry.sqlite")
    out = tmp_path / "usb" / "copy.enc"
    with open_registry(db_path, now=NOW) as reg:
        backups.backup_encrypted(reg, out, "correct horse", actor="admin", now=NOW)
    assert b"SQLite format 3" not in out.read_bytes() and "Пациент" not in out.read_bytes().decode("latin-1")
    before = _sha(db_path)
    with pytest.raises(BackupCryptError):
        restore(out, db_path, now=NOW, passphrase="wrong")
    assert _sha(db_path) == before
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 1
    (tmp_path / "flipped.enc").write_bytes(bytes(data))
    with pytest.raises(BackupCryptError):
        restore(tmp_path / "flipped.enc", db_path, now=NOW, passphrase="correct horse")
    restore(out, db_path, now=NOW, passphrase="correct horse")
    with open_registry(db_path, now=NOW) as reg:
        assert len(reg.search("Пациент", limit=100)) == 30


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes")
def test_registry_backups_and_exports_are_private(tmp_path):
    """Registry, its WAL, backups and exports are 0600; their folders 0700."""
    folder = tmp_path / "data"
    db_path = _filled(folder / "registry.sqlite")
    with open_registry(db_path, now=NOW) as reg:
        reg.log(user="admin", action="x", obj="y", now=NOW)
        backup = auto_backup(db_path, folder / "backups", NOW)
        files = [db_path, Path(str(db_path) + "-wal"), backup, folder / "out" / "a.csv",
                 folder / "out" / "a.json"]
        for f in files:
            assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert stat.S_IMODE((folder / "backups").stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_automatic_backups_in_one_second_get_unique_names(db_path, registry):
    """Backups taken in the same second never overwrite each other."""
    made = {auto_backup(db_path, db_path.parent / "backups", NOW, keep=50) for _ in range(5)}
    assert len(made) == 5 and all(p.stat().st_size > 0 for p in made)


def test_no_automatic_backup_of_an_unopenable_registry(tmp_path):
    """A damaged registry is not backed up, and no older copy is rotated away."""
    db_path = _filled(tmp_path / "registry.sqlite")
    folder = tmp_path / "backups"
    kept = [auto_backup(db_path, folder, NOW + timedelta(seconds=i), keep=3) for i in range(3)]
    db_path.write_bytes(b"")
    with pytest.raises(RegistryError):
        auto_backup(db_path, folder, NOW + timedelta(seconds=10), keep=3)
    assert sorted(folder.glob("*.sqlite")) == sorted(kept)


def test_leftover_temporary_files_are_removed_at_start(db_path, registry):
    """Temporary files of a process that is gone are removed when the registry opens."""
    leftover = db_path.with_name(db_path.name + ".tmp-999999999-abcd")
    leftover.write_bytes(b"half")
    open_registry(db_path, now=NOW).close()
    assert not leftover.exists()


def test_before_restore_copies_are_rotated(tmp_path):
    """Each restore keeps the replaced registry aside; only the newest five such copies stay."""
    db_path = _filled(tmp_path / "registry.sqlite")
    copy = tmp_path / "copy.sqlite"
    backup_database(db_path, copy)
    for i in range(7):
        restore(copy, db_path, now=NOW + timedelta(seconds=i))
    kept = sorted(p.name for p in tmp_path.glob("registry.sqlite.before-restore-*.bak"))
    assert len(kept) == 5 and kept[-1].endswith("093006.bak")
