"""The operational registry: patients, decisions, printouts, prices, users, audit, export.

`open_registry(path, now=...)` returns a `Registry`; every method that writes runs in one
transaction (BEGIN IMMEDIATE ... COMMIT) and returns only after the commit, and every method
that stamps time takes `now`. Nothing here imports Qt or reads the clock.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple

import sqlalchemy as sa
from sqlmodel import Session, select

from desktop.fileutil import claim_name, csv_row, private_dir, temp_name, tighten, write_private

from . import backend, clinic, db, passwords
from .errors import AccountLocked, ClinicDetailsInvalid, Conflict, NotFound, PermissionDenied, RegistryError
from .models import (IsoDateTime, AuditEntry, Decision, DocumentNumber, DocumentSequence, ExportBatch, ExportOutbox, Patient,
                     PatientDocument, PriceItem, PrintedDocument, Setting, User)
from .text import PREFIX_END, document_key, has_cyrillic, iin_query, latin_key, name_key

ROLES = ("registrar", "admin")
SYSTEM_USER = "system"
CLINIC_SETTINGS = ("name_ru", "name_kk", "bin", "address_ru", "address_kk", "head")
INSURANCE_KINDS = ("dms_contract", "vms_contract", "residence_permit", "employment_contract")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
AUDIT_GENESIS = "0" * 64
AUDIT_HEAD = "audit.head"
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


class StaleRecord(Conflict):
    """Saving over a newer version of a patient: someone else saved it meanwhile."""

    def __init__(self, patient_id: int, by: str, at: datetime, version: int):
        self.patient_id, self.by, self.at, self.version = patient_id, by, at, version
        super().__init__(f"Карточку пациента {patient_id} уже изменил(а) {by} в {at:%d.%m.%Y %H:%M} — "
                         f"patient {patient_id} was changed by {by} at {at.isoformat()}; "
                         "reload the card")


def audit_hash(previous: str, at: str, user: str, action: str, obj: str, details: str) -> str:
    """One link of the audit chain: sha256 over the previous row's hash and this row's fields."""
    body = "\x1f".join((previous, at, user, action, obj, details)).encode("utf-8")
    return hashlib.sha256(body).hexdigest()


class WorklistItem(NamedTuple):
    """A patient whose attachment basis ends soon: `ends` is a document kind or "osms"."""

    patient_id: int
    name: str
    iin: str | None
    ends: str
    until: date


@dataclass(frozen=True)
class HistoryItem:
    """One line of a patient's history: a decision or a printed document."""

    kind: str            # "decision" | "printed"
    id: int
    at: datetime
    user: str
    summary: dict


# --- helpers without state ------------------------------------------------------------------------

def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def hash_password(password: str, salt: bytes) -> str:
    """The older (N=2^14) hash; kept for reading old rows, new ones use passwords.py."""
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT).hex()


def _documents_of(case: dict) -> list[dict]:
    documents = case.get("documents") or []
    if not isinstance(documents, list):
        raise ValueError("case.documents must be a list")
    return [d for d in documents if isinstance(d, dict) and d.get("kind")]


