"""Duplicates: the list, merge, undo, the register's correction (SQLite and PostgreSQL)."""
from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta

import pytest

from desktop.core.duplicates import weights_on
from desktop.store import Conflict, PermissionDenied
from desktop.store.models import Patient
from desktop.store.registry import AlreadyMerged, UnmergeRefused

from .support import NOW, make_case, make_decision

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def weights(ref):
    return weights_on(ref, date(2026, 11, 22))


def _pair(registry):
    """A foreigner registered by passport in Latin, then again in Cyrillic with an ИИН."""
    a = registry.save_patient(make_case("Yakovlev", "Ivan", documents=[
        {"kind": "passport", "number": "75 1234567", "country": "RU"}], phone="+77010000001"),
        user="reg", now=NOW)
    b = registry.save_patient(make_case("Яковлев", "Иван", iin="791028302728", patronymic="Петрович",
                                        documents=[{"kind": "passport", "number": "751234567", "country": "RU"},
                                                   {"kind": "residence_permit", "number": "RP 42", "country": "KZ"}]),
                              user="reg", now=NOW)
    return a, b


def _state(registry, *ids):
    """Everything a merge touches, as stored."""
    with registry.engine.connect() as c:
        q = lambda sql: [tuple(r) for r in c.exec_driver_sql(sql)]  # noqa: E731
        return {"patients": q("SELECT * FROM patient ORDER BY id"),
                "documents": q("SELECT * FROM patient_document ORDER BY id"),
                "decisions": q("SELECT id, patient_id FROM decision ORDER BY id"),
                "printed": q("SELECT id, number, patient_id, sha256 FROM printed_document ORDER BY id"),
                "outbox": q("SELECT id, patient_id FROM export_outbox ORDER BY id")}


def test_pairs_are_found_by_blocking_keys_and_scored(registry, weights):
    a, b = _pair(registry)
    c = registry.save_patient(make_case("Хасанов", "Рустам", birth_date="1990-01-01"), user="reg", now=NOW)
    d = registry.save_patient(make_case("Хассанов", "Рустам", birth_date="1990-01-01"), user="reg", now=NOW)
    registry.save_patient(make_case("Другой", "Человек", birth_date="2001-02-03"), user="reg", now=NOW)
    assert set(registry.candidate_pairs()) == {(a, b), (c, d)}
    pairs = registry.duplicate_pairs(weights)
    assert [(p["keep"], p["other"]) for p in pairs] == [(a, b), (c, d)]
    assert pairs[0]["matched"] == ["document", "birth_date", "surname", "given_name"]
    assert pairs[1]["matched"] == ["birth_date", "surname_similar", "given_name"]
    assert registry.duplicate_pairs(weights, min_score=90) == [pairs[0]]


def test_a_registrars_flag_comes_first(registry, registrar, weights):
    a, b = _pair(registry)
    c = registry.save_patient(make_case("Ли", "Ан", birth_date="1990-01-01"), user="reg", now=NOW)
    registry.flag_duplicate(c, a, user=registrar, now=NOW)
    pairs = registry.duplicate_pairs(weights)
    assert [(p["keep"], p["other"], p["flagged"]) for p in pairs] == [(a, c, True), (a, b, False)]


def test_merge_moves_everything_in_one_go_and_keeps_the_other(registry, admin, tmp_path):
    a, b = _pair(registry)
    d1 = registry.record_decision(a, make_decision(), user="reg", now=NOW)
    d2 = registry.record_decision(b, make_decision(), user="reg", now=NOW)
    pdf = b"%PDF-1.4 merged slip"
    registry.store_printed("2026-000001", "slip", pdf, lang="ru", user="reg", now=NOW, patient_id=b)
    preview = registry.merge_preview(a, b)
    fields = {f["field"]: f for f in preview["fields"]}
    assert fields["surname"]["result"] == "Yakovlev" and fields["iin"]["result"] == "791028302728"
    assert preview["moved"] == {"decisions": 1, "printed_documents": 1, "document_rows": 2,
                                "export_outbox": 0, "flags": 0}
    before = _state(registry)
    assert _state(registry) == before  # the preview wrote nothing
    result = registry.merge_patients(a, b, user=admin, now=LATER, take={"surname": "other",
                                                                        "patronymic": "other"})
    assert result["moved"]["decisions"] == 1 and result["moved"]["document_rows"] == 1
    kept, merged = registry.get_patient(a), registry.get_patient(b)
    assert (kept.surname, kept.patronymic, kept.iin) == ("Яковлев", "Петрович", "791028302728")
    assert kept.case["person"]["phone"] == "+77010000001"
    assert [d.number for d in registry.documents_of(a)] == ["75 1234567", "RP 42"]
    assert merged.merged_into == a and merged.iin is None and registry.documents_of(b) == []
    assert {h.id for h in registry.history(a) if h.kind == "decision"} == {d1, d2}
    printed = registry.get_printed("2026-000001")
    assert printed.patient_id == a and printed.pdf == pdf
    assert printed.sha256 == hashlib.sha256(pdf).hexdigest()
    # the other record's ИИН and old name lead to the kept record
    assert [p.id for p in registry.search("791028302728")] == [a]
    assert [p.id for p in registry.search("Yakovlev")] == [a]
    assert [p.id for p in registry.search("RP 42")] == [a]
    # and it is no longer a candidate
    assert registry.candidate_pairs() == []


