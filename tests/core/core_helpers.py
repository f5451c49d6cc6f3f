"""Small builders for cases in the shape of interface.md."""
from __future__ import annotations

from datetime import date

from desktop.core.api import decide_data

ON = date(2026, 11, 22)


def doc(kind, valid_until="2030-01-01", **kw):
    d = {"kind": kind, "valid_until": valid_until}
    d.update(kw)
    return d


def case(citizenship="KZ", documents=(), **kw):
    person = {"citizenship": citizenship, "surname": "Тестов", "given_name": "Тест",
              "birth_date": "1990-05-05", "sex": "male"}
    person.update(kw.pop("person", {}))
    c = {"person": person, "documents": list(documents)}
    c.update(kw)
    return c


def decide(ref, data, on=ON, lang="ru") -> dict:
    return decide_data(data, ref, on=on, default_date=on, lang=lang).to_dict()


def pairs(decision) -> set[tuple[str, str]]:
    return {(c["scheme"], c["scope"]) for c in decision["coverage"]}


def codes(decision) -> set[str]:
    return {w["code"] for w in decision["warnings"]}


WORKER_DOCS = [doc("passport", country="KG"),
               doc("employment_contract", valid_from="2026-01-15", valid_until="2027-03-31")]
DMS = doc("dms_contract", covers_phc=True, valid_from="2026-01-15", valid_until="2027-03-31")
VMS = doc("vms_contract", covers_phc=True, valid_from="2026-01-15", valid_until="2027-03-31")
CERT = {"kind": "medical_certificate_hiv_tb", "issued_on": "2026-01-10"}
