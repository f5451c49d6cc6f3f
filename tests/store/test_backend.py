"""The backend layer: `--db` locations, the server's checks at connect, network shares."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from desktop.store import RegistryError, open_registry
from desktop.store.backend import network_share, parse_location, refuse_network_share

from .support import NOW, make_case


def test_a_file_path_stays_a_file():
    """A --db path is an SQLite file, exactly as before."""
    location = parse_location("data/registry.sqlite")
    assert location.kind == "sqlite" and location.path == Path("data/registry.sqlite")


def test_a_postgresql_url_is_a_server_and_its_password_is_hidden():
    """A postgresql:// URL is the clinic's server; messages show it without the password."""
    location = parse_location("postgresql://desk:s3cret@server:5433/polyclinic")
    assert location.is_server
    assert "s3cret" not in location.display and "server:5433/polyclinic" in location.display


def test_a_server_url_keeps_its_local_folder_under_the_data_folder(tmp_path, monkeypatch):
    """Reference data of a server registry live in the desk's data folder, not in a folder
    named 'postgresql:' in the working directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    local = parse_location("postgresql://desk@server/polyclinic").local_path
    assert local.is_relative_to(tmp_path) and "postgresql:" not in str(local)


def test_audit_rows_cannot_be_changed_or_deleted_on_either_backend(registry):
    """The audit log is append-only on SQLite and on PostgreSQL (migration 0002's trigger)."""
    registry.log(user="admin", action="view", obj="patient:1", now=NOW)
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with registry.engine.begin() as connection:
                connection.exec_driver_sql(statement)
    assert registry.audit_entries()[0].action == "view"


def test_document_numbers_count_up_on_either_backend(registry):
    """The number upsert works on both backends: 1, 2, 3 within a year, 1 in the next."""
    numbers = [registry.next_document_number(2026, NOW) for _ in range(3)]
    assert numbers == ["2026-000001", "2026-000002", "2026-000003"]
    assert registry.next_document_number(2027, NOW) == "2027-000001"


def test_a_second_patient_with_the_same_iin_is_a_conflict_not_a_double(registry):
    """Saving an ИИН held by another patient is refused with a message; one patient stays."""
    first = registry.save_patient(make_case(iin="791028302728"), user="reg", now=NOW)
    other = registry.save_patient(make_case(surname="Петров"), user="reg", now=NOW)
    from desktop.store import Conflict

    with pytest.raises(Conflict, match="791028302728"):
        registry.save_patient(make_case(surname="Петров", iin="791028302728"), user="reg",
                              now=NOW, patient_id=other)
    assert [p.id for p in registry.search("791028302728")] == [first]


@pytest.mark.postgresql
def test_a_database_that_is_not_utf8_is_refused(pg_server):
    """A server database in another encoding is refused at connect, naming UTF-8."""
    with pg_server.admin() as con:
        con.execute("CREATE DATABASE latin TEMPLATE template0 ENCODING 'SQL_ASCII' "
                    "LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        with pytest.raises(RegistryError, match="UTF-8"):
            open_registry(pg_server.url("latin"), now=NOW)
    finally:
        pg_server.drop_database(pg_server.url("latin"))


@pytest.mark.postgresql
def test_an_unreachable_server_is_a_message(pg_server):
    """A server that does not answer is a RegistryError naming the server, not a traceback."""
    with pytest.raises(RegistryError, match="недоступен") as info:
        open_registry("postgresql://postgres@127.0.0.1:1/polyclinic", now=NOW)
    assert "127.0.0.1:1/polyclinic" in str(info.value)


@pytest.mark.postgresql
def test_a_database_with_foreign_tables_is_refused(pg_url):
    """A server database holding someone else's tables is not taken over."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE TABLE accounts (id int)")
    with pytest.raises(RegistryError, match="not a registry"):
        open_registry(pg_url, now=NOW)


MOUNTS = """\
sysfs /sys sysfs rw 0 0
/dev/sda1 / ext4 rw 0 0
//fileserver/clinic {share} cifs rw,vers=3.0 0 0
server:/export {nfs} nfs4 rw 0 0
"""


@pytest.mark.sqlite_only
def test_a_registry_file_on_a_cifs_share_is_refused(tmp_path):
    """A registry file on an SMB/CIFS mount is refused, pointing at the server setup."""
    mounts = MOUNTS.format(share=tmp_path / "share", nfs="/mnt/nfs")
    (tmp_path / "share").mkdir()
    with pytest.raises(RegistryError, match="server init"):
        refuse_network_share(tmp_path / "share" / "registry.sqlite", mounts=mounts)


@pytest.mark.sqlite_only
def test_a_registry_file_on_nfs_is_refused(tmp_path):
    """NFS is a network share too."""
    mounts = MOUNTS.format(share="/mnt/smb", nfs=tmp_path)
    assert network_share(tmp_path / "sub" / "registry.sqlite", mounts=mounts) == "nfs4"


@pytest.mark.sqlite_only
def test_a_unc_path_is_a_network_share():
    r"""A Windows UNC path (\\server\share\...) is a network share."""
    assert network_share(Path(r"\\fileserver\clinic\registry.sqlite")) == "UNC"


@pytest.mark.sqlite_only
def test_a_local_file_is_not_a_network_share(tmp_path):
    """A file on a local disk (this machine's real mount table) opens as before."""
    assert network_share(tmp_path / "registry.sqlite") is None
    open_registry(tmp_path / "registry.sqlite", now=NOW).close()


def test_polyclinic_db_may_name_the_server(monkeypatch):
    """POLYCLINIC_DB=postgresql://… selects the server as text, not a folder path."""
    from desktop.paths import default_db, local_path

    monkeypatch.setenv("POLYCLINIC_DB", "postgresql://desk@server/polyclinic")
    assert default_db() == "postgresql://desk@server/polyclinic"
    assert local_path(default_db()).name == "registry"
    monkeypatch.setenv("POLYCLINIC_DB", "some/registry.sqlite")
    assert default_db() == Path("some/registry.sqlite")


@pytest.mark.postgresql
def test_a_server_error_is_named_as_the_server_and_is_not_damage(pg_url, tmp_path, monkeypatch):
    """A statement the server refuses mid-work is a RegistryError naming the server; the desk
    is not marked damaged and its next writes go through."""
    import psycopg

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(pg_url, now=NOW) as registry:
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute("ALTER TABLE patient_document RENAME TO patient_document_away")
        with pytest.raises(RegistryError) as info:
            registry.worklist(NOW.date(), 30)
        assert "сервер" in str(info.value).lower() and "damaged" not in str(info.value)
        assert registry.damaged is None
        registry.log(user="reg", action="view", obj="patient:1", now=NOW)
        assert registry.audit_entries(action="view")


@pytest.mark.postgresql
def test_a_server_desks_leftover_private_copies_are_removed_at_start(pg_url, tmp_path,
                                                                      monkeypatch):
    """A working copy an interrupted restore or encrypted backup left in the desk's local
    folder (its process gone) is removed when the desk next opens the server."""
    from desktop.store.backend import parse_location

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    anchor = parse_location(pg_url).local_path
    anchor.parent.mkdir(parents=True)
    gone = anchor.with_name(anchor.name + ".restore.tmp-999999999-abcd1234")
    gone.write_bytes(b"patient data")
    open_registry(pg_url, now=NOW).close()
    assert not gone.exists()
