"""Input validation names every bad field (interface.md: exit 2 with the error list)."""
from __future__ import annotations

from datetime import date

import pytest

from core_helpers import case, doc
from desktop.core.api import decide_data
from desktop.core.case import CaseError

ON = date(2026, 11, 22)


def errors(ref, data):
    with pytest.raises(CaseError) as e:
        decide_data(data, ref, default_date=ON)
    return {x["field"] for x in e.value.errors}


@pytest.mark.parametrize("data,field", [
    ({"person": {}}, "person.citizenship"),
    ({}, "person"),
    (case("XX"), "person.citizenship"),
    (case("Kazakhstan"), "person.citizenship"),
    (case(person={"iin": "12345"}), "person.iin"),
    (case(person={"iin": "791028302729"}), "person.iin"),
    (case(person={"birth_date": "1990-02-30"}), "person.birth_date"),
    (case(person={"birth_date": "05.05.1990"}), "person.birth_date"),
    (case(person={"birth_date": "2030-01-01"}), "person.birth_date"),
    (case(person={"sex": "m"}), "person.sex"),
    (case(documents=[{"kind": "visa"}]), "documents[0].kind"),
    (case(documents=[{"number": "1"}]), "documents[0].kind"),
    (case(documents=[doc("passport", country="ZZ")]), "documents[0].country"),
    (case(documents=[doc("passport", valid_until="2020-13-01")]), "documents[0].valid_until"),
    (case(documents=[doc("passport", valid_from="2026-01-01", valid_until="2025-01-01")]), "documents[0].valid_until"),
    (case(documents=[doc("passport", issued_on="2026-01-01", valid_until="2025-01-01")]), "documents[0].valid_until"),
    (case(documents=[doc("dms_contract", covers_phc="yes")]), "documents[0].covers_phc"),
    (case(purpose_of_stay="holiday"), "purpose_of_stay"),
    (case(needs="surgery"), "needs"),
    (case(osms={"status": "yes"}), "osms.status"),
    (case(osms={"payer": "boss"}), "osms.payer"),
    (case(osms={"paid_months": ["2026-13"]}), "osms.paid_months[0]"),
    (case(osms={"paid_months": "2026-01"}), "osms.paid_months"),
    (case(family_of_eaeu_worker={"relation": "cousin", "lives_together": True}), "family_of_eaeu_worker.relation"),
    (case(family_of_eaeu_worker={"relation": "child", "lives_together": "yes"}), "family_of_eaeu_worker.lives_together"),
    (case(diagnosis_icd10="measles"), "diagnosis_icd10"),
    (case(as_of="22.11.2026"), "as_of"),
    (dict(case(), documents="passport"), "documents"),
])
def test_bad_field_is_named(ref, data, field):
    """Each kind of bad input is reported on its own field path."""
    assert field in errors(ref, data)


def test_every_bad_field_is_reported_at_once(ref):
    """Several errors are all listed, not just the first."""
    data = case("XX", [doc("visa"), doc("passport", valid_until="bad")], person={"iin": "1"}, needs="x")
    assert errors(ref, data) == {"person.citizenship", "person.iin", "documents[0].kind",
                                 "documents[1].valid_until", "needs"}


def test_not_an_object_is_an_error(ref):
    """A JSON array or string is not a case."""
    assert errors(ref, ["x"]) == {""}


def test_stateless_is_null_citizenship(ref):
    """citizenship null is a stateless person, not an error."""
    assert decide_data(case(None), ref, default_date=ON).category == "foreign_visitor"


def test_lowercase_country_is_accepted(ref):
    """A lower-case country code is read as upper case."""
    assert decide_data(case("kz", [doc("id_card_kz")]), ref, default_date=ON).category == "citizen"


def test_bad_on_date_is_named(ref):
    """A bad --on date is reported as the field --on."""
    with pytest.raises(CaseError) as e:
        decide_data(case(), ref, on="2026-02-31", default_date=ON)
    assert e.value.errors[0]["field"] == "--on"


def test_on_overrides_case_date(ref):
    """--on wins over the case's as_of."""
    d = decide_data(case(as_of="2020-01-01"), ref, on="2026-11-22", default_date=ON).to_dict()
    assert d["as_of"] == "2026-11-22"