def test_merging_twice_is_refused_naming_who(registry, admin):
    a, b = _pair(registry)
    registry.merge_patients(a, b, user=admin, now=NOW)
    with pytest.raises(AlreadyMerged, match=f"{b}.*{a}.*admin"):
        registry.merge_patients(a, b, user=admin, now=LATER)
    with pytest.raises(AlreadyMerged):
        registry.merge_patients(b, a, user=admin, now=LATER)


def test_only_an_administrator_merges_and_undoes(registry, admin, registrar):
    a, b = _pair(registry)
    before = _state(registry)
    with pytest.raises(PermissionDenied):
        registry.merge_patients(a, b, user=registrar, now=NOW)
    assert _state(registry) == before
    merge = registry.merge_patients(a, b, user=admin, now=NOW)["merge_id"]
    with pytest.raises(PermissionDenied):
        registry.unmerge(merge, user=registrar, now=LATER)


def test_bad_take_field_is_named(registry, admin):
    a, b = _pair(registry)
    with pytest.raises(ValueError, match="nosuch"):
        registry.merge_patients(a, b, user=admin, now=NOW, take={"nosuch": "other"})
    with pytest.raises(ValueError, match="itself"):
        registry.merge_patients(a, a, user=admin, now=NOW)


def test_unmerge_restores_both_exactly(registry, admin, registrar):
    a, b = _pair(registry)
    registry.record_decision(b, make_decision(), user="reg", now=NOW)
    registry.store_printed("2026-000001", "slip", b"%PDF-x", lang="ru", user="reg", now=NOW, patient_id=b)
    registry.flag_duplicate(b, a, user=registrar, now=NOW)
    before = _state(registry)
    merge = registry.merge_patients(a, b, user=admin, now=LATER, take={"surname": "other"})["merge_id"]
    assert registry.open_flags() == []
    assert _state(registry) != before
    result = registry.unmerge(merge, user=admin, now=LATER + timedelta(minutes=5))
    assert result["restored"] == b
    assert _state(registry) == before
    assert [f.patient_id for f in registry.open_flags()] == [b]
    assert [p.id for p in registry.search("791028302728")] == [b]
    assert registry.get_merge(merge).status == "undone"
    with pytest.raises(UnmergeRefused, match="already undone"):
        registry.unmerge(merge, user=admin, now=LATER)
    # and the pair can be merged again
    registry.merge_patients(a, b, user=admin, now=LATER)


def test_unmerge_is_refused_when_later_writes_depend_on_it(registry, admin):
    a, b = _pair(registry)
    merge = registry.merge_patients(a, b, user=admin, now=NOW)["merge_id"]
    registry.record_decision(a, make_decision(), user="reg", now=LATER)
    registry.store_printed("2026-000002", "slip", b"%PDF-y", lang="ru", user="reg", now=LATER, patient_id=a)
    kept = registry.get_patient(a)
    registry.save_patient(kept.case, user="reg", now=LATER, patient_id=a)
    before = _state(registry)
    with pytest.raises(UnmergeRefused) as info:
        registry.unmerge(merge, user=admin, now=LATER)
    reasons = " | ".join(info.value.reasons)
    assert "decision" in reasons and "2026-000002" in reasons and "changed by reg" in reasons
    assert registry.unmerge_check(merge) == info.value.reasons
    assert _state(registry) == before


def test_merge_and_unmerge_are_audited_with_both_records(registry, admin):
    a, b = _pair(registry)
    merge = registry.merge_patients(a, b, user=admin, now=NOW)["merge_id"]
    registry.unmerge(merge, user=admin, now=LATER)
    entries = sorted((e for e in registry.audit_entries() if e.action in ("merge", "unmerge")),
                     key=lambda e: e.id)
    assert [e.action for e in entries] == ["merge", "unmerge"]
    for e in entries:
        details = json.loads(e.details)
        assert (details["kept"], details["merged"], details["merge"]) == (a, b, merge)


