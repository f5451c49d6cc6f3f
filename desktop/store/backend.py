"""Where the registry lives: an SQLite file (one desk) or the clinic's PostgreSQL server.

`parse_location("registry.sqlite")` and `parse_location("postgresql://desk@server/polyclinic")`
give a `Location`; `prepare(location)` checks it, migrates it (Alembic; on PostgreSQL under an
advisory lock, so that desks starting at once migrate once) and returns a ready engine. What is
SQLite-only (file checks, WAL, the online backup, the integrity check) stays in `db.py` and is
reached only for an SQLite location.

A PostgreSQL registry still has a local folder on each desk (`Location.local_path`): reference
data releases and start-up backups live beside it as they do beside an SQLite file.

Stdlib only at module level (the command line imports this cheaply); nothing reads the clock.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import Conflict, RegistryError

SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
# One advisory lock key for the registry's migrations ("polyclinic-migrate"), one for exports.
MIGRATION_LOCK = zlib.crc32(b"polyclinic-migrate")
EXPORT_LOCK = zlib.crc32(b"polyclinic-export")
AUDIT_LOCK = zlib.crc32(b"polyclinic-audit")
SEED_LOCK = zlib.crc32(b"polyclinic-seed")
ACCOUNTS_LOCK = zlib.crc32(b"polyclinic-accounts")
BACKUP_LOCK = zlib.crc32(b"polyclinic-daily-backup")
CONNECT_TIMEOUT_S = 10
# Every session of the program on the server: a lock held by another desk is waited for at
# most LOCK_TIMEOUT_MS (then ServerBusy: "сервер занят другим окном", the desk retries), and a
# desk frozen inside a transaction (a hung PC, a debugger) is cut off after
# IDLE_IN_TRANSACTION_MS so that its locks (the audit chain's included) go to the others.
# Long transactions of the program itself (backup snapshot, restore) lift the second limit.
LOCK_TIMEOUT_MS = 10_000
IDLE_IN_TRANSACTION_MS = 60_000
# File systems on which SQLite's locking is not to be trusted: the file corrupts.
NETWORK_FS = {"cifs", "smb3", "smbfs", "nfs", "nfs4", "ncpfs", "afs", "ceph", "glusterfs",
              "fuse.sshfs", "sshfs", "davfs", "fuse.davfs2", "9p", "lustre", "gpfs",
              "fuse.glusterfs", "fuse.cephfs", "fuse.rclone", "fuse.s3fs", "coda", "ocfs2"}
SERVER_HINT_RU = ("Несколько окон регистратуры работают с одним реестром через сервер "
                  "PostgreSQL поликлиники: polyclinic server init на сервере, затем "
                  "--db postgresql://… на каждом окне (README, «Несколько окон»)")
SERVER_HINT_KK = ("Тіркеу бөлімінің бірнеше терезесі бір тіркелімде емхананың PostgreSQL "
                  "сервері арқылы жұмыс істейді: серверде polyclinic server init, содан кейін әр "
                  "терезеде --db postgresql://… (README, «Несколько окон»)")
SERVER_HINT_EN = ("Several desks share one registry through the clinic's PostgreSQL server: "
                  "`polyclinic server init` on the server, then --db postgresql://... at each "
                  "desk (README, \"Several desks\")")


def is_url(value) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


@dataclass(frozen=True)
class Location:
    """An SQLite file (`path`) or a PostgreSQL database (`url`)."""

    kind: str                     # "sqlite" | "postgresql"
    path: Path | None = None
    url: str | None = None

    @property
    def is_server(self) -> bool:
        return self.kind == "postgresql"

    @property
    def display(self) -> str:
        """The file, or the URL without its password: for messages and logs."""
        if not self.is_server:
            return str(self.path)
        import sqlalchemy as sa

        return sa.engine.make_url(self.sqlalchemy_url).set(drivername="postgresql") \
            .render_as_string(hide_password=True)

    @property
    def sqlalchemy_url(self) -> str:
        scheme, rest = self.url.split("://", 1)
        return "postgresql+psycopg://" + rest

    @property
    def local_path(self) -> Path:
        """The file itself, or for a server the desk's local anchor: reference releases go to
        `<anchor>.refdata/`, start-up backups to `backups/` beside it."""
        if not self.is_server:
            return self.path
        import sqlalchemy as sa

        from platformdirs import user_data_dir

        url = sa.engine.make_url(self.sqlalchemy_url)
        host = url.host or (url.query.get("host") or "local")
        if isinstance(host, tuple):
            host = host[0]
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{host}-{url.port or 5432}-{url.database or ''}")
        return Path(user_data_dir("polyclinic", appauthor=False)) / "servers" / name / "registry"

    def __str__(self) -> str:
        return self.display


def parse_location(value) -> Location:
    """A `--db` value: a `postgresql://` URL or a file path (kept exactly as before)."""
    if isinstance(value, Location):
        return value
    if is_url(value):
        return Location("postgresql", url=value.strip())
    return Location("sqlite", path=Path(value))


# --- a file on a network share is refused -----------------------------------------------------

def network_share(path: Path, *, mounts: str | None = None) -> str | None:
    """The kind of network file system `path` is on ("cifs", "nfs4", "UNC"…), or None if local.

    Linux: the mount table (/proc/mounts, or `mounts` given as its text); Windows: UNC paths
    and drives of type DRIVE_REMOTE. A path starting with two backslashes is a UNC path anywhere.
    """
    text = str(path)
    if text.startswith("\\\\"):
        return "UNC"
    if os.name == "nt":  # pragma: no cover - Windows only
        if text.startswith("//"):
            return "UNC"
        import ctypes

        drive = os.path.splitdrive(os.path.abspath(text))[0]
        if drive.startswith("\\\\"):
            return "UNC"
        if drive and ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4:  # DRIVE_REMOTE
            return "network drive"
        return None
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target = Path(os.path.abspath(text))
    while not target.exists() and target.parent != target:
        target = target.parent
    try:
        target = target.resolve()
    except OSError:
        pass
    best, kind = -1, None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = str(target) == point or str(target).startswith(point.rstrip("/") + "/")
        if inside and len(point) > best:
            best, kind = len(point), parts[2]
    return kind if kind in NETWORK_FS or (kind or "").startswith(("nfs", "smb", "cifs")) else None


def refuse_network_share(path: Path, *, mounts: str | None = None) -> None:
    kind = network_share(path, mounts=mounts)
    if kind is not None:
        raise RegistryError(
            path, f"Файл реестра на сетевом диске ({kind}) повреждается при работе нескольких "
                  f"окон. {SERVER_HINT_RU}",
            f"A registry file on a network share ({kind}) corrupts when several desks use it. "
            f"{SERVER_HINT_EN}",
            kk=f"Желілік дискідегі тіркелім файлы ({kind}) бірнеше терезе жұмыс істегенде "
               f"бүлінеді. {SERVER_HINT_KK}")


# --- PostgreSQL --------------------------------------------------------------------------------

def make_pg_engine(location: Location):
    import sqlalchemy as sa

    args = {"connect_timeout": CONNECT_TIMEOUT_S, "client_encoding": "UTF8",
            "application_name": "polyclinic",
            "options": f"-c lock_timeout={int(LOCK_TIMEOUT_MS)} "
                       f"-c idle_in_transaction_session_timeout={int(IDLE_IN_TRANSACTION_MS)}"}
    url = sa.engine.make_url(location.sqlalchemy_url)
    if url.password is None and url.host and url.username:  # the desk's password in the keyring
        password = stored_password(url.host, url.port or 5432, url.database or "", url.username)
        if password is not None:
            args["password"] = password
    return sa.create_engine(location.sqlalchemy_url, pool_pre_ping=True, pool_size=2,
                            max_overflow=4, connect_args=args)


def server_error(location: Location, exc: Exception) -> RegistryError:
    """The message for a server's error: names the server (without its password); a lock
    another desk holds past LOCK_TIMEOUT_MS is ServerBusy (nothing lost, try again)."""
    if is_lock_timeout(exc):
        return ServerBusy(location.display)
    return _server_error(location, exc)


def is_lock_timeout(exc: BaseException) -> bool:
    """PostgreSQL's lock_not_available (55P03): the wait for another session's lock ran out."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == "55P03" or "lock timeout" in str(orig).lower()


