"""ОСМС insured status: stated, or computed from paid months (rules.md section 4)."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from core_helpers import case, codes, decide, doc

SOURCES = Path(__file__).resolve().parents[2] / "db" / "sources"


def citizen(**osms):
    return case("KZ", [doc("id_card_kz")], osms=osms)


def test_stated_status_is_taken_as_is(ref):
    """A status shown by the Fund's check is used, with source 'stated'."""
    d = decide(ref, citizen(status="not_insured", paid_months=["2026-10"]))
    assert d["osms"]["insured"] is False and d["osms"]["source"] == "stated"


def test_unknown_without_payments_is_null(ref):
    """Unknown status and no payments: insured is null, source unknown."""
    d = decide(ref, citizen(status="unknown"))
    assert d["osms"] == {"insured": None, "until": None, "source": "unknown", "applicable": True}


@pytest.mark.parametrize("on,insured", [
    (date(2026, 11, 29), True), (date(2026, 11, 30), True), (date(2026, 12, 1), False)])
def test_grace_ends_on_last_day_of_m_plus_3(ref, on, insured):
    """Last paid month M keeps the person insured through the last day of M + 3 months."""
    d = decide(ref, citizen(paid_months=["2026-07", "2026-08"]), on=on)
    assert d["osms"]["until"] == "2026-11-30"
    assert d["osms"]["insured"] is insured and d["osms"]["source"] == "computed"


def test_grace_period_warning_names_the_end(ref):
    """Insured only by the grace, a contribution overdue: warning osms_grace_period with the end date."""
    d = decide(ref, citizen(paid_months=["2026-09"]), on=date(2026, 11, 26))
    assert "osms_grace_period" in codes(d)
    assert "31.12.2026" in next(w["message"] for w in d["warnings"] if w["code"] == "osms_grace_period")


def test_paying_this_month_is_not_grace(ref):
    """Contributions paid for the current month: insured, no grace warning."""
    d = decide(ref, citizen(paid_months=["2026-10", "2026-11"]))
    assert d["osms"]["insured"] is True and "osms_grace_period" not in codes(d)


def test_payments_after_the_date_are_ignored(ref):
    """Months paid after the decision date do not count."""
    d = decide(ref, citizen(paid_months=["2027-01"]))
    assert d["osms"]["insured"] is None


def test_lapsed_status_is_false_with_the_end_date(ref):
    """Payments stopped long ago: not insured, until is the past end of the grace."""
    d = decide(ref, citizen(paid_months=["2025-01"]))
    assert d["osms"]["insured"] is False and d["osms"]["until"] == "2025-04-30"


def test_self_payer_needs_three_consecutive_months(ref):
    """A self-payer with fewer than 3 consecutive months paid is not insured."""
    d = decide(ref, citizen(payer="self_payer", paid_months=["2026-09", "2026-11"]))
    assert d["osms"]["insured"] is False


def test_self_payer_with_three_months_is_insured(ref):
    """A self-payer with 3 consecutive months is insured."""
    d = decide(ref, citizen(payer="self_payer", paid_months=["2026-09", "2026-10", "2026-11"]))
    assert d["osms"]["insured"] is True


def test_preferential_payer_is_insured(ref):
    """Preferential categories are paid by the state: insured, computed."""
    d = decide(ref, citizen(payer="preferential"))
    assert d["osms"]["insured"] is True and d["osms"]["source"] == "computed"


def _five_years(last: str):
    y, m = map(int, last.split("-"))
    out = []
    for _ in range(60):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return out


def _months(first: str, last: str):
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.fixture(scope="module")
def ref_extended(tmp_path_factory):
    """The shipped reference data plus an extended grace enabled from 2026-01-01, as a
    reference-data update could do (the shipped data has none in force)."""
    from desktop.core.refbuild import build_reference
    from desktop.core.refdata import load_reference

    src = tmp_path_factory.mktemp("sources") / "sources"
    shutil.copytree(SOURCES, src)
    p = src / "parameters.yaml"
    text = p.read_text(encoding="utf-8")
    enabled = ("values:\n      - {from: 2026-01-01, value: {months: 6, consecutive_months: 60, "
               "payers: [self_payer]}, basis: [public-osms-2026]}\n")
    head, sep, tail = text.partition("  osms_extended_grace:")
    assert sep and "values: []\n" in tail
    p.write_text(head + sep + tail.replace("values: []\n", enabled, 1), encoding="utf-8")
    out = src.parent / "reference.sqlite"
    build_reference(src, out)
    return load_reference(out)


def test_extended_grace_not_in_force_in_shipped_data(ref):
    """Seed 003 (art. 5 p.2) gives 3 months and wins over the reported 6-month grace: none is in force."""
    assert ref.parameter_entry("osms_extended_grace", date(2026, 11, 22)) == (None, ())


@pytest.mark.parametrize("on,insured", [
    (date(2026, 8, 30), True), (date(2026, 8, 31), True), (date(2026, 9, 1), False), (date(2026, 11, 22), False)])
def test_sixty_months_self_payer_keeps_three_month_grace(ref, on, insured):
    """A self-payer who paid 2021-01..2026-05 without gaps is insured through 31.08.2026 (M + 3), not longer."""
    d = decide(ref, citizen(payer="self_payer", paid_months=_months("2021-01", "2026-05")), on=on)
    assert d["osms"]["until"] == "2026-08-31" and d["osms"]["insured"] is insured
    assert "public-osms-2026" not in {b["id"] for b in d["basis"]}


@pytest.mark.parametrize("on,until", [
    (date(2025, 12, 31), "2026-03-31"), (date(2026, 1, 1), "2026-06-30"), (date(2026, 1, 2), "2026-06-30")])
def test_extended_grace_engine_when_enabled(ref_extended, on, until):
    """When reference data enables an extended grace, it applies from its date to 60 months without gaps."""
    d = decide(ref_extended, citizen(payer="self_payer", paid_months=_five_years("2025-12")), on=on)
    assert d["osms"]["until"] == until


def test_extended_grace_engine_needs_sixty_months(ref_extended):
    """With the extended grace enabled, 59 months without gaps keep the ordinary 3-month grace."""
    d = decide(ref_extended, citizen(payer="self_payer", paid_months=_five_years("2025-12")[:59]),
               on=date(2026, 2, 1))
    assert d["osms"]["until"] == "2026-03-31"


def test_self_payer_short_run_has_no_until(ref):
    """A self-payer not insured for want of 3 consecutive months has no end date (until null)."""
    d = decide(ref, citizen(payer="self_payer", paid_months=["2026-10", "2026-11"]))
    assert d["osms"]["insured"] is False and d["osms"]["until"] is None
    assert d["osms"]["source"] == "computed"


def test_self_payer_with_three_months_states_until(ref):
    """A self-payer insured by 3 consecutive months has until M + 3."""
    d = decide(ref, citizen(payer="self_payer", paid_months=["2026-09", "2026-10", "2026-11"]))
    assert d["osms"]["insured"] is True and d["osms"]["until"] == "2027-02-28"


def test_visitor_osms_not_applicable(ref):
    """For a category that cannot use ОСМС the status says so and no grace warning is given."""
    d = decide(ref, case("US", [doc("passport")], osms={"paid_months": ["2026-10"]}))
    assert d["osms"]["applicable"] is False and "osms_grace_period" not in codes(d)
