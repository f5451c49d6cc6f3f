"""The clinic's reference releases travel with the registry: a server's backup holds them and
`restore` puts them back, `registry copy` carries a desk's folder releases to the server and
the server's back to a desk's folder, each release checked against its SHA-256 on the way in,
and only the server's owner role may write them (real server, real files)."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

from desktop.core.refdata import load_reference
from desktop.core.refinstall import active_path, ensure_reference, install, installed
from desktop.core.refpackage import rollback
from desktop.store import PermissionDenied, RegistryError, open_registry, restore
from desktop.store import backups
from desktop.store.backend import parse_location, prepare
from desktop.store.releases import (TRANSFER_DENIED, active, listing, publish, rollback_on_server,
                                    server_reference)
from desktop.store.transfer import copy_registry, restore_server

from .support import NOW, make_case


@pytest.fixture(scope="module")
def newer(tmp_path_factory):
    """A release issued 2026-12-15, after the bundled one."""
    from release_helpers import newer_release

    return newer_release(tmp_path_factory.mktemp("newer"))


@pytest.fixture
def server(pg_url, tmp_path, monkeypatch):
    """A fresh database on the test server (the desk's data folder under tmp_path)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return pg_url


def engine_of(url):
    """A migrated engine on the server registry at `url`."""
    return prepare(parse_location(url))[0]


def clinic_server(url, reference_file, newer) -> list[dict]:
    """A server on which the clinic switched from the bundled release to the newer one, with
    an administrator and a patient; returns its release listing."""
    with open_registry(url, now=NOW) as registry:
        registry.create_user("admin", "pw-admin-secret", full_name="Админ", role="admin", now=NOW)
        registry.save_patient(make_case(), user="admin", now=NOW)
        publish(registry.engine, reference_file, user="server-init", now=NOW)
        publish(registry.engine, newer, user="admin", now=NOW)
        return listing(registry.engine)


def desk_with_newer(path, reference_file, newer):
    """A single desk that started on the bundled release and then imported the newer one."""
    with open_registry(path, now=NOW) as registry:
        registry.create_user("admin", "pw-admin-secret", full_name="Админ", role="admin", now=NOW)
        registry.save_patient(make_case(), user="admin", now=NOW)
    ensure_reference(path, reference_file)
    install(path, newer)
    return path


def counts(path, table) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


@pytest.mark.postgresql
def test_restoring_the_server_from_its_backup_keeps_the_release_in_force(server, tmp_path,
                                                                         reference_file, newer):
    """Backup, a rollback, restore: the backup's release is in force again with the same list
    (who added which, when), and the owner's next start keeps it instead of the bundled one."""
    before = clinic_server(server, reference_file, newer)
    with open_registry(server, now=NOW) as registry:
        backups.backup(registry, tmp_path / "b.sqlite", actor="admin", now=NOW)
        rollback_on_server(registry.engine, user="admin", now=NOW)
        assert active(registry.engine)[1] == load_reference(reference_file).version
        restore(tmp_path / "b.sqlite", registry.location, now=NOW)
        assert listing(registry.engine) == before
        ref, _ = server_reference(registry.engine, tmp_path / "owner" / "registry",
                                  reference_file, now=NOW)
    assert ref.version == load_reference(newer).version
    assert (counts(tmp_path / "b.sqlite", "refdata_release"),
            counts(tmp_path / "b.sqlite", "refdata_active")) == (2, 1)


@pytest.mark.postgresql
def test_a_desk_moves_to_the_server_and_back_with_its_release_in_force(server, tmp_path,
                                                                       reference_file, newer):
    """SQLite → server (where `server init` put the bundled release) → SQLite: the desk's
    release in force and its earlier one arrive on the server, and back beside the new file as
    a single desk keeps them, so that a rollback still works there."""
    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    engine = engine_of(server)
    try:
        publish(engine, reference_file, user="server-init", now=NOW)  # what server init does
        result = copy_registry(desk, server)
        assert (result["refdata_release"]["rows"], result["refdata_active"]["rows"]) == (2, 1)
        assert active(engine)[1] == load_reference(newer).version
        assert [r["version"] for r in listing(engine)] == [r["version"] for r in installed(desk)]
    finally:
        engine.dispose()
    back = tmp_path / "back.sqlite"
    assert copy_registry(server, back) == result
    assert active_path(back).read_bytes() == newer.read_bytes()
    assert ensure_reference(back, reference_file).version == load_reference(newer).version
    assert counts(back, "refdata_release") == 0  # a desk's file keeps them in its folder
    assert rollback(back) == load_reference(reference_file).version


def test_a_desk_copied_to_another_file_keeps_its_release_in_force(tmp_path, reference_file,
                                                                  newer):
    """SQLite → SQLite: the releases and the one in force come along beside the new file."""
    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    copy_registry(desk, tmp_path / "other.sqlite")
    assert installed(tmp_path / "other.sqlite") == installed(desk)


@pytest.mark.postgresql
def test_a_desk_without_releases_leaves_the_servers_release(server, tmp_path, reference_file):
    """A file that never kept a release (no folder) copies without touching the release the
    server already has in force."""
    with open_registry(tmp_path / "bare.sqlite", now=NOW) as registry:
        registry.save_patient(make_case(), user="admin", now=NOW)
    engine = engine_of(server)
    try:
        publish(engine, reference_file, user="server-init", now=NOW)
        result = copy_registry(tmp_path / "bare.sqlite", server)
        assert "refdata_release" not in result
        assert [(r["added_by"], r["active"]) for r in listing(engine)] == [("server-init", True)]
    finally:
        engine.dispose()


@pytest.mark.postgresql
def test_restoring_a_backup_without_releases_keeps_the_servers(server, tmp_path, reference_file,
                                                               newer):
    """A desk's backup (no releases in it) replaces the registry, not the clinic's releases."""
    before = clinic_server(server, reference_file, newer)
    with open_registry(tmp_path / "desk.sqlite", now=NOW) as registry:
        registry.save_patient(make_case(surname="Петров"), user="x", now=NOW)
    with open_registry(server, now=NOW) as registry:
        restore(tmp_path / "desk.sqlite", registry.location, now=NOW)
        assert [p.surname for p in registry.search("Петров")] == ["Петров"]
        assert listing(registry.engine) == before


def tamper(path, version: str) -> None:
    """Change bytes of release `version` in the registry file `path`, keeping its SHA-256."""
    con = sqlite3.connect(path)
    try:
        content = con.execute("SELECT content FROM refdata_release WHERE version = ?",
                              (version,)).fetchone()[0]
        con.execute("UPDATE refdata_release SET content = ? WHERE version = ?",
                    (content[:-16] + b"\0" * 16, version))
        con.commit()
    finally:
        con.close()


@pytest.mark.postgresql
def test_a_backup_with_an_altered_release_is_refused_naming_it(server, tmp_path, reference_file,
                                                               newer):
    """A release whose bytes no longer match its SHA-256 stops the restore before anything
    changes; the message names the release."""
    version = load_reference(newer).version
    before = clinic_server(server, reference_file, newer)
    with open_registry(server, now=NOW) as registry:
        backups.backup(registry, tmp_path / "b.sqlite", actor="admin", now=NOW)
        registry.save_patient(make_case(surname="Петров"), user="admin", now=NOW)
    tamper(tmp_path / "b.sqlite", version)
    with open_registry(server, now=NOW) as registry:
        with pytest.raises(RegistryError, match=f"{version}.*SHA-256"):
            restore(tmp_path / "b.sqlite", registry.location, now=NOW)
        assert listing(registry.engine) == before
        assert len(registry.search("Петров")) == 1
    assert not list((tmp_path / "data").rglob("before-restore-*"))


@pytest.mark.postgresql
def test_a_desk_whose_release_file_was_altered_is_not_copied(server, tmp_path, reference_file,
                                                             newer):
    """A file in the desk's folder whose bytes do not match the hash in its name is refused,
    naming it; the server stays empty."""
    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    altered = active_path(desk)
    altered.write_bytes(altered.read_bytes()[:-16] + b"\0" * 16)
    with pytest.raises(RegistryError, match=altered.stem):
        copy_registry(desk, server)
    _assert_server_untouched(server)


@pytest.fixture
def desk_url(server, pg_server):
    """The server's database reached as a desk role, migrated first as server init does."""
    from release_helpers import desk_role

    engine_of(server).dispose()
    with desk_role(pg_server, server) as url:
        yield url


@pytest.mark.postgresql
def test_the_desk_role_may_not_restore_into_the_server(server, desk_url, tmp_path, reference_file,
                                                       newer):
    """Restore through a desk role's URL is refused with the owner's-URL message before
    anything changes (not even the copy kept aside is written)."""
    before = clinic_server(server, reference_file, newer)
    with open_registry(server, now=NOW) as registry:
        backups.backup(registry, tmp_path / "b.sqlite", actor="admin", now=NOW)
    engine = engine_of(desk_url)
    try:
        with pytest.raises(PermissionDenied) as refused:
            restore_server(tmp_path / "b.sqlite", engine, keep_aside=tmp_path / "aside.sqlite")
        assert str(refused.value) == TRANSFER_DENIED
        assert not (tmp_path / "aside.sqlite").exists()
        assert listing(engine) == before
    finally:
        engine.dispose()


@pytest.mark.postgresql
def test_the_desk_role_may_not_copy_into_the_server(server, desk_url, tmp_path, reference_file,
                                                    newer):
    """`registry copy` into the server through a desk role's URL is refused with the
    owner's-URL message; the server stays empty."""
    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    with pytest.raises(PermissionDenied) as refused:
        copy_registry(desk, desk_url)
    assert str(refused.value) == TRANSFER_DENIED
    _assert_server_untouched(server)


def test_a_desk_backup_brings_its_release_to_another_pc(tmp_path, reference_file, newer):
    """A desk's backup holds its releases; restored on another PC (the working copy adopted
    before it is moved in, as `restore` does) the new desk has the same releases and the same
    one in force, and its file keeps the release tables empty."""
    import os
    import shutil

    from desktop.store.transfer import adopt_desk_releases, backup_desk

    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    counted = backup_desk(desk, tmp_path / "b.sqlite")
    assert (counted["refdata_release"], counted["refdata_active"]) == (2, 1)
    target = tmp_path / "other-pc" / "registry.sqlite"
    target.parent.mkdir()
    work = tmp_path / "other-pc" / "restore.tmp"
    shutil.copyfile(tmp_path / "b.sqlite", work)
    adopt_desk_releases(work, target)
    os.replace(work, target)
    assert installed(target) == installed(desk)
    assert counts(target, "refdata_release") == 0
    with open_registry(target, now=NOW) as registry:
        assert len(registry.search("Иванов")) == 1


def test_a_desk_backup_without_releases_leaves_the_desks_folder(tmp_path, reference_file, newer):
    """A backup holding no releases (made before they were carried) does not touch the folder
    of the desk it is restored onto."""
    import shutil

    from desktop.store.registry import backup_database
    from desktop.store.transfer import adopt_desk_releases

    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    backup_database(desk, tmp_path / "old.sqlite")
    before = installed(desk)
    shutil.copyfile(tmp_path / "old.sqlite", tmp_path / "work.sqlite")
    adopt_desk_releases(tmp_path / "work.sqlite", desk)
    assert installed(desk) == before


def test_an_altered_release_in_a_desk_backup_is_refused(tmp_path, reference_file, newer):
    """Restoring a desk's backup whose release bytes were changed is refused naming the
    release; the desk's folder is as it was."""
    import shutil

    from desktop.store.transfer import adopt_desk_releases, backup_desk

    version = load_reference(newer).version
    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    backup_desk(desk, tmp_path / "b.sqlite")
    tamper(tmp_path / "b.sqlite", version)
    shutil.copyfile(tmp_path / "b.sqlite", tmp_path / "work.sqlite")
    target = tmp_path / "other.sqlite"
    with pytest.raises(RegistryError, match=f"{version}.*SHA-256"):
        adopt_desk_releases(tmp_path / "work.sqlite", target)
    assert installed(target) == []


@pytest.mark.postgresql
def test_a_desk_backup_restored_into_the_server_brings_its_release(server, tmp_path,
                                                                   reference_file, newer):
    """A clinic that restores a desk's backup into its server has the desk's release in force
    there (the backup's releases replace the bundled one)."""
    from desktop.store.transfer import backup_desk

    desk = desk_with_newer(tmp_path / "desk.sqlite", reference_file, newer)
    backup_desk(desk, tmp_path / "b.sqlite")
    engine = engine_of(server)
    try:
        publish(engine, reference_file, user="server-init", now=NOW)
        restore_server(tmp_path / "b.sqlite", engine)
        assert active(engine)[1] == load_reference(newer).version
        assert len(listing(engine)) == 2
    finally:
        engine.dispose()


def _assert_server_untouched(server):
    """No patient and no release on the server: the refused operation changed nothing."""
    engine = engine_of(server)
    try:
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM patient")).scalar() == 0
        assert listing(engine) == []
    finally:
        engine.dispose()