class ServerBusy(RegistryError):
    """Another desk holds what this one waited for (a lock) longer than LOCK_TIMEOUT_MS:
    nothing was written, nothing is damaged; the same step may simply be tried again."""

    def __init__(self, where: str):
        super().__init__(where, "Сервер занят другим окном; ничего не потеряно, повторите через "
                                "несколько секунд",
                         "The server is busy with another desk; nothing was lost, try again in "
                         "a few seconds",
                         kk="Сервер басқа тереземен бос емес; ештеңе жоғалған жоқ, бірнеше "
                            "секундтан кейін қайталаңыз")


def long_transaction(connection) -> None:
    """In the program's own long transactions on the server (a backup's snapshot, a restore):
    the idle-in-transaction limit of the desk sessions does not apply (SET LOCAL)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")


def _server_error(location: Location, exc: Exception) -> RegistryError:
    detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    unreadable = _password_unreadable(location) if "password" in detail.lower() else None
    if unreadable:  # not the password's fault: the keyring that keeps it could not be read
        return RegistryError(location.display, *unreadable)
    return RegistryError(location.display, f"Сервер реестра недоступен или отказал: {detail}",
                         f"The registry server is unreachable or refused: {detail}",
                         kk=f"Тіркелім сервері қолжетімсіз немесе бас тартты: {detail}")


def prepare_pg(location: Location):
    """Connect, check the database is UTF-8, migrate under an advisory lock. Returns
    (engine, revision before) like `db.prepare`."""
    import sqlalchemy as sa

    from . import db

    engine = make_pg_engine(location)
    try:
        with engine.connect() as connection:
            encoding = connection.exec_driver_sql("SHOW server_encoding").scalar()
            if str(encoding).upper().replace("-", "") != "UTF8":
                raise RegistryError(location.display,
                                    f"База данных не в UTF-8 ({encoding}): создайте её заново "
                                    "с ENCODING 'UTF8' (polyclinic server init)",
                                    f"The database is not UTF-8 ({encoding}): create it again "
                                    "with ENCODING 'UTF8' (polyclinic server init)",
                                    kk=f"Дерекқор UTF-8 емес ({encoding}): оны ENCODING 'UTF8' арқылы қайта жасаңыз (polyclinic server init)")
            # desks starting together wait for the one that migrates, however long it takes
            connection.exec_driver_sql("SET lock_timeout = 0")
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK})")
            connection.commit()
            try:
                tables = set(sa.inspect(connection).get_table_names())
                revision = None   # read as Alembic does, without importing it (no migration due)
                if "alembic_version" in tables:
                    row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
                    revision = row[0] if row else None
                connection.commit()
                known = db.known_revisions()
                if revision is None and tables:
                    raise RegistryError(location.display,
                                        "Это не база данных регистратуры (чужие таблицы)",
                                        "This is not a registry database (unknown tables)",
                                        kk="Бұл тіркелім дерекқоры емес (бөтен кестелер)")
                if revision is not None and revision not in known:
                    raise RegistryError(location.display,
                                        f"База создана более новой версией программы ({revision})",
                                        "The database was created by a newer version of the "
                                        f"program ({revision})",
                                        kk=f"Дерекқор бағдарламаның жаңарақ нұсқасымен жасалған ({revision})")
                if revision != db.head_revision():
                    db.migrate_connection(connection)
            finally:
                if connection.in_transaction():
                    connection.rollback()
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK})")
                connection.exec_driver_sql("RESET lock_timeout")
                connection.commit()
        return engine, revision
    except RegistryError:
        engine.dispose()
        raise
    except sa.exc.SQLAlchemyError as exc:
        engine.dispose()
        raise _server_error(location, exc) from None


def prepare(location: Location):
    """A ready (checked, migrated) engine on `location` and the revision it had before."""
    if location.is_server:
        local = location.local_path  # the desk's folder: private copies of an interrupted run go
        if local.parent.is_dir():
            from desktop.fileutil import remove_leftovers

            remove_leftovers(local.parent, local.name)
        return prepare_pg(location)
    from . import db

    refuse_network_share(location.path)
    return db.prepare(location.path)


def serialize(session, key: int) -> None:
    """Serialize one kind of transaction across desks: on PostgreSQL a transaction-scoped
    advisory lock (released at commit); SQLite's BEGIN IMMEDIATE already does it."""
    if session.get_bind().dialect.name == "postgresql":
        import sqlalchemy as sa

        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def conflict_from(exc) -> Conflict | None:
    """A unique-constraint violation (two desks saving the same thing at once) as a Conflict
    with a message for the registrar; None for any other integrity error."""
    text = str(getattr(exc, "orig", exc))
    if "unique" not in text.lower() and "duplicate key" not in text.lower():
        return None
    if "ix_patient_iin" in text or "patient.iin" in text:
        return Conflict("Пациент с этим ИИН только что сохранён в другом окне; найдите его "
                        "поиском — a patient with this IIN was just saved at another desk; "
                        "search for them",
                        kk="Бұл ЖСН-і бар пациент басқа терезеде жаңа ғана сақталды; оны іздеу арқылы табыңыз")
    if "number" in text:
        return Conflict("Номер документа уже занят — the document number is taken",
                        kk="Құжат нөмірі бос емес")
    if "login" in text:
        return Conflict("Логин занят — the login is taken",
                        kk="Логин бос емес")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return Conflict(f"Запись изменена в другом окне ({first}) — changed at another desk",
                    kk=f"Жазба басқа терезеде өзгертілді ({first})")


