"""The worklist of attachments whose basis ends soon."""

from __future__ import annotations

from datetime import date

import pytest

from .support import NOW, make_case, make_decision

AS_OF = date(2026, 11, 22)


def _with_contract(registry, until, kind="dms_contract", surname="Иванов"):
    return registry.save_patient(make_case(surname, documents=[
        {"kind": kind, "valid_from": "2026-01-01", "valid_until": until}]), user="u", now=NOW)


@pytest.mark.parametrize("until, listed", [
    ("2026-11-21", False),  # ended the day before the window
    ("2026-11-22", True),   # first day of the window
    ("2026-12-22", True),   # last day (as_of + 30)
    ("2026-12-23", False),  # the day after
])
def test_window_is_inclusive(registry, until, listed):
    """A contract ending within [as_of, as_of + days] is listed, one outside is not."""
    _with_contract(registry, until)
    assert bool(registry.worklist(AS_OF, 30)) == listed


@pytest.mark.parametrize("kind", ["dms_contract", "vms_contract", "residence_permit",
                                  "employment_contract"])
def test_each_basis_document_is_watched(registry, kind):
    """Insurance contracts, residence permits and employment contracts are all watched."""
    pid = _with_contract(registry, "2026-12-01", kind=kind)
    [item] = registry.worklist(AS_OF, 30)
    assert (item.patient_id, item.ends, item.until) == (pid, kind, date(2026, 12, 1))


def test_passport_expiry_is_not_on_the_worklist(registry):
    """Documents that are not an attachment basis are ignored."""
    _with_contract(registry, "2026-12-01", kind="passport")
    assert registry.worklist(AS_OF, 30) == []


def test_renewed_contract_takes_the_patient_off(registry):
    """A patient who already brought a later contract of the same kind is not listed."""
    registry.save_patient(make_case(documents=[
        {"kind": "dms_contract", "valid_until": "2026-12-01"},
        {"kind": "dms_contract", "valid_until": "2027-12-01"}]), user="u", now=NOW)
    assert registry.worklist(AS_OF, 30) == []


def test_osms_ending_in_latest_decision_is_listed(registry):
    """The latest decision's ОСМС end date in the window puts the patient on the list."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.record_decision(pid, make_decision(osms_until="2026-12-31"), user="u", now=NOW)
    [item] = registry.worklist(AS_OF, 60)
    assert (item.ends, item.until, item.name) == ("osms", date(2026, 12, 31), "Иванов Иван")


def test_items_come_soonest_first(registry):
    """The list is ordered by the date the basis ends."""
    late = _with_contract(registry, "2026-12-20", surname="Аманов")
    soon = _with_contract(registry, "2026-11-30", surname="Яковлев")
    assert [i.patient_id for i in registry.worklist(AS_OF, 30)] == [soon, late]


def test_each_item_carries_the_phone_from_the_card(registry):
    """The call list has the phone the card was saved with (Cyrillic and + kept), "" without one."""
    registry.save_patient(make_case("Звонков", phone="+7 701 123-45-67 (дом.)", documents=[
        {"kind": "dms_contract", "valid_from": "2026-01-01", "valid_until": "2026-12-01"}]),
        user="u", now=NOW)
    _with_contract(registry, "2026-12-02", surname="Беззвонков")
    items = registry.worklist(AS_OF, 30)
    assert [(i.name.split()[0], i.phone) for i in items] == [
        ("Звонков", "+7 701 123-45-67 (дом.)"), ("Беззвонков", "")]
