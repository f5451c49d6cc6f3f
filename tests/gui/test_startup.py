"""Start-up order (issue 18, item 5), checked as facts, never timed: the login page is shown
before the store's heavy dependencies are needed, takes keys while the registry is still
opening, and what was typed is carried on once it is open."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from tests.gui.conftest import NOW, TODAY
from tests.gui.helpers import type_into

ROOT = Path(__file__).resolve().parents[2]


def _start(db: Path, trace: Path) -> dict:
    env = dict(os.environ, POLYCLINIC_DB=str(db), QT_QPA_PLATFORM="offscreen",
               POLYCLINIC_START_TRACE=str(trace))
    result = subprocess.run([sys.executable, "-m", "desktop", "--exit-after-start"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(trace.read_text(encoding="utf-8"))


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "psycopg" or m.split(".")[0] in ("alembic", "reportlab", "psycopg")
            or m.startswith("desktop.gui.admin")]


def test_nothing_heavy_is_imported_before_the_login_page(tmp_path):
    """Neither Alembic, reportlab, psycopg nor the administration dialogs are loaded when the
    login page is first on screen; Alembic loads only for a migration (the first start, which
    creates the registry), never on a start with the schema already at head."""
    db, trace = tmp_path / "r.sqlite", tmp_path / "trace.json"
    first = _start(db, trace)
    assert _heavy(first["login_shown"]["modules"]) == []
    assert any(m.startswith("alembic") for m in first["ready"]["modules"])   # a migration was due
    trace.unlink()
    again = _start(db, trace)
    assert _heavy(again["login_shown"]["modules"]) == []
    ready = again["ready"]["modules"]
    assert not any(m.startswith(("alembic", "psycopg")) for m in ready), ready
    assert again["login_shown"]["t"] <= again["ready"]["t"]


def test_login_page_takes_keys_while_the_registry_opens(qtbot, tmp_path, settings, clock, reference_file):
    """The login page is shown and typed into (Enter too) while the registry's thread is
    still busy — held here on the reference data's install lock, a real step of the opening;
    once it is open the desk is built and the login typed meanwhile goes through."""
    from desktop.fileutil import file_lock, private_dir
    from desktop.gui import app as gui_app
    from desktop.gui.desk.main_window import MainWindow
    from desktop.gui.i18n import Tr
    from desktop.store import open_registry

    db = tmp_path / "r.sqlite"
    registry = open_registry(db, now=NOW)
    registry.create_user("admin", "secret-pass-1", full_name="Әлия Админова", role="admin", now=NOW)
    registry.close()
    refdata = Path(str(db) + ".refdata")
    private_dir(refdata)
    with file_lock(refdata / ".lock"):   # the opening thread waits here, as on a slow disk
        opener = gui_app._Opener(db, NOW, db, reference_file)
        window = MainWindow(None, None, settings, clock, TODAY, db_path=db)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        page = window.login_page
        assert window.stack.currentWidget() is page and not window.ready
        type_into(qtbot, page.login, "admin")
        type_into(qtbot, page.password, "secret-pass-1")
        qtbot.keyClick(page.password, Qt.Key_Return)
        qtbot.wait(50)
        assert (page.login.text(), page.password.text()) == ("admin", "secret-pass-1")
        assert not opener.done() and not window.ready
        assert page.error.isVisible()         # "checking…" while the registry opens
    qtbot.waitUntil(opener.done, timeout=60000)
    state: dict = {"registry": None}
    assert gui_app._attach(window, opener, db, db, reference_file, clock, Tr("ru"), settings,
                           True, state) is None
    try:
        qtbot.waitUntil(lambda: window.stack.currentIndex() == window.PAGE_DESK, timeout=10000)
        assert window.user.login == "admin"
        assert "Әлия Админова" in window.status_user.text()
    finally:
        window.dirty = False
        window.worker.wait()
        state["registry"].close()


def test_closing_before_the_registry_is_open_loses_nothing(qtbot, settings, clock):
    """A window closed while the registry is still opening closes at once (nothing to save)."""
    from desktop.gui.desk.main_window import MainWindow

    window = MainWindow(None, None, settings, clock, TODAY)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.close()


_WATCH_META_PATH = """
import os, runpy, sys, threading
class Watched(list):
    def _note(self, op):
        others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
        if others:
            print("META_PATH", op, threading.current_thread().name, others, file=sys.stderr)
    def insert(self, *a): self._note("insert"); return super().insert(*a)
    def remove(self, *a): self._note("remove"); return super().remove(*a)
    def append(self, *a): self._note("append"); return super().append(*a)
    def pop(self, *a): self._note("pop"); return super().pop(*a)
sys.meta_path = Watched(sys.meta_path)
sys.path.insert(0, os.getcwd())
sys.argv = ["desktop", "--exit-after-start"]
runpy.run_module("desktop", run_name="__main__")
"""


def test_no_import_finder_changes_while_the_registry_thread_imports(tmp_path):
    """Python 3.11 walks sys.meta_path unguarded: a finder put in and taken out by another thread
    (shiboken's bootstrap on PySide6's first import) makes a concurrent import skip PathFinder and
    fail. The start-up changes the list only while it is the one thread, on both starts."""
    db = tmp_path / "r.sqlite"
    env = dict(os.environ, POLYCLINIC_DB=str(db), QT_QPA_PLATFORM="offscreen")
    for _ in range(2):   # the first start creates the registry, the second opens it
        result = subprocess.run([sys.executable, "-c", _WATCH_META_PATH], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "META_PATH" not in result.stderr, result.stderr


def test_a_system_without_fonts_shows_the_letters_in_the_shipped_font(tmp_path):
    """As under Wine (or on a bare Linux): fontconfig finds no font, the interface's letters
    would be boxes; the app then takes the DejaVu Sans it ships for the printouts."""
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><fontconfig><dir>/nonexistent-fonts</dir>'
                    f'<cachedir>{tmp_path / "cache"}</cachedir></fontconfig>', encoding="utf-8")
    script = ("from PySide6.QtWidgets import QApplication\n"
              "from PySide6.QtGui import QFontMetrics, QFontInfo\n"
              "from desktop.gui.app import ensure_interface_font\n"
              "app = QApplication([])\n"
              "before = QFontMetrics(app.font()).inFontUcs4(ord('қ'))\n"
              "family = ensure_interface_font(app)\n"
              "after = all(QFontMetrics(app.font()).inFontUcs4(ord(c)) for c in 'ӘәҒғҚқҢңӨөҰұҮүҺһІіЖж')\n"
              "print(before, family, QFontInfo(app.font()).family(), after)\n")
    env = dict(os.environ, FONTCONFIG_FILE=str(conf), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "DejaVu", "Sans", "DejaVu", "Sans", "True"]
    # with the system's fonts (this machine): nothing is changed
    env.pop("FONTCONFIG_FILE")
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.split()[:2] == ["True", "None"], result.stdout + result.stderr
