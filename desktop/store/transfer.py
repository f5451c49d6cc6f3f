"""Moving a whole registry between backends, verified by counts and hashes.

- `copy_registry(src, dst)`: an SQLite file to the clinic's server or back (how a clinic moves
  from one desk to a server), into an empty DST only.
- `backup_server(engine, out)`: a PostgreSQL registry as the same portable, verified SQLite
  file the SQLite backup writes, from one consistent snapshot (REPEATABLE READ, read-only).
- `restore_server(file, engine)`: a portable backup file loaded into a PostgreSQL registry.

The copy goes over every table of the models (`SQLModel.metadata`) and every column they
declare, with raw column types (ISO text stays the same text, bytes the same bytes), so that a
column added to the models later copies too and the hashes compare like with like.

The clinic's reference releases (`refdata_release`, `refdata_active`: releases.py) travel too,
counted and hashed like every table, each release's bytes checked against its SHA-256 on the
way in. A backup of a server holds them in its tables and `restore` puts them back (a backup
holding none, such as a desk's, leaves the server's releases as they are). `registry copy`
carries a desk's releases from the folder beside its file to the server's tables, and the
server's to the folder beside the destination file (releases.read_folder / write_folder). On
PostgreSQL only the owner role writes them: a copy or restore with the desk role is refused
(PermissionDenied) before anything changes.
Nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from . import backend, db, releases
from .errors import Conflict, PermissionDenied, RegistryError

BATCH = 2000


def _server_errors(function):
    """A refusal of the database (no privilege, lost connection…) as a RegistryError that
    says what to do, never a traceback."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except sa.exc.DBAPIError as exc:
            detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            hint_ru = hint_en = hint_kk = ""
            if "permission denied" in detail or "must be owner" in detail:
                hint_ru = "; нужен URL владельца базы (owner_url из polyclinic server init)"
                hint_en = "; use the database owner's URL (owner_url from polyclinic server init)"
                hint_kk = "; дерекқор иесінің URL-і керек (polyclinic server init берген owner_url)"
            raise RegistryError("registry", f"Сервер отказал: {detail}{hint_ru}",
                                f"The server refused: {detail}{hint_en}",
                                kk=f"Сервер бас тартты: {detail}{hint_kk}") from None

    return wrapper


def _tables() -> list[sa.Table]:
    from .models import metadata

    return list(metadata.sorted_tables)  # parents before children (foreign keys)


def _all_tables() -> list[sa.Table]:
    """The models' tables and the two release tables (parents first)."""
    return _tables() + releases.release_tables()


RELEASE_TABLES = tuple(t.name for t in releases.release_tables())


def _raw(table: sa.Table) -> sa.TableClause:
    """The table with each column's storage type (no TypeDecorator conversions)."""
    columns = []
    for c in table.columns:
        type_ = c.type.impl if isinstance(c.type, TypeDecorator) else c.type
        columns.append(sa.column(c.name, type_))
    return sa.table(table.name, *columns)


def _order(table: sa.Table) -> list[sa.ColumnClause]:
    keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
    return [sa.column(k) for k in keys]


def _norm(value):
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


def _rows(connection: sa.Connection, table: sa.Table):
    raw = _raw(table)
    statement = sa.select(*raw.columns).select_from(raw).order_by(*_order(table))
    # options for this statement only (Connection.execution_options would stay on the connection)
    result = connection.execute(statement, execution_options={"stream_results": True,
                                                              "yield_per": BATCH})
    for partition in result.partitions(BATCH):
        yield [dict(r._mapping) for r in partition]


def _digest(table: sa.Table, batches) -> dict:
    """{"rows": n, "sha256": hex} of `table`'s rows (batches of dicts in primary-key order)."""
    digest, count = hashlib.sha256(), 0
    names = [c.name for c in table.columns]
    for batch in batches:
        for row in batch:
            digest.update(json.dumps([_norm(row[n]) for n in names], ensure_ascii=False,
                                     default=str).encode("utf-8"))
            digest.update(b"\n")
            count += 1
    return {"rows": count, "sha256": digest.hexdigest()}


