"""The clinic's reference release on the command line: an administrator's import at one desk
is what another desk's next `decide` uses, on a server and on one PC's file (real processes)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from release_helpers import newer_sources

ROOT = Path(__file__).resolve().parents[2]
CASE = {"as_of": "2026-11-22", "person": {"iin": "791028302728", "surname": "Иванов",
                                          "given_name": "Иван", "birth_date": "1979-10-28",
                                          "sex": "male", "citizenship": "KZ"},
        "documents": [{"kind": "id_card_kz", "number": "041234567"}], "needs": "attachment"}


def run(args, db, data: Path, cwd: Path, stdin=None):
    """One desk's command: its own data folder (its own release cache)."""
    env = dict(os.environ, POLYCLINIC_DB=str(db), XDG_DATA_HOME=str(data),
               POLYCLINIC_PASSWORD="pw-admin-secret", POLYCLINIC_NEW_PASSWORD="pw-admin-secret")
    return subprocess.run([sys.executable, "-m", "desktop", *args], input=stdin,
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=180)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A package of a newer release (issued 2026-12-15), signed with the development key."""
    from desktop.core.refbuild import build_reference
    from desktop.core.refdata import load_reference
    from desktop.core.refpackage import build_package

    d = tmp_path_factory.mktemp("pkg")
    newer_sources(d / "src", "2026-12-15")
    build_reference(d / "src", d / "newer.sqlite")
    build_package(d / "newer.sqlite", d / "update.zip", (ROOT / "db" / "keys" / "dev-publisher.pem").read_bytes())
    return d / "update.zip", load_reference(d / "newer.sqlite").version


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db(request, tmp_path):
    location = tmp_path / "registry.sqlite" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    p = run(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], location,
            tmp_path / "desk-a", tmp_path)
    assert p.returncode == 0, p.stderr
    return location


def decided_with(db, data: Path, cwd: Path) -> str:
    p = run(["decide", "-"], db, data, cwd, stdin=json.dumps(CASE, ensure_ascii=False))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["reference"]["version"]


def test_an_import_at_desk_a_is_what_desk_b_decides_with(db, tmp_path, package):
    """Desk A imports a package; desk B's next decision uses it; a rollback at A returns B too."""
    pkg, version = package
    before = decided_with(db, tmp_path / "desk-b", tmp_path)
    p = run(["refdata", "import", str(pkg), "--user", "admin"], db, tmp_path / "desk-a", tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"version": version, "previous": before}
    assert decided_with(db, tmp_path / "desk-b", tmp_path) == version
    p = run(["refdata", "rollback", "--user", "admin"], db, tmp_path / "desk-a", tmp_path)
    assert p.returncode == 0, p.stderr
    assert decided_with(db, tmp_path / "desk-b", tmp_path) == before


@pytest.mark.postgresql
def test_a_desk_role_import_is_refused_and_changes_nothing(pg_url, pg_server, tmp_path, package):
    """`refdata import` through the desk role's URL: exit 3 naming the owner's URL; nothing switched."""
    import psycopg

    from desktop.store.server import grant_desk

    pkg, _ = package
    p = run(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], pg_url,
            tmp_path / "desk-a", tmp_path)
    assert p.returncode == 0, p.stderr
    before = decided_with(pg_url, tmp_path / "desk-a", tmp_path)
    database = pg_url.rsplit("/", 1)[1]
    role = f"desk_{database[-12:]}"
    with pg_server.admin() as con:
        con.execute(f"CREATE ROLE {role} LOGIN")
    with psycopg.connect(pg_url, autocommit=True) as con:
        grant_desk(con, database=database, owner="postgres", desk=role)
    desk_url = pg_server.url(database, user=role)
    try:
        p = run(["refdata", "import", str(pkg), "--user", "admin"], desk_url, tmp_path / "desk-b", tmp_path)
        assert p.returncode == 3 and "владельца" in p.stderr and "Traceback" not in p.stderr
        assert decided_with(desk_url, tmp_path / "desk-b", tmp_path) == before
    finally:
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute(f"DROP OWNED BY {role}")
        with pg_server.admin() as con:
            con.execute(f"DROP ROLE {role}")
