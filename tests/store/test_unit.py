"""One unit of work over the registry's parts: several steps stored together or not at all,
on both backends."""

from __future__ import annotations

import pytest

from desktop.store import NotFound

from .support import NOW, make_case, make_decision


def _counts(registry) -> tuple[int, int, int]:
    with registry.engine.connect() as connection:
        return tuple(connection.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                     for t in ("patient", "decision", "audit_log"))


def test_a_patient_and_its_decision_are_stored_in_one_unit(registry):
    """Saving a card and its decision in one unit: both are there after it, one audit row each."""
    before = _counts(registry)
    with registry.unit():
        pid = registry.save_patient(make_case(iin="791028300014"), user="reg", now=NOW)
        registry.record_decision(pid, make_decision(), user="reg", now=NOW)
    assert registry.latest_decision(pid).patient_id == pid
    assert _counts(registry) == (before[0] + 1, before[1] + 1, before[2] + 2)


def test_a_unit_that_fails_half_way_stores_nothing(registry):
    """A step failing after the card was saved in the same unit: neither the card, nor a
    decision, nor an audit row remains, and the registry keeps working."""
    before = _counts(registry)
    with pytest.raises(NotFound):
        with registry.unit():
            pid = registry.save_patient(make_case(surname="Ушедший"), user="reg", now=NOW)
            registry.record_decision(pid + 1000, make_decision(), user="reg", now=NOW)
    assert _counts(registry) == before
    assert registry.search("Ушедший") == []
    assert registry.damaged is None
    registry.save_patient(make_case(surname="Следующий"), user="reg", now=NOW)
    assert len(registry.search("Следующий")) == 1


def test_reads_inside_a_unit_see_its_own_writes(registry):
    """Inside a unit a read sees the card the unit saved (not yet committed); outside, a reader
    sees it only after the unit ends."""
    with registry.unit():
        pid = registry.save_patient(make_case(surname="Внутри"), user="reg", now=NOW)
        assert registry.get_patient(pid).surname == "Внутри"
    assert registry.get_patient(pid).surname == "Внутри"


def test_units_nest_into_the_outer_one(registry):
    """A unit inside a unit joins it: the inner block's writes go away with the outer's failure."""
    before = _counts(registry)
    with pytest.raises(RuntimeError):
        with registry.unit():
            with registry.unit():
                registry.save_patient(make_case(surname="Вложенный"), user="reg", now=NOW)
            raise RuntimeError("the outer step fails")
    assert _counts(registry) == before
