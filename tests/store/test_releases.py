"""One rules version for the clinic: the release in force lives on the server (an SQLite
registry keeps it beside the file); an import or rollback at one desk is what the other desk
decides with at its next decision."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from release_helpers import newer_release, trusted_keys

from desktop.core.refdata import load_reference
from desktop.core.refpackage import build_package
from desktop.store import PermissionDenied, open_registry
from desktop.store.releases import DeskReleases, cached

from .support import NOW


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """A trusted key folder and a signed package of a newer release (issued 2026-12-15)."""
    d = tmp_path_factory.mktemp("signed")
    trusted, pem = trusted_keys(d)
    newer = newer_release(d, "2026-12-15", "newer")
    pkg = d / "update.zip"
    build_package(newer, pkg, pem)
    return {"keys": trusted, "package": pkg, "version": load_reference(newer).version}


def desk(location, tmp_path: Path, name: str):
    """One desk: its own Registry (own connections) and, on a server, its own local cache."""
    registry = open_registry(location, now=NOW)
    local = registry.path if not registry.location.is_server else tmp_path / name / "registry"
    return registry, DeskReleases(registry, local)


def test_an_import_at_one_desk_is_used_by_the_others_next_decision(db_location, tmp_path, signed,
                                                                   reference_file, ref):
    """Desk B starts on the bundled release; after desk A imports, B's next check gives the new one."""
    a, rel_a = desk(db_location, tmp_path, "a")
    b, rel_b = desk(db_location, tmp_path, "b")
    with a, b:
        assert rel_a.start(reference_file, now=NOW).version == ref.version
        assert rel_b.start(reference_file, now=NOW).version == ref.version
        assert rel_b.check() is None  # nothing switched: B keeps what it has
        result = rel_a.import_package(signed["package"], signed["keys"], user="admin", now=NOW,
                                      today=NOW.date())
        assert (result.version, result.previous) == (signed["version"], ref.version)
        switched = rel_b.check()
        assert switched is not None and switched.version == signed["version"]
        assert rel_b.check() is None  # taken up once


def test_a_rollback_at_one_desk_is_used_by_the_others_next_decision(db_location, tmp_path, signed,
                                                                    reference_file, ref):
    """After desk A rolls back, desk B's next check returns to the previous release."""
    a, rel_a = desk(db_location, tmp_path, "a")
    b, rel_b = desk(db_location, tmp_path, "b")
    with a, b:
        rel_a.start(reference_file, now=NOW)
        rel_a.import_package(signed["package"], signed["keys"], user="admin", now=NOW,
                             today=NOW.date())
        assert rel_b.start(reference_file, now=NOW).version == signed["version"]
        assert rel_a.rollback(user="admin", now=NOW).version == ref.version
        switched = rel_b.check()
        assert switched is not None and switched.version == ref.version
        assert [r["active"] for r in rel_b.listing()] == [True, False]


@pytest.fixture
def server(pg_url, tmp_path, monkeypatch):
    """A fresh database on the test server (the desk's data folder under tmp_path)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return pg_url


@pytest.mark.postgresql
def test_a_corrupted_cached_release_is_fetched_again(server, tmp_path, reference_file, ref):
    """A cached release whose SHA-256 differs from the server's is never used: it is fetched again."""
    registry, releases = desk(server, tmp_path, "a")
    with registry:
        releases.start(reference_file, now=NOW)
        sha = releases.watch.sha256
        path = cached(releases.local, sha)
        path.write_bytes(path.read_bytes()[:-100] + b"\0" * 100)
        again = DeskReleases(registry, releases.local).start(reference_file, now=NOW)
        assert again.version == ref.version
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha


def ref_issued(reference_file) -> str:
    """The issued date of the bundled release (the first one a server holds)."""
    return load_reference(reference_file).issued.isoformat()


@pytest.mark.postgresql
def test_the_server_keeps_who_published_which_release(server, tmp_path, signed, reference_file):
    """The server keeps every release's bytes, version, hash, issued date, who and when."""
    import sqlalchemy as sa

    registry, releases = desk(server, tmp_path, "a")
    with registry:
        releases.start(reference_file, now=NOW)
        releases.import_package(signed["package"], signed["keys"], user="admin", now=NOW,
                                today=NOW.date())
        with registry.engine.connect() as c:
            rows = c.execute(sa.text("SELECT version, issued, sha256, size, added_by, added_at, "
                                     "content FROM refdata_release ORDER BY issued")).all()
            active = c.execute(sa.text("SELECT version, switched_by FROM refdata_active")).one()
    assert [(r.added_by, r.issued) for r in rows] == [("system", ref_issued(reference_file)), ("admin", "2026-12-15")]
    assert all(hashlib.sha256(r.content).hexdigest() == r.sha256 and len(r.content) == r.size
               for r in rows)
    assert tuple(active) == (signed["version"], "admin")


@pytest.mark.postgresql
def test_a_desk_role_cannot_change_the_release_in_force(server, tmp_path, signed, reference_file,
                                                        pg_server):
    """A connection as the desk role reads the releases but cannot import, roll back or write them."""
    import psycopg

    from desktop.store.server import grant_desk

    owner, rel_owner = desk(server, tmp_path, "owner")
    with owner:
        rel_owner.start(reference_file, now=NOW)
    database = server.rsplit("/", 1)[1]
    role = f"desk_{database[-12:]}"
    with pg_server.admin() as con:
        con.execute(f"CREATE ROLE {role} LOGIN")
    with psycopg.connect(server, autocommit=True) as con:
        grant_desk(con, database=database, owner="postgres", desk=role)
    desk_url = pg_server.url(database, user=role)
    registry, releases = desk(desk_url, tmp_path, "desk")
    with registry:
        assert releases.start(reference_file, now=NOW).version  # reading is allowed
        with pytest.raises(PermissionDenied):
            releases.import_package(signed["package"], signed["keys"], user="admin", now=NOW,
                                    today=NOW.date())
        assert [r["active"] for r in releases.listing()] == [True]
    with psycopg.connect(desk_url, autocommit=True) as con:
        for statement in ("UPDATE refdata_active SET version = 'x'", "DELETE FROM refdata_active",
                          "DELETE FROM refdata_release", "TRUNCATE refdata_release",
                          "INSERT INTO refdata_release VALUES ('x', 'x', 'x', 1, 'x', 'x', 'x')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)
    with pg_server.admin() as con:  # the role owns nothing: dropped after its privileges
        con.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM {role}")
    with psycopg.connect(server, autocommit=True) as con:
        con.execute(f"DROP OWNED BY {role}")
    with pg_server.admin() as con:
        con.execute(f"DROP ROLE {role}")
