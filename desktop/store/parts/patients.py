"""Patients: saving a card (with its documents), reading it back, finding it, its likely
duplicates. A card saved over a newer version is refused (StaleRecord)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from ..errors import Conflict, NotFound
from ..models import Patient, PatientDocument
from ..text import PREFIX_END, document_key, has_cyrillic, iin_query, latin_key, name_key, passport_surname
from ..unit import UnitOfWork, as_date, dumps


def _given_matches(p, given_lat: str) -> bool:
    """The given name (transliterated, or as in the passport) begins with the query's word."""
    passport = (p.latin_name or "").split()[1:2]
    return any(latin_key(name).startswith(given_lat) for name in [p.given_name, *passport] if name)


class StaleRecord(Conflict):
    """Saving over a newer version of a patient: someone else saved it meanwhile."""

    def __init__(self, patient_id: int, by: str, at: datetime, version: int):
        self.patient_id, self.by, self.at, self.version = patient_id, by, at, version
        super().__init__(f"Карточку пациента {patient_id} уже изменил(а) {by} в {at:%d.%m.%Y %H:%M} — "
                         f"patient {patient_id} was changed by {by} at {at.isoformat()}; "
                         "reload the card")


class IinTaken(Conflict):
    """A card's ИИН is already held by another stored patient: a new card never overwrites
    him, and a card never takes his ИИН. `holder_id`, `holder_name` name him."""

    def __init__(self, iin: str, holder_id: int, holder_name: str):
        self.iin, self.holder_id, self.holder_name = iin, holder_id, holder_name
        super().__init__(f"ИИН {iin} уже у пациента {holder_name} (карта {holder_id}); откройте "
                         f"его карту — IIN {iin} already belongs to patient {holder_id} "
                         f"({holder_name}); open that card")


def _documents_of(case: dict) -> list[dict]:
    documents = case.get("documents") or []
    if not isinstance(documents, list):
        raise ValueError("case.documents must be a list")
    return [d for d in documents if isinstance(d, dict) and d.get("kind")]


class Patients(UnitOfWork):
    """The patient cards."""

    def save_patient(self, case: dict, *, user: str, now: datetime,
                     patient_id: int | None = None, expected_version: int | None = None) -> int:
        """Insert or update a patient from a case (interface.md); returns the patient id.

        Without `patient_id` a new patient is added: a save from a new card never changes a
        stored patient, so an ИИН a stored patient holds raises IinTaken (a Conflict naming
        him); so does giving a stored patient another's ИИН. Documents are mirrored.
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
            birth_date=as_date(person.get("birth_date")), sex=person.get("sex"),
            citizenship=person.get("citizenship"),
            surname_key=name_key(person.get("surname")),
            given_key=name_key(person.get("given_name")),
            # the passport's spelling when the card has it («SEITKALIYEV»), else the transliteration
            latin_key=latin_key(passport_surname(person.get("latin_name")) or person.get("surname")),
            case_json=dumps(case),
        )
        with self._write() as session:
            holder = None
            if iin:
                holder = session.exec(select(Patient).where(Patient.iin == iin)).first()
            if holder is not None and holder.id != patient_id:
                raise IinTaken(iin, holder.id, holder.full_name or "—")
            if patient_id is not None:
                # locked until commit: on the server a second desk saving the same card waits
                # here and then compares against the version the first one wrote
                patient = session.get(Patient, patient_id, with_for_update=True)
                if patient is None:
                    raise NotFound(f"patient {patient_id}")
                if expected_version is not None and (patient.version or 1) != expected_version:
                    raise StaleRecord(patient.id, patient.updated_by, patient.updated_at,
                                      patient.version)
                for name, value in fields.items():
                    setattr(patient, name, value)
                patient.updated_at, patient.updated_by = now, user
                patient.version = (patient.version or 1) + 1
                action = "update"
                self._clear_documents(session, patient_id)
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
                    country=doc.get("country"), issued_on=as_date(doc.get("issued_on")),
                    valid_from=as_date(doc.get("valid_from")),
                    valid_until=as_date(doc.get("valid_until"))))
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
            lats = list(dict.fromkeys(k for k in (lat, latin_key(surname, legacy=True)) if k))
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
            for lat in lats:              # the key as saved now, and as saved before the folds
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
            result = [p for p in result if _given_matches(p, given_lat)]
        return result[:limit]

    def patients_by_id(self, ids) -> dict[int, Patient]:
        """The stored patients of `ids` (those that exist), read in one query: for lists that
        name many patients (the audit log in words)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        with self._read() as session:
            return {p.id: p for p in self._patients_in_order(session, ids)}

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
        birth = as_date(person.get("birth_date"))
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