class Registry:
    """The operational database of one clinic. Create with `open_registry`; close when done."""

    # scrypt cost (log2 N) of the password hashes this registry writes (see passwords.py)
    password_log2n: int = passwords.LOG2_N

    def __init__(self, path: Path, engine: sa.Engine, location: "backend.Location | None" = None):
        # `location`: the file or the server; `path`: the file, or a server's local anchor
        # (reference releases and start-up backups beside it).
        self.location = location or backend.parse_location(Path(path))
        self.path = Path(path)
        self.engine = engine
        self._writer = engine.execution_options(sqlite_immediate=True)
        self.damaged: RegistryError | None = None  # set at the first sign of damage: no more writes

    # --- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Registry":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn SQLite's errors into the damaged-registry message; after damage (not a busy
        file or a constraint), the registry refuses every further write. On a server, its
        errors (connection lost, refused) become a message naming the server instead."""
        try:
            yield
        except sa.exc.IntegrityError:
            raise
        except (sa.exc.DatabaseError, sa.exc.ResourceClosedError) as exc:
            if self.location.is_server:  # the server refused or is gone: nothing is damaged
                raise backend.server_error(self.location, exc) from None
            error = db.wrap_db_error(self.path, exc)
            if not db.is_busy(exc):
                self.damaged = error
            raise error from None
        except Exception as exc:
            import sqlite3

            if isinstance(exc, sqlite3.DatabaseError):
                error = db.wrap_db_error(self.path, exc)
                if not db.is_busy(exc):
                    self.damaged = error
                raise error from None
            raise

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction, committed on leaving the block. A unique index refusing a
        row another desk saved at the same moment becomes a Conflict."""
        if self.damaged is not None:
            raise self.damaged
        try:
            with self._guard():
                with Session(self._writer, expire_on_commit=False) as session:
                    with session.begin():
                        yield session
        except sa.exc.IntegrityError as exc:
            conflict = backend.conflict_from(exc)
            if conflict is None:
                raise
            raise conflict from None

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._guard():
            with Session(self.engine, expire_on_commit=False) as session:
                yield session

    @staticmethod
    def _audit(session: Session, *, user: str, action: str, obj: str, now: datetime,
               details: dict | None = None) -> None:
        """Append one audit row, chained to the previous one (the head is read for update in
        this transaction, so concurrent writers queue and the chain never forks)."""
        head = session.info.get(AUDIT_HEAD)
        if head is None:
            # On PostgreSQL (READ COMMITTED) the appends of all desks queue on one advisory lock
            # held to commit, so each reads the head the previous one wrote, even while the
            # head row does not exist yet; SQLite's BEGIN IMMEDIATE already queues them.
            backend.serialize(session, backend.AUDIT_LOCK)
            row = session.exec(select(Setting).where(Setting.key == AUDIT_HEAD)
                               .with_for_update()).first()
            head = row if row is not None else Setting(key=AUDIT_HEAD, value=f"0:{AUDIT_GENESIS}")
        previous = head.value.partition(":")[2] or AUDIT_GENESIS
        text = _dumps(details or {})
        entry = AuditEntry(at=now, user=user, action=action, object=obj, details=text)
        entry.hash = audit_hash(previous, now.isoformat(), user, action, obj, text)
        session.add(entry)
        session.flush()
        head.value = f"{entry.id}:{entry.hash}"
        session.add(head)
        session.info[AUDIT_HEAD] = head

    def _require_role(self, session: Session, login: str, role: str = "admin") -> User:
        user = session.exec(select(User).where(User.login == login)).first()
        if user is None or not user.active:
            raise PermissionDenied(f"Нет активной учётной записи «{login}» — no active account '{login}'")
        if role == "admin" and user.role != "admin":
            raise PermissionDenied(
                f"Действие доступно только администратору ({login}: {user.role}) — "
                f"administrator only ({login} is a {user.role})")
        return user

    def require_admin(self, login: str) -> None:
        """Raise PermissionDenied unless `login` is an active administrator."""
        with self._read() as session:
            self._require_role(session, login)

    def schema_revision(self) -> str | None:
        return db.current_revision(self.engine)

    # --- patients ------------------------------------------------------------------------------

    def save_patient(self, case: dict, *, user: str, now: datetime,
                     patient_id: int | None = None, expected_version: int | None = None) -> int:
        """Insert or update a patient from a case (interface.md); returns the patient id.

        Without `patient_id`, a stored patient with the same ИИН is updated (an ИИН is one
        person); an ИИН held by another patient raises Conflict. Documents are mirrored.
        `expected_version`: the version the caller read (Patient.version); saving over a newer
        one raises StaleRecord naming who changed it and when (nothing is written).
        """
        person = case.get("person") if isinstance(case, dict) else None
        if not isinstance(person, dict):
            raise ValueError("case.person is required")
        documents = _documents_of(case)
        iin = (person.get("iin") or "").strip() or None
        fields = dict(
            iin=iin,
            surname=person.get("surname"), given_name=person.get("given_name"),
            patronymic=person.get("patronymic"), latin_name=person.get("latin_name"),
            birth_date=_date(person.get("birth_date")), sex=person.get("sex"),
            citizenship=person.get("citizenship"),
            surname_key=name_key(person.get("surname")),
            given_key=name_key(person.get("given_name")),
            latin_key=latin_key(person.get("surname")),
            case_json=_dumps(case),
        )
        with self._write() as session:
            holder = None
            if iin:
                holder = session.exec(select(Patient).where(Patient.iin == iin)).first()
            if patient_id is None and holder is not None:
                patient_id = holder.id
            if patient_id is not None:
                # locked until commit: on the server a second desk saving the same card waits
                # here and then compares against the version the first one wrote
                patient = session.get(Patient, patient_id, with_for_update=True)
                if patient is None:
                    raise NotFound(f"patient {patient_id}")
                if holder is not None and holder.id != patient_id:
                    raise Conflict(f"ИИН {iin} уже у пациента {holder.id} — IIN {iin} "
                                   f"already belongs to patient {holder.id}")
                if expected_version is not None and (patient.version or 1) != expected_version:
                    raise StaleRecord(patient.id, patient.updated_by, patient.updated_at,
                                      patient.version)
                for name, value in fields.items():
                    setattr(patient, name, value)
                patient.updated_at, patient.updated_by = now, user
                patient.version = (patient.version or 1) + 1
                action = "update"
                session.execute(sa.delete(PatientDocument)
                                .where(PatientDocument.patient_id == patient_id))
            else:
                patient = Patient(**fields, created_at=now, created_by=user,
                                  updated_at=now, updated_by=user, version=1)
                action = "create"
            session.add(patient)
            session.flush()
            for position, doc in enumerate(documents):
                session.add(PatientDocument(
                    patient_id=patient.id, position=position, kind=str(doc["kind"]),
                    number=doc.get("number"), number_key=document_key(doc.get("number")) or None,
                    country=doc.get("country"), issued_on=_date(doc.get("issued_on")),
                    valid_from=_date(doc.get("valid_from")),
                    valid_until=_date(doc.get("valid_until"))))
            self._audit(session, user=user, action=action, obj=f"patient:{patient.id}", now=now,
                        details={"documents": len(documents)})
            return patient.id

    def get_patient(self, patient_id: int) -> Patient | None:
        """The stored patient (its `case` property is the saved case), or None."""
        with self._read() as session:
            return session.get(Patient, patient_id)

    def open_patient(self, patient_id: int, *, user: str, now: datetime) -> Patient:
        """Read a patient for display and record the view in the audit log."""
        with self._write() as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFound(f"patient {patient_id}")
            self._audit(session, user=user, action="view", obj=f"patient:{patient_id}", now=now)
            return patient

    def documents_of(self, patient_id: int) -> list[PatientDocument]:
        with self._read() as session:
            return list(session.exec(select(PatientDocument)
                                     .where(PatientDocument.patient_id == patient_id)
                                     .order_by(PatientDocument.position)))

    def search(self, query: str, *, limit: int = 50) -> list[Patient]:
        """Find patients by ИИН (12 digits), document number, or surname prefix.

        Surname: case-insensitive, ё = е, Kazakh letters = their Russian look-alikes, Latin
        and Cyrillic meet via transliteration ("ivan" finds "Иванов"). A second word narrows
        by given name. A query with digits is a document number (spaces, dashes ignored).
        """
        query = (query or "").strip()
        if not query:
            return []
        with self._read() as session:
            iin = iin_query(query)
            if iin is not None or any(ch.isdigit() for ch in query):
                ids: list[int] = []
                if iin is not None:
                    ids += session.exec(select(Patient.id).where(Patient.iin == iin)).all()
                key = document_key(query)
                ids += session.exec(select(PatientDocument.patient_id).distinct()
                                    .where(PatientDocument.number_key == key)
                                    .limit(limit)).all()
                return self._patients_in_order(session, list(dict.fromkeys(ids))[:limit])
            words = query.split()
            surname, given = words[0], " ".join(words[1:])
            cyr, lat = name_key(surname), latin_key(surname)
            given_cyr, given_lat = name_key(given), latin_key(given)
            cyrillic_given = bool(given_cyr) and has_cyrillic(given)
            fetch = limit * 20 if given_lat and not cyrillic_given else limit
            found: dict[int, Patient] = {}
            # Each script walks its own index in order and stops at the limit, so a one-letter
            # query costs no more than a full surname.
            if cyr and has_cyrillic(surname):
                statement = select(Patient).where(Patient.surname_key >= cyr,
                                                  Patient.surname_key < cyr + PREFIX_END)
                if cyrillic_given:
                    statement = statement.where(Patient.given_key >= given_cyr,
                                                Patient.given_key < given_cyr + PREFIX_END)
                statement = statement.order_by(Patient.surname_key, Patient.given_key,
                                               Patient.birth_date)
                found.update((p.id, p) for p in session.exec(statement.limit(fetch)))
            if lat:
                statement = select(Patient).where(Patient.latin_key >= lat,
                                                  Patient.latin_key < lat + PREFIX_END)
                if cyrillic_given:
                    statement = statement.where(Patient.given_key >= given_cyr,
                                                Patient.given_key < given_cyr + PREFIX_END)
                statement = statement.order_by(Patient.latin_key, Patient.given_key)
                for p in session.exec(statement.limit(fetch)):
                    found.setdefault(p.id, p)
        result = list(found.values())
        if given_lat and not cyrillic_given:
            result = [p for p in result if latin_key(p.given_name).startswith(given_lat)]
        return result[:limit]

    @staticmethod
    def _patients_in_order(session: Session, ids: list[int]) -> list[Patient]:
        if not ids:
            return []
        by_id = {p.id: p for p in session.exec(select(Patient).where(Patient.id.in_(ids)))}
        return [by_id[i] for i in ids if i in by_id]

    def likely_duplicates(self, case: dict, *, exclude_id: int | None = None) -> list[Patient]:
        """Stored patients who are probably this case's person: the same ИИН, or the same
        surname, given name and birth date (keys folded as in search)."""
        person = case.get("person") or {}
        conditions = []
        iin = (person.get("iin") or "").strip()
        if iin:
            conditions.append(Patient.iin == iin)
        surname, given = name_key(person.get("surname")), name_key(person.get("given_name"))
        birth = _date(person.get("birth_date"))
        if surname and given and birth:
            conditions.append(sa.and_(Patient.surname_key == surname, Patient.given_key == given,
                                      Patient.birth_date == birth))
        if not conditions:
            return []
        statement = select(Patient).where(sa.or_(*conditions)).order_by(Patient.id)
        if exclude_id is not None:
            statement = statement.where(Patient.id != exclude_id)
        with self._read() as session:
            return list(session.exec(statement))

    # --- decisions and history -----------------------------------------------------------------

    def record_decision(self, patient_id: int, decision: dict, *, user: str, now: datetime) -> int:
        """Store a decision (interface.md "Output") as taken at `now`; returns its id."""
        attachment = decision.get("attachment") or {}
        osms = decision.get("osms") or {}
        reference = decision.get("reference") or {}
        with self._write() as session:
            if session.get(Patient, patient_id) is None:
                raise NotFound(f"patient {patient_id}")
            row = Decision(
                patient_id=patient_id, as_of=_date(decision.get("as_of")), taken_at=now,
                user=user, reference_version=reference.get("version"),
                category=decision.get("category"), attachment_status=attachment.get("status"),
                attachment_until=_date(attachment.get("until")), osms_until=_date(osms.get("until")),
                decision_json=_dumps(decision))
            session.add(row)
            session.flush()
            self._audit(session, user=user, action="decide", obj=f"decision:{row.id}", now=now,
                        details={"patient": patient_id, "category": row.category,
                                 "attachment": row.attachment_status})
            return row.id

    def latest_decision(self, patient_id: int) -> Decision | None:
        with self._read() as session:
            return session.exec(select(Decision).where(Decision.patient_id == patient_id)
                                .order_by(Decision.taken_at.desc(), Decision.id.desc())).first()

    def latest_decisions(self) -> Iterator[tuple[int, dict, dict]]:
        """(patient_id, case, latest decision) for every patient with a stored decision, in
        patient order: for re-checking the registry under newly imported reference data."""
        sql = sa.text("""
            SELECT p.id, p.case_json, d.decision_json
            FROM patient p JOIN decision d ON d.id = (
                SELECT y.id FROM decision y WHERE y.patient_id = p.id
                ORDER BY y.taken_at DESC, y.id DESC LIMIT 1)
            ORDER BY p.id""")
        with self._guard(), self.engine.connect() as connection:
            for pid, case_json, decision_json in connection.execute(sql):
                yield pid, json.loads(case_json), json.loads(decision_json)

    def history(self, patient_id: int) -> list[HistoryItem]:
        """Decisions and printed documents of a patient, newest first."""
        with self._read() as session:
            items = [HistoryItem("decision", d.id, d.taken_at, d.user, {
                "as_of": d.as_of.isoformat() if d.as_of else None, "category": d.category,
                "attachment_status": d.attachment_status,
                "reference_version": d.reference_version})
                for d in session.exec(select(Decision).where(Decision.patient_id == patient_id))]
            rows = session.execute(
                select(PrintedDocument.id, PrintedDocument.number, PrintedDocument.kind,
                       PrintedDocument.lang, PrintedDocument.sha256, PrintedDocument.created_at,
                       PrintedDocument.user)
                .where(PrintedDocument.patient_id == patient_id))
            items += [HistoryItem("printed", r.id, r.created_at, r.user, {
                "number": r.number, "kind": r.kind, "lang": r.lang, "sha256": r.sha256})
                for r in rows]
        items.sort(key=lambda i: (i.at, i.kind == "printed", i.id), reverse=True)
        return items

    # --- document numbers and printouts ------------------------------------------------------

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
                      reference_version: str | None = None, year: int | None = None) -> int:
        """Keep the exact PDF handed over; returns its row id. A number is stored once, and
        only a number reserved in the ledger (not void) is stored."""
        with self._write() as session:
            if session.exec(select(PrintedDocument.id)
                            .where(PrintedDocument.number == number)).first() is not None:
                raise Conflict(f"Документ № {number} уже сохранён — document {number} already stored")
            ledger = session.exec(select(DocumentNumber).where(DocumentNumber.number == number)
                                  .with_for_update()).first()
            if ledger is not None and ledger.status != "reserved":
                raise Conflict(f"Номер {number} аннулирован — number {number} is void "
                               f"({ledger.reason or ledger.status})")
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
                        details={"kind": kind, "patient": patient_id, "lang": lang,
                                 "sha256": row.sha256})
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

    def get_printed(self, number: str) -> PrintedDocument | None:
        """The printed document with its exact bytes (checked against the stored sha256)."""
        with self._read() as session:
            row = session.exec(select(PrintedDocument)
                               .where(PrintedDocument.number == number)).first()
        if row is not None and hashlib.sha256(row.pdf).hexdigest() != row.sha256:
            raise RegistryError(self.path, f"Документ № {number} повреждён (контрольная сумма)",
                                f"Document {number} is damaged (checksum mismatch)")
        return row

    # --- prices ------------------------------------------------------------------------------

    def prices_on(self, on: date) -> list[PriceItem]:
        """The price list in force on `on` (valid_from <= on <= valid_until), by code."""
        with self._read() as session:
            return list(session.exec(
                select(PriceItem).where(PriceItem.valid_from <= on,
                                        sa.or_(PriceItem.valid_until.is_(None),
                                               PriceItem.valid_until >= on))
                .order_by(PriceItem.code)))

    def price_history(self, code: str) -> list[PriceItem]:
        with self._read() as session:
            return list(session.exec(select(PriceItem).where(PriceItem.code == code)
                                     .order_by(PriceItem.valid_from)))

    def seed_prices(self, items: Iterable[dict], *, now: datetime,
                    valid_from: date | None = None) -> int:
        """First start: load the demo price list if the price table is empty; otherwise do
        nothing. Returns how many rows were added.

        An item has code, price, valid_from (or the `valid_from` argument), optional
        valid_until, and names either as name_ru/name_kk or as name: {ru, kk} (the reference
        data's shape); a unit given as {ru, kk} is stored in Russian.
        """
        with self._write() as session:
            backend.serialize(session, backend.SEED_LOCK)  # desks starting at once seed once
            if session.exec(select(PriceItem.id).limit(1)).first() is not None:
                return 0
            count = 0
            for item in items:
                names = item.get("name") if isinstance(item.get("name"), dict) else {}
                name_ru = item.get("name_ru") or names.get("ru")
                unit = item.get("unit") or ""
                start = _date(item.get("valid_from")) or valid_from
                if not item.get("code") or not name_ru or start is None:
                    raise ValueError(f"price item needs code, name and valid_from: {item!r}")
                session.add(PriceItem(
                    code=item["code"], name_ru=name_ru,
                    name_kk=item.get("name_kk") or names.get("kk") or name_ru,
                    unit=unit.get("ru", "") if isinstance(unit, dict) else str(unit),
                    price=Decimal(str(item["price"])), valid_from=start,
                    valid_until=_date(item.get("valid_until")),
                    created_at=now, created_by=SYSTEM_USER))
                count += 1
            self._audit(session, user=SYSTEM_USER, action="seed", obj="price_item", now=now,
                        details={"items": count})
            return count

    def set_price(self, code: str, *, price: Decimal | str, valid_from: date, actor: str,
                  now: datetime, name_ru: str | None = None, name_kk: str | None = None,
                  unit: str | None = None) -> int:
        """Administrator: a new price for `code` from `valid_from`. The row in force closes the
        day before, so estimates made earlier keep their prices. Returns the new row id."""
        price = Decimal(str(price))
        if price < 0:
            raise ValueError("price must not be negative")
        with self._write() as session:
            self._require_role(session, actor)
            rows = list(session.exec(select(PriceItem).where(PriceItem.code == code)
                                     .order_by(PriceItem.valid_from)))
            current = next((r for r in reversed(rows) if r.valid_from <= valid_from), None)
            later = [r for r in rows if r.valid_from > valid_from]
            if later:
                raise Conflict(f"Для {code} уже есть цена с {later[0].valid_from} — "
                               f"{code} already has a price from {later[0].valid_from}")
            template = current or (rows[-1] if rows else None)
            if template is None and not name_ru:
                raise NotFound(f"price item {code} (give name_ru to create it)")
            if current is not None and current.valid_until is not None \
                    and current.valid_until < valid_from:
                current = None  # ended before: the new price starts after a gap
            if current is not None:
                if current.valid_from == valid_from:
                    raise Conflict(f"Цена {code} с {valid_from} уже задана — "
                                   f"{code} already has a price from {valid_from}")
                current.valid_until = valid_from - timedelta(days=1)
                session.add(current)
            row = PriceItem(code=code, name_ru=name_ru or template.name_ru,
                            name_kk=name_kk or (template.name_kk if template else name_ru),
                            unit=unit if unit is not None else (template.unit if template else ""),
                            price=price, valid_from=valid_from, valid_until=None,
                            created_at=now, created_by=actor)
            session.add(row)
            session.flush()
            self._audit(session, user=actor, action="update", obj=f"price:{code}", now=now,
                        details={"price": str(price), "valid_from": valid_from.isoformat(),
                                 "previous": str(current.price) if current else None})
            return row.id

    # --- settings ------------------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        with self._read() as session:
            return {s.key: s.value for s in session.exec(select(Setting))}

    def clinic_details(self) -> dict[str, str]:
        """Clinic names and addresses (ru, kk), БИН and head ("" when not set); "name" and
        "address" are the Russian ones (see clinic.for_language for a document's language)."""
        details = clinic.from_settings(self.settings())
        return {**details, "name": details["name_ru"], "address": details["address_ru"]}

    def set_clinic_details(self, values: dict[str, str], *, actor: str, now: datetime) -> None:
        """Administrator: set the clinic's details (all of clinic.FIELDS given are checked;
        ValueError with the list of problems, nothing saved, when any is wrong)."""
        unknown = sorted(set(values) - set(clinic.FIELDS))
        if unknown:
            raise ValueError(f"unknown clinic fields: {', '.join(unknown)}")
        merged = {**clinic.from_settings(self.settings()),
                  **{k: (v or "").strip() for k, v in values.items()}}
        problems = clinic.errors(merged)
        if problems:
            raise ClinicDetailsInvalid(problems)
        self.set_settings({f"clinic.{k}": merged[k] for k in clinic.FIELDS}, actor=actor, now=now)

    def set_settings(self, values: dict[str, str], *, actor: str, now: datetime) -> None:
        """Administrator: set settings (clinic details are keys "clinic.name" etc.)."""
        with self._write() as session:
            self._require_role(session, actor)
            for key, value in values.items():
                session.merge(Setting(key=key, value=str(value)))
            self._audit(session, user=actor, action="update", obj="settings", now=now,
                        details={"keys": sorted(values)})

    # --- users ---------------------------------------------------------------------------------

    def needs_admin_setup(self) -> bool:
        """True on first run: no administrator has ever existed (the only time one may be
        created without signing in)."""
        return not self.admin_ever_existed()

    def admin_ever_existed(self) -> bool:
        """True once any administrator account was created (locked ones included)."""
        with self._read() as session:
            return session.exec(select(User.id).where(User.role == "admin")).first() is not None

    def create_user(self, login: str, password: str, *, full_name: str, role: str,
                    now: datetime, actor: str | None = None) -> int:
        """Create an account. Needs an administrator `actor`, except for the very first
        administrator on first run (no actor)."""
        login = login.strip()
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        if not login or not password:
            raise ValueError("login and password are required")
        passwords.check_password(password, login)
        password_hash, salt_hex = passwords.hash_password(password, self.password_log2n)
        with self._write() as session:
            # Without credentials only while no administrator has ever existed (a locked
            # administrator still counts: locking the last one must not reopen first run).
            first_run = session.exec(select(User.id).where(User.role == "admin")).first() is None
            if actor is None:
                if not (first_run and role == "admin"):
                    raise PermissionDenied("Создавать учётные записи может только администратор — "
                                           "only an administrator may create accounts")
            else:
                self._require_role(session, actor)
            if session.exec(select(User.id).where(User.login == login)).first() is not None:
                raise Conflict(f"Логин «{login}» занят — login '{login}' is taken")
            user = User(login=login, full_name=full_name, role=role,
                        password_hash=password_hash, salt=salt_hex,
                        active=True, created_at=now)
            session.add(user)
            session.flush()
            self._audit(session, user=actor or login, action="create", obj=f"user:{login}",
                        now=now, details={"role": role})
            return user.id

    def set_user_active(self, login: str, active: bool, *, actor: str, now: datetime) -> None:
        """Administrator: lock or unlock an account (accounts are never deleted)."""
        with self._write() as session:
            self._require_role(session, actor)
            user = session.exec(select(User).where(User.login == login)).first()
            if user is None:
                raise NotFound(f"user {login}")
            if not active and user.role == "admin" and user.active:
                others = session.exec(select(User.id).where(
                    User.role == "admin", User.active == True, User.id != user.id)).first()  # noqa: E712
                if others is None:
                    raise Conflict("Нельзя заблокировать последнего администратора — "
                                   "the last active administrator cannot be locked")
            user.active = active
            session.add(user)
            self._audit(session, user=actor, action="update", obj=f"user:{login}", now=now,
                        details={"active": active})

    def set_password(self, login: str, password: str, *, actor: str, now: datetime) -> None:
        """A user changes their own password; an administrator may change anyone's."""
        passwords.check_password(password, login)
        password_hash, salt_hex = passwords.hash_password(password, self.password_log2n)
        with self._write() as session:
            if actor != login:
                self._require_role(session, actor)
            user = session.exec(select(User).where(User.login == login)).first()
            if user is None:
                raise NotFound(f"user {login}")
            user.password_hash, user.salt = password_hash, salt_hex
            session.add(user)
            self._audit(session, user=actor, action="update", obj=f"user:{login}", now=now,
                        details={"password": "changed"})

    def users(self) -> list[User]:
        with self._read() as session:
            return list(session.exec(select(User).order_by(User.login)))

    def get_user(self, login: str) -> User | None:
        with self._read() as session:
            return session.exec(select(User).where(User.login == login)).first()

    def verify_password(self, login: str, password: str) -> bool:
        """True if `login` is an active account with this password."""
        user = self.get_user(login)
        if user is None or not user.active:
            passwords.dummy_verify(password)  # same cost either way
            return False
        return passwords.verify(password, user.password_hash, user.salt)

    def change_own_password(self, login: str, old_password: str, new_password: str, *,
                            now: datetime) -> None:
        """A signed-in user changes their own password: the old one must be right."""
        if not self.verify_password(login, old_password):
            raise PermissionDenied("неверный текущий пароль — the current password is wrong")
        self.set_password(login, new_password, actor=login, now=now)

    def locked_until(self, login: str, now: datetime) -> datetime | None:
        """When the account's sign-in lockout ends, or None when it may sign in now."""
        with self._read() as session:
            return passwords.locked_until(self._sign_ins(session, login), now)

    @staticmethod
    def _sign_ins(session: Session, login: str) -> list[tuple[str, datetime, str]]:
        rows = session.exec(select(AuditEntry.action, AuditEntry.at, AuditEntry.details)
                            .where(AuditEntry.object == f"user:{login}",
                                   AuditEntry.action.in_(passwords.SIGN_IN_ACTIONS))
                            .order_by(AuditEntry.id.desc()).limit(passwords.MAX_FAILURES + 1))
        return [tuple(r) for r in rows]

    def login(self, login: str, password: str, *, now: datetime) -> User | None:
        """Check a password and record the attempt in the audit log; the user or None.
        After MAX_FAILURES failures in a row the account waits (AccountLocked, with `until`);
        a hash at an older cost is replaced by one at today's cost."""
        until = self.locked_until(login, now)
        if until is not None:
            passwords.dummy_verify(password)
            with self._write() as session:
                self._audit(session, user=login, action="login_refused", obj=f"user:{login}",
                            now=now, details={"locked_until": until.isoformat()})
            raise AccountLocked(login, until, now)
        ok = self.verify_password(login, password)
        known = ok or self.get_user(login) is not None
        upgrade = None
        if ok and passwords.needs_upgrade(self.get_user(login).password_hash, self.password_log2n):
            upgrade = passwords.hash_password(password, self.password_log2n)
        with self._write() as session:
            # A failed attempt names the login only if it exists (a mistyped password in the
            # login field must not end up in the log).
            self._audit(session, user=login if known else "?", action="login" if ok else "login_failed",
                        obj=f"user:{login}" if known else "user:?", now=now)
            if upgrade is not None:
                user = session.exec(select(User).where(User.login == login)).one()
                user.password_hash, user.salt = upgrade
                session.add(user)
            if not ok and known:
                session.flush()
                if passwords.failures_reached(self._sign_ins(session, login)):
                    until = now + passwords.LOCKOUT
                    self._audit(session, user=login, action="account_locked", obj=f"user:{login}",
                                now=now, details={"until": until.isoformat(),
                                                  "failures": passwords.MAX_FAILURES})
        return self.get_user(login) if ok else None

    # --- audit -----------------------------------------------------------------------------------

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
        _write_atomically(Path(out_csv), ("\ufeff" + buffer.getvalue()).encode("utf-8"))
        self.log(user=actor, action="export", obj=f"audit:{Path(out_csv).name}", now=now,
                 details={"entries": len(entries)})
        return len(entries)

    def verify_audit(self) -> dict:
        """Walk the audit chain: every row's hash must follow from the previous one, the head
        must name the last row, and every stored printout's PDF must match the sha256 in its
        row and in its audit entry. Returns {"ok", "entries", "first_broken", "reason"}."""
        previous, count, broken, reason, last_id = AUDIT_GENESIS, 0, None, None, 0
        printed_hashes: dict[str, str] = {}
        with self._read() as session:
            head = session.exec(select(Setting).where(Setting.key == AUDIT_HEAD)).first()
            rows = session.execute(select(AuditEntry.id, AuditEntry.at, AuditEntry.user,
                                          AuditEntry.action, AuditEntry.object,
                                          AuditEntry.details, AuditEntry.hash)
                                   .order_by(AuditEntry.id))
            for row in rows:
                count += 1
                expected = audit_hash(previous, row.at.isoformat(), row.user, row.action,
                                      row.object, row.details)
                if broken is None and row.hash != expected:
                    broken, reason = row.id, "hash"
                previous, last_id = row.hash or expected, row.id
                if row.action == "print" and row.object.startswith("printed:"):
                    try:
                        printed_hashes[row.object[8:]] = json.loads(row.details).get("sha256")
                    except ValueError:
                        pass
            head_id, _, head_hash = (head.value if head else "0:").partition(":")
            if broken is None and (str(last_id) != head_id or (last_id and previous != head_hash)):
                broken, reason = last_id or None, "head (rows removed or added past the chain)"
            for p in session.execute(select(PrintedDocument.number, PrintedDocument.sha256,
                                            PrintedDocument.pdf)):
                actual = hashlib.sha256(p.pdf).hexdigest()
                if broken is None and (actual != p.sha256 or printed_hashes.get(p.number) not in (None, actual)):
                    broken, reason = f"printed:{p.number}", "printed document differs from its hash"
        return {"ok": broken is None, "entries": count, "first_broken": broken, "reason": reason}

    # --- backups ---------------------------------------------------------------------------------

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

    def _backup_to(self, out_path: Path) -> dict[str, int]:
        """The verified portable copy: SQLite's online backup of the file, or from a server one
        consistent snapshot written as the same kind of SQLite file."""
        if self.location.is_server:
            from .transfer import backup_server

            return backup_server(self.engine, out_path)
        return backup_database(self.path, out_path)

    def backup_encrypted(self, out_path: Path, passphrase: str, *, actor: str,
                         now: datetime) -> dict[str, int]:
        """Administrator: a verified copy (as `backup`), encrypted with AES-256-GCM under a
        key derived from `passphrase` (scrypt): for copies that leave the PC. `restore`
        decrypts it. The plain copy exists only as a private temporary file beside the registry."""
        from .crypt import encrypt_file

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

    # --- worklist --------------------------------------------------------------------------------

    def worklist(self, as_of: date, days: int) -> list[WorklistItem]:
        """Patients whose insurance contract, residence permit or employment contract, or whose
        latest decision's ОСМС status, ends within [as_of, as_of + days]; soonest first.

        Only the latest-ending document of each kind counts: a patient who already brought a
        new contract is not on the list.
        """
        start, end = as_of.isoformat(), (as_of + timedelta(days=days)).isoformat()
        kinds = ", ".join(f"'{k}'" for k in INSURANCE_KINDS)
        sql = sa.text(f"""
            SELECT p.id, p.surname, p.given_name, p.patronymic, p.iin, w.ends, w.until
            FROM (
                SELECT d.patient_id, d.kind AS ends, d.valid_until AS until
                FROM patient_document d
                WHERE d.kind IN ({kinds}) AND d.valid_until BETWEEN :start AND :end
                  AND NOT EXISTS (SELECT 1 FROM patient_document l
                                  WHERE l.patient_id = d.patient_id AND l.kind = d.kind
                                    AND l.valid_until > d.valid_until)
                UNION ALL
                SELECT x.patient_id, 'osms', x.osms_until
                FROM decision x
                WHERE x.osms_until BETWEEN :start AND :end
                  AND x.id = (SELECT y.id FROM decision y WHERE y.patient_id = x.patient_id
                              ORDER BY y.taken_at DESC, y.id DESC LIMIT 1)
            ) w JOIN patient p ON p.id = w.patient_id
            ORDER BY w.until, p.surname_key, p.id, w.ends""")
        with self._guard(), self.engine.connect() as connection:
            rows = connection.execute(sql, {"start": start, "end": end}).all()
        parse = date.fromisoformat
        return [WorklistItem(pid, " ".join(filter(None, (surname, given, patronymic))), iin, ends,
                             parse(until))
                for pid, surname, given, patronymic, iin, ends, until in rows]

    # --- export for the national register ---------------------------------------------------

    def export_attachments(self, out_csv: Path, out_json: Path, *, now: datetime, user: str,
                           again: bool = False) -> dict:
        """Administrator: write the allowed attachments not yet exported (from each patient's
        latest decision) to CSV and JSON, exactly once across a crash.

        The batch is staged whole in one transaction (both files' bytes, and the outbox rows);
        then the files are written under temporary names and renamed, and the batch is marked
        done. A run that finds a staged batch (the previous run crashed in between) finishes
        that batch — the same files with the same content — instead of starting a new one.
        With again=True, every current allowed attachment is written again.
        Nothing to export: no files are written. Returns {"count", "decision_ids", ...}.
        """
        out_csv, out_json = Path(out_csv), Path(out_json)
        self.require_admin(user)
        pending = self._staged_export()
        if pending is not None:
            return self._finish_export(pending, now=now, user=user, resumed=True)
        with self._write() as session:
            self._require_role(session, user)
            backend.serialize(session, backend.EXPORT_LOCK)  # desks stage one batch at a time
            if session.exec(select(ExportBatch.id).where(ExportBatch.status == "staged")).first():
                staged = True  # another process staged one meanwhile: finish that instead
            else:
                staged = False
                batch = self._stage_export(session, out_csv, out_json, now=now, user=user, again=again)
        if staged:
            pending = self._staged_export()
            if pending is None:  # the other desk finished it meanwhile: look again
                return self.export_attachments(out_csv, out_json, now=now, user=user, again=again)
            return self._finish_export(pending, now=now, user=user, resumed=True)
        if batch is None:
            return {"count": 0, "decision_ids": [], "csv": str(out_csv), "json": str(out_json)}
        _crash_point("export-staged")
        return self._finish_export(batch, now=now, user=user, resumed=False)

    def _staged_export(self) -> ExportBatch | None:
        with self._read() as session:
            return session.exec(select(ExportBatch).where(ExportBatch.status == "staged")
                                .order_by(ExportBatch.id)).first()

    def _stage_export(self, session: Session, out_csv: Path, out_json: Path, *, now: datetime,
                      user: str, again: bool) -> ExportBatch | None:
        sql = sa.text("""
            SELECT d.id AS decision_id, d.patient_id, d.as_of, d.taken_at, d.category,
                   d.attachment_until, d.reference_version, d.user,
                   p.iin, p.surname, p.given_name, p.patronymic, p.birth_date, p.sex,
                   p.citizenship
            FROM decision d JOIN patient p ON p.id = d.patient_id
            WHERE d.attachment_status = 'allowed'
              AND d.id = (SELECT y.id FROM decision y WHERE y.patient_id = d.patient_id
                          ORDER BY y.taken_at DESC, y.id DESC LIMIT 1)
              AND (:again OR NOT EXISTS (SELECT 1 FROM export_outbox o
                                         WHERE o.decision_id = d.id))
            ORDER BY d.id""")
        rows = [dict(r._mapping) for r in session.execute(sql, {"again": again})]
        if not rows:
            return None
        clinic = {k: v for k, v in self.clinic_details().items()}
        columns = ["decision_id", "patient_id", "iin", "surname", "given_name", "patronymic",
                   "birth_date", "sex", "citizenship", "category", "attachment_until",
                   "as_of", "taken_at", "user", "reference_version"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(csv_row([r[c] for c in columns]))
        document = {"exported_at": now.isoformat(), "clinic": clinic,
                    "attachments": [{k: r[k] for k in columns} for r in rows]}
        batch = ExportBatch(created_at=now, user=user, csv_file=str(out_csv), json_file=str(out_json),
                            csv_data=("\ufeff" + buffer.getvalue()).encode("utf-8"),
                            json_data=json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
                            count=len(rows), status="staged")
        session.add(batch)
        session.flush()
        for r in rows:
            session.add(ExportOutbox(decision_id=r["decision_id"], patient_id=r["patient_id"],
                                     exported_at=now, user=user, csv_file=str(out_csv),
                                     json_file=str(out_json), batch_id=batch.id))
        self._audit(session, user=user, action="export_staged", obj=f"export:{batch.id}", now=now,
                    details={"count": len(rows), "again": again, "csv": out_csv.name,
                             "json": out_json.name})
        return batch

    def _finish_export(self, batch: ExportBatch, *, now: datetime, user: str, resumed: bool) -> dict:
        """Write a staged batch's files (temporary names, renamed) and mark it done."""
        write_private(Path(batch.csv_file), batch.csv_data)
        _crash_point("export-csv-written")
        write_private(Path(batch.json_file), batch.json_data)
        _crash_point("export-files-written")
        with self._write() as session:
            row = session.exec(select(ExportBatch).where(ExportBatch.id == batch.id)
                               .with_for_update()).one()  # two desks finishing: one marks it done
            if row.status == "staged":
                row.status, row.done_at = "done", now
                session.add(row)
                self._audit(session, user=user, action="export", obj=f"export:{Path(batch.csv_file).name}",
                            now=now, details={"count": batch.count, "batch": batch.id,
                                              "json": Path(batch.json_file).name, "resumed": resumed})
            ids = list(session.exec(select(ExportOutbox.decision_id)
                                    .where(ExportOutbox.batch_id == batch.id)
                                    .order_by(ExportOutbox.decision_id)))
        return {"count": batch.count, "decision_ids": ids, "csv": batch.csv_file,
                "json": batch.json_file, "batch": batch.id, "resumed": resumed}

    def exported(self) -> list[ExportOutbox]:
        with self._read() as session:
            return list(session.exec(select(ExportOutbox).order_by(ExportOutbox.id)))


def _write_atomically(path: Path, data: bytes) -> None:
    write_private(Path(path), data)


def _crash_point(name: str) -> None:
    """Fault injection for the crash tests: POLYCLINIC_CRASH_AT=<name> kills the process
    here with SIGKILL (as a power cut would). Does nothing otherwise."""
    if os.environ.get("POLYCLINIC_CRASH_AT") == name:
        import signal

        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


# --- module functions: opening, backups, restore ---------------------------------------------------

def open_registry(path: Path | str, *, now: datetime) -> Registry:
    """Create or open the registry at `path` (a file, or a `postgresql://` URL): checks the
    file, backs it up before a schema upgrade (`<path>.pre-migration-<revision>.bak`), runs
    pending migrations (on a server under an advisory lock).

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
    ours = sorted(_auto_backups(folder, db_path.stem), key=lambda p: p.name)
    for old in ours[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
    return out


def _auto_backups(folder: Path, stem: str) -> list[Path]:
    import re

    pattern = re.compile(re.escape(stem) + r"-\d{8}-\d{6}(-\d+)?\.sqlite$")
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


def _sequences_of(path: Path) -> dict[tuple[str, int], int] | None:
    """The highest document number per (clinic, year) known to the registry file at `path`
    (its sequence and its printouts), read-only; None when it cannot be read at all."""
    import re
    import sqlite3

    found: dict[tuple[str, int], int] = {}
    readable = False
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=db.BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        return None
    try:
        for sql in ("SELECT clinic_key, year, last_number FROM document_sequence",
                    "SELECT clinic_key, year, number FROM document_number",
                    "SELECT 'main', year, number FROM printed_document"):
            try:
                rows = con.execute(sql).fetchall()
            except sqlite3.Error:
                continue
            readable = True
            for clinic, year, value in rows:
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
    finally:
        con.close()
    return found if readable else None


def _carry_sequences(path: Path, previous: dict[tuple[str, int], int], now: datetime) -> list[str]:
    """In the restored file (not yet in place), move each sequence forward to the replaced
    registry's and list the numbers in between as void: they were handed out on papers that
    are not in the backup. Returns the void numbers."""
    import sqlite3

    voided = []
    con = sqlite3.connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        current = _sequences_of(path) or {}
        for (clinic, year), last in sorted(previous.items()):
            have = current.get((clinic, year), 0)
            if last <= have:
                continue
            con.execute("INSERT INTO document_sequence (clinic_key, year, last_number, updated_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (clinic_key, year) DO UPDATE SET "
                        "last_number = excluded.last_number, updated_at = excluded.updated_at",
                        (clinic, year, last, now.isoformat()))
            if "document_number" in tables:
                for n in range(have + 1, last + 1):
                    number = f"{year}-{n:06d}"
                    con.execute(
                        'INSERT OR IGNORE INTO document_number (number, clinic_key, year, kind, "user", '
                        "reserved_at, status, reason, closed_at) VALUES (?, ?, ?, NULL, ?, ?, 'void', ?, ?)",
                        (number, clinic, year, SYSTEM_USER, now.isoformat(),
                         "выдан до восстановления, документа нет в копии — issued before the restore; "
                         "the document is not in the backup", now.isoformat()))
                    voided.append(number)
        con.execute("COMMIT")
    finally:
        con.close()
    return voided


def _rotate_before_restore(target: Path, keep: int) -> None:
    import re

    pattern = re.compile(re.escape(target.name) + r"\.before-restore-\d{8}-\d{6}(-\d+)?\.bak$")
    copies = sorted(p for p in target.parent.glob(f"{target.name}.before-restore-*.bak")
                    if pattern.fullmatch(p.name))
    for old in copies[:-keep] if keep > 0 else []:
        old.unlink(missing_ok=True)
        for suffix in ("-wal",):
            Path(str(old) + suffix).unlink(missing_ok=True)


def restore(backup_file: Path, target: Path, *, now: datetime, passphrase: str | None = None,
            keep_before_restore: int = 5) -> Path | None:
    """Replace the registry at `target` by `backup_file`. The backup is verified first (an
    encrypted one is decrypted with `passphrase`), and a backup from a newer schema is refused
    before anything is replaced; the current file is kept aside as
    `<target>.before-restore-YYYYMMDD-HHMMSS.bak` (returned; None if there was no current
    file; the newest `keep_before_restore` such copies are kept); the document numbering of the
    replaced registry is carried forward (numbers it issued that the backup lacks are listed as
    void), so no number is ever handed out twice; the new file is moved in atomically. The
    registry must not be open anywhere while restoring."""
    import shutil
    import sqlite3

    from .crypt import decrypt_file, is_encrypted

    location = backend.parse_location(target)
    if location.is_server:  # the clinic's server: its contents replaced in one transaction
        return _restore_into_server(Path(backup_file), location, now=now, passphrase=passphrase,
                                    keep_before_restore=keep_before_restore)
    backup_file, target = Path(backup_file), Path(location.path)
    plain = None
    if is_encrypted(backup_file):
        if passphrase is None:
            raise ValueError("the backup is encrypted: give its passphrase (--passphrase-file or "
                             "POLYCLINIC_BACKUP_PASSPHRASE)")
        plain = temp_name(target.with_name(target.name + ".decrypted"))
        decrypt_file(backup_file, plain, passphrase)
        backup_file = plain
    tmp = temp_name(target.with_name(target.name + ".restore"))
    try:
        db.integrity_counts(backup_file)
        revision = db.file_revision(backup_file)
        if revision is not None and revision not in db.known_revisions():
            raise RegistryError(backup_file, f"Копия создана более новой версией программы ({revision})",
                                f"The backup was made by a newer version of the program ({revision})")
        db.sqlite_backup(backup_file, tmp)
        db.integrity_counts(tmp)
        aside = None
        wal, shm = (target.with_name(target.name + s) for s in ("-wal", "-shm"))
        if target.exists():
            previous = _sequences_of(target) if target.stat().st_size else None
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
                                        "The registry is open in another program; close it first")
            else:  # damaged: keep the raw files exactly as they are
                shutil.copy2(target, aside)
                tighten(aside)
                if wal.exists():
                    shutil.copy2(wal, aside.with_name(aside.name + "-wal"))
                    tighten(aside.with_name(aside.name + "-wal"))
            if previous:
                _carry_sequences(tmp, previous, now)
            wal.unlink(missing_ok=True)
            shm.unlink(missing_ok=True)
        os.replace(tmp, target)
        db._fsync_dir(target.parent)
        _rotate_before_restore(target, keep_before_restore)
        return aside
    finally:
        tmp.unlink(missing_ok=True)
        if plain is not None:
            plain.unlink(missing_ok=True)


def _restore_into_server(backup_file: Path, location: "backend.Location", *, now: datetime,
                         passphrase: str | None, keep_before_restore: int) -> Path:
    """`restore` into the clinic's server: the backup (decrypted, checked, its schema known) is
    loaded from a private working copy (the given file is never migrated in place); the server's
    current contents are first kept as a portable copy in the desk's backups folder
    (`before-restore-YYYYMMDD-HHMMSS[-n].sqlite`, the newest `keep_before_restore` kept); the
    numbering the server had is carried forward, as on SQLite."""
    from .crypt import decrypt_file, is_encrypted
    from .transfer import restore_server

    work = location.local_path
    private_dir(work.parent)
    plain = tmp = None
    try:
        if is_encrypted(backup_file):
            if passphrase is None:
                raise ValueError("the backup is encrypted: give its passphrase (--passphrase-file "
                                 "or POLYCLINIC_BACKUP_PASSPHRASE)")
            plain = temp_name(work.with_name(work.name + ".decrypted"))
            decrypt_file(backup_file, plain, passphrase)
            backup_file = plain
        db.integrity_counts(backup_file)
        revision = db.file_revision(backup_file)
        if revision is not None and revision not in db.known_revisions():
            raise RegistryError(backup_file, f"Копия создана более новой версией программы ({revision})",
                                f"The backup was made by a newer version of the program ({revision})")
        tmp = temp_name(work.with_name(work.name + ".restore"))
        db.sqlite_backup(backup_file, tmp)
        folder = default_backups_dir(work)
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
        import re

        pattern = re.compile(r"before-restore-\d{8}-\d{6}(-\d+)?\.sqlite$")
        copies = sorted(p for p in folder.glob("before-restore-*.sqlite") if pattern.fullmatch(p.name))
        for old in copies[:-keep_before_restore] if keep_before_restore > 0 else []:
            old.unlink(missing_ok=True)
        return aside
    finally:
        for leftover in (plain, tmp):
            if leftover is not None:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(str(leftover) + suffix).unlink(missing_ok=True)
                for copy in leftover.parent.glob(leftover.name + ".pre-migration-*"):
                    copy.unlink(missing_ok=True)


def verify_admin_in_file(path: Path, login: str | None, password: str) -> bool:
    """True if `login`/`password` is an active administrator in the registry file at `path`,
    read without opening it as a registry (no migration, no writes): for restoring when the
    current registry is damaged, using the accounts of the backup."""
    import sqlite3

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
