"""A full disk is not damage (issue 19, item 5): a checkpoint cut short leaves the registry's
pages in its WAL, and SQLite reads it whole — it is opened, never refused as truncated; a write
that meets a full disk says "нет места на диске" and the next one, once space returns, works."""

from __future__ import annotations

import os
import shutil
import sqlite3
import struct
import subprocess

import pytest

from desktop.store import RegistryError, open_registry
from desktop.store.errors import DiskFull

from .support import NOW, make_case


def test_a_registry_whose_checkpoint_was_cut_short_opens_whole(tmp_path):
    """The file shorter than its header says, every page still in the WAL (as a disk that
    filled during the checkpoint leaves it): SQLite reads it whole, so does the program — every
    patient is there."""
    live = tmp_path / "live" / "registry.sqlite"
    registry = open_registry(live, now=NOW)
    try:
        registry.save_patient(make_case("Первый"), user="u", now=NOW)
        with registry.engine.connect() as con:   # the checkpoint that will be "cut short"
            con.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = sqlite3.connect(live)
        raw.execute("PRAGMA wal_autocheckpoint=0")
        for n in range(40):
            registry.save_patient(make_case(f"Пациент{n}", documents=[
                {"kind": "passport", "number": f"N{n:07d}"}]), user="u", now=NOW)
        crashed = tmp_path / "crashed" / "registry.sqlite"
        crashed.parent.mkdir()
        shutil.copyfile(live, crashed)                       # the state at the power cut
        shutil.copyfile(str(live) + "-wal", str(crashed) + "-wal")
        raw.close()
    finally:
        registry.close()
    data = bytearray(crashed.read_bytes())
    page = struct.unpack(">H", data[16:18])[0]
    data[28:32] = struct.pack(">I", len(data) // page + 30)   # the header of the new size
    crashed.write_bytes(bytes(data))
    with open_registry(crashed, now=NOW) as reopened:
        assert len(reopened.search("Пациент")) == 40
        assert reopened.search("Первый")


def test_a_file_really_cut_short_is_still_refused(tmp_path):
    """Without the pages in a WAL, a file shorter than its header says stays refused."""
    path = tmp_path / "registry.sqlite"
    with open_registry(path, now=NOW) as registry:
        for n in range(40):
            registry.save_patient(make_case(f"Пациент{n}"), user="u", now=NOW)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RegistryError, match="truncated"):
        open_registry(path, now=NOW)


@pytest.fixture
def small_disk(tmp_path):
    """A real small filesystem (tmpfs of 4 MB) for the registry; skipped where it cannot be
    mounted (not root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder):
    filler = folder / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_says_so_and_the_next_save_works_once_space_returns(small_disk):
    """The disk fills: the save raises DiskFull («Нет места на диске»), not damage; the
    registry is not marked damaged; once space is freed the same registry saves again and
    nothing saved before is lost."""
    registry = open_registry(small_disk / "registry.sqlite", now=NOW)
    try:
        kept = registry.save_patient(make_case("Сохранённый"), user="u", now=NOW)
        filler = _fill(small_disk)
        with pytest.raises(DiskFull) as caught:
            for n in range(200):   # until the WAL needs a page the disk has not got
                registry.save_patient(make_case(f"Пациент{n}", documents=[
                    {"kind": "passport", "number": "x" * 2000}]), user="u", now=NOW)
        assert "Нет места на диске" in caught.value.ru and "повреждён" not in caught.value.ru.split(",")[0]
        assert registry.damaged is None
        os.unlink(filler)
        again = registry.save_patient(make_case("Потом"), user="u", now=NOW)
        assert registry.get_patient(kept) is not None and registry.get_patient(again) is not None
    finally:
        registry.close()
    with open_registry(small_disk / "registry.sqlite", now=NOW) as reopened:
        assert reopened.search("Потом") and reopened.search("Сохранённый")
