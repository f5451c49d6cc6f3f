"""The automatic copy when a desk starts: every start on a registry file, once a day for the
clinic's server (the first desk to start that day takes it)."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest

from desktop.store import open_registry
from desktop.store import backups

from .support import NOW, make_case


def test_a_desk_start_copies_the_registry_into_its_backups_folder(registry, tmp_path):
    """Both backends: the start-up copy is a verified registry file holding the saved patients."""
    pid = registry.save_patient(make_case(surname="Копия"), user="reg", now=NOW)
    out = backups.start_backup(registry, tmp_path / "backups", NOW)
    assert out is not None and out.name == f"{registry.path.stem}-{NOW:%Y%m%d-%H%M%S}.sqlite"
    with open_registry(out, now=NOW) as copy:
        assert copy.get_patient(pid).surname == "Копия"


@pytest.mark.postgresql
def test_the_server_is_copied_once_a_day(pg_url, tmp_path, monkeypatch):
    """On the server the second desk starting the same day takes no copy; the next day's first
    desk does; the copy is in the audit log."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with open_registry(pg_url, now=NOW) as registry:
        first = backups.start_backup(registry, tmp_path / "desk1", NOW)
        second = backups.start_backup(registry, tmp_path / "desk2", NOW + timedelta(hours=2))
        tomorrow = backups.start_backup(registry, tmp_path / "desk2", NOW + timedelta(days=1))
        logged = registry.audit_entries(action="backup")
    assert first is not None and second is None and tomorrow is not None
    assert {e.object for e in logged} == {f"backup:{first.name}", f"backup:{tomorrow.name}"}


@pytest.mark.postgresql
def test_a_failed_server_copy_gives_the_day_back(pg_url, tmp_path, monkeypatch):
    """A desk whose copy cannot be written (its folder is a file) raises, and the next desk to
    start that day takes the copy instead."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    with open_registry(pg_url, now=NOW) as registry:
        with pytest.raises(OSError):
            backups.start_backup(registry, blocked, NOW)
        assert backups.start_backup(registry, tmp_path / "desk2", NOW + timedelta(minutes=5)) is not None


def _start(args):
    import time

    url, folder, start = args
    with open_registry(url, now=NOW) as registry:
        registry.search("0")
        time.sleep(max(0.0, start - time.time()))
        out = backups.start_backup(registry, folder, NOW)
        return None if out is None else str(out)


@pytest.mark.postgresql
def test_desks_starting_together_take_one_copy_of_the_server(pg_url, tmp_path):
    """Six desks starting at the same moment: one copy of the server is taken, not six."""
    import time

    open_registry(pg_url, now=NOW).close()
    start = time.time() + 3
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        outs = pool.map(_start, [(pg_url, str(tmp_path / f"desk{d}"), start) for d in range(6)])
    assert len([o for o in outs if o]) == 1, outs
