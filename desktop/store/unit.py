"""The unit of work every part of the registry writes through.

`UnitOfWork` owns the engine of one registry (an SQLite file or the clinic's server) and hands
out sessions: `_write()` is one transaction (BEGIN IMMEDIATE on SQLite), committed on leaving
the block; `_read()` a plain session. `unit()` opens a transaction that every write and read
inside it joins (in the same thread), so that several steps — a patient, its decision, the
documents printed before the first save — are stored together or not at all.

The parts (desktop/store/parts/) each add the methods of one concern on top of this class;
`Registry` (registry.py) is all of them. Nothing here imports Qt or reads the clock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from sqlmodel import Session, select

from . import backend, db, passwords
from .errors import PermissionDenied, RegistryError, RegistryFileChanged
from .models import AuditEntry, Setting, User

SYSTEM_USER = "system"
AUDIT_GENESIS = "0" * 64
AUDIT_HEAD = "audit.head"
AUDIT_KEYED_FROM = "audit.keyed_from"   # the first row of each keyed part: "1" or "1,340"
REGISTRY_ID = "registry.id"             # an SQLite registry's identity (its audit key's name)


def audit_hash(previous: str, at: str, user: str, action: str, obj: str, details: str) -> str:
    """One link of the audit chain: sha256 over the previous row's hash and this row's fields."""
    body = "\x1f".join((previous, at, user, action, obj, details)).encode("utf-8")
    return hashlib.sha256(body).hexdigest()


def audit_hmac(key: bytes, previous: str, at: str, user: str, action: str, obj: str,
               details: str) -> str:
    """One keyed link: HMAC-SHA256 under the registry's key over the same fields (the server's
    `polyclinic_audit_link` computes the same)."""
    import hmac

    body = "\x1f".join((previous, at, user, action, obj, details)).encode("utf-8")
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def keyed_starts(value: str | None) -> list[int]:
    """The first rows of the keyed parts, from setting `audit.keyed_from`."""
    return sorted(int(v) for v in (value or "").split(",") if v.strip().isdigit())


def as_date(value: Any) -> date | None:
    """A date from a case's ISO text (None when empty or not a date)."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def dumps(value: Any) -> str:
    """The stored JSON of a case, a decision or audit details (stable key order)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


class UnitOfWork:
    """Sessions and transactions over one registry's engine, its errors made into messages."""

    # scrypt cost (log2 N) of the password hashes this registry writes (see passwords.py)
    password_log2n: int = passwords.LOG2_N

    def __init__(self, path: Path, engine: sa.Engine, location: "backend.Location | None" = None):
        # `location`: the file or the server; `path`: the file, or a server's local anchor
        # (reference releases and start-up backups beside it).
        self.location = location or backend.parse_location(Path(path))
        self.path = Path(path)
        self.engine = engine
        self._writer = engine.execution_options(sqlite_immediate=True)
        self._open = threading.local()  # the session of this thread's open unit, if any
        self.damaged: RegistryError | None = None  # set at the first sign of damage: no more writes
        # the file this registry opened (device, inode): every write checks it is still the one
        # at `path` (not deleted, not replaced), else the saves would vanish with the old file
        self._identity = None if self.location.is_server else db.file_identity(self.path)
        self._reopened = False
        self._held = None if self.location.is_server else db.hold(self.path)
        # on the server: the password digest of each user who signed in through this registry
        # (to act for them), and the last moment it was given (a bare password check's time)
        self._digests: dict[str, str | None] = {}
        self.last_now: datetime | None = None

    def close(self) -> None:
        """Close the connections. A registry used again after `close` opens whatever file is at
        its path then (a restore by the administration dialog puts a new one there) and checks
        that one from then on."""
        self.engine.dispose()
        self._reopened = not self.location.is_server
        db.release(self._held)
        self._held = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors into the damaged-registry message; after damage (not a busy
        file or a constraint), the registry refuses every further write. On a server, its
        errors (connection lost, refused) become a message naming the server instead."""
        import sqlite3

        try:
            yield
        except sa.exc.IntegrityError:
            raise
        except (sa.exc.DatabaseError, sa.exc.ResourceClosedError, sqlite3.DatabaseError) as exc:
            if self.location.is_server and not isinstance(exc, sqlite3.DatabaseError):
                raise backend.server_error(self.location, exc) from None  # nothing is damaged
            error = db.wrap_db_error(self.path, exc)
            if not db.is_busy(exc) and not db.is_disk_full(exc):  # a full disk is no damage:
                self.damaged = error                                # the next write retries
            raise error from None

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction for several steps: every `_write`/`_read` of this registry in this
        thread joins it until the block ends; committed on leaving it, rolled back (nothing
        stored) when anything inside raises. Nested units join the outer one."""
        with self._write() as session:
            yield session

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction, committed on leaving the block (or the open unit's, joined).
        A unique index refusing a row another desk saved at the same moment becomes a Conflict."""
        joined = getattr(self._open, "session", None)
        if joined is not None:
            yield joined
            return
        if self.damaged is not None:
            raise self.damaged
        self._check_file_identity()
        try:
            with self._guard():
                with Session(self._writer, expire_on_commit=False) as session:
                    self._open.session = session
                    try:
                        with session.begin():
                            yield session
                    finally:
                        self._open.session = None
        except sa.exc.IntegrityError as exc:
            conflict = backend.conflict_from(exc)
            if conflict is None:
                raise
            raise conflict from None

    def _check_file_identity(self) -> None:
        """RegistryFileChanged unless the file at `path` is still the one opened (same device
        and inode); after `close`, the file there when it is used again is the one opened."""
        if self._reopened:
            self._reopened = False
            self._identity = db.file_identity(self.path)
            self._held = db.hold(self.path)
        if self._identity is None:
            return
        now_there = db.file_identity(self.path)
        if now_there == self._identity:
            return
        raise RegistryFileChanged(self.path, "deleted" if now_there is None else "replaced")

    @contextmanager
    def _read(self) -> Iterator[Session]:
        joined = getattr(self._open, "session", None)
        if joined is not None:  # inside a unit: see what it wrote so far
            yield joined
            return
        with self._guard():
            with Session(self.engine, expire_on_commit=False) as session:
                yield session

    def _audit(self, session: Session, *, user: str, action: str, obj: str, now: datetime,
               details: dict | None = None) -> None:
        """Append one audit row, chained to the previous one (the head is read for update in
        this transaction, so concurrent writers queue and the chain never forks). On the
        server the owner's function `polyclinic_audit_append` appends it, keyed (HMAC under a
        key the desk role cannot read), and moves the head, which only it may write."""
        text = dumps(details or {})
        if session.get_bind().dialect.name == "postgresql":
            session.flush()
            session.execute(sa.text("SELECT polyclinic_audit_append(:at, :u, :a, :o, :d)"),
                            {"at": now.isoformat(), "u": user, "a": action, "o": obj, "d": text})
            return
        head = session.info.get(AUDIT_HEAD)
        if head is None:
            # On PostgreSQL (READ COMMITTED) the appends of all desks queue on one advisory lock
            # held to commit, so each reads the head the previous one wrote, even while the
            # head row does not exist yet; SQLite's BEGIN IMMEDIATE already queues them.
            backend.serialize(session, backend.AUDIT_LOCK)
            row = session.exec(select(Setting).where(Setting.key == AUDIT_HEAD)
                               .with_for_update()).first()
            head = row if row is not None else Setting(key=AUDIT_HEAD, value=f"0:{AUDIT_GENESIS}")
        previous = head.value.partition(":")[2] or AUDIT_GENESIS
        entry = AuditEntry(at=now, user=user, action=action, object=obj, details=text)
        key = self._append_key(session)
        entry.hash = audit_hmac(key, previous, now.isoformat(), user, action, obj, text)
        session.add(entry)
        session.flush()
        head.value = f"{entry.id}:{entry.hash}"
        session.add(head)
        session.info[AUDIT_HEAD] = head

    def _append_key(self, session: Session) -> bytes:
        """The key the next audit row is chained under (an SQLite registry): the key of the
        last keyed part, from this PC's key file; a new part with a new key when this PC has
        none (the first keyed row of the registry, or a registry restored from another PC
        without its key: `audit verify` then reports the part it cannot check)."""
        from . import auditkey

        cached = session.info.get("audit.key")
        if cached is not None:
            return cached
        settings = dict(session.execute(select(Setting.key, Setting.value).where(
            Setting.key.in_((REGISTRY_ID, AUDIT_KEYED_FROM)))).all())
        registry_id = settings.get(REGISTRY_ID)
        if registry_id is None:
            registry_id = auditkey.new_registry_id()
            session.add(Setting(key=REGISTRY_ID, value=registry_id))
        starts = keyed_starts(settings.get(AUDIT_KEYED_FROM))
        parts = auditkey.load(registry_id)
        key = parts.get(starts[-1]) if starts else None
        if key is None:
            first = (session.execute(sa.select(sa.func.max(AuditEntry.id))).scalar() or 0) + 1
            key = auditkey.add_part(registry_id, first)
            value = ",".join(str(n) for n in [*starts, first])
            row = session.get(Setting, AUDIT_KEYED_FROM)
            if row is None:
                session.add(Setting(key=AUDIT_KEYED_FROM, value=value))
            else:
                row.value = value
                session.add(row)
            session.flush()
        session.info["audit.key"] = key
        return key

    def _require_role(self, session: Session, login: str, role: str = "admin"):
        # the account's public columns only: the desk role on the server cannot read the hash
        user = session.execute(select(User.login, User.role, User.active)
                               .where(User.login == login)).first()
        if user is None or not user.active:
            raise PermissionDenied(f"Нет активной учётной записи «{login}» — no active account '{login}'",
                                   kk=f"«{login}» белсенді тіркелгісі жоқ")
        if role == "admin" and user.role != "admin":
            raise PermissionDenied(
                f"Действие доступно только администратору ({login}: {user.role}) — "
                f"administrator only ({login} is a {user.role})",
                kk=f"Әрекет тек әкімшіге қолжетімді ({login}: {user.role})")
        return user

    def _clear_documents(self, session: Session, patient_id: int) -> None:
        """Remove a card's document mirror rows before they are written anew (on the server
        through the owner's function: the desk role has no DELETE)."""
        if self.location.is_server:
            session.execute(sa.text("SELECT polyclinic_clear_documents(:p)"), {"p": patient_id})
        else:
            session.execute(sa.text("DELETE FROM patient_document WHERE patient_id = :p"),
                            {"p": patient_id})

    def _drop_document(self, session: Session, document_id: int) -> None:
        if self.location.is_server:
            session.execute(sa.text("SELECT polyclinic_drop_document(:i)"), {"i": document_id})
        else:
            session.execute(sa.text("DELETE FROM patient_document WHERE id = :i"),
                            {"i": document_id})

    def require_admin(self, login: str) -> None:
        """Raise PermissionDenied unless `login` is an active administrator."""
        with self._read() as session:
            self._require_role(session, login)

    def schema_revision(self) -> str | None:
        return db.current_revision(self.engine)
