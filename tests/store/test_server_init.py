"""`polyclinic server init` against a real cluster it creates in a temporary folder."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from desktop.store import open_registry

from .support import NOW, make_case

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def server(request, reference_file):
    """The cluster `server init` made (as the `postgres` user when root), stopped afterwards."""
    import shutil
    import subprocess

    from pgserver import as_server_user, free_port, pg_bin

    if not pg_bin("initdb"):
        request.getfixturevalue("pg_server")  # skips, saying why (or fails in CI)
    from desktop.store.server import server_init

    root = Path(tempfile.mkdtemp(prefix="polyclinic-init-"))
    root.chmod(0o755)
    try:
        result = server_init(data=root / "cluster", superuser_url=None, port=free_port(),
                             listen="127.0.0.1", allow="samenet", database="polyclinic",
                             owner="clinic_owner", desk="clinic_desk", host="127.0.0.1",
                             reference=reference_file, now=NOW)
    except Exception as exc:  # noqa: BLE001 - reported as the reason of the skip / failure
        import os

        if os.environ.get("CI"):
            raise
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"server init failed: {exc}")
    yield result
    subprocess.run(as_server_user([pg_bin("pg_ctl"), "-D", str(root / "cluster"), "-m", "fast",
                                   "-w", "stop"]), capture_output=True, timeout=60)
    shutil.rmtree(root, ignore_errors=True)


def _connect(url):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def test_the_desks_url_opens_a_working_registry(server, tmp_path, monkeypatch):
    """A desk pointed at the printed URL registers a patient and finds it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert server["desk_url"].startswith("postgresql://clinic_desk:")
    with open_registry(server["desk_url"], now=NOW) as registry:
        pid = registry.save_patient(make_case(iin="791028302728"), user="reg", now=NOW)
        assert [p.id for p in registry.search("791028302728")] == [pid]


def test_the_desk_role_cannot_change_or_delete_audit_rows(server, tmp_path, monkeypatch):
    """The desk role appends to the audit log but may not UPDATE (hash included), DELETE or
    TRUNCATE it, nor remove numbers, printouts or export batches."""
    import psycopg

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(server["desk_url"], now=NOW) as registry:
        registry.log(user="reg", action="view", obj="patient:1", now=NOW)
    with _connect(server["desk_url"]) as con:
        for statement in ("UPDATE audit_log SET action = 'x'", "UPDATE audit_log SET hash = 'x'",
                          "DELETE FROM audit_log", "TRUNCATE audit_log", "DROP TABLE patient",
                          "DELETE FROM document_number", "TRUNCATE document_sequence",
                          "DELETE FROM export_batch", "DELETE FROM printed_document"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)


def test_the_cluster_is_utf8_with_scram_passwords(server):
    """UTF-8 database, scram-sha-256 password hashing, a wrong password refused."""
    import psycopg

    with _connect(server["owner_url"]) as con:
        assert con.execute("SHOW server_encoding").fetchone()[0] == "UTF8"
        assert con.execute("SHOW password_encryption").fetchone()[0] == "scram-sha-256"
    wrong = server["desk_url"].replace("clinic_desk:", "clinic_desk:x", 1)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        _connect(wrong)


def test_the_cluster_listens_for_the_lan(server):
    """pg_hba lets the two roles in from the server's subnets with scram-sha-256 only."""
    hba = (Path(server["data"]) / "pg_hba.conf").read_text()
    assert "polyclinic    clinic_owner,clinic_desk    samenet    scram-sha-256" in hba
    assert "trust" not in [line.split()[-1] for line in hba.splitlines()
                           if line.strip() and not line.startswith("#")]


def test_an_existing_server_is_set_up_through_its_superuser(pg_server, tmp_path, monkeypatch):
    """--superuser-url (e.g. the Windows installer's server): database and roles are made
    there; the desk role works and cannot change the audit log; a second run is a message."""
    import psycopg

    from desktop.store.server import ServerSetupError, server_init

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    kw = dict(data=None, superuser_url=pg_server.url(), port=pg_server.port, listen="*",
              allow="samenet", database="existing", owner="ex_owner", desk="ex_desk",
              host="127.0.0.1")
    result = server_init(**kw)
    try:
        with open_registry(result["desk_url"], now=NOW) as registry:
            registry.log(user="reg", action="view", obj="patient:1", now=NOW)
        with _connect(result["desk_url"]) as con:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("DELETE FROM audit_log")
        with pytest.raises(ServerSetupError, match="already exists"):
            server_init(**kw)
    finally:
        pg_server.drop_database(pg_server.url("existing"))


