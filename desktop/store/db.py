"""Opening the registry file: checks, engine, migrations, SQLite online backups.

Nothing here reads the clock; the one state kept between calls is the descriptors of the
registry files open in this process (_HELD, see there). Paths, times and engines are
arguments and return values.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from desktop.fileutil import (FILE_MODE, file_lock, fsync_dir, private_dir, remove_leftovers,
                              temp_name, tighten)

from .errors import DiskFull, RegistryError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


# --- checking a file before SQLite touches it -------------------------------------------------

# Descriptors of the registry files this process has open as registries, one a file, with the
# number of registries holding it. POSIX drops every lock a process holds on a file as soon as
# it closes *any* descriptor of that file: reading a registry's header with open()/close()
# while SQLite has the file open here would let another program (a second desk, the command
# line) take the file for unused when it closes, checkpoint and delete the WAL — and this
# desk would go on writing into a deleted WAL. So the header of a held file is read through
# the descriptor kept open until the last registry of it closes (SQLite defers its own
# closes the same way).
_HELD: dict[tuple[int, int], list[int]] = {}   # (device, inode) -> [descriptor, holders]


def hold(path: Path) -> tuple[int, int] | None:
    """A registry opens `path`: keep one descriptor of it open (see _HELD); returns the key
    to `release`, None when the file is not there (or on Windows, whose locks are not POSIX
    locks and which has no pread)."""
    identity = file_identity(path) if os.name == "posix" else None
    if identity is None:
        return None
    entry = _HELD.get(identity)
    if entry is not None:
        entry[1] += 1
        return identity
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != identity:   # replaced between the stat and the open
        os.close(fd)
        return None
    _HELD[identity] = [fd, 1]
    return identity


def release(identity: tuple[int, int] | None) -> None:
    """A registry of the file closed (after its connections): the last one closes the
    descriptor."""
    entry = _HELD.get(identity) if identity is not None else None
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        del _HELD[identity]
        os.close(entry[0])


def _read_file(path: Path, size: int | None = None) -> bytes:
    """The first `size` bytes of `path` (all of it when None), through the descriptor a
    registry of this process holds when there is one, never by closing another descriptor
    of a file SQLite has open here."""
    identity = file_identity(path)
    entry = _HELD.get(identity) if identity is not None else None
    if entry is None:
        with Path(path).open("rb") as f:
            return f.read() if size is None else f.read(size)
    fd, chunks, offset = entry[0], [], 0
    while size is None or offset < size:
        chunk = os.pread(fd, 1 << 20 if size is None else min(1 << 20, size - offset), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def check_file(path: Path) -> None:
    """Raise RegistryError unless `path` looks like a whole SQLite database.

    Only a missing file makes a new registry: an empty file (zero bytes) is refused like any
    other damage. Reads only: a damaged file is left exactly as it was, for recovery.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            raise RegistryError(path, "Файл реестра пуст (0 байт): сбой диска или неполная копия",
                                "The registry file is empty (0 bytes): a disk failure or an "
                                "incomplete copy",
                                kk="Тіркелім файлы бос (0 байт): дискінің ақауы немесе толық емес көшірме")
        header = _read_file(path, 100)
    except OSError as exc:
        raise RegistryError(path, f"Файл реестра не читается ({exc.strerror})",
                            f"The registry file cannot be read ({exc.strerror})",
                            kk=f"Тіркелім файлы оқылмайды ({exc.strerror})") from None
    if len(header) < 100 or header[:16] != SQLITE_HEADER:
        raise RegistryError(path, "Файл не является базой данных SQLite",
                            "The file is not an SQLite database",
                            kk="Файл SQLite дерекқоры емес")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise RegistryError(path, "Заголовок базы данных повреждён",
                            "The database header is damaged",
                            kk="Дерекқордың тақырыбы бүлінген")
    page_count, = struct.unpack(">I", header[28:32])
    change_counter, = struct.unpack(">I", header[24:28])
    valid_for, = struct.unpack(">I", header[92:96])
    if page_count and change_counter == valid_for and size < page_count * page_size:
        if reads_whole_with_wal(path):  # a checkpoint cut short (disk full): the WAL has it
            return
        raise RegistryError(path, "Файл базы данных обрезан (неполная копия или сбой диска)",
                            "The database file is truncated (incomplete copy or disk failure)",
                            kk="Дерекқор файлы қиылған (толық емес көшірме немесе дискінің ақауы)")


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None when there is none (or no inode: a
    filesystem that reports 0, where the check cannot tell files apart)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if st.st_ino else None


