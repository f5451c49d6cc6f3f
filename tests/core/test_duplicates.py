"""The duplicate score of the core, with the weights of the reference data."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from desktop.core.duplicates import WeightsError, best_first, check_weights, distance_at_most, score, weights_on
from desktop.core.refbuild import SourceError, build_reference
from desktop.store.text import document_key, latin_key, name_key

SOURCES = Path(__file__).resolve().parents[2] / "db" / "sources"
ON = date(2026, 11, 22)


def record(pid, surname, given, patronymic=None, birth="1979-10-28", iin=None, documents=()):
    return {"id": pid, "iin": iin, "birth_date": birth,
            "surname_key": name_key(surname), "surname_latin": latin_key(surname),
            "given_key": name_key(given), "given_latin": latin_key(given),
            "patronymic_latin": latin_key(patronymic),
            "documents": [(document_key(n), c) for n, c in documents]}


@pytest.fixture
def weights(ref):
    return weights_on(ref, ON)


def test_weights_are_reference_data(ref, weights):
    """The weights come from parameters.yaml (clinic policy, no legal act)."""
    value, basis = ref.parameter_entry("duplicate_weights", ON)
    assert value == weights and basis == ()
    assert "clinic policy" in ref.parameter_info["duplicate_weights"]["description"].lower()


def test_same_iin_is_certain(weights):
    a = record(1, "Иванов", "Иван", iin="791028302728")
    b = record(7, "Smith", "John", birth="1990-01-01", iin="791028302728")
    s = score(b, a, weights)
    assert (s.keep, s.other, s.score, s.matched) == (1, 7, weights["certain"], ("iin",))


def test_iin_on_one_card_as_a_document_of_the_other_is_certain(weights):
    a = record(1, "Иванов", "Иван", documents=[("7910 2830 2728", "KZ")])
    b = record(2, "Иванов", "Иван", iin="791028302728")
    assert score(a, b, weights).matched == ("iin",)


def test_two_different_iin_rule_the_pair_out(weights):
    a = record(1, "Иванов", "Иван", "Петрович", iin="791028302728")
    b = record(2, "Иванов", "Иван", "Петрович", iin="791028302729")
    s = score(a, b, weights)
    assert s.score == 0 and "iin_differs" in s.matched


def test_latin_and_cyrillic_with_the_same_passport(weights):
    """A foreigner typed in Latin one year and in Cyrillic the next, same passport."""
    a = record(1, "Yakovlev", "Ivan", documents=[("75 1234567", "RU")])
    b = record(2, "Яковлев", "Иван", documents=[("751234567", "RU")])
    s = score(a, b, weights)
    assert s.matched == ("document", "birth_date", "surname", "given_name")
    assert s.score == min(100, sum(weights[m] for m in s.matched))


def test_same_number_of_another_country_is_not_the_same_document(weights):
    a = record(1, "Ким", "Олег", documents=[("N1234567", "KR")])
    b = record(2, "Ким", "Олег", birth="1980-05-05", documents=[("N1234567", "UZ")])
    assert "document" not in score(a, b, weights).matched


def test_yo_and_e_and_a_typo(weights):
    """ё/е fold to the same surname; one letter off is a similar surname."""
    assert "surname" in score(record(1, "Семёнов", "Пётр"), record(2, "Семенов", "Петр"), weights).matched
    s = score(record(1, "Хасанов", "Рустам", "Ильдарович"), record(2, "Хассанов", "Рустам", "Ильдарович"), weights)
    assert s.matched == ("birth_date", "surname_similar", "given_name", "patronymic")
    s = score(record(1, "Khasanov", "Rustam"), record(2, "Hasanov", "Rustam"), weights)
    assert "surname" in s.matched  # transliteration variants kh/h fold


def test_same_name_other_birth_date_scores_low(weights):
    s = score(record(1, "Иванов", "Иван"), record(2, "Иванов", "Иван", birth="1985-03-03"), weights)
    assert s.score < weights["min_score"] and "birth_date_differs" in s.matched


def test_best_first_and_threshold(weights):
    pairs = [score(record(1, "Иванов", "Иван"), record(2, "Иванов", "Иван"), weights),
             score(record(3, "Ли", "Ан", iin="791028302728"), record(4, "Ли", "Ан", iin="791028302728"), weights),
             score(record(5, "Ли", "Ан"), record(6, "Пак", "Ким", birth="2000-01-01"), weights)]
    ordered = best_first(pairs, weights["min_score"])
    assert [(p.keep, p.other) for p in ordered] == [(3, 4), (1, 2)]


def test_distance():
    assert distance_at_most("hasanov", "hassanov", 1)
    assert distance_at_most("ivanov", "ivnaov", 1)  # neighbours swapped
    assert not distance_at_most("ivanov", "petrov", 1)


def test_malformed_weights_are_refused(tmp_path):
    with pytest.raises(WeightsError, match="missing"):
        check_weights({"iin": 100})
    src = tmp_path / "sources"
    shutil.copytree(SOURCES, src)
    path = src / "parameters.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("document: 60,", "document: sixty,", 1), encoding="utf-8")
    with pytest.raises(SourceError, match="duplicate_weights.*document"):
        build_reference(src, tmp_path / "t.sqlite")


def test_evidence_from_the_database_stands_for_the_documents(weights):
    """The store's streamed list passes what SQL compared instead of the documents."""
    a, b = record(1, "Ким", "Олег"), record(2, "Kim", "Oleg", birth="1980-05-05")
    assert "document" in score(a, b, weights, {"document": True, "iin_document": False}).matched
    assert "document" not in score(a, b, weights, {"document": False, "iin_document": False}).matched
    b["iin"] = "791028302728"
    assert score(a, b, weights, {"document": False, "iin_document": True}).matched == ("iin",)
