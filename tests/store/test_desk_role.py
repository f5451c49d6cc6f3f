"""The desk role on the clinic's server does exactly what a desk does (issue 19, items 7 and 8):
with its own connection and password it can neither write accounts, read password hashes,
delete anything nor forge the audit chain; through the app it still does a desk's whole work."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from release_helpers import desk_role

from desktop.store import open_registry
from desktop.store.errors import PermissionDenied

from .support import NOW, make_case, make_decision

pytestmark = pytest.mark.postgresql


@pytest.fixture
def served(pg_server, pg_url, tmp_path, monkeypatch):
    """The migrated registry with an administrator, a registrar and a patient with a decision
    (made as the owner), and the desk role's URL."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with open_registry(pg_url, now=NOW) as owner:
        owner.create_user("admin", "admin-secret-1", full_name="А", role="admin", now=NOW)
        owner.create_user("reg", "reg-secret-1", full_name="Р", role="registrar", now=NOW,
                          actor="admin")
        pid = owner.save_patient(make_case(iin="791028302728"), user="reg", now=NOW)
        owner.record_decision(pid, make_decision(), user="reg", now=NOW)
    with desk_role(pg_server, pg_url) as desk_url:
        yield desk_url, pg_url


def _refused(con, statement, params=None):
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute(statement, params)


def test_the_desk_role_cannot_write_accounts_nor_read_hashes(served):
    """UPDATE role, copy a hash, INSERT an administrator, read password_hash or the audit key:
    each refused; the public columns stay readable."""
    import psycopg

    desk_url, _ = served
    with psycopg.connect(desk_url, autocommit=True) as con:
        _refused(con, "UPDATE app_user SET role = 'admin' WHERE login = 'reg'")
        _refused(con, "UPDATE app_user SET password_hash = 'x', salt = 'y' WHERE login = 'admin'")
        _refused(con, "INSERT INTO app_user (login, full_name, role, password_hash, salt, active, "
                      "created_at) VALUES ('evil', 'E', 'admin', 'h', 's', true, 'now')")
        _refused(con, "SELECT password_hash FROM app_user")
        _refused(con, "SELECT * FROM app_user")
        _refused(con, "SELECT key FROM audit_key")
        _refused(con, "SELECT polyclinic_digest_ok('admin', 'x')")
        assert con.execute("SELECT login, role FROM app_user ORDER BY login").fetchall() == [
            ("admin", "admin"), ("reg", "registrar")]


def test_the_servers_account_functions_check_the_acting_user(served):
    """Through the functions with a made-up digest, or as a registrar: refused; no account made,
    no role changed."""
    import psycopg

    desk_url, _ = served
    with psycopg.connect(desk_url, autocommit=True) as con:
        for actor in ("admin", "reg"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("SELECT polyclinic_create_user(%s, %s, 'evil', 'E', 'admin', 'h', "
                            "'s', '2026-11-22T09:30:00')", (actor, "0" * 64))
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("SELECT polyclinic_set_password(%s, NULL, 'admin', 'h', 's', "
                            "'2026-11-22T09:30:00')", (actor,))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # no first run any more
            con.execute("SELECT polyclinic_create_user(NULL, NULL, 'evil', 'E', 'admin', 'h', "
                        "'s', '2026-11-22T09:30:00')")
        assert con.execute("SELECT count(*) FROM app_user WHERE login = 'evil'").fetchone()[0] == 0


def test_the_desk_role_deletes_nothing(served):
    """DELETE from patients, decisions, accounts, settings, the document mirror, the audit log:
    each refused."""
    import psycopg

    desk_url, _ = served
    with psycopg.connect(desk_url, autocommit=True) as con:
        for table in ("patient", "decision", "app_user", "setting", "patient_document",
                      "audit_log", "document_number", "printed_document", "patient_alias"):
            _refused(con, f"DELETE FROM {table}")
            _refused(con, f"TRUNCATE {table}")


def test_a_forged_audit_entry_cannot_be_appended(served):
    """INSERT a chained entry, move the head, compute a link, append a sign-in or account entry
    through the append function: refused to the desk role."""
    import psycopg

    desk_url, _ = served
    with psycopg.connect(desk_url, autocommit=True) as con:
        last_id, last_hash = con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC "
                                         "LIMIT 1").fetchone()
        at, details = "2026-11-22T10:00:00+05:00", "{}"
        forged = hashlib.sha256("\x1f".join((last_hash, at, "admin", "delete", "patient:1",
                                             details)).encode()).hexdigest()
        _refused(con, "INSERT INTO audit_log (at, \"user\", action, object, details, hash) "
                      "VALUES (%s, 'admin', 'delete', 'patient:1', %s, %s)", (at, details, forged))
        _refused(con, "UPDATE setting SET value = %s WHERE key = 'audit.head'",
                 (f"{last_id + 1}:{forged}",))
        _refused(con, "UPDATE setting SET value = '999999' WHERE key = 'audit.keyed_from'")
        _refused(con, "SELECT polyclinic_audit_link('a', 'b', 'c', 'd', 'e', 'f')")
        _refused(con, "SELECT polyclinic_audit_write('a', 'b', 'c', 'd', 'e')")
        # a 'login' of its own would reset an account's run of failed sign-ins (the lockout)
        for action, obj in (("login", "user:reg"), ("update", "user:admin"),
                            ("login", "patient:1")):
            _refused(con, "SELECT polyclinic_audit_append(%s, 'reg', %s, %s, '{}')",
                     (at, action, obj))


