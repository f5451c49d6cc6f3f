"""The operational registry of one clinic: an SQLite file at one desk, or the clinic's
PostgreSQL server shared by every desk.

`open_registry(path, now=...)` returns a `Registry`: one unit of work (unit.py) with the parts
of each concern on top (parts/: patients, decisions, numbers and printouts, prices, settings,
accounts, audit, worklist, export,
merges — first, so that a merged record's identifiers lead to the kept one). Every method that writes runs in one transaction
and returns only after the commit (or joins an open `registry.unit()`), and every method that
stamps time takes `now`. What only an SQLite file has lives in files.py and db.py, the server's
counterparts in backend.py. Backups, restore and moving a whole registry (backups.py,
transfer.py) sit above this module and take a Registry; nothing here imports them. Nothing
here imports Qt or reads the clock.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from . import backend, db
from .errors import RegistryError
from .files import auto_backup, backup_database, default_backups_dir, latest_backup, verify_admin_in_file
from .parts.accounts import ROLES, Accounts
from .parts.audit import Audit
from .parts.decisions import Decisions, HistoryItem
from .parts.export import Export
from .parts.merges import AlreadyMerged, Merges, UnmergeRefused
from .parts.numbers import RESERVATION_TIMEOUT, SERVER_RESERVATION_TIMEOUT, Numbers
from .parts.patients import Patients, StaleRecord
from .parts.prices import Prices
from .parts.settings import Settings
from .parts.worklist import Worklist, WorklistItem
from .unit import SYSTEM_USER, audit_hash

__all__ = ["Registry", "open_registry", "auto_backup", "backup_database",
           "default_backups_dir", "latest_backup", "verify_admin_in_file", "StaleRecord",
           "HistoryItem", "WorklistItem", "AlreadyMerged", "UnmergeRefused", "ROLES", "SYSTEM_USER", "audit_hash"]


class Registry(Merges, Patients, Decisions, Numbers, Prices, Settings, Accounts, Audit, Worklist, Export):
    """The operational database of one clinic. Create with `open_registry`; close when done."""


def open_registry(path: Path | str, *, now: datetime) -> Registry:
    """Create or open the registry at `path` (a file, or a `postgresql://` URL): checks the
    file, backs it up before a schema upgrade (`<path>.pre-migration-<revision>.bak`), runs
    pending migrations (on a server under an advisory lock), voids numbers whose printing was
    interrupted.

    Raises RegistryError (bilingual, naming the file) for a corrupt or foreign file.
    """
    location = backend.parse_location(path)
    path = location.local_path
    try:
        engine, migrated_from = backend.prepare(location)
    except RegistryError as exc:
        if not location.is_server:
            exc.backup = latest_backup(path, default_backups_dir(path))
        raise
    registry = Registry(path, engine, location)
    registry.last_now = now
    try:
        if migrated_from != db.head_revision():
            registry.log(user=SYSTEM_USER, action="migrate", obj="schema", now=now,
                         details={"from": migrated_from, "to": db.head_revision()})
        registry.void_interrupted_numbers(
            now, SERVER_RESERVATION_TIMEOUT if location.is_server else RESERVATION_TIMEOUT)
    except RegistryError as exc:
        registry.close()
        if not location.is_server:
            exc.backup = latest_backup(path, default_backups_dir(path))
        raise
    return registry
