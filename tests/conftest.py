"""Shared fixtures: the reference data compiled from db/sources into a temporary folder."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the audit keys of the registries the tests make (desktop/store/auditkey.py): a folder of the
# test run, shared with the command-line runs it starts, never the user's configuration folder
if not os.environ.get("POLYCLINIC_AUDIT_KEYS"):
    import tempfile

    os.environ["POLYCLINIC_AUDIT_KEYS"] = tempfile.mkdtemp(prefix="polyclinic-audit-keys-")


@pytest.fixture(scope="session")
def reference_file(tmp_path_factory) -> Path:
    from desktop.core.refbuild import build_reference

    out = tmp_path_factory.mktemp("refdata") / "reference.sqlite"
    build_reference(ROOT / "db" / "sources", out)
    return out


@pytest.fixture(scope="session")
def ref(reference_file):
    from desktop.core.refdata import load_reference

    return load_reference(reference_file)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes():
    """Accounts made by fixtures hash at scrypt N=2^12, not the shipped 2^17 (2-3 s a hash
    on a busy 2-core machine); tests/store/test_passwords.py checks the shipped cost, and
    command-line runs in subprocesses always use it."""
    from desktop.store.registry import Registry

    shipped = Registry.password_log2n
    Registry.password_log2n = 12
    yield
    Registry.password_log2n = shipped


# --- a real PostgreSQL server (tests/pgserver.py) ------------------------------------------------

def pytest_configure(config):
    config.addinivalue_line("markers", "postgresql: needs the PostgreSQL server the tests start")
    config.addinivalue_line("markers", "sqlite_only: a behaviour of the SQLite file backend only")


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL server for the session; skipped (saying why) when it cannot start,
    except in CI, where the PostgreSQL tests must run."""
    from pgserver import start_or_skip

    server = start_or_skip()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty UTF-8 database on the test server; dropped afterwards."""
    url = pg_server.new_database()
    yield url
    pg_server.drop_database(url)
