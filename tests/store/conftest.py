"""Fixtures: a fresh registry per test — an SQLite file in tmp_path, and the same tests again on
a fresh database of the PostgreSQL server the tests start (`backend` parameter) —, a fixed
`now`, case builders.

Tests that are about the SQLite file itself (they use `db_path`, or carry the `sqlite_only`
marker) run on SQLite only.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from desktop.store import open_registry

from .support import NOW


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        sqlite_only = ("db_path" in metafunc.fixturenames
                       or metafunc.definition.get_closest_marker("sqlite_only") is not None)
        params = ["sqlite"] if sqlite_only else [
            "sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
        metafunc.parametrize("backend", params)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "registry.sqlite"


@pytest.fixture
def db_location(backend, tmp_path, request, monkeypatch):
    """Where the test's registry lives: a file path, or a `postgresql://` URL (its desk's local
    folder under tmp_path, not the user's data folder)."""
    if backend == "sqlite":
        return tmp_path / "registry.sqlite"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return request.getfixturevalue("pg_url")


@pytest.fixture
def registry(db_location):
    reg = open_registry(db_location, now=NOW)
    yield reg
    reg.close()


@pytest.fixture
def admin(registry) -> str:
    registry.create_user("admin", "admin-secret-1", full_name="Старшая Регистраторша",
                         role="admin", now=NOW)
    return "admin"


@pytest.fixture
def registrar(registry, admin) -> str:
    registry.create_user("reg", "reg-secret-1", full_name="Регистратор", role="registrar",
                         now=NOW, actor=admin)
    return "reg"
