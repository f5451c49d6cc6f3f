"""What only an SQLite registry file has: the online backup of the file, the automatic copies
at start beside it, reading and carrying a file's numbering, rotating copies, reading accounts
from a file without opening it as a registry.

These are the file's primitives: restoring a file in place is backups.restore_file, which
builds on them (and on transfer.py for the releases a copy carries); nothing here imports the
registry, backups or transfer."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

from desktop.fileutil import claim_name, private_dir

from . import db, passwords
from .errors import RegistryError
from .parts.numbers import carry_numbering, numbering


def backup_database(db_path: Path, out_path: Path) -> dict[str, int]:
    """Online-backup `db_path` to `out_path`, then verify the copy (integrity check and the
    same row counts as the source); returns the counts. No role check: callers do that."""
    db_path, out_path = Path(db_path), Path(out_path)
    db.check_file(db_path)
    if not out_path.parent.exists():
        private_dir(out_path.parent)
    db.sqlite_backup(db_path, out_path)
    try:
        counts = db.integrity_counts(out_path)
    except RegistryError:
        out_path.unlink(missing_ok=True)  # never leave an unverified copy that looks like a backup
        raise
    return counts


def default_backups_dir(db_path: Path) -> Path:
    """Where the automatic backups of the registry at `db_path` are kept: `backups/` beside it."""
    return Path(db_path).parent / "backups"


def auto_backup(db_path: Path, folder: Path, now: datetime, keep: int = 10) -> Path | None:
    """The backup at start: copy the registry into `folder` as
    `<name>-YYYYMMDD-HHMMSS[-n].sqlite`, verify it, keep the newest `keep` such copies.
    Only a registry that opens and verifies is copied (call it after open_registry); a copy
    that fails verification raises before any older copy is rotated away. The name is claimed
    atomically, so desks starting in the same second get different files.
    Returns the new file, or None when there is no registry yet."""
    db_path, folder = Path(db_path), Path(folder)
    if not db_path.exists():
        return None
    db.check_file(db_path)
    db.quick_check(db_path)
    private_dir(folder)
    out = claim_name(folder, f"{db_path.stem}-{now:%Y%m%d-%H%M%S}", ".sqlite")
    try:
        backup_database(db_path, out)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    rotate_auto_backups(folder, db_path.stem, keep)
    return out


def rotate_auto_backups(folder: Path, stem: str, keep: int) -> None:
    """Keep the newest `keep` automatic copies `<stem>-YYYYMMDD-HHMMSS[-n].sqlite` in `folder`."""
    rotate_copies(folder, _auto_name(stem), keep)


def _auto_name(stem: str) -> str:
    return re.escape(stem) + r"-\d{8}-\d{6}(-\d+)?\.sqlite"


def _auto_backups(folder: Path, stem: str) -> list[Path]:
    pattern = re.compile(_auto_name(stem))
    return [p for p in folder.glob(f"{stem}-*.sqlite") if pattern.fullmatch(p.name)]


def latest_backup(path: Path, folder: Path | None = None) -> Path | None:
    """The newest backup of the registry at `path`: pre-migration copies beside it, start-up
    copies in `folder` (if given). None if there is none."""
    path = Path(path)
    candidates = list(path.parent.glob(f"{path.name}.pre-migration-*.bak"))
    if folder is not None and Path(folder).is_dir():
        candidates += _auto_backups(Path(folder), path.stem)
    candidates = [c for c in candidates if c.is_file() and c.stat().st_size > 0]
    if not candidates:
        return None
    return max(candidates, key=lambda p: (p.stat().st_mtime, p.name))



def numbering_of_file(path: Path) -> dict[tuple[str, int], int] | None:
    """The numbering (parts.numbers.numbering) of the registry file at `path`, read-only and
    table by table (a damaged or older file gives what it can); None when nothing is readable."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=db.BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        return None
    readable = False

    def query(sql: str):
        nonlocal readable
        try:
            rows = con.execute(sql).fetchall()
        except sqlite3.Error:
            return None
        readable = True
        return rows

    try:
        found = numbering(query)
    finally:
        con.close()
    return found if readable else None


def carry_numbering_into(path: Path, previous: dict[tuple[str, int], int], now: datetime) -> list[str]:
    """In the restored file (not yet in place), carry the numbering forward past `previous`
    (parts.numbers.carry_numbering). Returns the numbers listed as void."""
    con = sqlite3.connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}

        def query(sql: str):
            try:
                return con.execute(sql).fetchall()
            except sqlite3.Error:
                return None

        def execute(sql: str, params) -> None:
            (con.executemany if isinstance(params, list) else con.execute)(sql, params)

        voided = carry_numbering(execute, previous, numbering(query), now,
                                 ledger="document_number" in tables)
        con.execute("COMMIT")
    finally:
        con.close()
    return voided


def rotate_copies(folder: Path, pattern: str, keep: int) -> None:
    """Keep the newest `keep` files of `folder` whose names match `pattern` (a regular
    expression over the whole name; dated names sort by time), with their -wal leftovers."""
    compiled = re.compile(pattern)
    copies = sorted(p for p in Path(folder).iterdir() if compiled.fullmatch(p.name))
    for old in copies[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
        Path(str(old) + "-wal").unlink(missing_ok=True)


def verify_admin_in_file(path: Path, login: str | None, password: str) -> bool:
    """True if `login`/`password` is an active administrator in the registry file at `path`,
    read without opening it as a registry (no migration, no writes): for restoring when the
    current registry is damaged, using the accounts of the backup."""
    if not login:
        return False
    path = Path(path)
    db.check_file(path)
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = con.execute("SELECT password_hash, salt FROM app_user WHERE login = ? "
                              "AND role = 'admin' AND active", (login,)).fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return False
    if row is None:
        return False
    return passwords.verify(password, row[0], row[1])