def test_the_desk_role_works_the_safety_tables(server, tmp_path, monkeypatch):
    """Through the desk role: a number reserved and stored, a staged export finished, a stale
    save refused, and the audit chain verifies."""
    from desktop.store.registry import StaleRecord

    from .support import make_case, make_decision

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(server["desk_url"], now=NOW) as registry:
        registry.create_user("boss", "boss-pass-1", full_name="Б", role="admin", now=NOW)
        pid = registry.save_patient(make_case(iin="900505300013"), user="boss", now=NOW)
        registry.record_decision(pid, make_decision(), user="boss", now=NOW)
        number = registry.reserve_document_number(2026, NOW, kind="slip", user="boss")
        registry.store_printed(number, "slip", b"%PDF-1.4", lang="ru", user="boss", now=NOW,
                               patient_id=pid)
        result = registry.export_attachments(tmp_path / "e.csv", tmp_path / "e.json", now=NOW,
                                             user="boss")
        version = registry.get_patient(pid).version
        registry.save_patient(make_case(iin="900505300013", given_name="Пётр"), user="boss",
                              now=NOW, patient_id=pid, expected_version=version)
        with pytest.raises(StaleRecord):
            registry.save_patient(make_case(iin="900505300013"), user="boss", now=NOW,
                                  patient_id=pid, expected_version=version)
        assert result["count"] == 1 and registry.verify_audit()["ok"]
        assert [r.status for r in registry.document_numbers()] == ["stored"]


def test_the_desks_decide_with_the_release_server_init_published(server, tmp_path, monkeypatch, ref):
    """`server init` publishes the bundled release: a desk (desk role) takes it from the server."""
    from desktop.store.releases import DeskReleases, listing

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(server["desk_url"], now=NOW) as registry:
        releases = DeskReleases(registry, tmp_path / "desk" / "registry")
        assert releases.start(tmp_path / "no-bundled-release.sqlite", now=NOW).version == ref.version
        assert [(r["version"], r["added_by"], r["active"]) for r in listing(registry.engine)] \
            == [(ref.version, "server-init", True)]


class _SessionKeyring:
    """A keyring backend of the tests' own, in memory for the test's duration (this machine has
    no OS keyring: Windows Credential Manager, Keychain or a Secret Service)."""

    def __new__(cls):
        import keyring.backend

        class Ring(keyring.backend.KeyringBackend):
            priority = 5

            def __init__(self):
                super().__init__()
                self.items = {}

            def get_password(self, service, username):
                return self.items.get((service, username))

            def set_password(self, service, username, password):
                self.items[(service, username)] = password

            def delete_password(self, service, username):
                self.items.pop((service, username), None)

        return Ring()


@pytest.fixture
def os_keyring():
    import keyring

    previous = keyring.get_keyring()
    ring = _SessionKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def _without_password(url):
    """The URL a desk stores (backend.server_url: never a password), and the parts of `url`."""
    import sqlalchemy as sa

    from desktop.store.backend import server_url

    parsed = sa.engine.make_url(url)
    return parsed, server_url(parsed.host, parsed.port, parsed.database, parsed.username)


def test_the_desks_password_in_the_os_keyring_opens_the_registry(server, tmp_path, monkeypatch,
                                                                 os_keyring):
    """Where the PC has a keyring, the desk's password is kept there (no password file is
    written) and the desk connects with a URL that has no password; a wrong one is refused
    with the server named, not a traceback."""
    from desktop.store import RegistryError
    from desktop.store.backend import remember_password

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    parsed, url = _without_password(server["desk_url"])
    pgpass = tmp_path / "pgpass"
    where = remember_password(parsed.host, parsed.port, parsed.database, parsed.username,
                              parsed.password, path=pgpass)
    assert where == "keyring" and not pgpass.exists()
    with open_registry(url, now=NOW) as registry:
        assert registry.search("Никто") == []
    remember_password(parsed.host, parsed.port, parsed.database, parsed.username, "wrong-one",
                      path=pgpass)
    with pytest.raises(RegistryError, match="password authentication failed"):
        open_registry(url, now=NOW)


