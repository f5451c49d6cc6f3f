"""The audit log: a hash chain of every action, its listing, CSV export and verification."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import select

from desktop.fileutil import csv_row, write_private

from ..models import AuditEntry, DocumentNumber, PrintedDocument, Setting
from ..unit import (AUDIT_GENESIS, AUDIT_HEAD, AUDIT_KEYED_FROM, REGISTRY_ID, UnitOfWork,
                    audit_hash, audit_hmac, keyed_starts)


def _naive(moment: datetime) -> datetime:
    """Rows of an earlier version carry naive times: compare everything in UTC without zone."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class Audit(UnitOfWork):
    """Reading, exporting and verifying the audit chain (rows are appended by `_audit`)."""

    def log(self, *, user: str, action: str, obj: str, now: datetime,
            details: dict | None = None) -> None:
        """Append one entry to the audit log (for actions the store does not see itself)."""
        with self._write() as session:
            self._audit(session, user=user, action=action, obj=obj, now=now, details=details)

    def audit_entries(self, *, since: datetime | None = None, until: datetime | None = None,
                      user: str | None = None, action: str | None = None,
                      obj: str | None = None, limit: int | None = 1000) -> list[AuditEntry]:
        """Audit entries, newest first, filtered by any of the arguments."""
        statement = select(AuditEntry)
        if since is not None:
            statement = statement.where(AuditEntry.at >= since)
        if until is not None:
            statement = statement.where(AuditEntry.at < until)
        if user is not None:
            statement = statement.where(AuditEntry.user == user)
        if action is not None:
            statement = statement.where(AuditEntry.action == action)
        if obj is not None:
            statement = statement.where(AuditEntry.object == obj)
        statement = statement.order_by(AuditEntry.id.desc())
        if limit is not None:
            statement = statement.limit(limit)
        with self._read() as session:
            return list(session.exec(statement))

    def export_audit(self, out_csv: Path, *, actor: str, now: datetime, **filters) -> int:
        """Administrator: write the audit log (filters as in audit_entries) to a CSV file
        (UTF-8 with BOM, for spreadsheet programs); returns the number of lines."""
        self.require_admin(actor)
        entries = self.audit_entries(limit=None, **filters)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "at", "user", "action", "object", "details"])
        for e in reversed(entries):
            writer.writerow(csv_row([e.id, e.at.isoformat(), e.user, e.action, e.object, e.details]))
        write_private(Path(out_csv), ("\ufeff" + buffer.getvalue()).encode("utf-8"))
        self.log(user=actor, action="export", obj=f"audit:{Path(out_csv).name}", now=now,
                 details={"entries": len(entries)})
        return len(entries)

    def _registry_id(self) -> str:
        from ..errors import Conflict

        if self.location.is_server:
            raise Conflict("На сервере ключ журнала хранится в самой базе (таблица audit_key, "
                           "только для владельца) и переносится вместе с ней — on the server the "
                           "audit key stays in the database (table audit_key, owner only) and "
                           "moves with it",
                           kk="Серверде журнал кілті дерекқордың өзінде сақталады (audit_key кестесі, тек иесіне) және онымен бірге тасымалданады")
        with self._read() as session:
            value = session.execute(select(Setting.value)
                                    .where(Setting.key == REGISTRY_ID)).scalar()
        if value is None:
            from .. import auditkey

            raise auditkey.AuditKeyError("журнал этого реестра ещё не подписан ключом — this "
                                         "registry's audit chain is not keyed yet")
        return value

    def export_audit_key(self, out: Path, *, actor: str, now: datetime) -> int:
        """Administrator: write this registry's audit key (each keyed part's) to `out`, owner-
        only, to bring it to the PC a copy of the registry is restored on; the number of parts."""
        from .. import auditkey

        self.require_admin(actor)
        parts = auditkey.export_key(self._registry_id(), Path(out))
        self.log(user=actor, action="export", obj="audit_key", now=now, details={"parts": parts})
        return parts

    def import_audit_key(self, source: Path, *, actor: str, now: datetime) -> dict:
        """Administrator: add an audit key exported on another PC to this PC's key folder —
        of this registry, or of a backup about to be restored here (its chain then verifies
        before the restore). {"registry": its id, "parts": parts added, "this_registry"}."""
        from .. import auditkey

        self.require_admin(actor)
        if self.location.is_server:
            self._registry_id()   # refused, saying why
        registry_id, added = auditkey.import_key(Path(source))
        with self._read() as session:
            own = session.execute(select(Setting.value)
                                  .where(Setting.key == REGISTRY_ID)).scalar()
        self.log(user=actor, action="import", obj="audit_key", now=now,
                 details={"parts": added, "registry": registry_id})
        return {"registry": registry_id, "parts": added, "this_registry": registry_id == own}

    def verify_audit(self) -> dict:
        """Walk the audit chain: every row's hash must follow from the previous one, the head
        must name the last row, and every stored printout must match the sha256 in its row and
        in its print entry, have that entry (printouts made before the registry's last upgrade
        excepted: an earlier version may not have written one) and
        stand in the number ledger as stored. Every break is reported, not only the first.
        Rows before `audit.keyed_from` (written by a version before the chain was keyed) are
        plain sha256 links; from there on HMAC-SHA256 links under the registry's key — checked by
        the server itself on PostgreSQL (the desk role cannot read the key), with this PC's key
        file at a single desk (a keyed part whose key this PC lacks is one break, "audit key
        missing").
        Returns {"ok", "entries", "first_broken", "reason", "breaks": [{"at", "reason"}],
        "keyed_from", "keyed", "unkeyed"}."""
        previous, count, last_id, keyed = AUDIT_GENESIS, 0, 0, 0
        breaks: list[dict] = []
        printed_hashes: dict[str, str | None] = {}
        first_at = upgraded_at = None
        with self._read() as session:
            head = session.exec(select(Setting).where(Setting.key == AUDIT_HEAD)).first()
            starts, server_broken, parts = self._keyed_part(session)
            keyed_from = starts[0] if starts else None
            rows = session.execute(select(AuditEntry.id, AuditEntry.at, AuditEntry.user,
                                          AuditEntry.action, AuditEntry.object,
                                          AuditEntry.details, AuditEntry.hash)
                                   .order_by(AuditEntry.id))
            missing: dict[int, int] = {}   # keyed parts this PC has no key for: rows in each
            for row in rows:
                count += 1
                first_at = first_at or row.at
                part = max((n for n in starts if n <= row.id), default=None)
                if part is None:
                    expected = audit_hash(previous, row.at.isoformat(), row.user, row.action,
                                          row.object, row.details)
                    broken = row.hash != expected
                else:
                    keyed += 1
                    if self.location.is_server:
                        expected, broken = row.hash, row.id in server_broken
                    elif part in parts:
                        expected = audit_hmac(parts[part], previous, row.at.isoformat(),
                                              row.user, row.action, row.object, row.details)
                        broken = row.hash != expected
                    else:
                        expected, broken = row.hash, False
                        missing[part] = missing.get(part, 0) + 1
                if broken:
                    breaks.append({"at": row.id, "reason": "hash"})
                previous, last_id = row.hash or expected, row.id
                if row.action == "migrate":   # printouts before an upgrade may lack entries
                    try:
                        if json.loads(row.details).get("from") is not None:
                            upgraded_at = row.at
                    except ValueError:
                        pass
                if row.action == "print" and row.object.startswith("printed:"):
                    try:
                        printed_hashes[row.object[8:]] = json.loads(row.details).get("sha256")
                    except ValueError:
                        printed_hashes[row.object[8:]] = None
            head_id, _, head_hash = (head.value if head else "0:").partition(":")
            if str(last_id) != head_id or (last_id and previous != head_hash):
                breaks.append({"at": last_id or None,
                               "reason": "head (rows removed or added past the chain)"})
            ledger = dict(session.execute(select(DocumentNumber.number, DocumentNumber.status)).all())
            for p in session.execute(select(PrintedDocument.number, PrintedDocument.sha256,
                                            PrintedDocument.pdf, PrintedDocument.created_at)):
                actual = hashlib.sha256(p.pdf).hexdigest()
                where = f"printed:{p.number}"
                if actual != p.sha256 or printed_hashes.get(p.number) not in (None, actual):
                    breaks.append({"at": where, "reason": "printed document differs from its hash"})
                since = upgraded_at or first_at
                if p.number not in printed_hashes and since is not None \
                        and _naive(p.created_at) >= _naive(since):
                    breaks.append({"at": where, "reason": "printed document has no print entry"})
                if ledger.get(p.number) != "stored":
                    breaks.append({"at": where, "reason": "printed document is not in the number "
                                                          "ledger as stored"})
            for part, rows_in in missing.items():
                breaks.append({"at": part, "reason": f"audit key missing: {rows_in} keyed "
                               "entries from here cannot be checked on this PC (import the "
                               "registry's key: polyclinic audit key import)"})
        first = breaks[0] if breaks else {"at": None, "reason": None}
        return {"ok": not breaks, "entries": count, "first_broken": first["at"],
                "reason": first["reason"], "breaks": breaks, "keyed_from": keyed_from,
                "keyed": keyed, "unkeyed": count - keyed}

    def _keyed_part(self, session) -> tuple[list[int], set[int], dict[int, bytes]]:
        """The first rows of the keyed parts of the chain ([] : nothing keyed), the keyed rows
        the server found broken (it checks them itself: a desk cannot read its key), and at a
        single desk this PC's keys of the parts."""
        from .. import auditkey

        settings = dict(session.execute(select(Setting.key, Setting.value).where(
            Setting.key.in_((AUDIT_KEYED_FROM, REGISTRY_ID)))).all())
        starts = keyed_starts(settings.get(AUDIT_KEYED_FROM))
        if self.location.is_server:
            broken = {r[0] for r in session.execute(sa.text("SELECT polyclinic_audit_broken()"))}
            return starts, broken, {}
        parts = auditkey.load(settings[REGISTRY_ID]) if settings.get(REGISTRY_ID) else {}
        # parts this PC holds a key for but the registry no longer lists: a start removed to
        # hide keyed rows among plain ones — they are checked with their key all the same
        return sorted(set(starts) | set(parts)), set(), parts
