"""Restore checks the whole backup before it replaces anything (issue 19, item 6): every table
and column of the current schema, the numbering, the audit chain — on a file and on the
server. A broken chain is restored only when the administrator accepts it."""

from __future__ import annotations

import sqlite3

import pytest

from desktop.store import RegistryError, backups, open_registry

from .support import NOW, make_case


def _mangle(path, *statements):
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=OFF")
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


MANGLED = {
    "no patient table": ["DROP TABLE patient_document", "DROP TABLE decision", "DROP TABLE patient"],
    "no account table": ["DROP TABLE app_user"],
    "no numbering table": ["DROP TABLE document_sequence"],
    "foreign patient table": ["DROP TABLE patient_document", "DROP TABLE decision",
                              "DROP TABLE patient", "CREATE TABLE patient (id INTEGER PRIMARY KEY, "
                                                    "name TEXT)"],
    "no audit table": ["DROP TABLE audit_log"],
    "counter behind its ledger": ["UPDATE document_sequence SET last_number = 0"],
}


@pytest.fixture
def filled(registry, admin, tmp_path):
    """A registry with a patient and a printout, and a backup of it (an SQLite file)."""
    registry.save_patient(make_case("Сохранённый"), user=admin, now=NOW)
    number = registry.reserve_document_number(2026, NOW, kind="slip", user=admin)
    registry.store_printed(number, "slip", b"%PDF-1.4 x", lang="ru", user=admin, now=NOW)
    copy = tmp_path / "copy.sqlite"
    backups.backup(registry, copy, actor=admin, now=NOW)
    registry.save_patient(make_case("Позднейший"), user=admin, now=NOW)
    return copy


def _state(location):
    with open_registry(location, now=NOW) as reg:
        return sorted(p.surname for p in reg.search("П") + reg.search("С")), len(reg.audit_entries(limit=10_000))


@pytest.mark.parametrize("how", list(MANGLED))
def test_an_incomplete_or_foreign_backup_is_refused_before_anything_is_replaced(
        registry, filled, db_location, tmp_path, how):
    """Backups without the patient, account, numbering or audit table, with a foreign patient
    table or a counter behind its ledger: refused naming what is wrong; the registry keeps
    every patient (including the one saved after the backup) and its audit log."""
    _mangle(filled, *MANGLED[how])
    registry.close()
    before = _state(db_location)
    with pytest.raises(RegistryError) as caught:
        backups.restore(filled, db_location, now=NOW)
    assert caught.value.ru and caught.value.en
    assert _state(db_location) == before
    assert "Позднейший" in before[0]


def test_a_broken_audit_chain_is_refused_unless_accepted(registry, filled, db_location, tmp_path):
    """An edited audit row in the backup: refused (BrokenAuditChain) and nothing replaced; with
    accept_broken_audit the backup is restored and the caller learns what was accepted."""
    _mangle(filled, "DROP TRIGGER IF EXISTS audit_log_no_update",
            "UPDATE audit_log SET user = 'someone else' WHERE id = 2")
    registry.close()
    before = _state(db_location)
    with pytest.raises(backups.BrokenAuditChain) as caught:
        backups.restore(filled, db_location, now=NOW)
    assert caught.value.audit["first_broken"] == 2 and "accept-broken-audit" in caught.value.en
    assert _state(db_location) == before
    checked: dict = {}
    backups.restore(filled, db_location, now=NOW, accept_broken_audit=True, checked=checked)
    assert checked["audit"]["ok"] is False and checked["audit"]["first_broken"] == 2
    assert "Позднейший" not in _state(db_location)[0]


def test_a_sound_backup_still_restores(registry, filled, db_location):
    """The checks pass a backup the program wrote: restored, the later patient gone."""
    registry.close()
    checked: dict = {}
    backups.restore(filled, db_location, now=NOW, checked=checked)
    assert checked["audit"]["ok"] is True
    assert _state(db_location)[0] == ["Сохранённый"]
