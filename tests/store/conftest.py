"""Fixtures: a fresh registry file per test in tmp_path, a fixed `now`, case builders."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from desktop.store import open_registry

from .support import NOW


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "registry.sqlite"


@pytest.fixture
def registry(db_path):
    reg = open_registry(db_path, now=NOW)
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
