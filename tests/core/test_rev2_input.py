"""Revision 2 input rules (unknown keys, the documents limit, the published JSON Schema) and the
words a patient reads."""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from core_helpers import case, decide, doc
from desktop.core.api import decide_data
from desktop.core.case import MAX_DOCUMENTS, CaseError, case_json_schema

ROOT = Path(__file__).resolve().parents[2]


def errors(ref, data) -> list[dict]:
    with pytest.raises(CaseError) as e:
        decide_data(data, ref, default_date=date(2026, 11, 22))
    return e.value.errors


@pytest.mark.parametrize("data,field", [
    (case("KZ", [doc("id_card_kz")], as_off="2026-01-01"), "as_off"),
    (case("KZ", [doc("id_card_kz")], person={"birthdate": "1990-01-01"}), "person.birthdate"),
    (case("RU", [doc("passport"), doc("employment_contract"),
                 {"kind": "dms_contract", "covers_phc": True, "valid_untill": "2027-01-01"}]),
     "documents[2].valid_untill"),
    (case("KG", [doc("passport")], family_of_eaeu_worker={"relation": "child", "lives_together": True,
                                                          "worker_until": "2027-01-01"}),
     "family_of_eaeu_worker.worker_until"),
    (case("KZ", [doc("id_card_kz")], osms={"status": "unknown", "paid_month": ["2026-01"]}), "osms.paid_month"),
    (case("KZ", [doc("id_card_kz")], referral={"purpose": "consultation", "urgent": True}), "referral.urgent"),
    (case("KZ", [doc("id_card_kz")], representative={"name": "Иванов"}), "representative.name"),
])
def test_unknown_key_is_an_error_naming_it(ref, data, field):
    """An unknown key anywhere in a case is an input error on its own path, naming the key."""
    errs = errors(ref, data)
    bad = [e for e in errs if e["field"] == field]
    assert bad and field.rsplit(".", 1)[-1] in bad[0]["message"]


def test_typo_on_a_contract_does_not_give_an_open_ended_attachment(ref):
    """`valid_untill` on the ДМС is refused, never read as a contract with no end date."""
    data = case("RU", [doc("passport"), doc("employment_contract"),
                       {"kind": "dms_contract", "covers_phc": True, "valid_untill": "2027-01-01"}])
    assert [e["field"] for e in errors(ref, data)] == ["documents[2].valid_untill"]


@pytest.mark.parametrize("n,ok", [(MAX_DOCUMENTS - 1, True), (MAX_DOCUMENTS, True), (MAX_DOCUMENTS + 1, False)])
def test_documents_limit(ref, n, ok):
    """At most 200 documents a case; 201 is an input error on `documents`."""
    data = case("KZ", [doc("id_card_kz")] * n)
    if ok:
        assert decide(ref, data)["category"] == "citizen"
    else:
        assert [e["field"] for e in errors(ref, data)] == ["documents"]


def test_esp_payer_and_worker_contract_until_are_accepted(ref):
    """payer esp and family_of_eaeu_worker.worker_contract_until are part of a case (rev. 2)."""
    d = decide(ref, case("KG", [doc("passport")], osms={"payer": "esp"},
                         family_of_eaeu_worker={"relation": "spouse", "lives_together": True,
                                                "worker_contract_until": "2027-01-01"}))
    assert d["category"] == "eaeu_family"


def test_bad_worker_contract_until_is_named(ref):
    """A bad worker_contract_until date is reported on its own path."""
    data = case("KG", [doc("passport")], family_of_eaeu_worker={"relation": "spouse",
                                                                "worker_contract_until": "2027-02-30"})
    assert "family_of_eaeu_worker.worker_contract_until" in {e["field"] for e in errors(ref, data)}


def test_published_schema_is_current(ref):
    """docs/case.schema.json is the schema built from the validator's key tables and the reference data."""
    published = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    assert published == case_json_schema(ref.document_kind_codes, ref.purpose_codes), \
        "regenerate docs/case.schema.json (see docs/decisions.md, 'Input validation')"


def _keys_conform(value, schema) -> bool:
    if "oneOf" in schema:
        return any(_keys_conform(value, s) for s in schema["oneOf"] if s.get("type") != "null") or value is None
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return set(value) <= set(props) and all(_keys_conform(v, props[k]) for k, v in value.items())
    if isinstance(value, list) and "items" in schema:
        return all(_keys_conform(v, schema["items"]) for v in value)
    return True


def test_example_cases_fit_the_schema():
    """Every valid example case uses only keys the schema names."""
    schema = json.loads((ROOT / "docs" / "case.schema.json").read_text(encoding="utf-8"))
    for p in sorted((ROOT / "tests" / "cases").glob("p*.json")):
        example = json.loads(p.read_text(encoding="utf-8"))
        if "exit" not in example["expect"]:
            assert _keys_conform(example["case"], schema), p.name


# --- the words a patient reads ------------------------------------------------------------------
WORKER = case("RU", [doc("passport"), doc("employment_contract", valid_from="2026-01-01", valid_until="2027-06-30"),
                     doc("dms_contract", covers_phc=True, valid_from="2026-01-01", valid_until="2027-03-31")],
              osms={"payer": "employee", "paid_months": ["2026-08", "2026-09"]})


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_no_doubled_document_names(ref, lang):
    """No «договор «Договор …»» and no «(ЕМС) шарты» шарты» in the explanation."""
    text = " ".join(decide(ref, WORKER, lang=lang)["explanation"])
    assert not re.search(r"договор «Договор", text, re.I) and "шарты» шарты" not in text


@pytest.mark.parametrize("lang,word", [("ru", "сентябрь 2026 г."), ("kk", "2026 жылғы қыркүйек")])
def test_months_in_words(ref, lang, word):
    """Months in sentences are words, never 2026-09."""
    text = " ".join(decide(ref, WORKER, lang=lang)["explanation"])
    assert word in text and not re.search(r"\b20\d\d-\d\d\b(?!-)", text.replace(decide(ref, WORKER)["reference"]["version"], ""))


def test_wife_agreement(ref):
    """A wife reads «супруга …, проживающая с ним», not «супруг(а) …, проживающий»."""
    d = decide(ref, case("KG", [doc("passport")], person={"sex": "female"},
                         family_of_eaeu_worker={"relation": "spouse", "lives_together": True}))
    text = " ".join(d["explanation"])
    assert "супруга трудящегося ЕАЭС, проживающая с ним совместно" in text and "супруг(а)" not in text


def test_kazakh_as_of_is_idiomatic(ref):
    """Kazakh «… жағдай бойынша» for "as of", not «… күнге»."""
    first = decide(ref, case("KZ", [doc("id_card_kz")]), lang="kk")["explanation"][0]
    assert "22.11.2026 жағдай бойынша" in first and "күнге" not in first


def test_one_kazakh_term_for_treponemal(ref):
    """One Kazakh term for treponemal in every text of the reference data."""
    texts = " ".join(ref.text(k, "kk") for k in ref._texts) + " ".join(w["kk"] for w in ref.warnings.values()) \
        + " ".join(p.name_kk for p in ref.all_prices())
    assert "трепонемдік" not in texts and "трепонемалық" in texts


@pytest.mark.parametrize("code,name", [("US", "Соединённые Штаты Америки"), ("GB", "Соединённое Королевство"),
                                       ("AE", "Объединённые Арабские Эмираты")])
def test_country_names_with_official_capitals(ref, code, name):
    """Country names are written as in official use (capitals in every word of a state's name)."""
    assert ref.country_name(code, "ru").startswith(name)
