"""The desk's connection settings: this PC, or the clinic's server (password kept by libpq's
password file, never in the settings)."""
from __future__ import annotations

import os
import stat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from desktop.gui.admin.connection import ConnectionDialog, saved_location
from desktop.gui.i18n import Tr


def _type(qtbot, widget, text):
    widget.clear()
    qtbot.keyClicks(widget, text)


def test_choosing_the_server_saves_it_and_the_password_apart(qtbot, settings, tmp_path):
    """Server chosen and filled in: the URL has no password; the password is in the password
    file, readable by this user only."""
    pgpass = tmp_path / "pgpass"
    dialog = ConnectionDialog(settings, Tr("ru"), pgpass=pgpass, keyring=False)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.server.click()
    _type(qtbot, dialog.host, "regserver")
    _type(qtbot, dialog.password, "s3cr:et")
    qtbot.keyClick(dialog.password, Qt.Key_Return)
    assert dialog.result() == QDialog.Accepted
    assert saved_location(settings) == "postgresql://polyclinic_desk@regserver:5432/polyclinic"
    assert pgpass.read_text() == "regserver:5432:polyclinic:polyclinic_desk:s3cr\\:et\n"
    if os.name == "posix":
        assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600


def test_a_server_without_a_host_is_not_accepted(qtbot, settings, tmp_path):
    """OK with an empty server name says what is missing and keeps the dialog open."""
    dialog = ConnectionDialog(settings, Tr("kk"), pgpass=tmp_path / "pgpass")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.server.click()
    qtbot.keyClick(dialog.host, Qt.Key_Return)
    assert dialog.result() != QDialog.Accepted
    assert dialog.error.text() == Tr("kk")("conn.required")
    assert saved_location(settings) is None


def test_this_pc_forgets_the_server(qtbot, settings, tmp_path):
    """Back to "this PC": the app opens the registry file again."""
    settings.set_server({"host": "regserver", "port": 5432, "database": "polyclinic",
                         "user": "desk"})
    dialog = ConnectionDialog(settings, Tr("ru"), pgpass=tmp_path / "pgpass")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.server.isChecked() and dialog.host.text() == "regserver"
    dialog.this_pc.click()
    qtbot.keyClick(dialog.this_pc, Qt.Key_Return)
    assert saved_location(settings) is None and not (tmp_path / "pgpass").exists()


def test_every_input_carries_its_field_property(qtbot, settings):
    """Outside checks find the inputs by the `field` property."""
    dialog = ConnectionDialog(settings, Tr("ru"))
    qtbot.addWidget(dialog)
    fields = {w.property("field") for w in dialog.findChildren(object) if w.property("field")}
    assert {"connection.this_pc", "connection.server", "connection.host", "connection.port",
            "connection.database", "connection.user", "connection.password"} <= fields


def _polyclinic(db: str, tmp_path, *args):
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, POLYCLINIC_DB=db, QT_QPA_PLATFORM="offscreen",
               XDG_DATA_HOME=str(tmp_path / "data"))
    return subprocess.run([sys.executable, "-m", "desktop", *args], env=env,
                          cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
                          timeout=120)


import pytest  # noqa: E402


@pytest.mark.postgresql
def test_the_desk_starts_on_the_clinics_server(pg_url, tmp_path):
    """POLYCLINIC_DB=postgresql://…: the window opens on the server's registry (created there,
    with the clinic's price list), reference data in the desk's own folder."""
    from datetime import date, datetime

    from desktop.store import open_registry

    result = _polyclinic(pg_url, tmp_path, "--exit-after-start")
    assert result.returncode == 0, result.stderr
    with open_registry(pg_url, now=datetime(2026, 11, 22, 10, 0)) as registry:
        assert registry.prices_on(date(2026, 11, 22))
    assert list((tmp_path / "data").rglob("*.refdata"))


def test_an_unreachable_server_at_start_is_a_message_without_the_password(tmp_path):
    """A server that does not answer: exit 1, a message naming the server, no password, no
    traceback."""
    result = _polyclinic("postgresql://desk:topsecret@127.0.0.1:1/polyclinic", tmp_path,
                         "--exit-after-start")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "127.0.0.1:1/polyclinic" in result.stderr and "topsecret" not in result.stderr


def test_a_server_error_during_work_is_not_called_a_damaged_registry(qtbot, monkeypatch):
    """An error of the server while the desk works (refused, connection lost) is shown as the
    server's message naming it, not as "the registry is damaged"."""
    import sys

    from desktop.gui import app
    from desktop.gui.i18n import Tr
    from desktop.store import RegistryError

    shown = []
    monkeypatch.setattr(app, "_message", lambda icon, title, text, *a, **k: shown.append((title, text)))
    hook = sys.excepthook
    try:
        app._show_registry_errors(Tr("ru"))
        error = RegistryError("postgresql://desk:***@server:5432/polyclinic",
                              "Сервер реестра недоступен", "The registry server is unreachable")
        sys.excepthook(RegistryError, error, None)
    finally:
        sys.excepthook = hook
    title, text = shown[0]
    assert title == "Подключение к реестру" and "повреждён" not in title
    assert "postgresql://desk:***@server:5432/polyclinic" in text and "Файл регистра" not in text