def fingerprint(connection: sa.Connection,
                tables: list[sa.Table] | None = None) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} over every registry table (by default the release
    tables too) and alembic_version, read on `connection` (within one transaction: one
    snapshot)."""
    out = {}
    for table in _all_tables() if tables is None else tables:
        out[table.name] = _digest(table, _rows(connection, table))
    out["alembic_version"] = {"rows": 1, "sha256": hashlib.sha256(
        str(_revision(connection)).encode()).hexdigest()}
    return out


def release_fingerprint(found: releases.ReleaseSet) -> dict[str, dict]:
    """The fingerprint of the release tables holding exactly `found`."""
    rows = found.table_rows()
    return {t.name: _digest(t, [rows[t.name]]) for t in releases.release_tables()}


def _revision(connection: sa.Connection) -> str | None:
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _snapshot(engine: sa.Engine) -> sa.Connection:
    """A connection whose transaction sees one consistent state of the whole registry."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                  postgresql_readonly=True)
    connection.begin()
    backend.long_transaction(connection)
    return connection


# Rows a new registry's migrations write by themselves (the audit chain's head at genesis):
# not content, replaced by the source's.
_SEEDED = "key IN ('audit.head', 'audit.keyed_from', 'registry.id')"


def _is_empty(connection: sa.Connection) -> bool:
    for table in _tables():
        statement = sa.select(sa.func.count()).select_from(sa.table(table.name))
        if table.name == "setting":
            statement = statement.where(sa.text(f"NOT ({_SEEDED})"))
        if connection.execute(statement).scalar():
            return False
    return True


def _copy_rows(source: sa.Connection, target: sa.Connection,
               tables: list[sa.Table] | None = None) -> None:
    target.exec_driver_sql(f"DELETE FROM setting WHERE {_SEEDED}")
    for table in _tables() if tables is None else tables:
        raw = _raw(table)
        for batch in _rows(source, table):
            target.execute(raw.insert(), batch)
    if target.dialect.name == "postgresql":
        _reset_sequences(target)


def _carry_audit_key(source: sa.Connection, target: sa.Connection) -> None:
    """The audit chain's key moves with the rows: into a server, a single desk's key (of a
    registry keyed in one part) becomes the server's; into a file, the server's key is saved in
    this PC's key folder under the file's identity. A registry with no keyed part yet is keyed
    from its next row on."""
    from . import auditkey
    from .unit import AUDIT_KEYED_FROM, REGISTRY_ID, keyed_starts

    def setting(connection, key):
        return connection.execute(sa.text("SELECT value FROM setting WHERE key = :k"),
                                  {"k": key}).scalar()

    starts = keyed_starts(setting(target, AUDIT_KEYED_FROM))
    if target.dialect.name == "postgresql":
        if not starts:
            target.execute(sa.text("INSERT INTO setting (key, value) SELECT 'audit.keyed_from', "
                                   "(COALESCE(MAX(id), 0) + 1)::text FROM audit_log"))
            return
        if source.dialect.name == "postgresql":
            return
        registry_id = setting(source, REGISTRY_ID)
        parts = auditkey.load(registry_id) if registry_id else {}
        if set(parts) != set(starts) or len(parts) != 1:
            raise Conflict("Журнал этого реестра подписан несколькими ключами или ключа нет на "
                           "этом компьютере: перенос на сервер невозможен — this registry's audit "
                           "chain has several keyed parts, or this PC lacks its key",
                           kk="Бұл тіркелімнің журналы бірнеше кілтпен қол қойылған немесе бұл компьютерде оның кілті жоқ: серверге тасымалдау мүмкін емес")
        target.execute(sa.text("UPDATE audit_key SET key = :k WHERE id = 1"),
                       {"k": parts[starts[0]]})
        return
    if source.dialect.name != "postgresql" or not starts:
        return
    key = source.execute(sa.text("SELECT key FROM audit_key WHERE id = 1")).scalar()
    registry_id = setting(target, REGISTRY_ID)   # the server's, copied with its settings
    if registry_id and len(starts) == 1 and key is not None:
        parts = auditkey.load(registry_id)
        parts[starts[0]] = bytes(key)
        auditkey._save(registry_id, parts)