def reads_whole_with_wal(path: Path) -> bool:
    """Whether SQLite itself reads the registry whole from the file with its WAL: a copy of
    both (in a private temporary folder; the originals are never written) opened by SQLite and
    quick-checked. A checkpoint interrupted by a full disk leaves the file shorter than its
    header says while every page is still in the WAL: that registry is intact."""
    import shutil
    import tempfile

    wal = Path(str(path) + "-wal")
    try:
        if not wal.is_file() or wal.stat().st_size == 0:
            return False
    except OSError:
        return False
    folder = Path(tempfile.mkdtemp(prefix="polyclinic-check-"))
    try:
        copy = folder / "registry.sqlite"
        copy.write_bytes(_read_file(path))   # not shutil: see _HELD
        shutil.copyfile(wal, Path(str(copy) + "-wal"))
        con = sqlite3.connect(copy, timeout=1)
        try:
            ok = [r[0] for r in con.execute("PRAGMA quick_check(1)")] == ["ok"]
            return ok and con.execute("SELECT count(*) FROM sqlite_master WHERE type='table' "
                                      "AND name='alembic_version'").fetchone()[0] == 1
        finally:
            con.close()
    except (OSError, sqlite3.Error):
        return False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" and the system's "no space left": the
    registry is not damaged, the disk has no room; a write may succeed once space returns."""
    import errno

    exc = getattr(exc, "orig", exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) == 13:   # SQLITE_FULL
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    return "database or disk is full" in str(exc).lower()


_BUSY_CODES = {5, 6}          # SQLITE_BUSY, SQLITE_LOCKED


def is_busy(exc: BaseException) -> bool:
    """True for "database is locked/busy": another program holds the file, nothing is wrong
    with it."""
    exc = getattr(exc, "orig", exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None and (code & 0xFF) in _BUSY_CODES:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def _wrap_db_error(path: Path, exc: Exception) -> RegistryError:
    exc = getattr(exc, "orig", exc)
    if is_disk_full(exc):
        return DiskFull(path)
    if is_busy(exc):
        return RegistryError(path, f"Реестр занят другой программой, повторите позже ({exc})",
                             f"The registry is busy in another program; try again ({exc})",
                             kk=f"Тіркелімді басқа бағдарлама пайдалануда, кейінірек қайталаңыз ({exc})")
    return RegistryError(path, f"База данных повреждена или недоступна: {exc}",
                         f"The database is damaged or unavailable: {exc}",
                         kk=f"Дерекқор бүлінген немесе қолжетімсіз: {exc}")


def wrap_db_error(path: Path, exc: Exception) -> RegistryError:
    """The bilingual RegistryError for an SQLite/SQLAlchemy error on the registry at `path`."""
    return _wrap_db_error(path, exc)


def quick_check(path: Path) -> str | None:
    """Open `path` read-only and run the checks before anything may write to it: PRAGMA
    quick_check, the registry's own table present, a schema this program knows.
    Returns the schema revision (None: no alembic table and no tables at all).
    Raises RegistryError (damaged, foreign, newer) without writing to the file."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            result = [row[0] for row in con.execute("PRAGMA quick_check(5)")]
            if result != ["ok"]:
                raise RegistryError(path, "Проверка целостности не пройдена: " + "; ".join(result[:3]),
                                    "The integrity check failed: " + "; ".join(result[:3]),
                                    kk="Тұтастықты тексеру өтпеді: " + "; ".join(result[:3]))
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
            if "alembic_version" not in tables:
                raise RegistryError(path, "Это не база данных регистратуры (чужие таблицы)",
                                    "This is not a registry database (unknown tables)",
                                    kk="Бұл тіркелім дерекқоры емес (бөтен кестелер)")
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise _wrap_db_error(path, exc) from None
    revision = row[0] if row else None
    if revision is not None and revision not in _revisions():
        raise RegistryError(path, f"База создана более новой версией программы ({revision})",
                            f"The database was created by a newer version of the program ({revision})",
                            kk=f"Дерекқор бағдарламаның жаңарақ нұсқасымен жасалған ({revision})")
    return revision


def file_revision(path: Path) -> str | None:
    """The schema revision recorded in an SQLite file (read-only), None if it has none."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def known_revisions() -> set[str]:
    return set(_revisions())


def integrity_counts(path: Path) -> dict[str, int]:
    """Open `path` read-only, run PRAGMA integrity_check, return the row count of every table.

    Raises RegistryError if the file is not a sound registry database.
    """
    check_file(path)
    if not path.exists() or path.stat().st_size == 0:
        raise RegistryError(path, "Файл пуст или отсутствует", "The file is empty or missing",
                            kk="Файл бос немесе жоқ")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            result = [row[0] for row in con.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise RegistryError(path, "Проверка целостности не пройдена: " + "; ".join(result[:5]),
                                    "The integrity check failed: " + "; ".join(result[:5]),
                                    kk="Тұтастықты тексеру өтпеді: " + "; ".join(result[:5]))
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            if "alembic_version" not in tables:
                raise RegistryError(path, "Это не база данных регистратуры",
                                    "This is not a registry database",
                                    kk="Бұл тіркелім дерекқоры емес")
            return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise _wrap_db_error(path, exc) from None


def sqlite_backup(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` with SQLite's online backup API (consistent even while in use,
    WAL content included); `dest` is written beside under a unique name (0600) and renamed
    into place."""
    tmp = temp_name(dest)
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
            finally:
                target.close()
        finally:
            source.close()
        _fsync(tmp)
        os.replace(tmp, dest)
        _fsync_dir(dest.parent)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise _wrap_db_error(src, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _fsync(path: Path) -> None:
    from desktop.fileutil import fsync_file

    fsync_file(path)


def _fsync_dir(path: Path) -> None:
    fsync_dir(path)


# --- the engine ---------------------------------------------------------------------------------

def make_engine(path: Path) -> sa.Engine:
    """An engine on `path`: WAL, synchronous=FULL, foreign keys on, and transactions that
    SQLAlchemy begins itself (so DDL in migrations is transactional too).

    `engine.execution_options(sqlite_immediate=True)` begins with BEGIN IMMEDIATE: a writer
    takes the write lock up front instead of failing half-way on a busy database.
    """
    engine = sa.create_engine(f"sqlite:///{path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # no implicit BEGIN from the sqlite3 module
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# --- migrations ----------------------------------------------------------------------------------

def _script_directory():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR))


