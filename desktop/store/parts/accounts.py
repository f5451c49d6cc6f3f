"""Accounts: the first administrator, passwords (the rule, scrypt hashes upgraded at
sign-in), locking accounts, sign-in with lockout after repeated failures.

On the clinic's server the desk role can neither read the password hashes nor write accounts:
every check and change goes through the owner's SECURITY DEFINER functions (migration 0009),
which compare the scrypt digest a desk computed from the typed password and the account's salt
with the stored one, apply the lockout and check the acting user's role on the server. The
registry keeps the digest of each user who signed in through it (in memory, for this process)
to act for them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from .. import backend, passwords
from ..errors import AccountLocked, Conflict, NotFound, PermissionDenied
from ..models import AuditEntry, User
from ..unit import UnitOfWork

ROLES = ("registrar", "admin")
# what the desk role may read of an account (not password_hash)
PUBLIC_COLUMNS = ("id", "login", "full_name", "role", "salt", "active", "created_at")


def server_refusal(exc: sa.exc.DBAPIError) -> Exception | None:
    """The store's error for a refusal raised by the server's account functions."""
    text = str(getattr(exc, "orig", exc))
    for code, make in _REFUSALS.items():
        if f"polyclinic:{code}" in text:
            error = make()
            error.reason = code   # the GUI's catalogue words for it (admin.<reason>), ru and kk
            return error
    return None


_REFUSALS = {
    "not_admin": lambda: PermissionDenied("Действие доступно только администратору — "
                                          "administrator only",
                                          kk="Әрекет тек әкімшіге қолжетімді"),
    "admin_only": lambda: PermissionDenied("Создавать учётные записи может только администратор "
                                           "— only an administrator may create accounts",
                                           kk="Тіркелгілерді тек әкімші жасай алады"),
    "not_signed_in": lambda: PermissionDenied("Войдите заново: пароль не подтверждён сервером — "
                                              "sign in again: the server did not confirm the "
                                              "password",
                                              kk="Қайта кіріңіз: құпиясөзді сервер растамады"),
    "login_taken": lambda: Conflict("Логин занят — the login is taken",
                                    kk="Логин бос емес"),
    "no_user": lambda: NotFound("user"),
    "last_admin": lambda: Conflict("Нельзя заблокировать последнего администратора — "
                                   "the last active administrator cannot be locked",
                                   kk="Соңғы белсенді әкімшіні бұғаттауға болмайды"),
    "audit_head": lambda: PermissionDenied("Журнал аудита пишет только сервер — "
                                           "only the server writes the audit chain",
                                           kk="Аудит журналын тек сервер жазады"),
}


class Accounts(UnitOfWork):
    """Users, passwords and sign-in."""

    # --- the server's account functions --------------------------------------------------------
    def _remember(self, login: str, digest: str | None) -> None:
        self._digests[login] = digest

    def _digest_for(self, login: str | None) -> str | None:
        return self._digests.get(login) if login else None

    def _password_params(self, login: str) -> tuple[str | None, str | None]:
        """(params, salt) of an account on the server (None, None when unknown)."""
        with self._read() as session:
            params = session.execute(sa.text("SELECT polyclinic_password_params(:l)"),
                                     {"l": login}).scalar()
            salt = session.execute(sa.text("SELECT salt FROM app_user WHERE login = :l"),
                                   {"l": login}).scalar()
        return (params, salt) if salt is not None else (None, None)

    def _server_digest(self, login: str, password: str) -> tuple[str, str | None]:
        params, salt = self._password_params(login)
        return passwords.digest(password, params, salt), params

    def _call(self, sql: str, params: dict):
        """One call of a server function in its own transaction; its refusals as store errors."""
        with self._write() as session:
            try:
                return session.execute(sa.text(sql), params).scalar()
            except sa.exc.DBAPIError as exc:
                refusal = server_refusal(exc)
                if refusal is None:
                    raise
                raise refusal from None

    def _sign_in_on_server(self, login: str, password: str, now: datetime, *,
                           count: bool) -> bool:
        self.last_now = now
        digest, params = self._server_digest(login, password)
        upgrade = None
        if count and params is not None and passwords.needs_upgrade(
                params + "$x" if params else "", self.password_log2n):
            upgrade = passwords.hash_password(password, self.password_log2n)
        result = self._call(
            "SELECT polyclinic_sign_in(:l, :d, :at, :until, :h, :s, :c)",
            {"l": login, "d": digest, "at": now.isoformat(),
             "until": (now + passwords.LOCKOUT).isoformat(),
             "h": upgrade[0] if upgrade else None, "s": upgrade[1] if upgrade else None,
             "c": count})
        if result.startswith("locked "):
            raise AccountLocked(login, datetime.fromisoformat(result[7:]), now)
        if result == "ok":
            if upgrade:
                digest = passwords.digest_of(upgrade[0])
            self._remember(login, digest)
            return True
        return False

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
        if self.location.is_server:
            user_id = self._call(
                "SELECT polyclinic_create_user(:a, :d, :l, :n, :r, :h, :s, :at)",
                {"a": actor, "d": self._digest_for(actor), "l": login, "n": full_name, "r": role,
                 "h": password_hash, "s": salt_hex, "at": now.isoformat()})
            if actor is None:  # the first administrator: signed in by setting it up
                self._remember(login, passwords.digest_of(password_hash))
            return user_id
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
        if self.location.is_server:
            self._call("SELECT polyclinic_set_user_active(:a, :d, :l, :act, :at)",
                       {"a": actor, "d": self._digest_for(actor), "l": login, "act": active,
                        "at": now.isoformat()})
            return
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
        if self.location.is_server:
            self._call("SELECT polyclinic_set_password(:a, :d, :l, :h, :s, :at)",
                       {"a": actor, "d": self._digest_for(actor), "l": login,
                        "h": password_hash, "s": salt_hex, "at": now.isoformat()})
            if actor == login:
                self._remember(login, passwords.digest_of(password_hash))
            return
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
        """Every account (on the server without its password hash: "" there)."""
        return self._users(None)

    def get_user(self, login: str) -> User | None:
        found = self._users(login)
        return found[0] if found else None

    def _users(self, login: str | None) -> list[User]:
        server = self.location.is_server      # the desk role may not read the hashes there
        statement = (sa.select(*(getattr(User, c) for c in PUBLIC_COLUMNS)) if server
                     else select(User)).order_by(User.login)
        if login is not None:
            statement = statement.where(User.login == login)
        with self._read() as session:
            if not server:
                return list(session.exec(statement))
            return [User(password_hash="", **row._mapping) for row in session.execute(statement)]

    def verify_password(self, login: str, password: str, *, now: datetime | None = None) -> bool:
        """True if `login` is an active account with this password (on the server a wrong
        one counts toward the account's lockout, as a failed sign-in, at `now` — by default
        the last moment this registry was given: its last sign-in, or its opening)."""
        if self.location.is_server:
            try:
                return self._sign_in_on_server(login, password, now or self.last_now, count=False)
            except AccountLocked:
                return False
        user = self.get_user(login)
        if user is None or not user.active:
            passwords.dummy_verify(password)  # same cost either way
            return False
        return passwords.verify(password, user.password_hash, user.salt)

    def change_own_password(self, login: str, old_password: str, new_password: str, *,
                            now: datetime) -> None:
        """A signed-in user changes their own password: the old one must be right."""
        if self.location.is_server:
            ok = self._sign_in_on_server(login, old_password, now, count=False)
        else:
            ok = self.verify_password(login, old_password)
        if not ok:
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
        if self.location.is_server:
            return self.get_user(login) if self._sign_in_on_server(login, password, now,
                                                                   count=True) else None
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