def _restored_key(source: sa.Connection, target: sa.Connection) -> None:
    """After a server's restore: keyed from the next row when the backup was not keyed; a
    single desk's backup keyed in one part whose key this PC has: that key becomes the
    server's (a backup of this server keeps the server's own key)."""
    from . import auditkey
    from .unit import AUDIT_KEYED_FROM, REGISTRY_ID, keyed_starts

    starts = keyed_starts(target.execute(sa.text(
        "SELECT value FROM setting WHERE key = :k"), {"k": AUDIT_KEYED_FROM}).scalar())
    if not starts:
        target.execute(sa.text("INSERT INTO setting (key, value) SELECT 'audit.keyed_from', "
                               "(COALESCE(MAX(id), 0) + 1)::text FROM audit_log"))
        return
    registry_id = source.execute(sa.text("SELECT value FROM setting WHERE key = :k"),
                                 {"k": REGISTRY_ID}).scalar()
    parts = auditkey.load(registry_id) if registry_id else {}
    if len(starts) == 1 and starts[0] in parts:
        target.execute(sa.text("UPDATE audit_key SET key = :k WHERE id = 1"),
                       {"k": parts[starts[0]]})


def _reset_sequences(connection: sa.Connection) -> None:
    """After rows came in with their ids, the next id continues after the largest."""
    for table in _tables():
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and pk[0].autoincrement in (True, "auto"):
            name = table.name
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{pk[0].name}'), "
                f"COALESCE(MAX(\"{pk[0].name}\"), 1), MAX(\"{pk[0].name}\") IS NOT NULL) "
                f"FROM \"{name}\"")


def _prepare_target(location: backend.Location) -> sa.Engine:
    """A migrated, empty registry at `location` (created when missing), without the audit
    entry open_registry would write; refuses one holding any row (its reference releases do
    not count: `server init` puts the bundled one there), and on a server a role that may not
    write the releases (PermissionDenied)."""
    if not location.is_server and location.path.exists() and location.path.stat().st_size > 0:
        db.check_file(location.path)
    engine, _ = backend.prepare(location)
    with engine.connect() as connection:
        writer = releases.may_write(connection)
        empty = _is_empty(connection)
    if not writer:  # the desk role: before saying anything about the contents
        engine.dispose()
        raise PermissionDenied(releases.TRANSFER_DENIED, kk=releases.TRANSFER_DENIED_KK)
    if not empty:
        engine.dispose()
        raise Conflict(f"Реестр назначения не пуст: {location.display} — the destination registry "
                       f"is not empty; copy only into a new file or an empty database",
                       kk=f"Мақсатты тіркелім бос емес: {location.display}; тек жаңа файлға "
                          f"немесе бос дерекқорға көшіріңіз")
    return engine


def _verify(expected: dict, engine: sa.Engine, where: str) -> None:
    with _snapshot(engine) as connection:
        got = fingerprint(connection)
    _compare(expected, got, where)


def _compare(expected: dict, got: dict, where: str) -> None:
    bad = [t for t in expected if expected[t] != got.get(t)]
    if bad:
        raise RegistryError(where, "Копия не совпадает с исходным реестром: " + ", ".join(bad),
                            "The copy differs from the source registry: " + ", ".join(bad),
                            kk="Көшірме бастапқы тіркелімге сәйкес емес: " + ", ".join(bad))


