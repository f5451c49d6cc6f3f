"""Schema migrations: new files, old files upgraded with a copy kept, models match scripts."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
import sqlalchemy as sa

from desktop.store import open_registry
from desktop.store import db
from desktop.store.db import head_revision, pre_migration_backup_path

from .support import NOW


def _make_old_registry(path):
    """A registry file as the first release left it: schema 0001 with one patient."""
    engine = db.make_engine(path)
    db.migrate(engine, "0001")
    engine.dispose()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO patient (id, iin, surname, surname_key, case_json, created_at, "
                "created_by, updated_at, updated_by) VALUES (7, '871008401427', 'Тестов', "
                "'тестов', '{}', '2026-01-01T00:00:00', 'u', '2026-01-01T00:00:00', 'u')")
    con.commit()
    con.close()


def _revision(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        con.close()


def test_fresh_database_has_every_table(db_path):
    """A new registry has all tables of the newest schema."""
    open_registry(db_path, now=NOW).close()
    con = sqlite3.connect(db_path)
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert {"patient", "patient_document", "decision", "printed_document", "document_sequence",
            "setting", "app_user", "audit_log", "price_item", "export_outbox"} <= tables


def test_old_database_is_upgraded_and_keeps_its_rows(db_path):
    """Opening a registry of an older schema upgrades it to the newest, rows intact."""
    _make_old_registry(db_path)
    with open_registry(db_path, now=NOW) as registry:
        assert registry.schema_revision() == head_revision()
        assert registry.get_patient(7).surname == "Тестов"


def test_upgrade_keeps_a_copy_of_the_old_file(db_path):
    """Before migrating, the old file is copied to <path>.pre-migration-<revision>.bak."""
    _make_old_registry(db_path)
    open_registry(db_path, now=NOW).close()
    copy = pre_migration_backup_path(db_path, "0001")
    assert _revision(copy) == "0001"
    con = sqlite3.connect(copy)
    assert con.execute("SELECT surname FROM patient WHERE id = 7").fetchone()[0] == "Тестов"
    con.close()


def test_up_to_date_database_is_not_copied(db_path):
    """Opening a registry already at the newest schema makes no pre-migration copy."""
    open_registry(db_path, now=NOW).close()
    open_registry(db_path, now=NOW).close()
    assert list(db_path.parent.glob("*.pre-migration-*")) == []


def test_models_describe_the_migrated_schema(registry):
    """The SQLModel tables and the migration scripts describe the same schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from desktop.store.models import metadata

    ours = {"patient", "patient_document", "decision", "printed_document", "document_sequence",
            "setting", "app_user", "audit_log", "price_item", "export_outbox"}
    with registry.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name not in ours)]
    assert diff == []


def test_upgrade_chains_the_existing_audit_log_and_lists_printed_numbers(db_path):
    """Upgrading to 0003 gives every old audit row its hash (the chain verifies) and puts the
    numbers already printed into the ledger as stored."""
    engine = db.make_engine(db_path)
    db.migrate(engine, "0002")
    engine.dispose()
    con = sqlite3.connect(db_path)
    for n in range(3):
        con.execute("INSERT INTO audit_log (at, user, action, object, details) VALUES "
                    "('2026-01-01T00:00:00', 'u', 'view', ?, '{}')", (f"patient:{n}",))
    con.execute("INSERT INTO printed_document (number, kind, year, lang, pdf, sha256, created_at, user) "
                "VALUES ('2026-000007', 'slip', 2026, 'ru', x'00', 'h', '2026-01-01T00:00:00', 'u')")
    con.commit()
    con.close()
    with open_registry(db_path, now=NOW) as registry:
        assert registry.verify_audit()["entries"] >= 4
        assert all(e.hash for e in registry.audit_entries(limit=None))
        assert [(r.number, r.status) for r in registry.document_numbers()] == [("2026-000007", "stored")]


@pytest.mark.postgresql
def test_a_server_registry_of_the_previous_schema_is_upgraded(pg_url, tmp_path, monkeypatch):
    """A server database at 0002 with audit rows and a printout (its audit log append-only by
    trigger) is upgraded to the ledger and the hash chain when a desk opens it; the chain
    verifies and the log stays append-only."""
    import psycopg

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    db.migrate(engine, "0002")
    engine.dispose()
    with psycopg.connect(pg_url, autocommit=True) as con:
        for n in range(3):
            con.execute("INSERT INTO audit_log (at, \"user\", action, object, details) VALUES "
                        "('2026-01-01T00:00:00', 'u', 'view', %s, '{}')", (f"patient:{n}",))
        con.execute("INSERT INTO printed_document (number, kind, year, lang, pdf, sha256, created_at, "
                    "\"user\") VALUES ('2026-000007', 'slip', 2026, 'ru', '\\x00', %s, "
                    "'2026-01-01T00:00:00', 'u')", (hashlib.sha256(b"\x00").hexdigest(),))
    with open_registry(pg_url, now=NOW) as registry:
        assert registry.schema_revision() == db.head_revision()
        assert registry.verify_audit()["ok"] and registry.verify_audit()["entries"] >= 4
        assert [(r.number, r.status) for r in registry.document_numbers()] == [("2026-000007", "stored")]
    with psycopg.connect(pg_url, autocommit=True) as con:
        with pytest.raises(psycopg.errors.RaiseException):
            con.execute("UPDATE audit_log SET action = 'x'")


