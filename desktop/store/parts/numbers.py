"""Document numbers and the printouts kept under them.

A number comes from a per-year counter and is reserved in the ledger in the same transaction;
it ends stored (with its PDF) or void with a reason — never handed out twice, never silently
missing. `numbering`/`carry_numbering` read and move the counters of any registry (used by
restore and the server transfer)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlmodel import select

from ..errors import Conflict, RegistryError
from ..models import DocumentNumber, IsoDateTime, PrintedDocument
from ..unit import SYSTEM_USER, UnitOfWork

# A reserved number whose document was not stored within this time belonged to a process that
# ended (crash, power cut): it is marked void with that reason.
RESERVATION_TIMEOUT = timedelta(minutes=15)
# On the clinic's server the reservation may come from another desk whose clock differs from
# this one's: only a reservation a day old is certainly dead (until then it is listed as
# reserved, never silently missing).
SERVER_RESERVATION_TIMEOUT = timedelta(days=1)

_TAKE_NUMBER = sa.text(
    "INSERT INTO document_sequence (clinic_key, year, last_number, updated_at) "
    "VALUES (:k, :y, 1, :now) ON CONFLICT (clinic_key, year) DO UPDATE SET "
    "last_number = document_sequence.last_number + 1, updated_at = :now "
    "RETURNING last_number").bindparams(sa.bindparam("now", type_=IsoDateTime()))



class Numbers(UnitOfWork):
    """The number ledger and the printed documents."""

    def reserve_document_number(self, year: int, now: datetime, *, kind: str | None = None,
                                user: str = SYSTEM_USER, clinic_key: str = "main") -> str:
        """Take the next document number of `year` ("2026-000042") and reserve it in the ledger
        in the same transaction (committed before it is returned): no number is ever handed
        out twice, even after a crash, and none disappears without a trace."""
        with self._write() as session:
            # One statement takes the number: the counter row is created or moved on and locked
            # until commit (on PostgreSQL two desks taking a year's very first number at once
            # queue on the unique key instead of colliding; on SQLite BEGIN IMMEDIATE queues).
            last = session.execute(_TAKE_NUMBER, {"k": clinic_key, "y": year, "now": now}).scalar_one()
            number = f"{year}-{last:06d}"
            if session.exec(select(DocumentNumber.id).where(DocumentNumber.number == number)).first():
                # the counter was rewound (an old file copied back, edited by hand): repaired
                # from the ledger, which never forgets a number it handed out
                top = max((int(n.rsplit("-", 1)[1]) for n in session.exec(
                    select(DocumentNumber.number).where(DocumentNumber.clinic_key == clinic_key,
                                                        DocumentNumber.year == year))
                           if n.rsplit("-", 1)[1].isdigit()), default=0)
                session.execute(sa.text("UPDATE document_sequence SET last_number = :n, "
                                        "updated_at = :now WHERE clinic_key = :k AND year = :y")
                                .bindparams(sa.bindparam("now", type_=IsoDateTime())),
                                {"n": top + 1, "now": now, "k": clinic_key, "y": year})
                self._audit(session, user=user, action="repair_numbering", obj=f"numbers:{year}",
                            now=now, details={"counter_was": last, "set_to": top + 1})
                last = top + 1
                number = f"{year}-{last:06d}"
            session.add(DocumentNumber(number=number, clinic_key=clinic_key, year=year, kind=kind,
                                       user=user, reserved_at=now, status="reserved"))
        return number

    def next_document_number(self, year: int, now: datetime, *, clinic_key: str = "main") -> str:
        """The next document number of `year`, reserved (see reserve_document_number)."""
        return self.reserve_document_number(year, now, clinic_key=clinic_key)

    def void_document_number(self, number: str, reason: str, *, user: str, now: datetime) -> bool:
        """Mark a reserved number whose document was never stored as void, with the reason
        (audited). False if the number is not reserved (stored or already void)."""
        with self._write() as session:
            row = session.exec(select(DocumentNumber).where(DocumentNumber.number == number)
                               .with_for_update()).first()
            if row is None or row.status != "reserved":
                return False
            row.status, row.reason, row.closed_at = "void", reason[:500], now
            session.add(row)
            self._audit(session, user=user, action="void_number", obj=f"number:{number}", now=now,
                        details={"reason": reason[:500]})
            return True

    def void_interrupted_numbers(self, now: datetime,
                                 older_than: timedelta = RESERVATION_TIMEOUT) -> list[str]:
        """Numbers reserved before `now - older_than` whose document never got stored (the
        process ended): marked void with that reason. Returns them."""
        cutoff = now - older_than
        with self._read() as session:
            stale = [r.number for r in session.exec(select(DocumentNumber).where(
                DocumentNumber.status == "reserved")) if r.reserved_at < cutoff]
        voided = []
        for number in stale:
            if self.void_document_number(
                    number, "прервано: документ не сохранён (сбой или закрытие программы) — "
                    "interrupted: the document was never stored", user=SYSTEM_USER, now=now):
                voided.append(number)
        return voided

    def document_numbers(self, *, status: str | None = None) -> list[DocumentNumber]:
        """The number ledger (oldest first), optionally only one status
        ("reserved", "stored", "void"): the administrator's list of void numbers."""
        statement = select(DocumentNumber).order_by(DocumentNumber.year, DocumentNumber.number)
        if status is not None:
            statement = statement.where(DocumentNumber.status == status)
        with self._read() as session:
            return list(session.exec(statement))

    def store_printed(self, number: str, kind: str, pdf: bytes, *, lang: str, user: str,
                      now: datetime, patient_id: int | None = None,
                      reference_version: str | None = None, year: int | None = None,
                      details: dict | None = None) -> int:
        """Keep the exact PDF handed over; returns its row id. A number is stored once, and
        only a number reserved in the ledger (not void) is stored. `details` go into its audit
        entry besides the kind, patient, language and hash (an estimate's lines, for the
        paid-services report)."""
        with self._write() as session:
            if session.exec(select(PrintedDocument.id)
                            .where(PrintedDocument.number == number)).first() is not None:
                raise Conflict(f"Документ № {number} уже сохранён — document {number} already stored",
                               kk=f"№ {number} құжат бұрыннан сақталған")
            ledger = session.exec(select(DocumentNumber).where(DocumentNumber.number == number)
                                  .with_for_update()).first()
            if ledger is not None and ledger.status != "reserved":
                raise Conflict(f"Номер {number} аннулирован — number {number} is void "
                               f"({ledger.reason or ledger.status})",
                               kk=f"№ {number} нөмір жойылған ({ledger.reason or ledger.status})")
            row = PrintedDocument(
                number=number, kind=kind, year=year if year is not None else now.year,
                patient_id=patient_id, lang=lang, pdf=bytes(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(), reference_version=reference_version,
                created_at=now, user=user)
            session.add(row)
            if ledger is None:
                ledger = DocumentNumber(number=number, clinic_key="main", year=row.year,
                                        kind=kind, user=user, reserved_at=now, status="reserved")
            ledger.status, ledger.closed_at, ledger.kind = "stored", now, kind
            session.add(ledger)
            session.flush()
            self._audit(session, user=user, action="print", obj=f"printed:{number}", now=now,
                        details={**(details or {}), "kind": kind, "patient": patient_id,
                                 "lang": lang, "sha256": row.sha256})
            return row.id

    def link_printed(self, numbers: Iterable[str], patient_id: int, *, user: str, now: datetime) -> int:
        """Attach documents printed before the patient was first saved to that patient (only
        documents that belong to nobody yet); returns how many were attached."""
        numbers = list(numbers)
        if not numbers:
            return 0
        with self._write() as session:
            rows = session.exec(select(PrintedDocument).where(
                PrintedDocument.number.in_(numbers), PrintedDocument.patient_id.is_(None))).all()
            for row in rows:
                row.patient_id = patient_id
                session.add(row)
                self._audit(session, user=user, action="link_printed", obj=f"printed:{row.number}",
                            now=now, details={"patient": patient_id})
            return len(rows)

    def printed_kinds(self, numbers) -> dict[str, str]:
        """{number: kind} of the stored printouts among `numbers`, in one query (without their
        PDFs): for lists that name many documents."""
        numbers = list(dict.fromkeys(numbers))
        if not numbers:
            return {}
        with self._read() as session:
            return dict(session.execute(select(PrintedDocument.number, PrintedDocument.kind)
                                        .where(PrintedDocument.number.in_(numbers))).all())

    def get_printed(self, number: str) -> PrintedDocument | None:
        """The printed document with its exact bytes (checked against the stored sha256)."""
        with self._read() as session:
            row = session.exec(select(PrintedDocument)
                               .where(PrintedDocument.number == number)).first()
        if row is not None and hashlib.sha256(row.pdf).hexdigest() != row.sha256:
            raise RegistryError(self.path, f"Документ № {number} повреждён (контрольная сумма)",
                                f"Document {number} is damaged (checksum mismatch)",
                                kk=f"№ {number} құжат бүлінген (бақылау сомасы сәйкес емес)")
        return row


# --- the numbering of any registry: read it, carry it forward past a restore --------------------

_NUMBERING_SOURCES = ("SELECT clinic_key, year, last_number FROM document_sequence",
                      "SELECT clinic_key, year, number FROM document_number",
                      "SELECT 'main', year, number FROM printed_document")
_MOVE_COUNTER = ("INSERT INTO document_sequence (clinic_key, year, last_number, updated_at) "
                 "VALUES (:k, :y, :n, :now) ON CONFLICT (clinic_key, year) DO UPDATE SET "
                 "last_number = excluded.last_number, updated_at = excluded.updated_at")
_VOID_NUMBER = ('INSERT INTO document_number (number, clinic_key, year, kind, "user", reserved_at, '
                "status, reason, closed_at) VALUES (:number, :k, :y, NULL, :u, :now, 'void', :reason, "
                ":now) ON CONFLICT (number) DO NOTHING")
RESTORED_OVER = ("выдан до восстановления, документа нет в копии — issued before the restore; "
                 "the document is not in the backup")


def numbering(query: Callable[[str], Iterable[tuple] | None]) -> dict[tuple[str, int], int]:
    """The highest document number per (clinic, year) a registry knows: its counters, its number
    ledger and its printouts. `query(sql)` returns one statement's rows, or None when that
    table cannot be read (an older or damaged file): the others still count."""
    found: dict[tuple[str, int], int] = {}
    for sql in _NUMBERING_SOURCES:
        for clinic, year, value in query(sql) or ():
            if isinstance(value, str):
                m = re.fullmatch(r"\d{4}-(\d+)", value)
                if not m:
                    continue
                value = int(m.group(1))
            try:
                key = (str(clinic), int(year))
                found[key] = max(found.get(key, 0), int(value))
            except (TypeError, ValueError):
                continue
    return found


def carry_numbering(execute: Callable[[str, Any], object], previous: dict[tuple[str, int], int],
                    current: dict[tuple[str, int], int], now: datetime, *,
                    ledger: bool = True) -> list[str]:
    """Move each counter forward to `previous` (the replaced registry's numbering; `current`:
    the restored one's) and list the numbers in between as void: they were handed out on papers
    that are not in the backup. `execute(sql, params)` runs one statement with named parameters
    (a list of them: once each); `ledger=False` for a file older than the number ledger.
    Returns the void numbers."""
    voided: list[str] = []
    stamp = now.isoformat()
    for (clinic, year), last in sorted(previous.items()):
        have = current.get((clinic, year), 0)
        if last <= have:
            continue
        execute(_MOVE_COUNTER, {"k": clinic, "y": year, "n": last, "now": stamp})
        if ledger:
            rows = [{"number": f"{year}-{n:06d}", "k": clinic, "y": year, "u": SYSTEM_USER,
                     "now": stamp, "reason": RESTORED_OVER} for n in range(have + 1, last + 1)]
            execute(_VOID_NUMBER, rows)
            voided += [r["number"] for r in rows]
    return voided
