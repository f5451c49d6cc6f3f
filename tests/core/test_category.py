"""The patient's category, first matching row wins (rules.md section 1)."""
from __future__ import annotations

import pytest

from core_helpers import CERT, WORKER_DOCS, case, codes, decide, doc

ROWS = [
    # (case, expected category)
    (case("KZ", [doc("id_card_kz")]), "citizen"),
    (case("MN", [doc("kandas_certificate")]), "kandas"),
    (case("AF", [doc("refugee_certificate")]), "refugee"),
    (case("KR", [doc("residence_permit")]), "permanent_resident"),
    (case(None, [doc("stateless_certificate")]), "permanent_resident"),
    (case("KG", WORKER_DOCS), "eaeu_worker"),
    (case("RU", [doc("passport")], family_of_eaeu_worker={"relation": "spouse", "lives_together": True}), "eaeu_family"),
    (case("SY", [doc("asylum_seeker_certificate")]), "asylum_seeker"),
    (case("NP", [doc("trafficking_victim_notice")]), "trafficking_victim"),
    (case("BY", [doc("passport")]), "eaeu_visitor"),
    (case("UZ", [doc("passport")]), "cis_visitor"),
    (case("US", [doc("passport")]), "foreign_visitor"),
    (case(None, []), "foreign_visitor"),
]


@pytest.mark.parametrize("data,expected", ROWS, ids=[r[1] + "-" + str(r[0]["person"]["citizenship"]) for r in ROWS])
def test_each_row_of_the_table(ref, data, expected):
    """Each row of the category table is reachable from its documents."""
    assert decide(ref, data)["category"] == expected


@pytest.mark.parametrize("data,expected", [
    (case("KZ", [doc("id_card_kz"), doc("kandas_certificate")]), "citizen"),
    (case("MN", [doc("kandas_certificate"), doc("refugee_certificate")]), "kandas"),
    (case("AF", [doc("refugee_certificate"), doc("residence_permit")]), "refugee"),
    (case("RU", [doc("residence_permit")] + WORKER_DOCS), "permanent_resident"),
    (case("KG", WORKER_DOCS, family_of_eaeu_worker={"relation": "child", "lives_together": True}), "eaeu_worker"),
    (case("KG", [doc("asylum_seeker_certificate")], family_of_eaeu_worker={"relation": "child", "lives_together": True}), "eaeu_family"),
    (case("SY", [doc("asylum_seeker_certificate"), doc("trafficking_victim_notice")]), "asylum_seeker"),
    (case("BY", [doc("trafficking_victim_notice")]), "trafficking_victim"),
    (case("UZ", [doc("asylum_seeker_certificate")]), "asylum_seeker"),
])
def test_order_first_match_wins(ref, data, expected):
    """When several rows match, the one higher in the table wins."""
    assert decide(ref, data)["category"] == expected


def test_expired_residence_permit_falls_to_a_lower_row(ref):
    """An expired residence permit does not count: a Russian falls to eaeu_visitor with a warning."""
    d = decide(ref, case("RU", [doc("residence_permit", valid_until="2026-11-21")]))
    assert d["category"] == "eaeu_visitor"
    assert "document_expired" in codes(d)


def test_stateless_person_without_certificate_is_foreign_visitor(ref):
    """A stateless person with no certificate is a foreign visitor."""
    assert decide(ref, case(None, [doc("passport")]))["category"] == "foreign_visitor"


def test_foreigner_with_stateless_certificate_is_not_permanent_resident(ref):
    """The stateless-person certificate counts only for a person with no citizenship."""
    assert decide(ref, case("US", [doc("stateless_certificate")]))["category"] == "foreign_visitor"


def test_family_not_living_together_is_a_visitor(ref):
    """Family means spouse and children living together; otherwise the person is an EAEU visitor."""
    d = decide(ref, case("RU", [doc("passport")], family_of_eaeu_worker={"relation": "spouse", "lives_together": False}))
    assert d["category"] == "eaeu_visitor"


def test_family_link_of_non_eaeu_citizen_does_not_count(ref):
    """A citizen of a non-EAEU state stating a family link is not eaeu_family."""
    d = decide(ref, case("UZ", [doc("passport")], family_of_eaeu_worker={"relation": "spouse", "lives_together": True}))
    assert d["category"] == "cis_visitor"


def test_expired_employment_contract_makes_a_visitor(ref):
    """An EAEU citizen whose employment contract ended is no longer a worker."""
    docs = [doc("passport"), doc("employment_contract", valid_until="2026-10-31")]
    assert decide(ref, case("AM", docs))["category"] == "eaeu_visitor"


def test_contract_not_yet_started_does_not_count(ref):
    """An employment contract starting after the decision date does not make a worker yet."""
    docs = [doc("passport"), doc("employment_contract", valid_from="2026-12-01", valid_until="2027-12-01")]
    d = decide(ref, case("AM", docs))
    assert d["category"] == "eaeu_visitor"
    assert any("12.2026" in s for s in d["explanation"])


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_explanation_names_the_category_in_the_language(ref, lang):
    """The category sentence is in the chosen language."""
    d = decide(ref, case("KR", [doc("residence_permit")]), lang=lang)
    assert any(ref.category_name("permanent_resident", lang) in s for s in d["explanation"])


def test_certificate_is_not_a_category_document(ref):
    """Medical certificates do not change the category."""
    assert decide(ref, case("IN", [doc("passport"), CERT]))["category"] == "foreign_visitor"