def dialect_of(engine) -> str:
    return engine.dialect.name



# --- the desk's connection to the server -------------------------------------------------------

def server_url(host: str, port: int, database: str, user: str) -> str:
    """The URL a desk stores (never with a password: that lives in the password file)."""
    from urllib.parse import quote

    return f"postgresql://{quote(user, safe='')}@{host}:{int(port)}/{quote(database, safe='')}"


def pgpass_path() -> Path:
    """libpq's password file: $PGPASSFILE, %APPDATA%\\postgresql\\pgpass.conf, or ~/.pgpass."""
    if os.environ.get("PGPASSFILE"):
        return Path(os.environ["PGPASSFILE"])
    if os.name == "nt":  # pragma: no cover - Windows only
        return Path(os.environ.get("APPDATA", Path.home())) / "postgresql" / "pgpass.conf"
    return Path.home() / ".pgpass"


KEYRING_SERVICE = "polyclinic registry server"


def os_keyring():
    """The operating system's own keyring where there is one (Windows Credential Manager, the
    macOS Keychain, a Linux desktop's Secret Service), or None (then the password file)."""
    try:
        import keyring

        found = keyring.get_keyring()
    except Exception:  # keyring missing or broken: the password file
        return None
    # the fail/null backends and plain-text files (priority below 1) are no keyring
    return found if getattr(found, "priority", 0) >= 1 else None


