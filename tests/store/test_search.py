"""Search by ИИН, surname (Cyrillic, Latin, ё/е, Kazakh letters) and document number."""

from __future__ import annotations

import pytest

from .support import NOW, make_case


@pytest.fixture
def people(registry):
    ids = {}
    ids["ivanov"] = registry.save_patient(make_case(
        "Иванов", "Иван", iin="791028302728",
        documents=[{"kind": "passport", "number": "75 1234567", "country": "RU"}]),
        user="u", now=NOW)
    ids["fedorov"] = registry.save_patient(make_case("Фёдоров", "Пётр"), user="u", now=NOW)
    ids["abenov"] = registry.save_patient(make_case("Әбенов", "Қайрат", citizenship="KZ"),
                                          user="u", now=NOW)
    ids["smith"] = registry.save_patient(make_case("Smith", "John", citizenship="GB"),
                                         user="u", now=NOW)
    ids["ivanova"] = registry.save_patient(make_case("Иванова", "Мария"), user="u", now=NOW)
    return ids


def _ids(patients):
    return [p.id for p in patients]


def test_iin_finds_exactly_that_patient(registry, people):
    """Twelve digits find the patient with that ИИН and no one else."""
    assert _ids(registry.search("791028302728")) == [people["ivanov"]]


def test_cyrillic_prefix_is_case_insensitive(registry, people):
    """A Cyrillic surname prefix in any case finds every surname that starts with it."""
    assert set(_ids(registry.search("иВАН"))) == {people["ivanov"], people["ivanova"]}


def test_latin_query_finds_cyrillic_surname(registry, people):
    """A Latin query finds Cyrillic surnames through transliteration ("ivan" → Иванов)."""
    assert set(_ids(registry.search("ivan"))) == {people["ivanov"], people["ivanova"]}


def test_cyrillic_query_finds_latin_surname(registry, people):
    """A Cyrillic query finds a surname stored in Latin letters (Смит → Smith)."""
    assert _ids(registry.search("Смит")) == [people["smith"]]


@pytest.mark.parametrize("query", ["Федоров", "Фёдоров", "fedorov"])
def test_yo_and_ye_are_the_same_letter(registry, people, query):
    """ё and е are one letter for search, whichever of them is stored or typed."""
    assert _ids(registry.search(query)) == [people["fedorov"]]


def test_kazakh_letters_match_their_russian_lookalikes(registry, people):
    """A registrar without a Kazakh layout finds Әбенов by typing Абенов."""
    assert _ids(registry.search("Абен")) == [people["abenov"]]


@pytest.mark.parametrize("query", ["751234567", "75 1234567", "75-123-45-67"])
def test_document_number_ignores_spaces_and_dashes(registry, people, query):
    """A document number is found however its spaces and dashes are typed."""
    assert _ids(registry.search(query)) == [people["ivanov"]]


def test_second_word_narrows_by_given_name(registry, people):
    """"Иванов Мар" finds Иванова Мария, not Иванов Иван."""
    assert _ids(registry.search("Иванов Мар")) == [people["ivanova"]]


def test_document_numbers_follow_the_case_on_update(registry, people):
    """After an update removes a document, its number no longer finds the patient."""
    pid = registry.search("791028302728")[0].id
    registry.save_patient(make_case("Иванов", "Иван", iin="791028302728"), user="u", now=NOW,
                          patient_id=pid)
    assert registry.search("75 1234567") == []