def _rows(path):
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_a_person_exported_twice_is_never_exported_again_and_corrected_once(registry, admin, tmp_path):
    a, b = _pair(registry)
    registry.record_decision(a, make_decision(), user="reg", now=NOW)
    first = (tmp_path / "1.csv", tmp_path / "1.json")
    assert registry.export_attachments(*first, now=NOW, user=admin)["count"] == 1
    # the second record's attachment was decided but not yet exported
    registry.record_decision(b, make_decision(), user="reg", now=NOW + timedelta(minutes=1))
    registry.merge_patients(a, b, user=admin, now=LATER, take={"surname": "other"})
    second = (tmp_path / "2.csv", tmp_path / "2.json")
    out = registry.export_attachments(*second, now=LATER, user=admin)
    assert out["count"] == 0
    rows = _rows(second[0])
    assert [(r["action"], r["patient_id"], r["iin"], r["replaces_patient_id"]) for r in rows] == [
        ("correction", str(a), "791028302728", str(b))]
    corrections = json.loads(second[1].read_text())["corrections"]
    assert corrections[0]["replaces"]["name"] == "Яковлев Иван Петрович"
    assert json.loads(second[1].read_text())["attachments"] == []
    third = (tmp_path / "3.csv", tmp_path / "3.json")
    assert registry.export_attachments(*third, now=LATER, user=admin)["count"] == 0
    assert not third[0].exists()  # the correction went once
    # once sent, the merge cannot be undone silently
    merge = registry.merge_history()[0].id
    assert any("export" in r for r in registry.unmerge_check(merge))


def test_a_new_decision_after_the_merge_is_exported(registry, admin, tmp_path):
    a, b = _pair(registry)
    registry.record_decision(b, make_decision(), user="reg", now=NOW)
    registry.export_attachments(tmp_path / "1.csv", tmp_path / "1.json", now=NOW, user=admin)
    registry.merge_patients(a, b, user=admin, now=LATER)
    d = registry.record_decision(a, make_decision(), user="reg", now=LATER + timedelta(days=400))
    out = registry.export_attachments(tmp_path / "2.csv", tmp_path / "2.json", now=LATER, user=admin)
    assert out["decision_ids"] == [d]
    assert [r["action"] for r in _rows(tmp_path / "2.csv")] == ["attach", "correction"]


def test_unmerge_before_export_drops_the_correction(registry, admin, tmp_path):
    a, b = _pair(registry)
    registry.record_decision(b, make_decision(), user="reg", now=NOW)
    registry.export_attachments(tmp_path / "1.csv", tmp_path / "1.json", now=NOW, user=admin)
    merge = registry.merge_patients(a, b, user=admin, now=LATER)["merge_id"]
    registry.unmerge(merge, user=admin, now=LATER)
    assert registry.export_attachments(tmp_path / "2.csv", tmp_path / "2.json", now=LATER,
                                       user=admin)["count"] == 0
    assert not (tmp_path / "2.csv").exists()


def test_a_merged_record_is_kept_not_deleted(registry, admin):
    a, b = _pair(registry)
    registry.merge_patients(a, b, user=admin, now=NOW)
    with registry._read() as session:
        assert session.get(Patient, b) is not None
    assert registry.kept_record_of(b) == a


def test_nothing_new_points_at_a_merged_record(registry, admin):
    """A desk that still has the merged card open cannot save it, decide or print for it."""
    a, b = _pair(registry)
    case = registry.get_patient(b).case
    registry.merge_patients(a, b, user=admin, now=NOW)
    with pytest.raises(AlreadyMerged, match=f"{b}.*{a}"):
        registry.save_patient(case, user="reg", now=LATER, patient_id=b)
    with pytest.raises(AlreadyMerged):
        registry.record_decision(b, make_decision(), user="reg", now=LATER)
    with pytest.raises(AlreadyMerged):
        registry.store_printed("2026-000009", "slip", b"%PDF", lang="ru", user="reg", now=LATER,
                               patient_id=b)
    assert registry.history(b) == []


def test_an_old_name_and_an_old_iin_lead_to_the_kept_record(registry, admin):
    a = registry.save_patient(make_case("Хасанов", "Рустам", iin="791028302728"), user="reg", now=NOW)
    b = registry.save_patient(make_case("Хассанов", "Рустам", iin="800101300015"), user="reg", now=NOW)
    registry.merge_patients(a, b, user=admin, now=NOW)
    assert [p.id for p in registry.search("Хассанов")] == [a]
    assert [p.id for p in registry.search("800101300015")] == [a]
    assert registry.get_patient(a).iin == "791028302728"
