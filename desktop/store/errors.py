"""Exceptions raised by the registry store (stdlib only: the CLI imports this cheaply)."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base class of every error the store raises on purpose."""


class RegistryError(StoreError):
    """The registry file cannot be used: corrupt, not SQLite, not ours, or from a newer version.

    The message is bilingual (Russian, then English) and names the file; `path` is the file,
    `backup` the newest backup the caller may offer to restore (or None).
    """

    def __init__(self, path: Path | str, ru: str, en: str, *, backup: Path | None = None):
        self.path = Path(path)
        self.where = str(path)  # as given: a server's URL keeps its "//"
        self.backup = backup
        self.ru = ru
        self.en = en
        super().__init__(f"{ru} — {en} [{path}]")  # a server URL as given, not a Path


class PermissionDenied(StoreError):
    """The acting user may not do this (a registrar on an administrator's operation)."""


class NotFound(StoreError):
    """No such patient, user, price item or document."""


class Conflict(StoreError):
    """The change contradicts stored data (e.g. an ИИН already held by another patient)."""
