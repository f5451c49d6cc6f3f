"""Backups of the registry: the verified portable copy (plain or encrypted) and restore.

On SQLite the copy is the online backup of the file (desktop/store/files.py); on the server,
one consistent snapshot written as the same kind of SQLite file (transfer.py). A restore
refuses a backup from a newer program, keeps the replaced registry aside, and carries the
document numbering forward on both backends."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from desktop.fileutil import claim_name, private_dir, temp_name

from .. import backend, db, files
from ..errors import RegistryError
from ..models import Setting
from ..unit import SYSTEM_USER, UnitOfWork

# On the clinic's server: the day (and moment) a desk took the clinic's start-up copy.
DAILY_BACKUP = "backup.daily"


class Backups(UnitOfWork):
    """Copies of the registry: by an administrator, and the automatic one when a desk starts."""

    def backup(self, out_path: Path, *, actor: str, now: datetime) -> dict[str, int]:
        """Administrator: copy the registry to `out_path` (SQLite online backup), verify the
        copy (integrity check, row counts equal), return the row counts."""
        self.require_admin(actor)
        if self.damaged is not None:
            raise self.damaged
        counts = self._backup_to(Path(out_path))
        self.log(user=actor, action="backup", obj=f"backup:{Path(out_path).name}", now=now,
                 details={"patient": counts.get("patient", 0)})
        return counts

    def start_backup(self, folder: Path, now: datetime, keep: int = 10) -> Path | None:
        """The automatic copy when a desk starts, into `folder` as
        `<name>-YYYYMMDD-HHMMSS[-n].sqlite`, verified, the newest `keep` kept; returns it, or
        None when there is nothing to copy.

        An SQLite registry is copied at every start (files.auto_backup). The clinic's server
        is copied once a day, by the first desk that starts that day: the day is claimed on the
        server under a lock, so ten desks starting at eight do not take ten copies of the whole
        registry. The copy is the same portable registry file `backup` writes, kept on that
        desk's PC (a second place besides the server's own nightly dump). A copy that fails
        gives the day back, so the next desk to start tries again; the error is raised."""
        if not self.location.is_server:
            return files.auto_backup(self.path, folder, now, keep)
        day, claim = now.date().isoformat(), f"{now.date().isoformat()} {now.isoformat()}"
        with self._write() as session:
            backend.serialize(session, backend.BACKUP_LOCK)
            row = session.get(Setting, DAILY_BACKUP)
            if row is not None and row.value.split(" ", 1)[0] == day:
                return None
            session.merge(Setting(key=DAILY_BACKUP, value=claim))
        folder, out = Path(folder), None
        try:
            private_dir(folder)
            out = claim_name(folder, f"{self.path.stem}-{now:%Y%m%d-%H%M%S}", ".sqlite")
            counts = self._backup_to(out)
        except BaseException:
            if out is not None:
                out.unlink(missing_ok=True)
            try:
                with self._write() as session:
                    row = session.get(Setting, DAILY_BACKUP)
                    if row is not None and row.value == claim:
                        session.delete(row)
            except Exception:  # the server is gone: the copy's own error says more
                pass
            raise
        self.log(user=SYSTEM_USER, action="backup", obj=f"backup:{out.name}", now=now,
                 details={"patient": counts.get("patient", 0), "automatic": True})
        files.rotate_auto_backups(folder, self.path.stem, keep)
        return out

    def _backup_to(self, out_path: Path) -> dict[str, int]:
        """The verified portable copy: SQLite's online backup of the file, or from a server one
        consistent snapshot written as the same kind of SQLite file; either holds the registry's
        reference releases (a desk's from the folder beside its file)."""
        if self.location.is_server:
            from ..transfer import backup_server

            return backup_server(self.engine, out_path)
        from ..transfer import backup_desk

        return backup_desk(self.path, out_path)  # with the desk's releases, wherever restored

    def backup_encrypted(self, out_path: Path, passphrase: str, *, actor: str,
                         now: datetime) -> dict[str, int]:
        """Administrator: a verified copy (as `backup`), encrypted with AES-256-GCM under a
        key derived from `passphrase` (scrypt): for copies that leave the PC. `restore`
        decrypts it. The plain copy exists only as a private temporary file beside the registry."""
        from ..crypt import encrypt_file

        self.require_admin(actor)
        if self.damaged is not None:
            raise self.damaged
        if not self.path.parent.exists():
            private_dir(self.path.parent)
        plain = temp_name(self.path.with_name(self.path.name + ".backup"))
        try:
            counts = self._backup_to(plain)
            out_path = Path(out_path)
            if not out_path.parent.exists():
                private_dir(out_path.parent)
            encrypt_file(plain, out_path, passphrase)
        finally:
            plain.unlink(missing_ok=True)
        self.log(user=actor, action="backup", obj=f"backup:{out_path.name}", now=now,
                 details={"patient": counts.get("patient", 0), "encrypted": True})
        return counts


def restore(backup_file: Path, target: Path | str, *, now: datetime, passphrase: str | None = None,
            keep_before_restore: int = 5) -> Path | None:
    """Replace the registry at `target` (a file or the clinic's server) by `backup_file`. The
    backup is verified first (an encrypted one is decrypted with `passphrase`), and a backup
    from a newer schema is refused before anything is replaced; the current contents are kept
    aside (returned: the file's `.before-restore-…bak`, or the server's portable copy in the
    desk's backups folder; the newest `keep_before_restore` kept); the document numbering of the
    replaced registry is carried forward (numbers it issued that the backup lacks are listed as
    void), so no number is ever handed out twice. An SQLite registry must not be open anywhere
    while restoring; a server's is replaced in one transaction."""
    location = backend.parse_location(target)
    work = location.local_path if location.is_server else Path(location.path)
    with _checked_backup(Path(backup_file), work, passphrase) as plain:
        if not location.is_server:
            return files.restore_file(plain, work, now=now, keep_before_restore=keep_before_restore)
        return _restore_into_server(plain, location, now=now,
                                    keep_before_restore=keep_before_restore)


@contextmanager
def _checked_backup(backup_file: Path, work: Path, passphrase: str | None) -> Iterator[Path]:
    """The backup as a plain, verified file of a schema this program knows: decrypted (with
    `passphrase`) into a private temporary file beside `work` when encrypted, removed after."""
    from ..crypt import decrypt_file, is_encrypted

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
                                f"The backup was made by a newer version of the program ({revision})")
        yield backup_file
    finally:
        if plain is not None:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(str(plain) + suffix).unlink(missing_ok=True)


def _restore_into_server(backup_file: Path, location: "backend.Location", *, now: datetime,
                         keep_before_restore: int) -> Path:
    """`restore` into the clinic's server: the backup is loaded from a private working copy
    (the given file is never migrated in place); the server's current contents are first kept
    as a portable copy in the desk's backups folder (`before-restore-YYYYMMDD-HHMMSS[-n].sqlite`);
    the numbering the server had is carried forward, as on SQLite."""
    from ..transfer import restore_server

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
            restore_server(tmp, engine, keep_aside=aside, now=now)
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
