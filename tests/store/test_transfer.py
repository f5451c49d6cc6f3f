"""Moving a registry: `registry copy` between a file and the server, backups of a server
registry as the portable file, and restoring one into the server (real server, real files)."""

from __future__ import annotations

import pytest

from desktop.store import Conflict, open_registry
from desktop.store import backups
from desktop.store.db import integrity_counts
from desktop.store.transfer import backup_server, copy_registry, restore_server

from .support import NOW, make_case, make_decision

pytestmark = pytest.mark.postgresql


def _fill(location) -> dict:
    """A registry with one of everything; returns what to look for afterwards."""
    with open_registry(location, now=NOW) as registry:
        registry.create_user("admin", "pw-admin-secret", full_name="Админ", role="admin", now=NOW)
        pid = registry.save_patient(make_case(iin="791028302728", documents=[
            {"kind": "passport", "number": "75 1234567"}]), user="admin", now=NOW)
        registry.record_decision(pid, make_decision(), user="admin", now=NOW)
        number = registry.next_document_number(2026, NOW)
        registry.store_printed(number, "slip", b"%PDF-1.4 \x00\xff bytes", lang="ru", user="admin",
                               now=NOW, patient_id=pid)
        registry.seed_prices([{"code": "X1", "name_ru": "Приём", "price": "1500.50",
                               "valid_from": "2026-01-01"}], now=NOW)
        registry.set_settings({"clinic.name": "Поликлиника №1"}, actor="admin", now=NOW)
        registry.export_attachments(location_folder(location) / "e.csv",
                                    location_folder(location) / "e.json", now=NOW, user="admin")
    return {"patient": pid, "number": number}


def location_folder(location):
    from desktop.store.backend import parse_location

    folder = parse_location(location).local_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_file_registry_moves_to_the_server_whole(tmp_path, pg_url, monkeypatch):
    """SQLite → PostgreSQL: every table with the same counts and hashes; the moved registry
    finds the patient, re-prints the document, and numbers and ids go on after the copied ones."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    source = tmp_path / "desk.sqlite"
    known = _fill(source)
    result = copy_registry(source, pg_url)
    assert result["patient"]["rows"] == 1 and result["audit_log"]["rows"] > 5
    with open_registry(pg_url, now=NOW) as registry:
        assert [p.id for p in registry.search("Иванов")] == [known["patient"]]
        assert registry.get_printed(known["number"]).pdf == b"%PDF-1.4 \x00\xff bytes"
        assert registry.next_document_number(2026, NOW) == "2026-000002"
        new = registry.save_patient(make_case(surname="Петров"), user="admin", now=NOW)
        assert new == known["patient"] + 1
        assert registry.login("admin", "pw-admin-secret", now=NOW) is not None
        assert registry.clinic_details()["name"] == "Поликлиника №1"
        assert len(registry.exported()) == 1


def test_a_server_registry_moves_back_to_a_file(tmp_path, pg_url, monkeypatch):
    """PostgreSQL → SQLite: the file passes the integrity check with the same contents."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _fill(pg_url)
    target = tmp_path / "back.sqlite"
    result = copy_registry(pg_url, target)
    counts = integrity_counts(target)
    assert all(counts[t] == result[t]["rows"] for t in result)
    with open_registry(target, now=NOW) as registry:
        assert registry.prices_on(NOW.date())[0].price == __import__("decimal").Decimal("1500.50")


def test_copy_refuses_a_destination_that_holds_a_registry(tmp_path, pg_url, monkeypatch):
    """A DST with any row is refused and left as it was."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _fill(tmp_path / "a.sqlite")
    with open_registry(pg_url, now=NOW) as registry:
        registry.create_user("boss", "pw-boss-secret", full_name="B", role="admin", now=NOW)
    with pytest.raises(Conflict, match="not empty"):
        copy_registry(tmp_path / "a.sqlite", pg_url)
    with open_registry(pg_url, now=NOW) as registry:
        assert [u.login for u in registry.users()] == ["boss"]


def test_backup_of_a_server_registry_is_the_portable_verified_file(tmp_path, pg_url,
                                                                   monkeypatch):
    """`backup` from the server writes an SQLite registry file that opens on a desk alone."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    known = _fill(pg_url)
    with open_registry(pg_url, now=NOW) as registry:
        counts = backups.backup(registry, tmp_path / "server.sqlite", actor="admin", now=NOW)
    assert counts["patient"] == 1 and counts["printed_document"] == 1
    assert not list(tmp_path.glob("server.sqlite.*"))  # no staging file left
    with open_registry(tmp_path / "server.sqlite", now=NOW) as registry:
        assert registry.get_printed(known["number"]) is not None


