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
