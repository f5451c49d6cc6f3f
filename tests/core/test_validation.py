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


@pytest.mark.parametrize("value,ok", [
    ("1899-12-31", False), ("1900-01-01", True), ("1900-01-02", True),
    ("2100-12-30", True), ("2100-12-31", True), ("2101-01-01", False), ("9999-12-31", False)])
def test_dates_outside_1900_2100_are_named(ref, value, ok):
    """Dates must lie in the years 1900-2100; outside, the field is named and the message says the range."""
    data = case(documents=[doc("passport", valid_until=value)])
    if ok:
        decide_data(data, ref, default_date=ON)
        return
    with pytest.raises(CaseError) as e:
        decide_data(data, ref, default_date=ON)
    assert [(x["field"], "1900" in x["message"] and "2100" in x["message"]) for x in e.value.errors] == \
        [("documents[0].valid_until", True)]


@pytest.mark.parametrize("value,ok", [("1899-12", False), ("1900-01", True), ("2100-12", True), ("2101-01", False)])
def test_months_outside_1900_2100_are_named(ref, value, ok):
    """Paid months must lie in the years 1900-2100; outside, the month is named."""
    data = case(osms={"paid_months": [value]})
    if ok:
        decide_data(data, ref, default_date=ON)
    else:
        assert errors(ref, data) == {"osms.paid_months[0]"}


def test_far_future_as_of_and_month_are_errors_not_a_crash(ref):
    """as_of 9999-12-31 with paid month 9999-12 is reported on both fields (no month-arithmetic overflow)."""
    data = case(as_of="9999-12-31", osms={"paid_months": ["9999-12"]})
    assert errors(ref, data) == {"as_of", "osms.paid_months[0]"}


def test_latest_allowed_date_and_month_decide(ref):
    """as_of 2100-12-31 with paid month 2100-12 is decided: the grace runs past 2100 without overflow."""
    d = decide_data(case(as_of="2100-12-31", osms={"paid_months": ["2100-12"]}), ref, default_date=ON).to_dict()
    assert d["osms"]["until"] == "2101-03-31"


@pytest.mark.parametrize("data,field", [
    (case(as_of="２０２６-11-22"), "as_of"),
    (case(as_of="2026-11-22\n"), "as_of"),
    (case(person={"birth_date": "١٩٩٠-05-05"}), "person.birth_date"),
    (case(osms={"paid_months": ["２０２６-10"]}), "osms.paid_months[0]"),
    (case(diagnosis_icd10="A1５"), "diagnosis_icd10"),
    (case("ＫＺ"), "person.citizenship"),
    (case("ß"), "person.citizenship"),  # "ß".upper() is "SS", a real code
])
def test_non_ascii_digits_and_letters_are_rejected(ref, data, field):
    """Dates, months, ICD-10 codes and country codes accept ASCII characters only."""
    assert field in errors(ref, data)


def test_on_replaces_as_of_before_validation(ref):
    """A birth date after the case's as_of but before --on is valid: --on is the decision date."""
    data = case(as_of="2020-01-01", person={"birth_date": "2024-05-05"})
    d = decide_data(data, ref, on="2026-11-22", default_date=ON).to_dict()
    assert d["as_of"] == "2026-11-22"


@pytest.mark.parametrize("on,ok", [("2024-05-04", False), ("2024-05-05", True), ("2024-05-06", True)])
def test_birth_date_checked_against_on(ref, on, ok):
    """The birth date must not be after --on, even when the case's as_of is later."""
    data = case(as_of="2026-11-22", person={"birth_date": "2024-05-05"})
    if ok:
        assert decide_data(data, ref, on=on, default_date=ON).to_dict()["as_of"] == on
    else:
        with pytest.raises(CaseError) as e:
            decide_data(data, ref, on=on, default_date=ON)
        assert [x["field"] for x in e.value.errors] == ["person.birth_date"]


def test_bad_on_and_bad_case_are_reported_together(ref):
    """A bad --on is listed together with the case's own bad fields."""
    with pytest.raises(CaseError) as e:
        decide_data(case(needs="surgery"), ref, on="2026-02-31", default_date=ON)
    assert {x["field"] for x in e.value.errors} == {"--on", "needs"}
