"""The worklist: patients whose attachment basis ends soon (a call list for the desk)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from ..unit import UnitOfWork

INSURANCE_KINDS = ("dms_contract", "vms_contract", "residence_permit", "employment_contract")


class WorklistItem(NamedTuple):
    """A patient whose attachment basis ends soon: `ends` is a document kind or "osms"."""

    patient_id: int
    name: str
    iin: str | None
    ends: str
    until: date
    phone: str = ""      # the person's phone from the card, for the call list


class Worklist(UnitOfWork):
    """Whose basis ends within a period."""

    def worklist(self, as_of: date, days: int) -> list[WorklistItem]:
        """Patients whose insurance contract, residence permit or employment contract, or whose
        latest decision's ОСМС status, ends within [as_of, as_of + days]; soonest first.

        Only the latest-ending document of each kind counts: a patient who already brought a
        new contract is not on the list.
        """
        start, end = as_of.isoformat(), (as_of + timedelta(days=days)).isoformat()
        # the phone is read from the stored card by the database, not one query per patient
        phone = ("p.case_json::json -> 'person' ->> 'phone'" if self.location.is_server
                 else "json_extract(p.case_json, '$.person.phone')")
        kinds = ", ".join(f"'{k}'" for k in INSURANCE_KINDS)
        sql = sa.text(f"""
            SELECT p.id, p.surname, p.given_name, p.patronymic, p.iin, w.ends, w.until, {phone}
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
                             parse(until), "" if phone is None else str(phone))
                for pid, surname, given, patronymic, iin, ends, until, phone in rows]
