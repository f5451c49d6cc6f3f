"""Backups of the registry: the verified portable copy (plain or encrypted), the automatic
copy when a desk starts, and restore.

On SQLite the copy is the online backup of the file (files.py) with the desk's releases
written into it (transfer.backup_desk); on the server, one consistent snapshot written as the
same kind of SQLite file (transfer.backup_server). A restore refuses a backup from a newer
program, keeps the replaced registry aside, and carries the document numbering forward on both
backends.

This module sits above the registry: it takes an open `Registry` (or a location) and uses
files.py and transfer.py; the registry and the files know nothing of it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import sqlalchemy as sa

from desktop.fileutil import claim_name, private_dir, temp_name, tighten

from . import backend, db, files, transfer
from .errors import RegistryError
from .models import Setting
from .unit import SYSTEM_USER

if TYPE_CHECKING:  # pragma: no cover
    from .registry import Registry

# On the clinic's server: the day (and moment) a desk took the clinic's start-up copy.
DAILY_BACKUP = "backup.daily"


def backup(registry: "Registry", out_path: Path, *, actor: str, now: datetime) -> dict[str, int]:
    """Administrator: copy the registry to `out_path`, verify the copy (integrity check, row
    counts equal), return the row counts."""
    registry.require_admin(actor)
    if registry.damaged is not None:
        raise registry.damaged
    counts = _backup_to(registry, Path(out_path))
    registry.log(user=actor, action="backup", obj=f"backup:{Path(out_path).name}", now=now,
                 details={"patient": counts.get("patient", 0)})
    return counts


def start_backup(registry: "Registry", folder: Path, now: datetime, keep: int = 10) -> Path | None:
    """The automatic copy when a desk starts, into `folder` as
    `<name>-YYYYMMDD-HHMMSS[-n].sqlite`, verified, the newest `keep` kept; returns it, or
    None when there is nothing to copy.

    An SQLite registry is copied at every start (files.auto_backup). The clinic's server
    is copied once a day, by the first desk that starts that day: the day is claimed on the
    server under a lock, so ten desks starting at eight do not take ten copies of the whole
    registry. The copy is the same portable registry file `backup` writes, kept on that
    desk's PC (a second place besides the server's own nightly dump). A copy that fails
    gives the day back, so the next desk to start tries again; the error is raised."""
    if not registry.location.is_server:
        return files.auto_backup(registry.path, folder, now, keep)
    day, claim = now.date().isoformat(), f"{now.date().isoformat()} {now.isoformat()}"
    with registry.unit() as session:
        backend.serialize(session, backend.BACKUP_LOCK)
        row = session.get(Setting, DAILY_BACKUP)
        if row is not None and row.value.split(" ", 1)[0] == day:
            return None
        session.merge(Setting(key=DAILY_BACKUP, value=claim))
    folder, out = Path(folder), None
    try:
        private_dir(folder)
        out = claim_name(folder, f"{registry.path.stem}-{now:%Y%m%d-%H%M%S}", ".sqlite")
        counts = _backup_to(registry, out)
    except BaseException:
        if out is not None:
            out.unlink(missing_ok=True)
        try:
            with registry.unit() as session:
                row = session.get(Setting, DAILY_BACKUP)
                if row is not None and row.value == claim:   # given back (no DELETE for desks)
                    row.value = ""
                    session.add(row)
        except Exception:  # the server is gone: the copy's own error says more
            pass
        raise
    registry.log(user=SYSTEM_USER, action="backup", obj=f"backup:{out.name}", now=now,
                 details={"patient": counts.get("patient", 0), "automatic": True})
    files.rotate_auto_backups(folder, registry.path.stem, keep)
    return out


def _backup_to(registry: "Registry", out_path: Path) -> dict[str, int]:
    """The verified portable copy: SQLite's online backup of the file, or from a server one
    consistent snapshot written as the same kind of SQLite file; either holds the registry's
    reference releases (a desk's from the folder beside its file)."""
    if registry.location.is_server:
        return transfer.backup_server(registry.engine, out_path)
    return transfer.backup_desk(registry.path, out_path)  # with the desk's releases


def backup_encrypted(registry: "Registry", out_path: Path, passphrase: str, *, actor: str,
                     now: datetime) -> dict[str, int]:
    """Administrator: a verified copy (as `backup`), encrypted with AES-256-GCM under a
    key derived from `passphrase` (scrypt): for copies that leave the PC. `restore`
    decrypts it. The plain copy exists only as a private temporary file beside the registry."""
    from .crypt import encrypt_file

    registry.require_admin(actor)
    if registry.damaged is not None:
        raise registry.damaged
    path = registry.path
    if not path.parent.exists():
        private_dir(path.parent)
    plain = temp_name(path.with_name(path.name + ".backup"))
    try:
        counts = _backup_to(registry, plain)
        out_path = Path(out_path)
        if not out_path.parent.exists():
            private_dir(out_path.parent)
        encrypt_file(plain, out_path, passphrase)
    finally:
        plain.unlink(missing_ok=True)
    registry.log(user=actor, action="backup", obj=f"backup:{out_path.name}", now=now,
                 details={"patient": counts.get("patient", 0), "encrypted": True})
    return counts


class BrokenAuditChain(RegistryError):
    """The backup's audit chain is broken: restored only when the administrator accepts it
    (`--accept-broken-audit`, recorded in the audit log). `audit` is verify_audit's result."""

    def __init__(self, path: Path, audit: dict):
        self.audit = audit
        where = audit.get("first_broken")
        super().__init__(path, f"Журнал аудита в копии нарушен (запись {where}, {audit.get('reason')}); "
                               "восстановить можно только с --accept-broken-audit",
                         f"The backup's audit chain is broken at {where} ({audit.get('reason')}); "
                         "restore it only with --accept-broken-audit")


def restore(backup_file: Path, target: Path | str, *, now: datetime, passphrase: str | None = None,
            keep_before_restore: int = 5, accept_broken_audit: bool = False,
            checked: dict | None = None) -> Path | None:
    """Replace the registry at `target` (a file or the clinic's server) by `backup_file`. The
    backup is verified first (an encrypted one is decrypted with `passphrase`), and a backup
    from a newer schema is refused before anything is replaced; the current contents are kept
    aside (returned: the file's `.before-restore-…bak`, or the server's portable copy in the
    desk's backups folder; the newest `keep_before_restore` kept); the document numbering of the
    replaced registry is carried forward (numbers it issued that the backup lacks are listed as
    void), so no number is ever handed out twice. An SQLite registry must not be open anywhere
    while restoring; a server's is replaced in one transaction.

    Before anything is replaced, a working copy of the backup is brought to the current schema
    and checked: every table and column the current schema has, the numbering (no counter
    behind its ledger, no printout without its number) and the audit chain. A broken chain
    raises BrokenAuditChain unless `accept_broken_audit`; `checked`, when given, receives
    {"audit": verify_audit's result} for the caller's audit entry."""
    location = backend.parse_location(target)
    work = location.local_path if location.is_server else Path(location.path)
    with _checked_backup(Path(backup_file), work, passphrase) as plain:
        audit = verify_contents(plain, work)
        if not audit["ok"] and not accept_broken_audit:
            raise BrokenAuditChain(Path(backup_file), audit)
        if checked is not None:
            checked["audit"] = audit
        if not location.is_server:
            return restore_file(plain, work, now=now, keep_before_restore=keep_before_restore)
        return _restore_into_server(plain, location, now=now,
                                    keep_before_restore=keep_before_restore)


@contextmanager
def _checked_backup(backup_file: Path, work: Path, passphrase: str | None) -> Iterator[Path]:
    """The backup as a plain, verified file of a schema this program knows: decrypted (with
    `passphrase`) into a private temporary file beside `work` when encrypted, removed after."""
    from .crypt import decrypt_file, is_encrypted

    plain = None
    try:
        if is_encrypted(backup_file):
            if passphrase is None:
                raise ValueError("the backup is encrypted: give its passphrase (--passphrase-file "
                                 "or POLYCLINIC_BACKUP_PASSPHRASE)")
            private_dir(work.parent)
            plain = temp_name(work.with_name(work.name + ".decrypted"))
            decrypt_file(backup_file, plain, passphrase)
            backup_file = plain
        db.integrity_counts(backup_file)
        revision = db.file_revision(backup_file)
        if revision is not None and revision not in db.known_revisions():
            raise RegistryError(backup_file, f"Копия создана более новой версией программы ({revision})",
                                f"The backup was made by a newer version of the program ({revision})",
                                kk=f"Көшірме бағдарламаның жаңарақ нұсқасымен жасалған ({revision})")
        yield backup_file
    finally:
        if plain is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(plain) + suffix).unlink(missing_ok=True)