def _keyring_name(host: str, port: int, database: str) -> str:
    return f"{KEYRING_SERVICE} {host}:{int(port)}/{database}"


def stored_password(host: str, port: int, database: str, user: str, *, keyring=None) -> str | None:
    """The desk's password for this server from the OS keyring, or None (none kept there, or no
    keyring: libpq then reads the password file by itself)."""
    return _read_keyring(host, port, database, user, keyring=keyring)[0]


def _read_keyring(host, port, database, user, *, keyring=None) -> tuple[str | None, bool]:
    """(the password or None, whether a keyring could be read at all)."""
    ring = keyring if keyring is not None else os_keyring()
    if not ring:
        return None, False
    try:
        return ring.get_password(_keyring_name(host, port, database), user), True
    except Exception:  # a locked or unavailable keyring: as if none
        return None, False


KEYRING_UNAVAILABLE_RU = "Хранилище паролей недоступно"
KEYRING_UNAVAILABLE_EN = "The password store (keyring) is unavailable"


def _password_unreadable(location: Location, *, keyring=None, pgpass: Path | None = None):
    """The message (ru, en) when the server asked for a password that the desk could not read:
    its URL has none, no keyring answers and the password file has no line for it. Else None
    (then the server's own words stand: a wrong password is a wrong password)."""
    import sqlalchemy as sa

    url = sa.engine.make_url(location.sqlalchemy_url)
    if url.password is not None or not url.host or not url.username:
        return None
    port, database = url.port or 5432, url.database or ""
    if _read_keyring(url.host, port, database, url.username, keyring=keyring)[1]:
        return None
    if _pgpass_has(pgpass if pgpass is not None else pgpass_path(), url.host, port, database,
                   url.username):
        return None
    where = f"{url.username}@{url.host}:{port}/{database}"
    return (f"{KEYRING_UNAVAILABLE_RU}: пароль окна для сервера {where} не прочитан, а в файле "
            "паролей его нет. Откройте хранилище паролей системы (Windows: диспетчер учётных "
            "данных) или введите пароль заново: «Подключение к базе…»",
            f"{KEYRING_UNAVAILABLE_EN}: the desk's password for {where} could not be read and "
            "the password file has none. Unlock the system's password store (Windows: "
            "Credential Manager) or enter the password again: 'Connect to the database…'")


