"""Accounts: the first administrator, passwords (the rule, scrypt hashes upgraded at
sign-in), locking accounts, sign-in with lockout after repeated failures."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from .. import backend, passwords
from ..errors import AccountLocked, Conflict, NotFound, PermissionDenied
from ..models import AuditEntry, User
from ..unit import UnitOfWork

ROLES = ("registrar", "admin")


class Accounts(UnitOfWork):
    """Users, passwords and sign-in."""

    def needs_admin_setup(self) -> bool:
        """True on first run: no administrator has ever existed (the only time one may be
        created without signing in)."""
        return not self.admin_ever_existed()

    def admin_ever_existed(self) -> bool:
        """True once any administrator account was created (locked ones included)."""
        with self._read() as session:
            return session.exec(select(User.id).where(User.role == "admin")).first() is not None

    def create_user(self, login: str, password: str, *, full_name: str, role: str,
                    now: datetime, actor: str | None = None) -> int:
        """Create an account. Needs an administrator `actor`, except for the very first
        administrator on first run (no actor)."""
        login = login.strip()
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if not login or not password:
            raise ValueError("login and password are required")
        passwords.check_password(password, login)
        password_hash, salt_hex = passwords.hash_password(password, self.password_log2n)
        with self._write() as session:
            # Desks creating accounts queue here (on the server; SQLite's BEGIN IMMEDIATE already
            # does): two first runs at once make one administrator, the other is refused.
            backend.serialize(session, backend.ACCOUNTS_LOCK)
            # Without credentials only while no administrator has ever existed (a locked
            # administrator still counts: locking the last one must not reopen first run).
            first_run = session.exec(select(User.id).where(User.role == "admin")).first() is None
            if actor is None:
                if not (first_run and role == "admin"):
                    raise PermissionDenied("Создавать учётные записи может только администратор — "
                                           "only an administrator may create accounts",
                                           kk="Тіркелгілерді тек әкімші жасай алады")
            else:
                self._require_role(session, actor)
            if session.exec(select(User.id).where(User.login == login)).first() is not None:
                raise Conflict(f"Логин «{login}» занят — login '{login}' is taken",
                               kk=f"«{login}» логині бос емес")
            user = User(login=login, full_name=full_name, role=role,
                        password_hash=password_hash, salt=salt_hex,
                        active=True, created_at=now)
            session.add(user)
            session.flush()
            self._audit(session, user=actor or login, action="create", obj=f"user:{login}",
                        now=now, details={"role": role})
            return user.id

    def set_user_active(self, login: str, active: bool, *, actor: str, now: datetime) -> None:
        """Administrator: lock or unlock an account (accounts are never deleted). The last
        active administrator cannot be locked, even by two administrators locking each other
        at two desks at once (they queue on the accounts lock)."""
        with self._write() as session:
            backend.serialize(session, backend.ACCOUNTS_LOCK)
            self._require_role(session, actor)
            user = session.exec(select(User).where(User.login == login)).first()
            if user is None:
                raise NotFound(f"user {login}")
            if not active and user.role == "admin" and user.active:
                others = session.exec(select(User.id).where(
                    User.role == "admin", User.active == True, User.id != user.id)).first()  # noqa: E712
                if others is None:
                    raise Conflict("Нельзя заблокировать последнего администратора — "
                                   "the last active administrator cannot be locked",
                                   kk="Соңғы белсенді әкімшіні бұғаттауға болмайды")
            user.active = active
            session.add(user)
            self._audit(session, user=actor, action="update", obj=f"user:{login}", now=now,
                        details={"active": active})

    def set_password(self, login: str, password: str, *, actor: str, now: datetime) -> None:
        """A user changes their own password; an administrator may change anyone's."""
        passwords.check_password(password, login)
        password_hash, salt_hex = passwords.hash_password(password, self.password_log2n)
        with self._write() as session:
            if actor != login:
                self._require_role(session, actor)
            user = session.exec(select(User).where(User.login == login)).first()
            if user is None:
                raise NotFound(f"user {login}")
            user.password_hash, user.salt = password_hash, salt_hex
            session.add(user)
            self._audit(session, user=actor, action="update", obj=f"user:{login}", now=now,
                        details={"password": "changed"})

    def users(self) -> list[User]:
        with self._read() as session:
            return list(session.exec(select(User).order_by(User.login)))

    def get_user(self, login: str) -> User | None:
        with self._read() as session:
            return session.exec(select(User).where(User.login == login)).first()

    def verify_password(self, login: str, password: str) -> bool:
        """True if `login` is an active account with this password."""
        user = self.get_user(login)
        if user is None or not user.active:
            passwords.dummy_verify(password)  # same cost either way
            return False
        return passwords.verify(password, user.password_hash, user.salt)

    def change_own_password(self, login: str, old_password: str, new_password: str, *,
                            now: datetime) -> None:
        """A signed-in user changes their own password: the old one must be right."""
        if not self.verify_password(login, old_password):
            raise PermissionDenied("неверный текущий пароль — the current password is wrong",
                                   kk="ағымдағы құпиясөз қате")
        self.set_password(login, new_password, actor=login, now=now)

    def locked_until(self, login: str, now: datetime) -> datetime | None:
        """When the account's sign-in lockout ends, or None when it may sign in now."""
        with self._read() as session:
            return passwords.locked_until(self._sign_ins(session, login), now)

    @staticmethod
    def _sign_ins(session: Session, login: str) -> list[tuple[str, datetime, str]]:
        rows = session.exec(select(AuditEntry.action, AuditEntry.at, AuditEntry.details)
                            .where(AuditEntry.object == f"user:{login}",
                                   AuditEntry.action.in_(passwords.SIGN_IN_ACTIONS))
                            .order_by(AuditEntry.id.desc()).limit(passwords.MAX_FAILURES + 1))
        return [tuple(r) for r in rows]

    def login(self, login: str, password: str, *, now: datetime) -> User | None:
        """Check a password and record the attempt in the audit log; the user or None.
        After MAX_FAILURES failures in a row the account waits (AccountLocked, with `until`);
        a hash at an older cost is replaced by one at today's cost."""
        until = self.locked_until(login, now)
        if until is not None:
            passwords.dummy_verify(password)
            with self._write() as session:
                self._audit(session, user=login, action="login_refused", obj=f"user:{login}",
                            now=now, details={"locked_until": until.isoformat()})
            raise AccountLocked(login, until, now)
        ok = self.verify_password(login, password)
        known = ok or self.get_user(login) is not None
        upgrade = None
        if ok and passwords.needs_upgrade(self.get_user(login).password_hash, self.password_log2n):
            upgrade = passwords.hash_password(password, self.password_log2n)
        with self._write() as session:
            # A failed attempt names the login only if it exists (a mistyped password in the
            # login field must not end up in the log).
            self._audit(session, user=login if known else "?", action="login" if ok else "login_failed",
                        obj=f"user:{login}" if known else "user:?", now=now)
            if upgrade is not None:
                user = session.exec(select(User).where(User.login == login)).one()
                user.password_hash, user.salt = upgrade
                session.add(user)
            if not ok and known:
                session.flush()
                if passwords.failures_reached(self._sign_ins(session, login)):
                    until = now + passwords.LOCKOUT
                    self._audit(session, user=login, action="account_locked", obj=f"user:{login}",
                                now=now, details={"until": until.isoformat(),
                                                  "failures": passwords.MAX_FAILURES})
        return self.get_user(login) if ok else None
