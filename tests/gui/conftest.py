"""GUI fixtures: a fresh registry per test, a fixed clock, a temporary settings file, and the
real reference data built once per session (tests/conftest.py `ref`)."""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

CASES = Path(__file__).resolve().parent.parent / "cases"
TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 30)


@pytest.fixture
def clock():
    from desktop.gui.clock import fixed_clock

    return fixed_clock(NOW)


@pytest.fixture
def settings(tmp_path):
    from desktop.gui.settings import AppSettings

    return AppSettings(tmp_path / "workstation.ini")


@pytest.fixture
def registry(tmp_path, clock):
    from desktop.store import open_registry

    reg = open_registry(tmp_path / "registry.sqlite", now=clock.now())
    yield reg
    reg.close()


@pytest.fixture
def tr():
    from desktop.gui.i18n import Tr

    return Tr("ru")


@pytest.fixture
def make_window(qtbot, registry, ref, settings, clock):
    """A main window; `logged_in` as "admin" (an administrator) or "reg" (a registrar)."""
    from desktop.gui.desk.main_window import MainWindow

    def make(logged_in: str | None = "admin", **options):
        if logged_in:
            registry.create_user("admin", "secret-pass-1", full_name="Әлия Админова", role="admin", now=NOW)
            registry.create_user("reg", "secret-pass-1", full_name="Регина Регистратор", role="registrar",
                                 now=NOW, actor="admin")
            if options.pop("clinic", True):
                from tests.gui.helpers import CLINIC

                registry.set_clinic_details(CLINIC, actor="admin", now=NOW)
        window = MainWindow(registry, ref, settings, clock, TODAY, **options)
        # the offscreen screen is 800×600, where a first start fills it: these tests are for the
        # desk at its size on a large screen (tests/gui/test_small_screens.py resizes)
        window.setWindowState(Qt.WindowNoState)
        window.resize(*window.FIRST_SIZE)
        window.questions = []
        # questions are answered by the test (default: the second button, "discard"/"save anyway")
        window.answer = 1
        window._ask = lambda title, text, buttons: (window.questions.append(text), window.answer)[1]
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        if logged_in:
            window.enter_desk(registry.get_user(logged_in))
        made.append(window)
        return window

    made = []
    yield make
    for window in made:          # nothing may ask "save changes?" while the test closes
        window.dirty = False
        if window.form.dialog is not None:
            window.form.dialog.reject()


@pytest.fixture
def window(make_window):
    return make_window("admin")


def case_of(name: str) -> dict:
    return json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))["case"]