def test_restore_loads_a_backup_file_into_the_server(tmp_path, pg_url, monkeypatch):
    """`restore` into the server: the server holds exactly the backup's rows afterwards, and
    the replaced contents are kept as a portable file."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _fill(tmp_path / "desk.sqlite")
    with open_registry(pg_url, now=NOW) as registry:
        registry.save_patient(make_case(surname="Лишний"), user="x", now=NOW)
        loaded = restore_server(tmp_path / "desk.sqlite", registry.engine,
                                keep_aside=tmp_path / "aside.sqlite")
        assert [p.surname for p in registry.search("Лишний")] == []
        assert len(registry.search("Иванов")) == 1
    assert loaded["patient"]["rows"] == 1
    assert integrity_counts(tmp_path / "aside.sqlite")["patient"] == 1


def test_restore_to_a_server_location_as_the_backup_dialog_does(tmp_path, pg_url, monkeypatch):
    """`restore(file, registry.location)` (the administration dialog's call) replaces the
    server's contents and returns where the previous contents were kept."""
    from desktop.store import restore

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _fill(tmp_path / "desk.sqlite")
    with open_registry(pg_url, now=NOW) as registry:
        aside = restore(tmp_path / "desk.sqlite", registry.location, now=NOW)
        assert len(registry.search("Иванов")) == 1
    assert aside.is_relative_to(tmp_path / "data") and integrity_counts(aside)["patient"] == 0


def test_a_copy_carries_the_safety_tables_and_its_audit_chain_verifies(tmp_path, pg_url,
                                                                       monkeypatch):
    """File → server → file: the number ledger, the export batches and the audit hashes come
    along, and the audit chain verifies at each end."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    source = tmp_path / "desk.sqlite"
    _fill(source)
    result = copy_registry(source, pg_url)
    assert result["document_number"]["rows"] == 1 and result["export_batch"]["rows"] == 1
    back = tmp_path / "back.sqlite"
    assert copy_registry(pg_url, back) == result
    for location in (pg_url, back):
        with open_registry(location, now=NOW) as registry:
            assert registry.verify_audit()["ok"]
            assert [r.status for r in registry.document_numbers()] == ["stored"]
            assert registry.next_document_number(2026, NOW) == "2026-000002"


def test_restore_into_the_server_carries_its_numbering_forward(tmp_path, pg_url, monkeypatch):
    """Numbers the server issued after the backup are never issued again: the next number
    follows the server's last one, and those the backup lacks are listed as void."""
    from desktop.store import restore

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _fill(pg_url)
    with open_registry(pg_url, now=NOW) as registry:
        backups.backup(registry, tmp_path / "old.sqlite", actor="admin", now=NOW)
        taken = [registry.reserve_document_number(2026, NOW, kind="slip", user="admin")
                 for _ in range(3)]
        registry.store_printed(taken[0], "slip", b"%PDF", lang="ru", user="admin", now=NOW)
        restore(tmp_path / "old.sqlite", registry.location, now=NOW)
        after = registry.reserve_document_number(2026, NOW, kind="slip", user="admin")
        void = [r.number for r in registry.document_numbers(status="void")]
        assert registry.verify_audit()["ok"]
    assert taken == ["2026-000002", "2026-000003", "2026-000004"]
    assert after == "2026-000005" and void == taken


def test_an_encrypted_backup_of_the_server_restores_into_it(tmp_path, pg_url, monkeypatch):
    """`backup --encrypt` from the server, restored into the server with the passphrase; a
    backup from a newer schema is refused before the server is touched."""
    import sqlite3

    from desktop.store import RegistryError, restore

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    _fill(pg_url)
    with open_registry(pg_url, now=NOW) as registry:
        backups.backup_encrypted(registry, tmp_path / "b.enc", "long passphrase 1", actor="admin", now=NOW)
        backups.backup(registry, tmp_path / "newer.sqlite", actor="admin", now=NOW)
        registry.save_patient(make_case(surname="Лишний"), user="admin", now=NOW)
        with pytest.raises(ValueError):
            restore(tmp_path / "b.enc", registry.location, now=NOW)
        con = sqlite3.connect(tmp_path / "newer.sqlite")
        con.execute("UPDATE alembic_version SET version_num = '9999'")
        con.commit()
        con.close()
        with pytest.raises(RegistryError, match="newer"):
            restore(tmp_path / "newer.sqlite", registry.location, now=NOW)
        assert len(registry.search("Лишний")) == 1
        restore(tmp_path / "b.enc", registry.location, now=NOW, passphrase="long passphrase 1")
        assert registry.search("Лишний") == [] and len(registry.search("Иванов")) == 1
    assert not list((tmp_path / "data").rglob("*.decrypted*"))
    assert not list((tmp_path / "data").rglob("*.restore*"))
