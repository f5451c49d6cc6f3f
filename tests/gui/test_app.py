"""Start-up: --exit-after-start, a damaged registry, the workstation settings."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _polyclinic(db: Path, *args):
    env = dict(os.environ, POLYCLINIC_DB=str(db), QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-m", "desktop", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_exit_after_start_exits_zero(tmp_path):
    """`polyclinic --exit-after-start` shows the window and exits 0, creating the registry."""
    result = _polyclinic(tmp_path / "r.sqlite", "--exit-after-start")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r.sqlite").exists()


def test_first_start_seeds_the_clinic_price_list(tmp_path):
    """The GUI's first start gives the clinic the demo price list, so an estimate can be made."""
    from datetime import date, datetime

    from desktop.store import open_registry

    assert _polyclinic(tmp_path / "r.sqlite", "--exit-after-start").returncode == 0
    registry = open_registry(tmp_path / "r.sqlite", now=datetime(2026, 11, 22, 10, 0))
    try:
        codes = {p.code for p in registry.prices_on(date(2026, 11, 22))}
    finally:
        registry.close()
    assert {"RAD-FLG", "LAB-HIV", "LAB-TPHA"} <= codes


def test_damaged_registry_is_reported_not_traced(tmp_path):
    """A registry file that is not a database: a plain message naming the file, no traceback."""
    db = tmp_path / "r.sqlite"
    db.write_bytes(b"this is not sqlite" * 100)
    result = _polyclinic(db, "--exit-after-start")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(db) in result.stderr


def test_settings_file_keeps_language_and_lock(tmp_path):
    """Workstation settings written to a file are read back."""
    from desktop.gui.settings import AppSettings

    first = AppSettings(tmp_path / "s.ini")
    first.language, first.lock_minutes = "kk", 5
    first.sync()
    again = AppSettings(tmp_path / "s.ini")
    assert (again.language, again.lock_minutes) == ("kk", 5)