@_server_errors
def copy_registry(src, dst) -> dict[str, dict]:
    """Copy the whole registry at `src` into the empty registry at `dst` (files or URLs, either
    way); verify every table's row count and hash; return the fingerprint.

    The clinic's reference releases come along (releases.desk_releases): a file's are the ones
    in the folder beside it (and any in its tables), the release in force with them; into a
    server they replace what `server init` put there, into a file they are laid out beside it
    as a single desk keeps them. A source without releases leaves the destination's as they
    are. Into a server, only the owner role may copy (PermissionDenied otherwise)."""
    source_location, target_location = backend.parse_location(src), backend.parse_location(dst)
    if source_location == target_location:
        raise ValueError("SRC and DST are the same registry")
    if not source_location.is_server and not source_location.path.exists():
        raise RegistryError(source_location.path, "Исходный реестр не найден",
                            "The source registry does not exist",
                            kk="Бастапқы тіркелім табылмады")
    source_engine, _ = backend.prepare(source_location)
    try:
        target_engine = _prepare_target(target_location)
        try:
            with _snapshot(source_engine) as source:
                expected = fingerprint(source, _tables())
                carried = releases.desk_releases(
                    source, None if source_location.is_server else source_location.path)
                releases.check(carried, source_location.display)
                if carried:
                    expected.update(release_fingerprint(carried))
                with target_engine.begin() as target:
                    backend.long_transaction(target)
                    if not _is_empty(target):
                        raise Conflict("Реестр назначения заполняется другим процессом — "
                                       "the destination is being filled by another process",
                                       kk="Мақсатты тіркелімді басқа процесс толтыруда")
                    _copy_rows(source, target)
                    _carry_audit_key(source, target)
                    if carried and target_location.is_server:
                        releases.write_rows(target, carried)
            if target_location.is_server:
                _verify(expected, target_engine, target_location.display)
            else:
                _verify({k: v for k, v in expected.items() if k not in RELEASE_TABLES},
                        target_engine, target_location.display)
                if carried:
                    _carry_to_folder(carried, target_location.path)
            return expected
        finally:
            target_engine.dispose()
    finally:
        source_engine.dispose()


def _carry_to_folder(carried: releases.ReleaseSet, path: Path) -> None:
    """Lay the releases out beside the registry file `path` and read them back: the same
    releases, the same one in force, byte for byte."""
    releases.write_folder(path, carried)
    back = releases.read_folder(path)
    back = releases.ReleaseSet({k: v for k, v in back.releases.items() if k in carried.releases},
                               back.active)
    _compare(release_fingerprint(carried), release_fingerprint(back), str(path))


