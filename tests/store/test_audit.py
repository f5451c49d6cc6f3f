"""The audit log is append-only and exportable."""

from __future__ import annotations

import csv
import sqlite3

import pytest

from .support import NOW, make_case


def _raw(db_path):
    return sqlite3.connect(db_path, timeout=10)


def test_audit_rows_cannot_be_changed(registry, db_path):
    """UPDATE on the audit log is refused by the database itself."""
    registry.save_patient(make_case(), user="u", now=NOW)
    con = _raw(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE audit_log SET user = 'someone else'")
    con.close()


def test_audit_rows_cannot_be_deleted(registry, db_path):
    """DELETE on the audit log is refused by the database itself."""
    registry.save_patient(make_case(), user="u", now=NOW)
    con = _raw(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit_log")
    con.close()


def test_viewing_a_patient_is_audited(registry):
    """Opening a patient's record leaves a "view" entry with the user."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.open_patient(pid, user="reg", now=NOW)
    entry = registry.audit_entries(action="view")[0]
    assert (entry.user, entry.object) == ("reg", f"patient:{pid}")


def test_audit_exports_to_csv(registry, admin, tmp_path):
    """The CSV export holds every entry, oldest first, with a header."""
    registry.save_patient(make_case(), user="u", now=NOW)
    out = tmp_path / "audit.csv"
    count = registry.export_audit(out, actor=admin, now=NOW)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == count and rows[-1]["action"] == "create"