_REVISIONS: dict[str, str | None] | None = None


def _revisions() -> dict[str, str | None]:
    """{revision: down_revision} of the migration scripts, read from their text (a registry
    already at head opens without importing Alembic; Alembic runs only when a migration is due)."""
    global _REVISIONS
    if _REVISIONS is None:
        import re

        found: dict[str, str | None] = {}
        rev = re.compile(r'^revision\s*(?::[^=]*)?=\s*["\']([^"\']+)["\']', re.M)
        down = re.compile(r'^down_revision\s*(?::[^=]*)?=\s*(?:["\']([^"\']+)["\']|None)', re.M)
        for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
            text = script.read_text(encoding="utf-8")
            r, d = rev.search(text), down.search(text)
            if r is None or d is None:   # a script this reader does not understand: ask Alembic
                found = {s.revision: s.down_revision for s in _script_directory().walk_revisions()}
                break
            found[r.group(1)] = d.group(1)
        _REVISIONS = found
    return _REVISIONS


def head_revision() -> str:
    revisions = _revisions()
    heads = set(revisions) - set(revisions.values())
    if len(heads) != 1:              # branches (a merge pending): Alembic decides
        return _script_directory().get_current_head()
    return heads.pop()


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: sa.Engine, target: str = "head") -> None:
    """Upgrade the database to `target`, all pending scripts in one transaction (begun with
    BEGIN IMMEDIATE on SQLite, so two processes never migrate the same file at once; the
    current revision is read inside that transaction)."""
    options = {"sqlite_immediate": True} if engine.dialect.name == "sqlite" else {}
    with engine.execution_options(**options).connect() as connection:
        migrate_connection(connection, target)


def migrate_connection(connection: sa.Connection, target: str = "head") -> None:
    """`migrate` on an open connection (PostgreSQL: the one holding the advisory lock)."""
    from alembic.config import Config
    from alembic.runtime.environment import EnvironmentContext

    script = _script_directory()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def upgrade(rev, context):
        return script._upgrade_revs(target, rev)

    with EnvironmentContext(config, script, fn=upgrade, destination_rev=target) as env:
        env.configure(connection=connection, transactional_ddl=True,
                      transaction_per_migration=False)
        with env.begin_transaction():
            env.run_migrations()
    if connection.in_transaction():
        connection.commit()


def pre_migration_backup_path(path: Path, revision: str) -> Path:
    return path.with_name(f"{path.name}.pre-migration-{revision}.bak")


def lock_path(path: Path) -> Path:
    return Path(path).with_name(Path(path).name + ".lock")


def _create(path: Path) -> None:
    """Make a new registry: migrated under a unique temporary name, then moved into place, so
    no other process ever sees a half-made (or zero-byte) file."""
    tmp = temp_name(path)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        engine = make_engine(tmp)
        try:
            migrate(engine)
        finally:
            engine.dispose()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        _fsync(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)


def prepare(path: Path) -> tuple[sa.Engine, str | None]:
    """Check, back up if needed, and migrate the file at `path`.

    Only a missing file makes a new registry. An existing one is checked read-only first
    (header, size, quick_check, ours, schema known); nothing writes to a file that fails.
    Creating and migrating run under `<path>.lock`, so desks may start together.
    Returns a ready engine and the revision the file had before (None: a new file).
    """
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    remove_leftovers(path.parent, path.name)
    created = False
    if not path.exists():
        with file_lock(lock_path(path)):
            if not path.exists():
                _create(path)
                created = True
    check_file(path)
    for suffix in ("", "-wal", "-shm"):
        tighten(Path(str(path) + suffix))
    revision = quick_check(path)
    head = head_revision()
    if revision is None:
        raise RegistryError(path, "Это не база данных регистратуры (нет версии схемы)",
                            "This is not a registry database (no schema version)",
                            kk="Бұл тіркелім дерекқоры емес (сызба нұсқасы жоқ)")
    engine = make_engine(path)
    try:
        if revision != head:
            with file_lock(lock_path(path)):
                revision = current_revision(engine)
                if revision != head:
                    engine.dispose()
                    backup = pre_migration_backup_path(path, revision)
                    if not backup.exists():
                        sqlite_backup(path, backup)
                    migrate(engine)
        return engine, (None if created else revision)
    except RegistryError:
        engine.dispose()
        raise
    except (sa.exc.DatabaseError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        raise _wrap_db_error(path, getattr(exc, "orig", exc)) from None
