"""Accounts: first-run setup, passwords, and what a registrar may not do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from desktop.store import PermissionDenied
from desktop.store import backups

from .support import NOW, stored_hash


def test_first_run_needs_an_administrator(registry):
    """A new registry asks for an administrator to be set up."""
    assert registry.needs_admin_setup()


def test_first_administrator_ends_setup(registry, admin):
    """Once an administrator exists, setup is no longer needed."""
    assert not registry.needs_admin_setup()


def test_right_password_verifies(registry, admin):
    """The password given at creation verifies."""
    assert registry.verify_password("admin", "admin-secret-1")


def test_wrong_password_fails(registry, admin):
    """Any other password does not."""
    assert not registry.verify_password("admin", "admin-secret-1 ")


def test_locked_account_cannot_sign_in(registry, registrar, admin):
    """A deactivated account fails verification even with its password."""
    registry.set_user_active("reg", False, actor=admin, now=NOW)
    assert not registry.verify_password("reg", "reg-secret-1")


def test_passwords_are_salted_per_user(registry, admin):
    """Two accounts with one password store different hashes."""
    registry.create_user("a", "same-pass-01", full_name="A", role="registrar", now=NOW, actor=admin)
    registry.create_user("b", "same-pass-01", full_name="B", role="registrar", now=NOW, actor=admin)
    a, b = stored_hash(registry, "a"), stored_hash(registry, "b")
    assert a != b and "same" not in a


def test_second_account_needs_an_administrator(registry, admin):
    """After setup, creating an account without an acting administrator is refused."""
    with pytest.raises(PermissionDenied):
        registry.create_user("x", "new-pass-01", full_name="X", role="admin", now=NOW)


def test_login_is_audited(registry, admin):
    """Sign-in attempts, good and bad, are in the audit log."""
    registry.login("admin", "nope", now=NOW)
    registry.login("admin", "admin-secret-1", now=NOW)
    assert [e.action for e in registry.audit_entries(obj="user:admin")][:2] == [
        "login", "login_failed"]


ADMIN_OPERATIONS = {
    "set_price": lambda r, who: r.set_price("X", price="1", valid_from=date(2026, 1, 1),
                                            name_ru="Услуга", actor=who, now=NOW),
    "create_user": lambda r, who: r.create_user("new", "new-pass-01", full_name="N", role="registrar",
                                                now=NOW, actor=who),
    "set_user_active": lambda r, who: r.set_user_active("admin", True, actor=who, now=NOW),
    "backup": lambda r, who: backups.backup(r, Path(r.path.parent / "b.sqlite"), actor=who, now=NOW),
    "settings": lambda r, who: r.set_settings({"clinic.name": "ГП №1"}, actor=who, now=NOW),
    "export_audit": lambda r, who: r.export_audit(r.path.parent / "a.csv", actor=who, now=NOW),
}


@pytest.mark.parametrize("operation", ADMIN_OPERATIONS, ids=list(ADMIN_OPERATIONS))
def test_registrar_is_refused_admin_operations(registry, registrar, operation):
    """A registrar changing prices, accounts, settings or taking backups gets PermissionDenied."""
    with pytest.raises(PermissionDenied):
        ADMIN_OPERATIONS[operation](registry, registrar)


@pytest.mark.parametrize("operation", ADMIN_OPERATIONS, ids=list(ADMIN_OPERATIONS))
def test_administrator_may_do_admin_operations(registry, admin, operation):
    """The same operations succeed for an administrator."""
    ADMIN_OPERATIONS[operation](registry, admin)
