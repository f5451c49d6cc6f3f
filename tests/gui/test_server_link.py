"""The desk's link to the clinic's server while it works: a lost connection (a real server
stopped and started again), the clinic's release taken up at the next decision, the
connection settings in the Service menu."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from tests.gui.conftest import NOW, case_of
from release_helpers import newer_sources

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def own_server():
    """A PostgreSQL cluster of this module's own: the tests stop and start it."""
    from pgserver import start_or_skip

    server = start_or_skip()
    yield server
    server.stop()


def pg_ctl(server, action: str) -> None:
    from pgserver import as_server_user, pg_bin

    argv = [pg_bin("pg_ctl"), "-D", str(server.data), "-w", "-t", "60"]
    if action == "stop":
        argv += ["-m", "fast", "stop"]
    else:
        argv += ["-l", str(server.log), "-o",
                 f"-p {server.port} -k {server.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                 "start"]
    subprocess.run(as_server_user(argv), check=True, capture_output=True, timeout=90)


@pytest.fixture
def registry(request, tmp_path, clock, monkeypatch):
    """The window's registry: a file, or (tests marked `server`) a database on the own cluster."""
    from desktop.store import open_registry

    if request.node.get_closest_marker("postgresql") is None:
        reg = open_registry(tmp_path / "registry.sqlite", now=clock.now())
    else:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        server = request.getfixturevalue("own_server")
        reg = open_registry(server.new_database(), now=clock.now())
    yield reg
    reg.close()


def test_service_menu_opens_the_connection_settings_applied_at_next_start(qtbot, window, settings):
    """Сервис → «Подключение к базе…» opens the connection dialog; saved, it says the next start applies it."""
    from desktop.gui.admin.connection import saved_location

    action = window.link.action_connection
    assert action in window.menu_service.actions() and action.text() == "Подключение к &базе…"
    action.trigger()
    dialog = window.findChild(QDialog, "connectionDialog")
    qtbot.waitExposed(dialog)
    dialog.server.click()
    dialog.host.clear()
    qtbot.keyClicks(dialog.host, "regserver")
    qtbot.keyClick(dialog.host, Qt.Key_Return)
    assert saved_location(settings) == "postgresql://polyclinic_desk@regserver:5432/polyclinic"
    box = window.findChild(QMessageBox, "connectionNextStart")
    assert box is not None and "при следующем запуске" in box.text()
    assert window.registry.location.is_server is False  # this run keeps its registry


@pytest.mark.postgresql
def test_a_lost_server_shows_a_banner_keeps_the_card_and_saves_it_once_back(qtbot, window, registry,
                                                                             own_server):
    """Server stopped: Save keeps the card (nothing stored) under a banner; restarted, the banner
    goes by itself and the same card saves with its decision."""
    window.form.set_case(case_of("p04"))
    window.dirty = True
    case = window.form.case()
    pg_ctl(own_server, "stop")
    try:
        assert window.save() is False
        assert window.link.banner.isVisible() and "Нет связи" in window.link.banner.text()
        assert window.dirty and window.patient_id is None
        assert window.form.case() == case
    finally:
        pg_ctl(own_server, "start")
    qtbot.waitUntil(lambda: not window.link.banner.isVisible(), timeout=60000)
    assert window.form.case() == case
    assert window.save() is True and not window.dirty
    assert [p.id for p in registry.search(case["person"]["surname"])] == [window.patient_id]
    assert registry.latest_decision(window.patient_id) is not None


@pytest.mark.postgresql
def test_a_release_imported_at_another_desk_is_used_at_the_next_decision(qtbot, window, registry,
                                                                         reference_file, tmp_path):
    """Desk B imports a package on the server; this desk's next decision uses it and says so."""
    from desktop.core.refbuild import build_reference
    from desktop.core.refpackage import build_package
    from desktop.store import open_registry
    from desktop.store.releases import DeskReleases

    window.link.releases = DeskReleases(registry, tmp_path / "desk-a" / "registry")
    first = window.link.releases.start(reference_file, now=NOW)
    window.set_reference(first)
    build_reference(newer_sources(tmp_path / "src"), tmp_path / "newer.sqlite")
    manifest = build_package(tmp_path / "newer.sqlite", tmp_path / "update.zip",
                             (ROOT / "db" / "keys" / "dev-publisher.pem").read_bytes())
    with open_registry(registry.location.url, now=NOW) as other:
        DeskReleases(other, tmp_path / "desk-b" / "registry").import_package(
            tmp_path / "update.zip", [ROOT / "db" / "keys"], user="admin", now=NOW, today=NOW.date())
    window.link._last_check = 0.0  # the next decision after the check interval
    window.form.set_case(case_of("p04"))
    window.recompute()
    qtbot.waitUntil(lambda: window.ref.version == manifest["version"], timeout=20000)
    assert window.ref.version != first.version
    assert window.decision["reference"]["version"] == manifest["version"]
    assert manifest["version"] in window.statusBar().currentMessage()
