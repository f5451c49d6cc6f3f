"""The clinic's release travels with the registry on the command line: `backup` and `restore`
on the server, `registry copy` from a desk to the server and back (real processes, real
PostgreSQL server)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgresql


def run(args, db, tmp_path):
    env = dict(os.environ, POLYCLINIC_DB=str(db), XDG_DATA_HOME=str(tmp_path / "data"),
               POLYCLINIC_PASSWORD="pw-admin-secret", POLYCLINIC_NEW_PASSWORD="pw-admin-secret")
    return subprocess.run([sys.executable, "-m", "desktop", *args], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=180)


def ok(args, db, tmp_path):
    p = run(args, db, tmp_path)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout) if p.stdout.strip() else None


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """A package of a newer release (issued 2026-12-15), signed with the development key."""
    from release_helpers import newer_release

    from desktop.core.refdata import load_reference
    from desktop.core.refpackage import build_package

    d = tmp_path_factory.mktemp("pkg")
    release = newer_release(d)
    build_package(release, d / "update.zip", (ROOT / "db" / "keys" / "dev-publisher.pem").read_bytes())
    return d / "update.zip", load_reference(release).version


def in_force(db, tmp_path) -> str:
    """The version `refdata list` shows as the one in force."""
    return next(r["version"] for r in ok(["refdata", "list"], db, tmp_path) if r["active"])


def test_a_clinic_moves_to_the_server_and_back_with_its_release(pg_url, tmp_path, package):
    """A desk's imported release is in force on the server after `registry copy`, again after
    a server backup, a rollback and `restore`, and on a desk after copying the server back."""
    pkg, version = package
    desk = tmp_path / "desk.sqlite"
    ok(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], desk, tmp_path)
    ok(["refdata", "import", str(pkg), "--user", "admin"], desk, tmp_path)
    copied = ok(["registry", "copy", str(desk), pg_url], desk, tmp_path)
    assert copied["tables"]["refdata_release"]["rows"] == 2
    assert in_force(pg_url, tmp_path) == version
    ok(["backup", str(tmp_path / "b.sqlite"), "--user", "admin"], pg_url, tmp_path)
    ok(["refdata", "rollback", "--user", "admin"], pg_url, tmp_path)
    assert in_force(pg_url, tmp_path) != version
    ok(["restore", str(tmp_path / "b.sqlite"), "--user", "admin"], pg_url, tmp_path)
    assert in_force(pg_url, tmp_path) == version
    ok(["registry", "copy", pg_url, str(tmp_path / "back.sqlite")], desk, tmp_path)
    back = ok(["refdata", "list"], tmp_path / "back.sqlite", tmp_path)
    assert [r["active"] for r in back] == [False, True] and back[1]["version"] == version


def test_a_backup_with_an_altered_release_is_refused_by_restore(pg_url, tmp_path, package):
    """`restore` of a backup whose release bytes were changed: exit 1 naming the release, no
    traceback, and the server keeps its release in force."""
    pkg, version = package
    ok(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], pg_url, tmp_path)
    ok(["refdata", "import", str(pkg), "--user", "admin"], pg_url, tmp_path)
    ok(["backup", str(tmp_path / "b.sqlite"), "--user", "admin"], pg_url, tmp_path)
    con = sqlite3.connect(tmp_path / "b.sqlite")
    content = con.execute("SELECT content FROM refdata_release WHERE version = ?",
                          (version,)).fetchone()[0]
    con.execute("UPDATE refdata_release SET content = ? WHERE version = ?",
                (content[:-16] + b"\0" * 16, version))
    con.commit()
    con.close()
    ok(["refdata", "rollback", "--user", "admin"], pg_url, tmp_path)
    p = run(["restore", str(tmp_path / "b.sqlite"), "--user", "admin"], pg_url, tmp_path)
    assert p.returncode == 1 and version in p.stderr and "SHA-256" in p.stderr
    assert "Traceback" not in p.stderr
    assert in_force(pg_url, tmp_path) != version


def test_the_desk_role_may_not_copy_or_restore_into_the_server(pg_url, pg_server, tmp_path):
    """`registry copy` and `restore` through the desk role's URL: exit 3 asking for the owner's
    URL, no traceback, the server unchanged."""
    from release_helpers import desk_role

    desk = tmp_path / "desk.sqlite"
    ok(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], desk, tmp_path)
    ok(["users", "add", "admin", "--full-name", "Админ", "--role", "admin"], pg_url, tmp_path)
    ok(["backup", str(tmp_path / "b.sqlite"), "--user", "admin"], pg_url, tmp_path)
    with desk_role(pg_server, pg_url) as desk_url:
        for args in (["registry", "copy", str(desk), desk_url],
                     ["restore", str(tmp_path / "b.sqlite"), "--user", "admin"]):
            p = run(args, desk_url, tmp_path)
            assert p.returncode == 3, p.stderr
            assert "owner" in p.stderr and "владельца" in p.stderr
            assert "Traceback" not in p.stderr
    assert [u["login"] for u in ok(["users", "list", "--user", "admin"], pg_url, tmp_path)] \
        == ["admin"]
