"""Saving patients, duplicates, decisions, history and printed documents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desktop.store import Conflict

from .support import NOW, make_case, make_decision


def test_save_returns_an_id_and_keeps_the_whole_case(registry):
    """The stored case is exactly the case saved."""
    case = make_case(iin="791028302728", documents=[{"kind": "passport", "number": "75 1"}])
    pid = registry.save_patient(case, user="reg", now=NOW)
    assert registry.get_patient(pid).case == case


def test_a_new_card_with_a_stored_iin_never_overwrites_its_holder(registry):
    """A save without an id is a new card: the ИИН of a stored patient is refused (IinTaken
    naming him), and he, his decisions and his audit trail stay as they were."""
    from desktop.store import IinTaken

    first = registry.save_patient(make_case("Иванов", "Иван", iin="791028302728"), user="u",
                                  now=NOW)
    registry.record_decision(first, make_decision(), user="u", now=NOW)
    later = NOW + timedelta(days=1)
    with pytest.raises(IinTaken) as caught:
        registry.save_patient(make_case("Сидорова", "Анна", iin="791028302728", sex="female"),
                              user="v", now=later)
    assert (caught.value.holder_id, caught.value.holder_name) == (first, "Иванов Иван")
    assert "Иванов Иван" in str(caught.value) and "791028302728" in str(caught.value)
    patient = registry.get_patient(first)
    assert (patient.surname, patient.version, patient.updated_by) == ("Иванов", 1, "u")
    assert len(registry.history(first)) == 1
    assert [e.action for e in registry.audit_entries(obj=f"patient:{first}")] == ["create"]
    assert len(registry.search("Сидорова")) == 0


def test_iin_of_another_patient_is_a_conflict(registry):
    """Giving one patient the ИИН of another raises Conflict and changes nothing."""
    registry.save_patient(make_case(iin="791028302728"), user="u", now=NOW)
    other = registry.save_patient(make_case("Петров"), user="u", now=NOW)
    with pytest.raises(Conflict):
        registry.save_patient(make_case("Петров", iin="791028302728"), user="u", now=NOW,
                              patient_id=other)
    assert registry.get_patient(other).iin is None


def test_documents_mirror_the_case(registry):
    """The documents table holds the case's documents, in order, after each save."""
    pid = registry.save_patient(make_case(documents=[
        {"kind": "passport", "number": "75 1234567", "valid_until": "2030-01-01"},
        {"kind": "dms_contract", "valid_until": "2027-02-28"}]), user="u", now=NOW)
    assert [(d.kind, d.number_key) for d in registry.documents_of(pid)] == [
        ("passport", "751234567"), ("dms_contract", None)]


def test_save_is_audited(registry):
    """Creating and updating a patient each leave an audit entry."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.save_patient(make_case(), user="u", now=NOW, patient_id=pid)
    assert [e.action for e in registry.audit_entries(obj=f"patient:{pid}")] == ["update", "create"]


def test_duplicate_by_iin(registry):
    """A stored patient with the same ИИН is a likely duplicate."""
    pid = registry.save_patient(make_case("Иванов", iin="791028302728"), user="u", now=NOW)
    case = make_case("Ivanov", "Ivan", iin="791028302728", birth_date=None)
    assert [p.id for p in registry.likely_duplicates(case)] == [pid]


def test_duplicate_by_name_and_birth_date(registry):
    """Same surname, given name (ё = е, any case) and birth date is a likely duplicate."""
    pid = registry.save_patient(make_case("Фёдоров", "Пётр", birth_date="1980-01-02"),
                                user="u", now=NOW)
    assert [p.id for p in registry.likely_duplicates(
        make_case("ФЕДОРОВ", "петр", birth_date="1980-01-02"))] == [pid]


def test_different_birth_date_is_not_a_duplicate(registry):
    """The same name born on another day is not offered as a duplicate."""
    registry.save_patient(make_case(birth_date="1980-01-02"), user="u", now=NOW)
    assert registry.likely_duplicates(make_case(birth_date="1980-01-03")) == []


def test_history_is_newest_first(registry):
    """Decisions and printed documents come back newest first."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.record_decision(pid, make_decision(), user="u", now=NOW)
    registry.store_printed("2026-000001", "slip", b"%PDF-1", lang="ru", user="u",
                           now=NOW + timedelta(minutes=1), patient_id=pid)
    registry.record_decision(pid, make_decision("not_allowed"), user="u",
                             now=NOW + timedelta(minutes=2))
    assert [(h.kind, h.at) for h in registry.history(pid)] == [
        ("decision", NOW + timedelta(minutes=2)), ("printed", NOW + timedelta(minutes=1)),
        ("decision", NOW)]


def test_decision_is_kept_whole(registry):
    """The stored decision JSON is the decision recorded."""
    pid = registry.save_patient(make_case(), user="u", now=NOW)
    registry.record_decision(pid, make_decision(), user="u", now=NOW)
    assert registry.latest_decision(pid).decision == make_decision()


def test_printed_document_returns_the_exact_bytes(registry):
    """get_printed returns the very bytes stored, with their sha256."""
    pdf = bytes(range(256)) * 40
    registry.store_printed("2026-000007", "refusal", pdf, lang="kk", user="u", now=NOW)
    printed = registry.get_printed("2026-000007")
    assert printed.pdf == pdf


def test_printed_number_is_stored_once(registry):
    """A second printout under a used number is refused."""
    registry.store_printed("2026-000001", "slip", b"a", lang="ru", user="u", now=NOW)
    with pytest.raises(Conflict):
        registry.store_printed("2026-000001", "slip", b"b", lang="ru", user="u", now=NOW)


def test_document_numbers_count_up_per_year(registry):
    """Numbers of one year follow each other; a new year starts from 1."""
    numbers = [registry.next_document_number(y, NOW) for y in (2026, 2026, 2027)]
    assert numbers == ["2026-000001", "2026-000002", "2027-000001"]


def test_link_printed_attaches_only_documents_of_nobody(registry):
    """A printout made before the first save joins the patient; one of another patient stays put."""
    a = registry.save_patient(make_case(surname="Аев"), user="u", now=NOW)
    b = registry.save_patient(make_case(surname="Беков"), user="u", now=NOW)
    registry.store_printed("2026-000001", "slip", b"%PDF-a", lang="ru", user="u", now=NOW)
    registry.store_printed("2026-000002", "slip", b"%PDF-b", lang="ru", user="u", now=NOW, patient_id=b)
    assert registry.link_printed(["2026-000001", "2026-000002"], a, user="u", now=NOW) == 1
    assert registry.get_printed("2026-000001").patient_id == a
    assert registry.get_printed("2026-000002").patient_id == b
    assert [e.action for e in registry.audit_entries()].count("link_printed") == 1
