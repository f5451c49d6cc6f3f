"""rules.md revision 2, dated rules on the day before, of and after: attachment end dates,
the 16th birthday, ОСМС self-payer runs, ЕСП payers, the regain window and the due day."""
from __future__ import annotations

from datetime import date

import pytest

from core_helpers import case, codes, decide, doc

CONTRACT_END = "2027-05-31"


def _worker(contract_kind="employment_contract", contract_until=CONTRACT_END, vms_until="2027-08-31"):
    return case("AM", [doc("passport"), doc(contract_kind, valid_from="2026-06-01", valid_until=contract_until),
                       doc("vms_contract", valid_from="2026-06-01", valid_until=vms_until)],
                purpose_of_stay="work")


# --- attachment end dates -----------------------------------------------------------------------
@pytest.mark.parametrize("on,category,until", [
    (date(2027, 5, 30), "eaeu_worker", CONTRACT_END), (date(2027, 5, 31), "eaeu_worker", CONTRACT_END),
    (date(2027, 6, 1), "eaeu_visitor", None)])
def test_worker_attachment_ends_with_the_work_contract(ref, on, category, until):
    """The work contract ends before the ВМС: attached until the contract's end, then an EAEU visitor."""
    d = decide(ref, _worker(), on=on)
    assert (d["category"], d["attachment"]["until"]) == (category, until)


def test_worker_attachment_ends_with_the_insurance_when_earlier(ref):
    """The ВМС ends before the work contract: attached until the ВМС's end."""
    d = decide(ref, _worker(contract_until="2027-12-31", vms_until="2027-03-31"), on=date(2026, 12, 1))
    assert d["attachment"]["until"] == "2027-03-31"


def test_civil_contract_counts_as_a_work_contract(ref):
    """A civil-law work contract (ГПХ) makes an EAEU citizen a worker, and bounds the attachment."""
    d = decide(ref, _worker(contract_kind="civil_contract"), on=date(2026, 12, 1))
    assert d["category"] == "eaeu_worker" and d["attachment"]["status"] == "allowed"
    assert d["attachment"]["until"] == CONTRACT_END


def _family(until):
    fam = {"relation": "spouse", "lives_together": True, "worker_contract_until": until}
    return case("KG", [doc("passport"), doc("dms_contract", covers_phc=True, valid_from="2026-01-01",
                                            valid_until="2027-12-31")],
                family_of_eaeu_worker=fam, person={"sex": "female"})


@pytest.mark.parametrize("on,category,until", [
    (date(2027, 2, 27), "eaeu_family", "2027-02-28"), (date(2027, 2, 28), "eaeu_family", "2027-02-28"),
    (date(2027, 3, 1), "eaeu_visitor", None)])
def test_family_attachment_not_beyond_the_workers_contract(ref, on, category, until):
    """A family member's attachment ends with the worker's stated contract; after it, an EAEU visitor."""
    d = decide(ref, _family("2027-02-28"), on=on)
    assert (d["category"], d["attachment"]["until"]) == (category, until)


def test_family_without_worker_contract_until_keeps_the_insurance_end(ref):
    """No worker_contract_until stated: the family member's own ДМС bounds the attachment."""
    d = decide(ref, _family(None), on=date(2026, 12, 1))
    assert d["attachment"]["until"] == "2027-12-31"


# --- a citizen's birth certificate ------------------------------------------------------------
@pytest.mark.parametrize("on,status", [(date(2026, 5, 4), "allowed"), (date(2026, 5, 5), "needs_documents"),
                                       (date(2026, 5, 6), "needs_documents")])
def test_birth_certificate_only_under_16(ref, on, status):
    """A birth certificate proves a citizen's identity only before the 16th birthday."""
    d = decide(ref, case("KZ", [doc("birth_certificate")], person={"birth_date": "2010-05-05"}), on=on)
    assert d["attachment"]["status"] == status
    if status == "needs_documents":
        assert d["attachment"]["missing_documents"] == ["id_card_kz"]


# --- ОСМС: self-payer runs -----------------------------------------------------------------------
def _months(first, last):
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _osms(ref, on, payer, months):
    return decide(ref, case("KZ", [doc("id_card_kz")], osms={"payer": payer, "paid_months": months}), on=on)


@pytest.mark.parametrize("on,insured", [(date(2026, 3, 31), True), (date(2026, 4, 1), False),
                                        (date(2026, 3, 30), True)])
