"""Settings, among them the clinic's details printed on every document."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from .. import clinic
from ..errors import ClinicDetailsInvalid
from ..models import Setting
from ..unit import UnitOfWork


class Settings(UnitOfWork):
    """Key-value settings and the clinic's details."""

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
