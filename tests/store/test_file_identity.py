"""A registry file deleted or replaced under a running desk (issue 19, item 2): the desk
refuses to write instead of answering «Сохранено» into a file that is gone."""

from __future__ import annotations

import os
import shutil

import pytest

from desktop.store import RegistryFileChanged, backups, open_registry

from .support import NOW, make_case


def _remove(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(str(path) + suffix):
            os.unlink(str(path) + suffix)


def test_a_deleted_registry_file_refuses_every_write(db_path):
    """The file deleted while the registry is open: the next save raises RegistryFileChanged
    ("deleted", bilingual) and nothing pretends to be saved; the file stays gone."""
    registry = open_registry(db_path, now=NOW)
    try:
        registry.save_patient(make_case("Первый"), user="u", now=NOW)
        _remove(db_path)
        with pytest.raises(RegistryFileChanged) as caught:
            registry.save_patient(make_case("Второй"), user="u", now=NOW)
        assert caught.value.reason == "deleted" and "удалён" in caught.value.ru
        assert "deleted" in caught.value.en and not db_path.exists()
    finally:
        registry.close()


def test_a_replaced_registry_file_refuses_every_write(db_path, tmp_path):
    """Another file moved over the registry (a copy put back by hand): refused as "replaced";
    the file put there is not written to."""
    registry = open_registry(db_path, now=NOW)
    try:
        registry.save_patient(make_case("Первый"), user="u", now=NOW)
        registry.engine.dispose()
        other = tmp_path / "other.sqlite"
        shutil.copy2(db_path, other)
        os.replace(other, db_path)
        before = db_path.read_bytes()
        with pytest.raises(RegistryFileChanged) as caught:
            registry.save_patient(make_case("Второй"), user="u", now=NOW)
        assert caught.value.reason == "replaced" and db_path.read_bytes() == before
    finally:
        registry.close()
    with open_registry(db_path, now=NOW) as again:   # a restart takes the file now there
        assert [p.surname for p in again.search("Первый")] == ["Первый"]
        again.save_patient(make_case("Второй"), user="u", now=NOW)


def test_a_restore_by_this_program_is_taken_as_the_registry(db_path, tmp_path):
    """The administration dialog closes the registry, restores a backup into its place and
    goes on with the same registry: that file is this desk's own, writes go on."""
    registry = open_registry(db_path, now=NOW)
    try:
        registry.create_user("admin", "admin-secret-1", full_name="А", role="admin", now=NOW)
        backups.backup(registry, tmp_path / "copy.sqlite", actor="admin", now=NOW)
        registry.close()
        backups.restore(tmp_path / "copy.sqlite", db_path, now=NOW)
        registry.save_patient(make_case("После"), user="admin", now=NOW)
    finally:
        registry.close()
    with open_registry(db_path, now=NOW) as again:
        assert [p.surname for p in again.search("После")] == ["После"]


_OTHER_DESK = """
import sys
from datetime import datetime, timezone
from desktop.store import open_registry
with open_registry(sys.argv[1], now=datetime.now(timezone.utc)) as registry:
    print(len(registry.search(sys.argv[2])))
"""


def test_the_start_up_copy_leaves_the_desk_s_wal_to_the_desk(db_path, tmp_path):
    """The start-up copy reads the registry's header while the desk has the file open; another
    program opening and closing the registry after that must not take the file for unused and
    delete the desk's WAL (POSIX drops a process's locks when it closes any descriptor of the
    file): a card saved afterwards is read by the other program."""
    import subprocess
    import sys

    from desktop.store import files

    registry = open_registry(db_path, now=NOW)
    try:
        registry.save_patient(make_case("Первый"), user="u", now=NOW)
        wal = os.stat(str(db_path) + "-wal").st_ino
        files.auto_backup(db_path, tmp_path / "backups", NOW)   # reads the header of the open file
        other = [sys.executable, "-c", _OTHER_DESK, str(db_path)]
        assert subprocess.run(other + ["Первый"], capture_output=True, text=True,
                              check=True).stdout.strip() == "1"
        assert os.path.exists(str(db_path) + "-wal")
        assert os.stat(str(db_path) + "-wal").st_ino == wal, "the desk's WAL was deleted"
        registry.save_patient(make_case("Второй"), user="u", now=NOW)
        assert subprocess.run(other + ["Второй"], capture_output=True, text=True,
                              check=True).stdout.strip() == "1"
    finally:
        registry.close()
