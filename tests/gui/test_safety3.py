"""Data safety, third pass (issue 19) at the desk: small items."""
from __future__ import annotations

import pytest


@pytest.fixture
def registry(request, tmp_path, clock, monkeypatch):
    """The window's registry: a file, or (tests marked `postgresql`) a database on the test
    server, opened with short lock limits."""
    from desktop.store import backend, open_registry

    if request.node.get_closest_marker("postgresql") is None:
        reg = open_registry(tmp_path / "registry.sqlite", now=clock.now())
    else:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        monkeypatch.setattr(backend, "LOCK_TIMEOUT_MS", 500)
        monkeypatch.setattr(backend, "IDLE_IN_TRANSACTION_MS", 2000)
        reg = open_registry(request.getfixturevalue("pg_url"), now=clock.now())
    yield reg
    reg.close()


@pytest.mark.parametrize("stored", ["1000000000000", "1e400", "-5", "nonsense"])
def test_a_huge_or_odd_inactivity_lock_is_clamped_at_sign_in(qtbot, settings, make_window, stored):
    """A lock timeout edited by hand in the settings file (a trillion minutes, an overflowing
    float, a negative or non-numeric value): signing in works and the timer runs with a value
    between one minute and a day, never an OverflowError."""
    from desktop.gui.settings import MAX_LOCK_MINUTES

    settings._q.setValue("lock_minutes", stored)   # as read back from a hand-edited file
    window = make_window("admin")
    assert window.lock_timer.isActive()
    assert 60_000 <= window.lock_timer.interval() <= MAX_LOCK_MINUTES * 60_000
    if stored == "1000000000000":
        assert window.lock_timer.interval() == MAX_LOCK_MINUTES * 60_000


def test_a_save_into_a_deleted_registry_file_is_refused_and_the_card_kept(qtbot, window, tmp_path):
    """The registry file deleted by another program while the desk is open: Save says so in
    words (not «Сохранено»), returns False, and the card stays on screen to be saved later."""
    import os

    from tests.gui.conftest import case_of

    case = case_of("p04")
    window.form.set_case(case)
    window.dirty = True
    assert window.save()
    for suffix in ("", "-wal", "-shm"):
        path = str(tmp_path / "registry.sqlite") + suffix
        if os.path.exists(path):
            os.unlink(path)
    window.form.set_case(dict(case, person=dict(case["person"], given_name="Другой")))
    window.dirty = True
    assert window.save() is False
    assert "удалён другой программой" in window.questions[-1]
    assert "удалён" in window.statusBar().currentMessage()
    assert window.dirty and window.form.case()["person"]["given_name"] == "Другой"


@pytest.mark.postgresql
def test_a_desk_behind_a_frozen_one_says_the_server_is_busy_and_saves_by_itself(
        qtbot, window, registry, monkeypatch):
    """Another desk hung inside a transaction holding the audit lock: Save says «Сервер занят
    другим окном», keeps the card and tries again by itself; once the server has cut the frozen
    session off, the card is stored without the registrar doing anything."""
    from desktop.store import backend, open_registry

    from tests.gui.conftest import NOW, case_of

    monkeypatch.setattr(type(window), "BUSY_RETRY_MS", 1500)
    other = open_registry(registry.location.url, now=NOW)
    frozen = other.engine.connect()
    frozen.begin()
    frozen.exec_driver_sql(f"SELECT pg_advisory_xact_lock({backend.AUDIT_LOCK})")
    try:
        window.form.set_case(case_of("p04"))
        window.dirty = True
        assert window.save() is False
        assert "Сервер занят другим окном" in window.statusBar().currentMessage()
        assert window.dirty and window.patient_id is None
        assert not window.link.banner.isVisible()        # not a lost connection
        qtbot.waitUntil(lambda: not window.dirty, timeout=20000)
        assert window.patient_id is not None
        assert registry.search("Тестов")[0].id == window.patient_id
    finally:
        try:
            frozen.close()
        except Exception:  # noqa: BLE001 - the server ended that session, as it should
            pass
        other.close()
