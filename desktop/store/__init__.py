"""The operational registry (SQLite via SQLModel/SQLAlchemy, schema by Alembic).

Public names are loaded lazily, so that `import desktop.store` or
`desktop.store.errors` stays stdlib-only and fast (the `decide` command must not pay for
SQLAlchemy). Never imports Qt, never reads the clock: `now` is always an argument.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from .errors import (Conflict, NotFound, PermissionDenied, RegistryError, RegistryFileChanged,
                     StoreError)

_LAZY = {
    "Registry": "registry", "open_registry": "registry", "latest_backup": "files",
    "backup_database": "files", "auto_backup": "files", "default_backups_dir": "files",
    "restore": "backups", "backup": "backups", "backup_encrypted": "backups",
    "start_backup": "backups", "StaleRecord": "parts.patients",
    "IinTaken": "parts.patients",
    "WorklistItem": "parts.worklist", "HistoryItem": "parts.decisions",
    "Patient": "models", "PatientDocument": "models", "Decision": "models",
    "PrintedDocument": "models", "PriceItem": "models", "User": "models",
    "AuditEntry": "models", "ExportOutbox": "models",
}

__all__ = ["Conflict", "NotFound", "PermissionDenied", "RegistryError", "RegistryFileChanged",
           "StoreError", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from .models import (AuditEntry, Decision, ExportOutbox, Patient, PatientDocument,
                         PriceItem, PrintedDocument, User)
    from .files import auto_backup, backup_database, default_backups_dir, latest_backup
    from .backups import backup, backup_encrypted, restore, start_backup
    from .parts.decisions import HistoryItem
    from .parts.patients import IinTaken, StaleRecord
    from .parts.worklist import WorklistItem
    from .registry import Registry, open_registry


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