def test_an_entry_chained_without_the_key_is_found(served):
    """Someone past the append-only triggers (the owner's rights) appends an entry chained
    with plain sha256 and moves the head: `audit verify` names it (the chain is keyed)."""
    import psycopg

    desk_url, owner_url = served
    with psycopg.connect(owner_url, autocommit=True) as con:
        last_id, last_hash = con.execute("SELECT id, hash FROM audit_log ORDER BY id DESC "
                                         "LIMIT 1").fetchone()
        at = "2026-11-22T10:00:00+05:00"
        forged = hashlib.sha256("\x1f".join((last_hash, at, "admin", "view", "patient:1",
                                             "{}")).encode()).hexdigest()
        row = con.execute("INSERT INTO audit_log (at, \"user\", action, object, details, hash) "
                          "VALUES (%s, 'admin', 'view', 'patient:1', '{}', %s) RETURNING id",
                          (at, forged)).fetchone()[0]
        con.execute("UPDATE setting SET value = %s WHERE key = 'audit.head'", (f"{row}:{forged}",))
    with open_registry(desk_url, now=NOW) as registry:
        result = registry.verify_audit()
    assert not result["ok"] and [b["at"] for b in result["breaks"]] == [row]
    assert result["keyed_from"] == 1 and result["unkeyed"] == 0


def test_a_desks_work_through_the_desk_role(served):
    """Sign in (with the lockout), accounts by an administrator, a card saved twice, a decision,
    a printout, a merge undone: all through the desk role; the audit chain verifies."""
    desk_url, _ = served
    with open_registry(desk_url, now=NOW) as registry:
        assert registry.login("reg", "wrong-pass-00", now=NOW) is None
        assert registry.get_user("reg").password_hash == ""   # not handed out on the server
        with pytest.raises(PermissionDenied):   # acting as the administrator without signing in
            registry.create_user("new", "new-pass-001", full_name="Н", role="registrar",
                                 now=NOW, actor="admin")
        assert registry.login("admin", "admin-secret-1", now=NOW).role == "admin"
        registry.create_user("new", "new-pass-001", full_name="Н", role="registrar", now=NOW,
                             actor="admin")
        registry.set_user_active("new", False, actor="admin", now=NOW)
        registry.set_user_active("new", True, actor="admin", now=NOW)
        registry.set_password("new", "other-pass-02", actor="admin", now=NOW)
        assert registry.login("new", "other-pass-02", now=NOW) is not None
        registry.change_own_password("new", "other-pass-02", "third-pass-03", now=NOW)
        assert registry.login("new", "third-pass-03", now=NOW) is not None
        assert registry.login("reg", "reg-secret-1", now=NOW) is not None
        with pytest.raises(PermissionDenied):
            registry.create_user("x", "x-pass-00001", full_name="X", role="admin", now=NOW,
                                 actor="reg")
        for _ in range(5):
            registry.login("new", "bad-password", now=NOW)
        from desktop.store.errors import AccountLocked

        with pytest.raises(AccountLocked):
            registry.login("new", "third-pass-03", now=NOW + timedelta(minutes=1))
        assert registry.login("new", "third-pass-03", now=NOW + timedelta(minutes=5)) is not None

        a = registry.save_patient(make_case("Yakovlev", "Ivan", documents=[
            {"kind": "passport", "number": "75 1234567", "country": "RU"}]), user="reg", now=NOW)
        card = registry.get_patient(a).case
        card["documents"].append({"kind": "residence_permit", "number": "RP 1", "country": "KZ"})
        registry.save_patient(card, user="reg", now=NOW, patient_id=a)
        assert len(registry.documents_of(a)) == 2
        b = registry.save_patient(make_case("Яковлев", "Иван", documents=[
            {"kind": "passport", "number": "751234567", "country": "RU"}]), user="reg", now=NOW)
        registry.record_decision(b, make_decision(), user="reg", now=NOW)
        number = registry.reserve_document_number(2026, NOW, kind="slip", user="reg")
        registry.store_printed(number, "slip", b"%PDF-1.4 x", lang="ru", user="reg", now=NOW,
                               patient_id=b)
        merge = registry.merge_patients(a, b, user="admin", now=NOW)["merge_id"]
        registry.unmerge(merge, user="admin", now=NOW)
        assert len(registry.documents_of(b)) == 1 and len(registry.documents_of(a)) == 2
        result = registry.verify_audit()
        assert result["ok"], result["breaks"]
        actions = [e.action for e in registry.audit_entries(obj="user:new")]
        assert "account_locked" in actions and "login_refused" in actions
        locked = registry.audit_entries(obj="user:new", action="account_locked")[0]
        assert json.loads(locked.details)["until"] == (NOW + timedelta(minutes=5)).isoformat()
