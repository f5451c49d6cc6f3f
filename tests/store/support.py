"""Test data builders shared by the store tests."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=timezone(timedelta(hours=5)))


def make_case(surname="Иванов", given_name="Иван", iin=None, birth_date="1979-10-28",
              documents=None, citizenship="RU", **person) -> dict:
    """A minimal case in the shape of interface.md."""
    return {
        "as_of": "2026-11-22",
        "person": {"surname": surname, "given_name": given_name, "iin": iin,
                   "birth_date": birth_date, "citizenship": citizenship, **person},
        "documents": copy.deepcopy(documents) if documents else [],
        "needs": "attachment",
    }


def make_decision(status="allowed", as_of="2026-11-22", osms_until=None, category="eaeu_worker"):
    return {"as_of": as_of, "category": category,
            "attachment": {"status": status, "channels": ["clinic"], "until": "2027-02-28"},
            "osms": {"insured": True, "until": osms_until, "source": "computed"},
            "reference": {"version": "test-1"}}


def stored_hash(registry, login: str) -> str:
    """An account's stored password hash, read as the owner would (the desk role on the server
    cannot, and the registry does not hand it out there)."""
    import sqlalchemy as sa

    with registry.engine.connect() as con:
        return con.execute(sa.text("SELECT password_hash FROM app_user WHERE login = :l"),
                           {"l": login}).scalar()
