"""Backups: verified copies, restore with the current file kept, start-up copies."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from desktop.store import RegistryError, auto_backup, open_registry, restore
from desktop.store import backups

from .support import NOW, make_case


def test_backup_restore_round_trip(registry, admin, db_path, tmp_path):
    """A restored backup brings back exactly what was there when it was taken."""
    kept = registry.save_patient(make_case("Сохранённый"), user="u", now=NOW)
    backups.backup(registry, tmp_path / "copy.sqlite", actor=admin, now=NOW)
    lost = registry.save_patient(make_case("Позднейший"), user="u", now=NOW)
    registry.close()
    restore(tmp_path / "copy.sqlite", db_path, now=NOW)
    with open_registry(db_path, now=NOW) as reopened:
        assert reopened.get_patient(kept) is not None and reopened.get_patient(lost) is None


def test_backup_reports_verified_row_counts(registry, admin, tmp_path):
    """The backup's row counts are those of the registry."""
    registry.save_patient(make_case(), user="u", now=NOW)
    counts = backups.backup(registry, tmp_path / "copy.sqlite", actor=admin, now=NOW)
    assert counts["patient"] == 1


def test_restore_keeps_the_current_file_aside(registry, admin, db_path, tmp_path):
    """Restoring keeps the replaced registry, with its latest saves, beside it."""
    backups.backup(registry, tmp_path / "copy.sqlite", actor=admin, now=NOW)
    registry.save_patient(make_case("Позднейший"), user="u", now=NOW)
    registry.close()
    aside = restore(tmp_path / "copy.sqlite", db_path, now=NOW)
    con = sqlite3.connect(aside)
    assert con.execute("SELECT surname FROM patient").fetchall() == [("Позднейший",)]
    con.close()


def test_damaged_backup_is_not_restored(registry, db_path, tmp_path):
    """A damaged backup raises RegistryError and the registry stays as it was."""
    registry.save_patient(make_case(), user="u", now=NOW)
    registry.close()
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    before = db_path.read_bytes()
    with pytest.raises(RegistryError):
        restore(bad, db_path, now=NOW)
    assert db_path.read_bytes() == before


def test_restore_is_refused_while_the_registry_is_open(registry, admin, db_path, tmp_path):
    """A registry in use is not replaced under its user's feet."""
    backups.backup(registry, tmp_path / "copy.sqlite", actor=admin, now=NOW)
    with registry.engine.connect():
        with pytest.raises(RegistryError, match="open in another program"):
            restore(tmp_path / "copy.sqlite", db_path, now=NOW)


def test_auto_backup_keeps_the_newest_n(registry, tmp_path, db_path):
    """Start-up copies beyond `keep` are removed, oldest first."""
    registry.close()
    folder = tmp_path / "backups"
    made = [auto_backup(db_path, folder, NOW + timedelta(days=i), keep=3) for i in range(5)]
    assert sorted(folder.iterdir()) == made[2:]
