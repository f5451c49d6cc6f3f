"""Dated rules and parameters: tested on the day before, the day of and the day after."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core_helpers import case, codes, decide, doc


@pytest.mark.parametrize("on,value", [
    (date(2024, 12, 31), "3692"), (date(2025, 1, 1), "3932"), (date(2025, 1, 2), "3932"),
    (date(2025, 12, 31), "3932"), (date(2026, 1, 1), "4325"), (date(2026, 1, 2), "4325")])
def test_mrp_by_date(ref, on, value):
    """МРП takes each year's value from 1 January."""
    assert ref.parameter("mrp", on) == value


@pytest.mark.parametrize("on,value", [(date(2019, 12, 31), None), (date(2020, 1, 1), "42500"),
                                      (date(2023, 12, 31), "70000"), (date(2024, 1, 1), "85000"),
                                      (date(2024, 1, 2), "85000")])
def test_min_wage_by_date(ref, on, value):
    """The minimum wage takes each budget law's value from 1 January (known from 2020, art. 5 p.3)."""
    assert ref.parameter("min_wage", on) == value


@pytest.mark.parametrize("on,category", [
    (date(2015, 8, 11), "cis_visitor"), (date(2015, 8, 12), "eaeu_worker"), (date(2015, 8, 13), "eaeu_worker")])
def test_kyrgyzstan_joins_eaeu(ref, on, category):
    """Kyrgyzstan is an EAEU member from 12 August 2015; before, a CIS-agreement country."""
    docs = [doc("passport"), doc("employment_contract", valid_from="2015-01-01", valid_until="2016-12-31")]
    assert decide(ref, case("KG", docs), on=on)["category"] == category


@pytest.mark.parametrize("on,category", [
    (date(2015, 1, 1), "cis_visitor"), (date(2015, 1, 2), "eaeu_visitor"), (date(2015, 1, 3), "eaeu_visitor")])
def test_armenia_joins_eaeu(ref, on, category):
    """Armenia is an EAEU member from 2 January 2015."""
    assert decide(ref, case("AM", [doc("passport")]), on=on)["category"] == category


@pytest.mark.parametrize("on,listed", [(date(2020, 10, 23), False), (date(2020, 10, 24), True), (date(2020, 10, 25), True)])
def test_dangerous_list_in_force_from_order_date(ref, on, listed):
    """The ДСМ-121/2020 list applies from its entry into force (24.10.2020 in our data)."""
    d = decide(ref, case("US", [doc("passport")], diagnosis_icd10="B05"), on=on)
    assert ("dangerous_disease_notice" in codes(d)) is listed


@pytest.mark.parametrize("on,category", [
    (date(2027, 5, 30), "kandas"), (date(2027, 5, 31), "kandas"), (date(2027, 6, 1), "foreign_visitor")])
def test_certificate_valid_through_its_last_day(ref, on, category):
    """A certificate counts through its valid_until day and not the day after."""
    assert decide(ref, case("MN", [doc("kandas_certificate", valid_until="2027-05-31")]), on=on)["category"] == category


@pytest.mark.parametrize("on,category", [
    (date(2026, 2, 28), "foreign_visitor"), (date(2026, 3, 1), "permanent_resident"), (date(2026, 3, 2), "permanent_resident")])
def test_permit_valid_from_its_first_day(ref, on, category):
    """A residence permit counts from its valid_from day."""
    d = decide(ref, case("CN", [doc("residence_permit", valid_from="2026-03-01", valid_until="2036-03-01")]), on=on)
    assert d["category"] == category


@pytest.mark.parametrize("on,price", [
    (date(2025, 12, 31), Decimal("2200")), (date(2026, 1, 1), Decimal("2500")), (date(2026, 1, 2), Decimal("2500"))])
def test_price_list_by_date(ref, on, price):
    """Each price applies from its valid_from; the old one stays for old dates."""
    assert {p.code: p.price for p in ref.prices_on(on)}["RAD-FLG"] == price


def test_osms_parameter_cited_from_data(ref):
    """The grace of 3 months comes from the parameter with its citation."""
    value, basis = ref.parameter_entry("osms_grace_months", date(2026, 1, 1))
    assert value == 3 and basis == ("osms-law-5-2",)


def test_decision_names_reference_version(ref):
    """Every decision names the reference-data version and period it used."""
    d = decide(ref, case("KZ", [doc("id_card_kz")]))
    assert d["reference"] == {"version": ref.version, "valid_from": "2020-01-01", "valid_until": "2026-12-31"}
