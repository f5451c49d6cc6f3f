"""Moving a whole registry between backends, verified by counts and hashes.

- `copy_registry(src, dst)`: an SQLite file to the clinic's server or back (how a clinic moves
  from one desk to a server), into an empty DST only.
- `backup_server(engine, out)`: a PostgreSQL registry as the same portable, verified SQLite
  file the SQLite backup writes, from one consistent snapshot (REPEATABLE READ, read-only).
- `restore_server(file, engine)`: a portable backup file loaded into a PostgreSQL registry.

The copy goes over every table of the models (`SQLModel.metadata`) and every column they
declare, with raw column types (ISO text stays the same text, bytes the same bytes), so that a
column added to the models later copies too and the hashes compare like with like.
Nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from . import backend, db
from .errors import Conflict, RegistryError

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
            hint_ru = hint_en = ""
            if "permission denied" in detail or "must be owner" in detail:
                hint_ru = "; нужен URL владельца базы (owner_url из polyclinic server init)"
                hint_en = "; use the database owner's URL (owner_url from polyclinic server init)"
            raise RegistryError("registry", f"Сервер отказал: {detail}{hint_ru}",
                                f"The server refused: {detail}{hint_en}") from None

    return wrapper


def _tables() -> list[sa.Table]:
    from .models import metadata

    return list(metadata.sorted_tables)  # parents before children (foreign keys)


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


def fingerprint(connection: sa.Connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} over every registry table and alembic_version, read
    on `connection` (within one transaction: one snapshot)."""
    out = {}
    for table in _tables():
        digest, count = hashlib.sha256(), 0
        names = [c.name for c in table.columns]
        for batch in _rows(connection, table):
            for row in batch:
                digest.update(json.dumps([_norm(row[n]) for n in names], ensure_ascii=False,
                                         default=str).encode("utf-8"))
                digest.update(b"\n")
                count += 1
        out[table.name] = {"rows": count, "sha256": digest.hexdigest()}
    out["alembic_version"] = {"rows": 1, "sha256": hashlib.sha256(
        str(_revision(connection)).encode()).hexdigest()}
    return out


def _revision(connection: sa.Connection) -> str | None:
    return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def _snapshot(engine: sa.Engine) -> sa.Connection:
    """A connection whose transaction sees one consistent state of the whole registry."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ",
                                                  postgresql_readonly=True)
    connection.begin()
    return connection


# Rows a new registry's migrations write by themselves (the audit chain's head at genesis):
# not content, replaced by the source's.
_SEEDED = "key = 'audit.head'"


def _is_empty(connection: sa.Connection) -> bool:
    for table in _tables():
        statement = sa.select(sa.func.count()).select_from(sa.table(table.name))
        if table.name == "setting":
            statement = statement.where(sa.text(f"NOT ({_SEEDED})"))
        if connection.execute(statement).scalar():
            return False
    return True


def _copy_rows(source: sa.Connection, target: sa.Connection) -> None:
    target.exec_driver_sql(f"DELETE FROM setting WHERE {_SEEDED}")
    for table in _tables():
        raw = _raw(table)
        for batch in _rows(source, table):
            target.execute(raw.insert(), batch)
    if target.dialect.name == "postgresql":
        _reset_sequences(target)


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
    entry open_registry would write; refuses one holding any row."""
    if not location.is_server and location.path.exists() and location.path.stat().st_size > 0:
        db.check_file(location.path)
    engine, _ = backend.prepare(location)
    with engine.connect() as connection:
        empty = _is_empty(connection)
    if not empty:
        engine.dispose()
        raise Conflict(f"Реестр назначения не пуст: {location.display} — the destination registry "
                       f"is not empty; copy only into a new file or an empty database")
    return engine


def _verify(expected: dict, engine: sa.Engine, where: str) -> None:
    with _snapshot(engine) as connection:
        got = fingerprint(connection)
    bad = [t for t in expected if expected[t] != got.get(t)]
    if bad:
        raise RegistryError(where, "Копия не совпадает с исходным реестром: " + ", ".join(bad),
                            "The copy differs from the source registry: " + ", ".join(bad))


@_server_errors
def copy_registry(src, dst) -> dict[str, dict]:
    """Copy the whole registry at `src` into the empty registry at `dst` (files or URLs, either
    way); verify every table's row count and hash; return the fingerprint."""
    from .registry import open_registry  # noqa: F401  (the same checks as any opening)

    source_location, target_location = backend.parse_location(src), backend.parse_location(dst)
    if source_location == target_location:
        raise ValueError("SRC and DST are the same registry")
    if not source_location.is_server and not source_location.path.exists():
        raise RegistryError(source_location.path, "Исходный реестр не найден",
                            "The source registry does not exist")
    source_engine, _ = backend.prepare(source_location)
    try:
        target_engine = _prepare_target(target_location)
        try:
            with _snapshot(source_engine) as source:
                expected = fingerprint(source)
                with target_engine.begin() as target:
                    if not _is_empty(target):
                        raise Conflict("Реестр назначения заполняется другим процессом — "
                                       "the destination is being filled by another process")
                    _copy_rows(source, target)
            _verify(expected, target_engine, target_location.display)
            return expected
        finally:
            target_engine.dispose()
    finally:
        source_engine.dispose()


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
                expected = fingerprint(source)
                with target_engine.begin() as target:
                    _copy_rows(source, target)
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
                                "The backup differs from the server's registry")
    return counts


@_server_errors
def restore_server(backup_file: Path, engine: sa.Engine, *, keep_aside: Path | None = None,
                   now: datetime | None = None) -> dict[str, dict]:
    """Replace the contents of a PostgreSQL registry by a verified backup file, in one
    transaction (TRUNCATE needs the owner role); `keep_aside`: first write the current
    contents there as a portable backup. The tables are locked before the server's numbering is
    read, and (given `now`) the numbering is carried forward past every number the server had
    issued (those missing from the backup listed as void): no number is handed out twice.
    Returns the fingerprint of what was loaded (checked inside the transaction)."""
    backup_file = Path(backup_file)
    db.integrity_counts(backup_file)
    source_location = backend.parse_location(backup_file)
    source_engine, _ = backend.prepare(source_location)
    try:
        if keep_aside is not None:
            backup_server(engine, keep_aside)
        with _snapshot(source_engine) as source:
            expected = fingerprint(source)
            with engine.begin() as target:
                names = ", ".join(f'"{t.name}"' for t in _tables())
                target.exec_driver_sql(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE")
                previous = numbering(target)
                target.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
                _copy_rows(source, target)
                got = fingerprint(target)
                bad = [t for t in expected if expected[t] != got.get(t)]
                if bad:
                    raise RegistryError("server", "Копия не совпадает с исходным реестром: "
                                        + ", ".join(bad), "The copy differs from the source "
                                        "registry: " + ", ".join(bad))
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