def test_later_short_run_never_takes_away_the_status(ref, on, insured):
    """Paid 2025-01..2025-12, missed 2026-01, paid 2026-02: insured through 31.03.2026."""
    d = _osms(ref, on, "self_payer", _months("2025-01", "2025-12") + ["2026-02"])
    assert (d["osms"]["insured"], d["osms"]["until"]) == (insured, "2026-03-31")


def test_short_run_alone_gives_no_status(ref):
    """A self-payer with only two consecutive months is not insured, with no end date."""
    d = _osms(ref, date(2026, 3, 10), "self_payer", ["2026-01", "2026-02"])
    assert (d["osms"]["insured"], d["osms"]["until"]) == (False, None)


def test_later_qualifying_run_extends_the_status(ref):
    """A later run of three months gives its own grace."""
    d = _osms(ref, date(2026, 6, 10), "self_payer", _months("2025-01", "2025-06") + _months("2026-02", "2026-04"))
    assert (d["osms"]["insured"], d["osms"]["until"]) == (True, "2026-07-31")


# --- ЕСП payers: no grace ---------------------------------------------------------------------
@pytest.mark.parametrize("on,insured", [(date(2026, 9, 29), True), (date(2026, 9, 30), True),
                                        (date(2026, 10, 1), False)])
def test_esp_payer_insured_through_the_last_paid_month(ref, on, insured):
    """An ЕСП payer has no grace: insured through the last day of the last paid month."""
    d = _osms(ref, on, "esp", _months("2026-01", "2026-09"))
    assert (d["osms"]["insured"], d["osms"]["until"]) == (insured, "2026-09-30")
    assert "osms_grace_period" not in codes(d)


# --- the regain payment -------------------------------------------------------------------------
def test_regain_example_of_rules_md(ref):
    """Last paid 2026-01, decided 15.06.2026: February-May, 4 months × 4 250 = 17 000 ₸."""
    d = _osms(ref, date(2026, 6, 15), "self_payer", _months("2025-09", "2026-01"))
    regain = d["osms"]["regain"]
    assert (regain["months"], regain["amount"], regain["currency"]) == (4, "17000", "KZT")
    assert {"osms-law-5-3", "budget-law"} <= set(regain["basis"])
    assert any("17\u00a0000" in s for s in d["explanation"])


@pytest.mark.parametrize("last_paid,months", [("2025-04", 12), ("2025-05", 12), ("2025-06", 11)])
def test_regain_window_at_most_12_months(ref, last_paid, months):
    """At most the 12 months before the decision's month (decided June 2026: from June 2025)."""
    d = _osms(ref, date(2026, 6, 15), "employee", [last_paid])
    assert d["osms"]["regain"]["months"] == months


@pytest.mark.parametrize("last_paid,months", [("2019-11", 6), ("2019-12", 6), ("2020-01", 5)])
def test_regain_window_never_before_2020_01(ref, last_paid, months):
    """Unpaid months before January 2020 are never counted (art. 5 p.3)."""
    d = _osms(ref, date(2020, 7, 15), "employee", [last_paid])
    assert d["osms"]["regain"]["months"] == months
    assert d["osms"]["regain"]["amount"] == str(months * 2125)


def test_no_regain_while_insured(ref):
    """Insured: no regain payment."""
    d = _osms(ref, date(2026, 6, 15), "employee", ["2026-05"])
    assert d["osms"]["insured"] is True and "regain" not in d["osms"]


def test_no_regain_for_a_category_without_osms(ref):
    """A visitor cannot use ОСМС: no regain payment."""
    d = decide(ref, case("RU", [doc("passport")], osms={"payer": "employee", "paid_months": ["2025-01"]}),
               on=date(2026, 6, 15))
    assert "regain" not in d["osms"]


# --- the grace warning only once a contribution is overdue ---------------------------------------
@pytest.mark.parametrize("on,warned", [(date(2026, 11, 24), False), (date(2026, 11, 25), False),
                                       (date(2026, 11, 26), True)])
def test_grace_warning_after_the_due_day(ref, on, warned):
    """Last paid September: October's contribution is due by 25 November; the warning from the 26th."""
    d = _osms(ref, on, "employee", ["2026-08", "2026-09"])
    assert ("osms_grace_period" in codes(d)) is warned
    assert (d["osms"]["insured"], d["osms"]["until"]) == (True, "2026-12-31")
