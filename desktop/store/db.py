"""Opening the registry file: checks, engine, migrations, SQLite online backups.

Nothing here reads the clock or keeps state between calls: paths, times and engines are
arguments and return values.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from .errors import RegistryError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000


# --- checking a file before SQLite touches it -------------------------------------------------

def check_file(path: Path) -> None:
    """Raise RegistryError unless `path` looks like a whole SQLite database (or is empty).

    Reads only: a damaged file is left exactly as it was, for recovery.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            return
        with path.open("rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise RegistryError(path, f"Файл реестра не читается ({exc.strerror})",
                            f"The registry file cannot be read ({exc.strerror})") from None
    if len(header) < 100 or header[:16] != SQLITE_HEADER:
        raise RegistryError(path, "Файл не является базой данных SQLite",
                            "The file is not an SQLite database")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise RegistryError(path, "Заголовок базы данных повреждён",
                            "The database header is damaged")
    page_count, = struct.unpack(">I", header[28:32])
    change_counter, = struct.unpack(">I", header[24:28])
    valid_for, = struct.unpack(">I", header[92:96])
    if page_count and change_counter == valid_for and size < page_count * page_size:
        raise RegistryError(path, "Файл базы данных обрезан (неполная копия или сбой диска)",
                            "The database file is truncated (incomplete copy or disk failure)")


def _wrap_db_error(path: Path, exc: Exception) -> RegistryError:
    return RegistryError(path, f"База данных повреждена или недоступна: {exc}",
                         f"The database is damaged or unavailable: {exc}")


def integrity_counts(path: Path) -> dict[str, int]:
    """Open `path` read-only, run PRAGMA integrity_check, return the row count of every table.

    Raises RegistryError if the file is not a sound registry database.
    """
    check_file(path)
    if not path.exists() or path.stat().st_size == 0:
        raise RegistryError(path, "Файл пуст или отсутствует", "The file is empty or missing")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            result = [row[0] for row in con.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                raise RegistryError(path, "Проверка целостности не пройдена: " + "; ".join(result[:5]),
                                    "The integrity check failed: " + "; ".join(result[:5]))
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
            if "alembic_version" not in tables:
                raise RegistryError(path, "Это не база данных регистратуры",
                                    "This is not a registry database")
            return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise _wrap_db_error(path, exc) from None


def sqlite_backup(src: Path, dest: Path) -> None:
    """Copy `src` to `dest` with SQLite's online backup API (consistent even while in use,
    WAL content included); `dest` is written beside and renamed into place."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
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
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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


def head_revision() -> str:
    return _script_directory().get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: sa.Engine, target: str = "head") -> None:
    """Upgrade the database to `target`, all pending scripts in one transaction."""
    with engine.connect() as connection:
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


def prepare(path: Path) -> tuple[sa.Engine, str | None]:
    """Check, back up if needed, and migrate the file at `path`.

    Returns a ready engine and the revision the file had before (None: a new file).
    """
    path = Path(path)
    if path.exists():
        check_file(path)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists() or path.stat().st_size == 0
    engine = make_engine(path)
    try:
        head = head_revision()
        if fresh:
            migrate(engine)
            return engine, None
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
        revision = current_revision(engine)
        known = {s.revision for s in _script_directory().walk_revisions()}
        if revision is None and tables:
            raise RegistryError(path, "Это не база данных регистратуры (чужие таблицы)",
                                "This is not a registry database (unknown tables)")
        if revision is not None and revision not in known:
            raise RegistryError(path, f"База создана более новой версией программы ({revision})",
                                f"The database was created by a newer version of the program ({revision})")
        if revision != head:
            if revision is not None:
                engine.dispose()
                sqlite_backup(path, pre_migration_backup_path(path, revision))
            migrate(engine)
        return engine, revision
    except RegistryError:
        engine.dispose()
        raise
    except (sa.exc.DatabaseError, sqlite3.DatabaseError) as exc:
        engine.dispose()
        raise _wrap_db_error(path, getattr(exc, "orig", exc)) from None