def _pgpass_has(path: Path, host: str, port: int, database: str, user: str) -> bool:
    """Whether libpq's password file has a line for this server and user (exact or `*`)."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    want = [str(host), str(port), str(database), str(user)]
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = re.split(r"(?<!\\):", line)[:4]
        fields = [f.replace("\\:", ":").replace("\\\\", "\\") for f in fields]
        if len(fields) == 4 and all(f in ("*", w) for f, w in zip(fields, want)):
            return True
    return False


def remember_password(host: str, port: int, database: str, user: str, password: str, *,
                      path: Path | None = None, keyring=None) -> str:
    """Keep the desk's server password: in the OS keyring where there is one (`keyring`: a
    keyring backend, default the OS's; False: never), else in libpq's password file (readable
    by this user only), replacing an older entry for the same server and user. Returns where:
    "keyring" or the file's path."""
    ring = keyring if keyring is not None else os_keyring()
    if ring:
        try:
            ring.set_password(_keyring_name(host, port, database), user, password)
        except Exception:  # refused (locked, no session): the password file instead
            ring = None
    path = Path(path) if path is not None else pgpass_path()
    if ring:
        _write_pgpass(path, host, port, database, user, None)  # no older copy left in a file
        return "keyring"
    _write_pgpass(path, host, port, database, user, password)
    return str(path)


def _write_pgpass(path: Path, host: str, port: int, database: str, user: str,
                  password: str | None) -> None:
    """Replace the line of this server and user in the password file (None: only remove it)."""
    def esc(value) -> str:
        return str(value).replace("\\", "\\\\").replace(":", "\\:")

    key = ":".join(esc(v) for v in (host, port, database, user)) + ":"
    lines = []
    if path.exists():
        lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                 if not line.startswith(key)]
    elif password is None:
        return
    if password is not None:
        lines.append(key + esc(password))
    from desktop.fileutil import write_private

    write_private(path, ("\n".join(lines) + "\n").encode("utf-8"))  # unique temp name, 0600
    if os.name == "posix":
        os.chmod(path, 0o600)