def test_an_unavailable_keyring_is_named_not_taken_for_a_wrong_password(server, tmp_path, monkeypatch,
                                                                       os_keyring):
    """The password was kept in the keyring, which later cannot be read (locked, or a build
    without one): the desk says the password store is unavailable, never "wrong password"."""
    import keyring
    from keyring.backends import fail

    from desktop.store import RegistryError
    from desktop.store.backend import remember_password

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "pgpass"))
    parsed, url = _without_password(server["desk_url"])
    assert remember_password(parsed.host, parsed.port, parsed.database, parsed.username,
                             parsed.password) == "keyring"
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(RegistryError, match="Хранилище паролей недоступно") as caught:
        open_registry(url, now=NOW)
    assert "authentication failed" not in str(caught.value)


def test_without_a_keyring_the_password_file_serves(server, tmp_path, monkeypatch):
    """A PC without a keyring keeps the password in libpq's password file (0600), which the
    desk's connection then uses by itself."""
    from desktop.store.backend import remember_password

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    pgpass = tmp_path / "pgpass"
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    parsed, url = _without_password(server["desk_url"])
    where = remember_password(parsed.host, parsed.port, parsed.database, parsed.username,
                              parsed.password, keyring=False)
    assert where == str(pgpass) and parsed.username in pgpass.read_text()
    with open_registry(url, now=NOW) as registry:
        assert registry.search("Никто") == []


def test_the_desk_role_cannot_reach_the_postgres_database_and_has_bounded_waits(server):
    """The desk role connects to the registry's database only (not `postgres`, not
    template1), and its sessions wait at most 10 s for a lock and are cut off after 60 s idle
    in a transaction."""
    import psycopg
    import sqlalchemy as sa

    url = sa.engine.make_url(server["desk_url"].replace("postgresql://", "postgresql+psycopg://"))
    for other in ("postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied|not have CONNECT"):
            psycopg.connect(host=url.host, port=url.port, user=url.username,
                            password=url.password, dbname=other, connect_timeout=5)
    with _connect(server["desk_url"]) as con:
        assert con.execute("SHOW lock_timeout").fetchone()[0] == "10s"
        assert con.execute("SHOW idle_in_transaction_session_timeout").fetchone()[0] == "1min"


NO_DELETE = ("DELETE FROM patient", "DELETE FROM decision", "DELETE FROM app_user",
             "DELETE FROM setting", "DELETE FROM price_item", "TRUNCATE patient CASCADE")


def test_the_desk_role_deletes_no_row(server, tmp_path, monkeypatch):
    """Through the desk role no patient, decision, account, setting or price is deleted (a
    card's update, which rewrites its documents mirror, still works)."""
    import psycopg

    from .support import make_case

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    with open_registry(server["desk_url"], now=NOW) as registry:
        pid = registry.save_patient(make_case("Удаляемый", documents=[
            {"kind": "passport", "number": "N1"}]), user="reg", now=NOW)
        registry.save_patient(make_case("Удаляемый", documents=[
            {"kind": "passport", "number": "N2"}]), user="reg", now=NOW, patient_id=pid)
        assert [d.number for d in registry.documents_of(pid)] == ["N2"]
    with _connect(server["desk_url"]) as con:
        for statement in NO_DELETE:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)


def test_the_migration_takes_delete_from_a_server_set_up_earlier(server, tmp_path, monkeypatch):
    """A server set up by the previous version (the desk role may DELETE): migrating to the
    current schema, as the owner, takes DELETE back from the desk role."""
    import psycopg

    from desktop.store import backend, db

    engine = backend.make_pg_engine(backend.parse_location(server["owner_url"]))
    try:
        with engine.begin() as con:           # as the earlier version left it
            con.exec_driver_sql(f"GRANT DELETE ON ALL TABLES IN SCHEMA public TO {server['desk']}")
            con.exec_driver_sql("UPDATE alembic_version SET version_num = '0004'")
        with _connect(server["desk_url"]) as con:
            con.execute("BEGIN")
            con.execute("DELETE FROM price_item")   # allowed then (rolled back)
            con.execute("ROLLBACK")
        db.migrate(engine, "0005")   # the step that takes DELETE back (the later ones are there)
        with engine.begin() as con:
            con.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{db.head_revision()}'")
    finally:
        engine.dispose()
    with _connect(server["desk_url"]) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("DELETE FROM price_item")
