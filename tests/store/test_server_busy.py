"""One desk frozen in an open transaction on the server (issue 19, item 9): the others wait a
bounded time and are told "сервер занят другим окном" (ServerBusy), nothing lost; the frozen
session is cut off after the idle-in-transaction limit and the others go on."""

from __future__ import annotations

import time

import pytest

from desktop.store import backend, open_registry

from .support import NOW, make_case

pytestmark = pytest.mark.postgresql


@pytest.fixture
def short_limits(monkeypatch):
    monkeypatch.setattr(backend, "LOCK_TIMEOUT_MS", 500)
    monkeypatch.setattr(backend, "IDLE_IN_TRANSACTION_MS", 2000)


def _freeze(registry):
    """A desk that took the audit chain's lock and then hung inside its transaction."""
    connection = registry.engine.connect()
    connection.begin()
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({backend.AUDIT_LOCK})")
    return connection


def test_a_desk_waiting_for_a_frozen_one_is_told_the_server_is_busy(pg_url, tmp_path,
                                                                     monkeypatch, short_limits):
    """While the frozen desk holds the audit lock, a save waits LOCK_TIMEOUT_MS and raises
    ServerBusy (bilingual, "занят другим окном"), nothing stored; once the frozen session is
    cut off (idle in transaction), the same save, tried again, is stored."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(pg_url, now=NOW) as frozen_desk, open_registry(pg_url, now=NOW) as desk:
        frozen = _freeze(frozen_desk)
        started = time.monotonic()
        with pytest.raises(backend.ServerBusy) as caught:
            desk.save_patient(make_case("Ждущий"), user="u", now=NOW)
        assert time.monotonic() - started < 5
        assert "занят другим окном" in caught.value.ru and "busy" in caught.value.en
        assert desk.search("Ждущий") == []
        time.sleep(3)          # past the idle-in-transaction limit: the server ends it
        pid = desk.save_patient(make_case("Ждущий"), user="u", now=NOW)
        assert desk.get_patient(pid) is not None and desk.verify_audit()["ok"]
        try:
            frozen.close()
        except Exception:  # noqa: BLE001 - its session is gone, as intended
            pass
