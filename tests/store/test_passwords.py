"""The password rule, the sign-in lockout and the scrypt cost, enforced in the store."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import timedelta

import pytest

from desktop.store import open_registry
from desktop.store.errors import AccountLocked, PasswordRejected
from desktop.store.registry import Registry

from .support import NOW, stored_hash


@pytest.mark.parametrize("password, reason", [
    ("short-1", "too_short"), ("123456789", "too_short"),
    ("1234567890", "digits_only"), ("0000000000000", "digits_only"),
    ("registrar1", "same_as_login"), ("REGISTRAR1", "same_as_login")])
def test_create_user_refuses_a_bad_password(registry, admin, password, reason):
    """A new account's password: 10+ characters, not the login, not digits only."""
    with pytest.raises(PasswordRejected) as caught:
        registry.create_user("registrar1", password, full_name="R", role="registrar", now=NOW,
                             actor=admin)
    assert caught.value.reason == reason and registry.get_user("registrar1") is None


def test_ten_characters_are_enough(registry, admin):
    """Exactly 10 characters, letters and digits, is accepted."""
    registry.create_user("reg2", "abcde12345", full_name="R", role="registrar", now=NOW, actor=admin)
    assert registry.verify_password("reg2", "abcde12345")


def test_first_administrator_obeys_the_rule(registry):
    """The first-run administrator is held to the same rule."""
    with pytest.raises(PasswordRejected):
        registry.create_user("admin", "1", full_name="A", role="admin", now=NOW)
    assert registry.needs_admin_setup()


def test_set_password_obeys_the_rule(registry, admin):
    """An administrator's reset is held to the rule and keeps the old password."""
    with pytest.raises(PasswordRejected):
        registry.set_password("admin", "admin", actor=admin, now=NOW)
    assert registry.verify_password("admin", "admin-secret-1")


def test_user_changes_own_password(registry, registrar):
    """A user with the right current password sets a new one."""
    registry.change_own_password("reg", "reg-secret-1", "a-new-pass-22", now=NOW)
    assert registry.verify_password("reg", "a-new-pass-22")
    assert not registry.verify_password("reg", "reg-secret-1")


def test_own_change_needs_the_current_password(registry, registrar):
    """A wrong current password refuses the change."""
    from desktop.store import PermissionDenied

    with pytest.raises(PermissionDenied):
        registry.change_own_password("reg", "wrong-pass-1", "a-new-pass-22", now=NOW)
    assert registry.verify_password("reg", "reg-secret-1")


def _fail(registry, times, at=NOW):
    for _ in range(times):
        assert registry.login("reg", "wrong-password", now=at) is None


def test_four_failures_do_not_lock(registry, registrar):
    """Four wrong passwords in a row still let the right one in."""
    _fail(registry, 4)
    assert registry.login("reg", "reg-secret-1", now=NOW) is not None


def test_five_failures_lock_for_five_minutes(registry, registrar):
    """After the fifth failure even the right password waits, with the end time given."""
    _fail(registry, 5)
    with pytest.raises(AccountLocked) as caught:
        registry.login("reg", "reg-secret-1", now=NOW + timedelta(minutes=2))
    assert caught.value.until == NOW + timedelta(minutes=5)
    assert caught.value.seconds_left == 180 and "3:00" in str(caught.value)


def test_lockout_ends_after_five_minutes(registry, registrar):
    """At the end of the five minutes the right password signs in again."""
    _fail(registry, 5)
    with pytest.raises(AccountLocked):
        registry.login("reg", "reg-secret-1", now=NOW + timedelta(minutes=4, seconds=59))
    assert registry.login("reg", "reg-secret-1", now=NOW + timedelta(minutes=5)) is not None


def test_lockout_is_audited(registry, registrar):
    """The lock and each refused attempt are in the audit log."""
    _fail(registry, 5)
    with pytest.raises(AccountLocked):
        registry.login("reg", "reg-secret-1", now=NOW + timedelta(minutes=1))
    actions = [e.action for e in registry.audit_entries(obj="user:reg")]
    assert actions[:2] == ["login_refused", "account_locked"]
    locked = registry.audit_entries(obj="user:reg", action="account_locked")[0]
    assert json.loads(locked.details)["until"] == (NOW + timedelta(minutes=5)).isoformat()


def test_a_success_resets_the_count(registry, registrar):
    """Failures before a successful sign-in do not count toward the next lock."""
    _fail(registry, 4)
    registry.login("reg", "reg-secret-1", now=NOW)
    _fail(registry, 4)
    assert registry.login("reg", "reg-secret-1", now=NOW) is not None


def test_after_a_lock_five_new_failures_are_needed(registry, registrar):
    """One failure after the lock has ended does not lock again."""
    _fail(registry, 5)
    later = NOW + timedelta(minutes=6)
    _fail(registry, 1, at=later)
    assert registry.login("reg", "reg-secret-1", now=later) is not None


def test_shipped_cost_is_scrypt_2_17(tmp_path):
    """A registry as shipped hashes new passwords with scrypt N=2^17."""
    assert Registry.__dict__["password_log2n"] in (12, 17)   # lowered for fixtures only
    with open_registry(tmp_path / "r.sqlite", now=NOW) as registry:
        registry.password_log2n = 17
        registry.create_user("admin", "admin-secret-1", full_name="A", role="admin", now=NOW)
        assert registry.get_user("admin").password_hash.startswith("scrypt$17$8$1$")
        assert registry.verify_password("admin", "admin-secret-1")


def test_old_hash_is_upgraded_at_sign_in(registry, admin):
    """An N=2^14 hash from an older version signs in and is replaced by today's."""
    salt = secrets.token_bytes(16)
    old = hashlib.scrypt(b"old-password-1", salt=salt, n=2 ** 14, r=8, p=1, dklen=32).hex()
    with registry._write() as session:
        from sqlmodel import select

        from desktop.store.models import User
        user = session.exec(select(User).where(User.login == "admin")).one()
        user.password_hash, user.salt = old, salt.hex()
        session.add(user)
    assert registry.login("admin", "old-password-1", now=NOW) is not None
    stored = stored_hash(registry, "admin")
    assert stored.startswith(f"scrypt${registry.password_log2n}$") and stored != old
    assert registry.verify_password("admin", "old-password-1")