def _plain_chain(con, rows, placeholder):
    """Audit rows chained with plain sha256, as the versions before 0009 wrote them; the head."""
    from desktop.store.unit import AUDIT_GENESIS, audit_hash

    previous = AUDIT_GENESIS
    for n, (at, action) in enumerate(rows, start=1):
        previous = audit_hash(previous, at, "u", action, f"patient:{n}", "{}")
        marks = ", ".join([placeholder] * 7)
        con.execute(f"INSERT INTO audit_log (id, at, \"user\", action, object, details, hash) "
                    f"VALUES ({marks})", (n, at, "u", action, f"patient:{n}", "{}", previous))
    con.execute(f"INSERT INTO setting (key, value) VALUES ('audit.head', {placeholder})",
                (f"{len(rows)}:{previous}",))


def test_an_unkeyed_chain_of_an_earlier_version_verifies_and_is_keyed_from_then_on(db_path):
    """A file of schema 0008 with plain-sha256 audit rows: after the upgrade they verify as
    before, every later row is keyed (and `audit verify` says from where)."""
    engine = db.make_engine(db_path)
    db.migrate(engine, "0008")
    engine.dispose()
    con = sqlite3.connect(db_path)
    con.execute("DELETE FROM setting WHERE key = 'audit.head'")
    _plain_chain(con, [("2026-01-01T00:00:00", "view")] * 3, "?")
    con.commit()
    con.close()
    with open_registry(db_path, now=NOW) as registry:
        registry.log(user="u", action="view", obj="patient:9", now=NOW)
        result = registry.verify_audit()
    assert result["ok"], result["breaks"]
    assert result["unkeyed"] == 3 and result["keyed_from"] == 4 and result["keyed"] >= 2


@pytest.mark.postgresql
def test_a_server_set_up_by_an_earlier_version_gets_the_desk_roles_limits(pg_server, pg_url,
                                                                        tmp_path, monkeypatch):
    """A server database at 0008 whose desk role has the grants an earlier `server init` gave
    (DELETE on the document mirror, INSERT on the audit log, the accounts table whole): after
    the upgrade the desk role deletes nothing, cannot write accounts, read hashes or append
    to the audit log itself; the plain chain still verifies, keyed from the upgrade on."""
    import psycopg

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    db.migrate(engine, "0008")
    engine.dispose()
    database = pg_url.rsplit("/", 1)[1]
    role = f"old_{database[-12:]}"
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DELETE FROM setting WHERE key = 'audit.head'")
        _plain_chain(con, [("2026-01-01T00:00:00", "view")] * 3, "%s")
        con.execute("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), 3)")
        con.execute(f"CREATE ROLE {role} LOGIN")
        con.execute(f"GRANT CONNECT ON DATABASE {database} TO {role}")
        con.execute(f"""
            GRANT USAGE ON SCHEMA public TO {role};
            GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO {role};
            GRANT DELETE ON patient_document TO {role};
            GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role};
            REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role};""")
    try:
        with open_registry(pg_url, now=NOW) as registry:
            assert registry.schema_revision() == db.head_revision()
            registry.create_user("admin", "admin-secret-1", full_name="A", role="admin", now=NOW)
            result = registry.verify_audit()
            assert result["ok"], result["breaks"]
            assert result["unkeyed"] == 3 and result["keyed_from"] == 4
        desk_url = pg_server.url(database, user=role)
        with psycopg.connect(desk_url, autocommit=True) as con:
            for statement in ("DELETE FROM patient_document", "DELETE FROM patient",
                              "UPDATE app_user SET role = 'admin'", "SELECT password_hash FROM app_user",
                              "INSERT INTO audit_log (at, \"user\", action, object, details, hash) "
                              "VALUES ('x', 'u', 'a', 'o', '{}', 'h')", "SELECT * FROM audit_key"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    con.execute(statement)
        with open_registry(desk_url, now=NOW) as registry:
            assert registry.login("admin", "admin-secret-1", now=NOW) is not None
            assert registry.verify_audit()["ok"]
    finally:
        with psycopg.connect(pg_url, autocommit=True) as con:
            con.execute(f"REVOKE CONNECT ON DATABASE {database} FROM {role}")
            con.execute(f"DROP OWNED BY {role}")
        with pg_server.admin() as con:
            con.execute(f"DROP ROLE {role}")