@_server_errors
def backup_server(engine: sa.Engine, out_path: Path) -> dict[str, int]:
    """Write a PostgreSQL registry to `out_path` as a portable SQLite registry file, from one
    snapshot, then verify it (integrity check, the same counts and hashes). Returns the counts
    as the SQLite backup does."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    part = out_path.with_name(out_path.name + ".staging")
    for leftover in (part, part.with_name(part.name + "-wal"), part.with_name(part.name + "-shm")):
        leftover.unlink(missing_ok=True)
    try:
        target_engine = db.make_engine(part)
        try:
            db.migrate(target_engine)
            with _snapshot(engine) as source:
                expected = fingerprint(source)  # the release tables too
                with target_engine.begin() as target:
                    _copy_rows(source, target, _all_tables())
                    _carry_audit_key(source, target)
            _verify(expected, target_engine, str(out_path))
        finally:
            target_engine.dispose()
        db.sqlite_backup(part, out_path)  # one self-contained file (no WAL), renamed into place
    finally:
        for leftover in (part, part.with_name(part.name + "-wal"),
                         part.with_name(part.name + "-shm")):
            leftover.unlink(missing_ok=True)
    counts = db.integrity_counts(out_path)
    with db.make_engine(out_path).connect() as check:
        if fingerprint(check) != expected:
            raise RegistryError(out_path, "Копия не совпадает с реестром на сервере",
                                "The backup differs from the server's registry",
                                kk="Көшірме сервердегі тіркелімге сәйкес емес")
    return counts


@_server_errors
def restore_server(backup_file: Path, engine: sa.Engine, *, keep_aside: Path | None = None,
                   now: datetime | None = None) -> dict[str, dict]:
    """Replace the contents of a PostgreSQL registry by a verified backup file, in one
    transaction (TRUNCATE needs the owner role); `keep_aside`: first write the current
    contents there as a portable backup. The tables are locked before the server's numbering is
    read, and (given `now`) the numbering is carried forward past every number the server had
    issued (those missing from the backup listed as void): no number is handed out twice.

    The backup's reference releases and the one in force replace the server's (each checked
    against its SHA-256 first); a backup holding none (a desk's, or one from before releases
    were kept on the server) leaves the server's releases as they are. Only the owner role may
    restore (PermissionDenied otherwise, before anything is touched).
    Returns the fingerprint of what was loaded (checked inside the transaction)."""
    backup_file = Path(backup_file)
    db.integrity_counts(backup_file)
    source_location = backend.parse_location(backup_file)
    source_engine, _ = backend.prepare(source_location)
    try:
        with engine.connect() as connection:
            releases.require_writer(connection)
        with _snapshot(source_engine) as source:
            carried = releases.read_rows(source)
        releases.check(carried, "backup")
        tables = _all_tables() if carried else _tables()
        if keep_aside is not None:
            backup_server(engine, keep_aside)
        with _snapshot(source_engine) as source:
            expected = fingerprint(source, tables)
            with engine.begin() as target:
                backend.long_transaction(target)
                names = ", ".join(f'"{t.name}"' for t in tables)
                target.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
                previous = numbering(target)
                target.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                _copy_rows(source, target, tables)
                _compare(expected, fingerprint(target, tables), "server")
                _restored_key(source, target)
                if now is not None:
                    carry_numbering(target, previous, now)
        return expected
    finally:
        source_engine.dispose()


def numbering(connection: sa.Connection) -> dict[tuple[str, int], int]:
    """The highest document number per (clinic, year) the registry on `connection` knows: its
    counters, its number ledger and its printouts."""
    from .parts.numbers import numbering as read

    return read(connection.exec_driver_sql)


def carry_numbering(connection: sa.Connection, previous: dict[tuple[str, int], int],
                    now: datetime) -> list[str]:
    """Move each counter forward to `previous` (the replaced registry's) and list the numbers in
    between as void: they were handed out on papers that are not in the backup."""
    from .parts.numbers import carry_numbering as carry

    return carry(lambda sql, params: connection.execute(sa.text(sql), params), previous,
                 numbering(connection), now)


# --- a single desk's backup and restore (used by backups.py) --------------------------------

def _plain_engine(path: Path) -> sa.Engine:
    """An engine on an SQLite file that is not (yet) a registry in use: a fresh backup copy or
    a restore's working copy. The file keeps its journal mode; nothing is left beside it."""
    return sa.create_engine(f"sqlite:///{Path(path)}")


def backup_desk(db_path: Path, out_path: Path) -> dict[str, int]:
    """A single desk's verified backup (registry.backup_database) that also holds the desk's
    releases: the ones in the folder beside `db_path` and the one in force there, written into
    the copy's release tables (each checked against its SHA-256, the tables' hashes compared
    after writing), so that the backup brings the desk's release in force wherever it is
    restored — onto another PC or into the clinic's server. Returns the copy's row counts; a
    copy that fails is removed."""
    from .files import backup_database

    out_path = Path(out_path)
    backup_database(db_path, out_path)
    try:
        engine = _plain_engine(out_path)
        try:
            with engine.begin() as connection:
                found = releases.desk_releases(connection, Path(db_path))
                releases.check(found, str(db_path))
                if found:
                    releases.write_rows(connection, found)
            if found:
                with engine.connect() as connection:
                    got = fingerprint(connection, releases.release_tables())
                _compare(release_fingerprint(found), got, str(out_path))
        finally:
            engine.dispose()
        return db.integrity_counts(out_path)
    except BaseException:
        out_path.unlink(missing_ok=True)  # never leave an unverified copy that looks like a backup
        raise


def adopt_desk_releases(restored: Path, target: Path) -> None:
    """Restoring an SQLite registry: the releases the restored copy holds in its tables (a
    desk's backup made by `backup_desk`, or a server's backup) are laid out beside `target` the
    way a single desk keeps them, the copy's release in force becoming the desk's, and the
    copy's tables are emptied (a desk's file keeps its releases in the folder). Each release is
    checked against its SHA-256 first (RegistryError naming it). A copy holding no releases
    leaves the desk's folder as it is. Call it on the working copy just before it is moved in."""
    engine = _plain_engine(restored)
    try:
        with engine.begin() as connection:
            found = releases.read_rows(connection)
            if not found:
                return
            releases.check(found, "backup")
            _carry_to_folder(found, Path(target))
            connection.execute(releases.active_table.delete())
            connection.execute(releases.release_table.delete())
    finally:
        engine.dispose()
