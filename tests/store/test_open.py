"""Opening the registry: a new file, settings of the connection, refusing bad files."""

from __future__ import annotations

import hashlib
import os
import sqlite3

import pytest

from desktop.store import RegistryError, latest_backup, open_registry
from desktop.store.db import head_revision

from .support import NOW, make_case


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_file_gets_latest_schema(db_path):
    """A registry opened on a missing path is created at the newest schema revision."""
    with open_registry(db_path, now=NOW) as registry:
        assert registry.schema_revision() == head_revision()


@pytest.mark.sqlite_only
def test_connection_uses_wal_full_sync_and_foreign_keys(registry):
    """Every connection runs in WAL mode with synchronous=FULL and foreign keys enforced."""
    with registry.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_reopening_does_not_lose_data(db_path):
    """A saved patient is there after closing and opening the registry again."""
    with open_registry(db_path, now=NOW) as registry:
        pid = registry.save_patient(make_case(), user="u", now=NOW)
    with open_registry(db_path, now=NOW) as registry:
        assert registry.get_patient(pid).surname == "Иванов"


def _random_bytes(path):
    path.write_bytes(os.urandom(64 * 1024))


def _text_file(path):
    path.write_text("Это не база данных, а список покупок.\n" * 200, encoding="utf-8")


def _truncated(path):
    with open_registry(path, now=NOW) as registry:
        for i in range(300):
            registry.save_patient(make_case(surname=f"Фамилия{i}", given_name="Имя" * 20),
                                  user="u", now=NOW)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("damage", [_random_bytes, _text_file, _truncated],
                         ids=["random-bytes", "text", "truncated"])
def test_damaged_file_raises_registry_error_and_stays_untouched(db_path, damage):
    """A corrupt, truncated or non-SQLite file raises RegistryError naming the file, and the
    file is left byte for byte as it was."""
    damage(db_path)
    before = _sha(db_path)
    with pytest.raises(RegistryError) as raised:
        open_registry(db_path, now=NOW)
    assert str(db_path) in str(raised.value)
    assert raised.value.ru and raised.value.en
    assert _sha(db_path) == before


def test_foreign_sqlite_database_is_refused(db_path):
    """An SQLite file with someone else's tables is not taken for an empty registry."""
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE prices (code TEXT)")
    con.commit()
    con.close()
    with pytest.raises(RegistryError, match="not a registry"):
        open_registry(db_path, now=NOW)


def test_database_from_newer_program_is_refused(db_path):
    """A registry whose schema revision this program does not know is refused, not migrated."""
    open_registry(db_path, now=NOW).close()
    con = sqlite3.connect(db_path)
    con.execute("UPDATE alembic_version SET version_num = '9999'")
    con.commit()
    con.close()
    with pytest.raises(RegistryError, match="newer version"):
        open_registry(db_path, now=NOW)


def test_latest_backup_is_the_newest_copy(db_path, tmp_path):
    """latest_backup points at the newest start-up copy, for the caller to offer restore."""
    from datetime import timedelta

    from desktop.store import auto_backup

    open_registry(db_path, now=NOW).close()
    folder = tmp_path / "backups"
    auto_backup(db_path, folder, NOW)
    newest = auto_backup(db_path, folder, NOW + timedelta(hours=1))
    os.utime(newest, (os.path.getatime(newest), os.path.getmtime(newest) + 10))
    assert latest_backup(db_path, folder) == newest
