"""Decisions as taken at the desk, and a patient's history (decisions and printouts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

import sqlalchemy as sa
from sqlmodel import select

from desktop.core.case import ATTACHMENT_CHANNELS

from ..errors import NotFound
from ..models import Decision, Patient, PrintedDocument
from ..unit import UnitOfWork, as_date, dumps


def used_channel(case_json: str | None) -> str:
    """The channel an application came through, as its card says (`attachment_channel`); a card
    that does not say was made at the clinic's desk, as the notice prints it."""
    try:
        used = json.loads(case_json or "{}").get("attachment_channel")
    except (ValueError, AttributeError):
        used = None
    return used if used in ATTACHMENT_CHANNELS else "clinic"


@dataclass(frozen=True)
class HistoryItem:
    """One line of a patient's history: a decision or a printed document."""

    kind: str            # "decision" | "printed"
    id: int
    at: datetime
    user: str
    summary: dict


class Decisions(UnitOfWork):
    """Stored decisions and the history of a patient."""

    def record_decision(self, patient_id: int, decision: dict, *, user: str, now: datetime) -> int:
        """Store a decision (interface.md "Output") as taken at `now`; returns its id."""
        attachment = decision.get("attachment") or {}
        osms = decision.get("osms") or {}
        reference = decision.get("reference") or {}
        with self._write() as session:
            patient = session.get(Patient, patient_id)
            if patient is None:
                raise NotFound(f"patient {patient_id}")
            # an earlier decision of this patient today is replaced as the day's application
            session.execute(sa.text(
                "UPDATE decision SET day_last = 0 WHERE patient_id = :p AND day_last = 1 "
                "AND substr(taken_at, 1, 10) = :day"), {"p": patient_id, "day": now.isoformat()[:10]})
            row = Decision(
                patient_id=patient_id, as_of=as_date(decision.get("as_of")), taken_at=now,
                user=user, reference_version=reference.get("version"),
                category=decision.get("category"), attachment_status=attachment.get("status"),
                attachment_until=as_date(attachment.get("until")), osms_until=as_date(osms.get("until")),
                channels="+".join(sorted(set(attachment.get("channels") or []))),
                channel=used_channel(patient.case_json),
                schemes="+".join(sorted({c.get("scheme") for c in decision.get("coverage") or []
                                         if isinstance(c, dict) and c.get("scheme")})),
                sex=patient.sex, citizenship=patient.citizenship,
                birth_date=patient.birth_date.isoformat() if patient.birth_date else None,
                day_last=1, decision_json=dumps(decision))
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