def _schema_of(path: Path) -> dict[str, set[str]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {t: {r[1] for r in con.execute(f'PRAGMA table_info("{t}")')} for t in tables}
    finally:
        con.close()


_CURRENT_SCHEMA: dict[str, set[str]] | None = None


def current_schema(work: Path) -> dict[str, set[str]]:
    """Every table and its columns as the current migrations make them (a fresh registry
    made once per process in a private temporary file beside `work`)."""
    global _CURRENT_SCHEMA
    if _CURRENT_SCHEMA is None:
        fresh = temp_name(work.with_name(work.name + ".schema"))
        try:
            engine, _ = db.prepare(fresh)
            engine.dispose()
            _CURRENT_SCHEMA = _schema_of(fresh)
        finally:
            _remove_sqlite(fresh)
    return _CURRENT_SCHEMA


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    for copy in path.parent.glob(path.name + ".pre-migration-*"):
        copy.unlink(missing_ok=True)


def verify_contents(plain: Path, work: Path) -> dict:
    """Check a plain backup before it replaces anything: a private working copy is migrated to
    the current schema, then every table and column of that schema must be there, every
    counter at or past the highest number of its ledger, every printout's number in the
    ledger as stored. RegistryError (naming what is missing) otherwise. Returns the copy's
    audit check (verify_audit's result); the caller decides on a broken chain."""
    from .registry import Registry

    expected = current_schema(work)
    private_dir(work.parent)
    tmp = temp_name(work.with_name(work.name + ".verify"))
    try:
        db.sqlite_backup(plain, tmp)
        try:
            engine, _ = db.prepare(tmp)
        except RegistryError as exc:
            raise RegistryError(plain, f"Копию нельзя привести к текущей схеме: {exc.ru}",
                                f"The backup cannot be brought to the current schema: {exc.en}",
                                kk=f"Көшірмені қазіргі сызбаға келтіру мүмкін емес: {exc.kk or exc.ru}") from None
        except Exception as exc:  # noqa: BLE001 - a migration meeting a mangled schema
            raise RegistryError(plain, f"Копию нельзя привести к текущей схеме: {exc}",
                                f"The backup cannot be brought to the current schema: {exc}",
                                kk=f"Көшірмені қазіргі сызбаға келтіру мүмкін емес: {exc}") from None
        try:
            found = _schema_of(tmp)
            missing = sorted([t for t in expected if t not in found]
                             + [f"{t}.{c}" for t in expected if t in found
                                for c in sorted(expected[t] - found[t])])
            if missing:
                raise RegistryError(plain, "В копии нет таблиц или столбцов реестра: " + ", ".join(missing[:12]),
                                    "The backup lacks tables or columns of the registry: "
                                    + ", ".join(missing[:12]),
                                    kk="Көшірмеде тіркелімнің кестелері немесе бағандары жоқ: "
                                    + ", ".join(missing[:12]))
            with engine.connect() as con:
                behind = con.execute(sa.text(
                    "SELECT n.clinic_key, n.year, MAX(CAST(substr(n.number, 6) AS INTEGER)) AS top, "
                    "s.last_number FROM document_number n LEFT JOIN document_sequence s "
                    "ON s.clinic_key = n.clinic_key AND s.year = n.year "
                    "GROUP BY n.clinic_key, n.year, s.last_number "
                    "HAVING s.last_number IS NULL OR s.last_number < MAX(CAST(substr(n.number, 6) AS INTEGER))"
                )).all()
                unnumbered = con.execute(sa.text(
                    "SELECT p.number FROM printed_document p LEFT JOIN document_number n "
                    "ON n.number = p.number WHERE n.number IS NULL OR n.status != 'stored' "
                    "LIMIT 5")).scalars().all()
            if behind or unnumbered:
                what = [f"{r.year}: {r.last_number} < {r.top}" for r in behind] + unnumbered
                raise RegistryError(plain, "Нумерация документов в копии нарушена: " + ", ".join(map(str, what)),
                                    "The backup's document numbering is broken: " + ", ".join(map(str, what)),
                                    kk="Көшірмедегі құжаттар нөмірленуі бұзылған: " + ", ".join(map(str, what)))
            registry = Registry(tmp, engine)
            return registry.verify_audit()
        finally:
            engine.dispose()
    finally:
        _remove_sqlite(tmp)


def _restore_into_server(backup_file: Path, location: "backend.Location", *, now: datetime,
                         keep_before_restore: int) -> Path:
    """`restore` into the clinic's server: the backup is loaded from a private working copy
    (the given file is never migrated in place); the server's current contents are first kept
    as a portable copy in the desk's backups folder (`before-restore-YYYYMMDD-HHMMSS[-n].sqlite`);
    the numbering the server had is carried forward, as on SQLite."""
    work = location.local_path
    private_dir(work.parent)
    tmp = temp_name(work.with_name(work.name + ".restore"))
    try:
        db.sqlite_backup(backup_file, tmp)
        folder = files.default_backups_dir(work)
        private_dir(folder)
        aside = claim_name(folder, f"before-restore-{now:%Y%m%d-%H%M%S}", ".sqlite")
        engine, _ = backend.prepare(location)
        try:
            transfer.restore_server(tmp, engine, keep_aside=aside, now=now)
        except BaseException:
            aside.unlink(missing_ok=True)
            raise
        finally:
            engine.dispose()
        files.rotate_copies(folder, r"before-restore-\d{8}-\d{6}(-\d+)?\.sqlite", keep_before_restore)
        return aside
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        for copy in tmp.parent.glob(tmp.name + ".pre-migration-*"):
            copy.unlink(missing_ok=True)


def restore_file(backup_file: Path, target: Path, *, now: datetime, keep_before_restore: int = 5) -> Path | None:
    """Replace the registry file `target` by the checked, plain `backup_file` (see
    backups.restore): the current file is kept aside as
    `<target>.before-restore-YYYYMMDD-HHMMSS.bak` (returned; None if there was no current file;
    the newest `keep_before_restore` such copies are kept), a damaged one byte for byte; its
    document numbering is carried forward; the new file is moved in atomically. Refused while
    the registry is open in another program."""
    target = Path(target)
    tmp = temp_name(target.with_name(target.name + ".restore"))
    try:
        db.sqlite_backup(backup_file, tmp)
        db.integrity_counts(tmp)
        aside = None
        wal, shm = (target.with_name(target.name + s) for s in ("-wal", "-shm"))
        if target.exists():
            previous = files.numbering_of_file(target) if target.stat().st_size else None
            aside = claim_name(target.parent, f"{target.name}.before-restore-{now:%Y%m%d-%H%M%S}", ".bak")
            try:
                db.check_file(target)
                db.sqlite_backup(target, aside)
                readable = True
            except RegistryError:
                readable = False
            if readable:
                try:  # fold the WAL into the file and drop it; refused while the registry is open
                    con = sqlite3.connect(target, timeout=1)
                    try:
                        mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                    finally:
                        con.close()
                except sqlite3.Error:
                    mode = None
                if mode != "delete":
                    aside.unlink(missing_ok=True)
                    raise RegistryError(target, "Реестр открыт другой программой; закройте её",
                                        "The registry is open in another program; close it first",
                                        kk="Тіркелім басқа бағдарламада ашық; алдымен оны жабыңыз")
            else:  # damaged: keep the raw files exactly as they are
                shutil.copy2(target, aside)
                tighten(aside)
                if wal.exists():
                    shutil.copy2(wal, aside.with_name(aside.name + "-wal"))
                    tighten(aside.with_name(aside.name + "-wal"))
            if previous:
                files.carry_numbering_into(tmp, previous, now)
            wal.unlink(missing_ok=True)
            shm.unlink(missing_ok=True)
        transfer.adopt_desk_releases(tmp, target)  # the copy's releases beside the desk's file
        os.replace(tmp, target)
        db._fsync_dir(target.parent)
        files.rotate_copies(target.parent, re.escape(target.name) + r"\.before-restore-\d{8}-\d{6}(-\d+)?\.bak",
                      keep_before_restore)
        return aside
    finally:
        tmp.unlink(missing_ok=True)
