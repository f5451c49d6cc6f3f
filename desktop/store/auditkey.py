"""The audit chain's key at a single desk (an SQLite registry).

Each registry carries an identity (setting `registry.id`, copied with the file: a backup, a
restored copy and the original share it). Its key is kept outside the registry's folder, in the
user's configuration folder (`audit-keys/<registry.id>.key`, owner-only: 0600 in a 0700 folder,
an owner-only ACL on Windows), so that whoever copies or edits the registry file alone cannot
append a correctly chained entry nor re-chain the entries after one he changed.

The chain is keyed from the row given in setting `audit.keyed_from` on. A PC that opens a keyed
registry without its key (restored on another PC, the key not brought along) starts a new keyed
part under a new key — work goes on — and `audit verify` reports the part it cannot check until
the key is imported (`polyclinic audit key export FILE` on the first PC, `polyclinic audit key
import FILE` on the other). `audit.keyed_from` then lists each part's first row: "12,340".

The folder is $POLYCLINIC_AUDIT_KEYS when set (tests, or an administrator's choice).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from desktop.fileutil import private_dir, write_private

from .errors import StoreError

_ID = re.compile(r"^[0-9a-f]{32}$")


class AuditKeyError(StoreError):
    """A key file that cannot be read or does not belong to a registry."""


def key_dir() -> Path:
    configured = os.environ.get("POLYCLINIC_AUDIT_KEYS")
    if configured:
        return Path(configured)
    from platformdirs import user_config_dir

    # Windows: %APPDATA%\polyclinic (roaming), not %LOCALAPPDATA%\polyclinic where the
    # registry file lives by default
    return Path(user_config_dir("polyclinic", appauthor=False, roaming=True)) / "audit-keys"


def new_registry_id() -> str:
    return secrets.token_hex(16)


def _path(registry_id: str) -> Path:
    if not _ID.match(registry_id or ""):
        raise AuditKeyError(f"неверный идентификатор реестра — bad registry id {registry_id!r}")
    return key_dir() / f"{registry_id}.key"


def _parse(data: bytes) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
        registry_id = value["registry"]
        parts = {int(k): bytes.fromhex(v) for k, v in value["parts"].items()}
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise AuditKeyError("файл ключа журнала повреждён — the audit key file is not valid") \
            from None
    if not _ID.match(str(registry_id)) or any(len(k) != 32 for k in parts.values()):
        raise AuditKeyError("файл ключа журнала повреждён — the audit key file is not valid")
    return {"registry": registry_id, "parts": parts}


def _dump(registry_id: str, parts: dict[int, bytes]) -> bytes:
    return json.dumps({"registry": registry_id,
                       "parts": {str(k): v.hex() for k, v in sorted(parts.items())}},
                      indent=1).encode("utf-8")


def load(registry_id: str) -> dict[int, bytes]:
    """The keys of a registry's keyed parts {first row: key}; {} when this PC has none."""
    path = _path(registry_id)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    return _parse(data)["parts"]


def add_part(registry_id: str, first_row: int) -> bytes:
    """A new random key for the keyed part starting at `first_row`, saved; returns it."""
    parts = load(registry_id)
    key = secrets.token_bytes(32)
    parts[first_row] = key
    _save(registry_id, parts)
    return key


def _save(registry_id: str, parts: dict[int, bytes]) -> None:
    private_dir(key_dir())
    write_private(_path(registry_id), _dump(registry_id, parts))


def export_key(registry_id: str, out: Path) -> int:
    """Write the registry's keys to `out` (owner-only); returns the number of keyed parts."""
    parts = load(registry_id)
    if not parts:
        raise AuditKeyError("на этом компьютере нет ключа журнала этого реестра — this PC has "
                            "no audit key for this registry")
    write_private(Path(out), _dump(registry_id, parts))
    return len(parts)


def import_key(source: Path) -> tuple[str, int]:
    """Add the keys in `source` (an export) to this PC's; returns (registry id, parts added).
    A part this PC already has under another key is refused."""
    imported = _parse(Path(source).read_bytes())
    registry_id = imported["registry"]
    parts = load(registry_id)
    added = 0
    for first, key in imported["parts"].items():
        if first in parts and parts[first] != key:
            raise AuditKeyError(f"другой ключ для записей с {first} уже есть — this PC already "
                                f"has another key for the part from row {first}")
        if first not in parts:
            parts[first] = key
            added += 1
    _save(registry_id, parts)
    return registry_id, added
